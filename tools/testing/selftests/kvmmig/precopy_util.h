/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the pre-copy selftests (free hints, send order, dirty rate):
 * thin ioctl wrappers returning 0 or -errno, and a stats reader.
 */
#ifndef KVMMIG_PRECOPY_UTIL_H
#define KVMMIG_PRECOPY_UTIL_H

#include "kvmmig_util.h"

#define PAGE_4K		4096ULL

/* KVMMIG_FREE_HINTS with @flags over @nr ranges; *@out gets the result. */
static inline int free_hints(int session, __u32 flags,
			     const struct kvmmig_gfn_range *r, __u32 nr,
			     struct kvmmig_free_hints *out)
{
	struct kvmmig_free_hints a = { .size = sizeof(a), .flags = flags,
				       .nr_ranges = nr,
				       .ranges_ptr = (__u64)(unsigned long)r };
	int ret = ioctl(session, KVMMIG_FREE_HINTS, &a) ? -errno : 0;

	if (out)
		*out = a;
	return ret;
}

/* Hint (or unhint) the one range [gpa, gpa + npages pages). */
static inline int free_hint1(int session, __u32 flags, __u64 gpa, __u64 npages)
{
	struct kvmmig_gfn_range r = { .gfn = gpa / 4096, .npages = npages };

	return free_hints(session, flags, &r, 1, NULL);
}

/* KVMMIG_GET_SEND_ORDER; @o is in and out. */
static inline int send_order(int session, struct kvmmig_send_order *o)
{
	o->size = sizeof(*o);
	return ioctl(session, KVMMIG_GET_SEND_ORDER, o) ? -errno : 0;
}

static inline int dirty_rate(int session, __u32 flags, __u64 *rates,
			     __u32 nr_vcpus, struct kvmmig_dirty_rate *out)
{
	struct kvmmig_dirty_rate a = { .size = sizeof(a), .flags = flags,
				       .nr_vcpus = nr_vcpus,
				       .vcpu_rates_ptr = (__u64)(unsigned long)rates };
	int ret = ioctl(session, KVMMIG_GET_DIRTY_RATE, &a) ? -errno : 0;

	if (out)
		*out = a;
	return ret;
}

static inline uint64_t popcount_bitmap(const uint64_t *bm, uint64_t nbits)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < nbits; i++)
		n += (bm[i / 64] >> (i % 64)) & 1;
	return n;
}

/* Pages hinted free now, from the stats fd: reading changes nothing. */
static inline uint64_t nr_hinted(int session)
{
	return session_stat(session, "free_hinted_pages");
}

#endif /* KVMMIG_PRECOPY_UTIL_H */
