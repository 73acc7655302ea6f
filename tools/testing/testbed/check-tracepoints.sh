#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fault probe's argument lists (include/kvmmig/fault_tp.h: one
# KVMMIG_TP_KVM_PAGE_FAULT_<major>_<minor> per kernel the probe is built
# for) against KVM's kvm_page_fault tracepoint in each kernel's own source
# (arch/x86/kvm/trace.h in Debian's linux-source-<major>.<minor> package).
# The compiler checks the probe against the list for the kernel it builds
# for; this checks the lists against the kernels.  One check line per
# kernel ("KVMMIG-CHECK: ok|not ok tracepoint: kvm_page_fault <ver>").
#
# Usage: check-tracepoints.sh [RESULTS_FILE]   (default: stdout)
# Env: BUILD_DIR.  Exit status: 0 if every list matched.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=${1:-/dev/stdout}
header=$KVMMIG_TOP/include/kvmmig/fault_tp.h
cache=$BUILD_DIR/tracepoints
mkdir -p "$cache"
status=0

# Print the TP_PROTO of TRACE_EVENT(kvm_page_fault) in a trace.h, on one
# line with single spaces.
tp_proto() {
	awk '/^TRACE_EVENT\(kvm_page_fault,/ { on = 1 }
	     on { text = text " " $0 }
	     on && /TP_ARGS/ { exit }
	     END { print text }' "$1" |
		sed -E 's/.*TP_PROTO\((.*)\),[[:space:]]*TP_ARGS.*/\1/; s/[[:space:]]+/ /g; s/^ //; s/ $//'
}

mapfile -t vers < <(sed -nE 's/^#define KVMMIG_TP_KVM_PAGE_FAULT_([0-9]+)_([0-9]+) .*/\1.\2/p' "$header")
[ ${#vers[@]} -gt 0 ] || kvmmig_die "no KVMMIG_TP_KVM_PAGE_FAULT_* in $header"
for ver in "${vers[@]}"; do
	name="tracepoint: kvm_page_fault $ver"
	tarball=/usr/src/linux-source-$ver.tar.xz
	if [ ! -f "$tarball" ]; then
		echo "KVMMIG-CHECK: not ok $name # $tarball missing (deps.sh installs linux-source-$ver)" >>"$results"
		status=1
		continue
	fi
	# one member of a large archive: cached per package version
	key=$(dpkg-query -W -f='${Version}' "linux-source-$ver" 2>/dev/null || stat -c %Y "$tarball")
	trace=$cache/trace-$ver.h
	if ! kvmmig_stamp_valid "$trace.stamp" "$key"; then
		kvmmig_log "reading arch/x86/kvm/trace.h from $tarball"
		xz -T0 -dc "$tarball" |
			tar -xO -f - "linux-source-$ver/arch/x86/kvm/trace.h" >"$trace"
		printf '%s\n' "$key" >"$trace.stamp"
	fi
	want=$(tp_proto "$trace")
	have=$(sed -nE "/^#define KVMMIG_TP_KVM_PAGE_FAULT_${ver/./_} /{n;p}" "$header" |
		sed -E 's/[[:space:]]+/ /g; s/^ //; s/ $//')
	if [ -n "$want" ] && [ "$want" = "$have" ]; then
		echo "KVMMIG-CHECK: ok $name" >>"$results"
	else
		echo "KVMMIG-CHECK: not ok $name # kernel: ($want), fault_tp.h: ($have)" >>"$results"
		status=1
	fi
done
exit $status
