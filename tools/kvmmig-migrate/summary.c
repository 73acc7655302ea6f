// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmig-migrate, the result: outcome of the children's results, the
 * summary table and the JSON line, the exit status by outcome.
 */
#include "kvmmig-migrate.h"

const char * const outcome_name[] = {
	"converged", "not_converged", "dest_lost", "src_lost", "mismatch", "setup_error"
};

const int exit_status[] = { 0, 2, 3, 4, 1, 5 };	/* by outcome */
const char * const workload_name[] = { "idle", "zero", "dup", "hot", "dirty", "busy", "chase" };
const char * const prefetch_name[] = { "none", "gpa", "gva" };
const char * const restore_name[] = { "lazy", "ws", "resident" };

/* The summary table and / or the JSON line; returns @rc. */
int print_result(const struct result *R, int rc)
{
	if (!o.quiet) {
		printf("\n%-22s %s\n", "outcome", outcome_name[R->outcome]);
		printf("%-22s %llu\n", "rounds", (unsigned long long)R->rounds);
		printf("%-22s data %llu  zero %llu  pattern %llu  dup %llu  free %llu\n", "pages",
		       (unsigned long long)R->pages_data, (unsigned long long)R->pages_zero,
		       (unsigned long long)R->pages_pattern, (unsigned long long)R->pages_dup,
		       (unsigned long long)R->pages_free);
		printf("%-22s %llu (%.1f MiB, RAM %d MiB)\n", "bytes on the wire",
		       (unsigned long long)R->bytes, R->bytes / 1048576.0, o.mem_mib);
		printf("%-22s first %llu%%  max %llu%%\n", "throttle",
		       (unsigned long long)R->throttle_first, (unsigned long long)R->throttle_max);
		printf("%-22s %llu ms\n", "total", (unsigned long long)R->total_ms);
		printf("%-22s %llu ms\n", "downtime", (unsigned long long)R->downtime_ms);
		printf("%-22s %s\n", "RAM hash", R->hash_ok ? "equal" : "NOT EQUAL / not compared");
		printf("%-22s %s\n", "destination guest",
		       R->dst_progress ? "running" : "not running");
		printf("%-22s %s\n", "source guest", R->src_alive ? "running" : "stopped / gone");
		if (R->ram_checked || R->ram_bad)
			printf("%-22s %llu frames compared, %llu differ\n", "RAM read back",
			       (unsigned long long)R->ram_checked, (unsigned long long)R->ram_bad);
		if (R->outcome == OUT_SRC_LOST && (o.postcopy || R->dst_paused))
			printf("%-22s %s\n", "destination after loss",
			       R->dst_paused ? "paused, then ended" : "exited");
		printf("%-22s %llu\n", "classify/memcpy x1000",
		       (unsigned long long)R->classify_x1000);
		if (o.postcopy || o.restore)
			printf("%-22s %llu (uffd msgs %llu, local %llu), %s %llu in %llu ms\n",
			       "faults", (unsigned long long)R->pc_faults,
			       (unsigned long long)R->uffd_msgs, (unsigned long long)R->local_fills,
			       "until the work:",
			       (unsigned long long)R->work_faults, (unsigned long long)R->work_ms);
		printf("%-22s %d\n", "exit status", rc);
	}
	if (o.json) {
		printf("{\"workload\":\"%s\",\"mode\":\"%s\",\"transport\":\"%s\",",
		       workload_name[o.workload], o.mode ? "baseline" : "kvmmig",
		       o.netns ? "netns" : "loopback");
		printf("\"outcome\":\"%s\",", outcome_name[R->outcome]);
		printf("\"rounds\":%llu,\"pages_data\":%llu,\"pages_zero\":%llu,",
		       (unsigned long long)R->rounds, (unsigned long long)R->pages_data,
		       (unsigned long long)R->pages_zero);
		printf("\"pages_pattern\":%llu,\"pages_dup\":%llu,\"pages_free\":%llu,",
		       (unsigned long long)R->pages_pattern, (unsigned long long)R->pages_dup,
		       (unsigned long long)R->pages_free);
		printf("\"bytes\":%llu,\"throttle_first_pct\":%llu,\"throttle_max_pct\":%llu,",
		       (unsigned long long)R->bytes, (unsigned long long)R->throttle_first,
		       (unsigned long long)R->throttle_max);
		printf("\"total_ms\":%llu,\"downtime_ms\":%llu,\"hash_ok\":%s,",
		       (unsigned long long)R->total_ms, (unsigned long long)R->downtime_ms,
		       R->hash_ok ? "true" : "false");
		printf("\"dst_progress\":%s,\"src_alive\":%s,\"classify_vs_memcpy_x1000\":%llu,",
		       R->dst_progress ? "true" : "false", R->src_alive ? "true" : "false",
		       (unsigned long long)R->classify_x1000);
		printf("\"postcopy\":%s,\"prefetch\":\"%s\",\"restore_mode\":\"%s\",",
		       o.postcopy ? "true" : "false", prefetch_name[o.prefetch],
		       o.restore ? restore_name[o.restore_mode] : "none");
		printf("\"faults\":%llu,\"uffd_msgs\":%llu,\"local_fills\":%llu,",
		       (unsigned long long)R->pc_faults, (unsigned long long)R->uffd_msgs,
		       (unsigned long long)R->local_fills);
		printf("\"work_faults\":%llu,\"work_ms\":%llu,\"pc_ms\":%llu,",
		       (unsigned long long)R->work_faults, (unsigned long long)R->work_ms,
		       (unsigned long long)R->pc_ms);
		printf("\"pages_requested\":%llu,\"prefetch_vmm\":%llu,",
		       (unsigned long long)R->pages_requested,
		       (unsigned long long)R->prefetch_vmm);
		printf("\"prefetch_vmm_trace\":%llu,",
		       (unsigned long long)R->prefetch_vmm_useful);
		printf("\"ram_checked\":%llu,\"ram_bad\":%llu,\"dst_paused\":%s,",
		       (unsigned long long)R->ram_checked, (unsigned long long)R->ram_bad,
		       R->dst_paused ? "true" : "false");
		printf("\"pages_dstore\":%llu,\"ws_runs\":%llu,",
		       (unsigned long long)R->pages_dstore, (unsigned long long)R->ws_runs);
		printf("\"prefetch_issued\":%lld,\"prefetch_used\":%lld,\"ws_pages\":%llu}\n",
		       R->prefetch_issued == ~0ull ? -1LL : (long long)R->prefetch_issued,
		       R->prefetch_used == ~0ull ? -1LL : (long long)R->prefetch_used,
		       (unsigned long long)R->ws_pages);
	}
	return rc;
}

/*
 * The run's result from the source's (@sr, NULL: none came) and the
 * destination's (@dr, NULL: none came); @setup_failed: the source exited
 * with the setup status before it sent one.
 */
struct result merge_results(const struct result *sr, const struct result *dr, int setup_failed)
{
	struct result R;

	memset(&R, 0, sizeof(R));
	if (sr)
		R = *sr;
	else if (setup_failed)
		R.outcome = OUT_SETUP;
	else if (dr)	/* the source died: the outcome is what the destination saw */
		R.outcome = dr->outcome;
	else
		R.outcome = OUT_SETUP;
	if (dr) {
		R.hash_ok = dr->hash_ok;
		R.dst_progress = dr->dst_progress;
		R.pc_faults = dr->pc_faults;
		R.uffd_msgs = dr->uffd_msgs;
		R.local_fills = dr->local_fills;
		R.work_faults = dr->work_faults;
		R.work_ms = dr->work_ms;
		R.pc_ms = dr->pc_ms;
		R.pages_requested = dr->pages_requested;
		R.prefetch_vmm = dr->prefetch_vmm;
		R.prefetch_vmm_useful = dr->prefetch_vmm_useful;
		R.prefetch_issued = dr->prefetch_issued;
		R.prefetch_used = dr->prefetch_used;
		R.ram_checked = dr->ram_checked;
		R.ram_bad = dr->ram_bad;
		R.dst_paused = dr->dst_paused;
		R.pages_dstore = dr->pages_dstore;
	} else {
		R.prefetch_issued = ~0ull;
		R.prefetch_used = ~0ull;
	}
	if (R.outcome == OUT_CONVERGED && !(R.hash_ok && R.dst_progress))
		R.outcome = OUT_MISMATCH;
	return R;
}
