// SPDX-License-Identifier: GPL-2.0
/*
 * Forward and backward secrecy across epochs: a PNE that leaves (or is
 * revoked) cannot open later Group Keys, a PNE that joins cannot open
 * earlier ones, and slots are never reused.  Ends with a long random
 * history where every GKDK ever issued tries every blob.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "kselftest_harness.h"

#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"

static struct cpns_gk_params epoch_params(uint64_t epoch)
{
	struct cpns_gk_params p = {
		.scheme = CPNS_SCHEME_CS,
		.group_id = 77,
		.epoch = epoch,
		.valid_from = epoch * 100,
		.valid_until = epoch * 100 + 100,
	};

	return p;
}

static int open_gk(const struct cpns_gkdk *g, const uint8_t *b, size_t l,
		   const uint8_t *want)
{
	uint8_t out[32];
	int ret = cpns_gk_open(g, b, l, NULL, out, NULL);

	if (!ret && memcmp(out, want, 32))
		return -1;
	return ret;
}

TEST(leave_revoke_and_join)
{
	struct cpns_gkdk g[12];
	struct cpns_gk_params p;
	uint8_t gk1[32], gk2[32], gk3[32], *b1, *b2, *b3;
	uint32_t m[12], n, s, slot;
	struct cpns_kms *kms;
	size_t l1, l2, l3;

	ASSERT_EQ(0, cpns_kms_create(&kms, 9, 1, 6));
	for (s = 0; s < 10; s++) {
		ASSERT_EQ(0, cpns_kms_slot_assign(kms, &slot));
		ASSERT_EQ(s, slot);
		ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, s, &g[s]));
	}
	RAND_bytes(gk1, 32);
	RAND_bytes(gk2, 32);
	RAND_bytes(gk3, 32);
	/* Epoch 1: slots 0-9. */
	for (n = 0; n < 10; n++)
		m[n] = n;
	p = epoch_params(1);
	ASSERT_EQ(0, cpns_gk_build(kms, &p, m, n, gk1, &b1, &l1));
	for (s = 0; s < 10; s++)
		ASSERT_EQ(0, open_gk(&g[s], b1, l1, gk1));

	/* Epoch 2: slot 3 revoked, slot 5 left the Service Group. */
	ASSERT_EQ(0, cpns_kms_slot_set(kms, 3, CPNS_SLOT_REVOKED));
	ASSERT_EQ(CPNS_KE_SLOT_STATE,
		  cpns_gkdk_create(kms, CPNS_SCHEME_CS, 3, &g[11]));
	ASSERT_EQ(CPNS_KE_SLOT_STATE, cpns_gk_build(kms, &p, m, n, gk2, &b2,
						    &l2));
	for (n = 0, s = 0; s < 10; s++)
		if (s != 3 && s != 5)
			m[n++] = s;
	p = epoch_params(2);
	ASSERT_EQ(0, cpns_gk_build(kms, &p, m, n, gk2, &b2, &l2));
	for (s = 0; s < 10; s++)
		ASSERT_EQ(s == 3 || s == 5 ? CPNS_KE_NOT_MEMBER : 0,
			  open_gk(&g[s], b2, l2, gk2));

	/* A new PNE gets a fresh slot, never the revoked one. */
	ASSERT_EQ(0, cpns_kms_slot_assign(kms, &slot));
	ASSERT_EQ(10, slot);
	ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS, 10, &g[10]));
	/* It cannot open what was sent before it joined. */
	ASSERT_EQ(CPNS_KE_NOT_MEMBER, open_gk(&g[10], b1, l1, gk1));
	ASSERT_EQ(CPNS_KE_NOT_MEMBER, open_gk(&g[10], b2, l2, gk2));

	/* Epoch 3: slot 10 joins, slot 5 comes back. */
	for (n = 0, s = 0; s <= 10; s++)
		if (s != 3)
			m[n++] = s;
	p = epoch_params(3);
	ASSERT_EQ(0, cpns_gk_build(kms, &p, m, n, gk3, &b3, &l3));
	for (s = 0; s <= 10; s++)
		ASSERT_EQ(s == 3 ? CPNS_KE_NOT_MEMBER : 0,
			  open_gk(&g[s], b3, l3, gk3));
	free(b1);
	free(b2);
	free(b3);
	for (s = 0; s < 12; s++)
		cpns_gkdk_wipe(&g[s]);
	cpns_kms_free(kms);
}

TEST(new_key_material_set)
{
	struct cpns_kms *old, *new;
	struct cpns_gkdk g_old, g_new;
	uint8_t gk[32] = { 1 }, *b;
	uint32_t slot, m[1] = { 0 };
	struct cpns_gk_params p = epoch_params(1);
	size_t l;

	/* A full tree: the gateway starts set 2; set 1's GKDKs are dead. */
	ASSERT_EQ(0, cpns_kms_create(&old, 9, 1, 1));
	ASSERT_EQ(0, cpns_kms_slot_assign(old, &slot));
	ASSERT_EQ(0, cpns_gkdk_create(old, CPNS_SCHEME_CS, 0, &g_old));
	ASSERT_EQ(0, cpns_kms_slot_assign(old, &slot));
	ASSERT_EQ(CPNS_KE_FULL, cpns_kms_slot_assign(old, &slot));
	ASSERT_EQ(0, cpns_kms_create(&new, 9, 2, 16));
	ASSERT_EQ(0, cpns_kms_slot_assign(new, &slot));
	ASSERT_EQ(0, cpns_gkdk_create(new, CPNS_SCHEME_CS, 0, &g_new));
	ASSERT_EQ(0, cpns_gk_build(new, &p, m, 1, gk, &b, &l));
	ASSERT_EQ(0, open_gk(&g_new, b, l, gk));
	ASSERT_EQ(CPNS_KE_GKDK_KEYSET, open_gk(&g_old, b, l, gk));
	free(b);
	cpns_gkdk_wipe(&g_old);
	cpns_gkdk_wipe(&g_new);
	cpns_kms_free(old);
	cpns_kms_free(new);
}

/* Reproducible choices: xorshift64*. */
static void next_rnd(uint8_t r[4])
{
	static uint64_t x = 0x6a09e667f3bcc908ull;
	uint64_t v;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	v = x * 0x2545f4914f6cdd1dull;
	memcpy(r, &v, 4);
}

/*
 * 300 epochs of random joins, leaves and revocations in a tree of 64
 * slots.  After each epoch's blob, every GKDK ever issued tries it; only
 * the current members open it.  Blobs of all past epochs are retried by
 * every PNE that joined after them.
 */
TEST(random_history)
{
#define HS	6
#define NS	(1u << HS)
#define EPOCHS	300
	struct cpns_gkdk *g = calloc(NS, sizeof(*g));
	uint8_t *blob[EPOCHS] = { 0 }, gk[EPOCHS][32];
	size_t len[EPOCHS];
	uint32_t joined[NS], m[NS], n, s, slot;
	uint8_t in[NS] = { 0 }, have[NS] = { 0 }, rnd[4];
	struct cpns_gk_params p;
	struct cpns_kms *kms;
	int e, f;

	ASSERT_EQ(0, cpns_kms_create(&kms, 1, 1, HS));
	for (e = 0; e < EPOCHS; e++) {
		next_rnd(rnd);
		/* Join (if a slot is left), leave, revoke, or come back. */
		if (rnd[0] % 3 == 0 &&
		    !cpns_kms_slot_assign(kms, &slot)) {
			ASSERT_EQ(0, cpns_gkdk_create(kms, CPNS_SCHEME_CS,
						      slot, &g[slot]));
			have[slot] = 1;
			joined[slot] = e;
			in[slot] = 1;
		}
		s = rnd[1] % NS;
		if (have[s] && rnd[2] % 4 == 0 &&
		    cpns_kms_slot_state(kms, s) == CPNS_SLOT_ASSIGNED)
			in[s] = !in[s];
		s = rnd[3] % NS;
		if (have[s] && rnd[2] % 7 == 1 &&
		    cpns_kms_slot_state(kms, s) == CPNS_SLOT_ASSIGNED) {
			ASSERT_EQ(0, cpns_kms_slot_set(kms, s,
						       CPNS_SLOT_REVOKED));
			in[s] = 0;
		}
		for (n = 0, s = 0; s < NS; s++)
			if (in[s])
				m[n++] = s;
		if (!n)
			continue;
		p = epoch_params(e + 1);
		RAND_bytes(gk[e], 32);
		ASSERT_EQ(0, cpns_gk_build(kms, &p, m, n, gk[e], &blob[e],
					   &len[e]));
		for (s = 0; s < NS; s++)
			if (have[s])
				ASSERT_EQ(in[s] ? 0 : CPNS_KE_NOT_MEMBER,
					  open_gk(&g[s], blob[e], len[e],
						  gk[e]));
	}
	/* Backward secrecy: nobody opens an epoch from before it joined. */
	for (s = 0; s < NS; s++) {
		if (!have[s])
			continue;
		for (f = 0; f < (int)joined[s]; f++)
			if (blob[f])
				ASSERT_EQ(CPNS_KE_NOT_MEMBER,
					  open_gk(&g[s], blob[f], len[f],
						  gk[f]));
	}
	for (e = 0; e < EPOCHS; e++)
		free(blob[e]);
	for (s = 0; s < NS; s++)
		cpns_gkdk_wipe(&g[s]);
	free(g);
	cpns_kms_free(kms);
}

TEST_HARNESS_MAIN
