// SPDX-License-Identifier: GPL-2.0
/*
 * Free-page hint map, pure logic: see include/kvmmig/free_hints.h.
 *
 * A chunk covers KVMMIG_HINT_CHUNK_PAGES frames with two bitmaps, "free"
 * and "fresh".  A chunk is in the xarray only while it holds a free frame
 * (nr_free > 0), between calls; an ADD first makes every chunk its ranges
 * need, and if one allocation fails (or a fatal signal is pending) it
 * frees the chunks it made (the empty ones) and returns with the map as it
 * was.  A REMOVE visits only the chunks present in its range, so its cost
 * follows the hinted memory, not the range (which may span 2^52 frames).
 * Every loop over chunks or ranges reschedules: the callers may pass 65536
 * ranges, each the whole guest.
 *
 * No locking here: the caller serialises all calls on a map, and may
 * sleep (it holds a mutex at most).
 */
#include <linux/bitmap.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <kvmmig/free_hints.h>
#include <kvmmig/ioctl.h>

struct kvmmig_hint_chunk {
	u32 nr_free;
	unsigned long *free;
	unsigned long *fresh;
};

static void kvmmig_hint_chunk_free(struct kvmmig_hint_chunk *c)
{
	if (!c)
		return;
	bitmap_free(c->free);
	bitmap_free(c->fresh);
	kfree(c);
}

static struct kvmmig_hint_chunk *kvmmig_hint_chunk_alloc(void)
{
	struct kvmmig_hint_chunk *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->free = bitmap_zalloc(KVMMIG_HINT_CHUNK_PAGES, GFP_KERNEL_ACCOUNT);
	c->fresh = bitmap_zalloc(KVMMIG_HINT_CHUNK_PAGES, GFP_KERNEL_ACCOUNT);
	if (!c->free || !c->fresh) {
		kvmmig_hint_chunk_free(c);
		return NULL;
	}
	return c;
}

/**
 * kvmmig_hint_map_init - an empty map
 * @m: the map
 */
void kvmmig_hint_map_init(struct kvmmig_hint_map *m)
{
	xa_init(&m->chunks);
	m->nr_free = 0;
	m->cached = false;
	m->last = NULL;
}

/* Drop chunks without a free frame; with @all, every chunk. */
static void kvmmig_hint_map_prune(struct kvmmig_hint_map *m, bool all)
{
	struct kvmmig_hint_chunk *c;
	unsigned long idx;

	m->cached = false;
	xa_for_each(&m->chunks, idx, c) {
		cond_resched();
		if (!all && c->nr_free)
			continue;
		m->nr_free -= c->nr_free;
		xa_erase(&m->chunks, idx);
		kvmmig_hint_chunk_free(c);
	}
}

/**
 * kvmmig_hint_map_destroy - free everything a map holds
 * @m: the map; it is empty and usable again afterwards
 */
void kvmmig_hint_map_destroy(struct kvmmig_hint_map *m)
{
	kvmmig_hint_map_prune(m, true);
	xa_destroy(&m->chunks);
}

/*
 * Make sure every chunk of frames [gfn, gfn + npages) exists: 0, -ENOMEM,
 * or -EINTR on a fatal signal.
 */
static int kvmmig_hint_map_reserve(struct kvmmig_hint_map *m, u64 gfn,
				   u64 npages)
{
	unsigned long idx, last = (gfn + npages - 1) >> KVMMIG_HINT_CHUNK_SHIFT;
	struct kvmmig_hint_chunk *c;
	int ret;

	for (idx = gfn >> KVMMIG_HINT_CHUNK_SHIFT; idx <= last; idx++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		if (xa_load(&m->chunks, idx))
			continue;
		c = kvmmig_hint_chunk_alloc();
		if (!c)
			return -ENOMEM;
		ret = xa_err(xa_store(&m->chunks, idx, c, GFP_KERNEL_ACCOUNT));
		if (ret) {
			kvmmig_hint_chunk_free(c);
			return ret;
		}
		m->cached = false;
	}
	return 0;
}

/* Set bits of @map in [@off, @off + @n): only the words the range covers. */
static u32 kvmmig_hint_weight(const unsigned long *map, u32 off, u32 n)
{
	u32 end = off + n, w = 0;

	while (off < end) {
		u32 bit = off % BITS_PER_LONG;
		u32 k = min_t(u32, end - off, BITS_PER_LONG - bit);
		unsigned long v = map[off / BITS_PER_LONG] >> bit;

		if (k < BITS_PER_LONG)
			v &= (1UL << k) - 1;
		w += hweight_long(v);
		off += k;
	}
	return w;
}

/*
 * Hint frames [gfn, gfn + npages) free and fresh; their chunks exist.
 * The counts follow the bits that change, range by range (no recount of
 * a whole chunk).  Stops between chunks on a fatal signal: -EINTR, the
 * frames before that hinted.
 */
static int kvmmig_hint_set(struct kvmmig_hint_map *m, u64 gfn, u64 npages)
{
	u64 g = gfn, end = gfn + npages;

	while (g < end) {
		unsigned long idx = g >> KVMMIG_HINT_CHUNK_SHIFT;
		u32 off = g & (KVMMIG_HINT_CHUNK_PAGES - 1);
		u32 n = min_t(u64, end - g, KVMMIG_HINT_CHUNK_PAGES - off);
		struct kvmmig_hint_chunk *c = xa_load(&m->chunks, idx);
		u32 added;

		if (fatal_signal_pending(current))
			return -EINTR;
		g += n;
		cond_resched();
		if (WARN_ON_ONCE(!c))
			continue;
		added = n - kvmmig_hint_weight(c->free, off, n);
		bitmap_set(c->free, off, n);
		bitmap_set(c->fresh, off, n);
		c->nr_free += added;
		m->nr_free += added;
	}
	return 0;
}

/**
 * kvmmig_hint_map_add - hint frames free
 * @m: the map
 * @r: ranges, each non-empty and not wrapping (they may overlap)
 * @nr: entries in @r
 *
 * Every frame of every range becomes free and fresh (hinted after the
 * last mark), also when it was hinted before.  Memory is reserved first;
 * once that succeeded the call fails only on a fatal signal.  The work is
 * in proportion to the frames of the ranges: callers pass disjoint ranges
 * (KVMMIG_FREE_HINTS merges overlapping ones first).
 *
 * Return: 0, or -ENOMEM or -EINTR (a fatal signal) with the map unchanged
 * while memory is reserved; -EINTR on a fatal signal while frames are
 * set, with the frames before it hinted (only a dying caller sees that).
 */
int kvmmig_hint_map_add(struct kvmmig_hint_map *m,
			const struct kvmmig_gfn_range *r, u32 nr)
{
	u32 i;
	int ret;

	for (i = 0; i < nr; i++) {
		ret = kvmmig_hint_map_reserve(m, r[i].gfn, r[i].npages);
		if (ret) {
			/* the chunks made above are the empty ones */
			kvmmig_hint_map_prune(m, false);
			return ret;
		}
	}
	for (i = 0; i < nr; i++) {
		ret = kvmmig_hint_set(m, r[i].gfn, r[i].npages);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kvmmig_hint_map_remove - frames [@gfn, @gfn + @npages) hold data again
 * @m: the map
 * @gfn: first frame
 * @npages: frames, not wrapping
 *
 * Frames not hinted are left as they are; chunks left empty are freed.
 * Only the chunks present in the range are visited, so a huge range costs
 * no more than the hints it holds.
 */
void kvmmig_hint_map_remove(struct kvmmig_hint_map *m, u64 gfn, u64 npages)
{
	u64 end = gfn + npages;
	struct kvmmig_hint_chunk *c;
	unsigned long idx;

	if (!m->nr_free || !npages)
		return;
	xa_for_each_range(&m->chunks, idx, c, gfn >> KVMMIG_HINT_CHUNK_SHIFT,
			  (end - 1) >> KVMMIG_HINT_CHUNK_SHIFT) {
		u64 base = (u64)idx << KVMMIG_HINT_CHUNK_SHIFT;
		u64 lo = max(gfn, base);
		u64 hi = min(end, base + KVMMIG_HINT_CHUNK_PAGES);

		u32 removed = kvmmig_hint_weight(c->free, lo - base, hi - lo);

		cond_resched();
		bitmap_clear(c->free, lo - base, hi - lo);
		bitmap_clear(c->fresh, lo - base, hi - lo);
		c->nr_free -= removed;
		m->nr_free -= removed;
		if (c->nr_free)
			continue;
		xa_erase(&m->chunks, idx);
		kvmmig_hint_chunk_free(c);
		m->cached = false;
	}
}

/**
 * kvmmig_hint_map_mark - every hint so far becomes settled (not fresh)
 * @m: the map
 */
void kvmmig_hint_map_mark(struct kvmmig_hint_map *m)
{
	struct kvmmig_hint_chunk *c;
	unsigned long idx;

	xa_for_each(&m->chunks, idx, c) {
		bitmap_zero(c->fresh, KVMMIG_HINT_CHUNK_PAGES);
		cond_resched();
	}
}

/**
 * kvmmig_hint_map_clear - forget every hint
 * @m: the map
 */
void kvmmig_hint_map_clear(struct kvmmig_hint_map *m)
{
	kvmmig_hint_map_prune(m, true);
}

/**
 * kvmmig_hint_map_test - the hint state of one frame
 * @m: the map
 * @gfn: the frame
 *
 * Return: 0 when @gfn is not hinted, else KVMMIG_HINT_FREE, with
 * KVMMIG_HINT_FRESH when the hint came after the last mark.
 */
unsigned int kvmmig_hint_map_test(struct kvmmig_hint_map *m, u64 gfn)
{
	unsigned long idx = gfn >> KVMMIG_HINT_CHUNK_SHIFT;
	u32 off = gfn & (KVMMIG_HINT_CHUNK_PAGES - 1);
	struct kvmmig_hint_chunk *c;

	if (!m->nr_free)
		return 0;
	if (!m->cached || m->last_idx != idx) {
		m->last = xa_load(&m->chunks, idx);
		m->last_idx = idx;
		m->cached = true;
	}
	c = m->last;
	if (!c || !test_bit(off, c->free))
		return 0;
	return KVMMIG_HINT_FREE |
	       (test_bit(off, c->fresh) ? KVMMIG_HINT_FRESH : 0);
}

/*
 * KVMMIG_FREE_HINTS, beyond the dispatcher's checks: at most one
 * operation (none is a query); ADD and REMOVE take 1..MAX ranges, the
 * others none.  @nr_done is an output and not looked at.
 */
int kvmmig_check_free_hints(const struct kvmmig_free_hints *a)
{
	u32 op = a->flags & KVMMIG_FREE_HINT_FLAGS;

	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (hweight32(op) > 1)
		return -EINVAL;
	if (op & (KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE)) {
		if (!a->nr_ranges || a->nr_ranges > KVMMIG_FREE_HINT_MAX_RANGES ||
		    !a->ranges_ptr)
			return -EINVAL;
	} else if (a->nr_ranges || a->ranges_ptr) {
		return -EINVAL;
	}
	return 0;
}

/* One range of a hint: at least one frame, ending by KVMMIG_GFN_LIMIT. */
int kvmmig_check_gfn_range(const struct kvmmig_gfn_range *r)
{
	if (!r->npages || r->npages > KVMMIG_GFN_LIMIT ||
	    r->gfn > KVMMIG_GFN_LIMIT - r->npages)
		return -EINVAL;
	return 0;
}
