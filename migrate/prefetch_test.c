// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the reverse index GPA -> GVA, the teardown judge and the
 * prefetch-list order (migrate/prefetch_logic.c, included), on synthetic mappings.
 */
#include "migrate/prefetch_logic.c"
#include "kvmmig_kunit.h"

#define PG(n)		((u64)(n) << 12)
#define SZ_2M_ULL	BIT_ULL(21)

static struct kvmmig_rindex *rx_new(struct kunit *test, u32 cap)
{
	struct kvmmig_rindex *ri = kunit_kzalloc(test, sizeof(*ri), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ri);
	KUNIT_ASSERT_EQ(test, kvmmig_rindex_alloc(ri, cap), 0);
	return ri;
}

/* Runs contiguous in both spaces merge; anything else starts an extent. */
static void rindex_add_merges(struct kunit *test)
{
	struct kvmmig_rindex *ri = rx_new(test, 8);

	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(10), PG(100), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(11), PG(101), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(12), PG(102), PG(2)), 0);
	KUNIT_EXPECT_EQ(test, ri->nr, 1U);
	KUNIT_EXPECT_EQ(test, ri->ext[0].npages, 4ULL);
	/* gva continues, gpa does not */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(14), PG(50), PG(1)), 0);
	/* gap in gva */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(16), PG(51), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, ri->nr, 3U);
	/* a 2 MiB page counts 512 pages */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, SZ_2M_ULL, SZ_2M_ULL * 3,
						SZ_2M_ULL), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_pages(ri), 4ULL + 1 + 1 + 512);
	/* out of order, overlapping, unaligned, empty: ignored */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(15), PG(1), PG(1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, SZ_2M_ULL + PG(5), PG(1),
						PG(1)), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(2000) + 8, PG(1), PG(1)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(2000), PG(1), 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ri->nr, 4U);
	KUNIT_EXPECT_FALSE(test, ri->full);
	kvmmig_rindex_free(ri);
}

static void rindex_full(struct kunit *test)
{
	struct kvmmig_rindex *ri = rx_new(test, 2);

	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(1), PG(9), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(2), PG(7), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(3), PG(5), PG(1)), -ENOSPC);
	KUNIT_EXPECT_TRUE(test, ri->full);
	/* a merge still fits */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(3), PG(8), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_finish(ri), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(9), PG(1), PG(1)), -EINVAL);
	kvmmig_rindex_free(ri);
	/* a zero capacity is refused */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_alloc(ri, 0), -EINVAL);
	kvmmig_rindex_free(ri);
}

/* A shuffled mapping, like the selftest's: every lookup exact. */
static void rindex_lookup_shuffled(struct kunit *test)
{
	const u32 n = 1000;
	struct kvmmig_rindex *ri = rx_new(test, n);
	u32 *perm = kunit_kcalloc(test, n, sizeof(u32), GFP_KERNEL);
	u32 i, x = 7;
	u64 gva;

	KUNIT_ASSERT_NOT_NULL(test, perm);
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		u32 j, t;

		x = x * 1103515245 + 12345;
		j = (x >> 8) % (i + 1);
		t = perm[i]; perm[i] = perm[j]; perm[j] = t;
	}
	/* every other physical page: unrelated pages sit between them */
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, kvmmig_rindex_add(ri, BIT_ULL(39) + PG(i),
							PG(2 * perm[i] + 4096),
							PG(1)), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_lookup(ri, PG(4096), &gva), false);
	KUNIT_ASSERT_EQ(test, kvmmig_rindex_finish(ri), 0);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE(test, kvmmig_rindex_lookup(ri, PG(2 * perm[i] +
								    4096) + 123,
							     &gva));
		KUNIT_EXPECT_EQ(test, gva, BIT_ULL(39) + PG(i));
		KUNIT_EXPECT_FALSE(test, kvmmig_rindex_lookup(ri, PG(2 * perm[i] +
								     4097),
							      &gva));
	}
	KUNIT_EXPECT_FALSE(test, kvmmig_rindex_lookup(ri, 0, &gva));
	KUNIT_EXPECT_FALSE(test, kvmmig_rindex_lookup(ri, PG(1ULL << 30), &gva));
	kvmmig_rindex_free(ri);
}

/* Aliases: the lowest gva wins; large extents cover their inside. */
static void rindex_lookup_aliases(struct kunit *test)
{
	const u64 dm = 0xffff888000000000ULL, base = PG(0x1000);
	struct kvmmig_rindex *ri = rx_new(test, 16);
	u64 gva;

	/* a user page at a low gva */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(0x400), PG(0x1005), PG(1)), 0);
	/* a 2 MiB page of a direct map in the high half over frames 0x1000.. */
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, dm + base, base, SZ_2M_ULL), 0);
	KUNIT_ASSERT_EQ(test, kvmmig_rindex_finish(ri), 0);
	KUNIT_EXPECT_TRUE(test, kvmmig_rindex_lookup(ri, PG(0x1005), &gva));
	KUNIT_EXPECT_EQ(test, gva, PG(0x400));
	/* a frame only the direct map has */
	KUNIT_EXPECT_TRUE(test, kvmmig_rindex_lookup(ri, PG(0x1006) + 5, &gva));
	KUNIT_EXPECT_EQ(test, gva, dm + PG(0x1006));
	KUNIT_EXPECT_FALSE(test, kvmmig_rindex_lookup(ri, base + SZ_2M_ULL, &gva));
	KUNIT_EXPECT_FALSE(test, kvmmig_rindex_lookup(ri, base - PG(1), &gva));
	kvmmig_rindex_free(ri);
}

static struct kvmmig_rindex *rx_line(struct kunit *test, u32 n)
{
	struct kvmmig_rindex *ri = rx_new(test, n);
	u32 i;

	/* n extents of one page: gva i*2 -> gpa i (no merging) */
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, kvmmig_rindex_add(ri, PG(2 * i), PG(i), PG(1)), 0);
	KUNIT_EXPECT_EQ(test, ri->nr, n);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_finish(ri), 0);
	return ri;
}

/* A run of gone samples tears down; SAME breaks it, UNKNOWN not. */
static void judge_teardown_run(struct kunit *test)
{
	struct kvmmig_rindex *ri = rx_line(test, 100);
	u64 gvas[16], gpas[16];
	u8 res[16];
	u32 n, i;

	n = kvmmig_rindex_sample(ri, gvas, gpas, 16);
	KUNIT_EXPECT_EQ(test, n, 16U);
	KUNIT_EXPECT_EQ(test, gvas[3], PG(6));
	KUNIT_EXPECT_EQ(test, gpas[3], PG(3));
	/* 7 gone, 1 same, 7 gone, 1 unknown: no run of 8 */
	for (i = 0; i < 16; i++)
		res[i] = KVMMIG_RX_GONE;
	res[7] = KVMMIG_RX_SAME;
	res[15] = KVMMIG_RX_UNKNOWN;
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_judge(ri, res, n, 8), KVMMIG_RX_KEEP);
	KUNIT_EXPECT_EQ(test, ri->cursor, 16U);
	/* the run goes on across calls: one more makes 8 */
	n = kvmmig_rindex_sample(ri, gvas, gpas, 1);
	KUNIT_EXPECT_EQ(test, gvas[0], PG(32));
	res[0] = KVMMIG_RX_GONE;
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_judge(ri, res, n, 8),
			KVMMIG_RX_TEARDOWN);
	kvmmig_rindex_free(ri);
}

static void judge_moved_and_wrap(struct kunit *test)
{
	struct kvmmig_rindex *ri = rx_line(test, 10);
	u64 gvas[16], gpas[16];
	u8 res[16] = { };
	u32 n;

	/* a moved mapping: stale */
	n = kvmmig_rindex_sample(ri, gvas, gpas, 4);
	res[2] = KVMMIG_RX_MOVED;
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_judge(ri, res, n, 4), KVMMIG_RX_STALE);
	/* sampling stops at the end, then a new round resets the run */
	ri->cursor = 7;
	n = kvmmig_rindex_sample(ri, gvas, gpas, 16);
	KUNIT_EXPECT_EQ(test, n, 3U);
	memset(res, KVMMIG_RX_GONE, sizeof(res));
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_judge(ri, res, n, 4), KVMMIG_RX_KEEP);
	n = kvmmig_rindex_sample(ri, gvas, gpas, 1);
	KUNIT_EXPECT_EQ(test, gvas[0], 0ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_judge(ri, res, n, 4), KVMMIG_RX_KEEP);
	kvmmig_rindex_free(ri);

	/* fewer extents than the run: all of them gone is a teardown */
	ri = rx_line(test, 3);
	n = kvmmig_rindex_sample(ri, gvas, gpas, 16);
	KUNIT_EXPECT_EQ(test, n, 3U);
	KUNIT_EXPECT_EQ(test, kvmmig_rindex_judge(ri, res, n, 8),
			KVMMIG_RX_TEARDOWN);
	kvmmig_rindex_free(ri);
}

static bool keep_odd_frames(void *arg, u64 gpa)
{
	(*(u32 *)arg)++;
	return (gpa >> 12) & 1;
}

/* +1, -1, +2, -2 ...; duplicates, self, holes and filtered left out. */
static void pf_order_cases(struct kunit *test)
{
	/* window 4: slots -4..+4 */
	u64 slot[9] = { PG(40), PG(30), KVMMIG_RX_NONE, PG(10), PG(5) + 77,
			PG(11), PG(10), PG(5), PG(21) };
	u64 out[16], seen[16];
	u32 n, calls = 0;

	n = kvmmig_pf_order(slot, 4, 4, PG(5), NULL, NULL, out, 16, seen);
	/* +1:11 -1:10 +2:10(dup) -2:none +3:5(self) -3:30 +4:21 -4:40 */
	KUNIT_ASSERT_EQ(test, n, 5U);
	KUNIT_EXPECT_EQ(test, out[0], PG(11));
	KUNIT_EXPECT_EQ(test, out[1], PG(10));
	KUNIT_EXPECT_EQ(test, out[2], PG(30));
	KUNIT_EXPECT_EQ(test, out[3], PG(21));
	KUNIT_EXPECT_EQ(test, out[4], PG(40));
	/* room for 2 */
	n = kvmmig_pf_order(slot, 4, 4, PG(5), NULL, NULL, out, 2, seen);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, out[1], PG(10));
	n = kvmmig_pf_order(slot, 4, 4, PG(5), NULL, NULL, out, 0, seen);
	KUNIT_EXPECT_EQ(test, n, 0U);
	/* a filter: odd frames only */
	n = kvmmig_pf_order(slot, 4, 4, PG(5), keep_odd_frames, &calls, out,
			    16, seen);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, out[0], PG(11));
	KUNIT_EXPECT_EQ(test, out[1], PG(21));
	KUNIT_EXPECT_GT(test, calls, 0U);
	/* clipped below: 1 below, 4 above (slot starts at -1) */
	n = kvmmig_pf_order(slot + 3, 1, 4, PG(5), NULL, NULL, out, 16, seen);
	/* +1:11 -1:10 +2:10 +3:5 +4:21 */
	KUNIT_ASSERT_EQ(test, n, 3U);
	KUNIT_EXPECT_EQ(test, out[2], PG(21));
}

/* PREFETCH's argument check: a valid one passes, each defect fails. */
static void prefetch_checks(struct kunit *test)
{
	struct kvmmig_prefetch a = {
		.size = sizeof(a), .flags = KVMMIG_PREFETCH_CR3,
		.gfn = 0x1234, .cr3 = 0x5000, .mode = KVMMIG_PAGING_LONG4,
		.window = 16, .max_gfns = 32,
	}, b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&a), 0);
	/* limits are inclusive; 0 window and room are valid */
	b = a; b.window = KVMMIG_PREFETCH_MAX_WINDOW;
	b.max_gfns = 2 * KVMMIG_PREFETCH_MAX_WINDOW; b.have_npages = BIT_ULL(40);
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.window = 0; b.max_gfns = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.gfn = BIT_ULL(52) - 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	/* without CR3, @cr3 and @mode are output: anything goes */
	b = a; b.flags = 0; b.mode = 77;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.flags = KVMMIG_PREFETCH_FLAGS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.mode = KVMMIG_PAGING_PAE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.mode = KVMMIG_PAGING_LONG5;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);

	/* a frame no 64-bit address reaches */
	b = a; b.gfn = BIT_ULL(52);
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a; b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	}
	b = a; b.window = KVMMIG_PREFETCH_MAX_WINDOW + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.max_gfns = 2 * KVMMIG_PREFETCH_MAX_WINDOW + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.have_npages = BIT_ULL(40) + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.mode = KVMMIG_PAGING_NONE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.mode = KVMMIG_PAGING_LONG5 + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
}

static struct kunit_case kvmmig_prefetch_cases[] = {
	KUNIT_CASE(rindex_add_merges),
	KUNIT_CASE(rindex_full),
	KUNIT_CASE(rindex_lookup_shuffled),
	KUNIT_CASE(rindex_lookup_aliases),
	KUNIT_CASE(judge_teardown_run),
	KUNIT_CASE(judge_moved_and_wrap),
	KUNIT_CASE(pf_order_cases),
	KUNIT_CASE(prefetch_checks),
	{}
};

struct kunit_suite kvmmig_prefetch_suite = {
	.name = "kvmmig_prefetch",
	.test_cases = kvmmig_prefetch_cases,
};
