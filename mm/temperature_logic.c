// SPDX-License-Identifier: GPL-2.0
/*
 * Page temperature, pure logic (see include/kvmmig/temperature.h).
 *
 * Each page has a 2-bit saturating counter: up on a pass that saw it
 * accessed, down on one that did not, so a page is hot after three busy
 * passes in a row and cold after three idle ones.  A region whose pages
 * are all cold and that was not accessed costs nothing but its score
 * decay: that is what makes a mostly cold VM cheap to scan.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/temperature.h>

int kvmmig_temp_map_init(struct kvmmig_temp_map *m, u64 base_gfn, u64 npages)
{
	u64 nr_regions;

	memset(m, 0, sizeof(*m));
	if (!npages)
		return -EINVAL;
	m->head = base_gfn & (KVMMIG_REGION_PAGES - 1);
	nr_regions = DIV_ROUND_UP(m->head + npages, KVMMIG_REGION_PAGES);
	if (nr_regions > U32_MAX)
		return -E2BIG;
	m->base_gfn = base_gfn;
	m->npages = npages;
	m->nr_regions = nr_regions;
	m->levels = kvzalloc(DIV_ROUND_UP(npages, 4), GFP_KERNEL_ACCOUNT);
	m->region_max = kvzalloc(nr_regions, GFP_KERNEL_ACCOUNT);
	m->region_score = kvcalloc(nr_regions, sizeof(u32), GFP_KERNEL_ACCOUNT);
	m->region_hits = kvcalloc(nr_regions, sizeof(u16), GFP_KERNEL_ACCOUNT);
	if (!m->levels || !m->region_max || !m->region_score || !m->region_hits) {
		kvmmig_temp_map_free(m);
		return -ENOMEM;
	}
	return 0;
}

void kvmmig_temp_map_free(struct kvmmig_temp_map *m)
{
	kvfree(m->levels);
	kvfree(m->region_max);
	kvfree(m->region_score);
	kvfree(m->region_hits);
	memset(m, 0, sizeof(*m));
}

u32 kvmmig_temp_region_pages(const struct kvmmig_temp_map *m, u32 region,
			     u64 *first)
{
	u64 start = (u64)region << KVMMIG_REGION_SHIFT;
	u64 end = start + KVMMIG_REGION_PAGES;

	/* region-relative to slot-relative: drop the head */
	start = start > m->head ? start - m->head : 0;
	end = min_t(u64, end - m->head, m->npages);
	*first = start;
	return end > start ? end - start : 0;
}

bool kvmmig_temp_region_is_full(const struct kvmmig_temp_map *m, u32 region)
{
	u64 first;

	return kvmmig_temp_region_pages(m, region, &first) == KVMMIG_REGION_PAGES;
}

u8 kvmmig_temp_level(const struct kvmmig_temp_map *m, u64 page)
{
	return (m->levels[page >> 2] >> ((page & 3) * 2)) & 3;
}

static void kvmmig_temp_set(struct kvmmig_temp_map *m, u64 page, u8 level)
{
	unsigned int shift = (page & 3) * 2;
	u8 *b = &m->levels[page >> 2];

	*b = (*b & ~(3U << shift)) | (level << shift);
}

u32 kvmmig_temp_region_update(struct kvmmig_temp_map *m, u32 region,
			      const unsigned long *accessed,
			      unsigned int decay_shift)
{
	u32 i, n, hits = 0;
	u8 max = 0;
	u64 first, score;

	n = kvmmig_temp_region_pages(m, region, &first);
	if (accessed || m->region_max[region]) {
		for (i = 0; i < n; i++) {
			u8 lvl = kvmmig_temp_level(m, first + i);

			if (accessed && test_bit(i, accessed)) {
				hits++;
				if (lvl < KVMMIG_TEMP_HOT)
					lvl++;
			} else if (lvl) {
				lvl--;
			}
			kvmmig_temp_set(m, first + i, lvl);
			max = max(max, lvl);
		}
	}
	m->region_max[region] = max;
	m->region_hits[region] = hits;

	score = m->region_score[region];
	/* score < 2^32: shifting by 32 or more leaves nothing to decay */
	score -= score >> min(decay_shift, 32U);
	score += (u64)hits << KVMMIG_SCORE_SHIFT;
	m->region_score[region] = min_t(u64, score, U32_MAX);
	return hits;
}

void kvmmig_temp_histogram(const struct kvmmig_temp_map *m, u64 first, u64 n,
			   u64 *hist)
{
	u64 p, end = m->npages;

	/* clip without computing first + n, which may wrap */
	if (first < end && n < end - first)
		end = first + n;
	for (p = first; p < end; p++)
		hist[kvmmig_temp_level(m, p)]++;
}

u32 kvmmig_interval_next(struct kvmmig_interval *c, u64 accessed_regions,
			 u64 scanned_regions)
{
	u64 f, t = max(c->target_permille, 1U), period = c->period_ms;

	if (!scanned_regions)
		goto clamp;
	f = div64_u64(accessed_regions * 1000, scanned_regions);
	if (f * 4 >= t * 3 && f * 4 <= t * 5)
		goto clamp;
	if (!f)
		period *= 2;
	else
		period = clamp_t(u64, div64_u64(period * t, f),
				 period / 2, period * 2);
clamp:
	c->period_ms = clamp_t(u64, period, c->min_ms, c->max_ms);
	return c->period_ms;
}

/* a ranks below b: lower score, or equal score and higher gfn */
static bool kvmmig_topk_below(const struct kvmmig_topk_entry *a,
			      const struct kvmmig_topk_entry *b)
{
	return a->score < b->score || (a->score == b->score && a->gfn > b->gfn);
}

static void kvmmig_topk_sift_down(struct kvmmig_topk *t, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && kvmmig_topk_below(&t->e[l], &t->e[m]))
			m = l;
		if (r < t->n && kvmmig_topk_below(&t->e[r], &t->e[m]))
			m = r;
		if (m == i)
			return;
		swap(t->e[i], t->e[m]);
		i = m;
	}
}

void kvmmig_topk_init(struct kvmmig_topk *t, struct kvmmig_topk_entry *e, u32 k)
{
	t->k = k;
	t->n = 0;
	t->e = e;
}

void kvmmig_topk_offer(struct kvmmig_topk *t, u64 gfn, u32 score, u32 hits)
{
	struct kvmmig_topk_entry x = { .gfn = gfn, .score = score, .hits = hits };
	u32 i;

	if (!t->k)
		return;
	if (t->n < t->k) {
		/* sift up */
		for (i = t->n++; i; i = (i - 1) / 2) {
			if (!kvmmig_topk_below(&x, &t->e[(i - 1) / 2]))
				break;
			t->e[i] = t->e[(i - 1) / 2];
		}
		t->e[i] = x;
		return;
	}
	if (!kvmmig_topk_below(&t->e[0], &x))
		return;
	t->e[0] = x;
	kvmmig_topk_sift_down(t, 0);
}

static int kvmmig_topk_cmp_best_first(const void *a, const void *b)
{
	if (kvmmig_topk_below(b, a))
		return -1;
	return kvmmig_topk_below(a, b) ? 1 : 0;
}

void kvmmig_topk_sort(struct kvmmig_topk *t)
{
	sort(t->e, t->n, sizeof(*t->e), kvmmig_topk_cmp_best_first, NULL);
}

/*
 * KVMMIG_SET_SCAN, beyond the dispatcher's checks: START and STOP exclude
 * each other, the 4 KiB baseline is a kind of NOW pass, and a fixed
 * period lies within the tunables (@min_ms..@max_ms).
 */
int kvmmig_check_scan(const struct kvmmig_scan *a, u32 min_ms, u32 max_ms)
{
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if ((a->flags & KVMMIG_SCAN_START) && (a->flags & KVMMIG_SCAN_STOP))
		return -EINVAL;
	if ((a->flags & KVMMIG_SCAN_4K_BASELINE) && !(a->flags & KVMMIG_SCAN_NOW))
		return -EINVAL;
	if (a->flags & KVMMIG_SCAN_SET_PERIOD) {
		if (a->period_ms < min_ms || a->period_ms > max_ms)
			return -EINVAL;
	} else if (a->nr_passes) {
		return -EINVAL;
	}
	return 0;
}

/* KVMMIG_GET_TEMPERATURE: a range of frames below KVMMIG_GFN_LIMIT. */
int kvmmig_check_temperature(const struct kvmmig_temperature *a)
{
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->npages > KVMMIG_TEMPERATURE_MAX_PAGES ||
	    a->gfn > KVMMIG_GFN_LIMIT - a->npages)
		return -EINVAL;
	return 0;
}

int kvmmig_check_huge_candidates(const struct kvmmig_huge_candidates *a)
{
	if (!kvmmig_all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->nr > KVMMIG_HUGE_CANDIDATES_MAX)
		return -EINVAL;
	return 0;
}
