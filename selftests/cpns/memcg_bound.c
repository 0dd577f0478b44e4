// SPDX-License-Identifier: GPL-2.0
/*
 * What a user namespace can make the kernel allocate is bounded and
 * charged.  A process in a memory cgroup (memory.max set) creates a user
 * and a network namespace (as unshare -Urn does, so it has CAP_NET_ADMIN
 * there) and adds Service Groups with traffic selectors and a key each
 * until the module refuses: it refuses with ENOSPC at the documented
 * limit for such namespaces, the fast-path state of each key is charged
 * to the cgroup, and the kernel memory nobody is charged for (slab and
 * per-CPU growth outside the cgroup's) stays small.
 */
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "nl_common.h"

#include "kselftest_harness.h"

#define CG		"/sys/fs/cgroup/cpns-bound"
#define LIMIT_USERNS	16	/* CPNS_SEL_GROUPS_MAX_USERNS */
#define TRIES		2000
#define REPLAY_BUDGET	16384	/* CPNS_REPLAY_BUDGET, per key */

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* A "key value" line of @path (memory.stat, /proc/meminfo), or -1. */
static long long stat_of(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && (line[n] == ' ' || line[n] == ':'))
			v = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Unreclaimable slab and per-CPU memory of the whole kernel, bytes. */
static long long kernel_bytes(void)
{
	return (stat_of("/proc/meminfo", "SUnreclaim") +
		stat_of("/proc/meminfo", "Percpu")) * 1024;
}

/* The same, charged to the cgroup. */
static long long cg_bytes(void)
{
	return stat_of(CG "/memory.stat", "slab_unreclaimable") +
	       stat_of(CG "/memory.stat", "percpu");
}

static int group_with_selector(struct nlc *c, uint32_t id)
{
	struct nl_msg *m = nlc_req(c, CPNS_CMD_GROUP_NEW, 0);
	uint32_t a = htonl(0x0a4d0000 + id);
	struct nlattr *n;

	nla_put_u32(m, CPNS_A_GROUP_ID, id);
	n = nla_nest_start(m, CPNS_A_GROUP_SELECTOR);
	n->nla_type |= NLA_F_NESTED;
	nla_put_u16(m, CPNS_A_SELECTOR_FAMILY, AF_INET);
	nla_put(m, CPNS_A_SELECTOR_DADDR, 4, &a);
	nla_put_u8(m, CPNS_A_SELECTOR_PREFIX_LEN, 32);
	nla_put_u16(m, CPNS_A_SELECTOR_DPORT, htons(4000));
	nla_nest_end(m, n);
	return nlc_do(c, m);
}

/*
 * The child: into the cgroup, then as nobody into new user and network
 * namespaces; groups and keys until refused.  Reports how many groups
 * it made and the error, then holds the namespace until told to go.
 */
static void child(int report, int hold)
{
	uint8_t gk[CPNS_KEY_LEN];
	int res[2] = { 0, 0 };
	char pid[32], b;
	struct nlc c;
	uint32_t i;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (put(CG "/cgroup.procs", pid) || setgid(65534) || setuid(65534) ||
	    unshare(CLONE_NEWUSER | CLONE_NEWNET) || nlc_open(&c))
		_exit(1);
	for (i = 1; i <= TRIES; i++) {
		nlc_fill_key(gk, i);
		res[1] = group_with_selector(&c, i);
		if (res[1])
			break;
		res[1] = nlc_key_plain(&c, i, 1, gk, -1);
		if (res[1])
			break;
		res[0]++;
	}
	if (write(report, res, sizeof(res)) != sizeof(res) ||
	    read(hold, &b, 1) != 1)
		_exit(2);
	nlc_close(&c);
	_exit(0);
}

TEST(userns_bounded_and_charged)
{
	long long k0, c0, k1, c1;
	int rep[2], hold[2], res[2], status;
	pid_t pid;

	nlc_rmmod();
	ASSERT_EQ(0, nlc_modprobe());
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("none", "/sys/fs/cgroup", "cgroup2", 0,
				   NULL));
	ASSERT_EQ(0, put("/sys/fs/cgroup/cgroup.subtree_control", "+memory"));
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	ASSERT_EQ(0, put(CG "/memory.max", "256M"));
	ASSERT_EQ(0, pipe(rep));
	ASSERT_EQ(0, pipe(hold));

	/* Let earlier frees settle, so the baseline is quiet. */
	ASSERT_EQ(0, system("sync; echo 3 >/proc/sys/vm/drop_caches"));
	k0 = kernel_bytes();
	c0 = cg_bytes();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		child(rep[1], hold[0]);
	ASSERT_EQ(sizeof(res), read(rep[0], res, sizeof(res)));
	k1 = kernel_bytes();
	c1 = cg_bytes();
	ASSERT_EQ(1, write(hold[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	TH_LOG("%d groups with a key, then %d; kernel +%lld B, charged +%lld B",
	       res[0], res[1], k1 - k0, c1 - c0);
	/* The documented limit, refused as documented. */
	EXPECT_EQ(LIMIT_USERNS, res[0]);
	EXPECT_EQ(-ENOSPC, res[1]);
	/* Each key's replay table is charged to the cgroup. */
	EXPECT_LE((long long)LIMIT_USERNS * REPLAY_BUDGET, c1 - c0);
	/* What nobody is charged for: the keys' transforms, about 7 KiB. */
	EXPECT_GT(2LL << 20, (k1 - k0) - (c1 - c0));

	EXPECT_EQ(0, rmdir(CG));
	EXPECT_EQ(0, nlc_rmmod());
}

TEST_HARNESS_MAIN
