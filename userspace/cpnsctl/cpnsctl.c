// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl: control tool for the cpns kernel module.
 *
 *   cpnsctl [OPTIONS] OBJECT [COMMAND [ARGS]]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
	{ "info", cmd_info, "show the module's version, schemes and ciphers" },
	{ "help", cmd_help, "show this help" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: cpnsctl [OPTIONS] OBJECT [COMMAND [ARGS]]\n"
		"OPTIONS := { -j[son] | -p[retty] | -n[etns] NAME | -V[ersion] | -h[elp] }\n"
		"OBJECT :=\n");
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		fprintf(f, "    %-10s %s\n", objects[i].name, objects[i].help);
}

static int cmd_help(struct cpnsctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

int cpnsctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("cpnsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry \"cpnsctl help\".\n", stderr);
	return EXIT_USAGE;
}

/**
 * cpnsctl_nl_error() - report a failed request, with the kernel's reason
 * @ctl: the tool
 * @what: the command that failed
 * @err: negative errno
 *
 * Return: EXIT_FAIL.
 */
int cpnsctl_nl_error(struct cpnsctl *ctl, const char *what, int err)
{
	if (ctl->nl.extack[0])
		fprintf(stderr, "cpnsctl: %s: %s: %s\n", what, strerror(-err),
			ctl->nl.extack);
	else
		fprintf(stderr, "cpnsctl: %s: %s\n", what, strerror(-err));
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
		fprintf(stderr,
			"cpnsctl: the cpns generic netlink family is not registered (is cpns.ko loaded? try \"modprobe cpns\")\n");
		return EXIT_FAIL;
	}
	if (ret) {
		fprintf(stderr, "cpnsctl: netlink: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
	ctl->nl_open = true;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "netns", required_argument, NULL, 'n' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cpnsctl ctl = { 0 };
	const struct cpnsctl_object *obj = NULL;
	size_t i;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+jpn:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'p':
			ctl.pretty = true;
			break;
		case 'n':
			ctl.netns = optarg;
			break;
		case 'V':
			printf("cpnsctl %s\n", CPNSCTL_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		if (strcmp(argv[0], objects[i].name) == 0)
			obj = &objects[i];
	if (!obj)
		return cpnsctl_usage_error("unknown object \"%s\"", argv[0]);

	if (ctl.netns && enter_netns(ctl.netns))
		return EXIT_FAIL;

	cpns_print_start(stdout, ctl.json, ctl.pretty);
	ret = obj->handler(&ctl, argc - 1, argv + 1);
	if (cpns_print_end() && ret == EXIT_OK) {
		fprintf(stderr, "cpnsctl: writing output failed\n");
		ret = EXIT_FAIL;
	}
	if (ctl.nl_open)
		cpns_nl_close(&ctl.nl);
	return ret;
}
