// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: no session lock is held across user memory.  One
 * thread's ioctl is left stuck on a user buffer inside a userfaultfd
 * (MISSING) range that the test does not resolve; meanwhile every other
 * ioctl that takes a user buffer, each from its own thread, on the same
 * session, must complete.  Only then is the fault resolved, and the stuck
 * call must end too.  The waits are hang detectors, never timing
 * assertions: an ioctl still running after HANG_S seconds, while the
 * stuck one is still stuck, is a hang (the test names it).  The kernel's
 * hung-task detector is set to HUNG_TASK_S seconds meanwhile and must
 * report nothing.  Plus: a VMM with a thread stuck that way and another
 * in an ioctl is killable (SIGKILL, waitpid returns).
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kvmmig_util.h"
#include "sweep.h"

#define PAGE_4K		4096ULL
#define DATA_PAGES	512
#define UFFD_PAGES	64
#define HANG_S		20
#define HUNG_TASK_S	"5"

/* What each ioctl of the matrix gets: its buffers, good or stuck. */
struct lock_env {
	int session;
	uint64_t data_gpa;
	uint64_t *bitmap;	/* DATA_PAGES bits, all set */
	void *good[];		/* per op: its own populated buffer */
};

#define GOOD_BYTES	(64 * 1024)
/* the outputs of an op whose buffer under test is an input */
#define OUT_AREA(e, op)	((char *)(e)->good[op] + GOOD_BYTES - 4096)

enum lock_op {
	OP_FAULTS,		/* records_ptr */
	OP_SCAN_NOW,		/* no buffer: a temperature pass */
	OP_TEMPERATURE,		/* levels_ptr */
	OP_HUGE,		/* candidates_ptr */
	OP_DIRTY_RATE,		/* vcpu_rates_ptr */
	OP_SEND_ORDER,		/* runs_ptr */
	OP_SEND_ORDER_BITMAP,	/* bitmap_ptr */
	OP_CLASSIFY,		/* classes_ptr */
	OP_FREE_HINTS,		/* ranges_ptr */
	OP_PREFETCH,		/* gfns_ptr */
	OP_PREFETCH_HAVE,	/* have_ptr */
	OP_WORKING_SET,		/* runs_ptr */
	OP_FILL,		/* pages_ptr */
	OP_MEMSLOTS,		/* slots_ptr */
	OP_HISTORY,		/* the struct itself */
	NR_OPS,
};

static const char * const op_name[NR_OPS] = {
	[OP_FAULTS] = "FAULTS READ",
	[OP_SCAN_NOW] = "SET_SCAN NOW",
	[OP_TEMPERATURE] = "GET_TEMPERATURE",
	[OP_HUGE] = "GET_HUGE_CANDIDATES",
	[OP_DIRTY_RATE] = "GET_DIRTY_RATE",
	[OP_SEND_ORDER] = "GET_SEND_ORDER (gfns)",
	[OP_SEND_ORDER_BITMAP] = "GET_SEND_ORDER (bitmap)",
	[OP_CLASSIFY] = "CLASSIFY",
	[OP_FREE_HINTS] = "FREE_HINTS ADD",
	[OP_PREFETCH] = "PREFETCH (gpas)",
	[OP_PREFETCH_HAVE] = "PREFETCH (have)",
	[OP_WORKING_SET] = "GET_WORKING_SET",
	[OP_FILL] = "FILL GET",
	[OP_MEMSLOTS] = "GET_MEMSLOTS",
	[OP_HISTORY] = "GET_HISTORY",
};

#define P(x)	((__u64)(unsigned long)(x))

/* The input an op reads from its buffer, written to @buf. */
static void lock_input(const struct lock_env *e, enum lock_op op, void *buf)
{
	switch (op) {
	case OP_FREE_HINTS: {
		struct kvmmig_gfn_range r = {
			.gfn = e->data_gpa / PAGE_4K + DATA_PAGES - 1,
			.npages = 1,
		};

		memcpy(buf, &r, sizeof(r));
		break;
	}
	case OP_SEND_ORDER_BITMAP:
		memset(buf, 0xff, DATA_PAGES / 8);
		break;
	case OP_FILL: {
		struct kvmmig_fill_page p = { .gfn = e->data_gpa >> 12 };

		memcpy(buf, &p, sizeof(p));
		break;
	}
	case OP_HISTORY: {
		struct kvmmig_history h = {
			.size = sizeof(h), .version = KVMMIG_HISTORY_VERSION,
		};

		memcpy(buf, &h, sizeof(h));
		break;
	}
	default:
		break;
	}
}

/* Issue @op with its buffer at @buf; 0 or -errno. */
static int lock_ioctl(const struct lock_env *e, enum lock_op op, void *buf)
{
	int fd = e->session, ret;

	switch (op) {
	case OP_FAULTS: {
		struct kvmmig_faults a = {
			.size = sizeof(a), .flags = KVMMIG_FAULTS_READ,
			.nr_records = 64, .records_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_FAULTS, &a);
		break;
	}
	case OP_SCAN_NOW: {
		struct kvmmig_scan a = { .size = sizeof(a), .flags = KVMMIG_SCAN_NOW };

		ret = ioctl(fd, KVMMIG_SET_SCAN, &a);
		break;
	}
	case OP_TEMPERATURE: {
		struct kvmmig_temperature a = {
			.size = sizeof(a), .gfn = e->data_gpa / PAGE_4K,
			.npages = DATA_PAGES, .levels_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_GET_TEMPERATURE, &a);
		break;
	}
	case OP_HUGE: {
		struct kvmmig_huge_candidates a = {
			.size = sizeof(a), .nr = 16, .candidates_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_GET_HUGE_CANDIDATES, &a);
		break;
	}
	case OP_DIRTY_RATE: {
		struct kvmmig_dirty_rate a = {
			.size = sizeof(a), .nr_vcpus = 4, .vcpu_rates_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_GET_DIRTY_RATE, &a);
		break;
	}
	case OP_SEND_ORDER:
	case OP_SEND_ORDER_BITMAP: {
		struct kvmmig_send_order a = {
			.size = sizeof(a), .flags = KVMMIG_SEND_ORDER_ALL,
			.base_gfn = e->data_gpa >> 12, .npages = DATA_PAGES,
			.bitmap_ptr = P(op == OP_SEND_ORDER ? e->bitmap : buf),
			.runs_ptr = P(op == OP_SEND_ORDER ? buf :
				      OUT_AREA(e, OP_SEND_ORDER_BITMAP)),
			.max_runs = DATA_PAGES,
		};

		ret = ioctl(fd, KVMMIG_GET_SEND_ORDER, &a);
		break;
	}
	case OP_CLASSIFY: {
		struct kvmmig_classify a = {
			.size = sizeof(a), .flags = KVMMIG_CLASSIFY_NO_DUP,
			.npages = 64, .gfn = e->data_gpa / PAGE_4K, .classes_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_CLASSIFY, &a);
		break;
	}
	case OP_FREE_HINTS: {
		struct kvmmig_free_hints a = {
			.size = sizeof(a), .flags = KVMMIG_FREE_HINT_ADD,
			.nr_ranges = 1, .ranges_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_FREE_HINTS, &a);
		break;
	}
	case OP_PREFETCH:
	case OP_PREFETCH_HAVE: {
		struct kvmmig_prefetch a = {
			.size = sizeof(a), .flags = KVMMIG_PREFETCH_GFN_LINEAR,
			.gfn = e->data_gpa / PAGE_4K + 32, .window = 8,
			.have_ptr = P(op == OP_PREFETCH_HAVE ? buf : e->bitmap),
			.have_npages = op == OP_PREFETCH_HAVE ? 1ULL << 22 : 64,
			.gfns_ptr = P(op == OP_PREFETCH ? buf : OUT_AREA(e, OP_PREFETCH_HAVE)),
			.max_gfns = 16,
		};

		ret = ioctl(fd, KVMMIG_PREFETCH, &a);
		break;
	}
	case OP_WORKING_SET: {
		struct kvmmig_working_set a = {
			.size = sizeof(a), .flags = KVMMIG_WS_FAULTED,
			.min_level = 1, .runs_ptr = P(buf), .max_runs = DATA_PAGES,
		};

		ret = ioctl(fd, KVMMIG_GET_WORKING_SET, &a);
		break;
	}
	case OP_FILL: {
		struct kvmmig_fill a = {
			.size = sizeof(a), .flags = KVMMIG_FILL_GET, .nr_pages = 1,
			.pages_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_FILL, &a);
		break;
	}
	case OP_MEMSLOTS: {
		struct kvmmig_memslots a = {
			.size = sizeof(a), .nr_slots = 16, .slots_ptr = P(buf),
		};

		ret = ioctl(fd, KVMMIG_GET_MEMSLOTS, &a);
		break;
	}
	case OP_HISTORY:
		ret = ioctl(fd, KVMMIG_GET_HISTORY, buf);
		break;
	default:
		return -EINVAL;
	}
	return ret < 0 ? -errno : ret;
}

struct lock_worker {
	const struct lock_env *e;
	enum lock_op op;
	void *buf;
	pthread_t thread;
	int ret;
	int done;		/* set once the ioctl returned */
};

static void *lock_worker_fn(void *arg)
{
	struct lock_worker *w = arg;

	w->ret = lock_ioctl(w->e, w->op, w->buf);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool worker_done(const struct lock_worker *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A MISSING-mode userfaultfd over @len bytes at a fresh mapping. */
static int uffd_range(struct __test_metadata *_metadata, size_t len, void **addr)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd;

	*addr = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(*addr != MAP_FAILED, "mmap");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	TEST_ASSERT(uffd >= 0, "userfaultfd: %s", strerror(errno));
	TEST_ASSERT(!ioctl(uffd, UFFDIO_API, &api), "UFFDIO_API");
	reg.range.start = P(*addr);
	reg.range.len = len;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER");
	return uffd;
}

/* Wait (hang detector) for a fault message: the stuck call is there. */
static bool uffd_wait_fault(int uffd, int timeout_s)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, timeout_s * 1000) != 1)
		return false;
	return read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	       msg.event == UFFD_EVENT_PAGEFAULT;
}

/* Resolve the range: it gets the contents at @src. */
static int uffd_resolve(int uffd, void *addr, const void *src, size_t len)
{
	struct uffdio_copy c = {
		.dst = P(addr), .src = P(src), .len = len,
	};

	return ioctl(uffd, UFFDIO_COPY, &c) ? -errno : 0;
}

/* "blocked for more than" lines in the kernel log so far. */
static int hung_reports(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf, *p;

	if (len <= 0)
		return 0;
	buf = calloc(1, len + 1);
	if (!buf)
		return 0;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	for (p = buf; len > 0 && (p = strstr(p, "blocked for more than")); p++)
		n++;
	free(buf);
	return n;
}

struct sysctl_save {
	const char *path;
	char old[32];
	bool saved;
};

static void sysctl_set(struct sysctl_save *s, const char *path, const char *val)
{
	s->path = path;
	s->saved = !read_text(path, s->old, sizeof(s->old));
	if (s->saved)
		write_text(path, val);
}

static void sysctl_restore(struct sysctl_save *s)
{
	if (s->saved)
		write_text(s->path, s->old);
}

FIXTURE(lock)
{
	struct sweep_vm sv;
	struct lock_env *e;
	struct sysctl_save hung_timeout, hung_warnings, observe;
};

FIXTURE_SETUP(lock)
{
	struct kvmmig_faults f = { .size = sizeof(f), .flags = KVMMIG_FAULTS_ENABLE };
	struct kvmmig_scan sc = { .size = sizeof(sc), .flags = KVMMIG_SCAN_NOW };
	uint32_t list[32];
	int i;

	self->e = calloc(1, sizeof(*self->e) + NR_OPS * sizeof(void *));
	ASSERT_NE(NULL, self->e);
	sysctl_set(&self->hung_timeout, "/proc/sys/kernel/hung_task_timeout_secs",
		   HUNG_TASK_S);
	sysctl_set(&self->hung_warnings, "/proc/sys/kernel/hung_task_warnings",
		   "-1");
	/* candidates from the first pass on, so GET_HUGE_CANDIDATES copies */
	sysctl_set(&self->observe, KVMMIG_PARAMS "/huge_observe_passes", "0");
	sweep_vm_create(&self->sv, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	self->e->session = kvmmig_attach_vm(self->sv.vm, NULL);
	ASSERT_GE(self->e->session, 0);
	self->e->data_gpa = SWEEP_DATA_GPA;
	ASSERT_EQ(0, ioctl(self->e->session, KVMMIG_FAULTS, &f));
	sweep_pick(list, 32, DATA_PAGES, 3, NULL);
	/* a few passes with the pages hot: fault records, levels, candidates */
	for (i = 0; i < 3; i++) {
		sweep_run(&self->sv, list, 32, true, 1);
		ASSERT_EQ(0, ioctl(self->e->session, KVMMIG_SET_SCAN, &sc));
	}
	self->e->bitmap = calloc(DATA_PAGES / 8, 1);
	ASSERT_NE(NULL, self->e->bitmap);
	memset(self->e->bitmap, 0xff, DATA_PAGES / 8);
	for (i = 0; i < NR_OPS; i++) {
		self->e->good[i] = calloc(1, GOOD_BYTES);
		ASSERT_NE(NULL, self->e->good[i]);
	}
}

FIXTURE_TEARDOWN(lock)
{
	if (self->e->session >= 0)
		close(self->e->session);
	kvm_vm_free(self->sv.vm);
	sysctl_restore(&self->observe);
	sysctl_restore(&self->hung_warnings);
	sysctl_restore(&self->hung_timeout);
}

/* Ops that succeeded without touching their (stuck) buffer. */
static int lock_untested;

/*
 * With @stuck's buffer in an unresolved userfaultfd range, every other
 * op of the matrix, each on its own thread, completes.  Returns the
 * number of ops that did not.
 */
static int run_stuck(struct __test_metadata *_metadata, struct lock_env *e,
		     enum lock_op stuck)
{
	struct lock_worker w[NR_OPS] = {}, sw = { .e = e, .op = stuck };
	size_t len = UFFD_PAGES * PAGE_4K;
	int uffd, i, hung = 0;
	double deadline;
	void *range, *src;

	src = calloc(1, len);
	ASSERT_NE(NULL, src);
	lock_input(e, stuck, src);	/* what the range gets once resolved */
	uffd = uffd_range(_metadata, len, &range);
	sw.buf = range;
	ASSERT_EQ(0, pthread_create(&sw.thread, NULL, lock_worker_fn, &sw));
	if (!uffd_wait_fault(uffd, HANG_S)) {
		/*
		 * It did not reach user memory: a call that fails early is
		 * a broken setup; one that succeeds had nothing to copy (an
		 * empty working set under shadow paging): nothing to test.
		 */
		pthread_join(sw.thread, NULL);
		TH_LOG("%s never faulted on its buffer (returned %d)",
		       op_name[stuck], sw.ret);
		close(uffd);
		munmap(range, len);
		free(src);
		if (sw.ret)
			return 1;
		lock_untested++;
		return 0;
	}

	for (i = 0; i < NR_OPS; i++) {
		w[i] = (struct lock_worker){ .e = e, .op = i, .buf = e->good[i] };
		if (i == (int)stuck)
			continue;
		lock_input(e, i, e->good[i]);
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, lock_worker_fn, &w[i]));
	}
	deadline = now_s() + HANG_S;
	for (;;) {
		bool all = true;

		for (i = 0; i < NR_OPS; i++)
			if (i != (int)stuck && !worker_done(&w[i]))
				all = false;
		if (all || now_s() > deadline)
			break;
		usleep(10000);
	}
	/* the stuck call is still stuck: nothing has resolved its fault */
	EXPECT_FALSE(worker_done(&sw));
	for (i = 0; i < NR_OPS; i++) {
		if (i == (int)stuck)
			continue;
		if (!worker_done(&w[i])) {
			TH_LOG("while %s is stuck in a user fault, %s hangs",
			       op_name[stuck], op_name[i]);
			hung++;
		}
	}

	/* release: every call must end */
	EXPECT_EQ(0, uffd_resolve(uffd, range, src, len));
	pthread_join(sw.thread, NULL);
	for (i = 0; i < NR_OPS; i++) {
		if (i == (int)stuck)
			continue;
		pthread_join(w[i].thread, NULL);
		EXPECT_EQ(0, w[i].ret) {
			TH_LOG("%s (while %s was stuck): %s", op_name[i],
			       op_name[stuck], strerror(-w[i].ret));
		}
	}
	EXPECT_EQ(0, sw.ret) {
		TH_LOG("%s, released: %s", op_name[stuck], strerror(-sw.ret));
	}
	close(uffd);
	munmap(range, len);
	free(src);
	return hung;
}

/* Every op, stuck in turn, blocks none of the others. */
TEST_F_TIMEOUT(lock, stuck_buffer_blocks_nothing, 900)
{
	int reports = hung_reports(), hung = 0;
	enum lock_op op;

	lock_untested = 0;
	for (op = 0; op < NR_OPS; op++) {
		if (op == OP_SCAN_NOW)
			continue;	/* no user buffer */
		hung += run_stuck(_metadata, self->e, op);
	}
	EXPECT_EQ(0, hung);
	/* at most one op (the working set) may have had nothing to copy */
	EXPECT_LE(lock_untested, 1);
	EXPECT_EQ(reports, hung_reports()) {
		TH_LOG("the hung-task detector reported a blocked task");
	}
}

/*
 * A VMM with one thread stuck on a user fault in an ioctl and others in
 * ioctls of the same session dies on SIGKILL.
 */
TEST_F_TIMEOUT(lock, stuck_vmm_is_killable, 120)
{
	int pipefd[2], status = 0;
	double deadline;
	pid_t pid, got = 0;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct sweep_vm sv;
		struct lock_env *e = self->e;
		struct lock_worker sw = { .e = e, .op = OP_FAULTS };
		struct lock_worker w[3] = {
			{ .e = e, .op = OP_SCAN_NOW },
			{ .e = e, .op = OP_WORKING_SET },
			{ .e = e, .op = OP_PREFETCH },
		};
		size_t len = UFFD_PAGES * PAGE_4K;
		struct kvmmig_faults f = {
			.size = sizeof(f), .flags = KVMMIG_FAULTS_ENABLE,
		};
		int uffd, i;

		/* the child is a VMM of its own: its own VM and session */
		sweep_vm_create(&sv, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
		e->session = kvmmig_attach_vm(sv.vm, NULL);
		if (e->session < 0 || ioctl(e->session, KVMMIG_FAULTS, &f))
			_exit(2);
		sweep_run(&sv, NULL, 0, false, 1);
		uffd = uffd_range(_metadata, len, &sw.buf);
		pthread_create(&sw.thread, NULL, lock_worker_fn, &sw);
		if (!uffd_wait_fault(uffd, HANG_S))
			_exit(3);
		for (i = 0; i < 3; i++) {
			w[i].buf = e->good[w[i].op];
			pthread_create(&w[i].thread, NULL, lock_worker_fn, &w[i]);
		}
		c = 1;
		if (write(pipefd[1], &c, 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	/* let the others reach their locks, if they wait for any */
	usleep(200000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	deadline = now_s() + HANG_S;
	while (!got && now_s() < deadline) {
		got = waitpid(pid, &status, WNOHANG);
		if (!got)
			usleep(10000);
	}
	ASSERT_EQ(pid, got) {
		TH_LOG("a killed VMM did not exit");
	}
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
}

struct ro_reader {
	int fd;
	void *levels;
	int ret;
	bool done;
};

static void *ro_read(void *arg)
{
	struct ro_reader *r = arg;
	struct kvmmig_temperature t = {
		.size = sizeof(t), .gfn = SWEEP_DATA_GPA / PAGE_4K, .npages = DATA_PAGES,
		.levels_ptr = P(r->levels),
	};

	r->ret = ioctl(r->fd, KVMMIG_GET_TEMPERATURE, &t) ? -errno : 0;
	WRITE_ONCE(r->done, true);
	return NULL;
}

/*
 * A read-only session reads the VMM's temperature into a buffer whose
 * fault nobody resolves.  It holds no lock of the VMM's session while it
 * is stuck: the VMM's close() of its full session (the detach) returns
 * (the hung-task detector, set low, and the test's timeout catch a wait),
 * and the reader ends once the fault is resolved.
 */
TEST_F_TIMEOUT(lock, stuck_reader_does_not_delay_detach, 120)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = self->sv.vm->fd,
				   .flags = KVMMIG_ATTACH_READ_ONLY };
	void *src = calloc(1, PAGE_4K);
	struct ro_reader r = { 0 };
	int dev, uffd, hung = hung_reports();
	pthread_t th;

	dev = kvmmig_open();
	ASSERT_GE(dev, 0);
	r.fd = ioctl(dev, KVMMIG_ATTACH_VM, &a);
	ASSERT_GE(r.fd, 0);
	uffd = uffd_range(_metadata, PAGE_4K, &r.levels);
	pthread_create(&th, NULL, ro_read, &r);
	ASSERT_TRUE(uffd_wait_fault(uffd, HANG_S));

	ASSERT_EQ(0, close(self->e->session));
	self->e->session = -1;
	EXPECT_FALSE(READ_ONCE(r.done));
	EXPECT_EQ(0, uffd_resolve(uffd, r.levels, src, PAGE_4K));
	pthread_join(th, NULL);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(hung, hung_reports());
	close(r.fd);
	close(uffd);
	close(dev);
	free(src);
}

TEST_HARNESS_MAIN
