#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftests on the second supported kernel (Debian's 6.12) as well:
# build kvmmig.ko against its headers in a scratch copy of the tree (the
# build under test stays as it is), boot it with run-vm.sh, and turn what
# the guest reported into check lines for tap-summary.sh, every name
# prefixed with the kernel version.  KUnit runs on the test kernel only
# (its kunit.ko is built from linux-source-6.1).
#
# Usage: second-kernel.sh RESULTS_FILE SELFTEST_DIR
# Env: BUILD_DIR.  Exit status 0; failures are in RESULTS_FILE.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
selftests=$2
: >"$results"

if ! kver=$(kvmmig_kver2); then
	echo "KVMMIG-CHECK: not ok 6.12: no linux-image-6.12 with headers (deps.sh)" >>"$results"
	exit 0
fi
tree=$BUILD_DIR/tree-$kver
out=$BUILD_DIR/check-$kver
rm -rf "$tree"
mkdir -p "$tree"
(cd "$KVMMIG_TOP" && git ls-files -z | xargs -0 cp --parents -t "$tree")
if ! make -C "$(kvmmig_kdir "$kver")" M="$tree" modules >"$tree/build.log" 2>&1; then
	echo "KVMMIG-CHECK: not ok $kver: build kvmmig.ko # see $tree/build.log" >>"$results"
	exit 0
fi

kvmmig_log "selftests on $kver"
"$KVMMIG_TESTBED/check.sh" --kver "$kver" --module "$tree/kvmmig.ko" \
	--kunit /nonexistent --selftest "$selftests" --out "$out" >"$out.log" 2>&1 || true

# The guest's lines, named after the kernel; its kernel log judged here.
sed -n -e "s/^\(KVMMIG-CHECK: \)\(ok\|not ok\|selftest-begin\) /\1\2 $kver: /p" \
	-e "s/^\(KVMMIG-CHECK: \)selftest-end /\1selftest-end $kver: /p" \
	-e '/^KVMMIG-CHECK: /!p' "$out/output.log" | tr -d '\r' >>"$results"
if [ -s "$out/problems.log" ]; then
	echo "KVMMIG-CHECK: not ok $kver: kernel log # $(head -n 1 "$out/problems.log")" >>"$results"
elif ! grep -q '^KVMMIG-CHECK: done' "$out/output.log"; then
	echo "KVMMIG-CHECK: not ok $kver: guest did not finish (hang, panic or timeout)" >>"$results"
else
	echo "KVMMIG-CHECK: ok $kver: kernel log clean" >>"$results"
fi
