// SPDX-License-Identifier: GPL-2.0
/*
 * Content classes of guest pages (pattern pages, canonical
 * pages), pure logic.  See include/kvmmig/content.h; the kernel glue that
 * reads guest memory is mm/content.c.
 *
 * Cost model: a DATA page usually differs from its first word within the
 * first 64 bytes, so the zero/pattern scan costs next to nothing for it; a
 * ZERO or PATTERN page is read once, word by word.  Only DATA pages are
 * hashed, and the hash is computed while the page is copied to a buffer,
 * so the bytes hashed are exactly the bytes the caller returns even when
 * the guest writes the page meanwhile.
 *
 * No locks: one table belongs to one call.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <uapi/linux/kvmmig.h>
#include <kvmmig/content.h>
#include <kvmmig/ioctl.h>

/**
 * kvmmig_page_scan() - is a page zero, one repeated word, or data
 * @page: 4 KiB, 8-byte aligned
 * @word: out: the repeated word for KVMMIG_CLASS_PATTERN, else 0
 *
 * One pass over the page's 64-bit words, one cache line at a time, that
 * stops at the first line holding a word unlike the first.
 *
 * Return: KVMMIG_CLASS_ZERO, KVMMIG_CLASS_PATTERN or KVMMIG_CLASS_DATA.
 */
u32 kvmmig_page_scan(const void *page, u64 *word)
{
	const u64 *p = page;
	u64 w = p[0];
	unsigned int i;

	for (i = 0; i < KVMMIG_PAGE_WORDS; i += 8) {
		if ((p[i] ^ w) | (p[i + 1] ^ w) | (p[i + 2] ^ w) |
		    (p[i + 3] ^ w) | (p[i + 4] ^ w) | (p[i + 5] ^ w) |
		    (p[i + 6] ^ w) | (p[i + 7] ^ w)) {
			*word = 0;
			return KVMMIG_CLASS_DATA;
		}
	}
	*word = w;
	return w ? KVMMIG_CLASS_PATTERN : KVMMIG_CLASS_ZERO;
}

static __always_inline u64 kvmmig_xxh64_merge(u64 acc, u64 val)
{
	acc ^= kvmmig_xxh64_round(0, val);
	return acc * KVMMIG_XXH_P1 + KVMMIG_XXH_P4;
}

/**
 * kvmmig_sig_merge() - the signature of a page from its final lanes
 * @v1: lane 0 after the page's 128 kvmmig_sig_update() steps
 * @v2: lane 1
 * @v3: lane 2
 * @v4: lane 3
 *
 * Return: xxh64 (seed 0) of the 4096 bytes.
 */
u64 kvmmig_sig_merge(u64 v1, u64 v2, u64 v3, u64 v4)
{
	u64 h = rol64(v1, 1) + rol64(v2, 7) + rol64(v3, 12) + rol64(v4, 18);

	h = kvmmig_xxh64_merge(h, v1);
	h = kvmmig_xxh64_merge(h, v2);
	h = kvmmig_xxh64_merge(h, v3);
	h = kvmmig_xxh64_merge(h, v4);
	h += KVMMIG_PAGE_BYTES;
	h ^= h >> 33;
	h *= KVMMIG_XXH_P2;
	h ^= h >> 29;
	h *= KVMMIG_XXH_P3;
	h ^= h >> 32;
	return h;
}

/**
 * kvmmig_page_copy_sig() - copy a page and return its signature
 * @dst: 4 KiB destination, 8-byte aligned
 * @src: 4 KiB source, 8-byte aligned
 *
 * The signature is xxh64(@dst, 4096, 0) (lib/xxhash), computed over the
 * words as they are stored, in the same pass: the result describes the
 * copy even if @src changes meanwhile.
 *
 * Return: the signature of the copied bytes.
 */
u64 kvmmig_page_copy_sig(void *dst, const void *src)
{
	struct kvmmig_sig sig;
	const u64 *s = src;
	u64 *d = dst;
	unsigned int i;

	kvmmig_sig_init(&sig);
	for (i = 0; i < KVMMIG_PAGE_WORDS; i += 4) {
		u64 a = s[i], b = s[i + 1], c = s[i + 2], e = s[i + 3];

		d[i] = a;
		d[i + 1] = b;
		d[i + 2] = c;
		d[i + 3] = e;
		kvmmig_sig_update(&sig, a, b, c, e);
	}
	return kvmmig_sig_final(sig);
}

/*
 * At most this many full compares per page: a guest that crafts many
 * different pages with one signature (xxh64 is not collision resistant)
 * costs a bounded amount per page; past the bound a page stays DATA.
 */
#define KVMMIG_CANON_MAX_CMP	4

/**
 * kvmmig_canon_init() - an empty canonical table
 * @t: the table
 * @cap: most entries it will hold, 1..KVMMIG_CLASSIFY_MAX_PAGES
 *
 * Slot positions are a keyed hash of the signature, the key random per
 * table, so a guest cannot line its pages up on one probe chain.
 *
 * Return: 0 or -ENOMEM.
 */
int kvmmig_canon_init(struct kvmmig_canon *t, u32 cap)
{
	u32 slots = roundup_pow_of_two(2 * max(cap, 1U));

	t->e = kvcalloc(slots, sizeof(*t->e), GFP_KERNEL_ACCOUNT);
	if (!t->e)
		return -ENOMEM;
	t->mask = slots - 1;
	t->nr = 0;
	t->cap = cap;
	t->key = get_random_u64();
	return 0;
}

/**
 * kvmmig_canon_free() - free a table's slots (a zeroed table is fine)
 * @t: the table
 */
void kvmmig_canon_free(struct kvmmig_canon *t)
{
	kvfree(t->e);
	t->e = NULL;
}

/**
 * kvmmig_canon_dedup() - find the canonical copy of a DATA page, or add it
 * @t: the table
 * @sig: the page's signature
 * @idx: the page's index in the call
 * @page: the page's bytes, handed to @cmp
 * @cmp: full compare against an earlier page (the signature alone is
 *	never trusted)
 * @ctx: passed to @cmp
 * @canon: out: the index of the equal earlier page, when 1 is returned
 *
 * Every entry with signature @sig is compared, at most
 * KVMMIG_CANON_MAX_CMP of them.  Without a match the page becomes a
 * canonical itself, while the table has room.
 *
 * Return: 1 when @page equals an earlier page, 0 when not, or the
 * negative errno of @cmp.
 */
int kvmmig_canon_dedup(struct kvmmig_canon *t, u64 sig, u32 idx,
		       const void *page, kvmmig_canon_cmp_t cmp, void *ctx,
		       u32 *canon)
{
	u32 pos = hash_64(sig ^ t->key, 32) & t->mask;
	unsigned int cmps = 0;
	struct kvmmig_canon_entry *e;
	int ret;

	/* nr <= cap < slots / 2: a free slot ends every probe chain */
	for (;; pos = (pos + 1) & t->mask) {
		e = &t->e[pos];
		if (!e->idx)
			break;
		if (e->sig != sig)
			continue;
		if (cmps++ == KVMMIG_CANON_MAX_CMP)
			return 0;
		ret = cmp(ctx, e->idx - 1, page);
		if (ret < 0)
			return ret;
		if (!ret) {
			*canon = e->idx - 1;
			return 1;
		}
	}
	if (t->nr < t->cap) {
		e->sig = sig;
		e->idx = idx + 1;
		t->nr++;
	}
	return 0;
}

/*
 * KVMMIG_CLASSIFY, beyond the dispatcher's checks: 1..MAX pages, a place
 * for their classes, and either a list of frames or a range of them below
 * KVMMIG_GFN_LIMIT, not both.
 */
int kvmmig_check_classify(const struct kvmmig_classify *a)
{
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (!a->npages || a->npages > KVMMIG_CLASSIFY_MAX_PAGES)
		return -EINVAL;
	if (!a->classes_ptr)
		return -EINVAL;
	if (a->flags & KVMMIG_CLASSIFY_GFN_LIST) {
		if (!a->gfns_ptr || a->gfn)
			return -EINVAL;
	} else {
		if (a->gfns_ptr || a->gfn > KVMMIG_GFN_LIMIT - a->npages)
			return -EINVAL;
	}
	return 0;
}
