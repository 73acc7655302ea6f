// SPDX-License-Identifier: GPL-2.0
/*
 * Memslot snapshots: KVM's memslots of every address space, read under
 * kvm->srcu into a kernel buffer and copied to userspace after the read
 * side is left (a fault on the user buffer must never delay KVM's
 * synchronize_srcu() in a memslot update).
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmmig/compat.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/memslots.h>

enum kvmmig_memslots_stat {
	KVMMIG_MEMSLOTS_STAT_GENERATION,
	KVMMIG_MEMSLOTS_STAT_CALLS,
};

/*
 * Fill up to @cap entries of @buf (may be NULL when @cap is 0) and return
 * the number of memslots the VM has; *@settled is false when an address
 * space was caught in the middle of an update (its memslots already the
 * new ones, its generation not yet advanced).  Caller holds kvm->srcu.
 */
static u32 kvmmig_memslots_read(struct kvm *kvm, struct kvmmig_memslot *buf,
				u32 cap, u64 *generation, bool *settled)
{
	u64 as_gen[KVMMIG_MAX_NR_AS] = {};
	int as, nr_as = kvmmig_vm_nr_as(kvm);
	struct kvm_memory_slot *m;
	u32 n = 0;
	int bkt;

	*settled = true;
	for (as = 0; as < nr_as; as++) {
		struct kvm_memslots *slots = __kvm_memslots(kvm, as);

		as_gen[as] = READ_ONCE(slots->generation);
		if (as_gen[as] & KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS)
			*settled = false;
		kvm_for_each_memslot(m, bkt, slots) {
			if (n < cap) {
				struct kvmmig_memslot *e = &buf[n];

				memset(e, 0, sizeof(*e));
				e->base_gfn = m->base_gfn;
				e->npages = m->npages;
				e->userspace_addr = m->userspace_addr;
				e->kvm_flags = m->flags;
				e->as_id = as;
				e->slot_id = m->id;
				if (m->id >= KVM_USER_MEM_SLOTS)
					e->flags |= KVMMIG_MEMSLOT_F_INTERNAL;
			}
			n++;
		}
	}
	*generation = kvmmig_memslots_generation(as_gen, nr_as);
	return n;
}

/* Snapshots caught in an update, a jiffy apart, before -EAGAIN. */
#define KVMMIG_MEMSLOTS_TRIES	100

static long kvmmig_ioctl_get_memslots(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_memslots *r = arg;
	struct kvmmig_memslot *buf = NULL;
	u64 generation;
	int idx, tries;
	bool settled;
	long ret;
	u32 n;

	ret = kvmmig_check_memslots(r);
	if (ret)
		return ret;

	if (r->nr_slots) {
		buf = kvmalloc_array(r->nr_slots, sizeof(*buf), GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
	}

	/*
	 * KVM publishes an address space's new memslots with its old
	 * generation and an update-in-progress flag, and advances the
	 * generation only after synchronize_srcu(): a snapshot taken then
	 * would report the old generation with the new layout.  So such a
	 * snapshot is not reported: the read side is left (letting the
	 * update finish) and the snapshot taken again.  The generation
	 * reported is then always the settled one of the layout copied out,
	 * and one generation never names two layouts.
	 */
	for (tries = 0;; tries++) {
		idx = srcu_read_lock(&s->kvm->srcu);
		n = kvmmig_memslots_read(s->kvm, buf, r->nr_slots, &generation,
					 &settled);
		srcu_read_unlock(&s->kvm->srcu, idx);
		if (settled)
			break;
		if (tries >= KVMMIG_MEMSLOTS_TRIES) {
			ret = -EAGAIN;
			goto out;
		}
		schedule_timeout_killable(1);
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out;
		}
	}

	if (n > r->nr_slots) {
		r->nr_slots = n;	/* the size needed */
		ret = -E2BIG;
		goto out;
	}
	kvmmig_memslots_sort(buf, n);
	if (n && copy_to_user(u64_to_user_ptr(r->slots_ptr), buf,
			      (size_t)n * sizeof(*buf))) {
		ret = -EFAULT;
		goto out;
	}
	r->nr_slots = n;
	r->generation = generation;
	kvmmig_stat_set(s, KVMMIG_FEAT_MEMSLOTS, KVMMIG_MEMSLOTS_STAT_GENERATION,
			generation);
	kvmmig_stat_add(s, KVMMIG_FEAT_MEMSLOTS, KVMMIG_MEMSLOTS_STAT_CALLS, 1);
	ret = 0;
out:
	kvfree(buf);
	return ret;
}

/*
 * For sysfs: the number of memslots in all address spaces, and the bytes
 * of guest memory, counted once: address space 0, KVM-internal slots left
 * out (the SMM address space aliases the same memory).
 */
void kvmmig_memslot_totals(struct kvmmig_session *s, u32 *nr_slots,
			   u64 *guest_bytes)
{
	struct kvm *kvm = s->kvm;
	struct kvm_memory_slot *m;
	int as, bkt, idx;
	u64 bytes = 0;
	u32 n = 0;

	idx = srcu_read_lock(&kvm->srcu);
	for (as = 0; as < kvmmig_vm_nr_as(kvm); as++) {
		/* one dereference: the macro evaluates its set at every step */
		struct kvm_memslots *slots = __kvm_memslots(kvm, as);

		kvm_for_each_memslot(m, bkt, slots) {
			n++;
			if (as == 0 && m->id < KVM_USER_MEM_SLOTS)
				bytes += (u64)m->npages << PAGE_SHIFT;
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);
	*nr_slots = n;
	*guest_bytes = bytes;
}

static const struct kvmmig_ioctl_desc kvmmig_memslots_ioctls[] = {
	KVMMIG_IOCTL(KVMMIG_GET_MEMSLOTS, struct kvmmig_memslots, 0, 0,
		     KVMMIG_CAP_MEMSLOTS, kvmmig_ioctl_get_memslots),
};

static const struct kvmmig_cap kvmmig_memslots_caps[] = {
	{ KVMMIG_CAP_MEMSLOTS, 1 },
};

static const struct kvmmig_stat_def kvmmig_memslots_stats[] = {
	/* generation returned by the last KVMMIG_GET_MEMSLOTS */
	[KVMMIG_MEMSLOTS_STAT_GENERATION] = { "memslot_generation", KVMMIG_STAT_VAL },
	[KVMMIG_MEMSLOTS_STAT_CALLS]	  = { "get_memslots", KVMMIG_STAT_CNT },
};

const struct kvmmig_feature kvmmig_memslots_feature = {
	.name		= "memslots",
	.ioctls		= kvmmig_memslots_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_memslots_ioctls),
	.caps		= kvmmig_memslots_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_memslots_caps),
	.stats		= kvmmig_memslots_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_memslots_stats),
};
