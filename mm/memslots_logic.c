// SPDX-License-Identifier: GPL-2.0
/*
 * Memslot snapshots, pure logic (see include/kvmmig/memslots.h): the
 * check of KVMMIG_GET_MEMSLOTS's argument, one generation over every
 * address space, and the order memslots are returned in.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/sort.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/memslots.h>

/* KVM's memslot generation carries an update-in-progress flag in bit 63. */
#define KVMMIG_GEN_IN_PROGRESS	BIT_ULL(63)

/* Reserved fields zero, a capacity within KVMMIG_MEMSLOTS_MAX. */
int kvmmig_check_memslots(const struct kvmmig_memslots *r)
{
	if (r->reserved0 || !kvmmig_all_zero(r->reserved, sizeof(r->reserved)))
		return -EINVAL;
	if (r->nr_slots > KVMMIG_MEMSLOTS_MAX)
		return -EINVAL;
	return 0;
}

/*
 * One generation for all address spaces.  KVM advances each address
 * space's generation by the number of address spaces on every update
 * (0, 2, 4, ... and 1, 3, 5, ... on x86), so the sum of the settled
 * generations grows with every update of any address space and never
 * repeats.
 */
u64 kvmmig_memslots_generation(const u64 *as_gen, int nr_as)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < nr_as; i++)
		sum += as_gen[i] & ~KVMMIG_GEN_IN_PROGRESS;
	return sum;
}

static int kvmmig_memslot_cmp(const void *a, const void *b)
{
	const struct kvmmig_memslot *x = a, *y = b;

	if (x->as_id != y->as_id)
		return x->as_id < y->as_id ? -1 : 1;
	if (x->slot_id != y->slot_id)
		return x->slot_id < y->slot_id ? -1 : 1;
	return 0;
}

/* KVM keeps memslots in a hash; userspace gets them by (as_id, slot_id). */
void kvmmig_memslots_sort(struct kvmmig_memslot *v, u32 n)
{
	sort(v, n, sizeof(*v), kvmmig_memslot_cmp, NULL);
}
