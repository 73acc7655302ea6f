// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: page temperature, pure logic (mm/temperature_logic.c, included): map
 * geometry, the 2-bit saturating counters, region scores, the adaptive
 * scan interval and the top-K ranking.
 */
#include "mm/temperature_logic.c"
#include <linux/bitmap.h>
#include "kvmmig_kunit.h"

#define TEMP_TEST_MAPS	16

/* Maps of one case, freed by temp_test_exit() even when an assertion fails. */
struct temp_test_ctx {
	struct kvmmig_temp_map maps[TEMP_TEST_MAPS];
	int nr;
};

static int temp_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct temp_test_ctx),
				   GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void temp_test_exit(struct kunit *test)
{
	struct temp_test_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < ctx->nr; i++)
		kvmmig_temp_map_free(&ctx->maps[i]);
}

static struct kvmmig_temp_map *new_map(struct kunit *test, u64 base_gfn,
				       u64 npages)
{
	struct temp_test_ctx *ctx = test->priv;
	struct kvmmig_temp_map *m;

	KUNIT_ASSERT_LT(test, ctx->nr, TEMP_TEST_MAPS);
	m = &ctx->maps[ctx->nr++];
	KUNIT_ASSERT_EQ(test, kvmmig_temp_map_init(m, base_gfn, npages), 0);
	return m;
}

/* One pass over @region in which exactly pages @bits[0..n) were accessed. */
static u32 pass(struct kvmmig_temp_map *m, u32 region, const u32 *bits,
		unsigned int n, unsigned int decay_shift)
{
	DECLARE_BITMAP(acc, KVMMIG_REGION_PAGES);
	unsigned int i;

	bitmap_zero(acc, KVMMIG_REGION_PAGES);
	for (i = 0; i < n; i++)
		__set_bit(bits[i], acc);
	return kvmmig_temp_region_update(m, region, acc, decay_shift);
}

/* One pass over @region in which its pages [0, n) were accessed. */
static u32 pass_first(struct kvmmig_temp_map *m, u32 region, u32 n,
		      unsigned int decay_shift)
{
	DECLARE_BITMAP(acc, KVMMIG_REGION_PAGES);

	bitmap_zero(acc, KVMMIG_REGION_PAGES);
	bitmap_set(acc, 0, n);
	return kvmmig_temp_region_update(m, region, acc, decay_shift);
}

static void expect_levels_zero(struct kunit *test,
			       const struct kvmmig_temp_map *m, u64 from,
			       u64 to)
{
	u64 p;

	for (p = from; p < to; p++)
		if (kvmmig_temp_level(m, p)) {
			KUNIT_FAIL(test, "page %llu at level %u, want 0", p,
				   kvmmig_temp_level(m, p));
			return;
		}
}

/* ---- map geometry ---- */

static void map_init_aligned(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 1024);

	KUNIT_EXPECT_EQ(test, m->base_gfn, 0ULL);
	KUNIT_EXPECT_EQ(test, m->npages, 1024ULL);
	KUNIT_EXPECT_EQ(test, m->head, 0U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 2U);
	KUNIT_EXPECT_NOT_NULL(test, m->levels);
	KUNIT_EXPECT_NOT_NULL(test, m->region_max);
	KUNIT_EXPECT_NOT_NULL(test, m->region_score);
	KUNIT_EXPECT_NOT_NULL(test, m->region_hits);
	expect_levels_zero(test, m, 0, 1024);
	KUNIT_EXPECT_EQ(test, m->region_score[1], 0U);

	m = new_map(test, 3 * KVMMIG_REGION_PAGES, 1);
	KUNIT_EXPECT_EQ(test, m->head, 0U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 1U);

	m = new_map(test, (1ULL << 40), KVMMIG_REGION_PAGES + 1);
	KUNIT_EXPECT_EQ(test, m->base_gfn, 1ULL << 40);
	KUNIT_EXPECT_EQ(test, m->head, 0U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 2U);
}

static void map_init_unaligned(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 100, 1000);

	KUNIT_EXPECT_EQ(test, m->base_gfn, 100ULL);
	KUNIT_EXPECT_EQ(test, m->npages, 1000ULL);
	KUNIT_EXPECT_EQ(test, m->head, 100U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 3U);

	/* last page of one region and first of the next */
	m = new_map(test, 512 * 7 + 511, 2);
	KUNIT_EXPECT_EQ(test, m->head, 511U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 2U);

	/* ends exactly at a 2 MiB boundary */
	m = new_map(test, 512 * 7 + 511, 1);
	KUNIT_EXPECT_EQ(test, m->head, 511U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 1U);

	/* large base gfn, whole slot inside one region */
	m = new_map(test, (1ULL << 40) + 600, 10);
	KUNIT_EXPECT_EQ(test, m->head, 88U);
	KUNIT_EXPECT_EQ(test, m->nr_regions, 1U);
}

static void map_init_rejects_empty(struct kunit *test)
{
	struct kvmmig_temp_map m;

	memset(&m, 0xa5, sizeof(m));
	KUNIT_EXPECT_EQ(test, kvmmig_temp_map_init(&m, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_map_init(&m, 100, 0), -EINVAL);
	/* nothing allocated, and freeing the failed map is harmless */
	KUNIT_EXPECT_NULL(test, m.levels);
	KUNIT_EXPECT_NULL(test, m.region_max);
	KUNIT_EXPECT_NULL(test, m.region_score);
	KUNIT_EXPECT_NULL(test, m.region_hits);
	KUNIT_EXPECT_EQ(test, m.nr_regions, 0U);
	kvmmig_temp_map_free(&m);
}

static void expect_region(struct kunit *test, const struct kvmmig_temp_map *m,
			  u32 region, u64 want_first, u32 want_n)
{
	u64 first = U64_MAX;
	u32 n = kvmmig_temp_region_pages(m, region, &first);

	KUNIT_EXPECT_EQ_MSG(test, n, want_n, "base %llu region %u",
			    m->base_gfn, region);
	if (want_n)
		KUNIT_EXPECT_EQ_MSG(test, first, want_first,
				    "base %llu region %u", m->base_gfn, region);
	KUNIT_EXPECT_EQ_MSG(test, kvmmig_temp_region_is_full(m, region),
			    want_n == KVMMIG_REGION_PAGES,
			    "base %llu region %u", m->base_gfn, region);
}

static void region_pages_partial(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 100, 1000);

	expect_region(test, m, 0, 0, 412);	/* partial first */
	expect_region(test, m, 1, 412, 512);	/* full middle */
	expect_region(test, m, 2, 924, 76);	/* partial last */
	expect_region(test, m, 3, 0, 0);	/* past the end */

	m = new_map(test, 512 * 7 + 511, 2);
	expect_region(test, m, 0, 0, 1);
	expect_region(test, m, 1, 1, 1);

	m = new_map(test, 0, 1024);
	expect_region(test, m, 0, 0, 512);
	expect_region(test, m, 1, 512, 512);
	expect_region(test, m, 2, 0, 0);

	/* a slot inside one region: first and last at once */
	m = new_map(test, 600, 10);
	expect_region(test, m, 0, 0, 10);
}

static void regions_cover_once(struct kunit *test)
{
	static const struct { u64 base, npages; } cfg[] = {
		{ 0, 1 }, { 0, 512 }, { 0, 513 }, { 0, 1024 }, { 1, 511 },
		{ 1, 512 }, { 1, 1100 }, { 100, 1000 }, { 511, 1 },
		{ 512 * 7 + 511, 2 }, { 513, 5000 }, { 300, 212 },
		{ (1ULL << 36) + 77, 4099 },
	};
	int c;

	for (c = 0; c < ARRAY_SIZE(cfg); c++) {
		struct kvmmig_temp_map *m = new_map(test, cfg[c].base,
						    cfg[c].npages);
		u8 *seen = kunit_kzalloc(test, cfg[c].npages, GFP_KERNEL);
		u64 next = 0, p;
		u32 r;

		KUNIT_ASSERT_NOT_NULL(test, seen);
		KUNIT_EXPECT_EQ(test, (u64)m->nr_regions,
				(cfg[c].base + cfg[c].npages - 1) / 512 -
				cfg[c].base / 512 + 1);
		for (r = 0; r < m->nr_regions; r++) {
			u64 first;
			u32 n = kvmmig_temp_region_pages(m, r, &first);
			u64 gfn = cfg[c].base + first;

			KUNIT_EXPECT_GT_MSG(test, n, 0U, "cfg %d region %u",
					    c, r);
			KUNIT_EXPECT_EQ_MSG(test, first, next,
					    "cfg %d region %u", c, r);
			/* the pages lie in the r-th 2 MiB region of the slot */
			KUNIT_EXPECT_EQ_MSG(test, gfn / 512,
					    cfg[c].base / 512 + r,
					    "cfg %d region %u", c, r);
			KUNIT_EXPECT_EQ_MSG(test, (gfn + n - 1) / 512, gfn / 512,
					    "cfg %d region %u", c, r);
			if (r)
				KUNIT_EXPECT_EQ_MSG(test, gfn % 512, 0ULL,
						    "cfg %d region %u", c, r);
			for (p = first; p < first + n && p < cfg[c].npages; p++)
				seen[p]++;
			next = first + n;
		}
		KUNIT_EXPECT_EQ_MSG(test, next, cfg[c].npages, "cfg %d", c);
		for (p = 0; p < cfg[c].npages; p++)
			if (seen[p] != 1) {
				KUNIT_FAIL(test, "cfg %d page %llu seen %u times",
					   c, p, seen[p]);
				break;
			}
	}
}

/* ---- the 2-bit saturating counter ---- */

static void counter_saturates_up(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 1024);
	static const u8 want[] = { 1, 2, 3, 3, 3, 3 };
	u32 page = 37;
	int i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		KUNIT_EXPECT_EQ(test, pass(m, 0, &page, 1, 3), 1U);
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_temp_level(m, 37), want[i],
				    "pass %d", i);
		KUNIT_EXPECT_EQ_MSG(test, m->region_max[0], want[i],
				    "pass %d", i);
		expect_levels_zero(test, m, 0, 37);
		expect_levels_zero(test, m, 38, 1024);
	}
	KUNIT_EXPECT_EQ(test, m->region_max[1], 0);
}

static void counter_decays_down(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 1024);
	static const u8 want[] = { 2, 1, 0, 0, 0 };
	u32 page = 600 - 512;
	int i;

	for (i = 0; i < 5; i++)
		pass(m, 1, &page, 1, 3);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 600), 3);

	/* idle passes with an empty bitmap */
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		KUNIT_EXPECT_EQ(test, pass(m, 1, NULL, 0, 3), 0U);
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_temp_level(m, 600), want[i],
				    "pass %d", i);
		KUNIT_EXPECT_EQ_MSG(test, m->region_max[1], want[i],
				    "pass %d", i);
	}

	/* and with a NULL bitmap: the whole region not accessed */
	for (i = 0; i < 3; i++)
		pass(m, 1, &page, 1, 3);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 1, NULL, 3),
				0U);
		KUNIT_EXPECT_EQ_MSG(test, kvmmig_temp_level(m, 600), want[i],
				    "NULL pass %d", i);
		KUNIT_EXPECT_EQ_MSG(test, m->region_max[1], want[i],
				    "NULL pass %d", i);
	}
	expect_levels_zero(test, m, 0, 1024);
}

static void counter_packed_positions(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 512);
	static const u32 p7[] = { 7 }, p67[] = { 6, 7 }, p567[] = { 5, 6, 7 };
	static const u32 p46[] = { 4, 6 };

	/* pages 4..7 share levels[1]: bring them to 0, 1, 2, 3 */
	pass(m, 0, p7, ARRAY_SIZE(p7), 3);
	pass(m, 0, p67, ARRAY_SIZE(p67), 3);
	pass(m, 0, p567, ARRAY_SIZE(p567), 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 4), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 5), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 6), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 7), 3);
	/* page 4 in the low bits, as documented */
	KUNIT_EXPECT_EQ(test, m->levels[1], 0xe4);
	KUNIT_EXPECT_EQ(test, m->levels[0], 0);
	KUNIT_EXPECT_EQ(test, m->levels[2], 0);

	/* each moves on its own: up, down, up saturating... */
	pass(m, 0, p46, ARRAY_SIZE(p46), 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 4), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 5), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 6), 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 7), 2);
	KUNIT_EXPECT_EQ(test, m->levels[1], 0xb1);
	expect_levels_zero(test, m, 0, 4);
	expect_levels_zero(test, m, 8, 512);
}

static void counter_region_boundaries(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 3 * 512);
	static const u32 edges[] = { 0, 511 };

	KUNIT_EXPECT_EQ(test, pass(m, 1, edges, 2, 3), 2U);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 512), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 1023), 1);
	expect_levels_zero(test, m, 0, 512);
	expect_levels_zero(test, m, 513, 1023);
	expect_levels_zero(test, m, 1024, 1536);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 0);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 1);
	KUNIT_EXPECT_EQ(test, m->region_max[2], 0);
}

static void counter_partial_regions(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 100, 1000);
	/* bit 412 is past region 0's 412 pages, bit 76 past region 2's 76 */
	static const u32 r0[] = { 0, 411, 412, 511 }, r2[] = { 0, 75, 76 };
	static const u32 one[] = { 0 };

	KUNIT_EXPECT_EQ(test, pass(m, 0, r0, ARRAY_SIZE(r0), 3), 2U);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 0), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 411), 1);
	expect_levels_zero(test, m, 1, 411);
	expect_levels_zero(test, m, 412, 1000);
	KUNIT_EXPECT_EQ(test, m->region_hits[0], 2);

	KUNIT_EXPECT_EQ(test, pass(m, 2, r2, ARRAY_SIZE(r2), 3), 2U);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 924), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 999), 1);
	expect_levels_zero(test, m, 412, 924);
	expect_levels_zero(test, m, 925, 999);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 0);

	/* one page on each side of a 2 MiB boundary */
	m = new_map(test, 512 * 7 + 511, 2);
	KUNIT_EXPECT_EQ(test, pass(m, 1, one, 1, 3), 1U);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 0), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 1), 1);
	KUNIT_EXPECT_EQ(test, pass(m, 0, one, 1, 3), 1U);
	KUNIT_EXPECT_EQ(test, pass(m, 0, one, 1, 3), 1U);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 0), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 1), 1);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 2);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 1);
}

/* Regions that share a byte of @levels leave each other's pages alone. */
static void counter_shared_byte(struct kunit *test)
{
	/* head 1: region 0 is pages [0, 511), region 1 starts at page 511 */
	struct kvmmig_temp_map *m = new_map(test, 1, 1100);
	static const u32 first[] = { 0 }, last[] = { 510 };
	int i;

	for (i = 0; i < 3; i++)
		pass(m, 1, first, 1, 3);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 511), 3);
	pass(m, 0, last, 1, 3);
	pass(m, 0, last, 1, 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 510), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 511), 3);
	for (i = 0; i < 3; i++)
		kvmmig_temp_region_update(m, 0, NULL, 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 510), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 511), 3);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 0);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 3);
	expect_levels_zero(test, m, 512, 1100);
}

/* ---- whole-region results ---- */

static void null_on_cold_region(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 100, 1000);
	static const u32 some[] = { 3, 9 };

	pass(m, 1, some, ARRAY_SIZE(some), 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 0, NULL, 3), 0U);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 0);
	KUNIT_EXPECT_EQ(test, m->region_hits[0], 0);
	KUNIT_EXPECT_EQ(test, m->region_score[0], 0U);
	expect_levels_zero(test, m, 0, 412);
	/* the warm neighbour is not touched */
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 415), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 421), 1);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 1);

	/*
	 * The cheap path: a region whose region_max says all cold is not
	 * walked at all.  Plant levels behind region_max's back to see that
	 * they are left as they are.
	 */
	m->levels[0] = 0xe4;
	m->levels[102] = 0xff;
	KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 0, NULL, 3), 0U);
	KUNIT_EXPECT_EQ(test, m->levels[0], 0xe4);
	KUNIT_EXPECT_EQ(test, m->levels[102], 0xff);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 0);
}

static void null_on_warm_region(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 1024);
	static const u32 hot[] = { 10 }, warm[] = { 10, 20 };
	int i;

	pass(m, 0, hot, 1, 3);
	pass(m, 0, hot, 1, 3);
	pass(m, 0, warm, 2, 3);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 10), 3);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 20), 1);
	KUNIT_ASSERT_EQ(test, m->region_max[0], 3);

	KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 0, NULL, 3), 0U);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 10), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 20), 0);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 2);
	KUNIT_EXPECT_EQ(test, m->region_hits[0], 0);
	for (i = 0; i < 2; i++)
		kvmmig_temp_region_update(m, 0, NULL, 3);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 10), 0);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 0);
	expect_levels_zero(test, m, 0, 1024);
}

static void region_max_tracks_max(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 1024);
	static const u32 a[] = { 1 }, ab[] = { 1, 2 }, b[] = { 2 };
	static const u32 c[] = { 500 };

	pass(m, 0, a, 1, 3);			/* 1:1 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 1);
	pass(m, 0, ab, 2, 3);			/* 1:2 2:1 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 2);
	pass(m, 0, b, 1, 3);			/* 1:1 2:2 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 2);
	pass(m, 0, b, 1, 3);			/* 1:0 2:3 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 3);
	pass(m, 0, c, 1, 3);			/* 2:2 500:1 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 2);
	pass(m, 0, c, 1, 3);			/* 2:1 500:2 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 2);
	pass(m, 0, NULL, 0, 3);			/* 2:0 500:1 */
	KUNIT_EXPECT_EQ(test, m->region_max[0], 1);
	pass(m, 0, NULL, 0, 3);
	KUNIT_EXPECT_EQ(test, m->region_max[0], 0);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 0);
}

static void hits_counted(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 100, 1000);
	DECLARE_BITMAP(acc, KVMMIG_REGION_PAGES);
	u32 i;

	/* full region: every page */
	KUNIT_EXPECT_EQ(test, pass_first(m, 1, 512, 3), 512U);
	KUNIT_EXPECT_EQ(test, m->region_hits[1], 512);
	/* a partial region counts only its own pages */
	KUNIT_EXPECT_EQ(test, pass_first(m, 0, 512, 3), 412U);
	KUNIT_EXPECT_EQ(test, m->region_hits[0], 412);
	KUNIT_EXPECT_EQ(test, pass_first(m, 2, 512, 3), 76U);
	KUNIT_EXPECT_EQ(test, m->region_hits[2], 76);

	/* all but the first page, then every third one */
	bitmap_fill(acc, KVMMIG_REGION_PAGES);
	__clear_bit(0, acc);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 1, acc, 3), 511U);
	KUNIT_EXPECT_EQ(test, m->region_hits[1], 511);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 412), 0);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 413), 2);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 923), 2);
	bitmap_zero(acc, KVMMIG_REGION_PAGES);
	for (i = 0; i < KVMMIG_REGION_PAGES; i += 3)
		__set_bit(i, acc);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 1, acc, 3), 171U);
	KUNIT_EXPECT_EQ(test, m->region_hits[1], 171);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 412), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 413), 1);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_level(m, 415), 3);

	/* the last pass only: an empty one and a NULL one reset it */
	KUNIT_EXPECT_EQ(test, pass(m, 1, NULL, 0, 3), 0U);
	KUNIT_EXPECT_EQ(test, m->region_hits[1], 0);
	KUNIT_EXPECT_EQ(test, kvmmig_temp_region_update(m, 0, NULL, 3), 0U);
	KUNIT_EXPECT_EQ(test, m->region_hits[0], 0);
	KUNIT_EXPECT_EQ(test, m->region_hits[2], 76);
}

/* ---- large-page score ---- */

static void score_decay_and_gain(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 1024);

	pass_first(m, 0, 10, 3);
	KUNIT_EXPECT_EQ(test, m->region_score[0], 10U << KVMMIG_SCORE_SHIFT);
	pass_first(m, 0, 0, 3);		/* 2560 - 320 */
	KUNIT_EXPECT_EQ(test, m->region_score[0], 2240U);
	pass_first(m, 0, 5, 3);		/* 2240 - 280 + 1280 */
	KUNIT_EXPECT_EQ(test, m->region_score[0], 3240U);
	kvmmig_temp_region_update(m, 0, NULL, 3);	/* 3240 - 405 */
	KUNIT_EXPECT_EQ(test, m->region_score[0], 2835U);
	kvmmig_temp_region_update(m, 0, NULL, 1);	/* 2835 - 1417 */
	KUNIT_EXPECT_EQ(test, m->region_score[0], 1418U);
	/* decay_shift 0: nothing of the past is kept */
	pass_first(m, 0, 7, 0);
	KUNIT_EXPECT_EQ(test, m->region_score[0], 7U << KVMMIG_SCORE_SHIFT);
	kvmmig_temp_region_update(m, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, m->region_score[0], 0U);
	/* other regions keep their own */
	KUNIT_EXPECT_EQ(test, m->region_score[1], 0U);
	/* a cold region's score still decays */
	m->region_score[1] = 1000;
	kvmmig_temp_region_update(m, 1, NULL, 2);
	KUNIT_EXPECT_EQ(test, m->region_max[1], 0);
	KUNIT_EXPECT_EQ(test, m->region_score[1], 750U);
}

static void score_converges(struct kunit *test)
{
	static const struct { u32 hits; unsigned int decay; } cfg[] = {
		{ 20, 3 }, { 1, 0 }, { 1, 4 }, { 512, 5 }, { 100, 1 },
		{ 300, 8 },
	};
	struct kvmmig_temp_map *m = new_map(test, 0, 512);
	int c, i;

	for (c = 0; c < ARRAY_SIZE(cfg); c++) {
		/* fixed point: (s >> d) == h << SHIFT, s in [h<<SHIFT<<d, +2^d) */
		u64 lo = (u64)cfg[c].hits << KVMMIG_SCORE_SHIFT << cfg[c].decay;
		u64 hi = lo + (1ULL << cfg[c].decay) - 1;
		u32 prev = 0;

		m->region_score[0] = 0;
		for (i = 0; i < 4000; i++) {
			pass_first(m, 0, cfg[c].hits, cfg[c].decay);
			/* rising from 0, never overshooting */
			if (m->region_score[0] < prev || m->region_score[0] > hi) {
				KUNIT_FAIL(test, "cfg %d pass %d: %u after %u",
					   c, i, m->region_score[0], prev);
				break;
			}
			prev = m->region_score[0];
		}
		KUNIT_EXPECT_GE_MSG(test, (u64)m->region_score[0], lo, "cfg %d",
				    c);
		KUNIT_EXPECT_LE_MSG(test, (u64)m->region_score[0], hi, "cfg %d",
				    c);
		/* and stays there */
		pass_first(m, 0, cfg[c].hits, cfg[c].decay);
		KUNIT_EXPECT_EQ_MSG(test, m->region_score[0], prev, "cfg %d", c);
	}
}

static void score_ranks_hammered(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 0, 4 * 512);
	int i;

	for (i = 0; i < 20; i++) {
		pass_first(m, 0, 3, 3);		/* touched lightly */
		pass_first(m, 1, 400, 3);	/* hammered */
		pass_first(m, 2, 40, 3);
		kvmmig_temp_region_update(m, 3, NULL, 3);
	}
	KUNIT_EXPECT_GT(test, m->region_score[1], m->region_score[2]);
	KUNIT_EXPECT_GT(test, m->region_score[2], m->region_score[0]);
	KUNIT_EXPECT_GT(test, m->region_score[0], m->region_score[3]);
	KUNIT_EXPECT_EQ(test, m->region_score[3], 0U);

	/* one busy pass of a light region does not outrank a long busy one */
	pass_first(m, 0, 512, 3);
	pass_first(m, 1, 0, 3);
	KUNIT_EXPECT_GT(test, m->region_score[1], m->region_score[0]);
}

static void score_saturates(struct kunit *test)
{
	static const unsigned int shifts[] = {
		16, 17, 24, 31, 32, 33, 40, 63, 64, 100, UINT_MAX,
	};
	struct kvmmig_temp_map *m = new_map(test, 0, 512);
	int i, j;

	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		unsigned int d = shifts[i];
		u32 want;

		/* just below the top: full hits must not wrap */
		m->region_score[0] = U32_MAX - 100;
		pass_first(m, 0, 512, d);
		KUNIT_EXPECT_EQ_MSG(test, m->region_score[0], U32_MAX,
				    "shift %u", d);
		for (j = 0; j < 3; j++) {
			pass_first(m, 0, 512, d);
			KUNIT_EXPECT_EQ_MSG(test, m->region_score[0], U32_MAX,
					    "shift %u", d);
		}
		/* an idle pass decays by exactly score >> d (0 from d = 32) */
		pass_first(m, 0, 0, d);
		want = d < 32 ? U32_MAX - (U32_MAX >> d) : U32_MAX;
		KUNIT_EXPECT_EQ_MSG(test, m->region_score[0], want, "shift %u",
				    d);
		/* mid-range: decay, then gain without saturating */
		m->region_score[0] = 3000000000U;
		pass_first(m, 0, 512, d);
		want = 3000000000U - (d < 32 ? 3000000000U >> d : 0) +
		       (512U << KVMMIG_SCORE_SHIFT);
		KUNIT_EXPECT_EQ_MSG(test, m->region_score[0], want, "shift %u",
				    d);
	}

	/* from zero, a big decay_shift rises monotonically and saturates */
	m->region_score[0] = 0;
	for (i = 0; i < 40000 && m->region_score[0] != U32_MAX; i++) {
		u32 prev = m->region_score[0];

		pass_first(m, 0, 512, 20);
		if (m->region_score[0] <= prev) {
			KUNIT_FAIL(test, "pass %d: %u after %u", i,
				   m->region_score[0], prev);
			break;
		}
	}
	KUNIT_EXPECT_EQ(test, m->region_score[0], U32_MAX);
}

/* ---- histogram ---- */

static void histogram_ranges(struct kunit *test)
{
	struct kvmmig_temp_map *m = new_map(test, 100, 1000);
	/* pages 10..19 at 3, 20..29 at 2, 30..39 at 1, the last at 2 */
	u64 hist[KVMMIG_TEMP_LEVELS] = { 5, 6, 7, 8 };
	u32 bits[30];
	int i;

	for (i = 0; i < 30; i++)
		bits[i] = 10 + i;
	pass(m, 0, bits, 10, 3);
	pass(m, 0, bits, 20, 3);
	pass(m, 0, bits, 30, 3);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 10), 3);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 29), 2);
	KUNIT_ASSERT_EQ(test, kvmmig_temp_level(m, 39), 1);
	m->levels[999 / 4] |= 2 << ((999 % 4) * 2);

	/* adds to what is there */
	kvmmig_temp_histogram(m, 0, 1000, hist);
	KUNIT_EXPECT_EQ(test, hist[0], 5ULL + 969);
	KUNIT_EXPECT_EQ(test, hist[1], 6ULL + 10);
	KUNIT_EXPECT_EQ(test, hist[2], 7ULL + 11);
	KUNIT_EXPECT_EQ(test, hist[3], 8ULL + 10);

	/* a sub-range straddling two levels */
	memset(hist, 0, sizeof(hist));
	kvmmig_temp_histogram(m, 15, 10, hist);
	KUNIT_EXPECT_EQ(test, hist[0], 0ULL);
	KUNIT_EXPECT_EQ(test, hist[1], 0ULL);
	KUNIT_EXPECT_EQ(test, hist[2], 5ULL);
	KUNIT_EXPECT_EQ(test, hist[3], 5ULL);

	/* clipped at npages */
	memset(hist, 0, sizeof(hist));
	kvmmig_temp_histogram(m, 990, 100, hist);
	KUNIT_EXPECT_EQ(test, hist[0], 9ULL);
	KUNIT_EXPECT_EQ(test, hist[2], 1ULL);
	KUNIT_EXPECT_EQ(test, hist[0] + hist[1] + hist[2] + hist[3], 10ULL);

	/* "to the end": first + n must not wrap around */
	memset(hist, 0, sizeof(hist));
	kvmmig_temp_histogram(m, 35, U64_MAX, hist);
	KUNIT_EXPECT_EQ(test, hist[0], 959ULL);
	KUNIT_EXPECT_EQ(test, hist[1], 5ULL);
	KUNIT_EXPECT_EQ(test, hist[2], 1ULL);
	KUNIT_EXPECT_EQ(test, hist[3], 0ULL);

	/* empty and out-of-range requests add nothing */
	memset(hist, 0, sizeof(hist));
	kvmmig_temp_histogram(m, 10, 0, hist);
	kvmmig_temp_histogram(m, 1000, 5, hist);
	kvmmig_temp_histogram(m, 5000, 5, hist);
	kvmmig_temp_histogram(m, U64_MAX, 2, hist);
	for (i = 0; i < KVMMIG_TEMP_LEVELS; i++)
		KUNIT_EXPECT_EQ_MSG(test, hist[i], 0ULL, "level %d", i);
}

/* ---- adaptive interval ---- */

static u32 next_period(u32 period, u32 min_ms, u32 max_ms, u32 target,
		       u64 accessed, u64 scanned)
{
	struct kvmmig_interval c = {
		.period_ms = period, .min_ms = min_ms, .max_ms = max_ms,
		.target_permille = target,
	};
	u32 ret = kvmmig_interval_next(&c, accessed, scanned);

	return ret == c.period_ms ? ret : 0;	/* stored and returned */
}

static void interval_band(struct kunit *test)
{
	u32 a;

	/* target 100 permille: 75..125 is close enough */
	for (a = 75; a <= 125; a++)
		KUNIT_EXPECT_EQ_MSG(test, next_period(1000, 1, 100000, 100, a,
						      1000), 1000U, "f %u", a);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 74, 1000),
			1000U * 100 / 74);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 126, 1000),
			1000U * 100 / 126);
	/* the fraction is of scanned regions, not absolute */
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 1, 10), 1000U);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 1000000,
					  10000000), 1000U);
}

static void interval_idle_doubles(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 0, 1000),
			2000U);
	KUNIT_EXPECT_EQ(test, next_period(1, 1, 100000, 100, 0, 1), 2U);
	/* below 1 permille counts as nothing accessed */
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 1, 5000),
			2000U);
	/* up to the bound */
	KUNIT_EXPECT_EQ(test, next_period(60000, 1, 100000, 100, 0, 1000),
			100000U);
	KUNIT_EXPECT_EQ(test, next_period(100000, 1, 100000, 100, 0, 1000),
			100000U);
	/* no overflow near U32_MAX */
	KUNIT_EXPECT_EQ(test, next_period(U32_MAX - 1, 1, U32_MAX, 100, 0, 10),
			U32_MAX);
}

static void interval_busy_halves(struct kunit *test)
{
	/* all accessed at target 100: ten times too many, halve only */
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 1000, 1000),
			500U);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 10, 1000, 1000),
			500U);
	/* exactly twice the target */
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 200, 1000),
			500U);
	/* down to the bound */
	KUNIT_EXPECT_EQ(test, next_period(150, 100, 100000, 100, 1000, 1000),
			100U);
	KUNIT_EXPECT_EQ(test, next_period(100, 100, 100000, 100, 1000, 1000),
			100U);
}

static void interval_proportional(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, next_period(900, 1, 100000, 100, 150, 1000),
			600U);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 150, 1000),
			1000U * 100 / 150);
	KUNIT_EXPECT_EQ(test, next_period(900, 1, 100000, 100, 60, 1000),
			1500U);
	KUNIT_EXPECT_EQ(test, next_period(3000, 1, 100000, 500, 900, 1000),
			3000U * 500 / 900);
	KUNIT_EXPECT_EQ(test, next_period(3000, 1, 100000, 500, 300, 1000),
			5000U);
	/* 2.5 times too few: doubled, not more */
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 100, 40, 1000),
			2000U);
	/* fraction from 64-bit counts */
	KUNIT_EXPECT_EQ(test, next_period(900, 1, 100000, 100, 15ULL << 32,
					  100ULL << 32), 600U);
}

static void interval_clamped(struct kunit *test)
{
	/* in band, but out of bounds */
	KUNIT_EXPECT_EQ(test, next_period(5, 10, 1000, 100, 100, 1000), 10U);
	KUNIT_EXPECT_EQ(test, next_period(5000, 10, 1000, 100, 100, 1000),
			1000U);
	/* a proportional move is clamped too */
	KUNIT_EXPECT_EQ(test, next_period(900, 10, 1000, 100, 60, 1000),
			1000U);
	KUNIT_EXPECT_EQ(test, next_period(900, 700, 1000, 100, 150, 1000),
			700U);
	/* nothing scanned: no information, unchanged but clamped */
	KUNIT_EXPECT_EQ(test, next_period(500, 10, 1000, 100, 0, 0), 500U);
	KUNIT_EXPECT_EQ(test, next_period(500, 10, 1000, 100, 7, 0), 500U);
	KUNIT_EXPECT_EQ(test, next_period(5, 10, 1000, 100, 0, 0), 10U);
	KUNIT_EXPECT_EQ(test, next_period(5000, 10, 1000, 100, 0, 0), 1000U);
	/* min == max pins it */
	KUNIT_EXPECT_EQ(test, next_period(300, 250, 250, 100, 0, 1000), 250U);
}

static void interval_target_zero(struct kunit *test)
{
	/* target 0 is target 1 permille: 1 is in band, 0 doubles, 2 halves */
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 0, 1, 1000), 1000U);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 0, 0, 1000), 2000U);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 0, 2, 1000), 500U);
	KUNIT_EXPECT_EQ(test, next_period(1000, 1, 100000, 0, 1000, 1000),
			500U);
}

/*
 * Run @passes of a workload whose accessed share grows with the period and
 * is on target at @ideal ms; return where the period ends up.
 */
static u32 settle(struct kunit *test, struct kvmmig_interval *c, u32 ideal,
		  int passes)
{
	const u64 scanned = 100000;
	int i, stable = 0;
	u32 prev = c->period_ms;

	for (i = 0; i < passes; i++) {
		u64 acc = div64_u64((u64)c->period_ms * scanned *
				    max(c->target_permille, 1U), 1000ULL * ideal);
		u32 p = kvmmig_interval_next(c, min(acc, scanned), scanned);

		KUNIT_EXPECT_GE(test, p, c->min_ms);
		KUNIT_EXPECT_LE(test, p, c->max_ms);
		KUNIT_EXPECT_LE(test, p, prev * 2);
		KUNIT_EXPECT_GE(test, p, prev / 2);
		stable = p == prev ? stable + 1 : 0;
		prev = p;
	}
	KUNIT_EXPECT_GE_MSG(test, stable, 5, "ideal %u: still moving at %u",
			    ideal, prev);
	return prev;
}

static void interval_converges(struct kunit *test)
{
	static const struct { u32 start, target, ideal; } cfg[] = {
		{ 10, 100, 1000 }, { 100000, 100, 1000 }, { 10, 100, 37000 },
		{ 100000, 250, 777 }, { 5000, 10, 5000 }, { 640, 500, 20 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		struct kvmmig_interval c = {
			.period_ms = cfg[i].start, .min_ms = 10,
			.max_ms = 100000, .target_permille = cfg[i].target,
		};
		u32 p = settle(test, &c, cfg[i].ideal, 40);

		KUNIT_EXPECT_GE_MSG(test, p * 4, max(cfg[i].ideal, 10U) * 3,
				    "cfg %d", i);
		KUNIT_EXPECT_LE_MSG(test, p * 4, cfg[i].ideal * 5, "cfg %d", i);
	}
}

/* An ideal period outside the bounds: it settles on the bound. */
static void interval_converges_to_bound(struct kunit *test)
{
	struct kvmmig_interval c = {
		.period_ms = 50, .min_ms = 10, .max_ms = 500,
		.target_permille = 100,
	};

	KUNIT_EXPECT_EQ(test, settle(test, &c, 5000, 20), 500U);
	c.min_ms = 100;
	KUNIT_EXPECT_EQ(test, settle(test, &c, 3, 20), 100U);
}

/* ---- top-K ---- */

static void expect_entry(struct kunit *test, const struct kvmmig_topk *t,
			 u32 i, u64 gfn, u32 score, u32 hits)
{
	KUNIT_EXPECT_EQ_MSG(test, t->e[i].gfn, gfn, "entry %u", i);
	KUNIT_EXPECT_EQ_MSG(test, t->e[i].score, score, "entry %u", i);
	KUNIT_EXPECT_EQ_MSG(test, t->e[i].hits, hits, "entry %u", i);
}

static void topk_k0(struct kunit *test)
{
	struct kvmmig_topk_entry guard = { .gfn = 1, .score = 2, .hits = 3 };
	struct kvmmig_topk t;

	kvmmig_topk_init(&t, &guard, 0);
	KUNIT_EXPECT_EQ(test, t.k, 0U);
	KUNIT_EXPECT_EQ(test, t.n, 0U);
	kvmmig_topk_offer(&t, 512, 100, 5);
	kvmmig_topk_offer(&t, 1024, U32_MAX, 5);
	KUNIT_EXPECT_EQ(test, t.n, 0U);
	KUNIT_EXPECT_EQ(test, guard.gfn, 1ULL);
	KUNIT_EXPECT_EQ(test, guard.score, 2U);
	kvmmig_topk_sort(&t);
	KUNIT_EXPECT_EQ(test, t.n, 0U);
}

static void topk_fewer_than_k(struct kunit *test)
{
	struct kvmmig_topk_entry e[8];
	struct kvmmig_topk t;

	kvmmig_topk_init(&t, e, ARRAY_SIZE(e));
	kvmmig_topk_sort(&t);
	KUNIT_EXPECT_EQ(test, t.n, 0U);
	kvmmig_topk_offer(&t, 3 * 512, 10, 1);
	kvmmig_topk_offer(&t, 1 * 512, 30, 2);
	kvmmig_topk_offer(&t, 2 * 512, 20, 3);
	kvmmig_topk_offer(&t, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, t.n, 4U);
	kvmmig_topk_sort(&t);
	expect_entry(test, &t, 0, 1 * 512, 30, 2);
	expect_entry(test, &t, 1, 2 * 512, 20, 3);
	expect_entry(test, &t, 2, 3 * 512, 10, 1);
	expect_entry(test, &t, 3, 0, 0, 0);
}

static void topk_keeps_best(struct kunit *test)
{
	static const u32 scores[] = { 5, 90, 17, 3, 88, 41, 60, 2, 99, 12 };
	struct kvmmig_topk_entry e[4];
	struct kvmmig_topk t;
	int i;

	kvmmig_topk_init(&t, e, ARRAY_SIZE(e));
	for (i = 0; i < ARRAY_SIZE(scores); i++) {
		kvmmig_topk_offer(&t, (u64)i << 9, scores[i], i + 100);
		KUNIT_EXPECT_EQ(test, t.n, min_t(u32, i + 1, 4));
	}
	kvmmig_topk_sort(&t);
	expect_entry(test, &t, 0, 8 << 9, 99, 108);
	expect_entry(test, &t, 1, 1 << 9, 90, 101);
	expect_entry(test, &t, 2, 4 << 9, 88, 104);
	expect_entry(test, &t, 3, 6 << 9, 60, 106);

	/* k = 1 keeps the single best */
	kvmmig_topk_init(&t, e, 1);
	for (i = 0; i < ARRAY_SIZE(scores); i++)
		kvmmig_topk_offer(&t, (u64)i << 9, scores[i], i);
	KUNIT_EXPECT_EQ(test, t.n, 1U);
	expect_entry(test, &t, 0, 8 << 9, 99, 8);
}

static void topk_ties(struct kunit *test)
{
	static const u64 gfns[] = { 5, 1, 4, 2, 3 };
	struct kvmmig_topk_entry e[3];
	struct kvmmig_topk t;
	int i;

	/* all equal: the lowest gfns, ascending */
	kvmmig_topk_init(&t, e, 3);
	for (i = 0; i < ARRAY_SIZE(gfns); i++)
		kvmmig_topk_offer(&t, gfns[i] << 9, 7, i);
	kvmmig_topk_sort(&t);
	expect_entry(test, &t, 0, 1 << 9, 7, 1);
	expect_entry(test, &t, 1, 2 << 9, 7, 3);
	expect_entry(test, &t, 2, 3 << 9, 7, 4);

	/* a tie at the cut: the lower gfn displaces, the higher does not */
	kvmmig_topk_init(&t, e, 3);
	kvmmig_topk_offer(&t, 10 << 9, 50, 0);
	kvmmig_topk_offer(&t, 20 << 9, 40, 0);
	kvmmig_topk_offer(&t, 30 << 9, 30, 0);
	kvmmig_topk_offer(&t, 40 << 9, 30, 1);
	kvmmig_topk_offer(&t, 25 << 9, 30, 2);
	kvmmig_topk_offer(&t, 26 << 9, 30, 3);
	kvmmig_topk_sort(&t);
	expect_entry(test, &t, 0, 10 << 9, 50, 0);
	expect_entry(test, &t, 1, 20 << 9, 40, 0);
	expect_entry(test, &t, 2, 25 << 9, 30, 2);

	/* ties in the middle of the sort */
	kvmmig_topk_init(&t, e, 3);
	kvmmig_topk_offer(&t, 9 << 9, 8, 0);
	kvmmig_topk_offer(&t, 7 << 9, 9, 0);
	kvmmig_topk_offer(&t, 8 << 9, 8, 0);
	kvmmig_topk_sort(&t);
	expect_entry(test, &t, 0, 7 << 9, 9, 0);
	expect_entry(test, &t, 1, 8 << 9, 8, 0);
	expect_entry(test, &t, 2, 9 << 9, 8, 0);
}

static u32 lcg(u32 *s)
{
	*s = *s * 1664525U + 1013904223U;
	return *s >> 8;
}

/* Does @a rank above @b?  Written out, to be independent of the code. */
static bool ref_better(const struct kvmmig_topk_entry *a,
		       const struct kvmmig_topk_entry *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	return a->gfn < b->gfn;
}

static void topk_random_vs_reference(struct kunit *test)
{
	static const u32 ks[] = { 1, 2, 7, 64, 999, 1000, 1500 };
	static const u32 score_ranges[] = { 16, 1000, 0 /* full */ };
	const u32 n = 1000;
	struct kvmmig_topk_entry *all, *e;
	bool *taken;
	u32 ki, si, i, j, seed = 12345;

	all = kunit_kcalloc(test, n, sizeof(*all), GFP_KERNEL);
	e = kunit_kcalloc(test, 1500, sizeof(*e), GFP_KERNEL);
	taken = kunit_kcalloc(test, n, sizeof(*taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_NOT_NULL(test, taken);

	for (si = 0; si < ARRAY_SIZE(score_ranges); si++) {
		for (i = 0; i < n; i++) {
			u32 r = lcg(&seed);

			/* distinct gfns, in a scrambled order (7919 is prime) */
			all[i].gfn = (u64)((i * 7919) % n) << 9;
			all[i].score = score_ranges[si] ?
				r % score_ranges[si] : r ^ (lcg(&seed) << 24);
			all[i].hits = lcg(&seed) % 513;
		}
		for (ki = 0; ki < ARRAY_SIZE(ks); ki++) {
			u32 k = ks[ki], want = min(k, n);
			struct kvmmig_topk t;

			kvmmig_topk_init(&t, e, k);
			for (i = 0; i < n; i++)
				kvmmig_topk_offer(&t, all[i].gfn, all[i].score,
						  all[i].hits);
			KUNIT_ASSERT_EQ(test, t.n, want);
			/* before the sort: a heap with the worst on top */
			for (i = 1; i < t.n; i++)
				if (ref_better(&e[(i - 1) / 2], &e[i])) {
					KUNIT_FAIL(test, "k %u: heap order at %u",
						   k, i);
					break;
				}
			kvmmig_topk_sort(&t);

			/* brute force: pick the best not yet taken, k times */
			memset(taken, 0, n * sizeof(*taken));
			for (j = 0; j < want; j++) {
				u32 best = n;

				for (i = 0; i < n; i++) {
					if (taken[i])
						continue;
					if (best == n ||
					    ref_better(&all[i], &all[best]))
						best = i;
				}
				taken[best] = true;
				if (e[j].gfn != all[best].gfn ||
				    e[j].score != all[best].score ||
				    e[j].hits != all[best].hits) {
					KUNIT_FAIL(test,
						   "range %u k %u rank %u: gfn %llu score %u, want gfn %llu score %u",
						   score_ranges[si], k, j,
						   e[j].gfn, e[j].score,
						   all[best].gfn,
						   all[best].score);
					break;
				}
			}
		}
	}
}

static void scan_checks(struct kunit *test)
{
	struct kvmmig_scan a = { .size = sizeof(a) }, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&a, 10, 1000), 0);
	b = a; b.flags = KVMMIG_SCAN_START | KVMMIG_SCAN_NOW;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), 0);
	b.flags = KVMMIG_SCAN_START | KVMMIG_SCAN_STOP;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), -EINVAL);
	b.flags = KVMMIG_SCAN_4K_BASELINE;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), -EINVAL);
	b.flags |= KVMMIG_SCAN_NOW;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), 0);
	/* a period within the tunables, with SET_PERIOD only */
	b = a; b.flags = KVMMIG_SCAN_SET_PERIOD; b.period_ms = 10; b.nr_passes = 3;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), 0);
	b.period_ms = 1000;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), 0);
	b.period_ms = 9;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), -EINVAL);
	b.period_ms = 1001;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), -EINVAL);
	b = a; b.nr_passes = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), -EINVAL);
	/* period_ms and passes are outputs without SET_PERIOD */
	b = a; b.period_ms = 5; b.passes = 7;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), 0);
	b = a; b.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_scan(&b, 10, 1000), -EINVAL);
}

static void temperature_checks(struct kunit *test)
{
	struct kvmmig_temperature a = { .size = sizeof(a), .gfn = 0x100,
					.npages = 512 }, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&a), 0);
	b = a; b.npages = 0;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), 0);
	b = a; b.npages = KVMMIG_TEMPERATURE_MAX_PAGES;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), 0);
	b.npages++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), -EINVAL);
	/* the range ends by KVMMIG_GFN_LIMIT, at most */
	b = a; b.gfn = KVMMIG_GFN_LIMIT - 512;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), 0);
	b.gfn++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), -EINVAL);
	b = a; b.gfn = U64_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), -EINVAL);
	/* outputs are not looked at */
	b = a; b.nr_done = 3; b.passes = 4; b.histogram[2] = 5;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), 0);
	b = a; b.reserved[1] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_temperature(&b), -EINVAL);
}

static void huge_candidates_checks(struct kunit *test)
{
	struct kvmmig_huge_candidates a = { .size = sizeof(a), .nr = 8,
					    .candidates_ptr = 0x1000 }, b;

	KUNIT_EXPECT_EQ(test, kvmmig_check_huge_candidates(&a), 0);
	b = a; b.nr = KVMMIG_HUGE_CANDIDATES_MAX;
	KUNIT_EXPECT_EQ(test, kvmmig_check_huge_candidates(&b), 0);
	b.nr++;
	KUNIT_EXPECT_EQ(test, kvmmig_check_huge_candidates(&b), -EINVAL);
	b = a; b.observe_passes_left = 3; b.passes = 9;
	KUNIT_EXPECT_EQ(test, kvmmig_check_huge_candidates(&b), 0);
	b = a; b.reserved[0] = 1;
	KUNIT_EXPECT_EQ(test, kvmmig_check_huge_candidates(&b), -EINVAL);
}

static struct kunit_case kvmmig_temperature_cases[] = {
	KUNIT_CASE(scan_checks),
	KUNIT_CASE(temperature_checks),
	KUNIT_CASE(huge_candidates_checks),
	KUNIT_CASE(map_init_aligned),
	KUNIT_CASE(map_init_unaligned),
	KUNIT_CASE(map_init_rejects_empty),
	KUNIT_CASE(region_pages_partial),
	KUNIT_CASE(regions_cover_once),
	KUNIT_CASE(counter_saturates_up),
	KUNIT_CASE(counter_decays_down),
	KUNIT_CASE(counter_packed_positions),
	KUNIT_CASE(counter_region_boundaries),
	KUNIT_CASE(counter_partial_regions),
	KUNIT_CASE(counter_shared_byte),
	KUNIT_CASE(null_on_cold_region),
	KUNIT_CASE(null_on_warm_region),
	KUNIT_CASE(region_max_tracks_max),
	KUNIT_CASE(hits_counted),
	KUNIT_CASE(score_decay_and_gain),
	KUNIT_CASE(score_converges),
	KUNIT_CASE(score_ranks_hammered),
	KUNIT_CASE(score_saturates),
	KUNIT_CASE(histogram_ranges),
	KUNIT_CASE(interval_band),
	KUNIT_CASE(interval_idle_doubles),
	KUNIT_CASE(interval_busy_halves),
	KUNIT_CASE(interval_proportional),
	KUNIT_CASE(interval_clamped),
	KUNIT_CASE(interval_target_zero),
	KUNIT_CASE(interval_converges),
	KUNIT_CASE(interval_converges_to_bound),
	KUNIT_CASE(topk_k0),
	KUNIT_CASE(topk_fewer_than_k),
	KUNIT_CASE(topk_keeps_best),
	KUNIT_CASE(topk_ties),
	KUNIT_CASE(topk_random_vs_reference),
	{}
};

struct kunit_suite kvmmig_temperature_suite = {
	.name = "kvmmig_temperature",
	.init = temp_test_init,
	.exit = temp_test_exit,
	.test_cases = kvmmig_temperature_cases,
};
