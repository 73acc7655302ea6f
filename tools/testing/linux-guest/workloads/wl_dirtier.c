// SPDX-License-Identifier: GPL-2.0
/*
 * dirtier: one thread dirties every page of a buffer of about MIB MiB as
 * fast as it can, pass after pass (two words a page, from the page's index
 * and the pass number, each checked against the previous pass before it
 * is overwritten); a compute thread only reads a small table of its own
 * and counts its iterations (a checksum, checked each time).  With two or
 * more vCPUs each thread is pinned to its own; the main thread reports.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "wl.h"

#define COMPUTE_WORDS	4096
#define HALF		(WL_WORDS_PER_PAGE / 2)

struct dirtier {
	uint64_t *buf;
	size_t pages;
	int pin;
	uint64_t passes;	/* written by the dirtier, read by main */
	uint64_t dirty_errors;
	uint64_t computes;	/* written by the compute thread */
	uint64_t compute_errors;
};

static void *dirty_thread(void *arg)
{
	struct dirtier *d = arg;
	uint64_t pass, i, *p;
	unsigned long bad;

	if (d->pin)
		wl_pin_cpu(0);
	for (pass = 1; ; pass++) {
		bad = 0;
		for (i = 0; i < d->pages; i++) {
			p = d->buf + i * WL_WORDS_PER_PAGE;
			bad += p[0] != wl_word(i, pass - 1, 0);
			bad += p[HALF] != wl_word(i, pass - 1, HALF);
			p[0] = wl_word(i, pass, 0);
			p[HALF] = wl_word(i, pass, HALF);
		}
		__atomic_add_fetch(&d->dirty_errors, bad, __ATOMIC_RELAXED);
		__atomic_store_n(&d->passes, pass, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *compute_thread(void *arg)
{
	static uint64_t table[COMPUTE_WORDS];
	struct dirtier *d = arg;
	uint64_t expect = 0, sum, n, i;

	if (d->pin)
		wl_pin_cpu(1);
	for (i = 0; i < COMPUTE_WORDS; i++) {
		table[i] = wl_word(i, 7, 0);
		expect += wl_mix(table[i]);
	}
	for (n = 1; ; n++) {
		sum = 0;
		for (i = 0; i < COMPUTE_WORDS; i++)
			sum += wl_mix(table[i]);
		if (sum != expect)
			__atomic_add_fetch(&d->compute_errors, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&d->computes, n, __ATOMIC_RELAXED);
	}
	return NULL;
}

int wl_dirtier(unsigned long mib)
{
	struct dirtier d = { .pages = mib * 256, .pin = wl_nr_cpus() >= 2 };
	pthread_t dirty, compute;
	size_t i;

	d.buf = wl_alloc(d.pages * WL_PAGE_SIZE);
	for (i = 0; i < d.pages; i++)
		wl_fill_page(d.buf + i * WL_WORDS_PER_PAGE, i, 0);
	if (pthread_create(&dirty, NULL, dirty_thread, &d) ||
	    pthread_create(&compute, NULL, compute_thread, &d)) {
		fprintf(stderr, "kvmmig-wl: dirtier: pthread_create failed\n");
		return 1;
	}
	for (;;) {
		usleep(WL_HEARTBEAT_MS * 1000);
		printf("kvmmig-wl: dirtier iter=%llu errors=%llu compute=%llu pinned=%d\n",
		       (unsigned long long)__atomic_load_n(&d.passes, __ATOMIC_RELAXED),
		       (unsigned long long)(__atomic_load_n(&d.dirty_errors, __ATOMIC_RELAXED) +
					    __atomic_load_n(&d.compute_errors, __ATOMIC_RELAXED)),
		       (unsigned long long)__atomic_load_n(&d.computes, __ATOMIC_RELAXED),
		       d.pin);
	}
	return 0;
}
