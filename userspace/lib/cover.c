// SPDX-License-Identifier: GPL-2.0
/*
 * Complete Subtree cover: build, check and search.
 */
#include "cover.h"
#include "keycrypto.h"
#include "keyerr.h"
#include "keytree.h"

size_t cpns_cs_cover_max(unsigned int h)
{
	size_t m = (size_t)1 << (h - 1);

	return m < CPNS_COVER_MAX ? m : CPNS_COVER_MAX;
}

int cpns_cs_check_members(unsigned int h, const uint32_t *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m[i] >> h)
			return CPNS_KE_MEMBERS;
		if (i && m[i] <= m[i - 1])
			return CPNS_KE_MEMBERS;
	}
	return 0;
}

/*
 * The maximal complete subtrees inside a set are exactly the maximal
 * aligned power-of-two blocks inside its runs of consecutive slots, so a
 * greedy split of each run is the minimal cover: take the largest block
 * that starts at the run's first slot, is aligned to its own size and
 * fits, then continue after it.
 */
size_t cpns_cs_cover(unsigned int h, const uint32_t *m, size_t n,
		     uint32_t *out)
{
	size_t i = 0, count = 0;

	while (i < n) {
		uint64_t a = m[i], b = m[i];

		while (i + 1 < n && m[i + 1] == b + 1)
			b = m[++i];
		i++;
		while (a <= b) {
			unsigned int k = h;

			if (a)
				k = (unsigned int)__builtin_ctzll(a);
			while (a + (UINT64_C(1) << k) - 1 > b)
				k--;
			out[count++] = (uint32_t)((UINT64_C(1) << h | a) >> k);
			a += UINT64_C(1) << k;
		}
	}
	return count;
}

int cpns_cs_check_cover(unsigned int h, const uint8_t *ids, size_t count)
{
	uint32_t prev = 0, prev_first = 0, prev_last = 0;
	size_t i;

	for (i = 0; i < count; i++) {
		uint32_t n = cpns_get_be32(ids + 4 * i), first, k;

		if (!cpns_node_valid(h, n))
			return CPNS_KE_NODE_RANGE;
		k = h - cpns_node_depth(n);
		first = (n << k) - (UINT32_C(1) << h);
		if (i) {
			if (first < prev_first)
				return CPNS_KE_COVER_ORDER;
			if (first <= prev_last)
				return CPNS_KE_COVER_OVERLAP;
			/* Both children of one parent: list the parent. */
			if (!(prev & 1) && n == prev + 1)
				return CPNS_KE_COVER_NOT_MINIMAL;
		}
		prev = n;
		prev_first = first;
		prev_last = first + (UINT32_C(1) << k) - 1;
	}
	return 0;
}

long cpns_cs_find(unsigned int h, const uint8_t *ids, size_t count,
		  uint32_t slot)
{
	size_t lo = 0, hi = count;

	/* Last entry whose first slot is <= slot (entries are disjoint). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cpns_node_first(h, cpns_get_be32(ids + 4 * mid)) <= slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	if (!cpns_node_covers(h, cpns_get_be32(ids + 4 * (lo - 1)), slot))
		return -1;
	return (long)(lo - 1);
}
