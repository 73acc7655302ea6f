// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: deferred fill, pure logic (migrate/fill_logic.c, included): which
 * pages already hold the content a fill record asks for.
 */
#include "migrate/fill_logic.c"

#include "kvmmig_kunit.h"

static void fill_page_holds(struct kunit *test)
{
	u64 *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	u64 pat = 0xdeadbeef00c0ffeeULL;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
						       KVMMIG_CLASS_ZERO, 0));
	KUNIT_EXPECT_TRUE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
						       KVMMIG_CLASS_PATTERN, 0));
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
							KVMMIG_CLASS_PATTERN, pat));
	/* a DUP's content is never known from the page alone */
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
							KVMMIG_CLASS_DUP, 1));
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
							KVMMIG_CLASS_DATA, 0));
	((u8 *)page)[PAGE_SIZE - 1] = 1;	/* last byte */
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
							KVMMIG_CLASS_ZERO, 0));
	for (i = 0; i < PAGE_SIZE / 8; i++)
		page[i] = pat;
	KUNIT_EXPECT_TRUE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
						       KVMMIG_CLASS_PATTERN, pat));
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
							KVMMIG_CLASS_ZERO, 0));
	page[PAGE_SIZE / 8 - 1] ^= 1;
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_page_holds(page, PAGE_SIZE,
							KVMMIG_CLASS_PATTERN, pat));

	KUNIT_EXPECT_TRUE(test, kvmmig_fill_class_may_hold(KVMMIG_CLASS_ZERO, 0));
	KUNIT_EXPECT_TRUE(test, kvmmig_fill_class_may_hold(KVMMIG_CLASS_PATTERN, 0));
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_class_may_hold(KVMMIG_CLASS_PATTERN, pat));
	KUNIT_EXPECT_FALSE(test, kvmmig_fill_class_may_hold(KVMMIG_CLASS_DUP, 0));
}

static struct kunit_case kvmmig_fill_cases[] = {
	KUNIT_CASE(fill_page_holds),
	{}
};

struct kunit_suite kvmmig_fill_suite = {
	.name = "kvmmig_fill",
	.test_cases = kvmmig_fill_cases,
};
