// SPDX-License-Identifier: GPL-2.0
/*
 * Key hierarchy end to end: random trees and member sets, every member
 * opens the Group Key, every non-member gets "not a member"; plus the
 * derivation, GKDK codec, slot table and the refusals of build and open.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "kselftest_harness.h"
#include "keytest.h"

#include "cover.h"
#include "gkblob.h"
#include "gkdk.h"
#include "keycrypto.h"
#include "keyerr.h"
#include "keytree.h"
#include "rand.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

static const struct cpns_gk_params params = {
	.scheme = CPNS_SCHEME_CS,
	.group_id = 9,
	.epoch = 1,
	.valid_from = 1000,
	.valid_until = 2000,
};

/*
 * One random case: some slots assigned, some of those revoked (their
 * GKDKs made first), members a random subset of the live ones, then a
 * few PNEs join after the blob.  Probe slots get opened.
 */
static int one_case(struct __test_metadata *_metadata, unsigned int h,
		    int all_slots)
{
	uint32_t n = 1u << h, s, m = 0, i;
	/* 0 free, 1 live, 2 revoked, 3 joined after the blob */
	uint8_t *state = calloc(n, 1);
	uint8_t *member = calloc(n, 1);
	uint32_t *list = malloc(n * 4);
	struct cpns_gkdk *g = calloc(n, sizeof(*g));
	uint8_t gk[32], out[32], *blob;
	unsigned int dens = rnd() % 101, assigned = rnd() % 101;
	struct cpns_gk_view v;
	struct cpns_kms *kms;
	struct cpns_kc kc;
	size_t len;
	int probes = 0;

	ASSERT_EQ(0, cpns_kc_init(&kc));
	ASSERT_EQ(0, cpns_kms_create(&kms, rnd(), (uint32_t)rnd(), h));
	for (s = 0; s < n; s++) {
		if (rnd() % 100 >= assigned)
			continue;
		ASSERT_EQ(0, cpns_kms_slot_set(kms, s, CPNS_SLOT_ASSIGNED));
		state[s] = 1;
		if (all_slots || rnd() % 64 == 0)
			ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, s,
						      &g[s]));
		if (rnd() % 10 == 0) {
			ASSERT_EQ(0, cpns_kms_slot_set(kms, s,
						       CPNS_SLOT_REVOKED));
			state[s] = 2;
		} else if (rnd() % 100 < dens) {
			member[s] = 1;
			list[m++] = s;
		}
	}
	ASSERT_EQ(0, cpns_random_bytes(gk, sizeof(gk)));
	if (!m) {
		ASSERT_EQ(CPNS_KE_EMPTY, cpns_gk_build(kms, &params, list, 0,
						       gk, &blob, &len));
		goto done;
	}
	ASSERT_EQ(0, cpns_gk_build(kms, &params, list, m, gk, &blob, &len));
	ASSERT_EQ(0, cpns_gk_parse(blob, len, &v));
	ASSERT_EQ(len, cpns_gk_blob_len(v.hdr.count, 4));
	if (m < n) {
		ASSERT_LE((double)v.hdr.count,
			  (n - m) * log2((double)n / (n - m)) + 1e-6);
	} else {
		ASSERT_EQ(1, v.hdr.count);
	}
	/* Joiners: assigned after the blob, must not open it. */
	for (s = 0; s < n; s++) {
		if (state[s] || rnd() % 8)
			continue;
		if (!all_slots && rnd() % 16)
			continue;
		ASSERT_EQ(0, cpns_kms_slot_set(kms, s, CPNS_SLOT_ASSIGNED));
		ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, s, &g[s]));
		state[s] = 3;
	}
	for (s = 0; s < n; s++) {
		int ret;

		if (!state[s] || !g[s].nkeys)
			continue;
		probes++;
		ret = cpns_gk_open_kc(&kc, &g[s], blob, len, NULL, out,
				      NULL);
		if (member[s]) {
			ASSERT_EQ(CPNS_KE_OK, ret) TH_LOG("h %u slot %u", h, s);
			ASSERT_EQ(0, memcmp(out, gk, 32));
		} else {
			ASSERT_EQ(CPNS_KE_NOT_MEMBER, ret)
				TH_LOG("h %u slot %u state %u", h, s,
				       state[s]);
		}
	}
	free(blob);
done:
	for (i = 0; i < n; i++)
		cpns_gkdk_wipe(&g[i]);
	cpns_kms_free(kms);
	cpns_kc_free(&kc);
	free(state);
	free(member);
	free(list);
	free(g);
	return probes;
}

TEST(random_small_trees_every_slot)
{
	int i, probes = 0;

	for (i = 0; i < 1200; i++)
		probes += one_case(_metadata, 1 + rnd() % 7, 1);
	TH_LOG("%d GKDKs tried", probes);
}

TEST(random_large_trees_sampled)
{
	int i, probes = 0;

	for (i = 0; i < 100; i++)
		probes += one_case(_metadata, 8 + rnd() % 9, 0);
	TH_LOG("%d GKDKs tried", probes);
}

TEST(hkdf_expand_is_rfc5869)
{
	struct cpns_kc kc;
	uint8_t prk[32], info[80], a[32], b[32];
	int i;

	ASSERT_EQ(0, cpns_kc_init(&kc));
	for (i = 0; i < 200; i++) {
		size_t il = rnd() % sizeof(info);

		RAND_bytes(prk, sizeof(prk));
		RAND_bytes(info, sizeof(info));
		ASSERT_EQ(0, cpns_kc_expand(&kc, prk, info, il, a));
		ASSERT_EQ(0, cpns_hkdf_expand_ref(prk, info, il, b, 32));
		ASSERT_EQ(0, memcmp(a, b, 32));
	}
	cpns_kc_free(&kc);
}

TEST(node_keys_distinct_and_bound_to_tree)
{
	uint8_t master[32] = { 1 }, k1[32], k2[32];
	struct cpns_kms *a, *b;
	struct cpns_kc kc;

	ASSERT_EQ(0, cpns_kc_init(&kc));
	ASSERT_EQ(0, cpns_kms_from_master(&a, 1, 1, 4, master));
	ASSERT_EQ(0, cpns_kms_node_key(a, &kc, 1, k1));
	ASSERT_EQ(0, cpns_kms_node_key(a, &kc, 2, k2));
	ASSERT_NE(0, memcmp(k1, k2, 32));
	ASSERT_EQ(CPNS_KE_NODE_RANGE, cpns_kms_node_key(a, &kc, 0, k2));
	ASSERT_EQ(CPNS_KE_NODE_RANGE, cpns_kms_node_key(a, &kc, 32, k2));
	/* Same master, other height / gateway / set: other keys. */
	ASSERT_EQ(0, cpns_kms_from_master(&b, 1, 1, 5, master));
	ASSERT_EQ(0, cpns_kms_node_key(b, &kc, 1, k2));
	ASSERT_NE(0, memcmp(k1, k2, 32));
	cpns_kms_free(b);
	ASSERT_EQ(0, cpns_kms_from_master(&b, 2, 1, 4, master));
	ASSERT_EQ(0, cpns_kms_node_key(b, &kc, 1, k2));
	ASSERT_NE(0, memcmp(k1, k2, 32));
	cpns_kms_free(b);
	ASSERT_EQ(0, cpns_kms_from_master(&b, 1, 2, 4, master));
	ASSERT_EQ(0, cpns_kms_node_key(b, &kc, 1, k2));
	ASSERT_NE(0, memcmp(k1, k2, 32));
	cpns_kms_free(b);
	cpns_kms_free(a);
	cpns_kc_free(&kc);
	ASSERT_EQ(CPNS_KE_HEIGHT, cpns_kms_from_master(&a, 1, 1, 0, master));
	ASSERT_EQ(CPNS_KE_HEIGHT, cpns_kms_from_master(&a, 1, 1, 21, master));
	ASSERT_EQ(NULL, a);
}

TEST(gkdk_codec)
{
	uint8_t buf[CPNS_GKDK_MAX_LEN + 8], fp1[8], fp2[8];
	struct cpns_gkdk g, d;
	struct cpns_kms *kms;
	unsigned int h;
	size_t len, l;

	for (h = 1; h <= CPNS_TREE_HEIGHT_MAX; h++) {
		uint32_t slot = (uint32_t)(rnd() & ((1u << h) - 1));

		ASSERT_EQ(0, cpns_kms_create(&kms, 77, 3, h));
		ASSERT_EQ(CPNS_KE_SLOT_STATE,
			  cpns_gkdk_create(kms, CPNS_SCHEME_CS, slot, &g));
		ASSERT_EQ(0, cpns_kms_slot_set(kms, slot, CPNS_SLOT_ASSIGNED));
		ASSERT_EQ(CPNS_KE_SCHEME,
			  cpns_gkdk_create(kms, CPNS_SCHEME_UNSPEC, slot, &g));
		ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, slot, &g));
		ASSERT_EQ(h + 1, g.nkeys);
		ASSERT_EQ(0, cpns_gkdk_encode(&g, buf, sizeof(buf), &len));
		ASSERT_EQ(20 + 32 * (h + 1), len);
		ASSERT_EQ(CPNS_KE_TRUNCATED,
			  cpns_gkdk_encode(&g, buf, len - 1, &l));
		ASSERT_EQ(0, cpns_gkdk_decode(&d, buf, len));
		ASSERT_EQ(0, memcmp(&g, &d, sizeof(g)));
		ASSERT_EQ(0, cpns_gkdk_fingerprint(&g, fp1));
		ASSERT_EQ(0, cpns_gkdk_fingerprint(&d, fp2));
		ASSERT_EQ(0, memcmp(fp1, fp2, 8));
		/* Every truncation and any extra byte: refused, wiped. */
		for (l = 0; l < len; l++) {
			ASSERT_EQ(CPNS_KE_TRUNCATED,
				  cpns_gkdk_decode(&d, buf, l));
			ASSERT_EQ(0, d.nkeys);
		}
		ASSERT_EQ(CPNS_KE_TRAILING, cpns_gkdk_decode(&d, buf, len + 1));
		ASSERT_EQ(CPNS_KE_OK, cpns_gkdk_decode(&d, buf, len));
		buf[0] ^= 1;
		ASSERT_EQ(CPNS_KE_VERSION, cpns_gkdk_decode(&d, buf, len));
		buf[0] ^= 1;
		buf[3] = 1;
		ASSERT_EQ(CPNS_KE_RESERVED, cpns_gkdk_decode(&d, buf, len));
		buf[3] = 0;
		cpns_put_be32(buf + 16, 1u << h);
		ASSERT_EQ(CPNS_KE_SLOT_RANGE, cpns_gkdk_decode(&d, buf, len));
		/* The fingerprint covers the keys. */
		g.keys[h][0] ^= 1;
		ASSERT_EQ(0, cpns_gkdk_fingerprint(&g, fp2));
		ASSERT_NE(0, memcmp(fp1, fp2, 8));
		cpns_gkdk_wipe(&g);
		cpns_gkdk_wipe(&d);
		cpns_kms_free(kms);
	}
}

TEST(slot_table)
{
	struct cpns_kms *kms;
	uint32_t s;

	ASSERT_EQ(0, cpns_kms_create(&kms, 1, 1, 2));
	ASSERT_EQ(0, cpns_kms_slot_assign(kms, &s));
	ASSERT_EQ(0, s);
	ASSERT_EQ(0, cpns_kms_slot_assign(kms, &s));
	ASSERT_EQ(1, s);
	ASSERT_EQ(0, cpns_kms_slot_set(kms, 0, CPNS_SLOT_REVOKED));
	/* A revoked slot is never handed out again. */
	ASSERT_EQ(0, cpns_kms_slot_assign(kms, &s));
	ASSERT_EQ(2, s);
	ASSERT_EQ(CPNS_KE_SLOT_STATE,
		  cpns_kms_slot_set(kms, 0, CPNS_SLOT_ASSIGNED));
	ASSERT_EQ(CPNS_KE_SLOT_STATE,
		  cpns_kms_slot_set(kms, 1, CPNS_SLOT_ASSIGNED));
	ASSERT_EQ(CPNS_KE_SLOT_STATE,
		  cpns_kms_slot_set(kms, 1, CPNS_SLOT_FREE));
	ASSERT_EQ(CPNS_KE_SLOT_RANGE,
		  cpns_kms_slot_set(kms, 4, CPNS_SLOT_ASSIGNED));
	ASSERT_EQ(0, cpns_kms_slot_set(kms, 3, CPNS_SLOT_REVOKED));
	ASSERT_EQ(CPNS_KE_FULL, cpns_kms_slot_assign(kms, &s));
	ASSERT_EQ(CPNS_SLOT_ASSIGNED, cpns_kms_slot_state(kms, 1));
	ASSERT_EQ(-1, cpns_kms_slot_state(kms, 4));
	cpns_kms_free(kms);
}

TEST(build_refusals)
{
	uint32_t ok[] = { 0, 2 }, unsorted[] = { 2, 0 }, dup[] = { 2, 2 };
	uint32_t big[] = { 8 }, freeslot[] = { 5 }, revoked[] = { 3 };
	struct cpns_gk_params p = params;
	uint8_t gk[32] = { 0 }, *blob = (uint8_t *)1;
	struct cpns_kms *kms;
	size_t len = 1;
	uint32_t s;

	ASSERT_EQ(0, cpns_kms_create(&kms, 1, 1, 3));
	for (s = 0; s < 4; s++)
		ASSERT_EQ(0, cpns_kms_slot_set(kms, s, CPNS_SLOT_ASSIGNED));
	ASSERT_EQ(0, cpns_kms_slot_set(kms, 3, CPNS_SLOT_REVOKED));
	ASSERT_EQ(CPNS_KE_EMPTY, cpns_gk_build(kms, &p, ok, 0, gk, &blob,
					       &len));
	ASSERT_EQ(NULL, blob);
	ASSERT_EQ(0, len);
	ASSERT_EQ(CPNS_KE_MEMBERS, cpns_gk_build(kms, &p, unsorted, 2, gk,
						 &blob, &len));
	ASSERT_EQ(CPNS_KE_MEMBERS, cpns_gk_build(kms, &p, dup, 2, gk, &blob,
						 &len));
	ASSERT_EQ(CPNS_KE_MEMBERS, cpns_gk_build(kms, &p, big, 1, gk, &blob,
						 &len));
	ASSERT_EQ(CPNS_KE_SLOT_STATE, cpns_gk_build(kms, &p, freeslot, 1, gk,
						    &blob, &len));
	ASSERT_EQ(CPNS_KE_SLOT_STATE, cpns_gk_build(kms, &p, revoked, 1, gk,
						    &blob, &len));
	p.valid_until = p.valid_from;
	ASSERT_EQ(CPNS_KE_LIFETIME, cpns_gk_build(kms, &p, ok, 2, gk, &blob,
						  &len));
	p = params;
	p.scheme = CPNS_SCHEME_UNSPEC;
	ASSERT_EQ(CPNS_KE_SCHEME, cpns_gk_build(kms, &p, ok, 2, gk, &blob,
						&len));
	p.scheme = 200;
	ASSERT_EQ(CPNS_KE_SCHEME, cpns_gk_build(kms, &p, ok, 2, gk, &blob,
						&len));
	ASSERT_EQ(NULL, blob);
	cpns_kms_free(kms);
}

TEST(open_checks_and_expectations)
{
	uint32_t members[] = { 0, 1, 2 };
	struct cpns_gk_expect x = { 0 };
	uint8_t gk[32], out[32], *blob;
	struct cpns_kms *kms, *other;
	struct cpns_gkdk g, og;
	struct cpns_gk_hdr hdr;
	size_t len;
	uint32_t s;

	RAND_bytes(gk, sizeof(gk));
	ASSERT_EQ(0, cpns_kms_create(&kms, 5, 6, 4));
	ASSERT_EQ(0, cpns_kms_create(&other, 5, 7, 4));
	for (s = 0; s < 3; s++) {
		ASSERT_EQ(0, cpns_kms_slot_set(kms, s, CPNS_SLOT_ASSIGNED));
		ASSERT_EQ(0, cpns_kms_slot_set(other, s, CPNS_SLOT_ASSIGNED));
	}
	ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, 1, &g));
	ASSERT_EQ(0, cpns_gkdk_create(other, CPNS_SCHEME_CS, 1, &og));
	ASSERT_EQ(0, cpns_gk_build(kms, &params, members, 3, gk, &blob, &len));
	ASSERT_EQ(0, cpns_gk_open(&g, blob, len, NULL, out, &hdr));
	ASSERT_EQ(0, memcmp(gk, out, 32));
	ASSERT_EQ(params.group_id, hdr.group_id);
	ASSERT_EQ(params.epoch, hdr.epoch);
	ASSERT_EQ(5, hdr.gateway_id);
	ASSERT_EQ(6, hdr.set_id);
	ASSERT_EQ(2, hdr.count);	/* nodes 8 (slots 0-1) and 18 */
	/* A GKDK of another key material set of the same gateway. */
	ASSERT_EQ(CPNS_KE_GKDK_KEYSET,
		  cpns_gk_open(&og, blob, len, NULL, out, NULL));
	og.set_id = 6;
	ASSERT_EQ(CPNS_KE_WRAP_AUTH,
		  cpns_gk_open(&og, blob, len, NULL, out, NULL));
	ASSERT_EQ(0, out[0] | out[31]);
	og.gateway_id = 4;
	ASSERT_EQ(CPNS_KE_GKDK_GATEWAY,
		  cpns_gk_open(&og, blob, len, NULL, out, NULL));
	x.flags = CPNS_GKX_GROUP;
	x.group_id = params.group_id + 1;
	ASSERT_EQ(CPNS_KE_GROUP, cpns_gk_open(&g, blob, len, &x, out, NULL));
	x.group_id = params.group_id;
	ASSERT_EQ(0, cpns_gk_open(&g, blob, len, &x, out, NULL));
	x.flags |= CPNS_GKX_EPOCH;
	x.min_epoch = params.epoch + 1;
	ASSERT_EQ(CPNS_KE_STALE_EPOCH,
		  cpns_gk_open(&g, blob, len, &x, out, NULL));
	x.min_epoch = params.epoch;
	x.flags |= CPNS_GKX_TIME;
	x.now = params.valid_from - 1;
	ASSERT_EQ(CPNS_KE_NOT_YET_VALID,
		  cpns_gk_open(&g, blob, len, &x, out, NULL));
	x.now = params.valid_until;
	ASSERT_EQ(CPNS_KE_EXPIRED, cpns_gk_open(&g, blob, len, &x, out, NULL));
	x.now = params.valid_from;
	ASSERT_EQ(0, cpns_gk_open(&g, blob, len, &x, out, NULL));
	free(blob);
	cpns_gkdk_wipe(&g);
	cpns_gkdk_wipe(&og);
	cpns_kms_free(kms);
	cpns_kms_free(other);
}

TEST(fresh_randomness_per_blob)
{
	/* Same inputs twice: different salt, GKEK and nonces. */
	uint32_t members[] = { 0 };
	uint8_t gk[32] = { 7 }, *a, *b;
	struct cpns_kms *kms;
	size_t la, lb;

	ASSERT_EQ(0, cpns_kms_create(&kms, 1, 1, 2));
	ASSERT_EQ(0, cpns_kms_slot_set(kms, 0, CPNS_SLOT_ASSIGNED));
	ASSERT_EQ(0, cpns_gk_build(kms, &params, members, 1, gk, &a, &la));
	ASSERT_EQ(0, cpns_gk_build(kms, &params, members, 1, gk, &b, &lb));
	ASSERT_EQ(la, lb);
	ASSERT_EQ(0, memcmp(a, b, 48));		/* header fields */
	ASSERT_NE(0, memcmp(a + 48, b + 48, 16));	/* salt */
	ASSERT_NE(0, memcmp(a + 68, b + 68, 12));	/* wrap nonce */
	ASSERT_NE(0, memcmp(a + la - 60, b + lb - 60, 12));	/* seal nonce */
	free(a);
	free(b);
	cpns_kms_free(kms);
}

TEST(fingerprints_and_errors)
{
	uint8_t k[32] = { 0 }, f1[8], f2[8];
	int i;

	ASSERT_EQ(0, cpns_gk_fingerprint(k, f1));
	k[31] = 1;
	ASSERT_EQ(0, cpns_gk_fingerprint(k, f2));
	ASSERT_NE(0, memcmp(f1, f2, 8));
	for (i = 0; i < __CPNS_KE_MAX; i++) {
		ASSERT_EQ(i, cpns_kerr_from_name(cpns_kerr_name(i)));
		ASSERT_NE(NULL, cpns_kerr_str(i));
		ASSERT_GE(cpns_kerr_errno(i), 0);
	}
	ASSERT_EQ(-1, cpns_kerr_from_name("nope"));
	ASSERT_STREQ("unknown", cpns_kerr_name(-1));
	ASSERT_STREQ("unknown", cpns_kerr_name(__CPNS_KE_MAX));
}

TEST_HARNESS_MAIN
