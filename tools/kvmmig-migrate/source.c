// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the source.  Dirty logging goes on when vCPU 0 reports
 * its workload set up (before it may reallocate a page it hinted free).
 * Round 1 sends everything (KVMMIG_SEND_ORDER_ALL); each later round is
 * KVM_GET_DIRTY_LOG + MARK + GET_SEND_ORDER, then CLASSIFY (with data) in
 * batches of BATCH pages, one wire batch per call: a struct whdr, one
 * struct wpage per page, then the DATA pages' bytes.  ZERO and PATTERN go
 * as metadata, DUP as the index of its canonical page earlier in the
 * batch, free-hinted pages not at all.  The rate measured while sending
 * decides stop-and-copy (remaining pages within --downtime-ms).  Then the
 * vCPUs park, a last harvest is sent, every vCPU's state follows, and the
 * destination acknowledges (the downtime ends there).  The source hashes
 * its stopped RAM and sends the hash; the destination compares it with
 * its own before resuming the guest.  The hash leaves out the data pages
 * the guest holds free (struct gctl.free_map): their contents are garbage
 * the destination never gets.  Without a kvmmig feature (ENOTTY) the
 * source says so and falls back (gfn order, userspace zero/pattern
 * detection, no hints, no stun).  Post-copy continues in
 * source_postcopy.c.
 */
#include "kvmmig-migrate.h"

static void mark(struct src_state *s)
{
	struct kvmmig_free_hints h = { .size = sizeof(h), .flags = KVMMIG_FREE_HINT_MARK };

	if (o.mode == MODE_KVMMIG && s->m->hints_on && !s->m->hints_failed)
		ioctl(s->m->session, KVMMIG_FREE_HINTS, &h);
}

/*
 * The list of frames to send for @bits: the module's order (runs of
 * frames, expanded here into the send list), or gfn order.
 */
uint64_t send_order(struct src_state *s, uint64_t *bits, int all, uint64_t *nr_free)
{
	struct vmm *m = s->m;
	uint64_t n = 0;

	*nr_free = 0;
	if (o.mode == MODE_KVMMIG && s->have_order) {
		struct kvmmig_send_order a = {
			.size = sizeof(a), .flags = all ? KVMMIG_SEND_ORDER_ALL : 0,
			.base_gfn = 0, .npages = m->nbits,
			.bitmap_ptr = (unsigned long)bits,
			.runs_ptr = (unsigned long)s->runs, .max_runs = m->nbits,
		};

		if (!ioctl(m->session, KVMMIG_GET_SEND_ORDER, &a)) {
			for (uint64_t r = 0; r < a.nr_runs; r++)
				for (uint64_t i = 0; i < s->runs[r].npages && n < m->nbits; i++)
					s->gfns[n++] = s->runs[r].gfn + i;
			*nr_free = a.nr_free;
			return n;
		}
		msg("kvmmig-migrate: GET_SEND_ORDER: %s%s: falling back to gfn order\n",
		    strerror(errno), errno == ENOTTY ? " (not in this module yet)" : "");
		s->have_order = 0;
	}
	for (uint64_t g = 0; g < m->nbits; g++)
		if ((bits[g / 64] >> (g % 64)) & 1)
			if (gfn_hva(m, g))
				s->gfns[n++] = g;
	return n;
}

static int is_zero_page(const uint8_t *p, const uint8_t *zero)
{
	return !memcmp(p, zero, PAGE);
}

int is_pattern_page(const uint8_t *p, uint64_t *v)
{
	const uint64_t *w = (const uint64_t *)p;

	for (int i = 1; i < 512; i++)
		if (w[i] != w[0])
			return 0;
	*v = w[0];
	return 1;
}

/*
 * Pages the kernel did not read because they are not resident (swapped
 * out): this VMM reads them itself and sends them as DATA.  The kernel
 * packed @nr_data DATA pages in list order; each ABSENT page takes its
 * place among them, so the DATA pages after it move up one slot (from the
 * last, so nothing is overwritten before it moves).
 */
static void read_absent(struct src_state *s, const uint64_t *gfns, uint32_t n,
			uint32_t nr_data)
{
	uint32_t total = 0, k, i;

	for (i = 0; i < n; i++)
		total += s->cls[i].class == KVMMIG_CLASS_DATA ||
			 s->cls[i].class == KVMMIG_CLASS_ABSENT;
	k = nr_data;
	for (i = n; i-- > 0;) {
		if (s->cls[i].class == KVMMIG_CLASS_DATA) {
			total--;
			k--;
			memmove(s->data + (uint64_t)total * PAGE,
				s->data + (uint64_t)k * PAGE, PAGE);
			s->cls[i].ref = total;
		} else if (s->cls[i].class == KVMMIG_CLASS_ABSENT) {
			total--;
			memcpy(s->data + (uint64_t)total * PAGE,
			       gfn_hva(s->m, gfns[i]), PAGE);
			s->cls[i].class = KVMMIG_CLASS_DATA;
			s->cls[i].ref = total;
		}
	}
}

/* Classify @n frames of @gfns into s->wp / s->data; returns data pages. */
uint32_t classify(struct src_state *s, const uint64_t *gfns, uint32_t n)
{
	struct vmm *m = s->m;
	uint32_t nd = 0;

	if (o.mode == MODE_KVMMIG && s->have_classify) {
		struct kvmmig_classify a = {
			.size = sizeof(a), .flags = KVMMIG_CLASSIFY_GFN_LIST, .npages = n,
			.gfns_ptr = (unsigned long)gfns,
			.classes_ptr = (unsigned long)s->cls,
			.data_ptr = (unsigned long)s->data,
		};

		if (!ioctl(m->session, KVMMIG_CLASSIFY, &a)) {
			if (a.class_pages[KVMMIG_CLASS_ABSENT])
				read_absent(s, gfns, n, a.nr_data);
			for (uint32_t i = 0; i < n; i++) {
				s->wp[i].gfn = gfns[i];
				s->wp[i].class = s->cls[i].class;
				s->wp[i].ref = s->cls[i].class == KVMMIG_CLASS_DUP ?
					       s->cls[i].ref : 0;
				s->wp[i].value = s->cls[i].class == KVMMIG_CLASS_PATTERN ?
						 s->cls[i].value : 0;
				if (s->cls[i].class == KVMMIG_CLASS_DATA) {
					TEST_ASSERT(s->cls[i].ref == nd,
						    "CLASSIFY: data index %u, expected %u",
						    s->cls[i].ref, nd);
					nd++;
				}
			}
			TEST_ASSERT(nd == a.nr_data + a.class_pages[KVMMIG_CLASS_ABSENT],
				    "CLASSIFY: nr_data %u + absent %llu, counted %u",
				    a.nr_data,
				    (unsigned long long)a.class_pages[KVMMIG_CLASS_ABSENT],
				    nd);
			return nd;
		}
		msg("kvmmig-migrate: CLASSIFY: %s%s: classifying in userspace (zero, pattern)\n",
		    strerror(errno), errno == ENOTTY ? " (not in this module yet)" : "");
		s->have_classify = 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p = gfn_hva(m, gfns[i]);
		uint64_t v;

		s->wp[i].gfn = gfns[i];
		s->wp[i].ref = 0;
		s->wp[i].value = 0;
		if (is_zero_page(p, s->zero)) {
			s->wp[i].class = KVMMIG_CLASS_ZERO;
		} else if (o.mode == MODE_KVMMIG && is_pattern_page(p, &v)) {
			s->wp[i].class = KVMMIG_CLASS_PATTERN;
			s->wp[i].value = v;
		} else {
			s->wp[i].class = KVMMIG_CLASS_DATA;
			memcpy(s->data + (uint64_t)nd * PAGE, p, PAGE);
			nd++;
		}
	}
	return nd;
}

/* Send the frames of @gfns; returns 0, or -1 when the link died. */
int send_pages(struct src_state *s, const uint64_t *gfns, uint64_t n, int final)
{
	for (uint64_t off = 0; off < n; off += BATCH) {
		uint32_t nb = n - off < BATCH ? n - off : BATCH;
		uint32_t nd = classify(s, gfns + off, nb), di = 0;
		uint64_t send_data = nd;

		for (uint32_t i = 0; i < nb; i++) {
			switch (s->wp[i].class) {
			case KVMMIG_CLASS_DATA:
				s->r_data++;
				if (s->dstore >= 0) {
					if (pwrite(s->dstore, s->data + (uint64_t)di * PAGE, PAGE,
						   s->wp[i].gfn * PAGE) != PAGE) {
						msg("kvmmig-migrate: datastore pwrite: %s\n",
						    strerror(errno));
						return -2;
					}
					if (final)
						s->wp[i].class = W_CLASS_DSTORE;
				}
				di++;
				break;
			case KVMMIG_CLASS_ZERO:
				s->r_zero++;
				break;
			case KVMMIG_CLASS_PATTERN:
				s->r_pattern++;
				break;
			case KVMMIG_CLASS_DUP:
				s->r_dup++;
				break;
			}
		}
		if (final && s->dstore >= 0) {
			fdatasync(s->dstore);
			send_data = 0;
		}
		if (send_hdr(s->sock, W_PAGES, nb, send_data) ||
		    send_all(s->sock, s->wp, nb * sizeof(*s->wp)) ||
		    (s->pace ? send_paced : send_all)(s->sock, s->data, send_data * PAGE))
			return -1;
	}
	return 0;
}

int send_state(struct src_state *s)
{
	const struct kvm_msr_list *ml = kvm_get_msr_index_list();
	int xsize = vm_check_cap(s->m->vm, KVM_CAP_XSAVE2);

	if (!xsize)
		xsize = sizeof(struct kvm_xsave);
	struct vmm *m = s->m;

	dbg("source: saving vCPU state\n");
	vcpus_save_states(m);
	dbg("source: saved vCPU state\n");
	for (int i = 0; i < o.vcpus; i++) {
		struct kvm_x86_state *st = m->ctx[i].state;
		size_t sz = sizeof(*st) + ml->nmsrs * sizeof(st->msrs.entries[0]);

		m->ctx[i].state = NULL;

		if (send_hdr(s->sock, W_STATE, i, sz) ||
		    send_all(s->sock, st, sz) ||
		    send_all(s->sock, &xsize, sizeof(xsize)) ||
		    send_all(s->sock, st->xsave, xsize)) {
			kvm_x86_state_cleanup(st);
			return -1;
		}
		kvm_x86_state_cleanup(st);
	}
	return 0;
}

static int migration_ioctl(struct src_state *s, struct kvmmig_migration *a)
{
	if (!s->have_mig)
		return -1;
	a->size = sizeof(*a);
	if (!ioctl(s->m->session, KVMMIG_MIGRATION, a))
		return 0;
	if (errno == ENOTTY) {
		msg("kvmmig-migrate: no KVMMIG_MIGRATION in this module: no stun, no history\n");
		s->have_mig = 0;
	} else {
		msg("kvmmig-migrate: KVMMIG_MIGRATION 0x%x: %s\n", a->flags, strerror(errno));
	}
	return -1;
}

static void note_throttle(struct src_state *s, uint32_t pct)
{
	if (pct > s->res.throttle_max)
		s->res.throttle_max = pct;
}

void migration_end(struct src_state *s, uint32_t outcome, uint64_t downtime_ns)
{
	struct kvmmig_migration a = { .flags = KVMMIG_MIGRATION_END, .outcome = outcome,
				      .downtime_ns = downtime_ns };

	migration_ioctl(s, &a);
	if (o.history_out) {
		struct kvmmig_history h = { .size = sizeof(h) };
		FILE *f;

		if (!s->have_mig) {
			msg("kvmmig-migrate: history not saved: no KVMMIG_MIGRATION\n");
		} else if (ioctl(s->m->session, KVMMIG_GET_HISTORY, &h)) {
			msg("kvmmig-migrate: GET_HISTORY: %s\n", strerror(errno));
		} else {
			f = fopen(o.history_out, "wb");
			if (!f || fwrite(&h, sizeof(h), 1, f) != 1 || fclose(f))
				msg("kvmmig-migrate: %s: %s\n", o.history_out, strerror(errno));
			else if (!o.quiet)
				printf("history saved: %llu migrations, stun last %u%% max %u%%\n",
				       (unsigned long long)h.migrations, h.last_throttle_pct,
				       h.max_throttle_pct);
		}
	}
}

/*
 * The vCPUs stopped: add what they dirtied since the last harvest to
 * s->bits (hint_lock: see vm.c).
 */
static void harvest_stopped(struct src_state *s)
{
	pthread_mutex_lock(&s->m->hint_lock);
	dirty_log_get(s->m, s->bits2);
	mark(s);
	for (uint64_t i = 0; i < (s->m->nbits + 63) / 64; i++)
		s->bits[i] |= s->bits2[i];
	pthread_mutex_unlock(&s->m->hint_lock);
}

/* CLASSIFY with data vs memcpy of the same pages, x1000 (0: not measured). */
static uint64_t measure_classify(struct src_state *s)
{
	struct vmm *m = s->m;
	uint32_t n = m->npages < BATCH ? m->npages : BATCH;
	struct kvmmig_classify a = {
		.size = sizeof(a), .flags = KVMMIG_CLASSIFY_NO_DUP, .npages = n,
		.gfn = DATA_GPA / PAGE, .classes_ptr = (unsigned long)s->cls,
		.data_ptr = (unsigned long)s->data,
	};
	uint64_t t0, cls = ~0ull, cpy = ~0ull;

	if (o.mode != MODE_KVMMIG || !s->have_classify)
		return 0;
	for (int i = 0; i < 3; i++) {	/* best of three: TCG is noisy */
		t0 = now_ns();
		a.npages = n;
		if (ioctl(m->session, KVMMIG_CLASSIFY, &a))
			return 0;
		if (now_ns() - t0 < cls)
			cls = now_ns() - t0;
		t0 = now_ns();
		memcpy(s->data, m->data_hva, (uint64_t)n * PAGE);
		if (now_ns() - t0 < cpy)
			cpy = now_ns() - t0;
	}
	return cpy ? cls * 1000 / cpy : 0;
}

int source_main(int sock, int resfd, pid_t dst_pid)
{
	struct vmm *m = calloc(1, sizeof(*m));
	struct src_state *s = calloc(1, sizeof(*s));
	struct kvmmig_scan scan = { .size = sizeof(scan), .flags = KVMMIG_SCAN_START };
	struct kvmmig_migration ma = { 0 };
	uint64_t t_start, t_stop = 0, t_stopped = 0, nr, nr_free, prev_remaining = ~0ull, rate = 0;
	uint32_t pct = 0, want = 0;
	int round, rc = 0, converged = 0, lost = 0, pc_switch = 0;
	uint64_t words;

	s->m = m;
	s->sock = sock;
	s->dst_pid = dst_pid;
	s->dstore = -1;
	vmm_create(m, 1);
	words = (m->nbits + 63) / 64;
	s->bits = calloc(words, 8);
	s->bits2 = calloc(words, 8);
	s->gfns = calloc(m->nbits, 8);
	s->runs = calloc(m->nbits, sizeof(*s->runs));	/* runs <= frames */
	s->cls = calloc(BATCH, sizeof(*s->cls));
	s->wp = calloc(BATCH, sizeof(*s->wp));
	s->data = malloc(BATCH * PAGE);
	TEST_ASSERT(s->bits && s->bits2 && s->gfns && s->cls && s->wp && s->data, "oom");
	if (o.datastore) {
		s->dstore = open(o.datastore, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (s->dstore < 0) {
			msg("kvmmig-migrate: %s: %s\n", o.datastore, strerror(errno));
			return 5;
		}
	}

	if (attach_session(m))
		return 5;
	s->have_order = 1;
	s->have_classify = 1;
	s->have_mig = 1;
	m->hints_on = o.mode == MODE_KVMMIG;
	if (ioctl(m->session, KVMMIG_SET_SCAN, &scan))
		msg("kvmmig-migrate: SET_SCAN START: %s (no temperature: send order by gfn)\n",
		    strerror(errno));

	/* run the guest until its workload is set up */
	vcpus_start(m);
	vcpus_wait_ready(m);
	usleep(100000);
	if (o.start_delay_ms) {
		/* the guest runs; another process may find this one, the VM's holder */
		msg("kvmmig-migrate: source pid %d ready\n", (int)getpid());
		sleep_ns(o.start_delay_ms * 1000000ull);
	}

	s->res.classify_x1000 = measure_classify(s);

	if (o.history_in) {
		struct kvmmig_history h;
		FILE *f = fopen(o.history_in, "rb");

		if (!f || fread(&h, sizeof(h), 1, f) != 1) {
			msg("kvmmig-migrate: %s: cannot read a history record\n", o.history_in);
			return 5;
		}
		fclose(f);
		if (ioctl(m->session, KVMMIG_SET_HISTORY, &h)) {
			msg("kvmmig-migrate: SET_HISTORY: %s\n", strerror(errno));
			if (errno != ENOTTY)
				return 5;
		} else if (!o.quiet) {
			printf("history loaded: %llu migrations, last throttle %u%%, max %u%%\n",
			       (unsigned long long)h.migrations, h.last_throttle_pct,
			       h.max_throttle_pct);
		}
	}
	ma.flags = KVMMIG_MIGRATION_START;
	if (o.mode == MODE_BASELINE || o.no_throttle)
		ma.flags |= KVMMIG_MIGRATION_FIXED | KVMMIG_MIGRATION_NO_HISTORY;
	if (!migration_ioctl(s, &ma)) {
		pct = ma.throttle_pct;
		/* the share START set: what the history seeded */
		s->res.throttle_first = pct;
		note_throttle(s, pct);
	}

	t_start = now_ns();
	if (o.bandwidth_mbps) {
		pace_init(o.bandwidth_mbps);
		s->pace = 1;
	}
	/* round 1: everything */
	memset(s->bits, 0xff, words * 8);
	nr = send_order(s, s->bits, 1, &nr_free);
	s->r_free = nr_free;
	if (o.postcopy && !o.precopy_rounds) {
		/* pure post-copy: every data page goes after the switch */
		round = 0;
		pc_switch = 1;
		goto postcopy;
	}
	for (round = 1;; round++) {
		uint64_t t0 = now_ns(), t1, sent = nr, dirty, bytes0 = wire_bytes;
		uint64_t remaining;
		int r;

		if (o.kill_dest_at == round) {
			msg("kvmmig-migrate: fault injection: kill the destination at round %d\n",
			    round);
			kill(s->dst_pid, SIGKILL);
		}
		if (o.kill_src_at == round) {
			msg("kvmmig-migrate: fault injection: killing the source at round %d\n",
			    round);
			fflush(stdout);
			raise(SIGKILL);
		}
		s->r_data = 0;
		s->r_zero = 0;
		s->r_pattern = 0;
		s->r_dup = 0;
		dbg("source: round %d: sending %llu pages\n", round, (unsigned long long)nr);
		r = send_pages(s, s->gfns, nr, converged);
		dbg("source: round %d sent\n", round);
		if (r == -2) {
			rc = 5;
			break;
		}
		if (r) {
			lost = 1;
			break;
		}
		t1 = now_ns();
		s->res.pages_data += s->r_data;
		s->res.pages_zero += s->r_zero;
		s->res.pages_pattern += s->r_pattern;
		s->res.pages_dup += s->r_dup;
		s->res.pages_free += s->r_free;
		if (t1 > t0 && sent)
			rate = sent * 1000000000ull / (t1 - t0);
		if (!o.quiet) {
			printf("round %d: dirty %llu sent %llu ", round,
			       (unsigned long long)(sent + s->r_free), (unsigned long long)sent);
			printf("(data %llu zero %llu pattern %llu dup %llu free %llu) ",
			       (unsigned long long)s->r_data, (unsigned long long)s->r_zero,
			       (unsigned long long)s->r_pattern, (unsigned long long)s->r_dup,
			       (unsigned long long)s->r_free);
			printf("%.1f MiB throttle %u%% rate %llu p/s%s\n",
			       (wire_bytes - bytes0) / 1048576.0, pct,
			       (unsigned long long)rate, converged ? " (stop-and-copy)" : "");
			fflush(stdout);
		}
		if (converged)
			break;

		/* harvest what the round dirtied */
		pthread_mutex_lock(&m->hint_lock);
		dirty_log_get(s->m, s->bits);
		mark(s);
		dirty = popcount_bits(s->bits, m->nbits);
		nr = send_order(s, s->bits, 0, &nr_free);
		pthread_mutex_unlock(&m->hint_lock);
		s->r_free = nr_free;
		remaining = nr;

		/* report the round; the throttle */
		memset(&ma, 0, sizeof(ma));
		ma.flags = KVMMIG_MIGRATION_ROUND;
		ma.dirty_pages = dirty;
		ma.sent_pages = sent;
		ma.round_ns = t1 > t0 ? t1 - t0 : 1;
		ma.remaining_pages = remaining;
		if (o.no_throttle) {
			ma.flags |= KVMMIG_MIGRATION_FIXED;
		} else if (o.mode == MODE_BASELINE) {
			/* QEMU's auto-converge: 20%, then +10% per unproductive round */
			int unproductive = dirty > sent / 2 || remaining >= prev_remaining;

			if (unproductive)
				want = want ? want + 10 : 20;
			if (want > 99)
				want = 99;
			ma.flags |= KVMMIG_MIGRATION_FIXED;
			ma.throttle_pct = want;
		}
		prev_remaining = remaining;
		if (!migration_ioctl(s, &ma)) {
			pct = ma.throttle_pct;
			note_throttle(s, pct);
		} else if (ma.flags & KVMMIG_MIGRATION_FIXED && want && s->have_mig) {
			/* above the module's throttle_max_pct: stay where we were */
			want -= 10;
		}

		if (o.postcopy && round >= o.precopy_rounds) {
			pc_switch = 1;	/* hybrid: the rest goes post-copy */
			break;
		}
		/* converged: the rest fits the allowed downtime */
		if (!o.postcopy && rate && remaining * 1000 / rate <= (uint64_t)o.downtime_ms) {
			t_stop = now_ns();
			vcpus_stop(m, 0);
			t_stopped = now_ns();
			harvest_stopped(s);
			nr = send_order(s, s->bits, 0, &nr_free);
			s->r_free = nr_free;
			converged = 1;
			continue;
		}
		if (round >= o.max_rounds)
			break;
	}
postcopy:
	s->res.rounds = round;

	if (pc_switch) {
		struct whdr ack;
		struct result dr;

		t_stop = now_ns();
		vcpus_stop(m, 0);
		if (round)
			harvest_stopped(s);
		else
			memset(s->bits, 0xff, words * 8);
		if (!o.quiet)
			printf("post-copy: switching over after %d pre-copy round(s)\n", round);
		source_postcopy(s, s->bits, &lost, t_stop);
		if (!lost && (recv_all(s->sock, &ack, sizeof(ack)) || ack.type != W_REPORT ||
			      recv_all(s->sock, &dr, sizeof(dr))))
			lost = 1;
		if (lost) {
			/* the guest ran on the destination: neither side can go on */
			migration_end(s, KVMMIG_OUTCOME_FAILED, 0);
			msg("kvmmig-migrate: destination lost during post-copy: %s\n",
			    "the guest is gone");
			s->res.outcome = OUT_DEST_LOST;
			rc = 3;
		} else {
			s->res.hash_ok = dr.hash_ok;
			s->res.dst_progress = dr.dst_progress;
			s->res.outcome = dr.hash_ok && dr.dst_progress ? OUT_CONVERGED :
					 OUT_MISMATCH;
			rc = s->res.outcome == OUT_CONVERGED ? 0 : 1;
		}
	} else if (!converged || lost || rc) {
		/* cancelled or link lost: the source guest keeps running */
		migration_end(s, lost ? KVMMIG_OUTCOME_FAILED : KVMMIG_OUTCOME_CANCELLED, 0);
		if (!lost)
			send_hdr(s->sock, W_CANCEL, 0, 0);
		if (converged)
			vcpus_resume(m);
		s->res.src_alive = progress_check(m);
		s->res.outcome = lost ? OUT_DEST_LOST : rc ? OUT_SETUP : OUT_NOT_CONVERGED;
		if (lost)
			msg("kvmmig-migrate: destination lost at round %d; source guest %s\n",
			    round, s->res.src_alive ? "still running" : "NOT RUNNING");
		rc = lost ? 3 : rc ? rc : 2;
	} else {
		uint64_t t_state = now_ns(), t_ack = 0, hash;
		struct whdr ack;
		struct result dr;

		if (send_state(s) || send_hdr(s->sock, W_DONE, 0, 0) ||
		    recv_all(s->sock, &ack, sizeof(ack)) || ack.type != W_ACK_RECEIVED) {
			lost = 1;
		} else {
			/* the destination could run the guest now: downtime ends */
			t_ack = now_ns();
			s->res.downtime_ms = (t_ack - t_stop) / 1000000;
			if (!o.quiet)
				printf("stop-and-copy: vCPUs stopped in %llu ms, state: %llu ms\n",
				       (unsigned long long)(t_stopped - t_stop) / 1000000,
				       (unsigned long long)(t_ack - t_state) / 1000000);
			/*
			 * the source guest stays stopped: hash its RAM for the
			 * check; the migration ends (and goes into the history)
			 * with the destination's report, converged or failed
			 */
			hash = ram_hash(m);
			if (send_hdr(s->sock, W_HASH, 0, hash) ||
			    recv_all(s->sock, &ack, sizeof(ack)) || ack.type != W_REPORT ||
			    recv_all(s->sock, &dr, sizeof(dr)))
				lost = 1;
		}
		if (lost) {
			migration_end(s, KVMMIG_OUTCOME_FAILED, 0);
			vcpus_resume(m);
			s->res.src_alive = progress_check(m);
			s->res.outcome = OUT_DEST_LOST;
			rc = 3;
		} else {
			migration_end(s, KVMMIG_OUTCOME_CONVERGED, t_ack - t_stop);
			s->res.hash_ok = dr.hash_ok;
			s->res.dst_progress = dr.dst_progress;
			s->res.outcome = OUT_MISMATCH;
			if (dr.hash_ok && dr.dst_progress)
				s->res.outcome = OUT_CONVERGED;
			rc = s->res.outcome == OUT_CONVERGED ? 0 : 1;
		}
	}
	s->res.total_ms = (now_ns() - t_start) / 1000000;
	s->res.bytes = wire_bytes;
	s->res.valid = 1;
	if (write_result(resfd, &s->res))
		msg("kvmmig-migrate: result pipe: %s\n", strerror(errno));
	vcpus_join(m);
	close(m->session);
	kvm_vm_free(m->vm);
	return rc;
}
