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

/**
 * kvmmig_faults_snapshot - copy out the fault records of every vCPU
 * @s: the session
 * @out: room for @max records
 * @max: its size
 *
 * Process context.  Records of all vCPUs, the newest first.
 *
 * Return: records written (0 while recording is off).
 */
u32 kvmmig_faults_snapshot(struct kvmmig_session *s,
			   struct kvmmig_fault_record *out, u32 max)
{
	return 0;
}

long kvmmig_ioctl_faults(struct kvmmig_session *s,
			 struct kvmmig_faults __user *uarg)
{
	return -ENOTTY;
}
