#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo` inside the test kernel (run-vm.sh runs it from /kt, with KVM
# loaded): load kvmmig, run the demo VMM, unload.
cd /kt || exit 1
echo "== insmod kvmmig.ko"
insmod ./kvmmig.ko || exit 1
echo "== kvmmig-demo: a KVM guest, attached"
./kvmmig_demo
rc=$?
echo "== rmmod kvmmig"
rmmod kvmmig || rc=1
exit $rc
