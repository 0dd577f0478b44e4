// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the encrypted Group Key parser and opener.
 *
 * Input: be16 GKDK length L || GKDK (L bytes) || blob.  Seeds are the
 * records of selftests/vectors/cs-open.vec in this form (selftests/fuzz.sh).
 * Besides "no crash, no leak", checks the parser's promises: sections lie
 * inside the input and add up to its length, and a blob that opens parses.
 */
#include <stdlib.h>
#include <string.h>

#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"
#include "scheme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpns_gk_expect x = { 0 };
	struct cpns_gk_view v;
	struct cpns_gkdk g;
	uint8_t gk[32];
	const uint8_t *blob;
	size_t gl, bl;
	int ret;

	if (size < 2)
		return 0;
	gl = (size_t)data[0] << 8 | data[1];
	if (gl > size - 2)
		gl = size - 2;
	blob = data + 2 + gl;
	bl = size - 2 - gl;

	ret = cpns_gk_parse(blob, bl, &v);
	if (ret < 0 || ret >= __CPNS_KE_MAX)
		abort();
	if (!ret) {
		size_t il = v.ops->id_len, c = v.hdr.count;

		if (v.wraps_off != CPNS_GK_HDR_LEN + c * il ||
		    v.seal_off != v.wraps_off + c * CPNS_GK_WRAP_LEN ||
		    v.seal_off + CPNS_GK_SEAL_LEN != bl)
			abort();
	}
	if (cpns_gkdk_decode(&g, data + 2, gl))
		return 0;
	/* Exercise the expectation checks with values from the input. */
	if (bl > 40) {
		x.flags = blob[bl - 1] & 7;
		x.group_id = blob[bl - 2];
		x.min_epoch = blob[bl - 3];
		x.now = blob[bl - 4];
	}
	ret = cpns_gk_open(&g, blob, bl, bl & 1 ? &x : NULL, gk, NULL);
	if (ret < 0 || ret >= __CPNS_KE_MAX)
		abort();
	if (!ret && cpns_gk_parse(blob, bl, &v))
		abort();
	cpns_gkdk_wipe(&g);
	return 0;
}
