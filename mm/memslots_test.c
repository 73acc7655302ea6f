// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: memslot snapshots, pure logic (mm/memslots_logic.c, included):
 * KVMMIG_GET_MEMSLOTS's own checks (size and flags are the dispatcher's),
 * the generation over every address space and the order of the slots.
 */
#include "mm/memslots_logic.c"
#include "kvmmig_kunit.h"

static struct kvmmig_memslots good_memslots(void)
{
	struct kvmmig_memslots r = { .size = sizeof(r), .nr_slots = 4,
				     .slots_ptr = 0x1000 };

	return r;
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

static struct kunit_case kvmmig_memslots_cases[] = {
	KUNIT_CASE(memslots_accepts_valid),
	KUNIT_CASE(memslots_rejects_bad),
	KUNIT_CASE(generation_masks_in_progress),
	KUNIT_CASE(generation_changes_on_every_update),
	KUNIT_CASE(memslots_sorted_by_as_then_slot),
	{}
};

struct kunit_suite kvmmig_memslots_suite = {
	.name = "kvmmig_memslots",
	.test_cases = kvmmig_memslots_cases,
};
