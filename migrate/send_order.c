// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-copy send order: kernel glue of KVMMIG_GET_SEND_ORDER
 * around the pure logic of migrate/send_order_logic.c.
 *
 * The VMM's bitmap can be as large as KVMMIG_SEND_ORDER_MAX_PAGES bits, so
 * it is read in chunks of KVMMIG_ORDER_CHUNK frames, never whole.  For
 * each chunk the frames' levels come from the temperature scanner
 * (kvmmig_scan_get_levels(): never scanned is cold) and memslot membership
 * from address space 0's user memslots under kvm->srcu.  Two passes over
 * the bitmap: count (sizes each level's part in runs and the list of hints
 * to drop; -E2BIG here writes nothing but @nr_runs and the histogram),
 * then place (writes the runs, closes up the parts and collects, in a
 * kernel array, the sent frames whose settled hints are to be dropped).
 * Only once the order is complete and the result is copied to the
 * caller's struct are those hints dropped, from the array (the bitmap is
 * not read again): on any error the hints are as they were.  If the
 * frames to send changed between count and place (the bitmap or the
 * memslots changed during the call), or the levels changed so that the
 * runs no longer fit the room counted, the call starts over, a few times
 * at most, then fails with -EAGAIN.  -E2BIG is only returned while nothing
 * was written to @runs_ptr: if a try after a partly written one finds the
 * order grown past the room, the call fails with -EAGAIN instead.
 *
 * Locks: none is held across a user copy.  Per chunk, with the chunk of
 * the bitmap already copied in: scan->lock (killable, inside
 * kvmmig_scan_get_levels()), then kvm->srcu, then hints->lock (killable),
 * each taken and dropped in turn; under hints->lock the hint state of
 * the chunk's set frames is read into a kernel array, which the count or
 * place step then uses.  The hints' generation (hints->gen, bumped by
 * every change under hints->lock) is taken at the start of each try and
 * checked at each chunk: a KVMMIG_FREE_HINTS between them makes the try
 * start over (-EAGAIN after KVMMIG_ORDER_TRIES), so one order sees one
 * state of the hints.  The hints of sent frames are dropped under
 * hints->lock after the result is copied out; a FREE_HINTS that raced
 * with the end of the call may lose a hint of a frame in the order, the
 * safe direction (the frame is sent).  kvmmig_dirty_report() is called
 * with no lock held.
 */
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmmig/gmem.h>
#include <kvmmig/free_hints.h>
#include <kvmmig/core.h>
#include <kvmmig/send_order.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/dirty_rate.h>
#include <kvmmig/temperature.h>

/* Counters of the feature in the stats fd */
enum kvmmig_send_order_stat {
	KVMMIG_STAT_SEND_ORDER_CALLS,
	KVMMIG_STAT_SEND_ORDER_PAGES,
	KVMMIG_STAT_SEND_ORDER_FREE,
};

/* Frames per chunk: 8 KiB of bitmap, 64 KiB of levels. */
#define KVMMIG_ORDER_CHUNK	(64 * 1024)
#define KVMMIG_ORDER_TRIES	3

struct kvmmig_order_ctx {
	struct kvmmig_session *s;
	const struct kvmmig_send_order *a;
	u64 *words;
	u8 *levels;
	u8 *hint_state;
	u64 gen;
	unsigned long *in_slot;
	struct kvmmig_order_out *out;
	bool written;
};

/* Frames of [gfn, gfn + n) outside address space 0's user memslots. */
static void kvmmig_order_mark_no_slot(struct kvm *kvm, u64 gfn, u32 n,
				      unsigned long *in_slot, u8 *levels)
{
	struct kvm_memslot_iter iter;
	struct kvm_memslots *slots;
	u32 i;
	int idx;

	bitmap_zero(in_slot, n);
	idx = srcu_read_lock(&kvm->srcu);
	slots = __kvm_memslots(kvm, 0);
	kvm_for_each_memslot_in_gfn_range(&iter, slots, gfn, gfn + n) {
		struct kvm_memory_slot *m = iter.slot;
		u64 lo = max(gfn, m->base_gfn);
		u64 hi = min(gfn + n, m->base_gfn + m->npages);

		if (kvmmig_memslot_usable(m) && lo < hi)
			bitmap_set(in_slot, lo - gfn, hi - lo);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	for_each_clear_bit(i, in_slot, n)
		levels[i] = KVMMIG_TEMP_NO_SLOT;
}

/* The hint state of @c's set frames, under hints->lock, at x->gen. */
static int kvmmig_order_read_hints(struct kvmmig_order_ctx *x,
				   struct kvmmig_order_chunk *c, u32 nw)
{
	struct kvmmig_hints *h = kvmmig_hints(x->s);
	u32 w;

	memset(x->hint_state, 0, c->nbits);
	if (mutex_lock_killable(&h->lock))
		return -EINTR;
	if (h->gen != x->gen) {
		mutex_unlock(&h->lock);
		return -EAGAIN;
	}
	for (w = 0; w < nw && kvmmig_hint_map_count(&h->map); w++) {
		u64 v = x->words[w];

		while (v) {
			u32 i = w * 64 + __ffs64(v);

			v &= v - 1;
			if (i < c->nbits)
				x->hint_state[i] =
					kvmmig_hint_map_test(&h->map, c->base_gfn + i);
		}
	}
	mutex_unlock(&h->lock);
	c->hints = NULL;
	c->hint_state = x->hint_state;
	return 0;
}

/* Read chunk @off (a multiple of KVMMIG_ORDER_CHUNK) of the bitmap. */
static int kvmmig_order_read(struct kvmmig_order_ctx *x, u64 off,
			     struct kvmmig_order_chunk *c)
{
	const struct kvmmig_send_order *a = x->a;
	u32 n = min_t(u64, a->npages - off, KVMMIG_ORDER_CHUNK);
	u32 nw = DIV_ROUND_UP(n, 64), w;

	if (copy_from_user(x->words, u64_to_user_ptr(a->bitmap_ptr + off / 8),
			   nw * sizeof(u64)))
		return -EFAULT;
	c->base_gfn = a->base_gfn + off;
	c->nbits = n;
	c->words = x->words;
	c->levels = x->levels;
	c->all = a->flags & KVMMIG_SEND_ORDER_ALL;
	c->hints = NULL;
	c->hint_state = NULL;
	for (w = 0; w < nw; w++)
		if (x->words[w])
			break;
	if (w == nw) {
		c->nbits = 0;	/* nothing set: no levels needed */
		return 0;
	}
	if (kvmmig_scan_get_levels(x->s, c->base_gfn, n, x->levels))
		return -EINTR;
	kvmmig_order_mark_no_slot(x->s->kvm, c->base_gfn, n, x->in_slot,
				  x->levels);
	return kvmmig_order_read_hints(x, c, nw);
}

static int kvmmig_order_next(void)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	return 0;
}

static struct kvmmig_gfn_range __user *kvmmig_order_runs(struct kvmmig_order_ctx *x,
							 u64 index)
{
	return u64_to_user_ptr(x->a->runs_ptr + index * sizeof(struct kvmmig_gfn_range));
}

static int kvmmig_order_flush_user(void *ctx, u64 index,
				   const struct kvmmig_gfn_range *runs, u32 n)
{
	struct kvmmig_order_ctx *x = ctx;

	x->written = true;
	if (copy_to_user(kvmmig_order_runs(x, index), runs, n * sizeof(*runs)))
		return -EFAULT;
	return 0;
}

/* Move @n runs down from @from to @to, through the output's buffer. */
static int kvmmig_order_move_user(void *ctx, u64 to, u64 from, u64 n)
{
	struct kvmmig_order_ctx *x = ctx;
	struct kvmmig_gfn_range *buf = x->out->buf[0];
	u64 done, k;

	for (done = 0; done < n; done += k) {
		k = min_t(u64, n - done, KVMMIG_ORDER_BUF);
		if (copy_from_user(buf, kvmmig_order_runs(x, from + done),
				   k * sizeof(*buf)) ||
		    copy_to_user(kvmmig_order_runs(x, to + done), buf,
				 k * sizeof(*buf)))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

static int kvmmig_order_count_all(struct kvmmig_order_ctx *x,
				  struct kvmmig_order_counts *cnt)
{
	struct kvmmig_order_chunk c;
	u64 off;
	int ret;

	memset(cnt, 0, sizeof(*cnt));
	for (off = 0; off < x->a->npages; off += KVMMIG_ORDER_CHUNK) {
		ret = kvmmig_order_read(x, off, &c);
		if (!ret)
			kvmmig_order_count(&c, cnt);
		if (!ret)
			ret = kvmmig_order_next();
		if (ret)
			return ret;
	}
	return 0;
}

static int kvmmig_order_place_all(struct kvmmig_order_ctx *x,
				  const struct kvmmig_order_counts *cnt)
{
	struct kvmmig_order_chunk c;
	u64 off;
	int ret;

	kvmmig_order_out_init(x->out, cnt);
	x->out->flush = kvmmig_order_flush_user;
	x->out->move = kvmmig_order_move_user;
	x->out->ctx = x;
	for (off = 0; off < x->a->npages; off += KVMMIG_ORDER_CHUNK) {
		ret = kvmmig_order_read(x, off, &c);
		if (!ret)
			ret = kvmmig_order_place(&c, x->out);
		if (!ret)
			ret = kvmmig_order_next();
		if (ret)
			return ret;
	}
	return kvmmig_order_finish(x->out);
}

/* Room for the @n frames whose hints the place pass may drop. */
static int kvmmig_order_unhint_alloc(struct kvmmig_order_out *o, u64 n)
{
	kvfree(o->unhint);
	o->unhint = NULL;
	o->max_unhint = 0;
	if (!n)
		return 0;
	if (n > SIZE_MAX / sizeof(u64))
		return -ENOMEM;
	o->unhint = kvmalloc_array(n, sizeof(u64),
				   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!o->unhint)
		return -ENOMEM;
	o->max_unhint = n;
	return 0;
}

static long kvmmig_ioctl_get_send_order(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_send_order *a = arg;
	struct kvmmig_hints *h = kvmmig_hints(s);
	struct kvmmig_order_counts cnt;
	struct kvmmig_order_ctx x = { .s = s };
	u64 total = 0, runs = 0, dropped = 0, hinted = 0;
	int tries, ret;

	a->nr_done = 0;
	ret = kvmmig_check_send_order(a);
	if (ret)
		return ret;
	x.a = a;
	x.words = kvmalloc(KVMMIG_ORDER_CHUNK / 8, GFP_KERNEL);
	x.levels = kvmalloc(KVMMIG_ORDER_CHUNK, GFP_KERNEL);
	x.hint_state = kvmalloc(KVMMIG_ORDER_CHUNK, GFP_KERNEL);
	x.in_slot = bitmap_alloc(KVMMIG_ORDER_CHUNK, GFP_KERNEL);
	x.out = kvzalloc(sizeof(*x.out), GFP_KERNEL);	/* no @unhint yet */
	if (!x.words || !x.levels || !x.hint_state || !x.in_slot || !x.out) {
		ret = -ENOMEM;
		goto out_free;
	}

	for (tries = 0; tries < KVMMIG_ORDER_TRIES; tries++) {
		ret = mutex_lock_killable(&h->lock);
		if (ret)
			break;
		x.gen = h->gen;
		mutex_unlock(&h->lock);
		ret = kvmmig_order_count_all(&x, &cnt);
		if (ret == -EAGAIN)
			continue;	/* the hints changed */
		if (ret)
			break;
		total = kvmmig_order_total(&cnt);
		runs = kvmmig_order_total_runs(&cnt);
		if (runs > a->max_runs) {
			/* nothing written yet, or the bitmap changed */
			ret = x.written ? -EAGAIN : -E2BIG;
			break;
		}
		ret = kvmmig_order_unhint_alloc(x.out, cnt.unhint);
		if (!ret)
			ret = kvmmig_order_place_all(&x, &cnt);
		if (ret != -EAGAIN)
			break;
	}
	if (!ret) {
		a->nr_runs = x.out->nr_runs;
		a->nr_done = a->npages;
		a->nr_free = cnt.nr_free;
		memcpy(a->level_pages, x.out->level_pages, sizeof(a->level_pages));
	}
	if (!ret && x.out->nr_unhint) {
		ret = mutex_lock_killable(&h->lock);
		if (!ret) {
			dropped = kvmmig_order_unhint(&h->map, x.out);
			if (dropped)
				h->gen++;
			hinted = kvmmig_hint_map_count(&h->map);
			mutex_unlock(&h->lock);
		}
	}

	kvmmig_stat_add(s, KVMMIG_FEAT_SEND_ORDER, KVMMIG_STAT_SEND_ORDER_CALLS, 1);
	if (dropped) {
		kvmmig_stat_add(s, KVMMIG_FEAT_FREE_HINTS, KVMMIG_STAT_FREE_HINTS_DROPPED, dropped);
		kvmmig_stat_set(s, KVMMIG_FEAT_FREE_HINTS, KVMMIG_STAT_FREE_HINTED, hinted);
	}
	if (ret == -E2BIG) {
		/* the room needed, and what it would hold */
		a->nr_runs = runs;
		a->nr_free = cnt.nr_free;
		memcpy(a->level_pages, cnt.level_pages, sizeof(a->level_pages));
		goto out_free;
	}
	if (ret)
		goto out_free;

	kvmmig_stat_add(s, KVMMIG_FEAT_SEND_ORDER, KVMMIG_STAT_SEND_ORDER_PAGES, total);
	kvmmig_stat_add(s, KVMMIG_FEAT_SEND_ORDER, KVMMIG_STAT_SEND_ORDER_FREE, cnt.nr_free);
	if (!(a->flags & KVMMIG_SEND_ORDER_ALL))
		kvmmig_dirty_report(s, cnt.dirty);
out_free:
	kvfree(x.words);
	kvfree(x.levels);
	kvfree(x.hint_state);
	bitmap_free(x.in_slot);
	if (x.out)
		kvfree(x.out->unhint);
	kvfree(x.out);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_send_order_stats[] = {
	[KVMMIG_STAT_SEND_ORDER_CALLS] = { "send_order_calls", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SEND_ORDER_PAGES] = { "send_order_pages", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SEND_ORDER_FREE] = { "send_order_free_skipped", KVMMIG_STAT_CNT },
};

static const struct kvmmig_ioctl_desc kvmmig_send_order_ioctls[] = {
	/* drops free-page hints, feeds the reported dirty rate */
	KVMMIG_IOCTL(KVMMIG_GET_SEND_ORDER, struct kvmmig_send_order, KVMMIG_SEND_ORDER_FLAGS,
		     KVMMIG_NEED_FULL_SESSION, KVMMIG_CAP_SEND_ORDER, kvmmig_ioctl_get_send_order),
};

static const struct kvmmig_cap kvmmig_send_order_caps[] = {
	{ KVMMIG_CAP_SEND_ORDER, 1 },
};

const struct kvmmig_feature kvmmig_send_order_feature = {
	.name		= "send_order",
	.ioctls		= kvmmig_send_order_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_send_order_ioctls),
	.caps		= kvmmig_send_order_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_send_order_caps),
	.stats		= kvmmig_send_order_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_send_order_stats),
};
