// SPDX-License-Identifier: GPL-2.0
/*
 * GKDK_SET, GKDK_DEL and GKDK_GET (do and dump) through libnl: the happy
 * paths, replacement per gateway, the per-namespace cap, and every bad
 * input with its errno and extack text.  GKDK bytes never come back.
 */
#include "nl_common.h"

#include "kselftest_harness.h"

NLC_FIXTURE(gkdk);

/* The GKDK of the good vector record (gateway VEC_GW, h = 3, slot 0). */
static uint8_t *good_gkdk(size_t *len)
{
	return nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", len);
}

static void set_gw(uint8_t *gkdk, uint64_t gw)
{
	int i;

	for (i = 0; i < 8; i++)
		gkdk[8 + i] = gw >> (56 - 8 * i);
}

TEST_F(gkdk, set_get_del)
{
	struct nlc *c = &self->c;
	struct nlc_gkdk g;
	struct nlc_stats s;
	size_t len, fl;
	uint8_t *gk = good_gkdk(&len);
	uint8_t *fp = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk_fp", &fl);

	ASSERT_NE(NULL, gk);
	ASSERT_NE(NULL, fp);
	ASSERT_EQ(0, nlc_gkdk_set(c, gk, len));
	EXPECT_EQ(0, c->nreplies);

	c->secret = gk + 20;
	c->secret_len = CPNS_KEY_LEN;
	ASSERT_EQ(0, nlc_gkdk_get(c, VEC_GW));
	ASSERT_EQ(1, c->nreplies);
	ASSERT_EQ(0, nlc_gkdk_parse(c->reply[0], &g));
	EXPECT_EQ(CPNS_CMD_GKDK_GET, g.cmd);
	EXPECT_EQ(VEC_GW, g.gateway);
	EXPECT_EQ(CPNS_SCHEME_CS, g.scheme);
	EXPECT_EQ(3, g.height);
	EXPECT_EQ(0, g.slot);
	EXPECT_EQ(7, g.set_id);
	EXPECT_EQ(CPNS_FINGERPRINT_LEN, g.fp_len);
	EXPECT_EQ(0, memcmp(fp, g.fp, CPNS_FINGERPRINT_LEN));
	EXPECT_EQ(0, g.mask & BIT64(CPNS_A_GKDK_DATA));
	EXPECT_FALSE(c->secret_seen);

	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GKDKS]);

	ASSERT_EQ(0, nlc_gkdk_del(c, VEC_GW));
	nlc_gkdk_get(c, VEC_GW);
	EXPECT_REFUSED(c, -ENOENT, "cpns: no GKDK for this gateway");
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(0, s.v[CPNS_A_STATS_GKDKS]);
	free(gk);
	free(fp);
}

TEST_F(gkdk, set_replaces_same_gateway)
{
	struct nlc *c = &self->c;
	struct nlc_gkdk g;
	struct nlc_stats s;
	size_t l0, l1;
	uint8_t *s0 = good_gkdk(&l0);
	uint8_t *s1 = nlc_vec_field(VEC_OPEN, "cs-h3-mixed/slot-1", "gkdk", &l1);

	ASSERT_NE(NULL, s0);
	ASSERT_NE(NULL, s1);
	ASSERT_EQ(0, nlc_gkdk_set(c, s0, l0));
	ASSERT_EQ(0, nlc_gkdk_set(c, s1, l1));
	ASSERT_EQ(0, nlc_gkdk_get(c, VEC_GW));
	ASSERT_EQ(0, nlc_gkdk_parse(c->reply[0], &g));
	EXPECT_EQ(1, g.slot);
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GKDKS]);
	free(s0);
	free(s1);
}

struct dump_gws {
	int n, bad;
	uint64_t seen[CPNS_GKDK_MAX + 2];
	const void *secret;
};

static int dump_cb(struct nlmsghdr *nlh, void *arg)
{
	struct dump_gws *d = arg;
	struct nlc_gkdk g;

	if (nlc_gkdk_parse(nlh, &g) || g.cmd != CPNS_CMD_GKDK_GET ||
	    !(nlh->nlmsg_flags & NLM_F_MULTI) ||
	    (g.mask & BIT64(CPNS_A_GKDK_DATA)))
		d->bad++;
	if (d->n < CPNS_GKDK_MAX + 2)
		d->seen[d->n] = g.gateway;
	d->n++;
	return 0;
}

/* 64 gateways fit, the 65th is refused; the dump lists each once. */
TEST_F(gkdk, cap_and_dump)
{
	struct nlc *c = &self->c;
	struct dump_gws d = { 0 };
	struct nlc_stats s;
	size_t len;
	uint8_t *gk = good_gkdk(&len);
	int i, j;

	ASSERT_NE(NULL, gk);
	for (i = 1; i <= CPNS_GKDK_MAX; i++) {
		set_gw(gk, 1000 + i);
		ASSERT_EQ(0, nlc_gkdk_set(c, gk, len));
	}
	set_gw(gk, 1000 + CPNS_GKDK_MAX + 1);
	nlc_gkdk_set(c, gk, len);
	EXPECT_REFUSED(c, -ENOSPC, "cpns: too many GKDKs in this namespace");
	/* Replacing one of the 64 is still fine at the cap. */
	set_gw(gk, 1001);
	EXPECT_EQ(0, nlc_gkdk_set(c, gk, len));

	c->secret = gk + 20;
	c->secret_len = CPNS_KEY_LEN;
	ASSERT_EQ(0, nlc_xfer(c, nlc_req(c, CPNS_CMD_GKDK_GET, NLM_F_DUMP),
			      dump_cb, &d));
	EXPECT_FALSE(c->secret_seen);
	EXPECT_EQ(CPNS_GKDK_MAX, d.n);
	EXPECT_EQ(0, d.bad);
	for (i = 0; i < d.n && i < CPNS_GKDK_MAX; i++) {
		for (j = 0; j < i; j++)
			EXPECT_NE(d.seen[i], d.seen[j]);
		EXPECT_GE(d.seen[i], 1001);
		EXPECT_LE(d.seen[i], 1000 + CPNS_GKDK_MAX);
	}
	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(CPNS_GKDK_MAX, s.v[CPNS_A_STATS_GKDKS]);
	free(gk);
}

TEST_F(gkdk, dump_empty)
{
	struct dump_gws d = { 0 };

	ASSERT_EQ(0, nlc_xfer(&self->c, nlc_req(&self->c, CPNS_CMD_GKDK_GET,
						NLM_F_DUMP), dump_cb, &d));
	EXPECT_EQ(0, d.n);
}

TEST_F(gkdk, set_bad_input)
{
	struct nlc *c = &self->c;
	struct nl_msg *m;
	size_t len;
	uint8_t *gk = good_gkdk(&len), big[CPNS_GKDK_MAX_LEN + 1] = { 0 };

	ASSERT_NE(NULL, gk);
	/* Missing attribute. */
	nlc_do(c, nlc_req(c, CPNS_CMD_GKDK_SET, 0));
	EXPECT_MISSING(c, CPNS_A_GKDK_DATA);
	/* Wrong length, both sides of the spec's bounds. */
	nlc_gkdk_set(c, gk, CPNS_GKDK_MIN_LEN - 1);
	EXPECT_POLICY(c, -ERANGE, MSG_BIN_RANGE, CPNS_A_GKDK_DATA);
	memcpy(big, gk, len);
	nlc_gkdk_set(c, big, sizeof(big));
	EXPECT_POLICY(c, -ERANGE, MSG_BIN_RANGE, CPNS_A_GKDK_DATA);
	/* In bounds, but not the length its height says. */
	nlc_gkdk_set(c, big, len + 1);
	EXPECT_REFUSED(c, -EBADMSG, "cpns: trailing bytes after the structure");
	EXPECT_EQ(CPNS_A_GKDK_DATA, c->bad_attr);
	nlc_gkdk_set(c, gk, len - 1);
	EXPECT_REFUSED(c, -EBADMSG, "cpns: input shorter than its header requires");
	/* Malformed encodings (all of cs-gkdk.vec runs in nl_vectors). */
	gk[0] = 2;
	nlc_gkdk_set(c, gk, len);
	EXPECT_REFUSED(c, -EPROTONOSUPPORT, "cpns: unsupported format version");
	gk[0] = 1;
	gk[16] = 0xff;		/* slot 0xff000000 in a tree of height 3 */
	nlc_gkdk_set(c, gk, len);
	EXPECT_REFUSED(c, -EBADMSG, "cpns: slot outside the tree");
	gk[16] = 0;
	/* An attribute GKDK_SET does not take. */
	m = nlc_req(c, CPNS_CMD_GKDK_SET, 0);
	nla_put(m, CPNS_A_GKDK_DATA, len, gk);
	nla_put_u32(m, CPNS_A_GKDK_SLOT, 3);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_GKDK_SLOT);
	m = nlc_req(c, CPNS_CMD_GKDK_SET, 0);
	nla_put(m, CPNS_A_GKDK_DATA, len, gk);
	nla_put_u32(m, CPNS_A_GKDK_MAX + 1, 3);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNKNOWN, CPNS_A_GKDK_MAX + 1);
	/* Not a dump operation. */
	m = nlc_req(c, CPNS_CMD_GKDK_SET, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, m));
	/* Nothing was stored by any of these. */
	nlc_gkdk_get(c, VEC_GW);
	EXPECT_EQ(-ENOENT, c->err);
	free(gk);
}

TEST_F(gkdk, del_get_bad_input)
{
	static const uint8_t zero[CPNS_GKDK_MIN_LEN];
	struct nlc *c = &self->c;
	struct nl_msg *m;
	int cmd;

	for (cmd = CPNS_CMD_GKDK_DEL; cmd <= CPNS_CMD_GKDK_GET; cmd++) {
		/* Unknown gateway. */
		m = nlc_req(c, cmd, 0);
		nla_put_u64(m, CPNS_A_GKDK_GATEWAY_ID, 42);
		nlc_do(c, m);
		EXPECT_REFUSED(c, -ENOENT, "cpns: no GKDK for this gateway");
		/* Missing attribute. */
		nlc_do(c, nlc_req(c, cmd, 0));
		EXPECT_MISSING(c, CPNS_A_GKDK_GATEWAY_ID);
		/* Wrong length: a u32 gateway id. */
		m = nlc_req(c, cmd, 0);
		nla_put_u32(m, CPNS_A_GKDK_GATEWAY_ID, 42);
		nlc_do(c, m);
		EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_GKDK_GATEWAY_ID);
		/* Key bytes are never taken here. */
		m = nlc_req(c, cmd, 0);
		nla_put_u64(m, CPNS_A_GKDK_GATEWAY_ID, 42);
		nla_put(m, CPNS_A_GKDK_DATA, sizeof(zero), zero);
		nlc_do(c, m);
		EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_GKDK_DATA);
	}
	/* GKDK_DEL is not a dump. */
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_GKDK_DEL,
						NLM_F_DUMP)));
}

TEST_HARNESS_MAIN
