// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: working set (KVMMIG_GET_WORKING_SET) and deferred
 * fill (KVMMIG_FILL) on a real VM.
 *
 * Working set: the guest keeps touching a known set of pages of its data
 * slot between temperature passes while the rest stays idle; the set at
 * the hot level holds the touched pages and few others (ratios, no
 * timing); with KVMMIG_WS_FAULTED it also holds the frames of the fault
 * records; -E2BIG writes nothing.
 *
 * Deferred fill: a slot the VMM never touched reads as zero, so ZERO
 * pages there are recorded unflagged; a page the VMM wrote is flagged;
 * PATTERN and DUP are flagged unless the backing already holds the
 * pattern; GET returns what SET recorded, DONE and CLEAR drop records;
 * bad input fails and records nothing; a VMM that dies with records
 * leaves no trace.
 */
#include <signal.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "precopy_util.h"
#include "sweep.h"

#define DATA_PAGES	4096
#define HOT_PAGES	256
#define PASSES_TO_HOT	4
/* a slot after the data slot that nothing touches unless a test does */
#define FRESH_SLOT	2
#define FRESH_GPA	(SWEEP_DATA_GPA + DATA_PAGES * PAGE_4K)
#define FRESH_PAGES	512
#define DATA_GFN	(SWEEP_DATA_GPA / PAGE_4K)
#define FRESH_GFN	(FRESH_GPA / PAGE_4K)
#define PAT		0x5a5aa5a5deadbeefULL

struct setup {
	struct sweep_vm s;
	int session;
};

/* The fresh slot backed by @src. */
static void setup_src(struct __test_metadata *_metadata, struct setup *t,
		      enum vm_mem_backing_src_type src)
{
	sweep_vm_create(&t->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	vm_userspace_mem_region_add(t->s.vm, src, FRESH_GPA, FRESH_SLOT,
				    FRESH_PAGES, 0);
	t->session = kvmmig_attach_vm(t->s.vm, NULL);
	ASSERT_GE(t->session, 0);
}

static void setup(struct __test_metadata *_metadata, struct setup *t)
{
	setup_src(_metadata, t, VM_MEM_SRC_ANONYMOUS);
}

static void teardown(struct setup *t)
{
	close(t->session);
	kvm_vm_free(t->s.vm);
}

static int scan_now(int session)
{
	struct kvmmig_scan a = { .size = sizeof(a), .flags = KVMMIG_SCAN_NOW };

	return ioctl(session, KVMMIG_SET_SCAN, &a) ? -errno : 0;
}

/* KVMMIG_GET_WORKING_SET; @a is in and out. */
static int working_set(int session, struct kvmmig_working_set *a)
{
	a->size = sizeof(*a);
	return ioctl(session, KVMMIG_GET_WORKING_SET, a) ? -errno : 0;
}

/*
 * @nr runs expanded into their frames (@np of them), malloc'ed; every run
 * holds a frame and lies apart from (above, not adjacent to) the one
 * before.
 */
static __u64 *expand_runs(struct __test_metadata *_metadata,
			  const struct kvmmig_gfn_range *r, __u64 nr, __u64 np)
{
	__u64 *v = calloc(np + 1, sizeof(*v)), k = 0;

	for (__u64 i = 0; v && i < nr; i++) {
		EXPECT_GE(r[i].npages, 1);
		if (i)
			EXPECT_GT(r[i].gfn, r[i - 1].gfn + r[i - 1].npages);
		for (__u64 j = 0; j < r[i].npages && k < np; j++)
			v[k++] = r[i].gfn + j;
	}
	EXPECT_EQ(np, k);
	return v;
}

/*
 * The whole set at @min_level with @flags, as frames expanded from its
 * runs, malloc'ed (sized by a first call with no room); *@out gets the
 * final argument.
 */
static __u64 *get_set(struct __test_metadata *_metadata, int session,
		      __u32 min_level, __u32 flags,
		      struct kvmmig_working_set *out)
{
	struct kvmmig_working_set a = { .min_level = min_level, .flags = flags };
	struct kvmmig_gfn_range *r;
	__u64 *v;
	int ret;

	ret = working_set(session, &a);
	if (!ret) {
		EXPECT_EQ(0, a.nr_pages);
		EXPECT_EQ(0, a.nr_runs);
		*out = a;
		return calloc(1, sizeof(*v));
	}
	EXPECT_EQ(-E2BIG, ret);
	r = calloc(a.nr_runs + 1, sizeof(*r));
	a.max_runs = a.nr_runs;
	a.runs_ptr = (__u64)(unsigned long)r;
	EXPECT_EQ(0, working_set(session, &a));
	v = expand_runs(_metadata, r, a.nr_runs, a.nr_pages);
	EXPECT_EQ(a.nr_pages, a.nr_hot + a.nr_faulted);
	free(r);
	*out = a;
	return v;
}

/*
 * The set again, by runs: -E2BIG with room for one run less than it has
 * (nothing written), then expanded equal to @v (@n frames).  Returns the
 * number of runs.
 */
static __u64 check_runs(struct __test_metadata *_metadata, int session,
			__u32 min_level, __u32 flags, const __u64 *v, __u64 n)
{
	struct kvmmig_working_set a = { .min_level = min_level,
					.flags = flags };
	struct kvmmig_gfn_range *r;
	__u64 k = 0;

	if (!n) {
		EXPECT_EQ(0, working_set(session, &a));
		EXPECT_EQ(0, a.nr_runs);
		return 0;
	}
	EXPECT_EQ(-E2BIG, working_set(session, &a));
	EXPECT_EQ(n, a.nr_pages);
	EXPECT_GE(a.nr_runs, 1);
	r = calloc(a.nr_runs + 1, sizeof(*r));
	a.max_runs = a.nr_runs - 1;
	a.runs_ptr = (__u64)(unsigned long)r;
	EXPECT_EQ(-E2BIG, working_set(session, &a));
	EXPECT_EQ(0, r[0].npages);		/* nothing written */
	a.max_runs = a.nr_runs;
	EXPECT_EQ(0, working_set(session, &a));
	EXPECT_EQ(n, a.nr_pages);
	for (__u64 i = 0; i < a.nr_runs; i++) {
		EXPECT_GE(r[i].npages, 1);
		if (i)
			EXPECT_GT(r[i].gfn, r[i - 1].gfn + r[i - 1].npages);
		for (__u64 j = 0; j < r[i].npages && k < n; j++, k++)
			EXPECT_EQ(v[k], r[i].gfn + j);
	}
	EXPECT_EQ(n, k);
	EXPECT_EQ(0, r[a.nr_runs].npages);	/* nothing past the runs */
	free(r);
	return a.nr_runs;
}

static bool in_set(const __u64 *v, __u64 n, __u64 gfn)
{
	__u64 lo = 0, hi = n;

	while (lo < hi) {
		__u64 mid = (lo + hi) / 2;

		if (v[mid] == gfn)
			return true;
		if (v[mid] < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

TEST(capabilities)
{
	int dev = kvmmig_open();

	EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_WORKING_SET));
	EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_FILL));
	/* 19, once KVMMIG_CAP_WS_RUNS: runs are the only form now */
	EXPECT_EQ(0, ioctl(dev, KVMMIG_CHECK_EXTENSION, 19));
	close(dev);
}

/* The hot set of the guest is the working set; idle pages mostly are not. */
TEST(working_set_hot)
{
	struct setup *t = calloc(1, sizeof(*t));
	uint32_t hot[HOT_PAGES];
	uint8_t *is_hot = calloc(DATA_PAGES, 1);
	struct kvmmig_working_set a, b;
	__u64 *v, *w, in_hot = 0, in_idle = 0, in_fresh = 0;
	int i;

	setup(_metadata, t);
	sweep_pick(hot, HOT_PAGES, DATA_PAGES, 5, NULL);
	for (i = 0; i < HOT_PAGES; i++)
		is_hot[hot[i]] = 1;
	/* every data page once (so idle pages are not simply unmapped) */
	{
		uint32_t *all = calloc(DATA_PAGES, sizeof(*all));

		for (i = 0; i < DATA_PAGES; i++)
			all[i] = i;
		sweep_run(&t->s, all, DATA_PAGES, true, 1);
		free(all);
	}
	ASSERT_EQ(0, scan_now(t->session));
	for (i = 0; i < PASSES_TO_HOT + 1; i++) {
		sweep_run(&t->s, hot, HOT_PAGES, false, 1);
		ASSERT_EQ(0, scan_now(t->session));
	}

	v = get_set(_metadata, t->session, KVMMIG_TEMP_NR_LEVELS - 1, 0, &a);
	EXPECT_EQ(a.nr_pages, a.nr_hot);
	EXPECT_EQ(0, a.nr_faulted);
	for (__u64 k = 0; k < a.nr_pages; k++) {
		if (v[k] >= DATA_GFN && v[k] < DATA_GFN + DATA_PAGES) {
			if (is_hot[v[k] - DATA_GFN])
				in_hot++;
			else
				in_idle++;
		} else if (v[k] >= FRESH_GFN && v[k] < FRESH_GFN + FRESH_PAGES) {
			in_fresh++;
		}
	}
	TH_LOG("set %llu frames: %llu of %d hot data pages, %llu of %d idle, %llu fresh",
	       a.nr_pages, in_hot, HOT_PAGES, in_idle, DATA_PAGES - HOT_PAGES,
	       in_fresh);
	EXPECT_GE(in_hot * 100, HOT_PAGES * 90ULL);
	EXPECT_LE(in_idle * 100, (DATA_PAGES - HOT_PAGES) * 5ULL);
	EXPECT_EQ(0, in_fresh);
	EXPECT_EQ(1, session_stat(t->session, "ws_exports"));
	EXPECT_EQ(a.nr_pages, session_stat(t->session, "ws_pages"));
	TH_LOG("as runs: %llu",
	       check_runs(_metadata, t->session, KVMMIG_TEMP_NR_LEVELS - 1, 0,
			  v, a.nr_pages));

	/* a lower threshold gives a superset */
	w = get_set(_metadata, t->session, 1, 0, &b);
	EXPECT_GE(b.nr_pages, a.nr_pages);
	for (__u64 k = 0; k < a.nr_pages; k++)
		EXPECT_TRUE(in_set(w, b.nr_pages, v[k]));
	free(w);

	/* temperature left out and no faults asked for: empty */
	memset(&b, 0, sizeof(b));
	b.min_level = KVMMIG_TEMP_NR_LEVELS;
	EXPECT_EQ(0, working_set(t->session, &b));
	EXPECT_EQ(0, b.nr_pages);

	free(v);
	free(is_hot);
	teardown(t);
	free(t);
}

/* -E2BIG sets nr_runs and nr_pages and writes nothing; an exact fit works. */
TEST(working_set_e2big)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_working_set a = { .min_level = 1 };
	struct kvmmig_gfn_range *r;
	uint32_t hot[64];
	__u64 *v, n, np;
	int i;

	setup(_metadata, t);
	sweep_pick(hot, 64, DATA_PAGES, 9, NULL);
	for (i = 0; i < 3; i++) {
		sweep_run(&t->s, hot, 64, true, 1);
		ASSERT_EQ(0, scan_now(t->session));
	}
	ASSERT_EQ(-E2BIG, working_set(t->session, &a));
	n = a.nr_runs;
	np = a.nr_pages;
	ASSERT_GE(np, 64);
	ASSERT_GE(n, 1);
	r = malloc((n + 1) * sizeof(*r));
	memset(r, 0xa5, (n + 1) * sizeof(*r));
	a.max_runs = n - 1;
	a.nr_runs = 0;
	a.nr_pages = 0;
	a.runs_ptr = (__u64)(unsigned long)r;
	EXPECT_EQ(-E2BIG, working_set(t->session, &a));
	EXPECT_EQ(n, a.nr_runs);
	EXPECT_EQ(np, a.nr_pages);
	for (__u64 k = 0; k <= n; k++)
		EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[k].gfn);
	EXPECT_EQ(0, session_stat(t->session, "ws_exports"));
	a.max_runs = n;
	EXPECT_EQ(0, working_set(t->session, &a));
	EXPECT_EQ(n, a.nr_runs);
	EXPECT_EQ(np, a.nr_pages);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[n].gfn);	/* not past the room */
	v = expand_runs(_metadata, r, n, np);
	for (i = 0; i < 64; i++)
		EXPECT_TRUE(in_set(v, np, DATA_GFN + hot[i]));

	/* bad input */
	a.min_level = 0;
	EXPECT_EQ(-EINVAL, working_set(t->session, &a));
	a.min_level = KVMMIG_TEMP_NR_LEVELS + 1;
	EXPECT_EQ(-EINVAL, working_set(t->session, &a));
	a.min_level = 1;
	a.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, working_set(t->session, &a));
	a.flags = 0;
	a.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, working_set(t->session, &a));
	a.reserved[1] = 0;
	a.max_runs = KVMMIG_WS_MAX_RUNS + 1;
	EXPECT_EQ(-EINVAL, working_set(t->session, &a));
	a.max_runs = n;
	a.runs_ptr = 0;		/* room without a buffer */
	EXPECT_EQ(-EINVAL, working_set(t->session, &a));
	a.runs_ptr = 8;		/* unmapped */
	EXPECT_EQ(-EFAULT, working_set(t->session, &a));
	EXPECT_EQ(1, session_stat(t->session, "ws_exports"));
	free(r);
	free(v);
	teardown(t);
	free(t);
}

/* kvm_amd's npt parameter: Y (or 1) when KVM uses nested paging. */
static bool npt_enabled(void)
{
	char buf[16];

	if (read_text("/sys/module/kvm_amd/parameters/npt", buf, sizeof(buf)))
		return false;
	return buf[0] == 'Y' || buf[0] == '1';
}

static int faults(int session, __u32 flags, struct kvmmig_fault_record *rec,
		  __u32 *nr)
{
	struct kvmmig_faults a = { .size = sizeof(a), .flags = flags,
				   .records_ptr = (__u64)(unsigned long)rec };
	int ret;

	if (nr)
		a.nr_records = *nr;
	ret = ioctl(session, KVMMIG_FAULTS, &a) ? -errno : 0;
	if (nr)
		*nr = a.nr_records;
	return ret;
}

/*
 * With KVMMIG_WS_FAULTED the set holds the frames of the fault records
 * that lie in the memslots: exactly those, when temperature is left out.
 * Fresh pages the guest touches for the first time fault (NPT): they are
 * in it.
 */
TEST(working_set_faulted)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_fault_record rec[64];
	struct kvmmig_working_set a;
	struct kvmmig_memslot *slots;
	uint32_t fresh[8], nslots;
	__u64 want[64], *v;
	__u32 nr = 64, nwant = 0;
	bool tdp = false;
	int i;

	setup(_metadata, t);
	/* warm up: code, stack and page tables are mapped */
	sweep_run(&t->s, NULL, 0, false, 1);
	ASSERT_EQ(0, faults(t->session, KVMMIG_FAULTS_ENABLE, NULL, NULL));
	/* 8 data pages never touched: each faults once */
	for (i = 0; i < 8; i++)
		fresh[i] = 100 + 37 * i;
	sweep_run(&t->s, fresh, 8, true, 1);
	ASSERT_EQ(0, faults(t->session, KVMMIG_FAULTS_READ, rec, &nr));
	nslots = kvmmig_get_memslots(t->session, &slots, NULL);
	for (__u32 k = 0; k < nr; k++) {
		__u64 g = rec[k].gfn;
		bool in = false;

		if (!(rec[k].flags & KVMMIG_FAULT_GFN))
			continue;
		tdp |= rec[k].flags & KVMMIG_FAULT_TDP;
		for (__u32 s = 0; s < nslots; s++)
			in |= !slots[s].as_id &&
			      !(slots[s].flags & KVMMIG_MEMSLOT_F_INTERNAL) &&
			      g >= slots[s].base_gfn &&
			      g < slots[s].base_gfn + slots[s].npages;
		if (in)
			want[nwant++] = g;
	}
	free(slots);
	TH_LOG("%u fault records, %u frames in memslots, tdp %d", nr, nwant, tdp);

	v = get_set(_metadata, t->session, KVMMIG_TEMP_NR_LEVELS,
		    KVMMIG_WS_FAULTED, &a);
	EXPECT_EQ(0, a.nr_hot);
	EXPECT_EQ(a.nr_pages, a.nr_faulted);
	EXPECT_LE(a.nr_pages, nwant);
	for (__u32 k = 0; k < nwant; k++)
		EXPECT_TRUE(in_set(v, a.nr_pages, want[k]));
	/* with nested paging each first touch is an NPT fault, with its GPA */
	if (npt_enabled())
		EXPECT_TRUE(tdp);
	if (tdp) {
		for (i = 0; i < 8; i++)
			EXPECT_TRUE(in_set(v, a.nr_pages, DATA_GFN + fresh[i]));
	}
	free(v);

	/* temperature and faults: a superset of both */
	ASSERT_EQ(0, scan_now(t->session));
	v = get_set(_metadata, t->session, 1, KVMMIG_WS_FAULTED, &a);
	for (__u32 k = 0; k < nwant; k++)
		EXPECT_TRUE(in_set(v, a.nr_pages, want[k]));
	free(v);
	teardown(t);
	free(t);
}

/* KVMMIG_FILL with @flags over @nr entries; *@out gets the result. */
static int fill(int session, __u32 flags, struct kvmmig_fill_page *p,
		__u32 nr, struct kvmmig_fill *out)
{
	struct kvmmig_fill a = { .size = sizeof(a), .flags = flags,
				 .nr_pages = nr,
				 .pages_ptr = (__u64)(unsigned long)p };
	int ret = ioctl(session, KVMMIG_FILL, &a) ? -errno : 0;

	if (out)
		*out = a;
	return ret;
}

static struct kvmmig_fill_page fpage(__u64 gfn, __u32 class, __u64 value)
{
	return (struct kvmmig_fill_page){ .gfn = gfn, .class = class,
					  .value = value };
}

static void *fresh_hva(struct setup *t, __u64 page)
{
	return addr_gpa2hva(t->s.vm, FRESH_GPA + page * PAGE_4K);
}

/* Classes SET on fresh and written pages; what GET, DONE, CLEAR see. */
TEST(fill_set_get_done)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_fill_page p[16], q[16];
	struct kvmmig_fill out;
	uint64_t *w;
	int i;

	setup(_metadata, t);
	/* page 3: the VMM wrote it; 4: wrote zeros; 5: read it; 6: pattern */
	memset(fresh_hva(t, 3), 0x11, PAGE_4K);
	memset(fresh_hva(t, 4), 0, PAGE_4K);
	EXPECT_EQ(0, READ_ONCE(*(uint64_t *)fresh_hva(t, 5)));
	w = fresh_hva(t, 6);
	for (i = 0; i < PAGE_4K / 8; i++)
		w[i] = PAT;

	p[0] = fpage(FRESH_GFN + 0, KVMMIG_CLASS_ZERO, 0);	/* untouched */
	p[1] = fpage(FRESH_GFN + 1, KVMMIG_CLASS_ZERO, 0);	/* untouched */
	p[2] = fpage(FRESH_GFN + 3, KVMMIG_CLASS_ZERO, 0);	/* non-zero */
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_ZERO, 0);	/* zero, present */
	p[4] = fpage(FRESH_GFN + 5, KVMMIG_CLASS_ZERO, 0);	/* zero page */
	p[5] = fpage(FRESH_GFN + 6, KVMMIG_CLASS_PATTERN, PAT);	/* holds it */
	p[6] = fpage(FRESH_GFN + 7, KVMMIG_CLASS_PATTERN, PAT);	/* zero */
	p[7] = fpage(FRESH_GFN + 8, KVMMIG_CLASS_DUP, FRESH_GFN + 3);
	p[8] = fpage(FRESH_GFN + 9, KVMMIG_CLASS_PATTERN, 0);	/* zero word */
	p[9] = fpage(DATA_GFN + 10, KVMMIG_CLASS_DUP, DATA_GFN + 11);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 10, &out));
	/* unflagged: 0, 1, 4, 5, 6 (pattern held), 9 (pattern 0 on untouched) */
	EXPECT_EQ(6, out.nr_unflagged);
	EXPECT_EQ(4, out.nr_flagged);
	EXPECT_EQ(4, session_stat(t->session, "fill_flagged"));
	EXPECT_EQ(6, session_stat(t->session, "fill_unflagged"));

	/* GET: the records, and DATA where there is none */
	memcpy(q, p, sizeof(p));
	q[10] = fpage(FRESH_GFN + 2, 0, 0);
	q[11] = fpage(1ULL << 40, 0, 0);	/* outside any memslot: none */
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, q, 12, &out));
	EXPECT_EQ(4, out.nr_flagged);
	EXPECT_EQ(0, out.nr_unflagged);
	for (i = 0; i < 10; i++) {
		bool flagged = i == 2 || i == 6 || i == 7 || i == 9;

		EXPECT_EQ(p[i].gfn, q[i].gfn);
		EXPECT_EQ(p[i].class, q[i].class);
		EXPECT_EQ(p[i].value, q[i].value);
		EXPECT_EQ(KVMMIG_FILL_KNOWN |
			  (flagged ? KVMMIG_FILL_NEEDS_UPDATE : 0), q[i].flags);
	}
	for (i = 10; i < 12; i++) {
		EXPECT_EQ(KVMMIG_CLASS_DATA, q[i].class);
		EXPECT_EQ(0, q[i].flags);
		EXPECT_EQ(0, q[i].value);
	}

	/* SET again replaces: page 3 becomes a pattern */
	p[0] = fpage(FRESH_GFN + 3, KVMMIG_CLASS_PATTERN, PAT);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 1, &out));
	EXPECT_EQ(4, out.nr_flagged);
	EXPECT_EQ(0, out.nr_unflagged);
	q[0] = fpage(FRESH_GFN + 3, 0, 0);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, q, 1, NULL));
	EXPECT_EQ(KVMMIG_CLASS_PATTERN, q[0].class);
	EXPECT_EQ(PAT, q[0].value);

	/* DONE: two flagged, one unflagged, one without a record */
	q[0] = fpage(FRESH_GFN + 3, 0, 0);
	q[1] = fpage(FRESH_GFN + 7, 0, 0);
	q[2] = fpage(FRESH_GFN + 0, 0, 0);
	q[3] = fpage(FRESH_GFN + 100, 0, 0);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_DONE, q, 4, &out));
	EXPECT_EQ(2, out.nr_flagged);
	EXPECT_EQ(3, session_stat(t->session, "fill_done"));
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, q, 4, NULL));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, q[i].flags);

	/* CLEAR: nothing left */
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_CLEAR, NULL, 0, &out));
	EXPECT_EQ(0, out.nr_flagged);
	memcpy(q, p, sizeof(p));
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, q, 10, NULL));
	for (i = 0; i < 10; i++)
		EXPECT_EQ(KVMMIG_CLASS_DATA, q[i].class);
	EXPECT_EQ(0, session_stat(t->session, "fill_flagged"));
	teardown(t);
	free(t);
}

/*
 * SET reads each ZERO page's backing to know whether it already holds
 * zeroes, and must not allocate it to find out: a memfd/shmem hole reads
 * as zero without growing the system's shared memory; a hugetlbfs page
 * the VMM never mapped is not looked up (flagged), and no huge page is
 * taken.  A page the VMM wrote is read and found non-zero.
 */
static void fill_backing(struct __test_metadata *_metadata,
			 enum vm_mem_backing_src_type src, bool huge)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_fill_page *p = calloc(FRESH_PAGES, sizeof(*p));
	long shmem0, huge0;
	struct kvmmig_fill out;
	int i;

	setup_src(_metadata, t, src);
	shmem0 = meminfo_field("Shmem");
	huge0 = meminfo_field("HugePages_Free");
	for (i = 0; i < FRESH_PAGES; i++)
		p[i] = fpage(FRESH_GFN + i, KVMMIG_CLASS_ZERO, 0);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, FRESH_PAGES, &out));
	TH_LOG("shmem %ld -> %ld kB, free huge pages %ld -> %ld", shmem0,
	       meminfo_field("Shmem"), huge0, meminfo_field("HugePages_Free"));
	EXPECT_LT(meminfo_field("Shmem") - shmem0, 1024);
	EXPECT_EQ(huge0, meminfo_field("HugePages_Free"));
	EXPECT_EQ(huge ? 0 : FRESH_PAGES, out.nr_unflagged);
	EXPECT_EQ(huge ? FRESH_PAGES : 0, out.nr_flagged);

	/* written by the VMM: read, and not zero */
	memset(fresh_hva(t, 3), 0x11, PAGE_4K);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_CLEAR, NULL, 0, NULL));
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 8, &out));
	EXPECT_EQ(1, out.nr_flagged);
	p[0] = fpage(FRESH_GFN + 3, 0, 0);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, p, 1, NULL));
	EXPECT_EQ(KVMMIG_FILL_KNOWN | KVMMIG_FILL_NEEDS_UPDATE, p[0].flags);
	teardown(t);
	free(p);
	free(t);
}

TEST(fill_shmem_backing_not_allocated)
{
	fill_backing(_metadata, VM_MEM_SRC_SHMEM, false);
}

TEST(fill_hugetlb_backing_not_allocated)
{
	char old[32] = "0";

	TEST_ASSERT(!read_text("/proc/sys/vm/nr_hugepages", old, sizeof(old)),
		    "nr_hugepages");
	ASSERT_EQ(0, write_text("/proc/sys/vm/nr_hugepages", "8"));
	fill_backing(_metadata, VM_MEM_SRC_ANONYMOUS_HUGETLB, true);
	ASSERT_EQ(0, write_text("/proc/sys/vm/nr_hugepages", old));
}

/* A whole slot at once, at the limit of a call; the guest's own pages. */
TEST(fill_many)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_fill_page *p = calloc(DATA_PAGES, sizeof(*p));
	uint32_t touched[16];
	struct kvmmig_fill out;
	int i;

	setup(_metadata, t);
	/* the guest writes 16 pages (non-zero: the sweep writes its index) */
	for (i = 0; i < 16; i++)
		touched[i] = 1 + i * 200;
	sweep_run(&t->s, touched, 16, true, 1);
	for (i = 0; i < DATA_PAGES; i++)
		p[i] = fpage(DATA_GFN + i, KVMMIG_CLASS_ZERO, 0);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, DATA_PAGES, &out));
	/* the guest wrote i = 1..15 into 15 of them; index 0 wrote a 0 */
	EXPECT_EQ(15, out.nr_flagged);
	EXPECT_EQ(DATA_PAGES - 15, out.nr_unflagged);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, p, DATA_PAGES, NULL));
	for (i = 1; i < 16; i++)
		EXPECT_EQ(KVMMIG_FILL_KNOWN | KVMMIG_FILL_NEEDS_UPDATE,
			  p[touched[i]].flags);
	EXPECT_EQ(KVMMIG_FILL_KNOWN, p[touched[0]].flags);
	EXPECT_EQ(KVMMIG_FILL_KNOWN, p[2].flags);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_DONE, p, DATA_PAGES, &out));
	EXPECT_EQ(0, out.nr_flagged);
	EXPECT_EQ(DATA_PAGES, session_stat(t->session, "fill_done"));
	free(p);
	teardown(t);
	free(t);
}

/*
 * Guest RAM registered with userfaultfd (MISSING), as a post-copy
 * destination has it: SET never faults (no handler runs here, so a fault
 * would hang the call); missing pages hold zero, a page placed with
 * UFFDIO_COPY holds what was copied, one placed with UFFDIO_ZEROPAGE zero.
 */
TEST(fill_userfaultfd)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy copy = { 0 };
	struct uffdio_zeropage zp = { 0 };
	struct kvmmig_fill_page p[4], q[4];
	struct kvmmig_fill out;
	char *src = aligned_alloc(PAGE_4K, PAGE_4K);
	int uffd, i;

	setup(_metadata, t);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(uffd, 0);
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	reg.range.start = (__u64)(unsigned long)fresh_hva(t, 0);
	reg.range.len = FRESH_PAGES * PAGE_4K;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	memset(src, 0x3c, PAGE_4K);
	copy.dst = (__u64)(unsigned long)fresh_hva(t, 1);
	copy.src = (__u64)(unsigned long)src;
	copy.len = PAGE_4K;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	zp.range.start = (__u64)(unsigned long)fresh_hva(t, 2);
	zp.range.len = PAGE_4K;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));

	for (i = 0; i < 4; i++)
		p[i] = fpage(FRESH_GFN + i, KVMMIG_CLASS_ZERO, 0);
	p[3] = fpage(FRESH_GFN + 3, KVMMIG_CLASS_PATTERN, 0x3c3c3c3c3c3c3c3cULL);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 4, &out));
	/* 0: missing, 2: zero page; 1: copied data, 3: missing, not the pattern */
	EXPECT_EQ(2, out.nr_unflagged);
	EXPECT_EQ(2, out.nr_flagged);
	memcpy(q, p, sizeof(q));
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, q, 4, NULL));
	EXPECT_EQ(KVMMIG_FILL_KNOWN, q[0].flags);
	EXPECT_EQ(KVMMIG_FILL_KNOWN | KVMMIG_FILL_NEEDS_UPDATE, q[1].flags);
	EXPECT_EQ(KVMMIG_FILL_KNOWN, q[2].flags);
	EXPECT_EQ(KVMMIG_FILL_KNOWN | KVMMIG_FILL_NEEDS_UPDATE, q[3].flags);
	/* the copied page with its own pattern: held, unflagged */
	p[0] = fpage(FRESH_GFN + 1, KVMMIG_CLASS_PATTERN, 0x3c3c3c3c3c3c3c3cULL);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 1, &out));
	EXPECT_EQ(1, out.nr_unflagged);
	EXPECT_EQ(1, out.nr_flagged);
	close(uffd);
	free(src);
	teardown(t);
	free(t);
}

/* Bad input fails with a clear errno and records nothing. */
TEST(fill_bad_input)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_fill_page p[4], q[4];
	struct kvmmig_fill out;
	struct kvmmig_fill a;
	int i;

	setup(_metadata, t);
	p[0] = fpage(FRESH_GFN + 1, KVMMIG_CLASS_ZERO, 0);
	p[1] = fpage(FRESH_GFN + 2, KVMMIG_CLASS_PATTERN, PAT);
	p[2] = fpage(FRESH_GFN + 3, KVMMIG_CLASS_DUP, FRESH_GFN + 1);

	/* each bad last entry fails the whole call */
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_DATA, 0);
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(FRESH_GFN + 4, 99, 0);
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(FRESH_GFN + FRESH_PAGES, KVMMIG_CLASS_ZERO, 0); /* no slot */
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(1ULL << 50, KVMMIG_CLASS_ZERO, 0);
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_ZERO, 1);	/* ZERO's value */
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_ZERO, 0);
	p[3].flags = KVMMIG_FILL_NEEDS_UPDATE;
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_DUP, 1ULL << 40); /* canon */
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, NULL));
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_DUP, FRESH_GFN + 4);
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 4, &out));
	EXPECT_EQ(0, out.nr_done);	/* all or nothing: nothing */

	/* bad arguments */
	p[3] = fpage(FRESH_GFN + 4, KVMMIG_CLASS_ZERO, 0);
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p, 0, NULL));
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET | KVMMIG_FILL_GET,
				p, 4, NULL));
	EXPECT_EQ(-EINVAL, fill(t->session, 0, p, 4, NULL));
	EXPECT_EQ(-EINVAL, fill(t->session, 1U << 9, p, 4, NULL));
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_CLEAR, p, 4, NULL));
	EXPECT_EQ(-EINVAL, fill(t->session, KVMMIG_FILL_SET, p,
				KVMMIG_FILL_MAX_PAGES + 1, NULL));
	a = (struct kvmmig_fill){ .size = sizeof(a), .flags = KVMMIG_FILL_SET,
				  .nr_pages = 4,
				  .pages_ptr = (__u64)(unsigned long)p };
	a.reserved[2] = 1;
	EXPECT_EQ(-1, ioctl(t->session, KVMMIG_FILL, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved[2] = 0;
	a.size = 8;
	EXPECT_EQ(-1, ioctl(t->session, KVMMIG_FILL, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EFAULT, fill(t->session, KVMMIG_FILL_SET,
				(struct kvmmig_fill_page *)8, 4, NULL));

	/* nothing was recorded */
	memcpy(q, p, sizeof(p));
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_GET, q, 4, &out));
	EXPECT_EQ(4, out.nr_done);
	EXPECT_EQ(0, out.nr_flagged);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(KVMMIG_CLASS_DATA, q[i].class);
		EXPECT_EQ(0, q[i].flags);
	}
	EXPECT_EQ(0, session_stat(t->session, "fill_unflagged"));

	/* and the good call works */
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 4, &out));
	EXPECT_EQ(4, out.nr_done);
	EXPECT_EQ(2, out.nr_flagged);
	EXPECT_EQ(2, out.nr_unflagged);
	teardown(t);
	free(t);
}

/* The VMM dies while it records: the session goes, nothing is left. */
static void fill_vmm(void *arg, int report_fd)
{
	struct setup t;
	struct kvmmig_fill_page *p = calloc(DATA_PAGES, sizeof(*p));
	__u32 id;
	int dev = kvmmig_open();

	sweep_vm_create(&t.s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	t.session = kvmmig_attach(dev, t.s.vm->fd, &id);
	TEST_ASSERT(t.session >= 0, "attach");
	for (int i = 0; i < DATA_PAGES; i++)
		p[i] = fpage(DATA_GFN + i, i % 3 == 0 ? KVMMIG_CLASS_ZERO :
			     i % 3 == 1 ? KVMMIG_CLASS_PATTERN : KVMMIG_CLASS_DUP,
			     i % 3 == 0 ? 0 : i % 3 == 1 ? PAT : DATA_GFN);
	p[0].class = KVMMIG_CLASS_ZERO;
	TEST_ASSERT(!fill(t.session, KVMMIG_FILL_SET, p, DATA_PAGES, NULL),
		    "first SET");
	TEST_ASSERT(write(report_fd, &id, sizeof(id)) == sizeof(id), "report");
	for (;;) {
		fill(t.session, KVMMIG_FILL_SET, p, DATA_PAGES, NULL);
		fill(t.session, KVMMIG_FILL_DONE, p, DATA_PAGES / 2, NULL);
	}
}

TEST(fill_vmm_dies)
{
	for (int i = 0; i < 3; i++)
		kill_vmm_at_work(_metadata, fill_vmm, NULL, 20 + 30 * i);
}

/* A session closed with records frees them (no oops, no hang). */
TEST(fill_close_with_records)
{
	struct setup *t = calloc(1, sizeof(*t));
	struct kvmmig_fill_page p[64];
	int i;

	setup(_metadata, t);
	for (i = 0; i < 64; i++)
		p[i] = fpage(FRESH_GFN + i, i & 1 ? KVMMIG_CLASS_PATTERN :
			     KVMMIG_CLASS_ZERO, i & 1 ? PAT : 0);
	ASSERT_EQ(0, fill(t->session, KVMMIG_FILL_SET, p, 64, NULL));
	teardown(t);
	free(t);
}

TEST_HARNESS_MAIN
