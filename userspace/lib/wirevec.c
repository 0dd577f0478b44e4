// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath.vec: sealed UDP payloads of the fast path and what a receiver
 * does with them (selftests/vectors/README).  Every record is checked
 * against the reference receiver before it is written.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyerr.h"
#include "keyvec.h"
#include "rand.h"
#include "wire.h"

#define SENDER_A	UINT64_C(0x0123456789abcdef)
#define SENDER_B	UINT64_C(0xfedcba9876543210)
#define MAX_PT		3000

struct fvec {
	uint8_t gk[2][CPNS_KEY_LEN];	/* A, B */
	uint8_t base[33 + CPNS_WIRE_OVERHEAD];	/* ok/odd */
	uint8_t empty[CPNS_WIRE_OVERHEAD];	/* ok/empty */
	uint8_t prior[33 + CPNS_WIRE_OVERHEAD];	/* seq 100 */
};

static void hexline(FILE *f, const char *key, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(f, "%s = ", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('\n', f);
}

/* A sealed payload's record: a new plaintext of @len from the stream. */
struct sealed {
	const char *name;
	int gk;			/* 0: A, 1: B */
	struct cpns_wire_params p;
	size_t len;
};

/*
 * Emit one record: the receiver holds key @rgk at @repoch for @rgroup
 * (replay-window 64) and gets @prior (when not NULL, it must open) then
 * @w; @want is what it must do with @w.
 */
static int emit(FILE *f, const char *name, const struct fvec *v, int rgk,
		uint32_t rgroup, uint64_t repoch, const uint8_t *prior,
		size_t plen, const uint8_t *w, size_t len,
		const struct sealed *s, const uint8_t *pt, int want)
{
	struct cpns_wire_rx rx = { .group = rgroup, .epoch = repoch,
				   .window = 64 };
	uint8_t *out = malloc(len + 1), key[CPNS_KEY_LEN];
	size_t olen;
	int ret = 0, r;

	if (!out)
		return CPNS_KE_NOMEM;
	memcpy(rx.gk, v->gk[rgk], CPNS_KEY_LEN);
	if (prior && cpns_wire_open(&rx, prior, plen, out, &olen)) {
		fprintf(stderr, "cpns-vectors: %s: prior refused\n", name);
		ret = CPNS_KE_INVAL;
		goto out;
	}
	r = cpns_wire_open(&rx, w, len, out, &olen);
	if (r != want || (!r && (!pt || olen != s->len ||
				 memcmp(out, pt, olen)))) {
		fprintf(stderr, "cpns-vectors: %s: receiver gives %s\n", name,
			cpns_wire_result_name(r));
		ret = CPNS_KE_INVAL;
		goto out;
	}
	fprintf(f, "case = %s\n", name);
	hexline(f, "gk", v->gk[rgk], CPNS_KEY_LEN);
	fprintf(f, "group = %u\nepoch = %llu\n", rgroup,
		(unsigned long long)repoch);
	if (s) {
		fprintf(f, "sender = %llu\nseq = %u\n",
			(unsigned long long)s->p.sender, s->p.seq);
		hexline(f, "plaintext", pt, s->len);
	}
	if (!want) {
		ret = cpns_wire_key(v->gk[rgk], rgroup, repoch, key);
		if (ret)
			goto out;
		hexline(f, "traffic_key", key, sizeof(key));
		OPENSSL_cleanse(key, sizeof(key));
	}
	if (prior)
		hexline(f, "prior", prior, plen);
	hexline(f, "payload", w, len);
	fprintf(f, "result = %s\n\n", cpns_wire_result_name(want));
out:
	OPENSSL_cleanse(&rx, sizeof(rx));
	free(out);
	return ret;
}

/* Seal @s with a fresh plaintext into @w (room for s->len + overhead). */
static int seal(const struct fvec *v, const struct sealed *s, uint8_t *pt,
		uint8_t *w)
{
	int ret = cpns_random_bytes(pt, s->len);

	if (!ret && cpns_wire_seal(v->gk[s->gk], &s->p, pt, s->len, w))
		ret = CPNS_KE_CRYPTO;
	return ret;
}

#define P(g, e, snd, q)	{ .group = (g), .epoch = (e), .sender = (snd), \
			  .seq = (q) }

static const struct sealed oks[] = {
	{ "ok/empty", 0, P(1, 1, SENDER_A, 1), 0 },
	{ "ok/one-byte", 0, P(1, 1, SENDER_A, 2), 1 },
	{ "ok/block", 0, P(1, 1, SENDER_A, 3), 16 },
	{ "ok/odd", 0, P(1, 1, SENDER_A, 4), 33 },
	{ "ok/mtu", 0, P(1, 1, SENDER_A, 5), 1428 },
	{ "ok/fragmented", 0, P(1, 1, SENDER_A, 6), 3000 },
	{ "ok/seq-max", 0, P(1, 1, SENDER_A, UINT32_MAX), 20 },
	{ "ok/large-fields", 1,
	  P(4000000000u, UINT64_C(1099511627783), SENDER_B, 1), 64 },
};

/* Sealed correctly, refused for a header field or the key. */
static const struct {
	struct sealed s;
	int want;
} refused[] = {
	{ { "malformed/other-group", 0, P(2, 1, SENDER_A, 7), 33 },
	  CPNS_WIRE_MALFORMED },
	{ { "malformed/seq-0", 0, P(1, 1, SENDER_A, 0), 33 },
	  CPNS_WIRE_MALFORMED },
	{ { "key-missing/newer-epoch", 0, P(1, 2, SENDER_A, 8), 33 },
	  CPNS_WIRE_KEY_MISSING },
	{ { "key-missing/older-epoch", 0, P(1, 0, SENDER_A, 9), 33 },
	  CPNS_WIRE_KEY_MISSING },
	{ { "auth/other-key", 1, P(1, 1, SENDER_A, 10), 33 },
	  CPNS_WIRE_AUTH_FAILED },
	/* Two faults: the header is checked before the key is looked up. */
	{ { "order/group+epoch", 0, P(2, 2, SENDER_A, 11), 33 },
	  CPNS_WIRE_MALFORMED },
};

/* ok/odd's payload (77 bytes) with one change. */
static const struct {
	const char *name;
	int len;		/* bytes kept; -1: all */
	int off;
	uint8_t xor;
	int want;
} edits[] = {
	{ "malformed/empty", 0, -1, 0, CPNS_WIRE_MALFORMED },
	{ "malformed/short-43", 43, -1, 0, CPNS_WIRE_MALFORMED },
	{ "malformed/header-only", 28, -1, 0, CPNS_WIRE_MALFORMED },
	{ "malformed/version-0", -1, 0, 0x01, CPNS_WIRE_MALFORMED },
	{ "malformed/version-3", -1, 0, 0x02, CPNS_WIRE_MALFORMED },
	{ "malformed/flags", -1, 1, 0x01, CPNS_WIRE_MALFORMED },
	{ "malformed/reserved-high", -1, 2, 0x80, CPNS_WIRE_MALFORMED },
	{ "malformed/reserved-low", -1, 3, 0x01, CPNS_WIRE_MALFORMED },
	{ "auth/tag", -1, 76, 0x01, CPNS_WIRE_AUTH_FAILED },
	{ "auth/ciphertext", -1, 28, 0x80, CPNS_WIRE_AUTH_FAILED },
	{ "auth/sender", -1, 16, 0x01, CPNS_WIRE_AUTH_FAILED },
	{ "auth/seq", -1, 27, 0x01, CPNS_WIRE_AUTH_FAILED },
};

static int gen(FILE *f, struct fvec *v)
{
	uint8_t *pt = malloc(MAX_PT), *w = malloc(MAX_PT + CPNS_WIRE_OVERHEAD);
	uint8_t t[sizeof(v->base)];
	size_t i;
	int ret;

	if (!pt || !w) {
		ret = CPNS_KE_NOMEM;
		goto out;
	}
	ret = cpns_random_bytes(v->gk, sizeof(v->gk));
	for (i = 0; !ret && i < sizeof(oks) / sizeof(oks[0]); i++) {
		const struct sealed *s = &oks[i];
		size_t len = s->len + CPNS_WIRE_OVERHEAD;

		ret = seal(v, s, pt, w);
		if (!ret)
			ret = emit(f, s->name, v, s->gk, s->p.group,
				   s->p.epoch, NULL, 0, w, len, s, pt,
				   CPNS_WIRE_OK);
		if (!strcmp(s->name, "ok/odd"))
			memcpy(v->base, w, len);
		if (!strcmp(s->name, "ok/empty"))
			memcpy(v->empty, w, len);
	}
	for (i = 0; !ret && i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct sealed *s = &refused[i].s;

		ret = seal(v, s, pt, w);
		if (!ret)
			ret = emit(f, s->name, v, 0, 1, 1, NULL, 0, w,
				   s->len + CPNS_WIRE_OVERHEAD, s, pt,
				   refused[i].want);
	}
	for (i = 0; !ret && i < sizeof(edits) / sizeof(edits[0]); i++) {
		memcpy(t, v->base, sizeof(t));
		if (edits[i].off >= 0)
			t[edits[i].off] ^= edits[i].xor;
		ret = emit(f, edits[i].name, v, 0, 1, 1, NULL, 0, t,
			   edits[i].len < 0 ? sizeof(t) :
			   (size_t)edits[i].len, NULL, NULL, edits[i].want);
	}
	if (!ret) {
		memcpy(t, v->empty, sizeof(v->empty));
		t[CPNS_WIRE_OVERHEAD - 1] ^= 0x01;
		ret = emit(f, "auth/empty-tag", v, 0, 1, 1, NULL, 0, t,
			   sizeof(v->empty), NULL, NULL,
			   CPNS_WIRE_AUTH_FAILED);
	}
	/* Replays: the receiver first hears the "prior" payload. */
	if (!ret)
		ret = emit(f, "replay/repeat", v, 0, 1, 1, v->base,
			   sizeof(v->base), v->base, sizeof(v->base), NULL,
			   NULL, CPNS_WIRE_REPLAYED);
	/* A replay with a bad tag: the tag is checked first. */
	if (!ret) {
		memcpy(t, v->base, sizeof(t));
		t[sizeof(t) - 1] ^= 0x01;
		ret = emit(f, "order/tag+replay", v, 0, 1, 1, v->base,
			   sizeof(v->base), t, sizeof(t), NULL, NULL,
			   CPNS_WIRE_AUTH_FAILED);
	}
	if (!ret) {
		static const struct sealed top = {
			"seq-100", 0, P(1, 1, SENDER_A, 100), 33
		};

		ret = seal(v, &top, pt, v->prior);
	}
	{
		static const struct {
			struct sealed s;
			int want;
		} win[] = {
			{ { "replay/window-last-inside", 0,
			    P(1, 1, SENDER_A, 37), 33 }, CPNS_WIRE_OK },
			{ { "replay/window-first-outside", 0,
			    P(1, 1, SENDER_A, 36), 33 }, CPNS_WIRE_REPLAYED },
			{ { "replay/other-sender", 0,
			    P(1, 1, SENDER_B, 1), 33 }, CPNS_WIRE_OK },
		};

		for (i = 0; !ret && i < sizeof(win) / sizeof(win[0]); i++) {
			ret = seal(v, &win[i].s, pt, w);
			if (!ret)
				ret = emit(f, win[i].s.name, v, 0, 1, 1,
					   v->prior, sizeof(v->prior), w,
					   33 + CPNS_WIRE_OVERHEAD, &win[i].s,
					   pt, win[i].want);
		}
	}
out:
	free(pt);
	free(w);
	return ret;
}

int cpns_vec_fastpath(FILE *f)
{
	struct cpns_test_rng rng;
	struct fvec v;
	int ret;

	fprintf(f, "# cpns fast path vectors: sealed UDP payloads and what a "
		"receiver does with them.\n# Format: selftests/vectors/"
		"README.  Regenerate: build/tools/cpns-vectors "
		"selftests/vectors\n\n");
	ret = cpns_test_rng_init(&rng, "cpns-vectors/fastpath");
	if (ret)
		return ret;
	cpns_random_set_hook(cpns_test_rng_fill, &rng);
	ret = gen(f, &v);
	cpns_random_set_hook(NULL, NULL);
	cpns_test_rng_free(&rng);
	OPENSSL_cleanse(&v, sizeof(v));
	return ret;
}
