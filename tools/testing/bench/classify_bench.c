// SPDX-License-Identifier: GPL-2.0
/*
 * classify_bench: what KVMMIG_CLASSIFY costs against the cheapest thing a
 * VMM could do with the same pages, a userspace memcpy of them, on one VM
 * in one run.
 *
 * The VM's data slot (DATA_MIB) holds mixed contents written by the VMM:
 * per 20 pages, 16 DATA pages (distinct), 1 zero page (written, so
 * allocated), 1 one-word pattern and 2 copies of an earlier DATA page.
 * Then, REPS times, interleaved:
 *  (a) memcpy of the whole slot, from the VMM's mapping of guest memory,
 *      into a buffer of the same size (pre-faulted), as one memcpy() call and as one per page: the
 *      faster of the two is the baseline;
 *  (b) KVMMIG_CLASSIFY over the same pages with a data buffer (pre-faulted):
 *      every page read, DATA pages copied out and hashed, DUPs found.
 * For information, also (c) classify without a data buffer and (d) with
 * one and KVMMIG_CLASSIFY_NO_DUP.
 *
 * classify_vs_memcpy is the bandwidth of (b) over that of (a), medians of
 * the repetitions (both move the slot's bytes per repetition, so it is the
 * ratio of the median times); the ratio of the fastest runs is printed
 * too.  Other work on the host shows up as noise in both.  Timing is never asserted: under TCG only
 * ratios measured in the same run mean anything.  The last line of output
 * is the result line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kvmmig.h>

#include "../selftests/kvmmig/sweep.h"

#define DATA_MIB		64ULL
#define DATA_PAGES		(DATA_MIB * 256)
#define PAGE			4096ULL
#define REPS			11
#define NS_PER_SEC		1000000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static void fill_data(uint64_t *p, uint64_t seed)
{
	for (int i = 0; i < 512; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		p[i] = seed;
	}
}

/* The mixed contents, by page index: see the header. */
static void write_contents(uint8_t *mem)
{
	for (uint64_t p = 0; p < DATA_PAGES; p++) {
		uint64_t *pg = (uint64_t *)(mem + p * PAGE);

		if (p % 20 == 0)
			memset(pg, 0, PAGE);
		else if (p % 20 == 1)
			for (int i = 0; i < 512; i++)
				pg[i] = 0x0101010101010101ULL * (p & 0xff);
		else if (p % 20 <= 3 && p >= 20)
			memcpy(pg, mem + (p - 19) * PAGE, PAGE);
		else
			fill_data(pg, p);
	}
}

static uint64_t classify(int session, __u32 flags, void *classes, void *data,
			 struct kvmmig_classify *out)
{
	struct kvmmig_classify a = {
		.size = sizeof(a), .flags = flags, .npages = DATA_PAGES,
		.gfn = SWEEP_DATA_GPA / 4096,
		.classes_ptr = (__u64)(unsigned long)classes,
		.data_ptr = (__u64)(unsigned long)data,
	};
	uint64_t t0 = now_ns(), t;

	TEST_ASSERT(!ioctl(session, KVMMIG_CLASSIFY, &a),
		    "KVMMIG_CLASSIFY: %s", strerror(errno));
	t = now_ns() - t0;
	TEST_ASSERT(a.nr_done == DATA_PAGES, "pages done %llu",
		    (unsigned long long)a.nr_done);
	if (out)
		*out = a;
	return t;
}

static uint64_t copy(void *dst, const void *src)
{
	uint64_t t0 = now_ns();

	memcpy(dst, src, DATA_PAGES * PAGE);
	/* keep the copy from being optimised away */
	asm volatile("" : : "r"(dst) : "memory");
	return now_ns() - t0;
}

/* The same, one 4 KiB memcpy per page (glibc picks another strategy). */
static uint64_t copy_pages(void *dst, const void *src)
{
	uint64_t t0 = now_ns();

	for (uint64_t p = 0; p < DATA_PAGES; p++)
		memcpy((uint8_t *)dst + p * PAGE, (const uint8_t *)src + p * PAGE,
		       PAGE);
	asm volatile("" : : "r"(dst) : "memory");
	return now_ns() - t0;
}

static uint64_t min_of(const uint64_t *v)
{
	uint64_t m = v[0];

	for (int i = 1; i < REPS; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

static double mib_s(uint64_t ns)
{
	return DATA_MIB * 1e9 / ns;
}

int main(void)
{
	uint64_t t_copy[REPS], t_cls[REPS], t_nodata[REPS], t_nodup[REPS];
	uint64_t t_pages[REPS], m_pages, m_copy, m_cls, m_nodata, m_nodup;
	struct kvmmig_classify a;
	struct sweep_vm s;
	uint8_t *mem, *dst, *data;
	void *classes;
	int session, dev, i;

	setbuf(stdout, NULL);
	sweep_vm_create(&s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	mem = addr_gpa2hva(s.vm, SWEEP_DATA_GPA);
	dev = open("/dev/kvmmig", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(dev >= 0, "open /dev/kvmmig: %s", strerror(errno));
	{
		struct kvmmig_attach at = { .size = sizeof(at), .vm_fd = s.vm->fd };

		session = ioctl(dev, KVMMIG_ATTACH_VM, &at);
		TEST_ASSERT(session >= 0, "ATTACH_VM: %s", strerror(errno));
	}
	write_contents(mem);
	/* the guest runs once (its pages mapped in NPT, as in a live VM) */
	sweep_run(&s, (uint32_t[]){ 0 }, 1, false, 1);

	dst = malloc(DATA_PAGES * PAGE);
	data = malloc(DATA_PAGES * PAGE);
	classes = malloc(DATA_PAGES * sizeof(struct kvmmig_page_class));
	TEST_ASSERT(dst && data && classes, "malloc");
	memset(dst, 1, DATA_PAGES * PAGE);
	memset(data, 1, DATA_PAGES * PAGE);
	memset(classes, 1, DATA_PAGES * sizeof(struct kvmmig_page_class));

	printf("classify bench: data slot %llu MiB (%llu pages), %d repetitions\n",
	       DATA_MIB, DATA_PAGES, REPS);
	/* warm-up, and the classes for the record */
	copy(dst, mem);
	classify(session, 0, classes, data, &a);
	printf("classes: data %llu zero %llu pattern %llu dup %llu no_slot %llu, ",
	       a.class_pages[KVMMIG_CLASS_DATA], a.class_pages[KVMMIG_CLASS_ZERO],
	       a.class_pages[KVMMIG_CLASS_PATTERN], a.class_pages[KVMMIG_CLASS_DUP],
	       a.class_pages[KVMMIG_CLASS_NO_SLOT]);
	printf("nr_data %u\n", a.nr_data);

	for (i = 0; i < REPS; i++) {
		t_copy[i] = copy(dst, mem);
		t_pages[i] = copy_pages(dst, mem);
		t_cls[i] = classify(session, 0, classes, data, NULL);
		t_nodata[i] = classify(session, 0, classes, NULL, NULL);
		t_nodup[i] = classify(session, KVMMIG_CLASSIFY_NO_DUP, classes,
				      data, NULL);
		printf("rep %d: memcpy %.1f ms, per-page memcpy %.1f ms, ",
		       i, ms(t_copy[i]), ms(t_pages[i]));
		printf("classify+data %.1f ms, classify %.1f ms, ",
		       ms(t_cls[i]), ms(t_nodata[i]));
		printf("classify+data NO_DUP %.1f ms\n", ms(t_nodup[i]));
	}
	m_copy = min_of(t_pages) < min_of(t_copy) ? min_of(t_pages) : min_of(t_copy);
	printf("fastest: memcpy %.1f ms, per-page memcpy %.1f ms, ",
	       ms(min_of(t_copy)), ms(min_of(t_pages)));
	printf("classify+data %.1f ms: ratio %.3f\n", ms(min_of(t_cls)),
	       (double)m_copy / min_of(t_cls));
	m_copy = median(t_copy, REPS);
	m_pages = median(t_pages, REPS);
	printf("memcpy medians: one call %.1f ms (%.0f MiB/s), ",
	       ms(m_copy), mib_s(m_copy));
	printf("per page %.1f ms (%.0f MiB/s); the faster is the baseline\n",
	       ms(m_pages), mib_s(m_pages));
	if (m_pages < m_copy)
		m_copy = m_pages;
	m_cls = median(t_cls, REPS);
	m_nodata = median(t_nodata, REPS);
	m_nodup = median(t_nodup, REPS);
	printf("medians: memcpy %.1f ms (%.0f MiB/s), ", ms(m_copy), mib_s(m_copy));
	printf("classify+data %.1f ms (%.0f MiB/s)\n", ms(m_cls), mib_s(m_cls));
	printf("  classify without data %.1f ms (%.0f MiB/s, %.3f x memcpy)\n",
	       ms(m_nodata), mib_s(m_nodata), (double)m_copy / m_nodata);
	printf("  classify+data NO_DUP %.1f ms (%.0f MiB/s, %.3f x memcpy)\n",
	       ms(m_nodup), mib_s(m_nodup), (double)m_copy / m_nodup);

	close(session);
	close(dev);
	kvm_vm_free(s.vm);
	printf("classify: classify_vs_memcpy=%.3f\n", (double)m_copy / m_cls);
	return 0;
}
