// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd: the CPNS daemon; its role (server, gateway, pne) comes from its
 * configuration.  One libevent loop carries the module's netlink
 * sockets, the peers' TLS sessions, timers, signals and the control
 * socket.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "roles.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsd [-c FILE] [--foreground] [--debug]\n"
		"       cpnsd [-c FILE] --check-config\n"
		"       cpnsd --version\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -f, --foreground    do not detach (what systemd runs)\n"
		"  -d, --debug         log at debug level: each step of the figures\n"
		"      --check-config  read the configuration, say what is wrong, exit\n"
		"      --version       print the version\n"
		"  -h, --help          this text\n",
		CONFIG_PATH_DEFAULT);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct cpnsd *d = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(d->base);
}

/*
 * SIGHUP: the log level and the limits take effect now; role, ids,
 * addresses and files need a restart (said in the log).
 */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct cpnsd *d = arg;
	struct cpnsd_config *nc;
	char err[512];

	(void)sig;
	(void)what;
	sd_notify(0, "RELOADING=1");
	nc = malloc(sizeof(*nc));
	if (!nc) {
		log_err("reload: out of memory");
	} else if (config_load(d->config_path, nc, err, sizeof(err))) {
		log_err("reload: %s; keeping the running configuration", err);
	} else {
		struct cpnsd_config *c = d->cfg;

		if (nc->role != c->role)
			log_warn("reload: role changed; restart cpnsd to apply it");
		c->log_level = d->debug ? LOG_DEBUG_ : nc->log_level;
		c->handshake_timeout = nc->handshake_timeout;
		c->idle_timeout = nc->idle_timeout;
		c->keepalive = nc->keepalive;
		c->max_sessions = nc->max_sessions;
		c->rate = nc->rate;
		c->burst = nc->burst;
		c->retry_min = nc->retry_min;
		c->retry_max = nc->retry_max;
		log_init(c->log_level, false);
		log_info("reload: log level and limits applied");
	}
	free(nc);
	sd_notify(0, "READY=1");
}

static int start_role(struct cpnsd *d)
{
	switch (d->role) {
	case CPNSD_SERVER:
		return server_start(d);
	case CPNSD_GATEWAY:
		return gateway_start(d);
	case CPNSD_PNE:
		return pne_start(d);
	}
	return -EINVAL;
}

static void stop_role(struct cpnsd *d)
{
	switch (d->role) {
	case CPNSD_SERVER:
		server_stop(d);
		break;
	case CPNSD_GATEWAY:
		gateway_stop(d);
		break;
	case CPNSD_PNE:
		pne_stop(d);
		break;
	}
}

/*
 * Every session is a descriptor: take the hard limit, and keep
 * max-sessions under it with room for the database, netlink and the
 * control socket, or sessions would fail at accept() instead of being
 * refused with a reason.
 */
static void fit_descriptors(struct cpnsd_config *c)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	room = rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 1;
	if (c->max_sessions > room) {
		log_warn("max-sessions %u is above what %llu descriptors allow; using %llu",
			 c->max_sessions, (unsigned long long)rl.rlim_cur,
			 (unsigned long long)room);
		c->max_sessions = room;
	}
}

static int make_state_dir(const struct cpnsd_config *c)
{
	if (c->role == CPNSD_PNE)
		return 0;	/* a PNE keeps nothing on disk */
	if (mkdir(c->state_dir, 0700) && errno != EEXIST) {
		log_err("state-dir %s: %s", c->state_dir, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cpnsd d = { .config_path = CONFIG_PATH_DEFAULT };
	struct event *sigs[3] = { NULL };
	bool foreground = false, debug = false, check = false;
	static struct cpnsd_config cfg;
	char err[512];
	int c, ret = 1;
	size_t i;

	while ((c = getopt_long(argc, argv, "c:fdh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'C':
			check = true;
			break;
		case 'V':
			printf("cpnsd %s\n", CPNSD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cpnsd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (config_load(d.config_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "cpnsd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (role %s)\n", d.config_path, role_name(cfg.role));
		return 0;
	}
	d.debug = debug;
	if (debug)
		cfg.log_level = LOG_DEBUG_;
	d.cfg = &cfg;
	d.role = cfg.role;
	log_init(cfg.log_level, false);
	fit_descriptors(&cfg);
	if (make_state_dir(&cfg))
		return 1;
	if (!foreground && daemon(0, 1)) {
		log_err("cannot detach: %s", strerror(errno));
		return 1;
	}
	/* A peer that vanishes mid-write must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	if (!d.base) {
		log_err("event loop: out of memory");
		return 1;
	}
	d.started = time(NULL);
	sigs[0] = evsignal_new(d.base, SIGTERM, on_stop, &d);
	sigs[1] = evsignal_new(d.base, SIGINT, on_stop, &d);
	sigs[2] = evsignal_new(d.base, SIGHUP, on_reload, &d);
	for (i = 0; i < 3; i++)
		if (!sigs[i] || event_add(sigs[i], NULL))
			goto out;
	if (start_role(&d))
		goto out_role;
	if (control_open(&d, cfg.control))
		goto out_role;
	log_info("cpnsd %s: role %s ready", CPNSD_VERSION, role_name(d.role));
	sd_notify(0, "READY=1");
	event_base_dispatch(d.base);
	ret = 0;
	control_close(&d);
out_role:
	stop_role(&d);
out:
	for (i = 0; i < 3; i++)
		if (sigs[i])
			event_free(sigs[i]);
	event_base_free(d.base);
	log_info("cpnsd: stopped");
	return ret;
}
