/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The crash tests' workload (exo-crash.c, logwrites.c): every commit a
 * pure function of its writer and its number, so the state after any
 * acknowledged prefix of commits is known without a log of what was done.
 *
 * Writer w's commit i puts and deletes a few of KEYS keys of its own
 * ("k<w>.<j>"; values of 20 bytes to 6 KiB, so some overflow onto their
 * own pages; each value's bytes a function of w, i and the key) and puts
 * "last<w>" = i.  wl_verify() checks that a database holds exactly the
 * state after commit k of writer w, for some k in a range: after a crash,
 * [acked, acked + 1] (the commit after the last acknowledged one may have
 * become durable before its acknowledgement was recorded, no other).
 *
 * The including file defines wl_result(ok, fmt, ...) (one TAP line).
 */
#ifndef EXODB_TEST_WORKLOAD_H
#define EXODB_TEST_WORKLOAD_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "include/exodb.h"

#define KEYS		3000
#define MAX_VAL		6000
#define MAX_OPS		12

static void wl_result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The value writer @w's commit @i gives key @j: its length, bytes in @v. */
static size_t value_of(int w, uint64_t i, int j, uint8_t *v)
{
	uint64_t h = mix((i * KEYS + (uint64_t)j + 1) ^ ((uint64_t)w << 56));
	size_t len = h % 20 == 0 ? 1000 + h % (MAX_VAL - 1000) : 20 + h % 400;

	if (v)
		for (size_t b = 0; b < len; b += 8) {
			uint64_t x = mix(h + b);

			memcpy(v + b, &x, len - b < 8 ? len - b : 8);
		}
	return len;
}

/* Writer @w's commit @i: up to MAX_OPS (key, put?) pairs. */
static int ops_of(int w, uint64_t i, int *keys, int *put)
{
	uint64_t s = mix(i ^ 0x5eed ^ ((uint64_t)w << 48));
	int n = 1 + (int)(s % MAX_OPS);

	for (int o = 0; o < n; o++) {
		s = mix(s + (uint64_t)o);
		keys[o] = (int)(s % KEYS);
		put[o] = s % 6 != 0;
	}
	return n;
}

static void key_of(int w, int j, char *k, size_t kl)
{
	snprintf(k, kl, "k%d.%05d", w, j);
}

static void last_of(int w, char *k, size_t kl)
{
	snprintf(k, kl, "last%d", w);
}

/* Writer @w's model after its commits 0..@k: per key, the commit that last
 * put it, or -1. */
static void model_to(int w, int64_t k, int64_t *model)
{
	int keys[MAX_OPS], put[MAX_OPS];

	for (int j = 0; j < KEYS; j++)
		model[j] = -1;
	for (int64_t i = 0; i <= k; i++) {
		int n = ops_of(w, (uint64_t)i, keys, put);

		for (int o = 0; o < n; o++)
			model[keys[o]] = put[o] ? i : -1;
	}
}

/* Writer @w's commit @i (@buf: MAX_VAL bytes).  0 once durable. */
static int wl_commit(exodb *db, unsigned tb, int w, uint64_t i, uint8_t *buf)
{
	int keys[MAX_OPS], put[MAX_OPS], n = ops_of(w, i, keys, put), err;
	exodb_txn *t;
	char k[24];

	if ((err = exodb_begin(db, 0, &t)))
		return err;
	for (int o = 0; o < n && !err; o++) {
		key_of(w, keys[o], k, sizeof(k));
		if (put[o])
			err = exodb_put(t, tb, k, strlen(k), buf,
					value_of(w, i, keys[o], buf));
		else if ((err = exodb_del(t, tb, k, strlen(k))) == -ENOENT)
			err = 0;
	}
	last_of(w, k, sizeof(k));
	if (!err)
		err = exodb_put(t, tb, k, strlen(k), &i, sizeof(i));
	if (err) {
		exodb_abort(t);
		return err;
	}
	return exodb_commit(t);
}

/*
 * The keys of writer @w in table @tb (in read-only transaction @t) equal
 * its model at its "last" k, @lo <= k <= @hi (-1: no commit; @what names
 * the state in the results); the keys it should have are added to *@nkeys
 * (for a count of the whole table).  Returns k, or -2 on a difference.
 */
static int64_t wl_verify(exodb_txn *t, unsigned tb, int w, int64_t lo,
			 int64_t hi, const char *what, long *nkeys)
{
	static int64_t model[KEYS];
	static uint8_t want[MAX_VAL];
	exodb_cursor *c;
	const void *v, *key;
	size_t vl, kl;
	int64_t k = -1;
	int bad = 0, seen = 0, present = 0, err;
	char name[24], pfx[16];

	last_of(w, name, sizeof(name));
	if (!exodb_get(t, tb, name, strlen(name), &v, &vl) && vl == sizeof(k))
		memcpy(&k, v, sizeof(k));
	wl_result(k >= lo && k <= hi, "%swriter %d: commit %lld is the "
		  "database's last (%lld to %lld allowed)", what, w,
		  (long long)k, (long long)lo, (long long)hi);
	model_to(w, k, model);
	for (int j = 0; j < KEYS; j++) {
		key_of(w, j, name, sizeof(name));
		err = exodb_get(t, tb, name, strlen(name), &v, &vl);
		if (model[j] < 0) {
			bad += err != -ENOENT;
			continue;
		}
		present++;
		if (err || vl != value_of(w, (uint64_t)model[j], j, want) ||
		    memcmp(v, want, vl))
			bad++;
	}
	wl_result(bad == 0, "%swriter %d: every key holds the value of commit "
		  "%lld (%d of %d keys differ)", what, w, (long long)k, bad,
		  KEYS);
	/* and nothing else: a scan of the writer's prefix sees the model */
	snprintf(pfx, sizeof(pfx), "k%d.", w);
	if (!exodb_cursor_open(t, tb, &c)) {
		for (err = exodb_cursor_seek(c, EXODB_GE, pfx, strlen(pfx));
		     !err && !exodb_cursor_get(c, &key, &kl, &v, &vl) &&
		     kl > strlen(pfx) && !memcmp(key, pfx, strlen(pfx));
		     err = exodb_cursor_next(c))
			seen++;
		exodb_cursor_close(c);
	}
	wl_result(seen == present, "%swriter %d: a scan sees %d keys, the model "
		  "%d", what, w, seen, present);
	*nkeys += present + (k >= 0);
	return bad || seen != present || k < lo || k > hi ? -2 : k;
}

/* The number of keys in table @tb. */
static long wl_count(exodb_txn *t, unsigned tb)
{
	exodb_cursor *c;
	long n = 0;

	if (exodb_cursor_open(t, tb, &c))
		return -1;
	for (int err = exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
	     err = exodb_cursor_next(c))
		n++;
	exodb_cursor_close(c);
	return n;
}

#endif
