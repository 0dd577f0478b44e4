// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl: control tool for the cpns kernel module.
 *
 *   cpnsctl [OPTIONS] OBJECT [COMMAND [ARGS]]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpnsctl.h"
#include "print.h"

#define CPNSCTL_VERSION "0.1.0"

static int cmd_help(struct cpnsctl *ctl, int argc, char **argv);

static const struct cpnsctl_object objects[] = {
	{ "info", cmd_info, "the module's version, schemes and ciphers" },
	{ "gkdk", cmd_gkdk, "GKDKs: set, del, show, flush, fingerprint" },
	{ "group", cmd_group, "Service Groups: add, del, show, flush" },
	{ "key", cmd_key, "Group Keys: add, del, show, flush, fingerprint" },
	{ "stats", cmd_stats, "counters of the namespace or of a group" },
	{ "monitor", cmd_monitor, "print events as they happen" },
	{ "pne", cmd_pne, "cpnsd (gateway): PNEs: add, del, revoke, show, list" },
	{ "keyset", cmd_keyset, "cpnsd (gateway): the key material set" },
	{ "daemon", cmd_daemon, "cpnsd: role, uptime, peers, counters" },
	{ "member", cmd_member, "cpnsd (server): Service Group members: add, del, show" },
	{ "group-key", cmd_group_key, "cpnsd (server): Group Keys: rotate, show delivery" },
	{ "help", cmd_help, "this help" },
};

static int line_no;	/* in batch mode, the line being run */

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: cpnsctl [OPTIONS] OBJECT [COMMAND [ARGS]]\n"
		"       cpnsctl [OPTIONS] -b FILE\n"
		"OPTIONS := { -j[son] | -p[retty] | -s[tatistics] | -t[imestamp] |\n"
		"             -ts[hort] | -n[etns] NAME | -b[atch] FILE | -V[ersion] |\n"
		"             -h[elp] }\n"
		"OBJECT :=\n");
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		fprintf(f, "    %-9s %s\n", objects[i].name, objects[i].help);
	fprintf(f, "\"cpnsctl OBJECT help\" describes an object's commands.\n");
}

static int cmd_help(struct cpnsctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

/* "cpnsctl: [line N: ]MESSAGE" and a line break. */
static void verr(const char *fmt, va_list ap)
{
	fputs("cpnsctl: ", stderr);
	if (line_no)
		fprintf(stderr, "line %d: ", line_no);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* An error of the current command, with its batch line. */
void cpnsctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
}

int cpnsctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	fputs("Try \"cpnsctl help\".\n", stderr);
	return EXIT_USAGE;
}

/**
 * cpnsctl_nl_error() - report a refused request, with the kernel's reason
 * @ctl: the tool
 * @what: the command, e.g. "group add"
 * @req: the request (to find the attribute the kernel blamed), or NULL
 * @attrs: argument names of the request's attribute set, or NULL
 * @err: negative errno
 *
 * Return: EXIT_FAIL.
 */
int cpnsctl_nl_error(struct cpnsctl *ctl, const char *what,
		     const struct nlmsghdr *req,
		     const struct cpnsctl_attrs *attrs, int err)
{
	const char *arg = NULL, *bad = take_reply_error();
	int type = 0, nest;

	if (req && attrs) {
		type = cpns_nl_bad_attr(&ctl->nl, req, &nest);
		/* Inside a nest (the selector), name the nest's argument. */
		if (nest)
			type = nest;
		if (!type)
			type = (int)ctl->nl.extack_miss;
		if (type > 0 && (size_t)type < attrs->n)
			arg = attrs->names[type];
	}
	fputs("cpnsctl: ", stderr);
	if (line_no)
		fprintf(stderr, "line %d: ", line_no);
	fprintf(stderr, "%s: %s", what, strerror(-err));
	if (err == -EBADMSG && bad)
		fprintf(stderr, ": malformed reply: %s", bad);
	else if (ctl->nl.extack[0])
		fprintf(stderr, ": %s", ctl->nl.extack);
	if (arg)
		fprintf(stderr, " (argument \"%s\")", arg);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "cpnsctl: -n %s: cannot open %s: %s\n", name,
			path, strerror(errno));
		return EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "cpnsctl: -n %s: setns: %s\n", name,
			strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	return EXIT_OK;
}

/**
 * cpnsctl_connect() - open the netlink socket on first use
 * @ctl: the tool
 *
 * Return: EXIT_OK, or EXIT_FAIL after printing why.
 */
int cpnsctl_connect(struct cpnsctl *ctl)
{
	int ret;

	if (ctl->nl_open)
		return EXIT_OK;
	ret = cpns_nl_open(&ctl->nl);
	if (ret == -ENOENT) {
		cpnsctl_err("the cpns generic netlink family is not registered (is cpns.ko loaded? try \"modprobe cpns\")");
		return EXIT_FAIL;
	}
	if (ret) {
		cpnsctl_err("netlink: %s", strerror(-ret));
		return EXIT_FAIL;
	}
	ctl->nl_open = true;
	return EXIT_OK;
}

static int run(struct cpnsctl *ctl, int argc, char **argv)
{
	size_t i;

	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (strcmp(argv[0], objects[i].name) == 0)
			return objects[i].handler(ctl, argc - 1, argv + 1);
	return cpnsctl_usage_error("unknown object \"%s\"", argv[0]);
}

/* Split a batch line into words; '#' starts a comment. */
static int split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	while (*p) {
		while (*p && strchr(" \t\r\n", *p))
			*p++ = '\0';
		if (!*p || *p == '#')
			break;
		if (argc == max)
			return -1;
		argv[argc++] = p;
		while (*p && !strchr(" \t\r\n", *p))
			p++;
	}
	*p = '\0';
	return argc;
}

/* ip -batch: one socket for every line; stop at the first failure. */
static int run_batch(struct cpnsctl *ctl, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = NULL, *argv[64];
	size_t cap = 0;
	int argc, ret = EXIT_OK;

	if (!f) {
		fprintf(stderr, "cpnsctl: -b %s: %s\n", path, strerror(errno));
		return EXIT_FAIL;
	}
	while (getline(&line, &cap, f) > 0) {
		line_no++;
		argc = split(line, argv, 64);
		if (argc < 0) {
			ret = cpnsctl_usage_error("too many arguments");
			break;
		}
		if (!argc)
			continue;
		ret = run(ctl, argc, argv);
		if (ret)
			break;
	}
	if (!ret && ferror(f)) {
		cpnsctl_err("-b %s: %s", path, strerror(errno));
		ret = EXIT_FAIL;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

/*
 * The global options, matched as ip(8) matches its own: one or two dashes,
 * then any prefix of the word, tried in this order (so "-s" is
 * -statistics and "-t" -timestamp, as in ip).  A value is the next
 * argument, or follows "="; "-nfoo" is no option at all rather than
 * "-n foo" or "-n" and "foo" misread.
 */
enum opt_id { OPT_STATS, OPT_TIMESTAMP, OPT_TSHORT, OPT_VERSION, OPT_BATCH,
	      OPT_JSON, OPT_PRETTY, OPT_HELP, OPT_NETNS };

static const struct {
	const char *word;
	enum opt_id id;
	bool has_arg;
} gopts[] = {
	{ "stats", OPT_STATS, false },
	{ "statistics", OPT_STATS, false },
	{ "timestamp", OPT_TIMESTAMP, false },
	{ "tshort", OPT_TSHORT, false },
	{ "Version", OPT_VERSION, false },
	{ "version", OPT_VERSION, false },	/* getopt's --version, kept */
	{ "batch", OPT_BATCH, true },
	{ "json", OPT_JSON, false },
	{ "pretty", OPT_PRETTY, false },
	{ "help", OPT_HELP, false },
	{ "netns", OPT_NETNS, true },
};

#define NGOPTS (sizeof(gopts) / sizeof(gopts[0]))

/* ip's matches(): @s is a non-empty prefix of @word. */
static bool is_prefix(const char *s, size_t len, const char *word)
{
	return len && len <= strlen(word) && !strncmp(s, word, len);
}

/*
 * Parse the options before OBJECT into @ctl.  Return: the number of
 * arguments used, or -1 after a usage error, or -2 when -V or -h was
 * handled.
 */
static int parse_options(struct cpnsctl *ctl, int argc, char **argv)
{
	const char *opt, *name, *eq, *val;
	size_t i, len;
	int n;

	for (n = 0; n < argc && argv[n][0] == '-'; n++) {
		opt = argv[n];
		if (!strcmp(opt, "--"))
			return n + 1;
		name = opt + 1 + (opt[1] == '-');
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		for (i = 0; i < NGOPTS; i++)
			if (is_prefix(name, len, gopts[i].word))
				break;
		if (i == NGOPTS) {
			for (i = 0; i < NGOPTS; i++)
				if (gopts[i].has_arg && name[0] == gopts[i].word[0])
					break;
			if (i < NGOPTS && len > 1)
				cpnsctl_usage_error("unknown option \"%s\" (if -%s was meant, its value is the next argument: \"-%c VALUE\")",
						    opt, gopts[i].word, name[0]);
			else
				cpnsctl_usage_error("unknown option \"%s\"", opt);
			return -1;
		}
		val = NULL;
		if (eq && !gopts[i].has_arg) {
			cpnsctl_usage_error("option \"%s\" takes no value", opt);
			return -1;
		}
		if (gopts[i].has_arg) {
			if (eq)
				val = eq + 1;
			else if (n + 1 < argc)
				val = argv[++n];
			if (!val || !*val) {
				cpnsctl_usage_error("option \"%s\" needs a value",
						    opt);
				return -1;
			}
		}
		switch (gopts[i].id) {
		case OPT_STATS:
			ctl->stats = true;
			break;
		case OPT_TIMESTAMP:
			ctl->timestamp = CPNSCTL_TS_LONG;
			break;
		case OPT_TSHORT:
			ctl->timestamp = CPNSCTL_TS_SHORT;
			break;
		case OPT_VERSION:
			printf("cpnsctl %s\n", CPNSCTL_VERSION);
			return -2;
		case OPT_BATCH:
			ctl->batch = val;
			break;
		case OPT_JSON:
			ctl->json = true;
			break;
		case OPT_PRETTY:
			ctl->pretty = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return -2;
		case OPT_NETNS:
			ctl->netns = val;
			break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct cpnsctl ctl = { 0 };
	int n, ret;

	n = parse_options(&ctl, argc - 1, argv + 1);
	if (n == -2)
		return EXIT_OK;
	if (n < 0)
		return EXIT_USAGE;
	argc -= n + 1;
	argv += n + 1;
	if (!ctl.batch && argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ctl.batch && argc > 0)
		return cpnsctl_usage_error("-b takes no OBJECT on the command line");

	if (ctl.netns && enter_netns(ctl.netns))
		return EXIT_FAIL;

	/* Batch output is one JSON document per command, like ip -b -j. */
	cpns_print_start(stdout, ctl.json, ctl.pretty);
	ret = ctl.batch ? run_batch(&ctl, ctl.batch) : run(&ctl, argc, argv);
	if (cpns_print_end() && ret == EXIT_OK) {
		fprintf(stderr, "cpnsctl: writing output failed\n");
		ret = EXIT_FAIL;
	}
	if (ctl.nl_open)
		cpns_nl_close(&ctl.nl);
	cpnsctl_ctl_close(&ctl);
	return ret;
}
