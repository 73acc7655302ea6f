/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmig internal interfaces shared by the core files.
 *
 * Lock order (Documentation/locking.rst is the long form):
 *   kvmmig_sessions_lock (global mutex)
 *     -> session->lock (mutex)
 *       -> kvm->srcu (read side only; never synchronize_srcu under it)
 * No kvmmig lock is taken from the mmu_notifier callbacks, so
 * mmu_notifier_unregister() may be called with kvmmig locks dropped only.
 */
#ifndef _KVMMIG_KVMMIG_H
#define _KVMMIG_KVMMIG_H

#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <uapi/linux/kvmmig.h>
#include <kvmmig/temperature.h>

struct kvm;
struct file;

/*
 * Per-session counters, exported through the binary stats fd.  A new
 * counter is one enum entry plus one line in kvmmig_stat_descs[] (stats.c).
 */
enum kvmmig_stat_id {
	KVMMIG_STAT_ATTACH_TIME_NS,
	KVMMIG_STAT_MEMSLOT_GENERATION,
	KVMMIG_STAT_GET_MEMSLOTS,
	KVMMIG_STAT_MM_RELEASED,
	KVMMIG_STAT_SCAN_PASSES,
	KVMMIG_STAT_SCAN_REGIONS,
	KVMMIG_STAT_SCAN_REGIONS_ACCESSED,
	KVMMIG_STAT_SCAN_PAGES_TESTED,
	KVMMIG_STAT_SCAN_LAST_PASS_NS,
	KVMMIG_STAT_SCAN_HOT_PAGES,
	KVMMIG_STAT_SCAN_TLB_FLUSHES,
	KVMMIG_STAT_SCAN_PERIOD_MS,
	KVMMIG_STAT_DIRTY_RATE,
	KVMMIG_STAT_SEND_ORDER_CALLS,
	KVMMIG_STAT_SEND_ORDER_PAGES,
	KVMMIG_STAT_SEND_ORDER_FREE,
	KVMMIG_STAT_CLASSIFY_PAGES,
	KVMMIG_STAT_CLASSIFY_ZERO,
	KVMMIG_STAT_CLASSIFY_PATTERN,
	KVMMIG_STAT_CLASSIFY_DUP,
	KVMMIG_STAT_CLASSIFY_DATA,
	KVMMIG_STAT_FREE_HINTED,
	KVMMIG_STAT_FREE_HINTS_DROPPED,
	KVMMIG_STAT_MIGRATIONS,
	KVMMIG_STAT_THROTTLE_PCT,
	KVMMIG_STAT_THROTTLE_DECISIONS,
	KVMMIG_STAT_STUN_SLICES,
	KVMMIG_STAT_STUN_NS,
	/* post-copy: fault context and prefetch (migrate/faults.c, migrate/prefetch.c) */
	KVMMIG_STAT_FAULTS_RECORDED,
	KVMMIG_STAT_PREFETCH_CALLS,
	KVMMIG_STAT_PREFETCH_ISSUED,
	KVMMIG_STAT_PREFETCH_USED,
	KVMMIG_STAT_RINDEX_BUILDS,
	KVMMIG_STAT_RINDEX_HITS,
	KVMMIG_STAT_RINDEX_DROPS_TEARDOWN,
	KVMMIG_STAT_RINDEX_DROPS_STALE,
	/* post-copy: working set and deferred fill (migrate/working_set.c, migrate/fill.c) */
	KVMMIG_STAT_WS_EXPORTS,
	KVMMIG_STAT_WS_PAGES,
	KVMMIG_STAT_FILL_FLAGGED,
	KVMMIG_STAT_FILL_UNFLAGGED,
	KVMMIG_STAT_FILL_DONE,
	KVMMIG_STAT_NR,
};

struct kvmmig_slot_temp;
struct kvmmig_dirty;
struct kvmmig_hints;
struct kvmmig_throttle;
struct kvmmig_faults_ctx;
struct kvmmig_prefetch_ctx;
struct kvmmig_fill_map;

/**
 * struct kvmmig_scanner - a session's page temperature (mm/temperature.c)
 * @lock: serialises passes and every access to @slots
 * @work: the periodic pass
 * @running: periodic scanning is on
 * @slots: temperature of each scanned memslot
 * @nr_slots: entries in @slots
 * @slots_gen: address space 0's memslot generation @slots were made from
 * @synced: @slots and @slots_gen are valid
 * @interval: the adaptive period
 * @fixed_passes: passes left at a period fixed by SET_SCAN (U32_MAX:
 *	until the next SET_PERIOD)
 * @passes: passes completed
 */
struct kvmmig_scanner {
	struct mutex lock;	/* see above */
	struct delayed_work work;
	bool running;
	struct kvmmig_slot_temp *slots;
	u32 nr_slots;
	u64 slots_gen;
	bool synced;
	struct kvmmig_interval interval;
	u32 fixed_passes;
	u64 passes;
};

/**
 * struct kvmmig_session - one attached VM
 * @kvm: the VM, referenced with kvm_get_kvm() until detach
 * @mm: the VMM's mm (kvm->mm); pinned by the registered notifier
 * @mn: notifier on @mm; its .release stops all work
 * @node: entry in the global session list, under kvmmig_sessions_lock
 * @kref: lifetime of this structure (session fd, stats fds, sysfs)
 * @lock: serialises session state changes
 * @id: session id, the sysfs directory name
 * @vmm_tgid: thread-group id of the process that attached
 * @access: KVMMIG_ACCESS_* level, decided at attach, never changed
 * @uid: the attaching task's real uid, for max_sessions_per_user
 * @scan_busy: SET_SCAN calls of this session under way; with @scan.running
 *	it tells whether this session scans (under kvmmig_sessions_lock)
 * @mm_released: set once @mm has no users left; no work may touch it then
 * @detached: set at detach; the structure only serves stats afterwards
 * @kobj: /sys/kernel/kvmmig/<id>/, NULL when not (or no longer) present
 * @scan: page temperature
 * @dirty: dirty rate measurement (migrate/dirty_rate.c)
 * @hints: free-page hints (hint/free_hints.c)
 * @throttle: migration control and vCPU stun (sched/throttle.c)
 * @faults: fault records (migrate/faults.c)
 * @prefetch: prefetch state and reverse indexes (migrate/prefetch.c)
 * @fill: deferred-fill metadata (migrate/fill.c)
 * @stats: counters, see enum kvmmig_stat_id
 */
struct kvmmig_session {
	struct kvm *kvm;
	struct mm_struct *mm;
	struct mmu_notifier mn;
	struct list_head node;
	struct kref kref;
	struct mutex lock;	/* serialises state changes */
	u32 id;
	pid_t vmm_tgid;
	u32 access;
	kuid_t uid;
	unsigned int scan_busy;
	bool mm_released;
	bool detached;
	struct kobject *kobj;
	struct kvmmig_scanner scan;
	struct kvmmig_dirty *dirty;
	struct kvmmig_hints *hints;
	struct kvmmig_throttle *throttle;
	struct kvmmig_faults_ctx *faults;
	struct kvmmig_prefetch_ctx *prefetch;
	struct kvmmig_fill_map *fill;
	atomic64_t stats[KVMMIG_STAT_NR];
};

static inline void kvmmig_stat_add(struct kvmmig_session *s,
				   enum kvmmig_stat_id id, s64 v)
{
	atomic64_add(v, &s->stats[id]);
}

static inline void kvmmig_stat_set(struct kvmmig_session *s,
				   enum kvmmig_stat_id id, s64 v)
{
	atomic64_set(&s->stats[id], v);
}

/**
 * struct kvmmig_param_uint - a bounded unsigned tunable
 * @val: current value
 * @min: smallest accepted value
 * @max: largest accepted value
 *
 * Used with module_param_cb() and kvmmig_param_uint_ops: a write outside
 * [@min, @max] fails with -ERANGE, a write that is not a number with
 * -EINVAL, and neither changes @val.  Readers use READ_ONCE(p.val).
 */
struct kvmmig_param_uint {
	unsigned int val;
	unsigned int min;
	unsigned int max;
};

extern const struct kernel_param_ops kvmmig_param_uint_ops;

/* main.c */
extern struct kvmmig_param_uint kvmmig_param_max_sessions;
extern struct kvmmig_param_uint kvmmig_param_max_sessions_per_user;
long kvmmig_check_extension(unsigned long cap);

static inline unsigned int kvmmig_max_sessions(void)
{
	return READ_ONCE(kvmmig_param_max_sessions.val);
}

static inline unsigned int kvmmig_max_sessions_per_user(void)
{
	return READ_ONCE(kvmmig_param_max_sessions_per_user.val);
}

/* session.c */
long kvmmig_attach_vm(struct kvmmig_attach __user *uarg);
void kvmmig_session_put(struct kvmmig_session *s);
int kvmmig_nr_address_spaces(void);

/* mm/memslots.c (kernel side) */
long kvmmig_ioctl_get_memslots(struct kvmmig_session *s,
			       struct kvmmig_memslots __user *uarg);
void kvmmig_memslot_totals(struct kvmmig_session *s, u32 *nr_slots,
			   u64 *guest_bytes);

/* mm/temperature.c */
void kvmmig_scan_init(struct kvmmig_session *s);
void kvmmig_scan_destroy(struct kvmmig_session *s);
long kvmmig_ioctl_set_scan(struct kvmmig_session *s,
			   struct kvmmig_scan __user *uarg);
long kvmmig_ioctl_get_temperature(struct kvmmig_session *s,
				  struct kvmmig_temperature __user *uarg);
long kvmmig_ioctl_get_huge_candidates(struct kvmmig_session *s,
				      struct kvmmig_huge_candidates __user *uarg);
int kvmmig_scan_get_levels(struct kvmmig_session *s, u64 gfn, u64 n, u8 *levels);

/*
 * Features.  Each has init (at attach, may fail), stop (at detach: no work
 * may run after it returns, except what holds a session reference) and
 * destroy (when the session structure is freed).
 */

/* migrate/dirty_rate.c */
int kvmmig_dirty_init(struct kvmmig_session *s);
void kvmmig_dirty_destroy(struct kvmmig_session *s);
long kvmmig_ioctl_get_dirty_rate(struct kvmmig_session *s,
				 struct kvmmig_dirty_rate __user *uarg);
void kvmmig_dirty_report(struct kvmmig_session *s, u64 dirty_pages);

/* migrate/send_order.c */
long kvmmig_ioctl_get_send_order(struct kvmmig_session *s,
				 struct kvmmig_send_order __user *uarg);

/* mm/content.c */
long kvmmig_ioctl_classify(struct kvmmig_session *s,
			   struct kvmmig_classify __user *uarg);

/* hint/free_hints.c */
int kvmmig_hints_init(struct kvmmig_session *s);
void kvmmig_hints_destroy(struct kvmmig_session *s);
long kvmmig_ioctl_free_hints(struct kvmmig_session *s,
			     struct kvmmig_free_hints __user *uarg);

/* sched/throttle.c */
int kvmmig_throttle_init(struct kvmmig_session *s);
void kvmmig_throttle_mm_released(struct kvmmig_session *s);
void kvmmig_throttle_stop(struct kvmmig_session *s);
void kvmmig_throttle_destroy(struct kvmmig_session *s);
/* The stun task work: entry in sched/stun_entry.S, body in sched/throttle.c. */
void kvmmig_stun_entry(struct callback_head *cb);
void kvmmig_stun_body(struct callback_head *cb);
long kvmmig_ioctl_migration(struct kvmmig_session *s,
			    struct kvmmig_migration __user *uarg);
long kvmmig_ioctl_get_history(struct kvmmig_session *s,
			      struct kvmmig_history __user *uarg);
long kvmmig_ioctl_set_history(struct kvmmig_session *s,
			      struct kvmmig_history __user *uarg);

/* migrate/faults.c */
int kvmmig_faults_init(struct kvmmig_session *s);
void kvmmig_faults_stop(struct kvmmig_session *s);
void kvmmig_faults_destroy(struct kvmmig_session *s);
long kvmmig_ioctl_faults(struct kvmmig_session *s,
			 struct kvmmig_faults __user *uarg);
u32 kvmmig_faults_snapshot(struct kvmmig_session *s,
			   struct kvmmig_fault_record *out, u32 max);

/* migrate/prefetch.c */
int kvmmig_prefetch_init(struct kvmmig_session *s);
void kvmmig_prefetch_destroy(struct kvmmig_session *s);
long kvmmig_ioctl_prefetch(struct kvmmig_session *s,
			   struct kvmmig_prefetch __user *uarg);
void kvmmig_prefetch_note_fault(struct kvmmig_session *s, u64 gfn);

/* migrate/working_set.c */
long kvmmig_ioctl_get_working_set(struct kvmmig_session *s,
				  struct kvmmig_working_set __user *uarg);

/* migrate/fill.c */
int kvmmig_fill_init(struct kvmmig_session *s);
void kvmmig_fill_destroy(struct kvmmig_session *s);
long kvmmig_ioctl_fill(struct kvmmig_session *s, struct kvmmig_fill __user *uarg);

/* stats.c */
int kvmmig_stats_fd_create(struct kvmmig_session *s);

/* sysfs.c */
int kvmmig_sysfs_init(void);
void kvmmig_sysfs_exit(void);
int kvmmig_sysfs_add(struct kvmmig_session *s);
void kvmmig_sysfs_del(struct kvmmig_session *s);

#endif /* _KVMMIG_KVMMIG_H */
