// SPDX-License-Identifier: GPL-2.0
/*
 * Every mutating netlink op under failslab, with fail-nth walking every
 * slab allocation on its path (Documentation/fault-injection/
 * fault-injection.rst): for N = 1, 2, ... the op runs with the N-th
 * allocation of this task failing, until it runs with no failure
 * injected.  Each failed run must end in an error, and leave the
 * objects exactly as before the op, or (when only the reply was lost)
 * exactly as after a clean run: never half of the op.  Leaks, WARNs and
 * KASAN reports are the harness's (kmemleak.sh, the guard, the console).
 *
 * Needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS: the debug
 * kernel of make check-debug.  Elsewhere it skips.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../cpns/nl_common.h"

#define MAX_NTH	4000

struct snap {
	char buf[1 << 16];
	size_t len;
};

/* Append a reply's attributes, without the times a re-install changes. */
static int snap_cb(struct nlmsghdr *nlh, void *arg)
{
	const struct genlmsghdr *g = nlmsg_data(nlh);
	struct snap *s = arg;
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		if (g->cmd == CPNS_CMD_KEY_GET &&
		    (nla_type(a) == CPNS_A_KEY_INSTALLED ||
		     nla_type(a) == CPNS_A_KEY_EXPIRES))
			continue;
		if (s->len + nla_total_size(nla_len(a)) + 1 > sizeof(s->buf))
			return -ENOSPC;
		s->buf[s->len++] = g->cmd;
		memcpy(s->buf + s->len, a, a->nla_len);
		s->len += a->nla_len;
	}
	return 0;
}

static int snapshot(struct nlc *c, struct snap *s)
{
	static const uint8_t cmds[] = {
		CPNS_CMD_GROUP_GET, CPNS_CMD_KEY_GET, CPNS_CMD_GKDK_GET,
	};
	size_t i;

	s->len = 0;
	for (i = 0; i < sizeof(cmds); i++)
		if (nlc_xfer(c, nlc_req(c, cmds[i], NLM_F_DUMP), snap_cb, s))
			return -1;
	return 0;
}

static bool same(const struct snap *a, const struct snap *b)
{
	return a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

static int nth_fd(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static void nth_set(int fd, int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%d", n);

	if (pwrite(fd, b, len, 0) != len)
		abort();
}

/* 0 once the failure was injected, else the allocations still to go. */
static int nth_left(int fd)
{
	char b[16] = "";

	if (pread(fd, b, sizeof(b) - 1, 0) <= 0)
		return -1;
	return atoi(b);
}

static int knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

struct op {
	const char *name;
	int (*setup)(struct nlc *c);
	int (*run)(struct nlc *c);
};

static uint8_t *vec_gkdk, *vec_blob;
static size_t vec_gkdk_len, vec_blob_len;

static int none(struct nlc *c)
{
	(void)c;
	return 0;
}

static int group1(struct nlc *c)
{
	return nlc_group_new(c, 1, 5, 3600, 60);
}

static int group1_keys(struct nlc *c)
{
	return group1(c) ?: nlc_key_seed(c, 1, 1, 11) ?: nlc_key_seed(c, 1, 2, 12);
}

static int group1_key1(struct nlc *c)
{
	return group1(c) ?: nlc_key_seed(c, 1, 1, 11);
}

static int gkdk(struct nlc *c)
{
	return nlc_gkdk_set(c, vec_gkdk, vec_gkdk_len);
}

static int gkdk_group(struct nlc *c)
{
	return nlc_set_clock(VEC_TIME) ?: gkdk(c) ?:
	       nlc_group_new(c, VEC_GROUP, -1, -1, -1);
}

static int run_group_new(struct nlc *c)
{
	return group1(c);
}

static int run_group_new_selector(struct nlc *c)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);
	uint8_t a[4] = { 10, 98, 0, 2 };
	struct nlattr *n;

	nla_put_u32(m, CPNS_A_GROUP_ID, 2);
	n = nla_nest_start(m, CPNS_A_GROUP_SELECTOR);
	nla_put_u16(m, CPNS_A_SELECTOR_FAMILY, AF_INET);
	nla_put(m, CPNS_A_SELECTOR_DADDR, 4, a);
	nla_put_u8(m, CPNS_A_SELECTOR_PREFIX_LEN, 32);
	nla_put_u16(m, CPNS_A_SELECTOR_DPORT, htons(7000));
	nla_nest_end(m, n);
	return nlc_do(c, m);
}

static int run_group_del(struct nlc *c)
{
	return nlc_group_del(c, 1);
}

static int run_key_plain(struct nlc *c)
{
	return nlc_key_seed(c, 1, 2, 12);
}

static int run_key_del(struct nlc *c)
{
	return nlc_key_del(c, 1, 1);
}

static int run_key_wrapped(struct nlc *c)
{
	return nlc_key_wrapped(c, VEC_GROUP, vec_blob, vec_blob_len);
}

static int run_gkdk_del(struct nlc *c)
{
	return nlc_gkdk_del(c, VEC_GW);
}

static const struct op ops[] = {
	{ "group-new", none, run_group_new },
	{ "group-new with a selector", none, run_group_new_selector },
	{ "group-del with keys", group1_keys, run_group_del },
	{ "key-install plain, the current one becoming previous",
	  group1_key1, run_key_plain },
	{ "key-del", group1_keys, run_key_del },
	{ "gkdk-set", none, gkdk },
	{ "gkdk-del", gkdk, run_gkdk_del },
	{ "key-install wrapped", gkdk_group, run_key_wrapped },
};

/* Back to an empty namespace, whatever the last run left. */
static void reset(struct nlc *c)
{
	nlc_group_del(c, 1);
	nlc_group_del(c, 2);
	nlc_group_del(c, VEC_GROUP);
	nlc_gkdk_del(c, VEC_GW);
}

FIXTURE(fi) {
	struct nlc c;
	int fd;
	struct timespec real0;
};

FIXTURE_SETUP(fi)
{
	/*
	 * The test skips, not the setup: 6.1's harness runs the test even
	 * after a SKIP() here.
	 */
	self->fd = -2;
	if (access("/sys/kernel/debug/failslab", F_OK))
		return;
	self->fd = -1;
	clock_gettime(CLOCK_REALTIME, &self->real0);
	/*
	 * Sleeping allocations too (GFP_KERNEL is most of them), and no
	 * stack dump per failure: it would read as a kernel warning.
	 */
	ASSERT_EQ(0, knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, knob("/sys/kernel/debug/failslab/verbose", "0"));
	knob("/sys/kernel/debug/fail_page_alloc/verbose", "0");
	system("rmmod cpns 2>/dev/null");
	ASSERT_EQ(0, nlc_modprobe());
	ASSERT_EQ(0, nlc_open(&self->c));
	vec_gkdk = nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", &vec_gkdk_len);
	vec_blob = nlc_vec_field(VEC_OPEN, VEC_GOOD, "blob", &vec_blob_len);
	ASSERT_NE(NULL, vec_gkdk);
	ASSERT_NE(NULL, vec_blob);
	self->fd = nth_fd();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(fi)
{
	if (self->fd < 0)
		return;
	nth_set(self->fd, 0);
	close(self->fd);
	knob("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y");
	reset(&self->c);
	nlc_close(&self->c);
	clock_settime(CLOCK_REALTIME, &self->real0);
	free(vec_gkdk);
	free(vec_blob);
	system("rmmod cpns");
}

TEST_F_TIMEOUT(fi, every_allocation_of_every_op, 1800)
{
	static struct snap before, after, done;
	char msg[sizeof(((struct nlc *)0)->extack)];
	struct nlc o;
	size_t i;
	int n, err, left, injected;

	if (self->fd == -2)
		SKIP(return, "no failslab (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)");

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		const struct op *op = &ops[i];

		/* A clean run first: what success looks like. */
		reset(&self->c);
		ASSERT_EQ(0, op->setup(&self->c));
		ASSERT_EQ(0, snapshot(&self->c, &before));
		ASSERT_EQ(0, op->run(&self->c)) TH_LOG("%s: %s", op->name,
						       self->c.extack);
		ASSERT_EQ(0, snapshot(&self->c, &done));
		ASSERT_FALSE(same(&before, &done)) TH_LOG("%s changes nothing",
							  op->name);

		injected = 0;
		for (n = 1; n <= MAX_NTH; n++) {
			reset(&self->c);
			ASSERT_EQ(0, op->setup(&self->c)) TH_LOG("%s", op->name);
			ASSERT_EQ(0, snapshot(&self->c, &before));
			/*
			 * The op gets a socket of its own: a failure can
			 * leave an error or a late reply queued on it.
			 */
			ASSERT_EQ(0, nlc_open(&o));
			nth_set(self->fd, n);
			err = op->run(&o);
			left = nth_left(self->fd);
			nth_set(self->fd, 0);
			snprintf(msg, sizeof(msg), "%s", o.extack);
			nlc_close(&o);
			ASSERT_LE(0, left);
			ASSERT_EQ(0, snapshot(&self->c, &after))
				TH_LOG("%s, allocation %d: dump failed: %d %s",
				       op->name, n, self->c.err, self->c.extack);
			if (left > 0) {
				/* The whole path ran without a failure. */
				EXPECT_EQ(0, err) TH_LOG("%s, no failure injected: %s",
							 op->name, msg);
				EXPECT_TRUE(same(&after, &done)) TH_LOG("%s",
									op->name);
				break;
			}
			injected++;
			if (err == 0 || same(&after, &done)) {
				/* Only an event or the reply was lost. */
				EXPECT_TRUE(same(&after, &done))
					TH_LOG("%s, allocation %d failed: succeeded half-way",
					       op->name, n);
				continue;
			}
			EXPECT_TRUE(same(&after, &before))
				TH_LOG("%s, allocation %d failed with %d (%s): state changed",
				       op->name, n, err, msg);
		}
		ASSERT_GE(MAX_NTH, n) TH_LOG("%s: no run without a failure", op->name);
		ASSERT_LT(0, injected);
		TH_LOG("%s: %d allocations failed in turn", op->name, injected);
	}
}

TEST_HARNESS_MAIN
