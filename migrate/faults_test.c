// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: fault context, pure logic (migrate/faults_logic.c, included): the
 * argument check of KVMMIG_FAULTS.
 */
#include "migrate/faults_logic.c"

#include "kvmmig_kunit.h"

static void faults_checks(struct kunit *test)
{
	struct kvmmig_faults a = { .size = sizeof(a) }, b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&a), 0);
	b = a; b.flags = KVMMIG_FAULTS_ENABLE | KVMMIG_FAULTS_READ;
	b.nr_records = 16; b.records_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
	b.flags = KVMMIG_FAULTS_DISABLE | KVMMIG_FAULTS_READ;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
	b.flags |= KVMMIG_FAULTS_ENABLE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	/* a buffer without READ */
	b = a; b.nr_records = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.records_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.flags = KVMMIG_FAULTS_READ;
	b.nr_records = KVMMIG_FAULTS_MAX_RECORDS;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
	b.nr_records++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.reserved0 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	b = a; b.reserved1 = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a; b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), -EINVAL);
	}
	/* outputs are not inputs */
	b = a; b.nr_faults = 5; b.enabled = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_faults(&b), 0);
}

static struct kunit_case faults_cases[] = {
	KUNIT_CASE(faults_checks),
	{}
};

struct kunit_suite kvmmig_faults_suite = {
	.name = "kvmmig_faults",
	.test_cases = faults_cases,
};
