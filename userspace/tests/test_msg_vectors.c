// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/vectors/msg.vec: every record decodes to its recorded result
 * and attribute (and cpns_msg_frame() agrees on the header); every valid
 * one has exactly the recorded fields, and encoding those fields, set
 * from the record rather than from the decoder, gives the recorded bytes.
 * Run from the repository root.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "keyvec.h"
#include "msg.h"

#define VEC	"selftests/vectors/msg.vec"

static unsigned int lookup(const char *(*name)(unsigned int), unsigned int max,
			   const char *want)
{
	unsigned int i;

	for (i = 0; i < max; i++)
		if (!strcmp(name(i), want))
			return i;
	return max;
}

/* Decoded hex bytes kept alive until the record is done. */
struct held {
	uint8_t *p[CPNS_VEC_FIELDS];
	int n;
};

static int hex(struct held *h, const char *s, const uint8_t **p, size_t *l)
{
	uint8_t *b;

	if (!s || cpns_vec_hex(s, &b, l))
		return -1;
	h->p[h->n++] = b;
	*p = b;
	return 0;
}

static void store(struct cpns_msg *m, unsigned int a, unsigned long long n,
		  const uint8_t *p, size_t l)
{
	switch (a) {
	case CPNS_MA_PNE_ID:
		m->pne_id = p;
		m->pne_id_len = l;
		break;
	case CPNS_MA_GATEWAY_ID:
		m->gateway_id = n;
		break;
	case CPNS_MA_GKDK:
		m->gkdk = p;
		m->gkdk_len = l;
		break;
	case CPNS_MA_SIGN_KEY:
		m->sign_key = p;
		break;
	case CPNS_MA_GROUP:
		m->group = n;
		break;
	case CPNS_MA_EPOCH:
		m->epoch = n;
		break;
	case CPNS_MA_GROUP_KEY:
		m->group_key = p;
		break;
	case CPNS_MA_VALID_FROM:
		m->valid_from = n;
		break;
	case CPNS_MA_VALID_UNTIL:
		m->valid_until = n;
		break;
	case CPNS_MA_STATUS:
		m->status = n;
		break;
	case CPNS_MA_SIGNED_BLOB:
		m->signed_blob = p;
		m->signed_blob_len = l;
		break;
	case CPNS_MA_SET_ID:
		m->set_id = n;
		break;
	case CPNS_MA_CODE:
		m->code = n;
		break;
	case CPNS_MA_TEXT:
		m->text = (const char *)p;
		m->text_len = l;
		break;
	case CPNS_MA_SLOT:
		m->slot = n;
		break;
	case CPNS_MA_MEMBERS:
		m->members = p;
		m->members_len = l;
		break;
	}
}

/*
 * @m from the record's fields alone; -1 naming the field in @why when
 * one is malformed.
 */
static int from_record(const struct cpns_vec_rec *r, struct cpns_msg *m,
		       struct held *h, const char **why)
{
	unsigned int a;
	int i;

	cpns_msg_init(m, lookup(cpns_msg_type_name, __CPNS_MSG_MAX,
				cpns_vec_get(r, "type")));
	for (i = 0; i < r->n; i++) {
		const char *v = r->val[i];
		unsigned long long n = strtoull(v, NULL, 10);
		const uint8_t *p = NULL;
		size_t l = 0;

		a = lookup(cpns_msg_attr_name, __CPNS_MA_MAX, r->key[i]);
		if (!a || a == __CPNS_MA_MAX)
			continue;	/* case, msg, result, type */
		*why = r->key[i];
		switch (a) {
		case CPNS_MA_STATUS:
		case CPNS_MA_CODE:
			n = lookup(cpns_msg_status_name, __CPNS_ST_MAX, v);
			if (n == __CPNS_ST_MAX)
				return -1;
			break;
		case CPNS_MA_PNE_ID:
		case CPNS_MA_GKDK:
		case CPNS_MA_SIGN_KEY:
		case CPNS_MA_GROUP_KEY:
		case CPNS_MA_SIGNED_BLOB:
		case CPNS_MA_TEXT:
		case CPNS_MA_MEMBERS:
			if (hex(h, v, &p, &l))
				return -1;
			break;
		}
		store(m, a, n, p, l);
		if ((a == CPNS_MA_SIGN_KEY || a == CPNS_MA_GROUP_KEY) &&
		    l != 32)
			return -1;
		cpns_msg_set(m, a);
	}
	return 0;
}

/* The decoded @d against the record's @m, field by field. */
static bool same(const struct cpns_msg *d, const struct cpns_msg *m)
{
#define BYTES_EQ(f, l) \
	(!m->f ? !d->f : d->f && !memcmp(d->f, m->f, l))
	return d->type == m->type && d->present == m->present &&
	       d->gateway_id == m->gateway_id && d->group == m->group &&
	       d->epoch == m->epoch && d->valid_from == m->valid_from &&
	       d->valid_until == m->valid_until && d->status == m->status &&
	       d->set_id == m->set_id && d->code == m->code &&
	       d->slot == m->slot && d->pne_id_len == m->pne_id_len &&
	       d->gkdk_len == m->gkdk_len &&
	       d->signed_blob_len == m->signed_blob_len &&
	       d->text_len == m->text_len &&
	       d->members_len == m->members_len &&
	       BYTES_EQ(pne_id, m->pne_id_len) &&
	       BYTES_EQ(gkdk, m->gkdk_len) &&
	       BYTES_EQ(sign_key, 32) && BYTES_EQ(group_key, 32) &&
	       BYTES_EQ(signed_blob, m->signed_blob_len) &&
	       BYTES_EQ(text, m->text_len) &&
	       BYTES_EQ(members, m->members_len);
#undef BYTES_EQ
}

static bool header_refusal(int e)
{
	return e == CPNS_ME_VERSION || e == CPNS_ME_TYPE ||
	       e == CPNS_ME_FLAGS || e == CPNS_ME_TOO_BIG;
}

TEST(msg_vectors)
{
	unsigned int line = 0, n = 0, valid = 0, seen_err = 0, seen_type = 0;
	FILE *f = fopen(VEC, "r");
	struct cpns_vec_rec r;

	ASSERT_NE(NULL, f) TH_LOG(VEC " missing (run from the repository "
				  "root)");
	while (cpns_vec_next(f, &line, &r) == 1) {
		const char *c = cpns_vec_get(&r, "case");
		const char *bm = cpns_vec_get(&r, "body_max");
		const char *res = cpns_vec_get(&r, "result");
		size_t body_max = bm ? strtoul(bm, NULL, 10) : CPNS_MSG_BODY_MAX;
		uint8_t *buf, out[CPNS_MSG_HDR_LEN + CPNS_MSG_BODY_MAX_LARGE];
		struct held h = { .n = 0 };
		const char *why = "";
		struct cpns_msg d, m;
		size_t len, ml, ol;
		unsigned int a;
		int e, fe, want;

		ASSERT_NE(NULL, c) TH_LOG("line %u: no case", r.line);
		ASSERT_NE(NULL, res) TH_LOG("%s: no result", c);
		ASSERT_EQ(0, cpns_vec_hex(cpns_vec_get(&r, "msg"), &buf, &len))
			TH_LOG("%s: msg", c);
		want = cpns_merr_from_name(res);
		ASSERT_LE(0, want) TH_LOG("%s: result %s", c, res);
		e = cpns_msg_decode(&d, buf, len, body_max, &a);
		EXPECT_STREQ(res, cpns_merr_name(e)) TH_LOG("%s", c);
		seen_err |= 1u << e;

		/* A stream reader stops where the decoder does. */
		fe = cpns_msg_frame(buf, len, body_max, &ml);
		if (len < CPNS_MSG_HDR_LEN) {
			EXPECT_EQ(CPNS_ME_TRUNCATED, fe) TH_LOG("%s", c);
		} else if (header_refusal(want)) {
			EXPECT_EQ(want, fe) TH_LOG("%s", c);
		} else {
			EXPECT_TRUE(!fe && ml == CPNS_MSG_HDR_LEN +
				    ((size_t)buf[4] << 24 | buf[5] << 16 |
				     buf[6] << 8 | buf[7])) TH_LOG("%s", c);
		}

		if (want) {
			EXPECT_STREQ(cpns_vec_get(&r, "attr"),
				     cpns_msg_attr_name(a)) TH_LOG("%s", c);
		} else {
			ASSERT_EQ(0, from_record(&r, &m, &h, &why))
				TH_LOG("%s: field %s", c, why);
			seen_type |= 1u << m.type;
			EXPECT_TRUE(same(&d, &m)) TH_LOG("%s: fields", c);
			EXPECT_EQ(0, cpns_msg_encode(&m, out, sizeof(out), &ol))
				TH_LOG("%s", c);
			EXPECT_TRUE(ol == len && !memcmp(out, buf, len))
				TH_LOG("%s: encoding the fields", c);
			valid++;
		}
		while (h.n)
			free(h.p[--h.n]);
		free(buf);
		cpns_vec_rec_free(&r);
		n++;
	}
	fclose(f);
	TH_LOG("%u records, %u valid", n, valid);
	EXPECT_GE(valid, 20);
	EXPECT_GE(n - valid, 80);
	/* Every refusal but NOMEM, and every message type. */
	EXPECT_EQ((1u << __CPNS_ME_MAX) - 1 - (1u << CPNS_ME_NOMEM),
		  seen_err);
	EXPECT_EQ((1u << __CPNS_MSG_MAX) - 2, seen_type);
}

TEST_HARNESS_MAIN
