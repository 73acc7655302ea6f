// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the binary stats image matches KVM's format as a KVM stats
 * parser reads it (stats_logic.c, included).
 */
#include "stats_logic.c"
#include <linux/kvm.h>
#include <linux/slab.h>
#include "kvmmig_kunit.h"

static const struct kvmmig_stat_def test_defs[] = {
	{ "alpha", KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE, 0 },
	{ "beta_ns", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_SECONDS, -9 },
	{ "gamma", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN, 0 },
};

static void *alloc_image(struct kunit *test, u32 n, size_t *size)
{
	*size = kvmmig_stats_image_size(n);
	return kunit_kzalloc(test, *size, GFP_KERNEL);
}

static void header_offsets(struct kunit *test)
{
	struct kvm_stats_header *hdr;
	size_t size;
	u32 n = ARRAY_SIZE(test_defs);

	hdr = alloc_image(test, n, &size);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	KUNIT_ASSERT_EQ(test, kvmmig_stats_fill_prefix(hdr, size, "kvmmig-3",
						       test_defs, n), 0);
	KUNIT_EXPECT_EQ(test, hdr->flags, 0U);
	KUNIT_EXPECT_EQ(test, hdr->num_desc, n);
	KUNIT_EXPECT_EQ(test, hdr->name_size, (u32)KVMMIG_STATS_NAME_SIZE);
	KUNIT_EXPECT_EQ(test, hdr->id_offset, (u32)sizeof(*hdr));
	KUNIT_EXPECT_EQ(test, hdr->desc_offset, hdr->id_offset + hdr->name_size);
	KUNIT_EXPECT_EQ(test, hdr->data_offset, hdr->desc_offset +
			n * (u32)(offsetof(struct kvm_stats_desc, name) +
				 hdr->name_size));
	KUNIT_EXPECT_EQ(test, (size_t)hdr->data_offset + n * sizeof(u64), size);
	KUNIT_EXPECT_STREQ(test, (char *)hdr + hdr->id_offset, "kvmmig-3");
}

static void descriptors(struct kunit *test)
{
	struct kvm_stats_header *hdr;
	size_t size;
	u32 i, n = ARRAY_SIZE(test_defs);
	u64 *data;

	hdr = alloc_image(test, n, &size);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	KUNIT_ASSERT_EQ(test, kvmmig_stats_fill_prefix(hdr, size, "x",
						       test_defs, n), 0);
	for (i = 0; i < n; i++) {
		struct kvm_stats_desc *d = (void *)((u8 *)hdr + hdr->desc_offset +
			i * (offsetof(struct kvm_stats_desc, name) + hdr->name_size));

		KUNIT_EXPECT_STREQ(test, d->name, test_defs[i].name);
		KUNIT_EXPECT_EQ(test, d->flags, test_defs[i].flags);
		KUNIT_EXPECT_EQ(test, d->exponent, test_defs[i].exponent);
		KUNIT_EXPECT_EQ(test, d->size, 1);
		KUNIT_EXPECT_EQ(test, d->offset, i * (u32)sizeof(u64));
		KUNIT_EXPECT_EQ(test, d->bucket_size, 0U);
	}
	data = (u64 *)((u8 *)hdr + hdr->data_offset);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, data[i], 0ULL);
}

static void rejects_bad_input(struct kunit *test)
{
	static const struct kvmmig_stat_def long_name[] = {
		{ "a_name_that_is_far_too_long_to_fit_in_forty_eight_bytes", 0, 0 },
	};
	size_t size;
	void *img = alloc_image(test, 1, &size);

	KUNIT_ASSERT_NOT_NULL(test, img);
	KUNIT_EXPECT_EQ(test, kvmmig_stats_fill_prefix(img, size, "id",
						       long_name, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_stats_fill_prefix(img, size - 1, "id",
						       test_defs, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_stats_fill_prefix(img, size, long_name[0].name,
						       test_defs, 1), -EINVAL);
}

static void zero_stats(struct kunit *test)
{
	struct kvm_stats_header *hdr;
	size_t size;

	hdr = alloc_image(test, 0, &size);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	KUNIT_EXPECT_EQ(test, kvmmig_stats_fill_prefix(hdr, size, "e", NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, (size_t)hdr->data_offset, size);
}

static struct kunit_case kvmmig_stats_cases[] = {
	KUNIT_CASE(header_offsets),
	KUNIT_CASE(descriptors),
	KUNIT_CASE(rejects_bad_input),
	KUNIT_CASE(zero_stats),
	{}
};

struct kunit_suite kvmmig_stats_suite = {
	.name = "kvmmig_stats",
	.test_cases = kvmmig_stats_cases,
};
