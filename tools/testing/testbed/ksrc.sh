#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the parts of Debian's linux-source-6.1 the test bed uses into
# $BUILD_DIR/ksrc/ (once per linux-source version) and print the tree path.
#
# Usage: ksrc.sh            -> prints e.g. /work/main/build/ksrc/linux-source-6.1
#
# Extracted: lib/kunit (kunit.ko), tools/ (KVM selftest library, kselftest.h,
# tools/include), scripts/ (subarch.include for the selftest Makefile;
# checkpatch.pl with spelling.txt and const_structs.checkpatch).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
top=linux-source-6.1
members=("$top/lib/kunit" "$top/tools" "$top/scripts")
dest=$BUILD_DIR/ksrc
stamp=$dest/.stamp

[ -f "$tarball" ] || kvmmig_die "$tarball missing (run deps.sh)"
key="$(dpkg-query -W -f='${Version}' linux-source-6.1) ${members[*]}"

if ! kvmmig_stamp_valid "$stamp" "$key"; then
	kvmmig_log "extracting ${members[*]#"$top/"} from $tarball"
	rm -rf "$dest"
	mkdir -p "$dest"
	# The archive has multiple xz blocks: threaded decompression halves the
	# time, and xz must read the whole stream even for a few members.
	xz -T0 -dc "$tarball" | tar -x -C "$dest" -f - "${members[@]}"
	printf '%s\n' "$key" >"$stamp"
fi
printf '%s\n' "$dest/$top"
