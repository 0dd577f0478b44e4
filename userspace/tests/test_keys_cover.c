// SPDX-License-Identifier: GPL-2.0
/*
 * Complete Subtree cover: the fast cover against a deliberately naive
 * reference over thousands of random member sets, the r*log2(N/r) bound,
 * the strict cover check, and the tree index helpers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "keytest.h"

#include "cover.h"
#include "keycrypto.h"
#include "keyerr.h"
#include "keytree.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

/* Naive: mark full subtrees bottom-up, keep the maximal ones, sort. */
static size_t naive_cover(unsigned int h, const uint8_t *member,
			  uint32_t *out)
{
	uint32_t n = 1u << h, i, c = 0, s;
	uint8_t *full = calloc(2 * n, 1);

	for (i = 0; i < n; i++)
		full[n + i] = member[i];
	for (i = n - 1; i >= 1; i--)
		full[i] = full[2 * i] && full[2 * i + 1];
	/* Walk slots left to right; emit each maximal subtree once. */
	for (s = 0; s < n; s++) {
		uint32_t v = n + s;

		if (!full[v])
			continue;
		while (v > 1 && full[v / 2])
			v /= 2;
		if (cpns_node_first(h, v) == s)
			out[c++] = v;
	}
	free(full);
	return c;
}

/* Member set shapes: uniform density, runs, and the near-empty/full. */
static void random_members(unsigned int h, uint8_t *member)
{
	uint32_t n = 1u << h, i;
	static const unsigned int dens[] = { 1, 10, 50, 90, 99, 100, 0 };
	unsigned int d = dens[rnd() % 7];

	if (rnd() % 4 == 0) {
		/* Runs of random length: clustered membership. */
		int on = rnd() & 1;

		for (i = 0; i < n; i++) {
			if (rnd() % 16 == 0)
				on = !on;
			member[i] = on;
		}
		return;
	}
	for (i = 0; i < n; i++)
		member[i] = rnd() % 100 < d;
}

static unsigned int random_height(void)
{
	/* Mostly small trees (fast, all corners), some up to 16. */
	return rnd() % 8 ? 1 + rnd() % 10 : 11 + rnd() % 6;
}

TEST(cover_matches_naive_and_bound)
{
	int iter;

	for (iter = 0; iter < 3000; iter++) {
		unsigned int h = random_height();
		uint32_t n = 1u << h, m = 0, i, r;
		uint8_t *member = malloc(n), *ids;
		uint32_t *list = malloc(n * 4), *fast = malloc(n * 4);
		uint32_t *ref = malloc(n * 4);
		size_t c, cn;

		random_members(h, member);
		for (i = 0; i < n; i++)
			if (member[i])
				list[m++] = i;
		ASSERT_EQ(0, cpns_cs_check_members(h, list, m));
		c = cpns_cs_cover(h, list, m, fast);
		cn = naive_cover(h, member, ref);
		ASSERT_EQ(cn, c) TH_LOG("iter %d h %u members %u", iter, h, m);
		ASSERT_EQ(0, memcmp(fast, ref, c * 4));
		ASSERT_LE(c, cpns_cs_cover_max(h));
		/* Bound: r non-members among N, unassigned ones included. */
		r = n - m;
		if (!r) {
			ASSERT_EQ(1, c);
		} else {
			ASSERT_LE((double)c, r * log2((double)n / r) + 1e-6)
				TH_LOG("h %u r %u cover %zu", h, r, c);
		}
		/* The canonical cover passes the strict check ... */
		ids = malloc(c * 4 + 1);
		for (i = 0; i < c; i++)
			cpns_put_be32(ids + 4 * i, fast[i]);
		ASSERT_EQ(0, cpns_cs_check_cover(h, ids, c));
		/* ... and finds exactly the members. */
		for (i = 0; i < n; i += (h > 10 ? 1 + rnd() % 64 : 1)) {
			long k = cpns_cs_find(h, ids, c, i);

			if (member[i]) {
				ASSERT_GE(k, 0);
				ASSERT_TRUE(cpns_node_covers(h, fast[k], i));
			} else {
				ASSERT_EQ(-1, k);
			}
		}
		free(ids);
		free(member);
		free(list);
		free(fast);
		free(ref);
	}
}

TEST(cover_corners)
{
	uint32_t out[4], all[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, one = 5;
	uint32_t h20[2] = { 0, (1u << 20) - 1 };

	ASSERT_EQ(0, cpns_cs_cover(3, NULL, 0, out));
	ASSERT_EQ(1, cpns_cs_cover(3, all, 8, out));
	ASSERT_EQ(1, out[0]);
	ASSERT_EQ(1, cpns_cs_cover(3, &one, 1, out));
	ASSERT_EQ(13, out[0]);
	ASSERT_EQ(2, cpns_cs_cover(20, h20, 2, out));
	ASSERT_EQ(1u << 20, out[0]);
	ASSERT_EQ((2u << 20) - 1, out[1]);
	ASSERT_EQ(1, cpns_cs_cover_max(1));
	ASSERT_EQ(32768, cpns_cs_cover_max(16));
	ASSERT_EQ(CPNS_COVER_MAX, cpns_cs_cover_max(20));
}

TEST(worst_case_alternating)
{
	/* Every other slot: the largest minimal cover, 2^(h-1) leaves. */
	unsigned int h = 16;
	uint32_t n = 1u << h, i, m = 0;
	uint32_t *list = malloc(n * 4), *out = malloc(n * 4);

	for (i = 0; i < n; i += 2)
		list[m++] = i;
	ASSERT_EQ(n / 2, cpns_cs_cover(h, list, m, out));
	free(list);
	free(out);
}

TEST(members_check)
{
	uint32_t unsorted[] = { 3, 1 }, dup[] = { 1, 1 }, big[] = { 8 };

	ASSERT_EQ(CPNS_KE_MEMBERS, cpns_cs_check_members(3, unsorted, 2));
	ASSERT_EQ(CPNS_KE_MEMBERS, cpns_cs_check_members(3, dup, 2));
	ASSERT_EQ(CPNS_KE_MEMBERS, cpns_cs_check_members(3, big, 1));
	ASSERT_EQ(0, cpns_cs_check_members(4, big, 1));
}

static int check(unsigned int h, const uint32_t *nodes, size_t c)
{
	uint8_t ids[64 * 4];
	size_t i;

	for (i = 0; i < c; i++)
		cpns_put_be32(ids + 4 * i, nodes[i]);
	return cpns_cs_check_cover(h, ids, c);
}

TEST(cover_check_refusals)
{
	/* h = 3: leaves 8..15, slots 0..7. */
	const uint32_t ok[] = { 2, 13, 14 };
	const uint32_t zero[] = { 0 }, big[] = { 16 }, big2[] = { 2, 99 };
	const uint32_t order[] = { 13, 2 }, dup[] = { 13, 13 };
	const uint32_t anc[] = { 2, 5 }, anc2[] = { 8, 2 }, anc3[] = { 9, 2 };
	const uint32_t sib[] = { 12, 13 }, sib2[] = { 2, 3 };
	const uint32_t notsib[] = { 13, 14 }, root[] = { 1 };

	ASSERT_EQ(0, check(3, ok, 3));
	ASSERT_EQ(0, check(3, root, 1));
	ASSERT_EQ(0, check(3, notsib, 2));
	ASSERT_EQ(CPNS_KE_NODE_RANGE, check(3, zero, 1));
	ASSERT_EQ(CPNS_KE_NODE_RANGE, check(3, big, 1));
	ASSERT_EQ(CPNS_KE_NODE_RANGE, check(3, big2, 2));
	ASSERT_EQ(CPNS_KE_COVER_ORDER, check(3, order, 2));
	ASSERT_EQ(CPNS_KE_COVER_OVERLAP, check(3, dup, 2));
	ASSERT_EQ(CPNS_KE_COVER_OVERLAP, check(3, anc, 2));
	ASSERT_EQ(CPNS_KE_COVER_OVERLAP, check(3, anc2, 2));
	/* An ancestor after its descendant starts earlier: order first. */
	ASSERT_EQ(CPNS_KE_COVER_ORDER, check(3, anc3, 2));
	ASSERT_EQ(CPNS_KE_COVER_NOT_MINIMAL, check(3, sib, 2));
	ASSERT_EQ(CPNS_KE_COVER_NOT_MINIMAL, check(3, sib2, 2));
}

TEST(any_swap_is_refused)
{
	uint32_t list[64], out[64], sw[64];
	size_t c, i, j;
	uint32_t s, m = 0;

	for (s = 0; s < 128 && m < 64; s += 1 + rnd() % 5)
		list[m++] = s;
	c = cpns_cs_cover(7, list, m, out);
	ASSERT_GT(c, 3);
	ASSERT_LE(c, 64);
	for (i = 0; i < c; i++)
		for (j = i + 1; j < c; j++) {
			memcpy(sw, out, c * 4);
			sw[i] = out[j];
			sw[j] = out[i];
			ASSERT_EQ(CPNS_KE_COVER_ORDER, check(7, sw, c));
		}
}

TEST(tree_helpers)
{
	ASSERT_EQ(0, cpns_node_depth(1));
	ASSERT_EQ(1, cpns_node_depth(3));
	ASSERT_EQ(20, cpns_node_depth((2u << 20) - 1));
	ASSERT_EQ(0, cpns_node_first(3, 1));
	ASSERT_EQ(7, cpns_node_last(3, 1));
	ASSERT_EQ(4, cpns_node_first(3, 3));
	ASSERT_EQ(5, cpns_node_first(3, 13));
	ASSERT_EQ(5, cpns_node_last(3, 13));
	ASSERT_TRUE(cpns_node_covers(3, 1, 7));
	ASSERT_TRUE(cpns_node_covers(3, 6, 4));
	ASSERT_FALSE(cpns_node_covers(3, 6, 6));
	ASSERT_FALSE(cpns_node_valid(3, 0));
	ASSERT_FALSE(cpns_node_valid(3, 16));
	ASSERT_TRUE(cpns_node_valid(20, (2u << 20) - 1));
}

TEST_HARNESS_MAIN
