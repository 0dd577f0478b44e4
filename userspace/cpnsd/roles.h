/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The three roles, and the connecting side they share: an uplink is the
 * session a PNE keeps to its gateway and a gateway to its server, opened
 * again with exponential backoff (and jitter, so that a gateway's
 * restart is not met by all its PNEs in the same second).
 */
#ifndef CPNSD_ROLES_H
#define CPNSD_ROLES_H

#include "config.h"
#include "cpnsd.h"
#include "msg.h"
#include "session.h"

int gateway_start(struct cpnsd *d);
void gateway_stop(struct cpnsd *d);
int pne_start(struct cpnsd *d);
void pne_stop(struct cpnsd *d);
int server_start(struct cpnsd *d);
void server_stop(struct cpnsd *d);

struct uplink;

struct uplink_ops {
	void (*up)(struct uplink *u, struct session *s);
	void (*msg)(struct uplink *u, struct session *s,
		    const struct cpns_msg *m);
	void (*down)(struct uplink *u, const char *why);
};

int uplink_start(struct cpnsd *d, const struct tls_conf *tc,
		 const struct config_addr *addr, const char *name,
		 const struct uplink_ops *ops, void *arg,
		 struct uplink **out);
void uplink_stop(struct uplink *u);
void *uplink_arg(const struct uplink *u);
/* The session when it is up, else NULL. */
struct session *uplink_session(const struct uplink *u);
/* Connect now if not connected and no retry is due sooner. */
void uplink_kick(struct uplink *u);
/* Work got done: the next failure waits retry-min again. */
void uplink_backoff_reset(struct uplink *u);
/* The peer refused us for a reason time will not fix soon. */
void uplink_backoff_max(struct uplink *u);

#endif /* CPNSD_ROLES_H */
