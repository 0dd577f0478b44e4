// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: OMA CPNS Group Key management.  Module and namespace lifetime.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>

#include "cpns.h"

static unsigned int cpns_net_id __read_mostly;

/**
 * cpns_net() - the cpns state of a network namespace
 * @net: the namespace
 *
 * Return: the namespace's state; valid while @net is alive.
 */
struct cpns_net *cpns_net(const struct net *net)
{
	return net_generic(net, cpns_net_id);
}

static int __net_init cpns_net_init(struct net *net)
{
	struct cpns_net *cn = cpns_net(net);

	mutex_init(&cn->lock);
	cn->net = net;
	INIT_LIST_HEAD(&cn->gkdks);
	cpns_keys_net_init(cn);
	return cpns_fastpath_net_init(cn);
}

static void __net_exit cpns_net_exit(struct net *net)
{
	struct cpns_net *cn = cpns_net(net);

	/*
	 * No socket reaches this namespace any more; only timers and the
	 * fast path can run, and the fast path stops here.
	 */
	mutex_lock(&cn->lock);
	cpns_fastpath_net_exit(cn);
	mutex_unlock(&cn->lock);
	cpns_keys_net_exit(cn);
	mutex_lock(&cn->lock);
	cpns_gkdk_net_exit(cn);
	mutex_unlock(&cn->lock);
	cpns_unwrap_net_exit(cn);
	free_percpu(cn->fp);
	mutex_destroy(&cn->lock);
}

static struct pernet_operations cpns_net_ops = {
	.init = cpns_net_init,
	.exit = cpns_net_exit,
	.id = &cpns_net_id,
	.size = sizeof(struct cpns_net),
};

static int __init cpns_init(void)
{
	int ret;

	/*
	 * ORDER: namespace state exists before the family is registered,
	 * since a request may arrive as soon as genl_register_family()
	 * returns.
	 */
	ret = cpns_keys_init();
	if (ret)
		goto err;
	ret = cpns_traffic_init();
	if (ret)
		goto err_keys;

	ret = register_pernet_subsys(&cpns_net_ops);
	if (ret)
		goto err_traffic;

	ret = cpns_netlink_init();
	if (ret)
		goto err_unregister_pernet;

	pr_info("version %s loaded\n", CPNS_VERSION);
	return 0;

err_unregister_pernet:
	unregister_pernet_subsys(&cpns_net_ops);
err_traffic:
	rcu_barrier();
	cpns_traffic_exit();
err_keys:
	cpns_keys_exit();
err:
	return ret;
}

static void __exit cpns_exit(void)
{
	cpns_netlink_exit();
	unregister_pernet_subsys(&cpns_net_ops);
	/* Objects freed with call_rcu must be gone before .text and slab. */
	rcu_barrier();
	cpns_traffic_exit();
	cpns_keys_exit();
}

module_init(cpns_init);
module_exit(cpns_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("OMA CPNS Group Key management");
MODULE_AUTHOR("The cpns developers");
MODULE_VERSION(CPNS_VERSION);
MODULE_ALIAS_GENL_FAMILY(CPNS_FAMILY_NAME);
