// SPDX-License-Identifier: GPL-2.0
/*
 * Tampering with encrypted Group Keys: every single-bit flip, every
 * truncation, reordered cover entries, replays under another group or
 * epoch, parts spliced between notifications, forged signatures.  Each is
 * refused with the precise error of its region, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "kselftest_harness.h"

#include "gkblob.h"
#include "gkdk.h"
#include "keycrypto.h"
#include "keyerr.h"
#include "keytree.h"
#include "sign.h"

#define H	5
#define N	(1u << H)
/* Cover: 8 (slots 0-3), 37 (5), 19 (6-7), 48 (16), 25 (18-19), 59 (27). */
static const uint32_t members[] = { 0, 1, 2, 3, 5, 6, 7, 16, 18, 19, 27 };
#define NM	(sizeof(members) / sizeof(members[0]))
#define COUNT	6

static const struct cpns_gk_params params = {
	.scheme = CPNS_SCHEME_CS,
	.group_id = 3,
	.epoch = 10,
	.valid_from = 100,
	.valid_until = 200,
};

FIXTURE(blob) {
	struct cpns_kms *kms;
	struct cpns_gkdk g[N];
	struct cpns_kc kc;
	uint8_t gk[32];
	uint8_t *blob;
	size_t len;
};

FIXTURE_SETUP(blob)
{
	uint32_t s;

	ASSERT_EQ(0, cpns_kc_init(&self->kc));
	ASSERT_EQ(0, cpns_kms_create(&self->kms, 42, 1, H));
	for (s = 0; s < N; s++) {
		ASSERT_EQ(0, cpns_kms_slot_set(self->kms, s,
					       CPNS_SLOT_ASSIGNED));
		ASSERT_EQ(0, cpns_gkdk_create(self->kms, CPNS_SCHEME_CS, s,
					      &self->g[s]));
	}
	RAND_bytes(self->gk, sizeof(self->gk));
	ASSERT_EQ(0, cpns_gk_build(self->kms, &params, members, NM, self->gk,
				   &self->blob, &self->len));
	ASSERT_EQ(cpns_gk_blob_len(COUNT, 4), self->len);
}

FIXTURE_TEARDOWN(blob)
{
	uint32_t s;

	free(self->blob);
	for (s = 0; s < N; s++)
		cpns_gkdk_wipe(&self->g[s]);
	cpns_kms_free(self->kms);
	cpns_kc_free(&self->kc);
}

static int is_member(uint32_t s)
{
	size_t i;

	for (i = 0; i < NM; i++)
		if (members[i] == s)
			return 1;
	return 0;
}

static int open_(FIXTURE_DATA(blob) *self, uint32_t slot, const uint8_t *b,
		 size_t len, uint8_t *out)
{
	return cpns_gk_open_kc(&self->kc, &self->g[slot], b, len, NULL, out,
			       NULL);
}

/* Which errors a flipped bit at @off may give a member under entry @e. */
static int allowed(size_t off, size_t len, size_t e, int ret)
{
	size_t wraps = CPNS_GK_HDR_LEN + 4 * COUNT;
	size_t seal = len - CPNS_GK_SEAL_LEN;

	if (off == 0)
		return ret == CPNS_KE_VERSION;
	if (off == 1)
		return ret == CPNS_KE_SCHEME;
	if (off == 2)
		return ret == CPNS_KE_HEIGHT || ret == CPNS_KE_COUNT ||
		       ret == CPNS_KE_NODE_RANGE ||
		       ret == CPNS_KE_COVER_OVERLAP ||
		       ret == CPNS_KE_COVER_ORDER ||
		       ret == CPNS_KE_GKDK_HEIGHT;
	if (off == 3)
		return ret == CPNS_KE_RESERVED;
	if (off < 8)
		return ret == CPNS_KE_GKDK_KEYSET;
	if (off < 16)
		return ret == CPNS_KE_GKDK_GATEWAY;
	if (off < 20)
		return ret == CPNS_KE_WRAP_AUTH;	/* group id */
	if (off < 24)
		return ret == CPNS_KE_COUNT || ret == CPNS_KE_TRUNCATED ||
		       ret == CPNS_KE_TRAILING;
	if (off < 32)
		return ret == CPNS_KE_WRAP_AUTH;	/* epoch */
	if (off < 48)
		return ret == CPNS_KE_WRAP_AUTH || ret == CPNS_KE_LIFETIME;
	if (off < 64)
		return ret == CPNS_KE_WRAP_AUTH;	/* salt */
	if (off < wraps)
		return ret == CPNS_KE_NODE_RANGE ||
		       ret == CPNS_KE_COVER_ORDER ||
		       ret == CPNS_KE_COVER_OVERLAP ||
		       ret == CPNS_KE_COVER_NOT_MINIMAL ||
		       ret == CPNS_KE_NOT_MEMBER || ret == CPNS_KE_WRAP_AUTH;
	if (off < seal && (off - wraps) / CPNS_GK_WRAP_LEN == e)
		return ret == CPNS_KE_WRAP_AUTH;	/* our own wrap */
	return ret == CPNS_KE_SEAL_AUTH;	/* other wraps, the seal */
}

static size_t entry_of(FIXTURE_DATA(blob) *self, uint32_t slot)
{
	size_t i;

	for (i = 0; i < COUNT; i++)
		if (cpns_node_covers(H, cpns_get_be32(self->blob + 64 + 4 * i),
				     slot))
			return i;
	return (size_t)-1;
}

TEST_F(blob, every_bit_flip_every_slot)
{
	uint8_t *t = malloc(self->len), out[32];
	size_t bit, e;
	uint32_t s;
	int ret;

	for (s = 0; s < N; s++) {
		ret = open_(self, s, self->blob, self->len, out);
		if (!is_member(s)) {
			ASSERT_EQ(CPNS_KE_NOT_MEMBER, ret);
		} else {
			ASSERT_EQ(CPNS_KE_OK, ret);
			ASSERT_EQ(0, memcmp(out, self->gk, 32));
		}
		/* Every slot for 3 of them, a member and non-members. */
		if (s != 0 && s != 4 && s != 27 && s != 31)
			continue;
		e = entry_of(self, s);
		for (bit = 0; bit < self->len * 8; bit++) {
			memcpy(t, self->blob, self->len);
			t[bit / 8] ^= 1 << (bit % 8);
			ret = open_(self, s, t, self->len, out);
			ASSERT_NE(CPNS_KE_OK, ret) TH_LOG("slot %u bit %zu",
							  s, bit);
			ASSERT_EQ(0, out[0] | out[7] | out[31]);
			if (is_member(s)) {
				ASSERT_TRUE(allowed(bit / 8, self->len, e, ret))
					TH_LOG("slot %u byte %zu: %s", s,
					       bit / 8, cpns_kerr_name(ret));
			}
		}
	}
	free(t);
}

TEST_F(blob, every_truncation_and_extension)
{
	uint8_t *t = malloc(self->len + 64), out[32];
	size_t l;

	memcpy(t, self->blob, self->len);
	for (l = 0; l < self->len; l++)
		ASSERT_EQ(CPNS_KE_TRUNCATED, open_(self, 0, t, l, out));
	for (l = self->len + 1; l <= self->len + 64; l++)
		ASSERT_EQ(CPNS_KE_TRAILING, open_(self, 0, t, l, out));
	ASSERT_EQ(CPNS_KE_OK, open_(self, 0, t, self->len, out));
	free(t);
}

TEST_F(blob, reordered_cover)
{
	uint8_t *t = malloc(self->len), out[32];
	size_t i, j, wo = 64 + 4 * COUNT;

	for (i = 0; i < COUNT; i++) {
		for (j = i + 1; j < COUNT; j++) {
			/* Swap ids alone, then ids with their wraps. */
			memcpy(t, self->blob, self->len);
			memcpy(t + 64 + 4 * i, self->blob + 64 + 4 * j, 4);
			memcpy(t + 64 + 4 * j, self->blob + 64 + 4 * i, 4);
			ASSERT_EQ(CPNS_KE_COVER_ORDER,
				  open_(self, 0, t, self->len, out));
			memcpy(t + wo + 60 * i, self->blob + wo + 60 * j, 60);
			memcpy(t + wo + 60 * j, self->blob + wo + 60 * i, 60);
			ASSERT_EQ(CPNS_KE_COVER_ORDER,
				  open_(self, 5, t, self->len, out));
		}
	}
	free(t);
}

TEST_F(blob, replay_under_other_group_or_epoch)
{
	uint8_t *t = malloc(self->len), out[32];
	struct cpns_gk_expect x = { 0 };
	size_t i;

	/* Rewritten header: no member can open it. */
	memcpy(t, self->blob, self->len);
	cpns_put_be32(t + 16, params.group_id + 1);
	for (i = 0; i < NM; i++)
		ASSERT_EQ(CPNS_KE_WRAP_AUTH,
			  open_(self, members[i], t, self->len, out));
	memcpy(t, self->blob, self->len);
	cpns_put_be64(t + 24, params.epoch + 1);
	for (i = 0; i < NM; i++)
		ASSERT_EQ(CPNS_KE_WRAP_AUTH,
			  open_(self, members[i], t, self->len, out));
	/* Unchanged, but offered for another group or a newer epoch. */
	x.flags = CPNS_GKX_GROUP;
	x.group_id = params.group_id + 1;
	ASSERT_EQ(CPNS_KE_GROUP, cpns_gk_open(&self->g[0], self->blob,
					      self->len, &x, out, NULL));
	x.flags = CPNS_GKX_EPOCH;
	x.min_epoch = params.epoch + 1;
	ASSERT_EQ(CPNS_KE_STALE_EPOCH, cpns_gk_open(&self->g[0], self->blob,
						    self->len, &x, out, NULL));
	free(t);
}

TEST_F(blob, splicing_between_notifications)
{
	struct cpns_gk_params p2 = params;
	uint8_t gk2[32], *b2, *t = malloc(self->len), out[32];
	size_t l2, i, k, wo = 64 + 4 * COUNT;

	/* Same members, next epoch: same cover, fresh everything else. */
	p2.epoch++;
	RAND_bytes(gk2, sizeof(gk2));
	ASSERT_EQ(0, cpns_gk_build(self->kms, &p2, members, NM, gk2, &b2,
				   &l2));
	ASSERT_EQ(self->len, l2);
	ASSERT_EQ(0, memcmp(self->blob + 64, b2 + 64, 4 * COUNT));
	/* One wrap of epoch 10 in epoch 11's blob. */
	for (k = 0; k < COUNT; k++) {
		memcpy(t, b2, l2);
		memcpy(t + wo + 60 * k, self->blob + wo + 60 * k, 60);
		for (i = 0; i < NM; i++) {
			int ret = open_(self, members[i], t, l2, out);

			ASSERT_EQ(entry_of(self, members[i]) == k ?
				  CPNS_KE_WRAP_AUTH : CPNS_KE_SEAL_AUTH, ret);
		}
	}
	/* Epoch 10's seal, or header, with epoch 11's rest. */
	memcpy(t, b2, l2);
	memcpy(t + l2 - 60, self->blob + l2 - 60, 60);
	for (i = 0; i < NM; i++)
		ASSERT_EQ(CPNS_KE_SEAL_AUTH,
			  open_(self, members[i], t, l2, out));
	memcpy(t, b2, l2);
	memcpy(t, self->blob, 64);
	for (i = 0; i < NM; i++)
		ASSERT_EQ(CPNS_KE_WRAP_AUTH,
			  open_(self, members[i], t, l2, out));
	/* The pieces themselves were fine. */
	ASSERT_EQ(0, open_(self, 0, b2, l2, out));
	ASSERT_EQ(0, memcmp(out, gk2, 32));
	free(b2);
	free(t);
}

TEST_F(blob, gkdk_key_bits)
{
	uint8_t out[32];
	struct cpns_gkdk g;
	unsigned int d, used;

	/* Slot 6 opens through node 19, with keys[H - depth(19)]. */
	used = H - cpns_node_depth(19);
	ASSERT_EQ(19, cpns_get_be32(self->blob + 64 + 4 * entry_of(self, 6)));
	for (d = 0; d <= H; d++) {
		g = self->g[6];
		g.keys[d][d] ^= 0x10;
		ASSERT_EQ(d == used ? CPNS_KE_WRAP_AUTH : CPNS_KE_OK,
			  cpns_gk_open_kc(&self->kc, &g, self->blob, self->len,
					  NULL, out, NULL));
	}
	cpns_gkdk_wipe(&g);
}

TEST_F(blob, signature)
{
	uint8_t sk[32], pk[32], sk2[32], pk2[32], *m;
	size_t ml, bl, bit;

	ASSERT_EQ(0, cpns_sig_keygen(sk, pk));
	ASSERT_EQ(0, cpns_sig_keygen(sk2, pk2));
	ASSERT_EQ(0, cpns_gkn_sign(sk, self->blob, self->len, &m, &ml));
	ASSERT_EQ(self->len + 64, ml);
	ASSERT_EQ(0, cpns_gkn_verify(pk, m, ml, &bl));
	ASSERT_EQ(self->len, bl);
	ASSERT_EQ(0, memcmp(m, self->blob, bl));
	ASSERT_EQ(CPNS_KE_SIGNATURE, cpns_gkn_verify(pk2, m, ml, &bl));
	ASSERT_EQ(0, bl);
	for (bit = 0; bit < ml * 8; bit++) {
		m[bit / 8] ^= 1 << (bit % 8);
		ASSERT_EQ(CPNS_KE_SIGNATURE, cpns_gkn_verify(pk, m, ml, &bl));
		m[bit / 8] ^= 1 << (bit % 8);
	}
	for (bl = 0; bl < ml; bl += 7) {
		size_t x;
		int ret = cpns_gkn_verify(pk, m, bl, &x);

		ASSERT_EQ(bl <= 64 ? CPNS_KE_TRUNCATED : CPNS_KE_SIGNATURE,
			  ret);
	}
	free(m);
}

TEST_HARNESS_MAIN
