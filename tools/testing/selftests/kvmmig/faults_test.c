// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: fault context (KVMMIG_FAULTS).  A guest touches pages
 * of a data slot it maps identity (guest-virtual == guest-physical); the
 * module's kvm_page_fault probe must record each first touch with the
 * vCPU, the guest's CR3 and paging mode, and the address: guest-physical
 * under NPT, guest-virtual (the guest's CR2) under shadow paging.  Plus:
 * DISABLE forgets, two VMs keep apart, bad input changes nothing, and a
 * VMM killed while its guest faults leaves nothing behind.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kvmmig_util.h"
#include "sweep.h"

#define PAGE_4K		4096ULL
#define DATA_PAGES	1024
#define TOUCH		6
#define ROOM		(KVMMIG_FAULTS_PER_VCPU * 4)

static int faults(int session, __u32 flags, struct kvmmig_fault_record *rec,
		  __u32 nr, struct kvmmig_faults *out)
{
	struct kvmmig_faults a = {
		.size = sizeof(a), .flags = flags, .nr_records = nr,
		.records_ptr = (__u64)(unsigned long)rec,
	};
	int ret = ioctl(session, KVMMIG_FAULTS, &a);

	if (out)
		*out = a;
	return ret ? -errno : 0;
}

static bool npt_enabled(void)
{
	char buf[8] = "";

	/* The test bed is AMD; no kvm_amd means EPT, which is TDP too. */
	if (read_text("/sys/module/kvm_amd/parameters/npt", buf, sizeof(buf)))
		return true;
	return buf[0] == 'Y' || buf[0] == '1';
}

struct fvm {
	struct sweep_vm s;
	int session;
	uint64_t cr3;
};

/* A VM that has run once (code, stack and the sweep page are mapped). */
static void fvm_create(struct __test_metadata *_metadata, struct fvm *f)
{
	struct kvm_sregs sregs;

	sweep_vm_create(&f->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	f->session = kvmmig_attach_vm(f->s.vm, NULL);
	ASSERT_GE(f->session, 0);
	sweep_run(&f->s, NULL, 0, false, 1);
	vcpu_sregs_get(f->s.vcpu, &sregs);
	f->cr3 = sregs.cr3;
}

static void fvm_destroy(struct fvm *f)
{
	close(f->session);
	kvm_vm_free(f->s.vm);
}

/* The record of data page @p, or NULL. */
static const struct kvmmig_fault_record *
find_page(const struct kvmmig_fault_record *rec, __u32 n, uint32_t p, bool tdp)
{
	uint64_t addr = SWEEP_DATA_GPA + (uint64_t)p * PAGE_4K;

	for (__u32 i = 0; i < n; i++) {
		if (tdp && (rec[i].flags & KVMMIG_FAULT_GFN) &&
		    rec[i].gfn == addr / PAGE_4K)
			return &rec[i];
		if (!tdp && (rec[i].flags & KVMMIG_FAULT_GVA) && rec[i].gva == addr)
			return &rec[i];
	}
	return NULL;
}

/* Each first touch is recorded, with its address space. */
TEST(records_first_touch)
{
	struct kvmmig_fault_record rec[ROOM];
	struct kvmmig_faults out;
	uint32_t list[TOUCH];
	bool tdp = npt_enabled();
	struct fvm f;
	__u32 i;

	fvm_create(_metadata, &f);
	ASSERT_EQ(1, ioctl(f.session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_FAULTS));
	ASSERT_EQ(0, faults(f.session, 0, NULL, 0, &out));
	EXPECT_EQ(0, out.enabled);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_ENABLE, NULL, 0, &out));
	EXPECT_EQ(1, out.enabled);
	EXPECT_EQ(0, out.nr_faults);

	sweep_pick(list, TOUCH, DATA_PAGES, 7, NULL);
	sweep_run(&f.s, list, TOUCH, true, 1);

	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	EXPECT_GE(out.nr_faults, TOUCH);
	EXPECT_GE(out.nr_records, TOUCH);
	EXPECT_LE(out.nr_records, KVMMIG_FAULTS_PER_VCPU);
	EXPECT_GE(session_stat(f.session, "faults_recorded"), TOUCH);
	printf("# %s: %u records, %llu faults\n", tdp ? "NPT" : "shadow paging",
	       out.nr_records, (unsigned long long)out.nr_faults);
	for (i = 0; i < TOUCH; i++) {
		const struct kvmmig_fault_record *r =
			find_page(rec, out.nr_records, list[i], tdp);

		ASSERT_NE(NULL, r) {
			TH_LOG("no record of page %u", list[i]);
		}
		EXPECT_EQ(0, r->vcpu);
		EXPECT_TRUE(r->flags & KVMMIG_FAULT_CR3);
		EXPECT_EQ(f.cr3, r->cr3);
		EXPECT_EQ(KVMMIG_PAGING_LONG4, r->mode);
		EXPECT_EQ(tdp, !!(r->flags & KVMMIG_FAULT_TDP));
		EXPECT_NE(0, r->time_ns);
	}
	/* newest first */
	for (i = 1; i < out.nr_records; i++)
		EXPECT_GE(rec[i - 1].time_ns, rec[i].time_ns);
	/* the page touched last is newer than the one touched first */
	EXPECT_LT(find_page(rec, out.nr_records, list[TOUCH - 1], tdp),
		  find_page(rec, out.nr_records, list[0], tdp));

	/* ENABLE again keeps what was recorded */
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_ENABLE, NULL, 0, &out));
	EXPECT_GE(out.nr_faults, TOUCH);

	/* pages touched again fault no more: nothing new is recorded */
	i = out.nr_faults;
	sweep_run(&f.s, list, TOUCH, true, 1);
	ASSERT_EQ(0, faults(f.session, 0, NULL, 0, &out));
	EXPECT_EQ(i, out.nr_faults);
	fvm_destroy(&f);
}

/* The ring keeps the newest KVMMIG_FAULTS_PER_VCPU of each vCPU. */
TEST(ring_keeps_newest)
{
	struct kvmmig_fault_record rec[ROOM];
	struct kvmmig_faults out;
	uint32_t list[64];
	bool tdp = npt_enabled();
	struct fvm f;
	__u32 i, found = 0;

	fvm_create(_metadata, &f);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_ENABLE, NULL, 0, NULL));
	for (i = 0; i < 64; i++)
		list[i] = i * 8;	/* one per 32 KiB: no large page */
	sweep_run(&f.s, list, 64, true, 1);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	EXPECT_GE(out.nr_faults, 64);
	EXPECT_EQ(KVMMIG_FAULTS_PER_VCPU, out.nr_records);
	/* the last few pages touched are there, the first ones are not */
	for (i = 64 - 4; i < 64; i++)
		found += !!find_page(rec, out.nr_records, list[i], tdp);
	EXPECT_EQ(4, found);
	EXPECT_EQ(NULL, find_page(rec, out.nr_records, list[0], tdp));
	/* a short buffer gets the newest */
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, 2, &out));
	EXPECT_EQ(2, out.nr_records);
	fvm_destroy(&f);
}

/* DISABLE forgets; faults after it are not recorded. */
TEST(disable_forgets)
{
	struct kvmmig_fault_record rec[ROOM];
	struct kvmmig_faults out;
	uint32_t list[TOUCH];
	struct fvm f;

	fvm_create(_metadata, &f);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_ENABLE, NULL, 0, NULL));
	sweep_pick(list, TOUCH, DATA_PAGES, 11, NULL);
	sweep_run(&f.s, list, TOUCH, true, 1);
	/* READ with DISABLE: the records come out, then go */
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ | KVMMIG_FAULTS_DISABLE,
			    rec, ROOM, &out));
	EXPECT_GE(out.nr_records, TOUCH);
	EXPECT_EQ(0, out.enabled);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	EXPECT_EQ(0, out.nr_records);
	EXPECT_EQ(0, out.nr_faults);
	sweep_pick(list, TOUCH, DATA_PAGES, 12, NULL);
	sweep_run(&f.s, list, TOUCH, true, 1);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	EXPECT_EQ(0, out.nr_records);
	EXPECT_EQ(0, out.enabled);
	/* DISABLE when off: fine */
	EXPECT_EQ(0, faults(f.session, KVMMIG_FAULTS_DISABLE, NULL, 0, NULL));
	fvm_destroy(&f);
}

/* Two VMs recording at once: each session sees its own VM's faults. */
TEST(two_vms_apart)
{
	struct kvmmig_fault_record rec[ROOM];
	struct kvmmig_faults out;
	uint32_t la[TOUCH], lb[TOUCH];
	bool tdp = npt_enabled();
	struct fvm a, b;
	__u32 i;

	fvm_create(_metadata, &a);
	fvm_create(_metadata, &b);
	ASSERT_EQ(0, faults(a.session, KVMMIG_FAULTS_ENABLE, NULL, 0, NULL));
	ASSERT_EQ(0, faults(b.session, KVMMIG_FAULTS_ENABLE, NULL, 0, NULL));
	for (i = 0; i < TOUCH; i++) {
		la[i] = i * 16;
		lb[i] = i * 16 + 512;
	}
	sweep_run(&a.s, la, TOUCH, true, 1);
	sweep_run(&b.s, lb, TOUCH, true, 1);
	ASSERT_EQ(0, faults(a.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	for (i = 0; i < TOUCH; i++) {
		EXPECT_NE(NULL, find_page(rec, out.nr_records, la[i], tdp));
		EXPECT_EQ(NULL, find_page(rec, out.nr_records, lb[i], tdp));
	}
	/* one stops; the other goes on recording */
	ASSERT_EQ(0, faults(a.session, KVMMIG_FAULTS_DISABLE, NULL, 0, NULL));
	for (i = 0; i < TOUCH; i++)
		lb[i] += 1;
	sweep_run(&b.s, lb, TOUCH, true, 1);
	ASSERT_EQ(0, faults(b.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	for (i = 0; i < TOUCH; i++)
		EXPECT_NE(NULL, find_page(rec, out.nr_records, lb[i], tdp));
	fvm_destroy(&a);
	/* b records after a's session is gone */
	for (i = 0; i < TOUCH; i++)
		lb[i] += 1;
	sweep_run(&b.s, lb, TOUCH, true, 1);
	ASSERT_EQ(0, faults(b.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	for (i = 0; i < TOUCH; i++)
		EXPECT_NE(NULL, find_page(rec, out.nr_records, lb[i], tdp));
	fvm_destroy(&b);
}

/* Bad input: a clear errno, and the recording state is unchanged. */
TEST(faults_bad_inputs)
{
	struct kvmmig_fault_record rec[4];
	struct kvmmig_faults a, out;
	struct fvm f;

	fvm_create(_metadata, &f);
	/* shorter than the structure without its reserved tail */
	a = (struct kvmmig_faults){ .size = offsetof(struct kvmmig_faults, reserved) - 8 };
	EXPECT_EQ(-1, ioctl(f.session, KVMMIG_FAULTS, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct kvmmig_faults){ .size = sizeof(a), .flags = 1U << 7 };
	EXPECT_EQ(-1, ioctl(f.session, KVMMIG_FAULTS, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, faults(f.session, KVMMIG_FAULTS_ENABLE |
				  KVMMIG_FAULTS_DISABLE, NULL, 0, NULL));
	/* records without READ */
	EXPECT_EQ(-EINVAL, faults(f.session, 0, rec, 4, NULL));
	EXPECT_EQ(-EINVAL, faults(f.session, KVMMIG_FAULTS_READ, rec,
				  KVMMIG_FAULTS_PER_VCPU * 4096 + 1, NULL));
	a = (struct kvmmig_faults){ .size = sizeof(a), .reserved0 = 1 };
	EXPECT_EQ(-1, ioctl(f.session, KVMMIG_FAULTS, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct kvmmig_faults){ .size = sizeof(a), .reserved1 = 1 };
	EXPECT_EQ(-1, ioctl(f.session, KVMMIG_FAULTS, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct kvmmig_faults){ .size = sizeof(a), .reserved[3] = 1 };
	EXPECT_EQ(-1, ioctl(f.session, KVMMIG_FAULTS, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(f.session, KVMMIG_FAULTS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* none of that enabled anything */
	ASSERT_EQ(0, faults(f.session, 0, NULL, 0, &out));
	EXPECT_EQ(0, out.enabled);
	/* READ into an unwritable buffer: -EFAULT, and ENABLE not done */
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_ENABLE, NULL, 0, NULL));
	sweep_run(&f.s, (uint32_t[]){ 3 }, 1, true, 1);
	EXPECT_EQ(-EFAULT, faults(f.session, KVMMIG_FAULTS_READ |
				  KVMMIG_FAULTS_DISABLE, (void *)8, 4, NULL));
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, 4, &out));
	EXPECT_EQ(1, out.enabled);
	EXPECT_GE(out.nr_records, 1);
	fvm_destroy(&f);
}

struct churn {
	struct sweep_vm *s;
	uint32_t list[256];
};

static void *churn_vcpu(void *arg)
{
	struct churn *c = arg;

	for (;;)
		sweep_run(c->s, c->list, 256, true, 1);
	return NULL;
}

/* The VMM dies while the probe records its guest's faults. */
static void vmm_faulting(void *arg, int report_fd)
{
	struct kvmmig_faults a = { .size = sizeof(a), .flags = KVMMIG_FAULTS_ENABLE };
	static struct churn c;
	struct sweep_vm s;
	pthread_t th;
	int session;
	__u32 id;

	sweep_vm_create(&s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	session = kvmmig_attach_vm(s.vm, &id);
	if (session < 0 || ioctl(session, KVMMIG_FAULTS, &a))
		_exit(2);
	c.s = &s;
	for (int i = 0; i < 256; i++)
		c.list[i] = i * 4;
	pthread_create(&th, NULL, churn_vcpu, &c);
	usleep(200 * 1000);
	if (write(report_fd, &id, sizeof(id)) != sizeof(id))
		_exit(3);
	/* zap the data slot over and over: every sweep faults again */
	for (;;) {
		madvise(addr_gpa2hva(s.vm, SWEEP_DATA_GPA), DATA_PAGES * PAGE_4K,
			MADV_DONTNEED);
		usleep(1000);
	}
}

TEST(vmm_killed_while_recording)
{
	struct kvmmig_fault_record rec[ROOM];
	struct kvmmig_faults out;
	struct fvm f;

	kill_vmm_at_work(_metadata, vmm_faulting, NULL, 300);
	/* the probe's registration came back to balance: a new VM records */
	fvm_create(_metadata, &f);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_ENABLE, NULL, 0, NULL));
	sweep_run(&f.s, (uint32_t[]){ 5, 9 }, 2, true, 1);
	ASSERT_EQ(0, faults(f.session, KVMMIG_FAULTS_READ, rec, ROOM, &out));
	EXPECT_GE(out.nr_records, 2);
	fvm_destroy(&f);
}

TEST_HARNESS_MAIN
