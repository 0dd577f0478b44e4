// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl group-key: the Group Keys a CPNS Server's cpnsd issues, and
 * who has them: per group its current epoch and validity, per gateway
 * whether the gateway installed it and which of its member PNEs
 * acknowledged, are missing or refused it.  Never the key itself.
 *
 *   group-key rotate GROUP
 *   group-key { show | list } [ GROUP ]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"
#include "msg.h"
#include "print.h"

static const char *const gk_names[__CPNS_CTL_A_MAX] = {
	[CPNS_CTL_A_GROUP] = "GROUP",
};

static const struct cpnsctl_attrs gk_attrs = { gk_names, __CPNS_CTL_A_MAX };

static void gk_usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsctl group-key rotate GROUP\n"
		"       cpnsctl group-key { show | list } [ GROUP ]\n");
}

/* One row of a delivery report; pne "" is the gateway's own. */
struct gk_row {
	char gateway[CPNS_CTL_PNE_ID_MAX + 1];
	char pne[CPNS_CTL_PNE_ID_MAX + 1];
	uint8_t state;		/* enum cpns_ctl_delivery */
	bool answered;
	uint16_t status;
	uint64_t at;
};

struct gk_group {
	uint32_t group;
	uint64_t epoch;
	uint64_t from, until, created;
	bool has_from, has_until, has_created;
	struct gk_row *rows;
	size_t n, cap;
};

/* The whole report: rows are grouped by state, so printed at the end. */
struct gk_report {
	struct gk_group *g;
	size_t n, cap;
};

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 8;
	void *p;

	if (n < *cap)
		return v;
	p = realloc(v, c * size);
	if (p)
		*cap = c;
	return p;
}

static void report_free(struct gk_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		free(rep->g[i].rows);
	free(rep->g);
}

static uint64_t u64_or(const struct nlattr *a, bool *has)
{
	*has = a;
	return a ? mnl_attr_get_u64(a) : 0;
}

static int add_key(struct gk_report *rep, const struct nlattr **tb)
{
	struct gk_group *g, *p;

	p = grow(rep->g, &rep->cap, rep->n, sizeof(*g));
	if (!p)
		return -ENOMEM;
	rep->g = p;
	g = &rep->g[rep->n++];
	memset(g, 0, sizeof(*g));
	g->group = mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]);
	g->epoch = mnl_attr_get_u64(tb[CPNS_CTL_A_EPOCH]);
	g->from = u64_or(tb[CPNS_CTL_A_VALID_FROM], &g->has_from);
	g->until = u64_or(tb[CPNS_CTL_A_VALID_UNTIL], &g->has_until);
	g->created = u64_or(tb[CPNS_CTL_A_CREATED], &g->has_created);
	return 0;
}

/* A row belongs to the key object just before it (ctl.h). */
static int add_row(struct gk_report *rep, const struct nlattr **tb)
{
	struct gk_group *g = rep->n ? &rep->g[rep->n - 1] : NULL;
	struct gk_row *r, *p;

	if (!g || g->group != mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]) ||
	    g->epoch != mnl_attr_get_u64(tb[CPNS_CTL_A_EPOCH]) ||
	    !tb[CPNS_CTL_A_DELIVERY])
		return -EBADMSG;
	p = grow(g->rows, &g->cap, g->n, sizeof(*r));
	if (!p)
		return -ENOMEM;
	g->rows = p;
	r = &g->rows[g->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->gateway, sizeof(r->gateway), "%s",
		 mnl_attr_get_str(tb[CPNS_CTL_A_GATEWAY]));
	if (tb[CPNS_CTL_A_PNE_ID])
		snprintf(r->pne, sizeof(r->pne), "%s",
			 mnl_attr_get_str(tb[CPNS_CTL_A_PNE_ID]));
	r->state = mnl_attr_get_u8(tb[CPNS_CTL_A_DELIVERY]);
	r->answered = tb[CPNS_CTL_A_STATUS];
	if (r->answered)
		r->status = mnl_attr_get_u16(tb[CPNS_CTL_A_STATUS]);
	if (tb[CPNS_CTL_A_ACKED_AT])
		r->at = mnl_attr_get_u64(tb[CPNS_CTL_A_ACKED_AT]);
	return 0;
}

static int report_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];
	int ret;

	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_CTL_A_GROUP] || !tb[CPNS_CTL_A_EPOCH]) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ret = tb[CPNS_CTL_A_GATEWAY] ? add_row(data, tb) : add_key(data, tb);
	if (ret) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* The Response status a PNE or gateway answered with, by name. */
static const char *status_str(uint16_t status, char *buf, size_t len)
{
	const char *name = cpns_msg_status_name(status);

	if (name && strcmp(name, "unknown"))
		return name;
	snprintf(buf, len, "status-%u", status);
	return buf;
}

static size_t count(const struct gk_group *g, const char *gw, uint8_t state)
{
	size_t i, n = 0;

	for (i = 0; i < g->n; i++)
		n += g->rows[i].pne[0] && g->rows[i].state == state &&
		     !strcmp(g->rows[i].gateway, gw);
	return n;
}

/* One list of a gateway's PNEs: acknowledged, missing or refused. */
static void print_pnes(const struct gk_group *g, const char *gw,
		       uint8_t state, const char *key)
{
	const struct gk_row *r;
	char fmt[32], buf[24];
	bool any = count(g, gw, state);
	size_t i;

	snprintf(fmt, sizeof(fmt), "\n\t\t%s", key);
	cpns_print_open_array(key, any ? fmt : NULL);
	for (i = 0; i < g->n; i++) {
		r = &g->rows[i];
		if (!r->pne[0] || r->state != state || strcmp(r->gateway, gw))
			continue;
		if (state != CPNS_CTL_DLV_REFUSED) {
			cpns_print_string(NULL, " %s", r->pne);
			continue;
		}
		cpns_print_open_object(NULL);
		cpns_print_string("pne", " %s", r->pne);
		cpns_print_string("status", " (%s)",
				  status_str(r->status, buf, sizeof(buf)));
		cpns_print_close_object();
	}
	cpns_print_close_array(NULL);
}

/* The gateway's own answer: did it install the key (figure b step 3)? */
static void print_gateway_state(const struct gk_row *own)
{
	static const char *const names[] = {
		[CPNS_CTL_DLV_MISSING] = "missing",
		[CPNS_CTL_DLV_ACKED] = "installed",
		[CPNS_CTL_DLV_REFUSED] = "refused",
	};
	char buf[24];

	if (!own)
		return;
	cpns_print_string("state", " %s",
			  own->state < sizeof(names) / sizeof(names[0]) ?
			  names[own->state] : "unknown");
	if (own->answered && own->state != CPNS_CTL_DLV_ACKED)
		cpns_print_string("status", " (%s)",
				  status_str(own->status, buf, sizeof(buf)));
	if (own->answered)
		print_time("answered", NULL, own->at);
}

static void print_group(const struct gk_group *g)
{
	const struct gk_row *own;
	size_t i, j;

	cpns_print_open_object(NULL);
	cpns_print_uint("group", "group %" PRIu64, g->group);
	cpns_print_uint("epoch", " epoch %" PRIu64, g->epoch);
	if (g->has_from)
		print_time("valid_from", " valid %s", g->from);
	if (g->has_until) {
		print_time("valid_until", " until %s", g->until);
		print_remaining("expires_in", " (in %s)", g->until);
	}
	if (g->has_created)
		print_time("created", "\n\tcreated %s", g->created);
	cpns_print_open_array("gateways", NULL);
	for (i = 0; i < g->n; i++) {
		/* Each gateway once, where its first row is. */
		for (j = 0; j < i; j++)
			if (!strcmp(g->rows[j].gateway, g->rows[i].gateway))
				break;
		if (j < i)
			continue;
		own = NULL;
		for (j = i; j < g->n && !own; j++)
			if (!g->rows[j].pne[0] &&
			    !strcmp(g->rows[j].gateway, g->rows[i].gateway))
				own = &g->rows[j];
		cpns_print_open_object(NULL);
		cpns_print_string("gateway", "\n\tgateway %s",
				  g->rows[i].gateway);
		print_gateway_state(own);
		print_pnes(g, g->rows[i].gateway, CPNS_CTL_DLV_ACKED,
			   "acknowledged");
		print_pnes(g, g->rows[i].gateway, CPNS_CTL_DLV_MISSING,
			   "missing");
		print_pnes(g, g->rows[i].gateway, CPNS_CTL_DLV_REFUSED,
			   "refused");
		cpns_print_close_object();
	}
	cpns_print_close_array(NULL);
	cpns_print_text("\n");
	cpns_print_close_object();
}

static int gk_show(struct cpnsctl *ctl, int argc, char **argv)
{
	struct gk_report rep = { 0 };
	struct nlmsghdr *req;
	uint32_t group = 0;
	size_t i;
	int ret;

	if (argc > 1)
		return cpnsctl_usage_error("group-key show: unexpected argument \"%s\"",
					   argv[1]);
	if (argc && group_arg("group-key show", argv[0], &group))
		return EXIT_USAGE;
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_GK_GET, NLM_F_DUMP);
	if (group)
		mnl_attr_put_u32(req, CPNS_CTL_A_GROUP, group);
	cpns_print_open_array(NULL, NULL);
	ret = cpnsctl_ctl_talk(ctl, "group-key show", req, &gk_attrs,
			       report_cb, &rep);
	for (i = 0; !ret && i < rep.n; i++)
		print_group(&rep.g[i]);
	cpns_print_close_array(NULL);
	report_free(&rep);
	return ret;
}

static int rotate_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[__CPNS_CTL_A_MAX];

	(void)data;
	if (parse_reply(nlh, &cpns_ctl_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_CTL_A_GROUP] || !tb[CPNS_CTL_A_EPOCH]) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	cpns_print_open_object(NULL);
	cpns_print_uint("group", "group %" PRIu64,
			mnl_attr_get_u32(tb[CPNS_CTL_A_GROUP]));
	cpns_print_uint("epoch", " epoch %" PRIu64 "\n",
			mnl_attr_get_u64(tb[CPNS_CTL_A_EPOCH]));
	cpns_print_close_object();
	return MNL_CB_OK;
}

static int gk_rotate(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	uint32_t group;
	int ret;

	if (argc != 1)
		return cpnsctl_usage_error("group-key rotate: expected one GROUP");
	if (group_arg("group-key rotate", argv[0], &group))
		return EXIT_USAGE;
	ret = cpnsctl_ctl_connect(ctl);
	if (ret)
		return ret;
	req = cpns_ctl_request(ctl->ctlsock, CPNS_CTL_CMD_GK_ROTATE, 0);
	mnl_attr_put_u32(req, CPNS_CTL_A_GROUP, group);
	return cpnsctl_ctl_talk(ctl, "group-key rotate", req, &gk_attrs,
				rotate_cb, NULL);
}

int cmd_group_key(struct cpnsctl *ctl, int argc, char **argv)
{
	if (!argc || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return gk_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (!strcmp(argv[0], "rotate"))
		return gk_rotate(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		gk_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("group-key: unknown command \"%s\"",
				   argv[0]);
}
