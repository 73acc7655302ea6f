// SPDX-License-Identifier: GPL-2.0
/*
 * Live-migrate a real Linux guest with QEMU inside the test kernel.
 *
 * As root, the test prepares what libvirt would: an unprivileged user in
 * group kvm, which owns /dev/kvm and /dev/kvmmig (mode 0660, as the udev
 * rule in tools/udev does).  It runs a source and a destination QEMU as
 * that user, each with a QMP socket and its serial console in a file,
 * boots the L2 guest (tools/testing/linux-guest: Debian's kernel, an
 * initramfs with virtio_balloon and a workload that checks its own data),
 * waits for the workload's heartbeat, migrates over TCP on loopback and
 * checks the result with oracles QEMU does not control:
 *   - RAM on memory-backend-file (tmpfs, share=on, one file per side):
 *     with both sides stopped (source postmigrate, destination started
 *     with -S, so it never ran before the comparison) the two RAM files,
 *     read from outside QEMU, must be equal page for page, but for one
 *     structure: KVM's wall clock (struct pvclock_wall_clock), which the
 *     destination's KVM rewrites with its own time when QEMU restores
 *     MSR_KVM_WALL_CLOCK_NEW, before the guest runs; the guest prints its
 *     address from kallsyms (nokaslr), and the test accepts a difference
 *     there only if the rest of the page is equal and the structure is a
 *     later, complete KVM update (even, higher version);
 *   - every case: after `cont` the workload's counter advances on the
 *     destination and its own checks still count 0 errors.
 * The guest boots with init_on_free=1: with free-page-hint=on the source
 * does not send pages the guest reported free, and zeroed free pages make
 * "equal files" hold for them too.
 *
 * Each case prints one result line ("# qemu: CASE boot_attempts=N
 * boot_ms=... total_ms=... transferred_bytes=... converged=yes|no ...");
 * boot_attempts counts L2 boots that stalled before the guest's init (in
 * the test kernel, at random) and were retried.  Whether the dirtier
 * converges under a bandwidth cap and auto-converge is reported, not
 * judged: when it has not converged after CONVERGE_WAIT_S the downtime
 * limit is raised so that the migration ends and the destination is still
 * checked.
 *
 * Environment (all optional):
 *   KVMMIG_QEMU_SRC, KVMMIG_QEMU_DST  the QEMU of each end: a build name
 *       from the builds file, or a path (default: stock)
 *   KVMMIG_QEMU_BUILDS  the builds file, lines "NAME PATH" (default
 *       /usr/local/share/kvmmig/qemu-builds, written by check.sh)
 *   KVMMIG_QEMU_SRC_CAPS, KVMMIG_QEMU_DST_CAPS  more migration
 *       capabilities for that end, "name=on,name=off"
 *   KVMMIG_QEMU_SRC_PARAMS, KVMMIG_QEMU_DST_PARAMS  more migration
 *       parameters, "name=value,..." (digits: a number; true/false: a
 *       bool; else a string)
 *   KVMMIG_QEMU_SRC_ARGS, KVMMIG_QEMU_DST_ARGS  more QEMU arguments,
 *       separated by spaces
 *   KVMMIG_QEMU_DATADIR  firmware and option ROMs, QEMU's -L (default
 *       /usr/local/share/kvmmig/qemu-data, written by check.sh)
 *   KVMMIG_L2_DIR  kernel and initramfs.cpio of the L2 guest (default
 *       /usr/local/share/kvmmig/linux-guest)
 *   KVMMIG_QEMU_PIN_CPU  the test kernel's CPU that runs both QEMUs
 *       (default 1, or 0 on one CPU; -1: no pinning)
 *   KVMMIG_QEMU_BALLOON  the balloon's -device (default BALLOON below)
 *   KVMMIG_QEMU_CASES  run only the cases named in it (the others skip)
 *   KVMMIG_QEMU_ACCEL, KVMMIG_QEMU_CPU  -accel and -cpu (default kvm,
 *       host,xsave=off; tcg/max lets the harness be tried without KVM)
 * A missing piece (QEMU, firmware, guest, /dev/kvm, /dev/kvmmig) fails.
 */
#include "qemu_harness.h"

FIXTURE(qemu) {
	struct qemu_host host;
	struct qemu_end src, dst;
};

FIXTURE_VARIANT(qemu) {
	struct qemu_case c;
};

FIXTURE_VARIANT_ADD(qemu, file_mixed) {
	.c = {
		.name = "file_mixed", .workload = "mixed", .file_ram = true,
		.smp = 1, .mem_mib = 256,
	},
};

FIXTURE_SETUP(qemu)
{
	int uid_ok = getuid() == 0;

	ASSERT_TRUE(uid_ok) TH_LOG("must run as root (it prepares the QEMU user)");
	snprintf(self->host.dir, sizeof(self->host.dir), "/tmp/kvmmig-qemu-%s", variant->c.name);
}

FIXTURE_TEARDOWN(qemu)
{
	stop_qemu(&self->src);
	stop_qemu(&self->dst);
	host_cleanup(&self->host);
}

#define KVMMIG_INFO_FMT \
	"# %s: x-kvmmig: session %llu, %llu passes in kvmmig's order (last: %llu cold pages first, %llu hot last), %llu pages hinted free, %llu stun rounds, stun at most %llu%%\n"

TEST_F_TIMEOUT(qemu, migrate, 200)
{
	unsigned long long transferred, total, total_ms, downtime_ms, dup_pages;
	unsigned long long normal_pages, syncs, throttle, throttle_max = 0;
	unsigned long long src_iter, src_compute = ~0ULL;
	char status[64], incoming[64], *reply = NULL;
	bool converged = true, forced = false;
	struct heartbeat hb, dhb;
	long long t0, boot_ms, deadline;
	uint64_t *hs, *hd;
	size_t pages, diff = 0, i;
	const struct qemu_case *c = &variant->c;
	const char *only = getenv("KVMMIG_QEMU_CASES");
	unsigned long long wall_gpa;
	bool wall_rewritten = false;
	int port, ret, attempt;

	if (only && !strstr(only, c->name))
		SKIP(return, "not in KVMMIG_QEMU_CASES");

	/*
	 * What libvirt does: an unprivileged user in group kvm, which owns
	 * the devices (not with TCG, a way to try the harness alone).
	 */
	host_prepare(_metadata, &self->host,
		     strcmp(env_or("KVMMIG_QEMU_ACCEL", "kvm"), "tcg"));
	end_paths(&self->src, self->host.dir, "src");
	end_paths(&self->dst, self->host.dir, "dst");
	ASSERT_EQ(0, qemu_build(env_or("KVMMIG_QEMU_SRC", "stock"), self->src.qemu,
				sizeof(self->src.qemu)))
		TH_LOG("no QEMU build %s", env_or("KVMMIG_QEMU_SRC", "stock"));
	ASSERT_EQ(0, qemu_build(env_or("KVMMIG_QEMU_DST", "stock"), self->dst.qemu,
				sizeof(self->dst.qemu)))
		TH_LOG("no QEMU build %s", env_or("KVMMIG_QEMU_DST", "stock"));
	ASSERT_EQ(0, access(self->src.qemu, X_OK)) TH_LOG("%s", self->src.qemu);
	ASSERT_EQ(0, access(self->dst.qemu, X_OK)) TH_LOG("%s", self->dst.qemu);
	fprintf(stderr, "# %s: %s -> %s, %s RAM %d MiB, -smp %d, workload %s\n",
		c->name, self->src.qemu, self->dst.qemu,
		c->file_ram ? "file" : "anonymous", c->mem_mib,
		c->smp, c->workload);

	port = free_tcp_port();
	ASSERT_GT(port, 0);
	snprintf(incoming, sizeof(incoming), "tcp:127.0.0.1:%d", port);

	/* The source first, alone. */
	attempt = boot_source(_metadata, self->host.kvm_gid, c, &self->src, &hb);
	boot_ms = now_ms() - self->src.started_ms;
	EXPECT_TRUE(hb.balloon_bound) TH_LOG("virtio_balloon did not bind in the guest");

	start_qemu(_metadata, self->host.kvm_gid, c, &self->dst, incoming);
	ret = qmp_open(&self->dst.qmp, self->dst.qmp_path, QMP_TIMEOUT_MS);
	if (ret)
		show_log(&self->dst);
	ASSERT_EQ(0, ret) TH_LOG("destination QMP: %s", strerror(-ret));

	/* The case's own settings, then the environment's, on each end. */
	if (c->caps)
		ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL, SET_CAPS, c->caps));
	if (c->params)
		ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL, SET_PARAMS, c->params));
	ASSERT_EQ(0, set_from_env(&self->src.qmp, "KVMMIG_QEMU_SRC_CAPS", true));
	ASSERT_EQ(0, set_from_env(&self->dst.qmp, "KVMMIG_QEMU_DST_CAPS", true));
	ASSERT_EQ(0, set_from_env(&self->src.qmp, "KVMMIG_QEMU_SRC_PARAMS", false));
	ASSERT_EQ(0, set_from_env(&self->dst.qmp, "KVMMIG_QEMU_DST_PARAMS", false));

	/* Let the workload run a little past its first heartbeat. */
	ret = wait_heartbeat(&self->src, c->workload, hb.iter + 1, ~0ULL,
			     PROGRESS_WAIT_S, &hb);
	ASSERT_EQ(0, ret);

	t0 = now_ms();
	ret = qmp_call(&self->src.qmp, &reply,
		       "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}",
		       incoming);
	ASSERT_EQ(0, ret) TH_LOG("migrate: %s", reply ? reply : strerror(-ret));
	free(reply);
	deadline = t0 + MIGRATE_WAIT_S * 1000LL;
	for (;;) {
		ret = qmp_call(&self->src.qmp, &reply, "{\"execute\":\"query-migrate\"}");
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, json_get_str(reply, "return.status", status, sizeof(status)));
		throttle = reply_u64(reply, "return.cpu-throttle-percentage");
		if (throttle > throttle_max)
			throttle_max = throttle;
		if (!strcmp(status, "completed") || !strcmp(status, "failed") ||
		    !strcmp(status, "cancelled"))
			break;
		free(reply);
		reply = NULL;
		/*
		 * Not converged in time: report it, and let it end with a
		 * long pause so that the destination can still be checked.
		 */
		if (c->converge_report && !forced &&
		    now_ms() - t0 > CONVERGE_WAIT_S * 1000LL) {
			converged = false;
			forced = true;
			/* allow a long pause, so that it ends */
			ASSERT_EQ(0, qmp_call(&self->src.qmp, NULL, SET_PARAMS, FORCE_END));
		}
		ASSERT_LT(now_ms(), deadline) TH_LOG("migration still %s after %d s",
						     status, MIGRATE_WAIT_S);
		usleep(100 * 1000);
	}
	ASSERT_STREQ("completed", status) {
		TH_LOG("migration %s: %s", status, reply);
		show_log(&self->src);
		show_log(&self->dst);
	}
	total_ms = reply_u64(reply, "return.total-time");
	downtime_ms = reply_u64(reply, "return.downtime");
	transferred = reply_u64(reply, "return.ram.transferred");
	total = reply_u64(reply, "return.ram.total");
	dup_pages = reply_u64(reply, "return.ram.duplicate");
	normal_pages = reply_u64(reply, "return.ram.normal");
	syncs = reply_u64(reply, "return.ram.dirty-sync-count");
	/* with x-kvmmig (KVMMIG_QEMU_*_CAPS), what kvmmig did */
	if (strstr(reply, "\"x-kvmmig\""))
		fprintf(stderr, KVMMIG_INFO_FMT, c->name,
			reply_u64(reply, "return.x-kvmmig.session"),
			reply_u64(reply, "return.x-kvmmig.order-passes"),
			reply_u64(reply, "return.x-kvmmig.order-cold-pages"),
			reply_u64(reply, "return.x-kvmmig.order-hot-pages"),
			reply_u64(reply, "return.x-kvmmig.free-hinted-pages"),
			reply_u64(reply, "return.x-kvmmig.rounds"),
			reply_u64(reply, "return.x-kvmmig.stun-max-percent"));
	free(reply);
	reply = NULL;

	/* The destination: its side done, paused (-S); stop is a no-op then. */
	deadline = now_ms() + QMP_TIMEOUT_MS;
	for (;;) {
		ASSERT_EQ(0, qmp_call(&self->dst.qmp, &reply, "{\"execute\":\"query-migrate\"}"));
		json_get_str(reply, "return.status", status, sizeof(status));
		free(reply);
		reply = NULL;
		if (!strcmp(status, "completed"))
			break;
		ASSERT_STRNE("failed", status) show_log(&self->dst);
		ASSERT_LT(now_ms(), deadline) TH_LOG("destination still %s", status);
		usleep(100 * 1000);
	}
	ASSERT_EQ(0, qmp_call(&self->dst.qmp, NULL, "{\"execute\":\"stop\"}"));
	ASSERT_EQ(0, query_status(&self->src.qmp, status, sizeof(status)));
	EXPECT_STREQ("postmigrate", status);
	ASSERT_EQ(0, query_status(&self->dst.qmp, status, sizeof(status)));
	EXPECT_STREQ("paused", status);

	/* Where the source's guest was when it stopped. */
	read_console(self->src.serial, c->workload, &hb);
	src_iter = hb.iter;
	if (!strcmp(c->workload, "dirtier"))
		src_compute = hb.compute;
	EXPECT_EQ(0, hb.errors_max);

	/* Both stopped: the RAM files must be equal, page for page. */
	if (c->file_ram) {
		pages = (size_t)c->mem_mib << 8;
		hs = hash_ram_file(self->src.ram, pages);
		hd = hash_ram_file(self->dst.ram, pages);
		ASSERT_NE(NULL, hs);
		ASSERT_NE(NULL, hd);
		ASSERT_TRUE(hb.text && hb.wall_clock) TH_LOG("no kallsyms lines on the console");
		/* nokaslr: the kernel runs where it was loaded */
		wall_gpa = hb.wall_clock - hb.text + L2_KERNEL_PHYS;
		for (i = 0; i < pages; i++) {
			if (hs[i] == hd[i])
				continue;
			if (only_wall_clock_differs(self->src.ram, self->dst.ram, i,
						    wall_gpa)) {
				wall_rewritten = true;
				continue;
			}
			if (diff++ < 4)
				show_page_diff(c->name, self->src.ram, self->dst.ram, i);
		}
		free(hs);
		free(hd);
		EXPECT_EQ(0, diff) TH_LOG("%zu of %zu pages differ", diff, pages);
	}

	/* cont: the guest goes on where it stopped, its data intact. */
	ASSERT_EQ(0, qmp_call(&self->dst.qmp, NULL, "{\"execute\":\"cont\"}"));
	ret = guest_goes_on(&self->dst, c->workload, src_iter + 1, src_compute, &dhb);
	if (ret) {
		show_log(&self->dst);
		show_console(&self->dst);
	}
	ASSERT_EQ(0, ret) TH_LOG("the destination's guest made no progress past iter %llu: %s",
				 src_iter, strerror(-ret));
	EXPECT_EQ(0, dhb.errors_max);

	fprintf(stderr,
		"# qemu: %s boot_attempts=%d boot_ms=%lld guest_uptime_s=%.2f total_ms=%llu downtime_ms=%llu transferred_bytes=%llu ram_bytes=%llu duplicate_pages=%llu normal_pages=%llu dirty_syncs=%llu throttle_max=%llu converged=%s ram_files=%s%s iter=%llu->%llu errors=%llu\n",
		c->name, attempt, boot_ms, hb.uptime_s, total_ms, downtime_ms,
		transferred, total, dup_pages, normal_pages, syncs, throttle_max,
		converged ? "yes" : "no",
		c->file_ram ? (diff ? "differ" : "equal") : "n/a",
		wall_rewritten ? "(but_kvm_wall_clock)" : "",
		src_iter, dhb.iter, dhb.errors_max);
	qmp_call(&self->src.qmp, NULL, "{\"execute\":\"quit\"}");
	qmp_call(&self->dst.qmp, NULL, "{\"execute\":\"quit\"}");
}

TEST_HARNESS_MAIN
