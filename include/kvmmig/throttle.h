/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vCPU throttling, pure logic: the controller that turns what a
 * VMM reports about each pre-copy round into the share of each slice the
 * vCPUs sleep, seeded from and folded into the VM's migration history.
 * Nothing here knows about vCPUs, tasks or locks (sched/throttle.c does,
 * and serialises every call on one controller).
 */
#ifndef _KVMMIG_THROTTLE_H
#define _KVMMIG_THROTTLE_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

/*
 * The controller keeps the dirty rate under this share (percent) of the
 * send rate, so that each round's dirty set is smaller than the last.
 */
#define KVMMIG_THROTTLE_TARGET_PCT	50
/* Below half the target, the dirty rate is comfortably low: decay. */
#define KVMMIG_THROTTLE_LOW_PCT		(KVMMIG_THROTTLE_TARGET_PCT / 2)
/* The least a rising stun share moves by. */
#define KVMMIG_THROTTLE_STEP_PCT	10
/* Extra share after a round that did not shrink what is left to send. */
#define KVMMIG_THROTTLE_BUMP_PCT	10
/* What a decay gives back per round. */
#define KVMMIG_THROTTLE_DECAY_PCT	10

/**
 * enum kvmmig_throttle_reason - why the controller chose a stun share
 * @KVMMIG_THROTTLE_START: START without a history that asks for stunning
 * @KVMMIG_THROTTLE_HISTORY: START seeded from the history
 * @KVMMIG_THROTTLE_FIXED: the VMM set the share (KVMMIG_MIGRATION_FIXED)
 * @KVMMIG_THROTTLE_RISE: the dirty rate is above the target share of the
 *	send rate
 * @KVMMIG_THROTTLE_UNPRODUCTIVE: as RISE, and the round did not shrink
 *	what is left to send (or sent nothing)
 * @KVMMIG_THROTTLE_HOLD: the dirty rate is between low and the target
 * @KVMMIG_THROTTLE_DECAY: the dirty rate is comfortably low
 * @KVMMIG_THROTTLE_END: the migration ended, stunning stops
 * @KVMMIG_THROTTLE_STOP: detach or the VMM's exit stopped it
 */
enum kvmmig_throttle_reason {
	KVMMIG_THROTTLE_START,
	KVMMIG_THROTTLE_HISTORY,
	KVMMIG_THROTTLE_FIXED,
	KVMMIG_THROTTLE_RISE,
	KVMMIG_THROTTLE_UNPRODUCTIVE,
	KVMMIG_THROTTLE_HOLD,
	KVMMIG_THROTTLE_DECAY,
	KVMMIG_THROTTLE_END,
	KVMMIG_THROTTLE_STOP,
};

/**
 * struct kvmmig_throttle_round - what the VMM reports about one round
 * @dirty_pages: pages dirtied during the round
 * @sent_pages: pages sent during the round
 * @round_ns: the round's length, > 0
 * @remaining_pages: pages left to send
 */
struct kvmmig_throttle_round {
	u64 dirty_pages;
	u64 sent_pages;
	u64 round_ns;
	u64 remaining_pages;
};

/**
 * struct kvmmig_throttle_ctl - the controller of one migration
 * @pct: the stun share now, 0..the max passed to each call
 * @max_pct: the highest share of this migration
 * @rounds: rounds reported
 * @dirty_rate: pages per second dirtied in the last round
 * @send_rate: pages per second sent in the last round
 * @remaining: pages left after the last round (valid once @rounds > 0)
 */
struct kvmmig_throttle_ctl {
	u32 pct;
	u32 max_pct;
	u64 rounds;
	u64 dirty_rate;
	u64 send_rate;
	u64 remaining;
};

/**
 * struct kvmmig_throttle_decision - one step of the controller
 * @old_pct: share before
 * @new_pct: share after
 * @reason: why, enum kvmmig_throttle_reason
 */
struct kvmmig_throttle_decision {
	u32 old_pct;
	u32 new_pct;
	u32 reason;
};

u32 kvmmig_throttle_seed(const struct kvmmig_history *h, u32 max_pct);
void kvmmig_throttle_ctl_start(struct kvmmig_throttle_ctl *c,
			       const struct kvmmig_history *h, u32 max_pct,
			       struct kvmmig_throttle_decision *d);
void kvmmig_throttle_ctl_fixed(struct kvmmig_throttle_ctl *c, u32 pct,
			       struct kvmmig_throttle_decision *d);
void kvmmig_throttle_ctl_round(struct kvmmig_throttle_ctl *c,
			       const struct kvmmig_throttle_round *r,
			       bool fixed, u32 fixed_pct, u32 max_pct,
			       struct kvmmig_throttle_decision *d);
void kvmmig_throttle_ctl_end(struct kvmmig_throttle_ctl *c,
			     struct kvmmig_history *h, u32 outcome,
			     u64 downtime_ns, struct kvmmig_throttle_decision *d);
/* The most vCPUs kvmmig_stun_split() splits a share among. */
#define KVMMIG_STUN_SPLIT_MAX	KVMMIG_MIGRATION_MAX_VCPUS

u64 kvmmig_stun_unstunned(u64 count, u32 pct);
bool kvmmig_stun_split(const u64 *rates, u32 n, u32 pct, u32 max_pct,
		       u32 *shares);
int kvmmig_check_migration(const struct kvmmig_migration *a, u32 max_pct);
int kvmmig_check_history(const struct kvmmig_history *a, bool set);
void kvmmig_history_init(struct kvmmig_history *h);

/* The kernel side: sched/throttle.c, sched/stun_entry.S */
struct kvmmig_session;
struct callback_head;

#define kvmmig_throttle(s) \
	((struct kvmmig_throttle *)(s)->priv[KVMMIG_FEAT_THROTTLE])

/* The stun task work: entry in sched/stun_entry.S, body in sched/throttle.c. */
void kvmmig_stun_entry(struct callback_head *cb);
void kvmmig_stun_body(struct callback_head *cb);

#endif /* _KVMMIG_THROTTLE_H */
