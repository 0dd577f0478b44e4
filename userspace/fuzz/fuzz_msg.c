// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the CPNS message decoder.  Seeds: every message in
 * selftests/vectors/msg.vec.  The first input byte picks the body limit
 * (so bodies above CPNS_MSG_BODY_MAX are reached too), the rest is the
 * message.  What decodes must re-encode to exactly the input (one
 * encoding per message); what is refused leaves nothing behind, names an
 * attribute that exists, and agrees with cpns_msg_frame() on the header.
 * A members list walks whole with cpns_msg_members_next() and rebuilds
 * to the same bytes with cpns_msg_members_add().
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[CPNS_MSG_HDR_LEN + 16 * 65540];

static uint8_t members[65535];

/* The walker and the builder are each other's inverse on valid lists. */
static bool members_round_trip(const struct cpns_msg *m)
{
	char prev[65], id[65];
	size_t off = 0, len = 0, l;
	const uint8_t *p;

	while (cpns_msg_members_next(m->members, m->members_len, &off, &p,
				     &l)) {
		if (l >= sizeof(id))
			return false;
		memcpy(id, p, l);
		id[l] = 0;
		if (cpns_msg_members_add(members, sizeof(members), &len,
					 len ? prev : NULL, id))
			return false;
		memcpy(prev, id, l + 1);
	}
	return off == m->members_len && len == off &&
	       !memcmp(members, m->members, len);
}

static bool header_refusal(int e)
{
	return e == CPNS_ME_VERSION || e == CPNS_ME_TYPE ||
	       e == CPNS_ME_FLAGS || e == CPNS_ME_TOO_BIG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cpns_msg zero;
	size_t body_max, len, frame_len;
	struct cpns_msg m;
	unsigned int attr;
	int ret, fret;

	if (!size)
		return 0;
	body_max = data[0] & 0x80 ? (size_t)(data[0] & 0x7f) << 10 :
				    CPNS_MSG_BODY_MAX;
	data++;
	size--;
	ret = cpns_msg_decode(&m, data, size, body_max, &attr);
	fret = cpns_msg_frame(data, size, body_max, &frame_len);
	if (ret < 0 || ret >= __CPNS_ME_MAX || ret == CPNS_ME_NOMEM)
		abort();
	/* The stream reader's view of the header is the decoder's. */
	if (header_refusal(ret) != header_refusal(fret) ||
	    (header_refusal(ret) && ret != fret))
		abort();
	if (!fret && (frame_len < size) != (ret == CPNS_ME_TRAILING))
		abort();
	if (ret) {
		if (memcmp(&m, &zero, sizeof(m)) || attr > 0xffff)
			abort();
		/* Header and length refusals are no attribute's. */
		if (ret <= CPNS_ME_TOO_BIG && attr)
			abort();
		return 0;
	}
	if (attr || frame_len != size)
		abort();
	if (cpns_msg_encode(&m, out, sizeof(out), &len) || len != size ||
	    memcmp(out, data, size))
		abort();
	if (cpns_msg_has(&m, CPNS_MA_MEMBERS) && !members_round_trip(&m))
		abort();
	return 0;
}
