// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the GKDK decoder.  Seeds: every GKDK in
 * selftests/vectors/.  A GKDK that decodes must re-encode to exactly the
 * input bytes (one encoding per GKDK: nothing ignored, nothing implied).
 */
#include <stdlib.h>
#include <string.h>

#include "gkdk.h"
#include "keyerr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[CPNS_GKDK_MAX_LEN], fp[CPNS_FP_LEN];
	struct cpns_gkdk g;
	size_t len;
	int ret;

	ret = cpns_gkdk_decode(&g, data, size);
	if (ret < 0 || ret >= __CPNS_KE_MAX)
		abort();
	if (ret) {
		/* A refused GKDK leaves nothing behind. */
		if (g.nkeys || g.slot || g.gateway_id)
			abort();
		return 0;
	}
	if (cpns_gkdk_encode(&g, buf, sizeof(buf), &len) || len != size ||
	    memcmp(buf, data, size))
		abort();
	if (cpns_gkdk_fingerprint(&g, fp))
		abort();
	cpns_gkdk_wipe(&g);
	return 0;
}
