// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: the node's Group Key Decryption Keys, one per gateway.
 *
 * A GKDK arrives as its encoding (Documentation/keys.rst, "GKDK"), is
 * parsed with the same checks in the same order as the userspace
 * reference, and is never sent back out: replies carry its fingerprint.
 */

#include <linux/slab.h>
#include <net/netlink.h>

#include "compat.h"
#include "cpns.h"
#include "kerr.h"

#define GKDK_VERSION	1
#define GKDK_HDR_LEN	20

static void gkdk_free(struct cpns_gkdk *gk)
{
	kfree_sensitive(gk);
}

/**
 * cpns_gkdk_find() - the GKDK of a gateway
 * @cn: the namespace, locked
 * @gateway_id: the gateway
 *
 * Return: the GKDK or NULL.
 */
struct cpns_gkdk *cpns_gkdk_find(struct cpns_net *cn, u64 gateway_id)
{
	struct cpns_gkdk *gk;

	lockdep_assert_held(&cn->lock);

	list_for_each_entry(gk, &cn->gkdks, list)
		if (gk->gateway_id == gateway_id)
			return gk;
	return NULL;
}

static int parse(struct cpns_gkdk *gk, const u8 *b, size_t len,
		 struct netlink_ext_ack *extack)
{
	size_t need;

	/* Same checks, same order as userspace/lib/gkdk.c. */
	if (len < GKDK_HDR_LEN)
		return cpns_kerr(extack, CPNS_KE_TRUNCATED);
	if (b[0] != GKDK_VERSION)
		return cpns_kerr(extack, CPNS_KE_VERSION);
	if (b[1] != CPNS_SCHEME_CS)
		return cpns_kerr(extack, CPNS_KE_SCHEME);
	if (b[2] < 1 || b[2] > CPNS_TREE_HEIGHT_MAX)
		return cpns_kerr(extack, CPNS_KE_HEIGHT);
	if (b[3])
		return cpns_kerr(extack, CPNS_KE_RESERVED);
	gk->scheme = b[1];
	gk->height = b[2];
	gk->set_id = get_unaligned_be32(b + 4);
	gk->gateway_id = get_unaligned_be64(b + 8);
	gk->slot = get_unaligned_be32(b + 16);
	gk->nkeys = gk->height + 1;
	need = GKDK_HDR_LEN + (size_t)gk->nkeys * CPNS_KEY_LEN;
	if (len < need)
		return cpns_kerr(extack, CPNS_KE_TRUNCATED);
	if (len > need)
		return cpns_kerr(extack, CPNS_KE_TRAILING);
	if (gk->slot >> gk->height)
		return cpns_kerr(extack, CPNS_KE_SLOT_RANGE);
	memcpy(gk->keys, b + GKDK_HDR_LEN, (size_t)gk->nkeys * CPNS_KEY_LEN);
	cpns_fingerprint(CPNS_LABEL_GKDK_FP, b, len, gk->fp);
	return 0;
}

/**
 * cpns_gkdk_set() - store a GKDK, replacing the same gateway's
 * @cn: the namespace, locked
 * @data: the GKDK encoding; the caller wipes it
 * @len: its length
 * @extack: why it was refused
 *
 * Return: 0, -EBADMSG and the like (malformed, see kerr.c), -ENOSPC (too
 * many GKDKs), -ENOMEM.
 */
int cpns_gkdk_set(struct cpns_net *cn, const u8 *data, size_t len,
		  struct netlink_ext_ack *extack)
{
	struct cpns_gkdk *gk, *old;
	int ret;

	lockdep_assert_held(&cn->lock);

	gk = kzalloc(sizeof(*gk), GFP_KERNEL_ACCOUNT);
	if (!gk)
		return -ENOMEM;
	ret = parse(gk, data, len, extack);
	if (ret)
		goto err;

	old = cpns_gkdk_find(cn, gk->gateway_id);
	if (!old && cn->ngkdks >= CPNS_GKDK_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "too many GKDKs in this namespace");
		ret = -ENOSPC;
		goto err;
	}
	if (old) {
		list_replace(&old->list, &gk->list);
		gkdk_free(old);
	} else {
		list_add_tail(&gk->list, &cn->gkdks);
		cn->ngkdks++;
	}
	cn->gen++;
	cpns_notify_gkdk(cn, CPNS_CMD_GKDK_SET_NTF, gk);
	return 0;
err:
	gkdk_free(gk);
	return ret;
}

/**
 * cpns_gkdk_del() - delete and wipe the GKDK of a gateway
 * @cn: the namespace, locked
 * @gateway_id: the gateway
 * @extack: why it was refused
 *
 * Return: 0 or -ENOENT.
 */
int cpns_gkdk_del(struct cpns_net *cn, u64 gateway_id,
		  struct netlink_ext_ack *extack)
{
	struct cpns_gkdk *gk = cpns_gkdk_find(cn, gateway_id);

	if (!gk) {
		NL_SET_ERR_MSG_MOD(extack, "no GKDK for this gateway");
		return -ENOENT;
	}
	list_del(&gk->list);
	cn->ngkdks--;
	cn->gen++;
	cpns_notify_gkdk(cn, CPNS_CMD_GKDK_DEL_NTF, gk);
	gkdk_free(gk);
	return 0;
}

void cpns_gkdk_net_exit(struct cpns_net *cn)
{
	struct cpns_gkdk *gk, *tmp;

	list_for_each_entry_safe(gk, tmp, &cn->gkdks, list) {
		list_del(&gk->list);
		gkdk_free(gk);
	}
	cn->ngkdks = 0;
}
