/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPNSCTL_H
#define CPNSCTL_H

#include <stdbool.h>

#include "nl.h"

/* Exit status, as ip(8): 0 ok, 1 the operation failed, 2 usage. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cpnsctl {
	bool json;
	bool pretty;
	const char *netns;
	struct cpns_nl nl;
	bool nl_open;
};

struct cpnsctl_object {
	const char *name;
	int (*handler)(struct cpnsctl *ctl, int argc, char **argv);
	const char *help;
};

int cpnsctl_connect(struct cpnsctl *ctl);
int cpnsctl_nl_error(struct cpnsctl *ctl, const char *what, int err);
int cpnsctl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

int cmd_info(struct cpnsctl *ctl, int argc, char **argv);

#endif /* CPNSCTL_H */
