#!/bin/bash
cd /tmp
taskset -pc 1 $$ >/dev/null
taskset -c 0 sh -c 'while :; do :; done' &
p=$!
st() { awk '$1=="cpu0"{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }
echo "t=$(date +%s.%N) stat $(st)"
perf record -q -C 0 -o d1 -- sleep 2 2>&1 | tail -2
echo "t=$(date +%s.%N) stat $(st)"
perf report -i d1 --stdio --sort comm,sym 2>/dev/null | grep % | head -5
kill $p
sleep 1
echo "idle: t=$(date +%s.%N) stat $(st)"
perf record -q -C 0 -o d2 -- sleep 2 2>&1 | tail -2
echo "t=$(date +%s.%N) stat $(st)"
perf report -i d2 --stdio --sort comm,sym 2>/dev/null | grep % | head -5
