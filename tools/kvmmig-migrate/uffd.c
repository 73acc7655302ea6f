// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the receiving side of post-copy (pages from the source
 * over TCP) and of restore (pages from the save file), struct pc: guest
 * RAM of the data slot registered with userfaultfd, a fault thread, page
 * placement and deferred fill, the post-copy receive thread, the restore
 * background loader, and the RAM read-back.
 */
#include "kvmmig-migrate.h"

int wire_to_pg(uint32_t class)
{
	switch (class) {
	case KVMMIG_CLASS_DATA: return PG_DATA;
	case KVMMIG_CLASS_ZERO: return PG_ZERO;
	case KVMMIG_CLASS_PATTERN: return PG_PATTERN;
	case KVMMIG_CLASS_DUP: return PG_DUP;
	case W_CLASS_FREE: return PG_FREE;
	case W_CLASS_PRESENT: return PG_PRESENT;
	default: return -1;
	}
}

struct pc *pc_alloc(struct vmm *m)
{
	struct pc *pc = calloc(1, sizeof(*pc));
	uint64_t w = (m->npages + 63) / 64;

	TEST_ASSERT(pc, "oom");
	pc->m = m;
	pc->uffd = -1;
	pc->sock = -1;
	pc->file = -1;
	pc->cls = calloc(m->npages, 1);
	pc->val = calloc(m->npages, 8);
	pc->canon = calloc(m->npages, sizeof(*pc->canon));
	pc->is_canon = calloc(m->npages, 1);
	pc->done = calloc(w, 8);
	pc->requested = calloc(w, 8);
	pc->have = calloc((m->nbits + 63) / 64, 8);
	pc->ph = calloc(m->nbits, 8);
	TEST_ASSERT(pc->cls && pc->val && pc->canon && pc->is_canon && pc->done &&
		    pc->requested && pc->have && pc->ph, "oom");
	pthread_mutex_init(&pc->send_lock, NULL);
	for (uint64_t g = 0; g < m->slot0_pages; g++)
		pc->have[g / 64] |= 1ull << (g % 64);
	return pc;
}

/* userfaultfd on the data slot: missing pages fault to pc->uffd. */
int pc_register(struct pc *pc)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)pc->m->data_hva,
			   .len = pc->m->npages * PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	pc->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (pc->uffd < 0) {
		msg("kvmmig-migrate: userfaultfd: %s\n", strerror(errno));
		return -1;
	}
	if (ioctl(pc->uffd, UFFDIO_API, &api) || ioctl(pc->uffd, UFFDIO_REGISTER, &reg)) {
		msg("kvmmig-migrate: userfaultfd register: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Frame @gfn will hold @page: its hash goes into the sum compared with the
 * source's and is kept for pc_verify_ram().
 */
static void pc_expect(struct pc *pc, uint64_t gfn, const void *page)
{
	uint64_t h = page_hash(gfn, page);

	pc->ph[gfn] = h;
	__atomic_add_fetch(&pc->hash, h, __ATOMIC_RELAXED);
}

/* A failed UFFDIO_COPY: the page is not there; the migration fails. */
static void pc_copy_failed(struct pc *pc, uint64_t p, uint64_t k)
{
	int err = errno;

	msg("kvmmig-migrate: UFFDIO_COPY of %llu page(s) at %llu: %s\n",
	    (unsigned long long)k, (unsigned long long)p, strerror(err));
	__atomic_store_n(&pc->copy_err, err, __ATOMIC_RELEASE);
}

/*
 * UFFDIO_COPY of @buf into data page @p; a page already there is fine.
 * Returns -1 when the copy failed (the migration fails).
 */
static int uffd_copy_page(struct pc *pc, uint64_t p, const void *buf)
{
	struct uffdio_copy c = {
		.dst = (unsigned long)(pc->m->data_hva + p * PAGE),
		.src = (unsigned long)buf, .len = PAGE,
	};

	while (ioctl(pc->uffd, UFFDIO_COPY, &c)) {
		if (errno == EAGAIN)
			continue;
		if (errno != EEXIST) {
			pc_copy_failed(pc, p, 1);
			return -1;
		}
		break;
	}
	return 0;
}

/* Place data page @p with @buf (once); adds its hash. */
void pc_place(struct pc *pc, uint64_t p, const uint8_t *buf)
{
	if (bit_set(pc->done, p))
		return;
	if (pc->is_canon[p] && !pc->canon[p]) {
		uint8_t *copy = malloc(PAGE);

		TEST_ASSERT(copy, "oom");
		memcpy(copy, buf, PAGE);
		__atomic_store_n(&pc->canon[p], copy, __ATOMIC_RELEASE);
	}
	if (uffd_copy_page(pc, p, buf))
		return;
	pc_expect(pc, DATA_GFN + p, buf);
	bit_set(pc->have, DATA_GFN + p);
	if (pc->cls[p] == PG_DATA)
		__atomic_add_fetch(&pc->placed_data, 1, __ATOMIC_ACQ_REL);
}

/*
 * Deferred fill of metadata page @p on first touch: its record from the
 * module (KVMMIG_FILL GET, then DONE) or from the VMM's own table.
 */
void pc_fill_local(struct pc *pc, uint64_t p)
{
	struct vmm *m = pc->m;
	int cls = pc->cls[p];
	uint64_t v = pc->val[p];
	uint8_t buf[PAGE];

	if (bit_test(pc->done, p))
		return;
	if (pc->use_fill) {
		struct kvmmig_fill_page fp = { .gfn = DATA_GFN + p };
		struct kvmmig_fill f = { .size = sizeof(f), .flags = KVMMIG_FILL_GET,
					 .nr_pages = 1, .pages_ptr = (unsigned long)&fp };

		if (!ioctl(m->session, KVMMIG_FILL, &f) && (fp.flags & KVMMIG_FILL_KNOWN)) {
			cls = fp.class == KVMMIG_CLASS_ZERO ? PG_ZERO :
			      fp.class == KVMMIG_CLASS_PATTERN ? PG_PATTERN :
			      fp.class == KVMMIG_CLASS_DUP ? PG_DUP : cls;
			v = fp.class == KVMMIG_CLASS_DUP ? fp.value - DATA_GFN : fp.value;
		}
	}
	if (bit_set(pc->done, p))
		return;
	__atomic_add_fetch(&pc->local, 1, __ATOMIC_RELAXED);
	if (cls == PG_PATTERN || (cls == PG_DUP && v < m->npages && pc->canon[v])) {
		if (cls == PG_PATTERN)
			fill_pattern(buf, v);
		else
			memcpy(buf, pc->canon[v], PAGE);
		uffd_copy_page(pc, p, buf);
	} else {
		struct uffdio_zeropage z = {
			.range = { .start = (unsigned long)(m->data_hva + p * PAGE), .len = PAGE },
		};

		if (cls == PG_DUP)
			msg("kvmmig-migrate: duplicate page %llu: no canonical copy\n",
			    (unsigned long long)p);
		while (ioctl(pc->uffd, UFFDIO_ZEROPAGE, &z))
			if (errno != EAGAIN) {
				if (errno != EEXIST)
					pc_copy_failed(pc, p, 1);
				break;
			}
	}
	bit_set(pc->have, DATA_GFN + p);
	if (pc->use_fill) {
		struct kvmmig_fill_page fp = { .gfn = DATA_GFN + p };
		struct kvmmig_fill f = { .size = sizeof(f), .flags = KVMMIG_FILL_DONE,
					 .nr_pages = 1, .pages_ptr = (unsigned long)&fp };

		ioctl(m->session, KVMMIG_FILL, &f);
	}
}

/* Record the metadata pages with KVMMIG_FILL SET (else: the VMM's table). */
void pc_fill_set(struct pc *pc)
{
	struct vmm *m = pc->m;
	struct kvmmig_fill_page *fp = calloc(KVMMIG_FILL_MAX_PAGES, sizeof(*fp));
	uint32_t n = 0;
	uint64_t flagged = 0, unflagged = 0;

	if (m->session < 0 || !fp) {
		free(fp);
		return;
	}
	pc->use_fill = 1;
	for (uint64_t p = 0; p <= m->npages && pc->use_fill; p++) {
		if (p < m->npages && pc->cls[p] >= PG_ZERO) {
			fp[n].gfn = DATA_GFN + p;
			fp[n].class = pc->cls[p] == PG_PATTERN ? KVMMIG_CLASS_PATTERN :
				      pc->cls[p] == PG_DUP ? KVMMIG_CLASS_DUP : KVMMIG_CLASS_ZERO;
			fp[n].flags = 0;
			fp[n].value = pc->cls[p] == PG_PATTERN ? pc->val[p] :
				      pc->cls[p] == PG_DUP ? DATA_GFN + pc->val[p] : 0;
			n++;
		}
		if (n && (n == KVMMIG_FILL_MAX_PAGES || p == m->npages)) {
			struct kvmmig_fill f = { .size = sizeof(f), .flags = KVMMIG_FILL_SET,
						 .nr_pages = n, .pages_ptr = (unsigned long)fp };

			if (ioctl(m->session, KVMMIG_FILL, &f)) {
				msg("kvmmig-migrate: KVMMIG_FILL SET: %s%s: %s\n",
				    strerror(errno),
				    errno == ENOTTY ? " (not in this module yet)" : "",
				    "deferred fill from the VMM's own table");
				pc->use_fill = 0;
			} else {
				flagged = f.nr_flagged;
				unflagged += f.nr_unflagged;
			}
			n = 0;
		}
	}
	if (pc->use_fill)
		dbg("FILL SET: %llu flagged, %llu already hold their class\n",
		    (unsigned long long)flagged, (unsigned long long)unflagged);
	free(fp);
}

/* The hash of every page not fetched later: present, or metadata. */
void pc_hash_known(struct pc *pc)
{
	struct vmm *m = pc->m;
	uint8_t buf[PAGE];

	for (uint64_t g = 0; g < m->slot0_pages; g++)
		pc_expect(pc, g, gfn_hva(m, g));
	for (uint64_t p = 0; p < m->npages; p++) {
		switch (pc->cls[p]) {
		case PG_PRESENT:
			if (!g_is_free(m->ctl, p))
				pc_expect(pc, DATA_GFN + p, m->data_hva + p * PAGE);
			break;
		case PG_ZERO:
			pc_expect(pc, DATA_GFN + p, pc->zero);
			break;
		case PG_PATTERN:
			fill_pattern(buf, pc->val[p]);
			pc_expect(pc, DATA_GFN + p, buf);
			break;
		case PG_DUP:
			pc_expect(pc, DATA_GFN + p, pc->canon[pc->val[p]] ?
				  pc->canon[pc->val[p]] : pc->zero);
			break;
		default:
			break;
		}
	}
}

/*
 * Destination RAM read back against what was placed or filled there.  KVM's
 * dirty log is on from the resume (pc_log_start()); with the vCPUs paused,
 * every frame the guest has not touched here since (KVM logs a first access
 * as a write when it maps the page writable, so touched frames are those
 * the guest read or wrote) must hash as expected: that covers pages placed
 * by faults, prefetch and the background pass, and pages filled locally.
 * Reading a page never touched yet faults it in through the fault thread.
 * Fills @checked and @bad; returns 0 when no frame differs.
 */
int pc_verify_ram(struct pc *pc, uint64_t *checked, uint64_t *bad)
{
	struct vmm *m = pc->m;
	uint64_t *bits = malloc((m->nbits + 63) / 64 * 8);

	TEST_ASSERT(bits, "oom");
	*checked = *bad = 0;
	vcpus_stop(m, 0);
	/* fault injection: what a lost or misplaced copy would leave behind */
	for (uint64_t p = 0; o.corrupt_every > 0 && p < m->npages; p += o.corrupt_every)
		WRITE_ONCE(((uint64_t *)(m->data_hva + p * PAGE))[7],
			   ((uint64_t *)(m->data_hva + p * PAGE))[7] ^ 0x5a5a);
	dirty_log_get(m, bits);
	for (uint64_t g = 0; g < m->nbits; g++) {
		if (g == m->slot0_pages && g < DATA_GFN)
			g = DATA_GFN;
		if (!pc->ph[g] || bit_test(bits, g))
			continue;
		++*checked;
		if (page_hash(g, gfn_hva(m, g)) != pc->ph[g] && !(*bad)++)
			msg("kvmmig-migrate: RAM MISMATCH: guest frame 0x%llx differs %s\n",
			    (unsigned long long)g, "from what was placed there");
	}
	vcpus_resume(m);
	free(bits);
	return *bad ? -1 : 0;
}

/* KVM's dirty log on from here: the frames the guest touches are left out of the read-back. */
void pc_log_start(struct pc *pc)
{
	dirty_log_on(pc->m);
}

int pc_send(struct pc *pc, uint32_t type, uint32_t count, uint64_t arg,
	    const void *payload, size_t len)
{
	int r = 0;

	pthread_mutex_lock(&pc->send_lock);
	/*
	 * After W_PC_DONE the source reads only W_REPORT: a request the fault
	 * thread raced in for a page placed meanwhile has nothing to ask for.
	 */
	if (!(type == W_REQ && pc->pc_done))
		r = send_hdr(pc->sock, type, count, arg) ||
		    (len && send_all(pc->sock, payload, len));
	if (type == W_PC_DONE)
		pc->pc_done = 1;
	pthread_mutex_unlock(&pc->send_lock);
	return r ? -1 : 0;
}

/* Restore: data page @p from the file (its mapping, else a read into @buf). */
static int pc_load_file(struct pc *pc, uint64_t p, uint8_t *buf)
{
	if (pc->fmap) {
		pc_place(pc, p, pc->fmap + p * PAGE);
		return 0;
	}
	if (pread(pc->file, buf, PAGE, pc->data_off + p * PAGE) != (ssize_t)PAGE) {
		msg("kvmmig-migrate: restore: reading page %llu: %s\n", (unsigned long long)p,
		    strerror(errno));
		pc->lost = 1;
		return -1;
	}
	pc_place(pc, p, buf);
	return 0;
}

/* Restore, before the vCPUs run: data pages [@p, @p + @k) in one read and copy. */
int pc_load_run(struct pc *pc, uint64_t p, uint64_t k, uint8_t *buf)
{
	struct uffdio_copy c = {
		.dst = (unsigned long)(pc->m->data_hva + p * PAGE),
		.src = (unsigned long)buf, .len = k * PAGE,
	};

	if (pc->fmap)
		buf = (uint8_t *)pc->fmap + p * PAGE;
	else if (pread(pc->file, buf, k * PAGE, pc->data_off + p * PAGE) != (ssize_t)(k * PAGE))
		return -1;
	c.src = (unsigned long)buf;
	for (uint64_t i = 0; i < k; i++)
		TEST_ASSERT(!bit_set(pc->done, p + i), "working set page %llu twice",
			    (unsigned long long)(p + i));
	if (ioctl(pc->uffd, UFFDIO_COPY, &c)) {
		pc_copy_failed(pc, p, k);
		return -1;
	}
	for (uint64_t i = 0; i < k; i++) {
		pc_expect(pc, DATA_GFN + p + i, buf + i * PAGE);
		bit_set(pc->have, DATA_GFN + p + i);
	}
	__atomic_add_fetch(&pc->placed_data, k, __ATOMIC_ACQ_REL);
	return 0;
}

/*
 * Prefetch list for a fault on data page @p: the module's (guest-virtual
 * neighbours, or with --prefetch gpa the guest-physical ones), filtered
 * by what we hold; the VMM falls back to guest-physical neighbours itself
 * when the module cannot (gpa only).  Returns data page indexes.
 */
static uint32_t pc_prefetch(struct pc *pc, uint64_t p, uint64_t *out)
{
	struct vmm *m = pc->m;
	uint64_t gfns[2 * KVMMIG_PREFETCH_MAX_WINDOW];
	uint32_t n = 0, w = o.prefetch_window;
	struct kvmmig_prefetch a = {
		.size = sizeof(a),
		.flags = o.prefetch == PF_GPA ? KVMMIG_PREFETCH_GFN_LINEAR : 0,
		.gfn = DATA_GFN + p, .window = w,
		.have_ptr = (unsigned long)pc->have, .have_npages = m->nbits,
		.gfns_ptr = (unsigned long)gfns, .max_gfns = 2 * w,
	};

	if (o.prefetch == PF_NONE)
		return 0;
	if (!ioctl(m->session, KVMMIG_PREFETCH, &a)) {
		for (uint32_t i = 0; i < a.nr_gfns && i < 2 * w; i++) {
			uint64_t g = gfns[i];

			if (g >= DATA_GFN && g < DATA_GFN + m->npages)
				out[n++] = g - DATA_GFN;
		}
		return n;
	}
	if (errno != ENOENT && !pc->no_prefetch_msg++)
		msg("kvmmig-migrate: KVMMIG_PREFETCH: %s%s%s\n", strerror(errno),
		    errno == ENOTTY ? " (not in this module yet)" : "",
		    o.prefetch == PF_GPA ? ": guest-physical neighbours from the VMM" :
		    ": no prefetch");
	if (o.prefetch != PF_GPA || errno == ENOENT)
		return 0;
	for (uint32_t d = 1; d <= w; d++) {
		if (p + d < m->npages && !bit_test(pc->have, DATA_GFN + p + d))
			out[n++] = p + d;
		if (p >= d && !bit_test(pc->have, DATA_GFN + p - d))
			out[n++] = p - d;
	}
	return n;
}

static void pc_fault(struct pc *pc, uint64_t addr)
{
	struct vmm *m = pc->m;
	uint64_t p = (addr - (uint64_t)m->data_hva) / PAGE;
	uint64_t list[2 * KVMMIG_PREFETCH_MAX_WINDOW + 1], req[2 * KVMMIG_PREFETCH_MAX_WINDOW + 1];
	uint8_t buf[PAGE];
	uint32_t n, k = 0;

	if (p >= m->npages)
		return;
	pc->msgs++;
	if (bit_test(pc->done, p)) {
		struct uffdio_range r = { .start = (unsigned long)(m->data_hva + p * PAGE),
					  .len = PAGE };

		ioctl(pc->uffd, UFFDIO_WAKE, &r);
		return;
	}
	if (pc->cls[p] != PG_DATA) {
		pc_fill_local(pc, p);
		return;
	}
	if (pc->file >= 0) {		/* restore */
		pc->faults++;
		pc_load_file(pc, p, buf);
		return;
	}
	if (bit_test(pc->requested, p))
		return;			/* on its way */
	pc->faults++;
	n = pc_prefetch(pc, p, list);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t q = list[i];

		if (bit_test(pc->done, q) || bit_test(pc->requested, q))
			continue;
		pc->prefetched++;
		if (m->is_chase && m->is_chase[q])
			pc->prefetched_useful++;
		if (pc->cls[q] != PG_DATA) {
			pc_fill_local(pc, q);
			continue;
		}
		bit_set(pc->requested, q);
		bit_set(pc->have, DATA_GFN + q);
		req[k++] = DATA_GFN + q;
	}
	bit_set(pc->requested, p);
	bit_set(pc->have, DATA_GFN + p);
	req[k++] = DATA_GFN + p;	/* last: the vCPU wakes with the rest placed */
	pc->requested_pages += k;
	if (pc_send(pc, W_REQ, k, 0, req, k * sizeof(req[0])))
		pc->lost = 1;
}

static void *pc_fault_thread(void *arg)
{
	struct pc *pc = arg;

	while (!READ_ONCE(pc->stop) && !READ_ONCE(pc->lost)) {
		struct pollfd pf = { .fd = pc->uffd, .events = POLLIN };
		struct uffd_msg um;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		if (read(pc->uffd, &um, sizeof(um)) != sizeof(um))
			continue;
		if (um.event == UFFD_EVENT_PAGEFAULT)
			pc_fault(pc, um.arg.pagefault.address & ~(PAGE - 1));
	}
	return NULL;
}

/* Post-copy destination: everything the source sends from now on. */
void *pc_recv_thread(void *arg)
{
	struct pc *pc = arg;
	struct vmm *m = pc->m;
	struct wpage *wp = calloc(BATCH, sizeof(*wp));
	uint8_t *data = aligned_alloc(PAGE, BATCH * PAGE);
	struct whdr h;

	TEST_ASSERT(wp && data, "oom");
	while (!READ_ONCE(pc->stop)) {
		uint32_t di = 0;

		if (recv_all(pc->sock, &h, sizeof(h)) || h.type != W_PAGES ||
		    h.count > BATCH || h.arg > h.count ||
		    recv_all(pc->sock, wp, h.count * sizeof(*wp)) ||
		    recv_all(pc->sock, data, h.arg * PAGE))
			break;
		for (uint32_t i = 0; i < h.count; i++) {
			uint64_t g = wp[i].gfn;

			if (wp[i].class != KVMMIG_CLASS_DATA || di >= h.arg ||
			    g < DATA_GFN || g >= DATA_GFN + m->npages)
				goto bad;
			pc_place(pc, g - DATA_GFN, data + (uint64_t)di++ * PAGE);
		}
	}
bad:
	/* the stream ended: a loss, unless every page arrived before it did */
	if (!READ_ONCE(pc->stop) && !READ_ONCE(pc->recv_done) &&
	    placed_data(pc) < pc->need_data) {
		WRITE_ONCE(pc->lost, 1);
		dbg("destination: post-copy stream ended (type %u)\n", h.type);
	}
	free(wp);
	free(data);
	return NULL;
}

/* Restore: load the data pages not yet placed, in file order. */
void *pc_bg_file_thread(void *arg)
{
	struct pc *pc = arg;
	uint8_t *buf = aligned_alloc(PAGE, PAGE);

	setpriority(PRIO_PROCESS, syscall(SYS_gettid), 10);
	for (uint64_t p = 0; p < pc->m->npages && !READ_ONCE(pc->stop) && !READ_ONCE(pc->lost);
	     p++)
		if (pc->cls[p] == PG_DATA && !bit_test(pc->done, p))
			pc_load_file(pc, p, buf);
	free(buf);
	return NULL;
}

uint64_t placed_data(struct pc *pc)
{
	return __atomic_load_n(&pc->placed_data, __ATOMIC_ACQUIRE);
}

/* The receiving side's fault counters into @res. */
void pc_counters(struct pc *pc, struct result *res)
{
	res->pc_faults = pc->faults;
	res->uffd_msgs = pc->msgs;
	res->local_fills = pc->local;
}

/*
 * Every page in (@what: "post-copy", "restore"): the page hash of what was
 * placed or filled against @want, computed by the sender (@sender) over
 * its stopped RAM; then, when @read_back, the RAM read back
 * (pc_verify_ram()).  Returns 1 when everything matches.
 */
int pc_check(struct pc *pc, uint64_t want, int read_back, struct result *res,
	     const char *what, const char *sender, const char *receiver)
{
	uint64_t have = __atomic_load_n(&pc->hash, __ATOMIC_ACQUIRE);
	int ok = placed_data(pc) >= pc->need_data && have == want;

	if (!ok)
		msg("kvmmig-migrate: PAGE HASH MISMATCH after %s: %s 0x%llx, %s 0x%llx\n",
		    what, sender, (unsigned long long)want, receiver, (unsigned long long)have);
	if (read_back && (pc_verify_ram(pc, &res->ram_checked, &res->ram_bad) || pc->copy_err))
		ok = 0;
	return ok;
}

void pc_start_fault_thread(struct pc *pc)
{
	pthread_create(&pc->fault_thread, NULL, pc_fault_thread, pc);
	pc->have_fault_thread = 1;
}

/* The second thread: pc_recv_thread (post-copy) or pc_bg_file_thread (restore). */
void pc_start_aux_thread(struct pc *pc, void *(*fn)(void *))
{
	pthread_create(&pc->aux_thread, NULL, fn, pc);
	pc->have_aux_thread = 1;
}

void pc_stop_threads(struct pc *pc)
{
	WRITE_ONCE(pc->stop, 1);
	if (pc->have_fault_thread)
		pthread_join(pc->fault_thread, NULL);
	if (pc->have_aux_thread)
		pthread_join(pc->aux_thread, NULL);
	pc->have_fault_thread = 0;
	pc->have_aux_thread = 0;
}
