// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload with thousands of keys cached is clean: groups with keys
 * (some with pending expiry work), every GKDK slot used, in the init
 * namespace and in a second namespace that stays alive, with event
 * subscribers bound.  rmmod succeeds, leaves no warning (a leaked group
 * makes kmem_cache_destroy() complain, which the runner catches), and a
 * reloaded module starts empty in both namespaces.
 */
#include "nl_common.h"

#include "kselftest_harness.h"

#define NG 3000

static uint64_t nkeys(struct nlc *c)
{
	struct nlc_stats s;

	return nlc_stats(c, 0, &s) ? (uint64_t)-1 : s.v[CPNS_A_STATS_KEYS];
}

FIXTURE(unload) {
	int unused;
};

FIXTURE_SETUP(unload)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(unload)
{
	nlc_rmmod();
}

TEST_F_TIMEOUT(unload, thousands_of_keys, 120)
{
	int to_child[2], to_parent[2], status;
	struct nlc c, ev;
	char b = 0;
	pid_t pid;

	nlc_rmmod();
	ASSERT_EQ(0, nlc_modprobe());
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nlc n, nev;
		int ok;

		/* A second namespace, alive across the unload. */
		if (unshare(CLONE_NEWNET) || nlc_open(&n) ||
		    nlc_open_events(&nev) || nlc_fill_namespace(&n, NG / 3, 3, 120) ||
		    nkeys(&n) != 2 * (NG / 3))
			_exit(1);
		nlc_close(&n);
		if (write(to_parent[1], "f", 1) != 1 ||
		    read(to_child[0], &b, 1) != 1)
			_exit(2);
		/* Reloaded: this namespace starts empty. */
		ok = !nlc_open(&n) && nkeys(&n) == 0 &&
		     nlc_group_get(&n, 1) == -ENOENT &&
		     nlc_gkdk_get(&n, VEC_GW) == -ENOENT;
		nlc_close(&n);
		nlc_close(&nev);
		_exit(ok ? 0 : 3);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(1, read(to_parent[0], &b, 1));

	ASSERT_EQ(0, nlc_open(&c));
	ASSERT_EQ(0, nlc_open_events(&ev));
	ASSERT_EQ(0, nlc_fill_namespace(&c, NG, 3, 120));
	EXPECT_EQ(2 * NG, nkeys(&c));
	nlc_close(&c);

	/* Unload with everything in place and sockets still bound. */
	EXPECT_EQ(0, system("rmmod cpns"));
	EXPECT_NE(0, system("grep -q '^cpns ' /proc/modules"));

	ASSERT_EQ(0, nlc_modprobe());
	ASSERT_EQ(0, nlc_open(&c));
	EXPECT_EQ(0, nkeys(&c));
	EXPECT_EQ(-ENOENT, nlc_group_get(&c, 1));
	EXPECT_EQ(0, nlc_group_new(&c, 1, -1, -1, -1));
	nlc_close(&c);
	ASSERT_EQ(1, write(to_child[1], "r", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	nlc_close(&ev);
	EXPECT_EQ(0, nlc_rmmod());
}

TEST_HARNESS_MAIN
