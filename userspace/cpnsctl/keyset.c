// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl keyset: a gateway's key material set, as its cpnsd reports it:
 * height, set id, gateway id and its slots by state.  The master secret
 * never leaves cpnsd.
 *
 *   keyset [ show ]
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpnsctl.h"
#include "print.h"

static int keyset_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];
	char gw[24];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	cpns_print_open_object(NULL);
	if (!tb[CPNS_CTL_A_SET_ID]) {
		/* JSON: an empty object. */
		cpns_print_text("no key material set yet (the first GKDK Assignment Request creates one)\n");
		cpns_print_close_object();
		return MNL_CB_OK;
	}
	cpns_print_uint("set_id", "keyset set %" PRIu64,
			mnl_attr_get_u32(tb[CPNS_CTL_A_SET_ID]));
	if (tb[CPNS_CTL_A_HEIGHT])
		cpns_print_uint("height", " height %" PRIu64,
				mnl_attr_get_u8(tb[CPNS_CTL_A_HEIGHT]));
	if (tb[CPNS_CTL_A_GATEWAY_ID]) {
		/* A string in JSON too, as gkdk show prints it. */
		snprintf(gw, sizeof(gw), "0x%016" PRIx64,
			 mnl_attr_get_u64(tb[CPNS_CTL_A_GATEWAY_ID]));
		cpns_print_string("gateway", " gateway %s", gw);
	}
	if (tb[CPNS_CTL_A_SLOTS_FREE])
		cpns_print_uint("slots_free", "\n\tslots free %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_CTL_A_SLOTS_FREE]));
	if (tb[CPNS_CTL_A_SLOTS_ASSIGNED])
		cpns_print_uint("slots_assigned", " assigned %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_CTL_A_SLOTS_ASSIGNED]));
	if (tb[CPNS_CTL_A_SLOTS_REVOKED])
		cpns_print_uint("slots_revoked", " revoked %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_CTL_A_SLOTS_REVOKED]));
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

int cmd_keyset(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	int ret;

	if (argc && !strcmp(argv[0], "help")) {
		printf("Usage: cpnsctl keyset [ show ]\n");
		return EXIT_OK;
	}
	if (argc && !strcmp(argv[0], "show")) {
		argc--;
		argv++;
	}
	if (argc)
		return cpnsctl_usage_error("keyset: unknown argument \"%s\"",
					   argv[0]);
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_KEYSET_GET, 0);
	return cpnsctl_ctl_talk(ctl, "keyset show", req, NULL, keyset_cb, NULL);
}
