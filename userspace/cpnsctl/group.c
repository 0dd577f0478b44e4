// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl group: Service Groups and their key policy.
 *
 *   group add ID [ grace SECS ] [ lifetime SECS ] [ replay-window N ]
 *                [ expiry-notice SECS ] [ dst PREFIX [ dport PORT ] ]
 *   group del ID
 *   group { show | list } [ ID ]
 *   group flush
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "cpnsctl.h"
#include "print.h"

static const char *const group_names[CPNS_A_GROUP_MAX + 1] = {
	[CPNS_A_GROUP_ID] = "ID",
	[CPNS_A_GROUP_GRACE] = "grace",
	[CPNS_A_GROUP_LIFETIME] = "lifetime",
	[CPNS_A_GROUP_REPLAY_WINDOW] = "replay-window",
	[CPNS_A_GROUP_EXPIRY_NOTICE] = "expiry-notice",
	[CPNS_A_GROUP_SELECTOR] = "dst",
};

static const struct cpnsctl_attrs group_attrs = {
	group_names, CPNS_A_GROUP_MAX + 1
};

static void group_usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsctl group add ID [ grace SECS ] [ lifetime SECS ]\n"
		"                     [ replay-window N ] [ expiry-notice SECS ]\n"
		"                     [ dst PREFIX [ dport PORT ] ]\n"
		"       cpnsctl group del ID\n"
		"       cpnsctl group { show | list } [ ID ]\n"
		"       cpnsctl group flush\n");
}

static void print_selector(const struct nlattr *nest)
{
	const struct cpns_nl_policy_set *pol =
		cpns_nl_group_policy.attrs[CPNS_A_GROUP_SELECTOR].nested;
	const struct nlattr *tb[CPNS_A_SELECTOR_MAX + 1];
	char addr[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 8];
	uint16_t family, dport = 0;
	uint8_t plen = 0;

	if (cpns_nl_parse_nested(nest, pol, tb) ||
	    !tb[CPNS_A_SELECTOR_FAMILY] || !tb[CPNS_A_SELECTOR_DADDR])
		return;
	family = mnl_attr_get_u16(tb[CPNS_A_SELECTOR_FAMILY]);
	/* inet_ntop() reads 4 or 16 bytes: the attribute must have them. */
	if (mnl_attr_get_payload_len(tb[CPNS_A_SELECTOR_DADDR]) !=
	    (family == AF_INET ? 4u : 16u))
		return;
	if (tb[CPNS_A_SELECTOR_PREFIX_LEN])
		plen = mnl_attr_get_u8(tb[CPNS_A_SELECTOR_PREFIX_LEN]);
	if (tb[CPNS_A_SELECTOR_DPORT])
		dport = ntohs(mnl_attr_get_u16(tb[CPNS_A_SELECTOR_DPORT]));
	if (!inet_ntop(family, mnl_attr_get_payload(tb[CPNS_A_SELECTOR_DADDR]),
		       addr, sizeof(addr)))
		return;
	snprintf(s, sizeof(s), "%s/%u", addr, plen);
	cpns_print_open_object("selector");
	cpns_print_string("dst", "\n\tdst %s", s);
	cpns_print_uint("dport", " dport %" PRIu64, dport);
	cpns_print_close_object();
}

static void print_secs(const char *key, const char *label, uint32_t v,
		       bool zero_is_none)
{
	char s[32];

	if (cpns_print_is_json()) {
		cpns_print_uint(key, NULL, v);
		return;
	}
	if (zero_is_none && !v)
		snprintf(s, sizeof(s), " %s none", label);
	else
		snprintf(s, sizeof(s), " %s %" PRIu32 "s", label, v);
	cpns_print_text(s);
}

/* Open the group's object and print its fields; false if not a group. */
static bool group_fields(const struct nlattr **tb)
{
	if (!tb[CPNS_A_GROUP_ID])
		return false;

	cpns_print_open_object(NULL);
	cpns_print_uint("id", "group %" PRIu64,
			mnl_attr_get_u32(tb[CPNS_A_GROUP_ID]));
	if (tb[CPNS_A_GROUP_GRACE])
		print_secs("grace", "grace",
			   mnl_attr_get_u32(tb[CPNS_A_GROUP_GRACE]), false);
	if (tb[CPNS_A_GROUP_LIFETIME])
		print_secs("lifetime", "lifetime",
			   mnl_attr_get_u32(tb[CPNS_A_GROUP_LIFETIME]), true);
	if (tb[CPNS_A_GROUP_REPLAY_WINDOW])
		cpns_print_uint("replay_window", " replay-window %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_A_GROUP_REPLAY_WINDOW]));
	if (tb[CPNS_A_GROUP_EXPIRY_NOTICE])
		print_secs("expiry_notice", "expiry-notice",
			   mnl_attr_get_u32(tb[CPNS_A_GROUP_EXPIRY_NOTICE]),
			   false);
	if (tb[CPNS_A_GROUP_SELECTOR])
		print_selector(tb[CPNS_A_GROUP_SELECTOR]);
	if (tb[CPNS_A_GROUP_CURRENT_EPOCH] || tb[CPNS_A_GROUP_PREVIOUS_EPOCH])
		cpns_print_text("\n\tepoch");
	if (tb[CPNS_A_GROUP_CURRENT_EPOCH])
		cpns_print_uint("current_epoch", " current %" PRIu64,
				mnl_attr_get_u64(tb[CPNS_A_GROUP_CURRENT_EPOCH]));
	if (tb[CPNS_A_GROUP_PREVIOUS_EPOCH])
		cpns_print_uint("previous_epoch", " previous %" PRIu64,
				mnl_attr_get_u64(tb[CPNS_A_GROUP_PREVIOUS_EPOCH]));
	return true;
}

static int group_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];

	(void)data;
	if (parse_reply(nlh, &cpns_nl_group_policy, tb))
		return MNL_CB_ERROR;
	if (!group_fields(tb))
		return MNL_CB_OK;
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

struct selector {
	uint16_t family;
	uint8_t addr[16];
	uint8_t plen;
	uint16_t dport;
};

static int parse_prefix(const char *s, struct selector *sel)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long plen;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return cpnsctl_usage_error("dst: \"%.16s...\" is too long", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, sel->addr) == 1)
		sel->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, sel->addr) == 1)
		sel->family = AF_INET6;
	else
		return cpnsctl_usage_error("dst: \"%s\" is not an address", s);
	plen = sel->family == AF_INET ? 32 : 128;
	if (slash) {
		plen = strtoul(slash, &end, 10);
		if (!*slash || *end ||
		    plen > (sel->family == AF_INET ? 32u : 128u))
			return cpnsctl_usage_error("dst: bad prefix length in \"%s\"",
						   s);
	}
	sel->plen = (uint8_t)plen;
	return EXIT_OK;
}

static void put_selector(struct nlmsghdr *req, const struct selector *sel)
{
	struct nlattr *nest;

	nest = mnl_attr_nest_start(req, CPNS_A_GROUP_SELECTOR);
	mnl_attr_put_u16(req, CPNS_A_SELECTOR_FAMILY, sel->family);
	mnl_attr_put(req, CPNS_A_SELECTOR_DADDR,
		     sel->family == AF_INET ? 4 : 16, sel->addr);
	mnl_attr_put_u8(req, CPNS_A_SELECTOR_PREFIX_LEN, sel->plen);
	mnl_attr_put_u16(req, CPNS_A_SELECTOR_DPORT, htons(sel->dport));
	mnl_attr_nest_end(req, nest);
}

static int group_add(struct cpnsctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *kw;
		int attr;
		uint32_t max;
	} opts[] = {
		{ "grace", CPNS_A_GROUP_GRACE, 604800 },
		{ "lifetime", CPNS_A_GROUP_LIFETIME, 31536000 },
		{ "replay-window", CPNS_A_GROUP_REPLAY_WINDOW, 4096 },
		{ "expiry-notice", CPNS_A_GROUP_EXPIRY_NOTICE, 86400 },
	};
	enum { NOPTS = sizeof(opts) / sizeof(opts[0]) };
	uint32_t id, val[NOPTS], v;
	bool set[NOPTS] = { false };
	struct selector sel = { 0 };
	bool has_dport = false;
	struct nlmsghdr *req;
	size_t i;
	int ret;

	if (argc < 1)
		return cpnsctl_usage_error("group add: missing ID");
	if (arg_u32("ID", argv[0], UINT32_MAX, &id))
		return EXIT_USAGE;
	for (argc--, argv++; argc > 0; argc -= 2, argv += 2) {
		if (arg_need("group add", argv[0], argc))
			return EXIT_USAGE;
		for (i = 0; i < NOPTS; i++)
			if (!strcmp(argv[0], opts[i].kw))
				break;
		if (i < NOPTS) {
			if (arg_u32(opts[i].kw, argv[1], opts[i].max, &val[i]))
				return EXIT_USAGE;
			set[i] = true;
		} else if (!strcmp(argv[0], "dst")) {
			ret = parse_prefix(argv[1], &sel);
			if (ret)
				return ret;
		} else if (!strcmp(argv[0], "dport")) {
			if (arg_u32("dport", argv[1], 65535, &v))
				return EXIT_USAGE;
			sel.dport = (uint16_t)v;
			has_dport = true;
		} else {
			return cpnsctl_usage_error("group add: unknown argument \"%s\"",
						   argv[0]);
		}
	}
	if (has_dport && !sel.family)
		return cpnsctl_usage_error("group add: \"dport\" needs \"dst\"");

	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GROUP_NEW, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, id);
	for (i = 0; i < NOPTS; i++)
		if (set[i])
			mnl_attr_put_u32(req, opts[i].attr, val[i]);
	if (sel.family)
		put_selector(req, &sel);
	ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
	if (ret)
		return cpnsctl_nl_error(ctl, "group add", req, &group_attrs, ret);
	return EXIT_OK;
}

static int id_arg(const char *cmd, int argc, char **argv, uint32_t *id)
{
	if (argc != 1)
		return cpnsctl_usage_error("group %s: expected one ID", cmd);
	return arg_u32("ID", argv[0], UINT32_MAX, id) ? EXIT_USAGE : EXIT_OK;
}

/* @gone_ok: a flush may race another deleter; a group gone is fine. */
static int group_del_one(struct cpnsctl *ctl, uint32_t id, bool gone_ok)
{
	struct nlmsghdr *req;
	int ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GROUP_DEL, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, id);
	ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
	if (ret == -ENOENT && gone_ok)
		return EXIT_OK;
	if (ret)
		return cpnsctl_nl_error(ctl, "group del", req, &group_attrs, ret);
	return EXIT_OK;
}

static int group_del(struct cpnsctl *ctl, int argc, char **argv)
{
	uint32_t id;
	int ret;

	ret = id_arg("del", argc, argv, &id);
	if (!ret)
		ret = cpnsctl_connect(ctl);
	return ret ? ret : group_del_one(ctl, id, false);
}

struct ids {
	uint32_t *id;
	size_t n, cap;
};

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];
	struct ids *ids = data;
	uint32_t *p;

	if (parse_reply(nlh, &cpns_nl_group_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_A_GROUP_ID])
		return MNL_CB_OK;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 64;
		p = realloc(ids->id, ids->cap * sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		ids->id = p;
	}
	ids->id[ids->n++] = mnl_attr_get_u32(tb[CPNS_A_GROUP_ID]);
	return MNL_CB_OK;
}

/* Every group id, in order; the caller frees ids->id. */
static int group_ids(struct cpnsctl *ctl, const char *what, struct ids *ids)
{
	struct nlmsghdr *req;
	int ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GROUP_GET, NLM_F_DUMP);
	ret = cpns_nl_dump(&ctl->nl, req, collect_cb, ids);
	if (ret)
		return cpnsctl_nl_error(ctl, what, NULL, NULL, ret);
	return EXIT_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_STATS_MAX + 1];
	const struct nlattr **group = data;	/* whose counters these are */

	if (parse_reply(nlh, &cpns_nl_stats_policy, tb))
		return MNL_CB_ERROR;
	if (!group_fields(group))
		return MNL_CB_OK;
	cpns_print_open_object("stats");
	print_stats_attrs(tb, "\n\t", "\n\t");
	cpns_print_close_object();
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

/*
 * -s: a group (its parsed reply) and its counters, printed together once
 * both are in, so a group deleted in between prints nothing.
 *
 * Return: 0 or -errno (-ENOENT: the group is gone).
 */
static int with_stats(struct cpnsctl *ctl, const struct nlattr **group)
{
	struct nlmsghdr *req;

	if (!group[CPNS_A_GROUP_ID])
		return 0;
	req = cpns_nl_request(&ctl->nl, CPNS_CMD_STATS_GET, 0);
	mnl_attr_put_u32(req, CPNS_A_STATS_GROUP_ID,
			 mnl_attr_get_u32(group[CPNS_A_GROUP_ID]));
	return cpns_nl_talk(&ctl->nl, req, stats_cb, (void *)group);
}

/*
 * One entry of the -s listing.  A group deleted since the dump is
 * skipped, as ip skips objects that vanish while it lists them.
 */
static int list_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];
	int ret;

	if (parse_reply(nlh, &cpns_nl_group_policy, tb))
		return MNL_CB_ERROR;
	ret = with_stats(data, tb);
	if (!ret || ret == -ENOENT)
		return MNL_CB_OK;
	errno = -ret;
	return MNL_CB_ERROR;
}

/* The reply to a do request, kept past the next request. */
static int copy_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlmsghdr **copy = data;

	free(*copy);
	*copy = malloc(nlh->nlmsg_len);
	if (!*copy) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	memcpy(*copy, nlh, nlh->nlmsg_len);
	return MNL_CB_OK;
}

/* One named group with its counters: its deletion meanwhile is an error. */
static int show_with_stats(struct cpnsctl *ctl, uint32_t id)
{
	const struct nlattr *tb[CPNS_A_GROUP_MAX + 1];
	struct nlmsghdr *req, *reply = NULL;
	int ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GROUP_GET, 0);
	mnl_attr_put_u32(req, CPNS_A_GROUP_ID, id);
	ret = cpns_nl_talk(&ctl->nl, req, copy_cb, &reply);
	if (ret) {
		free(reply);
		return cpnsctl_nl_error(ctl, "group show", req, &group_attrs,
					ret);
	}
	if (!reply)
		return EXIT_OK;
	if (parse_reply(reply, &cpns_nl_group_policy, tb))
		ret = -errno;
	else
		ret = with_stats(ctl, tb);
	free(reply);
	if (ret)
		return cpnsctl_nl_error(ctl, "group show", NULL, NULL, ret);
	return EXIT_OK;
}

static int group_show(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	uint32_t id;
	int ret;

	if (argc) {
		ret = id_arg("show", argc, argv, &id);
		if (!ret)
			ret = cpnsctl_connect(ctl);
		if (ret)
			return ret;
		if (ctl->stats)
			return show_with_stats(ctl, id);
		req = cpns_nl_request(&ctl->nl, CPNS_CMD_GROUP_GET, 0);
		mnl_attr_put_u32(req, CPNS_A_GROUP_ID, id);
		ret = cpns_nl_talk(&ctl->nl, req, group_cb, NULL);
		if (ret)
			return cpnsctl_nl_error(ctl, "group show", req,
						&group_attrs, ret);
		return EXIT_OK;
	}
	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	cpns_print_open_array(NULL, NULL);
	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GROUP_GET, NLM_F_DUMP);
	ret = cpns_nl_dump(&ctl->nl, req, ctl->stats ? list_stats_cb : group_cb,
			   ctl);
	cpns_print_close_array(NULL);
	if (ret)
		return cpnsctl_nl_error(ctl, "group show", NULL, NULL, ret);
	return EXIT_OK;
}

static int group_flush(struct cpnsctl *ctl, int argc, char **argv)
{
	struct ids ids = { 0 };
	size_t i;
	int ret;

	if (argc)
		return cpnsctl_usage_error("group flush: unexpected argument \"%s\"",
					   argv[0]);
	ret = cpnsctl_connect(ctl);
	if (!ret)
		ret = group_ids(ctl, "group flush", &ids);
	for (i = 0; !ret && i < ids.n; i++)
		ret = group_del_one(ctl, ids.id[i], true);
	free(ids.id);
	return ret;
}

int cmd_group(struct cpnsctl *ctl, int argc, char **argv)
{
	if (!argc || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return group_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (!strcmp(argv[0], "add"))
		return group_add(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return group_del(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "flush"))
		return group_flush(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		group_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("group: unknown command \"%s\"", argv[0]);
}
