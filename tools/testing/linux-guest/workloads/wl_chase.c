// SPDX-License-Identifier: GPL-2.0
/*
 * chase: a pointer chase over about MIB MiB contiguous in this process's
 * virtual space: one node per 64 bytes, linked in one random cycle
 * (Sattolo's shuffle), so consecutive steps land on unrelated pages.  Each
 * node holds its successor's index and a check word from its own index;
 * every step checks it.  The counter is the number of steps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wl.h"

struct node {
	uint64_t next;
	uint64_t check;
	uint64_t pad[6];
};

int wl_chase(unsigned long mib)
{
	size_t n = mib * 1024 * 1024 / sizeof(struct node), i, j;
	uint64_t steps = 0, next_beat = 0, seed = 42, cur = 0;
	unsigned long errors = 0;
	uint64_t *order;
	struct node *nodes;

	nodes = wl_alloc(n * sizeof(*nodes));
	order = malloc(n * sizeof(*order));
	if (!order)
		return 1;
	for (i = 0; i < n; i++)
		order[i] = i;
	/* Sattolo: a single cycle through every node. */
	for (i = n - 1; i > 0; i--) {
		seed = wl_mix(seed + i);
		j = seed % i;
		cur = order[i];
		order[i] = order[j];
		order[j] = cur;
	}
	for (i = 0; i < n; i++) {
		nodes[order[i]].next = order[(i + 1) % n];
		nodes[order[i]].check = wl_word(order[i], 3, 0);
	}
	free(order);
	cur = 0;
	for (;;) {
		for (i = 0; i < 4096; i++) {
			errors += nodes[cur].check != wl_word(cur, 3, 0);
			cur = nodes[cur].next;
			if (cur >= n) {
				errors++;
				cur = 0;
			}
		}
		steps += 4096;
		if (wl_heartbeat_due(&next_beat))
			printf("kvmmig-wl: chase iter=%llu errors=%lu\n",
			       (unsigned long long)steps, errors);
	}
	return 0;
}
