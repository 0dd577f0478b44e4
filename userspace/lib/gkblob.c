// SPDX-License-Identifier: GPL-2.0
/*
 * Encrypted Group Key: build (gateway), parse and open (PNE; the kernel's
 * unwrap code is a port of cpns_gk_parse() and cpns_gk_open_kc()).
 *
 * Why the two digests: every wrap must bind the header and the cover, but
 * putting the whole cover in each wrap's associated data would cost
 * O(c^2) to build, so the wraps bind D, a hash of header and cover ids.
 * The seal is computed once, so it binds every byte before it directly:
 * a change anywhere, even in a wrap meant for other members, fails it.
 * The per-blob wrap keys WK_i (D holds a random salt) make each key
 * encrypt exactly once, so random nonces can never collide under a key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gkblob.h"
#include "keyerr.h"
#include "scheme.h"
#include "rand.h"

#define ID_LEN_MAX	8
#define INFO_MAX	(sizeof(CPNS_LABEL_WRAP) - 1 + 32 + ID_LEN_MAX)

size_t cpns_gk_blob_len(size_t count, size_t id_len)
{
	return CPNS_GK_HDR_LEN + count * (id_len + CPNS_GK_WRAP_LEN) +
	       CPNS_GK_SEAL_LEN;
}

/* info = "cpns-v1 wrap" || D || id; returns its length. */
static size_t wrap_info(uint8_t *info, const uint8_t d[32],
			const uint8_t *id, size_t id_len)
{
	size_t l = sizeof(CPNS_LABEL_WRAP) - 1;

	memcpy(info, CPNS_LABEL_WRAP, l);
	memcpy(info + l, d, 32);
	memcpy(info + l + 32, id, id_len);
	return l + 32 + id_len;
}

static void put_header(uint8_t *b, const struct cpns_kms *kms,
		       const struct cpns_gk_params *p, uint32_t count)
{
	b[0] = CPNS_GK_VERSION;
	b[1] = p->scheme;
	b[2] = kms->height;
	b[3] = 0;
	cpns_put_be32(b + 4, kms->set_id);
	cpns_put_be64(b + 8, kms->gateway_id);
	cpns_put_be32(b + 16, p->group_id);
	cpns_put_be32(b + 20, count);
	cpns_put_be64(b + 24, p->epoch);
	cpns_put_be64(b + 32, p->valid_from);
	cpns_put_be64(b + 40, p->valid_until);
}

static int check_members(const struct cpns_kms *kms, const uint32_t *m,
			 size_t n)
{
	size_t i;

	if (!n)
		return CPNS_KE_EMPTY;
	for (i = 0; i < n; i++) {
		if (m[i] >> kms->height || (i && m[i] <= m[i - 1]))
			return CPNS_KE_MEMBERS;
		/* Members are a subset of the slots handed out and live. */
		if (kms->slots[m[i]] != CPNS_SLOT_ASSIGNED)
			return CPNS_KE_SLOT_STATE;
	}
	return 0;
}

/* Wrap @gkek for every cover entry; the ids are already in @b. */
static int wrap_all(struct cpns_kc *kc, const struct cpns_kms *kms,
		    const struct cpns_scheme_ops *ops, uint8_t *b,
		    size_t count, const uint8_t *nonces,
		    const uint8_t gkek[CPNS_KEY_LEN])
{
	size_t il = ops->id_len, wraps_off = CPNS_GK_HDR_LEN + count * il, i;
	uint8_t d[32], k[CPNS_KEY_LEN], wk[CPNS_KEY_LEN], info[INFO_MAX];
	struct cpns_iov v = { b, wraps_off };
	int ret;

	ret = cpns_kc_sha256(kc, &v, 1, d);
	for (i = 0; !ret && i < count; i++) {
		const uint8_t *id = b + CPNS_GK_HDR_LEN + i * il;
		uint8_t *w = b + wraps_off + i * CPNS_GK_WRAP_LEN;
		struct cpns_iov aad[2] = { { d, 32 }, { id, il } };

		memcpy(w, nonces + i * CPNS_NONCE_LEN, CPNS_NONCE_LEN);
		ret = ops->cover_key(kms, kc, id, k);
		if (!ret)
			ret = cpns_kc_expand(kc, k, info,
					     wrap_info(info, d, id, il), wk);
		if (!ret)
			ret = cpns_kc_seal(kc, wk, w, aad, 2, gkek,
					   CPNS_KEY_LEN, w + CPNS_NONCE_LEN,
					   w + CPNS_NONCE_LEN + CPNS_KEY_LEN);
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(wk, sizeof(wk));
	return ret;
}

int cpns_gk_build(const struct cpns_kms *kms, const struct cpns_gk_params *p,
		  const uint32_t *members, size_t n,
		  const uint8_t gk[CPNS_KEY_LEN], uint8_t **blob, size_t *len)
{
	const struct cpns_scheme_ops *ops = cpns_scheme_get(p->scheme);
	uint8_t gkek[CPNS_KEY_LEN], *ids = NULL, *b = NULL, *nonces = NULL;
	size_t count = 0, total, seal_off;
	struct cpns_kc kc = { 0 };
	struct cpns_iov aad;
	int ret;

	*blob = NULL;
	*len = 0;
	if (!ops)
		return CPNS_KE_SCHEME;
	if (p->valid_until <= p->valid_from)
		return CPNS_KE_LIFETIME;
	ret = check_members(kms, members, n);
	if (ret)
		return ret;
	ret = ops->cover(kms->height, members, n, &ids, &count);
	if (ret)
		return ret;
	if (count > ops->cover_max(kms->height)) {
		ret = CPNS_KE_TOO_BIG;
		goto out;
	}
	total = cpns_gk_blob_len(count, ops->id_len);
	seal_off = total - CPNS_GK_SEAL_LEN;
	b = malloc(total);
	nonces = malloc((count + 1) * CPNS_NONCE_LEN);
	if (!b || !nonces) {
		ret = CPNS_KE_NOMEM;
		goto out;
	}
	put_header(b, kms, p, (uint32_t)count);
	memcpy(b + CPNS_GK_HDR_LEN, ids, count * ops->id_len);
	/* One CSPRNG call for every nonce: a call costs more than 12 bytes. */
	ret = cpns_random_bytes(b + 48, CPNS_GK_SALT_LEN);
	if (!ret)
		ret = cpns_random_bytes(gkek, sizeof(gkek));
	if (!ret)
		ret = cpns_random_bytes(nonces, (count + 1) * CPNS_NONCE_LEN);
	if (!ret)
		ret = cpns_kc_init(&kc);
	if (ret)
		goto out;
	ret = wrap_all(&kc, kms, ops, b, count, nonces, gkek);
	if (ret)
		goto out;
	memcpy(b + seal_off, nonces + count * CPNS_NONCE_LEN, CPNS_NONCE_LEN);
	aad.p = b;
	aad.len = seal_off;
	ret = cpns_kc_seal(&kc, gkek, b + seal_off, &aad, 1, gk, CPNS_KEY_LEN,
			   b + seal_off + CPNS_NONCE_LEN,
			   b + seal_off + CPNS_NONCE_LEN + CPNS_KEY_LEN);
	if (ret)
		goto out;
	*blob = b;
	*len = total;
	b = NULL;
out:
	OPENSSL_cleanse(gkek, sizeof(gkek));
	cpns_kc_free(&kc);
	free(nonces);
	free(ids);
	free(b);
	return ret;
}

int cpns_gk_parse(const uint8_t *blob, size_t len, struct cpns_gk_view *v)
{
	struct cpns_gk_hdr *h = &v->hdr;
	size_t need;

	memset(v, 0, sizeof(*v));
	/* The order of these checks is part of the format: keys.rst. */
	if (len < CPNS_GK_HDR_LEN)
		return CPNS_KE_TRUNCATED;
	if (blob[0] != CPNS_GK_VERSION)
		return CPNS_KE_VERSION;
	v->ops = cpns_scheme_get(blob[1]);
	if (!v->ops)
		return CPNS_KE_SCHEME;
	if (blob[2] < 1 || blob[2] > CPNS_TREE_HEIGHT_MAX)
		return CPNS_KE_HEIGHT;
	if (blob[3])
		return CPNS_KE_RESERVED;
	h->version = blob[0];
	h->scheme = blob[1];
	h->height = blob[2];
	h->set_id = cpns_get_be32(blob + 4);
	h->gateway_id = cpns_get_be64(blob + 8);
	h->group_id = cpns_get_be32(blob + 16);
	h->count = cpns_get_be32(blob + 20);
	h->epoch = cpns_get_be64(blob + 24);
	h->valid_from = cpns_get_be64(blob + 32);
	h->valid_until = cpns_get_be64(blob + 40);
	memcpy(h->salt, blob + 48, CPNS_GK_SALT_LEN);
	if (h->valid_until <= h->valid_from)
		return CPNS_KE_LIFETIME;
	if (!h->count || h->count > v->ops->cover_max(h->height))
		return CPNS_KE_COUNT;
	need = cpns_gk_blob_len(h->count, v->ops->id_len);
	if (len < need)
		return CPNS_KE_TRUNCATED;
	if (len > need)
		return CPNS_KE_TRAILING;
	v->blob = blob;
	v->len = len;
	v->wraps_off = CPNS_GK_HDR_LEN + h->count * v->ops->id_len;
	v->seal_off = len - CPNS_GK_SEAL_LEN;
	return v->ops->check_cover(h->height, blob + CPNS_GK_HDR_LEN,
				   h->count);
}

static int check_gkdk(const struct cpns_gkdk *g, const struct cpns_gk_hdr *h)
{
	if (g->scheme != h->scheme)
		return CPNS_KE_GKDK_SCHEME;
	if (g->gateway_id != h->gateway_id)
		return CPNS_KE_GKDK_GATEWAY;
	if (g->set_id != h->set_id)
		return CPNS_KE_GKDK_KEYSET;
	if (g->height != h->height)
		return CPNS_KE_GKDK_HEIGHT;
	return 0;
}

static int check_expect(const struct cpns_gk_expect *x,
			const struct cpns_gk_hdr *h)
{
	if (!x)
		return 0;
	if ((x->flags & CPNS_GKX_GROUP) && h->group_id != x->group_id)
		return CPNS_KE_GROUP;
	if ((x->flags & CPNS_GKX_EPOCH) && h->epoch < x->min_epoch)
		return CPNS_KE_STALE_EPOCH;
	if ((x->flags & CPNS_GKX_TIME) && x->now < h->valid_from)
		return CPNS_KE_NOT_YET_VALID;
	if ((x->flags & CPNS_GKX_TIME) && x->now >= h->valid_until)
		return CPNS_KE_EXPIRED;
	return 0;
}

int cpns_gk_open_kc(struct cpns_kc *kc, const struct cpns_gkdk *g,
		    const uint8_t *blob, size_t len,
		    const struct cpns_gk_expect *x, uint8_t gk[CPNS_KEY_LEN],
		    struct cpns_gk_hdr *hdr)
{
	uint8_t d[32], wk[CPNS_KEY_LEN], gkek[CPNS_KEY_LEN], info[INFO_MAX];
	const uint8_t *key, *id, *w, *s;
	struct cpns_iov aad[2];
	struct cpns_gk_view v;
	size_t i, il;
	int ret;

	memset(gk, 0, CPNS_KEY_LEN);
	ret = cpns_gk_parse(blob, len, &v);
	if (!ret)
		ret = check_gkdk(g, &v.hdr);
	if (!ret)
		ret = check_expect(x, &v.hdr);
	if (!ret)
		ret = v.ops->find(g, blob + CPNS_GK_HDR_LEN, v.hdr.count, &i,
				  &key);
	if (ret)
		return ret;
	il = v.ops->id_len;
	id = blob + CPNS_GK_HDR_LEN + i * il;
	w = blob + v.wraps_off + i * CPNS_GK_WRAP_LEN;
	s = blob + v.seal_off;
	aad[0].p = blob;
	aad[0].len = v.wraps_off;
	ret = cpns_kc_sha256(kc, aad, 1, d);
	if (!ret)
		ret = cpns_kc_expand(kc, key, info, wrap_info(info, d, id, il),
				     wk);
	if (ret)
		goto out;
	aad[0].p = d;
	aad[0].len = 32;
	aad[1].p = id;
	aad[1].len = il;
	ret = cpns_kc_open(kc, wk, w, aad, 2, w + CPNS_NONCE_LEN,
			   CPNS_KEY_LEN, w + CPNS_NONCE_LEN + CPNS_KEY_LEN,
			   gkek, CPNS_KE_WRAP_AUTH);
	if (ret)
		goto out;
	aad[0].p = blob;
	aad[0].len = v.seal_off;
	ret = cpns_kc_open(kc, gkek, s, aad, 1, s + CPNS_NONCE_LEN,
			   CPNS_KEY_LEN, s + CPNS_NONCE_LEN + CPNS_KEY_LEN,
			   gk, CPNS_KE_SEAL_AUTH);
	if (!ret && hdr)
		*hdr = v.hdr;
out:
	OPENSSL_cleanse(wk, sizeof(wk));
	OPENSSL_cleanse(gkek, sizeof(gkek));
	if (ret)
		OPENSSL_cleanse(gk, CPNS_KEY_LEN);
	return ret;
}

int cpns_gk_open(const struct cpns_gkdk *g, const uint8_t *blob, size_t len,
		 const struct cpns_gk_expect *x, uint8_t gk[CPNS_KEY_LEN],
		 struct cpns_gk_hdr *hdr)
{
	struct cpns_kc kc;
	int ret;

	memset(gk, 0, CPNS_KEY_LEN);
	ret = cpns_kc_init(&kc);
	if (ret)
		return ret;
	ret = cpns_gk_open_kc(&kc, g, blob, len, x, gk, hdr);
	cpns_kc_free(&kc);
	return ret;
}

int cpns_gk_fingerprint(const uint8_t gk[CPNS_KEY_LEN],
			uint8_t fp[CPNS_FP_LEN])
{
	return cpns_fingerprint(CPNS_LABEL_GK_FP, gk, CPNS_KEY_LEN, fp);
}
