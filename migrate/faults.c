// SPDX-License-Identifier: GPL-2.0
/*
 * Fault context: a probe on KVM's exported kvm_page_fault
 * tracepoint keeps, per vCPU, the last KVMMIG_FAULTS_PER_VCPU guest page
 * faults KVM handled: the guest-physical address (EPT/NPT faults), the
 * guest-virtual one where the fault gives it (shadow paging: the guest's
 * CR2; Intel EPT: the guest linear address), and the guest's CR3 and
 * paging mode.  KVMMIG_PREFETCH uses them to find the address space a
 * faulting page was touched from; KVMMIG_GET_WORKING_SET adds the frames.
 *
 * The probe runs on the vCPU thread inside KVM's exit handler, with
 * preemption disabled.  It reads only registers KVM already holds (SVM
 * with NPT copies CR0 and CR3 from the VMCB before the exit handler runs;
 * CR4 and EFER writes are intercepted; shadow paging intercepts all of
 * them) and never touches guest memory.
 *
 * Lock order and lifetime:
 *   kvmmig_faults_mutex (global: the probe's registration and the list of
 *   recording contexts) nests inside s->lock, never the other way round.
 *   The probe walks the list under rcu_read_lock(); a context leaves it
 *   with list_del_rcu() and is freed after synchronize_rcu().  Each vCPU's
 *   ring is written only by that vCPU's thread (KVM runs a vCPU on one
 *   thread at a time) inside a seqcount write section; readers retry.
 */

#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <kvmmig/fault_tp.h>
#include <kvmmig/guest_pt.h>
#include <kvmmig/core.h>
#include <kvmmig/ioctl.h>
#include <kvmmig/faults.h>
#include <kvmmig/prefetch.h>

/* Counters of the feature in the stats fd */
enum kvmmig_faults_stat {
	KVMMIG_STAT_FAULTS_RECORDED,
};

#if KVMMIG_FAULT_PROBE
/*
 * Exported by kvm.ko (EXPORT_TRACEPOINT_SYMBOL_GPL(kvm_page_fault)); its
 * probes' type, as checked for this kernel (include/kvmmig/fault_tp.h).
 */
extern struct tracepoint __tracepoint_kvm_page_fault;
typedef void (*kvmmig_kvm_page_fault_probe_t)(void *data,
					      KVMMIG_TP_KVM_PAGE_FAULT);
#endif

/* Intel: EPT violation qualification bit 7, "guest linear address valid" */
#define KVMMIG_EPT_GLA_VALID		BIT_ULL(7)
#define KVMMIG_VMCS_GUEST_CR3		0x6802
#define KVMMIG_VMCS_GUEST_LINEAR	0x640a
#define KVMMIG_VMCS_EXIT_REASON		0x4402
#define KVMMIG_EXIT_EPT_VIOLATION	48

/**
 * struct kvmmig_vcpu_faults - the recent faults of one vCPU
 * @seq: write section of the vCPU's thread; readers retry
 * @next: slot the next fault goes to (counts up, modulo the ring)
 * @rec: the ring
 */
struct kvmmig_vcpu_faults {
	seqcount_t seq;
	u32 next;
	struct kvmmig_fault_record rec[KVMMIG_FAULTS_PER_VCPU];
};

/**
 * struct kvmmig_faults_ctx - fault recording of one session
 * @node: in kvmmig_faults_list while recording
 * @s: the session (outlives the context)
 * @kvm: the VM, to match the probe's vCPU
 * @enabled: recording (under s->lock)
 * @nr_vcpus: rings allocated in @vcpus (only grows, under s->lock)
 * @vcpus: one ring per vCPU index, %NULL at and above @nr_vcpus; a ring is
 *	stored before @nr_vcpus is raised over it (release/acquire)
 * @nr_faults: faults recorded since ENABLE
 */
struct kvmmig_faults_ctx {
	struct list_head node;
	struct kvmmig_session *s;
	struct kvm *kvm;
	bool enabled;
	u32 nr_vcpus;
	struct kvmmig_vcpu_faults **vcpus;
	atomic64_t nr_faults;
};

static DEFINE_MUTEX(kvmmig_faults_mutex);
static LIST_HEAD(kvmmig_faults_list);
static unsigned int kvmmig_faults_users;

#if KVMMIG_FAULT_PROBE
/* A vmread that cannot fail silently: 0 when the field is unavailable. */
static u64 kvmmig_vmread(unsigned long field)
{
#ifdef CONFIG_X86_64
	unsigned long val = 0;
	bool fail;

	asm volatile("vmread %[field], %[val]\n\t"
		     "setbe %[fail]"
		     : [val] "=rm" (val), [fail] "=qm" (fail)
		     : [field] "r" (field) : "cc");
	return fail ? 0 : val;
#else
	return 0;
#endif
}

/*
 * Fill @r from the vCPU's registers and the traced address.  On AMD with
 * NPT (and Intel with EPT) @addr is a guest-physical address; under
 * shadow paging it is the guest-virtual one (the guest's CR2), unless the
 * guest runs without paging, where the two are one.
 */
static void kvmmig_fault_fill(struct kvm_vcpu *vcpu, u64 addr, u64 err,
			      struct kvmmig_fault_record *r)
{
	bool vmx = boot_cpu_data.x86_vendor == X86_VENDOR_INTEL ||
		   boot_cpu_data.x86_vendor == X86_VENDOR_ZHAOXIN;
	/*
	 * A two-dimensional paging fault.  On AMD an NPF always sets one of
	 * error code bits 32/33; a #PF KVM intercepts while NPT is on (for
	 * allow_smaller_maxphyaddr) sets neither and traces the guest's CR2.
	 * On Intel the VMCS being handled says which exit this is: an EPT
	 * violation traces the GPA with its exit qualification, an
	 * intercepted #PF the guest's CR2 with a page-fault error code.
	 */
	bool direct = vcpu->arch.mmu->root_role.direct &&
		      (vmx ? (kvmmig_vmread(KVMMIG_VMCS_EXIT_REASON) & 0xffff) ==
			     KVMMIG_EXIT_EPT_VIOLATION :
			     err & (PFERR_GUEST_FINAL_MASK |
				    PFERR_GUEST_PAGE_MASK));
	u64 cr3 = vcpu->arch.cr3;
	u32 mode = kvmmig_gpt_mode_from_regs(vcpu->arch.cr0, vcpu->arch.cr4,
					     vcpu->arch.efer);

	/*
	 * SEV-ES and later: the guest's registers are encrypted, and what
	 * KVM holds of CR0/CR3/CR4/EFER is stale.  Record no address space.
	 */
	if (vcpu->arch.guest_state_protected) {
		mode = 0;
		cr3 = 0;
	}

	r->error_code = err;
	r->time_ns = ktime_get_ns();
	r->vcpu = vcpu->vcpu_idx;
	r->flags = 0;
	r->gva = 0;
	r->gfn = 0;
	if (direct) {
		r->gfn = addr >> PAGE_SHIFT;
		r->flags |= KVMMIG_FAULT_GFN | KVMMIG_FAULT_TDP;
		/*
		 * VMX with EPT caches CR3 lazily; the VMCS is loaded here (we
		 * run inside the exit handler), so read it and the linear
		 * address of the violation.  Compile-tested only: the test bed
		 * is AMD.
		 */
		if (vmx && mode) {
			if (!(vcpu->arch.regs_avail & BIT(VCPU_EXREG_CR3)))
				cr3 = kvmmig_vmread(KVMMIG_VMCS_GUEST_CR3);
			if (err & KVMMIG_EPT_GLA_VALID) {
				r->gva = kvmmig_vmread(KVMMIG_VMCS_GUEST_LINEAR) &
					 PAGE_MASK;
				r->flags |= KVMMIG_FAULT_GVA;
			}
		}
	} else if (mode) {
		r->gva = addr & PAGE_MASK;
		r->flags |= KVMMIG_FAULT_GVA;
	} else {
		r->gfn = addr >> PAGE_SHIFT;
		r->flags |= KVMMIG_FAULT_GFN;
	}
	r->mode = mode;
	r->cr3 = mode ? cr3 : 0;
	if (mode)
		r->flags |= KVMMIG_FAULT_CR3;
}

/* Tracepoint probe: the vCPU thread, preemption off. */
static void kvmmig_fault_probe(void *data, KVMMIG_TP_KVM_PAGE_FAULT)
{
	struct kvmmig_faults_ctx *fc;

	rcu_read_lock();
	list_for_each_entry_rcu(fc, &kvmmig_faults_list, node) {
		struct kvmmig_vcpu_faults **v, *ring;
		struct kvmmig_fault_record *r;

		if (fc->kvm != vcpu->kvm)
			continue;
		/* L2's faults are in L2's address spaces: not ours to name */
		if (vcpu->arch.hflags & HF_GUEST_MASK)
			break;
		v = READ_ONCE(fc->vcpus);	/* set before list_add_rcu() */
		/* pairs with the release in kvmmig_faults_grow() */
		if (!v || vcpu->vcpu_idx >= smp_load_acquire(&fc->nr_vcpus))
			break;
		ring = READ_ONCE(v[vcpu->vcpu_idx]);
		if (!ring)
			break;
		write_seqcount_begin(&ring->seq);
		r = &ring->rec[ring->next % KVMMIG_FAULTS_PER_VCPU];
		kvmmig_fault_fill(vcpu, fault_address, error_code, r);
		ring->next++;
		write_seqcount_end(&ring->seq);
		atomic64_inc(&fc->nr_faults);
		kvmmig_stat_add(fc->s, KVMMIG_FEAT_FAULTS, KVMMIG_STAT_FAULTS_RECORDED, 1);
		if (r->flags & KVMMIG_FAULT_GFN)
			kvmmig_prefetch_note_fault(fc->s, r->gfn);
		break;
	}
	rcu_read_unlock();
}

static_assert(__same_type(&kvmmig_fault_probe, kvmmig_kvm_page_fault_probe_t));

static int kvmmig_fault_probe_register(void)
{
	return tracepoint_probe_register(&__tracepoint_kvm_page_fault,
					 kvmmig_fault_probe, NULL);
}

static void kvmmig_fault_probe_unregister(void)
{
	tracepoint_probe_unregister(&__tracepoint_kvm_page_fault,
				    kvmmig_fault_probe, NULL);
}
#else
/* Not checked against this kernel's tracepoint: not registered. */
static int kvmmig_fault_probe_register(void)
{
	return -EOPNOTSUPP;
}

static void kvmmig_fault_probe_unregister(void)
{
}
#endif /* KVMMIG_FAULT_PROBE */

/* Rings for vCPUs created since; under s->lock. */
static int kvmmig_faults_grow(struct kvmmig_faults_ctx *fc)
{
	u32 online = min_t(u32, atomic_read(&fc->kvm->online_vcpus),
			   KVM_MAX_VCPUS);
	u32 i;

	lockdep_assert_held(&fc->s->lock);
	for (i = fc->nr_vcpus; i < online; i++) {
		struct kvmmig_vcpu_faults *ring;

		ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
		if (!ring)
			return -ENOMEM;
		seqcount_init(&ring->seq);
		WRITE_ONCE(fc->vcpus[i], ring);
		/* the ring is visible before the count that covers it */
		smp_store_release(&fc->nr_vcpus, i + 1);
	}
	return 0;
}

/* Copy one ring consistently. */
static u32 kvmmig_ring_read(struct kvmmig_vcpu_faults *ring,
			    struct kvmmig_fault_record *out)
{
	unsigned int seq;
	u32 n;

	do {
		seq = read_seqcount_begin(&ring->seq);
		n = min_t(u32, ring->next, KVMMIG_FAULTS_PER_VCPU);
		memcpy(out, ring->rec, sizeof(ring->rec));
	} while (read_seqcount_retry(&ring->seq, seq));
	return n;
}

static int kvmmig_record_newer(const void *a, const void *b)
{
	const struct kvmmig_fault_record *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns > y->time_ns ? -1 : 1;
	return 0;
}

/*
 * Every vCPU's records, newest first, into a new array (@*out, kvfree it).
 * Under s->lock.  Return: records, or a negative errno.
 */
static long kvmmig_faults_collect(struct kvmmig_faults_ctx *fc,
				  struct kvmmig_fault_record **out)
{
	struct kvmmig_fault_record *all;
	u32 i, n = 0;

	*out = NULL;
	if (!fc->enabled || !fc->nr_vcpus)
		return 0;
	all = kvmalloc_array(fc->nr_vcpus * KVMMIG_FAULTS_PER_VCPU,
			     sizeof(*all), GFP_KERNEL_ACCOUNT);
	if (!all)
		return -ENOMEM;
	/* each ring copies whole; only its first @got records count */
	for (i = 0; i < fc->nr_vcpus; i++)
		n += kvmmig_ring_read(fc->vcpus[i], all + n);
	sort(all, n, sizeof(*all), kvmmig_record_newer, NULL);
	*out = all;
	return n;
}

/**
 * kvmmig_faults_snapshot - copy out the fault records of every vCPU
 * @s: the session
 * @out: room for @max records
 * @max: its size
 *
 * Process context; takes s->lock (killable) and copies no user memory.
 * Records of all vCPUs, the newest first.
 *
 * Return: records written (0 while recording is off, on -ENOMEM or on a
 * fatal signal).  vCPUs
 * created since recording began get their rings here (or at the next
 * KVMMIG_FAULTS): their faults count from then.
 */
u32 kvmmig_faults_snapshot(struct kvmmig_session *s,
			   struct kvmmig_fault_record *out, u32 max)
{
	struct kvmmig_fault_record *all;
	long n;

	if (mutex_lock_killable(&s->lock))
		return 0;
	/* vCPUs created since the last KVMMIG_FAULTS get their rings */
	if (kvmmig_faults(s)->enabled)
		kvmmig_faults_grow(kvmmig_faults(s));
	n = kvmmig_faults_collect(kvmmig_faults(s), &all);
	mutex_unlock(&s->lock);
	if (n <= 0) {
		kvfree(all);
		return 0;
	}
	n = min_t(long, n, max);
	memcpy(out, all, n * sizeof(*out));
	kvfree(all);
	return n;
}

static void kvmmig_faults_free_rings(struct kvmmig_faults_ctx *fc)
{
	u32 i;

	for (i = 0; i < fc->nr_vcpus; i++)
		kfree(fc->vcpus[i]);
	kvfree(fc->vcpus);
	fc->vcpus = NULL;
	fc->nr_vcpus = 0;
}

/* Under s->lock. */
static int kvmmig_faults_enable(struct kvmmig_faults_ctx *fc)
{
	int ret;

	lockdep_assert_held(&fc->s->lock);
	if (fc->enabled)
		return 0;
	fc->vcpus = kvcalloc(KVM_MAX_VCPUS, sizeof(*fc->vcpus),
			     GFP_KERNEL_ACCOUNT);
	if (!fc->vcpus)
		return -ENOMEM;
	ret = kvmmig_faults_grow(fc);
	if (ret)
		goto err_free;

	mutex_lock(&kvmmig_faults_mutex);
	if (!kvmmig_faults_users) {
		ret = kvmmig_fault_probe_register();
		if (ret) {
			mutex_unlock(&kvmmig_faults_mutex);
			goto err_free;
		}
	}
	kvmmig_faults_users++;
	atomic64_set(&fc->nr_faults, 0);
	list_add_tail_rcu(&fc->node, &kvmmig_faults_list);
	mutex_unlock(&kvmmig_faults_mutex);
	fc->enabled = true;
	return 0;

err_free:
	kvmmig_faults_free_rings(fc);
	return ret;
}

/* Under s->lock (or with the session unreachable). */
static void kvmmig_faults_disable(struct kvmmig_faults_ctx *fc)
{
	bool last;

	if (!fc->enabled)
		return;
	mutex_lock(&kvmmig_faults_mutex);
	list_del_rcu(&fc->node);
	last = !--kvmmig_faults_users;
	if (last)
		kvmmig_fault_probe_unregister();
	mutex_unlock(&kvmmig_faults_mutex);
	/* no probe runs on @fc's rings after this */
	if (last)
		tracepoint_synchronize_unregister();
	else
		synchronize_rcu();
	fc->enabled = false;
	kvmmig_faults_free_rings(fc);
}

static int kvmmig_faults_init(struct kvmmig_session *s)
{
	struct kvmmig_faults_ctx *fc;

	fc = kzalloc(sizeof(*fc), GFP_KERNEL_ACCOUNT);
	if (!fc)
		return -ENOMEM;
	INIT_LIST_HEAD(&fc->node);
	fc->s = s;
	fc->kvm = s->kvm;
	s->priv[KVMMIG_FEAT_FAULTS] = fc;
	return 0;
}

/* Detach: recording stops before the VM reference is dropped. */
static void kvmmig_faults_stop(struct kvmmig_session *s)
{
	if (!kvmmig_faults(s))
		return;
	mutex_lock(&s->lock);
	kvmmig_faults_disable(kvmmig_faults(s));
	mutex_unlock(&s->lock);
}

static void kvmmig_faults_destroy(struct kvmmig_session *s)
{
	if (!kvmmig_faults(s))
		return;
	/* a session that failed half way through creation never enabled */
	kvmmig_faults_disable(kvmmig_faults(s));
	kfree(kvmmig_faults(s));
	s->priv[KVMMIG_FEAT_FAULTS] = NULL;
}

static long kvmmig_ioctl_faults(struct kvmmig_session *s, void *arg)
{
	struct kvmmig_faults *a = arg;
	struct kvmmig_faults_ctx *fc = kvmmig_faults(s);
	struct kvmmig_fault_record *all = NULL;
	void __user *records;
	long n = 0;
	int ret;

	ret = kvmmig_check_faults(a);
	if (ret)
		return ret;
	records = u64_to_user_ptr(a->records_ptr);
	/*
	 * Nothing changes unless the outputs are writable: the struct is
	 * written back as it came and the records' room faulted in, here,
	 * with no lock held (a fault on them may wait for the VMM).
	 */
	if ((a->flags & KVMMIG_FAULTS_READ) && a->nr_records &&
	    fault_in_writeable(records, (size_t)a->nr_records * sizeof(*all)))
		return -EFAULT;

	ret = mutex_lock_killable(&s->lock);
	if (ret)
		return ret;
	if (s->detached) {
		ret = -EIO;
		goto out_unlock;
	}
	if (fc->enabled) {
		ret = kvmmig_faults_grow(fc);
		if (ret)
			goto out_unlock;
	}
	if (a->flags & KVMMIG_FAULTS_READ) {
		/* into a kernel buffer: copied out once the lock is dropped */
		n = kvmmig_faults_collect(fc, &all);
		if (n < 0) {
			ret = n;
			goto out_unlock;
		}
		n = min_t(long, n, a->nr_records);
	}
	if (a->flags & KVMMIG_FAULTS_ENABLE)
		ret = kvmmig_faults_enable(fc);
	else if (a->flags & KVMMIG_FAULTS_DISABLE)
		kvmmig_faults_disable(fc);
	a->nr_records = n;
	a->enabled = fc->enabled;
	a->nr_faults = fc->enabled ? atomic64_read(&fc->nr_faults) : 0;
out_unlock:
	mutex_unlock(&s->lock);
	/*
	 * Checked writable above; only a VMM that unmaps them meanwhile can
	 * make these fail, and then the operation stands (the records a
	 * DISABLE dropped are lost).
	 */
	if (!ret && n && copy_to_user(records, all, n * sizeof(*all)))
		ret = -EFAULT;
	kvfree(all);
	return ret;
}

static const struct kvmmig_stat_def kvmmig_faults_stats[] = {
	[KVMMIG_STAT_FAULTS_RECORDED] = { "faults_recorded", KVMMIG_STAT_CNT },
};

static const struct kvmmig_ioctl_desc kvmmig_faults_ioctls[] = {
	/* a probe on the vCPU threads' fault path */
	KVMMIG_IOCTL(KVMMIG_FAULTS, struct kvmmig_faults, KVMMIG_FAULTS_FLAGS,
		     KVMMIG_NEED_FULL_SESSION, KVMMIG_CAP_FAULTS, kvmmig_ioctl_faults),
};

static const struct kvmmig_cap kvmmig_faults_caps[] = {
	{ KVMMIG_CAP_FAULTS, KVMMIG_FAULT_PROBE },
};

const struct kvmmig_feature kvmmig_faults_feature = {
	.name		= "faults",
	.ioctls		= kvmmig_faults_ioctls,
	.nr_ioctls	= ARRAY_SIZE(kvmmig_faults_ioctls),
	.caps		= kvmmig_faults_caps,
	.nr_caps	= ARRAY_SIZE(kvmmig_faults_caps),
	.stats		= kvmmig_faults_stats,
	.nr_stats	= ARRAY_SIZE(kvmmig_faults_stats),
	.init		= kvmmig_faults_init,
	.stop		= kvmmig_faults_stop,
	.destroy	= kvmmig_faults_destroy,
};
