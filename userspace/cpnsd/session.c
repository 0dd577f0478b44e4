// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.3 sessions on libevent's OpenSSL bufferevents: the handshake,
 * message framing and the limits a hostile peer meets (session.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "session.h"

enum sess_state { S_HANDSHAKE, S_UP, S_CLOSING };

static const char *const state_names[] = {
	[S_HANDSHAKE] = "handshake",
	[S_UP] = "up",
	[S_CLOSING] = "closing",
};

struct session {
	struct cpnsd *d;
	struct bufferevent *bev;
	enum sess_state state;
	enum tls_kind kind;
	bool accepted;
	char peer[INET6_ADDRSTRLEN + 8];
	char peer_id[65];
	time_t since;
	struct event *timer;		/* handshake, then idle deadline */
	struct event *keepalive;
	const struct session_ops *ops;
	void *owner;
	void *data;
	bool unknown_id;		/* PSK identity not registered */
	int busy;			/* inside one of our callbacks */
	bool dead;			/* closed while busy: free on the way out */
	struct session *prev, *next;
};

/* One daemon per process: its sessions. */
static struct session *sessions;
static unsigned int nsessions;
/* Sessions not past their handshake: at most a quarter of max-sessions. */
static unsigned int nhandshakes;
static int ssl_idx = -1;

/* Per-address token buckets for new sessions: refuse floods early. */
#define RATE_SLOTS	1024
struct rate_slot {
	struct in6_addr addr;
	double tokens;
	struct timespec last;
	bool used;
};
static struct rate_slot rate_table[RATE_SLOTS];

struct listener {
	struct cpnsd *d;
	struct evconnlistener *lev;
	struct event *resume;		/* accept again after EMFILE */
	SSL_CTX *ctx;
	const struct session_ops *ops;
	void *owner;
};

struct tls_ctx_data {
	struct cpnsd *d;
	struct tls_conf conf;
};
static int ctx_idx = -1;

static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "?");
	}
}

static bool id_ok(const unsigned char *id, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-";
	size_t i;

	if (!len || len > 64)
		return false;
	for (i = 0; i < len; i++)
		if (!id[i] || !strchr(ok, id[i]))
			return false;
	return true;
}

/* The PSK as OpenSSL wants it: a TLS 1.3 session with a SHA-256 suite. */
static SSL_SESSION *psk_session(SSL *ssl, const uint8_t key[EU_KEY_LEN])
{
	static const unsigned char aes128gcm[] = { 0x13, 0x01 };
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcm);
	SSL_SESSION *sess;

	if (!cipher)
		return NULL;
	sess = SSL_SESSION_new();
	if (!sess)
		return NULL;
	if (!SSL_SESSION_set1_master_key(sess, key, EU_KEY_LEN) ||
	    !SSL_SESSION_set_cipher(sess, cipher) ||
	    !SSL_SESSION_set_protocol_version(sess, TLS1_3_VERSION)) {
		SSL_SESSION_free(sess);
		return NULL;
	}
	return sess;
}

/* Accepting side: the identity names the PNE, the store its EU-Key. */
static int psk_find(SSL *ssl, const unsigned char *identity,
		    size_t identity_len, SSL_SESSION **sess)
{
	struct session *s = SSL_get_ex_data(ssl, ssl_idx);
	struct tls_ctx_data *cd = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
						      ctx_idx);
	uint8_t key[EU_KEY_LEN];
	int ret;

	*sess = NULL;
	if (!id_ok(identity, identity_len)) {
		log_warn("peer %s: PSK identity is not a PNE id; refused",
			 s->peer);
		return 0;
	}
	memcpy(s->peer_id, identity, identity_len);
	s->peer_id[identity_len] = 0;
	ret = cd->conf.lookup(s->d, s->peer_id, key);
	if (ret == -ENOENT) {
		/*
		 * Fail at the binder with a random key, exactly as a wrong
		 * EU-Key does: the alert must not tell which ids exist.
		 */
		log_warn("peer %s (PNE %s): unknown PNE id; refused", s->peer,
			 s->peer_id);
		s->d->stats[CPNS_CTL_S_UNKNOWN_PNE]++;
		s->unknown_id = true;
		if (RAND_bytes(key, sizeof(key)) != 1)
			return 0;
	} else if (ret) {
		log_warn("peer %s (PNE %s): its EU-Key cannot be read; refused",
			 s->peer, s->peer_id);
		return 0;
	}
	*sess = psk_session(ssl, key);
	OPENSSL_cleanse(key, sizeof(key));
	return *sess ? 1 : 0;
}

/* Connecting side (a PNE): its id and EU-Key. */
static int psk_use(SSL *ssl, const EVP_MD *md, const unsigned char **id,
		   size_t *id_len, SSL_SESSION **sess)
{
	struct tls_ctx_data *cd = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl),
						      ctx_idx);
	uint8_t key[EU_KEY_LEN];
	char err[256];

	*sess = NULL;
	/* After a HelloRetryRequest: our PSK only fits SHA-256 suites. */
	if (md && !EVP_MD_is_a(md, "SHA256"))
		return 1;
	if (eukey_load(cd->conf.psk_file, key, err, sizeof(err))) {
		log_err("%s", err);
		return 0;
	}
	*sess = psk_session(ssl, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (!*sess)
		return 0;
	*id = (const unsigned char *)cd->conf.psk_id;
	*id_len = strlen(cd->conf.psk_id);
	return 1;
}

static void ctx_data_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
			  int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

/*
 * SSLKEYLOGFILE, a debug option: the NSS key log of every session (what
 * Wireshark's tls.keylog_file reads), appended to that file.  Whoever
 * reads it reads every session, Group Keys in gk-notify included.
 */
static int keylog_fd = -1;

static void keylog_line(const SSL *ssl, const char *line)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	ssize_t w = -1;

	(void)ssl;
	/* One write per line: daemons may share the file (O_APPEND). */
	if (n > 0 && (size_t)n < sizeof(buf))
		w = write(keylog_fd, buf, n);
	(void)w;	/* a line lost loses a debug aid, nothing else */
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void keylog_open(void)
{
	static bool tried;
	const char *path = getenv("SSLKEYLOGFILE");

	if (tried || !path || !*path)
		return;
	tried = true;
	keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (keylog_fd < 0)
		log_err("SSLKEYLOGFILE %s: %s; no key log", path, strerror(errno));
	else
		log_warn("SSLKEYLOGFILE: TLS session keys are written to %s (debug only: the file decrypts every session)",
			 path);
}

static void ssl_err(char *err, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();

	snprintf(err, len, "%s: %s", what,
		 e ? ERR_reason_error_string(e) : "failed");
	ERR_clear_error();
}

SSL_CTX *tls_ctx_new(struct cpnsd *d, const struct tls_conf *conf,
		     bool server, char *err, size_t len)
{
	struct tls_ctx_data *cd;
	SSL_CTX *ctx;

	if (ctx_idx < 0) {
		ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
						   ctx_data_free);
		ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	}
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	cd = calloc(1, sizeof(*cd));
	if (!ctx || !cd || !SSL_CTX_set_ex_data(ctx, ctx_idx, cd)) {
		free(cd);
		SSL_CTX_free(ctx);
		snprintf(err, len, "TLS context: out of memory");
		return NULL;
	}
	cd->d = d;
	cd->conf = *conf;
	keylog_open();
	if (keylog_fd >= 0)
		SSL_CTX_set_keylog_callback(ctx, keylog_line);
	/* TLS 1.3 only; with a PSK only psk_dhe_ke (no SSL_OP_ALLOW_NO_DHE_KEX). */
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* GKDKs pass through OpenSSL's record buffers: wipe them. */
	SSL_CTX_set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT);
	/* Sessions are long-lived: resumption tickets would only cost. */
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (conf->kind == TLS_PSK) {
		/*
		 * An external PSK is bound to one hash (ours: SHA-256); a
		 * server that picked a SHA-384 suite would skip the PSK
		 * and look for a certificate it does not have.
		 */
		if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
					     "TLS_CHACHA20_POLY1305_SHA256") != 1) {
			ssl_err(err, len, "TLS 1.3 SHA-256 suites");
			goto err;
		}
		if (server)
			SSL_CTX_set_psk_find_session_callback(ctx, psk_find);
		else
			SSL_CTX_set_psk_use_session_callback(ctx, psk_use);
		return ctx;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->cert) != 1) {
		ssl_err(err, len, conf->cert);
		goto err;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_err(err, len, conf->key);
		goto err;
	}
	if (SSL_CTX_load_verify_file(ctx, conf->ca) != 1) {
		ssl_err(err, len, conf->ca);
		goto err;
	}
	/*
	 * Any certificate of the CA is a gateway; the server, though, is
	 * one name: a gateway's certificate must not pass for it.
	 */
	if (!server && conf->peer_name && conf->peer_name[0] &&
	    X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx),
					conf->peer_name, 0) != 1) {
		ssl_err(err, len, conf->peer_name);
		goto err;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return ctx;
err:
	SSL_CTX_free(ctx);
	return NULL;
}

void tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

static void arm_timer(struct session *s, unsigned int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	evtimer_add(s->timer, &tv);
}

static void session_release(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	event_free(s->timer);
	event_free(s->keepalive);
	/* close_notify, so that the peer sees a close, not a truncation */
	if (ssl && s->state != S_HANDSHAKE)
		SSL_shutdown(ssl);
	bufferevent_free(s->bev);
	free(s);
}

/*
 * Unlink @s and tell its owner; the memory goes now, or, when one of our
 * callbacks is still running on it, when that callback returns (so no
 * callback ever looks at freed memory, whatever the owner did).
 */
static void session_free(struct session *s, const char *why)
{
	if (s->dead)
		return;
	if (s->ops->down)
		s->ops->down(s, why);
	if (s->prev)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	nsessions--;
	if (s->state == S_HANDSHAKE)
		nhandshakes--;
	s->dead = true;
	if (!s->busy)
		session_release(s);
	else
		bufferevent_disable(s->bev, EV_READ | EV_WRITE);
}

/* Callbacks bracket their work with these two; false: @s is gone. */
static void session_hold(struct session *s)
{
	s->busy++;
}

static bool session_unhold(struct session *s)
{
	if (--s->busy || !s->dead)
		return !s->dead;
	session_release(s);
	return false;
}

void session_close(struct session *s, const char *why)
{
	log_info("peer %s%s%s%s: session closed: %s", s->peer,
		 s->peer_id[0] ? " (" : "", s->peer_id,
		 s->peer_id[0] ? ")" : "", why);
	session_free(s, why);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->state == S_HANDSHAKE) {
		s->d->stats[CPNS_CTL_S_HANDSHAKE_TIMEOUT]++;
		session_close(s, "handshake timeout");
	} else if (s->state == S_UP) {
		s->d->stats[CPNS_CTL_S_IDLE_TIMEOUT]++;
		session_close(s, "idle timeout");
	} else {
		session_close(s, "peer did not take our last message");
	}
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct cpns_msg m;

	(void)fd;
	(void)what;
	cpns_msg_init(&m, CPNS_MSG_KEEPALIVE);
	session_send(s, &m);
}

static void wipe_free(const void *data, size_t len, void *arg)
{
	(void)arg;
	OPENSSL_cleanse((void *)data, len);
	free((void *)data);
}

/*
 * A gateway's PNE listener takes small messages only: its peers are many
 * and the least trusted.  A PNE's gateway and the server-gateway pair must
 * send member lists and broadcast notifications, which grow with the
 * group (protocol.rst, "Limits").
 */
static size_t body_max(const struct session *s)
{
	return s->kind == TLS_PSK && s->accepted ? CPNS_MSG_BODY_MAX :
						   CPNS_MSG_BODY_MAX_LARGE;
}

int session_send(struct session *s, const struct cpns_msg *m)
{
	size_t size = CPNS_MSG_HDR_LEN + CPNS_MSG_BODY_MAX_LARGE, len;
	uint8_t *buf;
	int ret;

	if (s->state != S_UP)
		return -ENOTCONN;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	ret = cpns_msg_encode(m, buf, size, &len);
	if (ret) {
		log_err("peer %s: cannot encode %s: %s", s->peer,
			cpns_msg_type_name(m->type), cpns_merr_name(ret));
		free(buf);
		return -EINVAL;
	}
	/* The buffer becomes the output's: wiped when it is sent. */
	if (evbuffer_add_reference(bufferevent_get_output(s->bev), buf, len,
				   wipe_free, NULL)) {
		wipe_free(buf, len, NULL);
		return -ENOMEM;
	}
	return 0;
}

static void on_drained(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->state == S_CLOSING)
		session_free(s, "closed after an error");
	else if (s->state == S_UP)
		bufferevent_enable(s->bev, EV_READ);	/* after backpressure */
}

void session_fail(struct session *s, enum cpns_msg_status code,
		  const char *text)
{
	struct cpns_msg m;

	if (s->state == S_UP) {
		cpns_msg_init(&m, CPNS_MSG_ERROR);
		m.code = code;
		cpns_msg_set(&m, CPNS_MA_CODE);
		m.text = text;
		m.text_len = strnlen(text, 256);
		cpns_msg_set(&m, CPNS_MA_TEXT);
		session_send(s, &m);
	}
	log_warn("peer %s%s%s%s: %s; closing", s->peer,
		 s->peer_id[0] ? " (" : "", s->peer_id,
		 s->peer_id[0] ? ")" : "", text);
	s->state = S_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	event_del(s->keepalive);
	/* A peer that never reads must not hold us: a short deadline. */
	arm_timer(s, 5);
	if (!evbuffer_get_length(bufferevent_get_output(s->bev)))
		session_free(s, text);
}

/* One message, whole and decoded; false when reading must stop. */
static bool read_one(struct session *s, struct evbuffer *in)
{
	size_t have = evbuffer_get_length(in), len;
	struct cpns_msg m;
	unsigned int attr;
	char why[160];
	uint8_t *p;
	int ret;

	if (have < CPNS_MSG_HDR_LEN)
		return false;
	p = evbuffer_pullup(in, CPNS_MSG_HDR_LEN);
	ret = cpns_msg_frame(p, CPNS_MSG_HDR_LEN, body_max(s), &len);
	if (ret) {
		s->d->stats[ret == CPNS_ME_TOO_BIG ? CPNS_CTL_S_TOO_BIG :
			    CPNS_CTL_S_MALFORMED]++;
		snprintf(why, sizeof(why), "bad message header: %s",
			 cpns_merr_str(ret));
		session_fail(s, CPNS_ST_MALFORMED, why);
		return false;
	}
	if (have < len)
		return false;
	p = evbuffer_pullup(in, len);
	ret = cpns_msg_decode(&m, p, len, body_max(s), &attr);
	if (ret) {
		s->d->stats[CPNS_CTL_S_MALFORMED]++;
		snprintf(why, sizeof(why), "malformed %s: %s%s%s",
			 cpns_msg_type_name(p[1]), cpns_merr_str(ret),
			 attr ? " in " : "", attr ? cpns_msg_attr_name(attr) : "");
		session_fail(s, CPNS_ST_MALFORMED, why);
		return false;
	}
	/* A whole message: the peer is alive. */
	arm_timer(s, s->d->cfg->idle_timeout);
	if (m.type != CPNS_MSG_KEEPALIVE)
		s->ops->msg(s, &m);
	/* The message may hold a GKDK; @s is held, so @in is still ours. */
	OPENSSL_cleanse(p, len);
	evbuffer_drain(in, len);
	return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	session_hold(s);
	while (s->state == S_UP && !s->dead && read_one(s, in)) {
		/*
		 * A peer that sends and never reads must not make us queue
		 * answers without end: stop reading until it has taken them
		 * (on_drained starts again).
		 */
		if (evbuffer_get_length(bufferevent_get_output(bev)) >
		    2 * (CPNS_MSG_HDR_LEN + body_max(s))) {
			bufferevent_disable(bev, EV_READ);
			break;
		}
	}
	session_unhold(s);
}

static const char *tls_error(struct session *s, short what)
{
	static char buf[256];
	unsigned long e;

	e = bufferevent_get_openssl_error(s->bev);
	while (bufferevent_get_openssl_error(s->bev))
		;
	/* System errors reach us as OpenSSL codes without a reason text. */
	if (e && ERR_reason_error_string(e)) {
		snprintf(buf, sizeof(buf), "TLS: %s",
			 ERR_reason_error_string(e));
		return buf;
	}
	if (what & BEV_EVENT_EOF)
		return "peer closed the connection";
	snprintf(buf, sizeof(buf), "%s",
		 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	return buf;
}

static void peer_cn(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	X509 *cert = SSL_get0_peer_certificate(ssl);

	if (cert)
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
					  NID_commonName, s->peer_id,
					  sizeof(s->peer_id));
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (what & BEV_EVENT_CONNECTED) {
		if (s->kind == TLS_PSK && !SSL_session_reused(ssl)) {
			s->d->stats[CPNS_CTL_S_HANDSHAKE_FAILED]++;
			session_close(s, "handshake completed without the PSK");
			return;
		}
		if (s->kind == TLS_X509)
			peer_cn(s);
		s->state = S_UP;
		nhandshakes--;
		s->since = time(NULL);
		arm_timer(s, s->d->cfg->idle_timeout);
		{
			struct timeval tv = { .tv_sec = s->d->cfg->keepalive };

			event_add(s->keepalive, &tv);
		}
		log_info("peer %s%s%s%s: TLS 1.3 session up (%s)", s->peer,
			 s->peer_id[0] ? " (" : "", s->peer_id,
			 s->peer_id[0] ? ")" : "", SSL_get_cipher_name(ssl));
		session_hold(s);
		s->ops->up(s);
		session_unhold(s);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		const char *why = tls_error(s, what);

		if (s->state == S_HANDSHAKE) {
			char buf[360];

			s->d->stats[CPNS_CTL_S_HANDSHAKE_FAILED]++;
			snprintf(buf, sizeof(buf), "TLS handshake failed: %s%s",
				 why, s->kind == TLS_PSK && !s->unknown_id &&
				 strstr(why, "binder") ?
				 " (its EU-Key is not the one registered)" : "");
			session_close(s, buf);
		} else {
			session_close(s, why);
		}
	}
}

static struct session *session_new(struct cpnsd *d, struct bufferevent *bev,
				   enum tls_kind kind,
				   const struct session_ops *ops, void *owner)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->d = d;
	s->bev = bev;
	s->kind = kind;
	s->ops = ops;
	s->owner = owner;
	s->since = time(NULL);
	s->timer = evtimer_new(d->base, on_timer, s);
	s->keepalive = event_new(d->base, -1, EV_PERSIST, on_keepalive, s);
	if (!s->timer || !s->keepalive) {
		if (s->timer)
			event_free(s->timer);
		if (s->keepalive)
			event_free(s->keepalive);
		free(s);
		return NULL;
	}
	SSL_set_ex_data(bufferevent_openssl_get_ssl(bev), ssl_idx, s);
	bufferevent_setcb(bev, on_read, on_drained, on_event, s);
	/* Never buffer more than two messages of a peer that floods. */
	bufferevent_setwatermark(bev, EV_READ, 0,
				 2 * (CPNS_MSG_HDR_LEN + CPNS_MSG_BODY_MAX_LARGE));
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	arm_timer(s, d->cfg->handshake_timeout);
	s->next = sessions;
	if (sessions)
		sessions->prev = s;
	sessions = s;
	nsessions++;
	nhandshakes++;
	d->stats[CPNS_CTL_S_SESSIONS]++;
	return s;
}

/* Token bucket of the peer's address; false when it is over its rate. */
static bool rate_ok(struct cpnsd *d, const struct sockaddr *sa)
{
	struct in6_addr a = { 0 };
	struct rate_slot *slot = NULL, *oldest = NULL;
	struct timespec now;
	unsigned int h = 2166136261u, i;
	double dt;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		a.s6_addr[10] = a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], &in->sin_addr, 4);
	} else {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		/* One IPv6 host has a /64 to pick addresses from. */
		if (!IN6_IS_ADDR_V4MAPPED(&a))
			memset(&a.s6_addr[8], 0, 8);
	}
	for (i = 0; i < 16; i++)
		h = (h ^ a.s6_addr[i]) * 16777619u;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Eight places to look; the least recently used one is taken. */
	for (i = 0; i < 8; i++) {
		struct rate_slot *r = &rate_table[(h + i) % RATE_SLOTS];

		if (r->used && !memcmp(&r->addr, &a, sizeof(a))) {
			slot = r;
			break;
		}
		if (!oldest || !r->used ||
		    (oldest->used && (r->last.tv_sec < oldest->last.tv_sec)))
			oldest = r;
	}
	if (!slot) {
		slot = oldest;
		slot->used = true;
		slot->addr = a;
		slot->tokens = d->cfg->burst;
		slot->last = now;
	}
	dt = (now.tv_sec - slot->last.tv_sec) +
	     (now.tv_nsec - slot->last.tv_nsec) / 1e9;
	slot->last = now;
	slot->tokens += dt * d->cfg->rate;
	if (slot->tokens > d->cfg->burst)
		slot->tokens = d->cfg->burst;
	if (slot->tokens < 1)
		return false;
	slot->tokens -= 1;
	return true;
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct cpnsd *d = l->d;
	struct bufferevent *bev;
	struct session *s;
	char peer[INET6_ADDRSTRLEN + 8];
	SSL *ssl;

	(void)lev;
	(void)salen;
	format_addr(sa, peer, sizeof(peer));
	if (nsessions >= d->cfg->max_sessions) {
		d->stats[CPNS_CTL_S_SESSION_LIMIT]++;
		log_warn("peer %s: refused: %u sessions (max-sessions)", peer,
			 nsessions);
		evutil_closesocket(fd);
		return;
	}
	/*
	 * Handshakes cost us and prove nothing yet: they may hold only a
	 * quarter of the sessions, so that a flood of them cannot keep
	 * authenticated PNEs out.
	 */
	if (nhandshakes >= (d->cfg->max_sessions + 3) / 4) {
		d->stats[CPNS_CTL_S_SESSION_LIMIT]++;
		log_warn("peer %s: refused: %u handshakes in progress (a quarter of max-sessions)",
			 peer, nhandshakes);
		evutil_closesocket(fd);
		return;
	}
	if (!rate_ok(d, sa)) {
		d->stats[CPNS_CTL_S_RATE_LIMIT]++;
		log_warn("peer %s: refused: more than %u new sessions a second from this address",
			 peer, d->cfg->rate);
		evutil_closesocket(fd);
		return;
	}
	ssl = SSL_new(l->ctx);
	bev = ssl ? bufferevent_openssl_socket_new(d->base, fd, ssl,
						   BUFFEREVENT_SSL_ACCEPTING,
						   BEV_OPT_CLOSE_ON_FREE) :
		    NULL;
	if (!bev) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		log_err("peer %s: out of memory for a session", peer);
		return;
	}
	s = session_new(d, bev, ((struct tls_ctx_data *)
				 SSL_CTX_get_ex_data(l->ctx, ctx_idx))->conf.kind,
			l->ops, l->owner);
	if (!s) {
		bufferevent_free(bev);
		log_err("peer %s: out of memory for a session", peer);
		return;
	}
	s->accepted = true;
	bufferevent_setwatermark(bev, EV_READ, 0,
				 2 * (CPNS_MSG_HDR_LEN + body_max(s)));
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	log_debug("peer %s: connected; TLS handshake", peer);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(l->lev);
}

/*
 * accept() failed (out of descriptors, most likely): libevent would try
 * again at once, for ever.  Pause accepting for a second instead.
 */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct listener *l = arg;
	struct timeval tv = { .tv_sec = 1 };
	int err = EVUTIL_SOCKET_ERROR();

	log_warn("accept: %s; not accepting for a second",
		 evutil_socket_error_to_string(err));
	evconnlistener_disable(lev);
	evtimer_add(l->resume, &tv);
}

int listener_open(struct cpnsd *d, const struct sockaddr *addr,
		  socklen_t addr_len, SSL_CTX *ctx,
		  const struct session_ops *ops, void *owner,
		  struct listener **out, char *err, size_t len)
{
	struct listener *l = calloc(1, sizeof(*l));
	char where[INET6_ADDRSTRLEN + 8];

	if (!l) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	l->d = d;
	l->ctx = ctx;
	l->ops = ops;
	l->owner = owner;
	l->lev = evconnlistener_new_bind(d->base, on_accept, l,
					 LEV_OPT_CLOSE_ON_FREE |
					 LEV_OPT_CLOSE_ON_EXEC |
					 LEV_OPT_REUSEABLE, 128, addr,
					 addr_len);
	if (!l->lev) {
		int e = errno;

		format_addr(addr, where, sizeof(where));
		snprintf(err, len, "cannot listen on %s: %s", where,
			 strerror(e));
		free(l);
		return -e;
	}
	l->resume = evtimer_new(d->base, on_resume, l);
	if (!l->resume) {
		evconnlistener_free(l->lev);
		free(l);
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(l->lev, on_accept_error);
	*out = l;
	return 0;
}

void listener_close(struct listener *l)
{
	if (!l)
		return;
	evconnlistener_free(l->lev);
	event_free(l->resume);
	free(l);
}

struct session *session_connect(struct cpnsd *d, const struct sockaddr *addr,
				socklen_t addr_len, SSL_CTX *ctx,
				const char *peer_name,
				const struct session_ops *ops, void *owner)
{
	struct tls_ctx_data *cd = SSL_CTX_get_ex_data(ctx, ctx_idx);
	struct bufferevent *bev;
	struct session *s;
	SSL *ssl;

	ssl = SSL_new(ctx);
	bev = ssl ? bufferevent_openssl_socket_new(d->base, -1, ssl,
						   BUFFEREVENT_SSL_CONNECTING,
						   BEV_OPT_CLOSE_ON_FREE) :
		    NULL;
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	s = session_new(d, bev, cd->conf.kind, ops, owner);
	if (!s) {
		bufferevent_free(bev);
		return NULL;
	}
	format_addr(addr, s->peer, sizeof(s->peer));
	if (peer_name)
		snprintf(s->peer_id, sizeof(s->peer_id), "%s", peer_name);
	if (bufferevent_socket_connect(bev, addr, addr_len)) {
		/* ops->down must not run for a session its owner never got. */
		s->ops = &(const struct session_ops){ 0 };
		session_free(s, "connect failed");
		return NULL;
	}
	return s;
}

const char *session_peer(const struct session *s)
{
	return s->peer;
}

const char *session_peer_id(const struct session *s)
{
	return s->peer_id;
}

void *session_owner(const struct session *s)
{
	return s->owner;
}

void session_set_data(struct session *s, void *data)
{
	s->data = data;
}

void *session_data(const struct session *s)
{
	return s->data;
}

bool session_is_up(const struct session *s)
{
	return s->state == S_UP;
}

struct session *session_find_peer(struct cpnsd *d, void *owner,
				  const char *id)
{
	struct session *s;

	(void)d;
	for (s = sessions; s; s = s->next)
		if (s->owner == owner && s->state == S_UP && !s->dead &&
		    !strcmp(s->peer_id, id))
			return s;
	return NULL;
}

int session_close_peer(struct cpnsd *d, void *owner, const char *id,
		       const char *why)
{
	return session_close_peer_except(d, owner, id, NULL, why);
}

int session_close_peer_except(struct cpnsd *d, void *owner, const char *id,
			      const struct session *except, const char *why)
{
	struct session *s, *next;
	int n = 0;

	(void)d;
	for (s = sessions; s; s = next) {
		next = s->next;
		if (s->owner == owner && s != except &&
		    !strcmp(s->peer_id, id)) {
			session_close(s, why);
			n++;
		}
	}
	return n;
}

void session_broadcast(struct cpnsd *d, void *owner,
		       const struct cpns_msg *m, const struct session *except)
{
	struct session *s;

	(void)d;
	for (s = sessions; s; s = s->next)
		if (s->owner == owner && s->state == S_UP && s != except)
			session_send(s, m);
}

void session_shutdown(struct cpnsd *d)
{
	(void)d;
	while (sessions)
		session_free(sessions, "daemon stopping");
}

int session_foreach(struct cpnsd *d,
		    int (*fn)(const struct session_info *si, void *arg),
		    void *arg)
{
	struct session *s;
	int ret;

	(void)d;
	for (s = sessions; s; s = s->next) {
		struct session_info si = {
			.peer = s->peer,
			.peer_id = s->peer_id,
			.state = state_names[s->state],
			.since = s->since,
		};

		ret = fn(&si, arg);
		if (ret)
			return ret;
	}
	return 0;
}
