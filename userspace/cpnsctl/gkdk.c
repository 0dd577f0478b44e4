// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl gkdk: the node's Group Key Decryption Keys.
 *
 *   gkdk set file PATH|-
 *   gkdk del gateway ID
 *   gkdk { show | list } [ gateway ID ]
 *   gkdk flush
 *   gkdk fingerprint file PATH|-
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include <openssl/crypto.h>

#include "cpnsctl.h"
#include "gkdk.h"
#include "keyerr.h"
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
		"       cpnsctl gkdk flush\n"
		"       cpnsctl gkdk fingerprint file PATH|-\n");
}

static void print_gateway(const char *key, const char *fmt, uint64_t id)
{
	char s[24];

	/* A string in JSON too: 64-bit ids do not survive JSON numbers. */
	snprintf(s, sizeof(s), "0x%016" PRIx64, id);
	cpns_print_string(key, fmt, s);
}

/**
 * print_gkdk_attrs() - print the GKDK fields of a reply or an event
 * @tb: its attributes, from parse_reply() with cpns_nl_gkdk_policy
 */
void print_gkdk_attrs(const struct nlattr **tb)
{
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
	const struct nlattr *tb[CPNS_A_GKDK_MAX + 1];

	(void)data;
	if (parse_reply(nlh, &cpns_nl_gkdk_policy, tb))
		return MNL_CB_ERROR;
	cpns_print_open_object(NULL);
	print_gkdk_attrs(tb);
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

/* @gone_ok: a flush may race another deleter; a GKDK gone is fine. */
static int gkdk_del_one(struct cpnsctl *ctl, uint64_t id, bool gone_ok)
{
	struct nlmsghdr *req;
	int ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_GKDK_DEL, 0);
	mnl_attr_put_u64(req, CPNS_A_GKDK_GATEWAY_ID, id);
	ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
	if (ret == -ENOENT && gone_ok)
		return EXIT_OK;
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
	return ret ? ret : gkdk_del_one(ctl, id, false);
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
	const struct nlattr *tb[CPNS_A_GKDK_MAX + 1];
	struct ids *ids = data;

	if (parse_reply(nlh, &cpns_nl_gkdk_policy, tb))
		return MNL_CB_ERROR;
	if (tb[CPNS_A_GKDK_GATEWAY_ID] && ids->n < CPNS_GKDK_MAX)
		ids->id[ids->n++] = mnl_attr_get_u64(tb[CPNS_A_GKDK_GATEWAY_ID]);
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
		ret = gkdk_del_one(ctl, ids.id[i], true);
		if (ret)
			return ret;
	}
	return EXIT_OK;
}

/**
 * gkdk_fingerprint() - print what gkdk show would say of a GKDK file
 * @ctl: the tool
 * @argc: arguments after "fingerprint"
 * @argv: "file" PATH
 *
 * Local, like wg pubkey: an operator checks a file against gkdk show
 * without installing it.  The fingerprint is the module's (kmod/gkdk.c):
 * over the encoding, which the strict decode guarantees is canonical.
 *
 * Return: EXIT_OK, EXIT_USAGE or EXIT_FAIL.
 */
static int gkdk_fingerprint(struct cpnsctl *ctl, int argc, char **argv)
{
	uint8_t buf[CPNS_GKDK_MAX_LEN + 1], fp[CPNS_FP_LEN];
	struct cpns_gkdk g;
	size_t len;
	int ret;

	if (argc != 2 || strcmp(argv[0], "file"))
		return cpnsctl_usage_error("gkdk fingerprint: expected \"file PATH\"");
	if (!strcmp(argv[1], "-") && ctl->batch && !strcmp(ctl->batch, "-"))
		return cpnsctl_usage_error("gkdk fingerprint: \"file -\": standard input is the batch");
	if (read_secret("file", argv[1], buf, sizeof(buf), &len))
		return EXIT_FAIL;
	ret = cpns_gkdk_decode(&g, buf, len);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!ret)
		ret = cpns_gkdk_fingerprint(&g, fp);
	if (ret) {
		cpns_gkdk_wipe(&g);
		cpnsctl_err("gkdk fingerprint: file %s: not a GKDK: %s",
			    argv[1], cpns_kerr_str(ret));
		return EXIT_FAIL;
	}
	/* The same line as gkdk show, from the file's own fields. */
	cpns_print_open_object(NULL);
	print_gateway("gateway", "gateway %s", g.gateway_id);
	cpns_print_uint("slot", " slot %" PRIu64, g.slot);
	cpns_print_uint("height", " height %" PRIu64, g.height);
	cpns_print_string("scheme", " scheme %s", scheme_name(g.scheme));
	cpns_print_uint("set_id", " set %" PRIu64, g.set_id);
	print_fingerprint("fingerprint", " fingerprint %s", fp, sizeof(fp));
	cpns_print_text("\n");
	cpns_print_close_object();
	cpns_gkdk_wipe(&g);
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
	if (!strcmp(argv[0], "fingerprint"))
		return gkdk_fingerprint(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		gkdk_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("gkdk: unknown command \"%s\"", argv[0]);
}
