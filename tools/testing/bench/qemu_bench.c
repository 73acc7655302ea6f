// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-qemu: the patched QEMU with x-kvmmig against Debian's
 * unmodified QEMU at its best stock setting, the same L2 Linux guest and
 * workloads, in one run inside the test kernel:
 *
 *   mixed     pre-copy, bytes sent: stock vs x-kvmmig
 *   idle      pre-copy with virtio-balloon free-page-hint on both
 *   dirtier   one vCPU writes, the other only reads; the link capped at
 *             half the dirty rate QEMU's calc-dirty-rate measures, the
 *             same downtime limit and the same time limit for both:
 *             stock with auto-converge, kvmmig with x-kvmmig and KVM's
 *             dirty ring; converged or not, and the reader's work during
 *             the migration (each run's rate during the migration over
 *             its own rate before it, so the emulator's speed cancels);
 *             then the kvmmig run once more with the history the first
 *             wrote: total time, second over first
 *   postcopy  the pointer chase, post-copy: pages the destination faulted
 *             on (stock: every request the source got; kvmmig: those
 *             requests less the neighbours requested with them)
 *
 * Each guest boots once under the patched QEMU and migrates with
 * x-kvmmig, then to Debian's QEMU with the capability off, then Debian's
 * to Debian's (the stock run); the dirtier boots once per run (its
 * destination's guest is not reused: see Documentation/design.rst on the
 * capped dirtier).
 * After each migration the destination's guest must go on.  A two-vCPU
 * dirtier that does not boot falls back to one vCPU, and
 * reader_progress_ratio is then n/a.
 * Last line:
 * qemu: mixed_bytes_ratio=.. idle_bytes_ratio=.. dirty_converged=yes|no
 *   stock_dirty_converged=yes|no reader_progress_ratio=..|n/a
 *   postcopy_requests_ratio=.. second_run_time_ratio=.. downtime_ok=yes|no
 */
#include <arpa/inet.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>

#include "../selftests/kvmmig/kvmmig_util.h"
#include "../qmp/qmp.h"
#include "../selftests/kvmmig/qemu_harness.h"

#define DOWNTIME_MS		300
/* The same link and pause for both QEMUs, but in the dirtier */
#define LINK_BENCH	"\"max-bandwidth\":67108864,\"downtime-limit\":300"
#define DIRTY_LIMIT_S		90
#define BASE_S			4
/* Two-vCPU boots tried before the dirtier falls back to one vCPU */
#define SMP_BOOTS		3

struct run {
	unsigned long long bytes, total_ms, downtime_ms, requests;
	unsigned long long faults, prefetched;
	/* KVM's mappings of the source: 4 KiB and 2 MiB pages */
	unsigned long long before_4k, before_2m, during_4k, during_2m;
	bool converged;
	double reader_ratio;
};

FIXTURE(bench) {
	struct qemu_host host;
	struct qemu_end a, b;
};

FIXTURE_SETUP(bench)
{
	ASSERT_EQ(0, getuid());
	snprintf(self->host.dir, sizeof(self->host.dir), "/tmp/kvmmig-qemu-bench");
	self->a.qmp.fd = -1;
	self->b.qmp.fd = -1;
	host_prepare(_metadata, &self->host, true);
	host_allow_uffd(_metadata, &self->host);
}

FIXTURE_TEARDOWN(bench)
{
	stop_qemu(&self->a);
	stop_qemu(&self->b);
	host_cleanup(&self->host);
}

static void set_caps(struct __test_metadata *_metadata, struct qemu_end *e,
		     const char *caps)
{
	char *list = strdup(caps), *item, *save = NULL;
	int ret = 0;

	ASSERT_NE(NULL, list);
	for (item = strtok_r(list, ",", &save); item && !ret;
	     item = strtok_r(NULL, ",", &save)) {
		ret = qmp_call(&e->qmp, NULL,
			       "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"%s\",\"state\":true}]}}",
			       item);
		if (ret)
			fprintf(stderr, "# capability %s refused\n", item);
	}
	free(list);
	ASSERT_EQ(0, ret);
}

/* A new destination of @build in @e, with @caps ("a,b"), -S. */
static void destination(struct __test_metadata *_metadata,
			struct _test_data_bench *self, struct qemu_end *e,
			const struct qemu_case *c, const char *build,
			const char *role, const char *caps, char *uri, size_t size)
{
	int port;

	stop_qemu(e);
	end_paths(e, self->host.dir, role);
	ASSERT_EQ(0, qemu_build(build, e->qemu, sizeof(e->qemu)));
	port = free_tcp_port();
	ASSERT_GT(port, 0);
	snprintf(uri, size, "tcp:127.0.0.1:%d", port);
	start_qemu(_metadata, self->host.kvm_gid, c, e, uri);
	ASSERT_EQ(0, qmp_open(&e->qmp, e->qmp_path, QMP_TIMEOUT_MS)) show_log(e);
	if (caps && *caps)
		set_caps(_metadata, e, caps);
}

static unsigned long long compute_now(struct qemu_end *e, const char *workload)
{
	struct heartbeat hb = { 0 };

	read_console(e->serial, workload, &hb);
	return hb.compute;
}

/*
 * How KVM maps the guest's memory now: its own stats pages_4k and pages_2m
 * of the VM of process @pid (debugfs, /sys/kernel/debug/kvm/PID-FD/).
 * Access bits, hence temperature, are per 2 MiB where KVM maps 2 MiB.
 */
static void kvm_mapping(pid_t pid, unsigned long long *p4k,
			unsigned long long *p2m)
{
	char path[320], prefix[32];
	struct dirent *de;
	FILE *f;
	DIR *d;

	*p4k = 0;
	*p2m = 0;
	if (access("/sys/kernel/debug/kvm", F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	d = opendir("/sys/kernel/debug/kvm");
	if (!d)
		return;
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/pages_4k", de->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%llu", p4k) != 1)
				*p4k = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/pages_2m", de->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%llu", p2m) != 1)
				*p2m = 0;
			fclose(f);
		}
	}
	closedir(d);
}

/* Post-copy: the destination must run once post-copy starts there. */
static void run_destination_when_postcopy(struct qemu_end *d)
{
	char status[64], *reply = NULL;
	long long deadline = now_ms() + MIGRATE_WAIT_S * 1000LL;

	while (now_ms() < deadline) {
		if (qmp_call(&d->qmp, &reply, "{\"execute\":\"query-migrate\"}"))
			return;
		json_get_str(reply, "return.status", status, sizeof(status));
		free(reply);
		reply = NULL;
		if (!strcmp(status, "postcopy-active") || !strcmp(status, "completed")) {
			qmp_call(&d->qmp, NULL, "{\"execute\":\"cont\"}");
			return;
		}
		usleep(50 * 1000);
	}
}

/*
 * Migrate @s to @d: the source's caps and params are set by the caller.
 * With @limit_s, a migration still running then is not converged, and is
 * ended with a long pause.  With @postcopy, post-copy starts after 2 MiB.
 */
static void bench_migrate(struct __test_metadata *_metadata, struct qemu_end *s,
			  struct qemu_end *d, const struct qemu_case *c, const char *uri,
			  int limit_s, bool postcopy, bool dst_runs, struct run *r)
{
	unsigned long long c0 = 0, c1, sent;
	char status[64], *reply = NULL;
	long long t0, deadline;
	bool forced = false;

	memset(r, 0, sizeof(*r));
	r->converged = true;
	kvm_mapping(s->pid, &r->before_4k, &r->before_2m);
	c0 = compute_now(s, c->workload);
	t0 = now_ms();
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL,
			      "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", uri));
	deadline = t0 + (limit_s + MIGRATE_WAIT_S) * 1000LL;
	for (;;) {
		ASSERT_EQ(0, qmp_call(&s->qmp, &reply, "{\"execute\":\"query-migrate\"}"));
		json_get_str(reply, "return.status", status, sizeof(status));
		sent = reply_u64(reply, "return.ram.transferred");
		if (!strcmp(status, "completed") || !strcmp(status, "failed") ||
		    !strcmp(status, "cancelled"))
			break;
		free(reply);
		reply = NULL;
		if (!r->during_4k && !r->during_2m && sent >= (2 << 20))
			kvm_mapping(s->pid, &r->during_4k, &r->during_2m);
		if (postcopy && sent >= (2 << 20)) {
			ASSERT_EQ(0, qmp_call(&s->qmp, NULL,
					      "{\"execute\":\"migrate-start-postcopy\"}"));
			postcopy = false;
			run_destination_when_postcopy(d);
		}
		if (limit_s && !forced && now_ms() - t0 > limit_s * 1000LL) {
			r->converged = false;
			forced = true;
			c1 = compute_now(s, c->workload);
			r->reader_ratio = (double)(c1 - c0) * 1000 / (now_ms() - t0);
			ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, FORCE_END));
		}
		ASSERT_LT(now_ms(), deadline) TH_LOG("migration still %s", status);
		usleep(200 * 1000);
	}
	ASSERT_STREQ("completed", status) {
		TH_LOG("%s", reply);
		show_log(s);
		show_log(d);
	}
	if (!forced) {
		c1 = compute_now(s, c->workload);
		r->reader_ratio = (double)(c1 - c0) * 1000 / (now_ms() - t0 + 1);
	}
	r->bytes = reply_u64(reply, "return.ram.transferred");
	r->total_ms = reply_u64(reply, "return.total-time");
	r->downtime_ms = reply_u64(reply, "return.downtime");
	r->requests = reply_u64(reply, "return.ram.postcopy-requests");
	free(reply);
	reply = NULL;
	/* The destination's side done; it runs (cont) unless told not to. */
	deadline = now_ms() + MIGRATE_WAIT_S * 1000LL;
	for (;;) {
		ASSERT_EQ(0, qmp_call(&d->qmp, &reply, "{\"execute\":\"query-migrate\"}"));
		json_get_str(reply, "return.status", status, sizeof(status));
		r->faults = reply_u64(reply, "return.x-kvmmig.postcopy-faults");
		r->prefetched = reply_u64(reply, "return.x-kvmmig.prefetch-requested");
		free(reply);
		reply = NULL;
		if (!strcmp(status, "completed"))
			break;
		ASSERT_STRNE("failed", status) show_log(d);
		ASSERT_LT(now_ms(), deadline);
		usleep(100 * 1000);
	}
	if (dst_runs)
		ASSERT_EQ(0, qmp_call(&d->qmp, NULL, "{\"execute\":\"cont\"}"));
}

/*
 * One migration of the chain: *@s's guest to a new @build destination
 * named @name, measured into @r; then the destination is *@s and its guest
 * must go on.
 */
static void hop(struct __test_metadata *_metadata, struct _test_data_bench *self,
		const struct qemu_case *c, struct qemu_end **s, struct qemu_end **d,
		const char *build, const char *name, const char *caps,
		bool postcopy, struct run *r, struct heartbeat *hb)
{
	struct qemu_end *t;
	char uri[64];
	int ret;

	ASSERT_EQ(0, qmp_call(&(*s)->qmp, NULL, SET_PARAMS, LINK_BENCH));
	destination(_metadata, self, *d, c, build, name, caps, uri, sizeof(uri));
	bench_migrate(_metadata, *s, *d, c, uri, 0, postcopy, true, r);
	stop_qemu(*s);
	t = *s;
	*s = *d;
	*d = t;
	ret = guest_goes_on(*s, c->workload, hb->iter + 2, ~0ULL, hb);
	ASSERT_EQ(0, ret) {
		show_log(*s);
		show_console(*s);
	}
}

/*
 * One guest, booted under the patched QEMU: migrated patched to patched
 * with x-kvmmig and @caps (the kvmmig run), then to Debian's QEMU with the
 * capability off, then Debian's to Debian's with @stock_caps (the stock
 * run).  (Debian's to the patched QEMU is qemu_kvmmig_test's.)
 */
static void chain(struct __test_metadata *_metadata, struct _test_data_bench *self,
		  const struct qemu_case *c, const char *stock_caps,
		  const char *caps, bool postcopy, struct run *stock,
		  struct run *kvmmig)
{
	struct qemu_end *s = &self->a, *d = &self->b;
	struct heartbeat hb;
	struct run interop;

	end_paths(s, self->host.dir, "src");
	ASSERT_EQ(0, qemu_build("kvmmig", s->qemu, sizeof(s->qemu)));
	boot_source(_metadata, self->host.kvm_gid, c, s, &hb);
	ASSERT_EQ(0, wait_heartbeat(s, c->workload, hb.iter + 2, ~0ULL,
				    PROGRESS_WAIT_S, &hb));
	set_caps(_metadata, s, caps);
	hop(_metadata, self, c, &s, &d, "kvmmig", "d1", caps, postcopy, kvmmig, &hb);
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_CAPS,
			      "{\"capability\":\"x-kvmmig\",\"state\":false}"));
	hop(_metadata, self, c, &s, &d, "stock", "d2", stock_caps, false, &interop, &hb);
	hop(_metadata, self, c, &s, &d, "stock", "d3", stock_caps, postcopy, stock, &hb);
	stop_qemu(s);
}

/* The dirty rate QEMU's calc-dirty-rate measures, in bytes per second. */
static unsigned long long dirty_rate(struct __test_metadata *_metadata,
				     struct qemu_end *e)
{
	long long deadline = now_ms() + 30000;
	unsigned long long mib = 0;
	char status[32], *reply = NULL;

	ASSERT_EQ(0, qmp_call(&e->qmp, NULL,
			      "{\"execute\":\"calc-dirty-rate\",\"arguments\":{\"calc-time\":2}}"));
	while (now_ms() < deadline) {
		usleep(500 * 1000);
		ASSERT_EQ(0, qmp_call(&e->qmp, &reply, "{\"execute\":\"query-dirty-rate\"}"));
		json_get_str(reply, "return.status", status, sizeof(status));
		mib = reply_u64(reply, "return.dirty-rate");
		free(reply);
		reply = NULL;
		if (!strcmp(status, "measured"))
			break;
	}
	return mib << 20;
}

/*
 * The dirtier once: boot under @build, the reader's rate before, then
 * migrate over a link of @link bytes/s (0: measure, and set half the dirty
 * rate) with @caps; the reader's rate during the migration over before.
 * A two-vCPU guest that does not boot in SMP_BOOTS boots makes @c a
 * one-vCPU guest, for this run and the next.  The destination's guest
 * must go on after it.
 */
static void run_dirtier(struct __test_metadata *_metadata,
			struct _test_data_bench *self, struct qemu_case *c,
			const char *build, const char *caps, const char *history,
			unsigned long long *link, struct run *r)
{
	struct qemu_end *s = &self->a, *d = &self->b;
	unsigned long long c0, c1;
	struct heartbeat hb, dhb;
	char uri[64], params[256];
	double base;
	long long t0;
	int ret;

	end_paths(s, self->host.dir, "src");
	ASSERT_EQ(0, qemu_build(build, s->qemu, sizeof(s->qemu)));
	if (c->smp > 1 &&
	    boot_source_try(_metadata, self->host.kvm_gid, c, s, &hb, SMP_BOOTS) < 0) {
		fprintf(stderr, "# dirtier: no two-vCPU boot in %d: one vCPU from here on\n",
			SMP_BOOTS);
		c->smp = 1;
	}
	if (c->smp == 1 && !s->pid)
		boot_source(_metadata, self->host.kvm_gid, c, s, &hb);
	ASSERT_EQ(0, wait_heartbeat(s, c->workload, hb.iter + 2, ~0ULL,
				    PROGRESS_WAIT_S, &hb));
	if (!*link)
		*link = dirty_rate(_metadata, s) / 2;
	ASSERT_LT(0, *link) TH_LOG("calc-dirty-rate measured nothing");
	c0 = compute_now(s, c->workload);
	t0 = now_ms();
	sleep(BASE_S);
	c1 = compute_now(s, c->workload);
	base = (double)(c1 - c0) * 1000 / (now_ms() - t0);

	set_caps(_metadata, s, caps);
	snprintf(params, sizeof(params), "\"max-bandwidth\":%llu,\"downtime-limit\":%d%s%s%s",
		 *link, DOWNTIME_MS, history ? ",\"x-kvmmig-history\":\"" : "",
		 history ? history : "", history ? "\"" : "");
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, params));
	destination(_metadata, self, d, c, build, "d1",
		    strstr(caps, "x-kvmmig") ? "x-kvmmig" : "", uri, sizeof(uri));
	read_console(s->serial, c->workload, &hb);
	bench_migrate(_metadata, s, d, c, uri, DIRTY_LIMIT_S, false, true, r);
	r->reader_ratio = base > 0 ? r->reader_ratio / base : 0;
	ret = guest_goes_on(d, c->workload, hb.iter, ~0ULL, &dhb);
	ASSERT_EQ(0, ret) {
		show_log(d);
		show_console(d);
	}
	fprintf(stderr,
		"# dirtier %s: %d vCPU, link %llu B/s, converged %s in %llu ms, downtime %llu ms, %llu bytes, reader %.2f of its rate before\n",
		build, c->smp, *link, r->converged ? "yes" : "no", r->total_ms,
		r->downtime_ms, r->bytes, r->reader_ratio);
	stop_qemu(s);
	stop_qemu(d);
}

static void show(const char *what, const struct run *r)
{
	fprintf(stderr,
		"# %s: %llu bytes, %llu ms, downtime %llu ms, requests %llu, faults %llu, prefetched %llu\n",
		what, r->bytes, r->total_ms, r->downtime_ms, r->requests,
		r->faults, r->prefetched);
	fprintf(stderr,
		"# %s: KVM maps 4k/2m pages before %llu/%llu, during the migration %llu/%llu\n",
		what, r->before_4k, r->before_2m, r->during_4k, r->during_2m);
}

static const struct qemu_case bench_mixed = {
	.name = "bench_mixed", .workload = "mixed", .smp = 1, .mem_mib = 256,
};

static const struct qemu_case bench_idle = {
	.name = "bench_idle", .workload = "idle", .smp = 1, .mem_mib = 256,
};

static const struct qemu_case bench_chase = {
	.name = "bench_chase", .workload = "chase", .smp = 1, .mem_mib = 256,
};

static struct qemu_case bench_dirtier = {
	.name = "bench_dirtier", .workload = "dirtier", .smp = 2, .mem_mib = 256,
};

#define RESULT_FMT \
	"qemu: mixed_bytes_ratio=%.2f idle_bytes_ratio=%.2f dirty_converged=%s stock_dirty_converged=%s reader_progress_ratio=%s postcopy_requests_ratio=%.2f second_run_time_ratio=%.2f downtime_ok=%s\n"

TEST_F_TIMEOUT(bench, qemu, 3000)
{
	struct run ms, mk, is, ik, ps, pk, ds, dk1, dk2;
	unsigned long long link = 0, faults;
	char history[128], reader[16];
	bool downtime_ok;

	chain(_metadata, self, &bench_mixed, "", "x-kvmmig", false, &ms, &mk);
	show("mixed stock", &ms);
	show("mixed kvmmig", &mk);
	chain(_metadata, self, &bench_idle, "", "x-kvmmig", false, &is, &ik);
	show("idle stock", &is);
	show("idle kvmmig", &ik);
	chain(_metadata, self, &bench_chase, "postcopy-ram", "x-kvmmig,postcopy-ram",
	      true, &ps, &pk);
	show("postcopy stock", &ps);
	show("postcopy kvmmig", &pk);

	run_dirtier(_metadata, self, &bench_dirtier, "stock", "auto-converge",
		    NULL, &link, &ds);
	snprintf(history, sizeof(history), "%s/history", self->host.dir);
	setenv("KVMMIG_QEMU_ACCEL", "kvm,dirty-ring-size=4096", 1);
	run_dirtier(_metadata, self, &bench_dirtier, "kvmmig", "x-kvmmig",
		    history, &link, &dk1);
	run_dirtier(_metadata, self, &bench_dirtier, "kvmmig", "x-kvmmig",
		    history, &link, &dk2);
	unsetenv("KVMMIG_QEMU_ACCEL");

	/* Faults the destination requested: kvmmig's own count */
	faults = pk.faults ? pk.faults : pk.requests;
	downtime_ok = mk.downtime_ms <= DOWNTIME_MS && ik.downtime_ms <= DOWNTIME_MS &&
		      dk1.downtime_ms <= DOWNTIME_MS && dk2.downtime_ms <= DOWNTIME_MS;
	/* one vCPU: no reader apart from the writer, no per-vCPU share */
	if (bench_dirtier.smp > 1)
		snprintf(reader, sizeof(reader), "%.2f",
			 ds.reader_ratio > 0 ? dk1.reader_ratio / ds.reader_ratio : 0);
	else
		snprintf(reader, sizeof(reader), "n/a");
	printf(RESULT_FMT,
	       (double)mk.bytes / (ms.bytes ? ms.bytes : 1),
	       (double)ik.bytes / (is.bytes ? is.bytes : 1),
	       dk1.converged ? "yes" : "no", ds.converged ? "yes" : "no",
	       reader,
	       (double)ps.requests / (faults ? faults : 1),
	       (double)dk2.total_ms / (dk1.total_ms ? dk1.total_ms : 1),
	       downtime_ok ? "yes" : "no");
	fflush(stdout);
}

TEST_HARNESS_MAIN
