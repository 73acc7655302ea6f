// SPDX-License-Identifier: GPL-2.0
/*
 * The core's pure logic: tunable parsing and the checks of
 * KVMMIG_ATTACH_VM's argument beyond the dispatcher's (size, flags).
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>

/*
 * Parse a decimal tunable and check it against its bounds: -EINVAL for
 * anything that is not a number, -ERANGE for a number out of bounds.
 */
int kvmmig_parse_uint_range(const char *s, unsigned int min,
			    unsigned int max, unsigned int *out)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(s, 0, &v);
	if (ret)
		return ret == -ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * KVMMIG_ATTACH_VM: reserved fields zero, a file descriptor number.
 * @session_id and @access are outputs and not looked at.
 */
int kvmmig_check_attach(const struct kvmmig_attach *a)
{
	if (a->reserved0 || !kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->vm_fd < 0)
		return -EBADF;
	return 0;
}
