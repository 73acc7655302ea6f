// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: page temperature from real NPT access bits.  Guest code
 * sweeps chosen pages of a data slot; the test runs temperature passes
 * between sweeps (KVMMIG_SCAN_NOW), so it knows exactly which pages were
 * touched and checks what the module reports.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kvmmig_util.h"
#include "sweep.h"

#define SZ_2M		BIT_ULL(21)
#define SZ_1G		BIT_ULL(30)

#define DATA_PAGES	16384		/* 64 MiB */
#define HOT_PAGES	(DATA_PAGES / 10)
/* 2-bit counter: one pass to see a cold region woken, three to heat up */
#define PASSES_TO_HOT	4

static int scan(int session, __u32 flags)
{
	struct kvmmig_scan a = { .size = sizeof(a), .flags = flags };

	return ioctl(session, KVMMIG_SET_SCAN, &a) ? -errno : 0;
}

static void scan_now(struct __test_metadata *_metadata, int session)
{
	ASSERT_EQ(0, scan(session, KVMMIG_SCAN_NOW));
}

/* @passes times: the guest touches @list, then one temperature pass. */
static void heat(struct __test_metadata *_metadata, struct sweep_vm *s,
		 int session, const uint32_t *list, uint64_t nr, bool write,
		 int passes)
{
	for (int i = 0; i < passes; i++) {
		sweep_run(s, list, nr, write, 1);
		scan_now(_metadata, session);
	}
}

/* Levels of the data slot's pages; returns the histogram through @hist. */
static uint8_t *data_levels(struct __test_metadata *_metadata, int session,
			    uint64_t npages, __u64 *hist)
{
	struct kvmmig_temperature t = { .size = sizeof(t),
					.gfn = SWEEP_DATA_GPA / PAGE_SIZE,
					.npages = npages };
	uint8_t *lv = malloc(npages);

	t.levels_ptr = (__u64)(unsigned long)lv;
	EXPECT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &t));
	EXPECT_EQ(npages, t.nr_done);
	if (hist)
		memcpy(hist, t.histogram, sizeof(t.histogram));
	return lv;
}

/*
 * Recall: hot-set pages reported hot.  Precision: pages reported hot that
 * are in the hot set.  Returned in per mille.
 */
static void recall_precision(const uint8_t *lv, const uint32_t *hot, uint32_t nhot,
			     uint64_t npages, int *recall, int *precision)
{
	uint8_t *in = calloc(npages, 1);
	uint64_t tp = 0, reported = 0;

	for (uint32_t i = 0; i < nhot; i++)
		in[hot[i]] = 1;
	for (uint64_t p = 0; p < npages; p++) {
		if (lv[p] != KVMMIG_TEMP_NR_LEVELS - 1)
			continue;
		reported++;
		tp += in[p];
	}
	*recall = tp * 1000 / nhot;
	*precision = reported ? tp * 1000 / reported : 0;
	free(in);
}

struct setup {
	struct sweep_vm s;
	int session;
	uint32_t hot[HOT_PAGES];
};

static void setup(struct __test_metadata *_metadata, struct setup *t,
		  enum vm_mem_backing_src_type src)
{
	sweep_vm_create(&t->s, DATA_PAGES, src);
	t->session = kvmmig_attach_vm(t->s.vm, NULL);
	ASSERT_GE(t->session, 0);
}

/* Hot pages read hot, untouched pages cold: recall and precision >= 95%. */
static void hot_set(struct __test_metadata *_metadata, bool write)
{
	struct setup *t = calloc(1, sizeof(*t));
	int recall, precision;
	__u64 hist[4];
	uint8_t *lv;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	sweep_pick(t->hot, HOT_PAGES, DATA_PAGES, 1, NULL);
	heat(_metadata, &t->s, t->session, t->hot, HOT_PAGES, write,
	     PASSES_TO_HOT + 1);
	lv = data_levels(_metadata, t->session, DATA_PAGES, hist);
	recall_precision(lv, t->hot, HOT_PAGES, DATA_PAGES, &recall, &precision);
	TH_LOG("%s: recall %d.%d%% precision %d.%d%%, hist %llu/%llu/%llu/%llu",
	       write ? "write" : "read", recall / 10, recall % 10,
	       precision / 10, precision % 10, hist[0], hist[1], hist[2], hist[3]);
	EXPECT_GE(recall, 950);
	EXPECT_GE(precision, 950);
	EXPECT_EQ(DATA_PAGES, hist[0] + hist[1] + hist[2] + hist[3]);
	free(lv);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

TEST(hot_set_read)
{
	hot_set(_metadata, false);
}

TEST(hot_set_write)
{
	hot_set(_metadata, true);
}

/* The guest moves its hot set: the map follows within a bounded number. */
TEST(hot_set_moves)
{
	struct setup *t = calloc(1, sizeof(*t));
	uint32_t *moved = calloc(HOT_PAGES, sizeof(*moved));
	uint8_t *old = calloc(DATA_PAGES, 1);
	int recall, precision, i;
	uint8_t *lv;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	sweep_pick(t->hot, HOT_PAGES, DATA_PAGES, 7, NULL);
	heat(_metadata, &t->s, t->session, t->hot, HOT_PAGES, true,
	     PASSES_TO_HOT + 1);
	for (i = 0; i < HOT_PAGES; i++)
		old[t->hot[i]] = 1;
	sweep_pick(moved, HOT_PAGES, DATA_PAGES, 99, old);
	/* three idle passes cool a hot page; three busy ones heat one */
	heat(_metadata, &t->s, t->session, moved, HOT_PAGES, false,
	     PASSES_TO_HOT);
	lv = data_levels(_metadata, t->session, DATA_PAGES, NULL);
	recall_precision(lv, moved, HOT_PAGES, DATA_PAGES, &recall, &precision);
	TH_LOG("after the move: recall %d.%d%% precision %d.%d%%",
	       recall / 10, recall % 10, precision / 10, precision % 10);
	EXPECT_GE(recall, 950);
	EXPECT_GE(precision, 950);
	free(lv);
	free(old);
	free(moved);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/*
 * Levels rise one per busy pass and fall one per idle pass; a page touched
 * once goes warm, not hot, and cools again.
 */
TEST(levels_follow_passes)
{
	struct setup *t = calloc(1, sizeof(*t));
	uint32_t page = 1234;
	/* busy for 5 passes, then idle */
	static const int want[] = { 1, 2, 3, 3, 3, 2, 1, 0, 0 };
	int i;
	uint8_t *lv;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	/* wake the region: the first pass only finds it young */
	sweep_run(&t->s, &page, 1, false, 1);
	scan_now(_metadata, t->session);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		if (i < 5)
			sweep_run(&t->s, &page, 1, false, 1);
		else
			sweep_run(&t->s, NULL, 0, false, 1);
		scan_now(_metadata, t->session);
		lv = data_levels(_metadata, t->session, DATA_PAGES, NULL);
		EXPECT_EQ(want[i], lv[page]);
		EXPECT_EQ(0, lv[page + 1]);
		free(lv);
	}
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/*
 * The VMM's own accesses to guest memory (device emulation does them)
 * never touch EPT/NPT; the host page tables' accessed bits see them.
 */
TEST(vmm_accesses_count)
{
	struct setup *t = calloc(1, sizeof(*t));
	uint8_t *data;
	int recall, precision, i, j;
	uint64_t sum = 0;
	uint8_t *lv;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	data = addr_gpa2hva(t->s.vm, SWEEP_DATA_GPA);
	sweep_pick(t->hot, 256, DATA_PAGES, 5, NULL);
	for (i = 0; i < PASSES_TO_HOT + 1; i++) {
		/* the guest runs, but touches none of the data slot */
		sweep_run(&t->s, NULL, 0, false, 1);
		for (j = 0; j < 256; j++) {
			if (j & 1)
				sum += READ_ONCE(data[(uint64_t)t->hot[j] * 4096]);
			else
				WRITE_ONCE(data[(uint64_t)t->hot[j] * 4096], j);
		}
		scan_now(_metadata, t->session);
	}
	lv = data_levels(_metadata, t->session, DATA_PAGES, NULL);
	recall_precision(lv, t->hot, 256, DATA_PAGES, &recall, &precision);
	TH_LOG("VMM reads and writes: recall %d.%d%% precision %d.%d%% (%llu)",
	       recall / 10, recall % 10, precision / 10, precision % 10,
	       (unsigned long long)sum);
	EXPECT_EQ(1000, recall);
	EXPECT_EQ(1000, precision);
	free(lv);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/*
 * Host THP backing: KVM maps the region with one 2 MiB page, and one hot
 * 4 KiB page makes the whole region read accessed.  The module reports
 * what the hardware can tell, at the mapping's granularity.
 */
TEST(thp_backed_region_reads_at_2m)
{
	struct setup *t = calloc(1, sizeof(*t));
	uint32_t page = 3 * 512 + 17;
	__u64 hist[4];
	uint8_t *lv;
	int i, hot = 0;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS_THP);
	/* fault the whole region in, so it can be mapped huge */
	for (i = 0; i < 512; i++) {
		uint32_t p = 3 * 512 + i;

		sweep_run(&t->s, &p, 1, true, 1);
	}
	heat(_metadata, &t->s, t->session, &page, 1, false,
	     PASSES_TO_HOT + 1);
	lv = data_levels(_metadata, t->session, DATA_PAGES, hist);
	for (i = 0; i < 512; i++)
		hot += lv[3 * 512 + i] == 3;
	TH_LOG("THP region: %d of 512 pages hot, histogram %llu/%llu/%llu/%llu",
	       hot, hist[0], hist[1], hist[2], hist[3]);
	EXPECT_EQ(3, lv[page]);
	/* either KVM mapped it huge (all hot) or it could not (one hot) */
	EXPECT_TRUE(hot == 512 || hot == 1);
	EXPECT_EQ(hot, hist[3]);
	free(lv);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

static void set_param(struct __test_metadata *_metadata, const char *name,
		      const char *val, char *saved, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), KVMMIG_PARAMS "/%s", name);
	if (saved)
		ASSERT_EQ(0, read_text(path, saved, len));
	ASSERT_EQ(0, write_text(path, val));
}

static uint32_t get_candidates(struct __test_metadata *_metadata, int session,
			       struct kvmmig_huge_candidate *c, uint32_t nr,
			       uint32_t *observe_left)
{
	struct kvmmig_huge_candidates a = { .size = sizeof(a), .nr = nr };

	a.candidates_ptr = (__u64)(unsigned long)c;
	EXPECT_EQ(0, ioctl(session, KVMMIG_GET_HUGE_CANDIDATES, &a));
	*observe_left = a.observe_passes_left;
	return a.nr;
}

/* Regions the guest hammers head the large-page ranking after phase one. */
TEST(huge_candidates_ranked)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_huge_candidate c[4];
	uint32_t list[512 * 2 + 8], n = 0, left, got, i, pass;
	char saved[32];

	kvmmig_params_guard(_metadata);

	set_param(_metadata, "huge_observe_passes", "3", saved, sizeof(saved));
	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	/* region 5: every page; region 20: half; 8 pages scattered elsewhere */
	for (i = 0; i < 512; i++)
		list[n++] = 5 * 512 + i;
	for (i = 0; i < 512; i += 2)
		list[n++] = 20 * 512 + i;
	for (i = 0; i < 8; i++)
		list[n++] = (9 + 2 * i) * 512 + 100;

	for (pass = 1; pass <= 8; pass++) {
		sweep_run(&t->s, list, n, true, 1);
		scan_now(_metadata, t->session);
		got = get_candidates(_metadata, t->session, c, ARRAY_SIZE(c), &left);
		if (pass < 3) {
			/* phase one only observes */
			EXPECT_EQ(0, got);
			EXPECT_EQ(3 - pass, left);
		}
	}
	EXPECT_EQ(0, left);
	ASSERT_EQ(ARRAY_SIZE(c), got);
	EXPECT_EQ((SWEEP_DATA_GPA + 5 * SZ_2M) / PAGE_SIZE, c[0].gfn);
	EXPECT_EQ(512, c[0].hits);
	EXPECT_EQ((SWEEP_DATA_GPA + 20 * SZ_2M) / PAGE_SIZE, c[1].gfn);
	EXPECT_EQ(256, c[1].hits);
	EXPECT_GT(c[0].score, c[1].score);
	EXPECT_GT(c[1].score, c[2].score);
	EXPECT_LT(c[2].hits, 256);
	set_param(_metadata, "huge_observe_passes", saved, NULL, 0);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/* Cold regions cost one call each: a mostly idle VM is cheap to scan. */
TEST(coarse_to_fine_work)
{
	struct setup *t = calloc(1, sizeof(*t));
	uint32_t pages[2] = { 100, 9 * 512 + 3 };
	int session_stats, i;
	__u64 tested0 = 0;
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	session_stats = ioctl(t->session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(session_stats, 0);
	read_stats_header(session_stats, &h);
	d = read_stats_descriptors(session_stats, &h);
	heat(_metadata, &t->s, t->session, pages, 2, false,
	     PASSES_TO_HOT + 1);
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *e = get_stats_descriptor(d, i, &h);
		uint64_t v;

		if (strcmp(e->name, "scan_pages_tested"))
			continue;
		read_stat_data(session_stats, &h, e, &v, 1);
		tested0 = v;
	}
	/*
	 * Only regions holding touched pages are refined: the two data pages'
	 * and slot 0's few (guest code, stack, page tables).  A woken region
	 * tests all its pages once, then only its warm ones; its cold runs
	 * cost one call each.  All of it is less than one page-by-page pass
	 * of the data slot.
	 */
	TH_LOG("pages tested page by page over %d passes: %llu",
	       PASSES_TO_HOT + 1, tested0);
	EXPECT_GE(tested0, 2 * 512 + 2 * (PASSES_TO_HOT - 1));
	EXPECT_LT(tested0, DATA_PAGES);
	free(d);
	close(session_stats);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/* Every pass emits kvmmig:kvmmig_scan_pass and flushes TLBs at most once. */
TEST(pass_tracepoint_and_flushes)
{
	const char *ev = "/sys/kernel/tracing/events/kvmmig/kvmmig_scan_pass/enable";
	struct setup *t = calloc(1, sizeof(*t));
	char want[64], *buf = calloc(1, 1 << 16);
	int stats, i, fd;
	__u32 id = ~0U;
	ssize_t n;

	sweep_vm_create(&t->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	t->session = kvmmig_attach_vm(t->s.vm, &id);
	ASSERT_GE(t->session, 0);
	ASSERT_EQ(0, write_text("/sys/kernel/tracing/trace", ""));
	ASSERT_EQ(0, write_text(ev, "1"));
	heat(_metadata, &t->s, t->session, t->hot, 16, false,
	     3);
	ASSERT_EQ(0, write_text(ev, "0"));
	fd = open("/sys/kernel/tracing/trace", O_RDONLY);
	ASSERT_GE(fd, 0);
	n = read(fd, buf, (1 << 16) - 1);
	close(fd);
	ASSERT_GT(n, 0);
	for (i = 1; i <= 3; i++) {
		snprintf(want, sizeof(want), "session=%u pass=%d regions=", id, i);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no \"%s\"", want);
	}
	stats = ioctl(t->session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(stats, 0);
	EXPECT_EQ(3, kvmmig_stat(stats, "scan_passes"));
	EXPECT_LE(kvmmig_stat(stats, "scan_tlb_flushes"), 3);
	EXPECT_GE(kvmmig_stat(stats, "scan_tlb_flushes"), 1);
	close(stats);
	free(buf);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/*
 * Starting dirty logging changes the memslot's flags (a new memslot for
 * KVM): the slot keeps its id, base and size, so it keeps its temperature.
 */
TEST(temperature_survives_dirty_logging)
{
	struct setup *t = calloc(1, sizeof(*t));
	int recall, precision;
	uint8_t *lv;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	sweep_pick(t->hot, HOT_PAGES, DATA_PAGES, 11, NULL);
	heat(_metadata, &t->s, t->session, t->hot, HOT_PAGES, false,
	     PASSES_TO_HOT + 1);
	vm_mem_region_set_flags(t->s.vm, SWEEP_DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	/* one more busy pass over the logged slot keeps the set hot */
	sweep_run(&t->s, t->hot, HOT_PAGES, true, 1);
	scan_now(_metadata, t->session);
	lv = data_levels(_metadata, t->session, DATA_PAGES, NULL);
	recall_precision(lv, t->hot, HOT_PAGES, DATA_PAGES, &recall, &precision);
	TH_LOG("after KVM_MEM_LOG_DIRTY_PAGES: recall %d.%d%% precision %d.%d%%",
	       recall / 10, recall % 10, precision / 10, precision % 10);
	EXPECT_GE(recall, 950);
	EXPECT_GE(precision, 950);
	free(lv);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/* Periodic scanning runs on its own and adapts its period. */
TEST(periodic_scanning)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_scan a = { .size = sizeof(a) };
	__u64 passes;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	a.flags = KVMMIG_SCAN_START | KVMMIG_SCAN_SET_PERIOD;
	a.period_ms = 100;
	a.nr_passes = 3;
	ASSERT_EQ(0, ioctl(t->session, KVMMIG_SET_SCAN, &a));
	EXPECT_EQ(100, a.period_ms);
	usleep(1500 * 1000);
	/* nr_passes goes with SET_PERIOD only */
	a.nr_passes = 0;
	a.flags = KVMMIG_SCAN_STOP;
	ASSERT_EQ(0, ioctl(t->session, KVMMIG_SET_SCAN, &a));
	passes = a.passes;
	TH_LOG("%llu passes in 1.5 s, period now %u ms", passes, a.period_ms);
	EXPECT_GE(passes, 3);
	/* an idle VM: after the fixed passes the period grows */
	EXPECT_GT(a.period_ms, 100);
	usleep(300 * 1000);
	a.flags = 0;
	ASSERT_EQ(0, ioctl(t->session, KVMMIG_SET_SCAN, &a));
	EXPECT_EQ(passes, a.passes);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

static void *slot_churn(void *arg)
{
	struct kvm_vm *vm = arg;

	for (int i = 0; i < 40; i++) {
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS,
					    SWEEP_DATA_GPA + SZ_1G, 5, 2048, 0);
		vm_mem_region_delete(vm, 5);
	}
	return NULL;
}

/* Memslots added and deleted while passes run. */
TEST(memslot_churn_during_scan)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_temperature tq = { .size = sizeof(tq) };
	pthread_t th;
	int passes = 0;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	pthread_create(&th, NULL, slot_churn, t->s.vm);
	while (pthread_tryjoin_np(th, NULL)) {
		ASSERT_EQ(0, scan(t->session, KVMMIG_SCAN_NOW));
		passes++;
	}
	TH_LOG("%d passes while the slot churned", passes);
	scan_now(_metadata, t->session);
	/* the deleted slot's range has no temperature */
	tq.gfn = (SWEEP_DATA_GPA + SZ_1G) / PAGE_SIZE;
	tq.npages = 2048;
	ASSERT_EQ(0, ioctl(t->session, KVMMIG_GET_TEMPERATURE, &tq));
	EXPECT_EQ(0, tq.histogram[0] + tq.histogram[1] + tq.histogram[2] +
		  tq.histogram[3]);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(t);
}

/* The data slot's backing, taken away and given back under the passes. */
struct backing_churn {
	uint8_t *hva;		/* the slot's host range */
	uint8_t *spare;		/* reserved: where mremap() moves it to */
	size_t size;
	int rounds;
};

static void touch_every(uint8_t *p, size_t size, size_t step)
{
	for (size_t off = 0; off < size; off += step)
		p[off] = 1;
}

static void *backing_churn(void *arg)
{
	struct backing_churn *c = arg;

	for (int i = 0; i < c->rounds; i++) {
		switch (i % 3) {
		case 0:	/* unmapped (page tables freed), then a new mapping */
			TEST_ASSERT(!munmap(c->hva, c->size), "munmap");
			TEST_ASSERT(mmap(c->hva, c->size, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					 -1, 0) == c->hva, "mmap");
			break;
		case 1:	/* moved away and back: its page tables go twice */
			TEST_ASSERT(mremap(c->hva, c->size, c->size,
					   MREMAP_MAYMOVE | MREMAP_FIXED,
					   c->spare) == c->spare, "mremap");
			TEST_ASSERT(mremap(c->spare, c->size, c->size,
					   MREMAP_MAYMOVE | MREMAP_FIXED,
					   c->hva) == c->hva, "mremap back");
			/* reserved again: no other mapping may land there */
			TEST_ASSERT(mmap(c->spare, c->size, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
					 -1, 0) == c->spare, "mmap spare");
			break;
		default: /* zapped */
			TEST_ASSERT(!madvise(c->hva, c->size, MADV_DONTNEED),
				    "madvise");
			break;
		}
		/* page tables again, for the next round to free */
		touch_every(c->hva, c->size, 64 * PAGE_SIZE);
	}
	return NULL;
}

/*
 * The VMM unmaps, moves and zaps a slot's backing while passes (and
 * content reads) run over it, without deleting the slot: the passes must
 * only walk page tables inside VMAs they found under mmap_lock, never
 * tables munmap() frees after dropping to its read lock.  Every pass and
 * every read succeeds or fails cleanly; the kernel log judges the rest
 * (KASAN in the debug test kernel).
 */
TEST(backing_unmapped_during_scans)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_page_class *rec = calloc(512, sizeof(*rec));
	struct backing_churn c = { .size = DATA_PAGES * PAGE_SIZE, .rounds = 60 };
	int passes = 0, reads = 0, faults = 0, ret;
	uint8_t *lv;
	pthread_t th;

	setup(_metadata, t, VM_MEM_SRC_ANONYMOUS);
	c.hva = addr_gpa2hva(t->s.vm, SWEEP_DATA_GPA);
	c.spare = mmap(NULL, c.size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	ASSERT_NE(MAP_FAILED, c.spare);
	touch_every(c.hva, c.size, 64 * PAGE_SIZE);
	ASSERT_EQ(0, scan(t->session, KVMMIG_SCAN_NOW));
	pthread_create(&th, NULL, backing_churn, &c);
	while (pthread_tryjoin_np(th, NULL)) {
		struct kvmmig_classify a = {
			.size = sizeof(a), .npages = 512,
			.gfn = SWEEP_DATA_GPA / PAGE_SIZE + (reads % 32) * 512,
			.classes_ptr = (__u64)(unsigned long)rec,
		};

		ASSERT_EQ(0, scan(t->session, KVMMIG_SCAN_NOW));
		passes++;
		ret = ioctl(t->session, KVMMIG_CLASSIFY, &a) ? -errno : 0;
		ASSERT_TRUE(ret == 0 || ret == -EFAULT) TH_LOG("classify %d", ret);
		faults += ret == -EFAULT;
		reads++;
	}
	TH_LOG("%d passes, %d reads (%d unmapped) while the backing churned",
	       passes, reads, faults);
	EXPECT_GT(passes, 0);
	/* the slot is backed again: a pass still finds the guest's accesses */
	heat(_metadata, &t->s, t->session, (uint32_t[]){ 7 }, 1, false, 2);
	lv = data_levels(_metadata, t->session, DATA_PAGES, NULL);
	EXPECT_NE(0, lv[7]);
	free(lv);
	munmap(c.spare, c.size);
	close(t->session);
	kvm_vm_free(t->s.vm);
	free(rec);
	free(t);
}

static void *vcpu_loop(void *arg)
{
	struct sweep_vm *s = arg;
	uint32_t list[64];

	for (int i = 0; i < 64; i++)
		list[i] = i * 200;
	for (;;)
		sweep_run(s, list, 64, true, 1);
	return NULL;
}

/* The VMM dies while periodic passes run over a busy guest. */
static void vmm_scanning(void *arg, int report_fd)
{
	struct sweep_vm s;
	struct kvmmig_scan a = { .size = sizeof(a),
		.flags = KVMMIG_SCAN_START | KVMMIG_SCAN_SET_PERIOD,
		.period_ms = 100 };
	pthread_t th;
	int session;
	__u32 id;

	sweep_vm_create(&s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	session = kvmmig_attach_vm(s.vm, &id);
	if (session < 0 || ioctl(session, KVMMIG_SET_SCAN, &a))
		_exit(2);
	pthread_create(&th, NULL, vcpu_loop, &s);
	usleep(300 * 1000);
	if (write(report_fd, &id, sizeof(id)) != sizeof(id))
		_exit(3);
	for (;;)	/* passes in this thread too */
		ioctl(session, KVMMIG_SET_SCAN,
		      &(struct kvmmig_scan){ .size = sizeof(a),
					     .flags = KVMMIG_SCAN_NOW });
}

TEST(vmm_killed_while_scanning)
{
	kill_vmm_at_work(_metadata, vmm_scanning, NULL, 200);
}

TEST(scan_bad_inputs)
{
	struct kvm_vm *vm = vm_create(1);
	struct kvmmig_scan a, good = { .size = sizeof(a) };
	int session = kvmmig_attach_vm(vm, NULL), i;

	ASSERT_GE(session, 0);
#define EXPECT_SCAN_EINVAL() do {					\
		EXPECT_EQ(-1, ioctl(session, KVMMIG_SET_SCAN, &a));	\
		EXPECT_EQ(EINVAL, errno);				\
	} while (0)
	a = good;
	a.size = offsetof(struct kvmmig_scan, reserved) - 8;
	EXPECT_SCAN_EINVAL();
	a = good;
	a.flags = 1U << 31;
	EXPECT_SCAN_EINVAL();
	a.flags = KVMMIG_SCAN_START | KVMMIG_SCAN_STOP;
	EXPECT_SCAN_EINVAL();
	a.flags = KVMMIG_SCAN_4K_BASELINE;
	EXPECT_SCAN_EINVAL();
	a.flags = KVMMIG_SCAN_SET_PERIOD;
	a.period_ms = 1;
	EXPECT_SCAN_EINVAL();
	a.period_ms = 10000000;
	EXPECT_SCAN_EINVAL();
	a = good;
	a.nr_passes = 3;
	EXPECT_SCAN_EINVAL();
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		EXPECT_SCAN_EINVAL();
	}
#undef EXPECT_SCAN_EINVAL
	EXPECT_EQ(-1, ioctl(session, KVMMIG_SET_SCAN, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* nothing started */
	a = good;
	ASSERT_EQ(0, ioctl(session, KVMMIG_SET_SCAN, &a));
	EXPECT_EQ(0, a.passes);
	close(session);
	kvm_vm_free(vm);
}

TEST(temperature_bad_inputs)
{
	struct kvm_vm *vm = vm_create(1);
	struct kvmmig_temperature a, good = { .size = sizeof(a), .npages = 16 };
	struct kvmmig_huge_candidates h, hgood = { .size = sizeof(h) };
	int session = kvmmig_attach_vm(vm, NULL), i;
	uint8_t buf[16];

	ASSERT_GE(session, 0);
	scan_now(_metadata, session);
#define EXPECT_T_ERR(err) do {						\
		EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_TEMPERATURE, &a)); \
		EXPECT_EQ(err, errno);					\
	} while (0)
	a = good;
	a.size = 8;
	EXPECT_T_ERR(EINVAL);
	a = good;
	a.flags = 1;
	EXPECT_T_ERR(EINVAL);
	a = good;
	a.npages = KVMMIG_TEMPERATURE_MAX_PAGES + 1;
	EXPECT_T_ERR(EINVAL);
	/* the range ends by KVMMIG_GFN_LIMIT */
	a = good;
	a.gfn = KVMMIG_GFN_LIMIT - 1;
	a.npages = 2;
	EXPECT_T_ERR(EINVAL);
	a.gfn = -1ULL;
	a.npages = 1;
	EXPECT_T_ERR(EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		EXPECT_T_ERR(EINVAL);
	}
	a = good;
	a.levels_ptr = 8;
	a.nr_done = 99;
	EXPECT_T_ERR(EFAULT);
	EXPECT_EQ(0, a.nr_done);
	EXPECT_EQ(16, a.npages);
#undef EXPECT_T_ERR
	/* a good call: slot 0's pages have levels, the rest none */
	a = good;
	a.levels_ptr = (__u64)(unsigned long)buf;
	ASSERT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &a));
	EXPECT_EQ(16, a.histogram[0] + a.histogram[1] + a.histogram[2] +
		  a.histogram[3]);
	EXPECT_EQ(16, a.nr_done);
	a.gfn = 1ULL << 28;
	ASSERT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &a));
	EXPECT_EQ(KVMMIG_TEMP_NO_SLOT, buf[0]);
	EXPECT_EQ(0, a.histogram[0]);
	/* the last frame below KVMMIG_GFN_LIMIT is a range, of no memslot */
	a.gfn = KVMMIG_GFN_LIMIT - 16;
	ASSERT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &a));
	EXPECT_EQ(16, a.nr_done);

	h = hgood;
	h.nr = KVMMIG_HUGE_CANDIDATES_MAX + 1;
	EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_HUGE_CANDIDATES, &h));
	EXPECT_EQ(EINVAL, errno);
	h = hgood;
	h.flags = 2;
	EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_HUGE_CANDIDATES, &h));
	EXPECT_EQ(EINVAL, errno);
	h = hgood;
	h.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_HUGE_CANDIDATES, &h));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(4, ioctl(session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_TEMPERATURE));
	close(session);
	kvm_vm_free(vm);
}

/*
 * A levels buffer that ends part way: the call fails with -EFAULT and
 * nr_done tells how far it got (the frames whose levels were written, a
 * whole number of the kernel's chunks); the histogram counts those frames
 * only, and the caller resumes at gfn + nr_done.
 */
TEST(temperature_partial_progress)
{
	const uint64_t chunk = 64 * 1024, n = chunk + 100;
	struct kvm_vm *vm = vm_create(1);
	struct kvmmig_temperature a = { .size = sizeof(a), .npages = n }, ref;
	int session = kvmmig_attach_vm(vm, NULL);
	long pg = getpagesize();
	uint8_t *buf, *lv = malloc(n);

	ASSERT_GE(session, 0);
	ASSERT_NE(NULL, lv);
	scan_now(_metadata, session);
	/* room for @chunk levels, then a page that cannot be written */
	buf = mmap(NULL, chunk + pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf + chunk, pg, PROT_NONE));
	a.levels_ptr = (__u64)(unsigned long)buf;
	EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_TEMPERATURE, &a));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(chunk, a.nr_done);
	EXPECT_EQ(n, a.npages);

	/* the oracle: the same frames asked in two calls that succeed */
	ref = (struct kvmmig_temperature){ .size = sizeof(ref), .npages = chunk,
					   .levels_ptr = (__u64)(unsigned long)lv };
	ASSERT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &ref));
	EXPECT_EQ(0, memcmp(ref.histogram, a.histogram, sizeof(a.histogram)));
	EXPECT_EQ(0, memcmp(lv, buf, chunk));
	EXPECT_GT(ref.histogram[0] + ref.histogram[1] + ref.histogram[2] +
		  ref.histogram[3], 0);

	/* resume where it stopped */
	a.gfn += a.nr_done;
	a.npages -= a.nr_done;
	a.levels_ptr = (__u64)(unsigned long)(lv + chunk);
	ASSERT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &a));
	EXPECT_EQ(100, a.nr_done);
	munmap(buf, chunk + pg);
	free(lv);
	close(session);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
