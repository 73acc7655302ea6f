#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-postcopy, inside the test kernel (busybox sh, kvmmig loaded,
# run from the payload directory holding kvmmig-migrate).  One guest and
# one trace (workload chase: a linked structure contiguous in guest-virtual
# memory on scattered guest-physical pages, walked in guest-virtual order)
# in the same run:
#   post-copy with (a) no prefetch, (b) guest-physical neighbours of the
#   same window (KVMMIG_PREFETCH_GFN_LINEAR), (c) kvmmig's guest-virtual
#   neighbours: destination userfaultfd faults until the guest completed
#   one whole pass of the trace on the destination (the background pass
#   waits for that, --postcopy-bg after-work);
#   restore of one saved image with (d) lazy (every page on fault), (e)
#   working set first, (f) fully resident: time from restore start until
#   the guest completed one whole pass (best of POSTCOPY_BENCH_REPEAT).
#   In (d) and (e) the background load of the rest starts after that pass
#   (under TCG every thread of the test kernel shares one emulated CPU, so
#   a background thread would slow the guest whatever its priority).
# The last line is the result:
#
# postcopy: faults_vs_none=<none/kvmmig> faults_vs_gpa=<gpa/kvmmig>
#   precision=<used/prefetched> restore_speedup=<lazy/ws>
#   restore_vs_resident=<ws/resident>
#
# (one line).  precision is the module's prefetch_used / prefetch_issued
# of run (c)'s destination session (nan when the module counted nothing;
# a line above gives the VMM's own count, prefetched pages that are pages
# of the trace, next to it).

PATH=$PWD:$PATH
MEM=${POSTCOPY_BENCH_MEM:-64}
WINDOW=${POSTCOPY_BENCH_WINDOW:-8}
REPEAT=${POSTCOPY_BENCH_REPEAT:-5}
IMG=/tmp/postcopy-bench.img
fail=0

# run NAME ARGS...: one kvmmig-migrate, its JSON summary in $json
run() {
	name=$1
	shift
	json=$(kvmmig-migrate --json --quiet --workload chase --vcpus 1 --mem-mib "$MEM" "$@" |
	       tail -n 1)
	echo "$name: $json"
	case $json in
	*'"outcome":"converged"'*) ;;
	*) echo "$name: FAILED (not converged / hash mismatch / guest not running)"; fail=1 ;;
	esac
}

# val KEY: a number (or word) from $json
val() {
	printf '%s\n' "$json" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'
}

min() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || (b != "" && b < a)) print b; else print a }'
}

pc() {
	run "postcopy-$1" --postcopy --postcopy-bg after-work --prefetch "$1" \
		--prefetch-window "$WINDOW"
}

pc none
f_none=$(val work_faults)
pc gpa
f_gpa=$(val work_faults)
pc gva
f_gva=$(val work_faults)
issued=$(val prefetch_issued)
used=$(val prefetch_used)
vmm_pf=$(val prefetch_vmm)
vmm_trace=$(val prefetch_vmm_trace)
echo "faults until one pass of the trace: none $f_none, gpa $f_gpa, gva $f_gva (window $WINDOW)"
if [ -n "$issued" ] && [ "$issued" -gt 0 ] 2>/dev/null; then
	precision=$(ratio "$used" "$issued")
	echo "precision: module stats, prefetch_used $used / prefetch_issued $issued" \
		"(VMM: $vmm_trace of $vmm_pf prefetched pages are trace pages)"
else
	precision=nan
	echo "precision: THE MODULE COUNTED NO PREFETCH; VMM count: $vmm_trace of" \
		"$vmm_pf prefetched pages are trace pages"
	fail=1
fi

rm -f "$IMG"
run save --save "$IMG" --save-after-ms 4000
echo "working set saved: $(val ws_pages) pages in $(val ws_runs) runs"
t_lazy= t_ws= t_res=
i=0
while [ $i -lt "$REPEAT" ]; do
	run restore-lazy --restore "$IMG" --restore-mode lazy
	t_lazy=$(min "$t_lazy" "$(val work_ms)")
	run restore-ws --restore "$IMG" --restore-mode ws --background after-work
	t_ws=$(min "$t_ws" "$(val work_ms)")
	run restore-resident --restore "$IMG" --restore-mode resident
	t_res=$(min "$t_res" "$(val work_ms)")
	i=$((i + 1))
done
rm -f "$IMG"
echo "time to first useful work (ms, best of $REPEAT): lazy $t_lazy, ws $t_ws, resident $t_res"

echo "postcopy: faults_vs_none=$(ratio "$f_none" "$f_gva")" \
	"faults_vs_gpa=$(ratio "$f_gpa" "$f_gva") precision=$precision" \
	"restore_speedup=$(ratio "$t_lazy" "$t_ws")" \
	"restore_vs_resident=$(ratio "$t_ws" "$t_res")"
exit $fail
