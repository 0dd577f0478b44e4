// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl daemon: what cpnsd says of itself: role, version, uptime, its
 * peers and their sessions' state, and with -s its counters.
 *
 *   daemon [ show ]
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpnsctl.h"
#include "print.h"

static const struct {
	int attr;
	const char *json;
	const char *text;
	bool newline;	/* start a new text line before it */
} counters[] = {
	{ CPNS_CTL_S_SESSIONS, "sessions", "sessions", false },
	{ CPNS_CTL_S_GKDK_ASSIGNED, "gkdk_assigned", "gkdk-assigned", false },
	{ CPNS_CTL_S_GKDK_INSTALLED, "gkdk_installed", "gkdk-installed",
	  false },
	{ CPNS_CTL_S_HANDSHAKE_FAILED, "handshake_failed",
	  "refused: handshake-failed", true },
	{ CPNS_CTL_S_HANDSHAKE_TIMEOUT, "handshake_timeout",
	  "handshake-timeout", false },
	{ CPNS_CTL_S_IDLE_TIMEOUT, "idle_timeout", "idle-timeout", false },
	{ CPNS_CTL_S_MALFORMED, "malformed", "malformed", true },
	{ CPNS_CTL_S_TOO_BIG, "too_big", "too-big", false },
	{ CPNS_CTL_S_SESSION_LIMIT, "session_limit", "session-limit", false },
	{ CPNS_CTL_S_RATE_LIMIT, "rate_limit", "rate-limit", false },
	{ CPNS_CTL_S_UNKNOWN_PNE, "unknown_pne", "unknown-pne", true },
	{ CPNS_CTL_S_REVOKED_PNE, "revoked_pne", "revoked-pne", false },
};

static void print_counters(const struct nlattr *nest)
{
	const struct nlattr *tb[__CPNS_CTL_S_MAX];
	const struct nlattr *a;
	char fmt[64];
	size_t i;

	if (cpns_nl_parse_nested(nest, &cpns_ctl_stats_policy, tb))
		return;
	cpns_print_open_object("stats");
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		a = tb[counters[i].attr];
		if (!a)
			continue;
		snprintf(fmt, sizeof(fmt), "%s%s %%" PRIu64,
			 !i || counters[i].newline ? "\n\t" : " ",
			 counters[i].text);
		cpns_print_uint(counters[i].json, fmt, mnl_attr_get_u64(a));
	}
	cpns_print_close_object();
}

static int daemon_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	if (tb[CPNS_CTL_A_ROLE])
		cpns_print_string("role", "cpnsd role %s",
				  mnl_attr_get_str(tb[CPNS_CTL_A_ROLE]));
	if (tb[CPNS_CTL_A_VERSION])
		cpns_print_string("version", " version %s",
				  mnl_attr_get_str(tb[CPNS_CTL_A_VERSION]));
	if (tb[CPNS_CTL_A_UPTIME])
		print_duration("uptime", " uptime %s",
			       mnl_attr_get_u64(tb[CPNS_CTL_A_UPTIME]));
	if (tb[CPNS_CTL_A_STATS])
		print_counters(tb[CPNS_CTL_A_STATS]);
	cpns_print_text("\n");
	return MNL_CB_OK;
}

static int peer_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	cpns_print_open_object(NULL);
	if (tb[CPNS_CTL_A_PEER])
		cpns_print_string("peer", "peer %s",
				  mnl_attr_get_str(tb[CPNS_CTL_A_PEER]));
	if (tb[CPNS_CTL_A_PEER_ID] && *mnl_attr_get_str(tb[CPNS_CTL_A_PEER_ID]))
		cpns_print_string("id", " id %s",
				  mnl_attr_get_str(tb[CPNS_CTL_A_PEER_ID]));
	if (tb[CPNS_CTL_A_PEER_STATE])
		cpns_print_string("state", " state %s",
				  mnl_attr_get_str(tb[CPNS_CTL_A_PEER_STATE]));
	if (tb[CPNS_CTL_A_SINCE])
		print_time("since", " since %s",
			   mnl_attr_get_u64(tb[CPNS_CTL_A_SINCE]));
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

int cmd_daemon(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	int ret;

	if (argc && !strcmp(argv[0], "help")) {
		printf("Usage: cpnsctl [ -s ] daemon [ show ]\n");
		return EXIT_OK;
	}
	if (argc && !strcmp(argv[0], "show")) {
		argc--;
		argv++;
	}
	if (argc)
		return cpnsctl_usage_error("daemon: unknown argument \"%s\"",
					   argv[0]);
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_DAEMON_GET, 0);
	if (ctl->stats)
		mnl_attr_put(req, CPNS_CTL_A_STATS, 0, NULL);
	cpns_print_open_object(NULL);
	ret = cpnsctl_ctl_talk(ctl, "daemon show", req, NULL, daemon_cb, NULL);
	if (!ret) {
		req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_PEER_GET,
				       NLM_F_DUMP);
		cpns_print_open_array("peers", NULL);
		ret = cpnsctl_ctl_talk(ctl, "daemon show", req, NULL, peer_cb,
				       NULL);
		cpns_print_close_array(NULL);
	}
	cpns_print_close_object();
	return ret;
}
