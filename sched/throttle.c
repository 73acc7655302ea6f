// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU throttling, "stun during page send", and the migration
 * control and history ioctls that drive it.
 *
 * The controller (sched/throttle_logic.c) turns each pre-copy round the VMM
 * reports into a stun share p.  On a VM with a dirty ring, a ROUND then
 * splits p per vCPU from each vCPU's ring entries over the round
 * (kvmmig_stun_split(): the heaviest dirtiers sleep, a vCPU that dirtied
 * nothing does not); otherwise every vCPU's share is p.  While p > 0 a
 * per-session slice driver (a delayed work, one run per throttle_slice_ms)
 * queues a task work on the thread of each vCPU whose share is not 0 with
 * task_work_add(TWA_RESUME) and kicks the vCPU: KVM runs
 * task works on the vCPU thread before it re-enters the guest
 * (xfer_to_guest_mode_handle_work(), inside KVM_RUN, the vCPU loaded and
 * its SRCU dropped), and the work sleeps the vCPU's share of the slice
 * there, interruptibly (a signal to the vCPU thread ends the sleep; a
 * fatal one skips it).
 *
 * Only there: a TWA_RESUME work also runs on any return to user space.  A
 * VMM's vCPU thread returning from another system call may hold the VMM's
 * locks (QEMU's big lock, around everything but KVM_RUN), and a sleep
 * there would stall every thread that waits for them, the migration
 * thread included.  So a stun sleeps only when the vCPU it was queued for
 * is the one KVM has loaded on this CPU (kvm_get_running_vcpu()): inside
 * that vCPU's KVM_RUN, on the way into the guest.  Anywhere else it does
 * nothing, and the next slice queues it again.  That also gives a thread
 * that runs several vCPUs one stun per slice, not one per vCPU back to
 * back: only the vCPU it is running is stunned.  A VM whose vCPUs no
 * thread runs any more (the VMM closed it) is stunned by nobody.
 *
 * Lifetime of a queued stun (struct kvmmig_stun, one per vCPU index):
 * task_work_cancel() is not exported, and a work queued on a halted vCPU
 * runs only when the vCPU next resumes or its thread exits.  So a queued
 * stun holds a session reference (its memory lives in the session's
 * throttle state, freed with the session) and a module reference: while
 * any stun is queued, rmmod is refused (-EWOULDBLOCK).  The stun drops both
 * as its last acts, the module reference by a jump to module_put() from
 * its assembly entry (sched/stun_entry.S), so that no instruction of the
 * module runs after it.  If task_work_add() fails (the thread is exiting),
 * the references are dropped at once.  A stun that runs after stunning
 * stopped (END, detach, the VMM's exit) just returns.  A stun never
 * dereferences the VM or the vCPU: it may run from the thread's exit,
 * after the VM is gone; it only compares the vCPU's address with the one
 * KVM has loaded.
 *
 * Locking (outermost first):
 *   throttle->lock (mutex): migration state, controller and history; taken
 *     alone by the ioctls and by kvmmig_throttle_stop(), held across
 *     cancel_delayed_work_sync() of the slice driver.
 *   The slice driver takes no lock: it reads @active, walks the vCPUs
 *     (xarray, RCU) and vcpu->pid under rcu_read_lock().
 *   The stun work takes no lock: @pct, @per_vcpu, @vcpu_pct[], @active and
 *     @slice_ns are READ_ONCE (a stun that reads a share of the round
 *     before sleeps one slice at it).
 *   kvmmig_throttle_mm_released() (mmu_notifier .release) takes no lock and
 *     does not wait: it clears @active and cancels the driver without sync;
 *     a driver run already under way sees @active clear and stops re-arming,
 *     and detach waits for it (the VM is held until then).
 */
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <kvmmig/core.h>
#include <kvmmig/dirty_rate.h>
#include <kvmmig/throttle.h>
#include <kvmmig/ioctl.h>

#define CREATE_TRACE_POINTS
#include "throttle_trace.h"

/* Counters of the feature in the stats fd */
enum kvmmig_throttle_stat {
	KVMMIG_STAT_MIGRATIONS,
	KVMMIG_STAT_THROTTLE_PCT,
	KVMMIG_STAT_THROTTLE_DECISIONS,
	KVMMIG_STAT_STUN_SLICES,
	KVMMIG_STAT_STUN_NS,
	KVMMIG_STAT_STUN_SKIPPED,
	KVMMIG_STAT_STUN_VCPUS,
};

static struct kvmmig_param_uint throttle_max_pct = {
	.val = 90, .min = 0, .max = 99,
};
module_param_cb(throttle_max_pct, &kvmmig_param_uint_ops, &throttle_max_pct,
		0644);
MODULE_PARM_DESC(throttle_max_pct,
		 "Largest share of each slice a vCPU is made to sleep, in percent [0..99, default 90]");

static struct kvmmig_param_uint throttle_slice_ms = {
	.val = 20, .min = 1, .max = 200,
};
module_param_cb(throttle_slice_ms, &kvmmig_param_uint_ops, &throttle_slice_ms,
		0644);
MODULE_PARM_DESC(throttle_slice_ms,
		 "Length of one stun slice in ms (rounded up to a jiffy) [1..200, default 20]");

/**
 * struct kvmmig_stun - the task work that stuns one vCPU thread
 * @cb: the task work
 * @s: the session; referenced while @cb is queued
 * @vcpu: the vCPU stunned: compared with kvm_get_running_vcpu(), never
 *	dereferenced
 * @idx: the vCPU's index: its share is @vcpu_pct[@idx] of the throttle
 * @pending: @cb is queued (at most one stun per vCPU)
 * @last_end: ktime_get_ns() when this vCPU's last stun ended (0: never);
 *	only the stun itself, on the vCPU thread, reads and writes it
 */
struct kvmmig_stun {
	struct callback_head cb;
	struct kvmmig_session *s;
	struct kvm_vcpu *vcpu;
	unsigned long idx;
	atomic_t pending;
	u64 last_end;
};

/**
 * struct kvmmig_throttle - a session's migration control and vCPU stun
 * @s: the session (it outlives the driver: stop waits for the driver)
 * @lock: serialises the ioctls and stop; protects @running, @ctl, @hist
 * @driver: the slice driver: queues a stun on every vCPU once per slice
 * @stuns: struct kvmmig_stun by vCPU index, written by the driver only,
 *	freed with the session
 * @ctl: the controller of the current (or last) migration
 * @hist: the VM's migration history
 * @running: a migration is between START and END
 * @active: the driver runs (@pct > 0); cleared without @lock by the VMM's
 *	exit
 * @stopped: the VMM's address space is gone or the session detached:
 *	never stun again
 * @per_vcpu: each vCPU sleeps its own share, @vcpu_pct[its index];
 *	else every vCPU sleeps @pct
 * @pct: the VM-wide stun share (the controller's, or FIXED)
 * @slice_ns: the driver's period, as the stuns see it
 * @vcpu_pct: KVM_MAX_VCPUS shares by vCPU index, valid with @per_vcpu;
 *	written under @lock, read by the driver and the stuns
 * @nr_vcpu_pct: entries of @vcpu_pct that may be non-zero
 * @ring_start: each vCPU's dirty ring index at the start of the round
 *	(START or the last ROUND), @nr_ring entries; NULL without a ring
 * @nr_ring: entries of @ring_start
 */
struct kvmmig_throttle {
	struct kvmmig_session *s;
	struct mutex lock;	/* see above */
	struct delayed_work driver;
	struct xarray stuns;
	struct kvmmig_throttle_ctl ctl;
	struct kvmmig_history hist;
	bool running;
	bool active;
	bool stopped;
	bool per_vcpu;
	u32 pct;
	u64 slice_ns;
	u8 *vcpu_pct;
	u32 nr_vcpu_pct;
	u32 *ring_start;
	u32 nr_ring;
};

static u32 kvmmig_throttle_max_pct(void)
{
	return READ_ONCE(throttle_max_pct.val);
}

/* The driver's period in jiffies, and the slice the stuns divide. */
static unsigned long kvmmig_slice_jiffies(void)
{
	return max(msecs_to_jiffies(READ_ONCE(throttle_slice_ms.val)), 1UL);
}

/* The share vCPU @idx sleeps now (without the max tunable's cap). */
static u32 kvmmig_stun_pct(struct kvmmig_throttle *th, unsigned long idx)
{
	/* pairs with kvmmig_throttle_apply(): the shares before the switch */
	if (smp_load_acquire(&th->per_vcpu))
		return idx < KVM_MAX_VCPUS ? READ_ONCE(th->vcpu_pct[idx]) : 0;
	return READ_ONCE(th->pct);
}

/*
 * How long to sleep at share @pct (1..99): @pct of the slice, or, when the
 * vCPU's last stun ended less than two slices ago, the time it has run
 * since times @pct / (100 - @pct), so that the share holds over wall time
 * when the driver's slices come late or a slice was skipped.  Bounded by
 * twice @pct of the slice.
 */
static u64 kvmmig_stun_ns(u64 slice_ns, u32 pct, u64 last_end, u64 now)
{
	u64 nominal = div_u64(slice_ns * pct, 100);
	u64 ran = now - last_end;

	if (!last_end || now < last_end || ran >= 2 * slice_ns)
		return nominal;
	return min(div_u64(ran * pct, 100 - pct), 2 * nominal);
}

/**
 * kvmmig_stun_body() - the stun, on the vCPU thread, from task_work_run()
 * @cb: the stun's task work
 *
 * Called by kvmmig_stun_entry() (sched/stun_entry.S), which then drops the
 * module reference the queued stun held.
 */
void kvmmig_stun_body(struct callback_head *cb)
{
	struct kvmmig_stun *stun = container_of(cb, struct kvmmig_stun, cb);
	struct kvmmig_session *s = stun->s;
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	u32 pct = min(kvmmig_stun_pct(th, stun->idx), kvmmig_throttle_max_pct());

	/* inside this vCPU's KVM_RUN only: see the file comment */
	if (READ_ONCE(th->active) && !READ_ONCE(th->stopped) && pct &&
	    kvm_get_running_vcpu() == stun->vcpu &&
	    !fatal_signal_pending(current)) {
		u64 start = ktime_get_ns(), end;
		ktime_t t = ns_to_ktime(kvmmig_stun_ns(READ_ONCE(th->slice_ns),
						       pct, stun->last_end,
						       start));

		set_current_state(TASK_INTERRUPTIBLE);
		schedule_hrtimeout(&t, HRTIMER_MODE_REL);
		end = ktime_get_ns();
		stun->last_end = end;
		kvmmig_stat_add(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_STUN_SLICES, 1);
		kvmmig_stat_add(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_STUN_NS, end - start);
		trace_kvmmig_stun(s->id, stun->idx, pct, end - start);
	}
	/* @stun may be queued again from here; it is not touched after */
	atomic_set_release(&stun->pending, 0);
	kvmmig_session_put(s);
}

static struct kvmmig_stun *kvmmig_stun_get(struct kvmmig_session *s,
					   unsigned long idx,
					   struct kvm_vcpu *vcpu)
{
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	struct kvmmig_stun *stun = xa_load(&th->stuns, idx);

	if (stun)
		return stun;
	stun = kzalloc(sizeof(*stun), GFP_KERNEL_ACCOUNT);
	if (!stun)
		return NULL;
	stun->s = s;
	stun->vcpu = vcpu;
	stun->idx = idx;
	if (xa_err(xa_store(&th->stuns, idx, stun, GFP_KERNEL_ACCOUNT))) {
		kfree(stun);
		return NULL;
	}
	return stun;
}

/* Queue a stun on @vcpu's thread unless one is queued already. */
static void kvmmig_stun_arm(struct kvmmig_session *s, unsigned long idx,
			    struct kvm_vcpu *vcpu)
{
	struct kvmmig_stun *stun = kvmmig_stun_get(s, idx, vcpu);
	struct task_struct *task;

	if (!stun || atomic_xchg(&stun->pending, 1))
		return;
	rcu_read_lock();
	task = get_pid_task(rcu_dereference(vcpu->pid), PIDTYPE_PID);
	rcu_read_unlock();
	if (!task) {		/* never ran */
		atomic_set(&stun->pending, 0);
		return;
	}
	kref_get(&s->kref);
	__module_get(THIS_MODULE);
	init_task_work(&stun->cb, kvmmig_stun_entry);
	if (task_work_add(task, &stun->cb, TWA_RESUME)) {
		/* exiting: the session file still holds @s */
		atomic_set(&stun->pending, 0);
		kvmmig_session_put(s);
		module_put(THIS_MODULE);
	} else {
		kvm_vcpu_kick(vcpu);
	}
	put_task_struct(task);
}

static void kvmmig_throttle_halt(struct kvmmig_session *s);

static void kvmmig_throttle_drive(struct work_struct *work)
{
	struct kvmmig_throttle *th = container_of(to_delayed_work(work),
						  struct kvmmig_throttle, driver);
	struct kvmmig_session *s;
	struct kvm_vcpu *vcpu;
	unsigned long i, period;

	/*
	 * @stopped too: the VMM's exit sets it without th->lock, so an apply
	 * racing with it may still have set @active after it.
	 */
	if (!READ_ONCE(th->active) || READ_ONCE(th->stopped))
		return;
	s = th->s;
	/* KVM_BUG() marked the VM dead: no vCPU will run again */
	if (READ_ONCE(s->kvm->vm_dead)) {
		kvmmig_throttle_halt(s);
		return;
	}
	period = kvmmig_slice_jiffies();
	WRITE_ONCE(th->slice_ns, jiffies_to_nsecs(period));
	/* O(vCPUs): a thread with several vCPUs is sorted out by the stuns */
	kvm_for_each_vcpu(i, vcpu, s->kvm) {
		if (!kvmmig_stun_pct(th, i)) {
			kvmmig_stat_add(s, KVMMIG_FEAT_THROTTLE,
					KVMMIG_STAT_STUN_SKIPPED, 1);
			continue;
		}
		kvmmig_stun_arm(s, i, vcpu);
	}
	if (READ_ONCE(th->active))
		queue_delayed_work(system_highpri_wq, &th->driver, period);
}

/*
 * Start or stop the driver for share @pct, split per vCPU as @shares (@n
 * entries by vCPU index; NULL: every vCPU sleeps @pct); under th->lock.
 */
static void kvmmig_throttle_apply(struct kvmmig_session *s, u32 pct,
				  const u32 *shares, u32 n)
{
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	u32 i, stunned = 0;

	if (READ_ONCE(th->stopped)) {
		pct = 0;
		shares = NULL;
	}
	n = min_t(u32, n, KVM_MAX_VCPUS);
	if (shares) {
		for (i = 0; i < max(n, th->nr_vcpu_pct); i++) {
			u32 v = i < n ? min(shares[i], 99U) : 0;

			WRITE_ONCE(th->vcpu_pct[i], v);
			stunned += !!v;
		}
		th->nr_vcpu_pct = n;
		/* the shares before the switch: see kvmmig_stun_pct() */
		smp_store_release(&th->per_vcpu, true);
	} else {
		WRITE_ONCE(th->per_vcpu, false);
		if (pct)
			stunned = atomic_read(&s->kvm->online_vcpus);
	}
	WRITE_ONCE(th->pct, pct);
	kvmmig_stat_set(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_THROTTLE_PCT, pct);
	kvmmig_stat_set(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_STUN_VCPUS, stunned);
	if (pct && !READ_ONCE(th->active)) {
		WRITE_ONCE(th->slice_ns, jiffies_to_nsecs(kvmmig_slice_jiffies()));
		WRITE_ONCE(th->active, true);
		queue_delayed_work(system_highpri_wq, &th->driver, 0);
	} else if (!pct && READ_ONCE(th->active)) {
		WRITE_ONCE(th->active, false);
		cancel_delayed_work_sync(&th->driver);
	}
}

static void kvmmig_throttle_decided(struct kvmmig_session *s,
				    const struct kvmmig_throttle_decision *d,
				    const u32 *shares, u32 n)
{
	struct kvmmig_throttle_ctl *c = &kvmmig_throttle(s)->ctl;

	kvmmig_stat_add(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_THROTTLE_DECISIONS, 1);
	trace_kvmmig_throttle(s->id, c->rounds, c->dirty_rate, c->send_rate,
			      d->old_pct, d->new_pct, d->reason);
	kvmmig_throttle_apply(s, d->new_pct, shares, n);
}

/**
 * kvmmig_throttle_init() - set up a session's migration control
 * @s: the session being created
 *
 * Return: 0 or -ENOMEM.
 */
static int kvmmig_throttle_init(struct kvmmig_session *s)
{
	struct kvmmig_throttle *th;

	th = kzalloc(sizeof(*th), GFP_KERNEL_ACCOUNT);
	if (!th)
		return -ENOMEM;
	th->vcpu_pct = kcalloc(KVM_MAX_VCPUS, sizeof(*th->vcpu_pct),
			       GFP_KERNEL_ACCOUNT);
	if (!th->vcpu_pct) {
		kfree(th);
		return -ENOMEM;
	}
	mutex_init(&th->lock);
	INIT_DELAYED_WORK(&th->driver, kvmmig_throttle_drive);
	xa_init(&th->stuns);
	kvmmig_history_init(&th->hist);
	th->s = s;
	s->priv[KVMMIG_FEAT_THROTTLE] = th;
	return 0;
}

/**
 * kvmmig_throttle_mm_released() - the VMM's address space is gone
 * @s: the session
 *
 * From the mmu_notifier .release: takes no lock and does not wait.  No
 * stun starts after it; stuns already queued return at once.
 */
static void kvmmig_throttle_mm_released(struct kvmmig_session *s)
{
	if (kvmmig_throttle(s))
		kvmmig_throttle_halt(s);
}

/*
 * Never stun again, without th->lock and without waiting: the VMM's mm
 * is gone, or the VM is (from the driver itself).  The decision shows in
 * the STOP traced at detach, with the controller's share.
 */
static void kvmmig_throttle_halt(struct kvmmig_session *s)
{
	struct kvmmig_throttle *th = kvmmig_throttle(s);

	WRITE_ONCE(th->stopped, true);
	WRITE_ONCE(th->active, false);
	WRITE_ONCE(th->per_vcpu, false);
	WRITE_ONCE(th->pct, 0);
	kvmmig_stat_set(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_THROTTLE_PCT, 0);
	cancel_delayed_work(&th->driver);
}

/**
 * kvmmig_throttle_stop() - detach: stop all stunning
 * @s: the session
 *
 * Returns once the slice driver is gone, so the VM may be released.  Stuns
 * still queued on halted vCPUs keep the session and the module until they
 * run, and return at once then.
 */
static void kvmmig_throttle_stop(struct kvmmig_session *s)
{
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	struct kvmmig_throttle_decision d = {
		.old_pct = 0, .new_pct = 0, .reason = KVMMIG_THROTTLE_STOP,
	};

	if (!th)
		return;
	mutex_lock(&th->lock);
	if (th->running) {
		/* the controller's share: the VMM's exit may have zeroed th->pct */
		d.old_pct = th->ctl.pct;
		th->running = false;
		th->ctl.pct = 0;
		kvmmig_stat_add(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_THROTTLE_DECISIONS, 1);
		trace_kvmmig_throttle(s->id, th->ctl.rounds, th->ctl.dirty_rate,
				      th->ctl.send_rate, d.old_pct, 0, d.reason);
	}
	WRITE_ONCE(th->stopped, true);
	kvmmig_throttle_apply(s, 0, NULL, 0);
	mutex_unlock(&th->lock);
	/* also a driver run that the VMM's exit cancelled without waiting */
	cancel_delayed_work_sync(&th->driver);
}

/**
 * kvmmig_throttle_destroy() - free a session's throttle state
 * @s: the session being freed: no stun is queued any more (each held a
 *	reference) and the driver is gone
 */
static void kvmmig_throttle_destroy(struct kvmmig_session *s)
{
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	struct kvmmig_stun *stun;
	unsigned long i;

	if (!th)
		return;
	xa_for_each(&th->stuns, i, stun)
		kfree(stun);
	xa_destroy(&th->stuns);
	mutex_destroy(&th->lock);
	kfree(th->ring_start);
	kfree(th->vcpu_pct);
	kfree(th);
	s->priv[KVMMIG_FEAT_THROTTLE] = NULL;
}

/*
 * A round's per-vCPU dirtying, from the dirty ring: each vCPU's entries
 * since @th->ring_start (START or the last ROUND), as the dirty_rate
 * feature reads them; *@next gets the next round's start.  NULL (*@nr 0)
 * when the VM has no ring or no vCPU, else ERR_PTR(-ENOMEM) or a new
 * array of *@nr counts.
 */
static u64 *kvmmig_throttle_ring_round(struct kvmmig_throttle *th, u32 *nr,
				       u32 **next)
{
	struct kvm *kvm = th->s->kvm;
	u32 n = atomic_read(&kvm->online_vcpus);
	u64 *counts;

	*nr = 0;
	*next = NULL;
	if (!kvm->dirty_ring_size || !n)
		return NULL;
	counts = kvcalloc(n, sizeof(*counts), GFP_KERNEL_ACCOUNT);
	*next = kcalloc(n, sizeof(**next), GFP_KERNEL_ACCOUNT);
	if (!counts || !*next) {
		kvfree(counts);
		kfree(*next);
		*next = NULL;
		return ERR_PTR(-ENOMEM);
	}
	kvmmig_dirty_ring_count(kvm, th->ring_start, th->nr_ring, counts, n,
				*next, n);
	*nr = n;
	return counts;
}

/* The next round's ring start, @next (@nr entries) taken over; under th->lock. */
static void kvmmig_throttle_ring_restart(struct kvmmig_throttle *th, u32 *next,
					 u32 nr)
{
	kfree(th->ring_start);
	th->ring_start = next;
	th->nr_ring = next ? nr : 0;
}

/*
 * The split of share @pct by the round's ring @counts (@n, replaced by
 * the vCPUs' unstunned estimates) into @shares; false: keep @pct VM-wide.
 */
static bool kvmmig_throttle_split(struct kvmmig_throttle *th, u64 *counts,
				  u32 n, u32 pct, u32 max_pct, u32 *shares)
{
	u32 i;

	/* the shares in force during the round: not yet replaced */
	for (i = 0; i < n; i++)
		counts[i] = kvmmig_stun_unstunned(counts[i],
						  min(kvmmig_stun_pct(th, i), max_pct));
	return kvmmig_stun_split(counts, n, pct, max_pct, shares);
}

/**
 * kvmmig_ioctl_migration() - KVMMIG_MIGRATION
 * @s: the session
 * @arg: the kernel's copy of struct kvmmig_migration
 *
 * Return: 0; -EFAULT (also for an unwritable @vcpu_shares_ptr, checked
 * first); -EINVAL for a malformed argument (see kvmmig_check_migration());
 * -EBUSY for START while a migration runs; -ENOENT for ROUND or END with
 * none running; -ENOMEM.  Nothing changes on error.
 */
static long kvmmig_ioctl_migration(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_migration *a = arg;
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	struct kvmmig_throttle_decision d;
	u32 max_pct = kvmmig_throttle_max_pct();
	u32 cap = a->nr_vcpus, *out = NULL, *shares = NULL, *next = NULL;
	u32 nr = 0, i;
	u64 *counts = NULL;
	bool fixed, split = false;
	long ret;

	ret = kvmmig_check_migration(a, max_pct);
	if (ret)
		return ret;
	fixed = a->flags & KVMMIG_MIGRATION_FIXED;
	/* the result must be writable before anything changes */
	if (cap && clear_user(u64_to_user_ptr(a->vcpu_shares_ptr),
			      (size_t)cap * sizeof(*out)))
		return -EFAULT;
	if (cap) {
		out = kvcalloc(cap, sizeof(*out), GFP_KERNEL);
		if (!out)
			return -ENOMEM;
	}

	ret = mutex_lock_killable(&th->lock);
	if (ret)
		goto out_free;
	if (a->flags & KVMMIG_MIGRATION_START) {
		if (th->running) {
			ret = -EBUSY;
			goto out_unlock;
		}
		/* the first round's window starts here */
		next = kvmmig_dirty_ring_snapshot(s->kvm, &nr);
		if (IS_ERR(next)) {
			ret = PTR_ERR(next);
			next = NULL;
			goto out_unlock;
		}
		kvmmig_throttle_ring_restart(th, next, nr);
		next = NULL;
		nr = 0;
		kvmmig_throttle_ctl_start(&th->ctl, (a->flags &
					  (KVMMIG_MIGRATION_NO_HISTORY |
					   KVMMIG_MIGRATION_FIXED)) ?
					  NULL : &th->hist, max_pct, &d);
		if (fixed)
			kvmmig_throttle_ctl_fixed(&th->ctl, a->throttle_pct, &d);
		th->running = true;
	} else if (!th->running) {
		ret = -ENOENT;
		goto out_unlock;
	} else if (a->flags & KVMMIG_MIGRATION_ROUND) {
		struct kvmmig_throttle_round r = {
			.dirty_pages = a->dirty_pages,
			.sent_pages = a->sent_pages,
			.round_ns = a->round_ns,
			.remaining_pages = a->remaining_pages,
		};

		counts = kvmmig_throttle_ring_round(th, &nr, &next);
		if (!IS_ERR_OR_NULL(counts) && !fixed)
			shares = kvcalloc(nr, sizeof(*shares), GFP_KERNEL_ACCOUNT);
		if (IS_ERR(counts) || (counts && !fixed && !shares)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		kvmmig_throttle_ctl_round(&th->ctl, &r, fixed, a->throttle_pct,
					  max_pct, &d);
		if (shares)
			split = kvmmig_throttle_split(th, counts, nr, d.new_pct,
						      max_pct, shares);
		kvmmig_throttle_ring_restart(th, next, nr);
		next = NULL;
	} else {
		kvmmig_throttle_ctl_end(&th->ctl, &th->hist, a->outcome,
					a->downtime_ns, &d);
		th->running = false;
		kvmmig_stat_add(s, KVMMIG_FEAT_THROTTLE, KVMMIG_STAT_MIGRATIONS, 1);
	}
	kvmmig_throttle_decided(s, &d, split ? shares : NULL, nr);
	a->throttle_pct = READ_ONCE(th->pct);
	a->rounds = th->ctl.rounds;
	a->share_scope = READ_ONCE(th->per_vcpu) ? KVMMIG_SHARE_PER_VCPU :
						   KVMMIG_SHARE_VM;
	a->nr_vcpus = atomic_read(&s->kvm->online_vcpus);
	for (i = 0; i < min(cap, a->nr_vcpus); i++)
		out[i] = kvmmig_stun_pct(th, i);
out_unlock:
	mutex_unlock(&th->lock);
	/* only a VMM that unmaps the buffer meanwhile gets here after a change */
	if (!ret && out && copy_to_user(u64_to_user_ptr(a->vcpu_shares_ptr), out,
					(size_t)cap * sizeof(*out)))
		ret = -EFAULT;
out_free:
	if (!IS_ERR(counts))
		kvfree(counts);
	kvfree(shares);
	kfree(next);
	kvfree(out);
	return ret;
}

/**
 * kvmmig_ioctl_get_history() - KVMMIG_GET_HISTORY
 * @s: the session
 * @arg: the kernel's copy of struct kvmmig_history, filled in
 *
 * Return: 0, -EFAULT or -EINVAL (size, flags).
 */
static long kvmmig_ioctl_get_history(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_history *h = arg;
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	u32 size = h->size;
	long ret;

	ret = kvmmig_check_history(h, false);
	if (ret)
		return ret;
	ret = mutex_lock_killable(&th->lock);
	if (ret)
		return ret;
	*h = th->hist;
	mutex_unlock(&th->lock);
	h->size = size;		/* the caller's, for the copy-out */
	return 0;
}

/**
 * kvmmig_ioctl_set_history() - KVMMIG_SET_HISTORY
 * @s: the session
 * @arg: the kernel's copy of struct kvmmig_history, a record from an earlier GET_HISTORY
 *
 * Return: 0, -EFAULT, -EINVAL (see kvmmig_check_history()), or -EBUSY while
 * a migration runs.
 */
static long kvmmig_ioctl_set_history(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_history *h = arg;
	struct kvmmig_throttle *th = kvmmig_throttle(s);
	long ret;

	ret = kvmmig_check_history(h, true);
	if (ret)
		return ret;
	ret = mutex_lock_killable(&th->lock);
	if (ret)
		return ret;
	if (th->running)
		ret = -EBUSY;
	else
		th->hist = *h;
	mutex_unlock(&th->lock);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_throttle_stats[] = {
	[KVMMIG_STAT_MIGRATIONS] = { "migrations", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_THROTTLE_PCT] = { "throttle_pct", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_THROTTLE_DECISIONS] = { "throttle_decisions", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_STUN_SLICES] = { "stun_slices", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_STUN_NS] = { "stun_time", KVMMIG_STAT_TIME, -9 },
	[KVMMIG_STAT_STUN_SKIPPED] = { "stun_skipped", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_STUN_VCPUS] = { "stun_vcpus", KVMMIG_STAT_VAL },
};

static const struct kvmmig_ioctl_desc kvmmig_throttle_ioctls[] = {
	/* stuns the vCPUs */
	KVMMIG_IOCTL_V0(KVMMIG_MIGRATION, struct kvmmig_migration, vcpu_shares_ptr,
			KVMMIG_MIGRATION_FLAGS, KVMMIG_NEED_FULL_SESSION,
			KVMMIG_CAP_THROTTLE, kvmmig_ioctl_migration),
	KVMMIG_IOCTL(KVMMIG_GET_HISTORY, struct kvmmig_history, 0,
		     0, KVMMIG_CAP_HISTORY, kvmmig_ioctl_get_history),
	KVMMIG_IOCTL(KVMMIG_SET_HISTORY, struct kvmmig_history, 0,
		     KVMMIG_NEED_FULL_SESSION, KVMMIG_CAP_HISTORY, kvmmig_ioctl_set_history),
};

static const struct kvmmig_cap kvmmig_throttle_caps[] = {
	{ KVMMIG_CAP_THROTTLE, 1 },
	{ KVMMIG_CAP_HISTORY, 1 },
	{ KVMMIG_CAP_THROTTLE_PER_VCPU, 1 },
};

const struct kvmmig_feature kvmmig_throttle_feature = {
	.name		= "throttle",
	.ioctls		= kvmmig_throttle_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_throttle_ioctls),
	.caps		= kvmmig_throttle_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_throttle_caps),
	.stats		= kvmmig_throttle_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_throttle_stats),
	.init		= kvmmig_throttle_init,
	.mm_released	= kvmmig_throttle_mm_released,
	.stop		= kvmmig_throttle_stop,
	.destroy	= kvmmig_throttle_destroy,
};
