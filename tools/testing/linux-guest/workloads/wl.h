/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The L2 guest's workloads (tools/testing/linux-guest): one program,
 * kvmmig-wl, whose first argument names the workload.  Every workload
 * derives each page's content from the page's index and a generation,
 * checks it again while it runs and counts what does not match; it prints
 * its progress on stdout (the guest's serial console) every
 * WL_HEARTBEAT_MS as one line
 *
 *   kvmmig-wl: <name> iter=<n> errors=<e>[ <more counters>]
 *
 * which the host side (selftests/kvmmig/qemu_migrate_test.c) parses: the
 * counter must advance after a migration and errors must stay 0.
 */
#ifndef KVMMIG_WL_H
#define KVMMIG_WL_H

#include <stddef.h>
#include <stdint.h>

#define WL_PAGE_SIZE		4096UL
#define WL_WORDS_PER_PAGE	(WL_PAGE_SIZE / sizeof(uint64_t))
#define WL_HEARTBEAT_MS		500
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* A 64-bit mix (splitmix64's finalizer): distinct inputs, distinct words. */
static inline uint64_t wl_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Word @w of page @index at generation @gen. */
static inline uint64_t wl_word(uint64_t index, uint64_t gen, uint64_t w)
{
	return wl_mix((index << 20) ^ (gen << 8) ^ w ^ 0x6b766d6d6967ULL);
}

void wl_fill_page(void *page, uint64_t index, uint64_t gen);
/* Number of words of @page that differ from its expected content. */
unsigned long wl_check_page(const void *page, uint64_t index, uint64_t gen);

/* Anonymous private memory, pre-faulted; exits on failure. */
void *wl_alloc(size_t bytes);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t wl_now_ms(void);
/* True once per WL_HEARTBEAT_MS (tracked in *@next_ms). */
int wl_heartbeat_due(uint64_t *next_ms);
void wl_pin_cpu(int cpu);
int wl_nr_cpus(void);

int wl_idle(unsigned long mib);
int wl_mixed(unsigned long mib);
int wl_dirtier(unsigned long mib);
int wl_chase(unsigned long mib);

#endif /* KVMMIG_WL_H */
