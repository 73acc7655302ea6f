/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kvmmig selftests.  VMs are created with the KVM
 * selftest library (tools/testing/selftests/kvm of the kernel source, a
 * build dependency); tests use kselftest_harness.h, which runs each test in
 * its own child process, so a dying test is also a dying VMM.
 */
#ifndef KVMMIG_SELFTEST_UTIL_H
#define KVMMIG_SELFTEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvmmig.h>

#include "kvm_util.h"
#include "processor.h"
/* test_util.h has an ASSERT_EQ of its own; the harness's is the one used */
#undef ASSERT_EQ
#include "kselftest_harness.h"

#define KVMMIG_DEV		"/dev/kvmmig"
#define KVMMIG_SYSFS_VMS	"/sys/kernel/kvmmig"
#define KVMMIG_PARAMS		"/sys/module/kvmmig/parameters"
#define KVM_DEBUGFS		"/sys/kernel/debug/kvm"

static inline int kvmmig_open(void)
{
	int fd = open(KVMMIG_DEV, O_RDWR | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open(%s): %s", KVMMIG_DEV, strerror(errno));
	return fd;
}

/* ATTACH_VM; returns the session fd or -errno, and the id through @id. */
static inline int kvmmig_attach(int dev, int vm_fd, __u32 *id)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = vm_fd };
	int ret = ioctl(dev, KVMMIG_ATTACH_VM, &a);

	if (ret < 0)
		return -errno;
	if (id)
		*id = a.session_id;
	return ret;
}

/* Same, with /dev/kvmmig opened and closed around it. */
static inline int kvmmig_attach_vm(struct kvm_vm *vm, __u32 *id)
{
	int dev = kvmmig_open(), fd;

	fd = kvmmig_attach(dev, vm->fd, id);
	close(dev);
	return fd;
}

static inline bool path_exists(const char *fmt, ...)
{
	char path[256];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return stat(path, &st) == 0;
}

static inline bool session_in_sysfs(__u32 id)
{
	return path_exists(KVMMIG_SYSFS_VMS "/%u", id);
}

/* KVM's own debugfs directory of a VM exists exactly while the VM does. */
static inline bool kvm_vm_alive(pid_t pid, int vm_fd)
{
	return path_exists(KVM_DEBUGFS "/%d-%d", pid, vm_fd);
}

static inline int count_sysfs_sessions(void)
{
	DIR *d = opendir(KVMMIG_SYSFS_VMS);
	struct dirent *e;
	int n = 0;

	TEST_ASSERT(d, "opendir(%s): %s", KVMMIG_SYSFS_VMS, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Read a sysfs file into @buf (NUL-terminated, newline stripped). */
static inline int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

static inline unsigned long long read_u64_file(const char *fmt, ...)
{
	char path[256], buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	TEST_ASSERT(!read_text(path, buf, sizeof(buf)), "read %s", path);
	return strtoull(buf, NULL, 0);
}

/* A field of /proc/meminfo, in its unit (kB or pages). */
static inline long meminfo_field(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	TEST_ASSERT(f, "open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) &&
		    line[strlen(field)] == ':')
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	TEST_ASSERT(v >= 0, "field %s missing", field);
	return v;
}

/* Write @val to a sysfs file; returns 0 or -errno. */
static inline int write_text(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

#define KVMMIG_MAX_PARAMS	64

/*
 * Module parameters a test changes are put back however the test ends (an
 * ASSERT, a crash, exit() in the KVM library): a TEST that writes any
 * calls this first, before it creates a VM or a thread.  It records every
 * parameter, then forks: the child runs the rest of the test and returns
 * from here; the parent waits for it, writes back each parameter that
 * changed and ends as the child did (exit status or signal), so the
 * harness sees the child's result.  Only the harness's own timeout kill,
 * which takes the whole process group, escapes it.
 */
static inline void kvmmig_params_guard(struct __test_metadata *_metadata)
{
	struct { char name[256]; char val[64]; } saved[KVMMIG_MAX_PARAMS];
	char path[320], now[64];
	int n = 0, status, i;
	struct dirent *e;
	pid_t child;
	DIR *d;

	d = opendir(KVMMIG_PARAMS);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ASSERT_LT(n, KVMMIG_MAX_PARAMS);
		snprintf(saved[n].name, sizeof(saved[n].name), "%s", e->d_name);
		snprintf(path, sizeof(path), KVMMIG_PARAMS "/%s", e->d_name);
		ASSERT_EQ(0, read_text(path, saved[n].val, sizeof(saved[n].val)));
		n++;
	}
	closedir(d);
	fflush(stdout);
	fflush(stderr);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return;
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), KVMMIG_PARAMS "/%s", saved[i].name);
		if (!read_text(path, now, sizeof(now)) && !strcmp(now, saved[i].val))
			continue;
		if (write_text(path, saved[i].val))
			fprintf(stderr, "# cannot restore %s to %s\n", path,
				saved[i].val);
		else
			fprintf(stderr, "# restored %s to %s\n", path, saved[i].val);
	}
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* Write @val to module parameter @name; 0 or -errno. */
static inline int kvmmig_param_set(const char *name, const char *val)
{
	char path[192];

	snprintf(path, sizeof(path), KVMMIG_PARAMS "/%s", name);
	return write_text(path, val);
}

/*
 * GET_MEMSLOTS into a malloc'ed array sized by a first call with no room
 * (which fails with E2BIG unless the VM has no memslots at all).
 * Returns the number of slots; *gen gets the generation.
 */
static inline __u32 kvmmig_get_memslots(int session, struct kvmmig_memslot **out,
					__u64 *gen)
{
	struct kvmmig_memslots r = { .size = sizeof(r) };
	struct kvmmig_memslot *v;

	if (ioctl(session, KVMMIG_GET_MEMSLOTS, &r) == 0) {
		TEST_ASSERT(r.nr_slots == 0, "no room, yet %u slots", r.nr_slots);
		*out = NULL;
		if (gen)
			*gen = r.generation;
		return 0;
	}
	TEST_ASSERT(errno == E2BIG, "GET_MEMSLOTS probe: %s", strerror(errno));
	v = calloc(r.nr_slots, sizeof(*v));
	TEST_ASSERT(v, "calloc");
	r.slots_ptr = (__u64)(unsigned long)v;
	TEST_ASSERT(!ioctl(session, KVMMIG_GET_MEMSLOTS, &r),
		    "GET_MEMSLOTS: %s", strerror(errno));
	*out = v;
	if (gen)
		*gen = r.generation;
	return r.nr_slots;
}

/* Guest code that never exits: a vCPU running it is busy in KVM_RUN. */
static inline void guest_spin(void)
{
	for (;;)
		asm volatile("pause");
}

/*
 * The value of counter @name of a kvmmig stats fd.  pread(), since the
 * library's read_stats_header() moves the file position.
 */
static inline uint64_t kvmmig_stat(int fd, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	uint64_t v = ~0ULL;

	TEST_ASSERT(pread(fd, &h, sizeof(h), 0) == sizeof(h), "stats header");
	d = read_stats_descriptors(fd, &h);
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *e = get_stats_descriptor(d, i, &h);

		if (!strcmp(e->name, name))
			read_stat_data(fd, &h, e, &v, 1);
	}
	free(d);
	TEST_ASSERT(v != ~0ULL, "no stat %s", name);
	return v;
}

/* Counter @name of @session, through a stats fd of its own. */
static inline uint64_t session_stat(int session, const char *name)
{
	int fd = ioctl(session, KVMMIG_GET_STATS_FD);
	uint64_t v;

	TEST_ASSERT(fd >= 0, "GET_STATS_FD: %s", strerror(errno));
	v = kvmmig_stat(fd, name);
	close(fd);
	return v;
}

/*
 * A VMM that dies at work: fork a child that runs @vmm(@arg, @report_fd),
 * which sets up, writes its session id to @report_fd and works on, never
 * returning (a return exits 5: the work ended before the kill).  Once the
 * id arrives and @ms more have passed, SIGKILL the child and check that
 * its session went with it.  Returns the session id.
 */
static inline __u32 kill_vmm_at_work(struct __test_metadata *_metadata,
				     void (*vmm)(void *arg, int report_fd),
				     void *arg, unsigned int ms)
{
	int pipefd[2], status;
	__u32 id = ~0U;
	pid_t child;

	ASSERT_EQ(0, pipe(pipefd));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		close(pipefd[0]);
		vmm(arg, pipefd[1]);
		_exit(5);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(id), read(pipefd[0], &id, sizeof(id)));
	close(pipefd[0]);
	EXPECT_TRUE(session_in_sysfs(id));
	usleep(ms * 1000);
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_FALSE(session_in_sysfs(id));
	return id;
}

#endif /* KVMMIG_SELFTEST_UTIL_H */
