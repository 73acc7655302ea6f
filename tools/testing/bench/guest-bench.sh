#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench-temperature` inside the test kernel (run-vm.sh runs it from
# /kt, with KVM loaded): load kvmmig, run the benchmark, unload.
cd /kt || exit 1
echo "== insmod kvmmig.ko"
insmod ./kvmmig.ko || exit 1
echo "== temperature_bench"
./temperature_bench
rc=$?
echo "== rmmod kvmmig"
rmmod kvmmig || rc=1
exit $rc
