// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl stats: counters of the namespace, or of one Service Group.
 *
 *   stats [ show ] [ group ID ]
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "cpnsctl.h"
#include "print.h"

static const struct {
	int attr;
	const char *json;
	const char *text;
	bool newline;	/* start a new text line before it */
} counters[] = {
	{ CPNS_A_STATS_GROUPS, "groups", "groups", false },
	{ CPNS_A_STATS_KEYS, "keys", "keys", false },
	{ CPNS_A_STATS_GKDKS, "gkdks", "gkdks", false },
	{ CPNS_A_STATS_INSTALLS, "installs", "installs", true },
	{ CPNS_A_STATS_INSTALLS_REPEATED, "installs_repeated", "repeated",
	  false },
	{ CPNS_A_STATS_RETIRED, "retired", "retired", false },
	{ CPNS_A_STATS_EXPIRIES, "expiries", "expiries", false },
	{ CPNS_A_STATS_REFUSED_STALE, "refused_stale", "refused: stale", true },
	{ CPNS_A_STATS_REFUSED_CONFLICT, "refused_conflict", "conflict", false },
	{ CPNS_A_STATS_REFUSED_MALFORMED, "refused_malformed", "malformed",
	  false },
	{ CPNS_A_STATS_REFUSED_NO_GKDK, "refused_no_gkdk", "no-gkdk", false },
	{ CPNS_A_STATS_REFUSED_NOT_MEMBER, "refused_not_member", "not-member",
	  false },
	{ CPNS_A_STATS_REFUSED_EXPIRED, "refused_expired", "expired", false },
	{ CPNS_A_STATS_DECRYPT_FAILURES, "decrypt_failures",
	  "decrypt-failures", true },
	{ CPNS_A_STATS_TX_SEALED, "tx_sealed", "tx: sealed", true },
	{ CPNS_A_STATS_TX_NO_KEY, "tx_no_key", "no-key", false },
	{ CPNS_A_STATS_TX_DROPPED, "tx_dropped", "dropped", false },
	{ CPNS_A_STATS_RX_OPENED, "rx_opened", "rx: opened", true },
	{ CPNS_A_STATS_RX_MALFORMED, "rx_malformed", "malformed", false },
	{ CPNS_A_STATS_RX_AUTH_FAILED, "rx_auth_failed", "auth-failed", false },
	{ CPNS_A_STATS_RX_REPLAYED, "rx_replayed", "replayed", false },
	{ CPNS_A_STATS_KEY_MISSING, "key_missing", "key-missing", false },
	{ CPNS_A_STATS_RX_DROPPED, "rx_dropped", "dropped", false },
	{ CPNS_A_STATS_FWD_VERIFIED, "fwd_verified", "fwd: verified", true },
};

/**
 * print_stats_attrs() - print the counters of a STATS_GET reply
 * @tb: its attributes, from parse_reply() with cpns_nl_stats_policy
 * @first: text before the first line
 * @indent: text before each further line (e.g. "\n\t")
 */
void print_stats_attrs(const struct nlattr **tb, const char *first,
		       const char *indent)
{
	const struct nlattr *a;
	char fmt[64];
	bool done = false;
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		a = tb[counters[i].attr];
		if (!a)
			continue;
		snprintf(fmt, sizeof(fmt), "%s%s %%" PRIu64,
			 !done ? first : counters[i].newline ? indent : " ",
			 counters[i].text);
		cpns_print_uint(counters[i].json, fmt, mnl_attr_get_u64(a));
		done = true;
	}
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_STATS_MAX + 1];
	const char *first = "";

	(void)data;
	if (parse_reply(nlh, &cpns_nl_stats_policy, tb))
		return MNL_CB_ERROR;
	cpns_print_open_object(NULL);
	if (tb[CPNS_A_STATS_GROUP_ID]) {
		cpns_print_uint("group", "group %" PRIu64 ":",
				mnl_attr_get_u32(tb[CPNS_A_STATS_GROUP_ID]));
		first = "\n";
	}
	print_stats_attrs(tb, first, "\n");
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

int cmd_stats(struct cpnsctl *ctl, int argc, char **argv)
{
	bool has_group = false;
	struct nlmsghdr *req;
	uint32_t group = 0;
	int ret;

	if (argc && !strcmp(argv[0], "help")) {
		printf("Usage: cpnsctl stats [ show ] [ group ID ]\n");
		return EXIT_OK;
	}
	if (argc && !strcmp(argv[0], "show")) {
		argc--;
		argv++;
	}
	if (argc == 2 && !strcmp(argv[0], "group")) {
		if (arg_u32("group", argv[1], UINT32_MAX, &group))
			return EXIT_USAGE;
		has_group = true;
	} else if (argc) {
		return cpnsctl_usage_error("stats: unknown argument \"%s\"",
					   argv[0]);
	}
	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_nl_request(&ctl->nl, CPNS_CMD_STATS_GET, 0);
	if (has_group)
		mnl_attr_put_u32(req, CPNS_A_STATS_GROUP_ID, group);
	ret = cpns_nl_talk(&ctl->nl, req, stats_cb, NULL);
	if (ret) {
		static const char *const names[CPNS_A_STATS_MAX + 1] = {
			[CPNS_A_STATS_GROUP_ID] = "group",
		};
		static const struct cpnsctl_attrs attrs = {
			names, CPNS_A_STATS_MAX + 1
		};

		return cpnsctl_nl_error(ctl, "stats", req, &attrs, ret);
	}
	return EXIT_OK;
}
