// SPDX-License-Identifier: GPL-2.0
/*
 * Ed25519 signatures over Group Key Notifications, via EVP.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keyerr.h"
#include "rand.h"
#include "sign.h"

#define LABEL_LEN	(sizeof(CPNS_LABEL_SIG) - 1)

int cpns_sig_public(const uint8_t sk[CPNS_SIG_KEY_LEN],
		    uint8_t pk[CPNS_SIG_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						   sk, CPNS_SIG_KEY_LEN);
	size_t l = CPNS_SIG_KEY_LEN;
	int ok;

	ok = k && EVP_PKEY_get_raw_public_key(k, pk, &l) == 1 &&
	     l == CPNS_SIG_KEY_LEN;
	EVP_PKEY_free(k);
	return ok ? 0 : CPNS_KE_CRYPTO;
}

int cpns_sig_keygen(uint8_t sk[CPNS_SIG_KEY_LEN],
		    uint8_t pk[CPNS_SIG_KEY_LEN])
{
	int ret = cpns_random_bytes(sk, CPNS_SIG_KEY_LEN);

	if (!ret)
		ret = cpns_sig_public(sk, pk);
	if (ret)
		OPENSSL_cleanse(sk, CPNS_SIG_KEY_LEN);
	return ret;
}

/* "cpns-v1 group key notification" || blob, in one buffer for EVP. */
static uint8_t *tbs(const uint8_t *blob, size_t len)
{
	uint8_t *m = malloc(LABEL_LEN + len);

	if (m) {
		memcpy(m, CPNS_LABEL_SIG, LABEL_LEN);
		memcpy(m + LABEL_LEN, blob, len);
	}
	return m;
}

int cpns_gkn_sign(const uint8_t sk[CPNS_SIG_KEY_LEN], const uint8_t *blob,
		  size_t len, uint8_t **out, size_t *out_len)
{
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t *m = NULL, *o = NULL;
	size_t sl = CPNS_SIG_LEN;
	int ret = CPNS_KE_NOMEM;

	*out = NULL;
	*out_len = 0;
	m = tbs(blob, len);
	o = malloc(len + CPNS_SIG_LEN);
	md = EVP_MD_CTX_new();
	if (!m || !o || !md)
		goto out;
	ret = CPNS_KE_CRYPTO;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk,
					 CPNS_SIG_KEY_LEN);
	if (!k || EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(md, o + len, &sl, m, LABEL_LEN + len) != 1 ||
	    sl != CPNS_SIG_LEN)
		goto out;
	memcpy(o, blob, len);
	*out = o;
	*out_len = len + CPNS_SIG_LEN;
	o = NULL;
	ret = 0;
out:
	EVP_PKEY_free(k);
	EVP_MD_CTX_free(md);
	free(m);
	free(o);
	return ret;
}

int cpns_gkn_verify(const uint8_t pk[CPNS_SIG_KEY_LEN], const uint8_t *msg,
		    size_t len, size_t *blob_len)
{
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t *m = NULL;
	size_t bl;
	int ret;

	*blob_len = 0;
	if (len <= CPNS_SIG_LEN)
		return CPNS_KE_TRUNCATED;
	bl = len - CPNS_SIG_LEN;
	ret = CPNS_KE_NOMEM;
	m = tbs(msg, bl);
	md = EVP_MD_CTX_new();
	if (!m || !md)
		goto out;
	ret = CPNS_KE_CRYPTO;
	k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk,
					CPNS_SIG_KEY_LEN);
	if (!k || EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) != 1)
		goto out;
	/* Any failure of the check itself is a bad signature. */
	if (EVP_DigestVerify(md, msg + bl, CPNS_SIG_LEN, m,
			     LABEL_LEN + bl) != 1) {
		ret = CPNS_KE_SIGNATURE;
		goto out;
	}
	*blob_len = bl;
	ret = 0;
out:
	EVP_PKEY_free(k);
	EVP_MD_CTX_free(md);
	free(m);
	return ret;
}
