// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl table's pure logic: see include/kvmmig/ioctl.h.
 *
 * Structures follow copy_struct_from_user(): @size is the caller's size.
 * A caller built against an older header passes a smaller structure
 * (never smaller than the first version, the structure without its
 * reserved tail) and the kernel reads the missing part as zero; a caller
 * built against a newer header passes a larger one, accepted when every
 * byte this kernel does not know is zero (-E2BIG otherwise).  The ioctl
 * number's size bits are therefore not compared: an older or newer caller
 * encodes another size in it.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/ioctl.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <kvmmig/ioctl.h>

#define KVMMIG_IOC_NO_SIZE	(~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

bool kvmmig_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* Same type, number and direction: the size bits are the caller's. */
bool kvmmig_ioctl_same(unsigned int a, unsigned int b)
{
	return (a & KVMMIG_IOC_NO_SIZE) == (b & KVMMIG_IOC_NO_SIZE);
}

const struct kvmmig_ioctl_desc *
kvmmig_ioctl_find(const struct kvmmig_ioctl_desc *v, unsigned int n,
		  unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (kvmmig_ioctl_same(v[i].cmd, cmd))
			return &v[i];
	return NULL;
}

/*
 * A description the dispatcher can serve: exactly one handler, of the
 * kind its argument needs, a structure the dispatcher can hold that
 * begins with @size and @flags, and a first version inside it.
 */
int kvmmig_ioctl_desc_valid(const struct kvmmig_ioctl_desc *d)
{
	int handlers = !!d->fn + !!d->fn_val + !!d->fn_file;

	if (handlers != 1 || !d->name)
		return -EINVAL;
	if (d->fn_val)
		return d->size ? -EINVAL : 0;
	if (d->fn && !d->size)
		return -EINVAL;
	if (!d->size)
		return d->flags ? -EINVAL : 0;
	if (d->size > KVMMIG_IOCTL_MAX_SIZE || d->size % 8 ||
	    d->size_ver0 < 2 * sizeof(u32) || d->size_ver0 > d->size ||
	    _IOC_SIZE(d->cmd) != d->size || !(_IOC_DIR(d->cmd) & _IOC_WRITE))
		return -EINVAL;
	return 0;
}

/* A caller's @size: at least the first version, at most a page. */
int kvmmig_ioctl_check_size(const struct kvmmig_ioctl_desc *d, u32 usize)
{
	if (usize < d->size_ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return 0;
}

/* Every structure has u32 @size, u32 @flags first. */
int kvmmig_ioctl_check_flags(const struct kvmmig_ioctl_desc *d,
			     const void *karg)
{
	const u32 *hdr = karg;

	return hdr[1] & ~d->flags ? -EINVAL : 0;
}
