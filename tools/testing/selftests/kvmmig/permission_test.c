// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: who may attach and what each session level may do,
 * with VMMs that do not run as root (as libvirt runs QEMU: an unprivileged
 * uid in group kvm) and an observer that takes the VM fd with
 * pidfd_getfd().  Documentation/kvmmig.rst, "Security".
 *
 * The test bed has no udev: the tests give /dev/kvm and /dev/kvmmig the
 * group tools/udev/65-kvmmig.rules would, and /dev/kvm the mode Debian's
 * rule gives it.  The oracles are the kernel's own answers to open() and
 * ioctl() under dropped credentials, and the counters of the VMM's full
 * session, which the read-only side cannot change.
 */
#include <grp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kvmmig_util.h"

#define KVM_GID		36	/* any group: the one the udev rule names */
#define NOBODY		65534

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

/* What udev does on a distribution: the devices for group kvm. */
static void devices_for_kvm_group(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, chown("/dev/kvm", 0, KVM_GID));
	ASSERT_EQ(0, chmod("/dev/kvm", 0660));
	ASSERT_EQ(0, chown(KVMMIG_DEV, 0, KVM_GID));
}

/* Effective capabilities, from /proc/self/status. */
static unsigned long long cap_eff(void)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			v = strtoull(line + 7, NULL, 16);
	fclose(f);
	return v;
}

/*
 * Become uid/gid NOBODY, in group kvm or not, with no capabilities left
 * (setresuid() from root to non-root clears them), and stay dumpable so
 * that the same uid may pidfd_getfd() from us, as from any process of its
 * own.
 */
static void drop_privileges(struct __test_metadata *_metadata, bool kvm_group)
{
	gid_t g = KVM_GID;

	ASSERT_EQ(0, setgroups(kvm_group ? 1 : 0, &g));
	ASSERT_EQ(0, setresgid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, setresuid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, prctl(PR_SET_DUMPABLE, 1));
	ASSERT_EQ(NOBODY, geteuid());
	ASSERT_EQ(0, cap_eff());
}

static int attach_flags(int dev, int vm_fd, __u32 flags, __u32 *access)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = vm_fd,
				   .flags = flags };
	int ret = ioctl(dev, KVMMIG_ATTACH_VM, &a);

	if (ret < 0)
		return -errno;
	if (access)
		*access = a.access;
	return ret;
}

static void *vcpu_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

typedef void (*child_fn)(struct __test_metadata *_metadata, void *arg);

/* Run @fn(@arg) in a child; the test fails unless the child exits 0. */
static void in_child(struct __test_metadata *_metadata, child_fn fn, void *arg)
{
	pid_t c = fork();
	int st;

	ASSERT_GE(c, 0);
	if (!c) {
		fn(_metadata, arg);
		_exit(_metadata->passed ? 0 : 1);
	}
	ASSERT_EQ(c, waitpid(c, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("child status %#x", st);
}

TEST(device_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat(KVMMIG_DEV, &st));
	EXPECT_EQ(0660, st.st_mode & 0777);
	ASSERT_EQ(0, stat(KVMMIG_PARAMS "/max_sessions_per_user", &st));
	EXPECT_EQ(0644, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);
}

static void child_no_group(struct __test_metadata *_metadata, void *arg)
{
	drop_privileges(_metadata, false);
	EXPECT_EQ(-1, open(KVMMIG_DEV, O_RDWR));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, open("/dev/kvm", O_RDWR));
	EXPECT_EQ(EACCES, errno);
}

/* Without the kvm group, an unprivileged user cannot open the device. */
TEST(no_kvm_group_no_access)
{
	devices_for_kvm_group(_metadata);
	in_child(_metadata, child_no_group, NULL);
}

static int mig(int session, __u32 flags, __u32 pct, __u32 outcome)
{
	struct kvmmig_migration m = { .size = sizeof(m), .flags = flags,
				      .throttle_pct = pct, .outcome = outcome };

	return ioctl(session, KVMMIG_MIGRATION, &m) ? -errno : 0;
}

static int scan(int session, __u32 flags, __u64 *passes)
{
	struct kvmmig_scan a = { .size = sizeof(a), .flags = flags };

	if (ioctl(session, KVMMIG_SET_SCAN, &a))
		return -errno;
	if (passes)
		*passes = a.passes;
	return 0;
}

static void child_full_vmm(struct __test_metadata *_metadata, void *arg)
{
	struct kvmmig_page_class pc;
	struct kvmmig_classify c = { .size = sizeof(c), .npages = 1,
		.classes_ptr = (__u64)(unsigned long)&pc };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	__u32 access = 0;
	__u64 passes = 0;
	pthread_t t;
	int dev, s;

	drop_privileges(_metadata, true);
	vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	dev = kvmmig_open();
	s = attach_flags(dev, vm->fd, 0, &access);
	ASSERT_GE(s, 0);
	EXPECT_EQ(KVMMIG_ACCESS_FULL, access);
	EXPECT_EQ(KVMMIG_ACCESS_FULL,
		  ioctl(s, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS));
	EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS));
	pthread_create(&t, NULL, vcpu_thread, vcpu);

	EXPECT_EQ(0, scan(s, KVMMIG_SCAN_NOW, &passes));
	EXPECT_EQ(1, passes);
	EXPECT_EQ(0, scan(s, KVMMIG_SCAN_START, NULL));
	EXPECT_EQ(0, scan(s, KVMMIG_SCAN_STOP, NULL));
	/* reading guest memory through its own mappings */
	EXPECT_EQ(0, ioctl(s, KVMMIG_CLASSIFY, &c));
	EXPECT_EQ(1, c.nr_done);
	/* stunning its own vCPU */
	EXPECT_EQ(0, mig(s, KVMMIG_MIGRATION_START |
			 KVMMIG_MIGRATION_FIXED, 50, 0));
	EXPECT_EQ(50, session_stat(s, "throttle_pct"));
	for (int i = 0; i < 100 && !session_stat(s, "stun_slices"); i++)
		usleep(20 * 1000);
	EXPECT_GT(session_stat(s, "stun_slices"), 0);
	EXPECT_EQ(0, mig(s, KVMMIG_MIGRATION_END, 0,
			 KVMMIG_OUTCOME_CONVERGED));
	EXPECT_EQ(1, session_stat(s, "migrations"));
	EXPECT_EQ(0, session_stat(s, "throttle_pct"));
	/* the VM fd still has one full session only */
	EXPECT_EQ(-EBUSY, attach_flags(dev, vm->fd, 0, NULL));
}

/* An unprivileged VMM in group kvm gets a full session on its own VM. */
TEST(unprivileged_vmm_full)
{
	devices_for_kvm_group(_metadata);
	in_child(_metadata, child_full_vmm, NULL);
}

/* Between the observer R and its child, the VMM V. */
enum { OP_STATS = 1, OP_SCAN_NOW, OP_CHECK_FD, OP_ATTACH_AGAIN, OP_QUIT };

struct cmd {
	int op;
	int arg;
};

struct reply {
	int ret;
	int migrations;	/* the VMM's history */
	__u64 v[12];
};

/* Counters of a session that no read-only operation may move. */
static const char *const untouched[] = {
	"throttle_pct", "stun_slices", "stun_vcpus", "migrations",
	"throttle_decisions",
	"free_hinted_pages", "fill_flagged", "faults_recorded",
	"prefetch_calls", "send_order_calls", "classify_pages",
};

static int send_fd(int sock, const struct cmd *c, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { };
	struct iovec iov = { .iov_base = (void *)c, .iov_len = sizeof(*c) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, 0) == sizeof(*c) ? 0 : -1;
}

static int recv_fd(int sock, struct cmd *c, int *fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { };
	struct iovec iov = { .iov_base = c, .iov_len = sizeof(*c) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;

	*fd = -1;
	if (recvmsg(sock, &m, 0) != sizeof(*c))
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return 0;
}

/* The VMM: a running VM, its full session, and answers to R. */
static void vmm(struct __test_metadata *_metadata, int sock)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	int dev = kvmmig_open(), s, fd;
	struct { int vm_fd; __u32 id; } hello;
	struct reply r;
	struct cmd c;
	pthread_t t;

	ASSERT_EQ(0, prctl(PR_SET_DUMPABLE, 1));
	s = kvmmig_attach(dev, vm->fd, &hello.id);
	ASSERT_GE(s, 0);
	pthread_create(&t, NULL, vcpu_thread, vcpu);
	hello.vm_fd = vm->fd;
	ASSERT_EQ(sizeof(hello), send(sock, &hello, sizeof(hello), 0));

	while (!recv_fd(sock, &c, &fd) && c.op != OP_QUIT) {
		struct kvmmig_history h = { .size = sizeof(h) };
		struct kvmmig_memslot *slots;
		__u32 access = 0;
		int i, x;

		memset(&r, 0, sizeof(r));
		switch (c.op) {
		case OP_STATS:
			for (i = 0; i < ARRAY_SIZE(untouched); i++)
				r.v[i] = session_stat(s, untouched[i]);
			r.ret = ioctl(s, KVMMIG_GET_HISTORY, &h) ? -errno : 0;
			r.migrations = h.migrations;
			break;
		case OP_SCAN_NOW:
			for (i = 0; i < c.arg; i++) {
				r.ret = scan(s, KVMMIG_SCAN_NOW, &r.v[0]);
				if (r.ret)
					break;
			}
			break;
		case OP_CHECK_FD:
			/* R's read-only session, now in the VMM's hands */
			r.v[0] = ioctl(fd, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS);
			r.v[1] = -mig(fd, KVMMIG_MIGRATION_START, 0, 0);
			r.v[2] = kvmmig_get_memslots(fd, &slots, NULL);
			free(slots);
			close(fd);
			break;
		case OP_ATTACH_AGAIN:
			r.v[0] = -attach_flags(dev, vm->fd, 0, NULL);
			x = attach_flags(dev, vm->fd, KVMMIG_ATTACH_READ_ONLY,
					 &access);
			r.v[1] = access;
			r.v[2] = x >= 0;
			if (x >= 0)
				close(x);
			break;
		}
		ASSERT_EQ(sizeof(r), send(sock, &r, sizeof(r), 0));
	}
}

static struct reply ask(struct __test_metadata *_metadata, int sock, int op,
			int arg, int fd)
{
	struct cmd c = { .op = op, .arg = arg };
	struct reply r = { .ret = -12345 };

	EXPECT_EQ(0, send_fd(sock, &c, fd));
	EXPECT_EQ(sizeof(r), recv(sock, &r, sizeof(r), 0));
	return r;
}

/*
 * Every session ioctl, as the test knows the rules (Documentation/
 * kvmmig.rst, "Security"): what a read-only session may do, each with an
 * argument that would change the VM were it accepted.
 */
#define BIG_LEN		65536
static __u64 *big;	/* malloc'ed: the guest image holds the binary's .bss */
static __u64 ones[1] = { ~0ULL };

static const struct {
	unsigned int cmd;
	const char *name;
	bool read_only_ok;
} ops[] = {
	{ KVMMIG_CHECK_EXTENSION, "CHECK_EXTENSION", true },
	{ KVMMIG_GET_MEMSLOTS, "GET_MEMSLOTS", true },
	{ KVMMIG_GET_STATS_FD, "GET_STATS_FD", true },
	{ KVMMIG_SET_SCAN, "SET_SCAN", true },
	{ KVMMIG_GET_TEMPERATURE, "GET_TEMPERATURE", true },
	{ KVMMIG_GET_HUGE_CANDIDATES, "GET_HUGE_CANDIDATES", true },
	{ KVMMIG_GET_DIRTY_RATE, "GET_DIRTY_RATE", true },
	{ KVMMIG_GET_SEND_ORDER, "GET_SEND_ORDER", false },
	{ KVMMIG_CLASSIFY, "CLASSIFY", false },
	{ KVMMIG_FREE_HINTS, "FREE_HINTS", false },
	{ KVMMIG_MIGRATION, "MIGRATION", false },
	{ KVMMIG_GET_HISTORY, "GET_HISTORY", true },
	{ KVMMIG_SET_HISTORY, "SET_HISTORY", false },
	{ KVMMIG_FAULTS, "FAULTS", false },
	{ KVMMIG_PREFETCH, "PREFETCH", false },
	{ KVMMIG_GET_WORKING_SET, "GET_WORKING_SET", true },
	{ KVMMIG_FILL, "FILL", false },
	{ KVMMIG_IOCTL_INFO, "IOCTL_INFO", true },
};

/* Issue @cmd on @s with a meaningful argument; the ioctl's return value. */
static long do_op(int s, unsigned int cmd)
{
	union {
		struct kvmmig_memslots ms;
		struct kvmmig_scan sc;
		struct kvmmig_temperature te;
		struct kvmmig_huge_candidates hc;
		struct kvmmig_dirty_rate dr;
		struct kvmmig_send_order so;
		struct kvmmig_classify cl;
		struct kvmmig_free_hints fh;
		struct kvmmig_migration mi;
		struct kvmmig_history hi;
		struct kvmmig_faults fa;
		struct kvmmig_prefetch pf;
		struct kvmmig_working_set ws;
		struct kvmmig_fill fi;
		struct kvmmig_ioctl_info ii;
	} u;
	static struct kvmmig_gfn_range range = { .gfn = 0, .npages = 1 };
	static struct kvmmig_fill_page fp = { .gfn = 0,
					      .class = KVMMIG_CLASS_ZERO };
	__u64 p = (__u64)(unsigned long)big;
	long ret;

	memset(&u, 0, sizeof(u));
	switch (cmd) {
	case KVMMIG_CHECK_EXTENSION:
		return ioctl(s, cmd, KVMMIG_CAP_MEMSLOTS);
	case KVMMIG_GET_STATS_FD:
		ret = ioctl(s, cmd);
		if (ret >= 0)
			close(ret);
		return ret;
	case KVMMIG_GET_MEMSLOTS:
		u.ms = (struct kvmmig_memslots){ .size = sizeof(u.ms),
			.nr_slots = 64, .slots_ptr = p };
		break;
	case KVMMIG_SET_SCAN:
		u.sc = (struct kvmmig_scan){ .size = sizeof(u.sc),
			.flags = KVMMIG_SCAN_NOW };
		break;
	case KVMMIG_GET_TEMPERATURE:
		u.te = (struct kvmmig_temperature){ .size = sizeof(u.te),
			.npages = 256, .levels_ptr = p };
		break;
	case KVMMIG_GET_HUGE_CANDIDATES:
		u.hc = (struct kvmmig_huge_candidates){ .size = sizeof(u.hc),
			.nr = 16, .candidates_ptr = p };
		break;
	case KVMMIG_GET_DIRTY_RATE:
		u.dr = (struct kvmmig_dirty_rate){ .size = sizeof(u.dr),
			.flags = KVMMIG_DIRTY_RATE_RESET };
		break;
	case KVMMIG_GET_SEND_ORDER:
		u.so = (struct kvmmig_send_order){ .size = sizeof(u.so),
			.flags = KVMMIG_SEND_ORDER_ALL, .npages = 64,
			.bitmap_ptr = (__u64)(unsigned long)ones,
			.runs_ptr = p, .max_runs = 64 };
		break;
	case KVMMIG_CLASSIFY:
		u.cl = (struct kvmmig_classify){ .size = sizeof(u.cl),
			.npages = 1, .classes_ptr = p };
		break;
	case KVMMIG_FREE_HINTS:
		u.fh = (struct kvmmig_free_hints){ .size = sizeof(u.fh),
			.flags = KVMMIG_FREE_HINT_ADD, .nr_ranges = 1,
			.ranges_ptr = (__u64)(unsigned long)&range };
		break;
	case KVMMIG_MIGRATION:
		u.mi = (struct kvmmig_migration){ .size = sizeof(u.mi),
			.flags = KVMMIG_MIGRATION_START | KVMMIG_MIGRATION_FIXED,
			.throttle_pct = 50, .nr_vcpus = 4, .vcpu_shares_ptr = p };
		break;
	case KVMMIG_GET_HISTORY:
		u.hi = (struct kvmmig_history){ .size = sizeof(u.hi) };
		break;
	case KVMMIG_SET_HISTORY:
		u.hi = (struct kvmmig_history){ .size = sizeof(u.hi),
			.version = KVMMIG_HISTORY_VERSION,
			.last_outcome = KVMMIG_OUTCOME_CONVERGED,
			.migrations = 7, .last_throttle_pct = 60,
			.max_throttle_pct = 60 };
		break;
	case KVMMIG_FAULTS:
		u.fa = (struct kvmmig_faults){ .size = sizeof(u.fa),
			.flags = KVMMIG_FAULTS_ENABLE };
		break;
	case KVMMIG_PREFETCH:
		u.pf = (struct kvmmig_prefetch){ .size = sizeof(u.pf),
			.flags = KVMMIG_PREFETCH_GFN_LINEAR, .gfn = 1,
			.window = 1, .gfns_ptr = p, .max_gfns = 2 };
		break;
	case KVMMIG_GET_WORKING_SET:
		u.ws = (struct kvmmig_working_set){ .size = sizeof(u.ws),
			.min_level = 1, .runs_ptr = p,
			.max_runs = BIG_LEN / sizeof(struct kvmmig_gfn_range) };
		break;
	case KVMMIG_IOCTL_INFO:
		u.ii = (struct kvmmig_ioctl_info){ .size = sizeof(u.ii),
			.cmd = KVMMIG_FREE_HINTS };
		break;
	case KVMMIG_FILL:
		u.fi = (struct kvmmig_fill){ .size = sizeof(u.fi),
			.flags = KVMMIG_FILL_SET, .nr_pages = 1,
			.pages_ptr = (__u64)(unsigned long)&fp };
		break;
	default:
		errno = ENOTTY;
		return -1;
	}
	return ioctl(s, cmd, &u);
}

/*
 * The test's table names every session ioctl there is (KVMMIG_IOCTL_INFO
 * on a session lists them), each with the access level the module asks.
 */
TEST(table_complete)
{
	struct kvm_vm *vm = vm_create(1);
	int s = kvmmig_attach_vm(vm, NULL), nr_found = 0;

	ASSERT_GE(s, 0);
	for (unsigned int nr = 0; nr < 256; nr++) {
		for (unsigned int dir = 0; dir < 4; dir++) {
			struct kvmmig_ioctl_info i = { .size = sizeof(i),
				.cmd = _IOC(dir, KVMMIGIO, nr, 0) };
			int k;

			if (ioctl(s, KVMMIG_IOCTL_INFO, &i)) {
				EXPECT_EQ(ENOENT, errno);
				continue;
			}
			nr_found++;
			for (k = 0; k < ARRAY_SIZE(ops); k++)
				if (_IOC_NR(ops[k].cmd) == nr && _IOC_DIR(ops[k].cmd) == dir)
					break;
			EXPECT_LT(k, ARRAY_SIZE(ops))
				TH_LOG("session ioctl %#x not in the table", nr);
			if (k == ARRAY_SIZE(ops))
				continue;
			EXPECT_EQ(!ops[k].read_only_ok,
				  !!(i.need & KVMMIG_NEED_FULL_SESSION))
				TH_LOG("%s", ops[k].name);
		}
	}
	EXPECT_EQ(ARRAY_SIZE(ops), nr_found);
	close(s);
	kvm_vm_free(vm);
}

/* The observer: a process of the VMM's uid, with the VM fd by pidfd. */
static void run_observer(struct __test_metadata *_metadata, void *arg)
{
	struct { int vm_fd; __u32 id; } hello;
	struct cmd quit = { .op = OP_QUIT };
	int sp[2], pidfd, vm_fd, dev, ro, ro2, stats, i;
	struct kvmmig_temperature te = { .size = sizeof(te), .npages = 1 };
	__u64 r_passes = 0;
	__u32 access = 0;
	struct reply r;
	pid_t v;

	drop_privileges(_metadata, true);
	big = calloc(BIG_LEN, sizeof(*big));
	ASSERT_NE(NULL, big);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
	v = fork();
	ASSERT_GE(v, 0);
	if (!v) {
		close(sp[0]);
		vmm(_metadata, sp[1]);
		_exit(_metadata->passed ? 0 : 1);
	}
	close(sp[1]);
	ASSERT_EQ(sizeof(hello), recv(sp[0], &hello, sizeof(hello), 0));

	/* the VM fd, as a monitoring process would take it */
	pidfd = syscall(SYS_pidfd_open, v, 0);
	ASSERT_GE(pidfd, 0);
	vm_fd = syscall(SYS_pidfd_getfd, pidfd, hello.vm_fd, 0);
	ASSERT_GE(vm_fd, 0) TH_LOG("pidfd_getfd: %s", strerror(errno));
	dev = kvmmig_open();
	ro = attach_flags(dev, vm_fd, 0, &access);
	ASSERT_GE(ro, 0) TH_LOG("read-only attach: %s", strerror(-ro));
	EXPECT_EQ(KVMMIG_ACCESS_READ, access);
	EXPECT_EQ(KVMMIG_ACCESS_READ,
		  ioctl(ro, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS));
	/* read-only sessions coexist, with each other too */
	ro2 = attach_flags(dev, vm_fd, KVMMIG_ATTACH_READ_ONLY, &access);
	EXPECT_GE(ro2, 0);
	EXPECT_EQ(KVMMIG_ACCESS_READ, access);
	close(ro2);

	/* every operation, by the table */
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		long ret = do_op(ro, ops[i].cmd);

		if (ops[i].read_only_ok) {
			EXPECT_GE(ret, 0) TH_LOG("%s: %s", ops[i].name,
						 strerror(errno));
		} else {
			EXPECT_TRUE(ret == -1 && errno == EPERM)
				TH_LOG("%s: %ld, %s", ops[i].name, ret,
				       strerror(errno));
		}
	}

	/* and the VM is as before: nothing moved in either session */
	stats = ioctl(ro, KVMMIG_GET_STATS_FD);
	ASSERT_GE(stats, 0);
	r = ask(_metadata, sp[0], OP_STATS, 0, -1);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, r.migrations);
	for (i = 0; i < ARRAY_SIZE(untouched); i++) {
		EXPECT_EQ(0, r.v[i]) TH_LOG("VMM's %s", untouched[i]);
		EXPECT_EQ(0, kvmmig_stat(stats, untouched[i]))
			TH_LOG("observer's %s", untouched[i]);
	}
	close(stats);

	/* one scanner per VM */
	EXPECT_EQ(0, scan(ro, KVMMIG_SCAN_START, NULL));
	r = ask(_metadata, sp[0], OP_SCAN_NOW, 1, -1);
	EXPECT_EQ(-EBUSY, r.ret);
	EXPECT_EQ(0, scan(ro, KVMMIG_SCAN_STOP, &r_passes));
	EXPECT_GE(r_passes, 1);
	/* the VMM scans: from then on its temperature is the VM's */
	r = ask(_metadata, sp[0], OP_SCAN_NOW, r_passes + 1, -1);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(r_passes + 1, r.v[0]);
	EXPECT_EQ(-EBUSY, scan(ro, KVMMIG_SCAN_NOW, NULL));
	EXPECT_EQ(0, ioctl(ro, KVMMIG_GET_TEMPERATURE, &te));
	EXPECT_EQ(r_passes + 1, te.passes);

	/* the VM keeps one full session; the VMM may add read-only ones */
	r = ask(_metadata, sp[0], OP_ATTACH_AGAIN, 0, -1);
	EXPECT_EQ(EBUSY, r.v[0]);
	EXPECT_EQ(KVMMIG_ACCESS_READ, r.v[1]);
	EXPECT_EQ(1, r.v[2]);

	/* the read-only session fd in the VMM's hands stays read-only */
	r = ask(_metadata, sp[0], OP_CHECK_FD, 0, ro);
	EXPECT_EQ(KVMMIG_ACCESS_READ, r.v[0]);
	EXPECT_EQ(EPERM, r.v[1]);
	EXPECT_GE(r.v[2], 1);

	EXPECT_EQ(0, send_fd(sp[0], &quit, -1));
	close(ro);
	close(dev);
	close(vm_fd);
	close(pidfd);
	EXPECT_EQ(v, waitpid(v, &i, 0));
	EXPECT_TRUE(WIFEXITED(i) && WEXITSTATUS(i) == 0)
		TH_LOG("VMM status %#x", i);
}

/*
 * An unprivileged observer of the VMM's uid takes the VM fd with
 * pidfd_getfd() and attaches read-only beside the VMM's full session.
 */
TEST(read_only_beside_full)
{
	devices_for_kvm_group(_metadata);
	in_child(_metadata, run_observer, NULL);
}

static void child_per_user(struct __test_metadata *_metadata, void *arg)
{
	struct kvm_vm *a, *b;
	int d, sa, sr, sb;

	drop_privileges(_metadata, true);
	a = vm_create_barebones();
	b = vm_create_barebones();
	d = kvmmig_open();
	sa = kvmmig_attach(d, a->fd, NULL);
	ASSERT_GE(sa, 0);
	sr = attach_flags(d, a->fd, KVMMIG_ATTACH_READ_ONLY, NULL);
	ASSERT_GE(sr, 0);
	EXPECT_EQ(-EUSERS, kvmmig_attach(d, b->fd, NULL));
	close(sr);
	sb = kvmmig_attach(d, b->fd, NULL);
	EXPECT_GE(sb, 0);
}

/* max_sessions_per_user counts by uid, read-only sessions included. */
TEST(per_user_limit)
{
	struct kvm_vm *mine;
	int dev, s;

	kvmmig_params_guard(_metadata);
	devices_for_kvm_group(_metadata);
	EXPECT_EQ(-ERANGE, kvmmig_param_set("max_sessions_per_user", "0"));
	EXPECT_EQ(-ERANGE, kvmmig_param_set("max_sessions_per_user", "4097"));
	EXPECT_EQ(-EINVAL, kvmmig_param_set("max_sessions_per_user", "x"));
	ASSERT_EQ(0, kvmmig_param_set("max_sessions_per_user", "2"));

	/* root's session counts for root only */
	mine = vm_create_barebones();
	dev = kvmmig_open();
	s = kvmmig_attach(dev, mine->fd, NULL);
	ASSERT_GE(s, 0);

	in_child(_metadata, child_per_user, NULL);
	close(s);
	close(dev);
	kvm_vm_free(mine);
}

static const char *const sysfs_files[] = {
	"vmm_pid", "kvm_stats_id", "memslots", "guest_memory_bytes",
	"mm_released", "access", "uid",
};

static void child_sysfs(struct __test_metadata *_metadata, void *arg)
{
	unsigned int id = *(__u32 *)arg;
	char path[128], buf[32];
	int i;

	drop_privileges(_metadata, true);
	for (i = 0; i < ARRAY_SIZE(sysfs_files); i++) {
		snprintf(path, sizeof(path), KVMMIG_SYSFS_VMS "/%u/%s",
			 id, sysfs_files[i]);
		EXPECT_EQ(-EACCES, read_text(path, buf, sizeof(buf)))
			TH_LOG("%s", path);
	}
}

/* The per-VM sysfs files are root's alone. */
TEST(sysfs_root_only)
{
	struct kvm_vm *vm = vm_create_barebones();
	char path[128], buf[32];
	struct stat st;
	__u32 id;
	int s, i;

	devices_for_kvm_group(_metadata);
	s = kvmmig_attach_vm(vm, &id);
	ASSERT_GE(s, 0);
	for (i = 0; i < ARRAY_SIZE(sysfs_files); i++) {
		snprintf(path, sizeof(path), KVMMIG_SYSFS_VMS "/%u/%s", id,
			 sysfs_files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0400, st.st_mode & 0777) TH_LOG("%s", path);
		EXPECT_EQ(0, st.st_uid);
	}
	snprintf(path, sizeof(path), KVMMIG_SYSFS_VMS "/%u/access", id);
	ASSERT_EQ(0, read_text(path, buf, sizeof(buf)));
	EXPECT_STREQ("full", buf);
	EXPECT_EQ(0, read_u64_file(KVMMIG_SYSFS_VMS "/%u/uid", id));

	in_child(_metadata, child_sysfs, &id);
	close(s);
	kvm_vm_free(vm);
}

/*
 * kvmmig_params_guard() puts a parameter back when the test dies after
 * changing it, and passes the death on to the harness.
 */
TEST(params_guard_restores)
{
	unsigned long long before = read_u64_file(KVMMIG_PARAMS "/max_sessions_per_user");
	char other[32];
	pid_t c;
	int st;

	snprintf(other, sizeof(other), "%llu", before == 3 ? 4ULL : 3ULL);
	c = fork();
	ASSERT_GE(c, 0);
	if (!c) {
		kvmmig_params_guard(_metadata);
		if (kvmmig_param_set("max_sessions_per_user", other))
			_exit(3);
		abort();	/* as a failed ASSERT does */
	}
	ASSERT_EQ(c, waitpid(c, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT)
		TH_LOG("status %#x", st);
	EXPECT_EQ(before, read_u64_file(KVMMIG_PARAMS "/max_sessions_per_user"));
}

TEST_HARNESS_MAIN
