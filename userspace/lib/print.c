// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output from one sequence of calls.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "print.h"

#define MAX_DEPTH 16

static struct {
	FILE *out;
	bool json;
	bool pretty;
	int depth;
	bool first[MAX_DEPTH];	/* no member printed yet at this depth */
	bool overflow;
} p;

void cpns_print_start(FILE *out, bool json, bool pretty)
{
	memset(&p, 0, sizeof(p));
	p.out = out;
	p.json = json;
	p.pretty = pretty;
	p.first[0] = true;
}

bool cpns_print_is_json(void)
{
	return p.json;
}

/**
 * cpns_print_end() - finish the output
 *
 * Return: 0, or -1 if the nesting was unbalanced or writing failed.
 */
int cpns_print_end(void)
{
	if (fflush(p.out) || ferror(p.out))
		return -1;
	return p.depth || p.overflow ? -1 : 0;
}

static void indent(void)
{
	int i;

	if (!p.pretty)
		return;
	fputc('\n', p.out);
	for (i = 0; i < p.depth; i++)
		fputs("    ", p.out);
}

static void json_string(const char *s)
{
	const unsigned char *c;

	fputc('"', p.out);
	for (c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", p.out);
			break;
		case '\\':
			fputs("\\\\", p.out);
			break;
		case '\n':
			fputs("\\n", p.out);
			break;
		case '\t':
			fputs("\\t", p.out);
			break;
		default:
			if (*c < 0x20)
				fprintf(p.out, "\\u%04x", *c);
			else
				fputc(*c, p.out);
		}
	}
	fputc('"', p.out);
}

/*
 * Separator and key before a member of the current container.  Top-level
 * values are separate documents, one per line (as ip -b -j prints).
 */
static void member(const char *key)
{
	if (p.depth && !p.first[p.depth])
		fputc(',', p.out);
	p.first[p.depth] = false;
	if (p.depth)
		indent();
	if (key) {
		json_string(key);
		fputs(p.pretty ? ": " : ":", p.out);
	}
}

static void open_container(const char *key, char c)
{
	member(key);
	fputc(c, p.out);
	if (p.depth + 1 >= MAX_DEPTH) {
		p.overflow = true;
		return;
	}
	p.first[++p.depth] = true;
}

static void close_container(char c)
{
	bool empty = p.first[p.depth];

	if (p.depth == 0) {
		p.overflow = true;
		return;
	}
	p.depth--;
	if (!empty)
		indent();
	fputc(c, p.out);
	if (!p.depth)
		fputc('\n', p.out);
}

void cpns_print_open_object(const char *key)
{
	if (p.json)
		open_container(key, '{');
}

void cpns_print_close_object(void)
{
	if (p.json)
		close_container('}');
}

void cpns_print_open_array(const char *key, const char *fmt)
{
	if (p.json)
		open_container(key, '[');
	else if (fmt)
		fputs(fmt, p.out);
}

void cpns_print_close_array(const char *fmt)
{
	if (p.json)
		close_container(']');
	else if (fmt)
		fputs(fmt, p.out);
}

void cpns_print_string(const char *key, const char *fmt, const char *value)
{
	if (p.json) {
		member(key);
		json_string(value);
	} else if (fmt) {
		fprintf(p.out, fmt, value);
	}
}

void cpns_print_uint(const char *key, const char *fmt, uint64_t value)
{
	if (p.json) {
		member(key);
		fprintf(p.out, "%" PRIu64, value);
	} else if (fmt) {
		fprintf(p.out, fmt, value);
	}
}

void cpns_print_bool(const char *key, const char *fmt, bool value)
{
	if (p.json) {
		member(key);
		fputs(value ? "true" : "false", p.out);
	} else if (fmt) {
		fprintf(p.out, fmt, value ? "yes" : "no");
	}
}

void cpns_print_usec(const char *key, const char *fmt, uint64_t usec)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64 ".%06" PRIu64, usec / 1000000,
		 usec % 1000000);
	if (p.json) {
		member(key);
		fputs(s, p.out);
	} else if (fmt) {
		fprintf(p.out, fmt, s);
	}
}

void cpns_print_text(const char *text)
{
	if (!p.json)
		fputs(text, p.out);
}
