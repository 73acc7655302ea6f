// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the destination: receives pages and vCPU state, checks
 * the RAM hash, runs the guest; after a post-copy switch-over, the guest
 * runs at once and the pages follow (uffd.c).
 */
#include "kvmmig-migrate.h"

/* ---- destination ---- */
static int dst_recv_state(struct vmm *m, int sock, struct whdr *h)
{
	struct kvm_x86_state *st;
	int xsize;

	if (h->count >= (uint32_t)o.vcpus || h->arg > (1u << 20))
		return -1;
	st = malloc(h->arg);
	if (!st || recv_all(sock, st, h->arg) || recv_all(sock, &xsize, sizeof(xsize)) ||
	    xsize <= 0 || xsize > (1 << 20))
		return -1;
	st->xsave = malloc(xsize);
	if (!st->xsave || recv_all(sock, st->xsave, xsize))
		return -1;
	vcpu_load_state(m->vcpus[h->count], st);
	kvm_x86_state_cleanup(st);
	return 0;
}

/*
 * Post-copy, destination, from the switch-over: the vCPUs run at once;
 * missing pages fault to the fault thread, the receive thread places what
 * the source sends.  Ends when every data page is here (then the page
 * hash of what arrived is compared with the source's and the RAM read
 * back), or when the source is lost: then the guest is paused (vCPUs
 * parked, or waiting in a fault on a missing page: none runs past one),
 * the loss reported, and the process waits, VM intact, until it is ended
 * (SIGTERM; alarm() bounds it): a VMM would wait there for a new source.
 */
static int dest_postcopy(struct vmm *m, struct pc *pc, int sock, int resfd, uint64_t src_hash)
{
	struct result res = { .valid = 1 };
	uint64_t c0[MAX_VCPUS], t_resume, t_work = 0, deadline;
	int work_seen = 0, bg_sent = !o.bg_after_work;

	pc->sock = sock;
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	pc_fill_set(pc);
	pc_hash_known(pc);
	if (send_hdr(sock, W_ACK_RECEIVED, 0, 0))
		goto lost;
	pc_start_fault_thread(pc);
	pc_start_aux_thread(pc, pc_recv_thread);
	for (int i = 0; i < o.vcpus; i++)
		c0[i] = READ_ONCE(m->ctl->counter[i]);
	t_resume = now_ns();
	deadline = t_resume + 900 * 1000000000ull;
	pc_log_start(pc);
	vcpus_start(m);
	dbg("destination: post-copy: vCPUs resumed, %llu data pages to come\n",
	    (unsigned long long)pc->need_data);
	for (;;) {
		uint64_t t = now_ns();

		if (READ_ONCE(pc->lost))
			goto lost;
		if (__atomic_load_n(&pc->copy_err, __ATOMIC_ACQUIRE))
			break;
		if (!work_seen && work_done(m, c0)) {
			work_seen = 1;
			t_work = t;
			res.work_faults = pc->faults;
			res.work_ms = (t - t_resume) / 1000000;
		}
		if (!bg_sent && (work_seen || t - t_resume > 120 * 1000000000ull)) {
			if (!work_seen)
				msg("kvmmig-migrate: destination: %s\n",
				    "no useful work after 120 s; background pass starts");
			bg_sent = 1;
			if (pc_send(pc, W_BG_START, 0, 0, NULL, 0))
				goto lost;
		}
		if (placed_data(pc) >= pc->need_data && (work_seen || !o.bg_after_work))
			break;
		if (placed_data(pc) >= pc->need_data && t - t_resume > 120 * 1000000000ull)
			break;
		if (t > deadline) {
			msg("kvmmig-migrate: destination: post-copy did not complete in 900 s\n");
			goto lost;
		}
		usleep(2000);
	}
	(void)t_work;
	res.pc_ms = (now_ns() - t_resume) / 1000000;
	pc_counters(pc, &res);
	res.prefetch_vmm = pc->prefetched;
	res.prefetch_vmm_useful = pc->prefetched_useful;
	res.pages_requested = pc->requested_pages;
	res.prefetch_issued = mod_stat(m->session, "prefetch_issued");
	res.prefetch_used = mod_stat(m->session, "prefetch_used");
	/*
	 * Every page is here (or a copy failed, and the check below fails):
	 * the source is not needed any more (a source that dies from now on
	 * is no loss); end the receive thread, not the fault thread, which
	 * fills metadata pages on first touch.
	 */
	WRITE_ONCE(pc->recv_done, 1);
	if (pc_send(pc, W_PC_DONE, 0, 0, NULL, 0))
		msg("kvmmig-migrate: destination: %s\n",
		    "source gone after the last page: finishing without it");
	shutdown(sock, SHUT_RD);
	res.hash_ok = pc_check(pc, src_hash, 1, &res, "post-copy", "source", "destination");
	res.dst_progress = progress_check(m);
	if (!res.dst_progress)
		msg("kvmmig-migrate: destination: guest counters do not advance\n");
	res.outcome = res.hash_ok && res.dst_progress ? OUT_CONVERGED : OUT_MISMATCH;
	if (!o.quiet)
		printf("post-copy: %llu faults (msgs %llu, %llu %s), %s %llu, %s %llu, %llu ms\n",
		       (unsigned long long)res.pc_faults, (unsigned long long)res.uffd_msgs,
		       (unsigned long long)res.local_fills, "filled locally", "pages requested",
		       (unsigned long long)res.pages_requested, "prefetched",
		       (unsigned long long)res.prefetch_vmm, (unsigned long long)res.pc_ms);
	pc_send(pc, W_REPORT, 0, 0, &res, sizeof(res));
	if (write_result(resfd, &res))
		res.outcome = OUT_MISMATCH;
	vcpus_join(m);
	pc_stop_threads(pc);
	kvm_vm_free(m->vm);
	close(sock);
	return res.outcome == OUT_CONVERGED ? 0 : 1;
lost:
	WRITE_ONCE(pc->lost, 1);
	vcpus_pause(m);
	msg("kvmmig-migrate: destination: %s, %llu of %llu data pages %s\n",
	    "source lost during post-copy",
	    (unsigned long long)(pc->need_data - placed_data(pc)),
	    (unsigned long long)pc->need_data,
	    "missing: guest paused (no vCPU runs past a missing page), not resumed");
	res.outcome = OUT_SRC_LOST;
	res.pc_faults = pc->faults;
	res.dst_paused = counters_still(m, 500);
	if (write_result(resfd, &res))
		_exit(4);
	close(resfd);
	/* paused: vCPUs may wait in a userfault that nothing serves now */
	for (;;)
		pause();
}

int dest_main(int lsock, int resfd)
{
	struct vmm *m = calloc(1, sizeof(*m));
	struct wpage *wp = calloc(BATCH, sizeof(*wp));
	uint8_t *data = malloc(BATCH * PAGE);
	struct result res = { .valid = 1 };
	int sock, dstore = -1, done = 0, rc, data_touched = 0;
	uint64_t src_hash = 0, dst_hash, states = 0, pc_src_hash = 0, pc_map = 0;
	struct pc *pc = NULL;
	static const uint8_t zero[PAGE];
	struct whdr h;

	vmm_create(m, 0);
	sock = accept(lsock, NULL, NULL);
	close(lsock);
	if (sock < 0) {
		msg("kvmmig-migrate: destination: accept: %s\n", strerror(errno));
		return 5;
	}
	while (!done) {
		if (recv_all(sock, &h, sizeof(h)))
			break;
		switch (h.type) {
		case W_PAGES: {
			uint32_t di = 0;

			if (h.count > BATCH || h.arg > h.count ||
			    recv_all(sock, wp, h.count * sizeof(*wp)) ||
			    recv_all(sock, data, h.arg * PAGE))
				goto eof;
			for (uint32_t i = 0; i < h.count; i++) {
				uint8_t *p = gfn_hva(m, wp[i].gfn);

				if (!p) {
					msg("kvmmig-migrate: destination: bad gfn 0x%llx\n",
					    (unsigned long long)wp[i].gfn);
					goto eof;
				}
				if (wp[i].gfn >= DATA_GFN)
					data_touched = 1;
				if (pc && wp[i].gfn >= DATA_GFN) {
					/* post-copy: the canonical pages, placed */
					if (wp[i].class != KVMMIG_CLASS_DATA || di >= h.arg)
						goto eof;
					pc_place(pc, wp[i].gfn - DATA_GFN,
						 data + (uint64_t)di++ * PAGE);
					continue;
				}
				switch (wp[i].class) {
				case KVMMIG_CLASS_DATA:
					if (di >= h.arg)
						goto eof;
					memcpy(p, data + (uint64_t)di++ * PAGE, PAGE);
					break;
				case KVMMIG_CLASS_ZERO:
					/* fresh memory reads zero: leave it unallocated */
					if (memcmp(p, zero, PAGE))
						memset(p, 0, PAGE);
					break;
				case KVMMIG_CLASS_PATTERN:
					fill_pattern(p, wp[i].value);
					break;
				case KVMMIG_CLASS_DUP: {
					uint8_t *c;

					if (wp[i].ref >= i)
						goto eof;
					c = gfn_hva(m, wp[wp[i].ref].gfn);
					memcpy(p, c, PAGE);
					break;
				}
				case W_CLASS_DSTORE:
					/* opened late: the source creates it */
					if (dstore < 0 && o.datastore)
						dstore = open(o.datastore, O_RDONLY | O_CLOEXEC);
					if (dstore < 0 || pread(dstore, p, PAGE,
								wp[i].gfn * PAGE) != PAGE) {
						msg("kvmmig-migrate: datastore %s: %s\n",
						    o.datastore, strerror(errno));
						goto eof;
					}
					res.pages_dstore++;
					break;
				default:
					break;
				}
			}
			break;
		}
		case W_STATE:
			dbg("destination: loading vCPU %u\n", h.count);
			if (dst_recv_state(m, sock, &h))
				goto eof;
			states++;
			break;
		case W_PC_BEGIN:
			if (pc || h.arg > m->npages)
				goto eof;
			pc = pc_alloc(m);
			if (attach_session(m) == 0)
				faults_enable(m);
			if (pc_register(pc))
				goto eof;
			pc_map = h.arg;
			break;
		case W_PC_MAP:
			if (!pc || h.count > BATCH || h.count > pc_map ||
			    recv_all(sock, wp, h.count * sizeof(*wp)))
				goto eof;
			pc_map -= h.count;
			for (uint32_t i = 0; i < h.count; i++) {
				uint64_t pg = wp[i].gfn - DATA_GFN;
				int c = wire_to_pg(wp[i].class);

				if (wp[i].gfn < DATA_GFN || pg >= m->npages || c < PG_DATA ||
				    (c == PG_DUP && (wp[i].value < DATA_GFN ||
						     wp[i].value - DATA_GFN >= m->npages)))
					goto eof;
				pc->cls[pg] = c;
				pc->val[pg] = c == PG_DUP ? wp[i].value - DATA_GFN : wp[i].value;
				if (c == PG_DUP)
					pc->is_canon[pc->val[pg]] = 1;
				if (c == PG_DATA)
					pc->need_data++;
				/* hybrid: a stale pre-copied page becomes missing */
				if (data_touched)
					madvise(m->data_hva + pg * PAGE, PAGE, MADV_DONTNEED);
			}
			break;
		case W_PC_GO:
			pc_src_hash = h.arg;
			break;
		case W_DONE:
			done = 1;
			break;
		case W_CANCEL:
			msg("kvmmig-migrate: destination: cancelled; guest not resumed\n");
			res.outcome = OUT_NOT_CONVERGED;
			if (write_result(resfd, &res))
				return 2;
			kvm_vm_free(m->vm);
			return 2;
		default:
			goto eof;
		}
	}
eof:
	if (!done || states != (uint64_t)o.vcpus) {
		msg("kvmmig-migrate: destination: source lost mid-migration; guest not resumed\n");
		goto src_lost;
	}
	if (pc) {
		if (pc_map) {
			msg("kvmmig-migrate: destination: post-copy map incomplete\n");
			goto src_lost;
		}
		return dest_postcopy(m, pc, sock, resfd, pc_src_hash);
	}
	dbg("destination: all received\n");
	/* the vCPUs hold the source's state; pages are all here */
	if (send_hdr(sock, W_ACK_RECEIVED, 0, 0))
		msg("kvmmig-migrate: destination: ack: %s\n", strerror(errno));
	dst_hash = ram_hash(m);
	if (recv_all(sock, &h, sizeof(h)) || h.type != W_HASH) {
		msg("kvmmig-migrate: destination: no RAM hash from the source: not resumed\n");
		goto src_lost;
	}
	src_hash = h.arg;
	res.hash_ok = dst_hash == src_hash;
	if (!res.hash_ok) {
		msg("kvmmig-migrate: RAM HASH MISMATCH: source 0x%llx, destination 0x%llx\n",
		    (unsigned long long)src_hash, (unsigned long long)dst_hash);
		msg("kvmmig-migrate: destination guest not resumed\n");
		res.outcome = OUT_MISMATCH;
	} else {
		vcpus_start(m);
		res.dst_progress = progress_check(m);
		if (!res.dst_progress)
			msg("kvmmig-migrate: destination: guest counters do not advance\n");
		res.outcome = res.dst_progress ? OUT_CONVERGED : OUT_MISMATCH;
	}
	rc = res.outcome == OUT_CONVERGED ? 0 : 1;
	send_hdr(sock, W_REPORT, 0, 0);
	send_all(sock, &res, sizeof(res));
	if (write_result(resfd, &res))
		rc = 1;
	vcpus_join(m);
	kvm_vm_free(m->vm);
	close(sock);
	return rc;
src_lost:
	res.outcome = OUT_SRC_LOST;
	if (write_result(resfd, &res) || pc)
		_exit(4);	/* post-copy: the VM is left as it is */
	kvm_vm_free(m->vm);
	return 4;
}

