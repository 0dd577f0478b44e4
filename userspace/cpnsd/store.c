// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's durable state in SQLite (Documentation/daemon.rst, "State
 * and crash safety").  The schema carries the invariants itself (slots
 * handed out once, lowest first; states only move forward; a revoked PNE
 * stays revoked), so that a bug here aborts a transaction instead of
 * handing one slot to two PNEs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keytree.h"
#include "sqlfile.h"
#include "store.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* "CPNS": lets open refuse another program's SQLite file. */
#define STORE_APP_ID	0x43504e53

/*
 * Version 1.  Slots (keytree.h): 0 FREE is the absence of a row, 1
 * ASSIGNED, 2 REVOKED.  PNE states are enum store_pne_state.
 *
 * kms keeps every set ever made, the current one being the highest
 * set_id: the rows keep set ids growing, and the PNEs revoked in an old
 * set keep pointing at their burnt slot.  An old set's master secret is
 * erased when its successor is stored: its GKDKs are refused from then on
 * (keys.rst, "Slot table"), so nothing needs it, and a kept secret is one
 * more to leak.
 *
 * kms.next_slot is the lowest slot of the set never handed out: slots are
 * never reused, so assignment is a counter, not a search, and the
 * triggers make the counter the only way to get a slot.
 */
static const char schema_v1[] =
"PRAGMA application_id = 1129336403;\n"	/* STORE_APP_ID */
"CREATE TABLE kms (\n"
"	set_id     INTEGER PRIMARY KEY CHECK (set_id BETWEEN 0 AND 4294967295),\n"
"	gateway_id INTEGER NOT NULL,\n"
"	height     INTEGER NOT NULL CHECK (height BETWEEN 1 AND 20),\n"
"	master     BLOB CHECK (master IS NULL OR\n"
"			(typeof(master) = 'blob' AND length(master) = 32)),\n"
"	next_slot  INTEGER NOT NULL DEFAULT 0\n"
"			CHECK (next_slot BETWEEN 0 AND (1 << height))\n"
");\n"
"CREATE TRIGGER kms_insert BEFORE INSERT ON kms\n"
"WHEN NEW.set_id <= (SELECT max(set_id) FROM kms) OR NEW.next_slot != 0\n"
"	OR NEW.master IS NULL\n"
"BEGIN SELECT RAISE(ABORT, 'a new set has a master, a set id above every earlier one, no slot used'); END;\n"
"CREATE TRIGGER kms_update BEFORE UPDATE ON kms\n"
"WHEN NEW.set_id IS NOT OLD.set_id OR NEW.gateway_id IS NOT OLD.gateway_id\n"
"	OR NEW.height IS NOT OLD.height OR NEW.next_slot < OLD.next_slot\n"
"	OR (NEW.master IS NOT OLD.master AND (NEW.master IS NOT NULL\n"
"		OR OLD.set_id = (SELECT max(set_id) FROM kms)))\n"
"BEGIN SELECT RAISE(ABORT, 'a set only uses more slots, and only an old set loses its master'); END;\n"
"CREATE TRIGGER kms_delete BEFORE DELETE ON kms\n"
"BEGIN SELECT RAISE(ABORT, 'a key material set is never deleted'); END;\n"
"CREATE TABLE slots (\n"
"	set_id INTEGER NOT NULL REFERENCES kms (set_id),\n"
"	slot   INTEGER NOT NULL CHECK (slot >= 0),\n"
"	state  INTEGER NOT NULL CHECK (state IN (1, 2)),\n"
"	pne_id TEXT NOT NULL,\n"
"	PRIMARY KEY (set_id, slot)\n"
") WITHOUT ROWID;\n"
"CREATE TRIGGER slots_insert BEFORE INSERT ON slots\n"
"WHEN NEW.state != 1 OR NEW.set_id IS NOT (SELECT max(set_id) FROM kms)\n"
"	OR NEW.slot IS NOT (SELECT next_slot FROM kms WHERE set_id = NEW.set_id)\n"
"BEGIN SELECT RAISE(ABORT, 'a slot is handed out once, lowest first, from the current set'); END;\n"
"CREATE TRIGGER slots_count AFTER INSERT ON slots\n"
"BEGIN UPDATE kms SET next_slot = NEW.slot + 1 WHERE set_id = NEW.set_id; END;\n"
"CREATE TRIGGER slots_update BEFORE UPDATE ON slots\n"
"WHEN NEW.set_id IS NOT OLD.set_id OR NEW.slot IS NOT OLD.slot\n"
"	OR NEW.pne_id IS NOT OLD.pne_id\n"
"	OR NOT (NEW.state = OLD.state OR (OLD.state = 1 AND NEW.state = 2))\n"
"BEGIN SELECT RAISE(ABORT, 'a slot only moves from assigned to revoked'); END;\n"
"CREATE TRIGGER slots_revoke AFTER UPDATE OF state ON slots\n"
"WHEN NEW.state = 2\n"
"BEGIN UPDATE pnes SET state = 2\n"
"	WHERE set_id = NEW.set_id AND slot = NEW.slot; END;\n"
"CREATE TRIGGER slots_delete BEFORE DELETE ON slots\n"
"BEGIN SELECT RAISE(ABORT, 'a slot is never freed'); END;\n"
"CREATE TABLE pnes (\n"
"	id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64\n"
"			AND id NOT GLOB '*[^A-Za-z0-9._:-]*'),\n"
"	eu_key_file TEXT NOT NULL CHECK (substr(eu_key_file, 1, 1) = '/'\n"
"			AND length(CAST(eu_key_file AS BLOB)) < 4096),\n"
"	state       INTEGER NOT NULL CHECK (state IN (0, 1, 2)),\n"
"	set_id      INTEGER,\n"
"	slot        INTEGER,\n"
"	assigned_at INTEGER,\n"
"	UNIQUE (set_id, slot),\n"
"	FOREIGN KEY (set_id, slot) REFERENCES slots (set_id, slot),\n"
"	CHECK ((set_id IS NULL) = (slot IS NULL)),\n"
"	CHECK (state != 0 OR set_id IS NULL),\n"
"	CHECK (state != 1 OR (set_id IS NOT NULL AND assigned_at IS NOT NULL))\n"
") WITHOUT ROWID;\n"
/*
 * What a PNE holds is the slot handed to it, assigned in the current set
 * or burnt; a revoked PNE never leaves that state nor its slot.
 */
"CREATE TRIGGER pnes_insert BEFORE INSERT ON pnes WHEN NEW.state != 0\n"
"BEGIN SELECT RAISE(ABORT, 'a new PNE holds no slot'); END;\n"
"CREATE TRIGGER pnes_update BEFORE UPDATE ON pnes\n"
"WHEN NEW.id IS NOT OLD.id\n"
"	OR (OLD.state = 2 AND (NEW.state != 2 OR NEW.set_id IS NOT OLD.set_id\n"
"		OR NEW.slot IS NOT OLD.slot))\n"
"	OR (NEW.state = 1 AND (NEW.set_id IS NOT (SELECT max(set_id) FROM kms)\n"
"		OR NOT EXISTS (SELECT 1 FROM slots WHERE set_id = NEW.set_id\n"
"			AND slot = NEW.slot AND state = 1 AND pne_id = NEW.id)))\n"
"	OR (NEW.state = 2 AND NEW.set_id IS NOT NULL AND NOT EXISTS (\n"
"		SELECT 1 FROM slots WHERE set_id = NEW.set_id\n"
"			AND slot = NEW.slot AND state = 2 AND pne_id = NEW.id))\n"
"BEGIN SELECT RAISE(ABORT, 'a PNE holds the slot handed to it; a revoked PNE stays revoked'); END;\n"
"CREATE TABLE signkey (\n"
"	id   INTEGER PRIMARY KEY CHECK (id = 1),\n"
"	seed BLOB NOT NULL CHECK (typeof(seed) = 'blob' AND length(seed) = 32)\n"
");\n"
"CREATE TRIGGER signkey_update BEFORE UPDATE ON signkey\n"
"BEGIN SELECT RAISE(ABORT, 'the signing key is never replaced'); END;\n"
"CREATE TRIGGER signkey_delete BEFORE DELETE ON signkey\n"
"BEGIN SELECT RAISE(ABORT, 'the signing key is never deleted'); END;\n";

/*
 * Version 2: figure b.  gks holds each group's current Group Key as the
 * CPNS Server sent it (one row a group: an older key is of no use to the
 * gateway, and replacing the row overwrites it); gk_members the group's
 * members at this gateway; gk_excluded the PNEs that left a group, with
 * the epoch that excluded them, until they are members again; gk_acks
 * which PNEs installed the current epoch.  A key is 32 bytes; an epoch
 * only grows and keeps its key; a PNE is a member or excluded, never
 * both; only the current epoch is acknowledged, and a new epoch drops
 * the old one's acknowledgements.
 */
#define ID_OK(col) \
	"length(" col ") BETWEEN 1 AND 64 AND " col \
	" NOT GLOB '*[^A-Za-z0-9._:-]*'"

static const char schema_v2[] =
"CREATE TABLE gks (\n"
"	group_id    INTEGER PRIMARY KEY\n"
"			CHECK (group_id BETWEEN 1 AND 4294967295),\n"
"	epoch       INTEGER NOT NULL CHECK (epoch >= 1),\n"
"	key         BLOB NOT NULL CHECK (typeof(key) = 'blob'\n"
"			AND length(key) = 32),\n"
"	valid_from  INTEGER NOT NULL,\n"
"	valid_until INTEGER NOT NULL\n"
");\n"
"CREATE TRIGGER gks_update BEFORE UPDATE ON gks\n"
"WHEN NEW.group_id IS NOT OLD.group_id OR NEW.epoch < OLD.epoch\n"
"	OR (NEW.epoch = OLD.epoch AND (NEW.key IS NOT OLD.key\n"
"		OR NEW.valid_from IS NOT OLD.valid_from\n"
"		OR NEW.valid_until IS NOT OLD.valid_until))\n"
"BEGIN SELECT RAISE(ABORT, 'a group''s epoch only grows, and an epoch keeps its key'); END;\n"
"CREATE TRIGGER gks_delete BEFORE DELETE ON gks\n"
"BEGIN SELECT RAISE(ABORT, 'a group''s key is replaced, never deleted'); END;\n"
"CREATE TRIGGER gks_new_epoch AFTER UPDATE OF epoch ON gks\n"
"WHEN NEW.epoch > OLD.epoch\n"
"BEGIN DELETE FROM gk_acks WHERE group_id = NEW.group_id\n"
"	AND epoch < NEW.epoch; END;\n"
"CREATE TABLE gk_members (\n"
"	group_id INTEGER NOT NULL REFERENCES gks (group_id),\n"
"	pne_id   TEXT NOT NULL CHECK (" ID_OK("pne_id") "),\n"
"	PRIMARY KEY (group_id, pne_id)\n"
") WITHOUT ROWID;\n"
"CREATE TABLE gk_excluded (\n"
"	pne_id   TEXT NOT NULL CHECK (" ID_OK("pne_id") "),\n"
"	group_id INTEGER NOT NULL REFERENCES gks (group_id),\n"
"	epoch    INTEGER NOT NULL CHECK (epoch >= 1),\n"
"	PRIMARY KEY (pne_id, group_id)\n"
") WITHOUT ROWID;\n"
/* Leaving a group is an exclusion at its current epoch; joining ends it. */
"CREATE TRIGGER gk_members_leave AFTER DELETE ON gk_members\n"
"BEGIN INSERT INTO gk_excluded (pne_id, group_id, epoch)\n"
"	VALUES (OLD.pne_id, OLD.group_id,\n"
"		(SELECT epoch FROM gks WHERE group_id = OLD.group_id))\n"
"	ON CONFLICT (pne_id, group_id) DO UPDATE SET epoch = excluded.epoch;\n"
"END;\n"
"CREATE TRIGGER gk_members_join AFTER INSERT ON gk_members\n"
"BEGIN DELETE FROM gk_excluded WHERE pne_id = NEW.pne_id\n"
"	AND group_id = NEW.group_id; END;\n"
"CREATE TRIGGER gk_members_update BEFORE UPDATE ON gk_members\n"
"BEGIN SELECT RAISE(ABORT, 'a member joins or leaves, it is not renamed'); END;\n"
"CREATE TRIGGER gk_excluded_insert BEFORE INSERT ON gk_excluded\n"
"WHEN EXISTS (SELECT 1 FROM gk_members WHERE group_id = NEW.group_id\n"
"	AND pne_id = NEW.pne_id)\n"
"	OR NEW.epoch IS NOT (SELECT epoch FROM gks WHERE group_id = NEW.group_id)\n"
"BEGIN SELECT RAISE(ABORT, 'a PNE is excluded by its group''s current epoch, and is not a member'); END;\n"
"CREATE TRIGGER gk_excluded_update BEFORE UPDATE ON gk_excluded\n"
"WHEN NEW.pne_id IS NOT OLD.pne_id OR NEW.group_id IS NOT OLD.group_id\n"
"	OR NEW.epoch IS NOT (SELECT epoch FROM gks WHERE group_id = NEW.group_id)\n"
"BEGIN SELECT RAISE(ABORT, 'a PNE is excluded by its group''s current epoch'); END;\n"
"CREATE TABLE gk_acks (\n"
"	group_id INTEGER NOT NULL REFERENCES gks (group_id),\n"
"	epoch    INTEGER NOT NULL,\n"
"	pne_id   TEXT NOT NULL CHECK (" ID_OK("pne_id") "),\n"
"	PRIMARY KEY (group_id, epoch, pne_id)\n"
") WITHOUT ROWID;\n"
"CREATE TRIGGER gk_acks_insert BEFORE INSERT ON gk_acks\n"
"WHEN NEW.epoch IS NOT (SELECT epoch FROM gks WHERE group_id = NEW.group_id)\n"
"BEGIN SELECT RAISE(ABORT, 'only the current epoch is acknowledged'); END;\n"
"CREATE TRIGGER gk_acks_update BEFORE UPDATE ON gk_acks\n"
"BEGIN SELECT RAISE(ABORT, 'an acknowledgement is not changed'); END;\n";

/*
 * migrations[v] takes the schema from version v to v + 1, in one
 * transaction of its own with the user_version update.  Append only.
 */
static const char *const migrations[] = {
	schema_v1,
	schema_v2,
};

#define STORE_SCHEMA_VERSION	((int)ARRAY_SIZE(migrations))

enum {
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_KMS_CUR,
	Q_KMS_INS,
	Q_KMS_RETIRE,
	Q_PNE_RESET,
	Q_SIGN_GET,
	Q_SIGN_INS,
	Q_PNE_INS,
	Q_PNE_GET,
	Q_PNE_ALL,
	Q_PNE_DEL,
	Q_PNE_REVOKE,
	Q_PNE_SET,
	Q_SLOT_INS,
	Q_SLOT_REVOKE,
	Q_SLOT_COUNT,
	Q_GK_GET,
	Q_GK_ALL,
	Q_GK_INS,
	Q_GK_NEW,
	Q_GK_LEAVE,
	Q_GK_JOIN,
	Q_GK_MEMBERS,
	Q_GK_IS_MEMBER,
	Q_GK_EXCLUDED,
	Q_GK_ACK,
	Q_GK_ACKED,
	Q_GK_ACKS,
	__Q_MAX
};

#define PNE_COLS "id, eu_key_file, state, set_id, slot, assigned_at"
#define GK_COLS "group_id, epoch, key, valid_from, valid_until"

static const char *const queries[__Q_MAX] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_KMS_CUR] = "SELECT set_id, gateway_id, height, master, next_slot "
		      "FROM kms ORDER BY set_id DESC LIMIT 1",
	[Q_KMS_INS] = "INSERT INTO kms (set_id, gateway_id, height, master) "
		      "VALUES (?1, ?2, ?3, ?4)",
	[Q_KMS_RETIRE] = "UPDATE kms SET master = NULL "
			 "WHERE set_id < ?1 AND master IS NOT NULL",
	[Q_PNE_RESET] = "UPDATE pnes SET state = 0, set_id = NULL, "
			"slot = NULL, assigned_at = NULL WHERE state = 1",
	[Q_SIGN_GET] = "SELECT seed FROM signkey WHERE id = 1",
	[Q_SIGN_INS] = "INSERT INTO signkey (id, seed) VALUES (1, ?1)",
	[Q_PNE_INS] = "INSERT INTO pnes (id, eu_key_file, state) "
		      "VALUES (?1, ?2, 0)",
	[Q_PNE_GET] = "SELECT " PNE_COLS " FROM pnes WHERE id = ?1",
	[Q_PNE_ALL] = "SELECT " PNE_COLS " FROM pnes ORDER BY id",
	[Q_PNE_DEL] = "DELETE FROM pnes WHERE id = ?1",
	[Q_PNE_REVOKE] = "UPDATE pnes SET state = 2 WHERE id = ?1",
	[Q_PNE_SET] = "UPDATE pnes SET state = 1, set_id = ?2, slot = ?3, "
		      "assigned_at = ?4 WHERE id = ?1",
	[Q_SLOT_INS] = "INSERT INTO slots (set_id, slot, state, pne_id) "
		       "VALUES (?1, ?2, 1, ?3)",
	[Q_SLOT_REVOKE] = "UPDATE slots SET state = 2 "
			  "WHERE set_id = ?1 AND slot = ?2",
	[Q_SLOT_COUNT] = "SELECT state, count(*) FROM slots "
			 "WHERE set_id = ?1 GROUP BY state",
	[Q_GK_GET] = "SELECT " GK_COLS " FROM gks WHERE group_id = ?1",
	[Q_GK_ALL] = "SELECT " GK_COLS " FROM gks ORDER BY group_id",
	[Q_GK_INS] = "INSERT INTO gks (" GK_COLS ") "
		     "VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_GK_NEW] = "UPDATE gks SET epoch = ?2, key = ?3, valid_from = ?4, "
		     "valid_until = ?5 WHERE group_id = ?1",
	/* ?2: the new members as a JSON array of ids (no quoting needed). */
	[Q_GK_LEAVE] = "DELETE FROM gk_members WHERE group_id = ?1 AND "
		       "pne_id NOT IN (SELECT value FROM json_each(?2))",
	[Q_GK_JOIN] = "INSERT INTO gk_members (group_id, pne_id) "
		      "SELECT ?1, value FROM json_each(?2) WHERE true "
		      "ON CONFLICT (group_id, pne_id) DO NOTHING",
	[Q_GK_MEMBERS] = "SELECT pne_id FROM gk_members WHERE group_id = ?1 "
			 "ORDER BY pne_id",
	[Q_GK_IS_MEMBER] = "SELECT 1 FROM gk_members "
			   "WHERE group_id = ?1 AND pne_id = ?2",
	[Q_GK_EXCLUDED] = "SELECT group_id, epoch FROM gk_excluded "
			  "WHERE pne_id = ?1 ORDER BY group_id",
	[Q_GK_ACK] = "INSERT INTO gk_acks (group_id, epoch, pne_id) "
		     "VALUES (?1, ?2, ?3) "
		     "ON CONFLICT (group_id, epoch, pne_id) DO NOTHING",
	[Q_GK_ACKED] = "SELECT 1 FROM gk_acks "
		       "WHERE group_id = ?1 AND epoch = ?2 AND pne_id = ?3",
	[Q_GK_ACKS] = "SELECT pne_id FROM gk_acks "
		      "WHERE group_id = ?1 AND epoch = ?2 ORDER BY pne_id",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *q[__Q_MAX];
	char path[STORE_PATH_MAX];
	char err[512];
};

/* The current set's row, without its secret. */
struct kms_row {
	uint32_t set_id;
	unsigned int height;
	uint32_t next_slot;
};

/*
 * Formats the reason into @err (if any) and the store's last error;
 * returns @ret so that callers can "return fail(...)".
 */
static int __attribute__((format(printf, 5, 6)))
fail(struct store *st, char *err, size_t len, int ret, const char *fmt, ...)
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

static int sql_fail(struct store *st, char *err, size_t len, int rc,
		    const char *what)
{
	return fail(st, err, len, sqlfile_errno(rc), "%s: %s: %s", st->path,
		    what, sqlite3_errmsg(st->db));
}

static int tx_begin(struct store *st, char *err, size_t len, const char *what)
{
	int rc = sqlfile_run(st->q[Q_BEGIN]);

	return rc ? sql_fail(st, err, len, rc, what) : 0;
}

static void tx_rollback(struct store *st)
{
	/* A failed COMMIT may already have rolled back. */
	if (!sqlite3_get_autocommit(st->db))
		sqlfile_run(st->q[Q_ROLLBACK]);
}

/* Returns once the transaction is on disk (synchronous=FULL). */
static int tx_commit(struct store *st, char *err, size_t len, const char *what)
{
	int rc = sqlfile_run(st->q[Q_COMMIT]);

	if (!rc)
		return 0;
	rc = sql_fail(st, err, len, rc, what);
	tx_rollback(st);
	return rc;
}

/* Ends a transaction on @ret: commits on 0, rolls back otherwise. */
static int tx_end(struct store *st, int ret, char *err, size_t len,
		  const char *what)
{
	if (ret) {
		tx_rollback(st);
		return ret;
	}
	return tx_commit(st, err, len, what);
}

/* ---- opening ---- */

static int prepare(struct store *st, char *err, size_t len)
{
	int rc, i;

	for (i = 0; i < __Q_MAX; i++) {
		rc = sqlite3_prepare_v3(st->db, queries[i], -1,
					SQLITE_PREPARE_PERSISTENT, &st->q[i],
					NULL);
		if (rc)
			return sql_fail(st, err, len, rc, queries[i]);
	}
	return 0;
}

int store_open(const char *path, struct store **out, char *err, size_t len)
{
	static const struct sqlfile_schema schema = {
		.app_id = STORE_APP_ID,
		.what = "cpnsd database",
		.migrations = migrations,
		.n_migrations = STORE_SCHEMA_VERSION,
	};
	struct store *st;
	int ret;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return fail(NULL, err, len, -ENOMEM, "out of memory");
	ret = sqlfile_open(path, &schema, &st->db, err, len);
	if (ret)
		goto fail;
	snprintf(st->path, sizeof(st->path), "%s", path);
	ret = prepare(st, err, len);
	if (ret)
		goto fail;
	*out = st;
	return 0;
fail:
	store_close(st);
	return ret;
}

void store_close(struct store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < __Q_MAX; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	free(st);
}

const char *store_errmsg(const struct store *st)
{
	return st->err;
}

/* ---- key material set and signing key ---- */

/* The current set's row (master copied into @master if not NULL). */
static int kms_current(struct store *st, struct kms_row *row,
		       uint64_t *gateway_id, uint8_t *master)
{
	sqlite3_stmt *s = st->q[Q_KMS_CUR];
	int rc, ret = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = fail(st, NULL, 0, -ENOENT, "%s: no key material set",
			   st->path);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sql_fail(st, NULL, 0, rc, "reading the key material set");
		goto out;
	}
	row->set_id = (uint32_t)sqlite3_column_int64(s, 0);
	row->height = (unsigned int)sqlite3_column_int(s, 2);
	row->next_slot = (uint32_t)sqlite3_column_int64(s, 4);
	if (gateway_id)
		*gateway_id = (uint64_t)sqlite3_column_int64(s, 1);
	if (master) {
		if (sqlite3_column_bytes(s, 3) != CPNS_MASTER_LEN) {
			ret = fail(st, NULL, 0, -EIO,
				   "%s: set %u has no master secret", st->path,
				   row->set_id);
			goto out;
		}
		memcpy(master, sqlite3_column_blob(s, 3), CPNS_MASTER_LEN);
	}
out:
	sqlfile_done(s);
	return ret;
}

int store_kms_get(struct store *st, struct store_kms *kms)
{
	struct kms_row row;
	int ret;

	ret = kms_current(st, &row, &kms->gateway_id, kms->master);
	if (ret)
		return ret;
	kms->set_id = row.set_id;
	kms->height = row.height;
	return 0;
}

/*
 * The master is bound SQLITE_STATIC and unbound (sqlfile_done()) before
 * we return: SQLite then makes no heap copy of the binding, which it would
 * free without wiping.  Its page cache still holds the row, as it holds
 * every row; the caller wipes @kms.
 */
int store_kms_put(struct store *st, const struct store_kms *kms, char *err,
		  size_t len)
{
	sqlite3_stmt *s = st->q[Q_KMS_INS];
	struct kms_row cur;
	int ret, rc;

	if (kms->height < 1 || kms->height > CPNS_TREE_HEIGHT_MAX)
		return fail(st, err, len, -EINVAL,
			    "key material set %u: height %u outside 1..%d",
			    kms->set_id, kms->height, CPNS_TREE_HEIGHT_MAX);
	ret = tx_begin(st, err, len, "storing a key material set");
	if (ret)
		return ret;
	ret = kms_current(st, &cur, NULL, NULL);
	if (!ret && kms->set_id <= cur.set_id) {
		ret = fail(st, err, len, -EINVAL,
			   "key material set %u: not above the current set %u",
			   kms->set_id, cur.set_id);
		goto out;
	}
	if (ret && ret != -ENOENT) {
		fail(st, err, len, ret, "%s", st->err);
		goto out;
	}
	ret = 0;
	rc = sqlfile_run(st->q[Q_PNE_RESET]);
	if (!rc) {
		sqlite3_bind_int64(s, 1, kms->set_id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)kms->gateway_id);
		sqlite3_bind_int(s, 3, (int)kms->height);
		sqlite3_bind_blob(s, 4, kms->master, CPNS_MASTER_LEN,
				  SQLITE_STATIC);
		rc = sqlfile_run(s);
	}
	if (!rc) {
		sqlite3_bind_int64(st->q[Q_KMS_RETIRE], 1, kms->set_id);
		rc = sqlfile_run(st->q[Q_KMS_RETIRE]);
	}
	if (rc)
		ret = sql_fail(st, err, len, rc, "storing a key material set");
out:
	ret = tx_end(st, ret, err, len, "storing a key material set");
	/*
	 * The old master's page images are still in the WAL: a truncating
	 * checkpoint moves the zeroed pages into the database and empties
	 * the WAL file.  Best effort: a reader may hold it back.
	 */
	if (!ret)
		sqlite3_wal_checkpoint_v2(st->db, NULL,
					  SQLITE_CHECKPOINT_TRUNCATE, NULL,
					  NULL);
	return ret;
}

int store_signkey_get(struct store *st, uint8_t sk[32])
{
	sqlite3_stmt *s = st->q[Q_SIGN_GET];
	int rc, ret = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		ret = fail(st, NULL, 0, -ENOENT, "%s: no signing key",
			   st->path);
	else if (rc != SQLITE_ROW)
		ret = sql_fail(st, NULL, 0, rc, "reading the signing key");
	else if (sqlite3_column_bytes(s, 0) != 32)
		ret = fail(st, NULL, 0, -EIO, "%s: signing key not 32 bytes",
			   st->path);
	else
		memcpy(sk, sqlite3_column_blob(s, 0), 32);
	sqlfile_done(s);
	return ret;
}

/* Bound SQLITE_STATIC for the reason store_kms_put gives. */
int store_signkey_put(struct store *st, const uint8_t sk[32])
{
	sqlite3_stmt *s = st->q[Q_SIGN_INS];
	int rc;

	sqlite3_bind_blob(s, 1, sk, 32, SQLITE_STATIC);
	rc = sqlfile_run(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return fail(st, NULL, 0, -EEXIST,
			    "%s: a signing key is already stored", st->path);
	return rc ? sql_fail(st, NULL, 0, rc, "storing the signing key") : 0;
}

/* ---- PNEs ---- */

/* As msg.h's PNE id: 1..64 bytes of [A-Za-z0-9._:-]. */
static bool pne_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= STORE_PNE_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789._:-") == n;
}

/*
 * Ids that fail pne_id_ok are never printed raw: the log line would
 * carry whatever a peer sent.
 */
static const char *shown(const char *id)
{
	return id && pne_id_ok(id) ? id : "(invalid id)";
}

static void pne_row(sqlite3_stmt *s, struct store_pne *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s",
		 (const char *)sqlite3_column_text(s, 0));
	snprintf(p->eu_key_file, sizeof(p->eu_key_file), "%s",
		 (const char *)sqlite3_column_text(s, 1));
	p->state = (enum store_pne_state)sqlite3_column_int(s, 2);
	p->has_slot = sqlite3_column_type(s, 3) != SQLITE_NULL;
	if (p->has_slot) {
		p->set_id = (uint32_t)sqlite3_column_int64(s, 3);
		p->slot = (uint32_t)sqlite3_column_int64(s, 4);
	}
	if (p->state == STORE_PNE_ASSIGNED)
		p->assigned_at = (uint64_t)sqlite3_column_int64(s, 5);
}

/* PNE @id, or -ENOENT; the reason goes to @err. */
static int pne_lookup(struct store *st, const char *id, struct store_pne *p,
		      char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_PNE_GET];
	int rc, ret = 0;

	if (!id || !pne_id_ok(id))
		return fail(st, err, len, -EINVAL,
			    "PNE %s: ids are 1..%d of [A-Za-z0-9._:-]",
			    shown(id), STORE_PNE_ID_MAX);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		pne_row(s, p);
	else if (rc == SQLITE_DONE)
		ret = fail(st, err, len, -ENOENT, "PNE %s: unknown", id);
	else
		ret = sql_fail(st, err, len, rc, "reading a PNE");
	sqlfile_done(s);
	return ret;
}

int store_pne_get(struct store *st, const char *id, struct store_pne *pne)
{
	return pne_lookup(st, id, pne, NULL, 0);
}

int store_pne_foreach(struct store *st,
		      int (*fn)(const struct store_pne *pne, void *arg),
		      void *arg)
{
	sqlite3_stmt *s = st->q[Q_PNE_ALL];
	struct store_pne *p;
	int rc, ret = 0;

	p = malloc(sizeof(*p));
	if (!p)
		return fail(st, NULL, 0, -ENOMEM, "out of memory");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		pne_row(s, p);
		ret = fn(p, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, "listing the PNEs");
	sqlfile_done(s);
	free(p);
	return ret;
}

int store_pne_add(struct store *st, const char *id, const char *eu_key_file,
		  char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_PNE_INS];
	int rc;

	if (!id || !pne_id_ok(id))
		return fail(st, err, len, -EINVAL,
			    "PNE %s: ids are 1..%d of [A-Za-z0-9._:-]",
			    shown(id), STORE_PNE_ID_MAX);
	if (!eu_key_file || eu_key_file[0] != '/' ||
	    strlen(eu_key_file) >= STORE_PATH_MAX)
		return fail(st, err, len, -EINVAL,
			    "PNE %s: EU-Key file must be an absolute path under %d bytes",
			    id, STORE_PATH_MAX);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, eu_key_file, -1, SQLITE_STATIC);
	rc = sqlfile_run(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return fail(st, err, len, -EEXIST, "PNE %s: already known", id);
	if (rc)
		return fail(st, err, len, sqlfile_errno(rc), "PNE %s: add: %s",
			    id, sqlite3_errmsg(st->db));
	return 0;
}

/*
 * Burns the slot @p holds in the current set; the slots_revoke trigger
 * revokes the PNE with it.
 */
static int burn_slot(struct store *st, const struct store_pne *p)
{
	sqlite3_stmt *s = st->q[Q_SLOT_REVOKE];

	if (p->state != STORE_PNE_ASSIGNED)
		return SQLITE_OK;
	sqlite3_bind_int64(s, 1, p->set_id);
	sqlite3_bind_int64(s, 2, p->slot);
	return sqlfile_run(s);
}

int store_pne_del(struct store *st, const char *id, char *err, size_t len)
{
	struct store_pne *p;
	int ret, rc;

	p = malloc(sizeof(*p));
	if (!p)
		return fail(st, err, len, -ENOMEM, "out of memory");
	ret = tx_begin(st, err, len, "deleting a PNE");
	if (ret)
		goto out_free;
	ret = pne_lookup(st, id, p, err, len);
	if (ret)
		goto out;
	rc = burn_slot(st, p);
	if (!rc) {
		sqlite3_bind_text(st->q[Q_PNE_DEL], 1, id, -1, SQLITE_STATIC);
		rc = sqlfile_run(st->q[Q_PNE_DEL]);
	}
	if (rc)
		ret = fail(st, err, len, sqlfile_errno(rc),
			   "PNE %s: delete: %s", id, sqlite3_errmsg(st->db));
out:
	ret = tx_end(st, ret, err, len, "deleting a PNE");
out_free:
	free(p);
	return ret;
}

int store_pne_revoke(struct store *st, const char *id, char *err, size_t len)
{
	struct store_pne *p;
	int ret, rc;

	p = malloc(sizeof(*p));
	if (!p)
		return fail(st, err, len, -ENOMEM, "out of memory");
	ret = tx_begin(st, err, len, "revoking a PNE");
	if (ret)
		goto out_free;
	ret = pne_lookup(st, id, p, err, len);
	if (ret || p->state == STORE_PNE_REVOKED)
		goto out;
	rc = burn_slot(st, p);
	if (!rc) {
		sqlite3_bind_text(st->q[Q_PNE_REVOKE], 1, id, -1,
				  SQLITE_STATIC);
		rc = sqlfile_run(st->q[Q_PNE_REVOKE]);
	}
	if (rc)
		ret = fail(st, err, len, sqlfile_errno(rc),
			   "PNE %s: revoke: %s", id, sqlite3_errmsg(st->db));
out:
	ret = tx_end(st, ret, err, len, "revoking a PNE");
out_free:
	free(p);
	return ret;
}

/*
 * One assignment inside the caller's transaction.  A refusal (bad or
 * unknown id, revoked, no set, set full) writes nothing; *@fatal says an
 * SQL step failed, after which the transaction must be rolled back.
 *
 * Three indexed lookups and, for a new assignment, one insert (which the
 * slots_count trigger follows with the counter update) and one update:
 * the cost does not grow with the set.
 */
static int assign_in_tx(struct store *st, const char *id,
			struct store_pne *p, uint32_t *slot, bool *fatal,
			char *err, size_t len)
{
	struct kms_row cur;
	int ret, rc;

	*fatal = false;
	ret = pne_lookup(st, id, p, err, len);
	if (ret)
		goto refused;
	if (p->state == STORE_PNE_REVOKED)
		return fail(st, err, len, -EPERM, "PNE %s: revoked", id);
	ret = kms_current(st, &cur, NULL, NULL);
	if (ret) {
		ret = fail(st, err, len, ret == -ENOENT ? -ENODATA : ret,
			   "PNE %s: %s", id, st->err);
		goto refused;
	}
	if (p->state == STORE_PNE_ASSIGNED) {
		*slot = p->slot;
		return 0;
	}
	if (cur.next_slot >= UINT32_C(1) << cur.height)
		return fail(st, err, len, -ENOSPC,
			    "PNE %s: key material set %u: all %u slots used",
			    id, cur.set_id, UINT32_C(1) << cur.height);
	sqlite3_bind_int64(st->q[Q_SLOT_INS], 1, cur.set_id);
	sqlite3_bind_int64(st->q[Q_SLOT_INS], 2, cur.next_slot);
	sqlite3_bind_text(st->q[Q_SLOT_INS], 3, id, -1, SQLITE_STATIC);
	rc = sqlfile_run(st->q[Q_SLOT_INS]);
	if (!rc) {
		sqlite3_stmt *s = st->q[Q_PNE_SET];

		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, cur.set_id);
		sqlite3_bind_int64(s, 3, cur.next_slot);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
		rc = sqlfile_run(s);
	}
	if (rc) {
		*fatal = true;
		return fail(st, err, len, sqlfile_errno(rc),
			    "PNE %s: slot %u of set %u: %s", id, cur.next_slot,
			    cur.set_id, sqlite3_errmsg(st->db));
	}
	*slot = cur.next_slot;
	return 0;
refused:
	/* Lookups fail with -EIO and friends only when SQLite did. */
	*fatal = ret != -EINVAL && ret != -ENOENT && ret != -ENODATA;
	return ret;
}

int store_pne_assign(struct store *st, const char *id, uint32_t *slot,
		     char *err, size_t len)
{
	struct store_pne *p;
	bool fatal;
	int ret;

	p = malloc(sizeof(*p));
	if (!p)
		return fail(st, err, len, -ENOMEM, "out of memory");
	ret = tx_begin(st, err, len, "assigning a slot");
	if (!ret) {
		ret = assign_in_tx(st, id, p, slot, &fatal, err, len);
		/* A refusal wrote nothing: committing it is a no-op. */
		ret = tx_end(st, fatal ? ret : 0, err, len,
			     "assigning a slot") ?: ret;
	}
	free(p);
	return ret;
}

int store_pne_assign_many(struct store *st, const char *const *ids,
			  size_t n, uint32_t *slots, int *rets, char *err,
			  size_t len)
{
	struct store_pne *p;
	bool fatal = false;
	size_t i;
	int ret;

	p = malloc(sizeof(*p));
	if (!p) {
		ret = fail(st, err, len, -ENOMEM, "out of memory");
		goto all;
	}
	ret = tx_begin(st, err, len, "assigning slots");
	for (i = 0; !ret && !fatal && i < n; i++)
		rets[i] = assign_in_tx(st, ids[i], p, &slots[i], &fatal, NULL,
				       0);
	if (!ret && fatal)
		ret = fail(st, err, len, rets[i - 1], "%s", st->err);
	if (!ret)
		ret = tx_end(st, 0, err, len, "assigning slots");
	else
		tx_rollback(st);
	free(p);
all:
	for (i = 0; ret && i < n; i++)
		rets[i] = ret;
	return ret;
}

int store_slot_counts(struct store *st, uint32_t *free_, uint32_t *assigned,
		      uint32_t *revoked)
{
	sqlite3_stmt *s = st->q[Q_SLOT_COUNT];
	uint32_t n[3] = { 0 };
	struct kms_row cur;
	int rc, ret;

	ret = kms_current(st, &cur, NULL, NULL);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, cur.set_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);

		if (state == 1 || state == 2)
			n[state] = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlfile_done(s);
	if (rc != SQLITE_DONE)
		return sql_fail(st, NULL, 0, rc, "counting slots");
	*free_ = (UINT32_C(1) << cur.height) - cur.next_slot;
	*assigned = n[1];
	*revoked = n[2];
	return 0;
}

/* ---- figure b: Group Keys, members, acknowledgements ---- */

/* SQLite integers are signed: epochs stop at 2^63 - 1. */
static int gk_check(struct store *st, uint32_t group, uint64_t epoch,
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

static int gk_id_check(struct store *st, uint32_t group, const char *id,
		       char *err, size_t len)
{
	if (!group)
		return fail(st, err, len, -EINVAL,
			    "group 0: groups are 1..4294967295");
	if (!id || !pne_id_ok(id))
		return fail(st, err, len, -EINVAL,
			    "group %u: PNE %s: ids are 1..%d of [A-Za-z0-9._:-]",
			    group, shown(id), STORE_PNE_ID_MAX);
	return 0;
}

static void gk_row(sqlite3_stmt *s, struct store_gk *gk)
{
	memset(gk, 0, sizeof(*gk));
	gk->group = (uint32_t)sqlite3_column_int64(s, 0);
	gk->epoch = (uint64_t)sqlite3_column_int64(s, 1);
	/* The CHECK constraint makes it 32 bytes. */
	if (sqlite3_column_bytes(s, 2) == sizeof(gk->key))
		memcpy(gk->key, sqlite3_column_blob(s, 2), sizeof(gk->key));
	gk->valid_from = (uint64_t)sqlite3_column_int64(s, 3);
	gk->valid_until = (uint64_t)sqlite3_column_int64(s, 4);
}

/* @group's key: 0, -ENOENT when none, or another -errno. */
static int gk_lookup(struct store *st, uint32_t group, struct store_gk *gk,
		     char *err, size_t len)
{
	sqlite3_stmt *s = st->q[Q_GK_GET];
	int rc, ret = 0;

	sqlite3_bind_int64(s, 1, group);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		gk_row(s, gk);
	else if (rc == SQLITE_DONE)
		ret = fail(st, err, len, -ENOENT, "group %u: no Group Key",
			   group);
	else
		ret = sql_fail(st, err, len, rc, "reading a Group Key");
	sqlfile_done(s);
	return ret;
}

/*
 * The members as a JSON array for json_each(): ids are checked first, and
 * their characters need no quoting.  NULL with @err set on a refusal.
 */
static char *members_json(struct store *st, uint32_t group,
			  const char *const *members, size_t n, int *ret,
			  char *err, size_t len)
{
	size_t i, size = 3, off = 0;
	char *js;

	if (n && !members) {
		*ret = fail(st, err, len, -EINVAL, "group %u: no member list",
			    group);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		*ret = gk_id_check(st, group, members[i], err, len);
		if (*ret)
			return NULL;
		if (i && strcmp(members[i - 1], members[i]) >= 0) {
			*ret = fail(st, err, len, -EINVAL,
				    "group %u: members not in ascending order at %s",
				    group, members[i]);
			return NULL;
		}
		size += strlen(members[i]) + 3;
	}
	js = malloc(size);
	if (!js) {
		*ret = fail(st, err, len, -ENOMEM, "out of memory");
		return NULL;
	}
	js[off++] = '[';
	for (i = 0; i < n; i++)
		off += sprintf(js + off, "%s\"%s\"", i ? "," : "", members[i]);
	strcpy(js + off, "]");
	*ret = 0;
	return js;
}

static int bind_run(sqlite3_stmt *s, uint32_t group, const char *text)
{
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	return sqlfile_run(s);
}

/*
 * The key is bound SQLITE_STATIC and unbound before we return, for the
 * reason store_kms_put gives.
 */
int store_gk_put(struct store *st, const struct store_gk *gk,
		 const char *const *members, size_t n, char *err, size_t len)
{
	struct store_gk *cur;
	sqlite3_stmt *s;
	bool replaced = false;
	char *js;
	int ret, rc;

	ret = gk_check(st, gk->group, gk->epoch, err, len);
	if (ret)
		return ret;
	js = members_json(st, gk->group, members, n, &ret, err, len);
	if (!js)
		return ret;
	cur = malloc(sizeof(*cur));
	if (!cur) {
		free(js);
		return fail(st, err, len, -ENOMEM, "out of memory");
	}
	ret = tx_begin(st, err, len, "storing a Group Key");
	if (ret)
		goto out_free;
	ret = gk_lookup(st, gk->group, cur, err, len);
	if (ret && ret != -ENOENT)
		goto out;
	if (!ret && gk->epoch < cur->epoch) {
		ret = fail(st, err, len, -ESTALE,
			   "group %u: epoch %llu is below the stored epoch %llu",
			   gk->group, (unsigned long long)gk->epoch,
			   (unsigned long long)cur->epoch);
		goto out;
	}
	if (!ret && gk->epoch == cur->epoch &&
	    (CRYPTO_memcmp(gk->key, cur->key, sizeof(gk->key)) ||
	     gk->valid_from != cur->valid_from ||
	     gk->valid_until != cur->valid_until)) {
		ret = fail(st, err, len, -EEXIST,
			   "group %u: epoch %llu is stored with another key or validity",
			   gk->group, (unsigned long long)gk->epoch);
		goto out;
	}
	rc = SQLITE_OK;
	if (ret || gk->epoch > cur->epoch) {
		/* A new epoch; the trigger drops the old one's acks. */
		s = st->q[ret ? Q_GK_INS : Q_GK_NEW];
		sqlite3_bind_int64(s, 1, gk->group);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)gk->epoch);
		sqlite3_bind_blob(s, 3, gk->key, sizeof(gk->key),
				  SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)gk->valid_from);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)gk->valid_until);
		replaced = !ret;
		rc = sqlfile_run(s);
	}
	ret = 0;
	/* Leavers are recorded as excluded, joiners lose that record. */
	if (!rc)
		rc = bind_run(st->q[Q_GK_LEAVE], gk->group, js);
	if (!rc)
		rc = bind_run(st->q[Q_GK_JOIN], gk->group, js);
	if (rc)
		ret = fail(st, err, len, sqlfile_errno(rc),
			   "group %u: epoch %llu: %s", gk->group,
			   (unsigned long long)gk->epoch,
			   sqlite3_errmsg(st->db));
out:
	ret = tx_end(st, ret, err, len, "storing a Group Key");
	/* The replaced key's page images leave the WAL (store_kms_put). */
	if (!ret && replaced)
		sqlite3_wal_checkpoint_v2(st->db, NULL,
					  SQLITE_CHECKPOINT_TRUNCATE, NULL,
					  NULL);
out_free:
	OPENSSL_cleanse(cur, sizeof(*cur));
	free(cur);
	free(js);
	return ret;
}

int store_gk_get(struct store *st, uint32_t group, struct store_gk *gk)
{
	if (!group)
		return fail(st, NULL, 0, -EINVAL,
			    "group 0: groups are 1..4294967295");
	return gk_lookup(st, group, gk, NULL, 0);
}

int store_gk_foreach(struct store *st,
		     int (*fn)(const struct store_gk *gk, void *arg),
		     void *arg)
{
	sqlite3_stmt *s = st->q[Q_GK_ALL];
	struct store_gk gk;
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gk_row(s, &gk);
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

/* Calls @fn with column 0 of each row of @s, already bound. */
static int foreach_id(struct store *st, sqlite3_stmt *s,
		      int (*fn)(const char *pne_id, void *arg), void *arg,
		      const char *what)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = fn((const char *)sqlite3_column_text(s, 0), arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, what);
	sqlfile_done(s);
	return ret;
}

int store_gk_member_foreach(struct store *st, uint32_t group,
			    int (*fn)(const char *pne_id, void *arg),
			    void *arg)
{
	sqlite3_stmt *s = st->q[Q_GK_MEMBERS];

	if (!group)
		return fail(st, NULL, 0, -EINVAL,
			    "group 0: groups are 1..4294967295");
	sqlite3_bind_int64(s, 1, group);
	return foreach_id(st, s, fn, arg, "listing a group's members");
}

/* 1 when the bound @s has a row, 0 when not, or -errno. */
static int exists(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s), ret;

	ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
		sql_fail(st, NULL, 0, rc, what);
	sqlfile_done(s);
	return ret;
}

int store_gk_is_member(struct store *st, uint32_t group, const char *pne_id)
{
	sqlite3_stmt *s = st->q[Q_GK_IS_MEMBER];
	int ret;

	ret = gk_id_check(st, group, pne_id, NULL, 0);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_text(s, 2, pne_id, -1, SQLITE_STATIC);
	return exists(st, s, "reading a group's members");
}

int store_gk_excluded_foreach(struct store *st, const char *pne_id,
			      int (*fn)(uint32_t group, uint64_t epoch,
					void *arg),
			      void *arg)
{
	sqlite3_stmt *s = st->q[Q_GK_EXCLUDED];
	int rc, ret = 0;

	if (!pne_id || !pne_id_ok(pne_id))
		return fail(st, NULL, 0, -EINVAL,
			    "PNE %s: ids are 1..%d of [A-Za-z0-9._:-]",
			    shown(pne_id), STORE_PNE_ID_MAX);
	sqlite3_bind_text(s, 1, pne_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = fn((uint32_t)sqlite3_column_int64(s, 0),
			 (uint64_t)sqlite3_column_int64(s, 1), arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, NULL, 0, rc, "listing exclusions");
	sqlfile_done(s);
	return ret;
}

int store_gk_ack(struct store *st, uint32_t group, uint64_t epoch,
		 const char *pne_id)
{
	sqlite3_stmt *s = st->q[Q_GK_ACK];
	struct store_gk *cur;
	int ret, rc;

	ret = gk_check(st, group, epoch, NULL, 0);
	if (!ret)
		ret = gk_id_check(st, group, pne_id, NULL, 0);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)epoch);
	sqlite3_bind_text(s, 3, pne_id, -1, SQLITE_STATIC);
	/* One statement; its trigger refuses an epoch that is not current. */
	rc = sqlfile_run(s);
	if (!rc)
		return 0;
	if ((rc & 0xff) != SQLITE_CONSTRAINT)
		return fail(st, NULL, 0, sqlfile_errno(rc),
			    "group %u: epoch %llu: PNE %s: ack: %s", group,
			    (unsigned long long)epoch, pne_id,
			    sqlite3_errmsg(st->db));
	cur = malloc(sizeof(*cur));
	if (!cur)
		return fail(st, NULL, 0, -ENOMEM, "out of memory");
	ret = gk_lookup(st, group, cur, NULL, 0);
	if (!ret)
		ret = fail(st, NULL, 0, -ESTALE,
			   "group %u: epoch %llu is not the current epoch %llu",
			   group, (unsigned long long)epoch,
			   (unsigned long long)cur->epoch);
	OPENSSL_cleanse(cur, sizeof(*cur));
	free(cur);
	return ret;
}

int store_gk_acked(struct store *st, uint32_t group, uint64_t epoch,
		   const char *pne_id)
{
	sqlite3_stmt *s = st->q[Q_GK_ACKED];
	int ret;

	ret = gk_check(st, group, epoch, NULL, 0);
	if (!ret)
		ret = gk_id_check(st, group, pne_id, NULL, 0);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)epoch);
	sqlite3_bind_text(s, 3, pne_id, -1, SQLITE_STATIC);
	return exists(st, s, "reading acknowledgements");
}

int store_gk_ack_foreach(struct store *st, uint32_t group, uint64_t epoch,
			 int (*fn)(const char *pne_id, void *arg), void *arg)
{
	sqlite3_stmt *s = st->q[Q_GK_ACKS];
	int ret;

	ret = gk_check(st, group, epoch, NULL, 0);
	if (ret)
		return ret;
	sqlite3_bind_int64(s, 1, group);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)epoch);
	return foreach_id(st, s, fn, arg, "listing acknowledgements");
}
