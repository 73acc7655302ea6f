// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-virtual neighbour prefetch (M8, M4; issue 5).
 * Not implemented yet: the ioctls return -ENOTTY.
 */

#include <kvmmig/kvmmig.h>

long kvmmig_ioctl_prefetch(struct kvmmig_session *s,
			   struct kvmmig_prefetch __user *uarg)
{
	return -ENOTTY;
}
