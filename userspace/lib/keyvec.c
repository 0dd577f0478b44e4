// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic test vectors for the key hierarchy.  Every case draws its
 * randomness (master secret, Group Key, salt, GKEK, nonces, signing key)
 * from a test stream seeded with the case name, so a case's bytes do not
 * change when another case is added.  The generator opens every blob it
 * writes and refuses to emit a record whose result is not the intended
 * one, so the files are checked when they are made.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cover.h"
#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"
#include "keyvec.h"
#include "rand.h"
#include "sign.h"

const char *const cpns_vec_files[] = {
	"cs-kdf.vec", "cs-gkdk.vec", "cs-open.vec", "cs-sig.vec",
	"fastpath.vec", NULL
};

#define GW_ID		UINT64_C(0x1122334455667788)
#define SET_ID		7
#define GROUP_ID	0x42
#define EPOCH		5
#define T0		UINT64_C(1767225600)	/* 2026-01-01 UTC */
#define LIFE		86400

/* ---- output helpers ---------------------------------------------- */

static void put_hex(FILE *f, const char *key, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(f, "%s = ", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('\n', f);
}

static void put_u64(FILE *f, const char *key, uint64_t v)
{
	fprintf(f, "%s = %llu\n", key, (unsigned long long)v);
}

/* Ascending list as ranges: "0-3,5,9-10". */
static void put_list(FILE *f, const char *key, const uint32_t *m, size_t n)
{
	size_t i = 0, j;

	fprintf(f, "%s = ", key);
	while (i < n) {
		for (j = i; j + 1 < n && m[j + 1] == m[j] + 1; j++)
			;
		fprintf(f, "%s%u", i ? "," : "", m[i]);
		if (j > i)
			fprintf(f, "-%u", m[j]);
		i = j + 1;
	}
	fputc('\n', f);
}

/* ---- cases --------------------------------------------------------- */

#define MAXP	12

struct vcase {
	const char *name;
	unsigned int h;
	uint32_t assigned;	/* slots 0..assigned-1 handed out */
	uint32_t revoked[4];	/* then revoked, before the blob */
	unsigned int nrevoked;
	uint32_t members[8];	/* nmembers == 0: every live slot */
	unsigned int nmembers;
	int random_members;	/* each live slot with probability 1/2 */
	/* GKDKs to try; a slot >= assigned joins after the blob. */
	uint32_t probe[MAXP];
	unsigned int nprobe;
};

static const struct vcase cases[] = {
	{ "cs-h1-one", 1, 2, {}, 0, { 0 }, 1, 0, { 0, 1 }, 2 },
	{ "cs-h1-all", 1, 2, {}, 0, {}, 0, 0, { 0, 1 }, 2 },
	{ "cs-h3-mixed", 3, 8, {}, 0, { 0, 1, 2, 3, 5, 6 }, 6, 0,
	  { 0, 1, 2, 3, 4, 5, 6, 7 }, 8 },
	{ "cs-h4-revoked", 4, 12, { 4, 9 }, 2, {}, 0, 0,
	  { 0, 3, 4, 5, 9, 11, 12 }, 7 },
	{ "cs-h8-random", 8, 256, {}, 0, {}, 0, 1,
	  { 0, 1, 2, 77, 128, 200, 254, 255 }, 8 },
	{ "cs-h16-small", 16, 10, { 3 }, 1, {}, 0, 0,
	  { 0, 2, 3, 8, 9, 10, 65535 }, 7 },
	{ "cs-h16-root", 16, 65536, {}, 0, {}, 0, 0, { 0, 40000, 65535 }, 3 },
	{ "cs-h20-max", 20, 1048576, {}, 0, { 0, 1, 1048575 }, 3, 0,
	  { 0, 1, 2, 1048574, 1048575 }, 5 },
};

struct built {
	const struct vcase *c;
	struct cpns_kms *kms;
	struct cpns_gk_params p;
	uint32_t *members;
	size_t n;
	uint8_t gk[CPNS_KEY_LEN];
	uint8_t *blob;
	size_t len;
	struct cpns_gkdk g[MAXP];
};

static void free_case(struct built *b)
{
	unsigned int i;

	cpns_kms_free(b->kms);
	free(b->members);
	free(b->blob);
	for (i = 0; i < MAXP; i++)
		cpns_gkdk_wipe(&b->g[i]);
	OPENSSL_cleanse(b->gk, sizeof(b->gk));
}

static int pick_members(struct built *b)
{
	const struct vcase *c = b->c;
	uint32_t s, nslots = UINT32_C(1) << c->h;
	uint8_t coin[1];
	unsigned int i;
	int ret;

	b->members = malloc(nslots * sizeof(*b->members));
	if (!b->members)
		return CPNS_KE_NOMEM;
	if (c->nmembers) {
		for (i = 0; i < c->nmembers; i++)
			b->members[b->n++] = c->members[i];
		return 0;
	}
	for (s = 0; s < nslots; s++) {
		if (cpns_kms_slot_state(b->kms, s) != CPNS_SLOT_ASSIGNED)
			continue;
		if (c->random_members) {
			ret = cpns_random_bytes(coin, 1);
			if (ret)
				return ret;
			if (coin[0] & 1)
				continue;
		}
		b->members[b->n++] = s;
	}
	return 0;
}

static int build_case_rng(struct built *b)
{
	const struct vcase *c = b->c;
	uint8_t master[CPNS_MASTER_LEN];
	unsigned int i;
	uint32_t s;
	int ret;

	ret = cpns_random_bytes(master, sizeof(master));
	if (!ret)
		ret = cpns_kms_from_master(&b->kms, GW_ID, SET_ID, c->h,
					   master);
	OPENSSL_cleanse(master, sizeof(master));
	for (s = 0; !ret && s < c->assigned; s++)
		ret = cpns_kms_slot_set(b->kms, s, CPNS_SLOT_ASSIGNED);
	/* GKDKs of the PNEs present now, revoked ones included. */
	for (i = 0; !ret && i < c->nprobe; i++)
		if (c->probe[i] < c->assigned)
			ret = cpns_gkdk_create(b->kms, CPNS_SCHEME_CS,
					       c->probe[i], &b->g[i]);
	for (i = 0; !ret && i < c->nrevoked; i++)
		ret = cpns_kms_slot_set(b->kms, c->revoked[i],
					CPNS_SLOT_REVOKED);
	if (!ret)
		ret = pick_members(b);
	if (!ret)
		ret = cpns_random_bytes(b->gk, sizeof(b->gk));
	b->p.scheme = CPNS_SCHEME_CS;
	b->p.group_id = GROUP_ID;
	b->p.epoch = EPOCH;
	b->p.valid_from = T0;
	b->p.valid_until = T0 + LIFE;
	if (!ret)
		ret = cpns_gk_build(b->kms, &b->p, b->members, b->n, b->gk,
				    &b->blob, &b->len);
	/* PNEs that join after this epoch's blob was made. */
	for (i = 0; !ret && i < c->nprobe; i++) {
		if (c->probe[i] < c->assigned)
			continue;
		ret = cpns_kms_slot_set(b->kms, c->probe[i],
					CPNS_SLOT_ASSIGNED);
		if (!ret)
			ret = cpns_gkdk_create(b->kms, CPNS_SCHEME_CS,
					       c->probe[i], &b->g[i]);
	}
	return ret;
}

/* Build case @c with its own deterministic randomness. */
static int build_case(const struct vcase *c, struct built *b)
{
	struct cpns_test_rng rng;
	char label[128];
	int ret;

	memset(b, 0, sizeof(*b));
	b->c = c;
	snprintf(label, sizeof(label), "cpns-vectors/%s", c->name);
	ret = cpns_test_rng_init(&rng, label);
	if (ret)
		return ret;
	cpns_random_set_hook(cpns_test_rng_fill, &rng);
	ret = build_case_rng(b);
	cpns_random_set_hook(NULL, NULL);
	cpns_test_rng_free(&rng);
	if (ret)
		free_case(b);
	return ret;
}

static const struct vcase *find_case(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

/* ---- cs-open.vec ---------------------------------------------------- */

static int emit_open_note(FILE *f, const char *name, const struct built *b,
			  const struct cpns_gkdk *g, const uint8_t *blob,
			  size_t len, const struct cpns_gk_expect *x, int want,
			  const char *note)
{
	uint8_t enc[CPNS_GKDK_MAX_LEN], gk[CPNS_KEY_LEN], fp[CPNS_FP_LEN];
	struct cpns_gk_view v;
	size_t elen, i;
	int ret;

	ret = cpns_gkdk_encode(g, enc, sizeof(enc), &elen);
	if (ret)
		return ret;
	ret = cpns_gk_open(g, blob, len, x, gk, NULL);
	if (ret != want) {
		fprintf(stderr, "cpns-vectors: %s slot %u: got %s, want %s\n",
			name, g->slot, cpns_kerr_name(ret),
			cpns_kerr_name(want));
		ret = CPNS_KE_INVAL;
		goto out;
	}
	fprintf(f, "case = %s\n", name);
	put_u64(f, "height", b->c->h);
	put_list(f, "members", b->members, b->n);
	if (!cpns_gk_parse(blob, len, &v)) {
		fprintf(f, "cover = ");
		for (i = 0; i < v.hdr.count; i++)
			fprintf(f, "%s%u", i ? "," : "",
				cpns_get_be32(blob + CPNS_GK_HDR_LEN + 4 * i));
		fputc('\n', f);
	}
	put_u64(f, "slot", g->slot);
	put_hex(f, "gkdk", enc, elen);
	put_hex(f, "blob", blob, len);
	if (x && (x->flags & CPNS_GKX_GROUP))
		put_u64(f, "expect_group", x->group_id);
	if (x && (x->flags & CPNS_GKX_EPOCH))
		put_u64(f, "expect_min_epoch", x->min_epoch);
	if (x && (x->flags & CPNS_GKX_TIME))
		put_u64(f, "now", x->now);
	if (note)
		fputs(note, f);
	fprintf(f, "result = %s\n", cpns_kerr_name(want));
	if (!want) {
		put_hex(f, "gk", gk, sizeof(gk));
		ret = cpns_gk_fingerprint(gk, fp);
		if (ret)
			goto out;
		put_hex(f, "gk_fp", fp, sizeof(fp));
	}
	ret = cpns_gkdk_fingerprint(g, fp);
	if (!ret)
		put_hex(f, "gkdk_fp", fp, sizeof(fp));
	fputc('\n', f);
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(gk, sizeof(gk));
	return ret;
}

static int emit_open(FILE *f, const char *name, const struct built *b,
		     const struct cpns_gkdk *g, const uint8_t *blob,
		     size_t len, const struct cpns_gk_expect *x, int want)
{
	return emit_open_note(f, name, b, g, blob, len, x, want, NULL);
}

static int is_member(const struct built *b, uint32_t slot)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->members[i] == slot)
			return 1;
	return 0;
}

/* One record per probe slot of every case. */
static int gen_open_cases(FILE *f)
{
	size_t k;
	int ret = 0;

	for (k = 0; !ret && k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct vcase *c = &cases[k];
		struct built b;
		unsigned int i;
		char name[96];

		ret = build_case(c, &b);
		if (ret)
			break;
		for (i = 0; !ret && i < c->nprobe; i++) {
			int want = is_member(&b, c->probe[i]) ?
				   CPNS_KE_OK : CPNS_KE_NOT_MEMBER;

			snprintf(name, sizeof(name), "%s/slot-%u", c->name,
				 c->probe[i]);
			ret = emit_open(f, name, &b, &b.g[i], b.blob, b.len,
					NULL, want);
		}
		free_case(&b);
	}
	return ret;
}

struct tamper {
	const char *name;
	int probe;		/* index into the probe list */
	int off;		/* byte to change; < 0 counts from the end */
	uint8_t xor;		/* 0: set to @set instead */
	uint8_t set;
	int resize;		/* new length relative to the blob's */
	int want;
};

/*
 * Tampered copies of cs-h3-mixed (h = 3, cover 2,13,14, 3 entries:
 * ids at 64..75, wraps at 76 + 60*i, seal at 256..315, length 316).
 */
static const struct tamper tampers[] = {
	{ "version", 0, 0, 0x01, 0, 0, CPNS_KE_VERSION },
	{ "scheme-unspec", 0, 1, 0, 0, 0, CPNS_KE_SCHEME },
	{ "scheme-unknown", 0, 1, 0, 2, 0, CPNS_KE_SCHEME },
	{ "height-0", 0, 2, 0, 0, 0, CPNS_KE_HEIGHT },
	{ "height-21", 0, 2, 0, 21, 0, CPNS_KE_HEIGHT },
	{ "reserved", 0, 3, 0x80, 0, 0, CPNS_KE_RESERVED },
	{ "set-id", 0, 7, 0x01, 0, 0, CPNS_KE_GKDK_KEYSET },
	{ "gateway-id", 0, 15, 0x01, 0, 0, CPNS_KE_GKDK_GATEWAY },
	{ "group-id", 0, 19, 0x01, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "count-0", 0, 23, 0, 0, 0, CPNS_KE_COUNT },
	{ "count-5", 0, 23, 0, 5, 0, CPNS_KE_COUNT },
	{ "count-2", 0, 23, 0, 2, 0, CPNS_KE_TRAILING },
	{ "count-4", 0, 23, 0, 4, 0, CPNS_KE_TRUNCATED },
	{ "epoch", 0, 31, 0x01, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "valid-from", 0, 39, 0x01, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "lifetime", 0, 44, 0, 0, 0, CPNS_KE_LIFETIME },
	{ "salt", 0, 48, 0x01, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "node-0", 0, 67, 0, 0, 0, CPNS_KE_NODE_RANGE },
	{ "node-16", 0, 67, 0, 16, 0, CPNS_KE_NODE_RANGE },
	{ "order", 0, 67, 0, 14, 0, CPNS_KE_COVER_ORDER },
	{ "overlap", 0, 71, 0, 2, 0, CPNS_KE_COVER_OVERLAP },
	{ "descendant", 0, 71, 0, 5, 0, CPNS_KE_COVER_OVERLAP },
	/* Ancestors of the previous entry: the first slot decides. */
	{ "ancestor-same-first", 0, 71, 0, 1, 0, CPNS_KE_COVER_OVERLAP },
	{ "ancestor-earlier", 0, 75, 0, 3, 0, CPNS_KE_COVER_ORDER },
	{ "not-minimal", 0, 67, 0, 12, 0, CPNS_KE_COVER_NOT_MINIMAL },
	{ "cover-moved", 4, 71, 0, 12, 0, CPNS_KE_WRAP_AUTH },
	{ "cover-dropped", 5, 71, 0, 12, 0, CPNS_KE_NOT_MEMBER },
	{ "own-wrap-nonce", 0, 76, 0x01, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "own-wrap-key", 0, 88, 0x01, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "own-wrap-tag", 0, 135, 0x80, 0, 0, CPNS_KE_WRAP_AUTH },
	{ "other-wrap", 0, 136 + 20, 0x01, 0, 0, CPNS_KE_SEAL_AUTH },
	{ "seal-nonce", 0, -60, 0x01, 0, 0, CPNS_KE_SEAL_AUTH },
	{ "seal-key", 0, -40, 0x01, 0, 0, CPNS_KE_SEAL_AUTH },
	{ "seal-tag", 0, -1, 0x01, 0, 0, CPNS_KE_SEAL_AUTH },
	{ "truncated-header", 0, 0, 0, 0, -(316 - 63), CPNS_KE_TRUNCATED },
	{ "truncated-1", 0, 0, 0, 0, -1, CPNS_KE_TRUNCATED },
	{ "trailing-1", 0, 0, 0, 0, 1, CPNS_KE_TRAILING },
};

static int gen_open_tamper(FILE *f)
{
	const struct vcase *c = find_case("cs-h3-mixed");
	struct cpns_gk_expect x;
	struct cpns_gkdk g;
	struct built b, o;
	uint8_t *t = NULL;
	size_t i, len;
	char name[96];
	int ret;

	ret = build_case(c, &b);
	if (ret)
		return ret;
	if (b.len != 316) {
		ret = CPNS_KE_INVAL;
		goto out;
	}
	t = malloc(b.len + 1);
	if (!t) {
		ret = CPNS_KE_NOMEM;
		goto out;
	}
	for (i = 0; !ret && i < sizeof(tampers) / sizeof(tampers[0]); i++) {
		const struct tamper *tp = &tampers[i];
		int off = tp->off < 0 ? (int)b.len + tp->off : tp->off;

		memcpy(t, b.blob, b.len);
		t[b.len] = 0;
		len = b.len + tp->resize;
		if (!tp->resize && tp->xor)
			t[off] ^= tp->xor;
		else if (!tp->resize)
			t[off] = tp->set;
		snprintf(name, sizeof(name), "tamper/%s", tp->name);
		ret = emit_open(f, name, &b, &b.g[tp->probe], t, len, NULL,
				tp->want);
	}
	/* Replays and stale blobs, refused before any cryptography. */
	memset(&x, 0, sizeof(x));
	x.flags = CPNS_GKX_GROUP;
	x.group_id = GROUP_ID + 1;
	if (!ret)
		ret = emit_open(f, "replay/other-group", &b, &b.g[0], b.blob,
				b.len, &x, CPNS_KE_GROUP);
	x.flags = CPNS_GKX_GROUP | CPNS_GKX_EPOCH | CPNS_GKX_TIME;
	x.group_id = GROUP_ID;
	x.min_epoch = EPOCH + 1;
	x.now = T0;
	if (!ret)
		ret = emit_open(f, "replay/stale-epoch", &b, &b.g[0], b.blob,
				b.len, &x, CPNS_KE_STALE_EPOCH);
	x.min_epoch = EPOCH;
	x.now = T0 - 1;
	if (!ret)
		ret = emit_open(f, "time/not-yet-valid", &b, &b.g[0], b.blob,
				b.len, &x, CPNS_KE_NOT_YET_VALID);
	x.now = T0 + LIFE;
	if (!ret)
		ret = emit_open(f, "time/expired", &b, &b.g[0], b.blob, b.len,
				&x, CPNS_KE_EXPIRED);
	x.now = T0 + LIFE - 1;
	if (!ret)
		ret = emit_open(f, "time/last-second", &b, &b.g[0], b.blob,
				b.len, &x, CPNS_KE_OK);
	/* GKDKs of the same slot from a tree that differs in one thing. */
	g = b.g[0];
	g.height = 4;
	g.nkeys = 5;
	if (!ret)
		ret = emit_open(f, "gkdk/other-height", &b, &g, b.blob, b.len,
				NULL, CPNS_KE_GKDK_HEIGHT);
	cpns_gkdk_wipe(&g);
	/* cs-h3-mixed's blob under the GKDKs of another case's tree. */
	if (!ret)
		ret = build_case(find_case("cs-h1-one"), &o);
	if (!ret) {
		o.g[0].height = 3;
		o.g[0].nkeys = 4;
		memcpy(o.g[0].keys[2], o.g[0].keys[0], 2 * CPNS_KEY_LEN);
		ret = emit_open(f, "gkdk/other-master", &b, &o.g[0], b.blob,
				b.len, NULL, CPNS_KE_WRAP_AUTH);
		free_case(&o);
	}
out:
	free(t);
	free_case(&b);
	return ret;
}

/*
 * Two faults per record, in checks next to each other in the documented
 * order (keys.rst, "Decrypting"): the earlier check's result is the
 * record's, so an implementation that makes the later check first gives
 * the other fault's result.  Each fault is also tried alone here, and the
 * generator refuses a pair unless each alone gives its own, different,
 * result (selftests/vectors/README, "Check order").
 */
struct fault {
	int nbytes;		/* 0 or 1 byte edit */
	int off;
	uint8_t xor;		/* 0: set to @set */
	uint8_t set;
	int resize;
	uint64_t gw_xor;	/* GKDK changes */
	uint32_t set_xor;
	unsigned int height;
	int probe;		/* > 0: another GKDK of the case */
	uint32_t xflags;	/* caller's expectations */
	uint32_t group;
	uint64_t min_epoch;
	uint64_t now;
};

#define F_BYTE(o, v)	{ .nbytes = 1, .off = (o), .set = (v) }
#define F_XOR(o, v)	{ .nbytes = 1, .off = (o), .xor = (v) }

static const struct fault
	f_short = { .resize = -(316 - 63) },
	f_version = F_BYTE(0, 2),
	f_scheme = F_BYTE(1, 9),
	f_height0 = F_BYTE(2, 0),
	f_height21 = F_BYTE(2, 21),
	f_reserved = F_BYTE(3, 1),
	f_lifetime = F_BYTE(44, 0),
	f_count0 = F_BYTE(23, 0),
	f_trailing = { .resize = 1 },
	f_truncated = { .resize = -1 },
	f_order = F_BYTE(67, 14),	/* entry 0: 14, before 13 */
	f_overlap1 = F_BYTE(71, 5),	/* entry 1: 5, inside 2 */
	f_range2 = F_BYTE(75, 16),	/* entry 2: 16, outside h = 3 */
	f_minimal1 = F_BYTE(71, 3),	/* entry 1: 3, sibling of 2 */
	f_order2 = F_BYTE(75, 5),	/* entry 2: 5, slots 2-3 */
	f_gateway = { .gw_xor = 1 },
	f_keyset = { .set_xor = 1 },
	f_gkheight = { .height = 4 },
	f_group = { .xflags = CPNS_GKX_GROUP, .group = GROUP_ID + 1 },
	f_stale = { .xflags = CPNS_GKX_EPOCH, .min_epoch = EPOCH + 1 },
	f_early = { .xflags = CPNS_GKX_TIME, .now = T0 - 1 },
	f_late = { .xflags = CPNS_GKX_TIME, .now = T0 + LIFE },
	f_outsider = { .probe = 4 },	/* slot 4 is no member */
	f_wrap = F_XOR(135, 0x80),	/* slot 0's wrap tag */
	f_seal = F_XOR(-1, 0x01);	/* the seal's tag */

static const struct order_pair {
	const char *name;
	const struct fault *a, *b;	/* a is checked first */
	int want_a, want_b;
} order_pairs[] = {
	{ "truncated+version", &f_short, &f_version,
	  CPNS_KE_TRUNCATED, CPNS_KE_VERSION },
	{ "version+scheme", &f_version, &f_scheme,
	  CPNS_KE_VERSION, CPNS_KE_SCHEME },
	{ "scheme+height", &f_scheme, &f_height0,
	  CPNS_KE_SCHEME, CPNS_KE_HEIGHT },
	{ "height+reserved", &f_height21, &f_reserved,
	  CPNS_KE_HEIGHT, CPNS_KE_RESERVED },
	{ "reserved+lifetime", &f_reserved, &f_lifetime,
	  CPNS_KE_RESERVED, CPNS_KE_LIFETIME },
	{ "lifetime+count", &f_lifetime, &f_count0,
	  CPNS_KE_LIFETIME, CPNS_KE_COUNT },
	{ "count+length", &f_count0, &f_trailing,
	  CPNS_KE_COUNT, CPNS_KE_TRAILING },
	{ "length+cover", &f_truncated, &f_order,
	  CPNS_KE_TRUNCATED, CPNS_KE_COVER_ORDER },
	{ "cover-entry+node-range", &f_overlap1, &f_range2,
	  CPNS_KE_COVER_OVERLAP, CPNS_KE_NODE_RANGE },
	{ "cover-entry+order", &f_minimal1, &f_order2,
	  CPNS_KE_COVER_NOT_MINIMAL, CPNS_KE_COVER_ORDER },
	{ "cover+gateway", &f_order, &f_gateway,
	  CPNS_KE_COVER_ORDER, CPNS_KE_GKDK_GATEWAY },
	{ "gateway+keyset", &f_gateway, &f_keyset,
	  CPNS_KE_GKDK_GATEWAY, CPNS_KE_GKDK_KEYSET },
	{ "keyset+height", &f_keyset, &f_gkheight,
	  CPNS_KE_GKDK_KEYSET, CPNS_KE_GKDK_HEIGHT },
	{ "height+group", &f_gkheight, &f_group,
	  CPNS_KE_GKDK_HEIGHT, CPNS_KE_GROUP },
	{ "group+stale", &f_group, &f_stale,
	  CPNS_KE_GROUP, CPNS_KE_STALE_EPOCH },
	{ "stale+not-yet-valid", &f_stale, &f_early,
	  CPNS_KE_STALE_EPOCH, CPNS_KE_NOT_YET_VALID },
	{ "stale+expired", &f_stale, &f_late,
	  CPNS_KE_STALE_EPOCH, CPNS_KE_EXPIRED },
	{ "not-yet-valid+not-member", &f_early, &f_outsider,
	  CPNS_KE_NOT_YET_VALID, CPNS_KE_NOT_MEMBER },
	{ "expired+not-member", &f_late, &f_outsider,
	  CPNS_KE_EXPIRED, CPNS_KE_NOT_MEMBER },
	{ "wrap+seal", &f_wrap, &f_seal,
	  CPNS_KE_WRAP_AUTH, CPNS_KE_SEAL_AUTH },
};

/* Apply @f to the blob copy @t (length *@len), GKDK @g, expectations @x. */
static void fault_apply(const struct fault *f, const struct built *b,
			uint8_t *t, size_t *len, struct cpns_gkdk *g,
			struct cpns_gk_expect *x)
{
	int off = f->off < 0 ? (int)b->len + f->off : f->off;

	if (f->nbytes && f->xor)
		t[off] ^= f->xor;
	else if (f->nbytes)
		t[off] = f->set;
	*len += f->resize;
	if (f->probe)
		*g = b->g[f->probe];
	g->gateway_id ^= f->gw_xor;
	g->set_id ^= f->set_xor;
	if (f->height) {
		g->height = f->height;
		g->nkeys = f->height + 1;
	}
	x->flags |= f->xflags;
	if (f->xflags & CPNS_GKX_GROUP)
		x->group_id = f->group;
	if (f->xflags & CPNS_GKX_EPOCH)
		x->min_epoch = f->min_epoch;
	if (f->xflags & CPNS_GKX_TIME)
		x->now = f->now;
}

/* The blob, GKDK and expectations with the faults of @fs applied. */
static void faulted(const struct built *b, const struct fault *const *fs,
		    int n, uint8_t *t, size_t *len, struct cpns_gkdk *g,
		    struct cpns_gk_expect *x)
{
	int i;

	memcpy(t, b->blob, b->len);
	t[b->len] = 0;
	*len = b->len;
	*g = b->g[0];
	memset(x, 0, sizeof(*x));
	/* Unset expectations hold: only the faults' own ones fail. */
	x->group_id = GROUP_ID;
	x->min_epoch = EPOCH;
	x->now = T0;
	for (i = 0; i < n; i++)
		fault_apply(fs[i], b, t, len, g, x);
}

static int gen_open_order(FILE *f)
{
	struct cpns_gk_expect x;
	uint8_t *t, gk[CPNS_KEY_LEN];
	struct cpns_gkdk g;
	struct built b;
	char name[96], note[96];
	size_t i, len;
	int ret, r;

	ret = build_case(find_case("cs-h3-mixed"), &b);
	if (ret)
		return ret;
	t = malloc(b.len + 1);
	if (!t)
		ret = CPNS_KE_NOMEM;
	for (i = 0; !ret && i < sizeof(order_pairs) / sizeof(order_pairs[0]);
	     i++) {
		const struct order_pair *p = &order_pairs[i];
		const struct fault *both[2] = { p->a, p->b };
		int k;

		/* Each fault alone gives its own result, and they differ. */
		for (k = 0; k < 2 && !ret; k++) {
			faulted(&b, &both[k], 1, t, &len, &g, &x);
			r = cpns_gk_open(&g, t, len, &x, gk, NULL);
			if (r != (k ? p->want_b : p->want_a) ||
			    p->want_a == p->want_b) {
				fprintf(stderr, "cpns-vectors: order/%s: fault "
					"%d alone gives %s\n", p->name, k,
					cpns_kerr_name(r));
				ret = CPNS_KE_INVAL;
			}
			cpns_gkdk_wipe(&g);
		}
		if (ret)
			break;
		faulted(&b, both, 2, t, &len, &g, &x);
		snprintf(name, sizeof(name), "order/%s", p->name);
		snprintf(note, sizeof(note), "second = %s\n",
			 cpns_kerr_name(p->want_b));
		ret = emit_open_note(f, name, &b, &g, t, len,
				     x.flags ? &x : NULL, p->want_a, note);
		cpns_gkdk_wipe(&g);
	}
	OPENSSL_cleanse(gk, sizeof(gk));
	free(t);
	free_case(&b);
	return ret;
}

static int gen_open(FILE *f)
{
	int ret;

	fprintf(f, "# cpns key hierarchy vectors: opening encrypted Group "
		"Keys (scheme cs).\n# Format: selftests/vectors/README.  "
		"Regenerate: build/tools/cpns-vectors selftests/vectors\n\n");
	ret = gen_open_cases(f);
	if (!ret)
		ret = gen_open_tamper(f);
	if (!ret)
		ret = gen_open_order(f);
	return ret;
}

/* ---- cs-gkdk.vec ---------------------------------------------------- */

static void emit_gkdk_raw(FILE *f, const char *name, const uint8_t *p,
			  size_t len)
{
	struct cpns_gkdk g;
	uint8_t fp[CPNS_FP_LEN];
	int ret = cpns_gkdk_decode(&g, p, len);

	fprintf(f, "case = %s\n", name);
	put_hex(f, "gkdk", p, len);
	fprintf(f, "result = %s\n", cpns_kerr_name(ret));
	if (!ret) {
		put_u64(f, "scheme", g.scheme);
		put_u64(f, "height", g.height);
		put_u64(f, "set_id", g.set_id);
		put_u64(f, "gateway_id", g.gateway_id);
		put_u64(f, "slot", g.slot);
		if (!cpns_gkdk_fingerprint(&g, fp))
			put_hex(f, "gkdk_fp", fp, sizeof(fp));
	}
	fputc('\n', f);
	cpns_gkdk_wipe(&g);
}

static int gen_gkdk(FILE *f)
{
	static const char *const names[] = {
		"cs-h1-one", "cs-h4-revoked", "cs-h16-small", "cs-h20-max"
	};
	uint8_t enc[CPNS_GKDK_MAX_LEN + 1];
	struct built b;
	char name[96];
	size_t i, len;
	int ret = 0;

	fprintf(f, "# cpns key hierarchy vectors: GKDK encodings (scheme "
		"cs).\n# Format: selftests/vectors/README.  Regenerate: "
		"build/tools/cpns-vectors selftests/vectors\n\n");
	for (i = 0; !ret && i < sizeof(names) / sizeof(names[0]); i++) {
		ret = build_case(find_case(names[i]), &b);
		if (ret)
			break;
		ret = cpns_gkdk_encode(&b.g[1], enc, sizeof(enc), &len);
		if (!ret) {
			snprintf(name, sizeof(name), "%s/slot-%u", names[i],
				 b.g[1].slot);
			emit_gkdk_raw(f, name, enc, len);
		}
		free_case(&b);
	}
	if (ret)
		return ret;
	/* Malformed variants of the cs-h4-revoked GKDK of slot 3. */
	ret = build_case(find_case("cs-h4-revoked"), &b);
	if (ret)
		return ret;
	ret = cpns_gkdk_encode(&b.g[1], enc, sizeof(enc), &len);
	free_case(&b);
	if (ret)
		return ret;
#define VARIANT(n, stmt, l) do {				\
		uint8_t t[sizeof(enc)];				\
								\
		memcpy(t, enc, sizeof(enc));			\
		stmt;						\
		emit_gkdk_raw(f, "malformed/" n, t, (l));	\
		OPENSSL_cleanse(t, sizeof(t));			\
	} while (0)
	VARIANT("empty", (void)0, 0);
	VARIANT("short-header", (void)0, 19);
	VARIANT("version", t[0] = 2, len);
	VARIANT("scheme-unspec", t[1] = 0, len);
	VARIANT("scheme-unknown", t[1] = 9, len);
	VARIANT("height-0", t[2] = 0, len);
	VARIANT("height-21", t[2] = 21, len);
	VARIANT("reserved", t[3] = 1, len);
	VARIANT("height-grows", t[2] = 5, len);
	VARIANT("height-shrinks", t[2] = 3, len);
	VARIANT("keys-truncated", (void)0, len - 1);
	VARIANT("trailing", t[len] = 0, len + 1);
	VARIANT("slot-16", t[19] = 16, len);
	VARIANT("slot-max", t[16] = 0xff, len);
	VARIANT("slot-15", t[19] = 15, len);
#undef VARIANT
	OPENSSL_cleanse(enc, sizeof(enc));
	return 0;
}

/* ---- cs-kdf.vec ----------------------------------------------------- */

static int gen_kdf(FILE *f)
{
	static const struct {
		unsigned int h;
		uint32_t node;
	} nodes[] = {
		{ 1, 1 }, { 1, 2 }, { 1, 3 }, { 3, 1 }, { 3, 5 }, { 3, 13 },
		{ 16, 1 }, { 16, 65536 }, { 16, 131071 }, { 20, 1 },
		{ 20, 2097151 },
	};
	uint8_t master[CPNS_MASTER_LEN], key[CPNS_KEY_LEN], fp[CPNS_FP_LEN];
	struct cpns_kms *kms;
	struct cpns_kc kc;
	size_t i;
	int ret;

	fprintf(f, "# cpns key hierarchy vectors: node key derivation and "
		"fingerprints.\n# Format: selftests/vectors/README.  "
		"Regenerate: build/tools/cpns-vectors selftests/vectors\n\n");
	for (i = 0; i < sizeof(master); i++)
		master[i] = (uint8_t)i;
	ret = cpns_kc_init(&kc);
	if (ret)
		return ret;
	for (i = 0; !ret && i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		ret = cpns_kms_from_master(&kms, GW_ID, SET_ID, nodes[i].h,
					   master);
		if (ret)
			break;
		ret = cpns_kms_node_key(kms, &kc, nodes[i].node, key);
		if (!ret) {
			fprintf(f, "case = node-key/h%u-n%u\n", nodes[i].h,
				nodes[i].node);
			fprintf(f, "type = node_key\n");
			put_hex(f, "master", master, sizeof(master));
			put_u64(f, "gateway_id", GW_ID);
			put_u64(f, "set_id", SET_ID);
			put_u64(f, "height", nodes[i].h);
			put_u64(f, "node", nodes[i].node);
			put_hex(f, "prk", kms->prk, sizeof(kms->prk));
			put_hex(f, "key", key, sizeof(key));
			fputc('\n', f);
		}
		cpns_kms_free(kms);
	}
	cpns_kc_free(&kc);
	for (i = 0; !ret && i < 2; i++) {
		memset(key, i ? 0xff : 0, sizeof(key));
		ret = cpns_gk_fingerprint(key, fp);
		if (ret)
			break;
		fprintf(f, "case = gk-fp/%s\ntype = gk_fp\n",
			i ? "ones" : "zeros");
		put_hex(f, "gk", key, sizeof(key));
		put_hex(f, "gk_fp", fp, sizeof(fp));
		fputc('\n', f);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* ---- cs-sig.vec ----------------------------------------------------- */

static void emit_sig(FILE *f, const char *name, const uint8_t pk[32],
		     const uint8_t *m, size_t len)
{
	size_t bl;
	int ret = cpns_gkn_verify(pk, m, len, &bl);

	fprintf(f, "case = %s\n", name);
	put_hex(f, "pk", pk, CPNS_SIG_KEY_LEN);
	put_hex(f, "notification", m, len);
	fprintf(f, "result = %s\n", cpns_kerr_name(ret));
	if (!ret)
		put_u64(f, "blob_len", bl);
	fputc('\n', f);
}

static int gen_sig(FILE *f)
{
	uint8_t sk[32], pk[32], sk2[32], pk2[32], *m = NULL;
	struct cpns_test_rng rng;
	struct built b;
	size_t len;
	int ret;

	fprintf(f, "# cpns key hierarchy vectors: gateway signatures over "
		"Group Key Notifications.\n# Format: selftests/vectors/"
		"README.  Regenerate: build/tools/cpns-vectors "
		"selftests/vectors\n\n");
	ret = build_case(find_case("cs-h3-mixed"), &b);
	if (ret)
		return ret;
	ret = cpns_test_rng_init(&rng, "cpns-vectors/sig");
	if (ret)
		goto out;
	cpns_random_set_hook(cpns_test_rng_fill, &rng);
	ret = cpns_sig_keygen(sk, pk);
	if (!ret)
		ret = cpns_sig_keygen(sk2, pk2);	/* another gateway */
	cpns_random_set_hook(NULL, NULL);
	cpns_test_rng_free(&rng);
	if (!ret)
		ret = cpns_gkn_sign(sk, b.blob, b.len, &m, &len);
	if (ret)
		goto out;
	emit_sig(f, "sig/valid", pk, m, len);
	emit_sig(f, "sig/other-gateway", pk2, m, len);
	m[30] ^= 0x04;
	emit_sig(f, "sig/blob-bit", pk, m, len);
	m[30] ^= 0x04;
	m[len - 1] ^= 0x01;
	emit_sig(f, "sig/sig-bit", pk, m, len);
	m[len - 1] ^= 0x01;
	emit_sig(f, "sig/short", pk, m, CPNS_SIG_LEN);
	emit_sig(f, "sig/blob-truncated", pk, m + 1, len - 1);
	free(m);
	m = NULL;
	/*
	 * The shortest notification: a one-byte blob, no blob at all for the
	 * parser, verifies; the signature layer does not look inside.
	 */
	ret = cpns_gkn_sign(sk, b.blob, 1, &m, &len);
	if (ret)
		goto out;
	emit_sig(f, "sig/one-byte-blob", pk, m, len);
	m[0] ^= 0x01;
	emit_sig(f, "sig/one-byte-blob-changed", pk, m, len);
out:
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(sk2, sizeof(sk2));
	free(m);
	free_case(&b);
	return ret;
}

int cpns_vec_render(const char *name, char **out, size_t *len)
{
	FILE *f;
	int ret;

	*out = NULL;
	*len = 0;
	f = open_memstream(out, len);
	if (!f)
		return CPNS_KE_NOMEM;
	if (!strcmp(name, "cs-open.vec"))
		ret = gen_open(f);
	else if (!strcmp(name, "cs-gkdk.vec"))
		ret = gen_gkdk(f);
	else if (!strcmp(name, "cs-kdf.vec"))
		ret = gen_kdf(f);
	else if (!strcmp(name, "cs-sig.vec"))
		ret = gen_sig(f);
	else if (!strcmp(name, "fastpath.vec"))
		ret = cpns_vec_fastpath(f);
	else
		ret = CPNS_KE_INVAL;
	if (fclose(f) && !ret)
		ret = CPNS_KE_NOMEM;
	if (ret) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return ret;
}

/* ---- reader ----------------------------------------------------------- */

void cpns_vec_rec_free(struct cpns_vec_rec *r)
{
	int i;

	for (i = 0; i < r->n; i++) {
		free(r->key[i]);
		free(r->val[i]);
	}
	r->n = 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = 0;
	return s;
}

int cpns_vec_next(FILE *f, unsigned int *lineno, struct cpns_vec_rec *r)
{
	char *line = NULL, *s, *eq;
	size_t cap = 0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	while (getline(&line, &cap, f) > 0) {
		(*lineno)++;
		s = trim(line);
		if (*s == '#')
			continue;
		if (!*s) {
			if (r->n)
				break;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq || r->n == CPNS_VEC_FIELDS) {
			ret = -1;
			break;
		}
		*eq = 0;
		if (!r->n)
			r->line = *lineno;
		r->key[r->n] = strdup(trim(s));
		r->val[r->n] = strdup(trim(eq + 1));
		if (!r->key[r->n] || !r->val[r->n]) {
			free(r->key[r->n]);
			free(r->val[r->n]);
			ret = -1;
			break;
		}
		r->n++;
	}
	free(line);
	if (ret) {
		cpns_vec_rec_free(r);
		return -1;
	}
	return r->n ? 1 : 0;
}

const char *cpns_vec_get(const struct cpns_vec_rec *r, const char *key)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cpns_vec_hex(const char *s, uint8_t **buf, size_t *len)
{
	size_t n = strlen(s), i;
	uint8_t *b;

	*buf = NULL;
	*len = 0;
	if (n % 2)
		return CPNS_KE_INVAL;
	b = malloc(n / 2 + 1);
	if (!b)
		return CPNS_KE_NOMEM;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(b);
			return CPNS_KE_INVAL;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*buf = b;
	*len = n / 2;
	return 0;
}
