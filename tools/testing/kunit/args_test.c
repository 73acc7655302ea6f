// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: uapi argument validation, tunable parsing, memslot generation
 * and ordering (args.c, included so its static helpers are reachable).
 */
#include "args.c"
#include <linux/random.h>
#include "kvmmig_kunit.h"

static void dirty_rate_checks(struct kunit *test)
{
	struct kvmmig_dirty_rate a = { .size = sizeof(a) }, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&a), 0);
	a.flags = KVMMIG_DIRTY_RATE_RESET;
	a.nr_vcpus = 4;
	a.vcpu_rates_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&a), 0);
	b = a; b.size += 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
	b = a; b.flags = 2;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
	b = a; b.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
	b = a; b.nr_vcpus = KVMMIG_DIRTY_RATE_MAX_VCPUS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
	b = a; b.vcpu_rates_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_dirty_rate(&b), -EINVAL);
}

static void send_order_checks(struct kunit *test)
{
	struct kvmmig_send_order a = {
		.size = sizeof(a), .base_gfn = 64, .npages = 100,
		.bitmap_ptr = 0x1000, .gfns_ptr = 0x2000, .nr_gfns = 100,
	}, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&a), 0);
	b = a; b.flags = KVMMIG_SEND_ORDER_ALL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), 0);
	/* a size query: no output array */
	b = a; b.nr_gfns = 0; b.gfns_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), 0);
	b = a; b.flags = 2;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.base_gfn = 65;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.npages = KVMMIG_SEND_ORDER_MAX_PAGES + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.base_gfn = U64_MAX & ~63ULL;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.bitmap_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.gfns_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
	b = a; b.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_send_order(&b), -EINVAL);
}

static void migration_checks(struct kunit *test)
{
	struct kvmmig_migration a = { .size = sizeof(a),
				      .flags = KVMMIG_MIGRATION_START }, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&a, 90), 0);
	b = a; b.flags |= KVMMIG_MIGRATION_NO_HISTORY;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b = a; b.flags |= KVMMIG_MIGRATION_FIXED; b.throttle_pct = 90;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.throttle_pct = 91;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	/* throttle_pct is an input only with FIXED */
	b = a; b.throttle_pct = 10;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);

	b = a; b.flags = KVMMIG_MIGRATION_ROUND; b.round_ns = 1000;
	b.dirty_pages = 5; b.sent_pages = 6; b.remaining_pages = 7;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.round_ns = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.flags = KVMMIG_MIGRATION_ROUND | KVMMIG_MIGRATION_NO_HISTORY;
	b.round_ns = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	/* round data belongs to ROUND only */
	b = a; b.sent_pages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);

	b = a; b.flags = KVMMIG_MIGRATION_END;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b.outcome = KVMMIG_OUTCOME_CONVERGED; b.downtime_ns = 5;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.outcome = KVMMIG_OUTCOME_CANCELLED + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b.outcome = KVMMIG_OUTCOME_FAILED; b.flags |= KVMMIG_MIGRATION_FIXED;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.outcome = KVMMIG_OUTCOME_FAILED;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);

	b = a; b.flags = KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_END;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.flags = KVMMIG_MIGRATION_FIXED;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.flags |= 1U << 12;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.reserved[2] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
}

static void history_checks(struct kunit *test)
{
	struct kvmmig_history a = {
		.size = sizeof(a), .version = KVMMIG_HISTORY_VERSION,
		.last_outcome = KVMMIG_OUTCOME_CONVERGED, .migrations = 3,
		.last_throttle_pct = 40, .max_throttle_pct = 60,
	}, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&a, true), 0);
	/* GET needs size, flags and reserved: the rest is output */
	b = a; b.version = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.flags = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), -EINVAL);
	b = a; b.version = KVMMIG_HISTORY_VERSION + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.last_outcome = KVMMIG_OUTCOME_CANCELLED + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.max_throttle_pct = 101; b.last_throttle_pct = 101;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.last_throttle_pct = 70;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.size = 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), -EINVAL);
}

/* --- issue 5: fault/prefetch check tests --- */

static void faults_checks(struct kunit *test)
{
	struct kvmmig_faults a = { .size = sizeof(a) }, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&a), 0);
	b = a; b.flags = KVMMIG_FAULTS_ENABLE | KVMMIG_FAULTS_READ;
	b.nr_records = 16; b.records_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
	b.flags = KVMMIG_FAULTS_DISABLE | KVMMIG_FAULTS_READ;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
	b.flags |= KVMMIG_FAULTS_ENABLE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.flags = 1U << 3;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.size = sizeof(a) + 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	/* a buffer without READ */
	b = a; b.nr_records = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.records_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.flags = KVMMIG_FAULTS_READ;
	b.nr_records = KVMMIG_FAULTS_PER_VCPU * 4096;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
	b.nr_records++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.reserved1 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	/* outputs are not inputs */
	b = a; b.nr_faults = 5; b.enabled = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
}

static void prefetch_checks(struct kunit *test)
{
	struct kvmmig_prefetch a = {
		.size = sizeof(a), .flags = KVMMIG_PREFETCH_CR3,
		.gpa = 0x1234000, .cr3 = 0x5000, .mode = KVMMIG_PAGING_LONG4,
		.window = 16, .max_gpas = 32,
	}, b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&a), 0);
	/* limits are inclusive; 0 window and room are valid */
	b = a; b.window = KVMMIG_PREFETCH_MAX_WINDOW;
	b.max_gpas = 2 * KVMMIG_PREFETCH_MAX_WINDOW; b.have_npages = BIT_ULL(40);
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.window = 0; b.max_gpas = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	/* without CR3, @cr3 and @mode are output: anything goes */
	b = a; b.flags = 0; b.mode = 77;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.flags = KVMMIG_PREFETCH_FLAGS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.mode = KVMMIG_PAGING_PAE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);
	b = a; b.mode = KVMMIG_PAGING_LONG5;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), 0);

	b = a; b.size = sizeof(a) - 8;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.flags = KVMMIG_PREFETCH_FLAGS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a; b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	}
	b = a; b.window = KVMMIG_PREFETCH_MAX_WINDOW + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.max_gpas = 2 * KVMMIG_PREFETCH_MAX_WINDOW + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.have_npages = BIT_ULL(40) + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.mode = KVMMIG_PAGING_NONE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
	b = a; b.mode = KVMMIG_PAGING_LONG5 + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_prefetch(&b), -EINVAL);
}

/* --- issue 5: working set/fill check tests --- */

static void working_set_checks(struct kunit *test)
{
	struct kvmmig_working_set a = { .size = sizeof(a), .min_level = 3,
					.flags = KVMMIG_WS_FAULTED,
					.max_gfns = 16, .gfns_ptr = 0x1000 };
	struct kvmmig_working_set b;
	int bit;

	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&a), 0);
	b = a;
	b.min_level = KVMMIG_TEMP_NR_LEVELS;	/* faulted frames only */
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	b.min_level = 1;
	b.max_gfns = KVMMIG_WS_MAX_GFNS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	b.max_gfns = 0;
	b.gfns_ptr = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	/* outputs are ignored on input */
	b = a;
	b.nr_gfns = 5;
	b.nr_hot = 6;
	b.nr_faulted = 7;
	b.nr_runs = 8;		/* out fields: ignored on the way in */
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);
	b = a;
	b.flags |= KVMMIG_WS_RUNS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), 0);

	b = a;
	b.size--;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	for (bit = 2; bit < 32; bit++) {
		b = a;
		b.flags |= 1U << bit;
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_check_working_set(&b), -EINVAL,
				    "flag bit %d", bit);
	}
	b = a;
	b.min_level = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b.min_level = KVMMIG_TEMP_NR_LEVELS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.max_gfns = KVMMIG_WS_MAX_GFNS + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
	b = a;
	b.reserved[2] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_working_set(&b), -EINVAL);
}

static void fill_checks(struct kunit *test)
{
	static const u32 ops[] = { KVMMIG_FILL_SET, KVMMIG_FILL_GET,
				   KVMMIG_FILL_DONE };
	struct kvmmig_fill a = { .size = sizeof(a), .nr_pages = 1,
				 .pages_ptr = 0x1000 };
	struct kvmmig_fill b;
	int i, bit;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		b = a;
		b.flags = ops[i];
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), 0);
		b.nr_pages = KVMMIG_FILL_MAX_PAGES;
		KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), 0);
		b.nr_flagged = 9;	/* outputs are ignored */
		b.nr_unflagged = 9;
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
	for (bit = 4; bit < 32; bit++) {
		b = a;
		b.flags = KVMMIG_FILL_GET | 1U << bit;
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_check_fill(&b), -EINVAL,
				    "flag bit %d", bit);
	}
	b = a;
	b.flags = KVMMIG_FILL_SET;
	b.size++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
	b.size--;
	b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
	b.reserved0 = 0;
	b.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_fill(&b), -EINVAL);
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

static struct kunit_case kvmmig_args_cases[] = {
	KUNIT_CASE(dirty_rate_checks),
	KUNIT_CASE(send_order_checks),
	KUNIT_CASE(migration_checks),
	KUNIT_CASE(history_checks),
	/* issue 5: fault/prefetch cases */
	KUNIT_CASE(faults_checks),
	KUNIT_CASE(prefetch_checks),

	/* issue 5: working set/fill cases */
	KUNIT_CASE(working_set_checks),
	KUNIT_CASE(fill_checks),
	KUNIT_CASE(fill_page_checks),

	{}
};

struct kunit_suite kvmmig_args_suite = {
	.name = "kvmmig_args",
	.test_cases = kvmmig_args_cases,
};
