/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the gateway's and the server's SQLite stores share: opening a
 * database file that holds secrets (its ownership and mode checked, created
 * 0600), the connection's settings, and the schema's versioned migrations.
 * Documentation/daemon.rst, "State and crash safety".
 */
#ifndef CPNSD_SQLFILE_H
#define CPNSD_SQLFILE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define SQLFILE_PATH_MAX	4096

struct sqlfile_schema {
	uint32_t app_id;		/* PRAGMA application_id */
	const char *what;		/* "cpnsd database", in refusals */
	/*
	 * migrations[v] takes the schema from version v to v + 1; the
	 * number of them is the program's schema version.
	 */
	const char *const *migrations;
	int n_migrations;
};

/*
 * Opens (creating 0600) the database at @path and brings its schema to
 * the newest version.  -EPERM a file (or its -wal, -shm) not owned by the
 * effective uid or open to group or others, -ELOOP a symbolic link,
 * -EINVAL not a regular file or another application's database, -ENOTSUP
 * a schema newer than @schema.  On failure *@db is NULL and @err (may be
 * NULL) has the reason.
 */
int sqlfile_open(const char *path, const struct sqlfile_schema *schema,
		 sqlite3 **db, char *err, size_t len);

/*
 * SQLITE_FULL (disk full) is -EIO, not -ENOSPC: to store_pne_assign's
 * caller -ENOSPC means "the set is full, start a new one".
 */
int sqlfile_errno(int rc);

/* Leaves the statement ready for its next use, with no value bound. */
static inline void sqlfile_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Runs a statement that returns no row: SQLITE_OK or the error. */
static inline int sqlfile_run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlfile_done(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

#endif /* CPNSD_SQLFILE_H */
