/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpnsd's control socket: how cpnsctl reaches what only the daemon holds
 * (PNE registrations, the key material set, sessions; on the CPNS Server
 * the Service Groups' members, their Group Keys and delivery reports).
 *
 * A UNIX SOCK_SEQPACKET socket, CPNS_CTL_PATH, mode 0600 and checked
 * with SO_PEERCRED (uid 0 only).  Each packet is one message in netlink
 * format (struct nlmsghdr, struct genlmsghdr, attributes), so both sides
 * build and parse it with libmnl and cpns_nl_parse()'s policies, as they
 * do the module's messages:
 *
 *   request  nlmsg_type CPNS_CTL_TYPE, genl cmd CPNS_CTL_CMD_*,
 *            NLM_F_REQUEST (| NLM_F_DUMP for list commands)
 *   reply    one message per object (nlmsg_type CPNS_CTL_TYPE), then
 *            NLMSG_DONE; or NLMSG_ERROR with the negative errno and,
 *            after it, CPNS_CTL_A_ERRMSG (the reason, naming the argument)
 *            and CPNS_CTL_A_ERRATTR (the request attribute at fault)
 */
#ifndef CPNS_CTL_H
#define CPNS_CTL_H

#define CPNS_CTL_DIR		"/run/cpnsd"
#define CPNS_CTL_PATH		CPNS_CTL_DIR "/control"
#define CPNS_CTL_TYPE		0x20	/* above NLMSG_MIN_TYPE (0x10) */
#define CPNS_CTL_VERSION	1
#define CPNS_CTL_MSG_MAX	8192

enum cpns_ctl_cmd {
	CPNS_CTL_CMD_UNSPEC,
	CPNS_CTL_CMD_PNE_ADD,		/* gateway: PNE_ID, EU_KEY_FILE */
	CPNS_CTL_CMD_PNE_DEL,		/* gateway: PNE_ID (slot stays burnt
					 * if it was assigned: revoked) */
	CPNS_CTL_CMD_PNE_REVOKE,	/* gateway: PNE_ID */
	CPNS_CTL_CMD_PNE_GET,		/* gateway: PNE_ID, or dump */
	CPNS_CTL_CMD_KEYSET_GET,	/* gateway */
	CPNS_CTL_CMD_DAEMON_GET,	/* any role; STATS flag for counters */
	CPNS_CTL_CMD_PEER_GET,		/* any role: dump of sessions */
	CPNS_CTL_CMD_MEMBER_ADD,	/* server: GROUP, PNE_ID, GATEWAY */
	CPNS_CTL_CMD_MEMBER_DEL,	/* server: GROUP, PNE_ID, GATEWAY (the
					 * group moves to a new epoch) */
	CPNS_CTL_CMD_MEMBER_GET,	/* server: dump, GROUP to filter; one
					 * object per member: GROUP, PNE_ID,
					 * GATEWAY, CREATED (added) */
	CPNS_CTL_CMD_GK_ROTATE,		/* server: GROUP; answer GROUP, EPOCH */
	CPNS_CTL_CMD_GK_GET,		/* server: dump, GROUP to filter; see
					 * "Group Key report" below */
	__CPNS_CTL_CMD_MAX
};

enum cpns_ctl_attr {
	CPNS_CTL_A_UNSPEC,
	CPNS_CTL_A_ERRMSG,		/* string */
	CPNS_CTL_A_ERRATTR,		/* u16: request attribute at fault */
	CPNS_CTL_A_PNE_ID,		/* string, 1..64 chars */
	CPNS_CTL_A_EU_KEY_FILE,		/* string, absolute path */
	CPNS_CTL_A_PNE_STATE,		/* u8 enum cpns_ctl_pne_state */
	CPNS_CTL_A_SLOT,		/* u32 */
	CPNS_CTL_A_SET_ID,		/* u32 */
	CPNS_CTL_A_HEIGHT,		/* u8 */
	CPNS_CTL_A_GATEWAY_ID,		/* u64 */
	CPNS_CTL_A_SLOTS_FREE,		/* u32 */
	CPNS_CTL_A_SLOTS_ASSIGNED,	/* u32 */
	CPNS_CTL_A_SLOTS_REVOKED,	/* u32 */
	CPNS_CTL_A_ROLE,		/* string: server, gateway, pne */
	CPNS_CTL_A_UPTIME,		/* u64 seconds */
	CPNS_CTL_A_PEER,		/* string: address:port or id */
	CPNS_CTL_A_PEER_STATE,		/* string: handshake, up, backoff... */
	CPNS_CTL_A_STATS,		/* flag in a request; nest in a reply */
	CPNS_CTL_A_ASSIGNED_AT,		/* u64 Unix seconds */
	CPNS_CTL_A_FINGERPRINT,		/* binary 8: GKDK fingerprint */
	CPNS_CTL_A_VERSION,		/* string: cpnsd's version */
	CPNS_CTL_A_PEER_ID,		/* string: PNE id / certificate CN */
	CPNS_CTL_A_SINCE,		/* u64 Unix seconds in this state */
	CPNS_CTL_A_GROUP,		/* u32 Service Group, 1..UINT32_MAX */
	CPNS_CTL_A_GATEWAY,		/* string: gateway certificate CN,
					 * 1..64 chars as PNE_ID */
	CPNS_CTL_A_EPOCH,		/* u64 Group Key epoch */
	CPNS_CTL_A_VALID_FROM,		/* u64 Unix seconds */
	CPNS_CTL_A_VALID_UNTIL,		/* u64 Unix seconds */
	CPNS_CTL_A_CREATED,		/* u64 Unix seconds: key issued,
					 * member added */
	CPNS_CTL_A_DELIVERY,		/* u8 enum cpns_ctl_delivery */
	CPNS_CTL_A_STATUS,		/* u16 enum cpns_msg_status answered */
	CPNS_CTL_A_ACKED_AT,		/* u64 Unix seconds of the answer */
	__CPNS_CTL_A_MAX
};

/*
 * Group Key report (GK_GET): per group, one key object (GROUP, EPOCH,
 * VALID_FROM, VALID_UNTIL, CREATED; never the key) followed by its
 * delivery rows.  A row is told from a key object by its GATEWAY, which
 * only rows have: GROUP, EPOCH, GATEWAY, PNE_ID (absent in the
 * gateway's own row, figure b step 3), DELIVERY, and STATUS and
 * ACKED_AT once answered.  Rows come per gateway, its own row first.
 */
enum cpns_ctl_delivery {
	CPNS_CTL_DLV_MISSING,		/* no answer for this epoch yet */
	CPNS_CTL_DLV_ACKED,		/* answered ok */
	CPNS_CTL_DLV_REFUSED,		/* answered with another status */
};

/* Counters in CPNS_CTL_A_STATS (each u64): refusals and work done. */
enum cpns_ctl_stat {
	CPNS_CTL_S_UNSPEC,
	CPNS_CTL_S_SESSIONS,		/* sessions accepted or opened */
	CPNS_CTL_S_HANDSHAKE_FAILED,	/* TLS handshake refused/failed */
	CPNS_CTL_S_HANDSHAKE_TIMEOUT,
	CPNS_CTL_S_IDLE_TIMEOUT,
	CPNS_CTL_S_MALFORMED,		/* messages refused by the parser */
	CPNS_CTL_S_TOO_BIG,		/* messages above the size limit */
	CPNS_CTL_S_SESSION_LIMIT,	/* refused: too many sessions */
	CPNS_CTL_S_RATE_LIMIT,		/* refused: address over its rate */
	CPNS_CTL_S_UNKNOWN_PNE,
	CPNS_CTL_S_REVOKED_PNE,
	CPNS_CTL_S_GKDK_ASSIGNED,	/* GKDK Assignment Responses sent */
	CPNS_CTL_S_GKDK_INSTALLED,	/* PNE: GKDKs put into the module */
	__CPNS_CTL_S_MAX
};

enum cpns_ctl_pne_state {
	CPNS_CTL_PNE_REGISTERED,	/* known, no slot yet */
	CPNS_CTL_PNE_ASSIGNED,		/* holds a slot */
	CPNS_CTL_PNE_REVOKED,		/* slot burnt; refused */
};

/*
 * Shared by cpnsd (request validation) and its clients (replies): what
 * each attribute of the protocol must be.  Client side: one connection,
 * one request at a time, replies read to their NLMSG_DONE or error.
 */
#include <stdint.h>
#include <libmnl/libmnl.h>
#include "nl.h"

/* Another socket path, e.g. a test's daemon in its own namespace. */
#define CPNS_CTL_ENV		"CPNSD_CONTROL"
#define CPNS_CTL_PNE_ID_MAX	64	/* and gateway names */
#define CPNS_CTL_PATH_MAX	4096
/* How long a client waits for cpnsd's reply. */
#define CPNS_CTL_TIMEOUT_SEC	30

extern const struct cpns_nl_policy_set cpns_ctl_policy;
extern const struct cpns_nl_policy_set cpns_ctl_stats_policy;

struct cpns_ctl {
	int fd;
	uint32_t seq;
	char path[108];			/* sun_path */
	char errmsg[256];		/* cpnsd's reason for the last error */
	int errattr;			/* and the attribute at fault, or 0 */
	char req[CPNS_CTL_MSG_MAX];
	char buf[CPNS_CTL_MSG_MAX];
};

const char *cpns_ctl_path(void);
int cpns_ctl_open(struct cpns_ctl *c, const char *path);
void cpns_ctl_close(struct cpns_ctl *c);
struct nlmsghdr *cpns_ctl_request(struct cpns_ctl *c, uint8_t cmd,
				  uint16_t flags);
int cpns_ctl_talk(struct cpns_ctl *c, struct nlmsghdr *req, mnl_cb_t cb,
		  void *data);

#endif /* CPNS_CTL_H */
