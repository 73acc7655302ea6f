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
	KUNIT_EXPECT_EQ(test, offsetof(struct kvmmig_attach, reserved), 16);
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
		KVMMIG_CAP_MAX_SESSIONS,
	};
	int i, j;

	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		KUNIT_EXPECT_NE(test, caps[i], 0U);
		for (j = i + 1; j < ARRAY_SIZE(caps); j++)
			KUNIT_EXPECT_NE(test, caps[i], caps[j]);
	}
}

static struct kunit_case kvmmig_uapi_layout_cases[] = {
	KUNIT_CASE(attach_layout),
	KUNIT_CASE(memslot_layout),
	KUNIT_CASE(memslots_layout),
	KUNIT_CASE(structs_8byte_padded),
	KUNIT_CASE(ioctl_numbers),
	KUNIT_CASE(capabilities_distinct),
	{}
};

struct kunit_suite kvmmig_uapi_layout_suite = {
	.name = "kvmmig_uapi_layout",
	.test_cases = kvmmig_uapi_layout_cases,
};
