// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd: the CPNS daemon (server, gateway or PNE by its configuration).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpnsd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cpnsd [-c FILE] [--foreground] [--debug]\n"
		"       cpnsd -c FILE --check-config\n"
		"       cpnsd --version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fdh", opts, NULL)) != -1) {
		switch (c) {
		case 'V':
			printf("cpnsd %s\n", CPNSD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'c':
		case 'f':
		case 'd':
		case 'C':
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	return 0;
}
