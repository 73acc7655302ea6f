// SPDX-License-Identifier: GPL-2.0
/*
 * Argument validation and result shaping for the kvmmig uapi (pure logic).
 *
 * The rule every ioctl follows: @size must be exactly the size this build
 * knows, no unknown flag may be set and every reserved field must be zero;
 * otherwise -EINVAL and nothing changes.  Reserved fields are where the
 * structures grow, announced by a capability, so a new kernel never
 * misreads an old caller and an old kernel refuses a new caller clearly.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/sizes.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <kvmmig/args.h>

/* KVM's memslot generation carries an update-in-progress flag in bit 63. */
#define KVMMIG_GEN_IN_PROGRESS	BIT_ULL(63)

static bool kvmmig_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

int kvmmig_check_attach(const struct kvmmig_attach *a)
{
	if (a->flags & ~KVMMIG_ATTACH_FLAGS ||
	    a->reserved0)
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->vm_fd < 0)
		return -EBADF;
	return 0;
}

int kvmmig_check_memslots(const struct kvmmig_memslots *r)
{
	if (r->flags || r->reserved0)
		return -EINVAL;
	if (!kvmmig_all_zero(r->reserved, sizeof(r->reserved)))
		return -EINVAL;
	if (r->nr_slots > KVMMIG_MEMSLOTS_MAX)
		return -EINVAL;
	return 0;
}

/*
 * SET_SCAN: START and STOP exclude each other, the 4 KiB baseline is a
 * kind of NOW pass, and a fixed period must lie within the tunables.
 */
int kvmmig_check_scan(const struct kvmmig_scan *a, u32 min_ms, u32 max_ms)
{
	if ((a->flags & ~KVMMIG_SCAN_FLAGS))
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if ((a->flags & KVMMIG_SCAN_START) && (a->flags & KVMMIG_SCAN_STOP))
		return -EINVAL;
	if ((a->flags & KVMMIG_SCAN_4K_BASELINE) && !(a->flags & KVMMIG_SCAN_NOW))
		return -EINVAL;
	if (a->flags & KVMMIG_SCAN_SET_PERIOD) {
		if (a->period_ms < min_ms || a->period_ms > max_ms)
			return -EINVAL;
	} else if (a->nr_passes) {
		return -EINVAL;
	}
	return 0;
}

int kvmmig_check_temperature(const struct kvmmig_temperature *a)
{
	if (a->flags)
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->gpa & (SZ_4K - 1) || a->npages > KVMMIG_TEMPERATURE_MAX_PAGES)
		return -EINVAL;
	/* the range may not wrap */
	if (a->gpa + a->npages * SZ_4K < a->gpa)
		return -EINVAL;
	return 0;
}

int kvmmig_check_huge_candidates(const struct kvmmig_huge_candidates *a)
{
	if (a->flags)
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->nr > KVMMIG_HUGE_CANDIDATES_MAX)
		return -EINVAL;
	return 0;
}

int kvmmig_check_classify(const struct kvmmig_classify *a)
{
	if ((a->flags & ~KVMMIG_CLASSIFY_FLAGS))
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (!a->npages || a->npages > KVMMIG_CLASSIFY_MAX_PAGES)
		return -EINVAL;
	if (!a->classes_ptr)
		return -EINVAL;
	if (a->flags & KVMMIG_CLASSIFY_GFN_LIST) {
		if (!a->gfns_ptr || a->gpa)
			return -EINVAL;
	} else {
		if (a->gfns_ptr || a->gpa & (SZ_4K - 1))
			return -EINVAL;
		if (a->gpa + (u64)a->npages * SZ_4K < a->gpa)
			return -EINVAL;
	}
	return 0;
}

int kvmmig_check_free_hints(const struct kvmmig_free_hints *a)
{
	u32 op = a->flags & KVMMIG_FREE_HINT_FLAGS;

	if ((a->flags & ~KVMMIG_FREE_HINT_FLAGS))
		return -EINVAL;
	if (a->reserved0 || !kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	/* at most one operation; none is a query */
	if (hweight32(op) > 1)
		return -EINVAL;
	if (op & (KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE)) {
		if (!a->nr_ranges || a->nr_ranges > KVMMIG_FREE_HINT_MAX_RANGES ||
		    !a->ranges_ptr)
			return -EINVAL;
	} else if (a->nr_ranges || a->ranges_ptr) {
		return -EINVAL;
	}
	return 0;
}

/* One range of a hint: aligned, non-empty, not wrapping. */
int kvmmig_check_gpa_range(const struct kvmmig_gpa_range *r)
{
	if (r->gpa & (SZ_4K - 1) || !r->npages)
		return -EINVAL;
	if (r->npages > (U64_MAX >> 12) || r->gpa + r->npages * SZ_4K - 1 < r->gpa)
		return -EINVAL;
	return 0;
}

/*
 * Parse a decimal tunable and check it against its bounds: -EINVAL for
 * anything that is not a number, -ERANGE for a number out of bounds.
 */
int kvmmig_parse_uint_range(const char *s, unsigned int min,
			    unsigned int max, unsigned int *out)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(s, 0, &v);
	if (ret)
		return ret == -ERANGE ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
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
