/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fast-path tests share: two namespaces, fpa and fpb, joined by
 * a veth pair (va, vb), a netlink client in each, UDP and packet-socket
 * helpers, and a reference opener of sealed datagrams written with
 * OpenSSL from Documentation/fastpath.rst.
 */
#ifndef _CPNS_FP_COMMON_H
#define _CPNS_FP_COMMON_H

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/errqueue.h>
#include <linux/mroute.h>
#include <netinet/ip_icmp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nl_common.h"
#include "kselftest_harness.h"

/*
 * The harness gives each case 30 s.  Under TCG on the debug kernel
 * (KASAN, lockdep) with the host busy, a fast-path case sending a few
 * thousand datagrams takes longer than that without anything wrong; a
 * real hang is still caught, at this bound and by the runner's.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 240

#define PORT	4000
#define GROUP	1
#define MAC_A	"02:00:00:00:00:0a"
#define MAC_B	"02:00:00:00:00:0b"

static inline int sh(const char *cmd)
{
	return system(cmd);
}

static inline int enter(const char *ns)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/* A group whose selector is @addr/@plen (family by length), port @port. */
static inline int group_sel(struct nlc *c, uint32_t id, const char *addr,
			    int plen, int port)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);
	uint8_t a[16];
	int v6 = strchr(addr, ':') != NULL;
	struct nlattr *n;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) != 1)
		return -EINVAL;
	nla_put_u32(m, CPNS_A_GROUP_ID, id);
	n = nla_nest_start(m, CPNS_A_GROUP_SELECTOR);
	n->nla_type |= NLA_F_NESTED;
	nla_put_u16(m, CPNS_A_SELECTOR_FAMILY, v6 ? AF_INET6 : AF_INET);
	nla_put(m, CPNS_A_SELECTOR_DADDR, v6 ? 16 : 4, a);
	nla_put_u8(m, CPNS_A_SELECTOR_PREFIX_LEN, plen);
	if (port)
		nla_put_u16(m, CPNS_A_SELECTOR_DPORT, htons(port));
	nla_nest_end(m, n);
	return nlc_do(c, m);
}

static inline uint64_t counter(struct nlc *c, uint32_t group, int attr)
{
	struct nlc_stats s;

	if (nlc_stats(c, group, &s))
		return ~0ull;
	return s.v[attr];
}

/* A UDP socket in the current namespace, bound to @port when non-zero. */
static inline int udp(int family, int port)
{
	int fd = socket(family, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	if (fd < 0 || !port)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6 ?
	    bind(fd, (struct sockaddr *)&s6, sizeof(s6)) :
	    bind(fd, (struct sockaddr *)&s4, sizeof(s4))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline ssize_t send_to(int fd, const char *addr, int port, const void *buf,
		       size_t len)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };

	if (strchr(addr, ':')) {
		inet_pton(AF_INET6, addr, &s6.sin6_addr);
		return sendto(fd, buf, len, 0, (struct sockaddr *)&s6,
			      sizeof(s6));
	}
	inet_pton(AF_INET, addr, &s4.sin_addr);
	return sendto(fd, buf, len, 0, (struct sockaddr *)&s4, sizeof(s4));
}

/* One datagram within @ms, or -1. */
static inline ssize_t recv_wait(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, buf, len, MSG_DONTWAIT);
}

/* Packet socket on @ifname for IPv4 or IPv6: below netfilter both ways. */
static inline int packet_sock(const char *ifname, int v6)
{
	int proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = proto };
	int fd = socket(AF_PACKET, SOCK_DGRAM, proto);

	sll.sll_ifindex = if_nametoindex(ifname);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Put an IP packet on the wire of "va" towards "vb". */
static inline int inject(int fd, const void *pkt, size_t len, int v6)
{
	static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0x0b };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(v6 ? ETH_P_IPV6 : ETH_P_IP),
		.sll_ifindex = if_nametoindex("va"),
		.sll_halen = 6,
	};

	memcpy(sll.sll_addr, mac_b, 6);
	return sendto(fd, pkt, len, 0, (struct sockaddr *)&sll,
		      sizeof(sll)) == (ssize_t)len ? 0 : -1;
}

/* Next UDP packet to PORT seen on a packet socket; its UDP offset. */
static inline ssize_t capture(int fd, uint8_t *pkt, size_t len, size_t *udp_off)
{
	ssize_t n;

	*udp_off = 0;
	while ((n = recv_wait(fd, pkt, len, 2000)) > 0) {
		size_t off = (pkt[0] >> 4) == 6 ? 40 : (pkt[0] & 15) * 4;
		int proto = (pkt[0] >> 4) == 6 ? pkt[6] : pkt[9];

		if (proto == IPPROTO_UDP && (size_t)n >= off + 8 &&
		    (pkt[off + 2] << 8 | pkt[off + 3]) == PORT) {
			*udp_off = off;
			return n;
		}
	}
	return -1;
}

static inline uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/*
 * K = HMAC-SHA-256(GK, "cpns-v1 traffic" || group || epoch || 1), the
 * group and epoch read from the wire header @w.
 */
static inline int ref_traffic_key(const uint8_t gk[CPNS_KEY_LEN],
				  const uint8_t *w, uint8_t k[32])
{
	static const char label[] = "cpns-v1 traffic";
	uint8_t info[sizeof(label) - 1 + 12 + 1];
	unsigned int klen = 32;

	memcpy(info, label, sizeof(label) - 1);
	memcpy(info + sizeof(label) - 1, w + 4, 12);	/* group, epoch */
	info[sizeof(info) - 1] = 1;
	return HMAC(EVP_sha256(), gk, CPNS_KEY_LEN, info, sizeof(info), k,
		    &klen) ? 0 : -1;
}

/*
 * Open a sealed UDP payload as Documentation/fastpath.rst says, with
 * OpenSSL: K = HMAC-SHA-256(GK, "cpns-v1 traffic" || group || epoch || 1),
 * AES-256-GCM, nonce = header bytes 16..27, aad = the header.
 */
static inline int ref_open(const uint8_t gk[CPNS_KEY_LEN], const uint8_t *w,
		    size_t len, uint8_t *out)
{
	uint8_t k[32];
	size_t ctlen = len - CPNS_WIRE_HDR_LEN - CPNS_WIRE_TAG_LEN;
	EVP_CIPHER_CTX *x;
	int n, ok;

	if (ref_traffic_key(gk, w, k))
		return -1;
	x = EVP_CIPHER_CTX_new();
	ok = x && EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, k, w + 16) &&
	     EVP_DecryptUpdate(x, NULL, &n, w, CPNS_WIRE_HDR_LEN) &&
	     EVP_DecryptUpdate(x, out, &n, w + CPNS_WIRE_HDR_LEN, ctlen) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, CPNS_WIRE_TAG_LEN,
				 (void *)(w + len - CPNS_WIRE_TAG_LEN)) &&
	     EVP_DecryptFinal_ex(x, out + n, &n);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

FIXTURE(fp) {
	struct nlc a, b;	/* netlink in namespace fpa, fpb */
	int home;		/* the test's own namespace */
};

FIXTURE_SETUP(fp)
{
	nlc_rmmod();
	ASSERT_EQ(0, nlc_modprobe());
	sh("ip netns del fpa 2>/dev/null; ip netns del fpb 2>/dev/null");
	ASSERT_EQ(0, sh("ip netns add fpa && ip netns add fpb && "
			"ip link add va netns fpa address " MAC_A " type veth "
			"peer name vb netns fpb address " MAC_B " && "
			"ip -n fpa addr add 10.99.0.1/24 dev va && "
			"ip -n fpb addr add 10.99.0.2/24 dev vb && "
			"ip -n fpa addr add fd99::1/64 dev va nodad && "
			"ip -n fpb addr add fd99::2/64 dev vb nodad && "
			"ip -n fpa link set va up && ip -n fpb link set vb up && "
			"ip -n fpa link set lo up && ip -n fpb link set lo up && "
			"ip -n fpa neigh add 10.99.0.2 lladdr " MAC_B " dev va && "
			"ip -n fpa neigh add fd99::2 lladdr " MAC_B " dev va && "
			"ip -n fpb neigh add 10.99.0.1 lladdr " MAC_A " dev vb && "
			"ip -n fpb neigh add fd99::1 lladdr " MAC_A " dev vb"));
	self->home = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, self->home);
	ASSERT_EQ(0, enter("fpa"));
	ASSERT_EQ(0, nlc_open(&self->a));
	ASSERT_EQ(0, enter("fpb"));
	ASSERT_EQ(0, nlc_open(&self->b));
}

FIXTURE_TEARDOWN(fp)
{
	nlc_close(&self->a);
	nlc_close(&self->b);
	setns(self->home, CLONE_NEWNET);
	close(self->home);
	sh("ip netns del fpa; ip netns del fpb; "
	   "(ip netns del fpg; ip netns del fpc) 2>/dev/null");
	nlc_rmmod();
}

/*
 * Seal @len bytes of @w in place, after its header (whose sender and
 * sequence number the caller set), as ref_open() opens: for datagrams a
 * test makes up.
 */
static inline int ref_seal(const uint8_t gk[CPNS_KEY_LEN], uint8_t *w,
			   size_t len)
{
	uint8_t k[32];
	EVP_CIPHER_CTX *x;
	int n, ok;

	if (ref_traffic_key(gk, w, k))
		return -1;
	x = EVP_CIPHER_CTX_new();
	ok = x && EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, k, w + 16) &&
	     EVP_EncryptUpdate(x, NULL, &n, w, CPNS_WIRE_HDR_LEN) &&
	     EVP_EncryptUpdate(x, w + CPNS_WIRE_HDR_LEN, &n,
			       w + CPNS_WIRE_HDR_LEN, len) &&
	     EVP_EncryptFinal_ex(x, w + CPNS_WIRE_HDR_LEN + n, &n) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, CPNS_WIRE_TAG_LEN,
				 w + CPNS_WIRE_HDR_LEN + len);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

/* Both namespaces: group GROUP for @addr/@plen, port PORT. */
static inline int both(struct nlc *a, struct nlc *b, const char *addr, int plen)
{
	return group_sel(a, GROUP, addr, plen, PORT) ?:
	       group_sel(b, GROUP, addr, plen, PORT);
}

/* The same, with key @gk (made from @seed) as epoch 1 on both sides. */
static inline int both_keyed(struct nlc *a, struct nlc *b, const char *addr,
		      int plen, uint32_t seed, uint8_t gk[CPNS_KEY_LEN])
{
	nlc_fill_key(gk, seed);
	return both(a, b, addr, plen) ?:
	       nlc_key_plain(a, GROUP, 1, gk, -1) ?:
	       nlc_key_plain(b, GROUP, 1, gk, -1);
}

#endif /* _CPNS_FP_COMMON_H */
