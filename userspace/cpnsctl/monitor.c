// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl monitor: print the module's events as they happen, like
 * ip monitor, until interrupted; -t and -ts stamp them as ip -t and
 * ip -ts do.
 *
 *   monitor [ all | key | gkdk | installed | retired | expiring |
 *             missing | gkdk-set | gkdk-del ]...
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "cpnsctl.h"
#include "print.h"

static const struct {
	uint8_t cmd;
	const char *name;
	const char *group;	/* the filter word that selects it too */
	const char *word;	/* and its own short filter word */
} events[] = {
	{ CPNS_CMD_KEY_INSTALLED_NTF, "key-installed", "key", "installed" },
	{ CPNS_CMD_KEY_RETIRED_NTF, "key-retired", "key", "retired" },
	{ CPNS_CMD_KEY_EXPIRING_NTF, "key-expiring", "key", "expiring" },
	{ CPNS_CMD_KEY_MISSING_NTF, "key-missing", "key", "missing" },
	{ CPNS_CMD_GKDK_SET_NTF, "gkdk-set", "gkdk", "gkdk-set" },
	{ CPNS_CMD_GKDK_DEL_NTF, "gkdk-del", "gkdk", "gkdk-del" },
};

#define NEVENTS (sizeof(events) / sizeof(events[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *reason_name(uint32_t r)
{
	static const char *const names[] = {
		[CPNS_RETIRE_REASON_GRACE] = "grace",
		[CPNS_RETIRE_REASON_LIFETIME] = "lifetime",
		[CPNS_RETIRE_REASON_SUPERSEDED] = "superseded",
		[CPNS_RETIRE_REASON_DELETED] = "deleted",
		[CPNS_RETIRE_REASON_GROUP_DELETED] = "group-deleted",
	};

	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] :
	       "unknown";
}

struct monitor {
	bool want[NEVENTS];
	int timestamp;		/* CPNSCTL_TS_* */
};

/*
 * When the event was read, in ip's forms (local time): -t a line
 * "Timestamp: Sun Nov 29 09:48:01 2026 123456 usec" before the event,
 * -ts a prefix "[2026-11-29T09:48:01.123456] ".  JSON: Unix seconds with
 * six decimals, either way.
 */
static void print_timestamp(int mode)
{
	struct timespec ts;
	struct tm tm;
	char s[64];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (cpns_print_is_json()) {
		cpns_print_usec("timestamp", NULL,
				(uint64_t)ts.tv_sec * 1000000 +
				(uint64_t)ts.tv_nsec / 1000);
		return;
	}
	if (!localtime_r(&ts.tv_sec, &tm))
		return;
	if (mode == CPNSCTL_TS_SHORT) {
		n = strftime(s, sizeof(s), "[%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(s + n, sizeof(s) - n, ".%06ld] ", ts.tv_nsec / 1000);
	} else {
		n = strftime(s, sizeof(s), "Timestamp: %a %b %e %H:%M:%S %Y", &tm);
		snprintf(s + n, sizeof(s) - n, " %ld usec\n", ts.tv_nsec / 1000);
	}
	cpns_print_text(s);
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CPNS_A_KEY_MAX + 1 > CPNS_A_GKDK_MAX + 1 ?
				CPNS_A_KEY_MAX + 1 : CPNS_A_GKDK_MAX + 1];
	const struct monitor *m = data;
	bool gkdk;
	size_t i;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return MNL_CB_OK;
	for (i = 0; i < NEVENTS; i++)
		if (events[i].cmd == g->cmd)
			break;
	if (i == NEVENTS || !m->want[i])
		return stop ? MNL_CB_STOP : MNL_CB_OK;

	/* One bad event is reported and skipped; the next may be fine. */
	gkdk = events[i].group[0] == 'g';
	if (parse_reply(nlh, gkdk ? &cpns_nl_gkdk_policy : &cpns_nl_key_policy,
			tb)) {
		cpnsctl_err("monitor: %s event skipped: malformed: %s",
			    events[i].name, take_reply_error());
		return stop ? MNL_CB_STOP : MNL_CB_OK;
	}
	cpns_print_open_object(NULL);
	if (m->timestamp)
		print_timestamp(m->timestamp);
	cpns_print_string("event", "[%s] ", events[i].name);
	if (gkdk) {
		cpns_print_text(" ");
		print_gkdk_attrs(tb);
	} else {
		print_key_attrs(tb);
		if (tb[CPNS_A_KEY_RETIRE_REASON])
			cpns_print_string("reason", " reason %s",
					  reason_name(mnl_attr_get_u32(tb[CPNS_A_KEY_RETIRE_REASON])));
	}
	cpns_print_text("\n");
	cpns_print_close_object();
	fflush(stdout);
	return stop ? MNL_CB_STOP : MNL_CB_OK;
}

int cmd_monitor(struct cpnsctl *ctl, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	struct monitor m = { .timestamp = ctl->timestamp };
	bool any = false;
	size_t i;
	int ret;

	for (; argc > 0; argc--, argv++) {
		bool hit = false;

		if (!strcmp(argv[0], "help")) {
			printf("Usage: cpnsctl monitor [ all | key | gkdk | installed | retired |\n"
			       "                         expiring | missing | gkdk-set | gkdk-del ]...\n");
			return EXIT_OK;
		}
		for (i = 0; i < NEVENTS; i++) {
			if (!strcmp(argv[0], "all") ||
			    !strcmp(argv[0], events[i].group) ||
			    !strcmp(argv[0], events[i].name) ||
			    !strcmp(argv[0], events[i].word)) {
				m.want[i] = true;
				hit = true;
			}
		}
		if (!hit)
			return cpnsctl_usage_error("monitor: unknown event \"%s\"",
						   argv[0]);
		any = true;
	}
	if (!any)
		for (i = 0; i < NEVENTS; i++)
			m.want[i] = true;

	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	ret = cpns_nl_subscribe(&ctl->nl);
	if (ret) {
		cpnsctl_err("monitor: cannot join the events group: %s",
			    strerror(-ret));
		return EXIT_FAIL;
	}
	/*
	 * The signals stay blocked but inside ppoll(), so one cannot land
	 * between the test of @stop and the wait and be missed.
	 */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	while (!stop) {
		struct pollfd pfd = {
			.fd = mnl_socket_get_fd(ctl->nl.sock),
			.events = POLLIN,
		};

		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			cpnsctl_err("monitor: poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		ret = cpns_nl_recv_events(&ctl->nl, event_cb, &m);
		if (ret == -EINTR || ret == 0)
			continue;
		if (ret == -ENOBUFS) {
			cpnsctl_err("monitor: events lost (reader too slow)");
			continue;
		}
		if (ret < 0) {
			cpnsctl_err("monitor: %s", strerror(-ret));
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}
