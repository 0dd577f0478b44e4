// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsd.conf (userspace/cpnsd/config.c): figure b's keys, each accepted
 * value read as meant and each refused one named with its line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "kselftest_harness.h"

#include "config.h"

#define GW	"[cpnsd]\nrole = gateway\n[gateway]\nid = 7\nlisten = 0.0.0.0:4433\n"
#define PNE	"[cpnsd]\nrole = pne\n[pne]\nid = p1\neu-key-file = /k\n" \
		"gateway = 10.0.0.1:4433\n"
#define SRV	"[cpnsd]\nrole = server\n[server]\nlisten = 0.0.0.0:4434\n" \
		"[tls]\ncertificate = /c\nprivate-key = /k\nca = /ca\n"

static int load(const char *text, struct cpnsd_config *c, char *err,
		size_t len)
{
	char path[] = "/tmp/cpns-conf-XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -2;
	close(fd);
	ret = config_load(path, c, err, len);
	unlink(path);
	/* The file name varies: keep what follows it. */
	if (ret) {
		char *colon = strchr(err, ':');

		if (colon)
			memmove(err, colon + 1, strlen(colon));
	}
	return ret;
}

TEST(defaults)
{
	struct cpnsd_config c;
	char err[512], a[INET6_ADDRSTRLEN];

	ASSERT_EQ(0, load(GW, &c, err, sizeof(err)));
	EXPECT_EQ(0, c.n_pn_if);
	EXPECT_EQ(5333, c.bcast_port);
	EXPECT_EQ(120, c.bcast_window);
	EXPECT_EQ(86400, c.key_lifetime);
	inet_ntop(AF_INET6, &c.bcast_group6, a, sizeof(a));
	EXPECT_STREQ("ff02::114", a);
	inet_ntop(AF_INET, &c.bcast_group4, a, sizeof(a));
	EXPECT_STREQ("224.0.0.254", a);
	EXPECT_STREQ("", c.server_name);
}

TEST(accepted)
{
	struct cpnsd_config c;
	char err[512], a[INET6_ADDRSTRLEN];

	ASSERT_EQ(0, load(GW "pn-interface = pa1\npn-interface = br-lan\n"
			  "[broadcast]\nport = 6000\ngroup6 = ff02::1:2\n"
			  "group4 = 224.0.0.77\nwindow = 5\n"
			  "[tls]\nserver-name = cpns-server\n", &c, err,
			  sizeof(err)));
	ASSERT_EQ(2, c.n_pn_if);
	EXPECT_STREQ("pa1", c.pn_if[0]);
	EXPECT_STREQ("br-lan", c.pn_if[1]);
	EXPECT_EQ(6000, c.bcast_port);
	EXPECT_EQ(5, c.bcast_window);
	inet_ntop(AF_INET6, &c.bcast_group6, a, sizeof(a));
	EXPECT_STREQ("ff02::1:2", a);
	inet_ntop(AF_INET, &c.bcast_group4, a, sizeof(a));
	EXPECT_STREQ("224.0.0.77", a);
	EXPECT_STREQ("cpns-server", c.server_name);
	ASSERT_EQ(0, load(PNE "pn-interface = pn0\n", &c, err, sizeof(err)));
	EXPECT_EQ(1, c.n_pn_if);
	ASSERT_EQ(0, load(SRV "[server]\nkey-lifetime = 60\n", &c, err,
			  sizeof(err)));
	EXPECT_EQ(60, c.key_lifetime);
}

static const struct {
	const char *text, *err;
} bad[] = {
	{ GW "pn-interface = a/b\n",
	  "6: pn-interface: 'a/b' is not an interface name" },
	{ GW "pn-interface = averyveryverylongname\n",
	  "6: pn-interface: 'averyveryverylongname' is not an interface name" },
	{ GW "pn-interface = x\npn-interface = x\n",
	  "7: pn-interface: 'x' given twice" },
	{ PNE "pn-interface = a\npn-interface = b\n",
	  "8: pn-interface: more than 1" },
	{ GW "[broadcast]\nport = 0\n", "7: port: '0' is not 1..65535" },
	{ GW "[broadcast]\ngroup6 = ff05::1\n",
	  "7: group6: 'ff05::1' is not a link-local multicast address (ff02::/16)" },
	{ GW "[broadcast]\ngroup4 = 239.1.1.1\n",
	  "7: group4: '239.1.1.1' is not a link-local multicast address (224.0.0.0/24)" },
	{ GW "[broadcast]\nwindow = 0\n", "7: window: '0' is not 1..86400 seconds" },
	{ GW "[broadcast]\nhops = 2\n", "7: unknown key 'hops' in [broadcast]" },
	{ SRV "[server]\nkey-lifetime = 59\n",
	  "10: key-lifetime: '59' is not 60..31536000 seconds" },
	{ GW "[tls]\nserver-name = a b\n",
	  "7: server-name: 'a b' is not 1-64 characters of A-Z a-z 0-9 . _ : -" },
};

TEST(refused)
{
	struct cpnsd_config c;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		EXPECT_EQ(-1, load(bad[i].text, &c, err, sizeof(err)));
		EXPECT_STREQ(bad[i].err, err)
			TH_LOG("case %zu", i);
	}
}

TEST_HARNESS_MAIN
