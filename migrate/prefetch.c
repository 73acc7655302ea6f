// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-virtual neighbour prefetch with per-address-space reverse
 * indexes GPA -> GVA and their teardown detection: the kernel glue
 * around mm/guest_pt_logic.c (the walker) and migrate/prefetch_logic.c (index, judge, list
 * order).  Documentation/postcopy.rst has the design.
 *
 * Guest memory is read with kvmmig_gmem_read() (mm/gmem.c): through the
 * VMM's page tables under their locks, never faulting or allocating, with
 * no user copy; a page the VMM has not populated yet (userfaultfd MISSING
 * during post-copy) is an error, never a fault: it ends one translation,
 * or reads as not-present entries while an index is built or a window is
 * walked.
 *
 * Lock order:
 *   pf->lock (mutex, taken killable: the index cache, builds,
 *	re-validation; held twice per KVMMIG_PREFETCH call, to find the
 *	window and for the bookkeeping, never across a user copy: the VMM's
 *	bitmap is read and the results written in between, with no lock)
 *     -> kvm->srcu (read side, around each frame's memslot look-up), then
 *	the VMM's mmap_lock and a page-table lock (each guest-memory read)
 *     -> pf->issued's xa_lock (spinlock, innermost; also taken by
 *	kvmmig_prefetch_note_fault() on vCPU threads, preemption off)
 * kvmmig_faults_snapshot() (it takes session->lock) is called before
 * pf->lock, never under it; nothing here changes session state.
 */

#include <linux/kvm_host.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <kvmmig/gmem.h>
#include <kvmmig/guest_pt.h>
#include <kvmmig/core.h>
#include <kvmmig/prefetch.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/faults.h>

/* Counters of the feature in the stats fd */
enum kvmmig_prefetch_stat {
	KVMMIG_STAT_PREFETCH_CALLS,
	KVMMIG_STAT_PREFETCH_ISSUED,
	KVMMIG_STAT_PREFETCH_USED,
	KVMMIG_STAT_RINDEX_BUILDS,
	KVMMIG_STAT_RINDEX_HITS,
	KVMMIG_STAT_RINDEX_DROPS_TEARDOWN,
	KVMMIG_STAT_RINDEX_DROPS_STALE,
};

static struct kvmmig_param_uint prefetch_window = {
	.val = 16, .min = 1, .max = KVMMIG_PREFETCH_MAX_WINDOW,
};
module_param_cb(prefetch_window, &kvmmig_param_uint_ops, &prefetch_window,
		0644);
MODULE_PARM_DESC(prefetch_window,
		 "KVMMIG_PREFETCH: guest-virtual pages each side of a fault when the call gives no window [1..1024, default 16]");

static struct kvmmig_param_uint rindex_max_spaces = {
	.val = 8, .min = 1, .max = 64,
};
module_param_cb(rindex_max_spaces, &kvmmig_param_uint_ops, &rindex_max_spaces,
		0644);
MODULE_PARM_DESC(rindex_max_spaces,
		 "Reverse indexes (guest address spaces) cached per session, least recently used dropped first [1..64, default 8]");

static struct kvmmig_param_uint rindex_max_extents = {
	.val = 16384, .min = 64, .max = 1 << 20,
};
module_param_cb(rindex_max_extents, &kvmmig_param_uint_ops,
		&rindex_max_extents, 0644);
MODULE_PARM_DESC(rindex_max_extents,
		 "Extents (runs contiguous in both spaces) one reverse index holds; more mappings are left out [64..1048576, default 16384]");

static struct kvmmig_param_uint rindex_rebuild_ms = {
	.val = 100, .min = 0, .max = 60000,
};
module_param_cb(rindex_rebuild_ms, &kvmmig_param_uint_ops, &rindex_rebuild_ms,
		0644);
MODULE_PARM_DESC(rindex_rebuild_ms,
		 "Least time between two builds of one address space's reverse index after a miss or a stale hit [0..60000, default 100]");

static struct kvmmig_param_uint rindex_teardown_run = {
	.val = 8, .min = 1, .max = 4096,
};
module_param_cb(rindex_teardown_run, &kvmmig_param_uint_ops,
		&rindex_teardown_run, 0644);
MODULE_PARM_DESC(rindex_teardown_run,
		 "sampled mappings in a row found not present that mark an address space torn down [1..4096, default 8]");

static struct kvmmig_param_uint rindex_samples = {
	.val = 32, .min = 0, .max = 4096,
};
module_param_cb(rindex_samples, &kvmmig_param_uint_ops, &rindex_samples,
		0644);
MODULE_PARM_DESC(rindex_samples,
		 "mappings of one cached index re-read per KVMMIG_PREFETCH call, round-robin over the indexes; 0 turns address-space teardown detection off [0..4096, default 32]");

/* Entries one build step reads before it may reschedule. */
#define PF_WALK_CHUNK		4096
/* Entries a build reads at most, per extent it may hold. */
#define PF_WALK_PER_EXTENT	64
/* Prefetched frames remembered for prefetch_used, per session. */
#define PF_ISSUED_MAX		65536
/* Fault records looked at for the newest one of a frame. */
#define PF_RECORDS_MAX		4096

/**
 * struct kvmmig_rx_space - the cached reverse index of one address space
 * @lru: entry in &kvmmig_prefetch_ctx.spaces, most recently used first
 * @root: the CR3 with its non-address bits cleared: the key, with @mode
 * @cr3: the CR3 it was created for
 * @mode: an &enum kvmmig_gpt_mode
 * @built_ns: ktime_get_ns() of the last build, 0 for none
 * @checked: &kvmmig_prefetch_ctx.checks when teardown detection last sampled it
 * @valid: @ri is finished and usable; false after a stale drop (the entry
 *	stays for the rebuild rate bound)
 * @ri: the index
 */
struct kvmmig_rx_space {
	struct list_head lru;
	u64 root;
	u64 cr3;
	u32 mode;
	u64 built_ns;
	u64 checked;
	bool valid;
	struct kvmmig_rindex ri;
};

/**
 * struct kvmmig_prefetch_ctx - a session's prefetch state
 * @lock: see the lock order above
 * @spaces: cached indexes, most recently used first
 * @nr_spaces: entries in @spaces
 * @checks: teardown re-validations done: the clock of &kvmmig_rx_space.checked
 * @records_ns: time of the newest fault record accounted for by
 *	pf_account_gva_records()
 * @issued: frames prefetched and not faulted on yet (value entries)
 * @nr_issued: entries in @issued, about
 */
struct kvmmig_prefetch_ctx {
	struct mutex lock;	/* see above */
	struct list_head spaces;
	u32 nr_spaces;
	u64 checks;
	u64 records_ns;
	struct xarray issued;
	atomic_t nr_issued;
};

/* The reader's context: which VM; missing pages as zeroes or errors. */
struct pf_reader {
	struct kvm *kvm;
	struct mm_struct *mm;
	bool zero_missing;
};

static int pf_read(void *ctx, u64 gpa, void *buf, u32 len)
{
	struct pf_reader *rd = ctx;
	int ret;

	ret = kvmmig_gmem_read(rd->kvm, rd->mm, gpa, buf, len);
	if (ret == -EFAULT && rd->zero_missing) {
		memset(buf, 0, len);	/* entries of a table not held yet */
		ret = 0;
	}
	return ret;
}

static bool pf_in_memory(struct kvm *kvm, u64 gpa)
{
	unsigned long hva;

	return kvmmig_gfn_hva(kvm, gpa >> PAGE_SHIFT, &hva);
}

static u64 pf_root(u32 mode, u64 cr3)
{
	return mode == KVMMIG_GPT_PAE ? cr3 & GENMASK_ULL(31, 5) :
					cr3 & GENMASK_ULL(51, 12);
}

static void pf_walker(struct kvmmig_session *s, struct kvmmig_gpt *w,
		      struct pf_reader *rd, u32 mode, u64 cr3,
		      bool zero_missing)
{
	rd->kvm = s->kvm;
	rd->mm = s->mm;
	rd->zero_missing = zero_missing;
	kvmmig_gpt_init(w, mode, cr3, 0, pf_read, rd);
}

/**
 * kvmmig_prefetch_init - allocate a session's prefetch state
 * @s: the session
 *
 * Return: 0 or -ENOMEM.
 */
static int kvmmig_prefetch_init(struct kvmmig_session *s)
{
	struct kvmmig_prefetch_ctx *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	INIT_LIST_HEAD(&pf->spaces);
	xa_init(&pf->issued);
	WRITE_ONCE(s->priv[KVMMIG_FEAT_PREFETCH], pf);
	return 0;
}

static void pf_space_free(struct kvmmig_prefetch_ctx *pf,
			  struct kvmmig_rx_space *sp)
{
	list_del(&sp->lru);
	pf->nr_spaces--;
	kvmmig_rindex_free(&sp->ri);
	kfree(sp);
}

/**
 * kvmmig_prefetch_destroy - free a session's prefetch state
 * @s: the session, whose fault probe is gone (kvmmig_faults_stop())
 */
static void kvmmig_prefetch_destroy(struct kvmmig_session *s)
{
	struct kvmmig_prefetch_ctx *pf = kvmmig_prefetch(s);
	struct kvmmig_rx_space *sp, *tmp;

	if (!pf)
		return;
	list_for_each_entry_safe(sp, tmp, &pf->spaces, lru)
		pf_space_free(pf, sp);
	xa_destroy(&pf->issued);
	mutex_destroy(&pf->lock);
	s->priv[KVMMIG_FEAT_PREFETCH] = NULL;
	kfree(pf);
}

/**
 * kvmmig_prefetch_note_fault - a fault on @gfn: count it used if prefetched
 * @s: the session
 * @gfn: the faulting guest frame
 *
 * Called by the kvm_page_fault probe on the vCPU thread, preemption off,
 * under rcu_read_lock(): must not sleep or allocate with GFP_KERNEL.  Takes
 * the xarray's spinlock only; allocates nothing.  A frame counts once: its
 * entry goes with the first fault.
 */
void kvmmig_prefetch_note_fault(struct kvmmig_session *s, u64 gfn)
{
	struct kvmmig_prefetch_ctx *pf = READ_ONCE(s->priv[KVMMIG_FEAT_PREFETCH]);

	/* PREEMPT_RT: the xarray's spinlock sleeps; precision goes uncounted */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return;
	if (!pf || !xa_load(&pf->issued, gfn))
		return;
	if (xa_erase(&pf->issued, gfn)) {
		atomic_dec(&pf->nr_issued);
		kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_PREFETCH_USED, 1);
	}
}

/* Remember the frames of a list for prefetch_used; bounded. */
static void pf_note_issued(struct kvmmig_session *s,
			   struct kvmmig_prefetch_ctx *pf, const u64 *gpas,
			   u32 n)
{
	u32 i;

	kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_PREFETCH_ISSUED, n);
	if (atomic_read(&pf->nr_issued) + n > PF_ISSUED_MAX) {
		/* full: forget them all at once, bounded and simple */
		unsigned long idx;
		void *e;

		/* the probe may erase an entry first: count what we erase */
		xa_for_each(&pf->issued, idx, e) {
			if (xa_erase(&pf->issued, idx))
				atomic_dec(&pf->nr_issued);
		}
	}
	for (i = 0; i < n; i++) {
		unsigned long gfn = gpas[i] >> PAGE_SHIFT;
		void *old;

		old = xa_store(&pf->issued, gfn, xa_mk_value(1),
			       GFP_KERNEL_ACCOUNT);
		if (!old)
			atomic_inc(&pf->nr_issued);
	}
}

static int pf_build_visit(void *arg, u64 gva, u64 gpa, u64 size)
{
	struct kvmmig_rindex *ri = arg;

	return kvmmig_rindex_add(ri, gva, gpa, size) == -ENOSPC ? 1 : 0;
}

/* (Re)build @sp's index by a walk of its whole address space. */
static int pf_build(struct kvmmig_session *s, struct kvmmig_rx_space *sp)
{
	u32 cap = READ_ONCE(rindex_max_extents.val);
	u64 budget = (u64)cap * PF_WALK_PER_EXTENT, start = 0, next = 0;
	struct pf_reader rd;
	struct kvmmig_gpt w;
	int ret;

	kvmmig_rindex_free(&sp->ri);
	sp->valid = false;
	sp->built_ns = ktime_get_ns();
	ret = kvmmig_rindex_alloc(&sp->ri, cap);
	if (ret)
		return ret;
	pf_walker(s, &w, &rd, sp->mode, sp->cr3, true);
	for (;;) {
		ret = kvmmig_gpt_walk_range_next(&w, start, U64_MAX,
						 pf_build_visit, &sp->ri,
						 PF_WALK_CHUNK, &next);
		if (ret != -E2BIG || budget <= PF_WALK_CHUNK)
			break;
		budget -= PF_WALK_CHUNK;
		start = next;
		if (fatal_signal_pending(current)) {
			kvmmig_rindex_free(&sp->ri);
			return -EINTR;
		}
		cond_resched();
	}
	/* a full index or an exhausted budget still answers what it has */
	ret = kvmmig_rindex_finish(&sp->ri);
	if (ret) {
		kvmmig_rindex_free(&sp->ri);
		return ret;
	}
	sp->valid = true;
	kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_RINDEX_BUILDS, 1);
	return 0;
}

static struct kvmmig_rx_space *pf_space_find(struct kvmmig_prefetch_ctx *pf,
					     u32 mode, u64 cr3)
{
	u64 root = pf_root(mode, cr3);
	struct kvmmig_rx_space *sp;

	list_for_each_entry(sp, &pf->spaces, lru) {
		if (sp->mode == mode && sp->root == root) {
			list_move(&sp->lru, &pf->spaces);
			return sp;
		}
	}
	return NULL;
}

static struct kvmmig_rx_space *pf_space_new(struct kvmmig_prefetch_ctx *pf,
					    u32 mode, u64 cr3)
{
	struct kvmmig_rx_space *sp;

	while (pf->nr_spaces && pf->nr_spaces >= READ_ONCE(rindex_max_spaces.val))
		pf_space_free(pf, list_last_entry(&pf->spaces,
						  struct kvmmig_rx_space, lru));
	sp = kzalloc(sizeof(*sp), GFP_KERNEL_ACCOUNT);
	if (!sp)
		return NULL;
	sp->mode = mode;
	sp->cr3 = cr3;
	sp->root = pf_root(mode, cr3);
	list_add(&sp->lru, &pf->spaces);
	pf->nr_spaces++;
	return sp;
}

static bool pf_rebuild_allowed(struct kvmmig_rx_space *sp)
{
	u64 gap = (u64)READ_ONCE(rindex_rebuild_ms.val) * NSEC_PER_MSEC;

	return !sp->built_ns || ktime_get_ns() - sp->built_ns >= gap;
}

/* Does @gva still translate to @gpa's frame in @sp's address space? */
static bool pf_verify(struct kvmmig_session *s, struct kvmmig_rx_space *sp,
		      u64 gva, u64 gpa)
{
	struct pf_reader rd;
	struct kvmmig_gpt w;
	u64 now;

	pf_walker(s, &w, &rd, sp->mode, sp->cr3, false);
	return !kvmmig_gpt_translate(&w, gva, &now, NULL) &&
	       (now >> PAGE_SHIFT) == (gpa >> PAGE_SHIFT);
}

/*
 * The guest-virtual page of @gpa in the address space (@mode, @cr3), from
 * its reverse index: built when missing; a miss or a hit that no longer
 * translates back rebuilds it once (rate-bounded) and looks again.
 */
static int pf_rindex_gva(struct kvmmig_session *s,
			 struct kvmmig_prefetch_ctx *pf, u32 mode, u64 cr3,
			 u64 gpa, u64 *gva)
{
	struct kvmmig_rx_space *sp;
	int tries, ret;

	sp = pf_space_find(pf, mode, cr3);
	if (!sp) {
		sp = pf_space_new(pf, mode, cr3);
		if (!sp)
			return -ENOMEM;
	}
	sp->cr3 = cr3;
	for (tries = 0; tries < 2; tries++) {
		if (!sp->valid) {
			if (!pf_rebuild_allowed(sp))
				return -ENOENT;
			ret = pf_build(s, sp);
			if (ret)
				return ret;
		}
		if (kvmmig_rindex_lookup(&sp->ri, gpa, gva) &&
		    pf_verify(s, sp, *gva, gpa)) {
			kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_RINDEX_HITS, 1);
			return 0;
		}
		/* a miss or a stale hit: the index no longer tells the truth */
		if (!pf_rebuild_allowed(sp))
			return -ENOENT;
		kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_RINDEX_DROPS_STALE, 1);
		kvmmig_rindex_free(&sp->ri);
		sp->valid = false;
	}
	return -ENOENT;
}

/*
 * Re-read a sample of the mappings of the cached index checked longest
 * ago (round-robin) and drop it when its address space is being torn down, or
 * invalidate it when a mapping moved.
 */
static void pf_revalidate(struct kvmmig_session *s,
			  struct kvmmig_prefetch_ctx *pf)
{
	u32 want = READ_ONCE(rindex_samples.val), n, i;
	struct kvmmig_rx_space *sp, *pick = NULL;
	enum kvmmig_rx_verdict v;
	struct pf_reader rd;
	struct kvmmig_gpt w;
	u64 *gvas;
	u8 *res;

	if (!want)
		return;
	/* round-robin whatever the LRU order: the longest unchecked */
	list_for_each_entry(sp, &pf->spaces, lru)
		if (sp->valid && (!pick || sp->checked < pick->checked))
			pick = sp;
	if (!pick)
		return;
	pick->checked = ++pf->checks;
	gvas = kvmalloc_array(want, 2 * sizeof(u64) + 1, GFP_KERNEL_ACCOUNT);
	if (!gvas)
		return;
	res = (u8 *)(gvas + 2 * want);
	n = kvmmig_rindex_sample(&pick->ri, gvas, gvas + want, want);
	pf_walker(s, &w, &rd, pick->mode, pick->cr3, false);
	for (i = 0; i < n; i++) {
		u64 gpa;
		int ret = kvmmig_gpt_translate(&w, gvas[i], &gpa, NULL);

		if (ret == -ENOENT)
			res[i] = KVMMIG_RX_GONE;
		else if (ret)
			res[i] = KVMMIG_RX_UNKNOWN;
		else if ((gpa >> PAGE_SHIFT) == (gvas[want + i] >> PAGE_SHIFT))
			res[i] = KVMMIG_RX_SAME;
		else
			res[i] = KVMMIG_RX_MOVED;
	}
	v = kvmmig_rindex_judge(&pick->ri, res, n,
				READ_ONCE(rindex_teardown_run.val));
	kvfree(gvas);
	if (v == KVMMIG_RX_TEARDOWN) {
		kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_RINDEX_DROPS_TEARDOWN, 1);
		pf_space_free(pf, pick);
	} else if (v == KVMMIG_RX_STALE) {
		kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_RINDEX_DROPS_STALE, 1);
		kvmmig_rindex_free(&pick->ri);
		pick->valid = false;
	}
}

/*
 * prefetch_used for fault records without a gfn (shadow paging gives the
 * gva only): the probe reads no guest memory, so their frames are found
 * here, in process context, at the next call: the records newer than the
 * last pass are translated and counted like kvmmig_prefetch_note_fault()
 * counts the others.
 */
static void pf_account_gva_records(struct kvmmig_session *s,
				   struct kvmmig_prefetch_ctx *pf,
				   const struct kvmmig_fault_record *v, u32 n)
{
	u64 newest = pf->records_ns;
	u32 i;

	for (i = 0; i < n; i++) {
		struct pf_reader rd;
		struct kvmmig_gpt w;
		u64 gpa;

		if (v[i].time_ns <= pf->records_ns)
			continue;
		newest = max(newest, v[i].time_ns);
		if ((v[i].flags & KVMMIG_FAULT_GFN) ||
		    (v[i].flags & (KVMMIG_FAULT_GVA | KVMMIG_FAULT_CR3)) !=
		    (KVMMIG_FAULT_GVA | KVMMIG_FAULT_CR3) ||
		    !v[i].mode || v[i].mode > KVMMIG_PAGING_LONG5)
			continue;
		pf_walker(s, &w, &rd, v[i].mode, v[i].cr3, false);
		if (!kvmmig_gpt_translate(&w, v[i].gva, &gpa, NULL))
			kvmmig_prefetch_note_fault(s, gpa >> PAGE_SHIFT);
	}
	pf->records_ns = newest;
}

/* The newest fault record of @gpa's frame among @v[0..n). */
static int pf_from_faults(struct kvmmig_session *s, u64 gpa,
			  const struct kvmmig_fault_record *v, u32 n,
			  struct kvmmig_fault_record *rec)
{
	u32 i;

	for (i = 0; i < n; i++) {
		bool hit = false;
		u64 t;

		if (v[i].flags & KVMMIG_FAULT_GFN) {
			hit = v[i].gfn == gpa >> PAGE_SHIFT;
		} else if ((v[i].flags & (KVMMIG_FAULT_GVA | KVMMIG_FAULT_CR3)) ==
			   (KVMMIG_FAULT_GVA | KVMMIG_FAULT_CR3)) {
			/* a record without gfn: does its gva lead there? */
			struct pf_reader rd;
			struct kvmmig_gpt w;

			pf_walker(s, &w, &rd, v[i].mode, v[i].cr3, false);
			hit = !kvmmig_gpt_translate(&w, v[i].gva, &t, NULL) &&
			      (t >> PAGE_SHIFT) == (gpa >> PAGE_SHIFT);
		}
		if (hit) {
			*rec = v[i];
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The fault records of every vCPU, newest first, when this call needs
 * them: to find @gpa's address space, or to account gva-only records.
 * Taken before pf->lock (kvmmig_faults_snapshot() takes s->lock).
 */
static struct kvmmig_fault_record *pf_records(struct kvmmig_session *s,
					      struct kvmmig_prefetch_ctx *pf,
					      bool need, u32 *n)
{
	u32 max = min_t(u32, PF_RECORDS_MAX,
			max_t(u32, atomic_read(&s->kvm->online_vcpus), 1) *
			KVMMIG_FAULTS_PER_VCPU);
	struct kvmmig_fault_record *v;

	*n = 0;
	if (!need && !atomic_read(&pf->nr_issued))
		return NULL;
	v = kvmalloc_array(max, sizeof(*v), GFP_KERNEL);
	if (v)
		*n = kvmmig_faults_snapshot(s, v, max);
	return v;
}

struct pf_keep {
	struct kvm *kvm;
	const u64 __user *have;
	u64 have_npages;
	int err;
};

/* In guest memory and not held by the VMM already. */
static bool pf_keep(void *arg, u64 gpa)
{
	struct pf_keep *k = arg;
	u64 gfn = gpa >> PAGE_SHIFT;
	u64 word;

	if (k->err || !pf_in_memory(k->kvm, gpa))
		return false;
	if (!k->have || gfn >= k->have_npages)
		return true;
	/* the one bitmap format: bit gfn % 64 of word gfn / 64 */
	if (get_user(word, k->have + gfn / 64)) {
		k->err = -EFAULT;
		return false;
	}
	return !(word & BIT_ULL(gfn % 64));
}

/*
 * The pages of the window around @gva (kvmmig_gpt_window()): @slot[i] the
 * gpa of page lo + i, %KVMMIG_RX_NONE where none.  A table the VMM does
 * not hold reads as not present, so it ends only the translations
 * through it; what was walked stands.
 */
static int pf_window(struct kvmmig_session *s, u32 mode, u64 cr3, u64 gva,
		     u32 window, u64 *slot, u32 *below, u32 *above)
{
	struct pf_reader rd;
	struct kvmmig_gpt w;
	int ret;

	BUILD_BUG_ON(KVMMIG_RX_NONE != U64_MAX);
	pf_walker(s, &w, &rd, mode, cr3, true);
	if (!kvmmig_gpt_canonical(&w, gva & PAGE_MASK))
		return -ENOENT;
	ret = kvmmig_gpt_window(&w, gva, window, slot, below, above);
	/* only a bad walker or gva is an error */
	return ret == -EINVAL ? ret : 0;
}

static long kvmmig_ioctl_prefetch(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_prefetch *a = arg;
	struct kvmmig_prefetch_ctx *pf = kvmmig_prefetch(s);
	struct pf_keep keep;
	u64 *slot = NULL, *out = NULL, *seen = NULL;
	struct kvmmig_fault_record *recs = NULL;
	u32 window, below = 0, above = 0, mode = 0, nr = 0, nr_recs;
	bool need_recs;
	u64 cr3 = 0, gva = 0, gpa, i;
	u32 source = KVMMIG_PREFETCH_SRC_NONE;
	long ret;

	/* the uapi's KVMMIG_PAGING_* are the walker's modes */
	BUILD_BUG_ON(KVMMIG_PAGING_PAE - KVMMIG_GPT_PAE);
	BUILD_BUG_ON(KVMMIG_PAGING_LONG4 - KVMMIG_GPT_LONG4);
	BUILD_BUG_ON(KVMMIG_PAGING_LONG5 - KVMMIG_GPT_LONG5);
	ret = kvmmig_check_prefetch(a);
	if (ret)
		return ret;
	if (!pf)
		return -ENOMEM;
	gpa = a->gfn << PAGE_SHIFT;
	if (!pf_in_memory(s->kvm, gpa))
		return -EINVAL;
	window = a->window ? a->window : READ_ONCE(prefetch_window.val);

	slot = kvmalloc_array(2 * window + 1, sizeof(u64), GFP_KERNEL);
	out = kvmalloc_array(max_t(u32, a->max_gfns, 1), sizeof(u64), GFP_KERNEL);
	seen = kvmalloc_array(max_t(u32, a->max_gfns, 1), sizeof(u64), GFP_KERNEL);
	if (!slot || !out || !seen) {
		ret = -ENOMEM;
		goto out_free;
	}
	need_recs = !(a->flags & (KVMMIG_PREFETCH_CR3 | KVMMIG_PREFETCH_GFN_LINEAR));
	recs = pf_records(s, pf, need_recs, &nr_recs);
	if (need_recs && !recs) {
		ret = -ENOMEM;
		goto out_free;
	}

	ret = mutex_lock_killable(&pf->lock);
	if (ret)
		goto out_free;
	if (a->flags & KVMMIG_PREFETCH_GFN_LINEAR) {
		u64 page = gpa;

		below = min_t(u64, window, page >> PAGE_SHIFT);
		above = window;
		for (i = 0; i < below + above + 1; i++)
			slot[i] = page - ((u64)below << PAGE_SHIFT) +
				  (i << PAGE_SHIFT);
		source = KVMMIG_PREFETCH_SRC_LINEAR;
		if (a->flags & KVMMIG_PREFETCH_CR3) {
			cr3 = a->cr3;
			mode = a->mode;
		}
	} else {
		bool have_gva = false;

		if (a->flags & KVMMIG_PREFETCH_CR3) {
			cr3 = a->cr3;
			mode = a->mode;
		} else {
			struct kvmmig_fault_record rec;

			ret = pf_from_faults(s, gpa, recs, nr_recs, &rec);
			if (ret)
				goto out_unlock;
			if ((rec.flags & KVMMIG_FAULT_CR3) &&
			    rec.mode <= KVMMIG_PAGING_LONG5) {
				cr3 = rec.cr3;
				mode = rec.mode;
			}
			if ((rec.flags & KVMMIG_FAULT_GVA) && mode) {
				gva = rec.gva & PAGE_MASK;
				have_gva = true;
				source = KVMMIG_PREFETCH_SRC_FAULT;
			}
		}
		if (!have_gva && mode) {
			ret = pf_rindex_gva(s, pf, mode, cr3, gpa, &gva);
			if (!ret) {
				have_gva = true;
				source = KVMMIG_PREFETCH_SRC_RINDEX;
			} else if (ret != -ENOENT) {
				goto out_unlock;
			}
		}
		/* a gva outside the address space (a bad record): no list */
		if (have_gva && pf_window(s, mode, cr3, gva, window, slot,
					  &below, &above))
			have_gva = false;
		if (!have_gva) {
			gva = 0;
			source = KVMMIG_PREFETCH_SRC_NONE;
		}
	}

	mutex_unlock(&pf->lock);

	/*
	 * The VMM's bitmap and the outputs are user memory: a fault on them
	 * may wait for the VMM (userfaultfd), so no lock is held here.
	 */
	if (source != KVMMIG_PREFETCH_SRC_NONE) {
		keep.kvm = s->kvm;
		keep.have = u64_to_user_ptr(a->have_ptr);
		keep.have_npages = a->have_ptr ? a->have_npages : 0;
		keep.err = 0;
		nr = kvmmig_pf_order(slot, below, above, gpa, pf_keep, &keep,
				     out, a->max_gfns, seen);
		ret = keep.err;
		if (ret)
			goto out_free;
	}
	/* the list goes out as frames; @seen is free again */
	for (i = 0; i < nr; i++)
		seen[i] = out[i] >> PAGE_SHIFT;
	if (nr && copy_to_user(u64_to_user_ptr(a->gfns_ptr), seen,
			       nr * sizeof(u64))) {
		ret = -EFAULT;
		goto out_free;
	}
	a->nr_gfns = nr;
	a->source = source;
	a->gva = gva;
	if (!(a->flags & KVMMIG_PREFETCH_CR3)) {
		a->cr3 = cr3;
		a->mode = mode;
	}
	/*
	 * Bookkeeping only once the call succeeded, so that a failing call
	 * leaves the counters and the teardown sampling as they were.  Reverse
	 * index hits are re-translated before use, so a torn-down index
	 * found here was not trusted above.
	 */
	ret = mutex_lock_killable(&pf->lock);
	if (ret)
		goto out_free;
	kvmmig_stat_add(s, KVMMIG_FEAT_PREFETCH, KVMMIG_STAT_PREFETCH_CALLS, 1);
	if (atomic_read(&pf->nr_issued))
		pf_account_gva_records(s, pf, recs, nr_recs);
	pf_revalidate(s, pf);
	pf_note_issued(s, pf, out, nr);
	ret = 0;
out_unlock:
	mutex_unlock(&pf->lock);
out_free:
	kvfree(recs);
	kvfree(slot);
	kvfree(out);
	kvfree(seen);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_prefetch_stats[] = {
	[KVMMIG_STAT_PREFETCH_CALLS] = { "prefetch_calls", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_PREFETCH_ISSUED] = { "prefetch_issued", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_PREFETCH_USED] = { "prefetch_used", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_BUILDS] = { "rindex_builds", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_HITS] = { "rindex_hits", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_DROPS_TEARDOWN] = { "rindex_drops_teardown", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_RINDEX_DROPS_STALE] = { "rindex_drops_stale", KVMMIG_STAT_CNT },
};

static const struct kvmmig_ioctl_desc kvmmig_prefetch_ioctls[] = {
	KVMMIG_IOCTL(KVMMIG_PREFETCH, struct kvmmig_prefetch, KVMMIG_PREFETCH_FLAGS,
		     KVMMIG_NEED_FULL_SESSION | KVMMIG_NEED_VMM_MM, KVMMIG_CAP_PREFETCH,
		     kvmmig_ioctl_prefetch),
};

static const struct kvmmig_cap kvmmig_prefetch_caps[] = {
	{ KVMMIG_CAP_PREFETCH, 1 },
};

const struct kvmmig_feature kvmmig_prefetch_feature = {
	.name		= "prefetch",
	.ioctls		= kvmmig_prefetch_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_prefetch_ioctls),
	.caps		= kvmmig_prefetch_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_prefetch_caps),
	.stats		= kvmmig_prefetch_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_prefetch_stats),
	.init		= kvmmig_prefetch_init,
	.destroy	= kvmmig_prefetch_destroy,
};
