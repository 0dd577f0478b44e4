/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test vectors of the key hierarchy (selftests/vectors/, format in its
 * README): a deterministic generator, shared by the cpns-vectors tool and
 * the test that checks the committed files, and a reader for the
 * "key = value" records.
 */
#ifndef CPNS_KEYVEC_H
#define CPNS_KEYVEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The vector files, NULL-terminated. */
extern const char *const cpns_vec_files[];

/*
 * Render vector file @name into a malloc'ed buffer.  Installs and then
 * removes the test randomness hook: not for use in the daemon.
 */
int cpns_vec_render(const char *name, char **out, size_t *len);

/* fastpath.vec into @f (wirevec.c). */
int cpns_vec_fastpath(FILE *f);

#define CPNS_VEC_FIELDS	32

/* One record: the lines between blank lines, comments dropped. */
struct cpns_vec_rec {
	int n;
	unsigned int line;	/* of the first field, for messages */
	char *key[CPNS_VEC_FIELDS];
	char *val[CPNS_VEC_FIELDS];
};

/* Next record of @f: 1 when one was read, 0 at the end, -1 on error. */
int cpns_vec_next(FILE *f, unsigned int *lineno, struct cpns_vec_rec *r);
void cpns_vec_rec_free(struct cpns_vec_rec *r);
/* The value of @key or NULL. */
const char *cpns_vec_get(const struct cpns_vec_rec *r, const char *key);
/* Decode lowercase or uppercase hex into a malloc'ed buffer. */
int cpns_vec_hex(const char *s, uint8_t **buf, size_t *len);

#endif /* CPNS_KEYVEC_H */
