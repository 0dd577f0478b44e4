// SPDX-License-Identifier: GPL-2.0
/*
 * Host reference of the fast path's wire format, with OpenSSL 3: HKDF in
 * expand-only mode (EVP_KDF "HKDF") for the traffic key, AES-256-GCM for
 * the payload.  It shares no code with the key hierarchy's HKDF (one
 * HMAC), so the vectors check the derivation against HKDF itself.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "keycrypto.h"
#include "wire.h"

#define LABEL_TRAFFIC	"cpns-v1 traffic"
#define INFO_LEN	(sizeof(LABEL_TRAFFIC) - 1 + 4 + 8)
#define NONCE_OFF	16

static const char *const result_names[] = {
	[CPNS_WIRE_OK] = "ok",
	[CPNS_WIRE_MALFORMED] = "rx_malformed",
	[CPNS_WIRE_KEY_MISSING] = "key_missing",
	[CPNS_WIRE_AUTH_FAILED] = "rx_auth_failed",
	[CPNS_WIRE_REPLAYED] = "rx_replayed",
	[CPNS_WIRE_ERROR] = "error",
};

const char *cpns_wire_result_name(int r)
{
	if (r < 0 || r > CPNS_WIRE_ERROR)
		return "unknown";
	return result_names[r];
}

int cpns_wire_result_from_name(const char *name)
{
	int i;

	for (i = 0; i <= CPNS_WIRE_ERROR; i++)
		if (!strcmp(result_names[i], name))
			return i;
	return -1;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

int cpns_wire_key(const uint8_t gk[CPNS_KEY_LEN], uint32_t group,
		  uint64_t epoch, uint8_t key[CPNS_KEY_LEN])
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ok;
	uint8_t info[INFO_LEN];
	OSSL_PARAM params[5];
	EVP_KDF_CTX *ctx;
	EVP_KDF *kdf;

	memcpy(info, LABEL_TRAFFIC, sizeof(LABEL_TRAFFIC) - 1);
	put_be(info + sizeof(LABEL_TRAFFIC) - 1, group, 4);
	put_be(info + sizeof(LABEL_TRAFFIC) - 1 + 4, epoch, 8);
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     "SHA256", 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)gk, CPNS_KEY_LEN);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      info, sizeof(info));
	params[4] = OSSL_PARAM_construct_end();
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	ok = ctx && EVP_KDF_derive(ctx, key, CPNS_KEY_LEN, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	if (!ok)
		OPENSSL_cleanse(key, CPNS_KEY_LEN);
	return ok ? 0 : CPNS_WIRE_ERROR;
}

/*
 * AES-256-GCM with the header @w as associated data and its last twelve
 * bytes as nonce: seal @len bytes at @in into @out and the tag after
 * them, or open them and check the tag at @in + @len.
 */
static int gcm(const uint8_t key[CPNS_KEY_LEN], const uint8_t *w,
	       const uint8_t *in, size_t len, uint8_t *out, int seal)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t tag[CPNS_WIRE_TAG_LEN];
	int n, ok;

	if (!seal)
		memcpy(tag, in + len, sizeof(tag));
	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key,
				    w + NONCE_OFF, seal) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, w, CPNS_WIRE_HDR_LEN) == 1 &&
	     (!len || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1);
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
					 tag) == 1 &&
		     EVP_CipherFinal_ex(c, out + len, &n) == 1;
	else if (ok)
		ok = EVP_CipherFinal_ex(c, out + len, &n) == 1 &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG,
					 CPNS_WIRE_TAG_LEN, out + len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int cpns_wire_seal(const uint8_t gk[CPNS_KEY_LEN],
		   const struct cpns_wire_params *p, const uint8_t *pt,
		   size_t len, uint8_t *out)
{
	uint8_t key[CPNS_KEY_LEN];
	int ret;

	out[0] = CPNS_WIRE_VERSION;
	out[1] = 0;
	put_be(out + 2, 0, 2);
	put_be(out + 4, p->group, 4);
	put_be(out + 8, p->epoch, 8);
	put_be(out + 16, p->sender, 8);
	put_be(out + 24, p->seq, 4);
	ret = cpns_wire_key(gk, p->group, p->epoch, key);
	if (!ret && gcm(key, out, pt, len, out + CPNS_WIRE_HDR_LEN, 1))
		ret = CPNS_WIRE_ERROR;
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* Step 4 of "Receiving": the sender's window, after the tag verified. */
static int replay(struct cpns_wire_rx *rx, uint64_t sender, uint32_t seq)
{
	unsigned int i;

	for (i = 0; i < rx->nsenders && rx->s[i].id != sender; i++)
		;
	if (i == rx->nsenders) {
		if (i == CPNS_WIRE_REF_SENDERS)
			return CPNS_WIRE_ERROR;
		memset(&rx->s[i], 0, sizeof(rx->s[i]));
		rx->s[i].id = sender;
		rx->nsenders++;
	}
	if (seq > rx->s[i].top) {
		rx->s[i].top = seq;
	} else {
		unsigned int k;

		/* Accepted below the top: the window's seq, not seen yet. */
		if (!rx->window || rx->s[i].top - seq >= rx->window)
			return CPNS_WIRE_REPLAYED;
		for (k = 0; k < rx->s[i].nseen; k++)
			if (rx->s[i].seen[k] == seq)
				return CPNS_WIRE_REPLAYED;
	}
	if (rx->s[i].nseen == CPNS_WIRE_REF_SEEN)
		return CPNS_WIRE_ERROR;
	rx->s[i].seen[rx->s[i].nseen++] = seq;
	return CPNS_WIRE_OK;
}

int cpns_wire_open(struct cpns_wire_rx *rx, const uint8_t *w, size_t len,
		   uint8_t *pt, size_t *pt_len)
{
	uint8_t key[CPNS_KEY_LEN];
	size_t ctlen;
	int ret;

	*pt_len = 0;
	/* 1: the header; every failure here is rx_malformed. */
	if (len < CPNS_WIRE_OVERHEAD || w[0] != CPNS_WIRE_VERSION || w[1] ||
	    get_be(w + 2, 2) || !get_be(w + 24, 4) ||
	    get_be(w + 4, 4) != rx->group)
		return CPNS_WIRE_MALFORMED;
	/* 2: a key for the epoch it names. */
	if (get_be(w + 8, 8) != rx->epoch)
		return CPNS_WIRE_KEY_MISSING;
	/* 3: the tag. */
	ctlen = len - CPNS_WIRE_OVERHEAD;
	ret = cpns_wire_key(rx->gk, rx->group, rx->epoch, key);
	if (!ret && gcm(key, w, w + CPNS_WIRE_HDR_LEN, ctlen, pt, 0))
		ret = CPNS_WIRE_AUTH_FAILED;
	OPENSSL_cleanse(key, sizeof(key));
	/* 4: replay, only for what a key holder sent. */
	if (!ret)
		ret = replay(rx, get_be(w + 16, 8), (uint32_t)get_be(w + 24, 4));
	if (ret) {
		OPENSSL_cleanse(pt, ctlen);
		return ret;
	}
	*pt_len = ctlen;
	return CPNS_WIRE_OK;
}
