// SPDX-License-Identifier: GPL-2.0
/*
 * The CPNS Server's SQLite state (userspace/cpnsd/srvstore.c): the file,
 * membership and the gateways a group's epochs go to, epochs issued once
 * (across reopens and kill -9), key pruning and wiping, acknowledgements
 * and the delivery report, and the invariants the schema enforces.
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
#include "msg.h"
#include "srvstore.h"
#include "store.h"

#define ERRLEN	256

FIXTURE(srv) {
	char dir[64];
	char path[128];
	char err[ERRLEN];
	struct srvstore *st;
};

FIXTURE_SETUP(srv)
{
	strcpy(self->dir, "/tmp/cpns-srvstore-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/server.db", self->dir);
	self->st = NULL;
	self->err[0] = 0;
}

FIXTURE_TEARDOWN(srv)
{
	static const char *const sfx[] = { "", "-wal", "-shm", ".link" };
	char p[160];
	size_t i;

	srvstore_close(self->st);
	for (i = 0; i < ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", self->path, sfx[i]);
		unlink(p);
	}
	rmdir(self->dir);
}

static int open_st(FIXTURE_DATA(srv) *self)
{
	self->err[0] = 0;
	return srvstore_open(self->path, &self->st, self->err,
			     sizeof(self->err));
}

static void reopen(FIXTURE_DATA(srv) *self)
{
	srvstore_close(self->st);
	self->st = NULL;
	open_st(self);
}

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

static struct srv_gk make_gk(uint32_t group, uint64_t epoch)
{
	struct srv_gk gk = {
		.group = group,
		.epoch = epoch,
		.valid_from = 1000 + epoch,
		.valid_until = 5000 + epoch,
		.created = 900 + epoch,
	};
	size_t i;

	for (i = 0; i < sizeof(gk.key); i++)
		gk.key[i] = (uint8_t)(0xa0 ^ (group * 31 + epoch * 7 + i));
	return gk;
}

/* Joins what a foreach saw into one string, e.g. "1/gw1/a 1/gw1/b". */
struct seen {
	char s[1024];
	int n, stop_at;
};

static void seen_add(struct seen *v, const char *fmt, const char *a,
		     const char *b, unsigned long long x)
{
	size_t l = strlen(v->s);

	snprintf(v->s + l, sizeof(v->s) - l, "%s", l ? " " : "");
	l = strlen(v->s);
	snprintf(v->s + l, sizeof(v->s) - l, fmt, x, a, b);
	v->n++;
}

static int see_member(const struct srv_member *m, void *arg)
{
	struct seen *v = arg;

	seen_add(v, "%llu/%s/%s", m->gateway, m->pne_id, m->group);
	return v->n == v->stop_at ? 42 : 0;
}

static int see_gw(const char *gw, void *arg)
{
	struct seen *v = arg;

	seen_add(v, "%.0llu%s%s", gw, "", 0);
	return v->n == v->stop_at ? 42 : 0;
}

static const char *gateways(struct srvstore *st, uint32_t group,
			    struct seen *v)
{
	memset(v, 0, sizeof(*v));
	if (srvstore_group_gateways(st, group, see_gw, v))
		return "(failed)";
	return v->s;
}

static const char *members(struct srvstore *st, uint32_t group,
			   const char *gw, struct seen *v)
{
	memset(v, 0, sizeof(*v));
	if (srvstore_member_foreach(st, group, gw, see_member, v))
		return "(failed)";
	return v->s;
}

static const char *const dlv_names[] = { "missing", "acked", "refused" };

static int see_dlv(const struct srv_delivery *d, void *arg)
{
	struct seen *v = arg;
	char row[200];
	int n;

	n = snprintf(row, sizeof(row), "%s%s%s:%s", d->gateway,
		     *d->pne_id ? "/" : "", d->pne_id, dlv_names[d->state]);
	if (d->state != SRV_DLV_MISSING)
		snprintf(row + n, sizeof(row) - n, "@%llu",
			 (unsigned long long)d->status * 10000 + d->at);
	if (d->group != 9 && d->group != 5)
		strcpy(row, "(wrong group)");
	seen_add(v, "%.0llu%s%s", row, "", 0);
	return 0;
}

static const char *report(struct srvstore *st, uint32_t group,
			  uint64_t epoch, struct seen *v)
{
	memset(v, 0, sizeof(*v));
	if (srvstore_delivery_foreach(st, group, epoch, see_dlv, v))
		return "(failed)";
	return v->s;
}

/* ---- the file ---- */

TEST_F(srv, created_0600_and_ids)
{
	char side[160];
	mode_t old = umask(0);

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_member_add(self->st, 1, "a", "gw", NULL, 0));
	umask(old);
	EXPECT_EQ(0600, mode_of(self->path));
	snprintf(side, sizeof(side), "%s-wal", self->path);
	EXPECT_EQ(0600, mode_of(side));
	EXPECT_EQ(1, raw_int(self->path, "PRAGMA user_version"));
	EXPECT_EQ(0x43505356, raw_int(self->path, "PRAGMA application_id"));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM "
			     "pragma_journal_mode WHERE journal_mode = 'wal'"));
}

TEST_F(srv, refuses_files)
{
	char link[160];

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	srvstore_close(self->st);
	self->st = NULL;
	ASSERT_EQ(0, chmod(self->path, 0640));
	EXPECT_EQ(-EPERM, open_st(self));
	EXPECT_NE(NULL, strstr(self->err, "mode 0640 lets group or others in"))
		TH_LOG("%s", self->err);
	EXPECT_EQ(NULL, self->st);
	ASSERT_EQ(0, chmod(self->path, 0600));
	snprintf(link, sizeof(link), "%s.link", self->path);
	ASSERT_EQ(0, symlink(self->path, link));
	EXPECT_EQ(-ELOOP, srvstore_open(link, &self->st, self->err, ERRLEN));
	EXPECT_EQ(-EINVAL, srvstore_open(self->dir, &self->st, self->err,
					 ERRLEN));
	EXPECT_EQ(-EINVAL, srvstore_open("", &self->st, self->err, ERRLEN));
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "PRAGMA user_version = 2"));
	EXPECT_EQ(-ENOTSUP, open_st(self));
	EXPECT_NE(NULL, strstr(self->err,
			       "schema version 2 is newer than this cpnsd knows (1)"))
		TH_LOG("%s", self->err);
}

/* Neither store opens the other's file, whatever its version. */
TEST_F(srv, refuses_the_gateways_database)
{
	struct store *gw = NULL;

	ASSERT_EQ(0, store_open(self->path, &gw, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	store_close(gw);
	EXPECT_EQ(-EINVAL, open_st(self));
	EXPECT_NE(NULL, strstr(self->err, "not a cpnsd server database"))
		TH_LOG("%s", self->err);
	EXPECT_EQ(NULL, self->st);
	ASSERT_EQ(0, unlink(self->path));

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	srvstore_close(self->st);
	self->st = NULL;
	EXPECT_EQ(-EINVAL, store_open(self->path, &gw, self->err, ERRLEN));
	EXPECT_NE(NULL, strstr(self->err, "not a cpnsd database"))
		TH_LOG("%s", self->err);
	EXPECT_EQ(NULL, gw);
}

/* ---- membership ---- */

TEST_F(srv, members)
{
	static const char *const bad[] = {
		"", "a b", "a/b", "caf\xc3\xa9", "a'b",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};
	struct seen v;
	time_t t0 = time(NULL);
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_STREQ("", members(self->st, 0, NULL, &v));
	ASSERT_EQ(0, srvstore_member_add(self->st, 7, "b", "gw2", self->err,
					 ERRLEN)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_member_add(self->st, 7, "a", "gw2", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 7, "c", "gw1", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 3, "z", "gw9", NULL, 0));
	/* The same PNE id at another gateway is another member. */
	ASSERT_EQ(0, srvstore_member_add(self->st, 7, "a", "gw1", NULL, 0));
	EXPECT_EQ(-EEXIST, srvstore_member_add(self->st, 7, "a", "gw1",
					       self->err, ERRLEN));
	EXPECT_STREQ("group 7: PNE a at gateway gw1: already a member",
		     self->err);
	/* Byte order: upper case before lower case. */
	ASSERT_EQ(0, srvstore_member_add(self->st, 7, "B", "gw1", NULL, 0));

	EXPECT_STREQ("3/gw9/z 7/gw1/B 7/gw1/a 7/gw1/c 7/gw2/a 7/gw2/b",
		     members(self->st, 0, NULL, &v));
	EXPECT_STREQ("7/gw1/B 7/gw1/a 7/gw1/c 7/gw2/a 7/gw2/b",
		     members(self->st, 7, NULL, &v));
	EXPECT_STREQ("7/gw2/a 7/gw2/b", members(self->st, 0, "gw2", &v));
	EXPECT_STREQ("", members(self->st, 3, "gw2", &v));
	memset(&v, 0, sizeof(v));
	v.stop_at = 2;
	EXPECT_EQ(42, srvstore_member_foreach(self->st, 7, NULL, see_member,
					      &v));
	EXPECT_EQ(2, v.n);
	EXPECT_EQ(-EINVAL, srvstore_member_foreach(self->st, 7, "a b",
						   see_member, &v));

	EXPECT_EQ(0, srvstore_member_del(self->st, 7, "a", "gw2", self->err,
					 ERRLEN)) TH_LOG("%s", self->err);
	EXPECT_EQ(-ENOENT, srvstore_member_del(self->st, 7, "a", "gw2",
					       self->err, ERRLEN));
	EXPECT_STREQ("group 7: PNE a at gateway gw2: not a member", self->err);
	EXPECT_EQ(-ENOENT, srvstore_member_del(self->st, 8, "b", "gw2",
					       self->err, ERRLEN));
	EXPECT_STREQ("7/gw2/b", members(self->st, 7, "gw2", &v));

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, srvstore_member_add(self->st, 7, bad[i],
						       "gw1", self->err,
						       ERRLEN));
		EXPECT_NE(NULL, strstr(self->err, "PNE (invalid id)"))
			TH_LOG("%s", self->err);
		EXPECT_EQ(-EINVAL, srvstore_member_add(self->st, 7, "a",
						       bad[i], self->err,
						       ERRLEN));
		EXPECT_NE(NULL, strstr(self->err, "gateway (invalid name)"))
			TH_LOG("%s", self->err);
		EXPECT_EQ(-EINVAL, srvstore_member_del(self->st, 7, bad[i],
						       "gw1", NULL, 0));
	}
	EXPECT_EQ(-EINVAL, srvstore_member_add(self->st, 7, NULL, "gw1",
					       NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_member_add(self->st, 7, "a", NULL,
					       NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_member_add(self->st, 0, "a", "gw1",
					       self->err, ERRLEN));
	EXPECT_STREQ("group 0: groups are 1..4294967295", self->err);
	EXPECT_EQ(-EINVAL, srvstore_member_del(self->st, 0, "a", "gw1",
					       NULL, 0));
	/* 64 bytes fit; a group id of 2^32 - 1 too. */
	ASSERT_EQ(0, srvstore_member_add(self->st, UINT32_MAX,
					 bad[ARRAY_SIZE(bad) - 1] + 1,
					 bad[ARRAY_SIZE(bad) - 1] + 1,
					 self->err, ERRLEN))
		TH_LOG("%s", self->err);

	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_STREQ("7/gw1/B 7/gw1/a 7/gw1/c 7/gw2/b",
		     members(self->st, 7, NULL, &v));
	memset(&v, 0, sizeof(v));
	EXPECT_EQ(0, srvstore_member_foreach(self->st, UINT32_MAX, NULL,
					     see_member, &v));
	EXPECT_EQ(1, v.n);
	EXPECT_LE((int64_t)t0, raw_int(self->path,
				       "SELECT min(added_at) FROM members"));
	EXPECT_GE((int64_t)time(NULL),
		  raw_int(self->path, "SELECT max(added_at) FROM members"));
}

/*
 * A gateway whose last member left still gets the next epoch (which
 * excludes that member) and is listed while that epoch is current.
 */
TEST_F(srv, group_gateways_through_the_excluding_epoch)
{
	struct srv_gk gk;
	struct seen v;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_STREQ("", gateways(self->st, 5, &v));
	EXPECT_EQ(-EINVAL, srvstore_group_gateways(self->st, 0, see_gw, &v));

	/* Members come and go before any epoch: nothing is owed. */
	ASSERT_EQ(0, srvstore_member_add(self->st, 5, "x", "gw0", NULL, 0));
	ASSERT_EQ(0, srvstore_member_del(self->st, 5, "x", "gw0", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 5, "a", "gw1", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 5, "b", "gw2", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 6, "c", "gw3", NULL, 0));
	gk = make_gk(5, 1);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	EXPECT_STREQ("gw1 gw2", gateways(self->st, 5, &v));

	/* gw1's last member leaves while epoch 1 is current. */
	ASSERT_EQ(0, srvstore_member_del(self->st, 5, "a", "gw1", NULL, 0));
	EXPECT_STREQ("gw1 gw2", gateways(self->st, 5, &v));
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_STREQ("gw1 gw2", gateways(self->st, 5, &v));
	/* Epoch 2 excludes it: gw1 gets it and is listed while it is current. */
	gk = make_gk(5, 2);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_STREQ("gw1 gw2", gateways(self->st, 5, &v));
	EXPECT_STREQ("gw1:missing gw2:missing gw2/b:missing",
		     report(self->st, 5, 2, &v));
	/* Epoch 3 owes gw1 nothing. */
	gk = make_gk(5, 3);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_STREQ("gw2", gateways(self->st, 5, &v));
	/* Another group's gateways are its own. */
	EXPECT_STREQ("gw3", gateways(self->st, 6, &v));

	/* Back as a member: served again, at once. */
	ASSERT_EQ(0, srvstore_member_add(self->st, 5, "a", "gw1", NULL, 0));
	EXPECT_STREQ("gw1 gw2", gateways(self->st, 5, &v));
	/* Leaving after epoch 3: served through epoch 4 only. */
	ASSERT_EQ(0, srvstore_member_del(self->st, 5, "a", "gw1", NULL, 0));
	gk = make_gk(5, 4);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_STREQ("gw1 gw2", gateways(self->st, 5, &v));
	gk = make_gk(5, 9);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_STREQ("gw2", gateways(self->st, 5, &v));
	memset(&v, 0, sizeof(v));
	v.stop_at = 1;
	ASSERT_EQ(0, srvstore_member_add(self->st, 5, "a", "gw1", NULL, 0));
	EXPECT_EQ(42, srvstore_group_gateways(self->st, 5, see_gw, &v));
	EXPECT_STREQ("gw1", v.s);
	OPENSSL_cleanse(&gk, sizeof(gk));
}

/* ---- Group Keys and epochs ---- */

static int see_gk(const struct srv_gk *gk, void *arg)
{
	struct seen *v = arg;
	struct srv_gk want = make_gk(gk->group, gk->epoch);

	seen_add(v, "%llu:%s%s", memcmp(&want, gk, sizeof(want)) ? "bad" : "",
		 "", (unsigned long long)gk->group * 100 + gk->epoch);
	OPENSSL_cleanse(&want, sizeof(want));
	return 0;
}

TEST_F(srv, gk_put_and_epochs)
{
	struct srv_gk gk, got;
	uint64_t last = 99;
	struct seen v = { 0 };

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, srvstore_gk_last_epoch(self->st, 4, &last));
	EXPECT_EQ(0, last);
	EXPECT_EQ(-ENOENT, srvstore_gk_current(self->st, 4, &got));
	EXPECT_STREQ("group 4: no Group Key", srvstore_errmsg(self->st));
	EXPECT_EQ(0, srvstore_gk_foreach(self->st, see_gk, &v));
	EXPECT_EQ(0, v.n);

	gk = make_gk(4, 1);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_gk_current(self->st, 4, &got));
	EXPECT_EQ(0, memcmp(&gk, &got, sizeof(gk)));
	/* The same epoch again, with the same key or another. */
	EXPECT_EQ(-ESTALE, srvstore_gk_put(self->st, &gk, self->err, ERRLEN));
	EXPECT_STREQ("group 4: epoch 1 is not above its last epoch 1",
		     self->err);
	gk.key[0] ^= 1;
	EXPECT_EQ(-ESTALE, srvstore_gk_put(self->st, &gk, NULL, 0));
	gk = make_gk(4, 7);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	gk = make_gk(4, 5);
	EXPECT_EQ(-ESTALE, srvstore_gk_put(self->st, &gk, self->err, ERRLEN));
	EXPECT_STREQ("group 4: epoch 5 is not above its last epoch 7",
		     self->err);
	gk = make_gk(2, 3);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_EQ(0, srvstore_gk_last_epoch(self->st, 4, &last));
	EXPECT_EQ(7, last);
	ASSERT_EQ(0, srvstore_gk_current(self->st, 4, &got));
	EXPECT_EQ(7, got.epoch);
	EXPECT_EQ(1007, got.valid_from);
	EXPECT_EQ(5007, got.valid_until);
	EXPECT_EQ(907, got.created);
	EXPECT_EQ(0, srvstore_gk_foreach(self->st, see_gk, &v));
	EXPECT_STREQ("203: 407:", v.s);

	/* Refusals that write nothing. */
	gk = make_gk(0, 9);
	EXPECT_EQ(-EINVAL, srvstore_gk_put(self->st, &gk, self->err, ERRLEN));
	EXPECT_STREQ("group 0: groups are 1..4294967295", self->err);
	gk = make_gk(4, 0);
	EXPECT_EQ(-EINVAL, srvstore_gk_put(self->st, &gk, self->err, ERRLEN));
	EXPECT_STREQ("group 4: epoch 0 outside 1..9223372036854775807",
		     self->err);
	gk = make_gk(4, (uint64_t)INT64_MAX + 1);
	EXPECT_EQ(-EINVAL, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_gk_current(self->st, 0, &got));
	EXPECT_EQ(-EINVAL, srvstore_gk_last_epoch(self->st, 0, &last));
	gk = make_gk(4, INT64_MAX);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	ASSERT_EQ(0, srvstore_gk_current(self->st, 4, &got));
	EXPECT_EQ((uint64_t)INT64_MAX, got.epoch);
	OPENSSL_cleanse(&gk, sizeof(gk));
	OPENSSL_cleanse(&got, sizeof(got));
}

static bool file_has(const char *path, const uint8_t *key, size_t n)
{
	static uint8_t buf[1 << 20];
	size_t len;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, len, key, n) != NULL;
}

/*
 * Keys older than the previous epoch go, in the file too; their epochs
 * are never issued again, across a reopen.
 */
TEST_F(srv, old_keys_wiped_epochs_never_reused)
{
	struct srv_gk k1 = make_gk(3, 1), k2 = make_gk(3, 2),
		      k3 = make_gk(3, 3), gk;
	char wal[160];
	uint64_t last;

	snprintf(wal, sizeof(wal), "%s-wal", self->path);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &k1, NULL, 0));
	ASSERT_EQ(0, srvstore_gk_put(self->st, &k2, NULL, 0));
	EXPECT_EQ(2, raw_int(self->path, "SELECT count(*) FROM gks"));
	ASSERT_EQ(0, srvstore_gk_put(self->st, &k3, NULL, 0));
	EXPECT_EQ(2, raw_int(self->path, "SELECT count(*) FROM gks"));
	EXPECT_EQ(2, raw_int(self->path, "SELECT min(epoch) FROM gks"));
	/* Overwritten, not left on a free page nor in the WAL. */
	EXPECT_TRUE(file_has(self->path, k2.key, sizeof(k2.key)));
	EXPECT_FALSE(file_has(self->path, k1.key, sizeof(k1.key)));
	EXPECT_FALSE(file_has(wal, k1.key, sizeof(k1.key)));

	srvstore_close(self->st);
	self->st = NULL;
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_gk_last_epoch(self->st, 3, &last));
	EXPECT_EQ(3, last);
	/* Epoch 1's key is gone, its number is not free. */
	gk = make_gk(3, 1);
	gk.key[5] ^= 0xff;
	EXPECT_EQ(-ESTALE, srvstore_gk_put(self->st, &gk, self->err, ERRLEN));
	EXPECT_STREQ("group 3: epoch 1 is not above its last epoch 3",
		     self->err);
	gk = make_gk(3, 3);
	EXPECT_EQ(-ESTALE, srvstore_gk_put(self->st, &gk, NULL, 0));
	ASSERT_EQ(0, srvstore_gk_current(self->st, 3, &gk));
	EXPECT_EQ(0, memcmp(&k3, &gk, sizeof(gk)));

	/* Not even when every key of the group is gone (forced here). */
	srvstore_close(self->st);
	self->st = NULL;
	ASSERT_EQ(SQLITE_OK, raw_sql(self->path, "DROP TRIGGER gks_delete; "
				     "DELETE FROM gks WHERE group_id = 3"));
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_EQ(-ENOENT, srvstore_gk_current(self->st, 3, &gk));
	gk = make_gk(3, 3);
	gk.key[0] ^= 1;
	EXPECT_EQ(-ESTALE, srvstore_gk_put(self->st, &gk, NULL, 0));
	gk = make_gk(3, 4);
	EXPECT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	OPENSSL_cleanse(&gk, sizeof(gk));
}

/* ---- answers and the delivery report ---- */

TEST_F(srv, acks_and_report)
{
	struct srv_gk gk = make_gk(9, 4);
	struct seen v;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_member_add(self->st, 9, "p2", "gwB", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 9, "p1", "gwB", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 9, "p3", "gwA", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 8, "q", "gwA", NULL, 0));
	EXPECT_EQ(-ENOENT, srvstore_delivery_foreach(self->st, 9, 4, see_dlv,
						     &v));
	EXPECT_EQ(-ENOENT, srvstore_ack_put(self->st, 9, 4, "gwA", NULL,
					    CPNS_ST_OK, 1, self->err,
					    ERRLEN));
	EXPECT_STREQ("group 9: epoch 4 was never issued", self->err);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_STREQ("gwA:missing gwA/p3:missing gwB:missing gwB/p1:missing gwB/p2:missing",
		     report(self->st, 9, 4, &v));

	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwB", "", CPNS_ST_OK,
				      11, self->err, ERRLEN))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwB", "p2",
				      CPNS_ST_INSTALL, 12, NULL, 0));
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwA", "p3",
				      CPNS_ST_OK, 13, NULL, 0));
	/* An answer of a PNE that is not a member is kept, not reported. */
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwA", "zz",
				      CPNS_ST_NOT_MEMBER, 14, NULL, 0));
	EXPECT_STREQ("gwA:missing gwA/p3:acked@13 gwB:acked@11 gwB/p1:missing gwB/p2:refused@90012",
		     report(self->st, 9, 4, &v));
	/* A later answer replaces the earlier one. */
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwB", "p2",
				      CPNS_ST_OK, 15, NULL, 0));
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwA", NULL,
				      CPNS_ST_STALE, 16, NULL, 0));
	reopen(self);
	ASSERT_NE(NULL, self->st) TH_LOG("%s", self->err);
	EXPECT_STREQ("gwA:refused@70016 gwA/p3:acked@13 gwB:acked@11 gwB/p1:missing gwB/p2:acked@15",
		     report(self->st, 9, 4, &v));

	/* Refusals. */
	EXPECT_EQ(-ENOENT, srvstore_ack_put(self->st, 9, 5, "gwA", "p3",
					    CPNS_ST_OK, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_ack_put(self->st, 9, 4, "gw A", "p3",
					    CPNS_ST_OK, 1, self->err,
					    ERRLEN));
	EXPECT_NE(NULL, strstr(self->err, "gateway (invalid name)"));
	EXPECT_EQ(-EINVAL, srvstore_ack_put(self->st, 9, 4, "gwA", "p 3",
					    CPNS_ST_OK, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_ack_put(self->st, 9, 0, "gwA", "p3",
					    CPNS_ST_OK, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_ack_put(self->st, 0, 4, "gwA", "p3",
					    CPNS_ST_OK, 1, NULL, 0));
	EXPECT_EQ(-EINVAL, srvstore_delivery_foreach(self->st, 0, 4, see_dlv,
						     &v));
	EXPECT_EQ(-EINVAL, srvstore_delivery_foreach(self->st, 9, 0, see_dlv,
						     &v));

	/*
	 * Epoch 5: the previous key keeps its answers, a new epoch has none;
	 * epoch 6: epoch 4's key goes, its answers with it.
	 */
	gk = make_gk(9, 5);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_STREQ("gwA:missing gwA/p3:missing gwB:missing gwB/p1:missing gwB/p2:missing",
		     report(self->st, 9, 5, &v));
	EXPECT_STREQ("gwA:refused@70016 gwA/p3:acked@13 gwB:acked@11 gwB/p1:missing gwB/p2:acked@15",
		     report(self->st, 9, 4, &v));
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 4, "gwB", "p1",
				      CPNS_ST_OK, 17, NULL, 0));
	ASSERT_EQ(0, srvstore_ack_put(self->st, 9, 5, "gwB", "p1",
				      CPNS_ST_OK, 18, NULL, 0));
	EXPECT_EQ(7, raw_int(self->path, "SELECT count(*) FROM acks"));
	gk = make_gk(9, 6);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	EXPECT_EQ(1, raw_int(self->path, "SELECT count(*) FROM acks"));
	EXPECT_EQ(-ESTALE, srvstore_ack_put(self->st, 9, 4, "gwB", "p1",
					    CPNS_ST_OK, 19, self->err,
					    ERRLEN));
	EXPECT_STREQ("group 9: epoch 4 is retired (last 6)", self->err);
	EXPECT_EQ(-ESTALE, srvstore_delivery_foreach(self->st, 9, 4, see_dlv,
						     &v));
	EXPECT_STREQ("gwA:missing gwA/p3:missing gwB:missing gwB/p1:acked@18 gwB/p2:missing",
		     report(self->st, 9, 5, &v));
	OPENSSL_cleanse(&gk, sizeof(gk));
}

/* ---- what the schema refuses by itself ---- */

TEST_F(srv, schema_refuses)
{
	static const char *const bad[] = {
		/* an epoch again, lower, or a group's last epoch lowered */
		"INSERT INTO gks VALUES (1, 3, zeroblob(32), 0, 1, 0)",
		"INSERT INTO gks VALUES (1, 1, zeroblob(32), 0, 1, 0)",
		"UPDATE epochs SET epoch = 2",
		"INSERT OR REPLACE INTO epochs VALUES (1, 2)",
		"DELETE FROM epochs",
		/* a key changed, short, or of the wrong type */
		"UPDATE gks SET key = zeroblob(32) WHERE epoch = 3",
		"UPDATE gks SET epoch = 9 WHERE epoch = 3",
		"INSERT INTO gks VALUES (1, 9, zeroblob(31), 0, 1, 0)",
		"INSERT INTO gks VALUES (1, 9, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 0, 1, 0)",
		"INSERT INTO gks VALUES (0, 9, zeroblob(32), 0, 1, 0)",
		"INSERT INTO gks VALUES (4294967296, 9, zeroblob(32), 0, 1, 0)",
		/* the current or the previous key deleted */
		"DELETE FROM gks WHERE epoch = 3",
		"DELETE FROM gks WHERE epoch = 2",
		/* bad names, group 0 */
		"INSERT INTO members VALUES (1, 'g w', 'a', 0)",
		"INSERT INTO members VALUES (1, 'gw', '', 0)",
		"INSERT INTO members VALUES (0, 'gw', 'a', 0)",
		/* an answer with no key, or with a bad name */
		"INSERT INTO acks VALUES (1, 7, 'gw', 'a', 0, 0)",
		"INSERT INTO acks VALUES (1, 3, 'gw', 'a b', 0, 0)",
		"INSERT INTO acks VALUES (1, 3, 'gw', 'a', 65536, 0)",
		/* a served gateway dropped while it has members or is owed */
		"DELETE FROM served WHERE gateway = 'gw'",
		"DELETE FROM served WHERE gateway = 'left'",
		"UPDATE served SET seen = 0",
	};
	struct srv_gk gk;
	size_t i;

	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, srvstore_member_add(self->st, 1, "a", "gw", NULL, 0));
	ASSERT_EQ(0, srvstore_member_add(self->st, 1, "a", "left", NULL, 0));
	gk = make_gk(1, 2);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	ASSERT_EQ(0, srvstore_member_del(self->st, 1, "a", "left", NULL, 0));
	gk = make_gk(1, 3);
	ASSERT_EQ(0, srvstore_gk_put(self->st, &gk, NULL, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *q = bad[i] ? bad[i] : "";

		EXPECT_EQ(SQLITE_CONSTRAINT, raw_sql(self->path, q) & 0xff)
			TH_LOG("accepted: %s", q);
	}
	/* What the rules allow, so the refusals above are not blanket. */
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
		  "INSERT INTO acks VALUES (1, 3, 'gw', 'a', 65535, 0)"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
		  "INSERT INTO gks VALUES (1, 4, zeroblob(32), 0, 1, 0)"));
	EXPECT_EQ(4, raw_int(self->path, "SELECT epoch FROM epochs"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "DELETE FROM gks WHERE epoch = 2"));
	EXPECT_EQ(SQLITE_OK, raw_sql(self->path,
				     "DELETE FROM served WHERE gateway = 'left'"));
	OPENSSL_cleanse(&gk, sizeof(gk));
}

/* ---- kill -9 in the middle of a stream of rotations ---- */

#define KILLS		30

/*
 * The child: a server stand-in that issues epoch after epoch and writes
 * each one to the pipe only after srvstore_gk_put returned, as the server
 * sends a notification only after the commit.
 */
static void __attribute__((noreturn)) rotate(const char *path, int fd,
					     uint64_t seed)
{
	struct srvstore *st;
	char line[64], err[ERRLEN];
	struct srv_gk gk;
	uint64_t last;
	int len;

	if (srvstore_open(path, &st, err, sizeof(err)))
		_exit(3);
	if (write(fd, "S\n", 2) != 2)
		_exit(4);
	for (;;) {
		uint64_t r = xorshift64s(&seed);
		uint32_t group = 1 + r % 3;

		if (srvstore_gk_last_epoch(st, group, &last))
			_exit(5);
		gk = make_gk(group, last + 1 + (r >> 8) % 2);
		if (srvstore_gk_put(st, &gk, err, sizeof(err)))
			_exit(6);
		len = snprintf(line, sizeof(line), "%u %llu\n", group,
			       (unsigned long long)gk.epoch);
		if (write(fd, line, len) != len)
			_exit(4);
		if (r % 3 == 0 && srvstore_ack_put(st, group, gk.epoch, "gw",
						   NULL, CPNS_ST_OK, 1, err,
						   sizeof(err)))
			_exit(7);
	}
}

TEST_F(srv, kill9_keeps_issued_epochs)
{
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u ^ getpid();
	uint64_t acked[4] = { 0 }, last;
	int i, g, fds[2], status, mid = 0;
	struct srv_gk gk;
	pid_t pid;

	TH_LOG("seed %llu", (unsigned long long)seed);
	ASSERT_EQ(0, open_st(self)) TH_LOG("%s", self->err);
	srvstore_close(self->st);
	self->st = NULL;
	for (i = 0; i < KILLS; i++) {
		static char buf[1 << 16];
		size_t have = 0;
		ssize_t r;
		char *p, *nl;
		bool any = false;

		buf[0] = 0;

		ASSERT_EQ(0, pipe(fds));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			close(fds[0]);
			rotate(self->path, fds[1], seed + i);
		}
		close(fds[1]);
		/*
		 * Every fifth round from the fork (in open and WAL
		 * recovery), the others once the child issued its first
		 * epoch, so that the kill lands among rotations however
		 * slow the fsyncs of a loaded machine make them.
		 */
		if (i % 5) {
			struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
			char *first;

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
		while ((r = read(fds[0], buf + have, sizeof(buf) - have - 1)) > 0)
			have += r;
		close(fds[0]);
		buf[have] = 0;
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: child exited %d", i,
			       WEXITSTATUS(status));
		for (p = buf; (nl = strchr(p, '\n')); p = nl + 1) {
			unsigned long long e;

			*nl = 0;
			if (sscanf(p, "%d %llu", &g, &e) == 2) {
				ASSERT_TRUE(g >= 1 && g <= 3);
				ASSERT_LT(acked[g], e);
				acked[g] = e;
				any = true;
			}
		}
		mid += any;

		ASSERT_EQ(0, open_st(self)) TH_LOG("round %d: %s", i, self->err);
		for (g = 1; g <= 3; g++) {
			ASSERT_EQ(0, srvstore_gk_last_epoch(self->st, g, &last));
			/* At most the one unacknowledged commit beyond. */
			ASSERT_LE(acked[g], last) TH_LOG("round %d: group %d lost epoch %llu",
							 i, g, (unsigned long long)acked[g]);
			if (!last)
				continue;
			ASSERT_EQ(0, srvstore_gk_current(self->st, g, &gk));
			ASSERT_EQ(last, gk.epoch);
			{
				struct srv_gk want = make_gk(g, last);

				ASSERT_EQ(0, memcmp(&want, &gk, sizeof(gk)))
					TH_LOG("round %d: group %d epoch %llu torn",
					       i, g, (unsigned long long)last);
			}
			/* Whatever was issued after is above, for ever. */
			acked[g] = last;
			ASSERT_GE(2, raw_int(self->path, "SELECT max(n) FROM "
				  "(SELECT count(*) AS n FROM gks GROUP BY group_id)"));
		}
		srvstore_close(self->st);
		self->st = NULL;
	}
	TH_LOG("%d kills, epochs %llu %llu %llu, %d rounds issued something",
	       KILLS, (unsigned long long)acked[1],
	       (unsigned long long)acked[2], (unsigned long long)acked[3], mid);
	EXPECT_LE(KILLS * 4 / 5, mid);
	OPENSSL_cleanse(&gk, sizeof(gk));
}

TEST_HARNESS_MAIN
