// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: content classes, pure logic (mm/content_logic.c, included): the
 * zero / pattern / data scan, the signature computed while copying, and
 * the canonical table (hits, misses, equal signatures over different
 * bytes, a full table, the compare bound, compare errors).
 */
#include "mm/content_logic.c"
#include <linux/xxhash.h>
#include "kvmmig_kunit.h"

#define CT_PAGES	8

static u64 *new_page(struct kunit *test)
{
	u64 *p = kunit_kzalloc(test, KVMMIG_PAGE_BYTES, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

/* Deterministic bytes that are no pattern. */
static void fill_data(u64 *p, u64 seed)
{
	unsigned int i;

	for (i = 0; i < KVMMIG_PAGE_WORDS; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = seed;
	}
}

static void fill_word(u64 *p, u64 w)
{
	unsigned int i;

	for (i = 0; i < KVMMIG_PAGE_WORDS; i++)
		p[i] = w;
}

static void classify_zero(struct kunit *test)
{
	u64 *p = new_page(test), w = 123;

	KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w), KVMMIG_CLASS_ZERO);
	KUNIT_EXPECT_EQ(test, w, 0ULL);
}

static void classify_byte_patterns(struct kunit *test)
{
	static const u8 bytes[] = { 0x01, 0x5a, 0x80, 0xab, 0xff };
	u64 *p = new_page(test), w;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bytes); i++) {
		memset(p, bytes[i], KVMMIG_PAGE_BYTES);
		KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w),
				KVMMIG_CLASS_PATTERN);
		KUNIT_EXPECT_EQ(test, w, bytes[i] * 0x0101010101010101ULL);
	}
}

static void classify_word_patterns(struct kunit *test)
{
	static const u64 words[] = { 1, 0x0123456789abcdefULL,
				     0xffffffff00000000ULL, ~0ULL,
				     0x8000000000000000ULL };
	u64 *p = new_page(test), w;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(words); i++) {
		fill_word(p, words[i]);
		KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w),
				KVMMIG_CLASS_PATTERN);
		KUNIT_EXPECT_EQ(test, w, words[i]);
	}
	/* a repeated 4-byte value is a repeated 8-byte word too */
	memset32((u32 *)p, 0xdeadbeef, KVMMIG_PAGE_BYTES / 4);
	KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w), KVMMIG_CLASS_PATTERN);
	KUNIT_EXPECT_EQ(test, w, 0xdeadbeefdeadbeefULL);
}

/* One word unlike the others, anywhere, makes DATA; so does one bit. */
static void classify_almost_patterns(struct kunit *test)
{
	static const unsigned int at[] = { 0, 1, 7, 8, 255, 256, 504,
					   KVMMIG_PAGE_WORDS - 1 };
	static const u64 bases[] = { 0, 0x1111111111111111ULL };
	u64 *p = new_page(test), w;
	unsigned int i, b;

	for (b = 0; b < ARRAY_SIZE(bases); b++)
		for (i = 0; i < ARRAY_SIZE(at); i++) {
			fill_word(p, bases[b]);
			p[at[i]] ^= 1ULL << (i * 7 % 64);
			w = 1;
			KUNIT_EXPECT_EQ_MSG(test, kvmmig_page_scan(p, &w),
					    KVMMIG_CLASS_DATA, "word %u base %u",
					    at[i], b);
			KUNIT_EXPECT_EQ(test, w, 0ULL);
		}
	/* the last byte only */
	fill_word(p, 0x2222222222222222ULL);
	((u8 *)p)[KVMMIG_PAGE_BYTES - 1] = 0x23;
	KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w), KVMMIG_CLASS_DATA);
	/* a repeated 16-byte pattern is not one repeated word */
	for (i = 0; i < KVMMIG_PAGE_WORDS; i++)
		p[i] = i & 1 ? 5 : 7;
	KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w), KVMMIG_CLASS_DATA);
}

static void classify_data(struct kunit *test)
{
	u64 *p = new_page(test), w = 9;

	fill_data(p, 1);
	KUNIT_EXPECT_EQ(test, kvmmig_page_scan(p, &w), KVMMIG_CLASS_DATA);
	KUNIT_EXPECT_EQ(test, w, 0ULL);
}

/* The fused copy returns lib/xxhash's xxh64 (seed 0) of what it copied. */
static void classify_signature(struct kunit *test)
{
	u64 *src = new_page(test), *dst = new_page(test), *dst2 = new_page(test);
	u64 seed, sig, sig2;

	for (seed = 0; seed < 16; seed++) {
		fill_data(src, seed);
		memset(dst, 0xee, KVMMIG_PAGE_BYTES);
		sig = kvmmig_page_copy_sig(dst, src);
		KUNIT_EXPECT_EQ(test, memcmp(dst, src, KVMMIG_PAGE_BYTES), 0);
		KUNIT_EXPECT_EQ(test, sig, xxh64(src, KVMMIG_PAGE_BYTES, 0));
		/* deterministic */
		sig2 = kvmmig_page_copy_sig(dst2, src);
		KUNIT_EXPECT_EQ(test, sig, sig2);
		/* one bit changes it */
		src[seed * 31 % KVMMIG_PAGE_WORDS] ^= 1ULL << seed;
		KUNIT_EXPECT_NE(test, sig, kvmmig_page_copy_sig(dst2, src));
	}
	/* constant pages hash as lib/xxhash does them too */
	fill_word(src, 0);
	KUNIT_EXPECT_EQ(test, kvmmig_page_copy_sig(dst, src),
			xxh64(src, KVMMIG_PAGE_BYTES, 0));
	fill_word(src, ~0ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_page_copy_sig(dst, src),
			xxh64(src, KVMMIG_PAGE_BYTES, 0));
}

/* Pages of one simulated call, by index; compares are counted. */
struct ct_ctx {
	const void *page[CT_PAGES];
	unsigned int cmps;
	int err;
};

static int ct_cmp(void *ctx, u32 idx, const void *page)
{
	struct ct_ctx *c = ctx;

	c->cmps++;
	if (c->err)
		return c->err;
	if (idx >= CT_PAGES || !c->page[idx])
		return -EINVAL;
	return memcmp(c->page[idx], page, KVMMIG_PAGE_BYTES) ? 1 : 0;
}

struct ct_state {
	struct kvmmig_canon t;
	struct ct_ctx c;
};

static int ct_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct ct_state), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void ct_exit(struct kunit *test)
{
	struct ct_state *st = test->priv;

	kvmmig_canon_free(&st->t);
}

/* Page @idx of the call has bytes @p: DUP of *canon (1) or not (0). */
static int ct_dedup(struct kunit *test, u32 idx, const u64 *p, u64 sig,
		    u32 *canon)
{
	struct ct_state *st = test->priv;

	st->c.page[idx] = p;
	return kvmmig_canon_dedup(&st->t, sig, idx, p, ct_cmp, &st->c, canon);
}

static void canon_hit_miss(struct kunit *test)
{
	struct ct_state *st = test->priv;
	u64 *a = new_page(test), *a2 = new_page(test), *b = new_page(test);
	u64 *b2 = new_page(test);
	u32 canon = 99;

	KUNIT_ASSERT_EQ(test, kvmmig_canon_init(&st->t, CT_PAGES), 0);
	fill_data(a, 1);
	fill_data(a2, 1);
	fill_data(b, 2);
	fill_data(b2, 2);
	/* first sight: a miss, the page becomes canonical */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 0, a, xxh64(a, 4096, 0), &canon), 0);
	KUNIT_EXPECT_EQ(test, st->t.nr, 1U);
	KUNIT_EXPECT_EQ(test, st->c.cmps, 0U);
	/* another signature: a miss without any compare */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 1, b, xxh64(b, 4096, 0), &canon), 0);
	KUNIT_EXPECT_EQ(test, st->c.cmps, 0U);
	KUNIT_EXPECT_EQ(test, st->t.nr, 2U);
	/* equal bytes: a hit, after one full compare */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 2, a2, xxh64(a2, 4096, 0), &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 0U);
	KUNIT_EXPECT_EQ(test, st->c.cmps, 1U);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 3, b2, xxh64(b2, 4096, 0), &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 1U);
	/* a DUP is not added */
	KUNIT_EXPECT_EQ(test, st->t.nr, 2U);
}

/* Equal signatures over different bytes: never DUP; both stay canonical. */
static void canon_forced_collision(struct kunit *test)
{
	struct ct_state *st = test->priv;
	u64 *a = new_page(test), *b = new_page(test), *b2 = new_page(test);
	u64 *a2 = new_page(test);
	u32 canon = 99;

	KUNIT_ASSERT_EQ(test, kvmmig_canon_init(&st->t, CT_PAGES), 0);
	fill_data(a, 3);
	fill_data(b, 4);
	fill_data(b2, 4);
	fill_data(a2, 3);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 0, a, 42, &canon), 0);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 1, b, 42, &canon), 0);
	KUNIT_EXPECT_EQ(test, canon, 99U);
	KUNIT_EXPECT_EQ(test, st->c.cmps, 1U);
	KUNIT_EXPECT_EQ(test, st->t.nr, 2U);
	/* a copy of either is found, whichever comes first in the chain */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 2, b2, 42, &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 1U);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 3, a2, 42, &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 0U);
	/* a zero page under that signature is nobody's DUP either */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 4, new_page(test), 42, &canon), 0);
}

/* A full table adds nothing; what it holds is still found. */
static void canon_full(struct kunit *test)
{
	struct ct_state *st = test->priv;
	u64 *p[6];
	u32 canon = 99;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = new_page(test);
	KUNIT_ASSERT_EQ(test, kvmmig_canon_init(&st->t, 2), 0);
	fill_data(p[0], 10);
	fill_data(p[1], 11);
	fill_data(p[2], 12);
	fill_data(p[3], 12);	/* = p[2] */
	fill_data(p[4], 10);	/* = p[0] */
	fill_data(p[5], 11);	/* = p[1] */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 0, p[0], 10, &canon), 0);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 1, p[1], 11, &canon), 0);
	KUNIT_EXPECT_EQ(test, st->t.nr, 2U);
	/* full: p[2] is DATA and not added, so its copy p[3] is DATA too */
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 2, p[2], 12, &canon), 0);
	KUNIT_EXPECT_EQ(test, st->t.nr, 2U);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 3, p[3], 12, &canon), 0);
	KUNIT_EXPECT_EQ(test, st->c.cmps, 0U);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 4, p[4], 10, &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 0U);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 5, p[5], 11, &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 1U);
	KUNIT_EXPECT_EQ(test, st->t.nr, 2U);
}

/* Many different pages under one signature: compares are bounded. */
static void canon_compare_bound(struct kunit *test)
{
	struct ct_state *st = test->priv;
	u64 *p[CT_PAGES];
	u32 canon = 99;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, kvmmig_canon_init(&st->t, CT_PAGES), 0);
	for (i = 0; i < KVMMIG_CANON_MAX_CMP + 1; i++) {
		p[i] = new_page(test);
		fill_data(p[i], 100 + i);
		st->c.cmps = 0;
		KUNIT_EXPECT_EQ(test, ct_dedup(test, i, p[i], 7, &canon), 0);
		KUNIT_EXPECT_EQ(test, st->c.cmps, i);
	}
	KUNIT_EXPECT_EQ(test, st->t.nr, KVMMIG_CANON_MAX_CMP + 1);
	/* a copy of the first is found after one compare */
	p[i] = new_page(test);
	fill_data(p[i], 100);
	st->c.cmps = 0;
	KUNIT_EXPECT_EQ(test, ct_dedup(test, i, p[i], 7, &canon), 1);
	KUNIT_EXPECT_EQ(test, canon, 0U);
	/* a copy of the last is beyond the bound: DATA, not added */
	p[++i] = new_page(test);
	fill_data(p[i], 100 + KVMMIG_CANON_MAX_CMP);
	st->c.cmps = 0;
	KUNIT_EXPECT_EQ(test, ct_dedup(test, i, p[i], 7, &canon), 0);
	KUNIT_EXPECT_EQ(test, st->c.cmps, KVMMIG_CANON_MAX_CMP);
	KUNIT_EXPECT_EQ(test, st->t.nr, KVMMIG_CANON_MAX_CMP + 1);
}

/* A failing compare fails the look-up, and adds nothing. */
static void canon_compare_error(struct kunit *test)
{
	struct ct_state *st = test->priv;
	u64 *a = new_page(test), *b = new_page(test);
	u32 canon = 99;

	KUNIT_ASSERT_EQ(test, kvmmig_canon_init(&st->t, CT_PAGES), 0);
	fill_data(a, 5);
	fill_data(b, 5);
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 0, a, 1, &canon), 0);
	st->c.err = -EFAULT;
	KUNIT_EXPECT_EQ(test, ct_dedup(test, 1, b, 1, &canon), -EFAULT);
	KUNIT_EXPECT_EQ(test, canon, 99U);
	KUNIT_EXPECT_EQ(test, st->t.nr, 1U);
}

/* The table is sized for its capacity: a large one fills without loss. */
static void canon_large(struct kunit *test)
{
	struct ct_state *st = test->priv;
	struct ct_ctx never = { };
	u32 canon, i, n = 4096;

	KUNIT_ASSERT_EQ(test, kvmmig_canon_init(&st->t, n), 0);
	KUNIT_EXPECT_GE(test, st->t.mask + 1, 2 * n);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, kvmmig_canon_dedup(&st->t, i * 0x9e37ULL,
							 i, NULL, ct_cmp,
							 &never, &canon), 0);
	KUNIT_EXPECT_EQ(test, st->t.nr, n);
	KUNIT_EXPECT_EQ(test, never.cmps, 0U);
	/* full now: one more is not added, and the chain still ends */
	KUNIT_EXPECT_EQ(test, kvmmig_canon_dedup(&st->t, ~0ULL, n, NULL,
						 ct_cmp, &never, &canon), 0);
	KUNIT_EXPECT_EQ(test, st->t.nr, n);
}

static void classify_checks(struct kunit *test)
{
	struct kvmmig_classify a = {
		.size = sizeof(a), .npages = 16, .gfn = 0x10,
		.classes_ptr = 0x1000,
	}, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&a), 0);
	b = a; b.flags = KVMMIG_CLASSIFY_GFN_LIST; b.gfn = 0; b.gfns_ptr = 0x3000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), 0);
	/* a list and a range exclude each other */
	b.gfn = 0x10;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.gfns_ptr = 0x3000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.flags = KVMMIG_CLASSIFY_GFN_LIST;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	/* the range ends by KVMMIG_GFN_LIMIT, at most */
	b = a; b.gfn = KVMMIG_GFN_LIMIT - 16;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), 0);
	b.gfn++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.gfn = U64_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.npages = KVMMIG_CLASSIFY_MAX_PAGES;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), 0);
	b.npages++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.classes_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.reserved[1] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	/* outputs are not looked at */
	b = a; b.nr_done = 5; b.nr_data = 3; b.class_pages[7] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), 0);
}

static struct kunit_case classify_cases[] = {
	KUNIT_CASE(classify_checks),
	KUNIT_CASE(classify_zero),
	KUNIT_CASE(classify_byte_patterns),
	KUNIT_CASE(classify_word_patterns),
	KUNIT_CASE(classify_almost_patterns),
	KUNIT_CASE(classify_data),
	KUNIT_CASE(classify_signature),
	KUNIT_CASE(canon_hit_miss),
	KUNIT_CASE(canon_forced_collision),
	KUNIT_CASE(canon_full),
	KUNIT_CASE(canon_compare_bound),
	KUNIT_CASE(canon_compare_error),
	KUNIT_CASE(canon_large),
	{}
};

struct kunit_suite kvmmig_content_suite = {
	.name = "kvmmig_content",
	.init = ct_init,
	.exit = ct_exit,
	.test_cases = classify_cases,
};
