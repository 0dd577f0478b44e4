/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrappers over libcrypto for the key hierarchy: HKDF-SHA-256,
 * SHA-256, AES-256-GCM.  A struct cpns_kc holds the fetched algorithms and
 * reusable contexts, so a blob with thousands of cover entries does not
 * fetch an algorithm per entry.  No cipher is implemented here.
 */
#ifndef CPNS_KEYCRYPTO_H
#define CPNS_KEYCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifndef CPNS_KEY_LEN		/* also in the UAPI header */
#define CPNS_KEY_LEN	32	/* node keys, GKEK, Group Key, wrap keys */
#endif
#define CPNS_NONCE_LEN	12	/* AES-GCM nonce */
#define CPNS_TAG_LEN	16	/* AES-GCM tag */
#define CPNS_FP_LEN	8	/* fingerprints */

struct cpns_kc {
	void *hmac;		/* EVP_MAC */
	void *mac;		/* EVP_MAC_CTX, re-keyed on every use */
	void *pmac;		/* EVP_MAC_CTX keyed with pkey, reused */
	uint8_t pkey[CPNS_KEY_LEN];
	int pkeyed;
	void *gcm;		/* EVP_CIPHER */
	void *cc;		/* EVP_CIPHER_CTX */
	void *sha256;		/* EVP_MD */
	void *md;		/* EVP_MD_CTX */
};

/* One piece of associated data or hashed input. */
struct cpns_iov {
	const void *p;
	size_t len;
};

int cpns_kc_init(struct cpns_kc *kc);
void cpns_kc_free(struct cpns_kc *kc);

/*
 * HKDF-Expand (RFC 5869) with SHA-256 and L = 32: one HMAC,
 * T(1) = HMAC-SHA-256(prk, info || 0x01).
 */
int cpns_kc_expand(struct cpns_kc *kc, const uint8_t prk[CPNS_KEY_LEN],
		   const void *info, size_t info_len,
		   uint8_t out[CPNS_KEY_LEN]);

/*
 * The same for many expansions of one PRK (node keys of a tree): the
 * HMAC key schedule is computed once and reused while @prk stays the same.
 */
int cpns_kc_expand_prk(struct cpns_kc *kc, const uint8_t prk[CPNS_KEY_LEN],
		       const void *info, size_t info_len,
		       uint8_t out[CPNS_KEY_LEN]);

int cpns_kc_sha256(struct cpns_kc *kc, const struct cpns_iov *v, int n,
		   uint8_t out[32]);

/* AES-256-GCM over @len bytes; @aad is the concatenation of @naad pieces. */
int cpns_kc_seal(struct cpns_kc *kc, const uint8_t key[CPNS_KEY_LEN],
		 const uint8_t nonce[CPNS_NONCE_LEN],
		 const struct cpns_iov *aad, int naad,
		 const uint8_t *pt, size_t len, uint8_t *ct,
		 uint8_t tag[CPNS_TAG_LEN]);
/* Returns 0, CPNS_KE_CRYPTO, or @authfail when the tag does not verify. */
int cpns_kc_open(struct cpns_kc *kc, const uint8_t key[CPNS_KEY_LEN],
		 const uint8_t nonce[CPNS_NONCE_LEN],
		 const struct cpns_iov *aad, int naad,
		 const uint8_t *ct, size_t len,
		 const uint8_t tag[CPNS_TAG_LEN], uint8_t *pt, int authfail);

/* HKDF-Extract with SHA-256 through EVP_KDF. */
int cpns_hkdf_extract(const void *salt, size_t salt_len,
		      const void *ikm, size_t ikm_len,
		      uint8_t prk[CPNS_KEY_LEN]);
/* HKDF-Expand through EVP_KDF, any length: the reference for tests. */
int cpns_hkdf_expand_ref(const uint8_t prk[CPNS_KEY_LEN],
			 const void *info, size_t info_len,
			 uint8_t *out, size_t out_len);

/* First 8 bytes of SHA-256(label || data). */
int cpns_fingerprint(const char *label, const void *data, size_t len,
		     uint8_t fp[CPNS_FP_LEN]);

static inline void cpns_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void cpns_put_be64(uint8_t *p, uint64_t v)
{
	cpns_put_be32(p, v >> 32);
	cpns_put_be32(p + 4, (uint32_t)v);
}

static inline uint32_t cpns_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t cpns_get_be64(const uint8_t *p)
{
	return (uint64_t)cpns_get_be32(p) << 32 | cpns_get_be32(p + 4);
}

#endif /* CPNS_KEYCRYPTO_H */
