#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The payload's run.sh for `make check`: runs inside the test kernel (busybox
# sh, started by run-vm.sh from the payload directory, output going to
# output.log), after KVM (kvm_amd) was loaded.
#
# Payload layout (assembled by check.sh; every part is optional, a missing
# kvmmig.ko is reported as skipped):
#   run.sh        this script
#   kunit.ko      KUnit core (build-kunit.sh)
#   kvmmig.ko     the module under test
#   kunit/*.ko    KUnit test modules: each runs its suites when loaded
#   selftests/*   static selftest binaries printing KTAP (kselftest.h)
#   bin/*         programs the selftests run (on their PATH)
#   selftest-timeout  seconds per selftest binary (default 300)
#   env           VAR=VALUE lines, exported for the selftests
#
# Order: insmod kunit.ko and kvmmig.ko; then per KUnit module: insmod, print
# the KTAP of each new suite in /sys/kernel/debug/kunit, rmmod; then run each
# selftest (kvmmig still loaded); last, rmmod kvmmig: it must unload cleanly
# after everything.
#
# Output protocol, read by tap-summary.sh.  Lines of ours start with
# "KVMMIG-CHECK: ", then one of:
#   ok NAME | not ok NAME # REASON | ok NAME # SKIP REASON   a check of ours
#   kunit-begin SUITE ... kunit-end SUITE          around a suite's KTAP
#   selftest-begin NAME ... selftest-end NAME rc=N around a binary's output
#   done                                           the script ran to its end
# Exit status: 0 when nothing failed (skips allowed), 1 otherwise.

set -eu

# Per selftest binary (then SIGTERM: exit status 143); everything is 10-100x
# slower under TCG.  A payload file selftest-timeout overrides it (the debug
# kernel's KASAN and lockdep make every test slower still).
SELFTEST_TIMEOUT=300
if [ -f selftest-timeout ]; then
	SELFTEST_TIMEOUT=$(cat selftest-timeout)
fi
KUNIT_DEBUGFS=/sys/kernel/debug/kunit
failed=0

say() { echo "KVMMIG-CHECK: $*"; }
pass() { say "ok $1"; }
fail() { say "not ok $1 # $2"; failed=1; }
skip() { say "ok $1 # SKIP $2"; }

# Module name of a .ko file, as rmmod wants it.
modname() { basename "$1" .ko | tr - _; }

# check NAME CMD [ARG...]: run CMD and report it as check NAME, with CMD's
# exit status and output as the reason when it fails.  Returns CMD's success.
check() {
	check_name=$1
	shift
	check_rc=0
	check_out=$("$@" 2>&1) || check_rc=$?
	if [ "$check_rc" -eq 0 ]; then
		pass "$check_name"
	else
		fail "$check_name" "exit status $check_rc: $(printf '%s' "$check_out" | tr '\n' ' ')"
		return 1
	fi
}

# Print the KTAP of each suite in debugfs not printed before; suites appear
# when a KUnit module is loaded and go when it is removed.
printed_suites=' '
print_new_suites() {
	new_suites=0
	for dir in "$KUNIT_DEBUGFS"/*; do
		[ -f "$dir/results" ] || continue
		suite=${dir##*/}
		case $printed_suites in *" $suite "*) continue ;; esac
		printed_suites="$printed_suites$suite "
		new_suites=$((new_suites + 1))
		say "kunit-begin $suite"
		cat "$dir/results" || fail "kunit_results_$suite" "cannot read $dir/results"
		say "kunit-end $suite"
		if grep -q '^not ok' "$dir/results"; then
			failed=1
		fi
	done
}

if [ -c /dev/kvm ]; then
	pass kvm_available
else
	fail kvm_available "/dev/kvm missing"
fi

if [ -f kunit.ko ]; then
	check insmod_kunit insmod kunit.ko || true
fi

kvmmig_loaded=
if [ ! -f kvmmig.ko ]; then
	skip insmod_kvmmig "no kvmmig.ko in the payload"
elif check insmod_kvmmig insmod kvmmig.ko; then
	kvmmig_loaded=1
fi

for ko in kunit/*.ko; do
	[ -f "$ko" ] || continue
	name=$(modname "$ko")
	# The suites run inside insmod; print them even if it failed after.
	if check "insmod_$name" insmod "$ko"; then
		loaded=1
	else
		loaded=
	fi
	print_new_suites
	if [ "$new_suites" -eq 0 ]; then
		fail "kunit_suites_$name" "no KUnit suite ran (missing __kunit_test_suites_init?)"
	fi
	if [ -n "$loaded" ]; then
		check "rmmod_$name" rmmod "$name" || true
	fi
done

PATH=$PWD/bin:$PATH
export PATH
if [ -f env ]; then
	while IFS= read -r kv; do
		[ -z "$kv" ] || export "$kv"
	done <env
fi
for bin in selftests/*; do
	[ -f "$bin" ] || continue
	name=${bin##*/}
	say "selftest-begin $name"
	rc=0
	timeout -k 10 "$SELFTEST_TIMEOUT" "./$bin" || rc=$?
	say "selftest-end $name rc=$rc"
	# 4 is KSFT_SKIP.
	case $rc in 0 | 4) ;; *) failed=1 ;; esac
done

if [ -n "$kvmmig_loaded" ]; then
	check rmmod_kvmmig rmmod kvmmig || true
fi

say "done"
exit "$failed"
