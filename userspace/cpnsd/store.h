/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gateway's durable state (Documentation/daemon.rst, "State"): its
 * key material set, the slot table, the PNEs with their EU-Key file
 * references and its Ed25519 signing key, in one SQLite database.
 *
 * Every function that changes state runs one transaction and returns
 * only after it is committed (WAL, synchronous=FULL): an assignment the
 * gateway acknowledges to a PNE survives a crash at any moment after.
 * Functions return 0 or a negative errno; @err (may be NULL) gets a
 * one-line reason for the log.
 */
#ifndef CPNSD_STORE_H
#define CPNSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_PNE_ID_MAX	64
#define STORE_PATH_MAX		4096

struct store;

enum store_pne_state {
	STORE_PNE_REGISTERED,	/* known, no slot in the current set */
	STORE_PNE_ASSIGNED,	/* holds a slot of the current set */
	STORE_PNE_REVOKED,	/* refused for ever; its slot is burnt */
};

struct store_pne {
	char id[STORE_PNE_ID_MAX + 1];
	char eu_key_file[STORE_PATH_MAX];
	enum store_pne_state state;
	bool has_slot;		/* ASSIGNED; REVOKED unless revoked slotless */
	uint32_t set_id;	/* of the slot, when has_slot */
	uint32_t slot;
	uint64_t assigned_at;	/* Unix seconds, when ASSIGNED */
};

struct store_kms {
	uint64_t gateway_id;
	uint32_t set_id;
	unsigned int height;
	uint8_t master[32];	/* wipe after use */
};

/*
 * Opens (creating 0600, and its schema) or migrates the database at
 * @path.  Refuses (-EPERM) a file, or its -wal/-shm, not owned by the
 * effective uid or open to group or others; -ELOOP a symbolic link;
 * -ENOTSUP a schema newer than this program knows; -EINVAL a file that
 * is not a cpnsd database.
 */
int store_open(const char *path, struct store **st, char *err, size_t len);
void store_close(struct store *st);
/*
 * The reason of the last failure of any call on @st, for the functions
 * that take no @err.  Never holds a secret.
 */
const char *store_errmsg(const struct store *st);

/* Figure a step 2: the current key material set, or -ENOENT. */
int store_kms_get(struct store *st, struct store_kms *kms);
/*
 * Figure a step 3 and a full set's successor: store @kms as the current
 * set (its set_id above every earlier one, or -EINVAL).  The PNEs that
 * held slots of the previous set go back to REGISTERED (they must ask
 * again); revoked PNEs stay revoked.
 */
int store_kms_put(struct store *st, const struct store_kms *kms,
		  char *err, size_t len);

/*
 * The gateway's Ed25519 seed: -ENOENT when none yet.  Put stores the
 * first one and refuses another (-EEXIST): PNEs keep its public key.
 */
int store_signkey_get(struct store *st, uint8_t sk[32]);
int store_signkey_put(struct store *st, const uint8_t sk[32]);

/*
 * -EEXIST when the id is known; -EINVAL for a bad id (msg.h: 1..64 of
 * [A-Za-z0-9._:-]) or a path that is not absolute.  Every function
 * taking an id refuses a bad one with -EINVAL.
 */
int store_pne_add(struct store *st, const char *id, const char *eu_key_file,
		  char *err, size_t len);
/* Forgets the PNE; a slot it held stays burnt (revoked).  -ENOENT. */
int store_pne_del(struct store *st, const char *id, char *err, size_t len);
/*
 * Burns its slot (if any) and refuses it from now on.  -ENOENT.
 * Revoking a revoked PNE is a success.
 */
int store_pne_revoke(struct store *st, const char *id, char *err,
		     size_t len);
int store_pne_get(struct store *st, const char *id, struct store_pne *pne);
/*
 * Calls @fn for each PNE in id order; stops at its first non-zero and
 * returns it.  @fn may call the other store functions, not this one.
 */
int store_pne_foreach(struct store *st,
		      int (*fn)(const struct store_pne *pne, void *arg),
		      void *arg);

/*
 * Figure a step 4: the slot of PNE @id in the current set: the one it
 * holds, else the lowest slot never handed out in this set (committed
 * before returning).  -ENOENT unknown PNE, -EPERM revoked, -ENOSPC the
 * set is full (the caller starts a new set), -ENODATA no set yet.
 */
int store_pne_assign(struct store *st, const char *id, uint32_t *slot,
		     char *err, size_t len);

/*
 * store_pne_assign for @n PNEs in one transaction, so that one commit (one
 * fsync) serves them all: the event loop can answer every request that
 * arrived in one pass.  When it returns 0 the transaction is committed and
 * rets[i] is what store_pne_assign would have returned for ids[i], with
 * slots[i] set when rets[i] is 0; a refusal of one PNE does not affect the
 * others.  Otherwise nothing was assigned and every rets[i] is the
 * returned error.  An id may repeat: it gets the same slot.
 */
int store_pne_assign_many(struct store *st, const char *const *ids,
			  size_t n, uint32_t *slots, int *rets, char *err,
			  size_t len);

/* Slots of the current set by state (-ENOENT: no set yet). */
int store_slot_counts(struct store *st, uint32_t *free_, uint32_t *assigned,
		      uint32_t *revoked);

/*
 * Figure b on the gateway: the Group Keys its CPNS Server sent, the
 * members of each group at this gateway, and which PNE acknowledged which
 * epoch, so that a delivery interrupted by a crash completes after it.
 */
struct store_gk {
	uint32_t group;
	uint64_t epoch;
	uint8_t key[32];	/* wipe after use */
	uint64_t valid_from, valid_until;	/* Unix seconds */
};

/*
 * Figure b step 3: store the server's Group Key Notification, the key of
 * @gk->group and its @n members here (@members ascending in byte order,
 * as the notification lists them), in one transaction.  An epoch below
 * the stored one: -ESTALE; the same epoch with another key or validity:
 * -EEXIST; the same epoch and key: the member list is replaced (a join or
 * a repeat).  A PNE that was a member and is not any more is recorded as
 * excluded at @gk->epoch; one that is a member again loses that record.
 * Acknowledgements of older epochs of the group are dropped, and the
 * replaced key is overwritten in the file.  -EINVAL for group 0, an epoch
 * outside 1..2^63-1 (SQLite's integers are signed), a bad id, or members
 * not strictly ascending.
 */
int store_gk_put(struct store *st, const struct store_gk *gk,
		 const char *const *members, size_t n, char *err, size_t len);
/* The current key of @group, or -ENOENT. */
int store_gk_get(struct store *st, uint32_t group, struct store_gk *gk);
/* Each group's current key, ascending group; @fn may not call the store. */
int store_gk_foreach(struct store *st,
		     int (*fn)(const struct store_gk *gk, void *arg),
		     void *arg);
/* Members of @group in byte order of their id; same rules for @fn. */
int store_gk_member_foreach(struct store *st, uint32_t group,
			    int (*fn)(const char *pne_id, void *arg),
			    void *arg);
/* 1 when @pne_id is a member of @group, 0 when not, or -errno. */
int store_gk_is_member(struct store *st, uint32_t group, const char *pne_id);
/*
 * The groups @pne_id was excluded from (and is not a member of again),
 * with the epoch of its exclusion; same rules for @fn.
 */
int store_gk_excluded_foreach(struct store *st, const char *pne_id,
			      int (*fn)(uint32_t group, uint64_t epoch,
					void *arg),
			      void *arg);
/*
 * @pne_id installed @epoch of @group (figure b step 7); a repeat is a
 * success.  -ESTALE when @epoch is not the group's current one, -ENOENT
 * when the group has no key here.
 */
int store_gk_ack(struct store *st, uint32_t group, uint64_t epoch,
		 const char *pne_id);
/* 1 when @pne_id acknowledged @epoch of @group, 0 when not, or -errno. */
int store_gk_acked(struct store *st, uint32_t group, uint64_t epoch,
		   const char *pne_id);
/* The PNEs that acknowledged @epoch of @group, in id order. */
int store_gk_ack_foreach(struct store *st, uint32_t group, uint64_t epoch,
			 int (*fn)(const char *pne_id, void *arg), void *arg);

#endif /* CPNSD_STORE_H */
