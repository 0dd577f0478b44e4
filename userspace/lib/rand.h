/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one source of randomness of the key hierarchy: master secrets,
 * GKEKs, blob salts and nonces all come from cpns_random_bytes().
 */
#ifndef CPNS_RAND_H
#define CPNS_RAND_H

#include <stddef.h>
#include <stdint.h>

/* Fill @buf from the system CSPRNG.  Returns 0 or CPNS_KE_CRYPTO. */
int cpns_random_bytes(void *buf, size_t len);

/*
 * TEST ONLY: route cpns_random_bytes() to @fn (NULL restores RAND_bytes).
 * The vector generator uses it to make blobs reproducible.  Not thread
 * safe; never call it in the daemon.
 */
typedef int (*cpns_random_hook_t)(void *ctx, void *buf, size_t len);
void cpns_random_set_hook(cpns_random_hook_t fn, void *ctx);

/*
 * TEST ONLY: a deterministic stream, AES-256-CTR keyed with
 * SHA-256("cpns test rng" || label), IV zero, encrypting zeros.
 * Use with cpns_random_set_hook(cpns_test_rng_fill, rng).
 */
struct cpns_test_rng {
	void *ctx;		/* EVP_CIPHER_CTX */
};

int cpns_test_rng_init(struct cpns_test_rng *rng, const char *label);
int cpns_test_rng_fill(void *rng, void *buf, size_t len);
void cpns_test_rng_free(struct cpns_test_rng *rng);

#endif /* CPNS_RAND_H */
