// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker, pure logic (see include/kvmmig/guest_pt.h and
 * Documentation/postcopy.rst).
 *
 * No locks: a walk works on its own stack state and reads guest memory
 * only through the caller's reader.  Guest memory may change under a walk;
 * the result is then some mix of old and new tables, never a fault or an
 * unbounded walk: a walk descends at most 5 levels from CR3 (whatever the
 * entries point at, a loop included), the range walker never recurses and
 * reads at most its max_entries entries.
 *
 * Addresses are handled as "linear" addresses la: the low 32 (PAE), 48 or
 * 57 (long mode) bits of the guest-virtual address.  For canonical
 * addresses that order is the unsigned order of the addresses themselves
 * (low half, then high half), and the non-canonical hole has no la at all.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kvmmig/guest_pt.h>

#define GPT_P		BIT_ULL(0)	/* present */
#define GPT_PS		BIT_ULL(7)	/* page size (leaf above the PT) */
#define GPT_SHIFT	12
#define GPT_PAGE	BIT_ULL(GPT_SHIFT)
#define GPT_NONE	U64_MAX		/* no GPA (not page-aligned) */

/* Entries cached per level by the range walker: one read of 128 bytes. */
#define GPT_BATCH	16

/* CR0.PG, CR4.PAE, CR4.LA57, EFER.LMA */
#define GPT_CR0_PG	BIT_ULL(31)
#define GPT_CR4_PAE	BIT_ULL(5)
#define GPT_CR4_LA57	BIT_ULL(12)
#define GPT_EFER_LMA	BIT_ULL(10)

/* One address space's geometry, derived from a validated kvmmig_gpt. */
struct gpt_geo {
	const struct kvmmig_gpt *w;
	u64 addr_mask;		/* bits maxphyaddr-1:12 */
	u64 root;		/* gpa of the top table */
	u32 top;		/* level of the top table */
	u32 la_bits;		/* 32, 48 or 57 */
	bool pae;
};

static int gpt_geo(const struct kvmmig_gpt *w, struct gpt_geo *g)
{
	u32 maxphy;

	if (!w || !w->read)
		return -EINVAL;
	maxphy = w->maxphyaddr ? w->maxphyaddr : KVMMIG_GPT_DEFAULT_MAXPHYADDR;
	if (maxphy < 32 || maxphy > 52)
		return -EINVAL;
	g->w = w;
	g->addr_mask = GENMASK_ULL(maxphy - 1, 12);
	g->pae = w->mode == KVMMIG_GPT_PAE;
	switch (w->mode) {
	case KVMMIG_GPT_PAE:
		g->top = 3;
		g->la_bits = 32;
		g->root = w->cr3 & GENMASK_ULL(31, 5);
		break;
	case KVMMIG_GPT_LONG4:
		g->top = 4;
		g->la_bits = 48;
		g->root = w->cr3 & g->addr_mask;
		break;
	case KVMMIG_GPT_LONG5:
		g->top = 5;
		g->la_bits = 57;
		g->root = w->cr3 & g->addr_mask;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static u32 gpt_shift(u32 level)
{
	return 12 + 9 * (level - 1);
}

/* Entries in a table of @level: PAE's top table (the PDPT) has 4. */
static u32 gpt_nent(const struct gpt_geo *g, u32 level)
{
	return g->pae && level == 3 ? 4 : 512;
}

static u32 gpt_index(const struct gpt_geo *g, u32 level, u64 la)
{
	return (la >> gpt_shift(level)) & (gpt_nent(g, level) - 1);
}

/*
 * Is @e, present at @level, a leaf?  PS is honoured only where the
 * architecture defines it (PDE; PDPTE in long mode); elsewhere bit 7 is
 * reserved and, like all reserved bits, ignored.
 */
static bool gpt_leaf(const struct gpt_geo *g, u32 level, u64 e)
{
	if (level == 1)
		return true;
	if (!(e & GPT_PS))
		return false;
	return level == 2 || (level == 3 && !g->pae);
}

static bool gpt_canonical(const struct gpt_geo *g, u64 gva)
{
	u32 unused = 64 - g->la_bits;

	if (g->pae)
		return gva <= U32_MAX;
	return (u64)((s64)(gva << unused) >> unused) == gva;
}

static u64 gpt_la(const struct gpt_geo *g, u64 gva)
{
	return gva & (BIT_ULL(g->la_bits) - 1);
}

static u64 gpt_gva(const struct gpt_geo *g, u64 la)
{
	u32 unused = 64 - g->la_bits;

	if (g->pae)
		return la;
	return (u64)((s64)(la << unused) >> unused);
}

static int gpt_read(const struct gpt_geo *g, u64 gpa, void *buf, u32 len)
{
	return g->w->read(g->w->ctx, gpa, buf, len) ? -EFAULT : 0;
}

/**
 * kvmmig_gpt_init() - fill and check a walker
 * @w: the walker
 * @mode: an &enum kvmmig_gpt_mode
 * @cr3: the guest's CR3
 * @maxphyaddr: guest physical-address width (32..52), 0 for 52
 * @read: guest-memory reader
 * @ctx: passed to @read
 *
 * Return: 0, or -EINVAL for a bad @mode, @maxphyaddr or @read (then @w is
 * still filled in, but every walk with it fails with -EINVAL).
 */
int kvmmig_gpt_init(struct kvmmig_gpt *w, u32 mode, u64 cr3, u32 maxphyaddr,
		    kvmmig_gpt_read_t read, void *ctx)
{
	struct gpt_geo g;

	w->read = read;
	w->ctx = ctx;
	w->cr3 = cr3;
	w->mode = mode;
	w->maxphyaddr = maxphyaddr;
	return gpt_geo(w, &g);
}

/**
 * kvmmig_gpt_mode_from_regs() - the paging mode of a vCPU
 * @cr0: its CR0
 * @cr4: its CR4
 * @efer: its EFER
 *
 * Return: the &enum kvmmig_gpt_mode, or 0 when paging is off or is 2-level
 * 32-bit paging (not supported).
 */
u32 kvmmig_gpt_mode_from_regs(u64 cr0, u64 cr4, u64 efer)
{
	if (!(cr0 & GPT_CR0_PG) || !(cr4 & GPT_CR4_PAE))
		return 0;
	if (!(efer & GPT_EFER_LMA))
		return KVMMIG_GPT_PAE;
	return cr4 & GPT_CR4_LA57 ? KVMMIG_GPT_LONG5 : KVMMIG_GPT_LONG4;
}

/**
 * kvmmig_gpt_canonical() - is @gva an address of @w's address space
 * @w: the walker
 * @gva: guest-virtual address
 *
 * Return: true when @gva is canonical (long mode: bits 63:47, or 63:56 with
 * 5 levels, all equal; PAE: below 4 GiB) and @w is valid.
 */
bool kvmmig_gpt_canonical(const struct kvmmig_gpt *w, u64 gva)
{
	struct gpt_geo g;

	return !gpt_geo(w, &g) && gpt_canonical(&g, gva);
}

/* The last entries read at one level: a window of one table. */
struct gpt_cache {
	u64 table;
	u32 first;
	u32 nr;
	__le64 e[GPT_BATCH];
};

struct gpt_walk {
	struct gpt_geo g;
	u32 budget;
	struct gpt_cache cache[KVMMIG_GPT_MAX_LEVELS];
};

/* Entry @idx of the table at @table of @level; costs one of the budget. */
static int gpt_entry(struct gpt_walk *wk, u32 level, u64 table, u32 idx,
		     u64 *e)
{
	struct gpt_cache *c = &wk->cache[level - 1];

	if (!wk->budget)
		return -E2BIG;
	wk->budget--;
	if (!c->nr || c->table != table || idx < c->first ||
	    idx >= c->first + c->nr) {
		u32 n = min_t(u32, GPT_BATCH, gpt_nent(&wk->g, level) - idx);
		int ret;

		c->nr = 0;
		ret = gpt_read(&wk->g, table + 8 * idx, c->e, 8 * n);
		if (ret)
			return ret;
		c->table = table;
		c->first = idx;
		c->nr = n;
	}
	*e = le64_to_cpu(c->e[idx - c->first]);
	return 0;
}

/*
 * Clamp [*start, *last] to canonical addresses and turn it into linear
 * addresses.  Return: false when no canonical address is in it.
 */
static bool gpt_clamp(const struct gpt_geo *g, u64 start, u64 last,
		      u64 *la_start, u64 *la_last)
{
	if (g->pae) {
		if (start > U32_MAX)
			return false;
		last = min_t(u64, last, U32_MAX);
	} else {
		u64 low_max = BIT_ULL(g->la_bits - 1) - 1;
		u64 high_min = ~low_max;

		if (start > low_max && start < high_min)
			start = high_min;
		if (last > low_max && last < high_min)
			last = low_max;
		if (start > last)
			return false;
	}
	*la_start = gpt_la(g, start);
	*la_last = gpt_la(g, last);
	return true;
}

/**
 * kvmmig_gpt_walk_range_next() - visit the present mappings of a range,
 *	resumably
 * @w: the walker
 * @gva_start: first guest-virtual address of the range
 * @gva_last: last guest-virtual address of the range (inclusive: 0 and
 *	U64_MAX walk the whole address space)
 * @fn: called for each present mapping that overlaps the range, in
 *	ascending guest-virtual order; a large page is reported once, whole,
 *	with its size
 * @arg: passed to @fn
 * @max_entries: the most table entries the walk may read (each level's
 *	entries count, present or not)
 * @next: if not NULL, on -E2BIG: the first address not walked yet, to
 *	resume with as @gva_start (with @max_entries at least
 *	%KVMMIG_GPT_MAX_LEVELS, it is above @gva_start: a resumed walk makes
 *	progress)
 *
 * The non-canonical part of the range is skipped; a range crossing the
 * hole visits the low half, then the high half.  A non-present entry skips
 * its whole subtree at once: a walk reads the entries of the tables it
 * visits, in the range, and no table under a non-present entry.  Iterative:
 * no recursion, whatever the tables hold (a loop back to an upper table is
 * just walked as a table of the lower level, in the range).  The work is
 * about @max_entries reads and @fn calls with no rescheduling point: a
 * caller walking a large space splits it into calls of moderate
 * @max_entries (resuming at @next) and reschedules between them.
 *
 * Return: 0 when the range was walked; what @fn returned when it ended the
 * walk; -E2BIG when @max_entries entries were read before the end of the
 * range (a malformed or absurdly large table, or a large range: @fn has
 * seen the mappings below @next); -EFAULT when a table could not be read
 * (the same, without @next); -EINVAL for @gva_start > @gva_last, no @fn, a
 * zero @max_entries or a bad @w.
 */
int kvmmig_gpt_walk_range_next(const struct kvmmig_gpt *w, u64 gva_start,
			       u64 gva_last, kvmmig_gpt_fn fn, void *arg,
			       u32 max_entries, u64 *next)
{
	u64 tbl[KVMMIG_GPT_MAX_LEVELS + 1], lim[KVMMIG_GPT_MAX_LEVELS + 1];
	struct gpt_walk wk;
	u64 la, la_last;
	u32 lvl;
	int ret;

	if (!fn || !max_entries || gva_start > gva_last)
		return -EINVAL;
	ret = gpt_geo(w, &wk.g);
	if (ret)
		return ret;
	if (!gpt_clamp(&wk.g, gva_start, gva_last, &la, &la_last))
		return 0;
	wk.budget = max_entries;
	for (lvl = 0; lvl < KVMMIG_GPT_MAX_LEVELS; lvl++)
		wk.cache[lvl].nr = 0;

	/*
	 * tbl[lvl] is the table of level lvl being walked; it maps the linear
	 * addresses below lim[lvl].  The top table maps them all.
	 */
	lvl = wk.g.top;
	tbl[lvl] = wk.g.root;
	lim[lvl] = BIT_ULL(wk.g.la_bits);
	while (la <= la_last) {
		u64 size, base, e;

		if (la >= lim[lvl]) {
			lvl++;		/* never above top: la < lim[top] */
			continue;
		}
		ret = gpt_entry(&wk, lvl, tbl[lvl], gpt_index(&wk.g, lvl, la),
				&e);
		if (ret) {
			if (ret == -E2BIG && next)
				*next = gpt_gva(&wk.g, la);
			return ret;
		}
		size = BIT_ULL(gpt_shift(lvl));
		base = la & ~(size - 1);
		if (e & GPT_P) {
			if (!gpt_leaf(&wk.g, lvl, e)) {
				lvl--;	/* never below 1: level 1 is a leaf */
				tbl[lvl] = e & wk.g.addr_mask;
				lim[lvl] = base + size;
				continue;
			}
			ret = fn(arg, gpt_gva(&wk.g, base),
				 e & wk.g.addr_mask & ~(size - 1), size);
			if (ret)
				return ret;
		}
		/* base, not la: la may be inside the range's first page */
		la = base + size;
	}
	return 0;
}

/**
 * kvmmig_gpt_walk_range() - visit the present mappings of a range
 * @w: the walker
 * @gva_start: first guest-virtual address of the range
 * @gva_last: last guest-virtual address of the range (inclusive)
 * @fn: called for each present mapping that overlaps the range
 * @arg: passed to @fn
 * @max_entries: the most table entries the walk may read
 *
 * kvmmig_gpt_walk_range_next() without a resume point.
 *
 * Return: as kvmmig_gpt_walk_range_next().
 */
int kvmmig_gpt_walk_range(const struct kvmmig_gpt *w, u64 gva_start,
			  u64 gva_last, kvmmig_gpt_fn fn, void *arg,
			  u32 max_entries)
{
	return kvmmig_gpt_walk_range_next(w, gva_start, gva_last, fn, arg,
					  max_entries, NULL);
}

/* kvmmig_gpt_translate()'s visit: the one mapping of its address. */
struct gpt_xlate {
	u64 gva;
	u64 gpa;
	u32 level;
};

static int gpt_xlate_visit(void *arg, u64 gva, u64 gpa, u64 size)
{
	struct gpt_xlate *x = arg;

	x->gpa = gpa + (x->gva - gva);
	x->level = size == BIT_ULL(30) ? 3 : size == BIT_ULL(21) ? 2 : 1;
	return 1;
}

/**
 * kvmmig_gpt_translate() - translate one guest-virtual address
 * @w: the walker
 * @gva: guest-virtual address
 * @gpa: the guest-physical address of @gva (its page's plus the offset)
 * @level: if not NULL, the level of the leaf: 1 (4 KiB), 2 (2 MiB) or
 *	3 (1 GiB)
 *
 * Reads at most 5 entries, one per level.  Permission bits (R/W, U/S, NX)
 * are not checked: the question is where @gva is, not who may touch it.
 *
 * Return: 0; -ENOENT when an entry on the way is not present; -EFAULT when
 * a table could not be read (the reader failed: a table outside guest
 * memory); -EINVAL for a non-canonical @gva or a bad @w.
 */
int kvmmig_gpt_translate(const struct kvmmig_gpt *w, u64 gva, u64 *gpa,
			 u32 *level)
{
	struct gpt_xlate x = { .gva = gva };
	struct gpt_geo g;
	int ret;

	ret = gpt_geo(w, &g);
	if (ret)
		return ret;
	if (!gpt_canonical(&g, gva))
		return -EINVAL;
	/* one entry per level, the walk's own descent */
	ret = kvmmig_gpt_walk_range(w, gva, gva, gpt_xlate_visit, &x,
				    KVMMIG_GPT_MAX_LEVELS);
	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*gpa = x.gpa;
	if (level)
		*level = x.level;
	return 0;
}

/* The window [lo, hi] (hi: its last byte), one slot per page. */
struct gpt_win {
	u64 lo;
	u64 hi;
	u64 *slot;
};

static int gpt_win_visit(void *arg, u64 gva, u64 gpa, u64 size)
{
	struct gpt_win *win = arg;
	u64 from = max(gva, win->lo);
	u64 to = min(gva + (size - 1), win->hi);
	u64 i, n;

	if (from > to)
		return 0;
	n = ((to - from) >> GPT_SHIFT) + 1;
	for (i = 0; i < n; i++) {
		u64 p = from + (i << GPT_SHIFT);

		win->slot[(p - win->lo) >> GPT_SHIFT] = gpa + (p - gva);
	}
	return 0;
}

/**
 * kvmmig_gpt_window() - the guest-physical pages of a virtual window
 * @w: the walker
 * @gva: guest-virtual address (any byte of its page)
 * @window_pages: pages each side of @gva's page, at most
 *	%KVMMIG_GPT_MAX_WINDOW
 * @slot: receives @below + 1 + @above GPAs: @slot[i] the page-aligned GPA
 *	of page (@gva's page - @below pages + i), or %U64_MAX where nothing
 *	is mapped
 * @below: out: pages of the window below @gva's page (fewer than
 *	@window_pages where canonical addresses end)
 * @above: out: likewise, above
 *
 * One range walk, with enough entries for every level of the window: a
 * window covers at most (2 * @window_pages + 1) pages, so at most that
 * many pages' worth of entries at each level plus one for a window not
 * aligned to an entry.  Large pages count page by page.
 *
 * Return: 0; -EINVAL for a non-canonical @gva, a too large window or a bad
 * @w; -EFAULT when a table could not be read (the slots then hold what
 * was walked before it).
 */
int kvmmig_gpt_window(const struct kvmmig_gpt *w, u64 gva, u32 window_pages,
		      u64 *slot, u32 *below, u32 *above)
{
	u64 page = gva & ~(GPT_PAGE - 1);
	u64 nslots, budget, i;
	struct gpt_geo g;
	struct gpt_win win;
	u32 lvl;
	int ret;

	ret = gpt_geo(w, &g);
	if (ret)
		return ret;
	if (!gpt_canonical(&g, gva) || window_pages > KVMMIG_GPT_MAX_WINDOW)
		return -EINVAL;
	for (*below = 0; *below < window_pages; (*below)++) {
		u64 p = page - ((u64)(*below + 1) << GPT_SHIFT);

		if (p > page || !gpt_canonical(&g, p))
			break;
	}
	for (*above = 0; *above < window_pages; (*above)++) {
		u64 p = page + ((u64)(*above + 1) << GPT_SHIFT);

		if (p < page || !gpt_canonical(&g, p))
			break;
	}
	nslots = *below + *above + 1;
	for (i = 0; i < nslots; i++)
		slot[i] = GPT_NONE;
	win.lo = page - ((u64)*below << GPT_SHIFT);
	win.hi = page + ((u64)*above << GPT_SHIFT) + (GPT_PAGE - 1);
	win.slot = slot;
	budget = 0;
	for (lvl = 1; lvl <= g.top; lvl++)
		budget += ((nslots << GPT_SHIFT) >> gpt_shift(lvl)) + 2;
	return kvmmig_gpt_walk_range(w, win.lo, win.hi, gpt_win_visit, &win,
				     budget);
}

/* Append @gpa to @out[0..*nr) unless it is there already. */
static void gpt_nb_add(u64 *out, u32 *nr, u64 gpa)
{
	u32 i;

	if (gpa == GPT_NONE)
		return;
	for (i = 0; i < *nr; i++)
		if (out[i] == gpa)
			return;
	out[(*nr)++] = gpa;
}

/**
 * kvmmig_gpt_neighbours() - the guest-physical pages around a virtual one
 * @w: the walker
 * @gva: guest-virtual address (any byte of its page)
 * @window_pages: pages each side of @gva's page, at most
 *	%KVMMIG_GPT_MAX_WINDOW
 * @out_gpas: receives the page-aligned GPAs
 * @max: room in @out_gpas
 *
 * The present pages of [@gva's page - @window_pages, @gva's page +
 * @window_pages] (clipped to canonical addresses), translated, ordered by
 * their distance from @gva's page, nearest first (so @gva's own page first
 * when present), the lower page first at equal distance; a GPA mapped by
 * several of them is listed once, at its nearest place.  At most @max.
 * Large pages count page by page.  Allocates 8 bytes per page of the
 * window (GFP_KERNEL): may sleep.
 *
 * Return: the number of GPAs stored; -EINVAL for a non-canonical @gva, a
 * too large window or a bad @w; -ENOMEM; -EFAULT when a table of the
 * window could not be read (nothing is stored then).
 */
int kvmmig_gpt_neighbours(const struct kvmmig_gpt *w, u64 gva,
			  u32 window_pages, u64 *out_gpas, u32 max)
{
	u32 nr = 0, below, above, d;
	u64 *slot;
	int ret;

	if (window_pages > KVMMIG_GPT_MAX_WINDOW)
		return -EINVAL;
	slot = kvmalloc_array(2 * window_pages + 1, sizeof(u64), GFP_KERNEL);
	if (!slot)
		return -ENOMEM;
	ret = kvmmig_gpt_window(w, gva, window_pages, slot, &below, &above);
	if (ret || !max)
		goto out;

	gpt_nb_add(out_gpas, &nr, slot[below]);
	for (d = 1; d <= window_pages && nr < max; d++) {
		if (d <= below)
			gpt_nb_add(out_gpas, &nr, slot[below - d]);
		if (d <= above && nr < max)
			gpt_nb_add(out_gpas, &nr, slot[below + d]);
	}
	ret = nr;
out:
	kvfree(slot);
	return ret;
}
