// SPDX-License-Identifier: GPL-2.0
/*
 * Binary stats image in KVM's format (pure logic; see include/kvmmig/stats.h).
 * Userspace parsers written for KVM's stats fds (QEMU's query-stats,
 * kvm_binary_stats_test) read kvmmig's without change.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/kvm.h>
#include <kvmmig/stats.h>

/*
 * A descriptor is its fixed part plus name_size bytes of name.  The fixed
 * part is offsetof(name): in newer kernels (6.12 here) the kernel's own view
 * of the struct (under __KERNEL__) declares name[KVM_STATS_NAME_SIZE], so
 * sizeof() would count the name twice.
 */
static size_t kvmmig_stats_desc_size(void)
{
	return offsetof(struct kvm_stats_desc, name) + KVMMIG_STATS_NAME_SIZE;
}

size_t kvmmig_stats_data_offset(u32 nr_stats)
{
	return sizeof(struct kvm_stats_header) + KVMMIG_STATS_NAME_SIZE +
	       (size_t)nr_stats * kvmmig_stats_desc_size();
}

size_t kvmmig_stats_image_size(u32 nr_stats)
{
	return kvmmig_stats_data_offset(nr_stats) + (size_t)nr_stats * sizeof(u64);
}

/*
 * Write header, id and descriptors; the data block is left zeroed for the
 * caller to fill with a snapshot on every read.  Returns 0, or -EINVAL when
 * the image is too small or a name or the id does not fit.
 */
int kvmmig_stats_fill_prefix(void *image, size_t image_size, const char *id,
			     const struct kvmmig_stat_def *defs, u32 nr_stats)
{
	struct kvm_stats_header *hdr = image;
	u8 *p = image;
	u32 i;

	if (image_size < kvmmig_stats_image_size(nr_stats))
		return -EINVAL;
	if (strlen(id) >= KVMMIG_STATS_NAME_SIZE)
		return -EINVAL;

	memset(image, 0, image_size);
	hdr->flags = 0;
	hdr->name_size = KVMMIG_STATS_NAME_SIZE;
	hdr->num_desc = nr_stats;
	hdr->id_offset = sizeof(*hdr);
	hdr->desc_offset = hdr->id_offset + KVMMIG_STATS_NAME_SIZE;
	hdr->data_offset = kvmmig_stats_data_offset(nr_stats);
	strscpy(p + hdr->id_offset, id, KVMMIG_STATS_NAME_SIZE);

	for (i = 0; i < nr_stats; i++) {
		struct kvm_stats_desc *d;

		d = (void *)(p + hdr->desc_offset + i * kvmmig_stats_desc_size());
		if (strlen(defs[i].name) >= KVMMIG_STATS_NAME_SIZE)
			return -EINVAL;
		d->flags = defs[i].flags;
		d->exponent = defs[i].exponent;
		d->size = 1;
		d->offset = i * sizeof(u64);
		d->bucket_size = 0;
		strscpy(d->name, defs[i].name, KVMMIG_STATS_NAME_SIZE);
	}
	return 0;
}
