// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Page layout.  Every page starts with struct page_hdr: a crc32c of the
 * rest of the page (set when the page is written, checked when it is
 * read: a torn or misdirected write, or a flipped bit, is found there),
 * its type, its owning table, its own page number and the LSN of the last
 * log record applied to it.
 *
 * B+tree nodes are slotted pages:
 *
 *   0        NODE_HDR         free_lo                data_lo         PAGE
 *   +--------+----------------+---------------------+---------------+
 *   | header | slot[0..n) u16 |   free               | cells, fences |
 *   +--------+----------------+---------------------+---------------+
 *
 * A cell is u16 klen, u16 vinfo, the key, then the value: inline bytes
 * (vinfo = length), an overflow reference (vinfo = V_OVERFLOW | 12) in a
 * leaf, or the child's page number (8 bytes) in an inner node.  Slots are
 * in key order.  An inner node's slot i points to the child holding keys
 * <= key i (and > key i-1); keys above the last separator go to @upper.
 * Each node keeps its fences: every key k in it has lo < k <= hi.
 */
#include <stddef.h>
#include <stdio.h>

#include "../internal.h"

void page_seal(void *p)
{
	struct page_hdr *h = p;

	h->crc = crc32c(0, (uint8_t *)p + 4, PAGE - 4);
}

int page_sealed(const void *p, uint64_t pid)
{
	const struct page_hdr *h = p;

	if (h->type == PT_ZERO) {
		/* never written: all zeroes is the only valid form */
		const uint64_t *w = p;

		for (size_t i = 0; i < PAGE / 8; i++)
			if (w[i])
				return -EUCLEAN;
		return 0;
	}
	if (h->crc != crc32c(0, (const uint8_t *)p + 4, PAGE - 4) ||
	    h->pid != pid || h->type > PT_FREE)
		return -EUCLEAN;
	return 0;
}

int page_verify(const void *p, uint64_t pid)
{
	const struct page_hdr *h = p;

	if (page_sealed(p, pid))
		return -EUCLEAN;
	/*
	 * A crc says the page is what was written, not that a writer wrote
	 * sense: a node's offsets and lengths are checked once here, as it
	 * comes from the disk (or the log), so no accessor needs to.
	 */
	if ((h->type == PT_LEAF || h->type == PT_INNER) &&
	    node_check(p, NULL, 0))
		return -EUCLEAN;
	return 0;
}

/*
 * memcmp's order, then the shorter first.  Eight bytes at a time, compared
 * as big-endian words: a search compares a key ~8 times per node, and the
 * library's memcmp (a call through the PLT, then its own dispatch) cost
 * more than the comparisons themselves for short keys.
 */
int keycmp(const void *a, size_t al, const void *b, size_t bl)
{
	const uint8_t *x = a, *y = b;
	size_t n = MIN(al, bl), i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t u, v;

		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		if (u != v) {
			u = __builtin_bswap64(u);
			v = __builtin_bswap64(v);
			return u < v ? -1 : 1;
		}
	}
	for (; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return al < bl ? -1 : al > bl;
}

void node_init(struct node *n, uint64_t pid, uint32_t tbl, uint16_t level)
{
	memset(n, 0, PAGE);
	n->h.type = level ? PT_INNER : PT_LEAF;
	n->h.level = level;
	n->h.table = tbl;
	n->h.pid = pid;
	n->h.flags = NF_LO_INF | NF_HI_INF;
	n->data_lo = PAGE;
}

static size_t cell_size(const struct node *n, uint16_t off)
{
	uint16_t kl, vi;

	memcpy(&kl, (const uint8_t *)n + off, 2);
	memcpy(&vi, (const uint8_t *)n + off + 2, 2);
	return 4 + kl + (vi & ~V_OVERFLOW);
}

static size_t contiguous(const struct node *n)
{
	size_t lo = NODE_HDR + 2u * n->nslots;

	return n->data_lo > lo ? n->data_lo - lo : 0;
}

size_t node_free_space(const struct node *n)
{
	return contiguous(n) + n->garbage;
}

const uint8_t *node_key(const struct node *n, int i, size_t *klen)
{
	const uint8_t *c = (const uint8_t *)n + n->slot[i];
	uint16_t kl;

	memcpy(&kl, c, 2);
	*klen = kl;
	return c + 4;
}

const uint8_t *leaf_val(const struct node *n, int i, size_t *vlen, bool *ovf)
{
	const uint8_t *c = (const uint8_t *)n + n->slot[i];
	uint16_t kl, vi;

	memcpy(&kl, c, 2);
	memcpy(&vi, c + 2, 2);
	*vlen = vi & ~V_OVERFLOW;
	*ovf = vi & V_OVERFLOW;
	return c + 4 + kl;
}

int leaf_ovf(const struct node *n, int i, struct ovf_ref *r)
{
	size_t vl;
	bool ovf;
	const uint8_t *v = leaf_val(n, i, &vl, &ovf);

	if (!ovf)
		return 0;
	if (vl != sizeof(*r))
		return -EUCLEAN;
	memcpy(r, v, sizeof(*r));
	return 1;
}

uint64_t inner_child(const struct node *n, int i)
{
	size_t vl;
	bool ovf;
	uint64_t c;

	if (i >= n->nslots)
		return n->upper;
	memcpy(&c, leaf_val(n, i, &vl, &ovf), 8);
	return c;
}

int node_lower_bound(const struct node *n, const void *key, size_t klen,
		     bool *eq)
{
	int lo = 0, hi = n->nslots;

	*eq = false;
	while (lo < hi) {
		int mid = (lo + hi) / 2, c;
		size_t kl;
		const uint8_t *k = node_key(n, mid, &kl);

		c = keycmp(k, kl, key, klen);
		if (c < 0) {
			lo = mid + 1;
		} else {
			if (c == 0)
				*eq = true;
			hi = mid;
		}
	}
	return lo;
}

/* Put @len bytes in the data area; returns their offset. */
static uint16_t put_data(struct node *n, const void *a, size_t al,
			 const void *b, size_t bl)
{
	n->data_lo -= (uint16_t)(al + bl);
	memcpy((uint8_t *)n + n->data_lo, a, al);
	if (bl)
		memcpy((uint8_t *)n + n->data_lo + al, b, bl);
	return n->data_lo;
}

void node_compact(struct node *n)
{
	uint8_t tmp[PAGE];
	struct node *t = (struct node *)tmp;

	memcpy(tmp, n, NODE_HDR + 2u * n->nslots);
	t->data_lo = PAGE;
	t->garbage = 0;
	if (!(n->h.flags & NF_LO_INF))
		t->lo_off = put_data(t, (uint8_t *)n + n->lo_off, n->lo_len,
				     NULL, 0);
	if (!(n->h.flags & NF_HI_INF))
		t->hi_off = put_data(t, (uint8_t *)n + n->hi_off, n->hi_len,
				     NULL, 0);
	for (int i = 0; i < n->nslots; i++)
		t->slot[i] = put_data(t, (uint8_t *)n + n->slot[i],
				      cell_size(n, n->slot[i]), NULL, 0);
	memcpy(n, tmp, PAGE);
}

int node_insert(struct node *n, int at, const void *k, size_t kl,
		const void *v, size_t vl, uint16_t vinfo)
{
	size_t need = 4 + kl + vl + 2;
	uint16_t hdr[2] = { (uint16_t)kl, vinfo };
	uint8_t cell[4 + EXODB_MAX_KEY];

	if (need > node_free_space(n))
		return -ENOSPC;
	if (need > contiguous(n))
		node_compact(n);
	memcpy(cell, hdr, 4);
	memcpy(cell + 4, k, kl);
	memmove(&n->slot[at + 1], &n->slot[at], 2u * (n->nslots - at));
	n->nslots++;
	n->slot[at] = put_data(n, cell, 4 + kl, v, vl);
	return 0;
}

void node_remove(struct node *n, int at)
{
	n->garbage += (uint16_t)cell_size(n, n->slot[at]);
	memmove(&n->slot[at], &n->slot[at + 1], 2u * (n->nslots - at - 1));
	n->nslots--;
}

int node_set_fences(struct node *n, const void *lo, size_t lol, bool lo_inf,
		    const void *hi, size_t hil, bool hi_inf)
{
	size_t need = (lo_inf ? 0 : lol) + (hi_inf ? 0 : hil);

	/* the old fences become garbage */
	if (!(n->h.flags & NF_LO_INF))
		n->garbage += n->lo_len;
	if (!(n->h.flags & NF_HI_INF))
		n->garbage += n->hi_len;
	n->h.flags |= NF_LO_INF | NF_HI_INF;
	if (need > node_free_space(n))
		return -ENOSPC;
	if (need > contiguous(n))
		node_compact(n);
	if (!lo_inf) {
		n->lo_off = put_data(n, lo, lol, NULL, 0);
		n->lo_len = (uint16_t)lol;
		n->h.flags &= ~NF_LO_INF;
	}
	if (!hi_inf) {
		n->hi_off = put_data(n, hi, hil, NULL, 0);
		n->hi_len = (uint16_t)hil;
		n->h.flags &= ~NF_HI_INF;
	}
	return 0;
}

const uint8_t *node_lo(const struct node *n, size_t *len)
{
	if (n->h.flags & NF_LO_INF)
		return NULL;
	*len = n->lo_len;
	return (const uint8_t *)n + n->lo_off;
}

const uint8_t *node_hi(const struct node *n, size_t *len)
{
	if (n->h.flags & NF_HI_INF)
		return NULL;
	*len = n->hi_len;
	return (const uint8_t *)n + n->hi_off;
}

/* Two fences equal?  NULL is an infinite one, equal only to another. */
bool fence_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	if (!a || !b)
		return !a && !b;
	return al == bl && !memcmp(a, b, al);
}

/*
 * Structural check of one node from untrusted bytes: every offset and
 * length inside the page, keys strictly ascending, inside the fences.
 * Returns 0, or -EUCLEAN with the reason in @why (@wlen bytes; may be 0).
 */
int node_check(const struct node *n, char *why, size_t wlen)
{
	size_t lol = 0, hil = 0, prevl = 0;
	const uint8_t *lo, *hi, *prev = NULL;

#define BAD(...) do { snprintf(why, wlen, __VA_ARGS__); return -EUCLEAN; } while (0)
	if (n->h.type != PT_LEAF && n->h.type != PT_INNER)
		BAD("type %u is no node", n->h.type);
	if ((n->h.type == PT_LEAF) != (n->h.level == 0))
		BAD("type %u at level %u", n->h.type, n->h.level);
	if (n->nslots > (PAGE - NODE_HDR) / 6 ||
	    n->data_lo < NODE_HDR + 2u * n->nslots || n->data_lo > PAGE)
		BAD("slot count %u / data_lo %u out of range", n->nslots,
		    n->data_lo);
	if (!(n->h.flags & NF_LO_INF) &&
	    (n->lo_off < n->data_lo || n->lo_off + n->lo_len > PAGE ||
	     n->lo_len > EXODB_MAX_KEY))
		BAD("low fence out of the page");
	if (!(n->h.flags & NF_HI_INF) &&
	    (n->hi_off < n->data_lo || n->hi_off + n->hi_len > PAGE ||
	     n->hi_len > EXODB_MAX_KEY))
		BAD("high fence out of the page");
	lo = node_lo(n, &lol);
	hi = node_hi(n, &hil);
	if (lo && hi && keycmp(lo, lol, hi, hil) >= 0)
		BAD("fences out of order");
	for (int i = 0; i < n->nslots; i++) {
		uint16_t off = n->slot[i], kl, vi;
		size_t kll;
		const uint8_t *k;

		if (off < n->data_lo || off + 4u > PAGE)
			BAD("slot %d offset %u out of range", i, off);
		memcpy(&kl, (const uint8_t *)n + off, 2);
		memcpy(&vi, (const uint8_t *)n + off + 2, 2);
		if (kl > EXODB_MAX_KEY || off + 4u + kl + (vi & ~V_OVERFLOW) > PAGE)
			BAD("slot %d cell overruns the page", i);
		if (n->h.level && (vi != 8))
			BAD("slot %d: inner cell without a child", i);
		if ((vi & V_OVERFLOW) && (vi & ~V_OVERFLOW) != sizeof(struct ovf_ref))
			BAD("slot %d: bad overflow reference", i);
		k = node_key(n, i, &kll);
		if (prev && keycmp(prev, prevl, k, kll) >= 0)
			BAD("keys %d and %d out of order", i - 1, i);
		if (lo && keycmp(k, kll, lo, lol) <= 0)
			BAD("key %d not above the low fence", i);
		if (hi && keycmp(k, kll, hi, hil) > 0)
			BAD("key %d above the high fence", i);
		prev = k;
		prevl = kll;
	}
	return 0;
#undef BAD
}
