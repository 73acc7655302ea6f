// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: free-page hint map (hint/free_hints_logic.c) and pre-copy send order
 * (migrate/send_order_logic.c), pure logic, both included: hint add/remove/mark/clear
 * across chunk boundaries, and the order's levels, frame order, free-page
 * drops, counts and ignored tail bits.
 */
#include "hint/free_hints_logic.c"
#include "migrate/send_order_logic.c"
#include <linux/slab.h>
#include "kvmmig_kunit.h"

#define CP	KVMMIG_HINT_CHUNK_PAGES

/* A map freed by order_test_exit() even when an assertion fails. */
struct order_test_ctx {
	struct kvmmig_hint_map map;
	struct kvmmig_order_out *out;
	struct kvmmig_gfn_range *runs;
	u64 rcap;
	u64 *gfns;
	u64 cap;
};

static int order_test_init(struct kunit *test)
{
	struct order_test_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	kvmmig_hint_map_init(&ctx->map);
	ctx->out = kunit_kzalloc(test, sizeof(*ctx->out), GFP_KERNEL);
	if (!ctx->out)
		return -ENOMEM;
	test->priv = ctx;
	return 0;
}

static void order_test_exit(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;

	kvmmig_hint_map_destroy(&ctx->map);
}

static unsigned long nr_chunks(struct kvmmig_hint_map *m)
{
	struct kvmmig_hint_chunk *c;
	unsigned long idx, n = 0;

	xa_for_each(&m->chunks, idx, c)
		n++;
	return n;
}

static int add1(struct kvmmig_hint_map *m, u64 gfn, u64 npages)
{
	struct kvmmig_gfn_range r = { gfn, npages };

	return kvmmig_hint_map_add(m, &r, 1);
}

static void hint_add_test_count(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;

	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 5), 0);
	KUNIT_ASSERT_EQ(test, add1(m, 10, 20), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 20);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 9), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 10),
			KVMMIG_HINT_FREE | KVMMIG_HINT_FRESH);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 29),
			KVMMIG_HINT_FREE | KVMMIG_HINT_FRESH);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 30), 0);
	/* overlapping and repeated hints count once */
	KUNIT_ASSERT_EQ(test, add1(m, 25, 10), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 25);
	KUNIT_ASSERT_EQ(test, add1(m, 10, 25), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 25);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 1);
}

static void hint_chunk_boundaries(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;
	struct kvmmig_gfn_range r[2] = { { CP - 1, 2 }, { 3 * CP - 1, CP + 2 } };

	KUNIT_ASSERT_EQ(test, kvmmig_hint_map_add(m, r, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), CP + 4);
	/* chunks 0, 1, 2, 3, 4 */
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 5);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, CP - 2), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, CP - 1), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, CP), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, CP + 1), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, 4 * CP), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 4 * CP + 1), 0);

	/* removing chunk 1's only frame frees chunk 1 */
	kvmmig_hint_map_remove(m, CP, 1);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), CP + 3);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 4);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, CP), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, CP - 1), 0);
	/* chunk 3 whole, across both of its boundaries */
	kvmmig_hint_map_remove(m, 3 * CP - 5, CP + 5);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 2);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 2);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, 4 * CP), 0);
	/* removing what is not hinted changes nothing */
	kvmmig_hint_map_remove(m, 100 * CP, 3 * CP);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 2);
	kvmmig_hint_map_remove(m, 0, 5 * CP);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 0);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 4 * CP), 0);
}

/* A large frame number (52-bit guest-physical space) works as well. */
static void hint_high_frames(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;
	u64 g = (1ULL << 40) - 3;

	KUNIT_ASSERT_EQ(test, add1(m, g, 6), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 6);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 2);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, g + 5), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, g + 6), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, g - 1), 0);
}

/*
 * REMOVE of the largest range (2^52 - 1 frames, 2^37 chunk indexes) visits
 * only the chunks present: it returns at once (the old per-index walk
 * never did) and drops exactly the hints in the range.
 */
static void hint_remove_huge_range(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;
	const u64 top = (1ULL << 52) - 1;	/* frames 0 .. 2^52 - 2 */
	static const u64 at[] = { 0, 5, 1000 * CP + 3, (1ULL << 40) + 7,
				  (1ULL << 52) - 2 };
	int i;

	for (i = 0; i < ARRAY_SIZE(at); i++)
		KUNIT_ASSERT_EQ(test, add1(m, at[i], 1), 0);
	KUNIT_ASSERT_EQ(test, kvmmig_hint_map_count(m), ARRAY_SIZE(at));
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 4);
	/* all but frame 0 */
	kvmmig_hint_map_remove(m, 1, top - 1);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 1);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 1);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, 0), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 5), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, (1ULL << 52) - 2), 0);
	/* again, with every hint back: the whole space */
	for (i = 0; i < ARRAY_SIZE(at); i++)
		KUNIT_ASSERT_EQ(test, add1(m, at[i], 1), 0);
	kvmmig_hint_map_remove(m, 0, top);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 0);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 0);
	for (i = 0; i < ARRAY_SIZE(at); i++)
		KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, at[i]), 0);
	/* a huge range next to a hint leaves it alone */
	KUNIT_ASSERT_EQ(test, add1(m, 2 * CP - 1, 2), 0);
	kvmmig_hint_map_remove(m, 2 * CP + 1, top - 2 * CP - 1);
	kvmmig_hint_map_remove(m, 0, 2 * CP - 1);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 2);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 2);
}

static void hint_mark_clear(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;

	KUNIT_ASSERT_EQ(test, add1(m, 0, 100), 0);
	kvmmig_hint_map_mark(m);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 50), KVMMIG_HINT_FREE);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 100);
	/* hinted again after the mark: fresh again */
	KUNIT_ASSERT_EQ(test, add1(m, 40, 20), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 39), KVMMIG_HINT_FREE);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 40),
			KVMMIG_HINT_FREE | KVMMIG_HINT_FRESH);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 60), KVMMIG_HINT_FREE);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 100);
	/* removed then re-added: fresh */
	kvmmig_hint_map_remove(m, 0, 1);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 0), 0);
	KUNIT_ASSERT_EQ(test, add1(m, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 0),
			KVMMIG_HINT_FREE | KVMMIG_HINT_FRESH);
	kvmmig_hint_map_mark(m);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 40), KVMMIG_HINT_FREE);
	kvmmig_hint_map_clear(m);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 40), 0);
	KUNIT_EXPECT_EQ(test, nr_chunks(m), 0);
	/* usable after clear */
	KUNIT_ASSERT_EQ(test, add1(m, 7, 1), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 1);
}

/* The lookup cache never answers for a chunk that went or came. */
static void hint_cache_follows_changes(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;

	KUNIT_ASSERT_EQ(test, add1(m, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 2 * CP), 0);	/* caches NULL */
	KUNIT_ASSERT_EQ(test, add1(m, 2 * CP, 1), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, 2 * CP), 0);
	kvmmig_hint_map_remove(m, 2 * CP, 1);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 2 * CP), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, 1), 0);
}

/* ---- send order ---- */

static int test_flush(void *p, u64 index, const struct kvmmig_gfn_range *runs,
		      u32 n)
{
	struct order_test_ctx *ctx = p;

	if (index + n > ctx->rcap)
		return -EFAULT;
	memcpy(ctx->runs + index, runs, n * sizeof(*runs));
	return 0;
}

static int test_move(void *p, u64 to, u64 from, u64 n)
{
	struct order_test_ctx *ctx = p;

	if (to >= from || from + n > ctx->rcap)
		return -EFAULT;
	memmove(ctx->runs + to, ctx->runs + from, n * sizeof(*ctx->runs));
	return 0;
}

/* Room for @rcap runs, to be filled by a place pass. */
static void test_out(struct kunit *test, u64 rcap)
{
	struct order_test_ctx *ctx = test->priv;

	ctx->rcap = rcap;
	ctx->runs = kunit_kcalloc(test, rcap + 1, sizeof(*ctx->runs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->runs);
	ctx->out->flush = test_flush;
	ctx->out->move = test_move;
	ctx->out->ctx = ctx;
}

/*
 * The finished order's runs, expanded into ctx->gfns (ctx->cap frames).
 * Every run holds at least one frame.
 */
static void test_expand(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	u64 i, j, n = 0;

	for (i = 0; i < ctx->out->nr_runs; i++) {
		KUNIT_ASSERT_GT(test, ctx->runs[i].npages, 0);
		n += ctx->runs[i].npages;
	}
	ctx->cap = n;
	ctx->gfns = kunit_kcalloc(test, n + 1, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->gfns);
	for (i = 0, n = 0; i < ctx->out->nr_runs; i++)
		for (j = 0; j < ctx->runs[i].npages; j++)
			ctx->gfns[n++] = ctx->runs[i].gfn + j;
}

/* The level of frame @gfn in the chunks, or -1 outside them. */
static int test_level_of(const struct kvmmig_order_chunk *c, int nr, u64 gfn)
{
	int k;

	for (k = 0; k < nr; k++)
		if (gfn >= c[k].base_gfn && gfn < c[k].base_gfn + c[k].nbits)
			return c[k].levels[gfn - c[k].base_gfn];
	return -1;
}

/*
 * The oracle, from the chunks alone: the frames to send are the set bits
 * below @nbits whose level is a level and whose hint state does not drop
 * them, listed level by level, coldest first, ascending within a level.
 * The order's runs must expand to exactly that list, each run must hold
 * frames of one level, and two runs of one level must never touch (they
 * would be one run).  Levels must not change during the order.
 */
static void check_oracle(struct kunit *test, const struct kvmmig_order_chunk *c,
			 int nr)
{
	struct order_test_ctx *ctx = test->priv;
	u64 at = 0, i, j;
	int k, l;

	for (l = 0; l < KVMMIG_TEMP_LEVELS; l++) {
		u64 from = at;

		for (k = 0; k < nr; k++) {
			for (i = 0; i < c[k].nbits; i++) {
				unsigned int hint = 0;

				if (!(c[k].words[i / 64] & BIT_ULL(i % 64)) ||
				    c[k].levels[i] != l)
					continue;
				if (c[k].hint_state)
					hint = c[k].hint_state[i];
				else if (c[k].hints)
					hint = kvmmig_hint_map_test(c[k].hints,
								    c[k].base_gfn + i);
				if (hint & KVMMIG_HINT_FREE &&
				    (c[k].all || hint & KVMMIG_HINT_FRESH))
					continue;
				KUNIT_ASSERT_LT(test, at, ctx->cap);
				KUNIT_ASSERT_EQ(test, ctx->gfns[at], c[k].base_gfn + i);
				at++;
			}
		}
		KUNIT_EXPECT_EQ(test, ctx->out->level_pages[l], at - from);
	}
	KUNIT_EXPECT_EQ(test, at, ctx->cap);
	/* each run one level; runs of one level never adjacent */
	for (i = 0; i < ctx->out->nr_runs; i++) {
		const struct kvmmig_gfn_range *r = &ctx->runs[i];
		int lr = test_level_of(c, nr, r->gfn);

		for (j = 1; j < r->npages; j++)
			KUNIT_ASSERT_EQ(test, test_level_of(c, nr, r->gfn + j), lr);
		if (i + 1 < ctx->out->nr_runs &&
		    test_level_of(c, nr, ctx->runs[i + 1].gfn) == lr)
			KUNIT_EXPECT_NE(test, r->gfn + r->npages, ctx->runs[i + 1].gfn);
	}
}

/*
 * Overlapping adds and partial removes across chunk boundaries: the
 * running count equals the bits of a reference bitmap (the oracle), and
 * every frame reads as the reference says.
 */
static void hint_counts_follow_reference(struct kunit *test)
{
	struct kvmmig_hint_map *m = &((struct order_test_ctx *)test->priv)->map;
	const u64 span = 3 * CP;
	unsigned long *ref = kunit_kzalloc(test, BITS_TO_LONGS(span) * sizeof(long),
					   GFP_KERNEL);
	u32 rnd = 0x2545f491, step;
	u64 g;

	KUNIT_ASSERT_NOT_NULL(test, ref);
	for (step = 0; step < 300; step++) {
		u64 gfn, n;

		rnd = rnd * 1103515245 + 12345;
		gfn = (rnd >> 8) % span;
		rnd = rnd * 1103515245 + 12345;
		n = 1 + (rnd >> 8) % (span - gfn);
		if (step % 3 == 2) {
			kvmmig_hint_map_remove(m, gfn, n);
			bitmap_clear(ref, gfn, n);
		} else {
			KUNIT_ASSERT_EQ(test, add1(m, gfn, n), 0);
			bitmap_set(ref, gfn, n);
		}
		KUNIT_ASSERT_EQ(test, kvmmig_hint_map_count(m),
				(u64)bitmap_weight(ref, span));
	}
	for (g = 0; g < span; g++)
		KUNIT_ASSERT_EQ(test, !!kvmmig_hint_map_test(m, g), test_bit(g, ref));
}

/*
 * Count then place @nr chunks into ctx->runs; on success expand them into
 * ctx->gfns and check them against the oracle.  Returns place's or
 * finish's result.
 */
static int run_order(struct kunit *test, struct kvmmig_order_chunk *c, int nr,
		     struct kvmmig_order_counts *cnt)
{
	struct order_test_ctx *ctx = test->priv;
	int i, ret = 0;

	memset(cnt, 0, sizeof(*cnt));
	for (i = 0; i < nr; i++)
		kvmmig_order_count(&c[i], cnt);
	test_out(test, kvmmig_order_total_runs(cnt));
	kvmmig_order_out_init(ctx->out, cnt);
	for (i = 0; i < nr && !ret; i++)
		ret = kvmmig_order_place(&c[i], ctx->out);
	ret = ret ?: kvmmig_order_finish(ctx->out);
	if (ret)
		return ret;
	/* nothing changed between the passes: exactly the counted runs */
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, kvmmig_order_total_runs(cnt));
	KUNIT_EXPECT_EQ(test, ctx->out->placed, kvmmig_order_total(cnt));
	for (i = 0; i < KVMMIG_TEMP_LEVELS; i++)
		KUNIT_EXPECT_EQ(test, ctx->out->level_pages[i], cnt->level_pages[i]);
	test_expand(test);
	check_oracle(test, c, nr);
	return 0;
}

static void order_levels_and_frames(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	u64 words[2] = { 0, 0 };
	u8 levels[128] = {};
	struct kvmmig_order_chunk c = { .base_gfn = 1024, .nbits = 128,
					.words = words, .levels = levels };
	struct kvmmig_order_counts cnt;
	static const u64 want[] = { 1024 + 5, 1024 + 70, 1024 + 1, 1024 + 64,
				    1024 + 127, 1024 + 3, 1024 + 100 };
	int i;

	/* frame: level — 1:2 3:3 5:0 64:2 70:0 100:3 127:2 */
	words[0] = BIT_ULL(1) | BIT_ULL(3) | BIT_ULL(5);
	words[1] = BIT_ULL(0) | BIT_ULL(6) | BIT_ULL(36) | BIT_ULL(63);
	levels[1] = 2;
	levels[3] = 3;
	levels[64] = 2;
	levels[100] = 3;
	levels[127] = 2;
	levels[2] = 3;	/* not set in the bitmap */
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	KUNIT_EXPECT_EQ(test, cnt.dirty, 7);
	KUNIT_EXPECT_EQ(test, cnt.level_pages[0], 2);
	KUNIT_EXPECT_EQ(test, cnt.level_pages[1], 0);
	KUNIT_EXPECT_EQ(test, cnt.level_pages[2], 3);
	KUNIT_EXPECT_EQ(test, cnt.level_pages[3], 2);
	KUNIT_EXPECT_EQ(test, cnt.nr_free, 0);
	KUNIT_ASSERT_EQ(test, ctx->cap, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ(test, ctx->gfns[i], want[i]);
	/* no two frames of a level touch: one run each */
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, ARRAY_SIZE(want));
	KUNIT_EXPECT_EQ(test, kvmmig_order_total_runs(&cnt), ARRAY_SIZE(want));
}

/*
 * Consecutive frames of one level are one run, also across chunks; a
 * frame of another level, a clear bit or a dropped frame ends a run.
 */
static void order_runs_join(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	struct kvmmig_hint_map *m = &ctx->map;
	u64 words[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };
	u8 levels[256] = {};
	struct kvmmig_order_chunk c[2] = {
		{ .base_gfn = 0, .nbits = 128, .words = words,
		  .levels = levels, .hints = m },
		{ .base_gfn = 128, .nbits = 128, .words = words + 2,
		  .levels = levels + 128, .hints = m },
	};
	static const struct kvmmig_gfn_range want[] = {
		{ 0, 10 }, { 12, 88 }, { 101, 49 }, { 160, 40 },
		{ 250, 6 }, { 150, 10 }, { 10, 2 }, { 200, 50 },
	};
	struct kvmmig_order_counts cnt;
	u32 i;

	/* level 3: 10..11 and 200..249; level 1: 150..159; else 0 */
	memset(levels + 10, 3, 2);
	memset(levels + 150, 1, 10);
	memset(levels + 200, 3, 50);
	/* frame 100 clear (and hinted: no matter), a break at 100 */
	words[1] &= ~BIT_ULL(100 - 64);
	KUNIT_ASSERT_EQ(test, add1(m, 100, 1), 0);
	/* 101..149 crosses the chunks' boundary at 128: one run */
	c[0].all = true;
	c[1].all = true;
	KUNIT_ASSERT_EQ(test, run_order(test, c, 2, &cnt), 0);
	KUNIT_EXPECT_EQ(test, cnt.nr_free, 0);	/* 100 is not set */
	KUNIT_ASSERT_EQ(test, ctx->out->nr_runs, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		KUNIT_EXPECT_EQ_MSG(test, ctx->runs[i].gfn, want[i].gfn, "run %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ctx->runs[i].npages, want[i].npages,
				    "run %u", i);
	}
	KUNIT_EXPECT_EQ(test, cnt.level_runs[0], 5);
	KUNIT_EXPECT_EQ(test, cnt.level_runs[1], 1);
	KUNIT_EXPECT_EQ(test, cnt.level_runs[2], 0);
	KUNIT_EXPECT_EQ(test, cnt.level_runs[3], 2);

	/* a hinted frame dropped in the middle of a run splits it */
	words[1] |= BIT_ULL(100 - 64);
	KUNIT_ASSERT_EQ(test, add1(m, 50, 1), 0);
	KUNIT_ASSERT_EQ(test, run_order(test, c, 2, &cnt), 0);
	KUNIT_EXPECT_EQ(test, cnt.nr_free, 2);
	KUNIT_EXPECT_EQ(test, ctx->runs[0].gfn, 0);
	KUNIT_EXPECT_EQ(test, ctx->runs[1].gfn, 12);
	KUNIT_EXPECT_EQ(test, ctx->runs[1].npages, 38);
	KUNIT_EXPECT_EQ(test, ctx->runs[2].gfn, 51);
	KUNIT_EXPECT_EQ(test, ctx->runs[2].npages, 49);
	KUNIT_EXPECT_EQ(test, ctx->runs[3].gfn, 101);
}

/* Bits at and past nbits are ignored; frames with no memslot dropped. */
static void order_tail_bits_and_no_slot(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	u64 words[2] = { ~0ULL, ~0ULL };
	u8 levels[128] = {};
	struct kvmmig_order_chunk c = { .base_gfn = 0, .nbits = 70,
					.words = words, .levels = levels };
	struct kvmmig_order_counts cnt;

	memset(levels + 60, KVMMIG_TEMP_NO_SLOT, 8);	/* 60..67 */
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	KUNIT_EXPECT_EQ(test, cnt.dirty, 70);
	KUNIT_EXPECT_EQ(test, cnt.no_slot, 8);
	KUNIT_EXPECT_EQ(test, ctx->cap, 62);
	KUNIT_EXPECT_EQ(test, ctx->gfns[59], 59);
	KUNIT_EXPECT_EQ(test, ctx->gfns[60], 68);
	KUNIT_EXPECT_EQ(test, ctx->gfns[61], 69);
}

/*
 * A chunk's hint state read beforehand (@hint_state, as KVMMIG_GET_SEND_ORDER
 * does, under the hints' lock) gives the order the map itself gives.
 */
static void order_hint_state_as_map(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	struct kvmmig_hint_map *m = &ctx->map;
	u64 words[2] = { 0x00ff00ff00ff00ffULL, 0xf0f0f0f0f0f0f0f0ULL };
	u8 levels[128], state[128] = {};
	struct kvmmig_order_chunk c = { .base_gfn = 0, .nbits = 128,
					.words = words, .levels = levels,
					.hints = m };
	struct kvmmig_order_counts cnt, cnt2;
	u64 *first, i, unhint[128];

	ctx->out->unhint = unhint;
	ctx->out->max_unhint = ARRAY_SIZE(unhint);
	for (i = 0; i < 128; i++)
		levels[i] = (i * 7) % KVMMIG_TEMP_LEVELS;
	KUNIT_ASSERT_EQ(test, add1(m, 0, 20), 0);
	kvmmig_hint_map_mark(m);
	KUNIT_ASSERT_EQ(test, add1(m, 60, 40), 0);
	c.all = false;
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	first = ctx->gfns;
	for (i = 0; i < 128; i++)
		state[i] = kvmmig_hint_map_test(m, i);
	c.hints = NULL;
	c.hint_state = state;
	memset(ctx->out, 0, sizeof(*ctx->out));
	ctx->out->unhint = unhint;
	ctx->out->max_unhint = ARRAY_SIZE(unhint);
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt2), 0);
	KUNIT_EXPECT_EQ(test, cnt.nr_free, cnt2.nr_free);
	KUNIT_EXPECT_EQ(test, cnt.unhint, cnt2.unhint);
	KUNIT_EXPECT_GT(test, cnt.nr_free, 0);
	KUNIT_ASSERT_EQ(test, kvmmig_order_total(&cnt), kvmmig_order_total(&cnt2));
	for (i = 0; i < kvmmig_order_total(&cnt); i++)
		KUNIT_EXPECT_EQ(test, first[i], ctx->gfns[i]);
}

/*
 * Hint interplay: ALL drops every hinted frame, a harvest fresh ones; the
 * place pass collects the sent frames with a settled hint, and only
 * kvmmig_order_unhint() drops their hints.
 */
static void order_free_hints(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	struct kvmmig_hint_map *m = &ctx->map;
	u64 words[1] = { 0xff };	/* frames 0..7 */
	u8 levels[64] = {};
	struct kvmmig_order_chunk c = { .base_gfn = 0, .nbits = 64,
					.words = words, .levels = levels,
					.hints = m };
	struct kvmmig_order_counts cnt;
	u64 unhint[8];

	ctx->out->unhint = unhint;
	ctx->out->max_unhint = ARRAY_SIZE(unhint);
	KUNIT_ASSERT_EQ(test, add1(m, 0, 2), 0);	/* 0, 1: settled */
	kvmmig_hint_map_mark(m);
	KUNIT_ASSERT_EQ(test, add1(m, 4, 2), 0);	/* 4, 5: fresh */

	c.all = true;
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	KUNIT_EXPECT_EQ(test, cnt.nr_free, 4);
	KUNIT_EXPECT_EQ(test, cnt.unhint, 0);
	KUNIT_ASSERT_EQ(test, ctx->cap, 4);
	KUNIT_EXPECT_EQ(test, ctx->gfns[0], 2);
	KUNIT_EXPECT_EQ(test, ctx->gfns[1], 3);
	KUNIT_EXPECT_EQ(test, ctx->gfns[2], 6);
	KUNIT_EXPECT_EQ(test, ctx->gfns[3], 7);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_unhint, 0);
	KUNIT_EXPECT_EQ(test, kvmmig_order_unhint(m, ctx->out), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 4);

	c.all = false;
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	KUNIT_EXPECT_EQ(test, cnt.nr_free, 2);
	KUNIT_EXPECT_EQ(test, cnt.unhint, 2);
	KUNIT_ASSERT_EQ(test, ctx->cap, 6);
	KUNIT_EXPECT_EQ(test, ctx->gfns[0], 0);
	KUNIT_EXPECT_EQ(test, ctx->gfns[1], 1);
	KUNIT_EXPECT_EQ(test, ctx->gfns[2], 2);
	KUNIT_EXPECT_EQ(test, ctx->gfns[5], 7);
	KUNIT_ASSERT_EQ(test, ctx->out->nr_unhint, 2);
	KUNIT_EXPECT_EQ(test, unhint[0], 0);
	KUNIT_EXPECT_EQ(test, unhint[1], 1);
	/* counting and placing left the hints alone; unhint drops 0 and 1 */
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 4);
	KUNIT_EXPECT_EQ(test, kvmmig_order_unhint(m, ctx->out), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_test(m, 0), 0);
	KUNIT_EXPECT_NE(test, kvmmig_hint_map_test(m, 4), 0);

	/* more frames to unhint than room (the bitmap changed): -EAGAIN */
	kvmmig_hint_map_mark(m);			/* 4, 5: settled */
	ctx->out->max_unhint = 1;
	KUNIT_EXPECT_EQ(test, run_order(test, &c, 1, &cnt), -EAGAIN);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 2);
	/* an unset hinted frame is neither sent nor unhinted */
	words[0] = 0;
	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_unhint, 0);
	KUNIT_EXPECT_EQ(test, kvmmig_order_unhint(m, ctx->out), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_hint_map_count(m), 2);
}

static void order_fate_table(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(0, 0, false), KVMMIG_ORDER_SEND);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(3, 0, true), KVMMIG_ORDER_SEND);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(KVMMIG_TEMP_NO_SLOT, 0, false),
			KVMMIG_ORDER_NO_SLOT);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(KVMMIG_TEMP_NO_SLOT,
						KVMMIG_HINT_FREE, true),
			KVMMIG_ORDER_NO_SLOT);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(1, KVMMIG_HINT_FREE, true),
			KVMMIG_ORDER_FREE);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(1, KVMMIG_HINT_FREE |
						KVMMIG_HINT_FRESH, true),
			KVMMIG_ORDER_FREE);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(1, KVMMIG_HINT_FREE |
						KVMMIG_HINT_FRESH, false),
			KVMMIG_ORDER_FREE);
	KUNIT_EXPECT_EQ(test, kvmmig_order_fate(1, KVMMIG_HINT_FREE, false),
			KVMMIG_ORDER_SEND_UNHINT);
}

/*
 * Several chunks and more frames than the output buffer holds: every
 * level's part is complete and ascending; the total is what an E2BIG
 * caller is told.
 */
static void order_many_chunks(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	const u32 bits = 4096;
	struct kvmmig_order_chunk c[3];
	struct kvmmig_order_counts cnt;
	u64 *words, prev;
	u8 *levels;
	u64 i, lvl, at = 0;

	words = kunit_kzalloc(test, 3 * bits / 8, GFP_KERNEL);
	levels = kunit_kzalloc(test, 3 * bits, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, words);
	KUNIT_ASSERT_NOT_NULL(test, levels);
	for (i = 0; i < 3 * bits; i++) {
		if (i % 3)
			words[i / 64] |= BIT_ULL(i % 64);
		levels[i] = (i * 7 / 5) & 3;
	}
	for (i = 0; i < 3; i++)
		c[i] = (struct kvmmig_order_chunk){ .base_gfn = i * bits,
			.nbits = bits, .words = words + i * bits / 64,
			.levels = levels + i * bits };
	KUNIT_ASSERT_EQ(test, run_order(test, c, 3, &cnt), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_order_total(&cnt), 2 * bits);
	KUNIT_EXPECT_EQ(test, cnt.dirty, 2 * bits);
	for (lvl = 0; lvl < 4; lvl++) {
		/* more runs than the buffer holds: flushed several times */
		KUNIT_EXPECT_GT(test, cnt.level_runs[lvl], KVMMIG_ORDER_BUF);
		prev = 0;
		for (i = 0; i < cnt.level_pages[lvl]; i++, at++) {
			u64 g = ctx->gfns[at];

			KUNIT_ASSERT_NE(test, g % 3, 0);
			KUNIT_ASSERT_EQ(test, levels[g], lvl);
			if (i)
				KUNIT_ASSERT_GT(test, g, prev);
			prev = g;
		}
	}
	KUNIT_EXPECT_EQ(test, at, 2 * bits);
}

/* Frames 0..15 after a place with levels @now: each once, parts ascending. */
static void check_sixteen(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	DECLARE_BITMAP(seen, 16);
	u64 i;

	test_expand(test);
	KUNIT_ASSERT_EQ(test, ctx->cap, 16);
	bitmap_zero(seen, 16);
	for (i = 0; i < 16; i++) {
		KUNIT_ASSERT_LT(test, ctx->gfns[i], 16);
		KUNIT_EXPECT_FALSE(test, test_bit(ctx->gfns[i], seen));
		__set_bit(ctx->gfns[i], seen);
	}
}

/* Count with @before, place with @after (16 frames, 0..15 set). */
static int relevel(struct kunit *test, const u8 *before, const u8 *after,
		   u64 words0)
{
	struct order_test_ctx *ctx = test->priv;
	u64 words[1] = { 0xffff };
	u8 levels[64] = {};
	struct kvmmig_order_chunk c = { .base_gfn = 0, .nbits = 64,
					.words = words, .levels = levels };
	struct kvmmig_order_counts cnt = {};
	int ret;

	memcpy(levels, before, 16);
	kvmmig_order_count(&c, &cnt);
	test_out(test, kvmmig_order_total_runs(&cnt));
	kvmmig_order_out_init(ctx->out, &cnt);
	memcpy(levels, after, 16);
	words[0] = words0;
	ret = kvmmig_order_place(&c, ctx->out);
	return ret ?: kvmmig_order_finish(ctx->out);
}

/*
 * Levels that change between count and place (the scanner runs on): no
 * frame is lost or doubled, the runs join what they can and a part left
 * with fewer runs than counted is closed up.  More frames than counted,
 * or a frame that neither joins a run nor finds room: -EAGAIN; fewer:
 * -EAGAIN from finish.
 */
static void order_levels_change(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	u8 split[16], hot[16], cold[16], alt[16];
	int i;

	for (i = 0; i < 16; i++) {
		split[i] = i < 8 ? 0 : 3;
		hot[i] = 3;
		cold[i] = 0;
		alt[i] = i % 2 ? 3 : 0;
	}
	/* 2 runs counted, 1 placed in part 3: moved down to index 0 */
	KUNIT_ASSERT_EQ(test, relevel(test, split, hot, 0xffff), 0);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, 1);
	KUNIT_EXPECT_EQ(test, ctx->runs[0].gfn, 0);
	KUNIT_EXPECT_EQ(test, ctx->runs[0].npages, 16);
	KUNIT_EXPECT_EQ(test, ctx->out->level_pages[3], 16);
	check_sixteen(test);
	/* 16 runs counted (alternating), 1 placed */
	KUNIT_ASSERT_EQ(test, relevel(test, alt, cold, 0xffff), 0);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, 1);
	KUNIT_EXPECT_EQ(test, ctx->runs[0].npages, 16);
	check_sixteen(test);
	/* 1 run counted, levels now alternate: the hot frames join it */
	KUNIT_ASSERT_EQ(test, relevel(test, cold, alt, 0xffff), 0);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, 1);
	KUNIT_EXPECT_EQ(test, ctx->out->level_pages[0], 8);
	KUNIT_EXPECT_EQ(test, ctx->out->level_pages[3], 8);
	check_sixteen(test);
	/* 2 runs counted, split moved: 0..3 cold, 4..15 hot */
	for (i = 0; i < 16; i++)
		alt[i] = i < 4 ? 0 : 3;
	KUNIT_ASSERT_EQ(test, relevel(test, split, alt, 0xffff), 0);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, 2);
	KUNIT_EXPECT_EQ(test, ctx->runs[0].gfn, 0);
	KUNIT_EXPECT_EQ(test, ctx->runs[0].npages, 4);
	KUNIT_EXPECT_EQ(test, ctx->runs[1].gfn, 4);
	KUNIT_EXPECT_EQ(test, ctx->runs[1].npages, 12);
	check_sixteen(test);

	/* one frame more than counted */
	KUNIT_EXPECT_EQ(test, relevel(test, cold, cold, 0x1ffff), -EAGAIN);
	/* as many frames, but one apart: a second run with no room */
	KUNIT_EXPECT_EQ(test, relevel(test, cold, cold, 0x2fffe), -EAGAIN);
	/* one frame less */
	KUNIT_EXPECT_EQ(test, relevel(test, cold, cold, 0x7fff), -EAGAIN);
}

/* An empty bitmap gives an empty order; a flush error is passed on. */
static void order_empty_and_flush_error(struct kunit *test)
{
	struct order_test_ctx *ctx = test->priv;
	u64 words[1] = { 0 };
	u8 levels[64] = {};
	struct kvmmig_order_chunk c = { .base_gfn = 64, .nbits = 64,
					.words = words, .levels = levels };
	struct kvmmig_order_counts cnt;

	KUNIT_ASSERT_EQ(test, run_order(test, &c, 1, &cnt), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_order_total(&cnt), 0);
	KUNIT_EXPECT_EQ(test, ctx->out->nr_runs, 0);
	KUNIT_EXPECT_EQ(test, cnt.dirty, 0);

	words[0] = 3;
	memset(&cnt, 0, sizeof(cnt));
	kvmmig_order_count(&c, &cnt);
	KUNIT_EXPECT_EQ(test, kvmmig_order_total_runs(&cnt), 1);
	test_out(test, 0);	/* too small: the flush fails */
	kvmmig_order_out_init(ctx->out, &cnt);
	KUNIT_ASSERT_EQ(test, kvmmig_order_place(&c, ctx->out), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_order_finish(ctx->out), -EFAULT);
}

/* GET_SEND_ORDER's argument check: a valid one passes, each defect fails. */
static void order_checks(struct kunit *test)
{
	struct kvmmig_send_order a = {
		.size = sizeof(a), .base_gfn = 64, .npages = 100,
		.bitmap_ptr = 0x1000, .runs_ptr = 0x2000, .max_runs = 100,
	}, b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&a), 0);
	b = a; b.flags = KVMMIG_SEND_ORDER_ALL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), 0);
	/* a size query: no output array */
	b = a; b.max_runs = 0; b.runs_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), 0);
	/* outputs are not inputs */
	b = a; b.nr_runs = 5; b.nr_done = 6; b.nr_free = 7; b.level_pages[3] = 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), 0);
	b = a; b.npages = KVMMIG_SEND_ORDER_MAX_PAGES;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), 0);
	b = a; b.base_gfn = 65;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.npages = KVMMIG_SEND_ORDER_MAX_PAGES + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.base_gfn = U64_MAX & ~63ULL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.bitmap_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.runs_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a; b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	}
}

static struct kunit_case order_cases[] = {
	KUNIT_CASE(hint_add_test_count),
	KUNIT_CASE(hint_chunk_boundaries),
	KUNIT_CASE(hint_high_frames),
	KUNIT_CASE(hint_remove_huge_range),
	KUNIT_CASE(hint_mark_clear),
	KUNIT_CASE(hint_cache_follows_changes),
	KUNIT_CASE(hint_counts_follow_reference),
	KUNIT_CASE(order_fate_table),
	KUNIT_CASE(order_levels_and_frames),
	KUNIT_CASE(order_tail_bits_and_no_slot),
	KUNIT_CASE(order_free_hints),
	KUNIT_CASE(order_hint_state_as_map),
	KUNIT_CASE(order_many_chunks),
	KUNIT_CASE(order_levels_change),
	KUNIT_CASE(order_empty_and_flush_error),
	KUNIT_CASE(order_runs_join),
	KUNIT_CASE(order_checks),
	{}
};

struct kunit_suite kvmmig_send_order_suite = {
	.name = "kvmmig_send_order",
	.init = order_test_init,
	.exit = order_test_exit,
	.test_cases = order_cases,
};
