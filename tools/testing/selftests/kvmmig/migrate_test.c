// SPDX-License-Identifier: GPL-2.0
/*
 * End-to-end pre-copy migration in the test kernel: each case runs the
 * reference VMM, tools/kvmmig-migrate (on the PATH of the test payload),
 * which creates a real KVM guest, migrates it over TCP to a destination
 * VM in a second process and verifies it there.  The cases read its JSON
 * summary (the last line of its output) and its exit status, whose
 * meaning is fixed by the tool: 0 converged and verified, 1 verification
 * failed, 2 not converged, 3 destination lost, 4 source lost.
 */
#include "vmm_run.h"

/* A converged migration: equal hashes, the guest runs on the destination. */
#define EXPECT_MIGRATED(res) do {					\
	const struct mig_result *_r = (res);				\
									\
	ASSERT_EQ(0, _r->status);					\
	EXPECT_TRUE(json_str_is(_r, "outcome", "converged"));		\
	EXPECT_TRUE(json_true(_r, "hash_ok"));				\
	EXPECT_TRUE(json_true(_r, "dst_progress"));			\
	EXPECT_GE(json_int(_r, "rounds"), 1);				\
} while (0)

/* Does KVM run this VM with two-dimensional paging (kvm_amd npt=1)? */
static int npt_on(void)
{
	char buf[8] = "";

	return !read_text("/sys/module/kvm_amd/parameters/npt", buf, sizeof(buf)) &&
	       (buf[0] == 'Y' || buf[0] == '1');
}

FIXTURE(mig) {
	int unused;
};

FIXTURE_SETUP(mig)
{
}

FIXTURE_TEARDOWN(mig)
{
}

/*
 * ~70% of the idle guest's memory is hinted free and never sent; what it
 * holds arrives intact.  64 MiB of guest RAM is 16384 pages.
 */
TEST_F_TIMEOUT(mig, idle_skips_free_pages, 280)
{
	static const char *const args[] = { "--workload", "idle", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	EXPECT_GE(json_int(&r, "pages_free"), 16384 * 6 / 10);
	EXPECT_LT(json_int(&r, "bytes"), 16384LL * 4096 * 4 / 10);
}

/* Zero pages travel as metadata, not as 4 KiB each. */
TEST_F_TIMEOUT(mig, zero_pages_as_metadata, 280)
{
	static const char *const args[] = { "--workload", "zero", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	EXPECT_GE(json_int(&r, "pages_zero"), total_pages(&r) / 2);
	EXPECT_LT(json_int(&r, "bytes"),
		  (json_int(&r, "pages_data") + 1024) * 4200);
}

/* Duplicates are sent once, then as references; patterns as metadata. */
TEST_F_TIMEOUT(mig, duplicates_as_references, 280)
{
	static const char *const args[] = { "--workload", "dup", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	EXPECT_GE(json_int(&r, "pages_dup"), total_pages(&r) / 3);
	EXPECT_GT(json_int(&r, "pages_pattern"), 0);
	EXPECT_GT(json_int(&r, "pages_dup"), json_int(&r, "pages_data"));
}

/* A hot loop over a small set while the rest is static data. */
TEST_F_TIMEOUT(mig, hot_loop_migrates, 280)
{
	static const char *const args[] = { "--workload", "hot", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	EXPECT_GT(json_int(&r, "pages_data"), 0);
}

/*
 * The guest that dirties memory faster than it can be sent (four vCPUs:
 * under TCG two dirty slower than loopback sends): without stunning it
 * does not converge within the round limit and the source keeps running;
 * with the module's controller it converges.
 */
TEST_F_TIMEOUT(mig, dirty_converges_only_throttled, 280)
{
	static const char *const plain[] = { "--workload", "dirty", "--vcpus", "4", "--no-throttle",
					     "--max-rounds", "12", NULL };
	static const char *const stun[] = { "--workload", "dirty", "--vcpus", "4",
					    "--max-rounds", "12", NULL };
	struct mig_result p, r;

	run_migrate(&p, plain);
	EXPECT_EQ(0, json_int(&p, "throttle_max_pct"));
	run_migrate(&r, stun);
	EXPECT_MIGRATED(&r);
	EXPECT_GT(json_int(&r, "throttle_max_pct"), 0);
	/*
	 * With NPT the unstunned guest never converges in 12 rounds; with
	 * shadow paging (each first write after a harvest is a slow fault,
	 * which slows the guest's dirtying down) it once did, in round 11:
	 * there it must at least take twice the rounds.
	 */
	if (p.status == 0 && !npt_on()) {
		EXPECT_GE(json_int(&p, "rounds"), 2 * json_int(&r, "rounds"));
	} else {
		ASSERT_EQ(2, p.status);
		EXPECT_TRUE(json_str_is(&p, "outcome", "not_converged"));
		EXPECT_TRUE(json_true(&p, "src_alive"));
	}
}

/*
 * The history of the first migration, loaded into the second session,
 * starts the second one throttled, at the highest share the first reached.
 * Fewer rounds is the aim but not asserted: under TCG the first round
 * (all of RAM) is long enough for this guest to dirty its whole working
 * set at any share the controller allows, so the count of rounds moves by
 * one either way from run to run (make bench-precopy reports the ratio).
 */
TEST_F_TIMEOUT(mig, history_starts_throttled, 280)
{
	static const char hist[] = "/tmp/kvmmig-history.bin";
	static const char *const first[] = { "--workload", "dirty", "--vcpus", "4",
					     "--max-rounds", "30",
					     "--history-out", hist, NULL };
	static const char *const second[] = { "--workload", "dirty", "--vcpus", "4",
					      "--max-rounds", "30",
					      "--history-in", hist, NULL };
	struct mig_result r1, r2;

	unlink(hist);
	run_migrate(&r1, first);
	EXPECT_MIGRATED(&r1);
	EXPECT_EQ(0, json_int(&r1, "throttle_first_pct"));
	ASSERT_EQ(0, access(hist, R_OK));

	run_migrate(&r2, second);
	EXPECT_MIGRATED(&r2);
	EXPECT_GT(json_int(&r2, "throttle_first_pct"), 0);
	EXPECT_EQ(json_int(&r1, "throttle_max_pct"), json_int(&r2, "throttle_first_pct"));
	printf("# rounds: first %lld, second (history loaded) %lld\n",
	       json_int(&r1, "rounds"), json_int(&r2, "rounds"));
	unlink(hist);
}

/* The destination dies mid-migration: the source guest keeps running. */
TEST_F_TIMEOUT(mig, destination_killed, 280)
{
	static const char *const args[] = { "--workload", "hot", "--no-throttle",
					    "--kill-dest-at-round", "2", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	ASSERT_EQ(3, r.status);
	EXPECT_TRUE(json_str_is(&r, "outcome", "dest_lost"));
	EXPECT_TRUE(json_true(&r, "src_alive"));
}

/* The source dies mid-migration: the destination fails, never runs. */
TEST_F_TIMEOUT(mig, source_killed, 280)
{
	static const char *const args[] = { "--workload", "hot", "--no-throttle",
					    "--kill-src-at-round", "2", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	ASSERT_EQ(4, r.status);
	EXPECT_TRUE(json_str_is(&r, "outcome", "src_lost"));
}

/* Pages also go through a file the destination reads. */
TEST_F_TIMEOUT(mig, shared_datastore, 280)
{
	static const char store[] = "/tmp/kvmmig-datastore.img";
	static const char *const args[] = { "--workload", "hot", "--datastore", store,
					    NULL };
	struct mig_result r;

	unlink(store);
	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	/* the stop-and-copy's data pages came out of the file */
	EXPECT_GT(json_int(&r, "pages_dstore"), 0);
	unlink(store);
}

/* The destination in its own network namespace, linked by a veth pair. */
TEST_F_TIMEOUT(mig, netns_transport, 280)
{
	static const char *const args[] = { "--workload", "zero", "--transport", "netns",
					    NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	/* no loopback fallback: the test bed loads veth */
	EXPECT_TRUE(json_str_is(&r, "transport", "netns"));
}

/* The baseline (what the benchmark compares with) migrates correctly too. */
TEST_F_TIMEOUT(mig, baseline_mode, 280)
{
	static const char *const args[] = { "--workload", "zero", "--mode", "baseline",
					    NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	EXPECT_EQ(0, json_int(&r, "pages_dup"));
	EXPECT_EQ(0, json_int(&r, "pages_free"));
}

/*
 * The page data limited to 400 Mbit/s, after the guest ran 500 ms on the
 * source: the migration still converges and verifies (the destination's
 * RAM hash against the source's), and the summary has the run's total
 * time and rounds (what kvmmig-stat's prediction is compared with).
 */
TEST_F_TIMEOUT(mig, rate_limited_after_start_delay, 280)
{
	static const char *const args[] = { "--workload", "hot", "--mem-mib", "16",
					    "--bandwidth-mbps", "400", "--start-delay-ms", "500",
					    NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_MIGRATED(&r);
	EXPECT_GE(json_int(&r, "total_ms"), 0);
	printf("# 400 Mbit/s: %lld bytes in %lld ms, %lld rounds\n", json_int(&r, "bytes"),
	       json_int(&r, "total_ms"), json_int(&r, "rounds"));
}

TEST_HARNESS_MAIN
