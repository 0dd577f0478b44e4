/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * cpns: OMA CPNS Group Key management, generic netlink UAPI.
 *
 * The family's names and numbers are generated from its YNL spec,
 * Documentation/netlink/specs/cpns.yaml, into cpns_generated.h.  Only what
 * ynl-gen-c cannot render is written here: it renders no struct into a
 * uapi header (as of Linux 6.12), so the fast path's wire header, which
 * the spec describes as struct wire-hdr, is spelt out below, and
 * selftests/spec checks its layout against the spec.  Numbers are ABI:
 * append, never renumber.
 */
#ifndef _UAPI_LINUX_CPNS_H
#define _UAPI_LINUX_CPNS_H

#include <linux/types.h>
#include <linux/cpns_generated.h>

/*
 * Fast path wire format (Documentation/fastpath.rst).  A sealed datagram
 * is a UDP datagram whose payload is this header, the AES-256-GCM
 * ciphertext of the original payload and the tag.  The header is the
 * associated data; the nonce is sender || seq; the key is
 * HKDF-Expand(Group Key, "cpns-v1 traffic" || group_id || epoch, 32).
 */
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
