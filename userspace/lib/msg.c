// SPDX-License-Identifier: GPL-2.0
/*
 * The CPNS message codec (Documentation/protocol.rst): one table says
 * which attributes each message type takes, one what each attribute is;
 * decoding and encoding both apply the same checks, in the same order, so
 * that whatever cpns_msg_encode() writes cpns_msg_decode() accepts, and
 * each refusal has one name (the test vectors pin the order).
 */
#include <stddef.h>
#include <string.h>

#include "gkdk.h"
#include "keycrypto.h"
#include "msg.h"

#define BIT(a)		(UINT32_C(1) << (a))
#define ATTR_HDR_LEN	4
#define ID_MAX		64	/* a PNE id's bytes */

static const struct {
	const char *name;
	uint32_t allowed;	/* required is a subset */
	uint32_t required;
} msg_types[__CPNS_MSG_MAX] = {
	[CPNS_MSG_GKDK_REQ] = { "gkdk-req",
		BIT(CPNS_MA_PNE_ID), BIT(CPNS_MA_PNE_ID) },
	[CPNS_MSG_GKDK_RESP] = { "gkdk-resp",
		BIT(CPNS_MA_GATEWAY_ID) | BIT(CPNS_MA_GKDK) |
		BIT(CPNS_MA_SIGN_KEY),
		BIT(CPNS_MA_GATEWAY_ID) | BIT(CPNS_MA_GKDK) |
		BIT(CPNS_MA_SIGN_KEY) },
	[CPNS_MSG_GK_NOTIFY] = { "gk-notify",
		BIT(CPNS_MA_GROUP) | BIT(CPNS_MA_EPOCH) |
		BIT(CPNS_MA_GROUP_KEY) | BIT(CPNS_MA_VALID_FROM) |
		BIT(CPNS_MA_VALID_UNTIL) | BIT(CPNS_MA_MEMBERS),
		BIT(CPNS_MA_GROUP) | BIT(CPNS_MA_EPOCH) |
		BIT(CPNS_MA_GROUP_KEY) | BIT(CPNS_MA_VALID_FROM) |
		BIT(CPNS_MA_VALID_UNTIL) | BIT(CPNS_MA_MEMBERS) },
	[CPNS_MSG_GK_RESP] = { "gk-resp",
		BIT(CPNS_MA_PNE_ID) | BIT(CPNS_MA_GROUP) |
		BIT(CPNS_MA_EPOCH) | BIT(CPNS_MA_STATUS),
		BIT(CPNS_MA_GROUP) | BIT(CPNS_MA_EPOCH) |
		BIT(CPNS_MA_STATUS) },
	[CPNS_MSG_GK_BCAST] = { "gk-bcast",
		BIT(CPNS_MA_GATEWAY_ID) | BIT(CPNS_MA_SIGNED_BLOB),
		BIT(CPNS_MA_GATEWAY_ID) | BIT(CPNS_MA_SIGNED_BLOB) },
	[CPNS_MSG_ERROR] = { "error",
		BIT(CPNS_MA_CODE) | BIT(CPNS_MA_TEXT), BIT(CPNS_MA_CODE) },
	[CPNS_MSG_KEEPALIVE] = { "keepalive", 0, 0 },
	[CPNS_MSG_GKDK_RENEW] = { "gkdk-renew",
		BIT(CPNS_MA_SET_ID), BIT(CPNS_MA_SET_ID) },
	[CPNS_MSG_GK_EXCLUDE] = { "gk-exclude",
		BIT(CPNS_MA_GROUP) | BIT(CPNS_MA_EPOCH),
		BIT(CPNS_MA_GROUP) | BIT(CPNS_MA_EPOCH) },
	[CPNS_MSG_GK_PULL] = { "gk-pull",
		BIT(CPNS_MA_GROUP) | BIT(CPNS_MA_EPOCH), BIT(CPNS_MA_GROUP) },
};

enum kind { K_U16 = 1, K_U32, K_U64, K_BYTES };
/* Value checks beyond length and integer range. */
enum check { C_NONE, C_ID, C_TEXT, C_GKDK, C_MEMBERS };

#define NO_LEN	SIZE_MAX	/* fixed-size bytes: no length field */
#define INT(n, k, lo, hi, f) { n, k, C_NONE, 0, 0, lo, hi, \
	offsetof(struct cpns_msg, f), NO_LEN }
#define BYTES(n, c, lo, hi, f, l) { n, K_BYTES, c, lo, hi, 0, 0, \
	offsetof(struct cpns_msg, f), offsetof(struct cpns_msg, l) }
#define FIXED(n, len, f) { n, K_BYTES, C_NONE, len, len, 0, 0, \
	offsetof(struct cpns_msg, f), NO_LEN }

static const struct attr_spec {
	const char *name;
	uint8_t kind;
	uint8_t check;
	uint16_t min_len, max_len;	/* K_BYTES */
	uint64_t min, max;		/* integers */
	size_t val;			/* offset of the field */
	size_t len;			/* offset of its size_t length */
} attrs[__CPNS_MA_MAX] = {
	[CPNS_MA_PNE_ID] = BYTES("pne_id", C_ID, 1, ID_MAX, pne_id, pne_id_len),
	[CPNS_MA_GATEWAY_ID] = INT("gateway_id", K_U64, 0, UINT64_MAX,
				   gateway_id),
	[CPNS_MA_GKDK] = BYTES("gkdk", C_GKDK, CPNS_GKDK_HDR_LEN + 2 * CPNS_KEY_LEN,
			       CPNS_GKDK_MAX_LEN, gkdk, gkdk_len),
	[CPNS_MA_SIGN_KEY] = FIXED("sign_key", 32, sign_key),
	/* cpns.ko has no Service Group 0 and no epoch 0. */
	[CPNS_MA_GROUP] = INT("group", K_U32, 1, UINT32_MAX, group),
	[CPNS_MA_EPOCH] = INT("epoch", K_U64, 1, UINT64_MAX, epoch),
	[CPNS_MA_GROUP_KEY] = FIXED("group_key", 32, group_key),
	[CPNS_MA_VALID_FROM] = INT("valid_from", K_U64, 0, UINT64_MAX,
				   valid_from),
	[CPNS_MA_VALID_UNTIL] = INT("valid_until", K_U64, 0, UINT64_MAX,
				    valid_until),
	[CPNS_MA_STATUS] = INT("status", K_U16, 0, __CPNS_ST_MAX - 1, status),
	[CPNS_MA_SIGNED_BLOB] = BYTES("signed_blob", C_NONE, 1, UINT16_MAX,
				      signed_blob, signed_blob_len),
	[CPNS_MA_SET_ID] = INT("set_id", K_U32, 0, UINT32_MAX, set_id),
	[CPNS_MA_CODE] = INT("code", K_U16, 0, __CPNS_ST_MAX - 1, code),
	[CPNS_MA_TEXT] = BYTES("text", C_TEXT, 0, 256, text, text_len),
	[CPNS_MA_SLOT] = INT("slot", K_U32, 0, UINT32_MAX, slot),
	[CPNS_MA_MEMBERS] = BYTES("members", C_MEMBERS, 0, UINT16_MAX, members,
				  members_len),
};

static const size_t int_len[] = { [K_U16] = 2, [K_U32] = 4, [K_U64] = 8 };

static const struct {
	const char *name;
	const char *str;
} merrs[__CPNS_ME_MAX] = {
	[CPNS_ME_OK] = { "ok", "success" },
	[CPNS_ME_TRUNCATED] = { "truncated",
		"message shorter than its header says" },
	[CPNS_ME_TRAILING] = { "trailing", "bytes after the message body" },
	[CPNS_ME_VERSION] = { "version", "unsupported message version" },
	[CPNS_ME_TYPE] = { "type", "unknown message type" },
	[CPNS_ME_FLAGS] = { "flags", "reserved flags not zero" },
	[CPNS_ME_TOO_BIG] = { "too_big", "message body above the limit" },
	[CPNS_ME_ATTR_TRUNCATED] = { "attr_truncated",
		"attribute runs past the body" },
	[CPNS_ME_ATTR_UNKNOWN] = { "attr_unknown",
		"attribute not allowed in this message" },
	[CPNS_ME_ATTR_ORDER] = { "attr_order",
		"attributes not in strictly ascending order" },
	[CPNS_ME_ATTR_LEN] = { "attr_len", "attribute length out of bounds" },
	[CPNS_ME_ATTR_VALUE] = { "attr_value", "attribute value refused" },
	[CPNS_ME_ATTR_MISSING] = { "attr_missing",
		"required attribute missing" },
	[CPNS_ME_NOMEM] = { "nomem", "out of memory" },
};

static const char *const statuses[__CPNS_ST_MAX] = {
	[CPNS_ST_OK] = "ok",
	[CPNS_ST_MALFORMED] = "malformed",
	[CPNS_ST_UNEXPECTED] = "unexpected",
	[CPNS_ST_UNKNOWN_PNE] = "unknown_pne",
	[CPNS_ST_REVOKED] = "revoked",
	[CPNS_ST_INTERNAL] = "internal",
	[CPNS_ST_BUSY] = "busy",
	[CPNS_ST_STALE] = "stale",
	[CPNS_ST_NOT_MEMBER] = "not_member",
	[CPNS_ST_INSTALL] = "install",
	[CPNS_ST_CONFLICT] = "conflict",
};

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static bool allowed(unsigned int type, unsigned int a)
{
	return a < __CPNS_MA_MAX && (msg_types[type].allowed & BIT(a));
}

static bool id_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	       c == '-';
}

static bool id_ok(const uint8_t *p, size_t l)
{
	size_t i;

	if (l < 1 || l > ID_MAX)
		return false;
	for (i = 0; i < l; i++)
		if (!id_char(p[i]))
			return false;
	return true;
}

/*
 * Byte order, a prefix before its extensions: what strcmp() and SQLite's
 * BINARY collation give, so that a store's ORDER BY yields a valid list.
 */
static int id_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

/*
 * One encoding per list, so a receiver can compare lists bytewise and a
 * duplicate cannot count a PNE twice: every entry well formed and above
 * the one before.
 */
static bool members_ok(const uint8_t *p, size_t l)
{
	const uint8_t *prev = NULL;
	size_t off = 0, prev_len = 0;

	while (off < l) {
		size_t n = p[off++];

		if (n > l - off || !id_ok(p + off, n))
			return false;
		if (prev && id_cmp(prev, prev_len, p + off, n) >= 0)
			return false;
		prev = p + off;
		prev_len = n;
		off += n;
	}
	return true;
}

/*
 * Length, then value, of attribute @a: @v for integers, @p/@l for bytes.
 * The one place both directions check an attribute.
 */
static int check_attr(const struct attr_spec *s, uint64_t v,
		      const uint8_t *p, size_t l)
{
	size_t i;

	if (s->kind != K_BYTES)
		return v < s->min || v > s->max ? CPNS_ME_ATTR_VALUE : 0;
	if (l < s->min_len || l > s->max_len)
		return CPNS_ME_ATTR_LEN;
	/*
	 * Whole keys only; the GKDK's own decoder (gkdk.c) checks the rest
	 * where it is used, so the codec stays independent of key formats.
	 */
	if (s->check == C_GKDK &&
	    (l - CPNS_GKDK_HDR_LEN) % CPNS_KEY_LEN)
		return CPNS_ME_ATTR_LEN;
	if (l && !p)
		return CPNS_ME_ATTR_VALUE;
	if (s->check == C_MEMBERS && !members_ok(p, l))
		return CPNS_ME_ATTR_VALUE;
	for (i = 0; i < l; i++) {
		if (s->check == C_ID && !id_char(p[i]))
			return CPNS_ME_ATTR_VALUE;
		/* Peers' text is logged: one line, no terminal controls. */
		if (s->check == C_TEXT && (p[i] < 0x20 || p[i] == 0x7f))
			return CPNS_ME_ATTR_VALUE;
	}
	return 0;
}

/* What spans attributes: required ones, then the validity window. */
static int check_msg(const struct cpns_msg *m, unsigned int *bad)
{
	uint32_t missing = msg_types[m->type].required & ~m->present;

	if (missing) {
		*bad = __builtin_ctz(missing);
		return CPNS_ME_ATTR_MISSING;
	}
	if (cpns_msg_has(m, CPNS_MA_VALID_FROM) &&
	    cpns_msg_has(m, CPNS_MA_VALID_UNTIL) &&
	    m->valid_until <= m->valid_from) {
		*bad = CPNS_MA_VALID_UNTIL;
		return CPNS_ME_ATTR_VALUE;
	}
	return 0;
}

static int check_header(const uint8_t *buf, size_t body_max, size_t *body)
{
	if (buf[0] != CPNS_MSG_VERSION)
		return CPNS_ME_VERSION;
	if (buf[1] == CPNS_MSG_UNSPEC || buf[1] >= __CPNS_MSG_MAX)
		return CPNS_ME_TYPE;
	if (get_be16(buf + 2))
		return CPNS_ME_FLAGS;
	*body = cpns_get_be32(buf + 4);
	if (*body > body_max)
		return CPNS_ME_TOO_BIG;
	return 0;
}

int cpns_msg_frame(const uint8_t *buf, size_t len, size_t body_max,
		   size_t *msg_len)
{
	size_t body;
	int ret;

	*msg_len = 0;
	if (len < CPNS_MSG_HDR_LEN)
		return CPNS_ME_TRUNCATED;
	ret = check_header(buf, body_max, &body);
	if (!ret)
		*msg_len = CPNS_MSG_HDR_LEN + body;
	return ret;
}

/* Read attribute @a's value @p/@l into @m after checking it. */
static int put_field(struct cpns_msg *m, unsigned int a, const uint8_t *p,
		     size_t l)
{
	const struct attr_spec *s = &attrs[a];
	uint8_t *f = (uint8_t *)m + s->val;
	uint64_t v = 0;
	int ret;

	if (s->kind != K_BYTES) {
		if (l != int_len[s->kind])
			return CPNS_ME_ATTR_LEN;
		v = s->kind == K_U16 ? get_be16(p) :
		    s->kind == K_U32 ? cpns_get_be32(p) : cpns_get_be64(p);
	}
	ret = check_attr(s, v, p, l);
	if (ret)
		return ret;
	if (s->kind == K_U16)
		*(uint16_t *)f = (uint16_t)v;
	else if (s->kind == K_U32)
		*(uint32_t *)f = (uint32_t)v;
	else if (s->kind == K_U64)
		*(uint64_t *)f = v;
	else
		*(const uint8_t **)f = p;
	if (s->len != NO_LEN)
		*(size_t *)((uint8_t *)m + s->len) = l;
	m->present |= BIT(a);
	return 0;
}

static int decode(struct cpns_msg *m, const uint8_t *buf, size_t len,
		  size_t body_max, unsigned int *bad)
{
	const uint8_t *p, *end;
	unsigned int prev = 0;
	size_t msg_len;
	int ret;

	ret = cpns_msg_frame(buf, len, body_max, &msg_len);
	if (ret)
		return ret;
	if (len < msg_len)
		return CPNS_ME_TRUNCATED;
	if (len > msg_len)
		return CPNS_ME_TRAILING;
	m->type = buf[1];
	p = buf + CPNS_MSG_HDR_LEN;
	end = buf + msg_len;
	while (p < end) {
		unsigned int a;
		size_t l;

		/* Too short to name one: the fault is no attribute's. */
		*bad = 0;
		if (end - p < ATTR_HDR_LEN)
			return CPNS_ME_ATTR_TRUNCATED;
		a = get_be16(p);
		l = get_be16(p + 2);
		*bad = a;
		if (!allowed(m->type, a))
			return CPNS_ME_ATTR_UNKNOWN;
		if (a <= prev)
			return CPNS_ME_ATTR_ORDER;
		if (l > (size_t)(end - p) - ATTR_HDR_LEN)
			return CPNS_ME_ATTR_TRUNCATED;
		ret = put_field(m, a, p + ATTR_HDR_LEN, l);
		if (ret)
			return ret;
		prev = a;
		p += ATTR_HDR_LEN + l;
	}
	*bad = 0;
	return check_msg(m, bad);
}

int cpns_msg_decode(struct cpns_msg *m, const uint8_t *buf, size_t len,
		    size_t body_max, unsigned int *attr)
{
	unsigned int bad = 0;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = decode(m, buf, len, body_max, &bad);
	if (ret)
		memset(m, 0, sizeof(*m));
	if (attr)
		*attr = ret ? bad : 0;
	return ret;
}

/* Attribute @a of @m as the checks see it: integer, or bytes. */
static void get_field(const struct cpns_msg *m, unsigned int a, uint64_t *v,
		      const uint8_t **p, size_t *l)
{
	const struct attr_spec *s = &attrs[a];
	const uint8_t *f = (const uint8_t *)m + s->val;

	*v = 0;
	*p = NULL;
	*l = s->kind == K_BYTES ? s->min_len : int_len[s->kind];
	if (s->kind == K_U16)
		*v = *(const uint16_t *)f;
	else if (s->kind == K_U32)
		*v = *(const uint32_t *)f;
	else if (s->kind == K_U64)
		*v = *(const uint64_t *)f;
	else
		*p = *(const uint8_t *const *)f;
	if (s->len != NO_LEN)
		*l = *(const size_t *)((const uint8_t *)m + s->len);
}

int cpns_msg_encode(const struct cpns_msg *m, uint8_t *buf, size_t size,
		    size_t *len)
{
	size_t body = 0, off = CPNS_MSG_HDR_LEN;
	unsigned int a, bad;
	const uint8_t *p;
	uint64_t v;
	size_t l;
	int ret;

	*len = 0;
	if (m->type == CPNS_MSG_UNSPEC || m->type >= __CPNS_MSG_MAX)
		return CPNS_ME_TYPE;
	if (m->present & ~msg_types[m->type].allowed)
		return CPNS_ME_ATTR_UNKNOWN;
	for (a = 1; a < __CPNS_MA_MAX; a++) {
		if (!cpns_msg_has(m, a))
			continue;
		get_field(m, a, &v, &p, &l);
		ret = check_attr(&attrs[a], v, p, l);
		if (ret)
			return ret;
		body += ATTR_HDR_LEN + l;
	}
	ret = check_msg(m, &bad);
	if (ret)
		return ret;
	if (size < CPNS_MSG_HDR_LEN || size - CPNS_MSG_HDR_LEN < body)
		return CPNS_ME_TOO_BIG;
	buf[0] = CPNS_MSG_VERSION;
	buf[1] = m->type;
	put_be16(buf + 2, 0);
	cpns_put_be32(buf + 4, (uint32_t)body);
	for (a = 1; a < __CPNS_MA_MAX; a++) {
		if (!cpns_msg_has(m, a))
			continue;
		get_field(m, a, &v, &p, &l);
		put_be16(buf + off, a);
		put_be16(buf + off + 2, (uint16_t)l);
		off += ATTR_HDR_LEN;
		if (attrs[a].kind == K_U16)
			put_be16(buf + off, (uint16_t)v);
		else if (attrs[a].kind == K_U32)
			cpns_put_be32(buf + off, (uint32_t)v);
		else if (attrs[a].kind == K_U64)
			cpns_put_be64(buf + off, v);
		else if (l)
			memcpy(buf + off, p, l);
		off += l;
	}
	*len = off;
	return 0;
}

void cpns_msg_init(struct cpns_msg *m, enum cpns_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
}

void cpns_msg_set(struct cpns_msg *m, enum cpns_msg_attr a)
{
	m->present |= BIT(a);
}

const char *cpns_msg_type_name(unsigned int type)
{
	if (type >= __CPNS_MSG_MAX || !msg_types[type].name)
		return "unknown";
	return msg_types[type].name;
}

const char *cpns_msg_attr_name(unsigned int attr)
{
	if (!attr)
		return "none";
	if (attr >= __CPNS_MA_MAX)
		return "unknown";
	return attrs[attr].name;
}

const char *cpns_merr_name(int err)
{
	if (err < 0 || err >= __CPNS_ME_MAX)
		return "unknown";
	return merrs[err].name;
}

const char *cpns_merr_str(int err)
{
	if (err < 0 || err >= __CPNS_ME_MAX)
		return "unknown message error";
	return merrs[err].str;
}

const char *cpns_msg_status_name(unsigned int status)
{
	if (status >= __CPNS_ST_MAX)
		return "unknown";
	return statuses[status];
}

int cpns_merr_from_name(const char *name)
{
	int i;

	for (i = 0; i < __CPNS_ME_MAX; i++)
		if (!strcmp(name, merrs[i].name))
			return i;
	return -1;
}

int cpns_msg_members_next(const uint8_t *v, size_t len, size_t *off,
			  const uint8_t **id, size_t *id_len)
{
	size_t n;

	/* Bounded even on a value nobody checked: never past @len. */
	if (*off >= len)
		return 0;
	n = v[*off];
	if (!n || n > len - *off - 1)
		return 0;
	*id = v + *off + 1;
	*id_len = n;
	*off += 1 + n;
	return 1;
}

int cpns_msg_members_add(uint8_t *buf, size_t size, size_t *len,
			 const char *prev, const char *id)
{
	size_t n = strnlen(id, ID_MAX + 1), pl;

	if (!id_ok((const uint8_t *)id, n) || *len > size ||
	    *len > UINT16_MAX)
		return -1;
	/*
	 * @prev must be the value's last entry, so that what is built here
	 * is always a value cpns_msg_decode() accepts.
	 */
	if (!prev) {
		if (*len)
			return -1;
	} else {
		pl = strnlen(prev, ID_MAX + 1);
		if (pl > ID_MAX || *len < 1 + pl ||
		    buf[*len - pl - 1] != pl ||
		    memcmp(buf + *len - pl, prev, pl) ||
		    id_cmp((const uint8_t *)prev, pl, (const uint8_t *)id,
			   n) >= 0)
			return -1;
	}
	if (1 + n > size - *len || 1 + n > UINT16_MAX - *len)
		return -1;
	buf[*len] = (uint8_t)n;
	memcpy(buf + *len + 1, id, n);
	*len += 1 + n;
	return 0;
}
