// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl pne: the PNEs a gateway's cpnsd knows (its control socket).
 *
 *   pne add ID eu-key file PATH
 *   pne del ID
 *   pne revoke ID
 *   pne show [ ID ]
 *   pne list
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpnsctl.h"
#include "print.h"

static const char *const pne_names[__CPNS_CTL_A_MAX] = {
	[CPNS_CTL_A_PNE_ID] = "ID",
	[CPNS_CTL_A_EU_KEY_FILE] = "eu-key file",
};

static const struct cpnsctl_attrs pne_attrs = { pne_names, __CPNS_CTL_A_MAX };

static void pne_usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsctl pne add ID eu-key file PATH\n"
		"       cpnsctl pne { del | revoke } ID\n"
		"       cpnsctl pne show [ ID ]\n"
		"       cpnsctl pne list\n");
}

static const char *state_name(uint8_t state)
{
	switch (state) {
	case CPNS_CTL_PNE_REGISTERED:
		return "registered";
	case CPNS_CTL_PNE_ASSIGNED:
		return "assigned";
	case CPNS_CTL_PNE_REVOKED:
		return "revoked";
	default:
		return "unknown";
	}
}

/* What cpnsd accepts as an id (msg.h's): 1..64 of [A-Za-z0-9._:-]. */
static int id_arg(const char *cmd, const char *id)
{
	if (cpnsctl_name_ok(id, strlen(id)))
		return 0;
	cpnsctl_usage_error("pne %s: ID \"%s\": 1 to %d of A-Z a-z 0-9 . _ : -",
			    cmd, id, CPNS_CTL_PNE_ID_MAX);
	return -1;
}

static int pne_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_CTL_A_PNE_ID]) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	cpns_print_open_object(NULL);
	cpns_print_string("id", "pne %s",
			  mnl_attr_get_str(tb[CPNS_CTL_A_PNE_ID]));
	if (tb[CPNS_CTL_A_PNE_STATE])
		cpns_print_string("state", " state %s",
				  state_name(mnl_attr_get_u8(tb[CPNS_CTL_A_PNE_STATE])));
	if (tb[CPNS_CTL_A_SET_ID])
		cpns_print_uint("set_id", " set %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_CTL_A_SET_ID]));
	if (tb[CPNS_CTL_A_SLOT])
		cpns_print_uint("slot", " slot %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_CTL_A_SLOT]));
	if (tb[CPNS_CTL_A_ASSIGNED_AT])
		print_time("assigned_at", " assigned %s",
			   mnl_attr_get_u64(tb[CPNS_CTL_A_ASSIGNED_AT]));
	if (tb[CPNS_CTL_A_EU_KEY_FILE])
		cpns_print_string("eu_key_file", "\n\teu-key file %s",
				  mnl_attr_get_str(tb[CPNS_CTL_A_EU_KEY_FILE]));
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

static int id_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_CTL_A_PNE_ID]) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	cpns_print_string(NULL, "%s\n", mnl_attr_get_str(tb[CPNS_CTL_A_PNE_ID]));
	return MNL_CB_OK;
}

/*
 * cpnsd runs in /, so a relative PATH is made absolute here.  It is not
 * resolved: cpnsd reads the file itself and says what is wrong with it.
 */
static int pne_add(struct cpnsctl *ctl, int argc, char **argv)
{
	char cwd[PATH_MAX], path[CPNS_CTL_PATH_MAX + 1];
	struct nlmsghdr *req;
	int ret, n;

	if (argc != 4 || strcmp(argv[1], "eu-key") || strcmp(argv[2], "file"))
		return cpnsctl_usage_error("pne add: expected \"ID eu-key file PATH\"");
	if (id_arg("add", argv[0]))
		return EXIT_USAGE;
	if (argv[3][0] == '/') {
		n = snprintf(path, sizeof(path), "%s", argv[3]);
	} else if (getcwd(cwd, sizeof(cwd))) {
		n = snprintf(path, sizeof(path), "%s/%s", cwd, argv[3]);
	} else {
		cpnsctl_err("pne add: eu-key file %s: %s", argv[3],
			    strerror(errno));
		return EXIT_FAIL;
	}
	if (n < 0 || (size_t)n >= sizeof(path))
		return cpnsctl_usage_error("pne add: eu-key file: path longer than %d bytes",
					   CPNS_CTL_PATH_MAX - 1);
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_PNE_ADD, 0);
	mnl_attr_put_strz(req, CPNS_CTL_A_PNE_ID, argv[0]);
	mnl_attr_put_strz(req, CPNS_CTL_A_EU_KEY_FILE, path);
	return cpnsctl_ctl_talk(ctl, "pne add", req, &pne_attrs, NULL, NULL);
}

/* pne del and pne revoke: one ID. */
static int pne_one(struct cpnsctl *ctl, const char *cmd, uint8_t op,
		   int argc, char **argv)
{
	char what[16];
	struct nlmsghdr *req;
	int ret;

	if (argc != 1)
		return cpnsctl_usage_error("pne %s: expected one ID", cmd);
	if (id_arg(cmd, argv[0]))
		return EXIT_USAGE;
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	snprintf(what, sizeof(what), "pne %s", cmd);
	req = cpns_ctl_request(ctl->ctlsock, op, 0);
	mnl_attr_put_strz(req, CPNS_CTL_A_PNE_ID, argv[0]);
	return cpnsctl_ctl_talk(ctl, what, req, &pne_attrs, NULL, NULL);
}

static int pne_show(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	int ret;

	if (argc > 1)
		return cpnsctl_usage_error("pne show: unexpected argument \"%s\"",
					   argv[1]);
	if (argc && id_arg("show", argv[0]))
		return EXIT_USAGE;
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	if (argc) {
		req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_PNE_GET, 0);
		mnl_attr_put_strz(req, CPNS_CTL_A_PNE_ID, argv[0]);
		return cpnsctl_ctl_talk(ctl, "pne show", req, &pne_attrs,
					pne_cb, NULL);
	}
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_PNE_GET, NLM_F_DUMP);
	cpns_print_open_array(NULL, NULL);
	ret = cpnsctl_ctl_talk(ctl, "pne show", req, &pne_attrs, pne_cb, NULL);
	cpns_print_close_array(NULL);
	return ret;
}

static int pne_list(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	int ret;

	if (argc)
		return cpnsctl_usage_error("pne list: unexpected argument \"%s\"",
					   argv[0]);
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_PNE_GET, NLM_F_DUMP);
	cpns_print_open_array(NULL, NULL);
	ret = cpnsctl_ctl_talk(ctl, "pne list", req, &pne_attrs, id_cb, NULL);
	cpns_print_close_array(NULL);
	return ret;
}

int cmd_pne(struct cpnsctl *ctl, int argc, char **argv)
{
	if (!argc || !strcmp(argv[0], "show"))
		return pne_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (!strcmp(argv[0], "list"))
		return pne_list(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "add"))
		return pne_add(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return pne_one(ctl, "del", CPNS_CTL_CMD_PNE_DEL, argc - 1,
			       argv + 1);
	if (!strcmp(argv[0], "revoke"))
		return pne_one(ctl, "revoke", CPNS_CTL_CMD_PNE_REVOKE,
			       argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		pne_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("pne: unknown command \"%s\"", argv[0]);
}
