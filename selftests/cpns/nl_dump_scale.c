// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps scale: 100,000 Service Groups dump correctly across many
 * messages, every id exactly once and in order; a dump that a change
 * interleaves (between two of its recvmsg() calls) is flagged with
 * NLM_F_DUMP_INTR by genl_dump_check_consistent(), and a retry is clean.
 * The same for the keys of 20,000 groups.  The groups are created in
 * batches of requests per sendmsg() (no ack), which takes a few seconds
 * under TCG; the time is reported.
 */
#include "nl_common.h"

#include "kselftest_harness.h"

#define NGROUPS	100000
#define NKEYS	20000

FIXTURE(scale) {
	struct nlc c, c2;
};

FIXTURE_SETUP(scale)
{
	nlc_rmmod();
	ASSERT_EQ(0, nlc_modprobe());
	ASSERT_EQ(0, nlc_open(&self->c));
	ASSERT_EQ(0, nlc_open(&self->c2));
}

FIXTURE_TEARDOWN(scale)
{
	nlc_close(&self->c2);
	nlc_close(&self->c);
	nlc_rmmod();
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

struct seen {
	uint8_t *hit;
	uint32_t max, last;
	int n, dup, order, bad, multi;
	int change_at;		/* after this many messages, change */
	struct nlc *other;
	uint32_t change_id;
	bool changed;
};

static int group_cb(struct nlmsghdr *nlh, void *arg)
{
	struct seen *s = arg;
	struct nlc_group g;

	if (nlc_group_parse(nlh, &g) || !g.id || g.id > s->max) {
		s->bad++;
		return 0;
	}
	if (s->hit[g.id]++)
		s->dup++;
	if (s->n && g.id <= s->last)
		s->order++;
	if (!(nlh->nlmsg_flags & NLM_F_MULTI))
		s->multi++;
	s->last = g.id;
	s->n++;
	/* Between recvmsg() calls of the dump: change the groups. */
	if (s->other && s->n == s->change_at && !s->changed) {
		s->changed = true;
		if (nlc_group_new(s->other, s->change_id, -1, -1, -1))
			s->bad++;
	}
	return 0;
}

static int dump(struct nlc *c, struct seen *s)
{
	memset(s->hit, 0, s->max + 1);
	s->n = s->dup = s->order = s->bad = s->multi = 0;
	s->last = 0;
	return nlc_xfer(c, nlc_req(c, CPNS_CMD_GROUP_GET, NLM_F_DUMP),
			group_cb, s);
}

TEST_F_TIMEOUT(scale, groups_100k, 600)
{
	struct seen s = { .max = NGROUPS + 1 };
	struct nlc_batch b;
	struct nlc_stats st;
	struct timespec t0;
	uint32_t id;
	int errs = 0, missing = 0;

	s.hit = calloc(1, s.max + 1);
	ASSERT_NE(NULL, s.hit);
	ASSERT_EQ(0, nlc_batch_init(&self->c, &b, 1 << 20));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (id = 1; id <= NGROUPS; id++) {
		nlc_batch_msg(&self->c, &b, CPNS_CMD_GROUP_NEW);
		nlc_batch_u32(&b, CPNS_A_GROUP_ID, id);
		if (b.n == 4000)
			errs += nlc_batch_flush(&self->c, &b);
	}
	errs += nlc_batch_flush(&self->c, &b);
	nlc_batch_free(&b);
	nlc_note("created %d groups in %.1f s", NGROUPS, since(&t0));
	ASSERT_EQ(0, errs);
	ASSERT_EQ(0, nlc_stats(&self->c, 0, &st));
	ASSERT_EQ(NGROUPS, st.v[CPNS_A_STATS_GROUPS]);

	/* A quiet dump: every id once, in order, never interrupted. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, dump(&self->c, &s));
	nlc_note("dumped %d groups in %.1f s", s.n, since(&t0));
	EXPECT_EQ(NGROUPS, s.n);
	EXPECT_EQ(0, s.dup);
	EXPECT_EQ(0, s.order);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(0, s.multi);
	for (id = 1; id <= NGROUPS; id++)
		missing += !s.hit[id];
	EXPECT_EQ(0, missing);
	EXPECT_FALSE(self->c.dump_intr);

	/* A change after the first messages: the dump says so. */
	s.other = &self->c2;
	s.change_at = 2000;
	s.change_id = NGROUPS + 1;
	ASSERT_EQ(0, dump(&self->c, &s));
	EXPECT_TRUE(s.changed);
	EXPECT_TRUE(self->c.dump_intr);
	EXPECT_EQ(0, s.dup);
	EXPECT_EQ(0, s.bad);

	/* Userspace retries: now quiet and complete again. */
	s.other = NULL;
	ASSERT_EQ(0, dump(&self->c, &s));
	EXPECT_FALSE(self->c.dump_intr);
	EXPECT_EQ(NGROUPS + 1, s.n);
	EXPECT_EQ(0, s.dup);
	EXPECT_EQ(0, s.order);
	free(s.hit);
}

struct kseen {
	uint8_t *hit;		/* bit 0: current seen, bit 1: previous */
	int n, dup, bad;
	int change_at;
	struct nlc *other;
	bool changed;
};

static int key_cb(struct nlmsghdr *nlh, void *arg)
{
	struct kseen *s = arg;
	struct nlc_key k;
	int bit;

	if (nlc_key_parse(nlh, &k) || !k.group || k.group > NKEYS ||
	    (k.state != CPNS_KEY_STATE_CURRENT &&
	     k.state != CPNS_KEY_STATE_PREVIOUS) ||
	    k.epoch != (k.state == CPNS_KEY_STATE_CURRENT ? 2u : 1u)) {
		s->bad++;
		return 0;
	}
	bit = k.state == CPNS_KEY_STATE_CURRENT ? 1 : 2;
	if (s->hit[k.group] & bit)
		s->dup++;
	s->hit[k.group] |= bit;
	s->n++;
	if (s->other && s->n == s->change_at && !s->changed) {
		s->changed = true;
		if (nlc_key_seed(s->other, NKEYS, 3, 3))
			s->bad++;
	}
	return 0;
}

TEST_F_TIMEOUT(scale, keys_20k_groups, 600)
{
	struct kseen s = { 0 };
	uint8_t key[CPNS_KEY_LEN];
	struct nlc_batch b;
	struct timespec t0;
	uint32_t id;
	int errs = 0, e;

	s.hit = calloc(1, NKEYS + 1);
	ASSERT_NE(NULL, s.hit);
	ASSERT_EQ(0, nlc_batch_init(&self->c, &b, 1 << 20));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (id = 1; id <= NKEYS; id++) {
		nlc_batch_msg(&self->c, &b, CPNS_CMD_GROUP_NEW);
		nlc_batch_u32(&b, CPNS_A_GROUP_ID, id);
		/*
		 * Longer than any install takes: with the default 30 s, a
		 * slow kernel (KASAN, lockdep) retires the first groups'
		 * previous keys before the quiet dump, which then misses
		 * them and is marked interrupted.
		 */
		nlc_batch_u32(&b, CPNS_A_GROUP_GRACE, 3600);
		if (b.n == 4000)
			errs += nlc_batch_flush(&self->c, &b);
	}
	errs += nlc_batch_flush(&self->c, &b);
	for (e = 1; e <= 2; e++) {
		for (id = 1; id <= NKEYS; id++) {
			nlc_fill_key(key, id * 4 + e);
			nlc_batch_msg(&self->c, &b, CPNS_CMD_KEY_INSTALL);
			nlc_batch_u32(&b, CPNS_A_KEY_GROUP_ID, id);
			nlc_batch_u64(&b, CPNS_A_KEY_EPOCH, e);
			nlc_batch_attr(&b, CPNS_A_KEY_PLAIN, key, sizeof(key));
			if (b.n == 1000)
				errs += nlc_batch_flush(&self->c, &b);
		}
		errs += nlc_batch_flush(&self->c, &b);
	}
	nlc_batch_free(&b);
	nlc_note("installed %d keys in %.1f s", 2 * NKEYS, since(&t0));
	ASSERT_EQ(0, errs);

	ASSERT_EQ(0, nlc_xfer(&self->c, nlc_req(&self->c, CPNS_CMD_KEY_GET,
						NLM_F_DUMP), key_cb, &s));
	EXPECT_FALSE(self->c.dump_intr);
	EXPECT_EQ(2 * NKEYS, s.n);
	EXPECT_EQ(0, s.dup);
	EXPECT_EQ(0, s.bad);

	memset(s.hit, 0, NKEYS + 1);
	s.n = 0;
	s.other = &self->c2;
	s.change_at = 1000;
	ASSERT_EQ(0, nlc_xfer(&self->c, nlc_req(&self->c, CPNS_CMD_KEY_GET,
						NLM_F_DUMP), key_cb, &s));
	EXPECT_TRUE(s.changed);
	EXPECT_TRUE(self->c.dump_intr);
	EXPECT_EQ(0, s.dup);
	free(s.hit);
}

TEST_HARNESS_MAIN
