/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * bench-db's engine adapters: one file per engine, the same workload code
 * (bench-db.c) for every one.  Row i has a 16-byte key and a 100-byte value,
 * both functions of i, so a lookup can be checked without keeping a model.
 */
#ifndef BENCH_ENGINE_H
#define BENCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_KEY	16
#define BENCH_VAL	100

struct bench_cfg {
	const char *path;	/* engine-specific: exodb URI, LMDB directory */
	unsigned int pool_pages;	/* exodb: pool frames */
	int exo_fd;		/* exodb on exo: /dev/exo with the quota set */
	int nordahead;		/* LMDB: MDB_NORDAHEAD */
	int create;
};

struct engine {
	const char *name;
	int (*open)(const struct bench_cfg *c, void **h);
	/* Put rows [first, first + n) in one durable transaction. */
	int (*load)(void *h, uint64_t first, uint64_t n);
	void *(*thread_init)(void *h);
	/* Copy row @key's value to @val (BENCH_VAL bytes max): 0, 1 if absent,
	 * or -errno. */
	int (*get)(void *t, const uint8_t *key, uint8_t *val, size_t *vlen);
	/* Count the rows in key order, checking each: the count, or -errno. */
	long long (*scan)(void *h, int (*check)(const uint8_t *k, size_t kl,
						 const uint8_t *v, size_t vl));
	void (*thread_fini)(void *t);
	void (*stats)(void *h, FILE *out);
	int (*close)(void *h);
};

extern const struct engine engine_exodb, engine_lmdb;

/* Row i's key: 2i in 16 hex digits (odd numbers are absent keys). */
static inline void bench_key_of(uint64_t x, uint8_t *k)
{
	static const char hex[] = "0123456789abcdef";

	for (int b = BENCH_KEY - 1; b >= 0; b--, x >>= 4)
		k[b] = hex[x & 15];
}

static inline void bench_key(uint64_t i, uint8_t *k)
{
	bench_key_of(2 * i, k);
}

static inline uint64_t bench_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Row i's value (from its key number). */
static inline void bench_val(uint64_t i, uint8_t *v)
{
	uint64_t s = bench_mix(i);

	for (int b = 0; b < BENCH_VAL; b += 8) {
		s = bench_mix(s);
		for (int j = 0; j < 8 && b + j < BENCH_VAL; j++)
			v[b + j] = (uint8_t)(s >> (8 * j));
	}
}

#endif
