// SPDX-License-Identifier: GPL-2.0
/*
 * The CPNS Server: figure b steps 1 and 2 (a Group Key created or
 * updated, stored, installed in the server's own module, and sent to
 * each gateway that has members of the group) and what comes back
 * (each gateway's Group Key Response, step 3, and its reports of which
 * PNEs installed which epoch).  Gateways connect with X.509 certificates
 * of the server's CA and are named by their certificate's common name.
 *
 * The store issues epochs: a new epoch is committed before anyone hears
 * of it, so an epoch is never sent with two different keys, whatever
 * crashes in between.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/cpns.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "netlink.h"
#include "nl.h"
#include "roles.h"
#include "server.h"
#include "srvstore.h"

/* A rotation being delivered: for the log line that says when it ended. */
struct srv_rot {
	uint32_t group;
	uint64_t epoch;
	struct timespec started;
	bool done;
	bool check;	/* an answer came in: is it complete? */
};

struct server {
	struct cpnsd *d;
	struct ssl_ctx_st *ctx;
	struct listener *lst;
	struct srvstore *st;
	struct srv_rot *rots;
	size_t nrots;
	/*
	 * Whether a rotation is complete reads its whole report: done once
	 * per pass of the loop, after every answer that came in, not once
	 * per answer (160 answers, 160 reads of 160 rows).
	 */
	struct event *check_ev;
};

static struct server *the_server;

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1e3 +
	       (now.tv_nsec - since->tv_nsec) / 1e6;
}

static struct server *server_of(struct cpnsd *d, char *err, size_t len)
{
	if (d->role != CPNSD_SERVER || !the_server || !the_server->st) {
		if (err)
			snprintf(err, len, "not a CPNS Server");
		return NULL;
	}
	return the_server;
}

/* Lists built before sending: store callbacks may not call the store. */
struct members_buf {
	uint8_t *v;
	size_t len, size;
	char prev[SRV_NAME_MAX + 1];
	size_t n;
	int err;
};

static int add_member(const struct srv_member *m, void *arg)
{
	struct members_buf *b = arg;

	if (cpns_msg_members_add(b->v, b->size, &b->len,
				 b->n ? b->prev : NULL, m->pne_id)) {
		b->err = -EMSGSIZE;
		return -EMSGSIZE;
	}
	snprintf(b->prev, sizeof(b->prev), "%s", m->pne_id);
	b->n++;
	return 0;
}

/* Figure b step 2: Group Key Notification to one gateway, if it is up. */
static int srv_step2_notify(struct server *sv, const char *gateway,
			    const struct srv_gk *gk)
{
	struct session *s = session_find_peer(sv->d, sv, gateway);
	struct members_buf b = { .size = 65535 };
	struct cpns_msg m;
	int ret;

	if (!s) {
		log_debug("gateway %s: not connected; it gets group %u epoch %llu when it is",
			  gateway, gk->group, (unsigned long long)gk->epoch);
		return 0;
	}
	b.v = malloc(b.size);
	if (!b.v)
		return -ENOMEM;
	ret = srvstore_member_foreach(sv->st, gk->group, gateway, add_member,
				      &b);
	if (ret) {
		log_err("gateway %s: members of group %u: %s", gateway,
			gk->group, ret == -EMSGSIZE ?
			"more than a notification holds" : strerror(-ret));
		free(b.v);
		return ret;
	}
	cpns_msg_init(&m, CPNS_MSG_GK_NOTIFY);
	m.group = gk->group;
	cpns_msg_set(&m, CPNS_MA_GROUP);
	m.epoch = gk->epoch;
	cpns_msg_set(&m, CPNS_MA_EPOCH);
	m.group_key = gk->key;
	cpns_msg_set(&m, CPNS_MA_GROUP_KEY);
	m.valid_from = gk->valid_from;
	cpns_msg_set(&m, CPNS_MA_VALID_FROM);
	m.valid_until = gk->valid_until;
	cpns_msg_set(&m, CPNS_MA_VALID_UNTIL);
	m.members = b.v;
	m.members_len = b.len;
	cpns_msg_set(&m, CPNS_MA_MEMBERS);
	ret = session_send(s, &m);
	free(b.v);
	if (!ret)
		log_step("b", 2, "group %u epoch %llu: Group Key Notification sent to gateway %s (%zu members there)",
			 gk->group, (unsigned long long)gk->epoch, gateway,
			 b.n);
	return ret;
}

/* Room for one more of @size bytes in *@v; *@cap changes only on success. */
static int grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t want = *cap ? 2 * *cap : 8;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*(void **)v, want * size);
	if (!p)
		return -ENOMEM;
	*(void **)v = p;
	*cap = want;
	return 0;
}

struct names {
	char (*v)[SRV_NAME_MAX + 1];
	size_t n, cap;
};

static int names_add(const char *name, void *arg)
{
	struct names *l = arg;

	if (grow(&l->v, &l->cap, l->n, sizeof(*l->v)))
		return -ENOMEM;
	snprintf(l->v[l->n++], sizeof(*l->v), "%s", name);
	return 0;
}

/* Step 2 for every gateway that has (or just lost) members of the group. */
static void notify_gateways(struct server *sv, const struct srv_gk *gk)
{
	struct names gws = { 0 };
	size_t i;

	if (!srvstore_group_gateways(sv->st, gk->group, names_add, &gws))
		for (i = 0; i < gws.n; i++)
			srv_step2_notify(sv, gws.v[i], gk);
	free(gws.v);
}

static uint32_t lifetime_of(const struct srv_gk *gk)
{
	time_t now = time(NULL);

	if (gk->valid_until <= (uint64_t)now)
		return 1;
	return (uint32_t)(gk->valid_until - (uint64_t)now);
}

static void install_own(struct server *sv, const struct srv_gk *gk)
{
	char err[320];

	if (nl_key_install_plain(sv->d->nl, gk->group, gk->epoch, gk->key,
				 lifetime_of(gk), err, sizeof(err)))
		log_err("group %u epoch %llu: the server's module refused the key: %s",
			gk->group, (unsigned long long)gk->epoch, err);
}

static void rot_start(struct server *sv, uint32_t group, uint64_t epoch)
{
	struct srv_rot *r = NULL;
	size_t i;

	for (i = 0; i < sv->nrots; i++)
		if (sv->rots[i].group == group)
			r = &sv->rots[i];
	if (!r) {
		r = realloc(sv->rots, (sv->nrots + 1) * sizeof(*r));
		if (!r)
			return;
		sv->rots = r;
		r = &sv->rots[sv->nrots++];
	}
	r->group = group;
	r->epoch = epoch;
	r->done = false;
	r->check = false;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
}

/* Figure b step 1: a new Group Key for @group, stored before it is used. */
static int srv_step1_create(struct server *sv, uint32_t group,
			    const char *why, uint64_t *epoch, char *err,
			    size_t len)
{
	struct srv_gk gk = { .group = group };
	uint64_t last;
	int ret;

	ret = srvstore_gk_last_epoch(sv->st, group, &last);
	if (ret) {
		snprintf(err, len, "group %u: store: %s", group,
			 srvstore_errmsg(sv->st));
		return ret;
	}
	if (RAND_priv_bytes(gk.key, sizeof(gk.key)) != 1) {
		snprintf(err, len, "no random bytes for a Group Key");
		return -EIO;
	}
	gk.epoch = last + 1;
	gk.created = (uint64_t)time(NULL);
	gk.valid_from = gk.created;
	gk.valid_until = gk.created + sv->d->cfg->key_lifetime;
	ret = srvstore_gk_put(sv->st, &gk, err, len);
	if (ret) {
		OPENSSL_cleanse(&gk, sizeof(gk));
		return ret;
	}
	log_step("b", 1, "group %u: Group Key of epoch %llu created and stored (%s)",
		 group, (unsigned long long)gk.epoch, why);
	log_info("group %u: epoch %llu issued (%s)", group,
		 (unsigned long long)gk.epoch, why);
	rot_start(sv, group, gk.epoch);
	install_own(sv, &gk);
	notify_gateways(sv, &gk);
	*epoch = gk.epoch;
	OPENSSL_cleanse(&gk, sizeof(gk));
	return 0;
}

int server_rotate(struct cpnsd *d, uint32_t group, uint64_t *epoch,
		  char *err, size_t len)
{
	struct server *sv = server_of(d, err, len);

	if (!sv)
		return -EOPNOTSUPP;
	return srv_step1_create(sv, group, "rotate", epoch, err, len);
}

int server_member_add(struct cpnsd *d, uint32_t group, const char *pne_id,
		      const char *gateway, char *err, size_t len)
{
	struct server *sv = server_of(d, err, len);
	struct srv_gk gk;
	int ret;

	if (!sv)
		return -EOPNOTSUPP;
	ret = srvstore_member_add(sv->st, group, pne_id, gateway, err, len);
	if (ret)
		return ret;
	log_info("group %u: member %s@%s added", group, pne_id, gateway);
	/* The current epoch, with the new member in its gateway's list. */
	if (!srvstore_gk_current(sv->st, group, &gk)) {
		srv_step2_notify(sv, gateway, &gk);
		OPENSSL_cleanse(&gk, sizeof(gk));
	}
	return 0;
}

int server_member_del(struct cpnsd *d, uint32_t group, const char *pne_id,
		      const char *gateway, char *err, size_t len)
{
	struct server *sv = server_of(d, err, len);
	uint64_t last = 0, epoch;
	int ret;

	if (!sv)
		return -EOPNOTSUPP;
	ret = srvstore_member_del(sv->st, group, pne_id, gateway, err, len);
	if (ret)
		return ret;
	log_info("group %u: member %s@%s removed", group, pne_id, gateway);
	/* The removed PNE knows the current key: a new epoch, without it. */
	if (srvstore_gk_last_epoch(sv->st, group, &last) || !last)
		return 0;
	ret = srv_step1_create(sv, group, "member removed", &epoch, err, len);
	if (ret)
		log_err("group %u: no new epoch after removing %s@%s: %s",
			group, pne_id, gateway, err);
	return ret;
}

int server_member_foreach(struct cpnsd *d, uint32_t group,
			  int (*fn)(const struct srv_member *m, void *arg),
			  void *arg)
{
	struct server *sv = server_of(d, NULL, 0);

	if (!sv)
		return -EOPNOTSUPP;
	return srvstore_member_foreach(sv->st, group, NULL, fn, arg);
}

struct gk_list {
	struct srv_gk *v;
	size_t n, cap;
};

static int gk_list_add(const struct srv_gk *gk, void *arg)
{
	struct gk_list *l = arg;

	if (grow(&l->v, &l->cap, l->n, sizeof(*l->v)))
		return -ENOMEM;
	l->v[l->n++] = *gk;
	return 0;
}

static void gk_list_free(struct gk_list *l)
{
	if (l->v)
		OPENSSL_cleanse(l->v, l->cap * sizeof(*l->v));
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int server_gk_foreach(struct cpnsd *d, uint32_t group,
		      int (*key)(const struct srv_gk *gk, void *arg),
		      int (*row)(const struct srv_delivery *dl, void *arg),
		      void *arg)
{
	struct server *sv = server_of(d, NULL, 0);
	struct gk_list l = { 0 };
	size_t i;
	int ret;

	if (!sv)
		return -EOPNOTSUPP;
	ret = srvstore_gk_foreach(sv->st, gk_list_add, &l);
	for (i = 0; !ret && i < l.n; i++) {
		struct srv_gk gk = l.v[i];

		if (group && gk.group != group)
			continue;
		OPENSSL_cleanse(gk.key, sizeof(gk.key));
		ret = key(&gk, arg);
		if (!ret)
			ret = srvstore_delivery_foreach(sv->st, gk.group,
							gk.epoch, row, arg);
	}
	gk_list_free(&l);
	return ret;
}

/* Every current key, for a gateway that (re)connects, or the module. */
static void each_current(struct server *sv,
			 void (*fn)(struct server *sv, const struct srv_gk *gk,
				    void *arg), void *arg)
{
	struct gk_list l = { 0 };
	size_t i;

	if (!srvstore_gk_foreach(sv->st, gk_list_add, &l))
		for (i = 0; i < l.n; i++)
			fn(sv, &l.v[i], arg);
	gk_list_free(&l);
}

static void notify_if_served(struct server *sv, const struct srv_gk *gk,
			     void *arg)
{
	struct names gws = { 0 };
	size_t i;

	if (!srvstore_group_gateways(sv->st, gk->group, names_add, &gws))
		for (i = 0; i < gws.n; i++)
			if (!strcmp(gws.v[i], arg))
				srv_step2_notify(sv, arg, gk);
	free(gws.v);
}

static void gw_up(struct session *s)
{
	struct server *sv = session_owner(s);
	char name[SRV_NAME_MAX + 1];

	log_info("gateway %s (%s): session up", session_peer_id(s),
		 session_peer(s));
	/* A gateway has one session: a new one replaces a stale one. */
	session_close_peer_except(sv->d, sv, session_peer_id(s), s,
				  "the gateway opened a new session");
	snprintf(name, sizeof(name), "%s", session_peer_id(s));
	each_current(sv, notify_if_served, name);
}

struct count_ctx {
	size_t members, missing;
};

static int count_row(const struct srv_delivery *dl, void *arg)
{
	struct count_ctx *c = arg;

	if (!dl->pne_id[0])
		return 0;
	c->members++;
	if (dl->state != SRV_DLV_ACKED)
		c->missing++;
	return 0;
}

static void check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *sv = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < sv->nrots; i++) {
		struct srv_rot *r = &sv->rots[i];
		struct count_ctx c = { 0 };

		if (!r->check)
			continue;
		r->check = false;
		if (srvstore_delivery_foreach(sv->st, r->group, r->epoch,
					      count_row, &c) || c.missing)
			continue;
		r->done = true;
		log_info("group %u epoch %llu: acknowledged by all %zu members, %.1f ms after it was issued",
			 r->group, (unsigned long long)r->epoch, c.members,
			 elapsed_ms(&r->started));
	}
}

static void check_done(struct server *sv, uint32_t group, uint64_t epoch)
{
	size_t i;

	for (i = 0; i < sv->nrots; i++) {
		struct srv_rot *r = &sv->rots[i];

		if (r->group == group && r->epoch == epoch && !r->done) {
			r->check = true;
			event_active(sv->check_ev, EV_TIMEOUT, 0);
		}
	}
}

struct member_q {
	const char *pne;
	bool found;
};

static int is_member(const struct srv_member *m, void *arg)
{
	struct member_q *q = arg;

	if (strcmp(m->pne_id, q->pne))
		return 0;
	q->found = true;
	return 1;
}

/* Step 3 (the gateway's own answer) and its reports of step 7. */
static void gw_resp(struct server *sv, struct session *s,
		    const struct cpns_msg *m)
{
	const char *gw = session_peer_id(s);
	char pne[SRV_NAME_MAX + 1] = "", err[256];
	struct member_q q = { .pne = pne };
	struct srv_gk cur;
	int ret;

	if (srvstore_gk_current(sv->st, m->group, &cur) ||
	    cur.epoch != m->epoch) {
		log_debug("gateway %s: answer for group %u epoch %llu, not the current one",
			  gw, m->group, (unsigned long long)m->epoch);
		OPENSSL_cleanse(&cur, sizeof(cur));
		return;
	}
	OPENSSL_cleanse(&cur, sizeof(cur));
	if (cpns_msg_has(m, CPNS_MA_PNE_ID)) {
		memcpy(pne, m->pne_id, m->pne_id_len);
		pne[m->pne_id_len] = 0;
		srvstore_member_foreach(sv->st, m->group, gw, is_member, &q);
		if (!q.found) {
			/* Only what the gateway serves is its to report. */
			log_warn("gateway %s: reports PNE %s for group %u, not a member there; ignored",
				 gw, pne, m->group);
			return;
		}
	}
	ret = srvstore_ack_put(sv->st, m->group, m->epoch, gw, pne, m->status,
			       (uint64_t)time(NULL), err, sizeof(err));
	if (ret) {
		log_err("gateway %s: storing its answer: %s", gw, err);
		return;
	}
	if (!pne[0])
		log_step("b", 3, "gateway %s: Group Key Response %s for group %u epoch %llu",
			 gw, cpns_msg_status_name(m->status), m->group,
			 (unsigned long long)m->epoch);
	else
		log_debug("gateway %s: PNE %s answered %s for group %u epoch %llu",
			  gw, pne, cpns_msg_status_name(m->status), m->group,
			  (unsigned long long)m->epoch);
	if (m->status != CPNS_ST_OK)
		log_warn("gateway %s%s%s: group %u epoch %llu: %s", gw,
			 pne[0] ? ", PNE " : "", pne, m->group,
			 (unsigned long long)m->epoch,
			 cpns_msg_status_name(m->status));
	else if (pne[0])
		check_done(sv, m->group, m->epoch);
}

static void gw_msg(struct session *s, const struct cpns_msg *m)
{
	struct server *sv = session_owner(s);
	char why[128];

	switch (m->type) {
	case CPNS_MSG_GK_RESP:
		gw_resp(sv, s, m);
		return;
	case CPNS_MSG_ERROR:
		log_warn("gateway %s: sent Error %s: %.*s", session_peer_id(s),
			 cpns_msg_status_name(m->code), (int)m->text_len,
			 m->text ? m->text : "");
		return;
	default:
		snprintf(why, sizeof(why), "a server does not take %s from a gateway",
			 cpns_msg_type_name(m->type));
		session_fail(s, CPNS_ST_UNEXPECTED, why);
	}
}

static void gw_down(struct session *s, const char *why)
{
	(void)s;
	(void)why;
}

static const struct session_ops gw_ops = {
	.up = gw_up,
	.msg = gw_msg,
	.down = gw_down,
};

static void install_cb(struct server *sv, const struct srv_gk *gk, void *arg)
{
	(void)arg;
	install_own(sv, gk);
}

static void mod_up(void *arg)
{
	each_current(arg, install_cb, NULL);
}

/*
 * The lifetime policy: the module announces the end of a key's life
 * (key-expiring, expiry-notice seconds ahead); the server issues the next
 * epoch then, so members have it before the old one expires.
 */
static void mod_event(void *arg, uint8_t cmd, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[CPNS_A_KEY_MAX + 1] = { NULL };
	struct server *sv = arg;
	char why[256];
	struct srv_gk cur;
	uint64_t epoch;
	uint32_t group;

	if (cmd != CPNS_CMD_KEY_EXPIRING_NTF)
		return;
	if (cpns_nl_parse(nlh, &cpns_nl_key_policy, tb, why, sizeof(why)) < 0 ||
	    !tb[CPNS_A_KEY_GROUP_ID] || !tb[CPNS_A_KEY_EPOCH]) {
		log_warn("module: malformed key-expiring event");
		return;
	}
	group = mnl_attr_get_u32(tb[CPNS_A_KEY_GROUP_ID]);
	epoch = mnl_attr_get_u64(tb[CPNS_A_KEY_EPOCH]);
	if (srvstore_gk_current(sv->st, group, &cur))
		return;
	if (cur.epoch == epoch &&
	    srv_step1_create(sv, group, "lifetime ends", &epoch, why,
			     sizeof(why)))
		log_err("group %u: rotation at the end of its lifetime: %s",
			group, why);
	OPENSSL_cleanse(&cur, sizeof(cur));
}

static const struct nl_handlers srv_nl = {
	.up = mod_up,
	.event = mod_event,
};

int server_start(struct cpnsd *d)
{
	const struct cpnsd_config *c = d->cfg;
	struct tls_conf tc = {
		.kind = TLS_X509, .cert = c->cert, .key = c->key, .ca = c->ca,
	};
	char path[CONFIG_STR_MAX + 32], err[512];
	struct server *sv;
	int ret;

	sv = calloc(1, sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	sv->d = d;
	the_server = sv;
	sv->check_ev = event_new(d->base, -1, 0, check_cb, sv);
	if (!sv->check_ev)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/server.db", c->state_dir);
	ret = srvstore_open(path, &sv->st, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	sv->ctx = tls_ctx_new(d, &tc, true, err, sizeof(err));
	if (!sv->ctx) {
		log_err("%s", err);
		return -EINVAL;
	}
	ret = nl_link_open(d, &srv_nl, sv, &d->nl);
	if (ret) {
		log_err("netlink: %s", strerror(-ret));
		return ret;
	}
	ret = listener_open(d, (const struct sockaddr *)&c->server_listen.ss,
			    c->server_listen.len, sv->ctx, &gw_ops, sv,
			    &sv->lst, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		return ret;
	}
	log_info("server: listening for gateways on %s",
		 c->server_listen.text);
	return 0;
}

void server_stop(struct cpnsd *d)
{
	struct server *sv = the_server;

	if (!sv)
		return;
	listener_close(sv->lst);
	session_shutdown(d);
	tls_ctx_free(sv->ctx);
	nl_link_close(d->nl);
	d->nl = NULL;
	srvstore_close(sv->st);
	if (sv->check_ev)
		event_free(sv->check_ev);
	free(sv->rots);
	free(sv);
	the_server = NULL;
}
