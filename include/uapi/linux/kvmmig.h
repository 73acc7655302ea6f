/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmmig - KVM extensions for live migration, snapshot restore and cloning.
 *
 * Userspace API of /dev/kvmmig and of the per-VM session file descriptor.
 * Conventions follow KVM's: an API version, CHECK_EXTENSION for every
 * capability, and fixed-width structures that start with @size and @flags.
 * The kernel rejects a structure whose @size differs from the size this
 * header gives it, unknown flags, and non-zero reserved fields with -EINVAL;
 * reserved fields are where later versions grow, announced by a capability.
 *
 * Documentation/kvmmig.rst describes every ioctl and its errors.
 */
#ifndef _UAPI_LINUX_KVMMIG_H
#define _UAPI_LINUX_KVMMIG_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KVMMIG_API_VERSION	1

#define KVMMIGIO		0xB9

/* Capabilities, for KVMMIG_CHECK_EXTENSION. */
#define KVMMIG_CAP_ATTACH_VM		1	/* KVMMIG_ATTACH_VM, session fd */
#define KVMMIG_CAP_MEMSLOTS		2	/* KVMMIG_GET_MEMSLOTS */
#define KVMMIG_CAP_STATS_FD		3	/* KVMMIG_GET_STATS_FD */
#define KVMMIG_CAP_SYSFS_VM		4	/* /sys/kernel/kvmmig/<id>/ */
#define KVMMIG_CAP_NR_ADDRESS_SPACES	5	/* returns the count */
#define KVMMIG_CAP_MAX_SESSIONS		6	/* returns the current limit */

/**
 * struct kvmmig_attach - argument of KVMMIG_ATTACH_VM
 * @size: sizeof(struct kvmmig_attach), set by the caller
 * @flags: none defined yet, must be 0
 * @vm_fd: a KVM VM file descriptor of the calling process
 * @session_id: out: the id that names this session in
 *	/sys/kernel/kvmmig/<session_id>/ and in the stats fd's id string
 * @reserved: must be 0
 *
 * On success the ioctl returns a new session file descriptor (close-on-exec).
 */
struct kvmmig_attach {
	__u32 size;
	__u32 flags;
	__s32 vm_fd;
	__u32 session_id;
	__u64 reserved[6];
};

/* struct kvmmig_memslot.flags */
#define KVMMIG_MEMSLOT_F_INTERNAL	(1U << 0)	/* KVM-private slot */

/**
 * struct kvmmig_memslot - one KVM memslot, as returned by KVMMIG_GET_MEMSLOTS
 * @base_gfn: first guest frame number of the slot
 * @npages: number of 4 KiB pages in the slot
 * @userspace_addr: host virtual address of the slot's first page in the
 *	VMM's address space
 * @kvm_flags: the slot's KVM_MEM_* flags (KVM_MEM_LOG_DIRTY_PAGES, ...)
 * @flags: KVMMIG_MEMSLOT_F_* flags
 * @as_id: KVM address space (x86: 0 normal, 1 SMM)
 * @slot_id: KVM slot id within the address space
 * @reserved: 0
 */
struct kvmmig_memslot {
	__u64 base_gfn;
	__u64 npages;
	__u64 userspace_addr;
	__u32 kvm_flags;
	__u32 flags;
	__u16 as_id;
	__u16 slot_id;
	__u32 reserved;
};

/* Upper bound of @nr_slots accepted by KVMMIG_GET_MEMSLOTS. */
#define KVMMIG_MEMSLOTS_MAX		65536

/**
 * struct kvmmig_memslots - argument of KVMMIG_GET_MEMSLOTS
 * @size: sizeof(struct kvmmig_memslots), set by the caller
 * @flags: none defined yet, must be 0
 * @nr_slots: in: capacity of the array at @slots_ptr, at most
 *	KVMMIG_MEMSLOTS_MAX; out: number of memslots the VM has.  When the
 *	capacity is too small the ioctl fails with -E2BIG, copies nothing and
 *	sets @nr_slots to the number needed.
 * @reserved0: must be 0
 * @generation: out: memslot generation of the snapshot; it changes
 *	whenever any memslot of any address space changes, and only grows
 * @slots_ptr: user pointer to an array of struct kvmmig_memslot
 * @reserved: must be 0
 *
 * Every memslot of every address space is copied out from one consistent
 * view of KVM's memslots, ordered by address space, then slot id.
 */
struct kvmmig_memslots {
	__u32 size;
	__u32 flags;
	__u32 nr_slots;
	__u32 reserved0;
	__u64 generation;
	__u64 slots_ptr;
	__u64 reserved[4];
};

/* ioctls on /dev/kvmmig */
#define KVMMIG_GET_API_VERSION	_IO(KVMMIGIO, 0x00)
#define KVMMIG_CHECK_EXTENSION	_IO(KVMMIGIO, 0x01)
#define KVMMIG_ATTACH_VM	_IOWR(KVMMIGIO, 0x02, struct kvmmig_attach)

/* ioctls on a session fd */
#define KVMMIG_GET_MEMSLOTS	_IOWR(KVMMIGIO, 0x10, struct kvmmig_memslots)
#define KVMMIG_GET_STATS_FD	_IO(KVMMIGIO, 0x11)

#endif /* _UAPI_LINUX_KVMMIG_H */
