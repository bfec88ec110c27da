// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * alloc.c — where exofs puts new blocks: the placement policy, in one place.
 *
 * exo does not tell a principal which blocks are free; XN_UPDATE refuses
 * an added block that is taken (EBUSY).  exofs keeps a bit per block:
 * its own blocks (found by the walk at open) and blocks exo refused;
 * everything else is a candidate.
 *
 * Grouped (C-FFS): a directory's new blocks go right after its block, a
 * run of contiguous blocks when one is free, so a page's files sit
 * together on the disk.  Scattered (EXOFS_SCATTER, the benchmark's
 * control): each block anywhere, at random.
 */
#include <errno.h>

#include "exofs.h"

void exofs_mark(struct exofs *fs, uint64_t b)
{
	if (b < fs->dev->nblocks)
		fs->map[b / 8] |= (uint8_t)(1u << (b % 8));
}

int exofs_marked(const struct exofs *fs, uint64_t b)
{
	return b >= fs->dev->nblocks || (fs->map[b / 8] >> (b % 8)) & 1;
}

static void unmark(struct exofs *fs, uint64_t b)
{
	if (b < fs->dev->nblocks)
		fs->map[b / 8] &= (uint8_t)~(1u << (b % 8));
}

/* Usable block numbers: [first, min(nblocks, 2^24)). */
static uint64_t limit(const struct exofs *fs)
{
	return fs->dev->nblocks < EXOFS_MAX_BLOCK ? fs->dev->nblocks : EXOFS_MAX_BLOCK;
}

/* The first free block at or after @from, wrapping once; 0 if none. */
static uint64_t next_free(struct exofs *fs, uint64_t from)
{
	uint64_t lo = fs->dev->first, hi = limit(fs), span = hi - lo;

	if (from < lo || from >= hi)
		from = lo;
	for (uint64_t i = 0; i < span; i++) {
		uint64_t b = lo + (from - lo + i) % span;

		if (!exofs_marked(fs, b))
			return b;
	}
	return 0;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

int exofs_alloc(struct exofs *fs, uint64_t near, uint32_t n, uint64_t *out)
{
	uint64_t lo = fs->dev->first, hi = limit(fs);
	uint32_t got = 0;

	if (hi <= lo)
		return -ENOSPC;
	if (!(fs->flags & EXOFS_SCATTER)) {
		/* a whole run at the first free block after @near, if it fits */
		uint64_t b = next_free(fs, near + 1), k = 0;

		while (b && k < n && b + k < hi && !exofs_marked(fs, b + k))
			k++;
		if (b && k == n) {
			for (k = 0; k < n; k++) {
				out[k] = b + k;
				exofs_mark(fs, b + k);
			}
			return 0;
		}
	}
	while (got < n) {
		uint64_t from = fs->flags & EXOFS_SCATTER ?
			lo + xorshift(&fs->rand) % (hi - lo) :
			(got ? out[got - 1] : near) + 1;
		uint64_t b = next_free(fs, from);

		if (!b) {
			exofs_alloc_undo(fs, out, got, 0);
			return -ENOSPC;
		}
		out[got++] = b;
		exofs_mark(fs, b);
	}
	return 0;
}

uint64_t exofs_free_blocks(const struct exofs *fs)
{
	uint64_t n = 0;

	for (uint64_t b = fs->dev->first; b < limit(fs); b++)
		n += !exofs_marked(fs, b);
	return n;
}

void exofs_alloc_undo(struct exofs *fs, const uint64_t *b, uint32_t n, int taken)
{
	if (taken)
		return;		/* left marked: someone else has them */
	for (uint32_t i = 0; i < n; i++)
		unmark(fs, b[i]);
}

#define TRIES	64	/* picks exo may refuse (EBUSY) in one update */

int exofs_update_claiming(struct exofs *fs, uint64_t block, void *new,
			  uint32_t magic, uint32_t slot, uint32_t nnew,
			  uint32_t rtype, uint64_t near, uint64_t *out)
{
	struct exofs_claim add[EXOFS_MAX_REFS];
	int ret = -EBUSY;

	if (slot + nnew > EXOFS_MAX_REFS)
		return -EINVAL;
	for (int t = 0; t < TRIES && ret == -EBUSY; t++) {
		ret = exofs_alloc(fs, near, nnew, out);
		if (ret)
			return ret;
		for (uint32_t i = 0; i < nnew; i++) {
			add[i] = (struct exofs_claim){ .block = out[i], .type = rtype };
			exofs_set_ref(new, slot + i, EXOFS_REF(rtype, out[i]));
		}
		exofs_seal(new, magic);
		ret = fs->dev->ops->update(fs->dev, block, new, add, nnew, NULL, 0);
		fs->dev->updates++;
		if (ret)
			exofs_alloc_undo(fs, out, nnew, ret == -EBUSY);
	}
	return ret;
}
