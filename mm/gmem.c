// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-memory reader: a frame's memslot (the one filter,
 * kvmmig_memslot_usable()) and host virtual address under kvm->srcu, then,
 * with srcu dropped, the page there through the VMM's page tables
 * (kvmmig_hpt_get_page(): VMA found under mmap_lock, leaf under its
 * page-table lock, a reference taken, nothing faulted in or allocated),
 * read through kmap_local_page().  No user copy: it works from any thread,
 * the VMM's or not, and a page that userfaultfd has not placed yet, a
 * swapped-out page or a hole in a hugetlbfs file is an error, never a
 * fault or an allocation.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <kvmmig/gmem.h>
#include <kvmmig/host_pt.h>

/**
 * kvmmig_gfn_hva() - host virtual address of a guest frame
 * @kvm: the VM
 * @gfn: the frame
 * @hva: out: the address, if the frame is in a usable memslot
 *
 * Return: whether @gfn is in a usable memslot of address space 0.
 */
bool kvmmig_gfn_hva(struct kvm *kvm, u64 gfn, unsigned long *hva)
{
	struct kvm_memory_slot *m;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	m = kvmmig_gfn_memslot(kvm, gfn);
	if (m)
		*hva = __gfn_to_hva_memslot(m, gfn);
	srcu_read_unlock(&kvm->srcu, idx);
	return m;
}

/**
 * kvmmig_gmem_read() - read guest memory, never faulting or allocating
 * @kvm: the VM
 * @mm: the VMM's address space (pinned by the caller with mmgrab() or as
 *	its own)
 * @gpa: guest-physical address of the first byte
 * @buf: out: @len bytes
 * @len: bytes to read, within @gpa's page
 *
 * Memory never written reads as zeroes.  May sleep (mmap_lock).
 *
 * Return: 0; -EFAULT where no usable memslot or no VMA backs @gpa, or the
 * page is not resident (not placed yet by userfaultfd, swapped out);
 * -ESRCH once the VMM's address space is gone; -EINTR when killed.
 */
int kvmmig_gmem_read(struct kvm *kvm, struct mm_struct *mm, u64 gpa,
		     void *buf, u32 len)
{
	enum kvmmig_hpt_state st;
	struct page *page = NULL;
	unsigned long hva;
	void *p;

	might_sleep();
	if (WARN_ON_ONCE(offset_in_page(gpa) + len > PAGE_SIZE))
		return -EINVAL;
	if (!kvmmig_gfn_hva(kvm, gpa >> PAGE_SHIFT, &hva))
		return -EFAULT;
	if (!mmget_not_zero(mm))
		return -ESRCH;
	if (mmap_read_lock_killable(mm)) {
		mmput(mm);
		return -EINTR;
	}
	st = kvmmig_hpt_get_page(mm, hva, &page);
	mmap_read_unlock(mm);
	mmput(mm);

	switch (st) {
	case KVMMIG_HPT_PAGE:
		p = kmap_local_page(page);
		memcpy(buf, p + offset_in_page(gpa), len);
		kunmap_local(p);
		put_page(page);
		return 0;
	case KVMMIG_HPT_NONE:
	case KVMMIG_HPT_ZERO_PAGE:
		memset(buf, 0, len);
		return 0;
	default:
		return -EFAULT;
	}
}
