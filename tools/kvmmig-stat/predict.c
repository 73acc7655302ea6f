// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-stat: would a pre-copy converge, and how long would it take?
 * The model (README, "Prediction"):
 *   round 0 sends @round0_pages;
 *   each later round sends what the guest dirtied during the previous
 *   round: dirty rate x that round's time, at most the hot set (the pages
 *   the guest keeps rewriting); with no measured dirty rate, the whole hot
 *   set every round;
 *   it converges when what is left fits in bandwidth x downtime: then one
 *   stop-and-copy of what is left;
 *   it does not converge when a round leaves no less than the round
 *   before and that is more than fits (dirty rate >= send rate and a hot
 *   set larger than bandwidth x downtime), or after MAX_ROUNDS.
 */
#include "kvmmig_stat.h"

#define MAX_ROUNDS	30	/* kvmmig-migrate's and QEMU's order of magnitude */
#define PAGE_BYTES	4096.0

void predict(uint64_t round0_pages, uint64_t hot_pages, int dirty_known, double dirty_pps,
	     double bandwidth_mbps, double downtime_ms, struct prediction *p)
{
	double send_pps = bandwidth_mbps * 1e6 / 8 / PAGE_BYTES;
	double fit = send_pps * downtime_ms / 1000;	/* pages a pause may send */
	double left = round0_pages, t = 0;

	*p = (struct prediction){ .round0_pages = round0_pages, .hot_pages = hot_pages,
				  .dirty_pps = dirty_pps, .dirty_measured = dirty_known };
	if (send_pps <= 0 || !round0_pages)
		return;
	p->known = 1;
	for (uint64_t r = 0; r < MAX_ROUNDS; r++) {
		double round_s, next;

		if (r > 0 && left <= fit) {
			p->converges = 1;
			break;
		}
		round_s = left / send_pps;
		t += round_s;
		p->rounds++;
		next = dirty_known ? dirty_pps * round_s : hot_pages;
		if (next > hot_pages)
			next = hot_pages;
		if (r > 0 && next >= left && next > fit) {
			left = next;
			break;		/* does not shrink: no convergence */
		}
		left = next;
	}
	if (!p->converges && left <= fit)
		p->converges = 1;
	p->downtime_s = left / send_pps;
	p->total_s = t + p->downtime_s;
}
