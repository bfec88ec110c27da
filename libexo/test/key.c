// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exo_key_to_string() / exo_key_from_string(): round trip, exact format,
 * and rejection of everything that is not exactly 32 hex digits.
 */
#include <errno.h>
#include <string.h>

#include "exo.h"
#include "tap.h"

static int key_eq(const struct exo_key *a, const struct exo_key *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

static void round_trip(void)
{
	static const struct exo_key keys[] = {
		{ .lo = 0, .hi = 0 },
		{ .lo = ~0ULL, .hi = ~0ULL },
		{ .lo = 0x0123456789abcdefULL, .hi = 0xfedcba9876543210ULL },
		{ .lo = 1, .hi = 0 },
		{ .lo = 0, .hi = 1ULL << 63 },
	};
	char buf[EXO_KEY_STRLEN + 1];
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct exo_key back = { 0, 0 };
		int ret;

		memset(buf, 'x', sizeof(buf));
		ret = exo_key_to_string(&keys[i], buf, sizeof(buf));
		is(EXO_KEY_STRLEN, ret, "to_string key %u returns the length", i);
		is(EXO_KEY_STRLEN, strlen(buf), "to_string key %u is NUL-terminated", i);
		ret = exo_key_from_string(buf, &back);
		is(0, ret, "from_string key %u", i);
		ok(key_eq(&keys[i], &back), "key %u round trips (%s)", i, buf);
	}
}

static void format(void)
{
	struct exo_key k = { .lo = 0x0123456789abcdefULL,
			     .hi = 0xfedcba9876543210ULL };
	char buf[64];

	exo_key_to_string(&k, buf, sizeof(buf));
	ok(!strcmp(buf, "fedcba98765432100123456789abcdef"),
	   "hi word first, lowercase, zero-padded: %s", buf);

	k.lo = 1;
	k.hi = 2;
	exo_key_to_string(&k, buf, sizeof(buf));
	ok(!strcmp(buf, "00000000000000020000000000000001"),
	   "small words are zero-padded: %s", buf);
}

static void upper_case(void)
{
	struct exo_key k = { 0, 0 };

	is(0, exo_key_from_string("FEDCBA98765432100123456789ABCDEF", &k),
	   "upper-case hex is accepted");
	ok(k.hi == 0xfedcba9876543210ULL && k.lo == 0x0123456789abcdefULL,
	   "upper-case hex parses to the same key");
}

static void rejects(void)
{
	static const struct {
		const char *str;
		const char *what;
	} bad[] = {
		{ "", "empty" },
		{ "0", "one digit" },
		{ "0123456789abcdef0123456789abcde", "31 digits" },
		{ "0123456789abcdef0123456789abcdef0", "33 digits" },
		{ "0123456789abcdef0123456789abcdeg", "non-hex digit" },
		{ " 123456789abcdef0123456789abcdef", "leading space" },
		{ "0123456789abcdef0123456789abcdef\n", "trailing newline" },
		{ "0123456789abcdef0123456789abcde ", "trailing space" },
		{ "0x23456789abcdef0123456789abcdef", "0x prefix" },
		{ "-123456789abcdef0123456789abcdef", "minus sign" },
		{ "+123456789abcdef0123456789abcdef", "plus sign" },
		{ "0123456789abcdef:0123456789abcdef", "separator" },
		{ "0123456789abcdef\0" "0123456789abcdef", "embedded NUL" },
	};
	const struct exo_key poison = { .lo = 0x5555, .hi = 0xaaaa };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct exo_key k = poison;
		int ret;

		errno = 0;
		ret = exo_key_from_string(bad[i].str, &k);
		is(-EINVAL, ret, "rejects %s", bad[i].what);
		is(EINVAL, errno, "%s sets errno = EINVAL", bad[i].what);
		ok(key_eq(&k, &poison), "%s leaves the key untouched",
		   bad[i].what);
	}
}

static void bad_args(void)
{
	struct exo_key k = { 1, 2 };
	char buf[EXO_KEY_STRLEN + 1];

	errno = 0;
	is(-ERANGE, exo_key_to_string(&k, buf, EXO_KEY_STRLEN),
	   "to_string into a 32-byte buffer: -ERANGE (no room for NUL)");
	is(ERANGE, errno, "to_string -ERANGE sets errno");
	is(-ERANGE, exo_key_to_string(&k, buf, 0), "to_string len 0: -ERANGE");
	is(-EINVAL, exo_key_to_string(NULL, buf, sizeof(buf)),
	   "to_string NULL key: -EINVAL");
	is(-EINVAL, exo_key_to_string(&k, NULL, sizeof(buf)),
	   "to_string NULL buffer: -EINVAL");
	is(-EINVAL, exo_key_from_string(NULL, &k), "from_string NULL string: -EINVAL");
	is(-EINVAL, exo_key_from_string("0123456789abcdef0123456789abcdef", NULL),
	   "from_string NULL key: -EINVAL");
}

int main(void)
{
	round_trip();
	format();
	upper_case();
	rejects();
	bad_args();
	return done_testing();
}
