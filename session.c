// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: one per attached KVM VM.
 *
 * A session holds the VM with kvm_get_kvm() and watches the VMM's mm with
 * an mmu_notifier whose .release marks the memory gone, so no feature
 * touches guest memory after the VMM's address space is torn down.  The
 * session fd's release detaches: sysfs first (draining readers), then the
 * registry (so the VM can be attached again), then the notifier and the VM
 * reference.  The structure itself lives on while a stats fd refers to it.
 *
 * Access (Documentation/kvmmig.rst, "Security"): the level of a session is
 * decided once, at attach, from the attaching task's address space and
 * capabilities, and kvmmig_ioctl_access[] below says, in one place, what
 * each session ioctl needs.  A VM has at most one full session and any
 * number of read-only ones; at most one of them scans at a time.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmmig/args.h>
#include <kvmmig/compat.h>
#include <kvmmig/core.h>

/* Protects kvmmig_sessions and kvmmig_nr_sessions; outermost lock. */
static DEFINE_MUTEX(kvmmig_sessions_lock);
static LIST_HEAD(kvmmig_sessions);
static unsigned int kvmmig_nr_sessions;
static DEFINE_IDA(kvmmig_session_ida);

int kvmmig_nr_address_spaces(void)
{
	return KVMMIG_MAX_NR_AS;
}

/*
 * Called once, from exit_mmap() or from mmu_notifier_unregister(),
 * whichever comes first.  Takes no lock: it may run under mmap locks.
 */
static void kvmmig_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmmig_session *s = container_of(mn, struct kvmmig_session, mn);

	WRITE_ONCE(s->mm_released, true);
	/* also at detach: the session's access to the mm ends either way */
	kvmmig_stat_set(s, KVMMIG_STAT_MM_RELEASED, 1);
	kvmmig_throttle_mm_released(s);
}

static const struct mmu_notifier_ops kvmmig_mn_ops = {
	.release = kvmmig_mn_release,
};

static void kvmmig_session_free(struct kref *kref)
{
	struct kvmmig_session *s = container_of(kref, struct kvmmig_session, kref);

	kvmmig_fill_destroy(s);
	kvmmig_faults_destroy(s);
	kvmmig_prefetch_destroy(s);
	kvmmig_throttle_destroy(s);
	kvmmig_hints_destroy(s);
	kvmmig_dirty_destroy(s);
	ida_free(&kvmmig_session_ida, s->id);
	mutex_destroy(&s->lock);
	kfree(s);
}

void kvmmig_session_put(struct kvmmig_session *s)
{
	kref_put(&s->kref, kvmmig_session_free);
}

/*
 * Publish @s: one full session per VM, at most max_sessions in all and
 * max_sessions_per_user of one uid.
 */
static int kvmmig_session_publish(struct kvmmig_session *s)
{
	unsigned int same_uid = 0;
	struct kvmmig_session *other;
	int ret = 0;

	mutex_lock(&kvmmig_sessions_lock);
	list_for_each_entry(other, &kvmmig_sessions, node) {
		if (other->kvm == s->kvm && other->access == KVMMIG_ACCESS_FULL &&
		    s->access == KVMMIG_ACCESS_FULL) {
			ret = -EBUSY;
			goto out;
		}
		if (uid_eq(other->uid, s->uid))
			same_uid++;
	}
	if (kvmmig_nr_sessions >= kvmmig_max_sessions()) {
		ret = -ENOSPC;
		goto out;
	}
	if (same_uid >= kvmmig_max_sessions_per_user()) {
		ret = -EUSERS;
		goto out;
	}
	list_add_tail(&s->node, &kvmmig_sessions);
	kvmmig_nr_sessions++;
out:
	mutex_unlock(&kvmmig_sessions_lock);
	return ret;
}

static void kvmmig_session_unpublish(struct kvmmig_session *s)
{
	mutex_lock(&kvmmig_sessions_lock);
	list_del_init(&s->node);
	kvmmig_nr_sessions--;
	mutex_unlock(&kvmmig_sessions_lock);
}

static void kvmmig_session_detach(struct kvmmig_session *s)
{
	mutex_lock(&s->lock);
	WRITE_ONCE(s->detached, true);
	mutex_unlock(&s->lock);

	kvmmig_throttle_stop(s);
	kvmmig_faults_stop(s);
	kvmmig_scan_destroy(s);
	kvmmig_sysfs_del(s);
	kvmmig_session_unpublish(s);
	/* Runs .release if exit_mmap() has not; waits for callbacks. */
	mmu_notifier_unregister(&s->mn, s->mm);
	kvm_put_kvm(s->kvm);
}

static int kvmmig_session_release(struct inode *inode, struct file *filp)
{
	struct kvmmig_session *s = filp->private_data;

	kvmmig_session_detach(s);
	kvmmig_session_put(s);
	return 0;
}

/* Needs of a session ioctl, in kvmmig_ioctl_access[]. */
#define KVMMIG_NEED_FULL	BIT(0)	/* a full session */
#define KVMMIG_NEED_VMM_MM	BIT(1)	/* called from the VM's address space */

/*
 * What each session ioctl needs: the one place that says it (the table in
 * Documentation/kvmmig.rst, "Security", mirrors it).  Read-only sessions
 * observe: nothing they may call changes the VM's speed, its memory, or
 * what the VM's full session does.  An ioctl that reads guest memory
 * through the caller's own mappings (get_user_pages_fast(),
 * copy_from_user_nofault() on memslot addresses) also needs the caller to
 * be in the VM's address space; every other ioctl works on s->kvm and
 * s->mm and may be called from any process that holds the session fd.
 * An ioctl missing here is unknown: -ENOTTY.
 */
static const struct {
	unsigned int cmd;
	unsigned int need;
} kvmmig_ioctl_access[] = {
	{ KVMMIG_CHECK_EXTENSION,	0 },
	{ KVMMIG_GET_MEMSLOTS,		0 },
	{ KVMMIG_GET_STATS_FD,		0 },
	/* one scanning session per VM: kvmmig_scan_claim() */
	{ KVMMIG_SET_SCAN,		0 },
	{ KVMMIG_GET_TEMPERATURE,	0 },
	{ KVMMIG_GET_HUGE_CANDIDATES,	0 },
	/* RESET restarts this session's own window only */
	{ KVMMIG_GET_DIRTY_RATE,	0 },
	/* drops free-page hints, feeds the reported dirty rate */
	{ KVMMIG_GET_SEND_ORDER,	KVMMIG_NEED_FULL },
	{ KVMMIG_CLASSIFY,		KVMMIG_NEED_FULL | KVMMIG_NEED_VMM_MM },
	{ KVMMIG_FREE_HINTS,		KVMMIG_NEED_FULL },
	/* stuns the vCPUs */
	{ KVMMIG_MIGRATION,		KVMMIG_NEED_FULL },
	{ KVMMIG_GET_HISTORY,		0 },
	{ KVMMIG_SET_HISTORY,		KVMMIG_NEED_FULL },
	/* a probe on the vCPU threads' fault path */
	{ KVMMIG_FAULTS,		KVMMIG_NEED_FULL },
	{ KVMMIG_PREFETCH,		KVMMIG_NEED_FULL | KVMMIG_NEED_VMM_MM },
	{ KVMMIG_GET_WORKING_SET,	0 },
	{ KVMMIG_FILL,			KVMMIG_NEED_FULL | KVMMIG_NEED_VMM_MM },
};

/* 0 when @s may run @cmd from the current task, else -ENOTTY or -EPERM. */
static int kvmmig_ioctl_allowed(struct kvmmig_session *s, unsigned int cmd)
{
	unsigned int i, need;

	for (i = 0; i < ARRAY_SIZE(kvmmig_ioctl_access); i++)
		if (kvmmig_ioctl_access[i].cmd == cmd)
			break;
	if (i == ARRAY_SIZE(kvmmig_ioctl_access))
		return -ENOTTY;
	need = kvmmig_ioctl_access[i].need;
	if (need & KVMMIG_NEED_FULL && s->access != KVMMIG_ACCESS_FULL)
		return -EPERM;
	if (need & KVMMIG_NEED_VMM_MM && current->mm != s->mm)
		return -EPERM;
	return 0;
}

/* Does @s scan: its periodic scanner runs, or it is inside SET_SCAN? */
static bool kvmmig_session_scans(struct kvmmig_session *s)
{
	lockdep_assert_held(&kvmmig_sessions_lock);
	return s->scan_busy || READ_ONCE(s->scan.running);
}

/* Has the full session @s made temperature a read-only session can read? */
static bool kvmmig_full_has_temperature(struct kvmmig_session *s)
{
	return kvmmig_session_scans(s) || READ_ONCE(s->scan.passes);
}

/*
 * One scanner per VM: two clearing the same accessed bits would each see
 * part of the accesses.  SET_SCAN is refused (-EBUSY) while another
 * session of the VM scans, and for a read-only session also once the VM's
 * full session has scanned: the VM's temperature is then the full
 * session's, which read-only sessions read (kvmmig_temperature_source()).
 */
static int kvmmig_scan_claim(struct kvmmig_session *s)
{
	struct kvmmig_session *other;
	int ret = 0;

	mutex_lock(&kvmmig_sessions_lock);
	list_for_each_entry(other, &kvmmig_sessions, node) {
		if (other == s || other->kvm != s->kvm)
			continue;
		if (kvmmig_session_scans(other) ||
		    (s->access != KVMMIG_ACCESS_FULL &&
		     other->access == KVMMIG_ACCESS_FULL &&
		     kvmmig_full_has_temperature(other))) {
			ret = -EBUSY;
			break;
		}
	}
	if (!ret)
		s->scan_busy++;
	mutex_unlock(&kvmmig_sessions_lock);
	return ret;
}

static long kvmmig_session_set_scan(struct kvmmig_session *s,
				    struct kvmmig_scan __user *uarg)
{
	long ret;

	ret = kvmmig_scan_claim(s);
	if (ret)
		return ret;
	ret = kvmmig_ioctl_set_scan(s, uarg);
	mutex_lock(&kvmmig_sessions_lock);
	s->scan_busy--;
	mutex_unlock(&kvmmig_sessions_lock);
	return ret;
}

/*
 * The session whose temperature @s reads: for a read-only session the VM's
 * full session once that one has scanned (the VM's one temperature), else
 * @s itself.  Another session is returned with a reference held (the
 * caller puts it), so its structure stays while it is read; its maps are
 * read a chunk at a time under its scan.lock, and a detach that frees them
 * under that lock meanwhile leaves the reader finding no slot.  No lock of
 * the other session is held across this session's user copies, so a
 * reader stuck on its own user memory never delays the VMM's detach.
 */
static struct kvmmig_session *kvmmig_temperature_source(struct kvmmig_session *s)
{
	struct kvmmig_session *other, *src = s;

	if (s->access == KVMMIG_ACCESS_FULL)
		return s;
	mutex_lock(&kvmmig_sessions_lock);
	list_for_each_entry(other, &kvmmig_sessions, node) {
		if (other->kvm != s->kvm || other->access != KVMMIG_ACCESS_FULL ||
		    !kvmmig_full_has_temperature(other))
			continue;
		if (!READ_ONCE(other->detached)) {
			kref_get(&other->kref);
			src = other;
		}
		break;
	}
	mutex_unlock(&kvmmig_sessions_lock);
	return src;
}

/* GET_TEMPERATURE, GET_HUGE_CANDIDATES, GET_WORKING_SET on the VM's temperature. */
static long kvmmig_session_temperature_ioctl(struct kvmmig_session *s,
					     unsigned int cmd, void __user *argp)
{
	struct kvmmig_session *src = kvmmig_temperature_source(s);
	long ret;

	switch (cmd) {
	case KVMMIG_GET_TEMPERATURE:
		ret = kvmmig_ioctl_get_temperature(src, argp);
		break;
	case KVMMIG_GET_HUGE_CANDIDATES:
		ret = kvmmig_ioctl_get_huge_candidates(src, argp);
		break;
	default:
		ret = kvmmig_ioctl_get_working_set(src, argp);
		break;
	}
	if (src != s)
		kvmmig_session_put(src);
	return ret;
}

static long kvmmig_session_check_extension(struct kvmmig_session *s,
					   unsigned long cap)
{
	if (cap == KVMMIG_CAP_ACCESS)
		return s->access;
	return kvmmig_check_extension(cap);
}

static long kvmmig_session_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	struct kvmmig_session *s = filp->private_data;
	void __user *argp = (void __user *)arg;
	int ret;

	ret = kvmmig_ioctl_allowed(s, cmd);
	if (ret)
		return ret;

	switch (cmd) {
	case KVMMIG_CHECK_EXTENSION:
		return kvmmig_session_check_extension(s, arg);
	case KVMMIG_GET_MEMSLOTS:
		return kvmmig_ioctl_get_memslots(s, argp);
	case KVMMIG_GET_STATS_FD:
		return kvmmig_stats_fd_create(s);
	case KVMMIG_SET_SCAN:
		return kvmmig_session_set_scan(s, argp);
	case KVMMIG_GET_TEMPERATURE:
	case KVMMIG_GET_HUGE_CANDIDATES:
	case KVMMIG_GET_WORKING_SET:
		return kvmmig_session_temperature_ioctl(s, cmd, argp);
	case KVMMIG_GET_DIRTY_RATE:
		return kvmmig_ioctl_get_dirty_rate(s, argp);
	case KVMMIG_GET_SEND_ORDER:
		return kvmmig_ioctl_get_send_order(s, argp);
	case KVMMIG_CLASSIFY:
		return kvmmig_ioctl_classify(s, argp);
	case KVMMIG_FREE_HINTS:
		return kvmmig_ioctl_free_hints(s, argp);
	case KVMMIG_MIGRATION:
		return kvmmig_ioctl_migration(s, argp);
	case KVMMIG_GET_HISTORY:
		return kvmmig_ioctl_get_history(s, argp);
	case KVMMIG_SET_HISTORY:
		return kvmmig_ioctl_set_history(s, argp);
	case KVMMIG_FAULTS:
		return kvmmig_ioctl_faults(s, argp);
	case KVMMIG_PREFETCH:
		return kvmmig_ioctl_prefetch(s, argp);
	case KVMMIG_FILL:
		return kvmmig_ioctl_fill(s, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvmmig_session_fops = {
	.owner		= THIS_MODULE,
	.release	= kvmmig_session_release,
	.unlocked_ioctl	= kvmmig_session_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct kvmmig_session *kvmmig_session_alloc(struct kvm *kvm, u32 access)
{
	struct kvmmig_session *s;
	int id, ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	id = ida_alloc(&kvmmig_session_ida, GFP_KERNEL);
	if (id < 0) {
		kfree(s);
		return ERR_PTR(id);
	}
	s->id = id;
	kref_init(&s->kref);
	mutex_init(&s->lock);
	INIT_LIST_HEAD(&s->node);
	s->kvm = kvm;
	s->mm = kvm->mm;
	s->vmm_tgid = task_tgid_nr(current);
	s->access = access;
	s->uid = current_uid();
	s->mn.ops = &kvmmig_mn_ops;
	kvmmig_scan_init(s);
	kvmmig_stat_set(s, KVMMIG_STAT_ATTACH_TIME_NS, ktime_get_boottime_ns());
	ret = kvmmig_dirty_init(s);
	if (!ret)
		ret = kvmmig_hints_init(s);
	if (!ret)
		ret = kvmmig_throttle_init(s);
	if (!ret)
		ret = kvmmig_prefetch_init(s);
	if (!ret)
		ret = kvmmig_faults_init(s);
	if (!ret)
		ret = kvmmig_fill_init(s);
	if (ret) {
		/* the destroy functions accept what init left half done */
		kvmmig_session_put(s);
		return ERR_PTR(ret);
	}
	return s;
}

/*
 * Everything but the fd: on failure all is undone and the VM is as before.
 * On success the caller owns one VM reference and one session reference,
 * both handed to the session file.
 */
static struct kvmmig_session *kvmmig_session_create(struct kvm *kvm, u32 access)
{
	struct kvmmig_session *s;
	int ret;

	s = kvmmig_session_alloc(kvm, access);
	if (IS_ERR(s))
		return s;
	kvm_get_kvm(kvm);

	ret = kvmmig_session_publish(s);
	if (ret)
		goto err_put_kvm;
	/*
	 * Registering needs a user of the mm: the caller's own for the VMM,
	 * one taken here for another process (-ESRCH once the VMM's address
	 * space is gone).  KVM holds mm_count, so s->mm itself stays valid.
	 */
	if (!mmget_not_zero(s->mm)) {
		ret = -ESRCH;
		goto err_unpublish;
	}
	ret = mmu_notifier_register(&s->mn, s->mm);
	mmput(s->mm);
	if (ret)
		goto err_unpublish;
	ret = kvmmig_sysfs_add(s);
	if (ret)
		goto err_unregister;
	return s;

err_unregister:
	mmu_notifier_unregister(&s->mn, s->mm);
err_unpublish:
	kvmmig_session_unpublish(s);
err_put_kvm:
	kvm_put_kvm(kvm);
	kvmmig_session_put(s);
	return ERR_PTR(ret);
}

long kvmmig_attach_vm(struct kvmmig_attach __user *uarg)
{
	struct kvmmig_session *s;
	struct kvmmig_attach a;
	struct file *vm_file, *file;
	struct kvm *kvm;
	u32 access;
	long ret;
	int fd;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	ret = kvmmig_check_attach(&a);
	if (ret)
		return ret;

	vm_file = fget(a.vm_fd);
	if (!vm_file)
		return -EBADF;
	if (!file_is_kvm(vm_file)) {
		ret = -EINVAL;
		goto out_fput;
	}
	kvm = vm_file->private_data;
	/*
	 * The level, decided once from the caller (never from whoever later
	 * holds the session fd): full for the VM's own VMM or CAP_SYS_ADMIN;
	 * read-only for a process that merely holds the VM fd, which it got
	 * from the VMM (SCM_RIGHTS) or with pidfd_getfd() (ptrace rights).
	 */
	access = KVMMIG_ACCESS_READ;
	if (!(a.flags & KVMMIG_ATTACH_READ_ONLY) &&
	    (kvm->mm == current->mm || capable(CAP_SYS_ADMIN)))
		access = KVMMIG_ACCESS_FULL;

	s = kvmmig_session_create(kvm, access);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		goto out_fput;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		kvmmig_session_detach(s);
		kvmmig_session_put(s);
		goto out_fput;
	}
	file = anon_inode_getfile("kvmmig-session", &kvmmig_session_fops, s,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		put_unused_fd(fd);
		kvmmig_session_detach(s);
		kvmmig_session_put(s);
		goto out_fput;
	}
	/* From here the file owns the session: its release undoes it all. */
	if (put_user(s->id, &uarg->session_id) ||
	    put_user(s->access, &uarg->access)) {
		fput(file);
		put_unused_fd(fd);
		ret = -EFAULT;
		goto out_fput;
	}
	fd_install(fd, file);
	ret = fd;

out_fput:
	fput(vm_file);
	return ret;
}
