/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPNS messages between daemons (Documentation/protocol.rst): one
 * versioned binary encoding for every message of the change request,
 * carried over TLS 1.3 sessions (and, for the gateway's broadcast Group
 * Key Notification, in UDP datagrams).
 *
 * A message is an 8-byte header and a body of attributes, all integers
 * big-endian:
 *
 *   off size field
 *     0    1 version (CPNS_MSG_VERSION)
 *     1    1 type (enum cpns_msg_type)
 *     2    2 flags, 0 (reserved)
 *     4    4 body length in bytes
 *     8    . attributes: be16 type, be16 length, value; no padding;
 *            types strictly ascending (so each message has exactly one
 *            encoding, which the test vectors rely on)
 *
 * Each message type allows a fixed set of attributes, each with a fixed
 * or bounded length; which of them are required is part of the type.
 * cpns_msg_decode() is the one parser: a message either satisfies all of
 * it or is refused with one named reason (enum cpns_merr).
 */
#ifndef CPNS_MSG_H
#define CPNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPNS_MSG_VERSION	1
#define CPNS_MSG_HDR_LEN	8
/* Largest body on a TLS session; a hostile peer is cut off above it. */
#define CPNS_MSG_BODY_MAX	4096
#define CPNS_MSG_MAX		(CPNS_MSG_HDR_LEN + CPNS_MSG_BODY_MAX)
/*
 * Largest body from an authenticated peer that must send more: a server's
 * gk-notify with its member list, a gateway's gk-bcast to one PNE.  A
 * gateway's PNE listener keeps CPNS_MSG_BODY_MAX.
 */
#define CPNS_MSG_BODY_MAX_LARGE	(65536 + 1024)

/* Numbers are wire values: append, never renumber. */
enum cpns_msg_type {
	CPNS_MSG_UNSPEC,
	CPNS_MSG_GKDK_REQ,	/* figure a 1: PNE -> PN GW */
	CPNS_MSG_GKDK_RESP,	/* figure a 5: PN GW -> PNE */
	CPNS_MSG_GK_NOTIFY,	/* figure b 2: CPNS Server -> PN GW */
	CPNS_MSG_GK_RESP,	/* figure b 3 and 7: PN GW / PNE -> sender */
	CPNS_MSG_GK_BCAST,	/* figure b 6: PN GW -> PNEs (signed) */
	CPNS_MSG_ERROR,		/* either way: a refusal, reason and text */
	CPNS_MSG_KEEPALIVE,	/* either way: keeps an idle session open */
	CPNS_MSG_GKDK_RENEW,	/* PN GW -> PNE: new key material set, ask again */
	CPNS_MSG_GK_EXCLUDE,	/* PN GW -> PNE: no longer a member of a group */
	CPNS_MSG_GK_PULL,	/* PNE -> PN GW: send me a group's current key */
	__CPNS_MSG_MAX
};

/* Attribute types; each message type allows a subset (protocol.rst). */
enum cpns_msg_attr {
	CPNS_MA_UNSPEC,
	CPNS_MA_PNE_ID,		/* 1..64 bytes of [A-Za-z0-9._:-] */
	CPNS_MA_GATEWAY_ID,	/* u64 */
	CPNS_MA_GKDK,		/* GKDK (gkdk.h), 20 + 32k bytes, k in 2..21 */
	CPNS_MA_SIGN_KEY,	/* gateway's Ed25519 public key, 32 bytes */
	CPNS_MA_GROUP,		/* u32 Service Group id, not 0 */
	CPNS_MA_EPOCH,		/* u64, not 0 */
	CPNS_MA_GROUP_KEY,	/* plain Group Key, 32 bytes */
	CPNS_MA_VALID_FROM,	/* u64 Unix seconds */
	CPNS_MA_VALID_UNTIL,	/* u64 Unix seconds, > valid from */
	CPNS_MA_STATUS,		/* u16 enum cpns_msg_status */
	CPNS_MA_SIGNED_BLOB,	/* signed notification (sign.h), 1..65535 B */
	CPNS_MA_SET_ID,		/* u32 key material set generation */
	CPNS_MA_CODE,		/* u16 enum cpns_msg_status, in an Error */
	CPNS_MA_TEXT,		/* 0..256 bytes, none < 0x20 or 0x7f (logged) */
	CPNS_MA_SLOT,		/* u32; reserved: no message takes it yet */
	CPNS_MA_MEMBERS,	/* PNE ids: (u8 len, id)*, ascending, 0..65535 B */
	__CPNS_MA_MAX
};

/* Status of a Response and code of an Error: append, never renumber. */
enum cpns_msg_status {
	CPNS_ST_OK,
	CPNS_ST_MALFORMED,	/* the peer's message failed to decode */
	CPNS_ST_UNEXPECTED,	/* a valid message this side does not take */
	CPNS_ST_UNKNOWN_PNE,	/* PNE id not registered, or not the session's */
	CPNS_ST_REVOKED,	/* the PNE was revoked on this gateway */
	CPNS_ST_INTERNAL,	/* this side failed (store, crypto) */
	CPNS_ST_BUSY,		/* limits reached; try again later */
	CPNS_ST_STALE,		/* epoch not newer than the one held */
	CPNS_ST_NOT_MEMBER,	/* the PNE's module refused: not a member */
	CPNS_ST_INSTALL,	/* the module refused the key */
	CPNS_ST_CONFLICT,	/* same epoch already held with another key */
	__CPNS_ST_MAX
};

/* Why cpns_msg_decode() refused: append, never renumber. */
enum cpns_merr {
	CPNS_ME_OK,
	CPNS_ME_TRUNCATED,	/* fewer bytes than the header or body says */
	CPNS_ME_TRAILING,	/* bytes after the body */
	CPNS_ME_VERSION,	/* version not CPNS_MSG_VERSION */
	CPNS_ME_TYPE,		/* unknown message type */
	CPNS_ME_FLAGS,		/* flags not zero */
	CPNS_ME_TOO_BIG,	/* body longer than the limit */
	CPNS_ME_ATTR_TRUNCATED,	/* an attribute runs past the body */
	CPNS_ME_ATTR_UNKNOWN,	/* type not allowed in this message */
	CPNS_ME_ATTR_ORDER,	/* types not strictly ascending (or repeated) */
	CPNS_ME_ATTR_LEN,	/* length outside the attribute's bounds */
	CPNS_ME_ATTR_VALUE,	/* value refused (characters, range, order) */
	CPNS_ME_ATTR_MISSING,	/* a required attribute is absent */
	CPNS_ME_NOMEM,
	__CPNS_ME_MAX
};

/*
 * A decoded message.  Byte strings point into the buffer given to
 * cpns_msg_decode() (which must outlive the struct); a field is valid
 * only when its bit is set in @present (1 << enum cpns_msg_attr).
 */
struct cpns_msg {
	uint8_t type;
	uint32_t present;
	const uint8_t *pne_id;
	size_t pne_id_len;
	uint64_t gateway_id;
	const uint8_t *gkdk;
	size_t gkdk_len;
	const uint8_t *sign_key;	/* 32 bytes */
	uint32_t group;
	uint64_t epoch;
	const uint8_t *group_key;	/* 32 bytes */
	uint64_t valid_from, valid_until;
	uint16_t status;
	const uint8_t *signed_blob;
	size_t signed_blob_len;
	uint32_t set_id;
	uint16_t code;
	const char *text;		/* not NUL-terminated */
	size_t text_len;
	uint32_t slot;
	const uint8_t *members;		/* encoded list, see below */
	size_t members_len;
};

static inline bool cpns_msg_has(const struct cpns_msg *m,
				enum cpns_msg_attr a)
{
	return m->present & (UINT32_C(1) << a);
}

/*
 * Length of the message at @buf once its header is in: 0 and
 * CPNS_ME_TRUNCATED while fewer than CPNS_MSG_HDR_LEN bytes are in,
 * else header + body length, or an error when the header is already bad
 * (version, type, flags, body above @body_max).  What a stream reader
 * calls before it waits for the rest.
 */
int cpns_msg_frame(const uint8_t *buf, size_t len, size_t body_max,
		   size_t *msg_len);

/*
 * Strict decode of exactly one message of @len bytes, whose body may not
 * exceed @body_max (CPNS_MSG_BODY_MAX on sessions).  On error *@m is
 * zeroed and, when @attr is not NULL, *@attr names the attribute at
 * fault: 0 for the header, the length, or an attribute header cut
 * short; the offending type number for ATTR_UNKNOWN (possibly one
 * without a name).  Checks in the order of protocol.rst, "Refusals".
 */
int cpns_msg_decode(struct cpns_msg *m, const uint8_t *buf, size_t len,
		    size_t body_max, unsigned int *attr);

/*
 * Encode @m (the attributes set in @present, which must be the allowed
 * set with every required one) into @buf of @size bytes; *@len gets the
 * length, 0 on error.  Returns CPNS_ME_* (TYPE / ATTR_UNKNOWN / ATTR_LEN
 * / ATTR_VALUE / ATTR_MISSING for a bad @m, as decoding its encoding
 * would; TOO_BIG when @size is short).  Whatever it encodes,
 * cpns_msg_decode() accepts under a @body_max of at least its body.
 */
int cpns_msg_encode(const struct cpns_msg *m, uint8_t *buf, size_t size,
		    size_t *len);

/* An empty message of @type; then fill a field and mark it present. */
void cpns_msg_init(struct cpns_msg *m, enum cpns_msg_type type);
void cpns_msg_set(struct cpns_msg *m, enum cpns_msg_attr a);

/*
 * The members attribute: PNE ids, each a u8 length (1..64) and the id's
 * bytes (the pne_id character set), strictly ascending in byte order
 * (memcmp, a prefix before its extensions: strcmp's and SQLite's BINARY
 * order), so a list has one encoding and names no PNE twice.
 *
 * cpns_msg_members_next() walks a value cpns_msg_decode() accepted:
 * *@off starts at 0; returns 1 with the next id in @id/@id_len (not
 * NUL-terminated, pointing into @v), 0 at the end.  On a value nobody
 * checked it stops (0) at an entry that is empty or runs past @len,
 * never reading beyond it.  cpns_msg_members_add() appends @id to a
 * value being built in @buf (@size bytes, *@len used so far): 0, or -1
 * with *@len and @buf unchanged when it does not fit in @size or in the
 * attribute's 65535 bytes, the id is malformed, or it is not above the
 * previous one.  @prev is that previous id, which must be the value's
 * last entry (NULL exactly when *@len is 0), so whatever it builds
 * cpns_msg_decode() accepts.
 */
int cpns_msg_members_next(const uint8_t *v, size_t len, size_t *off,
			  const uint8_t **id, size_t *id_len);
int cpns_msg_members_add(uint8_t *buf, size_t size, size_t *len,
			 const char *prev, const char *id);

/*
 * Stable tokens for logs and vectors ("gkdk-req", "attr_order", "ok");
 * attribute 0 is "none"; numbers without a name give "unknown".
 * cpns_merr_from_name() returns -1 for a name it does not know.
 */
const char *cpns_msg_type_name(unsigned int type);
const char *cpns_msg_attr_name(unsigned int attr);
const char *cpns_merr_name(int err);
const char *cpns_merr_str(int err);
const char *cpns_msg_status_name(unsigned int status);
int cpns_merr_from_name(const char *name);

#endif /* CPNS_MSG_H */
