/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpnsd.conf (cpnsd.conf(5)): an INI file read with inih.  Every key is
 * checked as it is read; the first bad line is reported as
 * "FILE:LINE: reason" and nothing of the file is used.
 */
#ifndef CPNSD_CONFIG_H
#define CPNSD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cpnsd.h"

#define CONFIG_PATH_DEFAULT	"/etc/cpnsd/cpnsd.conf"
#define CONFIG_STR_MAX		4096
#define CONFIG_BCAST_PORT	5333

struct config_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[96];		/* as written, for logs */
};

struct cpnsd_config {
	enum cpnsd_role role;
	bool role_set;
	char state_dir[CONFIG_STR_MAX];	/* database of server and gateway */
	char control[CONFIG_STR_MAX];	/* control socket path */
	int log_level;

	/* [gateway] */
	uint64_t gateway_id;
	bool gateway_id_set;
	unsigned int height;
	struct config_addr listen;	/* for PNEs */
	bool listen_set;

	/* [pne] */
	char pne_id[65];
	char eu_key_file[CONFIG_STR_MAX];
	struct config_addr gateway;	/* where its gateway listens */
	bool gateway_set;

	/* [tls]: X.509 between gateway and server */
	char cert[CONFIG_STR_MAX], key[CONFIG_STR_MAX], ca[CONFIG_STR_MAX];
	struct config_addr server;	/* gateway: the CPNS Server */
	bool server_set;
	struct config_addr server_listen;	/* server: for gateways */
	bool server_listen_set;

	/* figure b's broadcast: [gateway]/[pne] pn-interface, [broadcast] */
#define CONFIG_PN_IF_MAX	32
	char pn_if[CONFIG_PN_IF_MAX][IFNAMSIZ];	/* PNE: at most one */
	unsigned int n_pn_if;
	uint16_t bcast_port;
	struct in6_addr bcast_group6;	/* link-local scope */
	struct in_addr bcast_group4;
	unsigned int bcast_window;	/* seconds of retransmission */

	/* [server] */
	unsigned int key_lifetime;	/* seconds a Group Key is valid */
	/* [tls] server-name: the gateway's check of the server's name */
	char server_name[65];

	/* [limits]: what a hostile peer cannot exceed */
	unsigned int handshake_timeout;	/* seconds */
	unsigned int idle_timeout;	/* seconds without a message */
	unsigned int keepalive;		/* seconds between our keepalives */
	unsigned int max_sessions;
	unsigned int rate;		/* new sessions per address a second */
	unsigned int burst;
	unsigned int retry_min, retry_max;	/* PNE/gateway backoff */
};

/*
 * Read @path into @cfg.  On error returns -1 with "PATH:LINE: reason"
 * (or "PATH: reason") in @err.
 */
int config_load(const char *path, struct cpnsd_config *cfg, char *err,
		size_t len);

#endif /* CPNSD_CONFIG_H */
