// SPDX-License-Identifier: GPL-2.0
/*
 * The PN GW's side of figure b (Group Key delivery): step 3 (the server's
 * Group Key into the store and the module, then Group Key Response), step
 * 4 (the cover of the group's member slots), step 5 (the Group Key under
 * a fresh GKEK for that cover, signed), step 6 (broadcast into the PN,
 * retransmitted with backoff until every member answered or the window
 * closes), and what PNEs send back: Group Key Responses (step 7, also
 * reported to the server) and pulls.
 *
 * The store is the truth (keys, members, acknowledgements); what is in
 * memory per group is the signed notification last built and the
 * delivery's progress.  A notification is rebuilt, with a new GKEK but the
 * same Group Key and epoch, whenever its cover would change: a member got
 * a slot, the key material set changed.  PNEs install the same epoch again
 * as a repeat, so a rebuild is harmless.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "gateway.h"
#include "gkblob.h"
#include "keyerr.h"
#include "keytree.h"
#include "netlink.h"
#include "roles.h"
#include "store.h"

/* Retransmission: first after RETX_FIRST_MS, doubling up to RETX_MAX_MS. */
#define RETX_FIRST_MS	250
#define RETX_MAX_MS	8000
/* Pulls a PNE session may make: a burst, then one a second. */
#define PULL_BURST	4.0
#define PULL_RATE	1.0

struct gw_group {
	struct gw_group *next;
	struct gateway *gw;
	struct store_gk gk;		/* the current key: wiped on free */
	/* The signed notification and the cover it was built for. */
	uint8_t *sig;			/* blob || signature */
	size_t sig_len;
	uint32_t set_id;
	uint32_t *slots;		/* member slots, ascending */
	size_t nslots;
	/* The delivery of this epoch. */
	size_t acked;			/* of the nslots members */
	struct event *retx;
	unsigned int retx_ms;
	struct timespec started;
	bool done;
};

/* Per PNE session: its pull budget. */
struct gw_pne_sess {
	double tokens;
	struct timespec last;
};

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1e3 +
	       (now.tv_nsec - since->tv_nsec) / 1e6;
}

static struct gw_group *group_find(struct gateway *gw, uint32_t group)
{
	struct gw_group *g;

	for (g = gw->groups; g; g = g->next)
		if (g->gk.group == group)
			return g;
	return NULL;
}

static void group_forget_notification(struct gw_group *g)
{
	free(g->sig);
	g->sig = NULL;
	g->sig_len = 0;
	free(g->slots);
	g->slots = NULL;
	g->nslots = 0;
}

static void group_free(struct gw_group *g)
{
	if (g->retx)
		event_free(g->retx);
	group_forget_notification(g);
	OPENSSL_cleanse(&g->gk, sizeof(g->gk));
	free(g);
}

static void retx_cb(evutil_socket_t fd, short what, void *arg);

static struct gw_group *group_new(struct gateway *gw,
				  const struct store_gk *gk)
{
	struct gw_group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->gw = gw;
	g->gk = *gk;
	g->retx = evtimer_new(gw->d->base, retx_cb, g);
	if (!g->retx) {
		free(g);
		return NULL;
	}
	g->next = gw->groups;
	gw->groups = g;
	return g;
}

/* Ids collected first: store callbacks may not call the store. */
struct idlist {
	char **ids;
	size_t n, cap;
};

static int idlist_add(const char *id, void *arg)
{
	struct idlist *l = arg;
	char **ids;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		ids = realloc(l->ids, l->cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		l->ids = ids;
	}
	l->ids[l->n] = strdup(id);
	if (!l->ids[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static void idlist_free(struct idlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

static bool idlist_has(const struct idlist *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->ids[i], id))
			return true;
	return false;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Figure b step 4: the member slots of @g's group in the current key
 * material set, which become the GKEK's recipients through their cover.
 * A member without a slot (it never asked for its GKDK, or its set is
 * old) is not among them: it gets the key over its session once it holds
 * a GKDK of this set.  Counts what the members acknowledged, too.
 */
static int gwb_step4_cover(struct gateway *gw, struct gw_group *g)
{
	struct store *st = gw->d->store;
	struct idlist members = { 0 };
	struct store_pne pne;
	uint32_t *slots = NULL;
	size_t i, n = 0, acked = 0;
	int ret;

	ret = store_gk_member_foreach(st, g->gk.group, idlist_add, &members);
	if (ret)
		goto out;
	if (members.n && gw->kms) {
		slots = calloc(members.n, sizeof(*slots));
		if (!slots) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; gw->kms && i < members.n; i++) {
		if (store_pne_get(st, members.ids[i], &pne) ||
		    pne.state != STORE_PNE_ASSIGNED ||
		    pne.set_id != gw->kms->set_id)
			continue;
		slots[n++] = pne.slot;
		if (store_gk_acked(st, g->gk.group, g->gk.epoch,
				   members.ids[i]) == 1)
			acked++;
	}
	qsort(slots, n, sizeof(*slots), cmp_u32);
	group_forget_notification(g);
	g->slots = slots;
	g->nslots = n;
	g->acked = acked;
	g->set_id = gw->kms ? gw->kms->set_id : 0;
	slots = NULL;
	log_step("b", 4, "group %u epoch %llu: %zu of %zu members hold a slot of set %u",
		 g->gk.group, (unsigned long long)g->gk.epoch, n, members.n,
		 g->set_id);
out:
	free(slots);
	idlist_free(&members);
	return ret;
}

/* Figure b step 5: the encrypted Group Key for the cover, signed. */
static int gwb_step5_encrypt_and_sign(struct gateway *gw, struct gw_group *g)
{
	struct cpns_gk_params p = {
		.scheme = CPNS_SCHEME_CS,
		.group_id = g->gk.group,
		.epoch = g->gk.epoch,
		.valid_from = g->gk.valid_from,
		.valid_until = g->gk.valid_until,
	};
	uint8_t *blob;
	size_t len;
	int ret;

	if (!g->nslots)
		return 0;
	ret = cpns_gk_build(gw->kms, &p, g->slots, g->nslots, g->gk.key,
			    &blob, &len);
	if (ret) {
		log_err("group %u epoch %llu: encrypting the Group Key: %s",
			g->gk.group, (unsigned long long)g->gk.epoch,
			cpns_kerr_str(ret));
		return -EIO;
	}
	ret = cpns_gkn_sign(gw->sign_sk, blob, len, &g->sig, &g->sig_len);
	free(blob);
	if (ret) {
		log_err("group %u epoch %llu: signing: %s", g->gk.group,
			(unsigned long long)g->gk.epoch, cpns_kerr_str(ret));
		return -EIO;
	}
	log_step("b", 5, "group %u epoch %llu: Group Key encrypted for %zu members (%zu bytes) and signed",
		 g->gk.group, (unsigned long long)g->gk.epoch, g->nslots,
		 g->sig_len);
	return 0;
}

/* Steps 4 and 5 again when the cover they were made for is not current. */
static int group_build(struct gateway *gw, struct gw_group *g)
{
	int ret;

	if (g->sig && gw->kms && g->set_id == gw->kms->set_id)
		return 0;
	ret = gwb_step4_cover(gw, g);
	if (!ret)
		ret = gwb_step5_encrypt_and_sign(gw, g);
	return ret;
}

static bool group_covers(const struct gw_group *g, uint32_t slot)
{
	return bsearch(&slot, g->slots, g->nslots, sizeof(slot),
		       cmp_u32) != NULL;
}

static void bcast_msg(struct gateway *gw, const struct gw_group *g,
		      struct cpns_msg *m)
{
	cpns_msg_init(m, CPNS_MSG_GK_BCAST);
	m->gateway_id = gw->d->cfg->gateway_id;
	cpns_msg_set(m, CPNS_MA_GATEWAY_ID);
	m->signed_blob = g->sig;
	m->signed_blob_len = g->sig_len;
	cpns_msg_set(m, CPNS_MA_SIGNED_BLOB);
}

static int ifindex_of(struct gateway *gw, unsigned int i)
{
	if (!gw->ifindex[i])
		gw->ifindex[i] = if_nametoindex(gw->d->cfg->pn_if[i]);
	return (int)gw->ifindex[i];
}

/*
 * Figure b step 6: the signed notification, one UDP datagram per PN
 * interface and family, to the link-local groups of cpnsd.conf(5).
 */
static void gwb_step6_broadcast(struct gateway *gw, struct gw_group *g)
{
	const struct cpnsd_config *c = gw->d->cfg;
	struct cpns_msg m;
	uint8_t *buf;
	size_t size, len;
	unsigned int i, sent = 0;
	int ifi;

	if (!g->sig || !c->n_pn_if)
		return;
	size = CPNS_MSG_HDR_LEN + 16 + 4 + g->sig_len;
	buf = malloc(size);
	if (!buf)
		return;
	bcast_msg(gw, g, &m);
	if (cpns_msg_encode(&m, buf, size, &len)) {
		free(buf);
		return;
	}
	for (i = 0; i < c->n_pn_if; i++) {
		ifi = ifindex_of(gw, i);
		if (!ifi) {
			log_debug("pn-interface %s: not there", c->pn_if[i]);
			continue;
		}
		if (gw->bcast6 >= 0) {
			struct sockaddr_in6 to = {
				.sin6_family = AF_INET6,
				.sin6_port = htons(c->bcast_port),
				.sin6_addr = c->bcast_group6,
				.sin6_scope_id = (uint32_t)ifi,
			};

			if (sendto(gw->bcast6, buf, len, 0,
				   (struct sockaddr *)&to, sizeof(to)) < 0)
				log_debug("pn-interface %s: IPv6 broadcast: %m",
					  c->pn_if[i]);
			else
				sent++;
		}
		if (gw->bcast4 >= 0) {
			struct ip_mreqn mr = { .imr_ifindex = ifi };
			struct sockaddr_in to = {
				.sin_family = AF_INET,
				.sin_port = htons(c->bcast_port),
				.sin_addr = c->bcast_group4,
			};

			if (setsockopt(gw->bcast4, IPPROTO_IP, IP_MULTICAST_IF,
				       &mr, sizeof(mr)) ||
			    sendto(gw->bcast4, buf, len, 0,
				   (struct sockaddr *)&to, sizeof(to)) < 0)
				log_debug("pn-interface %s: IPv4 broadcast: %m",
					  c->pn_if[i]);
			else
				sent++;
		}
		/* A renamed or re-created interface is looked up again. */
		if (!sent)
			gw->ifindex[i] = 0;
	}
	free(buf);
	log_step("b", 6, "group %u epoch %llu: Group Key Notification broadcast (%u datagrams, %zu of %zu members answered)",
		 g->gk.group, (unsigned long long)g->gk.epoch, sent, g->acked,
		 g->nslots);
}

static void delivery_done(struct gw_group *g, const char *how)
{
	g->done = true;
	evtimer_del(g->retx);
	log_info("group %u epoch %llu: %s (%zu of %zu members with a slot) after %.0f ms",
		 g->gk.group, (unsigned long long)g->gk.epoch, how, g->acked,
		 g->nslots, elapsed_ms(&g->started));
}

static void retx_arm(struct gw_group *g)
{
	struct timeval tv = {
		.tv_sec = g->retx_ms / 1000,
		.tv_usec = (g->retx_ms % 1000) * 1000,
	};

	evtimer_add(g->retx, &tv);
}

static void retx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_group *g = arg;
	struct gateway *gw = g->gw;

	(void)fd;
	(void)what;
	if (g->acked >= g->nslots) {
		delivery_done(g, "delivered to every member");
		return;
	}
	if (elapsed_ms(&g->started) >= gw->d->cfg->bcast_window * 1e3) {
		delivery_done(g, "retransmission window closed; the rest get it over their sessions");
		return;
	}
	if (group_build(gw, g))
		return;
	gwb_step6_broadcast(gw, g);
	g->retx_ms = g->retx_ms * 2 > RETX_MAX_MS ? RETX_MAX_MS :
						    g->retx_ms * 2;
	retx_arm(g);
}

/* Steps 4 to 6 for the group's current epoch, then retransmissions. */
static void group_deliver(struct gateway *gw, struct gw_group *g)
{
	clock_gettime(CLOCK_MONOTONIC, &g->started);
	g->done = false;
	if (gwb_step4_cover(gw, g) || gwb_step5_encrypt_and_sign(gw, g))
		return;
	if (g->acked >= g->nslots) {
		delivery_done(g, g->nslots ? "already delivered" :
				 "no member holds a slot yet");
		return;
	}
	gwb_step6_broadcast(gw, g);
	g->retx_ms = RETX_FIRST_MS;
	retx_arm(g);
}

static uint32_t lifetime_of(const struct store_gk *gk)
{
	time_t now = time(NULL);

	if (gk->valid_until <= (uint64_t)now)
		return 1;
	if (gk->valid_until - (uint64_t)now > 31536000)
		return 31536000;
	return (uint32_t)(gk->valid_until - (uint64_t)now);
}

static int install_plain(struct gateway *gw, const struct store_gk *gk,
			 char *err, size_t len)
{
	return nl_key_install_plain(gw->d->nl, gk->group, gk->epoch, gk->key,
				    lifetime_of(gk), err, len);
}

static void send_exclude(struct session *s, uint32_t group, uint64_t epoch)
{
	struct cpns_msg m;

	cpns_msg_init(&m, CPNS_MSG_GK_EXCLUDE);
	m.group = group;
	cpns_msg_set(&m, CPNS_MA_GROUP);
	m.epoch = epoch;
	cpns_msg_set(&m, CPNS_MA_EPOCH);
	if (!session_send(s, &m))
		log_info("PNE %s: told it is excluded from group %u from epoch %llu",
			 session_peer_id(s), group, (unsigned long long)epoch);
}

static void gk_resp(struct session *s, uint32_t group, uint64_t epoch,
		    enum cpns_msg_status st, const char *pne_id)
{
	struct cpns_msg m;

	cpns_msg_init(&m, CPNS_MSG_GK_RESP);
	m.group = group;
	cpns_msg_set(&m, CPNS_MA_GROUP);
	m.epoch = epoch;
	cpns_msg_set(&m, CPNS_MA_EPOCH);
	m.status = st;
	cpns_msg_set(&m, CPNS_MA_STATUS);
	if (pne_id) {
		m.pne_id = (const uint8_t *)pne_id;
		m.pne_id_len = strlen(pne_id);
		cpns_msg_set(&m, CPNS_MA_PNE_ID);
	}
	session_send(s, &m);
}

/* The members of a gk-notify, checked by the codec, as strings. */
static int members_of(const struct cpns_msg *m, struct idlist *l)
{
	const uint8_t *id;
	size_t off = 0, id_len;
	char buf[65];
	int ret;

	while (cpns_msg_members_next(m->members, m->members_len, &off, &id,
				     &id_len) == 1) {
		memcpy(buf, id, id_len);
		buf[id_len] = 0;
		ret = idlist_add(buf, l);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Figure b step 3: the server's Group Key Notification into the store
 * (which refuses an older epoch, and the same epoch with another key),
 * the plain key into the module, then Group Key Response; then steps 4-6.
 * The same epoch again is a join (a new member list) or a repeat after a
 * reconnection: both are answered ok.
 */
static void gwb_step3_install(struct gateway *gw, struct session *s,
			      const struct cpns_msg *m)
{
	struct store *st = gw->d->store;
	struct idlist old = { 0 }, now = { 0 };
	struct store_gk gk = {
		.group = m->group,
		.epoch = m->epoch,
		.valid_from = m->valid_from,
		.valid_until = m->valid_until,
	};
	enum cpns_msg_status status = CPNS_ST_OK;
	struct gw_group *g;
	char err[320];
	size_t i;
	int ret;

	memcpy(gk.key, m->group_key, sizeof(gk.key));
	if (members_of(m, &now) ||
	    store_gk_member_foreach(st, gk.group, idlist_add, &old) < 0) {
		gk_resp(s, gk.group, gk.epoch, CPNS_ST_INTERNAL, NULL);
		goto out;
	}
	ret = store_gk_put(st, &gk, (const char *const *)now.ids, now.n, err,
			   sizeof(err));
	if (ret) {
		status = ret == -ESTALE ? CPNS_ST_STALE :
			 ret == -EEXIST ? CPNS_ST_CONFLICT : CPNS_ST_INTERNAL;
		log_warn("server %s: group %u epoch %llu refused: %s",
			 session_peer_id(s), gk.group,
			 (unsigned long long)gk.epoch, err);
		gk_resp(s, gk.group, gk.epoch, status, NULL);
		goto out;
	}
	ret = install_plain(gw, &gk, err, sizeof(err));
	if (ret) {
		/* Stored: PNEs still get it; the server hears of the module. */
		status = ret == -EEXIST ? CPNS_ST_CONFLICT :
			 ret == -ESTALE ? CPNS_ST_STALE : CPNS_ST_INSTALL;
		log_err("group %u epoch %llu: the module refused the plain key: %s",
			gk.group, (unsigned long long)gk.epoch, err);
	}
	log_step("b", 3, "group %u epoch %llu: stored, %s the module, %zu members here; Group Key Response %s",
		 gk.group, (unsigned long long)gk.epoch,
		 ret ? "not in" : "in", now.n, cpns_msg_status_name(status));
	gk_resp(s, gk.group, gk.epoch, status, NULL);

	g = group_find(gw, gk.group);
	if (!g)
		g = group_new(gw, &gk);
	if (!g)
		goto out;
	g->gk = gk;
	group_forget_notification(g);
	/* Who left the group hears it now; an absent PNE when it is back. */
	for (i = 0; i < old.n; i++) {
		struct session *ps;

		if (idlist_has(&now, old.ids[i]))
			continue;
		ps = session_find_peer(gw->d, gw, old.ids[i]);
		if (ps)
			send_exclude(ps, gk.group, gk.epoch);
	}
	group_deliver(gw, g);
out:
	OPENSSL_cleanse(&gk, sizeof(gk));
	idlist_free(&old);
	idlist_free(&now);
}

void gwb_server_msg(struct gateway *gw, struct session *s,
		    const struct cpns_msg *m)
{
	char why[128];

	if (m->type == CPNS_MSG_GK_NOTIFY) {
		log_step("b", 2, "server %s: Group Key Notification for group %u epoch %llu",
			 session_peer_id(s), m->group,
			 (unsigned long long)m->epoch);
		gwb_step3_install(gw, s, m);
		return;
	}
	snprintf(why, sizeof(why), "a gateway does not take %s from a server",
		 cpns_msg_type_name(m->type));
	session_fail(s, CPNS_ST_UNEXPECTED, why);
}

struct report_ctx {
	struct session *s;
	const struct store_gk *gk;
};

static int report_one(const char *pne_id, void *arg)
{
	struct report_ctx *r = arg;

	gk_resp(r->s, r->gk->group, r->gk->epoch, CPNS_ST_OK, pne_id);
	return 0;
}

/*
 * A new session to the server: it resends its current keys (answered as
 * repeats); the gateway tells it every acknowledgement it holds, which
 * covers those made while the server was out of reach.
 */
void gwb_server_up(struct gateway *gw, struct session *s)
{
	struct gw_group *g;

	for (g = gw->groups; g; g = g->next) {
		struct report_ctx r = { .s = s, .gk = &g->gk };

		store_gk_ack_foreach(gw->d->store, g->gk.group, g->gk.epoch,
				     report_one, &r);
	}
}

/* Step 7 as the gateway sees it: a PNE answered the broadcast. */
static void pne_gk_resp(struct gateway *gw, struct session *s,
			const struct cpns_msg *m)
{
	const char *id = session_peer_id(s);
	struct gw_group *g = group_find(gw, m->group);
	struct session *up;
	int ret;

	if (cpns_msg_has(m, CPNS_MA_PNE_ID) &&
	    (m->pne_id_len != strlen(id) ||
	     memcmp(m->pne_id, id, m->pne_id_len))) {
		session_fail(s, CPNS_ST_UNKNOWN_PNE,
			     "Group Key Response names another PNE than the session's");
		return;
	}
	if (!g || g->gk.epoch != m->epoch) {
		log_debug("PNE %s: Group Key Response for group %u epoch %llu, not the current one",
			  id, m->group, (unsigned long long)m->epoch);
		return;
	}
	if (store_gk_is_member(gw->d->store, m->group, id) != 1) {
		log_warn("PNE %s: Group Key Response for group %u, of which it is not a member",
			 id, m->group);
		return;
	}
	up = uplink_session(gw->server);
	if (m->status != CPNS_ST_OK) {
		log_warn("PNE %s: group %u epoch %llu: %s", id, m->group,
			 (unsigned long long)m->epoch,
			 cpns_msg_status_name(m->status));
		if (up)
			gk_resp(up, m->group, m->epoch, m->status, id);
		return;
	}
	ret = store_gk_acked(gw->d->store, m->group, m->epoch, id);
	if (ret == 1)
		return;		/* a repeat: reported already */
	ret = store_gk_ack(gw->d->store, m->group, m->epoch, id);
	if (ret) {
		log_err("PNE %s: storing its acknowledgement of group %u epoch %llu: %s",
			id, m->group, (unsigned long long)m->epoch,
			strerror(-ret));
		return;
	}
	log_debug("figure b step 7: PNE %s installed group %u epoch %llu",
		  id, m->group, (unsigned long long)m->epoch);
	if (up)
		gk_resp(up, m->group, m->epoch, CPNS_ST_OK, id);
	if (g->acked < g->nslots)
		g->acked++;
	if (!g->done && g->acked >= g->nslots)
		delivery_done(g, "delivered to every member");
}

/* The group's notification sent to one PNE, over its session. */
static int send_key(struct gateway *gw, struct session *s,
		    struct gw_group *g)
{
	struct store_pne pne;
	struct cpns_msg m;
	int ret;

	ret = group_build(gw, g);
	if (ret)
		return ret;
	/* A member whose slot is newer than the notification needs a new one. */
	if (!store_pne_get(gw->d->store, session_peer_id(s), &pne) &&
	    pne.state == STORE_PNE_ASSIGNED && gw->kms &&
	    pne.set_id == gw->kms->set_id && !group_covers(g, pne.slot)) {
		group_forget_notification(g);
		ret = group_build(gw, g);
		if (ret)
			return ret;
	}
	if (!g->sig)
		return -ENOENT;
	bcast_msg(gw, g, &m);
	return session_send(s, &m);
}

static bool pull_allowed(struct session *s)
{
	struct gw_pne_sess *ps = session_data(s);
	struct timespec now;
	double dt;

	if (!ps) {
		ps = calloc(1, sizeof(*ps));
		if (!ps)
			return false;
		ps->tokens = PULL_BURST;
		clock_gettime(CLOCK_MONOTONIC, &ps->last);
		session_set_data(s, ps);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (now.tv_sec - ps->last.tv_sec) +
	     (now.tv_nsec - ps->last.tv_nsec) / 1e9;
	ps->last = now;
	ps->tokens += dt * PULL_RATE;
	if (ps->tokens > PULL_BURST)
		ps->tokens = PULL_BURST;
	if (ps->tokens < 1.0)
		return false;
	ps->tokens -= 1.0;
	return true;
}

struct excl_ctx {
	uint32_t group;
	uint64_t epoch;
};

static int excl_find(uint32_t group, uint64_t epoch, void *arg)
{
	struct excl_ctx *x = arg;

	if (group == x->group)
		x->epoch = epoch;
	return 0;
}

/*
 * A PNE asks for a group's current key (its module saw a newer epoch, or
 * it was away).  One small answer per pull, and pulls are rate-limited
 * per session: a datagram that provokes a pull never costs the gateway
 * more than that.
 */
static void pne_gk_pull(struct gateway *gw, struct session *s,
			const struct cpns_msg *m)
{
	const char *id = session_peer_id(s);
	struct gw_group *g = group_find(gw, m->group);
	struct excl_ctx x = { .group = m->group };
	struct cpns_msg e;

	if (!pull_allowed(s)) {
		log_debug("PNE %s: pull of group %u over its rate; ignored", id,
			  m->group);
		return;
	}
	if (g && store_gk_is_member(gw->d->store, m->group, id) == 1) {
		if (!send_key(gw, s, g))
			log_debug("PNE %s: pulled group %u epoch %llu", id,
				  m->group, (unsigned long long)g->gk.epoch);
		return;
	}
	store_gk_excluded_foreach(gw->d->store, id, excl_find, &x);
	if (x.epoch) {
		send_exclude(s, m->group, x.epoch);
		return;
	}
	cpns_msg_init(&e, CPNS_MSG_ERROR);
	e.code = CPNS_ST_NOT_MEMBER;
	cpns_msg_set(&e, CPNS_MA_CODE);
	session_send(s, &e);
}

bool gwb_pne_msg(struct gateway *gw, struct session *s,
		 const struct cpns_msg *m)
{
	switch (m->type) {
	case CPNS_MSG_GK_RESP:
		pne_gk_resp(gw, s, m);
		return true;
	case CPNS_MSG_GK_PULL:
		pne_gk_pull(gw, s, m);
		return true;
	default:
		return false;
	}
}

static int push_exclusion(uint32_t group, uint64_t epoch, void *arg)
{
	send_exclude(arg, group, epoch);
	return 0;
}

/*
 * A PNE that holds its GKDK gets, over its session, the current key of
 * every group it is a member of and has not acknowledged (it was away
 * during the broadcast, or it just joined), and the exclusions it missed.
 */
void gwb_pne_assigned(struct gateway *gw, struct session *s)
{
	const char *id = session_peer_id(s);
	struct store *st = gw->d->store;
	struct gw_group *g;

	for (g = gw->groups; g; g = g->next) {
		if (store_gk_is_member(st, g->gk.group, id) != 1 ||
		    store_gk_acked(st, g->gk.group, g->gk.epoch, id) == 1)
			continue;
		if (!send_key(gw, s, g))
			log_debug("PNE %s: sent group %u epoch %llu over its session",
				  id, g->gk.group,
				  (unsigned long long)g->gk.epoch);
	}
	store_gk_excluded_foreach(st, id, push_exclusion, s);
}

void gwb_pne_down(struct gateway *gw, struct session *s)
{
	(void)gw;
	free(session_data(s));
	session_set_data(s, NULL);
}

void gwb_module_up(struct gateway *gw)
{
	struct gw_group *g;
	char err[320];

	for (g = gw->groups; g; g = g->next)
		if (install_plain(gw, &g->gk, err, sizeof(err)))
			log_err("group %u epoch %llu: the module refused the plain key: %s",
				g->gk.group, (unsigned long long)g->gk.epoch,
				err);
}

static void mod_up(void *arg)
{
	gwb_module_up(arg);
}

static const struct nl_handlers gw_nl = {
	.up = mod_up,
};

static int load_group(const struct store_gk *gk, void *arg)
{
	struct gateway *gw = arg;

	return group_new(gw, gk) ? 0 : -ENOMEM;
}

static int open_bcast(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int off = 0, hops = 1;

	if (fd < 0)
		return -1;
	/* Link-local only, and not heard back by ourselves. */
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off,
			   sizeof(off));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
			   sizeof(hops));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off));
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &hops,
			   sizeof(hops));
	}
	return fd;
}

/*
 * Groups from the store; their keys into the module; a delivery that a
 * crash or a stop interrupted goes on where it stopped (the store knows
 * who answered).
 */
int gwb_start(struct gateway *gw)
{
	struct cpnsd *d = gw->d;
	struct gw_group *g;
	int ret;

	gw->bcast6 = gw->bcast4 = -1;
	if (d->cfg->n_pn_if) {
		gw->bcast6 = open_bcast(AF_INET6);
		gw->bcast4 = open_bcast(AF_INET);
		if (gw->bcast6 < 0 && gw->bcast4 < 0) {
			log_err("broadcast sockets: %m");
			return -errno;
		}
	} else {
		log_warn("no pn-interface: Group Keys reach PNEs over their sessions only");
	}
	ret = store_gk_foreach(d->store, load_group, gw);
	if (ret) {
		log_err("reading the Group Keys: %s", strerror(-ret));
		return ret;
	}
	ret = nl_link_open(d, &gw_nl, gw, &d->nl);
	if (ret) {
		log_err("netlink: %s", strerror(-ret));
		return ret;
	}
	for (g = gw->groups; g; g = g->next)
		group_deliver(gw, g);
	return 0;
}

void gwb_stop(struct gateway *gw)
{
	struct gw_group *g;

	while ((g = gw->groups)) {
		gw->groups = g->next;
		group_free(g);
	}
	if (gw->bcast6 >= 0)
		close(gw->bcast6);
	if (gw->bcast4 >= 0)
		close(gw->bcast4);
	gw->bcast6 = gw->bcast4 = -1;
	nl_link_close(gw->d->nl);
	gw->d->nl = NULL;
}
