/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpns: what differs between the kernels cpns builds for (Debian's 6.1
 * and 6.12), in one place rather than in #ifdefs through the code.  The
 * CPNS_HAVE_ macros come from probes of the kernel's headers in Kbuild.
 */
#ifndef _CPNS_COMPAT_H
#define _CPNS_COMPAT_H

#include <net/genetlink.h>
#include <net/inet_sock.h>

/* 6.12 moved the unaligned accessors out of asm/. */
#ifdef CPNS_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* 6.6 gave dumps a struct genl_info and moved their attributes into it. */
static inline struct nlattr **cpns_dump_attrs(struct netlink_callback *cb)
{
#ifdef CPNS_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* 6.6 moved IP_RECVERR's flag into inet_flags. */
static inline bool cpns_ip_recverr(struct sock *sk)
{
#ifdef CPNS_HAVE_INET_FLAGS
	return inet_test_bit(RECVERR, sk);
#else
	return inet_sk(sk)->recverr;
#endif
}

#endif /* _CPNS_COMPAT_H */
