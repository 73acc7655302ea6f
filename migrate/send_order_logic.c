// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-copy send order (method M17), pure logic: see include/kvmmig/send_order.h.
 *
 * The count pass sizes each level's part of the order; the place pass
 * streams frames into those parts.  The two passes see the same bitmap
 * and hints unless the caller's input changed in between (a VMM writing
 * its bitmap during the call, a memslot update); the temperature levels
 * may change, as the scanner runs on.  So a level whose part is full takes
 * its frame to the nearest level with room (hotter first), and only a
 * change of the total makes the place pass fail (-EAGAIN): no frame is
 * ever lost or sent twice, and every part stays in ascending frame order.
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
 * @c: the chunk
 * @cnt: counts, added to
 */
void kvmmig_order_count(const struct kvmmig_order_chunk *c,
			struct kvmmig_order_counts *cnt)
{
	u32 i;

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
			cnt->level_pages[c->levels[i]]++;
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
 * kvmmig_order_out_init - lay out the order's parts, coldest level first
 * @o: output state; @o->flush, @o->ctx, @o->unhint and @o->max_unhint
 *	are left as they are
 * @cnt: counts of every chunk, from the count pass
 */
void kvmmig_order_out_init(struct kvmmig_order_out *o,
			   const struct kvmmig_order_counts *cnt)
{
	u64 at = 0;
	int l;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++) {
		o->next[l] = at;
		at += cnt->level_pages[l];
		o->end[l] = at;
		o->nbuf[l] = 0;
	}
	o->nr_unhint = 0;
}

static int kvmmig_order_flush(struct kvmmig_order_out *o, int l)
{
	u32 n = o->nbuf[l];

	if (!n)
		return 0;
	o->nbuf[l] = 0;
	return o->flush(o->ctx, o->next[l] - n, o->buf[l], n);
}

/* The level whose part takes a frame of level @l, or -1: no room left. */
static int kvmmig_order_part(const struct kvmmig_order_out *o, int l)
{
	int d;

	if (o->next[l] < o->end[l])
		return l;
	for (d = 1; d < KVMMIG_TEMP_LEVELS; d++) {
		if (l + d < KVMMIG_TEMP_LEVELS && o->next[l + d] < o->end[l + d])
			return l + d;
		if (l - d >= 0 && o->next[l - d] < o->end[l - d])
			return l - d;
	}
	return -1;
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
 * than counted, or an error of @o->flush.
 */
int kvmmig_order_place(const struct kvmmig_order_chunk *c,
		       struct kvmmig_order_out *o)
{
	enum kvmmig_order_fate fate;
	int l, ret;
	u32 i;

	for (i = kvmmig_order_next_bit(c, 0); i < c->nbits;
	     i = kvmmig_order_next_bit(c, i + 1)) {
		fate = kvmmig_order_fate_of(c, i);
		if (fate == KVMMIG_ORDER_NO_SLOT || fate == KVMMIG_ORDER_FREE)
			continue;
		l = kvmmig_order_part(o, c->levels[i]);
		if (l < 0)
			return -EAGAIN;
		if (fate == KVMMIG_ORDER_SEND_UNHINT) {
			if (o->nr_unhint >= o->max_unhint)
				return -EAGAIN;
			o->unhint[o->nr_unhint++] = c->base_gfn + i;
		}
		o->buf[l][o->nbuf[l]++] = c->base_gfn + i;
		o->next[l]++;
		if (o->nbuf[l] == KVMMIG_ORDER_BUF) {
			ret = kvmmig_order_flush(o, l);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * kvmmig_order_finish - flush what is held, check the order is complete
 * @o: output state after the last kvmmig_order_place()
 *
 * Return: 0, -EAGAIN when fewer frames were placed than counted, or an
 * error of @o->flush.
 */
int kvmmig_order_finish(struct kvmmig_order_out *o)
{
	int l, ret;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++) {
		ret = kvmmig_order_flush(o, l);
		if (ret)
			return ret;
	}
	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++)
		if (o->next[l] != o->end[l])
			return -EAGAIN;
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
