// SPDX-License-Identifier: GPL-2.0
/*
 * The CPNS message codec: every message type round-trips; every refusal
 * of Documentation/protocol.rst ("Refusals") is reached with its code and
 * the attribute it names, by the decoder and, for what a struct can
 * express, by the encoder; a message cut at any length is "truncated".
 */
#include <string.h>

#include "kselftest_harness.h"

#include "gkdk.h"
#include "msg.h"

static const uint8_t key32[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static uint8_t gkdk[CPNS_GKDK_HDR_LEN + 3 * 32] = { 1, 1, 2 };
static const char pne_id[] = "pne-1.lab:a_B";
/* "pne-a1", "pne-a2", "pne-b" as a members value. */
static const uint8_t members3[] = "\x06pne-a1\x06pne-a2\x05pne-b";

/* A valid message of @type with every attribute it allows. */
static void sample(struct cpns_msg *m, unsigned int type)
{
	cpns_msg_init(m, type);
	switch (type) {
	case CPNS_MSG_GKDK_REQ:
		m->pne_id = (const uint8_t *)pne_id;
		m->pne_id_len = strlen(pne_id);
		cpns_msg_set(m, CPNS_MA_PNE_ID);
		break;
	case CPNS_MSG_GKDK_RESP:
		m->gateway_id = 0x1122334455667788ull;
		m->gkdk = gkdk;
		m->gkdk_len = sizeof(gkdk);
		m->sign_key = key32;
		cpns_msg_set(m, CPNS_MA_GATEWAY_ID);
		cpns_msg_set(m, CPNS_MA_GKDK);
		cpns_msg_set(m, CPNS_MA_SIGN_KEY);
		break;
	case CPNS_MSG_GK_NOTIFY:
		m->group = 66;
		m->epoch = 5;
		m->group_key = key32;
		m->valid_from = 1767225600;
		m->valid_until = 1767225600 + 86400;
		m->members = members3;
		m->members_len = sizeof(members3) - 1;
		cpns_msg_set(m, CPNS_MA_GROUP);
		cpns_msg_set(m, CPNS_MA_EPOCH);
		cpns_msg_set(m, CPNS_MA_GROUP_KEY);
		cpns_msg_set(m, CPNS_MA_VALID_FROM);
		cpns_msg_set(m, CPNS_MA_VALID_UNTIL);
		cpns_msg_set(m, CPNS_MA_MEMBERS);
		break;
	case CPNS_MSG_GK_RESP:
		m->pne_id = (const uint8_t *)pne_id;
		m->pne_id_len = strlen(pne_id);
		m->group = 66;
		m->epoch = 5;
		m->status = CPNS_ST_STALE;
		cpns_msg_set(m, CPNS_MA_PNE_ID);
		cpns_msg_set(m, CPNS_MA_GROUP);
		cpns_msg_set(m, CPNS_MA_EPOCH);
		cpns_msg_set(m, CPNS_MA_STATUS);
		break;
	case CPNS_MSG_GK_BCAST:
		m->gateway_id = 7;
		m->signed_blob = gkdk;
		m->signed_blob_len = sizeof(gkdk);
		cpns_msg_set(m, CPNS_MA_GATEWAY_ID);
		cpns_msg_set(m, CPNS_MA_SIGNED_BLOB);
		break;
	case CPNS_MSG_ERROR:
		m->code = CPNS_ST_REVOKED;
		m->text = "revoked: pne-1";
		m->text_len = strlen(m->text);
		cpns_msg_set(m, CPNS_MA_CODE);
		cpns_msg_set(m, CPNS_MA_TEXT);
		break;
	case CPNS_MSG_GKDK_RENEW:
		m->set_id = 8;
		cpns_msg_set(m, CPNS_MA_SET_ID);
		break;
	case CPNS_MSG_GK_EXCLUDE:
	case CPNS_MSG_GK_PULL:
		m->group = 66;
		m->epoch = 6;
		cpns_msg_set(m, CPNS_MA_GROUP);
		cpns_msg_set(m, CPNS_MA_EPOCH);
		break;
	}
}

/* Raw messages for what the encoder cannot be made to write. */
struct raw {
	uint8_t b[2048];
	size_t n;
};

static void raw_hdr(struct raw *r, unsigned int type)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = CPNS_MSG_VERSION;
	r->b[1] = type;
	r->n = CPNS_MSG_HDR_LEN;
}

/* Appends an attribute and fixes the header's body length. */
static void raw_attr(struct raw *r, unsigned int type, size_t len,
		     const void *val)
{
	size_t body;

	r->b[r->n] = type >> 8;
	r->b[r->n + 1] = type;
	r->b[r->n + 2] = len >> 8;
	r->b[r->n + 3] = len;
	if (val)
		memcpy(r->b + r->n + 4, val, len);
	else
		memset(r->b + r->n + 4, 0, len);
	r->n += 4 + len;
	body = r->n - CPNS_MSG_HDR_LEN;
	r->b[4] = body >> 24;
	r->b[5] = body >> 16;
	r->b[6] = body >> 8;
	r->b[7] = body;
}

static void raw_be(struct raw *r, unsigned int type, size_t len, uint64_t v)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = v >> (8 * (len - 1 - i));
	raw_attr(r, type, len, b);
}

static void raw_msg(struct raw *r, unsigned int type)
{
	struct cpns_msg m;

	sample(&m, type);
	memset(r, 0, sizeof(*r));
	if (cpns_msg_encode(&m, r->b, sizeof(r->b), &r->n))
		abort();
}

/* What a loop is at, for the messages of REFUSED(). */
static char ctx[128];

/* Decodes @r: its result and attribute must be @err and @attr. */
#define REFUSED(r, body_max, err, attr) do {				\
	static const struct cpns_msg _zero;				\
	struct cpns_msg _m;						\
	unsigned int _a = 12345;					\
	int _e = cpns_msg_decode(&_m, (r)->b, (r)->n, body_max, &_a);	\
	EXPECT_STREQ(cpns_merr_name(err), cpns_merr_name(_e))		\
		TH_LOG("%s", ctx);					\
	EXPECT_STREQ(cpns_msg_attr_name(attr), cpns_msg_attr_name(_a))	\
		TH_LOG("%s", ctx);					\
	if (err)							\
		EXPECT_EQ(0, memcmp(&_zero, &_m, sizeof(_m)));		\
} while (0)

#define MAX	CPNS_MSG_BODY_MAX

static const uint8_t zero8[8];

TEST(round_trip_every_type)
{
	unsigned int t;

	for (t = 1; t < __CPNS_MSG_MAX; t++) {
		uint8_t buf[CPNS_MSG_MAX], again[CPNS_MSG_MAX];
		struct cpns_msg m, d;
		size_t len, len2;
		unsigned int a;

		sample(&m, t);
		ASSERT_EQ(0, cpns_msg_encode(&m, buf, sizeof(buf), &len))
			TH_LOG("%s", cpns_msg_type_name(t));
		ASSERT_EQ(CPNS_ME_OK, cpns_msg_decode(&d, buf, len, MAX, &a));
		EXPECT_EQ(0, a);
		EXPECT_EQ(t, d.type);
		EXPECT_EQ(m.present, d.present);
		EXPECT_EQ(m.gateway_id, d.gateway_id);
		EXPECT_EQ(m.group, d.group);
		EXPECT_EQ(m.epoch, d.epoch);
		EXPECT_EQ(m.valid_from, d.valid_from);
		EXPECT_EQ(m.valid_until, d.valid_until);
		EXPECT_EQ(m.status, d.status);
		EXPECT_EQ(m.set_id, d.set_id);
		EXPECT_EQ(m.code, d.code);
		EXPECT_EQ(m.pne_id_len, d.pne_id_len);
		EXPECT_EQ(m.gkdk_len, d.gkdk_len);
		EXPECT_EQ(m.signed_blob_len, d.signed_blob_len);
		EXPECT_EQ(m.text_len, d.text_len);
		EXPECT_EQ(m.members_len, d.members_len);
		if (m.members_len)
			EXPECT_EQ(0, memcmp(m.members, d.members,
					    m.members_len));
		if (m.pne_id_len)
			EXPECT_EQ(0, memcmp(m.pne_id, d.pne_id, m.pne_id_len));
		if (m.gkdk_len)
			EXPECT_EQ(0, memcmp(m.gkdk, d.gkdk, m.gkdk_len));
		if (m.sign_key)
			EXPECT_EQ(0, memcmp(m.sign_key, d.sign_key, 32));
		if (m.group_key)
			EXPECT_EQ(0, memcmp(m.group_key, d.group_key, 32));
		if (m.text_len)
			EXPECT_EQ(0, memcmp(m.text, d.text, m.text_len));
		/* Byte strings point into the buffer decoded. */
		if (d.pne_id)
			EXPECT_TRUE(d.pne_id > buf && d.pne_id < buf + len);
		/* One encoding per message. */
		ASSERT_EQ(0, cpns_msg_encode(&d, again, sizeof(again), &len2));
		ASSERT_EQ(len, len2);
		EXPECT_EQ(0, memcmp(buf, again, len));
	}
}

TEST(keepalive_is_its_header)
{
	static const uint8_t want[] = { 1, CPNS_MSG_KEEPALIVE, 0, 0, 0, 0, 0, 0 };
	uint8_t buf[16];
	struct cpns_msg m;
	size_t len;

	cpns_msg_init(&m, CPNS_MSG_KEEPALIVE);
	ASSERT_EQ(0, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	ASSERT_EQ(sizeof(want), len);
	EXPECT_EQ(0, memcmp(want, buf, len));
}

TEST(truncated_at_every_length)
{
	unsigned int t;

	for (t = 1; t < __CPNS_MSG_MAX; t++) {
		struct raw r;
		size_t full, k;

		raw_msg(&r, t);
		full = r.n;
		for (k = 0; k < full; k++) {
			snprintf(ctx, sizeof(ctx), "%s cut to %zu",
				 cpns_msg_type_name(t), k);
			r.n = k;
			REFUSED(&r, MAX, CPNS_ME_TRUNCATED, 0);
		}
		r.n = full + 1;
		REFUSED(&r, MAX, CPNS_ME_TRAILING, 0);
	}
}

TEST(frame)
{
	struct raw r;
	size_t k, ml;

	raw_msg(&r, CPNS_MSG_GKDK_REQ);
	for (k = 0; k < CPNS_MSG_HDR_LEN; k++) {
		ml = 99;
		EXPECT_EQ(CPNS_ME_TRUNCATED, cpns_msg_frame(r.b, k, MAX, &ml));
		EXPECT_EQ(0, ml);
	}
	/* The header alone tells the length. */
	EXPECT_EQ(0, cpns_msg_frame(r.b, CPNS_MSG_HDR_LEN, MAX, &ml));
	EXPECT_EQ(r.n, ml);
	EXPECT_EQ(0, cpns_msg_frame(r.b, r.n + 100, MAX, &ml));
	EXPECT_EQ(r.n, ml);
	r.b[0] = 2;
	EXPECT_EQ(CPNS_ME_VERSION, cpns_msg_frame(r.b, 8, MAX, &ml));
	EXPECT_EQ(0, ml);
	r.b[0] = 1;
	r.b[4] = 0x10;
	EXPECT_EQ(CPNS_ME_TOO_BIG, cpns_msg_frame(r.b, 8, MAX, &ml));
}

TEST(header_refusals)
{
	struct raw r;

	raw_msg(&r, CPNS_MSG_KEEPALIVE);
	r.b[0] = 0;
	REFUSED(&r, MAX, CPNS_ME_VERSION, 0);
	r.b[0] = 2;
	REFUSED(&r, MAX, CPNS_ME_VERSION, 0);
	r.b[0] = 1;
	r.b[1] = CPNS_MSG_UNSPEC;
	REFUSED(&r, MAX, CPNS_ME_TYPE, 0);
	r.b[1] = __CPNS_MSG_MAX;
	REFUSED(&r, MAX, CPNS_ME_TYPE, 0);
	r.b[1] = 0xff;
	REFUSED(&r, MAX, CPNS_ME_TYPE, 0);
	r.b[1] = CPNS_MSG_KEEPALIVE;
	r.b[2] = 0x80;
	REFUSED(&r, MAX, CPNS_ME_FLAGS, 0);
	r.b[2] = 0;
	r.b[3] = 1;
	REFUSED(&r, MAX, CPNS_ME_FLAGS, 0);
	r.b[3] = 0;
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	/* The limit is the caller's: the body, not the whole message. */
	raw_hdr(&r, CPNS_MSG_GK_BCAST);
	raw_be(&r, CPNS_MA_GATEWAY_ID, 8, 1);
	raw_attr(&r, CPNS_MA_SIGNED_BLOB, 100, NULL);
	REFUSED(&r, 12 + 104, CPNS_ME_OK, 0);
	REFUSED(&r, 12 + 103, CPNS_ME_TOO_BIG, 0);
	/* ... checked before waiting for a body that may never come. */
	r.b[4] = 0xff;
	REFUSED(&r, MAX, CPNS_ME_TOO_BIG, 0);
}

TEST(attr_truncated)
{
	struct raw r;

	raw_msg(&r, CPNS_MSG_GKDK_REQ);
	/* Three bytes of an attribute header at the end of the body. */
	r.b[7] += 3;
	r.n += 3;
	REFUSED(&r, MAX, CPNS_ME_ATTR_TRUNCATED, 0);
	r.b[7] -= 2;
	r.n -= 2;
	r.b[r.n - 1] = 0xff;
	REFUSED(&r, MAX, CPNS_ME_ATTR_TRUNCATED, 0);
	/* A value running past the body. */
	raw_hdr(&r, CPNS_MSG_GKDK_REQ);
	raw_attr(&r, CPNS_MA_PNE_ID, 4, "pne1");
	r.b[11] = 5;
	REFUSED(&r, MAX, CPNS_ME_ATTR_TRUNCATED, CPNS_MA_PNE_ID);
	r.b[10] = 0xff;
	REFUSED(&r, MAX, CPNS_ME_ATTR_TRUNCATED, CPNS_MA_PNE_ID);
}

/* Insert attribute @a, @len bytes of @val (zeros if NULL), at its place. */
static void put_attr(struct raw *r, unsigned int a, size_t len,
		     const void *val)
{
	size_t off = CPNS_MSG_HDR_LEN;
	bool done = false;
	struct raw out;

	raw_hdr(&out, r->b[1]);
	while (off < r->n) {
		unsigned int t = r->b[off] << 8 | r->b[off + 1];
		size_t l = r->b[off + 2] << 8 | r->b[off + 3];

		if (t > a && !done) {
			raw_attr(&out, a, len, val);
			done = true;
		}
		raw_attr(&out, t, l, r->b + off + 4);
		off += 4 + l;
	}
	if (!done)
		raw_attr(&out, a, len, val);
	*r = out;
}

static void drop_attr(struct raw *r, unsigned int a)
{
	struct raw out;
	size_t off = CPNS_MSG_HDR_LEN;

	raw_hdr(&out, r->b[1]);
	while (off < r->n) {
		unsigned int t = r->b[off] << 8 | r->b[off + 1];
		size_t l = r->b[off + 2] << 8 | r->b[off + 3];

		if (t != a)
			raw_attr(&out, t, l, r->b + off + 4);
		off += 4 + l;
	}
	*r = out;
}

/* The message table of protocol.rst, as bits. */
static const uint32_t allowed[__CPNS_MSG_MAX] = {
	[CPNS_MSG_GKDK_REQ] = 1 << CPNS_MA_PNE_ID,
	[CPNS_MSG_GKDK_RESP] = 1 << CPNS_MA_GATEWAY_ID | 1 << CPNS_MA_GKDK |
			       1 << CPNS_MA_SIGN_KEY,
	[CPNS_MSG_GK_NOTIFY] = 1 << CPNS_MA_GROUP | 1 << CPNS_MA_EPOCH |
			       1 << CPNS_MA_GROUP_KEY |
			       1 << CPNS_MA_VALID_FROM |
			       1 << CPNS_MA_VALID_UNTIL |
			       1 << CPNS_MA_MEMBERS,
	[CPNS_MSG_GK_RESP] = 1 << CPNS_MA_PNE_ID | 1 << CPNS_MA_GROUP |
			     1 << CPNS_MA_EPOCH | 1 << CPNS_MA_STATUS,
	[CPNS_MSG_GK_BCAST] = 1 << CPNS_MA_GATEWAY_ID |
			      1 << CPNS_MA_SIGNED_BLOB,
	[CPNS_MSG_ERROR] = 1 << CPNS_MA_CODE | 1 << CPNS_MA_TEXT,
	[CPNS_MSG_GKDK_RENEW] = 1 << CPNS_MA_SET_ID,
	[CPNS_MSG_GK_EXCLUDE] = 1 << CPNS_MA_GROUP | 1 << CPNS_MA_EPOCH,
	[CPNS_MSG_GK_PULL] = 1 << CPNS_MA_GROUP | 1 << CPNS_MA_EPOCH,
};

static const uint32_t optional[__CPNS_MSG_MAX] = {
	[CPNS_MSG_GK_RESP] = 1 << CPNS_MA_PNE_ID,
	[CPNS_MSG_ERROR] = 1 << CPNS_MA_TEXT,
	[CPNS_MSG_GK_PULL] = 1 << CPNS_MA_EPOCH,
};

TEST(attr_unknown_in_every_type)
{
	unsigned int t, a, n = 0;

	for (t = 1; t < __CPNS_MSG_MAX; t++) {
		/* 0, every defined type, the next, the largest. */
		for (a = 0; a <= __CPNS_MA_MAX + 1; a++) {
			unsigned int at = a > __CPNS_MA_MAX ? 0xffff : a;
			struct raw r;

			if (at < 32 && (allowed[t] & 1u << at))
				continue;
			snprintf(ctx, sizeof(ctx), "%s attr %u",
				 cpns_msg_type_name(t), at);
			raw_msg(&r, t);
			put_attr(&r, at, 8, NULL);
			REFUSED(&r, MAX, CPNS_ME_ATTR_UNKNOWN, at);
			n++;
		}
	}
	/* 10 types x 19 numbers, less the 23 the message table allows. */
	EXPECT_EQ(10 * 19 - 23, n);
}

TEST(attr_missing_in_every_type)
{
	unsigned int t, a, n = 0;

	for (t = 1; t < __CPNS_MSG_MAX; t++) {
		for (a = 1; a < __CPNS_MA_MAX; a++) {
			struct raw r;
			struct cpns_msg m;

			if (!(allowed[t] & 1u << a))
				continue;
			snprintf(ctx, sizeof(ctx), "%s without %s",
				 cpns_msg_type_name(t), cpns_msg_attr_name(a));
			raw_msg(&r, t);
			drop_attr(&r, a);
			if (optional[t] & 1u << a) {
				REFUSED(&r, MAX, CPNS_ME_OK, 0);
				continue;
			}
			REFUSED(&r, MAX, CPNS_ME_ATTR_MISSING, a);
			/* The encoder refuses the same message. */
			sample(&m, t);
			m.present &= ~(1u << a);
			EXPECT_EQ(CPNS_ME_ATTR_MISSING,
				  cpns_msg_encode(&m, r.b, sizeof(r.b), &r.n));
			n++;
		}
	}
	EXPECT_EQ(20, n);
}

TEST(attr_order)
{
	struct raw r;

	raw_hdr(&r, CPNS_MSG_GKDK_REQ);
	raw_attr(&r, CPNS_MA_PNE_ID, 1, "a");
	raw_attr(&r, CPNS_MA_PNE_ID, 1, "b");
	REFUSED(&r, MAX, CPNS_ME_ATTR_ORDER, CPNS_MA_PNE_ID);
	raw_hdr(&r, CPNS_MSG_GK_RESP);
	raw_be(&r, CPNS_MA_GROUP, 4, 66);
	raw_be(&r, CPNS_MA_STATUS, 2, 0);
	raw_be(&r, CPNS_MA_EPOCH, 8, 5);
	REFUSED(&r, MAX, CPNS_ME_ATTR_ORDER, CPNS_MA_EPOCH);
}

/* A valid message of @type with attribute @a replaced by @len bytes. */
static void with(struct raw *r, unsigned int type, unsigned int a,
		 size_t len, const void *val)
{
	raw_msg(r, type);
	drop_attr(r, a);
	put_attr(r, a, len, val);
}

static const uint8_t big[800];

TEST(attr_len)
{
	static const struct {
		unsigned int type, attr;
		size_t len;
	} bad[] = {
		{ CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 0 },
		{ CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 65 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GATEWAY_ID, 4 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GATEWAY_ID, 9 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 0 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 52 },	/* one key */
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 83 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 85 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 115 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 691 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 724 },	/* 22 keys */
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_SIGN_KEY, 31 },
		{ CPNS_MSG_GKDK_RESP, CPNS_MA_SIGN_KEY, 33 },
		{ CPNS_MSG_GK_NOTIFY, CPNS_MA_GROUP, 8 },
		{ CPNS_MSG_GK_NOTIFY, CPNS_MA_EPOCH, 4 },
		{ CPNS_MSG_GK_NOTIFY, CPNS_MA_GROUP_KEY, 16 },
		{ CPNS_MSG_GK_NOTIFY, CPNS_MA_GROUP_KEY, 64 },
		{ CPNS_MSG_GK_NOTIFY, CPNS_MA_VALID_FROM, 0 },
		{ CPNS_MSG_GK_NOTIFY, CPNS_MA_VALID_UNTIL, 4 },
		{ CPNS_MSG_GK_RESP, CPNS_MA_STATUS, 1 },
		{ CPNS_MSG_GK_RESP, CPNS_MA_STATUS, 4 },
		{ CPNS_MSG_GK_BCAST, CPNS_MA_SIGNED_BLOB, 0 },
		{ CPNS_MSG_ERROR, CPNS_MA_CODE, 0 },
		{ CPNS_MSG_ERROR, CPNS_MA_TEXT, 257 },
		{ CPNS_MSG_GKDK_RENEW, CPNS_MA_SET_ID, 2 },
		{ CPNS_MSG_GK_EXCLUDE, CPNS_MA_GROUP, 8 },
		{ CPNS_MSG_GK_EXCLUDE, CPNS_MA_EPOCH, 4 },
		{ CPNS_MSG_GK_PULL, CPNS_MA_GROUP, 2 },
		{ CPNS_MSG_GK_PULL, CPNS_MA_EPOCH, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct raw r;

		snprintf(ctx, sizeof(ctx), "%s %s len %zu",
			 cpns_msg_type_name(bad[i].type),
			 cpns_msg_attr_name(bad[i].attr), bad[i].len);
		with(&r, bad[i].type, bad[i].attr, bad[i].len, big);
		REFUSED(&r, MAX, CPNS_ME_ATTR_LEN, bad[i].attr);
	}
}

TEST(attr_len_bounds_accepted)
{
	uint8_t chars[256];
	struct raw r;

	memset(chars, 'x', sizeof(chars));
	with(&r, CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 1, chars);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 64, chars);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 84, big);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_GKDK_RESP, CPNS_MA_GKDK, 692, big);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_TEXT, 0, NULL);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_TEXT, 256, chars);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_GK_BCAST, CPNS_MA_SIGNED_BLOB, 1, big);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
}

TEST(attr_value)
{
	static const uint8_t st[2] = { 0, __CPNS_ST_MAX };
	struct raw r;

	with(&r, CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 5, "pne 1");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_PNE_ID);
	with(&r, CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 5, "pne/1");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_PNE_ID);
	with(&r, CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 5, "pn\xc3\xa9");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_PNE_ID);
	with(&r, CPNS_MSG_GKDK_REQ, CPNS_MA_PNE_ID, 2, "a\0");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_PNE_ID);
	with(&r, CPNS_MSG_GK_RESP, CPNS_MA_STATUS, 2, st);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_STATUS);
	with(&r, CPNS_MSG_GK_RESP, CPNS_MA_STATUS, 2, "\xff\xff");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_STATUS);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_CODE, 2, st);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_CODE);
	/* conflict (10) is the last status; 11 is the first refused. */
	with(&r, CPNS_MSG_GK_RESP, CPNS_MA_STATUS, 2, "\0\x0a");
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_GK_RESP, CPNS_MA_STATUS, 2, "\0\x0b");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_STATUS);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_CODE, 2, "\0\x0a");
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_CODE, 2, "\0\x0b");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_CODE);
	with(&r, CPNS_MSG_GK_EXCLUDE, CPNS_MA_GROUP, 4, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_GROUP);
	with(&r, CPNS_MSG_GK_EXCLUDE, CPNS_MA_EPOCH, 8, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_EPOCH);
	with(&r, CPNS_MSG_GK_PULL, CPNS_MA_GROUP, 4, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_GROUP);
	with(&r, CPNS_MSG_GK_PULL, CPNS_MA_EPOCH, 8, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_EPOCH);
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_EPOCH, 8, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_EPOCH);
	with(&r, CPNS_MSG_GK_RESP, CPNS_MA_EPOCH, 8, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_EPOCH);
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_GROUP, 4, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_GROUP);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_TEXT, 3, "a\nb");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_TEXT);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_TEXT, 3, "a\0b");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_TEXT);
	with(&r, CPNS_MSG_ERROR, CPNS_MA_TEXT, 3, "a\x7f" "b");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_TEXT);
	/* UTF-8 is not checked: only controls are refused. */
	with(&r, CPNS_MSG_ERROR, CPNS_MA_TEXT, 3, "\xc3\xa9\xff");
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	/* The validity window: empty or inverted; names VALID_UNTIL. */
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_VALID_UNTIL, 8,
	     "\0\0\0\0\x69\x55\xb9\x00");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_VALID_UNTIL);
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_VALID_UNTIL, 8,
	     "\0\0\0\0\x69\x55\xb9\x01");
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_VALID_UNTIL, 8, zero8);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_VALID_UNTIL);
}

/* A byte string with its length, NULs included. */
#define VAL(s)	{ (const uint8_t *)(s), sizeof(s) - 1, #s }

struct val {
	const uint8_t *v;
	size_t n;
	const char *what;
};

/* Ids of [A-Za-z0-9._:-] by byte value: - . 0 : A _ a */
static const struct val members_ok[] = {
	VAL(""),
	VAL("\x01x"),
	VAL("\x06pne-a1\x06pne-a2\x05pne-b"),
	/* A prefix before its extensions. */
	VAL("\x02" "ab\x03" "abc\x04" "abcd"),
	VAL("\x01-\x01.\x01" "0\x01:\x01" "A\x01_\x01" "a"),
	VAL("\x01" "B\x01" "a"),
	VAL("\x03" "a-z\x02" "a0"),
};

static const struct val members_bad[] = {
	VAL("\x07pne-a1"),			/* runs past the end */
	VAL("\x06pne-a1\x05pne"),
	VAL("\x06pne-a1\xff"),
	VAL("\x00"),				/* an empty id */
	VAL("\x00\x01" "a"),
	VAL("\x01" "a\x00"),
	VAL("\x06pne a1"),			/* characters */
	VAL("\x03" "a/b"),
	VAL("\x02" "a\x00"),
	VAL("\x02\xc3\xa9"),
	VAL("\x01\x7f"),
	VAL("\x01" "a\x01" "a"),		/* a duplicate */
	VAL("\x06pne-a2\x06pne-a1"),		/* descending */
	VAL("\x03" "abc\x02" "ab"),		/* an extension first */
	VAL("\x01" "a\x01" "B"),		/* by byte, not by case */
	VAL("\x01" "b\x02" "aa"),		/* by byte, not by length */
	VAL("\x01" "b\x01" "c\x01" "a"),	/* the third out of order */
};

/* @n ids of 64 bytes, then one that fills the value to 65535 bytes. */
static size_t fill_members(uint8_t *buf, size_t size, unsigned int n)
{
	char prev[65] = "", id[65];
	size_t len = 0;
	unsigned int i;

	for (i = 0; i <= n; i++) {
		if (i < n) {
			snprintf(id, sizeof(id), "%04u%060u", i, 0);
		} else {
			/* "z..." sorts after the digits. */
			if (65535 - len - 1 >= sizeof(id))
				return 0;
			memset(id, 'z', 65535 - len - 1);
			id[65535 - len - 1] = 0;
		}
		if (cpns_msg_members_add(buf, size, &len, i ? prev : NULL, id))
			return 0;
		strcpy(prev, id);
	}
	return len;
}

TEST(members_value)
{
	uint8_t id65[66], buf[CPNS_MSG_MAX];
	struct cpns_msg m;
	unsigned int i;
	struct raw r;
	size_t len;

	for (i = 0; i < ARRAY_SIZE(members_ok); i++) {
		snprintf(ctx, sizeof(ctx), "members %s", members_ok[i].what);
		with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_MEMBERS, members_ok[i].n,
		     members_ok[i].v);
		REFUSED(&r, MAX, CPNS_ME_OK, 0);
		sample(&m, CPNS_MSG_GK_NOTIFY);
		m.members = members_ok[i].v;
		m.members_len = members_ok[i].n;
		EXPECT_EQ(0, cpns_msg_encode(&m, buf, sizeof(buf), &len))
			TH_LOG("%s", ctx);
	}
	for (i = 0; i < ARRAY_SIZE(members_bad); i++) {
		snprintf(ctx, sizeof(ctx), "members %s", members_bad[i].what);
		with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_MEMBERS, members_bad[i].n,
		     members_bad[i].v);
		REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_MEMBERS);
		sample(&m, CPNS_MSG_GK_NOTIFY);
		m.members = members_bad[i].v;
		m.members_len = members_bad[i].n;
		EXPECT_EQ(CPNS_ME_ATTR_VALUE,
			  cpns_msg_encode(&m, buf, sizeof(buf), &len))
			TH_LOG("%s", ctx);
	}
	/* Ids of 64 bytes, not 65. */
	id65[0] = 64;
	memset(id65 + 1, 'x', 65);
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_MEMBERS, 65, id65);
	REFUSED(&r, MAX, CPNS_ME_OK, 0);
	id65[0] = 65;
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_MEMBERS, 66, id65);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_MEMBERS);
	id65[0] = 0xff;
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_MEMBERS);

	/* What only a struct can say: no bytes, or too many. */
	sample(&m, CPNS_MSG_GK_NOTIFY);
	m.members = NULL;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.members_len = 0;
	EXPECT_EQ(0, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.members = big;
	m.members_len = 65536;
	EXPECT_EQ(CPNS_ME_ATTR_LEN,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
}

/* The largest messages fit CPNS_MSG_BODY_MAX_LARGE, not CPNS_MSG_BODY_MAX. */
TEST(largest_bodies)
{
	size_t size = CPNS_MSG_HDR_LEN + CPNS_MSG_BODY_MAX_LARGE, len, ml;
	uint8_t *buf = malloc(size), *v = malloc(65535);
	const uint8_t *id;
	size_t off = 0, idl;
	struct cpns_msg m, d;
	unsigned int a, n = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(65535, fill_members(v, 65535, 1008));
	sample(&m, CPNS_MSG_GK_NOTIFY);
	m.members = v;
	m.members_len = 65535;
	ASSERT_EQ(0, cpns_msg_encode(&m, buf, size, &len));
	EXPECT_EQ(CPNS_MSG_HDR_LEN + 80 + 4 + 65535, len);
	EXPECT_EQ(0, cpns_msg_frame(buf, len, CPNS_MSG_BODY_MAX_LARGE, &ml));
	EXPECT_EQ(len, ml);
	EXPECT_EQ(CPNS_ME_TOO_BIG, cpns_msg_frame(buf, len, MAX, &ml));
	ASSERT_EQ(0, cpns_msg_decode(&d, buf, len, CPNS_MSG_BODY_MAX_LARGE,
				     &a));
	EXPECT_EQ(65535, d.members_len);
	while (cpns_msg_members_next(d.members, d.members_len, &off, &id,
				     &idl))
		n++;
	EXPECT_EQ(1009, n);
	EXPECT_EQ(65535, off);

	sample(&m, CPNS_MSG_GK_BCAST);
	m.signed_blob = v;
	m.signed_blob_len = 65535;
	ASSERT_EQ(0, cpns_msg_encode(&m, buf, size, &len));
	EXPECT_EQ(0, cpns_msg_decode(&d, buf, len, CPNS_MSG_BODY_MAX_LARGE,
				     &a));
	free(v);
	free(buf);
}

/* The ids of @v joined by ",", as cpns_msg_members_next() gives them. */
static unsigned int walk(const uint8_t *v, size_t len, char *out, size_t size)
{
	const uint8_t *id;
	size_t off = 0, l;
	unsigned int n = 0;

	*out = 0;
	while (cpns_msg_members_next(v, len, &off, &id, &l) == 1) {
		snprintf(out + strlen(out), size - strlen(out), "%s%.*s",
			 n ? "," : "", (int)l, (const char *)id);
		n++;
	}
	return n;
}

TEST(members_next)
{
	const uint8_t *id = (const uint8_t *)"x";
	char out[256];
	size_t off, l = 7;
	uint8_t *p;

	/* Empty: done at once, nothing touched. */
	off = 0;
	EXPECT_EQ(0, cpns_msg_members_next(NULL, 0, &off, &id, &l));
	EXPECT_EQ(0, off);
	EXPECT_EQ(3, walk(members3, sizeof(members3) - 1, out, sizeof(out)));
	EXPECT_STREQ("pne-a1,pne-a2,pne-b", out);
	EXPECT_EQ(1, walk((const uint8_t *)"\x01x", 2, out, sizeof(out)));
	EXPECT_STREQ("x", out);

	/* Step by step; the end stays the end. */
	off = 0;
	ASSERT_EQ(1, cpns_msg_members_next(members3, sizeof(members3) - 1,
					   &off, &id, &l));
	EXPECT_EQ(7, off);
	EXPECT_EQ(6, l);
	EXPECT_EQ(members3 + 1, id);
	off = sizeof(members3) - 1;
	EXPECT_EQ(0, cpns_msg_members_next(members3, off, &off, &id, &l));
	EXPECT_EQ(0, cpns_msg_members_next(members3, off, &off, &id, &l));
	off = 100;
	EXPECT_EQ(0, cpns_msg_members_next(members3, 20, &off, &id, &l));

	/*
	 * A value the decoder did not check: the walk stops before an
	 * entry that does not fit or is empty, never reads past it, and
	 * never loops (ASan watches the exact-size copy).
	 */
	p = malloc(7);
	ASSERT_NE(NULL, p);
	memcpy(p, "\x06pne-a1", 7);
	EXPECT_EQ(1, walk(p, 7, out, sizeof(out)));
	p[0] = 7;
	EXPECT_EQ(0, walk(p, 7, out, sizeof(out)));
	p[0] = 0;
	EXPECT_EQ(0, walk(p, 7, out, sizeof(out)));
	memcpy(p, "\x01" "a\x05pne", 6);
	EXPECT_EQ(1, walk(p, 6, out, sizeof(out)));
	EXPECT_STREQ("a", out);
	free(p);
}

TEST(members_add)
{
	char id64[65], id65[66];
	struct cpns_msg m, d;
	uint8_t buf[256], msg[CPNS_MSG_MAX], *p;
	size_t len = 0, ml;
	unsigned int a;
	char out[512];

	memset(id64, 'z', 64);
	id64[64] = 0;
	memset(id65, 'i', 65);
	id65[65] = 0;
	ASSERT_EQ(0, cpns_msg_members_add(buf, sizeof(buf), &len, NULL,
					  "pne-a1"));
	EXPECT_EQ(7, len);
	EXPECT_EQ(0, memcmp(buf, "\x06pne-a1", 7));
	/* Refused: len and the bytes stay as they were. */
	memset(buf + len, 0xaa, sizeof(buf) - len);
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   "pne-a1"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   "pne-a"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   "PNE-a2"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   ""));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   "pne a2"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   "pne-\xc3\xa9"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					   id65));
	/* @prev must be the value's last id: none for an empty value. */
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, NULL,
					   "pne-a2"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a0",
					   "pne-a2"));
	EXPECT_EQ(-1, cpns_msg_members_add(buf, sizeof(buf), &len, "ne-a1",
					   "pne-a2"));
	EXPECT_EQ(7, len);
	EXPECT_EQ(0xaa, buf[7]);
	/* A prefix before its extensions; the longest id. */
	ASSERT_EQ(0, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a1",
					  "pne-a10"));
	ASSERT_EQ(0, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a10",
					  "pne-a2"));
	ASSERT_EQ(0, cpns_msg_members_add(buf, sizeof(buf), &len, "pne-a2",
					  id64));
	EXPECT_EQ(7 + 8 + 7 + 65, len);
	EXPECT_EQ(4, walk(buf, len, out, sizeof(out)));
	EXPECT_EQ(0, strncmp(out, "pne-a1,pne-a10,pne-a2,zzz", 25));

	/* What it builds, the decoder takes. */
	sample(&m, CPNS_MSG_GK_NOTIFY);
	m.members = buf;
	m.members_len = len;
	ASSERT_EQ(0, cpns_msg_encode(&m, msg, sizeof(msg), &ml));
	ASSERT_EQ(0, cpns_msg_decode(&d, msg, ml, MAX, &a));
	EXPECT_EQ(len, d.members_len);
	EXPECT_EQ(0, memcmp(buf, d.members, len));

	/* Exactly full fits; one byte short does not, nothing written. */
	p = malloc(7);
	ASSERT_NE(NULL, p);
	len = 0;
	EXPECT_EQ(-1, cpns_msg_members_add(p, 6, &len, NULL, "pne-a1"));
	EXPECT_EQ(0, len);
	EXPECT_EQ(0, cpns_msg_members_add(p, 7, &len, NULL, "pne-a1"));
	EXPECT_EQ(7, len);
	EXPECT_EQ(-1, cpns_msg_members_add(p, 7, &len, "pne-a1", "pne-a2"));
	EXPECT_EQ(7, len);
	free(p);
}

/* The attribute's 16-bit length bounds a value whatever the buffer. */
TEST(members_add_65535)
{
	uint8_t *buf = malloc(70000);
	char prev[65];
	size_t len;

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(65535, fill_members(buf, 70000, 1008));
	len = 65535;
	snprintf(prev, sizeof(prev), "%.14s", "zzzzzzzzzzzzzzzzzz");
	EXPECT_EQ(-1, cpns_msg_members_add(buf, 70000, &len, prev,
					   "zzzzzzzzzzzzzzzz"));
	EXPECT_EQ(65535, len);
	/* 1008 ids of 64 bytes use 65520: 15 left, room for an id of 14. */
	len = 65520;
	snprintf(prev, sizeof(prev), "%04u%060u", 1007, 0);
	EXPECT_EQ(-1, cpns_msg_members_add(buf, 70000, &len, prev,
					   "zzzzzzzzzzzzzzz"));
	EXPECT_EQ(65520, len);
	EXPECT_EQ(0, cpns_msg_members_add(buf, 70000, &len, prev,
					  "zzzzzzzzzzzzzz"));
	EXPECT_EQ(65535, len);
	free(buf);
}

/* Which check comes first when two fail (protocol.rst, "Refusals"). */
TEST(check_order)
{
	struct raw r;

	/* A bad length on an attribute the message does not take. */
	raw_hdr(&r, CPNS_MSG_GKDK_REQ);
	raw_attr(&r, CPNS_MA_GROUP, 1, "x");
	REFUSED(&r, MAX, CPNS_ME_ATTR_UNKNOWN, CPNS_MA_GROUP);
	/* Unknown before order. */
	raw_hdr(&r, CPNS_MSG_GK_RESP);
	raw_be(&r, CPNS_MA_GROUP, 4, 1);
	raw_be(&r, CPNS_MA_GATEWAY_ID, 8, 1);
	REFUSED(&r, MAX, CPNS_ME_ATTR_UNKNOWN, CPNS_MA_GATEWAY_ID);
	/* Order before the value running past the body. */
	raw_hdr(&r, CPNS_MSG_GK_RESP);
	raw_be(&r, CPNS_MA_GROUP, 4, 1);
	raw_be(&r, CPNS_MA_GROUP, 4, 1);
	r.b[r.n - 5] = 5;
	REFUSED(&r, MAX, CPNS_ME_ATTR_ORDER, CPNS_MA_GROUP);
	/* The first faulty attribute, not the worst. */
	raw_hdr(&r, CPNS_MSG_GK_RESP);
	raw_be(&r, CPNS_MA_GROUP, 4, 0);
	raw_be(&r, CPNS_MA_EPOCH, 4, 1);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_GROUP);
	/* Missing comes after every attribute's checks. */
	raw_hdr(&r, CPNS_MSG_GK_RESP);
	raw_be(&r, CPNS_MA_STATUS, 2, 99);
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_STATUS);
	/* ... and before the validity window. */
	raw_hdr(&r, CPNS_MSG_GK_NOTIFY);
	raw_be(&r, CPNS_MA_VALID_FROM, 8, 10);
	raw_be(&r, CPNS_MA_VALID_UNTIL, 8, 10);
	REFUSED(&r, MAX, CPNS_ME_ATTR_MISSING, CPNS_MA_GROUP);
	/* A bad members value before the missing ones. */
	raw_hdr(&r, CPNS_MSG_GK_NOTIFY);
	raw_attr(&r, CPNS_MA_MEMBERS, 2, "\x01-");
	REFUSED(&r, MAX, CPNS_ME_ATTR_MISSING, CPNS_MA_GROUP);
	raw_hdr(&r, CPNS_MSG_GK_NOTIFY);
	raw_attr(&r, CPNS_MA_MEMBERS, 2, "\x02-");
	REFUSED(&r, MAX, CPNS_ME_ATTR_VALUE, CPNS_MA_MEMBERS);
	/* No members and an empty window: members is missing. */
	with(&r, CPNS_MSG_GK_NOTIFY, CPNS_MA_VALID_UNTIL, 8,
	     "\0\0\0\0\x69\x55\xb9\x00");
	drop_attr(&r, CPNS_MA_MEMBERS);
	REFUSED(&r, MAX, CPNS_ME_ATTR_MISSING, CPNS_MA_MEMBERS);
	/* The header's checks: version, type, flags, size, length. */
	raw_hdr(&r, 0);
	r.b[0] = 9;
	REFUSED(&r, MAX, CPNS_ME_VERSION, 0);
	raw_hdr(&r, 0);
	r.b[2] = 1;
	REFUSED(&r, MAX, CPNS_ME_TYPE, 0);
	raw_hdr(&r, 1);
	r.b[2] = 1;
	r.b[4] = 1;
	REFUSED(&r, MAX, CPNS_ME_FLAGS, 0);
	raw_hdr(&r, 1);
	r.b[4] = 1;
	REFUSED(&r, MAX, CPNS_ME_TOO_BIG, 0);
}

TEST(encode_refusals)
{
	uint8_t buf[CPNS_MSG_MAX];
	struct cpns_msg m;
	size_t len, k;

	cpns_msg_init(&m, CPNS_MSG_UNSPEC);
	EXPECT_EQ(CPNS_ME_TYPE, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.type = __CPNS_MSG_MAX;
	EXPECT_EQ(CPNS_ME_TYPE, cpns_msg_encode(&m, buf, sizeof(buf), &len));

	sample(&m, CPNS_MSG_GKDK_REQ);
	cpns_msg_set(&m, CPNS_MA_GROUP);
	EXPECT_EQ(CPNS_ME_ATTR_UNKNOWN,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	sample(&m, CPNS_MSG_KEEPALIVE);
	cpns_msg_set(&m, CPNS_MA_SLOT);
	EXPECT_EQ(CPNS_ME_ATTR_UNKNOWN,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	sample(&m, CPNS_MSG_KEEPALIVE);
	m.present = 1;
	EXPECT_EQ(CPNS_ME_ATTR_UNKNOWN,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.present = 1u << 31;
	EXPECT_EQ(CPNS_ME_ATTR_UNKNOWN,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));

	sample(&m, CPNS_MSG_GKDK_REQ);
	m.pne_id_len = 0;
	EXPECT_EQ(CPNS_ME_ATTR_LEN, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.pne_id_len = 65;
	EXPECT_EQ(CPNS_ME_ATTR_LEN, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.pne_id = (const uint8_t *)"pne 1";
	m.pne_id_len = 5;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	m.pne_id = NULL;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));

	sample(&m, CPNS_MSG_GKDK_RESP);
	m.gkdk_len = 85;
	EXPECT_EQ(CPNS_ME_ATTR_LEN, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	sample(&m, CPNS_MSG_GKDK_RESP);
	m.sign_key = NULL;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));

	sample(&m, CPNS_MSG_GK_NOTIFY);
	m.valid_until = m.valid_from;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	sample(&m, CPNS_MSG_GK_NOTIFY);
	m.epoch = 0;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	sample(&m, CPNS_MSG_GK_RESP);
	m.status = __CPNS_ST_MAX;
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));
	sample(&m, CPNS_MSG_ERROR);
	m.text = "two\nlines";
	m.text_len = strlen(m.text);
	EXPECT_EQ(CPNS_ME_ATTR_VALUE,
		  cpns_msg_encode(&m, buf, sizeof(buf), &len));

	/* Every buffer one byte short or more is refused, none written past. */
	sample(&m, CPNS_MSG_GKDK_RESP);
	ASSERT_EQ(0, cpns_msg_encode(&m, buf, sizeof(buf), &len));
	for (k = 0; k < len; k++) {
		uint8_t *b = malloc(k + 1);
		size_t l = 99;

		ASSERT_NE(NULL, b);
		EXPECT_EQ(CPNS_ME_TOO_BIG, cpns_msg_encode(&m, b, k, &l));
		EXPECT_EQ(0, l);
		free(b);
	}
}

TEST(names)
{
	unsigned int i, j;

	for (i = 0; i < __CPNS_ME_MAX; i++) {
		EXPECT_EQ((int)i, cpns_merr_from_name(cpns_merr_name(i)));
		EXPECT_STRNE("unknown message error", cpns_merr_str(i));
	}
	EXPECT_EQ(-1, cpns_merr_from_name("nope"));
	EXPECT_STREQ("unknown", cpns_merr_name(__CPNS_ME_MAX));
	EXPECT_STREQ("unknown", cpns_merr_name(-1));
	EXPECT_STREQ("attr_order", cpns_merr_name(CPNS_ME_ATTR_ORDER));
	EXPECT_STREQ("gkdk-req", cpns_msg_type_name(CPNS_MSG_GKDK_REQ));
	EXPECT_STREQ("unknown", cpns_msg_type_name(0));
	EXPECT_STREQ("unknown", cpns_msg_type_name(__CPNS_MSG_MAX));
	EXPECT_STREQ("none", cpns_msg_attr_name(0));
	EXPECT_STREQ("valid_until", cpns_msg_attr_name(CPNS_MA_VALID_UNTIL));
	EXPECT_STREQ("unknown", cpns_msg_attr_name(__CPNS_MA_MAX));
	EXPECT_STREQ("not_member", cpns_msg_status_name(CPNS_ST_NOT_MEMBER));
	EXPECT_STREQ("conflict", cpns_msg_status_name(CPNS_ST_CONFLICT));
	EXPECT_STREQ("gk-exclude", cpns_msg_type_name(CPNS_MSG_GK_EXCLUDE));
	EXPECT_STREQ("gk-pull", cpns_msg_type_name(CPNS_MSG_GK_PULL));
	EXPECT_STREQ("members", cpns_msg_attr_name(CPNS_MA_MEMBERS));
	/* Every number below the end has a name. */
	for (i = 1; i < __CPNS_MSG_MAX; i++)
		EXPECT_STRNE("unknown", cpns_msg_type_name(i));
	for (i = 1; i < __CPNS_MA_MAX; i++)
		EXPECT_NE(NULL, cpns_msg_attr_name(i));
	for (i = 0; i < __CPNS_ST_MAX; i++)
		EXPECT_NE(NULL, cpns_msg_status_name(i));
	EXPECT_STREQ("unknown", cpns_msg_status_name(__CPNS_ST_MAX));
	/* Distinct, so that logs and vectors name one thing each. */
	for (i = 1; i < __CPNS_MSG_MAX; i++)
		for (j = 1; j < i; j++)
			EXPECT_STRNE(cpns_msg_type_name(i),
				     cpns_msg_type_name(j));
	for (i = 1; i < __CPNS_MA_MAX; i++)
		for (j = 0; j < i; j++)
			EXPECT_STRNE(cpns_msg_attr_name(i),
				     cpns_msg_attr_name(j));
	for (i = 1; i < __CPNS_ST_MAX; i++)
		for (j = 0; j < i; j++)
			EXPECT_STRNE(cpns_msg_status_name(i),
				     cpns_msg_status_name(j));
}

TEST_HARNESS_MAIN
