/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the QEMU selftests share: the QEMU user and devices as libvirt has
 * them, starting and stopping a QEMU of a named build with the L2 Linux
 * guest, its QMP socket and serial console, the workload's heartbeat, the
 * RAM files' comparison.  qemu_migrate_test.c says what each piece does
 * and which environment variables they take.
 */
#ifndef KVMMIG_QEMU_HARNESS_H
#define KVMMIG_QEMU_HARNESS_H

#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "kvmmig_util.h"
#include "../../qmp/qmp.h"

#define QEMU_UID		64000
#define QEMU_USER		"kvmmig-qemu"
#define KVM_GROUP		"kvm"
#define KVM_GID_NEW		64001
#define BUILDS_FILE		"/usr/local/share/kvmmig/qemu-builds"
#define L2_DIR			"/usr/local/share/kvmmig/linux-guest"
#define DATADIR			"/usr/local/share/kvmmig/qemu-data"
#define PAGE			4096UL
/*
 * In the test kernel (SVM emulated by TCG), an L2 kernel with XSAVE saw
 * CPUID 0xD report the AVX state size while it had enabled x87 and SSE
 * only ("XSAVE consistency problem: size 832 != kernel_size 576"): no
 * XSAVE, no AVX.  Boots still stall at random without it (see the boot
 * loop); PCID, INVPCID and the TSC deadline timer were turned off against
 * that, which did not stop them either: kept, as tested.
 */
#define CPU_MODEL		"host,xsave=off,pcid=off,invpcid=off,tsc-deadline=off"
#define BALLOON			"virtio-balloon,free-page-hint=on,iothread=io0"
/* The L2 kernel's _text in guest-physical memory (CONFIG_PHYSICAL_START) */
#define L2_KERNEL_PHYS		0x1000000ULL

#define QMP_TIMEOUT_MS		30000
#define BOOT_WAIT_S		120
#define STALL_S			30
#define BOOT_ATTEMPTS		6
#define MIGRATE_WAIT_S		120
#define CONVERGE_WAIT_S		40
#define PROGRESS_WAIT_S		60
#define DEADLOCK_SAMPLES	5

#define SET_CAPS	"{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[%s]}}"
#define FORCE_END	"\"downtime-limit\":60000,\"max-bandwidth\":1073741824"
#define SET_PARAMS	"{\"execute\":\"migrate-set-parameters\",\"arguments\":{%s}}"

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* One end of a migration. */
struct qemu_end {
	const char *role;		/* "src" or "dst" */
	char qemu[256];
	char ram[300], serial[300], qmp_path[300], log[300];
	pid_t pid;
	struct qmp qmp;
	long long started_ms;
};

/* A case: what the guest runs and how. */
struct qemu_case {
	const char *name;
	const char *workload;
	bool file_ram;
	int smp;
	int mem_mib;
	/* source capabilities and parameters of the case, as QMP JSON */
	const char *caps;
	const char *params;
	bool converge_report;
};

static inline const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* The path of QEMU build @name (a path is taken as it is); 0 or -ENOENT. */
static inline int qemu_build(const char *name, char *path, size_t size)
{
	char line[512], n[128], p[256];
	FILE *f;
	int ret = -ENOENT;

	if (strchr(name, '/')) {
		snprintf(path, size, "%s", name);
		return 0;
	}
	f = fopen(env_or("KVMMIG_QEMU_BUILDS", BUILDS_FILE), "r");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %255s", n, p) == 2 && !strcmp(n, name)) {
			snprintf(path, size, "%s", p);
			ret = 0;
		}
	fclose(f);
	return ret;
}

/*
 * The gid of group kvm from /etc/group (static glibc has no NSS here);
 * the group, and the QEMU user in it, are added when missing.
 */
static inline gid_t prepare_user(struct __test_metadata *_metadata)
{
	char line[256], name[64];
	bool have_user = false;
	unsigned int id;
	gid_t gid = 0;
	FILE *f;

	f = fopen("/etc/group", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%*[^:]:%u", name, &id) == 2 &&
		    !strcmp(name, KVM_GROUP))
			gid = id;
	if (f)
		fclose(f);
	f = fopen("/etc/passwd", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, QEMU_USER ":", strlen(QEMU_USER) + 1))
			have_user = true;
	if (f)
		fclose(f);
	mkdir("/etc", 0755);
	if (!gid) {
		gid = KVM_GID_NEW;
		f = fopen("/etc/group", "a");
		ASSERT_NE(NULL, f);
		fprintf(f, "%s:x:%u:%s\n", KVM_GROUP, gid, QEMU_USER);
		fclose(f);
	}
	if (!have_user) {
		f = fopen("/etc/passwd", "a");
		ASSERT_NE(NULL, f);
		fprintf(f, "%s:x:%u:%u::/nonexistent:/bin/false\n", QEMU_USER,
			QEMU_UID, QEMU_UID);
		fclose(f);
	}
	return gid;
}

/* chgrp kvm + chmod 0660, as the udev rule: the device must exist. */
static inline void give_device(struct __test_metadata *_metadata, const char *dev,
			       gid_t gid, struct stat *saved)
{
	ASSERT_EQ(0, stat(dev, saved)) {
		TH_LOG("%s: %s (the QEMU tests need it)", dev, strerror(errno));
	}
	ASSERT_EQ(0, chown(dev, 0, gid));
	ASSERT_EQ(0, chmod(dev, 0660));
}

/* The test kernel's initramfs leaves lo down: migration runs over it. */
static inline int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

static inline int free_tcp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Append the words of @s (split at spaces) to @argv. */
static inline void add_words(char **argv, int *argc, int max, char *s)
{
	char *w;

	for (w = strtok(s, " "); w && *argc < max - 1; w = strtok(NULL, " "))
		argv[(*argc)++] = w;
}

#define MAX_ARGS	64

/* Start QEMU for @e as the QEMU user; @incoming: the destination's URI. */
static inline void start_qemu(struct __test_metadata *_metadata, gid_t kvm_gid,
			      const struct qemu_case *c, struct qemu_end *e,
			      const char *incoming)
{
	char mem[400], smp[16], append[256], serial[320], qmp[340], name[32], msize[16];
	char extra_env[32], *extra, *argv[MAX_ARGS];
	const char *l2 = env_or("KVMMIG_L2_DIR", L2_DIR);
	char kernel[300], initrd[300];
	int argc = 0, fd, pin_cpu;

	/*
	 * One CPU of the test kernel for every QEMU thread: its CPUs' TSCs
	 * are not synchronized ("Marking TSC unstable due to TSCs
	 * unsynchronized" under TCG), and an L2 vCPU thread moved between
	 * them stalled the L2 boot in most runs.
	 */
	pin_cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	pin_cpu = atoi(env_or("KVMMIG_QEMU_PIN_CPU", pin_cpu ? "1" : "0"));
	snprintf(kernel, sizeof(kernel), "%s/kernel", l2);
	snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio", l2);
	ASSERT_EQ(0, access(kernel, R_OK)) TH_LOG("%s missing", kernel);
	ASSERT_EQ(0, access(initrd, R_OK)) TH_LOG("%s missing", initrd);
	snprintf(extra_env, sizeof(extra_env), "KVMMIG_QEMU_%s_ARGS",
		 strcmp(e->role, "src") ? "DST" : "SRC");
	extra = strdup(env_or(extra_env, ""));
	ASSERT_NE(NULL, extra);
	if (c->file_ram)
		snprintf(mem, sizeof(mem),
			 "memory-backend-file,id=ram0,size=%dM,mem-path=%s,share=on",
			 c->mem_mib, e->ram);
	else
		snprintf(mem, sizeof(mem), "memory-backend-ram,id=ram0,size=%dM",
			 c->mem_mib);
	snprintf(smp, sizeof(smp), "%d", c->smp);
	snprintf(msize, sizeof(msize), "%dM", c->mem_mib);
	snprintf(append, sizeof(append),
		 "console=ttyS0 panic=-1 nokaslr mitigations=off init_on_free=1 kvmmig.wl=%s",
		 c->workload);
	snprintf(serial, sizeof(serial), "file:%s", e->serial);
	snprintf(qmp, sizeof(qmp), "unix:%s,server=on,wait=off", e->qmp_path);
	snprintf(name, sizeof(name), "kvmmig-%s", e->role);
	argv[argc++] = e->qemu;
	argv[argc++] = "-name";
	argv[argc++] = name;
	argv[argc++] = "-accel";
	argv[argc++] = (char *)env_or("KVMMIG_QEMU_ACCEL", "kvm");
	argv[argc++] = "-cpu";
	argv[argc++] = (char *)env_or("KVMMIG_QEMU_CPU", CPU_MODEL);
	argv[argc++] = "-machine";
	argv[argc++] = "pc,memory-backend=ram0";
	argv[argc++] = "-object";
	argv[argc++] = mem;
	argv[argc++] = "-m";
	argv[argc++] = msize;
	argv[argc++] = "-smp";
	argv[argc++] = smp;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	/* a guest that panics or powers off pauses: its QEMU still answers */
	argv[argc++] = "-action";
	argv[argc++] = "reboot=shutdown,shutdown=pause";
	argv[argc++] = "-L";
	argv[argc++] = (char *)env_or("KVMMIG_QEMU_DATADIR", DATADIR);
	argv[argc++] = "-object";
	argv[argc++] = "iothread,id=io0";
	argv[argc++] = "-device";
	argv[argc++] = (char *)env_or("KVMMIG_QEMU_BALLOON", BALLOON);
	argv[argc++] = "-kernel";
	argv[argc++] = kernel;
	argv[argc++] = "-initrd";
	argv[argc++] = initrd;
	argv[argc++] = "-append";
	argv[argc++] = append;
	argv[argc++] = "-serial";
	argv[argc++] = serial;
	argv[argc++] = "-qmp";
	argv[argc++] = qmp;
	if (incoming) {
		/* -S: paused after the switchover, until the test says cont */
		argv[argc++] = "-S";
		argv[argc++] = "-incoming";
		argv[argc++] = (char *)incoming;
	}
	add_words(argv, &argc, MAX_ARGS, extra);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	e->started_ms = now_ms();
	e->pid = fork();
	ASSERT_GE(e->pid, 0);
	if (!e->pid) {
		gid_t groups[1] = { kvm_gid };

		fd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (setgroups(1, groups) || setgid(QEMU_UID) || setuid(QEMU_UID)) {
			perror("dropping privileges");
			_exit(126);
		}
		if (pin_cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(pin_cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				perror("sched_setaffinity");
		}
		/* After setuid, which clears it: QEMU dies with the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	free(extra);
}

static inline void stop_qemu(struct qemu_end *e)
{
	int status;

	if (e->qmp.fd > 0)
		qmp_close(&e->qmp);
	if (e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, &status, 0);
	}
	e->pid = 0;
}

/* The log of @e's QEMU, for a failure's message. */
static inline void show_log(struct qemu_end *e)
{
	char buf[2048];
	ssize_t n;
	int fd = open(e->log, O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		fprintf(stderr, "# %s QEMU said: %s\n", e->role, buf);
	}
}

/* The last lines of @e's console, for a failure's message. */
static inline void show_console(struct qemu_end *e)
{
	char buf[4096], *start;
	ssize_t n;
	off_t size;
	int fd = open(e->serial, O_RDONLY);

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1, size > 4095 ? size - 4095 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (start = buf; (start = strtok(start, "\n")); start = NULL)
		fprintf(stderr, "# %s console: %s\n", e->role, start);
}

/* What the workload last said on a console. */
struct heartbeat {
	bool seen;
	unsigned long long iter;
	unsigned long long errors_max;
	unsigned long long compute;
	bool balloon_bound;
	bool guest_died;	/* panic, or the workload exited */
	bool panicked;		/* the L2 kernel panicked */
	double uptime_s;	/* guest uptime when the workload started */
	unsigned long long text, wall_clock;	/* kallsyms: _text, wall_clock */
};

static inline void read_console(const char *path, const char *workload,
				struct heartbeat *hb)
{
	char line[512], prefix[64];
	unsigned long long iter, errors;
	char *c;
	FILE *f;

	memset(hb, 0, sizeof(*hb));
	f = fopen(path, "r");
	if (!f)
		return;
	snprintf(prefix, sizeof(prefix), "kvmmig-wl: %s iter=", workload);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "kvmmig-guest: balloon=bound"))
			hb->balloon_bound = true;
		if (strstr(line, "Kernel panic"))
			hb->panicked = true;
		if (strstr(line, "Kernel panic") ||
		    strstr(line, "kvmmig-guest: workload"))
			hb->guest_died = true;
		c = strstr(line, "kvmmig-guest: sym _text=");
		if (c)
			hb->text = strtoull(c + strlen("kvmmig-guest: sym _text="), NULL, 16);
		c = strstr(line, "kvmmig-guest: sym wall_clock=");
		if (c)
			hb->wall_clock = strtoull(c + strlen("kvmmig-guest: sym wall_clock="),
						  NULL, 16);
		c = strstr(line, "kvmmig-guest: uptime=");
		if (c)
			hb->uptime_s = strtod(c + strlen("kvmmig-guest: uptime="), NULL);
		c = strstr(line, prefix);
		if (!c || sscanf(c + strlen(prefix), "%llu errors=%llu", &iter, &errors) != 2)
			continue;
		hb->seen = true;
		hb->iter = iter;
		if (errors > hb->errors_max)
			hb->errors_max = errors;
		c = strstr(c, "compute=");
		if (c)
			hb->compute = strtoull(c + strlen("compute="), NULL, 10);
	}
	fclose(f);
}

/*
 * Wait until @e's console shows a heartbeat with iter > @after (and, when
 * @compute_after is not ~0, compute > it); 0 or -ETIMEDOUT / -EIO (the
 * guest or QEMU died).
 */
static inline int wait_heartbeat(struct qemu_end *e, const char *workload,
				 unsigned long long after, unsigned long long compute_after,
				 int timeout_s, struct heartbeat *hb)
{
	long long deadline = now_ms() + timeout_s * 1000LL;
	int status;

	for (;;) {
		read_console(e->serial, workload, hb);
		if (hb->seen && hb->iter > after &&
		    (compute_after == ~0ULL || hb->compute > compute_after))
			return 0;
		if (hb->guest_died)
			return -EIO;
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			e->pid = 0;
			return -EIO;
		}
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(200 * 1000);
	}
}

/*
 * A deadlocked guest (what Debian's TCG below the test kernel made of the
 * L2 guests, Documentation/qemu.rst "The test bed"): vCPU 0 of @e's guest
 * spins in place with interrupts off.  Sampled
 * through the monitor DEADLOCK_SAMPLES times a second apart: true if every
 * sample shows the same RIP with RFLAGS.IF clear (*@rip gets it).
 */
#define INFO_REGISTERS \
	"{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info registers\"}}"

static inline bool l2_deadlocked(struct qemu_end *e, unsigned long long *rip)
{
	unsigned long long r = 0, first = 0, rfl;
	char *reply = NULL, *out, *c;
	int i;

	for (i = 0; i < DEADLOCK_SAMPLES; i++) {
		if (i)
			sleep(1);
		if (qmp_call(&e->qmp, &reply, INFO_REGISTERS))
			return false;
		out = malloc(strlen(reply) + 1);
		if (!out || json_get_str(reply, "return", out, strlen(reply) + 1)) {
			free(out);
			free(reply);
			return false;
		}
		free(reply);
		reply = NULL;
		c = strstr(out, "RIP=");
		r = c ? strtoull(c + 4, NULL, 16) : 0;
		c = strstr(out, "RFL=");
		rfl = c ? strtoull(c + 4, NULL, 16) : 0x200;
		free(out);
		if (!r || (rfl & 0x200) || (i && r != first))
			return false;
		first = r;
	}
	*rip = r;
	return true;
}

/*
 * The same TCG fault's other face: interrupts delivered again and again at
 * the first instruction of their handler, interrupts off, until the
 * guest's entry stack overflows (error_entry faulting just below it, CR2
 * fffffe0000001ff8: "Fatal exception in interrupt").  True if the console
 * at @path shows that panic.
 */
static inline bool entry_stack_overflow(const char *path)
{
	bool entry = false, cr2 = false;
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "RIP: 0010:error_entry+"))
			entry = true;
		if (strstr(line, "CR2: fffffe0000001ff8"))
			cr2 = true;
	}
	fclose(f);
	return entry && cr2;
}

#define L2_NESTED_IRQ_FMT \
	"# the %s's guest panicked on an overflowed entry stack: an interrupt delivered again and again (without tools/qemu/tcg-patches, the test bed's TCG does that)\n"
#define L2_DEADLOCK_FMT \
	"# the %s's guest is deadlocked: RIP %llx, interrupts off (without tools/qemu/tcg-patches, the test bed's TCG does that)\n"

/*
 * After cont: wait until @e's guest goes past heartbeat @after (and
 * @compute_after, see wait_heartbeat()).  0 when it does, else
 * wait_heartbeat()'s error, or -EDEADLK when the guest's vCPU is found
 * deadlocked (l2_deadlocked()); the entry-stack panic
 * (entry_stack_overflow()) and the deadlock are named, as the faults a
 * test kernel booted with Debian's unfixed TCG shows.
 */
static inline int guest_goes_on(struct qemu_end *e, const char *workload,
				unsigned long long after,
				unsigned long long compute_after,
				struct heartbeat *hb)
{
	unsigned long long rip;
	int ret;

	ret = wait_heartbeat(e, workload, after, compute_after, PROGRESS_WAIT_S, hb);
	if (ret == -EIO && hb->panicked && entry_stack_overflow(e->serial))
		fprintf(stderr, L2_NESTED_IRQ_FMT, e->role);
	if (ret == -ETIMEDOUT && l2_deadlocked(e, &rip)) {
		fprintf(stderr, L2_DEADLOCK_FMT, e->role, rip);
		ret = -EDEADLK;
	}
	return ret;
}

/* The number at @path of a QMP reply, 0 if there is none. */
static inline unsigned long long reply_u64(const char *reply, const char *path)
{
	uint64_t v;

	return json_get_u64(reply, path, &v) ? 0 : v;
}

/*
 * Wait for the first heartbeat of @e's guest.  The whole boot log is on
 * the console: a boot whose console stays still for STALL_S before the
 * guest's init has stalled, one that panics before the first heartbeat
 * has failed (both -EAGAIN).  0, -EAGAIN, -ETIMEDOUT or -EIO.
 */
static inline int wait_boot(struct qemu_end *e, const char *workload, struct heartbeat *hb)
{
	long long start = now_ms(), changed = start;
	off_t size = -1;
	struct stat st;
	int status;

	for (;;) {
		read_console(e->serial, workload, hb);
		if (hb->seen)
			return 0;
		/* a panic before the first heartbeat is a failed boot too */
		if (hb->panicked)
			return -EAGAIN;
		if (hb->guest_died)
			return -EIO;
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			e->pid = 0;
			return -EIO;
		}
		if (!stat(e->serial, &st) && st.st_size != size) {
			size = st.st_size;
			changed = now_ms();
		}
		if (!hb->uptime_s && now_ms() - changed > STALL_S * 1000LL)
			return -EAGAIN;
		if (now_ms() - start > BOOT_WAIT_S * 1000LL)
			return -ETIMEDOUT;
		usleep(200 * 1000);
	}
}

/* Set "a=b,c=d" from @env as capabilities or parameters through @q. */
static inline int set_from_env(struct qmp *q, const char *env, bool caps)
{
	char *list = strdup(env_or(env, "")), *item, *val, *save = NULL;
	int ret = 0;
	bool on;

	if (!list)
		return -ENOMEM;
	for (item = strtok_r(list, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		val = strchr(item, '=');
		if (!val) {
			ret = -EINVAL;
			break;
		}
		*val++ = 0;
		if (caps) {
			on = !strcmp(val, "on") || !strcmp(val, "true");
			ret = qmp_call(q, NULL,
				       "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"%s\",\"state\":%s}]}}",
				       item, on ? "true" : "false");
		} else if (val[strspn(val, "0123456789")] == 0 ||
			   !strcmp(val, "true") || !strcmp(val, "false")) {
			ret = qmp_call(q, NULL,
				       "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"%s\":%s}}",
				       item, val);
		} else {
			ret = qmp_call(q, NULL,
				       "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"%s\":\"%s\"}}",
				       item, val);
		}
		if (ret)
			fprintf(stderr, "# %s: setting %s=%s failed: %s\n", env, item,
				val, strerror(-ret));
	}
	free(list);
	return ret;
}

static inline int query_status(struct qmp *q, char *status, size_t size)
{
	char *reply;
	int ret = qmp_call(q, &reply, "{\"execute\":\"query-status\"}");

	if (!ret)
		ret = json_get_str(reply, "return.status", status, size);
	free(reply);
	return ret;
}

/*
 * Per-page hashes of the RAM file at @path, @pages long; the caller frees.
 * Read from outside QEMU, through a mapping of the file.
 */
static inline uint64_t *hash_ram_file(const char *path, size_t pages)
{
	uint64_t *h = calloc(pages, sizeof(*h)), v;
	const uint64_t *p;
	size_t i, w;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (!h || fd < 0) {
		free(h);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	map = mmap(NULL, pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		free(h);
		return NULL;
	}
	for (i = 0; i < pages; i++) {
		p = (const uint64_t *)((char *)map + i * PAGE);
		v = 0xcbf29ce484222325ULL;
		for (w = 0; w < PAGE / 8; w++)
			v = (v ^ p[w]) * 0x100000001b3ULL;
		h[i] = v;
	}
	munmap(map, pages * PAGE);
	return h;
}

/* struct pvclock_wall_clock, which KVM writes at a guest-chosen address. */
struct wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

/*
 * True if page @index of RAM files @a and @b differs only in KVM's wall
 * clock structure at @gpa, rewritten later on @b's side: the destination's
 * KVM writes it when QEMU restores MSR_KVM_WALL_CLOCK_NEW, before the guest
 * runs; it is not guest memory the migration should have carried.
 */
static inline bool only_wall_clock_differs(const char *a, const char *b, size_t index,
					   unsigned long long gpa)
{
	uint8_t pa[PAGE], pb[PAGE];
	struct wall_clock wa, wb;
	size_t off = gpa - index * PAGE;
	int fa, fb;
	bool ok;

	if (gpa / PAGE != index || off + sizeof(wa) > PAGE)
		return false;
	fa = open(a, O_RDONLY);
	fb = open(b, O_RDONLY);
	ok = fa >= 0 && fb >= 0 &&
	     pread(fa, pa, PAGE, index * PAGE) == PAGE &&
	     pread(fb, pb, PAGE, index * PAGE) == PAGE;
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	if (!ok)
		return false;
	memcpy(&wa, pa + off, sizeof(wa));
	memcpy(&wb, pb + off, sizeof(wb));
	memset(pa + off, 0, sizeof(wa));
	memset(pb + off, 0, sizeof(wb));
	return !memcmp(pa, pb, PAGE) && !(wb.version & 1) &&
	       wb.version > wa.version && wb.sec >= wa.sec;
}

/* Print where page @index of RAM files @a and @b differs (8 words at most). */
static inline void show_page_diff(const char *name, const char *a, const char *b,
				  size_t index)
{
	uint64_t pa[PAGE / 8], pb[PAGE / 8];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY), shown = 0;
	size_t w;

	fprintf(stderr, "# %s: page %zu (gpa 0x%zx) differs\n", name, index,
		index * PAGE);
	if (fa >= 0 && fb >= 0 &&
	    pread(fa, pa, PAGE, index * PAGE) == PAGE &&
	    pread(fb, pb, PAGE, index * PAGE) == PAGE)
		for (w = 0; w < PAGE / 8 && shown < 8; w++)
			if (pa[w] != pb[w]) {
				fprintf(stderr, "#   +0x%03zx: src %016llx dst %016llx\n",
					w * 8, (unsigned long long)pa[w],
					(unsigned long long)pb[w]);
				shown++;
			}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
}

static inline void end_paths(struct qemu_end *e, const char *dir, const char *role)
{
	e->role = role;
	snprintf(e->ram, sizeof(e->ram), "%s/%s.ram", dir, role);
	snprintf(e->serial, sizeof(e->serial), "%s/%s.console", dir, role);
	snprintf(e->qmp_path, sizeof(e->qmp_path), "%s/%s.qmp", dir, role);
	snprintf(e->log, sizeof(e->log), "%s/%s.log", dir, role);
	e->qmp.fd = -1;
}

/*
 * Boot @c's guest in @e (end_paths() and the build set) and wait for the
 * workload's first heartbeat.  A boot that stalls before the guest's init
 * or panics before the first heartbeat (the test kernel's QEMU under
 * load, or Debian's unfixed TCG: Documentation/qemu.rst "The test bed")
 * is retried, up to @attempts
 * boots.  Returns the boots it took, or the last boot's -errno (the
 * guest's QEMU stopped).  boot_source(): the same with BOOT_ATTEMPTS, a
 * failure if none boots.
 */
static inline int boot_source_try(struct __test_metadata *_metadata, gid_t kvm_gid,
				  const struct qemu_case *c, struct qemu_end *e,
				  struct heartbeat *hb, int attempts)
{
	int attempt, ret;

	for (attempt = 1; ; attempt++) {
		memset(hb, 0, sizeof(*hb));
		start_qemu(_metadata, kvm_gid, c, e, NULL);
		ret = qmp_open(&e->qmp, e->qmp_path, QMP_TIMEOUT_MS);
		if (ret)
			show_log(e);
		ASSERT_EQ(0, ret) TH_LOG("%s QMP: %s", e->role, strerror(-ret));
		ret = wait_boot(e, c->workload, hb);
		if (!ret)
			return attempt;
		show_log(e);
		show_console(e);
		fprintf(stderr, "# %s: no heartbeat from the %s's guest (boot %d): %s\n",
			c->name, e->role, attempt, ret == -EAGAIN ?
			"the L2 boot stalled or panicked" : strerror(-ret));
		stop_qemu(e);
		unlink(e->serial);
		unlink(e->ram);
		/* -ETIMEDOUT: a boot still going after BOOT_WAIT_S (a loaded host) */
		if ((ret != -EAGAIN && ret != -ETIMEDOUT) || attempt >= attempts)
			return ret;
	}
	return -EINVAL;	/* not reached: ASSERT_EQ() returns */
}

static inline int boot_source(struct __test_metadata *_metadata, gid_t kvm_gid,
			      const struct qemu_case *c, struct qemu_end *e,
			      struct heartbeat *hb)
{
	int ret = boot_source_try(_metadata, kvm_gid, c, e, hb, BOOT_ATTEMPTS);

	ASSERT_LT(0, ret) TH_LOG("no heartbeat from the %s's guest after %d boots: %s",
				 e->role, BOOT_ATTEMPTS, strerror(-ret));
	return ret;
}

/* An empty directory @dir that the QEMU user owns. */
static inline void fresh_dir(struct __test_metadata *_metadata, const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, mkdir(dir, 0700));
	ASSERT_EQ(0, chown(dir, QEMU_UID, QEMU_UID));
}

/* Give /dev/kvm and /dev/kvmmig back their owners and modes. */
static inline void restore_devices(const struct stat *kvm_st,
				   const struct stat *kvmmig_st)
{
	if (chown("/dev/kvm", kvm_st->st_uid, kvm_st->st_gid) ||
	    chmod("/dev/kvm", kvm_st->st_mode & 07777) ||
	    chown(KVMMIG_DEV, kvmmig_st->st_uid, kvmmig_st->st_gid) ||
	    chmod(KVMMIG_DEV, kvmmig_st->st_mode & 07777))
		fprintf(stderr, "# cannot restore the devices' owners\n");
}

/*
 * What a test changes on the test kernel, as libvirt would have it: the
 * QEMU user, the devices given to its group, a clean directory it owns.
 */
struct qemu_host {
	char dir[64];
	gid_t kvm_gid;
	struct stat kvm_st, kvmmig_st;
	bool perms_saved;
	char uffd_sysctl[8];	/* its value before host_allow_uffd(), or "" */
};

#define UFFD_SYSCTL	"/proc/sys/vm/unprivileged_userfaultfd"

static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * Post-copy for the QEMU user: QEMU 7.2 opens userfaultfd without
 * UFFD_USER_MODE_ONLY, which an unprivileged QEMU may only do with
 * vm.unprivileged_userfaultfd on (what a host that runs post-copy with
 * libvirt's unprivileged QEMU sets).  host_cleanup() restores it.
 */
static inline void host_allow_uffd(struct __test_metadata *_metadata,
				   struct qemu_host *h)
{
	ssize_t n;
	int fd;

	fd = open(UFFD_SYSCTL, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, h->uffd_sysctl, sizeof(h->uffd_sysctl) - 1);
	close(fd);
	ASSERT_LT(0, n);
	h->uffd_sysctl[n] = 0;
	ASSERT_EQ(0, write_file(UFFD_SYSCTL, "1\n"));
}

/*
 * The QEMU user, /dev/kvm and /dev/kvmmig for its group (when @devices),
 * @h->dir empty and owned by it, the loopback up.
 */
static inline void host_prepare(struct __test_metadata *_metadata,
				struct qemu_host *h, bool devices)
{
	h->kvm_gid = prepare_user(_metadata);
	if (devices) {
		give_device(_metadata, "/dev/kvm", h->kvm_gid, &h->kvm_st);
		give_device(_metadata, KVMMIG_DEV, h->kvm_gid, &h->kvmmig_st);
		h->perms_saved = true;
	}
	fresh_dir(_metadata, h->dir);
	ASSERT_EQ(0, loopback_up());
}

/*
 * Undo host_prepare() and host_allow_uffd(): the directory removed, the
 * devices' owners and the sysctl back.
 */
static inline void host_cleanup(struct qemu_host *h)
{
	char cmd[128];

	if (h->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd))
			fprintf(stderr, "# cannot remove %s\n", h->dir);
	}
	if (h->perms_saved)
		restore_devices(&h->kvm_st, &h->kvmmig_st);
	if (h->uffd_sysctl[0] && write_file(UFFD_SYSCTL, h->uffd_sysctl))
		fprintf(stderr, "# cannot restore %s\n", UFFD_SYSCTL);
}

#endif /* KVMMIG_QEMU_HARNESS_H */
