// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: working set and deferred fill, pure logic
 * (migrate/working_set_logic.c, included): sorting and deduplication of faulted frames,
 * the merge of temperature levels with faulted frames chunk by chunk, the
 * count and write outputs with their limit and flushes, and the page
 * content test of deferred fill.
 */
#include "migrate/working_set_logic.c"
#include <linux/slab.h>
#include "kvmmig_kunit.h"

#define WS_TEST_MAX	64

/* A flush target: the words (runs) as the user would see them. */
struct ws_sink {
	u64 gfns[WS_TEST_MAX];
	u32 flushes;
	int fail_at;	/* flush number that fails with -EFAULT, or -1 */
};

static int ws_sink_flush(void *ctx, u64 index, const u64 *gfns, u32 n)
{
	struct ws_sink *k = ctx;

	if ((int)k->flushes++ == k->fail_at)
		return -EFAULT;
	if (index + n > WS_TEST_MAX)
		return -EINVAL;
	memcpy(&k->gfns[index], gfns, n * sizeof(*gfns));
	return 0;
}

/*
 * The sink's first @nr runs expanded into frames at @out (room @max);
 * returns the frames.  Every run holds a frame and lies apart from the
 * one before.
 */
static u32 ws_sink_frames(struct kunit *test, const struct ws_sink *k,
			  u64 nr, u64 *out, u32 max)
{
	u32 n = 0;
	u64 i, j;

	for (i = 0; i < nr; i++) {
		u64 gfn = k->gfns[2 * i], len = k->gfns[2 * i + 1];

		KUNIT_EXPECT_GE(test, len, 1ULL);
		if (i)
			KUNIT_EXPECT_GT(test, gfn, k->gfns[2 * i - 2] + k->gfns[2 * i - 1]);
		for (j = 0; j < len && n < max; j++)
			out[n++] = gfn + j;
	}
	return n;
}

static void ws_sort_unique(struct kunit *test)
{
	u64 v[] = { 9, 3, 3, 7, 1, 9, 9, 0, 7 };
	static const u64 want[] = { 0, 1, 3, 7, 9 };
	u64 one[] = { 42 };
	u32 n, i;

	n = kvmmig_ws_sort_unique(v, ARRAY_SIZE(v));
	KUNIT_ASSERT_EQ(test, n, (u32)ARRAY_SIZE(want));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, v[i], want[i]);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_sort_unique(one, 1), 1U);
	KUNIT_EXPECT_EQ(test, one[0], 42ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_sort_unique(NULL, 0), 0U);
}

static void ws_fault_gfns(struct kunit *test)
{
	struct kvmmig_fault_record rec[4] = {
		{ .gfn = 0x5, .flags = KVMMIG_FAULT_GFN },
		{ .gfn = 0x7, .flags = KVMMIG_FAULT_GVA },	/* no gfn */
		{ .gfn = 0x100000ULL, .flags = KVMMIG_FAULT_GFN | KVMMIG_FAULT_TDP },
		{ .gfn = 0x5, .flags = KVMMIG_FAULT_GFN },
	};
	u64 g[4];

	KUNIT_ASSERT_EQ(test, kvmmig_ws_fault_gfns(rec, 4, g), 3U);
	KUNIT_EXPECT_EQ(test, g[0], 5ULL);
	KUNIT_EXPECT_EQ(test, g[1], 0x100000ULL);
	KUNIT_EXPECT_EQ(test, g[2], 5ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_sort_unique(g, 3), 2U);
}

/* Hot frames by level, faulted frames in and between chunks. */
static void ws_merge_levels_and_faults(struct kunit *test)
{
	/* chunk A: frames 100..107, chunk B: frames 200..203 */
	static const u8 la[8] = { 0, 3, 2, 1, 3, 0, KVMMIG_TEMP_NO_SLOT, 2 };
	static const u8 lb[4] = { 3, 0, 0, 0 };
	/* 50: before any chunk; 150: between; 102: hot anyway; 300: after */
	static const u64 faulted[] = { 50, 100, 102, 105, 150, 201, 300 };
	static const u64 want[] = { 100, 101, 102, 104, 105, 107, 200, 201 };
	struct kvmmig_ws_faulted f = { .gfns = faulted,
				       .n = ARRAY_SIZE(faulted) };
	struct ws_sink *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct kvmmig_ws_out o;
	u64 buf[3], got[16];
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->fail_at = -1;
	/* count pass */
	kvmmig_ws_out_init(&o, false, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 100, la, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 200, lb, 4, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_out_finish(&o), 0);
	KUNIT_EXPECT_EQ(test, o.total, (u64)ARRAY_SIZE(want));
	/* hot: 101 102 104 107 200; faulted alone: 100 105 201 */
	KUNIT_EXPECT_EQ(test, o.nr_hot, 5ULL);
	KUNIT_EXPECT_EQ(test, o.nr_faulted, 3ULL);
	/* runs: 100..102, 104..105, 107, 200..201 */
	KUNIT_EXPECT_EQ(test, o.nr_runs, 4ULL);

	/* write pass, with a buffer smaller than the set */
	f.next = 0;
	kvmmig_ws_out_init(&o, true, 4, buf, ARRAY_SIZE(buf));
	o.flush = ws_sink_flush;
	o.ctx = k;
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 100, la, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 200, lb, 4, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_out_finish(&o), 0);
	KUNIT_ASSERT_EQ(test, o.total, (u64)ARRAY_SIZE(want));
	KUNIT_ASSERT_EQ(test, ws_sink_frames(test, k, o.nr_runs, got, 16),
			(u32)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i], want[i], "index %u", i);
	KUNIT_EXPECT_EQ(test, k->flushes, 3U);	/* 8 words: 3 + 3 + 2 */
}

static void ws_merge_thresholds(struct kunit *test)
{
	static const u8 lv[6] = { 0, 1, 2, 3, 3, 1 };
	struct kvmmig_ws_out o;
	u32 min;

	for (min = 1; min < KVMMIG_TEMP_NR_LEVELS; min++) {
		u64 want = 0;
		u32 i;

		for (i = 0; i < ARRAY_SIZE(lv); i++)
			want += lv[i] >= min;
		kvmmig_ws_out_init(&o, false, 0, NULL, 0);
		KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, NULL, 0, lv, 6, min), 0);
		KUNIT_EXPECT_EQ_MSG(test, o.total, want, "min_level %u", min);
		KUNIT_EXPECT_EQ(test, o.nr_faulted, 0ULL);
	}
}

/* Temperature left out: only faulted frames, only those in chunks. */
static void ws_merge_faulted_only(struct kunit *test)
{
	static const u64 faulted[] = { 1, 10, 11, 19, 20, 35 };
	struct kvmmig_ws_faulted f = { .gfns = faulted,
				       .n = ARRAY_SIZE(faulted) };
	struct ws_sink *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct kvmmig_ws_out o;
	u64 buf[16], got[8];

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->fail_at = -1;
	kvmmig_ws_out_init(&o, true, 16, buf, 16);
	o.flush = ws_sink_flush;
	o.ctx = k;
	/* chunks [10, 20) and [30, 40) */
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 10, NULL, 10, 4), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 30, NULL, 10, 4), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_out_finish(&o), 0);
	KUNIT_ASSERT_EQ(test, o.total, 4ULL);
	KUNIT_EXPECT_EQ(test, o.nr_hot, 0ULL);
	KUNIT_EXPECT_EQ(test, o.nr_faulted, 4ULL);
	KUNIT_EXPECT_EQ(test, o.nr_runs, 3ULL);
	KUNIT_ASSERT_EQ(test, ws_sink_frames(test, k, o.nr_runs, got, 8), 4U);
	KUNIT_EXPECT_EQ(test, got[0], 10ULL);
	KUNIT_EXPECT_EQ(test, got[1], 11ULL);
	KUNIT_EXPECT_EQ(test, got[2], 19ULL);
	KUNIT_EXPECT_EQ(test, got[3], 35ULL);
	KUNIT_EXPECT_EQ(test, k->flushes, 1U);
}

/* A writing output stops at its limit; a failing flush ends the merge. */
static void ws_out_limit_and_errors(struct kunit *test)
{
	/* every other frame hot: 8 runs of one frame */
	static const u8 lv[16] = { 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0 };
	struct ws_sink *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct kvmmig_ws_out o;
	u64 buf[2];

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->fail_at = -1;
	kvmmig_ws_out_init(&o, true, 5, buf, 2);
	o.flush = ws_sink_flush;
	o.ctx = k;
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, NULL, 0, lv, 16, 3),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, o.nr_runs, 5ULL);
	/* never more than the limit reached the user: a run is two words */
	KUNIT_EXPECT_LE(test, (u64)k->flushes * 2, 5ULL * 2);

	memset(k, 0, sizeof(*k));
	k->fail_at = 1;
	kvmmig_ws_out_init(&o, true, 8, buf, 2);
	o.flush = ws_sink_flush;
	o.ctx = k;
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, NULL, 0, lv, 16, 3),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, k->flushes, 2U);

	/* counting has no limit */
	kvmmig_ws_out_init(&o, false, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, NULL, 0, lv, 16, 3), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_out_finish(&o), 0);
	KUNIT_EXPECT_EQ(test, o.total, 8ULL);
	KUNIT_EXPECT_EQ(test, o.nr_runs, 8ULL);
}

/*
 * Runs of consecutive frames, a run going on across a chunk boundary;
 * runs straddle flushes of an odd buffer; the limit counts runs.
 */
static void ws_out_runs(struct kunit *test)
{
	/* chunk A: frames 100..107, chunk B: frames 108..111 */
	static const u8 la[8] = { 3, 3, 0, 3, 3, 3, 0, 3 };
	static const u8 lb[4] = { 3, 0, 0, 3 };
	static const u64 faulted[] = { 102 };
	/* frames 100..105 (102 faulted), 107..108, 111 */
	static const u64 want[] = { 100, 6, 107, 2, 111, 1 };
	struct kvmmig_ws_faulted f = { .gfns = faulted,
				       .n = ARRAY_SIZE(faulted) };
	struct ws_sink *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct kvmmig_ws_out o;
	u64 buf[3];
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->fail_at = -1;
	kvmmig_ws_out_init(&o, false, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 100, la, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 108, lb, 4, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_out_finish(&o), 0);
	KUNIT_EXPECT_EQ(test, o.total, 9ULL);
	KUNIT_EXPECT_EQ(test, o.nr_runs, 3ULL);
	KUNIT_EXPECT_EQ(test, o.nr_faulted, 1ULL);

	f.next = 0;
	kvmmig_ws_out_init(&o, true, 3, buf, ARRAY_SIZE(buf));
	o.flush = ws_sink_flush;
	o.ctx = k;
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 100, la, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 108, lb, 4, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_out_finish(&o), 0);
	KUNIT_EXPECT_EQ(test, o.nr_runs, 3ULL);
	KUNIT_EXPECT_EQ(test, o.pos, (u64)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ_MSG(test, k->gfns[i], want[i], "word %u", i);

	/* two runs allowed: the third one is refused, nothing past it */
	memset(k, 0, sizeof(*k));
	k->fail_at = -1;
	f.next = 0;
	kvmmig_ws_out_init(&o, true, 2, buf, ARRAY_SIZE(buf));
	o.flush = ws_sink_flush;
	o.ctx = k;
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 100, la, 8, 2), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ws_merge_chunk(&o, &f, 108, lb, 4, 2),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, o.nr_runs, 2ULL);
	KUNIT_EXPECT_LE(test, o.pos, 4ULL);
}

/* GET_WORKING_SET's argument check: a valid one passes, each defect fails. */
static void ws_checks(struct kunit *test)
{
	struct kvmmig_working_set a = { .size = sizeof(a), .min_level = 3,
					.flags = KVMMIG_WS_FAULTED,
					.max_runs = 16, .runs_ptr = 0x1000 };
	struct kvmmig_working_set b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&a), 0);
	b = a;
	b.min_level = KVMMIG_TEMP_NR_LEVELS;	/* faulted frames only */
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	b.min_level = 1;
	b.max_runs = KVMMIG_WS_MAX_RUNS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	b.max_runs = 0;
	b.runs_ptr = 0;		/* a size query */
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	b = a;
	b.nr_pages = 5;
	b.nr_hot = 6;
	b.nr_faulted = 7;
	b.nr_runs = 8;		/* out fields: ignored on the way in */
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);

	b = a;
	b.min_level = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b.min_level = KVMMIG_TEMP_NR_LEVELS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.max_runs = KVMMIG_WS_MAX_RUNS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.runs_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a;
		b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	}
}

static struct kunit_case kvmmig_working_set_cases[] = {
	KUNIT_CASE(ws_sort_unique),
	KUNIT_CASE(ws_fault_gfns),
	KUNIT_CASE(ws_merge_levels_and_faults),
	KUNIT_CASE(ws_merge_thresholds),
	KUNIT_CASE(ws_merge_faulted_only),
	KUNIT_CASE(ws_out_limit_and_errors),
	KUNIT_CASE(ws_out_runs),
	KUNIT_CASE(ws_checks),
	{}
};

struct kunit_suite kvmmig_working_set_suite = {
	.name = "kvmmig_working_set",
	.test_cases = kvmmig_working_set_cases,
};
