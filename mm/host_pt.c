// SPDX-License-Identifier: GPL-2.0
/*
 * The one walker of the VMM's (host) page tables: reads, and optionally
 * clears, the accessed bits of the present leaf entries mapping a range.
 * walk_page_range() is not exported, so this descends by hand; it knows
 * 4 KiB PTEs, 2 MiB PMD leaves (THP, hugetlb) and 1 GiB PUD leaves.  A leaf
 * larger than a page answers for every page it maps.
 *
 * Locking contract: the caller holds mmap_lock for read, which keeps the
 * PGD/P4D/PUD/PMD tables in place.  PTE tables may be freed under a read
 * lock on newer kernels (khugepaged retracting a collapsed range frees
 * them after an RCU grace period), so each PTE table is reached from a
 * snapshot of its PMD entry inside rcu_read_lock(), as the core mm does.
 * No page-table lock is taken: the hardware sets accessed bits without
 * one, and test_and_clear_bit() is the atomic the kernel's own
 * ptep_test_and_clear_young() uses on x86.  A leaf that changes under the
 * walk (split, zapped, migrated) is read as it was, or skipped; clearing
 * the accessed bit of a non-leaf entry that replaced a leaf is harmless.
 */
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <kvmmig/host_pt.h>

struct kvmmig_hpt_walk {
	unsigned long start;	/* of the range: bit 0 of @young */
	unsigned long *young;
	unsigned long nr_young;
	bool clear;
};

/* A leaf mapping [addr, next) of the range was found with @young set. */
static void kvmmig_hpt_mark(struct kvmmig_hpt_walk *w, unsigned long addr,
			    unsigned long next)
{
	unsigned long first = (addr - w->start) >> PAGE_SHIFT;
	unsigned long n = (next - addr) >> PAGE_SHIFT;

	w->nr_young += n;
	if (w->young)
		bitmap_set(w->young, first, n);
}

/* Test (and clear) the accessed bit of the leaf entry at @entry. */
static bool kvmmig_hpt_leaf_young(unsigned long *entry, unsigned long val,
				  bool clear)
{
	if (!(val & _PAGE_ACCESSED))
		return false;
	if (clear)
		return test_and_clear_bit(_PAGE_BIT_ACCESSED, entry);
	return true;
}

static void kvmmig_hpt_pte_range(struct kvmmig_hpt_walk *w, pmd_t pmdval,
				 unsigned long addr, unsigned long end)
{
	pte_t *ptep = pte_offset_kernel(&pmdval, addr);

	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = ptep_get(ptep);

		if (pte_present(pte) &&
		    kvmmig_hpt_leaf_young((unsigned long *)ptep, pte_val(pte),
					  w->clear))
			kvmmig_hpt_mark(w, addr, addr + PAGE_SIZE);
	}
}

static void kvmmig_hpt_pmd_range(struct kvmmig_hpt_walk *w, pud_t *pudp,
				 unsigned long addr, unsigned long end)
{
	pmd_t *pmdp = pmd_offset(pudp, addr);
	unsigned long next;

	for (; addr < end; addr = next, pmdp++) {
		pmd_t pmdval;

		next = pmd_addr_end(addr, end);
		rcu_read_lock();
		pmdval = READ_ONCE(*pmdp);
		if (pmd_none(pmdval) || !pmd_present(pmdval)) {
			rcu_read_unlock();
			continue;
		}
		if (pmd_leaf(pmdval)) {
			if (kvmmig_hpt_leaf_young((unsigned long *)pmdp,
						  pmd_val(pmdval), w->clear))
				kvmmig_hpt_mark(w, addr, next);
		} else if (!pmd_bad(pmdval)) {
			kvmmig_hpt_pte_range(w, pmdval, addr, next);
		}
		rcu_read_unlock();
	}
}

static void kvmmig_hpt_pud_range(struct kvmmig_hpt_walk *w, p4d_t *p4dp,
				 unsigned long addr, unsigned long end)
{
	pud_t *pudp = pud_offset(p4dp, addr);
	unsigned long next;

	for (; addr < end; addr = next, pudp++) {
		pud_t pudval = READ_ONCE(*pudp);

		next = pud_addr_end(addr, end);
		if (pud_none(pudval) || !pud_present(pudval))
			continue;
		if (pud_leaf(pudval)) {
			if (kvmmig_hpt_leaf_young((unsigned long *)pudp,
						  pud_val(pudval), w->clear))
				kvmmig_hpt_mark(w, addr, next);
		} else if (!pud_bad(pudval)) {
			kvmmig_hpt_pmd_range(w, pudp, addr, next);
		}
	}
}

/**
 * kvmmig_hpt_young() - accessed bits of the host page tables over a range
 * @mm: the address space, its mmap_lock held for read
 * @start: first address, page aligned
 * @end: end of the range, page aligned
 * @clear: clear the accessed bits found set
 * @young: NULL, or a bitmap of (end - start) / PAGE_SIZE bits in which
 *	the bit of each page found accessed is set (others are left)
 *
 * Return: the number of pages found accessed.
 */
unsigned long kvmmig_hpt_young(struct mm_struct *mm, unsigned long start,
			       unsigned long end, bool clear,
			       unsigned long *young)
{
	struct kvmmig_hpt_walk w = { .start = start, .young = young,
				     .clear = clear };
	unsigned long addr, next, p4next;
	pgd_t *pgdp;

	mmap_assert_locked(mm);
	pgdp = pgd_offset(mm, start);
	for (addr = start; addr < end; addr = next, pgdp++) {
		p4d_t *p4dp;

		next = pgd_addr_end(addr, end);
		if (pgd_none(*pgdp) || pgd_bad(*pgdp))
			continue;
		p4dp = p4d_offset(pgdp, addr);
		for (; addr < next; addr = p4next, p4dp++) {
			p4next = p4d_addr_end(addr, next);
			if (p4d_none(*p4dp) || p4d_bad(*p4dp))
				continue;
			kvmmig_hpt_pud_range(&w, p4dp, addr, p4next);
		}
	}
	return w.nr_young;
}

/**
 * kvmmig_hpt_entry() - what the host page tables hold for one address
 * @mm: the address space, its mmap_lock held for read
 * @addr: the address
 *
 * Same rules as kvmmig_hpt_young(): the PTE table is reached from a
 * snapshot of its PMD entry inside rcu_read_lock().  A swap or migration
 * entry, a huge leaf (the huge zero page included) and a page are all
 * KVMMIG_HPT_OTHER; only a missing entry at some level is
 * KVMMIG_HPT_NONE.
 *
 * Return: the state of @addr's leaf.
 */
enum kvmmig_hpt_state kvmmig_hpt_entry(struct mm_struct *mm, unsigned long addr)
{
	enum kvmmig_hpt_state st = KVMMIG_HPT_OTHER;
	pgd_t *pgdp;
	p4d_t *p4dp;
	pud_t *pudp, pudval;
	pmd_t pmdval;
	pte_t pte;

	mmap_assert_locked(mm);
	pgdp = pgd_offset(mm, addr);
	if (pgd_none(*pgdp))
		return KVMMIG_HPT_NONE;
	if (pgd_bad(*pgdp))
		return KVMMIG_HPT_OTHER;
	p4dp = p4d_offset(pgdp, addr);
	if (p4d_none(*p4dp))
		return KVMMIG_HPT_NONE;
	if (p4d_bad(*p4dp))
		return KVMMIG_HPT_OTHER;
	pudp = pud_offset(p4dp, addr);
	pudval = READ_ONCE(*pudp);
	if (pud_none(pudval))
		return KVMMIG_HPT_NONE;
	if (!pud_present(pudval) || pud_leaf(pudval) || pud_bad(pudval))
		return KVMMIG_HPT_OTHER;

	rcu_read_lock();
	pmdval = READ_ONCE(*pmd_offset(pudp, addr));
	if (pmd_none(pmdval)) {
		st = KVMMIG_HPT_NONE;
	} else if (pmd_present(pmdval) && !pmd_leaf(pmdval) && !pmd_bad(pmdval)) {
		pte = ptep_get(pte_offset_kernel(&pmdval, addr));
		if (pte_none(pte))
			st = KVMMIG_HPT_NONE;
		else if (pte_present(pte) && is_zero_pfn(pte_pfn(pte)))
			st = KVMMIG_HPT_ZERO_PAGE;
	}
	rcu_read_unlock();
	return st;
}
