/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker, pure logic: translate guest-virtual
 * addresses through the guest's own x86 page tables, walk the present
 * mappings of a guest-virtual range in ascending order, and list the
 * guest-physical pages of a guest-virtual neighbourhood.  Guest memory is
 * read only through a caller-supplied reader; no KVM, mm or lock is touched
 * here, so the same code runs on synthetic tables in KUnit.  See
 * Documentation/postcopy.rst ("Guest page-table walker").
 */
#ifndef _KVMMIG_GUEST_PT_H
#define _KVMMIG_GUEST_PT_H

#include <linux/types.h>

/**
 * enum kvmmig_gpt_mode - guest paging mode
 * @KVMMIG_GPT_PAE: 32-bit PAE: CR3 → 4 PDPTEs → PD → PT
 * @KVMMIG_GPT_LONG4: 4-level long mode: CR3 → PML4 → PDPT → PD → PT
 * @KVMMIG_GPT_LONG5: 5-level long mode (CR4.LA57): CR3 → PML5 → PML4 → ...
 *
 * 0 is no mode, so a zeroed &struct kvmmig_gpt is rejected.  Paging off
 * and 2-level 32-bit paging are not supported.
 */
enum kvmmig_gpt_mode {
	KVMMIG_GPT_PAE = 1,
	KVMMIG_GPT_LONG4,
	KVMMIG_GPT_LONG5,
};

/* Levels: 1 is the PT (4 KiB), 2 the PD (2 MiB), ... 5 the PML5. */
#define KVMMIG_GPT_MAX_LEVELS		5
#define KVMMIG_GPT_DEFAULT_MAXPHYADDR	52
/* kvmmig_gpt_window(): the largest window, in pages each side. */
#define KVMMIG_GPT_MAX_WINDOW		1024

/**
 * typedef kvmmig_gpt_read_t - read guest physical memory
 * @ctx: the reader's context (&struct kvmmig_gpt.ctx)
 * @gpa: guest-physical address of the first byte
 * @len: bytes to read (8 to 128; never crosses a 4 KiB page)
 * @buf: where to put them
 *
 * Must not fault or sleep on a missing page: a @gpa outside guest memory
 * (or not readable now) returns an error.  Any error ends the lookup with
 * -EFAULT.
 *
 * Return: 0 when all @len bytes were read, else a negative errno.
 */
typedef int (*kvmmig_gpt_read_t)(void *ctx, u64 gpa, void *buf, u32 len);

/**
 * struct kvmmig_gpt - one guest address space to walk
 * @read: guest-memory reader
 * @ctx: passed to @read
 * @cr3: the guest's CR3; long mode ignores bits 11:0 (PCID, PWT, PCD) and
 *	the bits at and above @maxphyaddr, PAE ignores bits 4:0 and 63:32
 * @mode: an &enum kvmmig_gpt_mode
 * @maxphyaddr: guest physical-address width, 32..52; 0 means 52.  Entry
 *	bits at and above it (NX, protection keys, software bits, reserved
 *	bits) are masked off, never checked
 *
 * Read only by the walker: one may be shared by concurrent walks.
 */
struct kvmmig_gpt {
	kvmmig_gpt_read_t read;
	void *ctx;
	u64 cr3;
	u32 mode;
	u32 maxphyaddr;
};

/**
 * typedef kvmmig_gpt_fn - visit one present mapping
 * @arg: the walk's @arg
 * @gva: guest-virtual address of the page's first byte (canonical,
 *	sign-extended in long mode); may be below the walk's start when a
 *	large page straddles it
 * @gpa: guest-physical address of the page's first byte
 * @size: page size: 4 KiB, 2 MiB or 1 GiB
 *
 * Return: 0 to go on; anything else ends the walk, which returns it.
 */
typedef int (*kvmmig_gpt_fn)(void *arg, u64 gva, u64 gpa, u64 size);

int kvmmig_gpt_init(struct kvmmig_gpt *w, u32 mode, u64 cr3, u32 maxphyaddr,
		    kvmmig_gpt_read_t read, void *ctx);
u32 kvmmig_gpt_mode_from_regs(u64 cr0, u64 cr4, u64 efer);
bool kvmmig_gpt_canonical(const struct kvmmig_gpt *w, u64 gva);
int kvmmig_gpt_translate(const struct kvmmig_gpt *w, u64 gva, u64 *gpa,
			 u32 *level);
int kvmmig_gpt_walk_range(const struct kvmmig_gpt *w, u64 gva_start,
			  u64 gva_last, kvmmig_gpt_fn fn, void *arg,
			  u32 max_entries);
int kvmmig_gpt_walk_range_next(const struct kvmmig_gpt *w, u64 gva_start,
			       u64 gva_last, kvmmig_gpt_fn fn, void *arg,
			       u32 max_entries, u64 *next);
int kvmmig_gpt_window(const struct kvmmig_gpt *w, u64 gva, u32 window_pages,
		      u64 *slot, u32 *below, u32 *above);
int kvmmig_gpt_neighbours(const struct kvmmig_gpt *w, u64 gva,
			  u32 window_pages, u64 *out_gpas, u32 max);

#endif /* _KVMMIG_GUEST_PT_H */
