// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl key: the Group Keys cached per Service Group and epoch.
 *
 *   key add group ID epoch EPOCH plain file PATH|- [ lifetime SECS ]
 *   key add group ID [ epoch EPOCH ] wrapped file PATH|- [ lifetime SECS ]
 *   key del group ID epoch EPOCH
 *   key { show | list } [ group ID [ epoch EPOCH ] ]
 *   key flush [ group ID ]
 *   key fingerprint file PATH|-
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include <openssl/crypto.h>

#include "cpnsctl.h"
#include "gkblob.h"
#include "print.h"

static const char *const key_names[CPNS_A_KEY_MAX + 1] = {
	[CPNS_A_KEY_GROUP_ID] = "group",
	[CPNS_A_KEY_EPOCH] = "epoch",
	[CPNS_A_KEY_PLAIN] = "plain",
	[CPNS_A_KEY_WRAPPED] = "wrapped",
	[CPNS_A_KEY_LIFETIME] = "lifetime",
};

static const struct cpnsctl_attrs key_attrs = {
	key_names, CPNS_A_KEY_MAX + 1
};

static void key_usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsctl key add group ID epoch EPOCH plain file PATH|- [ lifetime SECS ]\n"
		"       cpnsctl key add group ID [ epoch EPOCH ] wrapped file PATH|- [ lifetime SECS ]\n"
		"       cpnsctl key del group ID epoch EPOCH\n"
		"       cpnsctl key { show | list } [ group ID [ epoch EPOCH ] ]\n"
		"       cpnsctl key flush [ group ID ]\n"
		"       cpnsctl key fingerprint file PATH|-\n"
		"Key bytes are read from files (or stdin), never from the command line.\n");
}

static const char *state_name(uint32_t s)
{
	switch (s) {
	case CPNS_KEY_STATE_CURRENT:
		return "current";
	case CPNS_KEY_STATE_PREVIOUS:
		return "previous";
	default:
		return "unknown";
	}
}

static const char *source_name(uint32_t s)
{
	switch (s) {
	case CPNS_KEY_SOURCE_PLAIN:
		return "plain";
	case CPNS_KEY_SOURCE_WRAPPED:
		return "wrapped";
	default:
		return "unknown";
	}
}

/**
 * print_key_attrs() - print one key (a KEY_GET reply or a key event)
 * @tb: its attributes, from parse_reply() with cpns_nl_key_policy
 */
void print_key_attrs(const struct nlattr **tb)
{
	char gw[24];

	if (tb[CPNS_A_KEY_GROUP_ID])
		cpns_print_uint("group", "group %" PRIu64,
				mnl_attr_get_u32(tb[CPNS_A_KEY_GROUP_ID]));
	if (tb[CPNS_A_KEY_EPOCH])
		cpns_print_uint("epoch", " epoch %" PRIu64,
				mnl_attr_get_u64(tb[CPNS_A_KEY_EPOCH]));
	if (tb[CPNS_A_KEY_STATE])
		cpns_print_string("state", " %s",
				  state_name(mnl_attr_get_u32(tb[CPNS_A_KEY_STATE])));
	if (tb[CPNS_A_KEY_SOURCE])
		cpns_print_string("source", " %s",
				  source_name(mnl_attr_get_u32(tb[CPNS_A_KEY_SOURCE])));
	if (tb[CPNS_A_KEY_FINGERPRINT])
		print_fingerprint("fingerprint", " fingerprint %s",
				  mnl_attr_get_payload(tb[CPNS_A_KEY_FINGERPRINT]),
				  mnl_attr_get_payload_len(tb[CPNS_A_KEY_FINGERPRINT]));
	if (tb[CPNS_A_KEY_GATEWAY_ID]) {
		snprintf(gw, sizeof(gw), "0x%016" PRIx64,
			 mnl_attr_get_u64(tb[CPNS_A_KEY_GATEWAY_ID]));
		cpns_print_string("gateway", " gateway %s", gw);
	}
	if (tb[CPNS_A_KEY_INSTALLED])
		print_time("installed", "\n\tinstalled %s",
			   mnl_attr_get_u64(tb[CPNS_A_KEY_INSTALLED]));
	if (tb[CPNS_A_KEY_EXPIRES]) {
		print_time("expires", " expires %s",
			   mnl_attr_get_u64(tb[CPNS_A_KEY_EXPIRES]));
		print_remaining("expires_in", " (in %s)",
				mnl_attr_get_u64(tb[CPNS_A_KEY_EXPIRES]));
	}
}

static int key_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CPNS_A_KEY_MAX + 1];

	(void)data;
	if (parse_reply(nlh, &cpns_nl_key_policy, tb))
		return MNL_CB_ERROR;
	cpns_print_open_object(NULL);
	print_key_attrs(tb);
	cpns_print_text("\n");
	cpns_print_close_object();
	return MNL_CB_OK;
}

/* The size of a wrapped key in one attribute, with room to see "too big". */
#define KEY_FILE_MAX (CPNS_WRAPPED_MAX_LEN + 1)

static int key_add(struct cpnsctl *ctl, int argc, char **argv)
{
	const char *file = NULL, *kind = NULL;
	uint32_t group = 0, lifetime = 0;
	bool has_group = false, has_epoch = false, has_lifetime = false;
	struct nlmsghdr *req;
	uint64_t epoch = 0;
	uint8_t *buf;
	size_t len;
	int ret;

	while (argc > 0) {
		if (!strcmp(argv[0], "plain") || !strcmp(argv[0], "wrapped")) {
			if (kind)
				return cpnsctl_usage_error("key add: give one of \"plain\" and \"wrapped\"");
			kind = argv[0];
			argc--;
			argv++;
			continue;
		}
		if (strcmp(argv[0], "group") && strcmp(argv[0], "epoch") &&
		    strcmp(argv[0], "lifetime") && strcmp(argv[0], "file")) {
			/* Never echo what may be key material. */
			if (strlen(argv[0]) >= 32)
				return cpnsctl_usage_error("key add: unknown argument of %zu characters (key bytes are never taken from the command line: use \"file PATH\")",
							   strlen(argv[0]));
			return cpnsctl_usage_error("key add: unknown argument \"%s\"",
						   argv[0]);
		}
		if (arg_need("key add", argv[0], argc))
			return EXIT_USAGE;
		if (!strcmp(argv[0], "group")) {
			if (arg_u32("group", argv[1], UINT32_MAX, &group))
				return EXIT_USAGE;
			has_group = true;
		} else if (!strcmp(argv[0], "epoch")) {
			if (arg_u64("epoch", argv[1], &epoch))
				return EXIT_USAGE;
			has_epoch = true;
		} else if (!strcmp(argv[0], "lifetime")) {
			if (arg_u32("lifetime", argv[1], 31536000, &lifetime))
				return EXIT_USAGE;
			has_lifetime = true;
		} else {
			file = argv[1];
		}
		argc -= 2;
		argv += 2;
	}
	if (!has_group)
		return cpnsctl_usage_error("key add: missing \"group ID\"");
	if (!kind || !file)
		return cpnsctl_usage_error("key add: expected \"plain file PATH\" or \"wrapped file PATH\"");
	if (!strcmp(kind, "plain") && !has_epoch)
		return cpnsctl_usage_error("key add: a plain key needs \"epoch EPOCH\"");
	if (!strcmp(file, "-") && ctl->batch && !strcmp(ctl->batch, "-"))
		return cpnsctl_usage_error("key add: \"file -\": standard input is the batch");

	buf = malloc(KEY_FILE_MAX);
	if (!buf)
		return EXIT_FAIL;
	if (read_secret("file", file, buf, KEY_FILE_MAX, &len)) {
		free(buf);
		return EXIT_FAIL;
	}
	if (len > CPNS_WRAPPED_MAX_LEN) {
		cpnsctl_err("key add: file %s is larger than %d bytes", file,
			    CPNS_WRAPPED_MAX_LEN);
		OPENSSL_cleanse(buf, KEY_FILE_MAX);
		free(buf);
		return EXIT_FAIL;
	}
	ret = cpnsctl_connect(ctl);
	if (!ret) {
		req = cpns_nl_request(&ctl->nl, CPNS_CMD_KEY_INSTALL, 0);
		mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, group);
		if (has_epoch)
			mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, epoch);
		if (has_lifetime)
			mnl_attr_put_u32(req, CPNS_A_KEY_LIFETIME, lifetime);
		mnl_attr_put(req, !strcmp(kind, "plain") ?
			     CPNS_A_KEY_PLAIN : CPNS_A_KEY_WRAPPED, len, buf);
		ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
		if (ret)
			ret = cpnsctl_nl_error(ctl, "key add", req, &key_attrs,
					       ret);
		OPENSSL_cleanse(req, req->nlmsg_len);
	}
	OPENSSL_cleanse(buf, KEY_FILE_MAX);
	free(buf);
	return ret;
}

struct sel {
	uint32_t group;
	uint64_t epoch;
	bool has_group, has_epoch;
};

static int parse_sel(const char *cmd, int argc, char **argv, struct sel *s,
		     bool need_epoch)
{
	memset(s, 0, sizeof(*s));
	for (; argc > 0; argc -= 2, argv += 2) {
		if (arg_need(cmd, argv[0], argc))
			return EXIT_USAGE;
		if (!strcmp(argv[0], "group")) {
			if (arg_u32("group", argv[1], UINT32_MAX, &s->group))
				return EXIT_USAGE;
			s->has_group = true;
		} else if (!strcmp(argv[0], "epoch")) {
			if (arg_u64("epoch", argv[1], &s->epoch))
				return EXIT_USAGE;
			s->has_epoch = true;
		} else {
			return cpnsctl_usage_error("%s: unknown argument \"%s\"",
						   cmd, argv[0]);
		}
	}
	if (s->has_epoch && !s->has_group)
		return cpnsctl_usage_error("%s: \"epoch\" needs \"group\"", cmd);
	if (need_epoch && !s->has_epoch)
		return cpnsctl_usage_error("%s: expected \"group ID epoch EPOCH\"",
					   cmd);
	return EXIT_OK;
}

/* @gone_ok: a flush races retirements; a key already gone is fine. */
static int key_del_one(struct cpnsctl *ctl, uint32_t group, uint64_t epoch,
		       bool gone_ok)
{
	struct nlmsghdr *req;
	int ret;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_KEY_DEL, 0);
	mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, group);
	mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, epoch);
	ret = cpns_nl_talk(&ctl->nl, req, NULL, NULL);
	if (ret == -ENOENT && gone_ok)
		return EXIT_OK;
	if (ret)
		return cpnsctl_nl_error(ctl, "key del", req, &key_attrs, ret);
	return EXIT_OK;
}

static int key_del(struct cpnsctl *ctl, int argc, char **argv)
{
	struct sel s;
	int ret;

	ret = parse_sel("key del", argc, argv, &s, true);
	if (!ret)
		ret = cpnsctl_connect(ctl);
	return ret ? ret : key_del_one(ctl, s.group, s.epoch, false);
}

static struct nlmsghdr *key_dump_req(struct cpnsctl *ctl, const struct sel *s)
{
	struct nlmsghdr *req;

	req = cpns_nl_request(&ctl->nl, CPNS_CMD_KEY_GET, NLM_F_DUMP);
	if (s->has_group)
		mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, s->group);
	return req;
}

static int key_show(struct cpnsctl *ctl, int argc, char **argv)
{
	struct nlmsghdr *req;
	struct sel s;
	int ret;

	ret = parse_sel("key show", argc, argv, &s, false);
	if (!ret)
		ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	if (s.has_epoch) {
		req = cpns_nl_request(&ctl->nl, CPNS_CMD_KEY_GET, 0);
		mnl_attr_put_u32(req, CPNS_A_KEY_GROUP_ID, s.group);
		mnl_attr_put_u64(req, CPNS_A_KEY_EPOCH, s.epoch);
		ret = cpns_nl_talk(&ctl->nl, req, key_cb, NULL);
		if (ret)
			return cpnsctl_nl_error(ctl, "key show", req, &key_attrs,
						ret);
		return EXIT_OK;
	}
	cpns_print_open_array(NULL, NULL);
	ret = cpns_nl_dump(&ctl->nl, key_dump_req(ctl, &s), key_cb, NULL);
	cpns_print_close_array(NULL);
	if (ret)
		return cpnsctl_nl_error(ctl, "key show", NULL, NULL, ret);
	return EXIT_OK;
}

struct keyids {
	struct {
		uint32_t group;
		uint64_t epoch;
	} *k;
	size_t n, cap;
};

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct keyids *ids = data;
	const struct nlattr *tb[CPNS_A_KEY_MAX + 1];
	uint32_t group;
	uint64_t epoch;
	void *p;

	if (parse_reply(nlh, &cpns_nl_key_policy, tb))
		return MNL_CB_ERROR;
	if (!tb[CPNS_A_KEY_GROUP_ID] || !tb[CPNS_A_KEY_EPOCH])
		return MNL_CB_OK;
	group = mnl_attr_get_u32(tb[CPNS_A_KEY_GROUP_ID]);
	epoch = mnl_attr_get_u64(tb[CPNS_A_KEY_EPOCH]);
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 64;
		p = realloc(ids->k, ids->cap * sizeof(*ids->k));
		if (!p) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		ids->k = p;
	}
	ids->k[ids->n].group = group;
	ids->k[ids->n++].epoch = epoch;
	return MNL_CB_OK;
}

static int key_flush(struct cpnsctl *ctl, int argc, char **argv)
{
	struct keyids ids = { 0 };
	struct sel s;
	size_t i;
	int ret;

	ret = parse_sel("key flush", argc, argv, &s, false);
	if (!ret && s.has_epoch)
		ret = cpnsctl_usage_error("key flush: takes no \"epoch\" (use key del)");
	if (!ret)
		ret = cpnsctl_connect(ctl);
	if (ret)
		return ret;
	ret = cpns_nl_dump(&ctl->nl, key_dump_req(ctl, &s), collect_cb,
			   &ids);
	if (ret)
		ret = cpnsctl_nl_error(ctl, "key flush", NULL, NULL, ret);
	for (i = 0; !ret && i < ids.n; i++)
		ret = key_del_one(ctl, ids.k[i].group, ids.k[i].epoch, true);
	free(ids.k);
	return ret;
}

/*
 * The fingerprint key show gives of the plain Group Key in a file, from
 * the module's formula (kmod/keys.c), without installing it.
 */
static int key_fingerprint(struct cpnsctl *ctl, int argc, char **argv)
{
	/* Room to tell a wrong file's size, e.g. a wrapped key's. */
	uint8_t key[1024], fp[CPNS_FP_LEN];
	size_t len;
	int ret;

	if (argc != 2 || strcmp(argv[0], "file"))
		return cpnsctl_usage_error("key fingerprint: expected \"file PATH\" (of a plain Group Key)");
	if (!strcmp(argv[1], "-") && ctl->batch && !strcmp(ctl->batch, "-"))
		return cpnsctl_usage_error("key fingerprint: \"file -\": standard input is the batch");
	if (read_secret("file", argv[1], key, sizeof(key), &len))
		return EXIT_FAIL;
	if (len != CPNS_KEY_LEN) {
		OPENSSL_cleanse(key, sizeof(key));
		cpnsctl_err("key fingerprint: file %s: %zu bytes, a plain Group Key has %d",
			    argv[1], len, CPNS_KEY_LEN);
		return EXIT_FAIL;
	}
	ret = cpns_gk_fingerprint(key, fp);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		cpnsctl_err("key fingerprint: SHA-256 failed");
		return EXIT_FAIL;
	}
	cpns_print_open_object(NULL);
	print_fingerprint("fingerprint", "fingerprint %s\n", fp, sizeof(fp));
	cpns_print_close_object();
	return EXIT_OK;
}

int cmd_key(struct cpnsctl *ctl, int argc, char **argv)
{
	if (!argc || !strcmp(argv[0], "show") || !strcmp(argv[0], "list"))
		return key_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (!strcmp(argv[0], "add"))
		return key_add(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "del"))
		return key_del(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "flush"))
		return key_flush(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "fingerprint"))
		return key_fingerprint(ctl, argc - 1, argv + 1);
	if (!strcmp(argv[0], "help")) {
		key_usage(stdout);
		return EXIT_OK;
	}
	return cpnsctl_usage_error("key: unknown command \"%s\"", argv[0]);
}
