// SPDX-License-Identifier: GPL-2.0
/*
 * The PNE's side of figure a: step 1 (GKDK Assignment Request once its
 * TLS session, authenticated by the EU-Key, is up) and step 5 (the GKDK
 * into the module).  The GKDK is never written to disk: whenever the
 * module loses it (reloaded, `gkdk del`, a key-missing event while none
 * is held) the PNE asks its gateway again, with backoff, and gets the
 * same slot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <linux/cpns.h>
#include <openssl/crypto.h>

#include "gkdk.h"
#include "keyerr.h"
#include "netlink.h"
#include "nl.h"
#include "pne.h"
#include "roles.h"
#include "sign.h"

/* Figure a step 1: GKDK Assignment Request. */
static void pne_step1_request(struct pne *p, struct session *s)
{
	struct cpns_msg m;

	cpns_msg_init(&m, CPNS_MSG_GKDK_REQ);
	m.pne_id = (const uint8_t *)p->d->cfg->pne_id;
	m.pne_id_len = strlen(p->d->cfg->pne_id);
	cpns_msg_set(&m, CPNS_MA_PNE_ID);
	if (!session_send(s, &m)) {
		p->asked = true;
		log_step("a", 1, "GKDK Assignment Request sent to gateway %s",
			 session_peer(s));
	}
}

/* We need a GKDK: ask now if the session is up, else once it is. */
void pne_want_gkdk(struct pne *p, const char *why)
{
	struct session *s = uplink_session(p->gw);

	if (!p->need_gkdk)
		log_info("GKDK needed: %s", why);
	p->need_gkdk = true;
	if (!nl_link_up(p->d->nl))
		return;		/* asked for when the module is back */
	if (s) {
		if (!p->asked)
			pne_step1_request(p, s);
	} else {
		uplink_kick(p->gw);
	}
}

/* Figure a step 5, the PNE's half: the GKDK into the module. */
static void pne_step5_install(struct pne *p, struct session *s,
			      const struct cpns_msg *m)
{
	struct cpns_gkdk g;
	uint8_t fp[CPNS_FP_LEN];
	char err[320];
	int ret;

	p->asked = false;
	ret = cpns_gkdk_decode(&g, m->gkdk, m->gkdk_len);
	if (ret) {
		log_err("gateway %s: GKDK refused: %s", session_peer(s),
			cpns_kerr_str(ret));
		session_fail(s, CPNS_ST_MALFORMED, "GKDK does not decode");
		return;
	}
	if (g.gateway_id != m->gateway_id) {
		cpns_gkdk_wipe(&g);
		log_err("gateway %s: GKDK of gateway %llu in a response of gateway %llu",
			session_peer(s), (unsigned long long)g.gateway_id,
			(unsigned long long)m->gateway_id);
		session_fail(s, CPNS_ST_MALFORMED, "GKDK names another gateway");
		return;
	}
	cpns_gkdk_fingerprint(&g, fp);
	ret = nl_gkdk_set(p->d->nl, m->gkdk, m->gkdk_len, err, sizeof(err));
	if (ret) {
		log_err("gateway %s: the module refused the GKDK: %s",
			session_peer(s), err);
		cpns_gkdk_wipe(&g);
		/* Ask again on a new session, after the uplink's backoff. */
		session_close(s, "the module refused the GKDK");
		return;
	}
	p->need_gkdk = false;
	p->have_gateway = true;
	p->gateway_id = g.gateway_id;
	memcpy(p->sign_pk, m->sign_key, sizeof(p->sign_pk));
	p->d->stats[CPNS_CTL_S_GKDK_INSTALLED]++;
	uplink_backoff_reset(p->gw);
	log_step("a", 5, "GKDK of gateway %llu installed (set %u, slot %u)",
		 (unsigned long long)g.gateway_id, g.set_id, g.slot);
	log_info("GKDK installed: gateway %llu set %u slot %u fingerprint %02x%02x%02x%02x%02x%02x%02x%02x",
		 (unsigned long long)g.gateway_id, g.set_id, g.slot, fp[0],
		 fp[1], fp[2], fp[3], fp[4], fp[5], fp[6], fp[7]);
	cpns_gkdk_wipe(&g);
}

/*
 * Every new session asks, GKDK held or not: the answer is the same slot
 * again, or one of a set started while we were away (whose renewal
 * notice we could not get), and it costs the gateway one transaction.
 */
static void gw_up(struct uplink *u, struct session *s)
{
	struct pne *p = uplink_arg(u);

	p->asked = false;
	pneb_session_up(p);
	if (nl_link_up(p->d->nl))
		pne_step1_request(p, s);
}

static void gw_msg(struct uplink *u, struct session *s,
		   const struct cpns_msg *m)
{
	struct pne *p = uplink_arg(u);
	char why[128];

	if (pneb_gw_msg(p, s, m))
		return;
	switch (m->type) {
	case CPNS_MSG_GKDK_RESP:
		if (!p->asked) {
			session_fail(s, CPNS_ST_UNEXPECTED,
				     "GKDK Assignment Response nobody asked for");
			return;
		}
		pne_step5_install(p, s, m);
		break;
	case CPNS_MSG_GKDK_RENEW:
		log_info("gateway %s: key material set %u started; asking again",
			 session_peer(s), m->set_id);
		p->need_gkdk = true;
		if (!p->asked)
			pne_step1_request(p, s);
		break;
	case CPNS_MSG_ERROR:
		p->asked = false;
		log_err("gateway %s: refused: %s: %.*s", session_peer(s),
			cpns_msg_status_name(m->code), (int)m->text_len,
			m->text ? m->text : "");
		/* Being unknown or revoked is an operator's matter. */
		if (m->code == CPNS_ST_REVOKED ||
		    m->code == CPNS_ST_UNKNOWN_PNE)
			uplink_backoff_max(u);
		break;
	default:
		snprintf(why, sizeof(why), "a PNE does not take %s",
			 cpns_msg_type_name(m->type));
		session_fail(s, CPNS_ST_UNEXPECTED, why);
	}
}

/* The session is kept (figure b arrives on it): the uplink reconnects. */
static void gw_down(struct uplink *u, const char *why)
{
	struct pne *p = uplink_arg(u);

	(void)why;
	p->asked = false;
}

static const struct uplink_ops gw_ops = {
	.up = gw_up,
	.msg = gw_msg,
	.down = gw_down,
};

/* The module's state may have changed unseen: look at it. */
static void check_gkdk(struct pne *p, const char *why)
{
	int ret;

	if (!p->have_gateway) {
		pne_want_gkdk(p, why);
		return;
	}
	ret = nl_gkdk_present(p->d->nl, p->gateway_id);
	if (ret == 0)
		pne_want_gkdk(p, why);
	else if (ret > 0)
		p->need_gkdk = false;	/* still there after all */
	else if (ret < 0)
		log_err("module: GKDK lookup failed: %s", strerror(-ret));
}

static void mod_up(void *arg)
{
	check_gkdk(arg, "the module is loaded and lacks the GKDK");
}

static void mod_down(void *arg)
{
	struct pne *p = arg;

	p->need_gkdk = true;
	log_warn("module: unloaded; the GKDK is gone with it");
}

static void mod_lost(void *arg)
{
	check_gkdk(arg, "events were lost and the module lacks the GKDK");
}

static void mod_event(void *arg, uint8_t cmd, const struct nlmsghdr *nlh)
{
	struct pne *p = arg;
	const struct nlattr *tb[CPNS_A_GKDK_MAX + 1] = { NULL };
	char why[128] = "no gateway id";

	switch (cmd) {
	case CPNS_CMD_GKDK_DEL_NTF:
		if (cpns_nl_parse(nlh, &cpns_nl_gkdk_policy, tb, why,
				  sizeof(why)) < 0 ||
		    !tb[CPNS_A_GKDK_GATEWAY_ID]) {
			log_warn("module: malformed gkdk-del event: %s", why);
			return;
		}
		if (p->have_gateway &&
		    mnl_attr_get_u64(tb[CPNS_A_GKDK_GATEWAY_ID]) == p->gateway_id)
			pne_want_gkdk(p, "the module's GKDK was deleted");
		break;
	case CPNS_CMD_KEY_MISSING_NTF: {
		const struct nlattr *kt[CPNS_A_KEY_MAX + 1] = { NULL };

		check_gkdk(p, "a key is missing and so is the GKDK");
		if (cpns_nl_parse(nlh, &cpns_nl_key_policy, kt, why,
				  sizeof(why)) < 0 || !kt[CPNS_A_KEY_GROUP_ID]) {
			log_warn("module: malformed key-missing event: %s", why);
			return;
		}
		pneb_key_missing(p, mnl_attr_get_u32(kt[CPNS_A_KEY_GROUP_ID]),
				 kt[CPNS_A_KEY_EPOCH] ?
				 mnl_attr_get_u64(kt[CPNS_A_KEY_EPOCH]) : 0);
		break;
	}
	default:
		break;
	}
}

static const struct nl_handlers pne_nl = {
	.up = mod_up,
	.down = mod_down,
	.lost = mod_lost,
	.event = mod_event,
};

int pne_start(struct cpnsd *d)
{
	const struct cpnsd_config *c = d->cfg;
	struct tls_conf tc = {
		.kind = TLS_PSK, .psk_id = c->pne_id,
		.psk_file = c->eu_key_file,
	};
	struct pne *p;
	uint8_t key[EU_KEY_LEN];
	char err[512];
	int ret;

	/* A bad EU-Key file is a start-up error, not a retry loop. */
	ret = eukey_load(c->eu_key_file, key, err, sizeof(err));
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->d = d;
	p->need_gkdk = true;
	d->pne = p;
	ret = uplink_start(d, &tc, &c->gateway, "gateway", &gw_ops, p,
			   &p->gw);
	if (ret)
		return ret;
	ret = nl_link_open(d, &pne_nl, p, &d->nl);
	if (ret) {
		log_err("netlink: %s", strerror(-ret));
		return ret;
	}
	ret = pneb_start(p);
	if (ret)
		return ret;
	log_info("PNE %s: gateway %s", c->pne_id, c->gateway.text);
	return 0;
}

void pne_stop(struct cpnsd *d)
{
	struct pne *p = d->pne;

	if (!p)
		return;
	uplink_stop(p->gw);
	pneb_stop(p);
	nl_link_close(d->nl);
	d->nl = NULL;
	free(p);
	d->pne = NULL;
}
