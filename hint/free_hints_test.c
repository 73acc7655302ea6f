// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: free-page hints, pure logic (hint/free_hints_logic.c):
 * KVMMIG_FREE_HINTS's own checks (size and flags are the dispatcher's)
 * and the check of one range of frames.  The logic file is not included
 * here: migrate/send_order_test.c includes it into this test module (the
 * send order's tests drive the hint map too), and a second copy would
 * define its functions twice.
 */
#include <linux/kernel.h>
#include <kvmmig/free_hints.h>
#include "kvmmig_kunit.h"

static void free_hints_checks(struct kunit *test)
{
	struct kvmmig_free_hints a = {
		.size = sizeof(a), .flags = KVMMIG_FREE_HINT_ADD,
		.nr_ranges = 2, .ranges_ptr = 0x1000,
	}, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&a), 0);
	b = a; b.flags = KVMMIG_FREE_HINT_REMOVE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	b = a; b.flags = KVMMIG_FREE_HINT_MARK; b.nr_ranges = 0; b.ranges_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	/* MARK takes no ranges */
	b.nr_ranges = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b.nr_ranges = 0; b.ranges_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	/* at most one operation */
	b = a; b.flags = KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b = a; b.flags = KVMMIG_FREE_HINT_MARK | KVMMIG_FREE_HINT_CLEAR;
	b.nr_ranges = 0; b.ranges_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	/* no operation is a query, which takes no ranges */
	b = a; b.flags = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b.nr_ranges = 0; b.ranges_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	b = a; b.nr_ranges = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b = a; b.ranges_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b = a; b.nr_ranges = KVMMIG_FREE_HINT_MAX_RANGES;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	b.nr_ranges = KVMMIG_FREE_HINT_MAX_RANGES + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	/* nr_done is an output: whatever the caller left there is ignored */
	b = a; b.nr_done = 77; b.nr_hinted = 5; b.mark = 9;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	b = a; b.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
}

static void gfn_range_checks(struct kunit *test)
{
	struct kvmmig_gfn_range r = { .gfn = 2, .npages = 3 };

	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), 0);
	r.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), -EINVAL);
	/* the last frame of a 64-bit address space is a valid range */
	r.gfn = KVMMIG_GFN_LIMIT - 1; r.npages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), 0);
	r.npages = 2;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), -EINVAL);
	r.gfn = KVMMIG_GFN_LIMIT; r.npages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), -EINVAL);
	r.gfn = 0; r.npages = KVMMIG_GFN_LIMIT;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), 0);
	r.npages = KVMMIG_GFN_LIMIT + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), -EINVAL);
	/* no wrap past 2^64 either */
	r.gfn = 1; r.npages = U64_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), -EINVAL);
	r.gfn = U64_MAX; r.npages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gfn_range(&r), -EINVAL);
}

static struct kunit_case kvmmig_free_hints_cases[] = {
	KUNIT_CASE(free_hints_checks),
	KUNIT_CASE(gfn_range_checks),
	{}
};

struct kunit_suite kvmmig_free_hints_suite = {
	.name = "kvmmig_free_hints",
	.test_cases = kvmmig_free_hints_cases,
};
