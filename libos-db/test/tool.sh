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
t "put to a second table" $exodb "$db" put veg leek green
t "drop a table" $exodb "$db" drop fruit
t "a dropped table is gone" sh -c "! $exodb '$db' get fruit apple"
t "the other table stays" sh -c "[ \"\$($exodb '$db' get veg leek)\" = green ]"
t "dropping a missing table fails" sh -c "! $exodb '$db' drop fruit"
t "check says ok after the drop" sh -c "[ \"\$($exodb '$db' check)\" = ok ]"
t "stats: the freed pages are free" sh -c "$exodb '$db' stats | grep -q '^free_pages [1-9]'"
t "a missing database is an error" sh -c "! $exodb '$d/none.db' get fruit apple"
rm -rf "$d"
echo "1..$n"
exit $fail
