#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make demo, inside the test kernel (kvmmig loaded, run from the payload
# directory): what kvmmig sees of a running guest, then two live
# migrations by the reference VMM, each printing its rounds and summary,
# a post-copy migration with guest-virtual prefetch, kvmmig-stat's table
# and heat map of a running guest, and a save and a working-set-first
# restore.
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
echo "==== kvmmig-stat, the operator's view of a running guest (read-only session)"
png=/tmp/kvmmig-heatmap.png
kvmmig-migrate --workload busy --save /tmp/kvmmig-stat.img --save-after-ms 8000 \
	>/tmp/kvmmig-stat.log 2>&1 &
vmm=$!
sleep 3
kvmmig-stat --once --bandwidth-mbps 1000 --heatmap $png || rc=1
if [ -f $png ]; then
	# IHDR: width and height, big-endian, at bytes 16..23 (read back here:
	# the test VM returns no files)
	set -- $(od -A n -t u1 -j 16 -N 8 $png)
	echo "heat map $png: $(wc -c <$png) bytes, PNG IHDR" \
		"$(($1 << 24 | $2 << 16 | $3 << 8 | $4))x$(($5 << 24 | $6 << 16 | $7 << 8 | $8))," \
		"signature $(od -A n -c -j 1 -N 3 $png | tr -d ' ')"
else
	echo "no heat map written"; rc=1
fi
wait $vmm || rc=1
rm -f /tmp/kvmmig-stat.img $png

echo
echo "==== save, then restore working set first (KVMMIG_GET_WORKING_SET)"
img=/tmp/kvmmig-demo.img
kvmmig-migrate --workload chase --save $img --save-after-ms 3000 || rc=1
kvmmig-migrate --restore $img --restore-mode ws || rc=1
rm -f $img
exit $rc
