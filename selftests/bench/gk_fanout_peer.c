// SPDX-License-Identifier: GPL-2.0
/*
 * gk_fanout_peer: the peer of cpnsd_fanout.sh, figure b's fan-out with
 * no crypto of ours.  A server, gateways and PNEs, each a process in the
 * namespace its cpnsd would be in, hold TLS 1.3 sessions (OpenSSL's
 * defaults, as cpnsd's, X.509 on every link, no session tickets) that
 * are up before anything is timed.  A round: the server sends one
 * 256-byte message to each gateway, each gateway one to each of its PNEs
 * (cpnsd broadcasts one datagram instead), each PNE answers 64 bytes,
 * which its gateway relays to the server (as a gateway reports each
 * PNE's Group Key Response).  The server times from its send to each
 * gateway's last relayed answer and to the last one overall, as cpnsd's
 * server times a rotation from step 1 to the last acknowledgement.
 *
 *   gk_fanout_peer server PORT GATEWAYS ROUNDS CERT KEY
 *   gk_fanout_peer gateway SERVER_ADDR:PORT PORT PNES CERT KEY CA
 *   gk_fanout_peer pne GATEWAY_ADDR:PORT CA
 *   gk_fanout_peer pnes GATEWAY_ADDR:PORT CA NETNS...  (a pne in each)
 *
 * The server prints, per round, "round R total MS" and one
 * "round R gateway I MS" line per gateway (I in the order they joined).
 * TCP_NODELAY on every socket: the peer is the transport's lower bound,
 * with no Nagle wait between a gateway's relayed answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define DOWN_LEN	256	/* about a notification for a few members */
#define UP_LEN		64	/* about a Group Key Response */
#define PAUSE_US	300000	/* between rounds: every answer is in */

struct conn {
	int fd;
	SSL *ssl;
};

static void die(const char *what)
{
	fprintf(stderr, "gk_fanout_peer: %s: %s\n", what,
		errno ? strerror(errno) : "failed");
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static SSL_CTX *ctx_new(int server, const char *cert, const char *key,
			const char *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() :
					    TLS_client_method());

	if (!ctx)
		die("SSL_CTX_new");
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	/* A ticket arriving after the handshake would stall a poll()ed read. */
	SSL_CTX_set_num_tickets(ctx, 0);
	if (cert && (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		     SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1))
		die("certificate or key");
	if (ca) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
			die("CA");
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
}

static int listen_on(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 512))
		die("bind or listen");
	return fd;
}

static void accept_conn(SSL_CTX *ctx, int lfd, struct conn *c)
{
	c->fd = accept(lfd, NULL, NULL);
	if (c->fd < 0)
		die("accept");
	nodelay(c->fd);
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_accept(c->ssl) != 1)
		die("TLS accept");
}

/* ADDR:PORT, retried for a while: the other side may still be starting. */
static void connect_to(SSL_CTX *ctx, const char *addr, struct conn *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strrchr(addr, ':');
	int i;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		die("ADDR:PORT");
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	a.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("address");
	for (i = 0;; i++) {
		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		if (c->fd < 0)
			die("socket");
		if (!connect(c->fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		close(c->fd);
		if (i == 600)
			die("connect");
		usleep(100000);
	}
	nodelay(c->fd);
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_connect(c->ssl) != 1)
		die("TLS connect");
}

/* 1: LEN bytes read; 0: the other side closed. */
static int read_full(struct conn *c, void *buf, int len)
{
	int got = 0, n;

	while (got < len) {
		n = SSL_read(c->ssl, (char *)buf + got, len - got);
		if (n <= 0) {
			if (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN ||
			    !got)
				return 0;
			die("SSL_read");
		}
		got += n;
	}
	return 1;
}

static void write_full(struct conn *c, const void *buf, int len)
{
	if (SSL_write(c->ssl, buf, len) != len)
		die("SSL_write");
}

static int run_server(int argc, char **argv)
{
	int port, ngw, rounds, lfd, i, r, left;
	struct conn *gw;
	struct pollfd *pfd;
	uint32_t *npne, total = 0;
	double *last, t0;
	uint8_t down[DOWN_LEN] = { 0 }, up[UP_LEN];
	SSL_CTX *ctx;

	if (argc != 6)
		return 2;
	port = atoi(argv[1]);
	ngw = atoi(argv[2]);
	rounds = atoi(argv[3]);
	ctx = ctx_new(1, argv[4], argv[5], NULL);
	gw = calloc(ngw, sizeof(*gw));
	pfd = calloc(ngw, sizeof(*pfd));
	npne = calloc(ngw, sizeof(*npne));
	last = calloc(ngw, sizeof(*last));
	if (!gw || !pfd || !npne || !last)
		die("calloc");
	lfd = listen_on(port);
	/* A gateway says how many PNEs it has once they are all connected. */
	for (i = 0; i < ngw; i++) {
		accept_conn(ctx, lfd, &gw[i]);
		if (!read_full(&gw[i], &npne[i], sizeof(npne[i])))
			die("gateway hello");
		total += npne[i];
		pfd[i].fd = gw[i].fd;
		pfd[i].events = POLLIN;
	}
	for (r = 1; r <= rounds; r++) {
		usleep(PAUSE_US);
		down[0] = r;
		t0 = now_ms();
		for (i = 0; i < ngw; i++)
			write_full(&gw[i], down, sizeof(down));
		for (left = total; left > 0;) {
			if (poll(pfd, ngw, 60000) <= 0)
				die("poll (answers missing)");
			for (i = 0; i < ngw; i++) {
				if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				do {
					if (!read_full(&gw[i], up, sizeof(up)))
						die("a gateway went away");
					last[i] = now_ms();
					left--;
				} while (SSL_pending(gw[i].ssl) > 0);
			}
		}
		printf("round %d total %.2f\n", r, now_ms() - t0);
		for (i = 0; i < ngw; i++)
			printf("round %d gateway %d %.2f\n", r, i, last[i] - t0);
		fflush(stdout);
	}
	return 0;
}

static int run_gateway(int argc, char **argv)
{
	struct conn up_c, *pne;
	struct pollfd *pfd;
	uint8_t down[DOWN_LEN], up[UP_LEN];
	uint32_t n;
	SSL_CTX *sctx, *cctx;
	int lfd, i;

	if (argc != 7)
		return 2;
	n = atoi(argv[3]);
	sctx = ctx_new(1, argv[4], argv[5], NULL);
	cctx = ctx_new(0, NULL, NULL, argv[6]);
	pne = calloc(n, sizeof(*pne));
	pfd = calloc(n + 1, sizeof(*pfd));
	if (!pne || !pfd)
		die("calloc");
	lfd = listen_on(atoi(argv[2]));
	for (i = 0; i < (int)n; i++) {
		accept_conn(sctx, lfd, &pne[i]);
		pfd[i + 1].fd = pne[i].fd;
		pfd[i + 1].events = POLLIN;
	}
	connect_to(cctx, argv[1], &up_c);
	write_full(&up_c, &n, sizeof(n));
	pfd[0].fd = up_c.fd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, n + 1, -1) < 0)
			die("poll");
		if (pfd[0].revents) {
			do {
				if (!read_full(&up_c, down, sizeof(down)))
					return 0;
				for (i = 0; i < (int)n; i++)
					write_full(&pne[i], down, sizeof(down));
			} while (SSL_pending(up_c.ssl) > 0);
		}
		for (i = 0; i < (int)n; i++) {
			if (!pfd[i + 1].revents)
				continue;
			do {
				if (!read_full(&pne[i], up, sizeof(up)))
					return 0;
				write_full(&up_c, up, sizeof(up));
			} while (SSL_pending(pne[i].ssl) > 0);
		}
	}
}

static int run_pne(int argc, char **argv)
{
	uint8_t down[DOWN_LEN], up[UP_LEN] = { 0 };
	struct conn c;

	if (argc != 3)
		return 2;
	connect_to(ctx_new(0, NULL, NULL, argv[2]), argv[1], &c);
	while (read_full(&c, down, sizeof(down))) {
		up[0] = down[0];
		write_full(&c, up, sizeof(up));
	}
	return 0;
}

/*
 * PNEs of one gateway: one process each, forked into its namespace
 * rather than started by `ip netns exec` (two execs each, about half a
 * second under TCG, times 160).
 */
static int run_pnes(int argc, char **argv)
{
	char path[256], *sub[3] = { "pne", argv[1], argv[2] };
	int i, fd, ret = 0, st;
	pid_t pid;

	if (argc < 4)
		return 2;
	for (i = 3; i < argc; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid)
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", argv[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			die(path);
		close(fd);
		exit(run_pne(3, sub));
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			ret = 1;
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc > 1 && !strcmp(argv[1], "server"))
		ret = run_server(argc - 1, argv + 1);
	else if (argc > 1 && !strcmp(argv[1], "gateway"))
		ret = run_gateway(argc - 1, argv + 1);
	else if (argc > 1 && !strcmp(argv[1], "pne"))
		ret = run_pne(argc - 1, argv + 1);
	else if (argc > 1 && !strcmp(argv[1], "pnes"))
		ret = run_pnes(argc - 1, argv + 1);
	if (ret == 2)
		fprintf(stderr, "usage: gk_fanout_peer server PORT GATEWAYS ROUNDS CERT KEY\n"
			"       gk_fanout_peer gateway SERVER_ADDR:PORT PORT PNES CERT KEY CA\n"
			"       gk_fanout_peer pne GATEWAY_ADDR:PORT CA\n"
			"       gk_fanout_peer pnes GATEWAY_ADDR:PORT CA NETNS...\n");
	return ret;
}
