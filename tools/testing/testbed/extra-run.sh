#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftests once more in another configuration and turn what the
# guest reported into check lines for tap-summary.sh, every name prefixed
# with LABEL.  KUnit runs in the main run (its kunit.ko is built from
# linux-source-6.1 for the test kernel) and in the debug kernel, which has
# KUnit built in.
#
# Usage: extra-run.sh RESULTS_FILE SELFTEST_DIR LABEL [--kver VER] [--cpu MODEL]
#                     [--debug-kernel] [--kunit] [--vng] [--timeout S]
#                     [--selftest-timeout S] [--except "NAME..."]
#   SELFTEST_DIR "none": no selftests (e.g. KUnit only)
#   --kver VER   boot this kernel instead of the test kernel; kvmmig.ko is
#                then built against its headers in a scratch copy of the
#                tree (the build under test stays as it is)
#   --cpu MODEL  the -cpu model under TCG (run-vm.sh's TCG_CPU), e.g.
#                qemu64,+svm: SVM without NPT, so KVM uses shadow paging
#   --debug-kernel  boot the debug kernel (build-debug-kernel.sh: KASAN,
#                lockdep, kmemleak, hung tasks, KUnit built in); kvmmig.ko
#                and kvmmig_kunit.ko are built against it in a scratch copy
#   --kunit      run kvmmig_kunit.ko's suites too (with --debug-kernel)
#   --vng        boot with virtme-ng (run-vm.sh --vng)
#   --timeout S  run-vm.sh's limit for the whole boot
#   --selftest-timeout S  guest-check.sh's limit per selftest binary
#   --except "NAME..."  selftest binaries not to run in this configuration,
#                each reported as skipped (e.g. too slow under KASAN)
# Env: BUILD_DIR.  Exit status 0; failures are in RESULTS_FILE.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

results=$1
selftests=$2
label=$3
shift 3
kver=
cpu=
debug=
kunit=
except=
vm_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--debug-kernel) debug=1; shift ;;
	--kunit) kunit=1; shift ;;
	--except) except=$2; shift 2 ;;
	--vng) vm_args+=(--vng); shift ;;
	--timeout) vm_args+=(--timeout "$2"); shift 2 ;;
	--selftest-timeout) vm_args+=(--selftest-timeout "$2"); shift 2 ;;
	*) kvmmig_die "extra-run.sh: unknown argument $1" ;;
	esac
done
: >"$results"

module=$KVMMIG_TOP/kvmmig.ko
out=$BUILD_DIR/check-$label
check_args=()
if [ -n "$debug" ]; then
	if ! obj=$("$KVMMIG_TESTBED/build-debug-kernel.sh"); then
		echo "KVMMIG-CHECK: not ok $label: build the debug kernel # see $(kvmmig_debug_kernel_dir)/build.log" >>"$results"
		exit 0
	fi
	src=$("$KVMMIG_TESTBED/build-debug-kernel.sh" --print-src)
	kver=$(cat "$obj/include/config/kernel.release")
	# Kbuild writes M='s objects into M: build from a copy.  Kept between
	# runs, with the files' times, so that the second debug run (vng) and
	# the next check rebuild only what changed.
	tree=$BUILD_DIR/tree-debug
	mkdir -p "$tree"
	(cd "$KVMMIG_TOP" && git ls-files -z | xargs -0 cp -p --parents -t "$tree")
	if ! make -C "$src" O="$obj" M="$tree" KVMMIG_KUNIT=m -j2 modules >"$tree/build.log" 2>&1; then
		echo "KVMMIG-CHECK: not ok $label: build kvmmig.ko and kvmmig_kunit.ko # see $tree/build.log" >>"$results"
		exit 0
	fi
	module=$tree/kvmmig.ko
	check_args+=(--kernel "$obj/arch/x86/boot/bzImage")
	[ -z "$kunit" ] || check_args+=(--kunit-test "$tree/kvmmig_kunit.ko")
elif [ -n "$kver" ]; then
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

if [ "$selftests" != none ] && [ -z "$except" ]; then
	check_args+=(--selftest "$selftests")
elif [ "$selftests" != none ]; then
	while read -r bin; do
		case " $except " in
		*" ${bin##*/} "*)
			echo "KVMMIG-CHECK: ok $label: ${bin##*/} # SKIP not run in this configuration (too slow)" >>"$results"
			;;
		*) check_args+=(--selftest "$bin") ;;
		esac
	done < <(find "$selftests" -maxdepth 1 -type f -perm -u+x | sort)
fi

kvmmig_log "${kunit:+KUnit and }selftests, $label (log: $out.log)"
start=$SECONDS
TCG_CPU=${cpu:-${TCG_CPU:-}} "$KVMMIG_TESTBED/check.sh" --kver "$kver" \
	--module "$module" --kunit /nonexistent "${check_args[@]}" "${vm_args[@]}" \
	--out "$out" >"$out.log" 2>&1 || true
kvmmig_log "$label: done in $((SECONDS - start))s: $(tail -n 1 "$out.log")"

# The guest's lines, named after the configuration; its kernel log judged
# here.
sed -n -e "s/^\(KVMMIG-CHECK: \)\(ok\|not ok\|selftest-begin\|kunit-begin\|kunit-end\) /\1\2 $label: /p" \
	-e "s/^\(KVMMIG-CHECK: \)selftest-end /\1selftest-end $label: /p" \
	-e '/^KVMMIG-CHECK: /!p' "$out/output.log" | tr -d '\r' >>"$results"
if [ -s "$out/problems.log" ]; then
	echo "KVMMIG-CHECK: not ok $label: kernel log # $(head -n 1 "$out/problems.log")" >>"$results"
elif ! grep -q '^KVMMIG-CHECK: done' "$out/output.log"; then
	echo "KVMMIG-CHECK: not ok $label: guest did not finish (hang, panic or timeout)" >>"$results"
else
	echo "KVMMIG-CHECK: ok $label: kernel log clean" >>"$results"
fi
