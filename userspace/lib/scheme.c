// SPDX-License-Identifier: GPL-2.0
/*
 * Scheme registry: the one place that maps a scheme id to its code.
 */
#include <linux/cpns.h>

#include "scheme.h"

static const struct cpns_scheme_ops *const schemes[] = {
	[CPNS_SCHEME_CS] = &cpns_scheme_cs,
};

const struct cpns_scheme_ops *cpns_scheme_get(unsigned int id)
{
	if (id >= sizeof(schemes) / sizeof(schemes[0]))
		return NULL;
	return schemes[id];
}
