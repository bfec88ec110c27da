// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * ABI layout pins (host side): every struct's size, every field's offset
 * and size, and the constants of <linux/exo.h>, against hand-computed
 * values in abi_pins.h.
 */
#include <stddef.h>

#include "exo.h"
#include "tap.h"

#define FIELD_SIZE(type, member)	sizeof(((type *)0)->member)

static void pins(void)
{
#define EXO_PIN_STRUCT(type, sz) do {					\
		is(sz, sizeof(type), "sizeof(" #type ") == " #sz);	\
		is(0, sizeof(type) % 8,					\
		   "sizeof(" #type ") is a multiple of 8");		\
	} while (0);
#define EXO_PIN_FIELD(type, member, off, sz) do {			\
		is(off, offsetof(type, member),				\
		   "offsetof(" #type ", " #member ") == " #off);	\
		is(sz, FIELD_SIZE(type, member),			\
		   "sizeof(" #type "." #member ") == " #sz);		\
	} while (0);
#define EXO_PIN_CONST(name, value)					\
	is(value, name, #name " == " #value);
#include "abi_pins.h"
#undef EXO_PIN_STRUCT
#undef EXO_PIN_FIELD
#undef EXO_PIN_CONST
}

int main(void)
{
	pins();
	return done_testing();
}
