// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl member: the members of the Service Groups a CPNS Server's
 * cpnsd keeps, each a PNE named with the gateway it is behind.
 *
 *   member add GROUP PNE@GATEWAY
 *   member del GROUP PNE@GATEWAY
 *   member { show | list } [ GROUP ]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpnsctl.h"
#include "print.h"

static const char *const member_names[__CPNS_CTL_A_MAX] = {
	[CPNS_CTL_A_GROUP] = "GROUP",
	[CPNS_CTL_A_PNE_ID] = "PNE",
	[CPNS_CTL_A_GATEWAY] = "GATEWAY",
};

static const struct cpnsctl_attrs member_attrs = {
	member_names, __CPNS_CTL_A_MAX
};

static void member_usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsctl member { add | del } GROUP PNE@GATEWAY\n"
		"       cpnsctl member { show | list } [ GROUP ]\n"
		"GATEWAY is the common name of the gateway's certificate.\n");
}

/**
 * member_arg() - split PNE@GATEWAY and check both halves
 * @what: the command, for messages
 * @arg: the argument
 * @pne: out, @CPNS_CTL_PNE_ID_MAX + 1 bytes
 * @gw: out, as large
 *
 * At the last '@': neither half may hold one, so a PNE id with an '@'
 * is refused as a bad PNE, not split somewhere in the middle.
 *
 * Return: 0, or -1 after a usage error naming the half at fault.
 */
static int member_arg(const char *what, const char *arg, char *pne, char *gw)
{
	const char *at = strrchr(arg, '@');
	size_t len;

	if (!at) {
		cpnsctl_usage_error("%s: \"%s\" is not PNE@GATEWAY", what, arg);
		return -1;
	}
	len = (size_t)(at - arg);
	if (!cpnsctl_name_ok(arg, len)) {
		cpnsctl_usage_error("%s: PNE \"%.*s\" of \"%s\": 1 to %d of A-Z a-z 0-9 . _ : -",
				    what, (int)len, arg, arg,
				    CPNS_CTL_PNE_ID_MAX);
		return -1;
	}
	if (!cpnsctl_name_ok(at + 1, strlen(at + 1))) {
		cpnsctl_usage_error("%s: GATEWAY \"%s\" of \"%s\": 1 to %d of A-Z a-z 0-9 . _ : -",
				    what, at + 1, arg, CPNS_CTL_PNE_ID_MAX);
		return -1;
	}
	memcpy(pne, arg, len);
	pne[len] = '\0';
	strcpy(gw, at + 1);
	return 0;
}

static int member_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_CTL_A_GROUP] || !tb[CPNS_CTL_A_PNE_ID] ||
	    !tb[CPNS_CTL_A_GATEWAY]) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	cpns_print_open_object(NULL);
	cpns_print_uint("group", "group %" PRIu64,
			mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]));
	cpns_print_string("pne", " member %s",
			  mnl_attr_get_str(tb[CPNS_CTL_A_PNE_ID]));
	cpns_print_string("gateway", "@%s",
			  mnl_attr_get_str(tb[CPNS_CTL_A_GATEWAY]));
	if (tb[CPNS_CTL_A_CREATED])
		print_time("added", " added %s",
			   mnl_attr_get_u64(tb[CPNS_CTL_A_CREATED]));
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

/* member add and member del: GROUP PNE@GATEWAY. */
static int member_change(struct cpnsctl *ctl, const char *cmd, uint8_t op,
			 int argc, char **argv)
{
	char what[16], pne[CPNS_CTL_PNE_ID_MAX + 1], gw[CPNS_CTL_PNE_ID_MAX + 1];
	struct nlmsghdr *req;
	uint32_t group;
	int ret;

	snprintf(what, sizeof(what), "member %s", cmd);
	if (argc != 2)
		return cpnsctl_usage_error("%s: expected \"GROUP PNE@GATEWAY\"",
					   what);
	if (group_arg(what, argv[0], &group) ||
	    member_arg(what, argv[1], pne, gw))
		return EXIT_USAGE;
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, op, 0);
	mnl_attr_put_u32(req, CPNS_CTL_A_GROUP, group);
	mnl_attr_put_strz(req, CPNS_CTL_A_PNE_ID, pne);
	mnl_attr_put_strz(req, CPNS_CTL_A_GATEWAY, gw);
	return cpnsctl_ctl_talk(ctl, what, req, &member_attrs, NULL, NULL);
}

static int member_show(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	uint32_t group = 0;
	int ret;

	if (argc > 1)
		return cpnsctl_usage_error("member show: unexpected argument \"%s\"",
					   argv[1]);
	if (argc && group_arg("member show", argv[0], &group))
		return EXIT_USAGE;
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_MEMBER_GET,
			       NLM_F_DUMP);
	if (group)
		mnl_attr_put_u32(req, CPNS_CTL_A_GROUP, group);
	cpns_print_open_array(NULL, NULL);
	ret = cpnsctl_ctl_talk(ctl, "member show", req, &member_attrs,
			       member_cb, NULL);
	cpns_print_close_array(NULL);
	return ret;
}

int cmd_member(struct cpnsctl *ctl, int argc, char **argv)
{
	if (!argc || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return member_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (!strcmp(argv[0], "add"))
		return member_change(ctl, "add", CPNS_CTL_CMD_MEMBER_ADD,
				     argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return member_change(ctl, "del", CPNS_CTL_CMD_MEMBER_DEL,
				     argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		member_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("member: unknown command \"%s\"", argv[0]);
}
