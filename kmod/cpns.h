/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpns: internal declarations shared by the module's files.
 */
#ifndef _CPNS_H
#define _CPNS_H

#include <linux/crypto.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <linux/cpns.h>

#define CPNS_VERSION "0.1.0"

#define CPNS_DEFAULT_GRACE		30
#define CPNS_DEFAULT_REPLAY_WINDOW	64
#define CPNS_DEFAULT_EXPIRY_NOTICE	10

/* Counters; namespace-wide and per group.  Written under cpns_net.lock. */
struct cpns_counters {
	u64 installs;
	u64 installs_repeated;
	u64 refused_stale;
	u64 refused_conflict;
	u64 refused_malformed;
	u64 refused_no_gkdk;
	u64 refused_not_member;
	u64 refused_expired;
	u64 decrypt_failures;
	u64 retired;
	u64 expiries;
};

/*
 * Fast-path counters, per CPU: namespace-wide, and per group with a
 * traffic selector.  Written in softirq; summed by cpns_fp_stats_sum().
 */
struct cpns_fp_stats {
	u64_stats_t tx_sealed;
	u64_stats_t tx_no_key;
	u64_stats_t tx_dropped;
	u64_stats_t rx_opened;
	u64_stats_t rx_malformed;
	u64_stats_t rx_auth_failed;
	u64_stats_t rx_replayed;
	u64_stats_t rx_dropped;
	u64_stats_t key_missing;
	u64_stats_t fwd_verified;
	struct u64_stats_sync syncp;
};

/* The same counters as plain numbers. */
struct cpns_fp_totals {
	u64 tx_sealed;
	u64 tx_no_key;
	u64 tx_dropped;
	u64 rx_opened;
	u64 rx_malformed;
	u64 rx_auth_failed;
	u64 rx_replayed;
	u64 rx_dropped;
	u64 key_missing;
	u64 fwd_verified;
};

/*
 * Replay state per key: a set-associative table, preallocated at install
 * and charged to the installer's memory cgroup, so the fast path never
 * allocates for it.  A sender id maps to one set of CPNS_REPLAY_WAYS
 * entries; a new sender takes a free entry of its set, else the one heard
 * least recently.  The table holds CPNS_REPLAY_BUDGET bytes of entries,
 * but no fewer than CPNS_SENDERS_MIN and no more than CPNS_SENDERS_MAX.
 */
#define CPNS_REPLAY_WAYS	8
#define CPNS_REPLAY_BUDGET	16384
#define CPNS_SENDERS_MIN	64
#define CPNS_SENDERS_MAX	1024

/**
 * struct cpns_sender - replay state of one sender under one key
 * @id: the sender id of its datagrams
 * @heard: jiffies (low bit set) of its last fresh datagram; 0: entry free
 * @top: highest sequence number seen
 * @bits: ring of seen sequence numbers, cpns_traffic.words long
 */
struct cpns_sender {
	u64 id;
	u32 heard;
	u32 top;
	unsigned long bits[];
};

/**
 * struct cpns_traffic - fast-path state of a Group Key
 * @tfm: AES-256-GCM keyed with the traffic key, synchronous
 * @simd: the same with the SIMD implementation, for where
 *	crypto_simd_usable(); NULL when there is none
 * @reqsize: bytes of an AEAD request for either, with the nonce
 * @sender: this node's random sender id under the key
 * @seq: the last sequence number this node sealed with
 * @window: replay window, packets (0: strictly increasing)
 * @words: bitmap words of a sender's window
 * @esize: bytes of a struct cpns_sender with its bitmap
 * @set_bits: log2 of the number of sets
 * @locks: one per set, taken in softirq; each protects its set's entries
 * @table: the senders heard, sets of CPNS_REPLAY_WAYS entries: of the
 *	datagrams this node opened or forwarded (a unicast datagram is one
 *	or the other; multicast ones are not replay-checked when forwarded)
 * @free_work: frees this after an RCU grace period, in process context
 */
struct cpns_traffic {
	struct crypto_aead *tfm;
	struct crypto_aead *simd;
	unsigned int reqsize;
	u64 sender;
	atomic64_t seq;
	u32 window;
	unsigned int words;
	unsigned int esize;
	unsigned int set_bits;
	spinlock_t *locks;	/* one per set of @table; softirq */
	u8 *table;
	struct rcu_work free_work;
};

/**
 * struct cpns_key - one cached Group Key of a Service Group
 * @rcu: freed (and wiped) after a grace period
 * @epoch: key epoch
 * @installed: install time, Unix seconds (reported)
 * @expires: Unix seconds at which it is retired, 0 for never (reported)
 * @dead_at: cpns_clock() time at which it is retired; 0 for never
 * @notice_at: cpns_clock() time of the key-expiring event; 0 when none is
 *	due (no expiry, or already sent)
 * @retire_at: as previous key, cpns_clock() time its grace period ends
 * @gateway_id: the gateway whose GKDK opened it (wrapped keys)
 * @source: enum cpns_key_source
 * @tr: fast-path state, for groups with a traffic selector; else NULL
 * @fp: fingerprint, what replies carry instead of @key
 * @key: the Group Key
 *
 * Deadlines run on the boot-time clock, so stepping the wall clock can
 * neither stretch a grace period nor cut a lifetime short.
 */
struct cpns_key {
	struct rcu_head rcu;
	u64 epoch;
	time64_t installed;
	time64_t expires;
	time64_t dead_at;
	time64_t notice_at;
	time64_t retire_at;
	u64 gateway_id;
	struct cpns_traffic *tr;
	u8 source;
	u8 fp[CPNS_FINGERPRINT_LEN];
	u8 key[CPNS_KEY_LEN];
};

struct cpns_selector {
	u8 daddr[16] __aligned(4);	/* host bits clear */
	u16 family;		/* 0: no selector */
	u8 prefix_len;
	__be16 dport;
};

struct cpns_net;

/**
 * struct cpns_group - a Service Group, its policy and its keys
 * @id: Service Group id
 * @cn: the namespace state it belongs to
 * @cur: current key, RCU for the fast path, written under cn->lock
 * @prev: previous key, likewise
 * @high_epoch: highest epoch ever installed (valid when @has_epoch), so a
 *	retired epoch cannot come back
 * @has_epoch: a key was installed at least once
 * @dead: unlinked; the timer work must not touch it again
 * @grace: seconds the previous key stays
 * @lifetime: seconds a key lives, 0 for no limit
 * @replay_window: fast-path replay window, packets
 * @expiry_notice: seconds before expiry for the key-expiring event
 * @sel: fast-path traffic selector
 * @sel_node: in cpns_net.sel_hash or cpns_net.sel_any, when @sel is set
 * @fp: fast-path counters, when @sel is set
 * @missing_at: jiffies of the last key-missing event, for its rate limit
 * @work: retires keys and sends key-expiring events at their time
 * @stats: this group's counters, under cn->lock
 * @rcu: freed after a grace period
 */
struct cpns_group {
	u32 id;
	struct cpns_net *cn;
	struct cpns_key __rcu *cur;
	struct cpns_key __rcu *prev;
	u64 high_epoch;
	bool has_epoch;
	bool dead;
	u32 grace;
	u32 lifetime;
	u32 replay_window;
	u32 expiry_notice;
	struct cpns_selector sel;
	struct hlist_node sel_node;
	struct cpns_fp_stats __percpu *fp;
	unsigned long missing_at;
	struct delayed_work work;
	struct cpns_counters stats;
	struct rcu_head rcu;
};

/**
 * struct cpns_gkdk - a Group Key Decryption Key from one gateway
 * @list: in cpns_net.gkdks
 * @gateway_id: the gateway
 * @set_id: generation of the gateway's key material set
 * @slot: this node's slot
 * @scheme: enum cpns_scheme
 * @height: tree height h
 * @nkeys: keys held (h + 1 for the Complete Subtree scheme)
 * @fp: fingerprint of the encoding
 * @keys: keys[d] is the key of the ancestor d levels above the leaf
 */
struct cpns_gkdk {
	struct list_head list;
	u64 gateway_id;
	u32 set_id;
	u32 slot;
	u8 scheme;
	u8 height;
	u8 nkeys;
	u8 fp[CPNS_FINGERPRINT_LEN];
	u8 keys[CPNS_TREE_HEIGHT_MAX + 1][CPNS_KEY_LEN];
};

struct crypto_aead;
struct crypto_shash;

#define CPNS_SEL_BITS	6
/* Groups with a traffic selector per namespace: fastpath.c, sel_max(). */
#define CPNS_SEL_GROUPS_MAX		1024
#define CPNS_SEL_GROUPS_MAX_USERNS	16

/**
 * struct cpns_net - per network namespace state
 * @net: the namespace
 * @groups: Service Groups by id; RCU readers, writers under @lock
 * @gkdks: GKDKs, under @lock
 * @ngkdks: entries of @gkdks
 * @ngroups: entries of @groups
 * @nkeys: cached keys of all groups
 * @gen: bumped on every change of groups, keys or GKDKs, for dump
 *	consistency
 * @stats: namespace-wide counters
 * @aead: gcm(aes) for unwrapping, allocated on first use, under @lock
 * @hmac: hmac(sha256) for wrap- and traffic-key derivation, likewise
 * @fp: fast-path counters of the namespace
 * @sel_hash: groups with a selector for one port, by port; RCU readers
 * @sel_any: groups with a selector for any port; RCU readers
 * @nsel: groups with a selector
 * @hooks: the fast path's netfilter hooks are registered
 */
struct cpns_net {
	/* Serialises every writer of this namespace's state and the use of
	 * the unwrap transforms; readers on the fast path use RCU instead.
	 */
	struct mutex lock;
	struct net *net;
	struct xarray groups;
	struct list_head gkdks;
	unsigned int ngkdks;
	u64 ngroups;
	u64 nkeys;
	unsigned long gen;
	struct cpns_counters stats;
	struct crypto_aead *aead;
	struct crypto_shash *hmac;
	struct cpns_fp_stats __percpu *fp;
	struct hlist_head sel_hash[1 << CPNS_SEL_BITS];
	struct hlist_head sel_any;
	unsigned int nsel;
	bool hooks;
};

struct cpns_net *cpns_net(const struct net *net);

/* netlink.c */
int cpns_netlink_init(void);
void cpns_netlink_exit(void);
void cpns_notify_key(struct cpns_net *cn, u8 cmd, const struct cpns_group *g,
		     const struct cpns_key *k, u32 reason);
void cpns_notify_gkdk(struct cpns_net *cn, u8 cmd,
		      const struct cpns_gkdk *gk);
void cpns_notify_key_missing(struct cpns_net *cn, u32 group_id,
			     const u64 *epoch);

/* keys.c */
struct cpns_group_params {
	u32 id;
	u32 grace;
	u32 lifetime;
	u32 replay_window;
	u32 expiry_notice;
	struct cpns_selector sel;
};

struct cpns_key_params {
	time64_t now;		/* one wall clock reading for the request */
	u32 group_id;
	u64 epoch;
	u8 source;
	u64 gateway_id;
	time64_t expires;	/* from a wrapped key's validity; 0: none */
	u32 lifetime;		/* 0: the group's */
	const u8 *key;
};

void cpns_keys_net_init(struct cpns_net *cn);
void cpns_keys_net_exit(struct cpns_net *cn);
int cpns_group_new(struct cpns_net *cn, const struct cpns_group_params *p,
		   struct netlink_ext_ack *extack);
int cpns_group_del(struct cpns_net *cn, u32 id,
		   struct netlink_ext_ack *extack);
struct cpns_group *cpns_group_find(struct cpns_net *cn, u32 id);
int cpns_key_install(struct cpns_net *cn, const struct cpns_key_params *p,
		     struct cpns_key **installed,
		     struct netlink_ext_ack *extack);
int cpns_key_del(struct cpns_net *cn, u32 group_id, u64 epoch,
		 struct netlink_ext_ack *extack);
int cpns_keys_init(void);
void cpns_keys_flush(void);
void cpns_keys_exit(void);

/* gkdk.c */
int cpns_gkdk_set(struct cpns_net *cn, const u8 *data, size_t len,
		  struct netlink_ext_ack *extack);
int cpns_gkdk_del(struct cpns_net *cn, u64 gateway_id,
		  struct netlink_ext_ack *extack);
struct cpns_gkdk *cpns_gkdk_find(struct cpns_net *cn, u64 gateway_id);
void cpns_gkdk_net_exit(struct cpns_net *cn);

/* unwrap.c */
int cpns_unwrap(struct cpns_net *cn, struct cpns_group *g, const u8 *blob,
		size_t len, struct cpns_key_params *p, u8 *key,
		struct netlink_ext_ack *extack);
void cpns_unwrap_net_exit(struct cpns_net *cn);
int cpns_crypto_get(struct cpns_net *cn);
int cpns_hkdf_expand(struct crypto_shash *hmac, const u8 *key,
		     const char *label, const void *a, size_t alen,
		     const void *b, size_t blen, u8 *out);

/* traffic.c */
struct cpns_traffic *cpns_traffic_new(struct cpns_net *cn,
				      const struct cpns_group *g,
				      const u8 *gk, u64 epoch);
void cpns_traffic_free(struct cpns_traffic *tr);
void cpns_traffic_aead(char name[CRYPTO_MAX_ALG_NAME]);
int cpns_traffic_seal(struct cpns_traffic *tr, u8 *wire, unsigned int len);
int cpns_traffic_open(struct cpns_traffic *tr, u8 *wire, unsigned int len);
int cpns_traffic_verify(struct cpns_traffic *tr, struct sk_buff *skb,
			unsigned int off, const struct cpns_wire_hdr *h,
			unsigned int len);
int cpns_traffic_replay(struct cpns_traffic *tr, u64 sender, u32 seq);
int cpns_traffic_init(void);
void cpns_traffic_exit(void);

/* fastpath.c */
int cpns_fastpath_net_init(struct cpns_net *cn);
void cpns_fastpath_net_exit(struct cpns_net *cn);
int cpns_sel_prepare(struct cpns_net *cn, struct cpns_group *g,
		     struct netlink_ext_ack *extack);
void cpns_sel_link(struct cpns_net *cn, struct cpns_group *g);
void cpns_sel_del(struct cpns_net *cn, struct cpns_group *g);
void cpns_fp_stats_sum(struct cpns_fp_stats __percpu *fp,
		       struct cpns_fp_totals *t);

/* fingerprint.c */
void cpns_fingerprint(const char *label, const void *data, size_t len,
		      u8 fp[CPNS_FINGERPRINT_LEN]);

#define CPNS_LABEL_GK_FP	"cpns-v1 gk fingerprint"
#define CPNS_LABEL_GKDK_FP	"cpns-v1 gkdk fingerprint"

#endif /* _CPNS_H */
