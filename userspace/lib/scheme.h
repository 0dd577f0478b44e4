/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Broadcast-encryption scheme interface.  The blob and GKDK formats carry
 * a scheme id; everything that depends on the scheme (what a GKDK holds,
 * how a cover element is named on the wire, which key wraps the GKEK for
 * it, which GKDK key opens it) sits behind these operations, so a second
 * scheme (Subset Difference) adds one file and one table entry, and the
 * generic code in gkdk.c and gkblob.c, the callers and the netlink UAPI
 * stay as they are.
 */
#ifndef CPNS_SCHEME_H
#define CPNS_SCHEME_H

#include <stddef.h>
#include <stdint.h>

#include "keycrypto.h"
#include "keytree.h"

struct cpns_gkdk;

struct cpns_scheme_ops {
	unsigned int id;	/* enum cpns_scheme */
	const char *name;
	size_t id_len;		/* bytes naming one cover element */

	/* GKDK: how many keys a height-@h GKDK holds, and filling them. */
	unsigned int (*gkdk_keys)(unsigned int h);
	int (*gkdk_fill)(const struct cpns_kms *kms, struct cpns_kc *kc,
			 struct cpns_gkdk *g);

	/*
	 * Cover + wrap: the cover of the checked members as a malloc'ed
	 * array of *@count wire-format ids, in canonical order; and the key
	 * of one cover element, under which the gateway wraps the GKEK.
	 */
	size_t (*cover_max)(unsigned int h);
	int (*cover)(unsigned int h, const uint32_t *members, size_t n,
		     uint8_t **ids, size_t *count);
	int (*cover_key)(const struct cpns_kms *kms, struct cpns_kc *kc,
			 const uint8_t *id, uint8_t key[CPNS_KEY_LEN]);

	/* Strict check of a received cover (enum cpns_kerr). */
	int (*check_cover)(unsigned int h, const uint8_t *ids, size_t count);
	/*
	 * Find + unwrap: the entry this GKDK can open and the key for it,
	 * or CPNS_KE_NOT_MEMBER.  @key points into @g.
	 */
	int (*find)(const struct cpns_gkdk *g, const uint8_t *ids,
		    size_t count, size_t *index, const uint8_t **key);
};

/* The operations of scheme @id, or NULL when unknown. */
const struct cpns_scheme_ops *cpns_scheme_get(unsigned int id);

extern const struct cpns_scheme_ops cpns_scheme_cs;

#endif /* CPNS_SCHEME_H */
