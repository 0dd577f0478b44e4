// SPDX-License-Identifier: GPL-2.0
/*
 * The CPNS Server's side: gateways connect with X.509 certificates its
 * CA signed; figure b (Group Key Notification) runs over these sessions
 * (cpnsd part 2).  Here the server keeps them and names them by their
 * certificate's common name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "roles.h"
#include "server.h"

struct server {
	struct ssl_ctx_st *ctx;
	struct listener *lst;
};

static void gw_up(struct session *s)
{
	log_info("gateway %s (%s): session up", session_peer_id(s),
		 session_peer(s));
}

static void gw_msg(struct session *s, const struct cpns_msg *m)
{
	char why[128];

	if (m->type == CPNS_MSG_ERROR) {
		log_warn("gateway %s: sent Error %s: %.*s", session_peer_id(s),
			 cpns_msg_status_name(m->code), (int)m->text_len,
			 m->text ? m->text : "");
		return;
	}
	snprintf(why, sizeof(why), "a server does not take %s from a gateway",
		 cpns_msg_type_name(m->type));
	session_fail(s, CPNS_ST_UNEXPECTED, why);
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

static struct server *the_server;

int server_start(struct cpnsd *d)
{
	const struct cpnsd_config *c = d->cfg;
	struct tls_conf tc = {
		.kind = TLS_X509, .cert = c->cert, .key = c->key, .ca = c->ca,
	};
	struct server *sv;
	char err[512];
	int ret;

	sv = calloc(1, sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	the_server = sv;
	sv->ctx = tls_ctx_new(d, &tc, true, err, sizeof(err));
	if (!sv->ctx) {
		log_err("%s", err);
		return -EINVAL;
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
	free(sv);
	the_server = NULL;
}

/* Placeholders until figure b lands on the server. */
int server_member_add(struct cpnsd *d, uint32_t group, const char *pne_id, const char *gateway, char *err, size_t len) { (void)d; (void)group; (void)pne_id; (void)gateway; snprintf(err, len, "not implemented"); return -ENOSYS; }
int server_member_del(struct cpnsd *d, uint32_t group, const char *pne_id, const char *gateway, char *err, size_t len) { (void)d; (void)group; (void)pne_id; (void)gateway; snprintf(err, len, "not implemented"); return -ENOSYS; }
int server_member_foreach(struct cpnsd *d, uint32_t group, int (*fn)(const struct srv_member *m, void *arg), void *arg) { (void)d; (void)group; (void)fn; (void)arg; return -ENOSYS; }
int server_rotate(struct cpnsd *d, uint32_t group, uint64_t *epoch, char *err, size_t len) { (void)d; (void)group; (void)epoch; snprintf(err, len, "not implemented"); return -ENOSYS; }
int server_gk_foreach(struct cpnsd *d, uint32_t group, int (*key)(const struct srv_gk *gk, void *arg), int (*row)(const struct srv_delivery *dl, void *arg), void *arg) { (void)d; (void)group; (void)key; (void)row; (void)arg; return -ENOSYS; }
