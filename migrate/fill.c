// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred-fill metadata on the destination (M11; issue 5).
 * Not implemented yet: the ioctls return -ENOTTY.
 */

#include <kvmmig/kvmmig.h>

int kvmmig_fill_init(struct kvmmig_session *s)
{
	return 0;
}

void kvmmig_fill_destroy(struct kvmmig_session *s)
{
}

long kvmmig_ioctl_fill(struct kvmmig_session *s, struct kvmmig_fill __user *uarg)
{
	return -ENOTTY;
}
