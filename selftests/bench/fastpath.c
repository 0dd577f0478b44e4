// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: datagrams per second through the cpns fast path against its
 * peers, in one VM boot: plain UDP, cpns (sealed on LOCAL_OUT, opened on
 * LOCAL_IN), and IPsec ESP in transport mode with rfc4106(gcm(aes)),
 * 256-bit keys, between two namespaces joined by a veth pair.
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

/* Received datagrams per second for @size-byte payloads; -1 on error. */
static double run(size_t size)
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
	inet_pton(AF_INET, "10.98.0.2", &dst.sin_addr);
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

int main(void)
{
	static const size_t sizes[] = { 64, 1024 };
	double plain[2], cpns[2], esp[2];
	bool ok = true;
	unsigned int i;
	int home = open("/proc/self/ns/net", O_RDONLY);

	printf("TAP version 13\n1..%zu\n", 3 * sizeof(sizes) / sizeof(sizes[0]));
	note("fastpath: received datagrams/s, one process sending into a veth");
	note("pair and draining the far end (%.0f s per row, one vCPU)",
	     SECONDS);
	sh("modprobe cpns && modprobe esp4");
	sh("(ip netns del ba; ip netns del bb) 2>/dev/null; true");
	if (home < 0 ||
	    sh("ip netns add ba && ip netns add bb && "
	       "ip link add va netns ba type veth peer name vb netns bb && "
	       "ip -n ba addr add 10.98.0.1/24 dev va && "
	       "ip -n bb addr add 10.98.0.2/24 dev vb && "
	       "ip -n ba link set va up && ip -n bb link set vb up")) {
		report(false, "set-up");
		return 1;
	}

	for (i = 0; i < 2; i++)
		plain[i] = run(sizes[i]);
	ok &= sh("(umask 077; head -c 32 /dev/urandom >/tmp/bench.key) && "
		 "for n in ba bb; do cpnsctl -n $n group add 1 "
		 "dst 10.98.0.2/32 dport %d >/dev/null && "
		 "cpnsctl -n $n key add group 1 epoch 1 plain file "
		 "/tmp/bench.key >/dev/null || exit 1; done", PORT) == 0;
	for (i = 0; i < 2; i++)
		cpns[i] = run(sizes[i]);
	ok &= sh("for n in ba bb; do cpnsctl -n $n group del 1; done") == 0;
	ok &= esp_on() == 0;
	for (i = 0; i < 2; i++)
		esp[i] = run(sizes[i]);
	if (home >= 0)
		setns(home, CLONE_NEWNET);
	sh("ip netns del ba; ip netns del bb; rm -f /tmp/bench.key");

	note("%-34s %10s %10s %10s", "payload", "plain", "cpns", "esp");
	for (i = 0; i < 2; i++)
		note("%-34zu %10.0f %10.0f %10.0f", sizes[i], plain[i],
		     cpns[i], esp[i]);
	for (i = 0; i < 2; i++) {
		report(ok && plain[i] > 0, "plain UDP, %zu B: %.0f datagrams/s",
		       sizes[i], plain[i]);
		report(ok && cpns[i] > 0,
		       "cpns, %zu B: %.0f datagrams/s, %.2fx plain, %.2fx ESP",
		       sizes[i], cpns[i], cpns[i] / plain[i], cpns[i] / esp[i]);
		report(ok && esp[i] > 0, "ESP rfc4106(gcm(aes)), %zu B: %.0f datagrams/s, %.2fx plain",
		       sizes[i], esp[i], esp[i] / plain[i]);
	}
	return ok ? 0 : 1;
}
