/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core of kvmmig, what every feature builds on: the session (one
 * attached VM), the feature registration (ioctls, capabilities, stats and
 * per-session state of each feature) and the module's tunables.  A
 * feature's own interfaces are in its own header, include/kvmmig/<name>.h.
 *
 * Lock order (Documentation/locking.rst is the long form):
 *   kvmmig_sessions_lock (global mutex)
 *     -> session->lock (mutex)
 *       -> kvm->srcu (read side only; never synchronize_srcu under it)
 * No kvmmig lock is taken from the mmu_notifier callbacks, so
 * mmu_notifier_unregister() may be called with kvmmig locks dropped only.
 */
#ifndef _KVMMIG_CORE_H
#define _KVMMIG_CORE_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <uapi/linux/kvmmig.h>
#include <kvmmig/stats.h>

struct kvm;
struct file;
struct kvmmig_session;

enum kvmmig_feature_id {
#define KVMMIG_FEATURE(id, name) KVMMIG_FEAT_##id,
#include <kvmmig/features.h>
#undef KVMMIG_FEATURE
	KVMMIG_FEAT_NR,
};

/**
 * struct kvmmig_ioctl_desc - one ioctl, as a feature registers it
 * @cmd: the ioctl number; the size bits are not compared (a caller's
 *	structure may be older and smaller, or newer and larger)
 * @size: with a structure argument, the size this kernel knows; 0 when the
 *	argument is a plain value (@fn_val)
 * @size_ver0: the smallest size a caller may pass: the structure's first
 *	version (without its reserved tail and the fields later versions
 *	took from it)
 * @flags: the flags accepted in the structure's @flags member
 * @need: KVMMIG_NEED_* of the uapi (session ioctls)
 * @cap: the capability that announces the ioctl (0: always there)
 * @fn: handler of a structure ioctl; @arg is the kernel's copy, copied
 *	back to the caller after @fn returns (the caller's @size bytes at
 *	most), whatever it returned, for _IOC_READ ioctls
 * @fn_val: handler of a plain-value ioctl
 * @fn_file: handler of an ioctl that opens a file: the core reserves the
 *	fd, copies the structure (if any) back and only then installs it
 * @name: for messages and KVMMIG_IOCTL_INFO's consumers
 *
 * The one copy-in and copy-out of every argument structure is the core's
 * (ioctl.c): no handler touches the caller's memory for its own argument
 * structure; it may for the buffers the structure points to.  Before a
 * handler runs, the structure has been read with copy_struct_from_user()
 * semantics, its flags checked against @flags, and (for _IOC_READ) written
 * back once unchanged, so an unwritable structure fails before anything
 * is done.
 */
struct kvmmig_ioctl_desc {
	unsigned int cmd;
	u32 size;
	u32 size_ver0;
	u32 flags;
	u32 need;
	u32 cap;
	long (*fn)(struct kvmmig_session *s, void *arg);
	long (*fn_val)(struct kvmmig_session *s, unsigned long arg);
	struct file *(*fn_file)(struct kvmmig_session *s, void *arg);
	const char *name;
};

#define KVMMIG_IOCTL_SIZES(type) \
	.size = sizeof(type), .size_ver0 = offsetof(type, reserved)

/* A structure ioctl: KVMMIG_IOCTL(KVMMIG_FILL, struct kvmmig_fill, ...) */
#define KVMMIG_IOCTL(_cmd, _type, _flags, _need, _cap, _fn) {		\
	.cmd = _cmd, KVMMIG_IOCTL_SIZES(_type), .flags = _flags,	\
	.need = _need, .cap = _cap, .fn = _fn, .name = #_cmd }

/*
 * A structure ioctl whose later versions took fields from the reserved
 * tail: the first version, the smallest size accepted, ends at
 * @_first_new, the first of those fields (the minimum never grows).
 */
#define KVMMIG_IOCTL_V0(_cmd, _type, _first_new, _flags, _need, _cap, _fn) { \
	.cmd = _cmd, .size = sizeof(_type),				\
	.size_ver0 = offsetof(_type, _first_new), .flags = _flags,	\
	.need = _need, .cap = _cap, .fn = _fn, .name = #_cmd }

/**
 * struct kvmmig_cap - a capability a feature answers
 * @cap: KVMMIG_CAP_*
 * @value: the answer, when @get is NULL
 * @get: the answer for session @s (NULL on the device fd)
 */
struct kvmmig_cap {
	u32 cap;
	long value;
	long (*get)(struct kvmmig_session *s);
};

/**
 * struct kvmmig_feature - what a feature registers (include/kvmmig/features.h)
 * @name: its name, as in its directory entry
 * @ioctls: its session ioctls
 * @nr_ioctls: entries in @ioctls
 * @caps: the capabilities it answers
 * @nr_caps: entries in @caps
 * @stats: its counters in the session's stats fd, indexed by its own enum
 * @nr_stats: entries in @stats
 * @init: at attach, may fail (then @destroy undoes what it did)
 * @mm_released: the VMM's address space is gone; called from the
 *	mmu_notifier's .release: no lock of kvmmig may be taken
 * @stop: at detach: no work of the feature runs after it returns, except
 *	what holds a session reference
 * @destroy: when the session structure is freed
 */
struct kvmmig_feature {
	const char *name;
	const struct kvmmig_ioctl_desc *ioctls;
	unsigned int nr_ioctls;
	const struct kvmmig_cap *caps;
	unsigned int nr_caps;
	const struct kvmmig_stat_def *stats;
	unsigned int nr_stats;
	int (*init)(struct kvmmig_session *s);
	void (*mm_released)(struct kvmmig_session *s);
	void (*stop)(struct kvmmig_session *s);
	void (*destroy)(struct kvmmig_session *s);
};

/* kvmmig_<name>_feature of every feature, one declaration */
extern const struct kvmmig_feature
#define KVMMIG_FEATURE(id, name) kvmmig_##name##_feature,
#include <kvmmig/features.h>
#undef KVMMIG_FEATURE
	kvmmig_features_end;	/* never defined: closes the list */

extern const struct kvmmig_feature *const kvmmig_features[KVMMIG_FEAT_NR];

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
 * @mm_released: set once @mm has no users left; no work may touch it then
 * @detached: set at detach; the structure only serves stats afterwards
 * @kobj: /sys/kernel/kvmmig/<id>/, NULL when not (or no longer) present
 * @priv: each feature's state, indexed by enum kvmmig_feature_id
 * @stats: the counters of every feature, feature after feature
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
	bool mm_released;
	bool detached;
	struct kobject *kobj;
	void *priv[KVMMIG_FEAT_NR];
	atomic64_t *stats;
};

/* The core's own counters (KVMMIG_FEAT_CORE) */
enum kvmmig_core_stat {
	KVMMIG_CORE_STAT_ATTACH_TIME_NS,
	KVMMIG_CORE_STAT_MM_RELEASED,
	KVMMIG_CORE_STAT_NR,
};

/* Index of each feature's first counter in session->stats (stats.c) */
extern unsigned int kvmmig_stat_base[KVMMIG_FEAT_NR];
extern unsigned int kvmmig_nr_stats;

static inline void kvmmig_stat_add(struct kvmmig_session *s,
				   enum kvmmig_feature_id f, u32 id, s64 v)
{
	atomic64_add(v, &s->stats[kvmmig_stat_base[f] + id]);
}

static inline void kvmmig_stat_set(struct kvmmig_session *s,
				   enum kvmmig_feature_id f, u32 id, s64 v)
{
	atomic64_set(&s->stats[kvmmig_stat_base[f] + id], v);
}

static inline s64 kvmmig_stat_read(struct kvmmig_session *s,
				   enum kvmmig_feature_id f, u32 id)
{
	return atomic64_read(&s->stats[kvmmig_stat_base[f] + id]);
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
/* main_logic.c */
int kvmmig_parse_uint_range(const char *s, unsigned int min,
			    unsigned int max, unsigned int *out);
int kvmmig_check_attach(const struct kvmmig_attach *a);

/* main.c */
extern struct kvmmig_param_uint kvmmig_param_max_sessions;
extern struct kvmmig_param_uint kvmmig_param_max_sessions_per_user;

static inline unsigned int kvmmig_max_sessions(void)
{
	return READ_ONCE(kvmmig_param_max_sessions.val);
}

static inline unsigned int kvmmig_max_sessions_per_user(void)
{
	return READ_ONCE(kvmmig_param_max_sessions_per_user.val);
}

/* session.c */
struct file *kvmmig_attach_vm(struct kvmmig_session *unused, void *arg);
void kvmmig_session_put(struct kvmmig_session *s);
int kvmmig_nr_address_spaces(void);
/*
 * Every session, for a feature that must see the other sessions of its
 * VM: iterate with kvmmig_sessions_lock() held.
 */
extern struct list_head kvmmig_sessions;
void kvmmig_sessions_lock(void);
void kvmmig_sessions_unlock(void);
void kvmmig_sessions_assert_held(void);

/* ioctl.c: the dispatcher of the device and session fds */
long kvmmig_ioctl(struct kvmmig_session *s, unsigned int cmd,
		  unsigned long arg);
long kvmmig_check_extension(struct kvmmig_session *s, unsigned long cap);
int kvmmig_ioctl_init(void);

/* stats.c */
int kvmmig_stats_init(void);
void kvmmig_stats_exit(void);
struct file *kvmmig_stats_file_open(struct kvmmig_session *s, void *unused);

/* sysfs.c */
int kvmmig_sysfs_init(void);
void kvmmig_sysfs_exit(void);
int kvmmig_sysfs_add(struct kvmmig_session *s);
void kvmmig_sysfs_del(struct kvmmig_session *s);

#endif /* _KVMMIG_CORE_H */
