/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memslot snapshots (mm/memslots.c, KVMMIG_GET_MEMSLOTS) and their pure
 * logic (mm/memslots_logic.c).
 */
#ifndef _KVMMIG_MEMSLOTS_H
#define _KVMMIG_MEMSLOTS_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

struct kvmmig_session;

void kvmmig_memslot_totals(struct kvmmig_session *s, u32 *nr_slots,
			   u64 *guest_bytes);

/* mm/memslots_logic.c */
int kvmmig_check_memslots(const struct kvmmig_memslots *r);
u64 kvmmig_memslots_generation(const u64 *as_gen, int nr_as);
void kvmmig_memslots_sort(struct kvmmig_memslot *v, u32 n);

#endif /* _KVMMIG_MEMSLOTS_H */
