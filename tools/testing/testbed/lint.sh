#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks of the module's sources, reported as check lines that
# tap-summary.sh counts ("KVMMIG-CHECK: ok|not ok NAME [# first problem]"):
#   - checkpatch.pl --strict (from linux-source-6.1) on every C file, header
#     and Kbuild file git tracks;
#   - the fault probe's argument lists against KVM's kvm_page_fault
#     tracepoint in each supported kernel's source (check-tracepoints.sh);
#   - tools/testing/syzkaller/check.pl: the syzkaller descriptions cover
#     every ioctl, with the header's constants and structure layouts;
#   - tools/testing/uapi/check-layout.sh: every structure of the uapi
#     header has the same sizeof and member offsets with -m64 and -m32;
#   - `make W=1 C=2` (sparse on every file) against each installed Debian
#     kernel's headers: 6.1 and 6.12.  Each build runs in a scratch copy of
#     the tree, so the build under test is never touched.
#
# Usage: lint.sh [RESULTS_FILE]   (default: stdout)
# Env: BUILD_DIR.  Exit status: 0 if every check passed.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=${1:-}
if [ -z "$results" ]; then
	results=$(mktemp)
	trap 'cat "$results"; rm -f "$results"' EXIT
fi
: >"$results"
status=0

report() {	# report NAME LOGFILE: ok if LOGFILE has no problem lines
	local name=$1 log=$2 first
	first=$(grep -m1 -E 'warning:|error:|WARNING:|ERROR:|CHECK:' "$log" || true)
	if [ -z "$first" ]; then
		echo "KVMMIG-CHECK: ok $name" >>"$results"
	else
		echo "KVMMIG-CHECK: not ok $name # $first" >>"$results"
		kvmmig_log "$name:"
		grep -E 'warning:|error:|WARNING:|ERROR:|CHECK:' "$log" | head -20 >&2
		status=1
	fi
}

cd "$KVMMIG_TOP"
ksrc=$("$KVMMIG_TESTBED/ksrc.sh")
lintdir=$BUILD_DIR/lint
mkdir -p "$lintdir"
KVER=$(kvmmig_kver) "$KVMMIG_TESTBED/build-kunit.sh" >/dev/null
kunit_symvers=$BUILD_DIR/kunit/Module.symvers

mapfile -t srcs < <(git ls-files -- '*.c' '*.h' Kbuild '*/Kbuild')
perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse -f "${srcs[@]}" \
	>"$lintdir/checkpatch.log" 2>&1 || true
report "lint: checkpatch --strict" "$lintdir/checkpatch.log"

# the fault probe's argument lists against each kernel's tracepoint
"$KVMMIG_TESTBED/check-tracepoints.sh" "$results" || status=1

# syzkaller descriptions: every ioctl described, constants and layouts
# match the uapi header (tools/testing/syzkaller/check.pl).
if ! "$KVMMIG_TOP/tools/testing/syzkaller/check.pl" >"$lintdir/syzkaller.log" 2>&1; then
	echo "error: syzkaller descriptions check failed" >>"$lintdir/syzkaller.log"
fi
report "lint: syzkaller descriptions" "$lintdir/syzkaller.log"

# one layout for 64-bit and 32-bit callers (tools/testing/uapi/check-layout.sh)
if ! "$KVMMIG_TOP/tools/testing/uapi/check-layout.sh" >"$lintdir/uapi-layout.log" 2>&1; then
	echo "error: uapi layout check failed" >>"$lintdir/uapi-layout.log"
fi
report "uapi-layout" "$lintdir/uapi-layout.log"

for kdir in /usr/src/linux-headers-6.1.*-amd64 /usr/src/linux-headers-6.12.*-amd64; do
	[ -d "$kdir" ] || continue
	kver=${kdir#/usr/src/linux-headers-}
	copy=$lintdir/tree-$kver
	rm -rf "$copy"
	mkdir -p "$copy"
	git ls-files -z | xargs -0 cp --parents -t "$copy"
	# kunit.ko is not part of Debian's kernels: modpost resolves the KUnit
	# module's kunit_* symbols from the test bed's own kunit.ko build (for
	# 6.1; its symbol list serves the 6.12 check too, nothing is loaded).
	# Should a kunit_* symbol still be missing, that warning alone is
	# dropped.
	if ! make -C "$kdir" M="$copy" W=1 C=2 KVMMIG_KUNIT=m \
		KBUILD_EXTRA_SYMBOLS="$kunit_symvers" \
		KBUILD_MODPOST_WARN=1 modules >"$lintdir/raw-$kver.log" 2>&1; then
		echo "error: build failed" >>"$lintdir/raw-$kver.log"
	fi
	grep -v -E 'modpost: "_*kunit_[a-z_]*" \[.*/kvmmig_kunit\.ko\] undefined!' \
		"$lintdir/raw-$kver.log" >"$lintdir/build-$kver.log" || true
	report "lint: W=1 C=2 $kver" "$lintdir/build-$kver.log"
done
exit $status
