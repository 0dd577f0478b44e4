// SPDX-License-Identifier: GPL-2.0
/*
 * Randomness for the key hierarchy, with a test-only deterministic hook.
 */
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "keyerr.h"
#include "rand.h"

static cpns_random_hook_t hook_fn;
static void *hook_ctx;

int cpns_random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

	if (hook_fn)
		return hook_fn(hook_ctx, buf, len) ? CPNS_KE_CRYPTO : 0;
	/* RAND_bytes takes an int length. */
	while (len) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1)
			return CPNS_KE_CRYPTO;
		p += n;
		len -= n;
	}
	return 0;
}

void cpns_random_set_hook(cpns_random_hook_t fn, void *ctx)
{
	hook_fn = fn;
	hook_ctx = ctx;
}

int cpns_test_rng_init(struct cpns_test_rng *rng, const char *label)
{
	static const char pfx[] = "cpns test rng";
	unsigned char key[32], iv[16] = { 0 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok;

	ok = md && c &&
	     EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, pfx, sizeof(pfx) - 1) == 1 &&
	     EVP_DigestUpdate(md, label, strlen(label)) == 1 &&
	     EVP_DigestFinal_ex(md, key, NULL) == 1 &&
	     EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, key, iv) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok) {
		EVP_CIPHER_CTX_free(c);
		rng->ctx = NULL;
		return CPNS_KE_CRYPTO;
	}
	rng->ctx = c;
	return 0;
}

int cpns_test_rng_fill(void *arg, void *buf, size_t len)
{
	struct cpns_test_rng *rng = arg;
	unsigned char *p = buf;

	memset(buf, 0, len);
	while (len) {
		int n = len > 4096 ? 4096 : (int)len, outl;

		if (EVP_EncryptUpdate(rng->ctx, p, &outl, p, n) != 1 ||
		    outl != n)
			return CPNS_KE_CRYPTO;
		p += n;
		len -= n;
	}
	return 0;
}

void cpns_test_rng_free(struct cpns_test_rng *rng)
{
	EVP_CIPHER_CTX_free(rng->ctx);
	rng->ctx = NULL;
}
