/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmmig-stat: declarations shared by its files (not the uapi: that is
 * kvmmig_client.h).
 */
#ifndef KVMMIG_STAT_H
#define KVMMIG_STAT_H

#include <stdint.h>

/* Heat map cells per row: 512 pages (2 MiB) or 512 regions (1 GiB). */
#define HEATMAP_WIDTH		512
/* Above this many 4 KiB pages of span, one cell per 2 MiB region. */
#define HEATMAP_MAX_PAGE_CELLS	BIT_ULL(22)

void heatmap_colour(uint8_t level, unsigned char rgb[3]);
int heatmap_write(const char *path, const uint8_t *cells, uint64_t ncells, int store,
		  uint32_t *width, uint32_t *height);

/* The pre-copy model (predict.c; README "Prediction"). */
struct prediction {
	int known;			/* 0: not enough data */
	int converges;
	uint64_t rounds;		/* pre-copy rounds, round 0 included */
	double total_s;			/* rounds + stop-and-copy */
	double downtime_s;		/* the stop-and-copy */
	uint64_t round0_pages;
	uint64_t hot_pages;
	double dirty_pps;		/* pages dirtied per second used */
	int dirty_measured;		/* 0: assumed, the hot set every round */
};

void predict(uint64_t round0_pages, uint64_t hot_pages, int dirty_known, double dirty_pps,
	     double bandwidth_mbps, double downtime_ms, struct prediction *p);

#endif /* KVMMIG_STAT_H */
