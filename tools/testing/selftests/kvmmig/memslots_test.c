// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: KVMMIG_GET_MEMSLOTS and /sys/kernel/kvmmig/<id>/
 * against the memslots a real KVM VM has.
 */
#include <sys/mman.h>

#include "kvmmig_util.h"

#define EXTRA_GPA	BIT_ULL(32)	/* above anything the library maps */

struct extra_slot {
	__u32 slot;
	__u64 gpa;
	__u64 npages;
	__u32 flags;
};

static const struct extra_slot extra[] = {
	{ 10, EXTRA_GPA, 16, 0 },
	{ 11, EXTRA_GPA + (1 << 20), 512, KVM_MEM_LOG_DIRTY_PAGES },
	{ 12, EXTRA_GPA + (8 << 20), 3, KVM_MEM_READONLY },
};

/* The library's slot 0 (guest code, page tables) plus the slots above. */
static struct kvm_vm *vm_with_extra_slots(void)
{
	struct kvm_vm *vm = vm_create(1);
	int i;

	for (i = 0; i < ARRAY_SIZE(extra); i++)
		vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, extra[i].gpa,
					    extra[i].slot, extra[i].npages,
					    extra[i].flags);
	return vm;
}

static const struct kvmmig_memslot *find_slot(const struct kvmmig_memslot *v,
					      __u32 n, __u16 as, __u16 id)
{
	for (__u32 i = 0; i < n; i++)
		if (v[i].as_id == as && v[i].slot_id == id)
			return &v[i];
	return NULL;
}

TEST(memslots_match_vm)
{
	struct kvm_vm *vm = vm_with_extra_slots();
	struct kvmmig_memslot *v;
	int session, i, user = 0, nr_user;
	__u32 n;

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	n = kvmmig_get_memslots(session, &v, NULL);

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		const struct kvmmig_memslot *m = find_slot(v, n, 0, extra[i].slot);

		ASSERT_NE(NULL, m);
		EXPECT_EQ(extra[i].gpa >> vm->page_shift, m->base_gfn);
		EXPECT_EQ(extra[i].npages, m->npages);
		EXPECT_EQ((__u64)(unsigned long)addr_gpa2hva(vm, extra[i].gpa),
			  m->userspace_addr);
		EXPECT_EQ(extra[i].flags, m->kvm_flags);
		EXPECT_EQ(0, m->flags);
		EXPECT_EQ(0, m->reserved);
	}
	/* the library's own slot 0, and nothing the test did not create */
	ASSERT_NE(NULL, find_slot(v, n, 0, 0));
	EXPECT_EQ(0, find_slot(v, n, 0, 0)->base_gfn);
	nr_user = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	ASSERT_GT(nr_user, 0);
	for (i = 0; i < n; i++) {
		/* ordered by address space, then slot id */
		if (i)
			EXPECT_TRUE(v[i - 1].as_id < v[i].as_id ||
				    (v[i - 1].as_id == v[i].as_id &&
				     v[i - 1].slot_id < v[i].slot_id));
		/* KVM-private slots are exactly those above the user range */
		EXPECT_EQ(v[i].slot_id >= nr_user,
			  !!(v[i].flags & KVMMIG_MEMSLOT_F_INTERNAL));
		if (!(v[i].flags & KVMMIG_MEMSLOT_F_INTERNAL))
			user++;
	}
	EXPECT_EQ(1 + ARRAY_SIZE(extra), user);
	free(v);
	close(session);
	kvm_vm_free(vm);
}

TEST(memslots_generation)
{
	struct kvm_vm *vm = vm_with_extra_slots();
	struct kvmmig_memslot *v;
	__u64 g0, g1, g2, g3;
	int session;
	__u32 n0, n;

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	n0 = kvmmig_get_memslots(session, &v, &g0);
	free(v);
	n = kvmmig_get_memslots(session, &v, &g1);
	free(v);
	EXPECT_EQ(g0, g1);
	EXPECT_EQ(n0, n);

	vm_mem_region_delete(vm, 11);
	n = kvmmig_get_memslots(session, &v, &g2);
	EXPECT_GT(g2, g1);
	EXPECT_EQ(n0 - 1, n);
	EXPECT_EQ(NULL, find_slot(v, n, 0, 11));
	free(v);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS,
				    EXTRA_GPA + (64 << 20), 20, 8, 0);
	n = kvmmig_get_memslots(session, &v, &g3);
	EXPECT_GT(g3, g2);
	EXPECT_EQ(n0, n);
	ASSERT_NE(NULL, find_slot(v, n, 0, 20));
	EXPECT_EQ(8, find_slot(v, n, 0, 20)->npages);
	free(v);

	/* a flags change is a memslot change too */
	vm_mem_region_set_flags(vm, 20, KVM_MEM_LOG_DIRTY_PAGES);
	n = kvmmig_get_memslots(session, &v, &g1);
	EXPECT_GT(g1, g3);
	EXPECT_EQ(KVM_MEM_LOG_DIRTY_PAGES, find_slot(v, n, 0, 20)->kvm_flags);
	free(v);
	close(session);
	kvm_vm_free(vm);
}

/* x86 has a second address space for SMM; its slots are listed as such. */
TEST(memslots_smm_address_space)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_userspace_memory_region r = {
		.slot = (1 << 16) | 3,
		.guest_phys_addr = 0x30000,
		.memory_size = 0x10000,
	};
	const struct kvmmig_memslot *m;
	struct kvmmig_memslot *v;
	void *mem;
	int session;
	__u32 n;

	ASSERT_EQ(2, ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_MULTI_ADDRESS_SPACE));
	mem = mmap(NULL, r.memory_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	r.userspace_addr = (__u64)(unsigned long)mem;
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r));

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	n = kvmmig_get_memslots(session, &v, NULL);
	m = find_slot(v, n, 1, 3);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(0x30, m->base_gfn);
	EXPECT_EQ(16, m->npages);
	EXPECT_EQ(r.userspace_addr, m->userspace_addr);
	EXPECT_EQ(NULL, find_slot(v, n, 0, 3));
	/* address space 1 comes after every slot of address space 0 */
	EXPECT_EQ(1, v[n - 1].as_id);
	free(v);
	close(session);
	kvm_vm_free(vm);
	munmap(mem, r.memory_size);
}

TEST(memslots_too_small)
{
	struct kvm_vm *vm = vm_with_extra_slots();
	struct kvmmig_memslot buf[2];
	struct kvmmig_memslots r = { .size = sizeof(r) };
	int session;

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	memset(buf, 0xaa, sizeof(buf));
	r.nr_slots = 2;
	r.slots_ptr = (__u64)(unsigned long)buf;
	EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_MEMSLOTS, &r));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_GE(r.nr_slots, 1 + ARRAY_SIZE(extra));
	/* nothing was copied */
	for (size_t i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(0xaa, ((unsigned char *)buf)[i]);
	EXPECT_EQ(0, r.generation);
	close(session);
	kvm_vm_free(vm);
}

TEST(memslots_bad_inputs)
{
	struct kvm_vm *vm = vm_with_extra_slots();
	struct kvmmig_memslots r, good = { .size = sizeof(r) };
	struct kvmmig_memslot *v;
	int session, i;
	void *ro;

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	good.nr_slots = kvmmig_get_memslots(session, &v, NULL);
	good.slots_ptr = (__u64)(unsigned long)v;

#define EXPECT_ERRNO(err) do {						\
		EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_MEMSLOTS, &r));	\
		EXPECT_EQ(err, errno);					\
	} while (0)
	r = good;
	r.size = offsetof(struct kvmmig_memslots, reserved) - 8;
	EXPECT_ERRNO(EINVAL);
	r = good;
	r.flags = 1 << 31;
	EXPECT_ERRNO(EINVAL);
	r = good;
	r.reserved0 = 1;
	EXPECT_ERRNO(EINVAL);
	for (i = 0; i < ARRAY_SIZE(r.reserved); i++) {
		r = good;
		r.reserved[i] = 1;
		EXPECT_ERRNO(EINVAL);
	}
	r = good;
	r.nr_slots = KVMMIG_MEMSLOTS_MAX + 1;
	EXPECT_ERRNO(EINVAL);
	r = good;
	r.slots_ptr = 0;
	EXPECT_ERRNO(EFAULT);
	r = good;
	r.slots_ptr = 1ULL << 63;
	EXPECT_ERRNO(EFAULT);
	/* a read-only destination */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	r = good;
	r.slots_ptr = (__u64)(unsigned long)ro;
	EXPECT_ERRNO(EFAULT);
	EXPECT_EQ(-1, ioctl(session, KVMMIG_GET_MEMSLOTS, NULL));
	EXPECT_EQ(EFAULT, errno);
#undef EXPECT_ERRNO

	/* the session is as good as before */
	r = good;
	EXPECT_EQ(0, ioctl(session, KVMMIG_GET_MEMSLOTS, &r));
	munmap(ro, 4096);
	free(v);
	close(session);
	kvm_vm_free(vm);
}

TEST(sysfs_vm_state)
{
	struct kvm_vm *vm = vm_with_extra_slots();
	char path[128], buf[64], want[64];
	struct kvmmig_memslot *v;
	__u64 bytes = 0;
	int session;
	__u32 id = ~0U, n;

	session = kvmmig_attach_vm(vm, &id);
	ASSERT_GE(session, 0);
	n = kvmmig_get_memslots(session, &v, NULL);
	for (__u32 i = 0; i < n; i++)
		if (v[i].as_id == 0 && !(v[i].flags & KVMMIG_MEMSLOT_F_INTERNAL))
			bytes += v[i].npages * 4096;

	EXPECT_EQ(n, read_u64_file(KVMMIG_SYSFS_VMS "/%u/memslots", id));
	EXPECT_EQ(bytes, read_u64_file(KVMMIG_SYSFS_VMS "/%u/guest_memory_bytes", id));
	EXPECT_EQ(getpid(), read_u64_file(KVMMIG_SYSFS_VMS "/%u/vmm_pid", id));
	EXPECT_EQ(0, read_u64_file(KVMMIG_SYSFS_VMS "/%u/mm_released", id));
	snprintf(path, sizeof(path), KVMMIG_SYSFS_VMS "/%u/kvm_stats_id", id);
	ASSERT_EQ(0, read_text(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "kvm-%d", getpid());
	EXPECT_STREQ(want, buf);

	/* the files follow memslot changes */
	vm_mem_region_delete(vm, 11);
	EXPECT_EQ(n - 1, read_u64_file(KVMMIG_SYSFS_VMS "/%u/memslots", id));
	EXPECT_EQ(bytes - 512 * 4096,
		  read_u64_file(KVMMIG_SYSFS_VMS "/%u/guest_memory_bytes", id));
	/* read-only */
	snprintf(path, sizeof(path), KVMMIG_SYSFS_VMS "/%u/memslots", id);
	EXPECT_NE(0, write_text(path, "1"));
	free(v);
	close(session);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
