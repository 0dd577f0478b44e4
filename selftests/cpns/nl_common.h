/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the nl_*.c VM tests: a small synchronous client of the
 * cpns family on libnl-genl-3, independent of the product's libmnl layer
 * (userspace/lib/nl.c), so the UAPI is exercised by a second client.
 *
 * Every request goes out with NLM_F_ACK; the client records the errno, the
 * extack message, the missing-attribute TLVs and the type of the attribute
 * NLMSGERR_ATTR_OFFS points at, so a test can assert each refusal fully.
 * Replies are kept (a copy of each message) or handed to a callback.
 */
#ifndef CPNS_NL_COMMON_H
#define CPNS_NL_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/cpns.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NLC_MAX_REPLIES	8
#define NLC_MSG_SIZE	(CPNS_WRAPPED_MAX_LEN + 4096)

typedef int (*nlc_cb_t)(struct nlmsghdr *nlh, void *arg);

struct nlc {
	struct nl_sock *sk;
	int family;
	int events_grp;			/* multicast id of "events" */
	/* The outcome of the last request. */
	int err;			/* 0 or -errno */
	char extack[256];		/* NLMSGERR_ATTR_MSG, "" when none */
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, 0: none */
	bool has_miss_nest;
	int bad_attr;			/* attr type at NLMSGERR_ATTR_OFFS, -1 */
	bool dump_intr;			/* a message had NLM_F_DUMP_INTR */
	int nreplies;
	struct nlmsghdr *reply[NLC_MAX_REPLIES];
	/* Bytes that must never appear in a reply (key material). */
	const void *secret;
	size_t secret_len;
	bool secret_seen;
	/* Private. */
	struct nlmsghdr *req;
	nlc_cb_t cb;
	void *cb_arg;
	bool done;
};

static inline void nlc_clear(struct nlc *c)
{
	int i;

	for (i = 0; i < c->nreplies; i++)
		free(c->reply[i]);
	c->nreplies = 0;
	c->err = 0;
	c->extack[0] = '\0';
	c->miss_type = 0;
	c->has_miss_nest = false;
	c->bad_attr = -1;
	c->dump_intr = false;
	c->done = false;
}

/* The type of the request attribute at byte @off of the request, or -1. */
static inline int nlc_attr_at(const struct nlmsghdr *req, uint32_t off)
{
	const struct nlattr *a;
	uint32_t pos = NLMSG_HDRLEN + GENL_HDRLEN;

	if (!req)
		return -1;
	/* Walk top level and one nesting level. */
	while (pos + NLA_HDRLEN <= req->nlmsg_len) {
		a = (const struct nlattr *)((const char *)req + pos);
		if (a->nla_len < NLA_HDRLEN)
			return -1;
		if (pos == off)
			return a->nla_type & NLA_TYPE_MASK;
		if (off > pos && off < pos + a->nla_len &&
		    (a->nla_type & NLA_F_NESTED)) {
			uint32_t in = pos + NLA_HDRLEN;

			while (in + NLA_HDRLEN <= pos + a->nla_len) {
				const struct nlattr *b = (const void *)
					((const char *)req + in);

				if (b->nla_len < NLA_HDRLEN)
					return -1;
				if (in == off)
					return 0x10000 |
					       (b->nla_type & NLA_TYPE_MASK);
				in += NLA_ALIGN(b->nla_len);
			}
			return -1;
		}
		pos += NLA_ALIGN(a->nla_len);
	}
	return -1;
}

static inline int nlc_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlc *c = arg;
	size_t off = sizeof(*e);
	struct nlattr *a;
	int rem;

	(void)nla;
	c->err = e->error;
	c->done = true;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	off = NLMSG_ALIGN(off);
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return NL_STOP;
	a = (struct nlattr *)((char *)e + off);
	rem = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		switch (nla_type(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(c->extack, sizeof(c->extack), "%.*s",
				 nla_len(a), (const char *)nla_data(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			c->bad_attr = nlc_attr_at(c->req, nla_get_u32(a));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			c->miss_type = nla_get_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			c->has_miss_nest = true;
			break;
		}
	}
	return NL_STOP;
}

static inline int nlc_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlc *c = arg;

	if (c->secret && c->secret_len &&
	    memmem(nlh, nlh->nlmsg_len, c->secret, c->secret_len))
		c->secret_seen = true;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->dump_intr = true;
	if (c->cb)
		return c->cb(nlh, c->cb_arg), NL_OK;
	if (c->nreplies < NLC_MAX_REPLIES) {
		c->reply[c->nreplies] = malloc(nlh->nlmsg_len);
		if (c->reply[c->nreplies]) {
			memcpy(c->reply[c->nreplies], nlh, nlh->nlmsg_len);
			c->nreplies++;
		}
	}
	return NL_OK;
}

static inline int nlc_intr_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct nlc *)arg)->dump_intr = true;
	return NL_OK;
}

static inline int nlc_ok_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static inline int nlc_stop_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct nlc *)arg)->done = true;
	return NL_STOP;
}

/* Resolve the family on @c->sk; 0 or -ENOENT. */
static inline int nlc_resolve(struct nlc *c)
{
	c->family = genl_ctrl_resolve(c->sk, CPNS_FAMILY_NAME);
	if (c->family < 0)
		return -ENOENT;
	c->events_grp = genl_ctrl_resolve_grp(c->sk, CPNS_FAMILY_NAME,
					      CPNS_MCGRP_EVENTS);
	if (c->events_grp < 0)
		c->events_grp = 0;
	return 0;
}

/* 0 or -errno; the family must be registered. */
static inline int nlc_open(struct nlc *c)
{
	int one = 1, fd;

	memset(c, 0, sizeof(*c));
	c->bad_attr = -1;
	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	if (genl_connect(c->sk))
		return -ECONNREFUSED;
	fd = nl_socket_get_fd(c->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_enable_msg_peek(c->sk);
	nl_socket_set_buffer_size(c->sk, 4 << 20, 4 << 20);
	return nlc_resolve(c);
}

static inline void nlc_close(struct nlc *c)
{
	nlc_clear(c);
	free(c->req);
	c->req = NULL;
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

/* A request for @cmd; add attributes with nla_put_*(). */
static inline struct nl_msg *nlc_req(struct nlc *c, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(NLC_MSG_SIZE);

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			      flags, cmd, CPNS_FAMILY_VERSION)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/*
 * Send @m (freed here) and read until its ack, error or dump end.  With
 * @cb each reply message goes to it, else the first
 * NLC_MAX_REPLIES are kept in c->reply.  Returns c->err: 0 or -errno.
 */
static inline int nlc_xfer(struct nlc *c, struct nl_msg *m, nlc_cb_t cb,
			   void *arg)
{
	struct nlmsghdr *nlh;
	struct nl_cb *nc;
	int ret;

	nlc_clear(c);
	if (!m)
		return c->err = -ENOMEM;
	nc = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nc) {
		nlmsg_free(m);
		return c->err = -ENOMEM;
	}
	c->cb = cb;
	c->cb_arg = arg;
	nl_cb_set(nc, NL_CB_VALID, NL_CB_CUSTOM, nlc_valid_cb, c);
	nl_cb_set(nc, NL_CB_FINISH, NL_CB_CUSTOM, nlc_stop_cb, c);
	nl_cb_set(nc, NL_CB_ACK, NL_CB_CUSTOM, nlc_stop_cb, c);
	nl_cb_set(nc, NL_CB_DUMP_INTR, NL_CB_CUSTOM, nlc_intr_cb, c);
	nl_cb_err(nc, NL_CB_CUSTOM, nlc_err_cb, c);

	ret = nl_send_auto(c->sk, m);
	nlh = nlmsg_hdr(m);
	free(c->req);
	c->req = malloc(nlh->nlmsg_len);
	if (c->req)
		memcpy(c->req, nlh, nlh->nlmsg_len);
	nlmsg_free(m);
	if (ret < 0) {
		nl_cb_put(nc);
		return c->err = -EIO;
	}
	while (!c->done) {
		ret = nl_recvmsgs(c->sk, nc);
		if (ret < 0 && !c->done) {
			c->err = ret == -NLE_NOMEM ? -ENOMEM : -EIO;
			break;
		}
	}
	c->cb = NULL;
	nl_cb_put(nc);
	return c->err;
}

static inline int nlc_do(struct nlc *c, struct nl_msg *m)
{
	return nlc_xfer(c, m, NULL, NULL);
}

/* Parse a kept reply into @tb (indexed by attribute type). */
static inline int nlc_parse(const struct nlmsghdr *nlh, struct nlattr **tb,
			    int max)
{
	return genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, max, NULL);
}

static inline uint8_t nlc_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

/* Attribute types present in a reply, as a bit mask (types < 64). */
static inline uint64_t nlc_attr_mask(const struct nlmsghdr *nlh)
{
	struct nlattr *a;
	uint64_t mask = 0;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		if (nla_type(a) < 64)
			mask |= 1ull << nla_type(a);
	return mask;
}

#define BIT64(n) (1ull << (n))

/*
 * Batches: many requests in one sendmsg(), without NLM_F_ACK, so only
 * errors (and the replies a command always sends) come back.  For the
 * tests that need thousands of objects quickly under TCG.
 */
struct nlc_batch {
	char *buf;
	size_t len, cap;
	struct nlmsghdr *cur;
	uint32_t seq;
	int n;
};

static inline int nlc_batch_init(struct nlc *c, struct nlc_batch *b,
				  size_t cap)
{
	int fd = nl_socket_get_fd(c->sk), big = 64 << 20;

	memset(b, 0, sizeof(*b));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	b->buf = calloc(1, cap);
	b->cap = cap;
	b->seq = 0x40000000;
	return b->buf ? 0 : -ENOMEM;
}

static inline void nlc_batch_free(struct nlc_batch *b)
{
	free(b->buf);
	b->buf = NULL;
}

/* Room for a request of up to @need more bytes, else 0. */
static inline bool nlc_batch_room(const struct nlc_batch *b, size_t need)
{
	return b->len + need <= b->cap;
}

static inline void nlc_batch_msg(struct nlc *c, struct nlc_batch *b,
				 uint8_t cmd)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);
	struct genlmsghdr *g = (struct genlmsghdr *)NLMSG_DATA(nlh);

	memset(nlh, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	nlh->nlmsg_type = c->family;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = b->seq++;
	g->cmd = cmd;
	g->version = CPNS_FAMILY_VERSION;
	b->cur = nlh;
	b->n++;
}

static inline void nlc_batch_attr(struct nlc_batch *b, int type,
				  const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)b->cur +
					     NLMSG_ALIGN(b->cur->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0,
	       NLA_ALIGN(a->nla_len) - a->nla_len);
	b->cur->nlmsg_len = NLMSG_ALIGN(b->cur->nlmsg_len) +
			    NLA_ALIGN(a->nla_len);
	b->len = (char *)b->cur - b->buf + NLMSG_ALIGN(b->cur->nlmsg_len);
}

static inline void nlc_batch_u32(struct nlc_batch *b, int type, uint32_t v)
{
	nlc_batch_attr(b, type, &v, sizeof(v));
}

static inline void nlc_batch_u64(struct nlc_batch *b, int type, uint64_t v)
{
	nlc_batch_attr(b, type, &v, sizeof(v));
}

/*
 * Send the batch and drain what came back; returns the number of
 * requests refused (their errors), or -errno when the socket failed.
 */
static inline int nlc_batch_flush(struct nlc *c, struct nlc_batch *b)
{
	int fd = nl_socket_get_fd(c->sk), errs = 0;
	static char rbuf[1 << 20];
	struct nlmsghdr *nlh;
	ssize_t n;

	if (b->len && send(fd, b->buf, b->len, 0) < 0)
		return -errno;
	b->len = 0;
	b->n = 0;
	for (;;) {
		n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? errs : -errno;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    ((struct nlmsgerr *)NLMSG_DATA(nlh))->error)
				errs++;
		}
	}
}

/* Module and clock. */

static inline int nlc_modprobe(void)
{
	return system("modprobe cpns");
}

static inline int nlc_rmmod(void)
{
	return system("grep -q '^cpns ' /proc/modules && rmmod cpns; "
		      "! grep -q '^cpns ' /proc/modules");
}

static inline int nlc_set_clock(time_t t)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = 0 };

	return clock_settime(CLOCK_REALTIME, &ts);
}

/* Requests of every command, for the tests that go through them all. */

static inline int nlc_group_new(struct nlc *c, uint32_t id, int grace,
				int lifetime, int notice)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);

	nla_put_u32(m, CPNS_A_GROUP_ID, id);
	if (grace >= 0)
		nla_put_u32(m, CPNS_A_GROUP_GRACE, grace);
	if (lifetime >= 0)
		nla_put_u32(m, CPNS_A_GROUP_LIFETIME, lifetime);
	if (notice >= 0)
		nla_put_u32(m, CPNS_A_GROUP_EXPIRY_NOTICE, notice);
	return nlc_do(c, m);
}

static inline int nlc_group_del(struct nlc *c, uint32_t id)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GROUP_DEL, 0);

	nla_put_u32(m, CPNS_A_GROUP_ID, id);
	return nlc_do(c, m);
}

static inline int nlc_group_get(struct nlc *c, uint32_t id)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GROUP_GET, 0);

	nla_put_u32(m, CPNS_A_GROUP_ID, id);
	return nlc_do(c, m);
}

static inline void nlc_fill_key(uint8_t key[CPNS_KEY_LEN], uint32_t seed)
{
	int i;

	for (i = 0; i < CPNS_KEY_LEN; i++)
		key[i] = (uint8_t)(seed * 131 + i * 7 + (seed >> 8));
}

static inline int nlc_key_plain(struct nlc *c, uint32_t group, uint64_t epoch,
				const uint8_t key[CPNS_KEY_LEN], int lifetime)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_KEY_INSTALL, 0);

	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, group);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, epoch);
	nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
	if (lifetime >= 0)
		nla_put_u32(m, CPNS_A_KEY_LIFETIME, lifetime);
	return nlc_do(c, m);
}

/* A plain key made from @seed (nlc_fill_key). */
static inline int nlc_key_seed(struct nlc *c, uint32_t group, uint64_t epoch,
			       uint32_t seed)
{
	uint8_t key[CPNS_KEY_LEN];

	nlc_fill_key(key, seed);
	return nlc_key_plain(c, group, epoch, key, -1);
}

static inline int nlc_key_wrapped(struct nlc *c, uint32_t group,
				  const uint8_t *blob, size_t len)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_KEY_INSTALL, 0);

	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, group);
	nla_put(m, CPNS_A_KEY_WRAPPED, len, blob);
	return nlc_do(c, m);
}

static inline int nlc_key_del(struct nlc *c, uint32_t group, uint64_t epoch)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_KEY_DEL, 0);

	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, group);
	nla_put_u64(m, CPNS_A_KEY_EPOCH, epoch);
	return nlc_do(c, m);
}

/* @epoch < 0: the current key. */
static inline int nlc_key_get(struct nlc *c, uint32_t group, int64_t epoch)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_KEY_GET, 0);

	nla_put_u32(m, CPNS_A_KEY_GROUP_ID, group);
	if (epoch >= 0)
		nla_put_u64(m, CPNS_A_KEY_EPOCH, epoch);
	return nlc_do(c, m);
}

static inline int nlc_gkdk_set(struct nlc *c, const uint8_t *gkdk, size_t len)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GKDK_SET, 0);

	nla_put(m, CPNS_A_GKDK_DATA, len, gkdk);
	return nlc_do(c, m);
}

static inline int nlc_gkdk_del(struct nlc *c, uint64_t gw)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GKDK_DEL, 0);

	nla_put_u64(m, CPNS_A_GKDK_GATEWAY_ID, gw);
	return nlc_do(c, m);
}

static inline int nlc_gkdk_get(struct nlc *c, uint64_t gw)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GKDK_GET, 0);

	nla_put_u64(m, CPNS_A_GKDK_GATEWAY_ID, gw);
	return nlc_do(c, m);
}

/* Counters of the namespace (@group 0) or of one group. */
struct nlc_stats {
	uint64_t v[CPNS_A_STATS_MAX + 1];
	uint64_t present;	/* mask of attribute types */
};

static inline int nlc_stats(struct nlc *c, uint32_t group, struct nlc_stats *s)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_STATS_GET, 0);
	struct nlattr *tb[CPNS_A_STATS_MAX + 1];
	int i, ret;

	memset(s, 0, sizeof(*s));
	if (group)
		nla_put_u32(m, CPNS_A_STATS_GROUP_ID, group);
	ret = nlc_do(c, m);
	if (ret)
		return ret;
	if (c->nreplies != 1 || nlc_parse(c->reply[0], tb, CPNS_A_STATS_MAX))
		return -EPROTO;
	s->present = nlc_attr_mask(c->reply[0]);
	for (i = 1; i <= CPNS_A_STATS_MAX; i++) {
		if (!tb[i] || i == CPNS_A_STATS_PAD)
			continue;
		if (i == CPNS_A_STATS_GROUP_ID)
			s->v[i] = nla_get_u32(tb[i]);
		else
			s->v[i] = nla_get_u64(tb[i]);
	}
	return 0;
}

/* A key reply or event, parsed. */
struct nlc_key {
	uint8_t cmd;
	uint64_t mask;
	uint32_t group, state, source, reason;
	uint64_t epoch, installed, expires, gateway;
	uint8_t fp[CPNS_FINGERPRINT_LEN];
	int fp_len;
};

static inline int nlc_key_parse(const struct nlmsghdr *nlh, struct nlc_key *k)
{
	struct nlattr *tb[CPNS_A_KEY_MAX + 1];

	memset(k, 0, sizeof(*k));
	if (nlc_parse(nlh, tb, CPNS_A_KEY_MAX))
		return -EPROTO;
	k->cmd = nlc_cmd(nlh);
	k->mask = nlc_attr_mask(nlh);
	if (tb[CPNS_A_KEY_GROUP_ID])
		k->group = nla_get_u32(tb[CPNS_A_KEY_GROUP_ID]);
	if (tb[CPNS_A_KEY_EPOCH])
		k->epoch = nla_get_u64(tb[CPNS_A_KEY_EPOCH]);
	if (tb[CPNS_A_KEY_STATE])
		k->state = nla_get_u32(tb[CPNS_A_KEY_STATE]);
	if (tb[CPNS_A_KEY_SOURCE])
		k->source = nla_get_u32(tb[CPNS_A_KEY_SOURCE]);
	if (tb[CPNS_A_KEY_RETIRE_REASON])
		k->reason = nla_get_u32(tb[CPNS_A_KEY_RETIRE_REASON]);
	if (tb[CPNS_A_KEY_INSTALLED])
		k->installed = nla_get_u64(tb[CPNS_A_KEY_INSTALLED]);
	if (tb[CPNS_A_KEY_EXPIRES])
		k->expires = nla_get_u64(tb[CPNS_A_KEY_EXPIRES]);
	if (tb[CPNS_A_KEY_GATEWAY_ID])
		k->gateway = nla_get_u64(tb[CPNS_A_KEY_GATEWAY_ID]);
	if (tb[CPNS_A_KEY_FINGERPRINT]) {
		k->fp_len = nla_len(tb[CPNS_A_KEY_FINGERPRINT]);
		if (k->fp_len == CPNS_FINGERPRINT_LEN)
			memcpy(k->fp, nla_data(tb[CPNS_A_KEY_FINGERPRINT]),
			       CPNS_FINGERPRINT_LEN);
	}
	return 0;
}

/* A GKDK reply or event, parsed. */
struct nlc_gkdk {
	uint8_t cmd;
	uint64_t mask;
	uint64_t gateway;
	uint32_t scheme, height, slot, set_id;
	uint8_t fp[CPNS_FINGERPRINT_LEN];
	int fp_len;
};

static inline int nlc_gkdk_parse(const struct nlmsghdr *nlh,
				 struct nlc_gkdk *g)
{
	struct nlattr *tb[CPNS_A_GKDK_MAX + 1];

	memset(g, 0, sizeof(*g));
	if (nlc_parse(nlh, tb, CPNS_A_GKDK_MAX))
		return -EPROTO;
	g->cmd = nlc_cmd(nlh);
	g->mask = nlc_attr_mask(nlh);
	if (tb[CPNS_A_GKDK_GATEWAY_ID])
		g->gateway = nla_get_u64(tb[CPNS_A_GKDK_GATEWAY_ID]);
	if (tb[CPNS_A_GKDK_SCHEME])
		g->scheme = nla_get_u32(tb[CPNS_A_GKDK_SCHEME]);
	if (tb[CPNS_A_GKDK_HEIGHT])
		g->height = nla_get_u32(tb[CPNS_A_GKDK_HEIGHT]);
	if (tb[CPNS_A_GKDK_SLOT])
		g->slot = nla_get_u32(tb[CPNS_A_GKDK_SLOT]);
	if (tb[CPNS_A_GKDK_SET_ID])
		g->set_id = nla_get_u32(tb[CPNS_A_GKDK_SET_ID]);
	if (tb[CPNS_A_GKDK_FINGERPRINT]) {
		g->fp_len = nla_len(tb[CPNS_A_GKDK_FINGERPRINT]);
		if (g->fp_len == CPNS_FINGERPRINT_LEN)
			memcpy(g->fp, nla_data(tb[CPNS_A_GKDK_FINGERPRINT]),
			       CPNS_FINGERPRINT_LEN);
	}
	return 0;
}

/* A group reply, parsed. */
struct nlc_group {
	uint64_t mask;
	uint32_t id, grace, lifetime, window, notice;
	uint64_t cur, prev;
};

static inline int nlc_group_parse(const struct nlmsghdr *nlh,
				  struct nlc_group *g)
{
	struct nlattr *tb[CPNS_A_GROUP_MAX + 1];

	memset(g, 0, sizeof(*g));
	if (nlc_parse(nlh, tb, CPNS_A_GROUP_MAX))
		return -EPROTO;
	g->mask = nlc_attr_mask(nlh);
	if (tb[CPNS_A_GROUP_ID])
		g->id = nla_get_u32(tb[CPNS_A_GROUP_ID]);
	if (tb[CPNS_A_GROUP_GRACE])
		g->grace = nla_get_u32(tb[CPNS_A_GROUP_GRACE]);
	if (tb[CPNS_A_GROUP_LIFETIME])
		g->lifetime = nla_get_u32(tb[CPNS_A_GROUP_LIFETIME]);
	if (tb[CPNS_A_GROUP_REPLAY_WINDOW])
		g->window = nla_get_u32(tb[CPNS_A_GROUP_REPLAY_WINDOW]);
	if (tb[CPNS_A_GROUP_EXPIRY_NOTICE])
		g->notice = nla_get_u32(tb[CPNS_A_GROUP_EXPIRY_NOTICE]);
	if (tb[CPNS_A_GROUP_CURRENT_EPOCH])
		g->cur = nla_get_u64(tb[CPNS_A_GROUP_CURRENT_EPOCH]);
	if (tb[CPNS_A_GROUP_PREVIOUS_EPOCH])
		g->prev = nla_get_u64(tb[CPNS_A_GROUP_PREVIOUS_EPOCH]);
	return 0;
}

/* Events: a second socket joined to the "events" group. */

static inline int nlc_open_events(struct nlc *c)
{
	int ret = nlc_open(c), grp;

	if (ret)
		return ret;
	if (!c->events_grp)
		return -ENOENT;
	grp = c->events_grp;
	if (setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		return -errno;
	nl_socket_disable_seq_check(c->sk);
	nl_socket_set_nonblocking(c->sk);
	return 0;
}

/*
 * Wait up to @ms for events and keep them in c->reply (cleared first);
 * returns how many were kept.  Stops early once @want are kept.
 */
static inline int nlc_events(struct nlc *c, int want, int ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(c->sk), .events = POLLIN };
	struct timespec t0, t1;
	struct nl_cb *nc;
	int left = ms;

	nlc_clear(c);
	nc = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nc)
		return -ENOMEM;
	nl_cb_set(nc, NL_CB_VALID, NL_CB_CUSTOM, nlc_valid_cb, c);
	nl_cb_set(nc, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, nlc_ok_cb, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (c->nreplies < want && left > 0) {
		if (poll(&p, 1, left) > 0)
			while (nl_recvmsgs(c->sk, nc) >= 0 &&
			       c->nreplies < NLC_MAX_REPLIES)
				;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
	nl_cb_put(nc);
	return c->nreplies;
}


/* Test vectors (selftests/vectors/, copied to /tests/vectors in the VM). */

#include "keyvec.h"

static inline FILE *nlc_vec_open(const char *name)
{
	static const char *const dirs[] = {
		"vectors", "/tests/vectors", "selftests/vectors",
	};
	const char *env = getenv("CPNS_VECTORS");
	char path[512];
	unsigned int i;
	FILE *f;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, name);
		return fopen(path, "r");
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		f = fopen(path, "r");
		if (f)
			return f;
	}
	return NULL;
}

/* The record of @file named @name, in @r (free with cpns_vec_rec_free). */
static inline int nlc_vec_find(const char *file, const char *name,
			       struct cpns_vec_rec *r)
{
	unsigned int line = 0;
	const char *c;
	FILE *f = nlc_vec_open(file);
	int ret;

	if (!f)
		return -ENOENT;
	while ((ret = cpns_vec_next(f, &line, r)) == 1) {
		c = cpns_vec_get(r, "case");
		if (c && !strcmp(c, name)) {
			fclose(f);
			return 0;
		}
		cpns_vec_rec_free(r);
	}
	fclose(f);
	return -ENOENT;
}

/* Hex field @key of @r; *@len 0 and NULL when absent. */
static inline uint8_t *nlc_vec_bytes(const struct cpns_vec_rec *r,
				     const char *key, size_t *len)
{
	const char *v = cpns_vec_get(r, key);
	uint8_t *b = NULL;

	*len = 0;
	if (!v || cpns_vec_hex(v, &b, len))
		return NULL;
	return b;
}

static inline uint64_t nlc_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* A time inside a blob's validity window (2026-01 for the vectors). */
static inline time_t nlc_blob_time(const uint8_t *blob, size_t len)
{
	uint64_t from, until;

	if (len < 48)
		return 1767225600 + 3600;
	from = nlc_be(blob + 32, 8);
	until = nlc_be(blob + 40, 8);
	if (until <= from || from > INT32_MAX * 2ull)
		return 1767225600 + 3600;
	return from + (until - from) / 2;
}

/* The hex field @key of record @name of vector file @file, malloc'ed. */
static inline uint8_t *nlc_vec_field(const char *file, const char *name,
				     const char *key, size_t *len)
{
	struct cpns_vec_rec r;
	uint8_t *b;

	*len = 0;
	if (nlc_vec_find(file, name, &r))
		return NULL;
	b = nlc_vec_bytes(&r, key, len);
	cpns_vec_rec_free(&r);
	return b;
}

/* A TAP comment that survives the harness's _exit() in the test child. */
#define nlc_note(fmt, ...) do { \
		printf("# " fmt "\n", ##__VA_ARGS__); \
		fflush(stdout); \
	} while (0)

/*
 * A fixture with a fresh module and one client; the clock is restored at
 * teardown for tests that move it into the vectors' validity window.
 */
#define NLC_FIXTURE(name) \
FIXTURE(name) { \
	struct nlc c; \
	struct timespec real0, mono0; \
}; \
FIXTURE_SETUP(name) \
{ \
	clock_gettime(CLOCK_REALTIME, &self->real0); \
	clock_gettime(CLOCK_MONOTONIC, &self->mono0); \
	nlc_rmmod(); \
	ASSERT_EQ(0, nlc_modprobe()); \
	ASSERT_EQ(0, nlc_open(&self->c)); \
} \
FIXTURE_TEARDOWN(name) \
{ \
	struct timespec now; \
	clock_gettime(CLOCK_MONOTONIC, &now); \
	now.tv_sec += self->real0.tv_sec - self->mono0.tv_sec; \
	clock_settime(CLOCK_REALTIME, &now); \
	nlc_close(&self->c); \
	nlc_rmmod(); \
}

/* A refusal: errno and exact extack text. */
#define EXPECT_REFUSED(cl, want_err, want_msg) do { \
		EXPECT_EQ(want_err, (cl)->err); \
		EXPECT_STREQ(want_msg, (cl)->extack); \
	} while (0)

/* A refusal by the netlink policy, pointing at attribute @attr. */
#define EXPECT_POLICY(cl, want_err, want_msg, attr) do { \
		EXPECT_REFUSED(cl, want_err, want_msg); \
		EXPECT_EQ(attr, (cl)->bad_attr); \
	} while (0)

/* A missing required attribute: EINVAL with NLMSGERR_ATTR_MISS_TYPE. */
#define EXPECT_MISSING(cl, attr) do { \
		EXPECT_EQ(-EINVAL, (cl)->err); \
		EXPECT_EQ(attr, (cl)->miss_type); \
		EXPECT_EQ(0, strncmp((cl)->extack, "cpns: missing attribute ", \
				     24)); \
	} while (0)

#define MSG_RANGE	"integer out of range"
#define MSG_BIN_RANGE	"binary attribute size out of range"
#define MSG_ATTR_LEN	"invalid attribute length"
#define MSG_UNSUPP	"Unsupported attribute"
#define MSG_UNKNOWN	"Unknown attribute type"
#define VEC_OPEN	"cs-open.vec"
#define VEC_GOOD	"cs-h3-mixed/slot-0"	/* ok, group 66, epoch 5 */
#define VEC_GW		0x1122334455667788ull
#define VEC_GROUP	66
#define VEC_EPOCH	5
#define VEC_TIME	(1767225600 + 3600)	/* inside the blobs' window */

/*
 * Fill a namespace: CPNS_GKDK_MAX GKDKs, @groups groups (every
 * @lifetime_every-th with a @lifetime, so its work is pending) and two
 * epochs of plain keys in each.  Returns the number of refused requests.
 */
static inline int nlc_fill_namespace(struct nlc *c, uint32_t groups,
				     uint32_t lifetime_every,
				     uint32_t lifetime)
{
	uint8_t key[CPNS_KEY_LEN];
	struct nlc_batch b;
	size_t len;
	uint8_t *gk = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", &len);
	uint32_t id;
	int errs = 0, i, e;

	if (!gk || nlc_batch_init(c, &b, 1 << 20)) {
		free(gk);
		return -1;
	}
	for (i = 0; i < CPNS_GKDK_MAX; i++) {
		gk[15] = i;
		if (nlc_gkdk_set(c, gk, len))
			errs++;
	}
	for (id = 1; id <= groups; id++) {
		nlc_batch_msg(c, &b, CPNS_CMD_GROUP_NEW);
		nlc_batch_u32(&b, CPNS_A_GROUP_ID, id);
		/*
		 * Both epochs stay until the caller counts them: with the
		 * default 30 s grace a slow kernel (KASAN, lockdep) retires
		 * the first groups' epoch 1 while the rest are installed.
		 */
		nlc_batch_u32(&b, CPNS_A_GROUP_GRACE, 3600);
		if (id % lifetime_every == 0)
			nlc_batch_u32(&b, CPNS_A_GROUP_LIFETIME, lifetime);
		if (b.n == 2000)
			errs += nlc_batch_flush(c, &b);
	}
	errs += nlc_batch_flush(c, &b);
	for (e = 1; e <= 2; e++) {
		for (id = 1; id <= groups; id++) {
			nlc_fill_key(key, id * 2 + e);
			nlc_batch_msg(c, &b, CPNS_CMD_KEY_INSTALL);
			nlc_batch_u32(&b, CPNS_A_KEY_GROUP_ID, id);
			nlc_batch_u64(&b, CPNS_A_KEY_EPOCH, e);
			nlc_batch_attr(&b, CPNS_A_KEY_PLAIN, key, sizeof(key));
			if (b.n == 1000)
				errs += nlc_batch_flush(c, &b);
		}
		errs += nlc_batch_flush(c, &b);
	}
	nlc_batch_free(&b);
	free(gk);
	return errs;
}

#endif /* CPNS_NL_COMMON_H */
