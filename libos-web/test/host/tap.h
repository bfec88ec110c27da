/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * tap.h — the few TAP helpers libos-web's host tests share.  Each check
 * prints "ok N - what" or "not ok N - what" with what was expected and
 * what came; tap_done() prints the plan and gives the exit status.
 */
#ifndef LIBOS_WEB_TAP_H
#define LIBOS_WEB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3)))
int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* Integer equality, saying what was expected and what came. */
#define tap_eq(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!tap_ok(g_ == w_, __VA_ARGS__))				\
		printf("#   expected %lld, got %lld\n", w_, g_);	\
} while (0)

/* String equality (NULL allowed). */
#define tap_streq(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int eq_ = (g_ && w_) ? !strcmp(g_, w_) : g_ == w_;		\
	if (!tap_ok(eq_, __VA_ARGS__))					\
		printf("#   expected \"%s\", got \"%s\"\n",		\
		       w_ ? w_ : "(null)", g_ ? g_ : "(null)");		\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* LIBOS_WEB_TAP_H */
