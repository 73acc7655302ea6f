// SPDX-License-Identifier: GPL-2.0
/*
 * The one walker of the VMM's (host) page tables.  walk_page_range() is
 * not exported, so this descends by hand, but under the rules the core mm
 * walks by:
 *
 * - Only inside VMAs, found under the caller's mmap_lock (held for read at
 *   least): munmap() downgrades to the read lock before it frees the page
 *   tables of the range it took out of the tree, so a table reached outside
 *   a VMA found under the lock may be freed under the walk.  Inside a live
 *   VMA, the PGD/P4D/PUD/PMD tables stay.
 * - A PTE table is reached from a snapshot of its PMD entry inside
 *   rcu_read_lock() (6.12 frees retracted PTE tables after a grace period,
 *   with mmap_lock only held for read), its lock taken and the PMD entry
 *   checked to be unchanged before any PTE is read, as
 *   __pte_offset_map_lock() does (it is not exported).
 * - A leaf is read and changed under its page-table lock: the PTE table's
 *   split lock, the PMD table's for a 2 MiB leaf (THP, hugetlb), the mm's
 *   page_table_lock for a 1 GiB leaf (hugetlb).  A hugetlb mapping that
 *   may share its PMD tables with other processes is walked holding the
 *   file's i_mmap_rwsem for read, which huge_pmd_unshare() needs for write.
 *
 * What the walker does at each present leaf is its caller's: test or
 * clear the accessed bit (the page temperature's host source), note that
 * a page was accessed (kvmmig_hpt_keep_young()), or take a reference on
 * the page (kvmmig_hpt_get_page(), the guest-memory reader).  Nothing is
 * ever faulted in or allocated.
 *
 * Clearing an accessed bit consumes the information reclaim would have
 * read there (folio_referenced() tests and clears the same bits, and asks
 * KVM for the EPT/NPT ones), so each accessed page whose bit a pass
 * clears is marked for reclaim instead, the way idle page tracking and
 * DAMON do: PG_young where the kernel has it (CONFIG_PAGE_IDLE_FLAG;
 * folio_referenced() counts it as a reference), else
 * folio_mark_accessed(), the LRU's own "it was used" for accesses no PTE
 * records.
 */
#include <linux/bitops.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/page_idle.h>
#include <linux/pagemap.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/shmem_fs.h>
#include <linux/swap.h>
#include <linux/userfaultfd_k.h>
#include <kvmmig/host_pt.h>

struct kvmmig_hpt_walk;

/*
 * Called for each present leaf mapping [@addr, @next) of the walked range,
 * under the leaf's page-table lock: @entry points at the entry, @val is
 * its value, @page the page mapped at @addr or NULL (a special or
 * non-struct-page mapping).
 */
typedef void (*kvmmig_hpt_leaf_fn)(struct kvmmig_hpt_walk *w,
				   unsigned long addr, unsigned long next,
				   unsigned long *entry, unsigned long val,
				   struct page *page);

struct kvmmig_hpt_walk {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	kvmmig_hpt_leaf_fn leaf;
	unsigned long start;		/* of the range: bit 0 of the maps */
	unsigned long *young;		/* out, or NULL */
	const unsigned long *keep;	/* pages to mark accessed */
	unsigned long nr_young;
	bool clear;
	bool leaf_seen;			/* kvmmig_hpt_get_page() */
	bool other_seen;		/* a swap or migration entry */
	enum kvmmig_hpt_state state;
	struct page *page;
};

/* Leave for reclaim that @page was accessed (see the header comment). */
static void kvmmig_hpt_note_accessed(struct kvmmig_hpt_walk *w,
				     struct page *page)
{
	struct folio *folio;

	if (!page || is_vm_hugetlb_page(w->vma) ||
	    is_zero_pfn(page_to_pfn(page)))
		return;
	folio = page_folio(page);
#ifdef CONFIG_PAGE_IDLE_FLAG
	folio_set_young(folio);
#else
	folio_mark_accessed(folio);
#endif
}

/*
 * The page a PTE maps: the shared zero page too, though its PTE is
 * special; NULL for any other special PTE or a mapping without struct
 * pages.
 */
static struct page *kvmmig_hpt_pte_page(struct kvmmig_hpt_walk *w, pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);

	if (is_zero_pfn(pfn))
		return pfn_to_page(pfn);	/* special, but a page */
	if (w->vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO))
		return NULL;
	if (pte_special(pte) || !pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

static void kvmmig_hpt_young_leaf(struct kvmmig_hpt_walk *w,
				  unsigned long addr, unsigned long next,
				  unsigned long *entry, unsigned long val,
				  struct page *page)
{
	unsigned long first = (addr - w->start) >> PAGE_SHIFT;
	unsigned long n = (next - addr) >> PAGE_SHIFT;

	if (!(val & _PAGE_ACCESSED))
		return;
	if (w->clear) {
		if (!test_and_clear_bit(_PAGE_BIT_ACCESSED, entry))
			return;
		kvmmig_hpt_note_accessed(w, page);
	}
	w->nr_young += n;
	if (w->young)
		bitmap_set(w->young, first, n);
}

static void kvmmig_hpt_keep_leaf(struct kvmmig_hpt_walk *w,
				 unsigned long addr, unsigned long next,
				 unsigned long *entry, unsigned long val,
				 struct page *page)
{
	unsigned long first = (addr - w->start) >> PAGE_SHIFT;
	unsigned long last = (next - w->start) >> PAGE_SHIFT;

	if (page && find_next_bit(w->keep, last, first) < last)
		kvmmig_hpt_note_accessed(w, page);
}

static void kvmmig_hpt_pte_range(struct kvmmig_hpt_walk *w, pmd_t *pmdp,
				 unsigned long addr, unsigned long end)
{
	spinlock_t *ptl;	/* the PTE table's */
	pmd_t pmdval;
	pte_t *ptep;

	rcu_read_lock();
	pmdval = READ_ONCE(*pmdp);
	if (!pmd_present(pmdval) || pmd_leaf(pmdval) || pmd_bad(pmdval))
		goto out;	/* changed since the caller looked: skip */
	ptl = pte_lockptr(w->mm, &pmdval);
	ptep = pte_offset_kernel(&pmdval, addr);
	spin_lock(ptl);
	if (!pmd_same(pmdval, READ_ONCE(*pmdp)))
		goto unlock;
	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = ptep_get(ptep);

		if (!pte_present(pte)) {
			if (!pte_none(pte))
				w->other_seen = true;
			continue;
		}
		w->leaf(w, addr, addr + PAGE_SIZE, (unsigned long *)ptep,
			pte_val(pte), kvmmig_hpt_pte_page(w, pte));
	}
unlock:
	spin_unlock(ptl);
out:
	rcu_read_unlock();
}

static void kvmmig_hpt_pmd_range(struct kvmmig_hpt_walk *w, pud_t *pudp,
				 unsigned long addr, unsigned long end)
{
	pmd_t *pmdp = pmd_offset(pudp, addr);
	unsigned long next;

	for (; addr < end; addr = next, pmdp++) {
		pmd_t pmdval = READ_ONCE(*pmdp);
		spinlock_t *ptl;	/* the PMD table's */

		next = pmd_addr_end(addr, end);
		if (pmd_none(pmdval))
			continue;
		if (!pmd_present(pmdval)) {
			w->other_seen = true;	/* THP under migration */
			continue;
		}
		if (!pmd_leaf(pmdval)) {
			if (!pmd_bad(pmdval))
				kvmmig_hpt_pte_range(w, pmdp, addr, next);
			continue;
		}
		ptl = pmd_lock(w->mm, pmdp);
		pmdval = READ_ONCE(*pmdp);
		if (pmd_present(pmdval) && pmd_leaf(pmdval)) {
			struct page *page = NULL;

			if (!(w->vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) &&
			    !pmd_devmap(pmdval) && pfn_valid(pmd_pfn(pmdval)))
				page = pmd_page(pmdval) +
				       ((addr & ~PMD_MASK) >> PAGE_SHIFT);
			w->leaf(w, addr, next, (unsigned long *)pmdp,
				pmd_val(pmdval), page);
		}
		spin_unlock(ptl);
		/* a leaf split or zapped under us is left for the next walk */
	}
}

static void kvmmig_hpt_pud_range(struct kvmmig_hpt_walk *w, p4d_t *p4dp,
				 unsigned long addr, unsigned long end)
{
	pud_t *pudp = pud_offset(p4dp, addr);
	unsigned long next;

	for (; addr < end; addr = next, pudp++) {
		pud_t pudval = READ_ONCE(*pudp);
		spinlock_t *ptl;	/* the mm's page_table_lock */

		next = pud_addr_end(addr, end);
		if (pud_none(pudval) || !pud_present(pudval))
			continue;
		if (!pud_leaf(pudval)) {
			if (!pud_bad(pudval))
				kvmmig_hpt_pmd_range(w, pudp, addr, next);
			continue;
		}
		ptl = pud_lock(w->mm, pudp);
		pudval = READ_ONCE(*pudp);
		if (pud_present(pudval) && pud_leaf(pudval)) {
			struct page *page = NULL;

			if (!(w->vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) &&
			    !pud_devmap(pudval) && pfn_valid(pud_pfn(pudval)))
				page = pud_page(pudval) +
				       ((addr & ~PUD_MASK) >> PAGE_SHIFT);
			w->leaf(w, addr, next, (unsigned long *)pudp,
				pud_val(pudval), page);
		}
		spin_unlock(ptl);
	}
}

/* [@addr, @end) lies in w->vma. */
static void kvmmig_hpt_walk_vma(struct kvmmig_hpt_walk *w, unsigned long addr,
				unsigned long end)
{
	unsigned long next, p4next;
	pgd_t *pgdp;

	pgdp = pgd_offset(w->mm, addr);
	for (; addr < end; addr = next, pgdp++) {
		p4d_t *p4dp;

		next = pgd_addr_end(addr, end);
		if (pgd_none(*pgdp) || pgd_bad(*pgdp))
			continue;
		p4dp = p4d_offset(pgdp, addr);
		for (; addr < next; addr = p4next, p4dp++) {
			p4next = p4d_addr_end(addr, next);
			if (p4d_none(*p4dp) || p4d_bad(*p4dp))
				continue;
			kvmmig_hpt_pud_range(w, p4dp, addr, p4next);
		}
	}
}

/*
 * A hugetlb mapping that may share PMD tables: hold i_mmap_rwsem for read
 * against huge_pmd_unshare().  Tried only, unless @wait.
 */
static bool kvmmig_hpt_vma_lock(struct vm_area_struct *vma, bool wait)
{
	if (!is_vm_hugetlb_page(vma) || !(vma->vm_flags & VM_MAYSHARE))
		return true;
	if (wait) {
		i_mmap_lock_read(vma->vm_file->f_mapping);
		return true;
	}
	return i_mmap_trylock_read(vma->vm_file->f_mapping);
}

static void kvmmig_hpt_vma_unlock(struct vm_area_struct *vma)
{
	if (is_vm_hugetlb_page(vma) && (vma->vm_flags & VM_MAYSHARE))
		i_mmap_unlock_read(vma->vm_file->f_mapping);
}

/* Walk every VMA part of [@start, @end); mmap_lock held. */
static void kvmmig_hpt_walk(struct kvmmig_hpt_walk *w, unsigned long start,
			    unsigned long end, bool wait)
{
	struct vm_area_struct *vma;
	unsigned long addr = start;

	mmap_assert_locked(w->mm);
	while (addr < end) {
		vma = find_vma(w->mm, addr);
		if (!vma || vma->vm_start >= end)
			break;
		addr = max(addr, vma->vm_start);
		w->vma = vma;
		if (kvmmig_hpt_vma_lock(vma, wait)) {
			kvmmig_hpt_walk_vma(w, addr, min(end, vma->vm_end));
			kvmmig_hpt_vma_unlock(vma);
		}
		addr = vma->vm_end;
	}
}

/**
 * kvmmig_hpt_young() - accessed bits of the host page tables over a range
 * @mm: the address space, its mmap_lock held for read
 * @start: first address, page aligned
 * @end: end of the range, page aligned
 * @clear: clear the accessed bits found set (each page so found is marked
 *	accessed for reclaim)
 * @young: NULL, or a bitmap of (end - start) / PAGE_SIZE bits in which
 *	the bit of each page found accessed is set (others are left)
 *
 * Only what lies inside VMAs is walked; a hole reads as not accessed.
 *
 * Return: the number of pages found accessed.
 */
unsigned long kvmmig_hpt_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end, bool clear,
			       unsigned long *young)
{
	struct kvmmig_hpt_walk w = { .mm = mm, .leaf = kvmmig_hpt_young_leaf,
				     .start = start, .young = young,
				     .clear = clear };

	kvmmig_hpt_walk(&w, start, end, false);
	return w.nr_young;
}

/**
 * kvmmig_hpt_keep_young() - mark pages accessed that KVM found accessed
 * @mm: the address space, its mmap_lock held for read
 * @start: address of the first page, page aligned
 * @n: pages from @start
 * @keep: bitmap of @n bits: the pages to mark
 *
 * For the accessed bits of KVM's EPT/NPT that a scan clears through KVM's
 * aging ops: reclaim would have asked KVM for them (see the file comment).
 */
void kvmmig_hpt_keep_young(struct mm_struct *mm, unsigned long start,
			   unsigned long n, const unsigned long *keep)
{
	struct kvmmig_hpt_walk w = { .mm = mm, .leaf = kvmmig_hpt_keep_leaf,
				     .start = start, .keep = keep };

	kvmmig_hpt_walk(&w, start, start + n * PAGE_SIZE, false);
}

static void kvmmig_hpt_page_leaf(struct kvmmig_hpt_walk *w,
				 unsigned long addr, unsigned long next,
				 unsigned long *entry, unsigned long val,
				 struct page *page)
{
	w->leaf_seen = true;
	if (!page) {
		w->state = KVMMIG_HPT_UNREADABLE;
	} else if (is_zero_pfn(page_to_pfn(page))) {
		w->state = KVMMIG_HPT_ZERO_PAGE;
	} else if (try_get_page(page)) {
		w->state = KVMMIG_HPT_PAGE;
		w->page = page;
	} else {
		w->state = KVMMIG_HPT_ABSENT;	/* being freed */
	}
}

/*
 * No present leaf maps @addr: a hole, or an entry that is not present (swap,
 * migration).  For a file or shared-memory mapping a hole may still have
 * its page in the page cache (another process wrote it, or reclaim
 * unmapped it): look there, without ever creating one.
 */
static enum kvmmig_hpt_state kvmmig_hpt_cache_page(struct vm_area_struct *vma,
						   unsigned long addr,
						   struct page **pagep)
{
	struct address_space *mapping;
	struct folio *folio;
	pgoff_t index;
	void *entry;

	/* a hole userfaultfd is to fill is not zeroes: not placed yet */
	if (userfaultfd_missing(vma))
		return KVMMIG_HPT_MISSING;
	if (vma_is_anonymous(vma))
		return KVMMIG_HPT_NONE;	/* never written: reads as zeroes */
	if (!vma->vm_file || (vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)))
		return KVMMIG_HPT_UNREADABLE;
	if (is_vm_hugetlb_page(vma))
		return KVMMIG_HPT_ABSENT;	/* its page cache is indexed apart */
	mapping = vma->vm_file->f_mapping;
	index = linear_page_index(vma, addr);
	rcu_read_lock();
	entry = xa_load(&mapping->i_pages, index);
	if (!entry) {
		rcu_read_unlock();
		/* a hole of shared memory reads as zeroes too */
		return shmem_mapping(mapping) ? KVMMIG_HPT_NONE :
						KVMMIG_HPT_ABSENT;
	}
	if (xa_is_value(entry) || !folio_try_get(entry)) {
		rcu_read_unlock();
		return KVMMIG_HPT_ABSENT;	/* swapped out, or going */
	}
	folio = entry;
	if (xa_load(&mapping->i_pages, index) != folio) {
		rcu_read_unlock();
		folio_put(folio);
		return KVMMIG_HPT_ABSENT;
	}
	rcu_read_unlock();
	*pagep = folio_file_page(folio, index);
	return KVMMIG_HPT_PAGE;
}

/**
 * kvmmig_hpt_get_page() - the page at an address of the VMM, never faulted
 * @mm: the address space, its mmap_lock held for read
 * @addr: the address
 * @pagep: out: with KVMMIG_HPT_PAGE, the page, with a reference the caller
 *	drops with put_page()
 *
 * Reads the VMM's page tables under their locks (and a shared-memory
 * mapping's page cache) and takes a reference on what is there: nothing
 * is faulted in, allocated, swapped in or unshared, whatever the backing
 * (anonymous, THP, memfd/shmem, hugetlbfs).
 *
 * Return: KVMMIG_HPT_PAGE; KVMMIG_HPT_ZERO_PAGE for the shared zero page;
 * KVMMIG_HPT_NONE for memory never written (an anonymous or shared-memory
 * hole: it reads as zeroes); KVMMIG_HPT_MISSING for a hole that
 * userfaultfd (MISSING mode) is to fill: not placed yet;
 * KVMMIG_HPT_ABSENT for memory that is there but not resident (swapped
 * out, under migration, a hugetlbfs page the VMM has not mapped);
 * KVMMIG_HPT_UNREADABLE where nothing readable is mapped at @addr or the
 * mapping has no struct page (PROT_NONE, VM_PFNMAP, device memory).
 */
enum kvmmig_hpt_state kvmmig_hpt_get_page(struct mm_struct *mm,
					  unsigned long addr,
					  struct page **pagep)
{
	struct kvmmig_hpt_walk w = { .mm = mm, .leaf = kvmmig_hpt_page_leaf };
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	addr &= PAGE_MASK;
	vma = vma_lookup(mm, addr);
	if (!vma || !(vma->vm_flags & VM_READ))
		return KVMMIG_HPT_UNREADABLE;
	w.start = addr;
	kvmmig_hpt_walk(&w, addr, addr + PAGE_SIZE, true);
	if (w.leaf_seen) {
		*pagep = w.page;
		return w.state;
	}
	if (w.other_seen)
		return KVMMIG_HPT_ABSENT;
	return kvmmig_hpt_cache_page(vma, addr, pagep);
}
