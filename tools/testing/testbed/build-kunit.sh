#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kunit.ko out of tree for the Debian 6.1 test kernel, which is built
# without CONFIG_KUNIT.
#
# Usage: build-kunit.sh
# Env:   BUILD_DIR, KVER (see lib.sh)
# Out:   $BUILD_DIR/kunit/kunit.ko
#        $BUILD_DIR/kunit/Module.symvers  (KBUILD_EXTRA_SYMBOLS for test modules)
#
# The sources are copied from linux-source's lib/kunit and edited here, at
# build time, so that nothing of the kernel tree lives in this repository:
#  1. drop the `current->kunit_test = ...` assignments: task_struct has that
#     field only with CONFIG_KUNIT (its readers, for kunit_fail_current_test,
#     are compiled only when KUnit is built in);
#  2. drop the module notifier: struct module has no kunit_suites without
#     CONFIG_KUNIT, so test modules run their suites themselves through
#     __kunit_test_suites_init()/__kunit_test_suites_exit();
#  3. turn kunit_init's late_initcall into module_init (kunit_exit already is
#     a module_exit).
# debugfs results (/sys/kernel/debug/kunit/<suite>/results) and "enabled by
# default" are switched on for this build only.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=$(kvmmig_kver)
kdir=$(kvmmig_kdir "$kver")
src=$("$KVMMIG_TESTBED/ksrc.sh")/lib/kunit
out=$BUILD_DIR/kunit
stamp=$out/.stamp
files=(test.c resource.c string-stream.c assert.c try-catch.c debugfs.c
	debugfs.h string-stream.h try-catch-impl.h)

key="$kver $(cat "$BUILD_DIR/ksrc/.stamp") $(sha256sum <"$0")"
if kvmmig_stamp_valid "$stamp" "$key" && [ -f "$out/kunit.ko" ]; then
	exit 0
fi

kvmmig_log "building kunit.ko for $kver"
rm -rf "$out"
mkdir -p "$out"
for f in "${files[@]}"; do
	cp "$src/$f" "$out/"
done

# Run sed command $4 on the lines of $1 that match regex $3, after checking
# that exactly $2 lines match: a different source version then fails loudly
# instead of building a subtly wrong kunit.ko.
edit() {
	local n
	n=$(grep -c -- "$3" "$out/$1") || true
	[ "$n" -eq "$2" ] ||
		kvmmig_die "kunit edit: $n lines of $1 match '$3', expected $2 (new source version?)"
	sed -i -e "/$3/$4" "$out/$1"
}
edit test.c 2 '^[[:space:]]*current->kunit_test = ' 'd'
edit test.c 3 '^#ifdef CONFIG_MODULES$' 's||#if 0 /* kvmmig: no module notifier without CONFIG_KUNIT */|'
edit test.c 1 '^late_initcall(kunit_init);$' 's||module_init(kunit_init);|'

cat >"$out/Kbuild" <<'EOF'
obj-m := kunit.o
kunit-y := test.o resource.o string-stream.o assert.o try-catch.o debugfs.o
ccflags-y := -DCONFIG_KUNIT_DEBUGFS=1 -DCONFIG_KUNIT_DEFAULT_ENABLED=1
EOF

make -s -C "$kdir" M="$out" -j"$(nproc)" modules
printf '%s\n' "$key" >"$stamp"
