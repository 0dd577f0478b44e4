/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPNSCTL_H
#define CPNSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

/* Exit status, as ip(8): 0 ok, 1 the operation failed, 2 usage. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cpnsctl {
	bool json;
	bool pretty;
	bool stats;
	const char *netns;
	const char *batch;
	struct cpns_nl nl;
	bool nl_open;
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

/*
 * What a reply's attribute must be before it is read: the kernel is
 * trusted, but a short attribute must not make us read past it.  A
 * binary with len 0 may have any length.
 */
struct attr_check {
	enum mnl_attr_data_type type;
	uint16_t len;
};

int parse_attrs(const struct nlmsghdr *nlh, const struct nlattr *nest,
		const struct attr_check *checks, int max,
		const struct nlattr **tb);
const char *scheme_name(uint32_t scheme);
void cpnsctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* util.c: argument parsing that names the argument on failure. */
int arg_u32(const char *kw, const char *s, uint32_t max, uint32_t *v);
int arg_u64(const char *kw, const char *s, uint64_t *v);
int arg_need(const char *obj, const char *kw, int argc);
int read_secret(const char *kw, const char *path, uint8_t *buf,
		size_t size, size_t *len);
void print_fingerprint(const char *key, const char *fmt,
		       const void *fp, size_t len);
void print_time(const char *key, const char *fmt, uint64_t t);
void print_remaining(const char *key, const char *fmt, uint64_t t);

int cmd_info(struct cpnsctl *ctl, int argc, char **argv);
int cmd_gkdk(struct cpnsctl *ctl, int argc, char **argv);
int cmd_group(struct cpnsctl *ctl, int argc, char **argv);
int cmd_key(struct cpnsctl *ctl, int argc, char **argv);
int cmd_stats(struct cpnsctl *ctl, int argc, char **argv);
int cmd_monitor(struct cpnsctl *ctl, int argc, char **argv);

/* Shared by the objects that show keys and groups in several places. */
int print_key_msg(const struct nlmsghdr *nlh, void *data);
void print_gkdk_msg(const struct nlmsghdr *nlh);
int print_stats_attrs(const struct nlmsghdr *nlh, const char *first,
		      const char *indent);

#endif /* CPNSCTL_H */
