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

/* Tables of a database: BENCH_T0 (default "bench"), optionally BENCH_T1. */
enum { BENCH_T0, BENCH_T1, BENCH_TABLES };

struct bench_cfg {
	const char *path;	/* engine-specific: exodb URI, LMDB file, RocksDB dir */
	const char *table[BENCH_TABLES];	/* names; [1] may be NULL */
	unsigned int budget_mib;	/* RocksDB: block cache + memtables */
	unsigned int pool_pages;	/* exodb: pool frames */
	int exo_fd;		/* exodb on exo: /dev/exo with the quota set */
	int nordahead;		/* LMDB: MDB_NORDAHEAD */
	int create;
};

struct engine {
	const char *name;
	int (*open)(const struct bench_cfg *c, void **h);
	/* Put rows [first, first + n) of table @tb in one durable transaction. */
	int (*load)(void *h, int tb, uint64_t first, uint64_t n);
	void *(*thread_init)(void *h);
	/* Copy row @key's value to @val (BENCH_VAL bytes max): 0, 1 if absent,
	 * or -errno. */
	int (*get)(void *t, int tb, const uint8_t *key, uint8_t *val,
		   size_t *vlen);
	/* Write @val as @key's value in one durable transaction: 0 or -errno. */
	int (*update)(void *t, int tb, const uint8_t *key, const uint8_t *val);
	/* Count the rows in key order, checking each (@check's @arg): the
	 * count, or -errno.  @sweep: the caller sweeps the table again and
	 * again (the engine's scan hint, if it has one). */
	long long (*scan)(void *h, int tb, int sweep,
			  int (*check)(void *arg, const uint8_t *k, size_t kl,
				       const uint8_t *v, size_t vl), void *arg);
	void (*thread_fini)(void *t);
	/* Page accesses and misses of table @tb so far (0), or -EOPNOTSUPP
	 * (a memory-mapped engine: the caller counts major faults). */
	int (*tbl_io)(void *h, int tb, unsigned long long *acc,
		      unsigned long long *miss);
	/* Levels of table @tb's tree (pages a lookup touches), or 0. */
	int (*depth)(void *h, int tb);
	/* Tell the engine, as its resource manager would, to live in @bytes
	 * of memory from now on, what it holds above that given back within
	 * @deadline_ms: 0, or -EOPNOTSUPP (a peer: its cgroup's memory.max is
	 * lowered to @bytes instead).  shrink_met: 1 once it holds no more,
	 * 0 if some was taken (the deadline missed), -1 while neither. */
	int (*shrink)(void *h, unsigned long long bytes, int deadline_ms);
	int (*shrink_met)(void *h);
	void (*stats)(void *h, FILE *out);
	int (*close)(void *h);
};

extern const struct engine engine_exodb, engine_lmdb, engine_rocksdb;

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
