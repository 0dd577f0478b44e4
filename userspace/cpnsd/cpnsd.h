/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpnsd: the daemon of the three CPNS roles (Documentation/daemon.rst).
 * One libevent loop; what each file owns:
 *
 *   main.c      options, role start-up, signals, sd_notify
 *   config.c    cpnsd.conf (inih)
 *   log.c       stderr logging with levels
 *   netlink.c   the module: requests and its events
 *   session.c   TLS 1.3 sessions: handshake, framing, limits, keepalive
 *   control.c   the control socket for cpnsctl
 *   store.c     the gateway's SQLite state
 *   gateway.c   figure a steps 2-5 on the PN GW
 *   pne.c       figure a steps 1 and 5 on the PNE
 */
#ifndef CPNSD_H
#define CPNSD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>

#include "ctl.h"

#define CPNSD_VERSION	"0.1"

enum cpnsd_role { CPNSD_SERVER, CPNSD_GATEWAY, CPNSD_PNE };

enum { LOG_ERR_ = 3, LOG_WARN_ = 4, LOG_INFO_ = 6, LOG_DEBUG_ = 7 };

struct event_base;
struct store;
struct session;
struct cpnsd_config;

struct cpnsd {
	enum cpnsd_role role;
	const char *config_path;
	struct cpnsd_config *cfg;
	struct event_base *base;
	struct store *store;		/* gateway only */
	struct gateway *gw;		/* gateway only */
	struct pne *pne;		/* pne only */
	struct nl_link *nl;
	struct control *ctl;
	struct listener *lst;		/* server and gateway */
	bool debug;			/* --debug: kept across SIGHUP */
	time_t started;
	uint64_t stats[__CPNS_CTL_S_MAX];	/* enum cpns_ctl_stat */
};

void log_init(int level, bool timestamps);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...)	log_msg(LOG_ERR_, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN_, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO_, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG_, __VA_ARGS__)
/* Figure a/b step @n at debug level: "figure a step 4: ...". */
#define log_step(fig, n, fmt, ...) \
	log_msg(LOG_DEBUG_, "figure " fig " step %d: " fmt, n, ##__VA_ARGS__)

const char *role_name(enum cpnsd_role role);

/*
 * An EU-Key file: exactly 32 bytes, a regular file owned by root and not
 * readable by group or others.  -errno and a reason naming the file.
 */
#define EU_KEY_LEN	32
int eukey_load(const char *path, uint8_t key[EU_KEY_LEN], char *err,
	       size_t len);

/* What `cpnsctl daemon show` lists of one session. */
struct session_info {
	const char *peer;	/* address:port */
	const char *peer_id;	/* PNE id or certificate CN; "" before */
	const char *state;	/* "handshake", "up", "backoff", ... */
	time_t since;
};
int session_foreach(struct cpnsd *d,
		    int (*fn)(const struct session_info *si, void *arg),
		    void *arg);

/* Gateway: a revoked or deleted PNE's session ends now. */
void gateway_pne_gone(struct cpnsd *d, const char *pne_id);

/* control.c */
int control_open(struct cpnsd *d, const char *path);
void control_close(struct cpnsd *d);

#endif /* CPNSD_H */
