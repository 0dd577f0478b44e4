// SPDX-License-Identifier: GPL-2.0
/*
 * KEY_INSTALL, KEY_DEL and KEY_GET (do and dump) through libnl: plain and
 * wrapped installs, the epoch rules (forward only, repeats, conflicts,
 * retired epochs), rollover to previous, and every bad input of the
 * issue: missing attribute, wrong length, unknown group, unknown gateway,
 * epoch rollback, same epoch with other key, tampered blob, truncated
 * blob, wrong GKDK, non-member, blob for another group.  Every byte of a
 * blob tampered and every truncation are in nl_vectors (against the
 * reference).  Replies never carry key bytes.
 */
#include "nl_common.h"

#include "kselftest_harness.h"

NLC_FIXTURE(key);

static struct nl_msg *key_req(struct nlc *c, uint8_t cmd, uint32_t group)
{
	struct nl_msg *m = nlc_req(c, cmd, 0);

	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, group);
	return m;
}

TEST_F(key, install_plain_and_get)
{
	struct nlc *c = &self->c;
	uint8_t key[CPNS_KEY_LEN];
	struct nlc_key k, g;
	time_t now = time(NULL);

	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	nlc_fill_key(key, 1);
	c->secret = key;
	c->secret_len = sizeof(key);
	ASSERT_EQ(0, nlc_key_plain(c, 7, 3, key, -1));
	ASSERT_EQ(1, c->nreplies);
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(CPNS_CMD_KEY_INSTALL, k.cmd);
	EXPECT_EQ(7, k.group);
	EXPECT_EQ(3, k.epoch);
	EXPECT_EQ(CPNS_KEY_STATE_CURRENT, k.state);
	EXPECT_EQ(CPNS_KEY_SOURCE_PLAIN, k.source);
	EXPECT_GE(k.installed, now - 1);
	EXPECT_LE(k.installed, now + 5);
	EXPECT_EQ(CPNS_FINGERPRINT_LEN, k.fp_len);
	/* No lifetime: no expiry; plain: no gateway; never key bytes. */
	EXPECT_EQ(0, k.mask & (BIT64(CPNS_A_KEY_EXPIRES) |
			       BIT64(CPNS_A_KEY_GATEWAY_ID) |
			       BIT64(CPNS_A_KEY_PLAIN) |
			       BIT64(CPNS_A_KEY_WRAPPED)));

	ASSERT_EQ(0, nlc_key_get(c, 7, -1));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &g));
	EXPECT_EQ(CPNS_CMD_KEY_GET, g.cmd);
	EXPECT_EQ(3, g.epoch);
	EXPECT_EQ(k.installed, g.installed);
	EXPECT_EQ(0, memcmp(k.fp, g.fp, CPNS_FINGERPRINT_LEN));
	ASSERT_EQ(0, nlc_key_get(c, 7, 3));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &g));
	EXPECT_EQ(CPNS_KEY_STATE_CURRENT, g.state);
	EXPECT_FALSE(c->secret_seen);
}

TEST_F(key, install_lifetime)
{
	struct nlc *c = &self->c;
	struct nlc_key k;
	uint8_t key[CPNS_KEY_LEN];

	ASSERT_EQ(0, nlc_group_new(c, 7, -1, 100, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 7, 1, 1));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(k.installed + 100, k.expires);
	/* The key's own lifetime overrides the group's. */
	nlc_fill_key(key, 2);
	ASSERT_EQ(0, nlc_key_plain(c, 7, 2, key, 5000));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(k.installed + 5000, k.expires);
	nlc_key_plain(c, 7, 3, key, 31536001);
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE, CPNS_A_KEY_LIFETIME);
}

TEST_F(key, epoch_rules)
{
	struct nlc *c = &self->c;
	struct nlc_stats s;
	struct nlc_group g;

	ASSERT_EQ(0, nlc_group_new(c, 8, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 8, 10, 10));
	/* Same epoch, same key: a retransmission, accepted. */
	EXPECT_EQ(0, nlc_key_seed(c, 8, 10, 10));
	/* Same epoch with another key. */
	nlc_key_seed(c, 8, 10, 11);
	EXPECT_REFUSED(c, -EEXIST,
		       "cpns: epoch already installed with another key");
	/* Rollback. */
	nlc_key_seed(c, 8, 9, 9);
	EXPECT_REFUSED(c, -ESTALE,
		       "cpns: epoch older than the group's newest (rollback)");
	nlc_key_seed(c, 8, 0, 9);
	EXPECT_REFUSED(c, -ESTALE,
		       "cpns: epoch older than the group's newest (rollback)");
	/* Forward, with gaps, up to the largest epoch. */
	EXPECT_EQ(0, nlc_key_seed(c, 8, 12, 12));
	EXPECT_EQ(0, nlc_key_seed(c, 8, UINT64_MAX, 13));
	/* A deleted epoch stays the newest: it cannot come back. */
	ASSERT_EQ(0, nlc_key_del(c, 8, UINT64_MAX));
	nlc_key_seed(c, 8, UINT64_MAX, 13);
	EXPECT_REFUSED(c, -ESTALE, "cpns: epoch already retired");
	/* The previous epoch is no longer installable either. */
	nlc_key_seed(c, 8, 12, 12);
	EXPECT_REFUSED(c, -ESTALE,
		       "cpns: epoch older than the group's newest (rollback)");

	ASSERT_EQ(0, nlc_stats(c, 8, &s));
	EXPECT_EQ(3, s.v[CPNS_A_STATS_INSTALLS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_INSTALLS_REPEATED]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_REFUSED_CONFLICT]);
	EXPECT_EQ(4, s.v[CPNS_A_STATS_REFUSED_STALE]);
	ASSERT_EQ(0, nlc_group_get(c, 8));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(0, g.mask & BIT64(CPNS_A_GROUP_CURRENT_EPOCH));
	EXPECT_EQ(12, g.prev);
}

TEST_F(key, rollover_previous_and_del)
{
	struct nlc *c = &self->c;
	struct nlc_key k;
	struct nlc_group g;

	ASSERT_EQ(0, nlc_group_new(c, 4, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 4, 1, 1));
	ASSERT_EQ(0, nlc_key_seed(c, 4, 2, 2));
	ASSERT_EQ(0, nlc_key_get(c, 4, 1));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(CPNS_KEY_STATE_PREVIOUS, k.state);
	EXPECT_EQ(1, k.epoch);
	ASSERT_EQ(0, nlc_key_get(c, 4, -1));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(2, k.epoch);
	EXPECT_EQ(CPNS_KEY_STATE_CURRENT, k.state);
	/* A third epoch supersedes the previous one. */
	ASSERT_EQ(0, nlc_key_seed(c, 4, 3, 3));
	nlc_key_get(c, 4, 1);
	EXPECT_REFUSED(c, -ENOENT, "cpns: no key with this epoch in the group");
	/* Delete previous, then current. */
	ASSERT_EQ(0, nlc_key_del(c, 4, 2));
	ASSERT_EQ(0, nlc_group_get(c, 4));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(3, g.cur);
	EXPECT_EQ(0, g.mask & BIT64(CPNS_A_GROUP_PREVIOUS_EPOCH));
	ASSERT_EQ(0, nlc_key_del(c, 4, 3));
	nlc_key_get(c, 4, -1);
	EXPECT_REFUSED(c, -ENOENT, "cpns: the group has no current key");
	nlc_key_del(c, 4, 3);
	EXPECT_REFUSED(c, -ENOENT, "cpns: no key with this epoch in the group");
}

TEST_F(key, install_bad_input)
{
	struct nlc *c = &self->c;
	uint8_t key[CPNS_KEY_LEN + 1] = { 1 };
	struct nl_msg *m;

	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	/* Missing group. */
	m = nlc_req(c, CPNS_CMD_KEY_INSTALL, 0);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	nlc_do(c, m);
	EXPECT_MISSING(c, CPNS_A_KEY_GROUP_ID);
	/* Neither plain nor wrapped; both. */
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nlc_do(c, m);
	EXPECT_REFUSED(c, -EINVAL, "cpns: give exactly one of plain and wrapped");
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	{
		uint8_t blob[CPNS_WRAPPED_MIN_LEN] = { 0 };

		nla_put(m, CPNS_A_KEY_WRAPPED, sizeof(blob), blob);
	}
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, "cpns: give exactly one of plain and wrapped",
		      CPNS_A_KEY_WRAPPED);
	/* Plain without its epoch. */
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	nlc_do(c, m);
	EXPECT_REFUSED(c, -EINVAL,
		       "cpns: missing attribute epoch (a plain key needs it)");
	EXPECT_EQ(CPNS_A_KEY_EPOCH, c->miss_type);
	/* Wrong lengths. */
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN - 1, key);
	nlc_do(c, m);
	EXPECT_POLICY(c, -ERANGE, MSG_BIN_RANGE, CPNS_A_KEY_PLAIN);
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN + 1, key);
	nlc_do(c, m);
	EXPECT_POLICY(c, -ERANGE, MSG_BIN_RANGE, CPNS_A_KEY_PLAIN);
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u32(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_KEY_EPOCH);
	m = nlc_req(c, CPNS_CMD_KEY_INSTALL, 0);
	nla_put_u16(m, CPNS_A_KEY_GROUP_ID, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_KEY_GROUP_ID);
	/* Group 0, unknown group. */
	nlc_key_plain(c, 0, 1, key, -1);
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE, CPNS_A_KEY_GROUP_ID);
	nlc_key_plain(c, 8, 1, key, -1);
	EXPECT_REFUSED(c, -ENOENT, "cpns: unknown Service Group");
	/* Reply-only attributes are refused. */
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	nla_put_u32(m, CPNS_A_KEY_STATE, CPNS_KEY_STATE_PREVIOUS);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_KEY_STATE);
	m = key_req(c, CPNS_CMD_KEY_INSTALL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	nla_put(m, CPNS_A_KEY_FINGERPRINT, CPNS_FINGERPRINT_LEN, key);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_KEY_FINGERPRINT);
	/* Nothing got in. */
	nlc_key_get(c, 7, -1);
	EXPECT_REFUSED(c, -ENOENT, "cpns: the group has no current key");
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_KEY_INSTALL,
						NLM_F_DUMP)));
}

TEST_F(key, del_get_bad_input)
{
	struct nlc *c = &self->c;
	struct nl_msg *m;

	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 7, 1, 1));
	/* KEY_DEL: missing group, missing epoch, wrong length, unknowns. */
	m = nlc_req(c, CPNS_CMD_KEY_DEL, 0);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nlc_do(c, m);
	EXPECT_MISSING(c, CPNS_A_KEY_GROUP_ID);
	nlc_do(c, key_req(c, CPNS_CMD_KEY_DEL, 7));
	EXPECT_MISSING(c, CPNS_A_KEY_EPOCH);
	m = key_req(c, CPNS_CMD_KEY_DEL, 7);
	nla_put_u32(m, CPNS_A_KEY_EPOCH, 1);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_KEY_EPOCH);
	nlc_key_del(c, 8, 1);
	EXPECT_REFUSED(c, -ENOENT, "cpns: unknown Service Group");
	nlc_key_del(c, 7, 2);
	EXPECT_REFUSED(c, -ENOENT, "cpns: no key with this epoch in the group");
	m = key_req(c, CPNS_CMD_KEY_DEL, 7);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, "0123456789abcdef0123456789abcdef");
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_UNSUPP, CPNS_A_KEY_PLAIN);
	/* KEY_GET. */
	nlc_do(c, nlc_req(c, CPNS_CMD_KEY_GET, 0));
	EXPECT_MISSING(c, CPNS_A_KEY_GROUP_ID);
	nlc_key_get(c, 8, -1);
	EXPECT_POLICY(c, -ENOENT, "cpns: unknown Service Group",
		      CPNS_A_KEY_GROUP_ID);
	nlc_key_get(c, 7, 2);
	EXPECT_REFUSED(c, -ENOENT, "cpns: no key with this epoch in the group");
	nlc_key_get(c, 0, -1);
	EXPECT_POLICY(c, -ERANGE, MSG_RANGE, CPNS_A_KEY_GROUP_ID);
	m = key_req(c, CPNS_CMD_KEY_GET, 7);
	nla_put_u8(m, CPNS_A_KEY_EPOCH, 1);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, MSG_ATTR_LEN, CPNS_A_KEY_EPOCH);
	/* The key is still there after all of that. */
	EXPECT_EQ(0, nlc_key_get(c, 7, 1));
	EXPECT_EQ(-EOPNOTSUPP, nlc_do(c, nlc_req(c, CPNS_CMD_KEY_DEL,
						NLM_F_DUMP)));
}

struct keys_dump {
	int n, bad, cur, prev;
	uint32_t groups[16];
	const void *secret;
};

static int keys_cb(struct nlmsghdr *nlh, void *arg)
{
	struct keys_dump *d = arg;
	struct nlc_key k;

	if (nlc_key_parse(nlh, &k) || k.cmd != CPNS_CMD_KEY_GET ||
	    k.fp_len != CPNS_FINGERPRINT_LEN ||
	    (k.mask & (BIT64(CPNS_A_KEY_PLAIN) | BIT64(CPNS_A_KEY_WRAPPED))))
		d->bad++;
	if (k.state == CPNS_KEY_STATE_CURRENT)
		d->cur++;
	else if (k.state == CPNS_KEY_STATE_PREVIOUS)
		d->prev++;
	else
		d->bad++;
	if (d->n < 16)
		d->groups[d->n] = k.group;
	d->n++;
	return 0;
}

TEST_F(key, dump_all_and_one_group)
{
	struct nlc *c = &self->c;
	struct keys_dump d = { 0 };
	struct nl_msg *m;
	uint32_t g;

	for (g = 1; g <= 5; g++) {
		ASSERT_EQ(0, nlc_group_new(c, g, -1, -1, -1));
		ASSERT_EQ(0, nlc_key_seed(c, g, 1, g));
		if (g % 2)
			ASSERT_EQ(0, nlc_key_seed(c, g, 2, g + 100));
	}
	ASSERT_EQ(0, nlc_group_new(c, 6, -1, -1, -1));	/* no keys */
	ASSERT_EQ(0, nlc_xfer(c, nlc_req(c, CPNS_CMD_KEY_GET, NLM_F_DUMP),
			      keys_cb, &d));
	EXPECT_EQ(8, d.n);
	EXPECT_EQ(5, d.cur);
	EXPECT_EQ(3, d.prev);
	EXPECT_EQ(0, d.bad);

	memset(&d, 0, sizeof(d));
	m = nlc_req(c, CPNS_CMD_KEY_GET, NLM_F_DUMP);
	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, 3);
	ASSERT_EQ(0, nlc_xfer(c, m, keys_cb, &d));
	EXPECT_EQ(2, d.n);
	EXPECT_EQ(3, d.groups[0]);
	EXPECT_EQ(3, d.groups[1]);

	memset(&d, 0, sizeof(d));
	m = nlc_req(c, CPNS_CMD_KEY_GET, NLM_F_DUMP);
	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, 6);
	ASSERT_EQ(0, nlc_xfer(c, m, keys_cb, &d));
	EXPECT_EQ(0, d.n);
	memset(&d, 0, sizeof(d));
	m = nlc_req(c, CPNS_CMD_KEY_GET, NLM_F_DUMP);
	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, 99);
	ASSERT_EQ(0, nlc_xfer(c, m, keys_cb, &d));
	EXPECT_EQ(0, d.n);
}

/* Wrapped installs, with the vectors' GKDKs and blobs (2026-01). */

struct wrapped {
	uint8_t *gkdk, *blob, *fp;
	size_t gl, bl, fl;
};

static int load(struct wrapped *w, const char *name)
{
	w->gkdk = nlc_vec_field(VEC_OPEN, name, "gkdk", &w->gl);
	w->blob = nlc_vec_field(VEC_OPEN, name, "blob", &w->bl);
	w->fp = nlc_vec_field(VEC_OPEN, name, "gk_fp", &w->fl);
	return w->gkdk && w->blob ? 0 : -1;
}

static void unload(struct wrapped *w)
{
	free(w->gkdk);
	free(w->blob);
	free(w->fp);
}

TEST_F(key, install_wrapped)
{
	struct nlc *c = &self->c;
	struct wrapped w;
	struct nlc_key k;
	struct nl_msg *m;

	ASSERT_EQ(0, load(&w, VEC_GOOD));
	ASSERT_EQ(0, nlc_set_clock(VEC_TIME));
	ASSERT_EQ(0, nlc_gkdk_set(c, w.gkdk, w.gl));
	ASSERT_EQ(0, nlc_group_new(c, VEC_GROUP, -1, -1, -1));
	/* An epoch attribute must match the blob's. */
	m = key_req(c, CPNS_CMD_KEY_INSTALL, VEC_GROUP);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, VEC_EPOCH + 1);
	nla_put(m, CPNS_A_KEY_WRAPPED, w.bl, w.blob);
	nlc_do(c, m);
	EXPECT_POLICY(c, -EINVAL, "cpns: epoch differs from the encrypted Group Key's",
		      CPNS_A_KEY_EPOCH);
	m = key_req(c, CPNS_CMD_KEY_INSTALL, VEC_GROUP);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, VEC_EPOCH);
	nla_put(m, CPNS_A_KEY_WRAPPED, w.bl, w.blob);
	ASSERT_EQ(0, nlc_do(c, m));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(VEC_EPOCH, k.epoch);
	EXPECT_EQ(CPNS_KEY_SOURCE_WRAPPED, k.source);
	EXPECT_EQ(VEC_GW, k.gateway);
	EXPECT_EQ(1767312000, k.expires);	/* the blob's valid_until */
	EXPECT_EQ(0, memcmp(w.fp, k.fp, CPNS_FINGERPRINT_LEN));
	/* The same blob again: a retransmission. */
	EXPECT_EQ(0, nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl));
	EXPECT_EQ(0, nlc_key_get(c, VEC_GROUP, VEC_EPOCH));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(VEC_GW, k.gateway);
	EXPECT_EQ(0, memcmp(w.fp, k.fp, CPNS_FINGERPRINT_LEN));
	/* A group lifetime shorter than the blob's validity wins. */
	ASSERT_EQ(0, nlc_group_del(c, VEC_GROUP));
	ASSERT_EQ(0, nlc_group_new(c, VEC_GROUP, -1, 60, -1));
	ASSERT_EQ(0, nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl));
	ASSERT_EQ(0, nlc_key_parse(c->reply[0], &k));
	EXPECT_EQ(k.installed + 60, k.expires);
	unload(&w);
}

/* The blob-related refusals of the issue, by name. */
TEST_F(key, install_wrapped_bad_input)
{
	struct nlc *c = &self->c;
	struct wrapped w, o;
	uint8_t plain[CPNS_KEY_LEN];
	size_t l;
	uint8_t *other;

	ASSERT_EQ(0, load(&w, VEC_GOOD));
	ASSERT_EQ(0, nlc_set_clock(VEC_TIME));
	ASSERT_EQ(0, nlc_group_new(c, VEC_GROUP, -1, -1, -1));
	ASSERT_EQ(0, nlc_group_new(c, 67, -1, -1, -1));

	/* Unknown gateway: no GKDK stored for the blob's gateway. */
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_POLICY(c, -ENOKEY, "cpns: no GKDK for the blob's gateway",
		      CPNS_A_KEY_WRAPPED);

	/* Wrong GKDK: same gateway, another master secret. */
	other = nlc_vec_field(VEC_OPEN, "gkdk/other-master", "gkdk", &l);
	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, nlc_gkdk_set(c, other, l));
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_POLICY(c, -EBADMSG,
		      "cpns: GKEK unwrap failed: corrupt blob or wrong GKDK",
		      CPNS_A_KEY_WRAPPED);
	free(other);

	/* Non-member: the GKDK of a revoked slot. */
	ASSERT_EQ(0, load(&o, "cs-h3-mixed/slot-4"));
	ASSERT_EQ(0, nlc_gkdk_set(c, o.gkdk, o.gl));
	nlc_key_wrapped(c, VEC_GROUP, o.blob, o.bl);
	EXPECT_POLICY(c, -ENOKEY,
		      "cpns: slot not covered: not a member of the Service Group",
		      CPNS_A_KEY_WRAPPED);
	unload(&o);

	ASSERT_EQ(0, nlc_gkdk_set(c, w.gkdk, w.gl));
	/* A blob for another group. */
	nlc_key_wrapped(c, 67, w.blob, w.bl);
	EXPECT_POLICY(c, -EINVAL, "cpns: blob is for another Service Group",
		      CPNS_A_KEY_WRAPPED);
	/* Tampered: one bit of the seal's tag. */
	w.blob[w.bl - 1] ^= 0x80;
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_POLICY(c, -EBADMSG, "cpns: Group Key open failed: corrupt blob",
		      CPNS_A_KEY_WRAPPED);
	w.blob[w.bl - 1] ^= 0x80;
	/* Truncated: in the policy's bounds, short of its cover count. */
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl - 1);
	EXPECT_POLICY(c, -EBADMSG, "cpns: input shorter than its header requires",
		      CPNS_A_KEY_WRAPPED);
	/* Wrong length: shorter than any blob (the spec's wrapped-min-len). */
	nlc_key_wrapped(c, VEC_GROUP, w.blob, CPNS_WRAPPED_MIN_LEN - 1);
	EXPECT_POLICY(c, -ERANGE, MSG_BIN_RANGE, CPNS_A_KEY_WRAPPED);
	/* Outside its validity window. */
	ASSERT_EQ(0, nlc_set_clock(1767312000));
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_POLICY(c, -EKEYEXPIRED, "cpns: Group Key expired", CPNS_A_KEY_WRAPPED);
	ASSERT_EQ(0, nlc_set_clock(1767225599));
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_POLICY(c, -EKEYREJECTED, "cpns: Group Key not valid yet",
		      CPNS_A_KEY_WRAPPED);
	ASSERT_EQ(0, nlc_set_clock(VEC_TIME));
	/* A good blob for a group that does not exist here. */
	ASSERT_EQ(0, nlc_group_del(c, VEC_GROUP));
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_REFUSED(c, -ENOENT, "cpns: unknown Service Group");
	/* Epoch rollback and same epoch with another key, wrapped. */
	ASSERT_EQ(0, nlc_group_new(c, VEC_GROUP, -1, -1, -1));
	nlc_fill_key(plain, 6);
	ASSERT_EQ(0, nlc_key_plain(c, VEC_GROUP, VEC_EPOCH + 1, plain, -1));
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	/* A wrapped replay is refused before decryption, as the reference. */
	EXPECT_REFUSED(c, -ESTALE,
		       "cpns: epoch older than the current one (replay)");
	ASSERT_EQ(0, nlc_group_del(c, VEC_GROUP));
	ASSERT_EQ(0, nlc_group_new(c, VEC_GROUP, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_plain(c, VEC_GROUP, VEC_EPOCH, plain, -1));
	nlc_key_wrapped(c, VEC_GROUP, w.blob, w.bl);
	EXPECT_REFUSED(c, -EEXIST,
		       "cpns: epoch already installed with another key");
	unload(&w);
}

TEST_HARNESS_MAIN
