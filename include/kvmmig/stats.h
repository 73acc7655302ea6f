/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout of the binary stats file in KVM's format (pure logic):
 *
 *   struct kvm_stats_header | id string | descriptors | u64 data
 *
 * Each descriptor is a struct kvm_stats_desc followed by a NUL-padded name
 * of KVMMIG_STATS_NAME_SIZE bytes; every stat is one u64.
 */
#ifndef _KVMMIG_STATS_H
#define _KVMMIG_STATS_H

#include <linux/kvm.h>
#include <linux/types.h>

#define KVMMIG_STATS_NAME_SIZE	48

/* The kinds of counters, for struct kvmmig_stat_def.flags */
#define KVMMIG_STAT_TIME (KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_SECONDS | \
			 KVM_STATS_BASE_POW10)
#define KVMMIG_STAT_VAL	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE)
#define KVMMIG_STAT_CNT	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE)
#define KVMMIG_STAT_BOOL (KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN)

/**
 * struct kvmmig_stat_def - static description of one counter
 * @name: name as shown to userspace, shorter than KVMMIG_STATS_NAME_SIZE
 * @flags: KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | KVM_STATS_BASE_*
 * @exponent: unit exponent (-9 with KVM_STATS_UNIT_SECONDS: nanoseconds)
 */
struct kvmmig_stat_def {
	const char *name;
	u32 flags;
	s16 exponent;
};

size_t kvmmig_stats_data_offset(u32 nr_stats);
size_t kvmmig_stats_image_size(u32 nr_stats);
int kvmmig_stats_fill_prefix(void *image, size_t image_size, const char *id,
			     const struct kvmmig_stat_def *defs, u32 nr_stats);

#endif /* _KVMMIG_STATS_H */
