// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the ioctl table's pure logic (ioctl_logic.c, included): finding
 * an ioctl whatever size its caller encoded, the caller's @size, unknown
 * flags, and which descriptions the dispatcher accepts at load.
 */
#include "ioctl_logic.c"
#include "kvmmig_kunit.h"

struct ioctl_test_arg {
	u32 size;
	u32 flags;
	u64 in;
	u64 out;
	u64 reserved[2];
};

static long ioctl_test_fn(struct kvmmig_session *s, void *arg)
{
	return 0;
}

static long ioctl_test_fn_val(struct kvmmig_session *s, unsigned long arg)
{
	return 0;
}

static struct file *ioctl_test_fn_file(struct kvmmig_session *s, void *arg)
{
	return NULL;
}

#define T_CMD	_IOWR(KVMMIGIO, 0x7e, struct ioctl_test_arg)

static const struct kvmmig_ioctl_desc test_descs[] = {
	KVMMIG_IOCTL(T_CMD, struct ioctl_test_arg, 0x5, 0, 0, ioctl_test_fn),
	{ .cmd = _IO(KVMMIGIO, 0x7d), .fn_val = ioctl_test_fn_val, .name = "val" },
	KVMMIG_IOCTL(_IOW(KVMMIGIO, 0x7c, struct ioctl_test_arg),
		     struct ioctl_test_arg, 0, 0, 0, ioctl_test_fn),
};

static void ioctl_same_ignores_size(struct kunit *test)
{
	unsigned int c = T_CMD;

	KUNIT_EXPECT_TRUE(test, kvmmig_ioctl_same(c, c));
	/* an older (smaller) or newer (larger) caller's size bits */
	KUNIT_EXPECT_TRUE(test, kvmmig_ioctl_same(c, _IOC(_IOC_READ | _IOC_WRITE,
							  KVMMIGIO, 0x7e, 8)));
	KUNIT_EXPECT_TRUE(test, kvmmig_ioctl_same(c, _IOC(_IOC_READ | _IOC_WRITE,
							  KVMMIGIO, 0x7e,
							  _IOC_SIZEMASK)));
	/* direction, number and type are compared */
	KUNIT_EXPECT_FALSE(test, kvmmig_ioctl_same(c, _IOW(KVMMIGIO, 0x7e,
							   struct ioctl_test_arg)));
	KUNIT_EXPECT_FALSE(test, kvmmig_ioctl_same(c, _IOR(KVMMIGIO, 0x7e,
							   struct ioctl_test_arg)));
	KUNIT_EXPECT_FALSE(test, kvmmig_ioctl_same(c, _IO(KVMMIGIO, 0x7e)));
	KUNIT_EXPECT_FALSE(test, kvmmig_ioctl_same(c, _IOWR(KVMMIGIO, 0x7f,
							    struct ioctl_test_arg)));
	KUNIT_EXPECT_FALSE(test, kvmmig_ioctl_same(c, _IOWR(KVMMIGIO + 1, 0x7e,
							    struct ioctl_test_arg)));
	/* the session ioctls moved: an old number is another ioctl */
	KUNIT_EXPECT_FALSE(test, kvmmig_ioctl_same(KVMMIG_GET_MEMSLOTS,
						   _IOWR(KVMMIGIO, 0x10,
							 struct kvmmig_memslots)));
}

static void ioctl_find(struct kunit *test)
{
	unsigned int n = ARRAY_SIZE(test_descs), older;

	KUNIT_EXPECT_PTR_EQ(test, kvmmig_ioctl_find(test_descs, n, T_CMD),
			    &test_descs[0]);
	older = _IOC(_IOC_READ | _IOC_WRITE, KVMMIGIO, 0x7e, 16);
	KUNIT_EXPECT_PTR_EQ(test, kvmmig_ioctl_find(test_descs, n, older),
			    &test_descs[0]);
	KUNIT_EXPECT_PTR_EQ(test, kvmmig_ioctl_find(test_descs, n,
						    _IO(KVMMIGIO, 0x7d)),
			    &test_descs[1]);
	KUNIT_EXPECT_PTR_EQ(test, kvmmig_ioctl_find(test_descs, n,
						    _IOW(KVMMIGIO, 0x7c, u64)),
			    &test_descs[2]);
	/* the wrong direction finds nothing */
	KUNIT_EXPECT_NULL(test, kvmmig_ioctl_find(test_descs, n,
						  _IOWR(KVMMIGIO, 0x7c, u64)));
	KUNIT_EXPECT_NULL(test, kvmmig_ioctl_find(test_descs, n,
						  _IOWR(KVMMIGIO, 0x7d, u64)));
	KUNIT_EXPECT_NULL(test, kvmmig_ioctl_find(test_descs, n,
						  _IO(KVMMIGIO, 0x7b)));
	KUNIT_EXPECT_NULL(test, kvmmig_ioctl_find(test_descs, 0, T_CMD));
}

static void ioctl_check_size(struct kunit *test)
{
	const struct kvmmig_ioctl_desc *d = &test_descs[0];

	/* the first version is the structure without its reserved tail */
	KUNIT_EXPECT_EQ(test, d->size_ver0, 24U);
	KUNIT_EXPECT_EQ(test, d->size, 40U);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, 23), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, 24), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, 40), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, 56), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, PAGE_SIZE + 1), -E2BIG);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_size(d, U32_MAX), -E2BIG);
}

static void ioctl_check_flags(struct kunit *test)
{
	const struct kvmmig_ioctl_desc *d = &test_descs[0];
	struct ioctl_test_arg a = { .size = sizeof(a) };
	int bit;

	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_flags(d, &a), 0);
	a.flags = 0x5;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_flags(d, &a), 0);
	for (bit = 0; bit < 32; bit++) {
		a.flags = 1U << bit;
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_ioctl_check_flags(d, &a),
				    (0x5 >> bit) & 1 ? 0 : -EINVAL, "bit %d", bit);
	}
	/* only @flags is looked at: @size and the rest are not */
	a.flags = 0;
	a.size = U32_MAX;
	a.in = ~0ULL;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_check_flags(d, &a), 0);
}

static void ioctl_desc_valid(struct kunit *test)
{
	struct kvmmig_ioctl_desc d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(test_descs); i++)
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_ioctl_desc_valid(&test_descs[i]),
				    0, "desc %u", i);

	/* exactly one handler */
	d = test_descs[0];
	d.fn_val = ioctl_test_fn_val;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d = test_descs[0];
	d.fn_file = ioctl_test_fn_file;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d = test_descs[0];
	d.fn = NULL;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d = test_descs[0];
	d.name = NULL;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	/* a plain value has no structure; a structure handler needs one */
	d = test_descs[1];
	d.size = 8;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d = test_descs[0];
	d.size = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	/* a file opener may take no structure, and then no flags */
	d = (struct kvmmig_ioctl_desc){ .cmd = _IO(KVMMIGIO, 0x7a),
		.fn_file = ioctl_test_fn_file, .name = "file" };
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), 0);
	d.flags = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	/* sizes: a multiple of 8, the dispatcher's stack copy, ver0 inside */
	d = test_descs[0];
	d.size = 36;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d = test_descs[0];
	d.size = KVMMIG_IOCTL_MAX_SIZE + 8;
	d.cmd = _IOC(_IOC_READ | _IOC_WRITE, KVMMIGIO, 0x7e, d.size);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d = test_descs[0];
	d.size_ver0 = 4;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d.size_ver0 = 8;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), 0);
	d.size_ver0 = d.size + 8;
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	/* the number's size is the structure's */
	d = test_descs[0];
	d.cmd = _IOWR(KVMMIGIO, 0x7e, u64);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	/* the structure is read from the caller: _IOW or _IOWR, not _IOR */
	d = test_descs[0];
	d.cmd = _IOR(KVMMIGIO, 0x7e, struct ioctl_test_arg);
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
	d.cmd = _IOC(_IOC_NONE, KVMMIGIO, 0x7e, sizeof(struct ioctl_test_arg));
	KUNIT_EXPECT_EQ(test, kvmmig_ioctl_desc_valid(&d), -EINVAL);
}

static void all_zero(struct kunit *test)
{
	u8 b[17] = {};

	KUNIT_EXPECT_TRUE(test, kvmmig_all_zero(b, sizeof(b)));
	KUNIT_EXPECT_TRUE(test, kvmmig_all_zero(b, 0));
	b[16] = 1;
	KUNIT_EXPECT_FALSE(test, kvmmig_all_zero(b, sizeof(b)));
	KUNIT_EXPECT_TRUE(test, kvmmig_all_zero(b, 16));
}

static struct kunit_case kvmmig_ioctl_cases[] = {
	KUNIT_CASE(ioctl_same_ignores_size),
	KUNIT_CASE(ioctl_find),
	KUNIT_CASE(ioctl_check_size),
	KUNIT_CASE(ioctl_check_flags),
	KUNIT_CASE(ioctl_desc_valid),
	KUNIT_CASE(all_zero),
	{}
};

struct kunit_suite kvmmig_ioctl_suite = {
	.name = "kvmmig_ioctl",
	.test_cases = kvmmig_ioctl_cases,
};
