// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: the structure rules of the uapi, for every structure
 * ioctl of the device and session fds, found through KVMMIG_IOCTL_INFO
 * (so an ioctl added later is covered without a line here):
 *
 *  - a caller built against an older header (@size = struct_size_min) and
 *    one built against a newer one (@size larger, the extra bytes zero)
 *    get past the dispatcher's checks, and the calls this file knows how
 *    to build succeed the same at every size;
 *  - a newer caller's non-zero extra byte gives -E2BIG, a @size below the
 *    first version -EINVAL, each flag bit outside IOCTL_INFO's
 *    valid_flags -EINVAL: and none of them changes anything;
 *  - IOCTL_INFO itself (device fd vs session fd, a read-only session's
 *    "usable", -ENOENT), API version 2, and the session ioctl numbers of
 *    API version 1 (0x10..0x1f) giving -ENOTTY.
 *
 * Getting past the size check without running the handler: the dispatcher
 * reads the structure, checks its flags, then writes it back before the
 * handler runs.  A structure on a read-only page therefore fails with
 * -EFAULT exactly when its size and flags were accepted, and with -EINVAL
 * or -E2BIG when they were not; the handler never runs either way.
 *
 * Oracle for "nothing changed": the session's whole stats fd data block,
 * the number of sessions in sysfs, and the caller's structure bytes, read
 * back after every refused call and compared with before.
 */
#include <stddef.h>
#include <sys/mman.h>

#include "kvmmig_util.h"

#define PG		4096UL
#define EXTRA		16
#define MAX_IOCTLS	64

struct uioc {
	unsigned int cmd;
	struct kvmmig_ioctl_info info;
	bool dev;		/* answered on the device fd only */
};

struct env {
	struct kvm_vm *vm;
	int dev, session, stats;
	uint8_t *page;		/* two pages: the argument, then PROT_NONE */
	struct uioc io[MAX_IOCTLS];
	int nr;
	/* buffers a built argument points to */
	struct kvmmig_memslot slots[64];
	uint8_t levels[64];
	struct kvmmig_huge_candidate cand[4];
	struct kvmmig_page_class cls[4];
	__u64 no_bits;
};

static int ioctl_info(int fd, unsigned int cmd, struct kvmmig_ioctl_info *out)
{
	struct kvmmig_ioctl_info i = { .size = sizeof(i), .cmd = cmd };
	int ret = ioctl(fd, KVMMIG_IOCTL_INFO, &i);

	if (out)
		*out = i;
	return ret ? -errno : 0;
}

/* Every structure ioctl IOCTL_INFO knows, on the device fd. */
static void enumerate(struct __test_metadata *_metadata, struct env *e)
{
	for (unsigned int nr = 0; nr < 256; nr++) {
		for (unsigned int dir = 0; dir < 4; dir++) {
			unsigned int cmd = _IOC(dir, KVMMIGIO, nr, 0);
			struct kvmmig_ioctl_info i;
			int ret = ioctl_info(e->dev, cmd, &i);

			if (ret == -ENOENT)
				continue;
			ASSERT_EQ(0, ret);
			if (!i.struct_size)
				continue;
			ASSERT_LT(e->nr, MAX_IOCTLS);
			e->io[e->nr].cmd = _IOC(dir, KVMMIGIO, nr, i.struct_size);
			e->io[e->nr].info = i;
			e->io[e->nr].dev = ioctl_info(e->session, cmd, NULL) == -ENOENT;
			e->nr++;
		}
	}
}

static void env_create(struct __test_metadata *_metadata, struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->vm = vm_create(1);
	e->dev = kvmmig_open();
	ASSERT_GE(e->dev, 0);
	e->session = kvmmig_attach(e->dev, e->vm->fd, NULL);
	ASSERT_GE(e->session, 0);
	e->stats = ioctl(e->session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(e->stats, 0);
	e->page = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e->page);
	ASSERT_EQ(0, mprotect(e->page + PG, PG, PROT_NONE));
	enumerate(_metadata, e);
}

static void env_destroy(struct env *e)
{
	munmap(e->page, 2 * PG);
	close(e->stats);
	close(e->session);
	close(e->dev);
	kvm_vm_free(e->vm);
}

/* What a refused call must leave alone. */
struct state {
	uint8_t stats[4096];
	size_t len;
	int sessions;
};

static void state_read(struct __test_metadata *_metadata, struct env *e,
		       struct state *st)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t len = 0;

	ASSERT_EQ(sizeof(h), pread(e->stats, &h, sizeof(h), 0));
	d = read_stats_descriptors(e->stats, &h);
	for (uint32_t i = 0; i < h.num_desc; i++)
		len += get_stats_descriptor(d, i, &h)->size * sizeof(uint64_t);
	free(d);
	ASSERT_LE(len, sizeof(st->stats));
	memset(st, 0, sizeof(*st));
	st->len = len;
	ASSERT_EQ(len, pread(e->stats, st->stats, len, h.data_offset));
	st->sessions = count_sysfs_sessions();
}

static void expect_unchanged(struct __test_metadata *_metadata, struct env *e,
			     const struct state *before, const char *what)
{
	struct state now;

	state_read(_metadata, e, &now);
	EXPECT_EQ(before->len, now.len) TH_LOG("%s", what);
	EXPECT_EQ(0, memcmp(before->stats, now.stats, now.len))
		TH_LOG("%s: stats changed", what);
	EXPECT_EQ(before->sessions, now.sessions) TH_LOG("%s: sessions", what);
}

/*
 * A valid argument of the ioctls this file knows, in @buf (zeroed, @size
 * set by the caller), and what the call must return: 0, or -1 when a
 * success would need more set-up than this file does (then the same
 * answer at every size, none the size checks give).  false for an ioctl
 * it does not know.
 */
static bool build(struct env *e, unsigned int cmd, void *buf, int *expect)
{
	*expect = 0;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KVMMIG_ATTACH_VM): {
		struct kvmmig_attach *a = buf;

		a->vm_fd = e->vm->fd;
		a->flags = KVMMIG_ATTACH_READ_ONLY;
		return true;
	}
	case _IOC_NR(KVMMIG_IOCTL_INFO):
		((struct kvmmig_ioctl_info *)buf)->cmd = KVMMIG_GET_MEMSLOTS;
		return true;
	case _IOC_NR(KVMMIG_GET_MEMSLOTS): {
		struct kvmmig_memslots *a = buf;

		a->nr_slots = ARRAY_SIZE(e->slots);
		a->slots_ptr = (__u64)(unsigned long)e->slots;
		return true;
	}
	case _IOC_NR(KVMMIG_SET_SCAN):
		return true;	/* no operation: reads the period */
	case _IOC_NR(KVMMIG_GET_TEMPERATURE): {
		struct kvmmig_temperature *a = buf;

		a->npages = ARRAY_SIZE(e->levels);
		a->levels_ptr = (__u64)(unsigned long)e->levels;
		return true;
	}
	case _IOC_NR(KVMMIG_GET_HUGE_CANDIDATES): {
		struct kvmmig_huge_candidates *a = buf;

		a->nr = ARRAY_SIZE(e->cand);
		a->candidates_ptr = (__u64)(unsigned long)e->cand;
		return true;
	}
	case _IOC_NR(KVMMIG_CLASSIFY): {
		struct kvmmig_classify *a = buf;

		a->npages = ARRAY_SIZE(e->cls);
		a->classes_ptr = (__u64)(unsigned long)e->cls;
		return true;
	}
	case _IOC_NR(KVMMIG_FREE_HINTS):
		return true;	/* no operation: a query */
	case _IOC_NR(KVMMIG_GET_SEND_ORDER): {
		struct kvmmig_send_order *a = buf;

		/* nothing dirty: an empty order */
		a->npages = 64;
		a->bitmap_ptr = (__u64)(unsigned long)&e->no_bits;
		return true;
	}
	case _IOC_NR(KVMMIG_GET_WORKING_SET):
		/* temperature left out, no fault recorded: an empty set */
		((struct kvmmig_working_set *)buf)->min_level = KVMMIG_TEMP_NR_LEVELS;
		return true;
	case _IOC_NR(KVMMIG_GET_DIRTY_RATE):
	case _IOC_NR(KVMMIG_GET_HISTORY):
	case _IOC_NR(KVMMIG_FAULTS):
		return true;	/* all zero: a read */
	case _IOC_NR(KVMMIG_SET_HISTORY):
		((struct kvmmig_history *)buf)->version = KVMMIG_HISTORY_VERSION;
		return true;
	case _IOC_NR(KVMMIG_MIGRATION): {
		struct kvmmig_migration *a = buf;

		/* no migration to end */
		a->flags = KVMMIG_MIGRATION_END;
		a->outcome = KVMMIG_OUTCOME_CANCELLED;
		*expect = -1;
		return true;
	}
	case _IOC_NR(KVMMIG_PREFETCH):
		*expect = -1;	/* no fault recorded */
		return true;
	case _IOC_NR(KVMMIG_FILL):
		((struct kvmmig_fill *)buf)->flags = KVMMIG_FILL_CLEAR;
		return true;
	}
	return false;
}

/* The argument page: @len bytes of @src at its start, the rest zero. */
static void *arg_page(struct env *e, const void *src, size_t len, bool ro)
{
	mprotect(e->page, PG, PROT_READ | PROT_WRITE);
	memset(e->page, 0, PG);
	memcpy(e->page, src, len);
	if (ro)
		mprotect(e->page, PG, PROT_READ);
	return e->page;
}

static int call(struct env *e, const struct uioc *u, void *arg)
{
	int fd = u->dev ? e->dev : e->session;
	int ret = ioctl(fd, u->cmd, arg);

	if (ret >= 0 && _IOC_NR(u->cmd) == _IOC_NR(KVMMIG_ATTACH_VM)) {
		close(ret);	/* a read-only session: gone again */
		return 0;
	}
	return ret < 0 ? -errno : ret;
}

/*
 * A refused call: @arg (@len bytes at the page's start) fails with -@err,
 * the structure is not written back and nothing else changes.
 */
static void expect_refused(struct __test_metadata *_metadata, struct env *e,
			   const struct uioc *u, const void *arg, size_t len,
			   int err, const char *what)
{
	uint8_t copy[PG];
	struct state st;

	state_read(_metadata, e, &st);
	arg_page(e, arg, len, false);
	memcpy(copy, e->page, PG);
	EXPECT_EQ(-err, call(e, u, e->page))
		TH_LOG("cmd 0x%x: %s", u->cmd, what);
	EXPECT_EQ(0, memcmp(copy, e->page, PG))
		TH_LOG("cmd 0x%x: %s: structure written", u->cmd, what);
	expect_unchanged(_metadata, e, &st, what);
}

/* (a) (b) an older and a newer caller get past the dispatcher. */
TEST(sizes_accepted)
{
	struct env e;

	env_create(_metadata, &e);
	ASSERT_GE(e.nr, 10);
	for (int i = 0; i < e.nr; i++) {
		const struct uioc *u = &e.io[i];
		uint32_t sizes[] = { u->info.struct_size_min, u->info.struct_size,
				     u->info.struct_size + EXTRA };
		uint8_t buf[PG];
		int expect, first = 0;
		bool known;

		TH_LOG("cmd 0x%08x: size %u, min %u, flags 0x%llx, %s", u->cmd,
		       u->info.struct_size, u->info.struct_size_min,
		       (unsigned long long)u->info.valid_flags,
		       u->dev ? "device" : "session");
		EXPECT_GE(u->info.struct_size_min, 8);
		EXPECT_LE(u->info.struct_size_min, u->info.struct_size);
		EXPECT_EQ(0, u->info.struct_size % 8);
		for (int k = 0; k < ARRAY_SIZE(sizes); k++) {
			memset(buf, 0, sizeof(buf));
			((uint32_t *)buf)[0] = sizes[k];
			/* size and flags accepted: the write-back then fails */
			if (_IOC_DIR(u->cmd) & _IOC_READ) {
				struct state st;

				state_read(_metadata, &e, &st);
				EXPECT_EQ(-EFAULT, call(&e, u, arg_page(&e, buf, sizes[k], true)))
					TH_LOG("cmd 0x%x size %u, read-only", u->cmd, sizes[k]);
				expect_unchanged(_metadata, &e, &st, "read-only structure");
			}
			/* a real call, the same at every size */
			known = build(&e, u->cmd, buf, &expect);
			if (!known || expect < 0) {
				int ret = call(&e, u, arg_page(&e, buf, sizes[k], false));

				TH_LOG("cmd 0x%x: %s; size %u: %d", u->cmd,
				       known ? "no success here" : "no valid argument known",
				       sizes[k], ret);
				EXPECT_NE(-ENOTTY, ret);
				EXPECT_NE(-E2BIG, ret);
				if (known)
					EXPECT_NE(-EINVAL, ret);
				if (k == 0)
					first = ret;
				else
					EXPECT_EQ(first, ret);
				continue;
			}
			EXPECT_EQ(0, call(&e, u, arg_page(&e, buf, sizes[k], false)))
				TH_LOG("cmd 0x%x size %u", u->cmd, sizes[k]);
			/* the caller's size is kept: nothing written past it */
			EXPECT_EQ(sizes[k], ((uint32_t *)e.page)[0]);
			for (uint32_t b = sizes[k]; b < PG; b++) {
				ASSERT_EQ(0, e.page[b]) TH_LOG("cmd 0x%x size %u byte %u",
							       u->cmd, sizes[k], b);
			}
		}
	}
	env_destroy(&e);
}

/* (c) (d) a newer caller's non-zero extra byte, a size below the minimum. */
TEST(sizes_refused)
{
	struct env e;

	env_create(_metadata, &e);
	for (int i = 0; i < e.nr; i++) {
		const struct uioc *u = &e.io[i];
		uint32_t size = u->info.struct_size, min = u->info.struct_size_min;
		uint32_t small[] = { 0, 4, min - 1, min - 8 };
		uint32_t big = size + EXTRA;
		uint8_t buf[PG];
		int expect;

		for (uint32_t at = size; at < big; at += 5) {
			memset(buf, 0, sizeof(buf));
			build(&e, u->cmd, buf, &expect);
			((uint32_t *)buf)[0] = big;
			buf[at] = 0x80;
			expect_refused(_metadata, &e, u, buf, big, E2BIG,
				       "non-zero byte past the structure");
		}
		/* larger than a page: refused however zero */
		memset(buf, 0, sizeof(buf));
		build(&e, u->cmd, buf, &expect);
		((uint32_t *)buf)[0] = PG + 1;
		expect_refused(_metadata, &e, u, buf, size, E2BIG, "size > page");
		for (int k = 0; k < ARRAY_SIZE(small); k++) {
			if (small[k] > min - 1)	/* min - 8 below 0 */
				continue;
			memset(buf, 0, sizeof(buf));
			build(&e, u->cmd, buf, &expect);
			((uint32_t *)buf)[0] = small[k];
			expect_refused(_metadata, &e, u, buf, size, EINVAL,
				       "size below the first version");
		}
	}
	env_destroy(&e);
}

/* (e) every flag bit outside valid_flags, on a valid argument. */
TEST(unknown_flags_refused)
{
	struct env e;

	env_create(_metadata, &e);
	for (int i = 0; i < e.nr; i++) {
		const struct uioc *u = &e.io[i];
		uint32_t size = u->info.struct_size;
		uint8_t buf[PG];
		int expect;

		for (int bit = 0; bit < 32; bit++) {
			uint32_t flag = 1U << bit;

			memset(buf, 0, sizeof(buf));
			build(&e, u->cmd, buf, &expect);
			((uint32_t *)buf)[0] = size;
			((uint32_t *)buf)[1] |= flag;
			if (!(u->info.valid_flags & flag)) {
				expect_refused(_metadata, &e, u, buf, size, EINVAL,
					       "unknown flag");
				continue;
			}
			/* a valid flag passes the table (the handler never runs) */
			if (_IOC_DIR(u->cmd) & _IOC_READ)
				EXPECT_EQ(-EFAULT, call(&e, u, arg_page(&e, buf, size, true)))
					TH_LOG("cmd 0x%x valid flag bit %d", u->cmd, bit);
		}
		/* valid_flags has no bit above 31: flags is a __u32 */
		EXPECT_EQ(0, u->info.valid_flags >> 32);
	}
	env_destroy(&e);
}

/* (f) IOCTL_INFO: device fd vs session fd, usable, unknown ioctls. */
TEST(ioctl_info_answers)
{
	struct kvmmig_ioctl_info i, j;
	struct kvmmig_attach ra = { .size = sizeof(ra),
				    .flags = KVMMIG_ATTACH_READ_ONLY };
	int ro, need_full = 0;
	struct env e;

	env_create(_metadata, &e);
	/* ATTACH_VM is the device fd's alone */
	ASSERT_EQ(0, ioctl_info(e.dev, KVMMIG_ATTACH_VM, &i));
	EXPECT_EQ(sizeof(struct kvmmig_attach), i.struct_size);
	EXPECT_EQ(offsetof(struct kvmmig_attach, reserved), i.struct_size_min);
	EXPECT_EQ(KVMMIG_ATTACH_FLAGS, i.valid_flags);
	EXPECT_EQ(1, i.usable);
	EXPECT_EQ(-ENOENT, ioctl_info(e.session, KVMMIG_ATTACH_VM, NULL));
	/* a session ioctl on both, the same answer; size bits ignored */
	ASSERT_EQ(0, ioctl_info(e.dev, KVMMIG_CLASSIFY, &i));
	ASSERT_EQ(0, ioctl_info(e.session, _IOC(_IOC_READ | _IOC_WRITE, KVMMIGIO,
						_IOC_NR(KVMMIG_CLASSIFY), 8), &j));
	EXPECT_EQ(sizeof(struct kvmmig_classify), i.struct_size);
	EXPECT_EQ(offsetof(struct kvmmig_classify, reserved), i.struct_size_min);
	EXPECT_EQ(KVMMIG_CLASSIFY_FLAGS, i.valid_flags);
	EXPECT_EQ(KVMMIG_CAP_CLASSIFY, i.cap);
	EXPECT_EQ(i.cmd, KVMMIG_CLASSIFY);	/* @cmd is the caller's, as given */
	j.cmd = i.cmd;
	EXPECT_EQ(0, memcmp(&i, &j, sizeof(i)));
	/* the wrong direction is another (unknown) ioctl */
	EXPECT_EQ(-ENOENT, ioctl_info(e.session, _IOC(_IOC_READ, KVMMIGIO,
						      _IOC_NR(KVMMIG_CLASSIFY), 0),
				      NULL));
	EXPECT_EQ(-ENOENT, ioctl_info(e.dev, _IO(KVMMIGIO, 0xfe), NULL));
	EXPECT_EQ(-ENOENT, ioctl_info(e.session, _IOWR(KVMMIGIO, 0xfe, __u64), NULL));
	/* value ioctls are known, without a structure */
	ASSERT_EQ(0, ioctl_info(e.session, KVMMIG_GET_STATS_FD, &i));
	EXPECT_EQ(0, i.struct_size);
	ASSERT_EQ(0, ioctl_info(e.dev, KVMMIG_GET_API_VERSION, &i));
	EXPECT_EQ(0, i.struct_size);
	/* a bad IOCTL_INFO argument */
	i = (struct kvmmig_ioctl_info){ .size = sizeof(i), .cmd = KVMMIG_CLASSIFY,
					.reserved[3] = 1 };
	EXPECT_EQ(-1, ioctl(e.session, KVMMIG_IOCTL_INFO, &i));
	EXPECT_EQ(EINVAL, errno);

	/* a read-only session: what needs a full one is not usable there */
	ra.vm_fd = e.vm->fd;
	ro = ioctl(e.dev, KVMMIG_ATTACH_VM, &ra);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(KVMMIG_ACCESS_READ, ra.access);
	for (int k = 0; k < e.nr; k++) {
		const struct uioc *u = &e.io[k];
		bool full = u->info.need & KVMMIG_NEED_FULL_SESSION;

		if (u->dev)
			continue;
		ASSERT_EQ(0, ioctl_info(ro, u->cmd, &i));
		EXPECT_EQ(!full, i.usable) TH_LOG("cmd 0x%x", u->cmd);
		ASSERT_EQ(0, ioctl_info(e.session, u->cmd, &j));
		EXPECT_EQ(1, j.usable) TH_LOG("cmd 0x%x", u->cmd);
		ASSERT_EQ(0, ioctl_info(e.dev, u->cmd, &j));
		EXPECT_EQ(1, j.usable) TH_LOG("cmd 0x%x", u->cmd);
		EXPECT_EQ(i.need, j.need);
		if (full) {
			/* and the call agrees: EPERM before the argument is read */
			need_full++;
			EXPECT_EQ(-1, ioctl(ro, u->cmd, NULL));
			EXPECT_EQ(EPERM, errno) TH_LOG("cmd 0x%x", u->cmd);
		}
	}
	EXPECT_GT(need_full, 0);
	close(ro);
	env_destroy(&e);
}

/* (g) API version 2; the session ioctl numbers of version 1 are gone. */
TEST(api_version_and_old_numbers)
{
	static const unsigned int sizes[] = { 0, 8, 40, 56, 64, 96, 104, 120 };
	struct env e;

	env_create(_metadata, &e);
	EXPECT_EQ(2, ioctl(e.dev, KVMMIG_GET_API_VERSION, 0));
	for (unsigned int nr = 0x10; nr < 0x20; nr++) {
		for (unsigned int dir = 0; dir < 4; dir++) {
			for (int k = 0; k < ARRAY_SIZE(sizes); k++) {
				unsigned int cmd = _IOC(dir, KVMMIGIO, nr, sizes[k]);
				struct state st;

				state_read(_metadata, &e, &st);
				memset(e.page, 0, PG);
				((uint32_t *)e.page)[0] = sizes[k];
				EXPECT_EQ(-1, ioctl(e.session, cmd, e.page));
				EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd 0x%x", cmd);
				EXPECT_EQ(-1, ioctl(e.dev, cmd, e.page));
				EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd 0x%x", cmd);
				expect_unchanged(_metadata, &e, &st, "old number");
			}
			EXPECT_EQ(-ENOENT, ioctl_info(e.session, _IOC(dir, KVMMIGIO, nr, 0),
						      NULL));
			EXPECT_EQ(-ENOENT, ioctl_info(e.dev, _IOC(dir, KVMMIGIO, nr, 0),
						      NULL));
		}
	}
	env_destroy(&e);
}

TEST_HARNESS_MAIN
