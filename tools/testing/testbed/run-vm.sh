#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel (Debian's 6.1 image) in QEMU with a busybox initramfs,
# load KVM inside it and run a payload; then judge the kernel log.
#
# Usage: run-vm.sh --payload DIR [--kver VER] [--kernel IMAGE] [--timeout SECONDS]
#                  [--out DIR] [--vng]
#   --payload DIR   copied into the guest as /kt; must contain an executable
#                   run.sh, which the guest runs from /kt with stdout+stderr
#                   going to $OUT/output.log (streamed to our stdout live);
#                   its rootfs/, if any, is laid over the guest's / instead
#                   (programs with their libraries, data at fixed paths;
#                   not with --vng, which shares the host's root)
#   --kver VER      kernel version (default: lib.sh's kvmmig_kver)
#   --kernel IMAGE  boot this image instead of /boot/vmlinuz-VER: e.g. the
#                   debug kernel's bzImage, with KVM built in (no modules
#                   from /lib/modules go into the initramfs)
#   --timeout S     wall-clock limit for the whole boot (default 900)
#   --out DIR       logs and the initramfs (default $BUILD_DIR/vm)
#   --vng           boot with virtme-ng instead (virtme-ng 1.35 from Debian 13,
#                   see deps.sh; slower, ~30 s a boot under TCG)
# Env: BUILD_DIR, KVER (see lib.sh); TCG_CPU: the -cpu model under TCG
# (default EPYC: SVM with NPT; qemu64,+svm: SVM without NPT, shadow paging)
#
# Outputs in $OUT: console.log (the guest kernel's console, ttyS0),
# output.log (the payload's output, ttyS1), initramfs.cpio.
#
# Exit status (callers tell test failures from kernel trouble by it):
#   0  run.sh exited 0 and the kernel log is clean
#   1  error in run-vm.sh itself (usage, missing kernel ...)
#   2  run.sh exited non-zero; the kernel log is clean
#   3  the kernel log shows an oops, BUG, WARNING, lockup, KASAN, lockdep or
#      kmemleak report, a hung task ... (see below)
#   4  no result from the guest: hang, timeout, panic
# Kernel-log problems and a missing result are printed on stderr.
#
# Accel: KVM with -cpu host when the host's /dev/kvm can run a guest, else
# TCG with -cpu EPYC, whose emulated SVM+NPT lets kvm_amd load in the guest.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=
payload=
timeout_s=900
out=$BUILD_DIR/vm
use_vng=
image=
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2; shift 2 ;;
	--kernel) image=$2; shift 2 ;;
	--payload) payload=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--vng) use_vng=1; shift ;;
	*) kvmmig_die "usage: run-vm.sh --payload DIR [--kver VER] [--kernel IMAGE] [--timeout S] [--out DIR] [--vng]" ;;
	esac
done
if [ -z "$kver" ] && [ -n "$image" ]; then
	kver=custom
fi
[ -n "$kver" ] || kver=$(kvmmig_kver)
if [ -z "$payload" ] || [ ! -x "$payload/run.sh" ]; then
	kvmmig_die "--payload DIR with an executable run.sh is required"
fi
payload=$(cd "$payload" && pwd)
kernel=${image:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || kvmmig_die "$kernel not readable"
mkdir -p "$out"
out=$(cd "$out" && pwd)
console=$out/console.log
output=$out/output.log
rm -f "$console" "$output" "$out/qemu.log" "$out/problems.log"

# The marker the guest prints (through printk, which writes the console
# synchronously: a tty write could still sit in a buffer at poweroff).
marker=KVMMIG-TESTBED-DONE

# A host /dev/kvm is only worth using if the CPU really has VMX/SVM: some
# sandboxes offer a /dev/kvm (e.g. kvm-pvm) that cannot run a normal guest,
# and the guest needs VMX/SVM itself to run KVM.
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	accel=(-accel kvm -cpu host)
else
	# thread=single: multi-threaded TCG hung in ~1 of 5 guest runs that
	# create and destroy VMs (KVM's text patching); single is no slower.
	# TCG_CPU=qemu64,+svm (no NPT) makes KVM use shadow paging.
	accel=(-accel 'tcg,thread=single' -cpu "${TCG_CPU:-EPYC}")
fi
# Under TCG, the test bed's own QEMU when it is built (make test-build:
# tools/qemu/build.sh --tcg, Debian's QEMU with tools/qemu/tcg-series:
# without it an L2 guest of the test kernel's KVM takes interrupts twice,
# with its interrupts off, and deadlocks in about half of its boots);
# else Debian's.  virtme-ng (--vng) always runs Debian's.
l0_qemu=qemu-system-x86_64
l0_data=()
if [ "${accel[1]}" != kvm ] && [ -x "$BUILD_DIR/tcg-qemu/qemu-system-x86_64" ]; then
	l0_qemu=$BUILD_DIR/tcg-qemu/qemu-system-x86_64
	# where Debian's QEMU finds SeaBIOS and the option ROMs
	l0_data=(-L /usr/share/qemu -L /usr/share/seabios)
fi

# Guest side, shared by both boot methods: print the shell code that loads
# KVM, runs the payload from directory $1 with its output going to file $2
# and prints the marker.
guest_run_payload() {
	cat <<EOF
# A kernel with KVM built in has /dev/kvm already.
if [ -c /dev/kvm ]; then
	:
elif grep -qw svm /proc/cpuinfo; then
	modprobe kvm_amd
elif grep -qw vmx /proc/cpuinfo; then
	modprobe kvm_intel
fi
[ -c /dev/kvm ] ||
	echo "testbed: /dev/kvm missing: no SVM/VMX in the CPU, or kvm did not load" >/dev/kmsg
# veth: the reference VMM's --transport netns links two network namespaces
modprobe veth 2>/dev/null || true
export KT='$1'
cd "\$KT"
./run.sh </dev/null >'$2' 2>&1
rc=\$?
# A kernel with kmemleak: scan (twice: an object is reported once it was
# found unreferenced in two scans) and put any report in the kernel log,
# where it fails the run.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/tmp/kmemleak.txt
	while IFS= read -r line; do
		echo "kmemleak report: \$line" >/dev/kmsg
	done </tmp/kmemleak.txt
	echo "testbed: kmemleak: \$(grep -c "^unreferenced" /tmp/kmemleak.txt) leak reports" >/dev/kmsg
fi
echo "$marker rc=\$rc" >/dev/kmsg
EOF
}

# Print the kernel image for QEMU.  The uncompressed vmlinux, booted through
# its PVH entry point, skips the bzImage's XZ decompressor, which takes ~5 s
# under TCG; it is extracted once per image (scripts/extract-vmlinux of
# linux-source) and cached.  Falls back to the bzImage if that fails.
qemu_kernel() {
	local dir=$BUILD_DIR/vm-kernel key ksrc
	local vmlinux=$dir/vmlinux-$kver
	# An image of our own, as it is (QEMU boots an ELF vmlinux through PVH).
	if [ -n "$image" ]; then
		printf '%s\n' "$kernel"
		return
	fi
	key=$(stat -c '%s %Y' "$kernel")
	if ! kvmmig_stamp_valid "$vmlinux.stamp" "$key"; then
		mkdir -p "$dir"
		rm -f "$vmlinux.stamp"
		ksrc=$("$KVMMIG_TESTBED/ksrc.sh")
		# Xen ELF note 0x12: the PVH (PHYS32) entry point.
		if "$ksrc/scripts/extract-vmlinux" "$kernel" >"$vmlinux" 2>/dev/null &&
			readelf -n "$vmlinux" | grep -q 'Unknown note type: (0x00000012)'; then
			printf '%s\n' "$key" >"$vmlinux.stamp"
		else
			kvmmig_log "no PVH vmlinux from $kernel: booting the bzImage (slower)"
			rm -f "$vmlinux"
		fi
	fi
	if [ -f "$vmlinux.stamp" ]; then
		printf '%s\n' "$vmlinux"
	else
		printf '%s\n' "$kernel"
	fi
}

# Copy the modules.dep closure of the KVM modules (and veth) from the host's
# /lib/modules/$kver into initramfs root $1, and index them there.
copy_kvm_modules() {
	local root=$1 mod path rel
	local mdir=/lib/modules/$kver
	mkdir -p "$root$mdir"
	for mod in kvm_amd kvm_intel veth; do
		modprobe -C /dev/null -S "$kver" --show-depends "$mod" |
			awk '$1 == "insmod" { print $2 }'
	done | sort -u | while read -r path; do
		rel=${path#"$mdir/"}
		mkdir -p "$root$mdir/$(dirname "$rel")"
		cp "$path" "$root$mdir/$rel"
	done
	cp "$mdir/modules.order" "$mdir/modules.builtin" "$mdir/modules.builtin.modinfo" \
		"$root$mdir/"
	depmod -b "$root" "$kver"
}

# Copy host program $2 into initramfs root $1 with its shared libraries,
# if the host has it.
copy_host_tool() {
	local root=$1 path f
	path=$(command -v "$2") || return 0
	for f in "$path" $(ldd "$path" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}

# Build $out/initramfs.cpio: busybox, KVM modules, the payload in /kt, /init.
# Uncompressed: under TCG, the guest would spend longer inflating it than the
# host spends writing it.
build_initramfs() {
	local root=$out/initramfs
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,kt}
	cp /bin/busybox "$root/bin/busybox"
	[ -n "$image" ] || copy_kvm_modules "$root"
	# addr2line symbolizes the stack dumps of the KVM selftest library's
	# assertion failures.
	copy_host_tool "$root" addr2line
	cp -a "$payload/." "$root/kt/"
	if [ -d "$root/kt/rootfs" ]; then
		cp -a "$root/kt/rootfs/." "$root/"
		rm -rf "$root/kt/rootfs"
	fi
	{
		cat <<'EOF'
#!/bin/busybox sh
# Generated by tools/testing/testbed/run-vm.sh.
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
# No \r\n translation on the payload's port.
stty -F /dev/ttyS1 -opost
EOF
		guest_run_payload /kt /dev/ttyS1
		echo 'poweroff -f'
	} >"$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$out/initramfs.cpio"
}

# virtme-ng shares the host's root filesystem (payload, modules) with the
# guest; the payload's output goes straight to $output through --rwdir.
vng_script() {
	{
		echo '#!/bin/sh'
		echo 'mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug'
		guest_run_payload "$payload" "$output"
	} >"$out/vng-init.sh"
	chmod +x "$out/vng-init.sh"
}

# run_qemu and run_vng run in the background and exec, so that $! is the
# pid of timeout(1).  QEMU's stderr goes to qemu.log: under TCG it warns
# about each CPUID feature of EPYC that TCG lacks.
run_qemu() {
	exec timeout -k 10 "$timeout_s" "$l0_qemu" ${l0_data[@]+"${l0_data[@]}"} \
		"${accel[@]}" -machine q35 -smp 2 -m 3G \
		-kernel "$qemu_kernel" -initrd "$out/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 rdinit=/init" \
		-nographic -no-reboot -nodefaults -monitor none \
		-serial "file:$console" -serial "file:$output" 2>"$out/qemu.log"
}

# Without a usable host KVM: TCG as run_qemu uses it (vng gives QEMU no
# -cpu then), 9p for the root filesystem (virtiofsd needs KVM's shared
# memory) and q35 (microvm needs KVM).
run_vng() {
	local kvm_opt=()
	[ "${accel[1]}" = kvm ] ||
		kvm_opt=(--disable-kvm --force-9p --disable-microvm
			--qemu-opts="${accel[*]}")
	exec timeout -k 10 "$timeout_s" vng --run "$kernel" --user root --cpus 2 --memory 3G \
		--rwdir "$out=$out" --verbose --exec "$out/vng-init.sh" "${kvm_opt[@]}" \
		>"$console" 2>&1 </dev/null
}

if [ -n "$use_vng" ]; then
	command -v vng >/dev/null || kvmmig_die "--vng: vng is not installed"
	vng_script
else
	qemu_kernel=$(qemu_kernel)
	build_initramfs
fi
qemu_used=$l0_qemu
[ -n "$use_vng" ] && qemu_used=qemu-system-x86_64
kvmmig_log "kernel $kver${use_vng:+ (vng)}, accel: ${accel[*]} ($qemu_used), timeout ${timeout_s}s, logs in $out"

start=$SECONDS
if [ -n "$use_vng" ]; then
	run_vng &
else
	run_qemu &
fi
vm_pid=$!
# timeout(1) runs QEMU in a process group of its own, out of reach of a ^C
# on our terminal: stop it ourselves when we are interrupted.
trap 'kill "$vm_pid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
# Stream the payload's output live; tail notices the VM's end within 0.2 s.
tail -n +1 -F -s 0.2 --pid="$vm_pid" "$output" 2>/dev/null &
tail_pid=$!
vm_rc=0
wait "$vm_pid" || vm_rc=$?
wait "$tail_pid" || true
elapsed=$((SECONDS - start))
[ -f "$console" ] || : >"$console"

rc=$(tr -d '\r' <"$console" | sed -n "s/.*$marker rc=\([0-9]*\).*/\1/p" | tail -n 1)
if [ -z "$rc" ]; then
	if [ "$vm_rc" -eq 124 ]; then
		kvmmig_log "TIMEOUT: no result from the guest within ${timeout_s}s (hang?)"
	else
		kvmmig_log "NO RESULT: the guest stopped without reporting (panic? qemu exit $vm_rc)"
		grep -v "TCG doesn't support requested feature" "$out/qemu.log" |
			sed 's/^/[testbed]   qemu: /' >&2 || true
	fi
	status=4
elif [ "$rc" -ne 0 ]; then
	kvmmig_log "payload run.sh exited $rc"
	status=2
else
	status=0
fi

# Kernel-log problems fail the run even when every test passed.  WARNING:
# only at the start of a message (WARN_ON's "WARNING: CPU: ..."): boot
# messages such as "Speculative Return Stack Overflow: WARNING: ..." are not
# ours.
problems='Oops|BUG:|^(\[[^]]*\] *)?WARNING:|KASAN|UBSAN|soft lockup|hung_task|blocked for more than'
problems+='|Kernel panic|general protection fault|RCU stall|rcu_[a-z]+ (self-)?detected stall'
problems+='|list_add corruption|list_del corruption|refcount_t:|Call Trace:'
# The debug kernel's detectors: lockdep, RCU lockdep, kmemleak (run.sh's
# scan above); KASAN's and DEBUG_ATOMIC_SLEEP's reports start with "BUG:".
problems+='|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage'
problems+='|WARNING: suspicious|DEBUG_LOCKS_WARN_ON|bad unlock balance|held lock freed'
problems+='|lock held when returning|unreferenced object|suspected memory leak'
if tr -d '\r' <"$console" | grep -a -n -E "$problems" >"$out/problems.log"; then
	kvmmig_log "KERNEL LOG PROBLEMS ($(wc -l <"$out/problems.log") lines, full log: $console):"
	head -n 50 "$out/problems.log" | sed 's/^/[testbed]   /' >&2
	[ "$status" -eq 4 ] || status=3
fi

kvmmig_log "guest done in ${elapsed}s: payload rc=${rc:-none}, status $status"
exit "$status"
