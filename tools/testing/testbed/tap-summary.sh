#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Summarize the output of guest-check.sh (see its header for the protocol).
#
# Usage: tap-summary.sh [--extra-failure TEXT]... OUTPUT_LOG
#   --extra-failure TEXT   count one more failure, named TEXT (check.sh uses
#                          it for kernel-log problems and hangs)
# Prints "FAIL: <name>" for each failure (and "SKIP: <name>" for each
# skip), then as its last line exactly "N passed, N failed, N skipped".
# Exit status: 1 if anything failed or nothing ran, else 0.
#
# Counting:
#  - checks of guest-check.sh: one each;
#  - KUnit: each test case of a suite's KTAP; a parameterized case counts its
#    parameters, from its "# case: pass:P fail:F skip:S total:T" line (the
#    6.1 debugfs log keeps only the last parameter's own result line); cases
#    the suite's plan promised but did not report count as failed, and so
#    does a suite that is "not ok" with no failed case (e.g. suite_init);
#  - selftests: each top-level "ok N" / "not ok N" line; results the plan
#    promised but the binary did not print are failed, or skipped if it
#    exited with KSFT_SKIP (4); one that exited non-zero (killed, timed out,
#    crashed) without any "not ok" counts at least one failure, one that
#    skipped without results one skip.

set -euo pipefail

extra=()
while [ $# -gt 1 ]; do
	case $1 in
	--extra-failure) extra+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: tap-summary.sh [--extra-failure TEXT]... OUTPUT_LOG" >&2; exit 2; }
log=$1
[ -r "$log" ] || { echo "tap-summary: $log not readable" >&2; exit 2; }

printf '%s\n' "${extra[@]}" | awk -v logfile="$log" '
# Count n (default 1) results of one status; failures and skips are listed
# by name, once.
function result(status, name, n) {
	if (n == "")
		n = 1
	if (n <= 0)
		return
	if (status == "pass") {
		npass += n
	} else if (status == "skip") {
		nskip += n
		skips[++nskipnames] = name
	} else {
		nfail += n
		fails[++nfailnames] = name
	}
}

# Status of a TAP result line: "pass", "fail" or "skip".
function tap_status(line) {
	if (line ~ /^ *not ok /)
		return "fail"
	if (toupper(line) ~ /# *SKIP/)
		return "skip"
	return "pass"
}

# Test name of a TAP result line: what follows "ok N", minus any directive.
function tap_name(line,    s) {
	s = line
	sub(/^ *(not )?ok( [0-9]+)? *(- *)?/, "", s)
	sub(/ *#.*$/, "", s)
	return s
}

function kunit_begin(name) {
	section = "kunit"; suite = name
	kplan = 0; kcases = 0; kfails = 0; ksuite_status = ""
	delete kstats
}

function kunit_end() {
	if (kplan > kcases) {
		result("fail", "kunit: " suite " (" (kplan - kcases) " of " kplan " cases not reported)", kplan - kcases)
		kfails++
	}
	# A suite without its own result line was cut off.
	if (ksuite_status != "pass" && kfails == 0)
		result("fail", "kunit: " suite " (suite " (ksuite_status == "" ? "cut off" : "failed") ")")
	section = ""
}

function kunit_line(line,    indent, name, st, n, a) {
	match(line, /^ */)
	indent = RLENGTH
	if (indent == 0) {
		if (line ~ /^(not )?ok [0-9]+ /)
			ksuite_status = tap_status(line)
		return
	}
	if (indent != 4)
		return	# parameters: counted from the stats line
	if (line ~ /^ *1\.\.[0-9]+/) {
		sub(/^ *1\.\./, "", line)
		kplan = line + 0
	} else if (line ~ /^ *# [^ ]+: pass:[0-9]+ fail:[0-9]+ skip:[0-9]+ total:[0-9]+/) {
		split(line, a, /[ :]+/)
		# a[1]="" a[2]="#" a[3]=name a[4]="pass" a[5]=P a[6]="fail" a[7]=F
		# a[8]="skip" a[9]=S ...
		kstats[a[3]] = a[5] " " a[7] " " a[9]
	} else if (line ~ /^ *(not )?ok [0-9]+ /) {
		kcases++
		name = tap_name(line)
		st = tap_status(line)
		if (name in kstats) {
			split(kstats[name], a, " ")
			n = a[1] + a[2] + a[3]
			result("pass", "", a[1])
			result("fail", "kunit: " suite "." name " (" a[2] " of " n " parameters)", a[2])
			result("skip", "kunit: " suite "." name " (" a[3] " of " n " parameters)", a[3])
			if (a[2] > 0)
				kfails++
		} else {
			result(st, "kunit: " suite "." name)
			if (st == "fail")
				kfails++
		}
	}
}

function selftest_begin(name) {
	section = "selftest"; binary = name
	splan = -1; sresults = 0; sfails = 0
}

function selftest_end(rc,    missing, why) {
	missing = splan - sresults
	if (missing < 0)
		missing = 0
	if (rc == 4) {
		if (sresults == 0 && missing == 0)
			missing = 1
		result("skip", "selftest: " binary " (" missing " results, exited with KSFT_SKIP)", missing)
	} else {
		if (rc == "")
			why = "cut off"
		else if (rc > 128 && rc < 160)	# the shell reports a signal N as 128+N
			why = "killed by signal " (rc - 128) " (timeout?)"
		else
			why = "exit status " rc
		if (rc != 0 && sfails == 0 && missing == 0)
			missing = 1
		if (rc == 0 && splan == -1 && sresults == 0) {
			missing = 1
			why = "no TAP output"
		}
		result("fail", "selftest: " binary " (" missing " missing: " sresults " of " \
		       (splan < 0 ? "?" : splan) " results printed, " why ")", missing)
	}
	section = ""
}

function selftest_line(line,    st) {
	if (splan < 0 && line ~ /^1\.\.[0-9]+/) {
		sub(/^1\.\./, "", line)
		splan = line + 0
	} else if (line ~ /^(not )?ok [0-9]+/) {
		sresults++
		st = tap_status(line)
		result(st, "selftest: " binary ": " tap_name(line))
		if (st == "fail")
			sfails++
	}
}

# The --extra-failure names come on stdin.
{
	if ($0 != "")
		result("fail", $0)
}

END {
	prefix = "KVMMIG-CHECK: "
	while ((getline line < logfile) > 0) {
		sub(/\r$/, "", line)
		if (index(line, prefix) != 1) {
			if (section == "kunit")
				kunit_line(line)
			else if (section == "selftest")
				selftest_line(line)
			continue
		}
		line = substr(line, length(prefix) + 1)
		# A section that did not end was cut off (crash, panic, hang).
		if (section == "kunit" && line !~ /^kunit-end /)
			kunit_end()
		else if (section == "selftest" && line !~ /^selftest-end /)
			selftest_end("")
		if (line ~ /^kunit-begin /)
			kunit_begin(substr(line, 13))
		else if (line ~ /^kunit-end /)
			kunit_end()
		else if (line ~ /^selftest-begin /)
			selftest_begin(substr(line, 16))
		else if (line ~ /^selftest-end /) {
			sub(/.* rc=/, "", line)
			selftest_end(line + 0)
		} else if (line == "done")
			done = 1
		else if (line ~ /^(not )?ok /)
			result(tap_status(line), "check: " tap_name(line))
	}
	if (section == "kunit")
		kunit_end()
	else if (section == "selftest")
		selftest_end("")
	if (!done)
		result("fail", "check: guest-check.sh did not finish (crash, panic or timeout)")

	for (i = 1; i <= nfailnames; i++)
		print "FAIL: " fails[i]
	for (i = 1; i <= nskipnames; i++)
		print "SKIP: " skips[i]
	printf "%d passed, %d failed, %d skipped\n", npass, nfail, nskip
	exit (nfail > 0 || npass + nfail + nskip == 0)
}
'
