// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path between two namespaces joined by a veth pair: datagrams
 * a Service Group's selector matches are sealed by the sender and opened
 * by the receiver; what crosses the wire is checked against the format of
 * Documentation/fastpath.rst by opening it here with OpenSSL; replayed,
 * tampered, unsealed and unknown-epoch datagrams (injected with packet
 * sockets, below netfilter) are dropped and counted by reason; a missing
 * key raises one rate-limited event; a rollover loses nothing.
 */
#include "fp_common.h"

TEST_F(fp, seal_and_open_ipv4)
{
	uint8_t gk[CPNS_KEY_LEN], pkt[2048], buf[2048], plain[2048];
	size_t off;
	ssize_t n;
	int tx, rx, cap, i;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 1,
				 gk));

	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_LE(0, rx);
	ASSERT_LE(0, cap);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	ASSERT_LE(0, tx);

	for (i = 1; i <= 20; i++) {
		memset(buf, i, 100 + i);
		ASSERT_EQ(100 + i, send_to(tx, "10.99.0.2", PORT, buf, 100 + i));
		/* The receiver gets exactly what was sent. */
		n = recv_wait(rx, plain, sizeof(plain), 2000);
		ASSERT_EQ(100 + i, n);
		EXPECT_EQ(0, memcmp(buf, plain, n));
		/* The wire carries the header, ciphertext and tag. */
		n = capture(cap, pkt, sizeof(pkt), &off);
		ASSERT_EQ((ssize_t)(off + 8 + CPNS_WIRE_HDR_LEN + 100 + i +
				    CPNS_WIRE_TAG_LEN), n);
		EXPECT_EQ(n - off, be(pkt + off + 4, 2));	/* UDP length */
		EXPECT_EQ(CPNS_WIRE_VERSION, pkt[off + 8]);
		EXPECT_EQ(0, be(pkt + off + 9, 3));
		EXPECT_EQ(GROUP, be(pkt + off + 12, 4));
		EXPECT_EQ(1, be(pkt + off + 16, 8));
		EXPECT_EQ((uint64_t)i, be(pkt + off + 32, 4));	/* seq */
		EXPECT_NE(0, memcmp(pkt + off + 8 + CPNS_WIRE_HDR_LEN, buf, 16));
		/* An independent reader opens it to the same bytes. */
		memset(plain, 0, sizeof(plain));
		ASSERT_EQ(0, ref_open(gk, pkt + off + 8, n - off - 8, plain));
		EXPECT_EQ(0, memcmp(buf, plain, 100 + i));
	}
	EXPECT_EQ(20, counter(&self->a, 0, CPNS_A_STATS_TX_SEALED));
	EXPECT_EQ(20, counter(&self->a, GROUP, CPNS_A_STATS_TX_SEALED));
	EXPECT_EQ(20, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));

	/* Another port is not the group's: it goes out as it is. */
	close(rx);
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT + 1);
	ASSERT_EQ(0, enter("fpa"));
	ASSERT_EQ(5, send_to(tx, "10.99.0.2", PORT + 1, "plain", 5));
	ASSERT_EQ(5, recv_wait(rx, plain, sizeof(plain), 2000));
	EXPECT_EQ(0, memcmp(plain, "plain", 5));
	EXPECT_EQ(20, counter(&self->a, 0, CPNS_A_STATS_TX_SEALED));
	close(rx);
	close(tx);
	close(cap);
}

TEST_F(fp, drops_by_reason)
{
	uint8_t gk[CPNS_KEY_LEN], pkt[2048], bad[2048], buf[64];
	struct nlc ev;
	struct nlc_key k;
	size_t off;
	ssize_t n;
	int tx, rx, cap, inj, i;

	nlc_fill_key(gk, 2);
	ASSERT_EQ(0, both(&self->a, &self->b, "10.99.0.2", 32));
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 4, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 4, gk, -1));
	ASSERT_EQ(0, enter("fpb"));
	ASSERT_EQ(0, nlc_open_events(&ev));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	inj = packet_sock("va", 0);
	ASSERT_LE(0, inj);

	ASSERT_EQ(4, send_to(tx, "10.99.0.2", PORT, "once", 4));
	ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
	n = capture(cap, pkt, sizeof(pkt), &off);
	ASSERT_LT(0, n);

	/* The same datagram again: a replay. */
	ASSERT_EQ(0, inject(inj, pkt, n, 0));
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_RX_REPLAYED));

	/* Any bit of header, ciphertext or tag changed: it does not open. */
	for (i = off + 8; i < n; i++) {
		if (i >= (int)off + 8 + 4 && i < (int)off + 8 + 16)
			continue;	/* group and epoch: counted apart */
		memcpy(bad, pkt, n);
		bad[i] ^= 0x20;
		ASSERT_EQ(0, inject(inj, bad, n, 0));
	}
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	/* version, flags and reserved bytes are malformed; the rest fail. */
	EXPECT_EQ(4, counter(&self->b, GROUP, CPNS_A_STATS_RX_MALFORMED));
	EXPECT_EQ(n - off - 8 - 16, counter(&self->b, GROUP,
					 CPNS_A_STATS_RX_AUTH_FAILED));

	/* Another group's id in the header: malformed, wrong group. */
	memcpy(bad, pkt, n);
	bad[off + 8 + 7] ^= 1;
	ASSERT_EQ(0, inject(inj, bad, n, 0));
	/* An unsealed datagram, too short to be sealed. */
	memcpy(bad, pkt, off + 8);
	bad[2] = 0;
	bad[3] = off + 8 + 4;
	bad[off + 4] = 0;
	bad[off + 5] = 12;
	memcpy(bad + off + 8, "leak", 4);
	bad[10] = bad[11] = 0;		/* the IP checksum is checked */
	{
		uint32_t sum = 0;

		for (i = 0; i < (int)off; i += 2)
			sum += bad[i] << 8 | bad[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		bad[10] = ~sum >> 8;
		bad[11] = ~sum & 0xff;
	}
	ASSERT_EQ(0, inject(inj, bad, off + 12, 0));
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(6, counter(&self->b, GROUP, CPNS_A_STATS_RX_MALFORMED));

	/*
	 * A newer epoch than the receiver has: dropped, counted for each,
	 * and one key-missing event however many arrive in a second.
	 */
	for (i = 0; i < 30; i++) {
		memcpy(bad, pkt, n);
		bad[off + 8 + 15] = 9;		/* epoch 9 */
		ASSERT_EQ(0, inject(inj, bad, n, 0));
	}
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(30, counter(&self->b, GROUP, CPNS_A_STATS_KEY_MISSING));
	EXPECT_EQ(30, counter(&self->b, 0, CPNS_A_STATS_KEY_MISSING));
	ASSERT_EQ(1, nlc_events(&ev, 2, 500));
	ASSERT_EQ(0, nlc_key_parse(ev.reply[0], &k));
	EXPECT_EQ(CPNS_CMD_KEY_MISSING_NTF, k.cmd);
	EXPECT_EQ(GROUP, k.group);
	EXPECT_EQ(9, k.epoch);
	/* A second later, the next one is announced again. */
	sleep(1);
	ASSERT_EQ(0, inject(inj, bad, n, 0));
	EXPECT_EQ(1, nlc_events(&ev, 1, 1000));

	/* An older epoch than the receiver has: counted, not announced. */
	memcpy(bad, pkt, n);
	bad[off + 8 + 15] = 3;
	ASSERT_EQ(0, inject(inj, bad, n, 0));
	EXPECT_EQ(0, nlc_events(&ev, 1, 1100));
	EXPECT_EQ(32, counter(&self->b, GROUP, CPNS_A_STATS_KEY_MISSING));

	/* Nothing of that reached the socket, and the real flow still does. */
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	ASSERT_EQ(4, send_to(tx, "10.99.0.2", PORT, "next", 4));
	ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
	EXPECT_EQ(0, memcmp(buf, "next", 4));
	nlc_close(&ev);
	close(inj);
	close(tx);
	close(rx);
	close(cap);
}

/*
 * A node's own datagram sent back to it from the network (destination
 * rewritten) is refused; sent to itself through loopback it opens.
 */
TEST_F(fp, reflection)
{
	uint8_t gk[CPNS_KEY_LEN], pkt[2048], buf[64];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP),
				   .sll_halen = 6,
				   .sll_addr = { 2, 0, 0, 0, 0, 0x0a } };
	uint32_t sum = 0;
	size_t off;
	ssize_t n;
	int tx, rxa, rxb, cap, i;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.0", 24, 3,
				 gk));
	ASSERT_EQ(0, enter("fpb"));
	rxb = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_LE(0, cap);
	ASSERT_EQ(0, enter("fpa"));
	rxa = udp(AF_INET, PORT);
	tx = udp(AF_INET, 0);
	ASSERT_EQ(2, send_to(tx, "10.99.0.2", PORT, "hi", 2));
	ASSERT_EQ(2, recv_wait(rxb, buf, sizeof(buf), 2000));
	n = capture(cap, pkt, sizeof(pkt), &off);
	ASSERT_LT(0, n);

	/*
	 * From b back to a (addresses swapped, a valid IP header): a's own
	 * sender id, which a never receives from the network.
	 */
	pkt[15] = 2;
	pkt[19] = 1;
	pkt[10] = pkt[11] = 0;
	for (i = 0; i < (int)off; i += 2)
		sum += pkt[i] << 8 | pkt[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pkt[10] = ~sum >> 8;
	pkt[11] = ~sum & 0xff;
	ASSERT_EQ(0, enter("fpb"));
	sll.sll_ifindex = if_nametoindex("vb");
	ASSERT_EQ(n, sendto(cap, pkt, n, 0, (struct sockaddr *)&sll,
			    sizeof(sll)));
	EXPECT_EQ(-1, recv_wait(rxa, buf, sizeof(buf), 300));
	EXPECT_EQ(1, counter(&self->a, GROUP, CPNS_A_STATS_RX_REPLAYED));
	EXPECT_EQ(0, counter(&self->a, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));

	/* To itself: sealed, looped, opened. */
	ASSERT_EQ(4, send_to(tx, "10.99.0.1", PORT, "self", 4));
	ASSERT_EQ(4, recv_wait(rxa, buf, sizeof(buf), 2000));
	EXPECT_EQ(0, memcmp(buf, "self", 4));
	EXPECT_EQ(1, counter(&self->a, GROUP, CPNS_A_STATS_RX_OPENED));
	close(tx);
	close(rxa);
	close(rxb);
	close(cap);
}

/* A connected UDP socket of the current namespace to @addr:@port. */
static int udp_connected(const char *addr, int port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int v6 = strchr(addr, ':') != NULL, one = 1, fd;

	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (v6) {
		inet_pton(AF_INET6, addr, &s6.sin6_addr);
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	} else {
		inet_pton(AF_INET, addr, &s4.sin_addr);
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	}
	if (fd >= 0 && (v6 ? connect(fd, (struct sockaddr *)&s6, sizeof(s6)) :
			connect(fd, (struct sockaddr *)&s4, sizeof(s4)))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The ICMP or ICMPv6 type of the first error on @fd within @ms, or -1. */
static int icmp_error(int fd, int ms)
{
	char ctl[256], data[64];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct sock_extended_err *ee;
	struct cmsghdr *c;
	int i;

	for (i = 0; i < ms / 50; i++) {
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0)
			for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
				if ((c->cmsg_level == IPPROTO_IP &&
				     c->cmsg_type == IP_RECVERR) ||
				    (c->cmsg_level == IPPROTO_IPV6 &&
				     c->cmsg_type == IPV6_RECVERR)) {
					ee = (void *)CMSG_DATA(c);
					return ee->ee_origin ==
					       SO_EE_ORIGIN_ICMP ||
					       ee->ee_origin ==
					       SO_EE_ORIGIN_ICMP6 ?
					       ee->ee_type : -1;
				}
		usleep(50000);
	}
	return -1;
}

/*
 * A datagram b opens but no socket takes would make b send a port
 * unreachable quoting the plaintext: that error does not leave b.  For
 * a port outside every selector the error goes out as usual.
 */
TEST_F(fp, no_plaintext_in_icmp_errors)
{
	uint8_t gk[CPNS_KEY_LEN];
	int tx, plain;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 13, gk));
	ASSERT_EQ(0, enter("fpa"));
	tx = udp_connected("10.99.0.2", PORT);
	plain = udp_connected("10.99.0.2", PORT + 1);
	ASSERT_LE(0, tx);
	ASSERT_LE(0, plain);
	ASSERT_EQ(6, send(tx, "secret", 6, 0));
	EXPECT_EQ(-1, icmp_error(tx, 500));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_TX_DROPPED));
	ASSERT_EQ(5, send(plain, "plain", 5, 0));
	EXPECT_EQ(ICMP_DEST_UNREACH, icmp_error(plain, 2000));
	close(tx);
	close(plain);

	/* IPv6: the same for ICMPv6. */
	ASSERT_EQ(0, group_sel(&self->a, 2, "fd99::2", 128, PORT));
	ASSERT_EQ(0, group_sel(&self->b, 2, "fd99::2", 128, PORT));
	ASSERT_EQ(0, nlc_key_plain(&self->a, 2, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->b, 2, 1, gk, -1));
	tx = udp_connected("fd99::2", PORT);
	plain = udp_connected("fd99::2", PORT + 1);
	ASSERT_LE(0, tx);
	ASSERT_LE(0, plain);
	ASSERT_EQ(6, send(tx, "secret", 6, 0));
	EXPECT_EQ(-1, icmp_error(tx, 500));
	EXPECT_EQ(1, counter(&self->b, 2, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(1, counter(&self->b, 2, CPNS_A_STATS_TX_DROPPED));
	ASSERT_EQ(5, send(plain, "plain", 5, 0));
	EXPECT_EQ(1, icmp_error(plain, 2000));	/* ICMPV6_DEST_UNREACH */
	close(tx);
	close(plain);
}

TEST_F(fp, no_key_to_seal)
{
	struct nlc ev;
	struct nlc_key k;
	int tx;

	ASSERT_EQ(0, both(&self->a, &self->b, "10.99.0.2", 32));
	ASSERT_EQ(0, enter("fpa"));
	ASSERT_EQ(0, nlc_open_events(&ev));
	tx = udp(AF_INET, 0);
	/* Never in the clear: the send fails. */
	EXPECT_EQ(-1, send_to(tx, "10.99.0.2", PORT, "secret", 6));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(1, counter(&self->a, GROUP, CPNS_A_STATS_TX_NO_KEY));
	ASSERT_EQ(1, nlc_events(&ev, 1, 1000));
	ASSERT_EQ(0, nlc_key_parse(ev.reply[0], &k));
	EXPECT_EQ(CPNS_CMD_KEY_MISSING_NTF, k.cmd);
	EXPECT_EQ(GROUP, k.group);
	EXPECT_EQ(0, k.mask & BIT64(CPNS_A_KEY_EPOCH));
	nlc_close(&ev);
	close(tx);
}

/*
 * Rollover in either order loses nothing sealed under a key the receiver
 * has: the receiver that moves first still opens the old epoch as
 * previous; the sender that moves first makes the receiver ask for the
 * new key.
 */
TEST_F(fp, rollover)
{
	uint8_t k1[CPNS_KEY_LEN], k2[CPNS_KEY_LEN], buf[64];
	struct nlc ev;
	int tx, rx, i;

	nlc_fill_key(k1, 11);
	nlc_fill_key(k2, 12);
	ASSERT_EQ(0, both(&self->a, &self->b, "10.99.0.0", 24));
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 1, k1, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 1, k1, -1));
	ASSERT_EQ(0, enter("fpb"));
	ASSERT_EQ(0, nlc_open_events(&ev));
	rx = udp(AF_INET, PORT);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);

	/* Receiver first: epoch 1 still opens as the previous key. */
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 2, k2, -1));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(4, send_to(tx, "10.99.0.2", PORT, "old!", 4));
		ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
	}
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 2, k2, -1));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(4, send_to(tx, "10.99.0.2", PORT, "new!", 4));
		ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
	}
	EXPECT_EQ(20, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_KEY_MISSING));

	/* Sender first: the receiver lacks epoch 3 and says so. */
	nlc_fill_key(k1, 13);
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 3, k1, -1));
	nlc_events(&ev, NLC_MAX_REPLIES, 100);	/* installs so far */
	ASSERT_EQ(4, send_to(tx, "10.99.0.2", PORT, "ask!", 4));
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(1, counter(&self->b, GROUP, CPNS_A_STATS_KEY_MISSING));
	ASSERT_EQ(1, nlc_events(&ev, 1, 1000));
	EXPECT_EQ(CPNS_CMD_KEY_MISSING_NTF, nlc_cmd(ev.reply[0]));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 3, k1, -1));
	ASSERT_EQ(4, send_to(tx, "10.99.0.2", PORT, "got!", 4));
	ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
	nlc_close(&ev);
	close(tx);
	close(rx);
}

/* IPv6, and datagrams that sealing pushes past the MTU are fragmented. */
TEST_F(fp, ipv6_and_fragments)
{
	static uint8_t buf[9000], got[9000];
	uint8_t gk[CPNS_KEY_LEN];
	size_t sizes[] = { 1, 1400, 1452, 1500, 8000 };
	unsigned int i;
	int tx, rx;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "fd99::2", 128, 6,
				 gk));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET6, PORT);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET6, 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 0x40 + i, sizes[i]);
		ASSERT_EQ((ssize_t)sizes[i],
			  send_to(tx, "fd99::2", PORT, buf, sizes[i]));
		ASSERT_EQ((ssize_t)sizes[i],
			  recv_wait(rx, got, sizeof(got), 2000));
		EXPECT_EQ(0, memcmp(buf, got, sizes[i]));
	}
	EXPECT_EQ(5, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, 0, CPNS_A_STATS_RX_MALFORMED));
	close(tx);
	close(rx);
}

/*
 * The largest datagram that still fits the length fields once sealed
 * goes through; one byte more is dropped, never sent with a wrapped
 * length.
 */
TEST_F(fp, largest_datagrams)
{
	static uint8_t buf[65536], got[65536];
	const struct { const char *dst; int family; size_t fits; } c[] = {
		{ "10.99.0.2", AF_INET, 65535 - 20 - 8 - 44 },
		{ "fd99::2", AF_INET6, 65535 - 8 - 44 },
	};
	uint8_t gk[CPNS_KEY_LEN];
	unsigned int i;
	int tx, rx;

	nlc_fill_key(gk, 9);
	ASSERT_EQ(0, group_sel(&self->a, 1, "10.99.0.2", 32, PORT));
	ASSERT_EQ(0, group_sel(&self->b, 1, "10.99.0.2", 32, PORT));
	ASSERT_EQ(0, group_sel(&self->a, 2, "fd99::2", 128, PORT));
	ASSERT_EQ(0, group_sel(&self->b, 2, "fd99::2", 128, PORT));
	for (i = 1; i <= 2; i++) {
		ASSERT_EQ(0, nlc_key_plain(&self->a, i, 1, gk, -1));
		ASSERT_EQ(0, nlc_key_plain(&self->b, i, 1, gk, -1));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, enter("fpb"));
		rx = udp(c[i].family, PORT);
		ASSERT_EQ(0, enter("fpa"));
		tx = udp(c[i].family, 0);
		memset(buf, 0x5a, c[i].fits + 1);
		ASSERT_EQ((ssize_t)c[i].fits,
			  send_to(tx, c[i].dst, PORT, buf, c[i].fits));
		ASSERT_EQ((ssize_t)c[i].fits,
			  recv_wait(rx, got, sizeof(got), 5000));
		EXPECT_EQ(0, memcmp(buf, got, c[i].fits));
		EXPECT_EQ(-1, send_to(tx, c[i].dst, PORT, buf, c[i].fits + 1));
		EXPECT_EQ(EPERM, errno);
		EXPECT_EQ(1, counter(&self->a, i + 1, CPNS_A_STATS_TX_DROPPED));
		close(tx);
		close(rx);
	}
}

/* The closest selector wins; identical ones and host bits are refused. */
TEST_F(fp, selectors)
{
	uint8_t gk[CPNS_KEY_LEN], buf[64];
	int tx, rx;

	ASSERT_EQ(0, group_sel(&self->a, 1, "10.99.0.2", 32, PORT));
	ASSERT_EQ(0, group_sel(&self->a, 2, "10.99.0.0", 24, 0));
	group_sel(&self->a, 3, "10.99.0.2", 32, PORT);
	EXPECT_EQ(-EADDRINUSE, self->a.err);
	EXPECT_STREQ("cpns: another Service Group has this traffic selector",
		     self->a.extack);
	EXPECT_EQ(CPNS_A_GROUP_SELECTOR, self->a.bad_attr);
	group_sel(&self->a, 3, "10.99.0.2", 24, PORT);
	EXPECT_EQ(-EINVAL, self->a.err);
	EXPECT_STREQ("cpns: selector daddr has bits set past prefix-len",
		     self->a.extack);
	group_sel(&self->a, 3, "fd99::1", 64, PORT);
	EXPECT_EQ(-EINVAL, self->a.err);
	nlc_group_get(&self->a, 3);
	EXPECT_EQ(-ENOENT, self->a.err);
	/* The same selector is free again once its group is gone. */
	ASSERT_EQ(0, nlc_group_del(&self->a, 1));
	ASSERT_EQ(0, group_sel(&self->a, 1, "10.99.0.2", 32, PORT));

	/* Group 1 for the port, group 2 for the rest of the prefix. */
	nlc_fill_key(gk, 7);
	ASSERT_EQ(0, nlc_key_plain(&self->a, 1, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->a, 2, 1, gk, -1));
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	ASSERT_EQ(2, send_to(tx, "10.99.0.2", PORT, "p1", 2));
	ASSERT_EQ(2, send_to(tx, "10.99.0.2", PORT + 1, "p2", 2));
	ASSERT_EQ(2, send_to(tx, "10.99.0.7", 9, "p3", 2));
	EXPECT_EQ(1, counter(&self->a, 1, CPNS_A_STATS_TX_SEALED));
	EXPECT_EQ(2, counter(&self->a, 2, CPNS_A_STATS_TX_SEALED));
	/* Outside every selector: untouched. */
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	ASSERT_EQ(0, enter("fpa"));
	ASSERT_EQ(0, sh("ip -n fpa addr add 10.98.0.1/24 dev va && "
			"ip -n fpb addr add 10.98.0.2/24 dev vb && "
			"ip -n fpa neigh add 10.98.0.2 lladdr " MAC_B " dev va"));
	ASSERT_EQ(2, send_to(tx, "10.98.0.2", PORT, "p4", 2));
	ASSERT_EQ(2, recv_wait(rx, buf, sizeof(buf), 2000));
	EXPECT_EQ(3, counter(&self->a, 0, CPNS_A_STATS_TX_SEALED));
	close(tx);
	close(rx);
}

/* Run @fn in namespace @ns in a child for @secs; its count comes back. */
static pid_t spawn(const char *ns, long (*fn)(int), int secs, int *pipefd)
{
	pid_t pid;
	long n;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid)
		return pid;
	close(pipefd[0]);
	n = enter(ns) ? -1 : fn(secs);
	if (write(pipefd[1], &n, sizeof(n)) != sizeof(n))
		_exit(1);
	_exit(0);
}

static long reap(pid_t pid, int *pipefd)
{
	long n = -1;
	int status;

	close(pipefd[1]);
	if (read(pipefd[0], &n, sizeof(n)) != sizeof(n))
		n = -1;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return n;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static long sender(int secs)
{
	struct timespec t0;
	int fd = udp(AF_INET, 0);
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fd >= 0 && secs_since(&t0) < secs) {
		send_to(fd, "10.99.0.2", PORT, "churn", 5);
		n++;
	}
	return n;
}

static long receiver(int secs)
{
	int fd = udp(AF_INET, PORT), big = 4 << 20;
	struct timespec t0;
	char buf[64];
	long n = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fd >= 0 && secs_since(&t0) < secs + 1)
		if (recv_wait(fd, buf, sizeof(buf), 100) == 5)
			n++;
	return n;
}

/*
 * Keys roll over every few milliseconds and the sender's group is deleted
 * and made again while datagrams flow: every datagram sealed under a key
 * either
 * opens or is dropped for a reason other than a failed tag or a replay
 * (which would mean a wrong or freed key), and the kernel stays quiet.
 */
TEST_F_TIMEOUT(fp, churn_under_traffic, 120)
{
	int ptx[2], prx[2], rounds = 0;
	uint64_t epoch = 0;
	uint8_t gk[CPNS_KEY_LEN];
	long sent, got;
	struct timespec t0;
	pid_t tx, rx;

	ASSERT_EQ(0, both(&self->a, &self->b, "10.99.0.2", 32));
	rx = spawn("fpb", receiver, 6, prx);
	tx = spawn("fpa", sender, 6, ptx);
	ASSERT_LT(0, rx);
	ASSERT_LT(0, tx);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (secs_since(&t0) < 6) {
		/*
		 * The sender's group goes and comes back; meanwhile it sends
		 * in the clear and the receiver drops that as malformed.
		 */
		if (++rounds % 25 == 0) {
			ASSERT_EQ(0, nlc_group_del(&self->a, GROUP));
			usleep(2000);
			ASSERT_EQ(0, group_sel(&self->a, GROUP, "10.99.0.2",
					       32, PORT));
		}
		epoch++;
		nlc_fill_key(gk, rounds);
		ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, epoch, gk, -1));
		ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, epoch, gk, -1));
		usleep(5000);
	}
	sent = reap(tx, ptx);
	got = reap(rx, prx);
	nlc_note("%d rounds, %ld sent, %ld received", rounds, sent, got);
	EXPECT_LT(0, sent);
	EXPECT_LT(0, got);
	EXPECT_LT(20, rounds);
	EXPECT_EQ(0, counter(&self->b, 0, CPNS_A_STATS_RX_AUTH_FAILED));
	EXPECT_EQ(0, counter(&self->b, 0, CPNS_A_STATS_RX_REPLAYED));
	EXPECT_EQ(0, counter(&self->b, 0, CPNS_A_STATS_RX_DROPPED));
	EXPECT_LE(got, (long)counter(&self->b, 0, CPNS_A_STATS_RX_OPENED));
	EXPECT_GE(sent, (long)(counter(&self->a, 0, CPNS_A_STATS_TX_SEALED) +
			       counter(&self->a, 0, CPNS_A_STATS_TX_NO_KEY)));
}

/* Deleting a namespace or the module with live traffic is clean. */
TEST_F(fp, teardown_with_traffic)
{
	uint8_t gk[CPNS_KEY_LEN];
	int tx, i;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 8,
				 gk));
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	for (i = 0; i < 200; i++)
		send_to(tx, "10.99.0.2", PORT, "x", 1);
	nlc_close(&self->b);
	ASSERT_EQ(0, sh("ip netns del fpb"));
	EXPECT_EQ(200, counter(&self->a, GROUP, CPNS_A_STATS_TX_SEALED));
	close(tx);
	ASSERT_EQ(0, sh("ip netns add fpb"));
	ASSERT_EQ(0, nlc_open(&self->b));
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103
#endif
#ifndef UDP_GRO
#define UDP_GRO		104
#endif

/* A UDP GSO send: @len bytes as segments of @seg. */
static ssize_t send_gso(int fd, const char *addr, const void *buf,
			size_t len, int seg)
{
	if (setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)))
		return -1;
	return send_to(fd, addr, PORT, buf, len);
}

/* One message and its UDP_GRO segment size (0: none) within 2 s. */
static ssize_t recv_gro(int fd, void *buf, size_t len, int *seg)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;

	*seg = 0;
	if (poll(&p, 1, 2000) != 1)
		return -1;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO)
			memcpy(seg, CMSG_DATA(c), sizeof(*seg));
	return n;
}

/*
 * UDP GSO and GRO: a segmented send is sealed segment by segment (each
 * its own sequence number), the receiver opens each, and a GSO datagram
 * looped to a socket with UDP_GRO arrives whole, its segments opened.
 */
TEST_F(fp, udp_gso_and_gro)
{
	static uint8_t buf[4096], got[4096], pkt[4096];
	uint8_t gk[CPNS_KEY_LEN];
	int tx, rx, rxa, cap, i, seg, one = 1;
	size_t off;
	ssize_t n;

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.0", 24, 12, gk));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	rxa = udp(AF_INET, PORT);
	ASSERT_EQ(0, setsockopt(rxa, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)));
	for (i = 0; i < 1000; i++)
		buf[i] = i * 7;

	/*
	 * To b: five segments, five sealed units.  veth carries the GSO
	 * datagram whole (a NIC would cut it), so the capture sees the five
	 * units back to back; b opens each and its socket gets five.
	 */
	ASSERT_EQ(1000, send_gso(tx, "10.99.0.2", buf, 1000, 200));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(200, recv_wait(rx, got, sizeof(got), 2000));
		EXPECT_EQ(0, memcmp(buf + 200 * i, got, 200));
	}
	n = capture(cap, pkt, sizeof(pkt), &off);
	ASSERT_EQ((ssize_t)(off + 8 + 5 * (200 + CPNS_WIRE_HDR_LEN +
					   CPNS_WIRE_TAG_LEN)), n);
	for (i = 0; i < 5; i++) {
		uint8_t *u = pkt + off + 8 + i * (200 + CPNS_WIRE_HDR_LEN +
						  CPNS_WIRE_TAG_LEN);

		EXPECT_EQ((uint64_t)i + 1, be(u + 24, 4));	/* seq */
		ASSERT_EQ(0, ref_open(gk, u, 200 + CPNS_WIRE_HDR_LEN +
				      CPNS_WIRE_TAG_LEN, got));
		EXPECT_EQ(0, memcmp(buf + 200 * i, got, 200));
	}
	EXPECT_EQ(5, counter(&self->a, GROUP, CPNS_A_STATS_TX_SEALED));
	EXPECT_EQ(5, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));

	/* To itself with UDP_GRO: one message of 1000, segments of 200. */
	ASSERT_EQ(1000, send_gso(tx, "10.99.0.1", buf, 1000, 200));
	ASSERT_EQ(1000, recv_gro(rxa, got, sizeof(got), &seg));
	EXPECT_EQ(200, seg);
	EXPECT_EQ(0, memcmp(buf, got, 1000));
	EXPECT_EQ(10, counter(&self->a, GROUP, CPNS_A_STATS_TX_SEALED));
	EXPECT_EQ(5, counter(&self->a, GROUP, CPNS_A_STATS_RX_OPENED));
	/* A short last segment too. */
	ASSERT_EQ(950, send_gso(tx, "10.99.0.1", buf, 950, 200));
	ASSERT_EQ(950, recv_gro(rxa, got, sizeof(got), &seg));
	EXPECT_EQ(200, seg);
	EXPECT_EQ(0, memcmp(buf, got, 950));
	EXPECT_EQ(0, counter(&self->a, 0, CPNS_A_STATS_RX_MALFORMED));
	EXPECT_EQ(0, counter(&self->a, 0, CPNS_A_STATS_TX_DROPPED));
	close(tx);
	close(rx);
	close(rxa);
	close(cap);
}

/* fpa - fpg - fpb on 10.96.1.0/24 and 10.96.2.0/24, fpg forwarding. */
static int gateway_setup(void)
{
	return sh("ip netns add fpg && "
		  "ip link add va1 netns fpa type veth peer name vg1 netns fpg "
		  "address 02:00:00:00:00:f1 && "
		  "ip link add vg2 netns fpg type veth peer name vb2 netns fpb && "
		  "ip -n fpa addr add 10.96.1.1/24 dev va1 && "
		  "ip -n fpg addr add 10.96.1.254/24 dev vg1 && "
		  "ip -n fpg addr add 10.96.2.254/24 dev vg2 && "
		  "ip -n fpb addr add 10.96.2.2/24 dev vb2 && "
		  "ip -n fpa link set va1 up && ip -n fpg link set vg1 up && "
		  "ip -n fpg link set vg2 up && ip -n fpb link set vb2 up && "
		  "ip -n fpg link set lo up && "
		  "ip -n fpa route add 10.96.2.0/24 via 10.96.1.254 && "
		  "ip -n fpb route add 10.96.1.0/24 via 10.96.2.254 && "
		  "ip netns exec fpg sh -c "
		  "'echo 1 >/proc/sys/net/ipv4/conf/all/forwarding'");
}

/*
 * A gateway with the group verifies what it forwards: sealed datagrams
 * pass as they are; tampered, replayed, unsealed and unknown-epoch ones
 * stop there, counted by reason, and never reach the receiver.
 */
/* Three namespaces: past the default 30 s on a debug kernel. */
TEST_F_TIMEOUT(fp, forwarded, 180)
{
	uint8_t gk[CPNS_KEY_LEN], k2[CPNS_KEY_LEN], pkt[2048], bad[2048];
	uint8_t buf[64];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_IP),
				   .sll_halen = 6,
				   .sll_addr = { 2, 0, 0, 0, 0, 0xf1 } };
	struct nlc g, ev;
	struct nlc_key k;
	int tx, rx, cap, inj, i;
	size_t off;
	ssize_t n;

	ASSERT_EQ(0, gateway_setup());
	ASSERT_EQ(0, enter("fpg"));
	ASSERT_EQ(0, nlc_open(&g));
	ASSERT_EQ(0, nlc_open_events(&ev));
	nlc_fill_key(gk, 21);
	ASSERT_EQ(0, group_sel(&self->a, GROUP, "10.96.2.2", 32, PORT));
	ASSERT_EQ(0, group_sel(&g, GROUP, "10.96.2.2", 32, PORT));
	ASSERT_EQ(0, group_sel(&self->b, GROUP, "10.96.2.2", 32, PORT));
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&g, GROUP, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 1, gk, -1));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb2", 0);
	ASSERT_LE(0, cap);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	inj = packet_sock("va1", 0);
	ASSERT_LE(0, inj);
	sll.sll_ifindex = if_nametoindex("va1");

	for (i = 0; i < 10; i++) {
		ASSERT_EQ(4, send_to(tx, "10.96.2.2", PORT, "fwd!", 4));
		ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
		EXPECT_EQ(0, memcmp(buf, "fwd!", 4));
	}
	EXPECT_EQ(10, counter(&g, GROUP, CPNS_A_STATS_FWD_VERIFIED));
	EXPECT_EQ(0, counter(&g, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(10, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	/* What the receiver got is what the sender sealed, untouched. */
	n = capture(cap, pkt, sizeof(pkt), &off);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, ref_open(gk, pkt + off + 8, n - off - 8, buf));
	EXPECT_EQ(0, memcmp(buf, "fwd!", 4));

	/* A replay and a tampered copy, put on the wire before the gateway. */
	ASSERT_EQ(n, sendto(inj, pkt, n, 0, (struct sockaddr *)&sll,
			    sizeof(sll)));
	memcpy(bad, pkt, n);
	bad[n - 1] ^= 1;
	ASSERT_EQ(n, sendto(inj, bad, n, 0, (struct sockaddr *)&sll,
			    sizeof(sll)));
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(1, counter(&g, GROUP, CPNS_A_STATS_RX_REPLAYED));
	EXPECT_EQ(1, counter(&g, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));
	EXPECT_EQ(10, counter(&self->b, GROUP, CPNS_A_STATS_RX_OPENED));
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_REPLAYED));

	/* A sender without the group: its clear datagram stops there. */
	ASSERT_EQ(0, nlc_group_del(&self->a, GROUP));
	ASSERT_EQ(5, send_to(tx, "10.96.2.2", PORT, "clear", 5));
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(1, counter(&g, GROUP, CPNS_A_STATS_RX_MALFORMED));

	/* Ends move to epoch 2 before the gateway: it asks for the key. */
	nlc_events(&ev, NLC_MAX_REPLIES, 100);
	nlc_fill_key(k2, 22);
	ASSERT_EQ(0, group_sel(&self->a, GROUP, "10.96.2.2", 32, PORT));
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 2, k2, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 2, k2, -1));
	ASSERT_EQ(4, send_to(tx, "10.96.2.2", PORT, "new!", 4));
	EXPECT_EQ(-1, recv_wait(rx, buf, sizeof(buf), 300));
	EXPECT_EQ(1, counter(&g, GROUP, CPNS_A_STATS_KEY_MISSING));
	ASSERT_EQ(1, nlc_events(&ev, 1, 1000));
	ASSERT_EQ(0, nlc_key_parse(ev.reply[0], &k));
	EXPECT_EQ(CPNS_CMD_KEY_MISSING_NTF, k.cmd);
	EXPECT_EQ(2, k.epoch);
	ASSERT_EQ(0, nlc_key_plain(&g, GROUP, 2, k2, -1));
	ASSERT_EQ(4, send_to(tx, "10.96.2.2", PORT, "new!", 4));
	ASSERT_EQ(4, recv_wait(rx, buf, sizeof(buf), 2000));
	EXPECT_EQ(11, counter(&g, GROUP, CPNS_A_STATS_FWD_VERIFIED));

	/*
	 * The gateway's "time exceeded" quotes a sealed datagram: it reaches
	 * the sender.
	 */
	{
		int ttl = 1, fd = udp_connected("10.96.2.2", PORT);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl,
					sizeof(ttl)));
		ASSERT_EQ(4, send(fd, "ttl!", 4, 0));
		EXPECT_EQ(ICMP_TIME_EXCEEDED, icmp_error(fd, 2000));
		EXPECT_EQ(0, counter(&g, GROUP, CPNS_A_STATS_TX_DROPPED));
		close(fd);
	}

	nlc_close(&ev);
	nlc_close(&g);
	close(inj);
	close(cap);
	close(tx);
	close(rx);
	ASSERT_EQ(0, sh("ip netns del fpg"));
}

/*
 * Multicast through the gateway to two interfaces: routing passes each
 * datagram through FORWARD once per interface, and each copy verifies
 * (no replay), reaching a receiver on either side.
 */
/* Three namespaces: past the default 30 s on a debug kernel. */
TEST_F_TIMEOUT(fp, forwarded_multicast, 180)
{
	struct vifctl vif = { .vifc_flags = VIFF_USE_IFINDEX,
			      .vifc_threshold = 1 };
	struct mfcctl mfc = { .mfcc_parent = 0 };
	struct ip_mreqn mr = { 0 };
	uint8_t gk[CPNS_KEY_LEN], buf[64];
	const char *ns[] = { "fpb", "fpc" };
	int mrt, one = 1, ttl = 8, tx, rx[2], i;
	struct nlc g, c;

	ASSERT_EQ(0, gateway_setup());
	ASSERT_EQ(0, sh("ip netns add fpc && "
			"ip link add vg3 netns fpg type veth peer name vc3 netns fpc && "
			"ip -n fpg addr add 10.96.3.254/24 dev vg3 && "
			"ip -n fpc addr add 10.96.3.3/24 dev vc3 && "
			"ip -n fpg link set vg3 up && ip -n fpc link set vc3 up && "
			"ip -n fpa route add 239.9.9.9/32 dev va1"));
	ASSERT_EQ(0, enter("fpg"));
	ASSERT_EQ(0, nlc_open(&g));
	ASSERT_EQ(0, enter("fpc"));
	ASSERT_EQ(0, nlc_open(&c));
	nlc_fill_key(gk, 31);
	ASSERT_EQ(0, group_sel(&self->a, GROUP, "239.9.9.9", 32, PORT));
	ASSERT_EQ(0, group_sel(&g, GROUP, "239.9.9.9", 32, PORT));
	ASSERT_EQ(0, group_sel(&self->b, GROUP, "239.9.9.9", 32, PORT));
	ASSERT_EQ(0, group_sel(&c, GROUP, "239.9.9.9", 32, PORT));
	ASSERT_EQ(0, nlc_key_plain(&self->a, GROUP, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&g, GROUP, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&self->b, GROUP, 1, gk, -1));
	ASSERT_EQ(0, nlc_key_plain(&c, GROUP, 1, gk, -1));

	/* The gateway routes 10.96.1.1 -> 239.9.9.9 out of vg2 and vg3. */
	ASSERT_EQ(0, enter("fpg"));
	mrt = socket(AF_INET, SOCK_RAW, IPPROTO_IGMP);
	ASSERT_LE(0, mrt);
	ASSERT_EQ(0, setsockopt(mrt, IPPROTO_IP, MRT_INIT, &one, sizeof(one)));
	vif.vifc_lcl_ifindex = if_nametoindex("vg1");
	ASSERT_EQ(0, setsockopt(mrt, IPPROTO_IP, MRT_ADD_VIF, &vif, sizeof(vif)));
	vif.vifc_vifi = 1;
	vif.vifc_lcl_ifindex = if_nametoindex("vg2");
	ASSERT_EQ(0, setsockopt(mrt, IPPROTO_IP, MRT_ADD_VIF, &vif, sizeof(vif)));
	vif.vifc_vifi = 2;
	vif.vifc_lcl_ifindex = if_nametoindex("vg3");
	ASSERT_EQ(0, setsockopt(mrt, IPPROTO_IP, MRT_ADD_VIF, &vif, sizeof(vif)));
	inet_pton(AF_INET, "10.96.1.1", &mfc.mfcc_origin);
	inet_pton(AF_INET, "239.9.9.9", &mfc.mfcc_mcastgrp);
	mfc.mfcc_ttls[1] = 1;
	mfc.mfcc_ttls[2] = 1;
	ASSERT_EQ(0, setsockopt(mrt, IPPROTO_IP, MRT_ADD_MFC, &mfc, sizeof(mfc)));

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, enter(ns[i]));
		rx[i] = udp(AF_INET, PORT);
		ASSERT_LE(0, rx[i]);
		inet_pton(AF_INET, "239.9.9.9", &mr.imr_multiaddr);
		mr.imr_ifindex = if_nametoindex(i ? "vc3" : "vb2");
		ASSERT_EQ(0, setsockopt(rx[i], IPPROTO_IP, IP_ADD_MEMBERSHIP,
					&mr, sizeof(mr)));
	}
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	ASSERT_EQ(0, setsockopt(tx, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
				sizeof(ttl)));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(5, send_to(tx, "239.9.9.9", PORT, "mcast", 5));
		ASSERT_EQ(5, recv_wait(rx[0], buf, sizeof(buf), 2000));
		ASSERT_EQ(5, recv_wait(rx[1], buf, sizeof(buf), 2000));
		EXPECT_EQ(0, memcmp(buf, "mcast", 5));
	}
	EXPECT_EQ(10, counter(&g, GROUP, CPNS_A_STATS_FWD_VERIFIED));
	EXPECT_EQ(0, counter(&g, GROUP, CPNS_A_STATS_RX_REPLAYED));
	EXPECT_EQ(5, counter(&c, GROUP, CPNS_A_STATS_RX_OPENED));

	close(mrt);
	close(tx);
	close(rx[0]);
	close(rx[1]);
	nlc_close(&g);
	nlc_close(&c);
	ASSERT_EQ(0, sh("ip netns del fpg; ip netns del fpc"));
}

/*
 * The CPU's AES-GCM instructions: the /proc/cpuinfo flag that says they
 * are there, and the module that registers gcm(aes) on them.
 */
#if defined(__aarch64__)
#define AES_CPU_FLAG "pmull"		/* ghash-ce's gcm-aes-ce: AES and PMULL */
#define AES_MODULE "ghash_ce"
#else
#define AES_CPU_FLAG "aes"
#define AES_MODULE "aesni_intel"
#endif

/*
 * With a SIMD implementation registered (AES-NI, arm64's Crypto
 * Extensions, as udev loads it on a real machine), the fast path uses
 * it where the FPU is usable; what it seals still opens with OpenSSL
 * and on the other side.
 */
TEST_F(fp, simd_implementation)
{
	uint8_t gk[CPNS_KEY_LEN], pkt[2048], buf[512], plain[512];
	struct nlattr *tb[CPNS_A_INFO_MAX + 1];
	char want[128], module[64];
	FILE *aead;
	size_t off;
	ssize_t n;
	int tx, rx, cap, i;

	if (sh("grep -qw " AES_CPU_FLAG " /proc/cpuinfo"))
		SKIP(return, "no AES instructions in this CPU");
	/* With the CPU flag there, a failed load is a failure, not a skip. */
	ASSERT_EQ(0, sh("modprobe " AES_MODULE));
	ASSERT_EQ(0, nlc_do(&self->a, nlc_req(&self->a, CPNS_CMD_INFO_GET, 0)));
	ASSERT_EQ(0, nlc_parse(self->a.reply[0], tb, CPNS_A_INFO_MAX));
	ASSERT_NE(NULL, tb[CPNS_A_INFO_FASTPATH_AEAD]);
	/*
	 * By the algorithms' properties, not their names (6.12's differ
	 * from 6.1's, arm64's from x86's): the driver the fast path should
	 * take, and that it is the SIMD module's.
	 */
	aead = popen(". ./common.sh && d=$(fastpath_aead_expected) && "
		     "echo \"$d\" && crypto_module \"$d\"", "r");
	ASSERT_NE(NULL, aead);
	ASSERT_NE(NULL, fgets(want, sizeof(want), aead));
	ASSERT_NE(NULL, fgets(module, sizeof(module), aead));
	pclose(aead);
	want[strcspn(want, "\n")] = '\0';
	module[strcspn(module, "\n")] = '\0';
	ASSERT_STREQ(AES_MODULE, module) TH_LOG("gcm(aes) is %s's %s", module, want);
	EXPECT_STREQ(want, nla_get_string(tb[CPNS_A_INFO_FASTPATH_AEAD]));

	ASSERT_EQ(0, both_keyed(&self->a, &self->b, "10.99.0.2", 32, 10,
				 gk));
	ASSERT_EQ(0, enter("fpb"));
	rx = udp(AF_INET, PORT);
	cap = packet_sock("vb", 0);
	ASSERT_EQ(0, enter("fpa"));
	tx = udp(AF_INET, 0);
	for (i = 1; i <= 300; i += 37) {
		memset(buf, i, i);
		ASSERT_EQ(i, send_to(tx, "10.99.0.2", PORT, buf, i));
		ASSERT_EQ(i, recv_wait(rx, plain, sizeof(plain), 2000));
		EXPECT_EQ(0, memcmp(buf, plain, i));
		n = capture(cap, pkt, sizeof(pkt), &off);
		ASSERT_LT(0, n);
		ASSERT_EQ(0, ref_open(gk, pkt + off + 8, n - off - 8, plain));
		EXPECT_EQ(0, memcmp(buf, plain, i));
	}
	EXPECT_EQ(0, counter(&self->b, GROUP, CPNS_A_STATS_RX_AUTH_FAILED));
	close(tx);
	close(rx);
	close(cap);
}

TEST_HARNESS_MAIN
