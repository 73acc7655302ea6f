// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-wl NAME [MIB]: run workload NAME (idle, mixed, dirtier, chase) on
 * about MIB MiB of memory (each workload has its default) until killed.
 * The guest's /init starts it with the name given on the kernel command
 * line (kvmmig.wl=NAME, kvmmig.mib=MIB).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "wl.h"

void wl_fill_page(void *page, uint64_t index, uint64_t gen)
{
	uint64_t *p = page;
	uint64_t w;

	for (w = 0; w < WL_WORDS_PER_PAGE; w++)
		p[w] = wl_word(index, gen, w);
}

unsigned long wl_check_page(const void *page, uint64_t index, uint64_t gen)
{
	const uint64_t *p = page;
	unsigned long bad = 0;
	uint64_t w;

	for (w = 0; w < WL_WORDS_PER_PAGE; w++)
		bad += p[w] != wl_word(index, gen, w);
	return bad;
}

void *wl_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED) {
		perror("kvmmig-wl: mmap");
		exit(1);
	}
	return p;
}

uint64_t wl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int wl_heartbeat_due(uint64_t *next_ms)
{
	uint64_t now = wl_now_ms();

	if (now < *next_ms)
		return 0;
	*next_ms = now + WL_HEARTBEAT_MS;
	return 1;
}

void wl_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("kvmmig-wl: sched_setaffinity");
}

int wl_nr_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static const struct {
	const char *name;
	int (*run)(unsigned long mib);
	unsigned long default_mib;
} workloads[] = {
	{ "idle", wl_idle, 1 },
	{ "mixed", wl_mixed, 32 },
	{ "dirtier", wl_dirtier, 32 },
	{ "chase", wl_chase, 16 },
};

int main(int argc, char **argv)
{
	unsigned long mib;
	size_t i;

	/* The console is a serial port: one line, one write. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: kvmmig-wl idle|mixed|dirtier|chase [MIB]\n");
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(workloads); i++) {
		if (strcmp(argv[1], workloads[i].name))
			continue;
		mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
		if (!mib)
			mib = workloads[i].default_mib;
		printf("kvmmig-wl: %s start mib=%lu cpus=%d\n", argv[1], mib,
		       wl_nr_cpus());
		return workloads[i].run(mib);
	}
	fprintf(stderr, "kvmmig-wl: unknown workload %s\n", argv[1]);
	return 2;
}
