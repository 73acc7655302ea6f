// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the source of a post-copy (--postcopy, after
 * --precopy-rounds N pre-copy rounds): the switch-over, then the page
 * requests of the destination and the background pass.
 */
#include "kvmmig-migrate.h"

/*
 * Send data pages @gfns[0..@n) whole (no classification), in wire batches
 * of BATCH at most; returns 0, or -1 when the link died.
 */
static int send_whole(struct src_state *s, const uint64_t *gfns, uint64_t n)
{
	for (uint64_t off = 0; off < n; off += BATCH) {
		uint32_t k = n - off < BATCH ? n - off : BATCH;

		for (uint32_t i = 0; i < k; i++) {
			s->wp[i] = (struct wpage){ .gfn = gfns[off + i],
						   .class = KVMMIG_CLASS_DATA };
			memcpy(s->data + (uint64_t)i * PAGE, gfn_hva(s->m, gfns[off + i]), PAGE);
		}
		if (send_hdr(s->sock, W_PAGES, k, k) ||
		    send_all(s->sock, s->wp, k * sizeof(*s->wp)) ||
		    send_all(s->sock, s->data, (uint64_t)k * PAGE))
			return -1;
		s->res.pages_data += k;
	}
	return 0;
}

/* Data page @g not sent yet: mark it sent in @sent and return 1. */
static int send_once(struct src_state *s, uint64_t *sent, uint64_t g)
{
	uint64_t p = g - DATA_GFN;

	if (g < DATA_GFN || p >= s->m->npages || (sent[p / 64] >> (p % 64) & 1))
		return 0;
	sent[p / 64] |= 1ull << (p % 64);
	return 1;
}

/*
 * Post-copy, source: the vCPUs stop; slot 0 (guest code, page tables,
 * struct gctl) is sent whole, then the class of every data page the
 * destination does not hold (free / zero / pattern / duplicate of a
 * canonical page / data), the canonical pages, the vCPU state and the
 * page hash of the stopped RAM.  The destination resumes the guest at
 * once; from then on this side answers its page requests and, once told
 * to, pushes the rest in send order (the background pass) until the
 * destination has every page.  @need: the data pages to transfer (bits
 * over guest frames).
 */
int source_postcopy(struct src_state *s, uint64_t *need, int *lost, uint64_t t_stop)
{
	struct vmm *m = s->m;
	uint64_t nfree, n = 0, nmap = 0, nbg = 0, served = 0, bi = 0, hash;
	uint64_t *bg = calloc(m->npages, 8), *sent = calloc((m->npages + 63) / 64, 8);
	struct wpage *map = calloc(m->npages, sizeof(*map));
	uint8_t *canon = calloc(m->npages, 1);
	int bg_on = !o.bg_after_work, rc = 0;
	struct whdr h, ack;

	(void)rc;
	s->pace = 0;	/* requests wait for their answers: not rate-limited */
	TEST_ASSERT(bg && sent && map && canon, "oom");
	/* requests and answers are small: no Nagle delay */
	setsockopt(s->sock, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	/* slot 0, whole */
	for (uint64_t g = 0; g < m->slot0_pages; g++)
		s->gfns[n++] = g;
	if (send_pages(s, s->gfns, n, 0))
		goto lost;
	/* the data pages to transfer, in send order, then any it left out */
	n = send_order(s, need, 0, &nfree);
	{
		uint64_t k = 0, *inl = calloc((m->npages + 63) / 64, 8);

		TEST_ASSERT(inl, "oom");
		for (uint64_t i = 0; i < n; i++)
			if (s->gfns[i] >= DATA_GFN && s->gfns[i] < DATA_GFN + m->npages) {
				uint64_t p = s->gfns[i] - DATA_GFN;

				if (inl[p / 64] >> (p % 64) & 1)
					continue;
				inl[p / 64] |= 1ull << (p % 64);
				s->gfns[k++] = s->gfns[i];
			}
		n = k;
		for (uint64_t p = 0; p < m->npages; p++) {
			uint64_t g = DATA_GFN + p;

			if ((need[g / 64] >> (g % 64) & 1) && !(inl[p / 64] >> (p % 64) & 1))
				s->gfns[n++] = g;
		}
		free(inl);
	}
	/* classes, in batches: CLASSIFY or userspace zero / pattern */
	for (uint64_t off = 0; off < n; off += BATCH) {
		uint32_t nb = n - off < BATCH ? n - off : BATCH;

		classify(s, s->gfns + off, nb);
		for (uint32_t i = 0; i < nb; i++) {
			struct wpage *e = &map[nmap++];
			uint64_t p = s->wp[i].gfn - DATA_GFN;

			*e = s->wp[i];
			e->ref = 0;
			if (g_is_free(m->ctl, p)) {
				e->class = W_CLASS_FREE;
				e->value = 0;
				s->res.pages_free++;
				continue;
			}
			if (e->class == KVMMIG_CLASS_DUP) {
				const struct wpage *c = &s->wp[s->wp[i].ref];

				if (s->wp[i].ref < i && c->class == KVMMIG_CLASS_DATA) {
					e->value = c->gfn;
					canon[c->gfn - DATA_GFN] = 1;
					s->res.pages_dup++;
				} else {
					e->class = KVMMIG_CLASS_DATA;
				}
			}
			if (e->class == KVMMIG_CLASS_ZERO)
				s->res.pages_zero++;
			else if (e->class == KVMMIG_CLASS_PATTERN)
				s->res.pages_pattern++;
		}
	}
	for (uint64_t i = 0; i < nmap; i++)
		if (map[i].class == KVMMIG_CLASS_DATA && !canon[map[i].gfn - DATA_GFN])
			bg[nbg++] = map[i].gfn;
	dbg("source: post-copy: %llu pages to transfer, %llu data\n",
	    (unsigned long long)nmap, (unsigned long long)nbg);
	if (send_hdr(s->sock, W_PC_BEGIN, 0, nmap))
		goto lost;
	for (uint64_t off = 0; off < nmap; off += BATCH) {
		uint32_t nb = nmap - off < BATCH ? nmap - off : BATCH;

		if (send_hdr(s->sock, W_PC_MAP, nb, 0) ||
		    send_all(s->sock, map + off, nb * sizeof(*map)))
			goto lost;
	}
	/* canonical pages now: the destination fills duplicates from them */
	n = 0;
	for (uint64_t p = 0; p < m->npages; p++)
		if (canon[p] && send_once(s, sent, DATA_GFN + p))
			s->gfns[n++] = DATA_GFN + p;
	if (send_whole(s, s->gfns, n))
		goto lost;
	hash = ram_phash(m);
	if (send_state(s) || send_hdr(s->sock, W_PC_GO, 0, hash) ||
	    send_hdr(s->sock, W_DONE, 0, 0) ||
	    recv_all(s->sock, &ack, sizeof(ack)) || ack.type != W_ACK_RECEIVED)
		goto lost;
	/* the destination runs the guest now: downtime ends */
	s->res.downtime_ms = (now_ns() - t_stop) / 1000000;
	migration_end(s, KVMMIG_OUTCOME_CONVERGED, now_ns() - t_stop);

	/* serve: requests first, the background pass in between */
	for (;;) {
		struct pollfd pf = { .fd = s->sock, .events = POLLIN };
		int busy = bg_on && bi < nbg;
		uint64_t req[2 * KVMMIG_PREFETCH_MAX_WINDOW + 1], out[ARRAY_SIZE(req)];
		uint32_t k = 0;

		if (poll(&pf, 1, busy ? 0 : 1000) > 0) {
			if (recv_all(s->sock, &h, sizeof(h)))
				goto lost;
			if (h.type == W_BG_START) {
				bg_on = 1;
				continue;
			}
			if (h.type == W_PC_DONE) {
				if (o.kill_src_after_postcopy) {
					/* fault injection: every page sent, no report yet */
					msg("kvmmig-migrate: fault injection: %s\n",
					    "killing the source after its last page");
					raise(SIGKILL);
				}
				break;
			}
			if (h.type != W_REQ || h.count > ARRAY_SIZE(req) ||
			    recv_all(s->sock, req, h.count * sizeof(req[0])))
				goto lost;
			for (uint32_t i = 0; i < h.count; i++)
				if (send_once(s, sent, req[i]))
					out[k++] = req[i];
		} else if (busy) {
			while (k < 64 && bi < nbg)
				if (send_once(s, sent, bg[bi++]))
					out[k++] = bg[bi - 1];
		} else {
			continue;
		}
		if (send_whole(s, out, k))
			goto lost;
		/* fault injection: after N answers or background batches */
		if (o.kill_src_in_postcopy && ++served >= (uint64_t)o.kill_src_in_postcopy) {
			msg("kvmmig-migrate: fault injection: %s, after %llu %s\n",
			    "killing the source in post-copy",
			    (unsigned long long)served, "answers / batches");
			raise(SIGKILL);
		}
	}
	goto out;
lost:
	*lost = 1;
out:
	free(bg);
	free(sent);
	free(map);
	free(canon);
	return rc;
}
