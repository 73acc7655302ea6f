/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KVMMIG_HOST_PT_H
#define _KVMMIG_HOST_PT_H

#include <linux/mm_types.h>
#include <linux/types.h>

unsigned long kvmmig_hpt_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end, bool clear,
			       unsigned long *young);
void kvmmig_hpt_keep_young(struct mm_struct *mm, unsigned long start,
			   unsigned long n, const unsigned long *keep);

/* What the VMM's memory holds at one address (kvmmig_hpt_get_page()). */
enum kvmmig_hpt_state {
	KVMMIG_HPT_NONE,	/* never written: reads as zeroes */
	KVMMIG_HPT_MISSING,	/* a hole userfaultfd (MISSING) is to fill */
	KVMMIG_HPT_ZERO_PAGE,	/* the shared zero page */
	KVMMIG_HPT_PAGE,	/* a page, returned with a reference */
	KVMMIG_HPT_ABSENT,	/* not resident: swapped out, migrating, ... */
	KVMMIG_HPT_UNREADABLE,	/* nothing mapped there, or no struct page */
};

enum kvmmig_hpt_state kvmmig_hpt_get_page(struct mm_struct *mm,
					  unsigned long addr,
					  struct page **pagep);

#endif /* _KVMMIG_HOST_PT_H */
