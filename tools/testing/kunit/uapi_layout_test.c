// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi is ABI: these cases pin every structure's size and field
 * offsets, the sizes encoded in the ioctl numbers, and the distinctness of
 * the capability numbers, so an accidental change fails here first.
 */
#include <linux/ioctl.h>
#include <uapi/linux/kvmmig.h>
#include "kvmmig_kunit.h"

/* Offsets of consecutive fields and the total size fix every field's size. */
static void attach_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, size), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, flags), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, vm_fd), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, session_id), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, access), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, reserved0), 20);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, reserved), 24);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_attach), 64);
}

static void memslot_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, base_gfn), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, npages), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, userspace_addr), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, kvm_flags), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, flags), 28);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, as_id), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, slot_id), 34);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslot, reserved), 36);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_memslot), 40);
}

static void memslots_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, size), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, flags), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, nr_slots), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, reserved0), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, generation), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, slots_ptr), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_memslots, reserved), 32);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_memslots), 64);
}

/* Every structure is 8-byte padded, so 32- and 64-bit callers agree. */
static void structs_8byte_padded(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_attach) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_memslot) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_memslots) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_scan) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_temperature) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_huge_candidates) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_dirty_rate) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_send_order) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_classify) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_free_hints) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_migration) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_history) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_fault_record) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_faults) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_prefetch) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_working_set) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_fill_page) % 8, (size_t)0);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_fill) % 8, (size_t)0);
}

static void ioctl_numbers(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, _IOC_TYPE(KVMMIG_ATTACH_VM), KVMMIGIO);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_ATTACH_VM),
			sizeof(struct kvmmig_attach));
	KUNIT_EXPECT_EQ(test, _IOC_DIR(KVMMIG_ATTACH_VM),
			_IOC_READ | _IOC_WRITE);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_MEMSLOTS),
			sizeof(struct kvmmig_memslots));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_API_VERSION), 0);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_STATS_FD), 0);
	KUNIT_EXPECT_NE(test, KVMMIG_GET_STATS_FD, KVMMIG_GET_MEMSLOTS);
}

static void capabilities_distinct(struct kunit *test)
{
	static const unsigned int caps[] = {
		KVMMIG_CAP_ATTACH_VM, KVMMIG_CAP_MEMSLOTS, KVMMIG_CAP_STATS_FD,
		KVMMIG_CAP_SYSFS_VM, KVMMIG_CAP_NR_ADDRESS_SPACES,
		KVMMIG_CAP_MAX_SESSIONS, KVMMIG_CAP_TEMPERATURE,
		KVMMIG_CAP_HUGE_CANDIDATES, KVMMIG_CAP_DIRTY_RATE,
		KVMMIG_CAP_SEND_ORDER, KVMMIG_CAP_CLASSIFY, KVMMIG_CAP_FREE_HINTS,
		KVMMIG_CAP_THROTTLE, KVMMIG_CAP_HISTORY, KVMMIG_CAP_FAULTS,
		KVMMIG_CAP_PREFETCH, KVMMIG_CAP_WORKING_SET, KVMMIG_CAP_FILL,
		KVMMIG_CAP_ACCESS,
	};
	int i, j;

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		KUNIT_EXPECT_NE(test, caps[i], 0U);
		/* 19, the old KVMMIG_CAP_WS_RUNS, stays unused */
		KUNIT_EXPECT_NE(test, caps[i], 19U);
		for (j = i + 1; j < ARRAY_SIZE(caps); j++)
			KUNIT_EXPECT_NE(test, caps[i], caps[j]);
	}
}

/* The pre-copy structures: every field's offset and the total size. */
static void precopy_layouts(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, source), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, nr_vcpus), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, pages_per_sec), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, dirty_pages), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, window_ns), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, vcpu_rates_ptr), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_dirty_rate, reserved), 48);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_dirty_rate), 80);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, base_gfn), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, npages), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, bitmap_ptr), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, runs_ptr), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, max_runs), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, nr_runs), 48);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, nr_done), 56);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, nr_free), 64);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, level_pages), 72);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_send_order, reserved), 104);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_send_order), 128);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_page_class, ref), 4);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_page_class, value), 8);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_page_class), 16);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, npages), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, nr_data), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, gpa), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, gfns_ptr), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, classes_ptr), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, data_ptr), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, class_pages), 48);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_classify, reserved), 112);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_classify), 144);

	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_gpa_range), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_free_hints, nr_ranges), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_free_hints, ranges_ptr), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_free_hints, nr_hinted), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_free_hints, mark), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_free_hints, reserved), 40);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_free_hints), 72);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, outcome), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, throttle_pct), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, rounds), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, dirty_pages), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, sent_pages), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, round_ns), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, remaining_pages), 48);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, downtime_ns), 56);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_migration, reserved), 64);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_migration), 96);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, version), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, last_outcome), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, migrations), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, last_rounds), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, last_dirty_rate), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, last_send_rate), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, last_throttle_pct), 48);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, max_throttle_pct), 52);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, last_downtime_ns), 56);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_history, reserved), 64);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_history), 96);
}

static void precopy_ioctl_numbers(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_DIRTY_RATE),
			sizeof(struct kvmmig_dirty_rate));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_SEND_ORDER),
			sizeof(struct kvmmig_send_order));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_CLASSIFY),
			sizeof(struct kvmmig_classify));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_FREE_HINTS),
			sizeof(struct kvmmig_free_hints));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_MIGRATION),
			sizeof(struct kvmmig_migration));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_HISTORY),
			sizeof(struct kvmmig_history));
	KUNIT_EXPECT_EQ(test, _IOC_DIR(KVMMIG_SET_HISTORY), _IOC_WRITE);
	KUNIT_EXPECT_EQ(test, _IOC_NR(KVMMIG_GET_DIRTY_RATE), 0x25);
	KUNIT_EXPECT_EQ(test, _IOC_NR(KVMMIG_GET_SEND_ORDER), 0x26);
	KUNIT_EXPECT_EQ(test, _IOC_NR(KVMMIG_MIGRATION), 0x29);
	KUNIT_EXPECT_EQ(test, _IOC_NR(KVMMIG_SET_HISTORY), 0x2b);
}

/* Fault context, prefetch, working set, deferred fill. */
static void postcopy_layouts(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fault_record, gfn), 0);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fault_record, gva), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fault_record, time_ns), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fault_record, vcpu), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fault_record, mode), 44);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fault_record, flags), 46);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_fault_record), 48);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_faults, records_ptr), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_faults, nr_faults), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_faults, enabled), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_faults, reserved), 40);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_faults), 72);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, gfn), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, cr3), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, mode), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, window), 28);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, gva), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, have_ptr), 40);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, have_npages), 48);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, gfns_ptr), 56);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, max_gfns), 64);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, nr_gfns), 68);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, source), 72);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_prefetch, reserved), 80);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_prefetch), 112);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_working_set, min_level), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_working_set, runs_ptr), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_working_set, max_runs), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_working_set, nr_pages), 32);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_working_set, nr_faulted), 48);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_working_set, nr_runs), 56);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_working_set), 88);

	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fill_page, class), 8);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fill_page, value), 16);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_fill_page), 24);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fill, nr_done), 12);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fill, pages_ptr), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_fill, nr_unflagged), 32);
	KUNIT_EXPECT_EQ(test, sizeof(struct kvmmig_fill), 72);

	KUNIT_EXPECT_EQ(test, _IOC_NR(KVMMIG_FAULTS), 0x2c);
	KUNIT_EXPECT_EQ(test, _IOC_NR(KVMMIG_FILL), 0x2f);
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_PREFETCH), sizeof(struct kvmmig_prefetch));
	KUNIT_EXPECT_EQ(test, _IOC_SIZE(KVMMIG_GET_WORKING_SET),
			sizeof(struct kvmmig_working_set));
	/* the walker's modes are the uapi's */
	KUNIT_EXPECT_EQ(test, KVMMIG_PAGING_PAE, 1);
	KUNIT_EXPECT_EQ(test, KVMMIG_PAGING_LONG4, 2);
	KUNIT_EXPECT_EQ(test, KVMMIG_PAGING_LONG5, 3);
}

static struct kunit_case kvmmig_uapi_layout_cases[] = {
	KUNIT_CASE(attach_layout),
	KUNIT_CASE(memslot_layout),
	KUNIT_CASE(memslots_layout),
	KUNIT_CASE(structs_8byte_padded),
	KUNIT_CASE(ioctl_numbers),
	KUNIT_CASE(capabilities_distinct),
	KUNIT_CASE(precopy_layouts),
	KUNIT_CASE(precopy_ioctl_numbers),
	KUNIT_CASE(postcopy_layouts),
	{}
};

struct kunit_suite kvmmig_uapi_layout_suite = {
	.name = "kvmmig_uapi_layout",
	.test_cases = kvmmig_uapi_layout_cases,
};
