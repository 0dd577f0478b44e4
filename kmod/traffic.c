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

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <asm/simd.h>
#include <crypto/internal/simd.h>
#include <linux/hash.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "compat.h"
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
 * new key and INFO_GET look again (aesni_intel may come after this
 * module).  Nobody waits for a probe: whoever finds one running uses
 * what is known.
 */
#define SIMD_TYPE	CRYPTO_ALG_INTERNAL
#define SIMD_MASK	(CRYPTO_ALG_INTERNAL | CRYPTO_ALG_ASYNC | CRYPTO_NOLOAD)
#define SIMD_NAME	"__gcm(aes)"

static struct {
	struct mutex lock;	/* held by the one probe running */
	char sync[CRYPTO_MAX_ALG_NAME];	/* driver of the synchronous one */
	char simd[CRYPTO_MAX_ALG_NAME];	/* driver of the SIMD one */
	bool has_sync;		/* @sync is set, never changes again */
	bool has_simd;		/* @simd is set, never changes again */
} aead_impl = { .lock = __MUTEX_INITIALIZER(aead_impl.lock) };

/* Under aead_impl.lock: publish a name only once it is whole. */
static void aead_probe_locked(void)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *tfm;
	const char *drv;
	bool found;

	if (!aead_impl.has_sync) {
		tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
		if (IS_ERR(tfm))
			return;
		strscpy(aead_impl.sync,
			crypto_tfm_alg_driver_name(crypto_aead_tfm(tfm)),
			sizeof(aead_impl.sync));
		crypto_free_aead(tfm);
		/* The name before the flag: aead_driver() reads it after. */
		smp_store_release(&aead_impl.has_sync, true);
	}
	if (aead_impl.has_simd)
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
	if (!strcmp(crypto_tfm_alg_name(crypto_aead_tfm(tfm)), SIMD_NAME)) {
		strscpy(aead_impl.simd, name, sizeof(aead_impl.simd));
		/* The name before the flag: aead_driver() reads it after. */
		smp_store_release(&aead_impl.has_simd, true);
	}
	crypto_free_aead(tfm);
}

/* The driver the fast path uses into @name; true when it is SIMD. */
static bool aead_driver(char name[CRYPTO_MAX_ALG_NAME])
{
	bool simd, sync;

	/* Each flag is read before its name: see aead_probe_locked(). */
	simd = smp_load_acquire(&aead_impl.has_simd);
	if (!simd && mutex_trylock(&aead_impl.lock)) {
		aead_probe_locked();
		mutex_unlock(&aead_impl.lock);
		/* As above. */
		simd = smp_load_acquire(&aead_impl.has_simd);
	}
	/* As above. */
	sync = smp_load_acquire(&aead_impl.has_sync);
	strscpy(name, simd ? aead_impl.simd : sync ? aead_impl.sync : "",
		CRYPTO_MAX_ALG_NAME);
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

/*
 * Per-CPU scratch of the hooks, used with bottom halves off: the AEAD
 * request, so a datagram allocates none, and for a forwarded datagram
 * the scatterlists over its units and a page the plaintext is written
 * to, over and over, and thrown away.  A transform whose request does
 * not fit allocates per datagram instead.
 */
#define REQ_SPACE	1024
#define SG_MAX		(MAX_SKB_FRAGS + 2)
#define SINK_SG		(SZ_64K / PAGE_SIZE)	/* a unit is at most 64 KiB */

struct traffic_scratch {
	u8 req[REQ_SPACE] __aligned(CRYPTO_MINALIGN);
	struct scatterlist src[SG_MAX];
	struct scatterlist sink[SINK_SG];
	u8 page[PAGE_SIZE];
};

static DEFINE_PER_CPU(struct traffic_scratch *, traffic_scratch);

/* Replay tables */

static unsigned int window_words(u32 window)
{
	/* One word more than the window, so the oldest word is never live. */
	return roundup_pow_of_two(DIV_ROUND_UP(window, BITS_PER_LONG) + 1);
}

/* log2 of the sets of a table whose entries are @esize bytes. */
static unsigned int replay_set_bits(unsigned int esize)
{
	unsigned int n = clamp_t(unsigned int, CPNS_REPLAY_BUDGET / esize,
				 CPNS_SENDERS_MIN, CPNS_SENDERS_MAX);

	return ilog2(rounddown_pow_of_two(n / CPNS_REPLAY_WAYS));
}

static int replay_new(struct cpns_traffic *tr, u32 window)
{
	unsigned int i, sets;

	tr->window = window;
	tr->words = window_words(window);
	tr->esize = struct_size((struct cpns_sender *)NULL, bits, tr->words);
	tr->set_bits = replay_set_bits(tr->esize);
	sets = 1U << tr->set_bits;
	tr->locks = kcalloc(sets, sizeof(*tr->locks), GFP_KERNEL_ACCOUNT);
	tr->table = kvcalloc(sets * CPNS_REPLAY_WAYS, tr->esize,
			     GFP_KERNEL_ACCOUNT);
	if (!tr->locks || !tr->table)
		return -ENOMEM;
	for (i = 0; i < sets; i++)
		spin_lock_init(&tr->locks[i]);
	return 0;
}

static struct cpns_sender *replay_entry(struct cpns_traffic *tr,
					unsigned int set, unsigned int way)
{
	return (struct cpns_sender *)(tr->table + ((size_t)set *
				      CPNS_REPLAY_WAYS + way) * tr->esize);
}

/**
 * cpns_traffic_new() - fast-path state for a Group Key
 * @cn: the namespace, locked (its HMAC transform is used)
 * @g: the key's group, for its id and replay window
 * @gk: the Group Key
 * @epoch: its epoch
 *
 * Everything the fast path needs for the key is allocated here, in
 * process context, and charged to the caller's memory cgroup where the
 * API lets it (not the transforms: cpns_sel_prepare() bounds those).
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
	ret = replay_new(tr, g->replay_window);
	if (ret)
		goto err;
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
		tr->tfm = NULL;
		goto err;
	}
	tr->reqsize = crypto_aead_reqsize(tr->tfm);
	/*
	 * And the SIMD one where there is one; should it have gone since it
	 * was found (its module unloaded), the synchronous one serves alone.
	 */
	if (aead_driver(name)) {
		tr->simd = aead_new(name, SIMD_TYPE, SIMD_MASK, key);
		if (IS_ERR(tr->simd))
			tr->simd = NULL;
		else
			tr->reqsize = max(tr->reqsize,
					  crypto_aead_reqsize(tr->simd));
	}
	tr->reqsize += sizeof(struct aead_request) + NONCE_LEN;
	memzero_explicit(key, sizeof(key));
	tr->sender = get_random_u64();
	return tr;
err:
	memzero_explicit(key, sizeof(key));
	crypto_free_aead(tr->tfm);
	kfree(tr->locks);
	kvfree(tr->table);
	kfree(tr);
	return ERR_PTR(ret);
}

static void traffic_free_work(struct work_struct *work)
{
	struct cpns_traffic *tr = container_of(to_rcu_work(work),
					       struct cpns_traffic, free_work);

	/* Freeing a transform wipes its expanded key. */
	crypto_free_aead(tr->tfm);
	crypto_free_aead(tr->simd);
	kfree(tr->locks);
	kvfree(tr->table);
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
 * One AEAD operation, with bottom halves off: in this CPU's scratch
 * request when it fits, else in one allocated for it.  The request holds
 * cipher state of the key and is wiped either way.
 */
static int traffic_aead(struct cpns_traffic *tr, struct scatterlist *src,
			struct scatterlist *dst, unsigned int len,
			const u8 *nonce, bool seal)
{
	struct crypto_aead *tfm = tr->simd && crypto_simd_usable() ?
				  tr->simd : tr->tfm;
	struct traffic_scratch *sc = this_cpu_read(traffic_scratch);
	bool heap = tr->reqsize > REQ_SPACE;
	struct aead_request *req;
	u8 *iv;
	int ret;

	req = heap ? kmalloc(tr->reqsize, GFP_ATOMIC) :
		     (struct aead_request *)sc->req;
	if (!req)
		return -ENOMEM;
	iv = (u8 *)(req + 1) + crypto_aead_reqsize(tfm);
	memcpy(iv, nonce, NONCE_LEN);
	aead_request_set_tfm(req, tfm);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_crypt(req, src, dst, len, iv);
	aead_request_set_ad(req, CPNS_WIRE_HDR_LEN);
	ret = seal ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	if (heap)
		kfree_sensitive(req);
	else
		memzero_explicit(req, tr->reqsize);
	return ret;
}

/*
 * AES-256-GCM over a linear @wire: the header as associated data, then
 * @len bytes to seal or open in place (an open's @len includes the tag).
 */
static int traffic_crypt(struct cpns_traffic *tr, u8 *wire, unsigned int len,
			 bool seal)
{
	struct scatterlist sg;
	int ret;

	sg_init_one(&sg, wire, CPNS_WIRE_HDR_LEN + len +
		    (seal ? CPNS_WIRE_TAG_LEN : 0));
	local_bh_disable();
	ret = traffic_aead(tr, &sg, &sg, len, wire + NONCE_OFF, seal);
	local_bh_enable();
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
	return traffic_crypt(tr, wire, len, true);
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
	return traffic_crypt(tr, wire, len, false);
}

/**
 * cpns_traffic_verify() - check a sealed unit's tag, leaving it as is
 * @tr: the key's state
 * @skb: the datagram, linear or not
 * @off: offset of the unit's wire header in @skb
 * @h: a copy of that header
 * @len: the unit's ciphertext and tag length
 *
 * For datagrams forwarded sealed: read through a scatterlist over the
 * skb, the plaintext written to a per-CPU page and dropped.  Softirq.
 *
 * Return: 0, -EBADMSG when the tag does not verify, or another errno.
 */
int cpns_traffic_verify(struct cpns_traffic *tr, struct sk_buff *skb,
			unsigned int off, const struct cpns_wire_hdr *h,
			unsigned int len)
{
	unsigned int out = CPNS_WIRE_HDR_LEN + len - CPNS_WIRE_TAG_LEN;
	struct traffic_scratch *sc;
	unsigned int i, n;
	int ret;

	local_bh_disable();
	sc = this_cpu_read(traffic_scratch);
	sg_init_table(sc->src, SG_MAX);
	ret = skb_to_sgvec_nomark(skb, sc->src, off, CPNS_WIRE_HDR_LEN + len);
	if (ret < 0)
		goto out;
	sg_mark_end(&sc->src[ret - 1]);
	n = DIV_ROUND_UP(out, PAGE_SIZE);
	sg_init_table(sc->sink, n);
	for (i = 0; i < n; i++)
		sg_set_buf(&sc->sink[i], sc->page,
			   min_t(unsigned int, out - i * PAGE_SIZE,
				 PAGE_SIZE));
	ret = traffic_aead(tr, sc->src, sc->sink, len,
			   (const u8 *)h + NONCE_OFF, false);
	memzero_explicit(sc->page, min_t(unsigned int, out, PAGE_SIZE));
out:
	local_bh_enable();
	return ret;
}

static bool window_accept(struct cpns_sender *s, unsigned int words,
			  u32 window, u32 seq)
{
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

/*
 * The entry of @id in its set, or a new one for it: a free entry, else
 * the one heard least recently, which forgets that sender's window.
 */
static struct cpns_sender *sender_get(struct cpns_traffic *tr,
				      unsigned int set, u64 id)
{
	struct cpns_sender *s, *victim = NULL;
	unsigned int way;

	for (way = 0; way < CPNS_REPLAY_WAYS; way++) {
		s = replay_entry(tr, set, way);
		if (s->heard && s->id == id)
			return s;
		if (!victim || !s->heard ||
		    (victim->heard && (s32)(s->heard - victim->heard) < 0))
			victim = s;
	}
	memset(victim, 0, tr->esize);
	victim->id = id;
	return victim;
}

/**
 * cpns_traffic_replay() - record a datagram's sequence number
 * @tr: the key's state
 * @sender: the header's sender id
 * @seq: the header's sequence number, >= 1
 *
 * Called after the datagram opened, so only holders of the key can add
 * senders.  Senders are spread over sets, each with its own lock.
 *
 * Return: 0 for a fresh number, -EALREADY for a replayed or too old one.
 */
int cpns_traffic_replay(struct cpns_traffic *tr, u64 sender, u32 seq)
{
	unsigned int set = hash_64(sender, tr->set_bits);
	struct cpns_sender *s;
	int ret = 0;

	spin_lock_bh(&tr->locks[set]);
	s = sender_get(tr, set, sender);
	if (window_accept(s, tr->words, tr->window, seq))
		s->heard = (u32)jiffies | 1;
	else
		ret = -EALREADY;
	spin_unlock_bh(&tr->locks[set]);
	return ret;
}

static void scratch_free(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		kfree(per_cpu(traffic_scratch, cpu));
		per_cpu(traffic_scratch, cpu) = NULL;
	}
}

/*
 * Until a template instance such as "gcm(aes)" (gcm over ctr(aes) and
 * ghash) is registered, each allocation of it asks modprobe first: the
 * first keys of a gateway's PNEs after a boot, all at once, ran modprobe
 * twice each, a second of CPU apiece under TCG.  Made here once, they
 * stay registered for everyone's later allocations; should one fail, the
 * first key pays as before.
 */
static void __init crypto_warm(void)
{
	char name[CRYPTO_MAX_ALG_NAME];
	struct crypto_shash *hmac;

	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (!IS_ERR(hmac))
		crypto_free_shash(hmac);
	/* Its probe makes the synchronous and the default gcm(aes). */
	aead_driver(name);
}

int __init cpns_traffic_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		per_cpu(traffic_scratch, cpu) =
			kmalloc_node(sizeof(struct traffic_scratch),
				     GFP_KERNEL, cpu_to_node(cpu));
		if (!per_cpu(traffic_scratch, cpu))
			goto err;
	}
	traffic_wq = alloc_workqueue("cpns_traffic", 0, 0);
	if (!traffic_wq)
		goto err;
	crypto_warm();
	return 0;
err:
	scratch_free();
	return -ENOMEM;
}

void cpns_traffic_exit(void)
{
	/* ORDER: after rcu_barrier(), so every free_work is queued. */
	destroy_workqueue(traffic_wq);
	scratch_free();
}
