/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Working set and deferred fill: the pure logic, kept apart
 * from KVM, mm and locks so that KUnit drives it with synthetic input
 * (migrate/working_set_logic.c; the kernel glue is migrate/working_set.c and migrate/fill.c).
 */
#ifndef _KVMMIG_WS_FILL_H
#define _KVMMIG_WS_FILL_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

/**
 * struct kvmmig_ws_out - where the working set goes, run by run
 * @buf: staging buffer of @cap words (may be NULL when !@write)
 * @cap: its size
 * @len: words staged in @buf, not flushed yet
 * @pos: words output so far (staged or flushed)
 * @total: frames emitted so far
 * @nr_hot: of them, frames at or above the temperature threshold
 * @nr_faulted: of them, frames there by a recorded fault alone
 * @nr_runs: runs output so far, the one open included; a run is two
 *	words (struct kvmmig_gfn_range: first frame, frames)
 * @run_gfn: the open run's first frame
 * @run_len: its frames (0: none open)
 * @write: stage and flush the words (else only count)
 * @limit: with @write, the most runs that may be output
 * @flush: with @write, called with @n staged words that go at word @index
 *	of the output; returns 0 or a negative errno
 * @ctx: argument of @flush
 */
struct kvmmig_ws_out {
	u64 *buf;
	u32 cap;
	u32 len;
	u64 pos;
	u64 total;
	u64 nr_hot;
	u64 nr_faulted;
	u64 nr_runs;
	u64 run_gfn;
	u64 run_len;
	bool write;
	u64 limit;
	int (*flush)(void *ctx, u64 index, const u64 *gfns, u32 n);
	void *ctx;
};

/**
 * struct kvmmig_ws_faulted - the recently faulted frames, sorted, unique
 * @gfns: the frames, ascending, without duplicates
 * @n: entries in @gfns
 * @next: index of the first frame not consumed by a chunk yet
 */
struct kvmmig_ws_faulted {
	const u64 *gfns;
	u32 n;
	u32 next;
};

u32 kvmmig_ws_sort_unique(u64 *v, u32 n);
u32 kvmmig_ws_fault_gfns(const struct kvmmig_fault_record *rec, u32 n,
			 u64 *gfns);
void kvmmig_ws_out_init(struct kvmmig_ws_out *o, bool write,
			u64 limit, u64 *buf, u32 cap);
int kvmmig_ws_merge_chunk(struct kvmmig_ws_out *o, struct kvmmig_ws_faulted *f,
			  u64 base_gfn, const u8 *levels, u32 n, u32 min_level);
int kvmmig_ws_out_finish(struct kvmmig_ws_out *o);

int kvmmig_check_working_set(const struct kvmmig_working_set *a);

#endif /* _KVMMIG_WS_FILL_H */
