// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: free-page hints (KVMMIG_FREE_HINTS) on a
 * real VM: counts after ADD, REMOVE, MARK and CLEAR, ranges that must lie
 * in address space 0's user memslots, and bad input that changes nothing.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "precopy_util.h"
#include "sweep.h"

#define DATA_PAGES	4096
#define DATA		SWEEP_DATA_GPA
/* a second slot right after the data slot */
#define NEXT_SLOT	2
#define NEXT_GPA	(SWEEP_DATA_GPA + DATA_PAGES * PAGE_4K)
#define NEXT_PAGES	512
#define GFN(gpa)	((gpa) / PAGE_4K)

struct setup {
	struct sweep_vm s;
	int session;
};

static void setup(struct __test_metadata *_metadata, struct setup *t)
{
	sweep_vm_create(&t->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	vm_userspace_mem_region_add(t->s.vm, VM_MEM_SRC_ANONYMOUS, NEXT_GPA,
				    NEXT_SLOT, NEXT_PAGES, 0);
	t->session = kvmmig_attach_vm(t->s.vm, NULL);
	ASSERT_GE(t->session, 0);
}

static void teardown(struct setup *t)
{
	close(t->session);
	kvm_vm_free(t->s.vm);
}

TEST(add_remove_mark_clear)
{
	struct setup t;
	struct kvmmig_free_hints out;
	struct kvmmig_gfn_range r[3] = {
		{ GFN(DATA), 100 },
		{ GFN(DATA) + 50, 100 },	/* overlaps: 150 in all */
		{ GFN(DATA) + 1000, 1 },
	};

	setup(_metadata, &t);
	EXPECT_EQ(0, nr_hinted(t.session));
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_ADD, r, 3, &out));
	EXPECT_EQ(151, out.nr_hinted);
	EXPECT_EQ(0, out.mark);
	EXPECT_EQ(151, nr_hinted(t.session));
	/* again: nothing new */
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_ADD, r, 1, &out));
	EXPECT_EQ(151, out.nr_hinted);
	/* remove pages 10..19 and a range never hinted */
	r[0] = (struct kvmmig_gfn_range){ GFN(DATA + 10 * PAGE_4K), 10 };
	r[1] = (struct kvmmig_gfn_range){ GFN(DATA + 2000 * PAGE_4K), 64 };
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_REMOVE, r, 2, &out));
	EXPECT_EQ(141, out.nr_hinted);
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_MARK, NULL, 0, &out));
	EXPECT_EQ(141, out.nr_hinted);
	EXPECT_EQ(1, out.mark);
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_MARK, NULL, 0, &out));
	EXPECT_EQ(2, out.mark);
	/* no operation: a query, which changes nothing */
	ASSERT_EQ(0, free_hints(t.session, 0, NULL, 0, &out));
	EXPECT_EQ(141, out.nr_hinted);
	EXPECT_EQ(2, out.mark);
	EXPECT_EQ(141, nr_hinted(t.session));
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_CLEAR, NULL, 0, &out));
	EXPECT_EQ(0, out.nr_hinted);
	EXPECT_EQ(2, out.mark);
	EXPECT_EQ(0, nr_hinted(t.session));
	teardown(&t);
}

/* The whole data slot, and a range across two adjacent memslots. */
TEST(whole_slots_and_adjacent_slots)
{
	struct setup t;
	struct kvmmig_free_hints out;
	struct kvmmig_gfn_range r = { GFN(DATA), DATA_PAGES };

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_ADD, &r, 1, &out));
	EXPECT_EQ(DATA_PAGES, out.nr_hinted);
	r = (struct kvmmig_gfn_range){ GFN(NEXT_GPA - 8 * PAGE_4K), 16 };
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_ADD, &r, 1, &out));
	EXPECT_EQ(DATA_PAGES + 8, out.nr_hinted);
	r = (struct kvmmig_gfn_range){ GFN(DATA), DATA_PAGES + NEXT_PAGES };
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_REMOVE, &r, 1, &out));
	EXPECT_EQ(0, out.nr_hinted);
	teardown(&t);
}

/* A range reaching outside the memslots fails whole: nothing changes. */
TEST(outside_memslots_changes_nothing)
{
	struct setup t;
	struct kvmmig_memslot *slots;
	struct kvmmig_free_hints out;
	struct kvmmig_gfn_range r[2] = { { GFN(DATA), 10 }, { 0, 1 } };
	__u32 n, i;
	__u64 gen;

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD,
				DATA + 100 * PAGE_4K, 5));
	/* past the end of the second slot */
	r[1] = (struct kvmmig_gfn_range){ GFN(NEXT_GPA) + NEXT_PAGES - 1, 2 };
	out.nr_done = 99;
	EXPECT_EQ(-EINVAL, free_hints(t.session, KVMMIG_FREE_HINT_ADD, r, 2, &out));
	EXPECT_EQ(0, out.nr_done);	/* all or nothing: nothing */
	EXPECT_EQ(5, nr_hinted(t.session));
	/* removing needs no memslot: r[0] holds no hint, so nothing changes */
	EXPECT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_REMOVE, r, 2, NULL));
	EXPECT_EQ(5, nr_hinted(t.session));
	/* far away, and in the gap below the data slot */
	r[1] = (struct kvmmig_gfn_range){ GFN(1ULL << 40), 1 };
	EXPECT_EQ(-EINVAL, free_hints(t.session, KVMMIG_FREE_HINT_ADD, r, 2, NULL));
	r[1] = (struct kvmmig_gfn_range){ GFN(DATA - PAGE_4K), 2 };
	EXPECT_EQ(-EINVAL, free_hints(t.session, KVMMIG_FREE_HINT_ADD, r, 2, NULL));
	EXPECT_EQ(5, nr_hinted(t.session));
	/* a KVM-internal slot, where the VM has one */
	n = kvmmig_get_memslots(t.session, &slots, &gen);
	for (i = 0; i < n; i++) {
		if (!(slots[i].flags & KVMMIG_MEMSLOT_F_INTERNAL) || slots[i].as_id)
			continue;
		TH_LOG("internal slot %u at 0x%llx", slots[i].slot_id,
		       (unsigned long long)slots[i].base_gfn * PAGE_4K);
		r[1] = (struct kvmmig_gfn_range){ slots[i].base_gfn, 1 };
		EXPECT_EQ(-EINVAL, free_hints(t.session, KVMMIG_FREE_HINT_ADD,
					      r, 2, NULL));
	}
	free(slots);
	EXPECT_EQ(5, nr_hinted(t.session));
	/* a slot deleted: its range is refused from then on */
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, NEXT_GPA, 2));
	EXPECT_EQ(7, nr_hinted(t.session));
	vm_mem_region_delete(t.s.vm, NEXT_SLOT);
	EXPECT_EQ(-EINVAL, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, NEXT_GPA, 1));
	EXPECT_EQ(7, nr_hinted(t.session));
	/* ... but its hints can still be removed */
	EXPECT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_REMOVE, NEXT_GPA, 2));
	EXPECT_EQ(5, nr_hinted(t.session));
	teardown(&t);
}

TEST(bad_inputs)
{
	struct setup t;
	struct kvmmig_gfn_range r = { GFN(DATA), 4 }, bad;
	struct kvmmig_free_hints a, good = {
		.size = sizeof(a), .flags = KVMMIG_FREE_HINT_ADD, .nr_ranges = 1,
		.ranges_ptr = (__u64)(unsigned long)&r,
	};
	char *edge;
	int i;

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, DATA + 500 * PAGE_4K, 3));
#define EXPECT_FH_ERR(err) do {						\
		EXPECT_EQ(-1, ioctl(t.session, KVMMIG_FREE_HINTS, &a));	\
		EXPECT_EQ(err, errno);					\
		EXPECT_EQ(3, nr_hinted(t.session));			\
	} while (0)
	a = good;
	a.size = offsetof(struct kvmmig_free_hints, reserved) - 8;
	EXPECT_FH_ERR(EINVAL);
	a = good;
	a.flags = 0;
	EXPECT_FH_ERR(EINVAL);
	a.flags = KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE;
	EXPECT_FH_ERR(EINVAL);
	a.flags = KVMMIG_FREE_HINT_MARK | KVMMIG_FREE_HINT_CLEAR;
	a.nr_ranges = 0;
	a.ranges_ptr = 0;
	EXPECT_FH_ERR(EINVAL);
	a = good;
	a.flags = 1U << 20;
	EXPECT_FH_ERR(EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		EXPECT_FH_ERR(EINVAL);
	}
	a = good;
	a.nr_ranges = 0;
	EXPECT_FH_ERR(EINVAL);
	a.nr_ranges = KVMMIG_FREE_HINT_MAX_RANGES + 1;
	EXPECT_FH_ERR(EINVAL);
	a = good;
	a.ranges_ptr = 0;
	EXPECT_FH_ERR(EINVAL);
	/* MARK and CLEAR take no ranges */
	a = good;
	a.flags = KVMMIG_FREE_HINT_CLEAR;
	EXPECT_FH_ERR(EINVAL);
	a.flags = KVMMIG_FREE_HINT_MARK;
	a.nr_ranges = 0;
	EXPECT_FH_ERR(EINVAL);
	/* the ranges themselves */
	a = good;
	a.ranges_ptr = (__u64)(unsigned long)&bad;
	bad = (struct kvmmig_gfn_range){ GFN(DATA), 0 };
	EXPECT_FH_ERR(EINVAL);
	/* a range ends by KVMMIG_GFN_LIMIT */
	bad = (struct kvmmig_gfn_range){ KVMMIG_GFN_LIMIT - 1, 2 };
	EXPECT_FH_ERR(EINVAL);
	bad = (struct kvmmig_gfn_range){ -1ULL, 2 };
	EXPECT_FH_ERR(EINVAL);
	bad = (struct kvmmig_gfn_range){ GFN(DATA), 1ULL << 60 };
	EXPECT_FH_ERR(EINVAL);
	a.ranges_ptr = 8;
	EXPECT_FH_ERR(EFAULT);
	/* the second entry lies on an unmapped page */
	a = good;
	a.nr_ranges = 2;
	edge = mmap(NULL, 2 * PAGE_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, edge);
	ASSERT_EQ(0, munmap(edge + PAGE_4K, PAGE_4K));
	memcpy(edge + PAGE_4K - sizeof(r), &r, sizeof(r));
	a.ranges_ptr = (__u64)(unsigned long)(edge + PAGE_4K - sizeof(r));
	EXPECT_FH_ERR(EFAULT);
	EXPECT_EQ(-1, ioctl(t.session, KVMMIG_FREE_HINTS, NULL));
	EXPECT_EQ(EFAULT, errno);
#undef EXPECT_FH_ERR
	/* the good call still works and MARK counted nothing above */
	a = good;
	a.nr_done = 99;		/* an output: not looked at */
	ASSERT_EQ(0, ioctl(t.session, KVMMIG_FREE_HINTS, &a));
	EXPECT_EQ(1, a.nr_done);
	EXPECT_EQ(7, a.nr_hinted);
	EXPECT_EQ(0, a.mark);
	EXPECT_EQ(1, ioctl(t.session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_FREE_HINTS));
	teardown(&t);
}

/*
 * REMOVE of the largest ranges (2^52 - 1 pages), 16 in one call:
 * only the chunks holding hints are visited, so it returns at once (a walk
 * over every 128 MiB of the range would take hours) and drops every hint.
 */
TEST(remove_huge_ranges)
{
	struct setup t;
	struct kvmmig_free_hints out;
	struct kvmmig_gfn_range r[16];
	int i;

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, DATA, 10));
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD,
				DATA + 3000 * PAGE_4K, 7));
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, NEXT_GPA, NEXT_PAGES));
	EXPECT_EQ(17 + NEXT_PAGES, nr_hinted(t.session));
	/* all but the first page: [DATA + 4K, 2^64 - 4K) */
	r[0] = (struct kvmmig_gfn_range){ GFN(DATA) + 1,
					  (1ULL << 52) - GFN(DATA) - 2 };
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_REMOVE, r, 1, &out));
	EXPECT_EQ(1, out.nr_hinted);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, NEXT_GPA, 5));
	for (i = 0; i < ARRAY_SIZE(r); i++)
		r[i] = (struct kvmmig_gfn_range){ 0, (1ULL << 52) - 1 };
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_REMOVE, r,
				ARRAY_SIZE(r), &out));
	EXPECT_EQ(0, out.nr_hinted);
	EXPECT_EQ(0, nr_hinted(t.session));
	teardown(&t);
}

/* The most ranges, each the whole data slot: done, counted once. */
TEST(max_overlapping_ranges)
{
	struct setup t;
	struct kvmmig_free_hints out;
	struct kvmmig_gfn_range *r = calloc(KVMMIG_FREE_HINT_MAX_RANGES, sizeof(*r));
	int i;

	ASSERT_NE(NULL, r);
	setup(_metadata, &t);
	for (i = 0; i < KVMMIG_FREE_HINT_MAX_RANGES; i++)
		r[i] = (struct kvmmig_gfn_range){ GFN(DATA), DATA_PAGES };
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_ADD, r,
				KVMMIG_FREE_HINT_MAX_RANGES, &out));
	EXPECT_EQ(DATA_PAGES, out.nr_hinted);
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_REMOVE, r,
				KVMMIG_FREE_HINT_MAX_RANGES, &out));
	EXPECT_EQ(0, out.nr_hinted);
	free(r);
	teardown(&t);
}

/*
 * The caller's struct is read-only: the result could not be returned, so
 * the call fails with -EFAULT before changing anything.
 */
TEST(readonly_struct_changes_nothing)
{
	struct setup t;
	struct kvmmig_gfn_range r = { GFN(DATA), 8 };
	struct kvmmig_free_hints *ro;
	__u32 ops[] = { KVMMIG_FREE_HINT_ADD, KVMMIG_FREE_HINT_REMOVE,
			KVMMIG_FREE_HINT_MARK, KVMMIG_FREE_HINT_CLEAR };
	struct kvmmig_free_hints out;

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, DATA + 8 * PAGE_4K, 3));
	ro = mmap(NULL, PAGE_4K, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	for (int i = 0; i < ARRAY_SIZE(ops); i++) {
		bool ranges = ops[i] & (KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE);

		ASSERT_EQ(0, mprotect(ro, PAGE_4K, PROT_READ | PROT_WRITE));
		memset(ro, 0, sizeof(*ro));
		ro->size = sizeof(*ro);
		ro->flags = ops[i];
		ro->nr_ranges = ranges ? 1 : 0;
		ro->ranges_ptr = ranges ? (__u64)(unsigned long)&r : 0;
		if (ops[i] == KVMMIG_FREE_HINT_REMOVE)
			r = (struct kvmmig_gfn_range){ GFN(DATA + 8 * PAGE_4K), 2 };
		ASSERT_EQ(0, mprotect(ro, PAGE_4K, PROT_READ));
		EXPECT_EQ(-1, ioctl(t.session, KVMMIG_FREE_HINTS, ro));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(3, nr_hinted(t.session));
	}
	ASSERT_EQ(0, free_hints(t.session, 0, NULL, 0, &out));
	EXPECT_EQ(3, out.nr_hinted);
	EXPECT_EQ(0, out.mark);
	munmap(ro, PAGE_4K);
	teardown(&t);
}

/* Hints held when the VMM dies are freed with the session (no leak, no oops). */
TEST(vmm_dies_with_hints)
{
	pid_t child = fork();
	int status;

	ASSERT_GE(child, 0);
	if (!child) {
		struct setup t;

		setup(_metadata, &t);
		if (free_hint1(t.session, KVMMIG_FREE_HINT_ADD, DATA, DATA_PAGES))
			_exit(2);
		_exit(0);	/* no close, no VM free */
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
