// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: dirty rate measurement, pure logic (migrate/dirty_rate_logic.c,
 * included): the argument check of KVMMIG_GET_DIRTY_RATE and the rate
 * arithmetic.
 */
#include "migrate/dirty_rate_logic.c"

#include "kvmmig_kunit.h"

static void dirty_rate_checks(struct kunit *test)
{
	struct kvmmig_dirty_rate a = { .size = sizeof(a) }, b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&a), 0);
	a.flags = KVMMIG_DIRTY_RATE_RESET;
	a.nr_vcpus = 4;
	a.vcpu_rates_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&a), 0);
	b = a; b.nr_vcpus = KVMMIG_DIRTY_RATE_MAX_VCPUS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), 0);
	/* outputs are not inputs */
	b = a; b.source = 7; b.pages_per_sec = 1; b.dirty_pages = 2; b.window_ns = 3;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), 0);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a; b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
	}
	b = a; b.nr_vcpus = KVMMIG_DIRTY_RATE_MAX_VCPUS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
	b = a; b.vcpu_rates_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
}

/* pages over a window, per second, without overflow for huge counts */
static void dirty_per_sec(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kvmmig_dirty_per_sec(1000, NSEC_PER_SEC), 1000);
	KUNIT_EXPECT_EQ(test, kvmmig_dirty_per_sec(1000, NSEC_PER_SEC / 2), 2000);
	KUNIT_EXPECT_EQ(test, kvmmig_dirty_per_sec(3, 2 * NSEC_PER_SEC), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_dirty_per_sec(1ULL << 40, 4 * NSEC_PER_SEC),
			1ULL << 38);
}

static struct kunit_case dirty_rate_cases[] = {
	KUNIT_CASE(dirty_rate_checks),
	KUNIT_CASE(dirty_per_sec),
	{}
};

struct kunit_suite kvmmig_dirty_rate_suite = {
	.name = "kvmmig_dirty_rate",
	.test_cases = dirty_rate_cases,
};
