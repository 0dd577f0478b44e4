// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd.conf, parsed by inih: we only check values.  inih reports the
 * line of the first key we refuse; the reason is ours.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct parse {
	struct cpnsd_config *cfg;
	char why[256];
};

static int bad(struct parse *p, const char *fmt, const char *a,
	       const char *b)
{
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), fmt, a, b);
	return 0;
}

/* "ADDR:PORT", "[V6ADDR]:PORT"; numeric only: no resolver at start-up. */
static int parse_addr(const char *s, struct config_addr *a)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long port;

	memset(a, 0, sizeof(*a));
	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -1;
		h = s + 1;
		hl = colon - h;
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = colon - s;
	}
	if (!hl || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || !colon[1] || !port || port > 65535)
		return -1;
	if (*s != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		a->len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		a->len = sizeof(*in6);
	}
	snprintf(a->text, sizeof(a->text), "%s", s);
	return 0;
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end || *v > max ? -1 : 0;
}

static int parse_path(const char *s, char *dst)
{
	if (*s != '/' || strlen(s) >= CONFIG_STR_MAX)
		return -1;
	strcpy(dst, s);
	return 0;
}

static bool pne_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._:-") == n;
}

struct limit {
	const char *name;
	size_t off;
	unsigned long long min, max;
};

#define LIM(n, f, lo, hi) { n, offsetof(struct cpnsd_config, f), lo, hi }
static const struct limit limits[] = {
	LIM("handshake-timeout", handshake_timeout, 1, 600),
	LIM("idle-timeout", idle_timeout, 5, 86400),
	LIM("keepalive", keepalive, 1, 86400),
	LIM("max-sessions", max_sessions, 1, 100000),
	LIM("rate", rate, 1, 100000),
	LIM("burst", burst, 1, 100000),
	LIM("retry-min", retry_min, 1, 3600),
	LIM("retry-max", retry_max, 1, 86400),
};

static int key_cpnsd(struct parse *p, const char *name, const char *v)
{
	struct cpnsd_config *c = p->cfg;

	if (!strcmp(name, "role")) {
		if (!strcmp(v, "server"))
			c->role = CPNSD_SERVER;
		else if (!strcmp(v, "gateway"))
			c->role = CPNSD_GATEWAY;
		else if (!strcmp(v, "pne"))
			c->role = CPNSD_PNE;
		else
			return bad(p, "role: '%s' is not server, gateway or pne%s",
				   v, "");
		c->role_set = true;
	} else if (!strcmp(name, "state-dir")) {
		if (parse_path(v, c->state_dir))
			return bad(p, "state-dir: '%s' is not an absolute path%s",
				   v, "");
	} else if (!strcmp(name, "control")) {
		if (parse_path(v, c->control))
			return bad(p, "control: '%s' is not an absolute path%s",
				   v, "");
	} else if (!strcmp(name, "log-level")) {
		if (!strcmp(v, "error"))
			c->log_level = LOG_ERR_;
		else if (!strcmp(v, "warning"))
			c->log_level = LOG_WARN_;
		else if (!strcmp(v, "info"))
			c->log_level = LOG_INFO_;
		else if (!strcmp(v, "debug"))
			c->log_level = LOG_DEBUG_;
		else
			return bad(p, "log-level: '%s' is not error, warning, info or debug%s",
				   v, "");
	} else {
		return bad(p, "unknown key '%s' in [cpnsd]%s", name, "");
	}
	return 1;
}

static int pn_interface(struct parse *p, const char *v, unsigned int max)
{
	struct cpnsd_config *c = p->cfg;
	unsigned int i;

	if (!*v || strlen(v) >= IFNAMSIZ || strpbrk(v, "/ \t:"))
		return bad(p, "pn-interface: '%s' is not an interface name%s",
			   v, "");
	for (i = 0; i < c->n_pn_if; i++)
		if (!strcmp(c->pn_if[i], v))
			return bad(p, "pn-interface: '%s' given twice%s", v, "");
	if (c->n_pn_if >= max) {
		char n[16];

		snprintf(n, sizeof(n), "%u", max);
		return bad(p, "pn-interface: more than %s%s", n, "");
	}
	strcpy(c->pn_if[c->n_pn_if++], v);
	return 1;
}

static int key_gateway(struct parse *p, const char *name, const char *v)
{
	struct cpnsd_config *c = p->cfg;
	unsigned long long n;

	if (!strcmp(name, "id")) {
		if (parse_uint(v, UINT64_MAX, &n))
			return bad(p, "id: '%s' is not a 64-bit number%s", v, "");
		c->gateway_id = n;
		c->gateway_id_set = true;
	} else if (!strcmp(name, "height")) {
		if (parse_uint(v, 20, &n) || !n)
			return bad(p, "height: '%s' is not 1..20%s", v, "");
		c->height = n;
	} else if (!strcmp(name, "listen")) {
		if (parse_addr(v, &c->listen))
			return bad(p, "listen: '%s' is not ADDRESS:PORT or [ADDRESS]:PORT%s",
				   v, "");
		c->listen_set = true;
	} else if (!strcmp(name, "server")) {
		if (parse_addr(v, &c->server))
			return bad(p, "server: '%s' is not ADDRESS:PORT or [ADDRESS]:PORT%s",
				   v, "");
		c->server_set = true;
	} else if (!strcmp(name, "pn-interface")) {
		return pn_interface(p, v, CONFIG_PN_IF_MAX);
	} else {
		return bad(p, "unknown key '%s' in [gateway]%s", name, "");
	}
	return 1;
}

static int key_pne(struct parse *p, const char *name, const char *v)
{
	struct cpnsd_config *c = p->cfg;

	if (!strcmp(name, "id")) {
		if (!pne_id_ok(v))
			return bad(p, "id: '%s' is not 1-64 characters of A-Z a-z 0-9 . _ : -%s",
				   v, "");
		strcpy(c->pne_id, v);
	} else if (!strcmp(name, "eu-key-file")) {
		if (parse_path(v, c->eu_key_file))
			return bad(p, "eu-key-file: '%s' is not an absolute path%s",
				   v, "");
	} else if (!strcmp(name, "gateway")) {
		if (parse_addr(v, &c->gateway))
			return bad(p, "gateway: '%s' is not ADDRESS:PORT or [ADDRESS]:PORT%s",
				   v, "");
		c->gateway_set = true;
	} else if (!strcmp(name, "pn-interface")) {
		return pn_interface(p, v, 1);
	} else {
		return bad(p, "unknown key '%s' in [pne]%s", name, "");
	}
	return 1;
}

static int key_tls(struct parse *p, const char *name, const char *v)
{
	struct cpnsd_config *c = p->cfg;
	char *dst = NULL;

	if (!strcmp(name, "server-name")) {
		if (!pne_id_ok(v))
			return bad(p, "server-name: '%s' is not 1-64 characters of A-Z a-z 0-9 . _ : -%s",
				   v, "");
		strcpy(c->server_name, v);
		return 1;
	}
	if (!strcmp(name, "certificate"))
		dst = c->cert;
	else if (!strcmp(name, "private-key"))
		dst = c->key;
	else if (!strcmp(name, "ca"))
		dst = c->ca;
	if (dst) {
		if (parse_path(v, dst))
			return bad(p, "%s: '%s' is not an absolute path", name, v);
		return 1;
	}
	return bad(p, "unknown key '%s' in [tls]%s", name, "");
}

static int key_server(struct parse *p, const char *name, const char *v)
{
	struct cpnsd_config *c = p->cfg;

	if (!strcmp(name, "listen")) {
		if (parse_addr(v, &c->server_listen))
			return bad(p, "listen: '%s' is not ADDRESS:PORT or [ADDRESS]:PORT%s",
				   v, "");
		c->server_listen_set = true;
		return 1;
	}
	if (!strcmp(name, "key-lifetime")) {
		unsigned long long n;

		/* The module's lifetime bound; a minute leaves time to rotate. */
		if (parse_uint(v, 31536000, &n) || n < 60)
			return bad(p, "key-lifetime: '%s' is not 60..31536000 seconds%s",
				   v, "");
		c->key_lifetime = n;
		return 1;
	}
	return bad(p, "unknown key '%s' in [server]%s", name, "");
}

static int key_limits(struct parse *p, const char *name, const char *v)
{
	unsigned long long n;
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		const struct limit *l = &limits[i];

		if (strcmp(name, l->name))
			continue;
		if (parse_uint(v, l->max, &n) || n < l->min) {
			char range[64];

			snprintf(range, sizeof(range), "%llu..%llu", l->min,
				 l->max);
			if (!p->why[0])
				snprintf(p->why, sizeof(p->why),
					 "%s: '%s' is not %s", name, v, range);
			return 0;
		}
		*(unsigned int *)((char *)p->cfg + l->off) = n;
		return 1;
	}
	return bad(p, "unknown key '%s' in [limits]%s", name, "");
}

static int key_broadcast(struct parse *p, const char *name, const char *v)
{
	struct cpnsd_config *c = p->cfg;
	unsigned long long n;

	if (!strcmp(name, "port")) {
		if (parse_uint(v, 65535, &n) || !n)
			return bad(p, "port: '%s' is not 1..65535%s", v, "");
		c->bcast_port = n;
	} else if (!strcmp(name, "group6")) {
		if (inet_pton(AF_INET6, v, &c->bcast_group6) != 1 ||
		    !IN6_IS_ADDR_MC_LINKLOCAL(&c->bcast_group6))
			return bad(p, "group6: '%s' is not a link-local multicast address (ff02::/16)%s",
				   v, "");
	} else if (!strcmp(name, "group4")) {
		if (inet_pton(AF_INET, v, &c->bcast_group4) != 1 ||
		    (ntohl(c->bcast_group4.s_addr) & 0xffffff00) != 0xe0000000)
			return bad(p, "group4: '%s' is not a link-local multicast address (224.0.0.0/24)%s",
				   v, "");
	} else if (!strcmp(name, "window")) {
		if (parse_uint(v, 86400, &n) || !n)
			return bad(p, "window: '%s' is not 1..86400 seconds%s", v,
				   "");
		c->bcast_window = n;
	} else {
		return bad(p, "unknown key '%s' in [broadcast]%s", name, "");
	}
	return 1;
}

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse *p = user;

	if (!strcmp(section, "cpnsd"))
		return key_cpnsd(p, name, value);
	if (!strcmp(section, "gateway"))
		return key_gateway(p, name, value);
	if (!strcmp(section, "pne"))
		return key_pne(p, name, value);
	if (!strcmp(section, "tls"))
		return key_tls(p, name, value);
	if (!strcmp(section, "server"))
		return key_server(p, name, value);
	if (!strcmp(section, "limits"))
		return key_limits(p, name, value);
	if (!strcmp(section, "broadcast"))
		return key_broadcast(p, name, value);
	if (!*section)
		return bad(p, "'%s' before any [section]%s", name, "");
	return bad(p, "unknown section [%s]%s", section, "");
}

static void defaults(struct cpnsd_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, "/var/lib/cpnsd");
	strcpy(c->control, CPNS_CTL_PATH);
	c->log_level = LOG_INFO_;
	c->height = 16;
	c->handshake_timeout = 10;
	c->idle_timeout = 300;
	c->keepalive = 60;
	c->max_sessions = 1024;
	c->rate = 10;
	c->burst = 20;
	c->retry_min = 1;
	c->retry_max = 300;
	/* RFC 4727's experimental link-local groups; port: cpnsd.conf(5). */
	c->bcast_port = CONFIG_BCAST_PORT;
	inet_pton(AF_INET6, "ff02::114", &c->bcast_group6);
	inet_pton(AF_INET, "224.0.0.254", &c->bcast_group4);
	c->bcast_window = 120;
	c->key_lifetime = 86400;
}

/* What a role needs, checked once the whole file is read. */
static const char *missing(const struct cpnsd_config *c)
{
	if (!c->role_set)
		return "[cpnsd] role is required";
	switch (c->role) {
	case CPNSD_GATEWAY:
		if (!c->gateway_id_set)
			return "[gateway] id is required for role gateway";
		if (!c->listen_set)
			return "[gateway] listen is required for role gateway";
		if (c->server_set && (!c->cert[0] || !c->key[0] || !c->ca[0]))
			return "[gateway] server needs [tls] certificate, private-key and ca";
		break;
	case CPNSD_PNE:
		if (!c->pne_id[0])
			return "[pne] id is required for role pne";
		if (!c->eu_key_file[0])
			return "[pne] eu-key-file is required for role pne";
		if (!c->gateway_set)
			return "[pne] gateway is required for role pne";
		break;
	case CPNSD_SERVER:
		if (!c->server_listen_set)
			return "[server] listen is required for role server";
		if (!c->cert[0] || !c->key[0] || !c->ca[0])
			return "role server needs [tls] certificate, private-key and ca";
		break;
	}
	if (c->retry_min > c->retry_max)
		return "[limits] retry-min is above retry-max";
	if (c->keepalive >= c->idle_timeout)
		return "[limits] keepalive must be below idle-timeout";
	return NULL;
}

int config_load(const char *path, struct cpnsd_config *cfg, char *err,
		size_t len)
{
	struct parse p = { .cfg = cfg };
	const char *why;
	int line;

	defaults(cfg);
	line = ini_parse(path, on_key, &p);
	if (line < 0) {
		snprintf(err, len, "%s: cannot read: %s", path,
			 line == -1 ? strerror(errno) : "out of memory");
		return -1;
	}
	if (line > 0) {
		snprintf(err, len, "%s:%d: %s", path, line,
			 p.why[0] ? p.why : "not 'key = value' or '[section]'");
		return -1;
	}
	why = missing(cfg);
	if (why) {
		snprintf(err, len, "%s: %s", path, why);
		return -1;
	}
	return 0;
}
