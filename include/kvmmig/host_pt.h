/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KVMMIG_HOST_PT_H
#define _KVMMIG_HOST_PT_H

#include <linux/mm_types.h>
#include <linux/types.h>

unsigned long kvmmig_hpt_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end, bool clear,
			       unsigned long *young);

#endif /* _KVMMIG_HOST_PT_H */
