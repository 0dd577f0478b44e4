// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: the per-key state of the fast path: the traffic key's AEAD, this
 * node's sender id and sequence number, and the replay windows of the
 * senders heard under the key (Documentation/fastpath.rst).
 *
 * Only keys of groups with a traffic selector carry it; it is made in
 * process context at install and freed in process context after an RCU
 * grace period, since freeing a transform may sleep.
 */

#include <asm/unaligned.h>
#include <crypto/aead.h>
#include <asm/simd.h>
#include <crypto/internal/simd.h>
#include <linux/hash.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "cpns.h"

#define LABEL_TRAFFIC	"cpns-v1 traffic"
#define NONCE_LEN	12
/* The nonce is the header's last twelve bytes: sender || seq. */
#define NONCE_OFF	(CPNS_WIRE_HDR_LEN - NONCE_LEN)

static struct workqueue_struct *traffic_wq;

/*
 * The synchronous gcm(aes) is generic code on x86 (ghash-generic): the
 * fast implementations are SIMD and registered as internal algorithms
 * behind an asynchronous wrapper, which would make the hooks complete
 * datagrams later, out of line.  Like that wrapper, the fast path calls
 * the internal one directly where crypto_simd_usable() allows, and the
 * synchronous one elsewhere.  The internal one is found by driver name,
 * without loading a module; once found it is kept, and until then each
 * new key looks again (aesni_intel may come after this module).
 */
#define SIMD_TYPE	CRYPTO_ALG_INTERNAL
#define SIMD_MASK	(CRYPTO_ALG_INTERNAL | CRYPTO_ALG_ASYNC | CRYPTO_NOLOAD)
#define SIMD_NAME	"__gcm(aes)"

static struct {
	struct mutex lock;	/* serialises probes, guards the names */
	char sync[CRYPTO_MAX_ALG_NAME];	/* driver of the synchronous one */
	char simd[CRYPTO_MAX_ALG_NAME];	/* driver of the SIMD one, or "" */
} aead_impl = { .lock = __MUTEX_INITIALIZER(aead_impl.lock) };

/* Under aead_impl.lock. */
static void aead_probe(void)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *tfm;
	const char *drv;
	bool found;

	if (!aead_impl.sync[0]) {
		tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
		if (IS_ERR(tfm))
			return;
		strscpy(aead_impl.sync,
			crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm)),
			sizeof(aead_impl.sync));
		crypto_free_aead(tfm);
	}
	if (aead_impl.simd[0])
		return;

	/*
	 * A SIMD wrapper "X" stands for the internal "__X".  A name with a
	 * template in it is no such wrapper, and looking it up could load
	 * a module.
	 */
	tfm = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(tfm))
		return;
	drv = crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm));
	found = crypto_aead_alg(tfm)->base.cra_flags & CRYPTO_ALG_ASYNC &&
		!strchr(drv, '(') &&
		snprintf(name, sizeof(name), "__%s", drv) < sizeof(name);
	crypto_free_aead(tfm);
	if (!found)
		return;
	tfm = crypto_alloc_aead(name, SIMD_TYPE, SIMD_MASK);
	if (IS_ERR(tfm))
		return;
	if (!strcmp(crypto_tfm_alg_name(crypto_aead_tfm(tfm)), SIMD_NAME))
		strscpy(aead_impl.simd, name, sizeof(aead_impl.simd));
	crypto_free_aead(tfm);
}

/* The driver the fast path uses into @name; true when it is SIMD. */
static bool aead_driver(char name[CRYPTO_MAX_ALG_NAME])
{
	bool simd;

	mutex_lock(&aead_impl.lock);
	aead_probe();
	simd = aead_impl.simd[0];
	strscpy(name, simd ? aead_impl.simd : aead_impl.sync,
		CRYPTO_MAX_ALG_NAME);
	mutex_unlock(&aead_impl.lock);
	return simd;
}

/**
 * cpns_traffic_aead() - the driver the fast path seals and opens with
 * @name: out, the SIMD driver's name when there is one, else the
 *	synchronous one's, "" when gcm(aes) is not available
 *
 * Process context.
 */
void cpns_traffic_aead(char name[CRYPTO_MAX_ALG_NAME])
{
	aead_driver(name);
}

static struct crypto_aead *aead_new(const char *name, u32 type, u32 mask,
				    const u8 *key)
{
	struct crypto_aead *tfm = crypto_alloc_aead(name, type, mask);
	int ret;

	if (IS_ERR(tfm))
		return tfm;
	ret = crypto_aead_setkey(tfm, key, CPNS_KEY_LEN) ?:
	      crypto_aead_setauthsize(tfm, CPNS_WIRE_TAG_LEN);
	if (ret) {
		crypto_free_aead(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

/**
 * cpns_traffic_new() - fast-path state for a Group Key
 * @cn: the namespace, locked (its HMAC transform is used)
 * @g: the key's group, for its id and replay window
 * @gk: the Group Key
 * @epoch: its epoch
 *
 * Return: the state or an ERR_PTR().
 */
struct cpns_traffic *cpns_traffic_new(struct cpns_net *cn,
				      const struct cpns_group *g,
				      const u8 *gk, u64 epoch)
{
	__be64 be_epoch = cpu_to_be64(epoch);
	__be32 be_group = cpu_to_be32(g->id);
	char name[CRYPTO_MAX_ALG_NAME];
	struct cpns_traffic *tr;
	u8 key[CPNS_KEY_LEN];
	int ret;

	lockdep_assert_held(&cn->lock);

	ret = cpns_crypto_get(cn);
	if (ret)
		return ERR_PTR(ret);
	tr = kzalloc(sizeof(*tr), GFP_KERNEL_ACCOUNT);
	if (!tr)
		return ERR_PTR(-ENOMEM);
	/*
	 * K = HKDF-Expand(Group Key, "cpns-v1 traffic" || group || epoch):
	 * binding group and epoch keeps the traffic key apart from the
	 * Group Key and from other groups' keys.
	 */
	ret = cpns_hkdf_expand(cn->hmac, gk, LABEL_TRAFFIC, &be_group,
			       sizeof(be_group), &be_epoch, sizeof(be_epoch),
			       key);
	if (ret)
		goto err;
	/*
	 * Synchronous implementations: the hooks run in softirq and finish
	 * each datagram before they return.
	 */
	tr->tfm = aead_new("gcm(aes)", 0, CRYPTO_ALG_ASYNC, key);
	if (IS_ERR(tr->tfm)) {
		ret = PTR_ERR(tr->tfm);
		goto err;
	}
	/*
	 * And the SIMD one where there is one; should it have gone since it
	 * was found (its module unloaded), the synchronous one serves alone.
	 */
	if (aead_driver(name)) {
		tr->simd = aead_new(name, SIMD_TYPE, SIMD_MASK, key);
		if (IS_ERR(tr->simd))
			tr->simd = NULL;
	}
	memzero_explicit(key, sizeof(key));
	tr->sender = get_random_u64();
	tr->window = g->replay_window;
	spin_lock_init(&tr->lock);
	return tr;
err:
	memzero_explicit(key, sizeof(key));
	kfree(tr);
	return ERR_PTR(ret);
}

static void traffic_free_work(struct work_struct *work)
{
	struct cpns_traffic *tr = container_of(to_rcu_work(work),
					       struct cpns_traffic, free_work);
	struct cpns_sender *s;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tr->senders); i++)
		hlist_for_each_entry_safe(s, tmp, &tr->senders[i], node)
			kfree(s);
	/* Freeing a transform wipes its expanded key. */
	crypto_free_aead(tr->tfm);
	crypto_free_aead(tr->simd);
	kfree_sensitive(tr);
}

/**
 * cpns_traffic_free() - free after the fast path's readers are gone
 * @tr: the state, unreachable from new readers; NULL is fine
 */
void cpns_traffic_free(struct cpns_traffic *tr)
{
	if (!tr)
		return;
	INIT_RCU_WORK(&tr->free_work, traffic_free_work);
	queue_rcu_work(traffic_wq, &tr->free_work);
}

/*
 * AES-256-GCM over @wire: the header as associated data, then @len bytes
 * to seal or open (an open's @len includes the tag), in place, or for an
 * open into @out (header, then plaintext) when @out is not NULL.
 */
static int traffic_crypt(struct cpns_traffic *tr, u8 *wire, unsigned int len,
			 bool seal, u8 *out)
{
	struct crypto_aead *tfm = tr->simd && crypto_simd_usable() ?
				  tr->simd : tr->tfm;
	struct scatterlist sg, sg_out;
	struct aead_request *req;
	u8 *iv;
	int ret;

	req = kmalloc(sizeof(*req) + crypto_aead_reqsize(tfm) + NONCE_LEN,
		      GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	iv = (u8 *)(req + 1) + crypto_aead_reqsize(tfm);
	memcpy(iv, wire + NONCE_OFF, NONCE_LEN);

	sg_init_one(&sg, wire, CPNS_WIRE_HDR_LEN + len +
		    (seal ? CPNS_WIRE_TAG_LEN : 0));
	if (out)
		sg_init_one(&sg_out, out, CPNS_WIRE_HDR_LEN + len -
			    CPNS_WIRE_TAG_LEN);
	aead_request_set_tfm(req, tfm);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_crypt(req, &sg, out ? &sg_out : &sg, len, iv);
	aead_request_set_ad(req, CPNS_WIRE_HDR_LEN);
	ret = seal ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	kfree_sensitive(req);
	return ret;
}

/**
 * cpns_traffic_seal() - seal a datagram's payload under this key
 * @tr: the key's state
 * @wire: the wire header, then @len bytes of payload, then room for the tag
 * @len: payload length
 *
 * Fills the header's sender and sequence number.
 *
 * Return: 0, -ERANGE when the sequence numbers are used up (the key must
 * be replaced), or a crypto errno.
 */
int cpns_traffic_seal(struct cpns_traffic *tr, u8 *wire, unsigned int len)
{
	struct cpns_wire_hdr *h = (struct cpns_wire_hdr *)wire;
	u64 seq = atomic64_inc_return(&tr->seq);

	/* Never wrap: a repeated nonce would give away the traffic key. */
	if (seq > U32_MAX) {
		atomic64_set(&tr->seq, U32_MAX);
		return -ERANGE;
	}
	put_unaligned_be64(tr->sender, &h->sender);
	put_unaligned_be32(seq, &h->seq);
	return traffic_crypt(tr, wire, len, true, NULL);
}

/**
 * cpns_traffic_open() - open a sealed datagram in place
 * @tr: the key's state
 * @wire: the wire header, then @len bytes of ciphertext and tag
 * @len: ciphertext and tag length
 *
 * Return: 0, -EBADMSG when the tag does not verify, or another errno.
 */
int cpns_traffic_open(struct cpns_traffic *tr, u8 *wire, unsigned int len)
{
	return traffic_crypt(tr, wire, len, false, NULL);
}

/**
 * cpns_traffic_verify() - check a sealed datagram's tag, leaving it as is
 * @tr: the key's state
 * @wire: the wire header, then @len bytes of ciphertext and tag
 * @len: ciphertext and tag length
 *
 * For datagrams forwarded sealed: the plaintext goes to a scratch buffer
 * that is wiped.
 *
 * Return: 0, -EBADMSG when the tag does not verify, or another errno.
 */
int cpns_traffic_verify(struct cpns_traffic *tr, const u8 *wire,
			unsigned int len)
{
	unsigned int outlen = CPNS_WIRE_HDR_LEN + len - CPNS_WIRE_TAG_LEN;
	u8 *out;
	int ret;

	/* Up to 64 KiB for a GSO datagram; its failure is counted. */
	out = kmalloc(outlen, GFP_ATOMIC | __GFP_NOWARN);
	if (!out)
		return -ENOMEM;
	/* The source is only read: the cast drops a const the API lacks. */
	ret = traffic_crypt(tr, (u8 *)wire, len, false, out);
	kfree_sensitive(out);
	return ret;
}

/* Replay windows: a ring of bitmap words indexed by seq / BITS_PER_LONG. */

static unsigned int window_words(u32 window)
{
	/* One word more than the window, so the oldest word is never live. */
	return roundup_pow_of_two(DIV_ROUND_UP(window, BITS_PER_LONG) + 1);
}

static struct cpns_sender *sender_find(struct cpns_traffic *tr, u64 id)
{
	struct cpns_sender *s;

	hlist_for_each_entry(s, &tr->senders[hash_64(id, CPNS_SENDER_BITS)],
			     node)
		if (s->id == id)
			return s;
	return NULL;
}

static bool window_accept(struct cpns_sender *s, u32 window, u32 seq)
{
	unsigned int words = window_words(window);
	unsigned long idx = seq / BITS_PER_LONG;
	unsigned long top = s->top / BITS_PER_LONG;
	unsigned long i, n;

	if (seq > s->top) {
		n = min_t(unsigned long, idx - top, words);
		for (i = 1; i <= n; i++)
			s->bits[(top + i) & (words - 1)] = 0;
		s->top = seq;
	} else if (!window || s->top - seq >= window) {
		return false;
	}
	return !__test_and_set_bit(seq % BITS_PER_LONG,
				   &s->bits[idx & (words - 1)]);
}

/**
 * cpns_traffic_replay() - record a datagram's sequence number
 * @tr: the key's state
 * @sender: the header's sender id
 * @seq: the header's sequence number, >= 1
 *
 * Called after the datagram opened, so only holders of the key can make
 * the table grow.
 *
 * Return: 0 for a fresh number, -EALREADY for a replayed or too old one,
 * -ENOSPC when the key heard CPNS_SENDERS_MAX senders already, -ENOMEM.
 */
int cpns_traffic_replay(struct cpns_traffic *tr, u64 sender, u32 seq)
{
	struct cpns_sender *s;
	int ret = 0;

	spin_lock_bh(&tr->lock);
	s = sender_find(tr, sender);
	if (!s) {
		if (tr->nsenders >= CPNS_SENDERS_MAX) {
			ret = -ENOSPC;
			goto out;
		}
		s = kzalloc(struct_size(s, bits, window_words(tr->window)),
			    GFP_ATOMIC);
		if (!s) {
			ret = -ENOMEM;
			goto out;
		}
		s->id = sender;
		hlist_add_head(&s->node,
			       &tr->senders[hash_64(sender, CPNS_SENDER_BITS)]);
		tr->nsenders++;
	}
	if (!window_accept(s, tr->window, seq))
		ret = -EALREADY;
out:
	spin_unlock_bh(&tr->lock);
	return ret;
}

int __init cpns_traffic_init(void)
{
	traffic_wq = alloc_workqueue("cpns_traffic", 0, 0);
	return traffic_wq ? 0 : -ENOMEM;
}

void cpns_traffic_exit(void)
{
	/* ORDER: after rcu_barrier(), so every free_work is queued. */
	destroy_workqueue(traffic_wq);
}
