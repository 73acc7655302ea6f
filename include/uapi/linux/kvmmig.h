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
#define KVMMIG_CAP_TEMPERATURE		7	/* returns the number of levels */
#define KVMMIG_CAP_HUGE_CANDIDATES	8	/* KVMMIG_GET_HUGE_CANDIDATES */

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

/* struct kvmmig_scan.flags */
#define KVMMIG_SCAN_START	(1U << 0)	/* scan every period */
#define KVMMIG_SCAN_STOP	(1U << 1)	/* stop periodic scanning */
#define KVMMIG_SCAN_NOW		(1U << 2)	/* one pass now, before returning */
#define KVMMIG_SCAN_SET_PERIOD	(1U << 3)	/* fix the period, see below */
#define KVMMIG_SCAN_4K_BASELINE	(1U << 4)	/* with NOW: age every 4 KiB */
#define KVMMIG_SCAN_FLAGS	(KVMMIG_SCAN_START | KVMMIG_SCAN_STOP | \
				 KVMMIG_SCAN_NOW | KVMMIG_SCAN_SET_PERIOD | \
				 KVMMIG_SCAN_4K_BASELINE)

/**
 * struct kvmmig_scan - argument of KVMMIG_SET_SCAN
 * @size: sizeof(struct kvmmig_scan)
 * @flags: KVMMIG_SCAN_* (START and STOP exclude each other)
 * @period_ms: with KVMMIG_SCAN_SET_PERIOD: the period to use, within the
 *	scan_period_min_ms..scan_period_max_ms tunables; out: the period now
 * @nr_passes: with KVMMIG_SCAN_SET_PERIOD: passes the period holds before
 *	it adapts again (0: until the next SET_PERIOD), e.g. the number of
 *	pre-copy rounds, each round then getting fresh temperature
 * @passes: out: passes completed since attach
 * @reserved: must be 0
 *
 * KVMMIG_SCAN_4K_BASELINE makes the KVMMIG_SCAN_NOW pass age every 4 KiB
 * page with its own clear_young call instead of going coarse to fine: the
 * baseline the temperature benchmark compares against.
 */
struct kvmmig_scan {
	__u32 size;
	__u32 flags;
	__u32 period_ms;
	__u32 nr_passes;
	__u64 passes;
	__u64 reserved[4];
};

/* struct kvmmig_temperature levels: 0 cold ... 3 hot; no memslot there: */
#define KVMMIG_TEMP_NO_SLOT		0xff
#define KVMMIG_TEMP_NR_LEVELS		4
#define KVMMIG_TEMPERATURE_MAX_PAGES	(1ULL << 36)

/**
 * struct kvmmig_temperature - argument of KVMMIG_GET_TEMPERATURE
 * @size: sizeof(struct kvmmig_temperature)
 * @flags: none defined yet, must be 0
 * @gpa: first guest-physical address, 4 KiB aligned (address space 0)
 * @npages: in: pages wanted, at most KVMMIG_TEMPERATURE_MAX_PAGES; out:
 *	pages done (less than asked only with -EFAULT on @levels_ptr)
 * @levels_ptr: user buffer of @npages bytes, one level per page, or 0 for
 *	the histogram alone; KVMMIG_TEMP_NO_SLOT where no memslot is
 * @histogram: out: pages per level in the range (pages in a memslot only)
 * @passes: out: scan passes completed since attach
 * @reserved: must be 0
 */
struct kvmmig_temperature {
	__u32 size;
	__u32 flags;
	__u64 gpa;
	__u64 npages;
	__u64 levels_ptr;
	__u64 histogram[KVMMIG_TEMP_NR_LEVELS];
	__u64 passes;
	__u64 reserved[3];
};

/**
 * struct kvmmig_huge_candidate - one 2 MiB region worth mapping large
 * @gpa: its first guest-physical address (2 MiB aligned)
 * @score: 4 KiB pages found accessed per pass, exponentially decayed, in
 *	1/256 units
 * @hits: 4 KiB pages accessed in the last pass
 */
struct kvmmig_huge_candidate {
	__u64 gpa;
	__u32 score;
	__u32 hits;
};

#define KVMMIG_HUGE_CANDIDATES_MAX	65536

/**
 * struct kvmmig_huge_candidates - argument of KVMMIG_GET_HUGE_CANDIDATES
 * @size: sizeof(struct kvmmig_huge_candidates)
 * @flags: none defined yet, must be 0
 * @nr: in: capacity of the array, at most KVMMIG_HUGE_CANDIDATES_MAX;
 *	out: candidates returned, best first
 * @observe_passes_left: out: passes left in phase one, during which
 *	regions are only observed and no candidate is returned
 * @candidates_ptr: user pointer to struct kvmmig_huge_candidate[@nr]
 * @passes: out: scan passes completed since attach
 * @reserved: must be 0
 *
 * Only 2 MiB regions lying wholly in one memslot are candidates, and only
 * regions with a non-zero score.
 */
struct kvmmig_huge_candidates {
	__u32 size;
	__u32 flags;
	__u32 nr;
	__u32 observe_passes_left;
	__u64 candidates_ptr;
	__u64 passes;
	__u64 reserved[4];
};

/* ioctls on /dev/kvmmig */
#define KVMMIG_GET_API_VERSION	_IO(KVMMIGIO, 0x00)
#define KVMMIG_CHECK_EXTENSION	_IO(KVMMIGIO, 0x01)
#define KVMMIG_ATTACH_VM	_IOWR(KVMMIGIO, 0x02, struct kvmmig_attach)

/* ioctls on a session fd */
#define KVMMIG_GET_MEMSLOTS	_IOWR(KVMMIGIO, 0x10, struct kvmmig_memslots)
#define KVMMIG_GET_STATS_FD	_IO(KVMMIGIO, 0x11)
#define KVMMIG_SET_SCAN		_IOWR(KVMMIGIO, 0x12, struct kvmmig_scan)
#define KVMMIG_GET_TEMPERATURE	_IOWR(KVMMIGIO, 0x13, struct kvmmig_temperature)
#define KVMMIG_GET_HUGE_CANDIDATES _IOWR(KVMMIGIO, 0x14, struct kvmmig_huge_candidates)

#endif /* _UAPI_LINUX_KVMMIG_H */
