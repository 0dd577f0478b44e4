// SPDX-License-Identifier: GPL-2.0
/*
 * keyinstall: control-plane cost of cpns.ko against its IPsec peer, in
 * one VM boot.
 *
 *   - Group Key installs per second through netlink, plain and wrapped
 *     (decrypted in the kernel), batched (many KEY_INSTALL messages per
 *     sendmsg) and one request per round trip (the product's client,
 *     cpns_nl_talk()), plus profile rows that say where the time goes;
 *   - the peer: `ip -batch` of 10,000 `ip xfrm state add` lines with
 *     rfc4106(gcm(aes)) keys, and `ip xfrm state flush`;
 *   - kernel memory per cached key (100,000 groups, one plain key each,
 *     then a second epoch in the same groups: key only) and per xfrm SA,
 *     from /proc/meminfo and /proc/slabinfo before and after.
 *
 * A benchmark, not a test: it prints numbers and ratios, and fails only
 * when it cannot run (module missing, netlink errors, installs lost).
 * Only the send and receive calls are timed; requests and wrapped blobs
 * are built before.  CLOCK_MONOTONIC throughout; CPU split from
 * getrusage() (sys = the kernel's work, done inside sendmsg()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/cpns.h>

#include "gkblob.h"
#include "gkdk.h"
#include "keyerr.h"
#include "keytree.h"
#include "nl.h"
#include "rand.h"

/* Sizes: the whole VM run must stay within a few minutes under TCG. */
#define N_RATE		16384	/* plain keys per batched rate row */
#define N_RTT		2048	/* requests of a one-per-round-trip row */
#define N_WRAP		4096	/* wrapped keys, small cover */
#define N_WRAP_BIG	512	/* wrapped keys, large cover */
#define N_MEM		100000	/* groups and keys of the memory run */
#define N_FP_MEM	1000	/* the same with selectors (limit 1024) */
#define N_XFRM		10000	/* xfrm SAs */
#define BATCH		256	/* requests per sendmsg */
#define BATCH_BYTES	(1 << 20)

#define WRAP_BASE	1000001u	/* first group of the wrapped runs */
#define GW_ID		0x0123456789abcdefull
#define SET_ID		7
#define HEIGHT		16
#define SLOTS_BIG	1024	/* assigned slots for the large cover */
#define HOLES_BIG	16	/* revoked among them */

#define XFRM_BATCH	"/tmp/keyinstall-xfrm.batch"
#define XFRM_OUT	"/tmp/keyinstall-xfrm.out"

static struct cpns_nl nl;
static char *rbuf;
static size_t rbuf_len = 1 << 16;
static int tap_n, tap_failed;

/* Output: TAP results, everything else as "# " comments. */

static void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		tap_failed = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double tv_s(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

/* CPU seconds of this process (self) or of its waited-for children. */
struct cpu {
	double user, sys;
};

static struct cpu cpu_now(int who)
{
	struct rusage ru;
	struct cpu c = { 0, 0 };

	if (!getrusage(who, &ru)) {
		c.user = tv_s(ru.ru_utime);
		c.sys = tv_s(ru.ru_stime);
	}
	return c;
}

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	ret = system(cmd);
	return ret == -1 ? -1 : WEXITSTATUS(ret);
}

/* Memory: /proc/meminfo in kB and /proc/slabinfo per cache in bytes. */

#define MAX_CACHES 512

struct cache {
	char name[64];
	unsigned long objs, objsize, bytes;
};

struct mem {
	long avail, memfree, slab, sreclaim, sunreclaim, percpu, vmalloc;
	long user;	/* what is not kernel: anon, page cache, page tables */
	long pcp;	/* free pages on the per-cpu lists, not in MemFree */
	struct cache *c;
	int nc;
};

static long meminfo_kb(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtol(p + strlen(key), NULL, 10) : 0;
}

static void mem_read(struct mem *m)
{
	char buf[8192], line[512];
	unsigned long a, n, sz, per, pages, slabs;
	size_t len;
	FILE *f;

	usleep(300000);	/* let kworkers and RCU callbacks settle */
	memset(buf, 0, sizeof(buf));
	f = fopen("/proc/meminfo", "r");
	if (f) {
		len = fread(buf, 1, sizeof(buf) - 1, f);
		buf[len] = '\0';
		fclose(f);
	}
	m->avail = meminfo_kb(buf, "MemAvailable:");
	m->memfree = meminfo_kb(buf, "MemFree:");
	m->slab = meminfo_kb(buf, "\nSlab:");
	m->sreclaim = meminfo_kb(buf, "SReclaimable:");
	m->sunreclaim = meminfo_kb(buf, "SUnreclaim:");
	m->percpu = meminfo_kb(buf, "Percpu:");
	m->vmalloc = meminfo_kb(buf, "VmallocUsed:");
	m->user = meminfo_kb(buf, "AnonPages:") + meminfo_kb(buf, "\nCached:") +
		  meminfo_kb(buf, "Buffers:") + meminfo_kb(buf, "PageTables:") +
		  meminfo_kb(buf, "KernelStack:");

	/*
	 * Pages freed to the per-cpu lists are free but not counted in
	 * MemFree or MemAvailable until drained to the buddy allocator; in
	 * this VM they swing by tens of MB between two reads, more than the
	 * objects measured.  /proc/zoneinfo has them as "count:".
	 */
	m->pcp = 0;
	f = fopen("/proc/zoneinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lu", &a) == 1)
			m->pcp += (long)a * (sysconf(_SC_PAGESIZE) / 1024);
	if (f)
		fclose(f);

	if (!m->c)
		m->c = calloc(MAX_CACHES, sizeof(*m->c));
	m->nc = 0;
	f = fopen("/proc/slabinfo", "r");
	if (!f || !m->c) {
		if (f)
			fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) && m->nc < MAX_CACHES) {
		struct cache *c = &m->c[m->nc];

		if (sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %*u %*u %*u : slabdata %*u %lu",
			   c->name, &a, &n, &sz, &per, &pages, &slabs) != 7)
			continue;
		c->objs = a;
		c->objsize = sz;
		c->bytes = slabs * pages * (unsigned long)sysconf(_SC_PAGESIZE);
		m->nc++;
	}
	fclose(f);
}

/*
 * Pages that left MemFree and are not slab, per-cpu, vmalloc, page cache,
 * anonymous memory, page tables or stacks: the page allocator used
 * directly (kmalloc above 8 KiB, alloc_pages).
 */
static long other_kb(const struct mem *a, const struct mem *b)
{
	return (a->memfree + a->pcp - b->memfree - b->pcp) -
	       (b->slab - a->slab) -
	       (b->percpu - a->percpu) - (b->vmalloc - a->vmalloc) -
	       (b->user - a->user);
}

/* Kernel memory the way both peers are compared: slab plus per-cpu. */
static double kmem_delta(const struct mem *a, const struct mem *b)
{
	return ((b->slab - a->slab) + (b->percpu - a->percpu)) * 1024.0;
}

/* All kernel memory: slab, per-cpu, vmalloc and direct pages. */
static double kall_delta(const struct mem *a, const struct mem *b)
{
	return kmem_delta(a, b) +
	       ((b->vmalloc - a->vmalloc) + other_kb(a, b)) * 1024.0;
}

static void mem_report(const char *what, const struct mem *a,
		       const struct mem *b, unsigned long n)
{
	struct {
		const struct cache *c;
		long objs, bytes;
	} top[5] = { { 0 } };
	int i, j, k;

	note("  %-30s %8s %8s %8s %8s %8s %8s %8s", what, "Slab",
	     "SUnrecl", "Percpu", "Vmalloc", "pages", "MemAvail", "MemAv+pcp");
	note("  %-30s %8ld %8ld %8ld %8ld %8ld %8ld %8ld", "kB used (delta)",
	     b->slab - a->slab, b->sunreclaim - a->sunreclaim,
	     b->percpu - a->percpu, b->vmalloc - a->vmalloc, other_kb(a, b),
	     a->avail - b->avail, a->avail + a->pcp - b->avail - b->pcp);
	note("  %-30s %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f",
	     "bytes per object", (b->slab - a->slab) * 1024.0 / n,
	     (b->sunreclaim - a->sunreclaim) * 1024.0 / n,
	     (b->percpu - a->percpu) * 1024.0 / n,
	     (b->vmalloc - a->vmalloc) * 1024.0 / n,
	     other_kb(a, b) * 1024.0 / n,
	     (a->avail - b->avail) * 1024.0 / n,
	     (a->avail + a->pcp - b->avail - b->pcp) * 1024.0 / n);
	note("  %-30s per-cpu free lists %+ld kB (MemAvailable misses them)",
	     "", b->pcp - a->pcp);

	/* The slab caches that grew most: where the bytes went. */
	for (i = 0; i < b->nc; i++) {
		const struct cache *cb = &b->c[i];
		long db = (long)cb->bytes, dobj = (long)cb->objs;

		for (j = 0; j < a->nc; j++) {
			if (!strcmp(a->c[j].name, cb->name)) {
				db -= (long)a->c[j].bytes;
				dobj -= (long)a->c[j].objs;
				break;
			}
		}
		for (k = 0; k < 5; k++) {
			if (!top[k].c || db > top[k].bytes) {
				memmove(&top[k + 1], &top[k],
					(4 - k) * sizeof(top[0]));
				top[k].c = cb;
				top[k].bytes = db;
				top[k].objs = dobj;
				break;
			}
		}
	}
	for (k = 0; k < 5 && top[k].c && top[k].bytes > 0; k++)
		note("    slab %-20s +%8ld objs of %5lu B  +%8.0f kB  %6.1f B/object",
		     top[k].c->name, top[k].objs, top[k].c->objsize,
		     top[k].bytes / 1024.0, (double)top[k].bytes / n);
}

/* Netlink: raw batches on the product client's socket. */

struct nlerr {
	unsigned long count;
	int first;		/* negative errno of the first error */
	char msg[256];		/* its extack text */
};

static void nlerr_add(struct nlerr *e, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int off;

	if (e->count++)
		return;
	e->first = err->error;
	e->msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(err->msg);
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(e->msg, sizeof(e->msg), "%s",
				 mnl_attr_get_str(a));
	}
}

/* Fills request @i of a run: attributes after the genetlink header. */
typedef void (*fill_fn)(struct nlmsghdr *nlh, unsigned long i, void *arg);

struct run {
	const char *name;
	uint8_t cmd;
	bool ack;		/* NLM_F_ACK on every request */
	unsigned int batch;	/* requests per sendmsg; 0: cpns_nl_talk() */
	unsigned long n;
	fill_fn fill;
	void *arg;
	/* results */
	double secs, send_secs, recv_secs;
	struct cpu cpu;
	unsigned long msgs_in, recvs;
	struct nlerr err;
	size_t bytes_out;
};

static char *sbuf;

#define RUN(nm, c, a, b, num, f, ar) { .name = (nm), .cmd = (c), .ack = (a), \
	.batch = (b), .n = (num), .fill = (f), .arg = (ar) }

static struct nlmsghdr *put_req(char *p, uint8_t cmd, uint16_t flags,
				uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl.family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = CPNS_FAMILY_VERSION;
	return nlh;
}

/*
 * Read until every request of the batch is answered: with NLM_F_ACK one
 * NLMSG_ERROR (ack or error) each; without, one message each (the reply
 * of a KEY_INSTALL, or its error).
 */
static int drain(struct run *r, unsigned int want)
{
	unsigned int got = 0;
	struct nlmsghdr *nlh;
	int n;

	while (got < want) {
		n = (int)recv(mnl_socket_get_fd(nl.sock), rbuf, rbuf_len, 0);
		if (n < 0) {
			if (!r->err.count++)
				r->err.first = -errno;
			return -errno;
		}
		r->recvs++;
		for (nlh = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, n);
		     nlh = mnl_nlmsg_next(nlh, &n)) {
			r->msgs_in++;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				if (e->error)
					nlerr_add(&r->err, nlh);
				got++;
			} else if (!r->ack) {
				got++;
			}
		}
	}
	return 0;
}

static int run_batched(struct run *r)
{
	int fd = mnl_socket_get_fd(nl.sock);
	struct cpu c0 = cpu_now(RUSAGE_SELF), c1;
	unsigned long i = 0, k;
	double t0, t1, t2;
	char *p;
	int ret;

	r->secs = r->send_secs = r->recv_secs = 0;
	while (i < r->n) {
		/* Build (untimed). */
		p = sbuf;
		for (k = 0; k < r->batch && i + k < r->n &&
			    p - sbuf < BATCH_BYTES - 65536 - 64; k++) {
			struct nlmsghdr *nlh;

			nlh = put_req(p, r->cmd, r->ack ? NLM_F_ACK : 0,
				      (uint32_t)(i + k + 1));
			r->fill(nlh, i + k, r->arg);
			p += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		r->bytes_out += p - sbuf;
		/* Send and drain (timed). */
		t0 = now();
		ret = (int)send(fd, sbuf, p - sbuf, 0);
		t1 = now();
		if (ret < 0) {
			if (!r->err.count++)
				r->err.first = -errno;
			return -errno;
		}
		ret = drain(r, (unsigned int)k);
		t2 = now();
		r->send_secs += t1 - t0;
		r->recv_secs += t2 - t1;
		r->secs += t2 - t0;
		if (ret)
			return ret;
		i += k;
	}
	c1 = cpu_now(RUSAGE_SELF);
	r->cpu.user = c1.user - c0.user;
	r->cpu.sys = c1.sys - c0.sys;
	return 0;
}

/* One request per round trip through the product's client. */
static int run_talk(struct run *r)
{
	struct cpu c0 = cpu_now(RUSAGE_SELF), c1;
	struct nlmsghdr *nlh;
	unsigned long i;
	double t, t0;
	int ret;

	r->secs = 0;
	for (i = 0; i < r->n; i++) {
		nlh = cpns_nl_request(&nl, r->cmd, 0);
		r->fill(nlh, i, r->arg);
		t0 = now();
		ret = cpns_nl_talk(&nl, nlh, NULL, NULL);
		t = now();
		r->secs += t - t0;
		if (ret && !r->err.count++) {
			r->err.first = ret;
			snprintf(r->err.msg, sizeof(r->err.msg), "%s",
				 nl.extack);
		}
	}
	c1 = cpu_now(RUSAGE_SELF);
	r->cpu.user = c1.user - c0.user;
	r->cpu.sys = c1.sys - c0.sys;
	return 0;
}

static double rate(const struct run *r)
{
	return r->secs > 0 ? r->n / r->secs : 0;
}

static void run_header(void)
{
	note("  %-44s %7s %9s %8s %6s %6s %5s %5s", "run", "n", "per s",
	     "us each", "send%", "recv%", "usr%", "sys%");
}

/* Runs @r and prints its row; false when it could not run cleanly. */
static bool do_run(struct run *r, bool errors_expected)
{
	double cpu;

	memset(&r->err, 0, sizeof(r->err));
	r->msgs_in = r->recvs = r->bytes_out = 0;
	if (r->batch)
		run_batched(r);
	else
		run_talk(r);
	cpu = r->cpu.user + r->cpu.sys;
	if (r->batch)
		note("  %-44s %7lu %9.0f %8.1f %6.0f %6.0f %5.0f %5.0f",
		     r->name, r->n, rate(r), r->secs * 1e6 / r->n,
		     100 * r->send_secs / r->secs, 100 * r->recv_secs / r->secs,
		     cpu > 0 ? 100 * r->cpu.user / cpu : 0,
		     cpu > 0 ? 100 * r->cpu.sys / cpu : 0);
	else
		note("  %-44s %7lu %9.0f %8.1f %6s %6s %5.0f %5.0f",
		     r->name, r->n, rate(r), r->secs * 1e6 / r->n, "-", "-",
		     cpu > 0 ? 100 * r->cpu.user / cpu : 0,
		     cpu > 0 ? 100 * r->cpu.sys / cpu : 0);
	if (r->err.count && !errors_expected) {
		note("  %s: %lu errors, first %s (%s)", r->name, r->err.count,
		     strerror(-r->err.first), r->err.msg);
		return false;
	}
	if (errors_expected && r->err.count != r->n) {
		note("  %s: %lu of %lu refused, expected all", r->name,
		     r->err.count, r->n);
		return false;
	}
	return true;
}

/* Request fillers. */

struct range {
	uint32_t first_group;
	uint64_t epoch;
	uint32_t grace;
	uint8_t **blobs;
	size_t *lens;
};

static void fill_group(struct nlmsghdr *nlh, unsigned long i, void *arg)
{
	const struct range *g = arg;

	mnl_attr_put_u32(nlh, CPNS_A_GROUP_ID, g->first_group + (uint32_t)i);
	if (g->grace)
		mnl_attr_put_u32(nlh, CPNS_A_GROUP_GRACE, g->grace);
}

/* The same with a traffic selector, one address per group. */
static void fill_group_sel(struct nlmsghdr *nlh, unsigned long i, void *arg)
{
	uint32_t a = htonl(0x0a500000u + (uint32_t)i);
	struct nlattr *n;

	fill_group(nlh, i, arg);
	n = mnl_attr_nest_start(nlh, CPNS_A_GROUP_SELECTOR);
	mnl_attr_put_u16(nlh, CPNS_A_SELECTOR_FAMILY, AF_INET);
	mnl_attr_put(nlh, CPNS_A_SELECTOR_DADDR, sizeof(a), &a);
	mnl_attr_put_u8(nlh, CPNS_A_SELECTOR_PREFIX_LEN, 32);
	mnl_attr_put_u16(nlh, CPNS_A_SELECTOR_DPORT, htons(4000));
	mnl_attr_nest_end(nlh, n);
}

static void plain_key(uint32_t group, uint64_t epoch, uint8_t *key)
{
	memset(key, 0, CPNS_KEY_LEN);
	memcpy(key, &group, sizeof(group));
	memcpy(key + 8, &epoch, sizeof(epoch));
	key[31] = 0x5a;
}

static void fill_plain(struct nlmsghdr *nlh, unsigned long i, void *arg)
{
	const struct range *g = arg;
	uint32_t id = g->first_group + (uint32_t)i;
	uint8_t key[CPNS_KEY_LEN];

	plain_key(id, g->epoch, key);
	mnl_attr_put_u32(nlh, CPNS_A_KEY_GROUP_ID, id);
	mnl_attr_put_u64(nlh, CPNS_A_KEY_EPOCH, g->epoch);
	mnl_attr_put(nlh, CPNS_A_KEY_PLAIN, sizeof(key), key);
}

static void fill_wrapped(struct nlmsghdr *nlh, unsigned long i, void *arg)
{
	const struct range *g = arg;

	mnl_attr_put_u32(nlh, CPNS_A_KEY_GROUP_ID, g->first_group + (uint32_t)i);
	mnl_attr_put(nlh, CPNS_A_KEY_WRAPPED, g->lens[i], g->blobs[i]);
}

static void fill_none(struct nlmsghdr *nlh, unsigned long i, void *arg)
{
	(void)nlh;
	(void)i;
	(void)arg;
}

/* Namespace counters, to check that installs really happened. */
struct stats {
	uint64_t groups, keys, installs;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats *s = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_validate(a, MNL_TYPE_U64))
			continue;
		switch (mnl_attr_get_type(a)) {
		case CPNS_A_STATS_GROUPS:
			s->groups = mnl_attr_get_u64(a);
			break;
		case CPNS_A_STATS_KEYS:
			s->keys = mnl_attr_get_u64(a);
			break;
		case CPNS_A_STATS_INSTALLS:
			s->installs = mnl_attr_get_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

static bool stats_get(struct stats *s)
{
	struct nlmsghdr *nlh = cpns_nl_request(&nl, CPNS_CMD_STATS_GET, 0);

	memset(s, 0, sizeof(*s));
	return cpns_nl_talk(&nl, nlh, stats_cb, s) == 0;
}

static bool expect_keys(uint64_t keys, uint64_t groups)
{
	struct stats s;

	if (!stats_get(&s)) {
		note("  STATS_GET failed: %s", nl.extack);
		return false;
	}
	if (s.keys != keys || s.groups != groups) {
		note("  expected %llu groups and %llu keys, the module has %llu and %llu",
		     (unsigned long long)groups, (unsigned long long)keys,
		     (unsigned long long)s.groups, (unsigned long long)s.keys);
		return false;
	}
	return true;
}

/* Module and socket. */

static bool module_fresh(void)
{
	int big = 32 << 20, ret;
	struct timeval tv = { .tv_sec = 60 };

	if (nl.sock)
		cpns_nl_close(&nl);
	sh("rmmod cpns 2>/dev/null");
	if (sh("modprobe cpns")) {
		note("modprobe cpns failed");
		return false;
	}
	ret = cpns_nl_open(&nl);
	if (ret) {
		note("cannot open the cpns family: %s", strerror(-ret));
		return false;
	}
	/* Replies of a whole batch must fit; root may exceed rmem_max. */
	setsockopt(mnl_socket_get_fd(nl.sock), SOL_SOCKET, SO_RCVBUFFORCE,
		   &big, sizeof(big));
	setsockopt(mnl_socket_get_fd(nl.sock), SOL_SOCKET, SO_SNDBUFFORCE,
		   &big, sizeof(big));
	setsockopt(mnl_socket_get_fd(nl.sock), SOL_SOCKET, SO_RCVTIMEO,
		   &tv, sizeof(tv));
	return true;
}

/* Wrapped keys: a gateway's key material set, our GKDK, one blob per group. */

struct wrapset {
	struct cpns_kms *kms;
	uint32_t slot;		/* this PNE */
	uint32_t *members;
	size_t nmembers;
	unsigned long n;
	uint8_t **blobs;
	size_t *lens;
	double build_secs;
};

static int wrap_setup(struct cpns_kms **kms, uint32_t *slot)
{
	struct cpns_gkdk g;
	uint8_t enc[CPNS_GKDK_MAX_LEN];
	struct nlmsghdr *nlh;
	size_t len;
	uint32_t s;
	int ret, i;

	ret = cpns_kms_create(kms, GW_ID, SET_ID, HEIGHT);
	if (ret)
		return ret;
	for (i = 0; i < SLOTS_BIG; i++) {
		ret = cpns_kms_slot_assign(*kms, &s);
		if (ret)
			return ret;
	}
	*slot = 2;	/* ours: a member of both covers below */
	ret = cpns_gkdk_create(*kms, CPNS_SCHEME_CS, *slot, &g);
	if (!ret)
		ret = cpns_gkdk_encode(&g, enc, sizeof(enc), &len);
	cpns_gkdk_wipe(&g);
	if (ret)
		return ret;
	nlh = cpns_nl_request(&nl, CPNS_CMD_GKDK_SET, 0);
	mnl_attr_put(nlh, CPNS_A_GKDK_DATA, len, enc);
	ret = cpns_nl_talk(&nl, nlh, NULL, NULL);
	memset(enc, 0, sizeof(enc));
	if (ret) {
		note("GKDK_SET: %s (%s)", strerror(-ret), nl.extack);
		return CPNS_KE_INVAL;
	}
	return 0;
}

static int wrap_build(struct wrapset *w, uint32_t first_group)
{
	struct cpns_gk_params p = {
		.scheme = CPNS_SCHEME_CS,
		.epoch = 1,
	};
	uint8_t gk[CPNS_KEY_LEN];
	unsigned long i;
	double t0;
	int ret;

	p.valid_from = (uint64_t)time(NULL) - 600;
	p.valid_until = (uint64_t)time(NULL) + 86400;
	w->blobs = calloc(w->n, sizeof(*w->blobs));
	w->lens = calloc(w->n, sizeof(*w->lens));
	if (!w->blobs || !w->lens)
		return CPNS_KE_NOMEM;
	t0 = now();
	for (i = 0; i < w->n; i++) {
		p.group_id = first_group + (uint32_t)i;
		ret = cpns_random_bytes(gk, sizeof(gk));
		if (!ret)
			ret = cpns_gk_build(w->kms, &p, w->members, w->nmembers,
					    gk, &w->blobs[i], &w->lens[i]);
		if (ret)
			return ret;
	}
	w->build_secs = now() - t0;
	memset(gk, 0, sizeof(gk));
	return 0;
}

static void wrap_free(struct wrapset *w)
{
	unsigned long i;

	for (i = 0; w->blobs && i < w->n; i++)
		free(w->blobs[i]);
	free(w->blobs);
	free(w->lens);
	w->blobs = NULL;
	w->lens = NULL;
}

static uint32_t cover_count(const uint8_t *blob)
{
	return (uint32_t)blob[20] << 24 | (uint32_t)blob[21] << 16 |
	       (uint32_t)blob[22] << 8 | blob[23];
}

/* Results for the summary. */
static struct {
	double plain, plain_rtt, wrapped, wrapped_rtt, wrapped_big;
	size_t wrapped_len, wrapped_big_len;
	uint32_t wrapped_big_cover;
	double key_group_bytes, key_only_bytes, key_group_all;
	double fp_key_group_bytes, fp_key_only_bytes;
	bool have_fp_mem;
	double xfrm_rate, xfrm_flush, xfrm_bytes, xfrm_all;
	bool have_plain, have_wrapped, have_mem, have_xfrm;
	/* microseconds per request, for the profile */
	double us_floor, us_plain, us_ack, us_repeat, us_roll, us_rtt,
	       us_info, us_wrapped, us_wrapped_rtt, us_wrapped_big, us_xfrm;
	double recv_share;
} sum;

static double us(const struct run *r)
{
	return r->n ? r->secs * 1e6 / r->n : 0;
}

/* Part 1: install rates and their profile. */

static bool bench_plain(void)
{
	struct range g1 = { .first_group = 1, .epoch = 1, .grace = 86400 };
	struct range g2 = { .first_group = 1 + N_RATE, .epoch = 1 };
	struct range gr = { .first_group = 1 + 2 * N_RATE, .epoch = 1 };
	struct range gn = { .first_group = 1 + 3 * N_RATE, .epoch = 1 };
	struct run create = RUN("GROUP_NEW, batched, ack",
		CPNS_CMD_GROUP_NEW, true, BATCH, 2 * N_RATE + N_RTT,
		fill_group, &g1);
	struct run floor = RUN("floor: KEY_INSTALL refused (no group), batched",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_RATE,
		fill_plain, &gn);
	struct run noack = RUN("plain, batched, reply only",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_RATE,
		fill_plain, &g1);
	struct run ack = RUN("plain, batched, reply + ack",
		CPNS_CMD_KEY_INSTALL, true, BATCH, N_RATE,
		fill_plain, &g2);
	struct run repeat = RUN("plain repeat (same epoch+key: no alloc), batched",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_RATE,
		fill_plain, &g1);
	struct run roll = RUN("plain rollover to epoch 2, batched",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_RATE,
		fill_plain, NULL);
	struct run rtt = RUN("plain, 1 per round trip (cpns_nl_talk)",
		CPNS_CMD_KEY_INSTALL, true, 0, N_RTT,
		fill_plain, &gr);
	struct run info = RUN("INFO_GET, 1 per round trip (cpns_nl_talk)",
		CPNS_CMD_INFO_GET, true, 0, N_RTT,
		fill_none, NULL);
	struct range g1e2 = g1;
	bool ok = true;

	g1e2.epoch = 2;
	roll.arg = &g1e2;
	note("cpns installs: %u requests per sendmsg (only send + receive timed)",
	     BATCH);
	run_header();
	ok &= do_run(&create, false);
	ok &= expect_keys(0, create.n);
	ok &= do_run(&floor, true);
	ok &= do_run(&noack, false);
	ok &= do_run(&ack, false);
	ok &= do_run(&repeat, false);
	ok &= do_run(&roll, false);
	ok &= do_run(&rtt, false);
	ok &= do_run(&info, false);
	ok &= expect_keys(2 * N_RATE + N_RATE + N_RTT, create.n);
	sum.plain = rate(&noack);
	sum.plain_rtt = rate(&rtt);
	sum.us_floor = us(&floor);
	sum.us_plain = us(&noack);
	sum.us_ack = us(&ack);
	sum.us_repeat = us(&repeat);
	sum.us_roll = us(&roll);
	sum.us_rtt = us(&rtt);
	sum.us_info = us(&info);
	sum.recv_share = noack.recv_secs / noack.secs;
	sum.have_plain = ok;
	note("  replies in: %lu messages in %lu recv calls (one skb per message)",
	     noack.msgs_in, noack.recvs);
	result(ok, "plain installs measured");
	return ok;
}

static bool bench_wrapped(void)
{
	struct wrapset small = { .n = N_WRAP + N_RTT }, big = { .n = N_WRAP_BIG };
	struct wrapset warm = { .n = 1 };
	struct range gw = { .first_group = WRAP_BASE - 1 };
	struct cpns_kms *kms = NULL;
	uint32_t slot, base = WRAP_BASE, i, members_small[4];
	struct range gs = { .first_group = base, .grace = 0 };
	struct range gr = { .first_group = base + N_WRAP };
	struct range gb = { .first_group = base + N_WRAP + N_RTT };
	struct range gc = { .first_group = base };
	struct run create = RUN("GROUP_NEW, batched, ack",
		CPNS_CMD_GROUP_NEW, true, BATCH, N_WRAP + N_RTT + N_WRAP_BIG,
		fill_group, &gc);
	struct run wgroup = RUN("warm-up: GROUP_NEW",
		CPNS_CMD_GROUP_NEW, true, 0, 1,
		fill_group, &gw);
	struct run wwarm = RUN("warm-up: first wrapped (allocates the tfms)",
		CPNS_CMD_KEY_INSTALL, true, 0, 1,
		fill_wrapped, &gw);
	struct run wb = RUN(NULL,
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_WRAP,
		fill_wrapped, &gs);
	struct run wr = RUN(NULL,
		CPNS_CMD_KEY_INSTALL, true, 0, N_RTT,
		fill_wrapped, &gr);
	struct run wbig = RUN(NULL,
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_WRAP_BIG,
		fill_wrapped, &gb);
	char name1[64], name2[64], name3[64];
	struct stats st0, st1;
	bool ok = true;
	int ret;

	ret = wrap_setup(&kms, &slot);
	if (ret) {
		note("wrapped setup: %s", cpns_kerr_str(ret));
		result(false, "wrapped installs measured");
		cpns_kms_free(kms);
		return false;
	}
	/* Small cover: the four slots 0-3, one subtree, the 188-byte blob. */
	for (i = 0; i < 4; i++)
		members_small[i] = i;
	small.kms = kms;
	small.members = members_small;
	small.nmembers = 4;
	/* Large cover: 1024 assigned slots, HOLES_BIG of them revoked. */
	big.kms = kms;
	big.members = calloc(SLOTS_BIG, sizeof(uint32_t));
	if (!big.members)
		return false;
	for (i = 0; i < SLOTS_BIG; i++) {
		bool hole = false;
		int h;

		for (h = 0; h < HOLES_BIG; h++)
			if (i == 37u + (uint32_t)h * 61u)
				hole = true;
		if (!hole && i != slot + 1)
			big.members[big.nmembers++] = i;
	}
	warm.kms = kms;
	warm.members = members_small;
	warm.nmembers = 4;
	ret = wrap_build(&small, base);
	if (!ret)
		ret = wrap_build(&big, base + N_WRAP + N_RTT);
	if (!ret)
		ret = wrap_build(&warm, base - 1);
	if (ret) {
		note("building blobs: %s", cpns_kerr_str(ret));
		result(false, "wrapped installs measured");
		wrap_free(&small);
		wrap_free(&big);
		wrap_free(&warm);
		free(big.members);
		cpns_kms_free(kms);
		return false;
	}
	gs.blobs = small.blobs;
	gs.lens = small.lens;
	gr.blobs = small.blobs + N_WRAP;
	gr.lens = small.lens + N_WRAP;
	gb.blobs = big.blobs;
	gb.lens = big.lens;
	snprintf(name1, sizeof(name1), "wrapped %zu B, batched, reply only",
		 small.lens[0]);
	snprintf(name2, sizeof(name2), "wrapped %zu B, 1 per round trip",
		 small.lens[0]);
	snprintf(name3, sizeof(name3), "wrapped %zu B (cover %u), batched",
		 big.lens[0], cover_count(big.blobs[0]));
	wb.name = name1;
	wr.name = name2;
	wbig.name = name3;

	note("wrapped Group Keys: GKDK of slot %u, h = %u; blobs built in userspace first",
	     slot, HEIGHT);
	note("  gateway side (not timed below): build %.0f blobs/s of %zu B, %.0f/s of %zu B",
	     small.n / small.build_secs, small.lens[0],
	     big.n / big.build_secs, big.lens[0]);
	run_header();
	/*
	 * Warm-up, untimed: the first wrapped install allocates the
	 * namespace's gcm(aes) and hmac(sha256) transforms (and the crypto
	 * manager tests them), which costs more than a thousand installs.
	 */
	gw.blobs = warm.blobs;
	gw.lens = warm.lens;
	ok &= do_run(&wgroup, false);
	ok &= do_run(&wwarm, false);
	ok &= stats_get(&st0);
	ok &= do_run(&create, false);
	ok &= do_run(&wb, false);
	ok &= do_run(&wr, false);
	ok &= do_run(&wbig, false);
	ok &= stats_get(&st1);
	if (ok && st1.installs - st0.installs != wb.n + wr.n + wbig.n) {
		note("  expected %lu installs, the module counted %llu",
		     wb.n + wr.n + wbig.n,
		     (unsigned long long)(st1.installs - st0.installs));
		ok = false;
	}
	sum.wrapped = rate(&wb);
	sum.us_wrapped = us(&wb);
	sum.us_wrapped_rtt = us(&wr);
	sum.us_wrapped_big = us(&wbig);
	sum.wrapped_rtt = rate(&wr);
	sum.wrapped_big = rate(&wbig);
	sum.wrapped_len = small.lens[0];
	sum.wrapped_big_len = big.lens[0];
	sum.wrapped_big_cover = cover_count(big.blobs[0]);
	sum.have_wrapped = ok;
	result(ok, "wrapped installs measured");
	wrap_free(&small);
	wrap_free(&big);
	wrap_free(&warm);
	free(big.members);
	cpns_kms_free(kms);
	return ok;
}

/* Part 2: memory per cached key, on a fresh module. */

static bool bench_mem(void)
{
	struct range g = { .first_group = 1, .epoch = 1, .grace = 86400 };
	struct range g2 = { .first_group = 1, .epoch = 2 };
	struct run create = RUN("GROUP_NEW x100k, batched, ack",
		CPNS_CMD_GROUP_NEW, true, BATCH, N_MEM,
		fill_group, &g);
	struct run k1 = RUN("plain epoch 1 x100k, batched",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_MEM,
		fill_plain, &g);
	struct run k2 = RUN("plain epoch 2 x100k (prev kept), batched",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_MEM,
		fill_plain, &g2);
	struct mem m0 = { 0 }, m1 = { 0 }, m2 = { 0 }, m3 = { 0 };
	bool ok;
	double t0, t1;

	ok = module_fresh();
	if (!ok) {
		result(false, "memory per cached key measured");
		return false;
	}
	note("memory: %d groups (grace 1 day, so previous keys stay), fresh module",
	     N_MEM);
	run_header();
	mem_read(&m0);
	ok &= do_run(&create, false);
	mem_read(&m1);
	ok &= do_run(&k1, false);
	mem_read(&m2);
	ok &= do_run(&k2, false);
	mem_read(&m3);
	ok &= expect_keys(2 * N_MEM, N_MEM);
	mem_report("groups only", &m0, &m1, N_MEM);
	mem_report("first key per group", &m1, &m2, N_MEM);
	mem_report("group + first key", &m0, &m2, N_MEM);
	mem_report("second key (key only)", &m2, &m3, N_MEM);
	sum.key_group_bytes = kmem_delta(&m0, &m2) / N_MEM;
	sum.key_only_bytes = kmem_delta(&m2, &m3) / N_MEM;
	sum.key_group_all = kall_delta(&m0, &m2) / N_MEM;
	sum.have_mem = ok;

	cpns_nl_close(&nl);
	memset(&nl, 0, sizeof(nl));
	t0 = now();
	ok &= sh("rmmod cpns") == 0;
	t1 = now();
	note("  rmmod with %d groups and %d keys: %.2f s", N_MEM, 2 * N_MEM,
	     t1 - t0);
	result(ok, "memory per cached key measured");
	free(m0.c);
	free(m1.c);
	free(m2.c);
	free(m3.c);
	return ok;
}

/*
 * Part 2b: the same for groups with a traffic selector, whose keys carry
 * fast-path state (AEAD transforms, replay table): what a gateway pays.
 * As many groups as the initial namespace may have.
 */
static bool bench_fp_mem(void)
{
	struct range g = { .first_group = 1, .epoch = 1, .grace = 86400 };
	struct range g2 = { .first_group = 1, .epoch = 2 };
	struct run create = RUN("GROUP_NEW with selector x1000, batched, ack",
		CPNS_CMD_GROUP_NEW, true, BATCH, N_FP_MEM,
		fill_group_sel, &g);
	struct run k1 = RUN("plain epoch 1 x1000 (fast-path state)",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_FP_MEM,
		fill_plain, &g);
	struct run k2 = RUN("plain epoch 2 x1000 (prev kept)",
		CPNS_CMD_KEY_INSTALL, false, BATCH, N_FP_MEM,
		fill_plain, &g2);
	struct mem m0 = { 0 }, m1 = { 0 }, m2 = { 0 }, m3 = { 0 };
	bool ok;

	ok = module_fresh();
	if (!ok) {
		result(false, "memory per fast-path key measured");
		return false;
	}
	note("memory: %d groups with a traffic selector, fresh module", N_FP_MEM);
	run_header();
	mem_read(&m0);
	ok &= do_run(&create, false);
	mem_read(&m1);
	ok &= do_run(&k1, false);
	mem_read(&m2);
	ok &= do_run(&k2, false);
	mem_read(&m3);
	ok &= expect_keys(2 * N_FP_MEM, N_FP_MEM);
	mem_report("groups with selector only", &m0, &m1, N_FP_MEM);
	mem_report("group + first fast-path key", &m0, &m2, N_FP_MEM);
	mem_report("second fast-path key only", &m2, &m3, N_FP_MEM);
	sum.fp_key_group_bytes = kmem_delta(&m0, &m2) / N_FP_MEM;
	sum.fp_key_only_bytes = kmem_delta(&m2, &m3) / N_FP_MEM;
	sum.have_fp_mem = ok;
	cpns_nl_close(&nl);
	memset(&nl, 0, sizeof(nl));
	ok &= sh("rmmod cpns") == 0;
	result(ok, "memory per fast-path key measured");
	free(m0.c);
	free(m1.c);
	free(m2.c);
	free(m3.c);
	return ok;
}

/* Part 3: the peer, IPsec SAs through ip -batch. */

static bool xfrm_write(const char *path, unsigned long n, uint32_t spi0)
{
	uint64_t x = 0x2545f4914f6cdd1dull ^ spi0;
	unsigned long i;
	FILE *f;
	int b;

	f = fopen(path, "w");
	if (!f)
		return false;
	for (i = 0; i < n; i++) {
		uint32_t d = (uint32_t)i + 1;

		fprintf(f, "xfrm state add src 10.255.0.1 dst 10.%u.%u.%u proto esp spi 0x%08x reqid %lu mode tunnel aead rfc4106(gcm(aes)) 0x",
			(d >> 16) & 0xff, (d >> 8) & 0xff, d & 0xff,
			spi0 + (uint32_t)i, i + 1);
		for (b = 0; b < 36; b++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			fprintf(f, "%02x", (unsigned int)(x & 0xff));
		}
		fputs(" 128\n", f);
	}
	return fclose(f) == 0;
}

static long xfrm_count(void)
{
	char line[128];
	long n = -1;
	FILE *p;

	fflush(stdout);
	p = popen("ip xfrm state count 2>/dev/null", "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, " SAD count %ld", &n) == 1)
			break;
	pclose(p);
	return n;
}

static void show_file(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f) && n++ < 10) {
		line[strcspn(line, "\n")] = '\0';
		note("    %s", line);
	}
	if (f)
		fclose(f);
}

static bool bench_xfrm(void)
{
	struct mem m0 = { 0 }, m1 = { 0 }, m2 = { 0 };
	struct cpu c0, c1;
	double t0, t1, t2, t3;
	long count;
	bool ok = true;

	note("xfrm peer: ip -batch of %d 'xfrm state add ... aead rfc4106(gcm(aes)) <36 B> 128'",
	     N_XFRM);
	if (sh("modprobe -a xfrm_user esp4 2>/dev/null")) {
		note("  modprobe xfrm_user esp4 failed");
		result(false, "xfrm SA installs measured");
		return false;
	}
	/* Warm up: the first SA loads and instantiates the AEAD. */
	if (!xfrm_write(XFRM_BATCH, 1, 0x100) ||
	    sh("ip -batch %s >%s 2>&1 && ip xfrm state flush", XFRM_BATCH,
	       XFRM_OUT)) {
		note("  a single SA add failed:");
		show_file(XFRM_OUT);
		result(false, "xfrm SA installs measured");
		return false;
	}
	if (!xfrm_write(XFRM_BATCH, N_XFRM, 0x1000)) {
		note("  cannot write %s", XFRM_BATCH);
		result(false, "xfrm SA installs measured");
		return false;
	}
	mem_read(&m0);
	c0 = cpu_now(RUSAGE_CHILDREN);
	t0 = now();
	ok &= sh("ip -batch %s >%s 2>&1", XFRM_BATCH, XFRM_OUT) == 0;
	t1 = now();
	c1 = cpu_now(RUSAGE_CHILDREN);
	mem_read(&m1);
	count = xfrm_count();
	if (!ok || count != N_XFRM) {
		note("  ip -batch failed or installed %ld of %d SAs:", count,
		     N_XFRM);
		show_file(XFRM_OUT);
		ok = false;
	}
	t2 = now();
	ok &= sh("ip xfrm state flush") == 0;
	t3 = now();
	mem_read(&m2);
	note("  %-44s %7s %9s %8s %5s %5s", "run", "n", "per s", "us each",
	     "usr%", "sys%");
	note("  %-44s %7d %9.0f %8.1f %5.0f %5.0f", "ip -batch xfrm state add",
	     N_XFRM, N_XFRM / (t1 - t0), (t1 - t0) * 1e6 / N_XFRM,
	     100 * (c1.user - c0.user) / (c1.user - c0.user + c1.sys - c0.sys + 1e-9),
	     100 * (c1.sys - c0.sys) / (c1.user - c0.user + c1.sys - c0.sys + 1e-9));
	note("  %-44s %7d %9.0f %8.1f", "ip xfrm state flush", N_XFRM,
	     N_XFRM / (t3 - t2), (t3 - t2) * 1e6 / N_XFRM);
	mem_report("xfrm SAs", &m0, &m1, N_XFRM);
	note("  after flush: Slab %+ld kB, MemAvailable %+ld kB against before",
	     m2.slab - m0.slab, m2.avail - m0.avail);
	sum.xfrm_rate = N_XFRM / (t1 - t0);
	sum.us_xfrm = (t1 - t0) * 1e6 / N_XFRM;
	sum.xfrm_flush = N_XFRM / (t3 - t2);
	sum.xfrm_bytes = kmem_delta(&m0, &m1) / N_XFRM;
	sum.xfrm_all = kall_delta(&m0, &m1) / N_XFRM;
	sum.have_xfrm = ok;
	unlink(XFRM_BATCH);
	result(ok, "xfrm SA installs measured");
	free(m0.c);
	free(m1.c);
	free(m2.c);
	return ok;
}

/* The summary the issue asks for. */

static const char *goal(bool met)
{
	return met ? "met" : "SHORT";
}

static void summary(void)
{
	double x = sum.xfrm_rate;

	note("summary (1 vCPU VM, same boot; speed varies 20-50%% between runs)");
	note("  %-52s %10s %10s", "", "value", "vs xfrm");
	if (sum.have_plain) {
		note("  %-52s %10.0f %9.1fx", "cpns plain installs/s, batched",
		     sum.plain, x > 0 ? sum.plain / x : 0);
		note("  %-52s %10.0f %9.1fx",
		     "cpns plain installs/s, 1 per round trip", sum.plain_rtt,
		     x > 0 ? sum.plain_rtt / x : 0);
	}
	if (sum.have_wrapped) {
		char w[64];

		snprintf(w, sizeof(w), "cpns wrapped installs/s, batched (%zu B)",
			 sum.wrapped_len);
		note("  %-52s %10.0f %9.1fx", w, sum.wrapped,
		     x > 0 ? sum.wrapped / x : 0);
		snprintf(w, sizeof(w), "cpns wrapped installs/s, 1 per round trip");
		note("  %-52s %10.0f %9.1fx", w, sum.wrapped_rtt,
		     x > 0 ? sum.wrapped_rtt / x : 0);
		snprintf(w, sizeof(w), "cpns wrapped installs/s, batched (%zu B, cover %u)",
			 sum.wrapped_big_len, sum.wrapped_big_cover);
		note("  %-52s %10.0f %9.1fx", w, sum.wrapped_big,
		     x > 0 ? sum.wrapped_big / x : 0);
	}
	if (sum.have_xfrm)
		note("  %-52s %10.0f %9.1fx", "xfrm SA adds/s, ip -batch", x,
		     1.0);
	if (sum.have_mem) {
		note("  %-52s %10.0f %9.2fx", "bytes per cached key, with its group (slab+percpu)",
		     sum.key_group_bytes,
		     sum.xfrm_bytes > 0 ? sum.key_group_bytes / sum.xfrm_bytes : 0);
		note("  %-52s %10.0f %9.2fx", "bytes per cached key, key only (2nd epoch)",
		     sum.key_only_bytes,
		     sum.xfrm_bytes > 0 ? sum.key_only_bytes / sum.xfrm_bytes : 0);
		note("  %-52s %10.0f %9.2fx", "bytes per cached key, with group (all kernel)",
		     sum.key_group_all,
		     sum.xfrm_all > 0 ? sum.key_group_all / sum.xfrm_all : 0);
	}
	if (sum.have_fp_mem) {
		note("  %-52s %10.0f %9.2fx", "bytes per fast-path key, with its group",
		     sum.fp_key_group_bytes,
		     sum.xfrm_bytes > 0 ? sum.fp_key_group_bytes / sum.xfrm_bytes : 0);
		note("  %-52s %10.0f %9.2fx", "bytes per fast-path key, key only",
		     sum.fp_key_only_bytes,
		     sum.xfrm_bytes > 0 ? sum.fp_key_only_bytes / sum.xfrm_bytes : 0);
	}
	if (sum.have_xfrm) {
		note("  %-52s %10.0f %9.2fx", "bytes per xfrm SA (slab+percpu)",
		     sum.xfrm_bytes, 1.0);
		note("  %-52s %10.0f %9.2fx", "bytes per xfrm SA (all kernel)",
		     sum.xfrm_all, 1.0);
	}
	if (sum.have_plain && sum.have_wrapped && sum.have_xfrm) {
		double lo = sum.wrapped < sum.plain ? sum.wrapped : sum.plain;

		note("  goal cpns >= 5x xfrm install rate (batched, slower of plain/wrapped): %.1fx, %s",
		     lo / x, goal(lo >= 5 * x));
	}
	if (sum.have_mem && sum.have_xfrm)
		note("  goal <= 1 kB per key and < half an xfrm SA: %.0f B, %.2f SA, %s",
		     sum.key_group_bytes, sum.key_group_bytes / sum.xfrm_bytes,
		     goal(sum.key_group_bytes <= 1024 &&
			  2 * sum.key_group_bytes < sum.xfrm_bytes));
}

/* Where the time of one install goes, from the differences of the rows. */
static void profile(void)
{
	double p = sum.us_plain, w = sum.us_wrapped;

	if (!sum.have_plain)
		return;
	note("profile: us per request, batched unless said; differences of rows, each +-10-20%%");
	note("  %-62s %7.1f %4.0f%%", "netlink floor: parse, policy, lock, lookup, error ack, recv",
	     sum.us_floor, 100 * sum.us_floor / p);
	note("  %-62s %7.1f %4.0f%%", "the KEY_INSTALL reply (NLMSG_DEFAULT_SIZE skb, trim, recv)",
	     sum.us_repeat - sum.us_floor,
	     100 * (sum.us_repeat - sum.us_floor) / p);
	note("  %-62s %7.1f %4.0f%%", "the install: kzalloc, SHA-256 fingerprint, pointers",
	     p - sum.us_repeat, 100 * (p - sum.us_repeat) / p);
	note("  %-62s %7.1f %4s", "= plain install", p, "100%");
	note("  %-62s %7.1f", "  userspace recv() of the replies, share of the above",
	     sum.recv_share * p);
	note("  %-62s %7.1f", "+ NLM_F_ACK (a second message per request)",
	     sum.us_ack - p);
	note("  %-62s %7.1f", "+ rollover (old key kept as previous, grace timer armed)",
	     sum.us_roll - p);
	note("  %-62s %7.1f", "+ one round trip per request (cpns_nl_talk, ack on)",
	     sum.us_rtt - sum.us_ack);
	note("  %-62s %7.1f", "  INFO_GET round trip (no lock, no install), for scale",
	     sum.us_info);
	if (sum.have_wrapped) {
		note("  %-62s %7.1f %4.0f%%", "+ in-kernel unwrap (SHA-256, HMAC, 2 x AES-GCM, allocs)",
		     w - p, 100 * (w - p) / w);
		note("  %-62s %7.1f", "= wrapped install (188 B blob)", w);
		note("  %-62s %7.1f", "  wrapped install, large blob", sum.us_wrapped_big);
		note("  %-62s %7.1f", "  wrapped install, one round trip each",
		     sum.us_wrapped_rtt);
	}
	if (sum.have_xfrm)
		note("  %-62s %7.1f", "xfrm SA add through ip -batch (one round trip each)",
		     sum.us_xfrm);
}

int main(void)
{
	bool up;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..6\n");
	rbuf = malloc(rbuf_len);
	sbuf = malloc(BATCH_BYTES);
	if (!rbuf || !sbuf)
		return 1;

	up = module_fresh();
	if (up) {
		struct stats s;

		up = stats_get(&s);
	}
	if (up) {
		bench_plain();
		bench_wrapped();
	} else {
		result(false, "plain installs measured # cpns unavailable");
		result(false, "wrapped installs measured # cpns unavailable");
	}
	bench_mem();
	bench_fp_mem();
	bench_xfrm();
	profile();
	summary();
	result(true, "summary printed");
	if (nl.sock)
		cpns_nl_close(&nl);
	sh("rmmod cpns 2>/dev/null");
	free(rbuf);
	free(sbuf);
	return tap_failed;
}
