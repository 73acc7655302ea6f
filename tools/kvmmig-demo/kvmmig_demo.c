// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-demo: a small VMM that runs real guest code under KVM, attaches
 * the VM to kvmmig and shows what the module sees: API, capabilities,
 * memslots, per-VM sysfs state and the binary stats.  `make demo` runs it
 * in the test kernel.  Later it grows into a migration demo.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvmmig.h>

#include "kvm_util.h"
#include "processor.h"

#define DATA_GPA	BIT_ULL(30)
#define DATA_SLOT	1
#define DATA_PAGES	16384		/* 64 MiB */
#define HOT_PAGES	1024		/* the first 4 MiB: two 2 MiB regions */
#define ROUNDS		12

/*
 * The guest touches all of its memory once, then round after round works
 * on its first 4 MiB and, lightly, on every 97th page of the rest.
 */
static void guest_code(uint64_t *buf, uint64_t npages)
{
	for (uint64_t p = 0; p < npages; p++)
		buf[p * 512] = p;
	GUEST_SYNC(0);
	for (uint64_t round = 1; round <= ROUNDS; round++) {
		for (uint64_t p = 0; p < HOT_PAGES; p++)
			buf[p * 512 + round] = round;
		for (uint64_t p = HOT_PAGES; p < npages; p += 97)
			buf[p * 512 + 1] = round;
		GUEST_SYNC(round);
	}
	GUEST_DONE();
}

static void die(const char *what)
{
	fprintf(stderr, "kvmmig-demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void scan_now(int session)
{
	struct kvmmig_scan a = { .size = sizeof(a), .flags = KVMMIG_SCAN_NOW };

	if (ioctl(session, KVMMIG_SET_SCAN, &a))
		die("SET_SCAN");
}

static void show_temperature(int session, int round)
{
	struct kvmmig_temperature t = { .size = sizeof(t), .gfn = DATA_GPA / 4096,
					.npages = DATA_PAGES };

	if (ioctl(session, KVMMIG_GET_TEMPERATURE, &t))
		die("GET_TEMPERATURE");
	printf("round %2d, pass %2llu: cold %5llu  cool %5llu  warm %5llu  hot %5llu\n",
	       round, (unsigned long long)t.passes,
	       (unsigned long long)t.histogram[0], (unsigned long long)t.histogram[1],
	       (unsigned long long)t.histogram[2], (unsigned long long)t.histogram[3]);
}

static void show_huge_candidates(int session)
{
	struct kvmmig_huge_candidate c[4];
	struct kvmmig_huge_candidates a = { .size = sizeof(a), .nr = 4 };

	a.candidates_ptr = (unsigned long)c;
	if (ioctl(session, KVMMIG_GET_HUGE_CANDIDATES, &a))
		die("GET_HUGE_CANDIDATES");
	printf("large-page candidates (best first):\n");
	for (__u32 i = 0; i < a.nr; i++)
		printf("  gfn 0x%llx  %3u of 512 pages accessed last pass, score %.1f\n",
		       (unsigned long long)c[i].gfn, c[i].hits, c[i].score / 256.0);
}

static void show_file(const char *dir, const char *name)
{
	char path[256], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	printf("  %-40s %s", path, buf);
}

static void show_memslots(int session)
{
	struct kvmmig_memslots r = { .size = sizeof(r) };
	struct kvmmig_memslot *v;

	if (!ioctl(session, KVMMIG_GET_MEMSLOTS, &r) || errno != E2BIG)
		die("GET_MEMSLOTS probe");
	v = calloc(r.nr_slots, sizeof(*v));
	r.slots_ptr = (unsigned long)v;
	if (ioctl(session, KVMMIG_GET_MEMSLOTS, &r))
		die("GET_MEMSLOTS");
	printf("memslots (generation %llu):\n", (unsigned long long)r.generation);
	printf("  %-3s %-5s %-18s %-10s %-18s %s\n", "as", "slot", "gpa", "size",
	       "hva", "flags");
	for (__u32 i = 0; i < r.nr_slots; i++)
		printf("  %-3u %-5u 0x%-16llx %6llu KiB 0x%-16llx %s%s%s\n",
		       v[i].as_id, v[i].slot_id,
		       (unsigned long long)v[i].base_gfn << 12,
		       (unsigned long long)v[i].npages * 4,
		       (unsigned long long)v[i].userspace_addr,
		       v[i].kvm_flags & KVM_MEM_LOG_DIRTY_PAGES ? "dirty-log " : "",
		       v[i].kvm_flags & KVM_MEM_READONLY ? "read-only " : "",
		       v[i].flags & KVMMIG_MEMSLOT_F_INTERNAL ? "kvm-internal" : "");
	free(v);
}

static void show_stats(int stats)
{
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *d;
	char id[64] = "";
	size_t dsz;

	if (pread(stats, &hdr, sizeof(hdr), 0) != sizeof(hdr) ||
	    pread(stats, id, hdr.name_size < sizeof(id) ? hdr.name_size : sizeof(id) - 1,
		  hdr.id_offset) < 0)
		die("stats header");
	dsz = sizeof(*d) + hdr.name_size;
	d = malloc(dsz);
	printf("stats fd (%s, %u counters):\n", id, hdr.num_desc);
	for (__u32 i = 0; i < hdr.num_desc; i++) {
		uint64_t val;

		if (pread(stats, d, dsz, hdr.desc_offset + i * dsz) != (ssize_t)dsz ||
		    pread(stats, &val, 8, hdr.data_offset + d->offset) != 8)
			die("stats read");
		printf("  %-24s %llu\n", d->name, (unsigned long long)val);
	}
	free(d);
}

int main(void)
{
	struct kvmmig_attach a = { .size = sizeof(a) };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char dir[64];
	struct ucall uc;
	int dev, session, stats;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    DATA_PAGES, KVM_MEM_LOG_DIRTY_PAGES);
	virt_map(vm, DATA_GPA, DATA_GPA, DATA_PAGES);
	vcpu_args_set(vcpu, 2, DATA_GPA, (uint64_t)DATA_PAGES);
	printf("VM: 1 vCPU in long mode, %d MiB data slot at 0x%llx\n",
	       DATA_PAGES / 256, DATA_GPA);
	printf("guest: works on its first %d MiB, touches every 97th page of the rest\n",
	       HOT_PAGES / 256);

	dev = open("/dev/kvmmig", O_RDWR);
	if (dev < 0)
		die("/dev/kvmmig");
	printf("kvmmig API version %d\n", ioctl(dev, KVMMIG_GET_API_VERSION, 0));
	a.vm_fd = vm->fd;
	session = ioctl(dev, KVMMIG_ATTACH_VM, &a);
	if (session < 0)
		die("ATTACH_VM");
	printf("attached: session %u (fd %d)\n", a.session_id, session);

	printf("page temperature, one pass after each guest round (%d MiB data slot):\n",
	       DATA_PAGES / 256);
	for (int round = 0; round <= ROUNDS; round++) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, &uc) != UCALL_SYNC)
			die("guest did not sync");
		scan_now(session);
		show_temperature(session, round);
	}
	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) != UCALL_DONE)
		die("guest did not finish");
	show_huge_candidates(session);

	show_memslots(session);
	snprintf(dir, sizeof(dir), "/sys/kernel/kvmmig/%u", a.session_id);
	printf("sysfs:\n");
	show_file(dir, "vmm_pid");
	show_file(dir, "kvm_stats_id");
	show_file(dir, "memslots");
	show_file(dir, "guest_memory_bytes");
	show_file(dir, "mm_released");
	show_file("/sys/module/kvmmig/parameters", "max_sessions");
	stats = ioctl(session, KVMMIG_GET_STATS_FD);
	if (stats < 0)
		die("GET_STATS_FD");
	show_stats(stats);

	close(session);
	printf("detached: %s %s\n", dir, access(dir, F_OK) ? "removed" : "STILL THERE");
	close(stats);
	close(dev);
	kvm_vm_free(vm);
	return 0;
}
