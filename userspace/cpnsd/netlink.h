/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPNSD_NETLINK_H
#define CPNSD_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

struct cpnsd;
struct nl_link;

/* What the role does when the module comes, goes or speaks. */
struct nl_handlers {
	void (*up)(void *arg);		/* family (re)joined */
	void (*down)(void *arg);	/* module unloaded */
	void (*lost)(void *arg);	/* events dropped: re-read state */
	void (*event)(void *arg, uint8_t cmd, const struct nlmsghdr *nlh);
};

/*
 * Watch for the family and join it now if it is there (a module not yet
 * loaded is not an error: the daemon waits for it).
 */
int nl_link_open(struct cpnsd *d, const struct nl_handlers *h, void *arg,
		 struct nl_link **out);
void nl_link_close(struct nl_link *l);
bool nl_link_up(const struct nl_link *l);

/* GKDK_SET; @err gets errno text and the module's extack. */
int nl_gkdk_set(struct nl_link *l, const uint8_t *gkdk, size_t gkdk_len,
		char *err, size_t len);
/* 1 when the module holds a GKDK of @gateway_id, 0 when not, or -errno. */
int nl_gkdk_present(struct nl_link *l, uint64_t gateway_id);

/* GROUP_NEW with the module's defaults unless the group exists. */
int nl_group_ensure(struct nl_link *l, uint32_t group, char *err,
		    size_t len);
/*
 * KEY_INSTALL in the clear (server, gateway) or wrapped (PNE, figure b
 * step 8); the group is created first if missing.  -errno with the
 * module's extack in @err: ESTALE an older epoch, EEXIST the same epoch
 * with another key, ENOKEY (extack "slot not covered") not a member.
 */
int nl_key_install_plain(struct nl_link *l, uint32_t group, uint64_t epoch,
			 const uint8_t key[32], uint32_t lifetime, char *err,
			 size_t len);
int nl_key_install_wrapped(struct nl_link *l, uint32_t group, uint64_t epoch,
			   const uint8_t *blob, size_t blob_len, char *err,
			   size_t len);
/* The group's current epoch, 0 when it has no key or does not exist. */
int nl_key_current(struct nl_link *l, uint32_t group, uint64_t *epoch);
/* The same and the previous epoch (0: none). */
int nl_group_epochs(struct nl_link *l, uint32_t group, uint64_t *current,
		    uint64_t *previous);
int nl_key_del(struct nl_link *l, uint32_t group, uint64_t epoch, char *err,
	       size_t len);

#endif /* CPNSD_NETLINK_H */
