// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: the fast path.  Netfilter hooks seal the UDP datagrams a Service
 * Group's traffic selector matches on their way out (LOCAL_OUT) with the
 * group's current key, open them on their way in (LOCAL_IN) with the key
 * of the epoch they name, current or previous, so a rollover loses
 * nothing sealed under either, and verify them when they are forwarded
 * (FORWARD).  What does not open or verify, or comes twice, is dropped
 * and counted by reason (Documentation/fastpath.rst).
 *
 * Hooks run under rcu_read_lock(), in softirq or with preemption enabled
 * (LOCAL_OUT from sendmsg()); they take no mutex and never sleep.
 */

#include <linux/errqueue.h>
#include <linux/hash.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/inetdevice.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netlink.h>
#include <net/udp.h>

#include "compat.h"
#include "cpns.h"

#define HDR_LEN		CPNS_WIRE_HDR_LEN
#define TAG_LEN		CPNS_WIRE_TAG_LEN

static_assert(sizeof(struct cpns_wire_hdr) == CPNS_WIRE_HDR_LEN);

static void fp_add_one(struct cpns_fp_stats __percpu *fp, size_t off,
		       unsigned int n)
{
	struct cpns_fp_stats *s = get_cpu_ptr(fp);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add((u64_stats_t *)((u8 *)s + off), n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(fp);
}

static struct cpns_fp_stats __percpu *fp_stats_alloc(gfp_t gfp)
{
	struct cpns_fp_stats __percpu *fp;
	int cpu;

	fp = alloc_percpu_gfp(struct cpns_fp_stats, gfp);
	if (fp)
		for_each_possible_cpu(cpu)
			u64_stats_init(&per_cpu_ptr(fp, cpu)->syncp);
	return fp;
}

/* Count for the namespace and for the group. */
static void fp_count(struct cpns_net *cn, struct cpns_group *g, size_t off,
		     unsigned int n)
{
	fp_add_one(cn->fp, off, n);
	fp_add_one(g->fp, off, n);
}

#define fp_add(cn, g, field, n) \
	fp_count(cn, g, offsetof(struct cpns_fp_stats, field), n)
#define fp_inc(cn, g, field) fp_add(cn, g, field, 1)

/**
 * cpns_fp_stats_sum() - add up per-CPU fast-path counters
 * @fp: the counters; NULL gives zeros
 * @t: out
 */
void cpns_fp_stats_sum(struct cpns_fp_stats __percpu *fp,
		       struct cpns_fp_totals *t)
{
	int cpu;

	memset(t, 0, sizeof(*t));
	if (!fp)
		return;
	for_each_possible_cpu(cpu) {
		const struct cpns_fp_stats *s = per_cpu_ptr(fp, cpu);
		struct cpns_fp_totals c;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			c.tx_sealed = u64_stats_read(&s->tx_sealed);
			c.tx_no_key = u64_stats_read(&s->tx_no_key);
			c.tx_dropped = u64_stats_read(&s->tx_dropped);
			c.rx_opened = u64_stats_read(&s->rx_opened);
			c.rx_malformed = u64_stats_read(&s->rx_malformed);
			c.rx_auth_failed = u64_stats_read(&s->rx_auth_failed);
			c.rx_replayed = u64_stats_read(&s->rx_replayed);
			c.rx_dropped = u64_stats_read(&s->rx_dropped);
			c.key_missing = u64_stats_read(&s->key_missing);
			c.fwd_verified = u64_stats_read(&s->fwd_verified);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		t->tx_sealed += c.tx_sealed;
		t->tx_no_key += c.tx_no_key;
		t->tx_dropped += c.tx_dropped;
		t->rx_opened += c.rx_opened;
		t->rx_malformed += c.rx_malformed;
		t->rx_auth_failed += c.rx_auth_failed;
		t->rx_replayed += c.rx_replayed;
		t->rx_dropped += c.rx_dropped;
		t->key_missing += c.key_missing;
		t->fwd_verified += c.fwd_verified;
	}
}

/*
 * At most one key-missing event per group and second: a stream of
 * datagrams under an epoch this node lacks must not become a stream of
 * events.  Racing CPUs agree on one winner with cmpxchg().
 */
static void key_missing(struct cpns_net *cn, struct cpns_group *g,
			const u64 *epoch)
{
	unsigned long last = READ_ONCE(g->missing_at);
	unsigned long now = jiffies | 1;	/* 0 means never */

	if (last && time_before(now, last + HZ))
		return;
	if (cmpxchg(&g->missing_at, last, now) != last)
		return;
	cpns_notify_key_missing(cn, g->id, epoch);
}

/* Selectors */

static u32 sel_hash(__be16 dport)
{
	return hash_32((__force u32)dport, CPNS_SEL_BITS);
}

static bool sel_match(const struct cpns_selector *s, u16 family,
		      const void *daddr, __be16 dport)
{
	if (s->family != family || (s->dport && s->dport != dport))
		return false;
	if (family == AF_INET)
		return !((*(const __be32 *)daddr ^ *(const __be32 *)s->daddr) &
			 inet_make_mask(s->prefix_len));
	return ipv6_prefix_equal(daddr, (const struct in6_addr *)s->daddr,
				 s->prefix_len);
}

/*
 * The group whose selector matches most closely: a selector for the port
 * beats one for any port, then the longest prefix wins.  Identical
 * selectors are refused, so the answer is unique.
 */
static struct cpns_group *sel_lookup(struct cpns_net *cn, u16 family,
				     const void *daddr, __be16 dport)
{
	struct cpns_group *g, *best = NULL;

	hlist_for_each_entry_rcu(g, &cn->sel_hash[sel_hash(dport)], sel_node)
		if (sel_match(&g->sel, family, daddr, dport) &&
		    (!best || g->sel.prefix_len > best->sel.prefix_len))
			best = g;
	if (best)
		return best;
	hlist_for_each_entry_rcu(g, &cn->sel_any, sel_node)
		if (sel_match(&g->sel, family, daddr, dport) &&
		    (!best || g->sel.prefix_len > best->sel.prefix_len))
			best = g;
	return best;
}

/* Where a UDP datagram goes, from its IP and UDP headers. */
struct udp_dest {
	__be32 addr[4];		/* final destination, aligned for sel_match() */
	__be16 port;
	unsigned int thoff;	/* offset of the UDP header */
	bool frag;		/* a first fragment */
	bool transit;		/* IPv6: routing header segments left */
};

/* A sealed unit: header, ciphertext, tag.  A datagram, or a GSO segment. */
#define UNIT_OVERHEAD	(HDR_LEN + TAG_LEN)

/*
 * The UDP length and checksum of a datagram whose payload changed, the
 * checksum left to the device (or to the stack, before segmenting or
 * fragmenting, or when the device cannot), as UDP GSO and tunnels do.
 */
static void udp_partial_csum(struct sk_buff *skb, unsigned int thoff,
			     u16 family, const struct in6_addr *daddr6)
{
	struct udphdr *uh = (struct udphdr *)(skb->data + thoff);
	unsigned int len = skb->len - thoff;

	uh->len = htons(len);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u8 *)uh - skb->head;
	skb->csum_offset = offsetof(struct udphdr, check);
	if (family == AF_INET)
		uh->check = ~udp_v4_check(len, ip_hdr(skb)->saddr,
					  ip_hdr(skb)->daddr, 0);
	else
		uh->check = ~udp_v6_check(len, &ipv6_hdr(skb)->saddr, daddr6,
					  0);
}

/*
 * An opened datagram was authenticated just now, which a checksum cannot
 * add to: UDP is told not to check.  The field still gets a right value
 * (IPv4: none), for what sends the datagram on (IPVS, TEE, NFQUEUE).
 */
static void udp_opened_csum(struct sk_buff *skb, unsigned int thoff,
			    u16 family, const struct in6_addr *daddr6)
{
	struct udphdr *uh = (struct udphdr *)(skb->data + thoff);
	unsigned int len = skb->len - thoff;

	uh->len = htons(len);
	uh->check = 0;
	if (family == AF_INET6) {
		uh->check = csum_ipv6_magic(&ipv6_hdr(skb)->saddr, daddr6, len,
					    IPPROTO_UDP,
					    skb_checksum(skb, thoff, len, 0));
		if (!uh->check)
			uh->check = CSUM_MANGLED_0;
	}
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = 0;
}

/* The IP header's length fields, for the datagram's new length. */
static void ip_len(struct sk_buff *skb, u16 family)
{
	unsigned int len = skb->len - skb_network_offset(skb);

	if (family == AF_INET) {
		ip_hdr(skb)->tot_len = htons(len);
		ip_send_check(ip_hdr(skb));
	} else {
		ipv6_hdr(skb)->payload_len = htons(len - sizeof(struct ipv6hdr));
	}
}

/* Only UDP GSO is segments of one datagram each; tunnels are not. */
static bool gso_udp(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_type & SKB_GSO_UDP_L4 &&
	       !skb->encapsulation;
}

/*
 * What ip_local_error() does for a socket with IP_RECVERR, which the core
 * does not export: EMSGSIZE with the MTU left for the datagram, on the
 * socket's error queue.
 */
static void mtu_error(struct sock *sk, __be32 daddr, __be16 port, u32 mtu)
{
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;
	struct iphdr *iph;

	if (sk->sk_family != AF_INET || !cpns_ip_recverr(sk))
		return;
	skb = alloc_skb(sizeof(*iph), GFP_ATOMIC);
	if (!skb)
		return;
	iph = skb_put_zero(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->daddr = daddr;
	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = EMSGSIZE;
	serr->ee.ee_origin = SO_EE_ORIGIN_LOCAL;
	serr->ee.ee_info = mtu;
	serr->addr_offset = offsetof(struct iphdr, daddr);
	serr->port = port;
	__skb_pull(skb, sizeof(*iph));
	skb_reset_transport_header(skb);
	if (sock_queue_err_skb(sk, skb))
		kfree_skb(skb);
}

/*
 * A sender that forbade fragmenting (IP_PMTUDISC_DO, PROBE or INTERFACE,
 * and IPv6's kin: ignore_df clear and, for IPv4, DF set) learns that its
 * sealed @unit no longer fits, as through ESP: EMSGSIZE, and for IPv4
 * the MTU less the overhead on its error queue.  Fragmenting anyway would
 * give IPv4 fragments the ID such datagrams carry, often 0, so fragments
 * of different datagrams would reassemble together.
 */
static bool too_big(struct sk_buff *skb, const struct udp_dest *d,
		    u16 family, unsigned int unit)
{
	unsigned int len = d->thoff - skb_network_offset(skb) +
			   sizeof(struct udphdr) + unit + UNIT_OVERHEAD;
	struct sock *sk = skb->sk;
	unsigned int mtu;

	if (skb->ignore_df)
		return false;
	if (family == AF_INET) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF)))
			return false;
		mtu = ip_skb_dst_mtu(sk, skb);
	} else {
		mtu = ip6_skb_dst_mtu(skb);
	}
	if (len <= mtu)
		return false;
	if (family == AF_INET && sk && sk_fullsock(sk))
		mtu_error(sk, d->addr[0], d->port,
			  max_t(int, mtu - UNIT_OVERHEAD, 0));
	return true;
}

/*
 * Seal: each unit (the datagram, or each GSO segment) gets a header in
 * front and a tag behind, sealed under the current key in order of its
 * sequence number; a GSO segment grows by UNIT_OVERHEAD.
 */
static unsigned int seal(struct cpns_net *cn, struct cpns_group *g,
			 struct sk_buff *skb, const struct udp_dest *d,
			 u16 family)
{
	unsigned int thoff = d->thoff, head = thoff + sizeof(struct udphdr);
	unsigned int total, seg, n, i, len, grow;
	bool gso = skb_is_gso(skb);
	struct cpns_wire_hdr *h;
	struct cpns_key *k;
	int dtail;

	k = rcu_dereference(g->cur);
	if (!k) {
		fp_inc(cn, g, tx_no_key);
		key_missing(cn, g, NULL);
		return NF_DROP;
	}
	/*
	 * A checksum left for the device (an inner one, under a UDP tunnel)
	 * must be done before the payload is encrypted.
	 */
	if ((gso && !gso_udp(skb)) || skb_linearize(skb) ||
	    (!gso && skb->ip_summed == CHECKSUM_PARTIAL &&
	     skb_checksum_help(skb)))
		goto drop;
	if (ntohs(((struct udphdr *)(skb->data + thoff))->len) !=
	    skb->len - thoff)
		goto drop;
	total = skb->len - head;
	seg = gso ? skb_shinfo(skb)->gso_size : max(total, 1U);
	n = DIV_ROUND_UP(max(total, 1U), seg);
	grow = n * UNIT_OVERHEAD;
	if (too_big(skb, d, family, min(seg, max(total, 1U)))) {
		fp_inc(cn, g, tx_dropped);
		return NF_DROP_ERR(-EMSGSIZE);
	}
	/* The length fields must still hold the sealed datagram. */
	if (skb->len - skb_network_offset(skb) + grow > (family == AF_INET ?
	    IP_MAX_MTU : IPV6_MAXPLEN + sizeof(struct ipv6hdr)))
		goto drop;
	dtail = grow - (int)skb_tailroom(skb);
	if ((dtail > 0 || skb_cloned(skb)) &&
	    pskb_expand_head(skb, 0, max(dtail, 0), GFP_ATOMIC))
		goto drop;
	__skb_put(skb, grow);
	/* Raw sockets leave it at the IP header; UDP GSO reads it. */
	skb_set_transport_header(skb, thoff);

	/* Last unit first: each moves back, over room nothing uses yet. */
	for (i = n; i-- > 0;) {
		len = min(seg, total - i * seg);
		h = (struct cpns_wire_hdr *)(skb->data + head +
					     i * (seg + UNIT_OVERHEAD));
		memmove((u8 *)h + HDR_LEN, skb->data + head + i * seg, len);
		h->version = CPNS_WIRE_VERSION;
		h->flags = 0;
		h->reserved = 0;
		put_unaligned_be32(g->id, &h->group_id);
		put_unaligned_be64(k->epoch, &h->epoch);
	}
	for (i = 0; i < n; i++) {
		len = min(seg, total - i * seg);
		h = (struct cpns_wire_hdr *)(skb->data + head +
					     i * (seg + UNIT_OVERHEAD));
		if (cpns_traffic_seal(k->tr, (u8 *)h, len))
			goto drop;
	}

	if (gso)
		skb_shinfo(skb)->gso_size = seg + UNIT_OVERHEAD;
	ip_len(skb, family);
	/* Inner checksums are done: the outer one is what is left. */
	skb->encapsulation = 0;
	udp_partial_csum(skb, thoff, family, (struct in6_addr *)d->addr);
	fp_add(cn, g, tx_sealed, n);
	return NF_ACCEPT;
drop:
	fp_inc(cn, g, tx_dropped);
	return NF_DROP;
}

/*
 * The checks of a received sealed unit's header and the key of its
 * epoch; NULL when it is dropped (and counted).
 */
static struct cpns_key *wire_key(struct cpns_net *cn, struct cpns_group *g,
				 const struct cpns_wire_hdr *h,
				 unsigned int len)
{
	struct cpns_key *cur, *k;
	u64 epoch;

	if (len < UNIT_OVERHEAD || h->version != CPNS_WIRE_VERSION ||
	    h->flags || h->reserved || !get_unaligned_be32(&h->seq) ||
	    get_unaligned_be32(&h->group_id) != g->id) {
		fp_inc(cn, g, rx_malformed);
		return NULL;
	}

	epoch = get_unaligned_be64(&h->epoch);
	cur = rcu_dereference(g->cur);
	k = cur && cur->epoch == epoch ? cur : rcu_dereference(g->prev);
	if (!k || k->epoch != epoch) {
		fp_inc(cn, g, key_missing);
		/* Only a newer epoch is worth fetching; an old one is gone. */
		if (!cur || epoch > cur->epoch)
			key_missing(cn, g, &epoch);
		return NULL;
	}
	return k;
}

/* Count why a unit that named a key we hold did not get through. */
static void rx_refused(struct cpns_net *cn, struct cpns_group *g, int err)
{
	if (err == -EBADMSG)
		fp_inc(cn, g, rx_auth_failed);
	else if (err == -EALREADY)
		fp_inc(cn, g, rx_replayed);
	else
		fp_inc(cn, g, rx_dropped);
}

/*
 * The units of a received UDP datagram: one, or the GSO segments of a
 * GRO or looped-back GSO datagram (all @seg long but the last).  The
 * data is linear.  Return: payload length, or 0 to drop (counted).
 */
static unsigned int units(struct cpns_net *cn, struct cpns_group *g,
			  struct sk_buff *skb, unsigned int thoff,
			  unsigned int *seg)
{
	unsigned int ulen = ntohs(((struct udphdr *)(skb->data + thoff))->len);

	if (skb_is_gso(skb) && !gso_udp(skb)) {
		rx_refused(cn, g, -EOPNOTSUPP);
		return 0;
	}
	if (ulen < sizeof(struct udphdr) + UNIT_OVERHEAD ||
	    ulen > skb->len - thoff) {
		fp_inc(cn, g, rx_malformed);
		return 0;
	}
	ulen -= sizeof(struct udphdr);
	*seg = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : ulen;
	if (*seg < UNIT_OVERHEAD) {
		fp_inc(cn, g, rx_malformed);
		return 0;
	}
	return ulen;
}

/* Open one unit in place; its plaintext length, or < 0 (counted). */
static int open_unit(struct cpns_net *cn, struct cpns_group *g, u8 *unit,
		     unsigned int len, bool local)
{
	struct cpns_wire_hdr *h = (struct cpns_wire_hdr *)unit;
	struct cpns_key *k;
	u64 sender;
	int ret;

	k = wire_key(cn, g, h, len);
	if (!k)
		return -EINVAL;
	ret = cpns_traffic_open(k->tr, unit, len - HDR_LEN);
	/*
	 * This node's own datagram from the network, not from itself: sent
	 * back to it by someone who rewrote the destination.
	 */
	sender = get_unaligned_be64(&h->sender);
	if (!ret && sender == k->tr->sender && !local)
		ret = -EALREADY;
	if (!ret)
		ret = cpns_traffic_replay(k->tr, sender,
					  get_unaligned_be32(&h->seq));
	if (ret) {
		rx_refused(cn, g, ret);
		return ret;
	}
	fp_inc(cn, g, rx_opened);
	return len - UNIT_OVERHEAD;
}

/*
 * Open: each unit is verified, checked for replay and stripped of header
 * and tag; the plaintexts close up.  A unit that fails is dropped alone,
 * which leaves a GSO datagram's segments all of one size but the last.
 */
static unsigned int open_dgram(struct cpns_net *cn, struct cpns_group *g,
			       struct sk_buff *skb, const struct udp_dest *d,
			       u16 family, bool local)
{
	unsigned int thoff = d->thoff, head = thoff + sizeof(struct udphdr);
	unsigned int total, seg, in, len, out = 0, kept = 0;
	int ret;

	if (skb_ensure_writable(skb, skb->len)) {
		rx_refused(cn, g, -ENOMEM);
		return NF_DROP;
	}
	total = units(cn, g, skb, thoff, &seg);
	if (!total)
		return NF_DROP;
	for (in = 0; in < total; in += len) {
		len = min(seg, total - in);
		ret = open_unit(cn, g, skb->data + head + in, len, local);
		if (ret < 0)
			continue;
		memmove(skb->data + head + out,
			skb->data + head + in + HDR_LEN, ret);
		out += ret;
		kept++;
	}
	if (!kept || pskb_trim(skb, head + out))
		return NF_DROP;
	ip_len(skb, family);
	if (skb_is_gso(skb) && kept > 1) {
		/* Like UDP GRO's own result: segments of seg - overhead. */
		skb_shinfo(skb)->gso_size = seg - UNIT_OVERHEAD;
		skb_shinfo(skb)->gso_segs = kept;
		skb_shinfo(skb)->gso_type = SKB_GSO_UDP_L4;
		udp_partial_csum(skb, thoff, family,
				 (struct in6_addr *)d->addr);
		return NF_ACCEPT;
	}
	if (skb_is_gso(skb)) {
		skb_shinfo(skb)->gso_size = 0;
		skb_shinfo(skb)->gso_segs = 0;
		skb_shinfo(skb)->gso_type = 0;
	}
	udp_opened_csum(skb, thoff, family, (struct in6_addr *)d->addr);
	return NF_ACCEPT;
}

/*
 * Forward: a gateway passes sealed datagrams on as they are, once every
 * unit's tag verifies and none is a replay, so forgeries stop at its
 * edge.  A GSO datagram goes or stops whole.  Multicast and broadcast
 * routing pass one datagram through FORWARD once per interface it goes
 * out of, so for @group_addr only the tag is checked; the receivers
 * check for replay.  The datagram is only read, never made writable.
 */
static unsigned int verify_dgram(struct cpns_net *cn, struct cpns_group *g,
				 struct sk_buff *skb, unsigned int thoff,
				 bool group_addr)
{
	unsigned int head = thoff + sizeof(struct udphdr);
	unsigned int total, seg, in, len, n = 0;
	const struct cpns_wire_hdr *h;
	struct cpns_wire_hdr _h;
	struct cpns_key *k;
	int ret;

	/*
	 * Units are read where they lie, a page fragment or many: only a
	 * frag list (more pieces than one scatterlist holds) is made linear.
	 */
	if ((skb_has_frag_list(skb) && skb_linearize(skb)) ||
	    !pskb_may_pull(skb, head)) {
		rx_refused(cn, g, -ENOMEM);
		return NF_DROP;
	}
	total = units(cn, g, skb, thoff, &seg);
	if (!total)
		return NF_DROP;
	for (in = 0; in < total; in += len) {
		len = min(seg, total - in);
		h = len < UNIT_OVERHEAD ? NULL :
		    skb_header_pointer(skb, head + in, sizeof(_h), &_h);
		if (!h) {
			fp_inc(cn, g, rx_malformed);
			return NF_DROP;
		}
		k = wire_key(cn, g, h, len);
		if (!k)
			return NF_DROP;
		ret = cpns_traffic_verify(k->tr, skb, head + in, h,
					  len - HDR_LEN);
		if (!ret && !group_addr)
			ret = cpns_traffic_replay(k->tr,
						  get_unaligned_be64(&h->sender),
						  get_unaligned_be32(&h->seq));
		if (ret) {
			rx_refused(cn, g, ret);
			return NF_DROP;
		}
		n++;
	}
	fp_add(cn, g, fwd_verified, n);
	return NF_ACCEPT;
}

/*
 * Where an IPv6 datagram with segments left in a routing header ends up,
 * which its UDP checksum covers and selectors match, as the stack's own
 * flow does: type 0, the last address; type 2 (Mobile IPv6), the home
 * address; type 4 (segment routing), segment 0.  false when there is no
 * such header, or it cannot be read.
 */
static bool ipv6_final_dst(const struct sk_buff *skb, unsigned int noff,
			   __be32 *addr)
{
	unsigned int off = noff, n, at;
	int flags = IP6_FH_F_SKIP_RH;
	struct ipv6_rt_hdr _rh;
	const struct ipv6_rt_hdr *rh;
	struct in6_addr _a;
	const struct in6_addr *a;

	if (ipv6_find_hdr(skb, &off, NEXTHDR_ROUTING, NULL, &flags) < 0)
		return false;
	rh = skb_header_pointer(skb, off, sizeof(_rh), &_rh);
	if (!rh || !rh->segments_left)
		return false;
	n = rh->hdrlen / 2;		/* addresses after 8 bytes of header */
	if (!n)
		return false;
	switch (rh->type) {
	case IPV6_SRCRT_TYPE_0:
		at = n - 1;
		break;
	case IPV6_SRCRT_TYPE_2:
	case IPV6_SRCRT_TYPE_4:
		at = 0;
		break;
	default:
		return false;
	}
	a = skb_header_pointer(skb, off + 8 + at * sizeof(_a), sizeof(_a), &_a);
	if (!a)
		return false;
	memcpy(addr, a, sizeof(*a));
	return true;
}

/*
 * The destination of the UDP datagram whose IP header is at @noff (the
 * packet's own, or one an ICMP error quotes); false when it is no UDP or
 * its port cannot be seen (a later fragment: without the first, it cannot
 * be reassembled).
 */
static bool udp_dest(const struct sk_buff *skb, u16 family,
		     unsigned int noff, struct udp_dest *d)
{
	const struct udphdr *uh;
	struct udphdr _uh;
	__be16 frag_off;
	int off;
	u8 proto;

	if (family == AF_INET) {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(skb, noff, sizeof(_iph), &_iph);
		if (!iph || iph->protocol != IPPROTO_UDP || iph->ihl < 5 ||
		    iph->frag_off & htons(IP_OFFSET))
			return false;
		d->frag = iph->frag_off & htons(IP_MF);
		d->transit = false;
		off = noff + iph->ihl * 4;
		memcpy(d->addr, &iph->daddr, sizeof(iph->daddr));
	} else {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;

		ip6h = skb_header_pointer(skb, noff, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return false;
		proto = ip6h->nexthdr;
		off = ipv6_skip_exthdr(skb, noff + sizeof(*ip6h), &proto,
				       &frag_off);
		if (off < 0 || proto != IPPROTO_UDP ||
		    (frag_off & htons(IP6_OFFSET)))
			return false;
		d->frag = frag_off != 0;
		d->transit = ipv6_final_dst(skb, noff, d->addr);
		if (!d->transit)
			memcpy(d->addr, &ip6h->daddr, sizeof(ip6h->daddr));
	}
	uh = skb_header_pointer(skb, off, sizeof(_uh), &_uh);
	if (!uh)
		return false;
	d->thoff = off;
	d->port = uh->dest;
	return true;
}

/*
 * The group of a UDP datagram, or NULL.  Fragments: IPv4 reassembles
 * before LOCAL_IN, nf_defrag_ipv4 and nf_defrag_ipv6 before the other
 * hooks; on the way out they are made after LOCAL_OUT.  A first fragment
 * that still shows up is flagged in d->frag.
 */
static struct cpns_group *classify(struct cpns_net *cn, struct sk_buff *skb,
				   u16 family, struct udp_dest *d)
{
	if (!udp_dest(skb, family, skb_network_offset(skb), d))
		return NULL;
	return sel_lookup(cn, family, d->addr, d->port);
}

/*
 * An ICMP error quotes the datagram it is about.  For a datagram this
 * node opened (no socket on the port, a REJECT rule) that is plaintext,
 * and an attacker who rewrote the source address would read it: such an
 * error does not leave.  One about a datagram still sealed (a gateway's
 * "fragmentation needed" or "time exceeded") does; it shows the header
 * of a key the group holds.
 */
static struct cpns_group *quotes_plaintext(struct cpns_net *cn,
					   struct sk_buff *skb, u16 family)
{
	unsigned int noff = skb_network_offset(skb);
	const struct cpns_wire_hdr *h;
	struct cpns_wire_hdr _h;
	struct cpns_key *k;
	struct cpns_group *g;
	struct udp_dest d;
	__be16 frag_off;
	u8 _type, proto;
	const u8 *type;
	int off;

	if (family == AF_INET) {
		if (ip_hdr(skb)->protocol != IPPROTO_ICMP ||
		    ip_is_fragment(ip_hdr(skb)))
			return NULL;
		off = noff + ip_hdrlen(skb);
		proto = IPPROTO_ICMP;
	} else {
		proto = ipv6_hdr(skb)->nexthdr;
		off = ipv6_skip_exthdr(skb, noff + sizeof(struct ipv6hdr),
				       &proto, &frag_off);
		if (off < 0 || proto != IPPROTO_ICMPV6 || frag_off)
			return NULL;
	}
	type = skb_header_pointer(skb, off, sizeof(_type), &_type);
	if (!type || !(family == AF_INET ? icmp_is_err(*type) :
		       icmpv6_is_err(*type)))
		return NULL;
	/* Both ICMP headers are eight bytes before the quote. */
	if (!udp_dest(skb, family, off + 8, &d))
		return NULL;
	g = sel_lookup(cn, family, d.addr, d.port);
	if (!g)
		return NULL;
	h = skb_header_pointer(skb, d.thoff + sizeof(struct udphdr),
			       sizeof(_h), &_h);
	if (h && h->version == CPNS_WIRE_VERSION && !h->flags &&
	    !h->reserved && get_unaligned_be32(&h->group_id) == g->id) {
		k = rcu_dereference(g->cur);
		if (k && k->epoch == get_unaligned_be64(&h->epoch))
			return NULL;
		k = rcu_dereference(g->prev);
		if (k && k->epoch == get_unaligned_be64(&h->epoch))
			return NULL;
	}
	return g;
}

static unsigned int cpns_out(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct cpns_net *cn = cpns_net(state->net);
	u16 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct cpns_group *g;
	struct udp_dest d;

	g = classify(cn, skb, family, &d);
	/* A fragment made before LOCAL_OUT (raw socket) cannot be sealed. */
	if (g && !d.frag)
		return seal(cn, g, skb, &d, family);
	if (!g)
		g = quotes_plaintext(cn, skb, family);
	if (!g)
		return NF_ACCEPT;
	fp_inc(cn, g, tx_dropped);
	return NF_DROP;
}

static unsigned int cpns_in(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	struct cpns_net *cn = cpns_net(state->net);
	u16 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct cpns_group *g;
	struct udp_dest d;
	bool local;

	g = classify(cn, skb, family, &d);
	if (!g)
		return NF_ACCEPT;
	/*
	 * On its way elsewhere: it is verified when forwarded.  One whose
	 * routing header ends here is delivered without passing LOCAL_IN
	 * again, so it is opened now.
	 */
	if (d.transit && !ipv6_chk_addr(state->net, (struct in6_addr *)d.addr,
					NULL, 0))
		return NF_ACCEPT;
	/* Reassembly failed before: its UDP datagram must not get through. */
	if (d.frag) {
		fp_inc(cn, g, rx_malformed);
		return NF_DROP;
	}
	/* Sent by this node to itself: to a local address or looped back. */
	local = skb->pkt_type == PACKET_LOOPBACK ||
		(state->in && state->in->flags & IFF_LOOPBACK);
	return open_dgram(cn, g, skb, &d, family, local);
}

static unsigned int cpns_fwd(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct cpns_net *cn = cpns_net(state->net);
	u16 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct cpns_group *g;
	struct udp_dest d;
	bool group_addr;

	g = classify(cn, skb, family, &d);
	if (!g)
		return NF_ACCEPT;
	if (d.frag) {
		fp_inc(cn, g, rx_malformed);
		return NF_DROP;
	}
	group_addr = family == AF_INET ?
		     ipv4_is_multicast(d.addr[0]) || ipv4_is_lbcast(d.addr[0]) :
		     ipv6_addr_is_multicast((struct in6_addr *)d.addr);
	return verify_dgram(cn, g, skb, d.thoff, group_addr);
}

/*
 * Seal after filter, NAT and security hooks have seen the plain datagram;
 * open, or verify what is forwarded, before the filter sees it, so rules
 * match what applications send.
 */
static const struct nf_hook_ops cpns_nf_ops[] = {
	{
		.hook = cpns_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_SECURITY + 1,
	},
	{
		.hook = cpns_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FILTER - 10,
	},
	{
		.hook = cpns_fwd,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP_PRI_FILTER - 10,
	},
	{
		.hook = cpns_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_SECURITY + 1,
	},
	{
		.hook = cpns_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FILTER - 10,
	},
	{
		.hook = cpns_fwd,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_FORWARD,
		.priority = NF_IP6_PRI_FILTER - 10,
	},
};

/* Hooks are registered with the namespace's first selector, kept after. */
static int hooks_get(struct cpns_net *cn)
{
	int ret;

	if (cn->hooks)
		return 0;
	/*
	 * Sealed datagrams may be fragmented: IPv6 reassembles before
	 * LOCAL_IN only so, and neither reassembles what it forwards.
	 */
	ret = nf_defrag_ipv4_enable(cn->net);
	if (ret)
		return ret;
	ret = nf_defrag_ipv6_enable(cn->net);
	if (ret)
		goto err_v4;
	ret = nf_register_net_hooks(cn->net, cpns_nf_ops,
				    ARRAY_SIZE(cpns_nf_ops));
	if (ret)
		goto err_v6;
	cn->hooks = true;
	return 0;
err_v6:
	nf_defrag_ipv6_disable(cn->net);
err_v4:
	nf_defrag_ipv4_disable(cn->net);
	return ret;
}

static bool sel_same(const struct cpns_selector *a,
		     const struct cpns_selector *b)
{
	return a->family == b->family && a->dport == b->dport &&
	       a->prefix_len == b->prefix_len &&
	       !memcmp(a->daddr, b->daddr, sizeof(a->daddr));
}

static struct hlist_head *sel_head(struct cpns_net *cn,
				   const struct cpns_selector *s)
{
	return s->dport ? &cn->sel_hash[sel_hash(s->dport)] : &cn->sel_any;
}

/*
 * Groups with a selector per namespace.  Their keys' AEAD transforms
 * (about 7 KiB a key, two keys a group, more while retired ones wait for
 * a grace period) are allocated by the crypto API, which charges no
 * memory cgroup; everything else a group and its keys hold is charged.
 * A namespace owned by a user namespace other than the initial one
 * (unshare -Urn by any user) gets few, so that what it makes the kernel
 * allocate uncharged stays on the order of the namespace's own cost.
 */
static unsigned int sel_max(const struct cpns_net *cn)
{
	return cn->net->user_ns == &init_user_ns ? CPNS_SEL_GROUPS_MAX :
						  CPNS_SEL_GROUPS_MAX_USERNS;
}

/**
 * cpns_sel_prepare() - what a new group's selector needs before it is live
 * @cn: the namespace, locked
 * @g: the group, not yet visible; @g->sel.family is set
 * @extack: why it was refused
 *
 * Return: 0, -EADDRINUSE when another group has the same selector,
 * -ENOSPC when the namespace has as many groups with a selector as it
 * may, -ENOMEM, or the error of registering the hooks.
 */
int cpns_sel_prepare(struct cpns_net *cn, struct cpns_group *g,
		     struct netlink_ext_ack *extack)
{
	struct cpns_group *o;
	int ret;

	lockdep_assert_held(&cn->lock);

	if (cn->nsel >= sel_max(cn)) {
		if (sel_max(cn) == CPNS_SEL_GROUPS_MAX)
			NL_SET_ERR_MSG_MOD(extack,
					   "too many Service Groups with a traffic selector in this namespace (limit "
					   __stringify(CPNS_SEL_GROUPS_MAX) ")");
		else
			NL_SET_ERR_MSG_MOD(extack,
					   "too many Service Groups with a traffic selector in a namespace of a user namespace (limit "
					   __stringify(CPNS_SEL_GROUPS_MAX_USERNS) ")");
		return -ENOSPC;
	}

	hlist_for_each_entry(o, sel_head(cn, &g->sel), sel_node)
		if (sel_same(&o->sel, &g->sel)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "another Service Group has this traffic selector");
			return -EADDRINUSE;
		}
	g->fp = fp_stats_alloc(GFP_KERNEL_ACCOUNT);
	if (!g->fp)
		return -ENOMEM;
	ret = hooks_get(cn);
	if (ret) {
		free_percpu(g->fp);
		g->fp = NULL;
	}
	return ret;
}

/**
 * cpns_sel_link() - put a prepared group on the fast path
 * @cn: the namespace, locked
 * @g: the group
 */
void cpns_sel_link(struct cpns_net *cn, struct cpns_group *g)
{
	lockdep_assert_held(&cn->lock);

	hlist_add_head_rcu(&g->sel_node, sel_head(cn, &g->sel));
	cn->nsel++;
}

/**
 * cpns_sel_del() - take a group's selector off the fast path
 * @cn: the namespace, locked
 * @g: the group
 *
 * Its counters stay until the group is freed after a grace period.
 */
void cpns_sel_del(struct cpns_net *cn, struct cpns_group *g)
{
	lockdep_assert_held(&cn->lock);

	if (!g->sel.family)
		return;
	hlist_del_init_rcu(&g->sel_node);
	cn->nsel--;
}

int cpns_fastpath_net_init(struct cpns_net *cn)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cn->sel_hash); i++)
		INIT_HLIST_HEAD(&cn->sel_hash[i]);
	INIT_HLIST_HEAD(&cn->sel_any);
	cn->fp = fp_stats_alloc(GFP_KERNEL);
	return cn->fp ? 0 : -ENOMEM;
}

/* Before the groups go: no hook may find one after this. */
void cpns_fastpath_net_exit(struct cpns_net *cn)
{
	if (cn->hooks) {
		nf_unregister_net_hooks(cn->net, cpns_nf_ops,
					ARRAY_SIZE(cpns_nf_ops));
		/* Unregistering does not wait for hooks already running. */
		synchronize_net();
		nf_defrag_ipv6_disable(cn->net);
		nf_defrag_ipv4_disable(cn->net);
		cn->hooks = false;
	}
}
