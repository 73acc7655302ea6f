// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: guest-virtual neighbour prefetch and the reverse
 * index's teardown drop on real KVM.
 *
 * The guest's data structure is DATA_PAGES pages, contiguous in
 * guest-virtual memory at DATA_GVA, whose guest-physical pages are
 * shuffled over the even pages of a data slot; the odd pages between them
 * are unrelated data mapped elsewhere (OTHER_GVA).  So guest-physical
 * neighbours are the wrong pages and guest-virtual ones the right ones,
 * and the test knows which from the permutation.
 *
 * A second address space (AS2) is built from the host: a copy of the PML4
 * sharing everything below DATA_GVA's PML4 entry, and tables of its own
 * mapping the data pages in reverse order.  The guest switches to it and
 * tears the first one down by clearing the leaf entries of its data page
 * table, through a window mapping of that table present in both.
 */
#include "kvmmig_util.h"

#define PG			4096ULL
#define SLOT_GPA		BIT_ULL(30)
#define SLOT_ID			1
#define SLOT_PAGES		160	/* 128 mapped, 32 never */
#define DATA_PAGES		64
#define DATA_GVA		BIT_ULL(39)	/* PML4 entry 1 */
#define OTHER_GVA		(DATA_GVA + BIT_ULL(21))
#define WINDOW_GVA		BIT_ULL(30)	/* PML4 entry 0: shared */
#define TOUCH			20	/* the page the tests fault on */

enum { CMD_TOUCH = 1, CMD_SWITCH, CMD_TEARDOWN };

struct pf_shared {
	uint64_t cmd;
	uint64_t arg;
	uint64_t as2_cr3;
	uint64_t window_gva;
	uint64_t sum;
};

struct pf_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct pf_shared *sh;
	int session;
	__u32 id;
	uint64_t cr3;			/* AS1 */
	uint64_t cr3_2;			/* AS2 */
	uint32_t perm[DATA_PAGES];	/* data page i: slot page 2 * perm[i] */
};

static void guest_code(struct pf_shared *sh)
{
	for (;;) {
		uint64_t cmd = READ_ONCE(sh->cmd), arg = READ_ONCE(sh->arg);

		if (cmd == CMD_TOUCH) {
			sh->sum += READ_ONCE(*(uint64_t *)(DATA_GVA + arg * PG));
		} else if (cmd == CMD_SWITCH) {
			asm volatile("mov %0, %%cr3" : : "r"(sh->as2_cr3) : "memory");
		} else if (cmd == CMD_TEARDOWN) {
			uint64_t *pt = (uint64_t *)sh->window_gva;

			for (int i = 0; i < 512; i++)
				WRITE_ONCE(pt[i], 0);
		}
		GUEST_SYNC(cmd);
	}
}

/* GPA of data page @i in AS1, and in AS2 (reverse order). */
static uint64_t gpa1(struct pf_vm *p, int i)
{
	return SLOT_GPA + 2 * p->perm[i] * PG;
}

static uint64_t gpa2(struct pf_vm *p, int i)
{
	return gpa1(p, DATA_PAGES - 1 - i);
}

static uint64_t *table(struct kvm_vm *vm, uint64_t gpa)
{
	return addr_gpa2hva(vm, gpa & PHYSICAL_PAGE_MASK);
}

static uint64_t new_table(struct kvm_vm *vm)
{
	uint64_t gpa = vm_phy_page_alloc(vm, KVM_GUEST_PAGE_TABLE_MIN_PADDR, 0);

	memset(table(vm, gpa), 0, PG);
	return gpa;
}

static void pf_vm_create(struct pf_vm *p, uint32_t seed)
{
	uint64_t *pml4, *pml4b, pt_gpa, pdpt2, pd2, pt2, *pt;
	vm_vaddr_t sh_gva;
	struct kvm_sregs sregs;
	uint32_t x = seed;
	int i;

	p->vm = __vm_create_with_one_vcpu(&p->vcpu, 64, guest_code);
	vm_userspace_mem_region_add(p->vm, VM_MEM_SRC_ANONYMOUS, SLOT_GPA,
				    SLOT_ID, SLOT_PAGES, 0);
	sh_gva = vm_vaddr_alloc(p->vm, PG, KVM_UTIL_MIN_VADDR);
	p->sh = addr_gva2hva(p->vm, sh_gva);
	memset(p->sh, 0, sizeof(*p->sh));

	/* a permutation without neighbours that stay neighbours */
	for (i = 0; i < DATA_PAGES; i++)
		p->perm[i] = i;
	for (;;) {
		bool ok = true;

		for (i = DATA_PAGES - 1; i > 0; i--) {
			uint32_t j, t;

			x = x * 1103515245 + 12345;
			j = (x >> 8) % (i + 1);
			t = p->perm[i];
			p->perm[i] = p->perm[j];
			p->perm[j] = t;
		}
		for (i = 1; i < DATA_PAGES; i++)
			if (p->perm[i] == p->perm[i - 1] + 1 ||
			    p->perm[i] + 1 == p->perm[i - 1])
				ok = false;
		if (ok)
			break;
	}
	for (i = 0; i < DATA_PAGES; i++) {
		virt_pg_map(p->vm, DATA_GVA + i * PG, gpa1(p, i));
		virt_pg_map(p->vm, OTHER_GVA + i * PG, SLOT_GPA + (2 * i + 1) * PG);
	}

	/* AS1's data page table, and a window onto it */
	pml4 = table(p->vm, p->vm->pgd);
	pt_gpa = table(p->vm, table(p->vm, pml4[1])[0])[0] & PHYSICAL_PAGE_MASK;
	virt_pg_map(p->vm, WINDOW_GVA, pt_gpa);

	/* AS2: a copy of the root; DATA_GVA's entry through tables of its own */
	p->cr3_2 = new_table(p->vm);
	pml4b = table(p->vm, p->cr3_2);
	memcpy(pml4b, pml4, PG);
	pdpt2 = new_table(p->vm);
	pd2 = new_table(p->vm);
	pt2 = new_table(p->vm);
	pml4b[1] = pdpt2 | 3;
	table(p->vm, pdpt2)[0] = pd2 | 3;
	table(p->vm, pd2)[0] = pt2 | 3;
	pt = table(p->vm, pt2);
	for (i = 0; i < DATA_PAGES; i++)
		pt[i] = gpa2(p, i) | 3;

	p->sh->as2_cr3 = p->cr3_2;
	p->sh->window_gva = WINDOW_GVA;
	vcpu_args_set(p->vcpu, 1, sh_gva);
	vcpu_sregs_get(p->vcpu, &sregs);
	p->cr3 = sregs.cr3;
	p->session = kvmmig_attach_vm(p->vm, &p->id);
	TEST_ASSERT(p->session >= 0, "attach: %d", p->session);
}

static void pf_vm_destroy(struct pf_vm *p)
{
	close(p->session);
	kvm_vm_free(p->vm);
}

static void guest_cmd(struct pf_vm *p, uint64_t cmd, uint64_t arg)
{
	struct ucall uc;

	p->sh->cmd = cmd;
	p->sh->arg = arg;
	vcpu_run(p->vcpu);
	TEST_ASSERT(get_ucall(p->vcpu, &uc) == UCALL_SYNC && uc.args[1] == cmd,
		    "guest did not sync: exit reason %u",
		    p->vcpu->run->exit_reason);
}

static int prefetch(int session, struct kvmmig_prefetch *a)
{
	a->size = sizeof(*a);
	return ioctl(session, KVMMIG_PREFETCH, a) ? -errno : 0;
}

/* PREFETCH with an explicit address space. */
static int prefetch_cr3(struct pf_vm *p, uint64_t cr3, uint64_t gpa,
			uint32_t window, uint64_t *out, uint32_t max,
			struct kvmmig_prefetch *a)
{
	memset(a, 0, sizeof(*a));
	a->flags = KVMMIG_PREFETCH_CR3;
	a->cr3 = cr3;
	a->mode = KVMMIG_PAGING_LONG4;
	a->gfn = gpa / PG;
	a->window = window;
	a->gfns_ptr = (uint64_t)(unsigned long)out;
	a->max_gfns = max;
	return prefetch(p->session, a);
}

/*
 * The expected list around data page @t: +1, -1, +2, -2, ... in the
 * data region, through @map; frames set in @have left out.
 */
static uint32_t expected(struct pf_vm *p, uint64_t (*map)(struct pf_vm *, int),
			 int t, uint32_t window, const unsigned long *have,
			 uint64_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (int d = 1; d <= (int)window && n < max; d++) {
		for (int side = 0; side < 2 && n < max; side++) {
			int i = side ? t - d : t + d;
			uint64_t g;

			if (i < 0 || i >= DATA_PAGES)
				continue;
			g = map(p, i) / PG;
			if (have && (have[g / 64] >> (g % 64) & 1))
				continue;
			out[n++] = g;
		}
	}
	return n;
}

static void expect_list(struct __test_metadata *_metadata,
			const uint64_t *got, uint32_t n, const uint64_t *want,
			uint32_t nwant)
{
	uint32_t i;

	ASSERT_EQ(nwant, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(want[i], got[i]) TH_LOG("entry %u", i);
}

static unsigned int param(const char *name)
{
	return read_u64_file(KVMMIG_PARAMS "/%s", name);
}

static int set_param(const char *name, unsigned int v)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), KVMMIG_PARAMS "/%s", name);
	snprintf(buf, sizeof(buf), "%u", v);
	return write_text(path, buf);
}

TEST(capability)
{
	int dev = kvmmig_open();

	EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_PREFETCH));
	close(dev);
}

/* GVA neighbours through the reverse index of an explicit CR3. */
TEST(cr3_neighbours)
{
	uint64_t got[2048], want[2048];
	unsigned long have[SLOT_GPA / PG / 64 + 64] = { };
	struct kvmmig_prefetch a;
	struct pf_vm p;
	uint32_t n;

	kvmmig_params_guard(_metadata);

	pf_vm_create(&p, 1);
	guest_cmd(&p, CMD_TOUCH, TOUCH);

	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH) + 0x123, 8, got,
				  2048, &a));
	EXPECT_EQ(KVMMIG_PREFETCH_SRC_RINDEX, a.source);
	EXPECT_EQ(DATA_GVA + TOUCH * PG, a.gva);
	EXPECT_EQ(p.cr3, a.cr3);
	n = expected(&p, gpa1, TOUCH, 8, NULL, want, 2048);
	EXPECT_EQ(16, n);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	EXPECT_EQ(1, session_stat(p.session, "rindex_builds"));
	EXPECT_EQ(1, session_stat(p.session, "rindex_hits"));
	EXPECT_EQ(16, session_stat(p.session, "prefetch_issued"));

	/* cached: no second build; room for 5 gives the first 5 */
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 8, got, 5, &a));
	expect_list(_metadata, got, a.nr_gfns, want, 5);
	EXPECT_EQ(1, session_stat(p.session, "rindex_builds"));
	EXPECT_EQ(2, session_stat(p.session, "prefetch_calls"));

	/* at the region's start: only the pages above */
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, 0), 8, got, 2048, &a));
	n = expected(&p, gpa1, 0, 8, NULL, want, 2048);
	EXPECT_EQ(8, n);
	expect_list(_metadata, got, a.nr_gfns, want, n);

	/* the other pages: their own neighbours, odd slot pages */
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, SLOT_GPA + 11 * PG, 2, got, 2048,
				  &a));
	EXPECT_EQ(OTHER_GVA + 5 * PG, a.gva);
	ASSERT_EQ(4, a.nr_gfns);
	EXPECT_EQ(SLOT_GPA / PG + 13, got[0]);
	EXPECT_EQ(SLOT_GPA / PG + 9, got[1]);

	/* a frame this address space does not map: no list, no error */
	ASSERT_EQ(0, set_param("rindex_rebuild_ms", 60000));
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, SLOT_GPA + 150 * PG, 8, got, 2048,
				  &a));
	EXPECT_EQ(KVMMIG_PREFETCH_SRC_NONE, a.source);
	EXPECT_EQ(0, a.nr_gfns);
	EXPECT_EQ(0, a.gva);
	EXPECT_EQ(0, set_param("rindex_rebuild_ms", 100));

	/* have_ptr: frames the VMM holds are left out, the order kept */
	have[(gpa1(&p, TOUCH + 1) / PG) / 64] |= 1UL << ((gpa1(&p, TOUCH + 1) / PG) % 64);
	have[(gpa1(&p, TOUCH - 2) / PG) / 64] |= 1UL << ((gpa1(&p, TOUCH - 2) / PG) % 64);
	memset(&a, 0, sizeof(a));
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 8, got, 2048, &a));
	a.have_ptr = (uint64_t)(unsigned long)have;
	a.have_npages = sizeof(have) * 8;
	ASSERT_EQ(0, prefetch(p.session, &a));
	n = expected(&p, gpa1, TOUCH, 8, have, want, 2048);
	EXPECT_EQ(14, n);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	/* frames at or above have_npages count as missing */
	a.have_npages = SLOT_GPA / PG;
	ASSERT_EQ(0, prefetch(p.session, &a));
	EXPECT_EQ(16, a.nr_gfns);

	/* window 0: the prefetch_window tunable */
	EXPECT_EQ(16, param("prefetch_window"));
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH + 10), 0, got,
				  2048, &a));
	n = expected(&p, gpa1, TOUCH + 10, 16, NULL, want, 2048);
	EXPECT_EQ(32, n);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	ASSERT_EQ(0, set_param("prefetch_window", 3));
	EXPECT_NE(0, set_param("prefetch_window", 0));
	EXPECT_NE(0, set_param("prefetch_window", 1025));
	EXPECT_EQ(3, param("prefetch_window"));
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 0, got, 2048,
				  &a));
	n = expected(&p, gpa1, TOUCH, 3, NULL, want, 2048);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	EXPECT_EQ(0, set_param("prefetch_window", 16));

	pf_vm_destroy(&p);
}

/* The baseline: guest-physical neighbours, filtered alike. */
TEST(gfn_linear)
{
	uint64_t got[64], g = SLOT_GPA + 2 * PG;
	struct kvmmig_prefetch a = { };
	struct pf_vm p;

	pf_vm_create(&p, 2);
	a.flags = KVMMIG_PREFETCH_GFN_LINEAR;
	a.gfn = g / PG;
	a.window = 4;
	a.gfns_ptr = (uint64_t)(unsigned long)got;
	a.max_gfns = 64;
	ASSERT_EQ(0, prefetch(p.session, &a));
	EXPECT_EQ(KVMMIG_PREFETCH_SRC_LINEAR, a.source);
	EXPECT_EQ(0, a.gva);
	/* +1 -1 +2 -2 +3 (-3 is below the slot) +4 */
	ASSERT_EQ(6, a.nr_gfns);
	EXPECT_EQ(g / PG + 1, got[0]);
	EXPECT_EQ(g / PG - 1, got[1]);
	EXPECT_EQ(g / PG + 2, got[2]);
	EXPECT_EQ(g / PG - 2, got[3]);
	EXPECT_EQ(g / PG + 3, got[4]);
	EXPECT_EQ(g / PG + 4, got[5]);
	/* the GVA list of the same page differs: the permutation */
	pf_vm_destroy(&p);
}

/* Bad input: a clear errno and nothing changed. */
TEST(bad_inputs)
{
	uint64_t got[8], canary[8];
	unsigned long have[4] = { };
	struct kvmmig_prefetch good, a, before;
	uint64_t issued;
	struct pf_vm p;

	pf_vm_create(&p, 3);
	guest_cmd(&p, CMD_TOUCH, TOUCH);
	memset(&good, 0, sizeof(good));
	good.size = sizeof(good);
	good.flags = KVMMIG_PREFETCH_CR3;
	good.cr3 = p.cr3;
	good.mode = KVMMIG_PAGING_LONG4;
	good.gfn = gpa1(&p, TOUCH) / PG;
	good.window = 2;
	good.gfns_ptr = (uint64_t)(unsigned long)got;
	good.max_gfns = 8;
	a = good;
	ASSERT_EQ(0, ioctl(p.session, KVMMIG_PREFETCH, &a));
	ASSERT_EQ(4, a.nr_gfns);
	issued = session_stat(p.session, "prefetch_issued");
	memset(canary, 0xa5, sizeof(canary));

#define BAD(err, field_change) do {					\
	a = good;							\
	field_change;							\
	before = a;							\
	memcpy(got, canary, sizeof(got));				\
	EXPECT_EQ(-1, ioctl(p.session, KVMMIG_PREFETCH, &a));		\
	EXPECT_EQ(err, errno) TH_LOG(#field_change);			\
	EXPECT_EQ(0, memcmp(&a, &before, sizeof(a))) TH_LOG(#field_change); \
	EXPECT_EQ(0, memcmp(got, canary, sizeof(got)));		\
} while (0)

	BAD(EINVAL, a.size = offsetof(struct kvmmig_prefetch, reserved) - 8);
	BAD(EINVAL, a.flags = KVMMIG_PREFETCH_FLAGS + 1);
	BAD(EINVAL, a.flags = 1U << 31);
	BAD(EINVAL, a.reserved0 = 1);
	BAD(EINVAL, a.reserved[0] = 1);
	BAD(EINVAL, a.reserved[3] = 1);
	BAD(EINVAL, a.window = KVMMIG_PREFETCH_MAX_WINDOW + 1);
	BAD(EINVAL, a.max_gfns = 2 * KVMMIG_PREFETCH_MAX_WINDOW + 1);
	BAD(EINVAL, a.have_npages = (1ULL << 40) + 1);
	BAD(EINVAL, a.mode = KVMMIG_PAGING_NONE);
	BAD(EINVAL, a.mode = KVMMIG_PAGING_LONG5 + 1);
	BAD(EINVAL, a.gfn = SLOT_GPA / PG + SLOT_PAGES);	/* not memory */
	BAD(EINVAL, a.gfn = 1ULL << 52);		/* no 64-bit address */
	BAD(EFAULT, a.gfns_ptr = 8);
	BAD(EFAULT, a.have_ptr = 8; a.have_npages = 1ULL << 40);
	/* without CR3: the fault records; recording is off: none */
	BAD(ENOENT, a.flags = 0);
	EXPECT_EQ(-1, ioctl(p.session, KVMMIG_PREFETCH, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(issued, session_stat(p.session, "prefetch_issued"));

	/* the good call still works, with a bitmap that covers nothing */
	a = good;
	a.have_ptr = (uint64_t)(unsigned long)have;
	a.have_npages = 64 * 4;
	EXPECT_EQ(0, ioctl(p.session, KVMMIG_PREFETCH, &a));
	EXPECT_EQ(4, a.nr_gfns);
	/* no room: the gva is still found */
	a = good;
	a.max_gfns = 0;
	a.gfns_ptr = 0;
	EXPECT_EQ(0, ioctl(p.session, KVMMIG_PREFETCH, &a));
	EXPECT_EQ(0, a.nr_gfns);
	EXPECT_EQ(DATA_GVA + TOUCH * PG, a.gva);
	pf_vm_destroy(&p);
}

/* The torn-down address space's index goes, the live one stays. */
TEST(teardown_drops_index)
{
	uint64_t got[64], want[64];
	struct kvmmig_prefetch a;
	uint64_t builds, drops, stale;
	struct pf_vm p;
	uint32_t n;
	int i;

	kvmmig_params_guard(_metadata);

	pf_vm_create(&p, 4);
	ASSERT_EQ(0, set_param("rindex_rebuild_ms", 60000));
	guest_cmd(&p, CMD_TOUCH, TOUCH);

	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 4, got, 64, &a));
	n = expected(&p, gpa1, TOUCH, 4, NULL, want, 64);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	/* AS2 maps the same frames in reverse: other neighbours */
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3_2, gpa2(&p, TOUCH), 4, got, 64, &a));
	EXPECT_EQ(KVMMIG_PREFETCH_SRC_RINDEX, a.source);
	EXPECT_EQ(DATA_GVA + TOUCH * PG, a.gva);
	n = expected(&p, gpa2, TOUCH, 4, NULL, want, 64);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	EXPECT_EQ(2, session_stat(p.session, "rindex_builds"));

	/* the guest moves to AS2 and tears AS1's data mappings down */
	guest_cmd(&p, CMD_SWITCH, 0);
	guest_cmd(&p, CMD_TOUCH, TOUCH + 1);
	/* both live: sampling them round after round drops neither */
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, prefetch_cr3(&p, i & 1 ? p.cr3 : p.cr3_2,
					  i & 1 ? gpa1(&p, TOUCH) : gpa2(&p, TOUCH),
					  4, got, 64, &a));
		EXPECT_EQ(KVMMIG_PREFETCH_SRC_RINDEX, a.source);
	}
	EXPECT_EQ(0, session_stat(p.session, "rindex_drops_teardown"));
	EXPECT_EQ(0, session_stat(p.session, "rindex_drops_stale"));
	EXPECT_EQ(2, session_stat(p.session, "rindex_builds"));
	guest_cmd(&p, CMD_TEARDOWN, 0);
	EXPECT_EQ(0, session_stat(p.session, "rindex_drops_teardown"));

	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, prefetch_cr3(&p, p.cr3_2, gpa2(&p, TOUCH), 4, got,
					  64, &a));
		if (session_stat(p.session, "rindex_drops_teardown"))
			break;
	}
	EXPECT_EQ(1, session_stat(p.session, "rindex_drops_teardown"));
	ksft_print_msg("teardown seen after %d calls\n", i + 1);

	/* the live index answers on, never rebuilt nor dropped */
	builds = session_stat(p.session, "rindex_builds");
	drops = session_stat(p.session, "rindex_drops_teardown");
	stale = session_stat(p.session, "rindex_drops_stale");
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, prefetch_cr3(&p, p.cr3_2, gpa2(&p, i % DATA_PAGES),
					  4, got, 64, &a));
		EXPECT_EQ(KVMMIG_PREFETCH_SRC_RINDEX, a.source);
		n = expected(&p, gpa2, i % DATA_PAGES, 4, NULL, want, 64);
		expect_list(_metadata, got, a.nr_gfns, want, n);
	}
	EXPECT_EQ(builds, session_stat(p.session, "rindex_builds"));
	EXPECT_EQ(drops, session_stat(p.session, "rindex_drops_teardown"));
	EXPECT_EQ(stale, session_stat(p.session, "rindex_drops_stale"));

	/* AS1's old index is not used: a fresh build finds nothing there */
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 4, got, 64, &a));
	EXPECT_EQ(KVMMIG_PREFETCH_SRC_NONE, a.source);
	EXPECT_EQ(0, a.nr_gfns);
	EXPECT_EQ(builds + 1, session_stat(p.session, "rindex_builds"));
	EXPECT_EQ(0, set_param("rindex_rebuild_ms", 100));
	pf_vm_destroy(&p);
}

/* A mapping that changed under a cached index is re-read, not trusted. */
TEST(stale_index_rebuilt)
{
	uint64_t got[64], want[64], *pt, pt_gpa, tmp;
	struct kvmmig_prefetch a;
	struct pf_vm p;
	uint32_t n;

	kvmmig_params_guard(_metadata);

	pf_vm_create(&p, 5);
	ASSERT_EQ(0, set_param("rindex_rebuild_ms", 0));
	ASSERT_EQ(0, set_param("rindex_samples", 0));	/* teardown detection off */
	guest_cmd(&p, CMD_TOUCH, TOUCH);
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 2, got, 64, &a));
	/* swap data pages TOUCH and TOUCH + 1 in AS1 */
	pt_gpa = table(p.vm, table(p.vm, table(p.vm, p.vm->pgd)[1])[0])[0];
	pt = table(p.vm, pt_gpa);
	tmp = pt[TOUCH];
	pt[TOUCH] = pt[TOUCH + 1];
	pt[TOUCH + 1] = tmp;
	tmp = p.perm[TOUCH];
	p.perm[TOUCH] = p.perm[TOUCH + 1];
	p.perm[TOUCH + 1] = tmp;
	ASSERT_EQ(0, prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 2, got, 64, &a));
	EXPECT_EQ(KVMMIG_PREFETCH_SRC_RINDEX, a.source);
	EXPECT_EQ(DATA_GVA + TOUCH * PG, a.gva);
	n = expected(&p, gpa1, TOUCH, 2, NULL, want, 64);
	expect_list(_metadata, got, a.nr_gfns, want, n);
	EXPECT_EQ(1, session_stat(p.session, "rindex_drops_stale"));
	EXPECT_EQ(2, session_stat(p.session, "rindex_builds"));
	EXPECT_EQ(0, set_param("rindex_samples", 32));
	EXPECT_EQ(0, set_param("rindex_rebuild_ms", 100));
	pf_vm_destroy(&p);
}

static int faults(int session, uint32_t flags)
{
	struct kvmmig_faults f = { .size = sizeof(f), .flags = flags };

	return ioctl(session, KVMMIG_FAULTS, &f) ? -errno : 0;
}

/* Without CR3: the address space (and on shadow paging the gva) of the
 * newest fault record of the frame; prefetched frames faulted on count.
 */
TEST(fault_records)
{
	uint64_t got[64], want[64];
	struct kvmmig_prefetch a = { };
	struct pf_vm p;
	uint32_t n;
	int ret;

	pf_vm_create(&p, 6);
	ret = faults(p.session, KVMMIG_FAULTS_ENABLE);
	ASSERT_EQ(0, ret);
	guest_cmd(&p, CMD_TOUCH, TOUCH);
	a.gfn = gpa1(&p, TOUCH) / PG;
	a.window = 4;
	a.gfns_ptr = (uint64_t)(unsigned long)got;
	a.max_gfns = 64;
	ASSERT_EQ(0, prefetch(p.session, &a));
	EXPECT_TRUE(a.source == KVMMIG_PREFETCH_SRC_FAULT ||
		    a.source == KVMMIG_PREFETCH_SRC_RINDEX);
	ksft_print_msg("source %u (1: the fault's gva, 2: reverse index)\n",
		       a.source);
	EXPECT_EQ(DATA_GVA + TOUCH * PG, a.gva);
	EXPECT_EQ(p.cr3 & PHYSICAL_PAGE_MASK, a.cr3 & PHYSICAL_PAGE_MASK);
	EXPECT_EQ(KVMMIG_PAGING_LONG4, a.mode);
	n = expected(&p, gpa1, TOUCH, 4, NULL, want, 64);
	expect_list(_metadata, got, a.nr_gfns, want, n);

	/*
	 * The guest goes on to two prefetched neighbours: used.  Records
	 * without a gpa (shadow paging) are counted at the next call: one
	 * that lists nothing.
	 */
	EXPECT_EQ(0, session_stat(p.session, "prefetch_used"));
	guest_cmd(&p, CMD_TOUCH, TOUCH + 1);
	guest_cmd(&p, CMD_TOUCH, TOUCH - 1);
	a.max_gfns = 0;
	ASSERT_EQ(0, prefetch(p.session, &a));
	EXPECT_EQ(2, session_stat(p.session, "prefetch_used"));
	/* again: counted once */
	guest_cmd(&p, CMD_TOUCH, TOUCH + 1);
	ASSERT_EQ(0, prefetch(p.session, &a));
	EXPECT_EQ(2, session_stat(p.session, "prefetch_used"));
	EXPECT_EQ(8, session_stat(p.session, "prefetch_issued"));

	/* a frame without a record */
	a.gfn = gpa1(&p, TOUCH + 10) / PG;
	EXPECT_EQ(-ENOENT, prefetch(p.session, &a));
	EXPECT_EQ(0, faults(p.session, KVMMIG_FAULTS_DISABLE));
	pf_vm_destroy(&p);
}

/* A VMM killed while it asks for prefetch lists leaves nothing behind. */
static void vmm_prefetching(void *arg, int report_fd)
{
	struct kvmmig_prefetch a;
	uint64_t got[64];
	struct pf_vm p;
	__u32 id;
	int i = 0;

	pf_vm_create(&p, 7);
	guest_cmd(&p, CMD_TOUCH, TOUCH);
	TEST_ASSERT(!prefetch_cr3(&p, p.cr3, gpa1(&p, TOUCH), 64, got, 64, &a),
		    "prefetch");
	id = p.id;
	TEST_ASSERT(write(report_fd, &id, sizeof(id)) == sizeof(id), "report");
	for (;;) {
		prefetch_cr3(&p, i & 1 ? p.cr3_2 : p.cr3, gpa1(&p, i % DATA_PAGES),
			     64, got, 64, &a);
		i++;
	}
}

TEST(vmm_killed_while_prefetching)
{
	kill_vmm_at_work(_metadata, vmm_prefetching, NULL, 200);
}

TEST_HARNESS_MAIN
