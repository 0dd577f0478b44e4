/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * cpns: OMA CPNS Group Key management, generic netlink UAPI.
 *
 * This header is the one definition shared by cpns.ko and the userspace
 * programs.  Numbers are ABI: append, never renumber.
 */
#ifndef _UAPI_LINUX_CPNS_H
#define _UAPI_LINUX_CPNS_H

#include <linux/types.h>

#define CPNS_FAMILY_NAME	"cpns"
#define CPNS_FAMILY_VERSION	1
#define CPNS_MCGRP_EVENTS	"events"

/* Largest key tree: 2^20 PNE slots per gateway. */
#define CPNS_TREE_HEIGHT_MAX	20

#define CPNS_KEY_LEN		32	/* a Group Key */
#define CPNS_FINGERPRINT_LEN	8	/* replies carry these, never keys */
#define CPNS_GKDK_MIN_LEN	84	/* GKDK encoding, h = 1 */
#define CPNS_GKDK_MAX_LEN	692	/* GKDK encoding, h = 20 */
#define CPNS_WRAPPED_MIN_LEN	188	/* encrypted Group Key, one entry */
#define CPNS_WRAPPED_MAX_LEN	65531	/* what one attribute carries */
#define CPNS_GKDK_MAX		64	/* GKDKs (gateways) per namespace */
#define CPNS_GROUP_MAX		1048576	/* Service Groups per namespace */

/* Broadcast-encryption schemes a wrapped Group Key may use. */
enum cpns_scheme {
	CPNS_SCHEME_UNSPEC,
	CPNS_SCHEME_CS,		/* Complete Subtree (Naor-Naor-Lotspiech) */

	__CPNS_SCHEME_MAX,
	CPNS_SCHEME_MAX = __CPNS_SCHEME_MAX - 1
};

/* Ciphers the module uses for Group Key unwrapping and the fast path. */
enum cpns_cipher {
	CPNS_CIPHER_UNSPEC,
	CPNS_CIPHER_AES256_GCM,

	__CPNS_CIPHER_MAX,
	CPNS_CIPHER_MAX = __CPNS_CIPHER_MAX - 1
};

enum cpns_key_state {
	CPNS_KEY_STATE_UNSPEC,
	CPNS_KEY_STATE_CURRENT,		/* newest epoch; seals */
	CPNS_KEY_STATE_PREVIOUS,	/* opens until its grace period ends */

	__CPNS_KEY_STATE_MAX,
	CPNS_KEY_STATE_MAX = __CPNS_KEY_STATE_MAX - 1
};

enum cpns_key_source {
	CPNS_KEY_SOURCE_UNSPEC,
	CPNS_KEY_SOURCE_PLAIN,		/* given in the clear */
	CPNS_KEY_SOURCE_WRAPPED,	/* decrypted here with a GKDK */

	__CPNS_KEY_SOURCE_MAX,
	CPNS_KEY_SOURCE_MAX = __CPNS_KEY_SOURCE_MAX - 1
};

enum cpns_retire_reason {
	CPNS_RETIRE_REASON_UNSPEC,
	CPNS_RETIRE_REASON_GRACE,	/* grace period as previous key ended */
	CPNS_RETIRE_REASON_LIFETIME,	/* reached its expiry time */
	CPNS_RETIRE_REASON_SUPERSEDED,	/* two newer epochs arrived */
	CPNS_RETIRE_REASON_DELETED,	/* deleted by request */
	CPNS_RETIRE_REASON_GROUP_DELETED, /* its group was deleted */

	__CPNS_RETIRE_REASON_MAX,
	CPNS_RETIRE_REASON_MAX = __CPNS_RETIRE_REASON_MAX - 1
};

enum {
	CPNS_A_INFO_UNSPEC,
	CPNS_A_INFO_VERSION,		/* string: module version */
	CPNS_A_INFO_FAMILY_VERSION,	/* u32: CPNS_FAMILY_VERSION */
	CPNS_A_INFO_SCHEMES,		/* nest of u32 enum cpns_scheme */
	CPNS_A_INFO_CIPHERS,		/* nest of u32 enum cpns_cipher */
	CPNS_A_INFO_MAX_TREE_HEIGHT,	/* u32: largest key tree accepted */
	CPNS_A_INFO_NETNS_COOKIE,	/* u64: namespace the reply is about */
	CPNS_A_INFO_PAD,
	CPNS_A_INFO_FASTPATH_AEAD,	/* string: driver that seals datagrams */

	__CPNS_A_INFO_MAX,
	CPNS_A_INFO_MAX = __CPNS_A_INFO_MAX - 1
};

/* Each element of CPNS_A_INFO_SCHEMES and CPNS_A_INFO_CIPHERS. */
enum {
	CPNS_A_LIST_UNSPEC,
	CPNS_A_LIST_ITEM,		/* u32 */

	__CPNS_A_LIST_MAX,
	CPNS_A_LIST_MAX = __CPNS_A_LIST_MAX - 1
};

/* A Group Key Decryption Key and its metadata; key bytes write-only. */
enum {
	CPNS_A_GKDK_UNSPEC,
	CPNS_A_GKDK_GATEWAY_ID,		/* u64: one GKDK per gateway */
	CPNS_A_GKDK_DATA,		/* binary: GKDK encoding, write-only */
	CPNS_A_GKDK_SCHEME,		/* u32: enum cpns_scheme */
	CPNS_A_GKDK_HEIGHT,		/* u32: key tree height */
	CPNS_A_GKDK_SLOT,		/* u32: this node's slot */
	CPNS_A_GKDK_SET_ID,		/* u32: key material set generation */
	CPNS_A_GKDK_FINGERPRINT,	/* binary: CPNS_FINGERPRINT_LEN */
	CPNS_A_GKDK_PAD,

	__CPNS_A_GKDK_MAX,
	CPNS_A_GKDK_MAX = __CPNS_A_GKDK_MAX - 1
};

/* Fast-path traffic of a Service Group: UDP to a prefix and port. */
enum {
	CPNS_A_SELECTOR_UNSPEC,
	CPNS_A_SELECTOR_FAMILY,		/* u16: AF_INET or AF_INET6 */
	CPNS_A_SELECTOR_DADDR,		/* binary: 4 or 16 bytes */
	CPNS_A_SELECTOR_PREFIX_LEN,	/* u8 */
	CPNS_A_SELECTOR_DPORT,		/* be16: 0 matches any */

	__CPNS_A_SELECTOR_MAX,
	CPNS_A_SELECTOR_MAX = __CPNS_A_SELECTOR_MAX - 1
};

/* A Service Group and its key policy. */
enum {
	CPNS_A_GROUP_UNSPEC,
	CPNS_A_GROUP_ID,		/* u32: >= 1 */
	CPNS_A_GROUP_GRACE,		/* u32: seconds, default 30 */
	CPNS_A_GROUP_LIFETIME,		/* u32: seconds, 0 = no limit */
	CPNS_A_GROUP_REPLAY_WINDOW,	/* u32: packets, default 64 */
	CPNS_A_GROUP_EXPIRY_NOTICE,	/* u32: seconds, default 10 */
	CPNS_A_GROUP_SELECTOR,		/* nest: CPNS_A_SELECTOR_* */
	CPNS_A_GROUP_CURRENT_EPOCH,	/* u64: reply only */
	CPNS_A_GROUP_PREVIOUS_EPOCH,	/* u64: reply only */
	CPNS_A_GROUP_PAD,

	__CPNS_A_GROUP_MAX,
	CPNS_A_GROUP_MAX = __CPNS_A_GROUP_MAX - 1
};

/* A Group Key of a Service Group; key bytes write-only. */
enum {
	CPNS_A_KEY_UNSPEC,
	CPNS_A_KEY_GROUP_ID,		/* u32 */
	CPNS_A_KEY_EPOCH,		/* u64 */
	CPNS_A_KEY_PLAIN,		/* binary: CPNS_KEY_LEN, write-only */
	CPNS_A_KEY_WRAPPED,		/* binary: encrypted Group Key */
	CPNS_A_KEY_LIFETIME,		/* u32: seconds, overrides the group's */
	CPNS_A_KEY_STATE,		/* u32: enum cpns_key_state */
	CPNS_A_KEY_SOURCE,		/* u32: enum cpns_key_source */
	CPNS_A_KEY_INSTALLED,		/* u64: Unix seconds */
	CPNS_A_KEY_EXPIRES,		/* u64: Unix seconds, absent for none */
	CPNS_A_KEY_FINGERPRINT,		/* binary: CPNS_FINGERPRINT_LEN */
	CPNS_A_KEY_RETIRE_REASON,	/* u32: enum cpns_retire_reason */
	CPNS_A_KEY_GATEWAY_ID,		/* u64: whose GKDK opened it */
	CPNS_A_KEY_PAD,

	__CPNS_A_KEY_MAX,
	CPNS_A_KEY_MAX = __CPNS_A_KEY_MAX - 1
};

/* Counters of a namespace, or of one group (CPNS_A_STATS_GROUP_ID). */
enum {
	CPNS_A_STATS_UNSPEC,
	CPNS_A_STATS_GROUP_ID,		/* u32 */
	CPNS_A_STATS_GROUPS,		/* u64 */
	CPNS_A_STATS_KEYS,		/* u64 */
	CPNS_A_STATS_GKDKS,		/* u64 */
	CPNS_A_STATS_INSTALLS,		/* u64 */
	CPNS_A_STATS_INSTALLS_REPEATED,	/* u64: same epoch, same key */
	CPNS_A_STATS_REFUSED_STALE,	/* u64: epoch rollback */
	CPNS_A_STATS_REFUSED_CONFLICT,	/* u64: same epoch, other key */
	CPNS_A_STATS_REFUSED_MALFORMED,	/* u64 */
	CPNS_A_STATS_REFUSED_NO_GKDK,	/* u64 */
	CPNS_A_STATS_REFUSED_NOT_MEMBER, /* u64 */
	CPNS_A_STATS_REFUSED_EXPIRED,	/* u64 */
	CPNS_A_STATS_DECRYPT_FAILURES,	/* u64 */
	CPNS_A_STATS_RETIRED,		/* u64 */
	CPNS_A_STATS_EXPIRIES,		/* u64 */
	CPNS_A_STATS_KEY_MISSING,	/* u64: fast path, no key for an epoch */
	CPNS_A_STATS_PAD,
	CPNS_A_STATS_TX_SEALED,		/* u64: datagrams sealed */
	CPNS_A_STATS_TX_NO_KEY,		/* u64: dropped, no current key */
	CPNS_A_STATS_TX_DROPPED,	/* u64: dropped, other reasons */
	CPNS_A_STATS_RX_OPENED,		/* u64: datagrams opened */
	CPNS_A_STATS_RX_MALFORMED,	/* u64: dropped, not a sealed datagram */
	CPNS_A_STATS_RX_AUTH_FAILED,	/* u64: dropped, tag did not verify */
	CPNS_A_STATS_RX_REPLAYED,	/* u64: dropped, replay or too old */
	CPNS_A_STATS_RX_DROPPED,	/* u64: dropped, other reasons */
	CPNS_A_STATS_FWD_VERIFIED,	/* u64: forwarded after verifying */

	__CPNS_A_STATS_MAX,
	CPNS_A_STATS_MAX = __CPNS_A_STATS_MAX - 1
};

enum {
	CPNS_CMD_UNSPEC,
	CPNS_CMD_INFO_GET,	/* module info: version, schemes, ciphers */
	CPNS_CMD_GKDK_SET,
	CPNS_CMD_GKDK_DEL,
	CPNS_CMD_GKDK_GET,
	CPNS_CMD_GROUP_NEW,
	CPNS_CMD_GROUP_DEL,
	CPNS_CMD_GROUP_GET,
	CPNS_CMD_KEY_INSTALL,
	CPNS_CMD_KEY_DEL,
	CPNS_CMD_KEY_GET,
	CPNS_CMD_STATS_GET,
	CPNS_CMD_KEY_INSTALLED_NTF,	/* events on CPNS_MCGRP_EVENTS */
	CPNS_CMD_KEY_RETIRED_NTF,
	CPNS_CMD_KEY_EXPIRING_NTF,
	CPNS_CMD_KEY_MISSING_NTF,
	CPNS_CMD_GKDK_SET_NTF,
	CPNS_CMD_GKDK_DEL_NTF,

	__CPNS_CMD_MAX,
	CPNS_CMD_MAX = __CPNS_CMD_MAX - 1
};

/*
 * Fast path wire format (Documentation/fastpath.rst).  A sealed datagram
 * is a UDP datagram whose payload is this header, the AES-256-GCM
 * ciphertext of the original payload and the tag.  The header is the
 * associated data; the nonce is sender || seq; the key is
 * HKDF-Expand(Group Key, "cpns-v1 traffic" || group_id || epoch, 32).
 */
#define CPNS_WIRE_VERSION	1
#define CPNS_WIRE_HDR_LEN	28
#define CPNS_WIRE_TAG_LEN	16

struct cpns_wire_hdr {
	__u8	version;	/* CPNS_WIRE_VERSION */
	__u8	flags;		/* 0 */
	__be16	reserved;	/* 0 */
	__be32	group_id;
	__be64	epoch;
	__be64	sender;		/* random per sender and key */
	__be32	seq;		/* from 1, per sender and key */
} __attribute__((packed));

#endif /* _UAPI_LINUX_CPNS_H */
