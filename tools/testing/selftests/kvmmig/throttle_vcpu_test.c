// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: a stun share per vCPU (KVMMIG_CAP_THROTTLE_PER_VCPU)
 * against real KVM.  Two vCPUs: vCPU 0 writes the pages of a logged data
 * slot in a loop, vCPU 1 only reads them; both count their passes in guest
 * memory that is not logged.  The test is the VMM: it harvests the dirty
 * rings itself (its own oracle of which vCPU pushed how many entries),
 * reports rounds through KVMMIG_MIGRATION and checks that the writer gets
 * the share and is stunned while the reader gets 0 and never sleeps.
 *
 * Oracles besides the shares the module returns: the test's own ring
 * harvest (the reader pushes nothing), the kvmmig:kvmmig_stun events per
 * vCPU index, and each vCPU thread's voluntary context switches
 * (/proc/self/task/<tid>/status: a stun is a sleep).  Counts only, no
 * timing: the guests' progress is printed, never asserted.
 */
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "kvmmig_util.h"

#define NR_VCPUS	2
#define WRITER		0
#define READER		1
#define DATA_GPA	BIT_ULL(30)	/* identity-mapped, dirty-logged */
#define DATA_SLOT	1
#define DATA_PAGES	256
#define RING_ENTRIES	4096
#define ROUND_MS	100
#define STUN_MS		500
#define TRACE		"/sys/kernel/tracing"
#define STUN_EV		TRACE "/events/kvmmig/kvmmig_stun/enable"

/* Slot 0 (not logged): one pass counter per vCPU, 64 bytes apart. */
static uint64_t guest_counters[NR_VCPUS * 8];

static void guest_code(uint64_t idx)
{
	uint64_t *data = (uint64_t *)DATA_GPA;
	uint64_t pass = 0, sum = 0;

	for (;;) {
		for (uint64_t p = 0; p < DATA_PAGES; p++) {
			if (idx == WRITER)
				WRITE_ONCE(data[p * 512], pass);
			else
				sum += READ_ONCE(data[p * 512]);
		}
		pass++;
		/* the reader's sum is kept alive in its counter's neighbour */
		WRITE_ONCE(guest_counters[idx * 8 + 1], sum);
		WRITE_ONCE(guest_counters[idx * 8], pass);
	}
}

struct pvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	pid_t tids[NR_VCPUS];
	uint32_t fetch[NR_VCPUS];	/* ring harvest positions */
	uint64_t *ctr;			/* host view of guest_counters */
	bool ring;
	int session;
	__u32 id;
};

static int vcpus_stop;

struct vcpu_arg {
	struct pvm *p;
	int idx;
};

static struct vcpu_arg vcpu_args[NR_VCPUS];

static void sig_nop(int sig)
{
}

static void *vcpu_loop(void *arg)
{
	struct vcpu_arg *va = arg;
	struct kvm_vcpu *vcpu = va->p->vcpus[va->idx];

	WRITE_ONCE(va->p->tids[va->idx], syscall(SYS_gettid));
	while (!READ_ONCE(vcpus_stop)) {
		if (ioctl(vcpu->fd, KVM_RUN, NULL) < 0 && errno != EINTR)
			break;
		/* KVM_EXIT_DIRTY_RING_FULL: the main thread harvests */
		if (vcpu->run->exit_reason == KVM_EXIT_DIRTY_RING_FULL)
			usleep(1000);
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Both vCPUs have made @n passes (bounded wait; false on timeout). */
static bool passes_reach(struct pvm *p, uint64_t n)
{
	for (int i = 0; i < 2000; i++) {
		if (READ_ONCE(p->ctr[WRITER * 8]) >= n &&
		    READ_ONCE(p->ctr[READER * 8]) >= n)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/*
 * The VM, its vCPUs running, the data slot faulted in by both (so that a
 * read never faults a page in writable, which KVM would log), then dirty
 * logging on: with a dirty ring when @ring, else the memslot bitmap.
 */
static void pvm_create(struct __test_metadata *_metadata, struct pvm *p,
		       bool ring)
{
	struct sigaction sa = { .sa_handler = sig_nop };

	memset(p, 0, sizeof(*p));
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: KVM_RUN -> EINTR */
	WRITE_ONCE(vcpus_stop, 0);
	p->ring = ring;
	p->vm = __vm_create(VM_MODE_DEFAULT, NR_VCPUS, DATA_PAGES);
	if (ring) {
		ASSERT_TRUE(kvm_has_cap(KVM_CAP_DIRTY_LOG_RING) ||
			    kvm_has_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL))
			TH_LOG("no KVM_CAP_DIRTY_LOG_RING in the test kernel");
		vm_enable_dirty_ring(p->vm, RING_ENTRIES * sizeof(struct kvm_dirty_gfn));
	}
	for (int i = 0; i < NR_VCPUS; i++) {
		p->vcpus[i] = vm_vcpu_add(p->vm, i, guest_code);
		vcpu_args_set(p->vcpus[i], 1, i);
		if (ring)
			vcpu_map_dirty_ring(p->vcpus[i]);
	}
	vm_userspace_mem_region_add(p->vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA,
				    DATA_SLOT, DATA_PAGES, 0);
	virt_map(p->vm, DATA_GPA, DATA_GPA, DATA_PAGES);
	p->ctr = addr_gva2hva(p->vm, (vm_vaddr_t)&guest_counters[0]);
	p->session = kvmmig_attach_vm(p->vm, &p->id);
	ASSERT_GE(p->session, 0);
	for (int i = 0; i < NR_VCPUS; i++) {
		vcpu_args[i] = (struct vcpu_arg){ .p = p, .idx = i };
		pthread_create(&p->threads[i], NULL, vcpu_loop, &vcpu_args[i]);
	}
	ASSERT_TRUE(passes_reach(p, 2)) TH_LOG("the guest does not run");
	vm_mem_region_set_flags(p->vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
}

static void pvm_destroy(struct pvm *p)
{
	WRITE_ONCE(vcpus_stop, 1);
	for (int i = 0; i < NR_VCPUS; i++)
		pthread_kill(p->threads[i], SIGUSR1);
	for (int i = 0; i < NR_VCPUS; i++)
		pthread_join(p->threads[i], NULL);
	close(p->session);
	kvm_vm_free(p->vm);
}

/*
 * The VMM's harvest: each vCPU's ring entries since the last harvest into
 * @pushed, every one marked for reset, then KVM_RESET_DIRTY_RINGS (the
 * pages are write-protected again, so the writer dirties them anew).
 * Entries outside the data slot are counted too: none are expected.
 */
static void harvest(struct __test_metadata *_metadata, struct pvm *p,
		    uint64_t pushed[NR_VCPUS])
{
	for (int i = 0; i < NR_VCPUS; i++) {
		struct kvm_dirty_gfn *g = p->vcpus[i]->dirty_gfns;

		pushed[i] = 0;
		for (;;) {
			struct kvm_dirty_gfn *e = &g[p->fetch[i] % RING_ENTRIES];

			if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) &
			      KVM_DIRTY_GFN_F_DIRTY))
				break;
			EXPECT_EQ(DATA_SLOT, e->slot);
			__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
					 __ATOMIC_RELEASE);
			p->fetch[i]++;
			pushed[i]++;
		}
	}
	EXPECT_LE(0, __vm_ioctl(p->vm, KVM_RESET_DIRTY_RINGS, NULL));
}

/* KVMMIG_MIGRATION with the vCPU shares out; 0 or -errno. */
static int migration(int session, struct kvmmig_migration *a, __u32 *shares,
		     __u32 cap)
{
	a->size = sizeof(*a);
	a->vcpu_shares_ptr = (__u64)(unsigned long)shares;
	a->nr_vcpus = cap;
	return ioctl(session, KVMMIG_MIGRATION, a) ? -errno : 0;
}

/* One round of @dirty pages dirtied and as many sent, @ns long. */
static int round_of(int session, __u64 dirty, __u64 ns, __u64 remaining,
		    struct kvmmig_migration *a, __u32 *shares)
{
	*a = (struct kvmmig_migration){
		.flags = KVMMIG_MIGRATION_ROUND, .dirty_pages = dirty,
		.sent_pages = dirty, .round_ns = ns ? ns : 1,
		.remaining_pages = remaining,
	};
	return migration(session, a, shares, NR_VCPUS);
}

static uint64_t voluntary_switches(pid_t tid)
{
	char path[64], buf[4096], *at;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return 0;
	at = strstr(buf, "\nvoluntary_ctxt_switches:");
	return at ? strtoull(at + strlen("\nvoluntary_ctxt_switches:"), NULL, 10) : 0;
}

struct stun_counts {
	uint64_t events[NR_VCPUS];	/* kvmmig:kvmmig_stun per vCPU index */
	uint64_t vcs[NR_VCPUS];		/* voluntary switches of each thread */
	uint64_t passes[NR_VCPUS];	/* guest progress, printed only */
	uint64_t slices, skipped;	/* the session's counters */
};

/*
 * Count, over STUN_MS with the shares in force, the stuns of each vCPU:
 * the stun events of this session by vCPU index, each vCPU thread's
 * voluntary context switches and the stats counters.
 */
static void count_stuns(struct __test_metadata *_metadata, struct pvm *p,
			struct stun_counts *c)
{
	uint64_t vcs0[NR_VCPUS], passes0[NR_VCPUS], slices0, skipped0;
	char *buf = calloc(1, 1 << 20), want[64];
	ssize_t n, len = 0;
	int fd;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, write_text(TRACE "/trace", ""));
	ASSERT_EQ(0, write_text(STUN_EV, "1"));
	slices0 = session_stat(p->session, "stun_slices");
	skipped0 = session_stat(p->session, "stun_skipped");
	for (int i = 0; i < NR_VCPUS; i++) {
		vcs0[i] = voluntary_switches(p->tids[i]);
		passes0[i] = READ_ONCE(p->ctr[i * 8]);
	}
	usleep(STUN_MS * 1000);
	for (int i = 0; i < NR_VCPUS; i++) {
		c->vcs[i] = voluntary_switches(p->tids[i]) - vcs0[i];
		c->passes[i] = READ_ONCE(p->ctr[i * 8]) - passes0[i];
	}
	c->slices = session_stat(p->session, "stun_slices") - slices0;
	c->skipped = session_stat(p->session, "stun_skipped") - skipped0;
	ASSERT_EQ(0, write_text(STUN_EV, "0"));
	fd = open(TRACE "/trace", O_RDONLY);
	ASSERT_GE(fd, 0);
	while (len < (1 << 20) - 1 &&
	       (n = read(fd, buf + len, (1 << 20) - 1 - len)) > 0)
		len += n;
	close(fd);
	for (int i = 0; i < NR_VCPUS; i++) {
		char *at = buf;

		c->events[i] = 0;
		snprintf(want, sizeof(want), "session=%u vcpu=%d pct=", p->id, i);
		while ((at = strstr(at, want))) {
			c->events[i]++;
			at += strlen(want);
		}
	}
	free(buf);
	TH_LOG("stun events: writer %llu, reader %llu; voluntary switches: %llu, %llu",
	       (unsigned long long)c->events[WRITER],
	       (unsigned long long)c->events[READER],
	       (unsigned long long)c->vcs[WRITER],
	       (unsigned long long)c->vcs[READER]);
	TH_LOG("stun_slices %llu, stun_skipped %llu; passes: writer %llu, reader %llu",
	       (unsigned long long)c->slices, (unsigned long long)c->skipped,
	       (unsigned long long)c->passes[WRITER],
	       (unsigned long long)c->passes[READER]);
}

/*
 * Dirty ring: the writer alone dirties, so it alone sleeps the share the
 * controller chose; the reader gets 0 and is never stunned.
 */
TEST(ring_writer_stunned_reader_not)
{
	__u32 shares[NR_VCPUS + 1] = { 7, 7, 7 };
	struct kvmmig_migration a = { .flags = KVMMIG_MIGRATION_START |
					       KVMMIG_MIGRATION_NO_HISTORY };
	uint64_t pushed[NR_VCPUS], remaining = 100000, t0, t1;
	struct stun_counts c;
	struct pvm p;
	int dev;

	kvmmig_params_guard(_metadata);
	dev = kvmmig_open();
	ASSERT_GE(dev, 0);
	EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION,
			   KVMMIG_CAP_THROTTLE_PER_VCPU));
	close(dev);
	pvm_create(_metadata, &p, true);
	ASSERT_EQ(1, ioctl(p.session, KVMMIG_CHECK_EXTENSION,
			   KVMMIG_CAP_THROTTLE_PER_VCPU));
	usleep(ROUND_MS * 1000);
	harvest(_metadata, &p, pushed);		/* before the migration */

	/* START: no round yet, no share */
	ASSERT_EQ(0, migration(p.session, &a, shares, NR_VCPUS + 1));
	EXPECT_EQ(0, a.throttle_pct);
	EXPECT_EQ(KVMMIG_SHARE_VM, a.share_scope);
	EXPECT_EQ(NR_VCPUS, a.nr_vcpus);
	for (int i = 0; i <= NR_VCPUS; i++)
		EXPECT_EQ(0, shares[i]);

	/* two rounds of the writer's dirtying: the share rises */
	t0 = now_ns();
	for (int r = 0; r < 2; r++) {
		usleep(ROUND_MS * 1000);
		harvest(_metadata, &p, pushed);
		t1 = now_ns();
		TH_LOG("round %d: ring entries: writer %llu, reader %llu", r,
		       (unsigned long long)pushed[WRITER],
		       (unsigned long long)pushed[READER]);
		/* the oracle: only the writer dirtied */
		ASSERT_GT(pushed[WRITER], 0);
		ASSERT_EQ(0, pushed[READER]);
		ASSERT_EQ(0, round_of(p.session, pushed[WRITER] + pushed[READER],
				      t1 - t0, remaining += 1000, &a, shares));
		t0 = t1;
		EXPECT_GT(a.throttle_pct, 0);
		EXPECT_EQ(KVMMIG_SHARE_PER_VCPU, a.share_scope);
		EXPECT_EQ(NR_VCPUS, a.nr_vcpus);
		/* one dirtier: it gets the VM-wide share, the reader none */
		EXPECT_EQ(a.throttle_pct, shares[WRITER]);
		EXPECT_EQ(0, shares[READER]);
	}
	EXPECT_EQ(1, session_stat(p.session, "stun_vcpus"));
	EXPECT_EQ(a.throttle_pct, session_stat(p.session, "throttle_pct"));

	count_stuns(_metadata, &p, &c);
	EXPECT_GT(c.events[WRITER], 0);
	EXPECT_EQ(0, c.events[READER]);
	EXPECT_GT(c.slices, 0);
	EXPECT_GT(c.skipped, 0);		/* the reader's slices */
	/* each stun is a sleep of the writer's thread; the reader never sleeps */
	EXPECT_GT(c.vcs[WRITER], 0);
	EXPECT_LT(c.vcs[READER], c.vcs[WRITER]);

	/* END: every share 0, VM-wide again */
	a = (struct kvmmig_migration){ .flags = KVMMIG_MIGRATION_END,
				       .outcome = KVMMIG_OUTCOME_CONVERGED };
	memset(shares, 7, sizeof(shares));
	ASSERT_EQ(0, migration(p.session, &a, shares, NR_VCPUS));
	EXPECT_EQ(0, a.throttle_pct);
	EXPECT_EQ(KVMMIG_SHARE_VM, a.share_scope);
	EXPECT_EQ(0, shares[WRITER]);
	EXPECT_EQ(0, shares[READER]);
	EXPECT_EQ(7 * 0x01010101U, shares[NR_VCPUS]);	/* past the capacity */
	EXPECT_EQ(0, session_stat(p.session, "stun_vcpus"));
	pvm_destroy(&p);
}

/*
 * FIXED on a ring VM: the VMM's share, VM-wide (a QEMU-style baseline);
 * a caller of the first version (size without the new fields) gets
 * throttle_pct alone, as before.
 */
TEST(ring_fixed_and_old_callers_vm_wide)
{
	__u32 shares[NR_VCPUS];
	struct kvmmig_migration a = { .flags = KVMMIG_MIGRATION_START |
					       KVMMIG_MIGRATION_FIXED,
				      .throttle_pct = 40 };
	struct kvmmig_ioctl_info info = { .size = sizeof(info),
					  .cmd = KVMMIG_MIGRATION };
	uint64_t pushed[NR_VCPUS];
	struct pvm p;

	pvm_create(_metadata, &p, true);
	ASSERT_EQ(0, ioctl(p.session, KVMMIG_IOCTL_INFO, &info));
	EXPECT_EQ(offsetof(struct kvmmig_migration, vcpu_shares_ptr),
		  info.struct_size_min);
	EXPECT_EQ(sizeof(struct kvmmig_migration), info.struct_size);
	ASSERT_EQ(0, migration(p.session, &a, shares, NR_VCPUS));
	EXPECT_EQ(KVMMIG_SHARE_VM, a.share_scope);
	EXPECT_EQ(40, shares[WRITER]);
	EXPECT_EQ(40, shares[READER]);
	usleep(ROUND_MS * 1000);
	harvest(_metadata, &p, pushed);
	a = (struct kvmmig_migration){
		.flags = KVMMIG_MIGRATION_ROUND | KVMMIG_MIGRATION_FIXED,
		.throttle_pct = 30, .dirty_pages = pushed[WRITER],
		.round_ns = ROUND_MS * 1000000ULL,
	};
	ASSERT_EQ(0, migration(p.session, &a, shares, NR_VCPUS));
	EXPECT_EQ(KVMMIG_SHARE_VM, a.share_scope);
	EXPECT_EQ(30, shares[WRITER]);
	EXPECT_EQ(30, shares[READER]);

	/* the first version's size: no vCPU fields, not even read */
	usleep(ROUND_MS * 1000);
	harvest(_metadata, &p, pushed);
	a = (struct kvmmig_migration){
		.size = offsetof(struct kvmmig_migration, vcpu_shares_ptr),
		.flags = KVMMIG_MIGRATION_ROUND, .dirty_pages = pushed[WRITER],
		.sent_pages = pushed[WRITER], .round_ns = ROUND_MS * 1000000ULL,
		.remaining_pages = 1000, .nr_vcpus = 99, .share_scope = 99,
	};
	ASSERT_EQ(0, ioctl(p.session, KVMMIG_MIGRATION, &a));
	EXPECT_GT(a.throttle_pct, 0);
	EXPECT_EQ(99, a.nr_vcpus);	/* past the caller's size: untouched */
	EXPECT_EQ(99, a.share_scope);
	/* yet the split applies: the stats show one vCPU stunned */
	EXPECT_EQ(1, session_stat(p.session, "stun_vcpus"));
	a = (struct kvmmig_migration){ .flags = KVMMIG_MIGRATION_END,
				       .outcome = KVMMIG_OUTCOME_CANCELLED };
	ASSERT_EQ(0, migration(p.session, &a, NULL, 0));
	pvm_destroy(&p);
}

/* The memslot bitmap, no ring: the one VM-wide share, both vCPUs stunned. */
TEST(bitmap_vm_wide)
{
	__u32 shares[NR_VCPUS] = { 7, 7 };
	struct kvmmig_migration a = { .flags = KVMMIG_MIGRATION_START |
					       KVMMIG_MIGRATION_NO_HISTORY };
	struct stun_counts c;
	struct pvm p;

	kvmmig_params_guard(_metadata);
	pvm_create(_metadata, &p, false);
	ASSERT_EQ(0, migration(p.session, &a, shares, NR_VCPUS));
	usleep(ROUND_MS * 1000);
	ASSERT_EQ(0, round_of(p.session, DATA_PAGES, ROUND_MS * 1000000ULL,
			      100000, &a, shares));
	EXPECT_GT(a.throttle_pct, 0);
	EXPECT_EQ(KVMMIG_SHARE_VM, a.share_scope);
	EXPECT_EQ(NR_VCPUS, a.nr_vcpus);
	EXPECT_EQ(a.throttle_pct, shares[WRITER]);
	EXPECT_EQ(a.throttle_pct, shares[READER]);
	EXPECT_EQ(NR_VCPUS, session_stat(p.session, "stun_vcpus"));

	count_stuns(_metadata, &p, &c);
	/* both vCPUs: as before the split */
	EXPECT_GT(c.events[WRITER], 0);
	EXPECT_GT(c.events[READER], 0);
	EXPECT_EQ(0, c.skipped);
	a = (struct kvmmig_migration){ .flags = KVMMIG_MIGRATION_END,
				       .outcome = KVMMIG_OUTCOME_CONVERGED };
	ASSERT_EQ(0, migration(p.session, &a, shares, NR_VCPUS));
	EXPECT_EQ(0, shares[WRITER]);
	EXPECT_EQ(0, shares[READER]);
	pvm_destroy(&p);
}

/* One operation with valid inputs of its own, the shares into @shares. */
static int mig(int session, struct kvmmig_migration *a, __u32 flags,
	       __u32 *shares, __u32 cap)
{
	*a = (struct kvmmig_migration){ .flags = flags };
	if (flags & KVMMIG_MIGRATION_ROUND) {
		a->dirty_pages = 30000;
		a->sent_pages = 10000;
		a->round_ns = 100000000;
	}
	if (flags & KVMMIG_MIGRATION_END)
		a->outcome = KVMMIG_OUTCOME_CANCELLED;
	return migration(session, a, shares, cap);
}

/*
 * Bad vCPU share arguments: -EINVAL for a capacity above the bound or
 * without a buffer, -EFAULT for a buffer the kernel cannot write; nothing
 * changes (no decision, the migration's state and share as they were).
 */
TEST(bad_share_buffers)
{
	struct kvm_vm *vm = vm_create_barebones();
	int session = kvmmig_attach_vm(vm, NULL);
	struct kvmmig_migration a;
	__u32 *ro, *none, shares[4];
	uint64_t decisions;

	ASSERT_GE(session, 0);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);

#define MIG(flags_, ptr, cap) mig(session, &a, (flags_), (ptr), (cap))
	/* not running: START refused, so it can still be started */
	EXPECT_EQ(-EFAULT, MIG(KVMMIG_MIGRATION_START, ro, 2));
	EXPECT_EQ(-EFAULT, MIG(KVMMIG_MIGRATION_START, none, 2));
	EXPECT_EQ(-EFAULT, MIG(KVMMIG_MIGRATION_START, (__u32 *)8, 1));
	EXPECT_EQ(-EINVAL, MIG(KVMMIG_MIGRATION_START, shares,
			       KVMMIG_MIGRATION_MAX_VCPUS + 1));
	EXPECT_EQ(-EINVAL, MIG(KVMMIG_MIGRATION_START, NULL, 2));
	EXPECT_EQ(0, session_stat(session, "throttle_decisions"));
	ASSERT_EQ(0, MIG(KVMMIG_MIGRATION_START, shares, 4));
	EXPECT_EQ(0, a.nr_vcpus);		/* a barebones VM */
	EXPECT_EQ(0, a.rounds);
	ASSERT_EQ(0, MIG(KVMMIG_MIGRATION_ROUND, NULL, 0));
	EXPECT_EQ(1, a.rounds);
	EXPECT_GT(a.throttle_pct, 0);

	/* running: a bad ROUND or END changes nothing */
	decisions = session_stat(session, "throttle_decisions");
	EXPECT_EQ(-EFAULT, MIG(KVMMIG_MIGRATION_ROUND, ro, 1));
	EXPECT_EQ(-EFAULT, MIG(KVMMIG_MIGRATION_END, ro, 1));
	EXPECT_EQ(-EINVAL, MIG(KVMMIG_MIGRATION_ROUND, shares, ~0U));
	EXPECT_EQ(decisions, session_stat(session, "throttle_decisions"));
	EXPECT_EQ(-EBUSY, MIG(KVMMIG_MIGRATION_START, NULL, 0));	/* still running */
	/* the next good ROUND is the second */
	ASSERT_EQ(0, MIG(KVMMIG_MIGRATION_ROUND, shares, 4));
	EXPECT_EQ(2, a.rounds);
	ASSERT_EQ(0, MIG(KVMMIG_MIGRATION_END, shares, 4));
	EXPECT_EQ(1, session_stat(session, "migrations"));
#undef MIG
	munmap(ro, 4096);
	munmap(none, 4096);
	close(session);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
