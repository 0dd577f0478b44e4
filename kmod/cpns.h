/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpns: internal declarations shared by the module's files.
 */
#ifndef _CPNS_H
#define _CPNS_H

#include <linux/mutex.h>
#include <net/net_namespace.h>
#include <linux/cpns.h>

#define CPNS_VERSION "0.1.0"

/**
 * struct cpns_net - per network namespace state
 */
struct cpns_net {
	/* Serialises every writer of this namespace's state; readers on the
	 * fast path use RCU instead.
	 */
	struct mutex lock;
};

struct cpns_net *cpns_net(const struct net *net);

int cpns_netlink_init(void);
void cpns_netlink_exit(void);

#endif /* _CPNS_H */
