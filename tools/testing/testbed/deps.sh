#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages the test bed needs.  A no-op (one
# dpkg-query call) when everything is present; otherwise runs apt-get update
# once and installs only what is missing.  Needs root to install.
#
# Usage: deps.sh

set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	# test kernel + headers for out-of-tree modules, and the kernel tree
	# (lib/kunit, the KVM selftest library, checkpatch.pl)
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 xz-utils
	# the second supported kernel: linted, and the selftests run on it;
	# its source for the fault probe's tracepoint check
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	# booting it: TCG with emulated SVM+NPT, a busybox initramfs;
	# binutils: readelf (PVH kernel check), addr2line (guest stack dumps)
	qemu-system-x86 busybox-static kmod cpio binutils
	# building modules, the static selftests and the selftest library
	gcc make libc6-dev linux-libc-dev bc flex bison libelf-dev
	# static checks (checkpatch.pl is perl)
	sparse perl git
)

# dpkg-query prints one line per known package; those not installed (or
# unknown to dpkg) are missing.
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
	awk '$1 == "ii" { print $2 }') || true
missing=()
for p in "${packages[@]}"; do
	grep -qx -- "$p" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

kvmmig_log "installing: ${missing[*]}"
[ "$(id -u)" -eq 0 ] || kvmmig_die "need root to install: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Recommends would pull in GUIs and firmware the test bed never uses.
apt-get install -y -q --no-install-recommends "${missing[@]}"
