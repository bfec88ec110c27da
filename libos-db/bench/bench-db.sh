#!/bin/bash
# libos-db/bench/bench-db.sh — make bench-db's guest side (run by
# scripts/bench db in the test VM, exo loaded, two identical scratch disks).
#
# libos-db (exodb) on exo extents of /dev/vda; LMDB on ext4 on /dev/vdb.
# One memory budget M for every engine: exodb's frame quota is M (its pool
# is the quota less the log's frames, as the exo backend sizes it); every
# engine runs in its own fresh cgroup v2 with memory.max = M + ALLOW (the
# peers' page cache is capped like exodb's pool; ALLOW is for heaps).
# Every lookup run is a cold start: caches dropped, database reopened.
# Engines interleaved, ROUNDS rounds; ratios are medians of per-round ratios.
#
# Environment: EXO_BENCH_DB_M (MiB, default 64), EXO_BENCH_DB_ROUNDS (3),
# EXO_BENCH_DB_ALLOW (MiB, 8), EXO_BENCH_DB_HOSTLOAD (a file the host
# keeps its /proc/loadavg in), EXO_BENCH_DB_SECS ("WARM MEASURE" of the
# out-of-memory rows: the warm-up's most and the measured seconds, default
# "30 10"; the warm-up ends earlier once two successive 10 s rates are
# within 5%: the steady state the issue asks for), EXO_BENCH_DB_ONLY=revoke
# (load the fit table, run db.revoke alone).
#
# Rows: db.load, db.point.fit, db.rand4x(.nordahead) as before; db.scan2x
# (a "scan" table of 2M of data swept by one thread while the others look
# up a hot contiguous 5% of a "hot" table of M: exodb on exo, LMDB default,
# and exodb over a file on ext4, the same engine with its file backend);
# db.ycsb.c (the rand4x table, YCSB's scrambled Zipfian 0.99, vs LMDB
# MDB_NORDAHEAD); db.ycsb.a (the fit table, 50% lookups 50% durable
# updates, 8 threads, vs LMDB default and RocksDB with synced writes).
set -euo pipefail
cd "$(dirname "$0")"
B=./bench-db
M=${EXO_BENCH_DB_M:-64}
ALLOW=${EXO_BENCH_DB_ALLOW:-8}
ROUNDS=${EXO_BENCH_DB_ROUNDS:-3}
read -r WARM4 SECS4 <<<"${EXO_BENCH_DB_SECS:-30 10}"
EXO_DISK=${EXO_BENCH_DB_EXO_DISK:-/dev/vda}
PEER_DISK=${EXO_BENCH_DB_PEER_DISK:-/dev/vdb}
T=$(nproc)
QUOTA=$((M * 256))		# frames of 4 KiB
POOL=$((QUOTA - 65 - 64))	# what backend-exo leaves the pool (WAL_FRAMES)
FIT_ROWS=$((M * 1024 * 1024 / 2 / 128))	# ~M/2 of data
R4_ROWS=$((M * 1024 * 1024 * 4 / 128))		# ~4x M of data
S2_ROWS=$((M * 1024 * 1024 * 2 / 128))		# scan2x: ~2x M scanned
HOT_ROWS=$((M * 1024 * 1024 / 128))		# the hot table, ~M
HOT0=$((HOT_ROWS * 2 / 5)) HOTN=$((HOT_ROWS / 20))	# its hot 5%
STEADY="-s -i 10 -W $WARM4 -d $SECS4"
CG=/sys/fs/cgroup
PEER=/run/bdb-peer
OUT=$(mktemp -d)

hostload() {
	local f=${EXO_BENCH_DB_HOSTLOAD:-}
	if [ -n "$f" ] && [ -r "$f" ]; then cut -d' ' -f1 "$f"; else echo "?"; fi
}

echo "# M = $M MiB: exodb frame quota $QUOTA frames (pool $POOL), cgroups" \
     "memory.max = $((M + ALLOW)) MiB; $T threads; fit: $FIT_ROWS rows," \
     "rand4x: $R4_ROWS rows (16 B keys, 100 B values)"

# --- set-up ------------------------------------------------------------------
[ -b "$EXO_DISK" ] && [ -b "$PEER_DISK" ] || {
	echo "bench-db: needs two scratch disks ($EXO_DISK, $PEER_DISK)" >&2; exit 2; }
mountpoint -q $CG || mount -t cgroup2 none $CG
grep -qw memory $CG/cgroup.subtree_control || echo +memory >$CG/cgroup.subtree_control
mkfs.ext4 -q -F "$PEER_DISK"
mkdir -p $PEER
mount "$PEER_DISK" $PEER
cleanup() {
	umount $PEER 2>/dev/null || true
	rmdir $CG/bdb 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT
EXO_DEV=${EXO_DISK##*/}
PEER_DEV=${PEER_DISK##*/}

cold() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# run NAME ROW ARGS...: bench-db in a fresh cgroup; its RESULT line, the
# cgroup's peak and how often memory.max was hit, appended to $OUT/ROW.
run() {
	local name=$1 row=$2 log
	shift 2
	rmdir $CG/bdb 2>/dev/null || true
	mkdir $CG/bdb
	echo $(((M + ALLOW + ${EXTRA_MIB:-0}) << 20)) >$CG/bdb/memory.max
	cold
	log=$OUT/$name.$row.log
	if ! bash -c 'echo $$ >'$CG'/bdb/cgroup.procs; exec "$@"' _ \
		$B -L "$name" "$@" >"$log" 2>&1; then
		cat "$log" >&2
		echo "bench-db: $name $row failed" >&2
		exit 1
	fi
	grep -v '^RESULT' "$log" | grep -v 'warm-up' | sed 's/^/  /' || true
	local res peak hits
	res=$(grep '^RESULT' "$log")
	peak=$(cat $CG/bdb/memory.peak 2>/dev/null || echo 0)
	hits=$(sed -n 's/^max //p' $CG/bdb/memory.events)
	echo "$res cg_peak_mib=$((peak >> 20)) cg_max_hits=$hits host=$(hostload)" |
		tee -a "$OUT/$row"
	rmdir $CG/bdb
}

exo() {	# NAME ROW KEYFILE ARGS...
	local name=$1 row=$2 key=$3
	shift 3
	run "$name" "$row" -e exodb -p "exo:$key" -A "$EXO_DISK" -Q $QUOTA \
		-P $POOL -D "$EXO_DEV" -t $T "$@"
}
lmdb() {	# NAME ROW FILE ARGS...
	local name=$1 row=$2 f=$3
	shift 3
	run "$name" "$row" -e lmdb -p "$f" -D "$PEER_DEV" -t $T "$@"
}
# exodb's file backend on the peers' disk.  Its pool (M) is anonymous
# memory, charged to the cgroup as exo's frames are not: its memory.max is
# 2M + ALLOW, so that the rest (heap, log buffer, page cache) has what
# exodb on exo has.
xfile() {	# NAME ROW FILE ARGS...
	local name=$1 row=$2 f=$3
	shift 3
	EXTRA_MIB=$M run "$name" "$row" -e exodb -p "$f" -P $POOL -D "$PEER_DEV" -t $T "$@"
}
rocks() {	# NAME ROW DIR ARGS...
	local name=$1 row=$2 f=$3
	shift 3
	run "$name" "$row" -e rocksdb -p "$f" -M $M -D "$PEER_DEV" -t $T "$@"
}

# --- db.revoke: one run each (a time series, not a ratio) ---------------------
# The fit table (~M/2), scan-warmed, 2 threads: 20 s of lookups, then each
# engine told to live in M/4 + ALLOW, below the table: exo lowers exodb's
# frame quota to that and asks for the frames held above it, due in 1 s
# (LMDB: its cgroup's memory.max lowered to the same), 40 s more.
revoke_row() {
	local to=$(((M / 4 + ALLOW) << 20))
	echo "## db.revoke (the fit table; at 20 s each engine told to live in M/4 + ALLOW = $((to >> 20)) MiB, below the table; 40 s more)"
	RV="-w point -n $FIT_ROWS -S -V 20:40:1000 -x $to"
	exo exodb revoke /root/fit.key $RV -o "$OUT/revoke.exodb"
	lmdb lmdb revoke $PEER/fit.mdb $RV -o "$OUT/revoke.lmdb"
	PNG=$(cd ../.. && pwd)/doc/db-revoke.png	# beside doc/bench-web.png
	if command -v gnuplot >/dev/null; then
		gnuplot <<-EOF && echo "# db.revoke plot: $PNG"
		set terminal png size 900,480
		set output "$PNG"
		set title "db.revoke: lookups/s, told to live in $((to >> 20)) MiB at 20 s (M = $M MiB)"
		set xlabel "seconds"
		set ylabel "lookups per second"
		set yrange [0:*]
		set arrow from 20, graph 0 to 20, graph 1 nohead dashtype 2
		plot "$OUT/revoke.exodb" using 1:2 with lines title "libos-db (exo quota and revocation, 1 s deadline)", \
		     "$OUT/revoke.lmdb" using 1:2 with lines title "LMDB (cgroup memory.max)"
		EOF
	else
		echo "# db.revoke: no gnuplot in the guest, no plot" >&2
	fi
}

# --- EXO_BENCH_DB_ONLY=revoke: the fit table loaded, then db.revoke alone
if [ "${EXO_BENCH_DB_ONLY:-}" = revoke ]; then
	exo exodb load /root/fit.key -w load -n $FIT_ROWS
	lmdb lmdb load $PEER/fit.mdb -w load -n $FIT_ROWS
	revoke_row
	exit 0
fi

# --- EXO_BENCH_PROFILE=1 (or a list of rows: fit r4 yc ya s2): where
# exodb's time goes (perf, software cpu-clock under TCG, every CPU) in those
# rows' runs (default fit and r4); into .prof/ of the tree
if [ -n "${EXO_BENCH_PROFILE:-}" ]; then
	PROF=$(cd ../.. && pwd)/.prof
	mkdir -p "$PROF"
	rowsel=$EXO_BENCH_PROFILE
	[ "$rowsel" = 1 ] && rowsel="fit r4"
	for row in $rowsel; do
		case $row in
		fit)	key=fit args="-w point -n $FIT_ROWS -S -W 5 -d 10" ;;
		r4)	key=r4 args="-w point -n $R4_ROWS -W $WARM4 -d $SECS4" ;;
		yc)	key=r4 args="-w point -z 0.99 -n $R4_ROWS -W $WARM4 -d $SECS4" ;;
		ya)	key=fit args="-w ycsba -n $FIT_ROWS -W 3 -d 10 -t 8" ;;
		s2)	key=s2 args="-w scan2x -T scan -U hot -H $HOT0:$HOTN -n $S2_ROWS -W $WARM4 -d $SECS4" ;;
		*)	echo "bench-db: no row $row to profile" >&2; exit 2 ;;
		esac
		if [ ! -e /root/$key.key ]; then
			case $key in
			fit) exo exodb load /root/fit.key -w load -n $FIT_ROWS ;;
			r4) exo exodb load4x /root/r4.key -w load -n $R4_ROWS ;;
			s2) exo exodb load-scan /root/s2.key -w load -T scan -n $S2_ROWS
			    exo exodb load-hot /root/s2.key -w load -T hot -n $HOT_ROWS ;;
			esac
		fi
		f=$PROF/db-exodb-$row
		cold
		# shellcheck disable=SC2086
		perf record -q -a -g -o "$f.data" -- $B -L exodb -e exodb \
			-p exo:/root/$key.key -Q $QUOTA -P $POOL -D "$EXO_DEV" \
			-t $T $args | grep '^RESULT'
		perf report -i "$f.data" --kallsyms=/proc/kallsyms --no-children \
			--sort dso,sym --percent-limit 0.7 --stdio -g none \
			2>/dev/null | grep -v '^$' >"$f.txt"
		echo "# profile of exodb's $row run: $f.txt"
		grep -E '^ +[0-9.]+%' "$f.txt" | head -25
	done
	exit 0
fi

# --- load (db.load: the fit table, rows per second) -------------------------
echo "## db.load: $FIT_ROWS rows in key order, 10000 per durable commit"
exo exodb load /root/fit.key -w load -n $FIT_ROWS
lmdb lmdb load $PEER/fit.mdb -w load -n $FIT_ROWS
echo "## load of the rand4x table ($R4_ROWS rows)"
exo exodb load4x /root/r4.key -w load -n $R4_ROWS
lmdb lmdb load4x $PEER/r4.mdb -w load -n $R4_ROWS
echo "## load of the scan2x tables (scan: $S2_ROWS rows, hot: $HOT_ROWS rows)"
for t in scan:$S2_ROWS hot:$HOT_ROWS; do
	exo exodb load-${t%%:*} /root/s2.key -w load -T ${t%%:*} -n ${t#*:}
	lmdb lmdb load-${t%%:*} $PEER/s2.mdb -w load -T ${t%%:*} -n ${t#*:}
	xfile exodb-file load-${t%%:*} $PEER/s2.xdb -w load -T ${t%%:*} -n ${t#*:}
done
echo "## load of the fit table into RocksDB (db.ycsb.a)"
rocks rocksdb load $PEER/fit.rocks -w load -n $FIT_ROWS

# --- lookups, interleaved ------------------------------------------------------
for r in $(seq 1 "$ROUNDS"); do
	echo "## round $r: db.point.fit (scan-warmed, then 5 s warm-up, 10 s measured)"
	exo exodb fit /root/fit.key -w point -n $FIT_ROWS -S -W 5 -d 10
	lmdb lmdb fit $PEER/fit.mdb -w point -n $FIT_ROWS -S -W 5 -d 10
	echo "## round $r: db.rand4x (cold start, warm-up to a steady rate or $WARM4 s, $SECS4 s measured)"
	exo exodb r4 /root/r4.key -w point -n $R4_ROWS $STEADY
	lmdb lmdb r4 $PEER/r4.mdb -w point -n $R4_ROWS $STEADY
	lmdb lmdb-nordahead r4 $PEER/r4.mdb -R -w point -n $R4_ROWS $STEADY
	echo "## round $r: db.scan2x (cold start; thread 0 sweeps scan, the others look up hot [$HOT0, +$HOTN))"
	S2="-w scan2x -T scan -U hot -H $HOT0:$HOTN -n $S2_ROWS $STEADY"
	exo exodb s2 /root/s2.key $S2
	lmdb lmdb s2 $PEER/s2.mdb $S2
	xfile exodb-file s2 $PEER/s2.xdb $S2
	echo "## round $r: db.ycsb.c (the rand4x table, scrambled Zipfian 0.99)"
	exo exodb yc /root/r4.key -w point -z 0.99 -n $R4_ROWS $STEADY
	lmdb lmdb-nordahead yc $PEER/r4.mdb -R -w point -z 0.99 -n $R4_ROWS $STEADY
	echo "## round $r: db.ycsb.a (the fit table, 8 threads, 50% durable updates; 3 s warm-up, 7 s measured)"
	YA="-w ycsba -n $FIT_ROWS -W 3 -d 7 -t 8"
	exo exodb ya /root/fit.key $YA
	lmdb lmdb ya $PEER/fit.mdb $YA
	rocks rocksdb ya $PEER/fit.rocks $YA
done

revoke_row

# --- the table and the RATIO lines ------------------------------------------------
# field VALUE of KEY=VALUE in line
echo
echo "## table (median of $ROUNDS rounds; per-op figures and cgroup from the median run)"
printf '%-8s %-15s %9s %17s %8s %8s %8s %7s %5s %7s %9s\n' row engine rate/s \
	"(min-max)" reads/op KiB/op cg.peak cg.hits host hit lookups/s
for row in load load4x fit r4 s2 yc ya revoke; do
	for eng in exodb exodb-file lmdb lmdb-nordahead rocksdb; do
		grep "^RESULT $eng " "$OUT/$row" 2>/dev/null | awk -v row=$row -v eng=$eng '
		{ for (i = 4; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] }
		  r[NR] = v[NR, "rate"]; n = NR }
		END { if (!n) exit
		  for (i = 1; i <= n; i++) idx[i] = i
		  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (r[idx[j]] < r[idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
		  m = idx[int((n + 1) / 2)]
		  printf "%-8s %-15s %9.0f %8.0f-%-8.0f %8.3f %8.2f %7sM %7s %5s %7s %9s\n", row, eng,
			r[m], r[idx[1]], r[idx[n]], v[m, "reads_per_op"], v[m, "read_kib_per_op"],
			v[m, "cg_peak_mib"], v[m, "cg_max_hits"], v[m, "host"],
			v[m, "hit"] == "" ? "-" : v[m, "hit"],
			v[m, "lookups"] == "" ? "-" : v[m, "lookups"] }' || true
	done
done

# ratio NAME ROW A B [FIELD]: median over rounds of A's FIELD (rate) / B's
ratio() {
	local f=${5:-rate}
	paste <(grep "^RESULT $3 " "$OUT/$2" | sed "s/.* $f=\([0-9.]*\).*/\1/") \
	      <(grep "^RESULT $4 " "$OUT/$2" | sed "s/.* $f=\([0-9.]*\).*/\1/") |
	awk -v name=$1 -v a=$3 -v b=$4 '
	{ q[NR] = $1 / $2 }
	END { n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
	  printf "# %s: %s / %s: per round %.2f-%.2f, median of %d\n", name, a, b, q[1], q[n], n
	  printf "RATIO %s %.2f\n", name, q[int((n + 1) / 2)] }'
}
echo
ratio db.load load exodb lmdb
ratio db.point.fit fit exodb lmdb
ratio db.rand4x r4 exodb lmdb
ratio db.rand4x.nordahead r4 exodb lmdb-nordahead
ratio db.scan2x s2 exodb lmdb
ratio db.scan2x.lookups s2 exodb lmdb lookups
ratio db.scan2x.file s2 exodb exodb-file
ratio db.ycsb.c yc exodb lmdb-nordahead
ratio db.ycsb.a ya exodb lmdb
ratio db.ycsb.a.rocksdb ya exodb rocksdb
echo
grep -h '^RESULT' "$OUT/revoke" | awk '{ l = "# db.revoke: " $2 ":"
	for (i = 4; i <= NF; i++) if ($i ~ /^(before|during|after|settle_s|deadline|answered_s|cg_max_hits)=/) l = l " " $i
	print l }'
