// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd_peer: a PNE-side client for the daemon's tests and benchmark,
 * written apart from cpnsd (blocking OpenSSL, no libevent) so that the
 * gateway is checked by a second implementation of the session:
 *
 *   cpnsd_peer assign ADDR:PORT ID KEYFILE
 *	one GKDK Assignment Request; prints "slot S set T" or the Error
 *   cpnsd_peer stream ADDR:PORT PREFIX KEYDIR FIRST LAST SECONDS
 *	assigns PREFIX<n> (key KEYDIR/PREFIX<n>) for n in FIRST..LAST,
 *	retrying each until SECONDS have passed; prints "ack ID SLOT" as
 *	each response arrives (the crash test's record of what the
 *	gateway acknowledged)
 *   cpnsd_peer raw ADDR:PORT ID KEYFILE HEX
 *	sends HEX after the handshake; prints the reply's type and code,
 *	or "closed"
 *   cpnsd_peer pull ADDR:PORT ID KEYFILE GROUP COUNT SECONDS
 *	sends COUNT Group Key Pulls at once on one session, reads for
 *	SECONDS and prints "answers N bytes B largest L" (what the pulls
 *	cost the gateway) and one line per answer's type
 *   cpnsd_peer bench ADDR:PORT ID KEYFILE THREADS SECONDS [handshake]
 *	assignments (or bare handshakes) per second over THREADS
 *	concurrent connections; an ID ending in '%' becomes ID0, ID1, ...
 *	one a thread (a gateway keeps one session per PNE)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gkdk.h"
#include "msg.h"

struct peer_conf {
	struct sockaddr_storage ss;
	socklen_t len;
	char id[65];
	unsigned char key[32];
};

static __thread const struct peer_conf *cur;

static int psk_use(SSL *ssl, const EVP_MD *md, const unsigned char **id,
		   size_t *idlen, SSL_SESSION **sess)
{
	static const unsigned char aes128gcm[] = { 0x13, 0x01 };
	SSL_SESSION *s;

	*sess = NULL;
	if (md && !EVP_MD_is_a(md, "SHA256"))
		return 1;
	s = SSL_SESSION_new();
	if (!s || !SSL_SESSION_set1_master_key(s, cur->key, 32) ||
	    !SSL_SESSION_set_cipher(s, SSL_CIPHER_find(ssl, aes128gcm)) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return 0;
	}
	*sess = s;
	*id = (const unsigned char *)cur->id;
	*idlen = strlen(cur->id);
	return 1;
}

static int parse_addr(const char *s, struct peer_conf *c)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&c->ss;
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || colon - s >= (long)sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	memset(&c->ss, 0, sizeof(c->ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(atoi(colon + 1));
	c->len = sizeof(*in);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -1;
}

static int load_key(const char *path, unsigned char key[32])
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(key, 1, 32, f);
	fclose(f);
	return n == 32 ? 0 : -1;
}

static SSL_CTX *ctx;

/* Connect and handshake; NULL on failure (errno-ish reason printed). */
static SSL *session(const struct peer_conf *c, bool quiet)
{
	int fd, one = 1;
	SSL *ssl;

	fd = socket(c->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&c->ss, c->len)) {
		if (!quiet)
			fprintf(stderr, "connect: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	cur = c;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		if (!quiet) {
			fprintf(stderr, "handshake: ");
			ERR_print_errors_fp(stderr);
		}
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

static void end(SSL *ssl)
{
	int fd = SSL_get_fd(ssl);

	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
}

static int read_full(SSL *ssl, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		int n = SSL_read(ssl, buf + got, len - got);

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/*
 * Next message that is not a keepalive, with a body of at most
 * @body_max bytes; its bytes stay in @buf, its length in *@len.
 */
static int recv_limit(SSL *ssl, uint8_t *buf, struct cpns_msg *m,
		      size_t body_max, size_t *len)
{
	for (;;) {
		if (read_full(ssl, buf, CPNS_MSG_HDR_LEN))
			return -1;
		if (cpns_msg_frame(buf, CPNS_MSG_HDR_LEN, body_max, len))
			return -2;
		if (read_full(ssl, buf + CPNS_MSG_HDR_LEN,
			      *len - CPNS_MSG_HDR_LEN))
			return -1;
		if (cpns_msg_decode(m, buf, *len, body_max, NULL))
			return -2;
		if (m->type != CPNS_MSG_KEEPALIVE)
			return 0;
	}
}

static int recv_msg(SSL *ssl, uint8_t *buf, struct cpns_msg *m)
{
	size_t len;

	return recv_limit(ssl, buf, m, CPNS_MSG_BODY_MAX, &len);
}

static double now(void);

static int cmd_pull(struct peer_conf *c, uint32_t group, int count,
		    int seconds)
{
	size_t len, total = 0, largest = 0;
	uint8_t out[64], *in = malloc(CPNS_MSG_HDR_LEN +
				      CPNS_MSG_BODY_MAX_LARGE);
	double deadline;
	struct cpns_msg m;
	int i, answers = 0, ret = 0;
	SSL *ssl;

	cpns_msg_init(&m, CPNS_MSG_GK_PULL);
	m.group = group;
	cpns_msg_set(&m, CPNS_MA_GROUP);
	if (!in || cpns_msg_encode(&m, out, sizeof(out), &len)) {
		free(in);
		return 2;
	}
	ssl = session(c, false);
	if (!ssl) {
		printf("refused\n");
		free(in);
		return 1;
	}
	for (i = 0; i < count; i++)
		if (SSL_write(ssl, out, len) != (int)len) {
			ret = 1;
			break;
		}
	deadline = now() + seconds;
	while (!ret && now() < deadline) {
		struct pollfd pfd = { .fd = SSL_get_fd(ssl), .events = POLLIN };

		if (!SSL_pending(ssl) && poll(&pfd, 1, 100) <= 0)
			continue;
		if (recv_limit(ssl, in, &m, CPNS_MSG_BODY_MAX_LARGE, &len)) {
			printf("closed\n");
			break;
		}
		answers++;
		total += len;
		if (len > largest)
			largest = len;
		if (m.type == CPNS_MSG_ERROR)
			printf("error %s\n", cpns_msg_status_name(m.code));
		else
			printf("%s\n", cpns_msg_type_name(m.type));
	}
	printf("answers %d bytes %zu largest %zu\n", answers, total, largest);
	end(ssl);
	free(in);
	return ret;
}

/* 0: assigned (*slot, *set); 1: an Error (printed); -1: no answer. */
static int assign(SSL *ssl, const char *id, uint32_t *slot, uint32_t *set,
		  bool quiet)
{
	uint8_t out[CPNS_MSG_MAX], in[CPNS_MSG_MAX];
	struct cpns_msg m;
	struct cpns_gkdk g;
	size_t len;

	cpns_msg_init(&m, CPNS_MSG_GKDK_REQ);
	m.pne_id = (const uint8_t *)id;
	m.pne_id_len = strlen(id);
	cpns_msg_set(&m, CPNS_MA_PNE_ID);
	if (cpns_msg_encode(&m, out, sizeof(out), &len) ||
	    SSL_write(ssl, out, len) != (int)len)
		return -1;
	if (recv_msg(ssl, in, &m))
		return -1;
	if (m.type == CPNS_MSG_ERROR) {
		if (!quiet)
			printf("error %s %.*s\n", cpns_msg_status_name(m.code),
			       (int)m.text_len, m.text ? m.text : "");
		return 1;
	}
	if (m.type != CPNS_MSG_GKDK_RESP ||
	    cpns_gkdk_decode(&g, m.gkdk, m.gkdk_len))
		return -1;
	*slot = g.slot;
	*set = g.set_id;
	cpns_gkdk_wipe(&g);
	return 0;
}

static int cmd_assign(struct peer_conf *c)
{
	uint32_t slot, set;
	SSL *ssl = session(c, false);
	int ret;

	if (!ssl) {
		printf("refused\n");
		return 1;
	}
	ret = assign(ssl, c->id, &slot, &set, false);
	if (!ret)
		printf("slot %u set %u\n", slot, set);
	else if (ret < 0)
		printf("closed\n");
	end(ssl);
	return ret ? 1 : 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int cmd_raw(struct peer_conf *c, const char *hex)
{
	size_t n = strlen(hex) / 2, i;
	uint8_t *buf = malloc(n + 1), in[CPNS_MSG_MAX];
	struct cpns_msg m;
	SSL *ssl;
	int ret;

	for (i = 0; i < n; i++)
		buf[i] = hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]);
	ssl = session(c, false);
	if (!ssl) {
		printf("refused\n");
		free(buf);
		return 1;
	}
	SSL_write(ssl, buf, n);
	free(buf);
	ret = recv_msg(ssl, in, &m);
	if (!ret && m.type == CPNS_MSG_ERROR)
		printf("error %s %.*s\n", cpns_msg_status_name(m.code),
		       (int)m.text_len, m.text ? m.text : "");
	else if (!ret)
		printf("%s\n", cpns_msg_type_name(m.type));
	else
		printf("closed\n");
	end(ssl);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_stream(struct peer_conf *c, const char *prefix,
		      const char *dir, int first, int last, int seconds)
{
	double deadline = now() + seconds;
	int n, failed = 0;

	for (n = first; n <= last; n++) {
		char path[4096];
		uint32_t slot, set;

		snprintf(c->id, sizeof(c->id), "%s%d", prefix, n);
		snprintf(path, sizeof(path), "%s/%s", dir, c->id);
		if (load_key(path, c->key)) {
			fprintf(stderr, "%s: cannot read\n", path);
			return 2;
		}
		for (;;) {
			SSL *ssl = session(c, true);
			int ret = ssl ? assign(ssl, c->id, &slot, &set, true) :
					-1;

			if (ssl)
				end(ssl);
			if (!ret) {
				printf("ack %s %u %u\n", c->id, slot, set);
				fflush(stdout);
				break;
			}
			if (now() > deadline) {
				failed++;
				break;
			}
			usleep(20000);
		}
	}
	return failed ? 1 : 0;
}

struct bench {
	struct peer_conf c_own;
	const struct peer_conf *c;
	bool handshake_only;
	double until;
	unsigned long done, failed;
};

static void *bench_thread(void *arg)
{
	struct bench *b = arg;

	while (now() < b->until) {
		SSL *ssl = session(b->c, true);
		uint32_t slot, set;

		if (!ssl) {
			b->failed++;
			continue;
		}
		if (b->handshake_only ||
		    !assign(ssl, b->c->id, &slot, &set, true))
			b->done++;
		else
			b->failed++;
		end(ssl);
	}
	return NULL;
}

static int cmd_bench(struct peer_conf *c, int threads, int seconds,
		     bool handshake_only)
{
	pthread_t tid[256];
	struct bench b[256];
	unsigned long done = 0, failed = 0;
	double t0 = now();
	int i;

	if (threads < 1 || threads > 256)
		return 2;
	for (i = 0; i < threads; i++) {
		size_t n = strlen(c->id);

		b[i] = (struct bench){ .c_own = *c, .until = t0 + seconds,
				       .handshake_only = handshake_only };
		b[i].c = &b[i].c_own;
		if (n && c->id[n - 1] == '%')
			snprintf(b[i].c_own.id + n - 1,
				 sizeof(b[i].c_own.id) - n + 1, "%d", i);
		pthread_create(&tid[i], NULL, bench_thread, &b[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		done += b[i].done;
		failed += b[i].failed;
	}
	printf("%s %d threads: %lu in %.2f s = %.1f/s, %lu failed\n",
	       handshake_only ? "handshakes" : "assignments", threads, done,
	       now() - t0, done / (now() - t0), failed);
	return 0;
}

int main(int argc, char **argv)
{
	struct peer_conf c = { 0 };

	if (argc < 3 || parse_addr(argv[2], &c)) {
		fprintf(stderr, "usage: see the comment at the top of cpnsd_peer.c\n");
		return 2;
	}
	/* A gateway killed mid-write must fail the write, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_psk_use_session_callback(ctx, psk_use);
	if (!strcmp(argv[1], "stream") && argc == 8)
		return cmd_stream(&c, argv[3], argv[4], atoi(argv[5]),
				  atoi(argv[6]), atoi(argv[7]));
	if (argc < 5)
		return 2;
	snprintf(c.id, sizeof(c.id), "%s", argv[3]);
	if (load_key(argv[4], c.key)) {
		fprintf(stderr, "%s: cannot read a 32-byte key\n", argv[4]);
		return 2;
	}
	if (!strcmp(argv[1], "assign"))
		return cmd_assign(&c);
	if (!strcmp(argv[1], "raw") && argc == 6)
		return cmd_raw(&c, argv[5]);
	if (!strcmp(argv[1], "pull") && argc == 8)
		return cmd_pull(&c, strtoul(argv[5], NULL, 0), atoi(argv[6]),
				atoi(argv[7]));
	if (!strcmp(argv[1], "bench") && argc >= 7)
		return cmd_bench(&c, atoi(argv[5]), atoi(argv[6]),
				 argc == 8 && !strcmp(argv[7], "handshake"));
	fprintf(stderr, "usage: see the comment at the top of cpnsd_peer.c\n");
	return 2;
}
