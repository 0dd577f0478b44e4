// SPDX-License-Identifier: GPL-2.0
/*
 * A wrapped Group Key valid for centuries must not make its group's
 * timer spin.  Its expiry is far beyond what jiffies hold; the module
 * looks again daily instead.  Counted with the workqueue tracepoint:
 * such keys may run their groups' work a few times, never once per tick.
 * One more group, whose plain key lives one second, proves the count
 * sees group work at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/cpns.h>
#include <linux/genetlink.h>

#include "kselftest_harness.h"
#include "gkblob.h"
#include "gkdk.h"
#include "keytree.h"
#include "nl.h"

#define TRACING "/sys/kernel/tracing"
#define GROUPS 20

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Runs of cpns's group work in the trace buffer. */
static int count_group_work(void)
{
	FILE *f = fopen(TRACING "/trace", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "workqueue_execute_start") &&
		    strstr(line, "group_work"))
			n++;
	fclose(f);
	return n;
}

TEST(far_expiry_does_not_spin)
{
	struct cpns_gk_params gp = {
		.scheme = CPNS_SCHEME_CS,
		.epoch = 1,
		.valid_from = 0,
		.valid_until = UINT64_MAX,
	};
	uint8_t gk[CPNS_KEY_LEN] = { 1 }, enc[CPNS_GKDK_MAX_LEN];
	struct cpns_gkdk g;
	struct cpns_kms *kms;
	struct nlmsghdr *req;
	struct cpns_nl nl;
	uint32_t slot;
	size_t len, blen;
	uint8_t *blob;
	int i, runs;

	system("mount -t tracefs tracefs " TRACING " 2>/dev/null");
	ASSERT_EQ(0, access(TRACING "/events/workqueue/workqueue_execute_start/enable",
			    W_OK));
	ASSERT_EQ(0, system("modprobe cpns"));
	ASSERT_EQ(0, cpns_nl_open(&nl));

	ASSERT_EQ(0, cpns_kms_create(&kms, 0x42, 1, 4));
	ASSERT_EQ(0, cpns_kms_slot_assign(kms, &slot));
	ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, slot, &g));
	ASSERT_EQ(0, cpns_gkdk_encode(&g, enc, sizeof(enc), &len));
	req = cpns_nl_request(&nl, CPNS_CMD_GKDK_SET, 0);
	mnl_attr_put(req, CPNS_A_GKDK_DATA, len, enc);
	ASSERT_EQ(0, cpns_nl_talk(&nl, req, NULL, NULL));

	for (i = 1; i <= GROUPS; i++) {
		req = cpns_nl_request(&nl, CPNS_CMD_GROUP_NEW, 0);
		mnl_attr_put_u32(req, CPNS_A_GROUP_ID, i);
		ASSERT_EQ(0, cpns_nl_talk(&nl, req, NULL, NULL));
		gp.group_id = i;
		ASSERT_EQ(0, cpns_gk_build(kms, &gp, &slot, 1, gk, &blob,
					   &blen));
		req = cpns_nl_request(&nl, CPNS_CMD_KEY_INSTALL, 0);
		mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, i);
		mnl_attr_put(req, CPNS_A_KEY_WRAPPED, blen, blob);
		free(blob);
		ASSERT_EQ(0, cpns_nl_talk(&nl, req, NULL, NULL));
	}

	ASSERT_EQ(0, write_file(TRACING "/trace", ""));
	ASSERT_EQ(0, write_file(TRACING "/events/workqueue/workqueue_execute_start/enable",
				"1"));
	/* The control: a one-second key whose retirement the trace must see. */
	req = cpns_nl_request(&nl, CPNS_CMD_GROUP_NEW, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, GROUPS + 1);
	mnl_attr_put_u32(req, CPNS_A_GROUP_LIFETIME, 1);
	ASSERT_EQ(0, cpns_nl_talk(&nl, req, NULL, NULL));
	req = cpns_nl_request(&nl, CPNS_CMD_KEY_INSTALL, 0);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, GROUPS + 1);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, 1);
	mnl_attr_put(req, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, gk);
	ASSERT_EQ(0, cpns_nl_talk(&nl, req, NULL, NULL));
	sleep(2);
	write_file(TRACING "/events/workqueue/workqueue_execute_start/enable",
		   "0");
	runs = count_group_work();
	TH_LOG("group work ran %d times in 2 s for %d groups", runs,
	       GROUPS + 1);
	/* The control group's retirement at least. */
	ASSERT_GE(runs, 1);
	/* Spinning would be about 2 s * HZ per group: thousands. */
	EXPECT_LT(runs, GROUPS);

	cpns_gkdk_wipe(&g);
	cpns_kms_free(kms);
	cpns_nl_close(&nl);
	system("rmmod cpns");
}

TEST_HARNESS_MAIN
