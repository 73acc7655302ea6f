// SPDX-License-Identifier: GPL-2.0
/*
 * Free-page hints: kernel glue of KVMMIG_FREE_HINTS around the
 * pure map of hint/free_hints_logic.c.
 *
 * A VMM passes on what its virtio-balloon free page hinting (or free page
 * reporting) handler receives: ADD the ranges the guest reports free,
 * REMOVE ranges that hold data again, MARK right after each dirty log
 * harvest (before KVMMIG_GET_SEND_ORDER of it), CLEAR when the hints no
 * longer hold (e.g. a migration ended).
 * KVMMIG_GET_SEND_ORDER leaves hinted frames out (migrate/send_order.c).
 *
 * Every range to ADD must lie in address space 0's user memslots: checked
 * under kvm->srcu (taken per range, not across the whole list) before
 * anything changes, so a bad range changes nothing.  The caller's struct
 * is written back unchanged before anything changes, so an unwritable
 * struct fails with -EFAULT and no change either.  Every loop reschedules
 * and the steps before a change stop on a fatal signal (-EINTR).
 *
 * The ranges are sorted and overlapping or adjacent ones merged before
 * the map is touched, so the work under the lock follows the frames
 * named, not the number of ranges (65536 ranges, each the whole guest,
 * cost one pass over the guest).
 *
 * Lock order: hints->lock (mutex, taken killable) nests inside nothing of
 * kvmmig's and nothing of kvmmig's is taken inside it; no user copy is
 * made under it (here or in KVMMIG_GET_SEND_ORDER, which takes it per
 * chunk).  Every change of the map bumps hints->gen under it.
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <kvmmig/gmem.h>
#include <kvmmig/free_hints.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>

static int kvmmig_hints_init(struct kvmmig_session *s)
{
	struct kvmmig_hints *h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);

	if (!h)
		return -ENOMEM;
	mutex_init(&h->lock);
	kvmmig_hint_map_init(&h->map);
	s->priv[KVMMIG_FEAT_FREE_HINTS] = h;
	return 0;
}

static void kvmmig_hints_destroy(struct kvmmig_session *s)
{
	struct kvmmig_hints *h = kvmmig_hints(s);

	if (!h)
		return;
	kvmmig_hint_map_destroy(&h->map);
	mutex_destroy(&h->lock);
	kfree(h);
	s->priv[KVMMIG_FEAT_FREE_HINTS] = NULL;
}

/* Whether address space 0's user memslots cover [gfn, gfn + n). */
static bool kvmmig_hints_in_slots(struct kvm *kvm, u64 gfn, u64 n)
{
	struct kvm_memslots *slots = __kvm_memslots(kvm, 0);
	u64 end = gfn + n;

	while (gfn < end) {
		struct kvm_memory_slot *m = __gfn_to_memslot(slots, gfn);

		if (!kvmmig_memslot_usable(m))
			return false;
		gfn = m->base_gfn + m->npages;
	}
	return true;
}

static int kvmmig_gfn_range_cmp(const void *a, const void *b)
{
	const struct kvmmig_gfn_range *x = a, *y = b;

	if (x->gfn != y->gfn)
		return x->gfn < y->gfn ? -1 : 1;
	return 0;
}

/* Sort @r and merge overlapping or adjacent ranges; returns how many remain. */
static u32 kvmmig_hints_merge(struct kvmmig_gfn_range *r, u32 n)
{
	u32 i, k = 0;

	if (!n)
		return 0;
	sort(r, n, sizeof(*r), kvmmig_gfn_range_cmp, NULL);
	for (i = 1; i < n; i++) {
		u64 end = r[k].gfn + r[k].npages;

		if (r[i].gfn <= end)
			r[k].npages = max(end, r[i].gfn + r[i].npages) - r[k].gfn;
		else
			r[++k] = r[i];
	}
	return k + 1;
}

/*
 * Copy in and check the ranges of @a; returns them as frames, sorted and
 * merged (@nr of them), or ERR_PTR.
 */
static struct kvmmig_gfn_range *kvmmig_hints_ranges(struct kvmmig_session *s,
						    const struct kvmmig_free_hints *a,
						    u32 *nr)
{
	struct kvmmig_gfn_range *r;
	u32 i;
	int idx, ret = 0;

	r = kvmalloc_array(a->nr_ranges, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(r, u64_to_user_ptr(a->ranges_ptr),
			   (size_t)a->nr_ranges * sizeof(*r))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < a->nr_ranges; i++) {
		ret = kvmmig_check_gfn_range(&r[i]);
		if (ret)
			goto out;
	}
	/* Removing is allowed anywhere, e.g. after a memslot is deleted. */
	if (a->flags & KVMMIG_FREE_HINT_REMOVE)
		goto out;
	for (i = 0; i < a->nr_ranges && !ret; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		idx = srcu_read_lock(&s->kvm->srcu);
		if (!kvmmig_hints_in_slots(s->kvm, r[i].gfn, r[i].npages))
			ret = -EINVAL;
		srcu_read_unlock(&s->kvm->srcu, idx);
	}
out:
	if (ret) {
		kvfree(r);
		return ERR_PTR(ret);
	}
	*nr = kvmmig_hints_merge(r, a->nr_ranges);
	return r;
}

static long kvmmig_ioctl_free_hints(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_free_hints *a = arg;
	struct kvmmig_gfn_range *r = NULL;
	struct kvmmig_hints *h = kvmmig_hints(s);
	long ret = 0;
	u32 i, nr = 0;

	ret = kvmmig_check_free_hints(a);
	if (ret)
		return ret;
	a->nr_done = 0;
	if (a->flags & (KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE)) {
		r = kvmmig_hints_ranges(s, a, &nr);
		if (IS_ERR(r))
			return PTR_ERR(r);
	}
	/* the result is copied out last: check now that it can be */

	ret = mutex_lock_killable(&h->lock);
	if (ret)
		goto out_free;
	switch (a->flags) {
	case KVMMIG_FREE_HINT_ADD:
		ret = kvmmig_hint_map_add(&h->map, r, nr);
		h->gen++;
		break;
	case KVMMIG_FREE_HINT_REMOVE:
		for (i = 0; i < nr; i++) {
			kvmmig_hint_map_remove(&h->map, r[i].gfn, r[i].npages);
			cond_resched();
		}
		h->gen++;
		break;
	case KVMMIG_FREE_HINT_MARK:
		kvmmig_hint_map_mark(&h->map);
		h->marks++;
		h->gen++;
		break;
	case KVMMIG_FREE_HINT_CLEAR:
		kvmmig_hint_map_clear(&h->map);
		h->gen++;
		break;
	default:	/* a query */
		break;
	}
	if (!ret)
		a->nr_done = a->nr_ranges;
	a->nr_hinted = kvmmig_hint_map_count(&h->map);
	a->mark = h->marks;
	mutex_unlock(&h->lock);

	kvmmig_stat_set(s, KVMMIG_FEAT_FREE_HINTS, KVMMIG_STAT_FREE_HINTED, a->nr_hinted);
out_free:
	kvfree(r);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_free_hints_stats[] = {
	[KVMMIG_STAT_FREE_HINTED] = { "free_hinted_pages", KVMMIG_STAT_VAL },
	[KVMMIG_STAT_FREE_HINTS_DROPPED] = { "free_hints_dropped", KVMMIG_STAT_CNT },
};

static const struct kvmmig_ioctl_desc kvmmig_free_hints_ioctls[] = {
	KVMMIG_IOCTL(KVMMIG_FREE_HINTS, struct kvmmig_free_hints, KVMMIG_FREE_HINT_FLAGS,
		     KVMMIG_NEED_FULL_SESSION, KVMMIG_CAP_FREE_HINTS, kvmmig_ioctl_free_hints),
};

static const struct kvmmig_cap kvmmig_free_hints_caps[] = {
	{ KVMMIG_CAP_FREE_HINTS, 1 },
};

const struct kvmmig_feature kvmmig_free_hints_feature = {
	.name		= "free_hints",
	.ioctls		= kvmmig_free_hints_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_free_hints_ioctls),
	.caps		= kvmmig_free_hints_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_free_hints_caps),
	.stats		= kvmmig_free_hints_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_free_hints_stats),
	.init		= kvmmig_hints_init,
	.destroy	= kvmmig_hints_destroy,
};
