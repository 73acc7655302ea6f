// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kvmmig_order: placeholder, being written with its feature. */
#include "kvmmig_kunit.h"

static void order_pending(struct kunit *test)
{
	kunit_skip(test, "suite being written");
}

static struct kunit_case order_cases[] = {
	KUNIT_CASE(order_pending),
	{}
};

struct kunit_suite kvmmig_order_suite = {
	.name = "kvmmig_order",
	.test_cases = order_cases,
};
