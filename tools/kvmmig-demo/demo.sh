#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo, inside the test kernel (kvmmig loaded, run from the payload
# directory): what kvmmig sees of a running guest, then two live
# migrations by the reference VMM, each printing its rounds and summary.
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
exit $rc
