// SPDX-License-Identifier: GPL-2.0
/*
 * The PN GW's side of figure a (GKDK assignment): steps 2 to 5 are the
 * functions gw_step*(), called in that order for each GKDK Assignment
 * Request a PNE sends over its TLS session.  Also the gateway's session
 * to its CPNS Server (X.509), which figure b uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "config.h"
#include "gateway.h"
#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"
#include "netlink.h"
#include "roles.h"
#include "session.h"
#include "sign.h"
#include "store.h"

static const struct session_ops pne_session_ops;

static int psk_lookup(struct cpnsd *d, const char *id,
		      uint8_t key[EU_KEY_LEN])
{
	struct store_pne pne;
	char err[512];
	int ret;

	ret = store_pne_get(d->store, id, &pne);
	if (ret)
		return ret;
	ret = eukey_load(pne.eu_key_file, key, err, sizeof(err));
	if (ret)
		log_err("PNE %s: %s", id, err);
	return ret;
}

static int restore_slot(const struct store_pne *p, void *arg)
{
	struct gateway *gw = arg;

	if (!p->has_slot || p->set_id != gw->kms->set_id)
		return 0;
	cpns_kms_slot_set(gw->kms, p->slot,
			  p->state == STORE_PNE_REVOKED ? CPNS_SLOT_REVOKED :
			  CPNS_SLOT_ASSIGNED);
	return 0;
}

/* The stored set in memory, for deriving GKDKs (the store stays the truth). */
static int load_kms(struct gateway *gw, const struct store_kms *sk)
{
	struct cpns_kms *kms;
	int ret;

	if (sk->gateway_id != gw->d->cfg->gateway_id) {
		log_err("the stored key material set belongs to gateway id %llu, the configuration says %llu; refusing to mix them",
			(unsigned long long)sk->gateway_id,
			(unsigned long long)gw->d->cfg->gateway_id);
		return -EINVAL;
	}
	ret = cpns_kms_from_master(&kms, sk->gateway_id, sk->set_id,
				   sk->height, sk->master);
	if (ret) {
		log_err("key material set %u: %s", sk->set_id,
			cpns_kerr_str(ret));
		return -EINVAL;
	}
	cpns_kms_free(gw->kms);
	gw->kms = kms;
	/*
	 * The slot table in memory follows the store's, so that a burnt
	 * slot is never a member here either (figure b builds its covers
	 * from it).
	 */
	return store_pne_foreach(gw->d->store, restore_slot, gw);
}

int gw_reload_kms(struct gateway *gw)
{
	struct store_kms sk;
	int ret;

	ret = store_kms_get(gw->d->store, &sk);
	if (!ret)
		ret = load_kms(gw, &sk);
	OPENSSL_cleanse(&sk, sizeof(sk));
	return ret;
}

/* Figure a step 2: does the gateway store a key material set? */
static int gw_step2_find_key_material_set(struct gateway *gw)
{
	struct store_kms sk;
	int ret;

	if (gw->kms) {
		log_step("a", 2, "key material set %u (height %u) is stored",
			 gw->kms->set_id, gw->kms->height);
		return 0;
	}
	ret = store_kms_get(gw->d->store, &sk);
	if (ret == -ENOENT) {
		log_step("a", 2, "no key material set stored");
		return -ENOENT;
	}
	if (ret) {
		log_err("reading the key material set: %s", strerror(-ret));
		return ret;
	}
	ret = load_kms(gw, &sk);
	OPENSSL_cleanse(&sk, sizeof(sk));
	if (!ret)
		log_step("a", 2, "key material set %u (height %u) is stored",
			 gw->kms->set_id, gw->kms->height);
	return ret;
}

/*
 * Figure a step 3: create a key material set and store it before going
 * on; also how a full set is followed by set @set_id.
 */
static int gw_step3_create_key_material_set(struct gateway *gw,
					    uint32_t set_id)
{
	struct cpnsd *d = gw->d;
	struct cpns_kms *kms;
	struct store_kms sk;
	char err[256];
	int ret;

	ret = cpns_kms_create(&kms, d->cfg->gateway_id, set_id,
			      d->cfg->height);
	if (ret) {
		log_err("creating key material set %u: %s", set_id,
			cpns_kerr_str(ret));
		return -EIO;
	}
	sk.gateway_id = kms->gateway_id;
	sk.set_id = kms->set_id;
	sk.height = kms->height;
	memcpy(sk.master, kms->master, sizeof(sk.master));
	ret = store_kms_put(d->store, &sk, err, sizeof(err));
	OPENSSL_cleanse(&sk, sizeof(sk));
	if (ret) {
		log_err("storing key material set %u: %s", set_id, err);
		cpns_kms_free(kms);
		return ret;
	}
	cpns_kms_free(gw->kms);
	gw->kms = kms;
	log_step("a", 3, "created and stored key material set %u (height %u, %lu slots)",
		 set_id, kms->height, 1UL << kms->height);
	log_info("key material set %u created", set_id);
	return 0;
}

/*
 * Every session of ours but @asking (which gets its new GKDK at once)
 * learns that its GKDK belongs to an old set.
 */
static void gw_announce_new_set(struct gateway *gw, struct session *asking)
{
	struct cpns_msg m;

	cpns_msg_init(&m, CPNS_MSG_GKDK_RENEW);
	m.set_id = gw->kms->set_id;
	cpns_msg_set(&m, CPNS_MA_SET_ID);
	session_broadcast(gw->d, gw, &m, asking);
}

/*
 * Figure a step 4: a slot for the PNE (its own again, or the lowest
 * never used; committed before anything is sent) and its GKDK.
 */
static int gw_step4_create_gkdk(struct gateway *gw, struct session *s,
				const char *pne_id, struct cpns_gkdk *g,
				enum cpns_msg_status *st)
{
	struct cpnsd *d = gw->d;
	uint32_t slot, nfree, nassigned, nrevoked;
	struct store_pne pne;
	char err[256];
	int ret, tries;

	for (tries = 0; tries < 2; tries++) {
		ret = store_pne_assign(d->store, pne_id, &slot, err,
				       sizeof(err));
		if (ret != -ENOSPC)
			break;
		/*
		 * Only burnt slots make a new set worth it: one full of
		 * live PNEs would fill again at once, and every set change
		 * sends all PNEs back to ask.
		 */
		if (store_slot_counts(d->store, &nfree, &nassigned, &nrevoked) ||
		    !nrevoked) {
			snprintf(err, sizeof(err),
				 "key material set %u is full with %lu live PNEs (height %u); a larger height is needed",
				 gw->kms->set_id, 1UL << gw->kms->height,
				 gw->kms->height);
			ret = -EBUSY;
			break;
		}
		log_warn("key material set %u is full (%u slots revoked); starting set %u, its PNEs must ask again",
			 gw->kms->set_id, nrevoked, gw->kms->set_id + 1);
		ret = gw_step3_create_key_material_set(gw,
						      gw->kms->set_id + 1);
		if (ret)
			break;
		gw_announce_new_set(gw, s);
	}
	if (ret) {
		*st = ret == -EPERM ? CPNS_ST_REVOKED :
		      ret == -ENOENT ? CPNS_ST_UNKNOWN_PNE :
		      ret == -EBUSY ? CPNS_ST_BUSY : CPNS_ST_INTERNAL;
		if (ret == -EPERM)
			d->stats[CPNS_CTL_S_REVOKED_PNE]++;
		else if (ret == -ENOENT)
			d->stats[CPNS_CTL_S_UNKNOWN_PNE]++;
		log_warn("PNE %s: no slot: %s", pne_id, err);
		return ret;
	}
	/*
	 * The slot is of the store's current set; if that is not the one
	 * in memory (a new set committed although its put reported an
	 * error), the set in memory is stale: read it again.
	 */
	if (!store_pne_get(d->store, pne_id, &pne) &&
	    pne.set_id != gw->kms->set_id) {
		ret = gw_reload_kms(gw);
		if (ret || pne.set_id != gw->kms->set_id) {
			*st = CPNS_ST_INTERNAL;
			log_err("PNE %s: slot of set %u, but set %u is loaded",
				pne_id, pne.set_id, gw->kms->set_id);
			return -EIO;
		}
	}
	if (cpns_kms_slot_state(gw->kms, slot) != CPNS_SLOT_ASSIGNED)
		cpns_kms_slot_set(gw->kms, slot, CPNS_SLOT_ASSIGNED);
	ret = cpns_gkdk_create(gw->kms, CPNS_SCHEME_CS, slot, g);
	if (ret) {
		log_err("PNE %s: GKDK of slot %u: %s", pne_id, slot,
			cpns_kerr_str(ret));
		*st = CPNS_ST_INTERNAL;
		return -EIO;
	}
	log_step("a", 4, "PNE %s: slot %u of set %u, GKDK derived", pne_id,
		 slot, gw->kms->set_id);
	return 0;
}

/* Figure a step 5: GKDK Assignment Response with the GKDK. */
static void gw_step5_send_response(struct gateway *gw, struct session *s,
				   const struct cpns_gkdk *g)
{
	uint8_t buf[CPNS_GKDK_MAX_LEN], fp[CPNS_FP_LEN];
	struct cpns_msg m;
	size_t len;

	if (cpns_gkdk_encode(g, buf, sizeof(buf), &len)) {
		session_fail(s, CPNS_ST_INTERNAL, "GKDK encoding failed");
		return;
	}
	cpns_msg_init(&m, CPNS_MSG_GKDK_RESP);
	m.gateway_id = gw->kms->gateway_id;
	cpns_msg_set(&m, CPNS_MA_GATEWAY_ID);
	m.gkdk = buf;
	m.gkdk_len = len;
	cpns_msg_set(&m, CPNS_MA_GKDK);
	m.sign_key = gw->sign_pk;
	cpns_msg_set(&m, CPNS_MA_SIGN_KEY);
	if (!session_send(s, &m)) {
		gw->d->stats[CPNS_CTL_S_GKDK_ASSIGNED]++;
		cpns_gkdk_fingerprint(g, fp);
		log_step("a", 5, "PNE %s: GKDK Assignment Response sent (slot %u, fingerprint %02x%02x%02x%02x%02x%02x%02x%02x)",
			 session_peer_id(s), g->slot, fp[0], fp[1], fp[2],
			 fp[3], fp[4], fp[5], fp[6], fp[7]);
		log_info("PNE %s: GKDK assigned (set %u, slot %u)",
			 session_peer_id(s), g->set_id, g->slot);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* A GKDK Assignment Request (figure a step 1, seen from the gateway). */
static void gw_assign(struct gateway *gw, struct session *s,
		      const struct cpns_msg *req)
{
	const char *id = session_peer_id(s);
	enum cpns_msg_status st = CPNS_ST_INTERNAL;
	struct cpns_gkdk g;
	char why[200];
	int ret;

	if (req->pne_id_len != strlen(id) ||
	    memcmp(req->pne_id, id, req->pne_id_len)) {
		snprintf(why, sizeof(why),
			 "GKDK Assignment Request names another PNE than the session's (%s)",
			 id);
		session_fail(s, CPNS_ST_UNKNOWN_PNE, why);
		return;
	}
	log_debug("PNE %s: GKDK Assignment Request", id);
	ret = gw_step2_find_key_material_set(gw);
	if (ret == -ENOENT)
		ret = gw_step3_create_key_material_set(gw, 1);
	if (ret) {
		session_fail(s, CPNS_ST_INTERNAL,
			     "the gateway has no key material set");
		return;
	}
	ret = gw_step4_create_gkdk(gw, s, id, &g, &st);
	if (ret) {
		snprintf(why, sizeof(why), "PNE %s: %s", id,
			 st == CPNS_ST_REVOKED ? "revoked" :
			 st == CPNS_ST_UNKNOWN_PNE ? "not registered" :
			 st == CPNS_ST_BUSY ? "the key material set is full" :
			 "assignment failed");
		session_fail(s, st, why);
		return;
	}
	gw_step5_send_response(gw, s, &g);
	cpns_gkdk_wipe(&g);
	gwb_pne_assigned(gw, s);
}

/*
 * One session per PNE (a leaked EU-Key must not hold many), and a
 * revoked PNE is told at once rather than kept on keepalives.
 */
static void pne_up(struct session *s)
{
	struct gateway *gw = session_owner(s);
	struct store_pne pne;

	session_close_peer_except(gw->d, gw, session_peer_id(s), s,
				  "the PNE opened a new session");
	if (!store_pne_get(gw->d->store, session_peer_id(s), &pne) &&
	    pne.state == STORE_PNE_REVOKED) {
		char why[128];

		gw->d->stats[CPNS_CTL_S_REVOKED_PNE]++;
		snprintf(why, sizeof(why), "PNE %s: revoked", pne.id);
		session_fail(s, CPNS_ST_REVOKED, why);
	}
}

static void pne_msg(struct session *s, const struct cpns_msg *m)
{
	struct gateway *gw = session_owner(s);
	char why[128];

	if (gwb_pne_msg(gw, s, m))
		return;
	switch (m->type) {
	case CPNS_MSG_GKDK_REQ:
		gw_assign(gw, s, m);
		break;
	case CPNS_MSG_ERROR:
		log_warn("PNE %s: sent Error %s: %.*s", session_peer_id(s),
			 cpns_msg_status_name(m->code), (int)m->text_len,
			 m->text ? m->text : "");
		break;
	default:
		snprintf(why, sizeof(why), "a gateway does not take %s from a PNE",
			 cpns_msg_type_name(m->type));
		session_fail(s, CPNS_ST_UNEXPECTED, why);
	}
}

static void pne_down(struct session *s, const char *why)
{
	(void)why;
	gwb_pne_down(session_owner(s), s);
}

static const struct session_ops pne_session_ops = {
	.up = pne_up,
	.msg = pne_msg,
	.down = pne_down,
};

void gateway_pne_gone(struct cpnsd *d, const char *pne_id)
{
	struct gateway *gw = d->gw;

	if (!gw)
		return;
	session_close_peer(d, gw, pne_id,
			   "PNE revoked or deleted on this gateway");
	/* The store burnt its slot; so does the table in memory. */
	if (gw->kms)
		store_pne_foreach(d->store, restore_slot, gw);
}

static int load_sign_key(struct gateway *gw)
{
	int ret = store_signkey_get(gw->d->store, gw->sign_sk);

	if (ret == -ENOENT) {
		if (cpns_sig_keygen(gw->sign_sk, gw->sign_pk))
			return -EIO;
		ret = store_signkey_put(gw->d->store, gw->sign_sk);
		if (!ret)
			log_info("created the gateway's Ed25519 signing key");
		return ret;
	}
	if (ret)
		return ret;
	return cpns_sig_public(gw->sign_sk, gw->sign_pk) ? -EIO : 0;
}

static void server_msg(struct uplink *u, struct session *s,
		       const struct cpns_msg *m)
{
	struct gateway *gw = uplink_arg(u);

	if (m->type == CPNS_MSG_ERROR) {
		log_warn("server %s: sent Error %s: %.*s", session_peer(s),
			 cpns_msg_status_name(m->code), (int)m->text_len,
			 m->text ? m->text : "");
		return;
	}
	gwb_server_msg(gw, s, m);
}

static void server_up(struct uplink *u, struct session *s)
{
	gwb_server_up(uplink_arg(u), s);
}

static const struct uplink_ops server_uplink_ops = {
	.up = server_up,
	.msg = server_msg,
};

int gateway_start(struct cpnsd *d)
{
	const struct cpnsd_config *c = d->cfg;
	struct tls_conf tc = { .kind = TLS_PSK, .lookup = psk_lookup };
	struct gateway *gw;
	char path[CONFIG_STR_MAX + 32], err[512];
	int ret;

	gw = calloc(1, sizeof(*gw));
	if (!gw)
		return -ENOMEM;
	gw->d = d;
	d->gw = gw;
	snprintf(path, sizeof(path), "%s/gateway.db", c->state_dir);
	ret = store_open(path, &d->store, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	ret = load_sign_key(gw);
	if (ret) {
		log_err("the gateway's signing key: %s", strerror(-ret));
		return ret;
	}
	/* A stored set that does not fit the configuration stops us here. */
	ret = gw_step2_find_key_material_set(gw);
	if (ret && ret != -ENOENT)
		return ret;
	gw->pne_ctx = tls_ctx_new(d, &tc, true, err, sizeof(err));
	if (!gw->pne_ctx) {
		log_err("%s", err);
		return -EINVAL;
	}
	ret = listener_open(d, (const struct sockaddr *)&c->listen.ss,
			    c->listen.len, gw->pne_ctx, &pne_session_ops, gw,
			    &gw->lst, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	log_info("gateway %llu: listening for PNEs on %s",
		 (unsigned long long)c->gateway_id, c->listen.text);
	ret = gwb_start(gw);
	if (ret)
		return ret;
	if (c->server_set) {
		struct tls_conf x = {
			.kind = TLS_X509, .cert = c->cert, .key = c->key,
			.ca = c->ca, .peer_name = c->server_name,
		};

		ret = uplink_start(d, &x, &c->server, "server",
				   &server_uplink_ops, gw, &gw->server);
		if (ret)
			return ret;
	}
	return 0;
}

void gateway_stop(struct cpnsd *d)
{
	struct gateway *gw = d->gw;

	if (!gw)
		return;
	uplink_stop(gw->server);
	listener_close(gw->lst);
	session_shutdown(d);
	gwb_stop(gw);
	tls_ctx_free(gw->pne_ctx);
	cpns_kms_free(gw->kms);
	OPENSSL_cleanse(gw->sign_sk, sizeof(gw->sign_sk));
	store_close(d->store);
	d->store = NULL;
	free(gw);
	d->gw = NULL;
}
