// SPDX-License-Identifier: GPL-2.0
/*
 * Post-copy migration and save / restore in the test kernel, end to end:
 * each case runs the reference VMM (tools/kvmmig-migrate) on a small guest
 * and reads its exit status and JSON summary (vmm_run.h).  Post-copy: the
 * destination resumes the guest at once, its guest RAM registered with
 * userfaultfd, and pulls missing pages from the source (with a prefetch
 * list) while a background pass sends the rest; zero, pattern and
 * duplicate pages are filled locally on first touch.  The RAM check is a
 * page hash of what arrived against the source's stopped RAM, and the
 * destination's RAM read back: every frame the guest did not touch there
 * (KVM's dirty log) must hold what was placed or filled.  Save /
 * restore: the image holds the vCPU state, every page (zero and pattern
 * pages as metadata) and the working set; restore loads it lazily, working
 * set first, or all before the guest runs.  The guests are small (16 MiB)
 * to keep the time down under TCG.
 */
#include <sys/stat.h>

#include "vmm_run.h"

#define CHASE_PAGES	(16 * 256 / 4)	/* structure pages of the 16 MiB chase guest */

#define EXPECT_MIGRATED(res) do {					\
	const struct mig_result *_r = (res);				\
									\
	ASSERT_EQ(0, _r->status);					\
	EXPECT_TRUE(json_str_is(_r, "outcome", "converged"));		\
	EXPECT_TRUE(json_true(_r, "hash_ok"));				\
	EXPECT_TRUE(json_true(_r, "dst_progress"));			\
	EXPECT_EQ(0, json_int(_r, "ram_bad"));				\
} while (0)

/* ... and the destination's RAM was read back, most of it. */
#define EXPECT_READ_BACK(res, frames) do {				\
	const struct mig_result *_rb = (res);				\
									\
	EXPECT_MIGRATED(_rb);						\
	EXPECT_GE(json_int(_rb, "ram_checked"), (frames));		\
} while (0)

FIXTURE(pc) {
	int unused;
};

FIXTURE_SETUP(pc)
{
}

FIXTURE_TEARDOWN(pc)
{
}

/*
 * The guest chasing pointers through a structure contiguous in
 * guest-virtual memory, on scattered guest-physical pages: pure post-copy
 * with kvmmig's guest-virtual prefetch (window 8).  The background pass
 * waits until the guest walked the whole structure once, so every
 * structure page is reached by a fault or a prefetch: at most one fault
 * each, and with the window far fewer (about one in nine; a third here
 * leaves room for a walk that loses its reverse index now and then).
 * The prefetched pages are the structure's, and the module counts them.
 */
TEST_F_TIMEOUT(pc, chase_postcopy, 280)
{
	static const char *const args[] = { "--workload", "chase", "--vcpus", "1",
					    "--mem-mib", "16", "--postcopy", "--prefetch", "gva",
					    "--postcopy-bg", "after-work", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_READ_BACK(&r, CHASE_PAGES * 2);
	EXPECT_TRUE(json_true(&r, "postcopy"));
	EXPECT_GT(json_int(&r, "work_faults"), 0);
	EXPECT_LE(json_int(&r, "work_faults"), CHASE_PAGES / 3);
	EXPECT_GT(json_int(&r, "prefetch_issued"), 0);
	EXPECT_GE(json_int(&r, "prefetch_vmm_trace") * 10, json_int(&r, "prefetch_vmm") * 9);
	printf("# faults until one pass: %lld, prefetched %lld (trace pages %lld)\n",
	       json_int(&r, "work_faults"), json_int(&r, "prefetch_vmm"),
	       json_int(&r, "prefetch_vmm_trace"));
}

/*
 * A mixed guest (zero, pattern, duplicate and data pages, a written hot
 * set) on two vCPUs, pure post-copy with guest-physical prefetch: the
 * prefetch lists hold zero / pattern / duplicate neighbours, which are
 * filled locally (deferred fill), never fetched.
 */
TEST_F_TIMEOUT(pc, busy_postcopy, 280)
{
	static const char *const args[] = { "--workload", "busy", "--vcpus", "2",
					    "--mem-mib", "16", "--postcopy", "--prefetch", "gpa",
					    NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_READ_BACK(&r, 1);
	EXPECT_EQ(0, json_int(&r, "rounds"));
	EXPECT_GT(json_int(&r, "pages_zero") + json_int(&r, "pages_pattern") +
		  json_int(&r, "pages_dup"), 0);
	EXPECT_GT(json_int(&r, "faults"), 0);
	EXPECT_GT(json_int(&r, "local_fills"), 0);
}

/* Hybrid: two pre-copy rounds, then the dirty rest post-copy. */
TEST_F_TIMEOUT(pc, busy_hybrid, 280)
{
	static const char *const args[] = { "--workload", "busy", "--vcpus", "2",
					    "--mem-mib", "16", "--postcopy",
					    "--precopy-rounds", "2", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_READ_BACK(&r, 1);
	EXPECT_EQ(2, json_int(&r, "rounds"));
	EXPECT_TRUE(json_true(&r, "postcopy"));
}

/*
 * The source dies during post-copy (after answering 20 page requests):
 * the destination notices the dead connection, reports the source lost
 * (exit 4) and stays paused, VM intact: its guest counters stand still
 * (vCPUs parked or waiting on missing pages, never running past one) and
 * the process is still there until the parent ends it: no hang, no exit.
 */
TEST_F_TIMEOUT(pc, source_killed_in_postcopy, 280)
{
	static const char *const args[] = { "--workload", "chase", "--vcpus", "1",
					    "--mem-mib", "16", "--postcopy",
					    "--postcopy-bg", "after-work",
					    "--kill-src-in-postcopy", "20", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	ASSERT_EQ(4, r.status);
	EXPECT_TRUE(json_str_is(&r, "outcome", "src_lost"));
	EXPECT_TRUE(json_true(&r, "dst_paused"));
	EXPECT_GE(json_int(&r, "faults"), 20);
}

/*
 * The source dies once the destination has every page, before the
 * destination's report reaches it: the destination finishes alone, and
 * the outcome is what it saw.  Oracle: its own checks, the page hash of
 * what it placed against the one the source sent at the switch-over, and
 * its RAM read back; the guest runs there: converged, exit 0.  The
 * source's numbers die with it (no data pages counted): the kill happened.
 */
TEST_F_TIMEOUT(pc, source_killed_after_postcopy, 280)
{
	static const char *const args[] = { "--workload", "chase", "--vcpus", "1",
					    "--mem-mib", "16", "--postcopy", "--prefetch", "gva",
					    "--kill-src-after-postcopy", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_READ_BACK(&r, 1);
	EXPECT_FALSE(json_true(&r, "src_alive"));
	EXPECT_EQ(0, json_int(&r, "pages_data"));
}

/*
 * The read-back catches what the page hash cannot: with every 64th data
 * page of the destination changed behind the guest's back after post-copy
 * (as a misplaced copy would), the migration fails (exit 1) and the
 * changed frames the guest did not touch are counted.
 */
TEST_F_TIMEOUT(pc, read_back_catches_corruption, 280)
{
	static const char *const args[] = { "--workload", "chase", "--vcpus", "1",
					    "--mem-mib", "16", "--postcopy", "--prefetch", "gva",
					    "--corrupt-dest", "64", NULL };
	struct mig_result r;

	run_migrate(&r, args);
	EXPECT_EQ(1, r.status);
	EXPECT_TRUE(json_str_is(&r, "outcome", "mismatch"));
	EXPECT_FALSE(json_true(&r, "hash_ok"));
	/* 64 frames changed, of them the ones the guest never touched */
	EXPECT_GT(json_int(&r, "ram_bad"), 0);
	EXPECT_LE(json_int(&r, "ram_bad"), 64);
}

/* Save, then restore the image in each mode: equal page hash, guest runs. */
TEST_F_TIMEOUT(pc, save_restore, 280)
{
	static const char img[] = "/tmp/kvmmig-postcopy-test.img";
	static const char *const save[] = { "--workload", "chase", "--vcpus", "1",
					    "--mem-mib", "16", "--save", img,
					    "--save-after-ms", "2000", NULL };
	static const char *const modes[] = { "lazy", "ws", "resident" };
	static const char *const trunc_args[] = { "--restore", img, NULL };
	long long ws, lazy_faults = 0;
	struct mig_result r;
	struct stat sb;

	unlink(img);
	run_migrate(&r, save);
	ASSERT_EQ(0, r.status);
	EXPECT_EQ(CHASE_PAGES * 4, json_int(&r, "pages_data"));
	/* the structure was walked before the save: it is the working set */
	ws = json_int(&r, "ws_pages");
	EXPECT_GE(ws, CHASE_PAGES);
	/* saved as runs (GET_WORKING_SET's runs): at least one, never more than pages */
	EXPECT_GE(json_int(&r, "ws_runs"), 1);
	EXPECT_LE(json_int(&r, "ws_runs"), ws);
	for (int i = 0; i < 3; i++) {
		const char *const args[] = { "--restore", img, "--restore-mode", modes[i],
					     NULL };

		run_migrate(&r, args);
		EXPECT_TRUE(json_str_is(&r, "restore_mode", modes[i]));
		if (i == 0) {	/* lazy: every structure page faulted in */
			EXPECT_READ_BACK(&r, CHASE_PAGES * 2);
			lazy_faults = json_int(&r, "work_faults");
			EXPECT_GE(lazy_faults, CHASE_PAGES);
		} else if (i == 1) {	/* working set first: its pages never fault */
			EXPECT_READ_BACK(&r, CHASE_PAGES * 2);
			EXPECT_EQ(ws, json_int(&r, "ws_pages"));
			EXPECT_LT(json_int(&r, "work_faults") * 4, lazy_faults);
		} else {
			EXPECT_MIGRATED(&r);
			EXPECT_EQ(0, json_int(&r, "faults"));
		}
	}
	/* the same image cut short by a page: refused before anything runs */
	ASSERT_EQ(0, stat(img, &sb));
	ASSERT_EQ(0, truncate(img, sb.st_size - 4096));
	run_migrate(&r, trunc_args);
	EXPECT_EQ(5, r.status);
	unlink(img);
}

/* A save file that is not one: refused, nothing runs. */
TEST_F_TIMEOUT(pc, restore_bad_file, 60)
{
	static const char img[] = "/tmp/kvmmig-postcopy-bad.img";
	static const char *const args[] = { "--restore", img, NULL };
	struct mig_result r;
	int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(6, write(fd, "junk!\n", 6));
	close(fd);
	run_migrate(&r, args);
	EXPECT_EQ(5, r.status);
	unlink(img);
}

TEST_HARNESS_MAIN
