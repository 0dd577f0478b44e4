// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd's control socket (control.c) on a real libevent loop, with the
 * store, the sessions, the EU-Key check and the CPNS Server faked here
 * (the archive's own objects are then never linked).  Driven by the real cpnsctl
 * binary for each command's text, JSON, refusal and exit status, and by
 * raw packets for what cpnsctl never sends: garbage, huge packets,
 * clients that leave mid-request, stay idle or come by the hundred, and
 * a non-root client.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <event2/event.h>

#include "kselftest_harness.h"
#include "cpnsd.h"
#include "msg.h"
#include "server.h"
#include "store.h"

extern unsigned int control_max_clients, control_idle_ms;

/* ---- fakes of the store, the sessions and the gateway ---- */

#define NPNE 3000

static struct store_pne pnes[NPNE];
static int npne;
static bool have_kms;
static struct store_kms kms = {
	.gateway_id = 0x1122334455667788ull, .set_id = 3, .height = 10,
};
static const uint8_t master[32] = "MASTER-SECRET-NEVER-SENT-1234567";
static char gone[STORE_PNE_ID_MAX + 1];
static int gone_calls;
static struct session_info sessions[2] = {
	{ "10.0.0.2:40000", "p1", "up", 1764400000 },
	{ "10.0.0.3:40001", "", "handshake", 1764400100 },
};
static int nsessions;

static struct store_pne *find(const char *id)
{
	int i;

	for (i = 0; i < npne; i++)
		if (!strcmp(pnes[i].id, id))
			return &pnes[i];
	return NULL;
}

int store_pne_add(struct store *st, const char *id, const char *eu_key_file,
		  char *err, size_t len)
{
	(void)st;
	(void)err;
	(void)len;
	if (find(id))
		return -EEXIST;
	if (npne == NPNE)
		return -ENOSPC;
	memset(&pnes[npne], 0, sizeof(pnes[npne]));
	snprintf(pnes[npne].id, sizeof(pnes[npne].id), "%s", id);
	snprintf(pnes[npne].eu_key_file, sizeof(pnes[npne].eu_key_file), "%s",
		 eu_key_file);
	npne++;
	return 0;
}

int store_pne_del(struct store *st, const char *id, char *err, size_t len)
{
	struct store_pne *p = find(id);

	(void)st;
	(void)err;
	(void)len;
	if (!p)
		return -ENOENT;
	*p = pnes[--npne];
	return 0;
}

int store_pne_revoke(struct store *st, const char *id, char *err, size_t len)
{
	struct store_pne *p = find(id);

	(void)st;
	if (!p)
		return -ENOENT;
	if (p->state == STORE_PNE_REVOKED) {
		snprintf(err, len, "PNE %s is already revoked", id);
		return -EALREADY;
	}
	p->state = STORE_PNE_REVOKED;
	return 0;
}

int store_pne_get(struct store *st, const char *id, struct store_pne *pne)
{
	struct store_pne *p = find(id);

	(void)st;
	if (!p)
		return -ENOENT;
	*pne = *p;
	return 0;
}

int store_pne_foreach(struct store *st,
		      int (*fn)(const struct store_pne *pne, void *arg),
		      void *arg)
{
	int i, ret;

	(void)st;
	for (i = 0; i < npne; i++) {
		ret = fn(&pnes[i], arg);
		if (ret)
			return ret;
	}
	return 0;
}

int store_kms_get(struct store *st, struct store_kms *k)
{
	(void)st;
	if (!have_kms)
		return -ENOENT;
	*k = kms;
	memcpy(k->master, master, sizeof(master));
	return 0;
}

int store_slot_counts(struct store *st, uint32_t *free_, uint32_t *assigned,
		      uint32_t *revoked)
{
	(void)st;
	*free_ = 1021;
	*assigned = 2;
	*revoked = 1;
	return 0;
}

int session_foreach(struct cpnsd *d,
		    int (*fn)(const struct session_info *si, void *arg),
		    void *arg)
{
	int i, ret;

	(void)d;
	for (i = 0; i < nsessions; i++) {
		ret = fn(&sessions[i], arg);
		if (ret)
			return ret;
	}
	return 0;
}

void gateway_pne_gone(struct cpnsd *d, const char *pne_id)
{
	(void)d;
	snprintf(gone, sizeof(gone), "%s", pne_id);
	gone_calls++;
}

/* "good" files load; "missing" ones do not exist; others are bad. */
int eukey_load(const char *path, uint8_t key[EU_KEY_LEN], char *err,
	       size_t len)
{
	if (strstr(path, "good")) {
		memset(key, 0xa5, EU_KEY_LEN);
		return 0;
	}
	if (strstr(path, "missing")) {
		snprintf(err, len, "EU-Key file %s: No such file or directory",
			 path);
		return -ENOENT;
	}
	snprintf(err, len, "EU-Key file %s: 31 bytes, not 32", path);
	return -EINVAL;
}

/* ---- fakes of the CPNS Server (server.h) ---- */

#define NMEMBER 8

static struct srv_member members[NMEMBER];
static int nmember;
static bool server_enosys;	/* as server.c's placeholders answer */
static int server_calls;
static uint64_t last_epoch;
static struct srv_gk gks[2];
static int ngk;
static struct srv_delivery dls[8];
static int ndl;

static int find_member(uint32_t group, const char *pne, const char *gw)
{
	int i;

	for (i = 0; i < nmember; i++)
		if (members[i].group == group &&
		    !strcmp(members[i].pne_id, pne) &&
		    !strcmp(members[i].gateway, gw))
			return i;
	return -1;
}

int server_member_add(struct cpnsd *d, uint32_t group, const char *pne_id,
		      const char *gateway, char *err, size_t len)
{
	struct srv_member *m;

	(void)d;
	server_calls++;
	if (server_enosys) {
		snprintf(err, len, "not implemented");
		return -ENOSYS;
	}
	/* No reason: control.c words it. */
	if (find_member(group, pne_id, gateway) >= 0)
		return -EEXIST;
	if (nmember == NMEMBER)
		return -ENOSPC;
	m = &members[nmember++];
	m->group = group;
	snprintf(m->pne_id, sizeof(m->pne_id), "%s", pne_id);
	snprintf(m->gateway, sizeof(m->gateway), "%s", gateway);
	m->added_at = 1764400000 + (uint64_t)nmember;
	return 0;
}

int server_member_del(struct cpnsd *d, uint32_t group, const char *pne_id,
		      const char *gateway, char *err, size_t len)
{
	int i = find_member(group, pne_id, gateway);

	(void)d;
	server_calls++;
	/* The server's own reason comes through. */
	if (i < 0) {
		snprintf(err, len, "%s@%s: not in group %u", pne_id, gateway,
			 group);
		return -ENOENT;
	}
	members[i] = members[--nmember];
	return 0;
}

int server_member_foreach(struct cpnsd *d, uint32_t group,
			  int (*fn)(const struct srv_member *m, void *arg),
			  void *arg)
{
	int i, ret;

	(void)d;
	server_calls++;
	if (server_enosys)
		return -ENOSYS;
	for (i = 0; i < nmember; i++) {
		if (group && members[i].group != group)
			continue;
		ret = fn(&members[i], arg);
		if (ret)
			return ret;
	}
	return 0;
}

int server_rotate(struct cpnsd *d, uint32_t group, uint64_t *epoch,
		  char *err, size_t len)
{
	int i;

	(void)d;
	server_calls++;
	if (server_enosys) {
		snprintf(err, len, "not implemented");
		return -ENOSYS;
	}
	for (i = 0; i < nmember && members[i].group != group; i++)
		;
	if (i == nmember) {
		snprintf(err, len, "group %u has no members", group);
		return -ENOENT;
	}
	*epoch = ++last_epoch;
	return 0;
}

int server_gk_foreach(struct cpnsd *d, uint32_t group,
		      int (*key)(const struct srv_gk *gk, void *arg),
		      int (*row)(const struct srv_delivery *dl, void *arg),
		      void *arg)
{
	int i, j, ret, seen = 0;

	(void)d;
	server_calls++;
	if (server_enosys)
		return -ENOSYS;
	for (i = 0; i < ngk; i++) {
		if (group && gks[i].group != group)
			continue;
		seen++;
		ret = key(&gks[i], arg);
		for (j = 0; !ret && j < ndl; j++)
			if (dls[j].group == gks[i].group)
				ret = row(&dls[j], arg);
		if (ret)
			return ret;
	}
	return group && !seen ? -ENOENT : 0;
}

/* ---- the fixture: a daemon with its socket in a fresh directory ---- */

FIXTURE(ctl) {
	struct cpnsd d;
	char dir[64];
	char path[128];
	char cpnsctl[PATH_MAX];
	int log_fd;		/* the daemon's stderr */
	int saved_stderr;
};

FIXTURE_SETUP(ctl)
{
	char exe[PATH_MAX];
	ssize_t n;

	strcpy(self->dir, "/tmp/cpns-ctl-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/* control_open() makes the missing directory itself. */
	snprintf(self->path, sizeof(self->path), "%s/run/control", self->dir);
	/* The cpnsctl beside this test's build: build/ or build/asan/. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	snprintf(self->cpnsctl, sizeof(self->cpnsctl), "%s/../cpnsctl",
		 dirname(exe));
	ASSERT_EQ(0, access(self->cpnsctl, X_OK));

	self->log_fd = memfd_create("log", MFD_CLOEXEC);
	ASSERT_LE(0, self->log_fd);
	self->saved_stderr = dup(STDERR_FILENO);
	dup2(self->log_fd, STDERR_FILENO);
	log_init(LOG_DEBUG_, false);

	self->d.role = CPNSD_GATEWAY;
	self->d.base = event_base_new();
	ASSERT_NE(NULL, self->d.base);
	self->d.store = (struct store *)&kms;	/* only tested for NULL */
	self->d.started = time(NULL) - 3723;
	ASSERT_EQ(0, control_open(&self->d, self->path));
}

FIXTURE_TEARDOWN(ctl)
{
	char buf[4096];
	ssize_t n;

	control_close(&self->d);
	event_base_free(self->d.base);
	dup2(self->saved_stderr, STDERR_FILENO);
	/* What the daemon logged, to see why a test failed. */
	if (!_metadata->passed) {
		lseek(self->log_fd, 0, SEEK_SET);
		while ((n = read(self->log_fd, buf, sizeof(buf))) > 0)
			fprintf(stderr, "%.*s", (int)n, buf);
	}
	close(self->log_fd);
	snprintf(buf, sizeof(buf), "rm -rf %s", self->dir);
	if (system(buf))
		TH_LOG("could not remove %s", self->dir);
}

/* Run the loop for @ms milliseconds. */
static void serve(struct cpnsd *d, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	event_base_loopexit(d->base, &tv);
	event_base_dispatch(d->base);
}

/* Serve until child @pid exits; its exit status, or -1 after 20 s. */
static int serve_child(struct cpnsd *d, pid_t pid)
{
	int i, status;

	for (i = 0; i < 10000; i++) {
		serve(d, 2);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			serve(d, 2);	/* its EOF */
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

struct run {
	int status;
	char out[1 << 17];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t cap)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, cap - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* cpnsctl with @args (split at spaces), served by the fixture's daemon. */
static struct run *ctl_run(FIXTURE_DATA(ctl) *self, const char *args)
{
	static struct run r;
	char copy[512], *argv[32], *save = NULL, *w;
	int argc = 0, out, err;
	pid_t pid;

	snprintf(copy, sizeof(copy), "%s", args);
	argv[argc++] = "cpnsctl";
	for (w = strtok_r(copy, " ", &save); w && argc < 31;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	out = memfd_create("out", 0);
	err = memfd_create("err", 0);
	pid = fork();
	if (!pid) {
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		setenv("CPNSD_CONTROL", self->path, 1);
		execv(self->cpnsctl, argv);
		_exit(127);
	}
	r.status = serve_child(&self->d, pid);
	slurp(out, r.out, sizeof(r.out));
	slurp(err, r.err, sizeof(r.err));
	return &r;
}

static bool logged(FIXTURE_DATA(ctl) *self, const char *what)
{
	static char buf[1 << 16];

	slurp(dup(self->log_fd), buf, sizeof(buf));
	lseek(self->log_fd, 0, SEEK_END);
	return strstr(buf, what);
}

/* ---- raw packets ---- */

static int raw_connect(FIXTURE_DATA(ctl) *self)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	strcpy(sun.sun_path, self->path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return -1;
	serve(&self->d, 2);
	return fd;
}

/* The next packet on @fd within 2 s: its length, 0 on EOF, -1 none. */
static ssize_t raw_recv(FIXTURE_DATA(ctl) *self, int fd, void *buf,
			size_t cap)
{
	ssize_t n;
	int i;

	for (i = 0; i < 1000; i++) {
		n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
		serve(&self->d, 2);
	}
	return -1;
}

struct answer {
	int error;		/* of NLMSG_ERROR, 1 for DONE, 0 for an object */
	char msg[256];
	int attr;
	char raw[CPNS_CTL_MSG_MAX];
	ssize_t len;
};

static void raw_answer(FIXTURE_DATA(ctl) *self, int fd, struct answer *a)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)a->raw;
	const struct nlattr *at;

	memset(a, 0, sizeof(*a));
	a->error = 2;		/* nothing came */
	a->len = raw_recv(self, fd, a->raw, sizeof(a->raw));
	if (a->len < (ssize_t)sizeof(*nlh))
		return;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		a->error = 1;
	} else if (nlh->nlmsg_type == NLMSG_ERROR) {
		a->error = ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
		mnl_attr_for_each(at, nlh, sizeof(struct nlmsgerr)) {
			if (mnl_attr_get_type(at) == CPNS_CTL_A_ERRMSG)
				snprintf(a->msg, sizeof(a->msg), "%s",
					 mnl_attr_get_str(at));
			if (mnl_attr_get_type(at) == CPNS_CTL_A_ERRATTR)
				a->attr = mnl_attr_get_u16(at);
		}
	} else {
		a->error = 0;
	}
}

static struct nlmsghdr *raw_req(char *buf, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = CPNS_CTL_TYPE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 77;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Send @len bytes of @pkt, expect an NLMSG_ERROR -@err naming @attr. */
#define EXPECT_REFUSED(fd, pkt, len, err, at, text) do { \
	struct answer a_; \
	ASSERT_EQ((ssize_t)(len), send(fd, pkt, len, 0)); \
	raw_answer(self, fd, &a_); \
	EXPECT_EQ(-(err), a_.error); \
	EXPECT_EQ(at, a_.attr); \
	EXPECT_NE(NULL, strstr(a_.msg, text)) \
		TH_LOG("reason: \"%s\"", a_.msg); \
} while (0)

static void add_pnes(int n)
{
	char id[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "pne%04d", i);
		store_pne_add(NULL, id, "/etc/cpnsd/eu/good.key", NULL, 0);
	}
}

/* ---- the socket itself ---- */

TEST_F(ctl, socket_is_root_only)
{
	char dir[128];
	struct stat st;

	ASSERT_EQ(0, lstat(self->path, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	snprintf(dir, sizeof(dir), "%s/run", self->dir);
	ASSERT_EQ(0, stat(dir, &st));
	EXPECT_EQ(0700, st.st_mode & 07777);
}

TEST_F(ctl, stale_socket_replaced_live_one_kept)
{
	struct cpnsd other = self->d;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char file[128];
	int fd;

	/* This daemon listens: a second one must not steal its socket. */
	EXPECT_EQ(-EADDRINUSE, control_open(&other, self->path));
	EXPECT_TRUE(logged(self, "another cpnsd listens"));

	/* A socket nobody listens on (a daemon killed) is replaced. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/stale", self->dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sun, sizeof(sun)));
	close(fd);
	other.ctl = NULL;
	ASSERT_EQ(0, control_open(&other, sun.sun_path));
	control_close(&other);
	EXPECT_EQ(-1, access(sun.sun_path, F_OK));	/* and removed */

	/* Anything else is not ours to remove. */
	snprintf(file, sizeof(file), "%s/file", self->dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	close(fd);
	EXPECT_EQ(-EEXIST, control_open(&other, file));
	EXPECT_EQ(0, access(file, F_OK));
}

/* A child as uid 65534 connecting; its exit code says what happened. */
static int nobody_connects(FIXTURE_DATA(ctl) *self)
{
	pid_t pid = fork();
	char buf[64];
	int fd;

	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		{
			struct sockaddr_un sun = { .sun_family = AF_UNIX };

			strcpy(sun.sun_path, self->path);
			if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
				_exit(errno == EACCES ? 3 : 11);
		}
		/* Accepted at the socket level: cpnsd must hang up. */
		_exit(recv(fd, buf, sizeof(buf), 0) == 0 ? 0 : 12);
	}
	return serve_child(&self->d, pid);
}

TEST_F(ctl, non_root_refused)
{
	char dir[128];

	if (geteuid())
		SKIP(return, "needs root to drop to uid 65534");
	/* The modes keep others out ... */
	EXPECT_EQ(3, nobody_connects(self));
	/* ... and with them opened by mistake, SO_PEERCRED still does. */
	snprintf(dir, sizeof(dir), "%s/run", self->dir);
	ASSERT_EQ(0, chmod(self->dir, 0755));
	ASSERT_EQ(0, chmod(dir, 0755));
	ASSERT_EQ(0, chmod(self->path, 0666));
	EXPECT_EQ(0, nobody_connects(self));
	EXPECT_TRUE(logged(self, "<4>control: refused a client of uid 65534"));
	/* Root still gets in. */
	EXPECT_EQ(0, ctl_run(self, "daemon show")->status);
}

TEST_F(ctl, close_removes_socket)
{
	control_close(&self->d);
	EXPECT_EQ(-1, access(self->path, F_OK));
	EXPECT_EQ(ENOENT, errno);
}

/* ---- cpnsctl pne ---- */

TEST_F(ctl, pne_add_show_list)
{
	struct run *r;

	r = ctl_run(self, "pne add p1 eu-key file /etc/cpnsd/eu/p1-good.key");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	ASSERT_EQ(1, npne);
	EXPECT_STREQ("p1", pnes[0].id);
	EXPECT_STREQ("/etc/cpnsd/eu/p1-good.key", pnes[0].eu_key_file);
	EXPECT_TRUE(logged(self, "<6>control: pne p1 added (eu-key file /etc/cpnsd/eu/p1-good.key)"));

	pnes[0].state = STORE_PNE_ASSIGNED;
	pnes[0].has_slot = true;
	pnes[0].set_id = 3;
	pnes[0].slot = 5;
	pnes[0].assigned_at = 1764400000;
	store_pne_add(NULL, "p2", "/k/p2-good.key", NULL, 0);

	r = ctl_run(self, "pne show p1");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("pne p1 state assigned set 3 slot 5 assigned 2025-11-29T07:06:40Z\n"
		     "\teu-key file /etc/cpnsd/eu/p1-good.key\n", r->out);
	r = ctl_run(self, "-j pne show");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("[{\"id\":\"p1\",\"state\":\"assigned\",\"set_id\":3,\"slot\":5,\"assigned_at\":1764400000,\"eu_key_file\":\"/etc/cpnsd/eu/p1-good.key\"},"
		     "{\"id\":\"p2\",\"state\":\"registered\",\"eu_key_file\":\"/k/p2-good.key\"}]\n",
		     r->out);
	r = ctl_run(self, "pne list");
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ("p1\np2\n", r->out);
	r = ctl_run(self, "-j pne list");
	EXPECT_STREQ("[\"p1\",\"p2\"]\n", r->out);
	/* No command: show. */
	r = ctl_run(self, "pne");
	EXPECT_NE(NULL, strstr(r->out, "pne p2 state registered\n"));
}

TEST_F(ctl, pne_add_relative_path_made_absolute)
{
	char cwd[PATH_MAX], want[PATH_MAX + 32];

	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	ASSERT_EQ(0, ctl_run(self, "pne add p1 eu-key file keys/good.key")->status);
	snprintf(want, sizeof(want), "%s/keys/good.key", cwd);
	EXPECT_STREQ(want, pnes[0].eu_key_file);
}

TEST_F(ctl, pne_add_refusals)
{
	struct run *r;

	r = ctl_run(self, "pne add p1 eu-key file /k/missing.key");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: pne add: No such file or directory: EU-Key file /k/missing.key: No such file or directory (argument \"eu-key file\")\n",
		     r->err);
	r = ctl_run(self, "pne add p1 eu-key file /k/short.key");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "31 bytes, not 32 (argument \"eu-key file\")"))
		TH_LOG("%s", r->err);
	EXPECT_EQ(0, npne);
	EXPECT_TRUE(logged(self, "<6>control: pne add by pid"));

	ASSERT_EQ(0, ctl_run(self, "pne add p1 eu-key file /k/good.key")->status);
	r = ctl_run(self, "pne add p1 eu-key file /k/good.key");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: pne add: File exists: PNE \"p1\" already exists (argument \"ID\")\n",
		     r->err);

	/* Syntax: exit 1, nothing sent. */
	r = ctl_run(self, "pne add p2 file /k/good.key");
	EXPECT_EQ(1, r->status);
	EXPECT_NE(NULL, strstr(r->err, "expected \"ID eu-key file PATH\""));
	r = ctl_run(self, "pne add 0123456789012345678901234567890123456789012345678901234567890123456789 eu-key file /k/good.key");
	EXPECT_EQ(1, r->status);
	EXPECT_NE(NULL, strstr(r->err, "1 to 64 of A-Z a-z 0-9 . _ : -"));
	r = ctl_run(self, "pne add p/1 eu-key file /k/good.key");
	EXPECT_EQ(1, r->status);
	EXPECT_STREQ("cpnsctl: pne add: ID \"p/1\": 1 to 64 of A-Z a-z 0-9 . _ : -\nTry \"cpnsctl help\".\n",
		     r->err);
	EXPECT_EQ(1, npne);
}

TEST_F(ctl, pne_del_and_revoke_end_the_session)
{
	struct run *r;

	add_pnes(2);
	r = ctl_run(self, "pne revoke pne0000");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(STORE_PNE_REVOKED, find("pne0000")->state);
	EXPECT_STREQ("pne0000", gone);
	EXPECT_TRUE(logged(self, "<6>control: pne pne0000 revoked"));
	/* The store's own reason comes through. */
	r = ctl_run(self, "pne revoke pne0000");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "PNE pne0000 is already revoked (argument \"ID\")"))
		TH_LOG("%s", r->err);

	ASSERT_EQ(0, ctl_run(self, "pne del pne0001")->status);
	EXPECT_EQ(NULL, find("pne0001"));
	EXPECT_STREQ("pne0001", gone);
	EXPECT_EQ(2, gone_calls);
	EXPECT_TRUE(logged(self, "<6>control: pne pne0001 deleted"));

	r = ctl_run(self, "pne del nosuch");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: pne del: No such file or directory: no PNE \"nosuch\" (argument \"ID\")\n",
		     r->err);
	EXPECT_EQ(2, gone_calls);
	r = ctl_run(self, "pne show nosuch");
	EXPECT_EQ(2, r->status);
	r = ctl_run(self, "pne del");
	EXPECT_EQ(1, r->status);
}

/* A batch uses one connection; the listing is read whole. */
TEST_F(ctl, batch_and_big_dump)
{
	char file[128], args[160];
	struct run *r;
	FILE *f;

	add_pnes(NPNE - 1);
	snprintf(file, sizeof(file), "%s/batch", self->dir);
	f = fopen(file, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "pne add last eu-key file /k/good.key\npne list\ndaemon show\n");
	fclose(f);
	snprintf(args, sizeof(args), "-b %s", file);
	r = ctl_run(self, args);
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "pne0000\n"));
	EXPECT_NE(NULL, strstr(r->out, "pne2998\nlast\ncpnsd role gateway"));
}

/* cpnsd closed a batch's idle connection: the next line reconnects. */
TEST_F(ctl, batch_outlives_idle_timeout)
{
	char *argv[] = { "cpnsctl", "-b", "-", NULL };
	int in[2], out, status, i;
	char buf[256];
	pid_t pid;

	control_idle_ms = 100;
	add_pnes(1);
	ASSERT_EQ(0, pipe(in));
	out = memfd_create("out", 0);
	pid = fork();
	if (!pid) {
		dup2(in[0], STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		close(in[1]);
		setenv("CPNSD_CONTROL", self->path, 1);
		execv(self->cpnsctl, argv);
		_exit(127);
	}
	close(in[0]);
	ASSERT_EQ(9, write(in[1], "pne list\n", 9));
	/* However slow the machine, until cpnsd gave up on the idle batch. */
	for (i = 0; i < 50 && !logged(self, "idle for 100 ms: closed"); i++)
		serve(&self->d, 100);
	EXPECT_TRUE(logged(self, "idle for 100 ms: closed"));
	ASSERT_EQ(9, write(in[1], "pne list\n", 9));
	close(in[1]);
	status = serve_child(&self->d, pid);
	slurp(out, buf, sizeof(buf));
	EXPECT_EQ(0, status);
	EXPECT_STREQ("pne0000\npne0000\n", buf);
}

/* A reply cpnsctl cannot trust is refused, not printed. */
TEST_F(ctl, cpnsctl_refuses_malformed_reply)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *argv[] = { "cpnsctl", "pne", "show", NULL };
	char buf[512], err[512];
	struct nlmsghdr *nlh, *req = (struct nlmsghdr *)buf;
	int lfd, fd, efd, status;
	pid_t pid;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/fake", self->dir);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_EQ(0, listen(lfd, 1));
	efd = memfd_create("err", 0);
	pid = fork();
	if (!pid) {
		dup2(efd, STDERR_FILENO);
		setenv("CPNSD_CONTROL", sun.sun_path, 1);
		execv(self->cpnsctl, argv);
		_exit(127);
	}
	fd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, recv(fd, buf, sizeof(buf), 0));
	/* A PNE whose state is 4 bytes, not 1. */
	nlh = raw_req(buf + 256, CPNS_CTL_CMD_PNE_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = req->nlmsg_seq;
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	mnl_attr_put_u32(nlh, CPNS_CTL_A_PNE_STATE, 1);
	ASSERT_LT(0, send(fd, nlh, nlh->nlmsg_len, 0));
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	*(int *)NLMSG_DATA(nlh) = 0;
	ASSERT_LT(0, send(fd, nlh, nlh->nlmsg_len, 0));
	waitpid(pid, &status, 0);
	close(fd);
	close(lfd);
	slurp(efd, err, sizeof(err));
	EXPECT_EQ(2, WEXITSTATUS(status));
	EXPECT_STREQ("cpnsctl: pne show: Bad message: malformed reply: control attribute \"pne-state\" (5) of 4 bytes: wrong size\n",
		     err);
}

/* ---- keyset ---- */

TEST_F(ctl, keyset_show)
{
	struct answer a;
	struct run *r;
	char buf[64];
	int fd;

	r = ctl_run(self, "keyset show");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("no key material set yet (the first GKDK Assignment Request creates one)\n",
		     r->out);
	EXPECT_STREQ("{}\n", ctl_run(self, "-j keyset")->out);

	have_kms = true;
	r = ctl_run(self, "keyset");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("keyset set 3 height 10 gateway 0x1122334455667788\n"
		     "\tslots free 1021 assigned 2 revoked 1\n", r->out);
	r = ctl_run(self, "-j keyset show");
	EXPECT_STREQ("{\"set_id\":3,\"height\":10,\"gateway\":\"0x1122334455667788\",\"slots_free\":1021,\"slots_assigned\":2,\"slots_revoked\":1}\n",
		     r->out);

	/* The master secret is in no byte of the reply. */
	fd = raw_connect(self);
	ASSERT_LE(0, fd);
	raw_req(buf, CPNS_CTL_CMD_KEYSET_GET, CPNS_CTL_VERSION);
	ASSERT_LT(0, send(fd, buf, ((struct nlmsghdr *)buf)->nlmsg_len, 0));
	raw_answer(self, fd, &a);
	ASSERT_EQ(0, a.error);
	EXPECT_EQ(NULL, memmem(a.raw, a.len, master, 8));
	raw_answer(self, fd, &a);
	EXPECT_EQ(1, a.error);
	close(fd);
	EXPECT_FALSE(logged(self, "MASTER"));
}

/* ---- daemon, peers ---- */

TEST_F(ctl, daemon_show)
{
	struct run *r;

	nsessions = 2;
	self->d.stats[CPNS_CTL_S_SESSIONS] = 7;
	self->d.stats[CPNS_CTL_S_REVOKED_PNE] = 2;
	r = ctl_run(self, "daemon show");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("cpnsd role gateway version " CPNSD_VERSION " uptime 1h2m\n"
		     "peer 10.0.0.2:40000 id p1 state up since 2025-11-29T07:06:40Z\n"
		     "peer 10.0.0.3:40001 state handshake since 2025-11-29T07:08:20Z\n",
		     r->out);
	r = ctl_run(self, "-s daemon");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "uptime 1h2m\n\tsessions 7 gkdk-assigned 0 gkdk-installed 0\n"
				       "\trefused: handshake-failed 0 handshake-timeout 0 idle-timeout 0\n"
				       "\tmalformed 0 too-big 0 session-limit 0 rate-limit 0\n"
				       "\tunknown-pne 0 revoked-pne 2\npeer "))
		TH_LOG("%s", r->out);
	r = ctl_run(self, "-j -s daemon show");
	EXPECT_NE(NULL, strstr(r->out, "{\"role\":\"gateway\",\"version\":\"" CPNSD_VERSION "\",\"uptime\":372"))
		TH_LOG("%s", r->out);
	EXPECT_NE(NULL, strstr(r->out, "\"stats\":{\"sessions\":7,"));
	EXPECT_NE(NULL, strstr(r->out, "\"revoked_pne\":2},\"peers\":[{\"peer\":\"10.0.0.2:40000\",\"id\":\"p1\",\"state\":\"up\",\"since\":1764400000},{\"peer\":\"10.0.0.3:40001\",\"state\":\"handshake\",\"since\":1764400100}]}\n"))
		TH_LOG("%s", r->out);
	/* Without -s no counters. */
	EXPECT_EQ(NULL, strstr(ctl_run(self, "-j daemon")->out, "stats"));
}

TEST_F(ctl, gateway_objects_refused_on_other_roles)
{
	struct run *r;

	self->d.role = CPNSD_PNE;
	self->d.store = NULL;
	r = ctl_run(self, "pne list");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: pne list: Operation not supported: only a gateway has PNEs (this cpnsd is a pne)\n",
		     r->err);
	r = ctl_run(self, "pne add p1 eu-key file /k/good.key");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "(this cpnsd is a pne)"));
	self->d.role = CPNSD_SERVER;
	r = ctl_run(self, "keyset show");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: keyset show: Operation not supported: only a gateway has a key material set (this cpnsd is a server)\n",
		     r->err);
	r = ctl_run(self, "daemon show");
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ("cpnsd role server version " CPNSD_VERSION " uptime 1h2m\n", r->out);
}

/* ---- the CPNS Server's objects: member, group-key ---- */

TEST_F(ctl, server_objects_refused_on_other_roles)
{
	struct run *r;

	r = ctl_run(self, "member list");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: member show: Operation not supported: only a CPNS Server has members (this cpnsd is a gateway)\n",
		     r->err);
	r = ctl_run(self, "member add 7 p1@gw-a");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "only a CPNS Server has members (this cpnsd is a gateway)"));
	/* A refused change is logged at info level, as pne add's. */
	EXPECT_TRUE(logged(self, "<6>control: member add by pid"));
	self->d.role = CPNSD_PNE;
	self->d.store = NULL;
	r = ctl_run(self, "group-key rotate 7");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: group-key rotate: Operation not supported: only a CPNS Server issues Group Keys (this cpnsd is a pne)\n",
		     r->err);
	r = ctl_run(self, "group-key show");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "only a CPNS Server issues Group Keys (this cpnsd is a pne)"));
	EXPECT_EQ(0, server_calls);

	/* And a server refuses the gateway's objects as before. */
	self->d.role = CPNSD_SERVER;
	r = ctl_run(self, "pne list");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "only a gateway has PNEs (this cpnsd is a server)"));
	/* A server needs no gateway store for its own objects. */
	EXPECT_EQ(0, ctl_run(self, "member show")->status);
}

/* server.c's placeholders: their errno and reason reach the operator. */
TEST_F(ctl, server_placeholders_pass_enosys)
{
	struct run *r;

	self->d.role = CPNSD_SERVER;
	server_enosys = true;
	r = ctl_run(self, "member add 7 p1@gw-a");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: member add: Function not implemented: not implemented\n",
		     r->err);
	EXPECT_TRUE(logged(self, "<6>control: member add by pid"));
	r = ctl_run(self, "member show");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: member show: Function not implemented: server: Function not implemented\n",
		     r->err);
	r = ctl_run(self, "group-key rotate 7");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: group-key rotate: Function not implemented: not implemented\n",
		     r->err);
	r = ctl_run(self, "-j group-key show 7");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: group-key show: Function not implemented: server: Function not implemented\n",
		     r->err);
	EXPECT_EQ(4, server_calls);
}

TEST_F(ctl, member_add_del_show)
{
	struct run *r;

	self->d.role = CPNSD_SERVER;
	r = ctl_run(self, "member add 7 p1@gw-a");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("", r->out);
	ASSERT_EQ(1, nmember);
	EXPECT_EQ(7, members[0].group);
	EXPECT_STREQ("p1", members[0].pne_id);
	EXPECT_STREQ("gw-a", members[0].gateway);
	EXPECT_TRUE(logged(self, "<6>control: member p1@gw-a of group 7 added by pid"));
	ASSERT_EQ(0, ctl_run(self, "member add 7 p:2@gw-a.example")->status);
	ASSERT_EQ(0, ctl_run(self, "member add 4294967295 p1@gw_b")->status);
	EXPECT_STREQ("p:2", members[1].pne_id);
	EXPECT_STREQ("gw-a.example", members[1].gateway);
	EXPECT_EQ(4294967295u, members[2].group);

	r = ctl_run(self, "member show");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("group 7 member p1@gw-a added 2025-11-29T07:06:41Z\n"
		     "group 7 member p:2@gw-a.example added 2025-11-29T07:06:42Z\n"
		     "group 4294967295 member p1@gw_b added 2025-11-29T07:06:43Z\n",
		     r->out);
	r = ctl_run(self, "-j member list 4294967295");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("[{\"group\":4294967295,\"pne\":\"p1\",\"gateway\":\"gw_b\",\"added\":1764400003}]\n",
		     r->out);
	/* No command: show; a group without members: an empty list. */
	EXPECT_NE(NULL, strstr(ctl_run(self, "member")->out, "p:2@gw-a.example"));
	EXPECT_STREQ("[]\n", ctl_run(self, "-j member show 8")->out);

	/* Already a member: cpnsd's words, the PNE named. */
	r = ctl_run(self, "member add 7 p1@gw-a");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: member add: File exists: PNE \"p1\" at gateway \"gw-a\" already is a member of group 7 (argument \"PNE\")\n",
		     r->err);
	/* The same PNE at another gateway is another member. */
	EXPECT_EQ(0, ctl_run(self, "member add 7 p1@gw_b")->status);

	r = ctl_run(self, "member del 7 p1@gw-a");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(-1, find_member(7, "p1", "gw-a"));
	EXPECT_TRUE(logged(self, "<6>control: member p1@gw-a of group 7 deleted by pid"));
	/* The server's reason comes through. */
	r = ctl_run(self, "member del 7 p1@gw-a");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: member del: No such file or directory: p1@gw-a: not in group 7 (argument \"PNE\")\n",
		     r->err);
	EXPECT_TRUE(logged(self, "<6>control: member del by pid"));
}

/* Syntax errors: status 1, the argument named, nothing sent. */
TEST_F(ctl, member_syntax)
{
	static const struct {
		const char *args, *err;
	} bad[] = {
		{ "member add", "member add: expected \"GROUP PNE@GATEWAY\"" },
		{ "member add 7", "member add: expected \"GROUP PNE@GATEWAY\"" },
		{ "member del 7 p1@gw x", "member del: expected \"GROUP PNE@GATEWAY\"" },
		{ "member add 0 p1@gw", "member add: GROUP \"0\": Service Groups are 1 to 4294967295" },
		{ "member add 4294967296 p1@gw", "member add: GROUP: \"4294967296\" is larger than 4294967295" },
		{ "member add -1 p1@gw", "member add: GROUP: \"-1\" is not a number" },
		{ "member add seven p1@gw", "member add: GROUP: \"seven\" is not a number" },
		{ "member add 7 p1", "member add: \"p1\" is not PNE@GATEWAY" },
		{ "member del 7 @gw", "member del: PNE \"\" of \"@gw\": 1 to 64 of A-Z a-z 0-9 . _ : -" },
		{ "member add 7 p1@", "member add: GATEWAY \"\" of \"p1@\": 1 to 64 of A-Z a-z 0-9 . _ : -" },
		/* At the last '@': the PNE half holds the other. */
		{ "member add 7 p@1@gw", "member add: PNE \"p@1\" of \"p@1@gw\"" },
		{ "member add 7 p/1@gw", "member add: PNE \"p/1\" of \"p/1@gw\"" },
		{ "member add 7 p1@gw/a", "member add: GATEWAY \"gw/a\" of \"p1@gw/a\"" },
		{ "member add 7 p1@0123456789012345678901234567890123456789012345678901234567890123X",
		  "member add: GATEWAY \"0123456789012345678901234567890123456789012345678901234567890123X\"" },
		{ "member add 7 0123456789012345678901234567890123456789012345678901234567890123X@gw",
		  "member add: PNE \"0123456789012345678901234567890123456789012345678901234567890123X\"" },
		{ "member show 0", "member show: GROUP \"0\"" },
		{ "member show 7 8", "member show: unexpected argument \"8\"" },
		{ "member remove 7 p1@gw", "member: unknown command \"remove\"" },
		{ "group-key rotate", "group-key rotate: expected one GROUP" },
		{ "group-key rotate 7 8", "group-key rotate: expected one GROUP" },
		{ "group-key rotate 0", "group-key rotate: GROUP \"0\": Service Groups are 1 to 4294967295" },
		{ "group-key show x", "group-key show: GROUP: \"x\" is not a number" },
		{ "group-key show 7 8", "group-key show: unexpected argument \"8\"" },
		{ "group-key flush", "group-key: unknown command \"flush\"" },
	};
	struct run *r;
	size_t i;

	self->d.role = CPNSD_SERVER;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = ctl_run(self, bad[i].args);
		EXPECT_EQ(1, r->status) TH_LOG("%s", bad[i].args);
		EXPECT_EQ(0, strncmp(r->err, "cpnsctl: ", 9));
		EXPECT_NE(NULL, strstr(r->err, bad[i].err))
			TH_LOG("%s: %s", bad[i].args, r->err);
		EXPECT_NE(NULL, strstr(r->err, "Try \"cpnsctl help\"."));
	}
	/* The longest names pass. */
	r = ctl_run(self, "member add 7 0123456789012345678901234567890123456789012345678901234567890123@0123456789012345678901234567890123456789012345678901234567890123");
	EXPECT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_EQ(1, server_calls);
	r = ctl_run(self, "member help");
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "cpnsctl member { add | del } GROUP PNE@GATEWAY"));
	r = ctl_run(self, "group-key help");
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "cpnsctl group-key rotate GROUP"));
}

TEST_F(ctl, group_key_rotate)
{
	struct run *r;

	self->d.role = CPNSD_SERVER;
	ASSERT_EQ(0, ctl_run(self, "member add 7 p1@gw-a")->status);
	r = ctl_run(self, "group-key rotate 7");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("group 7 epoch 1\n", r->out);
	EXPECT_TRUE(logged(self, "<6>control: group 7 rotated to epoch 1 by pid"));
	r = ctl_run(self, "-j group-key rotate 7");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("{\"group\":7,\"epoch\":2}\n", r->out);

	r = ctl_run(self, "group-key rotate 5");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: group-key rotate: No such file or directory: group 5 has no members (argument \"GROUP\")\n",
		     r->err);
	EXPECT_TRUE(logged(self, "<6>control: group-key rotate by pid"));
	EXPECT_EQ(2, last_epoch);
}

static const uint8_t gk_bytes[SRV_KEY_LEN] = "GROUP-KEY-BYTES-NEVER-SENT-12345";

static void add_report(void)
{
	static const struct srv_delivery rows[] = {
		{ 7, 4, "gw-a", "", SRV_DLV_ACKED, CPNS_ST_OK, 1764400010 },
		{ 7, 4, "gw-a", "p1", SRV_DLV_ACKED, CPNS_ST_OK, 1764400011 },
		{ 7, 4, "gw-a", "p2", SRV_DLV_MISSING, 0, 0 },
		{ 7, 4, "gw-a", "p3", SRV_DLV_REFUSED, CPNS_ST_NOT_MEMBER,
		  1764400012 },
		{ 7, 4, "gw-a", "p5", SRV_DLV_ACKED, CPNS_ST_OK, 1764400013 },
		{ 7, 4, "gw-b", "", SRV_DLV_MISSING, 0, 0 },
		{ 7, 4, "gw-b", "p4", SRV_DLV_MISSING, 0, 0 },
		{ 9, 1, "gw-c", "", SRV_DLV_REFUSED, CPNS_ST_INSTALL,
		  1764400020 },
	};

	gks[0] = (struct srv_gk){ .group = 7, .epoch = 4,
		.valid_from = 1764400000, .valid_until = 1764486400,
		.created = 1764399990 };
	gks[1] = (struct srv_gk){ .group = 9, .epoch = 1,
		.valid_from = 1764400000, .valid_until = 1764403600,
		.created = 1764400000 };
	memcpy(gks[0].key, gk_bytes, sizeof(gk_bytes));
	memcpy(gks[1].key, gk_bytes, sizeof(gk_bytes));
	ngk = 2;
	memcpy(dls, rows, sizeof(rows));
	ndl = sizeof(rows) / sizeof(rows[0]);
}

TEST_F(ctl, group_key_show_delivery_report)
{
	struct run *r;

	self->d.role = CPNSD_SERVER;
	add_report();
	r = ctl_run(self, "group-key show");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("group 7 epoch 4 valid 2025-11-29T07:06:40Z until 2025-11-30T07:06:40Z (in expired)\n"
		     "\tcreated 2025-11-29T07:06:30Z\n"
		     "\tgateway gw-a installed\n"
		     "\t\tacknowledged p1 p5\n"
		     "\t\tmissing p2\n"
		     "\t\trefused p3 (not_member)\n"
		     "\tgateway gw-b missing\n"
		     "\t\tmissing p4\n"
		     "group 9 epoch 1 valid 2025-11-29T07:06:40Z until 2025-11-29T08:06:40Z (in expired)\n"
		     "\tcreated 2025-11-29T07:06:40Z\n"
		     "\tgateway gw-c refused (install)\n", r->out);
	r = ctl_run(self, "-j group-key show 9");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_STREQ("[{\"group\":9,\"epoch\":1,\"valid_from\":1764400000,\"valid_until\":1764403600,\"expires_in\":0,\"created\":1764400000,"
		     "\"gateways\":[{\"gateway\":\"gw-c\",\"state\":\"refused\",\"status\":\"install\",\"answered\":1764400020,"
		     "\"acknowledged\":[],\"missing\":[],\"refused\":[]}]}]\n",
		     r->out);
	r = ctl_run(self, "-j group-key list 7");
	ASSERT_EQ(0, r->status) TH_LOG("%s", r->err);
	EXPECT_NE(NULL, strstr(r->out, "\"gateways\":[{\"gateway\":\"gw-a\",\"state\":\"installed\",\"answered\":1764400010,"
				       "\"acknowledged\":[\"p1\",\"p5\"],\"missing\":[\"p2\"],"
				       "\"refused\":[{\"pne\":\"p3\",\"status\":\"not_member\"}]},"
				       "{\"gateway\":\"gw-b\",\"state\":\"missing\",\"acknowledged\":[],\"missing\":[\"p4\"],\"refused\":[]}]}]\n"))
		TH_LOG("%s", r->out);
	EXPECT_EQ(NULL, strstr(r->out, "\"group\":9"));

	r = ctl_run(self, "group-key show 5");
	EXPECT_EQ(2, r->status);
	EXPECT_STREQ("cpnsctl: group-key show: No such file or directory: group 5 has no Group Key (argument \"GROUP\")\n",
		     r->err);
	/* Nothing issued yet: an empty report. */
	ngk = 0;
	r = ctl_run(self, "group-key");
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ("", r->out);
	EXPECT_STREQ("[]\n", ctl_run(self, "-j group-key show")->out);
}

/* Whatever the server hands over, no reply carries a key's bytes. */
TEST_F(ctl, group_key_bytes_never_sent)
{
	struct nlmsghdr *nlh;
	struct answer a;
	char buf[64];
	int fd, n = 0;

	self->d.role = CPNSD_SERVER;
	add_report();
	fd = raw_connect(self);
	ASSERT_LE(0, fd);
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	ASSERT_LT(0, send(fd, buf, nlh->nlmsg_len, 0));
	for (raw_answer(self, fd, &a); !a.error; raw_answer(self, fd, &a)) {
		EXPECT_EQ(NULL, memmem(a.raw, a.len, gk_bytes, 8));
		n++;
	}
	EXPECT_EQ(1, a.error);
	EXPECT_EQ(2 + ndl, n);
	close(fd);
}

TEST_F(ctl, server_requests_checked_strictly)
{
	char buf[512];
	struct nlmsghdr *nlh;
	int fd;

	self->d.role = CPNSD_SERVER;
	fd = raw_connect(self);
	ASSERT_LE(0, fd);

	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, 0);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	mnl_attr_put_strz(nlh, CPNS_CTL_A_GATEWAY, "gw-a");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GROUP,
		       "attribute \"group\": 0 is no Service Group");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_u16(nlh, CPNS_CTL_A_GROUP, 7);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GROUP,
		       "\"group\" of 2 bytes: malformed");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, 7);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GATEWAY,
		       "member add: attribute \"gateway\" missing");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_DEL, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	mnl_attr_put_strz(nlh, CPNS_CTL_A_GATEWAY, "gw-a");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GROUP,
		       "member del: attribute \"group\" missing");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, 7);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	mnl_attr_put_strz(nlh, CPNS_CTL_A_GATEWAY, "gw/../a");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GATEWAY,
		       "gateway \"gw/../a\": 1 to 64 of A-Z a-z 0-9 . _ : -");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_GATEWAY,
			  "0123456789012345678901234567890123456789012345678901234567890123X");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GATEWAY,
		       "out of bounds");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_GATEWAY, "gw\nforged log line");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GATEWAY,
		       "not printable");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_GATEWAY, "");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GATEWAY,
		       "out of bounds");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_GET, CPNS_CTL_VERSION);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, 0,
		       "member get: a dump (NLM_F_DUMP)");
	nlh = raw_req(buf, CPNS_CTL_CMD_MEMBER_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "member get: unexpected attribute");
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_GET, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, 7);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, 0,
		       "group-key get: a dump (NLM_F_DUMP)");
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, 0);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GROUP,
		       "0 is no Service Group");
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_ROTATE, CPNS_CTL_VERSION);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_GROUP,
		       "group-key rotate: attribute \"group\" missing");
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_ROTATE, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_GROUP, 7);
	mnl_attr_put_u64(nlh, CPNS_CTL_A_EPOCH, 9);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_EPOCH,
		       "group-key rotate: unexpected attribute");
	/* The highest attribute: a bit of the mask like any other. */
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_ROTATE, CPNS_CTL_VERSION);
	mnl_attr_put_u64(nlh, __CPNS_CTL_A_MAX - 1, 9);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, __CPNS_CTL_A_MAX - 1,
		       "unexpected attribute");
	nlh = raw_req(buf, CPNS_CTL_CMD_GK_ROTATE, CPNS_CTL_VERSION);
	mnl_attr_put_u64(nlh, __CPNS_CTL_A_MAX, 9);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, __CPNS_CTL_A_MAX,
		       "unexpected attribute");
	EXPECT_EQ(0, server_calls);
	close(fd);
}

TEST_F(ctl, cpnsctl_without_daemon)
{
	struct run *r;

	control_close(&self->d);
	r = ctl_run(self, "daemon show");
	EXPECT_EQ(2, r->status);
	EXPECT_NE(NULL, strstr(r->err, "cpnsd is not running (no "));
	EXPECT_NE(NULL, strstr(r->err, "/run/control)"));
}

/* ---- hostile and broken clients ---- */

TEST_F(ctl, malformed_requests_refused_connection_kept)
{
	char buf[CPNS_CTL_MSG_MAX * 4];
	struct nlmsghdr *nlh;
	struct answer a;
	int fd = raw_connect(self);

	ASSERT_LE(0, fd);
	memset(buf, 0x5a, sizeof(buf));
	EXPECT_REFUSED(fd, buf, 3, EBADMSG, 0, "request of 3 bytes");
	EXPECT_REFUSED(fd, buf, 64, EBADMSG, 0, "message length");
	/* Larger than any request: refused, not buffered. */
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_len = sizeof(buf);
	EXPECT_REFUSED(fd, buf, sizeof(buf), EMSGSIZE, 0, "at most 8192");

	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_type = 0x10;
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EOPNOTSUPP, 0,
		       "not a control request");
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_flags = 0;
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EOPNOTSUPP, 0,
		       "not a control request");
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, 2);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EPROTONOSUPPORT, 0,
		       "version 2");
	nlh = raw_req(buf, 99, CPNS_CTL_VERSION);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EOPNOTSUPP, 0,
		       "unknown command 99");
	nlh = raw_req(buf, CPNS_CTL_CMD_UNSPEC, CPNS_CTL_VERSION);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EOPNOTSUPP, 0,
		       "unknown command 0");
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_len -= 2;
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EBADMSG, 0,
		       "no generic netlink header");

	/* Attributes: unknown to the command, missing, malformed. */
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "unexpected attribute");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "attribute \"pne-id\" missing");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL,
		       CPNS_CTL_A_EU_KEY_FILE, "\"eu-key-file\" missing");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	mnl_attr_put(nlh, CPNS_CTL_A_PNE_ID, 4, "p1\0x");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "malformed");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	mnl_attr_put(nlh, CPNS_CTL_A_PNE_ID, 2, "p1");	/* no NUL */
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "malformed");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID,
			  "0123456789012345678901234567890123456789012345678901234567890123X");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "out of bounds");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1\nforged log line");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "not printable");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1/../x");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "PNE id \"p1/../x\": 1 to 64 of");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_DEL, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p2");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "twice");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_ADD, CPNS_CTL_VERSION);
	mnl_attr_put_strz(nlh, CPNS_CTL_A_PNE_ID, "p1");
	mnl_attr_put_strz(nlh, CPNS_CTL_A_EU_KEY_FILE, "good.key");
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL,
		       CPNS_CTL_A_EU_KEY_FILE, "not an absolute path");
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_STATS, 1);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_STATS,
		       "is a flag");
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	mnl_attr_put_u32(nlh, CPNS_CTL_A_STATS, 1);
	((struct nlattr *)((char *)nlh + nlh->nlmsg_len - 8))->nla_len = 200;
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, 0,
		       "bytes after the last attribute");
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_GET, CPNS_CTL_VERSION);
	EXPECT_REFUSED(fd, buf, nlh->nlmsg_len, EINVAL, CPNS_CTL_A_PNE_ID,
		       "a PNE id, or a dump");
	EXPECT_EQ(0, npne);
	EXPECT_EQ(0, gone_calls);

	/* The same connection still serves a good request. */
	nlh = raw_req(buf, CPNS_CTL_CMD_DAEMON_GET, CPNS_CTL_VERSION);
	ASSERT_LT(0, send(fd, buf, nlh->nlmsg_len, 0));
	raw_answer(self, fd, &a);
	EXPECT_EQ(0, a.error);
	EXPECT_EQ(77, ((struct nlmsghdr *)a.raw)->nlmsg_seq);
	raw_answer(self, fd, &a);
	EXPECT_EQ(1, a.error);
	close(fd);
}

/* SEQPACKET has empty packets; one reads as EOF and ends the client. */
TEST_F(ctl, empty_packet_ends_connection)
{
	char c;
	int fd = raw_connect(self);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, send(fd, &c, 0, 0));
	EXPECT_EQ(0, raw_recv(self, fd, &c, 1));
	close(fd);
	EXPECT_EQ(0, ctl_run(self, "daemon show")->status);
}

TEST_F(ctl, client_leaving_mid_reply)
{
	char buf[64];
	struct nlmsghdr *nlh;
	int fd, i;

	/* A dump far larger than the socket buffer; nobody reads it. */
	add_pnes(NPNE);
	for (i = 0; i < 5; i++) {
		fd = raw_connect(self);
		ASSERT_LE(0, fd);
		nlh = raw_req(buf, CPNS_CTL_CMD_PNE_GET, CPNS_CTL_VERSION);
		nlh->nlmsg_flags |= NLM_F_DUMP;
		ASSERT_LT(0, send(fd, buf, nlh->nlmsg_len, 0));
		serve(&self->d, 5);
		close(fd);
		serve(&self->d, 5);
	}
	/* One that leaves before cpnsd even read its request. */
	fd = raw_connect(self);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, send(fd, buf, nlh->nlmsg_len, 0));
	close(fd);
	EXPECT_EQ(0, ctl_run(self, "daemon show")->status);
	EXPECT_TRUE(logged(self, "left before its reply"));
}

TEST_F(ctl, idle_clients_bounded_and_closed)
{
	int fds[100], i, open_ = 0;
	char c;

	control_idle_ms = 300;
	for (i = 0; i < 100; i++) {
		fds[i] = raw_connect(self);
		ASSERT_LE(0, fds[i]);
	}
	serve(&self->d, 20);
	/* The oldest made room for the newest; cpnsctl still gets in. */
	for (i = 0; i < 100; i++)
		if (recv(fds[i], &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN)
			open_++;
	EXPECT_EQ(16, open_);
	EXPECT_EQ(-1, recv(fds[99], &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(0, recv(fds[0], &c, 1, MSG_DONTWAIT));
	EXPECT_TRUE(logged(self, "<4>control: 16 clients: closing the longest idle"));
	EXPECT_EQ(0, ctl_run(self, "daemon show")->status);

	/* Idle ones are closed after the timeout. */
	serve(&self->d, 500);
	for (i = 84; i < 100; i++)
		EXPECT_EQ(0, recv(fds[i], &c, 1, MSG_DONTWAIT));
	for (i = 0; i < 100; i++)
		close(fds[i]);
	EXPECT_TRUE(logged(self, "idle for 300 ms: closed"));
}

TEST_F(ctl, client_not_reading_is_closed)
{
	char buf[64];
	struct nlmsghdr *nlh;
	int fd;

	control_idle_ms = 300;
	add_pnes(NPNE);
	fd = raw_connect(self);
	ASSERT_LE(0, fd);
	nlh = raw_req(buf, CPNS_CTL_CMD_PNE_GET, CPNS_CTL_VERSION);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	ASSERT_LT(0, send(fd, buf, nlh->nlmsg_len, 0));
	/* Its replies fill the socket; the loop goes on regardless. */
	serve(&self->d, 600);
	EXPECT_TRUE(logged(self, "idle for 300 ms: closed"));
	EXPECT_EQ(0, ctl_run(self, "daemon show")->status);
	close(fd);
}

TEST_HARNESS_MAIN
