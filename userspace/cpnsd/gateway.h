/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PN GW's state, shared by its figure a (gateway.c) and figure b
 * (gwgroup.c) halves.
 */
#ifndef CPNSD_GATEWAY_H
#define CPNSD_GATEWAY_H

#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "session.h"
#include "sign.h"

struct gw_group;

struct gateway {
	struct cpnsd *d;
	struct ssl_ctx_st *pne_ctx;	/* PSK, accepting PNEs */
	struct listener *lst;
	struct cpns_kms *kms;		/* the current set, from the store */
	uint8_t sign_sk[CPNS_SIG_KEY_LEN];
	uint8_t sign_pk[CPNS_SIG_KEY_LEN];
	struct uplink *server;		/* to the CPNS Server, if any */

	/* figure b (gwgroup.c) */
	struct gw_group *groups;	/* one per Service Group with a key */
	int bcast6, bcast4;		/* broadcast sockets, -1 when none */
	unsigned int ifindex[CONFIG_PN_IF_MAX];	/* 0: not found yet */
};

/* The stored set again, when the store's changed behind our back. */
int gw_reload_kms(struct gateway *gw);

/* gwgroup.c: figure b on the gateway. */
int gwb_start(struct gateway *gw);
void gwb_stop(struct gateway *gw);
/* From the server: gk-notify (steps 2-3, then 4-6). */
void gwb_server_msg(struct gateway *gw, struct session *s,
		    const struct cpns_msg *m);
/* The session to the server is up: report what the PNEs acknowledged. */
void gwb_server_up(struct gateway *gw, struct session *s);
/* From a PNE: gk-resp (step 7) and gk-pull; false when not figure b's. */
bool gwb_pne_msg(struct gateway *gw, struct session *s,
		 const struct cpns_msg *m);
/* A PNE holds its GKDK now: send it the keys and exclusions it missed. */
void gwb_pne_assigned(struct gateway *gw, struct session *s);
void gwb_pne_down(struct gateway *gw, struct session *s);
/* The module came (back): it needs the gateway's plain keys again. */
void gwb_module_up(struct gateway *gw);

#endif /* CPNSD_GATEWAY_H */
