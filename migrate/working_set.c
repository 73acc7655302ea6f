// SPDX-License-Identifier: GPL-2.0
/*
 * KVMMIG_GET_WORKING_SET: the frames to load first on restore, the
 * kernel glue around the pure logic of migrate/working_set_logic.c.
 *
 * The set is the frames of address space 0's user memslots whose
 * temperature level is at least @min_level, plus, with KVMMIG_WS_FAULTED,
 * the frames of the vCPUs' recent fault records that lie in those
 * memslots.  It is produced in ascending order without duplicates.
 *
 * Guest memory can be large, so nothing is held whole: the memslots are
 * walked in chunks of KVMMIG_WS_CHUNK frames (each chunk found afresh
 * under kvm->srcu from a cursor, so a memslot change between chunks is
 * seen, never followed into freed memory), each chunk's levels come from
 * kvmmig_scan_get_levels() (never scanned is cold) and the frames are
 * staged in a buffer of KVMMIG_WS_BUF frames on their way to the user.
 * The fault records are at most KVMMIG_FAULTS_PER_VCPU per vCPU.
 *
 * The set goes out as runs of consecutive frames (struct
 * kvmmig_gfn_range).  Two passes: count, then write.  When the count of
 * runs exceeds @max_runs the call fails with -E2BIG having written
 * nothing but @nr_runs and @nr_pages.  The scanner may change levels
 * between the passes: if the write pass finds more runs than @max_runs it
 * stops at the limit and the call starts over (a few times), then fails
 * with -EAGAIN; a set that shrank is simply returned as written.
 * @nr_pages, @nr_hot and @nr_faulted describe what was written.
 *
 * Locking: no kvmmig lock is held across the call.  The fault records
 * are copied once, first, by kvmmig_faults_snapshot() (which takes
 * s->lock).  kvm->srcu is held while one chunk is looked up, scan.lock
 * (inside kvmmig_scan_get_levels()) while its levels are read; none is
 * held across a user copy or while another is taken.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmmig/gmem.h>
#include <kvmmig/core.h>
#include <kvmmig/working_set.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/faults.h>
#include <kvmmig/temperature.h>

/* Counters of the feature in the stats fd */
enum kvmmig_working_set_stat {
	KVMMIG_STAT_WS_EXPORTS,
	KVMMIG_STAT_WS_PAGES,
};

/* Frames per chunk: 64 KiB of levels. */
#define KVMMIG_WS_CHUNK		(64 * 1024)
/* Frames staged before a copy to the user: 32 KiB. */
#define KVMMIG_WS_BUF		4096
#define KVMMIG_WS_TRIES		3

/**
 * struct kvmmig_ws_call - the state of one KVMMIG_GET_WORKING_SET call
 * @s: the session
 * @a: the argument
 * @faulted: the recently faulted frames (with KVMMIG_WS_FAULTED)
 * @levels: one chunk's temperature levels
 * @written: some frames were copied to the user
 */
struct kvmmig_ws_call {
	struct kvmmig_session *s;
	struct kvmmig_working_set *a;
	struct kvmmig_ws_faulted faulted;
	u8 *levels;
	bool written;
};

/*
 * The first chunk at or after frame @cursor: up to KVMMIG_WS_CHUNK frames
 * of one user memslot of address space 0.  Return: false when none is left.
 */
static bool kvmmig_ws_next_chunk(struct kvm *kvm, u64 cursor, u64 *base,
				 u32 *n)
{
	struct kvm_memslot_iter iter;
	struct kvm_memslots *slots;
	bool found = false;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	slots = __kvm_memslots(kvm, 0);
	kvm_for_each_memslot_in_gfn_range(&iter, slots, cursor, U64_MAX) {
		struct kvm_memory_slot *m = iter.slot;
		u64 lo = max_t(u64, cursor, m->base_gfn);
		u64 hi = m->base_gfn + m->npages;

		if (!kvmmig_memslot_usable(m) || lo >= hi)
			continue;
		*base = lo;
		*n = min_t(u64, hi - lo, KVMMIG_WS_CHUNK);
		found = true;
		break;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return found;
}

/* @n words at word @index of the output (runs of two words) */
static int kvmmig_ws_flush_user(void *ctx, u64 index, const u64 *words, u32 n)
{
	struct kvmmig_ws_call *c = ctx;

	c->written = true;
	if (copy_to_user(u64_to_user_ptr(c->a->runs_ptr + index * sizeof(u64)),
			 words, n * sizeof(u64)))
		return -EFAULT;
	return 0;
}

/* One pass over every chunk into @o. */
static int kvmmig_ws_pass(struct kvmmig_ws_call *c, struct kvmmig_ws_out *o)
{
	bool temp = c->a->min_level < KVMMIG_TEMP_NR_LEVELS;
	struct kvmmig_ws_faulted *f = NULL;
	u64 cursor = 0, base;
	int ret;
	u32 n;

	if (c->a->flags & KVMMIG_WS_FAULTED) {
		c->faulted.next = 0;
		f = &c->faulted;
	}
	while (kvmmig_ws_next_chunk(c->s->kvm, cursor, &base, &n)) {
		if (temp && kvmmig_scan_get_levels(c->s, base, n, c->levels))
			return -EINTR;
		ret = kvmmig_ws_merge_chunk(o, f, base, temp ? c->levels : NULL,
					    n, c->a->min_level);
		if (ret)
			return ret;
		cursor = base + n;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return kvmmig_ws_out_finish(o);
}

/* The sorted, unique frames of the vCPUs' fault records, in @c->faulted. */
static int kvmmig_ws_get_faulted(struct kvmmig_ws_call *c)
{
	u32 max = KVMMIG_FAULTS_PER_VCPU *
		  (u32)atomic_read(&c->s->kvm->online_vcpus);
	struct kvmmig_fault_record *rec;
	u64 *gfns;
	u32 n;

	if (!max)
		return 0;
	rec = kvmalloc_array(max, sizeof(*rec), GFP_KERNEL);
	gfns = kvmalloc_array(max, sizeof(*gfns), GFP_KERNEL);
	if (!rec || !gfns) {
		kvfree(rec);
		kvfree(gfns);
		return -ENOMEM;
	}
	n = kvmmig_faults_snapshot(c->s, rec, max);
	n = kvmmig_ws_fault_gfns(rec, min(n, max), gfns);
	kvfree(rec);
	c->faulted.gfns = gfns;
	c->faulted.n = kvmmig_ws_sort_unique(gfns, n);
	return 0;
}

/**
 * kvmmig_ioctl_get_working_set() - KVMMIG_GET_WORKING_SET
 * @s: the session
 * @arg: the kernel's copy of the caller's struct kvmmig_working_set
 *
 * Return: 0; -E2BIG with only @nr_runs and @nr_pages written when the set
 * has more runs than @max_runs; -EAGAIN when it grew past @max_runs while
 * being written;
 * -EINVAL, -EFAULT, -ENOMEM, or -EINTR when killed.
 */
static long kvmmig_ioctl_get_working_set(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_working_set *a = arg;
	struct kvmmig_ws_call c = { .s = s };
	struct kvmmig_ws_out o;
	u64 *buf = NULL;
	int tries, ret;

	ret = kvmmig_check_working_set(a);
	if (ret)
		return ret;
	c.a = a;
	if (a->flags & KVMMIG_WS_FAULTED) {
		ret = kvmmig_ws_get_faulted(&c);
		if (ret)
			return ret;
	}
	c.levels = kvmalloc(KVMMIG_WS_CHUNK, GFP_KERNEL);
	buf = kmalloc_array(KVMMIG_WS_BUF, sizeof(*buf), GFP_KERNEL);
	if (!c.levels || !buf) {
		ret = -ENOMEM;
		goto out;
	}

	for (tries = 0; tries < KVMMIG_WS_TRIES; tries++) {
		kvmmig_ws_out_init(&o, false, 0, NULL, 0);
		ret = kvmmig_ws_pass(&c, &o);
		if (ret)
			break;
		if (o.nr_runs > a->max_runs) {
			ret = c.written ? -EAGAIN : -E2BIG;
			break;
		}
		kvmmig_ws_out_init(&o, true, a->max_runs, buf, KVMMIG_WS_BUF);
		o.flush = kvmmig_ws_flush_user;
		o.ctx = &c;
		ret = kvmmig_ws_pass(&c, &o);
		if (ret != -EOVERFLOW)
			break;
		ret = -EAGAIN;
	}
	if (ret == -E2BIG) {
		/* the size needed */
		a->nr_pages = o.total;
		a->nr_runs = o.nr_runs;
		goto out;
	}
	if (ret)
		goto out;

	a->nr_pages = o.total;
	a->nr_hot = o.nr_hot;
	a->nr_faulted = o.nr_faulted;
	a->nr_runs = o.nr_runs;
	kvmmig_stat_add(s, KVMMIG_FEAT_WORKING_SET, KVMMIG_STAT_WS_EXPORTS, 1);
	kvmmig_stat_set(s, KVMMIG_FEAT_WORKING_SET, KVMMIG_STAT_WS_PAGES, o.total);
out:
	kfree(buf);
	kvfree(c.levels);
	kvfree(c.faulted.gfns);
	return ret;
}

static long kvmmig_ioctl_working_set_vm(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_session *src = kvmmig_temperature_source(s);
	long ret = kvmmig_ioctl_get_working_set(src, arg);

	if (src != s)
		kvmmig_session_put(src);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_working_set_stats[] = {
	[KVMMIG_STAT_WS_EXPORTS] = { "ws_exports", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_WS_PAGES] = { "ws_pages", KVMMIG_STAT_VAL },
};

static const struct kvmmig_ioctl_desc kvmmig_working_set_ioctls[] = {
	/* the VM's temperature, as GET_TEMPERATURE */
	KVMMIG_IOCTL(KVMMIG_GET_WORKING_SET, struct kvmmig_working_set, KVMMIG_WS_FLAGS,
		     0, KVMMIG_CAP_WORKING_SET, kvmmig_ioctl_working_set_vm),
};

static const struct kvmmig_cap kvmmig_working_set_caps[] = {
	{ KVMMIG_CAP_WORKING_SET, 1 },
};

const struct kvmmig_feature kvmmig_working_set_feature = {
	.name		= "working_set",
	.ioctls		= kvmmig_working_set_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_working_set_ioctls),
	.caps		= kvmmig_working_set_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_working_set_caps),
	.stats		= kvmmig_working_set_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_working_set_stats),
};
