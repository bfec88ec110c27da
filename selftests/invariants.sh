#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests/invariants.sh — check exo's global invariants from debugfs.
# run.sh runs it after every test binary (with --idle: the binary and all
# its processes have exited); it can also be run by hand in the VM at any
# time, while envs are open (without --idle).
#
#   always   frames: total == free + sum of every env's used frames
#            (one snapshot of debugfs/exo/frames, taken under exo's lock);
#            free <= total; totals and frames agree on total; and
#            debugfs/exo/check, the kernel's walk of every capability
#            tree, key and binding, says "ok"
#   --idle   every live counter of totals (envs, caps, tombstones, keys,
#            objects.*) is 0, frames_free == frames_total,
#            frames_mapped == 0, and the envs, caps and keys files list
#            nothing
#
# Closing an env is deferred (the last fput runs on return to user space
# or from a workqueue), so a failing check is retried for up to 5 s.
# Prints nothing and exits 0 when the invariants hold or exo is not loaded;
# otherwise prints "# invariants: ..." lines and exits 1.
set -uo pipefail

D=${EXO_DEBUGFS:-/sys/kernel/debug/exo}
idle=0
[ "${1:-}" = --idle ] && idle=1

[ -r "$D/totals" ] && [ -r "$D/frames" ] || exit 0

# Prints the violations of one snapshot; empty if none.
violations() {
	local frames totals
	frames=$(cat "$D/frames" 2>/dev/null) || return 0
	totals=$(cat "$D/totals" 2>/dev/null) || return 0
	awk -v idle="$idle" '
	FNR == 1 { file++ }
	file == 1 && $1 == "total" { ftotal = $2 }
	file == 1 && $1 == "free" { ffree = $2 }
	file == 1 && $1 == "mapped" { fmapped = $2 }
	file == 1 && $1 ~ /^[0-9]+$/ && NF >= 5 { used += $2; nenv++ }
	file == 2 { t[$1] = $2 }
	END {
		if (ftotal == "" || ffree == "")
			print "frames: no total/free line"
		else if (ffree + used != ftotal)
			printf "frames: free %d + used %d (over %d envs) != total %d\n",
				ffree, used, nenv, ftotal
		if (ffree > ftotal)
			printf "frames: free %d > total %d\n", ffree, ftotal
		if (("frames_total" in t) && t["frames_total"] != ftotal)
			printf "totals frames_total %d != frames total %d\n",
				t["frames_total"], ftotal
		if (!idle)
			exit
		for (k in t)
			if ((k ~ /^(envs|caps|tombstones|keys|objects\..*)$/) && t[k] != 0)
				printf "idle: %s is %d, not 0\n", k, t[k]
		if (t["frames_free"] != t["frames_total"])
			printf "idle: frames_free %d != frames_total %d\n",
				t["frames_free"], t["frames_total"]
		if (("frames_mapped" in t) && t["frames_mapped"] != 0)
			printf "idle: frames_mapped is %d, not 0\n", t["frames_mapped"]
	}' <(printf '%s\n' "$frames") <(printf '%s\n' "$totals")
	# The kernel's own check of its trees, tables and bindings.
	if [ -r "$D/check" ]; then
		local c
		c=$(cat "$D/check" 2>/dev/null)
		[ "$c" = ok ] || printf '%s\n' "$c" | sed 's/^/kernel check: /'
	fi
	if [ "$idle" = 1 ]; then
		local f n
		for f in envs caps keys; do
			[ -r "$D/$f" ] || continue
			n=$(($(wc -l <"$D/$f") - 1))
			[ "$n" -le 0 ] || echo "idle: debugfs $f lists $n entries"
		done
	fi
}

for _ in $(seq 50); do
	v=$(violations)
	[ -z "$v" ] && exit 0
	sleep 0.1
done
printf '%s\n' "$v" | sed 's/^/# invariants: /'
echo "# invariants: totals:"
sed 's/^/#   /' "$D/totals"
echo "# invariants: frames:"
sed 's/^/#   /' "$D/frames"
exit 1
