// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: opening an encrypted Group Key with a GKDK (Group Key delivery,
 * step 8), with the kernel crypto API.
 *
 * The format and the order of the checks are those of the userspace
 * reference, userspace/lib/gkblob.c (Documentation/keys.rst):
 *
 *   D     = SHA-256(header || cover ids)
 *   WK    = HKDF-Expand(K(node), "cpns-v1 wrap" || D || id, 32)
 *   GKEK  = AES-256-GCM-open(WK, wrap nonce, aad = D || id)
 *   GK    = AES-256-GCM-open(GKEK, seal nonce, aad = all bytes before seal)
 *
 * Runs in process context under cn->lock, which also guards the two
 * transforms, allocated on first use and kept for the namespace's life.
 */

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "compat.h"
#include "cpns.h"
#include "kerr.h"

#define GK_VERSION	1
#define GK_HDR_LEN	64
#define GK_NONCE_LEN	12
#define GK_TAG_LEN	16
#define GK_WRAP_LEN	(GK_NONCE_LEN + CPNS_KEY_LEN + GK_TAG_LEN)
#define CS_ID_LEN	4
#define CS_COVER_MAX	65536
#define LABEL_WRAP	"cpns-v1 wrap"

/* A refusal counts for the namespace and for the group. */
static void count(u64 *ns, u64 *group)
{
	(*ns)++;
	(*group)++;
}

struct gk_hdr {
	u8 height;
	u32 set_id;
	u64 gateway_id;
	u32 group_id;
	u32 count;
	u64 epoch;
	u64 valid_from;
	u64 valid_until;
	size_t wraps_off;
	size_t seal_off;
};

/* Complete Subtree helpers; nodes are heap-numbered, root 1. */
static bool node_valid(unsigned int h, u32 n)
{
	return n >= 1 && n < (2U << h);
}

static unsigned int node_depth(u32 n)
{
	return fls(n) - 1;
}

static u32 node_first(unsigned int h, u32 n)
{
	unsigned int d = h - node_depth(n);

	return (n << d) - (1U << h);
}

static u32 node_last(unsigned int h, u32 n)
{
	unsigned int d = h - node_depth(n);

	return node_first(h, n) + (1U << d) - 1;
}

static u32 id_at(const u8 *blob, size_t i)
{
	return get_unaligned_be32(blob + GK_HDR_LEN + i * CS_ID_LEN);
}

static int check_cover(unsigned int h, const u8 *blob, u32 count)
{
	u32 prev = 0, prev_first = 0, prev_last = 0, n, first;
	size_t i;

	for (i = 0; i < count; i++) {
		n = id_at(blob, i);
		if (!node_valid(h, n))
			return CPNS_KE_NODE_RANGE;
		first = node_first(h, n);
		if (i) {
			if (first < prev_first)
				return CPNS_KE_COVER_ORDER;
			if (first <= prev_last)
				return CPNS_KE_COVER_OVERLAP;
			/* Both children of one parent: list the parent. */
			if (n > 1 && !(prev & 1) && n == prev + 1)
				return CPNS_KE_COVER_NOT_MINIMAL;
		}
		prev = n;
		prev_first = first;
		prev_last = node_last(h, n);
	}
	return CPNS_KE_OK;
}

/* Returns CPNS_KE_OK when well-formed, else the reason. */
static int parse(const u8 *b, size_t len, struct gk_hdr *h)
{
	size_t need;

	if (len < GK_HDR_LEN)
		return CPNS_KE_TRUNCATED;
	if (b[0] != GK_VERSION)
		return CPNS_KE_VERSION;
	if (b[1] != CPNS_SCHEME_CS)
		return CPNS_KE_SCHEME;
	if (b[2] < 1 || b[2] > CPNS_TREE_HEIGHT_MAX)
		return CPNS_KE_HEIGHT;
	if (b[3])
		return CPNS_KE_RESERVED;
	h->height = b[2];
	h->set_id = get_unaligned_be32(b + 4);
	h->gateway_id = get_unaligned_be64(b + 8);
	h->group_id = get_unaligned_be32(b + 16);
	h->count = get_unaligned_be32(b + 20);
	h->epoch = get_unaligned_be64(b + 24);
	h->valid_from = get_unaligned_be64(b + 32);
	h->valid_until = get_unaligned_be64(b + 40);
	if (h->valid_until <= h->valid_from)
		return CPNS_KE_LIFETIME;
	if (!h->count || h->count > min(1U << (h->height - 1), CS_COVER_MAX))
		return CPNS_KE_COUNT;
	need = GK_HDR_LEN + (size_t)h->count * (CS_ID_LEN + GK_WRAP_LEN) +
	       GK_WRAP_LEN;
	if (len < need)
		return CPNS_KE_TRUNCATED;
	if (len > need)
		return CPNS_KE_TRAILING;
	h->wraps_off = GK_HDR_LEN + (size_t)h->count * CS_ID_LEN;
	h->seal_off = len - GK_WRAP_LEN;
	return check_cover(h->height, b, h->count);
}

/* The cover entry above @slot: the last whose first slot is <= @slot. */
static long find(unsigned int h, const u8 *blob, u32 count, u32 slot)
{
	size_t lo = 0, hi = count, mid;
	u32 n;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (node_first(h, id_at(blob, mid)) <= slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	n = id_at(blob, lo - 1);
	if (slot < node_first(h, n) || slot > node_last(h, n))
		return -1;
	return lo - 1;
}

/**
 * cpns_crypto_get() - the namespace's unwrap and derivation transforms
 * @cn: the namespace, locked
 *
 * Allocated on first use and kept for the namespace's life.
 *
 * Return: 0 with cn->aead and cn->hmac set, or an errno.
 */
int cpns_crypto_get(struct cpns_net *cn)
{
	struct crypto_aead *aead;
	struct crypto_shash *hmac;

	if (cn->aead)
		return 0;
	aead = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(hmac)) {
		crypto_free_aead(aead);
		return PTR_ERR(hmac);
	}
	if (crypto_aead_setauthsize(aead, GK_TAG_LEN)) {
		crypto_free_shash(hmac);
		crypto_free_aead(aead);
		return -EINVAL;
	}
	cn->aead = aead;
	cn->hmac = hmac;
	return 0;
}

/* A scatterlist over @buf, which may be vmalloc'ed. */
static int sg_over(struct sg_table *t, u8 *buf, size_t len)
{
	struct scatterlist *sg;
	unsigned int n, i;
	size_t l;
	int ret;

	if (!is_vmalloc_addr(buf)) {
		ret = sg_alloc_table(t, 1, GFP_KERNEL);
		if (!ret)
			sg_set_buf(t->sgl, buf, len);
		return ret;
	}
	n = DIV_ROUND_UP(offset_in_page(buf) + len, PAGE_SIZE);
	ret = sg_alloc_table(t, n, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sg(t->sgl, sg, n, i) {
		l = min_t(size_t, len, PAGE_SIZE - offset_in_page(buf));
		sg_set_page(sg, vmalloc_to_page(buf), l, offset_in_page(buf));
		buf += l;
		len -= l;
	}
	return 0;
}

/*
 * AES-256-GCM open in place: @buf holds @assoclen bytes of associated
 * data, then the ciphertext and tag; @nonce points into kernel memory that
 * stays put for the call.  Returns 0, -EBADMSG when the tag does not
 * verify, or another errno.
 */
static int gcm_open(struct crypto_aead *tfm, const u8 *key, u8 *nonce,
		    u8 *buf, size_t assoclen, size_t ctlen)
{
	DECLARE_CRYPTO_WAIT(wait);
	struct aead_request *req;
	struct sg_table sgt;
	int ret;

	ret = crypto_aead_setkey(tfm, key, CPNS_KEY_LEN);
	if (ret)
		return ret;
	req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	ret = sg_over(&sgt, buf, assoclen + ctlen);
	if (ret)
		goto out;
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	aead_request_set_crypt(req, sgt.sgl, sgt.sgl, ctlen, nonce);
	aead_request_set_ad(req, assoclen);
	ret = crypto_wait_req(crypto_aead_decrypt(req), &wait);
	sg_free_table(&sgt);
out:
	aead_request_free(req);
	return ret;
}

static const u8 zero_key[CPNS_KEY_LEN];

/**
 * cpns_hkdf_expand() - HKDF-Expand(@key, @label || @a || @b, 32) with
 *	HMAC-SHA-256: one block, so one HMAC of the info and the byte 1
 * @hmac: hmac(sha256), keyed here and rekeyed with zeros before the
 *	return; the caller serialises its use
 * @key: the pseudorandom key, CPNS_KEY_LEN bytes
 * @label: domain separation, as in Documentation/keys.rst
 * @a: first part of the info after the label
 * @alen: its length
 * @b: second part
 * @blen: its length
 * @out: CPNS_KEY_LEN bytes
 *
 * Return: 0 or a crypto errno.
 */
int cpns_hkdf_expand(struct crypto_shash *hmac, const u8 *key,
		     const char *label, const void *a, size_t alen,
		     const void *b, size_t blen, u8 *out)
{
	static const u8 one = 1;
	SHASH_DESC_ON_STACK(desc, hmac);
	int ret;

	ret = crypto_shash_setkey(hmac, key, CPNS_KEY_LEN);
	if (ret)
		return ret;
	desc->tfm = hmac;
	ret = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, label, strlen(label)) ?:
	      crypto_shash_update(desc, a, alen) ?:
	      crypto_shash_update(desc, b, blen) ?:
	      crypto_shash_update(desc, &one, 1) ?:
	      crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	/*
	 * The transform outlives the call, and HMAC keeps its padded
	 * states: leave no key behind in it.
	 */
	crypto_shash_setkey(hmac, zero_key, CPNS_KEY_LEN);
	return ret;
}

/* Scratch for the small wrap open: aad D || id, then GKEK and tag. */
struct wrap_buf {
	u8 nonce[GK_NONCE_LEN];
	u8 aad[SHA256_DIGEST_SIZE + CS_ID_LEN];
	u8 ct[CPNS_KEY_LEN + GK_TAG_LEN];
	u8 wk[CPNS_KEY_LEN];
};

/* gcm_open() reads aad and ct as one buffer. */
static_assert(offsetof(struct wrap_buf, ct) ==
	      offsetof(struct wrap_buf, aad) + sizeof_field(struct wrap_buf, aad));

static int open_blob(struct cpns_net *cn, const u8 *blob, size_t len,
		     const struct gk_hdr *h, const u8 *node_key, size_t i,
		     u8 *gk)
{
	const u8 *w = blob + h->wraps_off + i * GK_WRAP_LEN;
	const u8 *s = blob + h->seal_off;
	struct wrap_buf *wb;
	u8 *seal;
	int ret;

	wb = kzalloc(sizeof(*wb), GFP_KERNEL);
	seal = kvmalloc(h->seal_off + CPNS_KEY_LEN + GK_TAG_LEN +
			GK_NONCE_LEN, GFP_KERNEL);
	if (!wb || !seal) {
		ret = -ENOMEM;
		goto out;
	}

	sha256(blob, h->wraps_off, wb->aad);
	memcpy(wb->aad + SHA256_DIGEST_SIZE, blob + GK_HDR_LEN + i * CS_ID_LEN,
	       CS_ID_LEN);
	/* WK = HKDF-Expand(node key, "cpns-v1 wrap" || D || id, 32). */
	ret = cpns_hkdf_expand(cn->hmac, node_key, LABEL_WRAP, wb->aad,
			       SHA256_DIGEST_SIZE, wb->aad + SHA256_DIGEST_SIZE,
			       CS_ID_LEN, wb->wk);
	if (ret)
		goto out;
	memcpy(wb->nonce, w, GK_NONCE_LEN);
	memcpy(wb->ct, w + GK_NONCE_LEN, CPNS_KEY_LEN + GK_TAG_LEN);
	ret = gcm_open(cn->aead, wb->wk, wb->nonce, wb->aad,
		       sizeof(wb->aad), sizeof(wb->ct));
	if (ret == -EBADMSG)
		ret = CPNS_KE_WRAP_AUTH;
	if (ret)
		goto out;

	/* The seal: aad is every byte before it; GKEK is in wb->ct. */
	memcpy(seal, blob, h->seal_off);
	memcpy(seal + h->seal_off, s + GK_NONCE_LEN, CPNS_KEY_LEN + GK_TAG_LEN);
	memcpy(seal + h->seal_off + CPNS_KEY_LEN + GK_TAG_LEN, s, GK_NONCE_LEN);
	ret = gcm_open(cn->aead, wb->ct, seal + h->seal_off + CPNS_KEY_LEN +
		       GK_TAG_LEN, seal, h->seal_off, CPNS_KEY_LEN + GK_TAG_LEN);
	if (ret == -EBADMSG)
		ret = CPNS_KE_SEAL_AUTH;
	if (!ret)
		memcpy(gk, seal + h->seal_off, CPNS_KEY_LEN);
out:
	if (seal) {
		memzero_explicit(seal + h->seal_off, CPNS_KEY_LEN);
		kvfree(seal);
	}
	kfree_sensitive(wb);
	/* The transform outlives this call: leave no GKEK schedule in it. */
	crypto_aead_setkey(cn->aead, zero_key, CPNS_KEY_LEN);
	return ret;
}

/**
 * cpns_unwrap() - open an encrypted Group Key with this node's GKDK
 * @cn: the namespace, locked
 * @g: the group it must be for; refusals count there and namespace-wide
 * @blob: the encrypted Group Key
 * @len: its length
 * @p: in: the request's clock reading; out: epoch, gateway, expiry and
 *	source of the key
 * @key: out: the Group Key, CPNS_KEY_LEN bytes; the caller wipes it
 * @extack: why it was refused, with the reference's message
 *
 * Return: 0, or the errno of the refusal (see kerr.c), -ENOKEY when no
 * GKDK of the blob's gateway is stored, or -ENOMEM.
 */
int cpns_unwrap(struct cpns_net *cn, struct cpns_group *g, const u8 *blob,
		size_t len, struct cpns_key_params *p, u8 *key,
		struct netlink_ext_ack *extack)
{
	struct cpns_gkdk *gk;
	struct gk_hdr h;
	time64_t now;
	long i;
	int ret;

	lockdep_assert_held(&cn->lock);

	ret = parse(blob, len, &h);
	if (ret) {
		count(&cn->stats.refused_malformed, &g->stats.refused_malformed);
		return cpns_kerr(extack, ret);
	}
	gk = cpns_gkdk_find(cn, h.gateway_id);
	if (!gk) {
		count(&cn->stats.refused_no_gkdk, &g->stats.refused_no_gkdk);
		NL_SET_ERR_MSG_MOD(extack, "no GKDK for the blob's gateway");
		return -ENOKEY;
	}
	if (gk->scheme != CPNS_SCHEME_CS)
		ret = CPNS_KE_GKDK_SCHEME;
	else if (gk->set_id != h.set_id)
		ret = CPNS_KE_GKDK_KEYSET;
	else if (gk->height != h.height)
		ret = CPNS_KE_GKDK_HEIGHT;
	else if (h.group_id != g->id)
		ret = CPNS_KE_GROUP;
	if (ret) {
		count(&cn->stats.refused_malformed, &g->stats.refused_malformed);
		return cpns_kerr(extack, ret);
	}
	/* An older epoch is a replay: refuse it before any cryptography. */
	if (g->has_epoch && h.epoch < g->high_epoch) {
		count(&cn->stats.refused_stale, &g->stats.refused_stale);
		return cpns_kerr(extack, CPNS_KE_STALE_EPOCH);
	}
	now = p->now;
	if (now < 0 || (u64)now < h.valid_from) {
		count(&cn->stats.refused_expired, &g->stats.refused_expired);
		return cpns_kerr(extack, CPNS_KE_NOT_YET_VALID);
	}
	if ((u64)now >= h.valid_until) {
		count(&cn->stats.refused_expired, &g->stats.refused_expired);
		return cpns_kerr(extack, CPNS_KE_EXPIRED);
	}
	i = find(h.height, blob, h.count, gk->slot);
	if (i < 0) {
		count(&cn->stats.refused_not_member, &g->stats.refused_not_member);
		return cpns_kerr(extack, CPNS_KE_NOT_MEMBER);
	}

	ret = cpns_crypto_get(cn);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "gcm(aes) or hmac(sha256) unavailable");
		return ret;
	}
	ret = open_blob(cn, blob, len, &h,
			gk->keys[h.height - node_depth(id_at(blob, i))], i, key);
	if (ret > 0) {
		count(&cn->stats.decrypt_failures, &g->stats.decrypt_failures);
		return cpns_kerr(extack, ret);
	}
	if (ret)
		return ret;

	p->epoch = h.epoch;
	p->gateway_id = h.gateway_id;
	p->source = CPNS_KEY_SOURCE_WRAPPED;
	p->expires = min_t(u64, h.valid_until, TIME64_MAX);
	return 0;
}

void cpns_unwrap_net_exit(struct cpns_net *cn)
{
	crypto_free_aead(cn->aead);
	crypto_free_shash(cn->hmac);
}
