/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest side of kvmmig-migrate: the workloads, in long-mode C run by the
 * KVM selftest library.  vCPU 0 initialises the data slot, then every vCPU
 * runs the workload's loop and counts its iterations in struct gctl, which
 * both VMMs read: a counter that moves is a guest that runs.
 *
 * chase: the VMM lays out a linked structure of npages / CHASE_SHARE pages,
 * contiguous in guest-virtual memory at CHASE_GVA, whose guest-physical
 * pages are a fixed random choice scattered among the other data pages
 * (vmm_create(): they are mapped only there, not identity-mapped); each
 * page's first word points at the next page.  Every vCPU walks the whole
 * list once per iteration, reading a word in each page: the counter is
 * the number of complete passes, the trace the same in every run.
 *
 * The guest keeps its own view of free memory (struct gctl.free_map, a bit
 * per data page); it reports free ranges to the VMM with a ucall
 * (free-page hints) and never touches a free page until it reallocates it,
 * by clearing the bit and writing the page.  The VMMs leave free pages out
 * of the RAM hash: their contents are garbage the destination never gets.
 *
 * Only vm.c includes this file (the guest code lives in one object).
 */
#ifndef KVMMIG_MIGRATE_GUEST_H
#define KVMMIG_MIGRATE_GUEST_H

#include "gctl.h"

/* A page of unique contents: 8 words, the rest left as they are. */
static void g_fill(uint64_t p, uint64_t salt)
{
	uint64_t *w = (uint64_t *)(DATA_GPA + p * 4096);

	for (int i = 0; i < 512; i += 64)
		WRITE_ONCE(w[i], (p + 1) * 0x9E3779B97F4A7C15ull ^ salt ^ i);
}

/* Page @p gets the contents of template @t: the same bytes for every @p. */
static void g_fill_tmpl(uint64_t p, uint64_t t)
{
	uint64_t *w = (uint64_t *)(DATA_GPA + p * 4096);

	for (int i = 0; i < 512; i += 64)
		WRITE_ONCE(w[i], (t + 1) * 0xC2B2AE3D27D4EB4Full ^ i);
}

static void g_fill_pattern(uint64_t p)
{
	uint64_t *w = (uint64_t *)(DATA_GPA + p * 4096);
	uint64_t v = 0x0101010101010101ull * (1 + p % 7);

	for (int i = 0; i < 512; i++)
		WRITE_ONCE(w[i], v);
}

static void g_hint_flush(struct gctl *c)
{
	if (c->nr_hint) {
		GUEST_SYNC_ARGS(SYNC_HINT, c->nr_hint, 0, 0, 0);
		c->nr_hint = 0;
	}
}

/* Mark pages [p, p + n) free and queue their hint. */
static void g_free(struct gctl *c, uint64_t p, uint64_t n)
{
	for (uint64_t i = p; i < p + n; i++)
		c->free_map[i / 64] |= BIT_ULL(i % 64);
	c->hint[c->nr_hint][0] = DATA_GPA + p * 4096;
	c->hint[c->nr_hint][1] = n;
	if (++c->nr_hint == HINT_MAX)
		g_hint_flush(c);
}

static void g_delay(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		asm volatile("" : : : "memory");
}

static void g_init(struct gctl *c)
{
	uint64_t np = c->npages;

	switch (c->workload) {
	case WL_IDLE:
		for (uint64_t p = 0; p < np; p++)
			g_fill(p, 1);
		for (uint64_t b = 0; b * IDLE_BLOCK < np; b++) {
			uint64_t s = b * IDLE_BLOCK + IDLE_USED;
			uint64_t e = (b + 1) * IDLE_BLOCK < np ? (b + 1) * IDLE_BLOCK : np;

			if (s < e)
				g_free(c, s, e - s);
		}
		g_hint_flush(c);
		break;
	case WL_ZERO:
		for (uint64_t p = 0; p < np; p++) {
			if (p % 5 == 0)
				g_fill(p, 2);
			else
				WRITE_ONCE(*(uint64_t *)(DATA_GPA + p * 4096), 0);
		}
		break;
	case WL_DUP:
		for (uint64_t p = 0; p < np; p++) {
			if (p % 10 == 9)
				g_fill_pattern(p);
			else
				g_fill_tmpl(p, p % 8);
		}
		break;
	case WL_BUSY:
		/* 30% zero, 30% copies of 8 pages, 10% pattern, 30% data */
		for (uint64_t p = 0; p < np; p++) {
			uint64_t k = p % 10;

			if (k < 3)
				WRITE_ONCE(*(uint64_t *)(DATA_GPA + p * 4096), 0);
			else if (k < 6)
				g_fill_tmpl(p, p % 8);
			else if (k == 6)
				g_fill_pattern(p);
			else
				g_fill(p, 5);
		}
		break;
	case WL_CHASE:
		break;		/* laid out by the VMM, see vmm_create() */
	default:
		for (uint64_t p = 0; p < np; p++)
			g_fill(p, 4);
		break;
	}
}

static void guest_code(struct gctl *c, uint64_t id)
{
	uint64_t np = c->npages, n = c->nr_vcpus, it = 0;

	if (id == 0) {
		g_init(c);
		WRITE_ONCE(c->ready, 1);
		GUEST_SYNC_ARGS(SYNC_READY, 0, 0, 0, 0);
	}
	while (!READ_ONCE(c->ready))
		;
	for (;; it++) {
		switch (c->workload) {
		case WL_IDLE: {
			uint64_t nb = (np + IDLE_BLOCK - 1) / IDLE_BLOCK;
			/* a small working set: 4 blocks' used pages per vCPU */
			uint64_t b = (id * 4 + (it / IDLE_USED) % 4) % nb;
			uint64_t p = b * IDLE_BLOCK + it % IDLE_USED;

			if (p < np)
				WRITE_ONCE(*(uint64_t *)(DATA_GPA + p * 4096 + 8), it);
			if (id == 0 && it % IDLE_SWAP_EVERY == IDLE_SWAP_EVERY - 1) {
				/* reallocate or free again IDLE_SWAP pages */
				uint64_t s = ((it / IDLE_SWAP_EVERY) % nb) * IDLE_BLOCK +
					     IDLE_USED;

				if (s + IDLE_SWAP <= np && g_is_free(c, s)) {
					for (uint64_t i = s; i < s + IDLE_SWAP; i++) {
						c->free_map[i / 64] &= ~BIT_ULL(i % 64);
						g_fill(i, it);
					}
				} else if (s + IDLE_SWAP <= np) {
					g_free(c, s, IDLE_SWAP);
					g_hint_flush(c);
				}
			}
			g_delay(20000);
			break;
		}
		case WL_ZERO:
		case WL_DUP: {
			/* a few pages of fresh data, now and then */
			uint64_t p = ((it % 64) * n + id) * 10 % np;

			g_fill(p, it);
			g_delay(2000);
			break;
		}
		case WL_BUSY: {
			/* rewrite data pages of a working set of ~4% of RAM */
			uint64_t ws = np / 25 / n + 1;
			uint64_t p = (np * id / n + (it % ws) * 10 + 7) % np;

			g_fill(p, it);
			g_delay(200);
			break;
		}
		case WL_HOT: {
			uint64_t hot = np / 64 < 256 ? np / 64 : 256;
			uint64_t s = hot * id / n, e = hot * (id + 1) / n;

			for (uint64_t p = s; p < e; p++)
				WRITE_ONCE(*(uint64_t *)(DATA_GPA + p * 4096 + 16), it);
			break;
		}
		case WL_CHASE: {
			const uint64_t *p = (const uint64_t *)CHASE_GVA;
			uint64_t sum = 0;

			while (p) {
				sum += READ_ONCE(p[64 + id * 8]);
				p = (const uint64_t *)READ_ONCE(p[0]);
			}
			WRITE_ONCE(c->chase_sum[id], sum);
			break;
		}
		case WL_DIRTY: {
			uint64_t big = np * 3 / 4;
			uint64_t s = big * id / n, e = big * (id + 1) / n;

			for (uint64_t p = s; p < e; p++)
				WRITE_ONCE(*(uint64_t *)(DATA_GPA + p * 4096 + 24), it);
			break;
		}
		}
		WRITE_ONCE(c->counter[id], it + 1);
	}
}

#endif /* KVMMIG_MIGRATE_GUEST_H */
