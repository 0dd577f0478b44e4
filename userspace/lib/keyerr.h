/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Error codes of the key hierarchy (GKDK, wrapped Group Key, signatures).
 *
 * Every refusal has its own code so that a caller can log exactly why, and
 * so that the kernel's unwrap code can mirror the same checks, in the same
 * order, as extack messages.  The numbers are part of the test vectors
 * (by name): append new codes at the end, never renumber.
 */
#ifndef CPNS_KEYERR_H
#define CPNS_KEYERR_H

enum cpns_kerr {
	CPNS_KE_OK = 0,
	CPNS_KE_INVAL,			/* bad argument from the caller */
	CPNS_KE_NOMEM,
	CPNS_KE_CRYPTO,			/* libcrypto failed internally */
	CPNS_KE_TRUNCATED,		/* input shorter than it must be */
	CPNS_KE_TRAILING,		/* bytes after the structure */
	CPNS_KE_VERSION,		/* unknown format version */
	CPNS_KE_SCHEME,			/* unknown scheme */
	CPNS_KE_HEIGHT,			/* tree height outside 1..20 */
	CPNS_KE_RESERVED,		/* reserved byte not zero */
	CPNS_KE_SLOT_RANGE,		/* GKDK slot >= 2^h */
	CPNS_KE_LIFETIME,		/* valid_until <= valid_from */
	CPNS_KE_COUNT,			/* cover count 0 or above the limit */
	CPNS_KE_NODE_RANGE,		/* cover node index outside the tree */
	CPNS_KE_COVER_ORDER,		/* cover not in ascending slot order */
	CPNS_KE_COVER_OVERLAP,		/* cover subtrees repeat or overlap */
	CPNS_KE_COVER_NOT_MINIMAL,	/* two sibling subtrees both listed */
	CPNS_KE_GKDK_SCHEME,		/* GKDK and blob use other schemes */
	CPNS_KE_GKDK_GATEWAY,		/* GKDK from another gateway */
	CPNS_KE_GKDK_KEYSET,		/* GKDK from another key material set */
	CPNS_KE_GKDK_HEIGHT,		/* GKDK and blob trees differ in h */
	CPNS_KE_GROUP,			/* blob for another Service Group */
	CPNS_KE_STALE_EPOCH,		/* epoch below the caller's minimum */
	CPNS_KE_NOT_YET_VALID,		/* now < valid_from */
	CPNS_KE_EXPIRED,		/* now >= valid_until */
	CPNS_KE_NOT_MEMBER,		/* no cover entry above our slot */
	CPNS_KE_WRAP_AUTH,		/* GKEK unwrap failed authentication */
	CPNS_KE_SEAL_AUTH,		/* Group Key seal failed to open */
	CPNS_KE_SIGNATURE,		/* gateway signature does not verify */
	CPNS_KE_EMPTY,			/* a Group Key for nobody */
	CPNS_KE_TOO_BIG,		/* cover larger than CPNS_COVER_MAX */
	CPNS_KE_MEMBERS,		/* members unsorted or out of range */
	CPNS_KE_SLOT_STATE,		/* slot not in the state required */
	CPNS_KE_FULL,			/* every slot of the tree used up */

	__CPNS_KE_MAX
};

/* Stable token for logs and test vectors, e.g. "not_member". */
const char *cpns_kerr_name(int err);
/* One-line human explanation, the text an extack message would carry. */
const char *cpns_kerr_str(int err);
/* The token's code, or -1 when unknown. */
int cpns_kerr_from_name(const char *name);
/* The errno the kernel returns for this refusal (positive). */
int cpns_kerr_errno(int err);

#endif /* CPNS_KEYERR_H */
