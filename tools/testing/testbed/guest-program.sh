#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Payload run.sh for `make demo` and the benchmarks: inside the test kernel
# (run-vm.sh runs it from /kt, with KVM loaded), load kvmmig, run the
# program whose file name the payload's file "program" holds, unload.
cd /kt || exit 1
prog=$(cat program) || exit 1
echo "== insmod kvmmig.ko"
insmod ./kvmmig.ko || exit 1
echo "== $prog"
"./$prog"
rc=$?
echo "== rmmod kvmmig"
rmmod kvmmig || rc=1
exit $rc
