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
#include <linux/sizes.h>
#include <linux/string.h>
#include <kvmmig/args.h>

static bool kvmmig_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

int kvmmig_check_dirty_rate(const struct kvmmig_dirty_rate *a)
{
	if ((a->flags & ~KVMMIG_DIRTY_RATE_FLAGS))
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->nr_vcpus > KVMMIG_DIRTY_RATE_MAX_VCPUS)
		return -EINVAL;
	if (a->nr_vcpus && !a->vcpu_rates_ptr)
		return -EINVAL;
	return 0;
}

/* The bitmap is read in 64-bit words, so it starts on a word's frame. */
int kvmmig_check_send_order(const struct kvmmig_send_order *a)
{
	if ((a->flags & ~KVMMIG_SEND_ORDER_FLAGS))
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (!a->npages || a->npages > KVMMIG_SEND_ORDER_MAX_PAGES)
		return -EINVAL;
	if (a->base_gfn & 63 || a->base_gfn + a->npages < a->base_gfn)
		return -EINVAL;
	if (!a->bitmap_ptr)
		return -EINVAL;
	if (a->nr_gfns && !a->gfns_ptr)
		return -EINVAL;
	return 0;
}

int kvmmig_check_migration(const struct kvmmig_migration *a, u32 max_pct)
{
	u32 op = a->flags & (KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_ROUND |
			     KVMMIG_MIGRATION_END);

	if ((a->flags & ~KVMMIG_MIGRATION_FLAGS))
		return -EINVAL;
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (hweight32(op) != 1)
		return -EINVAL;
	if ((a->flags & KVMMIG_MIGRATION_FIXED) && op == KVMMIG_MIGRATION_END)
		return -EINVAL;
	if ((a->flags & KVMMIG_MIGRATION_NO_HISTORY) && op != KVMMIG_MIGRATION_START)
		return -EINVAL;
	if (a->flags & KVMMIG_MIGRATION_FIXED) {
		if (a->throttle_pct > max_pct)
			return -EINVAL;
	} else if (a->throttle_pct) {
		return -EINVAL;
	}
	if (op == KVMMIG_MIGRATION_END) {
		if (a->outcome < KVMMIG_OUTCOME_CONVERGED ||
		    a->outcome > KVMMIG_OUTCOME_CANCELLED)
			return -EINVAL;
	} else if (a->outcome || a->downtime_ns) {
		return -EINVAL;
	}
	if (op == KVMMIG_MIGRATION_ROUND) {
		if (!a->round_ns)
			return -EINVAL;
	} else if (a->dirty_pages || a->sent_pages || a->round_ns ||
		   a->remaining_pages) {
		return -EINVAL;
	}
	return 0;
}

/* @set: the record comes from userspace and must be loadable. */
int kvmmig_check_history(const struct kvmmig_history *a, bool set)
{
	if (a->flags ||
	    !kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (!set)
		return 0;
	if (a->version != KVMMIG_HISTORY_VERSION)
		return -EINVAL;
	if (a->last_outcome > KVMMIG_OUTCOME_CANCELLED)
		return -EINVAL;
	if (a->last_throttle_pct > 100 || a->max_throttle_pct > 100 ||
	    a->last_throttle_pct > a->max_throttle_pct)
		return -EINVAL;
	return 0;
}

/* --- issue 5: KVMMIG_FAULTS and KVMMIG_PREFETCH (migrate/faults.c, migrate/prefetch.c) --- */

/* Enough room for every record of the largest VM. */
#define KVMMIG_FAULTS_MAX_RECORDS	(KVMMIG_FAULTS_PER_VCPU * 4096)

/**
 * kvmmig_check_faults - validate a struct kvmmig_faults
 * @a: the argument, copied in
 *
 * Return: 0, or -EINVAL for a wrong size, unknown flags, ENABLE with
 * DISABLE, records asked without READ (or too many), or non-zero reserved
 * fields.
 */
int kvmmig_check_faults(const struct kvmmig_faults *a)
{
	if ((a->flags & ~KVMMIG_FAULTS_FLAGS))
		return -EINVAL;
	if ((a->flags & KVMMIG_FAULTS_ENABLE) && (a->flags & KVMMIG_FAULTS_DISABLE))
		return -EINVAL;
	if (!(a->flags & KVMMIG_FAULTS_READ) && (a->nr_records || a->records_ptr))
		return -EINVAL;
	if (a->nr_records > KVMMIG_FAULTS_MAX_RECORDS)
		return -EINVAL;
	if (a->reserved0 || a->reserved1 || !kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	return 0;
}

/*
 * KVMMIG_PREFETCH: @size, @flags and reserved fields; the window and the
 * list's room within KVMMIG_PREFETCH_MAX_WINDOW; at most 2^40 bits of
 * bitmap; with KVMMIG_PREFETCH_CR3 a paging mode the walker knows.  The
 * output fields (@gva, @nr_gpas, @source; @cr3, @mode without
 * KVMMIG_PREFETCH_CR3) are not looked at.
 */
int kvmmig_check_prefetch(const struct kvmmig_prefetch *a)
{
	int i;

	if ((a->flags & ~KVMMIG_PREFETCH_FLAGS) ||
	    a->reserved0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(a->reserved); i++)
		if (a->reserved[i])
			return -EINVAL;
	if (a->window > KVMMIG_PREFETCH_MAX_WINDOW ||
	    a->max_gpas > 2 * KVMMIG_PREFETCH_MAX_WINDOW ||
	    a->have_npages > BIT_ULL(40))
		return -EINVAL;
	if ((a->flags & KVMMIG_PREFETCH_CR3) &&
	    a->mode != KVMMIG_PAGING_PAE && a->mode != KVMMIG_PAGING_LONG4 &&
	    a->mode != KVMMIG_PAGING_LONG5)
		return -EINVAL;
	return 0;
}

/* --- end of fault/prefetch checks --- */

/* --- issue 5: KVMMIG_GET_WORKING_SET and KVMMIG_FILL (migrate/working_set.c, migrate/fill.c) --- */

/*
 * GET_WORKING_SET: @min_level is a level of the set's threshold, 1..
 * KVMMIG_TEMP_NR_LEVELS (the last one leaves temperature out).
 */
int kvmmig_check_working_set(const struct kvmmig_working_set *a)
{
	if ((a->flags & ~KVMMIG_WS_FLAGS))
		return -EINVAL;
	if (a->reserved0 || !kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->min_level < 1 || a->min_level > KVMMIG_TEMP_NR_LEVELS)
		return -EINVAL;
	if (a->max_gfns > KVMMIG_WS_MAX_GFNS)
		return -EINVAL;
	return 0;
}

/* FILL: exactly one operation; CLEAR takes no pages, the others 1..max. */
int kvmmig_check_fill(const struct kvmmig_fill *a)
{
	if ((a->flags & ~KVMMIG_FILL_FLAGS))
		return -EINVAL;
	if (hweight32(a->flags) != 1)
		return -EINVAL;
	if (a->reserved0 || !kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->flags & KVMMIG_FILL_CLEAR)
		return a->nr_pages ? -EINVAL : 0;
	if (!a->nr_pages || a->nr_pages > KVMMIG_FILL_MAX_PAGES)
		return -EINVAL;
	return 0;
}

/*
 * One entry of FILL SET, before its frames are checked against the
 * memslots: a class a page can be filled from, no flags, ZERO with value
 * 0, and a DUP that is not its own canonical page.
 */
int kvmmig_check_fill_page(const struct kvmmig_fill_page *p)
{
	if (p->flags)
		return -EINVAL;
	switch (p->class) {
	case KVMMIG_CLASS_ZERO:
		return p->value ? -EINVAL : 0;
	case KVMMIG_CLASS_PATTERN:
		return 0;
	case KVMMIG_CLASS_DUP:
		return p->value == p->gfn ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* --- end of working set/fill checks --- */
