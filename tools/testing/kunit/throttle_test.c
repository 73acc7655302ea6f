// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kvmmig_throttle: placeholder, being written with its feature. */
#include "kvmmig_kunit.h"

static void throttle_pending(struct kunit *test)
{
	kunit_skip(test, "suite being written");
}

static struct kunit_case throttle_cases[] = {
	KUNIT_CASE(throttle_pending),
	{}
};

struct kunit_suite kvmmig_throttle_suite = {
	.name = "kvmmig_throttle",
	.test_cases = throttle_cases,
};
