// SPDX-License-Identifier: GPL-2.0
/*
 * Opening the daemon's SQLite databases (sqlfile.h): the file's safety
 * checks, the connection's settings and the schema migrations, the same
 * for the gateway's store and the server's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sqlfile.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int sqlfile_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	default:
		return -EIO;
	}
}

static int sql_fail(sqlite3 *db, const char *path, char *err, size_t len,
		    int rc, const char *what)
{
	return fail(err, len, sqlfile_errno(rc), "%s: %s: %s", path, what,
		    sqlite3_errmsg(db));
}

static int check_file(const char *path, const struct stat *sb, char *err,
		      size_t len)
{
	if (!S_ISREG(sb->st_mode))
		return fail(err, len, -EINVAL, "%s: not a regular file", path);
	if (sb->st_uid != geteuid())
		return fail(err, len, -EPERM,
			    "%s: owned by uid %u, not by us (uid %u)", path,
			    (unsigned int)sb->st_uid, (unsigned int)geteuid());
	if (sb->st_mode & 077)
		return fail(err, len, -EPERM,
			    "%s: mode %04o lets group or others in; want 0600",
			    path, (unsigned int)(sb->st_mode & 07777));
	return 0;
}

/*
 * Creates the database file 0600 whatever the umask, or checks the one
 * there, and its WAL and shared-memory files if present: they hold the
 * same secrets.  @sb gets the database file's identity.
 */
static int open_file(const char *path, struct stat *sb, char *err, size_t len)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char side[SQLFILE_PATH_MAX + 8];
	int fd, ret;
	size_t i;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0 && fchmod(fd, 0600)) {
		ret = -errno;
		close(fd);
		return fail(err, len, ret, "%s: chmod 0600: %s", path,
			    strerror(-ret));
	}
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return fail(err, len, ret, "%s: %s", path,
			    ret == -ELOOP ? "a symbolic link: refused" :
			    strerror(-ret));
	}
	ret = fstat(fd, sb) ? -errno : 0;
	close(fd);
	if (ret)
		return fail(err, len, ret, "%s: %s", path, strerror(-ret));
	ret = check_file(path, sb, err, len);
	for (i = 0; !ret && i < ARRAY_SIZE(sfx); i++) {
		struct stat ss;

		snprintf(side, sizeof(side), "%s%s", path, sfx[i]);
		if (lstat(side, &ss))
			continue;
		ret = check_file(side, &ss, err, len);
	}
	return ret;
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *val)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*val = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_MISMATCH;
	}
	sqlite3_finalize(s);
	return rc;
}

static int pragma_text_is(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = strcmp((const char *)sqlite3_column_text(s, 0), want) ?
			SQLITE_MISMATCH : SQLITE_OK;
	sqlite3_finalize(s);
	return rc;
}

/*
 * synchronous=FULL: in WAL mode NORMAL skips the WAL's fsync at commit,
 * so a power cut could lose a transaction already acknowledged to a peer.
 * secure_delete: a retired secret or a deleted row is overwritten with
 * zeros in the file instead of lingering on a free page.
 */
static int configure(sqlite3 *db, const char *path, char *err, size_t len)
{
	static const char *const pragmas[] = {
		"PRAGMA foreign_keys = ON",
		"PRAGMA synchronous = FULL",
		"PRAGMA secure_delete = ON",
		"PRAGMA trusted_schema = OFF",
	};
	int64_t v = 0;
	size_t i;
	int rc;

	sqlite3_extended_result_codes(db, 1);
	rc = sqlite3_busy_timeout(db, 5000);
	if (rc)
		return sql_fail(db, path, err, len, rc, "busy_timeout");
	for (i = 0; i < ARRAY_SIZE(pragmas); i++) {
		rc = sqlite3_exec(db, pragmas[i], NULL, NULL, NULL);
		if (rc)
			return sql_fail(db, path, err, len, rc, pragmas[i]);
	}
	rc = pragma_text_is(db, "PRAGMA journal_mode = WAL", "wal");
	if (rc)
		return rc == SQLITE_MISMATCH ?
			fail(err, len, -EIO,
			     "%s: cannot switch to WAL journaling", path) :
			sql_fail(db, path, err, len, rc, "journal_mode");
	/* An SQLite built without these would ignore the pragmas. */
	rc = pragma_int(db, "PRAGMA foreign_keys", &v);
	if (rc || v != 1)
		return fail(err, len, -EIO,
			    "%s: this SQLite does not enforce foreign keys",
			    path);
	rc = pragma_int(db, "PRAGMA secure_delete", &v);
	if (rc || v != 1)
		return fail(err, len, -EIO,
			    "%s: this SQLite does not overwrite deleted content",
			    path);
	return 0;
}

/* One migration step in a transaction of its own; *@again: one was run. */
static int migrate_one(sqlite3 *db, const char *path,
		       const struct sqlfile_schema *sc, bool *again,
		       char *err, size_t len)
{
	int64_t ver = 0, app = 0, objs = 0;
	int rc, ret = 0;
	char sql[64];

	*again = false;
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc)
		return sql_fail(db, path, err, len, rc, "schema migration");
	/* Read under the write lock: two openers never migrate twice. */
	rc = pragma_int(db, "PRAGMA user_version", &ver);
	if (!rc)
		rc = pragma_int(db, "PRAGMA application_id", &app);
	if (!rc)
		rc = pragma_int(db, "SELECT count(*) FROM sqlite_schema", &objs);
	if (rc) {
		ret = sql_fail(db, path, err, len, rc,
			       "reading the schema version");
		goto out;
	}
	/*
	 * Ownership first: another store's newer schema is not ours to
	 * call newer.
	 */
	if (ver < 0 || (ver ? app != (int64_t)sc->app_id : app || objs)) {
		ret = fail(err, len, -EINVAL,
			   "%s: not a %s (application_id %#llx, user_version %lld)",
			   path, sc->what, (unsigned long long)app,
			   (long long)ver);
		goto out;
	}
	if (ver > sc->n_migrations) {
		ret = fail(err, len, -ENOTSUP,
			   "%s: schema version %lld is newer than this cpnsd knows (%d): refusing to downgrade",
			   path, (long long)ver, sc->n_migrations);
		goto out;
	}
	if (ver == sc->n_migrations)
		goto out;
	rc = sqlite3_exec(db, sc->migrations[ver], NULL, NULL, NULL);
	if (!rc) {
		/* PRAGMA takes no parameter; ver is our own integer. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 (int)ver + 1);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc) {
		snprintf(sql, sizeof(sql), "migration to schema version %d",
			 (int)ver + 1);
		ret = sql_fail(db, path, err, len, rc, sql);
		goto out;
	}
	*again = true;
out:
	if (ret) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return ret;
	}
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		ret = sql_fail(db, path, err, len, rc, "schema migration");
		/* A failed COMMIT may already have rolled back. */
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

int sqlfile_open(const char *path, const struct sqlfile_schema *sc,
		 sqlite3 **out, char *err, size_t len)
{
	struct stat before, after;
	bool again = true;
	sqlite3 *db = NULL;
	int rc, ret;

	*out = NULL;
	if (!path || !*path || strlen(path) >= SQLFILE_PATH_MAX)
		return fail(err, len, -EINVAL,
			    "database path empty or too long");
	ret = open_file(path, &before, err, len);
	if (ret)
		return ret;
	rc = sqlite3_open_v2(path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc) {
		ret = db ? sql_fail(db, path, err, len, rc, "open") :
			fail(err, len, -ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	/* The file we checked must be the one SQLite opened. */
	if (stat(path, &after) || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino) {
		ret = fail(err, len, -EAGAIN, "%s: replaced while being opened",
			   path);
		goto fail;
	}
	ret = configure(db, path, err, len);
	while (!ret && again)
		ret = migrate_one(db, path, sc, &again, err, len);
	if (ret)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return ret;
}
