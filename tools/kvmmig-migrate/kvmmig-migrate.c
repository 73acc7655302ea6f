// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate: a small reference VMM that runs a KVM guest (long-mode C
 * guest code, N vCPUs, KVM selftest library) and live-migrates it over TCP
 * to a destination VM in a second process, using kvmmig for the send order,
 * page classification, free-page hints and the stun controller (--mode
 * kvmmig), or doing what a plain VMM does (--mode baseline).  The CLI is
 * fixed by the project's vmm-cli contract; see bad_usage().
 *
 * Processes: a supervisor forks the destination (which accepts on a
 * listening socket the supervisor made) and the source (which connects);
 * each sends a struct result back through a pipe, and the supervisor
 * prints the summary and decides the exit status, so it can also report a
 * source that was killed.
 *
 * Threads of the source: one per vCPU (KVM_RUN, ucalls: free-page hints)
 * and the main thread (migration).  hint_lock orders a hint's
 * KVMMIG_FREE_HINTS ADD against the harvest + MARK + GET_SEND_ORDER
 * sequence (not needed for correctness: a hint arriving between the
 * harvest and MARK only makes its page be sent; it keeps the counts of a
 * round consistent); run_lock guards the stop/park/resume state of the
 * vCPUs.
 * Lock order: hint_lock, then run_lock (never held together in practice).
 * Only a vCPU's own thread issues ioctls that run it (KVM_RUN, and
 * vcpu_save_state()'s complete_io): kvmmig stuns whichever task last ran
 * the vCPU.
 *
 * Migration (source): dirty logging goes on when vCPU 0 reports its
 * workload set up (before it may reallocate a page it hinted free).
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
 * detection, no hints, no stun).
 *
 * Post-copy (--postcopy, after --precopy-rounds N pre-copy rounds) and
 * save / restore (--save, --restore) are described in README; the
 * receiving side (struct pc) has a fault thread on a userfaultfd over
 * the data slot and a receive thread (post-copy) or background loader
 * (restore); its locking is at struct pc.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvmmig.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/userfaultfd.h>

#include "guest.h"

#define PAGE		4096ull
#define DATA_GFN	(DATA_GPA / PAGE)
#define BATCH		2048		/* pages per classify call / wire batch */

enum mode { MODE_KVMMIG, MODE_BASELINE };
enum outcome { OUT_CONVERGED, OUT_NOT_CONVERGED, OUT_DEST_LOST, OUT_SRC_LOST,
	       OUT_MISMATCH, OUT_SETUP };
static const char * const outcome_name[] = {
	"converged", "not_converged", "dest_lost", "src_lost", "mismatch", "setup_error"
};

static const int exit_status[] = { 0, 2, 3, 4, 1, 5 };	/* by outcome */
static const char * const workload_name[] = { "idle", "zero", "dup", "hot", "dirty", "busy",
					      "chase" };

enum { PF_NONE, PF_GPA, PF_GVA };
enum { RM_LAZY, RM_WS, RM_RESIDENT };
static const char * const prefetch_name[] = { "none", "gpa", "gva" };
static const char * const restore_name[] = { "lazy", "ws", "resident" };

static struct opts {
	int workload, vcpus, mem_mib, mode, no_throttle, max_rounds, downtime_ms;
	int netns, json, quiet, kill_dest_at, kill_src_at;
	const char *datastore, *history_in, *history_out;
	/* post-copy, save/restore */
	int postcopy, precopy_rounds, prefetch, prefetch_window, bg_after_work;
	int kill_src_in_postcopy, restore_mode, work_units, save_after_ms, ws_min_level;
	int corrupt_every;
	const char *save, *restore;
} o = { .vcpus = 2, .mem_mib = 64, .max_rounds = 30, .downtime_ms = 300,
	.prefetch_window = 8, .work_units = 1, .save_after_ms = 3000, .ws_min_level = 1 };

/* ---- wire format (source -> destination) ---- */
/*
 * Post-copy adds: W_PC_BEGIN (arg: data pages the destination does not
 * hold), W_PC_MAP (count struct wpage: the class of each of them; DUP:
 * value = the canonical page's gfn), W_PC_GO (arg: page hash of the
 * source's RAM at the stop point); destination -> source: W_REQ (count
 * gfns, the faulting one last), W_BG_START (start the background pass),
 * W_PC_DONE (every page arrived).
 */
enum { W_PAGES = 1, W_STATE, W_DONE, W_ACK_RECEIVED, W_REPORT, W_CANCEL, W_HASH,
	W_PC_BEGIN, W_PC_MAP, W_PC_GO, W_REQ, W_BG_START, W_PC_DONE };

/* wire page classes: KVMMIG_CLASS_DATA/ZERO/PATTERN/DUP, plus: */
#define W_CLASS_DSTORE	16	/* contents in the datastore file */
#define W_CLASS_FREE	17	/* post-copy map, save file: free in the guest's view */
#define W_CLASS_PRESENT	18	/* save file: (unused on the wire) */

struct whdr {
	uint32_t type;
	uint32_t count;
	uint64_t arg;
};

struct wpage {
	uint64_t gfn;
	uint32_t class;
	uint32_t ref;		/* DUP: index of the canonical in this batch */
	uint64_t value;		/* PATTERN: the word */
};

/* Result of a child, through its pipe to the supervisor. */
struct result {
	int valid;
	int outcome;
	uint64_t rounds, pages_data, pages_zero, pages_pattern, pages_dup, pages_free;
	uint64_t bytes, throttle_first, throttle_max, total_ms, downtime_ms;
	int hash_ok, dst_progress, src_alive;
	uint64_t classify_x1000;
	/* post-copy / restore (destination or restoring process) */
	uint64_t pc_faults;		/* distinct missing pages faulted: requests / file reads */
	uint64_t uffd_msgs;		/* every userfaultfd fault message */
	uint64_t local_fills;		/* zero / pattern / duplicate pages filled on touch */
	uint64_t work_faults;		/* pc_faults until --work-units passes were done */
	uint64_t work_ms;		/* resume (restore: start) until that work was done */
	uint64_t prefetch_issued, prefetch_used;	/* module stats; ~0: not available */
	uint64_t prefetch_vmm, prefetch_vmm_useful;	/* prefetched; of them trace pages */
	uint64_t ws_pages, pages_requested, pc_ms;
	/* destination RAM read back: frames compared, frames that differ */
	uint64_t ram_checked, ram_bad;
	uint64_t pages_dstore;		/* M6: data pages the destination read from the file */
	uint64_t ws_runs;		/* save / ws restore: runs of the working set */
	int dst_paused;			/* source lost: guest kept paused */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

static int debug;	/* KVMMIG_MIGRATE_DEBUG set: timings on stderr */

static void dbg(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "[%llu ms] ", (unsigned long long)(now_ns() / 1000000 % 100000));
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* ---- the VM, the same layout in both processes ---- */
struct vmm;

struct vcpu_ctx {
	struct vmm *m;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int id, parked, started;
	struct kvm_x86_state *state;	/* saved by this thread, on request */
};

struct vmm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	struct vcpu_ctx ctx[MAX_VCPUS];
	struct gctl *ctl;
	uint64_t npages;		/* data pages */
	uint64_t slot0_pages;
	uint8_t *slot0_hva, *data_hva;
	uint64_t nbits;			/* DATA_GFN + npages */
	int session;			/* kvmmig session fd, or -1 */
	int is_source;
	/* run state */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	int stop, quit, ready, save_req;
	/* hints */
	pthread_mutex_t hint_lock;
	int hints_on;			/* pass hints to the module */
	uint64_t hints_added, hints_failed;
	/* chase: data page of structure page i; 1 per data page in it */
	uint32_t *chase_map;
	uint8_t *is_chase;
	uint64_t chase_pages;
};

static struct vmm *the_vmm;

static void kick_handler(int sig)
{
	(void)sig;
}

static uint8_t *gfn_hva(struct vmm *m, uint64_t gfn)
{
	if (gfn < m->slot0_pages)
		return m->slot0_hva + gfn * PAGE;
	if (gfn >= DATA_GFN && gfn < DATA_GFN + m->npages)
		return m->data_hva + (gfn - DATA_GFN) * PAGE;
	return NULL;
}

static void handle_hint(struct vmm *m, uint64_t nr)
{
	struct kvmmig_gpa_range r[HINT_MAX];
	struct kvmmig_free_hints h = { .size = sizeof(h), .flags = KVMMIG_FREE_HINT_ADD };

	if (!m->hints_on || !nr || nr > HINT_MAX)
		return;
	for (uint64_t i = 0; i < nr; i++) {
		r[i].gpa = m->ctl->hint[i][0];
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
static void dirty_log_on(struct vmm *m)
{
	vm_mem_region_set_flags(m->vm, 0, KVM_MEM_LOG_DIRTY_PAGES);
	vm_mem_region_set_flags(m->vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
}

/* Harvest both slots' dirty logs into @bits (a bit per guest frame). */
static void dirty_log_get(struct vmm *m, uint64_t *bits)
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

static void vcpus_start(struct vmm *m)
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
static void vcpus_stop(struct vmm *m, int quit)
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

static void vcpus_resume(struct vmm *m)
{
	pthread_mutex_lock(&m->run_lock);
	m->stop = 0;
	pthread_cond_broadcast(&m->run_cond);
	pthread_mutex_unlock(&m->run_lock);
}

static void vcpus_join(struct vmm *m)
{
	vcpus_stop(m, 1);
	for (int i = 0; i < o.vcpus; i++)
		if (m->ctx[i].started)
			pthread_join(m->ctx[i].thread, NULL);
}

/* Do all vCPU counters move within a few seconds? */
static int progress_check(struct vmm *m)
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
static void vcpus_pause(struct vmm *m)
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
static int counters_still(struct vmm *m, unsigned int ms)
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

static void vmm_create(struct vmm *m, int is_source)
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
static uint64_t ram_hash(struct vmm *m)
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

/* ---- socket helpers ---- */
static uint64_t wire_bytes;

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
		__atomic_add_fetch(&wire_bytes, n, __ATOMIC_RELAXED);
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int send_hdr(int fd, uint32_t type, uint32_t count, uint64_t arg)
{
	struct whdr h = { .type = type, .count = count, .arg = arg };

	return send_all(fd, &h, sizeof(h));
}

/* ---- bitmaps ---- */
static uint64_t popcount_bits(const uint64_t *b, uint64_t nbits)
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
static uint64_t page_hash(uint64_t gfn, const void *page)
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

static uint64_t ram_phash(struct vmm *m)
{
	uint64_t h = 0;

	for (uint64_t g = 0; g < m->slot0_pages; g++)
		h += page_hash(g, gfn_hva(m, g));
	for (uint64_t p = 0; p < m->npages; p++)
		if (!g_is_free(m->ctl, p))
			h += page_hash(DATA_GFN + p, m->data_hva + p * PAGE);
	return h;
}

static void fill_pattern(uint8_t *buf, uint64_t v)
{
	for (int k = 0; k < 512; k++)
		((uint64_t *)buf)[k] = v;
}

/* Per data page state on the receiving side. */
enum { PG_PRESENT, PG_DATA, PG_ZERO, PG_PATTERN, PG_DUP, PG_FREE };

static int wire_to_pg(uint32_t class)
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

/*
 * The receiving side of post-copy (pages from the source over TCP) and of
 * restore (pages from the save file): guest RAM of the data slot is
 * registered with userfaultfd (missing pages); a fault thread resolves
 * faults: zero / pattern / duplicate pages locally (deferred fill, M11:
 * the metadata is recorded with KVMMIG_FILL SET and looked up with GET),
 * data pages from the source (with the prefetch list of KVMMIG_PREFETCH)
 * or from the file.  Each data page is placed once (the done bit, set
 * before UFFDIO_COPY by whoever places it), and its hash added then.
 * Locks: send_lock serialises the messages the fault thread and the main
 * thread send to the source; the bitmaps are atomic.
 */
struct pc {
	struct vmm *m;
	int uffd, sock, file, use_fill;
	uint64_t data_off;		/* restore: file offset of data page 0 */
	const uint8_t *fmap;		/* restore: the file's data pages, mapped */
	uint8_t *cls;			/* PG_* per data page */
	uint64_t *val;			/* pattern word; DUP: canonical data page index */
	uint8_t **canon;		/* cached contents of canonical pages */
	uint8_t *is_canon;
	uint64_t *done;			/* bit per data page: placed or filled */
	uint64_t *requested;		/* bit per data page: asked of the source */
	uint64_t *have;			/* bit per guest frame, for KVMMIG_PREFETCH */
	uint64_t need_data, placed_data;
	uint64_t hash;
	uint64_t *ph;			/* per guest frame: page_hash() placed; 0: none */
	int copy_err;			/* a UFFDIO_COPY failed: errno */
	uint64_t faults, msgs, local, prefetched, prefetched_useful, requested_pages;
	int lost, stop, recv_done;	/* READ_ONCE / WRITE_ONCE */
	int pc_done;			/* W_PC_DONE sent; under send_lock */
	int no_prefetch_msg;
	pthread_mutex_t send_lock;
	pthread_t fault_thread, aux_thread;
	int have_fault_thread, have_aux_thread;
	uint8_t zero[PAGE];
};

static int bit_test(const uint64_t *b, uint64_t i)
{
	return (__atomic_load_n(&b[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1;
}

/* Set bit @i; returns its old value. */
static int bit_set(uint64_t *b, uint64_t i)
{
	return (__atomic_fetch_or(&b[i / 64], 1ull << (i % 64), __ATOMIC_ACQ_REL) >> (i % 64)) & 1;
}

static struct pc *pc_alloc(struct vmm *m)
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
static int pc_register(struct pc *pc)
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

/* Place data page @p with @buf (once); adds its hash. */
static void pc_place(struct pc *pc, uint64_t p, const uint8_t *buf)
{
	struct uffdio_copy c = {
		.dst = (unsigned long)(pc->m->data_hva + p * PAGE),
		.src = (unsigned long)buf, .len = PAGE,
	};

	if (bit_set(pc->done, p))
		return;
	if (pc->is_canon[p] && !pc->canon[p]) {
		uint8_t *copy = malloc(PAGE);

		TEST_ASSERT(copy, "oom");
		memcpy(copy, buf, PAGE);
		__atomic_store_n(&pc->canon[p], copy, __ATOMIC_RELEASE);
	}
	while (ioctl(pc->uffd, UFFDIO_COPY, &c)) {
		if (errno == EAGAIN)
			continue;
		if (errno != EEXIST) {
			pc_copy_failed(pc, p, 1);
			return;
		}
		break;
	}
	pc_expect(pc, DATA_GFN + p, buf);
	bit_set(pc->have, DATA_GFN + p);
	if (pc->cls[p] == PG_DATA)
		__atomic_add_fetch(&pc->placed_data, 1, __ATOMIC_ACQ_REL);
}

/*
 * Deferred fill of metadata page @p on first touch: its record from the
 * module (KVMMIG_FILL GET, then DONE) or from the VMM's own table.
 */
static void pc_fill_local(struct pc *pc, uint64_t p)
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
		struct uffdio_copy c = { .dst = (unsigned long)(m->data_hva + p * PAGE),
					 .src = (unsigned long)buf, .len = PAGE };

		if (cls == PG_PATTERN)
			fill_pattern(buf, v);
		else
			memcpy(buf, pc->canon[v], PAGE);
		while (ioctl(pc->uffd, UFFDIO_COPY, &c))
			if (errno != EAGAIN) {
				if (errno != EEXIST)
					pc_copy_failed(pc, p, 1);
				break;
			}
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
static void pc_fill_set(struct pc *pc)
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
static void pc_hash_known(struct pc *pc)
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
static int pc_verify_ram(struct pc *pc, uint64_t *checked, uint64_t *bad)
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
static void pc_log_start(struct pc *pc)
{
	dirty_log_on(pc->m);
}

static int pc_send(struct pc *pc, uint32_t type, uint32_t count, uint64_t arg,
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
static int pc_load_run(struct pc *pc, uint64_t p, uint64_t k, uint8_t *buf)
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
	uint64_t gpas[2 * KVMMIG_PREFETCH_MAX_WINDOW];
	uint32_t n = 0, w = o.prefetch_window;
	struct kvmmig_prefetch a = {
		.size = sizeof(a),
		.flags = o.prefetch == PF_GPA ? KVMMIG_PREFETCH_GPA_LINEAR : 0,
		.gpa = (DATA_GFN + p) * PAGE, .window = w,
		.have_ptr = (unsigned long)pc->have, .have_npages = m->nbits,
		.gpas_ptr = (unsigned long)gpas, .max_gpas = 2 * w,
	};

	if (o.prefetch == PF_NONE)
		return 0;
	if (!ioctl(m->session, KVMMIG_PREFETCH, &a)) {
		for (uint32_t i = 0; i < a.nr_gpas && i < 2 * w; i++) {
			uint64_t g = gpas[i] / PAGE;

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
static void *pc_recv_thread(void *arg)
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
	if (!READ_ONCE(pc->stop) && !READ_ONCE(pc->recv_done)) {
		WRITE_ONCE(pc->lost, 1);
		dbg("destination: post-copy stream ended (type %u)\n", h.type);
	}
	free(wp);
	free(data);
	return NULL;
}

/* Restore: load the data pages not yet placed, in file order. */
static void *pc_bg_file_thread(void *arg)
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

static uint64_t placed_data(struct pc *pc)
{
	return __atomic_load_n(&pc->placed_data, __ATOMIC_ACQUIRE);
}

/* A counter of the module's session stats, ~0 when it has none. */
static uint64_t mod_stat(int session, const char *name)
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

static int attach_session(struct vmm *m)
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

static void faults_enable(struct vmm *m)
{
	struct kvmmig_faults f = { .size = sizeof(f), .flags = KVMMIG_FAULTS_ENABLE };

	if (m->session >= 0 && ioctl(m->session, KVMMIG_FAULTS, &f))
		msg("kvmmig-migrate: KVMMIG_FAULTS ENABLE: %s%s\n", strerror(errno),
		    errno == ENOTTY ? " (not in this module yet)" : "");
}

/* Useful work: every vCPU's counter @units + 1 past @c0 (a pass in progress). */
static int work_done(struct vmm *m, const uint64_t *c0)
{
	for (int i = 0; i < o.vcpus; i++)
		if (READ_ONCE(m->ctl->counter[i]) < c0[i] + o.work_units + 1)
			return 0;
	return 1;
}

static void pc_stop_threads(struct pc *pc)
{
	WRITE_ONCE(pc->stop, 1);
	if (pc->have_fault_thread)
		pthread_join(pc->fault_thread, NULL);
	if (pc->have_aux_thread)
		pthread_join(pc->aux_thread, NULL);
	pc->have_fault_thread = 0;
	pc->have_aux_thread = 0;
}

/* ---- source ---- */
struct src_state {
	struct vmm *m;
	int sock, dstore;
	int have_order, have_classify, have_mig;
	uint64_t *gfns;			/* send list, capacity nbits */
	uint64_t *bits, *bits2;
	struct kvmmig_page_class *cls;
	uint8_t *data;
	struct wpage *wp;
	uint8_t zero[PAGE];
	/* per round */
	uint64_t r_data, r_zero, r_pattern, r_dup, r_free;
	struct result res;
	pid_t dst_pid;
};

static void mark(struct src_state *s)
{
	struct kvmmig_free_hints h = { .size = sizeof(h), .flags = KVMMIG_FREE_HINT_MARK };

	if (o.mode == MODE_KVMMIG && s->m->hints_on && !s->m->hints_failed)
		ioctl(s->m->session, KVMMIG_FREE_HINTS, &h);
}

/* The list of frames to send for @bits: the module's order, or gfn order. */
static uint64_t send_order(struct src_state *s, uint64_t *bits, int all, uint64_t *nr_free)
{
	struct vmm *m = s->m;
	uint64_t n = 0;

	*nr_free = 0;
	if (o.mode == MODE_KVMMIG && s->have_order) {
		struct kvmmig_send_order a = {
			.size = sizeof(a), .flags = all ? KVMMIG_SEND_ORDER_ALL : 0,
			.base_gfn = 0, .npages = m->nbits,
			.bitmap_ptr = (unsigned long)bits,
			.gfns_ptr = (unsigned long)s->gfns, .nr_gfns = m->nbits,
		};

		if (!ioctl(m->session, KVMMIG_GET_SEND_ORDER, &a)) {
			*nr_free = a.nr_free;
			return a.nr_gfns;
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

static int is_pattern_page(const uint8_t *p, uint64_t *v)
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
static uint32_t classify(struct src_state *s, const uint64_t *gfns, uint32_t n)
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
static int send_pages(struct src_state *s, const uint64_t *gfns, uint64_t n, int final)
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
		    send_all(s->sock, s->data, send_data * PAGE))
			return -1;
	}
	return 0;
}

static int send_state(struct src_state *s)
{
	const struct kvm_msr_list *ml = kvm_get_msr_index_list();
	int xsize = vm_check_cap(s->m->vm, KVM_CAP_XSAVE2);

	if (!xsize)
		xsize = sizeof(struct kvm_xsave);
	struct vmm *m = s->m;
	int all;

	dbg("source: saving vCPU state\n");
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

static void migration_end(struct src_state *s, uint32_t outcome, uint64_t downtime_ns)
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

/* CLASSIFY with data vs memcpy of the same pages, x1000 (0: not measured). */
static uint64_t measure_classify(struct src_state *s)
{
	struct vmm *m = s->m;
	uint32_t n = m->npages < BATCH ? m->npages : BATCH;
	struct kvmmig_classify a = {
		.size = sizeof(a), .flags = KVMMIG_CLASSIFY_NO_DUP, .npages = n,
		.gpa = DATA_GPA, .classes_ptr = (unsigned long)s->cls,
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
static int source_postcopy(struct src_state *s, uint64_t *need, int *lost, uint64_t t_stop)
{
	struct vmm *m = s->m;
	uint64_t nfree, n = 0, nmap = 0, nbg = 0, served = 0, bi = 0, hash;
	uint64_t *bg = calloc(m->npages, 8), *sent = calloc((m->npages + 63) / 64, 8);
	struct wpage *map = calloc(m->npages, sizeof(*map));
	uint8_t *canon = calloc(m->npages, 1);
	int bg_on = !o.bg_after_work, rc = 0;
	struct whdr h, ack;

	(void)rc;
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
		if (canon[p]) {
			s->gfns[n++] = DATA_GFN + p;
			sent[p / 64] |= 1ull << (p % 64);
		}
	for (uint64_t off = 0; off < n; off += BATCH) {
		uint32_t nb = n - off < BATCH ? n - off : BATCH;

		for (uint32_t i = 0; i < nb; i++) {
			s->wp[i] = (struct wpage){ .gfn = s->gfns[off + i],
						   .class = KVMMIG_CLASS_DATA };
			memcpy(s->data + (uint64_t)i * PAGE, gfn_hva(m, s->gfns[off + i]), PAGE);
		}
		if (send_hdr(s->sock, W_PAGES, nb, nb) ||
		    send_all(s->sock, s->wp, nb * sizeof(*s->wp)) ||
		    send_all(s->sock, s->data, (uint64_t)nb * PAGE))
			goto lost;
	}
	s->res.pages_data += n;
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

		if (poll(&pf, 1, busy ? 0 : 1000) > 0) {
			uint64_t req[2 * KVMMIG_PREFETCH_MAX_WINDOW + 1];
			uint32_t k = 0;

			if (recv_all(s->sock, &h, sizeof(h)))
				goto lost;
			if (h.type == W_BG_START) {
				bg_on = 1;
				continue;
			}
			if (h.type == W_PC_DONE)
				break;
			if (h.type != W_REQ || h.count > ARRAY_SIZE(req) ||
			    recv_all(s->sock, req, h.count * sizeof(req[0])))
				goto lost;
			for (uint32_t i = 0; i < h.count; i++) {
				uint64_t p = req[i] - DATA_GFN;

				if (req[i] < DATA_GFN || p >= m->npages ||
				    (sent[p / 64] >> (p % 64) & 1))
					continue;
				sent[p / 64] |= 1ull << (p % 64);
				s->wp[k] = (struct wpage){ .gfn = req[i],
							   .class = KVMMIG_CLASS_DATA };
				memcpy(s->data + (uint64_t)k++ * PAGE, gfn_hva(m, req[i]), PAGE);
			}
			if (k && (send_hdr(s->sock, W_PAGES, k, k) ||
				  send_all(s->sock, s->wp, k * sizeof(*s->wp)) ||
				  send_all(s->sock, s->data, (uint64_t)k * PAGE)))
				goto lost;
			s->res.pages_data += k;
			if (o.kill_src_in_postcopy &&
			    ++served >= (uint64_t)o.kill_src_in_postcopy) {
				/* fault injection: after N answers or background batches */
				msg("kvmmig-migrate: fault injection: %s, after %llu requests\n",
				    "killing the source in post-copy",
				    (unsigned long long)served);
				raise(SIGKILL);
			}
		} else if (busy) {
			uint32_t k = 0;

			while (k < 64 && bi < nbg) {
				uint64_t g = bg[bi++], p = g - DATA_GFN;

				if (sent[p / 64] >> (p % 64) & 1)
					continue;
				sent[p / 64] |= 1ull << (p % 64);
				s->wp[k] = (struct wpage){ .gfn = g, .class = KVMMIG_CLASS_DATA };
				memcpy(s->data + (uint64_t)k++ * PAGE, gfn_hva(m, g), PAGE);
			}
			if (k && (send_hdr(s->sock, W_PAGES, k, k) ||
				  send_all(s->sock, s->wp, k * sizeof(*s->wp)) ||
				  send_all(s->sock, s->data, (uint64_t)k * PAGE)))
				goto lost;
			s->res.pages_data += k;
			if (o.kill_src_in_postcopy &&
			    ++served >= (uint64_t)o.kill_src_in_postcopy) {
				msg("kvmmig-migrate: fault injection: %s, after %llu %s\n",
				    "killing the source in post-copy",
				    (unsigned long long)served, "answers / batches");
				raise(SIGKILL);
			}
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

static int source_main(int sock, int resfd, pid_t dst_pid)
{
	struct vmm *m = calloc(1, sizeof(*m));
	struct src_state *s = calloc(1, sizeof(*s));
	struct kvmmig_scan scan = { .size = sizeof(scan), .flags = KVMMIG_SCAN_START };
	struct kvmmig_migration ma = { 0 };
	uint64_t t_start, t_stop = 0, t_stopped = 0, nr, nr_free, prev_remaining = ~0ull, rate = 0;
	uint32_t pct = 0, want = 0;
	int dev, round, rc = 0, converged = 0, lost = 0, pc_switch = 0;
	uint64_t words;

	s->m = m;
	s->sock = sock;
	s->dst_pid = dst_pid;
	s->dstore = -1;
	vmm_create(m, 1);
	the_vmm = m;
	words = (m->nbits + 63) / 64;
	s->bits = calloc(words, 8);
	s->bits2 = calloc(words, 8);
	s->gfns = calloc(m->nbits, 8);
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

	dev = open("/dev/kvmmig", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		msg("kvmmig-migrate: /dev/kvmmig: %s (module not loaded?)\n", strerror(errno));
		return 5;
	}
	{
		struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = m->vm->fd };

		m->session = ioctl(dev, KVMMIG_ATTACH_VM, &a);
		if (m->session < 0) {
			msg("kvmmig-migrate: ATTACH_VM: %s\n", strerror(errno));
			return 5;
		}
	}
	close(dev);
	s->have_order = 1;
	s->have_classify = 1;
	s->have_mig = 1;
	m->hints_on = o.mode == MODE_KVMMIG;
	if (ioctl(m->session, KVMMIG_SET_SCAN, &scan))
		msg("kvmmig-migrate: SET_SCAN START: %s (no temperature: send order by gfn)\n",
		    strerror(errno));

	/* run the guest until its workload is set up */
	vcpus_start(m);
	pthread_mutex_lock(&m->run_lock);
	while (!m->ready)
		pthread_cond_wait(&m->run_cond, &m->run_lock);
	pthread_mutex_unlock(&m->run_lock);
	usleep(100000);

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
			pthread_mutex_lock(&m->hint_lock);
			dirty_log_get(s->m, s->bits2);
			mark(s);
			for (uint64_t i = 0; i < words; i++)
				s->bits[i] |= s->bits2[i];
			nr = send_order(s, s->bits, 0, &nr_free);
			pthread_mutex_unlock(&m->hint_lock);
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
		pthread_mutex_lock(&m->hint_lock);
		if (round) {
			dirty_log_get(s->m, s->bits2);
			mark(s);
			for (uint64_t i = 0; i < words; i++)
				s->bits[i] |= s->bits2[i];
		} else {
			memset(s->bits, 0xff, words * 8);
		}
		pthread_mutex_unlock(&m->hint_lock);
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
	if (write(resfd, &s->res, sizeof(s->res)) != sizeof(s->res))
		msg("kvmmig-migrate: result pipe: %s\n", strerror(errno));
	vcpus_join(m);
	close(m->session);
	kvm_vm_free(m->vm);
	return rc;
}

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
	pthread_create(&pc->fault_thread, NULL, pc_fault_thread, pc);
	pc->have_fault_thread = 1;
	pthread_create(&pc->aux_thread, NULL, pc_recv_thread, pc);
	pc->have_aux_thread = 1;
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
	res.pc_faults = pc->faults;
	res.uffd_msgs = pc->msgs;
	res.local_fills = pc->local;
	res.prefetch_vmm = pc->prefetched;
	res.prefetch_vmm_useful = pc->prefetched_useful;
	res.pages_requested = pc->requested_pages;
	res.prefetch_issued = mod_stat(m->session, "prefetch_issued");
	res.prefetch_used = mod_stat(m->session, "prefetch_used");
	if (pc_send(pc, W_PC_DONE, 0, 0, NULL, 0))
		goto lost;
	/* every page is here: end the receive thread, not the fault thread */
	WRITE_ONCE(pc->recv_done, 1);
	shutdown(sock, SHUT_RD);
	res.hash_ok = __atomic_load_n(&pc->hash, __ATOMIC_ACQUIRE) == src_hash;
	if (!res.hash_ok)
		msg("kvmmig-migrate: PAGE HASH MISMATCH after post-copy: %s 0x%llx, %s 0x%llx\n",
		    "source",
		    (unsigned long long)src_hash, "destination", (unsigned long long)pc->hash);
	if (pc_verify_ram(pc, &res.ram_checked, &res.ram_bad) || pc->copy_err)
		res.hash_ok = 0;
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
	if (write(resfd, &res, sizeof(res)) != sizeof(res))
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
	if (write(resfd, &res, sizeof(res)) != sizeof(res))
		_exit(4);
	close(resfd);
	/* paused: vCPUs may wait in a userfault that nothing serves now */
	for (;;)
		pause();
}

static int dest_main(int lsock, int resfd)
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
					for (int k = 0; k < 512; k++)
						((uint64_t *)p)[k] = wp[i].value;
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
			if (write(resfd, &res, sizeof(res)) != sizeof(res))
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
		res.outcome = OUT_SRC_LOST;
		if (write(resfd, &res, sizeof(res)) != sizeof(res))
			return 4;
		if (pc)
			_exit(4);
		kvm_vm_free(m->vm);
		return 4;
	}
	if (pc) {
		if (pc_map) {
			msg("kvmmig-migrate: destination: post-copy map incomplete\n");
			goto eof;
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
		res.outcome = OUT_SRC_LOST;
		if (write(resfd, &res, sizeof(res)) != sizeof(res))
			return 4;
		kvm_vm_free(m->vm);
		return 4;
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
	if (write(resfd, &res, sizeof(res)) != sizeof(res))
		rc = 1;
	vcpus_join(m);
	kvm_vm_free(m->vm);
	close(sock);
	return rc;
}

/* ---- save to a file, restore from it (M12: working set first) ---- */

static int print_result(const struct result *R, int rc);

#define SAVE_MAGIC	0x3276534d47494d4bull	/* "KMIGMSv2" */

/*
 * The save file: this header; each vCPU's state (struct kvm_x86_state with
 * its MSRs, then the xsave area); the class of every data page (struct
 * wpage: free, zero, pattern with its word, or data); the working set
 * (nr_ws runs of data pages, struct ws_run, ascending and apart: what
 * KVMMIG_WS_RUNS gives, nr_ws_pages pages in all); slot 0 whole; then the
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
static uint64_t ws_runs_to_data(const struct vmm *m, struct kvmmig_ws_run *r, uint64_t nr,
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

static void collect_states(struct vmm *m)
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

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -1;
}

static int save_main(void)
{
	struct vmm *m = calloc(1, sizeof(*m));
	struct kvmmig_scan scan = { .size = sizeof(scan), .flags = KVMMIG_SCAN_START,
				    .period_ms = 100 };
	const struct kvm_msr_list *ml = kvm_get_msr_index_list();
	struct save_hdr hd = { .magic = SAVE_MAGIC };
	struct kvmmig_working_set ws = { .size = sizeof(ws),
					 .flags = KVMMIG_WS_FAULTED | KVMMIG_WS_RUNS };
	struct result res = { .valid = 1 };
	struct kvmmig_ws_run *wsr;
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
	pthread_mutex_lock(&m->run_lock);
	while (!m->ready)
		pthread_cond_wait(&m->run_cond, &m->run_lock);
	pthread_mutex_unlock(&m->run_lock);
	usleep(o.save_after_ms * 1000);
	t0 = now_ns();
	vcpus_stop(m, 0);
	collect_states(m);

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
	ws.gfns_ptr = (unsigned long)wsr;
	ws.max_gfns = m->nbits;
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

static int restore_main(void)
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
		pthread_create(&pc->fault_thread, NULL, pc_fault_thread, pc);
		pc->have_fault_thread = 1;
	}
	/*
	 * ws: the rest in the background at once (--background now) or once
	 * the guest did its work; lazy: after the work
	 */
	bg_started = o.restore_mode == RM_RESIDENT ||
		     (o.restore_mode == RM_WS && !o.bg_after_work);
	if (bg_started && o.restore_mode == RM_WS) {
		pthread_create(&pc->aux_thread, NULL, pc_bg_file_thread, pc);
		pc->have_aux_thread = 1;
	}
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
			pthread_create(&pc->aux_thread, NULL, pc_bg_file_thread, pc);
			pc->have_aux_thread = 1;
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
	res.pc_faults = pc->faults;
	res.uffd_msgs = pc->msgs;
	res.local_fills = pc->local;
	res.pages_data = pc->need_data;
	res.prefetch_issued = ~0ull;
	res.prefetch_used = ~0ull;
	res.hash_ok = placed_data(pc) >= pc->need_data &&
		      __atomic_load_n(&pc->hash, __ATOMIC_ACQUIRE) == hd.phash;
	if (!res.hash_ok)
		msg("kvmmig-migrate: PAGE HASH MISMATCH after restore: %s 0x%llx, %s 0x%llx\n",
		    "saved",
		    (unsigned long long)hd.phash, "restored", (unsigned long long)pc->hash);
	if (o.restore_mode != RM_RESIDENT &&
	    (pc_verify_ram(pc, &res.ram_checked, &res.ram_bad) || pc->copy_err))
		res.hash_ok = 0;
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

/* The summary table and / or the JSON line; returns @rc. */
static int print_result(const struct result *R, int rc)
{
	if (!o.quiet) {
		printf("\n%-22s %s\n", "outcome", outcome_name[R->outcome]);
		printf("%-22s %llu\n", "rounds", (unsigned long long)R->rounds);
		printf("%-22s data %llu  zero %llu  pattern %llu  dup %llu  free %llu\n", "pages",
		       (unsigned long long)R->pages_data, (unsigned long long)R->pages_zero,
		       (unsigned long long)R->pages_pattern, (unsigned long long)R->pages_dup,
		       (unsigned long long)R->pages_free);
		printf("%-22s %llu (%.1f MiB, RAM %d MiB)\n", "bytes on the wire",
		       (unsigned long long)R->bytes, R->bytes / 1048576.0, o.mem_mib);
		printf("%-22s first %llu%%  max %llu%%\n", "throttle",
		       (unsigned long long)R->throttle_first, (unsigned long long)R->throttle_max);
		printf("%-22s %llu ms\n", "total", (unsigned long long)R->total_ms);
		printf("%-22s %llu ms\n", "downtime", (unsigned long long)R->downtime_ms);
		printf("%-22s %s\n", "RAM hash", R->hash_ok ? "equal" : "NOT EQUAL / not compared");
		printf("%-22s %s\n", "destination guest",
		       R->dst_progress ? "running" : "not running");
		printf("%-22s %s\n", "source guest", R->src_alive ? "running" : "stopped / gone");
		if (R->ram_checked || R->ram_bad)
			printf("%-22s %llu frames compared, %llu differ\n", "RAM read back",
			       (unsigned long long)R->ram_checked, (unsigned long long)R->ram_bad);
		if (R->outcome == OUT_SRC_LOST && (o.postcopy || R->dst_paused))
			printf("%-22s %s\n", "destination after loss",
			       R->dst_paused ? "paused, then ended" : "exited");
		printf("%-22s %llu\n", "classify/memcpy x1000",
		       (unsigned long long)R->classify_x1000);
		if (o.postcopy || o.restore)
			printf("%-22s %llu (uffd msgs %llu, local %llu), %s %llu in %llu ms\n",
			       "faults", (unsigned long long)R->pc_faults,
			       (unsigned long long)R->uffd_msgs, (unsigned long long)R->local_fills,
			       "until the work:",
			       (unsigned long long)R->work_faults, (unsigned long long)R->work_ms);
		printf("%-22s %d\n", "exit status", rc);
	}
	if (o.json) {
		printf("{\"workload\":\"%s\",\"mode\":\"%s\",\"transport\":\"%s\",",
		       workload_name[o.workload], o.mode ? "baseline" : "kvmmig",
		       o.netns ? "netns" : "loopback");
		printf("\"outcome\":\"%s\",", outcome_name[R->outcome]);
		printf("\"rounds\":%llu,\"pages_data\":%llu,\"pages_zero\":%llu,",
		       (unsigned long long)R->rounds, (unsigned long long)R->pages_data,
		       (unsigned long long)R->pages_zero);
		printf("\"pages_pattern\":%llu,\"pages_dup\":%llu,\"pages_free\":%llu,",
		       (unsigned long long)R->pages_pattern, (unsigned long long)R->pages_dup,
		       (unsigned long long)R->pages_free);
		printf("\"bytes\":%llu,\"throttle_first_pct\":%llu,\"throttle_max_pct\":%llu,",
		       (unsigned long long)R->bytes, (unsigned long long)R->throttle_first,
		       (unsigned long long)R->throttle_max);
		printf("\"total_ms\":%llu,\"downtime_ms\":%llu,\"hash_ok\":%s,",
		       (unsigned long long)R->total_ms, (unsigned long long)R->downtime_ms,
		       R->hash_ok ? "true" : "false");
		printf("\"dst_progress\":%s,\"src_alive\":%s,\"classify_vs_memcpy_x1000\":%llu,",
		       R->dst_progress ? "true" : "false", R->src_alive ? "true" : "false",
		       (unsigned long long)R->classify_x1000);
		printf("\"postcopy\":%s,\"prefetch\":\"%s\",\"restore_mode\":\"%s\",",
		       o.postcopy ? "true" : "false", prefetch_name[o.prefetch],
		       o.restore ? restore_name[o.restore_mode] : "none");
		printf("\"faults\":%llu,\"uffd_msgs\":%llu,\"local_fills\":%llu,",
		       (unsigned long long)R->pc_faults, (unsigned long long)R->uffd_msgs,
		       (unsigned long long)R->local_fills);
		printf("\"work_faults\":%llu,\"work_ms\":%llu,\"pc_ms\":%llu,",
		       (unsigned long long)R->work_faults, (unsigned long long)R->work_ms,
		       (unsigned long long)R->pc_ms);
		printf("\"pages_requested\":%llu,\"prefetch_vmm\":%llu,",
		       (unsigned long long)R->pages_requested,
		       (unsigned long long)R->prefetch_vmm);
		printf("\"prefetch_vmm_trace\":%llu,",
		       (unsigned long long)R->prefetch_vmm_useful);
		printf("\"ram_checked\":%llu,\"ram_bad\":%llu,\"dst_paused\":%s,",
		       (unsigned long long)R->ram_checked, (unsigned long long)R->ram_bad,
		       R->dst_paused ? "true" : "false");
		printf("\"pages_dstore\":%llu,\"ws_runs\":%llu,",
		       (unsigned long long)R->pages_dstore, (unsigned long long)R->ws_runs);
		printf("\"prefetch_issued\":%lld,\"prefetch_used\":%lld,\"ws_pages\":%llu}\n",
		       R->prefetch_issued == ~0ull ? -1LL : (long long)R->prefetch_issued,
		       R->prefetch_used == ~0ull ? -1LL : (long long)R->prefetch_used,
		       (unsigned long long)R->ws_pages);
	}
	return rc;
}

/* ---- supervisor ---- */
static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto out;
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			msg("kvmmig-migrate: bringing lo up: %s\n", strerror(errno));
	}
out:
	if (fd >= 0)
		close(fd);
}

/* ---- --transport netns: the destination in its own network namespace ---- */
#define NL_BUF	1024

static void nl_attr(struct nlmsghdr *n, int type, const void *data, int len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static struct rtattr *nl_nest(struct nlmsghdr *n, int type)
{
	struct rtattr *nest = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	nl_attr(n, type, NULL, 0);
	return nest;
}

static void nl_nest_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/* Send one request, wait for its ack; returns 0 or -errno. */
static int nl_talk(struct nlmsghdr *n)
{
	char buf[NL_BUF];
	struct nlmsgerr *e;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), ret = -EIO;
	ssize_t len;

	if (fd < 0)
		return -errno;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, n, n->nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, buf, sizeof(buf), 0);
	if (len >= (ssize_t)NLMSG_LENGTH(sizeof(*e)) &&
	    ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA((struct nlmsghdr *)buf);
		ret = e->error;
	}
out:
	close(fd);
	return ret;
}

static int veth_create(const char *a, const char *b)
{
	char buf[NL_BUF] = { 0 };
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	struct ifinfomsg *peer;
	struct rtattr *li, *data, *pr;

	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_NEWLINK;
	n->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	nl_attr(n, IFLA_IFNAME, a, strlen(a) + 1);
	li = nl_nest(n, IFLA_LINKINFO);
	nl_attr(n, IFLA_INFO_KIND, "veth", 5);
	data = nl_nest(n, IFLA_INFO_DATA);
	pr = nl_nest(n, VETH_INFO_PEER);
	peer = (struct ifinfomsg *)((char *)n + n->nlmsg_len);
	memset(peer, 0, sizeof(*peer));
	n->nlmsg_len += NLMSG_ALIGN(sizeof(*peer));
	nl_attr(n, IFLA_IFNAME, b, strlen(b) + 1);
	nl_nest_end(n, pr);
	nl_nest_end(n, data);
	nl_nest_end(n, li);
	return nl_talk(n);
}

static int link_to_netns(const char *ifname, pid_t pid)
{
	char buf[NL_BUF] = { 0 };
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	__u32 p = pid;

	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_NEWLINK;
	nl_attr(n, IFLA_IFNAME, ifname, strlen(ifname) + 1);
	nl_attr(n, IFLA_NET_NS_PID, &p, sizeof(p));
	return nl_talk(n);
}

static int link_del(const char *ifname)
{
	char buf[NL_BUF] = { 0 };
	struct nlmsghdr *n = (struct nlmsghdr *)buf;

	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_DELLINK;
	nl_attr(n, IFLA_IFNAME, ifname, strlen(ifname) + 1);
	return nl_talk(n);
}

/* Address @ip/24 on @ifname, and up. */
static int if_config(const char *ifname, in_addr_t ip)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = ip;
	if (ioctl(fd, SIOCSIFADDR, &ifr))
		ret = -errno;
	sin->sin_addr.s_addr = htonl(0xffffff00);
	if (!ret && ioctl(fd, SIOCSIFNETMASK, &ifr))
		ret = -errno;
	if (!ret && ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

static int listen_on(in_addr_t ip, struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = ip;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)sa, &sl)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void bad_usage(void)
{
	static const char * const lines[] = {
		"usage: kvmmig-migrate [--workload idle|zero|dup|hot|dirty|busy|chase]",
		"  [--vcpus N] [--mem-mib M] [--mode kvmmig|baseline] [--no-throttle]",
		"  [--max-rounds N] [--downtime-ms D] [--transport loopback|netns]",
		"  [--datastore FILE] [--history-in FILE] [--history-out FILE]",
		"  [--kill-dest-at-round K] [--kill-src-at-round K] [--json] [--quiet]",
		"  post-copy: [--postcopy] [--precopy-rounds N] [--prefetch none|gpa|gva]",
		"  [--prefetch-window N] [--postcopy-bg now|after-work] [--work-units K]",
		"  [--kill-src-in-postcopy N] [--corrupt-dest K]",
		"  save / restore: --save FILE [--save-after-ms MS] [--ws-min-level L]",
		"  | --restore FILE [--restore-mode lazy|ws|resident] [--work-units K]",
		"  [--background now|after-work]",
	};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		fprintf(stderr, "%s\n", lines[i]);
	exit(5);
}

static int lookup(const char *s, const char * const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "kvmmig-migrate: unknown value '%s'\n", s);
	bad_usage();
	return 0;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", 1, 0, 'w' }, { "vcpus", 1, 0, 'v' }, { "mem-mib", 1, 0, 'm' },
		{ "mode", 1, 0, 'M' }, { "no-throttle", 0, 0, 'T' }, { "max-rounds", 1, 0, 'r' },
		{ "downtime-ms", 1, 0, 'd' }, { "transport", 1, 0, 't' },
		{ "datastore", 1, 0, 'D' }, { "history-in", 1, 0, 'i' },
		{ "history-out", 1, 0, 'o' }, { "kill-dest-at-round", 1, 0, 'K' },
		{ "kill-src-at-round", 1, 0, 'S' }, { "json", 0, 0, 'j' }, { "quiet", 0, 0, 'q' },
		{ "postcopy", 0, 0, 'P' }, { "precopy-rounds", 1, 0, 'R' },
		{ "prefetch", 1, 0, 'f' }, { "prefetch-window", 1, 0, 'W' },
		{ "postcopy-bg", 1, 0, 'B' }, { "background", 1, 0, 'B' },
		{ "work-units", 1, 0, 'u' },
		{ "kill-src-in-postcopy", 1, 0, 'X' }, { "save", 1, 0, 's' },
		{ "corrupt-dest", 1, 0, 'C' },
		{ "restore", 1, 0, 'L' }, { "restore-mode", 1, 0, 'l' },
		{ "save-after-ms", 1, 0, 'a' }, { "ws-min-level", 1, 0, 'e' },
		{ "help", 0, 0, 'h' }, { 0 }
	};
	static const char * const bgs[] = { "now", "after-work" };
	static const char * const modes[] = { "kvmmig", "baseline" };
	static const char * const transports[] = { "loopback", "netns" };
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'w':
			o.workload = lookup(optarg, workload_name, WL_NR);
			break;
		case 'v':
			o.vcpus = atoi(optarg);
			break;
		case 'm':
			o.mem_mib = atoi(optarg);
			break;
		case 'M':
			o.mode = lookup(optarg, modes, 2);
			break;
		case 'T':
			o.no_throttle = 1;
			break;
		case 'r':
			o.max_rounds = atoi(optarg);
			break;
		case 'd':
			o.downtime_ms = atoi(optarg);
			break;
		case 't':
			o.netns = lookup(optarg, transports, 2);
			break;
		case 'D':
			o.datastore = optarg;
			break;
		case 'i':
			o.history_in = optarg;
			break;
		case 'o':
			o.history_out = optarg;
			break;
		case 'K':
			o.kill_dest_at = atoi(optarg);
			break;
		case 'S':
			o.kill_src_at = atoi(optarg);
			break;
		case 'j':
			o.json = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'P':
			o.postcopy = 1;
			break;
		case 'R':
			o.precopy_rounds = atoi(optarg);
			break;
		case 'f':
			o.prefetch = lookup(optarg, prefetch_name, 3);
			break;
		case 'W':
			o.prefetch_window = atoi(optarg);
			break;
		case 'B':
			o.bg_after_work = lookup(optarg, bgs, 2);
			break;
		case 'u':
			o.work_units = atoi(optarg);
			break;
		case 'X':
			o.kill_src_in_postcopy = atoi(optarg);
			break;
		case 'C':
			o.corrupt_every = atoi(optarg);
			break;
		case 's':
			o.save = optarg;
			break;
		case 'L':
			o.restore = optarg;
			break;
		case 'l':
			o.restore_mode = lookup(optarg, restore_name, 3);
			break;
		case 'a':
			o.save_after_ms = atoi(optarg);
			break;
		case 'e':
			o.ws_min_level = atoi(optarg);
			break;
		default:
			bad_usage();
		}
	}
	if (optind < argc || o.vcpus < 1 || o.vcpus > MAX_VCPUS || o.mem_mib < 1 ||
	    o.mem_mib > 4096 || o.max_rounds < 1 || o.downtime_ms < 0 ||
	    o.precopy_rounds < 0 || (o.precopy_rounds && !o.postcopy) ||
	    o.prefetch_window < 1 || o.prefetch_window > KVMMIG_PREFETCH_MAX_WINDOW ||
	    o.work_units < 1 || o.save_after_ms < 0 || o.kill_src_in_postcopy < 0 ||
	    o.ws_min_level < 1 || o.ws_min_level > KVMMIG_TEMP_NR_LEVELS ||
	    (o.save && o.restore) || ((o.save || o.restore) && (o.postcopy || o.netns)))
		bad_usage();
}

static int read_result(int fd, struct result *r)
{
	ssize_t n;

	memset(r, 0, sizeof(*r));
	do {
		n = read(fd, r, sizeof(*r));
	} while (n < 0 && errno == EINTR);
	return n == sizeof(*r) && r->valid;
}

/*
 * The KVM selftest library loads the guest code from the program's own ELF
 * file, named by program_invocation_name: when run through $PATH that is a
 * bare name, so point it at the executable itself.
 */
static void find_own_elf(void)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = 0;
		program_invocation_name = exe;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int lsock = -1, spipe[2], dpipe[2], d2s[2], s2d[2], st, rc, ret = -EIO;
	struct result sr, dr, R;
	pid_t dst, src, parent;
	struct sigaction act = { .sa_handler = kick_handler };
	int have_s, have_d, selftest, setup_failed;
	char if_s[IFNAMSIZ], if_d[IFNAMSIZ], c;
	in_addr_t ip_s = htonl(0x0ad50001 | (getpid() % 250) << 8);
	in_addr_t ip_d = htonl(0x0ad50002 | (getpid() % 250) << 8);

	setvbuf(stdout, NULL, _IOLBF, 0);
	debug = !!getenv("KVMMIG_MIGRATE_DEBUG");
	selftest = argc == 1;
	find_own_elf();
	parse(argc, argv);
	if (selftest)	/* no options: a selftest for the test bed's runner */
		printf("TAP version 13\n1..1\n");
	sigaction(SIGUSR1, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.save || o.restore) {
		alarm(1200);
		return o.save ? save_main() : restore_main();
	}
	lo_up();
	snprintf(if_s, sizeof(if_s), "kms%d", getpid());
	snprintf(if_d, sizeof(if_d), "kmd%d", getpid());
	if (o.netns) {
		ret = veth_create(if_s, if_d);
		if (ret) {
			msg("kvmmig-migrate: --transport netns: no veth pair: %s\n",
			    strerror(-ret));
			msg("kvmmig-migrate: (veth.ko not loaded? Debian has CONFIG_VETH=m)\n");
			msg("kvmmig-migrate: FALLING BACK TO LOOPBACK TCP\n");
			o.netns = 0;
		}
	}
	if (pipe(spipe) || pipe(dpipe) || pipe(d2s) || pipe(s2d))
		return 5;
	if (!o.netns) {
		lsock = listen_on(htonl(INADDR_LOOPBACK), &sa);
		if (lsock < 0) {
			msg("kvmmig-migrate: listening socket: %s\n", strerror(errno));
			return 5;
		}
	}

	parent = getpid();
	dst = fork();
	if (dst == 0) {
		/* a destination paused after losing its source waits: not past us */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(5);
		close(spipe[0]);
		close(spipe[1]);
		close(dpipe[0]);
		alarm(1200);
		if (o.netns) {
			if (unshare(CLONE_NEWNET)) {
				msg("kvmmig-migrate: unshare(CLONE_NEWNET): %s\n", strerror(errno));
				_exit(5);
			}
			lo_up();
			if (write(d2s[1], "u", 1) != 1 || read(s2d[0], &c, 1) != 1 || c != 'm')
				_exit(5);
			ret = if_config(if_d, ip_d);
			lsock = listen_on(ip_d, &sa);
			if (ret || lsock < 0) {
				msg("kvmmig-migrate: destination netns: %s: %s\n", if_d,
				    strerror(ret ? -ret : errno));
				_exit(5);
			}
			if (write(d2s[1], &sa, sizeof(sa)) != sizeof(sa))
				_exit(5);
		}
		_exit(dest_main(lsock, dpipe[1]));
	}
	if (o.netns) {
		if (read(d2s[0], &c, 1) == 1)
			ret = link_to_netns(if_d, dst);
		if (!ret && write(s2d[1], "m", 1) == 1)
			ret = if_config(if_s, ip_s);
		if (!ret && read(d2s[0], &sa, sizeof(sa)) != sizeof(sa))
			ret = -EIO;
		if (ret) {
			msg("kvmmig-migrate: netns setup failed: %s\n", strerror(-ret));
			kill(dst, SIGKILL);
			link_del(if_s);
			return 5;
		}
	}
	if (!o.quiet)
		printf("kvmmig-migrate: workload %s, mode %s, %d vCPUs, %d MiB, %s %s:%d\n",
		       workload_name[o.workload], o.mode ? "baseline" : "kvmmig", o.vcpus,
		       o.mem_mib, o.netns ? "veth into the destination's netns," : "loopback",
		       inet_ntoa(sa.sin_addr), ntohs(sa.sin_port));
	fflush(stdout);

	src = fork();
	if (src == 0) {
		int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(5);

		if (lsock >= 0)
			close(lsock);
		close(dpipe[0]);
		close(dpipe[1]);
		close(spipe[0]);
		alarm(1200);
		if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
			msg("kvmmig-migrate: connect: %s\n", strerror(errno));
			_exit(5);
		}
		_exit(source_main(sock, spipe[1], dst));
	}
	if (lsock >= 0)
		close(lsock);
	close(spipe[1]);
	close(dpipe[1]);
	have_s = read_result(spipe[0], &sr);
	have_d = read_result(dpipe[0], &dr);
	waitpid(src, &st, 0);
	if (!have_s && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && o.kill_src_at)
		msg("kvmmig-migrate: source killed (fault injection)\n");
	setup_failed = !have_s && WIFEXITED(st) && WEXITSTATUS(st) == 5;
	if (have_d && dr.outcome == OUT_SRC_LOST && dr.dst_paused) {
		/* a destination paused after losing its source: still there, then ended */
		usleep(200 * 1000);
		if (waitpid(dst, &st, WNOHANG) == 0) {
			kill(dst, SIGTERM);
			waitpid(dst, &st, 0);
		} else {
			dr.dst_paused = 0;
			msg("kvmmig-migrate: paused destination exited by itself\n");
		}
	} else {
		waitpid(dst, &st, 0);
	}
	if (o.netns)
		link_del(if_s);	/* normally gone with the destination's netns */

	memset(&R, 0, sizeof(R));
	if (have_s)
		R = sr;
	else if (setup_failed)
		R.outcome = OUT_SETUP;
	else if (have_d && dr.outcome == OUT_SRC_LOST)
		R.outcome = OUT_SRC_LOST;
	else
		R.outcome = OUT_SETUP;
	if (have_d) {
		R.hash_ok = dr.hash_ok;
		R.dst_progress = dr.dst_progress;
		R.pc_faults = dr.pc_faults;
		R.uffd_msgs = dr.uffd_msgs;
		R.local_fills = dr.local_fills;
		R.work_faults = dr.work_faults;
		R.work_ms = dr.work_ms;
		R.pc_ms = dr.pc_ms;
		R.pages_requested = dr.pages_requested;
		R.prefetch_vmm = dr.prefetch_vmm;
		R.prefetch_vmm_useful = dr.prefetch_vmm_useful;
		R.prefetch_issued = dr.prefetch_issued;
		R.prefetch_used = dr.prefetch_used;
		R.ram_checked = dr.ram_checked;
		R.ram_bad = dr.ram_bad;
		R.dst_paused = dr.dst_paused;
		R.pages_dstore = dr.pages_dstore;
	} else {
		R.prefetch_issued = ~0ull;
		R.prefetch_used = ~0ull;
	}
	if (R.outcome == OUT_CONVERGED && !(R.hash_ok && R.dst_progress))
		R.outcome = OUT_MISMATCH;
	rc = exit_status[R.outcome];
	if (selftest)
		printf("%sok 1 loopback migration, idle workload, kvmmig mode: %s\n",
		       rc ? "not " : "", outcome_name[R.outcome]);
	return print_result(&R, rc);
}
