/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page temperature, pure logic: per-page levels, per-region
 * large-page scores, the adaptive scan interval and the top-K ranking.
 * Nothing here knows where access information comes from (KVM's notifier
 * ops, host page tables) or takes a lock: the scanner (mm/temperature.c) feeds it
 * one region at a time and serialises all updates of a map.
 *
 * A map covers one memslot.  Pages are indexed from the slot's first gfn;
 * regions are the 2 MiB-aligned guest-physical ranges the slot overlaps,
 * so region 0 may be partial (the slot starts mid-region) and so may the
 * last one.
 */
#ifndef _KVMMIG_TEMPERATURE_H
#define _KVMMIG_TEMPERATURE_H

#include <linux/bits.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <uapi/linux/kvmmig.h>

#define KVMMIG_TEMP_LEVELS		4	/* 0 cold ... 3 hot */
#define KVMMIG_TEMP_HOT			(KVMMIG_TEMP_LEVELS - 1)
#define KVMMIG_REGION_SHIFT		9	/* 512 pages: 2 MiB */
#define KVMMIG_REGION_PAGES		BIT(KVMMIG_REGION_SHIFT)
/* Fixed-point fraction bits of a region's large-page score. */
#define KVMMIG_SCORE_SHIFT		8

/**
 * struct kvmmig_temp_map - temperature of the pages of one memslot
 * @base_gfn: first gfn of the slot
 * @npages: pages in the slot
 * @head: pages between the 2 MiB-aligned start of region 0 and @base_gfn
 * @nr_regions: 2 MiB regions the slot overlaps
 * @levels: 2 bits per page, 4 pages per byte, page 0 in the low bits
 * @region_max: per region, the highest level of its pages (0: all cold)
 * @region_score: per region, accessed pages per pass, exponentially
 *	decayed, fixed point with KVMMIG_SCORE_SHIFT fraction bits
 * @region_hits: per region, pages accessed in the last pass that saw it
 */
struct kvmmig_temp_map {
	u64 base_gfn;
	u64 npages;
	u32 head;
	u32 nr_regions;
	u8 *levels;
	u8 *region_max;
	u32 *region_score;
	u16 *region_hits;
};

int kvmmig_temp_map_init(struct kvmmig_temp_map *m, u64 base_gfn, u64 npages);
void kvmmig_temp_map_free(struct kvmmig_temp_map *m);

/* Pages [*first, *first + return value) of the map lie in @region. */
u32 kvmmig_temp_region_pages(const struct kvmmig_temp_map *m, u32 region,
			     u64 *first);
bool kvmmig_temp_region_is_full(const struct kvmmig_temp_map *m, u32 region);

/*
 * One pass's result for a region: @accessed has one bit per page of the
 * region (bit 0 = page *first of kvmmig_temp_region_pages()), or is NULL
 * when the region as a whole was not accessed.  Each accessed page's level
 * goes up by one, each other page's down by one (a 2-bit saturating
 * counter); the region's score decays by 1/2^@decay_shift and gains the
 * number of accessed pages.  Returns the number of accessed pages.
 */
u32 kvmmig_temp_region_update(struct kvmmig_temp_map *m, u32 region,
			      const unsigned long *accessed,
			      unsigned int decay_shift);

u8 kvmmig_temp_level(const struct kvmmig_temp_map *m, u64 page);
/* Add the levels of pages [first, first + n) to @hist (KVMMIG_TEMP_LEVELS). */
void kvmmig_temp_histogram(const struct kvmmig_temp_map *m, u64 first, u64 n,
			   u64 *hist);

/**
 * struct kvmmig_interval - adaptive scan period
 * @period_ms: current period
 * @min_ms: lower bound
 * @max_ms: upper bound
 * @target_permille: wanted share of scanned regions found accessed
 *
 * Too many accessed regions means the period is too long to tell hot from
 * warm: shorten it; too few means passes cost more than they tell:
 * lengthen it.  Within +-25% of the target the period stays; otherwise it
 * moves in proportion, by at most a factor of 2 per pass.
 */
struct kvmmig_interval {
	u32 period_ms;
	u32 min_ms;
	u32 max_ms;
	u32 target_permille;
};

u32 kvmmig_interval_next(struct kvmmig_interval *c, u64 accessed_regions,
			 u64 scanned_regions);

/**
 * struct kvmmig_topk_entry - one ranked region
 * @gfn: first gfn of the region (2 MiB aligned)
 * @score: its large-page score
 * @hits: pages accessed in the last pass
 */
struct kvmmig_topk_entry {
	u64 gfn;
	u32 score;
	u32 hits;
};

/**
 * struct kvmmig_topk - the K best regions seen (large-page ranking)
 * @k: capacity of @e
 * @n: entries held
 * @e: storage, a min-heap on (score, -gfn) until kvmmig_topk_sort():
 *	of equal scores the lower gfn ranks first
 */
struct kvmmig_topk {
	u32 k;
	u32 n;
	struct kvmmig_topk_entry *e;
};

void kvmmig_topk_init(struct kvmmig_topk *t, struct kvmmig_topk_entry *e, u32 k);
void kvmmig_topk_offer(struct kvmmig_topk *t, u64 gfn, u32 score, u32 hits);
/* Sort the held entries best first (ends the heap order). */
void kvmmig_topk_sort(struct kvmmig_topk *t);

/* Argument checks beyond the dispatcher's (size, flags) */
int kvmmig_check_scan(const struct kvmmig_scan *a, u32 min_ms, u32 max_ms);
int kvmmig_check_temperature(const struct kvmmig_temperature *a);
int kvmmig_check_huge_candidates(const struct kvmmig_huge_candidates *a);

/* The kernel side: mm/temperature.c */

struct kvmmig_session;
struct kvmmig_slot_temp;

/* Counters of the temperature feature in the stats fd */
enum kvmmig_temp_stat {
	KVMMIG_TEMP_STAT_PASSES,
	KVMMIG_TEMP_STAT_REGIONS,
	KVMMIG_TEMP_STAT_REGIONS_ACCESSED,
	KVMMIG_TEMP_STAT_PAGES_TESTED,
	KVMMIG_TEMP_STAT_LAST_PASS_NS,
	KVMMIG_TEMP_STAT_HOT_PAGES,
	KVMMIG_TEMP_STAT_TLB_FLUSHES,
	KVMMIG_TEMP_STAT_PERIOD_MS,
};

/**
 * struct kvmmig_scanner - a session's page temperature
 * @s: the session
 * @lock: serialises passes and every access to @slots
 * @work: the periodic pass
 * @running: periodic scanning is on
 * @slots: temperature of each scanned memslot
 * @nr_slots: entries in @slots
 * @slots_gen: address space 0's memslot generation @slots were made from
 * @synced: @slots and @slots_gen are valid
 * @interval: the adaptive period
 * @fixed_passes: passes left at a period fixed by SET_SCAN (U32_MAX:
 *	until the next SET_PERIOD)
 * @passes: passes completed
 * @scan_busy: SET_SCAN calls of this session under way; with @running it
 *	tells whether this session scans (under kvmmig_sessions_lock())
 */
struct kvmmig_scanner {
	struct kvmmig_session *s;
	struct mutex lock;	/* see above */
	struct delayed_work work;
	bool running;
	struct kvmmig_slot_temp *slots;
	u32 nr_slots;
	u64 slots_gen;
	bool synced;
	struct kvmmig_interval interval;
	u32 fixed_passes;
	u64 passes;
	unsigned int scan_busy;
};

#define kvmmig_scanner(s) \
	((struct kvmmig_scanner *)(s)->priv[KVMMIG_FEAT_TEMPERATURE])

int kvmmig_scan_get_levels(struct kvmmig_session *s, u64 gfn, u64 n, u8 *levels);
struct kvmmig_session *kvmmig_temperature_source(struct kvmmig_session *s);

#endif /* _KVMMIG_TEMPERATURE_H */
