/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Free-page hints, pure logic: a sparse per-page map with two
 * bits per guest frame, "free" (hinted free) and "fresh" (hinted after the
 * last mark).  Nothing here knows about KVM or takes a lock: the caller
 * (hint/free_hints.c) serialises every call on a map.  The calls may
 * sleep (they reschedule in their loops).
 *
 * The map is an xarray of chunks of KVMMIG_HINT_CHUNK_PAGES frames, each
 * chunk present only while it holds a hinted frame, so hint memory follows
 * the hinted memory, not the guest's size (two bits per hinted frame's
 * chunk: 8 KiB per 128 MiB).
 */
#ifndef _KVMMIG_HINTS_H
#define _KVMMIG_HINTS_H

#include <linux/bits.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/kvmmig.h>
#include <linux/xarray.h>

#define KVMMIG_HINT_CHUNK_SHIFT		15
#define KVMMIG_HINT_CHUNK_PAGES		BIT(KVMMIG_HINT_CHUNK_SHIFT)

/* kvmmig_hint_map_test() result bits */
#define KVMMIG_HINT_FREE		BIT(0)	/* hinted free */
#define KVMMIG_HINT_FRESH		BIT(1)	/* hinted after the last mark */

struct kvmmig_hint_chunk;

/**
 * struct kvmmig_hint_map - hinted frames of one VM
 * @chunks: chunk index (gfn >> KVMMIG_HINT_CHUNK_SHIFT) -> chunk
 * @nr_free: frames hinted free
 * @cached: @last_idx and @last are valid (a one-entry lookup cache)
 * @last_idx: a chunk index
 * @last: the chunk at @last_idx, NULL when there is none
 */
struct kvmmig_hint_map {
	struct xarray chunks;
	u64 nr_free;
	bool cached;
	unsigned long last_idx;
	struct kvmmig_hint_chunk *last;
};

void kvmmig_hint_map_init(struct kvmmig_hint_map *m);
void kvmmig_hint_map_destroy(struct kvmmig_hint_map *m);
int kvmmig_hint_map_add(struct kvmmig_hint_map *m,
			const struct kvmmig_gfn_range *r, u32 nr);
void kvmmig_hint_map_remove(struct kvmmig_hint_map *m, u64 gfn, u64 npages);
void kvmmig_hint_map_mark(struct kvmmig_hint_map *m);
void kvmmig_hint_map_clear(struct kvmmig_hint_map *m);
unsigned int kvmmig_hint_map_test(struct kvmmig_hint_map *m, u64 gfn);

/* Argument checks beyond the dispatcher's (size, flags) */
int kvmmig_check_free_hints(const struct kvmmig_free_hints *a);
int kvmmig_check_gfn_range(const struct kvmmig_gfn_range *r);

/* Frames hinted free. */
static inline u64 kvmmig_hint_map_count(const struct kvmmig_hint_map *m)
{
	return m->nr_free;
}

/**
 * struct kvmmig_hints - a session's free-page hints (hint/free_hints.c)
 * @lock: serialises every use of @map and @marks, taken killable by both
 *	ioctls; KVMMIG_GET_SEND_ORDER holds it for its whole call, so the
 *	hints do not change under it
 * @map: the hinted frames
 * @marks: KVMMIG_FREE_HINT_MARK calls since attach
 */
struct kvmmig_hints {
	struct mutex lock;	/* see above */
	struct kvmmig_hint_map map;
	u64 marks;
	u64 gen;		/* changes of @map, under @lock */
};

/* Counters of the feature in the stats fd */
enum kvmmig_free_hints_stat {
	KVMMIG_STAT_FREE_HINTED,
	KVMMIG_STAT_FREE_HINTS_DROPPED,
};

struct kvmmig_session;

#define kvmmig_hints(s) \
	((struct kvmmig_hints *)(s)->priv[KVMMIG_FEAT_FREE_HINTS])

#endif /* _KVMMIG_HINTS_H */
