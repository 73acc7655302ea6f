/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmig-stat: the one place that speaks kvmmig's uapi.  Everything else in
 * the tool works on the plain structures below, so a change of the uapi
 * (field names, sizes) is adapted here alone.
 */
#ifndef KVMMIG_STAT_CLIENT_H
#define KVMMIG_STAT_CLIENT_H

#include <stdint.h>

#define BIT_ULL(n)	(1ULL << (n))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define KVS_NR_LEVELS	4		/* 0 cold ... 3 hot */
#define KVS_NO_SLOT	0xff		/* level byte: no memslot there */

struct kvs_slot {
	uint64_t base_gfn;
	uint64_t npages;
	int internal;			/* KVM-private slot, not guest RAM */
};

struct kvs_dirty {
	const char *source;		/* "none", "ring", "bitmap", "reported" */
	uint64_t pages_per_sec;
	uint64_t dirty_pages;
	uint64_t window_ns;
};

struct kvs_history {
	uint64_t migrations;
	const char *last_outcome;	/* "none", "converged", "failed", "cancelled" */
	uint64_t last_rounds;
	uint64_t last_dirty_rate;	/* pages/s */
	uint64_t last_send_rate;	/* pages/s */
	uint32_t last_throttle_pct;
	uint32_t max_throttle_pct;
	uint64_t last_downtime_ns;
};

/* Each returns 0 or -errno. */
int kvs_open_dev(void);			/* fd of /dev/kvmmig, or -errno */
int kvs_attach_read_only(int dev, int vm_fd, uint32_t *session_id, int *read_only);
#define KVS_ACCESS_READ	1
#define KVS_ACCESS_FULL	2
int kvs_session_access(int session);	/* KVS_ACCESS_*, or -errno */
int kvs_get_memslots(int session, struct kvs_slot **slots, uint32_t *nr);
int kvs_scan_now(int session);		/* -EBUSY: another session scans */
int kvs_get_temperature(int session, uint64_t gfn, uint64_t npages, uint8_t *levels,
			uint64_t hist[KVS_NR_LEVELS], uint64_t *passes);
int kvs_get_dirty_rate(int session, int reset, struct kvs_dirty *d);
int kvs_get_history(int session, struct kvs_history *h);
int kvs_get_stats_fd(int session);	/* fd, or -errno */

/* KVM binary stats format (KVM_GET_STATS_FD's, which kvmmig's follows). */
struct kvs_stats;
struct kvs_stats *kvs_stats_open(int stats_fd);	/* takes the fd */
/* Value of counter @name; 0 and *found = 0 when the fd has no such counter. */
uint64_t kvs_stats_get(struct kvs_stats *st, const char *name, int *found);
int kvs_stats_refresh(struct kvs_stats *st);	/* one snapshot of the data */
void kvs_stats_close(struct kvs_stats *st);

#endif /* KVMMIG_STAT_CLIENT_H */
