#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run-debug.sh — what `make check-debug` runs INSIDE the debug
# kernel's VM: selftests/run.sh (which already fails on KASAN, UBSAN,
# lockdep and RCU reports after every binary), then a kmemleak scan of
# everything the tests left behind (after rmmod exo).
#
# Last line: "debug: N passed, N failed" (run.sh's counts plus the
# kmemleak check).  Exit status non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

KL=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# Forget what boot left (reported separately by scripts/vm's own scan).
[ -w "$KL" ] && echo clear >"$KL"

out=$(selftests/run.sh "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
line=$(grep -E '^selftests: [0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1)
passed=$(sed -nE 's/^selftests: ([0-9]+) passed.*/\1/p' <<<"$line")
failed=$(sed -nE 's/^selftests: [0-9]+ passed, ([0-9]+) failed.*/\1/p' <<<"$line")
passed=${passed:-0}
failed=${failed:-1}
[ "$rc" = 0 ] || [ "$failed" != 0 ] || failed=1

if [ -w "$KL" ]; then
	# An object is reported once it has been unreferenced for 5 s and
	# seen by a scan; scan twice to let stray references drain.
	sleep 6
	echo scan >"$KL"
	sleep 1
	echo scan >"$KL"
	n=$(grep -c 'unreferenced object' "$KL")
	if [ "$n" = 0 ]; then
		echo "ok - kmemleak: nothing leaked by the selftests"
		passed=$((passed + 1))
	else
		head -n 120 "$KL" | sed 's/^/# /'
		echo "not ok - kmemleak: $n unreferenced objects after the selftests"
		failed=$((failed + 1))
	fi
	echo clear >"$KL"
else
	echo "not ok - kmemleak: $KL missing (not a kmemleak kernel?)"
	failed=$((failed + 1))
fi

echo "debug: $passed passed, $failed failed"
[ "$failed" = 0 ]
