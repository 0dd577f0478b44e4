// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl info: the module's version, family, schemes and ciphers.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "cpnsctl.h"
#include "print.h"

static const char *cipher_name(uint32_t c)
{
	switch (c) {
	case CPNS_CIPHER_AES256_GCM:
		return "aes-256-gcm";
	default:
		return "unknown";
	}
}

static void print_list(const struct nlattr *nest, const char *key,
		       const char *label, const char *(*name)(uint32_t))
{
	const struct nlattr *a;
	bool first = true;

	cpns_print_open_array(key, label);
	mnl_attr_for_each_nested(a, nest) {
		/* cpns_nl_parse() checked every member's size. */
		if (mnl_attr_get_type(a) != CPNS_A_LIST_ITEM)
			continue;
		if (!first)
			cpns_print_text(" ");
		cpns_print_string(NULL, "%s", name(mnl_attr_get_u32(a)));
		first = false;
	}
	cpns_print_close_array("\n");
}

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_INFO_MAX + 1];

	(void)data;
	if (parse_reply(nlh, &cpns_nl_info_policy, tb))
		return MNL_CB_ERROR;
	cpns_print_open_object(NULL);
	if (tb[CPNS_A_INFO_VERSION])
		cpns_print_string("version", "version %s\n",
				  mnl_attr_get_str(tb[CPNS_A_INFO_VERSION]));
	if (tb[CPNS_A_INFO_FAMILY_VERSION])
		cpns_print_uint("family_version", "family-version %" PRIu64 "\n",
				mnl_attr_get_u32(tb[CPNS_A_INFO_FAMILY_VERSION]));
	if (tb[CPNS_A_INFO_SCHEMES])
		print_list(tb[CPNS_A_INFO_SCHEMES], "schemes", "schemes ",
			   scheme_name);
	if (tb[CPNS_A_INFO_CIPHERS])
		print_list(tb[CPNS_A_INFO_CIPHERS], "ciphers", "ciphers ",
			   cipher_name);
	if (tb[CPNS_A_INFO_MAX_TREE_HEIGHT])
		cpns_print_uint("max_tree_height",
				"max-tree-height %" PRIu64 "\n",
				mnl_attr_get_u32(tb[CPNS_A_INFO_MAX_TREE_HEIGHT]));
	if (tb[CPNS_A_INFO_NETNS_COOKIE])
		cpns_print_uint("netns_cookie", "netns-cookie %" PRIu64 "\n",
				mnl_attr_get_u64(tb[CPNS_A_INFO_NETNS_COOKIE]));
	if (tb[CPNS_A_INFO_FASTPATH_AEAD])
		cpns_print_string("fastpath_aead", "fastpath-aead %s\n",
				  mnl_attr_get_str(tb[CPNS_A_INFO_FASTPATH_AEAD]));
	cpns_print_close_object();
	return MNL_CB_OK;
}

int cmd_info(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	int ret;

	(void)argv;
	if (argc > 0)
		return cpnsctl_usage_error("info: unexpected argument \"%s\"",
					   argv[0]);
	ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_INFO_GET, 0);
	ret = cpns_nl_talk(&ctl->nl, req, info_cb, NULL);
	if (ret)
		return cpnsctl_nl_error(ctl, "info", NULL, NULL, ret);
	return EXIT_OK;
}
