// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd-gkdk: TEST ONLY.  Derive, with the key library, the GKDK of one
 * slot of a gateway's stored key material set and write its encoding on
 * stdout, so that a test can compare what a PNE's module holds with what
 * the library says the slot's GKDK is.
 *
 *   cpnsd-gkdk GATEWAY_DB SLOT | cpnsctl gkdk fingerprint file -
 *
 * It prints a secret: it refuses a terminal as stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"
#include "store.h"

int main(int argc, char **argv)
{
	uint8_t buf[CPNS_GKDK_MAX_LEN];
	struct cpns_kms *kms = NULL;
	struct store *st = NULL;
	struct store_kms sk;
	struct cpns_gkdk g;
	unsigned long slot;
	char err[512], *end;
	size_t len;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: cpnsd-gkdk GATEWAY_DB SLOT\n");
		return 2;
	}
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "cpnsd-gkdk: refusing to print a GKDK on a terminal\n");
		return 2;
	}
	errno = 0;
	slot = strtoul(argv[2], &end, 10);
	if (errno || *end || !argv[2][0]) {
		fprintf(stderr, "cpnsd-gkdk: SLOT '%s' is not a number\n", argv[2]);
		return 2;
	}
	if (store_open(argv[1], &st, err, sizeof(err))) {
		fprintf(stderr, "cpnsd-gkdk: %s\n", err);
		return 1;
	}
	ret = store_kms_get(st, &sk);
	store_close(st);
	if (ret) {
		fprintf(stderr, "cpnsd-gkdk: no key material set: %s\n",
			strerror(-ret));
		return 1;
	}
	ret = cpns_kms_from_master(&kms, sk.gateway_id, sk.set_id, sk.height,
				   sk.master);
	OPENSSL_cleanse(&sk, sizeof(sk));
	if (!ret && slot >= (1UL << kms->height))
		ret = CPNS_KE_SLOT_RANGE;
	if (!ret)
		ret = cpns_kms_slot_set(kms, slot, CPNS_SLOT_ASSIGNED);
	if (!ret)
		ret = cpns_gkdk_create(kms, CPNS_SCHEME_CS, slot, &g);
	cpns_kms_free(kms);
	if (ret) {
		fprintf(stderr, "cpnsd-gkdk: %s\n", cpns_kerr_str(ret));
		return 1;
	}
	ret = cpns_gkdk_encode(&g, buf, sizeof(buf), &len);
	cpns_gkdk_wipe(&g);
	if (!ret && fwrite(buf, 1, len, stdout) != len)
		ret = -1;
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret || fflush(stdout) ? 1 : 0;
}
