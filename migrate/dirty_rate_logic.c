// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty rate measurement, pure logic (include/kvmmig/dirty_rate.h; the
 * kernel side is migrate/dirty_rate.c): the argument check of
 * KVMMIG_GET_DIRTY_RATE.  The dispatcher has checked @size and @flags.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <kvmmig/dirty_rate.h>

/**
 * kvmmig_check_dirty_rate() - check a struct kvmmig_dirty_rate
 * @a: the kernel's copy of the argument
 *
 * Return: 0, or -EINVAL for non-zero reserved fields, more vCPU entries
 * than KVMMIG_DIRTY_RATE_MAX_VCPUS, or entries without a buffer.
 */
int kvmmig_check_dirty_rate(const struct kvmmig_dirty_rate *a)
{
	if (memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (a->nr_vcpus > KVMMIG_DIRTY_RATE_MAX_VCPUS)
		return -EINVAL;
	if (a->nr_vcpus && !a->vcpu_rates_ptr)
		return -EINVAL;
	return 0;
}
