// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading cpns.ko while sockets are bound to its family and subscribed
 * to its event group is safe: the unload completes, the stale family id
 * is refused, the subscriptions simply end, and a reloaded module works.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "kselftest_harness.h"
#include "nl.h"

TEST(unload_with_bound_sockets)
{
	struct cpns_nl nl[4];
	struct nlmsghdr *req;
	uint16_t old_id;
	int i, grp;

	system("rmmod cpns 2>/dev/null");
	ASSERT_EQ(0, system("modprobe cpns"));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, cpns_nl_open(&nl[i]));
		ASSERT_NE(0, nl[i].mcgrp_events);
		grp = nl[i].mcgrp_events;
		ASSERT_EQ(0, mnl_socket_setsockopt(nl[i].sock,
						   NETLINK_ADD_MEMBERSHIP,
						   &grp, sizeof(grp)));
	}
	old_id = nl[0].family_id;

	ASSERT_EQ(0, system("rmmod cpns"));

	/* The family id is gone: a request to it is refused, not crashed. */
	req = cpns_nl_request(&nl[0], CPNS_CMD_INFO_GET, 0);
	EXPECT_EQ(-ENOENT, cpns_nl_talk(&nl[0], req, NULL, NULL));

	/* Leaving a group of a vanished family is harmless too. */
	grp = nl[1].mcgrp_events;
	mnl_socket_setsockopt(nl[1].sock, NETLINK_DROP_MEMBERSHIP, &grp,
			      sizeof(grp));

	ASSERT_EQ(0, system("modprobe cpns"));
	/* A fresh client resolves the new registration. */
	{
		struct cpns_nl fresh;

		ASSERT_EQ(0, cpns_nl_open(&fresh));
		req = cpns_nl_request(&fresh, CPNS_CMD_INFO_GET, 0);
		EXPECT_EQ(0, cpns_nl_talk(&fresh, req, NULL, NULL));
		cpns_nl_close(&fresh);
	}
	TH_LOG("family id before unload %u", old_id);
	for (i = 0; i < 4; i++)
		cpns_nl_close(&nl[i]);
	EXPECT_EQ(0, system("rmmod cpns"));
}

/*
 * The child hammers the family for as long as the parent unloads and
 * reloads, not for a fixed count: on a debug kernel (KASAN, lockdep) a
 * count sized for the stock one outlasts the harness's 30 s timeout.
 */
TEST(unload_while_requests_run)
{
	struct timespec t0, t;
	int status, i, unloads = 0, stop[2];
	pid_t pid;

	ASSERT_EQ(0, system("modprobe cpns"));
	ASSERT_EQ(0, pipe(stop));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct pollfd pfd = { .fd = stop[0], .events = POLLIN };

		close(stop[1]);
		/* Until the parent closes its end. */
		while (poll(&pfd, 1, 0) == 0) {
			struct cpns_nl nl;
			struct nlmsghdr *req;

			if (cpns_nl_open(&nl))
				continue;
			req = cpns_nl_request(&nl, CPNS_CMD_INFO_GET, 0);
			cpns_nl_talk(&nl, req, NULL, NULL);
			cpns_nl_close(&nl);
		}
		_exit(0);
	}
	close(stop[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++) {
		if (system("rmmod cpns 2>/dev/null") == 0)
			unloads++;
		system("modprobe cpns");
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 15)
			break;
	}
	close(stop[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_GT(unloads, 0);
	TH_LOG("%d unloads in %d cycles", unloads, i);
	system("rmmod cpns");
}

TEST_HARNESS_MAIN
