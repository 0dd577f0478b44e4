// SPDX-License-Identifier: GPL-2.0
/*
 * The cpns family from C with raw libmnl: it resolves through the
 * controller, answers INFO_GET, and strictly refuses what it does not
 * take (unknown attributes, dump requests, unknown commands) with errors
 * a client can act on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#include "kselftest_harness.h"

struct client {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t seq;
	char buf[32768];
	char extack[256];
};

static int ctrl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;
	uint16_t *id = data;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

/* Send and collect the reply; returns 0 or -errno, extack saved. */
static int xfer(struct client *c, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data)
{
	int n, ret;

	c->extack[0] = '\0';
	if (mnl_socket_sendto(c->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(c->sock, c->buf, sizeof(c->buf));
		if (n < 0)
			return -errno;
		nlh = (struct nlmsghdr *)c->buf;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			struct nlattr *a;

			if (e->error && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
				mnl_attr_for_each(a, nlh, sizeof(*e))
					if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
						snprintf(c->extack, sizeof(c->extack), "%s",
							 mnl_attr_get_str(a));
			}
			return e->error;
		}
		ret = mnl_cb_run(c->buf, n, 0, 0, cb, data);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -errno : 0;
	}
}

static struct nlmsghdr *request(struct client *c, uint16_t type, uint8_t cmd,
				uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++c->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static int open_client(struct client *c)
{
	struct nlmsghdr *nlh;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->seq = time(NULL);
	c->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!c->sock)
		return -errno;
	mnl_socket_setsockopt(c->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(c->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(c->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	nlh = request(c, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, CPNS_FAMILY_NAME);
	return xfer(c, nlh, ctrl_cb, &c->family);
}

FIXTURE(cpns) {
	struct client c;
};

FIXTURE_SETUP(cpns)
{
	ASSERT_EQ(0, system("modprobe cpns"));
	ASSERT_EQ(0, open_client(&self->c));
	ASSERT_NE(0, self->c.family);
}

FIXTURE_TEARDOWN(cpns)
{
	mnl_socket_close(self->c.sock);
}

struct info {
	char version[32];
	uint32_t family_version, max_height, schemes, ciphers;
	uint64_t cookie;
};

static int info_cb(const struct nlmsghdr *nlh, void *data)
{
	struct info *i = data;
	struct nlattr *a, *e;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CPNS_A_INFO_VERSION:
			snprintf(i->version, sizeof(i->version), "%s",
				 mnl_attr_get_str(a));
			break;
		case CPNS_A_INFO_FAMILY_VERSION:
			i->family_version = mnl_attr_get_u32(a);
			break;
		case CPNS_A_INFO_MAX_TREE_HEIGHT:
			i->max_height = mnl_attr_get_u32(a);
			break;
		case CPNS_A_INFO_SCHEMES:
			mnl_attr_for_each_nested(e, a)
				i->schemes |= 1u << mnl_attr_get_u32(e);
			break;
		case CPNS_A_INFO_CIPHERS:
			mnl_attr_for_each_nested(e, a)
				i->ciphers |= 1u << mnl_attr_get_u32(e);
			break;
		case CPNS_A_INFO_NETNS_COOKIE:
			i->cookie = mnl_attr_get_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

TEST_F(cpns, info_get)
{
	struct info i = { 0 };
	struct nlmsghdr *nlh;

	nlh = request(&self->c, self->c.family, CPNS_CMD_INFO_GET, 0);
	ASSERT_EQ(0, xfer(&self->c, nlh, info_cb, &i));
	EXPECT_STREQ("0.1.0", i.version);
	EXPECT_EQ(CPNS_FAMILY_VERSION, i.family_version);
	EXPECT_EQ(CPNS_TREE_HEIGHT_MAX, i.max_height);
	EXPECT_EQ(1u << CPNS_SCHEME_CS, i.schemes);
	EXPECT_EQ(1u << CPNS_CIPHER_AES256_GCM, i.ciphers);
	EXPECT_NE(0, i.cookie);
}

TEST_F(cpns, info_get_refuses_attributes)
{
	struct nlmsghdr *nlh;

	nlh = request(&self->c, self->c.family, CPNS_CMD_INFO_GET, 0);
	mnl_attr_put_u32(nlh, CPNS_A_INFO_MAX_TREE_HEIGHT, 3);
	EXPECT_EQ(-EINVAL, xfer(&self->c, nlh, NULL, NULL));
	EXPECT_STRNE("", self->c.extack);
	TH_LOG("extack: %s", self->c.extack);
}

TEST_F(cpns, info_get_refuses_dump)
{
	struct nlmsghdr *nlh;

	nlh = request(&self->c, self->c.family, CPNS_CMD_INFO_GET, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, xfer(&self->c, nlh, NULL, NULL));
}

TEST_F(cpns, unknown_command)
{
	struct nlmsghdr *nlh;

	nlh = request(&self->c, self->c.family, CPNS_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, xfer(&self->c, nlh, NULL, NULL));
}

TEST_F(cpns, reserved_header_bits)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = request(&self->c, self->c.family, CPNS_CMD_INFO_GET, 0);
	g = mnl_nlmsg_get_payload(nlh);
	g->reserved = 1;
	EXPECT_EQ(-EINVAL, xfer(&self->c, nlh, NULL, NULL));
	EXPECT_STREQ("genlmsghdr.reserved field is not 0", self->c.extack);
}

TEST_HARNESS_MAIN
