// SPDX-License-Identifier: GPL-2.0
/*
 * The page temperature scanner (levels, adaptive period, large-page
 * ranking): kernel glue between KVM's memslots and access bits and the
 * pure logic of mm/temperature_logic.c.
 *
 * Access bits come from access sources (struct kvmmig_access_src): KVM's
 * own MMU-notifier aging ops, which reach the EPT/NPT A-bits of the
 * host-virtual range backing a memslot, and the VMM's page tables
 * (mm/host_pt.c), whose accessed bits record the VMM's own accesses to
 * guest memory.  A page is accessed if either says so.
 *
 * KVM's clear_young() takes a range, its test_young() one address, hence
 * coarse to fine across passes: a region whose pages are all cold costs one
 * clear_young() over its 2 MiB; one found young is refined from the next
 * pass on, page by page with test_young() and one clear_young() of the
 * range, until its pages are all cold again.  test_young() answers for the
 * mapping that covers a page, so a region KVM maps with a 2 MiB page reads
 * as 512 accessed pages: that is the granularity the hardware can tell.
 *
 * Only the user memslots of address space 0 are scanned: SMM's address
 * space aliases the same memory, and clearing by host-virtual range would
 * age both at once.
 *
 * Locking: scan->lock serialises passes and every reader of the maps; it
 * nests inside session->lock.  Memslots are read under kvm->srcu one batch
 * of regions at a time, so a memslot update waits for one batch at most,
 * and a slot that changed under a pass is left until the next pass
 * re-reads the memslots.  KVM's ops take kvm->mmu_lock themselves.  A pass
 * holds a reference on the VMM's mm users and stops as soon as the mm is
 * released or the caller is killed.
 */
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <kvmmig/gmem.h>
#include <kvmmig/compat.h>
#include <kvmmig/host_pt.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/temperature.h>

#define CREATE_TRACE_POINTS
#include "temperature_trace.h"

static struct kvmmig_param_uint scan_period_min_ms = {
	.val = 100, .min = 10, .max = 600000,
};
module_param_cb(scan_period_min_ms, &kvmmig_param_uint_ops,
		&scan_period_min_ms, 0644);
MODULE_PARM_DESC(scan_period_min_ms,
		 "Shortest temperature scan period, ms [10..600000, default 100]");

static struct kvmmig_param_uint scan_period_max_ms = {
	.val = 5000, .min = 10, .max = 600000,
};
module_param_cb(scan_period_max_ms, &kvmmig_param_uint_ops,
		&scan_period_max_ms, 0644);
MODULE_PARM_DESC(scan_period_max_ms,
		 "Longest temperature scan period, ms [10..600000, default 5000]");

static struct kvmmig_param_uint scan_target_permille = {
	.val = 100, .min = 1, .max = 1000,
};
module_param_cb(scan_target_permille, &kvmmig_param_uint_ops,
		&scan_target_permille, 0644);
MODULE_PARM_DESC(scan_target_permille,
		 "Share of scanned 2 MiB regions a pass should find accessed, 1/1000 [1..1000, default 100]");

static struct kvmmig_param_uint scan_batch_regions = {
	.val = 64, .min = 1, .max = 4096,
};
module_param_cb(scan_batch_regions, &kvmmig_param_uint_ops,
		&scan_batch_regions, 0644);
MODULE_PARM_DESC(scan_batch_regions,
		 "2 MiB regions scanned per memslot read before yielding [1..4096, default 64]");

static struct kvmmig_param_uint scan_flush_tlb = {
	.val = 1, .min = 0, .max = 1,
};
module_param_cb(scan_flush_tlb, &kvmmig_param_uint_ops, &scan_flush_tlb, 0644);
MODULE_PARM_DESC(scan_flush_tlb,
		 "One remote TLB flush per pass, so cleared A-bits are set again [0..1, default 1]");

static struct kvmmig_param_uint huge_observe_passes = {
	.val = 8, .min = 0, .max = 100000,
};
module_param_cb(huge_observe_passes, &kvmmig_param_uint_ops,
		&huge_observe_passes, 0644);
MODULE_PARM_DESC(huge_observe_passes,
		 "Passes of phase one, which only observes large-page candidates [0..100000, default 8]");

static struct kvmmig_param_uint huge_decay_shift = {
	.val = 3, .min = 0, .max = 16,
};
module_param_cb(huge_decay_shift, &kvmmig_param_uint_ops, &huge_decay_shift,
		0644);
MODULE_PARM_DESC(huge_decay_shift,
		 "Large-page score keeps 1 - 1/2^N of itself per pass [0..16, default 3]");

/**
 * struct kvmmig_slot_temp - temperature of one memslot
 * @slot_id: KVM slot id (address space 0)
 * @hva: host-virtual address of the slot's first page
 * @fine: per region, set while the region is refined (page by page)
 * @probe: per page, set when a pass found the page's cold run accessed:
 *	the next pass tests the page by itself
 * @map: the pages' levels and the regions' scores
 */
struct kvmmig_slot_temp {
	u16 slot_id;
	unsigned long hva;
	unsigned long *fine;
	unsigned long *probe;
	struct kvmmig_temp_map map;
};

/**
 * struct kvmmig_access_src - where access bits come from
 * @clear_range: clear the young state of [start, end); true if any page
 *	in it was young
 * @test_pages: set bit i of @young for each young page start + i pages,
 *	i < @n, leaving the young state as it is; only pages whose bit is
 *	set in @want need an answer (a source may answer for more)
 */
struct kvmmig_access_src {
	bool (*clear_range)(struct kvmmig_session *s, unsigned long start,
			    unsigned long end);
	void (*test_pages)(struct kvmmig_session *s, unsigned long start,
			   u32 n, const unsigned long *want,
			   unsigned long *young);
};

/* KVM's aging ops: the EPT/NPT (or shadow page table) A-bits. */
static bool kvmmig_kvm_clear_range(struct kvmmig_session *s,
				   unsigned long start, unsigned long end)
{
	struct mmu_notifier *mn = &s->kvm->mmu_notifier;

	return mn->ops->clear_young(mn, s->mm, start, end);
}

static void kvmmig_kvm_test_pages(struct kvmmig_session *s, unsigned long start,
				  u32 n, const unsigned long *want,
				  unsigned long *young)
{
	struct mmu_notifier *mn = &s->kvm->mmu_notifier;
	u32 i;

	for_each_set_bit(i, want, n)
		if (!test_bit(i, young) &&
		    mn->ops->test_young(mn, s->mm, start + i * PAGE_SIZE))
			__set_bit(i, young);
}

/*
 * What KVM's clear_young() clears is what reclaim would have asked KVM
 * for (folio_referenced() -> mmu_notifier_clear_flush_young()), so the
 * pages a pass found accessed are marked accessed for reclaim
 * (kvmmig_hpt_keep_young()).  A region found accessed by one coarse call
 * has all its pages marked, which over-protects its cold pages until its
 * next, refined, pass.  mmap_lock is only tried, as for the host source.
 */
static void kvmmig_scan_keep(struct kvmmig_session *s, unsigned long start,
			     u32 n, const unsigned long *young)
{
	if (!mmap_read_trylock(s->mm))
		return;
	kvmmig_hpt_keep_young(s->mm, start, n, young);
	mmap_read_unlock(s->mm);
}

/*
 * The VMM's own page tables: their accessed bits are set when the VMM
 * itself touches guest memory (device emulation, vhost-user, ...), which
 * EPT/NPT never sees.  mmap_lock is only tried: a pass never waits for the
 * VMM's address space, it reads the bits next pass instead.
 */
static bool kvmmig_host_clear_range(struct kvmmig_session *s,
				    unsigned long start, unsigned long end)
{
	bool young;

	if (!mmap_read_trylock(s->mm))
		return false;
	young = kvmmig_hpt_young(s->mm, start, end, true, NULL);
	mmap_read_unlock(s->mm);
	return young;
}

/* One walk answers for every page of the range, wanted or not. */
static void kvmmig_host_test_pages(struct kvmmig_session *s,
				   unsigned long start, u32 n,
				   const unsigned long *want,
				   unsigned long *young)
{
	if (!mmap_read_trylock(s->mm))
		return;
	kvmmig_hpt_young(s->mm, start, start + n * PAGE_SIZE, false, young);
	mmap_read_unlock(s->mm);
}

static const struct kvmmig_access_src kvmmig_kvm_src = {
	.clear_range = kvmmig_kvm_clear_range,
	.test_pages = kvmmig_kvm_test_pages,
};

static const struct kvmmig_access_src kvmmig_host_src = {
	.clear_range = kvmmig_host_clear_range,
	.test_pages = kvmmig_host_test_pages,
};

/* The host source first: pages it finds young need no KVM call. */
static const struct kvmmig_access_src *const kvmmig_access_srcs[] = {
	&kvmmig_host_src,
	&kvmmig_kvm_src,
};

static bool kvmmig_src_clear_range(struct kvmmig_session *s,
				   unsigned long start, unsigned long end)
{
	bool young = false;
	int i;

	for (i = 0; i < ARRAY_SIZE(kvmmig_access_srcs); i++)
		young |= kvmmig_access_srcs[i]->clear_range(s, start, end);
	return young;
}

static void kvmmig_src_test_pages(struct kvmmig_session *s, unsigned long start,
				  u32 n, const unsigned long *want,
				  unsigned long *young)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kvmmig_access_srcs); i++)
		kvmmig_access_srcs[i]->test_pages(s, start, n, want, young);
}

/* What one pass did, for the interval controller, stats and trace. */
struct kvmmig_pass {
	bool baseline_4k;
	bool cleared;
	u64 regions;
	u64 accessed;
	u64 pages_tested;
	u64 hot_pages;
	DECLARE_BITMAP(want, KVMMIG_REGION_PAGES);
	DECLARE_BITMAP(young, KVMMIG_REGION_PAGES);
	DECLARE_BITMAP(keep, KVMMIG_REGION_PAGES);
};

/*
 * A refined region: pages that are warm, or whose cold run was found
 * accessed last pass (probe), are tested one by one; each run of other
 * pages costs one clear_young(), and if it was accessed its pages are
 * probed next pass.  All tests come before any clear, so a region KVM maps
 * with one 2 MiB page still answers for every tested page.
 */
static void kvmmig_scan_refine(struct kvmmig_session *s,
			       struct kvmmig_slot_temp *st, u64 first, u32 n,
			       unsigned long start, struct kvmmig_pass *p)
{
	u32 i, run;

	bitmap_zero(p->want, KVMMIG_REGION_PAGES);
	for (i = 0; i < n; i++)
		if (kvmmig_temp_level(&st->map, first + i) ||
		    test_bit(first + i, st->probe))
			__set_bit(i, p->want);
	kvmmig_src_test_pages(s, start, n, p->want, p->young);
	p->pages_tested += bitmap_weight(p->want, n);
	bitmap_copy(p->keep, p->young, n);

	for (i = find_first_zero_bit(p->want, n); i < n;
	     i = find_next_zero_bit(p->want, n, run)) {
		run = find_next_bit(p->want, n, i);
		if (kvmmig_src_clear_range(s, start + i * PAGE_SIZE,
					   start + run * PAGE_SIZE)) {
			bitmap_set(st->probe, first + i, run - i);
			bitmap_set(p->keep, i, run - i);
		}
	}
	for_each_set_bit(i, p->want, n)
		clear_bit(first + i, st->probe);
	kvmmig_src_clear_range(s, start, start + n * PAGE_SIZE);
}

static void kvmmig_scan_region(struct kvmmig_session *s,
			       struct kvmmig_slot_temp *st, u32 r,
			       struct kvmmig_pass *p)
{
	unsigned int decay = READ_ONCE(huge_decay_shift.val);
	u64 hist[KVMMIG_TEMP_LEVELS] = {};
	unsigned long start;
	u64 first;
	u32 i, n, hits;

	n = kvmmig_temp_region_pages(&st->map, r, &first);
	start = st->hva + first * PAGE_SIZE;
	p->regions++;
	p->cleared = true;

	if (!p->baseline_4k && !test_bit(r, st->fine)) {
		/* coarse: one call for the whole region */
		if (kvmmig_src_clear_range(s, start, start + n * PAGE_SIZE)) {
			/* woken: every page is tested next pass */
			set_bit(r, st->fine);
			bitmap_set(st->probe, first, n);
			p->accessed++;
			bitmap_fill(p->keep, n);
			kvmmig_scan_keep(s, start, n, p->keep);
		}
		kvmmig_temp_region_update(&st->map, r, NULL, decay);
		return;
	}

	bitmap_zero(p->young, KVMMIG_REGION_PAGES);
	if (p->baseline_4k) {
		for (i = 0; i < n; i++)
			if (kvmmig_src_clear_range(s, start + i * PAGE_SIZE,
						   start + (i + 1) * PAGE_SIZE))
				__set_bit(i, p->young);
		p->pages_tested += n;
		bitmap_copy(p->keep, p->young, n);
	} else {
		kvmmig_scan_refine(s, st, first, n, start, p);
	}
	if (!bitmap_empty(p->keep, n))
		kvmmig_scan_keep(s, start, n, p->keep);
	hits = kvmmig_temp_region_update(&st->map, r, p->young, decay);
	if (hits)
		p->accessed++;
	/* refined while any page is warm or to be probed */
	if (st->map.region_max[r] ||
	    find_next_bit(st->probe, first + n, first) < first + n) {
		set_bit(r, st->fine);
		kvmmig_temp_histogram(&st->map, first, n, hist);
		p->hot_pages += hist[KVMMIG_TEMP_HOT];
	} else {
		clear_bit(r, st->fine);
	}
}

static void kvmmig_slot_temp_free(struct kvmmig_slot_temp *st)
{
	kvmmig_temp_map_free(&st->map);
	bitmap_free(st->fine);
	bitmap_free(st->probe);
	st->fine = NULL;
	st->probe = NULL;
}

static void kvmmig_scan_free_slots(struct kvmmig_scanner *sc)
{
	u32 i;

	for (i = 0; i < sc->nr_slots; i++)
		kvmmig_slot_temp_free(&sc->slots[i]);
	kvfree(sc->slots);
	sc->slots = NULL;
	sc->nr_slots = 0;
	sc->synced = false;
}

struct kvmmig_slot_snap {
	u16 id;
	u64 base_gfn;
	u64 npages;
	unsigned long hva;
};

static int kvmmig_slot_snap_cmp(const void *a, const void *b)
{
	const struct kvmmig_slot_snap *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Bring sc->slots in line with the VM's memslots: a slot that kept its id,
 * base and size keeps its temperature (its host address may have changed:
 * a flags update); any other is new and starts cold.  Entries stay sorted
 * by slot id.  Nothing to do while KVM's memslot generation stays the same
 * (bit 63 set means an update is in flight: sync then).
 */
static int kvmmig_scan_sync_slots(struct kvmmig_session *s)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);
	struct kvmmig_slot_snap *snap = NULL;
	struct kvmmig_slot_temp *temps;
	struct kvm_memslots *slots;
	struct kvm_memory_slot *m;
	u32 n = 0, cap, i, j = 0;
	int bkt, idx, ret = 0;
	u64 gen;

	idx = srcu_read_lock(&s->kvm->srcu);
	gen = __kvm_memslots(s->kvm, 0)->generation;
	srcu_read_unlock(&s->kvm->srcu, idx);
	if (sc->synced && gen == sc->slots_gen && !(gen & BIT_ULL(63)))
		return 0;

	/*
	 * kvm_for_each_memslot() evaluates its set argument at every step:
	 * pass it one dereference, or a memslot update swapping the sets
	 * mid-walk would mix the two sets' hash nodes.
	 */
	do {
		kvfree(snap);
		idx = srcu_read_lock(&s->kvm->srcu);
		slots = __kvm_memslots(s->kvm, 0);
		cap = 0;
		kvm_for_each_memslot(m, bkt, slots)
			cap++;
		srcu_read_unlock(&s->kvm->srcu, idx);
		snap = kvcalloc(max(cap, 1U), sizeof(*snap), GFP_KERNEL_ACCOUNT);
		if (!snap)
			return -ENOMEM;
		idx = srcu_read_lock(&s->kvm->srcu);
		slots = __kvm_memslots(s->kvm, 0);
		gen = slots->generation;
		n = 0;
		kvm_for_each_memslot(m, bkt, slots) {
			if (!kvmmig_memslot_usable(m))
				continue;
			if (n == cap) {
				n = U32_MAX;	/* slots were added: again */
				break;
			}
			snap[n++] = (struct kvmmig_slot_snap){ m->id, m->base_gfn,
							       m->npages,
							       m->userspace_addr };
		}
		srcu_read_unlock(&s->kvm->srcu, idx);
	} while (n == U32_MAX);
	sort(snap, n, sizeof(*snap), kvmmig_slot_snap_cmp, NULL);

	temps = kvcalloc(max(n, 1U), sizeof(*temps), GFP_KERNEL_ACCOUNT);
	if (!temps) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct kvmmig_slot_temp *old = NULL;

		while (j < sc->nr_slots && sc->slots[j].slot_id < snap[i].id)
			j++;
		if (j < sc->nr_slots && sc->slots[j].slot_id == snap[i].id &&
		    sc->slots[j].map.base_gfn == snap[i].base_gfn &&
		    sc->slots[j].map.npages == snap[i].npages)
			old = &sc->slots[j];
		if (old) {
			temps[i] = *old;
			old->fine = NULL;	/* moved: not freed below */
			old->probe = NULL;
			memset(&old->map, 0, sizeof(old->map));
		} else {
			ret = kvmmig_temp_map_init(&temps[i].map, snap[i].base_gfn,
						   snap[i].npages);
			if (!ret) {
				temps[i].fine = bitmap_zalloc(temps[i].map.nr_regions,
							      GFP_KERNEL_ACCOUNT);
				temps[i].probe = bitmap_zalloc(snap[i].npages,
							       GFP_KERNEL_ACCOUNT);
				if (!temps[i].fine || !temps[i].probe)
					ret = -ENOMEM;
			}
			if (ret) {
				/* start over cold rather than half-synced */
				for (j = 0; j <= i; j++)
					kvmmig_slot_temp_free(&temps[j]);
				kvfree(temps);
				kvmmig_scan_free_slots(sc);
				goto out;
			}
		}
		temps[i].slot_id = snap[i].id;
		temps[i].hva = snap[i].hva;
	}
	kvmmig_scan_free_slots(sc);
	sc->slots = temps;
	sc->nr_slots = n;
	sc->slots_gen = gen;
	sc->synced = true;
out:
	kvfree(snap);
	return ret;
}

/* Whether @st still describes the memslot it was made from. */
static bool kvmmig_slot_unchanged(struct kvm *kvm, struct kvmmig_slot_temp *st)
{
	struct kvm_memory_slot *m = id_to_memslot(__kvm_memslots(kvm, 0),
						  st->slot_id);

	return kvmmig_memslot_usable(m) && m->base_gfn == st->map.base_gfn &&
	       m->npages == st->map.npages && m->userspace_addr == st->hva;
}

static bool kvmmig_scan_should_stop(struct kvmmig_session *s)
{
	return READ_ONCE(s->mm_released) || fatal_signal_pending(current);
}

/* One pass over every scanned memslot.  Caller holds scan->lock. */
static int kvmmig_scan_pass(struct kvmmig_session *s, bool baseline_4k)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);
	struct kvmmig_pass *p;
	u64 t0 = ktime_get_ns(), ns;
	u32 i, r, b, batch = READ_ONCE(scan_batch_regions.val);
	int idx, ret;

	lockdep_assert_held(&sc->lock);
	if (READ_ONCE(s->mm_released) || !mmget_not_zero(s->mm))
		return -ESRCH;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		ret = -ENOMEM;
		goto out_mmput;
	}
	p->baseline_4k = baseline_4k;
	ret = kvmmig_scan_sync_slots(s);
	if (ret)
		goto out_free;

	for (i = 0; i < sc->nr_slots && !ret; i++) {
		struct kvmmig_slot_temp *st = &sc->slots[i];

		for (r = 0; r < st->map.nr_regions;) {
			idx = srcu_read_lock(&s->kvm->srcu);
			if (!kvmmig_slot_unchanged(s->kvm, st)) {
				srcu_read_unlock(&s->kvm->srcu, idx);
				break;
			}
			for (b = 0; b < batch && r < st->map.nr_regions; b++, r++)
				kvmmig_scan_region(s, st, r, p);
			srcu_read_unlock(&s->kvm->srcu, idx);
			if (kvmmig_scan_should_stop(s)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	/* clear_young() does not flush: a cached translation would keep the
	 * CPU from setting the A-bit again, so flush once for the pass.
	 */
	if (p->cleared && READ_ONCE(scan_flush_tlb.val)) {
		kvm_flush_remote_tlbs(s->kvm);
		kvmmig_stat_add(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_TLB_FLUSHES, 1);
	}
	if (ret)
		goto out_free;

	WRITE_ONCE(sc->passes, sc->passes + 1);	/* read locklessly */
	sc->interval.min_ms = min(READ_ONCE(scan_period_min_ms.val),
				  READ_ONCE(scan_period_max_ms.val));
	sc->interval.max_ms = READ_ONCE(scan_period_max_ms.val);
	sc->interval.target_permille = READ_ONCE(scan_target_permille.val);
	if (sc->fixed_passes) {
		if (sc->fixed_passes != U32_MAX)
			sc->fixed_passes--;
	} else {
		kvmmig_interval_next(&sc->interval, p->accessed, p->regions);
	}

	ns = ktime_get_ns() - t0;
	kvmmig_stat_set(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_PASSES, sc->passes);
	kvmmig_stat_add(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_REGIONS, p->regions);
	kvmmig_stat_add(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_REGIONS_ACCESSED, p->accessed);
	kvmmig_stat_add(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_PAGES_TESTED, p->pages_tested);
	kvmmig_stat_set(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_LAST_PASS_NS, ns);
	kvmmig_stat_set(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_HOT_PAGES, p->hot_pages);
	kvmmig_stat_set(s, KVMMIG_FEAT_TEMPERATURE, KVMMIG_TEMP_STAT_PERIOD_MS,
			sc->interval.period_ms);
	trace_kvmmig_scan_pass(s->id, sc->passes, p->regions, p->accessed,
			       p->pages_tested, p->hot_pages, ns,
			       sc->interval.period_ms);
out_free:
	kfree(p);
out_mmput:
	mmput(s->mm);
	return ret;
}

/*
 * A periodic pass runs on a workqueue: what it allocates (the temperature
 * maps, when the memslots change) is charged to the VMM's memory cgroup,
 * as a pass made by the VMM's own SET_SCAN is.  Its CPU time is the
 * kworker's: a module has no way to charge it to the VMM's cgroup.
 */
static void kvmmig_scan_pass_charged(struct kvmmig_session *s)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(s->mm);
	struct mem_cgroup *old = set_active_memcg(memcg);

	kvmmig_scan_pass(s, false);
	set_active_memcg(old);
	mem_cgroup_put(memcg);
}

static void kvmmig_scan_work(struct work_struct *work)
{
	struct kvmmig_scanner *sc = container_of(to_delayed_work(work),
						 struct kvmmig_scanner, work);
	struct kvmmig_session *s = sc->s;

	mutex_lock(&sc->lock);
	if (sc->running) {
		kvmmig_scan_pass_charged(s);
		if (!READ_ONCE(s->mm_released))
			queue_delayed_work(system_unbound_wq, &sc->work,
					   msecs_to_jiffies(sc->interval.period_ms));
	}
	mutex_unlock(&sc->lock);
}

static int kvmmig_temperature_init(struct kvmmig_session *s)
{
	struct kvmmig_scanner *sc;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL_ACCOUNT);
	if (!sc)
		return -ENOMEM;
	s->priv[KVMMIG_FEAT_TEMPERATURE] = sc;
	sc->s = s;
	mutex_init(&sc->lock);
	INIT_DELAYED_WORK(&sc->work, kvmmig_scan_work);
	sc->interval.min_ms = READ_ONCE(scan_period_min_ms.val);
	sc->interval.max_ms = READ_ONCE(scan_period_max_ms.val);
	sc->interval.target_permille = READ_ONCE(scan_target_permille.val);
	sc->interval.period_ms = clamp(1000U, sc->interval.min_ms,
				       max(sc->interval.min_ms, sc->interval.max_ms));
	return 0;
}

/* Stop scanning for good and free the maps; called at detach. */
static void kvmmig_temperature_stop(struct kvmmig_session *s)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);

	if (!sc)
		return;
	mutex_lock(&sc->lock);
	sc->running = false;
	mutex_unlock(&sc->lock);
	cancel_delayed_work_sync(&sc->work);
	/*
	 * Under the lock: a read-only session of the VM may still read this
	 * one's temperature (it holds a session reference, not the maps), a
	 * chunk at a time under scan.lock; after this it finds no slot.
	 */
	mutex_lock(&sc->lock);
	kvmmig_scan_free_slots(sc);
	mutex_unlock(&sc->lock);
}

static void kvmmig_temperature_destroy(struct kvmmig_session *s)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);

	if (!sc)
		return;
	mutex_destroy(&sc->lock);
	kfree(sc);
}

static long kvmmig_set_scan(struct kvmmig_session *s, struct kvmmig_scan *a)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);
	long ret;

	ret = kvmmig_check_scan(a, READ_ONCE(scan_period_min_ms.val),
				READ_ONCE(scan_period_max_ms.val));
	if (ret)
		return ret;
	/*
	 * session->lock orders concurrent configuration changes, also around
	 * the cancel; a NOW pass runs after it is dropped, under scan->lock
	 * alone (which serialises passes, as for the periodic work), so no
	 * other ioctl waits for a pass on session->lock.
	 */
	ret = mutex_lock_killable(&s->lock);
	if (ret)
		return ret;
	ret = mutex_lock_killable(&sc->lock);
	if (ret)
		goto out_session;
	if (a->flags & KVMMIG_SCAN_START && !sc->running &&
	    READ_ONCE(s->mm_released)) {
		ret = -ESRCH;
		goto out_unlock;
	}
	if (a->flags & KVMMIG_SCAN_SET_PERIOD) {
		sc->interval.period_ms = a->period_ms;
		sc->fixed_passes = a->nr_passes ?: U32_MAX;
		if (sc->running)
			mod_delayed_work(system_unbound_wq, &sc->work,
					 msecs_to_jiffies(a->period_ms));
	}
	if (a->flags & KVMMIG_SCAN_START && !sc->running) {
		sc->running = true;
		queue_delayed_work(system_unbound_wq, &sc->work, 0);
	}
	if (a->flags & KVMMIG_SCAN_STOP)
		sc->running = false;
out_unlock:
	mutex_unlock(&sc->lock);
	if (!ret && (a->flags & KVMMIG_SCAN_STOP))
		cancel_delayed_work_sync(&sc->work);
out_session:
	mutex_unlock(&s->lock);
	if (ret)
		return ret;

	/* a fatal signal here leaves the configuration changed, as asked */
	ret = mutex_lock_killable(&sc->lock);
	if (ret)
		return ret;
	if (a->flags & KVMMIG_SCAN_NOW)
		ret = kvmmig_scan_pass(s, a->flags & KVMMIG_SCAN_4K_BASELINE);
	a->period_ms = sc->interval.period_ms;
	a->passes = sc->passes;
	mutex_unlock(&sc->lock);
	return ret;
}

/* Does @s scan: its periodic scanner runs, or it is inside SET_SCAN? */
static bool kvmmig_session_scans(struct kvmmig_session *s)
{
	kvmmig_sessions_assert_held();
	return kvmmig_scanner(s)->scan_busy || READ_ONCE(kvmmig_scanner(s)->running);
}

/* Has the full session @s made temperature a read-only session can read? */
static bool kvmmig_full_has_temperature(struct kvmmig_session *s)
{
	return kvmmig_session_scans(s) || READ_ONCE(kvmmig_scanner(s)->passes);
}

/*
 * One scanner per VM: two clearing the same accessed bits would each see
 * part of the accesses.  SET_SCAN is refused (-EBUSY) while another
 * session of the VM scans, and for a read-only session also once the VM's
 * full session has scanned: the VM's temperature is then the full
 * session's, which read-only sessions read (kvmmig_temperature_source()).
 */
static int kvmmig_scan_claim(struct kvmmig_session *s)
{
	struct kvmmig_session *other;
	int ret = 0;

	kvmmig_sessions_lock();
	list_for_each_entry(other, &kvmmig_sessions, node) {
		if (other == s || other->kvm != s->kvm)
			continue;
		if (kvmmig_session_scans(other) ||
		    (s->access != KVMMIG_ACCESS_FULL &&
		     other->access == KVMMIG_ACCESS_FULL &&
		     kvmmig_full_has_temperature(other))) {
			ret = -EBUSY;
			break;
		}
	}
	if (!ret)
		kvmmig_scanner(s)->scan_busy++;
	kvmmig_sessions_unlock();
	return ret;
}

static long kvmmig_ioctl_set_scan(struct kvmmig_session *s, void *arg)
{
	long ret;

	ret = kvmmig_scan_claim(s);
	if (ret)
		return ret;
	ret = kvmmig_set_scan(s, arg);
	kvmmig_sessions_lock();
	kvmmig_scanner(s)->scan_busy--;
	kvmmig_sessions_unlock();
	return ret;
}

/*
 * The session whose temperature @s reads: for a read-only session the VM's
 * full session once that one has scanned (the VM's one temperature), else
 * @s itself.  Another session is returned with a reference held (the
 * caller puts it), so its structure stays while it is read; its maps are
 * read a chunk at a time under its scan.lock, and a detach that frees them
 * under that lock meanwhile leaves the reader finding no slot.  No lock of
 * the other session is held across this session's user copies, so a
 * reader stuck on its own user memory never delays the VMM's detach.
 */
struct kvmmig_session *kvmmig_temperature_source(struct kvmmig_session *s)
{
	struct kvmmig_session *other, *src = s;

	if (s->access == KVMMIG_ACCESS_FULL)
		return s;
	kvmmig_sessions_lock();
	list_for_each_entry(other, &kvmmig_sessions, node) {
		if (other->kvm != s->kvm || other->access != KVMMIG_ACCESS_FULL ||
		    !kvmmig_full_has_temperature(other))
			continue;
		if (!READ_ONCE(other->detached)) {
			kref_get(&other->kref);
			src = other;
		}
		break;
	}
	kvmmig_sessions_unlock();
	return src;
}

/* Levels of gfns [gfn, gfn + n) into @buf (may be NULL); scan->lock held. */
static void kvmmig_temp_fill(struct kvmmig_scanner *sc, u64 gfn, u32 n,
			     u8 *buf, u64 *hist)
{
	u32 i;

	lockdep_assert_held(&sc->lock);
	if (buf)
		memset(buf, KVMMIG_TEMP_NO_SLOT, n);
	for (i = 0; i < sc->nr_slots; i++) {
		struct kvmmig_temp_map *m = &sc->slots[i].map;
		u64 lo = max(gfn, m->base_gfn);
		u64 hi = min(gfn + n, m->base_gfn + m->npages);
		u64 g;

		if (lo >= hi)
			continue;
		if (!buf) {
			kvmmig_temp_histogram(m, lo - m->base_gfn, hi - lo, hist);
			continue;
		}
		for (g = lo; g < hi; g++) {
			u8 lvl = kvmmig_temp_level(m, g - m->base_gfn);

			buf[g - gfn] = lvl;
			hist[lvl]++;
		}
	}
}

/**
 * kvmmig_scan_get_levels - temperature levels of frames [@gfn, @gfn + @n)
 * @s: the session
 * @gfn: first frame (address space 0)
 * @n: frames
 * @levels: @n bytes, filled with each frame's level; a frame the scanner
 *	has no map for (never scanned, or no memslot) reads 0, cold
 *
 * Takes scan->lock (killable; a pass may hold it) and copies no user memory.
 * Return: 0, or -EINTR on a fatal signal.
 */
int kvmmig_scan_get_levels(struct kvmmig_session *s, u64 gfn, u64 n, u8 *levels)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);
	u32 i;

	memset(levels, 0, n);
	if (mutex_lock_killable(&sc->lock))
		return -EINTR;
	for (i = 0; i < sc->nr_slots; i++) {
		struct kvmmig_temp_map *m = &sc->slots[i].map;
		u64 lo = max(gfn, m->base_gfn);
		u64 hi = min(gfn + n, m->base_gfn + m->npages);
		u64 g;

		for (g = lo; g < hi; g++)
			levels[g - gfn] = kvmmig_temp_level(m, g - m->base_gfn);
	}
	mutex_unlock(&sc->lock);
	return 0;
}

#define KVMMIG_TEMP_CHUNK	(64 * 1024)

static long kvmmig_get_temperature(struct kvmmig_session *s,
				   struct kvmmig_temperature *a)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);
	u64 done = 0, hist[KVMMIG_TEMP_LEVELS] = {};
	u8 *buf = NULL;
	long ret = 0;

	ret = kvmmig_check_temperature(a);
	if (ret)
		return ret;
	a->nr_done = 0;
	if (a->levels_ptr && a->npages) {
		buf = kvmalloc(min_t(u64, a->npages, KVMMIG_TEMP_CHUNK), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}

	while (done < a->npages) {
		u32 i, n = min_t(u64, a->npages - done, KVMMIG_TEMP_CHUNK);
		u64 chunk[KVMMIG_TEMP_LEVELS] = {};

		if (mutex_lock_killable(&sc->lock)) {
			ret = -EINTR;
			break;
		}
		kvmmig_temp_fill(sc, a->gfn + done, n, buf, chunk);
		mutex_unlock(&sc->lock);
		if (buf && copy_to_user(u64_to_user_ptr(a->levels_ptr + done), buf, n)) {
			ret = -EFAULT;
			break;
		}
		/* the histogram counts the frames reported done only */
		for (i = 0; i < KVMMIG_TEMP_LEVELS; i++)
			hist[i] += chunk[i];
		done += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(buf);

	a->nr_done = done;
	memcpy(a->histogram, hist, sizeof(hist));
	a->passes = READ_ONCE(sc->passes);
	return ret;
}

static long kvmmig_get_huge_candidates(struct kvmmig_session *s,
				       struct kvmmig_huge_candidates *a)
{
	struct kvmmig_scanner *sc = kvmmig_scanner(s);
	struct kvmmig_huge_candidate *out = NULL;
	struct kvmmig_topk_entry *e = NULL;
	struct kvmmig_topk topk;
	u32 i, r, observe = READ_ONCE(huge_observe_passes.val);
	long ret = 0;

	ret = kvmmig_check_huge_candidates(a);
	if (ret)
		return ret;
	if (a->nr) {
		e = kvcalloc(a->nr, sizeof(*e), GFP_KERNEL);
		out = kvcalloc(a->nr, sizeof(*out), GFP_KERNEL);
		if (!e || !out) {
			ret = -ENOMEM;
			goto out;
		}
	}
	kvmmig_topk_init(&topk, e, a->nr);

	ret = mutex_lock_killable(&sc->lock);
	if (ret)
		goto out;
	a->passes = sc->passes;
	a->observe_passes_left = sc->passes < observe ? observe - sc->passes : 0;
	for (i = 0; i < sc->nr_slots && !a->observe_passes_left; i++) {
		struct kvmmig_temp_map *m = &sc->slots[i].map;
		u64 region0 = m->base_gfn - m->head;

		for (r = 0; r < m->nr_regions; r++)
			if (m->region_score[r] && kvmmig_temp_region_is_full(m, r))
				kvmmig_topk_offer(&topk,
						  region0 + ((u64)r << KVMMIG_REGION_SHIFT),
						  m->region_score[r],
						  m->region_hits[r]);
	}
	mutex_unlock(&sc->lock);

	kvmmig_topk_sort(&topk);
	for (i = 0; i < topk.n; i++)
		out[i] = (struct kvmmig_huge_candidate){
			.gfn = topk.e[i].gfn,
			.score = topk.e[i].score,
			.hits = topk.e[i].hits,
		};
	a->nr = topk.n;
	if (topk.n && copy_to_user(u64_to_user_ptr(a->candidates_ptr), out,
				   topk.n * sizeof(*out))) {
		ret = -EFAULT;
		goto out;
	}
out:
	kvfree(e);
	kvfree(out);
	return ret;
}

/* GET_TEMPERATURE and GET_HUGE_CANDIDATES read the VM's temperature. */
static long kvmmig_ioctl_get_temperature(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_session *src = kvmmig_temperature_source(s);
	long ret = kvmmig_get_temperature(src, arg);

	if (src != s)
		kvmmig_session_put(src);
	return ret;
}

static long kvmmig_ioctl_get_huge_candidates(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_session *src = kvmmig_temperature_source(s);
	long ret = kvmmig_get_huge_candidates(src, arg);

	if (src != s)
		kvmmig_session_put(src);
	return ret;
}

static long kvmmig_cap_levels(struct kvmmig_session *s)
{
	return KVMMIG_TEMP_NR_LEVELS;
}

static const struct kvmmig_ioctl_desc kvmmig_temperature_ioctls[] = {
	/* one scanning session per VM: kvmmig_scan_claim() */
	KVMMIG_IOCTL(KVMMIG_SET_SCAN, struct kvmmig_scan, KVMMIG_SCAN_FLAGS, 0,
		     KVMMIG_CAP_TEMPERATURE, kvmmig_ioctl_set_scan),
	KVMMIG_IOCTL(KVMMIG_GET_TEMPERATURE, struct kvmmig_temperature, 0, 0,
		     KVMMIG_CAP_TEMPERATURE, kvmmig_ioctl_get_temperature),
	KVMMIG_IOCTL(KVMMIG_GET_HUGE_CANDIDATES, struct kvmmig_huge_candidates, 0,
		     0, KVMMIG_CAP_HUGE_CANDIDATES, kvmmig_ioctl_get_huge_candidates),
};

static const struct kvmmig_cap kvmmig_temperature_caps[] = {
	{ KVMMIG_CAP_TEMPERATURE, KVMMIG_TEMP_NR_LEVELS, kvmmig_cap_levels },
	{ KVMMIG_CAP_HUGE_CANDIDATES, 1 },
};

static const struct kvmmig_stat_def kvmmig_temperature_stats[] = {
	[KVMMIG_TEMP_STAT_PASSES]	   = { "scan_passes", KVMMIG_STAT_CNT },
	[KVMMIG_TEMP_STAT_REGIONS]	   = { "scan_regions", KVMMIG_STAT_CNT },
	[KVMMIG_TEMP_STAT_REGIONS_ACCESSED] = { "scan_regions_accessed", KVMMIG_STAT_CNT },
	[KVMMIG_TEMP_STAT_PAGES_TESTED]	   = { "scan_pages_tested", KVMMIG_STAT_CNT },
	[KVMMIG_TEMP_STAT_LAST_PASS_NS]	   = { "scan_last_pass", KVMMIG_STAT_TIME, -9 },
	[KVMMIG_TEMP_STAT_HOT_PAGES]	   = { "scan_hot_pages", KVMMIG_STAT_VAL },
	[KVMMIG_TEMP_STAT_TLB_FLUSHES]	   = { "scan_tlb_flushes", KVMMIG_STAT_CNT },
	[KVMMIG_TEMP_STAT_PERIOD_MS]	   = { "scan_period", KVMMIG_STAT_TIME, -3 },
};

const struct kvmmig_feature kvmmig_temperature_feature = {
	.name		= "temperature",
	.ioctls		= kvmmig_temperature_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_temperature_ioctls),
	.caps		= kvmmig_temperature_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_temperature_caps),
	.stats		= kvmmig_temperature_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_temperature_stats),
	.init		= kvmmig_temperature_init,
	.stop		= kvmmig_temperature_stop,
	.destroy	= kvmmig_temperature_destroy,
};
