/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dirty rate measurement: a session's measurement
 * window and where its count comes from.  See migrate/dirty_rate.c.
 */
#ifndef _KVMMIG_DIRTY_H
#define _KVMMIG_DIRTY_H

#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

/**
 * struct kvmmig_dirty - a session's dirty rate window (migrate/dirty_rate.c)
 * @lock: serialises every field
 * @start_ns: start of the window (CLOCK_MONOTONIC): attach or last RESET
 * @reported: pages of the bitmaps passed to KVMMIG_GET_SEND_ORDER (not
 *	with ALL) in the window
 * @have_report: KVMMIG_GET_SEND_ORDER reported a bitmap in the window
 * @nr_ring: entries in @ring_start
 * @ring_start: per vCPU index, its dirty ring's dirty_index at the start
 *	of the window; vCPUs created later started at 0
 */
struct kvmmig_dirty {
	struct mutex lock;	/* see above */
	u64 start_ns;
	u64 reported;
	bool have_report;
	u32 nr_ring;
	u32 *ring_start;
};

/* @pages over @ns nanoseconds, per second (@ns > 0). */
static inline u64 kvmmig_dirty_per_sec(u64 pages, u64 ns)
{
	return mul_u64_u64_div_u64(pages, NSEC_PER_SEC, ns);
}

struct kvmmig_session;
struct kvm;

#define kvmmig_dirty(s) \
	((struct kvmmig_dirty *)(s)->priv[KVMMIG_FEAT_DIRTY_RATE])

void kvmmig_dirty_report(struct kvmmig_session *s, u64 dirty_pages);

/*
 * The dirty ring's per-vCPU counts, for the features that attribute
 * dirtying to vCPUs (sched/throttle.c): read-only, no session state.
 */
u32 *kvmmig_dirty_ring_snapshot(struct kvm *kvm, u32 *nr);
u64 kvmmig_dirty_ring_count(struct kvm *kvm, const u32 *start, u32 nr_start,
			    u64 *counts, u32 nr_counts, u32 *next, u32 nr_next);

int kvmmig_check_dirty_rate(const struct kvmmig_dirty_rate *a);

#endif /* _KVMMIG_DIRTY_H */
