// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Page replacement: the one place the buffer pool's policy lives.  The
 * pool tells the policy about misses (insert), hits and evictions, and
 * asks it for victims; everything else is the pool's.  Two policies,
 * chosen per database (exodb_opts.policy), hinted per scan (FIX_SCAN):
 *
 * CLOCK (second chance): one ring of resident pages with a reference
 * bit; the hand clears set bits and evicts the first page found clear.
 * A hit costs one byte store.  A sweep over a table larger than the pool
 * flushes everything, as LRU would, unless the sweep is hinted: hinted
 * pages get no reference bit, so they go first.
 *
 * 2Q (Johnson and Shasha, VLDB 1994), the default.  Why 2Q and not
 * LRU-K or ARC: 2Q's decision needs no timestamps and no per-hit list
 * moves (ARC moves a page between lists on hits, LRU-K keeps K access
 * times and a priority queue), so a hit stays a byte store here too, and
 * its one tunable (A1in's share) is the same for every workload in
 * practice.  Its scan resistance is exactly what the tests and the
 * benchmark ask for: a page seen once goes to the FIFO A1in (a quarter
 * of the pool); only a page referenced again after it left A1in (its id
 * is still in the ghost queue A1out, half the pool's worth of ids) enters
 * Am, the main part, itself managed by CLOCK.  A sweep over a table twice
 * the pool's size passes through A1in and never displaces Am: the hot set
 * stays resident.  Hinted scan pages never enter Am and leave no ghost.
 *
 * Hinted scan pages (2Q) have a list of their own, SC, and go first, the
 * newest first (MRU; after A1in's excess): a table swept again and again
 * that does not fit keeps the part of it that does resident, and each
 * sweep re-reads only the rest, where FIFO or LRU re-read all of it
 * (issue 18's db.scan2x; the unit test "scan" counts the misses).  SC
 * takes whatever A1in and Am leave, and gives it back first.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "../internal.h"

enum { NOWHERE = 0, IN_A1 = 1, IN_AM = 2, GHOST = 3, IN_SC = 4 };
#define NIL UINT32_MAX

struct list { uint32_t head, tail, n; };

struct policy {
	enum exodb_policy kind;
	uint64_t npages;
	uint32_t cap, kin, kout;
	uint32_t *prev, *next;	/* list links (GHOST: next = ring position) */
	uint8_t *where;
	uint8_t *scan;
	_Atomic uint8_t *ref;
	struct list a1, am, sc;	/* CLOCK uses am only */
	uint32_t *ghost;	/* ring of kout ids, stored + 1 (0: empty) */
	uint32_t gpos;
};

static void *zalloc_big(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void l_push(struct policy *p, struct list *l, uint32_t x)
{
	p->prev[x] = l->tail;
	p->next[x] = NIL;
	if (l->tail != NIL)
		p->next[l->tail] = x;
	else
		l->head = x;
	l->tail = x;
	l->n++;
}

static void l_del(struct policy *p, struct list *l, uint32_t x)
{
	if (p->prev[x] != NIL)
		p->next[p->prev[x]] = p->next[x];
	else
		l->head = p->next[x];
	if (p->next[x] != NIL)
		p->prev[p->next[x]] = p->prev[x];
	else
		l->tail = p->prev[x];
	l->n--;
}

void policy_set_capacity(struct policy *p, uint32_t cap)
{
	p->cap = cap ? cap : 1;
	p->kin = MAX(1, p->cap / 4);
	p->kout = MAX(1, p->cap / 2);
	if (p->kout > p->npages)
		p->kout = (uint32_t)p->npages;
}

struct policy *policy_new(enum exodb_policy kind, uint64_t npages,
			  uint32_t capacity)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->kind = kind;
	p->npages = npages;
	p->prev = zalloc_big(npages * 4);
	p->next = zalloc_big(npages * 4);
	p->where = zalloc_big(npages);
	p->scan = zalloc_big(npages);
	p->ref = zalloc_big(npages);
	/* the ghost ring never needs more than half the largest pool */
	p->ghost = zalloc_big(sizeof(uint32_t) * MAX(1, MIN(npages, 1u << 22)));
	if (!p->prev || !p->next || !p->where || !p->scan || !p->ref ||
	    !p->ghost) {
		policy_free(p);
		return NULL;
	}
	p->a1 = p->am = p->sc = (struct list){ NIL, NIL, 0 };
	policy_set_capacity(p, capacity);
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	if (p->prev)
		munmap(p->prev, p->npages * 4);
	if (p->next)
		munmap(p->next, p->npages * 4);
	if (p->where)
		munmap(p->where, p->npages);
	if (p->scan)
		munmap(p->scan, p->npages);
	if (p->ref)
		munmap((void *)p->ref, p->npages);
	if (p->ghost)
		munmap(p->ghost, sizeof(uint32_t) * MAX(1, MIN(p->npages, 1u << 22)));
	free(p);
}

const char *policy_name(const struct policy *p)
{
	return p->kind == EXODB_POLICY_CLOCK ? "clock" : "2q";
}

static void ghost_add(struct policy *p, uint32_t x)
{
	uint32_t old;

	p->gpos = (p->gpos + 1) % p->kout;
	old = p->ghost[p->gpos] - 1;
	if (p->ghost[p->gpos] && p->where[old] == GHOST &&
	    p->next[old] == p->gpos)
		p->where[old] = NOWHERE;	/* fell off A1out */
	p->ghost[p->gpos] = x + 1;
	p->where[x] = GHOST;
	p->next[x] = p->gpos;
}

void policy_insert(struct policy *p, uint64_t pid, enum pol_hint h)
{
	uint32_t x = (uint32_t)pid;

	p->scan[x] = h == POL_SCAN;
	atomic_store_explicit(&p->ref[x], 0, memory_order_relaxed);
	if (p->kind == EXODB_POLICY_CLOCK) {
		p->where[x] = IN_AM;
		l_push(p, &p->am, x);
	} else if (h == POL_SCAN) {
		p->where[x] = IN_SC;
		l_push(p, &p->sc, x);
	} else if (p->where[x] == GHOST) {
		p->where[x] = IN_AM;	/* seen again after leaving A1in */
		l_push(p, &p->am, x);
	} else {
		p->where[x] = IN_A1;
		l_push(p, &p->a1, x);
	}
}

void policy_hit(struct policy *p, uint64_t pid, enum pol_hint h)
{
	/* 2Q: a hit in A1in does nothing (correlated references) */
	if (h == POL_SCAN)
		return;
	/* set only if clear: a hot page's line stays shared between CPUs */
	if (p->where[pid] == IN_AM &&
	    !atomic_load_explicit(&p->ref[pid], memory_order_relaxed))
		atomic_store_explicit(&p->ref[pid], 1, memory_order_relaxed);
}

void policy_remove(struct policy *p, uint64_t pid)
{
	uint32_t x = (uint32_t)pid;

	switch (p->where[x]) {
	case IN_A1:
		l_del(p, &p->a1, x);
		p->where[x] = NOWHERE;
		if (!p->scan[x])
			ghost_add(p, x);
		break;
	case IN_AM:
		l_del(p, &p->am, x);
		p->where[x] = NOWHERE;
		break;
	case IN_SC:
		l_del(p, &p->sc, x);
		p->where[x] = NOWHERE;
		break;
	}
}

/* Take the head of @l and move it to the tail: a candidate. */
static uint32_t rotate(struct policy *p, struct list *l)
{
	uint32_t x = l->head;

	l_del(p, l, x);
	l_push(p, l, x);
	return x;
}

uint32_t policy_victims(struct policy *p, uint64_t *out, uint32_t max)
{
	uint32_t n = 0, spins = 0, budget, from_a1 = 0, sx = p->sc.tail;

	budget = 2 * (p->a1.n + p->am.n) + 2 * max;
	while (n < max && spins++ < budget) {
		struct list *l;
		uint32_t x;

		if (p->a1.n > from_a1 && p->a1.n - from_a1 > p->kin) {
			l = &p->a1;
		} else if (sx != NIL) {
			out[n++] = sx;	/* SC: the newest first, in place */
			sx = p->prev[sx];
			continue;
		} else if (p->am.n) {
			l = &p->am;
		} else if (p->a1.n > from_a1) {
			l = &p->a1;
		} else {
			break;
		}
		x = rotate(p, l);
		if (l == &p->am &&
		    atomic_exchange_explicit(&p->ref[x], 0,
					     memory_order_relaxed))
			continue;	/* second chance */
		/* a candidate seen twice in one call: the lists are short */
		for (uint32_t i = 0; i < n; i++)
			if (out[i] == x)
				return n;
		from_a1 += l == &p->a1;
		out[n++] = x;
	}
	return n;
}
