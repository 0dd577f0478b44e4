/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print path for text and JSON output, after iproute2's
 * print_*(PRINT_ANY, ...): every value is printed once, with the JSON key
 * and the text format side by side, so the two forms cannot drift.
 */
#ifndef CPNS_PRINT_H
#define CPNS_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void cpns_print_start(FILE *out, bool json, bool pretty);
int cpns_print_end(void);
bool cpns_print_is_json(void);

/* @key is the JSON member name (NULL inside arrays); @fmt the text form
 * (NULL prints nothing in text mode).
 */
void cpns_print_open_object(const char *key);
void cpns_print_close_object(void);
void cpns_print_open_array(const char *key, const char *fmt);
void cpns_print_close_array(const char *fmt);
void cpns_print_string(const char *key, const char *fmt, const char *value);
void cpns_print_uint(const char *key, const char *fmt, uint64_t value);
void cpns_print_bool(const char *key, const char *fmt, bool value);
/* Microseconds as seconds with six decimals: a JSON number, or "%s". */
void cpns_print_usec(const char *key, const char *fmt, uint64_t usec);
/* Text only: a line break or a literal. */
void cpns_print_text(const char *text);

#endif /* CPNS_PRINT_H */
