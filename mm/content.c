// SPDX-License-Identifier: GPL-2.0
/*
 * KVMMIG_CLASSIFY: content classes of guest pages (pattern pages, canonical
 * pages), the kernel glue around the pure logic of
 * mm/content_logic.c.
 *
 * A call works through its pages in batches of KVMMIG_CLASSIFY_BATCH:
 * (1) the batch's frames (a range, or read from the user's list); (2)
 * under kvm->srcu, each frame's usable memslot of address space 0 and host
 * virtual address; (3) with the read side left, under the VMM's mmap_lock
 * for read, each address's page from the VMM's page tables
 * (kvmmig_hpt_get_page(): VMA looked up, leaf read under its page-table
 * lock, a reference taken); (4) each page, through kmap_local_page(),
 * scanned for zero / one repeated word, and a DATA page copied (to the
 * user's data buffer, or else to a bounce buffer) while its xxh64 is
 * computed, then looked up in the call's canonical table; (5) the batch's
 * records copied out.  Guest memory is never copied to userspace to be
 * classified there.
 *
 * Reading never allocates, whatever backs the guest: memory the VMM never
 * wrote (a hole of anonymous or shared memory, the shared zero page)
 * reads as ZERO without being populated, and memory that is not resident
 * (swapped out, a userfaultfd hole not placed yet, a hugetlbfs page the
 * VMM has not mapped) is ABSENT: the VMM reads it itself if it wants it.
 * get_user_pages() with FOLL_GET would fill every hole of a memfd or
 * hugetlbfs backing on a read fault, growing the VMM's memory to the
 * whole guest in one pass.  The references are held only while a page is
 * read, by the CPU, and dropped before the batch ends.  A page replaced
 * by COW while we read it is what the dirty log covers anyway: a page
 * written after it was classified is sent again.
 *
 * A DUP is declared only after a full compare with the bytes of its
 * canonical page: with a data buffer, the copy returned for the canonical
 * (read back from that buffer), so a DUP always equals what the VMM got
 * even if the guest wrote the canonical page since; without one, the
 * canonical page as it is now.  The page's own side of the compare is its
 * copy, the very bytes that were hashed: in the data buffer's next free
 * slot, or in the bounce buffer.  A DUP leaves that slot free for the
 * next DATA page (so the data buffer past @nr_data pages is scratch).
 *
 * NO_SLOT: a frame in no usable memslot (kvmmig_memslot_usable()).  A
 * frame whose memslot address the VMM cannot read (unmapped, PROT_NONE,
 * VM_PFNMAP) fails the call with -EFAULT at that page.
 *
 * Locking: no kvmmig lock is taken (a call changes no session state but
 * the atomic counters).  kvm->srcu is held only while one batch's frames
 * are looked up, never while user memory is faulted or copied, so a
 * memslot update waits for one batch of look-ups at most.  A memslot may
 * go away once srcu is dropped: its pages are then read through the
 * VMM's mapping as it is, which is the VMM's own memory, and the answer
 * is as stale as any other after a memslot change.
 */
#include <linux/highmem.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmmig/content.h>
#include <kvmmig/gmem.h>
#include <kvmmig/host_pt.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>

/* Counters of the feature in the stats fd */
enum kvmmig_content_stat {
	KVMMIG_STAT_CLASSIFY_PAGES,
	KVMMIG_STAT_CLASSIFY_ZERO,
	KVMMIG_STAT_CLASSIFY_PATTERN,
	KVMMIG_STAT_CLASSIFY_DUP,
	KVMMIG_STAT_CLASSIFY_DATA,
};

/* Pages per batch: 2 MiB, one mmap_lock hold for their look-ups. */
#define KVMMIG_CLASSIFY_BATCH	512
/* hva of a frame in no (user) memslot */
#define KVMMIG_NO_HVA		(~0UL)

/**
 * struct kvmmig_classify_call - the state of one KVMMIG_CLASSIFY call
 * @kvm: the VM
 * @a: the argument; its out fields count what is done
 * @dedup: search for DUP pages
 * @canon: the canonical table
 * @src: per page index, when @dedup: user address of the bytes of a
 *	canonical page (in the data buffer, or the page itself)
 * @nr_data: DATA pages copied to the data buffer, this batch included
 * @cur: with a data buffer: where the page being classified was copied
 * @bounce: without one: the DATA page being classified, as copied and
 *	hashed
 * @rec: the batch's records
 * @gfn: the batch's frames
 * @hva: the batch's host virtual addresses, or KVMMIG_NO_HVA
 * @pages: the batch's pages, where @state is KVMMIG_HPT_PAGE
 * @state: what the VMM's memory holds at each @hva
 * @mm: the VMM's address space
 */
struct kvmmig_classify_call {
	struct kvm *kvm;
	struct kvmmig_classify *a;
	bool dedup;
	struct kvmmig_canon canon;
	u64 *src;
	u32 nr_data;
	u64 cur;
	void *bounce;
	struct kvmmig_page_class rec[KVMMIG_CLASSIFY_BATCH];
	u64 gfn[KVMMIG_CLASSIFY_BATCH];
	unsigned long hva[KVMMIG_CLASSIFY_BATCH];
	struct page *pages[KVMMIG_CLASSIFY_BATCH];
	enum kvmmig_hpt_state state[KVMMIG_CLASSIFY_BATCH];
	struct mm_struct *mm;
};

/*
 * Word by word, stopping at the first difference: 0 when the page at user
 * address @u equals @k (kernel) or @uk (user), 1 when not, -EFAULT.  One
 * pass that stops early, rather than copy_from_user() and memcmp().
 */
static int kvmmig_cmp_user(const u64 __user *u, const u64 *k,
			   const u64 __user *uk)
{
	unsigned int i;
	u64 x, y;

	if (uk && !access_ok(uk, KVMMIG_PAGE_BYTES))
		return -EFAULT;
	if (!user_access_begin(u, KVMMIG_PAGE_BYTES))
		return -EFAULT;
	for (i = 0; i < KVMMIG_PAGE_WORDS; i++) {
		unsafe_get_user(x, &u[i], efault);
		if (uk)
			unsafe_get_user(y, &uk[i], efault);
		else
			y = k[i];
		if (x != y)
			break;
	}
	user_access_end();
	return i < KVMMIG_PAGE_WORDS;
efault:
	user_access_end();
	return -EFAULT;
}

/* kvmmig_canon_cmp_t: canonical page @idx against the current page. */
static int kvmmig_classify_cmp(void *ctx, u32 idx, const void *page)
{
	struct kvmmig_classify_call *c = ctx;
	const u64 __user *canon = u64_to_user_ptr(c->src[idx]);
	int ret;

	if (c->a->data_ptr)
		/* both as returned, in the data buffer */
		return kvmmig_cmp_user(canon, NULL, u64_to_user_ptr(c->cur));
	/* the canonical page now, against this page's bounce copy */
	ret = kvmmig_cmp_user(canon, page, NULL);
	return ret < 0 ? 1 : ret;	/* unmapped since: it differs */
}

/*
 * Copy a page to userspace and compute its signature in the same pass, so
 * the signature is that of the bytes stored; no bounce buffer, no second
 * pass over the page.
 */
static int kvmmig_copy_sig_user(u64 __user *dst, const u64 *src, u64 *sig)
{
	struct kvmmig_sig st;
	unsigned int i;

	if (!user_access_begin(dst, KVMMIG_PAGE_BYTES))
		return -EFAULT;
	kvmmig_sig_init(&st);
	for (i = 0; i < KVMMIG_PAGE_WORDS; i += 8) {
		u64 a = src[i], b = src[i + 1], c = src[i + 2], d = src[i + 3];
		u64 e = src[i + 4], f = src[i + 5], g = src[i + 6], h = src[i + 7];

		unsafe_put_user(a, &dst[i], efault);
		unsafe_put_user(b, &dst[i + 1], efault);
		unsafe_put_user(c, &dst[i + 2], efault);
		unsafe_put_user(d, &dst[i + 3], efault);
		unsafe_put_user(e, &dst[i + 4], efault);
		unsafe_put_user(f, &dst[i + 5], efault);
		unsafe_put_user(g, &dst[i + 6], efault);
		unsafe_put_user(h, &dst[i + 7], efault);
		kvmmig_sig_update(&st, a, b, c, d);
		kvmmig_sig_update(&st, e, f, g, h);
	}
	user_access_end();
	*sig = kvmmig_sig_final(st);
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Frames to host virtual addresses, under kvm->srcu. */
static void kvmmig_classify_translate(struct kvmmig_classify_call *c,
				      unsigned int n)
{
	unsigned int i;
	int idx;

	idx = srcu_read_lock(&c->kvm->srcu);
	for (i = 0; i < n; i++) {
		struct kvm_memory_slot *m = kvmmig_gfn_memslot(c->kvm, c->gfn[i]);

		if (!m)
			c->hva[i] = KVMMIG_NO_HVA;
		else
			c->hva[i] = __gfn_to_hva_memslot(m, c->gfn[i]);
	}
	srcu_read_unlock(&c->kvm->srcu, idx);
}

/* Classify page @idx of the call (@bi of the batch), mapped at @p. */
static int kvmmig_classify_one(struct kvmmig_classify_call *c, u32 idx,
			       unsigned int bi, struct page *page)
{
	struct kvmmig_page_class *r = &c->rec[bi];
	void *p = kmap_local_page(page);
	const void *bytes;
	u64 sig, dst = 0;
	u32 canon;
	int ret;

	r->class = kvmmig_page_scan(p, &r->value);
	r->ref = 0;
	if (r->class != KVMMIG_CLASS_DATA) {
		kunmap_local(p);
		return 0;
	}
	if (c->a->data_ptr) {
		/* into the next free slot; a DUP leaves it free again */
		dst = c->a->data_ptr + (u64)c->nr_data * KVMMIG_PAGE_BYTES;
		ret = kvmmig_copy_sig_user(u64_to_user_ptr(dst), p, &sig);
		kunmap_local(p);
		if (ret)
			return ret;
		c->cur = dst;
		bytes = NULL;
	} else {
		sig = kvmmig_page_copy_sig(c->bounce, p);
		kunmap_local(p);
		bytes = c->bounce;
	}
	r->value = sig;

	if (c->dedup) {
		ret = kvmmig_canon_dedup(&c->canon, sig, idx, bytes,
					 kvmmig_classify_cmp, c, &canon);
		if (ret < 0)
			return ret;
		if (ret) {
			r->class = KVMMIG_CLASS_DUP;
			r->ref = canon;
			return 0;
		}
	}
	if (c->a->data_ptr) {
		r->ref = c->nr_data++;
		if (c->dedup)
			c->src[idx] = dst;
	} else if (c->dedup) {
		c->src[idx] = c->hva[bi];
	}
	return 0;
}

/*
 * The batch's pages from the VMM's page tables (kvmmig_hpt_get_page():
 * nothing faulted in or allocated), all under one hold of mmap_lock.
 */
static int kvmmig_classify_get_pages(struct kvmmig_classify_call *c,
				     unsigned int n)
{
	unsigned int i;

	if (mmap_read_lock_killable(c->mm))
		return -EINTR;
	for (i = 0; i < n; i++) {
		c->pages[i] = NULL;
		c->state[i] = c->hva[i] == KVMMIG_NO_HVA ? KVMMIG_HPT_UNREADABLE :
			      kvmmig_hpt_get_page(c->mm, c->hva[i], &c->pages[i]);
	}
	mmap_read_unlock(c->mm);
	return 0;
}

/*
 * Classify the batch's @n pages, the first being page @start of the call.
 * *@ok: the pages whose records are ready, from the first, also on error.
 */
static int kvmmig_classify_batch(struct kvmmig_classify_call *c, u32 start,
				 unsigned int n, unsigned int *ok)
{
	unsigned int i;
	int ret;

	*ok = 0;
	ret = kvmmig_classify_get_pages(c, n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		struct kvmmig_page_class *r = &c->rec[i];

		*r = (struct kvmmig_page_class){ .class = KVMMIG_CLASS_ZERO };
		if (c->hva[i] == KVMMIG_NO_HVA) {
			r->class = KVMMIG_CLASS_NO_SLOT;
			continue;
		}
		switch (c->state[i]) {
		case KVMMIG_HPT_PAGE:
			ret = kvmmig_classify_one(c, start + i, i, c->pages[i]);
			break;
		case KVMMIG_HPT_NONE:
		case KVMMIG_HPT_ZERO_PAGE:
			break;
		case KVMMIG_HPT_MISSING:
		case KVMMIG_HPT_ABSENT:
			r->class = KVMMIG_CLASS_ABSENT;
			break;
		default:
			ret = -EFAULT;
			break;
		}
	}
	*ok = ret ? i - 1 : n;
	for (i = 0; i < n; i++)
		if (c->pages[i])
			put_page(c->pages[i]);
	return ret;
}

static int kvmmig_classify_all(struct kvmmig_classify_call *c)
{
	struct kvmmig_page_class __user *classes =
		u64_to_user_ptr(c->a->classes_ptr);
	const u64 __user *gfns = u64_to_user_ptr(c->a->gfns_ptr);
	u32 npages = c->a->npages, start, done_data;
	unsigned int n, i, ok;
	int ret = 0;

	c->a->nr_done = 0;
	if (!access_ok(classes, (u64)npages * sizeof(*c->rec)) ||
	    (c->a->data_ptr && !access_ok(u64_to_user_ptr(c->a->data_ptr),
					 (u64)npages * KVMMIG_PAGE_BYTES)) ||
	    (gfns && !access_ok(gfns, (u64)npages * sizeof(*gfns))))
		return -EFAULT;
	for (start = 0; start < npages; start += n) {
		n = min_t(u32, npages - start, KVMMIG_CLASSIFY_BATCH);
		if (c->a->flags & KVMMIG_CLASSIFY_GFN_LIST) {
			if (copy_from_user(c->gfn, gfns + start,
					   n * sizeof(*c->gfn)))
				return -EFAULT;
		} else {
			for (i = 0; i < n; i++)
				c->gfn[i] = c->a->gfn + start + i;
		}
		/*
		 * The records' room, writable, before any data is copied for
		 * the batch: a bad @classes_ptr then costs nothing.
		 */
		if (fault_in_safe_writeable((char __user *)(classes + start),
					    n * sizeof(*c->rec)))
			return -EFAULT;
		kvmmig_classify_translate(c, n);
		done_data = c->nr_data;
		ret = kvmmig_classify_batch(c, start, n, &ok);
		if (copy_to_user(classes + start, c->rec, ok * sizeof(*c->rec)))
			return -EFAULT;
		for (i = 0; i < ok; i++) {
			c->a->class_pages[c->rec[i].class]++;
			if (c->rec[i].class == KVMMIG_CLASS_DATA && c->a->data_ptr)
				done_data++;
		}
		c->a->nr_done = start + ok;
		c->a->nr_data = done_data;
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * kvmmig_ioctl_classify() - KVMMIG_CLASSIFY
 * @s: the session
 * @arg: the kernel's copy of struct kvmmig_classify
 *
 * Return: 0; -EINVAL for a bad argument, -EIO once the VMM's memory is
 * gone, -ENOMEM, or -EFAULT / -EINTR part way (then @nr_done, @nr_data and
 * @class_pages tell what was done and stored).
 */
static long kvmmig_ioctl_classify(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_classify_call *c;
	long ret;

	c = kvzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	c->a = arg;
	ret = kvmmig_check_classify(c->a);
	if (ret)
		goto out;
	c->a->nr_done = 0;
	if (READ_ONCE(s->mm_released) || !mmget_not_zero(s->mm)) {
		ret = -EIO;
		goto out;
	}
	c->mm = s->mm;
	memset(c->a->class_pages, 0, sizeof(c->a->class_pages));
	c->a->nr_data = 0;
	c->kvm = s->kvm;
	c->dedup = !(c->a->flags & KVMMIG_CLASSIFY_NO_DUP);
	ret = -ENOMEM;
	c->bounce = kmalloc(KVMMIG_PAGE_BYTES, GFP_KERNEL_ACCOUNT);
	if (!c->bounce)
		goto out;
	if (c->dedup) {
		c->src = kvmalloc_array(c->a->npages, sizeof(*c->src),
					GFP_KERNEL_ACCOUNT);
		if (!c->src || kvmmig_canon_init(&c->canon, c->a->npages))
			goto out;
	}

	ret = kvmmig_classify_all(c);

	kvmmig_stat_add(s, KVMMIG_FEAT_CONTENT, KVMMIG_STAT_CLASSIFY_PAGES, c->a->nr_done);
	kvmmig_stat_add(s, KVMMIG_FEAT_CONTENT, KVMMIG_STAT_CLASSIFY_ZERO,
			c->a->class_pages[KVMMIG_CLASS_ZERO]);
	kvmmig_stat_add(s, KVMMIG_FEAT_CONTENT, KVMMIG_STAT_CLASSIFY_PATTERN,
			c->a->class_pages[KVMMIG_CLASS_PATTERN]);
	kvmmig_stat_add(s, KVMMIG_FEAT_CONTENT, KVMMIG_STAT_CLASSIFY_DUP,
			c->a->class_pages[KVMMIG_CLASS_DUP]);
	kvmmig_stat_add(s, KVMMIG_FEAT_CONTENT, KVMMIG_STAT_CLASSIFY_DATA,
			c->a->class_pages[KVMMIG_CLASS_DATA]);
out:
	if (c->mm)
		mmput(c->mm);
	kvmmig_canon_free(&c->canon);
	kvfree(c->src);
	kfree(c->bounce);
	kvfree(c);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_content_stats[] = {
	[KVMMIG_STAT_CLASSIFY_PAGES] = { "classify_pages", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_ZERO] = { "classify_zero", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_PATTERN] = { "classify_pattern", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_DUP] = { "classify_dup", KVMMIG_STAT_CNT },
	[KVMMIG_STAT_CLASSIFY_DATA] = { "classify_data", KVMMIG_STAT_CNT },
};

static const struct kvmmig_ioctl_desc kvmmig_content_ioctls[] = {
	KVMMIG_IOCTL(KVMMIG_CLASSIFY, struct kvmmig_classify, KVMMIG_CLASSIFY_FLAGS,
		     KVMMIG_NEED_FULL_SESSION | KVMMIG_NEED_VMM_MM, KVMMIG_CAP_CLASSIFY,
		     kvmmig_ioctl_classify),
};

static const struct kvmmig_cap kvmmig_content_caps[] = {
	{ KVMMIG_CAP_CLASSIFY, 1 },
};

const struct kvmmig_feature kvmmig_content_feature = {
	.name		= "content",
	.ioctls		= kvmmig_content_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_content_ioctls),
	.caps		= kvmmig_content_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_content_caps),
	.stats		= kvmmig_content_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_content_stats),
};
