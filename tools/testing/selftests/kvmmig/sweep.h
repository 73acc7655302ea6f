/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest workload for temperature tests and benchmarks: the guest sweeps
 * a list of pages of a data slot, reading or writing one word in each, and
 * reports with GUEST_SYNC after each round of sweeps.  The host changes the
 * list, the mode and the repetitions between runs through struct sweep in
 * guest memory, so a test decides exactly which pages are touched between
 * two temperature passes.
 */
#ifndef KVMMIG_SWEEP_H
#define KVMMIG_SWEEP_H

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define SWEEP_DATA_GPA		BIT_ULL(30)	/* data slot, identity-mapped */
#define SWEEP_DATA_SLOT		1
#define SWEEP_MAX_LIST		65536

/* Shared with the guest; the host writes it between runs. */
struct sweep {
	uint64_t nr;		/* pages in the list */
	uint64_t write;		/* 0: read the pages, 1: write them */
	uint64_t reps;		/* sweeps per GUEST_SYNC */
	uint32_t list[SWEEP_MAX_LIST];	/* page indices in the data slot */
};

struct sweep_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct sweep *sw;	/* host view of the guest's struct sweep */
	uint64_t npages;	/* data slot size */
};

static void sweep_guest(struct sweep *sw)
{
	uint64_t *data = (uint64_t *)SWEEP_DATA_GPA;
	uint64_t sum = 0;

	for (;;) {
		uint64_t nr = READ_ONCE(sw->nr), reps = READ_ONCE(sw->reps);
		uint64_t write = READ_ONCE(sw->write);

		for (uint64_t r = 0; r < reps; r++)
			for (uint64_t i = 0; i < nr; i++) {
				uint64_t w = (uint64_t)sw->list[i] * 512;

				if (write)
					WRITE_ONCE(data[w], i);
				else
					sum += READ_ONCE(data[w]);
			}
		GUEST_SYNC(sum);
	}
}

/* A VM whose data slot of @npages 4 KiB pages is backed by @src. */
static inline void sweep_vm_create(struct sweep_vm *s, uint64_t npages,
				   enum vm_mem_backing_src_type src)
{
	vm_vaddr_t sw_gva;

	/* the library sizes slot 0 for the page tables mapping @npages */
	s->vm = __vm_create_with_one_vcpu(&s->vcpu, npages, sweep_guest);
	s->npages = npages;
	vm_userspace_mem_region_add(s->vm, src, SWEEP_DATA_GPA, SWEEP_DATA_SLOT,
				    npages, 0);
	virt_map(s->vm, SWEEP_DATA_GPA, SWEEP_DATA_GPA, npages);
	sw_gva = vm_vaddr_alloc(s->vm, sizeof(struct sweep), KVM_UTIL_MIN_VADDR);
	s->sw = addr_gva2hva(s->vm, sw_gva);
	memset(s->sw, 0, sizeof(*s->sw));
	vcpu_args_set(s->vcpu, 1, sw_gva);
}

/* Touch pages @list[0..nr) @reps times (read or write), then stop. */
static inline void sweep_run(struct sweep_vm *s, const uint32_t *list,
			     uint64_t nr, bool write, uint64_t reps)
{
	struct ucall uc;

	TEST_ASSERT(nr <= SWEEP_MAX_LIST, "sweep list too long");
	if (nr)
		memcpy(s->sw->list, list, nr * sizeof(*list));
	s->sw->nr = nr;
	s->sw->write = write;
	s->sw->reps = reps;
	vcpu_run(s->vcpu);
	TEST_ASSERT(get_ucall(s->vcpu, &uc) == UCALL_SYNC,
		    "guest did not sync: exit reason %u", s->vcpu->run->exit_reason);
}

/* @n distinct pages out of @npages, scattered, from a fixed seed. */
static inline void sweep_pick(uint32_t *list, uint32_t n, uint64_t npages,
			      uint32_t seed, const uint8_t *exclude)
{
	uint8_t *taken = calloc(npages, 1);
	uint32_t x = seed, i = 0;

	TEST_ASSERT(taken && n <= npages, "sweep_pick");
	while (i < n) {
		x = x * 1103515245 + 12345;
		uint32_t p = (x >> 4) % npages;

		if (taken[p] || (exclude && exclude[p]))
			continue;
		taken[p] = 1;
		list[i++] = p;
	}
	free(taken);
}

#endif /* KVMMIG_SWEEP_H */
