// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: fingerprints, what replies and events carry instead of keys.
 */

#include <crypto/sha2.h>
#include <linux/string.h>

#include "cpns.h"

/**
 * cpns_fingerprint() - first bytes of SHA-256(label || data)
 * @label: domain separation, as in Documentation/keys.rst
 * @data: the key or encoding
 * @len: its length
 * @fp: out
 */
void cpns_fingerprint(const char *label, const void *data, size_t len,
		      u8 fp[CPNS_FINGERPRINT_LEN])
{
	struct sha256_state st;
	u8 digest[SHA256_DIGEST_SIZE];

	sha256_init(&st);
	sha256_update(&st, label, strlen(label));
	sha256_update(&st, data, len);
	sha256_final(&st, digest);
	memcpy(fp, digest, CPNS_FINGERPRINT_LEN);
	memzero_explicit(digest, sizeof(digest));
	memzero_explicit(&st, sizeof(st));
}
