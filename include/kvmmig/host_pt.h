/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KVMMIG_HOST_PT_H
#define _KVMMIG_HOST_PT_H

#include <linux/mm_types.h>
#include <linux/types.h>

unsigned long kvmmig_hpt_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end, bool clear,
			       unsigned long *young);

/* What the VMM's page tables hold for one address (kvmmig_hpt_entry()). */
enum kvmmig_hpt_state {
	KVMMIG_HPT_NONE,	/* no entry at any level: never touched */
	KVMMIG_HPT_ZERO_PAGE,	/* a present PTE of the shared zero page */
	KVMMIG_HPT_OTHER,	/* anything else: a page, a swap entry, ... */
};

enum kvmmig_hpt_state kvmmig_hpt_entry(struct mm_struct *mm,
				       unsigned long addr);

#endif /* _KVMMIG_HOST_PT_H */
