// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/kvmmig/<session id>/: read-only state of each attached VM
 * (Documentation/ABI/testing/sysfs-kernel-kvmmig).  kobject_del() drains
 * running show() calls, so a show() never sees a detached session.  The
 * files are 0400: which process runs which VM, and its size, are the
 * administrator's to see, not every local user's.
 */
#include <linux/kobject.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <kvmmig/core.h>
#include <kvmmig/memslots.h>

static struct kobject *kvmmig_root_kobj;

struct kvmmig_vm_kobj {
	struct kobject kobj;
	struct kvmmig_session *s;
};

static struct kvmmig_session *kobj_to_session(struct kobject *kobj)
{
	return container_of(kobj, struct kvmmig_vm_kobj, kobj)->s;
}

static ssize_t vmm_pid_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", kobj_to_session(kobj)->vmm_tgid);
}

static ssize_t kvm_stats_id_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", kobj_to_session(kobj)->kvm->stats_id);
}

static ssize_t memslots_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	u64 bytes;
	u32 n;

	kvmmig_memslot_totals(kobj_to_session(kobj), &n, &bytes);
	return sysfs_emit(buf, "%u\n", n);
}

static ssize_t guest_memory_bytes_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	u64 bytes;
	u32 n;

	kvmmig_memslot_totals(kobj_to_session(kobj), &n, &bytes);
	return sysfs_emit(buf, "%llu\n", bytes);
}

static ssize_t mm_released_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(kobj_to_session(kobj)->mm_released));
}

static ssize_t access_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  kobj_to_session(kobj)->access == KVMMIG_ACCESS_FULL ?
			  "full" : "read");
}

static ssize_t uid_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  from_kuid_munged(&init_user_ns, kobj_to_session(kobj)->uid));
}

static struct kobj_attribute vmm_pid_attr = __ATTR_RO_MODE(vmm_pid, 0400);
static struct kobj_attribute kvm_stats_id_attr = __ATTR_RO_MODE(kvm_stats_id, 0400);
static struct kobj_attribute memslots_attr = __ATTR_RO_MODE(memslots, 0400);
static struct kobj_attribute guest_memory_bytes_attr =
	__ATTR_RO_MODE(guest_memory_bytes, 0400);
static struct kobj_attribute mm_released_attr = __ATTR_RO_MODE(mm_released, 0400);
static struct kobj_attribute access_attr = __ATTR_RO_MODE(access, 0400);
static struct kobj_attribute uid_attr = __ATTR_RO_MODE(uid, 0400);

static struct attribute *kvmmig_vm_attrs[] = {
	&vmm_pid_attr.attr,
	&kvm_stats_id_attr.attr,
	&memslots_attr.attr,
	&guest_memory_bytes_attr.attr,
	&mm_released_attr.attr,
	&access_attr.attr,
	&uid_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kvmmig_vm);

static void kvmmig_vm_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct kvmmig_vm_kobj, kobj));
}

static const struct kobj_type kvmmig_vm_ktype = {
	.release	= kvmmig_vm_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= kvmmig_vm_groups,
};

int kvmmig_sysfs_add(struct kvmmig_session *s)
{
	struct kvmmig_vm_kobj *vk;
	int ret;

	vk = kzalloc(sizeof(*vk), GFP_KERNEL_ACCOUNT);
	if (!vk)
		return -ENOMEM;
	vk->s = s;
	ret = kobject_init_and_add(&vk->kobj, &kvmmig_vm_ktype, kvmmig_root_kobj,
				   "%u", s->id);
	if (ret) {
		kobject_put(&vk->kobj);
		return ret;
	}
	s->kobj = &vk->kobj;
	return 0;
}

void kvmmig_sysfs_del(struct kvmmig_session *s)
{
	if (!s->kobj)
		return;
	kobject_del(s->kobj);
	kobject_put(s->kobj);
	s->kobj = NULL;
}

int kvmmig_sysfs_init(void)
{
	kvmmig_root_kobj = kobject_create_and_add("kvmmig", kernel_kobj);
	return kvmmig_root_kobj ? 0 : -ENOMEM;
}

void kvmmig_sysfs_exit(void)
{
	kobject_put(kvmmig_root_kobj);
}
