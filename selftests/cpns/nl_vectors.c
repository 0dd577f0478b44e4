// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel agrees with the userspace reference on every test vector of
 * selftests/vectors/: each record goes through netlink (GKDK_SET, then
 * KEY_INSTALL with the wrapped Group Key) and must give the recorded
 * fingerprint, or the recorded refusal with the reference's errno and
 * message (userspace/lib/keyerr.c, mirrored by kmod/kerr.c).
 *
 * Deliberate differences, asserted as the kernel's own answers:
 *  - gkdk_gateway: the kernel looks the GKDK up by the blob's gateway, so
 *    it answers ENOKEY "cpns: no GKDK for the blob's gateway";
 *  - expect_min_epoch: the kernel's minimum epoch is the group's newest,
 *    so the group first gets a plain key at expect_min_epoch when the
 *    blob is older (stale_epoch, or a two-fault "order/" record where an
 *    earlier check reports first), else at expect_min_epoch - 1;
 *  - blobs or GKDKs outside the spec's length bounds (wrapped-min-len,
 *    gkdk-min-len, gkdk-max-len) are refused by the netlink policy before
 *    the parser sees them: ERANGE "binary attribute size out of range";
 *  - cs-sig.vec (gateway signatures) and cs-kdf.vec node_key records are
 *    userspace-only: the kernel never verifies signatures nor derives
 *    node keys; the host test test_keys_vectors checks them.
 *
 * The clock is set to each record's "now", else into the blob's validity
 * window (2026-01), and restored at teardown.
 */
#include "nl_common.h"

#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"

#include "kselftest_harness.h"

FIXTURE(vec) {
	struct nlc c;
	struct timespec real0, mono0;
};

FIXTURE_SETUP(vec)
{
	clock_gettime(CLOCK_REALTIME, &self->real0);
	clock_gettime(CLOCK_MONOTONIC, &self->mono0);
	nlc_rmmod();
	ASSERT_EQ(0, nlc_modprobe());
	ASSERT_EQ(0, nlc_open(&self->c));
}

FIXTURE_TEARDOWN(vec)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_sec += self->real0.tv_sec - self->mono0.tv_sec;
	clock_settime(CLOCK_REALTIME, &now);
	nlc_close(&self->c);
	nlc_rmmod();
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* The namespace counter a refusal (reference name) must bump. */
static int counter_of(const char *res)
{
	static const struct {
		const char *res;
		int attr;
	} tab[] = {
		{ "ok", CPNS_A_STATS_INSTALLS },
		{ "gkdk_gateway", CPNS_A_STATS_REFUSED_NO_GKDK },
		{ "not_yet_valid", CPNS_A_STATS_REFUSED_EXPIRED },
		{ "expired", CPNS_A_STATS_REFUSED_EXPIRED },
		{ "not_member", CPNS_A_STATS_REFUSED_NOT_MEMBER },
		{ "wrap_auth", CPNS_A_STATS_DECRYPT_FAILURES },
		{ "seal_auth", CPNS_A_STATS_DECRYPT_FAILURES },
		{ "stale_epoch", CPNS_A_STATS_REFUSED_STALE },
	};
	unsigned int i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].res, res))
			return tab[i].attr;
	return CPNS_A_STATS_REFUSED_MALFORMED;
}

/* What the kernel must answer for reference result @code. */
static void expected(int code, int *err, const char **msg)
{
	switch (code) {
	case CPNS_KE_OK:
		*err = 0;
		*msg = "";
		break;
	case CPNS_KE_GKDK_GATEWAY:
		*err = -ENOKEY;
		*msg = "cpns: no GKDK for the blob's gateway";
		break;
	default: {
		/* The reference's text after the module's name. */
		static char buf[256];

		snprintf(buf, sizeof(buf), "cpns: %s", cpns_kerr_str(code));
		*err = -cpns_kerr_errno(code);
		*msg = buf;
	}
	}
}

struct open_case {
	const char *name;
	const uint8_t *gkdk, *blob;
	size_t gkdk_len, blob_len;
	const char *result;		/* reference result name */
	uint32_t group;
	int64_t min_epoch;		/* -1: none */
	time_t now;
	const uint8_t *gk, *gk_fp, *gkdk_fp;
};

/*
 * One record through the kernel; returns the number of mismatches and
 * logs each.  The group is created here and deleted after.
 */
static int run_open(struct __test_metadata *_metadata, struct nlc *c,
		    const struct open_case *oc)
{
	int want_err, code, bad = 0, ctr;
	struct nlc_stats s0, s1;
	const char *want_msg;
	struct nlc_key k;
	struct nlc_gkdk g;
	char a[64], b[64];
	uint8_t plain[CPNS_KEY_LEN];
	uint64_t gw = nlc_be(oc->gkdk + 8, 8);

#define MISMATCH(fmt, ...) do { \
		TH_LOG("%s: " fmt, oc->name, ##__VA_ARGS__); bad++; \
	} while (0)

	code = cpns_kerr_from_name(oc->result);
	if (code < 0) {
		MISMATCH("unknown result %s", oc->result);
		return bad;
	}
	expected(code, &want_err, &want_msg);
	if (oc->blob_len < CPNS_WRAPPED_MIN_LEN ||
	    oc->blob_len > CPNS_WRAPPED_MAX_LEN) {
		want_err = -ERANGE;
		want_msg = "binary attribute size out of range";
	}

	if (nlc_gkdk_set(c, oc->gkdk, oc->gkdk_len)) {
		MISMATCH("GKDK_SET: %d %s", c->err, c->extack);
		return bad;
	}
	c->secret = oc->gkdk + CPNS_GKDK_HDR_LEN;
	c->secret_len = CPNS_KEY_LEN;
	if (nlc_gkdk_get(c, gw) || c->nreplies != 1 ||
	    nlc_gkdk_parse(c->reply[0], &g))
		MISMATCH("GKDK_GET: %d %s", c->err, c->extack);
	else if (oc->gkdk_fp && memcmp(g.fp, oc->gkdk_fp, CPNS_FINGERPRINT_LEN))
		MISMATCH("GKDK fingerprint differs");
	if (c->secret_seen)
		MISMATCH("GKDK_GET returned key bytes");

	if (nlc_group_new(c, oc->group, -1, -1, -1)) {
		MISMATCH("GROUP_NEW %u: %d %s", oc->group, c->err, c->extack);
		goto out_gkdk;
	}
	if (oc->min_epoch > 0) {
		uint64_t e = oc->min_epoch;
		int stale = oc->blob_len >= 32 && nlc_be(oc->blob + 24, 8) < e;

		/*
		 * The kernel's form of "refuse below min_epoch": a key at
		 * min_epoch when the blob is older (the fault is there even
		 * when an earlier check is what reports), else one epoch
		 * below, which a blob at min_epoch may follow.
		 */
		if (!stale)
			e--;
		nlc_fill_key(plain, 0xfeed);
		if (nlc_key_plain(c, oc->group, e, plain, -1))
			MISMATCH("plain install at %llu: %d %s",
				 (unsigned long long)e, c->err, c->extack);
	}
	if (nlc_stats(c, 0, &s0))
		MISMATCH("STATS_GET: %d", c->err);

	c->secret = oc->gk;
	c->secret_len = oc->gk ? CPNS_KEY_LEN : 0;
	if (nlc_set_clock(oc->now))
		MISMATCH("clock_settime: %s", strerror(errno));
	nlc_key_wrapped(c, oc->group, oc->blob, oc->blob_len);
	if (c->err != want_err || strcmp(c->extack, want_msg))
		MISMATCH("want %d \"%s\", kernel %d \"%s\"", want_err, want_msg,
			 c->err, c->extack);
	if (want_err && want_err != -ESTALE && c->bad_attr != CPNS_A_KEY_WRAPPED)
		MISMATCH("extack points at attribute %d, not wrapped",
			 c->bad_attr);

	if (!want_err && !c->err) {
		if (c->nreplies != 1 || nlc_key_parse(c->reply[0], &k)) {
			MISMATCH("no KEY_INSTALL reply");
		} else {
			hex(k.fp, CPNS_FINGERPRINT_LEN, a);
			hex(oc->gk_fp, CPNS_FINGERPRINT_LEN, b);
			if (k.fp_len != CPNS_FINGERPRINT_LEN || strcmp(a, b))
				MISMATCH("install fingerprint %s, want %s", a, b);
			if (k.cmd != CPNS_CMD_KEY_INSTALL ||
			    k.group != oc->group ||
			    k.epoch != nlc_be(oc->blob + 24, 8) ||
			    k.source != CPNS_KEY_SOURCE_WRAPPED ||
			    k.state != CPNS_KEY_STATE_CURRENT ||
			    k.gateway != nlc_be(oc->blob + 8, 8) ||
			    k.expires != nlc_be(oc->blob + 40, 8))
				MISMATCH("install reply fields differ");
			if (k.mask & (BIT64(CPNS_A_KEY_PLAIN) |
				      BIT64(CPNS_A_KEY_WRAPPED)))
				MISMATCH("install reply carries key attributes");
		}
		if (nlc_key_get(c, oc->group, -1) || c->nreplies != 1 ||
		    nlc_key_parse(c->reply[0], &k) ||
		    memcmp(k.fp, oc->gk_fp, CPNS_FINGERPRINT_LEN))
			MISMATCH("KEY_GET fingerprint: %d %s", c->err,
				 c->extack);
	}
	if (c->secret_seen)
		MISMATCH("a reply carried the Group Key bytes");
	c->secret = NULL;
	c->secret_len = 0;

	/* Exactly the one counter of the outcome moved (none for policy). */
	if (!nlc_stats(c, 0, &s1)) {
		ctr = want_err == -ERANGE ? 0 : counter_of(oc->result);
		for (int i = CPNS_A_STATS_INSTALLS; i <= CPNS_A_STATS_KEY_MISSING;
		     i++) {
			uint64_t d = s1.v[i] - s0.v[i];

			if (i == CPNS_A_STATS_KEYS || i == CPNS_A_STATS_RETIRED)
				continue;
			if (d != (uint64_t)(i == ctr))
				MISMATCH("stats attr %d moved by %llu", i,
					 (unsigned long long)d);
		}
	}

	if (nlc_group_del(c, oc->group))
		MISMATCH("GROUP_DEL: %d %s", c->err, c->extack);
out_gkdk:
	if (nlc_gkdk_del(c, gw))
		MISMATCH("GKDK_DEL: %d %s", c->err, c->extack);
	return bad;
#undef MISMATCH
}

TEST_F_TIMEOUT(vec, cs_open, 200)
{
	struct cpns_vec_rec r;
	unsigned int line = 0;
	int n = 0, bad = 0, per_result[64] = { 0 };
	FILE *f = nlc_vec_open("cs-open.vec");

	ASSERT_NE(NULL, f);
	while (cpns_vec_next(f, &line, &r) == 1) {
		struct open_case oc = { .min_epoch = -1 };
		uint8_t *gkdk, *blob, *gk, *gk_fp, *gkdk_fp;
		size_t l;
		const char *v;
		int nbad;

		oc.name = cpns_vec_get(&r, "case");
		oc.result = cpns_vec_get(&r, "result");
		gkdk = nlc_vec_bytes(&r, "gkdk", &oc.gkdk_len);
		blob = nlc_vec_bytes(&r, "blob", &oc.blob_len);
		gk = nlc_vec_bytes(&r, "gk", &l);
		gk_fp = nlc_vec_bytes(&r, "gk_fp", &l);
		gkdk_fp = nlc_vec_bytes(&r, "gkdk_fp", &l);
		ASSERT_NE(NULL, oc.name);
		ASSERT_NE(NULL, oc.result);
		ASSERT_NE(NULL, gkdk);
		ASSERT_NE(NULL, blob);
		oc.gkdk = gkdk;
		oc.blob = blob;
		oc.gk = gk;
		oc.gk_fp = gk_fp;
		oc.gkdk_fp = gkdk_fp;
		v = cpns_vec_get(&r, "expect_group");
		oc.group = v ? strtoul(v, NULL, 10) :
			   oc.blob_len >= 20 ? nlc_be(blob + 16, 4) : 1;
		if (!oc.group)
			oc.group = 1;
		v = cpns_vec_get(&r, "expect_min_epoch");
		if (v)
			oc.min_epoch = strtoll(v, NULL, 10);
		v = cpns_vec_get(&r, "now");
		oc.now = v ? (time_t)strtoll(v, NULL, 10) :
			     nlc_blob_time(blob, oc.blob_len);
		if (!strcmp(oc.result, "ok") && (!gk || !gk_fp)) {
			TH_LOG("%s: ok record without gk/gk_fp", oc.name);
			bad++;
		} else {
			nbad = run_open(_metadata, &self->c, &oc);
			bad += nbad;
			if (!nbad && cpns_kerr_from_name(oc.result) >= 0)
				per_result[cpns_kerr_from_name(oc.result) & 63]++;
		}
		n++;
		free(gkdk);
		free(blob);
		free(gk);
		free(gk_fp);
		free(gkdk_fp);
		cpns_vec_rec_free(&r);
	}
	fclose(f);
	for (int i = 0; i < 64; i++)
		if (per_result[i])
			nlc_note("cs-open: %-18s %d records agree",
				       cpns_kerr_name(i), per_result[i]);
	nlc_note("cs-open: %d records, %d mismatches", n, bad);
	EXPECT_GT(n, 80);
	EXPECT_EQ(0, bad);
}

TEST_F(vec, cs_gkdk)
{
	struct cpns_vec_rec r;
	unsigned int line = 0;
	int n = 0, bad = 0;
	FILE *f = nlc_vec_open("cs-gkdk.vec");

	ASSERT_NE(NULL, f);
	while (cpns_vec_next(f, &line, &r) == 1) {
		const char *name = cpns_vec_get(&r, "case");
		const char *res = cpns_vec_get(&r, "result");
		const char *want_msg, *v;
		uint8_t *gkdk, *fp;
		size_t len, l;
		int code, want_err;
		struct nlc_gkdk g;
		struct nlc_stats s;

		ASSERT_NE(NULL, name);
		ASSERT_NE(NULL, res);
		v = cpns_vec_get(&r, "gkdk");
		gkdk = nlc_vec_bytes(&r, "gkdk", &len);
		if (!gkdk && v && *v) {
			TH_LOG("%s: bad hex", name);
			bad++;
			goto next;
		}
		code = cpns_kerr_from_name(res);
		ASSERT_GE(code, 0);
		expected(code, &want_err, &want_msg);
		if (len < CPNS_GKDK_MIN_LEN || len > CPNS_GKDK_MAX_LEN) {
			want_err = -ERANGE;
			want_msg = "binary attribute size out of range";
		}
		nlc_gkdk_set(&self->c, gkdk ? gkdk : (const uint8_t *)"", len);
		if (self->c.err != want_err || strcmp(self->c.extack, want_msg)) {
			TH_LOG("%s: want %d \"%s\", kernel %d \"%s\"", name,
			       want_err, want_msg, self->c.err,
			       self->c.extack);
			bad++;
		}
		if (want_err && self->c.bad_attr != CPNS_A_GKDK_DATA) {
			TH_LOG("%s: extack points at %d", name,
			       self->c.bad_attr);
			bad++;
		}
		if (!want_err && !self->c.err) {
			uint64_t gw = strtoull(cpns_vec_get(&r, "gateway_id"),
					       NULL, 10);

			self->c.secret = gkdk + len - CPNS_KEY_LEN;
			self->c.secret_len = CPNS_KEY_LEN;
			fp = nlc_vec_bytes(&r, "gkdk_fp", &l);
			if (nlc_gkdk_get(&self->c, gw) ||
			    nlc_gkdk_parse(self->c.reply[0], &g) ||
			    g.gateway != gw ||
			    g.scheme != strtoul(cpns_vec_get(&r, "scheme"), NULL, 10) ||
			    g.height != strtoul(cpns_vec_get(&r, "height"), NULL, 10) ||
			    g.set_id != strtoul(cpns_vec_get(&r, "set_id"), NULL, 10) ||
			    g.slot != strtoul(cpns_vec_get(&r, "slot"), NULL, 10) ||
			    !fp || memcmp(g.fp, fp, CPNS_FINGERPRINT_LEN) ||
			    self->c.secret_seen) {
				TH_LOG("%s: GKDK_GET differs (%d)", name,
				       self->c.err);
				bad++;
			}
			free(fp);
			self->c.secret = NULL;
			self->c.secret_len = 0;
			if (nlc_gkdk_del(&self->c, gw)) {
				TH_LOG("%s: GKDK_DEL %d", name, self->c.err);
				bad++;
			}
		}
		/* Refused or deleted: nothing stays behind. */
		if (nlc_stats(&self->c, 0, &s) || s.v[CPNS_A_STATS_GKDKS]) {
			TH_LOG("%s: %llu GKDKs left", name,
			       (unsigned long long)s.v[CPNS_A_STATS_GKDKS]);
			bad++;
		}
next:
		n++;
		free(gkdk);
		cpns_vec_rec_free(&r);
	}
	fclose(f);
	nlc_note("cs-gkdk: %d records, %d mismatches", n, bad);
	EXPECT_GT(n, 15);
	EXPECT_EQ(0, bad);
}

/* gk_fp records: a plain Group Key's fingerprint in the install reply. */
TEST_F(vec, cs_kdf_fingerprints)
{
	struct cpns_vec_rec r;
	unsigned int line = 0;
	int n = 0, skipped = 0;
	uint64_t epoch = 1;
	FILE *f = nlc_vec_open("cs-kdf.vec");
	struct nlc_key k;

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, nlc_group_new(&self->c, 3, -1, -1, -1));
	while (cpns_vec_next(f, &line, &r) == 1) {
		const char *type = cpns_vec_get(&r, "type");
		uint8_t *gk, *fp;
		size_t l1, l2;

		if (!type || strcmp(type, "gk_fp")) {
			skipped++;
			cpns_vec_rec_free(&r);
			continue;
		}
		gk = nlc_vec_bytes(&r, "gk", &l1);
		fp = nlc_vec_bytes(&r, "gk_fp", &l2);
		ASSERT_EQ(CPNS_KEY_LEN, l1);
		ASSERT_EQ(CPNS_FINGERPRINT_LEN, l2);
		self->c.secret = gk;
		self->c.secret_len = l1;
		EXPECT_EQ(0, nlc_key_plain(&self->c, 3, epoch++, gk, -1));
		ASSERT_EQ(1, self->c.nreplies);
		ASSERT_EQ(0, nlc_key_parse(self->c.reply[0], &k));
		EXPECT_EQ(0, memcmp(k.fp, fp, CPNS_FINGERPRINT_LEN));
		EXPECT_EQ(CPNS_KEY_SOURCE_PLAIN, k.source);
		EXPECT_FALSE(self->c.secret_seen);
		self->c.secret = NULL;
		n++;
		free(gk);
		free(fp);
		cpns_vec_rec_free(&r);
	}
	fclose(f);
	nlc_note("cs-kdf: %d gk_fp records agree; %d node_key records are userspace-only (the kernel derives no node keys)",
		       n, skipped);
	EXPECT_GT(n, 0);
}

/*
 * Every byte of a good blob, tampered: the kernel refuses each, exactly
 * as the reference does (same errno, same message).
 */
static int load_good(struct cpns_vec_rec *r, uint8_t **gkdk, size_t *gl,
		     uint8_t **blob, size_t *bl)
{
	if (nlc_vec_find("cs-open.vec", "cs-h3-mixed/slot-0", r))
		return -1;
	*gkdk = nlc_vec_bytes(r, "gkdk", gl);
	*blob = nlc_vec_bytes(r, "blob", bl);
	return *gkdk && *blob ? 0 : -1;
}

static int ref_open(const uint8_t *gkdk, size_t gl, const uint8_t *blob,
		    size_t bl, uint32_t group, time_t now)
{
	struct cpns_gk_expect x = {
		.flags = CPNS_GKX_GROUP | CPNS_GKX_TIME,
		.group_id = group,
		.now = now,
	};
	struct cpns_gkdk g;
	uint8_t gk[CPNS_KEY_LEN];
	int ret;

	if (cpns_gkdk_decode(&g, gkdk, gl))
		return -1;
	ret = cpns_gk_open(&g, blob, bl, &x, gk, NULL);
	cpns_gkdk_wipe(&g);
	return ret;
}

static int tamper_run(struct __test_metadata *_metadata, struct nlc *c,
		      const uint8_t *gkdk, size_t gl, uint8_t *blob, size_t bl,
		      const char *what, size_t at)
{
	time_t now = 1767225600 + 3600;
	int code = ref_open(gkdk, gl, blob, bl, 66, now), want_err;
	const char *want_msg;

	if (code < 0)
		return 1;
	expected(code, &want_err, &want_msg);
	if (bl < CPNS_WRAPPED_MIN_LEN) {
		want_err = -ERANGE;
		want_msg = "binary attribute size out of range";
	}
	if (code == CPNS_KE_OK) {
		TH_LOG("%s %zu: the reference accepts it", what, at);
		return 1;
	}
	nlc_set_clock(now);
	nlc_key_wrapped(c, 66, blob, bl);
	if (c->err == want_err && !strcmp(c->extack, want_msg))
		return 0;
	TH_LOG("%s %zu: reference %s (%d \"%s\"), kernel %d \"%s\"", what, at,
	       cpns_kerr_name(code), want_err, want_msg, c->err, c->extack);
	return 1;
}

TEST_F_TIMEOUT(vec, tampered_every_byte, 120)
{
	struct cpns_vec_rec r;
	uint8_t *gkdk, *blob;
	size_t gl, bl, i;
	int bad = 0, n = 0;
	struct nlc_stats s;

	ASSERT_EQ(0, load_good(&r, &gkdk, &gl, &blob, &bl));
	ASSERT_EQ(0, nlc_gkdk_set(&self->c, gkdk, gl));
	ASSERT_EQ(0, nlc_group_new(&self->c, 66, -1, -1, -1));
	for (i = 0; i < bl; i++) {
		blob[i] ^= 0x01;
		bad += tamper_run(_metadata, &self->c, gkdk, gl, blob, bl,
				  "byte", i);
		blob[i] ^= 0x01;
		n++;
	}
	/* Untouched, it still opens: the refusals were the tampering's. */
	EXPECT_EQ(0, nlc_key_wrapped(&self->c, 66, blob, bl));
	ASSERT_EQ(0, nlc_stats(&self->c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_INSTALLS]);
	nlc_note("tampered: %d single-byte changes, %d mismatches", n,
		       bad);
	EXPECT_EQ(0, bad);
	free(gkdk);
	free(blob);
	cpns_vec_rec_free(&r);
}

TEST_F_TIMEOUT(vec, truncated_and_extended, 120)
{
	struct cpns_vec_rec r;
	uint8_t *gkdk, *blob, *big;
	size_t gl, bl, len;
	int bad = 0, n = 0;

	ASSERT_EQ(0, load_good(&r, &gkdk, &gl, &blob, &bl));
	ASSERT_EQ(0, nlc_gkdk_set(&self->c, gkdk, gl));
	ASSERT_EQ(0, nlc_group_new(&self->c, 66, -1, -1, -1));
	for (len = 0; len < bl; len++) {
		bad += tamper_run(_metadata, &self->c, gkdk, gl, blob, len,
				  "length", len);
		n++;
	}
	big = calloc(1, bl + 64);
	ASSERT_NE(NULL, big);
	memcpy(big, blob, bl);
	for (len = bl + 1; len <= bl + 64; len++) {
		bad += tamper_run(_metadata, &self->c, gkdk, gl, big, len,
				  "length", len);
		n++;
	}
	nlc_note("truncated/extended: %d lengths, %d mismatches", n,
		       bad);
	EXPECT_EQ(0, bad);
	free(big);
	free(gkdk);
	free(blob);
	cpns_vec_rec_free(&r);
}

TEST_HARNESS_MAIN
