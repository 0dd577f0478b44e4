// SPDX-License-Identifier: GPL-2.0
/* Placeholder until the server's store lands: every call fails. */
#include <errno.h>

#include "srvstore.h"

int srvstore_open(const char *path, struct srvstore **st, char *err,
		  size_t len)
{
	(void)path; (void)err; (void)len;
	*st = NULL;
	return -ENOSYS;
}

void srvstore_close(struct srvstore *st) { (void)st; }
const char *srvstore_errmsg(const struct srvstore *st) { (void)st; return "not implemented"; }
int srvstore_member_add(struct srvstore *st, uint32_t group, const char *pne_id, const char *gateway, char *err, size_t len) { (void)st; (void)group; (void)pne_id; (void)gateway; (void)err; (void)len; return -ENOSYS; }
int srvstore_member_del(struct srvstore *st, uint32_t group, const char *pne_id, const char *gateway, char *err, size_t len) { (void)st; (void)group; (void)pne_id; (void)gateway; (void)err; (void)len; return -ENOSYS; }
int srvstore_member_foreach(struct srvstore *st, uint32_t group, const char *gateway, int (*fn)(const struct srv_member *m, void *arg), void *arg) { (void)st; (void)group; (void)gateway; (void)fn; (void)arg; return -ENOSYS; }
int srvstore_group_gateways(struct srvstore *st, uint32_t group, int (*fn)(const char *gateway, void *arg), void *arg) { (void)st; (void)group; (void)fn; (void)arg; return -ENOSYS; }
int srvstore_gk_put(struct srvstore *st, const struct srv_gk *gk, char *err, size_t len) { (void)st; (void)gk; (void)err; (void)len; return -ENOSYS; }
int srvstore_gk_current(struct srvstore *st, uint32_t group, struct srv_gk *gk) { (void)st; (void)group; (void)gk; return -ENOSYS; }
int srvstore_gk_last_epoch(struct srvstore *st, uint32_t group, uint64_t *epoch) { (void)st; (void)group; (void)epoch; return -ENOSYS; }
int srvstore_gk_foreach(struct srvstore *st, int (*fn)(const struct srv_gk *gk, void *arg), void *arg) { (void)st; (void)fn; (void)arg; return -ENOSYS; }
int srvstore_ack_put(struct srvstore *st, uint32_t group, uint64_t epoch, const char *gateway, const char *pne_id, uint16_t status, uint64_t at, char *err, size_t len) { (void)st; (void)group; (void)epoch; (void)gateway; (void)pne_id; (void)status; (void)at; (void)err; (void)len; return -ENOSYS; }
int srvstore_delivery_foreach(struct srvstore *st, uint32_t group, uint64_t epoch, int (*fn)(const struct srv_delivery *dl, void *arg), void *arg) { (void)st; (void)group; (void)epoch; (void)fn; (void)arg; return -ENOSYS; }
