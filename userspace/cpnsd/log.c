// SPDX-License-Identifier: GPL-2.0
/*
 * Logging to stderr, which journald collects with the unit's identity:
 * a "<N>" syslog level prefix lets it keep the level without our own
 * syslog connection.  On a terminal (--foreground by hand) the prefix
 * gives way to a level word and a time.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpnsd.h"

static int log_level = LOG_INFO_;
static bool log_tty;

void log_init(int level, bool timestamps)
{
	log_level = level;
	log_tty = timestamps || isatty(STDERR_FILENO);
}

static const char *level_word(int level)
{
	switch (level) {
	case LOG_ERR_:
		return "error";
	case LOG_WARN_:
		return "warning";
	case LOG_INFO_:
		return "info";
	default:
		return "debug";
	}
}

void log_msg(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of a forked child never interleave. */
	if (log_tty) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		dprintf(STDERR_FILENO, "%s.%03ld %s: %s\n", when,
			ts.tv_nsec / 1000000, level_word(level), line);
	} else {
		dprintf(STDERR_FILENO, "<%d>%s\n", level, line);
	}
}

const char *role_name(enum cpnsd_role role)
{
	switch (role) {
	case CPNSD_SERVER:
		return "server";
	case CPNSD_GATEWAY:
		return "gateway";
	case CPNSD_PNE:
		return "pne";
	}
	return "?";
}
