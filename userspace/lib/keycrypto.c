// SPDX-License-Identifier: GPL-2.0
/*
 * libcrypto wrappers for the key hierarchy.  OpenSSL 3 fetches an
 * algorithm on every implicit use (EVP_aes_256_gcm() and friends), which
 * costs more than sealing 32 bytes, so a struct cpns_kc fetches once and
 * reuses its contexts.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "keycrypto.h"
#include "keyerr.h"

int cpns_kc_init(struct cpns_kc *kc)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	static const uint8_t zero[CPNS_KEY_LEN];

	memset(kc, 0, sizeof(*kc));
	kc->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	kc->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	kc->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!kc->hmac || !kc->gcm || !kc->sha256)
		goto err;
	kc->mac = EVP_MAC_CTX_new(kc->hmac);
	kc->pmac = EVP_MAC_CTX_new(kc->hmac);
	kc->cc = EVP_CIPHER_CTX_new();
	kc->md = EVP_MD_CTX_new();
	if (!kc->mac || !kc->pmac || !kc->cc || !kc->md)
		goto err;
	/*
	 * Set the digest and the cipher once; later inits only change the
	 * key, which saves a third of the cost of wrapping one cover entry.
	 */
	if (EVP_MAC_init(kc->mac, zero, sizeof(zero), params) != 1 ||
	    EVP_MAC_init(kc->pmac, zero, sizeof(zero), params) != 1 ||
	    EVP_EncryptInit_ex2(kc->cc, kc->gcm, NULL, NULL, NULL) != 1)
		goto err;
	return 0;
err:
	cpns_kc_free(kc);
	return CPNS_KE_CRYPTO;
}

void cpns_kc_free(struct cpns_kc *kc)
{
	EVP_MAC_CTX_free(kc->mac);
	EVP_MAC_CTX_free(kc->pmac);
	EVP_MAC_free(kc->hmac);
	EVP_CIPHER_CTX_free(kc->cc);
	EVP_CIPHER_free(kc->gcm);
	EVP_MD_CTX_free(kc->md);
	EVP_MD_free(kc->sha256);
	OPENSSL_cleanse(kc, sizeof(*kc));
}

int cpns_kc_expand(struct cpns_kc *kc, const uint8_t prk[CPNS_KEY_LEN],
		   const void *info, size_t info_len,
		   uint8_t out[CPNS_KEY_LEN])
{
	static const uint8_t one = 0x01;
	size_t outl;

	if (EVP_MAC_init(kc->mac, prk, CPNS_KEY_LEN, NULL) != 1 ||
	    EVP_MAC_update(kc->mac, info, info_len) != 1 ||
	    EVP_MAC_update(kc->mac, &one, 1) != 1 ||
	    EVP_MAC_final(kc->mac, out, &outl, CPNS_KEY_LEN) != 1 ||
	    outl != CPNS_KEY_LEN) {
		OPENSSL_cleanse(out, CPNS_KEY_LEN);
		return CPNS_KE_CRYPTO;
	}
	return 0;
}

int cpns_kc_expand_prk(struct cpns_kc *kc, const uint8_t prk[CPNS_KEY_LEN],
		       const void *info, size_t info_len,
		       uint8_t out[CPNS_KEY_LEN])
{
	static const uint8_t one = 0x01;
	const uint8_t *key = NULL;
	size_t outl;

	/* A NULL key makes HMAC restart from the stored key schedule. */
	if (!kc->pkeyed || CRYPTO_memcmp(kc->pkey, prk, CPNS_KEY_LEN)) {
		memcpy(kc->pkey, prk, CPNS_KEY_LEN);
		kc->pkeyed = 1;
		key = prk;
	}
	if (EVP_MAC_init(kc->pmac, key, key ? CPNS_KEY_LEN : 0, NULL) != 1 ||
	    EVP_MAC_update(kc->pmac, info, info_len) != 1 ||
	    EVP_MAC_update(kc->pmac, &one, 1) != 1 ||
	    EVP_MAC_final(kc->pmac, out, &outl, CPNS_KEY_LEN) != 1 ||
	    outl != CPNS_KEY_LEN) {
		kc->pkeyed = 0;
		OPENSSL_cleanse(out, CPNS_KEY_LEN);
		return CPNS_KE_CRYPTO;
	}
	return 0;
}

int cpns_kc_sha256(struct cpns_kc *kc, const struct cpns_iov *v, int n,
		   uint8_t out[32])
{
	int i;

	if (EVP_DigestInit_ex(kc->md, kc->sha256, NULL) != 1)
		return CPNS_KE_CRYPTO;
	for (i = 0; i < n; i++)
		if (EVP_DigestUpdate(kc->md, v[i].p, v[i].len) != 1)
			return CPNS_KE_CRYPTO;
	if (EVP_DigestFinal_ex(kc->md, out, NULL) != 1)
		return CPNS_KE_CRYPTO;
	return 0;
}

/* Feed associated data; EVP takes int lengths, so feed it in slices. */
static int gcm_aad(EVP_CIPHER_CTX *c, const struct cpns_iov *aad, int naad,
		   int enc)
{
	int i, outl;

	for (i = 0; i < naad; i++) {
		const uint8_t *p = aad[i].p;
		size_t len = aad[i].len;

		while (len) {
			int n = len > (1 << 20) ? (1 << 20) : (int)len;
			int r = enc ? EVP_EncryptUpdate(c, NULL, &outl, p, n)
				    : EVP_DecryptUpdate(c, NULL, &outl, p, n);

			if (r != 1)
				return -1;
			p += n;
			len -= n;
		}
	}
	return 0;
}

int cpns_kc_seal(struct cpns_kc *kc, const uint8_t key[CPNS_KEY_LEN],
		 const uint8_t nonce[CPNS_NONCE_LEN],
		 const struct cpns_iov *aad, int naad,
		 const uint8_t *pt, size_t len, uint8_t *ct,
		 uint8_t tag[CPNS_TAG_LEN])
{
	EVP_CIPHER_CTX *c = kc->cc;
	int outl, fin;

	/* Only small payloads (keys) are sealed here. */
	if (len > 4096)
		return CPNS_KE_INVAL;
	if (EVP_EncryptInit_ex2(c, NULL, key, nonce, NULL) != 1 ||
	    gcm_aad(c, aad, naad, 1) ||
	    EVP_EncryptUpdate(c, ct, &outl, pt, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(c, ct + outl, &fin) != 1 ||
	    (size_t)(outl + fin) != len ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CPNS_TAG_LEN,
				tag) != 1)
		return CPNS_KE_CRYPTO;
	return 0;
}

int cpns_kc_open(struct cpns_kc *kc, const uint8_t key[CPNS_KEY_LEN],
		 const uint8_t nonce[CPNS_NONCE_LEN],
		 const struct cpns_iov *aad, int naad,
		 const uint8_t *ct, size_t len,
		 const uint8_t tag[CPNS_TAG_LEN], uint8_t *pt, int authfail)
{
	EVP_CIPHER_CTX *c = kc->cc;
	uint8_t t[CPNS_TAG_LEN];
	int outl, fin;

	if (len > 4096)
		return CPNS_KE_INVAL;
	memcpy(t, tag, sizeof(t));
	if (EVP_DecryptInit_ex2(c, NULL, key, nonce, NULL) != 1 ||
	    gcm_aad(c, aad, naad, 0) ||
	    EVP_DecryptUpdate(c, pt, &outl, ct, (int)len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CPNS_TAG_LEN,
				t) != 1) {
		OPENSSL_cleanse(pt, len);
		return CPNS_KE_CRYPTO;
	}
	if (EVP_DecryptFinal_ex(c, pt + outl, &fin) != 1) {
		/* Never hand out plaintext that failed authentication. */
		OPENSSL_cleanse(pt, len);
		return authfail;
	}
	return 0;
}

static int hkdf(int mode, const void *salt, size_t salt_len,
		const void *key, size_t key_len, const void *info,
		size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[6], *q = p;
	int ret = CPNS_KE_CRYPTO;

	if (!ctx)
		goto out;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						"SHA256", 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, key_len);
	if (salt)
		*q++ = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	if (info)
		*q++ = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, p) == 1)
		ret = 0;
	else
		OPENSSL_cleanse(out, out_len);
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

int cpns_hkdf_extract(const void *salt, size_t salt_len,
		      const void *ikm, size_t ikm_len,
		      uint8_t prk[CPNS_KEY_LEN])
{
	return hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len,
		    ikm, ikm_len, NULL, 0, prk, CPNS_KEY_LEN);
}

int cpns_hkdf_expand_ref(const uint8_t prk[CPNS_KEY_LEN],
			 const void *info, size_t info_len,
			 uint8_t *out, size_t out_len)
{
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk,
		    CPNS_KEY_LEN, info, info_len, out, out_len);
}

int cpns_fingerprint(const char *label, const void *data, size_t len,
		     uint8_t fp[CPNS_FP_LEN])
{
	uint8_t h[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, label, strlen(label)) == 1 &&
	     EVP_DigestUpdate(md, data, len) == 1 &&
	     EVP_DigestFinal_ex(md, h, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return CPNS_KE_CRYPTO;
	memcpy(fp, h, CPNS_FP_LEN);
	OPENSSL_cleanse(h, sizeof(h));
	return 0;
}
