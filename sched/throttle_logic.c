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
 * kvmmig_stun_unstunned() - what a vCPU would have dirtied unstunned
 * @count: ring entries it pushed over the round
 * @pct: the share it slept during the round (capped at 99)
 *
 * A vCPU stunned @pct ran 100 - @pct percent of the round, so unstunned
 * it would have dirtied @count * 100 / (100 - @pct) (the controller's own
 * model).  @count comes from a 32-bit ring index: the result fits in 39
 * bits, anything larger saturates.
 *
 * Return: the estimate.
 */
u64 kvmmig_stun_unstunned(u64 count, u32 pct)
{
	pct = min(pct, 99U);
	if (count > U64_MAX / 100)
		return U64_MAX;
	return div_u64(count * 100, 100 - pct);
}

/*
 * The share vCPU rate @r (normalised) sleeps when the water level is @level:
 * 0 at or below it, else the percentage that brings it down to the level,
 * rounded down, capped at @max_pct.
 */
static u32 kvmmig_stun_share_at(u64 r, u64 level, u32 max_pct)
{
	if (r <= level)
		return 0;
	/* r < 2^32: 100 * (r - level) < 2^39 */
	return min_t(u64, div64_u64(100 * (r - level), r), max_pct);
}

/* Normalised rate: @r shifted so that the largest rate is in [2^31, 2^32). */
static u64 kvmmig_stun_norm(u64 r, int shift)
{
	return shift >= 0 ? r >> shift : r << -shift;
}

/* Sum over every vCPU of share * rate at @level (each term < 2^39). */
static u64 kvmmig_stun_reduction(const u64 *rates, u32 n, int shift,
				 u64 level, u32 max_pct)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		u64 r = kvmmig_stun_norm(rates[i], shift);

		sum += kvmmig_stun_share_at(r, level, max_pct) * r;
	}
	return sum;
}

/**
 * kvmmig_stun_split() - split a VM-wide stun share per vCPU by dirty rate
 * @rates: each vCPU's dirty rate over the round (unstunned estimates, any
 *	unit; only their ratios count)
 * @n: entries in @rates and @shares, at most KVMMIG_STUN_SPLIT_MAX
 * @pct: the VM-wide share the controller chose
 * @max_pct: the largest share of one vCPU (throttle_max_pct)
 * @shares: out: each vCPU's share, 0..@max_pct
 *
 * Every vCPU sleeping @pct would cut the VM's dirty rate by @pct * sum(r).
 * The same cut is had from the heaviest dirtiers: water-filling.  A level
 * L is chosen and each vCPU above it sleeps the share that brings its rate
 * down to L, rounded down to a whole percent and capped at @max_pct:
 *
 *	s_i(L) = 0 if r_i <= L, else min(max_pct, floor(100 (r_i - L) / r_i))
 *
 * L is the highest level with sum(s_i(L) * r_i) >= @pct * sum(r_i), so the
 * integer shares together cut at least as much as the VM-wide share, and
 * a vCPU at or below the level, in particular one that dirtied nothing,
 * sleeps 0.  Such a level exists: at L = 0 every dirtying vCPU sleeps
 * @max_pct >= @pct.  Equal rates give every vCPU @pct; one dirtier
 * among readers gets @pct alone.  @pct is capped at @max_pct first.
 *
 * Arithmetic: the rates are shifted (ratios kept) so that the largest is
 * in [2^31, 2^32); with @n <= 2^13 every sum stays below 2^52.  L is
 * found by bisection over [0, 2^32): 33 passes of O(@n), no allocation.
 *
 * Return: true with @shares set; false (@shares untouched) when there is
 * nothing to split by: no vCPU, more than KVMMIG_STUN_SPLIT_MAX, or no
 * vCPU dirtied anything (the caller keeps the VM-wide share then).
 */
bool kvmmig_stun_split(const u64 *rates, u32 n, u32 pct, u32 max_pct,
		       u32 *shares)
{
	u64 top = 0, sum = 0, target, lo, hi;
	int shift;
	u32 i;

	if (!n || n > KVMMIG_STUN_SPLIT_MAX)
		return false;
	for (i = 0; i < n; i++)
		top = max(top, rates[i]);
	if (!top)
		return false;
	pct = min(pct, max_pct);
	shift = fls64(top) - 32;
	for (i = 0; i < n; i++)
		sum += kvmmig_stun_norm(rates[i], shift);
	target = sum * pct;

	/* the highest level whose reduction still reaches @target */
	lo = 0;				/* reaches it: see above */
	hi = kvmmig_stun_norm(top, shift);	/* every share 0 */
	if (!pct)
		lo = hi;
	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		if (kvmmig_stun_reduction(rates, n, shift, mid, max_pct) >= target)
			lo = mid;
		else
			hi = mid;
	}
	for (i = 0; i < n; i++)
		shares[i] = kvmmig_stun_share_at(kvmmig_stun_norm(rates[i], shift),
						 lo, max_pct);
	return true;
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
 * the round's data with ROUND only (and a non-zero @round_ns); at most
 * KVMMIG_MIGRATION_MAX_VCPUS vCPU shares, and a buffer for them.
 *
 * Return: 0 or -EINVAL.
 */
int kvmmig_check_migration(const struct kvmmig_migration *a, u32 max_pct)
{
	u32 op = a->flags & (KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_ROUND |
			     KVMMIG_MIGRATION_END);

	if (memchr_inv(a->reserved, 0, sizeof(a->reserved)))
		return -EINVAL;
	if (a->nr_vcpus > KVMMIG_MIGRATION_MAX_VCPUS ||
	    (a->nr_vcpus && !a->vcpu_shares_ptr))
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
