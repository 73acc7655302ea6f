/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pre-copy send order, pure logic: from one chunk of a dirty bitmap, the
 * pages' temperature levels and the free-page hints, count and place the
 * frames to send as runs (struct kvmmig_gfn_range), coldest level first,
 * ascending within a level, consecutive frames of one level in one run.
 * The kernel glue (migrate/send_order.c) reads the bitmap from userspace
 * in chunks and runs two passes: count (which sizes each level's part of
 * the output in runs), then place, which also collects the frames whose
 * hints are to be dropped; they are dropped only once the order is whole.
 */
#ifndef _KVMMIG_ORDER_H
#define _KVMMIG_ORDER_H

#include <linux/types.h>
#include <kvmmig/free_hints.h>
#include <kvmmig/temperature.h>
#include <uapi/linux/kvmmig.h>

/**
 * struct kvmmig_order_chunk - one chunk of the bitmap
 * @base_gfn: frame of bit 0
 * @nbits: frames in the chunk; bits at and past @nbits are ignored
 * @words: the bitmap, KVM_GET_DIRTY_LOG's layout (bit i of word i / 64)
 * @levels: per frame, its temperature level (0 cold ... 3 hot), or
 *	KVMMIG_TEMP_NO_SLOT when no memslot holds the frame (dropped)
 * @all: the bitmap is "everything to send" (KVMMIG_SEND_ORDER_ALL): every
 *	hinted frame is dropped; otherwise it is a harvest and only frames
 *	whose hint is fresh are dropped
 * @hints: the free-page hints, or NULL
 * @hint_state: per frame, its hint bits (KVMMIG_HINT_*) read from the map
 *	beforehand (set frames only), or NULL: then @hints is read
 */
struct kvmmig_order_chunk {
	u64 base_gfn;
	u32 nbits;
	const u64 *words;
	const u8 *levels;
	bool all;
	struct kvmmig_hint_map *hints;
	const u8 *hint_state;
};

/**
 * struct kvmmig_order_counts - what the count pass found
 * @level_pages: frames to send per level
 * @level_runs: runs per level: frames of the level to send, consecutive
 *	ones counted once
 * @nr_free: set frames dropped because they are hinted free
 * @unhint: set frames sent although hinted (settled hint, not ALL): their
 *	hints are to be dropped
 * @no_slot: set frames dropped because no memslot holds them
 * @dirty: set bits (below @nbits)
 * @run_end: per level, one past the last frame counted (0: none yet), to
 *	join runs across chunks
 */
struct kvmmig_order_counts {
	u64 level_pages[KVMMIG_TEMP_LEVELS];
	u64 level_runs[KVMMIG_TEMP_LEVELS];
	u64 nr_free;
	u64 unhint;
	u64 no_slot;
	u64 dirty;
	u64 run_end[KVMMIG_TEMP_LEVELS];
};

#define KVMMIG_ORDER_BUF	256

/**
 * struct kvmmig_order_out - the place pass's output state
 * @start: per level, index in the order of its part's first run
 * @next: per level, index of its part's next new run
 * @end: per level, one past its part's last run index
 * @level_pages: per level, frames placed (by their level at placing)
 * @placed: frames placed
 * @pages: frames counted: the place pass must place as many
 * @nbuf: per part, runs held in @buf; the last of them is open (may
 *	still grow)
 * @buf: per part, runs not yet flushed; they go to indexes
 *	@next - @nbuf ...
 * @flush: writes @n runs to indexes [@index, @index + @n) of the order;
 *	returns 0 or -errno
 * @move: moves @n runs of the order from index @from down to index @to
 *	(@to < @from; the ranges may overlap); returns 0 or -errno
 * @ctx: passed to @flush and @move
 * @nr_runs: after kvmmig_order_finish(): runs in the order
 * @unhint: frames placed whose settled hint is to be dropped
 *	(KVMMIG_ORDER_SEND_UNHINT); NULL when @max_unhint is 0
 * @nr_unhint: frames in @unhint
 * @max_unhint: capacity of @unhint (the count pass's @unhint); one more
 *	such frame (the bitmap changed) fails the place pass with -EAGAIN
 */
struct kvmmig_order_out {
	u64 start[KVMMIG_TEMP_LEVELS];
	u64 next[KVMMIG_TEMP_LEVELS];
	u64 end[KVMMIG_TEMP_LEVELS];
	u64 level_pages[KVMMIG_TEMP_LEVELS];
	u64 placed;
	u64 pages;
	u32 nbuf[KVMMIG_TEMP_LEVELS];
	struct kvmmig_gfn_range buf[KVMMIG_TEMP_LEVELS][KVMMIG_ORDER_BUF];
	int (*flush)(void *ctx, u64 index, const struct kvmmig_gfn_range *runs,
		     u32 n);
	int (*move)(void *ctx, u64 to, u64 from, u64 n);
	void *ctx;
	u64 nr_runs;
	u64 *unhint;
	u64 nr_unhint;
	u64 max_unhint;
};

/* What becomes of one set frame. */
enum kvmmig_order_fate {
	KVMMIG_ORDER_SEND,	/* sent */
	KVMMIG_ORDER_SEND_UNHINT, /* sent, its (settled) hint dropped */
	KVMMIG_ORDER_FREE,	/* dropped: hinted free */
	KVMMIG_ORDER_NO_SLOT,	/* dropped: no memslot */
};

enum kvmmig_order_fate kvmmig_order_fate(u8 level, unsigned int hint, bool all);
void kvmmig_order_count(const struct kvmmig_order_chunk *c,
			struct kvmmig_order_counts *cnt);
u64 kvmmig_order_total(const struct kvmmig_order_counts *cnt);
u64 kvmmig_order_total_runs(const struct kvmmig_order_counts *cnt);
void kvmmig_order_out_init(struct kvmmig_order_out *o,
			   const struct kvmmig_order_counts *cnt);
int kvmmig_order_place(const struct kvmmig_order_chunk *c,
		       struct kvmmig_order_out *o);
int kvmmig_order_finish(struct kvmmig_order_out *o);
u64 kvmmig_order_unhint(struct kvmmig_hint_map *m,
			const struct kvmmig_order_out *o);
int kvmmig_check_send_order(const struct kvmmig_send_order *a);

#endif /* _KVMMIG_ORDER_H */
