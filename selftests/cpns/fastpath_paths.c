// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path where the IP layer does more than send a datagram: a
 * sender that forbade fragmenting gets EMSGSIZE and the MTU left once
 * sealed, one that allows it gets fragments that reassemble and open;
 * IPv6 datagrams with a segment routing header are matched and
 * checksummed for their final destination and opened only there; a
 * received datagram that a rule duplicates back out leaves sealed; the
 * module unloads cleanly while events are raised from every context.
 */
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "fp_common.h"

/* The wire overhead of one sealed datagram: header and tag. */
#define OVERHEAD	(CPNS_WIRE_HDR_LEN + CPNS_WIRE_TAG_LEN)

static int pmtudisc(int fd, int how)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &how, sizeof(how)) ?:
	       setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
}

/* The local EMSGSIZE report on @fd's error queue: its MTU, or -1. */
static long local_mtu_error(int fd)
{
	char cbuf[512], data[64];
	struct iovec iov = { data, sizeof(data) };
	struct sockaddr_in from;
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct sock_extended_err *ee;
	struct cmsghdr *cm;

	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_RECVERR)
			continue;
		ee = (struct sock_extended_err *)CMSG_DATA(cm);
		if (ee->ee_errno != EMSGSIZE ||
		    ee->ee_origin != SO_EE_ORIGIN_LOCAL)
			return -1;
		return ee->ee_info;
	}
	return -1;
}

static int small_mtu(int mtu)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "ip -n fpa link set va mtu %d && ip -n fpb link set vb mtu %d",
		 mtu, mtu);
	return sh(cmd);
}

/*
 * IP_PMTUDISC_DO over a 1000-byte MTU: what fits once sealed goes whole,
 * one byte more is refused with EMSGSIZE and the MTU less the overhead,
 * and nothing is fragmented.
 */
TEST_F(fp, dont_fragment_gets_emsgsize)
{
	const size_t fits = 1000 - 20 - 8 - OVERHEAD;
	static uint8_t buf[2048], got[2048];
	uint8_t gk[CPNS_KEY_LEN];
	int tx, rx, i;

	ASSERT_EQ(0, small_mtu(1000));
	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 31,
				 gk));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, pmtudisc(tx, IP_PMTUDISC_DO));

	memset(buf, 0x77, sizeof(buf));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-1, send_to(tx, "10.99.0.2", PORT, buf, 950));
		EXPECT_EQ(EMSGSIZE, errno);
		EXPECT_EQ(1000 - OVERHEAD, local_mtu_error(tx));
	}
	EXPECT_EQ(-1, send_to(tx, "10.99.0.2", PORT, buf, fits + 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(1000 - OVERHEAD, local_mtu_error(tx));
	EXPECT_EQ(-1, recv_wait(rx, got, sizeof(got), 300));

	ASSERT_EQ((ssize_t)fits, send_to(tx, "10.99.0.2", PORT, buf, fits));
	EXPECT_EQ((ssize_t)fits, recv_wait(rx, got, sizeof(got), 2000));
	EXPECT_EQ(0, memcmp(buf, got, fits));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(5, counter(&self->a, GROUP, CPNS_A_STATS_TX_DROPPED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));
	close(tx);
	close(rx);
}

/*
 * A sender that lets the IP layer fragment (the default, PMTUDISC_WANT)
 * gets fragments of distinct IDs per datagram, which reassemble and open.
 */
TEST_F(fp, fragments_have_distinct_ids)
{
	static uint8_t buf[2048], got[2048], pkt[2048];
	uint16_t ids[16];
	uint8_t gk[CPNS_KEY_LEN];
	int tx, rx, cap, i, j, nfrag = 0;
	ssize_t n;

	ASSERT_EQ(0, small_mtu(1000));
	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 32,
				 gk));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_LE(0, rx);
	ASSERT_LE(0, cap);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, pmtudisc(tx, IP_PMTUDISC_WANT));

	for (i = 0; i < 4; i++) {
		memset(buf, 0x10 + i, 950);
		ASSERT_EQ(950, send_to(tx, "10.99.0.2", PORT, buf, 950));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(950, recv_wait(rx, got, sizeof(got), 2000));
		EXPECT_EQ(0x10 + i, got[0]);
		EXPECT_EQ(0x10 + i, got[949]);
	}
	/* Every fragment on the wire; first fragments carry the ID pairs. */
	while ((n = recv_wait(cap, pkt, sizeof(pkt), 300)) > 0 && nfrag < 16)
		if (pkt[9] == IPPROTO_UDP && (be(pkt + 6, 2) & 0x3fff))
			ids[nfrag++] = be(pkt + 4, 2);
	EXPECT_EQ(8, nfrag);
	for (i = 0; i < nfrag; i++)
		for (j = i + 1; j < nfrag; j++)
			if (ids[i] == ids[j])
				EXPECT_TRUE(j == i + 1 && i % 2 == 0);
	EXPECT_EQ(4, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));
	close(tx);
	close(rx);
	close(cap);
}

/* No checksum offload on @dev: the checksum on the wire is computed. */
static int no_tx_csum(const char *dev)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ret = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	return ret;
}

/* A segment routing header whose next and only other segment is @via. */
static int srh_via(int fd, const char *via)
{
	/* RFC 8754: next header, length, type 4, segments left, last entry,
	 * flags, tag; then the segments, 0 being the final destination
	 * (the kernel fills it in from the socket's destination).
	 */
	struct {
		uint8_t nexthdr, hdrlen, type, segments_left, first_segment;
		uint8_t flags;
		uint16_t tag;
		struct in6_addr seg[2];
	} srh = { .hdrlen = 4, .type = 4, .segments_left = 1,
		  .first_segment = 1 };

	if (inet_pton(AF_INET6, via, &srh.seg[1]) != 1)
		return -1;
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RTHDR, &srh, sizeof(srh));
}

/*
 * fpa sends to fd98::2 (on fpb's loopback) through the segment fd99::2
 * (fpb's veth), so the IPv6 header names fd99::2 until fpb has done the
 * routing header.  The selector and the UDP checksum are about fd98::2,
 * as the sender's own flow is; fpb opens it there and only there.
 */
TEST_F(fp, ipv6_segment_routing)
{
	uint8_t gk[CPNS_KEY_LEN], buf[256], got[512];
	int tx, rx;
	ssize_t n;

	ASSERT_EQ(0, sh("ip -n fpb addr add fd98::2/128 dev lo && "
			"ip -n fpa route add fd98::/64 via fd99::2 && "
			"ip netns exec fpb sh -c '"
			"echo 1 >/proc/sys/net/ipv6/conf/all/seg6_enabled && "
			"echo 1 >/proc/sys/net/ipv6/conf/vb/seg6_enabled'"));
	/* One selector over both the segment and the destination. */
	nlc_fill_key(gk, 33);
	ASSERT_EQ(0, group_sel(&self->a, GROUP, "fd98::", 15, PORT));
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 1, gk, -1));

	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET6, PORT);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, enter("fpa"));
	ASSERT_EQ(0, no_tx_csum("va"));
	tx = udp(AF_INET6, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, srh_via(tx, "fd99::2"));

	/* fpb has no group: its UDP checks the checksum, and gets it sealed. */
	memset(buf, 0x5c, sizeof(buf));
	ASSERT_EQ(100, send_to(tx, "fd98::2", PORT, buf, 100));
	n = recv_wait(rx, got, sizeof(got), 2000);
	ASSERT_EQ(100 + OVERHEAD, n);
	EXPECT_EQ(CPNS_WIRE_VERSION, got[0]);
	memset(buf + 128, 0, 128);
	ASSERT_EQ(0, ref_open(gk, got, n, buf + 128));
	EXPECT_EQ(0, memcmp(buf, buf + 128, 100));

	/* With the group, fpb opens it at fd98::2, once. */
	ASSERT_EQ(0, group_sel(&self->b, GROUP, "fd98::", 15, PORT));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 1, gk, -1));
	ASSERT_EQ(100, send_to(tx, "fd98::2", PORT, buf, 100));
	ASSERT_EQ(100, recv_wait(rx, got, sizeof(got), 2000));
	EXPECT_EQ(0, memcmp(buf, got, 100));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_MALFORMED));
	close(tx);
	close(rx);
}

/*
 * An opened datagram that a rule sends back out (nft dup, as TEE) still
 * names the group's address and port: it leaves sealed again, under the
 * receiver's own sender id.
 */
TEST_F(fp, duplicated_after_open_leaves_sealed)
{
	uint8_t gk[CPNS_KEY_LEN], buf[128], pkt[2048], plain[256];
	int tx, rx, cap, copies = 0;
	size_t off;
	ssize_t n;

	if (sh("modprobe nft_dup_ipv4"))
		SKIP(return, "no nft dup in this kernel (CONFIG_NFT_DUP_IPV4)");
	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 34,
				 gk));
	ASSERT_EQ(0, sh("ip netns exec fpb nft -f - <<'EOF'\n"
			"table ip t {\n"
			"  chain in {\n"
			"    type filter hook input priority 0;\n"
			"    udp dport 4000 dup to 10.99.0.1 device vb\n"
			"  }\n"
			"}\n"
			"EOF"));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	ASSERT_LE(0, rx);
	ASSERT_EQ(0, enter("fpa"));
	cap = packet_sock("va", 0);
	ASSERT_LE(0, cap);
	tx = udp(AF_INET, 0);
	ASSERT_LE(0, tx);

	memset(buf, 0x3e, sizeof(buf));
	ASSERT_EQ(100, send_to(tx, "10.99.0.2", PORT, buf, 100));
	ASSERT_EQ(100, recv_wait(rx, plain, sizeof(plain), 2000));
	/* A packet socket of one protocol sees what comes in: fpb's copy. */
	while ((n = capture(cap, pkt, sizeof(pkt), &off)) > 0) {
		ASSERT_EQ((ssize_t)(off + 8 + OVERHEAD + 100), n);
		EXPECT_EQ(CPNS_WIRE_VERSION, pkt[off + 8]);
		memset(plain, 0, sizeof(plain));
		ASSERT_EQ(0, ref_open(gk, pkt + off + 8, n - off - 8, plain));
		EXPECT_EQ(0, memcmp(buf, plain, 100));
		copies++;
	}
	EXPECT_EQ(1, copies);
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_TX_SEALED));
	close(tx);
	close(rx);
	close(cap);
}

/*
 * A key's replay table is bounded and never refuses a sender: 1,100
 * senders (more than the table holds) each get their datagram opened,
 * the oldest evicted to make room, and one heard recently still has its
 * window.
 */
TEST_F(fp, replay_table_evicts_oldest)
{
	uint8_t gk[CPNS_KEY_LEN], pkt[2048], plain[64], buf[64];
	uint8_t *w;
	size_t off, len;
	ssize_t n;
	int tx, rx, cap, inj, s, i;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 35,
				 gk));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_LE(0, rx);
	ASSERT_LE(0, cap);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	inj = packet_sock("va", 0);
	ASSERT_LE(0, tx);
	ASSERT_LE(0, inj);
	memset(plain, 0x2a, sizeof(plain));
	ASSERT_EQ(32, send_to(tx, "10.99.0.2", PORT, plain, 32));
	ASSERT_EQ(32, recv_wait(rx, buf, sizeof(buf), 2000));
	n = capture(cap, pkt, sizeof(pkt), &off);
	ASSERT_EQ((ssize_t)(off + 8 + OVERHEAD + 32), n);
	w = pkt + off + 8;
	len = 32;

	for (s = 1; s <= 1100; s++) {
		for (i = 0; i < 8; i++)		/* sender, big-endian */
			w[16 + i] = (uint8_t)((uint64_t)s >> (56 - 8 * i));
		w[28] = w[29] = w[30] = 0;
		w[31] = 1;			/* seq 1 */
		memcpy(w + CPNS_WIRE_HDR_LEN, plain, len);
		ASSERT_EQ(0, ref_seal(gk, w, len));
		pkt[off + 6] = pkt[off + 7] = 0;	/* no UDP checksum */
		ASSERT_EQ(0, inject(inj, pkt, n, 0));
	}
	/* The last sender again: its window is still there. */
	ASSERT_EQ(0, inject(inj, pkt, n, 0));
	usleep(200 * 1000);
	EXPECT_EQ(1101, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_DROPPED));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_RX_REPLAYED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));
	close(tx);
	close(rx);
	close(cap);
	close(inj);
}

/*
 * Unload while events are being raised from every context that raises
 * them: the fast path (key missing on sends, in the sender's context),
 * the groups' works (keys retiring at their lifetime's end) and
 * handlers, with a listener bound.  No event may reach a multicast group
 * id after the family is gone; the race is narrow, so this is a stress
 * run whose failure is a warning or an oops on the console.
 */
TEST_F_TIMEOUT(fp, unload_while_events_flow, 60)
{
	uint8_t gk[CPNS_KEY_LEN], buf[8] = { 0 };
	struct nlc ev;
	int tx, i, status;
	pid_t pid;

	ASSERT_EQ(0, enter("fpa"));
	ASSERT_EQ(0, nlc_open_events(&ev));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, group_sel(&self->a, 100 + i, "10.99.0.2", 32,
				       5000 + i));
	for (i = 0; i < 16; i++) {
		nlc_fill_key(gk, i);
		ASSERT_EQ(0, nlc_group_new(&self->a, 200 + i, 0, 1, -1));
		ASSERT_EQ(0, nlc_key_plain(&self->a, 200 + i, 1, gk, 1));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		time_t end = time(NULL) + 4;

		tx = udp(AF_INET, 0);
		while (tx >= 0 && time(NULL) < end)
			for (i = 0; i < 64; i++)
				send_to(tx, "10.99.0.2", 5000 + i, buf, 1);
		_exit(tx < 0);
	}
	/* Events flow; unload about when the keys' lifetimes end. */
	EXPECT_LT(0, nlc_events(&ev, 1, 1500));
	usleep(900 * 1000);
	EXPECT_EQ(0, system("rmmod cpns"));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	nlc_close(&ev);
}

TEST_HARNESS_MAIN
