/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * YCSB's request distribution for workloads A and C: Zipfian with constant
 * theta over n items (Gray et al., "Quickly generating billion-record
 * synthetic databases", SIGMOD 1994: the algorithm YCSB's
 * ZipfianGenerator uses), scrambled as YCSB's ScrambledZipfianGenerator
 * does: the rank hashed with 64-bit FNV-1a, modulo n, so that the popular
 * rows are spread over the key space instead of packed at its start.
 */
#ifndef BENCH_ZIPF_H
#define BENCH_ZIPF_H

#include <math.h>
#include <stdint.h>

struct zipf {
	uint64_t n;
	double theta, zetan, alpha, eta, half;
};

static inline void zipf_init(struct zipf *z, uint64_t n, double theta)
{
	double zeta2 = 1 + pow(0.5, theta);

	z->n = n;
	z->theta = theta;
	z->zetan = 0;
	for (uint64_t i = 1; i <= n; i++)
		z->zetan += 1 / pow((double)i, theta);
	z->alpha = 1 / (1 - theta);
	z->eta = (1 - pow(2.0 / n, 1 - theta)) / (1 - zeta2 / z->zetan);
	z->half = 1 + pow(0.5, theta);
}

/* A rank in [0, n), 0 the most popular, from @u uniform in [0, 1). */
static inline uint64_t zipf_rank(const struct zipf *z, double u)
{
	double uz = u * z->zetan;
	uint64_t r;

	if (uz < 1)
		return 0;
	if (uz < z->half)
		return 1;
	r = (uint64_t)(z->n * pow(z->eta * u - z->eta + 1, z->alpha));
	return r < z->n ? r : z->n - 1;
}

/* The scrambled row: FNV-1a of the rank's eight bytes, modulo n. */
static inline uint64_t zipf_scrambled(const struct zipf *z, double u)
{
	uint64_t r = zipf_rank(z, u), h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 8; i++, r >>= 8) {
		h ^= r & 0xff;
		h *= 0x100000001b3ull;
	}
	return h % z->n;
}

#endif
