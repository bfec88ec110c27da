/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Numbered rows for the host tests that count what survived (test/broken,
 * test/lost): row i is key "k%05d" with a value of @vlen bytes, each the
 * letter 'a' + i % 26, committed one per transaction.
 */
#ifndef EXODB_TEST_ROWS_H
#define EXODB_TEST_ROWS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "include/exodb.h"

#define ROWS_MAXV	1024

/* Put row @i in its own transaction: 0 once it is acknowledged. */
static inline int rows_put(exodb *db, unsigned tb, int i, size_t vlen)
{
	char k[16], v[ROWS_MAXV];
	exodb_txn *t;
	int err = vlen > sizeof(v) ? -EINVAL : exodb_begin(db, 0, &t);

	if (err)
		return err;
	snprintf(k, sizeof(k), "k%05d", i);
	memset(v, 'a' + i % 26, vlen);
	err = exodb_put(t, tb, k, strlen(k), v, vlen);
	if (err) {
		exodb_abort(t);
		return err;
	}
	return exodb_commit(t);
}

/* Rows 0, 1, ... there in order, each intact: how many until one is not. */
static inline int rows_count(exodb *db, unsigned tb, size_t vlen)
{
	exodb_txn *t;
	exodb_cursor *c;
	int n = 0, err;

	if (exodb_begin(db, EXODB_RDONLY, &t))
		return -1;
	if (exodb_cursor_open(t, tb, &c)) {
		exodb_abort(t);
		return -1;
	}
	for (err = exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
	     err = exodb_cursor_next(c)) {
		const void *k, *v;
		size_t kl, vl;
		char want[16];

		exodb_cursor_get(c, &k, &kl, &v, &vl);
		snprintf(want, sizeof(want), "k%05d", n);
		if (kl != strlen(want) || memcmp(k, want, kl) || vl != vlen ||
		    ((const char *)v)[0] != 'a' + n % 26)
			break;
		n++;
	}
	exodb_cursor_close(c);
	exodb_abort(t);
	return n;
}

#endif
