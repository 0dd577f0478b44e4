// SPDX-License-Identifier: GPL-2.0
/*
 * The PNE's side of figure b: step 7 (verify the gateway's signed Group
 * Key Notification, heard as a broadcast on the PN interface or sent over
 * the session) and step 8 (the encrypted Group Key into the module, which
 * opens it with the GKDK), then the Group Key Response over the session,
 * so that an acknowledgement means "installed".
 *
 * The daemon refuses what it can tell is wrong before the module sees it
 * (another gateway's notification, a bad signature, a blob spliced into
 * another gateway's message, an epoch older than the module's, an expired
 * key) and the module refuses again what it can tell (not a member, a
 * replay, a corrupt blob).  A non-member stays quiet.
 *
 * Pulls: a module that sees traffic under a newer epoch, or a PNE that
 * was away, asks its gateway for the group's current key.  Anyone can
 * provoke a key-missing event with one datagram naming a future epoch, so
 * pulls are rate-limited per group with a backoff that only a real newer
 * key resets.
 */
#include <errno.h>
#include <stdarg.h>
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

#include "config.h"
#include "gkblob.h"
#include "keyerr.h"
#include "netlink.h"
#include "pne.h"
#include "roles.h"

#define PULL_MIN_MS	1000
#define PULL_MAX_MS	60000
#define RX_MAX		(CPNS_MSG_HDR_LEN + CPNS_MSG_BODY_MAX_LARGE)

struct pne_group {
	struct pne_group *next;
	uint32_t group;
	uint64_t acked;		/* epoch we answered for on this session */
	/* Its signed notification: the same bytes heard again (both
	 * families, every retransmission) are dropped unverified. */
	uint8_t *acked_blob;
	size_t acked_len;
	uint64_t excluded;	/* epoch from which we are not a member */
	/* The last notification the module said we are not in: a join
	 * brings the same epoch again with another cover (and signature). */
	uint8_t not_member_sig[CPNS_SIG_LEN];
	struct timespec next_pull;
	unsigned int pull_ms;
};

static struct pne_group *group_get(struct pne *p, uint32_t group)
{
	struct pne_group *g;

	for (g = p->groups; g; g = g->next)
		if (g->group == group)
			return g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->group = group;
	g->next = p->groups;
	p->groups = g;
	return g;
}

static void remember(struct pne_group *g, const uint8_t *blob, size_t len)
{
	free(g->acked_blob);
	g->acked_len = 0;
	g->acked_blob = malloc(len);
	if (!g->acked_blob)
		return;		/* copies are verified, that is all */
	memcpy(g->acked_blob, blob, len);
	g->acked_len = len;
}

static void send_resp(struct pne *p, uint32_t group, uint64_t epoch,
		      enum cpns_msg_status st)
{
	struct session *s = uplink_session(p->gw);
	const char *id = p->d->cfg->pne_id;
	struct cpns_msg m;

	if (!s)
		return;
	cpns_msg_init(&m, CPNS_MSG_GK_RESP);
	m.pne_id = (const uint8_t *)id;
	m.pne_id_len = strlen(id);
	cpns_msg_set(&m, CPNS_MA_PNE_ID);
	m.group = group;
	cpns_msg_set(&m, CPNS_MA_GROUP);
	m.epoch = epoch;
	cpns_msg_set(&m, CPNS_MA_EPOCH);
	m.status = st;
	cpns_msg_set(&m, CPNS_MA_STATUS);
	if (!session_send(s, &m))
		log_step("b", 7, "group %u epoch %llu: Group Key Response %s sent",
			 group, (unsigned long long)epoch,
			 cpns_msg_status_name(st));
}

static void refuse(const char *via, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse(const char *via, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("Group Key Notification from %s refused: %s", via, why);
}

/*
 * Figure b step 7: is this our gateway's notification, signed by it, for
 * an epoch the module does not have yet?  On success @v describes the
 * blob (the signed bytes minus the signature).
 */
static int pneb_step7_verify(struct pne *p, const struct cpns_msg *m,
			     const char *via, struct cpns_gk_view *v,
			     uint64_t *current)
{
	size_t blob_len;
	int ret;

	if (!p->have_gateway) {
		refuse(via, "no GKDK and gateway key yet (figure a first)");
		return -ENOKEY;
	}
	if (m->gateway_id != p->gateway_id) {
		refuse(via, "notification of gateway %llu; ours is %llu",
		       (unsigned long long)m->gateway_id,
		       (unsigned long long)p->gateway_id);
		return -EPERM;
	}
	if (cpns_gkn_verify(p->sign_pk, m->signed_blob, m->signed_blob_len,
			    &blob_len)) {
		refuse(via, "bad signature (not gateway %llu's key)",
		       (unsigned long long)p->gateway_id);
		return -EBADMSG;
	}
	ret = cpns_gk_parse(m->signed_blob, blob_len, v);
	if (ret) {
		refuse(via, "encrypted Group Key malformed: %s",
		       cpns_kerr_str(ret));
		return -EBADMSG;
	}
	if (v->hdr.gateway_id != p->gateway_id) {
		refuse(via, "spliced: an encrypted Group Key of gateway %llu in gateway %llu's notification",
		       (unsigned long long)v->hdr.gateway_id,
		       (unsigned long long)p->gateway_id);
		return -EPERM;
	}
	ret = nl_key_current(p->d->nl, v->hdr.group_id, current);
	if (ret) {
		refuse(via, "group %u: the module's epoch: %s", v->hdr.group_id,
		       strerror(-ret));
		return ret;
	}
	if (v->hdr.epoch < *current) {
		refuse(via, "group %u epoch %llu is older than the installed epoch %llu (rollback or replay)",
		       v->hdr.group_id, (unsigned long long)v->hdr.epoch,
		       (unsigned long long)*current);
		return -ESTALE;
	}
	if (v->hdr.valid_until <= (uint64_t)time(NULL)) {
		refuse(via, "group %u epoch %llu expired", v->hdr.group_id,
		       (unsigned long long)v->hdr.epoch);
		return -EKEYEXPIRED;
	}
	log_step("b", 7, "group %u epoch %llu: notification of gateway %llu verified (%s)",
		 v->hdr.group_id, (unsigned long long)v->hdr.epoch,
		 (unsigned long long)p->gateway_id, via);
	return 0;
}

/* Figure b step 8: the module opens the blob with the GKDK and caches it. */
static void pneb_step8_install(struct pne *p, const struct cpns_gk_view *v,
			       uint64_t current, const char *via)
{
	uint32_t group = v->hdr.group_id;
	uint64_t epoch = v->hdr.epoch;
	struct pne_group *g = group_get(p, group);
	char err[320];
	int ret;

	if (!g)
		return;
	if (epoch == current && g->acked == epoch) {
		log_debug("group %u epoch %llu: already installed and answered (%s)",
			  group, (unsigned long long)epoch, via);
		return;
	}
	if (!memcmp(g->not_member_sig, v->blob + v->len, CPNS_SIG_LEN))
		return;		/* the module told us; stay quiet */
	ret = nl_key_install_wrapped(p->d->nl, group, epoch, v->blob, v->len,
				     err, sizeof(err));
	if (ret == -ENOKEY && strstr(err, "not covered")) {
		memcpy(g->not_member_sig, v->blob + v->len, CPNS_SIG_LEN);
		log_info("group %u epoch %llu: not a member (the module found our slot outside the cover)",
			 group, (unsigned long long)epoch);
		return;
	}
	if (ret == -ENOKEY) {
		pne_want_gkdk(p, "the module has no GKDK for the Group Key");
		return;
	}
	if (ret) {
		log_warn("group %u epoch %llu: the module refused the Group Key: %s",
			 group, (unsigned long long)epoch, err);
		if (ret != -ESTALE)
			send_resp(p, group, epoch,
				  ret == -EEXIST ? CPNS_ST_CONFLICT :
						   CPNS_ST_INSTALL);
		return;
	}
	log_step("b", 8, "group %u epoch %llu: Group Key installed", group,
		 (unsigned long long)epoch);
	if (epoch > current)
		log_info("group %u: epoch %llu installed", group,
			 (unsigned long long)epoch);
	g->acked = epoch;
	remember(g, v->blob, v->len + CPNS_SIG_LEN);
	g->pull_ms = 0;		/* a real newer key: pulls may start afresh */
	send_resp(p, group, epoch, CPNS_ST_OK);
}

/*
 * A broadcast byte for byte the notification we installed and answered
 * on this session is a copy: the gateway sends each one over both
 * families and again until every member has answered, and a gateway with
 * many PNEs would otherwise cost each of them a signature check per copy.
 * Dropping a copy unverified is safe: nothing is done with it.  Not while
 * the module lacks our GKDK (its keys went with it).
 */
static bool heard_already(const struct pne *p, const struct cpns_msg *m)
{
	const struct pne_group *g;

	if (p->need_gkdk)
		return false;
	for (g = p->groups; g; g = g->next)
		if (g->acked && g->acked_len == m->signed_blob_len &&
		    !memcmp(g->acked_blob, m->signed_blob, g->acked_len))
			return true;
	return false;
}

static void receive(struct pne *p, const struct cpns_msg *m, const char *via)
{
	struct cpns_gk_view v;
	uint64_t current = 0;

	if (!nl_link_up(p->d->nl))
		return;
	if (pneb_step7_verify(p, m, via, &v, &current))
		return;
	pneb_step8_install(p, &v, current, via);
}

/*
 * The gateway says we left @group: its keys go now, the previous one too
 * (it would open the old epoch's traffic for the rest of its grace).
 */
static void excluded(struct pne *p, const struct cpns_msg *m)
{
	struct pne_group *g = group_get(p, m->group);
	uint64_t e[2] = { 0, 0 };
	char err[320];
	int i;

	if (g)
		g->excluded = m->epoch;
	log_info("group %u: excluded by the gateway from epoch %llu; deleting its keys",
		 m->group, (unsigned long long)m->epoch);
	if (nl_group_epochs(p->d->nl, m->group, &e[0], &e[1]))
		return;
	for (i = 0; i < 2; i++) {
		if (!e[i] || e[i] >= m->epoch)
			continue;
		if (nl_key_del(p->d->nl, m->group, e[i], err, sizeof(err)) &&
		    !strstr(err, "No such"))
			log_warn("group %u epoch %llu: deleting: %s", m->group,
				 (unsigned long long)e[i], err);
	}
}

bool pneb_gw_msg(struct pne *p, struct session *s, const struct cpns_msg *m)
{
	char via[96];

	switch (m->type) {
	case CPNS_MSG_GK_BCAST:
		snprintf(via, sizeof(via), "session %s", session_peer(s));
		receive(p, m, via);
		return true;
	case CPNS_MSG_GK_EXCLUDE:
		excluded(p, m);
		return true;
	default:
		return false;
	}
}

void pneb_session_up(struct pne *p)
{
	struct pne_group *g;

	for (g = p->groups; g; g = g->next)
		g->acked = 0;
}

void pneb_key_missing(struct pne *p, uint32_t group, uint64_t epoch)
{
	struct session *s = uplink_session(p->gw);
	struct pne_group *g;
	struct timespec now;
	uint64_t cur = 0;
	struct cpns_msg m;

	if (p->need_gkdk || !s || !nl_link_up(p->d->nl))
		return;
	nl_key_current(p->d->nl, group, &cur);
	if (epoch && epoch <= cur)
		return;
	g = group_get(p, group);
	if (!g || (g->excluded && (!epoch || epoch >= g->excluded)))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < g->next_pull.tv_sec ||
	    (now.tv_sec == g->next_pull.tv_sec &&
	     now.tv_nsec < g->next_pull.tv_nsec)) {
		log_debug("group %u: key missing, next pull allowed later",
			  group);
		return;
	}
	/* Until a newer key arrives, each pull waits twice as long. */
	g->pull_ms = g->pull_ms ? (g->pull_ms * 2 > PULL_MAX_MS ?
				   PULL_MAX_MS : g->pull_ms * 2) :
				  PULL_MIN_MS;
	g->next_pull = now;
	g->next_pull.tv_sec += g->pull_ms / 1000;
	g->next_pull.tv_nsec += (long)(g->pull_ms % 1000) * 1000000;
	if (g->next_pull.tv_nsec >= 1000000000) {
		g->next_pull.tv_sec++;
		g->next_pull.tv_nsec -= 1000000000;
	}
	cpns_msg_init(&m, CPNS_MSG_GK_PULL);
	m.group = group;
	cpns_msg_set(&m, CPNS_MA_GROUP);
	if (epoch) {
		m.epoch = epoch;
		cpns_msg_set(&m, CPNS_MA_EPOCH);
	}
	if (!session_send(s, &m))
		log_info("group %u: key missing (epoch %llu seen, %llu held); pulled from the gateway",
			 group, (unsigned long long)epoch,
			 (unsigned long long)cur);
}

static void on_datagram(evutil_socket_t fd, short what, void *arg)
{
	struct pne *p = arg;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	char host[INET6_ADDRSTRLEN], via[INET6_ADDRSTRLEN + 32];
	struct cpns_msg m;
	unsigned int attr;
	ssize_t n;
	int ret, i;

	(void)what;
	/* A few per wake-up: a flood does not starve the sessions. */
	for (i = 0; i < 16; i++) {
		n = recvfrom(fd, p->rxbuf, RX_MAX, MSG_TRUNC,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (from.ss_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&from)->sin6_addr,
				  host, sizeof(host));
		else
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&from)->sin_addr,
				  host, sizeof(host));
		snprintf(via, sizeof(via), "broadcast from %s", host);
		if (n > RX_MAX) {
			refuse(via, "datagram of %zd bytes", n);
			continue;
		}
		ret = cpns_msg_decode(&m, p->rxbuf, (size_t)n,
				      CPNS_MSG_BODY_MAX_LARGE, &attr);
		if (ret) {
			refuse(via, "malformed: %s%s%s", cpns_merr_str(ret),
			       attr ? " in " : "",
			       attr ? cpns_msg_attr_name(attr) : "");
			continue;
		}
		if (m.type != CPNS_MSG_GK_BCAST) {
			refuse(via, "a %s, not a broadcast notification",
			       cpns_msg_type_name(m.type));
			continue;
		}
		if (heard_already(p, &m)) {
			log_debug("Group Key Notification from %s: a copy of one answered, dropped",
				  via);
			continue;
		}
		receive(p, &m, via);
	}
}

static int listen_family(struct pne *p, int family, unsigned int ifi)
{
	const struct cpnsd_config *c = p->d->cfg;
	int fd, one = 1, ret;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Only the PN interface's datagrams: not another link's. */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->pn_if[0],
		       strlen(c->pn_if[0])))
		goto err;
	if (family == AF_INET6) {
		struct sockaddr_in6 a = {
			.sin6_family = AF_INET6,
			.sin6_port = htons(c->bcast_port),
		};
		struct ipv6_mreq mr = {
			.ipv6mr_multiaddr = c->bcast_group6,
			.ipv6mr_interface = ifi,
		};

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
			       sizeof(mr)))
			goto err;
		p->sock6 = fd;
	} else {
		struct sockaddr_in a = {
			.sin_family = AF_INET,
			.sin_port = htons(c->bcast_port),
		};
		struct ip_mreqn mr = {
			.imr_multiaddr = c->bcast_group4,
			.imr_ifindex = (int)ifi,
		};

		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)))
			goto err;
		p->sock4 = fd;
	}
	return 0;
err:
	ret = -errno;
	close(fd);
	return ret;
}

static void close_listeners(struct pne *p)
{
	if (p->rd6)
		event_free(p->rd6);
	if (p->rd4)
		event_free(p->rd4);
	p->rd6 = p->rd4 = NULL;
	if (p->sock6 >= 0)
		close(p->sock6);
	if (p->sock4 >= 0)
		close(p->sock4);
	p->sock6 = p->sock4 = -1;
}

/* Join the broadcast groups on the PN interface; again later if absent. */
static void join(evutil_socket_t fd, short what, void *arg)
{
	struct pne *p = arg;
	const char *ifn = p->d->cfg->pn_if[0];
	struct timeval again = { .tv_sec = 5 };
	unsigned int ifi = if_nametoindex(ifn);
	int r6 = -ENODEV, r4 = -ENODEV;

	(void)fd;
	(void)what;
	close_listeners(p);
	if (ifi) {
		r6 = listen_family(p, AF_INET6, ifi);
		r4 = listen_family(p, AF_INET, ifi);
	}
	if (p->sock6 >= 0)
		p->rd6 = event_new(p->d->base, p->sock6, EV_READ | EV_PERSIST,
				   on_datagram, p);
	if (p->sock4 >= 0)
		p->rd4 = event_new(p->d->base, p->sock4, EV_READ | EV_PERSIST,
				   on_datagram, p);
	if (p->rd6)
		event_add(p->rd6, NULL);
	if (p->rd4)
		event_add(p->rd4, NULL);
	if (p->sock6 < 0 && p->sock4 < 0) {
		log_warn("pn-interface %s: cannot listen for broadcasts (IPv6: %s, IPv4: %s); trying again in 5 s",
			 ifn, strerror(-r6), strerror(-r4));
		evtimer_add(p->join_retry, &again);
		return;
	}
	log_info("pn-interface %s: listening for Group Key Notifications on port %u (%s%s%s)",
		 ifn, p->d->cfg->bcast_port, p->sock6 >= 0 ? "IPv6" : "",
		 p->sock6 >= 0 && p->sock4 >= 0 ? ", " : "",
		 p->sock4 >= 0 ? "IPv4" : "");
}

int pneb_start(struct pne *p)
{
	p->sock6 = p->sock4 = -1;
	if (!p->d->cfg->n_pn_if) {
		log_warn("no pn-interface: Group Keys come over the session only");
		return 0;
	}
	p->rxbuf = malloc(RX_MAX);
	p->join_retry = evtimer_new(p->d->base, join, p);
	if (!p->rxbuf || !p->join_retry)
		return -ENOMEM;
	join(-1, 0, p);
	return 0;
}

void pneb_stop(struct pne *p)
{
	struct pne_group *g;

	close_listeners(p);
	if (p->join_retry)
		event_free(p->join_retry);
	p->join_retry = NULL;
	free(p->rxbuf);
	p->rxbuf = NULL;
	while ((g = p->groups)) {
		p->groups = g->next;
		free(g->acked_blob);
		free(g);
	}
}
