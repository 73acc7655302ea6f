// SPDX-License-Identifier: GPL-2.0
/*
 * The session's binary stats fd, in KVM's format (KVM_GET_STATS_FD).
 * The header, id and descriptors are built once per fd; each read
 * snapshots the counters into the data block.  The fd holds a reference
 * on the session structure, so it stays readable after detach.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <kvmmig/core.h>
#include <kvmmig/stats.h>

unsigned int kvmmig_stat_base[KVMMIG_FEAT_NR];
unsigned int kvmmig_nr_stats;
/* every feature's counters, feature after feature: the fd's descriptors */
static struct kvmmig_stat_def *kvmmig_stat_defs;

int kvmmig_stats_init(void)
{
	const struct kvmmig_feature *f;
	unsigned int i, n = 0;

	for (i = 0; i < KVMMIG_FEAT_NR; i++) {
		kvmmig_stat_base[i] = n;
		n += kvmmig_features[i]->nr_stats;
	}
	kvmmig_stat_defs = kcalloc(n, sizeof(*kvmmig_stat_defs), GFP_KERNEL);
	if (!kvmmig_stat_defs)
		return -ENOMEM;
	for (i = 0; i < KVMMIG_FEAT_NR; i++) {
		f = kvmmig_features[i];
		memcpy(&kvmmig_stat_defs[kvmmig_stat_base[i]], f->stats,
		       f->nr_stats * sizeof(*f->stats));
	}
	kvmmig_nr_stats = n;
	return 0;
}

void kvmmig_stats_exit(void)
{
	kfree(kvmmig_stat_defs);
}

struct kvmmig_stats_file {
	struct kvmmig_session *s;
	struct mutex lock;	/* serialises snapshots into @image */
	size_t size;
	u8 image[];
};

static ssize_t kvmmig_stats_read(struct file *filp, char __user *buf,
				 size_t count, loff_t *ppos)
{
	struct kvmmig_stats_file *sf = filp->private_data;
	u64 *data = (u64 *)(sf->image + kvmmig_stats_data_offset(kvmmig_nr_stats));
	ssize_t ret;
	u8 *snap;
	int i;

	/* copied out from a private snapshot: no lock across user memory */
	snap = kvmalloc(sf->size, GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	ret = mutex_lock_killable(&sf->lock);
	if (ret)
		goto out;
	for (i = 0; i < kvmmig_nr_stats; i++)
		data[i] = atomic64_read(&sf->s->stats[i]);
	memcpy(snap, sf->image, sf->size);
	mutex_unlock(&sf->lock);
	ret = simple_read_from_buffer(buf, count, ppos, snap, sf->size);
out:
	kvfree(snap);
	return ret;
}

static int kvmmig_stats_release(struct inode *inode, struct file *filp)
{
	struct kvmmig_stats_file *sf = filp->private_data;

	kvmmig_session_put(sf->s);
	mutex_destroy(&sf->lock);
	kfree(sf);
	return 0;
}

static const struct file_operations kvmmig_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= kvmmig_stats_read,
	.release	= kvmmig_stats_release,
	.llseek		= noop_llseek,
};

/* KVMMIG_GET_STATS_FD: the file, installed by the dispatcher */
struct file *kvmmig_stats_file_open(struct kvmmig_session *s, void *unused)
{
	size_t size = kvmmig_stats_image_size(kvmmig_nr_stats);
	struct kvmmig_stats_file *sf;
	char id[KVMMIG_STATS_NAME_SIZE];
	struct file *file;
	int ret;

	sf = kzalloc(struct_size(sf, image, size), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return ERR_PTR(-ENOMEM);
	snprintf(id, sizeof(id), "kvmmig-%u", s->id);
	ret = kvmmig_stats_fill_prefix(sf->image, size, id, kvmmig_stat_defs,
				       kvmmig_nr_stats);
	if (ret)
		goto err_free;
	sf->size = size;
	sf->s = s;
	mutex_init(&sf->lock);

	file = anon_inode_getfile("kvmmig-stats", &kvmmig_stats_fops, sf,
				  O_RDONLY);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_free;
	}
	kref_get(&s->kref);
	file->f_mode |= FMODE_PREAD;
	return file;

err_free:
	kfree(sf);
	return ERR_PTR(ret);
}
