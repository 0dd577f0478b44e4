// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: messages and errno values of the key format refusals.  Keep in
 * step with userspace/lib/keyerr.c; the VM vector test compares them.
 */

#include <linux/errno.h>

#include "kerr.h"

/* The reference's text, with the module's name as every extack has. */
#define M(text) KBUILD_MODNAME ": " text

static const struct {
	const char *msg;
	int err;
} kerr_tab[] = {
	[CPNS_KE_TRUNCATED] = {
		M("input shorter than its header requires"), EBADMSG },
	[CPNS_KE_TRAILING] = {
		M("trailing bytes after the structure"), EBADMSG },
	[CPNS_KE_VERSION] = {
		M("unsupported format version"), EPROTONOSUPPORT },
	[CPNS_KE_SCHEME] = {
		M("unknown broadcast-encryption scheme"), EOPNOTSUPP },
	[CPNS_KE_HEIGHT] = { M("tree height out of range"), EBADMSG },
	[CPNS_KE_RESERVED] = { M("reserved field not zero"), EBADMSG },
	[CPNS_KE_SLOT_RANGE] = { M("slot outside the tree"), EBADMSG },
	[CPNS_KE_LIFETIME] = {
		M("validity window empty or inverted"), EBADMSG },
	[CPNS_KE_COUNT] = { M("cover entry count out of range"), EBADMSG },
	[CPNS_KE_NODE_RANGE] = {
		M("cover node index outside the tree"), EBADMSG },
	[CPNS_KE_COVER_ORDER] = {
		M("cover entries not in ascending slot order"), EBADMSG },
	[CPNS_KE_COVER_OVERLAP] = {
		M("cover subtrees repeat or overlap"), EBADMSG },
	[CPNS_KE_COVER_NOT_MINIMAL] = {
		M("cover not minimal: sibling subtrees both listed"), EBADMSG },
	[CPNS_KE_GKDK_SCHEME] = {
		M("GKDK is for another scheme"), EKEYREJECTED },
	[CPNS_KE_GKDK_KEYSET] = {
		M("GKDK is from another key material set"), EKEYREJECTED },
	[CPNS_KE_GKDK_HEIGHT] = {
		M("GKDK tree height differs from the blob's"), EKEYREJECTED },
	[CPNS_KE_GROUP] = { M("blob is for another Service Group"), EINVAL },
	[CPNS_KE_STALE_EPOCH] = {
		M("epoch older than the current one (replay)"), ESTALE },
	[CPNS_KE_NOT_YET_VALID] = {
		M("Group Key not valid yet"), EKEYREJECTED },
	[CPNS_KE_EXPIRED] = { M("Group Key expired"), EKEYEXPIRED },
	[CPNS_KE_NOT_MEMBER] = {
		M("slot not covered: not a member of the Service Group"), ENOKEY },
	[CPNS_KE_WRAP_AUTH] = {
		M("GKEK unwrap failed: corrupt blob or wrong GKDK"), EBADMSG },
	[CPNS_KE_SEAL_AUTH] = {
		M("Group Key open failed: corrupt blob"), EBADMSG },
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
	do_trace_netlink_extack(kerr_tab[err].msg);
	if (extack)
		extack->_msg = kerr_tab[err].msg;
	return -kerr_tab[err].err;
}
