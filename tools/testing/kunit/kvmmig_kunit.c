// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig_kunit.ko: the KUnit suites of kvmmig's pure logic.  Each suite's
 * file includes the source file it tests, so static functions are reached
 * without exporting them and kvmmig.ko itself carries no test code.
 */
#include <linux/module.h>
#include "kvmmig_kunit.h"

#if IS_ENABLED(CONFIG_KUNIT)
kunit_test_suites(&kvmmig_ioctl_suite, &kvmmig_main_suite, &kvmmig_stats_suite,
		  &kvmmig_memslots_suite, &kvmmig_temperature_suite, &kvmmig_content_suite,
		  &kvmmig_free_hints_suite, &kvmmig_dirty_rate_suite,
		  &kvmmig_send_order_suite, &kvmmig_throttle_suite, &kvmmig_guest_pt_suite,
		  &kvmmig_faults_suite, &kvmmig_prefetch_suite, &kvmmig_working_set_suite,
		  &kvmmig_fill_suite);
#else
static struct kunit_suite *kvmmig_kunit_suites[] = {
	&kvmmig_ioctl_suite,
	&kvmmig_main_suite,
	&kvmmig_stats_suite,
	&kvmmig_memslots_suite,
	&kvmmig_temperature_suite,
	&kvmmig_content_suite,
	&kvmmig_free_hints_suite,
	&kvmmig_dirty_rate_suite,
	&kvmmig_send_order_suite,
	&kvmmig_throttle_suite,
	&kvmmig_guest_pt_suite,
	&kvmmig_faults_suite,
	&kvmmig_prefetch_suite,
	&kvmmig_working_set_suite,
	&kvmmig_fill_suite,
};

static int __init kvmmig_kunit_init(void)
{
	return __kunit_test_suites_init(kvmmig_kunit_suites,
					ARRAY_SIZE(kvmmig_kunit_suites));
}
module_init(kvmmig_kunit_init);

static void __exit kvmmig_kunit_exit(void)
{
	__kunit_test_suites_exit(kvmmig_kunit_suites,
				 ARRAY_SIZE(kvmmig_kunit_suites));
}
module_exit(kvmmig_kunit_exit);
#endif

MODULE_DESCRIPTION("KUnit tests for kvmmig");
MODULE_LICENSE("GPL");
