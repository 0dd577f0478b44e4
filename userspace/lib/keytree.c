// SPDX-License-Identifier: GPL-2.0
/*
 * Key material set: master secret, HKDF node keys and the slot table.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyerr.h"
#include "keytree.h"
#include "rand.h"

int cpns_kms_from_master(struct cpns_kms **out, uint64_t gateway_id,
			 uint32_t set_id, unsigned int height,
			 const uint8_t master[CPNS_MASTER_LEN])
{
	struct cpns_kms *kms;
	int ret;

	*out = NULL;
	if (height < 1 || height > CPNS_TREE_HEIGHT_MAX)
		return CPNS_KE_HEIGHT;
	kms = calloc(1, sizeof(*kms));
	if (!kms)
		return CPNS_KE_NOMEM;
	kms->slots = calloc(UINT32_C(1) << height, 1);
	if (!kms->slots) {
		free(kms);
		return CPNS_KE_NOMEM;
	}
	kms->gateway_id = gateway_id;
	kms->set_id = set_id;
	kms->height = height;
	memcpy(kms->master, master, CPNS_MASTER_LEN);
	ret = cpns_hkdf_extract(CPNS_LABEL_KMS, strlen(CPNS_LABEL_KMS),
				master, CPNS_MASTER_LEN, kms->prk);
	if (ret) {
		cpns_kms_free(kms);
		return ret;
	}
	*out = kms;
	return 0;
}

int cpns_kms_create(struct cpns_kms **out, uint64_t gateway_id,
		    uint32_t set_id, unsigned int height)
{
	uint8_t master[CPNS_MASTER_LEN];
	int ret;

	*out = NULL;
	ret = cpns_random_bytes(master, sizeof(master));
	if (!ret)
		ret = cpns_kms_from_master(out, gateway_id, set_id, height,
					   master);
	OPENSSL_cleanse(master, sizeof(master));
	return ret;
}

void cpns_kms_free(struct cpns_kms *kms)
{
	if (!kms)
		return;
	free(kms->slots);
	OPENSSL_cleanse(kms, sizeof(*kms));
	free(kms);
}

int cpns_kms_node_key(const struct cpns_kms *kms, struct cpns_kc *kc,
		      uint32_t node, uint8_t key[CPNS_KEY_LEN])
{
	uint8_t info[sizeof(CPNS_LABEL_NODE) - 1 + 8 + 4 + 1 + 4];
	uint8_t *p = info;

	if (!cpns_node_valid(kms->height, node))
		return CPNS_KE_NODE_RANGE;
	memcpy(p, CPNS_LABEL_NODE, sizeof(CPNS_LABEL_NODE) - 1);
	p += sizeof(CPNS_LABEL_NODE) - 1;
	cpns_put_be64(p, kms->gateway_id);
	cpns_put_be32(p + 8, kms->set_id);
	p[12] = kms->height;
	cpns_put_be32(p + 13, node);
	return cpns_kc_expand_prk(kc, kms->prk, info, sizeof(info), key);
}

int cpns_kms_slot_state(const struct cpns_kms *kms, uint32_t slot)
{
	if (slot >> kms->height)
		return -1;
	return kms->slots[slot];
}

int cpns_kms_slot_set(struct cpns_kms *kms, uint32_t slot,
		      enum cpns_slot_state state)
{
	unsigned int cur;

	if (slot >> kms->height)
		return CPNS_KE_SLOT_RANGE;
	cur = kms->slots[slot];
	/* States only move forward: a burnt slot never comes back. */
	if ((unsigned int)state <= cur || state > CPNS_SLOT_REVOKED)
		return CPNS_KE_SLOT_STATE;
	kms->slots[slot] = state;
	return 0;
}

int cpns_kms_slot_assign(struct cpns_kms *kms, uint32_t *slot)
{
	uint32_t n = UINT32_C(1) << kms->height, s;

	/*
	 * Lowest first keeps the members of a gateway packed to the left
	 * of the tree, which keeps covers small.
	 */
	for (s = kms->hint; s < n; s++) {
		if (kms->slots[s] == CPNS_SLOT_FREE) {
			kms->slots[s] = CPNS_SLOT_ASSIGNED;
			kms->hint = s + 1;
			*slot = s;
			return 0;
		}
	}
	kms->hint = n;
	return CPNS_KE_FULL;
}
