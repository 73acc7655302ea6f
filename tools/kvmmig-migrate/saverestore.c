// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, --save and --restore: a guest saved to a file with its
 * working set, restored resident, working set first, or lazily (README).
 */
#include "kvmmig-migrate.h"

/* ---- save to a file, restore from it (working set first) ---- */
#define SAVE_MAGIC	0x3276534d47494d4bull	/* "KMIGMSv2" */

/*
 * The save file: this header; each vCPU's state (struct kvm_x86_state with
 * its MSRs, then the xsave area); the class of every data page (struct
 * wpage: free, zero, pattern with its word, or data); the working set
 * (nr_ws runs of data pages, struct ws_run, ascending and apart: what
 * KVMMIG_GET_WORKING_SET gives, nr_ws_pages pages in all); slot 0 whole; then the
 * data pages at
 * off_data + index * 4096, written only for data pages: zero and pattern
 * pages are metadata (holes in the file).
 */
struct save_hdr {
	uint64_t magic;
	uint32_t vcpus, workload, mem_mib, xsize;
	uint64_t npages, slot0_pages, state_size, phash, nr_ws, nr_ws_pages;
	uint64_t off_state, off_map, off_ws, off_slot0, off_data;
	uint64_t counter[MAX_VCPUS];
};

/* A run of the working set in the save file: data pages [p, p + n). */
struct ws_run {
	uint64_t p, n;
};

/*
 * The module's runs of guest frames (@nr), in place: clipped to the data
 * slot and turned into data-page runs.  Returns the runs kept; *@pages
 * gets the pages in them.
 */
static uint64_t ws_runs_to_data(const struct vmm *m, struct kvmmig_gfn_range *r, uint64_t nr,
				uint64_t *pages)
{
	struct ws_run *out = (struct ws_run *)r;	/* same size, written behind */
	uint64_t k = 0;

	*pages = 0;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t lo = r[i].gfn, hi = r[i].gfn + r[i].npages;

		lo = lo > DATA_GFN ? lo : DATA_GFN;
		hi = hi < DATA_GFN + m->npages ? hi : DATA_GFN + m->npages;
		if (lo >= hi)
			continue;
		out[k].p = lo - DATA_GFN;
		out[k].n = hi - lo;
		*pages += out[k++].n;
	}
	return k;
}

/* Runs read from a file: each inside the data pages, ascending, apart. */
static int ws_runs_ok(const struct ws_run *r, uint64_t nr, uint64_t npages, uint64_t pages)
{
	uint64_t sum = 0;

	for (uint64_t i = 0; i < nr; i++) {
		if (!r[i].n || r[i].p >= npages || r[i].n > npages - r[i].p ||
		    (i && r[i].p <= r[i - 1].p + r[i - 1].n))
			return 0;
		sum += r[i].n;
	}
	return sum == pages;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

int save_main(void)
{
	struct vmm *m = calloc(1, sizeof(*m));
	struct kvmmig_scan scan = { .size = sizeof(scan), .flags = KVMMIG_SCAN_START,
				    .period_ms = 100 };
	const struct kvm_msr_list *ml = kvm_get_msr_index_list();
	struct save_hdr hd = { .magic = SAVE_MAGIC };
	struct kvmmig_working_set ws = { .size = sizeof(ws),
					 .flags = KVMMIG_WS_FAULTED };
	struct result res = { .valid = 1 };
	struct kvmmig_gfn_range *wsr;
	uint64_t nws = 0, t0;
	struct wpage *map;
	int fd, xsize;

	vmm_create(m, 1);
	if (attach_session(m))
		return 5;
	if (ioctl(m->session, KVMMIG_SET_SCAN, &scan))
		msg("kvmmig-migrate: SET_SCAN START: %s (no temperature)\n", strerror(errno));
	faults_enable(m);
	xsize = vm_check_cap(m->vm, KVM_CAP_XSAVE2);
	if (!xsize)
		xsize = sizeof(struct kvm_xsave);
	vcpus_start(m);
	vcpus_wait_ready(m);
	usleep(o.save_after_ms * 1000);
	t0 = now_ns();
	vcpus_stop(m, 0);
	vcpus_save_states(m);

	hd.vcpus = o.vcpus;
	hd.workload = o.workload;
	hd.mem_mib = o.mem_mib;
	hd.xsize = xsize;
	hd.npages = m->npages;
	hd.slot0_pages = m->slot0_pages;
	hd.state_size = sizeof(struct kvm_x86_state) + ml->nmsrs * sizeof(struct kvm_msr_entry);
	hd.phash = ram_phash(m);
	for (int i = 0; i < o.vcpus; i++)
		hd.counter[i] = m->ctl->counter[i];

	/* the working set, as runs: hot data pages and the recently faulted */
	wsr = calloc(m->nbits, sizeof(*wsr));	/* runs <= frames */
	TEST_ASSERT(wsr, "oom");
	ws.min_level = o.ws_min_level;
	ws.runs_ptr = (unsigned long)wsr;
	ws.max_runs = m->nbits;
	if (ioctl(m->session, KVMMIG_GET_WORKING_SET, &ws)) {
		msg("kvmmig-migrate: GET_WORKING_SET: %s: empty working set\n", strerror(errno));
		ws.nr_runs = 0;
	}
	hd.nr_ws = ws_runs_to_data(m, wsr, ws.nr_runs, &hd.nr_ws_pages);
	nws = hd.nr_ws_pages;

	hd.off_state = 4096;
	hd.off_map = hd.off_state + (uint64_t)o.vcpus * (hd.state_size + xsize);
	hd.off_ws = hd.off_map + m->npages * sizeof(struct wpage);
	hd.off_slot0 = (hd.off_ws + hd.nr_ws * sizeof(struct ws_run) + PAGE - 1) / PAGE * PAGE;
	hd.off_data = hd.off_slot0 + m->slot0_pages * PAGE;

	fd = open(o.save, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, hd.off_data + m->npages * PAGE)) {
		msg("kvmmig-migrate: %s: %s\n", o.save, strerror(errno));
		return 5;
	}
	for (int i = 0; i < o.vcpus; i++) {
		struct kvm_x86_state *st = m->ctx[i].state;
		uint64_t off = hd.off_state + i * (hd.state_size + xsize);

		if (pwrite_all(fd, st, hd.state_size, off) ||
		    pwrite_all(fd, st->xsave, xsize, off + hd.state_size))
			goto io;
		kvm_x86_state_cleanup(st);
		m->ctx[i].state = NULL;
	}
	map = calloc(m->npages, sizeof(*map));
	TEST_ASSERT(map, "oom");
	for (uint64_t p = 0; p < m->npages; p++) {
		const uint8_t *pg = m->data_hva + p * PAGE;
		uint64_t v;

		map[p].gfn = DATA_GFN + p;
		if (g_is_free(m->ctl, p)) {
			map[p].class = W_CLASS_FREE;
			res.pages_free++;
		} else if (is_pattern_page(pg, &v)) {
			map[p].class = v ? KVMMIG_CLASS_PATTERN : KVMMIG_CLASS_ZERO;
			map[p].value = v;
			if (v)
				res.pages_pattern++;
			else
				res.pages_zero++;
		} else {
			map[p].class = KVMMIG_CLASS_DATA;
			res.pages_data++;
			if (pwrite_all(fd, pg, PAGE, hd.off_data + p * PAGE))
				goto io;
		}
	}
	if (pwrite_all(fd, map, m->npages * sizeof(*map), hd.off_map) ||
	    pwrite_all(fd, wsr, hd.nr_ws * sizeof(struct ws_run), hd.off_ws) ||
	    pwrite_all(fd, m->slot0_hva, m->slot0_pages * PAGE, hd.off_slot0) ||
	    pwrite_all(fd, &hd, sizeof(hd), 0) || fsync(fd))
		goto io;
	close(fd);
	res.ws_pages = nws;
	res.ws_runs = hd.nr_ws;
	res.total_ms = (now_ns() - t0) / 1000000;
	res.bytes = hd.off_data + res.pages_data * PAGE;
	res.hash_ok = 1;
	res.outcome = OUT_CONVERGED;
	if (!o.quiet)
		printf("saved to %s: data %llu, zero %llu, pattern %llu, free %llu; %s %llu\n",
		       o.save, (unsigned long long)res.pages_data,
		       (unsigned long long)res.pages_zero,
		       (unsigned long long)res.pages_pattern, (unsigned long long)res.pages_free,
		       "working set pages", (unsigned long long)nws);
	vcpus_join(m);
	close(m->session);
	kvm_vm_free(m->vm);
	return print_result(&res, 0);
io:
	msg("kvmmig-migrate: writing %s: %s\n", o.save, strerror(errno));
	return 5;
}

/*
 * The header's sections against the file (a truncated or damaged image is
 * refused before anything is read into guest memory): each section inside
 * the file and in order, vCPU state of a sane size.
 */
static int save_hdr_ok(const struct save_hdr *hd, int fd, const struct vmm *m)
{
	uint64_t state = hd->state_size + hd->xsize;
	struct stat sb;

	if (fstat(fd, &sb) || sb.st_size < 0)
		return 0;
	return hd->state_size >= sizeof(struct kvm_x86_state) && hd->state_size <= (1 << 20) &&
	       hd->xsize >= sizeof(struct kvm_xsave) && hd->xsize <= (1 << 20) &&
	       hd->off_state >= sizeof(*hd) &&
	       hd->off_map >= hd->off_state + (uint64_t)hd->vcpus * state &&
	       hd->off_ws >= hd->off_map + m->npages * sizeof(struct wpage) &&
	       hd->off_slot0 >= hd->off_ws + hd->nr_ws * sizeof(struct ws_run) &&
	       hd->off_data >= hd->off_slot0 + m->slot0_pages * PAGE &&
	       hd->off_data % PAGE == 0 &&
	       (uint64_t)sb.st_size >= hd->off_data + m->npages * PAGE;
}

int restore_main(void)
{
	struct save_hdr hd;
	struct vmm *m = calloc(1, sizeof(*m));
	struct result res = { .valid = 1 };
	struct pc *pc;
	struct wpage *map;
	struct ws_run *wsr;
	uint64_t t0, t_work = 0, deadline, t_hash;
	int fd = open(o.restore, O_RDONLY | O_CLOEXEC), work_seen = 0, bg_started;

	if (fd < 0 || pread(fd, &hd, sizeof(hd), 0) != sizeof(hd) || hd.magic != SAVE_MAGIC ||
	    hd.vcpus < 1 || hd.vcpus > MAX_VCPUS || hd.workload >= WL_NR ||
	    hd.mem_mib < 1 || hd.mem_mib > 4096) {
		msg("kvmmig-migrate: %s: not a kvmmig-migrate save file\n", o.restore);
		return 5;
	}
	o.vcpus = hd.vcpus;
	o.workload = hd.workload;
	o.mem_mib = hd.mem_mib;
	vmm_create(m, 0);
	if (hd.npages != m->npages || hd.slot0_pages != m->slot0_pages ||
	    hd.nr_ws > m->npages || hd.nr_ws_pages > m->npages) {
		msg("kvmmig-migrate: %s: layout differs from this VMM's\n", o.restore);
		return 5;
	}
	if (!save_hdr_ok(&hd, fd, m)) {
		msg("kvmmig-migrate: %s: truncated or damaged (sections past the end)\n",
		    o.restore);
		return 5;
	}
	if (attach_session(m))
		msg("kvmmig-migrate: restoring without the module\n");

	t0 = now_ns();		/* restore starts: the VM exists, empty */
	pc = pc_alloc(m);
	pc->file = fd;
	pc->data_off = hd.off_data;
	if (o.restore_mode != RM_RESIDENT) {
		/* pages are copied into guest RAM straight from the page cache */
		void *fm = mmap(NULL, m->npages * PAGE, PROT_READ, MAP_SHARED, fd, hd.off_data);

		pc->fmap = fm == MAP_FAILED ? NULL : fm;
	}
	/* device state: vCPUs, slot 0 (guest code, page tables, struct gctl) */
	if (pread(fd, m->slot0_hva, m->slot0_pages * PAGE, hd.off_slot0) !=
	    (ssize_t)(m->slot0_pages * PAGE))
		goto io;
	for (int i = 0; i < o.vcpus; i++) {
		struct kvm_x86_state *st = malloc(hd.state_size);
		uint64_t off = hd.off_state + i * (hd.state_size + hd.xsize);

		TEST_ASSERT(st, "oom");
		if (pread(fd, st, hd.state_size, off) != (ssize_t)hd.state_size)
			goto io;
		if (st->msrs.nmsrs > (hd.state_size - sizeof(*st)) / sizeof(struct kvm_msr_entry)) {
			msg("kvmmig-migrate: %s: vCPU %d state damaged\n", o.restore, i);
			return 5;
		}
		st->xsave = malloc(hd.xsize);
		if (pread(fd, st->xsave, hd.xsize, off + hd.state_size) != (ssize_t)hd.xsize)
			goto io;
		vcpu_load_state(m->vcpus[i], st);
		kvm_x86_state_cleanup(st);
	}
	map = calloc(m->npages, sizeof(*map));
	wsr = calloc(hd.nr_ws + 1, sizeof(*wsr));
	TEST_ASSERT(map && wsr, "oom");
	if (pread(fd, map, m->npages * sizeof(*map), hd.off_map) !=
	    (ssize_t)(m->npages * sizeof(*map)) ||
	    pread(fd, wsr, hd.nr_ws * sizeof(*wsr), hd.off_ws) !=
	    (ssize_t)(hd.nr_ws * sizeof(*wsr)))
		goto io;
	if (!ws_runs_ok(wsr, hd.nr_ws, m->npages, hd.nr_ws_pages)) {
		msg("kvmmig-migrate: %s: working set damaged\n", o.restore);
		return 5;
	}
	for (uint64_t p = 0; p < m->npages; p++) {
		int c = wire_to_pg(map[p].class);

		if (c < PG_DATA || c == PG_DUP) {
			msg("kvmmig-migrate: %s: bad page class\n", o.restore);
			return 5;
		}
		pc->cls[p] = c;
		pc->val[p] = map[p].value;
		if (c == PG_DATA)
			pc->need_data++;
	}

	if (o.restore_mode == RM_RESIDENT) {
		/* everything in, then run: holes read as zero */
		if (pread(fd, m->data_hva, m->npages * PAGE, hd.off_data) !=
		    (ssize_t)(m->npages * PAGE))
			goto io;
		for (uint64_t p = 0; p < m->npages; p++)
			if (pc->cls[p] == PG_PATTERN)
				fill_pattern(m->data_hva + p * PAGE, pc->val[p]);
		/* verification, not restore work: off the clock */
		t_hash = now_ns();
		pc->hash = ram_phash(m);
		t0 += now_ns() - t_hash;
		pc->placed_data = pc->need_data;
	} else {
		if (pc_register(pc))
			return 5;
		pc_fill_set(pc);
		t_hash = now_ns();
		pc_hash_known(pc);
		t0 += now_ns() - t_hash;
		if (o.restore_mode == RM_WS) {
			/* the working set's runs: data pages 64 at most in one copy */
			uint8_t *run = aligned_alloc(PAGE, 64 * PAGE);

			TEST_ASSERT(run, "oom");
			for (uint64_t i = 0; i < hd.nr_ws; i++) {
				uint64_t p = wsr[i].p, end = wsr[i].p + wsr[i].n, k;

				while (p < end) {
					if (pc->cls[p] != PG_DATA) {
						pc_fill_local(pc, p++);
						continue;
					}
					for (k = 1; k < 64 && p + k < end &&
					     pc->cls[p + k] == PG_DATA; k++)
						;
					if (pc_load_run(pc, p, k, run))
						goto io;
					p += k;
				}
			}
			free(run);
			res.ws_pages = hd.nr_ws_pages;
			res.ws_runs = hd.nr_ws;
		}
		pc_start_fault_thread(pc);
	}
	/*
	 * ws: the rest in the background at once (--background now) or once
	 * the guest did its work; lazy: after the work
	 */
	bg_started = o.restore_mode == RM_RESIDENT ||
		     (o.restore_mode == RM_WS && !o.bg_after_work);
	if (bg_started && o.restore_mode == RM_WS)
		pc_start_aux_thread(pc, pc_bg_file_thread);
	dbg("restore: %s: vCPUs resume %llu ms after the start\n", restore_name[o.restore_mode],
	    (unsigned long long)(now_ns() - t0) / 1000000);
	if (o.restore_mode != RM_RESIDENT)
		pc_log_start(pc);
	vcpus_start(m);
	deadline = t0 + 600 * 1000000000ull;
	for (;;) {
		uint64_t t = now_ns();

		if (READ_ONCE(pc->lost))
			goto io;
		if (__atomic_load_n(&pc->copy_err, __ATOMIC_ACQUIRE))
			break;
		if (!work_seen && work_done(m, hd.counter)) {
			work_seen = 1;
			t_work = t;
			res.work_ms = (t - t0) / 1000000;
			res.work_faults = pc->faults;
		}
		if (!bg_started && (work_seen || t - t0 > 120 * 1000000000ull)) {
			pc_start_aux_thread(pc, pc_bg_file_thread);
			bg_started = 1;
		}
		if (work_seen && placed_data(pc) >= pc->need_data)
			break;
		if (t > deadline) {
			msg("kvmmig-migrate: restore: %s in 600 s\n",
			    work_seen ? "not fully loaded" : "no useful work");
			break;
		}
		usleep(1000);
	}
	(void)t_work;
	res.pc_ms = (now_ns() - t0) / 1000000;
	res.total_ms = res.pc_ms;
	pc_counters(pc, &res);
	res.pages_data = pc->need_data;
	res.prefetch_issued = ~0ull;
	res.prefetch_used = ~0ull;
	res.hash_ok = pc_check(pc, hd.phash, o.restore_mode != RM_RESIDENT, &res, "restore",
			       "saved", "restored");
	res.dst_progress = work_seen && progress_check(m);
	res.outcome = res.hash_ok && res.dst_progress ? OUT_CONVERGED : OUT_MISMATCH;
	if (!o.quiet)
		printf("restore (%s): work after %llu ms, %llu faults, %s %llu, %s %llu ms\n",
		       restore_name[o.restore_mode], (unsigned long long)res.work_ms,
		       (unsigned long long)res.work_faults, "working set pages",
		       (unsigned long long)res.ws_pages, "fully loaded after",
		       (unsigned long long)res.pc_ms);
	vcpus_join(m);
	pc_stop_threads(pc);
	kvm_vm_free(m->vm);
	return print_result(&res, res.outcome == OUT_CONVERGED ? 0 : 1);
io:
	msg("kvmmig-migrate: restore from %s failed: %s; guest not run past it\n", o.restore,
	    strerror(errno));
	_exit(5);
}
