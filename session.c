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
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmmig/args.h>
#include <kvmmig/compat.h>
#include <kvmmig/kvmmig.h>

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

/* Claim @s->kvm for @s: one session per VM, at most max_sessions. */
static int kvmmig_session_publish(struct kvmmig_session *s)
{
	struct kvmmig_session *other;
	int ret = 0;

	mutex_lock(&kvmmig_sessions_lock);
	list_for_each_entry(other, &kvmmig_sessions, node) {
		if (other->kvm == s->kvm) {
			ret = -EBUSY;
			goto out;
		}
	}
	if (kvmmig_nr_sessions >= kvmmig_max_sessions()) {
		ret = -ENOSPC;
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

static long kvmmig_session_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	struct kvmmig_session *s = filp->private_data;
	void __user *argp = (void __user *)arg;

	/* As KVM does for its VM fd: only the VMM's own process may drive it. */
	if (s->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case KVMMIG_CHECK_EXTENSION:
		return kvmmig_check_extension(arg);
	case KVMMIG_GET_MEMSLOTS:
		return kvmmig_ioctl_get_memslots(s, argp);
	case KVMMIG_GET_STATS_FD:
		return kvmmig_stats_fd_create(s);
	case KVMMIG_SET_SCAN:
		return kvmmig_ioctl_set_scan(s, argp);
	case KVMMIG_GET_TEMPERATURE:
		return kvmmig_ioctl_get_temperature(s, argp);
	case KVMMIG_GET_HUGE_CANDIDATES:
		return kvmmig_ioctl_get_huge_candidates(s, argp);
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
	case KVMMIG_GET_WORKING_SET:
		return kvmmig_ioctl_get_working_set(s, argp);
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

static struct kvmmig_session *kvmmig_session_alloc(struct kvm *kvm)
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
static struct kvmmig_session *kvmmig_session_create(struct kvm *kvm)
{
	struct kvmmig_session *s;
	int ret;

	s = kvmmig_session_alloc(kvm);
	if (IS_ERR(s))
		return s;
	kvm_get_kvm(kvm);

	ret = kvmmig_session_publish(s);
	if (ret)
		goto err_put_kvm;
	/* kvm->mm == current->mm: mm_users is held while this registers. */
	ret = mmu_notifier_register(&s->mn, s->mm);
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
	if (kvm->mm != current->mm) {
		ret = -EIO;
		goto out_fput;
	}

	s = kvmmig_session_create(kvm);
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
	if (put_user(s->id, &uarg->session_id)) {
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
