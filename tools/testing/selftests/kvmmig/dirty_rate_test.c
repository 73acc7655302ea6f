// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: dirty rate (KVMMIG_GET_DIRTY_RATE) on a real VM, from
 * each source: the memslot dirty bitmaps, the harvests reported through
 * KVMMIG_GET_SEND_ORDER, and the vCPU dirty rings (per-vCPU rates).  The
 * guest writes known page counts; the reads must not change KVM's dirty
 * state.  No timing is asserted: counts, and ratios within one window.
 */
#include "precopy_util.h"
#include "sweep.h"

#define DATA_PAGES	4096
#define DATA_GFN	(SWEEP_DATA_GPA / PAGE_4K)
#define N_DIRTY		100
#define RING_ENTRIES	4096

struct setup {
	struct sweep_vm s;
	int session;
	uint64_t bitmap[DATA_PAGES / 64];
};

static void pre_fault(struct sweep_vm *s)
{
	uint32_t *all = malloc(DATA_PAGES * sizeof(*all));

	for (int i = 0; i < DATA_PAGES; i++)
		all[i] = i;
	sweep_run(s, all, DATA_PAGES, true, 1);
	free(all);
}

/* Logging on over pre-faulted memory, log harvested empty, window reset. */
static void logged_setup(struct __test_metadata *_metadata, struct setup *t)
{
	sweep_vm_create(&t->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	t->session = kvmmig_attach_vm(t->s.vm, NULL);
	ASSERT_GE(t->session, 0);
	/* a page first faulted in while logging reads dirty: fault them now */
	pre_fault(&t->s);
	vm_mem_region_set_flags(t->s.vm, SWEEP_DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	kvm_vm_get_dirty_log(t->s.vm, SWEEP_DATA_SLOT, t->bitmap);
	ASSERT_EQ(0, popcount_bitmap(t->bitmap, DATA_PAGES));
	ASSERT_EQ(0, dirty_rate(t->session, KVMMIG_DIRTY_RATE_RESET, NULL, 0, NULL));
}

static void teardown(struct setup *t)
{
	close(t->session);
	kvm_vm_free(t->s.vm);
}

/* The guest writes pages first .. first + n - 1 of the data slot. */
static void guest_writes(struct sweep_vm *s, uint32_t first, uint32_t n)
{
	uint32_t *list = malloc(n * sizeof(*list));

	for (uint32_t i = 0; i < n; i++)
		list[i] = first + i;
	sweep_run(s, list, n, true, 1);
	free(list);
}

TEST(no_tracking_no_rate)
{
	struct setup t;
	struct kvmmig_dirty_rate r;

	sweep_vm_create(&t.s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	t.session = kvmmig_attach_vm(t.s.vm, NULL);
	ASSERT_GE(t.session, 0);
	guest_writes(&t.s, 0, N_DIRTY);
	ASSERT_EQ(0, dirty_rate(t.session, 0, NULL, 0, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_NONE, r.source);
	EXPECT_EQ(0, r.dirty_pages);
	EXPECT_EQ(0, r.pages_per_sec);
	EXPECT_EQ(1, r.nr_vcpus);
	EXPECT_GT(r.window_ns, 0);
	teardown(&t);
}

/* Exactly the pages written, from the bitmap; KVM's log left as it was. */
TEST(bitmap_counts_written_pages)
{
	struct setup t;
	struct kvmmig_dirty_rate r, r2;
	__u64 rates[4] = { 7, 7, 7, 7 };

	logged_setup(_metadata, &t);
	guest_writes(&t.s, 500, N_DIRTY);
	ASSERT_EQ(0, dirty_rate(t.session, 0, rates, 4, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_BITMAP, r.source);
	EXPECT_EQ(N_DIRTY, r.dirty_pages);
	EXPECT_EQ(1, r.nr_vcpus);
	EXPECT_GT(r.window_ns, 0);
	EXPECT_EQ((__u64)N_DIRTY * 1000000000ULL / r.window_ns, r.pages_per_sec);
	/* only the ring attributes pages to vCPUs */
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, rates[i]);
	EXPECT_EQ(r.pages_per_sec, session_stat(t.session, "dirty_rate"));
	/* reading again reads the same: nothing was taken */
	ASSERT_EQ(0, dirty_rate(t.session, 0, NULL, 0, &r2));
	EXPECT_EQ(N_DIRTY, r2.dirty_pages);
	EXPECT_GE(r2.window_ns, r.window_ns);
	/* and KVM's own log still holds exactly the written pages */
	kvm_vm_get_dirty_log(t.s.vm, SWEEP_DATA_SLOT, t.bitmap);
	EXPECT_EQ(N_DIRTY, popcount_bitmap(t.bitmap, DATA_PAGES));
	for (int i = 0; i < N_DIRTY; i++)
		ASSERT_TRUE((t.bitmap[(500 + i) / 64] >> ((500 + i) % 64)) & 1);
	/* after the harvest: none dirty since */
	ASSERT_EQ(0, dirty_rate(t.session, KVMMIG_DIRTY_RATE_RESET, NULL, 0, &r));
	EXPECT_EQ(0, r.dirty_pages);
	guest_writes(&t.s, 0, 7);
	ASSERT_EQ(0, dirty_rate(t.session, 0, NULL, 0, &r));
	EXPECT_EQ(7, r.dirty_pages);
	teardown(&t);
}

/* Harvests handed to GET_SEND_ORDER are the source while there are any. */
TEST(reported_after_send_order)
{
	struct setup t;
	struct kvmmig_dirty_rate r;
	struct kvmmig_send_order o = { .size = sizeof(o) };
	struct kvmmig_gfn_range *runs = calloc(DATA_PAGES, sizeof(*runs));

	logged_setup(_metadata, &t);
	guest_writes(&t.s, 0, N_DIRTY);
	kvm_vm_get_dirty_log(t.s.vm, SWEEP_DATA_SLOT, t.bitmap);
	ASSERT_EQ(N_DIRTY, popcount_bitmap(t.bitmap, DATA_PAGES));
	o.base_gfn = DATA_GFN;
	o.npages = DATA_PAGES;
	o.bitmap_ptr = (__u64)(unsigned long)t.bitmap;
	o.runs_ptr = (__u64)(unsigned long)runs;
	o.max_runs = DATA_PAGES;
	/* ALL is not a harvest: not reported */
	o.flags = KVMMIG_SEND_ORDER_ALL;
	ASSERT_EQ(0, send_order(t.session, &o));
	ASSERT_EQ(0, dirty_rate(t.session, 0, NULL, 0, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_BITMAP, r.source);
	EXPECT_EQ(0, r.dirty_pages);	/* harvested */

	o.flags = 0;
	ASSERT_EQ(0, send_order(t.session, &o));
	EXPECT_EQ(N_DIRTY, o.level_pages[0] + o.level_pages[1] +
		  o.level_pages[2] + o.level_pages[3]);
	/* the guest writes more: the bitmap would say so, the reports rule */
	guest_writes(&t.s, 1000, 5);
	ASSERT_EQ(0, dirty_rate(t.session, 0, NULL, 0, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_REPORTED, r.source);
	EXPECT_EQ(N_DIRTY, r.dirty_pages);
	ASSERT_EQ(0, send_order(t.session, &o));
	ASSERT_EQ(0, dirty_rate(t.session, KVMMIG_DIRTY_RATE_RESET, NULL, 0, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_REPORTED, r.source);
	EXPECT_EQ(2 * N_DIRTY, r.dirty_pages);
	/* a new window without reports: back to the bitmap */
	ASSERT_EQ(0, dirty_rate(t.session, 0, NULL, 0, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_BITMAP, r.source);
	EXPECT_EQ(5, r.dirty_pages);
	free(runs);
	teardown(&t);
}

static uint32_t ring_dirty_entries(struct kvm_vcpu *vcpu)
{
	struct kvm_dirty_gfn *g = vcpu_map_dirty_ring(vcpu);
	uint32_t n = 0;

	for (uint32_t i = 0; i < RING_ENTRIES; i++)
		n += READ_ONCE(g[i].flags) == KVM_DIRTY_GFN_F_DIRTY;
	return n;
}

/* Two vCPUs writing different page counts: rates by vCPU index. */
TEST(ring_per_vcpu)
{
	struct sweep_vm v[2];
	struct kvmmig_dirty_rate r, r2;
	struct kvm_vm *vm;
	__u64 rates[3] = { 9, 9, 9 };
	int session, i;

	if (!kvm_has_cap(KVM_CAP_DIRTY_LOG_RING) &&
	    !kvm_has_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL)) {
		/* the test kernel has it: this must not pass silently there */
		ASSERT_TRUE(false) TH_LOG("no KVM_CAP_DIRTY_LOG_RING");
	}
	vm = __vm_create(VM_MODE_DEFAULT, 2, DATA_PAGES);
	vm_enable_dirty_ring(vm, RING_ENTRIES * sizeof(struct kvm_dirty_gfn));
	for (i = 0; i < 2; i++) {
		vm_vaddr_t gva;

		v[i].vm = vm;
		v[i].npages = DATA_PAGES;
		v[i].vcpu = vm_vcpu_add(vm, i, sweep_guest);
		gva = vm_vaddr_alloc(vm, sizeof(struct sweep), KVM_UTIL_MIN_VADDR);
		v[i].sw = addr_gva2hva(vm, gva);
		memset(v[i].sw, 0, sizeof(*v[i].sw));
		vcpu_args_set(v[i].vcpu, 1, gva);
	}
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, SWEEP_DATA_GPA,
				    SWEEP_DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, SWEEP_DATA_GPA, SWEEP_DATA_GPA, DATA_PAGES);
	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	pre_fault(&v[0]);
	sweep_run(&v[1], NULL, 0, false, 1);	/* vCPU 1 faults its own bits */
	vm_mem_region_set_flags(vm, SWEEP_DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	ASSERT_EQ(0, dirty_rate(session, KVMMIG_DIRTY_RATE_RESET, NULL, 0, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_RING, r.source);
	EXPECT_EQ(2, r.nr_vcpus);

	guest_writes(&v[0], 0, 50);
	guest_writes(&v[1], 1000, 150);
	ASSERT_EQ(0, dirty_rate(session, 0, rates, 3, &r));
	EXPECT_EQ(KVMMIG_DIRTY_SRC_RING, r.source);
	EXPECT_EQ(2, r.nr_vcpus);
	EXPECT_EQ(200, r.dirty_pages);
	TH_LOG("window %llu ns: vCPU 0 %llu/s, vCPU 1 %llu/s, VM %llu/s",
	       r.window_ns, rates[0], rates[1], r.pages_per_sec);
	EXPECT_EQ(50ULL * 1000000000ULL / r.window_ns, rates[0]);
	EXPECT_EQ(150ULL * 1000000000ULL / r.window_ns, rates[1]);
	EXPECT_EQ(0, rates[2]);
	EXPECT_EQ(200ULL * 1000000000ULL / r.window_ns, r.pages_per_sec);
	/* the rings themselves are untouched: their entries still wait */
	EXPECT_EQ(50, ring_dirty_entries(v[0].vcpu));
	EXPECT_EQ(150, ring_dirty_entries(v[1].vcpu));
	/* one entry of capacity: vCPU 0 only, the count still 2 */
	ASSERT_EQ(0, dirty_rate(session, KVMMIG_DIRTY_RATE_RESET, rates, 1, &r2));
	EXPECT_EQ(2, r2.nr_vcpus);
	EXPECT_EQ(200, r2.dirty_pages);
	/* new window: only what comes after the reset */
	ASSERT_EQ(0, dirty_rate(session, 0, rates, 2, &r));
	EXPECT_EQ(0, r.dirty_pages);
	guest_writes(&v[1], 2000, 30);
	ASSERT_EQ(0, dirty_rate(session, 0, rates, 2, &r));
	EXPECT_EQ(30, r.dirty_pages);
	EXPECT_EQ(0, rates[0]);
	EXPECT_GT(rates[1], 0);
	EXPECT_EQ(80, ring_dirty_entries(v[0].vcpu) + ring_dirty_entries(v[1].vcpu) - 150);
	close(session);
	kvm_vm_free(vm);
}

TEST(bad_inputs)
{
	struct setup t;
	struct kvmmig_dirty_rate a, good = { .size = sizeof(a) };
	__u64 rates[2];
	int i;

	logged_setup(_metadata, &t);
	guest_writes(&t.s, 0, 3);
#define EXPECT_DR_ERR(err) do {						\
		EXPECT_EQ(-1, ioctl(t.session, KVMMIG_GET_DIRTY_RATE, &a)); \
		EXPECT_EQ(err, errno);					\
	} while (0)
	a = good;
	a.size = 4;
	EXPECT_DR_ERR(EINVAL);
	a = good;
	a.flags = 2;
	EXPECT_DR_ERR(EINVAL);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		EXPECT_DR_ERR(EINVAL);
	}
	a = good;
	a.nr_vcpus = KVMMIG_DIRTY_RATE_MAX_VCPUS + 1;
	a.vcpu_rates_ptr = (__u64)(unsigned long)rates;
	EXPECT_DR_ERR(EINVAL);
	a = good;
	a.nr_vcpus = 2;
	EXPECT_DR_ERR(EINVAL);
	a.vcpu_rates_ptr = 8;
	EXPECT_DR_ERR(EFAULT);
	/* a RESET that failed on its arguments reset nothing */
	a = good;
	a.flags = KVMMIG_DIRTY_RATE_RESET;
	a.reserved[0] = 1;
	EXPECT_DR_ERR(EINVAL);
	EXPECT_EQ(-1, ioctl(t.session, KVMMIG_GET_DIRTY_RATE, NULL));
	EXPECT_EQ(EFAULT, errno);
#undef EXPECT_DR_ERR
	a = good;
	ASSERT_EQ(0, ioctl(t.session, KVMMIG_GET_DIRTY_RATE, &a));
	EXPECT_EQ(3, a.dirty_pages);
	EXPECT_EQ(1, ioctl(t.session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_DIRTY_RATE));
	teardown(&t);
}

TEST_HARNESS_MAIN
