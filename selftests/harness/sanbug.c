// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test only: preloaded into the sanitized cpnsctl, it frees
 * one block twice before main(), so AddressSanitizer reports from inside
 * a real cpnsctl run.  Not instrumented itself: ASan's free() interceptor
 * sees the double free whoever calls it.
 */
#include <stdlib.h>

static void __attribute__((constructor)) sanbug(void)
{
	void *volatile p = malloc(16);

	free(p);
	free(p);
}
