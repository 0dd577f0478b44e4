// SPDX-License-Identifier: GPL-2.0
/*
 * The module against selftests/vectors/fastpath.vec, between the two
 * namespaces of fp_common.h.
 *
 * Open: the receiver "fpb" has the record's group (selector, plain key at
 * the record's epoch, default replay-window); the sender "fpa" has none,
 * so each payload leaves it as the plain UDP datagram it is.  An "ok"
 * payload must reach the socket as exactly the record's plaintext; a
 * refused one must not reach it (a sentinel datagram sealed afterwards by
 * the host reference is the first thing the socket gets) and must move
 * the record's counter by one and no other.
 *
 * Seal: the other way round, the module seals and the receiver has no
 * group, so its socket gets the protected payload, which the host
 * reference (userspace/lib/wire.c) must open to what was sent, with the
 * documented header.
 */
#include "fp_common.h"
#include "wire.h"

#define ADDR_B		"10.99.0.2"
#define SENTINEL	UINT64_C(0x5e5e5e5e5e5e5e5e)
#define MAXLEN		4096

/* Group @id with selector ADDR_B/32 port PORT, and key @gk at @epoch. */
static int group_keyed(struct nlc *c, uint32_t id, uint64_t epoch,
		       const uint8_t *gk)
{
	return group_sel(c, id, ADDR_B, 32, PORT) ?:
	       nlc_key_plain(c, id, epoch, gk, -1);
}

static int send_b(int fd, const void *buf, size_t len)
{
	return send_to(fd, ADDR_B, PORT, buf, len) == (ssize_t)len ? 0 : -1;
}

/* The receive-side counters a record can move. */
static const struct {
	const char *name;
	int attr;
} rx_ctr[] = {
	{ "ok", CPNS_A_STATS_RX_OPENED },
	{ "rx_malformed", CPNS_A_STATS_RX_MALFORMED },
	{ "key_missing", CPNS_A_STATS_KEY_MISSING },
	{ "rx_auth_failed", CPNS_A_STATS_RX_AUTH_FAILED },
	{ "rx_replayed", CPNS_A_STATS_RX_REPLAYED },
	{ "rx_dropped", CPNS_A_STATS_RX_DROPPED },
};

/* A UDP socket in @ns, bound to @port when non-zero. */
static int udp_in(const char *ns, int port)
{
	return enter(ns) ? -1 : udp(AF_INET, port);
}

struct rec {
	const char *name, *result;
	uint8_t *gk, *payload, *prior, *plain;
	size_t gk_len, len, prior_len, plain_len;
	uint32_t group;
	uint64_t epoch;
};

/*
 * One record through the module; returns the number of mismatches, each
 * logged.  @buf holds MAXLEN bytes.
 */
static int run_rec(struct __test_metadata *_metadata, struct nlc *b,
		   int tx, int rx, const struct rec *r, uint8_t *buf)
{
	struct cpns_wire_params sp = { .group = r->group, .epoch = r->epoch,
				       .sender = SENTINEL, .seq = 1 };
	struct cpns_wire_rx ref = { .group = r->group, .epoch = r->epoch,
				    .window = 64 };
	uint8_t sent[16 + CPNS_WIRE_OVERHEAD], want[MAXLEN];
	uint64_t moved[sizeof(rx_ctr) / sizeof(rx_ctr[0])] = { 0 };
	struct nlc_stats s0, s1;
	size_t wl, i;
	ssize_t n;
	int bad = 0, ok = !strcmp(r->result, "ok");

#define MISMATCH(fmt, ...) do { \
		TH_LOG("%s: " fmt, r->name, ##__VA_ARGS__); bad++; \
	} while (0)

	memcpy(ref.gk, r->gk, CPNS_KEY_LEN);
	if (group_keyed(b, r->group, r->epoch, r->gk)) {
		MISMATCH("group %u: %d %s", r->group, b->err,
			 b->extack);
		return bad;
	}
	if (nlc_stats(b, r->group, &s0))
		MISMATCH("STATS_GET: %d", b->err);
	if (r->prior) {
		moved[0]++;
		if (cpns_wire_open(&ref, r->prior, r->prior_len, want, &wl))
			MISMATCH("the reference refuses the prior payload");
		if (send_b(tx, r->prior, r->prior_len))
			MISMATCH("send prior: %s", strerror(errno));
		n = recv_wait(rx, buf, MAXLEN, 2000);
		if (n != (ssize_t)wl || memcmp(buf, want, wl))
			MISMATCH("prior: socket got %zd bytes, want %zu", n,
				 wl);
	}
	if (send_b(tx, r->payload, r->len))
		MISMATCH("send: %s", strerror(errno));
	if (ok) {
		moved[0]++;
		n = recv_wait(rx, buf, MAXLEN, 2000);
		if (n != (ssize_t)r->plain_len ||
		    memcmp(buf, r->plain, r->plain_len))
			MISMATCH("socket got %zd bytes, want the %zu of the "
				 "plaintext", n, r->plain_len);
	} else {
		for (i = 0; i < sizeof(rx_ctr) / sizeof(rx_ctr[0]); i++)
			if (!strcmp(rx_ctr[i].name, r->result))
				moved[i]++;
		/* Sent after it: the first the socket gets, if it is gone. */
		moved[0]++;
		if (cpns_wire_seal(r->gk, &sp, (const uint8_t *)"sentinel", 8,
				   sent) ||
		    send_b(tx, sent, 8 + CPNS_WIRE_OVERHEAD))
			MISMATCH("sentinel not sent");
		n = recv_wait(rx, buf, MAXLEN, 2000);
		if (n != 8 || memcmp(buf, "sentinel", 8))
			MISMATCH("socket got %zd bytes before the sentinel", n);
	}
	if (nlc_stats(b, r->group, &s1)) {
		MISMATCH("STATS_GET: %d", b->err);
	} else {
		for (i = 0; i < sizeof(rx_ctr) / sizeof(rx_ctr[0]); i++) {
			uint64_t d = s1.v[rx_ctr[i].attr] -
				     s0.v[rx_ctr[i].attr];

			if (d != moved[i])
				MISMATCH("%s moved by %llu, want %llu",
					 rx_ctr[i].name,
					 (unsigned long long)d,
					 (unsigned long long)moved[i]);
		}
	}
	if (nlc_group_del(b, r->group))
		MISMATCH("GROUP_DEL: %d", b->err);
	return bad;
#undef MISMATCH
}

TEST_F_TIMEOUT(fp, vectors_open, 120)
{
	int tx = udp_in("fpa", 0), rx = udp_in("fpb", PORT);
	struct cpns_vec_rec v;
	unsigned int line = 0;
	int n = 0, nok = 0, bad = 0;
	uint8_t *buf = malloc(MAXLEN);
	FILE *f = nlc_vec_open("fastpath.vec");

	ASSERT_LE(0, tx);
	ASSERT_LE(0, rx);
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, buf);
	while (cpns_vec_next(f, &line, &v) == 1) {
		struct rec r = { 0 };
		const char *g = cpns_vec_get(&v, "group");
		const char *e = cpns_vec_get(&v, "epoch");

		r.name = cpns_vec_get(&v, "case");
		r.result = cpns_vec_get(&v, "result");
		r.gk = nlc_vec_bytes(&v, "gk", &r.gk_len);
		r.payload = nlc_vec_bytes(&v, "payload", &r.len);
		r.prior = nlc_vec_bytes(&v, "prior", &r.prior_len);
		r.plain = nlc_vec_bytes(&v, "plaintext", &r.plain_len);
		ASSERT_NE(NULL, r.name);
		ASSERT_NE(NULL, r.result);
		ASSERT_NE(NULL, g);
		ASSERT_NE(NULL, e);
		ASSERT_NE(NULL, r.gk);
		ASSERT_EQ(CPNS_KEY_LEN, r.gk_len);
		/* An empty payload decodes to a 1-byte buffer of length 0. */
		ASSERT_NE(NULL, r.payload);
		ASSERT_GT(MAXLEN, r.len);
		r.group = strtoul(g, NULL, 10);
		r.epoch = strtoull(e, NULL, 10);
		if (!strcmp(r.result, "ok") && !r.plain) {
			TH_LOG("%s: ok without plaintext", r.name);
			bad++;
		} else {
			bad += run_rec(_metadata, &self->b, tx, rx, &r, buf);
			nok += !strcmp(r.result, "ok");
		}
		n++;
		free(r.gk);
		free(r.payload);
		free(r.prior);
		free(r.plain);
		cpns_vec_rec_free(&v);
	}
	fclose(f);
	free(buf);
	close(tx);
	close(rx);
	nlc_note("fastpath.vec: %d records (%d open), %d mismatches", n, nok,
		 bad);
	EXPECT_GT(n, 25);
	EXPECT_EQ(0, bad);
}

/* The module seals; the receiver has no group and gets the payload. */
TEST_F(fp, vectors_seal)
{
	static const size_t lens[] = { 0, 1, 33, 1428, 3000 };
	int tx = udp_in("fpa", 0), rx = udp_in("fpb", PORT);
	struct cpns_wire_rx ref = { .group = 1, .epoch = 1, .window = 64 };
	uint8_t *pt = malloc(MAXLEN), *w = malloc(MAXLEN), *out = malloc(MAXLEN);
	struct cpns_vec_rec v;
	struct nlc_stats s;
	uint64_t sender = 0;
	size_t i, ol, gl;
	uint8_t *gk;
	ssize_t n;

	ASSERT_LE(0, tx);
	ASSERT_LE(0, rx);
	ASSERT_NE(NULL, pt);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, out);
	/* The first record's key: group 1, epoch 1. */
	ASSERT_EQ(0, nlc_vec_find("fastpath.vec", "ok/empty", &v));
	gk = nlc_vec_bytes(&v, "gk", &gl);
	ASSERT_NE(NULL, gk);
	ASSERT_EQ(CPNS_KEY_LEN, gl);
	memcpy(ref.gk, gk, gl);
	ASSERT_EQ(0, group_keyed(&self->a, 1, 1, gk));

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(pt, 0xa0 + i, lens[i]);
		ASSERT_EQ(0, send_b(tx, pt, lens[i]));
		n = recv_wait(rx, w, MAXLEN, 2000);
		ASSERT_EQ((ssize_t)(lens[i] + CPNS_WIRE_OVERHEAD), n);
		/* The documented header: version, flags, reserved, ids. */
		EXPECT_EQ(CPNS_WIRE_VERSION, w[0]);
		EXPECT_EQ(0, w[1]);
		EXPECT_EQ(0, nlc_be(w + 2, 2));
		EXPECT_EQ(1, nlc_be(w + 4, 4));
		EXPECT_EQ(1, nlc_be(w + 8, 8));
		EXPECT_EQ(i + 1, nlc_be(w + 24, 4));
		if (!i)
			sender = nlc_be(w + 16, 8);
		EXPECT_EQ(sender, nlc_be(w + 16, 8));
		/* And the host reference opens it to what was sent. */
		ASSERT_EQ(CPNS_WIRE_OK, cpns_wire_open(&ref, w, n, out, &ol));
		ASSERT_EQ(lens[i], ol);
		EXPECT_EQ(0, memcmp(out, pt, ol));
	}
	ASSERT_EQ(0, nlc_stats(&self->a, 1, &s));
	EXPECT_EQ(i, s.v[CPNS_A_STATS_TX_SEALED]);
	nlc_note("seal: %zu datagrams opened by the host reference", i);
	close(tx);
	close(rx);
	free(gk);
	cpns_vec_rec_free(&v);
	free(pt);
	free(w);
	free(out);
}

TEST_HARNESS_MAIN
