#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftests once more in another configuration and turn what the
# guest reported into check lines for tap-summary.sh, every name prefixed
# with LABEL.  KUnit runs in the main run only (its kunit.ko is built from
# linux-source-6.1 for the test kernel).
#
# Usage: extra-run.sh RESULTS_FILE SELFTEST_DIR LABEL [--kver VER] [--cpu MODEL]
#   --kver VER   boot this kernel instead of the test kernel; kvmmig.ko is
#                then built against its headers in a scratch copy of the
#                tree (the build under test stays as it is)
#   --cpu MODEL  the -cpu model under TCG (run-vm.sh's TCG_CPU), e.g.
#                qemu64,+svm: SVM without NPT, so KVM uses shadow paging
# Env: BUILD_DIR.  Exit status 0; failures are in RESULTS_FILE.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
selftests=$2
label=$3
shift 3
kver=
cpu=
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	*) kvmmig_die "extra-run.sh: unknown argument $1" ;;
	esac
done
: >"$results"

module=$KVMMIG_TOP/kvmmig.ko
out=$BUILD_DIR/check-$label
if [ -n "$kver" ]; then
	if [ ! -e "/boot/vmlinuz-$kver" ]; then
		echo "KVMMIG-CHECK: not ok $label: no kernel $kver installed (deps.sh)" >>"$results"
		exit 0
	fi
	tree=$BUILD_DIR/tree-$kver
	rm -rf "$tree"
	mkdir -p "$tree"
	(cd "$KVMMIG_TOP" && git ls-files -z | xargs -0 cp --parents -t "$tree")
	if ! make -C "$(kvmmig_kdir "$kver")" M="$tree" modules >"$tree/build.log" 2>&1; then
		echo "KVMMIG-CHECK: not ok $label: build kvmmig.ko # see $tree/build.log" >>"$results"
		exit 0
	fi
	module=$tree/kvmmig.ko
else
	kver=$(kvmmig_kver)
fi

kvmmig_log "selftests, $label"
TCG_CPU=${cpu:-${TCG_CPU:-}} "$KVMMIG_TESTBED/check.sh" --kver "$kver" \
	--module "$module" --kunit /nonexistent --selftest "$selftests" \
	--out "$out" >"$out.log" 2>&1 || true

# The guest's lines, named after the configuration; its kernel log judged
# here.
sed -n -e "s/^\(KVMMIG-CHECK: \)\(ok\|not ok\|selftest-begin\) /\1\2 $label: /p" \
	-e "s/^\(KVMMIG-CHECK: \)selftest-end /\1selftest-end $label: /p" \
	-e '/^KVMMIG-CHECK: /!p' "$out/output.log" | tr -d '\r' >>"$results"
if [ -s "$out/problems.log" ]; then
	echo "KVMMIG-CHECK: not ok $label: kernel log # $(head -n 1 "$out/problems.log")" >>"$results"
elif ! grep -q '^KVMMIG-CHECK: done' "$out/output.log"; then
	echo "KVMMIG-CHECK: not ok $label: guest did not finish (hang, panic or timeout)" >>"$results"
else
	echo "KVMMIG-CHECK: ok $label: kernel log clean" >>"$results"
fi
