// SPDX-License-Identifier: GPL-2.0
/* migrate/send_order.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
long kvmmig_ioctl_get_send_order(struct kvmmig_session *s,
				 struct kvmmig_send_order __user *uarg)
{
	return -ENOTTY;
}
