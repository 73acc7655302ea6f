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

#define KVMMIG_STAT_TIME (KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_SECONDS | \
			 KVM_STATS_BASE_POW10)
#define KVMMIG_STAT_VAL	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE)
#define KVMMIG_STAT_CNT	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE)
#define KVMMIG_STAT_BOOL (KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN)

static const struct kvmmig_stat_def kvmmig_stat_defs[KVMMIG_STAT_NR] = {
	/* CLOCK_BOOTTIME of KVMMIG_ATTACH_VM */
	[KVMMIG_STAT_ATTACH_TIME_NS]	 = { "attach_time", KVMMIG_STAT_TIME, -9 },
	/* generation returned by the last KVMMIG_GET_MEMSLOTS */
	[KVMMIG_STAT_MEMSLOT_GENERATION] = { "memslot_generation", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_GET_MEMSLOTS]	 = { "get_memslots", KVMMIG_STAT_CNT },
	/* the VMM's address space has been torn down */
	[KVMMIG_STAT_MM_RELEASED]	 = { "mm_released", KVMMIG_STAT_BOOL },
	/* page temperature (mm/temperature.c) */
	[KVMMIG_STAT_SCAN_PASSES]	 = { "scan_passes", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SCAN_REGIONS]	 = { "scan_regions", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SCAN_REGIONS_ACCESSED] = { "scan_regions_accessed", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SCAN_PAGES_TESTED]	 = { "scan_pages_tested", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SCAN_LAST_PASS_NS]	 = { "scan_last_pass", KVMMIG_STAT_TIME, -9 },
	[KVMMIG_STAT_SCAN_HOT_PAGES]	 = { "scan_hot_pages", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_SCAN_TLB_FLUSHES]	 = { "scan_tlb_flushes", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SCAN_PERIOD_MS]	 = { "scan_period", KVMMIG_STAT_TIME, -3 },
	/* pre-copy (migrate/, mm/content.c, hint/, sched/) */
	[KVMMIG_STAT_DIRTY_RATE]	 = { "dirty_rate", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_SEND_ORDER_CALLS]	 = { "send_order_calls", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SEND_ORDER_PAGES]	 = { "send_order_pages", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_SEND_ORDER_FREE]	 = { "send_order_free_skipped", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_PAGES]	 = { "classify_pages", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_ZERO]	 = { "classify_zero", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_PATTERN]	 = { "classify_pattern", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_DUP]	 = { "classify_dup", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_DATA]	 = { "classify_data", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_FREE_HINTED]	 = { "free_hinted_pages", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_FREE_HINTS_DROPPED] = { "free_hints_dropped", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_MIGRATIONS]	 = { "migrations", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_THROTTLE_PCT]	 = { "throttle_pct", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_THROTTLE_DECISIONS] = { "throttle_decisions", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_STUN_SLICES]	 = { "stun_slices", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_STUN_NS]		 = { "stun_time", KVMMIG_STAT_TIME, -9 },
	[KVMMIG_STAT_FAULTS_RECORDED]	 = { "faults_recorded", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_PREFETCH_CALLS]	 = { "prefetch_calls", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_PREFETCH_ISSUED]	 = { "prefetch_issued", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_PREFETCH_USED]	 = { "prefetch_used", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_BUILDS]	 = { "rindex_builds", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_HITS]	 = { "rindex_hits", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_DROPS_TEARDOWN] = { "rindex_drops_teardown", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_DROPS_STALE] = { "rindex_drops_stale", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_WS_EXPORTS]	 = { "ws_exports", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_WS_PAGES]		 = { "ws_pages", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_FILL_FLAGGED]	 = { "fill_flagged", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_FILL_UNFLAGGED]	 = { "fill_unflagged", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_FILL_DONE]		 = { "fill_done", KVMMIG_STAT_CNT },
};

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
	u64 *data = (u64 *)(sf->image + kvmmig_stats_data_offset(KVMMIG_STAT_NR));
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
	for (i = 0; i < KVMMIG_STAT_NR; i++)
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

int kvmmig_stats_fd_create(struct kvmmig_session *s)
{
	size_t size = kvmmig_stats_image_size(KVMMIG_STAT_NR);
	struct kvmmig_stats_file *sf;
	char id[KVMMIG_STATS_NAME_SIZE];
	struct file *file;
	int fd, ret;

	sf = kzalloc(struct_size(sf, image, size), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	snprintf(id, sizeof(id), "kvmmig-%u", s->id);
	ret = kvmmig_stats_fill_prefix(sf->image, size, id, kvmmig_stat_defs,
				       KVMMIG_STAT_NR);
	if (ret)
		goto err_free;
	sf->size = size;
	sf->s = s;
	mutex_init(&sf->lock);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_free;
	}
	file = anon_inode_getfile("kvmmig-stats", &kvmmig_stats_fops, sf,
				  O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto err_free;
	}
	kref_get(&s->kref);
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;

err_free:
	kfree(sf);
	return ret;
}
