// SPDX-License-Identifier: GPL-2.0
/*
 * The CPNS Server's durable state in SQLite (srvstore.h,
 * Documentation/daemon.rst "State and crash safety").  As in the
 * gateway's store, the schema carries the invariants (an epoch is issued
 * once, keys are never changed, a group's last epoch only grows, answers
 * go with their key), so that a bug here aborts a transaction instead of
 * issuing one epoch twice.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "msg.h"
#include "sqlfile.h"
#include "srvstore.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* "CPSV": not the gateway's "CPNS", so neither store opens the other's. */
#define SRVSTORE_APP_ID	0x43505356

#define NAME_OK(col) \
	"length(" col ") BETWEEN 1 AND 64 AND " col \
	" NOT GLOB '*[^A-Za-z0-9._:-]*'"
#define GROUP_OK	"group_id BETWEEN 1 AND 4294967295"

/*
 * Version 1.
 *
 * epochs remembers each group's highest epoch ever, apart from the keys:
 * the keys older than the previous epoch are deleted (and overwritten,
 * secure_delete), the number stays, so an epoch is never issued again
 * even when its key is gone.
 *
 * served lists the gateways a group's next epoch goes to: those with
 * members, and those whose last member left while the group's current
 * epoch (seen) was current or the one before, which must get the epoch
 * that excludes it.  A row is dropped when a new epoch is issued and its
 * gateway has had no member since before the previous one.
 */
static const char schema_v1[] =
"PRAGMA application_id = 1129337686;\n"	/* SRVSTORE_APP_ID */
"CREATE TABLE members (\n"
"	group_id INTEGER NOT NULL CHECK (" GROUP_OK "),\n"
"	gateway  TEXT NOT NULL CHECK (" NAME_OK("gateway") "),\n"
"	pne_id   TEXT NOT NULL CHECK (" NAME_OK("pne_id") "),\n"
"	added_at INTEGER NOT NULL,\n"
"	PRIMARY KEY (group_id, gateway, pne_id)\n"
") WITHOUT ROWID;\n"
"CREATE TABLE epochs (\n"
"	group_id INTEGER PRIMARY KEY CHECK (" GROUP_OK "),\n"
"	epoch    INTEGER NOT NULL CHECK (epoch >= 1)\n"
");\n"
"CREATE TRIGGER epochs_insert BEFORE INSERT ON epochs\n"
"WHEN NEW.epoch <= (SELECT epoch FROM epochs WHERE group_id = NEW.group_id)\n"
"BEGIN SELECT RAISE(ABORT, 'a group''s last epoch only grows'); END;\n"
"CREATE TRIGGER epochs_update BEFORE UPDATE ON epochs\n"
"WHEN NEW.group_id IS NOT OLD.group_id OR NEW.epoch <= OLD.epoch\n"
"BEGIN SELECT RAISE(ABORT, 'a group''s last epoch only grows'); END;\n"
"CREATE TRIGGER epochs_delete BEFORE DELETE ON epochs\n"
"BEGIN SELECT RAISE(ABORT, 'a group''s last epoch is never forgotten'); END;\n"
"CREATE TABLE gks (\n"
"	group_id    INTEGER NOT NULL CHECK (" GROUP_OK "),\n"
"	epoch       INTEGER NOT NULL CHECK (epoch >= 1),\n"
"	key         BLOB NOT NULL CHECK (typeof(key) = 'blob'\n"
"			AND length(key) = 32),\n"
"	valid_from  INTEGER NOT NULL,\n"
"	valid_until INTEGER NOT NULL,\n"
"	created     INTEGER NOT NULL,\n"
"	PRIMARY KEY (group_id, epoch)\n"
") WITHOUT ROWID;\n"
"CREATE TRIGGER gks_insert BEFORE INSERT ON gks\n"
"WHEN NEW.epoch <= (SELECT epoch FROM epochs WHERE group_id = NEW.group_id)\n"
"BEGIN SELECT RAISE(ABORT, 'an epoch is above every epoch its group ever had'); END;\n"
"CREATE TRIGGER gks_issued AFTER INSERT ON gks\n"
"BEGIN INSERT INTO epochs (group_id, epoch) VALUES (NEW.group_id, NEW.epoch)\n"
"	ON CONFLICT (group_id) DO UPDATE SET epoch = excluded.epoch; END;\n"
"CREATE TRIGGER gks_update BEFORE UPDATE ON gks\n"
"BEGIN SELECT RAISE(ABORT, 'an issued key never changes'); END;\n"
"CREATE TRIGGER gks_delete BEFORE DELETE ON gks\n"
"WHEN (SELECT count(*) FROM gks WHERE group_id = OLD.group_id\n"
"	AND epoch > OLD.epoch) < 2\n"
"BEGIN SELECT RAISE(ABORT, 'only keys older than the previous epoch are deleted'); END;\n"
"CREATE TABLE served (\n"
"	group_id INTEGER NOT NULL CHECK (" GROUP_OK "),\n"
"	gateway  TEXT NOT NULL CHECK (" NAME_OK("gateway") "),\n"
"	seen     INTEGER NOT NULL CHECK (seen >= 0),\n"
"	PRIMARY KEY (group_id, gateway)\n"
") WITHOUT ROWID;\n"
"CREATE TRIGGER members_serve AFTER INSERT ON members\n"
"BEGIN INSERT INTO served (group_id, gateway, seen) VALUES (NEW.group_id,\n"
"	NEW.gateway, coalesce((SELECT epoch FROM epochs\n"
"		WHERE group_id = NEW.group_id), 0))\n"
"	ON CONFLICT (group_id, gateway) DO UPDATE SET seen = excluded.seen; END;\n"
"CREATE TRIGGER served_update BEFORE UPDATE ON served\n"
"WHEN NEW.group_id IS NOT OLD.group_id OR NEW.gateway IS NOT OLD.gateway\n"
"	OR NEW.seen < OLD.seen\n"
"BEGIN SELECT RAISE(ABORT, 'a served gateway''s epoch only grows'); END;\n"
"CREATE TRIGGER served_delete BEFORE DELETE ON served\n"
"WHEN EXISTS (SELECT 1 FROM members WHERE group_id = OLD.group_id\n"
"	AND gateway = OLD.gateway)\n"
"	OR OLD.seen >= coalesce((SELECT epoch FROM gks\n"
"		WHERE group_id = OLD.group_id ORDER BY epoch DESC\n"
"		LIMIT 1 OFFSET 1),\n"
"		(SELECT epoch FROM epochs WHERE group_id = OLD.group_id))\n"
"BEGIN SELECT RAISE(ABORT, 'a gateway is served while it has members, and until the epoch after its last member left'); END;\n"
"CREATE TABLE acks (\n"
"	group_id INTEGER NOT NULL,\n"
"	epoch    INTEGER NOT NULL,\n"
"	gateway  TEXT NOT NULL CHECK (" NAME_OK("gateway") "),\n"
"	pne_id   TEXT NOT NULL CHECK (pne_id = '' OR (" NAME_OK("pne_id") ")),\n"
"	status   INTEGER NOT NULL CHECK (status BETWEEN 0 AND 65535),\n"
"	at       INTEGER NOT NULL,\n"
"	PRIMARY KEY (group_id, epoch, gateway, pne_id),\n"
"	FOREIGN KEY (group_id, epoch) REFERENCES gks (group_id, epoch)\n"
"		ON DELETE CASCADE\n"
") WITHOUT ROWID;\n";

/* As store.c's: append only. */
static const char *const migrations[] = {
	schema_v1,
};

enum {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_MEM_INS,
	Q_MEM_DEL,
	Q_MEM_LIST,
	Q_GW_LIST,
	Q_LAST,
	Q_GK_INS,
	Q_GK_PRUNE,
	Q_SERVED_SEEN,
	Q_SERVED_DROP,
	Q_GK_CUR,
	Q_GK_ALL,
	Q_GK_HAS,
	Q_ACK_PUT,
	Q_REPORT,
	__Q_MAX
};

#define GK_COLS "group_id, epoch, key, valid_from, valid_until, created"
#define HAS_MEMBERS \
	"EXISTS (SELECT 1 FROM members m WHERE m.group_id = served.group_id " \
	"AND m.gateway = served.gateway)"

static const char *const queries[__Q_MAX] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_MEM_INS] = "INSERT INTO members (group_id, gateway, pne_id, "
		      "added_at) VALUES (?1, ?2, ?3, ?4)",
	[Q_MEM_DEL] = "DELETE FROM members "
		      "WHERE group_id = ?1 AND gateway = ?2 AND pne_id = ?3",
	[Q_MEM_LIST] = "SELECT group_id, gateway, pne_id, added_at "
		       "FROM members WHERE (?1 = 0 OR group_id = ?1) "
		       "AND (?2 IS NULL OR gateway = ?2) "
		       "ORDER BY group_id, gateway, pne_id",
	[Q_GW_LIST] = "SELECT gateway FROM served WHERE group_id = ?1 "
		      "ORDER BY gateway",
	[Q_LAST] = "SELECT epoch FROM epochs WHERE group_id = ?1",
	[Q_GK_INS] = "INSERT INTO gks (" GK_COLS ") "
		     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* Keeps the new key (?2) and the one before it. */
	[Q_GK_PRUNE] = "DELETE FROM gks WHERE group_id = ?1 AND epoch < "
		       "(SELECT epoch FROM gks WHERE group_id = ?1 "
		       "AND epoch < ?2 ORDER BY epoch DESC LIMIT 1)",
	[Q_SERVED_SEEN] = "UPDATE served SET seen = ?2 "
			  "WHERE group_id = ?1 AND " HAS_MEMBERS,
	[Q_SERVED_DROP] = "DELETE FROM served WHERE group_id = ?1 "
			  "AND seen < ?2 AND NOT " HAS_MEMBERS,
	[Q_GK_CUR] = "SELECT " GK_COLS " FROM gks WHERE group_id = ?1 "
		     "ORDER BY epoch DESC LIMIT 1",
	[Q_GK_ALL] = "SELECT " GK_COLS " FROM gks g WHERE epoch = "
		     "(SELECT max(epoch) FROM gks WHERE group_id = g.group_id) "
		     "ORDER BY group_id",
	[Q_GK_HAS] = "SELECT 1 FROM gks WHERE group_id = ?1 AND epoch = ?2",
	[Q_ACK_PUT] = "INSERT INTO acks (group_id, epoch, gateway, pne_id, "
		      "status, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		      "ON CONFLICT (group_id, epoch, gateway, pne_id) "
		      "DO UPDATE SET status = excluded.status, at = excluded.at",
	/*
	 * Every gateway with members has a served row; '' (the gateway's
	 * own row) sorts before every PNE id.
	 */
	[Q_REPORT] = "SELECT s.gateway, '', a.status, a.at FROM served s "
		     "LEFT JOIN acks a ON a.group_id = s.group_id "
		     "AND a.epoch = ?2 AND a.gateway = s.gateway "
		     "AND a.pne_id = '' WHERE s.group_id = ?1 "
		     "UNION ALL "
		     "SELECT m.gateway, m.pne_id, a.status, a.at FROM members m "
		     "LEFT JOIN acks a ON a.group_id = m.group_id "
		     "AND a.epoch = ?2 AND a.gateway = m.gateway "
		     "AND a.pne_id = m.pne_id WHERE m.group_id = ?1 "
		     "ORDER BY 1, 2",
};

struct srvstore {
	sqlite3 *db;
	sqlite3_stmt *q[__Q_MAX];
	char path[SQLFILE_PATH_MAX];
	char err[512];
};

static int __attribute__((format(printf, 5, 6)))
fail(struct srvstore *st, char *err, size_t len, int ret, const char *fmt,
     ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (st)
		snprintf(st->err, sizeof(st->err), "%s", buf);
	if (err && len)
		snprintf(err, len, "%s", buf);
	return ret;
}

static int sql_fail(struct srvstore *st, char *err, size_t len, int rc,
		    const char *what)
{
	return fail(st, err, len, sqlfile_errno(rc), "%s: %s: %s", st->path,
		    what, sqlite3_errmsg(st->db));
}

static int tx_begin(struct srvstore *st, char *err, size_t len,
		    const char *what)
{
	int rc = sqlfile_run(st->q[Q_BEGIN]);

	return rc ? sql_fail(st, err, len, rc, what) : 0;
}

static void tx_rollback(struct srvstore *st)
{
	/* A failed COMMIT may already have rolled back. */
	if (!sqlite3_get_autocommit(st->db))
		sqlfile_run(st->q[Q_ROLLBACK]);
}

/* Commits on @ret 0 (returning once on disk), rolls back otherwise. */
static int tx_end(struct srvstore *st, int ret, char *err, size_t len,
		  const char *what)
{
	int rc;

	if (ret) {
		tx_rollback(st);
		return ret;
	}
	rc = sqlfile_run(st->q[Q_COMMIT]);
	if (!rc)
		return 0;
	ret = sql_fail(st, err, len, rc, what);
	tx_rollback(st);
	return ret;
}

/* ---- opening ---- */

int srvstore_open(const char *path, struct srvstore **out, char *err,
		  size_t len)
{
	static const struct sqlfile_schema schema = {
		.app_id = SRVSTORE_APP_ID,
		.what = "cpnsd server database",
		.migrations = migrations,
		.n_migrations = (int)ARRAY_SIZE(migrations),
	};
	struct srvstore *st;
	int ret = 0, rc, i;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return fail(NULL, err, len, -ENOMEM, "out of memory");
	ret = sqlfile_open(path, &schema, &st->db, err, len);
	if (ret)
		goto fail;
	snprintf(st->path, sizeof(st->path), "%s", path);
	for (i = 0; i < __Q_MAX; i++) {
		rc = sqlite3_prepare_v3(st->db, queries[i], -1,
					SQLITE_PREPARE_PERSISTENT, &st->q[i],
					NULL);
		if (rc) {
			ret = sql_fail(st, err, len, rc, queries[i]);
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	srvstore_close(st);
	return ret;
}

void srvstore_close(struct srvstore *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < __Q_MAX; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	free(st);
}

const char *srvstore_errmsg(const struct srvstore *st)
{
	return st->err;
}

/* ---- checks of what callers pass ---- */

/* As msg.h's PNE id: 1..64 bytes of [A-Za-z0-9._:-]. */
static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 1 && n <= SRV_NAME_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._:-") == n;
}

/* A refused name is never printed: it may be whatever a peer sent. */
static int check_names(struct srvstore *st, uint32_t group,
		       const char *pne_id, const char *gateway, char *err,
		       size_t len)
{
	if (!group)
		return fail(st, err, len, -EINVAL,
			    "group 0: groups are 1..4294967295");
	if (pne_id && !name_ok(pne_id))
		return fail(st, err, len, -EINVAL,
			    "group %u: PNE (invalid id): ids are 1..%d of [A-Za-z0-9._:-]",
			    group, SRV_NAME_MAX);
	if (!name_ok(gateway))
		return fail(st, err, len, -EINVAL,
			    "group %u: gateway (invalid name): names are 1..%d of [A-Za-z0-9._:-]",
			    group, SRV_NAME_MAX);
	return 0;
}

/* SQLite integers are signed: epochs stop at 2^63 - 1. */
static int check_epoch(struct srvstore *st, uint32_t group, uint64_t epoch,
		       char *err, size_t len)
{
	if (!group)
		return fail(st, err, len, -EINVAL,
			    "group 0: groups are 1..4294967295");
	if (!epoch || epoch > INT64_MAX)
		return fail(st, err, len, -EINVAL,
			    "group %u: epoch %llu outside 1..%lld", group,
			    (unsigned long long)epoch, (long long)INT64_MAX);
	return 0;
}

/* ---- membership ---- */

int srvstore_member_add(struct srvstore *st, uint32_t group,
			const char *pne_id, const char *gateway, char *err,
			size_t len)
{
	sqlite3_stmt *s = st->q[Q_MEM_INS];
	int ret, rc;

	ret = check_names(st, group, pne_id ? pne_id : "", gateway, err,
			  len);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_text(s, 2, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, pne_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
	/* One statement, with its trigger: one transaction. */
	rc = sqlfile_run(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return fail(st, err, len, -EEXIST,
			    "group %u: PNE %s at gateway %s: already a member",
			    group, pne_id, gateway);
	if (rc)
		return fail(st, err, len, sqlfile_errno(rc),
			    "group %u: PNE %s at gateway %s: add: %s", group,
			    pne_id, gateway, sqlite3_errmsg(st->db));
	return 0;
}

int srvstore_member_del(struct srvstore *st, uint32_t group,
			const char *pne_id, const char *gateway, char *err,
			size_t len)
{
	sqlite3_stmt *s = st->q[Q_MEM_DEL];
	int ret, rc;

	ret = check_names(st, group, pne_id ? pne_id : "", gateway, err,
			  len);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_text(s, 2, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, pne_id, -1, SQLITE_STATIC);
	rc = sqlfile_run(s);
	if (rc)
		return fail(st, err, len, sqlfile_errno(rc),
			    "group %u: PNE %s at gateway %s: delete: %s",
			    group, pne_id, gateway, sqlite3_errmsg(st->db));
	if (!sqlite3_changes(st->db))
		return fail(st, err, len, -ENOENT,
			    "group %u: PNE %s at gateway %s: not a member",
			    group, pne_id, gateway);
	return 0;
}

static void text_col(sqlite3_stmt *s, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

int srvstore_member_foreach(struct srvstore *st, uint32_t group,
			    const char *gateway,
			    int (*fn)(const struct srv_member *m, void *arg),
			    void *arg)
{
	sqlite3_stmt *s = st->q[Q_MEM_LIST];
	struct srv_member m;
	int rc, ret = 0;

	if (gateway && !name_ok(gateway))
		return fail(st, NULL, 0, -EINVAL,
			    "gateway (invalid name): names are 1..%d of [A-Za-z0-9._:-]",
			    SRV_NAME_MAX);
	sqlite3_bind_int64(s, 1, group);
	if (gateway)
		sqlite3_bind_text(s, 2, gateway, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.group = (uint32_t)sqlite3_column_int64(s, 0);
		text_col(s, 1, m.gateway, sizeof(m.gateway));
		text_col(s, 2, m.pne_id, sizeof(m.pne_id));
		m.added_at = (uint64_t)sqlite3_column_int64(s, 3);
		ret = fn(&m, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, "listing members");
	sqlfile_done(s);
	return ret;
}

int srvstore_group_gateways(struct srvstore *st, uint32_t group,
			    int (*fn)(const char *gateway, void *arg),
			    void *arg)
{
	sqlite3_stmt *s = st->q[Q_GW_LIST];
	char gw[SRV_NAME_MAX + 1];
	int rc, ret = 0;

	if (!group)
		return fail(st, NULL, 0, -EINVAL,
			    "group 0: groups are 1..4294967295");
	sqlite3_bind_int64(s, 1, group);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		text_col(s, 0, gw, sizeof(gw));
		ret = fn(gw, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, "listing a group's gateways");
	sqlfile_done(s);
	return ret;
}

/* ---- Group Keys ---- */

static int last_epoch(struct srvstore *st, uint32_t group, uint64_t *epoch,
		      char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_LAST];
	int rc, ret = 0;

	*epoch = 0;
	sqlite3_bind_int64(s, 1, group);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*epoch = (uint64_t)sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		ret = sql_fail(st, err, len, rc, "reading a group's last epoch");
	sqlfile_done(s);
	return ret;
}

int srvstore_gk_last_epoch(struct srvstore *st, uint32_t group,
			   uint64_t *epoch)
{
	if (!group)
		return fail(st, NULL, 0, -EINVAL,
			    "group 0: groups are 1..4294967295");
	return last_epoch(st, group, epoch, NULL, 0);
}

static int step_run(sqlite3_stmt *s, uint32_t group, uint64_t val)
{
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)val);
	return sqlfile_run(s);
}

/*
 * The key is bound SQLITE_STATIC and unbound before we return: SQLite
 * then makes no heap copy of it, which it would free without wiping.
 */
int srvstore_gk_put(struct srvstore *st, const struct srv_gk *gk,
		    char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_GK_INS];
	uint64_t last;
	int ret, rc;

	ret = check_epoch(st, gk->group, gk->epoch, err, len);
	if (ret)
		return ret;
	ret = tx_begin(st, err, len, "issuing a Group Key");
	if (ret)
		return ret;
	ret = last_epoch(st, gk->group, &last, err, len);
	if (ret)
		goto out;
	if (gk->epoch <= last) {
		ret = fail(st, err, len, -ESTALE,
			   "group %u: epoch %llu is not above its last epoch %llu",
			   gk->group, (unsigned long long)gk->epoch,
			   (unsigned long long)last);
		goto out;
	}
	sqlite3_bind_int64(s, 1, gk->group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)gk->epoch);
	sqlite3_bind_blob(s, 3, gk->key, SRV_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)gk->valid_from);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)gk->valid_until);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)gk->created);
	rc = sqlfile_run(s);
	/* Gateways with members see this epoch; the others' turn is over. */
	if (!rc)
		rc = step_run(st->q[Q_SERVED_SEEN], gk->group, gk->epoch);
	if (!rc)
		rc = step_run(st->q[Q_SERVED_DROP], gk->group,
			      last ? last : gk->epoch);
	if (!rc)
		rc = step_run(st->q[Q_GK_PRUNE], gk->group, gk->epoch);
	if (rc)
		ret = fail(st, err, len, sqlfile_errno(rc),
			   "group %u: epoch %llu: %s", gk->group,
			   (unsigned long long)gk->epoch,
			   sqlite3_errmsg(st->db));
out:
	ret = tx_end(st, ret, err, len, "issuing a Group Key");
	/*
	 * The deleted key's page images are still in the WAL: a truncating
	 * checkpoint moves the zeroed pages into the database and empties
	 * it.  Best effort: a reader may hold it back.
	 */
	if (!ret)
		sqlite3_wal_checkpoint_v2(st->db, NULL,
					  SQLITE_CHECKPOINT_TRUNCATE, NULL,
					  NULL);
	return ret;
}

static int gk_row(struct srvstore *st, sqlite3_stmt *s, struct srv_gk *gk)
{
	memset(gk, 0, sizeof(*gk));
	gk->group = (uint32_t)sqlite3_column_int64(s, 0);
	gk->epoch = (uint64_t)sqlite3_column_int64(s, 1);
	if (sqlite3_column_bytes(s, 2) != SRV_KEY_LEN)
		return fail(st, NULL, 0, -EIO,
			    "%s: group %u epoch %llu: key not %d bytes",
			    st->path, gk->group,
			    (unsigned long long)gk->epoch, SRV_KEY_LEN);
	memcpy(gk->key, sqlite3_column_blob(s, 2), SRV_KEY_LEN);
	gk->valid_from = (uint64_t)sqlite3_column_int64(s, 3);
	gk->valid_until = (uint64_t)sqlite3_column_int64(s, 4);
	gk->created = (uint64_t)sqlite3_column_int64(s, 5);
	return 0;
}

int srvstore_gk_current(struct srvstore *st, uint32_t group,
			struct srv_gk *gk)
{
	sqlite3_stmt *s = st->q[Q_GK_CUR];
	int rc, ret;

	if (!group)
		return fail(st, NULL, 0, -EINVAL,
			    "group 0: groups are 1..4294967295");
	sqlite3_bind_int64(s, 1, group);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = gk_row(st, s, gk);
	else if (rc == SQLITE_DONE)
		ret = fail(st, NULL, 0, -ENOENT, "group %u: no Group Key",
			   group);
	else
		ret = sql_fail(st, NULL, 0, rc, "reading a Group Key");
	sqlfile_done(s);
	return ret;
}

int srvstore_gk_foreach(struct srvstore *st,
			int (*fn)(const struct srv_gk *gk, void *arg),
			void *arg)
{
	sqlite3_stmt *s = st->q[Q_GK_ALL];
	struct srv_gk gk;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = gk_row(st, s, &gk);
		if (!ret)
			ret = fn(&gk, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, "listing Group Keys");
	sqlfile_done(s);
	OPENSSL_cleanse(&gk, sizeof(gk));
	return ret;
}

/* 1 when @epoch of @group has its key, 0 when not, or -errno. */
static int gk_has(struct srvstore *st, uint32_t group, uint64_t epoch,
		  char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_GK_HAS];
	int rc, ret;

	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)epoch);
	rc = sqlite3_step(s);
	ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
		sql_fail(st, err, len, rc, "reading a Group Key");
	sqlfile_done(s);
	return ret;
}

/* Why @epoch of @group has no key: never issued, or retired. */
static int no_key(struct srvstore *st, uint32_t group, uint64_t epoch,
		  char *err, size_t len)
{
	uint64_t last;
	int ret;

	ret = last_epoch(st, group, &last, err, len);
	if (ret)
		return ret;
	if (epoch > last)
		return fail(st, err, len, -ENOENT,
			    "group %u: epoch %llu was never issued", group,
			    (unsigned long long)epoch);
	return fail(st, err, len, -ESTALE,
		    "group %u: epoch %llu is retired (last %llu)", group,
		    (unsigned long long)epoch, (unsigned long long)last);
}

int srvstore_ack_put(struct srvstore *st, uint32_t group, uint64_t epoch,
		     const char *gateway, const char *pne_id,
		     uint16_t status, uint64_t at, char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_ACK_PUT];
	int ret, rc;

	if (pne_id && !*pne_id)
		pne_id = NULL;
	ret = check_epoch(st, group, epoch, err, len);
	if (!ret)
		ret = check_names(st, group, pne_id, gateway, err, len);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)epoch);
	sqlite3_bind_text(s, 3, gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, pne_id ? pne_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, status);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)at);
	/* One statement: the key's existence is checked by its foreign key. */
	rc = sqlfile_run(s);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return no_key(st, group, epoch, err, len);
	if (rc)
		return fail(st, err, len, sqlfile_errno(rc),
			    "group %u: epoch %llu: answer of %s%s%s: %s", group,
			    (unsigned long long)epoch, gateway,
			    pne_id ? "/" : "", pne_id ? pne_id : "",
			    sqlite3_errmsg(st->db));
	return 0;
}

int srvstore_delivery_foreach(struct srvstore *st, uint32_t group,
			      uint64_t epoch,
			      int (*fn)(const struct srv_delivery *dl,
					void *arg),
			      void *arg)
{
	sqlite3_stmt *s = st->q[Q_REPORT];
	struct srv_delivery dl;
	int rc, ret;

	ret = check_epoch(st, group, epoch, NULL, 0);
	if (ret)
		return ret;
	ret = gk_has(st, group, epoch, NULL, 0);
	if (ret <= 0)
		return ret ?: no_key(st, group, epoch, NULL, 0);
	ret = 0;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)epoch);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&dl, 0, sizeof(dl));
		dl.group = group;
		dl.epoch = epoch;
		text_col(s, 0, dl.gateway, sizeof(dl.gateway));
		text_col(s, 1, dl.pne_id, sizeof(dl.pne_id));
		if (sqlite3_column_type(s, 2) == SQLITE_NULL) {
			dl.state = SRV_DLV_MISSING;
		} else {
			dl.status = (uint16_t)sqlite3_column_int(s, 2);
			dl.at = (uint64_t)sqlite3_column_int64(s, 3);
			dl.state = dl.status == CPNS_ST_OK ? SRV_DLV_ACKED :
				SRV_DLV_REFUSED;
		}
		ret = fn(&dl, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, "reading a delivery report");
	sqlfile_done(s);
	return ret;
}
