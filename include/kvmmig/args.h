/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure logic behind the uapi: argument validation, tunable parsing and the
 * shaping of what is returned to userspace.  Nothing here touches KVM, mm
 * or locks, so the KUnit suites drive it with synthetic input.
 */
#ifndef _KVMMIG_ARGS_H
#define _KVMMIG_ARGS_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

int kvmmig_check_dirty_rate(const struct kvmmig_dirty_rate *a);
int kvmmig_check_send_order(const struct kvmmig_send_order *a);
int kvmmig_check_migration(const struct kvmmig_migration *a, u32 max_pct);
int kvmmig_check_history(const struct kvmmig_history *a, bool set);
/* issue 5: fault/prefetch checks */
int kvmmig_check_faults(const struct kvmmig_faults *a);
int kvmmig_check_prefetch(const struct kvmmig_prefetch *a);

/* issue 5: working set/fill checks */
int kvmmig_check_working_set(const struct kvmmig_working_set *a);
int kvmmig_check_fill(const struct kvmmig_fill *a);
int kvmmig_check_fill_page(const struct kvmmig_fill_page *p);

#endif /* _KVMMIG_ARGS_H */
