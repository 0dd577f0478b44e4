// SPDX-License-Identifier: GPL-2.0
/*
 * The connecting side's session, kept open: connect, and after any loss
 * connect again after retry-min, doubling up to retry-max, each wait
 * drawn from [3/4, 5/4] of its value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "roles.h"

struct uplink {
	struct cpnsd *d;
	const struct uplink_ops *ops;
	void *arg;
	char name[16];
	struct config_addr addr;
	struct ssl_ctx_st *ctx;
	struct session *s;		/* connecting or up */
	struct event *retry;
	unsigned int backoff;		/* seconds of the next wait */
	time_t up_since;		/* the session's start, 0: never up */
};

static const struct session_ops uplink_session_ops;

static void connect_now(struct uplink *u)
{
	if (u->s)
		return;
	log_debug("%s %s: connecting", u->name, u->addr.text);
	u->s = session_connect(u->d, (const struct sockaddr *)&u->addr.ss,
			       u->addr.len, u->ctx, NULL,
			       &uplink_session_ops, u);
	if (!u->s) {
		log_warn("%s %s: cannot connect: %s", u->name, u->addr.text,
			 strerror(errno));
		u->ops->down(u, "connect failed");
		uplink_kick(u);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	connect_now(arg);
}

static void schedule(struct uplink *u)
{
	unsigned int r = 0, ms;
	struct timeval tv;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	ms = u->backoff * 750 + r % (u->backoff * 500 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(u->retry, &tv);
	log_debug("%s %s: next attempt in %u.%03u s", u->name, u->addr.text,
		  ms / 1000, ms % 1000);
	u->backoff *= 2;
	if (u->backoff > u->d->cfg->retry_max)
		u->backoff = u->d->cfg->retry_max;
}

void uplink_kick(struct uplink *u)
{
	/* Stopping (uplink_stop() took the timer): no new attempts. */
	if (!u->retry || u->s || evtimer_pending(u->retry, NULL))
		return;
	schedule(u);
}

static void s_up(struct session *s)
{
	struct uplink *u = session_owner(s);

	u->up_since = time(NULL);
	if (u->ops->up)
		u->ops->up(u, s);
}

static void s_msg(struct session *s, const struct cpns_msg *m)
{
	struct uplink *u = session_owner(s);

	u->ops->msg(u, s, m);
}

static void s_down(struct session *s, const char *why)
{
	struct uplink *u = session_owner(s);

	(void)s;
	u->s = NULL;
	/*
	 * A session that lasted was no refusal: start the backoff over.
	 * One closed soon after its handshake (the peer refused what we
	 * asked) keeps doubling, so a refused PNE does not come back each
	 * second.
	 */
	if (u->up_since && time(NULL) - u->up_since >= 60)
		uplink_backoff_reset(u);
	u->up_since = 0;
	if (u->ops->down)
		u->ops->down(u, why);
	uplink_kick(u);
}

static const struct session_ops uplink_session_ops = {
	.up = s_up,
	.msg = s_msg,
	.down = s_down,
};

int uplink_start(struct cpnsd *d, const struct tls_conf *tc,
		 const struct config_addr *addr, const char *name,
		 const struct uplink_ops *ops, void *arg,
		 struct uplink **out)
{
	struct uplink *u = calloc(1, sizeof(*u));
	char err[512];

	if (!u)
		return -ENOMEM;
	u->d = d;
	u->ops = ops;
	u->arg = arg;
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->addr = *addr;
	u->backoff = d->cfg->retry_min;
	u->ctx = tls_ctx_new(d, tc, false, err, sizeof(err));
	u->retry = evtimer_new(d->base, on_retry, u);
	if (!u->ctx || !u->retry) {
		log_err("%s", u->ctx ? "out of memory" : err);
		if (u->retry)
			event_free(u->retry);
		tls_ctx_free(u->ctx);
		free(u);
		return -EINVAL;
	}
	*out = u;
	connect_now(u);
	return 0;
}

void uplink_stop(struct uplink *u)
{
	struct event *retry;

	if (!u)
		return;
	retry = u->retry;
	u->retry = NULL;	/* no reconnect from the session's end */
	event_free(retry);
	if (u->s)
		session_close(u->s, "daemon stopping");
	tls_ctx_free(u->ctx);
	free(u);
}

void *uplink_arg(const struct uplink *u)
{
	return u->arg;
}

struct session *uplink_session(const struct uplink *u)
{
	return u->s && session_is_up(u->s) ? u->s : NULL;
}

void uplink_backoff_reset(struct uplink *u)
{
	u->backoff = u->d->cfg->retry_min;
}

void uplink_backoff_max(struct uplink *u)
{
	u->backoff = u->d->cfg->retry_max;
}
