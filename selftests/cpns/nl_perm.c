// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions: every operation flagged admin-perm in the spec (all but
 * INFO_GET) needs CAP_NET_ADMIN in the user namespace that owns the
 * network namespace, and so does joining the "events" group.  Checked
 * from a child that dropped to nobody (what setpriv --reuid=65534
 * --regid=65534 --clear-groups --inh-caps=-all does), from a child in a
 * fresh unprivileged user namespace (unshare -U -r), and, as the positive
 * control, from a user namespace that owns its own network namespace
 * (unshare -U -r -n).  Refusals change nothing.
 */
#include <grp.h>
#include <sys/prctl.h>

#include "nl_common.h"

#include "kselftest_harness.h"

NLC_FIXTURE(perm);

static uint8_t *good_gkdk(size_t *len)
{
	return nlc_vec_field(VEC_OPEN, VEC_GOOD, "gkdk", len);
}

/* Every admin-perm request, each well-formed; returns the mismatches. */
static int try_all(struct nlc *c, int want, const char *who)
{
	static const struct {
		uint8_t cmd;
		bool dump;
		const char *name;
	} ops[] = {
		{ CPNS_CMD_GKDK_SET, false, "gkdk-set" },
		{ CPNS_CMD_GKDK_DEL, false, "gkdk-del" },
		{ CPNS_CMD_GKDK_GET, false, "gkdk-get" },
		{ CPNS_CMD_GKDK_GET, true, "gkdk-get dump" },
		{ CPNS_CMD_GROUP_NEW, false, "group-new" },
		{ CPNS_CMD_KEY_INSTALL, false, "key-install" },
		{ CPNS_CMD_KEY_GET, false, "key-get" },
		{ CPNS_CMD_KEY_GET, true, "key-get dump" },
		{ CPNS_CMD_GROUP_GET, false, "group-get" },
		{ CPNS_CMD_GROUP_GET, true, "group-get dump" },
		{ CPNS_CMD_STATS_GET, false, "stats-get" },
		{ CPNS_CMD_KEY_DEL, false, "key-del" },
		{ CPNS_CMD_GROUP_DEL, false, "group-del" },
	};
	uint8_t key[CPNS_KEY_LEN];
	size_t len, i;
	uint8_t *gk = good_gkdk(&len);
	struct nl_msg *m;
	int bad = 0;

	nlc_fill_key(key, 99);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		m = nlc_req(c, ops[i].cmd, ops[i].dump ? NLM_F_DUMP : 0);
		switch (ops[i].cmd) {
		case CPNS_CMD_GKDK_SET:
			nla_put(m, CPNS_A_GKDK_DATA, len, gk);
			break;
		case CPNS_CMD_GKDK_DEL:
		case CPNS_CMD_GKDK_GET:
			if (!ops[i].dump)
				nla_put_u64(m, CPNS_A_GKDK_GATEWAY_ID, VEC_GW);
			break;
		case CPNS_CMD_GROUP_NEW:
			nla_put_u32(m, CPNS_A_GROUP_ID, 8);
			break;
		case CPNS_CMD_GROUP_GET:
		case CPNS_CMD_GROUP_DEL:
			if (!ops[i].dump)
				nla_put_u32(m, CPNS_A_GROUP_ID, 7);
			break;
		case CPNS_CMD_KEY_INSTALL:
			nla_put_u32(m, CPNS_A_KEY_GROUP_ID, 7);
			nla_put_u64(m, CPNS_A_KEY_EPOCH, 2);
			nla_put(m, CPNS_A_KEY_PLAIN, CPNS_KEY_LEN, key);
			break;
		case CPNS_CMD_KEY_GET:
			if (!ops[i].dump)
				nla_put_u32(m, CPNS_A_KEY_GROUP_ID, 7);
			break;
		case CPNS_CMD_KEY_DEL:
			nla_put_u32(m, CPNS_A_KEY_GROUP_ID, 7);
			nla_put_u64(m, CPNS_A_KEY_EPOCH, 1);
			break;
		}
		nlc_do(c, m);
		/* want 0: anything but a permission refusal. */
		if (want ? c->err != want : c->err == -EPERM) {
			printf("# %s: %s gave %d, want %d\n", who, ops[i].name,
			       c->err, want);
			bad++;
		}
	}
	free(gk);
	fflush(stdout);
	return bad;
}

/* INFO_GET is for everyone; then every admin op; then the event group. */
static int as_unprivileged(const char *who, int want, int want_join)
{
	struct nlc c;
	int bad = 0, grp, ret;

	if (nlc_open(&c)) {
		printf("# %s: cannot open a genetlink socket\n", who);
		return 1;
	}
	if (nlc_do(&c, nlc_req(&c, CPNS_CMD_INFO_GET, 0))) {
		printf("# %s: INFO_GET refused: %d\n", who, c.err);
		bad++;
	}
	bad += try_all(&c, want, who);
	grp = c.events_grp;
	ret = setsockopt(nl_socket_get_fd(c.sk), SOL_NETLINK,
			 NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) ? -errno : 0;
	if (ret != want_join) {
		printf("# %s: joining \"events\" gave %d, want %d\n", who, ret,
		       want_join);
		bad++;
	}
	nlc_close(&c);
	fflush(stdout);
	return bad;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* State the refused requests must not have changed. */
static void setup_state(struct __test_metadata *_metadata, struct nlc *c)
{
	size_t len;
	uint8_t *gk = good_gkdk(&len);

	ASSERT_NE(NULL, gk);
	ASSERT_EQ(0, nlc_gkdk_set(c, gk, len));
	ASSERT_EQ(0, nlc_group_new(c, 7, -1, -1, -1));
	ASSERT_EQ(0, nlc_key_seed(c, 7, 1, 1));
	free(gk);
}

static void check_state(struct __test_metadata *_metadata, struct nlc *c)
{
	struct nlc_stats s;
	struct nlc_group g;

	ASSERT_EQ(0, nlc_stats(c, 0, &s));
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GROUPS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_KEYS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_GKDKS]);
	EXPECT_EQ(1, s.v[CPNS_A_STATS_INSTALLS]);
	ASSERT_EQ(0, nlc_group_get(c, 7));
	ASSERT_EQ(0, nlc_group_parse(c->reply[0], &g));
	EXPECT_EQ(1, g.cur);
}

TEST_F(perm, nobody_refused)
{
	pid_t pid;

	setup_state(_metadata, &self->c);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* setpriv --reuid=65534 --regid=65534 --clear-groups
		 * --inh-caps=-all: setuid() from root drops every capability.
		 */
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		prctl(PR_SET_KEEPCAPS, 0);
		_exit(as_unprivileged("uid 65534", -EPERM, -EPERM));
	}
	EXPECT_EQ(0, wait_child(pid));
	check_state(_metadata, &self->c);
}

TEST_F(perm, user_namespace_refused)
{
	pid_t pid;

	setup_state(_metadata, &self->c);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* unshare -U -r: all capabilities, but in a user namespace
		 * that does not own this network namespace.
		 */
		if (unshare(CLONE_NEWUSER))
			_exit(100);
		_exit(as_unprivileged("user ns", -EPERM, -EPERM));
	}
	EXPECT_EQ(0, wait_child(pid));
	check_state(_metadata, &self->c);
}

TEST_F(perm, user_namespace_owning_its_netns_allowed)
{
	pid_t pid;

	setup_state(_metadata, &self->c);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nlc c;
		int bad = 0;

		/* unshare -U -r -n: admin of a namespace of its own. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			_exit(100);
		if (nlc_open(&c))
			_exit(101);
		bad += nlc_group_new(&c, 7, -1, -1, -1) != 0;
		bad += nlc_key_seed(&c, 7, 1, 1) != 0;
		bad += try_all(&c, 0, "own netns") ? 1 : 0;
		nlc_close(&c);
		_exit(bad);
	}
	EXPECT_EQ(0, wait_child(pid));
	/* The init namespace saw none of it. */
	check_state(_metadata, &self->c);
}

TEST_HARNESS_MAIN
