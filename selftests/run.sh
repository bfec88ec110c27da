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
# Loads kmod/exo.ko (dev_gid=65534 so the permission tests can open the
# device as nobody), runs each binary under `timeout`, and counts its TAP
# results: "ok N" passes, "ok N # SKIP" skips, "not ok N" fails; a binary
# that crashes, times out or reports fewer results than its plan fails.
# After each binary the new kernel log lines are scanned for kernel
# problems (scripts/kernel-problems.sh: BUG, WARNING, lockdep, RCU, KASAN,
# UBSAN, hung tasks...; a failure of its own).  At the end every
# live debugfs counter must be zero, `rmmod exo` must succeed and leave no
# /dev/exo or debugfs directory behind.
#
# Last line: "selftests: N passed, N failed, N skipped".  Exit status is
# non-zero if anything failed or nothing ran.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

TIMEOUT=${EXO_TEST_TIMEOUT:-300}
MODULE=${EXO_MODULE:-kmod/exo.ko}	# make check-debug: one built for its kernel
DEBUGFS=/sys/kernel/debug
# shellcheck source=../scripts/kernel-problems.sh
. scripts/kernel-problems.sh	# KERNEL_PROBLEMS, kernel_problems

passed=0
failed=0
skipped=0

ok()     { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

summary() {
	echo "selftests: $passed passed, $failed failed, $skipped skipped"
	if [ "$failed" -gt 0 ] || [ $((passed + failed)) -eq 0 ]; then
		exit 1
	fi
	exit 0
}

kmsg() { echo "exo selftests: $*" > /dev/kmsg 2>/dev/null || true; }

# ---- which tests ----------------------------------------------------------

# The kselftest binaries (selftests/exo_*), then the libOSes' guest tests:
# every executable in libos-*/test/vm/ (a program or script printing TAP).
# An argument names a selftest (exo_grant) or a path (libos-web/test/vm/x).
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
	for f in selftests/exo_*.c; do
		t=${f%.c}
		[ "$t" = selftests/exo_test ] && continue
		tests+=("$t")
	done
	for f in libos-*/test/vm/*; do
		[ -f "$f" ] && [ -x "$f" ] && tests+=("$f")
	done
fi
for t in "${tests[@]}"; do
	if [ ! -x "$t" ]; then
		echo "# $t is not built: run 'make -C selftests' on the host first"
		not_ok "$t built"
	fi
done
[ "$failed" -eq 0 ] || summary

if [ "$(id -u)" != 0 ]; then
	echo "# must run as root (inside the test VM: scripts/vm -- selftests/run.sh)"
	not_ok "running as root"
	summary
fi

# ---- load the module ------------------------------------------------------

mountpoint -q "$DEBUGFS" || mount -t debugfs none "$DEBUGFS" 2>/dev/null

if grep -q '^exo ' /proc/modules; then
	echo "# exo is already loaded; unloading it first"
	rmmod exo || { not_ok "rmmod of a previously loaded exo"; summary; }
fi
if ! out=$(insmod "$MODULE" dev_gid=65534 2>&1); then
	echo "# $out"
	not_ok "insmod $MODULE dev_gid=65534"
	summary
fi
if [ ! -c /dev/exo ]; then
	not_ok "/dev/exo exists after insmod"
	rmmod exo
	summary
fi
echo "# loaded $MODULE: $(ls -l /dev/exo)"

# ---- run each binary ------------------------------------------------------

# Count the harness's TAP lines of one binary; add to the totals.
count_tap() {	# name output exit-status
	local name=$1 out=$2 rc=$3
	local plan p f s results

	p=$(grep -Ec '^ok [0-9]+' <<<"$out")
	s=$(grep -Ec '^ok [0-9]+ # (SKIP|skip)' <<<"$out")
	f=$(grep -Ec '^not ok [0-9]+' <<<"$out")
	p=$((p - s))
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' <<<"$out" | head -1)

	if [ "$plan" = 0 ] && grep -qE '^1\.\.0 # SKIP' <<<"$out"; then
		# The whole binary skipped (e.g. no /dev/exo).
		s=1
	elif [ -z "$plan" ]; then
		echo "not ok - $name printed no TAP plan"
		f=$((f + 1))
	else
		results=$((p + s + f))
		if [ "$results" -lt "$plan" ]; then
			echo "not ok - $name: plan 1..$plan but only $results results"
			f=$((f + plan - results))
		elif [ "$results" -gt "$plan" ]; then
			echo "not ok - $name: plan 1..$plan but $results results"
			f=$((f + 1))
		fi
	fi

	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok - $name timed out after ${TIMEOUT}s"
		f=$((f + 1))
	elif [ "$rc" -gt 128 ]; then
		echo "not ok - $name died by signal $((rc - 128))"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=$((f + 1))
	fi

	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	echo "# $name: $p passed, $f failed, $s skipped"
}

for t in "${tests[@]}"; do
	name=${t##*/}
	echo "# ==== $name"
	before=$(dmesg | wc -l)
	kmsg "start $name"
	out=$(timeout -k 10 "$TIMEOUT" "$t" 2>&1)
	rc=$?
	kmsg "end $name"
	printf '%s\n' "$out"
	count_tap "$name" "$out" "$rc"

	problems=$(dmesg | tail -n +$((before + 1)) | kernel_problems)
	if [ -n "$problems" ]; then
		echo "# kernel log after $name:"
		dmesg | tail -n +$((before + 1)) | sed 's/^/# /'
		not_ok "dmesg clean after $name"
	fi

	# Global invariants (selftests/invariants.sh): counted only if broken.
	if ! inv=$(selftests/invariants.sh --idle 2>&1); then
		printf '%s\n' "$inv"
		not_ok "invariants after $name"
	fi
done

# ---- disk extents survive a module reload ---------------------------------

# With a scratch disk (scripts/vm --disk: $EXO_TEST_DISK or /dev/vda) and
# exo_extent among the tests: write through exo, reload the module with the
# disk attached at load time (extent_dev=), reclaim by key and compare.
reload_disk=${EXO_TEST_DISK:-/dev/vda}
reload_state=
if [[ " ${tests[*]} " == *" selftests/exo_extent "* ]] && [ -b "$reload_disk" ]; then
	reload_state=$(mktemp /tmp/exo-extent-reload.XXXXXX)
	if out=$(EXO_EXTENT_PHASE=save STATE=$reload_state selftests/exo_extent 2>&1); then
		ok "extent reload: save before rmmod"
	else
		echo "# $out"
		not_ok "extent reload: save before rmmod"
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
	ok "debugfs live counters are zero after all tests"
else
	echo "# $DEBUGFS/exo/totals:"
	sed 's/^/# /' "$DEBUGFS/exo/totals" 2>/dev/null
	not_ok "debugfs live counters are zero after all tests"
fi

before=$(dmesg | wc -l)
if out=$(rmmod exo 2>&1); then
	ok "rmmod exo"
else
	echo "# $out"
	not_ok "rmmod exo"
fi
if [ ! -e /dev/exo ] && [ ! -e "$DEBUGFS/exo" ]; then
	ok "/dev/exo and $DEBUGFS/exo are gone after rmmod"
else
	not_ok "/dev/exo and $DEBUGFS/exo are gone after rmmod"
fi
problems=$(dmesg | tail -n +$((before + 1)) | kernel_problems)
if [ -n "$problems" ]; then
	dmesg | tail -n +$((before + 1)) | sed 's/^/# /'
	not_ok "dmesg clean after rmmod"
fi

if [ -n "$reload_state" ]; then
	before=$(dmesg | wc -l)
	if ! out=$(insmod "$MODULE" dev_gid=65534 extent_dev="$reload_disk" 2>&1); then
		echo "# $out"
		not_ok "extent reload: insmod extent_dev=$reload_disk"
	else
		if out=$(EXO_EXTENT_PHASE=check STATE=$reload_state selftests/exo_extent 2>&1); then
			ok "extent reload: reclaim and compare after insmod"
		else
			echo "# $out"
			not_ok "extent reload: reclaim and compare after insmod"
		fi
		if out=$(rmmod exo 2>&1); then
			ok "extent reload: rmmod exo"
		else
			echo "# $out"
			not_ok "extent reload: rmmod exo"
		fi
	fi
	problems=$(dmesg | tail -n +$((before + 1)) | kernel_problems)
	if [ -n "$problems" ]; then
		dmesg | tail -n +$((before + 1)) | sed 's/^/# /'
		not_ok "dmesg clean after the extent reload"
	fi
	rm -f "$reload_state"
fi

# ---- a database-sized pool -----------------------------------------------

# With exo_limits among the tests: the module once more with a 256 MiB pool
# (pool_pages=65536) and exo_limits again, whose database_pool_default_quota
# then has one env take all 65,536 frames under the default quota.
if [[ " ${tests[*]} " == *" selftests/exo_limits "* ]]; then
	name="exo_limits (pool_pages=65536)"
	echo "# ==== $name"
	before=$(dmesg | wc -l)
	if ! out=$(insmod "$MODULE" dev_gid=65534 pool_pages=65536 2>&1); then
		echo "# $out"
		not_ok "insmod $MODULE pool_pages=65536"
	else
		out=$(timeout -k 10 "$TIMEOUT" selftests/exo_limits 2>&1)
		rc=$?
		printf '%s\n' "$out"
		count_tap "$name" "$out" "$rc"
		if out=$(rmmod exo 2>&1); then
			ok "rmmod exo after $name"
		else
			echo "# $out"
			not_ok "rmmod exo after $name"
		fi
	fi
	problems=$(dmesg | tail -n +$((before + 1)) | kernel_problems)
	if [ -n "$problems" ]; then
		dmesg | tail -n +$((before + 1)) | sed 's/^/# /'
		not_ok "dmesg clean after $name"
	fi
fi

summary
