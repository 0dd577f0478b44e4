// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (ctl.h): how cpnsctl reaches what only cpnsd holds.
 *
 * Local root is the only client, but a buggy or stuck one must cost the
 * daemon nothing: every socket is non-blocking on the one loop, a
 * request is one packet read whole (a larger one is refused, never
 * buffered), a client is served one request at a time and its replies
 * are queued and written as the socket drains, the number of clients is
 * bounded (a new one replaces the longest idle), and a client that
 * neither asks nor reads for a while is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "cpnsd.h"
#include "server.h"
#include "store.h"

/* DELIVERY carries the store's state as it is. */
_Static_assert(CPNS_CTL_DLV_MISSING == (int)SRV_DLV_MISSING &&
	       CPNS_CTL_DLV_ACKED == (int)SRV_DLV_ACKED &&
	       CPNS_CTL_DLV_REFUSED == (int)SRV_DLV_REFUSED,
	       "enum cpns_ctl_delivery is enum srv_delivery_state");
/* A command's attributes are bits of a u64 (cmds[]). */
_Static_assert(__CPNS_CTL_A_MAX <= 64, "more attributes than mask bits");

/* Tunable for the tests; cpnsctl needs one connection at a time. */
unsigned int control_max_clients = 16;
unsigned int control_idle_ms = 10000;

/* Requests handled per wake-up, so one client cannot hog the loop. */
#define CTL_BURST	8

struct client {
	struct control *ctl;
	TAILQ_ENTRY(client) link;	/* longest idle first */
	int fd;
	pid_t pid;
	struct event *rd, *wr, *idle;
	struct evbuffer *out;		/* u32 length, packet; ... */
};

struct control {
	struct cpnsd *d;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct event *accept_ev, *pause_ev;
	TAILQ_HEAD(, client) clients;
	unsigned int n;
	char in[CPNS_CTL_MSG_MAX];
	char msg[CPNS_CTL_MSG_MAX];
};

/* One request being answered: replies gather here until it succeeds. */
struct req {
	struct client *cl;
	struct cpnsd *d;
	const struct nlmsghdr *nlh;
	uint8_t cmd;
	bool known;			/* cmd is one of cmds[] */
	struct evbuffer *replies;
	int errattr;
	char errmsg[256];
};

static void client_free(struct client *cl)
{
	struct control *ctl = cl->ctl;

	TAILQ_REMOVE(&ctl->clients, cl, link);
	ctl->n--;
	event_free(cl->rd);
	event_free(cl->wr);
	event_free(cl->idle);
	evbuffer_free(cl->out);
	close(cl->fd);
	free(cl);
}

/* Something happened: the client is no longer idle. */
static void client_touch(struct client *cl)
{
	struct timeval tv = {
		.tv_sec = control_idle_ms / 1000,
		.tv_usec = control_idle_ms % 1000 * 1000,
	};

	TAILQ_REMOVE(&cl->ctl->clients, cl, link);
	TAILQ_INSERT_TAIL(&cl->ctl->clients, cl, link);
	evtimer_add(cl->idle, &tv);
}

/*
 * Write what is queued.  While replies wait, the client's next request
 * waits too: its backlog is one request's replies at most.
 *
 * Return: 0, or -errno when the client is gone.
 */
static int client_flush(struct client *cl)
{
	uint32_t len;
	unsigned char *p;
	ssize_t n;

	while (evbuffer_get_length(cl->out) >= sizeof(len)) {
		evbuffer_copyout(cl->out, &len, sizeof(len));
		p = evbuffer_pullup(cl->out, sizeof(len) + len);
		if (!p)
			return -ENOMEM;
		n = send(cl->fd, p + sizeof(len), len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			event_del(cl->rd);
			event_add(cl->wr, NULL);
			return 0;
		}
		if (n < 0)
			return -errno;
		evbuffer_drain(cl->out, sizeof(len) + len);
		client_touch(cl);
	}
	event_del(cl->wr);
	event_add(cl->rd, NULL);
	return 0;
}

static int queue(struct evbuffer *buf, const struct nlmsghdr *nlh)
{
	uint32_t len = nlh->nlmsg_len;

	if (evbuffer_add(buf, &len, sizeof(len)) ||
	    evbuffer_add(buf, nlh, len))
		return -ENOMEM;
	return 0;
}

/* A reply object of the request's command, in ctl->msg. */
static struct nlmsghdr *reply_start(struct req *r)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(r->cl->ctl->msg);
	nlh->nlmsg_type = CPNS_CTL_TYPE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = r->nlh ? r->nlh->nlmsg_seq : 0;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = r->cmd;
	genl->version = CPNS_CTL_VERSION;
	return nlh;
}

static int fail(struct req *r, int err, int attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Refuse the request: -@err, the reason and the attribute at fault. */
static int fail(struct req *r, int err, int attr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	r->errattr = attr;
	return err;
}

static void send_error(struct req *r, int err)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	nlh = mnl_nlmsg_put_header(r->cl->ctl->msg);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	nlh->nlmsg_seq = r->nlh ? r->nlh->nlmsg_seq : 0;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = err;
	if (r->nlh)
		e->msg = *r->nlh;
	if (!r->errmsg[0])
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", strerror(-err));
	mnl_attr_put_strz(nlh, CPNS_CTL_A_ERRMSG, r->errmsg);
	if (r->errattr > 0)
		mnl_attr_put_u16(nlh, CPNS_CTL_A_ERRATTR, (uint16_t)r->errattr);
	queue(r->cl->out, nlh);
}

static int send_done(struct req *r)
{
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(r->cl->ctl->msg);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = r->nlh->nlmsg_seq;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
	return queue(r->replies, nlh);
}

/* A printable id or path: safe in a log line and a JSON string. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

/* As msg.h's PNE id, which the PNE sends: 1..64 of [A-Za-z0-9._:-]. */
static bool pne_id_ok(const char *id)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789._:-";
	size_t len = strlen(id);

	return len && len <= CPNS_CTL_PNE_ID_MAX && strspn(id, ok) == len;
}

static const char *attr_str(const struct nlattr *a)
{
	return a ? mnl_attr_get_str(a) : NULL;
}

static int put_pne(struct req *r, const struct store_pne *p)
{
	struct nlmsghdr *nlh = reply_start(r);
	bool ok;

	ok = mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_PNE_ID,
				     p->id) &&
	     mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX,
				     CPNS_CTL_A_EU_KEY_FILE, p->eu_key_file) &&
	     mnl_attr_put_u8_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_PNE_STATE,
				   (uint8_t)p->state);
	/* A PNE revoked before it ever held a slot has none to show. */
	if (ok && p->has_slot)
		ok = mnl_attr_put_u32_check(nlh, CPNS_CTL_MSG_MAX,
					    CPNS_CTL_A_SET_ID, p->set_id) &&
		     mnl_attr_put_u32_check(nlh, CPNS_CTL_MSG_MAX,
					    CPNS_CTL_A_SLOT, p->slot);
	if (ok && p->state == STORE_PNE_ASSIGNED)
		ok = mnl_attr_put_u64_check(nlh, CPNS_CTL_MSG_MAX,
					    CPNS_CTL_A_ASSIGNED_AT,
					    p->assigned_at);
	if (!ok)
		return fail(r, -EMSGSIZE, 0, "pne %s: reply too large", p->id);
	return queue(r->replies, nlh);
}

static int pne_cb(const struct store_pne *p, void *arg)
{
	return put_pne(arg, p);
}

/* The store's reason if it gave one, else ours. */
static int store_fail(struct req *r, int err, int attr, const char *why,
		      const char *id)
{
	if (err == -ENOENT)
		return fail(r, err, attr, "no PNE \"%s\"", id);
	if (err == -EEXIST)
		return fail(r, err, attr, "PNE \"%s\" already exists", id);
	if (why[0])
		return fail(r, err, attr, "%s", why);
	return fail(r, err, attr, "store: %s", strerror(-err));
}

static int pne_add(struct req *r, const struct nlattr **tb)
{
	const char *id = attr_str(tb[CPNS_CTL_A_PNE_ID]);
	const char *path = attr_str(tb[CPNS_CTL_A_EU_KEY_FILE]);
	uint8_t key[EU_KEY_LEN];
	char why[256] = "";
	int ret;

	if (path[0] != '/')
		return fail(r, -EINVAL, CPNS_CTL_A_EU_KEY_FILE,
			    "eu-key file \"%s\" is not an absolute path", path);
	/* Refused now, with the reason, rather than at the PNE's request. */
	ret = eukey_load(path, key, why, sizeof(why));
	OPENSSL_cleanse(key, sizeof(key));
	if (ret)
		return fail(r, ret, CPNS_CTL_A_EU_KEY_FILE, "%s",
			    why[0] ? why : strerror(-ret));
	ret = store_pne_add(r->d->store, id, path, why, sizeof(why));
	if (ret)
		return store_fail(r, ret, CPNS_CTL_A_PNE_ID, why, id);
	log_info("control: pne %s added (eu-key file %s) by pid %d", id, path,
		 r->cl->pid);
	return 0;
}

static int pne_del(struct req *r, const struct nlattr **tb)
{
	const char *id = attr_str(tb[CPNS_CTL_A_PNE_ID]);
	bool revoke = r->cmd == CPNS_CTL_CMD_PNE_REVOKE;
	char why[256] = "";
	int ret;

	ret = revoke ? store_pne_revoke(r->d->store, id, why, sizeof(why)) :
		       store_pne_del(r->d->store, id, why, sizeof(why));
	if (ret)
		return store_fail(r, ret, CPNS_CTL_A_PNE_ID, why, id);
	log_info("control: pne %s %s by pid %d", id,
		 revoke ? "revoked" : "deleted", r->cl->pid);
	gateway_pne_gone(r->d, id);
	return 0;
}

static int pne_get(struct req *r, const struct nlattr **tb)
{
	const char *id = attr_str(tb[CPNS_CTL_A_PNE_ID]);
	struct store_pne p;
	int ret;

	if (!id) {
		if (!(r->nlh->nlmsg_flags & NLM_F_DUMP))
			return fail(r, -EINVAL, CPNS_CTL_A_PNE_ID,
				    "a PNE id, or a dump");
		ret = store_pne_foreach(r->d->store, pne_cb, r);
		if (ret && !r->errmsg[0])
			return fail(r, ret, 0, "store: %s", strerror(-ret));
		return ret;
	}
	ret = store_pne_get(r->d->store, id, &p);
	if (ret)
		return store_fail(r, ret, CPNS_CTL_A_PNE_ID, "", id);
	return put_pne(r, &p);
}

static int keyset_get(struct req *r, const struct nlattr **tb)
{
	uint32_t nfree, assigned, revoked;
	struct nlmsghdr *nlh = reply_start(r);
	struct store_kms kms;
	int ret;

	(void)tb;
	ret = store_kms_get(r->d->store, &kms);
	OPENSSL_cleanse(kms.master, sizeof(kms.master));
	/* No set yet: an empty object says so (the first request makes one). */
	if (ret == -ENOENT || ret == -ENODATA)
		return queue(r->replies, nlh);
	if (ret)
		return fail(r, ret, 0, "store: %s", strerror(-ret));
	ret = store_slot_counts(r->d->store, &nfree, &assigned, &revoked);
	if (ret)
		return fail(r, ret, 0, "store: %s", strerror(-ret));
	mnl_attr_put_u8(nlh, CPNS_CTL_A_HEIGHT, (uint8_t)kms.height);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_SET_ID, kms.set_id);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_GATEWAY_ID, kms.gateway_id);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_SLOTS_FREE, nfree);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_SLOTS_ASSIGNED, assigned);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_SLOTS_REVOKED, revoked);
	return queue(r->replies, nlh);
}

static int daemon_get(struct req *r, const struct nlattr **tb)
{
	struct nlmsghdr *nlh = reply_start(r);
	time_t now = time(NULL);
	struct nlattr *nest;
	int i;

	mnl_attr_put_strz(nlh, CPNS_CTL_A_ROLE, role_name(r->d->role));
	mnl_attr_put_strz(nlh, CPNS_CTL_A_VERSION, CPNSD_VERSION);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_UPTIME,
			 now > r->d->started ? (uint64_t)(now - r->d->started) :
					       0);
	if (tb[CPNS_CTL_A_STATS]) {
		nest = mnl_attr_nest_start(nlh, CPNS_CTL_A_STATS);
		for (i = 1; i < __CPNS_CTL_S_MAX; i++)
			mnl_attr_put_u64(nlh, (uint16_t)i, r->d->stats[i]);
		mnl_attr_nest_end(nlh, nest);
	}
	return queue(r->replies, nlh);
}

static int peer_cb(const struct session_info *si, void *arg)
{
	struct req *r = arg;
	struct nlmsghdr *nlh = reply_start(r);

	if (!mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_PEER,
				     si->peer) ||
	    !mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_PEER_ID,
				     si->peer_id ? si->peer_id : "") ||
	    !mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX,
				     CPNS_CTL_A_PEER_STATE, si->state) ||
	    !mnl_attr_put_u64_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_SINCE,
				    (uint64_t)si->since))
		return fail(r, -EMSGSIZE, 0, "peer %s: reply too large",
			    si->peer);
	return queue(r->replies, nlh);
}

static int peer_get(struct req *r, const struct nlattr **tb)
{
	int ret;

	(void)tb;
	ret = session_foreach(r->d, peer_cb, r);
	if (ret && !r->errmsg[0])
		return fail(r, ret, 0, "sessions: %s", strerror(-ret));
	return ret;
}

static int put_member(const struct srv_member *m, void *arg)
{
	struct req *r = arg;
	struct nlmsghdr *nlh = reply_start(r);

	if (!mnl_attr_put_u32_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_GROUP,
				    m->group) ||
	    !mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_PNE_ID,
				     m->pne_id) ||
	    !mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_GATEWAY,
				     m->gateway) ||
	    !mnl_attr_put_u64_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_CREATED,
				    m->added_at))
		return fail(r, -EMSGSIZE, 0, "member %s@%s: reply too large",
			    m->pne_id, m->gateway);
	return queue(r->replies, nlh);
}

/*
 * The server's reason when it gave one (it names the argument), ours
 * otherwise; a membership that is or is not there is the PNE's fault.
 */
static int member_fail(struct req *r, int err, const char *why,
		       uint32_t group, const char *pne, const char *gw)
{
	int attr = err == -EEXIST || err == -ENOENT ? CPNS_CTL_A_PNE_ID : 0;

	if (why[0])
		return fail(r, err, attr, "%s", why);
	if (err == -EEXIST)
		return fail(r, err, attr,
			    "PNE \"%s\" at gateway \"%s\" already is a member of group %u",
			    pne, gw, group);
	if (err == -ENOENT)
		return fail(r, err, attr,
			    "PNE \"%s\" at gateway \"%s\" is no member of group %u",
			    pne, gw, group);
	return fail(r, err, 0, "server: %s", strerror(-err));
}

static int member_add_del(struct req *r, const struct nlattr **tb)
{
	uint32_t group = mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]);
	const char *pne = attr_str(tb[CPNS_CTL_A_PNE_ID]);
	const char *gw = attr_str(tb[CPNS_CTL_A_GATEWAY]);
	bool add = r->cmd == CPNS_CTL_CMD_MEMBER_ADD;
	char why[256] = "";
	int ret;

	ret = add ? server_member_add(r->d, group, pne, gw, why, sizeof(why)) :
		    server_member_del(r->d, group, pne, gw, why, sizeof(why));
	if (ret)
		return member_fail(r, ret, why, group, pne, gw);
	log_info("control: member %s@%s of group %u %s by pid %d", pne, gw,
		 group, add ? "added" : "deleted", r->cl->pid);
	return 0;
}

static uint32_t group_arg(const struct nlattr **tb)
{
	return tb[CPNS_CTL_A_GROUP] ? mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]) :
				      0;
}

/* A dump only: a listing's size is the server's, not one object's. */
static int need_dump(struct req *r)
{
	if (r->nlh->nlmsg_flags & NLM_F_DUMP)
		return 0;
	return fail(r, -EINVAL, 0, "%s: a dump (NLM_F_DUMP), GROUP to filter",
		    r->cmd == CPNS_CTL_CMD_MEMBER_GET ? "member get" :
							"group-key get");
}

static int member_get(struct req *r, const struct nlattr **tb)
{
	int ret = need_dump(r);

	if (ret)
		return ret;
	ret = server_member_foreach(r->d, group_arg(tb), put_member, r);
	if (ret && !r->errmsg[0])
		return fail(r, ret, 0, "server: %s", strerror(-ret));
	return ret;
}

static int gk_rotate(struct req *r, const struct nlattr **tb)
{
	uint32_t group = mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]);
	struct nlmsghdr *nlh;
	char why[256] = "";
	uint64_t epoch = 0;
	int ret;

	ret = server_rotate(r->d, group, &epoch, why, sizeof(why));
	if (ret)
		return fail(r, ret,
			    ret == -ENOENT || ret == -EINVAL ?
			    CPNS_CTL_A_GROUP : 0, "%s",
			    why[0] ? why : strerror(-ret));
	log_info("control: group %u rotated to epoch %llu by pid %d", group,
		 (unsigned long long)epoch, r->cl->pid);
	nlh = reply_start(r);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, group);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_EPOCH, epoch);
	return queue(r->replies, nlh);
}

/* A key object: never its bytes (the server zeroed them anyway). */
static int put_gk(const struct srv_gk *gk, void *arg)
{
	struct req *r = arg;
	struct nlmsghdr *nlh = reply_start(r);

	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, gk->group);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_EPOCH, gk->epoch);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_VALID_FROM, gk->valid_from);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_VALID_UNTIL, gk->valid_until);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_CREATED, gk->created);
	return queue(r->replies, nlh);
}

static int put_delivery(const struct srv_delivery *dl, void *arg)
{
	struct req *r = arg;
	struct nlmsghdr *nlh = reply_start(r);
	bool ok;

	ok = mnl_attr_put_u32_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_GROUP,
				    dl->group) &&
	     mnl_attr_put_u64_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_EPOCH,
				    dl->epoch) &&
	     mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_GATEWAY,
				     dl->gateway) &&
	     mnl_attr_put_u8_check(nlh, CPNS_CTL_MSG_MAX, CPNS_CTL_A_DELIVERY,
				   (uint8_t)dl->state);
	/* The gateway's own row has no PNE (figure b step 3). */
	if (ok && dl->pne_id[0])
		ok = mnl_attr_put_strz_check(nlh, CPNS_CTL_MSG_MAX,
					     CPNS_CTL_A_PNE_ID, dl->pne_id);
	if (ok && dl->state != SRV_DLV_MISSING)
		ok = mnl_attr_put_u16_check(nlh, CPNS_CTL_MSG_MAX,
					    CPNS_CTL_A_STATUS, dl->status) &&
		     mnl_attr_put_u64_check(nlh, CPNS_CTL_MSG_MAX,
					    CPNS_CTL_A_ACKED_AT, dl->at);
	if (!ok)
		return fail(r, -EMSGSIZE, 0, "delivery %s@%s: reply too large",
			    dl->pne_id, dl->gateway);
	return queue(r->replies, nlh);
}

static int gk_get(struct req *r, const struct nlattr **tb)
{
	uint32_t group = group_arg(tb);
	int ret = need_dump(r);

	if (ret)
		return ret;
	ret = server_gk_foreach(r->d, group, put_gk, put_delivery, r);
	if (ret == -ENOENT && group && !r->errmsg[0])
		return fail(r, ret, CPNS_CTL_A_GROUP,
			    "group %u has no Group Key", group);
	if (ret && !r->errmsg[0])
		return fail(r, ret, 0, "server: %s", strerror(-ret));
	return ret;
}

#define A(x)	(1ull << CPNS_CTL_A_##x)
#define GATEWAY_ONLY(why)	.role = CPNSD_GATEWAY, .only = why
#define SERVER_ONLY(why)	.role = CPNSD_SERVER, .only = why

static const struct {
	const char *name;		/* for messages */
	int (*fn)(struct req *r, const struct nlattr **tb);
	enum cpnsd_role role;		/* the only role that takes it ... */
	const char *only;		/* ... and why others refuse it; NULL:
					 * every role does */
	uint64_t allowed, required;	/* attribute bits */
	bool change;			/* logged at info level */
} cmds[__CPNS_CTL_CMD_MAX] = {
	[CPNS_CTL_CMD_PNE_ADD] = { "pne add", pne_add,
		GATEWAY_ONLY("only a gateway has PNEs"),
		A(PNE_ID) | A(EU_KEY_FILE), A(PNE_ID) | A(EU_KEY_FILE), true },
	[CPNS_CTL_CMD_PNE_DEL] = { "pne del", pne_del,
		GATEWAY_ONLY("only a gateway has PNEs"), A(PNE_ID), A(PNE_ID),
		true },
	[CPNS_CTL_CMD_PNE_REVOKE] = { "pne revoke", pne_del,
		GATEWAY_ONLY("only a gateway has PNEs"), A(PNE_ID), A(PNE_ID),
		true },
	[CPNS_CTL_CMD_PNE_GET] = { "pne get", pne_get,
		GATEWAY_ONLY("only a gateway has PNEs"), A(PNE_ID), 0 },
	[CPNS_CTL_CMD_KEYSET_GET] = { "keyset get", keyset_get,
		GATEWAY_ONLY("only a gateway has a key material set"), 0, 0 },
	[CPNS_CTL_CMD_DAEMON_GET] = { "daemon get", daemon_get,
		.allowed = A(STATS) },
	[CPNS_CTL_CMD_PEER_GET] = { "peer get", peer_get },
	[CPNS_CTL_CMD_MEMBER_ADD] = { "member add", member_add_del,
		SERVER_ONLY("only a CPNS Server has members"),
		A(GROUP) | A(PNE_ID) | A(GATEWAY),
		A(GROUP) | A(PNE_ID) | A(GATEWAY), true },
	[CPNS_CTL_CMD_MEMBER_DEL] = { "member del", member_add_del,
		SERVER_ONLY("only a CPNS Server has members"),
		A(GROUP) | A(PNE_ID) | A(GATEWAY),
		A(GROUP) | A(PNE_ID) | A(GATEWAY), true },
	[CPNS_CTL_CMD_MEMBER_GET] = { "member get", member_get,
		SERVER_ONLY("only a CPNS Server has members"), A(GROUP), 0 },
	[CPNS_CTL_CMD_GK_ROTATE] = { "group-key rotate", gk_rotate,
		SERVER_ONLY("only a CPNS Server issues Group Keys"), A(GROUP),
		A(GROUP), true },
	[CPNS_CTL_CMD_GK_GET] = { "group-key get", gk_get,
		SERVER_ONLY("only a CPNS Server issues Group Keys"), A(GROUP),
		0 },
};

/*
 * Strictly: every attribute one the command takes, well-formed, once;
 * strings without an inner NUL and printable; nothing after the last.
 */
static int parse_attrs(struct req *r, uint64_t allowed,
		       const struct nlattr **tb)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));
	int len = (int)(r->nlh->nlmsg_len - hdr);
	const struct nlattr *a = (const void *)((const char *)r->nlh + hdr);
	const struct cpns_nl_policy *p;
	uint16_t plen;
	int t;

	memset(tb, 0, sizeof(*tb) * __CPNS_CTL_A_MAX);
	for (; mnl_attr_ok(a, len);
	     len -= (int)MNL_ALIGN(a->nla_len), a = mnl_attr_next(a)) {
		t = mnl_attr_get_type(a);
		plen = mnl_attr_get_payload_len(a);
		if (t >= __CPNS_CTL_A_MAX || !(allowed & (1ull << t)))
			return fail(r, -EINVAL, t, "%s: unexpected attribute %d",
				    cmds[r->cmd].name, t);
		p = &cpns_ctl_policy.attrs[t];
		if (tb[t])
			return fail(r, -EINVAL, t, "attribute \"%s\" twice",
				    p->name);
		/* STATS: a flag in a request, a nest only in replies. */
		if (t == CPNS_CTL_A_STATS) {
			if (plen)
				return fail(r, -EINVAL, t,
					    "attribute \"stats\" is a flag");
			tb[t] = a;
			continue;
		}
		if (mnl_attr_validate(a, p->type) ||
		    (p->type == MNL_TYPE_NUL_STRING &&
		     strlen(mnl_attr_get_str(a)) + 1 != plen) ||
		    plen < p->min_len || (p->max_len && plen > p->max_len))
			return fail(r, -EINVAL, t,
				    "attribute \"%s\" of %u bytes: malformed or out of bounds",
				    p->name, plen);
		if (p->type == MNL_TYPE_NUL_STRING &&
		    !printable(mnl_attr_get_str(a)))
			return fail(r, -EINVAL, t,
				    "attribute \"%s\": not printable ASCII without spaces",
				    p->name);
		if (t == CPNS_CTL_A_PNE_ID && !pne_id_ok(mnl_attr_get_str(a)))
			return fail(r, -EINVAL, t,
				    "PNE id \"%s\": 1 to %d of A-Z a-z 0-9 . _ : -",
				    mnl_attr_get_str(a), CPNS_CTL_PNE_ID_MAX);
		/* A certificate CN as the server names gateways (srvstore.h). */
		if (t == CPNS_CTL_A_GATEWAY && !pne_id_ok(mnl_attr_get_str(a)))
			return fail(r, -EINVAL, t,
				    "gateway \"%s\": 1 to %d of A-Z a-z 0-9 . _ : -",
				    mnl_attr_get_str(a), CPNS_CTL_PNE_ID_MAX);
		if (t == CPNS_CTL_A_GROUP && !mnl_attr_get_u32(a))
			return fail(r, -EINVAL, t,
				    "attribute \"group\": 0 is no Service Group (1 to 4294967295)");
		tb[t] = a;
	}
	if (len)
		return fail(r, -EINVAL, 0,
			    "%d bytes after the last attribute", len);
	return 0;
}

/* Check one request packet of @n bytes and answer it. */
static void handle(struct client *cl, size_t n)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];
	struct control *ctl = cl->ctl;
	struct req r = { .cl = cl, .d = ctl->d };
	const struct genlmsghdr *genl;
	uint64_t missing;
	int ret, t;

	if (n < sizeof(struct nlmsghdr)) {
		ret = fail(&r, -EBADMSG, 0, "request of %zu bytes", n);
		goto out;
	}
	r.nlh = (const struct nlmsghdr *)ctl->in;
	if (n > sizeof(ctl->in)) {
		ret = fail(&r, -EMSGSIZE, 0,
			   "request of %zu bytes (at most %d)", n,
			   CPNS_CTL_MSG_MAX);
		goto out;
	}
	if (!mnl_nlmsg_ok(r.nlh, (int)n) || r.nlh->nlmsg_len != n) {
		ret = fail(&r, -EBADMSG, 0,
			   "message length %u in a packet of %zu bytes",
			   r.nlh->nlmsg_len, n);
		goto out;
	}
	if (r.nlh->nlmsg_type != CPNS_CTL_TYPE ||
	    !(r.nlh->nlmsg_flags & NLM_F_REQUEST)) {
		ret = fail(&r, -EOPNOTSUPP, 0,
			   "message type 0x%x flags 0x%x: not a control request",
			   r.nlh->nlmsg_type, r.nlh->nlmsg_flags);
		goto out;
	}
	if (mnl_nlmsg_get_payload_len(r.nlh) < sizeof(*genl)) {
		ret = fail(&r, -EBADMSG, 0, "no generic netlink header");
		goto out;
	}
	genl = mnl_nlmsg_get_payload(r.nlh);
	r.cmd = genl->cmd;
	if (genl->version != CPNS_CTL_VERSION) {
		ret = fail(&r, -EPROTONOSUPPORT, 0,
			   "control protocol version %u (this cpnsd speaks %d)",
			   genl->version, CPNS_CTL_VERSION);
		goto out;
	}
	if (r.cmd >= __CPNS_CTL_CMD_MAX || !cmds[r.cmd].fn) {
		ret = fail(&r, -EOPNOTSUPP, 0, "unknown command %u", r.cmd);
		goto out;
	}
	r.known = true;
	if (cmds[r.cmd].only && ctl->d->role != cmds[r.cmd].role) {
		ret = fail(&r, -EOPNOTSUPP, 0, "%s (this cpnsd is a %s)",
			   cmds[r.cmd].only, role_name(ctl->d->role));
		goto out;
	}
	if (cmds[r.cmd].only && cmds[r.cmd].role == CPNSD_GATEWAY &&
	    !ctl->d->store) {
		ret = fail(&r, -EAGAIN, 0, "the gateway's store is not open");
		goto out;
	}
	ret = parse_attrs(&r, cmds[r.cmd].allowed, tb);
	if (ret)
		goto out;
	missing = cmds[r.cmd].required;
	for (t = 0; t < __CPNS_CTL_A_MAX; t++)
		if (tb[t])
			missing &= ~(1ull << t);
	if (missing) {
		t = __builtin_ctzll(missing);
		ret = fail(&r, -EINVAL, t, "%s: attribute \"%s\" missing",
			   cmds[r.cmd].name, cpns_ctl_policy.attrs[t].name);
		goto out;
	}
	r.replies = evbuffer_new();
	if (!r.replies) {
		ret = -ENOMEM;
		goto out;
	}
	ret = cmds[r.cmd].fn(&r, tb);
	if (!ret)
		ret = send_done(&r);
	if (!ret)
		ret = evbuffer_add_buffer(cl->out, r.replies) ? -ENOMEM : 0;
	evbuffer_free(r.replies);
out:
	if (ret) {
		/* A refused change is worth the log; a refused read is not. */
		if (r.known && cmds[r.cmd].change)
			log_info("control: %s by pid %d refused: %s",
				 cmds[r.cmd].name, cl->pid,
				 r.errmsg[0] ? r.errmsg : strerror(-ret));
		else
			log_debug("control: request of pid %d refused: %s",
				  cl->pid, r.errmsg[0] ? r.errmsg :
				  strerror(-ret));
		send_error(&r, ret);
	}
}

static void client_read(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < CTL_BURST && !evbuffer_get_length(cl->out); i++) {
		/* MSG_TRUNC: the packet's true size, to refuse a huge one. */
		n = recv(fd, cl->ctl->in, sizeof(cl->ctl->in),
			 MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (n < 0)
				log_debug("control: client pid %d: %s",
					  cl->pid, strerror(errno));
			client_free(cl);
			return;
		}
		client_touch(cl);
		handle(cl, (size_t)n);
		if (client_flush(cl)) {
			log_debug("control: client pid %d left before its reply",
				  cl->pid);
			client_free(cl);
			return;
		}
	}
}

static void client_write(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	if (client_flush(cl)) {
		log_debug("control: client pid %d left before its reply",
			  cl->pid);
		client_free(cl);
	}
}

static void client_idle(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	log_debug("control: client pid %d idle for %u ms: closed", cl->pid,
		  control_idle_ms);
	client_free(cl);
}

static void client_new(struct control *ctl, int fd, pid_t pid)
{
	struct event_base *base = ctl->d->base;
	struct client *cl, *old;

	if (ctl->n && ctl->n >= control_max_clients) {
		old = TAILQ_FIRST(&ctl->clients);
		log_warn("control: %u clients: closing the longest idle (pid %d)",
			 ctl->n, old->pid);
		client_free(old);
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		goto err;
	cl->ctl = ctl;
	cl->fd = fd;
	cl->pid = pid;
	cl->rd = event_new(base, fd, EV_READ | EV_PERSIST, client_read, cl);
	cl->wr = event_new(base, fd, EV_WRITE | EV_PERSIST, client_write, cl);
	cl->idle = evtimer_new(base, client_idle, cl);
	cl->out = evbuffer_new();
	if (!cl->rd || !cl->wr || !cl->idle || !cl->out ||
	    event_add(cl->rd, NULL)) {
		if (cl->rd)
			event_free(cl->rd);
		if (cl->wr)
			event_free(cl->wr);
		if (cl->idle)
			event_free(cl->idle);
		if (cl->out)
			evbuffer_free(cl->out);
		free(cl);
		goto err;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, cl, link);
	ctl->n++;
	client_touch(cl);
	return;
err:
	log_err("control: no memory for a client");
	close(fd);
}

/* Out of descriptors: stop accepting for a second, not spin. */
static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;

	(void)fd;
	(void)what;
	event_add(ctl->accept_ev, NULL);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval sec = { .tv_sec = 1 };
	struct ucred cred;
	socklen_t len;
	int i, fd;

	(void)what;
	for (i = 0; i < CTL_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("control: accept: %s", strerror(errno));
				event_del(ctl->accept_ev);
				evtimer_add(ctl->pause_ev, &sec);
			}
			return;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    len != sizeof(cred)) {
			log_warn("control: SO_PEERCRED: %s", strerror(errno));
			close(fd);
			continue;
		}
		if (cred.uid != 0) {
			log_warn("control: refused a client of uid %u (pid %d): root only",
				 (unsigned int)cred.uid, (int)cred.pid);
			close(fd);
			continue;
		}
		client_new(ctl, fd, cred.pid);
	}
}

/*
 * A socket file left by a cpnsd that died goes; one another cpnsd still
 * listens on, or anything that is not a socket, stays and we refuse.
 */
static int clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control: %s exists and is no socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (!ret) {
		log_err("control: another cpnsd listens on %s", path);
		return -EADDRINUSE;
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_on(const char *path, const struct sockaddr_un *sun)
{
	char dir[sizeof(sun->sun_path)];
	mode_t old;
	int fd, ret;

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) && errno != EEXIST) {
		ret = -errno;
		log_err("control: mkdir %s: %s", dir, strerror(errno));
		return ret;
	}
	ret = clear_stale(path, sun);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Never, not even between bind and chmod, open to others. */
	old = umask(0177);
	ret = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	if (ret || chmod(path, 0600) || listen(fd, 16)) {
		ret = -errno;
		log_err("control: %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/**
 * control_open() - listen on the control socket
 * @d: the daemon; its base runs the socket
 * @path: the socket, NULL for CPNS_CTL_PATH
 *
 * Return: 0, or -errno after logging why.
 */
int control_open(struct cpnsd *d, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;
	int fd;

	if (!path)
		path = CPNS_CTL_PATH;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control: socket path %s too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	fd = listen_on(path, &sun);
	if (fd < 0) {
		free(ctl);
		return fd;
	}
	ctl->d = d;
	ctl->fd = fd;
	strcpy(ctl->path, path);
	TAILQ_INIT(&ctl->clients);
	ctl->accept_ev = event_new(d->base, fd, EV_READ | EV_PERSIST,
				   accept_cb, ctl);
	ctl->pause_ev = evtimer_new(d->base, accept_resume, ctl);
	if (!ctl->accept_ev || !ctl->pause_ev ||
	    event_add(ctl->accept_ev, NULL)) {
		d->ctl = ctl;
		control_close(d);
		return -ENOMEM;
	}
	d->ctl = ctl;
	log_debug("control: listening on %s", path);
	return 0;
}

void control_close(struct cpnsd *d)
{
	struct control *ctl = d->ctl;

	if (!ctl)
		return;
	while (!TAILQ_EMPTY(&ctl->clients))
		client_free(TAILQ_FIRST(&ctl->clients));
	if (ctl->accept_ev)
		event_free(ctl->accept_ev);
	if (ctl->pause_ev)
		event_free(ctl->pause_ev);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
	d->ctl = NULL;
}
