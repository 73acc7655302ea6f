// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: pre-copy send order (KVMMIG_GET_SEND_ORDER) on a real
 * VM.  The guest sweeps a hot set between temperature passes; the order
 * must put cold pages first and hot ones last.  The order comes as runs of
 * frames; every order is expanded back to frames and checked against an
 * oracle: the bitmap, the levels GET_TEMPERATURE reads and the frames the
 * test knows to be dropped.  With dirty logging on, the free-page hint
 * interplay is checked against real KVM_GET_DIRTY_LOG harvests.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "precopy_util.h"
#include "sweep.h"

#define DATA_PAGES	4096
#define DATA_GFN	(SWEEP_DATA_GPA / PAGE_4K)
#define HOT_PAGES	200
#define PASSES_TO_HOT	4

struct setup {
	struct sweep_vm s;
	int session;
	uint64_t *bitmap;	/* DATA_PAGES bits + room */
	struct kvmmig_gfn_range *runs;	/* DATA_PAGES + room */
	uint64_t *gfns;		/* the order's runs expanded, DATA_PAGES + room */
	uint64_t n;		/* frames in t->gfns */
};

#define ORDER_ROOM	(DATA_PAGES + 1024)

static void setup(struct __test_metadata *_metadata, struct setup *t)
{
	sweep_vm_create(&t->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	t->session = kvmmig_attach_vm(t->s.vm, NULL);
	ASSERT_GE(t->session, 0);
	t->bitmap = calloc(DATA_PAGES / 64 + 64, 8);
	t->runs = calloc(ORDER_ROOM, sizeof(*t->runs));
	t->gfns = calloc(ORDER_ROOM, 8);
	ASSERT_TRUE(t->bitmap && t->runs && t->gfns);
}

static void teardown(struct setup *t)
{
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t->bitmap);
	free(t->runs);
	free(t->gfns);
}

static void scan_now(struct __test_metadata *_metadata, int session)
{
	struct kvmmig_scan a = { .size = sizeof(a), .flags = KVMMIG_SCAN_NOW };

	ASSERT_EQ(0, ioctl(session, KVMMIG_SET_SCAN, &a));
}

/* Expand the order's runs into t->gfns; -1 when they hold too many. */
static int expand(struct setup *t, const struct kvmmig_send_order *o)
{
	t->n = 0;
	for (uint64_t i = 0; i < o->nr_runs; i++) {
		if (!t->runs[i].npages || t->runs[i].npages > ORDER_ROOM - t->n)
			return -1;
		for (uint64_t j = 0; j < t->runs[i].npages; j++)
			t->gfns[t->n++] = t->runs[i].gfn + j;
	}
	return 0;
}

/*
 * Order of the data slot's pages set in t->bitmap, room for @cap runs;
 * on success the runs are expanded into t->gfns (t->n frames).
 */
static int order(struct setup *t, __u32 flags, __u64 npages, __u64 cap,
		 struct kvmmig_send_order *o)
{
	int ret;

	memset(o, 0, sizeof(*o));
	o->flags = flags;
	o->base_gfn = DATA_GFN;
	o->npages = npages;
	o->bitmap_ptr = (__u64)(unsigned long)t->bitmap;
	o->runs_ptr = (__u64)(unsigned long)t->runs;
	o->max_runs = cap;
	t->n = 0;
	ret = send_order(t->session, o);
	if (!ret && (o->nr_done != npages || expand(t, o)))
		return -ERANGE;
	return ret;
}

static bool test_bit64(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void set_all(struct setup *t, uint64_t nbits)
{
	memset(t->bitmap, 0, (DATA_PAGES / 64 + 64) * 8);
	memset(t->bitmap, 0xff, (nbits + 63) / 64 * 8);
}

static bool in_list(const uint32_t *l, uint32_t n, uint64_t page)
{
	for (uint32_t i = 0; i < n; i++)
		if (l[i] == page)
			return true;
	return false;
}

/*
 * The oracle.  Expanded, the order is each level's part in turn, coldest
 * first, as many frames as its @level_pages, ascending, each frame of the
 * data slot set in the bitmap's first @npages bits and sent once.  With
 * the levels GET_TEMPERATURE read (@lv), with nothing scanned in between,
 * and the frames known to be dropped (@drop, a bitmap of the slot's pages,
 * or NULL for none), the order is exactly the slot's set frames less the
 * dropped ones, sorted by (level, frame); a run then never holds two
 * levels and two runs of one level never touch.  Without @lv (levels
 * change during the order, or hints churn) only the first part holds.
 */
static void check_order(struct __test_metadata *_metadata, struct setup *t,
			const struct kvmmig_send_order *o, uint64_t npages,
			const uint8_t *lv, const uint64_t *drop)
{
	uint64_t at = 0, lim = npages < DATA_PAGES ? npages : DATA_PAGES;
	uint64_t seen[DATA_PAGES / 64] = { 0 };

	for (int l = 0; l < KVMMIG_TEMP_NR_LEVELS; l++)
		for (uint64_t i = 0; i < o->level_pages[l]; i++, at++) {
			uint64_t g, p;

			ASSERT_LT(at, t->n);
			g = t->gfns[at];
			ASSERT_GE(g, DATA_GFN);
			ASSERT_LT(g, DATA_GFN + lim);
			p = g - DATA_GFN;
			ASSERT_TRUE(test_bit64(t->bitmap, p));
			ASSERT_FALSE(test_bit64(seen, p));
			seen[p / 64] |= 1ULL << (p % 64);
			if (i)
				ASSERT_GT(g, t->gfns[at - 1]);
		}
	ASSERT_EQ(t->n, at);
	if (!lv)
		return;
	at = 0;
	for (int l = 0; l < KVMMIG_TEMP_NR_LEVELS; l++)
		for (uint64_t p = 0; p < lim; p++) {
			if (!test_bit64(t->bitmap, p) || lv[p] != l ||
			    (drop && test_bit64(drop, p)))
				continue;
			ASSERT_LT(at, t->n);
			ASSERT_EQ(DATA_GFN + p, t->gfns[at]);
			at++;
		}
	ASSERT_EQ(t->n, at);
	for (uint64_t i = 0; i < o->nr_runs; i++) {
		const struct kvmmig_gfn_range *r = &t->runs[i];
		uint8_t l = lv[r->gfn - DATA_GFN];

		for (uint64_t j = 1; j < r->npages; j++)
			ASSERT_EQ(l, lv[r->gfn + j - DATA_GFN]);
		if (i + 1 < o->nr_runs && lv[t->runs[i + 1].gfn - DATA_GFN] == l)
			ASSERT_NE(r->gfn + r->npages, t->runs[i + 1].gfn);
	}
}

/* Levels of the data slot, as GET_TEMPERATURE reads them. */
static void read_levels(struct __test_metadata *_metadata, struct setup *t,
			uint8_t *lv, struct kvmmig_temperature *tq)
{
	memset(tq, 0, sizeof(*tq));
	tq->size = sizeof(*tq);
	tq->gfn = SWEEP_DATA_GPA / 4096;
	tq->npages = DATA_PAGES;
	tq->levels_ptr = (__u64)(unsigned long)lv;
	ASSERT_EQ(0, ioctl(t->session, KVMMIG_GET_TEMPERATURE, tq));
	/*
	 * Every data page is in a memslot.  A page the scanner has no map
	 * for yet (nothing scanned) reads as no slot here; the order counts
	 * it cold, as documented.
	 */
	for (int p = 0; p < DATA_PAGES; p++)
		if (lv[p] == KVMMIG_TEMP_NO_SLOT)
			lv[p] = 0;
}

/* The levels now, for an order made with nothing scanned since. */
static const uint8_t *levels_now(struct __test_metadata *_metadata,
				 struct setup *t)
{
	static uint8_t lv[DATA_PAGES];
	struct kvmmig_temperature tq;

	read_levels(_metadata, t, lv, &tq);
	return lv;
}

/* A bitmap of the slot's pages [a, a + n) and [b, b + m). */
static uint64_t *pages_bitmap(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	uint64_t *d = calloc(DATA_PAGES / 64, 8);

	for (uint64_t i = 0; d && i < n; i++)
		d[(a + i) / 64] |= 1ULL << ((a + i) % 64);
	for (uint64_t i = 0; d && i < m; i++)
		d[(b + i) / 64] |= 1ULL << ((b + i) % 64);
	return d;
}

TEST(hot_pages_last)
{
	struct setup t;
	struct kvmmig_temperature tq;
	struct kvmmig_send_order o;
	uint32_t hot[HOT_PAGES];
	uint8_t *lv = malloc(DATA_PAGES);
	uint64_t hot_last = 0, hot_first = 0;
	int i;

	setup(_metadata, &t);
	sweep_pick(hot, HOT_PAGES, DATA_PAGES, 3, NULL);
	for (i = 0; i < PASSES_TO_HOT + 1; i++) {
		sweep_run(&t.s, hot, HOT_PAGES, false, 1);
		scan_now(_metadata, t.session);
	}
	read_levels(_metadata, &t, lv, &tq);

	set_all(&t, DATA_PAGES);
	/* a size query first: the room needed, in runs */
	ASSERT_EQ(-E2BIG, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, 0, &o));
	ASSERT_GT(o.nr_runs, 0);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, o.nr_runs, &o));
	EXPECT_EQ(DATA_PAGES, t.n);
	EXPECT_EQ(0, o.nr_free);
	for (i = 0; i < KVMMIG_TEMP_NR_LEVELS; i++)
		EXPECT_EQ(tq.histogram[i], o.level_pages[i]);
	check_order(_metadata, &t, &o, DATA_PAGES, lv, NULL);
	/* runs: each page not cold splits one cold run and adds at most one */
	EXPECT_LE(o.nr_runs, 2 * (DATA_PAGES - o.level_pages[0]) + 1);
	EXPECT_LT(o.nr_runs, DATA_PAGES / 4);
	for (i = 0; i < HOT_PAGES; i++) {
		hot_last += in_list(hot, HOT_PAGES, t.gfns[DATA_PAGES - 1 - i] - DATA_GFN);
		hot_first += in_list(hot, HOT_PAGES, t.gfns[i] - DATA_GFN);
	}
	TH_LOG("levels %llu/%llu/%llu/%llu; hot pages among the last %d: %llu, first %d: %llu",
	       o.level_pages[0], o.level_pages[1], o.level_pages[2],
	       o.level_pages[3], HOT_PAGES, (unsigned long long)hot_last,
	       HOT_PAGES, (unsigned long long)hot_first);
	EXPECT_GE(hot_last, HOT_PAGES * 95 / 100);
	EXPECT_EQ(0, hot_first);
	EXPECT_GE(o.level_pages[3], HOT_PAGES * 95 / 100);
	/* the size query counts as a call */
	EXPECT_EQ(2, session_stat(t.session, "send_order_calls"));
	EXPECT_EQ(DATA_PAGES, session_stat(t.session, "send_order_pages"));
	free(lv);
	teardown(&t);
}

/* The same with periodic scanning on: the hot set ends up last. */
TEST(hot_pages_last_periodic_scan)
{
	struct setup t;
	struct kvmmig_scan sc = { .size = sizeof(sc),
		.flags = KVMMIG_SCAN_START | KVMMIG_SCAN_SET_PERIOD,
		.period_ms = 100 };
	struct kvmmig_send_order o;
	uint32_t hot[HOT_PAGES];
	uint64_t hot_last = 0;
	int i;

	setup(_metadata, &t);
	sweep_pick(hot, HOT_PAGES, DATA_PAGES, 5, NULL);
	ASSERT_EQ(0, ioctl(t.session, KVMMIG_SET_SCAN, &sc));
	/* until the scanner has made enough passes while the guest sweeps */
	for (i = 0; i < 2000; i++) {
		sweep_run(&t.s, hot, HOT_PAGES, true, 1);
		sc.flags = 0;
		sc.period_ms = 0;
		sc.nr_passes = 0;
		ASSERT_EQ(0, ioctl(t.session, KVMMIG_SET_SCAN, &sc));
		if (sc.passes >= 3 * PASSES_TO_HOT)
			break;
		usleep(10 * 1000);
	}
	TH_LOG("%llu passes, %d sweeps", sc.passes, i);
	/* keep the set warm for the order, then read it */
	sweep_run(&t.s, hot, HOT_PAGES, true, 1);
	set_all(&t, DATA_PAGES);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, DATA_PAGES, &o));
	sc.flags = KVMMIG_SCAN_STOP;
	ASSERT_EQ(0, ioctl(t.session, KVMMIG_SET_SCAN, &sc));
	check_order(_metadata, &t, &o, DATA_PAGES, NULL, NULL);
	EXPECT_EQ(DATA_PAGES, t.n);
	for (i = 0; i < HOT_PAGES; i++)
		hot_last += in_list(hot, HOT_PAGES, t.gfns[DATA_PAGES - 1 - i] - DATA_GFN);
	TH_LOG("levels %llu/%llu/%llu/%llu; hot pages among the last %d: %llu",
	       o.level_pages[0], o.level_pages[1], o.level_pages[2],
	       o.level_pages[3], HOT_PAGES, (unsigned long long)hot_last);
	EXPECT_GE(hot_last, HOT_PAGES * 90 / 100);
	EXPECT_GE(o.level_pages[0], DATA_PAGES - 2 * HOT_PAGES);
	teardown(&t);
}

/* Pages never scanned count as cold: the order is ascending. */
TEST(never_scanned_is_cold)
{
	struct setup t;
	struct kvmmig_send_order o;

	setup(_metadata, &t);
	set_all(&t, DATA_PAGES);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(DATA_PAGES, o.level_pages[0]);
	/* one run: every frame, cold */
	ASSERT_EQ(1, o.nr_runs);
	EXPECT_EQ(DATA_GFN, t.runs[0].gfn);
	EXPECT_EQ(DATA_PAGES, t.runs[0].npages);
	for (int i = 0; i < DATA_PAGES; i++)
		ASSERT_EQ(DATA_GFN + i, t.gfns[i]);
	/* every other frame: a run each */
	memset(t.bitmap, 0x55, DATA_PAGES / 8);
	ASSERT_EQ(-E2BIG, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, 0, &o));
	EXPECT_EQ(DATA_PAGES / 2, o.nr_runs);
	EXPECT_EQ(0, o.nr_done);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(DATA_PAGES / 2, o.nr_runs);
	EXPECT_EQ(DATA_PAGES / 2, t.n);
	check_order(_metadata, &t, &o, DATA_PAGES, levels_now(_metadata, &t), NULL);
	teardown(&t);
}

/* Frames outside memslots are dropped; bits past npages are ignored. */
TEST(outside_slots_and_tail_bits)
{
	struct setup t;
	struct kvmmig_send_order o;

	setup(_metadata, &t);
	set_all(&t, DATA_PAGES + 640);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES + 640,
			   DATA_PAGES + 640, &o));
	EXPECT_EQ(DATA_PAGES, t.n);
	EXPECT_EQ(DATA_GFN + DATA_PAGES - 1, t.gfns[DATA_PAGES - 1]);
	check_order(_metadata, &t, &o, DATA_PAGES + 640, levels_now(_metadata, &t),
		    NULL);
	/* 100 bits of a word-aligned bitmap whose later bits are set too */
	set_all(&t, 256);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, 100, 100, &o));
	EXPECT_EQ(100, t.n);
	EXPECT_EQ(1, o.nr_runs);
	EXPECT_EQ(DATA_GFN + 99, t.gfns[99]);
	teardown(&t);
}

TEST(hinted_dropped_with_all)
{
	struct setup t;
	struct kvmmig_send_order o;
	uint64_t i, seen = 0, *drop = pages_bitmap(0, 100, 1000, 50);

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, SWEEP_DATA_GPA, 100));
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_MARK, NULL, 0, NULL));
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD,
				SWEEP_DATA_GPA + 1000 * PAGE_4K, 50));
	set_all(&t, DATA_PAGES);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(150, o.nr_free);
	EXPECT_EQ(DATA_PAGES - 150, t.n);
	/* never scanned: all cold; the hinted frames split the slot in two */
	check_order(_metadata, &t, &o, DATA_PAGES, levels_now(_metadata, &t), drop);
	EXPECT_EQ(2, o.nr_runs);
	for (i = 0; i < t.n; i++) {
		uint64_t p = t.gfns[i] - DATA_GFN;

		seen += p < 100 || (p >= 1000 && p < 1050);
	}
	EXPECT_EQ(0, seen);
	/* ALL drops hints of no page */
	EXPECT_EQ(150, nr_hinted(t.session));
	EXPECT_EQ(0, session_stat(t.session, "free_hints_dropped"));
	EXPECT_EQ(150, session_stat(t.session, "send_order_free_skipped"));
	free(drop);
	teardown(&t);
}

/* Dirty logging on over pre-faulted memory; the log is empty afterwards. */
static void logged_setup(struct __test_metadata *_metadata, struct setup *t)
{
	uint32_t *all = malloc(DATA_PAGES * sizeof(*all));

	setup(_metadata, t);
	for (int i = 0; i < DATA_PAGES; i++)
		all[i] = i;
	/* pre-fault: a page first faulted in while logging reads dirty */
	sweep_run(&t->s, all, DATA_PAGES, true, 1);
	free(all);
	vm_mem_region_set_flags(t->s.vm, SWEEP_DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	kvm_vm_get_dirty_log(t->s.vm, SWEEP_DATA_SLOT, t->bitmap);
	ASSERT_EQ(0, popcount_bitmap(t->bitmap, DATA_PAGES));
}

static void guest_writes(struct setup *t, uint32_t first, uint32_t n,
			 uint32_t first2, uint32_t n2)
{
	uint32_t list[256], k = 0;

	for (uint32_t i = 0; i < n; i++)
		list[k++] = first + i;
	for (uint32_t i = 0; i < n2; i++)
		list[k++] = first2 + i;
	sweep_run(&t->s, list, k, true, 1);
}

static void harvest(struct __test_metadata *_metadata, struct setup *t,
		    uint64_t want)
{
	memset(t->bitmap, 0, (DATA_PAGES / 64 + 64) * 8);
	kvm_vm_get_dirty_log(t->s.vm, SWEEP_DATA_SLOT, t->bitmap);
	ASSERT_EQ(want, popcount_bitmap(t->bitmap, DATA_PAGES));
}

static void mark(struct __test_metadata *_metadata, struct setup *t)
{
	ASSERT_EQ(0, free_hints(t->session, KVMMIG_FREE_HINT_MARK, NULL, 0, NULL));
}

/*
 * Each round below is the protocol's: harvest (KVM_GET_DIRTY_LOG), then
 * MARK, then GET_SEND_ORDER of that harvest.  A hint made before the
 * post-harvest MARK is settled; one made after it is fresh, so the dirty
 * bit of a fresh-hinted page predates its hint.
 */

/*
 * A page hinted before the harvest and dirtied after its hint holds data:
 * sent, its hint dropped.
 */
TEST(settled_hint_dirtied_is_sent)
{
	struct setup t;
	struct kvmmig_send_order o;

	logged_setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, SWEEP_DATA_GPA, 50));
	guest_writes(&t, 0, 10, 100, 10);
	harvest(_metadata, &t, 20);
	mark(_metadata, &t);
	ASSERT_EQ(0, order(&t, 0, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(20, t.n);
	EXPECT_EQ(0, o.nr_free);
	EXPECT_EQ(2, o.nr_runs);
	EXPECT_EQ(DATA_GFN, t.gfns[0]);
	EXPECT_EQ(DATA_GFN + 109, t.gfns[19]);
	check_order(_metadata, &t, &o, DATA_PAGES, levels_now(_metadata, &t), NULL);
	EXPECT_EQ(40, nr_hinted(t.session));
	EXPECT_EQ(10, session_stat(t.session, "free_hints_dropped"));
	/* the same harvest again: nothing more to drop */
	ASSERT_EQ(0, order(&t, 0, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(20, t.n);
	EXPECT_EQ(40, nr_hinted(t.session));
	teardown(&t);
}

/*
 * A page hinted after the harvest's MARK was freed after the write the
 * harvest shows: dropped, its hint kept.
 */
TEST(fresh_hint_dirtied_is_dropped)
{
	struct setup t;
	struct kvmmig_send_order o;

	logged_setup(_metadata, &t);
	guest_writes(&t, 200, 10, 300, 10);
	harvest(_metadata, &t, 20);
	mark(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD,
				SWEEP_DATA_GPA + 200 * PAGE_4K, 10));
	ASSERT_EQ(0, order(&t, 0, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(10, t.n);
	EXPECT_EQ(10, o.nr_free);
	EXPECT_EQ(DATA_GFN + 300, t.gfns[0]);
	EXPECT_EQ(1, o.nr_runs);
	EXPECT_EQ(10, t.runs[0].npages);
	EXPECT_EQ(10, nr_hinted(t.session));
	EXPECT_EQ(0, session_stat(t.session, "free_hints_dropped"));
	teardown(&t);
}

/*
 * Hinted during a round (after the last MARK), then written by the guest
 * before the next harvest: the post-harvest MARK settles the hint, so the
 * page is sent and its hint dropped.  Marking before the harvest instead
 * would have left the hint fresh and lost the page's new contents.
 */
TEST(hinted_then_written_in_round_is_sent)
{
	struct setup t;
	struct kvmmig_send_order o;

	logged_setup(_metadata, &t);
	/* the previous round: harvest (empty), MARK, order */
	harvest(_metadata, &t, 0);
	mark(_metadata, &t);
	ASSERT_EQ(0, order(&t, 0, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(0, t.n);
	EXPECT_EQ(0, o.nr_runs);
	/* during the round: pages 400..415 hinted, then 400..407 written */
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD,
				SWEEP_DATA_GPA + 400 * PAGE_4K, 16));
	guest_writes(&t, 400, 8, 0, 0);
	/* this round's harvest, MARK, order */
	harvest(_metadata, &t, 8);
	mark(_metadata, &t);
	ASSERT_EQ(0, order(&t, 0, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(8, t.n);
	EXPECT_EQ(1, o.nr_runs);
	EXPECT_EQ(0, o.nr_free);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(DATA_GFN + 400 + i, t.gfns[i]);
	EXPECT_EQ(8, nr_hinted(t.session));
	EXPECT_EQ(8, session_stat(t.session, "free_hints_dropped"));
	/* the unwritten half stays hinted: the first round's ALL leaves it out */
	set_all(&t, DATA_PAGES);
	ASSERT_EQ(0, order(&t, KVMMIG_SEND_ORDER_ALL, DATA_PAGES, DATA_PAGES, &o));
	EXPECT_EQ(8, o.nr_free);
	teardown(&t);
}

/* Too small: E2BIG, the count needed, nothing written, hints unchanged. */
TEST(e2big_writes_nothing)
{
	struct setup t;
	struct kvmmig_send_order o;
	int i;

	logged_setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, SWEEP_DATA_GPA, 50));
	guest_writes(&t, 0, 10, 100, 10);
	harvest(_metadata, &t, 20);
	mark(_metadata, &t);
	for (i = 0; i < 32; i++)
		t.runs[i].gfn = 0xdead;
	/* 20 frames, two runs: 0..9 and 100..109 */
	EXPECT_EQ(-E2BIG, order(&t, 0, DATA_PAGES, 1, &o));
	EXPECT_EQ(2, o.nr_runs);
	EXPECT_EQ(0, o.nr_done);
	EXPECT_EQ(0, o.nr_free);
	EXPECT_EQ(20, o.level_pages[0]);
	for (i = 0; i < 32; i++)
		ASSERT_EQ(0xdead, t.runs[i].gfn);
	EXPECT_EQ(50, nr_hinted(t.session));
	EXPECT_EQ(0, session_stat(t.session, "free_hints_dropped"));
	EXPECT_EQ(-E2BIG, order(&t, 0, DATA_PAGES, 0, &o));
	EXPECT_EQ(2, o.nr_runs);
	ASSERT_EQ(0, order(&t, 0, DATA_PAGES, 2, &o));
	EXPECT_EQ(2, o.nr_runs);
	EXPECT_EQ(20, t.n);
	EXPECT_EQ(DATA_PAGES, o.nr_done);
	EXPECT_EQ(40, nr_hinted(t.session));
	teardown(&t);
}

/*
 * The caller's struct is read-only: the order is made, but the result
 * cannot be returned: -EFAULT, and no hint is dropped.
 */
TEST(readonly_struct_changes_no_hint)
{
	struct setup t;
	struct kvmmig_send_order o, *ro;

	logged_setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, SWEEP_DATA_GPA, 50));
	guest_writes(&t, 0, 10, 100, 10);
	harvest(_metadata, &t, 20);
	mark(_metadata, &t);
	ro = mmap(NULL, PAGE_4K, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ro->size = sizeof(*ro);
	ro->base_gfn = DATA_GFN;
	ro->npages = DATA_PAGES;
	ro->bitmap_ptr = (__u64)(unsigned long)t.bitmap;
	ro->runs_ptr = (__u64)(unsigned long)t.runs;
	ro->max_runs = DATA_PAGES;
	ASSERT_EQ(0, mprotect(ro, PAGE_4K, PROT_READ));
	EXPECT_EQ(-1, ioctl(t.session, KVMMIG_GET_SEND_ORDER, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(50, nr_hinted(t.session));
	EXPECT_EQ(0, session_stat(t.session, "free_hints_dropped"));
	/* the same call with a writable struct drops the 10 hints */
	o = *ro;
	ASSERT_EQ(0, send_order(t.session, &o));
	EXPECT_EQ(2, o.nr_runs);
	EXPECT_EQ(DATA_PAGES, o.nr_done);
	EXPECT_EQ(40, nr_hinted(t.session));
	munmap(ro, PAGE_4K);
	teardown(&t);
}

TEST(bad_inputs)
{
	struct setup t;
	struct kvmmig_send_order a, good;
	int i;

	setup(_metadata, &t);
	ASSERT_EQ(0, free_hint1(t.session, KVMMIG_FREE_HINT_ADD, SWEEP_DATA_GPA, 8));
	ASSERT_EQ(0, free_hints(t.session, KVMMIG_FREE_HINT_MARK, NULL, 0, NULL));
	set_all(&t, DATA_PAGES);
	memset(&good, 0, sizeof(good));
	good.size = sizeof(good);
	good.base_gfn = DATA_GFN;
	good.npages = DATA_PAGES;
	good.bitmap_ptr = (__u64)(unsigned long)t.bitmap;
	good.runs_ptr = (__u64)(unsigned long)t.runs;
	good.max_runs = DATA_PAGES;
#define EXPECT_SO_ERR(err) do {						\
		EXPECT_EQ(-1, ioctl(t.session, KVMMIG_GET_SEND_ORDER, &a)); \
		EXPECT_EQ(err, errno);					\
		EXPECT_EQ(8, nr_hinted(t.session));			\
	} while (0)
	a = good;
	a.size = 16;
	EXPECT_SO_ERR(EINVAL);
	a = good;
	a.flags = 2;
	EXPECT_SO_ERR(EINVAL);
	a = good;
	a.base_gfn = DATA_GFN + 1;
	EXPECT_SO_ERR(EINVAL);
	a = good;
	a.npages = 0;
	EXPECT_SO_ERR(EINVAL);
	a.npages = KVMMIG_SEND_ORDER_MAX_PAGES + 1;
	EXPECT_SO_ERR(EINVAL);
	a = good;
	a.base_gfn = -64ULL;
	a.npages = 128;
	EXPECT_SO_ERR(EINVAL);
	a = good;
	a.bitmap_ptr = 0;
	EXPECT_SO_ERR(EINVAL);
	a = good;
	a.runs_ptr = 0;
	EXPECT_SO_ERR(EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		EXPECT_SO_ERR(EINVAL);
	}
	a = good;
	a.bitmap_ptr = 8;
	EXPECT_SO_ERR(EFAULT);
	a = good;
	a.runs_ptr = 8;
	EXPECT_SO_ERR(EFAULT);
	EXPECT_EQ(0, a.nr_done);
	EXPECT_EQ(-1, ioctl(t.session, KVMMIG_GET_SEND_ORDER, NULL));
	EXPECT_EQ(EFAULT, errno);
#undef EXPECT_SO_ERR
	/* a huge, empty bitmap beyond every slot is read in bounded chunks */
	a = good;
	a.base_gfn = 1ULL << 30;
	a.npages = 1ULL << 24;
	a.bitmap_ptr = (__u64)(unsigned long)calloc(1, (1ULL << 24) / 8);
	ASSERT_EQ(0, ioctl(t.session, KVMMIG_GET_SEND_ORDER, &a));
	EXPECT_EQ(0, a.nr_runs);
	EXPECT_EQ(1ULL << 24, a.nr_done);
	free((void *)(unsigned long)a.bitmap_ptr);
	EXPECT_EQ(1, ioctl(t.session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_SEND_ORDER));
	teardown(&t);
}

/*
 * The VMM dies in the middle of an order over the largest bitmap (8 GiB of
 * zero pages, read in chunks): the call stops, the session goes.
 */
static void vmm_ordering(void *arg, int report_fd)
{
	struct kvmmig_send_order o = { .size = sizeof(o) };
	struct sweep_vm s;
	int session;
	__u32 id;
	void *bm;

	sweep_vm_create(&s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	session = kvmmig_attach_vm(s.vm, &id);
	bm = mmap(NULL, KVMMIG_SEND_ORDER_MAX_PAGES / 8, PROT_READ,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (session < 0 || bm == MAP_FAILED)
		_exit(2);
	if (free_hint1(session, KVMMIG_FREE_HINT_ADD, SWEEP_DATA_GPA, 64))
		_exit(3);
	o.base_gfn = 0;
	o.npages = KVMMIG_SEND_ORDER_MAX_PAGES;
	o.bitmap_ptr = (__u64)(unsigned long)bm;
	if (write(report_fd, &id, sizeof(id)) != sizeof(id))
		_exit(4);
	send_order(session, &o);	/* finished before the kill: exit 5 */
}

TEST(killed_during_huge_order)
{
	kill_vmm_at_work(_metadata, vmm_ordering, NULL, 300);
}

struct churn {
	int session;
	bool stop;
	int errors;
};

static void *hint_churn(void *arg)
{
	struct churn *c = arg;

	for (int i = 0; !READ_ONCE(c->stop); i++) {
		__u64 gpa = SWEEP_DATA_GPA + (i % 64) * 64 * PAGE_4K;

		c->errors += !!free_hint1(c->session, KVMMIG_FREE_HINT_ADD, gpa, 64);
		if (i % 3 == 0)
			c->errors += !!free_hints(c->session, KVMMIG_FREE_HINT_MARK,
						  NULL, 0, NULL);
		c->errors += !!free_hint1(c->session, KVMMIG_FREE_HINT_REMOVE,
					  gpa, 32);
	}
	return NULL;
}

/* Hints change while orders are made: each order is whole and consistent. */
TEST(orders_while_hints_change)
{
	struct setup t;
	struct kvmmig_send_order o;
	struct churn c = { 0 };
	pthread_t th;
	int i;

	setup(_metadata, &t);
	c.session = t.session;
	pthread_create(&th, NULL, hint_churn, &c);
	for (i = 0; i < 40; i++) {
		set_all(&t, DATA_PAGES);
		ASSERT_EQ(0, order(&t, i & 1 ? KVMMIG_SEND_ORDER_ALL : 0,
				   DATA_PAGES, DATA_PAGES, &o));
		ASSERT_EQ(DATA_PAGES, t.n + o.nr_free);
		check_order(_metadata, &t, &o, DATA_PAGES, NULL, NULL);
	}
	WRITE_ONCE(c.stop, true);
	pthread_join(th, NULL);
	EXPECT_EQ(0, c.errors);
	teardown(&t);
}

TEST_HARNESS_MAIN
