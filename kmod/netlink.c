// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: the generic netlink family "cpns", its policies and handlers.
 */

#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "cpns.h"

static const u32 cpns_schemes[] = { CPNS_SCHEME_CS };
static const u32 cpns_ciphers[] = { CPNS_CIPHER_AES256_GCM };

static int put_u32_list(struct sk_buff *skb, int attrtype,
			const u32 *items, size_t n)
{
	struct nlattr *nest;
	size_t i;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (nla_put_u32(skb, CPNS_A_LIST_ITEM, items[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int fill_info(struct sk_buff *skb, const struct net *net)
{
	if (nla_put_string(skb, CPNS_A_INFO_VERSION, CPNS_VERSION) ||
	    nla_put_u32(skb, CPNS_A_INFO_FAMILY_VERSION, CPNS_FAMILY_VERSION) ||
	    put_u32_list(skb, CPNS_A_INFO_SCHEMES, cpns_schemes,
			 ARRAY_SIZE(cpns_schemes)) ||
	    put_u32_list(skb, CPNS_A_INFO_CIPHERS, cpns_ciphers,
			 ARRAY_SIZE(cpns_ciphers)) ||
	    nla_put_u32(skb, CPNS_A_INFO_MAX_TREE_HEIGHT,
			CPNS_TREE_HEIGHT_MAX) ||
	    nla_put_u64_64bit(skb, CPNS_A_INFO_NETNS_COOKIE, net->net_cookie,
			      CPNS_A_INFO_UNSPEC))
		return -EMSGSIZE;
	return 0;
}

static struct genl_family cpns_family;

static int cpns_info_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &cpns_family, 0, CPNS_CMD_INFO_GET);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err_free;
	}

	ret = fill_info(msg, genl_info_net(info));
	if (ret)
		goto err_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return ret;
}

/*
 * Commands without a policy get the core's reject-all policy (strict
 * validation for every command: resv_start_op is 0), so a request carrying
 * attributes the command does not take is refused rather than ignored.
 */
static const struct genl_ops cpns_ops[] = {
	{
		.cmd = CPNS_CMD_INFO_GET,
		.doit = cpns_info_get_doit,
	},
};

static const struct genl_multicast_group cpns_mcgrps[] = {
	{ .name = CPNS_MCGRP_EVENTS, .flags = GENL_UNS_ADMIN_PERM },
};

static struct genl_family cpns_family __ro_after_init = {
	.name = CPNS_FAMILY_NAME,
	.version = CPNS_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.ops = cpns_ops,
	.n_ops = ARRAY_SIZE(cpns_ops),
	.mcgrps = cpns_mcgrps,
	.n_mcgrps = ARRAY_SIZE(cpns_mcgrps),
	.module = THIS_MODULE,
};

/**
 * cpns_netlink_init() - register the cpns generic netlink family
 *
 * Return: 0 or a negative errno from genl_register_family().
 */
int __init cpns_netlink_init(void)
{
	return genl_register_family(&cpns_family);
}

/**
 * cpns_netlink_exit() - unregister the family; no handler runs afterwards
 */
void cpns_netlink_exit(void)
{
	genl_unregister_family(&cpns_family);
}
