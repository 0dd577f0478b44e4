/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GKDK: what a PNE holds to decrypt Group Keys.  For the Complete Subtree
 * scheme it is the slot and the h+1 node keys from the slot's leaf up to
 * the root.  The encoding below is what a GKDK Assignment Response
 * carries and what cpns.ko stores (Documentation/keys.rst, "GKDK"); all
 * integers big-endian:
 *
 *   off size field
 *     0    1 version (1)
 *     1    1 scheme (enum cpns_scheme)
 *     2    1 height h, 1..CPNS_TREE_HEIGHT_MAX
 *     3    1 reserved, 0
 *     4    4 set id (generation of the key material set)
 *     8    8 gateway id
 *    16    4 slot, < 2^h
 *    20 32*k keys; CS: k = h+1, keys[d] = K(node (2^h + slot) >> d)
 */
#ifndef CPNS_GKDK_H
#define CPNS_GKDK_H

#include <stddef.h>
#include <stdint.h>

#include <linux/cpns.h>

#include "keycrypto.h"
#include "keytree.h"

#define CPNS_GKDK_VERSION	1
#define CPNS_GKDK_HDR_LEN	20
#define CPNS_GKDK_KEYS_MAX	(CPNS_TREE_HEIGHT_MAX + 1)
/* The UAPI header may carry the limits too; they must agree. */
#ifndef CPNS_GKDK_MAX_LEN
#define CPNS_GKDK_MAX_LEN	692
#endif
_Static_assert(CPNS_GKDK_MAX_LEN ==
	       CPNS_GKDK_HDR_LEN + CPNS_GKDK_KEYS_MAX * CPNS_KEY_LEN,
	       "GKDK size limit disagrees with the format");
#ifdef CPNS_GKDK_MIN_LEN
_Static_assert(CPNS_GKDK_MIN_LEN == CPNS_GKDK_HDR_LEN + 2 * CPNS_KEY_LEN,
	       "GKDK minimum size disagrees with the format");
#endif
#define CPNS_LABEL_GKDK_FP	"cpns-v1 gkdk fingerprint"

struct cpns_gkdk {
	uint8_t scheme;		/* enum cpns_scheme */
	uint8_t height;
	uint64_t gateway_id;
	uint32_t set_id;
	uint32_t slot;
	unsigned int nkeys;
	/* CS: keys[d] is the key of the ancestor d levels above the leaf. */
	uint8_t keys[CPNS_GKDK_KEYS_MAX][CPNS_KEY_LEN];
};

/* GKDK Assignment step 4: the GKDK of an ASSIGNED slot. */
int cpns_gkdk_create(const struct cpns_kms *kms, enum cpns_scheme scheme,
		     uint32_t slot, struct cpns_gkdk *g);
size_t cpns_gkdk_len(const struct cpns_gkdk *g);
/* Encode into @buf (@size bytes); *@len gets the length. */
int cpns_gkdk_encode(const struct cpns_gkdk *g, uint8_t *buf, size_t size,
		     size_t *len);
/* Strict decode; on error @g is wiped. */
int cpns_gkdk_decode(struct cpns_gkdk *g, const uint8_t *buf, size_t len);
/* First 8 bytes of SHA-256("cpns-v1 gkdk fingerprint" || encoding). */
int cpns_gkdk_fingerprint(const struct cpns_gkdk *g,
			  uint8_t fp[CPNS_FP_LEN]);
void cpns_gkdk_wipe(struct cpns_gkdk *g);

#endif /* CPNS_GKDK_H */
