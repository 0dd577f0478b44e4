// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: messages and errno values of the key format refusals.  Keep in
 * step with userspace/lib/keyerr.c; the VM vector test compares them.
 */

#include <linux/errno.h>

#include "kerr.h"

static const struct {
	const char *msg;
	int err;
} kerr_tab[] = {
	[CPNS_KE_TRUNCATED] = {
		"input shorter than its header requires", EBADMSG },
	[CPNS_KE_TRAILING] = { "trailing bytes after the structure", EBADMSG },
	[CPNS_KE_VERSION] = { "unsupported format version", EPROTONOSUPPORT },
	[CPNS_KE_SCHEME] = {
		"unknown broadcast-encryption scheme", EOPNOTSUPP },
	[CPNS_KE_HEIGHT] = { "tree height out of range", EBADMSG },
	[CPNS_KE_RESERVED] = { "reserved field not zero", EBADMSG },
	[CPNS_KE_SLOT_RANGE] = { "slot outside the tree", EBADMSG },
	[CPNS_KE_LIFETIME] = { "validity window empty or inverted", EBADMSG },
	[CPNS_KE_COUNT] = { "cover entry count out of range", EBADMSG },
	[CPNS_KE_NODE_RANGE] = { "cover node index outside the tree", EBADMSG },
	[CPNS_KE_COVER_ORDER] = {
		"cover entries not in ascending slot order", EBADMSG },
	[CPNS_KE_COVER_OVERLAP] = {
		"cover subtrees repeat or overlap", EBADMSG },
	[CPNS_KE_COVER_NOT_MINIMAL] = {
		"cover not minimal: sibling subtrees both listed", EBADMSG },
	[CPNS_KE_GKDK_SCHEME] = { "GKDK is for another scheme", EKEYREJECTED },
	[CPNS_KE_GKDK_KEYSET] = {
		"GKDK is from another key material set", EKEYREJECTED },
	[CPNS_KE_GKDK_HEIGHT] = {
		"GKDK tree height differs from the blob's", EKEYREJECTED },
	[CPNS_KE_GROUP] = { "blob is for another Service Group", EINVAL },
	[CPNS_KE_NOT_YET_VALID] = { "Group Key not valid yet", EKEYREJECTED },
	[CPNS_KE_EXPIRED] = { "Group Key expired", EKEYEXPIRED },
	[CPNS_KE_NOT_MEMBER] = {
		"slot not covered: not a member of the Service Group", ENOKEY },
	[CPNS_KE_WRAP_AUTH] = {
		"GKEK unwrap failed: corrupt blob or wrong GKDK", EBADMSG },
	[CPNS_KE_SEAL_AUTH] = { "Group Key open failed: corrupt blob", EBADMSG },
};

/**
 * cpns_kerr() - report a key format refusal
 * @extack: gets the message
 * @err: the reason
 *
 * Return: the negative errno for @err.
 */
int cpns_kerr(struct netlink_ext_ack *extack, enum cpns_kerr err)
{
	/* NL_SET_ERR_MSG() wants a literal; the table's strings are static. */
	if (extack)
		extack->_msg = kerr_tab[err].msg;
	return -kerr_tab[err].err;
}
