/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpns: refusals of GKDK and encrypted Group Key parsing and opening.
 *
 * The kernel's side of userspace/lib/keyerr.h: the same reasons, the same
 * messages (as extack, after "cpns: ") and the same errno values, so the
 * two implementations can be compared on the test vectors refusal by
 * refusal.
 */
#ifndef _CPNS_KERR_H
#define _CPNS_KERR_H

#include <net/netlink.h>

enum cpns_kerr {
	CPNS_KE_OK,
	CPNS_KE_TRUNCATED,
	CPNS_KE_TRAILING,
	CPNS_KE_VERSION,
	CPNS_KE_SCHEME,
	CPNS_KE_HEIGHT,
	CPNS_KE_RESERVED,
	CPNS_KE_SLOT_RANGE,
	CPNS_KE_LIFETIME,
	CPNS_KE_COUNT,
	CPNS_KE_NODE_RANGE,
	CPNS_KE_COVER_ORDER,
	CPNS_KE_COVER_OVERLAP,
	CPNS_KE_COVER_NOT_MINIMAL,
	CPNS_KE_GKDK_SCHEME,
	CPNS_KE_GKDK_KEYSET,
	CPNS_KE_GKDK_HEIGHT,
	CPNS_KE_GROUP,
	CPNS_KE_STALE_EPOCH,
	CPNS_KE_NOT_YET_VALID,
	CPNS_KE_EXPIRED,
	CPNS_KE_NOT_MEMBER,
	CPNS_KE_WRAP_AUTH,
	CPNS_KE_SEAL_AUTH,
};

int cpns_kerr(struct netlink_ext_ack *extack, enum cpns_kerr err);

#endif /* _CPNS_KERR_H */
