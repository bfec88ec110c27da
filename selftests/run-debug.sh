#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run-debug.sh — what `make check-debug` runs INSIDE the debug
# kernel's VM: selftests/run.sh (which already fails on KASAN, UBSAN,
# lockdep and RCU reports after every binary), then a fixed-length fuzz
# run, then a kmemleak scan of everything the tests and the fuzz left
# behind (after rmmod exo).
#
# The fuzz run: selftests/exo_fuzz with EXO_DEBUG_FUZZ_CALLS calls
# (default 10^6; 0 leaves it out) and seed EXO_DEBUG_FUZZ_SEED (default
# 1), its long profile, on a freshly loaded exo.ko; one result, passed iff
# it exits 0 with crashes=0, its new kernel log lines hold no BUG/WARNING/
# KASAN/UBSAN/lockdep/RCU report and exo unloads cleanly after it.  It
# prints "# FUZZ calls=N crashes=N" and "# fuzz: N calls in S s of guest
# time"; its timeout is EXO_DEBUG_FUZZ_TIMEOUT (default 2400 s).  Before
# the kmemleak scan, so the scan sees what the fuzz leaked too.
#
# Output: TAP 13, three results (run.sh with its TAP nested, the fuzz, the
# kmemleak scan).  Last line, a comment: "# debug: N passed, N failed"
# (run.sh's counts of cases plus the fuzz and the kmemleak check).  Exit status non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

KL=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# Forget what boot left (reported separately by scripts/vm's own scan).
[ -w "$KL" ] && echo clear >"$KL"

# TAP 13 of three results: run.sh (its TAP nested, "# "-prefixed), the
# fuzz run, the kmemleak scan.
echo "TAP version 13"
echo "1..3"
echo "# selftests/run.sh $*"
out=$(mktemp)
selftests/run.sh "$@" 2>&1 | tee "$out" | sed -u 's/^/# /'
rc=${PIPESTATUS[0]}
line=$(grep -E '^(# )?selftests: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
rm -f "$out"
passed=$(sed -nE 's/^(# )?selftests: ([0-9]+) passed.*/\2/p' <<<"$line")
failed=$(sed -nE 's/^(# )?selftests: [0-9]+ passed, ([0-9]+) failed.*/\2/p' <<<"$line")
passed=${passed:-0}
failed=${failed:-1}
[ "$rc" = 0 ] || [ "$failed" != 0 ] || failed=1
if [ "$failed" = 0 ]; then
	echo "ok 1 selftests/run.sh"
else
	echo "not ok 1 selftests/run.sh # $failed failed"
fi

# ---- the fixed-length fuzz run ---------------------------------------------

# shellcheck source=../scripts/kernel-problems.sh
. scripts/kernel-problems.sh	# KERNEL_PROBLEMS, kernel_problems
fuzz_calls=${EXO_DEBUG_FUZZ_CALLS:-1000000}
fuzz_seed=${EXO_DEBUG_FUZZ_SEED:-1}
fuzz_timeout=${EXO_DEBUG_FUZZ_TIMEOUT:-2400}
module=${EXO_MODULE:-kmod/exo.ko}

# One result for the whole run: ok/not ok with a reason.
fuzz_result() {
	if [ -z "$1" ]; then
		echo "ok 2 fuzz: $fuzz_calls calls, seed $fuzz_seed"
		passed=$((passed + 1))
	else
		echo "not ok 2 fuzz: $fuzz_calls calls, seed $fuzz_seed # $1"
		failed=$((failed + 1))
	fi
}

if [ "$fuzz_calls" = 0 ]; then
	echo "ok 2 fuzz # SKIP not run (EXO_DEBUG_FUZZ_CALLS=0)"
elif [ ! -x selftests/exo_fuzz ]; then
	fuzz_result "selftests/exo_fuzz is not built"
elif grep -q '^exo ' /proc/modules && ! rmmod exo; then
	fuzz_result "exo was left loaded and does not unload"
elif ! out=$(insmod "$module" dev_gid=65534 2>&1); then
	echo "# $out"
	fuzz_result "insmod $module"
else
	echo "# ==== fuzz: exo_fuzz, $fuzz_calls calls, seed $fuzz_seed"
	before=$(dmesg | wc -l)
	echo "exo selftests: start fuzz" >/dev/kmsg 2>/dev/null
	t0=$(cut -d' ' -f1 /proc/uptime)
	fout=$(EXO_FUZZ_CALLS=$fuzz_calls EXO_FUZZ_SEED=$fuzz_seed \
	       timeout -k 10 "$fuzz_timeout" selftests/exo_fuzz 2>&1)
	frc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "exo selftests: end fuzz" >/dev/kmsg 2>/dev/null
	# Its TAP lines are details here: indented, so only the totals stand out.
	sed 's/^/#   /' <<<"$fout"
	fline=$(grep -E '^FUZZ calls=[0-9]+ crashes=[0-9]+' <<<"$fout" | tail -n 1)
	crashes=$(sed -nE 's/^FUZZ calls=[0-9]+ crashes=([0-9]+).*/\1/p' <<<"$fline")
	why=
	if [ "$frc" = 124 ] || [ "$frc" = 137 ]; then
		why="timed out after ${fuzz_timeout}s"
	elif [ -z "$fline" ]; then
		why="no FUZZ line (exit $frc)"
	elif [ "$crashes" != 0 ]; then
		why="crashes=$crashes"
	elif [ "$frc" != 0 ]; then
		why="exit status $frc"
	fi
	if ! rout=$(rmmod exo 2>&1); then
		echo "# $rout"
		why=${why:-"rmmod exo after it failed"}
	fi
	problems=$(dmesg | tail -n +$((before + 1)) | kernel_problems)
	if [ -n "$problems" ]; then
		echo "# kernel log during the fuzz:"
		dmesg | tail -n +$((before + 1)) | grep -vE 'ADDRCONF|exo: (at|de)tached' |
			tail -n 300 | sed 's/^/# /'
		why=${why:+$why; }"kernel problems in dmesg: $(wc -l <<<"$problems") lines"
	fi
	calls=$(sed -nE 's/^FUZZ calls=([0-9]+).*/\1/p' <<<"$fline")
	[ -n "$fline" ] && echo "# $fline"
	echo "# fuzz: ${calls:-0} calls in $(awk "BEGIN { printf \"%.0f\", $t1 - $t0 }") s of guest time"
	fuzz_result "$why"
fi

if [ -w "$KL" ]; then
	# An object is reported once it has been unreferenced for 5 s and
	# seen by a scan; scan twice to let stray references drain.
	sleep 6
	echo scan >"$KL"
	sleep 1
	echo scan >"$KL"
	n=$(grep -c 'unreferenced object' "$KL")
	if [ "$n" = 0 ]; then
		echo "ok 3 kmemleak: nothing leaked by the selftests and the fuzz"
		passed=$((passed + 1))
	else
		head -n 120 "$KL" | sed 's/^/# /'
		echo "not ok 3 kmemleak: $n unreferenced objects after the selftests and the fuzz"
		failed=$((failed + 1))
	fi
	echo clear >"$KL"
else
	echo "not ok 3 kmemleak: $KL missing (not a kmemleak kernel?)"
	failed=$((failed + 1))
fi

echo "# debug: $passed passed, $failed failed"
[ "$failed" = 0 ]
