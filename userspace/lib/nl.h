/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink client for the cpns family, on libmnl.
 */
#ifndef CPNS_NL_H
#define CPNS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>

/* Large enough for a full dump message (the kernel sends up to 32 KiB). */
#define CPNS_NL_BUFSIZE 32768
/* A request: the largest attribute (a 65,531-byte wrapped key) and room. */
#define CPNS_NL_REQSIZE (65536 + 4096)

struct cpns_nl {
	struct mnl_socket *sock;
	uint16_t family_id;
	uint32_t family_version;
	uint32_t mcgrp_events;	/* 0 when the family has no event group */
	uint32_t portid;
	uint32_t seq;
	char extack[256];	/* the kernel's message for the last error */
	uint32_t extack_off;	/* offset of the attribute at fault, or 0 */
	uint32_t extack_miss;	/* type of the attribute missing, or 0 */
	char *buf;		/* CPNS_NL_BUFSIZE bytes, for replies */
	char *req;		/* CPNS_NL_REQSIZE bytes, the request */
};

int cpns_nl_open(struct cpns_nl *nl);
void cpns_nl_close(struct cpns_nl *nl);

struct nlmsghdr *cpns_nl_request(struct cpns_nl *nl, uint8_t cmd,
				 uint16_t flags);
int cpns_nl_talk(struct cpns_nl *nl, struct nlmsghdr *req,
		 mnl_cb_t cb, void *data);
int cpns_nl_bad_attr(const struct cpns_nl *nl, const struct nlmsghdr *req,
		     int *nest);
int cpns_nl_dump(struct cpns_nl *nl, struct nlmsghdr *req, mnl_cb_t cb,
		 void *data);
int cpns_nl_subscribe(struct cpns_nl *nl);
int cpns_nl_recv_events(struct cpns_nl *nl, mnl_cb_t cb, void *data);

int cpns_nl_resolve_family(struct mnl_socket *sock, const char *name,
			   uint16_t *id, uint32_t *version,
			   const char *mcgrp, uint32_t *mcgrp_id);

/*
 * What an attribute of a reply or an event must be before it is read.
 * The kernel is trusted, but a reply it did not mean (another module
 * with our family name, a bug, a newer ABI) must not make us read past
 * an attribute: fixed-size types must have exactly their size, as the
 * kernel's own policies demand of requests.
 */
struct cpns_nl_policy {
	const char *name;		/* for messages */
	enum mnl_attr_data_type type;	/* MNL_TYPE_UNSPEC: skipped */
	uint16_t min_len, max_len;	/* BINARY, NUL_STRING; 0: no bound */
	const struct cpns_nl_policy_set *nested;	/* NESTED members */
};

/* The policy of one attribute set, indexed by attribute type. */
struct cpns_nl_policy_set {
	const char *name;
	const struct cpns_nl_policy *attrs;
	int max;
};

extern const struct cpns_nl_policy_set cpns_nl_info_policy;
extern const struct cpns_nl_policy_set cpns_nl_gkdk_policy;
extern const struct cpns_nl_policy_set cpns_nl_group_policy;
extern const struct cpns_nl_policy_set cpns_nl_key_policy;
extern const struct cpns_nl_policy_set cpns_nl_stats_policy;

int cpns_nl_parse(const struct nlmsghdr *nlh,
		  const struct cpns_nl_policy_set *pol,
		  const struct nlattr **tb, char *why, size_t why_len);
int cpns_nl_parse_nested(const struct nlattr *nest,
			 const struct cpns_nl_policy_set *pol,
			 const struct nlattr **tb);

#endif /* CPNS_NL_H */
