/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The KUnit suites of kvmmig.  Each suite sits beside the code it tests
 * (<dir>/<name>_test.c tests <dir>/<name>_logic.c); this test module
 * (tools/testing/kunit/kvmmig_kunit.c) registers them all.
 */
#ifndef _KVMMIG_KUNIT_H
#define _KVMMIG_KUNIT_H

#include <kunit/test.h>

extern struct kunit_suite kvmmig_ioctl_suite;
extern struct kunit_suite kvmmig_main_suite;
extern struct kunit_suite kvmmig_stats_suite;
extern struct kunit_suite kvmmig_memslots_suite;
extern struct kunit_suite kvmmig_temperature_suite;
extern struct kunit_suite kvmmig_content_suite;
extern struct kunit_suite kvmmig_free_hints_suite;
extern struct kunit_suite kvmmig_dirty_rate_suite;
extern struct kunit_suite kvmmig_send_order_suite;
extern struct kunit_suite kvmmig_throttle_suite;
extern struct kunit_suite kvmmig_guest_pt_suite;
extern struct kunit_suite kvmmig_faults_suite;
extern struct kunit_suite kvmmig_prefetch_suite;
extern struct kunit_suite kvmmig_working_set_suite;
extern struct kunit_suite kvmmig_fill_suite;

#endif /* _KVMMIG_KUNIT_H */
