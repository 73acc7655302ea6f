// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the VM: the same layout in every process (slot 0 from
 * the KVM selftest library: guest code from guest.h, page tables, struct
 * gctl; the data slot at DATA_GPA), one thread per vCPU and their
 * stop / park / resume; page and RAM hashes; the module session.
 *
 * Threads: one per vCPU (KVM_RUN, ucalls: free-page hints) and the main
 * thread (migration).  hint_lock orders a hint's KVMMIG_FREE_HINTS ADD
 * against the harvest + MARK + GET_SEND_ORDER sequence of the source (not
 * needed for correctness: a hint arriving between the harvest and MARK
 * only makes its page be sent; it keeps the counts of a round consistent);
 * run_lock guards the stop/park/resume state of the vCPUs.
 * Lock order: hint_lock, then run_lock (never held together in practice).
 * Only a vCPU's own thread issues ioctls that run it (KVM_RUN, and
 * vcpu_save_state()'s complete_io): kvmmig stuns whichever task last ran
 * the vCPU.
 */
#include "kvmmig-migrate.h"
#include "guest.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull, .tv_nsec = ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

int debug;	/* KVMMIG_MIGRATE_DEBUG set: timings on stderr */

void dbg(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "[%llu ms] ", (unsigned long long)(now_ns() / 1000000 % 100000));
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void kick_handler(int sig)
{
	(void)sig;
}

uint8_t *gfn_hva(struct vmm *m, uint64_t gfn)
{
	if (gfn < m->slot0_pages)
		return m->slot0_hva + gfn * PAGE;
	if (gfn >= DATA_GFN && gfn < DATA_GFN + m->npages)
		return m->data_hva + (gfn - DATA_GFN) * PAGE;
	return NULL;
}

static void handle_hint(struct vmm *m, uint64_t nr)
{
	struct kvmmig_gfn_range r[HINT_MAX];
	struct kvmmig_free_hints h = { .size = sizeof(h), .flags = KVMMIG_FREE_HINT_ADD };

	if (!m->hints_on || !nr || nr > HINT_MAX)
		return;
	for (uint64_t i = 0; i < nr; i++) {
		r[i].gfn = m->ctl->hint[i][0] / PAGE;
		r[i].npages = m->ctl->hint[i][1];
	}
	h.nr_ranges = nr;
	h.ranges_ptr = (unsigned long)r;
	pthread_mutex_lock(&m->hint_lock);
	if (ioctl(m->session, KVMMIG_FREE_HINTS, &h)) {
		if (!m->hints_failed++)
			msg("kvmmig-migrate: FREE_HINTS ADD: %s: free pages will be sent%s\n",
			    strerror(errno), errno == ENOTTY ? " (not in this module yet)" : "");
	} else {
		m->hints_added += nr;
	}
	pthread_mutex_unlock(&m->hint_lock);
}

/* KVM's dirty log on for slot 0 and the data slot. */
void dirty_log_on(struct vmm *m)
{
	vm_mem_region_set_flags(m->vm, 0, KVM_MEM_LOG_DIRTY_PAGES);
	vm_mem_region_set_flags(m->vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
}

/* Harvest both slots' dirty logs into @bits (a bit per guest frame). */
void dirty_log_get(struct vmm *m, uint64_t *bits)
{
	memset(bits, 0, (m->nbits + 63) / 64 * 8);
	kvm_vm_get_dirty_log(m->vm, 0, bits);
	kvm_vm_get_dirty_log(m->vm, DATA_SLOT, bits + DATA_GFN / 64);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct vmm *m = c->m;
	struct ucall uc;

	for (;;) {
		pthread_mutex_lock(&m->run_lock);
		while (m->stop && !m->quit) {
			c->parked = 1;
			if (m->save_req && !c->state) {
				/*
				 * The vCPU's own thread saves its state: a
				 * KVM_RUN from another thread (the library's
				 * complete_io) would make that thread the
				 * vCPU's task, the one kvmmig stuns.
				 */
				pthread_mutex_unlock(&m->run_lock);
				c->state = vcpu_save_state(c->vcpu);
				pthread_mutex_lock(&m->run_lock);
			}
			pthread_cond_broadcast(&m->run_cond);
			pthread_cond_wait(&m->run_cond, &m->run_lock);
		}
		c->parked = 0;
		if (m->quit) {
			c->parked = 1;
			pthread_cond_broadcast(&m->run_cond);
			pthread_mutex_unlock(&m->run_lock);
			return NULL;
		}
		pthread_mutex_unlock(&m->run_lock);

		if (ioctl(c->vcpu->fd, KVM_RUN, NULL)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			msg("kvmmig-migrate: vCPU %d: KVM_RUN: %s\n", c->id, strerror(errno));
			_exit(5);
		}
		switch (get_ucall(c->vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_READY) {
				/*
				 * Dirty logging on before vCPU 0 goes on: from
				 * now on it may reallocate pages it hinted free,
				 * and only the dirty log tells the module so.
				 * Everything is faulted in by now: reads do not
				 * show up as writes.
				 */
				if (m->is_source)
					dirty_log_on(m);
				pthread_mutex_lock(&m->run_lock);
				m->ready = 1;
				pthread_cond_broadcast(&m->run_cond);
				pthread_mutex_unlock(&m->run_lock);
			} else if (uc.args[1] == SYNC_HINT) {
				handle_hint(m, uc.args[2]);
			}
			break;
		case UCALL_ABORT:
			msg("kvmmig-migrate: guest assert: %s at %s:%lu\n",
			    (const char *)uc.args[0], (const char *)uc.args[1],
			    (unsigned long)uc.args[2]);
			_exit(5);
		default:
			msg("kvmmig-migrate: vCPU %d: unexpected exit %u\n", c->id,
			    c->vcpu->run->exit_reason);
			_exit(5);
		}
	}
}

void vcpus_start(struct vmm *m)
{
	for (int i = 0; i < o.vcpus; i++) {
		m->ctx[i].m = m;
		m->ctx[i].vcpu = m->vcpus[i];
		m->ctx[i].id = i;
		pthread_create(&m->ctx[i].thread, NULL, vcpu_thread, &m->ctx[i]);
		m->ctx[i].started = 1;
	}
}

static int all_parked(struct vmm *m)
{
	for (int i = 0; i < o.vcpus; i++)
		if (m->ctx[i].started && !m->ctx[i].parked)
			return 0;
	return 1;
}

/* Stop the vCPUs: flag, immediate_exit, signal kick; wait until parked. */
void vcpus_stop(struct vmm *m, int quit)
{
	pthread_mutex_lock(&m->run_lock);
	m->stop = 1;
	if (quit)
		m->quit = 1;
	for (int i = 0; i < o.vcpus; i++)
		m->vcpus[i]->run->immediate_exit = 1;
	pthread_cond_broadcast(&m->run_cond);
	while (!all_parked(m)) {
		struct timespec ts;

		for (int i = 0; i < o.vcpus; i++)
			if (m->ctx[i].started && !m->ctx[i].parked)
				pthread_kill(m->ctx[i].thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&m->run_cond, &m->run_lock, &ts);
	}
	for (int i = 0; i < o.vcpus; i++)
		m->vcpus[i]->run->immediate_exit = 0;
	pthread_mutex_unlock(&m->run_lock);
}

void vcpus_resume(struct vmm *m)
{
	pthread_mutex_lock(&m->run_lock);
	m->stop = 0;
	pthread_cond_broadcast(&m->run_cond);
	pthread_mutex_unlock(&m->run_lock);
}

void vcpus_join(struct vmm *m)
{
	vcpus_stop(m, 1);
	for (int i = 0; i < o.vcpus; i++)
		if (m->ctx[i].started)
			pthread_join(m->ctx[i].thread, NULL);
}

/* Until vCPU 0 reported the workload set up (SYNC_READY). */
void vcpus_wait_ready(struct vmm *m)
{
	pthread_mutex_lock(&m->run_lock);
	while (!m->ready)
		pthread_cond_wait(&m->run_cond, &m->run_lock);
	pthread_mutex_unlock(&m->run_lock);
}

/*
 * With the vCPUs stopped: each vCPU's thread saves its state into its
 * ctx[].state (the caller frees them); returns once all have.
 */
void vcpus_save_states(struct vmm *m)
{
	int all;

	pthread_mutex_lock(&m->run_lock);
	m->save_req = 1;
	pthread_cond_broadcast(&m->run_cond);
	do {
		all = 1;
		for (int i = 0; i < o.vcpus; i++)
			if (!m->ctx[i].state)
				all = 0;
		if (!all)
			pthread_cond_wait(&m->run_cond, &m->run_lock);
	} while (!all);
	m->save_req = 0;
	pthread_mutex_unlock(&m->run_lock);
}

/* Do all vCPU counters move within a few seconds? */
int progress_check(struct vmm *m)
{
	uint64_t c0[MAX_VCPUS];
	uint64_t t0 = now_ns();

	for (int i = 0; i < o.vcpus; i++)
		c0[i] = READ_ONCE(m->ctl->counter[i]);
	while (now_ns() - t0 < 20000000000ull) {
		int all = 1;

		usleep(20000);
		for (int i = 0; i < o.vcpus; i++)
			if (READ_ONCE(m->ctl->counter[i]) == c0[i])
				all = 0;
		if (all)
			return 1;
	}
	return 0;
}

/*
 * Pause without waiting for every vCPU to park: one waiting in a userfault
 * (killable only) stays there, which is paused as far as the guest goes.
 */
void vcpus_pause(struct vmm *m)
{
	pthread_mutex_lock(&m->run_lock);
	m->stop = 1;
	for (int i = 0; i < o.vcpus; i++) {
		m->vcpus[i]->run->immediate_exit = 1;
		if (m->ctx[i].started && !m->ctx[i].parked)
			pthread_kill(m->ctx[i].thread, SIGUSR1);
	}
	pthread_mutex_unlock(&m->run_lock);
}

/* No vCPU counter moves for @ms (after a settling tenth of it)? */
int counters_still(struct vmm *m, unsigned int ms)
{
	uint64_t c0[MAX_VCPUS];

	usleep(ms * 100);
	for (int i = 0; i < o.vcpus; i++)
		c0[i] = READ_ONCE(m->ctl->counter[i]);
	usleep(ms * 1000);
	for (int i = 0; i < o.vcpus; i++)
		if (READ_ONCE(m->ctl->counter[i]) != c0[i])
			return 0;
	return 1;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * chase: npages / CHASE_SHARE structure pages, contiguous at CHASE_GVA,
 * on a fixed random choice of data pages (a shuffle with a fixed seed);
 * the other data pages stay identity-mapped, the structure's pages are
 * mapped only at CHASE_GVA (one guest-virtual address per frame, the one
 * the guest uses).  The same in every process and run.
 */
static void chase_layout(struct vmm *m)
{
	uint64_t np = m->npages, x = CHASE_SEED;
	uint32_t *perm = malloc(np * sizeof(*perm));

	m->is_chase = calloc(np, 1);
	TEST_ASSERT(perm && m->is_chase, "oom");
	for (uint64_t i = 0; i < np; i++)
		perm[i] = i;
	for (uint64_t i = np - 1; i > 0; i--) {
		uint64_t j = xorshift(&x) % (i + 1);
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	m->chase_pages = np / CHASE_SHARE ? np / CHASE_SHARE : 1;
	m->chase_map = perm;
	for (uint64_t i = 0; i < m->chase_pages; i++)
		m->is_chase[perm[i]] = 1;
	for (uint64_t p = 0; p < np; p++)
		if (!m->is_chase[p])
			virt_pg_map(m->vm, DATA_GPA + p * PAGE, DATA_GPA + p * PAGE);
	for (uint64_t i = 0; i < m->chase_pages; i++)
		virt_pg_map(m->vm, CHASE_GVA + i * PAGE, DATA_GPA + perm[i] * PAGE);
}

/* chase, source: every data page holds data; structure page i points at i + 1. */
static void chase_fill(struct vmm *m)
{
	for (uint64_t p = 0; p < m->npages; p++) {
		uint64_t *w = (uint64_t *)(m->data_hva + p * PAGE);

		for (int i = 0; i < 512; i += 8)
			w[i] = (p + 1) * 0x9E3779B97F4A7C15ull ^ 6 ^ i;
	}
	for (uint64_t i = 0; i < m->chase_pages; i++) {
		uint64_t *w = (uint64_t *)(m->data_hva + m->chase_map[i] * PAGE);

		w[0] = i + 1 < m->chase_pages ? CHASE_GVA + (i + 1) * PAGE : 0;
	}
}

void vmm_create(struct vmm *m, int is_source)
{
	struct userspace_mem_region *r;
	vm_vaddr_t gva;
	size_t ctl_size;

	memset(m, 0, sizeof(*m));
	m->session = -1;
	m->is_source = is_source;
	m->npages = (uint64_t)o.mem_mib * 256;
	pthread_mutex_init(&m->run_lock, NULL);
	pthread_cond_init(&m->run_cond, NULL);
	pthread_mutex_init(&m->hint_lock, NULL);

	m->vm = __vm_create_with_vcpus(VM_MODE_DEFAULT, o.vcpus, m->npages,
				       guest_code, m->vcpus);
	vm_userspace_mem_region_add(m->vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    m->npages, 0);
	if (o.workload == WL_CHASE)
		chase_layout(m);
	else
		virt_map(m->vm, DATA_GPA, DATA_GPA, m->npages);
	ctl_size = sizeof(struct gctl) + (m->npages + 63) / 64 * 8;
	gva = vm_vaddr_alloc(m->vm, ctl_size, KVM_UTIL_MIN_VADDR);
	m->ctl = addr_gva2hva(m->vm, gva);
	memset(m->ctl, 0, ctl_size);
	m->ctl->workload = o.workload;
	m->ctl->npages = m->npages;
	m->ctl->nr_vcpus = o.vcpus;
	m->ctl->chase_pages = m->chase_pages;
	for (int i = 0; i < o.vcpus; i++)
		vcpu_args_set(m->vcpus[i], 2, gva, (uint64_t)i);

	r = memslot2region(m->vm, 0);
	m->slot0_hva = r->host_mem;
	m->slot0_pages = r->region.memory_size / PAGE;
	r = memslot2region(m->vm, DATA_SLOT);
	m->data_hva = r->host_mem;
	m->nbits = DATA_GFN + m->npages;
	TEST_ASSERT(m->slot0_pages < DATA_GFN, "slot 0 too large");
	if (o.workload == WL_CHASE && is_source)
		chase_fill(m);
}

/*
 * RAM hash at a stop point: every slot-0 page, and data pages the guest
 * does not hold free.
 */
uint64_t ram_hash(struct vmm *m)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t g = 0; g < m->nbits; g++) {
		const uint64_t *w;

		if (g == m->slot0_pages && g < DATA_GFN)
			g = DATA_GFN;
		if (g >= DATA_GFN && g_is_free(m->ctl, g - DATA_GFN))
			continue;
		w = (const uint64_t *)gfn_hva(m, g);
		h ^= g;
		h *= 0x100000001b3ull;
		for (int i = 0; i < 512; i++) {
			h ^= w[i];
			h *= 0x100000001b3ull;
			h ^= h >> 29;
		}
	}
	return h;
}

/* ---- bitmaps ---- */
uint64_t popcount_bits(const uint64_t *b, uint64_t nbits)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < (nbits + 63) / 64; i++)
		n += __builtin_popcountll(b[i]);
	return n;
}

/* ---- post-copy and restore: the page side shared by both ---- */

/*
 * Page hash of one frame, and of a set of frames as their sum: unlike
 * ram_hash() it does not depend on the order the frames arrive in, so the
 * destination (restoring process) adds each page as it is placed, from
 * the contents placed, and ends with the sum the source (save) computed
 * over its stopped RAM.  Free pages (the guest's view at the stop point)
 * are left out, as in ram_hash().
 */
uint64_t page_hash(uint64_t gfn, const void *page)
{
	const uint64_t *w = page;
	uint64_t h = 0xcbf29ce484222325ull ^ (gfn * 0x9E3779B97F4A7C15ull);

	for (int i = 0; i < 512; i++) {
		h ^= w[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

uint64_t ram_phash(struct vmm *m)
{
	uint64_t h = 0;

	for (uint64_t g = 0; g < m->slot0_pages; g++)
		h += page_hash(g, gfn_hva(m, g));
	for (uint64_t p = 0; p < m->npages; p++)
		if (!g_is_free(m->ctl, p))
			h += page_hash(DATA_GFN + p, m->data_hva + p * PAGE);
	return h;
}

void fill_pattern(uint8_t *buf, uint64_t v)
{
	for (int k = 0; k < 512; k++)
		((uint64_t *)buf)[k] = v;
}

/* A counter of the module's session stats, ~0 when it has none. */
uint64_t mod_stat(int session, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	uint64_t v = ~0ull;
	int fd = session >= 0 ? ioctl(session, KVMMIG_GET_STATS_FD) : -1;

	if (fd < 0)
		return v;
	if (pread(fd, &h, sizeof(h), 0) == sizeof(h)) {
		d = read_stats_descriptors(fd, &h);
		for (uint32_t i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *e = get_stats_descriptor(d, i, &h);

			if (!strcmp(e->name, name))
				read_stat_data(fd, &h, e, &v, 1);
		}
		free(d);
	}
	close(fd);
	return v;
}

int attach_session(struct vmm *m)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = m->vm->fd };
	int dev = open("/dev/kvmmig", O_RDWR | O_CLOEXEC);

	if (dev < 0) {
		msg("kvmmig-migrate: /dev/kvmmig: %s (module not loaded?)\n", strerror(errno));
		return -1;
	}
	m->session = ioctl(dev, KVMMIG_ATTACH_VM, &a);
	close(dev);
	if (m->session < 0)
		msg("kvmmig-migrate: ATTACH_VM: %s\n", strerror(errno));
	return m->session < 0 ? -1 : 0;
}

void faults_enable(struct vmm *m)
{
	struct kvmmig_faults f = { .size = sizeof(f), .flags = KVMMIG_FAULTS_ENABLE };

	if (m->session >= 0 && ioctl(m->session, KVMMIG_FAULTS, &f))
		msg("kvmmig-migrate: KVMMIG_FAULTS ENABLE: %s%s\n", strerror(errno),
		    errno == ENOTTY ? " (not in this module yet)" : "");
}

/* Useful work: every vCPU's counter @units + 1 past @c0 (a pass in progress). */
int work_done(struct vmm *m, const uint64_t *c0)
{
	for (int i = 0; i < o.vcpus; i++)
		if (READ_ONCE(m->ctl->counter[i]) < c0[i] + o.work_units + 1)
			return 0;
	return 1;
}
