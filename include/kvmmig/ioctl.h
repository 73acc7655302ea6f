/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl table's pure logic (ioctl_logic.c): finding an ioctl's
 * description and checking the shape of its argument, apart from any
 * user memory so that KUnit drives it.
 */
#ifndef _KVMMIG_IOCTL_H
#define _KVMMIG_IOCTL_H

#include <linux/types.h>
#include <kvmmig/core.h>

/* The largest argument structure; the dispatcher copies it on its stack. */
#define KVMMIG_IOCTL_MAX_SIZE	256

bool kvmmig_ioctl_same(unsigned int a, unsigned int b);
const struct kvmmig_ioctl_desc *
kvmmig_ioctl_find(const struct kvmmig_ioctl_desc *v, unsigned int n,
		  unsigned int cmd);
int kvmmig_ioctl_desc_valid(const struct kvmmig_ioctl_desc *d);
int kvmmig_ioctl_check_size(const struct kvmmig_ioctl_desc *d, u32 usize);
int kvmmig_ioctl_check_flags(const struct kvmmig_ioctl_desc *d,
			     const void *karg);
bool kvmmig_all_zero(const void *p, size_t len);

#endif /* _KVMMIG_IOCTL_H */
