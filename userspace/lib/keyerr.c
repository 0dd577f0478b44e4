// SPDX-License-Identifier: GPL-2.0
/*
 * Names, messages and errno values of enum cpns_kerr.  The kernel's unwrap
 * code mirrors this table (Documentation/keys.rst, "Error codes").
 */
#include <errno.h>
#include <string.h>

#include "keyerr.h"

static const struct {
	const char *name;
	const char *str;
	int err;
} kerr_tab[__CPNS_KE_MAX] = {
	[CPNS_KE_OK] = { "ok", "success", 0 },
	[CPNS_KE_INVAL] = { "inval", "invalid argument", EINVAL },
	[CPNS_KE_NOMEM] = { "nomem", "out of memory", ENOMEM },
	[CPNS_KE_CRYPTO] = { "crypto", "crypto library failure", EIO },
	[CPNS_KE_TRUNCATED] = { "truncated",
		"input shorter than its header requires", EBADMSG },
	[CPNS_KE_TRAILING] = { "trailing",
		"trailing bytes after the structure", EBADMSG },
	[CPNS_KE_VERSION] = { "version",
		"unsupported format version", EPROTONOSUPPORT },
	[CPNS_KE_SCHEME] = { "scheme",
		"unknown broadcast-encryption scheme", EOPNOTSUPP },
	[CPNS_KE_HEIGHT] = { "height", "tree height out of range", EBADMSG },
	[CPNS_KE_RESERVED] = { "reserved", "reserved field not zero",
		EBADMSG },
	[CPNS_KE_SLOT_RANGE] = { "slot_range", "slot outside the tree",
		EBADMSG },
	[CPNS_KE_LIFETIME] = { "lifetime",
		"validity window empty or inverted", EBADMSG },
	[CPNS_KE_COUNT] = { "count", "cover entry count out of range",
		EBADMSG },
	[CPNS_KE_NODE_RANGE] = { "node_range",
		"cover node index outside the tree", EBADMSG },
	[CPNS_KE_COVER_ORDER] = { "cover_order",
		"cover entries not in ascending slot order", EBADMSG },
	[CPNS_KE_COVER_OVERLAP] = { "cover_overlap",
		"cover subtrees repeat or overlap", EBADMSG },
	[CPNS_KE_COVER_NOT_MINIMAL] = { "cover_not_minimal",
		"cover not minimal: sibling subtrees both listed", EBADMSG },
	[CPNS_KE_GKDK_SCHEME] = { "gkdk_scheme",
		"GKDK is for another scheme", EKEYREJECTED },
	[CPNS_KE_GKDK_GATEWAY] = { "gkdk_gateway",
		"GKDK is from another gateway", EKEYREJECTED },
	[CPNS_KE_GKDK_KEYSET] = { "gkdk_keyset",
		"GKDK is from another key material set", EKEYREJECTED },
	[CPNS_KE_GKDK_HEIGHT] = { "gkdk_height",
		"GKDK tree height differs from the blob's", EKEYREJECTED },
	[CPNS_KE_GROUP] = { "group", "blob is for another Service Group",
		EINVAL },
	[CPNS_KE_STALE_EPOCH] = { "stale_epoch",
		"epoch older than the current one (replay)", ESTALE },
	[CPNS_KE_NOT_YET_VALID] = { "not_yet_valid",
		"Group Key not valid yet", EKEYREJECTED },
	[CPNS_KE_EXPIRED] = { "expired", "Group Key expired",
		EKEYEXPIRED },
	[CPNS_KE_NOT_MEMBER] = { "not_member",
		"slot not covered: not a member of the Service Group",
		ENOKEY },
	[CPNS_KE_WRAP_AUTH] = { "wrap_auth",
		"GKEK unwrap failed: corrupt blob or wrong GKDK", EBADMSG },
	[CPNS_KE_SEAL_AUTH] = { "seal_auth",
		"Group Key open failed: corrupt blob", EBADMSG },
	[CPNS_KE_SIGNATURE] = { "signature",
		"gateway signature does not verify", EKEYREJECTED },
	[CPNS_KE_EMPTY] = { "empty", "Service Group has no members",
		EINVAL },
	[CPNS_KE_TOO_BIG] = { "too_big", "cover exceeds the entry limit",
		E2BIG },
	[CPNS_KE_MEMBERS] = { "members",
		"member slots unsorted, repeated or out of range", EINVAL },
	[CPNS_KE_SLOT_STATE] = { "slot_state",
		"slot not in the required state", EINVAL },
	[CPNS_KE_FULL] = { "full",
		"no unused slot left in the key material set", ENOSPC },
};

const char *cpns_kerr_name(int err)
{
	if (err < 0 || err >= __CPNS_KE_MAX)
		return "unknown";
	return kerr_tab[err].name;
}

const char *cpns_kerr_str(int err)
{
	if (err < 0 || err >= __CPNS_KE_MAX)
		return "unknown error";
	return kerr_tab[err].str;
}

int cpns_kerr_from_name(const char *name)
{
	int i;

	for (i = 0; i < __CPNS_KE_MAX; i++)
		if (!strcmp(kerr_tab[i].name, name))
			return i;
	return -1;
}

int cpns_kerr_errno(int err)
{
	if (err < 0 || err >= __CPNS_KE_MAX)
		return EINVAL;
	return kerr_tab[err].err;
}
