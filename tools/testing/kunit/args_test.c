// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: uapi argument validation, tunable parsing, memslot generation
 * and ordering (args.c, included so its static helpers are reachable).
 */
#include "args.c"
#include <linux/random.h>
#include "kvmmig_kunit.h"

static struct kvmmig_attach good_attach(void)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = 3 };

	return a;
}

static struct kvmmig_memslots good_memslots(void)
{
	struct kvmmig_memslots r = { .size = sizeof(r), .nr_slots = 4,
				     .slots_ptr = 0x1000 };

	return r;
}

static void attach_accepts_valid(struct kunit *test)
{
	struct kvmmig_attach a = good_attach();

	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), 0);
	a.vm_fd = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), 0);
	/* session_id is an output: whatever the caller left there is ignored */
	a.session_id = 77;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), 0);
	/* and so is access; READ_ONLY is the one flag */
	a.access = 5;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), 0);
	a.flags = KVMMIG_ATTACH_READ_ONLY;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), 0);
}

static void attach_rejects_size(struct kunit *test)
{
	static const u32 sizes[] = { 0, 4, sizeof(struct kvmmig_attach) - 8,
		sizeof(struct kvmmig_attach) - 1, sizeof(struct kvmmig_attach) + 8,
		4096, U32_MAX };
	struct kvmmig_attach a = good_attach();
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		a.size = sizes[i];
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_check_attach(&a), -EINVAL,
				    "size %u", sizes[i]);
	}
}

static void attach_rejects_flags(struct kunit *test)
{
	struct kvmmig_attach a = good_attach();
	int bit;

	for (bit = 0; bit < 32; bit++) {
		a.flags = 1U << bit;
		if (a.flags & KVMMIG_ATTACH_FLAGS)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_check_attach(&a), -EINVAL,
				    "flag bit %d", bit);
	}
}

static void attach_rejects_reserved(struct kunit *test)
{
	struct kvmmig_attach b = good_attach();
	int i;

	for (i = 0; i < ARRAY_SIZE(((struct kvmmig_attach *)0)->reserved); i++) {
		struct kvmmig_attach a = good_attach();

		a.reserved[i] = 1ULL << (i * 9);
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_check_attach(&a), -EINVAL,
				    "reserved[%d]", i);
	}
	b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&b), -EINVAL);
}

static void attach_rejects_negative_fd(struct kunit *test)
{
	struct kvmmig_attach a = good_attach();

	a.vm_fd = -1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), -EBADF);
	a.vm_fd = S32_MIN;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), -EBADF);
	/* a bad size is reported before a bad fd */
	a.size = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), -EINVAL);
}

static void memslots_accepts_valid(struct kunit *test)
{
	struct kvmmig_memslots r = good_memslots();

	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), 0);
	r.nr_slots = 0;
	r.slots_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), 0);
	r.nr_slots = KVMMIG_MEMSLOTS_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), 0);
	/* generation is an output */
	r.generation = ~0ULL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), 0);
}

static void memslots_rejects_bad(struct kunit *test)
{
	struct kvmmig_memslots r;
	int i;

	r = good_memslots();
	r.size = sizeof(r) - 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);
	r.size = sizeof(r) + 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);

	r = good_memslots();
	r.flags = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);
	r.flags = 0x80000000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);

	r = good_memslots();
	r.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);

	for (i = 0; i < ARRAY_SIZE(r.reserved); i++) {
		r = good_memslots();
		r.reserved[i] = 1ULL << 63;
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_check_memslots(&r), -EINVAL,
				    "reserved[%d]", i);
	}

	r = good_memslots();
	r.nr_slots = KVMMIG_MEMSLOTS_MAX + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);
	r.nr_slots = U32_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_memslots(&r), -EINVAL);
}

static void classify_checks(struct kunit *test)
{
	struct kvmmig_classify a = {
		.size = sizeof(a), .npages = 16, .gpa = 0x10000,
		.classes_ptr = 0x1000,
	}, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&a), 0);
	b = a; b.flags = KVMMIG_CLASSIFY_GFN_LIST; b.gpa = 0; b.gfns_ptr = 0x3000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), 0);
	/* a list and a range exclude each other */
	b.gpa = 0x10000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.gfns_ptr = 0x3000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.flags = KVMMIG_CLASSIFY_GFN_LIST;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.flags = 1U << 7;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.gpa = 0x10008;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.gpa = U64_MAX & ~0xfffULL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.npages = KVMMIG_CLASSIFY_MAX_PAGES + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.classes_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
	b = a; b.reserved[1] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_classify(&b), -EINVAL);
}

static void free_hints_checks(struct kunit *test)
{
	struct kvmmig_free_hints a = {
		.size = sizeof(a), .flags = KVMMIG_FREE_HINT_ADD,
		.nr_ranges = 2, .ranges_ptr = 0x1000,
	}, b;
	struct kvmmig_gpa_range r = { .gpa = 0x2000, .npages = 3 };

	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&a), 0);
	b = a; b.flags = KVMMIG_FREE_HINT_REMOVE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	b = a; b.flags = KVMMIG_FREE_HINT_MARK; b.nr_ranges = 0; b.ranges_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	/* MARK takes no ranges */
	b.nr_ranges = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	/* exactly one operation */
	b = a; b.flags = KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	/* no operation is a query, which takes no ranges */
	b = a; b.flags = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b.nr_ranges = 0; b.ranges_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), 0);
	b = a; b.flags |= 1U << 9;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b = a; b.nr_ranges = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b = a; b.nr_ranges = KVMMIG_FREE_HINT_MAX_RANGES + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);
	b = a; b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_free_hints(&b), -EINVAL);

	KUNIT_EXPECT_EQ(test, kvmmig_check_gpa_range(&r), 0);
	r.gpa = 0x2001;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gpa_range(&r), -EINVAL);
	r.gpa = 0x2000; r.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gpa_range(&r), -EINVAL);
	r.gpa = U64_MAX & ~0xfffULL; r.npages = 2;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gpa_range(&r), -EINVAL);
	/* the last page of the address space is a valid range */
	r.npages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gpa_range(&r), 0);
	r.gpa = 0; r.npages = U64_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_gpa_range(&r), -EINVAL);
}

static void parse_uint_range(struct kunit *test)
{
	unsigned int v = 1234;

	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("7", 1, 10, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 7U);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("1", 1, 10, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 1U);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("10\n", 1, 10, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 10U);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("0x8", 1, 10, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 8U);

	/* errors leave the value alone */
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("0", 1, 10, &v), -ERANGE);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("11", 1, 10, &v), -ERANGE);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("4294967296", 0, U32_MAX, &v),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("", 1, 10, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("abc", 1, 10, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("-1", 0, 10, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_parse_uint_range("5 6", 1, 10, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 8U);
}

static void generation_masks_in_progress(struct kunit *test)
{
	u64 gen[2] = { 4 | BIT_ULL(63), 3 };

	KUNIT_EXPECT_EQ(test, kvmmig_memslots_generation(gen, 2), 7ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_memslots_generation(gen, 1), 4ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_memslots_generation(gen, 0), 0ULL);
}

/* KVM's scheme: address space i starts at i and steps by the AS count. */
static void generation_changes_on_every_update(struct kunit *test)
{
	u64 gen[2] = { 0, 1 }, prev, cur;
	u32 rnd = 0x9e3779b9;
	int step;

	prev = kvmmig_memslots_generation(gen, 2);
	for (step = 0; step < 1000; step++) {
		int as;

		rnd = rnd * 1103515245 + 12345;
		as = (rnd >> 16) & 1;
		/* an update in flight: flag set, value not yet advanced */
		gen[as] |= BIT_ULL(63);
		KUNIT_EXPECT_EQ(test, kvmmig_memslots_generation(gen, 2), prev);
		gen[as] = (gen[as] & ~BIT_ULL(63)) + 2;
		cur = kvmmig_memslots_generation(gen, 2);
		KUNIT_EXPECT_GT(test, cur, prev);
		prev = cur;
	}
}

static void memslots_sorted_by_as_then_slot(struct kunit *test)
{
	const u32 n = 64;
	struct kvmmig_memslot *v;
	u32 i, rnd = 12345;

	v = kunit_kcalloc(test, n, sizeof(*v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	for (i = 0; i < n; i++) {
		rnd = rnd * 1103515245 + 12345;
		memset(&v[i], 0, sizeof(v[i]));
		v[i].as_id = (rnd >> 8) & 1;
		v[i].slot_id = (rnd >> 12) & 0x7fff;
		v[i].base_gfn = i;
	}
	kvmmig_memslots_sort(v, n);
	for (i = 1; i < n; i++) {
		bool ordered = v[i - 1].as_id < v[i].as_id ||
			(v[i - 1].as_id == v[i].as_id &&
			 v[i - 1].slot_id <= v[i].slot_id);

		KUNIT_EXPECT_TRUE_MSG(test, ordered, "entry %u", i);
	}
	/* sorting zero or one entries is fine */
	kvmmig_memslots_sort(v, 0);
	kvmmig_memslots_sort(v, 1);
}

static struct kunit_case kvmmig_args_cases[] = {
	KUNIT_CASE(attach_accepts_valid),
	KUNIT_CASE(attach_rejects_size),
	KUNIT_CASE(attach_rejects_flags),
	KUNIT_CASE(attach_rejects_reserved),
	KUNIT_CASE(attach_rejects_negative_fd),
	KUNIT_CASE(memslots_accepts_valid),
	KUNIT_CASE(memslots_rejects_bad),
	KUNIT_CASE(parse_uint_range),
	KUNIT_CASE(generation_masks_in_progress),
	KUNIT_CASE(generation_changes_on_every_update),
	KUNIT_CASE(memslots_sorted_by_as_then_slot),
	KUNIT_CASE(classify_checks),
	KUNIT_CASE(free_hints_checks),
	{}
};

struct kunit_suite kvmmig_args_suite = {
	.name = "kvmmig_args",
	.test_cases = kvmmig_args_cases,
};
