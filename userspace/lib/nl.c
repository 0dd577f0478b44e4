// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink client for the cpns family, on libmnl: family
 * resolution through the controller, request/reply with the kernel's
 * extended ack message kept for the caller to print.
 */
#include <errno.h>
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

/* NLMSG_ERROR: keep the extack text, turn the code into errno. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	char *extack = data;
	const struct nlattr *a;
	unsigned int off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;

	if (extack && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(err->msg);
		mnl_attr_for_each(a, nlh, off) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
				strncpy(extack, mnl_attr_get_str(a), 255);
				extack[255] = '\0';
			}
		}
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	/* A dump that failed part-way reports its error in DONE. */
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)) && *err < 0) {
		errno = -*err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/*
 * Send @req and read until its ACK, DONE or error.  Messages of other
 * requests (a late reply to an earlier one) are skipped by sequence number.
 */
static int talk(struct mnl_socket *sock, char *buf, struct nlmsghdr *req,
		mnl_cb_t cb, void *data, char *extack)
{
	uint32_t portid = mnl_socket_get_portid(sock);
	struct nlmsghdr *nlh;
	int ret = MNL_CB_OK;
	int n;

	if (extack)
		extack[0] = '\0';
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
				ret = error_cb(nlh, extack);
				break;
			case NLMSG_DONE:
				ret = done_cb(nlh);
				break;
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				break;
			default:
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
					errno = EINTR;
					ret = MNL_CB_ERROR;
				} else if (cb) {
					ret = cb(nlh, data);
				}
			}
		}
	}

	return ret == MNL_CB_ERROR ? -errno : 0;
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
	if (!nl->buf)
		return -ENOMEM;
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
	nl->sock = NULL;
	nl->buf = NULL;
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

	nlh = mnl_nlmsg_put_header(nl->buf);
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
 * A dump that raced a change fails with -EINTR: the caller retries.
 *
 * Return: 0 or -errno.
 */
int cpns_nl_talk(struct cpns_nl *nl, struct nlmsghdr *req,
		 mnl_cb_t cb, void *data)
{
	return talk(nl->sock, nl->buf, req, cb, data, nl->extack);
}
