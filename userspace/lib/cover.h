/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Complete Subtree cover (Naor-Naor-Lotspiech): the minimal set of
 * complete subtrees whose leaves are exactly the member slots.  Pure tree
 * arithmetic, no keys; scheme_cs.c wraps it into the scheme interface.
 *
 * Canonical order: ascending first slot.  Subtrees of a cover are
 * disjoint, so in this order each one starts after the previous ends, and
 * two siblings (which a minimal cover never holds both of) are adjacent.
 */
#ifndef CPNS_COVER_H
#define CPNS_COVER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Largest cover a blob may carry.  A minimal cover over 2^h slots has at
 * most 2^(h-1) entries (every other slot a member); this cap bounds a blob
 * to 4 MiB for trees of height 18 and more.
 */
#define CPNS_COVER_MAX	65536

/* Entries the minimal cover of a height-@h tree can ever need. */
size_t cpns_cs_cover_max(unsigned int h);

/* CPNS_KE_MEMBERS unless @m is strictly ascending and below 2^h. */
int cpns_cs_check_members(unsigned int h, const uint32_t *m, size_t n);

/*
 * Minimal cover of the checked member list @m into @out (room for @n
 * entries: a cover never has more entries than members), canonical order.
 * Returns the number of entries.  O(n).
 */
size_t cpns_cs_cover(unsigned int h, const uint32_t *m, size_t n,
		     uint32_t *out);

/*
 * Strict check of a cover as carried in a blob (@count big-endian u32
 * node indices): range, order, overlap, minimality, in that order, first
 * failing entry wins.
 */
int cpns_cs_check_cover(unsigned int h, const uint8_t *ids, size_t count);

/* Index of the entry whose subtree holds @slot, or -1.  O(log count). */
long cpns_cs_find(unsigned int h, const uint8_t *ids, size_t count,
		  uint32_t slot);

#endif /* CPNS_COVER_H */
