// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-virtual neighbour prefetch (M8, M4; issue 5).
 * Not implemented yet: the ioctls return -ENOTTY.
 */

#include <kvmmig/kvmmig.h>

/**
 * kvmmig_prefetch_note_fault - a fault on @gfn: count it used if prefetched
 * @s: the session
 * @gfn: the faulting guest frame
 *
 * Called by the kvm_page_fault probe on the vCPU thread, preemption off,
 * under rcu_read_lock(): must not sleep or allocate with GFP_KERNEL.
 */
void kvmmig_prefetch_note_fault(struct kvmmig_session *s, u64 gfn)
{
}

long kvmmig_ioctl_prefetch(struct kvmmig_session *s,
			   struct kvmmig_prefetch __user *uarg)
{
	return -ENOTTY;
}
