// SPDX-License-Identifier: GPL-2.0
/*
 * idle: a little memory, most of the guest's free; each heartbeat checks
 * every page and rewrites one (its generation goes up), then sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wl.h"

int wl_idle(unsigned long mib)
{
	size_t pages = mib * 256, i;
	unsigned long errors = 0;
	uint64_t *gen, iter;
	char *buf;

	buf = wl_alloc(pages * WL_PAGE_SIZE);
	gen = calloc(pages, sizeof(*gen));
	if (!gen)
		return 1;
	for (i = 0; i < pages; i++)
		wl_fill_page(buf + i * WL_PAGE_SIZE, i, 0);
	for (iter = 1; ; iter++) {
		for (i = 0; i < pages; i++)
			errors += !!wl_check_page(buf + i * WL_PAGE_SIZE, i, gen[i]);
		i = iter % pages;
		wl_fill_page(buf + i * WL_PAGE_SIZE, i, ++gen[i]);
		printf("kvmmig-wl: idle iter=%llu errors=%lu\n",
		       (unsigned long long)iter, errors);
		usleep(WL_HEARTBEAT_MS * 1000);
	}
	return 0;
}
