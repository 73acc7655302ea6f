// SPDX-License-Identifier: GPL-2.0
/* sched/throttle.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
int kvmmig_throttle_init(struct kvmmig_session *s)
{
	return 0;
}

void kvmmig_throttle_mm_released(struct kvmmig_session *s)
{
}

void kvmmig_throttle_stop(struct kvmmig_session *s)
{
}

void kvmmig_throttle_destroy(struct kvmmig_session *s)
{
}

long kvmmig_ioctl_migration(struct kvmmig_session *s,
			    struct kvmmig_migration __user *uarg)
{
	return -ENOTTY;
}

long kvmmig_ioctl_get_history(struct kvmmig_session *s,
			      struct kvmmig_history __user *uarg)
{
	return -ENOTTY;
}

long kvmmig_ioctl_set_history(struct kvmmig_session *s,
			      struct kvmmig_history __user *uarg)
{
	return -ENOTTY;
}
