/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Gateway signature of a Group Key Notification (Ed25519, RFC 8032).
 *
 * Members know subtree keys, so the AEAD alone cannot tell the gateway's
 * blob from one forged by a member; the PNE daemon verifies this signature
 * and hands the kernel only the blob.  Signed notification:
 *
 *   blob (cpns_gk_blob_len bytes) || sig (64)
 *   sig = Ed25519(sk, "cpns-v1 group key notification" || blob)
 */
#ifndef CPNS_SIGN_H
#define CPNS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define CPNS_SIG_LEN		64
#define CPNS_SIG_KEY_LEN	32	/* raw private seed and public key */
#define CPNS_LABEL_SIG		"cpns-v1 group key notification"

/* A new key pair; the seed comes from cpns_random_bytes(). */
int cpns_sig_keygen(uint8_t sk[CPNS_SIG_KEY_LEN],
		    uint8_t pk[CPNS_SIG_KEY_LEN]);
int cpns_sig_public(const uint8_t sk[CPNS_SIG_KEY_LEN],
		    uint8_t pk[CPNS_SIG_KEY_LEN]);

/* *@out = blob || sig, malloc'ed. */
int cpns_gkn_sign(const uint8_t sk[CPNS_SIG_KEY_LEN], const uint8_t *blob,
		  size_t len, uint8_t **out, size_t *out_len);
/*
 * Verify a signed notification; on success *@blob_len is the length of
 * the blob at the start of @msg, the only bytes the kernel receives.
 */
int cpns_gkn_verify(const uint8_t pk[CPNS_SIG_KEY_LEN], const uint8_t *msg,
		    size_t len, size_t *blob_len);

#endif /* CPNS_SIGN_H */
