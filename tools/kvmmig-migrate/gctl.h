/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmig-migrate: the layout shared by the guest code (guest.h) and the
 * VMM: guest-physical layout, workloads, ucall stages and struct gctl.
 *
 * The guest keeps its own view of free memory (struct gctl.free_map, a bit
 * per data page); it reports free ranges to the VMM with a ucall
 * (free-page hints) and never touches a free page until it reallocates it,
 * by clearing the bit and writing the page.  The VMMs leave free pages out
 * of the RAM hash: their contents are garbage the destination never gets.
 */
#ifndef KVMMIG_MIGRATE_GCTL_H
#define KVMMIG_MIGRATE_GCTL_H

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_GPA	BIT_ULL(30)	/* data slot, identity-mapped */
#define DATA_SLOT	1
#define MAX_VCPUS	16
#define HINT_MAX	64		/* ranges per hint ucall */
#define IDLE_BLOCK	64		/* idle: pages per block ... */
#define IDLE_USED	19		/* ... of which the first 19 stay used */
#define IDLE_SWAP	8		/* pages reallocated / freed at a time */
#define IDLE_SWAP_EVERY	1024		/* ... every this many iterations */
#define CHASE_GVA	BIT_ULL(39)	/* chase: the structure, GVA-contiguous */
#define CHASE_SHARE	4		/* chase: 1 data page in 4 is the structure */
#define CHASE_SEED	0x6b766d6d6967ull	/* chase: fixed GPA shuffle */

enum workload { WL_IDLE, WL_ZERO, WL_DUP, WL_HOT, WL_DIRTY, WL_BUSY, WL_CHASE, WL_NR };

/* GUEST_SYNC_ARGS stages */
#define SYNC_READY	1		/* vCPU 0: initialisation done */
#define SYNC_HINT	2		/* arg: ranges in gctl.hint */

/* Shared with the VMM, in slot 0 (migrated with the rest of RAM). */
struct gctl {
	uint64_t workload;
	uint64_t npages;		/* data slot pages */
	uint64_t nr_vcpus;
	uint64_t ready;
	uint64_t counter[MAX_VCPUS];
	uint64_t nr_hint;
	uint64_t hint[HINT_MAX][2];	/* gpa, npages */
	uint64_t chase_pages;		/* chase: pages of the structure */
	uint64_t chase_sum[MAX_VCPUS];	/* chase: checksum of the last pass */
	uint64_t free_map[];		/* bit per data page: 1 = free */
};

static inline bool g_is_free(struct gctl *c, uint64_t p)
{
	return READ_ONCE(c->free_map[p / 64]) & BIT_ULL(p % 64);
}

#endif /* KVMMIG_MIGRATE_GCTL_H */
