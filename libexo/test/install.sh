#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
# test/install.sh — `make install` into a scratch DESTDIR, then a program
# built against that tree alone, as a user would: `pkg-config --cflags
# --libs libexo`.  The uapi header must land in include/exo/linux/, never
# in include/linux/ (the system's kernel headers); <exo.h> and
# <linux/exo.h> must both resolve through the pkg-config flags; every man
# page is installed; the program links LIBEXO_* versioned symbols.  TAP.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@" >"$d/log" 2>&1; then ok "$what"; else not_ok "$what"; sed 's/^/#   /' "$d/log"; fi; }

check "make install DESTDIR=... PREFIX=/usr" \
	make -s install DESTDIR="$d/root" PREFIX=/usr LIBDIR=/usr/lib
check "the uapi header is include/exo/linux/exo.h" test -f "$d/root/usr/include/exo/linux/exo.h"
check "nothing is installed in include/linux/" test ! -e "$d/root/usr/include/linux"
check "include/exo.h is libexo's header" test -f "$d/root/usr/include/exo.h"

# (the sysroot prefixes the -I of every package; libbpf has none)
export PKG_CONFIG_SYSROOT_DIR=$d/root PKG_CONFIG_PATH=$d/root/usr/lib/pkgconfig
cflags=$(pkg-config --cflags libexo)
libs=$(pkg-config --libs libexo)
check "pkg-config --cflags libexo names include/exo ($cflags)" \
	grep -q -- "-I$d/root/usr/include/exo\\b" <<<"$cflags"

cat >"$d/prog.c" <<'PROG'
#include <stdio.h>
#include <string.h>
#include <exo.h>
#include <linux/exo.h>	/* the bare ABI, through the same flags */

#if !LIBEXO_VERSION_AT_LEAST(0, 1)
#error LIBEXO_VERSION_AT_LEAST
#endif

int main(void)
{
	struct exo_key k = { 0 }, back;
	char buf[EXO_KEY_STRLEN + 1];

	k.lo = 0x0123456789abcdefULL;
	if (exo_key_to_string(&k, buf, sizeof(buf)) != EXO_KEY_STRLEN ||
	    exo_key_from_string(buf, &back) || memcmp(&k, &back, sizeof(k)))
		return 1;
	printf("%s %u\n", LIBEXO_VERSION, (unsigned int)EXO_IOC_TYPE);
	return 0;
}
PROG
# -nostdinc is too much (libc's headers); the system has no linux/exo.h,
# and the tree's kmod/include/uapi is not on the command line.
check "a program builds with the pkg-config flags alone" \
	cc -Wall -Werror $cflags -o "$d/prog" "$d/prog.c" $libs
check "and runs against the installed libexo.so.0" \
	env LD_LIBRARY_PATH="$d/root/usr/lib" "$d/prog"
check "it links LIBEXO_* versioned symbols" \
	bash -c "objdump -T '$d/prog' | grep -Eq 'LIBEXO_[0-9.]+\)? +exo_key_to_string'"
# A program of libexo 0.1 (a deprecated name) still builds, warned with
# the new name, and binds the 0.1 symbol version.  (cc's output goes to a
# file: piped into grep -q, cc could die of SIGPIPE before it links.)
cat >"$d/old.c" <<'PROG'
#include <exo.h>

int main(int argc, char **argv)
{
	struct exo_key k = { .lo = 1, .hi = 2 }, back = { 0 };

	(void)argc;
	if (exo_extent__key_save(argv[1], &k) ||
	    exo_extent__key_load(argv[1], &back))
		return 1;
	return back.lo != 1 || back.hi != 2;
}
PROG
check "a 0.1 name builds with a warning naming the new one" \
	bash -c "cc -Wall $cflags -o '$d/old' '$d/old.c' $libs >'$d/old.log' 2>&1 &&
		 grep -q 'renamed exo_extent_key_save' '$d/old.log'"
check "and runs, bound to LIBEXO_0.1" \
	bash -c "objdump -T '$d/old' | grep -Eq 'LIBEXO_0\.1\)? +exo_extent__key_save' &&
		 LD_LIBRARY_PATH='$d/root/usr/lib' '$d/old' '$d/key'"
missing=
for m in man/*.3; do
	[ -e "$d/root/usr/share/man/man3/${m##*/}" ] || missing+=" ${m##*/}"
done
check "every man page is installed${missing:+ (missing:$missing)}" test -z "$missing"

echo "1..$n"
[ "$failed" = 0 ]
