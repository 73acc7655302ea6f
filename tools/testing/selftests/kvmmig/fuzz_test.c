// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: a random ioctl fuzzer for /dev/kvmmig, session fds and
 * stats fds, run while VMs, vCPUs, memslots and sessions come and go.
 *
 * Threads:
 *  - FUZZ_THREADS fuzzers issue random calls (every kvmmig ioctl, the same
 *    numbers with a wrong _IOC size, direction or type, random numbers,
 *    read/pread/write on stats fds) on whatever fd each "slot" holds now;
 *  - one churn thread creates and destroys VMs (each with a vCPU thread
 *    running guest code that writes memory), adds, moves and deletes
 *    memslots, toggles dirty logging, munmaps and mremaps a slot's backing
 *    while the slot exists, opens and closes /dev/kvmmig, sessions and
 *    stats fds, some of them while fuzzers are inside an ioctl on them.
 *
 * Fd slots.  Fuzzers only touch fds at fixed high numbers (FD_BASE + i):
 * a slot holds /dev/kvmmig, a session, a stats fd, /dev/null (a
 * placeholder, "closed" by dup2 so the number never goes to another file)
 * or nothing (closed for real: open() takes the lowest free number, so a
 * slot number is never reused behind the fuzzers' back).  The fd of a KVM
 * VM is only ever passed as KVMMIG_ATTACH_VM's @vm_fd, never ioctl'ed.
 *
 * Memory safety of the fuzzer itself.  Every pointer passed to the kernel
 * points into one 1 TiB PROT_NONE reservation: a per-thread argument page
 * (each followed by a PROT_NONE page), then a shared writable scratch
 * area, then a PROT_NONE page, a read-only page and PROT_NONE up to the
 * end.  Buffers start in the scratch area, so however large a count is,
 * the kernel's writes run into PROT_NONE (-EFAULT) before leaving the
 * reservation; they never reach the fuzzer's data, stacks or fds.
 *
 * Sizes.  Every kvmmig structure starts with @size, the caller's size
 * of it: the dispatcher (ioctl.c) refuses one smaller than the structure
 * without its reserved tail (-EINVAL), reads a smaller one zero-extended
 * and a larger one when its extra bytes are zero (-E2BIG when not, or when
 * it is larger than a page).  The _IOC size of the command number is not
 * compared, since an older or newer caller encodes its own size there: a
 * command differing from a real one in its size bits only is that
 * command.  Both are fuzzed.
 *
 * The oracle (besides the test bed's kernel log check and the timeout):
 *  - every call returns success or an errno allowed for it (allowed_errs
 *    below: what Documentation/kvmmig.rst and the module's code give);
 *  - an argument the uapi rules out (wrong @size, unknown flag, non-zero
 *    reserved field) gives exactly -EINVAL, an unknown command exactly
 *    -ENOTTY, KVMMIG_GET_API_VERSION and KVMMIG_CHECK_EXTENSION their
 *    documented values (when the fd was not swapped during the call);
 *  - at the end every fd closes, /sys/kernel/kvmmig has no session left
 *    and the module's reference count is 0 (the test bed then rmmods it).
 *
 * Environment: FUZZ_SEED (default: time), FUZZ_CALLS (default 100000),
 * FUZZ_THREADS (default 3), FUZZ_SECONDS (stop early, default 200).
 * The seed is printed; a failing call prints its thread, index, command
 * and argument bytes.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <time.h>

#include "kvmmig_util.h"

#define FD_BASE		700
#define NR_DEV_SLOTS	2
#define NR_SES_SLOTS	3
#define NR_STAT_SLOTS	4
#define NR_VM_SLOTS	MAX_VMS
#define NR_FD_SLOTS	(NR_DEV_SLOTS + NR_SES_SLOTS + NR_STAT_SLOTS + NR_VM_SLOTS)
#define SES_SLOT0	NR_DEV_SLOTS
#define STAT_SLOT0	(SES_SLOT0 + NR_SES_SLOTS)
#define VM_SLOT0	(STAT_SLOT0 + NR_STAT_SLOTS)

#define MAX_THREADS	8
#define PAGE		4096UL
#define RESV_SIZE	BIT_ULL(40)
#define LOW_GUARD	BIT_ULL(30)
#define SCRATCH_SIZE	(4UL << 20)

#define MAX_VMS		3
#define XSLOTS		6	/* extra memslots per VM, ids XSLOT0.. */
#define XSLOT0		10
#define XBAND		(64ULL << 20)	/* GPA band of each extra slot */
#define XBASE		BIT_ULL(32)
#define MAX_GPAS	64

enum kind { K_NONE, K_NULL, K_DEV, K_SES, K_STAT, K_VM };
static const char *const kind_name[] = { "closed", "null", "dev", "session", "stats", "vm" };

struct slot {
	pthread_mutex_t lock;	/* writers: install/close */
	atomic_uint seq;	/* odd while changing */
	atomic_int kind;
};

static struct slot slots[NR_FD_SLOTS];
static int null_fd;

/* The reservation: see the header comment. */
static char *resv, *argpages, *scratch, *guard_pg, *ro_pg;

static atomic_ulong calls_done;
static unsigned long calls_max = 100000;
static unsigned int nr_threads = 3;
static unsigned int max_seconds = 200;
static atomic_int stop_all;
static unsigned long long seed;
static atomic_ullong gpas[MAX_GPAS];	/* interesting addresses */
static atomic_int failures;
static atomic_ulong nr_vm_created, nr_vcpu_exits, nr_memslot_ops,
	nr_unmaps, nr_fd_ops;

/* ----- PRNG: xorshift64*, one state per thread ----- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

/* true with probability @pct percent */
static bool chance(uint64_t *s, unsigned int pct)
{
	return rnd_below(s, 100) < pct;
}

/* ----- fd slots ----- */

static int slot_fd(int i)
{
	return FD_BASE + i;
}

static void slot_begin(int i)
{
	pthread_mutex_lock(&slots[i].lock);
	atomic_fetch_add(&slots[i].seq, 1);
}

static void slot_end(int i, int kind)
{
	atomic_store(&slots[i].kind, kind);
	atomic_fetch_add(&slots[i].seq, 1);
	pthread_mutex_unlock(&slots[i].lock);
}

/* Move @fd into slot @i (closing what was there), or "close" it. */
static void slot_install(int i, int fd, int kind)
{
	slot_begin(i);
	TEST_ASSERT(dup3(fd, slot_fd(i), O_CLOEXEC) == slot_fd(i),
		    "dup3: %s", strerror(errno));
	slot_end(i, kind);
	if (fd != null_fd)
		close(fd);
}

static void slot_to_null(int i)
{
	slot_install(i, null_fd, K_NULL);
}

static void slot_close(int i)
{
	slot_begin(i);
	close(slot_fd(i));
	slot_end(i, K_NONE);
}

/* ----- the uapi, as a table of fields ----- */

enum fk {
	F_SIZE,		/* u32 @size */
	F_FLAGS,	/* u32 flags; arg: the valid mask */
	F_RSV,		/* reserved: must be 0 */
	F_OUT,		/* output only: anything */
	F_SMALL,	/* an input number, usually 0 or small */
	F_CNT,		/* a count; arg: its documented maximum */
	F_GPA,		/* a guest-physical address */
	F_GFN,		/* a guest frame */
	F_PCT,		/* a percentage */
	F_ENUM,		/* 0..arg-1 mostly */
	F_PERIOD,	/* a period in ms */
	F_VMFD,		/* a KVM VM fd */
	F_PTR,		/* user pointer to an output array; elem, cnt */
	F_PIN,		/* user pointer to an input array; elem type, cnt */
};

/* input array element types (F_PIN's elem) */
enum { IN_BITS = 1, IN_GFNS, IN_RANGES, IN_FILL };

struct fld {
	unsigned short off;
	unsigned char width;	/* 4 or 8 */
	unsigned char kind;
	unsigned long long arg;	/* F_FLAGS mask, F_CNT max, F_ENUM n */
	unsigned short elem;	/* F_PTR: element bytes; F_PIN: IN_* */
	signed char cnt;	/* F_PTR/F_PIN: index of the count field, or -1 */
	unsigned char cnt_bits;	/* count is in bits (bitmaps) */
	const void *addr;	/* the field in the ioctl's u_* instance */
};

#define NFLD 24

struct ioc {
	const char *name;
	const void *base;	/* its u_* instance */
	unsigned int cmd;
	unsigned short size;	/* 0: no struct argument */
	bool dev;		/* on /dev/kvmmig (else on a session) */
	bool rsv_unchecked;	/* non-zero reserved words are not refused */
	unsigned int errs;	/* allowed errnos, ERR_* bits */
	struct fld f[NFLD];
	int nf;
};

/*
 * Field descriptors from a (never used) instance of each structure, so
 * offsets and widths come from the uapi header itself.
 */
static const struct kvmmig_attach u_attach;
static const struct kvmmig_ioctl_info u_ioctl_info;
static const struct kvmmig_memslots u_memslots;
static const struct kvmmig_scan u_scan;
static const struct kvmmig_temperature u_temperature;
static const struct kvmmig_huge_candidates u_huge_candidates;
static const struct kvmmig_dirty_rate u_dirty_rate;
static const struct kvmmig_send_order u_send_order;
static const struct kvmmig_classify u_classify;
static const struct kvmmig_free_hints u_free_hints;
static const struct kvmmig_migration u_migration;
static const struct kvmmig_history u_history;
static const struct kvmmig_faults u_faults;
static const struct kvmmig_prefetch u_prefetch;
static const struct kvmmig_working_set u_working_set;
static const struct kvmmig_fill u_fill;

/* a field: its address in the instance (made an offset at start), width */
#define F(x, k, ...)	{ 0, sizeof(x) >= 8 ? 8 : 4, k, ##__VA_ARGS__, .addr = &(x) }

enum {
	ERR_EINVAL = 1 << 0, ERR_EFAULT = 1 << 1, ERR_E2BIG = 1 << 2,
	ERR_EBUSY = 1 << 3, ERR_ENOSPC = 1 << 4, ERR_EBADF = 1 << 5,
	ERR_EAGAIN = 1 << 6, ERR_ENOENT = 1 << 7, ERR_EOVERFLOW = 1 << 8,
	ERR_ESRCH = 1 << 9, ERR_ENOMEM = 1 << 10, ERR_EIO = 1 << 11,
	ERR_EPERM = 1 << 12,
};

static const struct { int err; unsigned int bit; } err_bits[] = {
	{ EINVAL, ERR_EINVAL }, { EFAULT, ERR_EFAULT }, { E2BIG, ERR_E2BIG },
	{ EBUSY, ERR_EBUSY }, { ENOSPC, ERR_ENOSPC }, { EBADF, ERR_EBADF },
	{ EAGAIN, ERR_EAGAIN }, { ENOENT, ERR_ENOENT },
	{ EOVERFLOW, ERR_EOVERFLOW }, { ESRCH, ERR_ESRCH },
	{ ENOMEM, ERR_ENOMEM }, { EIO, ERR_EIO }, { EPERM, ERR_EPERM },
};

/* E2BIG: a @size larger than this kernel's structure with non-zero extra bytes */
#define BASE_ERRS	(ERR_EINVAL | ERR_EFAULT | ERR_E2BIG)

/*
 * Allowed errnos per ioctl (besides -EINVAL and -EFAULT everywhere):
 *  ATTACH_VM: EBADF (no such fd), EBUSY (the VM has a full session
 *	already), ENOSPC (max_sessions reached);
 *  every ioctl that needs a full session (kvmmig_ioctl_access[] in
 *	session.c): EPERM on a read-only one (KVMMIG_ATTACH_READ_ONLY),
 *	before the argument is read, so EPERM also stands for the -EINVAL
 *	or -EFAULT such a call would otherwise give;
 *  GET_MEMSLOTS: EAGAIN (memslot updates never paused);
 *  GET_MEMSLOTS, GET_SEND_ORDER, GET_WORKING_SET: E2BIG (no room: the
 *	count needed is returned); GET_SEND_ORDER: EAGAIN (memslots kept
 *	changing); GET_WORKING_SET: EAGAIN, EOVERFLOW;
 *  SET_SCAN: ESRCH (the VMM's mm is gone: never here, the test is the
 *	VMM), EBUSY (another session of the VM scans: checked before the
 *	argument is read, like EPERM);
 *  MIGRATION, SET_HISTORY: EBUSY (a migration runs / none to end),
 *	ENOENT (the VM has no vCPU to stun);
 *  PREFETCH: ENOENT (no fault record of @gfn), ENOSPC;
 *  FILL: EOVERFLOW.
 * Not allowed anywhere: ENOMEM (every allocation is bounded by a
 * documented maximum), EIO (the fuzzer is the VMM), EINTR (no fatal
 * signal is ever pending), and any other errno.
 */
static struct ioc iocs[] = {
	{ "ATTACH_VM", &u_attach, KVMMIG_ATTACH_VM, sizeof(struct kvmmig_attach), true, false,
	  BASE_ERRS | ERR_EBADF | ERR_EBUSY | ERR_ENOSPC, {
		F(u_attach.size, F_SIZE),
		F(u_attach.flags, F_FLAGS, KVMMIG_ATTACH_FLAGS),
		F(u_attach.vm_fd, F_VMFD),
		F(u_attach.session_id, F_OUT),
		F(u_attach.access, F_OUT),
		F(u_attach.reserved0, F_RSV),
		F(u_attach.reserved[0], F_RSV, 0),
		F(u_attach.reserved[4], F_RSV, 0),
	  }, 8 },
	/* on both fds: fuzzed on sessions, ENOENT for an unknown ioctl */
	{ "IOCTL_INFO", &u_ioctl_info,
	  KVMMIG_IOCTL_INFO, sizeof(struct kvmmig_ioctl_info), false, false,
	  BASE_ERRS | ERR_ENOENT, {
		F(u_ioctl_info.size, F_SIZE),
		F(u_ioctl_info.flags, F_FLAGS, 0),
		F(u_ioctl_info.cmd, F_SMALL),
		F(u_ioctl_info.need, F_OUT),
		F(u_ioctl_info.struct_size, F_OUT),
		F(u_ioctl_info.struct_size_min, F_OUT),
		F(u_ioctl_info.valid_flags, F_OUT),
		F(u_ioctl_info.cap, F_OUT),
		F(u_ioctl_info.usable, F_OUT),
		F(u_ioctl_info.reserved[0], F_RSV, 0),
		F(u_ioctl_info.reserved[3], F_RSV, 0),
	  }, 11 },
	{ "GET_MEMSLOTS", &u_memslots,
	  KVMMIG_GET_MEMSLOTS, sizeof(struct kvmmig_memslots), false, false,
	  BASE_ERRS | ERR_EAGAIN | ERR_E2BIG, {
		F(u_memslots.size, F_SIZE),
		F(u_memslots.flags, F_FLAGS, 0),
		F(u_memslots.nr_slots, F_CNT, KVMMIG_MEMSLOTS_MAX),
		F(u_memslots.reserved0, F_RSV),
		F(u_memslots.generation, F_OUT),
		F(u_memslots.slots_ptr, F_PTR, 0, sizeof(struct kvmmig_memslot), 2),
		F(u_memslots.reserved[0], F_RSV, 0),
		F(u_memslots.reserved[3], F_RSV, 0),
	  }, 8 },
	{ "SET_SCAN", &u_scan, KVMMIG_SET_SCAN, sizeof(struct kvmmig_scan), false, false,
	  BASE_ERRS | ERR_EBUSY | ERR_ESRCH, {
		F(u_scan.size, F_SIZE),
		F(u_scan.flags, F_FLAGS, KVMMIG_SCAN_FLAGS),
		F(u_scan.period_ms, F_PERIOD),
		F(u_scan.nr_passes, F_SMALL),
		F(u_scan.passes, F_OUT),
		F(u_scan.reserved[0], F_RSV, 0),
		F(u_scan.reserved[3], F_RSV, 0),
	  }, 7 },
	{ "GET_TEMPERATURE", &u_temperature,
	  KVMMIG_GET_TEMPERATURE, sizeof(struct kvmmig_temperature), false, false,
	  BASE_ERRS, {
		F(u_temperature.size, F_SIZE),
		F(u_temperature.flags, F_FLAGS, 0),
		F(u_temperature.gfn, F_GFN),
		F(u_temperature.npages, F_CNT, KVMMIG_TEMPERATURE_MAX_PAGES),
		F(u_temperature.levels_ptr, F_PTR, 0, 1, 3),
		F(u_temperature.histogram[0], F_OUT, 0),
		F(u_temperature.passes, F_OUT),
		F(u_temperature.nr_done, F_OUT),
		F(u_temperature.reserved[0], F_RSV, 0),
		F(u_temperature.reserved[1], F_RSV, 0),
	  }, 9 },
	{ "GET_HUGE_CANDIDATES", &u_huge_candidates, KVMMIG_GET_HUGE_CANDIDATES,
	  sizeof(struct kvmmig_huge_candidates), false, false, BASE_ERRS, {
		F(u_huge_candidates.size, F_SIZE),
		F(u_huge_candidates.flags, F_FLAGS, 0),
		F(u_huge_candidates.nr, F_CNT, KVMMIG_HUGE_CANDIDATES_MAX),
		F(u_huge_candidates.observe_passes_left, F_OUT),
		F(u_huge_candidates.candidates_ptr, F_PTR, 0,
		  sizeof(struct kvmmig_huge_candidate), 2),
		F(u_huge_candidates.passes, F_OUT),
		F(u_huge_candidates.reserved[0], F_RSV, 0),
		F(u_huge_candidates.reserved[3], F_RSV, 0),
	  }, 8 },
	{ "GET_DIRTY_RATE", &u_dirty_rate,
	  KVMMIG_GET_DIRTY_RATE, sizeof(struct kvmmig_dirty_rate), false, false,
	  BASE_ERRS, {
		F(u_dirty_rate.size, F_SIZE),
		F(u_dirty_rate.flags, F_FLAGS, KVMMIG_DIRTY_RATE_FLAGS),
		F(u_dirty_rate.source, F_OUT),
		F(u_dirty_rate.nr_vcpus, F_CNT, KVMMIG_DIRTY_RATE_MAX_VCPUS),
		F(u_dirty_rate.pages_per_sec, F_OUT),
		F(u_dirty_rate.dirty_pages, F_OUT),
		F(u_dirty_rate.window_ns, F_OUT),
		F(u_dirty_rate.vcpu_rates_ptr, F_PTR, 0, 8, 3),
		F(u_dirty_rate.reserved[0], F_RSV, 0),
		F(u_dirty_rate.reserved[3], F_RSV, 0),
	  }, 10 },
	{ "GET_SEND_ORDER", &u_send_order,
	  KVMMIG_GET_SEND_ORDER, sizeof(struct kvmmig_send_order), false, false,
	  BASE_ERRS | ERR_EPERM | ERR_E2BIG | ERR_EAGAIN, {
		F(u_send_order.size, F_SIZE),
		F(u_send_order.flags, F_FLAGS, KVMMIG_SEND_ORDER_FLAGS),
		F(u_send_order.base_gfn, F_GFN),
		F(u_send_order.npages, F_CNT, KVMMIG_SEND_ORDER_MAX_PAGES),
		F(u_send_order.bitmap_ptr, F_PIN, 0, IN_BITS, 3, 1),
		F(u_send_order.max_runs, F_CNT, 1ULL << 20),
		F(u_send_order.runs_ptr, F_PTR, 0, sizeof(struct kvmmig_gfn_range), 5),
		F(u_send_order.nr_runs, F_OUT),
		F(u_send_order.nr_done, F_OUT),
		F(u_send_order.nr_free, F_OUT),
		F(u_send_order.level_pages[0], F_OUT, 0),
		F(u_send_order.reserved[0], F_RSV, 0),
		F(u_send_order.reserved[2], F_RSV, 0),
	  }, 13 },
	{ "CLASSIFY", &u_classify, KVMMIG_CLASSIFY, sizeof(struct kvmmig_classify), false, false,
	  BASE_ERRS | ERR_EPERM, {
		F(u_classify.size, F_SIZE),
		F(u_classify.flags, F_FLAGS, KVMMIG_CLASSIFY_FLAGS),
		F(u_classify.npages, F_CNT, KVMMIG_CLASSIFY_MAX_PAGES),
		F(u_classify.nr_data, F_OUT),
		F(u_classify.gfn, F_GFN),
		F(u_classify.gfns_ptr, F_PIN, 0, IN_GFNS, 2),
		F(u_classify.classes_ptr, F_PTR, 0, sizeof(struct kvmmig_page_class), 2),
		F(u_classify.data_ptr, F_PTR, 0, 4096, 2),
		F(u_classify.class_pages[0], F_OUT, 0),
		F(u_classify.nr_done, F_OUT),
		F(u_classify.reserved[0], F_RSV, 0),
		F(u_classify.reserved[2], F_RSV, 0),
	  }, 11 },
	{ "FREE_HINTS", &u_free_hints,
	  KVMMIG_FREE_HINTS, sizeof(struct kvmmig_free_hints), false, false,
	  BASE_ERRS | ERR_EPERM, {
		F(u_free_hints.size, F_SIZE),
		F(u_free_hints.flags, F_FLAGS, KVMMIG_FREE_HINT_FLAGS),
		F(u_free_hints.nr_ranges, F_CNT, KVMMIG_FREE_HINT_MAX_RANGES),
		F(u_free_hints.nr_done, F_OUT),
		F(u_free_hints.ranges_ptr, F_PIN, 0, IN_RANGES, 2),
		F(u_free_hints.nr_hinted, F_OUT),
		F(u_free_hints.mark, F_OUT),
		F(u_free_hints.reserved[0], F_RSV, 0),
		F(u_free_hints.reserved[3], F_RSV, 0),
	  }, 9 },
	{ "MIGRATION", &u_migration,
	  KVMMIG_MIGRATION, sizeof(struct kvmmig_migration), false, false,
	  BASE_ERRS | ERR_EPERM | ERR_EBUSY | ERR_ENOENT, {
		F(u_migration.size, F_SIZE),
		F(u_migration.flags, F_FLAGS, KVMMIG_MIGRATION_FLAGS),
		F(u_migration.outcome, F_ENUM, 4),
		F(u_migration.throttle_pct, F_PCT),
		F(u_migration.rounds, F_OUT),
		F(u_migration.dirty_pages, F_SMALL),
		F(u_migration.sent_pages, F_SMALL),
		F(u_migration.round_ns, F_SMALL),
		F(u_migration.remaining_pages, F_SMALL),
		F(u_migration.downtime_ns, F_SMALL),
		F(u_migration.vcpu_shares_ptr, F_PTR, 0, 4, 11),
		F(u_migration.nr_vcpus, F_CNT, KVMMIG_MIGRATION_MAX_VCPUS),
		F(u_migration.share_scope, F_OUT),
		F(u_migration.reserved[0], F_RSV, 0),
		F(u_migration.reserved[1], F_RSV, 0),
	  }, 15 },
	{ "GET_HISTORY", &u_history, KVMMIG_GET_HISTORY,
	  sizeof(struct kvmmig_history), false, false, BASE_ERRS, {
		F(u_history.size, F_SIZE),
		F(u_history.flags, F_FLAGS, 0),
		F(u_history.version, F_OUT),
		F(u_history.migrations, F_OUT),
		F(u_history.reserved[0], F_RSV, 0),
	  }, 5 },
	{ "SET_HISTORY", &u_history,
	  KVMMIG_SET_HISTORY, sizeof(struct kvmmig_history), false, false,
	  BASE_ERRS | ERR_EPERM | ERR_EBUSY, {
		F(u_history.size, F_SIZE),
		F(u_history.flags, F_FLAGS, 0),
		F(u_history.version, F_ENUM, 3),
		F(u_history.last_outcome, F_ENUM, 5),
		F(u_history.migrations, F_SMALL),
		F(u_history.last_rounds, F_SMALL),
		F(u_history.last_dirty_rate, F_SMALL),
		F(u_history.last_send_rate, F_SMALL),
		F(u_history.last_throttle_pct, F_PCT),
		F(u_history.max_throttle_pct, F_PCT),
		F(u_history.last_downtime_ns, F_SMALL),
		F(u_history.reserved[0], F_RSV, 0),
		F(u_history.reserved[3], F_RSV, 0),
	  }, 13 },
	{ "FAULTS", &u_faults, KVMMIG_FAULTS, sizeof(struct kvmmig_faults), false, false,
	  BASE_ERRS | ERR_EPERM, {
		F(u_faults.size, F_SIZE),
		F(u_faults.flags, F_FLAGS, KVMMIG_FAULTS_FLAGS),
		F(u_faults.nr_records, F_CNT, KVMMIG_FAULTS_PER_VCPU * 4096),
		F(u_faults.reserved0, F_RSV),
		F(u_faults.records_ptr, F_PTR, 0, sizeof(struct kvmmig_fault_record), 2),
		F(u_faults.nr_faults, F_OUT),
		F(u_faults.enabled, F_OUT),
		F(u_faults.reserved1, F_RSV),
		F(u_faults.reserved[0], F_RSV, 0),
		F(u_faults.reserved[3], F_RSV, 0),
	  }, 10 },
	{ "PREFETCH", &u_prefetch, KVMMIG_PREFETCH, sizeof(struct kvmmig_prefetch), false, false,
	  BASE_ERRS | ERR_EPERM | ERR_ENOENT | ERR_ENOSPC, {
		F(u_prefetch.size, F_SIZE),
		F(u_prefetch.flags, F_FLAGS, KVMMIG_PREFETCH_FLAGS),
		F(u_prefetch.gfn, F_GFN),
		F(u_prefetch.cr3, F_GPA),
		F(u_prefetch.mode, F_ENUM, 4),
		F(u_prefetch.window, F_CNT, KVMMIG_PREFETCH_MAX_WINDOW),
		F(u_prefetch.gva, F_OUT),
		F(u_prefetch.have_npages, F_CNT, 1ULL << 40),
		F(u_prefetch.have_ptr, F_PIN, 0, IN_BITS, 7, 1),
		F(u_prefetch.max_gfns, F_CNT, 2 * KVMMIG_PREFETCH_MAX_WINDOW),
		F(u_prefetch.gfns_ptr, F_PTR, 0, 8, 9),
		F(u_prefetch.nr_gfns, F_OUT),
		F(u_prefetch.source, F_OUT),
		F(u_prefetch.reserved0, F_RSV),
		F(u_prefetch.reserved[0], F_RSV, 0),
		F(u_prefetch.reserved[3], F_RSV, 0),
	  }, 16 },
	{ "GET_WORKING_SET", &u_working_set,
	  KVMMIG_GET_WORKING_SET, sizeof(struct kvmmig_working_set), false, false,
	  BASE_ERRS | ERR_E2BIG | ERR_EAGAIN | ERR_EOVERFLOW, {
		F(u_working_set.size, F_SIZE),
		F(u_working_set.flags, F_FLAGS, KVMMIG_WS_FLAGS),
		F(u_working_set.min_level, F_ENUM, 6),
		F(u_working_set.reserved0, F_RSV),
		F(u_working_set.max_runs, F_CNT, KVMMIG_WS_MAX_RUNS),
		F(u_working_set.runs_ptr, F_PTR, 0, sizeof(struct kvmmig_gfn_range), 4),
		F(u_working_set.nr_pages, F_OUT),
		F(u_working_set.nr_hot, F_OUT),
		F(u_working_set.nr_runs, F_OUT),
		F(u_working_set.reserved[0], F_RSV, 0),
		F(u_working_set.reserved[2], F_RSV, 0),
	  }, 11 },
	{ "FILL", &u_fill, KVMMIG_FILL, sizeof(struct kvmmig_fill), false, false,
	  BASE_ERRS | ERR_EPERM | ERR_EOVERFLOW, {
		F(u_fill.size, F_SIZE),
		F(u_fill.flags, F_FLAGS, KVMMIG_FILL_FLAGS),
		F(u_fill.nr_pages, F_CNT, KVMMIG_FILL_MAX_PAGES),
		F(u_fill.nr_done, F_OUT),
		F(u_fill.pages_ptr, F_PIN, 0, IN_FILL, 2),
		F(u_fill.nr_flagged, F_OUT),
		F(u_fill.nr_unflagged, F_OUT),
		F(u_fill.reserved[0], F_RSV, 0),
		F(u_fill.reserved[3], F_RSV, 0),
	  }, 9 },
};

#define NR_IOCS		ARRAY_SIZE(iocs)

/* Call kinds, for the per-kind outcome table. */
enum {
	C_API = NR_IOCS, C_CHECK_EXT, C_STATS_FD, C_BADCMD, C_READ, C_WRITE,
	NR_CALL_KINDS
};

static const char *call_name(int c)
{
	static const char *const extra[] = {
		"GET_API_VERSION", "CHECK_EXTENSION", "GET_STATS_FD",
		"bad command", "read/pread", "write",
	};

	return c < (int)NR_IOCS ? iocs[c].name : extra[c - NR_IOCS];
}

#define NR_ERRNO	134
struct counts {
	unsigned long ok[NR_CALL_KINDS];
	unsigned long err[NR_CALL_KINDS][NR_ERRNO];
};

/* ----- values ----- */

static uint64_t pick_gpa(uint64_t *s)
{
	static const uint64_t fixed[] = {
		0, PAGE, 0xa0000, 1ULL << 20, 2ULL << 20, 1ULL << 32,
		(1ULL << 36) << 12, 1ULL << 52, ~0xfffULL, 1ULL << 63,
	};
	uint64_t g;

	if (chance(s, 20))
		g = fixed[rnd_below(s, ARRAY_SIZE(fixed))];
	else
		g = atomic_load(&gpas[rnd_below(s, MAX_GPAS)]);
	switch (rnd_below(s, 8)) {
	case 0:
		g += PAGE * rnd_below(s, 16);
		break;
	case 1:
		g -= PAGE;
		break;
	case 2:
		g += PAGE * rnd_below(s, 1024);
		break;
	}
	if (chance(s, 5))
		g += 1 + rnd_below(s, PAGE - 1);
	return g;
}

static uint64_t pick_count(uint64_t *s, uint64_t max)
{
	switch (rnd_below(s, 16)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return 1;
	case 3:
		return max;
	case 4:
		return max + 1;
	case 5:
		/* huge: rarely, they make slow calls */
		return chance(s, 30) ? ~0ULL : 0xffffffffULL;
	case 6:
		return rnd_below(s, max + 1);
	default:
		return 1 + rnd_below(s, 64);
	}
}

/*
 * A user pointer for a buffer of @len bytes.  @out: the kernel may write
 * there.  Writable kinds all point into the scratch area.
 */
static uint64_t pick_ptr(uint64_t *s, uint64_t len)
{
	uint64_t off;

	switch (rnd_below(s, 20)) {
	case 0:
		return 0;
	case 1:		/* unmapped: below mmap_min_addr, never mapped */
		return PAGE * (1 + rnd_below(s, 14));
	case 2:		/* PROT_NONE page */
		return (uint64_t)(unsigned long)guard_pg;
	case 3:		/* read-only page */
		return (uint64_t)(unsigned long)ro_pg + 8 * rnd_below(s, 64);
	case 4:		/* ends exactly where the scratch area ends */
		len = len ? len : 1;
		if (len > SCRATCH_SIZE)
			len = PAGE;
		return (uint64_t)(unsigned long)(scratch + SCRATCH_SIZE - len);
	case 5:		/* kernel addresses */
		return chance(s, 50) ? 0xffffffff81000000ULL : 0xffff888000000000ULL;
	case 6:		/* non-canonical */
		return chance(s, 50) ? 0x0000800000000000ULL : 0x8000000000001000ULL;
	case 7:		/* misaligned */
		off = len > SCRATCH_SIZE / 2 ? SCRATCH_SIZE - 2 * PAGE : 0;
		return (uint64_t)(unsigned long)scratch + off + 1 + rnd_below(s, 7);
	case 8:
		return ~0ULL - rnd_below(s, 4096);
	default:	/* valid, somewhere in the scratch area */
		/* a huge buffer starts near the end: kernel loops stay short */
		if (len > SCRATCH_SIZE)
			return (uint64_t)(unsigned long)scratch + SCRATCH_SIZE -
			       8 * (1 + rnd_below(s, 4096));
		off = rnd_below(s, SCRATCH_SIZE / 8) * 8;
		if (len < SCRATCH_SIZE && off + len > SCRATCH_SIZE && chance(s, 80))
			off = rnd_below(s, (SCRATCH_SIZE - len) / 8 + 1) * 8;
		return (uint64_t)(unsigned long)scratch + off;
	}
}

/* Fill an input array at @p (in scratch) with plausible entries. */
static void fill_input(uint64_t *s, uint64_t p, int type, uint64_t n)
{
	char *lo = scratch, *hi = scratch + SCRATCH_SIZE;
	char *q = (char *)(unsigned long)p;
	uint64_t i;

	if (q < lo || q >= hi)
		return;
	n = n > 4096 ? 4096 : n;
	for (i = 0; i < n; i++) {
		switch (type) {
		case IN_BITS:
			if (q + 8 > hi)
				return;
			*(uint64_t *)q = chance(s, 30) ? ~0ULL : rnd(s);
			q += 8;
			if (i * 64 >= n)
				return;
			break;
		case IN_GFNS:
			if (q + 8 > hi)
				return;
			*(uint64_t *)q = pick_gpa(s) >> 12;
			q += 8;
			break;
		case IN_RANGES: {
			struct kvmmig_gfn_range r;

			if (q + sizeof(r) > hi)
				return;
			r.gfn = pick_gpa(s) >> 12;
			r.npages = chance(s, 90) ? 1 + rnd_below(s, 64) : pick_count(s, 1ULL << 52);
			memcpy(q, &r, sizeof(r));
			q += sizeof(r);
			break;
		}
		case IN_FILL: {
			struct kvmmig_fill_page f;

			if (q + sizeof(f) > hi)
				return;
			f.gfn = pick_gpa(s) >> 12;
			f.class = rnd_below(s, 6);
			f.flags = chance(s, 95) ? 0 : rnd(s);
			f.value = chance(s, 50) ? 0 : (chance(s, 50) ? f.gfn + 1 : rnd(s));
			memcpy(q, &f, sizeof(f));
			q += sizeof(f);
			break;
		}
		}
	}
}

static void put_field(char *buf, const struct fld *f, uint64_t v)
{
	if (f->width == 8)
		memcpy(buf + f->off, &v, 8);
	else
		memcpy(buf + f->off, &(uint32_t){ v }, 4);
}

static uint64_t get_field(const char *buf, const struct fld *f)
{
	uint64_t v = 0;
	uint32_t w;

	if (f->width == 8) {
		memcpy(&v, buf + f->off, 8);
	} else {
		memcpy(&w, buf + f->off, 4);
		v = w;
	}
	return v;
}

static int pick_vm_fd(uint64_t *s)
{
	switch (rnd_below(s, 8)) {
	case 0:
		return -1;
	case 1:
		return 100000;
	case 2:
		return slot_fd(SES_SLOT0 + rnd_below(s, NR_SES_SLOTS));
	default:
		return slot_fd(VM_SLOT0 + rnd_below(s, NR_VM_SLOTS));
	}
}

/* A writable buffer of @len bytes in the scratch area. */
static uint64_t valid_ptr(uint64_t *s, uint64_t len)
{
	uint64_t off = 0;

	if (len < SCRATCH_SIZE)
		off = rnd_below(s, (SCRATCH_SIZE - len) / 8 + 1) * 8;
	return (uint64_t)(unsigned long)scratch + off;
}

static uint64_t valid_in(uint64_t *s, int type, uint64_t n, uint64_t elem)
{
	uint64_t p = valid_ptr(s, n * elem);

	fill_input(s, p, type, n);
	return p;
}

static uint64_t one_of(uint64_t *s, const uint32_t *v, int n)
{
	return v[rnd_below(s, n)];
}

#define ONE_OF(s, ...) one_of(s, (const uint32_t[]){ __VA_ARGS__ }, \
			      sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4)

/*
 * Make the argument of @io consistent with the rules of its ioctl (which
 * fields go with which operation), so that calls get past validation
 * into the module's real work.  Only fields other than @size, reserved
 * and unknown flag bits change.
 */
static void fixup(uint64_t *s, const struct ioc *io, char *buf)
{
	uint64_t n;

	switch (io->cmd) {
	case KVMMIG_IOCTL_INFO: {
		struct kvmmig_ioctl_info *a = (void *)buf;

		/* a known ioctl, its size bits anything, or any number */
		a->cmd = chance(s, 80) ? (iocs[rnd_below(s, NR_IOCS)].cmd ^
					  (rnd_below(s, 0x4000) << _IOC_SIZESHIFT)) :
					 rnd(s);
		break;
	}
	case KVMMIG_ATTACH_VM: {
		struct kvmmig_attach *a = (void *)buf;

		a->vm_fd = slot_fd(VM_SLOT0 + rnd_below(s, NR_VM_SLOTS));
		a->flags = chance(s, 15) ? KVMMIG_ATTACH_READ_ONLY : 0;
		break;
	}
	case KVMMIG_GET_MEMSLOTS: {
		struct kvmmig_memslots *a = (void *)buf;

		a->nr_slots = rnd_below(s, 16);
		a->slots_ptr = valid_ptr(s, a->nr_slots * sizeof(struct kvmmig_memslot));
		break;
	}
	case KVMMIG_SET_SCAN: {
		struct kvmmig_scan *a = (void *)buf;

		a->flags = ONE_OF(s, 0, KVMMIG_SCAN_NOW, KVMMIG_SCAN_START, KVMMIG_SCAN_STOP,
				  KVMMIG_SCAN_START | KVMMIG_SCAN_SET_PERIOD,
				  KVMMIG_SCAN_SET_PERIOD, KVMMIG_SCAN_NOW | KVMMIG_SCAN_4K_BASELINE,
				  KVMMIG_SCAN_NOW | KVMMIG_SCAN_STOP);
		a->period_ms = ONE_OF(s, 100, 200, 500, 1000);
		a->nr_passes = a->flags & KVMMIG_SCAN_SET_PERIOD ? rnd_below(s, 4) : 0;
		break;
	}
	case KVMMIG_GET_TEMPERATURE: {
		struct kvmmig_temperature *a = (void *)buf;

		a->gfn = pick_gpa(s) >> 12;
		a->npages = 1 + rnd_below(s, 4096);
		a->levels_ptr = chance(s, 30) ? 0 : valid_ptr(s, a->npages);
		break;
	}
	case KVMMIG_GET_HUGE_CANDIDATES: {
		struct kvmmig_huge_candidates *a = (void *)buf;

		a->nr = rnd_below(s, 64);
		a->candidates_ptr = valid_ptr(s, a->nr * sizeof(struct kvmmig_huge_candidate));
		break;
	}
	case KVMMIG_GET_DIRTY_RATE: {
		struct kvmmig_dirty_rate *a = (void *)buf;

		a->nr_vcpus = rnd_below(s, 4);
		a->vcpu_rates_ptr = a->nr_vcpus ? valid_ptr(s, 8 * a->nr_vcpus) : 0;
		break;
	}
	case KVMMIG_GET_SEND_ORDER: {
		struct kvmmig_send_order *a = (void *)buf;

		a->base_gfn = (pick_gpa(s) >> 12) & ~63ULL;
		a->npages = 1 + rnd_below(s, 8192);
		a->bitmap_ptr = valid_in(s, IN_BITS, a->npages, 1) & ~7ULL;
		a->max_runs = chance(s, 20) ? 0 : rnd_below(s, 8192);
		a->runs_ptr = a->max_runs ?
			valid_ptr(s, sizeof(struct kvmmig_gfn_range) * a->max_runs) : 0;
		break;
	}
	case KVMMIG_CLASSIFY: {
		struct kvmmig_classify *a = (void *)buf;

		a->npages = 1 + rnd_below(s, 64);
		if (a->flags & KVMMIG_CLASSIFY_GFN_LIST) {
			a->gfn = 0;
			a->gfns_ptr = valid_in(s, IN_GFNS, a->npages, 8);
		} else {
			a->gfn = pick_gpa(s) >> 12;
			a->gfns_ptr = 0;
		}
		a->classes_ptr = valid_ptr(s, a->npages * sizeof(struct kvmmig_page_class));
		a->data_ptr = chance(s, 50) ? 0 : valid_ptr(s, a->npages * PAGE);
		break;
	}
	case KVMMIG_FREE_HINTS: {
		struct kvmmig_free_hints *a = (void *)buf;

		a->flags = ONE_OF(s, 0, KVMMIG_FREE_HINT_ADD, KVMMIG_FREE_HINT_REMOVE,
				  KVMMIG_FREE_HINT_MARK, KVMMIG_FREE_HINT_CLEAR,
				  KVMMIG_FREE_HINT_ADD);
		n = 1 + rnd_below(s, 8);
		if (a->flags & (KVMMIG_FREE_HINT_ADD | KVMMIG_FREE_HINT_REMOVE)) {
			a->nr_ranges = n;
			a->ranges_ptr = valid_in(s, IN_RANGES, n, 16);
		} else {
			a->nr_ranges = 0;
			a->ranges_ptr = 0;
		}
		break;
	}
	case KVMMIG_MIGRATION: {
		struct kvmmig_migration *a = (void *)buf;
		uint32_t op = ONE_OF(s, KVMMIG_MIGRATION_START, KVMMIG_MIGRATION_ROUND,
				     KVMMIG_MIGRATION_ROUND, KVMMIG_MIGRATION_END);

		a->flags = op;
		if (op != KVMMIG_MIGRATION_END && chance(s, 40))
			a->flags |= KVMMIG_MIGRATION_FIXED;
		if (op == KVMMIG_MIGRATION_START && chance(s, 30))
			a->flags |= KVMMIG_MIGRATION_NO_HISTORY;
		a->throttle_pct = a->flags & KVMMIG_MIGRATION_FIXED ?
				  ONE_OF(s, 0, 10, 50, 90, 99) : 0;
		a->outcome = op == KVMMIG_MIGRATION_END ? 1 + rnd_below(s, 3) : 0;
		a->downtime_ns = op == KVMMIG_MIGRATION_END ? rnd_below(s, 1000000000) : 0;
		if (op == KVMMIG_MIGRATION_ROUND) {
			a->dirty_pages = rnd_below(s, 100000);
			a->sent_pages = rnd_below(s, 100000);
			a->round_ns = 1 + rnd_below(s, 1000000000);
			a->remaining_pages = rnd_below(s, 100000);
		} else {
			a->dirty_pages = 0;
			a->sent_pages = 0;
			a->round_ns = 0;
			a->remaining_pages = 0;
		}
		/* the vCPU shares out, for up to 8 vCPUs, or none */
		a->nr_vcpus = chance(s, 50) ? 1 + rnd_below(s, 8) : 0;
		a->vcpu_shares_ptr = a->nr_vcpus ?
				     valid_ptr(s, a->nr_vcpus * sizeof(__u32)) : 0;
		break;
	}
	case KVMMIG_SET_HISTORY: {
		struct kvmmig_history *a = (void *)buf;

		a->version = KVMMIG_HISTORY_VERSION;
		a->last_outcome = rnd_below(s, 4);
		a->max_throttle_pct = rnd_below(s, 101);
		a->last_throttle_pct = rnd_below(s, a->max_throttle_pct + 1);
		break;
	}
	case KVMMIG_FAULTS: {
		struct kvmmig_faults *a = (void *)buf;

		a->flags = ONE_OF(s, 0, KVMMIG_FAULTS_ENABLE, KVMMIG_FAULTS_DISABLE,
				  KVMMIG_FAULTS_READ, KVMMIG_FAULTS_READ | KVMMIG_FAULTS_ENABLE,
				  KVMMIG_FAULTS_READ | KVMMIG_FAULTS_DISABLE, KVMMIG_FAULTS_ENABLE);
		if (a->flags & KVMMIG_FAULTS_READ) {
			a->nr_records = rnd_below(s, 64);
			a->records_ptr = valid_ptr(s, a->nr_records *
						   sizeof(struct kvmmig_fault_record));
		} else {
			a->nr_records = 0;
			a->records_ptr = 0;
		}
		break;
	}
	case KVMMIG_PREFETCH: {
		struct kvmmig_prefetch *a = (void *)buf;

		a->gfn = pick_gpa(s) >> 12;
		if (a->flags & KVMMIG_PREFETCH_CR3)
			a->mode = 1 + rnd_below(s, 3);
		a->window = rnd_below(s, 17);
		a->max_gfns = rnd_below(s, 65);
		a->gfns_ptr = valid_ptr(s, 8 * a->max_gfns);
		a->have_npages = chance(s, 50) ? 0 : 1 + rnd_below(s, 1 << 16);
		a->have_ptr = a->have_npages ?
			valid_in(s, IN_BITS, a->have_npages, 1) & ~7ULL : 0;
		break;
	}
	case KVMMIG_GET_WORKING_SET: {
		struct kvmmig_working_set *a = (void *)buf;

		a->min_level = 1 + rnd_below(s, KVMMIG_TEMP_NR_LEVELS);
		a->max_runs = rnd_below(s, 4096);
		a->runs_ptr = valid_ptr(s, sizeof(struct kvmmig_gfn_range) * a->max_runs);
		break;
	}
	case KVMMIG_FILL: {
		struct kvmmig_fill *a = (void *)buf;

		a->flags = ONE_OF(s, KVMMIG_FILL_SET, KVMMIG_FILL_SET, KVMMIG_FILL_GET,
				  KVMMIG_FILL_DONE, KVMMIG_FILL_CLEAR);
		a->nr_pages = a->flags == KVMMIG_FILL_CLEAR ? 0 : 1 + rnd_below(s, 16);
		a->pages_ptr = a->nr_pages ? valid_in(s, IN_FILL, a->nr_pages, 24) : 0;
		break;
	}
	}
}

/*
 * Does @buf break a rule that must give -EINVAL: a size smaller than any
 * structure's first version (8: @size and @flags), or, within the bytes
 * the caller's @size covers, an unknown flag or a non-zero reserved
 * field?  A @size larger than this kernel's structure may give -E2BIG
 * first (the bytes past it are whatever the argument page holds), so
 * nothing is required of it here.
 */
static bool must_einval(const struct ioc *io, const char *buf)
{
	uint32_t usize = io->size;
	int i;

	for (i = 0; i < io->nf; i++)
		if (io->f[i].kind == F_SIZE)
			usize = get_field(buf, &io->f[i]);
	if (usize < 8)
		return true;
	if (usize > io->size)
		return false;
	for (i = 0; i < io->nf; i++) {
		const struct fld *f = &io->f[i];
		uint64_t v = get_field(buf, f);

		if (f->off + f->width > usize)
			continue;
		if (f->kind == F_FLAGS && (v & ~f->arg))
			return true;
		if (f->kind == F_RSV && v && !io->rsv_unchecked)
			return true;
	}
	return false;
}

/*
 * Build ioctl @io's argument in @buf.  Returns true when it breaks a rule
 * that must give -EINVAL (size, unknown flag, reserved).
 */
static bool build_arg(uint64_t *s, const struct ioc *io, char *buf)
{
	int i;

	/* background: zero, or garbage everywhere */
	if (chance(s, 3)) {
		for (i = 0; i < io->size; i++)
			buf[i] = rnd(s);
	} else {
		memset(buf, 0, io->size);
	}
	for (i = 0; i < io->nf; i++) {
		const struct fld *f = &io->f[i];
		uint64_t v = 0, cnt, len;

		switch (f->kind) {
		case F_SIZE:
			v = io->size;
			if (chance(s, 6)) {
				static const int d[] = { -8, 8, -4, 4 };

				v = chance(s, 50) ? io->size + d[rnd_below(s, 4)] :
				    (chance(s, 50) ? 0 : rnd(s));
				v = (uint32_t)v;
			}
			break;
		case F_FLAGS:
			v = rnd(s) & f->arg;
			if (chance(s, 40) && f->arg)
				v = (1ULL << rnd_below(s, 8)) & f->arg;
			if (chance(s, 5))
				v |= 1U << rnd_below(s, 32);
			if (chance(s, 2))
				v = 0xffffffff;
			break;
		case F_RSV:
			v = chance(s, 94) ? 0 : (chance(s, 50) ? 1 : rnd(s));
			if (f->width == 4)
				v = (uint32_t)v;
			break;
		case F_OUT:
			v = chance(s, 80) ? 0 : rnd(s);
			break;
		case F_SMALL:
			v = chance(s, 50) ? 0 : (chance(s, 80) ? 1 + rnd_below(s, 100000) : rnd(s));
			break;
		case F_CNT:
			v = pick_count(s, f->arg);
			break;
		case F_GPA:
			v = pick_gpa(s);
			break;
		case F_GFN:
			v = pick_gpa(s) >> 12;
			if (chance(s, 80))
				v &= ~63ULL;
			break;
		case F_PCT:
			v = chance(s, 90) ? rnd_below(s, 101) : rnd(s);
			break;
		case F_ENUM:
			v = chance(s, 90) ? rnd_below(s, f->arg) : rnd(s);
			break;
		case F_PERIOD: {
			static const uint32_t p[] = { 0, 1, 10, 50, 100, 200, 1000, 5000, 60000 };

			v = chance(s, 90) ? p[rnd_below(s, ARRAY_SIZE(p))] : rnd(s);
			break;
		}
		case F_VMFD:
			v = (uint32_t)pick_vm_fd(s);
			break;
		case F_PTR:
		case F_PIN:
			cnt = f->cnt >= 0 ? get_field(buf, &io->f[(int)f->cnt]) : 1;
			if (f->kind == F_PTR)
				len = cnt * f->elem;
			else if (f->elem == IN_BITS)
				len = (cnt + 63) / 64 * 8;
			else
				len = cnt * (f->elem == IN_GFNS ? 8 : 16);
			if (cnt > (1ULL << 40))
				len = 1ULL << 40;
			v = pick_ptr(s, len);
			if (f->kind == F_PIN)
				fill_input(s, v, f->elem, cnt);
			break;
		}
		put_field(buf, f, v);
	}
	/*
	 * Mostly: a consistent argument, then maybe one or two fields of
	 * the random one put back into it.
	 */
	if (chance(s, 75)) {
		char rnd_arg[256];
		int k;

		memcpy(rnd_arg, buf, io->size);
		/* fixup must not undo a deliberate size/flags/reserved break */
		fixup(s, io, buf);
		for (i = 0; i < io->nf; i++) {
			const struct fld *f = &io->f[i];

			if (f->kind == F_SIZE || f->kind == F_RSV)
				put_field(buf, f, get_field(rnd_arg, f));
			if (f->kind == F_FLAGS)
				put_field(buf, f, get_field(buf, f) |
					  (get_field(rnd_arg, f) & ~f->arg));
		}
		for (k = chance(s, 30) ? 1 + rnd_below(s, 2) : 0; k > 0; k--) {
			const struct fld *f = &io->f[rnd_below(s, io->nf)];

			put_field(buf, f, get_field(rnd_arg, f));
		}
	}
	return must_einval(io, buf);
}

/* ----- commands ----- */

static bool generic_vfs_cmd(unsigned int cmd)
{
	unsigned int t = _IOC_TYPE(cmd);

	/* FIOCLEX, FIONBIO, FIFREEZE, FS_IOC_*, FICLONE... reach no driver */
	return t == 0 || t == 'T' || t == 'f' || t == 'X' || t == 0x94 ||
	       t == 0x15 || t == 0x12;
}

static bool is_kvmmig_cmd(unsigned int cmd)
{
	const unsigned int nosize = ~(_IOC_SIZEMASK << _IOC_SIZESHIFT);
	unsigned int i;

	/* the size bits are the caller's: not compared */
	cmd &= nosize;
	if (cmd == (KVMMIG_GET_API_VERSION & nosize) ||
	    cmd == (KVMMIG_CHECK_EXTENSION & nosize) ||
	    cmd == (KVMMIG_GET_STATS_FD & nosize))
		return true;
	for (i = 0; i < NR_IOCS; i++)
		if (cmd == (iocs[i].cmd & nosize))
			return true;
	return false;
}

/* A command no kvmmig fd knows: a real one with its bits twisted. */
static unsigned int bad_cmd(uint64_t *s)
{
	unsigned int cmd, base;

	do {
		base = iocs[rnd_below(s, NR_IOCS)].cmd;
		switch (rnd_below(s, 6)) {
		case 0:	/* API version 1's session numbers, gone */
			cmd = _IOC(_IOC_DIR(base), KVMMIGIO, 0x10 + rnd_below(s, 16),
				   _IOC_SIZE(base));
			break;
		case 1:	/* numbers past the last session ioctl */
			cmd = _IOC(_IOC_DIR(base), KVMMIGIO, 0x30 + rnd_below(s, 0xd0),
				   _IOC_SIZE(base));
			break;
		case 2:	/* wrong direction */
			cmd = _IOC(rnd_below(s, 4), KVMMIGIO, _IOC_NR(base), _IOC_SIZE(base));
			break;
		case 3:	/* wrong type */
			cmd = _IOC(_IOC_DIR(base), rnd_below(s, 256), _IOC_NR(base),
				   _IOC_SIZE(base));
			break;
		case 4:	/* unused numbers */
			cmd = _IOC(rnd_below(s, 4), KVMMIGIO, rnd_below(s, 256),
				   rnd_below(s, 512));
			break;
		default:
			cmd = rnd(s);
			break;
		}
	} while (is_kvmmig_cmd(cmd) || generic_vfs_cmd(cmd));
	return cmd;
}

/* ----- one call ----- */

struct fuzzer {
	int id;
	uint64_t rng;
	char *arg;	/* this thread's argument page, a PROT_NONE page after */
	unsigned long n;
	struct counts c;
	atomic_int cur_call;		/* -1: between calls */
	atomic_uint cur_cmd;
	atomic_ullong cur_start_us;	/* for the watchdog */
	bool reported;
	uint64_t us_total[NR_CALL_KINDS], us_max[NR_CALL_KINDS];
};

static void fail(struct fuzzer *fz, const char *what, int call, unsigned int cmd,
		 int kind, long ret, int err, const char *arg, size_t len)
{
	char hex[3 * 256 + 1] = "";
	size_t i;

	for (i = 0; arg && i < len && i < 256; i++)
		sprintf(hex + 3 * i, "%02x ", (unsigned char)arg[i]);
	printf("# FAIL: %s: thread %d call %lu %s cmd %#x on %s: ret %ld errno %d (%s)\n"
	       "#   arg: %s\n", what, fz->id, fz->n, call_name(call), cmd,
	       kind_name[kind], ret, err, err ? strerror(err) : "-", hex);
	fflush(stdout);
	atomic_fetch_add(&failures, 1);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static void call_begin(struct fuzzer *fz, int call, unsigned int cmd)
{
	atomic_store(&fz->cur_cmd, cmd);
	atomic_store(&fz->cur_start_us, now_us());
	atomic_store(&fz->cur_call, call);
}

static void call_end(struct fuzzer *fz, int call)
{
	uint64_t us = now_us() - atomic_load(&fz->cur_start_us);

	atomic_store(&fz->cur_call, -1);
	fz->us_total[call] += us;
	if (us > fz->us_max[call])
		fz->us_max[call] = us;
	fz->reported = false;
}

static void count(struct fuzzer *fz, int call, long ret, int err)
{
	if (ret >= 0)
		fz->c.ok[call]++;
	else
		fz->c.err[call][err < NR_ERRNO ? err : 0]++;
}

/* The table's field addresses, as offsets in their structures. */
static void iocs_init(void)
{
	unsigned int i;
	int j;

	for (i = 0; i < NR_IOCS; i++)
		for (j = 0; j < iocs[i].nf; j++)
			iocs[i].f[j].off = (const char *)iocs[i].f[j].addr -
					   (const char *)iocs[i].base;
}

static bool errno_allowed(unsigned int errs, int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(err_bits); i++)
		if (err_bits[i].err == err)
			return errs & err_bits[i].bit;
	return false;
}

static const long cap_value[] = {
	[KVMMIG_CAP_ATTACH_VM] = 1, [KVMMIG_CAP_MEMSLOTS] = 1,
	[KVMMIG_CAP_STATS_FD] = 1, [KVMMIG_CAP_SYSFS_VM] = 1,
	[KVMMIG_CAP_NR_ADDRESS_SPACES] = 2, [KVMMIG_CAP_MAX_SESSIONS] = -1,
	[KVMMIG_CAP_TEMPERATURE] = KVMMIG_TEMP_NR_LEVELS,
	[KVMMIG_CAP_HUGE_CANDIDATES] = 1, [KVMMIG_CAP_DIRTY_RATE] = 1,
	[KVMMIG_CAP_SEND_ORDER] = 1, [KVMMIG_CAP_CLASSIFY] = 1,
	[KVMMIG_CAP_FREE_HINTS] = 1, [KVMMIG_CAP_THROTTLE] = 1,
	[KVMMIG_CAP_HISTORY] = 1, [KVMMIG_CAP_FAULTS] = -2,
	[KVMMIG_CAP_PREFETCH] = 1, [KVMMIG_CAP_WORKING_SET] = 1,
	[KVMMIG_CAP_FILL] = 1,
	[19] = 0,	/* once KVMMIG_CAP_WS_RUNS, unused */
	/* device: 1; session: its KVMMIG_ACCESS_* level */
	[KVMMIG_CAP_ACCESS] = -1,
	[KVMMIG_CAP_IOCTL_INFO] = 1,
	[KVMMIG_CAP_THROTTLE_PER_VCPU] = 1,
};

/* A new fd from the kernel: into a slot of its kind, or closed. */
static void adopt_fd(struct fuzzer *fz, int fd, int kind)
{
	int i;

	if (chance(&fz->rng, 50)) {
		close(fd);
		return;
	}
	if (kind == K_SES)
		i = SES_SLOT0 + rnd_below(&fz->rng, NR_SES_SLOTS);
	else
		i = STAT_SLOT0 + rnd_below(&fz->rng, NR_STAT_SLOTS);
	slot_install(i, fd, kind);
}

/* Where the argument structure goes: mostly the thread's page. */
static char *pick_arg_ptr(struct fuzzer *fz, size_t size, bool *readable,
			  bool *writable)
{
	uint64_t *s = &fz->rng;

	*readable = *writable = true;
	switch (rnd_below(s, 40)) {
	case 0:
		*readable = *writable = false;
		return NULL;
	case 1:		/* ends past the page: runs into PROT_NONE */
		*readable = *writable = false;
		return fz->arg + PAGE - size + 8;
	case 2:
		*writable = false;
		return ro_pg;
	case 3:
		*readable = *writable = false;
		return guard_pg;
	case 4:
		*readable = *writable = false;
		return (char *)0xffffffff81000000UL;
	case 5:		/* misaligned, still whole */
		return fz->arg + 1 + rnd_below(s, 7);
	case 6:		/* ends exactly at the page boundary */
		return fz->arg + PAGE - size;
	default:
		return fz->arg;
	}
}

static void one_call(struct fuzzer *fz)
{
	uint64_t *s = &fz->rng;
	int slot, kind, call, err, i, want;
	unsigned int seq1, seq2, cmd = 0;
	bool stable, bad = false, rd = true, wr = true, ro_arg = false, head = false;
	bool head_whole = false;
	const struct ioc *io = NULL;
	unsigned long argv = 0;
	char *argp = NULL;
	long ret;
	int what = rnd_below(s, 100);

	/*
	 * The fd: sessions most, then /dev/kvmmig and stats fds; a slot
	 * holding its kind of fd is preferred (a few tries), so that most
	 * calls reach the module, some a closed or placeholder fd.
	 */
	for (i = 0; i < 3; i++) {
		if (what < 65)
			slot = SES_SLOT0 + rnd_below(s, NR_SES_SLOTS), want = K_SES;
		else if (what < 80)
			slot = rnd_below(s, NR_DEV_SLOTS), want = K_DEV;
		else
			slot = STAT_SLOT0 + rnd_below(s, NR_STAT_SLOTS), want = K_STAT;
		if (atomic_load(&slots[slot].kind) == want)
			break;
	}

	what = rnd_below(s, 100);
	if (slot >= STAT_SLOT0 && what < 50) {
		/* read/pread/write on a stats fd */
		static const uint64_t lens[] = { 0, 1, 7, 8, 24, 64, 4096, 1 << 20, 1ULL << 31 };
		uint64_t len = lens[rnd_below(s, ARRAY_SIZE(lens))];
		uint64_t p = pick_ptr(s, len);
		off_t off = chance(s, 50) ? rnd_below(s, 1024) * 8 :
			    (chance(s, 50) ? -8 : (off_t)(rnd(s) >> 2));

		seq1 = atomic_load(&slots[slot].seq);
		kind = atomic_load(&slots[slot].kind);
		call = what < 5 ? C_WRITE : C_READ;
		call_begin(fz, call, 0);
		if (what < 5) {
			ret = write(slot_fd(slot), (void *)(unsigned long)p, len);
		} else {
			if (what < 25)
				ret = read(slot_fd(slot), (void *)(unsigned long)p, len);
			else
				ret = pread(slot_fd(slot), (void *)(unsigned long)p, len, off);
		}
		err = ret < 0 ? errno : 0;
		call_end(fz, call);
		seq2 = atomic_load(&slots[slot].seq);
		stable = seq1 == seq2 && !(seq1 & 1);
		count(fz, call, ret, err);
		if (ret > (long)len ||
		    (ret < 0 && err != EINVAL && err != EFAULT && err != EBADF))
			fail(fz, "unexpected result", call, 0, kind, ret, err, NULL, 0);
		else if (stable && call == C_WRITE && kind == K_STAT && ret >= 0)
			fail(fz, "stats fd written", call, 0, kind, ret, err, NULL, 0);
		return;
	}

	what = rnd_below(s, 100);
	/* /dev/kvmmig: mostly its own commands */
	if (slot < NR_DEV_SLOTS && what < 72 && chance(s, 70))
		what = 72 + rnd_below(s, 14);
	if (slot < NR_DEV_SLOTS && what < 72 && chance(s, 50))
		call = 0;	/* ATTACH_VM */
	else
		call = rnd_below(s, NR_IOCS);
	if (what < 72) {
		io = &iocs[call];
		cmd = io->cmd;
		argp = pick_arg_ptr(fz, io->size, &rd, &wr);
		ro_arg = rd && !wr;
		/* a structure running into PROT_NONE: its @size is readable */
		head = !rd && argp == fz->arg + PAGE - io->size + 8;
		/* ... and may cover only readable bytes: then it is whole */
		if (head && *(uint32_t *)argp <= io->size - 8)
			head_whole = true;
		/* build in the thread's page, then move it where it goes */
		bad = build_arg(s, io, fz->arg);
		if (ro_arg) {
			/* the read-only page holds a fixed argument instead */
			bad = false;
		}
		if (argp && rd && wr && argp != fz->arg)
			memmove(argp, fz->arg, io->size);
		argv = (unsigned long)argp;
	} else if (what < 78) {
		call = C_API;
		cmd = KVMMIG_GET_API_VERSION;
		argv = chance(s, 70) ? 0 : rnd(s);
	} else if (what < 86) {
		call = C_CHECK_EXT;
		cmd = KVMMIG_CHECK_EXTENSION;
		argv = chance(s, 80) ? rnd_below(s, 24) : rnd(s);
	} else if (what < 90) {
		call = C_STATS_FD;
		cmd = KVMMIG_GET_STATS_FD;
		argv = chance(s, 50) ? 0 : rnd(s);
	} else {
		call = C_BADCMD;
		cmd = bad_cmd(s);
		argv = (unsigned long)pick_ptr(s, 64);
		/* never write-pointers outside scratch: pick_ptr guarantees */
	}

	seq1 = atomic_load(&slots[slot].seq);
	kind = atomic_load(&slots[slot].kind);
	call_begin(fz, call, cmd);
	ret = ioctl(slot_fd(slot), cmd, argv);
	err = ret < 0 ? errno : 0;
	call_end(fz, call);
	seq2 = atomic_load(&slots[slot].seq);
	stable = seq1 == seq2 && !(seq1 & 1);
	count(fz, call, ret, err);

	if (ret >= 0 && (cmd == KVMMIG_ATTACH_VM || cmd == KVMMIG_GET_STATS_FD)) {
		/* a new fd; the slot might have changed kind meanwhile */
		adopt_fd(fz, ret, cmd == KVMMIG_ATTACH_VM ? K_SES : K_STAT);
	}

	/* the oracle */
	if (!stable) {
		/* the fd changed under the call: any documented outcome */
		if (ret < 0 && err != ENOTTY && err != EBADF && err != EINVAL &&
		    !(io && errno_allowed(io->errs, err)))
			fail(fz, "errno not allowed", call, cmd, kind, ret, err,
			     argp && rd ? argp : NULL, io ? io->size : 0);
		return;
	}
	if (kind == K_NONE) {
		if (!(ret < 0 && err == EBADF))
			fail(fz, "closed fd did not give EBADF", call, cmd, kind, ret,
			     err, NULL, 0);
		return;
	}
	if (call == C_BADCMD || kind == K_NULL || kind == K_STAT ||
	    (kind == K_DEV && io && !io->dev && io->cmd != KVMMIG_IOCTL_INFO) ||
	    (kind == K_DEV && call == C_STATS_FD) ||
	    (kind == K_SES && ((io && io->dev) || call == C_API))) {
		if (!(ret < 0 && err == ENOTTY))
			fail(fz, "expected ENOTTY", call, cmd, kind, ret, err, NULL, 0);
		return;
	}
	switch (call) {
	case C_API:
		if (argv ? !(ret < 0 && err == EINVAL) : ret != KVMMIG_API_VERSION)
			fail(fz, "GET_API_VERSION", call, cmd, kind, ret, err, NULL, 0);
		return;
	case C_CHECK_EXT:
		if (ret < 0 ||
		    (argv < ARRAY_SIZE(cap_value) && cap_value[argv] >= 0 &&
		     ret != cap_value[argv]) ||
		    (argv < ARRAY_SIZE(cap_value) && cap_value[argv] == -1 && ret < 1) ||
		    (argv >= ARRAY_SIZE(cap_value) && ret != 0))
			fail(fz, "CHECK_EXTENSION", call, cmd, kind, ret, err, NULL, 0);
		return;
	case C_STATS_FD:
		if (ret < 0)
			fail(fz, "GET_STATS_FD", call, cmd, kind, ret, err, NULL, 0);
		return;
	}
	/*
	 * Checks made before the argument is read: a read-only session
	 * (EPERM), SET_SCAN while another session of the VM scans (EBUSY).
	 */
	if (ret < 0 && ((err == EPERM && (io->errs & ERR_EPERM)) ||
			(err == EBUSY && cmd == KVMMIG_SET_SCAN)))
		return;
	if (!rd && !head_whole) {
		/*
		 * Where @size itself is readable, the dispatcher may refuse
		 * it (whatever the page held there) before reading the rest.
		 */
		if (!(ret < 0 && (err == EFAULT ||
				  (head && (err == EINVAL || err == E2BIG)))))
			fail(fz, "unreadable argument did not give EFAULT", call, cmd,
			     kind, ret, err, NULL, 0);
		return;
	}
	/* whatever the page held, read as a smaller structure: not built here */
	if (bad && !head_whole) {
		if (!(ret < 0 && err == EINVAL))
			fail(fz, "invalid argument accepted", call, cmd, kind, ret, err,
			     argp, io->size);
		return;
	}
	if (ret < 0 && !errno_allowed(io->errs, err))
		fail(fz, "errno not allowed", call, cmd, kind, ret, err, argp, io->size);
	/* a read-only argument cannot take the results */
	if (ro_arg && ret >= 0 && cmd != KVMMIG_SET_HISTORY)
		fail(fz, "result written to a read-only page", call, cmd, kind, ret,
		     err, NULL, 0);
}

static void *fuzz_thread(void *p)
{
	struct fuzzer *fz = p;

	while (!atomic_load(&stop_all)) {
		unsigned long n = atomic_fetch_add(&calls_done, 1);

		if (n >= calls_max) {
			atomic_fetch_sub(&calls_done, 1);
			break;
		}
		fz->n = n;
		one_call(fz);
	}
	return NULL;
}

/* ----- VMs, vCPUs, memslots ----- */

#define GUEST_PAGES	64
static uint64_t guest_mem[GUEST_PAGES * 512];

static void guest_code(void)
{
	uint64_t i = 0;

	for (;;) {
		guest_mem[(i * 513) % ARRAY_SIZE(guest_mem)] = i;
		if (!(++i % 256))
			GUEST_SYNC(i);
	}
}

struct xslot {
	bool present;
	bool unmapped;		/* backing gone (munmap or mremap away) */
	uint64_t gpa, size;
	uint32_t flags;
	void *hva;		/* what the slot points to */
	void *backing;		/* what to munmap at the end (may differ) */
	size_t backing_size;
};

struct vm_ctx {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	atomic_int stop;
	int vm_slot;		/* its fd slot */
	struct xslot xs[XSLOTS];
};

static struct vm_ctx vms[MAX_VMS];

static void *vcpu_thread(void *p)
{
	struct vm_ctx *v = p;
	struct ucall uc;

	while (!atomic_load(&v->stop)) {
		_vcpu_run(v->vcpu);
		atomic_fetch_add(&nr_vcpu_exits, 1);
		if (v->vcpu->run->exit_reason != KVM_EXIT_IO)
			continue;
		if (get_ucall(v->vcpu, &uc) == UCALL_ABORT)
			TEST_FAIL("guest abort");
	}
	return NULL;
}

static void publish_gpas(void)
{
	int i, j, n = 0;

	for (i = 0; i < MAX_VMS; i++) {
		for (j = 0; j < XSLOTS && vms[i].vm; j++) {
			struct xslot *x = &vms[i].xs[j];

			if (!x->present)
				continue;
			atomic_store(&gpas[n++ % MAX_GPAS], x->gpa);
			atomic_store(&gpas[n++ % MAX_GPAS], x->gpa + x->size);
			atomic_store(&gpas[n++ % MAX_GPAS], x->gpa + x->size / 2);
		}
	}
	/* the library's slot 0 and the guest's own pages */
	for (; n < MAX_GPAS; n++)
		atomic_store(&gpas[n], n & 1 ? 1ULL << 20 : 0);
}

static void set_region(struct vm_ctx *v, int j, uint64_t size)
{
	struct xslot *x = &v->xs[j];
	struct kvm_userspace_memory_region r = {
		.slot = XSLOT0 + j,
		.flags = x->flags,
		.guest_phys_addr = x->gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(unsigned long)x->hva,
	};

	TEST_ASSERT(!ioctl(v->vm->fd, KVM_SET_USER_MEMORY_REGION, &r),
		    "KVM_SET_USER_MEMORY_REGION slot %u: %s", r.slot, strerror(errno));
}

static void xslot_unmap_backing(struct xslot *x)
{
	if (x->backing)
		munmap(x->backing, x->backing_size);
	x->backing = NULL;
}

static void memslot_op(uint64_t *s, struct vm_ctx *v)
{
	int j = rnd_below(s, XSLOTS);
	struct xslot *x = &v->xs[j];
	uint64_t band = XBASE + j * XBAND;
	void *p;

	atomic_fetch_add(&nr_memslot_ops, 1);
	if (!x->present) {
		x->size = (1 + rnd_below(s, 128)) * PAGE;
		x->gpa = band + rnd_below(s, (XBAND - x->size) / PAGE) * PAGE;
		x->flags = chance(s, 50) ? KVM_MEM_LOG_DIRTY_PAGES : 0;
		p = mmap(NULL, x->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(p != MAP_FAILED, "mmap");
		if (chance(s, 50))
			memset(p, chance(s, 50) ? 0 : 0x5a, x->size / 2);
		x->hva = p;
		x->backing = p;
		x->backing_size = x->size;
		x->unmapped = false;
		set_region(v, j, x->size);
		x->present = true;
		return;
	}
	switch (rnd_below(s, 6)) {
	case 0:		/* delete */
		set_region(v, j, 0);
		x->present = false;
		xslot_unmap_backing(x);
		break;
	case 1:		/* move */
		x->gpa = band + rnd_below(s, (XBAND - x->size) / PAGE) * PAGE;
		set_region(v, j, x->size);
		break;
	case 2:		/* dirty logging on/off */
		x->flags ^= KVM_MEM_LOG_DIRTY_PAGES;
		set_region(v, j, x->size);
		break;
	case 3:		/* munmap the backing under the slot */
		if (!x->unmapped) {
			atomic_fetch_add(&nr_unmaps, 1);
			xslot_unmap_backing(x);
			x->unmapped = true;
		}
		break;
	case 4:		/* mremap it elsewhere: the slot's range goes empty */
		if (!x->unmapped && x->backing) {
			/* growing makes it move unless the next pages are free */
			p = mremap(x->backing, x->backing_size, 2 * x->backing_size,
				   MREMAP_MAYMOVE);
			TEST_ASSERT(p != MAP_FAILED, "mremap: %s", strerror(errno));
			x->unmapped = p != x->backing;
			x->backing = p;
			x->backing_size *= 2;
		}
		break;
	default:	/* write the backing (zero, pattern, data) */
		if (!x->unmapped)
			memset(x->hva, rnd_below(s, 3) ? 0 : (int)rnd(s), x->size);
		break;
	}
}

static void vm_create_one(uint64_t *s, int i)
{
	struct vm_ctx *v = &vms[i];
	int dev, fd;

	memset(v->xs, 0, sizeof(v->xs));
	v->vm = vm_create_with_one_vcpu(&v->vcpu, guest_code);
	atomic_fetch_add(&nr_vm_created, 1);
	atomic_store(&v->stop, 0);
	v->vm_slot = VM_SLOT0 + i;
	fd = dup(v->vm->fd);
	TEST_ASSERT(fd >= 0, "dup");
	slot_install(v->vm_slot, fd, K_VM);
	pthread_create(&v->thread, NULL, vcpu_thread, v);
	/* attach at once, mostly; fuzzers' ATTACH_VM calls do it too */
	if (chance(s, 80)) {
		dev = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC);
		TEST_ASSERT(dev >= 0, "open %s", KVMMIG_DEV);
		fd = kvmmig_attach(dev, v->vm->fd, NULL);
		close(dev);
		if (fd >= 0)
			slot_install(SES_SLOT0 + rnd_below(s, NR_SES_SLOTS), fd, K_SES);
	}
}

static void vm_destroy_one(int i)
{
	struct vm_ctx *v = &vms[i];
	int j;

	slot_to_null(v->vm_slot);
	atomic_store(&v->stop, 1);
	pthread_join(v->thread, NULL);
	kvm_vm_free(v->vm);
	v->vm = NULL;
	for (j = 0; j < XSLOTS; j++) {
		xslot_unmap_backing(&v->xs[j]);
		v->xs[j].present = false;
	}
}

static void fd_op(uint64_t *s)
{
	int i = rnd_below(s, NR_FD_SLOTS - NR_VM_SLOTS), fd;

	atomic_fetch_add(&nr_fd_ops, 1);
	switch (rnd_below(s, 8)) {
	case 0:
	case 1:
		slot_to_null(i);
		break;
	case 2:
		slot_close(i);
		break;
	default:
		if (i < NR_DEV_SLOTS) {
			fd = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC);
			TEST_ASSERT(fd >= 0, "open %s", KVMMIG_DEV);
			slot_install(i, fd, K_DEV);
		} else if (i >= STAT_SLOT0) {
			/* a stats fd of whatever session slot 0.. holds */
			fd = ioctl(slot_fd(SES_SLOT0 + rnd_below(s, NR_SES_SLOTS)),
				   KVMMIG_GET_STATS_FD);
			if (fd >= 0)
				slot_install(i, fd, K_STAT);
		}
		break;
	}
}

/* Keep most slots live: a session for an idle VM, a stats fd. */
static void refill(uint64_t *s)
{
	int i = SES_SLOT0 + rnd_below(s, NR_SES_SLOTS);
	int v = rnd_below(s, MAX_VMS), dev, fd;

	if (atomic_load(&slots[i].kind) != K_SES && vms[v].vm) {
		dev = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC);
		TEST_ASSERT(dev >= 0, "open %s", KVMMIG_DEV);
		fd = kvmmig_attach(dev, vms[v].vm->fd, NULL);
		close(dev);
		if (fd >= 0)
			slot_install(i, fd, K_SES);
	}
	i = STAT_SLOT0 + rnd_below(s, NR_STAT_SLOTS);
	if (atomic_load(&slots[i].kind) != K_STAT) {
		fd = ioctl(slot_fd(SES_SLOT0 + rnd_below(s, NR_SES_SLOTS)),
			   KVMMIG_GET_STATS_FD);
		if (fd >= 0)
			slot_install(i, fd, K_STAT);
	}
	i = rnd_below(s, NR_DEV_SLOTS);
	if (atomic_load(&slots[i].kind) != K_DEV) {
		fd = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC);
		TEST_ASSERT(fd >= 0, "open %s", KVMMIG_DEV);
		slot_install(i, fd, K_DEV);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct fuzzer fz[MAX_THREADS];

/* Say which call a thread has been in for long, and how far we are. */
static void watchdog(double t0, unsigned long *next_progress)
{
	uint64_t t = now_us();
	unsigned int i;
	int call;

	for (i = 0; i < nr_threads; i++) {
		call = atomic_load(&fz[i].cur_call);
		if (call < 0 || fz[i].reported ||
		    t - atomic_load(&fz[i].cur_start_us) < 10000000)
			continue;
		fz[i].reported = true;
		printf("# fuzz: thread %u in %s (cmd %#x) for 10 s, call %lu\n", i,
		       call_name(call), atomic_load(&fz[i].cur_cmd), fz[i].n);
	}
	if (atomic_load(&calls_done) >= *next_progress) {
		printf("# fuzz: %lu calls after %.1f s\n", atomic_load(&calls_done),
		       now_s() - t0);
		*next_progress += 10000;
	}
	fflush(stdout);
}

static void churn(uint64_t *s, double t0, double deadline)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	unsigned long next_progress = 10000;
	int i, what;

	while (atomic_load(&calls_done) < calls_max) {
		watchdog(t0, &next_progress);
		if (now_s() > deadline) {
			atomic_store(&stop_all, 1);
			break;
		}
		i = rnd_below(s, MAX_VMS);
		what = rnd_below(s, 100);
		if (what < 1) {
			if (vms[i].vm)
				vm_destroy_one(i);
			else
				vm_create_one(s, i);
		} else if (what < 60) {
			if (vms[i].vm)
				memslot_op(s, &vms[i]);
		} else if (what < 66) {
			fd_op(s);
		} else if (what < 90) {
			refill(s);
		} else if (what < 93 && vms[i].vm) {
			/* a session for VM i, whether attached already or not */
			int dev = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC), fd;

			fd = kvmmig_attach(dev, vms[i].vm->fd, NULL);
			close(dev);
			if (fd >= 0)
				slot_install(SES_SLOT0 + rnd_below(s, NR_SES_SLOTS), fd, K_SES);
		}
		publish_gpas();
		nanosleep(&nap, NULL);
	}
}

/* ----- setup, report ----- */

static void setup_memory(void)
{
	size_t off;
	int i;

	resv = mmap(NULL, RESV_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(resv != MAP_FAILED, "reserve: %s", strerror(errno));
	argpages = resv + LOW_GUARD;
	for (i = 0; i < MAX_THREADS; i++)
		TEST_ASSERT(!mprotect(argpages + 2 * i * PAGE, PAGE,
				      PROT_READ | PROT_WRITE), "mprotect");
	off = LOW_GUARD + 2 * MAX_THREADS * PAGE + PAGE;
	scratch = resv + off;
	TEST_ASSERT(!mprotect(scratch, SCRATCH_SIZE, PROT_READ | PROT_WRITE), "mprotect");
	guard_pg = scratch + SCRATCH_SIZE;
	ro_pg = guard_pg + PAGE;
	TEST_ASSERT(!mprotect(ro_pg, PAGE, PROT_READ | PROT_WRITE), "mprotect");
	memset(ro_pg, 0, PAGE);
	((struct kvmmig_attach *)ro_pg)->size = sizeof(struct kvmmig_attach);
	TEST_ASSERT(!mprotect(ro_pg, PAGE, PROT_READ), "mprotect");
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

static void report(struct counts *c)
{
	unsigned long ok = 0, errs = 0;
	int k, e;

	for (k = 0; k < NR_CALL_KINDS; k++) {
		char line[1024];
		int n = 0;
		unsigned long kok = c->ok[k];

		ok += kok;
		n += snprintf(line + n, sizeof(line) - n, "# %-20s ok %lu", call_name(k), kok);
		for (e = 0; e < NR_ERRNO; e++) {
			if (!c->err[k][e])
				continue;
			errs += c->err[k][e];
			n += snprintf(line + n, sizeof(line) - n, ", %s %lu",
				      e ? strerrorname_np(e) ?: "?" : "other",
				      c->err[k][e]);
			if (n >= (int)sizeof(line) - 64)
				break;
		}
		printf("%s\n", line);
	}
	printf("# fuzz: %lu calls, %lu ok, %lu errno, seed %llu\n", ok + errs, ok,
	       errs, seed);
	fflush(stdout);
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

static pthread_t th[MAX_THREADS];

/* Everything but the churn: memory, slots, a first VM, the fuzzers. */
static void fuzz_start(uint64_t *rng)
{
	unsigned int i;
	int fd;

	setup_memory();
	iocs_init();
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(null_fd >= 0, "open /dev/null");
	for (i = 0; i < NR_FD_SLOTS; i++) {
		pthread_mutex_init(&slots[i].lock, NULL);
		slot_to_null(i);
	}
	for (i = 0; i < NR_DEV_SLOTS; i++) {
		fd = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC);
		TEST_ASSERT(fd >= 0, "open %s", KVMMIG_DEV);
		slot_install(i, fd, K_DEV);
	}
	publish_gpas();
	vm_create_one(rng, 0);
	publish_gpas();
	for (i = 0; i < nr_threads; i++) {
		fz[i].id = i;
		fz[i].rng = seed * 0x9E3779B97F4A7C15ULL + i + 1;
		fz[i].arg = argpages + 2 * i * PAGE;
		fz[i].cur_call = -1;
		TEST_ASSERT(!pthread_create(&th[i], NULL, fuzz_thread, &fz[i]),
			    "pthread_create");
	}
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 290)
{
	static struct counts total;
	uint64_t rng;
	double t0;
	unsigned int i, k, e;
	char buf[64];

	seed = env_ul("FUZZ_SEED", (unsigned long long)time(NULL) ^ getpid());
	calls_max = env_ul("FUZZ_CALLS", calls_max);
	nr_threads = env_ul("FUZZ_THREADS", nr_threads);
	max_seconds = env_ul("FUZZ_SECONDS", max_seconds);
	if (nr_threads < 1 || nr_threads > MAX_THREADS)
		nr_threads = 3;
	printf("# fuzz: seed %llu, %lu calls, %u threads (FUZZ_SEED, FUZZ_CALLS, FUZZ_THREADS)\n",
	       seed, calls_max, nr_threads);
	fflush(stdout);
	rng = seed * 2654435761ULL + 1;

	t0 = now_s();
	fuzz_start(&rng);
	churn(&rng, t0, t0 + max_seconds);
	for (i = 0; i < nr_threads; i++)
		pthread_join(th[i], NULL);
	printf("# fuzz: %lu calls in %.1f s\n", atomic_load(&calls_done), now_s() - t0);
	if (atomic_load(&stop_all))
		printf("# fuzz: FUZZ_SECONDS=%u reached before FUZZ_CALLS\n", max_seconds);

	t0 = now_s();
	for (i = 0; i < MAX_VMS; i++)
		if (vms[i].vm)
			vm_destroy_one(i);
	for (i = 0; i < NR_FD_SLOTS; i++)
		slot_close(i);
	close(null_fd);

	for (i = 0; i < nr_threads; i++) {
		for (k = 0; k < NR_CALL_KINDS; k++) {
			total.ok[k] += fz[i].c.ok[k];
			for (e = 0; e < NR_ERRNO; e++)
				total.err[k][e] += fz[i].c.err[k][e];
		}
	}
	printf("# fuzz: teardown %.1f s\n", now_s() - t0);
	printf("# fuzz: %lu VMs created, %lu vCPU exits, %lu memslot changes, ",
	       atomic_load(&nr_vm_created), atomic_load(&nr_vcpu_exits),
	       atomic_load(&nr_memslot_ops));
	printf("%lu backings unmapped, %lu fd swaps\n", atomic_load(&nr_unmaps),
	       atomic_load(&nr_fd_ops));
	for (k = 0; k < NR_CALL_KINDS; k++) {
		uint64_t us = 0, max = 0;

		for (i = 0; i < nr_threads; i++) {
			us += fz[i].us_total[k];
			max = fz[i].us_max[k] > max ? fz[i].us_max[k] : max;
		}
		printf("# time %-20s total %.1f s, max %.3f s\n", call_name(k),
		       us / 1e6, max / 1e6);
	}
	report(&total);

	/* every session went with its fd; nothing holds the module */
	EXPECT_EQ(0, count_sysfs_sessions());
	if (!read_text("/sys/module/kvmmig/refcnt", buf, sizeof(buf)))
		EXPECT_STREQ("0", buf);
	EXPECT_EQ(0, atomic_load(&failures));
}

/*
 * The VMM dies in the middle of it all: SIGKILL a child that fuzzes (with
 * scans running, vCPUs stunned, calls in flight), a few times at random
 * moments.  Its sessions must all go with it (fatal-signal paths, mm
 * teardown under the sessions, release of fds in exit).
 */
TEST_F_TIMEOUT(fuzz, vmm_killed_mid_calls, 200)
{
	unsigned long long base = env_ul("FUZZ_SEED", (unsigned long long)time(NULL) ^ getpid());
	int round, status, i, live, rounds_live = 0;
	char buf[64];
	uint64_t rng;
	pid_t child;

	for (round = 0; round < 4; round++) {
		seed = base + round + 1;
		rng = seed * 2654435761ULL + 1;
		printf("# fuzz: kill round %d, seed %llu\n", round, seed);
		fflush(stdout);
		child = fork();
		ASSERT_GE(child, 0);
		if (!child) {
			double t0 = now_s();

			calls_max = ~0UL >> 1;
			fuzz_start(&rng);
			churn(&rng, t0, t0 + 60);
			_exit(atomic_load(&failures) ? 1 : 0);
		}
		usleep((500 + rnd_below(&rng, 4000)) * 1000);
		live = count_sysfs_sessions();
		kill(child, SIGKILL);
		ASSERT_EQ(child, waitpid(child, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* exit's fput may defer the last releases a little */
		for (i = 0; i < 100 && count_sysfs_sessions(); i++)
			usleep(100 * 1000);
		EXPECT_EQ(0, count_sysfs_sessions());
		printf("# fuzz: killed with %d sessions attached\n", live);
		rounds_live += live > 0;
	}
	/* not vacuous: most kills hit a VMM with sessions */
	EXPECT_GE(rounds_live, 2);
	if (!read_text("/sys/module/kvmmig/refcnt", buf, sizeof(buf)))
		EXPECT_STREQ("0", buf);
}

TEST_HARNESS_MAIN
