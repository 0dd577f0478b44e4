// SPDX-License-Identifier: GPL-2.0
/*
 * INFO_GET and STATS_GET through libnl: the module's answers, the
 * namespace and per-group counters (every attribute the spec lists), and
 * the bad inputs of both.
 */
#include "nl_common.h"

#include "kselftest_harness.h"

NLC_FIXTURE(stats);

TEST_F(stats, info_get)
{
	struct nlc *c = &self->c;
	struct nlattr *tb[CPNS_A_INFO_MAX + 1], *a;
	int rem, n = 0;

	ASSERT_EQ(0, nlc_do(c, nlc_req(c, CPNS_CMD_INFO_GET, 0)));
	ASSERT_EQ(1, c->nreplies);
	EXPECT_EQ(CPNS_CMD_INFO_GET, nlc_cmd(c->reply[0]));
	ASSERT_EQ(0, nlc_parse(c->reply[0], tb, CPNS_A_INFO_MAX));
	ASSERT_NE(NULL, tb[CPNS_A_INFO_VERSION]);
	EXPECT_STREQ("0.1.0", nla_get_string(tb[CPNS_A_INFO_VERSION]));
	ASSERT_NE(NULL, tb[CPNS_A_INFO_FAMILY_VERSION]);
	EXPECT_EQ(CPNS_FAMILY_VERSION,
		  nla_get_u32(tb[CPNS_A_INFO_FAMILY_VERSION]));
	ASSERT_NE(NULL, tb[CPNS_A_INFO_MAX_TREE_HEIGHT]);
	EXPECT_EQ(CPNS_TREE_HEIGHT_MAX,
		  nla_get_u32(tb[CPNS_A_INFO_MAX_TREE_HEIGHT]));
	ASSERT_NE(NULL, tb[CPNS_A_INFO_NETNS_COOKIE]);
	EXPECT_NE(0, nla_get_u64(tb[CPNS_A_INFO_NETNS_COOKIE]));
	ASSERT_NE(NULL, tb[CPNS_A_INFO_SCHEMES]);
	nla_for_each_nested(a, tb[CPNS_A_INFO_SCHEMES], rem) {
		EXPECT_EQ(CPNS_A_LIST_ITEM, nla_type(a));
		EXPECT_EQ(CPNS_SCHEME_CS, nla_get_u32(a));
		n++;
	}
	EXPECT_EQ(1, n);
	n = 0;
	ASSERT_NE(NULL, tb[CPNS_A_INFO_CIPHERS]);
	nla_for_each_nested(a, tb[CPNS_A_INFO_CIPHERS], rem) {
		EXPECT_EQ(CPNS_A_LIST_ITEM, nla_type(a));
		EXPECT_EQ(CPNS_CIPHER_AES256_GCM, nla_get_u32(a));
		n++;
	}
	EXPECT_EQ(1, n);
	/* The genetlink header carries the family version too. */
	EXPECT_EQ(CPNS_FAMILY_VERSION,
		  ((struct genlmsghdr *)nlmsg_data(c->reply[0]))->version);
}

TEST_F(stats, info_get_bad_input)
{
	struct nlc *c = &self->c;
	struct nl_msg *m = nlc_req(c, CPNS_CMD_INFO_GET, 0);

	nla_put_u32(m, CPNS_A_INFO_FAMILY_VERSION, 1);
	nlc_do(c, m);
	EXPECT_EQ(-EINVAL, c->err);
	EXPECT_EQ(CPNS_A_INFO_FAMILY_VERSION, c->bad_attr);
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_INFO_GET,
						NLM_F_DUMP)));
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_MAX + 1, 0)));
	/* Events are not requests. */
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_KEY_INSTALLED_NTF,
						0)));
}

static const int ns_attrs[] = {
	CPNS_A_STATS_GROUPS, CPNS_A_STATS_KEYS, CPNS_A_STATS_GKDKS,
	CPNS_A_STATS_INSTALLS, CPNS_A_STATS_INSTALLS_REPEATED,
	CPNS_A_STATS_REFUSED_STALE, CPNS_A_STATS_REFUSED_CONFLICT,
	CPNS_A_STATS_REFUSED_MALFORMED, CPNS_A_STATS_REFUSED_NO_GKDK,
	CPNS_A_STATS_REFUSED_NOT_MEMBER, CPNS_A_STATS_REFUSED_EXPIRED,
	CPNS_A_STATS_DECRYPT_FAILURES, CPNS_A_STATS_RETIRED,
	CPNS_A_STATS_EXPIRIES, CPNS_A_STATS_KEY_MISSING,
};

TEST_F(stats, namespace_counters)
{
	struct nlc *c = &self->c;
	struct nlc_stats s;
	unsigned int i;

	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	for (i = 0; i < sizeof(ns_attrs) / sizeof(ns_attrs[0]); i++) {
		EXPECT_TRUE(s.present & BIT64(ns_attrs[i]));
		EXPECT_EQ(0, s.v[ns_attrs[i]]);
	}
	EXPECT_FALSE(s.present & BIT64(CPNS_A_STATS_GROUP_ID));

	ASSERT_EQ(0, nlc_group_new(c, 1, -1, -1, -1));
	ASSERT_EQ(0, nlc_group_new(c, 2, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 1, 1, 1));
	ASSERT_EQ(0, nlc_key_seed(c, 1, 1, 1));		/* repeated */
	ASSERT_EQ(0, nlc_key_seed(c, 1, 2, 2));
	ASSERT_EQ(0, nlc_key_seed(c, 1, 3, 3));		/* supersedes 1 */
	ASSERT_EQ(-EEXIST, nlc_key_seed(c, 1, 3, 4));	/* conflict */
	ASSERT_EQ(-ESTALE, nlc_key_seed(c, 1, 1, 1));	/* stale */
	ASSERT_EQ(0, nlc_key_seed(c, 2, 9, 9));
	ASSERT_EQ(0, nlc_key_del(c, 2, 9));		/* deleted */

	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(2, s.v[CPNS_A_STATS_GROUPS]);
	EXPECT_EQ(2, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_GKDKS]);
	EXPECT_EQ(4, s.v[CPNS_A_STATS_INSTALLS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_INSTALLS_REPEATED]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_REFUSED_CONFLICT]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_REFUSED_STALE]);
	EXPECT_EQ(2, s.v[CPNS_A_STATS_RETIRED]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_EXPIRIES]);

	/* Per group: its own counters and keys, no namespace totals. */
	ASSERT_EQ(0, nlc_stats(c, 1, &s));
	EXPECT_TRUE(s.present & BIT64(CPNS_A_STATS_GROUP_ID));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GROUP_ID]);
	EXPECT_FALSE(s.present & (BIT64(CPNS_A_STATS_GROUPS) |
				  BIT64(CPNS_A_STATS_GKDKS)));
	EXPECT_EQ(2, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(3, s.v[CPNS_A_STATS_INSTALLS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_INSTALLS_REPEATED]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_RETIRED]);
	ASSERT_EQ(0, nlc_stats(c, 2, &s));
	EXPECT_EQ(0, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_INSTALLS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_RETIRED]);

	/* Group deletion retires the rest; counters of the ns remain. */
	ASSERT_EQ(0, nlc_group_del(c, 1));
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GROUPS]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(4, s.v[CPNS_A_STATS_RETIRED]);
	EXPECT_EQ(4, s.v[CPNS_A_STATS_INSTALLS]);
}

TEST_F(stats, bad_input)
{
	struct nlc *c = &self->c;
	struct nlc_stats s;
	struct nl_msg *m;

	nlc_stats(c, 5, &s);
	EXPECT_POLICY(c, -ENOENT, "cpns: unknown Service Group",
		      CPNS_A_STATS_GROUP_ID);
	m = nlc_req(c, CPNS_CMD_STATS_GET, 0);
	nla_put_u32(m, CPNS_A_STATS_GROUP_ID, 0);
	nlc_do(c, m);
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE, CPNS_A_STATS_GROUP_ID);
	m = nlc_req(c, CPNS_CMD_STATS_GET, 0);
	nla_put_u64(m, CPNS_A_STATS_GROUP_ID, 1);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_STATS_GROUP_ID);
	m = nlc_req(c, CPNS_CMD_STATS_GET, 0);
	nla_put_u64(m, CPNS_A_STATS_INSTALLS, 0);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_STATS_INSTALLS);
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_STATS_GET,
						NLM_F_DUMP)));
}

TEST_HARNESS_MAIN
