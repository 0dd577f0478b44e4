// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces: two namespaces see nothing of each other (groups,
 * keys, GKDKs, counters, events, the netns cookie of INFO_GET), and
 * deleting a namespace frees everything it held, pending timers included,
 * while the module stays loaded (slab usage returns to its baseline).
 */
#include "nl_common.h"

#include "kselftest_harness.h"

/*
 * Filling a namespace to its limits and waiting for its deletion takes
 * more than the harness's 30 s on the debug kernel under TCG, and more
 * than 150 s with KASAN's quarantine walked by every shrink; 600 s still
 * catches a hang (the runner's own timeout bounds the stock kernel).
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600

NLC_FIXTURE(netns);

static uint64_t cookie(struct nlc *c)
{
	struct nlattr *tb[CPNS_A_INFO_MAX + 1];

	if (nlc_do(c, nlc_req(c, CPNS_CMD_INFO_GET, 0)) ||
	    nlc_parse(c->reply[0], tb, CPNS_A_INFO_MAX) ||
	    !tb[CPNS_A_INFO_NETNS_COOKIE])
		return 0;
	return nla_get_u64(tb[CPNS_A_INFO_NETNS_COOKIE]);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define CHECK(cond) do { \
		if (!(cond)) { \
			printf("# child: %s:%d: %s\n", __FILE__, __LINE__, \
			       #cond); \
			fflush(stdout); \
			_exit(1); \
		} \
	} while (0)

TEST_F(netns, isolated)
{
	struct nlc *c = &self->c, ev;
	struct nlc_stats s;
	struct nlc_group g;
	uint64_t init_cookie = cookie(c);
	int to_child[2], to_parent[2];
	size_t len;
	uint8_t *gk = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", &len);
	char b;
	pid_t pid;

	ASSERT_NE(0, init_cookie);
	ASSERT_NE(NULL, gk);
	ASSERT_EQ(0, nlc_gkdk_set(c, gk, len));
	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 7, 5, 5));
	ASSERT_EQ(0, nlc_open_events(&ev));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nlc n, nev;

		CHECK(!unshare(CLONE_NEWNET));
		CHECK(!nlc_open(&n));
		CHECK(!nlc_open_events(&nev));
		CHECK(cookie(&n) && cookie(&n) != init_cookie);
		/* Nothing of the init namespace is visible here. */
		CHECK(nlc_group_get(&n, 7) == -ENOENT);
		CHECK(nlc_key_get(&n, 7, -1) == -ENOENT);
		CHECK(nlc_gkdk_get(&n, VEC_GW) == -ENOENT);
		CHECK(!nlc_stats(&n, 0, &s));
		CHECK(!s.v[CPNS_A_STATS_GROUPS] && !s.v[CPNS_A_STATS_KEYS] &&
		      !s.v[CPNS_A_STATS_GKDKS] && !s.v[CPNS_A_STATS_INSTALLS]);
		/* The same ids are free here, with other keys and epochs. */
		CHECK(!nlc_group_new(&n, 7, 9, -1, -1));
		CHECK(!nlc_key_seed(&n, 7, 1, 77));
		CHECK(nlc_events(&nev, 1, 2000) == 1);
		/* The parent installs now: nothing of it arrives here. */
		CHECK(write(to_parent[1], "i", 1) == 1);
		CHECK(read(to_child[0], &b, 1) == 1);
		CHECK(nlc_events(&nev, 1, 500) == 0);
		CHECK(!nlc_group_get(&n, 7));
		CHECK(!nlc_group_parse(n.reply[0], &g));
		CHECK(g.grace == 9 && g.cur == 1);
		nlc_close(&nev);
		nlc_close(&n);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &b, 1));
	/* The child's install raised no event here. */
	EXPECT_EQ(0, nlc_events(&ev, 1, 300));
	ASSERT_EQ(0, nlc_key_seed(c, 7, 6, 6));
	EXPECT_EQ(1, nlc_events(&ev, 1, 2000));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	EXPECT_EQ(0, wait_child(pid));

	/* And the init namespace is as it was. */
	ASSERT_EQ(0, nlc_group_get(c, 7));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(30, g.grace);
	EXPECT_EQ(6, g.cur);
	EXPECT_EQ(5, g.prev);
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GROUPS]);
	EXPECT_EQ(2, s.v[CPNS_A_STATS_INSTALLS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GKDKS]);
	nlc_close(&ev);
	free(gk);
}

/*
 * Slab in use.  Shrinking the kmalloc caches (all cpns allocates from)
 * first returns their empty slabs and, on a KASAN kernel, the freed
 * objects its quarantine still holds, which would otherwise count as in
 * use for long after the namespace went.  Not every cache: under KASAN
 * each shrink walks the whole quarantine.
 */
static long slab_kb(void)
{
	char line[128];
	long v = -1;
	FILE *f;

	system("for f in /sys/kernel/slab/kmalloc-*/shrink; do echo 1 >\"$f\"; done 2>/dev/null");
	f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

#define NS_GROUPS 20000

/* Fill a namespace: groups with two keys each, GKDKs, pending timers. */
TEST_F_TIMEOUT(netns, deletion_frees_everything, 600)
{
	long base, full = 0, after = 0;
	int p[2], i;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	/* Let earlier frees settle. */
	system("sync; echo 2 > /proc/sys/vm/drop_caches");
	sleep(1);
	base = slab_kb();
	ASSERT_GT(base, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nlc n, nev;
		struct nlc_stats s;

		CHECK(!unshare(CLONE_NEWNET));
		CHECK(!nlc_open(&n));
		CHECK(!nlc_open_events(&nev));	/* a subscriber, too */
		CHECK(nlc_fill_namespace(&n, NS_GROUPS, 10, 3600) == 0);
		CHECK(!nlc_stats(&n, 0, &s));
		CHECK(s.v[CPNS_A_STATS_GROUPS] == NS_GROUPS);
		CHECK(s.v[CPNS_A_STATS_KEYS] == 2 * NS_GROUPS);
		CHECK(s.v[CPNS_A_STATS_GKDKS] == CPNS_GKDK_MAX);
		full = slab_kb();
		CHECK(write(p[1], &full, sizeof(full)) == sizeof(full));
		/* Exit with everything in place: the namespace goes. */
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(full), read(p[0], &full, sizeof(full)));
	EXPECT_EQ(0, wait_child(pid));
	TH_LOG("slab: %ld kB before, %ld kB with the namespace full", base,
	       full);
	/* A namespace of 20000 groups and 40000 keys costs megabytes. */
	EXPECT_GT(full - base, 4000);
	/* cleanup_net() runs from a workqueue; wait for it. */
	for (i = 0; i < 30; i++) {
		sleep(1);
		after = slab_kb();
		if (after - base < (full - base) / 5)
			break;
	}
	nlc_note("slab: %ld kB before, %ld kB full, %ld kB %d s after the namespace went",
		 base, full, after, i + 1);
	EXPECT_LT(after - base, (full - base) / 5);
	/* The init namespace was never touched, and still works. */
	EXPECT_EQ(0, nlc_group_new(&self->c, 1, -1, -1, -1));
}

TEST_HARNESS_MAIN
