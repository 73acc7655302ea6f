// SPDX-License-Identifier: GPL-2.0
/*
 * Fault context (issue 5): kvm_page_fault probe and per-vCPU fault records.
 * Not implemented yet: the ioctls return -ENOTTY.
 */

#include <kvmmig/kvmmig.h>

int kvmmig_faults_init(struct kvmmig_session *s)
{
	return 0;
}

void kvmmig_faults_stop(struct kvmmig_session *s)
{
}

void kvmmig_faults_destroy(struct kvmmig_session *s)
{
}

long kvmmig_ioctl_faults(struct kvmmig_session *s,
			 struct kvmmig_faults __user *uarg)
{
	return -ENOTTY;
}
