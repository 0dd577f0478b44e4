// SPDX-License-Identifier: GPL-2.0
/*
 * GROUP_NEW, GROUP_DEL and GROUP_GET (do and dump) through libnl: the
 * policy defaults and bounds, selectors, and every bad input with its
 * errno and extack text.
 */
#include <arpa/inet.h>

#include "nl_common.h"

#include "kselftest_harness.h"

NLC_FIXTURE(group);

static struct nl_msg *group_req(struct nlc *c, uint8_t cmd, uint32_t id)
{
	struct nl_msg *m = nlc_req(c, cmd, 0);

	nla_put_u32(m, CPNS_A_GROUP_ID, id);
	return m;
}

struct sel {
	int family;		/* < 0: leave out */
	const void *daddr;
	int alen;		/* < 0: leave out */
	int plen;		/* < 0: leave out */
	int dport;		/* < 0: leave out */
	bool flat;		/* without NLA_F_NESTED */
};

static int group_sel(struct nlc *c, uint32_t id, const struct sel *s)
{
	struct nl_msg *m = group_req(c, CPNS_CMD_GROUP_NEW, id);
	struct nlattr *n;

	n = nla_nest_start(m, CPNS_A_GROUP_SELECTOR);
	/* libnl sets NLA_F_NESTED itself; clear it to send a bad nest. */
	if (s->flat)
		n->nla_type &= ~NLA_F_NESTED;
	else
		n->nla_type |= NLA_F_NESTED;
	if (s->family >= 0)
		nla_put_u16(m, CPNS_A_SELECTOR_FAMILY, s->family);
	if (s->alen >= 0)
		nla_put(m, CPNS_A_SELECTOR_DADDR, s->alen, s->daddr);
	if (s->plen >= 0)
		nla_put_u8(m, CPNS_A_SELECTOR_PREFIX_LEN, s->plen);
	if (s->dport >= 0)
		nla_put_u16(m, CPNS_A_SELECTOR_DPORT, htons(s->dport));
	nla_nest_end(m, n);
	return nlc_do(c, m);
}

/* The selector of a GROUP_GET reply. */
static int reply_sel(const struct nlmsghdr *nlh, struct sel *s, uint8_t *addr)
{
	struct nlattr *tb[CPNS_A_GROUP_MAX + 1], *sb[CPNS_A_SELECTOR_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (nlc_parse(nlh, tb, CPNS_A_GROUP_MAX) ||
	    !tb[CPNS_A_GROUP_SELECTOR] ||
	    nla_parse_nested(sb, CPNS_A_SELECTOR_MAX,
			     tb[CPNS_A_GROUP_SELECTOR], NULL) ||
	    !sb[CPNS_A_SELECTOR_FAMILY] || !sb[CPNS_A_SELECTOR_DADDR] ||
	    !sb[CPNS_A_SELECTOR_PREFIX_LEN] || !sb[CPNS_A_SELECTOR_DPORT])
		return -1;
	s->family = nla_get_u16(sb[CPNS_A_SELECTOR_FAMILY]);
	s->alen = nla_len(sb[CPNS_A_SELECTOR_DADDR]);
	memcpy(addr, nla_data(sb[CPNS_A_SELECTOR_DADDR]),
	       s->alen > 16 ? 16 : s->alen);
	s->plen = nla_get_u8(sb[CPNS_A_SELECTOR_PREFIX_LEN]);
	s->dport = ntohs(nla_get_u16(sb[CPNS_A_SELECTOR_DPORT]));
	return 0;
}

TEST_F(group, new_defaults_get_del)
{
	struct nlc *c = &self->c;
	struct nlc_group g;
	struct nlc_stats s;

	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	ASSERT_EQ(0, nlc_group_get(c, 7));
	ASSERT_EQ(1, c->nreplies);
	EXPECT_EQ(CPNS_CMD_GROUP_GET, nlc_cmd(c->reply[0]));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(7, g.id);
	EXPECT_EQ(30, g.grace);
	EXPECT_EQ(0, g.lifetime);
	EXPECT_EQ(64, g.window);
	EXPECT_EQ(10, g.notice);
	/* No key yet: no epochs, and no selector was given. */
	EXPECT_EQ(0, g.mask & (BIT64(CPNS_A_GROUP_CURRENT_EPOCH) |
			       BIT64(CPNS_A_GROUP_PREVIOUS_EPOCH) |
			       BIT64(CPNS_A_GROUP_SELECTOR)));
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GROUPS]);

	ASSERT_EQ(0, nlc_group_del(c, 7));
	nlc_group_get(c, 7);
	EXPECT_POLICY(c, -ENOENT, "cpns: unknown Service Group", CPNS_A_GROUP_ID);
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(0, s.v[CPNS_A_STATS_GROUPS]);
}

TEST_F(group, new_every_attribute_and_bounds)
{
	struct nlc *c = &self->c;
	struct nl_msg *m;
	struct nlc_group g;

	m = group_req(c, CPNS_CMD_GROUP_NEW, UINT32_MAX);
	nla_put_u32(m, CPNS_A_GROUP_GRACE, 604800);
	nla_put_u32(m, CPNS_A_GROUP_LIFETIME, 31536000);
	nla_put_u32(m, CPNS_A_GROUP_REPLAY_WINDOW, 4096);
	nla_put_u32(m, CPNS_A_GROUP_EXPIRY_NOTICE, 86400);
	ASSERT_EQ(0, nlc_do(c, m));
	ASSERT_EQ(0, nlc_group_get(c, UINT32_MAX));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(UINT32_MAX, g.id);
	EXPECT_EQ(604800, g.grace);
	EXPECT_EQ(31536000, g.lifetime);
	EXPECT_EQ(4096, g.window);
	EXPECT_EQ(86400, g.notice);

	m = group_req(c, CPNS_CMD_GROUP_NEW, 1);
	nla_put_u32(m, CPNS_A_GROUP_GRACE, 0);
	nla_put_u32(m, CPNS_A_GROUP_LIFETIME, 0);
	nla_put_u32(m, CPNS_A_GROUP_REPLAY_WINDOW, 0);
	nla_put_u32(m, CPNS_A_GROUP_EXPIRY_NOTICE, 0);
	ASSERT_EQ(0, nlc_do(c, m));
	ASSERT_EQ(0, nlc_group_get(c, 1));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(0, g.grace);
	EXPECT_EQ(0, g.window);
	EXPECT_EQ(0, g.notice);
}

TEST_F(group, new_bad_input)
{
	static const struct {
		int attr;
		uint32_t over;
	} limits[] = {
		{ CPNS_A_GROUP_GRACE, 604801 },
		{ CPNS_A_GROUP_LIFETIME, 31536001 },
		{ CPNS_A_GROUP_REPLAY_WINDOW, 4097 },
		{ CPNS_A_GROUP_EXPIRY_NOTICE, 86401 },
	};
	struct nlc *c = &self->c;
	struct nl_msg *m;
	unsigned int i;

	/* Missing id. */
	m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);
	nla_put_u32(m, CPNS_A_GROUP_GRACE, 5);
	nlc_do(c, m);
	EXPECT_MISSING(c, CPNS_A_GROUP_ID);
	/* Id 0 is reserved. */
	nlc_do(c, group_req(c, CPNS_CMD_GROUP_NEW, 0));
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE, CPNS_A_GROUP_ID);
	/* Wrong length. */
	m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);
	nla_put_u16(m, CPNS_A_GROUP_ID, 7);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_GROUP_ID);
	m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);
	nla_put_u64(m, CPNS_A_GROUP_ID, 7);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_GROUP_ID);
	/* Each bound, one past it. */
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		m = group_req(c, CPNS_CMD_GROUP_NEW, 7);
		nla_put_u32(m, limits[i].attr, limits[i].over);
		nlc_do(c, m);
		EXPECT_POLICY(c, -ERANGE, MSG_RANGE, limits[i].attr);
	}
	/* Reply-only attributes are not taken. */
	m = group_req(c, CPNS_CMD_GROUP_NEW, 7);
	nla_put_u64(m, CPNS_A_GROUP_CURRENT_EPOCH, 3);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_GROUP_CURRENT_EPOCH);
	/* None of those created anything. */
	nlc_group_get(c, 7);
	EXPECT_EQ(-ENOENT, c->err);
	/* Twice the same id. */
	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	nlc_group_new(c, 7, 5, -1, -1);
	EXPECT_POLICY(c, -EEXIST, "cpns: Service Group already exists",
		      CPNS_A_GROUP_ID);
}

TEST_F(group, selector)
{
	struct nlc *c = &self->c;
	uint8_t v4[4] = { 10, 1, 2, 0 }, v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t got[16];
	struct sel s;

	ASSERT_EQ(0, group_sel(c, 1, &(struct sel){ AF_INET, v4, 4, 24, 5000, false }));
	ASSERT_EQ(0, nlc_group_get(c, 1));
	ASSERT_EQ(0, reply_sel(c->reply[0], &s, got));
	EXPECT_EQ(AF_INET, s.family);
	EXPECT_EQ(4, s.alen);
	EXPECT_EQ(0, memcmp(v4, got, 4));
	EXPECT_EQ(24, s.plen);
	EXPECT_EQ(5000, s.dport);

	/* prefix-len defaults to the whole address, dport to 0 (any). */
	ASSERT_EQ(0, group_sel(c, 2, &(struct sel){ AF_INET6, v6, 16, -1, -1, false }));
	ASSERT_EQ(0, nlc_group_get(c, 2));
	ASSERT_EQ(0, reply_sel(c->reply[0], &s, got));
	EXPECT_EQ(AF_INET6, s.family);
	EXPECT_EQ(16, s.alen);
	EXPECT_EQ(0, memcmp(v6, got, 16));
	EXPECT_EQ(128, s.plen);
	EXPECT_EQ(0, s.dport);
}

TEST_F(group, selector_bad_input)
{
	struct nlc *c = &self->c;
	uint8_t a[16] = { 10 };

	group_sel(c, 3, &(struct sel){ -1, a, 4, -1, -1, false });
	EXPECT_REFUSED(c, -EINVAL, "cpns: missing attribute selector family");
	EXPECT_EQ(CPNS_A_SELECTOR_FAMILY, c->miss_type);
	EXPECT_TRUE(c->has_miss_nest);
	group_sel(c, 3, &(struct sel){ AF_INET, a, -1, -1, -1, false });
	EXPECT_REFUSED(c, -EINVAL, "cpns: missing attribute selector daddr");
	EXPECT_EQ(CPNS_A_SELECTOR_DADDR, c->miss_type);
	EXPECT_TRUE(c->has_miss_nest);

	group_sel(c, 3, &(struct sel){ AF_PACKET, a, 4, -1, -1, false });
	EXPECT_REFUSED(c, -EAFNOSUPPORT,
		       "cpns: selector family must be AF_INET or AF_INET6");
	EXPECT_EQ(0x10000 | CPNS_A_SELECTOR_FAMILY, c->bad_attr);
	group_sel(c, 3, &(struct sel){ AF_INET, a, 16, -1, -1, false });
	EXPECT_REFUSED(c, -EINVAL,
		       "cpns: selector daddr length does not match family");
	EXPECT_EQ(0x10000 | CPNS_A_SELECTOR_DADDR, c->bad_attr);
	group_sel(c, 3, &(struct sel){ AF_INET6, a, 4, -1, -1, false });
	EXPECT_REFUSED(c, -EINVAL,
		       "cpns: selector daddr length does not match family");
	group_sel(c, 3, &(struct sel){ AF_INET, a, 4, 33, -1, false });
	EXPECT_REFUSED(c, -EINVAL,
		       "cpns: selector prefix-len longer than the address");
	EXPECT_EQ(0x10000 | CPNS_A_SELECTOR_PREFIX_LEN, c->bad_attr);
	/* Policy bounds: daddr 4..16 bytes, prefix-len <= 128. */
	group_sel(c, 3, &(struct sel){ AF_INET, a, 3, -1, -1, false });
	EXPECT_POLICY(c, -ERANGE, MSG_BIN_RANGE,
		      0x10000 | CPNS_A_SELECTOR_DADDR);
	group_sel(c, 3, &(struct sel){ AF_INET6, a, 16, 129, -1, false });
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE,
		      0x10000 | CPNS_A_SELECTOR_PREFIX_LEN);
	/* A nest must say so. */
	group_sel(c, 3, &(struct sel){ AF_INET, a, 4, -1, -1, true });
	EXPECT_POLICY(c, -EINVAL, "NLA_F_NESTED is missing",
		      CPNS_A_GROUP_SELECTOR);
	nlc_group_get(c, 3);
	EXPECT_EQ(-ENOENT, c->err);
}

TEST_F(group, del_get_bad_input)
{
	struct nlc *c = &self->c;
	struct nl_msg *m;

	nlc_group_del(c, 9);
	EXPECT_POLICY(c, -ENOENT, "cpns: unknown Service Group",
		      CPNS_A_GROUP_ID);
	nlc_group_get(c, 9);
	EXPECT_POLICY(c, -ENOENT, "cpns: unknown Service Group", CPNS_A_GROUP_ID);
	nlc_do(c, nlc_req(c, CPNS_CMD_GROUP_DEL, 0));
	EXPECT_MISSING(c, CPNS_A_GROUP_ID);
	nlc_do(c, nlc_req(c, CPNS_CMD_GROUP_GET, 0));
	EXPECT_MISSING(c, CPNS_A_GROUP_ID);
	nlc_do(c, group_req(c, CPNS_CMD_GROUP_DEL, 0));
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE, CPNS_A_GROUP_ID);
	m = nlc_req(c, CPNS_CMD_GROUP_DEL, 0);
	nla_put_u8(m, CPNS_A_GROUP_ID, 9);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_GROUP_ID);
	/* GROUP_DEL takes only the id. */
	ASSERT_EQ(0, nlc_group_new(c, 9, -1, -1, -1));
	m = group_req(c, CPNS_CMD_GROUP_DEL, 9);
	nla_put_u32(m, CPNS_A_GROUP_GRACE, 1);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_GROUP_GRACE);
	EXPECT_EQ(0, nlc_group_get(c, 9));
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_GROUP_NEW,
						NLM_F_DUMP)));
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_GROUP_DEL,
						NLM_F_DUMP)));
}

/* Deleting a group retires its keys: they are gone from every view. */
TEST_F(group, del_retires_keys)
{
	struct nlc *c = &self->c;
	struct nlc_stats s;

	ASSERT_EQ(0, nlc_group_new(c, 5, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 5, 1, 1));
	ASSERT_EQ(0, nlc_key_seed(c, 5, 2, 2));
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(2, s.v[CPNS_A_STATS_KEYS]);
	ASSERT_EQ(0, nlc_group_del(c, 5));
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(0, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(2, s.v[CPNS_A_STATS_RETIRED]);
	EXPECT_EQ(0, s.v[CPNS_A_STATS_GROUPS]);
	nlc_key_get(c, 5, -1);
	EXPECT_EQ(-ENOENT, c->err);
	/* A new group of the same id starts over: epoch 1 is fine again. */
	ASSERT_EQ(0, nlc_group_new(c, 5, -1, -1, -1));
	EXPECT_EQ(0, nlc_key_seed(c, 5, 1, 3));
}

struct ids {
	int n, bad;
	uint32_t last;
};

static int ids_cb(struct nlmsghdr *nlh, void *arg)
{
	struct ids *d = arg;
	struct nlc_group g;

	if (nlc_group_parse(nlh, &g) || nlc_cmd(nlh) != CPNS_CMD_GROUP_GET ||
	    g.id <= d->last)
		d->bad++;
	d->last = g.id;
	d->n++;
	return 0;
}

TEST_F(group, dump)
{
	struct nlc *c = &self->c;
	struct ids d = { 0 };
	uint32_t id;

	ASSERT_EQ(0, nlc_xfer(c, nlc_req(c, CPNS_CMD_GROUP_GET, NLM_F_DUMP),
			      ids_cb, &d));
	EXPECT_EQ(0, d.n);
	for (id = 1; id <= 1000; id++)
		ASSERT_EQ(0, nlc_group_new(c, id * 4099, -1, -1, -1));
	ASSERT_EQ(0, nlc_xfer(c, nlc_req(c, CPNS_CMD_GROUP_GET, NLM_F_DUMP),
			      ids_cb, &d));
	EXPECT_EQ(1000, d.n);
	EXPECT_EQ(0, d.bad);	/* ascending, each once */
	EXPECT_FALSE(c->dump_intr);
}

TEST_HARNESS_MAIN
