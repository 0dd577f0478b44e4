// SPDX-License-Identifier: GPL-2.0
/*
 * The text/JSON print path: one call sequence gives both forms, JSON is
 * well-formed (escaping, nesting, separators) and imbalance is reported.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "print.h"

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_start(struct capture *c, bool json, bool pretty)
{
	c->buf = NULL;
	c->f = open_memstream(&c->buf, &c->len);
	cpns_print_start(c->f, json, pretty);
}

static int capture_end(struct capture *c)
{
	int ret = cpns_print_end();

	fclose(c->f);
	return ret;
}

/* The sequence cpnsctl info uses. */
static void sample(void)
{
	cpns_print_open_object(NULL);
	cpns_print_string("version", "version %s\n", "0.1.0");
	cpns_print_uint("height", "height %lu\n", 20);
	cpns_print_open_array("schemes", "schemes ");
	cpns_print_string(NULL, "%s", "a");
	cpns_print_text(" ");
	cpns_print_string(NULL, "%s", "b");
	cpns_print_close_array("\n");
	cpns_print_bool("ok", "ok %s\n", true);
	cpns_print_close_object();
}

TEST(text_form)
{
	struct capture c;

	capture_start(&c, false, false);
	sample();
	ASSERT_EQ(0, capture_end(&c));
	EXPECT_STREQ("version 0.1.0\nheight 20\nschemes a b\nok yes\n", c.buf);
	free(c.buf);
}

TEST(json_form)
{
	struct capture c;

	capture_start(&c, true, false);
	sample();
	ASSERT_EQ(0, capture_end(&c));
	EXPECT_STREQ("{\"version\":\"0.1.0\",\"height\":20,\"schemes\":[\"a\",\"b\"],\"ok\":true}\n",
		     c.buf);
	free(c.buf);
}

TEST(json_pretty)
{
	struct capture c;

	capture_start(&c, true, true);
	cpns_print_open_object(NULL);
	cpns_print_uint("a", NULL, 1);
	cpns_print_open_array("e", NULL);
	cpns_print_close_array(NULL);
	cpns_print_close_object();
	ASSERT_EQ(0, capture_end(&c));
	EXPECT_STREQ("{\n    \"a\": 1,\n    \"e\": []\n}\n", c.buf);
	free(c.buf);
}

TEST(json_escapes)
{
	struct capture c;

	capture_start(&c, true, false);
	cpns_print_open_object(NULL);
	cpns_print_string("k\"", NULL, "q\"b\\n\nt\t\x01");
	cpns_print_close_object();
	ASSERT_EQ(0, capture_end(&c));
	EXPECT_STREQ("{\"k\\\"\":\"q\\\"b\\\\n\\nt\\t\\u0001\"}\n", c.buf);
	free(c.buf);
}

/* Event timestamps: a number in JSON, exact to the microsecond. */
TEST(usec_as_seconds)
{
	struct capture c;

	capture_start(&c, true, false);
	cpns_print_open_object(NULL);
	cpns_print_usec("t", NULL, 1764409681000042ull);
	cpns_print_usec("z", NULL, 0);
	cpns_print_close_object();
	ASSERT_EQ(0, capture_end(&c));
	EXPECT_STREQ("{\"t\":1764409681.000042,\"z\":0.000000}\n", c.buf);
	free(c.buf);

	capture_start(&c, false, false);
	cpns_print_usec("t", "[%s]", 1500000);
	ASSERT_EQ(0, capture_end(&c));
	EXPECT_STREQ("[1.500000]", c.buf);
	free(c.buf);
}

TEST(unbalanced_is_an_error)
{
	struct capture c;

	capture_start(&c, true, false);
	cpns_print_open_object(NULL);
	EXPECT_EQ(-1, capture_end(&c));
	free(c.buf);

	capture_start(&c, true, false);
	cpns_print_close_object();
	EXPECT_EQ(-1, capture_end(&c));
	free(c.buf);
}

TEST_HARNESS_MAIN
