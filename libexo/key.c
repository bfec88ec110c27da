// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: grant keys as text.
 *
 * A key is 128 random bits; as text it is EXO_KEY_STRLEN hex digits, the
 * hi word first, so it passes through pipes, argv and files unchanged.
 * Parsing is strict (exactly 32 hex digits, nothing else): a truncated or
 * padded key is a caller bug worth reporting, not something to guess at.
 */
#include <errno.h>
#include <stdio.h>

#include "exo.h"
#include "libexo_internal.h"

EXO_API int exo_key_to_string(const struct exo_key *key, char *buf,
			      size_t len)
{
	if (!key || !buf)
		return libexo_err(-EINVAL);
	if (len < EXO_KEY_STRLEN + 1)
		return libexo_err(-ERANGE);
	snprintf(buf, len, "%016llx%016llx",
		 (unsigned long long)key->hi, (unsigned long long)key->lo);
	return EXO_KEY_STRLEN;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

EXO_API int exo_key_from_string(const char *str, struct exo_key *key)
{
	__u64 word[2] = { 0, 0 };	/* hi, lo */
	int i;

	if (!str || !key)
		return libexo_err(-EINVAL);
	for (i = 0; i < EXO_KEY_STRLEN; i++) {
		int v = hexval(str[i]);	/* also stops at the NUL */

		if (v < 0)
			return libexo_err(-EINVAL);
		word[i / 16] = word[i / 16] << 4 | (__u64)v;
	}
	if (str[EXO_KEY_STRLEN] != '\0')
		return libexo_err(-EINVAL);
	key->hi = word[0];
	key->lo = word[1];
	return 0;
}
