// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: the generic netlink family "cpns", its policies and handlers.
 *
 * Documentation/netlink/specs/cpns.yaml is the contract; the policies
 * below carry its checks (selftests/cpns/ynl_policy.sh compares what the
 * kernel reports of them with it).
 * Key bytes only ever come in: replies and events carry fingerprints.
 */

#include <linux/crypto.h>
#include <linux/socket.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "cpns.h"

static const u32 cpns_schemes[] = { CPNS_SCHEME_CS };
static const u32 cpns_ciphers[] = { CPNS_CIPHER_AES256_GCM };

/* Policies, one per command; what is not listed is refused. */

static const struct nla_policy gkdk_set_policy[CPNS_A_GKDK_MAX + 1] = {
	[CPNS_A_GKDK_DATA] = NLA_POLICY_RANGE(NLA_BINARY, CPNS_GKDK_MIN_LEN,
					      CPNS_GKDK_MAX_LEN),
};

static const struct nla_policy gkdk_id_policy[CPNS_A_GKDK_MAX + 1] = {
	[CPNS_A_GKDK_GATEWAY_ID] = { .type = NLA_U64 },
};

static const struct nla_policy selector_policy[CPNS_A_SELECTOR_MAX + 1] = {
	[CPNS_A_SELECTOR_FAMILY] = { .type = NLA_U16 },
	[CPNS_A_SELECTOR_DADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[CPNS_A_SELECTOR_PREFIX_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	/*
	 * Big-endian, but NLA_U16: it validates the same (two bytes, no
	 * range), and 6.1's policy dump has no case for NLA_BE16, so
	 * CTRL_CMD_GETPOLICY would not show that dport is taken at all.
	 */
	[CPNS_A_SELECTOR_DPORT] = { .type = NLA_U16 },
};

/*
 * NLA_POLICY_MAX() and NLA_POLICY_RANGE() hold s16 bounds (a larger one
 * WARNs at validation); larger bounds need a range struct, which 6.1
 * takes by non-const pointer.
 */
static struct netlink_range_validation grace_range = { .max = 604800 };

static struct netlink_range_validation lifetime_range = { .max = 31536000 };

static struct netlink_range_validation notice_range = { .max = 86400 };

static struct netlink_range_validation wrapped_range = {
	.min = CPNS_WRAPPED_MIN_LEN,
	.max = CPNS_WRAPPED_MAX_LEN,
};

static const struct nla_policy group_new_policy[CPNS_A_GROUP_MAX + 1] = {
	[CPNS_A_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_GROUP_GRACE] = NLA_POLICY_FULL_RANGE(NLA_U32, &grace_range),
	[CPNS_A_GROUP_LIFETIME] = NLA_POLICY_FULL_RANGE(NLA_U32,
							&lifetime_range),
	[CPNS_A_GROUP_REPLAY_WINDOW] = NLA_POLICY_MAX(NLA_U32, 4096),
	[CPNS_A_GROUP_EXPIRY_NOTICE] = NLA_POLICY_FULL_RANGE(NLA_U32,
							     &notice_range),
	[CPNS_A_GROUP_SELECTOR] = NLA_POLICY_NESTED(selector_policy),
};

static const struct nla_policy group_id_policy[CPNS_A_GROUP_MAX + 1] = {
	[CPNS_A_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy key_install_policy[CPNS_A_KEY_MAX + 1] = {
	[CPNS_A_KEY_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_KEY_EPOCH] = { .type = NLA_U64 },
	[CPNS_A_KEY_PLAIN] = NLA_POLICY_EXACT_LEN(CPNS_KEY_LEN),
	[CPNS_A_KEY_WRAPPED] = NLA_POLICY_FULL_RANGE(NLA_BINARY,
						     &wrapped_range),
	[CPNS_A_KEY_LIFETIME] = NLA_POLICY_FULL_RANGE(NLA_U32, &lifetime_range),
};

static const struct nla_policy key_id_policy[CPNS_A_KEY_MAX + 1] = {
	[CPNS_A_KEY_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_KEY_EPOCH] = { .type = NLA_U64 },
};

static const struct nla_policy stats_policy[CPNS_A_STATS_MAX + 1] = {
	[CPNS_A_STATS_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static struct genl_family cpns_family;

/* Every refusal names the module, like NL_SET_ERR_MSG_MOD(). */
#define CPNS_ERR_ATTR(extack, attr, msg) \
	NL_SET_ERR_MSG_ATTR(extack, attr, KBUILD_MODNAME ": " msg)

/* A required attribute: its type goes back as NLMSGERR_ATTR_MISS_TYPE. */
#define REQUIRE(info, attr, name) ({					\
	struct genl_info *__ri = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__ri, attr);		\
									\
	if (__missing)							\
		NL_SET_ERR_MSG_MOD(__ri->extack, "missing attribute " name); \
	__missing;							\
})

/* Replies */

static int put_u32_list(struct sk_buff *skb, int attrtype,
			const u32 *items, size_t n)
{
	struct nlattr *nest;
	size_t i;

	nest = nla_nest_start(skb, attrtype);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		if (nla_put_u32(skb, CPNS_A_LIST_ITEM, items[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int fill_info(struct sk_buff *skb, const struct net *net)
{
	char aead[CRYPTO_MAX_ALG_NAME];

	cpns_traffic_aead(aead);
	if (nla_put_string(skb, CPNS_A_INFO_VERSION, CPNS_VERSION) ||
	    nla_put_u32(skb, CPNS_A_INFO_FAMILY_VERSION, CPNS_FAMILY_VERSION) ||
	    put_u32_list(skb, CPNS_A_INFO_SCHEMES, cpns_schemes,
			 ARRAY_SIZE(cpns_schemes)) ||
	    put_u32_list(skb, CPNS_A_INFO_CIPHERS, cpns_ciphers,
			 ARRAY_SIZE(cpns_ciphers)) ||
	    nla_put_u32(skb, CPNS_A_INFO_MAX_TREE_HEIGHT,
			CPNS_TREE_HEIGHT_MAX) ||
	    nla_put_u64_64bit(skb, CPNS_A_INFO_NETNS_COOKIE, net->net_cookie,
			      CPNS_A_INFO_PAD) ||
	    nla_put_string(skb, CPNS_A_INFO_FASTPATH_AEAD, aead))
		return -EMSGSIZE;
	return 0;
}

static int fill_gkdk(struct sk_buff *skb, const struct cpns_gkdk *gk)
{
	if (nla_put_u64_64bit(skb, CPNS_A_GKDK_GATEWAY_ID, gk->gateway_id,
			      CPNS_A_GKDK_PAD) ||
	    nla_put_u32(skb, CPNS_A_GKDK_SCHEME, gk->scheme) ||
	    nla_put_u32(skb, CPNS_A_GKDK_HEIGHT, gk->height) ||
	    nla_put_u32(skb, CPNS_A_GKDK_SLOT, gk->slot) ||
	    nla_put_u32(skb, CPNS_A_GKDK_SET_ID, gk->set_id) ||
	    nla_put(skb, CPNS_A_GKDK_FINGERPRINT, CPNS_FINGERPRINT_LEN, gk->fp))
		return -EMSGSIZE;
	return 0;
}

static int fill_selector(struct sk_buff *skb, const struct cpns_selector *s)
{
	struct nlattr *nest;

	if (!s->family)
		return 0;
	nest = nla_nest_start(skb, CPNS_A_GROUP_SELECTOR);
	if (!nest ||
	    nla_put_u16(skb, CPNS_A_SELECTOR_FAMILY, s->family) ||
	    nla_put(skb, CPNS_A_SELECTOR_DADDR,
		    s->family == AF_INET ? 4 : 16, s->daddr) ||
	    nla_put_u8(skb, CPNS_A_SELECTOR_PREFIX_LEN, s->prefix_len) ||
	    nla_put_be16(skb, CPNS_A_SELECTOR_DPORT, s->dport))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Called under cn->lock, so the keys cannot change under us. */
static int fill_group(struct sk_buff *skb, struct cpns_net *cn,
		      const struct cpns_group *g)
{
	const struct cpns_key *cur, *prev;

	cur = rcu_dereference_protected(g->cur, lockdep_is_held(&cn->lock));
	prev = rcu_dereference_protected(g->prev, lockdep_is_held(&cn->lock));
	if (nla_put_u32(skb, CPNS_A_GROUP_ID, g->id) ||
	    nla_put_u32(skb, CPNS_A_GROUP_GRACE, g->grace) ||
	    nla_put_u32(skb, CPNS_A_GROUP_LIFETIME, g->lifetime) ||
	    nla_put_u32(skb, CPNS_A_GROUP_REPLAY_WINDOW, g->replay_window) ||
	    nla_put_u32(skb, CPNS_A_GROUP_EXPIRY_NOTICE, g->expiry_notice) ||
	    fill_selector(skb, &g->sel) ||
	    (cur && nla_put_u64_64bit(skb, CPNS_A_GROUP_CURRENT_EPOCH,
				      cur->epoch, CPNS_A_GROUP_PAD)) ||
	    (prev && nla_put_u64_64bit(skb, CPNS_A_GROUP_PREVIOUS_EPOCH,
				       prev->epoch, CPNS_A_GROUP_PAD)))
		return -EMSGSIZE;
	return 0;
}

static int fill_key(struct sk_buff *skb, const struct cpns_group *g,
		    const struct cpns_key *k, u32 state)
{
	if (nla_put_u32(skb, CPNS_A_KEY_GROUP_ID, g->id) ||
	    nla_put_u64_64bit(skb, CPNS_A_KEY_EPOCH, k->epoch,
			      CPNS_A_KEY_PAD) ||
	    (state && nla_put_u32(skb, CPNS_A_KEY_STATE, state)) ||
	    nla_put_u32(skb, CPNS_A_KEY_SOURCE, k->source) ||
	    nla_put_u64_64bit(skb, CPNS_A_KEY_INSTALLED, k->installed,
			      CPNS_A_KEY_PAD) ||
	    (k->expires && nla_put_u64_64bit(skb, CPNS_A_KEY_EXPIRES,
					     k->expires, CPNS_A_KEY_PAD)) ||
	    nla_put(skb, CPNS_A_KEY_FINGERPRINT, CPNS_FINGERPRINT_LEN, k->fp) ||
	    (k->source == CPNS_KEY_SOURCE_WRAPPED &&
	     nla_put_u64_64bit(skb, CPNS_A_KEY_GATEWAY_ID, k->gateway_id,
			       CPNS_A_KEY_PAD)))
		return -EMSGSIZE;
	return 0;
}

/*
 * Message sizes: replies and events are allocated to fit, not at
 * NLMSG_DEFAULT_SIZE; a 4 KiB buffer per 130-byte install reply cost more
 * than the install itself.
 */
static size_t info_size(void)
{
	return nla_total_size(sizeof(CPNS_VERSION)) + 2 * nla_total_size(4) +
	       2 * nla_total_size(nla_total_size(4) * 4) +
	       nla_total_size_64bit(8) + nla_total_size(CRYPTO_MAX_ALG_NAME);
}

static size_t gkdk_size(void)
{
	return nla_total_size_64bit(8) + 4 * nla_total_size(4) +
	       nla_total_size(CPNS_FINGERPRINT_LEN);
}

static size_t group_size(void)
{
	return 5 * nla_total_size(4) +
	       nla_total_size(nla_total_size(2) + nla_total_size(16) +
			      nla_total_size(1) + nla_total_size(2)) +
	       2 * nla_total_size_64bit(8);
}

static size_t key_size(void)
{
	return 4 * nla_total_size(4) + 4 * nla_total_size_64bit(8) +
	       nla_total_size(CPNS_FINGERPRINT_LEN);
}

static size_t stats_size(void)
{
	return nla_total_size(4) + (CPNS_A_STATS_MAX - 1) *
	       nla_total_size_64bit(8);
}

static int put_u64s(struct sk_buff *skb, const void *base,
		    const int (*tab)[2], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(skb, tab[i][0],
				      *(const u64 *)((const u8 *)base +
						     tab[i][1]),
				      CPNS_A_STATS_PAD))
			return -EMSGSIZE;
	return 0;
}

/* The control plane's counters and the fast path's, summed over CPUs. */
static int put_counters(struct sk_buff *skb, const struct cpns_counters *c,
			struct cpns_fp_stats __percpu *fp)
{
#define C(a, f) { CPNS_A_STATS_##a, offsetof(struct cpns_counters, f) }
	static const int tab[][2] = {
		C(INSTALLS, installs),
		C(INSTALLS_REPEATED, installs_repeated),
		C(REFUSED_STALE, refused_stale),
		C(REFUSED_CONFLICT, refused_conflict),
		C(REFUSED_MALFORMED, refused_malformed),
		C(REFUSED_NO_GKDK, refused_no_gkdk),
		C(REFUSED_NOT_MEMBER, refused_not_member),
		C(REFUSED_EXPIRED, refused_expired),
		C(DECRYPT_FAILURES, decrypt_failures),
		C(RETIRED, retired),
		C(EXPIRIES, expiries),
	};
#undef C
#define F(a, f) { CPNS_A_STATS_##a, offsetof(struct cpns_fp_totals, f) }
	static const int fp_tab[][2] = {
		F(KEY_MISSING, key_missing),
		F(TX_SEALED, tx_sealed),
		F(TX_NO_KEY, tx_no_key),
		F(TX_DROPPED, tx_dropped),
		F(RX_OPENED, rx_opened),
		F(RX_MALFORMED, rx_malformed),
		F(RX_AUTH_FAILED, rx_auth_failed),
		F(RX_REPLAYED, rx_replayed),
		F(RX_DROPPED, rx_dropped),
		F(FWD_VERIFIED, fwd_verified),
	};
#undef F
	struct cpns_fp_totals t;

	cpns_fp_stats_sum(fp, &t);
	return put_u64s(skb, c, tab, ARRAY_SIZE(tab)) ?:
	       put_u64s(skb, &t, fp_tab, ARRAY_SIZE(fp_tab));
}

/* A one-message reply built by @fill; -EMSGSIZE means a bug, not input. */
static int reply(struct genl_info *info, u8 cmd, size_t size,
		 int (*fill)(struct sk_buff *, void *), void *arg)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &cpns_family, 0, cmd);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	ret = fill(msg, arg);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return ret;
}

/* Events: built only when someone listens. */

/*
 * Set before the family goes: a group's work may still retire a key
 * until its namespace's exit cancels it, and the fast path may still
 * miss one, and neither may multicast to a group id the core may already
 * have handed to another family.  Senders check it and send in one
 * stretch: handlers before genl_unregister_family() returns, works
 * before cpns_keys_flush() does, and the fast path inside the RCU
 * read-side section its hook runs in.
 */
static bool cpns_closing;

static void notify(struct cpns_net *cn, u8 cmd, size_t size,
		   int (*fill)(struct sk_buff *, void *), void *arg, gfp_t gfp)
{
	struct sk_buff *msg;
	void *hdr;

	if (READ_ONCE(cpns_closing) ||
	    !genl_has_listeners(&cpns_family, cn->net, 0))
		return;
	msg = genlmsg_new(size, gfp);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &cpns_family, 0, cmd);
	if (!hdr || fill(msg, arg)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&cpns_family, cn->net, msg, 0, 0, gfp);
}

struct key_event {
	const struct cpns_group *g;
	const struct cpns_key *k;
	u8 cmd;
	u32 reason;
};

static int fill_key_event(struct sk_buff *skb, void *arg)
{
	const struct key_event *e = arg;

	switch (e->cmd) {
	case CPNS_CMD_KEY_INSTALLED_NTF:
		return fill_key(skb, e->g, e->k, CPNS_KEY_STATE_CURRENT);
	case CPNS_CMD_KEY_RETIRED_NTF:
		if (nla_put_u32(skb, CPNS_A_KEY_RETIRE_REASON, e->reason) ||
		    nla_put(skb, CPNS_A_KEY_FINGERPRINT, CPNS_FINGERPRINT_LEN,
			    e->k->fp))
			return -EMSGSIZE;
		break;
	case CPNS_CMD_KEY_EXPIRING_NTF:
		if (nla_put_u64_64bit(skb, CPNS_A_KEY_EXPIRES, e->k->expires,
				      CPNS_A_KEY_PAD))
			return -EMSGSIZE;
		break;
	}
	if (nla_put_u32(skb, CPNS_A_KEY_GROUP_ID, e->g->id) ||
	    nla_put_u64_64bit(skb, CPNS_A_KEY_EPOCH, e->k->epoch,
			      CPNS_A_KEY_PAD))
		return -EMSGSIZE;
	return 0;
}

/**
 * cpns_notify_key() - send a key event to the namespace's listeners
 * @cn: the namespace, locked
 * @cmd: CPNS_CMD_KEY_{INSTALLED,RETIRED,EXPIRING}_NTF
 * @g: the key's group
 * @k: the key
 * @reason: enum cpns_retire_reason for retired events
 */
void cpns_notify_key(struct cpns_net *cn, u8 cmd, const struct cpns_group *g,
		     const struct cpns_key *k, u32 reason)
{
	struct key_event e = { .g = g, .k = k, .cmd = cmd, .reason = reason };

	notify(cn, cmd, key_size(), fill_key_event, &e, GFP_KERNEL);
}

struct missing_event {
	u32 group_id;
	const u64 *epoch;
};

static int fill_missing_event(struct sk_buff *skb, void *arg)
{
	const struct missing_event *e = arg;

	if (nla_put_u32(skb, CPNS_A_KEY_GROUP_ID, e->group_id) ||
	    (e->epoch && nla_put_u64_64bit(skb, CPNS_A_KEY_EPOCH, *e->epoch,
					   CPNS_A_KEY_PAD)))
		return -EMSGSIZE;
	return 0;
}

/**
 * cpns_notify_key_missing() - tell listeners the fast path lacks a key
 * @cn: the namespace; any context, the fast path calls this in softirq
 * @group_id: the group
 * @epoch: the epoch a datagram named, or NULL when the group has no key
 *	to seal with
 */
void cpns_notify_key_missing(struct cpns_net *cn, u32 group_id,
			     const u64 *epoch)
{
	struct missing_event e = { .group_id = group_id, .epoch = epoch };

	notify(cn, CPNS_CMD_KEY_MISSING_NTF,
	       nla_total_size(4) + nla_total_size_64bit(8),
	       fill_missing_event, &e, GFP_ATOMIC);
}

static int fill_gkdk_del_event(struct sk_buff *skb, void *arg)
{
	const struct cpns_gkdk *gk = arg;

	if (nla_put_u64_64bit(skb, CPNS_A_GKDK_GATEWAY_ID, gk->gateway_id,
			      CPNS_A_GKDK_PAD) ||
	    nla_put(skb, CPNS_A_GKDK_FINGERPRINT, CPNS_FINGERPRINT_LEN, gk->fp))
		return -EMSGSIZE;
	return 0;
}

static int fill_gkdk_set_event(struct sk_buff *skb, void *arg)
{
	return fill_gkdk(skb, arg);
}

/**
 * cpns_notify_gkdk() - send a GKDK event to the namespace's listeners
 * @cn: the namespace, locked
 * @cmd: CPNS_CMD_GKDK_SET_NTF or CPNS_CMD_GKDK_DEL_NTF
 * @gk: the GKDK (its metadata only is sent)
 */
void cpns_notify_gkdk(struct cpns_net *cn, u8 cmd, const struct cpns_gkdk *gk)
{
	notify(cn, cmd, gkdk_size(), cmd == CPNS_CMD_GKDK_SET_NTF ?
	       fill_gkdk_set_event : fill_gkdk_del_event, (void *)gk,
	       GFP_KERNEL);
}

/* Handlers */

static int fill_info_reply(struct sk_buff *skb, void *arg)
{
	return fill_info(skb, arg);
}

static int cpns_info_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return reply(info, CPNS_CMD_INFO_GET, info_size(), fill_info_reply,
		     genl_info_net(info));
}

static int cpns_gkdk_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cpns_net *cn = cpns_net(genl_info_net(info));
	struct nlattr *a = info->attrs[CPNS_A_GKDK_DATA];
	int ret;

	if (REQUIRE(info, CPNS_A_GKDK_DATA, "data"))
		return -EINVAL;
	mutex_lock(&cn->lock);
	ret = cpns_gkdk_set(cn, nla_data(a), nla_len(a), info->extack);
	mutex_unlock(&cn->lock);
	memzero_explicit(nla_data(a), nla_len(a));
	if (ret && !info->extack->bad_attr)
		NL_SET_BAD_ATTR(info->extack, a);
	return ret;
}

static int cpns_gkdk_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cpns_net *cn = cpns_net(genl_info_net(info));
	int ret;

	if (REQUIRE(info, CPNS_A_GKDK_GATEWAY_ID, "gateway-id"))
		return -EINVAL;
	mutex_lock(&cn->lock);
	ret = cpns_gkdk_del(cn, nla_get_u64(info->attrs[CPNS_A_GKDK_GATEWAY_ID]),
			    info->extack);
	mutex_unlock(&cn->lock);
	return ret;
}

struct locked_gkdk {
	struct cpns_net *cn;
	u64 gateway_id;
	struct netlink_ext_ack *extack;
};

static int fill_gkdk_reply(struct sk_buff *skb, void *arg)
{
	struct locked_gkdk *l = arg;
	struct cpns_gkdk *gk = cpns_gkdk_find(l->cn, l->gateway_id);

	if (!gk) {
		NL_SET_ERR_MSG_MOD(l->extack, "no GKDK for this gateway");
		return -ENOENT;
	}
	return fill_gkdk(skb, gk);
}

static int cpns_gkdk_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct locked_gkdk l = {
		.cn = cpns_net(genl_info_net(info)),
		.extack = info->extack,
	};
	int ret;

	if (REQUIRE(info, CPNS_A_GKDK_GATEWAY_ID, "gateway-id"))
		return -EINVAL;
	l.gateway_id = nla_get_u64(info->attrs[CPNS_A_GKDK_GATEWAY_ID]);
	mutex_lock(&l.cn->lock);
	ret = reply(info, CPNS_CMD_GKDK_GET, gkdk_size(), fill_gkdk_reply, &l);
	mutex_unlock(&l.cn->lock);
	return ret;
}

/*
 * Dumps share their command's policy with the do, so the core accepts
 * attributes a dump does not take; refuse them rather than ignore them.
 * Checked on the first dumpit call (cb->args[5]), where cb->extack is set.
 */
static int dump_refuse(struct netlink_callback *cb, int allowed)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nlattr **attrs = cpns_dump_attrs(cb);
	unsigned int i;

	if (cb->args[5]++ || !attrs)
		return 0;
	for (i = 1; i <= di->op.maxattr; i++) {
		if (attrs[i] && (int)i != allowed) {
			CPNS_ERR_ATTR(cb->extack, attrs[i],
				      "attribute not taken by this dump");
			return -EINVAL;
		}
	}
	return 0;
}

/* cb->args[0]: GKDKs already sent. */
static int cpns_gkdk_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct cpns_net *cn = cpns_net(sock_net(skb->sk));
	struct cpns_gkdk *gk;
	long i = 0;
	void *hdr;
	int ret;

	ret = dump_refuse(cb, 0);
	if (ret)
		return ret;
	mutex_lock(&cn->lock);
	cb->seq = cn->gen;
	list_for_each_entry(gk, &cn->gkdks, list) {
		if (i++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &cpns_family,
				  NLM_F_MULTI, CPNS_CMD_GKDK_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		if (fill_gkdk(skb, gk)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0]++;
	}
	mutex_unlock(&cn->lock);
	return skb->len;
}

/* Whether @a has a bit set past its first @plen: a prefix must not. */
static bool host_bits(const u8 *a, unsigned int alen, unsigned int plen)
{
	unsigned int i;

	for (i = plen / 8; i < alen; i++)
		if (a[i] & (i == plen / 8 ? 0xff >> (plen % 8) : 0xff))
			return true;
	return false;
}

static int parse_selector(struct nlattr *nest, struct cpns_selector *s,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[CPNS_A_SELECTOR_MAX + 1];
	unsigned int alen;
	int ret;

	ret = nla_parse_nested(tb, CPNS_A_SELECTOR_MAX, nest, selector_policy,
			       extack);
	if (ret)
		return ret;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, CPNS_A_SELECTOR_FAMILY)) {
		NL_SET_ERR_MSG_MOD(extack, "missing attribute selector family");
		return -EINVAL;
	}
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, CPNS_A_SELECTOR_DADDR)) {
		NL_SET_ERR_MSG_MOD(extack, "missing attribute selector daddr");
		return -EINVAL;
	}
	s->family = nla_get_u16(tb[CPNS_A_SELECTOR_FAMILY]);
	if (s->family != AF_INET && s->family != AF_INET6) {
		CPNS_ERR_ATTR(extack, tb[CPNS_A_SELECTOR_FAMILY],
			      "selector family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	alen = s->family == AF_INET ? 4 : 16;
	if (nla_len(tb[CPNS_A_SELECTOR_DADDR]) != alen) {
		CPNS_ERR_ATTR(extack, tb[CPNS_A_SELECTOR_DADDR],
			      "selector daddr length does not match family");
		return -EINVAL;
	}
	memcpy(s->daddr, nla_data(tb[CPNS_A_SELECTOR_DADDR]), alen);
	s->prefix_len = alen * 8;
	if (tb[CPNS_A_SELECTOR_PREFIX_LEN]) {
		s->prefix_len = nla_get_u8(tb[CPNS_A_SELECTOR_PREFIX_LEN]);
		if (s->prefix_len > alen * 8) {
			CPNS_ERR_ATTR(extack,
				      tb[CPNS_A_SELECTOR_PREFIX_LEN],
				      "selector prefix-len longer than the address");
			return -EINVAL;
		}
	}
	if (host_bits(s->daddr, alen, s->prefix_len)) {
		CPNS_ERR_ATTR(extack, tb[CPNS_A_SELECTOR_DADDR],
			      "selector daddr has bits set past prefix-len");
		return -EINVAL;
	}
	if (tb[CPNS_A_SELECTOR_DPORT])
		s->dport = nla_get_be16(tb[CPNS_A_SELECTOR_DPORT]);
	return 0;
}

static u32 get_u32_or(struct genl_info *info, int attr, u32 def)
{
	return info->attrs[attr] ? nla_get_u32(info->attrs[attr]) : def;
}

static int cpns_group_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cpns_net *cn = cpns_net(genl_info_net(info));
	struct cpns_group_params p = {};
	int ret;

	if (REQUIRE(info, CPNS_A_GROUP_ID, "id"))
		return -EINVAL;
	p.id = nla_get_u32(info->attrs[CPNS_A_GROUP_ID]);
	p.grace = get_u32_or(info, CPNS_A_GROUP_GRACE, CPNS_DEFAULT_GRACE);
	p.lifetime = get_u32_or(info, CPNS_A_GROUP_LIFETIME, 0);
	p.replay_window = get_u32_or(info, CPNS_A_GROUP_REPLAY_WINDOW,
				     CPNS_DEFAULT_REPLAY_WINDOW);
	p.expiry_notice = get_u32_or(info, CPNS_A_GROUP_EXPIRY_NOTICE,
				     CPNS_DEFAULT_EXPIRY_NOTICE);
	if (info->attrs[CPNS_A_GROUP_SELECTOR]) {
		ret = parse_selector(info->attrs[CPNS_A_GROUP_SELECTOR], &p.sel,
				     info->extack);
		if (ret)
			return ret;
	}
	mutex_lock(&cn->lock);
	ret = cpns_group_new(cn, &p, info->extack);
	mutex_unlock(&cn->lock);
	if (ret == -EEXIST)
		NL_SET_BAD_ATTR(info->extack, info->attrs[CPNS_A_GROUP_ID]);
	if (ret == -EADDRINUSE)
		NL_SET_BAD_ATTR(info->extack,
				info->attrs[CPNS_A_GROUP_SELECTOR]);
	return ret;
}

static int cpns_group_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cpns_net *cn = cpns_net(genl_info_net(info));
	int ret;

	if (REQUIRE(info, CPNS_A_GROUP_ID, "id"))
		return -EINVAL;
	ret = cpns_group_del(cn, nla_get_u32(info->attrs[CPNS_A_GROUP_ID]),
			     info->extack);
	if (ret)
		NL_SET_BAD_ATTR(info->extack, info->attrs[CPNS_A_GROUP_ID]);
	return ret;
}

struct locked_group {
	struct cpns_net *cn;
	u32 id;
	u64 epoch;
	bool has_epoch;
	struct netlink_ext_ack *extack;
	struct nlattr *attr;
};

static struct cpns_group *locked_find(struct locked_group *l)
{
	struct cpns_group *g = cpns_group_find(l->cn, l->id);

	if (!g) {
		CPNS_ERR_ATTR(l->extack, l->attr, "unknown Service Group");
		return NULL;
	}
	return g;
}

static int fill_group_reply(struct sk_buff *skb, void *arg)
{
	struct locked_group *l = arg;
	struct cpns_group *g = locked_find(l);

	return g ? fill_group(skb, l->cn, g) : -ENOENT;
}

static int cpns_group_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct locked_group l = {
		.cn = cpns_net(genl_info_net(info)),
		.extack = info->extack,
		.attr = info->attrs[CPNS_A_GROUP_ID],
	};
	int ret;

	if (REQUIRE(info, CPNS_A_GROUP_ID, "id"))
		return -EINVAL;
	l.id = nla_get_u32(l.attr);
	mutex_lock(&l.cn->lock);
	ret = reply(info, CPNS_CMD_GROUP_GET, group_size(), fill_group_reply,
		    &l);
	mutex_unlock(&l.cn->lock);
	return ret;
}

/* cb->args[0]: the next group id to send; cb->args[1]: all sent. */
static int cpns_group_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct cpns_net *cn = cpns_net(sock_net(skb->sk));
	struct cpns_group *g;
	unsigned long id;
	void *hdr;
	int ret;

	ret = dump_refuse(cb, 0);
	if (ret)
		return ret;
	if (cb->args[1])
		return 0;
	mutex_lock(&cn->lock);
	cb->seq = cn->gen;
	xa_for_each_start(&cn->groups, id, g, cb->args[0]) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &cpns_family,
				  NLM_F_MULTI, CPNS_CMD_GROUP_GET);
		if (!hdr)
			goto full;
		genl_dump_check_consistent(cb, hdr);
		if (fill_group(skb, cn, g)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[1] = 1;
	mutex_unlock(&cn->lock);
	return skb->len;
full:
	cb->args[0] = id;
	mutex_unlock(&cn->lock);
	return skb->len;
}

static int fill_installed(struct sk_buff *skb, void *arg)
{
	struct key_event *e = arg;

	return fill_key(skb, e->g, e->k, CPNS_KEY_STATE_CURRENT);
}

static int install(struct cpns_net *cn, struct genl_info *info,
		   struct cpns_key_params *p, u8 *key)
{
	struct nlattr **tb = info->attrs;
	struct cpns_group *g;
	struct cpns_key *k;
	struct key_event e;
	int ret;

	g = cpns_group_find(cn, p->group_id);
	if (!g) {
		CPNS_ERR_ATTR(info->extack, tb[CPNS_A_KEY_GROUP_ID],
			      "unknown Service Group");
		return -ENOENT;
	}
	if (tb[CPNS_A_KEY_WRAPPED]) {
		ret = cpns_unwrap(cn, g, nla_data(tb[CPNS_A_KEY_WRAPPED]),
				  nla_len(tb[CPNS_A_KEY_WRAPPED]), p, key,
				  info->extack);
		if (ret) {
			NL_SET_BAD_ATTR(info->extack, tb[CPNS_A_KEY_WRAPPED]);
			return ret;
		}
		if (tb[CPNS_A_KEY_EPOCH] &&
		    nla_get_u64(tb[CPNS_A_KEY_EPOCH]) != p->epoch) {
			CPNS_ERR_ATTR(info->extack, tb[CPNS_A_KEY_EPOCH],
				      "epoch differs from the encrypted Group Key's");
			return -EINVAL;
		}
	}
	p->key = key;
	ret = cpns_key_install(cn, p, &k, info->extack);
	if (ret)
		return ret;
	e.g = g;
	e.k = k;
	return reply(info, CPNS_CMD_KEY_INSTALL, key_size(), fill_installed, &e);
}

static int cpns_key_install_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cpns_net *cn = cpns_net(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct cpns_key_params p = {};
	u8 key[CPNS_KEY_LEN];
	int ret;

	if (REQUIRE(info, CPNS_A_KEY_GROUP_ID, "group-id")) {
		ret = -EINVAL;
		goto out;
	}
	if (!tb[CPNS_A_KEY_PLAIN] == !tb[CPNS_A_KEY_WRAPPED]) {
		if (tb[CPNS_A_KEY_WRAPPED])
			CPNS_ERR_ATTR(info->extack, tb[CPNS_A_KEY_WRAPPED],
				      "give exactly one of plain and wrapped");
		else
			NL_SET_ERR_MSG_MOD(info->extack,
					   "give exactly one of plain and wrapped");
		ret = -EINVAL;
		goto out;
	}
	p.now = ktime_get_real_seconds();
	p.group_id = nla_get_u32(tb[CPNS_A_KEY_GROUP_ID]);
	p.lifetime = get_u32_or(info, CPNS_A_KEY_LIFETIME, 0);
	if (tb[CPNS_A_KEY_PLAIN]) {
		if (REQUIRE(info, CPNS_A_KEY_EPOCH, "epoch (a plain key needs it)")) {
			ret = -EINVAL;
			goto out;
		}
		p.epoch = nla_get_u64(tb[CPNS_A_KEY_EPOCH]);
		p.source = CPNS_KEY_SOURCE_PLAIN;
		memcpy(key, nla_data(tb[CPNS_A_KEY_PLAIN]), CPNS_KEY_LEN);
	}

	mutex_lock(&cn->lock);
	ret = install(cn, info, &p, key);
	mutex_unlock(&cn->lock);
	memzero_explicit(key, sizeof(key));
out:
	if (tb[CPNS_A_KEY_PLAIN])
		memzero_explicit(nla_data(tb[CPNS_A_KEY_PLAIN]), CPNS_KEY_LEN);
	return ret;
}

static int cpns_key_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct cpns_net *cn = cpns_net(genl_info_net(info));
	int ret;

	if (REQUIRE(info, CPNS_A_KEY_GROUP_ID, "group-id") ||
	    REQUIRE(info, CPNS_A_KEY_EPOCH, "epoch"))
		return -EINVAL;
	mutex_lock(&cn->lock);
	ret = cpns_key_del(cn, nla_get_u32(info->attrs[CPNS_A_KEY_GROUP_ID]),
			   nla_get_u64(info->attrs[CPNS_A_KEY_EPOCH]),
			   info->extack);
	mutex_unlock(&cn->lock);
	return ret;
}

static int fill_key_reply(struct sk_buff *skb, void *arg)
{
	struct locked_group *l = arg;
	struct cpns_group *g = locked_find(l);
	struct cpns_key *cur, *prev;

	if (!g)
		return -ENOENT;
	cur = rcu_dereference_protected(g->cur, lockdep_is_held(&l->cn->lock));
	prev = rcu_dereference_protected(g->prev, lockdep_is_held(&l->cn->lock));
	if (cur && (!l->has_epoch || cur->epoch == l->epoch))
		return fill_key(skb, g, cur, CPNS_KEY_STATE_CURRENT);
	if (prev && l->has_epoch && prev->epoch == l->epoch)
		return fill_key(skb, g, prev, CPNS_KEY_STATE_PREVIOUS);
	if (l->has_epoch)
		NL_SET_ERR_MSG_MOD(l->extack, "no key with this epoch in the group");
	else
		NL_SET_ERR_MSG_MOD(l->extack, "the group has no current key");
	return -ENOENT;
}

static int cpns_key_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct locked_group l = {
		.cn = cpns_net(genl_info_net(info)),
		.extack = info->extack,
		.attr = info->attrs[CPNS_A_KEY_GROUP_ID],
	};
	int ret;

	if (REQUIRE(info, CPNS_A_KEY_GROUP_ID, "group-id"))
		return -EINVAL;
	l.id = nla_get_u32(l.attr);
	if (info->attrs[CPNS_A_KEY_EPOCH]) {
		l.has_epoch = true;
		l.epoch = nla_get_u64(info->attrs[CPNS_A_KEY_EPOCH]);
	}
	mutex_lock(&l.cn->lock);
	ret = reply(info, CPNS_CMD_KEY_GET, key_size(), fill_key_reply, &l);
	mutex_unlock(&l.cn->lock);
	return ret;
}

/*
 * cb->args[0]: next group id; cb->args[1]: keys of it already sent;
 * cb->args[2]: all sent; cb->args[3]: only this group id (0: all).
 */
static int cpns_key_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct nlattr **attrs = cpns_dump_attrs(cb);
	struct cpns_net *cn = cpns_net(sock_net(skb->sk));
	struct cpns_key *keys[2];
	unsigned long id, start, last;
	struct cpns_group *g;
	void *hdr;
	int i;

	i = dump_refuse(cb, CPNS_A_KEY_GROUP_ID);
	if (i)
		return i;
	if (cb->args[2])
		return 0;
	last = ULONG_MAX;
	if (attrs[CPNS_A_KEY_GROUP_ID]) {
		cb->args[0] = max_t(long, cb->args[0],
				    nla_get_u32(attrs[CPNS_A_KEY_GROUP_ID]));
		last = nla_get_u32(attrs[CPNS_A_KEY_GROUP_ID]);
	}
	mutex_lock(&cn->lock);
	cb->seq = cn->gen;
	start = cb->args[0];
	xa_for_each_range(&cn->groups, id, g, start, last) {
		keys[0] = rcu_dereference_protected(g->cur,
						    lockdep_is_held(&cn->lock));
		keys[1] = rcu_dereference_protected(g->prev,
						    lockdep_is_held(&cn->lock));
		/* Resume inside the group we stopped in, if it still exists. */
		for (i = id == start ? cb->args[1] : 0; i < 2; i++) {
			if (!keys[i])
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &cpns_family,
					  NLM_F_MULTI, CPNS_CMD_KEY_GET);
			if (!hdr)
				goto full;
			genl_dump_check_consistent(cb, hdr);
			if (fill_key(skb, g, keys[i], i ? CPNS_KEY_STATE_PREVIOUS :
				     CPNS_KEY_STATE_CURRENT)) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
		}
	}
	cb->args[2] = 1;
	mutex_unlock(&cn->lock);
	return skb->len;
full:
	cb->args[0] = id;
	cb->args[1] = i;
	mutex_unlock(&cn->lock);
	return skb->len;
}

static int fill_stats_reply(struct sk_buff *skb, void *arg)
{
	struct locked_group *l = arg;
	struct cpns_net *cn = l->cn;
	struct cpns_group *g;
	u64 keys;

	if (!l->id)
		return nla_put_u64_64bit(skb, CPNS_A_STATS_GROUPS, cn->ngroups,
					 CPNS_A_STATS_PAD) ||
		       nla_put_u64_64bit(skb, CPNS_A_STATS_KEYS, cn->nkeys,
					 CPNS_A_STATS_PAD) ||
		       nla_put_u64_64bit(skb, CPNS_A_STATS_GKDKS, cn->ngkdks,
					 CPNS_A_STATS_PAD) ||
		       put_counters(skb, &cn->stats, cn->fp) ? -EMSGSIZE : 0;
	g = locked_find(l);
	if (!g)
		return -ENOENT;
	keys = !!rcu_access_pointer(g->cur) + !!rcu_access_pointer(g->prev);
	return nla_put_u32(skb, CPNS_A_STATS_GROUP_ID, g->id) ||
	       nla_put_u64_64bit(skb, CPNS_A_STATS_KEYS, keys,
				 CPNS_A_STATS_PAD) ||
	       put_counters(skb, &g->stats, g->fp) ? -EMSGSIZE : 0;
}

static int cpns_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct locked_group l = {
		.cn = cpns_net(genl_info_net(info)),
		.extack = info->extack,
		.attr = info->attrs[CPNS_A_STATS_GROUP_ID],
	};
	int ret;

	if (l.attr)
		l.id = nla_get_u32(l.attr);
	mutex_lock(&l.cn->lock);
	ret = reply(info, CPNS_CMD_STATS_GET, stats_size(), fill_stats_reply, &l);
	mutex_unlock(&l.cn->lock);
	return ret;
}

/*
 * Every command is strictly validated (resv_start_op is 0): a command
 * without a policy gets the core's reject-all policy, so attributes it
 * does not take are refused rather than ignored.  All but INFO_GET need
 * CAP_NET_ADMIN in the namespace's user namespace.
 */
static const struct genl_ops cpns_ops[] = {
	{
		.cmd = CPNS_CMD_INFO_GET,
		.doit = cpns_info_get_doit,
	},
	{
		.cmd = CPNS_CMD_GKDK_SET,
		.doit = cpns_gkdk_set_doit,
		.policy = gkdk_set_policy,
		.maxattr = ARRAY_SIZE(gkdk_set_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_GKDK_DEL,
		.doit = cpns_gkdk_del_doit,
		.policy = gkdk_id_policy,
		.maxattr = ARRAY_SIZE(gkdk_id_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_GKDK_GET,
		.doit = cpns_gkdk_get_doit,
		.dumpit = cpns_gkdk_get_dumpit,
		.policy = gkdk_id_policy,
		.maxattr = ARRAY_SIZE(gkdk_id_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_GROUP_NEW,
		.doit = cpns_group_new_doit,
		.policy = group_new_policy,
		.maxattr = ARRAY_SIZE(group_new_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_GROUP_DEL,
		.doit = cpns_group_del_doit,
		.policy = group_id_policy,
		.maxattr = ARRAY_SIZE(group_id_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_GROUP_GET,
		.doit = cpns_group_get_doit,
		.dumpit = cpns_group_get_dumpit,
		.policy = group_id_policy,
		.maxattr = ARRAY_SIZE(group_id_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_KEY_INSTALL,
		.doit = cpns_key_install_doit,
		.policy = key_install_policy,
		.maxattr = ARRAY_SIZE(key_install_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_KEY_DEL,
		.doit = cpns_key_del_doit,
		.policy = key_id_policy,
		.maxattr = ARRAY_SIZE(key_id_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_KEY_GET,
		.doit = cpns_key_get_doit,
		.dumpit = cpns_key_get_dumpit,
		.policy = key_id_policy,
		.maxattr = ARRAY_SIZE(key_id_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_CMD_STATS_GET,
		.doit = cpns_stats_get_doit,
		.policy = stats_policy,
		.maxattr = ARRAY_SIZE(stats_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group cpns_mcgrps[] = {
	/* Events name keys and GKDKs: listeners need CAP_NET_ADMIN too. */
	{ .name = CPNS_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family cpns_family __ro_after_init = {
	.name = CPNS_FAMILY_NAME,
	.version = CPNS_FAMILY_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.ops = cpns_ops,
	.n_ops = ARRAY_SIZE(cpns_ops),
	.mcgrps = cpns_mcgrps,
	.n_mcgrps = ARRAY_SIZE(cpns_mcgrps),
	.module = THIS_MODULE,
};

/**
 * cpns_netlink_init() - register the cpns generic netlink family
 *
 * Return: 0 or a negative errno from genl_register_family().
 */
int __init cpns_netlink_init(void)
{
	return genl_register_family(&cpns_family);
}

/**
 * cpns_netlink_exit() - unregister the family; no handler runs afterwards
 */
void cpns_netlink_exit(void)
{
	/* ORDER: every sender has seen the flag before the family goes. */
	WRITE_ONCE(cpns_closing, true);
	synchronize_rcu();
	cpns_keys_flush();
	genl_unregister_family(&cpns_family);
}
