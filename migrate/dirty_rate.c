// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty rate (KVMMIG_GET_DIRTY_RATE), the input of the throttle controller.
 * Guest writes through EPT/NPT raise no host event and the
 * dirty harvest stays with the VMM, so the rate is read, never taken:
 *
 * - dirty ring (kvm->dirty_ring_size != 0): each vCPU's ring dirty_index
 *   is a free-running count of entries pushed; its growth over the window
 *   is that vCPU's count, the VM's is the sum;
 * - else, when KVMMIG_GET_SEND_ORDER was handed harvests in the window:
 *   the set bits of those bitmaps (kvmmig_dirty_report());
 * - else the memslot dirty bitmaps of address space 0's user slots: the
 *   first half is where KVM marks pages, and KVM_GET_DIRTY_LOG (without
 *   manual protect) empties it at each harvest, so its population count is
 *   the pages dirtied since the last harvest.  The window is meant to start
 *   at that harvest (RESET right after it).
 *
 * Nothing of KVM is written: fields are read with READ_ONCE (ring index)
 * or as plain words of a bitmap KVM updates atomically.
 *
 * Lock order: dirty->lock (mutex) is innermost among kvmmig's locks apart
 * from kvm->srcu, which is taken under it for the bitmap count.
 */
#include <linux/bitmap.h>
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <kvmmig/gmem.h>
#include <kvmmig/dirty_rate.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>

/**
 * kvmmig_dirty_ring_snapshot() - each vCPU's ring dirty_index now
 * @kvm: the VM
 * @nr: out: entries in the array returned
 *
 * Return: a new array (kfree() it), by vCPU index; NULL when the VM has no
 * dirty ring or no vCPU; ERR_PTR(-ENOMEM).
 */
u32 *kvmmig_dirty_ring_snapshot(struct kvm *kvm, u32 *nr)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u32 n = atomic_read(&kvm->online_vcpus), *v;

	*nr = 0;
	if (!kvm->dirty_ring_size || !n)
		return NULL;
	v = kcalloc(n, sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return ERR_PTR(-ENOMEM);
	kvm_for_each_vcpu(i, vcpu, kvm)
		if (i < n)
			v[i] = READ_ONCE(vcpu->dirty_ring.dirty_index);
	*nr = n;
	return v;
}

/**
 * kvmmig_dirty_ring_count() - ring entries each vCPU pushed since a snapshot
 * @kvm: the VM, with a dirty ring
 * @start: each vCPU's dirty_index at the start of the window
 *	(kvmmig_dirty_ring_snapshot()), or NULL
 * @nr_start: entries of @start; a vCPU past them was created later and
 *	started at 0
 * @counts: out: entries pushed by vCPU index, written for the first
 *	@nr_counts vCPUs (the caller zeroes the array), or NULL
 * @nr_counts: entries of @counts
 * @next: out: each vCPU's dirty_index as read for the count (the next
 *	window's start), the first @nr_next vCPUs, or NULL
 * @nr_next: entries of @next
 *
 * dirty_index is a free-running count of the entries a vCPU pushed: its
 * growth over a window is what that vCPU dirtied, whatever the VMM
 * harvested and reset meanwhile.  It is read, never written.
 *
 * Return: the entries all vCPUs pushed in the window.
 */
u64 kvmmig_dirty_ring_count(struct kvm *kvm, const u32 *start, u32 nr_start,
			    u64 *counts, u32 nr_counts, u32 *next, u32 nr_next)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	u64 pages = 0;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		u32 cur = READ_ONCE(vcpu->dirty_ring.dirty_index);
		u64 n = (u32)(cur - (i < nr_start ? start[i] : 0));

		if (next && i < nr_next)
			next[i] = cur;
		if (counts && i < nr_counts)
			counts[i] = n;
		pages += n;
	}
	return pages;
}

static int kvmmig_dirty_init(struct kvmmig_session *s)
{
	struct kvmmig_dirty *d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	u32 *ring;

	if (!d)
		return -ENOMEM;
	ring = kvmmig_dirty_ring_snapshot(s->kvm, &d->nr_ring);
	if (IS_ERR(ring)) {
		kfree(d);
		return PTR_ERR(ring);
	}
	mutex_init(&d->lock);
	d->ring_start = ring;
	d->start_ns = ktime_get_ns();
	s->priv[KVMMIG_FEAT_DIRTY_RATE] = d;
	return 0;
}

static void kvmmig_dirty_destroy(struct kvmmig_session *s)
{
	struct kvmmig_dirty *d = kvmmig_dirty(s);

	if (!d)
		return;
	kfree(d->ring_start);
	mutex_destroy(&d->lock);
	kfree(d);
	s->priv[KVMMIG_FEAT_DIRTY_RATE] = NULL;
}

/**
 * kvmmig_dirty_report - a dirty log harvest of @dirty_pages pages was
 *	handed to KVMMIG_GET_SEND_ORDER
 * @s: the session
 * @dirty_pages: set bits of its bitmap
 */
void kvmmig_dirty_report(struct kvmmig_session *s, u64 dirty_pages)
{
	struct kvmmig_dirty *d = kvmmig_dirty(s);

	/* a dying caller's harvest need not count */
	if (mutex_lock_killable(&d->lock))
		return;
	d->reported += dirty_pages;
	d->have_report = true;
	mutex_unlock(&d->lock);
}

/*
 * Pages set in the first half of the dirty bitmaps; false: none logged.
 * With manual dirty log protection (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
 * KVM_GET_DIRTY_LOG leaves that half as it is and the VMM clears it
 * lazily, so it counts pages not yet cleared, not a window: no source then.
 */
static bool kvmmig_dirty_bitmap_count(struct kvm *kvm, u64 *pages)
{
	struct kvm_memslots *slots;
	struct kvm_memory_slot *m;
	bool logged = false;
	int bkt, idx;

	*pages = 0;
	if (READ_ONCE(kvm->manual_dirty_log_protect))
		return false;
	idx = srcu_read_lock(&kvm->srcu);
	slots = __kvm_memslots(kvm, 0);
	kvm_for_each_memslot(m, bkt, slots) {
		if (!kvmmig_memslot_usable(m) || !m->dirty_bitmap)
			continue;
		logged = true;
		*pages += bitmap_weight(m->dirty_bitmap, m->npages);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return logged;
}

static long kvmmig_ioctl_get_dirty_rate(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_dirty_rate *a = arg;
	struct kvmmig_dirty *d = kvmmig_dirty(s);
	struct kvm *kvm = s->kvm;
	u32 *new_ring = NULL, new_nr = 0, cap;
	u64 *rates = NULL, now, window, pages = 0;
	bool reset;
	long ret = 0;

	ret = kvmmig_check_dirty_rate(a);
	if (ret)
		return ret;
	reset = a->flags & KVMMIG_DIRTY_RATE_RESET;
	cap = a->nr_vcpus;
	/*
	 * The outputs must be writable before a RESET ends the window: an
	 * -EFAULT afterwards would lose the measurement (the structure itself
	 * was checked by the dispatcher).
	 */
	if (cap && clear_user(u64_to_user_ptr(a->vcpu_rates_ptr),
			      (size_t)cap * sizeof(*rates)))
		return -EFAULT;
	if (cap) {
		rates = kvcalloc(cap, sizeof(*rates), GFP_KERNEL);
		if (!rates)
			return -ENOMEM;
	}

	ret = mutex_lock_killable(&d->lock);
	if (ret)
		goto out;
	if (reset) {
		/* the next window's start, taken with this window's end */
		new_ring = kvmmig_dirty_ring_snapshot(kvm, &new_nr);
		if (IS_ERR(new_ring)) {
			ret = PTR_ERR(new_ring);
			mutex_unlock(&d->lock);
			goto out;
		}
	}
	now = ktime_get_ns();
	window = max_t(u64, now - d->start_ns, 1);
	if (kvm->dirty_ring_size) {
		u32 i;

		a->source = KVMMIG_DIRTY_SRC_RING;
		/* the snapshot above may be a few entries older: read again */
		pages = kvmmig_dirty_ring_count(kvm, d->ring_start, d->nr_ring,
						rates, cap, new_ring, new_nr);
		for (i = 0; i < cap; i++)
			rates[i] = kvmmig_dirty_per_sec(rates[i], window);
	} else if (d->have_report) {
		a->source = KVMMIG_DIRTY_SRC_REPORTED;
		pages = d->reported;
	} else if (kvmmig_dirty_bitmap_count(kvm, &pages)) {
		a->source = KVMMIG_DIRTY_SRC_BITMAP;
	} else {
		a->source = KVMMIG_DIRTY_SRC_NONE;
	}
	if (reset) {
		kfree(d->ring_start);
		d->ring_start = new_ring;
		d->nr_ring = new_nr;
		d->start_ns = now;
		d->reported = 0;
		d->have_report = false;
	}
	mutex_unlock(&d->lock);

	a->nr_vcpus = atomic_read(&kvm->online_vcpus);
	a->dirty_pages = pages;
	a->window_ns = window;
	a->pages_per_sec = kvmmig_dirty_per_sec(pages, window);
	kvmmig_stat_set(s, KVMMIG_FEAT_DIRTY_RATE, 0, a->pages_per_sec);
	if (rates && copy_to_user(u64_to_user_ptr(a->vcpu_rates_ptr), rates,
				  (size_t)cap * sizeof(*rates))) {
		ret = -EFAULT;
		goto out;
	}
out:
	kvfree(rates);
	return ret;
}

static const struct kvmmig_ioctl_desc kvmmig_dirty_rate_ioctls[] = {
	/* RESET restarts this session's own window only */
	KVMMIG_IOCTL(KVMMIG_GET_DIRTY_RATE, struct kvmmig_dirty_rate,
		     KVMMIG_DIRTY_RATE_FLAGS, 0, KVMMIG_CAP_DIRTY_RATE,
		     kvmmig_ioctl_get_dirty_rate),
};

static const struct kvmmig_cap kvmmig_dirty_rate_caps[] = {
	{ KVMMIG_CAP_DIRTY_RATE, 1 },
};

static const struct kvmmig_stat_def kvmmig_dirty_rate_stats[] = {
	{ "dirty_rate", KVMMIG_STAT_VAL },
};

const struct kvmmig_feature kvmmig_dirty_rate_feature = {
	.name		= "dirty_rate",
	.ioctls		= kvmmig_dirty_rate_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_dirty_rate_ioctls),
	.caps		= kvmmig_dirty_rate_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_dirty_rate_caps),
	.stats		= kvmmig_dirty_rate_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_dirty_rate_stats),
	.init		= kvmmig_dirty_init,
	.destroy	= kvmmig_dirty_destroy,
};
