// SPDX-License-Identifier: GPL-2.0
/*
 * Complete Subtree scheme: a cover element is a tree node (be32 heap
 * index), its key is the node key, and a GKDK holds the keys of the h+1
 * nodes on the slot's path, so the member under node n at depth
 * depth(n) uses keys[h - depth(n)].
 */
#include <stdlib.h>

#include <openssl/crypto.h>

#include "cover.h"
#include "gkdk.h"
#include "keyerr.h"
#include "scheme.h"

static unsigned int cs_gkdk_keys(unsigned int h)
{
	return h + 1;
}

static int cs_gkdk_fill(const struct cpns_kms *kms, struct cpns_kc *kc,
			struct cpns_gkdk *g)
{
	uint32_t n = cpns_leaf(g->height, g->slot);
	unsigned int d;
	int ret;

	for (d = 0; d <= g->height; d++) {
		ret = cpns_kms_node_key(kms, kc, n >> d, g->keys[d]);
		if (ret)
			return ret;
	}
	return 0;
}

static int cs_cover(unsigned int h, const uint32_t *members, size_t n,
		    uint8_t **ids, size_t *count)
{
	uint32_t *nodes;
	uint8_t *out;
	size_t c, i;

	*ids = NULL;
	*count = 0;
	nodes = malloc(n * sizeof(*nodes));
	if (!nodes)
		return CPNS_KE_NOMEM;
	c = cpns_cs_cover(h, members, n, nodes);
	out = malloc(c * 4);
	if (!out) {
		free(nodes);
		return CPNS_KE_NOMEM;
	}
	for (i = 0; i < c; i++)
		cpns_put_be32(out + 4 * i, nodes[i]);
	free(nodes);
	*ids = out;
	*count = c;
	return 0;
}

static int cs_cover_key(const struct cpns_kms *kms, struct cpns_kc *kc,
			const uint8_t *id, uint8_t key[CPNS_KEY_LEN])
{
	return cpns_kms_node_key(kms, kc, cpns_get_be32(id), key);
}

static int cs_find(const struct cpns_gkdk *g, const uint8_t *ids,
		   size_t count, size_t *index, const uint8_t **key)
{
	long i = cpns_cs_find(g->height, ids, count, g->slot);

	if (i < 0)
		return CPNS_KE_NOT_MEMBER;
	*index = i;
	*key = g->keys[g->height - cpns_node_depth(cpns_get_be32(ids + 4 * i))];
	return 0;
}

const struct cpns_scheme_ops cpns_scheme_cs = {
	.id = CPNS_SCHEME_CS,
	.name = "cs",
	.id_len = 4,
	.gkdk_keys = cs_gkdk_keys,
	.gkdk_fill = cs_gkdk_fill,
	.cover_max = cpns_cs_cover_max,
	.cover = cs_cover,
	.cover_key = cs_cover_key,
	.check_cover = cpns_cs_check_cover,
	.find = cs_find,
};
