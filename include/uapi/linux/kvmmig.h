/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvmmig - KVM extensions for live migration, snapshot restore and cloning.
 *
 * Userspace API of /dev/kvmmig and of the per-VM session file descriptor.
 * Conventions follow KVM's: an API version, CHECK_EXTENSION for every
 * capability, and fixed-width structures that start with @size (the
 * caller's sizeof) and @flags and end with a reserved array.  A caller
 * built against an older header passes a smaller structure (never smaller
 * than the structure without its reserved tail: -EINVAL) and the kernel
 * reads the rest as zero; a newer one passes a larger structure, accepted
 * when the bytes this kernel does not know are zero (-E2BIG otherwise).
 * Unknown flags and non-zero reserved fields give -EINVAL.
 * KVMMIG_IOCTL_INFO tells every ioctl's sizes and flags.  Guest-physical
 * memory is named by guest frame numbers (4 KiB frames) throughout.
 *
 * Documentation/kvmmig.rst describes every ioctl and its errors.
 */
#ifndef _UAPI_LINUX_KVMMIG_H
#define _UAPI_LINUX_KVMMIG_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KVMMIG_API_VERSION	2

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
#define KVMMIG_CAP_DIRTY_RATE		9	/* KVMMIG_GET_DIRTY_RATE */
#define KVMMIG_CAP_SEND_ORDER		10	/* KVMMIG_GET_SEND_ORDER */
#define KVMMIG_CAP_CLASSIFY		11	/* KVMMIG_CLASSIFY */
#define KVMMIG_CAP_FREE_HINTS		12	/* KVMMIG_FREE_HINTS */
#define KVMMIG_CAP_THROTTLE		13	/* KVMMIG_MIGRATION, stun */
#define KVMMIG_CAP_HISTORY		14	/* KVMMIG_GET/SET_HISTORY */
#define KVMMIG_CAP_FAULTS		15	/* KVMMIG_FAULTS, fault context */
#define KVMMIG_CAP_PREFETCH		16	/* KVMMIG_PREFETCH */
#define KVMMIG_CAP_WORKING_SET		17	/* KVMMIG_GET_WORKING_SET */
#define KVMMIG_CAP_FILL			18	/* KVMMIG_FILL, deferred fill */
/* 19 was KVMMIG_CAP_WS_RUNS (runs are now GET_WORKING_SET's only form): unused */
#define KVMMIG_CAP_ACCESS		20	/* device: 1, access levels exist;
						 * session: its KVMMIG_ACCESS_*
						 */
#define KVMMIG_CAP_IOCTL_INFO		21	/* KVMMIG_IOCTL_INFO */
#define KVMMIG_CAP_THROTTLE_PER_VCPU	22	/* KVMMIG_MIGRATION: a share per vCPU */

/* Access levels of a session (struct kvmmig_attach.access) */
#define KVMMIG_ACCESS_READ	1	/* observe the VM, change nothing */
#define KVMMIG_ACCESS_FULL	2	/* everything: the VM's VMM */

/* struct kvmmig_attach.flags */
#define KVMMIG_ATTACH_READ_ONLY	(1U << 0)	/* ask for KVMMIG_ACCESS_READ */
#define KVMMIG_ATTACH_FLAGS	KVMMIG_ATTACH_READ_ONLY

/**
 * struct kvmmig_attach - argument of KVMMIG_ATTACH_VM
 * @size: sizeof(struct kvmmig_attach), set by the caller
 * @flags: KVMMIG_ATTACH_READ_ONLY to ask for a read-only session even
 *	where a full one could be had; else 0
 * @vm_fd: a KVM VM file descriptor open in the calling process: its own
 *	VM, or one it was given (SCM_RIGHTS, pidfd_getfd())
 * @session_id: out: the id that names this session in
 *	/sys/kernel/kvmmig/<session_id>/ and in the stats fd's id string
 * @access: out: the session's KVMMIG_ACCESS_* level, decided here from the
 *	caller's address space and capabilities and kept for the session's
 *	life: KVMMIG_ACCESS_FULL for the VM's own VMM (its address space is
 *	the VM's) or a caller with CAP_SYS_ADMIN, else KVMMIG_ACCESS_READ
 * @reserved0: must be 0
 * @reserved: must be 0
 *
 * On success the ioctl returns a new session file descriptor (close-on-exec).
 * A VM has at most one full session and any number of read-only ones.
 */
struct kvmmig_attach {
	__u32 size;
	__u32 flags;
	__s32 vm_fd;
	__u32 session_id;
	__u32 access;
	__u32 reserved0;
	__u64 reserved[5];
};

/**
 * struct kvmmig_gfn_range - a run of guest frames
 * @gfn: the first guest frame number (4 KiB frames of guest-physical memory)
 * @npages: frames in the run
 *
 * The one range type of this interface: ranges passed in (free-page
 * hints) and runs returned (send order, working set).
 */
struct kvmmig_gfn_range {
	__u64 gfn;
	__u64 npages;
};

/* A range of frames ends here at most: its byte addresses fit 64 bits. */
#define KVMMIG_GFN_LIMIT	(1ULL << 52)

/* KVMMIG_IOCTL_INFO: what the kernel knows of one ioctl */
#define KVMMIG_NEED_FULL_SESSION	(1U << 0)	/* a KVMMIG_ACCESS_FULL session */
#define KVMMIG_NEED_VMM_MM		(1U << 1)	/* the VM's own process */

/**
 * struct kvmmig_ioctl_info - argument of KVMMIG_IOCTL_INFO
 * @size: the caller's sizeof(struct kvmmig_ioctl_info), see "Structures"
 * @flags: must be 0
 * @cmd: the ioctl asked about; its size bits are ignored
 * @need: out: KVMMIG_NEED_* of a session ioctl; 0 on the device fd's own
 * @struct_size: out: size of its argument structure in this kernel; 0 when
 *	the argument is not a structure
 * @struct_size_min: out: the smallest @size this kernel accepts (the
 *	structure without its reserved tail)
 * @valid_flags: out: every flag its structure's @flags may carry here
 * @cap: out: the capability announcing it (0: always present)
 * @usable: out: 1 when this fd may call it now (a read-only session may
 *	not call what needs a full one; an fd of another process may not
 *	call what needs the VM's own process), else 0
 * @reserved: must be 0
 *
 * Returns 0, or -ENOENT for an ioctl this kernel does not know on this fd.
 * Valid on the device fd (its own ioctls and every session ioctl) and on
 * a session fd (the session ioctls).
 */
struct kvmmig_ioctl_info {
	__u32 size;
	__u32 flags;
	__u32 cmd;
	__u32 need;
	__u32 struct_size;
	__u32 struct_size_min;
	__u64 valid_flags;
	__u32 cap;
	__u32 usable;
	__u64 reserved[4];
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
 *	whenever any memslot of any address space changes, and only grows;
 *	one generation never names two layouts (a snapshot that meets a
 *	memslot update in flight is taken again; -EAGAIN if updates never
 *	pause)
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
 * @gfn: first guest frame (address space 0)
 * @npages: frames wanted, at most KVMMIG_TEMPERATURE_MAX_PAGES; @gfn +
 *	@npages at most KVMMIG_GFN_LIMIT
 * @levels_ptr: user buffer of @npages bytes, one level per frame, or 0 for
 *	the histogram alone; KVMMIG_TEMP_NO_SLOT where no memslot is
 * @histogram: out: frames per level among the first @nr_done (frames in a
 *	memslot only)
 * @passes: out: scan passes completed since attach
 * @nr_done: out: frames whose level was written, from @gfn on: @npages on
 *	success, fewer when the call fails part way (-EFAULT on @levels_ptr,
 *	-EINTR on a fatal signal).  The call changes nothing: a caller may
 *	resume at @gfn + @nr_done.
 * @reserved: must be 0
 */
struct kvmmig_temperature {
	__u32 size;
	__u32 flags;
	__u64 gfn;
	__u64 npages;
	__u64 levels_ptr;
	__u64 histogram[KVMMIG_TEMP_NR_LEVELS];
	__u64 passes;
	__u64 nr_done;
	__u64 reserved[2];
};

/**
 * struct kvmmig_huge_candidate - one 2 MiB region worth mapping large
 * @gfn: its first guest frame (a multiple of 512: 2 MiB aligned)
 * @score: 4 KiB pages found accessed per pass, exponentially decayed, in
 *	1/256 units
 * @hits: 4 KiB pages accessed in the last pass
 */
struct kvmmig_huge_candidate {
	__u64 gfn;
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

/* struct kvmmig_dirty_rate.flags */
#define KVMMIG_DIRTY_RATE_RESET	(1U << 0)	/* start a new window after */
#define KVMMIG_DIRTY_RATE_FLAGS	KVMMIG_DIRTY_RATE_RESET

/* struct kvmmig_dirty_rate.source: where @pages_per_sec comes from */
#define KVMMIG_DIRTY_SRC_NONE		0	/* no dirty tracking on */
#define KVMMIG_DIRTY_SRC_RING		1	/* vCPU dirty ring indices */
#define KVMMIG_DIRTY_SRC_BITMAP		2	/* memslot dirty bitmaps */
#define KVMMIG_DIRTY_SRC_REPORTED	3	/* bitmaps passed to GET_SEND_ORDER */

#define KVMMIG_DIRTY_RATE_MAX_VCPUS	4096

/**
 * struct kvmmig_dirty_rate - argument of KVMMIG_GET_DIRTY_RATE
 * @size: sizeof(struct kvmmig_dirty_rate)
 * @flags: KVMMIG_DIRTY_RATE_RESET: after measuring, start the next window
 *	now (call it right after each dirty log harvest)
 * @source: out: KVMMIG_DIRTY_SRC_* behind @pages_per_sec: the dirty ring
 *	when the VM uses one, else the bitmaps the VMM handed to
 *	KVMMIG_GET_SEND_ORDER when it did in the window, else a read-only
 *	count of the memslot dirty bitmaps (not with manual dirty log
 *	protection, where they hold pages not yet cleared: NONE then)
 * @nr_vcpus: in: capacity of @vcpu_rates_ptr (at most
 *	KVMMIG_DIRTY_RATE_MAX_VCPUS); out: the VM's vCPU count, of which the
 *	first @nr_vcpus (in) entries are written.  Only the dirty ring
 *	attributes pages to vCPUs; otherwise every entry is 0.
 * @pages_per_sec: out: distinct 4 KiB pages dirtied per second in the
 *	window (ring: ring entries pushed per second)
 * @dirty_pages: out: pages dirtied in the window
 * @window_ns: out: length of the window measured
 * @vcpu_rates_ptr: user pointer to __u64[@nr_vcpus], pages per second per
 *	vCPU (by vCPU index), or 0
 * @reserved: must be 0
 *
 * Reading never changes KVM's dirty tracking state.
 */
struct kvmmig_dirty_rate {
	__u32 size;
	__u32 flags;
	__u32 source;
	__u32 nr_vcpus;
	__u64 pages_per_sec;
	__u64 dirty_pages;
	__u64 window_ns;
	__u64 vcpu_rates_ptr;
	__u64 reserved[4];
};

/* struct kvmmig_send_order.flags */
#define KVMMIG_SEND_ORDER_ALL	(1U << 0)	/* bitmap is "to send", not a harvest */
#define KVMMIG_SEND_ORDER_FLAGS	KVMMIG_SEND_ORDER_ALL

#define KVMMIG_SEND_ORDER_MAX_PAGES	(1ULL << 36)

/**
 * struct kvmmig_send_order - argument of KVMMIG_GET_SEND_ORDER
 * @size: sizeof(struct kvmmig_send_order)
 * @flags: KVMMIG_SEND_ORDER_ALL when the bitmap is the first round's
 *	"everything", not a dirty log harvest: then every free-hinted page is
 *	dropped.  Otherwise the bitmap is the harvest that the last
 *	KVMMIG_FREE_HINT_MARK followed.  A dirty page hinted after that mark
 *	was written before its hint: it is dropped.  A dirty page hinted
 *	before it may have been written after its hint: its hint is dropped
 *	and it is sent.
 * @base_gfn: guest frame of bit 0 (address space 0), a multiple of 64
 * @npages: bits in the bitmap, 1..KVMMIG_SEND_ORDER_MAX_PAGES
 * @bitmap_ptr: user pointer to the bitmap of the frames to consider, in
 *	the one bitmap format (__u64 words; bit b of word w is frame
 *	@base_gfn + 64 * w + b): KVM_GET_DIRTY_LOG's bitmap on x86-64
 * @runs_ptr: user pointer to struct kvmmig_gfn_range[@max_runs], filled
 *	with the order: runs of frames to send, coldest level first,
 *	ascending frames within a level; a run is consecutive frames of one
 *	level, so two runs of one level are never adjacent
 * @max_runs: in: room at @runs_ptr, in runs
 * @nr_runs: out: runs in the order.  When they are more than @max_runs:
 *	-E2BIG, nothing written, @nr_runs = the room needed (and the
 *	histogram set), so a call with @max_runs 0 sizes the buffer
 * @nr_done: out: frames of the bitmap done: @npages when the call
 *	succeeds, else 0.  The order is made whole or not at all (the hints
 *	are unchanged by a failed call): there is nothing to resume from,
 *	the caller repeats the call.
 * @nr_free: out: dirty frames dropped because they are hinted free
 * @level_pages: out: frames in the order per temperature level; their sum
 *	is the frames the runs hold
 * @reserved: must be 0
 *
 * Frames outside every memslot are dropped.  The call also counts the
 * bitmap's bits for KVMMIG_GET_DIRTY_RATE's reported rate (not with ALL).
 * Errors: -EINVAL (bad argument), -E2BIG (see @nr_runs), -EFAULT (bitmap
 * unreadable or runs unwritable), -EAGAIN when the bitmap, the memslots
 * or the hints kept changing during the call, -EINTR on a fatal signal.
 */
struct kvmmig_send_order {
	__u32 size;
	__u32 flags;
	__u64 base_gfn;
	__u64 npages;
	__u64 bitmap_ptr;
	__u64 runs_ptr;
	__u64 max_runs;
	__u64 nr_runs;
	__u64 nr_done;
	__u64 nr_free;
	__u64 level_pages[KVMMIG_TEMP_NR_LEVELS];
	__u64 reserved[3];
};

/* struct kvmmig_page_class.class */
#define KVMMIG_CLASS_DATA	0	/* send the contents */
#define KVMMIG_CLASS_ZERO	1	/* all zero */
#define KVMMIG_CLASS_PATTERN	2	/* one 8-byte word, repeated: @value */
#define KVMMIG_CLASS_DUP	3	/* same bytes as page @ref of this call */
#define KVMMIG_CLASS_NO_SLOT	4	/* no memslot: nothing to send */
#define KVMMIG_CLASS_ABSENT	5	/* not resident: not read, see below */

/**
 * struct kvmmig_page_class - what one page holds, from KVMMIG_CLASSIFY
 * @class: KVMMIG_CLASS_*
 * @ref: DUP: index (in this call) of the canonical page, a DATA page
 *	earlier in the list; DATA with data returned: index of its 4 KiB in
 *	the data buffer; else 0
 * @value: PATTERN: the repeated word (in guest byte order); DATA and DUP:
 *	the page's xxh64 signature (seed 0); else 0
 */
struct kvmmig_page_class {
	__u32 class;
	__u32 ref;
	__u64 value;
};

/* struct kvmmig_classify.flags */
#define KVMMIG_CLASSIFY_GFN_LIST	(1U << 0)	/* @gfns_ptr, not a range */
#define KVMMIG_CLASSIFY_NO_DUP		(1U << 1)	/* skip the DUP search */
#define KVMMIG_CLASSIFY_FLAGS	(KVMMIG_CLASSIFY_GFN_LIST | KVMMIG_CLASSIFY_NO_DUP)

#define KVMMIG_CLASSIFY_MAX_PAGES	65536

/**
 * struct kvmmig_classify - argument of KVMMIG_CLASSIFY
 * @size: sizeof(struct kvmmig_classify)
 * @flags: KVMMIG_CLASSIFY_*
 * @npages: pages to classify, 1..KVMMIG_CLASSIFY_MAX_PAGES
 * @nr_data: out: DATA pages copied to @data_ptr
 * @gfn: without KVMMIG_CLASSIFY_GFN_LIST: first guest frame of the range
 *	(address space 0), @gfn + @npages at most KVMMIG_GFN_LIMIT; with
 *	it: must be 0
 * @gfns_ptr: with KVMMIG_CLASSIFY_GFN_LIST: user pointer to __u64[@npages]
 *	guest frames, e.g. the order from KVMMIG_GET_SEND_ORDER
 * @classes_ptr: user pointer to struct kvmmig_page_class[@npages]
 * @data_ptr: user buffer of @npages * 4096 bytes or 0: the contents of each
 *	DATA page, packed in list order, read in the same pass that
 *	classified it.  A DUP page then equals, byte for byte when compared,
 *	the bytes returned for its canonical page.  The buffer past the
 *	@nr_data pages returned is scratch: the call may write there.
 * @class_pages: out: pages per class (index KVMMIG_CLASS_*)
 * @nr_done: out: pages classified, the first of the range or list: @npages
 *	on success, fewer when the call fails part way (-EFAULT, -EINTR);
 *	their entries at @classes_ptr (and data) are valid.  Classifying
 *	changes nothing: a caller may resume at the page @nr_done (a new
 *	call numbers its pages, and so its DUP references, from 0).
 * @reserved: must be 0
 *
 * Guest memory is read in the kernel through the VMM's page tables, not
 * copied to userspace first, and never faulted in: pages the VMM never
 * wrote (anonymous or shared memory) read as zero without being allocated,
 * and a page that is not resident (swapped out, not placed yet by
 * userfaultfd, a hugetlbfs page the VMM has not mapped) is
 * KVMMIG_CLASS_ABSENT: the VMM reads it itself if it wants to send it.
 * A page may change after it is classified: the dirty log reports it for
 * the next round.  A frame whose memory the VMM
 * cannot read (unmapped, PROT_NONE, device memory) ends the call with
 * -EFAULT at that page, @nr_done telling how far it got.
 */
struct kvmmig_classify {
	__u32 size;
	__u32 flags;
	__u32 npages;
	__u32 nr_data;
	__u64 gfn;
	__u64 gfns_ptr;
	__u64 classes_ptr;
	__u64 data_ptr;
	__u64 class_pages[8];
	__u64 nr_done;
	__u64 reserved[3];
};

/* struct kvmmig_free_hints.flags: exactly one operation */
#define KVMMIG_FREE_HINT_ADD	(1U << 0)	/* the ranges are free */
#define KVMMIG_FREE_HINT_REMOVE	(1U << 1)	/* the ranges hold data again */
#define KVMMIG_FREE_HINT_MARK	(1U << 2)	/* a dirty log harvest ended */
#define KVMMIG_FREE_HINT_CLEAR	(1U << 3)	/* forget every hint */
#define KVMMIG_FREE_HINT_FLAGS	(KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE | \
				 KVMMIG_FREE_HINT_MARK | KVMMIG_FREE_HINT_CLEAR)

#define KVMMIG_FREE_HINT_MAX_RANGES	65536

/**
 * struct kvmmig_free_hints - argument of KVMMIG_FREE_HINTS
 * @size: sizeof(struct kvmmig_free_hints)
 * @flags: one KVMMIG_FREE_HINT_* operation, or 0 to read @nr_hinted and
 *	@mark only
 * @nr_ranges: ADD, REMOVE: entries at @ranges_ptr, 1..
 *	KVMMIG_FREE_HINT_MAX_RANGES; else 0
 * @nr_done: out: ranges applied: @nr_ranges when the call succeeds, 0 when
 *	it fails (it is all-or-nothing, see below): there is nothing to
 *	resume, a failed call is repeated whole
 * @ranges_ptr: user pointer to struct kvmmig_gfn_range[@nr_ranges], each
 *	at least one frame, @gfn + @npages at most KVMMIG_GFN_LIMIT
 * @nr_hinted: out: pages hinted free after the call
 * @mark: out: marks made since attach
 * @reserved: must be 0
 *
 * Every range to ADD must lie in address space 0's memslots, or the call
 * fails with -EINVAL and changes nothing; REMOVE accepts any range (the
 * memslot may be gone).  -EFAULT (the structure or
 * the ranges unreadable, or the structure unwritable) and -EINTR (a fatal
 * signal) also change nothing, but for an ADD killed while it sets
 * frames, which leaves those before hinted (seen by no one: the VMM is
 * dying).  Hints are what a VMM's virtio-balloon
 * free page hinting handler receives; a hinted page is left out of
 * KVMMIG_GET_SEND_ORDER until the dirty log shows it written after its
 * hint.  MARK is called right after each harvest (KVM_GET_DIRTY_LOG),
 * before KVMMIG_GET_SEND_ORDER: a hint made after the mark came after
 * every write that harvest shows.  Hints are only valid while dirty
 * logging is on, so that a write after a hint always reaches a harvest.
 */
struct kvmmig_free_hints {
	__u32 size;
	__u32 flags;
	__u32 nr_ranges;
	__u32 nr_done;
	__u64 ranges_ptr;
	__u64 nr_hinted;
	__u64 mark;
	__u64 reserved[4];
};

/* struct kvmmig_migration.flags: one operation, plus modifiers */
#define KVMMIG_MIGRATION_START	(1U << 0)	/* a migration begins */
#define KVMMIG_MIGRATION_ROUND	(1U << 1)	/* a round ended: report it */
#define KVMMIG_MIGRATION_END	(1U << 2)	/* it ended: @outcome */
#define KVMMIG_MIGRATION_FIXED	(1U << 3)	/* VMM sets @throttle_pct */
#define KVMMIG_MIGRATION_NO_HISTORY (1U << 4)	/* with START: do not seed */
#define KVMMIG_MIGRATION_FLAGS	(KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_ROUND | \
				 KVMMIG_MIGRATION_END | KVMMIG_MIGRATION_FIXED | \
				 KVMMIG_MIGRATION_NO_HISTORY)

/* struct kvmmig_migration.share_scope */
#define KVMMIG_SHARE_VM		0	/* every vCPU sleeps @throttle_pct */
#define KVMMIG_SHARE_PER_VCPU	1	/* each vCPU its own share */

/* Upper bound of struct kvmmig_migration.nr_vcpus */
#define KVMMIG_MIGRATION_MAX_VCPUS	4096

/* struct kvmmig_migration.outcome and struct kvmmig_history.last_outcome */
#define KVMMIG_OUTCOME_NONE		0
#define KVMMIG_OUTCOME_CONVERGED	1	/* stop-and-copy, destination runs */
#define KVMMIG_OUTCOME_FAILED		2	/* destination or link lost */
#define KVMMIG_OUTCOME_CANCELLED	3	/* VMM gave up (e.g. round limit) */

/**
 * struct kvmmig_migration - argument of KVMMIG_MIGRATION
 * @size: sizeof(struct kvmmig_migration)
 * @flags: one of START, ROUND, END; FIXED with START or ROUND; NO_HISTORY
 *	with START
 * @outcome: END: KVMMIG_OUTCOME_* (not NONE); else 0
 * @throttle_pct: FIXED: in, the stun share to apply, 0..throttle_max_pct;
 *	out (every operation): the share of each slice the vCPUs now sleep,
 *	VM-wide (with KVMMIG_SHARE_PER_VCPU the one the shares are split from)
 * @rounds: out: rounds reported in this migration
 * @dirty_pages: ROUND: pages dirtied during the round (the harvest's count)
 * @sent_pages: ROUND: pages sent during the round
 * @round_ns: ROUND: the round's length, > 0
 * @remaining_pages: ROUND: pages left to send (the next round's set)
 * @downtime_ns: END: the stop-and-copy pause
 * @vcpu_shares_ptr: user pointer to __u32[@nr_vcpus] that receives, by
 *	vCPU index, the share of each slice each vCPU now sleeps (every
 *	operation), or 0.  Written only when the call succeeds.
 * @nr_vcpus: in: capacity of @vcpu_shares_ptr, at most
 *	KVMMIG_MIGRATION_MAX_VCPUS (0: none); out: the VM's vCPU count, of
 *	which the first @nr_vcpus (in) entries are written (entries past the
 *	count: 0)
 * @share_scope: out: KVMMIG_SHARE_VM when every vCPU sleeps @throttle_pct,
 *	KVMMIG_SHARE_PER_VCPU when each vCPU sleeps its own share, split
 *	from @throttle_pct by the vCPUs' dirty rates over the last round
 *	(KVMMIG_CAP_THROTTLE_PER_VCPU: a VM with a dirty ring)
 * @reserved: must be 0
 *
 * A vCPU is stunned on the thread that last ran it (KVM's vcpu->pid),
 * when that thread next returns to user mode or enters the guest: a VMM
 * runs each vCPU from its own thread, as KVM expects, and does not issue
 * vCPU ioctls from other threads while stunning.
 *
 * START begins stunning at once when the VM's history says its last
 * migration needed it (unless NO_HISTORY); each ROUND lets the controller
 * compare the dirty rate with the send rate and move the stun share; END,
 * detach, the VMM's exit and module unload stop all stunning, and END
 * folds the migration into the history record.
 *
 * On a VM with a dirty ring (KVM_CAP_DIRTY_LOG_RING) a ROUND without FIXED
 * splits the share per vCPU: the dirty-rate reduction that every vCPU
 * sleeping @throttle_pct would give is obtained by stunning the vCPUs that
 * dirtied the most in the round (their ring entries since the last START
 * or ROUND), so a vCPU that dirtied nothing is not stunned
 * (Documentation/throttle.rst).  The fields from @vcpu_shares_ptr on
 * belong to the second version of the structure: a caller that leaves
 * them 0, or passes the first version's size, gets only @throttle_pct.
 */
struct kvmmig_migration {
	__u32 size;
	__u32 flags;
	__u32 outcome;
	__u32 throttle_pct;
	__u64 rounds;
	__u64 dirty_pages;
	__u64 sent_pages;
	__u64 round_ns;
	__u64 remaining_pages;
	__u64 downtime_ns;
	__u64 vcpu_shares_ptr;
	__u32 nr_vcpus;
	__u32 share_scope;
	__u64 reserved[2];
};

#define KVMMIG_HISTORY_VERSION	1

/**
 * struct kvmmig_history - a VM's migration history, KVMMIG_GET/SET_HISTORY
 * @size: sizeof(struct kvmmig_history)
 * @flags: none defined yet, must be 0
 * @version: KVMMIG_HISTORY_VERSION
 * @last_outcome: KVMMIG_OUTCOME_* of the last migration
 * @migrations: migrations ended so far (over every load of the record)
 * @last_rounds: rounds of the last migration
 * @last_dirty_rate: pages per second dirtied in its last round
 * @last_send_rate: pages per second sent in its last round
 * @last_throttle_pct: stun share at its end
 * @max_throttle_pct: the highest stun share it reached
 * @last_downtime_ns: its stop-and-copy pause
 * @reserved: must be 0
 *
 * The VMM stores the record with the VM's configuration and loads it into
 * the next session (on this host or another), so a VM that needed
 * throttling is throttled from the start of its next migration.  SET
 * refuses a record whose percentages exceed 100 or whose outcome is
 * unknown, and is refused while a migration runs (-EBUSY).
 */
struct kvmmig_history {
	__u32 size;
	__u32 flags;
	__u32 version;
	__u32 last_outcome;
	__u64 migrations;
	__u64 last_rounds;
	__u64 last_dirty_rate;
	__u64 last_send_rate;
	__u32 last_throttle_pct;
	__u32 max_throttle_pct;
	__u64 last_downtime_ns;
	__u64 reserved[4];
};

/* Guest paging modes (struct kvmmig_fault_record.mode, kvmmig_prefetch) */
#define KVMMIG_PAGING_NONE	0	/* paging off, or a mode not walked */
#define KVMMIG_PAGING_PAE	1	/* 32-bit PAE */
#define KVMMIG_PAGING_LONG4	2	/* 4-level long mode */
#define KVMMIG_PAGING_LONG5	3	/* 5-level long mode (CR4.LA57) */

/* struct kvmmig_fault_record.flags */
#define KVMMIG_FAULT_GFN	(1U << 0)	/* @gfn is valid */
#define KVMMIG_FAULT_GVA	(1U << 1)	/* @gva came with the fault */
#define KVMMIG_FAULT_CR3	(1U << 2)	/* @cr3 and @mode are valid */
#define KVMMIG_FAULT_TDP	(1U << 3)	/* an EPT/NPT fault, not a guest #PF */

/**
 * struct kvmmig_fault_record - one guest page fault KVM handled
 * @gfn: the faulting guest frame number (with KVMMIG_FAULT_GFN)
 * @gva: guest-virtual address, 4 KiB aligned, when the fault gave one:
 *	shadow paging (the guest's CR2) or Intel EPT with a valid guest
 *	linear address (with KVMMIG_FAULT_GVA)
 * @cr3: the guest's CR3 at the fault (with KVMMIG_FAULT_CR3)
 * @error_code: the error code KVM traced (for NPT: bit 32 a fault on the
 *	final translation, bit 33 on a guest page-table access)
 * @time_ns: ktime_get_ns() at the fault
 * @vcpu: the vCPU's index
 * @mode: KVMMIG_PAGING_* at the fault (with KVMMIG_FAULT_CR3)
 * @flags: KVMMIG_FAULT_*
 */
struct kvmmig_fault_record {
	__u64 gfn;
	__u64 gva;
	__u64 cr3;
	__u64 error_code;
	__u64 time_ns;
	__u32 vcpu;
	__u16 mode;
	__u16 flags;
};

/* struct kvmmig_faults.flags */
#define KVMMIG_FAULTS_ENABLE	(1U << 0)	/* start recording */
#define KVMMIG_FAULTS_DISABLE	(1U << 1)	/* stop recording, forget them */
#define KVMMIG_FAULTS_READ	(1U << 2)	/* copy out the recent records */
#define KVMMIG_FAULTS_FLAGS	(KVMMIG_FAULTS_ENABLE | KVMMIG_FAULTS_DISABLE | \
				 KVMMIG_FAULTS_READ)

/* Records kept per vCPU, the newest replacing the oldest. */
#define KVMMIG_FAULTS_PER_VCPU	16

/**
 * struct kvmmig_faults - argument of KVMMIG_FAULTS
 * @size: sizeof(struct kvmmig_faults)
 * @flags: ENABLE or DISABLE, or neither; READ may come with either (READ
 *	runs first)
 * @nr_records: READ: in: room at @records_ptr; out: records copied, the
 *	newest first; else must be 0
 * @reserved0: must be 0
 * @records_ptr: READ: user pointer to struct kvmmig_fault_record[@nr_records]
 * @nr_faults: out: faults recorded since the last ENABLE
 * @enabled: out: 1 while recording
 * @reserved: must be 0
 *
 * While recording is enabled, a probe on KVM's kvm_page_fault tracepoint
 * keeps the last KVMMIG_FAULTS_PER_VCPU faults of every vCPU of the VM:
 * the context KVMMIG_PREFETCH needs to find the guest-virtual address of a
 * faulting guest frame.  It runs on the vCPU thread, reads only
 * registers KVM already holds, and never reads guest memory.
 */
struct kvmmig_faults {
	__u32 size;
	__u32 flags;
	__u32 nr_records;
	__u32 reserved0;
	__u64 records_ptr;
	__u64 nr_faults;
	__u32 enabled;
	__u32 reserved1;
	__u64 reserved[4];
};

/* struct kvmmig_prefetch.flags */
#define KVMMIG_PREFETCH_CR3		(1U << 0)	/* use @cr3 and @mode */
#define KVMMIG_PREFETCH_GFN_LINEAR	(1U << 1)	/* baseline, see below */
#define KVMMIG_PREFETCH_FLAGS	(KVMMIG_PREFETCH_CR3 | KVMMIG_PREFETCH_GFN_LINEAR)

#define KVMMIG_PREFETCH_MAX_WINDOW	1024

/* struct kvmmig_prefetch.source: how @gva was found */
#define KVMMIG_PREFETCH_SRC_NONE	0	/* not found: no list */
#define KVMMIG_PREFETCH_SRC_FAULT	1	/* the fault record gave it */
#define KVMMIG_PREFETCH_SRC_RINDEX	2	/* reverse index of @cr3 */
#define KVMMIG_PREFETCH_SRC_LINEAR	3	/* GFN_LINEAR: no GVA used */

/**
 * struct kvmmig_prefetch - argument of KVMMIG_PREFETCH
 * @size: sizeof(struct kvmmig_prefetch)
 * @flags: KVMMIG_PREFETCH_*
 * @gfn: in: the faulting guest frame (from the VMM's userfaultfd message,
 *	translated through its memslots)
 * @cr3: in with KVMMIG_PREFETCH_CR3, else out: the address space used
 * @mode: in with KVMMIG_PREFETCH_CR3, else out: KVMMIG_PAGING_*
 * @window: in: guest-virtual pages each side of the fault, 1..
 *	KVMMIG_PREFETCH_MAX_WINDOW, or 0 for the prefetch_window tunable
 * @gva: out: the guest-virtual page of @gfn, or 0 when not found
 * @have_ptr: in: user pointer to a bitmap of the guest frames the VMM
 *	already holds, or 0; the one bitmap format with base frame 0:
 *	__u64 words, bit b of word w is frame 64 * w + b
 * @have_npages: in: bits at @have_ptr, at most 2^40 (the words read are
 *	those holding these bits); frames above are taken as missing
 * @gfns_ptr: in: user pointer to __u64[@max_gfns]
 * @max_gfns: in: room at @gfns_ptr, 0..2 * KVMMIG_PREFETCH_MAX_WINDOW
 * @nr_gfns: out: guest frames written: the neighbours of @gva in
 *	guest-virtual space, nearest first (+1, -1, +2, -2, ...), translated
 *	through the guest's page tables, in guest memory, without
 *	duplicates, @gfn, or frames set at @have_ptr
 * @source: out: KVMMIG_PREFETCH_SRC_*
 * @reserved0: must be 0
 * @reserved: must be 0
 *
 * Without KVMMIG_PREFETCH_CR3 the module takes the address space from the
 * newest fault record (KVMMIG_FAULTS) of @gfn; -ENOENT when there is none.
 * The guest's page tables are read without faulting: a table the VMM does
 * not hold yet ends that translation, not the call.  With
 * KVMMIG_PREFETCH_GFN_LINEAR the list is @gfn's guest-physical neighbours
 * in the same order and window, filtered alike: the baseline that
 * benchmarks compare with.  Prefetched frames are counted; a later fault
 * on one of them counts it as used (stats prefetch_issued, prefetch_used).
 * The list is made whole before it is copied out: a failed call (-EFAULT
 * on @gfns_ptr or @have_ptr, -EINTR) has nothing to resume.
 */
struct kvmmig_prefetch {
	__u32 size;
	__u32 flags;
	__u64 gfn;
	__u64 cr3;
	__u32 mode;
	__u32 window;
	__u64 gva;
	__u64 have_ptr;
	__u64 have_npages;
	__u64 gfns_ptr;
	__u32 max_gfns;
	__u32 nr_gfns;
	__u32 source;
	__u32 reserved0;
	__u64 reserved[4];
};

/* struct kvmmig_working_set.flags */
#define KVMMIG_WS_FAULTED	(1U << 0)	/* add the recently faulted */
#define KVMMIG_WS_FLAGS		KVMMIG_WS_FAULTED

#define KVMMIG_WS_MAX_RUNS	(1ULL << 32)

/**
 * struct kvmmig_working_set - argument of KVMMIG_GET_WORKING_SET
 * @size: sizeof(struct kvmmig_working_set)
 * @flags: KVMMIG_WS_*
 * @min_level: pages at temperature level >= this (1..
 *	KVMMIG_TEMP_NR_LEVELS - 1) are in the set; KVMMIG_TEMP_NR_LEVELS
 *	leaves temperature out
 * @reserved0: must be 0
 * @runs_ptr: user pointer to struct kvmmig_gfn_range[@max_runs]: the set
 *	as runs of consecutive frames, ascending, none adjacent to the next
 * @max_runs: room at @runs_ptr in runs, at most KVMMIG_WS_MAX_RUNS
 * @nr_pages: out: frames in the set
 * @nr_hot: out: frames in it by temperature
 * @nr_faulted: out: frames in it by a recorded fault alone
 * @nr_runs: out: runs of the set; when they are more than @max_runs the
 *	call fails with -E2BIG, writes nothing and still sets this and
 *	@nr_pages, so a call with @max_runs 0 sizes the buffer
 * @reserved: must be 0
 *
 * For save: the frames to load before the vCPUs resume on restore.
 * Recently faulted frames are those in the fault records (KVMMIG_FAULTS)
 * of every vCPU.  A working set is mostly runs (a program's pages, a
 * buffer): as runs it takes a fraction of the space, in the call and in
 * the image a VMM saves.  The set is a snapshot of the whole VM made
 * before anything is written: a call failing with -EFAULT or -EINTR is
 * repeated, not resumed.
 */
struct kvmmig_working_set {
	__u32 size;
	__u32 flags;
	__u32 min_level;
	__u32 reserved0;
	__u64 runs_ptr;
	__u64 max_runs;
	__u64 nr_pages;
	__u64 nr_hot;
	__u64 nr_faulted;
	__u64 nr_runs;
	__u64 reserved[3];
};

/* struct kvmmig_fill.flags: exactly one operation */
#define KVMMIG_FILL_SET		(1U << 0)	/* record the pages' classes */
#define KVMMIG_FILL_GET		(1U << 1)	/* look the pages up */
#define KVMMIG_FILL_DONE	(1U << 2)	/* the pages were written */
#define KVMMIG_FILL_CLEAR	(1U << 3)	/* forget every page */
#define KVMMIG_FILL_FLAGS	(KVMMIG_FILL_SET | KVMMIG_FILL_GET | \
				 KVMMIG_FILL_DONE | KVMMIG_FILL_CLEAR)

/* struct kvmmig_fill_page.flags */
#define KVMMIG_FILL_NEEDS_UPDATE	(1U << 0)	/* write it on first access */
#define KVMMIG_FILL_KNOWN		(1U << 1)	/* GET: a record exists */

#define KVMMIG_FILL_MAX_PAGES	65536

/**
 * struct kvmmig_fill_page - deferred-fill metadata of one page
 * @gfn: the guest frame
 * @class: KVMMIG_CLASS_ZERO, _PATTERN or _DUP; GET: out, _DATA when no
 *	record exists
 * @flags: SET: must be 0; GET: out, KVMMIG_FILL_*
 * @value: PATTERN: the repeated word; DUP: the guest frame of the
 *	canonical page, whose contents the VMM holds; ZERO: 0
 */
struct kvmmig_fill_page {
	__u64 gfn;
	__u32 class;
	__u32 flags;
	__u64 value;
};

/**
 * struct kvmmig_fill - argument of KVMMIG_FILL (destination side)
 * @size: sizeof(struct kvmmig_fill)
 * @flags: one KVMMIG_FILL_* operation
 * @nr_pages: SET, GET, DONE: entries at @pages_ptr, 1..
 *	KVMMIG_FILL_MAX_PAGES; CLEAR: 0
 * @nr_done: out: entries at @pages_ptr done: @nr_pages when the call
 *	succeeds, else 0 (every operation is all or nothing: a failed call
 *	changed no record and is repeated whole, not resumed)
 * @pages_ptr: user pointer to struct kvmmig_fill_page[@nr_pages]
 * @nr_flagged: out: pages needing an update after the call
 * @nr_unflagged: out: SET: pages of this call whose backing already holds
 *	their class, recorded without KVMMIG_FILL_NEEDS_UPDATE
 * @reserved: must be 0
 *
 * The VMM records what it learned of each page (from the stream or the
 * save file) instead of writing it; its fault handler GETs the record on
 * first access and writes the page, then DONE drops the record.  A ZERO
 * page whose backing is untouched anonymous memory (not present in the
 * VMM's page tables, so it reads as zero) or already reads as zero is not
 * flagged.  SET is all-or-nothing: any bad entry (class, gfn outside the
 * memslots, non-zero flags) fails the call with -EINVAL and records none.
 */
struct kvmmig_fill {
	__u32 size;
	__u32 flags;
	__u32 nr_pages;
	__u32 nr_done;
	__u64 pages_ptr;
	__u64 nr_flagged;
	__u64 nr_unflagged;
	__u64 reserved[4];
};

/* ioctls on /dev/kvmmig */
#define KVMMIG_GET_API_VERSION	_IO(KVMMIGIO, 0x00)
#define KVMMIG_CHECK_EXTENSION	_IO(KVMMIGIO, 0x01)
#define KVMMIG_ATTACH_VM	_IOWR(KVMMIGIO, 0x02, struct kvmmig_attach)
/* on the device fd and on a session fd */
#define KVMMIG_IOCTL_INFO	_IOWR(KVMMIGIO, 0x03, struct kvmmig_ioctl_info)

/* ioctls on a session fd */
#define KVMMIG_GET_MEMSLOTS	_IOWR(KVMMIGIO, 0x20, struct kvmmig_memslots)
#define KVMMIG_GET_STATS_FD	_IO(KVMMIGIO, 0x21)
#define KVMMIG_SET_SCAN		_IOWR(KVMMIGIO, 0x22, struct kvmmig_scan)
#define KVMMIG_GET_TEMPERATURE	_IOWR(KVMMIGIO, 0x23, struct kvmmig_temperature)
#define KVMMIG_GET_HUGE_CANDIDATES _IOWR(KVMMIGIO, 0x24, struct kvmmig_huge_candidates)
#define KVMMIG_GET_DIRTY_RATE	_IOWR(KVMMIGIO, 0x25, struct kvmmig_dirty_rate)
#define KVMMIG_GET_SEND_ORDER	_IOWR(KVMMIGIO, 0x26, struct kvmmig_send_order)
#define KVMMIG_CLASSIFY		_IOWR(KVMMIGIO, 0x27, struct kvmmig_classify)
#define KVMMIG_FREE_HINTS	_IOWR(KVMMIGIO, 0x28, struct kvmmig_free_hints)
#define KVMMIG_MIGRATION	_IOWR(KVMMIGIO, 0x29, struct kvmmig_migration)
#define KVMMIG_GET_HISTORY	_IOWR(KVMMIGIO, 0x2a, struct kvmmig_history)
#define KVMMIG_SET_HISTORY	_IOW(KVMMIGIO, 0x2b, struct kvmmig_history)
#define KVMMIG_FAULTS		_IOWR(KVMMIGIO, 0x2c, struct kvmmig_faults)
#define KVMMIG_PREFETCH		_IOWR(KVMMIGIO, 0x2d, struct kvmmig_prefetch)
#define KVMMIG_GET_WORKING_SET	_IOWR(KVMMIGIO, 0x2e, struct kvmmig_working_set)
#define KVMMIG_FILL		_IOWR(KVMMIGIO, 0x2f, struct kvmmig_fill)

#endif /* _UAPI_LINUX_KVMMIG_H */
