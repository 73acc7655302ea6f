// SPDX-License-Identifier: GPL-2.0
/*
 * Reverse index GPA -> GVA of one guest address space, the teardown
 * judge and prefetch-list ordering: pure logic (include/kvmmig/prefetch.h,
 * Documentation/postcopy.rst).
 *
 * No locks: an index belongs to its caller, who serialises all access.
 *
 * An index is a list of extents (runs of pages contiguous both in
 * guest-virtual and guest-physical space) in ascending gva order, as a
 * page-table walk reports them, plus a copy of them sorted by gpa with a
 * running maximum of their ends: a lookup is a binary search and a short
 * scan back over the extents that may still cover the frame.  A frame
 * mapped several times (a user mapping and the kernel's direct map) gives
 * its lowest gva: the low half, user space, where guest-virtual neighbours
 * mean the most.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <kvmmig/prefetch.h>

#define RX_SHIFT	12
#define RX_PAGE		BIT_ULL(RX_SHIFT)

/**
 * kvmmig_rindex_alloc() - prepare an empty index
 * @ri: the index (its contents are overwritten)
 * @cap: the most extents it may hold, at least 1
 *
 * Allocates 24 bytes per extent of @cap (GFP_KERNEL_ACCOUNT): may sleep.
 *
 * Return: 0, -EINVAL for a zero @cap, or -ENOMEM.
 */
int kvmmig_rindex_alloc(struct kvmmig_rindex *ri, u32 cap)
{
	memset(ri, 0, sizeof(*ri));
	if (!cap)
		return -EINVAL;
	ri->ext = kvmalloc_array(cap, sizeof(*ri->ext), GFP_KERNEL_ACCOUNT);
	if (!ri->ext)
		return -ENOMEM;
	ri->cap = cap;
	return 0;
}

/**
 * kvmmig_rindex_free() - free an index's arrays
 * @ri: the index; may be zeroed or half allocated
 */
void kvmmig_rindex_free(struct kvmmig_rindex *ri)
{
	kvfree(ri->ext);
	kvfree(ri->by_gpa);
	kvfree(ri->maxend);
	memset(ri, 0, sizeof(*ri));
}

/**
 * kvmmig_rindex_add() - append a present mapping
 * @ri: the index, not finished yet
 * @gva: guest-virtual address of the mapping, above every one added so far
 * @gpa: guest-physical address of its first byte
 * @size: its size: a multiple of 4 KiB (4 KiB, 2 MiB, 1 GiB pages)
 *
 * Merged into the last extent when it continues it in both spaces.
 *
 * Return: 0; -ENOSPC when the index is full (@ri->full is set: the caller
 * stops adding); -EINVAL for an unaligned, empty, out-of-order or
 * overlapping mapping (ignored: nothing is added).
 */
int kvmmig_rindex_add(struct kvmmig_rindex *ri, u64 gva, u64 gpa, u64 size)
{
	u64 npages = size >> RX_SHIFT;
	struct kvmmig_rx_ext *last;

	if (ri->finished || !npages || (size | gva | gpa) & (RX_PAGE - 1))
		return -EINVAL;
	if (ri->nr) {
		last = &ri->ext[ri->nr - 1];
		/* gva must lie above the last extent's last page */
		if (gva <= last->gva + ((last->npages - 1) << RX_SHIFT))
			return -EINVAL;
		if (last->gva + (last->npages << RX_SHIFT) == gva &&
		    last->gpa + (last->npages << RX_SHIFT) == gpa) {
			last->npages += npages;
			return 0;
		}
	}
	if (ri->nr == ri->cap) {
		ri->full = true;
		return -ENOSPC;
	}
	ri->ext[ri->nr].gva = gva;
	ri->ext[ri->nr].gpa = gpa;
	ri->ext[ri->nr].npages = npages;
	ri->nr++;
	return 0;
}

/* Extents by gpa, then gva. */
static int rx_cmp_gpa(const void *a, const void *b)
{
	const struct kvmmig_rx_ext *x = a, *y = b;

	if (x->gpa != y->gpa)
		return x->gpa < y->gpa ? -1 : 1;
	if (x->gva != y->gva)
		return x->gva < y->gva ? -1 : 1;
	return 0;
}

/**
 * kvmmig_rindex_finish() - make an index ready for lookups
 * @ri: the index; adding ends here
 *
 * Sorts a copy of the extents by gpa: O(n log n); allocates 32 bytes per
 * extent (GFP_KERNEL_ACCOUNT): may sleep.
 *
 * Return: 0 or -ENOMEM (then the index stays unfinished: no lookups).
 */
int kvmmig_rindex_finish(struct kvmmig_rindex *ri)
{
	u32 n = max_t(u32, ri->nr, 1), i;
	u64 m = 0;

	if (ri->finished || !ri->ext)
		return -EINVAL;
	ri->by_gpa = kvmalloc_array(n, sizeof(*ri->by_gpa), GFP_KERNEL_ACCOUNT);
	ri->maxend = kvmalloc_array(n, sizeof(*ri->maxend), GFP_KERNEL_ACCOUNT);
	if (!ri->by_gpa || !ri->maxend) {
		kvfree(ri->by_gpa);
		kvfree(ri->maxend);
		ri->by_gpa = NULL;
		ri->maxend = NULL;
		return -ENOMEM;
	}
	memcpy(ri->by_gpa, ri->ext, ri->nr * sizeof(*ri->ext));
	sort(ri->by_gpa, ri->nr, sizeof(*ri->by_gpa), rx_cmp_gpa, NULL);
	for (i = 0; i < ri->nr; i++) {
		const struct kvmmig_rx_ext *e = &ri->by_gpa[i];

		m = max(m, e->gpa + (e->npages << RX_SHIFT));
		ri->maxend[i] = m;
	}
	ri->finished = true;
	ri->cursor = 0;
	ri->gone_run = 0;
	return 0;
}

/**
 * kvmmig_rindex_pages() - pages an index maps
 * @ri: the index
 *
 * Return: the sum of its extents' pages.
 */
u64 kvmmig_rindex_pages(const struct kvmmig_rindex *ri)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i < ri->nr; i++)
		n += ri->ext[i].npages;
	return n;
}

/**
 * kvmmig_rindex_lookup() - the guest-virtual page of a guest-physical one
 * @ri: a finished index
 * @gpa: any byte of the frame
 * @gva: out: the page's guest-virtual address (4 KiB aligned)
 *
 * O(log n) plus at most %KVMMIG_RX_SCAN_MAX extents that start at or
 * below the frame and may still cover it; of those that do, the lowest
 * gva wins.  A frame covered only by an extent further back (a large
 * direct map below many small ones) is a miss.
 *
 * Return: true when found.
 */
bool kvmmig_rindex_lookup(const struct kvmmig_rindex *ri, u64 gpa, u64 *gva)
{
	u64 page = gpa & ~(RX_PAGE - 1), best = 0;
	u32 lo = 0, hi = ri->nr, steps = 0;
	bool found = false;
	s64 j;

	if (!ri->finished || !ri->nr)
		return false;
	/* lo: the first extent (by gpa) starting above the frame */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (ri->by_gpa[mid].gpa <= page)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (j = (s64)lo - 1; j >= 0 && steps < KVMMIG_RX_SCAN_MAX; j--, steps++) {
		const struct kvmmig_rx_ext *e = &ri->by_gpa[j];

		if (ri->maxend[j] <= page)
			break;
		if (page < e->gpa + (e->npages << RX_SHIFT)) {
			u64 v = e->gva + (page - e->gpa);

			if (!found || v < best)
				best = v;
			found = true;
		}
	}
	if (found)
		*gva = best;
	return found;
}

/**
 * kvmmig_rindex_sample() - the next mappings to re-validate
 * @ri: a finished index
 * @gvas: out: guest-virtual page of each sample
 * @gpas: out: the gpa the index has for it
 * @max: room in both
 *
 * One sample per extent (its first page), from @ri->cursor in gva order,
 * up to the last extent; the next call goes on from there, then wraps to
 * the first.  A new round resets the run of gone samples.
 *
 * Return: the number of samples.
 */
u32 kvmmig_rindex_sample(struct kvmmig_rindex *ri, u64 *gvas, u64 *gpas,
			 u32 max)
{
	u32 n = 0;

	if (!ri->finished || !ri->nr)
		return 0;
	if (ri->cursor >= ri->nr)
		ri->cursor = 0;
	if (!ri->cursor)
		ri->gone_run = 0;
	while (n < max && ri->cursor + n < ri->nr) {
		gvas[n] = ri->ext[ri->cursor + n].gva;
		gpas[n] = ri->ext[ri->cursor + n].gpa;
		n++;
	}
	return n;
}

/**
 * kvmmig_rindex_judge() - judge the samples of kvmmig_rindex_sample()
 * @ri: the index
 * @res: an &enum kvmmig_rx_sample per sample, in order
 * @n: samples (as returned by kvmmig_rindex_sample())
 * @run: the teardown run length, at least 1
 *
 * Teardown: @run sampled extents in a row, in gva order, that were
 * present when the index was built and are not present now (fewer when
 * the index has fewer extents: all of them).  Extents whose tables cannot
 * be read neither extend nor break a run.  A sample that maps another gpa
 * makes the index stale.  Advances the cursor past the samples.
 *
 * Return: the verdict.
 */
enum kvmmig_rx_verdict kvmmig_rindex_judge(struct kvmmig_rindex *ri,
					   const u8 *res, u32 n, u32 run)
{
	u32 need = clamp_t(u32, run, 1, max_t(u32, ri->nr, 1)), i;

	for (i = 0; i < n; i++) {
		switch (res[i]) {
		case KVMMIG_RX_SAME:
			ri->gone_run = 0;
			break;
		case KVMMIG_RX_GONE:
			if (++ri->gone_run >= need)
				return KVMMIG_RX_TEARDOWN;
			break;
		case KVMMIG_RX_MOVED:
			return KVMMIG_RX_STALE;
		default:
			break;
		}
	}
	ri->cursor += n;
	return KVMMIG_RX_KEEP;
}

/* Is @gpa in the sorted @seen[0..n)?  Else its insertion point. */
static bool pf_seen(const u64 *seen, u32 n, u64 gpa, u32 *pos)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (seen[mid] == gpa)
			return true;
		if (seen[mid] < gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return false;
}

/**
 * kvmmig_pf_order() - a prefetch list from a window of pages
 * @slot: the window's guest-physical pages, @below + 1 + @above of them,
 *	the faulting page at @slot[@below]; %KVMMIG_RX_NONE for none
 * @below: pages of the window below the faulting one
 * @above: pages of the window above it
 * @self_gpa: the faulting frame (any byte of it): never listed
 * @keep: filter, or NULL for none
 * @arg: passed to @keep
 * @out: receives the list
 * @max: room in @out
 * @seen: scratch room for @max entries
 *
 * Nearest first, the page above before the one below at equal distance
 * (+1, -1, +2, -2, ...); a frame is listed once, at its nearest place;
 * frames @keep refuses are left out.
 *
 * Return: the number listed.
 */
u32 kvmmig_pf_order(const u64 *slot, u32 below, u32 above, u64 self_gpa,
		    kvmmig_pf_keep_t keep, void *arg, u64 *out, u32 max,
		    u64 *seen)
{
	u64 self = self_gpa & ~(RX_PAGE - 1);
	u32 nr = 0, d, side, far = max(below, above);

	for (d = 1; d <= far && nr < max; d++) {
		for (side = 0; side < 2 && nr < max; side++) {
			u32 pos = 0;
			u64 gpa;

			if (side == 0 && d > above)
				continue;
			if (side == 1 && d > below)
				continue;
			gpa = slot[side == 0 ? below + d : below - d];
			if (gpa == KVMMIG_RX_NONE)
				continue;
			gpa &= ~(RX_PAGE - 1);
			if (gpa == self || pf_seen(seen, nr, gpa, &pos))
				continue;
			if (keep && !keep(arg, gpa))
				continue;
			memmove(&seen[pos + 1], &seen[pos],
				(nr - pos) * sizeof(*seen));
			seen[pos] = gpa;
			out[nr++] = gpa;
		}
	}
	return nr;
}

/**
 * kvmmig_check_prefetch() - check a struct kvmmig_prefetch
 * @a: the kernel's copy of the argument (@size and @flags checked by the
 *	dispatcher)
 *
 * The window and the list's room within KVMMIG_PREFETCH_MAX_WINDOW, at
 * most 2^40 bits of have-bitmap, with KVMMIG_PREFETCH_CR3 a paging mode
 * the walker knows, reserved fields zero.  The output fields (@gva,
 * @nr_gfns, @source; @cr3, @mode without KVMMIG_PREFETCH_CR3) are not
 * looked at.
 *
 * Return: 0 or -EINVAL.
 */
int kvmmig_check_prefetch(const struct kvmmig_prefetch *a)
{
	if (a->reserved0 || memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	/* a frame of a 64-bit guest-physical address */
	if (a->gfn >= BIT_ULL(64 - PAGE_SHIFT))
		return -EINVAL;
	if (a->window > KVMMIG_PREFETCH_MAX_WINDOW ||
	    a->max_gfns > 2 * KVMMIG_PREFETCH_MAX_WINDOW ||
	    a->have_npages > BIT_ULL(40))
		return -EINVAL;
	if ((a->flags & KVMMIG_PREFETCH_CR3) &&
	    a->mode != KVMMIG_PAGING_PAE && a->mode != KVMMIG_PAGING_LONG4 &&
	    a->mode != KVMMIG_PAGING_LONG5)
		return -EINVAL;
	return 0;
}
