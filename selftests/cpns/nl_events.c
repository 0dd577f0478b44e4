// SPDX-License-Identifier: GPL-2.0
/*
 * The "events" multicast group, observed with libnl: GKDK set and delete,
 * key installed (not for repeats), key expiring, and key retired with
 * each reason (grace, lifetime, superseded, deleted, group-deleted), with
 * the attributes the spec lists and never a key byte.  Short grace and
 * lifetimes (1-3 s) and poll() with timeouts keep it to a few seconds.
 */
#include "nl_common.h"

#include "kselftest_harness.h"

FIXTURE(ev) {
	struct nlc c, ev;
	struct nlmsghdr *q[64];
	int nq;
};

FIXTURE_SETUP(ev)
{
	nlc_rmmod();
	ASSERT_EQ(0, nlc_modprobe());
	ASSERT_EQ(0, nlc_open(&self->c));
	ASSERT_EQ(0, nlc_open_events(&self->ev));
	self->nq = 0;
}

FIXTURE_TEARDOWN(ev)
{
	while (self->nq)
		free(self->q[--self->nq]);
	nlc_close(&self->ev);
	nlc_close(&self->c);
	nlc_rmmod();
}

/*
 * The next event within @ms, in order of arrival; NULL on timeout.  The
 * caller frees it.  Events that carry @secret bytes set ev->secret_seen.
 */
static struct nlmsghdr *next_event(FIXTURE_DATA(ev) *self, int ms)
{
	struct nlmsghdr *m;
	int i;

	if (!self->nq) {
		nlc_events(&self->ev, 1, ms);
		for (i = 0; i < self->ev.nreplies && self->nq < 64; i++) {
			self->q[self->nq++] = self->ev.reply[i];
			self->ev.reply[i] = NULL;
		}
		self->ev.nreplies = 0;
	}
	if (!self->nq)
		return NULL;
	m = self->q[0];
	memmove(self->q, self->q + 1, --self->nq * sizeof(self->q[0]));
	return m;
}

/* The next event, parsed as a key event; -1 on timeout. */
static int next_key(FIXTURE_DATA(ev) *self, int ms, struct nlc_key *k)
{
	struct nlmsghdr *m = next_event(self, ms);
	int ret;

	if (!m)
		return -1;
	ret = nlc_key_parse(m, k);
	free(m);
	return ret;
}

#define KEY_ALL (BIT64(CPNS_A_KEY_GROUP_ID) | BIT64(CPNS_A_KEY_EPOCH) | \
		 BIT64(CPNS_A_KEY_STATE) | BIT64(CPNS_A_KEY_SOURCE) | \
		 BIT64(CPNS_A_KEY_INSTALLED) | BIT64(CPNS_A_KEY_FINGERPRINT))
#define KEY_SECRET (BIT64(CPNS_A_KEY_PLAIN) | BIT64(CPNS_A_KEY_WRAPPED))

TEST_F(ev, gkdk_set_and_del)
{
	struct nlmsghdr *m;
	struct nlc_gkdk g, got;
	size_t len, fl;
	uint8_t *gk = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", &len);
	uint8_t *fp = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk_fp", &fl);

	ASSERT_NE(NULL, gk);
	ASSERT_NE(NULL, fp);
	self->ev.secret = gk + 20;
	self->ev.secret_len = CPNS_KEY_LEN;
	ASSERT_EQ(0, nlc_gkdk_set(&self->c, gk, len));
	m = next_event(self, 2000);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nlc_gkdk_parse(m, &g));
	free(m);
	EXPECT_EQ(CPNS_CMD_GKDK_SET_NTF, g.cmd);
	EXPECT_EQ(VEC_GW, g.gateway);
	EXPECT_EQ(CPNS_SCHEME_CS, g.scheme);
	EXPECT_EQ(3, g.height);
	EXPECT_EQ(0, g.slot);
	EXPECT_EQ(7, g.set_id);
	EXPECT_EQ(0, memcmp(fp, g.fp, CPNS_FINGERPRINT_LEN));
	EXPECT_FALSE(g.mask & BIT64(CPNS_A_GKDK_DATA));

	ASSERT_EQ(0, nlc_gkdk_del(&self->c, VEC_GW));
	m = next_event(self, 2000);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, nlc_gkdk_parse(m, &got));
	free(m);
	EXPECT_EQ(CPNS_CMD_GKDK_DEL_NTF, got.cmd);
	EXPECT_EQ(VEC_GW, got.gateway);
	EXPECT_EQ(0, memcmp(fp, got.fp, CPNS_FINGERPRINT_LEN));
	EXPECT_FALSE(got.mask & BIT64(CPNS_A_GKDK_DATA));
	/* Refusals raise no event. */
	nlc_gkdk_del(&self->c, VEC_GW);
	EXPECT_EQ(-ENOENT, self->c.err);
	EXPECT_EQ(NULL, next_event(self, 300));
	EXPECT_FALSE(self->ev.secret_seen);
	free(gk);
	free(fp);
}

TEST_F(ev, key_installed_not_for_repeats)
{
	uint8_t key[CPNS_KEY_LEN];
	struct nlc_key k, r;

	nlc_fill_key(key, 5);
	self->ev.secret = key;
	self->ev.secret_len = sizeof(key);
	ASSERT_EQ(0, nlc_group_new(&self->c, 9, -1, 50, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->c, 9, 4, key, -1));
	ASSERT_EQ(0, nlc_key_parse(self->c.reply[0], &r));
	ASSERT_EQ(0, next_key(self, 2000, &k));
	EXPECT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, k.cmd);
	EXPECT_EQ(KEY_ALL | BIT64(CPNS_A_KEY_EXPIRES),
		  k.mask & ~BIT64(CPNS_A_KEY_PAD));
	EXPECT_EQ(9, k.group);
	EXPECT_EQ(4, k.epoch);
	EXPECT_EQ(CPNS_KEY_STATE_CURRENT, k.state);
	EXPECT_EQ(CPNS_KEY_SOURCE_PLAIN, k.source);
	EXPECT_EQ(r.installed, k.installed);
	EXPECT_EQ(r.installed + 50, k.expires);
	EXPECT_EQ(0, memcmp(r.fp, k.fp, CPNS_FINGERPRINT_LEN));
	/* A retransmission is accepted silently; refusals are silent too. */
	ASSERT_EQ(0, nlc_key_plain(&self->c, 9, 4, key, -1));
	EXPECT_EQ(-ESTALE, nlc_key_seed(&self->c, 9, 3, 3));
	EXPECT_EQ(-EEXIST, nlc_key_seed(&self->c, 9, 4, 3));
	EXPECT_EQ(-1, next_key(self, 500, &k));
	EXPECT_FALSE(self->ev.secret_seen);
}

TEST_F(ev, grace_retirement)
{
	struct nlc_key k, first;
	struct timespec t0, t1;
	struct nlc_stats s;

	ASSERT_EQ(0, nlc_group_new(&self->c, 3, 1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(&self->c, 3, 1, 1));
	ASSERT_EQ(0, next_key(self, 2000, &first));
	ASSERT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, first.cmd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, nlc_key_seed(&self->c, 3, 2, 2));
	ASSERT_EQ(0, next_key(self, 2000, &k));
	EXPECT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, k.cmd);
	EXPECT_EQ(2, k.epoch);
	/* Epoch 1 stays as previous for the 1 s grace, then goes. */
	ASSERT_EQ(0, nlc_key_get(&self->c, 3, 1));
	ASSERT_EQ(0, next_key(self, 5000, &k));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_EQ(CPNS_CMD_KEY_RETIRED_NTF, k.cmd);
	EXPECT_EQ(BIT64(CPNS_A_KEY_GROUP_ID) | BIT64(CPNS_A_KEY_EPOCH) |
		  BIT64(CPNS_A_KEY_RETIRE_REASON) |
		  BIT64(CPNS_A_KEY_FINGERPRINT),
		  k.mask & ~BIT64(CPNS_A_KEY_PAD));
	EXPECT_EQ(3, k.group);
	EXPECT_EQ(1, k.epoch);
	EXPECT_EQ(CPNS_RETIRE_REASON_GRACE, k.reason);
	EXPECT_EQ(0, memcmp(first.fp, k.fp, CPNS_FINGERPRINT_LEN));
	TH_LOG("retired after %ld ms", (t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000);
	nlc_key_get(&self->c, 3, 1);
	EXPECT_REFUSED(&self->c, -ENOENT,
		       "cpns: no key with this epoch in the group");
	EXPECT_EQ(0, nlc_key_get(&self->c, 3, 2));
	ASSERT_EQ(0, nlc_stats(&self->c, 3, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_RETIRED]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_EXPIRIES]);
}

TEST_F(ev, lifetime_expiry)
{
	struct nlc_key k, inst;
	struct nlc_stats s;

	/* Lifetime 3 s, expiry notice 2 s before. */
	ASSERT_EQ(0, nlc_group_new(&self->c, 4, -1, 3, 2));
	ASSERT_EQ(0, nlc_key_seed(&self->c, 4, 7, 7));
	ASSERT_EQ(0, next_key(self, 2000, &inst));
	ASSERT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, inst.cmd);
	EXPECT_EQ(inst.installed + 3, inst.expires);

	ASSERT_EQ(0, next_key(self, 5000, &k));
	EXPECT_EQ(CPNS_CMD_KEY_EXPIRING_NTF, k.cmd);
	EXPECT_EQ(BIT64(CPNS_A_KEY_GROUP_ID) | BIT64(CPNS_A_KEY_EPOCH) |
		  BIT64(CPNS_A_KEY_EXPIRES), k.mask & ~BIT64(CPNS_A_KEY_PAD));
	EXPECT_EQ(4, k.group);
	EXPECT_EQ(7, k.epoch);
	EXPECT_EQ(inst.expires, k.expires);
	EXPECT_LE(inst.expires - 2, (uint64_t)time(NULL));

	ASSERT_EQ(0, next_key(self, 5000, &k));
	EXPECT_EQ(CPNS_CMD_KEY_RETIRED_NTF, k.cmd);
	EXPECT_EQ(7, k.epoch);
	EXPECT_EQ(CPNS_RETIRE_REASON_LIFETIME, k.reason);
	EXPECT_EQ(0, memcmp(inst.fp, k.fp, CPNS_FINGERPRINT_LEN));
	EXPECT_LE(inst.expires, (uint64_t)time(NULL));

	nlc_key_get(&self->c, 4, -1);
	EXPECT_REFUSED(&self->c, -ENOENT, "cpns: the group has no current key");
	ASSERT_EQ(0, nlc_stats(&self->c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_EXPIRIES]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_RETIRED]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_KEYS]);
	/* Each key gets one expiring event: nothing more comes. */
	EXPECT_EQ(-1, next_key(self, 500, &k));
}

TEST_F(ev, retire_reasons)
{
	struct nlc_key k;
	int i, group_deleted = 0;

	ASSERT_EQ(0, nlc_group_new(&self->c, 5, -1, -1, -1));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(0, nlc_key_seed(&self->c, 5, i, i));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, next_key(self, 2000, &k));
		EXPECT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, k.cmd);
		EXPECT_EQ(i, k.epoch);
		/* The third install supersedes epoch 1 first. */
		if (i == 2) {
			ASSERT_EQ(0, next_key(self, 2000, &k));
			EXPECT_EQ(CPNS_CMD_KEY_RETIRED_NTF, k.cmd);
			EXPECT_EQ(1, k.epoch);
			EXPECT_EQ(CPNS_RETIRE_REASON_SUPERSEDED, k.reason);
		}
	}
	ASSERT_EQ(0, nlc_key_del(&self->c, 5, 2));
	ASSERT_EQ(0, next_key(self, 2000, &k));
	EXPECT_EQ(CPNS_CMD_KEY_RETIRED_NTF, k.cmd);
	EXPECT_EQ(2, k.epoch);
	EXPECT_EQ(CPNS_RETIRE_REASON_DELETED, k.reason);

	ASSERT_EQ(0, nlc_key_seed(&self->c, 5, 4, 4));
	ASSERT_EQ(0, next_key(self, 2000, &k));
	EXPECT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, k.cmd);
	ASSERT_EQ(0, nlc_group_del(&self->c, 5));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, next_key(self, 2000, &k));
		EXPECT_EQ(CPNS_CMD_KEY_RETIRED_NTF, k.cmd);
		EXPECT_EQ(CPNS_RETIRE_REASON_GROUP_DELETED, k.reason);
		EXPECT_EQ(5, k.group);
		group_deleted |= 1 << (k.epoch - 3);
	}
	EXPECT_EQ(3, group_deleted);	/* epochs 3 and 4 */
	EXPECT_EQ(-1, next_key(self, 300, &k));
}

/* A wrapped key's event names its gateway and the blob's expiry. */
TEST_F(ev, wrapped_installed)
{
	struct timespec real0, mono0, now;
	size_t gl, bl, gkl;
	uint8_t *gkdk = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", &gl);
	uint8_t *blob = nlc_vec_field(VEC_OPEN, VEC_GOOD, "blob", &bl);
	uint8_t *gk = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gk", &gkl);
	struct nlc_key k;

	ASSERT_NE(NULL, gkdk);
	ASSERT_NE(NULL, blob);
	ASSERT_NE(NULL, gk);
	clock_gettime(CLOCK_REALTIME, &real0);
	clock_gettime(CLOCK_MONOTONIC, &mono0);
	self->ev.secret = gk;
	self->ev.secret_len = gkl;
	ASSERT_EQ(0, nlc_set_clock(VEC_TIME));
	ASSERT_EQ(0, nlc_gkdk_set(&self->c, gkdk, gl));
	ASSERT_EQ(0, nlc_group_new(&self->c, VEC_GROUP, -1, -1, -1));
	EXPECT_EQ(0, nlc_key_wrapped(&self->c, VEC_GROUP, blob, bl));
	EXPECT_NE(NULL, next_event(self, 2000));	/* GKDK_SET_NTF */
	if (!next_key(self, 2000, &k)) {
		EXPECT_EQ(CPNS_CMD_KEY_INSTALLED_NTF, k.cmd);
		EXPECT_EQ(CPNS_KEY_SOURCE_WRAPPED, k.source);
		EXPECT_EQ(VEC_GW, k.gateway);
		EXPECT_EQ(VEC_EPOCH, k.epoch);
		EXPECT_EQ(1767312000, k.expires);
	} else {
		EXPECT_TRUE(0);
	}
	EXPECT_FALSE(self->ev.secret_seen);
	ASSERT_EQ(0, nlc_group_del(&self->c, VEC_GROUP));
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += real0.tv_sec - mono0.tv_sec;
	clock_settime(CLOCK_REALTIME, &now);
	free(gkdk);
	free(blob);
	free(gk);
}

TEST_HARNESS_MAIN
