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

int kvmmig_check_attach(const struct kvmmig_attach *a);
int kvmmig_check_memslots(const struct kvmmig_memslots *r);
int kvmmig_check_scan(const struct kvmmig_scan *a, u32 min_ms, u32 max_ms);
int kvmmig_check_temperature(const struct kvmmig_temperature *a);
int kvmmig_check_huge_candidates(const struct kvmmig_huge_candidates *a);
int kvmmig_check_classify(const struct kvmmig_classify *a);
int kvmmig_check_free_hints(const struct kvmmig_free_hints *a);
int kvmmig_check_gpa_range(const struct kvmmig_gpa_range *r);
int kvmmig_parse_uint_range(const char *s, unsigned int min,
			    unsigned int max, unsigned int *out);
u64 kvmmig_memslots_generation(const u64 *as_gen, int nr_as);
void kvmmig_memslots_sort(struct kvmmig_memslot *v, u32 n);

#endif /* _KVMMIG_ARGS_H */
