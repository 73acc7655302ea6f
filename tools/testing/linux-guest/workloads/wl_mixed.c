// SPDX-License-Identifier: GPL-2.0
/*
 * mixed: what a migration's content classes meet in a real guest.  Of
 * about MIB MiB: a file written once and copied COPIES times (page cache,
 * identical pages in different files), zero pages that were written,
 * pages filled with one repeated word, two buffers with the same content,
 * and a small hot working set rewritten at every pass (its generation
 * goes up).  Each pass rewrites the hot set after checking it, and checks
 * a slice of everything else, so the whole is checked every few passes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wl.h"

#define COPIES		3
#define HOT_PAGES	64
#define FILE_DIR	"/tmp"

/* Pattern pages: one word, from the page's index, over the whole page. */
static void fill_pattern(uint64_t *p, uint64_t index)
{
	uint64_t v = wl_word(index, 0, 0), w;

	for (w = 0; w < WL_WORDS_PER_PAGE; w++)
		p[w] = v;
}

static unsigned long check_pattern(const uint64_t *p, uint64_t index)
{
	uint64_t v = wl_word(index, 0, 0), w;
	unsigned long bad = 0;

	for (w = 0; w < WL_WORDS_PER_PAGE; w++)
		bad += p[w] != v;
	return bad;
}

static unsigned long check_zero(const uint64_t *p)
{
	unsigned long bad = 0;
	uint64_t w;

	for (w = 0; w < WL_WORDS_PER_PAGE; w++)
		bad += p[w] != 0;
	return bad;
}

static uint64_t *page_at(char *base, size_t index)
{
	return (uint64_t *)(base + index * WL_PAGE_SIZE);
}

static void write_file(const char *path, size_t pages, int copy_from)
{
	char page[WL_PAGE_SIZE];
	int fd, src = -1;
	size_t i;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (copy_from >= 0)
		src = copy_from;
	for (i = 0; fd >= 0 && i < pages; i++) {
		if (src >= 0) {
			if (pread(src, page, sizeof(page), i * WL_PAGE_SIZE) != sizeof(page))
				break;
		} else {
			wl_fill_page(page, i, 1);
		}
		if (write(fd, page, sizeof(page)) != sizeof(page))
			break;
	}
	if (fd < 0 || i != pages) {
		perror("kvmmig-wl: mixed: writing the file");
		exit(1);
	}
	close(fd);
}

/* Check page @i of file copy @fd; 1 if it is wrong. */
static unsigned long check_file_page(int fd, size_t i)
{
	uint64_t page[WL_WORDS_PER_PAGE];

	if (pread(fd, page, sizeof(page), i * WL_PAGE_SIZE) != sizeof(page))
		return 1;
	return !!wl_check_page(page, i, 1);
}

int wl_mixed(unsigned long mib)
{
	size_t part = mib * 256 / 8, i, pos = 0;
	char *zero, *pattern, *dup_a, *dup_b, *hot;
	uint64_t iter, hot_gen = 0, next = 0;
	unsigned long errors = 0;
	int fds[COPIES], c;
	char path[64];

	if (part < 16)
		part = 16;
	/* 1/8 file (x COPIES), 2/8 zero, 2/8 pattern, 2 x 1/8 duplicates */
	for (c = 0; c < COPIES; c++) {
		snprintf(path, sizeof(path), FILE_DIR "/kvmmig-wl-file.%d", c);
		write_file(path, part, c ? fds[0] : -1);
		fds[c] = open(path, O_RDONLY);
		if (fds[c] < 0) {
			perror("kvmmig-wl: mixed: open");
			return 1;
		}
	}
	zero = wl_alloc(2 * part * WL_PAGE_SIZE);
	pattern = wl_alloc(2 * part * WL_PAGE_SIZE);
	dup_a = wl_alloc(part * WL_PAGE_SIZE);
	dup_b = wl_alloc(part * WL_PAGE_SIZE);
	hot = wl_alloc(HOT_PAGES * WL_PAGE_SIZE);
	memset(zero, 0, 2 * part * WL_PAGE_SIZE);
	for (i = 0; i < 2 * part; i++)
		fill_pattern((uint64_t *)(pattern + i * WL_PAGE_SIZE), i);
	for (i = 0; i < part; i++) {
		wl_fill_page(dup_a + i * WL_PAGE_SIZE, i, 2);
		wl_fill_page(dup_b + i * WL_PAGE_SIZE, i, 2);
	}
	for (i = 0; i < HOT_PAGES; i++)
		wl_fill_page(hot + i * WL_PAGE_SIZE, i, hot_gen);

	for (iter = 1; ; iter++) {
		for (i = 0; i < HOT_PAGES; i++) {
			errors += !!wl_check_page(hot + i * WL_PAGE_SIZE, i, hot_gen);
			wl_fill_page(hot + i * WL_PAGE_SIZE, i, hot_gen + 1);
		}
		hot_gen++;
		/* A slice of the rest: 1/16 of each part per pass. */
		for (i = 0; i < part / 16 + 1; i++, pos = (pos + 1) % part) {
			size_t far = part + pos;

			for (c = 0; c < COPIES; c++)
				errors += check_file_page(fds[c], pos);
			errors += !!check_zero(page_at(zero, pos));
			errors += !!check_zero(page_at(zero, far));
			errors += !!check_pattern(page_at(pattern, pos), pos);
			errors += !!check_pattern(page_at(pattern, far), far);
			errors += !!wl_check_page(dup_a + pos * WL_PAGE_SIZE, pos, 2);
			errors += !!wl_check_page(dup_b + pos * WL_PAGE_SIZE, pos, 2);
		}
		if (wl_heartbeat_due(&next))
			printf("kvmmig-wl: mixed iter=%llu errors=%lu\n",
			       (unsigned long long)iter, errors);
		usleep(10000);
	}
	return 0;
}
