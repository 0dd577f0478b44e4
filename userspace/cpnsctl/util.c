// SPDX-License-Identifier: GPL-2.0
/*
 * cpnsctl: argument parsing, secret files and shared output helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/cpns.h>

#include <openssl/crypto.h>

#include "cpnsctl.h"
#include "print.h"

/* Why the last reply was refused, for the command's error message. */
static char reply_error[256];

/**
 * parse_reply() - check a reply or event against its policy, index it
 * @nlh: the message
 * @pol: its attribute set's policy
 * @tb: out, @pol->max + 1 entries
 *
 * Nothing of a malformed message is printed: the command fails with
 * EBADMSG and take_reply_error() says why.
 *
 * Return: 0, or -1 with errno EBADMSG.
 */
int parse_reply(const struct nlmsghdr *nlh,
		const struct cpns_nl_policy_set *pol, const struct nlattr **tb)
{
	if (!cpns_nl_parse(nlh, pol, tb, reply_error, sizeof(reply_error)))
		return 0;
	errno = EBADMSG;
	return -1;
}

/* The reason of the last refused reply, once; NULL if none. */
const char *take_reply_error(void)
{
	static char last[sizeof(reply_error)];

	if (!reply_error[0])
		return NULL;
	memcpy(last, reply_error, sizeof(last));
	reply_error[0] = '\0';
	return last;
}

const char *scheme_name(uint32_t scheme)
{
	switch (scheme) {
	case CPNS_SCHEME_CS:
		return "complete-subtree";
	default:
		return "unknown";
	}
}

int arg_u32(const char *kw, const char *s, uint32_t max, uint32_t *v)
{
	uint64_t x;

	if (arg_u64(kw, s, &x))
		return -1;
	if (x > max) {
		cpnsctl_usage_error("%s: \"%s\" is larger than %" PRIu32, kw, s,
				    max);
		return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

int arg_u64(const char *kw, const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	/* Digits (or 0x and hex digits) only: strtoull would take " -1". */
	if (!s || !isxdigit((unsigned char)*s)) {
		cpnsctl_usage_error("%s: \"%s\" is not a number", kw,
				    s ? s : "");
		return -1;
	}
	x = strtoull(s, &end, 0);
	if (*end || errno) {
		cpnsctl_usage_error("%s: \"%s\" is not a number", kw, s);
		return -1;
	}
	*v = x;
	return 0;
}

/*
 * A PNE id or a gateway name, as cpnsd takes them (msg.h's ids,
 * certificate CNs): 1..64 of [A-Za-z0-9._:-]; @len bytes of @s.
 */
bool cpnsctl_name_ok(const char *s, size_t len)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789._:-";
	size_t i;

	if (!len || len > CPNS_CTL_PNE_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!s[i] || !strchr(ok, s[i]))
			return false;
	return true;
}

/**
 * group_arg() - a Service Group: 1 to 4294967295
 * @what: the command, for messages
 * @s: the argument
 * @group: out
 *
 * Return: 0, or -1 after a usage error.
 */
int group_arg(const char *what, const char *s, uint32_t *group)
{
	char kw[64];

	snprintf(kw, sizeof(kw), "%s: GROUP", what);
	if (arg_u32(kw, s, UINT32_MAX, group))
		return -1;
	if (*group)
		return 0;
	cpnsctl_usage_error("%s: GROUP \"%s\": Service Groups are 1 to 4294967295",
			    what, s);
	return -1;
}

/* A keyword needs a value after it. */
int arg_need(const char *obj, const char *kw, int argc)
{
	if (argc >= 2)
		return 0;
	cpnsctl_usage_error("%s: \"%s\" needs a value", obj, kw);
	return -1;
}

/**
 * read_secret() - read key material from a file or stdin ("-")
 * @kw: the argument, for messages
 * @path: the file, or "-"
 * @buf: out
 * @size: its size; a longer file is refused
 * @len: out, bytes read
 *
 * Key bytes never come from argv, where every local user can read them.
 * A key file others can read gets a warning: it should be 0600.
 *
 * Return: 0, or -1 after printing why.
 */
int read_secret(const char *kw, const char *path, uint8_t *buf,
		size_t size, size_t *len)
{
	bool is_stdin = !strcmp(path, "-");
	struct stat st;
	size_t n = 0;
	ssize_t r = 0;
	int fd;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cpnsctl_err("%s %s: %s", kw, path, strerror(errno));
		return -1;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)))
		fprintf(stderr,
			"cpnsctl: warning: %s %s is accessible by group or others (chmod 600)\n",
			kw, path);
	for (;;) {
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == size) {
			uint8_t extra;

			if (read(fd, &extra, 1) > 0) {
				r = -1;
				errno = EFBIG;
			}
			break;
		}
	}
	if (!is_stdin)
		close(fd);
	if (r < 0) {
		OPENSSL_cleanse(buf, size);
		cpnsctl_err("%s %s: %s", kw, path,
			    errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	*len = n;
	return 0;
}

void print_fingerprint(const char *key, const char *fmt, const void *fp,
		       size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = fp;
	char s[2 * 32 + 1];
	size_t i;

	if (len > 32)
		len = 32;
	for (i = 0; i < len; i++) {
		s[2 * i] = hex[b[i] >> 4];
		s[2 * i + 1] = hex[b[i] & 15];
	}
	s[2 * len] = '\0';
	cpns_print_string(key, fmt, s);
}

/* Unix seconds as UTC ISO 8601 in text, a number in JSON. */
void print_time(const char *key, const char *fmt, uint64_t t)
{
	char s[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (cpns_print_is_json()) {
		cpns_print_uint(key, NULL, t);
		return;
	}
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(s, sizeof(s), "%" PRIu64, t);
	cpns_print_string(NULL, fmt, s);
}

/* Seconds as "3d4h", "2h5m", "4m10s" or "9s"; a number in JSON. */
void print_duration(const char *key, const char *fmt, uint64_t secs)
{
	char s[48];

	if (cpns_print_is_json()) {
		cpns_print_uint(key, NULL, secs);
		return;
	}
	if (secs >= 86400)
		snprintf(s, sizeof(s), "%" PRIu64 "d%" PRIu64 "h", secs / 86400,
			 secs % 86400 / 3600);
	else if (secs >= 3600)
		snprintf(s, sizeof(s), "%" PRIu64 "h%" PRIu64 "m", secs / 3600,
			 secs % 3600 / 60);
	else if (secs >= 60)
		snprintf(s, sizeof(s), "%" PRIu64 "m%" PRIu64 "s", secs / 60,
			 secs % 60);
	else
		snprintf(s, sizeof(s), "%" PRIu64 "s", secs);
	cpns_print_string(NULL, fmt, s);
}

/* Seconds left until @t: "59m12s", or "expired". */
void print_remaining(const char *key, const char *fmt, uint64_t t)
{
	time_t now = time(NULL);
	uint64_t left = t > (uint64_t)now ? t - (uint64_t)now : 0;

	if (!left && !cpns_print_is_json())
		cpns_print_string(NULL, fmt, "expired");
	else
		print_duration(key, fmt, left);
}
