// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: datagrams per second through the cpns fast path against its
 * peers, in one VM boot: plain UDP, cpns (sealed on LOCAL_OUT, opened on
 * LOCAL_IN), IPsec ESP in transport mode with rfc4106(gcm(aes)) and
 * MACsec with GCM-AES-256, 256-bit keys throughout, between two
 * namespaces joined by a veth pair.
 *
 * One process sends a burst into namespace "ba" and drains its socket in
 * namespace "bb": veth delivers in the sender's softirq, so each datagram
 * costs the whole send and receive path on the one vCPU, crypto
 * included.  Received datagrams are counted; the rate is received per
 * second of CLOCK_MONOTONIC.
 *
 * A benchmark, not a test: it prints numbers and ratios, and fails only
 * when it cannot run or a mode delivers nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PORT		4000
#define MAC_A		"02:00:00:00:01:0a"
#define MAC_B		"02:00:00:00:01:0b"
#define MS_KEY		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SECONDS		2.0
#define BURST		32

static int tap_n;

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret)
		note("command failed (%d): %s", ret, cmd);
	return ret;
}

static int enter(const char *ns)
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

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Received datagrams/s of @size-byte payloads to @to; -1 on error. */
static double run(const char *to, size_t size)
{
	static char buf[2048], got[2048];
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	struct sockaddr_in any = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	int rx, tx, big = 4 << 20, i;
	unsigned long n = 0;
	double t0, t = now();

	if (enter("bb"))
		return -1;
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (rx < 0 || bind(rx, (struct sockaddr *)&any, sizeof(any)))
		return -1;
	if (enter("ba"))
		return -1;
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, to, &dst.sin_addr);
	memset(buf, 0x33, size);
	t0 = now();
	do {
		for (i = 0; i < BURST; i++)
			if (sendto(tx, buf, size, 0, (struct sockaddr *)&dst,
				   sizeof(dst)) < 0 && errno != ENOBUFS)
				goto out;
		while (recv(rx, got, sizeof(got), MSG_DONTWAIT) > 0)
			n++;
		t = now();
	} while (t - t0 < SECONDS);
out:
	close(tx);
	close(rx);
	return n / (t - t0);
}

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static const char esp_key[] =
	"0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01020304";

static int esp_on(void)
{
	const char *ns[] = { "ba", "bb" };
	int i, ret = 0;

	for (i = 0; i < 2; i++) {
		ret |= sh("ip -n %s xfrm state add src 10.98.0.1 dst 10.98.0.2 "
			  "proto esp spi 0x100 reqid 1 mode transport "
			  "aead 'rfc4106(gcm(aes))' %s 128", ns[i], esp_key);
		ret |= sh("ip -n %s xfrm policy add src 10.98.0.1 dst 10.98.0.2 "
			  "proto 17 dport %d dir %s tmpl proto esp reqid 1 "
			  "mode transport", ns[i], PORT, i ? "in" : "out");
	}
	return ret;
}

/* MACsec over the same veth pair, GCM-AES-256, its own addresses. */
static int macsec_on(void)
{
	static const char *const ns[] = { "ba", "bb" };
	static const char *const mac[] = { MAC_A, MAC_B };
	int i, ret = 0;

	for (i = 0; i < 2; i++) {
		ret |= sh("ip -n %s link add link v%c name ms0 type macsec "
			  "port 1 encrypt on cipher gcm-aes-256", ns[i],
			  i ? 'b' : 'a');
		ret |= sh("ip -n %s macsec add ms0 tx sa 0 pn 1 on key 0%d %s",
			  ns[i], i + 1, MS_KEY);
		ret |= sh("ip -n %s macsec add ms0 rx port 1 address %s",
			  ns[i], mac[!i]);
		ret |= sh("ip -n %s macsec add ms0 rx port 1 address %s "
			  "sa 0 pn 1 on key 0%d %s", ns[i], mac[!i], 2 - i,
			  MS_KEY);
		ret |= sh("ip -n %s addr add 10.97.0.%d/24 dev ms0 && "
			  "ip -n %s link set ms0 up", ns[i], i + 1, ns[i]);
	}
	return ret;
}

int main(void)
{
	static const size_t sizes[] = { 64, 1024 };
	double plain[2], cpns[2], esp[2], macsec[2];
	bool ok = true;
	unsigned int i;
	int home = open("/proc/self/ns/net", O_RDONLY);

	printf("TAP version 13\n1..%zu\n", 4 * sizeof(sizes) / sizeof(sizes[0]));
	note("fastpath: received datagrams/s, one process sending into a veth");
	note("pair and draining the far end (%.0f s per row, one vCPU)",
	     SECONDS);
	/* As udev would on a real machine; every row then uses AES-NI. */
	sh("grep -qw aes /proc/cpuinfo && modprobe aesni_intel; "
	   "modprobe cpns && modprobe esp4 && modprobe macsec");
	sh("(ip netns del ba; ip netns del bb) 2>/dev/null; true");
	if (home < 0 ||
	    sh("ip netns add ba && ip netns add bb && "
	       "ip link add va netns ba address " MAC_A " type veth "
	       "peer name vb netns bb address " MAC_B " && "
	       "ip -n ba addr add 10.98.0.1/24 dev va && "
	       "ip -n bb addr add 10.98.0.2/24 dev vb && "
	       "ip -n ba link set va up && ip -n bb link set vb up")) {
		report(false, "set-up");
		return 1;
	}

	for (i = 0; i < 2; i++)
		plain[i] = run("10.98.0.2", sizes[i]);
	ok &= sh("(umask 077; head -c 32 /dev/urandom >/tmp/bench.key) && "
		 "for n in ba bb; do cpnsctl -n $n group add 1 "
		 "dst 10.98.0.2/32 dport %d >/dev/null && "
		 "cpnsctl -n $n key add group 1 epoch 1 plain file "
		 "/tmp/bench.key >/dev/null || exit 1; done", PORT) == 0;
	sh("cpnsctl -n ba info | sed -n 's/^fastpath-aead /# cpns AEAD driver: /p'");
	for (i = 0; i < 2; i++)
		cpns[i] = run("10.98.0.2", sizes[i]);
	ok &= sh("for n in ba bb; do cpnsctl -n $n group del 1; done") == 0;
	ok &= esp_on() == 0;
	for (i = 0; i < 2; i++)
		esp[i] = run("10.98.0.2", sizes[i]);
	ok &= sh("ip -n ba xfrm policy flush && ip -n bb xfrm policy flush") == 0;
	ok &= macsec_on() == 0;
	for (i = 0; i < 2; i++)
		macsec[i] = run("10.97.0.2", sizes[i]);
	if (home >= 0)
		setns(home, CLONE_NEWNET);
	sh("ip netns del ba; ip netns del bb; rm -f /tmp/bench.key");

	note("%-24s %10s %10s %10s %10s", "payload", "plain", "cpns", "esp",
	     "macsec");
	for (i = 0; i < 2; i++)
		note("%-24zu %10.0f %10.0f %10.0f %10.0f", sizes[i], plain[i],
		     cpns[i], esp[i], macsec[i]);
	for (i = 0; i < 2; i++) {
		report(ok && plain[i] > 0, "plain UDP, %zu B: %.0f datagrams/s",
		       sizes[i], plain[i]);
		report(ok && cpns[i] > 0,
		       "cpns, %zu B: %.0f datagrams/s, %.2fx plain, %.2fx ESP, %.2fx MACsec",
		       sizes[i], cpns[i], cpns[i] / plain[i], cpns[i] / esp[i],
		       cpns[i] / macsec[i]);
		report(ok && esp[i] > 0, "ESP rfc4106(gcm(aes)), %zu B: %.0f datagrams/s, %.2fx plain",
		       sizes[i], esp[i], esp[i] / plain[i]);
		report(ok && macsec[i] > 0, "MACsec gcm-aes-256, %zu B: %.0f datagrams/s, %.2fx plain",
		       sizes[i], macsec[i], macsec[i] / plain[i]);
	}
	return ok ? 0 : 1;
}
