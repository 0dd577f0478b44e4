/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * cpns: OMA CPNS Group Key management, generic netlink UAPI.
 *
 * This header is the one definition shared by cpns.ko and the userspace
 * programs.  Numbers are ABI: append, never renumber.
 */
#ifndef _UAPI_LINUX_CPNS_H
#define _UAPI_LINUX_CPNS_H

#define CPNS_FAMILY_NAME	"cpns"
#define CPNS_FAMILY_VERSION	1
#define CPNS_MCGRP_EVENTS	"events"

/* Largest key tree: 2^20 PNE slots per gateway. */
#define CPNS_TREE_HEIGHT_MAX	20

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

enum {
	CPNS_A_INFO_UNSPEC,
	CPNS_A_INFO_VERSION,		/* string: module version */
	CPNS_A_INFO_FAMILY_VERSION,	/* u32: CPNS_FAMILY_VERSION */
	CPNS_A_INFO_SCHEMES,		/* nest of u32 enum cpns_scheme */
	CPNS_A_INFO_CIPHERS,		/* nest of u32 enum cpns_cipher */
	CPNS_A_INFO_MAX_TREE_HEIGHT,	/* u32: largest key tree accepted */
	CPNS_A_INFO_NETNS_COOKIE,	/* u64: namespace the reply is about */

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

enum {
	CPNS_CMD_UNSPEC,
	CPNS_CMD_INFO_GET,	/* module info: version, schemes, ciphers */

	__CPNS_CMD_MAX,
	CPNS_CMD_MAX = __CPNS_CMD_MAX - 1
};

#endif /* _UAPI_LINUX_CPNS_H */
