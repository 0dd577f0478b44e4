// SPDX-License-Identifier: GPL-2.0
/*
 * cpns-vectors: regenerate the key hierarchy test vectors.
 *
 *   cpns-vectors [DIR]          write every vector file into DIR
 *                               (default selftests/vectors)
 *   cpns-vectors --check [DIR]  compare instead of writing; exit 1 on a
 *                               difference
 *   cpns-vectors --cat NAME     print one file on stdout
 *
 * The output is deterministic: the same bytes on every run and machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyerr.h"
#include "keyvec.h"

static int usage(void)
{
	fprintf(stderr, "usage: cpns-vectors [--check] [DIR]\n"
			"       cpns-vectors --cat NAME\n");
	return 2;
}

static int slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*buf = NULL;
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -1;
	}
	*buf = malloc(n + 1);
	if (!*buf || fread(*buf, 1, n, f) != (size_t)n) {
		free(*buf);
		*buf = NULL;
		fclose(f);
		return -1;
	}
	fclose(f);
	*len = n;
	return 0;
}

static int one(const char *dir, const char *name, int check)
{
	char path[4096], *buf, *old;
	size_t len, olen;
	FILE *f;
	int ret;

	ret = cpns_vec_render(name, &buf, &len);
	if (ret) {
		fprintf(stderr, "cpns-vectors: %s: %s\n", name,
			cpns_kerr_str(ret));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (check) {
		ret = slurp(path, &old, &olen);
		if (ret || olen != len || memcmp(old, buf, len)) {
			fprintf(stderr, "cpns-vectors: %s differs\n", path);
			ret = 1;
		}
		free(old);
	} else {
		f = fopen(path, "wb");
		ret = !f || fwrite(buf, 1, len, f) != len;
		if (f && fclose(f))
			ret = 1;
		if (ret)
			perror(path);
		else
			printf("%s: %zu bytes\n", path, len);
	}
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	const char *dir = "selftests/vectors";
	int check = 0, ret = 0, i;

	if (argc > 1 && !strcmp(argv[1], "--cat")) {
		char *buf;
		size_t len;

		if (argc != 3)
			return usage();
		if (cpns_vec_render(argv[2], &buf, &len))
			return 1;
		fwrite(buf, 1, len, stdout);
		free(buf);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--check")) {
		check = 1;
		argc--;
		argv++;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return usage();
	if (argc == 2)
		dir = argv[1];
	for (i = 0; cpns_vec_files[i]; i++)
		ret |= one(dir, cpns_vec_files[i], check);
	return ret;
}
