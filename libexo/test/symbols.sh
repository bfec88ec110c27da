#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
# test/symbols.sh — exo.h, libexo.map, libexo.so's exports and man/ agree:
# every EXO_API function of exo.h is listed in a node of libexo.map and
# exported by libexo.so with a LIBEXO_* version; nothing else is exported;
# every exported function has a man page, man/NAME.3 (a page or a .so
# link to one), and every page names an exported function.  TAP.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

n=0
failed=0
check() {	# description list-of-offenders
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/#   /' <<<"$2"
		failed=$((failed + 1))
	fi
}

# EXO_API declarations: the name before the first "(" (possibly on the
# line after EXO_API's return type).
decls=$(sed -n '/^EXO_API/{:a;/(/!{N;ba};s/([^(]*$//;s/^.*[ *]//;p}' exo.h |
	grep -E '^[a-z_0-9]+$' | sort -u)
# The deprecated names (LIBEXO_DEPRECATED_NAMES: X(old, new)) are
# exported too, each at its new name's address.
aliases=$(sed -nE 's/^[[:space:]]*X\((exo_[a-z_0-9]+), (exo_[a-z_0-9]+)\).*/\1 \2/p' exo.h)
decls=$( (echo "$decls"; awk '{ print $1 }' <<<"$aliases") | sort -u)
map=$(sed -nE 's/^[[:space:]]+(exo_[a-z_0-9]+);/\1/p' libexo.map | sort -u)
exports=$(nm -D --defined-only libexo.so | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u)
versioned=$(objdump -T libexo.so | awk '$NF ~ /^exo_/ && $(NF-1) ~ /^LIBEXO_/ { print $NF }' | sort -u)
pages=$(cd man && ls -- *.3 2>/dev/null | sed 's/\.3$//' | grep -v '^libexo$' | sort -u)

check "exo.h declares functions ($(wc -w <<<"$decls"))" "$([ -n "$decls" ] || echo none)"
check "every exo.h function is in libexo.map" "$(comm -23 <(echo "$decls") <(echo "$map"))"
check "libexo.map lists only exo.h functions" "$(comm -13 <(echo "$decls") <(echo "$map"))"
check "libexo.so exports every exo.h function" "$(comm -23 <(echo "$decls") <(echo "$exports"))"
check "libexo.so exports nothing else" "$(comm -13 <(echo "$decls") <(echo "$exports"))"
check "every export carries a LIBEXO_* version" "$(comm -23 <(echo "$exports") <(echo "$versioned"))"
addr() { nm -D --defined-only libexo.so | awk -v n="$1" '{ s = $3; sub(/@.*/, "", s) } s == n { print $1 }'; }
check "every deprecated name ($(wc -l <<<"$aliases")) is its new name's address" \
	"$(while read -r o n; do [ -n "$(addr "$o")" ] && [ "$(addr "$o")" = "$(addr "$n")" ] || echo "$o -> $n"; done <<<"$aliases")"
check "every exported function has a man page (man/NAME.3)" "$(comm -23 <(echo "$exports") <(echo "$pages"))"
check "every man page names an exported function" "$(comm -13 <(echo "$exports") <(echo "$pages"))"
v=$(sed -nE 's/^#define LIBEXO_VERSION[[:space:]]+"(.*)"/\1/p' exo.h)
mm=$(sed -nE 's/^#define LIBEXO_VERSION_(MAJOR|MINOR|PATCH)[[:space:]]+([0-9]+).*/\2/p' exo.h | paste -sd.)
check "LIBEXO_VERSION \"$v\" matches its parts ($mm) and libexo.so.$v exists" \
	"$([ "$v" = "$mm" ] && [ -e "libexo.so.$v" ] || echo "LIBEXO_VERSION $v, parts $mm")"
node=$(sed -nE 's/^(LIBEXO_[0-9]+\.[0-9]+) \{.*/\1/p' libexo.map | tail -n 1)
check "the newest libexo.map node ($node) is this release's" \
	"$([ "$node" = "LIBEXO_${v%.*}" ] || echo "newest node $node, release $v")"

echo "1..$n"
[ "$failed" = 0 ]
