/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPNSCTL_H
#define CPNSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "nl.h"

/*
 * Exit status, as ip(8): 0 ok, 1 a syntax error (the command line or a
 * batch line), 2 the command was understood but failed (the kernel
 * refused it, a file or namespace could not be opened).
 */
enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_FAIL = 2 };

/* -t: ip's "Timestamp: ..." line; -ts: an ISO 8601 prefix. */
enum { CPNSCTL_TS_NONE, CPNSCTL_TS_LONG, CPNSCTL_TS_SHORT };

struct cpnsctl {
	bool json;
	bool pretty;
	bool stats;
	int timestamp;		/* CPNSCTL_TS_* */
	const char *netns;
	const char *batch;
	struct cpns_nl nl;
	bool nl_open;
	struct cpns_ctl *ctlsock;	/* cpnsd's control socket, once used */
};

struct cpnsctl_object {
	const char *name;
	int (*handler)(struct cpnsctl *ctl, int argc, char **argv);
	const char *help;
};

/* Attribute names of one attribute set, for "argument at fault". */
struct cpnsctl_attrs {
	const char *const *names;	/* indexed by attribute type */
	size_t n;
};

int cpnsctl_connect(struct cpnsctl *ctl);
int cpnsctl_nl_error(struct cpnsctl *ctl, const char *what,
		     const struct nlmsghdr *req,
		     const struct cpnsctl_attrs *attrs, int err);
int cpnsctl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

int parse_reply(const struct nlmsghdr *nlh,
		const struct cpns_nl_policy_set *pol, const struct nlattr **tb);
const char *take_reply_error(void);
const char *scheme_name(uint32_t scheme);
void cpnsctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* util.c: argument parsing that names the argument on failure. */
int arg_u32(const char *kw, const char *s, uint32_t max, uint32_t *v);
int arg_u64(const char *kw, const char *s, uint64_t *v);
int arg_need(const char *obj, const char *kw, int argc);
bool cpnsctl_name_ok(const char *s, size_t len);
int group_arg(const char *what, const char *s, uint32_t *group);
int read_secret(const char *kw, const char *path, uint8_t *buf,
		size_t size, size_t *len);
void print_fingerprint(const char *key, const char *fmt,
		       const void *fp, size_t len);
void print_time(const char *key, const char *fmt, uint64_t t);
void print_duration(const char *key, const char *fmt, uint64_t secs);
void print_remaining(const char *key, const char *fmt, uint64_t t);

int cmd_info(struct cpnsctl *ctl, int argc, char **argv);
int cmd_gkdk(struct cpnsctl *ctl, int argc, char **argv);
int cmd_group(struct cpnsctl *ctl, int argc, char **argv);
int cmd_key(struct cpnsctl *ctl, int argc, char **argv);
int cmd_stats(struct cpnsctl *ctl, int argc, char **argv);
int cmd_monitor(struct cpnsctl *ctl, int argc, char **argv);
int cmd_pne(struct cpnsctl *ctl, int argc, char **argv);
int cmd_keyset(struct cpnsctl *ctl, int argc, char **argv);
int cmd_daemon(struct cpnsctl *ctl, int argc, char **argv);
int cmd_member(struct cpnsctl *ctl, int argc, char **argv);
int cmd_group_key(struct cpnsctl *ctl, int argc, char **argv);

/* ctlsock.c: cpnsd's control socket (the daemon's objects). */
int cpnsctl_ctl_connect(struct cpnsctl *ctl);
int cpnsctl_ctl_talk(struct cpnsctl *ctl, const char *what,
		     struct nlmsghdr *req, const struct cpnsctl_attrs *attrs,
		     mnl_cb_t cb, void *data);
void cpnsctl_ctl_close(struct cpnsctl *ctl);

/* Shared by the objects that show keys and groups in several places. */
void print_key_attrs(const struct nlattr **tb);
void print_gkdk_attrs(const struct nlattr **tb);
void print_stats_attrs(const struct nlattr **tb, const char *first,
		       const char *indent);

#endif /* CPNSCTL_H */
