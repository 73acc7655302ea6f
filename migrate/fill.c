// SPDX-License-Identifier: GPL-2.0
/*
 * KVMMIG_FILL: deferred-fill metadata on the destination, the kernel
 * glue around the pure logic of migrate/working_set_logic.c.
 *
 * Lock order: fill->lock (mutex, taken killable by KVMMIG_FILL only) ->
 * the xarray's own spinlock.  Nothing else is taken under fill->lock: the
 * memslot look-ups (kvm->srcu) and the reads of the VMM's backing
 * (kvmmig_hpt_get_page() under mmap_lock for read) of a SET happen before
 * it is taken, and no user memory is touched under it (GET fills a kernel
 * copy of the entries, copied out after the unlock).
 *
 * The records live in an xarray indexed by frame.  A ZERO record is a
 * value entry holding its flags; a PATTERN or DUP record is a small
 * allocation (struct kvmmig_fill_rec).  Memory is charged to the VMM's
 * memory cgroup (GFP_KERNEL_ACCOUNT); a call handles at most
 * KVMMIG_FILL_MAX_PAGES entries, and a map holds at most one record per
 * frame of the memslots a SET checked its frames against.
 *
 * SET is all-or-nothing.  Every entry is checked first (class, flags,
 * value, frames in address space 0's user memslots) and each ZERO or
 * PATTERN page's backing is read without faulting; then, under
 * fill->lock, a slot is reserved in the xarray for every frame that has
 * no record (the only step that allocates; on failure the reservations
 * are released and nothing changed) and the records are stored, which no
 * longer fails.
 *
 * A page whose backing already holds its class is recorded without
 * KVMMIG_FILL_NEEDS_UPDATE: the VMM's page at the frame's address is read
 * with kvmmig_hpt_get_page() (it never faults, so a userfaultfd range is
 * never entered, and never allocates): memory never written (an anonymous
 * or shared-memory hole, a userfaultfd MISSING hole) reads as zero, as
 * does the shared zero page; anything else not resident (swap, a
 * hugetlbfs page the VMM has not mapped) or not readable is flagged.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <kvmmig/gmem.h>
#include <kvmmig/host_pt.h>
#include <kvmmig/core.h>
#include <kvmmig/fill.h>
#include <kvmmig/ioctl.h>

/* Counters of the feature in the stats fd */
enum kvmmig_fill_stat {
	KVMMIG_STAT_FILL_FLAGGED,
	KVMMIG_STAT_FILL_UNFLAGGED,
	KVMMIG_STAT_FILL_DONE,
};

/* Entries whose frames are looked up per kvm->srcu section. */
#define KVMMIG_FILL_BATCH	512

/**
 * struct kvmmig_fill_map - a session's deferred-fill records
 * @lock: serialises KVMMIG_FILL calls and every access to @xa's entries
 * @xa: the records, by frame
 * @nr_records: records in @xa
 * @nr_flagged: records with KVMMIG_FILL_NEEDS_UPDATE
 */
struct kvmmig_fill_map {
	struct mutex lock;	/* see above */
	struct xarray xa;
	u64 nr_records;
	u64 nr_flagged;
};

/**
 * struct kvmmig_fill_rec - a PATTERN or DUP record
 * @value: the pattern word, or the canonical frame
 * @class: KVMMIG_CLASS_PATTERN or _DUP
 * @flags: KVMMIG_FILL_NEEDS_UPDATE or 0
 */
struct kvmmig_fill_rec {
	u64 value;
	u32 class;
	u32 flags;
};

static u32 kvmmig_fill_entry_flags(void *e)
{
	if (xa_is_value(e))
		return xa_to_value(e);
	return ((struct kvmmig_fill_rec *)e)->flags;
}

static void kvmmig_fill_entry_read(void *e, struct kvmmig_fill_page *p)
{
	if (!e) {
		p->class = KVMMIG_CLASS_DATA;
		p->flags = 0;
		p->value = 0;
	} else if (xa_is_value(e)) {
		p->class = KVMMIG_CLASS_ZERO;
		p->flags = KVMMIG_FILL_KNOWN | xa_to_value(e);
		p->value = 0;
	} else {
		struct kvmmig_fill_rec *r = e;

		p->class = r->class;
		p->flags = KVMMIG_FILL_KNOWN | r->flags;
		p->value = r->value;
	}
}

static void kvmmig_fill_entry_free(void *e)
{
	if (e && !xa_is_value(e))
		kfree(e);
}

/* The map forgets entry @e (already out of the xarray). */
static void kvmmig_fill_forget(struct kvmmig_fill_map *f, void *e)
{
	f->nr_records--;
	if (kvmmig_fill_entry_flags(e) & KVMMIG_FILL_NEEDS_UPDATE)
		f->nr_flagged--;
	kvmmig_fill_entry_free(e);
}

/**
 * kvmmig_fill_init() - give a session its (empty) deferred-fill map
 * @s: the session, at attach
 *
 * Return: 0 or -ENOMEM.
 */
static int kvmmig_fill_init(struct kvmmig_session *s)
{
	struct kvmmig_fill_map *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	xa_init(&f->xa);
	s->priv[KVMMIG_FEAT_FILL] = f;
	return 0;
}

/* Drop every record; fill->lock held, or the map no longer shared. */
static void kvmmig_fill_drop_all(struct kvmmig_fill_map *f)
{
	unsigned long gfn;
	u64 n = 0;
	void *e;

	xa_for_each(&f->xa, gfn, e) {
		xa_erase(&f->xa, gfn);
		kvmmig_fill_entry_free(e);
		if (!(++n % 4096))
			cond_resched();
	}
	xa_destroy(&f->xa);
	f->nr_records = 0;
	f->nr_flagged = 0;
}

/**
 * kvmmig_fill_destroy() - free the session's records and map
 * @s: the session, when its structure is freed (no call can run)
 *
 * Accepts a map kvmmig_fill_init() never made.
 */
static void kvmmig_fill_destroy(struct kvmmig_session *s)
{
	struct kvmmig_fill_map *f = kvmmig_fill(s);

	if (!f)
		return;
	kvmmig_fill_drop_all(f);
	mutex_destroy(&f->lock);
	kfree(f);
	s->priv[KVMMIG_FEAT_FILL] = NULL;
}

/*
 * Check entries [@i, @i + @n) of a SET and find the address of each
 * ZERO or PATTERN page in the VMM (@hva; 0 for a DUP).
 */
static int kvmmig_fill_lookup(struct kvm *kvm, const struct kvmmig_fill_page *p,
			      unsigned long *hva, u32 n)
{
	int idx, ret = 0;
	u32 i;

	idx = srcu_read_lock(&kvm->srcu);
	for (i = 0; i < n; i++) {
		struct kvm_memory_slot *m = kvmmig_gfn_memslot(kvm, p[i].gfn);

		if (!m || (p[i].class == KVMMIG_CLASS_DUP &&
			   !kvmmig_gfn_memslot(kvm, p[i].value))) {
			ret = -EINVAL;
			break;
		}
		hva[i] = p[i].class == KVMMIG_CLASS_DUP ? 0 :
			 __gfn_to_hva_memslot(m, p[i].gfn);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/*
 * Does the VMM's memory at @hva already hold @class/@value?  Never faults.
 * Return: 1 yes, 0 no, -EINTR when killed waiting for mmap_lock.
 */
static int kvmmig_fill_backing_holds(struct mm_struct *mm, unsigned long hva,
				     u32 class, u64 value)
{
	enum kvmmig_hpt_state st;
	struct page *page;
	bool holds;
	void *p;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	st = kvmmig_hpt_get_page(mm, hva, &page);
	mmap_read_unlock(mm);
	switch (st) {
	case KVMMIG_HPT_PAGE:
		p = kmap_local_page(page);
		holds = kvmmig_fill_page_holds(p, PAGE_SIZE, class, value);
		kunmap_local(p);
		put_page(page);
		return holds;
	case KVMMIG_HPT_NONE:
	case KVMMIG_HPT_MISSING:
	case KVMMIG_HPT_ZERO_PAGE:
		return kvmmig_fill_class_may_hold(class, value);
	default:
		return 0;
	}
}

/*
 * SET, before the lock: check every entry, read the backings, and build
 * the entry to store for each (@ent).  Nothing of the map changes here.
 */
static int kvmmig_fill_prepare(struct kvmmig_session *s,
			       struct kvmmig_fill_page *p, u32 n, void **ent,
			       u64 *nr_unflagged)
{
	unsigned long *hva;
	u32 i, b;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kvmmig_check_fill_page(&p[i]);
		if (ret)
			return ret;
	}
	hva = kmalloc_array(KVMMIG_FILL_BATCH, sizeof(*hva), GFP_KERNEL);
	if (!hva)
		return -ENOMEM;
	*nr_unflagged = 0;
	for (b = 0; b < n; b += KVMMIG_FILL_BATCH) {
		u32 bn = min_t(u32, n - b, KVMMIG_FILL_BATCH);

		ret = kvmmig_fill_lookup(s->kvm, p + b, hva, bn);
		if (ret)
			goto out;
		for (i = 0; i < bn; i++) {
			struct kvmmig_fill_page *q = &p[b + i];
			u32 flags = KVMMIG_FILL_NEEDS_UPDATE;
			struct kvmmig_fill_rec *r;

			if (hva[i]) {
				ret = kvmmig_fill_backing_holds(s->mm, hva[i],
								q->class, q->value);
				if (ret < 0)
					goto out;
				if (ret) {
					flags = 0;
					(*nr_unflagged)++;
				}
			}
			/* @flags is 0 on input: it now says what is stored */
			q->flags = flags;
			if (q->class == KVMMIG_CLASS_ZERO) {
				ent[b + i] = xa_mk_value(flags);
				continue;
			}
			r = kmalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
			if (!r) {
				ret = -ENOMEM;
				goto out;
			}
			r->value = q->value;
			r->class = q->class;
			r->flags = flags;
			ent[b + i] = r;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out;
		}
		cond_resched();
	}
	ret = 0;
out:
	kfree(hva);
	return ret;
}

/*
 * SET, under the lock: reserve a slot for each new frame, then store.
 * On -ENOMEM the map is as it was.
 */
static int kvmmig_fill_commit(struct kvmmig_fill_map *f,
			      const struct kvmmig_fill_page *p, u32 n,
			      void **ent)
{
	unsigned long *reserved;
	u32 i;
	int ret = 0;

	lockdep_assert_held(&f->lock);
	reserved = bitmap_zalloc(n, GFP_KERNEL);
	if (!reserved)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (xa_load(&f->xa, p[i].gfn))
			continue;
		ret = xa_reserve(&f->xa, p[i].gfn, GFP_KERNEL_ACCOUNT);
		if (ret)
			break;
		__set_bit(i, reserved);
	}
	if (ret) {
		for_each_set_bit(i, reserved, n)
			xa_release(&f->xa, p[i].gfn);
		goto out;
	}
	for (i = 0; i < n; i++) {
		void *old = xa_store(&f->xa, p[i].gfn, ent[i], GFP_KERNEL_ACCOUNT);

		if (WARN_ON_ONCE(xa_is_err(old))) {
			/* cannot happen: the slot exists */
			kvmmig_fill_entry_free(ent[i]);
			ent[i] = NULL;
			continue;
		}
		if (old)
			kvmmig_fill_forget(f, old);
		f->nr_records++;
		if (kvmmig_fill_entry_flags(ent[i]) & KVMMIG_FILL_NEEDS_UPDATE)
			f->nr_flagged++;
		ent[i] = NULL;	/* the map owns it */
	}
out:
	bitmap_free(reserved);
	return ret;
}

static int kvmmig_fill_set(struct kvmmig_session *s, struct kvmmig_fill *a,
			   struct kvmmig_fill_page *p)
{
	struct kvmmig_fill_map *f = kvmmig_fill(s);
	u64 nr_unflagged = 0;
	void **ent;
	u32 i;
	int ret;

	ent = kvcalloc(a->nr_pages, sizeof(*ent), GFP_KERNEL);
	if (!ent)
		return -ENOMEM;
	ret = kvmmig_fill_prepare(s, p, a->nr_pages, ent, &nr_unflagged);
	if (!ret)
		ret = mutex_lock_killable(&f->lock);
	if (!ret) {
		ret = kvmmig_fill_commit(f, p, a->nr_pages, ent);
		a->nr_flagged = f->nr_flagged;
		kvmmig_stat_set(s, KVMMIG_FEAT_FILL, KVMMIG_STAT_FILL_FLAGGED, f->nr_flagged);
		mutex_unlock(&f->lock);
	}
	if (!ret) {
		a->nr_unflagged = nr_unflagged;
		kvmmig_stat_add(s, KVMMIG_FEAT_FILL, KVMMIG_STAT_FILL_UNFLAGGED, nr_unflagged);
	}
	for (i = 0; i < a->nr_pages; i++)
		kvmmig_fill_entry_free(ent[i]);
	kvfree(ent);
	return ret;
}

/* GET, DONE and CLEAR: under fill->lock. */
static void kvmmig_fill_op_locked(struct kvmmig_session *s,
				  struct kvmmig_fill *a,
				  struct kvmmig_fill_page *p)
{
	struct kvmmig_fill_map *f = kvmmig_fill(s);
	u64 dropped = 0;
	u32 i;

	lockdep_assert_held(&f->lock);
	if (a->flags & KVMMIG_FILL_CLEAR) {
		dropped = f->nr_records;
		kvmmig_fill_drop_all(f);
	}
	for (i = 0; i < a->nr_pages; i++) {
		if (a->flags & KVMMIG_FILL_GET) {
			kvmmig_fill_entry_read(xa_load(&f->xa, p[i].gfn), &p[i]);
		} else {
			void *e = xa_erase(&f->xa, p[i].gfn);

			if (e) {
				kvmmig_fill_forget(f, e);
				dropped++;
			}
		}
		if (!(i % 4096))
			cond_resched();
	}
	if (a->flags & KVMMIG_FILL_DONE)
		kvmmig_stat_add(s, KVMMIG_FEAT_FILL, KVMMIG_STAT_FILL_DONE, dropped);
	a->nr_flagged = f->nr_flagged;
	kvmmig_stat_set(s, KVMMIG_FEAT_FILL, KVMMIG_STAT_FILL_FLAGGED, f->nr_flagged);
}

/**
 * kvmmig_ioctl_fill() - KVMMIG_FILL
 * @s: the session
 * @arg: the kernel's copy of the caller's struct kvmmig_fill
 *
 * Return: 0, -EINVAL for bad arguments or a bad SET entry (nothing
 * recorded), -EFAULT, -ENOMEM (nothing recorded) or -EINTR when killed.
 */
static long kvmmig_ioctl_fill(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_fill *a = arg;
	struct kvmmig_fill_page *p = NULL;
	size_t len;
	long ret;

	a->nr_done = 0;
	ret = kvmmig_check_fill(a);
	if (ret)
		return ret;
	len = (size_t)a->nr_pages * sizeof(*p);
	if (len) {
		p = kvmalloc(len, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		if (copy_from_user(p, u64_to_user_ptr(a->pages_ptr), len)) {
			ret = -EFAULT;
			goto out;
		}
	}
	a->nr_unflagged = 0;
	/*
	 * The result is written back last: check now that it can be, so
	 * that an unwritable struct records or drops nothing.
	 */
	if (a->flags & KVMMIG_FILL_SET) {
		ret = kvmmig_fill_set(s, a, p);
	} else {
		ret = mutex_lock_killable(&kvmmig_fill(s)->lock);
		if (!ret) {
			kvmmig_fill_op_locked(s, a, p);
			mutex_unlock(&kvmmig_fill(s)->lock);
		}
	}
	if (ret)
		goto out;
	if ((a->flags & KVMMIG_FILL_GET) &&
	    copy_to_user(u64_to_user_ptr(a->pages_ptr), p, len)) {
		ret = -EFAULT;
		goto out;
	}
	a->nr_done = a->nr_pages;	/* all or nothing */
out:
	kvfree(p);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_fill_stats[] = {
	[KVMMIG_STAT_FILL_FLAGGED] = { "fill_flagged", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_FILL_UNFLAGGED] = { "fill_unflagged", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_FILL_DONE] = { "fill_done", KVMMIG_STAT_CNT },
};

static const struct kvmmig_ioctl_desc kvmmig_fill_ioctls[] = {
	KVMMIG_IOCTL(KVMMIG_FILL, struct kvmmig_fill, KVMMIG_FILL_FLAGS,
		     KVMMIG_NEED_FULL_SESSION | KVMMIG_NEED_VMM_MM, KVMMIG_CAP_FILL,
		     kvmmig_ioctl_fill),
};

static const struct kvmmig_cap kvmmig_fill_caps[] = {
	{ KVMMIG_CAP_FILL, 1 },
};

const struct kvmmig_feature kvmmig_fill_feature = {
	.name		= "fill",
	.ioctls		= kvmmig_fill_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_fill_ioctls),
	.caps		= kvmmig_fill_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_fill_caps),
	.stats		= kvmmig_fill_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_fill_stats),
	.init		= kvmmig_fill_init,
	.destroy	= kvmmig_fill_destroy,
};
