// SPDX-License-Identifier: GPL-2.0
/*
 * The committed vectors in selftests/vectors/: regenerating them gives the
 * same bytes, and reading them back record by record (as the kernel's VM
 * test does) gives the recorded results.  Run from the repository root.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"
#include "keyvec.h"
#include "sign.h"

#define DIR	"selftests/vectors/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

TEST(regenerate_identical)
{
	int i;

	for (i = 0; cpns_vec_files[i]; i++) {
		char path[256], *want, *got;
		size_t wl = 0, gl;

		snprintf(path, sizeof(path), DIR "%s", cpns_vec_files[i]);
		want = slurp(path, &wl);
		ASSERT_NE(NULL, want) TH_LOG("%s missing (run from the "
					     "repository root)", path);
		ASSERT_EQ(0, cpns_vec_render(cpns_vec_files[i], &got, &gl));
		ASSERT_EQ(wl, gl) TH_LOG("%s: regenerate with build/tools/"
					 "cpns-vectors", path);
		ASSERT_EQ(0, memcmp(want, got, gl)) TH_LOG("%s differs", path);
		free(want);
		free(got);
	}
}

/* Hex field @key of @r, decoded; fails the test when absent. */
#define HEX(r, key, buf, len) do {					\
	const char *_v = cpns_vec_get(r, key);				\
	ASSERT_NE(NULL, _v) TH_LOG("line %u: no %s", (r)->line, key);	\
	ASSERT_EQ(0, cpns_vec_hex(_v, &(buf), &(len)));			\
} while (0)

static unsigned long long num(const struct cpns_vec_rec *r, const char *k)
{
	const char *v = cpns_vec_get(r, k);

	return v ? strtoull(v, NULL, 10) : 0;
}

TEST(open_vectors)
{
	FILE *f = fopen(DIR "cs-open.vec", "r");
	unsigned int line = 0, n = 0, ok = 0;
	struct cpns_vec_rec r;

	ASSERT_NE(NULL, f);
	while (cpns_vec_next(f, &line, &r) == 1) {
		uint8_t *gkdk, *blob, *want, out[32], fp[8];
		struct cpns_gk_expect x = { 0 };
		size_t gl, bl, wl;
		struct cpns_gkdk g;
		int ret;

		HEX(&r, "gkdk", gkdk, gl);
		HEX(&r, "blob", blob, bl);
		ASSERT_EQ(0, cpns_gkdk_decode(&g, gkdk, gl));
		ASSERT_EQ(num(&r, "slot"), g.slot);
		if (cpns_vec_get(&r, "expect_group")) {
			x.flags |= CPNS_GKX_GROUP;
			x.group_id = num(&r, "expect_group");
		}
		if (cpns_vec_get(&r, "expect_min_epoch")) {
			x.flags |= CPNS_GKX_EPOCH;
			x.min_epoch = num(&r, "expect_min_epoch");
		}
		if (cpns_vec_get(&r, "now")) {
			x.flags |= CPNS_GKX_TIME;
			x.now = num(&r, "now");
		}
		ret = cpns_gk_open(&g, blob, bl, &x, out, NULL);
		ASSERT_STREQ(cpns_vec_get(&r, "result"), cpns_kerr_name(ret))
			TH_LOG("%s", cpns_vec_get(&r, "case"));
		if (!ret) {
			HEX(&r, "gk", want, wl);
			ASSERT_EQ(32, wl);
			ASSERT_EQ(0, memcmp(want, out, 32));
			free(want);
			HEX(&r, "gk_fp", want, wl);
			ASSERT_EQ(0, cpns_gk_fingerprint(out, fp));
			ASSERT_EQ(0, memcmp(want, fp, 8));
			free(want);
			ok++;
		}
		HEX(&r, "gkdk_fp", want, wl);
		ASSERT_EQ(0, cpns_gkdk_fingerprint(&g, fp));
		ASSERT_EQ(0, memcmp(want, fp, 8));
		free(want);
		cpns_gkdk_wipe(&g);
		free(gkdk);
		free(blob);
		cpns_vec_rec_free(&r);
		n++;
	}
	fclose(f);
	TH_LOG("%u records, %u open", n, ok);
	ASSERT_GE(n, 80);
	ASSERT_GE(ok, 20);
}

TEST(gkdk_vectors)
{
	FILE *f = fopen(DIR "cs-gkdk.vec", "r");
	unsigned int line = 0, n = 0;
	struct cpns_vec_rec r;

	ASSERT_NE(NULL, f);
	while (cpns_vec_next(f, &line, &r) == 1) {
		uint8_t *enc, *fp, mine[8], re[CPNS_GKDK_MAX_LEN];
		struct cpns_gkdk g;
		size_t el, fl, rl;
		int ret;

		HEX(&r, "gkdk", enc, el);
		ret = cpns_gkdk_decode(&g, enc, el);
		ASSERT_STREQ(cpns_vec_get(&r, "result"), cpns_kerr_name(ret))
			TH_LOG("%s", cpns_vec_get(&r, "case"));
		if (!ret) {
			ASSERT_EQ(num(&r, "height"), g.height);
			ASSERT_EQ(num(&r, "slot"), g.slot);
			ASSERT_EQ(num(&r, "set_id"), g.set_id);
			ASSERT_EQ(num(&r, "gateway_id"), g.gateway_id);
			HEX(&r, "gkdk_fp", fp, fl);
			ASSERT_EQ(0, cpns_gkdk_fingerprint(&g, mine));
			ASSERT_EQ(0, memcmp(fp, mine, 8));
			free(fp);
			/* Decoding is canonical: re-encoding round-trips. */
			ASSERT_EQ(0, cpns_gkdk_encode(&g, re, sizeof(re), &rl));
			ASSERT_EQ(el, rl);
			ASSERT_EQ(0, memcmp(enc, re, rl));
		}
		cpns_gkdk_wipe(&g);
		free(enc);
		cpns_vec_rec_free(&r);
		n++;
	}
	fclose(f);
	ASSERT_GE(n, 15);
}

TEST(kdf_vectors)
{
	FILE *f = fopen(DIR "cs-kdf.vec", "r");
	unsigned int line = 0, n = 0;
	struct cpns_vec_rec r;
	struct cpns_kc kc;

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, cpns_kc_init(&kc));
	while (cpns_vec_next(f, &line, &r) == 1) {
		const char *type = cpns_vec_get(&r, "type");
		uint8_t *a, *b, out[32];
		size_t al, bl;

		ASSERT_NE(NULL, type);
		if (!strcmp(type, "node_key")) {
			struct cpns_kms *kms;

			HEX(&r, "master", a, al);
			HEX(&r, "key", b, bl);
			ASSERT_EQ(0, cpns_kms_from_master(&kms,
					num(&r, "gateway_id"),
					num(&r, "set_id"), num(&r, "height"),
					a));
			ASSERT_EQ(0, cpns_kms_node_key(kms, &kc,
						       num(&r, "node"), out));
			ASSERT_EQ(0, memcmp(b, out, 32));
			cpns_kms_free(kms);
		} else {
			ASSERT_STREQ("gk_fp", type);
			HEX(&r, "gk", a, al);
			HEX(&r, "gk_fp", b, bl);
			ASSERT_EQ(0, cpns_gk_fingerprint(a, out));
			ASSERT_EQ(0, memcmp(b, out, 8));
		}
		free(a);
		free(b);
		cpns_vec_rec_free(&r);
		n++;
	}
	cpns_kc_free(&kc);
	fclose(f);
	ASSERT_GE(n, 10);
}

TEST(sig_vectors)
{
	FILE *f = fopen(DIR "cs-sig.vec", "r");
	unsigned int line = 0, n = 0;
	struct cpns_vec_rec r;

	ASSERT_NE(NULL, f);
	while (cpns_vec_next(f, &line, &r) == 1) {
		uint8_t *pk, *m;
		size_t pl, ml, bl;
		int ret;

		HEX(&r, "pk", pk, pl);
		HEX(&r, "notification", m, ml);
		ASSERT_EQ(32, pl);
		ret = cpns_gkn_verify(pk, m, ml, &bl);
		ASSERT_STREQ(cpns_vec_get(&r, "result"), cpns_kerr_name(ret));
		if (!ret)
			ASSERT_EQ(num(&r, "blob_len"), bl);
		free(pk);
		free(m);
		cpns_vec_rec_free(&r);
		n++;
	}
	fclose(f);
	ASSERT_GE(n, 6);
}

/*
 * The second implementation (selftests/vectors/verify.py) agrees with
 * every record and re-derives the test randomness from the README.
 */
TEST(python_reference)
{
	if (system("python3 -c 'import cryptography' 2>/dev/null"))
		SKIP(return, "python3 with the cryptography module is missing");
	FILE *p = popen("python3 selftests/vectors/verify.py selftests/vectors"
			" 2>&1", "r");
	char line[512];
	int lines = 0;

	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		printf("# verify.py: %s", line);
		fflush(stdout);
		lines++;
	}
	ASSERT_EQ(0, pclose(p));
	ASSERT_LT(0, lines);
}

TEST(reader_refuses_garbage)
{
	static const char text[] = "# c\n\na = 1\nb=2\n\n\nno equals sign\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	unsigned int line = 0;
	struct cpns_vec_rec r;
	uint8_t *b;
	size_t l;

	ASSERT_EQ(1, cpns_vec_next(f, &line, &r));
	ASSERT_EQ(2, r.n);
	ASSERT_STREQ("2", cpns_vec_get(&r, "b"));
	ASSERT_EQ(3, r.line);
	cpns_vec_rec_free(&r);
	ASSERT_EQ(-1, cpns_vec_next(f, &line, &r));
	ASSERT_EQ(0, cpns_vec_next(f, &line, &r));
	fclose(f);
	ASSERT_EQ(CPNS_KE_INVAL, cpns_vec_hex("abc", &b, &l));
	ASSERT_EQ(CPNS_KE_INVAL, cpns_vec_hex("zz", &b, &l));
	ASSERT_EQ(0, cpns_vec_hex("", &b, &l));
	ASSERT_EQ(0, l);
	free(b);
}

TEST_HARNESS_MAIN
