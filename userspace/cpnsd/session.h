/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS 1.3 sessions carrying CPNS messages (Documentation/protocol.rst).
 *
 * Two kinds: PNE <-> gateway authenticated by the PNE's EU-Key as an
 * external PSK (identity: the PNE id; psk_dhe_ke only, so a leaked
 * EU-Key does not open recorded sessions), and gateway <-> server by
 * X.509 certificates on both sides.  No other TLS version, no plaintext.
 *
 * A session is owned by the role code through struct session_ops; the
 * session layer enforces the limits (handshake and idle timeouts,
 * message size, sessions, new sessions per address) and keeps the
 * session alive with keepalives.
 */
#ifndef CPNSD_SESSION_H
#define CPNSD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cpnsd.h"
#include "msg.h"

struct session;
struct listener;
struct ssl_ctx_st;

struct session_ops {
	/* The handshake is done; the peer is who it said. */
	void (*up)(struct session *s);
	/* One decoded message (never a keepalive). */
	void (*msg)(struct session *s, const struct cpns_msg *m);
	/* The session is about to be freed; @why for the owner's log. */
	void (*down)(struct session *s, const char *why);
};

/*
 * PSK lookup on an accepting gateway: the EU-Key of PNE @id, or -ENOENT
 * (unknown: the handshake fails) or another -errno.
 */
typedef int (*psk_lookup_fn)(struct cpnsd *d, const char *id,
			     uint8_t key[EU_KEY_LEN]);

enum tls_kind { TLS_PSK, TLS_X509 };

struct tls_conf {
	enum tls_kind kind;
	/* PSK, connecting side */
	const char *psk_id;
	const char *psk_file;
	/* PSK, accepting side */
	psk_lookup_fn lookup;
	/* X.509 */
	const char *cert, *key, *ca;
	const char *peer_name;	/* connecting: the name the peer must have */
};

/* A TLS context for @conf; NULL with @err set. */
struct ssl_ctx_st *tls_ctx_new(struct cpnsd *d, const struct tls_conf *conf,
			       bool server, char *err, size_t len);
void tls_ctx_free(struct ssl_ctx_st *ctx);

/* Accept sessions on @addr; each new one gets @ops and @owner. */
int listener_open(struct cpnsd *d, const struct sockaddr *addr,
		  socklen_t addr_len, struct ssl_ctx_st *ctx,
		  const struct session_ops *ops, void *owner,
		  struct listener **out, char *err, size_t len);
void listener_close(struct listener *l);

/* Connect to @addr; @ops->up runs when the handshake is done. */
struct session *session_connect(struct cpnsd *d, const struct sockaddr *addr,
				socklen_t addr_len, struct ssl_ctx_st *ctx,
				const char *peer_name,
				const struct session_ops *ops, void *owner);

/* Encode and queue @m; -errno (the session is then closing). */
int session_send(struct session *s, const struct cpns_msg *m);
/* Send an Error and close once it is written. */
void session_fail(struct session *s, enum cpns_msg_status code,
		  const char *text);
/* Close now; ops->down runs with @why. */
void session_close(struct session *s, const char *why);

const char *session_peer(const struct session *s);	/* addr:port */
const char *session_peer_id(const struct session *s);	/* PNE id or CN */
void *session_owner(const struct session *s);
void session_set_data(struct session *s, void *data);
void *session_data(const struct session *s);
bool session_is_up(const struct session *s);

/* Close every session of @owner whose peer id is @id; returns how many. */
int session_close_peer(struct cpnsd *d, void *owner, const char *id,
		       const char *why);
int session_close_peer_except(struct cpnsd *d, void *owner, const char *id,
			      const struct session *except, const char *why);
/* The session of @owner whose peer id is @id and that is up, or NULL. */
struct session *session_find_peer(struct cpnsd *d, void *owner,
				  const char *id);
/* Send @m on every session of @owner that is up, but @except. */
void session_broadcast(struct cpnsd *d, void *owner,
		       const struct cpns_msg *m, const struct session *except);
/* Free every session and listener (at exit). */
void session_shutdown(struct cpnsd *d);

#endif /* CPNSD_SESSION_H */
