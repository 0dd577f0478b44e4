// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd's control protocol (ctl.h): the attribute policies both ends
 * check, and the client cpnsctl and the tests talk through.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "ctl.h"

#define P_U8(n)		{ .name = n, .type = MNL_TYPE_U8 }
#define P_U16(n)	{ .name = n, .type = MNL_TYPE_U16 }
#define P_U32(n)	{ .name = n, .type = MNL_TYPE_U32 }
#define P_U64(n)	{ .name = n, .type = MNL_TYPE_U64 }
#define P_FLAG(n)	{ .name = n, .type = MNL_TYPE_FLAG }
/* Lengths count the terminating NUL. */
#define P_STR(n, lo, hi) \
	{ .name = n, .type = MNL_TYPE_NUL_STRING, .min_len = lo, .max_len = hi }
#define P_BIN(n, lo, hi) \
	{ .name = n, .type = MNL_TYPE_BINARY, .min_len = lo, .max_len = hi }
#define P_NEST(n, set)	{ .name = n, .type = MNL_TYPE_NESTED, .nested = set }
#define SET(n, a)	{ n, a, (int)(sizeof(a) / sizeof(a[0])) - 1 }

static const struct cpns_nl_policy stats_attrs[__CPNS_CTL_S_MAX] = {
	[CPNS_CTL_S_SESSIONS] = P_U64("sessions"),
	[CPNS_CTL_S_HANDSHAKE_FAILED] = P_U64("handshake-failed"),
	[CPNS_CTL_S_HANDSHAKE_TIMEOUT] = P_U64("handshake-timeout"),
	[CPNS_CTL_S_IDLE_TIMEOUT] = P_U64("idle-timeout"),
	[CPNS_CTL_S_MALFORMED] = P_U64("malformed"),
	[CPNS_CTL_S_TOO_BIG] = P_U64("too-big"),
	[CPNS_CTL_S_SESSION_LIMIT] = P_U64("session-limit"),
	[CPNS_CTL_S_RATE_LIMIT] = P_U64("rate-limit"),
	[CPNS_CTL_S_UNKNOWN_PNE] = P_U64("unknown-pne"),
	[CPNS_CTL_S_REVOKED_PNE] = P_U64("revoked-pne"),
	[CPNS_CTL_S_GKDK_ASSIGNED] = P_U64("gkdk-assigned"),
	[CPNS_CTL_S_GKDK_INSTALLED] = P_U64("gkdk-installed"),
};

const struct cpns_nl_policy_set cpns_ctl_stats_policy =
	SET("stats", stats_attrs);

/*
 * STATS is a flag in a request and a nest in a reply: the reply's shape
 * is here; cpnsd checks the flag by the command's own table.
 */
static const struct cpns_nl_policy ctl_attrs[__CPNS_CTL_A_MAX] = {
	[CPNS_CTL_A_ERRMSG] = P_STR("errmsg", 1, 0),
	[CPNS_CTL_A_ERRATTR] = P_U16("errattr"),
	[CPNS_CTL_A_PNE_ID] = P_STR("pne-id", 2, CPNS_CTL_PNE_ID_MAX + 1),
	[CPNS_CTL_A_EU_KEY_FILE] = P_STR("eu-key-file", 2,
					 CPNS_CTL_PATH_MAX),
	[CPNS_CTL_A_PNE_STATE] = P_U8("pne-state"),
	[CPNS_CTL_A_SLOT] = P_U32("slot"),
	[CPNS_CTL_A_SET_ID] = P_U32("set-id"),
	[CPNS_CTL_A_HEIGHT] = P_U8("height"),
	[CPNS_CTL_A_GATEWAY_ID] = P_U64("gateway-id"),
	[CPNS_CTL_A_SLOTS_FREE] = P_U32("slots-free"),
	[CPNS_CTL_A_SLOTS_ASSIGNED] = P_U32("slots-assigned"),
	[CPNS_CTL_A_SLOTS_REVOKED] = P_U32("slots-revoked"),
	[CPNS_CTL_A_ROLE] = P_STR("role", 2, 16),
	[CPNS_CTL_A_UPTIME] = P_U64("uptime"),
	[CPNS_CTL_A_PEER] = P_STR("peer", 1, 128),
	[CPNS_CTL_A_PEER_STATE] = P_STR("peer-state", 2, 32),
	[CPNS_CTL_A_STATS] = P_NEST("stats", &cpns_ctl_stats_policy),
	[CPNS_CTL_A_ASSIGNED_AT] = P_U64("assigned-at"),
	[CPNS_CTL_A_FINGERPRINT] = P_BIN("fingerprint", 8, 8),
	[CPNS_CTL_A_VERSION] = P_STR("version", 2, 32),
	[CPNS_CTL_A_PEER_ID] = P_STR("peer-id", 1, 256),
	[CPNS_CTL_A_SINCE] = P_U64("since"),
	[CPNS_CTL_A_GROUP] = P_U32("group"),
	[CPNS_CTL_A_GATEWAY] = P_STR("gateway", 2, CPNS_CTL_PNE_ID_MAX + 1),
	[CPNS_CTL_A_EPOCH] = P_U64("epoch"),
	[CPNS_CTL_A_VALID_FROM] = P_U64("valid-from"),
	[CPNS_CTL_A_VALID_UNTIL] = P_U64("valid-until"),
	[CPNS_CTL_A_CREATED] = P_U64("created"),
	[CPNS_CTL_A_DELIVERY] = P_U8("delivery"),
	[CPNS_CTL_A_STATUS] = P_U16("status"),
	[CPNS_CTL_A_ACKED_AT] = P_U64("acked-at"),
};

const struct cpns_nl_policy_set cpns_ctl_policy = SET("control", ctl_attrs);

/* CPNSD_CONTROL if set, else the daemon's fixed path. */
const char *cpns_ctl_path(void)
{
	const char *p = getenv(CPNS_CTL_ENV);

	return p && *p ? p : CPNS_CTL_PATH;
}

/**
 * cpns_ctl_open() - connect to cpnsd's control socket
 * @c: the client
 * @path: the socket, e.g. cpns_ctl_path()
 *
 * Return: 0, or -errno: -ENOENT (no socket) and -ECONNREFUSED (nobody
 * listens) mean cpnsd is not running; -EACCES that we are not root.
 */
int cpns_ctl_open(struct cpns_ctl *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CPNS_CTL_TIMEOUT_SEC };
	int ret;

	c->fd = -1;
	c->errmsg[0] = '\0';
	c->errattr = 0;
	c->seq = (uint32_t)time(NULL);
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	strcpy(c->path, path);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/* A wedged daemon must not hang cpnsctl (or a batch) for ever. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		ret = -errno;
		cpns_ctl_close(c);
		return ret;
	}
	return 0;
}

void cpns_ctl_close(struct cpns_ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/**
 * cpns_ctl_request() - start a request in the client's buffer
 * @c: the client
 * @cmd: a CPNS_CTL_CMD_*
 * @flags: NLM_F_* beyond NLM_F_REQUEST (NLM_F_DUMP for a listing)
 *
 * Return: the message, to which the caller adds attributes.
 */
struct nlmsghdr *cpns_ctl_request(struct cpns_ctl *c, uint8_t cmd,
				  uint16_t flags)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(c->req);
	nlh->nlmsg_type = CPNS_CTL_TYPE;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++c->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = CPNS_CTL_VERSION;
	return nlh;
}

/* NLMSG_ERROR: cpnsd's errno, its reason and the attribute at fault. */
static int error_msg(struct cpns_ctl *c, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) || e->error > 0 ||
	    e->error < -4095)
		return -EBADMSG;
	mnl_attr_for_each(a, nlh, sizeof(*e)) {
		if (mnl_attr_get_type(a) == CPNS_CTL_A_ERRMSG &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(c->errmsg, sizeof(c->errmsg), "%s",
				 mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == CPNS_CTL_A_ERRATTR &&
			 !mnl_attr_validate(a, MNL_TYPE_U16))
			c->errattr = mnl_attr_get_u16(a);
	}
	return e->error;
}

/**
 * cpns_ctl_talk() - send a request, hand each reply object to @cb
 * @c: the client
 * @req: from cpns_ctl_request()
 * @cb: called per reply object (may be NULL)
 * @data: passed to @cb
 *
 * Reads to the request's NLMSG_DONE or NLMSG_ERROR; after an error
 * c->errmsg and c->errattr say what cpnsd said.  A reply that is no
 * well-formed message is -EBADMSG; cpnsd closing the connection before
 * it answered is -ECONNRESET.
 *
 * Return: 0 or -errno.
 */
int cpns_ctl_talk(struct cpns_ctl *c, struct nlmsghdr *req, mnl_cb_t cb,
		  void *data)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)c->buf;
	int cb_err = 0;
	ssize_t n;

	c->errmsg[0] = '\0';
	c->errattr = 0;
	if (send(c->fd, req, req->nlmsg_len, MSG_NOSIGNAL) < 0)
		return -errno;
	for (;;) {
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_TRUNC);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		/* One message per packet, nothing after it. */
		if ((size_t)n > sizeof(c->buf) || !mnl_nlmsg_ok(nlh, (int)n) ||
		    nlh->nlmsg_len != (uint32_t)n)
			return -EBADMSG;
		if (nlh->nlmsg_seq != req->nlmsg_seq)
			continue;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			return error_msg(c, nlh);
		case NLMSG_DONE:
			return cb_err;
		case CPNS_CTL_TYPE:
			/* After a refused object, read on to DONE. */
			if (!cb || cb_err)
				break;
			if (cb(nlh, data) == MNL_CB_ERROR)
				cb_err = errno ? -errno : -EIO;
			break;
		default:
			return -EBADMSG;
		}
	}
}
