// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl gkdk: the node's Group Key Decryption Keys.
 *
 *   gkdk set file PATH|-
 *   gkdk del gateway ID
 *   gkdk { show | list } [ gateway ID ]
 *   gkdk flush
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include <openssl/crypto.h>

#include "cpnsctl.h"
#include "print.h"

static const char *const gkdk_names[CPNS_A_GKDK_MAX + 1] = {
	[CPNS_A_GKDK_GATEWAY_ID] = "gateway",
	[CPNS_A_GKDK_DATA] = "file",
};

static const struct cpnsctl_attrs gkdk_attrs = {
	gkdk_names, CPNS_A_GKDK_MAX + 1
};

static void gkdk_usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsctl gkdk set file PATH|-\n"
		"       cpnsctl gkdk del gateway ID\n"
		"       cpnsctl gkdk { show | list } [ gateway ID ]\n"
		"       cpnsctl gkdk flush\n");
}

static void print_gateway(const char *key, const char *fmt, uint64_t id)
{
	char s[24];

	/* A string in JSON too: 64-bit ids do not survive JSON numbers. */
	snprintf(s, sizeof(s), "0x%016" PRIx64, id);
	cpns_print_string(key, fmt, s);
}

static const struct attr_check gkdk_checks[CPNS_A_GKDK_MAX + 1] = {
	[CPNS_A_GKDK_GATEWAY_ID] = { MNL_TYPE_U64, 0 },
	[CPNS_A_GKDK_SCHEME] = { MNL_TYPE_U32, 0 },
	[CPNS_A_GKDK_HEIGHT] = { MNL_TYPE_U32, 0 },
	[CPNS_A_GKDK_SLOT] = { MNL_TYPE_U32, 0 },
	[CPNS_A_GKDK_SET_ID] = { MNL_TYPE_U32, 0 },
	[CPNS_A_GKDK_FINGERPRINT] = { MNL_TYPE_BINARY, CPNS_FINGERPRINT_LEN },
};

/**
 * print_gkdk_msg() - print the GKDK fields of a reply or an event
 * @nlh: the message
 */
void print_gkdk_msg(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[CPNS_A_GKDK_MAX + 1];

	parse_attrs(nlh, NULL, gkdk_checks, CPNS_A_GKDK_MAX, tb);
	if (tb[CPNS_A_GKDK_GATEWAY_ID])
		print_gateway("gateway", "gateway %s",
			      mnl_attr_get_u64(tb[CPNS_A_GKDK_GATEWAY_ID]));
	if (tb[CPNS_A_GKDK_SLOT])
		cpns_print_uint("slot", " slot %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_A_GKDK_SLOT]));
	if (tb[CPNS_A_GKDK_HEIGHT])
		cpns_print_uint("height", " height %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_A_GKDK_HEIGHT]));
	if (tb[CPNS_A_GKDK_SCHEME])
		cpns_print_string("scheme", " scheme %s",
				  scheme_name(mnl_attr_get_u32(tb[CPNS_A_GKDK_SCHEME])));
	if (tb[CPNS_A_GKDK_SET_ID])
		cpns_print_uint("set_id", " set %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_A_GKDK_SET_ID]));
	if (tb[CPNS_A_GKDK_FINGERPRINT])
		print_fingerprint("fingerprint", " fingerprint %s",
				  mnl_attr_get_payload(tb[CPNS_A_GKDK_FINGERPRINT]),
				  mnl_attr_get_payload_len(tb[CPNS_A_GKDK_FINGERPRINT]));
}

static int gkdk_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	cpns_print_open_object(NULL);
	print_gkdk_msg(nlh);
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

static int gkdk_set(struct cpnsctl *ctl, int argc, char **argv)
{
	uint8_t buf[CPNS_GKDK_MAX_LEN];
	struct nlmsghdr *req;
	size_t len;
	int ret;

	if (argc != 2 || strcmp(argv[0], "file"))
		return cpnsctl_usage_error("gkdk set: expected \"file PATH\" (key bytes are never taken from the command line)");
	if (!strcmp(argv[1], "-") && ctl->batch && !strcmp(ctl->batch, "-"))
		return cpnsctl_usage_error("gkdk set: \"file -\": standard input is the batch");
	if (read_secret("file", argv[1], buf, sizeof(buf), &len))
		return EXIT_FAIL;
	ret = cpnsctl_connect(ctl);
	if (!ret) {
		req = cpns_nl_request(&ctl->nl, CPNS_CMD_GKDK_SET, 0);
		mnl_attr_put(req, CPNS_A_GKDK_DATA, len, buf);
		ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
		if (ret)
			ret = cpnsctl_nl_error(ctl, "gkdk set", req, &gkdk_attrs,
					       ret);
		OPENSSL_cleanse(req, req->nlmsg_len);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

static int gateway_arg(const char *cmd, int argc, char **argv, uint64_t *id)
{
	if (argc != 2 || strcmp(argv[0], "gateway"))
		return cpnsctl_usage_error("gkdk %s: expected \"gateway ID\"",
					   cmd);
	return arg_u64("gateway", argv[1], id) ? EXIT_USAGE : EXIT_OK;
}

static int gkdk_del_one(struct cpnsctl *ctl, uint64_t id)
{
	struct nlmsghdr *req;
	int ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GKDK_DEL, 0);
	mnl_attr_put_u64(req, CPNS_A_GKDK_GATEWAY_ID, id);
	ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
	if (ret)
		return cpnsctl_nl_error(ctl, "gkdk del", req, &gkdk_attrs, ret);
	return EXIT_OK;
}

static int gkdk_del(struct cpnsctl *ctl, int argc, char **argv)
{
	uint64_t id;
	int ret;

	ret = gateway_arg("del", argc, argv, &id);
	if (!ret)
		ret = cpnsctl_connect(ctl);
	return ret ? ret : gkdk_del_one(ctl, id);
}

static int gkdk_show(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	uint64_t id;
	int ret;

	if (argc) {
		ret = gateway_arg("show", argc, argv, &id);
		if (!ret)
			ret = cpnsctl_connect(ctl);
		if (ret)
			return ret;
		req = cpns_nl_request(&ctl->nl, CPNS_CMD_GKDK_GET, 0);
		mnl_attr_put_u64(req, CPNS_A_GKDK_GATEWAY_ID, id);
		ret = cpns_nl_talk(&ctl->nl, req, gkdk_cb, NULL);
		if (ret)
			return cpnsctl_nl_error(ctl, "gkdk show", req,
						&gkdk_attrs, ret);
		return EXIT_OK;
	}
	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GKDK_GET, NLM_F_DUMP);
	cpns_print_open_array(NULL, NULL);
	ret = cpns_nl_dump(&ctl->nl, req, gkdk_cb, NULL);
	cpns_print_close_array(NULL);
	if (ret)
		return cpnsctl_nl_error(ctl, "gkdk show", NULL, NULL, ret);
	return EXIT_OK;
}

struct ids {
	uint64_t id[CPNS_GKDK_MAX];
	size_t n;
};

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ids *ids = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CPNS_A_GKDK_GATEWAY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U64) &&
		    ids->n < CPNS_GKDK_MAX)
			ids->id[ids->n++] = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

static int gkdk_flush(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	struct ids ids = { .n = 0 };
	size_t i;
	int ret;

	if (argc)
		return cpnsctl_usage_error("gkdk flush: unexpected argument \"%s\"",
					   argv[0]);
	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GKDK_GET, NLM_F_DUMP);
	ret = cpns_nl_dump(&ctl->nl, req, collect_cb, &ids);
	if (ret)
		return cpnsctl_nl_error(ctl, "gkdk flush", NULL, NULL, ret);
	for (i = 0; i < ids.n; i++) {
		ret = gkdk_del_one(ctl, ids.id[i]);
		if (ret)
			return ret;
	}
	return EXIT_OK;
}

int cmd_gkdk(struct cpnsctl *ctl, int argc, char **argv)
{
	if (!argc || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return gkdk_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (!strcmp(argv[0], "set"))
		return gkdk_set(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return gkdk_del(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "flush"))
		return gkdk_flush(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		gkdk_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("gkdk: unknown command \"%s\"", argv[0]);
}
