// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl's side of cpnsd's control socket: what only the daemon holds
 * (PNEs, the key material set, sessions) is asked of it, not the module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"

/**
 * cpnsctl_ctl_connect() - connect to cpnsd on first use
 * @ctl: the tool
 *
 * The socket is CPNSD_CONTROL's, else /run/cpnsd/control.  A batch
 * keeps one connection for all its lines.
 *
 * Return: EXIT_OK, or EXIT_FAIL after printing why.
 */
int cpnsctl_ctl_connect(struct cpnsctl *ctl)
{
	const char *path = cpns_ctl_path();
	int ret;

	if (ctl->ctlsock)
		return EXIT_OK;
	ctl->ctlsock = calloc(1, sizeof(*ctl->ctlsock));
	if (!ctl->ctlsock) {
		cpnsctl_err("%s", strerror(ENOMEM));
		return EXIT_FAIL;
	}
	ret = cpns_ctl_open(ctl->ctlsock, path);
	if (!ret)
		return EXIT_OK;
	free(ctl->ctlsock);
	ctl->ctlsock = NULL;
	if (ret == -ENOENT)
		cpnsctl_err("cpnsd is not running (no %s)", path);
	else if (ret == -ECONNREFUSED)
		cpnsctl_err("cpnsd is not running (nothing listens on %s)",
			    path);
	else if (ret == -EACCES || ret == -EPERM)
		cpnsctl_err("%s: %s (cpnsd answers root only)", path,
			    strerror(-ret));
	else
		cpnsctl_err("%s: %s", path, strerror(-ret));
	return EXIT_FAIL;
}

void cpnsctl_ctl_close(struct cpnsctl *ctl)
{
	if (!ctl->ctlsock)
		return;
	cpns_ctl_close(ctl->ctlsock);
	free(ctl->ctlsock);
	ctl->ctlsock = NULL;
}

/**
 * cpnsctl_ctl_talk() - send a request to cpnsd, print its refusal
 * @ctl: the tool, connected
 * @what: the command, e.g. "pne add"
 * @req: from cpns_ctl_request(ctl->ctlsock, ...)
 * @attrs: argument names of the request's attributes, or NULL
 * @cb: called per reply object (may be NULL)
 * @data: passed to @cb
 *
 * cpnsd closes a connection idle for long (a slow batch): a request
 * that could not be sent at all is sent again on a new connection.
 *
 * Return: EXIT_OK, or EXIT_FAIL after printing cpnsd's reason and the
 * argument at fault.
 */
int cpnsctl_ctl_talk(struct cpnsctl *ctl, const char *what,
		     struct nlmsghdr *req, const struct cpnsctl_attrs *attrs,
		     mnl_cb_t cb, void *data)
{
	struct cpns_ctl *c = ctl->ctlsock;
	const char *arg = NULL, *bad;
	char why[320] = "";
	int ret;

	ret = cpns_ctl_talk(c, req, cb, data);
	if (ret == -EPIPE) {
		cpns_ctl_close(c);
		ret = cpns_ctl_open(c, c->path);
		if (!ret)
			ret = cpns_ctl_talk(c, req, cb, data);
	}
	if (!ret)
		return EXIT_OK;
	bad = take_reply_error();
	if (attrs && c->errattr > 0 && (size_t)c->errattr < attrs->n)
		arg = attrs->names[c->errattr];
	if (ret == -EBADMSG && bad)
		snprintf(why, sizeof(why), ": malformed reply: %s", bad);
	else if (ret == -ECONNRESET && !c->errmsg[0])
		snprintf(why, sizeof(why), ": cpnsd closed the connection");
	else if (c->errmsg[0])
		snprintf(why, sizeof(why), ": %s", c->errmsg);
	if (arg)
		cpnsctl_err("%s: %s%s (argument \"%s\")", what, strerror(-ret),
			    why, arg);
	else
		cpnsctl_err("%s: %s%s", what, strerror(-ret), why);
	return EXIT_FAIL;
}
