// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's link to cpns.ko: requests on one socket, the module's
 * events on a second, and the generic netlink controller's notifications
 * on a third, so that a module unloaded and loaded again (a new family
 * id, new multicast group ids) is noticed and re-joined, as strongSwan
 * re-reads its interfaces when the kernel says they changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "cpnsd.h"
#include "netlink.h"
#include "nl.h"

struct nl_link {
	struct cpnsd *d;
	const struct nl_handlers *h;
	void *arg;
	struct cpns_nl req;		/* requests; open while the module is */
	struct cpns_nl ev;		/* the module's events */
	bool up;
	struct event *ev_read;
	struct mnl_socket *ctrl;	/* nlctrl's notify group */
	struct event *ctrl_read;
	char *ctrl_buf;
};

static void link_down(struct nl_link *l, const char *why)
{
	if (!l->up)
		return;
	l->up = false;
	event_free(l->ev_read);
	l->ev_read = NULL;
	cpns_nl_close(&l->ev);
	cpns_nl_close(&l->req);
	log_warn("module: cpns family gone (%s)", why);
	if (l->h->down)
		l->h->down(l->arg);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link *l = data;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	if (l->h->event)
		l->h->event(l->arg, genl->cmd, nlh);
	return MNL_CB_OK;
}

static void on_events(evutil_socket_t fd, short what, void *arg)
{
	struct nl_link *l = arg;
	int ret;

	(void)fd;
	(void)what;
	do {
		ret = cpns_nl_recv_events(&l->ev, event_cb, l);
	} while (ret > 0 && l->up);
	if (ret == -ENOBUFS) {
		/* Events were lost: the owner must look at the state. */
		log_warn("module: events lost (receive buffer overrun)");
		if (l->h->lost)
			l->h->lost(l->arg);
	} else if (ret < 0 && ret != -EAGAIN) {
		log_err("module: reading events: %s", strerror(-ret));
	}
}

static int link_up(struct nl_link *l)
{
	int ret, fd;

	if (l->up)
		return 0;
	ret = cpns_nl_open(&l->req);
	if (ret)
		return ret;
	ret = cpns_nl_open(&l->ev);
	if (ret)
		goto err_req;
	ret = cpns_nl_subscribe(&l->ev);
	if (ret)
		goto err_ev;
	fd = mnl_socket_get_fd(l->ev.sock);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->ev_read = event_new(l->d->base, fd, EV_READ | EV_PERSIST,
			       on_events, l);
	if (!l->ev_read || event_add(l->ev_read, NULL)) {
		ret = -ENOMEM;
		goto err_event;
	}
	l->up = true;
	log_info("module: cpns family %u version %u, events joined",
		 l->req.family_id, l->req.family_version);
	if (l->h->up)
		l->h->up(l->arg);
	return 0;

err_event:
	if (l->ev_read)
		event_free(l->ev_read);
	l->ev_read = NULL;
err_ev:
	cpns_nl_close(&l->ev);
err_req:
	cpns_nl_close(&l->req);
	return ret;
}

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link *l = data;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const char *name = NULL;

	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*genl))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			name = mnl_attr_get_str(a);
	if (!name || strcmp(name, CPNS_FAMILY_NAME))
		return MNL_CB_OK;
	if (genl->cmd == CTRL_CMD_DELFAMILY) {
		link_down(l, "module unloaded");
	} else if (genl->cmd == CTRL_CMD_NEWFAMILY ||
		   genl->cmd == CTRL_CMD_NEWMCAST_GRP) {
		int ret = link_up(l);

		if (ret)
			log_err("module: cannot join the cpns family: %s",
				strerror(-ret));
	}
	return MNL_CB_OK;
}

static void on_ctrl(evutil_socket_t fd, short what, void *arg)
{
	struct nl_link *l = arg;
	ssize_t n;

	(void)fd;
	(void)what;
	while ((n = mnl_socket_recvfrom(l->ctrl, l->ctrl_buf,
					CPNS_NL_BUFSIZE)) > 0)
		mnl_cb_run(l->ctrl_buf, n, 0, 0, ctrl_cb, l);
	if (n < 0 && errno == ENOBUFS) {
		/*
		 * Lost notifications may hide an unload and a load: the
		 * family id and group could have changed under us, so join
		 * afresh whatever we had.
		 */
		link_down(l, "notifications lost; joining again");
		if (link_up(l))
			log_warn("module: cpns not loaded; waiting for it");
	}
}

int nl_link_open(struct cpnsd *d, const struct nl_handlers *h, void *arg,
		 struct nl_link **out)
{
	struct nl_link *l;
	uint16_t ctrl_id;
	uint32_t grp = 0;
	int ret, fd;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->d = d;
	l->h = h;
	l->arg = arg;
	l->ctrl_buf = malloc(CPNS_NL_BUFSIZE);
	l->ctrl = mnl_socket_open(NETLINK_GENERIC);
	if (!l->ctrl_buf || !l->ctrl) {
		ret = -ENOMEM;
		goto err;
	}
	if (mnl_socket_bind(l->ctrl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	ret = cpns_nl_resolve_family(l->ctrl, "nlctrl", &ctrl_id, NULL,
				     "notify", &grp);
	if (ret || !grp) {
		ret = ret ? ret : -ENOENT;
		goto err;
	}
	if (mnl_socket_setsockopt(l->ctrl, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		ret = -errno;
		goto err;
	}
	fd = mnl_socket_get_fd(l->ctrl);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->ctrl_read = event_new(d->base, fd, EV_READ | EV_PERSIST, on_ctrl,
				 l);
	if (!l->ctrl_read || event_add(l->ctrl_read, NULL)) {
		ret = -ENOMEM;
		goto err;
	}
	*out = l;
	/* Subscribed first: a module loaded from now on is seen. */
	ret = link_up(l);
	if (ret == -ENOENT)
		log_warn("module: cpns not loaded yet; waiting for it");
	else if (ret)
		log_err("module: cannot open the cpns family: %s",
			strerror(-ret));
	return 0;
err:
	nl_link_close(l);
	return ret;
}

void nl_link_close(struct nl_link *l)
{
	if (!l)
		return;
	if (l->up) {
		event_free(l->ev_read);
		cpns_nl_close(&l->ev);
		cpns_nl_close(&l->req);
	}
	if (l->ctrl_read)
		event_free(l->ctrl_read);
	if (l->ctrl)
		mnl_socket_close(l->ctrl);
	free(l->ctrl_buf);
	free(l);
}

bool nl_link_up(const struct nl_link *l)
{
	return l && l->up;
}

static int talk(struct nl_link *l, struct nlmsghdr *req, mnl_cb_t cb,
		void *data, char *err, size_t len)
{
	int ret = cpns_nl_talk(&l->req, req, cb, data);

	if (ret && err)
		snprintf(err, len, "%s%s%s", strerror(-ret),
			 l->req.extack[0] ? ": " : "", l->req.extack);
	return ret;
}

int nl_gkdk_set(struct nl_link *l, const uint8_t *gkdk, size_t gkdk_len,
		char *err, size_t len)
{
	struct nlmsghdr *req;
	int ret;

	if (!l->up) {
		snprintf(err, len, "module not loaded");
		return -ENOENT;
	}
	req = cpns_nl_request(&l->req, CPNS_CMD_GKDK_SET, 0);
	mnl_attr_put(req, CPNS_A_GKDK_DATA, gkdk_len, gkdk);
	ret = talk(l, req, NULL, NULL, err, len);
	/* The request buffer held the GKDK. */
	explicit_bzero(l->req.req, req->nlmsg_len);
	return ret;
}

int nl_gkdk_present(struct nl_link *l, uint64_t gateway_id)
{
	struct nlmsghdr *req;
	int ret;

	if (!l->up)
		return 0;
	req = cpns_nl_request(&l->req, CPNS_CMD_GKDK_GET, 0);
	mnl_attr_put_u64(req, CPNS_A_GKDK_GATEWAY_ID, gateway_id);
	ret = talk(l, req, NULL, NULL, NULL, 0);
	if (ret == -ENOENT)
		return 0;
	return ret ? ret : 1;
}

static int not_up(char *err, size_t len)
{
	if (err)
		snprintf(err, len, "module not loaded");
	return -ENOENT;
}

/*
 * The group must exist before a key can be installed in it.  An operator
 * who wants a traffic selector or another policy creates the group first
 * (`cpnsctl group add`); otherwise it gets the module's defaults.
 */
int nl_group_ensure(struct nl_link *l, uint32_t group, char *err, size_t len)
{
	struct nlmsghdr *req;
	int ret;

	if (!l || !l->up)
		return not_up(err, len);
	req = cpns_nl_request(&l->req, CPNS_CMD_GROUP_NEW, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, group);
	ret = talk(l, req, NULL, NULL, err, len);
	return ret == -EEXIST ? 0 : ret;
}

int nl_key_install_plain(struct nl_link *l, uint32_t group, uint64_t epoch,
			 const uint8_t key[32], uint32_t lifetime, char *err,
			 size_t len)
{
	struct nlmsghdr *req;
	int ret;

	ret = nl_group_ensure(l, group, err, len);
	if (ret)
		return ret;
	req = cpns_nl_request(&l->req, CPNS_CMD_KEY_INSTALL, 0);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, group);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, epoch);
	mnl_attr_put(req, CPNS_A_KEY_PLAIN, 32, key);
	if (lifetime)
		mnl_attr_put_u32(req, CPNS_A_KEY_LIFETIME, lifetime);
	ret = talk(l, req, NULL, NULL, err, len);
	explicit_bzero(l->req.req, req->nlmsg_len);
	return ret;
}

int nl_key_install_wrapped(struct nl_link *l, uint32_t group, uint64_t epoch,
			   const uint8_t *blob, size_t blob_len, char *err,
			   size_t len)
{
	struct nlmsghdr *req;
	int ret;

	ret = nl_group_ensure(l, group, err, len);
	if (ret)
		return ret;
	if (blob_len > CPNS_NL_REQSIZE - 1024) {
		snprintf(err, len, "encrypted Group Key of %zu bytes", blob_len);
		return -EMSGSIZE;
	}
	req = cpns_nl_request(&l->req, CPNS_CMD_KEY_INSTALL, 0);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, group);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, epoch);
	mnl_attr_put(req, CPNS_A_KEY_WRAPPED, blob_len, blob);
	return talk(l, req, NULL, NULL, err, len);
}

static int group_epoch_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1] = { NULL };
	uint64_t *epochs = data;
	char why[128];

	if (cpns_nl_parse(nlh, &cpns_nl_group_policy, tb, why,
			  sizeof(why)) < 0)
		return MNL_CB_ERROR;
	if (tb[CPNS_A_GROUP_CURRENT_EPOCH])
		epochs[0] = mnl_attr_get_u64(tb[CPNS_A_GROUP_CURRENT_EPOCH]);
	if (tb[CPNS_A_GROUP_PREVIOUS_EPOCH])
		epochs[1] = mnl_attr_get_u64(tb[CPNS_A_GROUP_PREVIOUS_EPOCH]);
	return MNL_CB_OK;
}

int nl_group_epochs(struct nl_link *l, uint32_t group, uint64_t *current,
		    uint64_t *previous)
{
	uint64_t e[2] = { 0, 0 };
	struct nlmsghdr *req;
	int ret;

	*current = 0;
	if (previous)
		*previous = 0;
	if (!l || !l->up)
		return -ENOENT;
	req = cpns_nl_request(&l->req, CPNS_CMD_GROUP_GET, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, group);
	ret = talk(l, req, group_epoch_cb, e, NULL, 0);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	*current = e[0];
	if (previous)
		*previous = e[1];
	return 0;
}

int nl_key_current(struct nl_link *l, uint32_t group, uint64_t *epoch)
{
	return nl_group_epochs(l, group, epoch, NULL);
}

int nl_key_del(struct nl_link *l, uint32_t group, uint64_t epoch, char *err,
	       size_t len)
{
	struct nlmsghdr *req;

	if (!l || !l->up)
		return not_up(err, len);
	req = cpns_nl_request(&l->req, CPNS_CMD_KEY_DEL, 0);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, group);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, epoch);
	return talk(l, req, NULL, NULL, err, len);
}
