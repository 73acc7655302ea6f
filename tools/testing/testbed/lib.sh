# SPDX-License-Identifier: GPL-2.0
#
# Common helpers for the kvmmig test-bed scripts; sourced, never run.
#
# Environment understood by every script that sources this file:
#   BUILD_DIR  where build outputs go (default: <repo>/build)
#   KVER       test kernel version (default: newest 6.1.0-*-amd64 that has
#              both /boot/vmlinuz-$KVER and its headers installed)
#
# shellcheck shell=bash

KVMMIG_TESTBED=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KVMMIG_TOP=$(cd "$KVMMIG_TESTBED/../../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$KVMMIG_TOP/build}
export BUILD_DIR

# Our sub-makes must not inherit variables from a calling make (e.g. the
# project Makefile's command line): they would override kbuild's/lib.mk's.
unset MAKEFLAGS MFLAGS MAKELEVEL

kvmmig_log() {
	printf '[testbed] %s\n' "$*" >&2
}

kvmmig_die() {
	printf '[testbed] error: %s\n' "$*" >&2
	exit 1
}

# Print the test kernel version.  Debian bumps the ABI number (6.1.0-NN) now
# and then, so it is never hard-coded: take the newest version for which both
# the image and the headers are installed (a module built against other
# headers would not load into that image).
kvmmig_kver() {
	if [ -n "${KVER:-}" ]; then
		printf '%s\n' "$KVER"
		return
	fi
	local img ver best=
	for img in /boot/vmlinuz-6.1.0-*-amd64; do
		[ -e "$img" ] || continue
		ver=${img#/boot/vmlinuz-}
		[ -d "/usr/src/linux-headers-$ver" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$ver" | sort -V | tail -n 1)
	done
	[ -n "$best" ] || kvmmig_die "no 6.1.0-*-amd64 kernel with headers installed (run deps.sh)"
	printf '%s\n' "$best"
}

# Print the kbuild directory for kernel version $1.
kvmmig_kdir() {
	local kver=$1
	if [ -d "/lib/modules/$kver/build" ]; then
		printf '%s\n' "/lib/modules/$kver/build"
	elif [ -d "/usr/src/linux-headers-$kver" ]; then
		printf '%s\n' "/usr/src/linux-headers-$kver"
	else
		kvmmig_die "no kernel headers for $kver"
	fi
}

# Stamps make re-runs cheap: a stamp file holds the "key" (inputs that
# matter: versions, script checksums) of the step that wrote it.
kvmmig_stamp_valid() {
	[ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

# Print the second supported kernel's version: the newest 6.12.*-amd64 with
# both image and headers installed; nothing (and status 1) if there is none.
kvmmig_kver2() {
	local img ver best=
	for img in /boot/vmlinuz-6.12.*-amd64; do
		[ -e "$img" ] || continue
		ver=${img#/boot/vmlinuz-}
		[ -d "/usr/src/linux-headers-$ver" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$ver" | sort -V | tail -n 1)
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# Where builds that do not depend on the work tree are cached (the debug
# test kernel): KVMMIG_CACHE_DIR, else /var/cache/kvmmig when it can be
# created and written (root), else $BUILD_DIR.
kvmmig_cache_dir() {
	local dir=${KVMMIG_CACHE_DIR:-/var/cache/kvmmig}

	if mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ]; then
		printf '%s\n' "$dir"
	else
		printf '%s\n' "$BUILD_DIR"
	fi
}

# The debug test kernel's directory (build-debug-kernel.sh).
kvmmig_debug_kernel_dir() {
	printf '%s/debug-kernel\n' "$(kvmmig_cache_dir)"
}
