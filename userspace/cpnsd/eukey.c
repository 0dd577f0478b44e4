// SPDX-License-Identifier: GPL-2.0
/*
 * EU-Key files: the secret a PNE shares with its gateway since its EU-Key
 * assignment, used as the TLS 1.3 external PSK of their sessions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cpnsd.h"

int eukey_load(const char *path, uint8_t key[EU_KEY_LEN], char *err,
	       size_t len)
{
	uint8_t buf[EU_KEY_LEN + 1];
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, len, "EU-Key file %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, len, "EU-Key file %s: not a regular file", path);
		ret = -EINVAL;
	} else if (st.st_uid != geteuid()) {
		snprintf(err, len, "EU-Key file %s: owned by uid %u, not by us",
			 path, (unsigned int)st.st_uid);
		ret = -EPERM;
	} else if (st.st_mode & 077) {
		snprintf(err, len, "EU-Key file %s: mode %03o lets others read it (chmod 600)",
			 path, (unsigned int)(st.st_mode & 0777));
		ret = -EPERM;
	} else {
		n = read(fd, buf, sizeof(buf));
		if (n != EU_KEY_LEN) {
			snprintf(err, len, "EU-Key file %s: %zd bytes, not %d",
				 path, n < 0 ? (ssize_t)0 : n, EU_KEY_LEN);
			ret = -EINVAL;
		} else {
			memcpy(key, buf, EU_KEY_LEN);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return ret;
}
