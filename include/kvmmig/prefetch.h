/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reverse index GPA -> GVA of one guest address space and the
 * teardown judge that drops it, pure logic; plus the ordering of a
 * prefetch list.  No KVM, mm or lock: migrate/prefetch.c builds an index from a
 * walk of the guest's page tables (mm/guest_pt_logic.c) and keeps a few of them
 * per session.  See Documentation/postcopy.rst ("Reverse index").
 */
#ifndef _KVMMIG_RINDEX_H
#define _KVMMIG_RINDEX_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

/* No guest-physical page (a slot of a prefetch window, a lookup miss). */
#define KVMMIG_RX_NONE		U64_MAX

/**
 * struct kvmmig_rx_ext - a run of pages contiguous in both address spaces
 * @gva: guest-virtual address of the first page (4 KiB aligned)
 * @gpa: guest-physical address of the first page (4 KiB aligned)
 * @npages: 4 KiB pages in the run, at least 1
 */
struct kvmmig_rx_ext {
	u64 gva;
	u64 gpa;
	u64 npages;
};

/**
 * struct kvmmig_rindex - the present mappings of one address space
 * @ext: extents in ascending @gva order, none overlapping in gva
 * @by_gpa: the same extents in ascending gpa order, @nr of them (after
 *	finish)
 * @maxend: @maxend[i]: the largest end (last gpa + 1) of @by_gpa[0..i]:
 *	a lookup scans back only while it may still hit
 * @nr: extents in @ext
 * @cap: room in @ext
 * @full: the walk had more mappings than @cap extents: pages are missing
 * @finished: kvmmig_rindex_finish() ran: lookups are possible
 * @cursor: the next extent to sample
 * @gone_run: sampled extents in a row (in gva order) found not present
 */
struct kvmmig_rindex {
	struct kvmmig_rx_ext *ext;
	struct kvmmig_rx_ext *by_gpa;
	u64 *maxend;
	u32 nr;
	u32 cap;
	bool full;
	bool finished;
	u32 cursor;
	u32 gone_run;
};

/* A lookup looks at most this many extents overlapping the frame's. */
#define KVMMIG_RX_SCAN_MAX	64

/* kvmmig_rindex_judge() outcome of one sample */
enum kvmmig_rx_sample {
	KVMMIG_RX_SAME,		/* still maps the indexed gpa */
	KVMMIG_RX_GONE,		/* not present any more */
	KVMMIG_RX_MOVED,	/* present, another gpa */
	KVMMIG_RX_UNKNOWN,	/* a table could not be read: no verdict */
};

/* kvmmig_rindex_judge() verdict */
enum kvmmig_rx_verdict {
	KVMMIG_RX_KEEP,
	KVMMIG_RX_TEARDOWN,	/* drop: the address space is going away */
	KVMMIG_RX_STALE,	/* drop: a mapping moved; rebuild when needed */
};

int kvmmig_rindex_alloc(struct kvmmig_rindex *ri, u32 cap);
void kvmmig_rindex_free(struct kvmmig_rindex *ri);
int kvmmig_rindex_add(struct kvmmig_rindex *ri, u64 gva, u64 gpa, u64 size);
int kvmmig_rindex_finish(struct kvmmig_rindex *ri);
u64 kvmmig_rindex_pages(const struct kvmmig_rindex *ri);
bool kvmmig_rindex_lookup(const struct kvmmig_rindex *ri, u64 gpa, u64 *gva);
u32 kvmmig_rindex_sample(struct kvmmig_rindex *ri, u64 *gvas, u64 *gpas,
			 u32 max);
enum kvmmig_rx_verdict kvmmig_rindex_judge(struct kvmmig_rindex *ri,
					   const u8 *res, u32 n, u32 run);

/**
 * typedef kvmmig_pf_keep_t - may a frame go into a prefetch list
 * @arg: the caller's
 * @gpa: page-aligned guest-physical address
 *
 * Return: true to list it.
 */
typedef bool (*kvmmig_pf_keep_t)(void *arg, u64 gpa);

u32 kvmmig_pf_order(const u64 *slot, u32 below, u32 above, u64 self_gpa,
		    kvmmig_pf_keep_t keep, void *arg, u64 *out, u32 max,
		    u64 *seen);

/* The kernel side: migrate/prefetch.c */
struct kvmmig_session;

#define kvmmig_prefetch(s) \
	((struct kvmmig_prefetch_ctx *)(s)->priv[KVMMIG_FEAT_PREFETCH])

void kvmmig_prefetch_note_fault(struct kvmmig_session *s, u64 gfn);

int kvmmig_check_prefetch(const struct kvmmig_prefetch *a);

#endif /* _KVMMIG_RINDEX_H */
