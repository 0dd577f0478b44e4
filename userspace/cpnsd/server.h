/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the CPNS Server role offers the control socket (cpnsctl member,
 * cpnsctl group-key): membership changes, rotations and the delivery
 * report.  Each returns 0 or -errno with a one-line reason in @err that
 * names the argument at fault.
 */
#ifndef CPNSD_SERVER_H
#define CPNSD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "srvstore.h"

struct cpnsd;

/*
 * A new member gets the group's current epoch at once (its gateway is
 * sent the notification again with the new member list) and every later
 * one.
 */
int server_member_add(struct cpnsd *d, uint32_t group, const char *pne_id,
		      const char *gateway, char *err, size_t len);
/*
 * A removed member is excluded: the group moves to a new epoch whose
 * cover leaves it out, and its gateway sends it an exclusion notice.
 */
int server_member_del(struct cpnsd *d, uint32_t group, const char *pne_id,
		      const char *gateway, char *err, size_t len);
int server_member_foreach(struct cpnsd *d, uint32_t group,
			  int (*fn)(const struct srv_member *m, void *arg),
			  void *arg);

/* Figure b step 1: a new Group Key for @group; *@epoch gets its epoch. */
int server_rotate(struct cpnsd *d, uint32_t group, uint64_t *epoch,
		  char *err, size_t len);

/*
 * `group-key show`: for @group (0: every group with a key), @key with the
 * current key (never its bytes: @gk->key is zeroed), then @row for each
 * line of its delivery report.  Stops at the first non-zero.
 */
int server_gk_foreach(struct cpnsd *d, uint32_t group,
		      int (*key)(const struct srv_gk *gk, void *arg),
		      int (*row)(const struct srv_delivery *dl, void *arg),
		      void *arg);

#endif /* CPNSD_SERVER_H */
