// SPDX-License-Identifier: GPL-2.0
/* mm/content.c: placeholder, being written. */
#include <kvmmig/kvmmig.h>
long kvmmig_ioctl_classify(struct kvmmig_session *s,
			   struct kvmmig_classify __user *uarg)
{
	return -ENOTTY;
}
