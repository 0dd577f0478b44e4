// SPDX-License-Identifier: GPL-2.0
/*
 * The Group Key cache through the product's own netlink layer: a group,
 * plain keys across epochs (rollover keeps the previous key), the epoch
 * rules, and deletion.  The exhaustive API tests use libnl (nl_*.c).
 */
#include <errno.h>
#include <string.h>
#include <linux/cpns.h>
#include <linux/genetlink.h>

#include "kselftest_harness.h"
#include "nl.h"

static int group_new(struct cpns_nl *nl, uint32_t id, uint32_t grace)
{
	struct nlmsghdr *req = cpns_nl_request(nl, CPNS_CMD_GROUP_NEW, 0);

	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, id);
	mnl_attr_put_u32(req, CPNS_A_GROUP_GRACE, grace);
	return cpns_nl_talk(nl, req, NULL, NULL);
}

static int install(struct cpns_nl *nl, uint32_t id, uint64_t epoch, uint8_t fill)
{
	struct nlmsghdr *req = cpns_nl_request(nl, CPNS_CMD_KEY_INSTALL, 0);
	uint8_t key[CPNS_KEY_LEN];

	memset(key, fill, sizeof(key));
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, id);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, epoch);
	mnl_attr_put(req, CPNS_A_KEY_PLAIN, sizeof(key), key);
	return cpns_nl_talk(nl, req, NULL, NULL);
}

struct epochs {
	uint64_t cur, prev;
	int n;
};

static int group_cb(const struct nlmsghdr *nlh, void *data)
{
	struct epochs *e = data;
	struct nlattr *a;

	e->n++;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CPNS_A_GROUP_CURRENT_EPOCH)
			e->cur = mnl_attr_get_u64(a);
		if (mnl_attr_get_type(a) == CPNS_A_GROUP_PREVIOUS_EPOCH)
			e->prev = mnl_attr_get_u64(a);
	}
	return MNL_CB_OK;
}

static int group_get(struct cpns_nl *nl, uint32_t id, struct epochs *e)
{
	struct nlmsghdr *req = cpns_nl_request(nl, CPNS_CMD_GROUP_GET, 0);

	memset(e, 0, sizeof(*e));
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, id);
	return cpns_nl_talk(nl, req, group_cb, e);
}

FIXTURE(keys) {
	struct cpns_nl nl;
};

FIXTURE_SETUP(keys)
{
	system("rmmod cpns 2>/dev/null");
	ASSERT_EQ(0, system("modprobe cpns"));
	ASSERT_EQ(0, cpns_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(keys)
{
	cpns_nl_close(&self->nl);
	system("rmmod cpns");
}

TEST_F(keys, rollover_keeps_previous)
{
	struct epochs e;

	ASSERT_EQ(0, group_new(&self->nl, 7, 30));
	ASSERT_EQ(0, install(&self->nl, 7, 1, 0xa1));
	ASSERT_EQ(0, group_get(&self->nl, 7, &e));
	EXPECT_EQ(1, e.cur);
	EXPECT_EQ(0, e.prev);
	ASSERT_EQ(0, install(&self->nl, 7, 2, 0xa2));
	ASSERT_EQ(0, group_get(&self->nl, 7, &e));
	EXPECT_EQ(2, e.cur);
	EXPECT_EQ(1, e.prev);
	/* A third epoch supersedes the first while it is still previous. */
	ASSERT_EQ(0, install(&self->nl, 7, 5, 0xa5));
	ASSERT_EQ(0, group_get(&self->nl, 7, &e));
	EXPECT_EQ(5, e.cur);
	EXPECT_EQ(2, e.prev);
}

TEST_F(keys, epoch_rules)
{
	ASSERT_EQ(0, group_new(&self->nl, 8, 30));
	ASSERT_EQ(0, install(&self->nl, 8, 10, 0x10));
	EXPECT_EQ(0, install(&self->nl, 8, 10, 0x10));
	EXPECT_EQ(-EEXIST, install(&self->nl, 8, 10, 0x11));
	EXPECT_STREQ("cpns: epoch already installed with another key",
		     self->nl.extack);
	EXPECT_EQ(-ESTALE, install(&self->nl, 8, 9, 0x09));
	EXPECT_STREQ("cpns: epoch older than the group's newest (rollback)",
		     self->nl.extack);
	EXPECT_EQ(-ENOENT, install(&self->nl, 99, 1, 0x01));
	EXPECT_STREQ("cpns: unknown Service Group", self->nl.extack);
}

TEST_F(keys, group_del_and_dump)
{
	struct nlmsghdr *req;
	struct epochs e = { 0 };
	int i;

	for (i = 1; i <= 300; i++) {
		ASSERT_EQ(0, group_new(&self->nl, i, 30));
		ASSERT_EQ(0, install(&self->nl, i, i, i));
	}
	EXPECT_EQ(-EEXIST, group_new(&self->nl, 5, 30));
	req = cpns_nl_request(&self->nl, CPNS_CMD_GROUP_GET, NLM_F_DUMP);
	ASSERT_EQ(0, cpns_nl_talk(&self->nl, req, group_cb, &e));
	EXPECT_EQ(300, e.n);
	req = cpns_nl_request(&self->nl, CPNS_CMD_GROUP_DEL, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, 5);
	EXPECT_EQ(0, cpns_nl_talk(&self->nl, req, NULL, NULL));
	EXPECT_EQ(-ENOENT, group_get(&self->nl, 5, &e));
}

TEST_F(keys, dumps_refuse_attributes_they_do_not_take)
{
	struct nlmsghdr *req;
	struct epochs e = { 0 };

	ASSERT_EQ(0, group_new(&self->nl, 3, 30));
	/* A group dump takes no filter: an id is refused, not ignored. */
	req = cpns_nl_request(&self->nl, CPNS_CMD_GROUP_GET, NLM_F_DUMP);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, 3);
	EXPECT_EQ(-EINVAL, cpns_nl_talk(&self->nl, req, group_cb, &e));
	EXPECT_STREQ("cpns: attribute not taken by this dump", self->nl.extack);
	/* A key dump filters by group, but not by epoch. */
	req = cpns_nl_request(&self->nl, CPNS_CMD_KEY_GET, NLM_F_DUMP);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, 3);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, 1);
	EXPECT_EQ(-EINVAL, cpns_nl_talk(&self->nl, req, NULL, NULL));
	EXPECT_STREQ("cpns: attribute not taken by this dump", self->nl.extack);
	req = cpns_nl_request(&self->nl, CPNS_CMD_KEY_GET, NLM_F_DUMP);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, 3);
	EXPECT_EQ(0, cpns_nl_talk(&self->nl, req, NULL, NULL));
}

TEST_HARNESS_MAIN
