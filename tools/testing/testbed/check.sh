#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check` in the test kernel: assemble a payload from built artifacts,
# boot it with run-vm.sh (guest-check.sh inside), summarize with
# tap-summary.sh.
#
# Usage: check.sh [--module KO] [--kunit KO] [--kunit-test PATH]...
#                 [--selftest PATH]... [--kver VER] [--timeout S] [--out DIR]
#                 [--kernel IMAGE] [--vng]
#   --module KO        the module under test (default <repo>/kvmmig.ko)
#   --kunit KO         KUnit core (default $BUILD_DIR/kunit/kunit.ko)
#   --kunit-test PATH  a KUnit test module, or a directory: its *.ko
#   --selftest PATH    a selftest binary, or a directory: its executables
#   --tool FILE        a program the selftests run (payload bin/, on their
#                      PATH); default: $BUILD_DIR/kvmmig-migrate/kvmmig-migrate
#                      and $BUILD_DIR/kvmmig-stat/kvmmig-stat, those built
#   --kver, --timeout, --kernel IMAGE, --vng  passed to run-vm.sh
#   --out DIR          payload and logs (default $BUILD_DIR/check)
#   --selftest-timeout S  limit per selftest binary (guest-check.sh: 300)
#   --host-checks FILE check lines made on the host ("KVMMIG-CHECK: ok|not ok
#                      NAME", e.g. lint.sh's), counted with the guest's
#   --qemu NAME=PATH   a QEMU build the QEMU selftests may run, by name
#                      (repeatable; also KVMMIG_QEMU="NAME=PATH ..."); see
#                      "QEMU and the L2 guest" below
#   --linux-guest DIR  the L2 guest (default $BUILD_DIR/linux-guest, built
#                      by tools/testing/linux-guest)
#   --env VAR=VALUE    set VAR for the selftests in the guest (repeatable),
#                      e.g. KVMMIG_QEMU_DST=kvmmig
# Env: BUILD_DIR, KVER (see lib.sh), KVMMIG_QEMU
#
# QEMU and the L2 guest: when a selftest named qemu_* is in the payload, or
# a --qemu/KVMMIG_QEMU build is given, the payload also carries (in its
# rootfs/, which run-vm.sh lays over the test kernel's root):
#   every QEMU build (stock=/usr/bin/qemu-system-x86_64 always, others by
#   --qemu) at its own path with its ldd closure, listed as "NAME PATH" in
#   /usr/local/share/kvmmig/qemu-builds; the x86 firmware and option ROMs
#   (SeaBIOS, linuxboot_dma.bin, kvmvapic.bin, ...) in
#   /usr/local/share/kvmmig/qemu-data (the selftests' -L); the L2 guest's
#   kernel and initramfs.cpio in /usr/local/share/kvmmig/linux-guest; and
#   kvmmig-qmp in bin/.  A missing piece stops check.sh: the QEMU tests
#   fail, they do not skip.
#
# Prints the payload's output live, then the failures and as its last line
# "N passed, N failed, N skipped".  A kernel-log problem (oops, WARNING, ...)
# or a hang fails the run even if every test passed: it is counted as one
# more failure.  Exit status: 0 only if nothing failed.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

module=$KVMMIG_TOP/kvmmig.ko
kunit=$BUILD_DIR/kunit/kunit.ko
out=$BUILD_DIR/check
host_checks=
selftest_timeout=
kunit_tests=()
selftests=()
tools=()
vm_args=()
qemu_builds=()
envs=()
linux_guest=$BUILD_DIR/linux-guest
for b in ${KVMMIG_QEMU:-}; do
	qemu_builds+=("$b")
done
while [ $# -gt 0 ]; do
	case $1 in
	--module) module=$2; shift 2 ;;
	--kunit) kunit=$2; shift 2 ;;
	--kunit-test) kunit_tests+=("$2"); shift 2 ;;
	--selftest) selftests+=("$2"); shift 2 ;;
	--tool) tools+=("$2"); shift 2 ;;
	--kver | --timeout | --kernel) vm_args+=("$1" "$2"); shift 2 ;;
	--vng) vm_args+=("$1"); shift ;;
	--out) out=$2; shift 2 ;;
	--selftest-timeout) selftest_timeout=$2; shift 2 ;;
	--host-checks) host_checks=$2; shift 2 ;;
	--qemu) qemu_builds+=("$2"); shift 2 ;;
	--linux-guest) linux_guest=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	*) kvmmig_die "check.sh: unknown argument $1 (see the header for usage)" ;;
	esac
done

payload=$out/payload
rm -rf "$payload"
mkdir -p "$payload"

if [ ${#tools[@]} -eq 0 ]; then
	for f in "$BUILD_DIR/kvmmig-migrate/kvmmig-migrate" "$BUILD_DIR/kvmmig-stat/kvmmig-stat"; do
		[ ! -x "$f" ] || tools+=("$f")
	done
fi

# add SUBDIR FILE...: copy files into the payload's SUBDIR.
add() {
	local dest=$payload/$1 f
	shift
	mkdir -p "$dest"
	for f in "$@"; do
		[ -f "$f" ] || kvmmig_die "$f: no such file"
		cp "$f" "$dest/"
	done
}

cp "$KVMMIG_TESTBED/guest-check.sh" "$payload/run.sh"
if [ -n "$selftest_timeout" ]; then
	printf '%s\n' "$selftest_timeout" >"$payload/selftest-timeout"
fi
if [ -f "$kunit" ]; then
	cp "$kunit" "$payload/kunit.ko"
fi
if [ -f "$module" ]; then
	cp "$module" "$payload/kvmmig.ko"
fi
shopt -s nullglob
if [ ${#tools[@]} -gt 0 ]; then
	add bin "${tools[@]}"
fi
for p in "${kunit_tests[@]}"; do
	if [ -d "$p" ]; then
		add kunit "$p"/*.ko
	else
		add kunit "$p"
	fi
done
for p in "${selftests[@]}"; do
	if [ -d "$p" ]; then
		# The executables only: the Makefile leaves .d files beside them.
		mapfile -t bins < <(find "$p" -maxdepth 1 -type f -perm -u+x | sort)
		add selftests "${bins[@]}"
	else
		add selftests "$p"
	fi
done

if [ ${#envs[@]} -gt 0 ]; then
	printf '%s\n' "${envs[@]}" >"$payload/env"
fi

# copy_closure ROOT FILE: FILE and the shared libraries it needs (with the
# dynamic loader), at their own paths under ROOT.
copy_closure() {
	local root=$1 f
	for f in "$2" $(ldd "$2" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}

# The QEMU builds, their firmware and the L2 guest (see the header).
want_qemu=
[ ${#qemu_builds[@]} -eq 0 ] || want_qemu=1
for f in "$payload"/selftests/qemu_*; do
	[ ! -e "$f" ] || want_qemu=1
done
if [ -n "$want_qemu" ]; then
	rootfs=$payload/rootfs
	share=$rootfs/usr/local/share/kvmmig
	mkdir -p "$share/qemu-data" "$share/linux-guest"
	: >"$share/qemu-builds"
	for b in stock=/usr/bin/qemu-system-x86_64 "${qemu_builds[@]}"; do
		name=${b%%=*}
		path=${b#*=}
		if [ -z "$name" ] || [ "$name" = "$b" ]; then
			kvmmig_die "--qemu $b: NAME=PATH expected"
		fi
		[ -x "$path" ] || kvmmig_die "QEMU build $name: $path is not an executable"
		path=$(readlink -f "$path")
		copy_closure "$rootfs" "$path"
		printf '%s %s\n' "$name" "$path" >>"$share/qemu-builds"
	done
	for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/bios.bin \
		/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin \
		/usr/share/qemu/kvmvapic.bin /usr/share/qemu/pvh.bin \
		/usr/share/qemu/multiboot_dma.bin /usr/share/qemu/multiboot.bin; do
		[ -f "$f" ] || kvmmig_die "$f missing: apt-get install qemu-system-x86"
		cp -L "$f" "$share/qemu-data/"
	done
	for f in kernel initramfs.cpio; do
		[ -f "$linux_guest/$f" ] ||
			kvmmig_die "$linux_guest/$f missing: make -C tools/testing/linux-guest"
		cp "$linux_guest/$f" "$share/linux-guest/"
	done
	[ -x "$BUILD_DIR/qmp/kvmmig-qmp" ] ||
		kvmmig_die "$BUILD_DIR/qmp/kvmmig-qmp missing: make -C tools/testing/qmp"
	add bin "$BUILD_DIR/qmp/kvmmig-qmp"
fi

vm_status=0
"$KVMMIG_TESTBED/run-vm.sh" --payload "$payload" --out "$out" "${vm_args[@]}" || vm_status=$?

# Kernel trouble counts as one more failure, named after its first problem
# line (minus line number and time stamp) when there is one.
extra=()
case $vm_status in
0 | 2) ;;	# the tests passed / failed: the summary tells which
3 | 4)
	if [ "$vm_status" -eq 4 ]; then
		what="no result from the guest (hang, panic or timeout)"
	else
		what="problems in the kernel log"
	fi
	first=$(sed -n '1s/^[0-9]*:\(\[[^]]*\] *\)*//p' "$out/problems.log")
	extra=(--extra-failure "kernel: $what${first:+: $first}")
	;;
*) kvmmig_die "run-vm.sh failed (status $vm_status)" ;;
esac

if [ -n "$host_checks" ]; then
	cat "$host_checks" >>"$out/output.log"
fi

echo
# The fuzzer's call counts, per run (fuzz_test prints "# fuzz: N calls, ...").
awk '/^KVMMIG-CHECK: selftest-begin / { run = substr($0, 30) }
     /^# fuzz: [0-9]+ calls, / { sub(/^# /, ""); print run ": " $0 }' \
	"$out/output.log"
"$KVMMIG_TESTBED/tap-summary.sh" "${extra[@]}" "$out/output.log"
