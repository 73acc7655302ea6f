// SPDX-License-Identifier: GPL-2.0
/* hint/free_hints.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
int kvmmig_hints_init(struct kvmmig_session *s)
{
	return 0;
}

void kvmmig_hints_destroy(struct kvmmig_session *s)
{
}

long kvmmig_ioctl_free_hints(struct kvmmig_session *s,
			     struct kvmmig_free_hints __user *uarg)
{
	return -ENOTTY;
}
