// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the core's pure logic (main_logic.c, included): tunable parsing
 * and KVMMIG_ATTACH_VM's own checks (size and flags are the dispatcher's,
 * see ioctl_test.c).
 */
#include "main_logic.c"
#include "kvmmig_kunit.h"

static struct kvmmig_attach good_attach(void)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = 3 };

	return a;
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
	/* a bad reserved field is reported before a bad fd */
	a.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_attach(&a), -EINVAL);
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

static struct kunit_case kvmmig_main_cases[] = {
	KUNIT_CASE(attach_accepts_valid),
	KUNIT_CASE(attach_rejects_reserved),
	KUNIT_CASE(attach_rejects_negative_fd),
	KUNIT_CASE(parse_uint_range),
	{}
};

struct kunit_suite kvmmig_main_suite = {
	.name = "kvmmig_main",
	.test_cases = kvmmig_main_cases,
};
