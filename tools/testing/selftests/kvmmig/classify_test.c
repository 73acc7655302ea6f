// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: KVMMIG_CLASSIFY (content classes) on a
 * real VM.  The VMM writes known contents into the data slot (zero,
 * byte and word patterns, data, copies of data, almost-patterns) and the
 * guest writes some pages itself; the rest of the slot is never touched.
 * Every answer is checked against the guest memory as the VMM sees it:
 * classes, pattern words, signatures (xxh64, seed 0), DUP references,
 * the returned data, list order, counters, and bad input.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kvmmig_util.h"
#include "sweep.h"

#define PAGE			4096ULL
#define DATA_PAGES		16384		/* 64 MiB data slot */
#define CONTENT_PAGES		128		/* written; the rest untouched */
#define DATA_GFN		(SWEEP_DATA_GPA / PAGE)
#define NO_SLOT_GPA		(3ULL << 30)	/* no memslot here */

/* Layout of the content pages (page index in the data slot). */
#define P_ZERO			0	/* 16 zero pages, written by the VMM */
#define P_BYTE			16	/* 8 one-byte patterns */
#define P_WORD			24	/* 8 one-word patterns */
#define P_DATA			32	/* 32 data pages */
#define P_COPY			64	/* 16 copies of P_DATA + 0..15 */
#define P_ALMOST		80	/* 16 word patterns but the last word */
#define P_GUEST			96	/* 32 pages the guest writes */

/* xxh64 (seed 0) of one page, as lib/xxhash computes it. */
#define X1	11400714785074694791ULL
#define X2	14029467366897019727ULL
#define X3	1609587929392839161ULL
#define X4	9650029242287828579ULL

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t xround(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * X2, 31) * X1;
}

static uint64_t xmerge(uint64_t acc, uint64_t v)
{
	return (acc ^ xround(0, v)) * X1 + X4;
}

static uint64_t page_xxh64(const void *page)
{
	const uint64_t *p = page;
	uint64_t v1 = X1 + X2, v2 = X2, v3 = 0, v4 = -X1, h;

	for (int i = 0; i < 512; i += 4) {
		v1 = xround(v1, p[i]);
		v2 = xround(v2, p[i + 1]);
		v3 = xround(v3, p[i + 2]);
		v4 = xround(v4, p[i + 3]);
	}
	h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
	h = xmerge(xmerge(xmerge(xmerge(h, v1), v2), v3), v4) + PAGE;
	h ^= h >> 33;
	h *= X2;
	h ^= h >> 29;
	h *= X3;
	return h ^ (h >> 32);
}

/* The word a page repeats, or false when it is not one repeated word. */
static bool page_word(const void *page, uint64_t *w)
{
	const uint64_t *p = page;

	for (int i = 1; i < 512; i++)
		if (p[i] != p[0])
			return false;
	*w = p[0];
	return true;
}

static void fill_data(void *page, uint64_t seed)
{
	uint64_t *p = page;

	for (int i = 0; i < 512; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = seed;
	}
}

static void fill_word(void *page, uint64_t w)
{
	uint64_t *p = page;

	for (int i = 0; i < 512; i++)
		p[i] = w;
}

struct env {
	struct sweep_vm s;
	int session;
	int stats_fd;
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *desc;
	uint8_t *mem;		/* host view of the data slot */
};

static uint8_t *page_of(struct env *e, uint64_t p)
{
	return e->mem + p * PAGE;
}

static uint64_t byte_pattern(uint64_t p)
{
	return ((p - P_BYTE) * 0x21 + 1) * 0x0101010101010101ULL;
}

static uint64_t word_pattern(uint64_t p)
{
	return 0x0123456789abcdefULL * (p - P_WORD + 1);
}

/* The VM, its session, the known contents, the guest's own writes. */
static void env_create_src(struct __test_metadata *_metadata, struct env *e,
			   enum vm_mem_backing_src_type src)
{
	uint32_t list[32];
	uint64_t p;

	sweep_vm_create(&e->s, DATA_PAGES, src);
	e->mem = addr_gpa2hva(e->s.vm, SWEEP_DATA_GPA);
	e->session = kvmmig_attach_vm(e->s.vm, NULL);
	ASSERT_GE(e->session, 0);
	e->stats_fd = ioctl(e->session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(e->stats_fd, 0);
	read_stats_header(e->stats_fd, &e->hdr);
	e->desc = read_stats_descriptors(e->stats_fd, &e->hdr);

	for (p = P_ZERO; p < P_BYTE; p++)
		memset(page_of(e, p), 0, PAGE);
	for (p = P_BYTE; p < P_WORD; p++)
		memset(page_of(e, p), byte_pattern(p) & 0xff, PAGE);
	for (p = P_WORD; p < P_DATA; p++)
		fill_word(page_of(e, p), word_pattern(p));
	for (p = P_DATA; p < P_COPY; p++)
		fill_data(page_of(e, p), p);
	for (p = P_COPY; p < P_ALMOST; p++)
		memcpy(page_of(e, p), page_of(e, p - (P_COPY - P_DATA)), PAGE);
	for (p = P_ALMOST; p < P_GUEST; p++) {
		fill_word(page_of(e, p), 0x1000 + p);
		((uint64_t *)page_of(e, p))[511] ^= 1;
	}
	/* the guest writes word 0 of each: the list position (0 first) */
	for (p = 0; p < 32; p++)
		list[p] = P_GUEST + p;
	sweep_run(&e->s, list, 32, true, 1);
}

static void env_create(struct __test_metadata *_metadata, struct env *e)
{
	env_create_src(_metadata, e, VM_MEM_SRC_ANONYMOUS);
}

static void env_destroy(struct env *e)
{
	free(e->desc);
	close(e->stats_fd);
	close(e->session);
	kvm_vm_free(e->s.vm);
}

static uint64_t stat_get(struct env *e, const char *name)
{
	for (uint32_t i = 0; i < e->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = get_stats_descriptor(e->desc, i, &e->hdr);
		uint64_t v;

		if (strcmp(d->name, name))
			continue;
		read_stat_data(e->stats_fd, &e->hdr, d, &v, 1);
		return v;
	}
	TEST_FAIL("no stat %s", name);
	return 0;
}

static const char *const stat_names[] = {
	"classify_pages", "classify_zero", "classify_pattern",
	"classify_dup", "classify_data",
};

#define NR_STATS	ARRAY_SIZE(stat_names)

static void stats_read(struct env *e, uint64_t *v)
{
	for (unsigned int i = 0; i < NR_STATS; i++)
		v[i] = stat_get(e, stat_names[i]);
}

/* The class the layout gives page @p of the data slot, in a range call. */
static uint32_t layout_class(uint64_t p, bool dedup, uint64_t *value)
{
	*value = 0;
	if (p < P_BYTE || p == P_GUEST || p >= CONTENT_PAGES)
		return KVMMIG_CLASS_ZERO;
	if (p < P_WORD) {
		*value = byte_pattern(p);
		return KVMMIG_CLASS_PATTERN;
	}
	if (p < P_DATA) {
		*value = word_pattern(p);
		return KVMMIG_CLASS_PATTERN;
	}
	if (p >= P_COPY && p < P_ALMOST && dedup)
		return KVMMIG_CLASS_DUP;
	return KVMMIG_CLASS_DATA;
}

static int classify(int session, struct kvmmig_classify *a)
{
	return ioctl(session, KVMMIG_CLASSIFY, a) ? -errno : 0;
}

/* Host view of a guest frame, NULL when in no slot of ours. */
static uint8_t *gfn_page(struct env *e, uint64_t gfn)
{
	if (gfn < DATA_GFN || gfn >= DATA_GFN + DATA_PAGES)
		return NULL;
	return page_of(e, gfn - DATA_GFN);
}

/*
 * Check an answer against guest memory, whatever the order of @gfns:
 * classes and words from the bytes, signatures, DUP references to the
 * first earlier DATA page with equal bytes, data returned in order.
 */
static void verify(struct __test_metadata *_metadata, struct env *e,
		   const uint64_t *gfns, uint32_t n,
		   const struct kvmmig_classify *a,
		   const struct kvmmig_page_class *rec, const uint8_t *data)
{
	bool dedup = !(a->flags & KVMMIG_CLASSIFY_NO_DUP);
	uint64_t count[8] = {}, w;
	uint32_t nr_data = 0;

	ASSERT_EQ(n, a->nr_done);
	for (uint32_t i = 0; i < n; i++) {
		const struct kvmmig_page_class *r = &rec[i];
		uint8_t *pg = gfn_page(e, gfns[i]);
		int64_t canon = -1;

		ASSERT_LT(r->class, 5);
		count[r->class]++;
		if (!pg) {
			EXPECT_EQ(KVMMIG_CLASS_NO_SLOT, r->class);
			EXPECT_EQ(0, r->ref);
			EXPECT_EQ(0, r->value);
			continue;
		}
		if (page_word(pg, &w)) {
			EXPECT_EQ(w ? KVMMIG_CLASS_PATTERN : KVMMIG_CLASS_ZERO,
				  r->class) TH_LOG("page %u gfn 0x%llx", i,
						   (unsigned long long)gfns[i]);
			EXPECT_EQ(w, r->value);
			EXPECT_EQ(0, r->ref);
			continue;
		}
		for (uint32_t j = 0; dedup && j < i && canon < 0; j++)
			if (rec[j].class == KVMMIG_CLASS_DATA &&
			    !memcmp(gfn_page(e, gfns[j]), pg, PAGE))
				canon = j;
		EXPECT_EQ(page_xxh64(pg), r->value);
		if (canon >= 0) {
			EXPECT_EQ(KVMMIG_CLASS_DUP, r->class)
				TH_LOG("page %u gfn 0x%llx", i,
				       (unsigned long long)gfns[i]);
			EXPECT_EQ(canon, r->ref);
			EXPECT_EQ(rec[canon].value, r->value);
			continue;
		}
		EXPECT_EQ(KVMMIG_CLASS_DATA, r->class)
			TH_LOG("page %u gfn 0x%llx", i, (unsigned long long)gfns[i]);
		if (data) {
			EXPECT_EQ(nr_data, r->ref);
			EXPECT_EQ(0, memcmp(data + (uint64_t)nr_data * PAGE, pg, PAGE));
			nr_data++;
		} else {
			EXPECT_EQ(0, r->ref);
		}
	}
	EXPECT_EQ(nr_data, a->nr_data);
	EXPECT_EQ(0, memcmp(count, a->class_pages, sizeof(count)));
}

/* A range call over the content and some untouched pages. */
static void range_call(struct __test_metadata *_metadata, bool with_data,
		       __u32 flags)
{
	struct env e;
	uint32_t n = 2 * CONTENT_PAGES;
	struct kvmmig_page_class *rec = calloc(n, sizeof(*rec));
	uint8_t *data = with_data ? calloc(n, PAGE) : NULL;
	uint64_t *gfns = calloc(n, sizeof(*gfns));
	uint64_t before[NR_STATS], after[NR_STATS], v;
	struct kvmmig_classify a = {
		.size = sizeof(a), .flags = flags, .npages = n,
		.gfn = DATA_GFN,
		.classes_ptr = (__u64)(unsigned long)rec,
		.data_ptr = (__u64)(unsigned long)data,
	};
	bool dedup = !(flags & KVMMIG_CLASSIFY_NO_DUP);

	env_create(_metadata, &e);
	stats_read(&e, before);
	ASSERT_EQ(0, classify(e.session, &a));
	stats_read(&e, after);
	for (uint32_t i = 0; i < n; i++)
		gfns[i] = DATA_GFN + i;
	verify(_metadata, &e, gfns, n, &a, rec, data);

	/* and exactly what the layout says */
	for (uint32_t p = 0; p < n; p++) {
		EXPECT_EQ(layout_class(p, dedup, &v), rec[p].class) TH_LOG("page %u", p);
		if (rec[p].class == KVMMIG_CLASS_PATTERN ||
		    rec[p].class == KVMMIG_CLASS_ZERO) {
			EXPECT_EQ(v, rec[p].value);
		}
		if (rec[p].class == KVMMIG_CLASS_DUP)
			EXPECT_EQ(p - (P_COPY - P_DATA), rec[p].ref);
	}
	EXPECT_EQ(16 + 1 + (n - CONTENT_PAGES), a.class_pages[KVMMIG_CLASS_ZERO]);
	EXPECT_EQ(16, a.class_pages[KVMMIG_CLASS_PATTERN]);
	EXPECT_EQ(dedup ? 16 : 0, a.class_pages[KVMMIG_CLASS_DUP]);
	EXPECT_EQ(32 + (dedup ? 0 : 16) + 16 + 31, a.class_pages[KVMMIG_CLASS_DATA]);
	EXPECT_EQ(0, a.class_pages[KVMMIG_CLASS_NO_SLOT]);
	EXPECT_EQ(with_data ? a.class_pages[KVMMIG_CLASS_DATA] : 0, a.nr_data);
	/* the guest's own pages: word 0 is their list position */
	for (uint32_t p = P_GUEST + 1; p < CONTENT_PAGES; p++)
		EXPECT_EQ(p - P_GUEST, *(uint64_t *)page_of(&e, p));

	EXPECT_EQ(before[0] + n, after[0]);
	EXPECT_EQ(before[1] + a.class_pages[KVMMIG_CLASS_ZERO], after[1]);
	EXPECT_EQ(before[2] + a.class_pages[KVMMIG_CLASS_PATTERN], after[2]);
	EXPECT_EQ(before[3] + a.class_pages[KVMMIG_CLASS_DUP], after[3]);
	EXPECT_EQ(before[4] + a.class_pages[KVMMIG_CLASS_DATA], after[4]);

	env_destroy(&e);
	free(rec);
	free(data);
	free(gfns);
}

TEST(range_with_data)
{
	range_call(_metadata, true, 0);
}

TEST(range_without_data)
{
	range_call(_metadata, false, 0);
}

/* NO_DUP: copies are DATA, their bytes returned like any other's. */
TEST(range_no_dup)
{
	range_call(_metadata, true, KVMMIG_CLASSIFY_NO_DUP);
}

/*
 * A list in scrambled order, with frames twice, frames in no memslot and
 * the guest's pages: answers in list order, DUPs referring back to the
 * first equal DATA page of the list (a copy listed before its original
 * is the canonical one).
 */
TEST(gfn_list_order)
{
	uint32_t n = 300;
	struct kvmmig_page_class *rec = calloc(n, sizeof(*rec));
	uint8_t *data = calloc(n, PAGE);
	uint64_t *gfns = calloc(n, sizeof(*gfns));
	struct kvmmig_classify a = {
		.size = sizeof(a), .flags = KVMMIG_CLASSIFY_GFN_LIST,
		.npages = n,
		.gfns_ptr = (__u64)(unsigned long)gfns,
		.classes_ptr = (__u64)(unsigned long)rec,
		.data_ptr = (__u64)(unsigned long)data,
	};
	uint32_t x = 7, dups = 0, noslot = 0;
	struct env e;

	env_create(_metadata, &e);
	for (uint32_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		if (i % 37 == 5) {
			gfns[i] = NO_SLOT_GPA / PAGE + (x >> 8) % 1000;
			noslot++;
		} else if (i % 53 == 9) {
			gfns[i] = ~0ULL - i;	/* far beyond any slot */
			noslot++;
		} else {
			/* mostly content pages, some untouched, repeats */
			gfns[i] = DATA_GFN + (x >> 8) % (CONTENT_PAGES + 32);
		}
	}
	/* a copy before its original, and the original later */
	gfns[0] = DATA_GFN + P_COPY + 3;
	gfns[1] = DATA_GFN + P_DATA + 3;
	ASSERT_EQ(0, classify(e.session, &a));
	verify(_metadata, &e, gfns, n, &a, rec, data);
	EXPECT_EQ(KVMMIG_CLASS_DATA, rec[0].class);
	EXPECT_EQ(KVMMIG_CLASS_DUP, rec[1].class);
	EXPECT_EQ(0, rec[1].ref);
	EXPECT_EQ(0, rec[0].ref);
	for (uint32_t i = 0; i < n; i++)
		dups += rec[i].class == KVMMIG_CLASS_DUP;
	EXPECT_EQ(noslot, a.class_pages[KVMMIG_CLASS_NO_SLOT]);
	EXPECT_GE(dups, 20);	/* repeats of data pages, and the copies */
	env_destroy(&e);
	free(rec);
	free(data);
	free(gfns);
}

/* A range that runs off the end of the data slot. */
TEST(range_past_slot)
{
	uint32_t n = 16;
	struct kvmmig_page_class rec[16];
	struct kvmmig_classify a = {
		.size = sizeof(a), .npages = n,
		.gfn = DATA_GFN + (DATA_PAGES - 4),
		.classes_ptr = (__u64)(unsigned long)rec,
	};
	struct env e;

	env_create(_metadata, &e);
	fill_data(page_of(&e, DATA_PAGES - 1), 99);
	ASSERT_EQ(0, classify(e.session, &a));
	EXPECT_EQ(n, a.nr_done);
	for (uint32_t i = 0; i < n; i++) {
		EXPECT_EQ(i < 3 ? KVMMIG_CLASS_ZERO : i == 3 ? KVMMIG_CLASS_DATA :
			  KVMMIG_CLASS_NO_SLOT, rec[i].class);
	}
	EXPECT_EQ(12, a.class_pages[KVMMIG_CLASS_NO_SLOT]);
	/* wholly outside */
	a.gfn = NO_SLOT_GPA / PAGE;
	ASSERT_EQ(0, classify(e.session, &a));
	EXPECT_EQ(n, a.class_pages[KVMMIG_CLASS_NO_SLOT]);
	env_destroy(&e);
}

static long rss_pages(void)
{
	long size, rss;
	FILE *f = fopen("/proc/self/statm", "r");

	TEST_ASSERT(f && fscanf(f, "%ld %ld", &size, &rss) == 2, "statm");
	fclose(f);
	return rss;
}

/*
 * Memory the VMM never touched is not allocated by being read: 63.5 MiB
 * classified, RSS grows by less than 1 MiB (the per-thread RSS counters
 * are synced lazily, up to 64 events), and so do the system's shared
 * memory and its free huge pages.  It reads as ZERO (anonymous and shared
 * memory: a hole; THP: the huge zero page), or, in a hugetlbfs mapping,
 * whose holes kvmmig does not look up, as ABSENT.
 */
static void untouched(struct __test_metadata *_metadata,
		      enum vm_mem_backing_src_type src)
{
	uint32_t n = DATA_PAGES - CONTENT_PAGES;
	/* hugetlbfs: the huge page the content pages are in is mapped */
	uint32_t zero = src == VM_MEM_SRC_ANONYMOUS_HUGETLB ?
			512 - CONTENT_PAGES : n;
	long shmem0, huge0;
	struct kvmmig_page_class *rec = calloc(n, sizeof(*rec));
	uint8_t *data = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvmmig_classify a = {
		.size = sizeof(a), .npages = n,
		.gfn = DATA_GFN + CONTENT_PAGES,
		.classes_ptr = (__u64)(unsigned long)rec,
	};
	long rss0, rss1;
	struct env e;

	ASSERT_NE(MAP_FAILED, data);
	env_create_src(_metadata, &e, src);
	memset(rec, 0xff, n * sizeof(*rec));	/* fault the records in */
	for (int with_data = 0; with_data < 2; with_data++) {
		a.npages = n;
		a.data_ptr = with_data ? (__u64)(unsigned long)data : 0;
		rss0 = rss_pages();
		shmem0 = meminfo_field("Shmem");
		huge0 = meminfo_field("HugePages_Free");
		ASSERT_EQ(0, classify(e.session, &a));
		rss1 = rss_pages();
		TH_LOG("data %d: rss %ld -> %ld pages, shmem %ld -> %ld kB",
		       with_data, rss0, rss1, shmem0, meminfo_field("Shmem"));
		TH_LOG("free huge pages %ld -> %ld", huge0,
		       meminfo_field("HugePages_Free"));
		EXPECT_LT(rss1 - rss0, 256);
		EXPECT_LT(meminfo_field("Shmem") - shmem0, 1024);
		EXPECT_EQ(huge0, meminfo_field("HugePages_Free"));
		EXPECT_EQ(n, a.nr_done);
		EXPECT_EQ(zero, a.class_pages[KVMMIG_CLASS_ZERO]);
		EXPECT_EQ(n - zero, a.class_pages[KVMMIG_CLASS_ABSENT]);
		EXPECT_EQ(0, a.nr_data);
		for (uint32_t i = 0; i < n; i++) {
			__u32 want = i < zero ? KVMMIG_CLASS_ZERO :
						KVMMIG_CLASS_ABSENT;

			ASSERT_EQ(want, rec[i].class) TH_LOG("page %u", i);
		}
	}
	/* the guest reads zeros there, and can still write */
	sweep_run(&e.s, (uint32_t[]){ DATA_PAGES - 1 }, 1, true, 1);
	env_destroy(&e);
	munmap(data, n * PAGE);
	free(rec);
}

TEST(untouched_zero_no_rss)
{
	untouched(_metadata, VM_MEM_SRC_ANONYMOUS);
}

/* With THP: the huge zero page. */
TEST(untouched_zero_no_rss_thp)
{
	untouched(_metadata, VM_MEM_SRC_ANONYMOUS_THP);
}

/* memfd / shmem (vhost-user deployments): holes are not filled. */
TEST(untouched_zero_no_rss_shmem)
{
	untouched(_metadata, VM_MEM_SRC_SHMEM);
}

/* hugetlbfs (hugepage deployments): no huge page is taken to be read. */
TEST(untouched_absent_hugetlb)
{
	char old[32] = "0";

	TEST_ASSERT(!read_text("/proc/sys/vm/nr_hugepages", old, sizeof(old)),
		    "nr_hugepages");
	/* the 64 MiB slot and the selftest library's own memory */
	ASSERT_EQ(0, write_text("/proc/sys/vm/nr_hugepages", "48"));
	untouched(_metadata, VM_MEM_SRC_ANONYMOUS_HUGETLB);
	ASSERT_EQ(0, write_text("/proc/sys/vm/nr_hugepages", old));
}

/* A fresh unmapped address: a bad user pointer. */
static void *hole(void)
{
	void *p = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap");
	munmap(p, 1 << 20);
	return p;
}

/* @a fails with @err and changes nothing: records, data, counters. */
static void expect_refused(struct __test_metadata *_metadata, struct env *e,
			   struct kvmmig_classify *a, int err, const char *what)
{
	struct kvmmig_classify copy = *a;
	uint64_t before[NR_STATS], after[NR_STATS];
	struct kvmmig_page_class *rec = (void *)(unsigned long)a->classes_ptr;
	uint8_t *data = (void *)(unsigned long)a->data_ptr;

	stats_read(e, before);
	EXPECT_EQ(-err, classify(e->session, a)) TH_LOG("%s", what);
	stats_read(e, after);
	EXPECT_EQ(0, memcmp(before, after, sizeof(before))) TH_LOG("%s", what);
	if (err == EINVAL) {
		EXPECT_EQ(0, memcmp(&copy, a, sizeof(copy))) TH_LOG("%s", what);
	} else {
		EXPECT_EQ(0, a->nr_done) TH_LOG("%s", what);
		EXPECT_EQ(0, a->nr_data) TH_LOG("%s", what);
	}
	/* the caller's buffers hold 0xa5 bytes before */
	if (err == EINVAL && rec)
		EXPECT_EQ(0xa5a5a5a5, rec[0].class) TH_LOG("%s", what);
	if (err == EINVAL && data)
		EXPECT_EQ(0xa5, data[0]) TH_LOG("%s", what);
}

TEST(bad_input)
{
	uint32_t n = 64;
	struct kvmmig_page_class *rec = malloc(n * sizeof(*rec));
	uint8_t *data = malloc(n * PAGE);
	uint64_t *gfns = malloc(n * sizeof(*gfns));
	struct kvmmig_classify good = {
		/* the first page is DATA: a bad data buffer fails at once */
		.size = sizeof(good), .npages = n,
		.gfn = DATA_GFN + P_DATA,
		.classes_ptr = (__u64)(unsigned long)rec,
		.data_ptr = (__u64)(unsigned long)data,
	}, a;
	struct env e;

	env_create(_metadata, &e);
	for (uint32_t i = 0; i < n; i++)
		gfns[i] = DATA_GFN + P_DATA + i;
	memset(rec, 0xa5, n * sizeof(*rec));
	memset(data, 0xa5, n * PAGE);

#define REFUSED(err, field_change) do {			\
	a = good;					\
	field_change;					\
	expect_refused(_metadata, &e, &a, err, #field_change); \
} while (0)

	REFUSED(EINVAL, a.size = offsetof(struct kvmmig_classify, reserved) - 8);
	REFUSED(EINVAL, a.size = 0);
	REFUSED(EINVAL, a.flags = 1U << 2);
	REFUSED(EINVAL, a.flags = 1U << 31);
	REFUSED(EINVAL, a.reserved[0] = 1);
	REFUSED(EINVAL, a.reserved[2] = 1ULL << 63);
	REFUSED(EINVAL, a.npages = 0);
	REFUSED(EINVAL, a.npages = KVMMIG_CLASSIFY_MAX_PAGES + 1);
	REFUSED(EINVAL, a.npages = ~0U);
	/* the range ends by KVMMIG_GFN_LIMIT */
	REFUSED(EINVAL, a.gfn = KVMMIG_GFN_LIMIT - n + 1);
	REFUSED(EINVAL, a.gfn = ~0ULL);
	REFUSED(EINVAL, a.gfn = KVMMIG_GFN_LIMIT - 8; a.npages = 9);
	REFUSED(EINVAL, a.classes_ptr = 0);
	REFUSED(EINVAL, a.gfns_ptr = (__u64)(unsigned long)gfns);
	REFUSED(EINVAL, a.flags = KVMMIG_CLASSIFY_GFN_LIST);
	REFUSED(EINVAL, a.flags = KVMMIG_CLASSIFY_GFN_LIST;
		a.gfns_ptr = (__u64)(unsigned long)gfns);	/* gfn set */
	REFUSED(EFAULT, a.classes_ptr = (__u64)(unsigned long)hole());
	REFUSED(EFAULT, a.classes_ptr = 0xffff800000000000ULL);
	REFUSED(EFAULT, a.data_ptr = (__u64)(unsigned long)hole());
	REFUSED(EFAULT, a.data_ptr = 0xffffffffff600000ULL);
	REFUSED(EFAULT, a.flags = KVMMIG_CLASSIFY_GFN_LIST; a.gfn = 0;
		a.gfns_ptr = (__u64)(unsigned long)hole());
	/* nothing was written by any of them */
	for (uint32_t i = 0; i < n * sizeof(*rec); i++)
		ASSERT_EQ(0xa5, ((uint8_t *)rec)[i]);
	for (uint64_t i = 0; i < n * PAGE; i++)
		ASSERT_EQ(0xa5, data[i]);
	/* the argument itself unreadable */
	EXPECT_EQ(-1, ioctl(e.session, KVMMIG_CLASSIFY, hole()));
	EXPECT_EQ(EFAULT, errno);

	/* still works */
	a = good;
	ASSERT_EQ(0, classify(e.session, &a));
	EXPECT_EQ(n, a.nr_done);
	env_destroy(&e);
	free(rec);
	free(data);
	free(gfns);
}

/*
 * A data buffer that ends early: the call stops at the first DATA page
 * without room, with the pages before it done and reported.
 */
TEST(data_buffer_short)
{
	uint32_t n = CONTENT_PAGES, room = 5, first_data = P_DATA;
	struct kvmmig_page_class *rec = malloc(n * sizeof(*rec));
	uint8_t *buf = mmap(NULL, (room + 1) * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvmmig_classify a = {
		.size = sizeof(a), .npages = n, .gfn = DATA_GFN,
		.classes_ptr = (__u64)(unsigned long)rec,
		.data_ptr = (__u64)(unsigned long)buf,
	};
	uint64_t before[NR_STATS], after[NR_STATS];
	struct env e;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf + room * PAGE, PAGE, PROT_NONE));
	env_create(_metadata, &e);
	memset(rec, 0xa5, n * sizeof(*rec));
	stats_read(&e, before);
	EXPECT_EQ(-EFAULT, classify(e.session, &a));
	stats_read(&e, after);
	/* pages before the sixth DATA page are done */
	EXPECT_EQ(first_data + room, a.nr_done);
	EXPECT_EQ(n, a.npages);
	EXPECT_EQ(room, a.nr_data);
	EXPECT_EQ(room, a.class_pages[KVMMIG_CLASS_DATA]);
	EXPECT_EQ(16, a.class_pages[KVMMIG_CLASS_PATTERN]);
	EXPECT_EQ(16, a.class_pages[KVMMIG_CLASS_ZERO]);
	for (uint32_t i = 0; i < room; i++) {
		EXPECT_EQ(KVMMIG_CLASS_DATA, rec[first_data + i].class);
		EXPECT_EQ(0, memcmp(buf + i * PAGE, page_of(&e, first_data + i), PAGE));
	}
	EXPECT_EQ(0xa5a5a5a5, rec[first_data + room].class);
	EXPECT_EQ(before[0] + a.nr_done, after[0]);
	EXPECT_EQ(before[4] + room, after[4]);
	/* the caller resumes at nr_done, with room for the data now */
	ASSERT_LT(a.nr_done, n);
	if (a.nr_done < n) {
		uint32_t done = a.nr_done;
		uint8_t *more = malloc((n - done) * PAGE);

		a.gfn += done;
		a.npages = n - done;
		a.classes_ptr = (__u64)(unsigned long)(rec + done);
		a.data_ptr = (__u64)(unsigned long)more;
		ASSERT_EQ(0, classify(e.session, &a));
		EXPECT_EQ(n - done, a.nr_done);
		EXPECT_EQ(KVMMIG_CLASS_DATA, rec[first_data + room].class);
		EXPECT_EQ(0, memcmp(more, page_of(&e, first_data + room), PAGE));
		free(more);
	}
	env_destroy(&e);
	munmap(buf, (room + 1) * PAGE);
	free(rec);
}

/* The data returned is what the pages held when classified. */
TEST(data_is_a_snapshot)
{
	uint32_t n = CONTENT_PAGES;
	struct kvmmig_page_class *rec = calloc(n, sizeof(*rec));
	uint8_t *data = calloc(n, PAGE), *keep = malloc(PAGE);
	struct kvmmig_classify a = {
		.size = sizeof(a), .npages = n, .gfn = DATA_GFN,
		.classes_ptr = (__u64)(unsigned long)rec,
		.data_ptr = (__u64)(unsigned long)data,
	};
	struct env e;

	env_create(_metadata, &e);
	memcpy(keep, page_of(&e, P_DATA), PAGE);
	ASSERT_EQ(0, classify(e.session, &a));
	/* the guest writes the page afterwards; the copy stays */
	sweep_run(&e.s, (uint32_t[]){ P_DATA }, 1, true, 1);
	EXPECT_NE(0, memcmp(keep, page_of(&e, P_DATA), PAGE));
	EXPECT_EQ(KVMMIG_CLASS_DATA, rec[P_DATA].class);
	EXPECT_EQ(0, memcmp(keep, data + rec[P_DATA].ref * PAGE, PAGE));
	EXPECT_EQ(page_xxh64(keep), rec[P_DATA].value);
	/* and a new call sees the new contents */
	a.npages = n;
	ASSERT_EQ(0, classify(e.session, &a));
	EXPECT_EQ(page_xxh64(page_of(&e, P_DATA)), rec[P_DATA].value);
	/* its copy is no DUP any more: different bytes now */
	EXPECT_EQ(KVMMIG_CLASS_DATA, rec[P_COPY + (P_DATA - P_DATA)].class);
	env_destroy(&e);
	free(rec);
	free(data);
	free(keep);
}

/*
 * A guest that keeps writing: pages 2q and 2q + 1 start equal and get the
 * same writes, one after the other, so at any moment some pairs are equal
 * and some are not.  Never exits.
 */
#define WRITER_PAGES	64

static void writer_guest(void)
{
	uint64_t *data = (uint64_t *)SWEEP_DATA_GPA;

	for (uint64_t k = 1;; k++)
		for (uint64_t p = 0; p < WRITER_PAGES; p++)
			WRITE_ONCE(data[p * 512 + (k * 7 + p / 2) % 512], k + p / 2);
}

static void *vcpu_thread(void *arg)
{
	vcpu_run(arg);	/* returns only if the guest fails */
	return NULL;
}

/*
 * Classify while the guest writes the pages: whatever a page held when
 * read, the signature of a DATA page is that of the bytes returned, and a
 * DUP has the signature of the bytes returned for its canonical page
 * (equal bytes, compared against that copy, not the live page).
 */
TEST(guest_writes_during_call)
{
	struct kvmmig_page_class rec[WRITER_PAGES];
	uint8_t *data = malloc(WRITER_PAGES * PAGE);
	uint64_t dups = 0, datas = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;
	uint8_t *mem;
	int session;

	vm = __vm_create_with_one_vcpu(&vcpu, WRITER_PAGES, writer_guest);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, SWEEP_DATA_GPA,
				    SWEEP_DATA_SLOT, WRITER_PAGES, 0);
	virt_map(vm, SWEEP_DATA_GPA, SWEEP_DATA_GPA, WRITER_PAGES);
	mem = addr_gpa2hva(vm, SWEEP_DATA_GPA);
	for (uint64_t p = 0; p < WRITER_PAGES; p++)
		fill_data(mem + p * PAGE, p / 2);
	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, vcpu_thread, vcpu));

	for (int round = 0; round < 200; round++) {
		struct kvmmig_classify a = {
			.size = sizeof(a), .npages = WRITER_PAGES,
			.gfn = DATA_GFN,
			.classes_ptr = (__u64)(unsigned long)rec,
			.data_ptr = (__u64)(unsigned long)data,
		};

		ASSERT_EQ(0, classify(session, &a));
		for (uint32_t i = 0; i < WRITER_PAGES; i++) {
			const struct kvmmig_page_class *r = &rec[i];

			if (r->class == KVMMIG_CLASS_DATA) {
				ASSERT_LT(r->ref, a.nr_data);
				ASSERT_EQ(page_xxh64(data + r->ref * PAGE), r->value);
				datas++;
			} else {
				ASSERT_EQ(KVMMIG_CLASS_DUP, r->class);
				ASSERT_LT(r->ref, i);
				ASSERT_EQ(KVMMIG_CLASS_DATA, rec[r->ref].class);
				ASSERT_EQ(rec[r->ref].value, r->value);
				dups++;
			}
		}
	}
	TH_LOG("%llu DATA, %llu DUP", (unsigned long long)datas,
	       (unsigned long long)dups);
	EXPECT_GT(dups, 0);
	/* the guest is still running: this process exits with it in KVM_RUN */
	close(session);
	free(data);
}

/*
 * A VMM killed while a long call runs: the call stops (fatal signal), the
 * process goes, and the kernel log stays clean (judged by the runner).
 */
TEST(vmm_killed_during_call)
{
	for (int delay_ms = 0; delay_ms <= 40; delay_ms += 20) {
		int fds[2], status;
		pid_t pid;
		char c;

		ASSERT_EQ(0, pipe(fds));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			uint32_t n = DATA_PAGES;
			struct kvmmig_page_class *rec = calloc(n, sizeof(*rec));
			uint8_t *data = malloc(n * PAGE);
			struct kvmmig_classify a;
			struct env e;

			env_create(_metadata, &e);
			/* every page DATA: the longest call there is */
			for (uint64_t p = 0; p < n; p++)
				((uint64_t *)page_of(&e, p))[0] = p + 1;
			TEST_ASSERT(write(fds[1], "x", 1) == 1, "pipe");
			for (;;) {
				a = (struct kvmmig_classify){
					.size = sizeof(a), .npages = n,
					.gfn = DATA_GFN,
					.classes_ptr = (__u64)(unsigned long)rec,
					.data_ptr = (__u64)(unsigned long)data,
				};
				classify(e.session, &a);
			}
		}
		close(fds[1]);
		ASSERT_EQ(1, read(fds[0], &c, 1));
		close(fds[0]);
		usleep(delay_ms * 1000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status));
	}
}

TEST_HARNESS_MAIN
