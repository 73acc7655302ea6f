#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench-precopy, inside the test kernel (busybox sh, kvmmig loaded,
# run from the payload directory holding kvmmig-migrate and
# classify_bench).  The same guests migrate in the same run twice: with
# the baseline (plain pre-copy, zero-page skip, QEMU-style auto-converge
# through the same stun mechanism) and with kvmmig (send order, content
# classes, free-page hints, the module's throttle controller).  The last
# line is the result:
#
# precopy: idle_bytes_ratio=<kvmmig/baseline> busy_bytes_ratio=<..>
#   hot_converged=<yes|no> baseline_hot_converged=<yes|no>
#   second_run_rounds_ratio=<2nd/1st> classify_vs_memcpy=<ratio>
#
# (one line).  Each migration's summary line is printed as it finishes.

PATH=$PWD:$PATH
ROUNDS=${PRECOPY_BENCH_ROUNDS:-30}
fail=0

# mig NAME ARGS...: migrate, print the JSON summary, keep it in $json
mig() {
	name=$1
	shift
	json=$(kvmmig-migrate --json --quiet "$@" | tail -n 1)
	echo "$name: $json"
	case $json in
	*'"outcome":"converged"'*) ;;
	*'"outcome":"not_converged"'*) echo "$name: did not converge" ;;
	*) echo "$name: FAILED"; fail=1 ;;
	esac
}

# val KEY: a number (or word) from $json
val() {
	printf '%s\n' "$json" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b; else print "nan" }'
}

converged() {
	if [ "$(val outcome)" = converged ]; then echo yes; else echo no; fi
}

# KEY of a converged migration; empty (the ratio: nan) for one that did not
done_val() {
	if [ "$(val outcome)" = converged ]; then val "$1"; fi
}

mig idle-baseline --workload idle --mode baseline --max-rounds "$ROUNDS"
idle_base=$(done_val bytes)
mig idle-kvmmig --workload idle --max-rounds "$ROUNDS"
idle_kvm=$(done_val bytes)

mig busy-baseline --workload busy --mode baseline --max-rounds "$ROUNDS"
busy_base=$(done_val bytes)
mig busy-kvmmig --workload busy --max-rounds "$ROUNDS"
busy_kvm=$(done_val bytes)

mig hot-baseline --workload dirty --vcpus 4 --mode baseline --max-rounds "$ROUNDS"
base_hot=$(converged)
base_hot_down=$(val downtime_ms)
hist=/tmp/precopy-bench-history.bin
rm -f "$hist"
mig hot-kvmmig-1st --workload dirty --vcpus 4 --max-rounds "$ROUNDS" --history-out "$hist"
hot=$(converged)
hot_down=$(val downtime_ms)
rounds1=$(done_val rounds)
mig hot-kvmmig-2nd --workload dirty --vcpus 4 --max-rounds "$ROUNDS" --history-in "$hist"
rounds2=$(done_val rounds)
echo "downtime ms: baseline $base_hot_down, kvmmig $hot_down"

cls=$(./classify_bench | tail -n 1)
echo "$cls"
cls=$(printf '%s\n' "$cls" | sed -n 's/.*classify_vs_memcpy=\([0-9.]*\).*/\1/p')

echo "precopy: idle_bytes_ratio=$(ratio "$idle_kvm" "$idle_base")" \
	"busy_bytes_ratio=$(ratio "$busy_kvm" "$busy_base")" \
	"hot_converged=$hot baseline_hot_converged=$base_hot" \
	"second_run_rounds_ratio=$(ratio "$rounds2" "$rounds1")" \
	"classify_vs_memcpy=${cls:-nan}" | tr -s ' '
exit $fail
