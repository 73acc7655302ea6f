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

/* FILL's argument check: exactly one operation and its page count. */
static void fill_checks(struct kunit *test)
{
	static const u32 ops[] = { KVMMIG_FILL_SET, KVMMIG_FILL_GET,
				   KVMMIG_FILL_DONE };
	struct kvmmig_fill a = { .size = sizeof(a), .nr_pages = 1,
				 .pages_ptr = 0x1000 };
	struct kvmmig_fill b;
	int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		b = a;
		b.flags = ops[i];
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), 0);
		b.nr_pages = KVMMIG_FILL_MAX_PAGES;
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), 0);
		b.nr_flagged = 9;	/* outputs are ignored */
		b.nr_unflagged = 9;
		b.nr_done = 9;
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), 0);
		b.nr_pages = 0;
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
		b.nr_pages = KVMMIG_FILL_MAX_PAGES + 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
		b.nr_pages = 1;
		b.flags |= KVMMIG_FILL_CLEAR;	/* two operations */
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
	}
	b = a;
	b.flags = KVMMIG_FILL_CLEAR;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);	/* pages */
	b.nr_pages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), 0);
	b.flags = 0;				/* no operation */
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
	b.flags = KVMMIG_FILL_GET | KVMMIG_FILL_SET;
	b.nr_pages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a;
		b.flags = KVMMIG_FILL_SET;
		b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
	}
}

static void fill_page_checks(struct kunit *test)
{
	struct kvmmig_fill_page p = { .gfn = 10, .class = KVMMIG_CLASS_ZERO };

	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), 0);
	p.value = 1;			/* ZERO has no value */
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), -EINVAL);
	p.class = KVMMIG_CLASS_PATTERN;
	p.value = 0x0101010101010101ULL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), 0);
	p.value = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), 0);
	p.class = KVMMIG_CLASS_DUP;
	p.value = 11;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), 0);
	p.value = 10;			/* its own canonical page */
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), -EINVAL);
	p.value = 11;
	p.flags = KVMMIG_FILL_NEEDS_UPDATE;	/* flags are outputs */
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), -EINVAL);
	p.flags = 0;
	p.class = KVMMIG_CLASS_DATA;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), -EINVAL);
	p.class = KVMMIG_CLASS_NO_SLOT;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), -EINVAL);
	p.class = 77;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill_page(&p), -EINVAL);
}

static struct kunit_case kvmmig_fill_cases[] = {
	KUNIT_CASE(fill_page_holds),
	KUNIT_CASE(fill_checks),
	KUNIT_CASE(fill_page_checks),
	{}
};

struct kunit_suite kvmmig_fill_suite = {
	.name = "kvmmig_fill",
	.test_cases = kvmmig_fill_cases,
};
