// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig selftests: tools/kvmmig-stat, the operator's tool (on the PATH of
 * the test payload).  The test holds a VM with a known hot set and runs
 * the tool on its own pid; what the tool prints is checked against what
 * the test reads itself from KVM (the memslots it created), from
 * GET_TEMPERATURE and from the module's stats fd.  The heat map is parsed
 * here (PNG written without compression, --png-store).  The prediction is
 * compared with a real migration by tools/kvmmig-migrate.
 */
#include <poll.h>
#include <time.h>

#include "kvmmig_util.h"
#include "sweep.h"

#define DATA_PAGES	4096		/* 16 MiB at SWEEP_DATA_GPA (1 GiB) */
#define HOT_PAGES	512
#define PASSES		6
#define TOOL		"kvmmig-stat"
#define PNG_PATH	"/tmp/stat_test.png"
#define HEATMAP_WIDTH	512		/* cells a row (README) */

struct run {
	int status;		/* exit status, or -1 */
	char out[65536];
	char err[8192];
};

/* Run @argv (argv[0] found on the PATH) with stdout and stderr captured. */
static void run_tool(struct run *r, const char *const *argv)
{
	int o[2], e[2], st;
	size_t no = 0, ne = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	TEST_ASSERT(!pipe(o) && !pipe(e), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	for (int open_fds = 2; open_fds;) {
		struct pollfd p[2] = { { o[0], POLLIN }, { e[0], POLLIN } };

		open_fds = 0;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			char *buf = i ? r->err : r->out;
			size_t *n = i ? &ne : &no, cap = (i ? sizeof(r->err) : sizeof(r->out)) - 1;
			char junk[512];
			ssize_t k;

			if (p[i].fd < 0)
				continue;
			if (p[i].revents) {
				k = *n < cap ? read(p[i].fd, buf + *n, cap - *n)
					     : read(p[i].fd, junk, sizeof(junk));
				if (k <= 0) {
					close(p[i].fd);
					if (i)
						e[0] = -1;
					else
						o[0] = -1;
					continue;
				}
				if (*n < cap)
					*n += k;
			}
		}
		open_fds = (o[0] >= 0) + (e[0] >= 0);
	}
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "key":number in @s; false when absent or null. */
static bool json_u64(const char *s, const char *key, uint64_t *v)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	if (!p || !strncmp(p + strlen(pat), "null", 4))
		return false;
	*v = strtoull(p + strlen(pat), NULL, 10);
	return true;
}

static double json_double(const char *s, const char *key)
{
	char pat[96];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

static bool json_str_is(const char *s, const char *key, const char *val)
{
	char pat[160];

	snprintf(pat, sizeof(pat), "\"%s\":\"%s\"", key, val);
	return strstr(s, pat);
}

#define EXPECT_KEY_EQ(json, key, want) do {				\
	const char *_k = (key);						\
	uint64_t _v = ~0ULL;						\
									\
	EXPECT_TRUE(json_u64(json, _k, &_v)) TH_LOG("no %s", _k);	\
	EXPECT_EQ((uint64_t)(want), _v) TH_LOG("%s", _k);		\
} while (0)

/* The VM's memslots as KVM was given them: RAM bytes and span in pages. */
static void kvm_memslots(struct kvm_vm *vm, uint64_t *ram, uint64_t *span)
{
	struct userspace_mem_region *region;
	int bkt;

	*ram = *span = 0;
	hash_for_each(vm->regions.slot_hash, bkt, region, slot_node) {
		uint64_t end = (region->region.guest_phys_addr +
				region->region.memory_size) >> 12;

		*ram += region->region.memory_size;
		if (end > *span)
			*span = end;
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

struct png {
	uint32_t width, height;
	uint8_t depth, colour;
	uint8_t *pixels;	/* RGB rows, the filter byte removed */
};

/*
 * Parse @buf as a PNG whose image data is deflate "stored" blocks (what
 * --png-store writes) with filter 0 on every row.  Returns an error text.
 */
static const char *png_parse(const uint8_t *buf, size_t len, struct png *png)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t *z = NULL, *raw;
	size_t zn = 0, pos = 8, rn = 0, row;
	bool end = false;

	memset(png, 0, sizeof(*png));
	if (len < 8 + 25 || memcmp(buf, sig, 8))
		return "no PNG signature";
	if (be32(buf + 8) != 13 || memcmp(buf + 12, "IHDR", 4))
		return "first chunk is not IHDR";
	png->width = be32(buf + 16);
	png->height = be32(buf + 20);
	png->depth = buf[24];
	png->colour = buf[25];
	while (pos + 12 <= len) {
		uint32_t n = be32(buf + pos);

		if (pos + 12 + n > len)
			return "chunk runs past the end";
		if (!memcmp(buf + pos + 4, "IDAT", 4)) {
			z = realloc(z, zn + n);
			memcpy(z + zn, buf + pos + 8, n);
			zn += n;
		} else if (!memcmp(buf + pos + 4, "IEND", 4)) {
			end = true;
		}
		pos += 12 + n;
	}
	if (!end)
		return "no IEND";
	if (!z || zn < 2 || (z[0] & 0x0f) != 8)
		return "IDAT is not a zlib stream";
	row = (size_t)png->width * 3 + 1;
	raw = malloc(row * png->height);
	for (size_t i = 2; i < zn;) {
		uint8_t h = z[i];
		uint16_t n = z[i + 1] | z[i + 2] << 8;

		if ((h >> 1 & 3) != 0)
			return "a compressed deflate block (expected stored)";
		if (i + 5 + n > zn || rn + n > row * png->height)
			return "stored block runs past the data";
		memcpy(raw + rn, z + i + 5, n);
		rn += n;
		i += 5 + n;
		if (h & 1)
			break;
	}
	free(z);
	if (rn != row * png->height)
		return "image data of the wrong size";
	png->pixels = malloc((size_t)png->width * 3 * png->height);
	for (uint32_t y = 0; y < png->height; y++) {
		if (raw[y * row])
			return "a row filter other than none";
		memcpy(png->pixels + (size_t)y * png->width * 3, raw + y * row + 1, row - 1);
	}
	free(raw);
	return NULL;
}

static bool pixel_is(const struct png *png, uint64_t i, uint32_t rgb)
{
	const uint8_t *p = png->pixels + i * 3;

	return (uint32_t)(p[0] << 16 | p[1] << 8 | p[2]) == rgb;
}

#define RGB_HOT		0xe01e1e	/* README: level 3 */
#define RGB_NO_SLOT	0x000000	/* README: no memslot */

/*
 * The tool's snapshot of our own VM equals what we read ourselves: RAM
 * from the memslots we gave KVM, the temperature histogram and passes
 * from GET_TEMPERATURE, the counters from our session's stats fd; its heat
 * map is a PNG of the documented size whose hot pixels are our hot pages.
 */
TEST(snapshot_matches_module)
{
	struct kvmmig_temperature t = { .size = sizeof(t) };
	uint32_t hot[HOT_PAGES];
	uint64_t ram, span;
	struct sweep_vm s;
	struct run *r = calloc(1, sizeof(*r));
	char pid[16], line[65536], *nl;
	const char *why;
	struct png png;
	int session, stats, hot_px = 0, fd;
	uint8_t *buf;
	ssize_t len;

	sweep_vm_create(&s, DATA_PAGES, VM_MEM_SRC_ANONYMOUS);
	session = kvmmig_attach_vm(s.vm, NULL);
	ASSERT_GE(session, 0);
	stats = ioctl(session, KVMMIG_GET_STATS_FD);
	ASSERT_GE(stats, 0);
	sweep_pick(hot, HOT_PAGES, DATA_PAGES, 7, NULL);
	for (int i = 0; i < PASSES; i++) {
		struct kvmmig_scan sc = { .size = sizeof(sc), .flags = KVMMIG_SCAN_NOW };

		sweep_run(&s, hot, HOT_PAGES, true, 1);
		ASSERT_EQ(0, ioctl(session, KVMMIG_SET_SCAN, &sc));
	}
	kvm_memslots(s.vm, &ram, &span);

	/* oracle: the whole guest-physical range in one call */
	t.gfn = 0;
	t.npages = span;
	ASSERT_EQ(0, ioctl(session, KVMMIG_GET_TEMPERATURE, &t));
	ASSERT_EQ(PASSES, t.passes);

	snprintf(pid, sizeof(pid), "%d", getpid());
	{
		const char *const argv[] = { TOOL, "--once", "--json", "--interval", "0.2",
					     "--png-store", "--heatmap", PNG_PATH, pid, NULL };

		unlink(PNG_PATH);
		run_tool(r, argv);
	}
	TH_LOG("stdout: %s", r->out);
	if (r->err[0])
		TH_LOG("stderr: %s", r->err);
	ASSERT_EQ(0, r->status);
	nl = strchr(r->out, '\n');
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(NULL, strchr(nl + 1, '{')) TH_LOG("one VM, one object");
	snprintf(line, sizeof(line), "%.*s", (int)(nl - r->out), r->out);

	EXPECT_KEY_EQ(line, "pid", getpid());
	EXPECT_KEY_EQ(line, "vm_fd", s.vm->fd);
	EXPECT_TRUE(json_str_is(line, "access", "read"));
	EXPECT_KEY_EQ(line, "guest_ram_bytes", ram);
	EXPECT_KEY_EQ(line, "span_pages", span);
	/* our full session scanned: the tool reads its map and does not scan */
	EXPECT_TRUE(json_str_is(line, "scanned_by", "vmm"));
	EXPECT_KEY_EQ(line, "temp_passes", t.passes);
	EXPECT_KEY_EQ(line, "temp_l0_pages", t.histogram[0]);
	EXPECT_KEY_EQ(line, "temp_l1_pages", t.histogram[1]);
	EXPECT_KEY_EQ(line, "temp_l2_pages", t.histogram[2]);
	EXPECT_KEY_EQ(line, "temp_l3_pages", t.histogram[3]);
	/* and the guest's hot set is hot (the module's own tests bound it) */
	EXPECT_GE(t.histogram[3], HOT_PAGES * 95 / 100);

	/* the counters are our session's, read through the tool's own fd */
	EXPECT_TRUE(json_str_is(line, "stats_source", "vmm-session"));
	EXPECT_KEY_EQ(line, "stat_scan_passes", kvmmig_stat(stats, "scan_passes"));
	EXPECT_KEY_EQ(line, "stat_scan_hot_pages", kvmmig_stat(stats, "scan_hot_pages"));
	EXPECT_KEY_EQ(line, "stat_throttle_pct", kvmmig_stat(stats, "throttle_pct"));
	EXPECT_KEY_EQ(line, "stat_migrations", kvmmig_stat(stats, "migrations"));
	EXPECT_KEY_EQ(line, "hist_migrations", 0);
	/* no dirty logging: no rate, and the prediction says so */
	EXPECT_TRUE(json_str_is(line, "dirty_source", "none"));
	EXPECT_TRUE(!!strstr(line, "\"pred_dirty_measured\":false"));
	EXPECT_TRUE(!!strstr(line, "\"pred_converges\":true"));

	/* the heat map: one pixel per page, HEATMAP_WIDTH a row */
	fd = open(PNG_PATH, O_RDONLY);
	ASSERT_GE(fd, 0);
	buf = malloc(16 << 20);
	len = read(fd, buf, 16 << 20);
	close(fd);
	ASSERT_GT(len, 0);
	why = png_parse(buf, len, &png);
	ASSERT_EQ(NULL, why) TH_LOG("%s: %s", PNG_PATH, why);
	EXPECT_EQ(HEATMAP_WIDTH, png.width);
	EXPECT_EQ((span + HEATMAP_WIDTH - 1) / HEATMAP_WIDTH, png.height);
	EXPECT_EQ(8, png.depth);
	EXPECT_EQ(2, png.colour);	/* RGB */
	for (uint64_t i = 0; i < (uint64_t)png.width * png.height; i++)
		hot_px += pixel_is(&png, i, RGB_HOT);
	EXPECT_EQ(t.histogram[3], hot_px);
	for (int i = 0; i < HOT_PAGES; i++)
		hot_px -= pixel_is(&png, (SWEEP_DATA_GPA >> 12) + hot[i], RGB_HOT);
	EXPECT_LE(hot_px, HOT_PAGES / 20) TH_LOG("hot pixels not on hot pages");
	/* the page below the data slot is in no memslot (slot 0 is small) */
	EXPECT_TRUE(pixel_is(&png, (SWEEP_DATA_GPA >> 12) - 1, RGB_NO_SLOT));
	free(buf);
	free(png.pixels);
	close(stats);
	close(session);
	kvm_vm_free(s.vm);
	free(r);
}

/* Clear errors and the documented exit statuses. */
TEST(errors)
{
	struct run *r = calloc(1, sizeof(*r));
	char pid[16];
	pid_t child;

	/* no such process: 3 */
	{
		const char *const argv[] = { TOOL, "--once", "2147483600", NULL };

		run_tool(r, argv);
		EXPECT_EQ(3, r->status);
		EXPECT_TRUE(!!strstr(r->err, "no such process")) TH_LOG("%s", r->err);
	}
	/* a process without a VM: 4 */
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	snprintf(pid, sizeof(pid), "%d", child);
	{
		const char *const argv[] = { TOOL, "--once", pid, NULL };

		run_tool(r, argv);
		EXPECT_EQ(4, r->status);
		EXPECT_TRUE(!!strstr(r->err, "no KVM VM")) TH_LOG("%s", r->err);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* not a pid, an unknown option: 2 */
	{
		const char *const argv[] = { TOOL, "--once", "vm1", NULL };

		run_tool(r, argv);
		EXPECT_EQ(2, r->status);
		EXPECT_TRUE(!!strstr(r->err, "not a pid")) TH_LOG("%s", r->err);
	}
	{
		const char *const argv[] = { TOOL, "--no-such-option", NULL };

		run_tool(r, argv);
		EXPECT_EQ(2, r->status);
	}
	free(r);
}

/*
 * The prediction against a real migration: kvmmig-migrate runs a guest
 * (hot loop over a small set, the rest static data) for a while, rate
 * limited so that the migration is bandwidth-bound and takes seconds; the
 * tool looks at the source VM before the migration starts, and its
 * predicted time must be within 30% of the migration's total time.
 *
 * The comparison needs a migration the link limits, not the CPU: in the
 * debug kernel (KASAN, lockdep, under TCG) the source sends about 400
 * pages/s at most, so the link is set well below that (8 Mbit/s: 244
 * pages/s), and the downtime limit so that the hot set (about 140 pages,
 * 0.6 s at that rate) fits in it: the migration then converges after one
 * round in every test kernel, as the prediction says.
 */
#define MIG_MBPS	"8"		/* 32 MiB of RAM: about 36 s */
#define MIG_DOWNTIME_MS	"1000"
#define MIG_MEM_MIB	"32"

FIXTURE(mig) {
	int unused;
};

FIXTURE_SETUP(mig)
{
}

FIXTURE_TEARDOWN(mig)
{
}

TEST_F_TIMEOUT(mig, prediction_vs_migration, 280)
{
	const char *const help[] = { "kvmmig-migrate", "--help", NULL };
	const char *const mig[] = { "kvmmig-migrate", "--workload", "hot", "--mem-mib", MIG_MEM_MIB,
				    "--start-delay-ms", "4000", "--bandwidth-mbps", MIG_MBPS,
				    "--downtime-ms", MIG_DOWNTIME_MS, "--json", NULL };
	struct run *r = calloc(1, sizeof(*r));
	char errbuf[8192] = "", *src, *json, out[16384];
	size_t ne = 0, no = 0;
	int o[2], e[2], st;
	uint64_t total_ms = 0;
	double pred_ms;
	pid_t child, src_pid = 0;

	run_tool(r, help);
	if (!strstr(r->err, "--bandwidth-mbps") && !strstr(r->out, "--bandwidth-mbps"))
		SKIP(free(r); return, "kvmmig-migrate has no --bandwidth-mbps");
	if (!strstr(r->err, "--start-delay-ms") && !strstr(r->out, "--start-delay-ms"))
		SKIP(free(r); return, "kvmmig-migrate has no --start-delay-ms");

	ASSERT_EQ(0, pipe(o));
	ASSERT_EQ(0, pipe(e));
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execvp(mig[0], (char *const *)mig);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	/* "kvmmig-migrate: source pid <PID> ready" on its stderr */
	while (!src_pid && ne < sizeof(errbuf) - 1) {
		ssize_t k = read(e[0], errbuf + ne, sizeof(errbuf) - 1 - ne);

		if (k <= 0)
			break;
		ne += k;
		errbuf[ne] = 0;
		src = strstr(errbuf, "kvmmig-migrate: source pid ");
		if (src && strstr(src, " ready"))
			src_pid = atoi(src + strlen("kvmmig-migrate: source pid "));
	}
	ASSERT_GT(src_pid, 0) TH_LOG("no ready line: %s", errbuf);
	{
		char pid[16];
		const char *const argv[] = { TOOL, "--once", "--json", "--interval", "0.5",
					     "--bandwidth-mbps", MIG_MBPS,
					     "--downtime-ms", MIG_DOWNTIME_MS, pid, NULL };

		snprintf(pid, sizeof(pid), "%d", src_pid);
		run_tool(r, argv);
	}
	TH_LOG("kvmmig-stat: %s%s", r->out, r->err);
	/* the rest of the migration's output */
	for (;;) {
		ssize_t k = read(o[0], out + no, sizeof(out) - 1 - no);

		if (k <= 0)
			break;
		no += k;
	}
	out[no] = 0;
	close(o[0]);
	close(e[0]);
	waitpid(child, &st, 0);
	TH_LOG("kvmmig-migrate: %s", out);
	ASSERT_EQ(0, r->status);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	json = strrchr(out, '{');
	ASSERT_NE(NULL, json);
	ASSERT_TRUE(json_str_is(json, "outcome", "converged"));
	ASSERT_TRUE(json_u64(json, "total_ms", &total_ms));
	ASSERT_TRUE(!!strstr(r->out, "\"pred_converges\":true"));
	pred_ms = json_double(r->out, "pred_total_ms");
	TH_LOG("predicted %.0f ms, migration took %llu ms", pred_ms,
	       (unsigned long long)total_ms);
	EXPECT_GE(pred_ms, total_ms * 0.7);
	EXPECT_LE(pred_ms, total_ms * 1.3);
	free(r);
}

TEST_HARNESS_MAIN
