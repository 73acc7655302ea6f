// SPDX-License-Identifier: GPL-2.0
/*
 * temperature_bench: what the page temperature scanner costs and how well
 * it finds a hot set, on one VM in one run.  `make bench-temperature` runs
 * it in the test kernel.
 *
 * The VM has one vCPU and a DATA_MIB data slot that the guest writes once,
 * so every page is mapped in NPT and a cold page costs what a real one
 * does.  Then the guest sweeps a hot set: HOT_PAGES pages scattered over a
 * HOT_RANGE_MIB sub-range (sweep.h of the selftests).
 *
 *  - cost_ratio: a 4 KiB pass (KVMMIG_SCAN_4K_BASELINE: one clear_young
 *    per page) over a pass of the module's coarse-to-fine scan, both per
 *    GiB, wall time around the ioctl, medians of interleaved passes taken
 *    after warm-up (hot regions refined, cold ones coarse);
 *  - slowdown: 1 - guest throughput with periodic scanning on / off, in
 *    alternating windows (blocks of off, on, on, off; adjacent windows
 *    merged: a linear drift cancels), at the module's adaptive period;
 *    a run at the shortest period is reported too;
 *  - recall and precision of the hottest level against the hot set.
 *
 * Timing is never asserted: under TCG only ratios measured in the same
 * run mean anything.  The last line of output is the result line.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvmmig.h>

#include "../selftests/kvmmig/sweep.h"

#define DATA_MIB		1024ULL
#define DATA_PAGES		(DATA_MIB * 256)
#define HOT_RANGE_MIB		64ULL
#define HOT_RANGE_PAGES		(HOT_RANGE_MIB * 256)
/* page of the data slot where the hot sub-range starts: mid-slot */
#define HOT_RANGE_FIRST		(DATA_PAGES / 2)
#define HOT_PAGES		(HOT_RANGE_PAGES / 10)
#define HOT_SEED		1

/* busy passes before anything is measured: 3 heat a page, >= 5 wanted */
#define WARMUP_PASSES		6
/* passes of each kind in the cost comparison, interleaved */
#define COST_PASSES		9
/* passes over an idle VM, for the cost of a pass with no region refined */
#define IDLE_PASSES		5
/*
 * Throughput windows: blocks of off, on, on, off units.  At the adaptive
 * period an on window (two units) lasts one scan_period_max_ms, the period
 * the adaptive controller settles at when fewer regions than its target
 * are accessed, as here.
 */
#define ADAPTIVE_BLOCKS		8
#define ADAPTIVE_UNIT_MS	2500
#define SHORT_BLOCKS		4
#define SHORT_UNIT_MS		1000
#define MAX_WINDOWS		(2 * ADAPTIVE_BLOCKS + 1)
/* guest sweeps per KVM_RUN of the throughput loop */
#define SWEEPS_PER_RUN		4

/* the goals */
#define COST_RATIO_GOAL		10.0
#define SLOWDOWN_GOAL		0.02
#define RECALL_GOAL		0.95
#define PRECISION_GOAL		0.95

#define KVMMIG_PARAMS		"/sys/module/kvmmig/parameters"
#define NS_PER_SEC		1000000000ULL
#define GIB			BIT_ULL(30)

struct stats {
	int fd;
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
};

struct bench {
	struct sweep_vm s;
	int session;
	struct stats st;
	uint64_t scanned_pages;	/* user memslots of address space 0 */
	uint32_t hot[HOT_PAGES];
};

/* What one pass cost and did, from the ioctl's wall time and the stats. */
struct pass {
	uint64_t wall_ns;
	uint64_t stat_ns;
	uint64_t tested;
	uint64_t accessed;
	uint64_t regions;
};

/* The vCPU thread of the throughput windows. */
struct vcpu_loop {
	struct bench *b;
	uint64_t reps;
	uint64_t sweeps;	/* atomic */
	int stop;		/* atomic */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static uint64_t min_of(const uint64_t *v, int n)
{
	uint64_t m = v[0];
	int i;

	for (i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static uint64_t median(const uint64_t *v, int n)
{
	uint64_t s[n];

	memcpy(s, v, sizeof(s));
	qsort(s, n, sizeof(*s), cmp_u64);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static uint64_t stat_get(struct stats *st, const char *name)
{
	uint64_t v;
	int i;

	for (i = 0; i < st->h.num_desc; i++) {
		struct kvm_stats_desc *e = get_stats_descriptor(st->d, i, &st->h);

		if (strcmp(e->name, name))
			continue;
		read_stat_data(st->fd, &st->h, e, &v, 1);
		return v;
	}
	TEST_FAIL("no stat %s in the session's stats fd", name);
	return 0;
}

static struct kvmmig_scan scan(int session, __u32 flags, __u32 period_ms)
{
	struct kvmmig_scan a = { .size = sizeof(a), .flags = flags,
				 .period_ms = period_ms };

	TEST_ASSERT(!ioctl(session, KVMMIG_SET_SCAN, &a),
		    "KVMMIG_SET_SCAN 0x%x: %s", flags, strerror(errno));
	return a;
}

/* One KVMMIG_SCAN_NOW pass, timed. */
static void timed_pass(struct bench *b, bool baseline, struct pass *p)
{
	uint64_t tested = stat_get(&b->st, "scan_pages_tested");
	uint64_t accessed = stat_get(&b->st, "scan_regions_accessed");
	uint64_t regions = stat_get(&b->st, "scan_regions");
	uint64_t t0 = now_ns();

	scan(b->session, KVMMIG_SCAN_NOW |
	     (baseline ? KVMMIG_SCAN_4K_BASELINE : 0), 0);
	p->wall_ns = now_ns() - t0;
	p->stat_ns = stat_get(&b->st, "scan_last_pass");
	p->tested = stat_get(&b->st, "scan_pages_tested") - tested;
	p->accessed = stat_get(&b->st, "scan_regions_accessed") - accessed;
	p->regions = stat_get(&b->st, "scan_regions") - regions;
}

static void print_pass(const char *what, int i, const struct pass *p)
{
	printf("  %s %d: %7.1f ms wall, %7.1f ms scan_last_pass, ",
	       what, i, ms(p->wall_ns), ms(p->stat_ns));
	printf("%6llu pages tested, %llu of %llu regions accessed\n",
	       (unsigned long long)p->tested, (unsigned long long)p->accessed,
	       (unsigned long long)p->regions);
}

static void sweep_hot(struct bench *b)
{
	sweep_run(&b->s, b->hot, HOT_PAGES, false, 1);
}

static int attach(struct kvm_vm *vm)
{
	struct kvmmig_attach a = { .size = sizeof(a), .vm_fd = vm->fd };
	int dev = open("/dev/kvmmig", O_RDWR | O_CLOEXEC), fd;

	TEST_ASSERT(dev >= 0, "open /dev/kvmmig: %s", strerror(errno));
	fd = ioctl(dev, KVMMIG_ATTACH_VM, &a);
	TEST_ASSERT(fd >= 0, "KVMMIG_ATTACH_VM: %s", strerror(errno));
	close(dev);
	return fd;
}

static unsigned int read_param(const char *name)
{
	char path[128], buf[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), KVMMIG_PARAMS "/%s", name);
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	TEST_ASSERT(n > 0, "read %s", path);
	close(fd);
	return strtoul(buf, NULL, 0);
}

/* Pages the scanner covers: the user memslots of address space 0. */
static void show_memslots(struct bench *b)
{
	struct kvmmig_memslots r = { .size = sizeof(r) };
	struct kvmmig_memslot *v;
	__u32 i;

	TEST_ASSERT(ioctl(b->session, KVMMIG_GET_MEMSLOTS, &r) && errno == E2BIG,
		    "GET_MEMSLOTS probe");
	v = calloc(r.nr_slots, sizeof(*v));
	TEST_ASSERT(v, "calloc");
	r.slots_ptr = (unsigned long)v;
	TEST_ASSERT(!ioctl(b->session, KVMMIG_GET_MEMSLOTS, &r), "GET_MEMSLOTS");
	for (i = 0; i < r.nr_slots; i++) {
		if (v[i].as_id || v[i].flags & KVMMIG_MEMSLOT_F_INTERNAL)
			continue;
		printf("  memslot %u: gpa 0x%llx, %llu pages (%.1f MiB)\n",
		       v[i].slot_id, (unsigned long long)v[i].base_gfn << 12,
		       (unsigned long long)v[i].npages, v[i].npages / 256.0);
		b->scanned_pages += v[i].npages;
	}
	free(v);
}

/* The guest writes every page of the data slot once. */
static void prefault(struct bench *b)
{
	uint32_t *list = malloc(SWEEP_MAX_LIST * sizeof(*list));
	uint64_t t0 = now_ns(), p, n;
	uint32_t i;

	TEST_ASSERT(list, "malloc");
	for (p = 0; p < DATA_PAGES; p += n) {
		n = DATA_PAGES - p < SWEEP_MAX_LIST ? DATA_PAGES - p : SWEEP_MAX_LIST;
		for (i = 0; i < n; i++)
			list[i] = p + i;
		sweep_run(&b->s, list, n, true, 1);
	}
	printf("pre-fault: the guest wrote all %llu pages in %.1f s\n",
	       DATA_PAGES, (now_ns() - t0) / 1e9);
	free(list);
}

/* Recall and precision of the hottest level over the data slot. */
static void recall_precision(struct bench *b, double *recall, double *precision)
{
	struct kvmmig_temperature t = { .size = sizeof(t), .gfn = SWEEP_DATA_GPA / 4096,
					.npages = DATA_PAGES };
	uint8_t *lv = malloc(DATA_PAGES), *in = calloc(DATA_PAGES, 1);
	uint64_t tp = 0, reported = 0, p;
	uint32_t i;

	TEST_ASSERT(lv && in, "malloc");
	t.levels_ptr = (unsigned long)lv;
	TEST_ASSERT(!ioctl(b->session, KVMMIG_GET_TEMPERATURE, &t),
		    "GET_TEMPERATURE: %s", strerror(errno));
	for (i = 0; i < HOT_PAGES; i++)
		in[b->hot[i]] = 1;
	for (p = 0; p < DATA_PAGES; p++) {
		if (lv[p] != KVMMIG_TEMP_NR_LEVELS - 1)
			continue;
		reported++;
		tp += in[p];
	}
	*recall = (double)tp / HOT_PAGES;
	*precision = reported ? (double)tp / reported : 0;
	printf("temperature after %llu passes: %llu pages reported hottest, ",
	       (unsigned long long)t.passes, (unsigned long long)reported);
	printf("%llu of them in the hot set of %llu\n",
	       (unsigned long long)tp, HOT_PAGES);
	printf("  data slot pages per level 0/1/2/3: %llu/%llu/%llu/%llu\n",
	       (unsigned long long)t.histogram[0],
	       (unsigned long long)t.histogram[1],
	       (unsigned long long)t.histogram[2],
	       (unsigned long long)t.histogram[3]);
	free(in);
	free(lv);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_loop *l = arg;

	while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
		sweep_run(&l->b->s, l->b->hot, HOT_PAGES, false, l->reps);
		__atomic_fetch_add(&l->sweeps, l->reps, __ATOMIC_RELAXED);
	}
	return NULL;
}

struct windows {
	uint64_t ns[2];		/* off, on */
	uint64_t sweeps[2];
	uint64_t passes;	/* passes during the on windows */
	int n;			/* windows */
	double rate[MAX_WINDOWS];
	/* from report_windows() */
	double slowdown;
	double std_err;		/* of the on windows' own estimates */
	double lost_ns;		/* guest time lost per pass */
};

/*
 * @blocks blocks of off, on, on, off windows of one unit each, with
 * adjacent windows of a kind merged (off 1, on 2, off 2, ..., on 2, off 1
 * units), so that a linear drift of the guest's speed weighs on both
 * kinds alike.  An on window starts scanning (@flags, @period_ms) and ends
 * once KVMMIG_SCAN_STOP has returned, which waits for a pass under way:
 * every pass started is counted in full.
 */
static void run_windows(struct bench *b, struct vcpu_loop *l, __u32 flags,
			__u32 period_ms, int blocks, uint64_t unit_ms,
			struct windows *w)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->n = 2 * blocks + 1;
	TEST_ASSERT(w->n <= MAX_WINDOWS, "too many windows");
	for (i = 0; i < w->n; i++) {
		int on = i % 2, units = i && i < w->n - 1 ? 2 : 1;
		uint64_t t0, s0, ns, sw, p0 = 0;

		t0 = now_ns();
		s0 = __atomic_load_n(&l->sweeps, __ATOMIC_RELAXED);
		if (on)
			p0 = scan(b->session, flags, period_ms).passes;
		sleep_ms(units * unit_ms);
		if (on)
			p0 = scan(b->session, KVMMIG_SCAN_STOP, 0).passes - p0;
		sw = __atomic_load_n(&l->sweeps, __ATOMIC_RELAXED) - s0;
		ns = now_ns() - t0;
		w->ns[on] += ns;
		w->sweeps[on] += sw;
		w->passes += p0;
		w->rate[i] = sw * 1e9 / ns;
		printf("  window %d %-3s %5.2f s: %6llu sweeps, %7.1f sweeps/s",
		       i, on ? "on" : "off", ns / 1e9, (unsigned long long)sw,
		       w->rate[i]);
		if (on)
			printf(", %llu passes, period %llu ms",
			       (unsigned long long)p0,
			       (unsigned long long)stat_get(&b->st, "scan_period"));
		printf("\n");
	}
}

/* Square root by Newton's method: the static programs have no libm. */
static double sqrt_newton(double x)
{
	double r = x > 1 ? x : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 64; i++)
		r = (r + x / r) / 2;
	return r;
}

/*
 * Slowdown over all windows, as defined; each on window against the mean
 * of its neighbours too, for the noise; and the guest time a pass cost.
 */
static void report_windows(const char *what, struct windows *w,
			   uint64_t pass_ns)
{
	double off = w->sweeps[0] * 1e9 / w->ns[0];
	double on = w->sweeps[1] * 1e9 / w->ns[1];
	double s[MAX_WINDOWS / 2], mean = 0, var = 0;
	int i, n = w->n / 2;

	w->slowdown = 1 - on / off;
	printf("%s: off %.1f sweeps/s, on %.1f sweeps/s: slowdown %.3f\n",
	       what, off, on, w->slowdown);
	printf("  each on window against its neighbours:");
	for (i = 0; i < n; i++) {
		s[i] = 1 - 2 * w->rate[2 * i + 1] /
			(w->rate[2 * i] + w->rate[2 * i + 2]);
		mean += s[i] / n;
		printf(" %.3f", s[i]);
	}
	for (i = 0; i < n; i++)
		var += (s[i] - mean) * (s[i] - mean) / (n - 1);
	w->std_err = sqrt_newton(var / n);
	printf("\n  their mean %.3f, standard error %.3f\n", mean, w->std_err);
	w->lost_ns = w->passes ? w->slowdown * w->ns[1] / w->passes : 0;
	printf("  %llu passes in %.1f s on: %.1f%% of it scanning at the steady pass cost; ",
	       (unsigned long long)w->passes, w->ns[1] / 1e9,
	       100.0 * w->passes * pass_ns / w->ns[1]);
	printf("guest time lost per pass %.1f ms\n", w->lost_ns / 1e6);
}

static const char *met(bool ok)
{
	return ok ? "met" : "NOT met";
}

/* Medians of the interleaved cost passes. */
struct cost {
	uint64_t mod_ns, mod_stat_ns, mod_tested, regions;
	uint64_t base_ns, base_stat_ns;
	double pair_ratio;	/* median of each pair's ratio */
	/* fastest passes: the least disturbed by other load on the host */
	uint64_t mod_min_ns, base_min_ns;
};

static void cost_passes(struct bench *b, struct cost *c)
{
	uint64_t wall[2][COST_PASSES], stat[2][COST_PASSES];
	uint64_t tested[COST_PASSES], ratio[COST_PASSES];
	struct pass p;
	int i, k;

	printf("cost: %d passes of each kind, interleaved, the hot set swept before each\n",
	       COST_PASSES);
	for (i = 0; i < COST_PASSES; i++) {
		/* which kind goes first alternates */
		for (k = i % 2; k < i % 2 + 2; k++) {
			bool base = k % 2;

			sweep_hot(b);
			timed_pass(b, base, &p);
			print_pass(base ? "4k baseline   " : "coarse-to-fine", i + 1, &p);
			wall[base][i] = p.wall_ns;
			stat[base][i] = p.stat_ns;
			if (!base)
				tested[i] = p.tested;
		}
	}
	c->regions = p.regions;
	c->mod_ns = median(wall[0], COST_PASSES);
	c->mod_stat_ns = median(stat[0], COST_PASSES);
	c->mod_tested = median(tested, COST_PASSES);
	c->base_ns = median(wall[1], COST_PASSES);
	c->base_stat_ns = median(stat[1], COST_PASSES);
	for (i = 0; i < COST_PASSES; i++)
		ratio[i] = wall[1][i] * 1000 / wall[0][i];
	c->pair_ratio = median(ratio, COST_PASSES) / 1000.0;
	c->mod_min_ns = min_of(wall[0], COST_PASSES);
	c->base_min_ns = min_of(wall[1], COST_PASSES);
}

/* Throughput windows; @wa gets those at the adaptive period. */
static void throughput(struct bench *b, const struct cost *c,
		       struct windows *wa)
{
	struct vcpu_loop l = { .b = b, .reps = SWEEPS_PER_RUN };
	uint64_t t0, run_ns;
	unsigned int short_ms;
	struct windows ws;
	pthread_t th;

	t0 = now_ns();
	sweep_run(&b->s, b->hot, HOT_PAGES, false, l.reps);
	run_ns = now_ns() - t0;
	printf("guest speed: one KVM_RUN of %d sweeps of the hot set %.2f ms\n",
	       SWEEPS_PER_RUN, ms(run_ns));
	pthread_create(&th, NULL, vcpu_thread, &l);
	printf("windows at the adaptive period (KVMMIG_SCAN_START), unit %d ms:\n",
	       ADAPTIVE_UNIT_MS);
	run_windows(b, &l, KVMMIG_SCAN_START, 0, ADAPTIVE_BLOCKS,
		    ADAPTIVE_UNIT_MS, wa);
	short_ms = read_param("scan_period_min_ms");
	printf("windows at a fixed %u ms period (scan_period_min_ms), unit %d ms:\n",
	       short_ms, SHORT_UNIT_MS);
	run_windows(b, &l, KVMMIG_SCAN_START | KVMMIG_SCAN_SET_PERIOD, short_ms,
		    SHORT_BLOCKS, SHORT_UNIT_MS, &ws);
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	report_windows("adaptive period", wa, c->mod_ns);
	report_windows("fixed short period", &ws, c->mod_ns);
	printf("slowdown: %.3f at the adaptive period, %.3f at a fixed %u ms period\n",
	       wa->slowdown, ws.slowdown, short_ms);
	/* the short period's loss stands out of the noise: scale it */
	printf("  the fixed period's loss per pass at the adaptive run's pass rate: %.3f\n",
	       ws.lost_ns * wa->passes / wa->ns[1]);
}

/*
 * Where a steady pass's time goes: once the guest is idle its hot regions
 * cool, and a pass refines no region; its cost per region is the coarse
 * cost, the rest of a steady pass is the page-by-page part.  Fastest
 * passes on both sides: the load on the host comes and goes between them.
 */
static void breakdown(struct bench *b, const struct cost *c)
{
	uint64_t wall[IDLE_PASSES], idle_ns;
	double coarse_ns, fine_ns;
	struct pass p;
	int i, k;

	for (k = 1; k <= 8; k++) {
		timed_pass(b, false, &p);
		if (!p.tested)
			break;
	}
	for (i = 0; i < IDLE_PASSES; i++) {
		timed_pass(b, false, &p);
		wall[i] = p.wall_ns;
	}
	idle_ns = min_of(wall, IDLE_PASSES);
	coarse_ns = (double)idle_ns / p.regions;
	fine_ns = c->mod_min_ns - coarse_ns * c->regions;
	printf("idle guest, after %d cooling passes: fastest pass %.1f ms, %llu pages tested, ",
	       k, ms(idle_ns), (unsigned long long)p.tested);
	printf("%.0f ns per coarse 2 MiB region\n", coarse_ns);
	printf("fastest steady coarse-to-fine pass %.1f ms: %llu regions ~%.1f ms (%.0f%%), ",
	       ms(c->mod_min_ns), (unsigned long long)c->regions,
	       coarse_ns * c->regions / 1e6,
	       100.0 * coarse_ns * c->regions / c->mod_min_ns);
	printf("%llu pages tested ~%.1f ms (%.0f%%, %.0f ns a page)\n",
	       (unsigned long long)c->mod_tested, fine_ns / 1e6,
	       100.0 * fine_ns / c->mod_min_ns,
	       c->mod_tested ? fine_ns / c->mod_tested : 0);
	printf("fastest 4k pass %.1f ms: %.0f ns a page\n", ms(c->base_min_ns),
	       (double)c->base_min_ns / b->scanned_pages);
}

int main(void)
{
	double recall, precision, ratio, gib, r, pr;
	uint64_t t_start = now_ns();
	struct windows wa;
	struct cost c;
	struct pass p;
	struct bench *b;
	int i;

	setbuf(stdout, NULL);
	b = calloc(1, sizeof(*b));
	TEST_ASSERT(b, "calloc");
	sweep_vm_create(&b->s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	b->session = attach(b->s.vm);
	b->st.fd = ioctl(b->session, KVMMIG_GET_STATS_FD);
	TEST_ASSERT(b->st.fd >= 0, "KVMMIG_GET_STATS_FD: %s", strerror(errno));
	read_stats_header(b->st.fd, &b->st.h);
	b->st.d = read_stats_descriptors(b->st.fd, &b->st.h);

	sweep_pick(b->hot, HOT_PAGES, HOT_RANGE_PAGES, HOT_SEED, NULL);
	for (i = 0; i < HOT_PAGES; i++)
		b->hot[i] += HOT_RANGE_FIRST;
	printf("temperature bench: one vCPU, data slot %llu MiB (%llu pages, 4 KiB host pages)\n",
	       DATA_MIB, DATA_PAGES);
	printf("hot set: %llu pages scattered over %llu MiB at +%llu MiB of the data slot\n",
	       HOT_PAGES, HOT_RANGE_MIB, HOT_RANGE_FIRST / 256);
	show_memslots(b);
	gib = b->scanned_pages * 4096.0 / GIB;
	printf("scanned: %.3f GiB (user memslots of address space 0)\n", gib);
	prefault(b);

	printf("warm-up: %d passes, the guest sweeping the hot set before each\n",
	       WARMUP_PASSES);
	for (i = 0; i < WARMUP_PASSES; i++) {
		sweep_hot(b);
		timed_pass(b, false, &p);
		print_pass("pass", i + 1, &p);
	}
	recall_precision(b, &recall, &precision);

	cost_passes(b, &c);
	ratio = (double)c.base_ns / c.mod_ns;
	printf("coarse-to-fine pass, medians: %.1f ms wall (%.1f ms/GiB), ",
	       ms(c.mod_ns), ms(c.mod_ns) / gib);
	printf("%.1f ms scan_last_pass (%.1f ms/GiB)\n",
	       ms(c.mod_stat_ns), ms(c.mod_stat_ns) / gib);
	printf("4k baseline pass, medians:    %.1f ms wall (%.1f ms/GiB), ",
	       ms(c.base_ns), ms(c.base_ns) / gib);
	printf("%.1f ms scan_last_pass (%.1f ms/GiB)\n",
	       ms(c.base_stat_ns), ms(c.base_stat_ns) / gib);
	printf("cost ratio: %.2f by ioctl wall time, %.2f by scan_last_pass, ",
	       ratio, (double)c.base_stat_ns / c.mod_stat_ns);
	printf("%.2f as the median of the pairs' ratios\n", c.pair_ratio);
	printf("  fastest passes: %.1f ms and %.1f ms, ratio %.2f\n",
	       ms(c.mod_min_ns), ms(c.base_min_ns),
	       (double)c.base_min_ns / c.mod_min_ns);

	throughput(b, &c, &wa);
	/* for information: the map after the periodic passes */
	recall_precision(b, &r, &pr);
	printf("  after the periodic passes: recall %.3f, precision %.3f\n", r, pr);
	breakdown(b, &c);

	printf("goals: cost_ratio >= %.0f %s, slowdown <= %.2f %s (%.3f, standard error %.3f), ",
	       COST_RATIO_GOAL, met(ratio >= COST_RATIO_GOAL), SLOWDOWN_GOAL,
	       met(wa.slowdown <= SLOWDOWN_GOAL), wa.slowdown, wa.std_err);
	printf("recall >= %.2f %s, precision >= %.2f %s\n",
	       RECALL_GOAL, met(recall >= RECALL_GOAL),
	       PRECISION_GOAL, met(precision >= PRECISION_GOAL));
	close(b->st.fd);
	free(b->st.d);
	close(b->session);
	kvm_vm_free(b->s.vm);
	free(b);
	printf("bench time %.1f s\n", (now_ns() - t_start) / 1e9);
	printf("temperature: cost_ratio=%.2f slowdown=%.3f recall=%.3f precision=%.3f\n",
	       ratio, wa.slowdown, recall, precision);
	return 0;
}
