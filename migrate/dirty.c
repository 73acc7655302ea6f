// SPDX-License-Identifier: GPL-2.0
/* migrate/dirty.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
int kvmmig_dirty_init(struct kvmmig_session *s)
{
	return 0;
}

void kvmmig_dirty_destroy(struct kvmmig_session *s)
{
}

void kvmmig_dirty_report(struct kvmmig_session *s, u64 dirty_pages)
{
}

long kvmmig_ioctl_get_dirty_rate(struct kvmmig_session *s,
				 struct kvmmig_dirty_rate __user *uarg)
{
	return -ENOTTY;
}
