// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath_flows: how the fast path scales over CPUs when several nodes
 * send to one receiver under one Group Key.  Two sender namespaces, each
 * joined to the receiver namespace by a veth pair; one process per flow,
 * pinned to its own CPU, sends bursts and drains its socket in the
 * receiver.  veth delivers in the sender's softirq, so each flow's
 * opening (and its replay check, under the key both flows share) runs on
 * the flow's CPU.  Rows: one flow, then two at once, plain UDP and cpns;
 * the scaling of two flows over one shows what the two CPUs contend for.
 *
 * Needs two vCPUs (selftests/bench.sh boots a second VM for it); in a
 * one-vCPU boot it says so and measures nothing.  A benchmark: numbers,
 * never a verdict on speed.
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
#include <sys/wait.h>

#define PORT		4000
#define SECONDS		3.0
#define BURST		32
#define SIZE		256

static int tap_n;

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
		printf("# command failed (%d): %s\n", ret, cmd);
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

/*
 * Flow @i (1 or 2) on CPU @i - 1: datagrams received per second, written
 * to @out.  Runs in a child of its own.
 */
static void flow(int i, int out)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	static char buf[SIZE], got[2048];
	int rx, tx, big = 4 << 20;
	unsigned long n = 0;
	char ns[8], addr[16];
	double t0, t, rate;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(i - 1, &cpus);
	snprintf(addr, sizeof(addr), "10.96.%d.2", i);
	snprintf(ns, sizeof(ns), "fs%d", i);
	inet_pton(AF_INET, addr, &dst.sin_addr);
	if (sched_setaffinity(0, sizeof(cpus), &cpus) || enter("fr"))
		_exit(1);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (rx < 0 || bind(rx, (struct sockaddr *)&dst, sizeof(dst)) ||
	    enter(ns))
		_exit(1);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	memset(buf, 0x5a, sizeof(buf));
	t0 = t = now();
	while (t - t0 < SECONDS) {
		for (int k = 0; k < BURST; k++)
			if (sendto(tx, buf, sizeof(buf), 0,
				   (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
			    errno != ENOBUFS)
				_exit(1);
		while (recv(rx, got, sizeof(got), MSG_DONTWAIT) > 0)
			n++;
		t = now();
	}
	rate = n / (t - t0);
	_exit(write(out, &rate, sizeof(rate)) == sizeof(rate) ? 0 : 1);
}

/* Total received datagrams/s of flows 1..@nflows running at once. */
static double flows(int nflows)
{
	double sum = 0, r;
	int p[2], i, st;

	if (pipe(p))
		return -1;
	for (i = 1; i <= nflows; i++)
		if (!fork())
			flow(i, p[1]);
	close(p[1]);
	for (i = 0; i < nflows; i++) {
		if (read(p[0], &r, sizeof(r)) != sizeof(r))
			sum = -1;
		else if (sum >= 0)
			sum += r;
	}
	close(p[0]);
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			sum = -1;
	return sum;
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

int main(void)
{
	double plain[2], cpns[2];
	bool ok;
	int i;

	printf("TAP version 13\n");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("1..1\nok 1 - not measured in a one-vCPU boot: bench.sh runs it in a two-vCPU one\n");
		return 0;
	}
	printf("1..4\n");
	sh("grep -qw aes /proc/cpuinfo && modprobe aesni_intel; modprobe cpns");
	sh("(ip netns del fr; ip netns del fs1; ip netns del fs2) 2>/dev/null; true");
	ok = !sh("ip netns add fr") && !sh("ip -n fr link set lo up");
	for (i = 1; i <= 2 && ok; i++)
		ok = !sh("ip netns add fs%d && "
			 "ip link add v%d netns fs%d type veth peer name r%d netns fr && "
			 "ip -n fs%d addr add 10.96.%d.1/24 dev v%d && "
			 "ip -n fr addr add 10.96.%d.2/24 dev r%d && "
			 "ip -n fs%d link set v%d up && ip -n fr link set r%d up",
			 i, i, i, i, i, i, i, i, i, i, i, i);
	if (!ok) {
		report(false, "set-up");
		return 1;
	}
	plain[0] = flows(1);
	plain[1] = flows(2);
	ok = !sh("(umask 077; head -c 32 /dev/urandom >/tmp/flows.key) && "
		 "for n in fr fs1 fs2; do cpnsctl -n $n group add 1 "
		 "dst 10.96.0.0/16 dport %d >/dev/null && "
		 "cpnsctl -n $n key add group 1 epoch 1 plain file "
		 "/tmp/flows.key >/dev/null || exit 1; done", PORT);
	cpns[0] = flows(1);
	cpns[1] = flows(2);
	sh("ip netns del fr; ip netns del fs1; ip netns del fs2; rm -f /tmp/flows.key");

	printf("# %-28s %10s %10s %8s\n", "payload 256 B, datagrams/s",
	       "1 flow", "2 flows", "scaling");
	printf("# %-28s %10.0f %10.0f %7.2fx\n", "plain UDP", plain[0],
	       plain[1], plain[1] / plain[0]);
	printf("# %-28s %10.0f %10.0f %7.2fx\n", "cpns, one key", cpns[0],
	       cpns[1], cpns[1] / cpns[0]);
	report(plain[0] > 0, "plain UDP, 1 flow: %.0f datagrams/s", plain[0]);
	report(plain[1] > 0, "plain UDP, 2 flows on 2 CPUs: %.0f datagrams/s, %.2fx",
	       plain[1], plain[1] / plain[0]);
	report(ok && cpns[0] > 0, "cpns, 1 flow: %.0f datagrams/s, %.2fx plain",
	       cpns[0], cpns[0] / plain[0]);
	report(ok && cpns[1] > 0,
	       "cpns, 2 flows on 2 CPUs, one key: %.0f datagrams/s, %.2fx one flow (plain %.2fx)",
	       cpns[1], cpns[1] / cpns[0], plain[1] / plain[0]);
	return 0;
}
