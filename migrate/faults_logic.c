// SPDX-License-Identifier: GPL-2.0
/*
 * Fault context, pure logic (include/kvmmig/faults.h; the kernel side is
 * migrate/faults.c): the argument check of KVMMIG_FAULTS.  The dispatcher
 * has checked @size and that @flags holds only KVMMIG_FAULTS_FLAGS.
 */
#include <linux/errno.h>
#include <linux/string.h>
#include <kvmmig/faults.h>

/**
 * kvmmig_check_faults() - check a struct kvmmig_faults
 * @a: the kernel's copy of the argument
 *
 * Return: 0, or -EINVAL for ENABLE with DISABLE, a buffer without READ,
 * more records than KVMMIG_FAULTS_MAX_RECORDS, or non-zero reserved
 * fields.
 */
int kvmmig_check_faults(const struct kvmmig_faults *a)
{
	if ((a->flags & KVMMIG_FAULTS_ENABLE) && (a->flags & KVMMIG_FAULTS_DISABLE))
		return -EINVAL;
	if (!(a->flags & KVMMIG_FAULTS_READ) && (a->nr_records || a->records_ptr))
		return -EINVAL;
	if (a->nr_records > KVMMIG_FAULTS_MAX_RECORDS)
		return -EINVAL;
	if (a->reserved0 || a->reserved1 ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	return 0;
}
