/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A minimal TAP producer for libexo's host tests.
 *
 *	ok(cond, "name") / is(expected, got, "name") / done_testing()
 *
 * The plan line "1..N" is printed at the end; a failing check prints what
 * it expected and what it got as a TAP diagnostic.
 */
#ifndef LIBEXO_TEST_TAP_H
#define LIBEXO_TEST_TAP_H

#include <stdio.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...);

#include <stdarg.h>

static int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

/* Integer equality with an expected-vs-got diagnostic. */
#define is(expected, got, ...) do {					\
	long long __e = (long long)(expected);				\
	long long __g = (long long)(got);				\
	if (!ok(__e == __g, __VA_ARGS__))				\
		printf("#   %s:%d: expected %s = %lld, got %s = %lld\n",\
		       __FILE__, __LINE__, #expected, __e, #got, __g);	\
} while (0)

/* Print the plan; the exit status says whether everything passed. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* LIBEXO_TEST_TAP_H */
