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
#include <kvmmig/compat.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>

/* Protects kvmmig_sessions and kvmmig_nr_sessions; outermost lock. */
static DEFINE_MUTEX(kvmmig_sessions_mutex);
LIST_HEAD(kvmmig_sessions);
static unsigned int kvmmig_nr_sessions;
static DEFINE_IDA(kvmmig_session_ida);

void kvmmig_sessions_lock(void)
{
	mutex_lock(&kvmmig_sessions_mutex);
}

void kvmmig_sessions_unlock(void)
{
	mutex_unlock(&kvmmig_sessions_mutex);
}

void kvmmig_sessions_assert_held(void)
{
	lockdep_assert_held(&kvmmig_sessions_mutex);
}

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

	int i;

	WRITE_ONCE(s->mm_released, true);
	/* also at detach: the session's access to the mm ends either way */
	kvmmig_stat_set(s, KVMMIG_FEAT_CORE, KVMMIG_CORE_STAT_MM_RELEASED, 1);
	for (i = 0; i < KVMMIG_FEAT_NR; i++)
		if (kvmmig_features[i]->mm_released)
			kvmmig_features[i]->mm_released(s);
}

static const struct mmu_notifier_ops kvmmig_mn_ops = {
	.release = kvmmig_mn_release,
};

static void kvmmig_session_free(struct kref *kref)
{
	struct kvmmig_session *s = container_of(kref, struct kvmmig_session, kref);

	int i;

	/* the destroy functions accept what init left half done */
	for (i = KVMMIG_FEAT_NR - 1; i >= 0; i--)
		if (kvmmig_features[i]->destroy)
			kvmmig_features[i]->destroy(s);
	kfree(s->stats);
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

	kvmmig_sessions_lock();
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
	kvmmig_sessions_unlock();
	return ret;
}

static void kvmmig_session_unpublish(struct kvmmig_session *s)
{
	kvmmig_sessions_lock();
	list_del_init(&s->node);
	kvmmig_nr_sessions--;
	kvmmig_sessions_unlock();
}

static void kvmmig_session_detach(struct kvmmig_session *s)
{
	int i;

	mutex_lock(&s->lock);
	WRITE_ONCE(s->detached, true);
	mutex_unlock(&s->lock);

	for (i = KVMMIG_FEAT_NR - 1; i >= 0; i--)
		if (kvmmig_features[i]->stop)
			kvmmig_features[i]->stop(s);
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

static long kvmmig_session_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	return kvmmig_ioctl(filp->private_data, cmd, arg);
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
	int i, id, ret;

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
	s->stats = kcalloc(kvmmig_nr_stats, sizeof(*s->stats), GFP_KERNEL_ACCOUNT);
	if (!s->stats) {
		kvmmig_session_put(s);
		return ERR_PTR(-ENOMEM);
	}
	kvmmig_stat_set(s, KVMMIG_FEAT_CORE, KVMMIG_CORE_STAT_ATTACH_TIME_NS,
			ktime_get_boottime_ns());
	for (i = 0; i < KVMMIG_FEAT_NR; i++) {
		if (!kvmmig_features[i]->init)
			continue;
		ret = kvmmig_features[i]->init(s);
		if (ret) {
			kvmmig_session_put(s);
			return ERR_PTR(ret);
		}
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

/**
 * kvmmig_attach_vm() - KVMMIG_ATTACH_VM: a session on a VM
 * @unused: NULL (a device ioctl)
 * @arg: the kernel's copy of struct kvmmig_attach
 *
 * Return: the session file, not yet installed (the dispatcher installs it
 * once the caller has @session_id and @access), or an ERR_PTR.
 */
struct file *kvmmig_attach_vm(struct kvmmig_session *unused, void *arg)
{
	struct kvmmig_attach *a = arg;
	struct kvmmig_session *s;
	struct file *vm_file, *file;
	struct kvm *kvm;
	u32 access;
	int ret;

	ret = kvmmig_check_attach(a);
	if (ret)
		return ERR_PTR(ret);
	vm_file = fget(a->vm_fd);
	if (!vm_file)
		return ERR_PTR(-EBADF);
	if (!file_is_kvm(vm_file)) {
		file = ERR_PTR(-EINVAL);
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
	if (!(a->flags & KVMMIG_ATTACH_READ_ONLY) &&
	    (kvm->mm == current->mm || capable(CAP_SYS_ADMIN)))
		access = KVMMIG_ACCESS_FULL;

	s = kvmmig_session_create(kvm, access);
	if (IS_ERR(s)) {
		file = ERR_CAST(s);
		goto out_fput;
	}
	file = anon_inode_getfile("kvmmig-session", &kvmmig_session_fops, s,
				  O_RDWR);
	if (IS_ERR(file)) {
		kvmmig_session_detach(s);
		kvmmig_session_put(s);
		goto out_fput;
	}
	/* From here the file owns the session: its release undoes it all. */
	a->session_id = s->id;
	a->access = s->access;
out_fput:
	fput(vm_file);
	return file;
}
