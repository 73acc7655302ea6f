#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo, inside the test kernel (kvmmig loaded, run from the payload
# directory): what kvmmig sees of a running guest, then two live
# migrations by the reference VMM, each printing its rounds and summary,
# a post-copy migration with guest-virtual prefetch, and a save and a
# working-set-first restore.
PATH=$PWD:$PATH
rc=0

echo "==== page temperature of a running guest"
./kvmmig_demo || rc=1

echo
echo "==== live migration of a mixed guest (free, zero, duplicate, hot pages)"
kvmmig-migrate --workload busy || rc=1

echo
echo "==== live migration of a guest that dirties memory faster than it is sent"
kvmmig-migrate --workload dirty --vcpus 4 --max-rounds 30 || rc=1

echo
echo "==== post-copy: the guest runs on the destination at once; each fault"
echo "     fetches its guest-virtual neighbours too (KVMMIG_PREFETCH)"
kvmmig-migrate --workload chase --postcopy --prefetch gva || rc=1

echo
echo "==== save, then restore working set first (KVMMIG_GET_WORKING_SET)"
img=/tmp/kvmmig-demo.img
kvmmig-migrate --workload chase --save $img --save-after-ms 3000 || rc=1
kvmmig-migrate --restore $img --restore-mode ws || rc=1
rm -f $img
exit $rc
