// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-copy send order, pure logic: see include/kvmmig/send_order.h.
 *
 * The count pass sizes each level's part of the order in runs; the place
 * pass streams frames into those parts, joining consecutive frames of a
 * part into one run.  The two passes see the same bitmap and hints unless
 * the caller's input changed in between (a VMM writing its bitmap during
 * the call, a memslot update); the temperature levels may change, as the
 * scanner runs on, and with them the runs.  So a frame whose part has no
 * room for a new run goes to the nearest part that can take it (hotter
 * first), a part left with fewer runs than counted is closed up at the
 * end, and only a change of the frames sent or more runs than the order's
 * room make the call fail (-EAGAIN): no frame is ever lost or sent twice,
 * and every part stays in ascending frame order.
 * The place pass collects the frames it sent whose settled hints are to be
 * dropped; the caller drops them with kvmmig_order_unhint() only once the
 * order is complete, so a failed call leaves the hints as they were.
 *
 * No locking here: the caller serialises use of the hint map.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <kvmmig/send_order.h>

/**
 * kvmmig_order_fate - what becomes of one set frame
 * @level: its temperature level, or KVMMIG_TEMP_NO_SLOT
 * @hint: its kvmmig_hint_map_test() state
 * @all: the bitmap is KVMMIG_SEND_ORDER_ALL's "everything"
 *
 * Return: an enum kvmmig_order_fate.
 */
enum kvmmig_order_fate kvmmig_order_fate(u8 level, unsigned int hint, bool all)
{
	if (level >= KVMMIG_TEMP_LEVELS)
		return KVMMIG_ORDER_NO_SLOT;
	if (!(hint & KVMMIG_HINT_FREE))
		return KVMMIG_ORDER_SEND;
	/* ALL: nothing was sent yet, every hint holds; else a fresh hint
	 * came after the harvest's mark, so it is newer than the write.
	 */
	if (all || (hint & KVMMIG_HINT_FRESH))
		return KVMMIG_ORDER_FREE;
	return KVMMIG_ORDER_SEND_UNHINT;
}

/* The set bits of word @w of @c, bits at and past @c->nbits cleared. */
static u64 kvmmig_order_word(const struct kvmmig_order_chunk *c, u32 w)
{
	u64 v = c->words[w];
	u32 left = c->nbits - w * 64;

	if (left < 64)
		v &= (1ULL << left) - 1;
	return v;
}

/* The first set frame at or after @from, or @c->nbits when there is none. */
static u32 kvmmig_order_next_bit(const struct kvmmig_order_chunk *c, u32 from)
{
	u32 w = from / 64, nw = DIV_ROUND_UP(c->nbits, 64);
	u64 v;

	if (from >= c->nbits)
		return c->nbits;
	v = kvmmig_order_word(c, w) & (~0ULL << (from % 64));
	while (!v) {
		if (++w >= nw)
			return c->nbits;
		v = kvmmig_order_word(c, w);
	}
	return w * 64 + __ffs64(v);
}

static enum kvmmig_order_fate kvmmig_order_fate_of(const struct kvmmig_order_chunk *c,
						   u32 i)
{
	u8 level = c->levels[i];
	unsigned int hint = 0;

	if (level >= KVMMIG_TEMP_LEVELS)
		return KVMMIG_ORDER_NO_SLOT;
	if (c->hint_state)
		hint = c->hint_state[i];
	else if (c->hints)
		hint = kvmmig_hint_map_test(c->hints, c->base_gfn + i);
	return kvmmig_order_fate(level, hint, c->all);
}

/**
 * kvmmig_order_count - the count pass over one chunk
 * @c: the chunk (chunks in ascending frame order)
 * @cnt: counts, added to
 */
void kvmmig_order_count(const struct kvmmig_order_chunk *c,
			struct kvmmig_order_counts *cnt)
{
	u64 gfn;
	u32 i;
	u8 l;

	for (i = kvmmig_order_next_bit(c, 0); i < c->nbits;
	     i = kvmmig_order_next_bit(c, i + 1)) {
		cnt->dirty++;
		switch (kvmmig_order_fate_of(c, i)) {
		case KVMMIG_ORDER_NO_SLOT:
			cnt->no_slot++;
			break;
		case KVMMIG_ORDER_FREE:
			cnt->nr_free++;
			break;
		case KVMMIG_ORDER_SEND_UNHINT:
			cnt->unhint++;
			fallthrough;
		case KVMMIG_ORDER_SEND:
			l = c->levels[i];
			gfn = c->base_gfn + i;
			cnt->level_pages[l]++;
			/* 0: no frame of the level yet (frame 0 too starts a run) */
			if (!cnt->run_end[l] || cnt->run_end[l] != gfn)
				cnt->level_runs[l]++;
			cnt->run_end[l] = gfn + 1;
			break;
		}
	}
}

/**
 * kvmmig_order_total - frames in the order
 * @cnt: counts of every chunk
 *
 * Return: the sum of @cnt->level_pages.
 */
u64 kvmmig_order_total(const struct kvmmig_order_counts *cnt)
{
	u64 n = 0;
	int l;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++)
		n += cnt->level_pages[l];
	return n;
}

/**
 * kvmmig_order_total_runs - runs in the order
 * @cnt: counts of every chunk
 *
 * Return: the sum of @cnt->level_runs: the room the order needs.
 */
u64 kvmmig_order_total_runs(const struct kvmmig_order_counts *cnt)
{
	u64 n = 0;
	int l;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++)
		n += cnt->level_runs[l];
	return n;
}

/**
 * kvmmig_order_out_init - lay out the order's parts, coldest level first
 * @o: output state; @o->flush, @o->move, @o->ctx, @o->unhint and
 *	@o->max_unhint are left as they are
 * @cnt: counts of every chunk, from the count pass
 */
void kvmmig_order_out_init(struct kvmmig_order_out *o,
			   const struct kvmmig_order_counts *cnt)
{
	u64 at = 0;
	int l;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++) {
		o->start[l] = at;
		o->next[l] = at;
		at += cnt->level_runs[l];
		o->end[l] = at;
		o->nbuf[l] = 0;
		o->level_pages[l] = 0;
	}
	o->placed = 0;
	o->pages = kvmmig_order_total(cnt);
	o->nr_runs = 0;
	o->nr_unhint = 0;
}

static int kvmmig_order_flush(struct kvmmig_order_out *o, int p)
{
	u32 n = o->nbuf[p];

	if (!n)
		return 0;
	o->nbuf[p] = 0;
	return o->flush(o->ctx, o->next[p] - n, o->buf[p], n);
}

/* Does frame @gfn extend the open run of part @p? */
static bool kvmmig_order_extends(const struct kvmmig_order_out *o, int p,
				 u64 gfn)
{
	const struct kvmmig_gfn_range *r;

	if (!o->nbuf[p])
		return false;
	r = &o->buf[p][o->nbuf[p] - 1];
	return r->gfn + r->npages == gfn;
}

static bool kvmmig_order_fits(const struct kvmmig_order_out *o, int p,
			      u64 gfn)
{
	return kvmmig_order_extends(o, p, gfn) || o->next[p] < o->end[p];
}

/*
 * The part that takes frame @gfn of level @l: its own when the frame
 * extends its open run or it has room for a new run, else the nearest
 * part that can (hotter first); -1 when none can.
 */
static int kvmmig_order_part(const struct kvmmig_order_out *o, int l, u64 gfn)
{
	int d;

	if (kvmmig_order_fits(o, l, gfn))
		return l;
	for (d = 1; d < KVMMIG_TEMP_LEVELS; d++) {
		if (l + d < KVMMIG_TEMP_LEVELS && kvmmig_order_fits(o, l + d, gfn))
			return l + d;
		if (l - d >= 0 && kvmmig_order_fits(o, l - d, gfn))
			return l - d;
	}
	return -1;
}

/* Put frame @gfn into part @p: it extends the open run or starts one. */
static int kvmmig_order_put(struct kvmmig_order_out *o, int p, u64 gfn)
{
	int ret;

	if (kvmmig_order_extends(o, p, gfn)) {
		o->buf[p][o->nbuf[p] - 1].npages++;
		return 0;
	}
	/* a new run closes the open one: a full buffer may go out */
	if (o->nbuf[p] == KVMMIG_ORDER_BUF) {
		ret = kvmmig_order_flush(o, p);
		if (ret)
			return ret;
	}
	o->buf[p][o->nbuf[p]].gfn = gfn;
	o->buf[p][o->nbuf[p]].npages = 1;
	o->nbuf[p]++;
	o->next[p]++;
	return 0;
}

/**
 * kvmmig_order_place - the place pass over one chunk
 * @c: the chunk (chunks in ascending frame order)
 * @o: output state from kvmmig_order_out_init()
 *
 * Frames sent whose settled hint is to be dropped are added to
 * @o->unhint; the hints themselves are left alone.
 *
 * Return: 0, -EAGAIN when there are more frames to send (or to unhint)
 * than counted, or more runs than the parts hold, or an error of
 * @o->flush.
 */
int kvmmig_order_place(const struct kvmmig_order_chunk *c,
		       struct kvmmig_order_out *o)
{
	enum kvmmig_order_fate fate;
	int p, ret;
	u64 gfn;
	u32 i;

	for (i = kvmmig_order_next_bit(c, 0); i < c->nbits;
	     i = kvmmig_order_next_bit(c, i + 1)) {
		fate = kvmmig_order_fate_of(c, i);
		if (fate == KVMMIG_ORDER_NO_SLOT || fate == KVMMIG_ORDER_FREE)
			continue;
		gfn = c->base_gfn + i;
		if (o->placed >= o->pages)
			return -EAGAIN;
		p = kvmmig_order_part(o, c->levels[i], gfn);
		if (p < 0)
			return -EAGAIN;
		if (fate == KVMMIG_ORDER_SEND_UNHINT) {
			if (o->nr_unhint >= o->max_unhint)
				return -EAGAIN;
			o->unhint[o->nr_unhint++] = gfn;
		}
		ret = kvmmig_order_put(o, p, gfn);
		if (ret)
			return ret;
		o->level_pages[c->levels[i]]++;
		o->placed++;
	}
	return 0;
}

/**
 * kvmmig_order_finish - flush what is held, close the gaps, check the
 *	order is complete
 * @o: output state after the last kvmmig_order_place()
 *
 * A part that got fewer runs than counted (levels changed during the call
 * and joined frames) leaves a gap before the next part: the later parts
 * are moved down with @o->move, so the order is dense.  @o->nr_runs is
 * then the runs of the order.
 *
 * Return: 0, -EAGAIN when fewer frames were placed than counted, or an
 * error of @o->flush or @o->move.
 */
int kvmmig_order_finish(struct kvmmig_order_out *o)
{
	u64 to = 0, n;
	int l, ret;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++) {
		ret = kvmmig_order_flush(o, l);
		if (ret)
			return ret;
	}
	if (o->placed != o->pages)
		return -EAGAIN;
	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++) {
		n = o->next[l] - o->start[l];
		if (n && to != o->start[l]) {
			ret = o->move(o->ctx, to, o->start[l], n);
			if (ret)
				return ret;
		}
		to += n;
	}
	o->nr_runs = to;
	return 0;
}

/**
 * kvmmig_check_send_order - check a struct kvmmig_send_order
 * @a: the kernel's copy of the argument (@size and @flags checked by the
 *	dispatcher)
 *
 * The bitmap is read in 64-bit words, so it starts on a word's frame; it
 * may not be empty, pass KVMMIG_SEND_ORDER_MAX_PAGES or wrap; room for
 * runs needs a buffer; reserved fields are zero.
 *
 * Return: 0 or -EINVAL.
 */
int kvmmig_check_send_order(const struct kvmmig_send_order *a)
{
	if (memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (!a->npages || a->npages > KVMMIG_SEND_ORDER_MAX_PAGES)
		return -EINVAL;
	if (a->base_gfn & 63 || a->base_gfn + a->npages < a->base_gfn)
		return -EINVAL;
	if (!a->bitmap_ptr)
		return -EINVAL;
	if (a->max_runs && !a->runs_ptr)
		return -EINVAL;
	return 0;
}

/**
 * kvmmig_order_unhint - drop the hints of the sent hinted frames
 * @m: the hint map the order was made with
 * @o: output state after a successful kvmmig_order_finish(), with the
 *	frames collected in @o->unhint
 *
 * Return: the number of hints dropped.
 */
u64 kvmmig_order_unhint(struct kvmmig_hint_map *m,
			const struct kvmmig_order_out *o)
{
	u64 i;

	for (i = 0; i < o->nr_unhint; i++)
		kvmmig_hint_map_remove(m, o->unhint[i], 1);
	return o->nr_unhint;
}
