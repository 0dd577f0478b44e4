// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's SQLite state (userspace/cpnsd/store.c): the file's
 * permissions, schema versions, every call and refusal, slot assignment
 * order, the invariants the schema itself enforces, and a kill -9 test
 * that SIGKILLs a process in the middle of a stream of assignments.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "kselftest_harness.h"

#include "keytest.h"
#include "store.h"

#define ERRLEN	256

FIXTURE(store) {
	char dir[64];
	char path[128];
	char err[ERRLEN];
	struct store *st;
};

FIXTURE_SETUP(store)
{
	strcpy(self->dir, "/tmp/cpns-store-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/state.db", self->dir);
	self->st = NULL;
	self->err[0] = 0;
}

FIXTURE_TEARDOWN(store)
{
	static const char *const sfx[] = { "", "-wal", "-shm", ".link" };
	char p[160];
	size_t i;

	store_close(self->st);
	for (i = 0; i < ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", self->path, sfx[i]);
		unlink(p);
	}
	rmdir(self->dir);
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + 7 * i);
}

static struct store_gk make_gk(uint32_t group, uint64_t epoch)
{
	struct store_gk gk = {
		.group = group,
		.epoch = epoch,
		.valid_from = 1000 + epoch,
		.valid_until = 5000 + epoch,
	};

	fill(gk.key, sizeof(gk.key), (uint8_t)(0x5a ^ group * 13 ^ epoch));
	return gk;
}

static struct store_kms make_kms(uint32_t set_id, unsigned int height)
{
	struct store_kms k = {
		.gateway_id = 0xfedcba9876543210ull,
		.set_id = set_id,
		.height = height,
	};

	fill(k.master, sizeof(k.master), (uint8_t)set_id);
	return k;
}

/* Raw SQL on the database, as another program (or an attacker) would. */
static int raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE, NULL);
	if (!rc)
		rc = sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL,
				  NULL);
	if (!rc)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *s;
	sqlite3 *db;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL))
		return -2;
	if (!sqlite3_prepare_v2(db, sql, -1, &s, NULL)) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return v;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? (mode_t)-1 : sb.st_mode & 07777;
}

static int open_st(FIXTURE_DATA(store) *self)
{
	self->err[0] = 0;
	return store_open(self->path, &self->st, self->err,
			  sizeof(self->err));
}

static void reopen(FIXTURE_DATA(store) *self)
{
	store_close(self->st);
	self->st = NULL;
	open_st(self);
}

/* ---- the file ---- */

TEST_F(store, created_0600_whatever_the_umask)
{
	char side[160];
	mode_t old = umask(0777);

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	umask(0);
	EXPECT_EQ(0600, mode_of(self->path));
	/* SQLite creates the WAL and shm files with the database's mode. */
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k/a", NULL, 0));
	snprintf(side, sizeof(side), "%s-wal", self->path);
	EXPECT_EQ(0600, mode_of(side));
	snprintf(side, sizeof(side), "%s-shm", self->path);
	EXPECT_EQ(0600, mode_of(side));
	umask(old);
	/* An existing 0600 file owned by us is fine. */
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
}

TEST_F(store, refuses_open_modes)
{
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0602, 0660 };
	char want[64];
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	store_close(self->st);
	self->st = NULL;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, chmod(self->path, bad[i]));
		EXPECT_EQ(-EPERM, open_st(self));
		EXPECT_EQ(NULL, self->st);
		snprintf(want, sizeof(want), "mode %04o lets group or others",
			 (unsigned int)bad[i]);
		EXPECT_NE(NULL, strstr(self->err, want)) TH_LOG("%s", self->err);
		EXPECT_NE(NULL, strstr(self->err, self->path));
	}
	ASSERT_EQ(0, chmod(self->path, 0600));
	EXPECT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
}

TEST_F(store, refuses_open_wal_file)
{
	char side[160];
	int fd;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	store_close(self->st);
	self->st = NULL;
	snprintf(side, sizeof(side), "%s-wal", self->path);
	fd = open(side, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, chmod(side, 0644));
	EXPECT_EQ(-EPERM, open_st(self));
	EXPECT_NE(NULL, strstr(self->err, side)) TH_LOG("%s", self->err);
}

TEST_F(store, refuses_other_owner)
{
	char want[64];

	if (geteuid() != 0)
		SKIP(return, "chown needs root");
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	store_close(self->st);
	self->st = NULL;
	ASSERT_EQ(0, chown(self->path, 4242, 4242));
	EXPECT_EQ(-EPERM, open_st(self));
	snprintf(want, sizeof(want), "owned by uid 4242, not by us (uid %u)",
		 (unsigned int)geteuid());
	EXPECT_NE(NULL, strstr(self->err, want)) TH_LOG("%s", self->err);
}

TEST_F(store, refuses_symlink_and_bad_paths)
{
	char link[160];

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	store_close(self->st);
	self->st = NULL;
	snprintf(link, sizeof(link), "%s.link", self->path);
	ASSERT_EQ(0, symlink(self->path, link));
	EXPECT_EQ(-ELOOP, store_open(link, &self->st, self->err, ERRLEN));
	EXPECT_NE(NULL, strstr(self->err, "symbolic link")) TH_LOG("%s", self->err);
	EXPECT_EQ(-EINVAL, store_open("", &self->st, self->err, ERRLEN));
	EXPECT_EQ(-EINVAL, store_open(self->dir, &self->st, self->err,
				      ERRLEN));
	EXPECT_EQ(NULL, self->st);
	snprintf(link, sizeof(link), "%s/no/such/dir.db", self->dir);
	EXPECT_EQ(-ENOENT, store_open(link, &self->st, self->err, ERRLEN));
	EXPECT_NE(NULL, strstr(self->err, link)) TH_LOG("%s", self->err);
}

/* ---- the schema's version ---- */

TEST_F(store, schema_version_and_app_id)
{
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(2, raw_int(self->path, "PRAGMA user_version"));
	EXPECT_EQ(0x43504e53, raw_int(self->path, "PRAGMA application_id"));
	/* Reopening migrates nothing and keeps the data. */
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k/a", NULL, 0));
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_EQ(2, raw_int(self->path, "PRAGMA user_version"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM pnes"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM "
			     "pragma_journal_mode WHERE journal_mode = 'wal'"));
}

TEST_F(store, refuses_newer_schema)
{
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	store_close(self->st);
	self->st = NULL;
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "PRAGMA user_version = 3"));
	EXPECT_EQ(-ENOTSUP, open_st(self));
	EXPECT_EQ(NULL, self->st);
	EXPECT_NE(NULL, strstr(self->err,
			       "schema version 3 is newer than this cpnsd knows (2)"))
		TH_LOG("%s", self->err);
	/* And left as it was. */
	EXPECT_EQ(3, raw_int(self->path, "PRAGMA user_version"));
}

TEST_F(store, refuses_foreign_database)
{
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "CREATE TABLE t (x)"));
	ASSERT_EQ(0, chmod(self->path, 0600));
	EXPECT_EQ(-EINVAL, open_st(self));
	EXPECT_NE(NULL, strstr(self->err, "not a cpnsd database"))
		TH_LOG("%s", self->err);
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path,
				     "PRAGMA user_version = 1"));
	EXPECT_EQ(-EINVAL, open_st(self));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM sqlite_schema"));
}

/*
 * A gateway database of part 1 (version 1: the figure b tables dropped,
 * as cpnsd 1 made it) keeps its data and gets the figure b tables on
 * open, in one step.
 */
TEST_F(store, migrates_version_1)
{
	struct store_kms k = make_kms(2, 3), got;
	struct store_gk gk = make_gk(4, 1);
	const char *const m[] = { "a" };
	uint8_t sk[32], gsk[32];
	struct store_pne p;
	uint32_t slot;

	fill(sk, sizeof(sk), 3);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	ASSERT_EQ(0, store_signkey_put(self->st, sk));
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k/a", NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	store_close(self->st);
	self->st = NULL;
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path,
		"DROP TABLE gk_acks; DROP TABLE gk_excluded; "
		"DROP TABLE gk_members; DROP TABLE gks; "
		"PRAGMA user_version = 1"));
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM sqlite_schema "
			     "WHERE name LIKE 'gk%'"));

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(2, raw_int(self->path, "PRAGMA user_version"));
	EXPECT_EQ(4, raw_int(self->path, "SELECT count(*) FROM sqlite_schema "
			     "WHERE type = 'table' AND name LIKE 'gk%'"));
	ASSERT_EQ(0, store_kms_get(self->st, &got));
	EXPECT_EQ(0, memcmp(k.master, got.master, 32));
	ASSERT_EQ(0, store_signkey_get(self->st, gsk));
	EXPECT_EQ(0, memcmp(sk, gsk, 32));
	ASSERT_EQ(0, store_pne_get(self->st, "a", &p));
	EXPECT_EQ(STORE_PNE_ASSIGNED, p.state);
	EXPECT_EQ(0, p.slot);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, m, 1, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	EXPECT_EQ(1, store_gk_is_member(self->st, 4, "a"));
	OPENSSL_cleanse(&got, sizeof(got));
	OPENSSL_cleanse(gsk, sizeof(gsk));
}

/* ---- key material set and signing key ---- */

TEST_F(store, kms_get_put)
{
	struct store_kms k = make_kms(5, 16), got, bad;
	struct stat sb;
	char wal[160];

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(-ENOENT, store_kms_get(self->st, &got));
	EXPECT_NE(NULL, strstr(store_errmsg(self->st), "no key material set"));
	ASSERT_EQ(0, store_kms_put(self->st, &k, self->err, ERRLEN));
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(0, store_kms_get(self->st, &got));
	EXPECT_EQ(k.gateway_id, got.gateway_id);
	EXPECT_EQ(5, got.set_id);
	EXPECT_EQ(16, got.height);
	EXPECT_EQ(0, memcmp(k.master, got.master, sizeof(k.master)));

	bad = make_kms(5, 16);
	EXPECT_EQ(-EINVAL, store_kms_put(self->st, &bad, self->err, ERRLEN));
	EXPECT_NE(NULL, strstr(self->err, "set 5: not above the current set 5"))
		TH_LOG("%s", self->err);
	bad = make_kms(4, 16);
	EXPECT_EQ(-EINVAL, store_kms_put(self->st, &bad, self->err, ERRLEN));
	bad = make_kms(9, 0);
	EXPECT_EQ(-EINVAL, store_kms_put(self->st, &bad, self->err, ERRLEN));
	EXPECT_NE(NULL, strstr(self->err, "height 0 outside 1..20"))
		TH_LOG("%s", self->err);
	bad = make_kms(9, 21);
	EXPECT_EQ(-EINVAL, store_kms_put(self->st, &bad, self->err, ERRLEN));
	ASSERT_EQ(0, store_kms_get(self->st, &got));
	EXPECT_EQ(5, got.set_id);

	/* A successor becomes current; the old master is erased. */
	bad = make_kms(6, 3);
	ASSERT_EQ(0, store_kms_put(self->st, &bad, self->err, ERRLEN));
	ASSERT_EQ(0, store_kms_get(self->st, &got));
	EXPECT_EQ(6, got.set_id);
	EXPECT_EQ(3, got.height);
	EXPECT_EQ(0, memcmp(bad.master, got.master, sizeof(got.master)));
	EXPECT_EQ(1, raw_int(self->path,
			     "SELECT master IS NULL FROM kms WHERE set_id = 5"));
	EXPECT_EQ(2, raw_int(self->path, "SELECT count(*) FROM kms"));
	/* The truncating checkpoint left no old page image in the WAL. */
	snprintf(wal, sizeof(wal), "%s-wal", self->path);
	ASSERT_EQ(0, stat(wal, &sb));
	EXPECT_EQ(0, sb.st_size);
	OPENSSL_cleanse(&got, sizeof(got));
}

TEST_F(store, signkey)
{
	uint8_t sk[32], other[32], got[32];

	fill(sk, sizeof(sk), 1);
	fill(other, sizeof(other), 2);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(-ENOENT, store_signkey_get(self->st, got));
	ASSERT_EQ(0, store_signkey_put(self->st, sk));
	ASSERT_EQ(0, store_signkey_get(self->st, got));
	EXPECT_EQ(0, memcmp(sk, got, 32));
	EXPECT_EQ(-EEXIST, store_signkey_put(self->st, other));
	EXPECT_NE(NULL, strstr(store_errmsg(self->st), "already stored"));
	ASSERT_EQ(0, store_signkey_get(self->st, got));
	EXPECT_EQ(0, memcmp(sk, got, 32));
	OPENSSL_cleanse(got, sizeof(got));
}

/* ---- PNEs ---- */

TEST_F(store, pne_add_get_refusals)
{
	char longid[STORE_PNE_ID_MAX + 2], longpath[STORE_PATH_MAX + 1];
	static const char *const bad_ids[] = {
		"", "a b", "a/b", "caf\xc3\xa9", "a\nb", "a'b", "a*b",
	};
	struct store_pne p;
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_pne_add(self->st, "pne-1.lab:A_z", "/etc/k1",
				   self->err, ERRLEN)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_pne_get(self->st, "pne-1.lab:A_z", &p));
	EXPECT_STREQ("pne-1.lab:A_z", p.id);
	EXPECT_STREQ("/etc/k1", p.eu_key_file);
	EXPECT_EQ(STORE_PNE_REGISTERED, p.state);
	EXPECT_FALSE(p.has_slot);

	EXPECT_EQ(-EEXIST, store_pne_add(self->st, "pne-1.lab:A_z", "/x",
					 self->err, ERRLEN));
	EXPECT_STREQ("PNE pne-1.lab:A_z: already known", self->err);

	for (i = 0; i < ARRAY_SIZE(bad_ids); i++) {
		EXPECT_EQ(-EINVAL, store_pne_add(self->st, bad_ids[i], "/k",
						 self->err, ERRLEN));
		EXPECT_NE(NULL, strstr(self->err, "(invalid id)"))
			TH_LOG("%s", self->err);
	}
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	EXPECT_EQ(-EINVAL, store_pne_add(self->st, longid, "/k", self->err,
					 ERRLEN));
	longid[STORE_PNE_ID_MAX] = 0;	/* exactly 64 */
	EXPECT_EQ(0, store_pne_add(self->st, longid, "/k", self->err,
				   ERRLEN)) TH_LOG("%s", self->err);
	EXPECT_EQ(-EINVAL, store_pne_add(self->st, NULL, "/k", self->err,
					 ERRLEN));

	EXPECT_EQ(-EINVAL, store_pne_add(self->st, "b", "rel/k", self->err,
					 ERRLEN));
	EXPECT_STREQ("PNE b: EU-Key file must be an absolute path under 4096 bytes",
		     self->err);
	EXPECT_EQ(-EINVAL, store_pne_add(self->st, "b", "", self->err,
					 ERRLEN));
	EXPECT_EQ(-EINVAL, store_pne_add(self->st, "b", NULL, self->err,
					 ERRLEN));
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = 0;
	EXPECT_EQ(-EINVAL, store_pne_add(self->st, "b", longpath, self->err,
					 ERRLEN));
	longpath[STORE_PATH_MAX - 1] = 0;	/* 4095 bytes: fits */
	EXPECT_EQ(0, store_pne_add(self->st, "b", longpath, self->err,
				   ERRLEN)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_pne_get(self->st, "b", &p));
	EXPECT_STREQ(longpath, p.eu_key_file);

	EXPECT_EQ(-ENOENT, store_pne_get(self->st, "nobody", &p));
	EXPECT_STREQ("PNE nobody: unknown", store_errmsg(self->st));
	EXPECT_EQ(-EINVAL, store_pne_get(self->st, "a b", &p));
	/* A refused id is never echoed. */
	EXPECT_EQ(NULL, strstr(store_errmsg(self->st), "a b"));
}

struct seen {
	char ids[8][STORE_PNE_ID_MAX + 1];
	int n;
	int stop_at;
};

static int collect(const struct store_pne *p, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		strcpy(s->ids[s->n], p->id);
	s->n++;
	return s->n == s->stop_at ? 42 : 0;
}

struct revoker {
	struct store *st;
	int n;
};

static int revoke_each(const struct store_pne *p, void *arg)
{
	struct revoker *r = arg;

	r->n++;
	return store_pne_revoke(r->st, p->id, NULL, 0);
}

TEST_F(store, foreach_in_id_order)
{
	struct revoker rv;
	struct store_pne p;
	struct seen s = { .stop_at = -1 };

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, store_pne_foreach(self->st, collect, &s));
	EXPECT_EQ(0, s.n);
	ASSERT_EQ(0, store_pne_add(self->st, "c", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "b", "/k", NULL, 0));
	EXPECT_EQ(0, store_pne_foreach(self->st, collect, &s));
	ASSERT_EQ(3, s.n);
	EXPECT_STREQ("a", s.ids[0]);
	EXPECT_STREQ("b", s.ids[1]);
	EXPECT_STREQ("c", s.ids[2]);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	EXPECT_EQ(42, store_pne_foreach(self->st, collect, &s));
	EXPECT_EQ(2, s.n);
	/* The statement was reset: the next walk starts over. */
	s.n = 0;
	s.stop_at = -1;
	EXPECT_EQ(0, store_pne_foreach(self->st, collect, &s));
	EXPECT_EQ(3, s.n);
	/* @fn may write: a transaction commits inside the walk. */
	rv.st = self->st;
	rv.n = 0;
	EXPECT_EQ(0, store_pne_foreach(self->st, revoke_each, &rv))
		TH_LOG("%s", store_errmsg(self->st));
	EXPECT_EQ(3, rv.n);
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_pne_get(self->st, "c", &p));
	EXPECT_EQ(STORE_PNE_REVOKED, p.state);
}

static void counts(struct __test_metadata *_metadata, struct store *st,
		   uint32_t f, uint32_t a, uint32_t r)
{
	uint32_t gf = ~0u, ga = ~0u, gr = ~0u;

	ASSERT_EQ(0, store_slot_counts(st, &gf, &ga, &gr));
	EXPECT_EQ(f, gf);
	EXPECT_EQ(a, ga);
	EXPECT_EQ(r, gr);
}

TEST_F(store, assign_order)
{
	struct store_kms k = make_kms(1, 2);
	uint32_t slot = ~0u, f, a, r;
	struct store_pne p;
	static const char *const ids[] = { "a", "b", "c", "d", "e" };
	time_t t0;
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		ASSERT_EQ(0, store_pne_add(self->st, ids[i], "/k", NULL, 0));
	EXPECT_EQ(-ENODATA, store_pne_assign(self->st, "a", &slot, self->err,
					     ERRLEN));
	EXPECT_EQ(0, strncmp(self->err, "PNE a: ", 7)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->err, "no key material set"));
	EXPECT_EQ(-ENOENT, store_slot_counts(self->st, &f, &a, &r));
	ASSERT_EQ(0, store_kms_put(self->st, &k, self->err, ERRLEN));
	counts(_metadata, self->st, 4, 0, 0);

	t0 = time(NULL);
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, self->err,
				      ERRLEN)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, slot);
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	EXPECT_EQ(1, slot);
	/* The same slot again. */
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	EXPECT_EQ(0, slot);
	ASSERT_EQ(0, store_pne_get(self->st, "a", &p));
	EXPECT_EQ(STORE_PNE_ASSIGNED, p.state);
	EXPECT_TRUE(p.has_slot);
	EXPECT_EQ(1, p.set_id);
	EXPECT_EQ(0, p.slot);
	EXPECT_LE((uint64_t)t0, p.assigned_at);
	EXPECT_GE((uint64_t)time(NULL), p.assigned_at);
	counts(_metadata, self->st, 2, 2, 0);

	/* Revoked: refused, and its slot is never handed out again. */
	ASSERT_EQ(0, store_pne_revoke(self->st, "a", self->err, ERRLEN));
	EXPECT_EQ(-EPERM, store_pne_assign(self->st, "a", &slot, self->err,
					   ERRLEN));
	EXPECT_STREQ("PNE a: revoked", self->err);
	counts(_metadata, self->st, 2, 1, 1);
	ASSERT_EQ(0, store_pne_assign(self->st, "c", &slot, NULL, 0));
	EXPECT_EQ(2, slot);
	ASSERT_EQ(0, store_pne_assign(self->st, "d", &slot, NULL, 0));
	EXPECT_EQ(3, slot);
	counts(_metadata, self->st, 0, 3, 1);
	slot = 77;
	EXPECT_EQ(-ENOSPC, store_pne_assign(self->st, "e", &slot, self->err,
					    ERRLEN));
	EXPECT_EQ(77, slot);
	EXPECT_STREQ("PNE e: key material set 1: all 4 slots used", self->err);
	ASSERT_EQ(0, store_pne_get(self->st, "e", &p));
	EXPECT_EQ(STORE_PNE_REGISTERED, p.state);
	/* A full set still gives its holders their slot. */
	ASSERT_EQ(0, store_pne_assign(self->st, "d", &slot, NULL, 0));
	EXPECT_EQ(3, slot);

	EXPECT_EQ(-ENOENT, store_pne_assign(self->st, "zz", &slot, self->err,
					    ERRLEN));
	EXPECT_STREQ("PNE zz: unknown", self->err);
	EXPECT_EQ(-EINVAL, store_pne_assign(self->st, "z z", &slot,
					    self->err, ERRLEN));
}

TEST_F(store, revoke_and_del)
{
	struct store_kms k = make_kms(1, 3);
	struct store_pne p;
	uint32_t slot;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "b", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "c", "/k", NULL, 0));

	/* Revoking a PNE with no slot burns none. */
	ASSERT_EQ(0, store_pne_revoke(self->st, "c", self->err, ERRLEN));
	ASSERT_EQ(0, store_pne_get(self->st, "c", &p));
	EXPECT_EQ(STORE_PNE_REVOKED, p.state);
	EXPECT_FALSE(p.has_slot);
	counts(_metadata, self->st, 8, 0, 0);
	EXPECT_EQ(0, store_pne_revoke(self->st, "c", self->err, ERRLEN));
	EXPECT_EQ(-ENOENT, store_pne_revoke(self->st, "x", self->err,
					    ERRLEN));
	EXPECT_STREQ("PNE x: unknown", self->err);
	EXPECT_EQ(-EINVAL, store_pne_revoke(self->st, "", self->err, ERRLEN));

	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	ASSERT_EQ(1, slot);
	ASSERT_EQ(0, store_pne_revoke(self->st, "b", NULL, 0));
	ASSERT_EQ(0, store_pne_get(self->st, "b", &p));
	EXPECT_EQ(STORE_PNE_REVOKED, p.state);
	EXPECT_TRUE(p.has_slot);
	EXPECT_EQ(1, p.slot);
	counts(_metadata, self->st, 6, 1, 1);

	/* Deleting an assigned PNE burns its slot; re-adding starts over. */
	ASSERT_EQ(0, store_pne_del(self->st, "a", self->err, ERRLEN));
	EXPECT_EQ(-ENOENT, store_pne_get(self->st, "a", &p));
	counts(_metadata, self->st, 6, 0, 2);
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k2", NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	EXPECT_EQ(2, slot);
	/* Deleting a revoked one keeps its slot burnt. */
	ASSERT_EQ(0, store_pne_del(self->st, "b", NULL, 0));
	counts(_metadata, self->st, 5, 1, 2);
	EXPECT_EQ(-ENOENT, store_pne_del(self->st, "b", self->err, ERRLEN));
	EXPECT_STREQ("PNE b: unknown", self->err);
	EXPECT_EQ(-EINVAL, store_pne_del(self->st, "b/", self->err, ERRLEN));
	/* A deleted revoked PNE may come back as a new one. */
	ASSERT_EQ(0, store_pne_add(self->st, "b", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	EXPECT_EQ(3, slot);
}

TEST_F(store, kms_put_resets_assigned)
{
	struct store_kms k1 = make_kms(1, 2), k2 = make_kms(2, 3);
	struct store_pne p;
	uint32_t slot;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k1, NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "b", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "c", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_revoke(self->st, "b", NULL, 0));

	ASSERT_EQ(0, store_kms_put(self->st, &k2, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_pne_get(self->st, "a", &p));
	EXPECT_EQ(STORE_PNE_REGISTERED, p.state);
	EXPECT_FALSE(p.has_slot);
	EXPECT_EQ(0, p.assigned_at);
	ASSERT_EQ(0, store_pne_get(self->st, "b", &p));
	EXPECT_EQ(STORE_PNE_REVOKED, p.state);
	EXPECT_TRUE(p.has_slot);
	EXPECT_EQ(1, p.set_id);
	EXPECT_EQ(1, p.slot);
	counts(_metadata, self->st, 8, 0, 0);

	/* The new set hands out from slot 0 again. */
	ASSERT_EQ(0, store_pne_assign(self->st, "c", &slot, NULL, 0));
	EXPECT_EQ(0, slot);
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	EXPECT_EQ(1, slot);
	ASSERT_EQ(0, store_pne_get(self->st, "a", &p));
	EXPECT_EQ(2, p.set_id);
	EXPECT_EQ(-EPERM, store_pne_assign(self->st, "b", &slot, NULL, 0));
	counts(_metadata, self->st, 6, 2, 0);
}

TEST_F(store, assign_many)
{
	static const char *const ids[] = {
		"a", "b", "zz", "r", "a", "bad id", "c", "d", "e",
	};
	static const int want[] = {
		0, 0, -ENOENT, -EPERM, 0, -EINVAL, 0, 0, -ENOSPC,
	};
	static const uint32_t want_slot[] = { 0, 1, 0, 0, 0, 0, 2, 3, 0 };
	struct store_kms k = make_kms(1, 2);
	uint32_t slots[ARRAY_SIZE(ids)];
	int rets[ARRAY_SIZE(ids)];
	struct store_pne p;
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		if (want[i] != -ENOENT && want[i] != -EINVAL)
			store_pne_add(self->st, ids[i], "/k", NULL, 0);
	ASSERT_EQ(0, store_pne_revoke(self->st, "r", NULL, 0));
	/* No set yet: each one is refused, the call succeeds. */
	ASSERT_EQ(0, store_pne_assign_many(self->st, ids, 2, slots, rets,
					   self->err, ERRLEN));
	EXPECT_EQ(-ENODATA, rets[0]);
	EXPECT_EQ(-ENODATA, rets[1]);
	EXPECT_EQ(0, store_pne_assign_many(self->st, ids, 0, slots, rets,
					   self->err, ERRLEN));

	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	memset(slots, 0, sizeof(slots));
	ASSERT_EQ(0, store_pne_assign_many(self->st, ids, ARRAY_SIZE(ids),
					   slots, rets, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		EXPECT_EQ(want[i], rets[i]) TH_LOG("%s", ids[i]);
		if (!want[i])
			EXPECT_EQ(want_slot[i], slots[i]) TH_LOG("%s", ids[i]);
	}
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_pne_get(self->st, "d", &p));
	EXPECT_EQ(STORE_PNE_ASSIGNED, p.state);
	EXPECT_EQ(3, p.slot);
	counts(_metadata, self->st, 0, 4, 0);
}

/*
 * An SQL failure in the middle (a trigger planted from outside) rolls
 * back the whole transaction: nothing is half assigned, nothing acked.
 */
TEST_F(store, assign_failure_rolls_back)
{
	static const char *const ids[] = { "a", "c", "b" };
	struct store_kms k = make_kms(1, 3);
	uint32_t slots[3], slot;
	struct store_pne p;
	int rets[3];
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		ASSERT_EQ(0, store_pne_add(self->st, ids[i], "/k", NULL, 0));
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path,
		"CREATE TRIGGER boom BEFORE UPDATE ON pnes WHEN NEW.id = 'c' "
		"BEGIN SELECT RAISE(ABORT, 'boom'); END"));

	EXPECT_EQ(-EIO, store_pne_assign_many(self->st, ids, 3, slots, rets,
					      self->err, ERRLEN));
	EXPECT_STREQ("PNE c: slot 1 of set 1: boom", self->err);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-EIO, rets[i]);
	ASSERT_EQ(0, store_pne_get(self->st, "a", &p));
	EXPECT_EQ(STORE_PNE_REGISTERED, p.state);
	counts(_metadata, self->st, 8, 0, 0);

	EXPECT_EQ(-EIO, store_pne_assign(self->st, "c", &slot, self->err,
					 ERRLEN));
	EXPECT_STREQ("PNE c: slot 0 of set 1: boom", self->err);
	counts(_metadata, self->st, 8, 0, 0);
	/* The store is usable after the rollback. */
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, self->err,
				      ERRLEN)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, slot);
}

/*
 * Height 16 at its end: 65,535 slots filled in one transaction through
 * the same triggers, then the last slot and -ENOSPC through the API.
 */
TEST_F(store, height_16_to_the_last_slot)
{
	struct store_kms k = make_kms(1, 16);
	struct timespec t0, t1;
	uint32_t slot;
	double ms;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path,
		"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
		"FROM n WHERE i < 65534) INSERT INTO slots "
		"(set_id, slot, state, pne_id) SELECT 1, i, 1, 'f' || i FROM n"));
	counts(_metadata, self->st, 1, 65535, 0);
	ASSERT_EQ(0, store_pne_add(self->st, "last", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "over", "/k", NULL, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, store_pne_assign(self->st, "last", &slot, self->err,
				      ERRLEN)) TH_LOG("%s", self->err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_EQ(65535, slot);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	TH_LOG("assignment 65,536 of a height-16 set: %.2f ms", ms);
	EXPECT_EQ(-ENOSPC, store_pne_assign(self->st, "over", &slot,
					    self->err, ERRLEN));
	EXPECT_STREQ("PNE over: key material set 1: all 65536 slots used",
		     self->err);
	counts(_metadata, self->st, 0, 65536, 0);
}

/* ---- what the schema refuses by itself ---- */

TEST_F(store, schema_refuses)
{
	static const char *const bad[] = {
		/* a revoked slot back to assigned, or freed */
		"UPDATE slots SET state = 1 WHERE slot = 1",
		"DELETE FROM slots WHERE slot = 1",
		"DELETE FROM slots WHERE slot = 0",
		/* a slot out of order, again, or beyond the tree */
		"INSERT INTO slots VALUES (1, 5, 1, 'x')",
		"INSERT INTO slots VALUES (1, 0, 1, 'x')",
		"INSERT INTO slots VALUES (1, 2, 2, 'x')",
		/* a slot handed to someone else afterwards */
		"UPDATE slots SET pne_id = 'c' WHERE slot = 0",
		/* two PNEs on one slot */
		"UPDATE pnes SET state = 1, set_id = 1, slot = 0, assigned_at = 1 WHERE id = 'c'",
		/* a revoked PNE back */
		"UPDATE pnes SET state = 0, set_id = NULL, slot = NULL WHERE id = 'b'",
		"UPDATE pnes SET state = 1, assigned_at = 1 WHERE id = 'b'",
		/* a PNE on a slot that was never handed out */
		"UPDATE pnes SET state = 1, set_id = 1, slot = 3, assigned_at = 1 WHERE id = 'c'",
		/* the counter backwards, a set deleted or renumbered */
		"UPDATE kms SET next_slot = 1",
		"DELETE FROM kms",
		"UPDATE kms SET set_id = 9",
		"UPDATE kms SET height = 3",
		/* the current master erased or replaced */
		"UPDATE kms SET master = NULL",
		"UPDATE kms SET master = zeroblob(32)",
		/* an older set id, a short master */
		"INSERT INTO kms (set_id, gateway_id, height, master) VALUES (0, 1, 2, zeroblob(32))",
		"INSERT INTO kms (set_id, gateway_id, height, master) VALUES (7, 1, 2, zeroblob(31))",
		/* bad ids and paths */
		"INSERT INTO pnes (id, eu_key_file, state) VALUES ('a b', '/k', 0)",
		"INSERT INTO pnes (id, eu_key_file, state) VALUES ('', '/k', 0)",
		"INSERT INTO pnes (id, eu_key_file, state) VALUES ('d', 'k', 0)",
		"INSERT INTO pnes (id, eu_key_file, state, set_id, slot) VALUES ('d', '/k', 1, 1, 2)",
		"INSERT INTO pnes (id, eu_key_file, state) VALUES ('d', '/k', 2)",
		/* two PNEs on one slot, with the trigger out of the way */
		"BEGIN; DROP TRIGGER pnes_update; UPDATE pnes SET state = 1, "
		"set_id = 1, slot = 0, assigned_at = 1 WHERE id = 'c'",
		/* the signing key replaced */
		"UPDATE signkey SET seed = zeroblob(32)",
		"DELETE FROM signkey",
	};
	struct store_kms k = make_kms(1, 2);
	uint8_t sk[32] = { 1 };
	uint32_t slot;
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	ASSERT_EQ(0, store_signkey_put(self->st, sk));
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "b", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "c", "/k", NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_revoke(self->st, "b", NULL, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *q = bad[i] ? bad[i] : "";

		EXPECT_EQ(SQLITE_CONSTRAINT, raw_sql(self->path, q) & 0xff)
			TH_LOG("accepted: %s", q);
	}
	/* What the rules allow, so the refusals above are not blanket. */
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "INSERT INTO slots VALUES (1, 2, 1, 'x')"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "UPDATE slots SET state = 2 WHERE slot = 0"));
	/* which revoked PNE a with it */
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_EQ(-EPERM, store_pne_assign(self->st, "a", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "c", &slot, NULL, 0));
	EXPECT_EQ(3, slot);
	/* No PNE holds slot 2 nor set 2: only the triggers keep them. */
	k = make_kms(2, 2);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	EXPECT_EQ(SQLITE_CONSTRAINT, raw_sql(self->path,
		  "DELETE FROM slots WHERE slot = 2") & 0xff);
	EXPECT_EQ(SQLITE_CONSTRAINT, raw_sql(self->path,
		  "DELETE FROM kms WHERE set_id = 2") & 0xff);
	EXPECT_EQ(2, raw_int(self->path, "SELECT count(*) FROM kms"));
}

/* ---- surviving a close and a reopen ---- */

TEST_F(store, reopen_keeps_everything)
{
	struct store_kms k = make_kms(3, 4), got;
	uint8_t sk[32], gsk[32];
	struct store_pne p;
	uint32_t slot;

	fill(sk, sizeof(sk), 9);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	ASSERT_EQ(0, store_signkey_put(self->st, sk));
	ASSERT_EQ(0, store_pne_add(self->st, "a", "/k/a", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "b", "/k/b", NULL, 0));
	ASSERT_EQ(0, store_pne_add(self->st, "c", "/k/c", NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "a", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	ASSERT_EQ(0, store_pne_revoke(self->st, "a", NULL, 0));

	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_get(self->st, &got));
	EXPECT_EQ(k.gateway_id, got.gateway_id);
	EXPECT_EQ(3, got.set_id);
	EXPECT_EQ(4, got.height);
	EXPECT_EQ(0, memcmp(k.master, got.master, 32));
	ASSERT_EQ(0, store_signkey_get(self->st, gsk));
	EXPECT_EQ(0, memcmp(sk, gsk, 32));
	ASSERT_EQ(0, store_pne_get(self->st, "a", &p));
	EXPECT_EQ(STORE_PNE_REVOKED, p.state);
	EXPECT_EQ(0, p.slot);
	EXPECT_STREQ("/k/a", p.eu_key_file);
	ASSERT_EQ(0, store_pne_get(self->st, "b", &p));
	EXPECT_EQ(STORE_PNE_ASSIGNED, p.state);
	EXPECT_EQ(3, p.set_id);
	EXPECT_EQ(1, p.slot);
	ASSERT_EQ(0, store_pne_get(self->st, "c", &p));
	EXPECT_EQ(STORE_PNE_REGISTERED, p.state);
	counts(_metadata, self->st, 14, 1, 1);
	ASSERT_EQ(0, store_pne_assign(self->st, "c", &slot, NULL, 0));
	EXPECT_EQ(2, slot);
	ASSERT_EQ(0, store_pne_assign(self->st, "b", &slot, NULL, 0));
	EXPECT_EQ(1, slot);
	OPENSSL_cleanse(&got, sizeof(got));
}

/* ---- figure b: Group Keys, members, acknowledgements ---- */

/* Joins the ids a foreach saw: "a b c"; stops at @stop_at. */
struct ids {
	char s[512];
	int n, stop_at;
};

static int see_id(const char *id, void *arg)
{
	struct ids *v = arg;
	size_t l = strlen(v->s);

	snprintf(v->s + l, sizeof(v->s) - l, "%s%s", l ? " " : "", id);
	return ++v->n == v->stop_at ? 42 : 0;
}

static int see_excl(uint32_t group, uint64_t epoch, void *arg)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%u@%llu", group,
		 (unsigned long long)epoch);
	return see_id(buf, arg);
}

static int see_gk(const struct store_gk *gk, void *arg)
{
	struct store_gk want = make_gk(gk->group, gk->epoch);
	char buf[48];

	snprintf(buf, sizeof(buf), "%u@%llu%s", gk->group,
		 (unsigned long long)gk->epoch,
		 memcmp(&want, gk, sizeof(want)) ? "(bad)" : "");
	OPENSSL_cleanse(&want, sizeof(want));
	return see_id(buf, arg);
}

static const char *gk_members(struct store *st, uint32_t group,
			      struct ids *v)
{
	memset(v, 0, sizeof(*v));
	return store_gk_member_foreach(st, group, see_id, v) ? "(failed)" :
		v->s;
}

static const char *gk_excluded(struct store *st, const char *id,
			       struct ids *v)
{
	memset(v, 0, sizeof(*v));
	return store_gk_excluded_foreach(st, id, see_excl, v) ? "(failed)" :
		v->s;
}

static const char *gk_acks(struct store *st, uint32_t group, uint64_t epoch,
			   struct ids *v)
{
	memset(v, 0, sizeof(*v));
	return store_gk_ack_foreach(st, group, epoch, see_id, v) ?
		"(failed)" : v->s;
}

TEST_F(store, gk_put_get_refusals)
{
	static const char *const m[] = { "B", "a", "c" };
	static const char *const unsorted[] = { "a", "B" };
	static const char *const twice[] = { "a", "a" };
	static const char *const badid[] = { "a", "b c" };
	struct store_gk gk = make_gk(7, 3), got;
	struct ids v;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(-ENOENT, store_gk_get(self->st, 7, &got));
	EXPECT_STREQ("group 7: no Group Key", store_errmsg(self->st));
	ASSERT_EQ(0, store_gk_put(self->st, &gk, m, 3, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_gk_get(self->st, 7, &got));
	EXPECT_EQ(0, memcmp(&gk, &got, sizeof(gk)));
	EXPECT_STREQ("B a c", gk_members(self->st, 7, &v));

	/* Older epoch; same epoch with another key or validity. */
	gk = make_gk(7, 2);
	EXPECT_EQ(-ESTALE, store_gk_put(self->st, &gk, m, 3, self->err,
					ERRLEN));
	EXPECT_STREQ("group 7: epoch 2 is below the stored epoch 3",
		     self->err);
	gk = make_gk(7, 3);
	gk.key[31] ^= 1;
	EXPECT_EQ(-EEXIST, store_gk_put(self->st, &gk, m, 1, self->err,
					ERRLEN));
	EXPECT_STREQ("group 7: epoch 3 is stored with another key or validity",
		     self->err);
	gk = make_gk(7, 3);
	gk.valid_until++;
	EXPECT_EQ(-EEXIST, store_gk_put(self->st, &gk, m, 1, NULL, 0));
	gk = make_gk(7, 3);
	gk.valid_from--;
	EXPECT_EQ(-EEXIST, store_gk_put(self->st, &gk, m, 1, NULL, 0));
	EXPECT_STREQ("B a c", gk_members(self->st, 7, &v));

	/* Bad arguments write nothing. */
	gk = make_gk(7, 4);
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, unsorted, 2, self->err,
					ERRLEN));
	EXPECT_STREQ("group 7: members not in ascending order at B",
		     self->err);
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, twice, 2, NULL, 0));
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, NULL, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, badid, 2, self->err,
					ERRLEN));
	EXPECT_STREQ("group 7: PNE (invalid id): ids are 1..64 of [A-Za-z0-9._:-]",
		     self->err);
	gk = make_gk(0, 4);
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, m, 3, self->err,
					ERRLEN));
	EXPECT_STREQ("group 0: groups are 1..4294967295", self->err);
	gk = make_gk(7, 0);
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, m, 3, self->err,
					ERRLEN));
	EXPECT_STREQ("group 7: epoch 0 outside 1..9223372036854775807",
		     self->err);
	gk = make_gk(7, (uint64_t)INT64_MAX + 1);
	EXPECT_EQ(-EINVAL, store_gk_put(self->st, &gk, m, 3, NULL, 0));
	EXPECT_EQ(-EINVAL, store_gk_get(self->st, 0, &got));
	EXPECT_EQ(-EINVAL, store_gk_member_foreach(self->st, 0, see_id, &v));
	EXPECT_EQ(-EINVAL, store_gk_is_member(self->st, 7, "a b"));
	EXPECT_EQ(-EINVAL, store_gk_is_member(self->st, 0, "a"));
	EXPECT_EQ(-EINVAL, store_gk_excluded_foreach(self->st, "", see_excl,
						     &v));
	ASSERT_EQ(0, store_gk_get(self->st, 7, &got));
	EXPECT_EQ(3, got.epoch);
	EXPECT_EQ(1, store_gk_is_member(self->st, 7, "a"));
	EXPECT_EQ(0, store_gk_is_member(self->st, 7, "A"));
	EXPECT_EQ(0, store_gk_is_member(self->st, 8, "a"));

	/* Groups in order; no members is a group too. */
	gk = make_gk(2, 9);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, NULL, 0, NULL, 0));
	memset(&v, 0, sizeof(v));
	EXPECT_EQ(0, store_gk_foreach(self->st, see_gk, &v));
	EXPECT_STREQ("2@9 7@3", v.s);
	memset(&v, 0, sizeof(v));
	v.stop_at = 1;
	EXPECT_EQ(42, store_gk_foreach(self->st, see_gk, &v));
	EXPECT_STREQ("", gk_members(self->st, 2, &v));
	gk = make_gk(7, INT64_MAX);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, m, 3, NULL, 0));
	ASSERT_EQ(0, store_gk_get(self->st, 7, &got));
	EXPECT_EQ((uint64_t)INT64_MAX, got.epoch);
	OPENSSL_cleanse(&gk, sizeof(gk));
	OPENSSL_cleanse(&got, sizeof(got));
}

TEST_F(store, gk_join_and_exclusion)
{
	static const char *const abc[] = { "a", "b", "c" };
	static const char *const ac[] = { "a", "c" };
	static const char *const abd[] = { "a", "b", "d" };
	struct store_gk gk = make_gk(5, 1), g9 = make_gk(9, 4);
	struct ids v;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, ac, 2, NULL, 0));
	ASSERT_EQ(0, store_gk_put(self->st, &g9, abc, 3, NULL, 0));
	/* A join: same epoch, same key, one more member. */
	ASSERT_EQ(0, store_gk_put(self->st, &gk, abc, 3, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	EXPECT_STREQ("a b c", gk_members(self->st, 5, &v));
	EXPECT_STREQ("", gk_excluded(self->st, "b", &v));
	/* A repeat changes nothing. */
	ASSERT_EQ(0, store_gk_put(self->st, &gk, abc, 3, NULL, 0));
	EXPECT_STREQ("a b c", gk_members(self->st, 5, &v));

	/* Epoch 2 without c, and d joins: c is excluded at epoch 2. */
	gk = make_gk(5, 2);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, abd, 3, NULL, 0));
	EXPECT_STREQ("a b d", gk_members(self->st, 5, &v));
	EXPECT_EQ(0, store_gk_is_member(self->st, 5, "c"));
	EXPECT_STREQ("5@2", gk_excluded(self->st, "c", &v));
	EXPECT_STREQ("", gk_excluded(self->st, "d", &v));
	/* Excluded from two groups, in group order. */
	g9 = make_gk(9, 6);
	ASSERT_EQ(0, store_gk_put(self->st, &g9, ac, 2, NULL, 0));
	EXPECT_STREQ("5@2", gk_excluded(self->st, "c", &v));
	EXPECT_STREQ("9@6", gk_excluded(self->st, "b", &v));
	/* Everyone out: the group keeps its key with no member here. */
	gk = make_gk(5, 3);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, NULL, 0, NULL, 0));
	EXPECT_STREQ("", gk_members(self->st, 5, &v));
	EXPECT_STREQ("5@3", gk_excluded(self->st, "a", &v));
	EXPECT_STREQ("5@2", gk_excluded(self->st, "c", &v));
	EXPECT_STREQ("5@3 9@6", gk_excluded(self->st, "b", &v));

	/* A member again loses its record; the others keep theirs. */
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	gk = make_gk(5, 4);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, abc + 1, 1, NULL, 0));
	EXPECT_STREQ("9@6", gk_excluded(self->st, "b", &v));
	EXPECT_STREQ("5@2", gk_excluded(self->st, "c", &v));
	EXPECT_STREQ("b", gk_members(self->st, 5, &v));
	memset(&v, 0, sizeof(v));
	v.stop_at = 1;
	EXPECT_EQ(42, store_gk_excluded_foreach(self->st, "a", see_excl, &v));
	OPENSSL_cleanse(&gk, sizeof(gk));
	OPENSSL_cleanse(&g9, sizeof(g9));
}

TEST_F(store, gk_acks)
{
	static const char *const m[] = { "a", "b", "c" };
	struct store_gk gk = make_gk(3, 10);
	struct ids v;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(-ENOENT, store_gk_ack(self->st, 3, 10, "a"));
	EXPECT_STREQ("group 3: no Group Key", store_errmsg(self->st));
	ASSERT_EQ(0, store_gk_put(self->st, &gk, m, 3, NULL, 0));
	EXPECT_EQ(0, store_gk_acked(self->st, 3, 10, "b"));
	EXPECT_STREQ("", gk_acks(self->st, 3, 10, &v));
	ASSERT_EQ(0, store_gk_ack(self->st, 3, 10, "c"));
	ASSERT_EQ(0, store_gk_ack(self->st, 3, 10, "a"));
	EXPECT_EQ(0, store_gk_ack(self->st, 3, 10, "a"));	/* a repeat */
	EXPECT_EQ(1, store_gk_acked(self->st, 3, 10, "a"));
	EXPECT_EQ(0, store_gk_acked(self->st, 3, 10, "b"));
	EXPECT_EQ(0, store_gk_acked(self->st, 3, 9, "a"));
	EXPECT_STREQ("a c", gk_acks(self->st, 3, 10, &v));
	EXPECT_EQ(-ESTALE, store_gk_ack(self->st, 3, 9, "b"));
	EXPECT_STREQ("group 3: epoch 9 is not the current epoch 10",
		     store_errmsg(self->st));
	EXPECT_EQ(-ESTALE, store_gk_ack(self->st, 3, 11, "b"));
	EXPECT_EQ(-EINVAL, store_gk_ack(self->st, 3, 10, "b b"));
	EXPECT_EQ(NULL, strstr(store_errmsg(self->st), "b b"));
	EXPECT_EQ(-EINVAL, store_gk_ack(self->st, 0, 10, "b"));
	EXPECT_EQ(-EINVAL, store_gk_ack(self->st, 3, 0, "b"));
	EXPECT_EQ(-EINVAL, store_gk_acked(self->st, 3, 10, NULL));
	EXPECT_EQ(-EINVAL, store_gk_ack_foreach(self->st, 0, 10, see_id, &v));

	/* A join or a repeat keeps them; they survive a reopen. */
	ASSERT_EQ(0, store_gk_put(self->st, &gk, m, 2, NULL, 0));
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_STREQ("a c", gk_acks(self->st, 3, 10, &v));
	memset(&v, 0, sizeof(v));
	v.stop_at = 1;
	EXPECT_EQ(42, store_gk_ack_foreach(self->st, 3, 10, see_id, &v));
	/* A new epoch drops them. */
	gk = make_gk(3, 11);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, m, 3, NULL, 0));
	EXPECT_STREQ("", gk_acks(self->st, 3, 10, &v));
	EXPECT_EQ(0, store_gk_acked(self->st, 3, 10, "a"));
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM gk_acks"));
	ASSERT_EQ(0, store_gk_ack(self->st, 3, 11, "b"));
	EXPECT_STREQ("b", gk_acks(self->st, 3, 11, &v));
	OPENSSL_cleanse(&gk, sizeof(gk));
}

static bool file_has(const char *path, const uint8_t *key, size_t n)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, len, key, n) != NULL;
}

/* A replaced Group Key is overwritten in the file and gone from the WAL. */
TEST_F(store, gk_old_key_wiped)
{
	struct store_gk k1 = make_gk(6, 1), k2 = make_gk(6, 2);
	char wal[160];

	snprintf(wal, sizeof(wal), "%s-wal", self->path);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_gk_put(self->st, &k1, NULL, 0, NULL, 0));
	ASSERT_EQ(0, store_gk_put(self->st, &k2, NULL, 0, NULL, 0));
	EXPECT_TRUE(file_has(self->path, k2.key, sizeof(k2.key)));
	EXPECT_FALSE(file_has(self->path, k1.key, sizeof(k1.key)));
	EXPECT_FALSE(file_has(wal, k1.key, sizeof(k1.key)));
}

TEST_F(store, gk_schema_refuses)
{
	static const char *const bad[] = {
		/* an epoch back, or kept with another key */
		"UPDATE gks SET epoch = 1",
		"UPDATE gks SET key = zeroblob(32)",
		"UPDATE gks SET valid_until = 1",
		"DELETE FROM gks",
		/* a short key, group 0 */
		"INSERT INTO gks VALUES (2, 1, zeroblob(31), 0, 1)",
		"INSERT INTO gks VALUES (0, 1, zeroblob(32), 0, 1)",
		/* a member of no group, a bad id */
		"INSERT INTO gk_members VALUES (9, 'x')",
		"INSERT INTO gk_members VALUES (1, 'x y')",
		/* excluded while a member, or at another epoch */
		"INSERT INTO gk_excluded VALUES ('a', 1, 5)",
		"INSERT INTO gk_excluded VALUES ('x', 1, 4)",
		"UPDATE gk_excluded SET epoch = 4",
		/* an acknowledgement of another epoch */
		"INSERT INTO gk_acks VALUES (1, 4, 'a')",
		"INSERT INTO gk_acks VALUES (1, 6, 'a')",
	};
	static const char *const ab[] = { "a", "b" };
	struct store_gk gk = make_gk(1, 5);
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_gk_put(self->st, &gk, ab, 2, NULL, 0));
	ASSERT_EQ(0, store_gk_put(self->st, &gk, ab, 1, NULL, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *q = bad[i] ? bad[i] : "";

		EXPECT_EQ(SQLITE_CONSTRAINT, raw_sql(self->path, q) & 0xff)
			TH_LOG("accepted: %s", q);
	}
	/* What the rules allow, so the refusals above are not blanket. */
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "INSERT INTO gk_acks VALUES (1, 5, 'a')"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "DELETE FROM gk_members WHERE pne_id = 'a'"));
	EXPECT_EQ(2, raw_int(self->path, "SELECT count(*) FROM gk_excluded "
			     "WHERE epoch = 5"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "INSERT INTO gk_members VALUES (1, 'b')"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM gk_excluded"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path, "UPDATE gks SET epoch = 6, "
				     "key = zeroblob(32)"));
	EXPECT_EQ(0, raw_int(self->path, "SELECT count(*) FROM gk_acks"));
	OPENSSL_cleanse(&gk, sizeof(gk));
}

/* ---- kill -9 in the middle of a stream of assignments ---- */

#define KILLS		50
#define BASE_PNES	16
#define MAX_ACKS	20000

struct ack {
	char op;	/* 'N' added, 'A' assigned, 'R' revoked */
	char id[24];
	uint32_t slot;
};

/*
 * The child: a gateway stand-in.  It writes each result to the pipe only
 * after the call returned, as the gateway answers a PNE only after the
 * commit: every line in the pipe is an acknowledgement.
 */
static void __attribute__((noreturn)) hammer(const char *path, int fd,
					     int round, uint64_t seed)
{
	char ids[BASE_PNES + 4096][24], line[64], err[ERRLEN];
	int n = 0, added = 0, len;
	struct store *st;
	uint32_t slot;

	if (store_open(path, &st, err, sizeof(err)))
		_exit(3);
	if (write(fd, "S\n", 2) != 2)
		_exit(4);
	for (n = 0; n < BASE_PNES; n++)
		snprintf(ids[n], sizeof(ids[n]), "p%02d", n);
	for (;;) {
		uint64_t r = xorshift64s(&seed);
		const char *id = ids[r % n];

		len = 0;
		if (r % 4 == 0 && n < (int)(ARRAY_SIZE(ids))) {
			snprintf(ids[n], sizeof(ids[n]), "r%d-%d", round,
				 added++);
			if (!store_pne_add(st, ids[n], "/k", err, sizeof(err)))
				len = snprintf(line, sizeof(line), "N %s\n",
					       ids[n]);
			id = ids[n++];
		} else if (r % 29 == 1) {
			if (!store_pne_revoke(st, id, err, sizeof(err)))
				len = snprintf(line, sizeof(line), "R %s\n",
					       id);
		}
		if (len && write(fd, line, len) != len)
			_exit(4);
		if (!store_pne_assign(st, id, &slot, err, sizeof(err))) {
			len = snprintf(line, sizeof(line), "A %s %u\n", id,
				       slot);
			if (write(fd, line, len) != len)
				_exit(4);
		}
	}
}

/* Reads the child's acknowledgements until it is dead and the pipe empty. */
static int drain(int fd, struct ack *acks, int *n)
{
	static char buf[1 << 16];
	size_t have = 0;
	ssize_t r;
	char *nl, *p;

	while ((r = read(fd, buf + have, sizeof(buf) - have - 1)) > 0) {
		have += r;
		buf[have] = 0;
		p = buf;
		while ((nl = strchr(p, '\n'))) {
			struct ack *a = &acks[*n];

			*nl = 0;
			if (!strcmp(p, "S")) {	/* started, not an ack */
				p = nl + 1;
				continue;
			}
			if (*n >= MAX_ACKS)
				return -1;
			a->slot = 0;
			if (sscanf(p, "%c %23s %u", &a->op, a->id,
				   &a->slot) < 2)
				return -1;
			(*n)++;
			p = nl + 1;
		}
		have -= p - buf;
		memmove(buf, p, have);
	}
	return have ? -1 : 0;
}

struct slotcheck {
	uint64_t keys[MAX_ACKS + BASE_PNES];
	int n;
	uint32_t assigned, revoked;
};

static int take_slot(const struct store_pne *p, void *arg)
{
	struct slotcheck *c = arg;

	if (p->state == STORE_PNE_ASSIGNED)
		c->assigned++;
	if (p->state == STORE_PNE_REVOKED && p->has_slot)
		c->revoked++;
	if (p->has_slot && c->n < MAX_ACKS + BASE_PNES)
		c->keys[c->n++] = (uint64_t)p->set_id << 32 | p->slot;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

TEST_F(store, kill9_keeps_acknowledged)
{
	struct store_kms k = make_kms(1, 16), got;
	static struct slotcheck chk;
	static struct ack acks[MAX_ACKS];
	int nacks = 0, i, j, fds[2], status, mid = 0;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
	uint32_t f, a, r;
	struct store_pne p;
	char id[24];
	pid_t pid;

	TH_LOG("seed %llu", (unsigned long long)seed);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, store_kms_put(self->st, &k, NULL, 0));
	for (i = 0; i < BASE_PNES; i++) {
		snprintf(id, sizeof(id), "p%02d", i);
		ASSERT_EQ(0, store_pne_add(self->st, id, "/k", NULL, 0));
	}
	/* No connection crosses a fork (SQLite's rule). */
	store_close(self->st);
	self->st = NULL;

	for (i = 0; i < KILLS; i++) {
		int before = nacks;

		ASSERT_EQ(0, pipe(fds));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(fds[0]);
			hammer(self->path, fds[1], i, seed + i);
		}
		close(fds[1]);
		/*
		 * Random moments: every fifth round from the fork (in open
		 * and WAL recovery), the others from the child's first
		 * transaction on (mid-transaction, in a commit), however
		 * slow a loaded machine makes the open.
		 */
		if (i % 5) {
			struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
			char started[2];

			ASSERT_EQ(1, poll(&pfd, 1, 10000));
			ASSERT_EQ(2, read(fds[0], started, 2));
			ASSERT_EQ(0, memcmp(started, "S\n", 2));
			usleep(xorshift64s(&seed) % 30000);
		} else {
			usleep(xorshift64s(&seed) % 20000);
		}
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(0, drain(fds[0], acks, &nacks));
		close(fds[0]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: child exited %d before the kill", i,
			       WEXITSTATUS(status));
		mid += nacks > before;

		ASSERT_EQ(0, open_st(self)) TH_LOG("round %d: %s", i, self->err);
		for (j = 0; j < nacks; j++) {
			struct ack *c = &acks[j];

			ASSERT_EQ(0, store_pne_get(self->st, c->id, &p))
				TH_LOG("round %d: acknowledged %c %s lost", i,
				       c->op, c->id);
			if (c->op == 'R')
				ASSERT_EQ(STORE_PNE_REVOKED, p.state)
					TH_LOG("round %d: %s unrevoked", i,
					       c->id);
			if (c->op == 'A') {
				ASSERT_TRUE(p.has_slot)
					TH_LOG("round %d: %s lost slot %u", i,
					       c->id, c->slot);
				ASSERT_EQ(1, p.set_id);
				ASSERT_EQ(c->slot, p.slot)
					TH_LOG("round %d: %s moved", i, c->id);
			}
		}
		memset(&chk, 0, sizeof(chk));
		ASSERT_EQ(0, store_pne_foreach(self->st, take_slot, &chk));
		qsort(chk.keys, chk.n, sizeof(chk.keys[0]), cmp_u64);
		for (j = 1; j < chk.n; j++)
			ASSERT_NE(chk.keys[j - 1], chk.keys[j])
				TH_LOG("round %d: slot %u held twice", i,
				       (uint32_t)chk.keys[j]);
		ASSERT_EQ(0, store_slot_counts(self->st, &f, &a, &r));
		EXPECT_EQ(chk.assigned, a);
		EXPECT_EQ(chk.revoked, r);
		EXPECT_EQ(65536u, f + a + r);
		/* Lowest first and never reused: no gap below the counter. */
		EXPECT_EQ(65536u - f, (uint32_t)chk.n);
		ASSERT_EQ(0, store_kms_get(self->st, &got));
		ASSERT_EQ(0, memcmp(k.master, got.master, 32))
			TH_LOG("round %d: master secret changed", i);
		EXPECT_EQ(1, got.set_id);
		store_close(self->st);
		self->st = NULL;
	}
	OPENSSL_cleanse(&got, sizeof(got));
	TH_LOG("%d kills, %d acknowledgements, %d rounds acknowledged something",
	       KILLS, nacks, mid);
	EXPECT_LT(KILLS / 2, mid);
}

/* ---- kill -9 in the middle of a stream of Group Key notifications ---- */

#define GK_KILLS	30

/* The members of every epoch of group 1: a subset of m0..m7, by epoch. */
static size_t gk_epoch_members(uint64_t epoch, const char *ids[8],
			       char buf[8][4])
{
	unsigned int bits = (unsigned int)(epoch * 2654435761u >> 7) & 0xff;
	size_t i, n = 0;

	for (i = 0; i < 8; i++) {
		if (!(bits & 1u << i))
			continue;
		snprintf(buf[n], sizeof(buf[n]), "m%zu", i);
		ids[n] = buf[n];
		n++;
	}
	return n;
}

/*
 * The child: a gateway taking notification after notification, writing
 * each stored epoch ("P e") and acknowledgement ("A e id") to the pipe
 * only after the call returned.
 */
static void __attribute__((noreturn)) gk_hammer(const char *path, int fd,
						uint64_t seed)
{
	char line[64], err[ERRLEN], buf[8][4];
	struct store_gk gk;
	const char *ids[8];
	struct store *st;
	uint64_t epoch = 0;
	size_t n, i;
	int len;

	if (store_open(path, &st, err, sizeof(err)))
		_exit(3);
	if (!store_gk_get(st, 1, &gk))
		epoch = gk.epoch;
	if (write(fd, "S\n", 2) != 2)
		_exit(4);
	for (;;) {
		epoch += 1 + xorshift64s(&seed) % 2;
		gk = make_gk(1, epoch);
		n = gk_epoch_members(epoch, ids, buf);
		if (store_gk_put(st, &gk, ids, n, err, sizeof(err)))
			_exit(5);
		len = snprintf(line, sizeof(line), "P %llu -\n",
			       (unsigned long long)epoch);
		if (write(fd, line, len) != len)
			_exit(4);
		for (i = 0; i < n; i++) {
			if (xorshift64s(&seed) % 2)
				continue;
			if (store_gk_ack(st, 1, epoch, ids[i]))
				_exit(6);
			len = snprintf(line, sizeof(line), "A %llu %s\n",
				       (unsigned long long)epoch, ids[i]);
			if (write(fd, line, len) != len)
				_exit(4);
		}
	}
}

TEST_F(store, kill9_keeps_group_keys)
{
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
	uint64_t put = 0, acked_epoch = 0;
	char acked[8][8], buf8[8][4];
	int i, fds[2], status, nacked = 0;
	const char *ids[8];
	struct store_gk gk, want;
	struct ids v;
	pid_t pid;

	TH_LOG("seed %llu", (unsigned long long)seed);
	for (i = 0; i < GK_KILLS; i++) {
		static char buf[1 << 16];
		char joined[64] = "", *p, *nl, *first;
		size_t have = 0, n, j;
		ssize_t r;

		buf[0] = 0;
		ASSERT_EQ(0, pipe(fds));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(fds[0]);
			gk_hammer(self->path, fds[1], seed + i);
		}
		close(fds[1]);
		/* As in kill9_keeps_acknowledged; after a first put here. */
		if (i % 5) {
			struct pollfd pfd = { .fd = fds[0], .events = POLLIN };

			while (!(first = strchr(buf, '\n')) ||
			       !strchr(first + 1, '\n')) {
				ASSERT_EQ(1, poll(&pfd, 1, 10000));
				r = read(fds[0], buf + have,
					 sizeof(buf) - have - 1);
				ASSERT_LT(0, r);
				have += r;
				buf[have] = 0;
			}
			usleep(xorshift64s(&seed) % 30000);
		} else {
			usleep(xorshift64s(&seed) % 20000);
		}
		ASSERT_EQ(0, kill(pid, SIGKILL));
		while ((r = read(fds[0], buf + have,
				 sizeof(buf) - have - 1)) > 0)
			have += r;
		close(fds[0]);
		buf[have] = 0;
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: child exited %d", i,
			       WEXITSTATUS(status));
		for (p = buf; (nl = strchr(p, '\n')); p = nl + 1) {
			unsigned long long e;
			char c, id[8];

			*nl = 0;
			if (sscanf(p, "%c %llu %7s", &c, &e, id) != 3)
				continue;
			if (c == 'P') {
				ASSERT_LT(put, e);
				put = e;
				nacked = 0;
			} else if (nacked < 8) {
				ASSERT_EQ(put, e);
				snprintf(acked[nacked++], 8, "%s", id);
				acked_epoch = e;
			}
		}

		ASSERT_EQ(0, open_st(self)) TH_LOG("round %d: %s", i, self->err);
		/*
		 * Nothing reported yet: none, or a first put committed but
		 * killed before it said so (checked like any other below).
		 */
		r = store_gk_get(self->st, 1, &gk);
		if (!put && r == -ENOENT)
			goto next;
		ASSERT_EQ(0, r) TH_LOG("round %d: %s", i, self->err);
		/* At most one unacknowledged put beyond the last one. */
		ASSERT_LE(put, gk.epoch) TH_LOG("round %d: epoch %llu lost", i,
						(unsigned long long)put);
		want = make_gk(1, gk.epoch);
		ASSERT_EQ(0, memcmp(&want, &gk, sizeof(gk)))
			TH_LOG("round %d: epoch %llu torn", i,
			       (unsigned long long)gk.epoch);
		/* The members went in with their key. */
		n = gk_epoch_members(gk.epoch, ids, buf8);
		for (j = 0; j < n; j++)
			snprintf(joined + strlen(joined),
				 sizeof(joined) - strlen(joined), "%s%s",
				 j ? " " : "", ids[j]);
		ASSERT_STREQ(joined, gk_members(self->st, 1, &v))
			TH_LOG("round %d: epoch %llu", i,
			       (unsigned long long)gk.epoch);
		for (j = 0; gk.epoch == acked_epoch && j < (size_t)nacked; j++)
			ASSERT_EQ(1, store_gk_acked(self->st, 1, gk.epoch,
						    acked[j]))
				TH_LOG("round %d: ack of %s lost", i, acked[j]);
		ASSERT_EQ(0, raw_int(self->path, "SELECT count(*) FROM gk_acks "
				     "WHERE epoch != (SELECT epoch FROM gks)"));
		put = gk.epoch;
		if (acked_epoch != put)
			nacked = 0;
next:
		store_close(self->st);
		self->st = NULL;
	}
	TH_LOG("%d kills, last epoch %llu", GK_KILLS,
	       (unsigned long long)put);
	OPENSSL_cleanse(&gk, sizeof(gk));
	OPENSSL_cleanse(&want, sizeof(want));
}

TEST_HARNESS_MAIN
