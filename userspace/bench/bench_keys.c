// SPDX-License-Identifier: GPL-2.0
/*
 * bench_keys: cost of the Complete Subtree key hierarchy at h = 16.
 *
 * For r random non-members among N = 65,536 assigned slots: the cover
 * size against the r*log2(N/r) bound, the blob size, the time to build
 * the blob (gateway, Group Key delivery steps 4-5) and to open it (PNE,
 * step 8), the time to verify the gateway signature, and the size of the
 * naive alternative that wraps the GKEK once per member.
 *
 * Not a test: it prints numbers and never fails on them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"
#include "rand.h"
#include "sign.h"
#include "../tests/keytest.h"

#define H	16
#define N	(1u << H)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t rnd(uint32_t below)
{
	return (uint32_t)(xorshift64s(&rng_state) >> 32) % below;
}

static const struct cpns_gk_params params = {
	.scheme = CPNS_SCHEME_CS,
	.group_id = 1,
	.epoch = 1,
	.valid_from = 0,
	.valid_until = 86400,
};

static void fail(const char *what, int err)
{
	fprintf(stderr, "bench_keys: %s: %s\n", what, cpns_kerr_str(err));
	exit(1);
}

int main(void)
{
	static const uint32_t rs[] = { 1, 10, 100, 1000, 10000 };
	uint8_t gk[32], out[32], sk[32], pk[32], *nonmember;
	uint32_t *members = malloc(N * sizeof(*members)), s;
	struct cpns_kms *kms;
	struct cpns_kc kc;
	size_t i;
	int ret;

	nonmember = malloc(N);
	if (!members || !nonmember)
		return 1;
	ret = cpns_kms_create(&kms, 1, 1, H);
	if (ret)
		fail("key material set", ret);
	for (s = 0; s < N; s++)
		cpns_kms_slot_set(kms, s, CPNS_SLOT_ASSIGNED);
	if (cpns_random_bytes(gk, sizeof(gk)) || cpns_sig_keygen(sk, pk) ||
	    cpns_kc_init(&kc))
		fail("setup", CPNS_KE_CRYPTO);

	printf("# Complete Subtree, h = %u (N = %u slots, all assigned); "
	       "times are means\n", H, N);
	printf("# %6s %7s %9s %6s %10s %10s %9s %10s %11s %7s\n", "r",
	       "cover", "bound", "c/bnd", "blob B", "build us", "open us",
	       "verify us", "naive B", "naive/x");
	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		uint32_t r = rs[i], m = 0, k, slot;
		double t0, tb, to, tv, bound = r * log2((double)N / r);
		uint8_t *blob, *signd;
		struct cpns_gk_view v;
		struct cpns_gkdk g;
		size_t len, slen, bl, naive;
		int iters, it;

		memset(nonmember, 0, N);
		for (k = 0; k < r; ) {
			slot = rnd(N);
			if (!nonmember[slot]) {
				nonmember[slot] = 1;
				k++;
			}
		}
		for (s = 0; s < N; s++)
			if (!nonmember[s])
				members[m++] = s;

		/* Build: repeat for about 0.3 s. */
		iters = 0;
		t0 = now();
		do {
			ret = cpns_gk_build(kms, &params, members, m, gk,
					    &blob, &len);
			if (ret)
				fail("build", ret);
			if (now() - t0 < 0.3)
				free(blob);
			iters++;
		} while (now() - t0 < 0.3);
		tb = (now() - t0) / iters;
		if (cpns_gk_parse(blob, len, &v))
			fail("parse", CPNS_KE_INVAL);

		slot = members[rnd(m)];
		ret = cpns_gkdk_create(kms, CPNS_SCHEME_CS, slot, &g);
		if (ret)
			fail("gkdk", ret);
		iters = 2000;
		t0 = now();
		for (it = 0; it < iters; it++) {
			ret = cpns_gk_open_kc(&kc, &g, blob, len, NULL, out,
					      NULL);
			if (ret || memcmp(out, gk, 32))
				fail("open", ret ? ret : CPNS_KE_SEAL_AUTH);
		}
		to = (now() - t0) / iters;

		ret = cpns_gkn_sign(sk, blob, len, &signd, &slen);
		if (ret)
			fail("sign", ret);
		iters = 200;
		t0 = now();
		for (it = 0; it < iters; it++)
			if (cpns_gkn_verify(pk, signd, slen, &bl))
				fail("verify", CPNS_KE_SIGNATURE);
		tv = (now() - t0) / iters;

		naive = cpns_gk_blob_len(m, 4);
		printf("  %6u %7u %9.0f %6.2f %10zu %10.1f %9.1f %10.1f "
		       "%11zu %7.1f\n", r, v.hdr.count, bound,
		       v.hdr.count / bound, len, tb * 1e6, to * 1e6, tv * 1e6,
		       naive, (double)naive / len);
		cpns_gkdk_wipe(&g);
		free(blob);
		free(signd);
	}
	cpns_kc_free(&kc);
	cpns_kms_free(kms);
	free(members);
	free(nonmember);
	return 0;
}
