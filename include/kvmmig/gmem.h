/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one way kvmmig reaches guest memory: frame -> memslot -> host
 * virtual address -> page, under the locks the core kernel uses
 * (mm/gmem.c, mm/host_pt.c).
 */
#ifndef _KVMMIG_GMEM_H
#define _KVMMIG_GMEM_H

#include <linux/kvm_host.h>
#include <linux/types.h>

/**
 * kvmmig_memslot_usable() - the one memslot filter
 * @m: a memslot of address space 0, or NULL
 *
 * Guest RAM kvmmig works on: a user memslot (KVM's private slots are its
 * own to recreate) that is not being deleted or moved (KVM marks those
 * invalid until the update is over).  kvm->srcu held.
 *
 * Return: whether @m is such a memslot.
 */
static inline bool kvmmig_memslot_usable(const struct kvm_memory_slot *m)
{
	return m && m->id < KVM_USER_MEM_SLOTS &&
	       !(m->flags & KVM_MEMSLOT_INVALID);
}

/* The usable memslot of @gfn in address space 0, or NULL; srcu held. */
static inline struct kvm_memory_slot *kvmmig_gfn_memslot(struct kvm *kvm,
							 u64 gfn)
{
	struct kvm_memory_slot *m = __gfn_to_memslot(__kvm_memslots(kvm, 0), gfn);

	return kvmmig_memslot_usable(m) ? m : NULL;
}

bool kvmmig_gfn_hva(struct kvm *kvm, u64 gfn, unsigned long *hva);
int kvmmig_gmem_read(struct kvm *kvm, struct mm_struct *mm, u64 gpa,
		     void *buf, u32 len);

#endif /* _KVMMIG_GMEM_H */
