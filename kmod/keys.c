// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: Service Groups and their Group Key cache.
 *
 * Each group holds at most two keys: the current one and, for the group's
 * grace period after a newer epoch arrived, the previous one, so traffic
 * sealed just before a rollover still opens.  Epochs only move forward.
 * Readers (the fast path, dumps) use RCU; every writer holds cn->lock.
 * One delayed work per group retires keys and raises key-expiring events
 * when their time comes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <crypto/algapi.h>
#include <net/netlink.h>

#include "cpns.h"

static struct kmem_cache *group_cache;
/* The groups' works, on a queue of our own so unload can flush them. */
static struct workqueue_struct *keys_wq;

#define cn_deref(cn, p) rcu_dereference_protected(p, lockdep_is_held(&(cn)->lock))

static void key_free_rcu(struct rcu_head *head)
{
	kfree_sensitive(container_of(head, struct cpns_key, rcu));
}

static void group_free_rcu(struct rcu_head *head)
{
	struct cpns_group *g = container_of(head, struct cpns_group, rcu);

	free_percpu(g->fp);
	kmem_cache_free(group_cache, g);
}

/* Free a key the fast path may still read, once it cannot any more. */
static void key_free(struct cpns_key *k)
{
	cpns_traffic_free(k->tr);
	call_rcu(&k->rcu, key_free_rcu);
}

/* Count, announce and free a key that its group no longer points to. */
static void retire(struct cpns_net *cn, struct cpns_group *g,
		   struct cpns_key *k, u32 reason)
{
	lockdep_assert_held(&cn->lock);

	cpns_notify_key(cn, CPNS_CMD_KEY_RETIRED_NTF, g, k, reason);
	g->stats.retired++;
	cn->stats.retired++;
	if (reason == CPNS_RETIRE_REASON_LIFETIME) {
		g->stats.expiries++;
		cn->stats.expiries++;
	}
	cn->nkeys--;
	cn->gen++;
	key_free(k);
}

static void retire_prev(struct cpns_net *cn, struct cpns_group *g, u32 reason)
{
	struct cpns_key *k = cn_deref(cn, g->prev);

	if (k) {
		RCU_INIT_POINTER(g->prev, NULL);
		retire(cn, g, k, reason);
	}
}

static void retire_cur(struct cpns_net *cn, struct cpns_group *g, u32 reason)
{
	struct cpns_key *k = cn_deref(cn, g->cur);

	if (k) {
		RCU_INIT_POINTER(g->cur, NULL);
		retire(cn, g, k, reason);
	}
}

static time64_t min_deadline(time64_t a, time64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return min(a, b);
}

/*
 * Seconds on the boot-time clock, from 1 so that 0 can mean "no
 * deadline".  Wall clock steps (NTP, settimeofday) do not move it.
 */
static time64_t cpns_clock(void)
{
	return ktime_get_boottime_seconds() + 1;
}

/* A deadline @delta seconds after @now; far ones are capped, not wrapped. */
static time64_t after(time64_t now, u64 delta)
{
	return now + (time64_t)min_t(u64, delta, 1ULL << 40);
}

/* Act on what is due at @now (cpns_clock()), then arm the work. */
static void run_deadlines(struct cpns_net *cn, struct cpns_group *g,
			  time64_t now)
{
	struct cpns_key *cur, *prev;
	time64_t next = 0;

	lockdep_assert_held(&cn->lock);

	prev = cn_deref(cn, g->prev);
	if (prev && prev->dead_at && now >= prev->dead_at)
		retire_prev(cn, g, CPNS_RETIRE_REASON_LIFETIME);
	else if (prev && now >= prev->retire_at)
		retire_prev(cn, g, CPNS_RETIRE_REASON_GRACE);

	cur = cn_deref(cn, g->cur);
	if (cur && cur->dead_at && now >= cur->dead_at) {
		retire_cur(cn, g, CPNS_RETIRE_REASON_LIFETIME);
	} else if (cur && cur->notice_at && now >= cur->notice_at) {
		cur->notice_at = 0;
		cpns_notify_key(cn, CPNS_CMD_KEY_EXPIRING_NTF, g, cur, 0);
	}

	prev = cn_deref(cn, g->prev);
	if (prev)
		next = min_deadline(prev->retire_at, prev->dead_at);
	cur = cn_deref(cn, g->cur);
	if (cur)
		next = min_deadline(next, min_deadline(cur->notice_at,
						       cur->dead_at));
	if (next) {
		/*
		 * A far deadline (a blob valid for centuries) does not fit in
		 * jiffies; looking again daily is cheap and never overflows.
		 */
		time64_t secs = next > now ? min_t(time64_t, next - now,
						   86400) : 0;

		mod_delayed_work(keys_wq, &g->work, secs * HZ);
	} else {
		cancel_delayed_work(&g->work);
	}
}

static void group_work(struct work_struct *work)
{
	struct cpns_group *g = container_of(to_delayed_work(work),
					    struct cpns_group, work);
	struct cpns_net *cn = g->cn;

	mutex_lock(&cn->lock);
	/* A deleted group is freed once this work is cancelled or done. */
	if (!g->dead)
		run_deadlines(cn, g, cpns_clock());
	mutex_unlock(&cn->lock);
}

/**
 * cpns_group_find() - look a Service Group up
 * @cn: the namespace
 * @id: its id
 *
 * Callers hold cn->lock or rcu_read_lock().
 *
 * Return: the group or NULL.
 */
struct cpns_group *cpns_group_find(struct cpns_net *cn, u32 id)
{
	return xa_load(&cn->groups, id);
}

/**
 * cpns_group_new() - create a Service Group
 * @cn: the namespace, locked
 * @p: its id and policy
 * @extack: why it was refused
 *
 * Return: 0, -EEXIST (the id is taken), -EADDRINUSE (another group has
 * the same traffic selector), -ENOSPC
 * (CPNS_GROUP_MAX, or the namespace's limit of groups with a selector,
 * reached), -ENOMEM, or the error of registering the
 * fast path's hooks.
 */
int cpns_group_new(struct cpns_net *cn, const struct cpns_group_params *p,
		   struct netlink_ext_ack *extack)
{
	struct cpns_group *g;
	int ret;

	lockdep_assert_held(&cn->lock);

	if (cn->ngroups >= CPNS_GROUP_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "too many Service Groups in this namespace");
		return -ENOSPC;
	}
	g = kmem_cache_zalloc(group_cache, GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	g->id = p->id;
	g->cn = cn;
	g->grace = p->grace;
	g->lifetime = p->lifetime;
	g->replay_window = p->replay_window;
	g->expiry_notice = p->expiry_notice;
	g->sel = p->sel;
	INIT_DELAYED_WORK(&g->work, group_work);
	INIT_HLIST_NODE(&g->sel_node);

	if (xa_load(&cn->groups, p->id)) {
		NL_SET_ERR_MSG_MOD(extack, "Service Group already exists");
		ret = -EEXIST;
		goto err;
	}
	if (g->sel.family) {
		ret = cpns_sel_prepare(cn, g, extack);
		if (ret)
			goto err;
	}
	/* Cannot be -EBUSY: the id was free and cn->lock is held. */
	ret = xa_insert(&cn->groups, p->id, g, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err;
	if (g->sel.family)
		cpns_sel_link(cn, g);
	cn->ngroups++;
	cn->gen++;
	return 0;
err:
	free_percpu(g->fp);
	kmem_cache_free(group_cache, g);
	return ret;
}

/* Unlink under the lock; the caller frees with group_release() after. */
static void group_unlink(struct cpns_net *cn, struct cpns_group *g)
{
	lockdep_assert_held(&cn->lock);

	xa_erase(&cn->groups, g->id);
	cpns_sel_del(cn, g);
	g->dead = true;
	retire_prev(cn, g, CPNS_RETIRE_REASON_GROUP_DELETED);
	retire_cur(cn, g, CPNS_RETIRE_REASON_GROUP_DELETED);
	cn->ngroups--;
	cn->gen++;
}

/* Without the lock: the work may be waiting for it to see g->dead. */
static void group_release(struct cpns_group *g)
{
	cancel_delayed_work_sync(&g->work);
	call_rcu(&g->rcu, group_free_rcu);
}

/**
 * cpns_group_del() - delete a Service Group, retiring its keys
 * @cn: the namespace, NOT locked: this takes the lock itself
 * @id: the group
 * @extack: why it was refused
 *
 * Return: 0 or -ENOENT.
 */
int cpns_group_del(struct cpns_net *cn, u32 id, struct netlink_ext_ack *extack)
{
	struct cpns_group *g;

	mutex_lock(&cn->lock);
	g = cpns_group_find(cn, id);
	if (!g) {
		mutex_unlock(&cn->lock);
		NL_SET_ERR_MSG_MOD(extack, "unknown Service Group");
		return -ENOENT;
	}
	group_unlink(cn, g);
	mutex_unlock(&cn->lock);
	group_release(g);
	return 0;
}

/* The refusals of the epoch rules; 1 when @key is a repeat of current. */
static int check_epoch(struct cpns_net *cn, struct cpns_group *g, u64 epoch,
		       const u8 *key, struct netlink_ext_ack *extack)
{
	struct cpns_key *cur = cn_deref(cn, g->cur);

	if (!g->has_epoch || epoch > g->high_epoch)
		return 0;
	if (epoch == g->high_epoch && cur && cur->epoch == epoch) {
		if (!crypto_memneq(cur->key, key, CPNS_KEY_LEN))
			return 1;
		g->stats.refused_conflict++;
		cn->stats.refused_conflict++;
		NL_SET_ERR_MSG_MOD(extack,
				   "epoch already installed with another key");
		return -EEXIST;
	}
	g->stats.refused_stale++;
	cn->stats.refused_stale++;
	if (epoch == g->high_epoch)
		NL_SET_ERR_MSG_MOD(extack, "epoch already retired");
	else
		NL_SET_ERR_MSG_MOD(extack,
				   "epoch older than the group's newest (rollback)");
	return -ESTALE;
}

/**
 * cpns_key_install() - install a Group Key under the epoch rules
 * @cn: the namespace, locked
 * @p: the key and its group, epoch and origin
 * @installed: out, the cached key (the existing one for a repeat)
 * @extack: why it was refused
 *
 * Return: 0 (installed or repeated), -ENOENT (no such group), -ESTALE
 * (epoch rollback or retired), -EEXIST (same epoch, other key), -ENOMEM.
 */
int cpns_key_install(struct cpns_net *cn, const struct cpns_key_params *p,
		     struct cpns_key **installed,
		     struct netlink_ext_ack *extack)
{
	time64_t now = p->now, clock = cpns_clock();
	struct cpns_key *k, *old;
	struct cpns_group *g;
	u32 lifetime;
	int ret;

	lockdep_assert_held(&cn->lock);

	g = cpns_group_find(cn, p->group_id);
	if (!g) {
		NL_SET_ERR_MSG_MOD(extack, "unknown Service Group");
		return -ENOENT;
	}
	ret = check_epoch(cn, g, p->epoch, p->key, extack);
	if (ret == 1) {
		g->stats.installs_repeated++;
		cn->stats.installs_repeated++;
		*installed = cn_deref(cn, g->cur);
		return 0;
	}
	if (ret)
		return ret;

	/*
	 * Dead on arrival: run_deadlines() below would free the key the
	 * caller is about to report.  Cannot happen for a wrapped key, whose
	 * validity unwrap checked against the same @now.
	 */
	if (p->expires && p->expires <= now) {
		NL_SET_ERR_MSG_MOD(extack, "Group Key expired");
		return -EKEYEXPIRED;
	}

	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k)
		return -ENOMEM;
	k->epoch = p->epoch;
	k->installed = now;
	k->source = p->source;
	k->gateway_id = p->gateway_id;
	memcpy(k->key, p->key, CPNS_KEY_LEN);
	cpns_fingerprint(CPNS_LABEL_GK_FP, k->key, CPNS_KEY_LEN, k->fp);
	if (g->sel.family) {
		k->tr = cpns_traffic_new(cn, g, k->key, k->epoch);
		if (IS_ERR(k->tr)) {
			ret = PTR_ERR(k->tr);
			kfree_sensitive(k);
			return ret;
		}
	}
	/* Wall clock expiry for replies; the same instant on cpns_clock(). */
	lifetime = p->lifetime ?: g->lifetime;
	if (lifetime)
		k->expires = now + lifetime;
	k->expires = min_deadline(k->expires, p->expires);
	if (k->expires) {
		k->dead_at = after(clock, k->expires - now);
		k->notice_at = max_t(time64_t, clock,
				     k->dead_at - g->expiry_notice);
	}

	/* ORDER: the old previous goes before the old current replaces it. */
	retire_prev(cn, g, CPNS_RETIRE_REASON_SUPERSEDED);
	old = cn_deref(cn, g->cur);
	if (old) {
		old->retire_at = clock + g->grace;
		/* Already published as current: no new object to order. */
		RCU_INIT_POINTER(g->prev, old);
	}
	rcu_assign_pointer(g->cur, k);
	g->high_epoch = p->epoch;
	g->has_epoch = true;
	g->stats.installs++;
	cn->stats.installs++;
	cn->nkeys++;
	cn->gen++;

	cpns_notify_key(cn, CPNS_CMD_KEY_INSTALLED_NTF, g, k, 0);
	run_deadlines(cn, g, clock);
	*installed = k;
	return 0;
}

/**
 * cpns_key_del() - delete one key of a group
 * @cn: the namespace, locked
 * @group_id: the group
 * @epoch: the key's epoch
 * @extack: why it was refused
 *
 * The epoch stays the group's newest: it cannot be installed again.
 *
 * Return: 0 or -ENOENT.
 */
int cpns_key_del(struct cpns_net *cn, u32 group_id, u64 epoch,
		 struct netlink_ext_ack *extack)
{
	struct cpns_group *g;
	struct cpns_key *k;

	lockdep_assert_held(&cn->lock);

	g = cpns_group_find(cn, group_id);
	if (!g) {
		NL_SET_ERR_MSG_MOD(extack, "unknown Service Group");
		return -ENOENT;
	}
	k = cn_deref(cn, g->cur);
	if (k && k->epoch == epoch) {
		retire_cur(cn, g, CPNS_RETIRE_REASON_DELETED);
	} else {
		k = cn_deref(cn, g->prev);
		if (!k || k->epoch != epoch) {
			NL_SET_ERR_MSG_MOD(extack,
					   "no key with this epoch in the group");
			return -ENOENT;
		}
		retire_prev(cn, g, CPNS_RETIRE_REASON_DELETED);
	}
	run_deadlines(cn, g, cpns_clock());
	return 0;
}

void cpns_keys_net_init(struct cpns_net *cn)
{
	xa_init(&cn->groups);
}

/* Free a key without an event: its namespace is going away. */
static void drop_key(struct cpns_net *cn, struct cpns_key __rcu **slot)
{
	struct cpns_key *k = cn_deref(cn, *slot);

	if (k) {
		RCU_INIT_POINTER(*slot, NULL);
		cn->nkeys--;
		key_free(k);
	}
}

/*
 * The namespace is going: no socket can reach it any more, so only the
 * groups' works can still run.  Mark every group dead under the lock, so
 * a work waiting for it does nothing, then cancel and free without it.
 */
void cpns_keys_net_exit(struct cpns_net *cn)
{
	struct cpns_group *g;
	unsigned long id;

	mutex_lock(&cn->lock);
	xa_for_each(&cn->groups, id, g) {
		g->dead = true;
		drop_key(cn, &g->prev);
		drop_key(cn, &g->cur);
	}
	mutex_unlock(&cn->lock);

	xa_for_each(&cn->groups, id, g) {
		xa_erase(&cn->groups, id);
		group_release(g);
	}
	xa_destroy(&cn->groups);
}

int __init cpns_keys_init(void)
{
	/* Groups are made on behalf of a namespace: charge its memcg. */
	group_cache = KMEM_CACHE(cpns_group, SLAB_ACCOUNT);
	if (!group_cache)
		return -ENOMEM;
	keys_wq = alloc_workqueue("cpns_keys", 0, 0);
	if (!keys_wq) {
		kmem_cache_destroy(group_cache);
		return -ENOMEM;
	}
	return 0;
}

/**
 * cpns_keys_flush() - wait for the groups' works that are running
 *
 * A work queued later sees what its caller set before the flush.
 */
void cpns_keys_flush(void)
{
	flush_workqueue(keys_wq);
}

void cpns_keys_exit(void)
{
	/*
	 * ORDER: after the namespaces' exits, which cancel every work, and
	 * rcu_barrier(), so no group_free_rcu() is pending.
	 */
	destroy_workqueue(keys_wq);
	kmem_cache_destroy(group_cache);
}
