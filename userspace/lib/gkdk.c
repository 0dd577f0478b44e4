// SPDX-License-Identifier: GPL-2.0
/*
 * GKDK creation (gateway), encoding and strict decoding (PNE, kernel).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "gkdk.h"
#include "keyerr.h"
#include "scheme.h"

void cpns_gkdk_wipe(struct cpns_gkdk *g)
{
	OPENSSL_cleanse(g, sizeof(*g));
}

int cpns_gkdk_create(const struct cpns_kms *kms, enum cpns_scheme scheme,
		     uint32_t slot, struct cpns_gkdk *g)
{
	const struct cpns_scheme_ops *ops = cpns_scheme_get(scheme);
	struct cpns_kc kc;
	int ret;

	memset(g, 0, sizeof(*g));
	if (!ops)
		return CPNS_KE_SCHEME;
	if (slot >> kms->height)
		return CPNS_KE_SLOT_RANGE;
	/* A GKDK only for a slot that is handed out and not revoked. */
	if (kms->slots[slot] != CPNS_SLOT_ASSIGNED)
		return CPNS_KE_SLOT_STATE;
	g->scheme = scheme;
	g->height = kms->height;
	g->gateway_id = kms->gateway_id;
	g->set_id = kms->set_id;
	g->slot = slot;
	g->nkeys = ops->gkdk_keys(kms->height);
	ret = cpns_kc_init(&kc);
	if (ret)
		return ret;
	ret = ops->gkdk_fill(kms, &kc, g);
	cpns_kc_free(&kc);
	if (ret)
		cpns_gkdk_wipe(g);
	return ret;
}

size_t cpns_gkdk_len(const struct cpns_gkdk *g)
{
	return CPNS_GKDK_HDR_LEN + (size_t)g->nkeys * CPNS_KEY_LEN;
}

int cpns_gkdk_encode(const struct cpns_gkdk *g, uint8_t *buf, size_t size,
		     size_t *len)
{
	size_t need = cpns_gkdk_len(g);

	if (g->nkeys > CPNS_GKDK_KEYS_MAX)
		return CPNS_KE_INVAL;
	if (size < need)
		return CPNS_KE_TRUNCATED;
	buf[0] = CPNS_GKDK_VERSION;
	buf[1] = g->scheme;
	buf[2] = g->height;
	buf[3] = 0;
	cpns_put_be32(buf + 4, g->set_id);
	cpns_put_be64(buf + 8, g->gateway_id);
	cpns_put_be32(buf + 16, g->slot);
	memcpy(buf + CPNS_GKDK_HDR_LEN, g->keys, g->nkeys * CPNS_KEY_LEN);
	*len = need;
	return 0;
}

static int gkdk_parse(struct cpns_gkdk *g, const uint8_t *buf, size_t len)
{
	const struct cpns_scheme_ops *ops;
	size_t need;

	/* Checks in the order of Documentation/keys.rst; the kernel agrees. */
	if (len < CPNS_GKDK_HDR_LEN)
		return CPNS_KE_TRUNCATED;
	if (buf[0] != CPNS_GKDK_VERSION)
		return CPNS_KE_VERSION;
	ops = cpns_scheme_get(buf[1]);
	if (!ops)
		return CPNS_KE_SCHEME;
	if (buf[2] < 1 || buf[2] > CPNS_TREE_HEIGHT_MAX)
		return CPNS_KE_HEIGHT;
	if (buf[3])
		return CPNS_KE_RESERVED;
	g->scheme = buf[1];
	g->height = buf[2];
	g->set_id = cpns_get_be32(buf + 4);
	g->gateway_id = cpns_get_be64(buf + 8);
	g->slot = cpns_get_be32(buf + 16);
	g->nkeys = ops->gkdk_keys(g->height);
	need = CPNS_GKDK_HDR_LEN + (size_t)g->nkeys * CPNS_KEY_LEN;
	if (len < need)
		return CPNS_KE_TRUNCATED;
	if (len > need)
		return CPNS_KE_TRAILING;
	if (g->slot >> g->height)
		return CPNS_KE_SLOT_RANGE;
	memcpy(g->keys, buf + CPNS_GKDK_HDR_LEN, g->nkeys * CPNS_KEY_LEN);
	return 0;
}

int cpns_gkdk_decode(struct cpns_gkdk *g, const uint8_t *buf, size_t len)
{
	int ret;

	memset(g, 0, sizeof(*g));
	ret = gkdk_parse(g, buf, len);
	if (ret)
		cpns_gkdk_wipe(g);
	return ret;
}

int cpns_gkdk_fingerprint(const struct cpns_gkdk *g,
			  uint8_t fp[CPNS_FP_LEN])
{
	uint8_t buf[CPNS_GKDK_MAX_LEN];
	size_t len;
	int ret;

	ret = cpns_gkdk_encode(g, buf, sizeof(buf), &len);
	if (!ret)
		ret = cpns_fingerprint(CPNS_LABEL_GKDK_FP, buf, len, fp);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}
