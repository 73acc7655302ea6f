/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Content classes of guest pages (methods M9, M10), pure logic: what one
 * 4 KiB page holds (zero, one repeated 8-byte word, or data with an xxh64
 * signature) and the per-call canonical table that finds pages equal to
 * an earlier DATA page of the same call.  Nothing here knows where pages
 * come from or takes a lock: mm/content.c reads guest memory and calls in,
 * one page at a time, from a single thread.
 */
#ifndef _KVMMIG_CLASSIFY_H
#define _KVMMIG_CLASSIFY_H

#include <linux/types.h>

#define KVMMIG_PAGE_BYTES	4096
#define KVMMIG_PAGE_WORDS	(KVMMIG_PAGE_BYTES / sizeof(u64))

u32 kvmmig_page_scan(const void *page, u64 *word);
u64 kvmmig_page_copy_sig(void *dst, const void *src);

/**
 * struct kvmmig_canon_entry - one canonical page of a call
 * @sig: the page's signature
 * @idx: its index in the call's page list, plus one (0: a free slot)
 */
struct kvmmig_canon_entry {
	u64 sig;
	u32 idx;
};

/**
 * struct kvmmig_canon - the canonical pages of one call, keyed by signature
 * @e: open-addressed slots, a power of two, at least twice @cap
 * @mask: number of slots minus one
 * @nr: entries in use
 * @cap: most entries held; a DATA page found when the table is full is
 *	not added (it stays DATA and later copies of it are DATA too)
 * @key: random per table, mixed into slot positions
 */
struct kvmmig_canon {
	struct kvmmig_canon_entry *e;
	u32 mask;
	u32 nr;
	u32 cap;
	u64 key;
};

/*
 * Compare the page at @page with the bytes of canonical page @idx: 0 when
 * equal, 1 when not, a negative errno when the canonical cannot be read.
 */
typedef int (*kvmmig_canon_cmp_t)(void *ctx, u32 idx, const void *page);

int kvmmig_canon_init(struct kvmmig_canon *t, u32 cap);
void kvmmig_canon_free(struct kvmmig_canon *t);
int kvmmig_canon_dedup(struct kvmmig_canon *t, u64 sig, u32 idx,
		       const void *page, kvmmig_canon_cmp_t cmp, void *ctx,
		       u32 *canon);

#endif /* _KVMMIG_CLASSIFY_H */
