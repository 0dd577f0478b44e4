// SPDX-License-Identifier: GPL-2.0
/*
 * selftests/vectors/fastpath.vec against the host reference of the wire
 * format (userspace/lib/wire.c): every payload gets its recorded outcome,
 * every opened one its plaintext, and sealing the recorded fields gives
 * the recorded bytes.  The traffic key is also derived with the key
 * hierarchy's HKDF (one HMAC), a second path to the same bytes.  Run
 * from the repository root.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "keycrypto.h"
#include "keyvec.h"
#include "wire.h"

#define VEC	"selftests/vectors/fastpath.vec"

static uint8_t *hexf(const struct cpns_vec_rec *r, const char *key,
		     size_t *len)
{
	const char *v = cpns_vec_get(r, key);
	uint8_t *b;

	*len = 0;
	if (!v || cpns_vec_hex(v, &b, len))
		return NULL;
	return b;
}

static unsigned long long num(const struct cpns_vec_rec *r, const char *k)
{
	const char *v = cpns_vec_get(r, k);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* HKDF-Expand as one HMAC, as keys.rst says it is for L = 32. */
static int hmac_key(const uint8_t *gk, uint32_t group, uint64_t epoch,
		    uint8_t out[CPNS_KEY_LEN])
{
	uint8_t info[15 + 12];
	struct cpns_kc kc;
	int i, ret;

	memcpy(info, "cpns-v1 traffic", 15);
	for (i = 0; i < 4; i++)
		info[15 + i] = (uint8_t)(group >> (24 - 8 * i));
	for (i = 0; i < 8; i++)
		info[19 + i] = (uint8_t)(epoch >> (56 - 8 * i));
	ret = cpns_kc_init(&kc);
	if (!ret)
		ret = cpns_kc_expand(&kc, gk, info, sizeof(info), out);
	cpns_kc_free(&kc);
	return ret;
}

TEST(fastpath_vectors)
{
	FILE *f = fopen(VEC, "r");
	unsigned int line = 0, n = 0, ok = 0, refused = 0;
	struct cpns_vec_rec r;

	ASSERT_NE(NULL, f) TH_LOG("%s missing (run from the repository root)",
				  VEC);
	while (cpns_vec_next(f, &line, &r) == 1) {
		const char *name = cpns_vec_get(&r, "case");
		int want = cpns_wire_result_from_name(cpns_vec_get(&r, "result") ?: "");
		struct cpns_wire_rx rx = { .window = 64 };
		uint8_t *gk, *w, *prior, *pt, *out, k1[32], k2[32];
		size_t gl, wl, pl, tl, ol;
		int res;

		ASSERT_NE(NULL, name);
		ASSERT_LE(0, want) TH_LOG("%s: unknown result", name);
		gk = hexf(&r, "gk", &gl);
		w = hexf(&r, "payload", &wl);
		prior = hexf(&r, "prior", &pl);
		ASSERT_NE(NULL, gk);
		ASSERT_EQ(CPNS_KEY_LEN, gl);
		ASSERT_NE(NULL, w);
		memcpy(rx.gk, gk, gl);
		rx.group = num(&r, "group");
		rx.epoch = num(&r, "epoch");
		out = malloc(wl + pl + 1);
		ASSERT_NE(NULL, out);
		if (prior)
			ASSERT_EQ(CPNS_WIRE_OK, cpns_wire_open(&rx, prior, pl,
							       out, &ol))
				TH_LOG("%s: prior refused", name);
		res = cpns_wire_open(&rx, w, wl, out, &ol);
		ASSERT_STREQ(cpns_wire_result_name(want),
			     cpns_wire_result_name(res)) TH_LOG("%s", name);
		if (res == CPNS_WIRE_OK) {
			struct cpns_wire_params p = {
				.group = rx.group, .epoch = rx.epoch,
				.sender = num(&r, "sender"),
				.seq = num(&r, "seq"),
			};
			uint8_t *again = malloc(wl), *tk;

			pt = hexf(&r, "plaintext", &tl);
			tk = hexf(&r, "traffic_key", &gl);
			ASSERT_NE(NULL, again);
			ASSERT_NE(NULL, pt) TH_LOG("%s: no plaintext", name);
			ASSERT_NE(NULL, tk) TH_LOG("%s: no traffic_key", name);
			ASSERT_EQ(tl, ol);
			ASSERT_EQ(0, memcmp(pt, out, ol));
			ASSERT_EQ(wl, tl + CPNS_WIRE_OVERHEAD);
			/* Sealing the recorded fields gives the same bytes. */
			ASSERT_EQ(0, cpns_wire_seal(gk, &p, pt, tl, again));
			ASSERT_EQ(0, memcmp(again, w, wl)) TH_LOG("%s", name);
			/* Two derivations of the traffic key agree. */
			ASSERT_EQ(0, cpns_wire_key(gk, p.group, p.epoch, k1));
			ASSERT_EQ(0, hmac_key(gk, p.group, p.epoch, k2));
			ASSERT_EQ(0, memcmp(k1, tk, 32));
			ASSERT_EQ(0, memcmp(k2, tk, 32));
			free(again);
			free(tk);
			free(pt);
			ok++;
		} else {
			refused++;
		}
		free(out);
		free(gk);
		free(w);
		free(prior);
		cpns_vec_rec_free(&r);
		n++;
	}
	fclose(f);
	TH_LOG("%u records: %u open, %u refused", n, ok, refused);
	ASSERT_GE(ok, 8);
	ASSERT_GE(refused, 20);
}

/* The reference refuses what is not its key's, before any decryption. */
TEST(reference_receiver)
{
	struct cpns_wire_params p = { .group = 9, .epoch = 3, .sender = 1,
				      .seq = 1 };
	struct cpns_wire_rx rx = { .group = 9, .epoch = 3, .window = 0 };
	uint8_t w[CPNS_WIRE_OVERHEAD + 4], pt[sizeof(w)];
	size_t l;

	memset(rx.gk, 7, sizeof(rx.gk));
	ASSERT_EQ(0, cpns_wire_seal(rx.gk, &p, (const uint8_t *)"abcd", 4, w));
	ASSERT_EQ(CPNS_WIRE_OK, cpns_wire_open(&rx, w, sizeof(w), pt, &l));
	ASSERT_EQ(4, l);
	ASSERT_EQ(0, memcmp(pt, "abcd", 4));
	/* Window 0: only increasing numbers. */
	ASSERT_EQ(CPNS_WIRE_REPLAYED, cpns_wire_open(&rx, w, sizeof(w), pt,
						     &l));
	ASSERT_EQ(0, l);
	rx.epoch = 4;
	ASSERT_EQ(CPNS_WIRE_KEY_MISSING, cpns_wire_open(&rx, w, sizeof(w), pt,
							&l));
	ASSERT_EQ(CPNS_WIRE_MALFORMED, cpns_wire_open(&rx, w, 43, pt, &l));
	ASSERT_EQ(-1, cpns_wire_result_from_name("nope"));
}

TEST_HARNESS_MAIN
