/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPNS Server's durable state (Documentation/daemon.rst, "State"):
 * Service Group membership, the Group Keys it issued with their epochs,
 * and who acknowledged which epoch.  One SQLite database today, behind
 * this interface only, so that a database shared by several servers can
 * replace it later without touching the protocol code.
 *
 * Gateways are named by the common name of their X.509 certificate
 * (1..64 of A-Z a-z 0-9 . _ : -, as PNE ids), which is what the server
 * sees of a gateway's TLS session.
 *
 * Every function that changes state runs one transaction and returns
 * only after it is committed (WAL, synchronous=FULL).  Functions return 0
 * or a negative errno; @err (may be NULL) gets a one-line reason for the
 * log, never a secret.
 */
#ifndef CPNSD_SRVSTORE_H
#define CPNSD_SRVSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_NAME_MAX	64	/* PNE id or gateway name */
#define SRV_KEY_LEN	32

struct srvstore;

struct srv_member {
	uint32_t group;
	char pne_id[SRV_NAME_MAX + 1];
	char gateway[SRV_NAME_MAX + 1];
	uint64_t added_at;	/* Unix seconds */
};

/* A Group Key as issued; wipe @key after use. */
struct srv_gk {
	uint32_t group;
	uint64_t epoch;
	uint8_t key[SRV_KEY_LEN];
	uint64_t valid_from, valid_until;	/* Unix seconds */
	uint64_t created;			/* Unix seconds */
};

enum srv_delivery_state {
	SRV_DLV_MISSING,	/* no answer for this epoch yet */
	SRV_DLV_ACKED,		/* answered ok */
	SRV_DLV_REFUSED,	/* answered with another status */
};

/*
 * One row of a delivery report: a member PNE of @group at @gateway and
 * what it answered for @epoch, or (pne_id "") the gateway itself (figure
 * b step 3).
 */
struct srv_delivery {
	uint32_t group;
	uint64_t epoch;
	char gateway[SRV_NAME_MAX + 1];
	char pne_id[SRV_NAME_MAX + 1];
	enum srv_delivery_state state;
	uint16_t status;	/* enum cpns_msg_status, when answered */
	uint64_t at;		/* Unix seconds of the answer, when answered */
};

/*
 * Opens (creating 0600, with its schema) or migrates the database at
 * @path, with the checks of store_open(): -EPERM a file (or its -wal,
 * -shm) not owned by the effective uid or open to group or others,
 * -ELOOP a symbolic link, -ENOTSUP a newer schema, -EINVAL not ours.
 * Deleted rows are overwritten (secure_delete): old keys do not linger
 * in free pages.
 */
int srvstore_open(const char *path, struct srvstore **st, char *err,
		  size_t len);
void srvstore_close(struct srvstore *st);
const char *srvstore_errmsg(const struct srvstore *st);

/*
 * -EEXIST when the PNE already is a member of @group at @gateway,
 * -EINVAL for group 0 or a bad name.  A PNE id may be a member at two
 * gateways (two devices that share a name are two members).
 */
int srvstore_member_add(struct srvstore *st, uint32_t group,
			const char *pne_id, const char *gateway, char *err,
			size_t len);
/* -ENOENT when it is not a member. */
int srvstore_member_del(struct srvstore *st, uint32_t group,
			const char *pne_id, const char *gateway, char *err,
			size_t len);
/*
 * Calls @fn for each member of @group (0: every group) at @gateway (NULL:
 * every gateway), ordered by group, gateway, then PNE id in byte order
 * (the order of a gk-notify's members); stops at @fn's first non-zero
 * and returns it.  @fn must not call other srvstore functions.
 */
int srvstore_member_foreach(struct srvstore *st, uint32_t group,
			    const char *gateway,
			    int (*fn)(const struct srv_member *m, void *arg),
			    void *arg);
/*
 * The gateways that have, or had at @group's current epoch, members of
 * @group, ascending; the same rules for @fn.  A gateway whose last member
 * left while epoch e was current stays listed while e or the next epoch
 * is current: it gets the epoch that excludes the member, whether asked
 * before or after srvstore_gk_put, and that epoch's delivery report
 * shows its answer.
 */
int srvstore_group_gateways(struct srvstore *st, uint32_t group,
			    int (*fn)(const char *gateway, void *arg),
			    void *arg);

/*
 * Issue @gk: its epoch must be above every epoch @group ever had
 * (-ESTALE otherwise, even after older keys were wiped), so an epoch is
 * never issued twice with different keys.  Keys older than the previous
 * epoch are deleted (overwritten) in the same transaction.  -EINVAL for
 * group 0 or an epoch outside 1..2^63-1 (SQLite's integers are signed).
 */
int srvstore_gk_put(struct srvstore *st, const struct srv_gk *gk,
		    char *err, size_t len);
/* The current (highest) key of @group, or -ENOENT; wipe @gk after use. */
int srvstore_gk_current(struct srvstore *st, uint32_t group,
			struct srv_gk *gk);
/* Highest epoch @group ever had; 0 when none. */
int srvstore_gk_last_epoch(struct srvstore *st, uint32_t group,
			   uint64_t *epoch);
/* Each group's current key, ascending group; rules of member_foreach. */
int srvstore_gk_foreach(struct srvstore *st,
			int (*fn)(const struct srv_gk *gk, void *arg),
			void *arg);

/*
 * A gateway's answer for @epoch of @group: its own (pne_id "" or NULL)
 * or one of its PNEs'.  A later answer for the same PNE replaces the
 * earlier one; answers for an epoch that is not the current key's are
 * kept only while that key is (they go with it).  -ENOENT for an epoch
 * never issued, -ESTALE for one whose key was deleted.  Answers of PNEs
 * that are not members are kept but not reported.
 */
int srvstore_ack_put(struct srvstore *st, uint32_t group, uint64_t epoch,
		     const char *gateway, const char *pne_id,
		     uint16_t status, uint64_t at, char *err, size_t len);
/*
 * The delivery report of @epoch of @group: for each gateway with members
 * (srvstore_group_gateways order), its own row, then one row per member
 * PNE in id order, answered or not; the same rules for @fn.  ACKED is
 * status CPNS_ST_OK.  -ENOENT or -ESTALE as srvstore_ack_put.
 */
int srvstore_delivery_foreach(struct srvstore *st, uint32_t group,
			      uint64_t epoch,
			      int (*fn)(const struct srv_delivery *dl,
					void *arg),
			      void *arg);

#endif /* CPNSD_SRVSTORE_H */
