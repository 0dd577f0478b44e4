// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink client for the cpns family, on libmnl: family
 * resolution through the controller, request/reply with the kernel's
 * extended ack message kept for the caller to print.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/cpns.h>

#include "nl.h"

struct resolve {
	const char *mcgrp;
	uint16_t id;
	uint32_t version;
	uint32_t mcgrp_id;
};

static int mcgrp_cb(const struct nlattr *grp, struct resolve *r)
{
	struct nlattr *a, *name = NULL, *id = NULL;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = a;
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = a;
	}
	if (name && id && r->mcgrp &&
	    strcmp(mnl_attr_get_str(name), r->mcgrp) == 0)
		r->mcgrp_id = mnl_attr_get_u32(id);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct resolve *r = data;
	struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
				r->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				r->version = mnl_attr_get_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				mcgrp_cb(g, r);
			break;
		}
	}
	return MNL_CB_OK;
}

/* What the kernel said about a refused request. */
struct ext_ack {
	char *msg;		/* 256 bytes */
	uint32_t *bad_off;	/* offset of the attribute at fault */
	uint32_t *miss_type;	/* type of the missing attribute */
};

/* NLMSG_ERROR: keep the extack, turn the code into errno. */
static int error_cb(const struct nlmsghdr *nlh, struct ext_ack *ea)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;

	if (ea && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		off = sizeof(*err);
		/* The echoed request, unless capped: its length is untrusted. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (err->msg.nlmsg_len < sizeof(err->msg) ||
			    err->msg.nlmsg_len - sizeof(err->msg) >
			    nlh->nlmsg_len - mnl_nlmsg_size(sizeof(*err)))
				goto out;
			off += err->msg.nlmsg_len - sizeof(err->msg);
		}
		mnl_attr_for_each(a, nlh, off) {
			switch (mnl_attr_get_type(a)) {
			case NLMSGERR_ATTR_MSG:
				if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
					break;
				strncpy(ea->msg, mnl_attr_get_str(a), 255);
				ea->msg[255] = '\0';
				break;
			case NLMSGERR_ATTR_OFFS:
				if (!mnl_attr_validate(a, MNL_TYPE_U32))
					*ea->bad_off = mnl_attr_get_u32(a);
				break;
			case NLMSGERR_ATTR_MISS_TYPE:
				if (!mnl_attr_validate(a, MNL_TYPE_U32))
					*ea->miss_type = mnl_attr_get_u32(a);
				break;
			}
		}
	}
out:
	errno = -err->error;
	return MNL_CB_ERROR;
}

/* A dump that failed reports its error, and its extack, in DONE. */
static int done_cb(const struct nlmsghdr *nlh, struct ext_ack *ea)
{
	const int *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(int)) || *err >= 0)
		return MNL_CB_STOP;
	if (ea && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		mnl_attr_for_each(a, nlh, sizeof(int)) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING)) {
				strncpy(ea->msg, mnl_attr_get_str(a), 255);
				ea->msg[255] = '\0';
			}
		}
	}
	errno = -*err;
	return MNL_CB_ERROR;
}

/*
 * Send @req and read until its ACK, DONE or error.  Messages of other
 * requests (a late reply to an earlier one) are skipped by sequence number.
 */
static int talk(struct mnl_socket *sock, char *buf, struct nlmsghdr *req,
		mnl_cb_t cb, void *data, struct ext_ack *ea)
{
	uint32_t portid = mnl_socket_get_portid(sock);
	struct nlmsghdr *nlh;
	int ret = MNL_CB_OK;
	bool intr = false;
	int cb_err = 0;
	int n;

	if (ea) {
		ea->msg[0] = '\0';
		*ea->bad_off = 0;
		*ea->miss_type = 0;
	}
	if (mnl_socket_sendto(sock, req, req->nlmsg_len) < 0)
		return -errno;

	while (ret > MNL_CB_STOP) {
		n = (int)mnl_socket_recvfrom(sock, buf, CPNS_NL_BUFSIZE);
		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf;
		     mnl_nlmsg_ok(nlh, n) && ret > MNL_CB_STOP;
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    nlh->nlmsg_pid != portid)
				continue;
			switch (nlh->nlmsg_type) {
			case NLMSG_ERROR:
				ret = error_cb(nlh, ea);
				break;
			case NLMSG_DONE:
				intr |= nlh->nlmsg_flags & NLM_F_DUMP_INTR;
				ret = done_cb(nlh, ea);
				break;
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				break;
			default:
				/*
				 * Read an interrupted or failed dump to its
				 * end, so the socket is clean for the next
				 * request, but stop handing it to @cb.
				 */
				intr |= nlh->nlmsg_flags & NLM_F_DUMP_INTR;
				if (!cb || intr || cb_err)
					break;
				ret = cb(nlh, data);
				if (ret == MNL_CB_ERROR &&
				    (nlh->nlmsg_flags & NLM_F_MULTI)) {
					cb_err = errno ? errno : EIO;
					ret = MNL_CB_OK;
				}
			}
		}
	}

	if (ret == MNL_CB_ERROR)
		return -errno;
	if (cb_err)
		return -cb_err;
	return intr ? -EAGAIN : 0;
}

/**
 * cpns_nl_resolve_family() - look a generic netlink family up by name
 * @sock: a bound NETLINK_GENERIC socket
 * @name: the family name
 * @id: out, the family id
 * @version: out, the family version (may be NULL)
 * @mcgrp: multicast group to look up (may be NULL)
 * @mcgrp_id: out, its id, 0 if absent (may be NULL)
 *
 * Return: 0, or -ENOENT when the family is not registered, or -errno.
 */
int cpns_nl_resolve_family(struct mnl_socket *sock, const char *name,
			   uint16_t *id, uint32_t *version,
			   const char *mcgrp, uint32_t *mcgrp_id)
{
	struct resolve r = { .mcgrp = mcgrp };
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	char *buf;
	int ret;

	buf = malloc(CPNS_NL_BUFSIZE);
	if (!buf)
		return -ENOMEM;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);

	ret = talk(sock, buf, nlh, family_cb, &r, NULL);
	free(buf);
	if (ret)
		return ret;
	if (!r.id)
		return -ENOENT;
	*id = r.id;
	if (version)
		*version = r.version;
	if (mcgrp_id)
		*mcgrp_id = r.mcgrp_id;
	return 0;
}

/**
 * cpns_nl_open() - open a socket to the cpns family of this namespace
 * @nl: the client to set up
 *
 * Return: 0, -ENOENT when cpns.ko is not loaded, or -errno.
 */
int cpns_nl_open(struct cpns_nl *nl)
{
	int one = 1;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(CPNS_NL_BUFSIZE);
	nl->req = malloc(CPNS_NL_REQSIZE);
	if (!nl->buf || !nl->req) {
		ret = -ENOMEM;
		goto err;
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		ret = -errno;
		goto err;
	}
	/* Best effort: older kernels lack these; errors are then bare. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);

	ret = cpns_nl_resolve_family(nl->sock, CPNS_FAMILY_NAME,
				     &nl->family_id, &nl->family_version,
				     CPNS_MCGRP_EVENTS, &nl->mcgrp_events);
	if (ret)
		goto err;
	return 0;
err:
	cpns_nl_close(nl);
	return ret;
}

void cpns_nl_close(struct cpns_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl->req);
	nl->sock = NULL;
	nl->buf = NULL;
	nl->req = NULL;
}

/**
 * cpns_nl_request() - start a cpns request in the client's buffer
 * @nl: the client
 * @cmd: a CPNS_CMD_*
 * @flags: NLM_F_* beyond NLM_F_REQUEST | NLM_F_ACK (e.g. NLM_F_DUMP)
 *
 * Return: the message, to which the caller adds attributes.
 */
struct nlmsghdr *cpns_nl_request(struct cpns_nl *nl, uint8_t cmd,
				 uint16_t flags)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(nl->req);
	nlh->nlmsg_type = nl->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = CPNS_FAMILY_VERSION;
	return nlh;
}

/**
 * cpns_nl_talk() - send a request and run @cb on each reply message
 * @nl: the client
 * @req: from cpns_nl_request()
 * @cb: called per reply message (may be NULL)
 * @data: passed to @cb
 *
 * On failure nl->extack holds the kernel's explanation, if it gave one.
 * A dump that raced a change fails with -EAGAIN: see cpns_nl_dump().
 *
 * Return: 0 or -errno.
 */
int cpns_nl_talk(struct cpns_nl *nl, struct nlmsghdr *req,
		 mnl_cb_t cb, void *data)
{
	struct ext_ack ea = {
		.msg = nl->extack,
		.bad_off = &nl->extack_off,
		.miss_type = &nl->extack_miss,
	};

	return talk(nl->sock, nl->buf, req, cb, data, &ea);
}

/**
 * cpns_nl_bad_attr() - the attribute the kernel blamed for the last error
 * @nl: the client
 * @req: the refused request
 *
 * Return: the attribute's type, searching one level of nesting (its
 * nest's type goes to @nest), or 0 when the kernel named none.
 */
int cpns_nl_bad_attr(const struct cpns_nl *nl, const struct nlmsghdr *req,
		     int *nest)
{
	const struct nlattr *a, *n;
	const char *base = (const char *)req;

	*nest = 0;
	if (!nl->extack_off || nl->extack_off >= req->nlmsg_len)
		return 0;
	mnl_attr_for_each(a, req, sizeof(struct genlmsghdr)) {
		if ((const char *)a - base == (long)nl->extack_off)
			return mnl_attr_get_type(a);
		if (!(a->nla_type & NLA_F_NESTED) &&
		    mnl_attr_get_type(a) != CPNS_A_GROUP_SELECTOR)
			continue;
		mnl_attr_for_each_nested(n, a) {
			if ((const char *)n - base == (long)nl->extack_off) {
				*nest = mnl_attr_get_type(a);
				return mnl_attr_get_type(n);
			}
		}
	}
	return 0;
}

struct stash {
	char *buf;
	size_t len, cap;
};

static int stash_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stash *st = data;
	char *p;

	if (st->len + nlh->nlmsg_len > st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 65536;

		while (cap < st->len + nlh->nlmsg_len)
			cap *= 2;
		p = realloc(st->buf, cap);
		if (!p) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		st->buf = p;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, nlh, nlh->nlmsg_len);
	st->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return MNL_CB_OK;
}

/**
 * cpns_nl_dump() - run a dump, then hand each object to @cb
 * @nl: the client
 * @req: from cpns_nl_request(..., NLM_F_DUMP)
 * @cb: called per object, once the whole dump has arrived
 * @data: passed to @cb
 *
 * The kernel flags a dump that raced a change with NLM_F_DUMP_INTR; its
 * output may miss or repeat objects.  So the objects are kept until the
 * dump completes and only then given to @cb: a raced attempt is thrown
 * away whole and the dump redone, and @cb never sees an object twice.
 *
 * Return: 0 or -errno; -EAGAIN after ten raced attempts.
 */
int cpns_nl_dump(struct cpns_nl *nl, struct nlmsghdr *req, mnl_cb_t cb,
		 void *data)
{
	struct stash st = { 0 };
	struct nlmsghdr *nlh;
	int tries, ret = -EAGAIN;
	size_t off;

	for (tries = 0; tries < 10 && ret == -EAGAIN; tries++) {
		st.len = 0;
		req->nlmsg_seq = ++nl->seq;
		ret = cpns_nl_talk(nl, req, stash_cb, &st);
	}
	for (off = 0; !ret && off < st.len;
	     off += NLMSG_ALIGN(nlh->nlmsg_len)) {
		nlh = (struct nlmsghdr *)(st.buf + off);
		if (cb(nlh, data) == MNL_CB_ERROR)
			ret = errno ? -errno : -EIO;
	}
	free(st.buf);
	return ret;
}

/**
 * cpns_nl_subscribe() - join the family's event multicast group
 * @nl: the client
 *
 * Return: 0, -ENOENT when the family has no event group, or -errno
 * (-EPERM without CAP_NET_ADMIN).
 */
int cpns_nl_subscribe(struct cpns_nl *nl)
{
	int grp = (int)nl->mcgrp_events;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

/**
 * cpns_nl_recv_events() - read one batch of events, run @cb on each
 * @nl: a subscribed client
 * @cb: called per event; MNL_CB_STOP or MNL_CB_ERROR end the batch
 * @data: passed to @cb
 *
 * Return: 1 to go on, 0 when @cb stopped, or -errno (-ENOBUFS: events
 * were lost because the reader fell behind).
 */
int cpns_nl_recv_events(struct cpns_nl *nl, mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh;
	int n, ret = MNL_CB_OK;

	n = (int)mnl_socket_recvfrom(nl->sock, nl->buf, CPNS_NL_BUFSIZE);
	if (n < 0)
		return -errno;
	for (nlh = (struct nlmsghdr *)nl->buf;
	     mnl_nlmsg_ok(nlh, n) && ret > MNL_CB_STOP;
	     nlh = mnl_nlmsg_next(nlh, &n))
		if (nlh->nlmsg_type == nl->family_id)
			ret = cb(nlh, data);
	if (ret == MNL_CB_ERROR)
		return -errno ? -errno : -EIO;
	return ret == MNL_CB_STOP ? 0 : 1;
}

/* Reply policies: what cpns.ko puts in each attribute (kmod/netlink.c). */
#define P_U8(n)		{ .name = n, .type = MNL_TYPE_U8 }
#define P_U16(n)	{ .name = n, .type = MNL_TYPE_U16 }
#define P_U32(n)	{ .name = n, .type = MNL_TYPE_U32 }
#define P_U64(n)	{ .name = n, .type = MNL_TYPE_U64 }
#define P_STR(n)	{ .name = n, .type = MNL_TYPE_NUL_STRING }
#define P_BIN(n, lo, hi) \
	{ .name = n, .type = MNL_TYPE_BINARY, .min_len = lo, .max_len = hi }
#define P_NEST(n, set)	{ .name = n, .type = MNL_TYPE_NESTED, .nested = set }
#define SET(n, a)	{ n, a, (int)(sizeof(a) / sizeof(a[0])) - 1 }

static const struct cpns_nl_policy list_attrs[CPNS_A_LIST_MAX + 1] = {
	[CPNS_A_LIST_ITEM] = P_U32("item"),
};

static const struct cpns_nl_policy_set list_policy = SET("list", list_attrs);

static const struct cpns_nl_policy info_attrs[CPNS_A_INFO_MAX + 1] = {
	[CPNS_A_INFO_VERSION] = P_STR("version"),
	[CPNS_A_INFO_FAMILY_VERSION] = P_U32("family-version"),
	[CPNS_A_INFO_SCHEMES] = P_NEST("schemes", &list_policy),
	[CPNS_A_INFO_CIPHERS] = P_NEST("ciphers", &list_policy),
	[CPNS_A_INFO_MAX_TREE_HEIGHT] = P_U32("max-tree-height"),
	[CPNS_A_INFO_NETNS_COOKIE] = P_U64("netns-cookie"),
	[CPNS_A_INFO_FASTPATH_AEAD] = P_STR("fastpath-aead"),
};

const struct cpns_nl_policy_set cpns_nl_info_policy = SET("info", info_attrs);

static const struct cpns_nl_policy gkdk_attrs[CPNS_A_GKDK_MAX + 1] = {
	[CPNS_A_GKDK_GATEWAY_ID] = P_U64("gateway-id"),
	[CPNS_A_GKDK_SCHEME] = P_U32("scheme"),
	[CPNS_A_GKDK_HEIGHT] = P_U32("height"),
	[CPNS_A_GKDK_SLOT] = P_U32("slot"),
	[CPNS_A_GKDK_SET_ID] = P_U32("set-id"),
	[CPNS_A_GKDK_FINGERPRINT] = P_BIN("fingerprint", CPNS_FINGERPRINT_LEN,
					  CPNS_FINGERPRINT_LEN),
};

const struct cpns_nl_policy_set cpns_nl_gkdk_policy = SET("gkdk", gkdk_attrs);

static const struct cpns_nl_policy selector_attrs[CPNS_A_SELECTOR_MAX + 1] = {
	[CPNS_A_SELECTOR_FAMILY] = P_U16("family"),
	/* 4 or 16 bytes: which one the family says, checked where read. */
	[CPNS_A_SELECTOR_DADDR] = P_BIN("daddr", 4, 16),
	[CPNS_A_SELECTOR_PREFIX_LEN] = P_U8("prefix-len"),
	[CPNS_A_SELECTOR_DPORT] = P_U16("dport"),
};

static const struct cpns_nl_policy_set selector_policy =
	SET("selector", selector_attrs);

static const struct cpns_nl_policy group_attrs[CPNS_A_GROUP_MAX + 1] = {
	[CPNS_A_GROUP_ID] = P_U32("id"),
	[CPNS_A_GROUP_GRACE] = P_U32("grace"),
	[CPNS_A_GROUP_LIFETIME] = P_U32("lifetime"),
	[CPNS_A_GROUP_REPLAY_WINDOW] = P_U32("replay-window"),
	[CPNS_A_GROUP_EXPIRY_NOTICE] = P_U32("expiry-notice"),
	[CPNS_A_GROUP_SELECTOR] = P_NEST("selector", &selector_policy),
	[CPNS_A_GROUP_CURRENT_EPOCH] = P_U64("current-epoch"),
	[CPNS_A_GROUP_PREVIOUS_EPOCH] = P_U64("previous-epoch"),
};

const struct cpns_nl_policy_set cpns_nl_group_policy =
	SET("group", group_attrs);

static const struct cpns_nl_policy key_attrs[CPNS_A_KEY_MAX + 1] = {
	[CPNS_A_KEY_GROUP_ID] = P_U32("group-id"),
	[CPNS_A_KEY_EPOCH] = P_U64("epoch"),
	[CPNS_A_KEY_STATE] = P_U32("state"),
	[CPNS_A_KEY_SOURCE] = P_U32("source"),
	[CPNS_A_KEY_INSTALLED] = P_U64("installed"),
	[CPNS_A_KEY_EXPIRES] = P_U64("expires"),
	[CPNS_A_KEY_FINGERPRINT] = P_BIN("fingerprint", CPNS_FINGERPRINT_LEN,
					 CPNS_FINGERPRINT_LEN),
	[CPNS_A_KEY_RETIRE_REASON] = P_U32("retire-reason"),
	[CPNS_A_KEY_GATEWAY_ID] = P_U64("gateway-id"),
};

const struct cpns_nl_policy_set cpns_nl_key_policy = SET("key", key_attrs);

static const struct cpns_nl_policy stats_attrs[CPNS_A_STATS_MAX + 1] = {
	[CPNS_A_STATS_GROUP_ID] = P_U32("group-id"),
	[CPNS_A_STATS_GROUPS] = P_U64("groups"),
	[CPNS_A_STATS_KEYS] = P_U64("keys"),
	[CPNS_A_STATS_GKDKS] = P_U64("gkdks"),
	[CPNS_A_STATS_INSTALLS] = P_U64("installs"),
	[CPNS_A_STATS_INSTALLS_REPEATED] = P_U64("installs-repeated"),
	[CPNS_A_STATS_REFUSED_STALE] = P_U64("refused-stale"),
	[CPNS_A_STATS_REFUSED_CONFLICT] = P_U64("refused-conflict"),
	[CPNS_A_STATS_REFUSED_MALFORMED] = P_U64("refused-malformed"),
	[CPNS_A_STATS_REFUSED_NO_GKDK] = P_U64("refused-no-gkdk"),
	[CPNS_A_STATS_REFUSED_NOT_MEMBER] = P_U64("refused-not-member"),
	[CPNS_A_STATS_REFUSED_EXPIRED] = P_U64("refused-expired"),
	[CPNS_A_STATS_DECRYPT_FAILURES] = P_U64("decrypt-failures"),
	[CPNS_A_STATS_RETIRED] = P_U64("retired"),
	[CPNS_A_STATS_EXPIRIES] = P_U64("expiries"),
	[CPNS_A_STATS_KEY_MISSING] = P_U64("key-missing"),
	[CPNS_A_STATS_TX_SEALED] = P_U64("tx-sealed"),
	[CPNS_A_STATS_TX_NO_KEY] = P_U64("tx-no-key"),
	[CPNS_A_STATS_TX_DROPPED] = P_U64("tx-dropped"),
	[CPNS_A_STATS_RX_OPENED] = P_U64("rx-opened"),
	[CPNS_A_STATS_RX_MALFORMED] = P_U64("rx-malformed"),
	[CPNS_A_STATS_RX_AUTH_FAILED] = P_U64("rx-auth-failed"),
	[CPNS_A_STATS_RX_REPLAYED] = P_U64("rx-replayed"),
	[CPNS_A_STATS_RX_DROPPED] = P_U64("rx-dropped"),
	[CPNS_A_STATS_FWD_VERIFIED] = P_U64("fwd-verified"),
};

const struct cpns_nl_policy_set cpns_nl_stats_policy =
	SET("stats", stats_attrs);

/* Why an attribute is refused, or NULL. */
static const char *check_attr(const struct nlattr *a,
			      const struct cpns_nl_policy *p, char *why,
			      size_t why_len, int depth);

/*
 * Check and index a run of attributes.  A nest's members are checked
 * here too (with @tb NULL), so one refusal covers the whole reply.
 */
static int parse_stream(const void *start, int len,
			const struct cpns_nl_policy_set *pol,
			const struct nlattr **tb, char *why, size_t why_len,
			int depth)
{
	const struct nlattr *a = start;
	const struct cpns_nl_policy *p;
	const char *err;
	int t;

	if (tb)
		memset(tb, 0, ((size_t)pol->max + 1) * sizeof(*tb));
	for (; mnl_attr_ok(a, len); len -= (int)MNL_ALIGN(a->nla_len),
	     a = mnl_attr_next(a)) {
		t = mnl_attr_get_type(a);
		/* Newer modules may add attributes: skip what we do not know. */
		if (t > pol->max || pol->attrs[t].type == MNL_TYPE_UNSPEC)
			continue;
		p = &pol->attrs[t];
		err = check_attr(a, p, why, why_len, depth);
		if (err) {
			if (why && err != why)
				snprintf(why, why_len,
					 "%s attribute \"%s\" (%d) of %u bytes: %s",
					 pol->name, p->name, t,
					 mnl_attr_get_payload_len(a), err);
			return -EBADMSG;
		}
		if (tb)
			tb[t] = a;
	}
	/* A truncated attribute or trailing bytes: the kernel sends neither. */
	if (len > 0) {
		if (why)
			snprintf(why, why_len,
				 "%s attributes: %d bytes left that are no attribute",
				 pol->name, len);
		return -EBADMSG;
	}
	return 0;
}

static const char *check_attr(const struct nlattr *a,
			      const struct cpns_nl_policy *p, char *why,
			      size_t why_len, int depth)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (p->type) {
	case MNL_TYPE_U8:
	case MNL_TYPE_U16:
	case MNL_TYPE_U32:
	case MNL_TYPE_U64:
	case MNL_TYPE_FLAG:
		/* mnl_attr_validate() demands the type's exact size. */
		return mnl_attr_validate(a, p->type) ? "wrong size" : NULL;
	case MNL_TYPE_NUL_STRING:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			return "not a NUL-terminated string";
		break;
	case MNL_TYPE_NESTED:
		/* Bounded: a reply nests one level; refuse silly depths. */
		if (depth >= 4)
			return "nested too deep";
		if (parse_stream(mnl_attr_get_payload(a), len, p->nested, NULL,
				 why, why_len, depth + 1))
			return why ? why : "bad member";
		return NULL;
	case MNL_TYPE_BINARY:
		break;
	default:
		return "unexpected type";
	}
	if (len < p->min_len)
		return "too short";
	if (p->max_len && len > p->max_len)
		return "too long";
	return NULL;
}

/**
 * cpns_nl_parse() - validate a cpns message and index its attributes
 * @nlh: a reply or an event of the cpns family
 * @pol: the attribute set it carries
 * @tb: out, @pol->max + 1 entries, NULL where an attribute is absent
 * @why: out, what is wrong when refused (may be NULL)
 * @why_len: its size
 *
 * Every attribute the policy knows is checked, nests to the bottom, before
 * any is read; attributes it does not know are skipped.  On refusal @tb
 * must not be used.
 *
 * Return: 0, or -EBADMSG.
 */
int cpns_nl_parse(const struct nlmsghdr *nlh,
		  const struct cpns_nl_policy_set *pol,
		  const struct nlattr **tb, char *why, size_t why_len)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));

	if (nlh->nlmsg_len < hdr) {
		if (why)
			snprintf(why, why_len, "%s message of %u bytes",
				 pol->name, nlh->nlmsg_len);
		return -EBADMSG;
	}
	return parse_stream((const char *)nlh + hdr,
			    (int)(nlh->nlmsg_len - hdr), pol, tb, why,
			    why_len, 0);
}

/**
 * cpns_nl_parse_nested() - index the members of a nest
 * @nest: a nested attribute cpns_nl_parse() accepted
 * @pol: its member policy
 * @tb: out, @pol->max + 1 entries
 *
 * Return: 0, or -EBADMSG (not after cpns_nl_parse() accepted the nest).
 */
int cpns_nl_parse_nested(const struct nlattr *nest,
			 const struct cpns_nl_policy_set *pol,
			 const struct nlattr **tb)
{
	return parse_stream(mnl_attr_get_payload(nest),
			    mnl_attr_get_payload_len(nest), pol, tb, NULL, 0,
			    0);
}
