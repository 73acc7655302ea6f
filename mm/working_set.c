// SPDX-License-Identifier: GPL-2.0
/*
 * Working-set export for working-set-first restore (M12; issue 5).
 * Not implemented yet: the ioctls return -ENOTTY.
 */

#include <kvmmig/kvmmig.h>

long kvmmig_ioctl_get_working_set(struct kvmmig_session *s,
				  struct kvmmig_working_set __user *uarg)
{
	return -ENOTTY;
}
