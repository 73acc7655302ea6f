// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl dispatcher of the device and session fds, after drm_ioctl():
 * one table per feature (struct kvmmig_ioctl_desc), one copy-in of the
 * caller's structure zero-extended to the kernel's, one copy-out.  What
 * each ioctl needs of its caller (access level, address space) is in its
 * table entry; KVMMIG_IOCTL_INFO reads the same entries back to userspace.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm_host.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <kvmmig/compat.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>

/* in the order of enum kvmmig_feature_id: the same list */
const struct kvmmig_feature *const kvmmig_features[KVMMIG_FEAT_NR] = {
#define KVMMIG_FEATURE(id, name) (&kvmmig_##name##_feature),
#include <kvmmig/features.h>
#undef KVMMIG_FEATURE
};

static long kvmmig_get_api_version(struct kvmmig_session *s, unsigned long arg)
{
	return arg ? -EINVAL : KVMMIG_API_VERSION;
}

/*
 * KVMMIG_CHECK_EXTENSION: the features' answers (0: unknown).  @s is NULL
 * on the device fd.
 */
long kvmmig_check_extension(struct kvmmig_session *s, unsigned long cap)
{
	const struct kvmmig_feature *f;
	unsigned int i, j;

	for (i = 0; i < KVMMIG_FEAT_NR; i++) {
		f = kvmmig_features[i];
		for (j = 0; j < f->nr_caps; j++) {
			if (f->caps[j].cap != cap)
				continue;
			if (f->caps[j].get)
				return f->caps[j].get(s);
			return f->caps[j].value;
		}
	}
	return 0;
}

static long kvmmig_check_extension_ioctl(struct kvmmig_session *s,
					 unsigned long cap)
{
	return kvmmig_check_extension(s, cap);
}

static long kvmmig_ioctl_info(struct kvmmig_session *s, void *arg);

/* The device fd's own ioctls. */
static const struct kvmmig_ioctl_desc kvmmig_dev_ioctls[] = {
	{ .cmd = KVMMIG_GET_API_VERSION, .fn_val = kvmmig_get_api_version,
	  .name = "KVMMIG_GET_API_VERSION" },
	{ .cmd = KVMMIG_CHECK_EXTENSION, .fn_val = kvmmig_check_extension_ioctl,
	  .name = "KVMMIG_CHECK_EXTENSION" },
	{ .cmd = KVMMIG_ATTACH_VM, KVMMIG_IOCTL_SIZES(struct kvmmig_attach),
	  .flags = KVMMIG_ATTACH_FLAGS, .fn_file = kvmmig_attach_vm,
	  .cap = KVMMIG_CAP_ATTACH_VM, .name = "KVMMIG_ATTACH_VM" },
	KVMMIG_IOCTL(KVMMIG_IOCTL_INFO, struct kvmmig_ioctl_info, 0, 0,
		     KVMMIG_CAP_IOCTL_INFO, kvmmig_ioctl_info),
};

/* The session ioctls of the core itself. */
static const struct kvmmig_ioctl_desc kvmmig_core_ioctls[] = {
	{ .cmd = KVMMIG_CHECK_EXTENSION, .fn_val = kvmmig_check_extension_ioctl,
	  .name = "KVMMIG_CHECK_EXTENSION" },
	{ .cmd = KVMMIG_GET_STATS_FD, .fn_file = kvmmig_stats_file_open,
	  .cap = KVMMIG_CAP_STATS_FD, .name = "KVMMIG_GET_STATS_FD" },
	KVMMIG_IOCTL(KVMMIG_IOCTL_INFO, struct kvmmig_ioctl_info, 0, 0,
		     KVMMIG_CAP_IOCTL_INFO, kvmmig_ioctl_info),
};

static long kvmmig_cap_max_sessions(struct kvmmig_session *s)
{
	return kvmmig_max_sessions();
}

static long kvmmig_cap_access(struct kvmmig_session *s)
{
	return s ? s->access : 1;
}

static const struct kvmmig_cap kvmmig_core_caps[] = {
	{ KVMMIG_CAP_ATTACH_VM, 1 },
	{ KVMMIG_CAP_STATS_FD, 1 },
	{ KVMMIG_CAP_SYSFS_VM, 1 },
	{ KVMMIG_CAP_IOCTL_INFO, 1 },
	{ KVMMIG_CAP_NR_ADDRESS_SPACES, KVMMIG_MAX_NR_AS },
	{ KVMMIG_CAP_MAX_SESSIONS, 0, kvmmig_cap_max_sessions },
	/* device: 1, access levels exist; session: its level */
	{ KVMMIG_CAP_ACCESS, 0, kvmmig_cap_access },
};

static const struct kvmmig_stat_def kvmmig_core_stats[] = {
	/* CLOCK_BOOTTIME of KVMMIG_ATTACH_VM */
	[KVMMIG_CORE_STAT_ATTACH_TIME_NS] = { "attach_time", KVMMIG_STAT_TIME, -9 },
	/* the VMM's address space has been torn down */
	[KVMMIG_CORE_STAT_MM_RELEASED]	  = { "mm_released", KVMMIG_STAT_BOOL },
};

const struct kvmmig_feature kvmmig_core_feature = {
	.name		= "core",
	.ioctls		= kvmmig_core_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_core_ioctls),
	.caps		= kvmmig_core_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_core_caps),
	.stats		= kvmmig_core_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_core_stats),
};

/* The session ioctl @cmd, from the features' tables. */
static const struct kvmmig_ioctl_desc *kvmmig_session_desc(unsigned int cmd)
{
	const struct kvmmig_ioctl_desc *d;
	unsigned int i;

	for (i = 0; i < KVMMIG_FEAT_NR; i++) {
		d = kvmmig_ioctl_find(kvmmig_features[i]->ioctls,
				      kvmmig_features[i]->nr_ioctls, cmd);
		if (d)
			return d;
	}
	return NULL;
}

/* 0 when @s may run @d from the current task, else -EPERM. */
static int kvmmig_ioctl_allowed(struct kvmmig_session *s,
				const struct kvmmig_ioctl_desc *d)
{
	if (d->need & KVMMIG_NEED_FULL_SESSION && s->access != KVMMIG_ACCESS_FULL)
		return -EPERM;
	if (d->need & KVMMIG_NEED_VMM_MM && current->mm != s->mm)
		return -EPERM;
	return 0;
}

static long kvmmig_ioctl_info(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_ioctl_info *a = arg;
	const struct kvmmig_ioctl_desc *d = NULL;

	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (!s)
		d = kvmmig_ioctl_find(kvmmig_dev_ioctls,
				      ARRAY_SIZE(kvmmig_dev_ioctls), a->cmd);
	if (!d)
		d = kvmmig_session_desc(a->cmd);
	if (!d)
		return -ENOENT;
	a->need = d->need;
	a->struct_size = d->size;
	a->struct_size_min = d->size_ver0;
	a->valid_flags = d->flags;
	a->cap = d->cap;
	a->usable = !s || !kvmmig_ioctl_allowed(s, d);
	return 0;
}

/* An ioctl that opens a file: installed only once the caller has its answer. */
static long kvmmig_ioctl_file(struct kvmmig_session *s,
			      const struct kvmmig_ioctl_desc *d,
			      void __user *uarg, void *karg, u32 osize)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = d->fn_file(s, karg);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	if (osize && copy_to_user(uarg, karg, osize)) {
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return fd;
}

/**
 * kvmmig_ioctl() - run an ioctl of the device fd (@s NULL) or a session fd
 * @s: the session, or NULL for /dev/kvmmig
 * @cmd: the ioctl number
 * @arg: its argument
 *
 * Return: what the handler returns; -ENOTTY for an unknown ioctl, -EPERM
 * when the caller may not run it, -EFAULT, -EINVAL or -E2BIG for an
 * argument structure that cannot be read, is too small, carries an
 * unknown flag, or has non-zero bytes beyond what this kernel knows.
 */
long kvmmig_ioctl(struct kvmmig_session *s, unsigned int cmd,
		  unsigned long arg)
{
	u64 kbuf[KVMMIG_IOCTL_MAX_SIZE / sizeof(u64)];
	const struct kvmmig_ioctl_desc *d;
	void __user *uarg = (void __user *)arg;
	u32 usize, osize = 0;
	long ret;

	if (s)
		d = kvmmig_session_desc(cmd);
	else
		d = kvmmig_ioctl_find(kvmmig_dev_ioctls,
				      ARRAY_SIZE(kvmmig_dev_ioctls), cmd);
	if (!d)
		return -ENOTTY;
	if (s) {
		ret = kvmmig_ioctl_allowed(s, d);
		if (ret)
			return ret;
	}
	if (d->fn_val)
		return d->fn_val(s, arg);
	if (!d->size)
		return kvmmig_ioctl_file(s, d, NULL, NULL, 0);

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	ret = kvmmig_ioctl_check_size(d, usize);
	if (ret)
		return ret;
	ret = copy_struct_from_user(kbuf, d->size, uarg, usize);
	if (ret)
		return ret;
	ret = kvmmig_ioctl_check_flags(d, kbuf);
	if (ret)
		return ret;
	if (_IOC_DIR(d->cmd) & _IOC_READ) {
		osize = min_t(u32, usize, d->size);
		/* an unwritable structure fails before anything is done */
		if (copy_to_user(uarg, kbuf, osize))
			return -EFAULT;
	}
	if (d->fn_file)
		return kvmmig_ioctl_file(s, d, uarg, kbuf, osize);

	ret = d->fn(s, kbuf);
	if (osize && copy_to_user(uarg, kbuf, osize) && ret >= 0)
		ret = -EFAULT;
	return ret;
}

/* Every table entry the dispatcher will serve, checked once at load. */
int kvmmig_ioctl_init(void)
{
	const struct kvmmig_feature *f;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(kvmmig_dev_ioctls); i++)
		if (WARN_ON(kvmmig_ioctl_desc_valid(&kvmmig_dev_ioctls[i])))
			return -EINVAL;
	for (i = 0; i < KVMMIG_FEAT_NR; i++) {
		f = kvmmig_features[i];
		for (j = 0; j < f->nr_ioctls; j++) {
			if (WARN(kvmmig_ioctl_desc_valid(&f->ioctls[j]) ||
				 kvmmig_session_desc(f->ioctls[j].cmd) != &f->ioctls[j],
				 "kvmmig: %s: bad or duplicate %s\n", f->name,
				 f->ioctls[j].name))
				return -EINVAL;
		}
	}
	return 0;
}
