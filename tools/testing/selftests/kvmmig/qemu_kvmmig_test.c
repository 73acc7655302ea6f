// SPDX-License-Identifier: GPL-2.0
/*
 * The patched QEMU (tools/qemu) with x-kvmmig, migrating a real Linux guest
 * inside the test kernel: what the capability promises, checked with
 * oracles QEMU and the module do not control (the RAM files of both ends
 * compared from outside, the guest's own checks and progress counters,
 * /sys/kernel/kvmmig/ for the module's sessions, QEMU's own status).
 *
 *   lifecycle: one guest, booted under the patched QEMU, x-kvmmig on, for
 *     one destination after the other:
 *     - a destination without the capability: the migration fails at the
 *       stream's start, the source runs on, its session is gone;
 *     - migrate_cancel mid-round: the same;
 *     - a destination killed mid-pre-copy: the same;
 *     - a destination with it: completed, RAM files equal, the guest goes
 *       on there, the history file says one migration;
 *     - from there to another with the same history file: the history
 *       each migration wrote is loaded by the next, by another QEMU too;
 *     - the capability off again, to Debian's QEMU (interop).
 *   postcopy: the pointer chase, post-copy with x-kvmmig: the destination
 *     requests the faults' guest-virtual neighbours, and the guest's own
 *     checks pass.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "kvmmig_util.h"
#include "../../qmp/qmp.h"
#include "qemu_harness.h"

#define SYSFS_SESSIONS	"/sys/kernel/kvmmig"
#define SLOW_LINK	"\"max-bandwidth\":2097152"
#define FAST_LINK	"\"max-bandwidth\":1073741824,\"downtime-limit\":2000"

FIXTURE(kvmmig) {
	struct qemu_host host;
	struct qemu_end src, dst, next;
};

FIXTURE_SETUP(kvmmig)
{
	int uid_ok = getuid() == 0;

	ASSERT_TRUE(uid_ok) TH_LOG("must run as root (it prepares the QEMU user)");
	snprintf(self->host.dir, sizeof(self->host.dir), "/tmp/kvmmig-qemu-kvmmig");
	self->src.qmp.fd = -1;
	self->dst.qmp.fd = -1;
	self->next.qmp.fd = -1;
}

FIXTURE_TEARDOWN(kvmmig)
{
	stop_qemu(&self->src);
	stop_qemu(&self->dst);
	stop_qemu(&self->next);
	host_cleanup(&self->host);
}

static void use_build(struct __test_metadata *_metadata, struct qemu_end *e,
		      const char *build)
{
	ASSERT_EQ(0, qemu_build(build, e->qemu, sizeof(e->qemu)))
		TH_LOG("no QEMU build %s", build);
	ASSERT_EQ(0, access(e->qemu, X_OK)) TH_LOG("%s", e->qemu);
}

/* Sessions the module has now (entries of /sys/kernel/kvmmig/). */
static bool session_exists(unsigned long long id)
{
	char path[64];

	snprintf(path, sizeof(path), SYSFS_SESSIONS "/%llu", id);
	return access(path, F_OK) == 0;
}

/* The source's migration status and its x-kvmmig session id (0: none). */
static void migrate_status(struct __test_metadata *_metadata, struct qemu_end *e,
			   char *status, size_t size, unsigned long long *session,
			   unsigned long long *transferred)
{
	char *reply = NULL;
	uint64_t id;

	ASSERT_EQ(0, qmp_call(&e->qmp, &reply, "{\"execute\":\"query-migrate\"}"));
	status[0] = 0;
	json_get_str(reply, "return.status", status, size);
	/* ~0: no x-kvmmig member, never attached (ids start at 0) */
	if (session)
		*session = json_get_u64(reply, "return.x-kvmmig.session", &id) ?
			   ~0ULL : id;
	if (transferred)
		*transferred = reply_u64(reply, "return.ram.transferred");
	free(reply);
}

/* Poll the source until the migration is no longer running. */
static void wait_migration_end(struct __test_metadata *_metadata,
			       struct qemu_end *e, char *status, size_t size)
{
	long long deadline = now_ms() + MIGRATE_WAIT_S * 1000LL;

	for (;;) {
		migrate_status(_metadata, e, status, size, NULL, NULL);
		if (!strcmp(status, "completed") || !strcmp(status, "failed") ||
		    !strcmp(status, "cancelled"))
			return;
		ASSERT_LT(now_ms(), deadline) TH_LOG("migration still %s", status);
		usleep(100 * 1000);
	}
}

/* Poll until the migration runs and has sent @bytes; returns its session. */
static unsigned long long wait_sent(struct __test_metadata *_metadata,
				    struct qemu_end *e, unsigned long long bytes)
{
	long long deadline = now_ms() + MIGRATE_WAIT_S * 1000LL;
	unsigned long long session = 0, sent = 0;
	char status[64];

	for (;;) {
		migrate_status(_metadata, e, status, sizeof(status), &session, &sent);
		if (!strcmp(status, "active") && sent >= bytes)
			return session;
		ASSERT_STRNE("failed", status);
		ASSERT_STRNE("completed", status) TH_LOG("the slow link was not slow");
		ASSERT_LT(now_ms(), deadline) TH_LOG("%s, %llu bytes sent", status, sent);
		usleep(100 * 1000);
	}
}

static void migrate_to(struct __test_metadata *_metadata, struct qemu_end *e,
		       const char *uri)
{
	char *reply = NULL;
	int ret;

	ret = qmp_call(&e->qmp, &reply,
		       "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", uri);
	ASSERT_EQ(0, ret) TH_LOG("migrate: %s", reply ? reply : strerror(-ret));
	free(reply);
}

/*
 * After a migration that did not happen: the source's guest is running
 * and goes on, what it checked holds, and the session of that migration
 * is gone.
 */
static void source_unharmed(struct __test_metadata *_metadata,
			    struct qemu_end *e, const struct qemu_case *c,
			    unsigned long long session, const char *what)
{
	struct heartbeat hb = { 0 };
	unsigned long long before;
	char status[64];
	int ret;

	ASSERT_EQ(0, query_status(&e->qmp, status, sizeof(status)));
	EXPECT_STREQ("running", status) TH_LOG("%s: the source is %s", what, status);
	if (session != ~0ULL)
		EXPECT_FALSE(session_exists(session))
			TH_LOG("%s: session %llu still attached", what, session);
	read_console(e->serial, c->workload, &hb);
	before = hb.iter;
	ret = guest_goes_on(e, c->workload, hb.iter + 1, ~0ULL, &hb);
	fprintf(stderr, "# %s: the source's guest: %s (iter %llu -> %llu)\n", what,
		ret ? "no progress" : "runs on", before, hb.iter);
	EXPECT_EQ(0, ret) show_console(e);
	EXPECT_EQ(0, hb.errors_max);
}

/* A destination of build @build listening on a new port, x-kvmmig @on. */
static void start_destination(struct __test_metadata *_metadata,
			      struct _test_data_kvmmig *self, struct qemu_end *e,
			      const struct qemu_case *c, const char *build,
			      const char *role, bool on, char *uri, size_t size)
{
	int port;

	stop_qemu(e);
	end_paths(e, self->host.dir, role);
	use_build(_metadata, e, build);
	port = free_tcp_port();
	ASSERT_GT(port, 0);
	snprintf(uri, size, "tcp:127.0.0.1:%d", port);
	start_qemu(_metadata, self->host.kvm_gid, c, e, uri);
	ASSERT_EQ(0, qmp_open(&e->qmp, e->qmp_path, QMP_TIMEOUT_MS)) show_log(e);
	if (on)
		ASSERT_EQ(0, qmp_call(&e->qmp, NULL, SET_CAPS,
				      "{\"capability\":\"x-kvmmig\",\"state\":true}"));
}

static void compare_ram(struct __test_metadata *_metadata,
			const struct qemu_case *c, struct qemu_end *a,
			struct qemu_end *b, const struct heartbeat *boot)
{
	size_t pages = (size_t)c->mem_mib << 8, diff = 0, i;
	unsigned long long wall_gpa = boot->wall_clock - boot->text + L2_KERNEL_PHYS;
	uint64_t *ha = hash_ram_file(a->ram, pages);
	uint64_t *hb2 = hash_ram_file(b->ram, pages);

	ASSERT_NE(NULL, ha);
	ASSERT_NE(NULL, hb2);
	ASSERT_TRUE(boot->text && boot->wall_clock) TH_LOG("no kallsyms lines at boot");
	for (i = 0; i < pages; i++) {
		if (ha[i] == hb2[i] ||
		    only_wall_clock_differs(a->ram, b->ram, i, wall_gpa))
			continue;
		if (diff++ < 4)
			show_page_diff(c->name, a->ram, b->ram, i);
	}
	free(ha);
	free(hb2);
	EXPECT_EQ(0, diff) TH_LOG("%s: %zu of %zu pages differ", c->name, diff, pages);
}

/*
 * Migrate @from to @to (started with -S) to completion; then, both
 * stopped, compare their RAM files, and let @to run: its guest goes on.
 * @boot: the heartbeat of the guest's boot (where its kernel is).
 */
static void migrate_whole(struct __test_metadata *_metadata,
			  const struct qemu_case *c, struct qemu_end *from,
			  struct qemu_end *to, const char *uri, char **src_reply,
			  const struct heartbeat *boot)
{
	struct heartbeat hb = { 0 }, dhb = { 0 };
	long long deadline;
	char status[64];
	int ret;

	migrate_to(_metadata, from, uri);
	wait_migration_end(_metadata, from, status, sizeof(status));
	ASSERT_STREQ("completed", status) {
		show_log(from);
		show_log(to);
	}
	if (src_reply)
		ASSERT_EQ(0, qmp_call(&from->qmp, src_reply, "{\"execute\":\"query-migrate\"}"));
	deadline = now_ms() + QMP_TIMEOUT_MS;
	for (;;) {
		migrate_status(_metadata, to, status, sizeof(status), NULL, NULL);
		if (!strcmp(status, "completed"))
			break;
		ASSERT_STRNE("failed", status) show_log(to);
		ASSERT_LT(now_ms(), deadline) TH_LOG("destination still %s", status);
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, qmp_call(&to->qmp, NULL, "{\"execute\":\"stop\"}"));
	read_console(from->serial, c->workload, &hb);
	EXPECT_EQ(0, hb.errors_max);
	if (c->file_ram)
		compare_ram(_metadata, c, from, to, boot);
	ASSERT_EQ(0, qmp_call(&to->qmp, NULL, "{\"execute\":\"cont\"}"));
	/* The guest goes on, what it checked holds. */
	ret = guest_goes_on(to, c->workload, hb.iter + 1, ~0ULL, &dhb);
	fprintf(stderr, "# %s: the guest on %s after cont: %s (iter %llu -> %llu)\n",
		c->name, to->role, ret ? "no progress" : "runs on", hb.iter,
		dhb.iter);
	EXPECT_EQ(0, ret) show_console(to);
	EXPECT_EQ(0, dhb.errors_max);
}

/* The value of @key in the history file (GKeyFile "key=value" lines). */
static long long history_value(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == '=')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

static const struct qemu_case lifecycle_case = {
	.name = "kvmmig_lifecycle", .workload = "mixed", .file_ram = true,
	.smp = 1, .mem_mib = 256,
};

TEST_F_TIMEOUT(kvmmig, lifecycle, 600)
{
	const struct qemu_case *c = &lifecycle_case;
	char uri[64], status[64], history[128], params[256], log[4096];
	struct qemu_end *s = &self->src, *d = &self->dst, *t;
	unsigned long long session;
	struct heartbeat boot = { 0 };
	char *reply = NULL;
	int fd;
	ssize_t n;

	host_prepare(_metadata, &self->host, true);
	snprintf(history, sizeof(history), "%s/history", self->host.dir);

	/*
	 * Booted under the patched QEMU.  (Debian's QEMU to the patched one,
	 * the capability off, completes with equal RAM files, but the guest
	 * then stops on the destination: Documentation/qemu.rst, "Open".)
	 */
	fprintf(stderr, "# lifecycle: 1. boot under the patched QEMU\n");
	end_paths(s, self->host.dir, "src");
	use_build(_metadata, s, "kvmmig");
	boot_source(_metadata, self->host.kvm_gid, c, s, &boot);

	/* x-kvmmig on from here on. */
	ASSERT_EQ(0, qmp_call(&s->qmp, &reply, SET_CAPS,
			      "{\"capability\":\"x-kvmmig\",\"state\":true}"))
		TH_LOG("x-kvmmig refused: %s", reply);
	free(reply);
	reply = NULL;
	snprintf(params, sizeof(params), "\"x-kvmmig-history\":\"%s\"," SLOW_LINK,
		 history);
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, params));

	/* 2. A destination without the capability refuses the stream. */
	fprintf(stderr, "# lifecycle: 2. a destination without the capability\n");
	start_destination(_metadata, self, d, c, "kvmmig", "dst1", false,
			  uri, sizeof(uri));
	migrate_to(_metadata, s, uri);
	wait_migration_end(_metadata, s, status, sizeof(status));
	EXPECT_STREQ("failed", status);
	migrate_status(_metadata, s, status, sizeof(status), &session, NULL);
	EXPECT_NE(~0ULL, session) TH_LOG("the source never attached");
	source_unharmed(_metadata, s, c, session, "mismatch");
	fd = open(d->log, O_RDONLY);
	n = fd >= 0 ? read(fd, log, sizeof(log) - 1) : -1;
	if (fd >= 0)
		close(fd);
	log[n > 0 ? n : 0] = 0;
	EXPECT_NE(NULL, strstr(log, "x-kvmmig")) TH_LOG("destination said: %s", log);

	/* 3. migrate_cancel in the middle of a round. */
	fprintf(stderr, "# lifecycle: 3. migrate_cancel in the middle of a round\n");
	start_destination(_metadata, self, d, c, "kvmmig", "dst2", true,
			  uri, sizeof(uri));
	migrate_to(_metadata, s, uri);
	session = wait_sent(_metadata, s, 4 << 20);
	EXPECT_TRUE(session_exists(session)) TH_LOG("session %llu not in sysfs", session);
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, "{\"execute\":\"migrate_cancel\"}"));
	wait_migration_end(_metadata, s, status, sizeof(status));
	EXPECT_STREQ("cancelled", status);
	source_unharmed(_metadata, s, c, session, "cancel");

	/* 4. The destination killed in the middle of pre-copy. */
	fprintf(stderr, "# lifecycle: 4. The destination killed in the middle of pre-copy\n");
	start_destination(_metadata, self, d, c, "kvmmig", "dst3", true,
			  uri, sizeof(uri));
	migrate_to(_metadata, s, uri);
	session = wait_sent(_metadata, s, 4 << 20);
	stop_qemu(d);
	wait_migration_end(_metadata, s, status, sizeof(status));
	EXPECT_STREQ("failed", status);
	source_unharmed(_metadata, s, c, session, "destination killed");
	/* Each attempt loaded the file the last one wrote, and wrote it back */
	EXPECT_EQ(3, history_value(history, "migrations"));
	EXPECT_EQ(2, history_value(history, "last-outcome"));	/* failed */

	/* 5. A destination with the capability: the whole migration. */
	fprintf(stderr, "# lifecycle: 5. A destination with the capability: the whole migration\n");
	start_destination(_metadata, self, d, c, "kvmmig", "dst4", true,
			  uri, sizeof(uri));
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, FAST_LINK));
	migrate_whole(_metadata, c, s, d, uri, &reply, &boot);
	EXPECT_LT(0, reply_u64(reply, "return.x-kvmmig.order-passes"))
		TH_LOG("no pass in kvmmig's order: %s", reply);
	fprintf(stderr, "# lifecycle: %s\n", reply);
	free(reply);
	reply = NULL;
	EXPECT_EQ(4, history_value(history, "migrations"));
	EXPECT_EQ(1, history_value(history, "last-outcome"));	/* converged */
	stop_qemu(s);
	t = s;
	s = d;
	d = t;

	/* 6. On, with the same history file: another QEMU loads it. */
	fprintf(stderr, "# lifecycle: 6. On, with the same history file: another QEMU loads it\n");
	snprintf(params, sizeof(params), "\"x-kvmmig-history\":\"%s\"," FAST_LINK,
		 history);
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, params));
	start_destination(_metadata, self, d, c, "kvmmig", "dst5", true,
			  uri, sizeof(uri));
	migrate_whole(_metadata, c, s, d, uri, NULL, &boot);
	EXPECT_EQ(5, history_value(history, "migrations"))
		TH_LOG("another QEMU did not load the history: migrations=%lld",
		       history_value(history, "migrations"));
	stop_qemu(s);
	t = s;
	s = d;
	d = t;

	/* 7. The capability off again: back to Debian's QEMU. */
	fprintf(stderr, "# lifecycle: 7. The capability off again: back to Debian's QEMU\n");
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_CAPS,
			      "{\"capability\":\"x-kvmmig\",\"state\":false}"));
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, FAST_LINK));
	start_destination(_metadata, self, d, c, "stock", "dst6", false,
			  uri, sizeof(uri));
	migrate_whole(_metadata, c, s, d, uri, NULL, &boot);
	stop_qemu(s);
	t = s;
	s = d;
	d = t;

	/* 8. And from Debian's QEMU to the patched one, capability off. */
	fprintf(stderr, "# lifecycle: 8. From Debian's QEMU to the patched one\n");
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS, FAST_LINK));
	start_destination(_metadata, self, d, c, "kvmmig", "dst7", false,
			  uri, sizeof(uri));
	migrate_whole(_metadata, c, s, d, uri, NULL, &boot);
}

static const struct qemu_case postcopy_case = {
	.name = "kvmmig_postcopy", .workload = "chase", .file_ram = false,
	.smp = 1, .mem_mib = 256,
};

/*
 * Post-copy with x-kvmmig: the chase walks a structure laid out in one
 * process's virtual memory; on the destination each fault's guest-virtual
 * neighbours are requested with it.  The guest's own checks must pass.
 */
TEST_F_TIMEOUT(kvmmig, postcopy, 240)
{
	const struct qemu_case *c = &postcopy_case;
	static const char caps[] = "{\"capability\":\"x-kvmmig\",\"state\":true}";
	static const char postcopy[] = "{\"capability\":\"postcopy-ram\",\"state\":true}";
	unsigned long long faults, prefetched;
	struct heartbeat hb = { 0 }, dhb = { 0 };
	char uri[64], status[64], *reply = NULL;
	long long deadline;
	int ret;

	host_prepare(_metadata, &self->host, true);
	host_allow_uffd(_metadata, &self->host);
	end_paths(&self->src, self->host.dir, "src");
	use_build(_metadata, &self->src, "kvmmig");
	boot_source(_metadata, self->host.kvm_gid, c, &self->src, &hb);
	ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL, SET_CAPS, caps));
	ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL, SET_CAPS, postcopy));
	ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL, SET_PARAMS, SLOW_LINK));
	start_destination(_metadata, self, &self->dst, c, "kvmmig", "dst", false,
			  uri, sizeof(uri));
	ASSERT_EQ(0, qmp_call(&self->dst.qmp, NULL, SET_CAPS, caps));
	ASSERT_EQ(0, qmp_call(&self->dst.qmp, NULL, SET_CAPS, postcopy));
	migrate_to(_metadata, &self->src, uri);
	wait_sent(_metadata, &self->src, 2 << 20);
	ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL,
			      "{\"execute\":\"migrate-start-postcopy\"}"));

	/* The destination runs as soon as post-copy starts there. */
	deadline = now_ms() + MIGRATE_WAIT_S * 1000LL;
	for (;;) {
		migrate_status(_metadata, &self->dst, status, sizeof(status), NULL, NULL);
		if (!strcmp(status, "postcopy-active") || !strcmp(status, "completed"))
			break;
		ASSERT_STRNE("failed", status) show_log(&self->dst);
		ASSERT_LT(now_ms(), deadline) TH_LOG("destination still %s", status);
		usleep(50 * 1000);
	}
	ASSERT_EQ(0, qmp_call(&self->dst.qmp, NULL, "{\"execute\":\"cont\"}"));
	wait_migration_end(_metadata, &self->src, status, sizeof(status));
	EXPECT_STREQ("completed", status);
	read_console(self->src.serial, c->workload, &hb);
	/* post-copy is over: the guest on the destination goes on */
	ret = guest_goes_on(&self->dst, c->workload, hb.iter + 1, ~0ULL, &dhb);
	fprintf(stderr, "# postcopy: the guest on the destination: %s (iter %llu -> %llu)\n",
		ret ? "no progress" : "runs on", hb.iter, dhb.iter);
	EXPECT_EQ(0, ret) show_console(&self->dst);
	EXPECT_EQ(0, dhb.errors_max);
	ASSERT_EQ(0, qmp_call(&self->dst.qmp, &reply, "{\"execute\":\"query-migrate\"}"));
	faults = reply_u64(reply, "return.x-kvmmig.postcopy-faults");
	prefetched = reply_u64(reply, "return.x-kvmmig.prefetch-requested");
	fprintf(stderr, "# postcopy: %llu faults requested, %llu neighbour pages with them\n",
		faults, prefetched);
	free(reply);
	/*
	 * Post-copy ran on the destination.  How many neighbours the module
	 * found is printed: early in post-copy the guest's page tables are
	 * often not there yet, and a walk stops where a table is missing
	 * (seen: 15 faults, no neighbour); bench-qemu measures the effect.
	 */
	EXPECT_LT(0, faults);
}

/* How long stun_per_vcpu waits for a round that splits the stun */
#define STUN_WAIT_S	150
#define STUN_FMT \
	"# stun_per_vcpu: %llu rounds, split %s, writer at most %llu%%, reader %llu%% then\n"

static const struct qemu_case stun_case = {
	.name = "kvmmig_stun", .workload = "dirtier", .smp = 2, .mem_mib = 256,
};

/* Each vCPU's share in a query-migrate reply: "vcpu-stun-percent": [a, b] */
static int vcpu_shares(const char *reply, unsigned long long *s0,
		       unsigned long long *s1)
{
	const char *val;
	size_t len;

	if (json_get(reply, "return.x-kvmmig.vcpu-stun-percent", &val, &len))
		return -ENOENT;
	return sscanf(val, "[ %llu , %llu ]", s0, s1) == 2 ? 0 : -EINVAL;
}

/*
 * The stun per vCPU through QEMU: the dirtier on two vCPUs (vCPU 0
 * writes, vCPU 1 only reads), KVM's dirty ring on (-accel
 * kvm,dirty-ring-size), x-kvmmig, a link far below the dirty rate so the
 * migration cannot converge.  query-migrate on the source must show the
 * stun split per vCPU with the writer stunned more than the reader; then
 * migrate_cancel, and the guest goes on.
 */
TEST_F_TIMEOUT(kvmmig, stun_per_vcpu, 600)
{
	const struct qemu_case *c = &stun_case;
	struct qemu_end *s = &self->src, *d = &self->dst;
	unsigned long long s0, s1, w_max = 0, r_at_w_max = 0, rounds = 0;
	char uri[64], status[64], *reply = NULL;
	struct heartbeat hb;
	bool split = false;
	long long deadline;

	host_prepare(_metadata, &self->host, true);
	ASSERT_EQ(0, setenv("KVMMIG_QEMU_ACCEL", "kvm,dirty-ring-size=4096", 1));
	end_paths(s, self->host.dir, "src");
	use_build(_metadata, s, "kvmmig");
	boot_source(_metadata, self->host.kvm_gid, c, s, &hb);
	ASSERT_EQ(0, wait_heartbeat(s, c->workload, hb.iter + 2, ~0ULL,
				    PROGRESS_WAIT_S, &hb));
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_CAPS,
			      "{\"capability\":\"x-kvmmig\",\"state\":true}"));
	/* 4 MiB/s: a few passes over 256 MiB would take minutes */
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, SET_PARAMS,
			      "\"max-bandwidth\":4194304,\"downtime-limit\":300"));
	start_destination(_metadata, self, d, c, "kvmmig", "dst", true, uri, sizeof(uri));
	migrate_to(_metadata, s, uri);
	deadline = now_ms() + STUN_WAIT_S * 1000LL;
	while (now_ms() < deadline) {
		usleep(500 * 1000);
		ASSERT_EQ(0, qmp_call(&s->qmp, &reply, "{\"execute\":\"query-migrate\"}"));
		json_get_str(reply, "return.status", status, sizeof(status));
		ASSERT_STREQ("active", status) TH_LOG("%s", reply);
		rounds = reply_u64(reply, "return.x-kvmmig.rounds");
		if (strstr(reply, "\"stun-per-vcpu\": true") && !vcpu_shares(reply, &s0, &s1)) {
			split = true;
			if (s0 > w_max) {
				w_max = s0;
				r_at_w_max = s1;
			}
		}
		free(reply);
		reply = NULL;
		if (split && w_max > r_at_w_max)
			break;
	}
	fprintf(stderr, STUN_FMT, rounds, split ? "yes" : "no", w_max, r_at_w_max);
	EXPECT_TRUE(split) TH_LOG("the stun was never split per vCPU");
	EXPECT_GT(w_max, r_at_w_max) TH_LOG("the writer was not stunned more than the reader");
	ASSERT_EQ(0, qmp_call(&s->qmp, NULL, "{\"execute\":\"migrate_cancel\"}"));
	wait_migration_end(_metadata, s, status, sizeof(status));
	EXPECT_STREQ("cancelled", status);
	source_unharmed(_metadata, s, c, ~0ULL, "stun_per_vcpu");
	unsetenv("KVMMIG_QEMU_ACCEL");
}

TEST_HARNESS_MAIN
