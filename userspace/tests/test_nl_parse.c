// SPDX-License-Identifier: GPL-2.0
/*
 * The reply parser: crafted cpns replies and events with attributes of
 * the wrong size are refused before anything reads them, well-formed ones
 * are indexed, and attributes a newer module might add are skipped.
 */
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "kselftest_harness.h"
#include "nl.h"

#define BUFSZ 4096

FIXTURE(msg) {
	char buf[BUFSZ];
	struct nlmsghdr *nlh;
	char why[256];
};

FIXTURE_SETUP(msg)
{
	struct genlmsghdr *g;

	memset(self->buf, 0, sizeof(self->buf));
	self->nlh = mnl_nlmsg_put_header(self->buf);
	self->nlh->nlmsg_type = 0x20;
	g = mnl_nlmsg_put_extra_header(self->nlh, sizeof(*g));
	g->cmd = CPNS_CMD_GROUP_GET;
	self->why[0] = '\0';
}

FIXTURE_TEARDOWN(msg)
{
}

/* A reply as cpns.ko sends it: selector nest and 64-bit epochs. */
static void put_group(struct nlmsghdr *nlh)
{
	static const uint8_t addr[4] = { 239, 1, 2, 3 };
	struct nlattr *nest;

	mnl_attr_put_u32(nlh, CPNS_A_GROUP_ID, 7);
	mnl_attr_put_u32(nlh, CPNS_A_GROUP_GRACE, 30);
	nest = mnl_attr_nest_start(nlh, CPNS_A_GROUP_SELECTOR);
	mnl_attr_put_u16(nlh, CPNS_A_SELECTOR_FAMILY, AF_INET);
	mnl_attr_put(nlh, CPNS_A_SELECTOR_DADDR, sizeof(addr), addr);
	mnl_attr_put_u8(nlh, CPNS_A_SELECTOR_PREFIX_LEN, 32);
	mnl_attr_put_u16(nlh, CPNS_A_SELECTOR_DPORT, 5000);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u64(nlh, CPNS_A_GROUP_CURRENT_EPOCH, 9);
}

TEST_F(msg, well_formed_group_is_indexed)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];
	const struct nlattr *sel[CPNS_A_SELECTOR_MAX + 1];

	put_group(self->nlh);
	ASSERT_EQ(0, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
				   self->why, sizeof(self->why)));
	ASSERT_NE(NULL, tb[CPNS_A_GROUP_ID]);
	EXPECT_EQ(7, mnl_attr_get_u32(tb[CPNS_A_GROUP_ID]));
	EXPECT_EQ(9, mnl_attr_get_u64(tb[CPNS_A_GROUP_CURRENT_EPOCH]));
	EXPECT_EQ(NULL, tb[CPNS_A_GROUP_PREVIOUS_EPOCH]);
	ASSERT_NE(NULL, tb[CPNS_A_GROUP_SELECTOR]);
	ASSERT_EQ(0, cpns_nl_parse_nested(tb[CPNS_A_GROUP_SELECTOR],
					  cpns_nl_group_policy.attrs[CPNS_A_GROUP_SELECTOR].nested,
					  sel));
	EXPECT_EQ(AF_INET, mnl_attr_get_u16(sel[CPNS_A_SELECTOR_FAMILY]));
	EXPECT_EQ(32, mnl_attr_get_u8(sel[CPNS_A_SELECTOR_PREFIX_LEN]));
}

TEST_F(msg, empty_u32_is_refused)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];

	mnl_attr_put(self->nlh, CPNS_A_GROUP_ID, 0, NULL);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
					  self->why, sizeof(self->why)));
	EXPECT_NE(NULL, strstr(self->why, "group attribute \"id\" (1) of 0 bytes"))
		TH_LOG("why: %s", self->why);
}

TEST_F(msg, short_u64_is_refused)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];

	mnl_attr_put_u32(self->nlh, CPNS_A_GROUP_ID, 7);
	mnl_attr_put_u32(self->nlh, CPNS_A_GROUP_CURRENT_EPOCH, 9);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
					  self->why, sizeof(self->why)));
	EXPECT_NE(NULL, strstr(self->why, "\"current-epoch\""))
		TH_LOG("why: %s", self->why);
}

TEST_F(msg, long_u32_is_refused)
{
	const struct nlattr *tb[CPNS_A_KEY_MAX + 1];

	mnl_attr_put_u64(self->nlh, CPNS_A_KEY_GROUP_ID, 7);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_key_policy, tb,
					  NULL, 0));
}

TEST_F(msg, fingerprint_of_wrong_length_is_refused)
{
	static const uint8_t fp[CPNS_FINGERPRINT_LEN + 1];
	const struct nlattr *tb[CPNS_A_KEY_MAX + 1];
	char *mark = (char *)self->nlh + self->nlh->nlmsg_len;

	mnl_attr_put(self->nlh, CPNS_A_KEY_FINGERPRINT, CPNS_FINGERPRINT_LEN, fp);
	EXPECT_EQ(0, cpns_nl_parse(self->nlh, &cpns_nl_key_policy, tb, NULL, 0));

	self->nlh->nlmsg_len = mark - (char *)self->nlh;
	mnl_attr_put(self->nlh, CPNS_A_KEY_FINGERPRINT, CPNS_FINGERPRINT_LEN - 1, fp);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_key_policy, tb,
					  NULL, 0));

	self->nlh->nlmsg_len = mark - (char *)self->nlh;
	mnl_attr_put(self->nlh, CPNS_A_GKDK_FINGERPRINT, CPNS_FINGERPRINT_LEN + 1, fp);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_gkdk_policy, tb,
					  NULL, 0));
}

/* A short member inside the selector nest refuses the whole reply. */
TEST_F(msg, short_nest_member_is_refused)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];
	struct nlattr *nest;

	mnl_attr_put_u32(self->nlh, CPNS_A_GROUP_ID, 7);
	nest = mnl_attr_nest_start(self->nlh, CPNS_A_GROUP_SELECTOR);
	mnl_attr_put_u8(self->nlh, CPNS_A_SELECTOR_FAMILY, AF_INET);
	mnl_attr_nest_end(self->nlh, nest);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
					  self->why, sizeof(self->why)));
	EXPECT_NE(NULL, strstr(self->why, "selector attribute \"family\""))
		TH_LOG("why: %s", self->why);
}

TEST_F(msg, short_address_is_refused)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];
	struct nlattr *nest;

	nest = mnl_attr_nest_start(self->nlh, CPNS_A_GROUP_SELECTOR);
	mnl_attr_put_u16(self->nlh, CPNS_A_SELECTOR_FAMILY, AF_INET);
	mnl_attr_put(self->nlh, CPNS_A_SELECTOR_DADDR, 2, "ab");
	mnl_attr_nest_end(self->nlh, nest);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
					  NULL, 0));
}

TEST_F(msg, info_list_item_and_string_are_checked)
{
	const struct nlattr *tb[CPNS_A_INFO_MAX + 1];
	char *mark = (char *)self->nlh + self->nlh->nlmsg_len;
	struct nlattr *nest;

	nest = mnl_attr_nest_start(self->nlh, CPNS_A_INFO_SCHEMES);
	mnl_attr_put_u16(self->nlh, CPNS_A_LIST_ITEM, 1);
	mnl_attr_nest_end(self->nlh, nest);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_info_policy, tb,
					  NULL, 0));

	self->nlh->nlmsg_len = mark - (char *)self->nlh;
	mnl_attr_put(self->nlh, CPNS_A_INFO_VERSION, 5, "0.1.0");
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_info_policy, tb,
					  NULL, 0));

	self->nlh->nlmsg_len = mark - (char *)self->nlh;
	mnl_attr_put_strz(self->nlh, CPNS_A_INFO_VERSION, "0.1.0");
	nest = mnl_attr_nest_start(self->nlh, CPNS_A_INFO_CIPHERS);
	mnl_attr_put_u32(self->nlh, CPNS_A_LIST_ITEM, 1);
	mnl_attr_nest_end(self->nlh, nest);
	ASSERT_EQ(0, cpns_nl_parse(self->nlh, &cpns_nl_info_policy, tb, NULL, 0));
	EXPECT_STREQ("0.1.0", mnl_attr_get_str(tb[CPNS_A_INFO_VERSION]));
}

TEST_F(msg, short_counter_is_refused)
{
	const struct nlattr *tb[CPNS_A_STATS_MAX + 1];

	mnl_attr_put_u32(self->nlh, CPNS_A_STATS_GROUP_ID, 7);
	mnl_attr_put_u64(self->nlh, CPNS_A_STATS_KEYS, 1);
	EXPECT_EQ(0, cpns_nl_parse(self->nlh, &cpns_nl_stats_policy, tb, NULL, 0));
	mnl_attr_put_u32(self->nlh, CPNS_A_STATS_RX_OPENED, 1);
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_stats_policy, tb,
					  NULL, 0));
}

/* A newer module's attribute, of any size, is no reason to refuse. */
TEST_F(msg, unknown_attributes_are_skipped)
{
	const struct nlattr *tb[CPNS_A_GKDK_MAX + 1];

	mnl_attr_put_u64(self->nlh, CPNS_A_GKDK_GATEWAY_ID, 1);
	mnl_attr_put(self->nlh, CPNS_A_GKDK_MAX + 1, 0, NULL);
	mnl_attr_put(self->nlh, CPNS_A_GKDK_PAD, 0, NULL);
	ASSERT_EQ(0, cpns_nl_parse(self->nlh, &cpns_nl_gkdk_policy, tb, NULL, 0));
	EXPECT_EQ(1, mnl_attr_get_u64(tb[CPNS_A_GKDK_GATEWAY_ID]));
}

/* An attribute running past the message, or bytes after the last one. */
TEST_F(msg, truncated_attribute_is_refused)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];

	mnl_attr_put_u32(self->nlh, CPNS_A_GROUP_ID, 7);
	mnl_attr_put_u64(self->nlh, CPNS_A_GROUP_CURRENT_EPOCH, 9);
	self->nlh->nlmsg_len -= 4;
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
					  self->why, sizeof(self->why)));
	EXPECT_NE(NULL, strstr(self->why, "bytes left")) TH_LOG("why: %s", self->why);
}

TEST_F(msg, message_shorter_than_its_header_is_refused)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];

	self->nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EBADMSG, cpns_nl_parse(self->nlh, &cpns_nl_group_policy, tb,
					  NULL, 0));
}

TEST_HARNESS_MAIN
