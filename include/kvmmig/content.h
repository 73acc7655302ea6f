/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Content classes of guest pages, pure logic: what one
 * 4 KiB page holds (zero, one repeated 8-byte word, or data with an xxh64
 * signature) and the per-call canonical table that finds pages equal to
 * an earlier DATA page of the same call.  Nothing here knows where pages
 * come from or takes a lock: mm/content.c reads guest memory and calls in,
 * one page at a time, from a single thread.
 */
#ifndef _KVMMIG_CLASSIFY_H
#define _KVMMIG_CLASSIFY_H

#include <linux/types.h>
#include <uapi/linux/kvmmig.h>

#define KVMMIG_PAGE_BYTES	4096
#define KVMMIG_PAGE_WORDS	(KVMMIG_PAGE_BYTES / sizeof(u64))

/* KVMMIG_CLASSIFY's checks beyond the dispatcher's (size, flags) */
int kvmmig_check_classify(const struct kvmmig_classify *a);

u32 kvmmig_page_scan(const void *page, u64 *word);
u64 kvmmig_page_copy_sig(void *dst, const void *src);

/*
 * The page signature is lib/xxhash's xxh64(page, 4096, 0), computed in
 * steps so that it can be fused with a copy (to a kernel buffer here, to
 * userspace in mm/content.c): kvmmig_sig_init(), kvmmig_sig_update() on
 * each 32 bytes in order, kvmmig_sig_final().  x86 is little endian, as
 * xxh64 reads its input.  The steps call nothing, so they may run between
 * user_access_begin() and user_access_end().
 */
#define KVMMIG_XXH_P1	11400714785074694791ULL
#define KVMMIG_XXH_P2	14029467366897019727ULL
#define KVMMIG_XXH_P3	1609587929392839161ULL
#define KVMMIG_XXH_P4	9650029242287828579ULL

/**
 * struct kvmmig_sig - xxh64 state over one page
 * @v: the four lanes
 */
struct kvmmig_sig {
	u64 v[4];
};

static __always_inline u64 kvmmig_xxh64_round(u64 acc, u64 input)
{
	acc += input * KVMMIG_XXH_P2;
	acc = (acc << 31) | (acc >> 33);
	return acc * KVMMIG_XXH_P1;
}

static __always_inline void kvmmig_sig_init(struct kvmmig_sig *s)
{
	s->v[0] = KVMMIG_XXH_P1 + KVMMIG_XXH_P2;
	s->v[1] = KVMMIG_XXH_P2;
	s->v[2] = 0;
	s->v[3] = -KVMMIG_XXH_P1;
}

static __always_inline void kvmmig_sig_update(struct kvmmig_sig *s, u64 a,
					      u64 b, u64 c, u64 d)
{
	s->v[0] = kvmmig_xxh64_round(s->v[0], a);
	s->v[1] = kvmmig_xxh64_round(s->v[1], b);
	s->v[2] = kvmmig_xxh64_round(s->v[2], c);
	s->v[3] = kvmmig_xxh64_round(s->v[3], d);
}

u64 kvmmig_sig_merge(u64 v1, u64 v2, u64 v3, u64 v4);

/* By value: the state stays in registers through the update loop. */
static __always_inline u64 kvmmig_sig_final(struct kvmmig_sig s)
{
	return kvmmig_sig_merge(s.v[0], s.v[1], s.v[2], s.v[3]);
}

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
