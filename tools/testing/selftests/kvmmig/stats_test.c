// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: the session's binary stats fd, read with the KVM
 * selftest library's own parser for KVM's stats format.
 */
#include <time.h>

#include "kvmmig_util.h"

struct stats {
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *desc;
	char id[256];
};

static void read_stats(struct __test_metadata *_metadata, int fd,
		       struct stats *st)
{
	read_stats_header(fd, &st->hdr);
	ASSERT_LT(st->hdr.name_size, sizeof(st->id));
	ASSERT_EQ(st->hdr.name_size,
		  pread(fd, st->id, st->hdr.name_size, st->hdr.id_offset));
	st->desc = read_stats_descriptors(fd, &st->hdr);
}

static __u64 stat_value(struct __test_metadata *_metadata, int fd,
			struct stats *st, const char *name)
{
	for (__u32 i = 0; i < st->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = get_stats_descriptor(st->desc, i, &st->hdr);
		uint64_t v;

		if (strcmp(d->name, name))
			continue;
		read_stat_data(fd, &st->hdr, d, &v, 1);
		return v;
	}
	TH_LOG("no stat %s", name);
	EXPECT_TRUE(false);
	return ~0ULL;
}

static __u64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The rules KVM's own binary stats test applies to KVM's stats fds. */
TEST(stats_fd_is_kvm_format)
{
	struct kvm_vm *vm = vm_create_barebones();
	int session, fd;
	struct stats st;
	char want[64];
	__u32 id = ~0U;

	session = kvmmig_attach_vm(vm, &id);
	ASSERT_GE(session, 0);
	fd = ioctl(session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(fd, 0);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	read_stats(_metadata, fd, &st);

	EXPECT_EQ(0, st.hdr.flags);
	EXPECT_GE(st.hdr.num_desc, 4);
	EXPECT_GT(st.hdr.name_size, 0);
	EXPECT_GE(st.hdr.id_offset, sizeof(st.hdr));
	EXPECT_GE(st.hdr.desc_offset, st.hdr.id_offset + st.hdr.name_size);
	EXPECT_GE(st.hdr.data_offset, st.hdr.desc_offset +
		  st.hdr.num_desc * get_stats_descriptor_size(&st.hdr));
	snprintf(want, sizeof(want), "kvmmig-%u", id);
	EXPECT_STREQ(want, st.id);

	for (__u32 i = 0; i < st.hdr.num_desc; i++) {
		struct kvm_stats_desc *d = get_stats_descriptor(st.desc, i, &st.hdr);
		__u32 type = d->flags & KVM_STATS_TYPE_MASK;
		__u32 unit = d->flags & KVM_STATS_UNIT_MASK;
		__u32 base = d->flags & KVM_STATS_BASE_MASK;

		EXPECT_LE(type, KVM_STATS_TYPE_MAX);
		EXPECT_LE(unit, KVM_STATS_UNIT_MAX);
		EXPECT_LE(base, KVM_STATS_BASE_MAX);
		EXPECT_LT(strlen(d->name), st.hdr.name_size);
		EXPECT_EQ(1, d->size);
		EXPECT_EQ(0, d->offset % 8);
		if (unit == KVM_STATS_UNIT_BOOLEAN)
			EXPECT_TRUE(type == KVM_STATS_TYPE_INSTANT ||
				    type == KVM_STATS_TYPE_PEAK);
		if (unit == KVM_STATS_UNIT_NONE || unit == KVM_STATS_UNIT_BOOLEAN)
			EXPECT_EQ(0, d->exponent);
	}
	free(st.desc);
	close(fd);
	close(session);
	kvm_vm_free(vm);
}

TEST(stats_values)
{
	struct kvm_vm *vm = vm_create(1);
	struct kvmmig_memslot *v;
	__u64 before, after, gen;
	int session, fd, i;
	struct stats st;

	before = boottime_ns();
	session = kvmmig_attach_vm(vm, NULL);
	after = boottime_ns();
	ASSERT_GE(session, 0);
	fd = ioctl(session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(fd, 0);
	read_stats(_metadata, fd, &st);

	EXPECT_LE(before, stat_value(_metadata, fd, &st, "attach_time"));
	EXPECT_GE(after, stat_value(_metadata, fd, &st, "attach_time"));
	EXPECT_EQ(0, stat_value(_metadata, fd, &st, "get_memslots"));
	EXPECT_EQ(0, stat_value(_metadata, fd, &st, "mm_released"));

	/* kvmmig_get_memslots() makes one -E2BIG probe, then one call */
	for (i = 0; i < 3; i++) {
		kvmmig_get_memslots(session, &v, &gen);
		free(v);
	}
	EXPECT_EQ(3, stat_value(_metadata, fd, &st, "get_memslots"));
	EXPECT_EQ(gen, stat_value(_metadata, fd, &st, "memslot_generation"));

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 1ULL << 32, 7, 4, 0);
	kvmmig_get_memslots(session, &v, &gen);
	free(v);
	EXPECT_EQ(gen, stat_value(_metadata, fd, &st, "memslot_generation"));
	free(st.desc);
	close(fd);
	close(session);
	kvm_vm_free(vm);
}

/* A stats fd outlives its session, and several can be open at once. */
TEST(stats_fd_outlives_session)
{
	struct kvm_vm *vm = vm_create_barebones();
	int session, fd, fd2;
	struct stats st;
	char c;

	session = kvmmig_attach_vm(vm, NULL);
	ASSERT_GE(session, 0);
	fd = ioctl(session, KVMMIG_GET_STATS_FD);
	fd2 = ioctl(session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(fd, 0);
	ASSERT_GE(fd2, 0);
	EXPECT_NE(fd, fd2);
	read_stats(_metadata, fd, &st);
	close(fd2);

	ASSERT_EQ(0, close(session));
	kvm_vm_free(vm);
	/* detach ended the session's access to the VMM's memory */
	EXPECT_EQ(1, stat_value(_metadata, fd, &st, "mm_released"));
	EXPECT_NE(0, stat_value(_metadata, fd, &st, "attach_time"));

	/* reads past the end return nothing; the fd is read-only */
	EXPECT_EQ(0, pread(fd, &c, 1, st.hdr.data_offset +
			   st.hdr.num_desc * sizeof(__u64)));
	EXPECT_EQ(-1, write(fd, &c, 1));
	EXPECT_EQ(EBADF, errno);
	free(st.desc);
	close(fd);
}

TEST_HARNESS_MAIN
