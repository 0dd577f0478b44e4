/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PNE's state, shared by its figure a (pne.c) and figure b
 * (pnegroup.c) halves.
 */
#ifndef CPNSD_PNE_H
#define CPNSD_PNE_H

#include <stdbool.h>
#include <stdint.h>

#include "msg.h"
#include "session.h"
#include "sign.h"

struct pne_group;
struct event;

struct pne {
	struct cpnsd *d;
	struct uplink *gw;
	bool need_gkdk;		/* the module lacks our GKDK */
	bool asked;		/* a request is outstanding on this session */
	bool have_gateway;	/* the fields below are known */
	uint64_t gateway_id;
	uint8_t sign_pk[CPNS_SIG_KEY_LEN];	/* for figure b's broadcasts */

	/* figure b (pnegroup.c) */
	struct pne_group *groups;	/* what we know of each group */
	int sock6, sock4;		/* broadcast listeners, -1 when none */
	struct event *rd6, *rd4, *join_retry;
	uint8_t *rxbuf;
};

/* Figure a again: the module lacks our GKDK. */
void pne_want_gkdk(struct pne *p, const char *why);

/* pnegroup.c */
int pneb_start(struct pne *p);
void pneb_stop(struct pne *p);
/* From the gateway over the session: gk-bcast, gk-exclude; false if not. */
bool pneb_gw_msg(struct pne *p, struct session *s, const struct cpns_msg *m);
/* A new session: what we answered on the last one must be said again. */
void pneb_session_up(struct pne *p);
/* The module's key-missing event: pull the group's key, rate-limited. */
void pneb_key_missing(struct pne *p, uint32_t group, uint64_t epoch);

#endif /* CPNSD_PNE_H */
