/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Encrypted Group Key ("blob"): what a PN GW broadcasts in a Group Key
 * Notification (Group Key delivery steps 4-6) and what cpns.ko decrypts
 * (step 8).  Layout, all integers big-endian (Documentation/keys.rst):
 *
 *   off size field
 *     0    1 version (1)
 *     1    1 scheme (enum cpns_scheme)
 *     2    1 height h
 *     3    1 reserved, 0
 *     4    4 set id
 *     8    8 gateway id
 *    16    4 Service Group id
 *    20    4 cover count c, 1..cover_max(h)
 *    24    8 key epoch
 *    32    8 valid from (Unix seconds)
 *    40    8 valid until (Unix seconds), > valid from
 *    48   16 salt (random)
 *    64  c*L cover ids (CS: L = 4, be32 node index), canonical order
 *     .. c*60 wraps: nonce(12) || AES-GCM(GKEK)(32) || tag(16)
 *     ..   60 seal:  nonce(12) || AES-GCM(Group Key)(32) || tag(16)
 *
 *   D     = SHA-256(bytes 0 .. end of cover ids)
 *   WK_i  = HKDF-Expand(K(id_i), "cpns-v1 wrap" || D || id_i, 32)
 *   wrap_i = AES-256-GCM(WK_i, nonce_i, aad = D || id_i, GKEK)
 *   seal  = AES-256-GCM(GKEK, nonce, aad = bytes 0 .. end of wraps, GK)
 */
#ifndef CPNS_GKBLOB_H
#define CPNS_GKBLOB_H

#include <stddef.h>
#include <stdint.h>

#include <linux/cpns.h>

#include "gkdk.h"
#include "keycrypto.h"
#include "keytree.h"

#define CPNS_GK_VERSION		1
#define CPNS_GK_HDR_LEN		64
#define CPNS_GK_SALT_LEN	16
#define CPNS_GK_WRAP_LEN	(CPNS_NONCE_LEN + CPNS_KEY_LEN + CPNS_TAG_LEN)
#define CPNS_GK_SEAL_LEN	CPNS_GK_WRAP_LEN
#define CPNS_LABEL_WRAP		"cpns-v1 wrap"
#define CPNS_LABEL_GK_FP	"cpns-v1 gk fingerprint"

#ifdef CPNS_WRAPPED_MIN_LEN
_Static_assert(CPNS_WRAPPED_MIN_LEN == CPNS_GK_HDR_LEN + 4 +
	       CPNS_GK_WRAP_LEN + CPNS_GK_SEAL_LEN,
	       "smallest blob disagrees with the format");
#endif

struct cpns_scheme_ops;

/* What the gateway puts in the header besides its own identity. */
struct cpns_gk_params {
	enum cpns_scheme scheme;
	uint32_t group_id;
	uint64_t epoch;
	uint64_t valid_from;
	uint64_t valid_until;
};

struct cpns_gk_hdr {
	uint8_t version;
	uint8_t scheme;
	uint8_t height;
	uint32_t set_id;
	uint64_t gateway_id;
	uint32_t group_id;
	uint32_t count;
	uint64_t epoch;
	uint64_t valid_from;
	uint64_t valid_until;
	uint8_t salt[CPNS_GK_SALT_LEN];
};

/* A parsed blob: the header and where each section starts in @blob. */
struct cpns_gk_view {
	struct cpns_gk_hdr hdr;
	const struct cpns_scheme_ops *ops;
	const uint8_t *blob;
	size_t len;
	size_t wraps_off;	/* cover ids run from CPNS_GK_HDR_LEN */
	size_t seal_off;
};

/* Optional checks of cpns_gk_open() beyond the cryptography. */
#define CPNS_GKX_GROUP	0x1	/* group_id must match */
#define CPNS_GKX_EPOCH	0x2	/* epoch must be >= min_epoch */
#define CPNS_GKX_TIME	0x4	/* valid_from <= now < valid_until */

struct cpns_gk_expect {
	uint32_t flags;
	uint32_t group_id;
	uint64_t min_epoch;
	uint64_t now;
};

/* Blob length for @count cover entries of @id_len bytes. */
size_t cpns_gk_blob_len(size_t count, size_t id_len);

/*
 * Group Key delivery steps 4-5: a fresh GKEK wrapped for the cover of
 * @members (strictly ascending ASSIGNED slots of @kms) and @gk sealed
 * under it.  *@blob is malloc'ed; free it with free().
 */
int cpns_gk_build(const struct cpns_kms *kms, const struct cpns_gk_params *p,
		  const uint32_t *members, size_t n,
		  const uint8_t gk[CPNS_KEY_LEN], uint8_t **blob, size_t *len);

/* Strict structural parse, no keys needed. */
int cpns_gk_parse(const uint8_t *blob, size_t len, struct cpns_gk_view *v);

/*
 * Step 8: open @blob with @g.  @x may be NULL.  On success @gk holds the
 * Group Key and @hdr (may be NULL) the header; on error @gk is zeroed.
 */
int cpns_gk_open(const struct cpns_gkdk *g, const uint8_t *blob, size_t len,
		 const struct cpns_gk_expect *x, uint8_t gk[CPNS_KEY_LEN],
		 struct cpns_gk_hdr *hdr);
/* The same with caller-provided crypto contexts (benchmarks, loops). */
int cpns_gk_open_kc(struct cpns_kc *kc, const struct cpns_gkdk *g,
		    const uint8_t *blob, size_t len,
		    const struct cpns_gk_expect *x, uint8_t gk[CPNS_KEY_LEN],
		    struct cpns_gk_hdr *hdr);

/* First 8 bytes of SHA-256("cpns-v1 gk fingerprint" || gk). */
int cpns_gk_fingerprint(const uint8_t gk[CPNS_KEY_LEN],
			uint8_t fp[CPNS_FP_LEN]);

#endif /* CPNS_GKBLOB_H */
