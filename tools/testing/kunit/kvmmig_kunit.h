/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KVMMIG_KUNIT_H
#define _KVMMIG_KUNIT_H

#include <kunit/test.h>

extern struct kunit_suite kvmmig_uapi_layout_suite;
extern struct kunit_suite kvmmig_args_suite;
extern struct kunit_suite kvmmig_stats_layout_suite;
extern struct kunit_suite kvmmig_temperature_suite;
extern struct kunit_suite kvmmig_classify_suite;
extern struct kunit_suite kvmmig_order_suite;
extern struct kunit_suite kvmmig_throttle_suite;
extern struct kunit_suite kvmmig_guest_pt_suite;
extern struct kunit_suite kvmmig_ws_fill_suite;
extern struct kunit_suite kvmmig_rindex_suite;

#endif /* _KVMMIG_KUNIT_H */
