/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host reference of the fast path's wire format (Documentation/fastpath.rst,
 * struct cpns_wire_hdr): the traffic key, sealing a UDP payload and a
 * receiver that opens one as the module does.  For tests and vectors; the
 * module has its own implementation.
 */
#ifndef CPNS_WIRE_H
#define CPNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/cpns.h>

/* What a sealed unit adds to its plaintext: header and tag. */
#define CPNS_WIRE_OVERHEAD	(CPNS_WIRE_HDR_LEN + CPNS_WIRE_TAG_LEN)

/* Receiver outcomes, named after the counter that counts them. */
enum cpns_wire_result {
	CPNS_WIRE_OK,		/* rx_opened */
	CPNS_WIRE_MALFORMED,	/* rx_malformed */
	CPNS_WIRE_KEY_MISSING,	/* key_missing */
	CPNS_WIRE_AUTH_FAILED,	/* rx_auth_failed */
	CPNS_WIRE_REPLAYED,	/* rx_replayed */
	CPNS_WIRE_ERROR,	/* the crypto library failed */
};

const char *cpns_wire_result_name(int r);
int cpns_wire_result_from_name(const char *name);

/* The header fields a sender chooses. */
struct cpns_wire_params {
	uint32_t group;
	uint64_t epoch;
	uint64_t sender;
	uint32_t seq;
};

/*
 * K = HKDF-Expand(PRK = Group Key, info = "cpns-v1 traffic" || be32(group)
 * || be64(epoch), L = 32).  Returns 0 or CPNS_WIRE_ERROR.
 */
int cpns_wire_key(const uint8_t gk[CPNS_KEY_LEN], uint32_t group,
		  uint64_t epoch, uint8_t key[CPNS_KEY_LEN]);

/*
 * The UDP payload for plaintext @pt: header || ciphertext || tag, into
 * @out (@len + CPNS_WIRE_OVERHEAD bytes).  Any field values, seq 0 too:
 * vectors need payloads a receiver refuses.
 */
int cpns_wire_seal(const uint8_t gk[CPNS_KEY_LEN],
		   const struct cpns_wire_params *p, const uint8_t *pt,
		   size_t len, uint8_t *out);

#define CPNS_WIRE_REF_SENDERS	8
#define CPNS_WIRE_REF_SEEN	64

/*
 * A receiver holding one Group Key @gk at @epoch for @group, with replay
 * window @window (the group's replay-window).  The replay state is a
 * plain list: enough for vectors, not for traffic.
 */
struct cpns_wire_rx {
	uint32_t group;
	uint64_t epoch;
	uint8_t gk[CPNS_KEY_LEN];
	uint32_t window;
	unsigned int nsenders;
	struct {
		uint64_t id;
		uint32_t top;
		unsigned int nseen;
		uint32_t seen[CPNS_WIRE_REF_SEEN];
	} s[CPNS_WIRE_REF_SENDERS];
};

/*
 * Receive UDP payload @w of @len bytes: on CPNS_WIRE_OK the plaintext is
 * in @pt (room for @len bytes) and its length in *@pt_len.  Checks in the
 * order of fastpath.rst, "Receiving".
 */
int cpns_wire_open(struct cpns_wire_rx *rx, const uint8_t *w, size_t len,
		   uint8_t *pt, size_t *pt_len);

#endif /* CPNS_WIRE_H */
