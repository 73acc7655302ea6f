// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig: KVM extensions for live migration, snapshot restore and cloning.
 *
 * The module's front door: /dev/kvmmig (API version, capabilities, attach)
 * and the bounded tunables under /sys/module/kvmmig/parameters/.  The node
 * is 0660 like /dev/kvm; tools/udev/65-kvmmig.rules gives it group kvm.  A VMM
 * attaches its KVM VM fd and drives everything else through the session fd
 * it gets back (session.c).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <kvmmig/core.h>

static int kvmmig_param_uint_set(const char *val, const struct kernel_param *kp)
{
	struct kvmmig_param_uint *p = kp->arg;
	unsigned int v;
	int ret;

	ret = kvmmig_parse_uint_range(val, p->min, p->max, &v);
	if (ret)
		return ret;
	WRITE_ONCE(p->val, v);
	return 0;
}

static int kvmmig_param_uint_get(char *buf, const struct kernel_param *kp)
{
	const struct kvmmig_param_uint *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(p->val));
}

const struct kernel_param_ops kvmmig_param_uint_ops = {
	.set = kvmmig_param_uint_set,
	.get = kvmmig_param_uint_get,
};

struct kvmmig_param_uint kvmmig_param_max_sessions = {
	.val = 64, .min = 1, .max = 4096,
};
module_param_cb(max_sessions, &kvmmig_param_uint_ops,
		&kvmmig_param_max_sessions, 0644);
MODULE_PARM_DESC(max_sessions,
		 "Most VMs attached at once [1..4096, default 64]; lowering it detaches none");

struct kvmmig_param_uint kvmmig_param_max_sessions_per_user = {
	.val = 16, .min = 1, .max = 4096,
};
module_param_cb(max_sessions_per_user, &kvmmig_param_uint_ops,
		&kvmmig_param_max_sessions_per_user, 0644);
MODULE_PARM_DESC(max_sessions_per_user,
		 "Most sessions one uid may hold, read-only ones included [1..4096, default 16]");

static long kvmmig_dev_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	return kvmmig_ioctl(NULL, cmd, arg);
}

static const struct file_operations kvmmig_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvmmig_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmmig_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvmmig",
	.fops	= &kvmmig_dev_fops,
	.mode	= 0660,
};

static int __init kvmmig_init(void)
{
	int ret;

	ret = kvmmig_ioctl_init();
	if (ret)
		return ret;
	ret = kvmmig_stats_init();
	if (ret)
		return ret;
	ret = kvmmig_sysfs_init();
	if (ret)
		goto err_stats;
	ret = misc_register(&kvmmig_dev);
	if (ret)
		goto err_sysfs;
	return 0;

err_sysfs:
	kvmmig_sysfs_exit();
err_stats:
	kvmmig_stats_exit();
	return ret;
}

/*
 * Every session and stats fd holds a module reference, so nothing is
 * attached by the time this runs.
 */
static void __exit kvmmig_exit(void)
{
	misc_deregister(&kvmmig_dev);
	kvmmig_sysfs_exit();
	kvmmig_stats_exit();
}

module_init(kvmmig_init);
module_exit(kvmmig_exit);
MODULE_DESCRIPTION("KVM extensions for live migration, restore and cloning");
MODULE_LICENSE("GPL");
