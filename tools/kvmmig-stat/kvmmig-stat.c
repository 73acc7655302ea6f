// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-stat: what kvmmig sees of running VMs, for the operator: memory by
 * temperature, dirty rate, stun share, past migrations and whether a
 * pre-copy would converge now.  Attaches read-only to each VM (the VM fd
 * taken from its VMM with pidfd_getfd()).  See README.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvmmig_client.h"
#include "kvmmig_stat.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Exit statuses (README). */
enum {
	EX_OK = 0,
	EX_ERROR = 1,		/* anything else */
	EX_USAGE = 2,
	EX_NO_PID = 3,		/* no such process */
	EX_NO_VM = 4,		/* the process has no KVM VM / no VM anywhere */
	EX_NO_MODULE = 5,	/* /dev/kvmmig missing: kvmmig not loaded */
	EX_PERM = 6,		/* permission denied */
};

#define MAX_FDS		64
#define WARMUP_PASSES	5	/* a page climbs to hot in 4 passes */
#define WARMUP_GAP_MS	200
#define CHUNK_PAGES	BIT_ULL(20)
#define MIB_PAGES	256.0

static struct {
	double interval;
	long count;
	int once, json, no_scan, store_png;
	double bandwidth_mbps, downtime_ms;
	const char *heatmap;
	int scale;		/* 0 auto, 1 page, 512 region */
} opt = { .interval = 1, .count = -1, .bandwidth_mbps = 1000, .downtime_ms = 300 };

struct vm {
	pid_t pid;
	int remote_fd;		/* the VM fd's number in the VMM */
	int pidfd, vm_fd, session;
	uint32_t session_id;
	int read_only;
	struct kvs_stats *own_stats, *vmm_stats;
	int gone;
	/* this refresh */
	struct kvs_slot *slots;
	uint32_t nr_slots;
	uint64_t ram_pages, span_pages;
	uint64_t hist[KVS_NR_LEVELS], passes;
	int temp_ok;
	const char *scanned_by;	/* "kvmmig-stat", "vmm", "none" */
	struct kvs_dirty dirty;
	int dirty_ok;
	struct kvs_history hist_rec;
	int history_ok;
	struct prediction pred;
	uint8_t *cells;
	uint64_t ncells, cell_pages;
};

static struct vm *vms;
static int nr_vms;
static int dev_fd = -1;
static sig_atomic_t stop;	/* set by the signal handler, read atomically */

static int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: kvmmig-stat [options] [PID...]\n"
		"  no PID: every process that holds a KVM VM fd\n"
		"  -i, --interval S        refresh every S seconds (default 1)\n"
		"  -1, --once              one snapshot, then exit\n"
		"  -n, --count N           N refreshes, then exit\n"
		"  -j, --json              one JSON object per VM per refresh\n"
		"  -b, --bandwidth-mbps B  prediction: link of B Mbit/s (default 1000)\n"
		"  -d, --downtime-ms D     prediction: pause allowed, ms (default 300)\n"
		"  -H, --heatmap FILE.png  write the temperature heat map (each refresh)\n"
		"      --heatmap-scale page|region|auto  one pixel per 4 KiB page or\n"
		"                          per 2 MiB region (auto: page up to 16 GiB)\n"
		"      --png-store         PNG without compression or row filter\n"
		"      --no-scan           never run a temperature pass of our own\n"
		"  -h, --help\n");
}

static void err(const char *fmt, ...)
{
	va_list ap;

	fputs("kvmmig-stat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int errno_status(int e)
{
	switch (e) {
	case ESRCH: return EX_NO_PID;
	case EPERM: case EACCES: return EX_PERM;
	default: return EX_ERROR;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (!stopped() && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * fd numbers in /proc/@pid/fd whose link reads @what ("anon_inode:kvm-vm").
 * Returns how many (up to @max), or -errno (-ESRCH: no such process).
 */
static int find_fds(pid_t pid, const char *what, int *fds, int max)
{
	char path[300], link[128];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		int e = errno;
		struct stat st;

		snprintf(path, sizeof(path), "/proc/%d", pid);
		return e == ENOENT || stat(path, &st) ? -ESRCH : -e;
	}
	while ((de = readdir(d)) && n < max) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = 0;
		if (!strcmp(link, what))
			fds[n++] = atoi(de->d_name);
	}
	closedir(d);
	return n;
}

static int vm_known(pid_t pid, int fd)
{
	for (int i = 0; i < nr_vms; i++)
		if (vms[i].pid == pid && vms[i].remote_fd == fd && !vms[i].gone)
			return 1;
	return 0;
}

/* The VMM's own kvmmig session, if it has exactly this one VM: its stats. */
static struct kvs_stats *vmm_session_stats(struct vm *v, int nr_vm_fds)
{
	int fds[MAX_FDS], n;

	if (nr_vm_fds != 1)
		return NULL;
	n = find_fds(v->pid, "anon_inode:kvmmig-session", fds, MAX_FDS);
	for (int i = 0; i < n; i++) {
		int s = syscall(SYS_pidfd_getfd, v->pidfd, fds[i], 0), sfd;

		if (s < 0)
			continue;
		/* ours is read-only; the VMM's is the full one */
		if (kvs_session_access(s) != KVS_ACCESS_FULL) {
			close(s);
			continue;
		}
		sfd = kvs_get_stats_fd(s);
		close(s);
		if (sfd >= 0)
			return kvs_stats_open(sfd);
	}
	return NULL;
}

static int ensure_dev(void)
{
	if (dev_fd >= 0)
		return 0;
	dev_fd = kvs_open_dev();
	if (dev_fd == -ENOENT || dev_fd == -ENODEV || dev_fd == -ENXIO) {
		err("/dev/kvmmig: %s: is the kvmmig module loaded? (modprobe kvmmig)",
		    strerror(-dev_fd));
		return EX_NO_MODULE;
	}
	if (dev_fd < 0) {
		err("/dev/kvmmig: %s%s", strerror(-dev_fd),
		    dev_fd == -EACCES ? " (needs group kvm or root)" : "");
		return errno_status(-dev_fd);
	}
	return 0;
}

/* Attach to the VMs of @pid; @quiet_none: no error when it has none. */
static int add_pid(pid_t pid, int quiet_none)
{
	int fds[MAX_FDS], n, pidfd, ret = 0;

	n = find_fds(pid, "anon_inode:kvm-vm", fds, MAX_FDS);
	if (n == -ESRCH) {
		if (!quiet_none)
			err("pid %d: no such process", pid);
		return EX_NO_PID;
	}
	if (n < 0) {
		if (!quiet_none || n != -EACCES)
			err("pid %d: reading /proc/%d/fd: %s%s", pid, pid, strerror(-n),
			    n == -EACCES ?
			    " (needs ptrace rights over the VMM: its user, or root)" : "");
		return errno_status(-n);
	}
	if (!n) {
		if (!quiet_none)
			err("pid %d: no KVM VM (no anon_inode:kvm-vm fd)", pid);
		return EX_NO_VM;
	}
	ret = ensure_dev();
	if (ret)
		return ret;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		err("pid %d: pidfd_open: %s", pid, strerror(errno));
		return errno_status(errno);
	}
	for (int i = 0; i < n; i++) {
		struct vm v = { .pid = pid, .remote_fd = fds[i], .session = -1 };

		if (vm_known(pid, fds[i]))
			continue;
		v.pidfd = dup(pidfd);
		v.vm_fd = syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
		if (v.vm_fd < 0) {
			err("pid %d: pidfd_getfd(fd %d): %s%s", pid, fds[i], strerror(errno),
			    errno == EPERM ? " (needs ptrace rights over the VMM)" : "");
			ret = errno_status(errno);
			close(v.pidfd);
			continue;
		}
		v.session = kvs_attach_read_only(dev_fd, v.vm_fd, &v.session_id, &v.read_only);
		if (v.session < 0) {
			err("pid %d: attach VM fd %d: %s", pid, fds[i], strerror(-v.session));
			ret = errno_status(-v.session);
			close(v.vm_fd);
			close(v.pidfd);
			continue;
		}
		int sfd = kvs_get_stats_fd(v.session);

		v.own_stats = sfd >= 0 ? kvs_stats_open(sfd) : NULL;
		v.vmm_stats = vmm_session_stats(&v, n);
		vms = realloc(vms, (nr_vms + 1) * sizeof(*vms));
		if (!vms) {
			err("out of memory");
			exit(EX_ERROR);
		}
		vms[nr_vms++] = v;
	}
	close(pidfd);
	return ret;
}

/* Every process with a VM fd (ours excepted). */
static int add_all(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d) {
		err("/proc: %s", strerror(errno));
		return EX_ERROR;
	}
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int r;

		if (*end || pid <= 0 || pid == getpid())
			continue;
		r = add_pid(pid, 1);
		if (r == EX_NO_MODULE) {
			closedir(d);
			return r;
		}
	}
	closedir(d);
	return 0;
}

static void vm_close(struct vm *v)
{
	kvs_stats_close(v->own_stats);
	kvs_stats_close(v->vmm_stats);
	v->own_stats = NULL;
	v->vmm_stats = NULL;
	if (v->session >= 0)
		close(v->session);
	close(v->vm_fd);
	close(v->pidfd);
	v->session = -1;
	v->gone = 1;
}

static int vmm_exited(struct vm *v)
{
	struct pollfd p = { .fd = v->pidfd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* Levels of every page in a memslot: histogram, and cells for the map. */
static void read_temperature(struct vm *v)
{
	uint8_t *buf = NULL;

	memset(v->hist, 0, sizeof(v->hist));
	v->temp_ok = 1;
	free(v->cells);
	v->cells = NULL;
	if (opt.heatmap) {
		v->cell_pages = opt.scale ? opt.scale :
				(v->span_pages > HEATMAP_MAX_PAGE_CELLS ? 512 : 1);
		v->ncells = (v->span_pages + v->cell_pages - 1) / v->cell_pages;
		v->cells = malloc(v->ncells ? v->ncells : 1);
		if (v->cells)
			memset(v->cells, KVS_NO_SLOT, v->ncells);
		buf = malloc(CHUNK_PAGES);
	}
	for (uint32_t i = 0; i < v->nr_slots; i++) {
		struct kvs_slot *s = &v->slots[i];

		for (uint64_t off = 0; off < s->npages; off += CHUNK_PAGES) {
			uint64_t n = s->npages - off < CHUNK_PAGES ? s->npages - off : CHUNK_PAGES;
			uint64_t h[KVS_NR_LEVELS], gfn = s->base_gfn + off;

			if (kvs_get_temperature(v->session, gfn, n, buf, h, &v->passes)) {
				v->temp_ok = 0;
				goto out;
			}
			for (int l = 0; l < KVS_NR_LEVELS; l++)
				v->hist[l] += h[l];
			if (!v->cells || !buf)
				continue;
			for (uint64_t p = 0; p < n; p++) {
				uint64_t c = (gfn + p) / v->cell_pages;
				uint8_t l = buf[p];

				/* a region shows its hottest page */
				if (l != KVS_NO_SLOT && c < v->ncells &&
				    (v->cells[c] == KVS_NO_SLOT || l > v->cells[c]))
					v->cells[c] = l;
			}
		}
	}
out:
	free(buf);
}

static void refresh_vm(struct vm *v, int warmup)
{
	uint64_t hot;
	int r;

	free(v->slots);
	v->slots = NULL;
	if (kvs_get_memslots(v->session, &v->slots, &v->nr_slots))
		v->nr_slots = 0;
	v->ram_pages = 0;
	v->span_pages = 0;
	for (uint32_t i = 0; i < v->nr_slots; i++) {
		uint64_t end = v->slots[i].base_gfn + v->slots[i].npages;

		if (!v->slots[i].internal)
			v->ram_pages += v->slots[i].npages;
		if (end > v->span_pages)
			v->span_pages = end;
	}

	v->scanned_by = "none";
	if (!opt.no_scan) {
		r = kvs_scan_now(v->session);
		if (!r) {
			v->scanned_by = "kvmmig-stat";
			/* --once: heat up a map nobody scanned before */
			for (int i = 1; warmup && i < WARMUP_PASSES && !stopped(); i++) {
				sleep_s(WARMUP_GAP_MS / 1000.0);
				kvs_scan_now(v->session);
			}
		} else if (r == -EBUSY) {
			v->scanned_by = "vmm";
		}
	}
	read_temperature(v);
	if (!v->passes)
		v->temp_ok = 0;

	v->dirty_ok = !kvs_get_dirty_rate(v->session, 1, &v->dirty);
	v->history_ok = !kvs_get_history(v->session, &v->hist_rec);
	if (v->own_stats)
		kvs_stats_refresh(v->own_stats);
	if (v->vmm_stats)
		kvs_stats_refresh(v->vmm_stats);

	/*
	 * hot set: levels 2 and 3, pages accessed in most recent passes; at
	 * least the distinct pages a measured window saw dirtied (the map
	 * lags a guest that moved its working set)
	 */
	hot = v->temp_ok ? v->hist[2] + v->hist[3] : v->ram_pages;
	if (v->dirty_ok && strcmp(v->dirty.source, "none") && v->dirty.dirty_pages > hot)
		hot = v->dirty.dirty_pages;
	{
		uint64_t round0 = v->ram_pages, freed;
		int found = 0;

		freed = kvs_stats_get(v->vmm_stats, "free_hinted_pages", &found);
		if (found && freed < round0)
			round0 -= freed;
		if (hot > round0)
			hot = round0;
		predict(round0, hot, v->dirty_ok && strcmp(v->dirty.source, "none"),
			(double)v->dirty.pages_per_sec, opt.bandwidth_mbps, opt.downtime_ms,
			&v->pred);
	}
}

static struct kvs_stats *stats_of(struct vm *v)
{
	return v->vmm_stats ? v->vmm_stats : v->own_stats;
}

static void json_stat(struct vm *v, const char *name)
{
	int found = 0;
	uint64_t val = kvs_stats_get(stats_of(v), name, &found);

	if (found)
		printf(",\"stat_%s\":%llu", name, (unsigned long long)val);
	else
		printf(",\"stat_%s\":null", name);
}

static void print_json(struct vm *v, double t)
{
	struct prediction *p = &v->pred;

	printf("{\"time\":%.3f,\"pid\":%d,\"vm_fd\":%d,\"session_id\":%u,\"access\":\"%s\"",
	       t, v->pid, v->remote_fd, v->session_id, v->read_only ? "read" : "full");
	printf(",\"guest_ram_bytes\":%llu,\"guest_ram_pages\":%llu,\"memslots\":%u",
	       (unsigned long long)v->ram_pages * 4096, (unsigned long long)v->ram_pages,
	       v->nr_slots);
	printf(",\"span_pages\":%llu", (unsigned long long)v->span_pages);
	printf(",\"temperature_valid\":%s,\"scanned_by\":\"%s\",\"temp_passes\":%llu",
	       v->temp_ok ? "true" : "false", v->scanned_by, (unsigned long long)v->passes);
	for (int l = 0; l < KVS_NR_LEVELS; l++)
		printf(",\"temp_l%d_pages\":%llu,\"temp_l%d_mib\":%.2f", l,
		       (unsigned long long)v->hist[l], l, v->hist[l] / MIB_PAGES);
	printf(",\"dirty_source\":\"%s\",\"dirty_pages_per_sec\":%llu",
	       v->dirty_ok ? v->dirty.source : "unavailable",
	       (unsigned long long)v->dirty.pages_per_sec);
	printf(",\"dirty_mib_per_sec\":%.2f,\"dirty_window_ms\":%llu",
	       v->dirty.pages_per_sec / MIB_PAGES,
	       (unsigned long long)v->dirty.window_ns / 1000000);
	printf(",\"stats_source\":\"%s\"",
	       v->vmm_stats ? "vmm-session" : v->own_stats ? "own-session" : "none");
	json_stat(v, "throttle_pct");
	json_stat(v, "scan_passes");
	json_stat(v, "scan_hot_pages");
	json_stat(v, "dirty_rate");
	json_stat(v, "migrations");
	json_stat(v, "stun_time");
	json_stat(v, "free_hinted_pages");
	if (v->history_ok) {
		printf(",\"hist_migrations\":%llu,\"hist_last_outcome\":\"%s\"",
		       (unsigned long long)v->hist_rec.migrations, v->hist_rec.last_outcome);
		printf(",\"hist_last_rounds\":%llu,\"hist_last_dirty_rate\":%llu",
		       (unsigned long long)v->hist_rec.last_rounds,
		       (unsigned long long)v->hist_rec.last_dirty_rate);
		printf(",\"hist_last_send_rate\":%llu,\"hist_last_throttle_pct\":%u",
		       (unsigned long long)v->hist_rec.last_send_rate,
		       v->hist_rec.last_throttle_pct);
		printf(",\"hist_max_throttle_pct\":%u,\"hist_last_downtime_ms\":%.3f",
		       v->hist_rec.max_throttle_pct, v->hist_rec.last_downtime_ns / 1e6);
	} else {
		printf(",\"hist_migrations\":null");
	}
	printf(",\"pred_bandwidth_mbps\":%.1f,\"pred_downtime_limit_ms\":%.1f",
	       opt.bandwidth_mbps, opt.downtime_ms);
	if (p->known) {
		printf(",\"pred_known\":true,\"pred_converges\":%s,\"pred_rounds\":%llu",
		       p->converges ? "true" : "false", (unsigned long long)p->rounds);
		printf(",\"pred_total_ms\":%.0f,\"pred_downtime_ms\":%.0f",
		       p->total_s * 1000, p->downtime_s * 1000);
		printf(",\"pred_round0_pages\":%llu,\"pred_hot_pages\":%llu",
		       (unsigned long long)p->round0_pages, (unsigned long long)p->hot_pages);
		printf(",\"pred_dirty_pages_per_sec\":%.0f,\"pred_dirty_measured\":%s",
		       p->dirty_pps, p->dirty_measured ? "true" : "false");
	} else {
		printf(",\"pred_known\":false");
	}
	printf("}\n");
}

static void print_header(double t)
{
	char buf[64];
	time_t tt = (time_t)t;

	strftime(buf, sizeof(buf), "%F %T", localtime(&tt));
	printf("kvmmig-stat  %s  every %gs  prediction: %g Mbit/s, downtime %g ms\n", buf,
	       opt.interval, opt.bandwidth_mbps, opt.downtime_ms);
	printf("%7s %4s %8s | %7s %7s %7s %7s | %9s %7s | %5s | %4s %-9s %4s %7s | %s\n",
	       "PID", "FD", "RAM MiB", "COLD", "L1", "L2", "HOT", "DIRTY p/s", "MiB/s",
	       "STUN%", "MIGS", "LAST", "RNDS", "DOWN ms", "PRE-COPY");
}

static void print_row(struct vm *v)
{
	struct prediction *p = &v->pred;
	char temp[4][16], pred[64], dirty[2][16], stun[8];
	int found = 0;
	uint64_t th = kvs_stats_get(stats_of(v), "throttle_pct", &found);

	for (int l = 0; l < KVS_NR_LEVELS; l++) {
		if (v->temp_ok)
			snprintf(temp[l], sizeof(temp[l]), "%.1f", v->hist[l] / MIB_PAGES);
		else
			snprintf(temp[l], sizeof(temp[l]), "-");
	}
	if (v->dirty_ok && strcmp(v->dirty.source, "none")) {
		snprintf(dirty[0], 16, "%llu", (unsigned long long)v->dirty.pages_per_sec);
		snprintf(dirty[1], 16, "%.1f", v->dirty.pages_per_sec / MIB_PAGES);
	} else {
		snprintf(dirty[0], 16, "-");
		snprintf(dirty[1], 16, "-");
	}
	snprintf(stun, sizeof(stun), found ? "%llu" : "-", (unsigned long long)th);
	if (!p->known)
		snprintf(pred, sizeof(pred), "unknown");
	else if (p->converges)
		snprintf(pred, sizeof(pred), "converges: %.1f s, %llu round%s, pause %.0f ms%s",
			 p->total_s, (unsigned long long)p->rounds, p->rounds == 1 ? "" : "s",
			 p->downtime_s * 1000,
			 p->dirty_measured ? "" : " (*)");
	else
		snprintf(pred, sizeof(pred), "does not converge (%.1f MiB hot)%s",
			 p->hot_pages / MIB_PAGES, p->dirty_measured ? "" : " (*)");
	printf("%7d %4d %8.1f | %7s %7s %7s %7s | %9s %7s | %5s | ", v->pid, v->remote_fd,
	       v->ram_pages / MIB_PAGES, temp[0], temp[1], temp[2], temp[3], dirty[0], dirty[1],
	       stun);
	if (v->history_ok && v->hist_rec.migrations)
		printf("%4llu %-9s %4llu %7.1f | ", (unsigned long long)v->hist_rec.migrations,
		       v->hist_rec.last_outcome, (unsigned long long)v->hist_rec.last_rounds,
		       v->hist_rec.last_downtime_ns / 1e6);
	else
		printf("%4d %-9s %4s %7s | ", 0, "-", "-", "-");
	printf("%s\n", pred);
}

/* FILE.png for one VM; FILE.<pid>-<fd>.png when there are several. */
static void write_heatmap(struct vm *v, int several)
{
	char path[PATH_MAX];
	uint32_t w, h;
	int r;

	if (!v->cells) {
		err("pid %d: no heat map: temperature unavailable", v->pid);
		return;
	}
	if (several) {
		const char *dot = strrchr(opt.heatmap, '.');
		int base = dot ? (int)(dot - opt.heatmap) : (int)strlen(opt.heatmap);

		snprintf(path, sizeof(path), "%.*s.%d-%d%s", base, opt.heatmap, v->pid,
			 v->remote_fd, dot ? dot : ".png");
	} else {
		snprintf(path, sizeof(path), "%s", opt.heatmap);
	}
	r = heatmap_write(path, v->cells, v->ncells, opt.store_png, &w, &h);
	if (r)
		err("%s: %s", path, strerror(-r));
	else if (!opt.json)
		printf("heat map of pid %d: %s, %ux%u, one pixel per %s\n", v->pid, path, w, h,
		       v->cell_pages == 1 ? "4 KiB page" : "2 MiB region");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, '1' },
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "bandwidth-mbps", required_argument, NULL, 'b' },
		{ "downtime-ms", required_argument, NULL, 'd' },
		{ "heatmap", required_argument, NULL, 'H' },
		{ "heatmap-scale", required_argument, NULL, 'S' },
		{ "png-store", no_argument, NULL, 'P' },
		{ "no-scan", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, status = 0, auto_mode;
	char *end;

	while ((c = getopt_long(argc, argv, "i:1n:jb:d:H:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			opt.interval = strtod(optarg, &end);
			if (*end || opt.interval < 0.1) {
				err("--interval: a number of seconds, at least 0.1");
				return EX_USAGE;
			}
			break;
		case '1':
			opt.once = 1;
			break;
		case 'n':
			opt.count = strtol(optarg, &end, 10);
			if (*end || opt.count < 1) {
				err("--count: a positive number");
				return EX_USAGE;
			}
			break;
		case 'j':
			opt.json = 1;
			break;
		case 'b':
			opt.bandwidth_mbps = strtod(optarg, &end);
			if (*end || opt.bandwidth_mbps <= 0) {
				err("--bandwidth-mbps: a positive number");
				return EX_USAGE;
			}
			break;
		case 'd':
			opt.downtime_ms = strtod(optarg, &end);
			if (*end || opt.downtime_ms <= 0) {
				err("--downtime-ms: a positive number");
				return EX_USAGE;
			}
			break;
		case 'H':
			opt.heatmap = optarg;
			break;
		case 'S':
			if (!strcmp(optarg, "page")) {
				opt.scale = 1;
			} else if (!strcmp(optarg, "region")) {
				opt.scale = 512;
			} else if (!strcmp(optarg, "auto")) {
				opt.scale = 0;
			} else {
				err("--heatmap-scale: page, region or auto");
				return EX_USAGE;
			}
			break;
		case 'P':
			opt.store_png = 1;
			break;
		case 'N':
			opt.no_scan = 1;
			break;
		case 'h':
			print_help(stdout);
			return EX_OK;
		default:
			print_help(stderr);
			return EX_USAGE;
		}
	}
	if (opt.once)
		opt.count = 1;
	auto_mode = optind == argc;
	for (int i = optind; i < argc; i++) {
		long pid = strtol(argv[i], &end, 10);
		int r;

		if (*end || pid <= 0 || pid > INT_MAX) {
			err("%s: not a pid", argv[i]);
			return EX_USAGE;
		}
		r = add_pid(pid, 0);
		if (r && !status)
			status = r;
		if (r == EX_NO_MODULE)
			return r;
	}
	if (auto_mode) {
		status = add_all();
		if (status)
			return status;
		if (!nr_vms) {
			err("no process has a KVM VM fd that we may read");
			return EX_NO_VM;
		}
	}
	if (!nr_vms)
		return status ? status : EX_NO_VM;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* a first dirty window: from here to the first refresh */
	for (int i = 0; i < nr_vms; i++) {
		struct kvs_dirty d;

		kvs_get_dirty_rate(vms[i].session, 1, &d);
	}
	for (long n = 0; !stopped() && (opt.count < 0 || n < opt.count); n++) {
		int tty = isatty(STDOUT_FILENO) && !opt.json && !opt.once;
		int live = 0, several;
		double t;

		if (auto_mode && n)
			add_all();
		sleep_s(opt.interval);	/* the dirty-rate window */
		if (stopped())
			break;
		for (int i = 0; i < nr_vms; i++) {
			if (vms[i].gone)
				continue;
			if (vmm_exited(&vms[i])) {
				if (!opt.json)
					fprintf(stderr, "kvmmig-stat: pid %d exited\n", vms[i].pid);
				vm_close(&vms[i]);
				continue;
			}
			refresh_vm(&vms[i], opt.once && !n);
			live++;
		}
		if (!live) {
			err("no VM left");
			return status ? status : EX_NO_VM;
		}
		t = now_s();
		several = live > 1;
		if (tty)
			printf("\033[H\033[2J");
		if (!opt.json)
			print_header(t);
		for (int i = 0; i < nr_vms; i++) {
			if (vms[i].gone)
				continue;
			if (opt.json)
				print_json(&vms[i], t);
			else
				print_row(&vms[i]);
			if (opt.heatmap)
				write_heatmap(&vms[i], several);
		}
		for (int i = 0; !opt.json && i < nr_vms; i++) {
			if (!vms[i].gone && vms[i].pred.known && !vms[i].pred.dirty_measured) {
				printf("(*) no measured dirty rate (dirty logging off): %s\n",
				       "every hot page assumed rewritten each round");
				break;
			}
		}
	}
	for (int i = 0; i < nr_vms; i++)
		if (!vms[i].gone)
			vm_close(&vms[i]);
	return status;
}
