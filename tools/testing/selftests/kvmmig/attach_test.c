// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: /dev/kvmmig, ATTACH_VM and the session lifetime,
 * against real KVM VMs.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kvmmig_util.h"

TEST(api_version)
{
	int dev = kvmmig_open();

	EXPECT_EQ(KVMMIG_API_VERSION, ioctl(dev, KVMMIG_GET_API_VERSION, 0));
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
	close(dev);
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(KVMMIG_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* as /dev/kvm: a udev rule gives the group (tools/udev/) */
	EXPECT_EQ(0660, st.st_mode & 0777);
}

TEST(check_extension)
{
	static const int caps[] = { KVMMIG_CAP_ATTACH_VM, KVMMIG_CAP_MEMSLOTS,
				    KVMMIG_CAP_STATS_FD, KVMMIG_CAP_SYSFS_VM };
	struct kvm_vm *vm = vm_create_barebones();
	int dev = kvmmig_open(), session, i;
	unsigned long long max;

	for (i = 0; i < ARRAY_SIZE(caps); i++)
		EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION, caps[i]));
	EXPECT_EQ(2, ioctl(dev, KVMMIG_CHECK_EXTENSION,
			   KVMMIG_CAP_NR_ADDRESS_SPACES));
	max = read_u64_file(KVMMIG_PARAMS "/max_sessions");
	EXPECT_EQ(max, ioctl(dev, KVMMIG_CHECK_EXTENSION,
			     KVMMIG_CAP_MAX_SESSIONS));
	EXPECT_EQ(0, ioctl(dev, KVMMIG_CHECK_EXTENSION, 0));
	EXPECT_EQ(0, ioctl(dev, KVMMIG_CHECK_EXTENSION, 9999));

	/* the session fd answers the same question, as a KVM VM fd does */
	session = kvmmig_attach(dev, vm->fd, NULL);
	ASSERT_GE(session, 0);
	EXPECT_EQ(1, ioctl(session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_MEMSLOTS));
	EXPECT_EQ(0, ioctl(session, KVMMIG_CHECK_EXTENSION, 9999));
	close(session);
	close(dev);
	kvm_vm_free(vm);
}

TEST(unknown_ioctls)
{
	struct kvm_vm *vm = vm_create_barebones();
	int dev = kvmmig_open(), session;

	EXPECT_EQ(-1, ioctl(dev, _IO(KVMMIGIO, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	/* a session ioctl on the device and a device ioctl on the session */
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_GET_STATS_FD));
	EXPECT_EQ(ENOTTY, errno);
	session = kvmmig_attach(dev, vm->fd, NULL);
	ASSERT_GE(session, 0);
	EXPECT_EQ(-1, ioctl(session, KVMMIG_ATTACH_VM, NULL));
	EXPECT_EQ(ENOTTY, errno);
	close(session);
	close(dev);
	kvm_vm_free(vm);
}

TEST(attach_detach)
{
	struct kvm_vm *vm = vm_create_barebones();
	__u32 id = ~0U, id2 = ~0U;
	int session, before;
	char path[128];

	before = count_sysfs_sessions();
	session = kvmmig_attach_vm(vm, &id);
	ASSERT_GE(session, 0);
	EXPECT_NE(~0U, id);
	EXPECT_TRUE(fcntl(session, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(session_in_sysfs(id));
	EXPECT_EQ(before + 1, count_sysfs_sessions());
	snprintf(path, sizeof(path), KVMMIG_SYSFS_VMS "/%u/vmm_pid", id);
	EXPECT_EQ(getpid(), read_u64_file("%s", path));

	ASSERT_EQ(0, close(session));
	EXPECT_FALSE(session_in_sysfs(id));
	EXPECT_EQ(before, count_sysfs_sessions());

	/* detached cleanly: the same VM attaches again */
	session = kvmmig_attach_vm(vm, &id2);
	ASSERT_GE(session, 0);
	EXPECT_TRUE(session_in_sysfs(id2));
	close(session);
	kvm_vm_free(vm);
}

/* The session keeps the VM alive after the VMM closes its VM fd. */
TEST(close_vm_fd_first)
{
	struct kvm_vm *vm = vm_create(1);
	struct kvmmig_memslot *slots;
	int session, vm_fd = vm->fd;
	__u32 id = ~0U, n;

	session = kvmmig_attach_vm(vm, &id);
	ASSERT_GE(session, 0);
	ASSERT_TRUE(kvm_vm_alive(getpid(), vm_fd));

	ASSERT_EQ(0, close(vm->fd));
	EXPECT_TRUE(kvm_vm_alive(getpid(), vm_fd));
	EXPECT_TRUE(session_in_sysfs(id));
	/* the session still works on the VM it holds */
	n = kvmmig_get_memslots(session, &slots, NULL);
	EXPECT_GE(n, 1);
	free(slots);

	ASSERT_EQ(0, close(session));
	EXPECT_FALSE(session_in_sysfs(id));
	/* the last reference went with the session: the VM is destroyed */
	EXPECT_FALSE(kvm_vm_alive(getpid(), vm_fd));
}

static void guest_count(void)
{
	for (int i = 1; i <= 3; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

/* Detach leaves a running VM untouched. */
TEST(close_session_first)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_count);
	struct ucall uc;
	int session, i;
	__u32 id = ~0U;

	session = kvmmig_attach_vm(vm, &id);
	ASSERT_GE(session, 0);
	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[1]);

	ASSERT_EQ(0, close(session));
	EXPECT_FALSE(session_in_sysfs(id));
	EXPECT_TRUE(kvm_vm_alive(getpid(), vm->fd));
	for (i = 2; i <= 3; i++) {
		vcpu_run(vcpu);
		ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
		EXPECT_EQ(i, uc.args[1]);
	}
	vcpu_run(vcpu);
	EXPECT_EQ(UCALL_DONE, get_ucall(vcpu, &uc));
	kvm_vm_free(vm);
}

static void *vcpu_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

/*
 * A VMM that dies with a session open and a vCPU inside KVM_RUN, by exit()
 * or by SIGKILL: the session and the VM go away and nothing is left.
 */
static void vmm_dies(struct __test_metadata *_metadata, bool kill_it)
{
	int pipefd[2], status, before = count_sysfs_sessions();
	struct { __u32 id; int vm_fd; } info;
	pid_t child;

	ASSERT_EQ(0, pipe(pipefd));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
		pthread_t t;

		info.vm_fd = vm->fd;
		if (kvmmig_attach_vm(vm, &info.id) < 0)
			_exit(2);
		pthread_create(&t, NULL, vcpu_thread, vcpu);
		usleep(200 * 1000);	/* the vCPU is in the guest by now */
		if (write(pipefd[1], &info, sizeof(info)) != sizeof(info))
			_exit(3);
		if (kill_it)
			pause();
		_exit(0);	/* session, VM and vCPU fds still open */
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(info), read(pipefd[0], &info, sizeof(info)));
	if (kill_it) {
		EXPECT_TRUE(session_in_sysfs(info.id));
		EXPECT_TRUE(kvm_vm_alive(child, info.vm_fd));
		kill(child, SIGKILL);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(kill_it ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL :
			      WIFEXITED(status) && WEXITSTATUS(status) == 0);

	EXPECT_FALSE(session_in_sysfs(info.id));
	EXPECT_FALSE(kvm_vm_alive(child, info.vm_fd));
	EXPECT_EQ(before, count_sysfs_sessions());
	close(pipefd[0]);
}

TEST(vmm_exits_with_session_open)
{
	vmm_dies(_metadata, false);
}

TEST(vmm_killed_while_vcpu_runs)
{
	vmm_dies(_metadata, true);
}

TEST(one_session_per_vm)
{
	struct kvm_vm *a = vm_create_barebones(), *b = vm_create_barebones();
	int dev = kvmmig_open(), sa, sb, again;
	__u32 ida = ~0U, idb = ~0U, idx = 12345;

	sa = kvmmig_attach(dev, a->fd, &ida);
	ASSERT_GE(sa, 0);
	/* a second session on the same VM is refused and changes nothing */
	EXPECT_EQ(-EBUSY, kvmmig_attach(dev, a->fd, &idx));
	EXPECT_EQ(12345, idx);
	/* another VM is a different session */
	sb = kvmmig_attach(dev, b->fd, &idb);
	ASSERT_GE(sb, 0);
	EXPECT_NE(ida, idb);
	EXPECT_TRUE(session_in_sysfs(ida));
	EXPECT_TRUE(session_in_sysfs(idb));
	/* the first session is gone: the VM can be attached again */
	close(sa);
	again = kvmmig_attach(dev, a->fd, NULL);
	EXPECT_GE(again, 0);
	close(again);
	close(sb);
	close(dev);
	kvm_vm_free(a);
	kvm_vm_free(b);
}

TEST(attach_after_vm_destroy)
{
	struct kvm_vm *vm = vm_create_barebones();
	int dev = kvmmig_open(), vm_fd = vm->fd, other;

	kvm_vm_free(vm);
	ASSERT_FALSE(kvm_vm_alive(getpid(), vm_fd));
	EXPECT_EQ(-EBADF, kvmmig_attach(dev, vm_fd, NULL));
	/* the number reused by a file that is not a VM */
	other = open("/dev/null", O_RDONLY);
	ASSERT_EQ(vm_fd, dup2(other, vm_fd));
	EXPECT_EQ(-EINVAL, kvmmig_attach(dev, vm_fd, NULL));
	close(vm_fd);
	close(other);
	close(dev);
}

TEST(attach_bad_inputs)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	int dev = kvmmig_open(), before = count_sysfs_sessions();
	struct kvmmig_attach a, good = { .size = sizeof(a), .vm_fd = vm->fd };
	int devnull = open("/dev/null", O_RDWR), session, i;

	/* fds that are not a KVM VM */
	EXPECT_EQ(-EINVAL, kvmmig_attach(dev, devnull, NULL));
	EXPECT_EQ(-EINVAL, kvmmig_attach(dev, vm->kvm_fd, NULL));
	EXPECT_EQ(-EINVAL, kvmmig_attach(dev, vcpu->fd, NULL));
	EXPECT_EQ(-EINVAL, kvmmig_attach(dev, dev, NULL));
	EXPECT_EQ(-EBADF, kvmmig_attach(dev, -1, NULL));
	EXPECT_EQ(-EBADF, kvmmig_attach(dev, 1 << 20, NULL));

	/* malformed structures */
	a = good;
	a.size = 0;
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, &a));
	EXPECT_EQ(EINVAL, errno);
	/* smaller than the first version (uapi_test covers the rest) */
	a.size = offsetof(struct kvmmig_attach, reserved) - 4;
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, &a));
	EXPECT_EQ(EINVAL, errno);
	a = good;
	a.flags = ~KVMMIG_ATTACH_FLAGS;
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, &a));
	EXPECT_EQ(EINVAL, errno);
	a = good;
	a.flags = KVMMIG_ATTACH_READ_ONLY << 1;
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, &a));
	EXPECT_EQ(EINVAL, errno);
	a = good;
	a.reserved0 = 1;
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, &a));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++) {
		a = good;
		a.reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, &a));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* a pointer whose struct straddles into an unmapped page */
	EXPECT_EQ(-1, ioctl(dev, KVMMIG_ATTACH_VM, (void *)16));
	EXPECT_EQ(EFAULT, errno);

	/* none of that left anything behind */
	EXPECT_EQ(before, count_sysfs_sessions());
	session = kvmmig_attach(dev, vm->fd, NULL);
	EXPECT_GE(session, 0);
	close(session);
	close(devnull);
	close(dev);
	kvm_vm_free(vm);
}

/*
 * Another process that holds the VM fd: root (CAP_SYS_ADMIN) gets a full
 * session unless it asks for read-only, yet may not reach guest memory
 * through its own mappings (EPERM, not the old EIO); the VMM's session fd
 * used from another process serves reads.  permission_test.c has the
 * unprivileged cases.
 */
TEST(other_process_levels)
{
	struct kvm_vm *vm = vm_create_barebones();
	int dev = kvmmig_open(), session, status;
	pid_t child;

	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = vm->fd,
					   .flags = KVMMIG_ATTACH_READ_ONLY };
		struct kvmmig_classify c = { .size = sizeof(c), .npages = 1 };
		int full, ro;

		full = kvmmig_attach(dev, vm->fd, NULL);
		ASSERT_GE(full, 0);
		EXPECT_EQ(KVMMIG_ACCESS_FULL,
			  ioctl(full, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS));
		EXPECT_EQ(-1, ioctl(full, KVMMIG_CLASSIFY, &c));
		EXPECT_EQ(EPERM, errno);
		ro = ioctl(dev, KVMMIG_ATTACH_VM, &a);
		ASSERT_GE(ro, 0);
		EXPECT_EQ(KVMMIG_ACCESS_READ, a.access);
		close(ro);
		close(full);
		_exit(_metadata->passed ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	session = kvmmig_attach(dev, vm->fd, NULL);
	ASSERT_GE(session, 0);
	EXPECT_EQ(KVMMIG_ACCESS_FULL,
		  ioctl(session, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_ACCESS));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		struct kvmmig_classify c = { .size = sizeof(c), .npages = 1 };
		struct kvmmig_memslot *slots;

		EXPECT_GE(kvmmig_get_memslots(session, &slots, NULL), 0);
		EXPECT_EQ(-1, ioctl(session, KVMMIG_CLASSIFY, &c));
		EXPECT_EQ(EPERM, errno);
		_exit(_metadata->passed ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(session);
	close(dev);
	kvm_vm_free(vm);
}

TEST(max_sessions_param)
{
	const char *param = KVMMIG_PARAMS "/max_sessions";
	struct kvm_vm *a, *b;
	int dev, sa, sb;
	char saved[32];

	kvmmig_params_guard(_metadata);
	a = vm_create_barebones();
	b = vm_create_barebones();
	dev = kvmmig_open();
	ASSERT_EQ(0, read_text(param, saved, sizeof(saved)));
	/* bad values are refused and change nothing */
	EXPECT_EQ(-ERANGE, write_text(param, "0"));
	EXPECT_EQ(-ERANGE, write_text(param, "100000"));
	EXPECT_EQ(-EINVAL, write_text(param, "many"));
	EXPECT_EQ(strtoull(saved, NULL, 0), read_u64_file("%s", param));

	ASSERT_EQ(0, write_text(param, "1"));
	sa = kvmmig_attach(dev, a->fd, NULL);
	EXPECT_GE(sa, 0);
	EXPECT_EQ(-ENOSPC, kvmmig_attach(dev, b->fd, NULL));
	EXPECT_EQ(1, ioctl(dev, KVMMIG_CHECK_EXTENSION, KVMMIG_CAP_MAX_SESSIONS));
	ASSERT_EQ(0, write_text(param, saved));
	sb = kvmmig_attach(dev, b->fd, NULL);
	EXPECT_GE(sb, 0);
	close(sa);
	close(sb);
	close(dev);
	kvm_vm_free(a);
	kvm_vm_free(b);
}

/* rmmod is refused while a session (or only its stats fd) is open. */
TEST(unload_refused_while_attached)
{
	struct kvm_vm *vm = vm_create_barebones();
	int session, stats;

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	stats = ioctl(session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(stats, 0);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "kvmmig", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	close(session);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "kvmmig", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY);
	close(stats);
	ASSERT_TRUE(path_exists(KVMMIG_DEV));
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
