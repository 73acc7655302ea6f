// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU throttling, pure logic: the stun-share controller and the
 * migration history (see include/kvmmig/throttle.h).
 *
 * Pre-copy converges when each round dirties fewer pages than it sends.
 * After each round the controller compares the dirty rate d with the send
 * rate r.  d was measured with the vCPUs already stunned a share p of the
 * time, so unstunned the guest would dirty d / (1 - p); the share p' that
 * brings the dirty rate under the target share T of r solves
 *
 *	d / (1 - p) * (1 - p') = T * r   ->   1 - p' = (1 - p) * T * r / d
 *
 * Above T * r the share rises to p' (at least by a step), by more when
 * the round did not shrink what is left to send; below T * r / 2 it
 * decays; in between it holds.  The result is clamped to the max tunable.
 * Both rates come from the same round, so their ratio is the ratio of the
 * page counts.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <kvmmig/throttle.h>

/**
 * kvmmig_history_init() - an empty history record (no migration yet)
 * @h: the record
 */
void kvmmig_history_init(struct kvmmig_history *h)
{
	memset(h, 0, sizeof(*h));
	h->size = sizeof(*h);
	h->version = KVMMIG_HISTORY_VERSION;
}

/**
 * kvmmig_throttle_seed() - the stun share a migration starts at
 * @h: the VM's history
 * @max_pct: the largest share allowed
 *
 * A VM whose last migration was stunned starts at the highest share that
 * migration reached: when it converged, that share is what brought the
 * dirty rate under the send rate (the controller lowers the share in the
 * last rounds only because the remainder shrinks, not because the guest
 * dirties less); when it failed or was given up, it was not enough, or
 * nearly.  The controller lowers a share that turns out too high within a
 * round or two.  A VM that was never migrated, or was not stunned, starts
 * unstunned.
 *
 * Return: the share, 0..@max_pct.
 */
u32 kvmmig_throttle_seed(const struct kvmmig_history *h, u32 max_pct)
{
	u32 pct;

	if (!h->migrations)
		return 0;
	switch (h->last_outcome) {
	case KVMMIG_OUTCOME_CONVERGED:
	case KVMMIG_OUTCOME_FAILED:
	case KVMMIG_OUTCOME_CANCELLED:
		pct = max(h->last_throttle_pct, h->max_throttle_pct);
		break;
	default:
		pct = 0;
	}
	return min(pct, max_pct);
}

static void kvmmig_throttle_set(struct kvmmig_throttle_ctl *c, u32 pct,
				u32 reason, struct kvmmig_throttle_decision *d)
{
	d->old_pct = c->pct;
	d->new_pct = pct;
	d->reason = reason;
	c->pct = pct;
	c->max_pct = max(c->max_pct, pct);
}

/**
 * kvmmig_throttle_ctl_start() - a migration begins
 * @c: the controller, reset here
 * @h: the VM's history to seed from, or NULL (KVMMIG_MIGRATION_NO_HISTORY)
 * @max_pct: the largest share allowed
 * @d: out: the decision
 */
void kvmmig_throttle_ctl_start(struct kvmmig_throttle_ctl *c,
			       const struct kvmmig_history *h, u32 max_pct,
			       struct kvmmig_throttle_decision *d)
{
	u32 pct = h ? kvmmig_throttle_seed(h, max_pct) : 0;

	memset(c, 0, sizeof(*c));
	kvmmig_throttle_set(c, pct, pct ? KVMMIG_THROTTLE_HISTORY :
				    KVMMIG_THROTTLE_START, d);
}

/**
 * kvmmig_throttle_ctl_fixed() - the VMM sets the share itself
 * @c: the controller
 * @pct: the share, already checked against the max tunable
 * @d: out: the decision
 */
void kvmmig_throttle_ctl_fixed(struct kvmmig_throttle_ctl *c, u32 pct,
			       struct kvmmig_throttle_decision *d)
{
	kvmmig_throttle_set(c, pct, KVMMIG_THROTTLE_FIXED, d);
}

/*
 * Pages per second from pages per @ns (@ns > 0), saturating: x86's
 * mul_u64_u64_div_u64() traps when the quotient does not fit.
 */
static u64 kvmmig_rate(u64 pages, u64 ns)
{
	if (div64_u64(pages, ns) >= U64_MAX / NSEC_PER_SEC)
		return U64_MAX;
	return mul_u64_u64_div_u64(pages, NSEC_PER_SEC, ns);
}

/*
 * The share that brings the dirty rate to the target share of the send
 * rate, given that @dirty was measured under @pct (@dirty > T% of @sent,
 * so the kept share below is under 100 - @pct).
 */
static u32 kvmmig_throttle_need(u32 pct, u64 dirty, u64 sent)
{
	u64 keep;

	/* (100 - pct) * T * sent / dirty < (100 - pct) * 100: no overflow */
	keep = mul_u64_u64_div_u64(sent, (u64)(100 - pct) *
				   KVMMIG_THROTTLE_TARGET_PCT, dirty);
	keep /= 100;
	return keep >= 100 ? 0 : 100 - (u32)keep;
}

/**
 * kvmmig_throttle_ctl_round() - a round ended: move the share
 * @c: the controller
 * @r: the round, as the VMM reported it (@r->round_ns > 0)
 * @fixed: the VMM sets the share (@fixed_pct) instead of the controller
 * @fixed_pct: with @fixed: the share, already checked against @max_pct
 * @max_pct: the largest share allowed
 * @d: out: the decision
 */
void kvmmig_throttle_ctl_round(struct kvmmig_throttle_ctl *c,
			       const struct kvmmig_throttle_round *r,
			       bool fixed, u32 fixed_pct, u32 max_pct,
			       struct kvmmig_throttle_decision *d)
{
	u64 dirty = r->dirty_pages, sent = r->sent_pages;
	u32 old = min(c->pct, max_pct), pct, reason;
	bool unproductive;

	unproductive = (c->rounds && r->remaining_pages >= c->remaining) ||
		       (!sent && dirty);
	c->rounds++;
	c->remaining = r->remaining_pages;
	c->dirty_rate = kvmmig_rate(dirty, r->round_ns);
	c->send_rate = kvmmig_rate(sent, r->round_ns);

	/* the comparisons below multiply by 100: keep both under 2^56 */
	while ((dirty | sent) >> 56) {
		dirty >>= 1;
		sent >>= 1;
	}

	if (fixed) {
		pct = fixed_pct;
		reason = KVMMIG_THROTTLE_FIXED;
	} else if (!dirty) {
		pct = old > KVMMIG_THROTTLE_DECAY_PCT ?
		      old - KVMMIG_THROTTLE_DECAY_PCT : 0;
		reason = KVMMIG_THROTTLE_DECAY;
	} else if (dirty * 100 > sent * KVMMIG_THROTTLE_TARGET_PCT) {
		pct = sent ? kvmmig_throttle_need(old, dirty, sent) : 100;
		pct = max(pct, old + KVMMIG_THROTTLE_STEP_PCT);
		reason = KVMMIG_THROTTLE_RISE;
		if (unproductive) {
			pct += KVMMIG_THROTTLE_BUMP_PCT;
			reason = KVMMIG_THROTTLE_UNPRODUCTIVE;
		}
	} else if (dirty * 100 < sent * KVMMIG_THROTTLE_LOW_PCT) {
		pct = old > KVMMIG_THROTTLE_DECAY_PCT ?
		      old - KVMMIG_THROTTLE_DECAY_PCT : 0;
		reason = KVMMIG_THROTTLE_DECAY;
		if (unproductive) {
			pct = old;
			reason = KVMMIG_THROTTLE_HOLD;
		}
	} else if (unproductive) {
		pct = old + KVMMIG_THROTTLE_BUMP_PCT;
		reason = KVMMIG_THROTTLE_UNPRODUCTIVE;
	} else {
		pct = old;
		reason = KVMMIG_THROTTLE_HOLD;
	}
	kvmmig_throttle_set(c, min(pct, max_pct), reason, d);
}

/**
 * kvmmig_throttle_ctl_end() - a migration ended: fold it into the history
 * @c: the controller; its share drops to 0
 * @h: the VM's history, updated
 * @outcome: KVMMIG_OUTCOME_* (not NONE)
 * @downtime_ns: the stop-and-copy pause
 * @d: out: the decision
 */
void kvmmig_throttle_ctl_end(struct kvmmig_throttle_ctl *c,
			     struct kvmmig_history *h, u32 outcome,
			     u64 downtime_ns, struct kvmmig_throttle_decision *d)
{
	h->size = sizeof(*h);
	h->flags = 0;
	h->version = KVMMIG_HISTORY_VERSION;
	h->last_outcome = outcome;
	if (h->migrations < U64_MAX)
		h->migrations++;
	h->last_rounds = c->rounds;
	h->last_dirty_rate = c->dirty_rate;
	h->last_send_rate = c->send_rate;
	h->last_throttle_pct = c->pct;
	h->max_throttle_pct = max(c->max_pct, c->pct);
	h->last_downtime_ns = downtime_ns;
	memset(h->reserved, 0, sizeof(h->reserved));
	kvmmig_throttle_set(c, 0, KVMMIG_THROTTLE_END, d);
}

/**
 * kvmmig_check_migration() - check a struct kvmmig_migration
 * @a: the kernel's copy of the argument (@size and @flags checked by the
 *	dispatcher)
 * @max_pct: the throttle_max_pct tunable
 *
 * Exactly one of START, ROUND, END; FIXED not with END and with a share
 * within @max_pct; NO_HISTORY with START only; an outcome with END only;
 * the round's data with ROUND only (and a non-zero @round_ns).
 *
 * Return: 0 or -EINVAL.
 */
int kvmmig_check_migration(const struct kvmmig_migration *a, u32 max_pct)
{
	u32 op = a->flags & (KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_ROUND |
			     KVMMIG_MIGRATION_END);

	if (memchr_inv(a->reserved, 0, sizeof(a->reserved)))
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

/**
 * kvmmig_check_history() - check a struct kvmmig_history
 * @a: the kernel's copy of the argument (@size and @flags checked by the
 *	dispatcher)
 * @set: the record comes from userspace (SET) and must be loadable
 *
 * Return: 0, or -EINVAL for non-zero reserved fields or (@set) a record of
 * another version, an unknown outcome, or percentages above 100 or with
 * the last share above the highest.
 */
int kvmmig_check_history(const struct kvmmig_history *a, bool set)
{
	if (memchr_inv(a->reserved, 0, sizeof(a->reserved)))
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
