#!/bin/sh
# The exodb tool end to end on the file backend (TAP).
exodb=${1:-./exodb}
d=${EXODB_TMP:-/tmp}/tool.$$
mkdir -p "$d"
db="$d/t.db"
n=0 fail=0
t() {	# description, then a command that must succeed
	desc=$1; shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then echo "ok $n - tool: $desc"
	else echo "not ok $n - tool: $desc"; fail=1; fi
}
t "create" $exodb "$db" create
t "put" $exodb "$db" put fruit apple red
t "get returns the value" sh -c "[ \"\$($exodb '$db' get fruit apple)\" = red ]"
printf 'banana\tyellow\ncherry\tdark red\nnotab\n' > "$d/in.tsv"
t "load a TSV file" sh -c "$exodb '$db' load fruit '$d/in.tsv' | grep -q 'loaded 2 rows, 1 lines'"
t "scan in key order" sh -c "[ \"\$($exodb '$db' scan fruit | cut -f1 | tr '\n' ' ')\" = 'apple banana cherry ' ]"
t "scan backwards" sh -c "[ \"\$($exodb -r '$db' scan fruit | cut -f1 | tr '\n' ' ')\" = 'cherry banana apple ' ]"
t "scan a range" sh -c "[ \"\$($exodb '$db' scan fruit b c | cut -f1)\" = banana ]"
t "del" $exodb "$db" del fruit banana
t "get of a deleted key fails" sh -c "! $exodb '$db' get fruit banana"
t "del of a missing key fails" sh -c "! $exodb '$db' del fruit banana"
t "stats names the table" sh -c "$exodb '$db' stats | grep -q '^table 1 fruit'"
t "check says ok" sh -c "[ \"\$($exodb '$db' check)\" = ok ]"
t "a missing database is an error" sh -c "! $exodb '$d/none.db' get fruit apple"
rm -rf "$d"
echo "1..$n"
exit $fail
