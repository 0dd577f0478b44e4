/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the key hierarchy tests and benchmark.
 */
#ifndef CPNS_KEYTEST_H
#define CPNS_KEYTEST_H

#include <stdint.h>

/* xorshift64*: reproducible, good enough to pick test cases. */
static inline uint64_t xorshift64s(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

#endif /* CPNS_KEYTEST_H */
