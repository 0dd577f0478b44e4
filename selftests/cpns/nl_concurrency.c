// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: four processes install, repeat, conflict, roll back and
 * delete keys, delete and recreate groups, dump groups and keys and read
 * counters, for about ten seconds.  Each keeps a model of its own groups
 * and checks every answer against it; all of them also race on one
 * shared group.  At the end the namespace counters must equal the sum of
 * what the processes counted, dumps must have been well-formed (retried
 * on NLM_F_DUMP_INTR), and the kernel log clean (the runner checks).
 */
#include "nl_common.h"

#include "kselftest_harness.h"

NLC_FIXTURE(conc);

#define WORKERS		4
#define OWN		16	/* groups per worker */
#define SHARED		1000	/* the group every worker races on */
#define SECONDS		10
#define STATIC		2000	/* more groups, so dumps span messages */

struct tally {
	uint64_t installs, repeated, stale, conflict, retired, keys;
	uint64_t shared_installs, shared_stale;
	uint64_t ops, dumps, dump_intr, mismatches;
};

struct model {
	uint64_t high;
	bool has_epoch, cur, prev;
	uint32_t seed;
};

struct dump_check {
	int n, bad;
	uint32_t last;
};

static int group_cb(struct nlmsghdr *nlh, void *arg)
{
	struct dump_check *d = arg;
	struct nlc_group g;

	if (nlc_group_parse(nlh, &g) || (d->n && g.id <= d->last))
		d->bad++;
	d->last = g.id;
	d->n++;
	return 0;
}

static int key_cb(struct nlmsghdr *nlh, void *arg)
{
	struct dump_check *d = arg;
	struct nlc_key k;

	if (nlc_key_parse(nlh, &k) || k.fp_len != CPNS_FINGERPRINT_LEN ||
	    (k.mask & (BIT64(CPNS_A_KEY_PLAIN) | BIT64(CPNS_A_KEY_WRAPPED))))
		d->bad++;
	d->n++;
	return 0;
}

#define MISMATCH(fmt, ...) do { \
		t->mismatches++; \
		if (t->mismatches < 5) { \
			printf("# worker %d: " fmt "\n", w, ##__VA_ARGS__); \
			fflush(stdout); \
		} \
	} while (0)

static void worker(int w, struct tally *t)
{
	struct model m[OWN] = { 0 };
	struct dump_check d;
	struct timespec t0, now;
	struct nlc c;
	struct nlc_stats s;
	uint64_t shared_epoch = w + 4;
	unsigned int r = 12345 + w;
	uint32_t id;
	int i, ret, op;

	memset(t, 0, sizeof(*t));
	if (nlc_open(&c)) {
		t->mismatches++;
		return;
	}
	for (i = 0; i < OWN; i++)
		if (nlc_group_new(&c, 100 * (w + 1) + i, -1, -1, -1))
			MISMATCH("group_new %d", c.err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		i = rand_r(&r) % OWN;
		id = 100 * (w + 1) + i;
		op = rand_r(&r) % 12;
		t->ops++;
		switch (op) {
		case 0: case 1: case 2:		/* a new epoch */
			m[i].high = m[i].has_epoch ? m[i].high + 1 + op : (uint64_t)op;
			m[i].has_epoch = true;
			m[i].seed = rand_r(&r);
			ret = nlc_key_seed(&c, id, m[i].high, m[i].seed);
			if (ret)
				MISMATCH("install %d %s", ret, c.extack);
			t->installs++;
			/* The old previous is superseded, the old current
			 * becomes previous.
			 */
			if (m[i].prev)
				t->retired++;
			else
				t->keys++;
			m[i].prev = m[i].cur;
			m[i].cur = true;
			break;
		case 3:				/* a retransmission */
			if (!m[i].cur)
				break;
			ret = nlc_key_seed(&c, id, m[i].high, m[i].seed);
			if (ret)
				MISMATCH("repeat %d %s", ret, c.extack);
			t->repeated++;
			break;
		case 4:				/* same epoch, other key */
			if (!m[i].cur)
				break;
			ret = nlc_key_seed(&c, id, m[i].high, m[i].seed + 1);
			if (ret != -EEXIST)
				MISMATCH("conflict %d", ret);
			t->conflict++;
			break;
		case 5:				/* rollback */
			if (!m[i].has_epoch || !m[i].high)
				break;
			ret = nlc_key_seed(&c, id, m[i].high - 1, 1);
			if (ret != -ESTALE)
				MISMATCH("stale %d", ret);
			t->stale++;
			break;
		case 6:				/* delete the current key */
			if (!m[i].cur)
				break;
			ret = nlc_key_del(&c, id, m[i].high);
			if (ret)
				MISMATCH("key_del %d %s", ret, c.extack);
			m[i].cur = false;
			t->retired++;
			t->keys--;
			break;
		case 7:				/* delete and recreate the group */
			ret = nlc_group_del(&c, id);
			if (ret)
				MISMATCH("group_del %d", ret);
			ret = nlc_group_new(&c, id, -1, -1, -1);
			if (ret)
				MISMATCH("group_new %d", ret);
			t->retired += m[i].cur + m[i].prev;
			t->keys -= m[i].cur + m[i].prev;
			memset(&m[i], 0, sizeof(m[i]));
			break;
		case 8:				/* the shared group */
			shared_epoch += WORKERS * (1 + rand_r(&r) % 3);
			ret = nlc_key_seed(&c, SHARED, shared_epoch,
					   w << 24 | (uint32_t)shared_epoch);
			if (!ret)
				t->shared_installs++;
			else if (ret == -ESTALE)
				t->shared_stale++;
			else
				MISMATCH("shared install %d", ret);
			break;
		case 9:				/* dump every group */
			memset(&d, 0, sizeof(d));
			ret = nlc_xfer(&c, nlc_req(&c, CPNS_CMD_GROUP_GET,
						   NLM_F_DUMP), group_cb, &d);
			t->dumps++;
			t->dump_intr += c.dump_intr;
			/* Others may be between a group's del and new. */
			if (ret || d.bad || d.n > WORKERS * OWN + 1 + STATIC)
				MISMATCH("group dump %d: %d groups, %d bad",
					 ret, d.n, d.bad);
			break;
		case 10:			/* dump every key */
			memset(&d, 0, sizeof(d));
			ret = nlc_xfer(&c, nlc_req(&c, CPNS_CMD_KEY_GET,
						   NLM_F_DUMP), key_cb, &d);
			t->dumps++;
			t->dump_intr += c.dump_intr;
			if (ret || d.bad)
				MISMATCH("key dump %d, %d bad", ret, d.bad);
			break;
		case 11:			/* counters */
			if (nlc_stats(&c, 0, &s) || nlc_stats(&c, id, &s))
				MISMATCH("stats %d", c.err);
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < SECONDS);
	nlc_close(&c);
}

TEST_F_TIMEOUT(conc, parallel_installs_deletes_dumps, 120)
{
	struct tally t[WORKERS], sum = { 0 };
	struct nlc_stats s;
	pid_t pid[WORKERS];
	int p[WORKERS][2], i, status;
	struct nlc_batch b;

	ASSERT_EQ(0, nlc_group_new(&self->c, SHARED, -1, -1, -1));
	ASSERT_EQ(0, nlc_batch_init(&self->c, &b, 1 << 20));
	for (i = 1; i <= STATIC; i++) {
		nlc_batch_msg(&self->c, &b, CPNS_CMD_GROUP_NEW);
		nlc_batch_u32(&b, CPNS_A_GROUP_ID, 100000 + i);
	}
	ASSERT_EQ(0, nlc_batch_flush(&self->c, &b));
	nlc_batch_free(&b);
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(0, pipe(p[i]));
		pid[i] = fork();
		ASSERT_GE(pid[i], 0);
		if (!pid[i]) {
			struct tally mine;

			worker(i, &mine);
			if (write(p[i][1], &mine, sizeof(mine)) != sizeof(mine))
				_exit(2);
			_exit(0);
		}
		close(p[i][1]);
	}
	for (i = 0; i < WORKERS; i++) {
		ASSERT_EQ(sizeof(t[i]), read(p[i][0], &t[i], sizeof(t[i])));
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		EXPECT_EQ(0, t[i].mismatches);
		nlc_note("worker %d: %llu ops, %llu dumps (%llu interrupted)",
			 i, (unsigned long long)t[i].ops,
			 (unsigned long long)t[i].dumps,
			 (unsigned long long)t[i].dump_intr);
		sum.installs += t[i].installs + t[i].shared_installs;
		sum.shared_installs += t[i].shared_installs;
		sum.repeated += t[i].repeated;
		sum.stale += t[i].stale + t[i].shared_stale;
		sum.conflict += t[i].conflict;
		sum.retired += t[i].retired;
		sum.keys += t[i].keys;
		sum.ops += t[i].ops;
	}
	/* The shared group keeps two keys; the rest were superseded. */
	if (sum.shared_installs > 2) {
		sum.retired += sum.shared_installs - 2;
		sum.keys += 2;
	} else {
		sum.keys += sum.shared_installs;
	}
	ASSERT_EQ(0, nlc_stats(&self->c, 0, &s));
	EXPECT_EQ(WORKERS * OWN + 1 + STATIC, s.v[CPNS_A_STATS_GROUPS]);
	EXPECT_EQ(sum.keys, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(sum.installs, s.v[CPNS_A_STATS_INSTALLS]);
	EXPECT_EQ(sum.repeated, s.v[CPNS_A_STATS_INSTALLS_REPEATED]);
	EXPECT_EQ(sum.stale, s.v[CPNS_A_STATS_REFUSED_STALE]);
	EXPECT_EQ(sum.conflict, s.v[CPNS_A_STATS_REFUSED_CONFLICT]);
	EXPECT_EQ(sum.retired, s.v[CPNS_A_STATS_RETIRED]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_EXPIRIES]);
	ASSERT_EQ(0, nlc_stats(&self->c, SHARED, &s));
	EXPECT_EQ(sum.shared_installs, s.v[CPNS_A_STATS_INSTALLS]);
	nlc_note("%llu operations; %llu installs, %llu keys cached",
		 (unsigned long long)sum.ops,
		 (unsigned long long)sum.installs,
		 (unsigned long long)sum.keys);
}

TEST_HARNESS_MAIN
