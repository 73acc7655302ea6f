// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: vCPU throttling, pure logic (sched/throttle_logic.c, included): the
 * stun-share controller on synthetic rounds, seeding from the history and
 * folding a migration into it.
 */
#include "sched/throttle_logic.c"
#include "kvmmig_kunit.h"

#define MAX_PCT		90
#define ROUND_NS	(100 * NSEC_PER_MSEC)

/* One round of @dirty and @sent pages, @remaining left, 100 ms long. */
static struct kvmmig_throttle_decision
round_of(struct kvmmig_throttle_ctl *c, u64 dirty, u64 sent, u64 remaining)
{
	struct kvmmig_throttle_round r = {
		.dirty_pages = dirty, .sent_pages = sent,
		.round_ns = ROUND_NS, .remaining_pages = remaining,
	};
	struct kvmmig_throttle_decision d;

	kvmmig_throttle_ctl_round(c, &r, false, 0, MAX_PCT, &d);
	return d;
}

static void start(struct kvmmig_throttle_ctl *c)
{
	struct kvmmig_throttle_decision d;

	kvmmig_throttle_ctl_start(c, NULL, MAX_PCT, &d);
}

static void no_throttle_when_dirty_low(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;
	u64 remaining = 100000;
	int i;

	start(&c);
	KUNIT_EXPECT_EQ(test, c.pct, 0U);
	for (i = 0; i < 10; i++) {
		remaining /= 2;
		d = round_of(&c, 100, 10000, remaining);
		KUNIT_EXPECT_EQ(test, d.new_pct, 0U);
		KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_DECAY);
	}
	KUNIT_EXPECT_EQ(test, c.rounds, 10ULL);
	KUNIT_EXPECT_EQ(test, c.max_pct, 0U);
	/* 100 pages per 100 ms */
	KUNIT_EXPECT_EQ(test, c.dirty_rate, 1000ULL);
	KUNIT_EXPECT_EQ(test, c.send_rate, 100000ULL);
}

static void hold_between_low_and_target(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	c.pct = 30;
	/* d = 40% of r: under the 50% target, above the 25% low mark */
	d = round_of(&c, 4000, 10000, 50000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_HOLD);
	KUNIT_EXPECT_EQ(test, d.old_pct, 30U);
	KUNIT_EXPECT_EQ(test, d.new_pct, 30U);
}

static void rises_when_dirty_high(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	/* d = 2 r unstunned: 1 - p = 0.5 * 0.5 -> p = 75 */
	d = round_of(&c, 20000, 10000, 100000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_RISE);
	KUNIT_EXPECT_EQ(test, d.old_pct, 0U);
	KUNIT_EXPECT_EQ(test, d.new_pct, 75U);
	KUNIT_EXPECT_EQ(test, c.max_pct, 75U);
}

static void rise_accounts_for_current_stun(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	c.pct = 50;
	/*
	 * d = r measured at p = 50: unstunned 2 r; 1 - p' = 0.5 * 0.5 * 1 ->
	 * p' = 75
	 */
	d = round_of(&c, 10000, 10000, 100000);
	KUNIT_EXPECT_EQ(test, d.new_pct, 75U);
}

static void rise_at_least_a_step(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	/* just above the target: the model asks for ~1%, a step is 10 */
	d = round_of(&c, 5050, 10000, 100000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_RISE);
	KUNIT_EXPECT_EQ(test, d.new_pct, (u32)KVMMIG_THROTTLE_STEP_PCT);
}

static void unproductive_bumps(struct kunit *test)
{
	struct kvmmig_throttle_ctl a, b;
	struct kvmmig_throttle_decision da, db;

	start(&a);
	start(&b);
	round_of(&a, 5050, 10000, 100000);
	round_of(&b, 5050, 10000, 100000);
	/* same rates; a shrank what is left, b did not */
	da = round_of(&a, 5050, 10000, 90000);
	db = round_of(&b, 5050, 10000, 100000);
	KUNIT_EXPECT_EQ(test, da.reason, (u32)KVMMIG_THROTTLE_RISE);
	KUNIT_EXPECT_EQ(test, db.reason, (u32)KVMMIG_THROTTLE_UNPRODUCTIVE);
	KUNIT_EXPECT_EQ(test, db.new_pct,
			da.new_pct + KVMMIG_THROTTLE_BUMP_PCT);
}

static void unproductive_in_hold_band_rises(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	c.pct = 20;
	round_of(&c, 4000, 10000, 50000);
	d = round_of(&c, 4000, 10000, 60000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_UNPRODUCTIVE);
	KUNIT_EXPECT_EQ(test, d.new_pct, 20U + KVMMIG_THROTTLE_BUMP_PCT);
}

static void nothing_sent_is_unproductive(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	d = round_of(&c, 100, 0, 100000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_UNPRODUCTIVE);
	KUNIT_EXPECT_EQ(test, d.new_pct, (u32)MAX_PCT);
	/* nothing dirtied, nothing sent: decay */
	d = round_of(&c, 0, 0, 100000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_DECAY);
	KUNIT_EXPECT_EQ(test, d.new_pct, MAX_PCT - KVMMIG_THROTTLE_DECAY_PCT);
}

static void decays_when_low(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;
	u64 remaining = 1000000;
	u32 last = 0;
	int i;

	start(&c);
	d = round_of(&c, 100000, 10000, remaining);
	KUNIT_EXPECT_EQ(test, d.new_pct, (u32)MAX_PCT);
	last = d.new_pct;
	for (i = 0; i < 20; i++) {
		remaining /= 2;
		d = round_of(&c, 100, 10000, remaining);
		KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_DECAY);
		KUNIT_EXPECT_LE(test, d.new_pct, last);
		if (last)
			KUNIT_EXPECT_LT(test, d.new_pct, last);
		last = d.new_pct;
	}
	KUNIT_EXPECT_EQ(test, c.pct, 0U);
	/* the highest share of the migration is remembered */
	KUNIT_EXPECT_EQ(test, c.max_pct, (u32)MAX_PCT);
}

static void decay_held_when_unproductive(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	start(&c);
	c.pct = 40;
	round_of(&c, 100, 10000, 5000);
	KUNIT_EXPECT_EQ(test, c.pct, 30U);
	d = round_of(&c, 100, 10000, 5000);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_HOLD);
	KUNIT_EXPECT_EQ(test, d.new_pct, 30U);
}

static void clamps_at_max(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;
	struct kvmmig_throttle_round r = {
		.dirty_pages = 1000000, .sent_pages = 10,
		.round_ns = ROUND_NS, .remaining_pages = 100000,
	};
	int i;

	start(&c);
	for (i = 0; i < 5; i++) {
		d = round_of(&c, 1000000, 10, 100000);
		KUNIT_EXPECT_LE(test, d.new_pct, (u32)MAX_PCT);
	}
	KUNIT_EXPECT_EQ(test, c.pct, (u32)MAX_PCT);
	/* a lower max (the tunable lowered) clamps at once */
	kvmmig_throttle_ctl_round(&c, &r, false, 0, 40, &d);
	KUNIT_EXPECT_EQ(test, d.new_pct, 40U);
	kvmmig_throttle_ctl_round(&c, &r, false, 0, 0, &d);
	KUNIT_EXPECT_EQ(test, d.new_pct, 0U);
}

static void huge_counts_do_not_overflow(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_round r = {
		.dirty_pages = U64_MAX, .sent_pages = U64_MAX / 4,
		.round_ns = 1, .remaining_pages = U64_MAX,
	};
	struct kvmmig_throttle_decision d;

	start(&c);
	kvmmig_throttle_ctl_round(&c, &r, false, 0, MAX_PCT, &d);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_RISE);
	KUNIT_EXPECT_EQ(test, d.new_pct, 88U);
	KUNIT_EXPECT_EQ(test, c.dirty_rate, U64_MAX);
	KUNIT_EXPECT_EQ(test, c.send_rate, U64_MAX);
}

static void fixed_overrides(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_round r = {
		.dirty_pages = 100000, .sent_pages = 10,
		.round_ns = ROUND_NS, .remaining_pages = 100000,
	};
	struct kvmmig_throttle_decision d;

	start(&c);
	kvmmig_throttle_ctl_fixed(&c, 50, &d);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_FIXED);
	KUNIT_EXPECT_EQ(test, d.new_pct, 50U);
	kvmmig_throttle_ctl_round(&c, &r, true, 20, MAX_PCT, &d);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_FIXED);
	KUNIT_EXPECT_EQ(test, d.old_pct, 50U);
	KUNIT_EXPECT_EQ(test, d.new_pct, 20U);
	KUNIT_EXPECT_EQ(test, c.rounds, 1ULL);
	KUNIT_EXPECT_EQ(test, c.max_pct, 50U);
}

static void history_seeding(struct kunit *test)
{
	struct kvmmig_history h;
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	kvmmig_history_init(&h);
	KUNIT_EXPECT_EQ(test, h.size, (u32)sizeof(h));
	KUNIT_EXPECT_EQ(test, h.version, (u32)KVMMIG_HISTORY_VERSION);
	/* never migrated */
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 0U);
	kvmmig_throttle_ctl_start(&c, &h, MAX_PCT, &d);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_START);
	KUNIT_EXPECT_EQ(test, d.new_pct, 0U);

	/* converged at 60 after peaking at 80: start at the peak */
	h.migrations = 1;
	h.last_outcome = KVMMIG_OUTCOME_CONVERGED;
	h.last_throttle_pct = 60;
	h.max_throttle_pct = 80;
	kvmmig_throttle_ctl_start(&c, &h, MAX_PCT, &d);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_HISTORY);
	KUNIT_EXPECT_EQ(test, d.new_pct, 80U);
	KUNIT_EXPECT_EQ(test, c.pct, 80U);
	KUNIT_EXPECT_EQ(test, c.max_pct, 80U);
	KUNIT_EXPECT_EQ(test, c.rounds, 0ULL);

	/* gave up: start at its peak, clamped to the max */
	h.last_outcome = KVMMIG_OUTCOME_CANCELLED;
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 80U);
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, 70), 70U);
	h.last_outcome = KVMMIG_OUTCOME_FAILED;
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 80U);

	/* converged unstunned: no stun */
	h.last_outcome = KVMMIG_OUTCOME_CONVERGED;
	h.last_throttle_pct = 0;
	h.max_throttle_pct = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 0U);

	/* a record that says nothing happened seeds nothing */
	h.last_outcome = KVMMIG_OUTCOME_NONE;
	h.last_throttle_pct = 60;
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 0U);
	h.last_outcome = KVMMIG_OUTCOME_CONVERGED;
	h.migrations = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 0U);
}

static void end_folds_into_history(struct kunit *test)
{
	struct kvmmig_history h;
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	kvmmig_history_init(&h);
	h.migrations = 4;
	start(&c);
	round_of(&c, 20000, 10000, 100000);	/* 75 */
	round_of(&c, 1000, 10000, 50000);	/* decay to 65 */
	kvmmig_throttle_ctl_end(&c, &h, KVMMIG_OUTCOME_CONVERGED, 12345, &d);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_END);
	KUNIT_EXPECT_EQ(test, d.old_pct, 65U);
	KUNIT_EXPECT_EQ(test, d.new_pct, 0U);
	KUNIT_EXPECT_EQ(test, c.pct, 0U);
	KUNIT_EXPECT_EQ(test, h.migrations, 5ULL);
	KUNIT_EXPECT_EQ(test, h.last_outcome, (u32)KVMMIG_OUTCOME_CONVERGED);
	KUNIT_EXPECT_EQ(test, h.last_rounds, 2ULL);
	KUNIT_EXPECT_EQ(test, h.last_dirty_rate, 10000ULL);
	KUNIT_EXPECT_EQ(test, h.last_send_rate, 100000ULL);
	KUNIT_EXPECT_EQ(test, h.last_throttle_pct, 65U);
	KUNIT_EXPECT_EQ(test, h.max_throttle_pct, 75U);
	KUNIT_EXPECT_EQ(test, h.last_downtime_ns, 12345ULL);
	KUNIT_EXPECT_EQ(test, h.version, (u32)KVMMIG_HISTORY_VERSION);

	/* the next migration starts at the share this one needed */
	kvmmig_throttle_ctl_start(&c, &h, MAX_PCT, &d);
	KUNIT_EXPECT_EQ(test, d.new_pct, 75U);
	KUNIT_EXPECT_EQ(test, d.reason, (u32)KVMMIG_THROTTLE_HISTORY);
}

static void end_without_rounds(struct kunit *test)
{
	struct kvmmig_history h;
	struct kvmmig_throttle_ctl c;
	struct kvmmig_throttle_decision d;

	kvmmig_history_init(&h);
	start(&c);
	kvmmig_throttle_ctl_fixed(&c, 30, &d);
	kvmmig_throttle_ctl_end(&c, &h, KVMMIG_OUTCOME_FAILED, 0, &d);
	KUNIT_EXPECT_EQ(test, h.migrations, 1ULL);
	KUNIT_EXPECT_EQ(test, h.last_rounds, 0ULL);
	KUNIT_EXPECT_EQ(test, h.last_dirty_rate, 0ULL);
	KUNIT_EXPECT_EQ(test, h.last_throttle_pct, 30U);
	KUNIT_EXPECT_EQ(test, h.max_throttle_pct, 30U);
	KUNIT_EXPECT_EQ(test, h.last_outcome, (u32)KVMMIG_OUTCOME_FAILED);
	/* failed at 30: next time from 30 */
	KUNIT_EXPECT_EQ(test, kvmmig_throttle_seed(&h, MAX_PCT), 30U);
}

/* A guest dirtying 4x what is sent converges under the controller. */
static void closed_loop_converges(struct kunit *test)
{
	struct kvmmig_throttle_ctl c;
	u64 remaining = 50000, sent = 10000, d0 = 40000;
	int i;

	start(&c);
	for (i = 0; i < 30 && remaining > sent; i++) {
		u64 dirty = d0 * (100 - c.pct) / 100;

		remaining = remaining - min(remaining, sent) + dirty;
		round_of(&c, dirty, sent, remaining);
	}
	KUNIT_EXPECT_LT(test, i, 30);
	KUNIT_EXPECT_GT(test, c.max_pct, 0U);
	KUNIT_EXPECT_LE(test, c.max_pct, (u32)MAX_PCT);
}

/* MIGRATION's argument check: one operation, its inputs and no others. */
static void migration_checks(struct kunit *test)
{
	struct kvmmig_migration a = { .size = sizeof(a),
				      .flags = KVMMIG_MIGRATION_START }, b;
	int i;

	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&a, 90), 0);
	b = a; b.flags |= KVMMIG_MIGRATION_NO_HISTORY;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b = a; b.flags |= KVMMIG_MIGRATION_FIXED; b.throttle_pct = 90;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.throttle_pct = 91;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	/* throttle_pct is an input only with FIXED */
	b = a; b.throttle_pct = 10;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);

	b = a; b.flags = KVMMIG_MIGRATION_ROUND; b.round_ns = 1000;
	b.dirty_pages = 5; b.sent_pages = 6; b.remaining_pages = 7;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.round_ns = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.flags = KVMMIG_MIGRATION_ROUND | KVMMIG_MIGRATION_NO_HISTORY;
	b.round_ns = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	/* round data belongs to ROUND only */
	b = a; b.sent_pages = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);

	b = a; b.flags = KVMMIG_MIGRATION_END;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b.outcome = KVMMIG_OUTCOME_CONVERGED; b.downtime_ns = 5;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.outcome = KVMMIG_OUTCOME_CANCELLED + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b.outcome = KVMMIG_OUTCOME_FAILED; b.flags |= KVMMIG_MIGRATION_FIXED;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.outcome = KVMMIG_OUTCOME_FAILED;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);

	b = a; b.flags = KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_END;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.flags = KVMMIG_MIGRATION_FIXED;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		b = a; b.reserved[i] = 1;
		KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	}

	/* the vCPU shares: a bounded capacity, with a buffer */
	b = a; b.nr_vcpus = KVMMIG_MIGRATION_MAX_VCPUS; b.vcpu_shares_ptr = 64;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	b.nr_vcpus++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b.nr_vcpus = U32_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.nr_vcpus = 2;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), -EINVAL);
	b = a; b.vcpu_shares_ptr = 64;	/* no capacity: nothing written */
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
	/* an output: ignored on input */
	b = a; b.share_scope = 7;
	KUNIT_EXPECT_EQ(test, kvmmig_check_migration(&b, 90), 0);
}

/* Shares @s applied to @r cut at least what every vCPU at @pct would. */
static void expect_cut(struct kunit *test, const u64 *r, const u32 *s, u32 n,
		       u32 pct)
{
	u64 cut = 0, all = 0;
	u32 i;

	/* rates below 2^32 and n below 2^12: no overflow */
	for (i = 0; i < n; i++) {
		cut += r[i] * s[i];
		all += r[i] * pct;
	}
	KUNIT_EXPECT_GE(test, cut, all);
}

/* Nobody dirtied, no vCPU, too many: nothing to split by. */
static void split_nothing_to_split_by(struct kunit *test)
{
	u64 r[3] = { 0, 0, 0 };
	u32 s[3] = { 7, 7, 7 };

	KUNIT_EXPECT_FALSE(test, kvmmig_stun_split(r, 3, 50, MAX_PCT, s));
	KUNIT_EXPECT_FALSE(test, kvmmig_stun_split(r, 0, 50, MAX_PCT, s));
	r[1] = 5;
	KUNIT_EXPECT_FALSE(test, kvmmig_stun_split(r, KVMMIG_STUN_SPLIT_MAX + 1,
						   50, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], 7U);
	KUNIT_EXPECT_EQ(test, s[1], 7U);
	KUNIT_EXPECT_EQ(test, s[2], 7U);
	/* share 0: every vCPU 0 */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 3, 0, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0] + s[1] + s[2], 0U);
}

/* One vCPU sleeps the VM-wide share, capped at the max. */
static void split_one_vcpu(struct kunit *test)
{
	u64 r[1];
	u32 s[1], pct;

	for (pct = 0; pct <= 100; pct++) {
		r[0] = 1;
		KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 1, pct, MAX_PCT, s));
		KUNIT_EXPECT_EQ(test, s[0], min_t(u32, pct, MAX_PCT));
		r[0] = 123456789012ULL;
		KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 1, pct, MAX_PCT, s));
		KUNIT_EXPECT_EQ(test, s[0], min_t(u32, pct, MAX_PCT));
	}
}

/* Equal rates: every vCPU sleeps the VM-wide share, as without a split. */
static void split_all_equal(struct kunit *test)
{
	u64 r[5] = { 777, 777, 777, 777, 777 };
	u64 h[2] = { U64_MAX, U64_MAX };
	u32 s[5], pct, i;

	for (pct = 0; pct <= MAX_PCT; pct++) {
		KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 5, pct, MAX_PCT, s));
		for (i = 0; i < 5; i++)
			KUNIT_EXPECT_EQ(test, s[i], pct);
		KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(h, 2, pct, MAX_PCT, s));
		KUNIT_EXPECT_EQ(test, s[0], pct);
		KUNIT_EXPECT_EQ(test, s[1], pct);
	}
}

/* A writer among readers sleeps the share alone; the readers 0. */
static void split_reader_not_stunned(struct kunit *test)
{
	u64 r[4] = { 0, 5000, 0, 0 };
	u32 s[4];

	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 4, 50, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], 0U);
	KUNIT_EXPECT_EQ(test, s[1], 50U);
	KUNIT_EXPECT_EQ(test, s[2], 0U);
	KUNIT_EXPECT_EQ(test, s[3], 0U);
	/* at the max share too: a reader still 0 */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 4, MAX_PCT, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], 0U);
	KUNIT_EXPECT_EQ(test, s[1], (u32)MAX_PCT);
}

/* The heaviest dirtier first: a small cut comes from it alone. */
static void split_heaviest_first(struct kunit *test)
{
	u64 r[3] = { 1000, 100, 10 };
	u32 s[3];

	/* a cut of 10% of 1110 = 111: 12% of the first (11% is 110) */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 3, 10, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], 12U);
	KUNIT_EXPECT_EQ(test, s[1], 0U);
	KUNIT_EXPECT_EQ(test, s[2], 0U);
	expect_cut(test, r, s, 3, 10);
	/* 50%: 555 to cut; the first capped at 90 gives 900 */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 3, 50, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], 56U);
	KUNIT_EXPECT_EQ(test, s[1], 0U);
	KUNIT_EXPECT_EQ(test, s[2], 0U);
	expect_cut(test, r, s, 3, 50);
}

/* The cap reached: the rest of the cut comes from the next dirtiers. */
static void split_cap_reached(struct kunit *test)
{
	u64 r[3] = { 100, 10, 0 };
	u32 s[3];

	/* 85% of 110 = 93.5: 90 from the first, 3.5 of the second's 10 */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 3, 85, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], (u32)MAX_PCT);
	KUNIT_EXPECT_EQ(test, s[1], 35U);
	KUNIT_EXPECT_EQ(test, s[2], 0U);
	expect_cut(test, r, s, 3, 85);
	/* the VM-wide share at the max: every dirtier at the max */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 3, 95, MAX_PCT, s));
	KUNIT_EXPECT_EQ(test, s[0], (u32)MAX_PCT);
	KUNIT_EXPECT_EQ(test, s[1], (u32)MAX_PCT);
	KUNIT_EXPECT_EQ(test, s[2], 0U);
	/* a max of 0: nobody */
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 3, 50, 0, s));
	KUNIT_EXPECT_EQ(test, s[0] + s[1] + s[2], 0U);
}

/* Rates near 2^64 and tiny ones: ratios kept, nothing overflows. */
static void split_huge_rates(struct kunit *test)
{
	u64 r[4] = { U64_MAX, U64_MAX / 2, 1, 0 };
	u32 s[4];

	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, 4, 30, MAX_PCT, s));
	KUNIT_EXPECT_GT(test, s[0], s[1]);
	KUNIT_EXPECT_LE(test, s[0], (u32)MAX_PCT);
	KUNIT_EXPECT_EQ(test, s[2], 0U);
	KUNIT_EXPECT_EQ(test, s[3], 0U);
	/* 30% of 1.5: the first alone, 45% of it */
	KUNIT_EXPECT_EQ(test, s[0], 45U);
	KUNIT_EXPECT_EQ(test, s[1], 0U);
}

/* The most vCPUs split: every one gets the share when all are equal. */
static void split_bounded_n(struct kunit *test)
{
	u32 n = KVMMIG_STUN_SPLIT_MAX, i, bad = 0;
	u64 *r = kunit_kcalloc(test, n + 1, sizeof(*r), GFP_KERNEL);
	u32 *s = kunit_kcalloc(test, n + 1, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i <= n; i++)
		r[i] = U32_MAX;
	KUNIT_EXPECT_TRUE(test, kvmmig_stun_split(r, n, 40, MAX_PCT, s));
	for (i = 0; i < n; i++)
		bad += s[i] != 40;
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_EQ(test, s[n], 0U);
	KUNIT_EXPECT_FALSE(test, kvmmig_stun_split(r, n + 1, 40, MAX_PCT, s));
}

/*
 * Synthetic VMs: the cut at least the VM-wide one, heavier dirtiers never
 * stunned less, idle vCPUs never, no share above the max.
 */
static void split_properties(struct kunit *test)
{
	u64 r[16], seed = 12345;
	u32 s[16], n, pct, i, j, iter;

	for (iter = 0; iter < 200; iter++) {
		n = 1 + iter % 16;
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			r[i] = (seed >> 33) % 4 ? (seed >> 40) & 0xffffff : 0;
		}
		r[iter % n] |= 1;	/* someone dirtied */
		pct = iter % (MAX_PCT + 1);
		KUNIT_ASSERT_TRUE(test, kvmmig_stun_split(r, n, pct, MAX_PCT, s));
		expect_cut(test, r, s, n, pct);
		for (i = 0; i < n; i++) {
			KUNIT_EXPECT_LE(test, s[i], (u32)MAX_PCT);
			if (!r[i])
				KUNIT_EXPECT_EQ(test, s[i], 0U);
			for (j = 0; j < n; j++)
				if (r[i] > r[j])
					KUNIT_EXPECT_GE(test, s[i], s[j]);
		}
	}
}

/* The unstunned estimate of a vCPU's dirtying. */
static void unstunned_estimate(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(100, 0), 100ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(10, 90), 100ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(0, 90), 0ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(1, 100), 100ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(1, U32_MAX), 100ULL);
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(U32_MAX, 99),
			(u64)U32_MAX * 100);
	KUNIT_EXPECT_EQ(test, kvmmig_stun_unstunned(U64_MAX, 0), U64_MAX);
}

/* HISTORY: GET checks the reserved fields, SET the record as well. */
static void history_checks(struct kunit *test)
{
	struct kvmmig_history a = {
		.size = sizeof(a), .version = KVMMIG_HISTORY_VERSION,
		.last_outcome = KVMMIG_OUTCOME_CONVERGED, .migrations = 3,
		.last_throttle_pct = 40, .max_throttle_pct = 60,
	}, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&a, true), 0);
	/* GET needs reserved zero: the rest is output */
	b = a; b.version = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, false), -EINVAL);
	b = a; b.version = KVMMIG_HISTORY_VERSION + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.last_outcome = KVMMIG_OUTCOME_CANCELLED + 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.max_throttle_pct = 101; b.last_throttle_pct = 101;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.last_throttle_pct = 70;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), -EINVAL);
	b = a; b.last_throttle_pct = 100; b.max_throttle_pct = 100;
	KUNIT_EXPECT_EQ(test, kvmmig_check_history(&b, true), 0);
}

static struct kunit_case throttle_cases[] = {
	KUNIT_CASE(no_throttle_when_dirty_low),
	KUNIT_CASE(hold_between_low_and_target),
	KUNIT_CASE(rises_when_dirty_high),
	KUNIT_CASE(rise_accounts_for_current_stun),
	KUNIT_CASE(rise_at_least_a_step),
	KUNIT_CASE(unproductive_bumps),
	KUNIT_CASE(unproductive_in_hold_band_rises),
	KUNIT_CASE(nothing_sent_is_unproductive),
	KUNIT_CASE(decays_when_low),
	KUNIT_CASE(decay_held_when_unproductive),
	KUNIT_CASE(clamps_at_max),
	KUNIT_CASE(huge_counts_do_not_overflow),
	KUNIT_CASE(fixed_overrides),
	KUNIT_CASE(history_seeding),
	KUNIT_CASE(end_folds_into_history),
	KUNIT_CASE(end_without_rounds),
	KUNIT_CASE(closed_loop_converges),
	KUNIT_CASE(migration_checks),
	KUNIT_CASE(history_checks),
	KUNIT_CASE(split_nothing_to_split_by),
	KUNIT_CASE(split_one_vcpu),
	KUNIT_CASE(split_all_equal),
	KUNIT_CASE(split_reader_not_stunned),
	KUNIT_CASE(split_heaviest_first),
	KUNIT_CASE(split_cap_reached),
	KUNIT_CASE(split_huge_rates),
	KUNIT_CASE(split_bounded_n),
	KUNIT_CASE(split_properties),
	KUNIT_CASE(unstunned_estimate),
	{}
};

struct kunit_suite kvmmig_throttle_suite = {
	.name = "kvmmig_throttle",
	.test_cases = throttle_cases,
};
