#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/run.sh — run the exo kselftests.  INSIDE the test VM, as root,
# from anywhere in the repository:
#
#   scripts/vm -- selftests/run.sh                 every test binary
#   scripts/vm -- selftests/run.sh exo_grant       just one (or several)
#
# Build first on the host (make -C selftests): the guest's view of the tree
# is where the binaries are found.
#
# The tests: selftests/exo_* (kselftest harness), the fuzzers' reproducers
# selftests/repro-* (each a TAP program that fails while its bug is back),
# then every executable in libos-*/test/vm/ (programs or scripts printing
# TAP).  An argument names a selftest (exo_grant, repro-flow-alloc-leak) or
# a path (libos-web/test/vm/x).
#
# Output is TAP 13 as kselftest's runner writes it: "TAP version 13", the
# plan, then per test a "# selftests: DIR: NAME" header, the test's own
# output (its nested TAP) with every line prefixed by "# ", and one result
# line, "ok N selftests: DIR: NAME", "... # SKIP" (exit status 4, or a plan
# of "1..0 # SKIP"), "not ok N ... # TIMEOUT S seconds" or "not ok N ...
# # <reasons>".  The harness's own checks are results of their own: the
# extent and XN reloads and the 256 MiB-pool rerun of exo_limits (each with nested
# steps), the live counters at the end, rmmod, /dev/exo gone.  A setup
# failure (not root, no insmod) is "Bail out!".
#
# Timeouts: each test runs under `timeout`, for the "timeout=" of the
# settings file of its directory (selftests/settings; libos-*/test/vm/
# settings if there is one, else selftests/settings), as kselftest does;
# EXO_TEST_TIMEOUT overrides them all (0: none).
#
# Loads kmod/exo.ko (dev_gid=65534 so the permission tests can open the
# device as nobody).  A test fails when its TAP says so, when it crashes,
# times out, exits non-zero with no failed result, or reports fewer or more
# results than its plan; after each test the new kernel log lines are
# scanned for kernel problems (scripts/kernel-problems.sh: BUG, WARNING,
# lockdep, RCU, KASAN, UBSAN, hung tasks...) and exo's global invariants
# are checked (selftests/invariants.sh): either failing fails the test.  At
# the end every live debugfs counter must be zero, `rmmod exo` must succeed
# and leave no /dev/exo or debugfs directory behind.
#
# The counts are of cases, not of result lines: each nested "ok"/"not ok"
# of a test's TAP, plus one failure per harness finding about a test
# (timeout, signal, exit status, plan, kernel log, invariants), plus the
# harness's own results.  A skip is counted as skipped, never as passed.
# Last line, a TAP comment: "# selftests: N passed, N failed, N skipped".
# Exit status is non-zero if anything failed or nothing ran.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

MODULE=${EXO_MODULE:-kmod/exo.ko}	# make check-debug: one built for its kernel
DEBUGFS=/sys/kernel/debug
# shellcheck source=../scripts/kernel-problems.sh
. scripts/kernel-problems.sh	# KERNEL_PROBLEMS, kernel_problems
tmp=$(mktemp -d /tmp/exo-run.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0	# cases
failed=0
skipped=0
num=0		# top-level TAP results

summary() {
	echo "# selftests: $passed passed, $failed failed, $skipped skipped"
	if [ "$failed" -gt 0 ] || [ $((passed + failed)) -eq 0 ]; then
		exit 1
	fi
	exit 0
}

bail_out() {
	echo "Bail out! $*"
	failed=$((failed + 1))
	summary
}

# A top-level result of the harness's own, counted as one case.
ok()     { num=$((num + 1)); echo "ok $num $*"; passed=$((passed + 1)); }
not_ok() { num=$((num + 1)); echo "not ok $num $*"; failed=$((failed + 1)); }
skip()   { num=$((num + 1)); echo "ok $num $1 # SKIP $2"; skipped=$((skipped + 1)); }

kmsg() { echo "exo selftests: $*" > /dev/kmsg 2>/dev/null || true; }
prefix() { sed -u 's/^/# /'; }

# The timeout of a test (seconds, 0: none): EXO_TEST_TIMEOUT, else its
# directory's settings file, else selftests/settings, else kselftest's 45.
timeout_of() {	# test path
	local f v
	if [ -n "${EXO_TEST_TIMEOUT:-}" ]; then
		echo "$EXO_TEST_TIMEOUT"
		return
	fi
	for f in "$(dirname "$1")/settings" selftests/settings; do
		[ -r "$f" ] || continue
		v=$(sed -nE 's/^timeout=([0-9]+)[[:space:]]*$/\1/p' "$f" | tail -n 1)
		if [ -n "$v" ]; then
			echo "$v"
			return
		fi
	done
	echo 45
}

# kselftest's header of a test: "selftests: DIR: NAME".
title_of() {	# test path
	local dir=${1%/*}
	[ "$dir" = selftests ] && dir=exo
	echo "selftests: $dir: ${1##*/}"
}

# ---- which tests ----------------------------------------------------------

tests=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		case $t in
		libos-*/*) tests+=("$t"); continue ;;
		esac
		t=${t##*/}
		t=${t%.c}
		tests+=("selftests/$t")
	done
else
	for f in selftests/exo_*.c selftests/repro-*.c; do
		t=${f%.c}
		[ "$t" = selftests/exo_test ] && continue
		tests+=("$t")
	done
	for f in libos-*/test/vm/*; do
		[ -f "$f" ] && [ -x "$f" ] && tests+=("$f")
	done
fi
has_test() { [[ " ${tests[*]} " == *" selftests/$1 "* ]]; }

echo "TAP version 13"

[ "$(id -u)" = 0 ] ||
	bail_out "must run as root (inside the test VM: scripts/vm -- selftests/run.sh)"

# With a scratch disk (scripts/vm --disk: $EXO_TEST_DISK or /dev/vda) and
# exo_extent among the tests: write through exo, reload the module with the
# disk attached at load time (extent_dev=), reclaim by key and compare.
reload_disk=${EXO_TEST_DISK:-/dev/vda}
reload=0
has_test exo_extent && [ -b "$reload_disk" ] && reload=1
xnreload=0
has_test exo_xn_update && [ -b "$reload_disk" ] && xnreload=1
limits=0
has_test exo_limits && limits=1

echo "1..$(( ${#tests[@]} + reload + xnreload + limits + 3 ))"

# ---- load the module ------------------------------------------------------

mountpoint -q "$DEBUGFS" || mount -t debugfs none "$DEBUGFS" 2>/dev/null

if grep -q '^exo ' /proc/modules; then
	echo "# exo is already loaded; unloading it first"
	out=$(rmmod exo 2>&1) || bail_out "rmmod of a previously loaded exo: $out"
fi
out=$(insmod "$MODULE" dev_gid=65534 2>&1) ||
	bail_out "insmod $MODULE dev_gid=65534: $out"
if [ ! -c /dev/exo ]; then
	rmmod exo
	bail_out "/dev/exo does not exist after insmod"
fi
echo "# loaded $MODULE: $(ls -l /dev/exo)"

# ---- run each test --------------------------------------------------------

# Count the nested TAP of one test (in file $tmp/out) into the totals and
# print its result line.  Sets why to the reasons it failed, if any.
# Arguments: title, exit status, timeout, then extra reasons to fail (each
# counted as one failed case).
count_tap() {	# title rc timeout [reason...]
	local title=$1 rc=$2 to=$3 plan p f s results r out=$tmp/out
	local whole_skip=0
	shift 3
	why=

	p=$(grep -Ec '^ok [0-9]+' "$out")
	s=$(grep -Ec '^ok [0-9]+ # (SKIP|skip)' "$out")
	f=$(grep -Ec '^not ok [0-9]+' "$out")
	p=$((p - s))
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$out" | head -1)
	[ -n "$f" ] && [ "$f" -gt 0 ] && why="$f failed"

	if [ "$plan" = 0 ] && grep -qE '^1\.\.0 # SKIP' "$out"; then
		whole_skip=1	# (e.g. no /dev/exo)
	elif [ -z "$plan" ]; then
		why=${why:+$why, }"no TAP plan"
		f=$((f + 1))
	else
		results=$((p + s + f))
		if [ "$results" -lt "$plan" ]; then
			why=${why:+$why, }"plan 1..$plan but only $results results"
			f=$((f + plan - results))
		elif [ "$results" -gt "$plan" ]; then
			why=${why:+$why, }"plan 1..$plan but $results results"
			f=$((f + 1))
		fi
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why=${why:+$why, }"TIMEOUT $to seconds"
		f=$((f + 1))
	elif [ "$rc" -gt 128 ]; then
		why=${why:+$why, }"died by signal $((rc - 128))"
		f=$((f + 1))
	elif [ "$rc" -eq 4 ] && [ "$f" -eq 0 ] && [ "$p" -eq 0 ]; then
		whole_skip=1	# kselftest's KSFT_SKIP
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		why="exit=$rc"
		f=$((f + 1))
	fi
	for r in "$@"; do
		why=${why:+$why, }$r
		f=$((f + 1))
	done
	[ "$whole_skip" = 1 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ] && s=1

	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	echo "# ${title#selftests: }: $p passed, $f failed, $s skipped"
	num=$((num + 1))
	if [ "$f" -gt 0 ]; then
		echo "not ok $num $title # $why"
	elif [ "$whole_skip" = 1 ]; then
		echo "ok $num $title # SKIP"
	else
		echo "ok $num $title"
	fi
}

# New kernel log lines since line $1 that are kernel problems: printed
# (the whole new log, as comments) and a reason returned in $problem.
check_dmesg() {	# since-line what
	problem=
	if dmesg | tail -n +$(($1 + 1)) | kernel_problems >/dev/null; then
		echo "# kernel log after $2:"
		dmesg | tail -n +$(($1 + 1)) | prefix
		problem="kernel problems in dmesg"
	fi
}

# Run one test: header, nested output, result.  AFTER, if given, runs
# once the test and its checks are done and may set after_problem: one
# more reason for the test to fail.
run_test() {	# path [title [after]]
	local t=$1 title=${2:-$(title_of "$1")} after=${3:-} to rc before reasons=()
	to=$(timeout_of "$t")
	echo "# $title"
	if [ ! -x "$t" ]; then
		echo "# $t is not built: run 'make -C selftests' on the host first"
		not_ok "$title # not built"
		return
	fi
	before=$(dmesg | wc -l)
	kmsg "start ${t##*/}"
	timeout -k 10 "$to" "$t" </dev/null 2>&1 | tee "$tmp/out" | prefix
	rc=${PIPESTATUS[0]}
	kmsg "end ${t##*/}"

	check_dmesg "$before" "${t##*/}"
	[ -z "$problem" ] || reasons+=("$problem")
	# Global invariants (selftests/invariants.sh).
	if ! inv=$(selftests/invariants.sh --idle 2>&1); then
		printf '%s\n' "$inv" | prefix
		reasons+=("invariants broken")
	fi
	if [ -n "$after" ]; then
		after_problem=
		"$after"
		[ -z "$after_problem" ] || reasons+=("$after_problem")
	fi
	count_tap "$title" "$rc" "$to" "${reasons[@]}"
}

for t in "${tests[@]}"; do
	run_test "$t"
done

# ---- disk extents survive a module reload ---------------------------------

# The save step, before rmmod; its result is printed with the reload's
# (nested, at the end).
reload_state=
if [ "$reload" = 1 ]; then
	reload_state=$tmp/extent-reload
	if [ -x selftests/exo_extent ] &&
	   EXO_EXTENT_PHASE=save STATE=$reload_state selftests/exo_extent \
		>"$tmp/reload-save" 2>&1; then
		reload_save=ok
	else
		reload_save="not ok"
		reload_state=
	fi
fi

# ---- everything released, module unloads cleanly ------------------------

# Every test process has exited; the last fput may still be in flight.
live_counters='^(envs|caps|tombstones|keys|objects\.[a-z_]+) '
for _ in $(seq 50); do
	nonzero=$(grep -E "$live_counters" "$DEBUGFS/exo/totals" | awk '$2 != 0')
	[ -z "$nonzero" ] && break
	sleep 0.1
done
if [ -z "$nonzero" ] && [ -r "$DEBUGFS/exo/totals" ]; then
	ok "selftests: exo: debugfs live counters are zero after all tests"
else
	echo "# $DEBUGFS/exo/totals:"
	prefix <"$DEBUGFS/exo/totals" 2>/dev/null
	not_ok "selftests: exo: debugfs live counters are zero after all tests"
fi

before=$(dmesg | wc -l)
if out=$(rmmod exo 2>&1); then
	check_dmesg "$before" "rmmod"
	if [ -z "$problem" ]; then
		ok "selftests: exo: rmmod exo"
	else
		not_ok "selftests: exo: rmmod exo # $problem"
	fi
else
	echo "# $out"
	not_ok "selftests: exo: rmmod exo"
fi
if [ ! -e /dev/exo ] && [ ! -e "$DEBUGFS/exo" ]; then
	ok "selftests: exo: /dev/exo and $DEBUGFS/exo are gone after rmmod"
else
	not_ok "selftests: exo: /dev/exo and $DEBUGFS/exo are gone after rmmod"
fi

# The reload: nested TAP of its own (save, insmod, reclaim and compare,
# rmmod), then the kernel log of the reload.
if [ "$reload" = 1 ]; then
	title="selftests: exo: extent reload (extent_dev=$reload_disk)"
	echo "# $title"
	before=$(dmesg | wc -l)
	{
		echo "1..4"
		prefix <"$tmp/reload-save"
		echo "$reload_save 1 save before rmmod"
		if [ -z "$reload_state" ]; then
			echo "not ok 2 insmod extent_dev=$reload_disk # not run: the save failed"
			echo "not ok 3 reclaim and compare after insmod # not run"
			echo "not ok 4 rmmod exo # not run"
		elif ! out=$(insmod "$MODULE" dev_gid=65534 extent_dev="$reload_disk" 2>&1); then
			echo "# $out"
			echo "not ok 2 insmod extent_dev=$reload_disk"
			echo "not ok 3 reclaim and compare after insmod # not run"
			echo "not ok 4 rmmod exo # not run"
		else
			echo "ok 2 insmod extent_dev=$reload_disk"
			if out=$(EXO_EXTENT_PHASE=check STATE=$reload_state selftests/exo_extent 2>&1); then
				prefix <<<"$out"
				echo "ok 3 reclaim and compare after insmod"
			else
				prefix <<<"$out"
				echo "not ok 3 reclaim and compare after insmod"
			fi
			if out=$(rmmod exo 2>&1); then
				echo "ok 4 rmmod exo"
			else
				echo "# $out"
				echo "not ok 4 rmmod exo"
			fi
		fi
	} >"$tmp/out"
	prefix <"$tmp/out"
	check_dmesg "$before" "the extent reload"
	count_tap "$title" 0 0 ${problem:+"$problem"}
fi

# ---- XN roots and templates survive a module reload ----------------------

# Load exo, build an XN tree (EXO_XN_PHASE=save), unload, load with the
# disk attached at load time, and check the tree, the owners and the
# templates' checks (EXO_XN_PHASE=check) and the invariants (debugfs check
# walks from the roots).  Nested TAP of its own, as the extent reload.
if [ "$xnreload" = 1 ]; then
	title="selftests: exo: xn reload (extent_dev=$reload_disk)"
	echo "# $title"
	before=$(dmesg | wc -l)
	xn_state=$tmp/xn-reload
	{
		echo "1..5"
		if ! out=$(insmod "$MODULE" dev_gid=65534 2>&1); then
			echo "# $out"
			echo "not ok 1 save before rmmod # insmod failed"
		elif out=$(EXO_XN_PHASE=save STATE=$xn_state selftests/exo_xn_update 2>&1); then
			echo "ok 1 save before rmmod"
		else
			prefix <<<"$out"
			echo "not ok 1 save before rmmod"
		fi
		if out=$(rmmod exo 2>&1) &&
		   out=$(insmod "$MODULE" dev_gid=65534 extent_dev="$reload_disk" 2>&1); then
			echo "ok 2 rmmod, insmod extent_dev=$reload_disk"
			if out=$(EXO_XN_PHASE=check STATE=$xn_state selftests/exo_xn_update 2>&1); then
				echo "ok 3 tree, owners and templates back after insmod"
			else
				prefix <<<"$out"
				echo "not ok 3 tree, owners and templates back after insmod"
			fi
			if out=$(selftests/invariants.sh --idle 2>&1); then
				echo "ok 4 invariants (debugfs check walks the roots)"
			else
				prefix <<<"$out"
				echo "not ok 4 invariants (debugfs check walks the roots)"
			fi
			if out=$(rmmod exo 2>&1); then
				echo "ok 5 rmmod exo"
			else
				echo "# $out"
				echo "not ok 5 rmmod exo"
			fi
		else
			echo "# $out"
			echo "not ok 2 rmmod, insmod extent_dev=$reload_disk"
			echo "not ok 3 tree, owners and templates back after insmod # not run"
			echo "not ok 4 invariants (debugfs check walks the roots) # not run"
			echo "not ok 5 rmmod exo # not run"
		fi
	} >"$tmp/out"
	prefix <"$tmp/out"
	check_dmesg "$before" "the xn reload"
	count_tap "$title" 0 0 ${problem:+"$problem"}
fi

# ---- a database-sized pool -----------------------------------------------

# With exo_limits among the tests: the module once more with a 256 MiB pool
# (pool_pages=65536) and exo_limits again, whose database_pool_default_quota
# then has one env take all 65,536 frames under the default quota.
if [ "$limits" = 1 ]; then
	title="selftests: exo: exo_limits (pool_pages=65536)"
	rmmod_after() {
		local before out
		before=$(dmesg | wc -l)
		if out=$(rmmod exo 2>&1); then
			check_dmesg "$before" "rmmod"
			after_problem=$problem
		else
			echo "# $out"
			after_problem="rmmod exo after it failed"
		fi
	}
	if ! out=$(insmod "$MODULE" dev_gid=65534 pool_pages=65536 2>&1); then
		echo "# $title"
		echo "# $out"
		not_ok "$title # insmod pool_pages=65536 failed"
	else
		run_test selftests/exo_limits "$title" rmmod_after
	fi
fi

summary
