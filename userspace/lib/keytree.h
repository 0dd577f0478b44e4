/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The key material set of a PN GW: a binary tree of height h over 2^h PNE
 * slots whose node keys are derived on demand from one 32-byte master
 * secret, plus the slot table saying which slots were ever handed out.
 *
 * Nodes use heap numbering: root 1, children of n are 2n and 2n+1, the
 * leaf of slot s is 2^h + s.  The ancestor of n that is d levels up is
 * n >> d, which makes every tree question a shift and a compare.
 */
#ifndef CPNS_KEYTREE_H
#define CPNS_KEYTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/cpns.h>

#include "keycrypto.h"

#define CPNS_TREE_HEIGHT_DEFAULT	16
#define CPNS_MASTER_LEN			32

/* Labels (ASCII, no terminating NUL) of Documentation/keys.rst. */
#define CPNS_LABEL_KMS		"cpns-v1 key material set"
#define CPNS_LABEL_NODE		"cpns-v1 node"

static inline unsigned int cpns_node_depth(uint32_t n)
{
	return 31 - __builtin_clz(n);
}

static inline bool cpns_node_valid(unsigned int h, uint32_t n)
{
	return n >= 1 && n < (UINT32_C(2) << h);
}

static inline uint32_t cpns_leaf(unsigned int h, uint32_t slot)
{
	return (UINT32_C(1) << h) | slot;
}

/* First and last slot under node @n (which must be valid for @h). */
static inline uint32_t cpns_node_first(unsigned int h, uint32_t n)
{
	unsigned int k = h - cpns_node_depth(n);

	return (n << k) - (UINT32_C(1) << h);
}

static inline uint32_t cpns_node_last(unsigned int h, uint32_t n)
{
	unsigned int k = h - cpns_node_depth(n);

	return cpns_node_first(h, n) + (UINT32_C(1) << k) - 1;
}

/* Is slot @slot under node @n? */
static inline bool cpns_node_covers(unsigned int h, uint32_t n,
				    uint32_t slot)
{
	unsigned int d = h - cpns_node_depth(n);

	return (cpns_leaf(h, slot) >> d) == n;
}

enum cpns_slot_state {
	CPNS_SLOT_FREE,		/* never handed out */
	CPNS_SLOT_ASSIGNED,	/* a PNE holds its GKDK */
	CPNS_SLOT_REVOKED,	/* burnt: never handed out again */
};

struct cpns_kms {
	uint64_t gateway_id;
	uint32_t set_id;	/* generation of the key material set */
	unsigned int height;
	uint8_t master[CPNS_MASTER_LEN];
	uint8_t prk[CPNS_KEY_LEN];	/* HKDF-Extract of master */
	uint8_t *slots;		/* 2^h enum cpns_slot_state */
	uint32_t hint;		/* no FREE slot below this */
};

/* A new set with a master secret from the CSPRNG. */
int cpns_kms_create(struct cpns_kms **out, uint64_t gateway_id,
		    uint32_t set_id, unsigned int height);
/* Rebuild a stored set; every slot starts FREE (restore with _slot_set). */
int cpns_kms_from_master(struct cpns_kms **out, uint64_t gateway_id,
			 uint32_t set_id, unsigned int height,
			 const uint8_t master[CPNS_MASTER_LEN]);
/* Wipes the secrets and frees; NULL is fine. */
void cpns_kms_free(struct cpns_kms *kms);

/* Node key K_n = HKDF-Expand(PRK, "cpns-v1 node" || gw || set || h || n). */
int cpns_kms_node_key(const struct cpns_kms *kms, struct cpns_kc *kc,
		      uint32_t node, uint8_t key[CPNS_KEY_LEN]);

/*
 * Hand out the lowest never-used slot.  Slots are never reused: a revoked
 * PNE keeps its path keys, so a new PNE on the same leaf would share them.
 * Returns CPNS_KE_FULL when the tree is used up (create a new set_id).
 */
int cpns_kms_slot_assign(struct cpns_kms *kms, uint32_t *slot);
/* Allowed moves: FREE->ASSIGNED, FREE->REVOKED, ASSIGNED->REVOKED. */
int cpns_kms_slot_set(struct cpns_kms *kms, uint32_t slot,
		      enum cpns_slot_state state);
int cpns_kms_slot_state(const struct cpns_kms *kms, uint32_t slot);

#endif /* CPNS_KEYTREE_H */
