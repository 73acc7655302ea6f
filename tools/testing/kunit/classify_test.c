// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kvmmig_classify: placeholder, being written with its feature. */
#include "kvmmig_kunit.h"

static void classify_pending(struct kunit *test)
{
	kunit_skip(test, "suite being written");
}

static struct kunit_case classify_cases[] = {
	KUNIT_CASE(classify_pending),
	{}
};

struct kunit_suite kvmmig_classify_suite = {
	.name = "kvmmig_classify",
	.test_cases = classify_cases,
};
