// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * B+tree tables.  Each table's root keeps its page number for life (a
 * root split moves the root's contents down, as LeanStore does), so the
 * catalogue never changes when a tree grows.
 *
 * Readers descend with shared latches, coupled: the child is latched
 * before the parent is let go.  There is one writer at a time (txn.c), so
 * a writer needs no protection against other writers, only against
 * readers: it descends with exclusive latches, coupled the same way, and
 * every page it changes goes through tc_fix(), which keeps the page's
 * pre-image and pins it until the commit is logged.  An insert that does
 * not fit runs a split pass: the whole path latched, one node split (the
 * lowest full one whose parent has room for a separator, or the root),
 * then the insert is tried again.  A leaf split at its right end (keys
 * arriving in order) leaves the left leaf full: bulk loads pack pages.
 * A delete that leaves a leaf less than half full runs a merge pass: the whole path latched, the leaf merged with a sibling under
 * the same parent if both fit in one page, the parent with one of its own
 * if that left it underfull, and so up; a root left with one child takes
 * the child's contents (the root's page never changes).  A dropped table's tree is
 * taken apart from the left, a bounded number of pages per commit
 * (bt_drop_step), its pages going to the free list.
 *
 * Everything read from a page that came from disk was checked by its
 * checksum; the tree also checks what it follows (child levels, table
 * ids, page numbers, overflow lengths), so a damaged tree gives -EUCLEAN.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../internal.h"

#define SEP_ROOM	(4 + EXODB_MAX_KEY + 8 + 2)
#define MAX_DEPTH	16

static struct pool *P(struct exodb *db) { return &db->pool; }

static int grow_buf(uint8_t **buf, size_t *cap, size_t len)
{
	if (len <= *cap)
		return 0;
	uint8_t *n = realloc(*buf, MAX(len, 64));
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = MAX(len, 64);
	return 0;
}

/* Is @c a sane child of @parent (a node one level down, same table)? */
static int check_child(const struct node *parent, const struct node *c,
		       uint32_t tbl)
{
	if ((c->h.type != PT_LEAF && c->h.type != PT_INNER) ||
	    c->h.level + 1 != parent->h.level || c->h.table != tbl ||
	    c->nslots > PAGE / 6)
		return -EUCLEAN;
	return 0;
}

/*
 * Does @n's range (lo, hi] hold @k (@k NULL: +infinity, the rightmost
 * leaf's)?  A page's fences are checked when it is read, but only a
 * descent knows which key it came for: a damaged child pointer whose
 * target is a sound node of the right level (crc and all) is caught here,
 * before a reader trusts an answer from it or a writer adds to it.
 */
static bool holds(const struct node *n, const void *k, size_t kl)
{
	size_t lol, hil;
	const uint8_t *lo = node_lo(n, &lol), *hi = node_hi(n, &hil);

	if (!k)
		return !hi;
	return (!lo || keycmp(lo, lol, k, kl) < 0) &&
	       (!hi || keycmp(k, kl, hi, hil) <= 0);
}

static int child_index(const struct node *n, const void *k, size_t kl,
		       bool to_upper)
{
	bool eq;

	return to_upper ? n->nslots : node_lower_bound(n, k, kl, &eq);
}

/*
 * Descend with shared latches to the leaf whose range holds @k (@k NULL:
 * the rightmost leaf).  Returns the leaf, latched shared, or NULL.
 */
static struct node *descend_s(struct exodb *db, uint32_t tbl, uint64_t root,
			      const void *k, size_t kl, unsigned fl,
			      uint64_t *leaf, int *err)
{
	uint64_t pid = root;
	struct node *n = pool_fix_s(P(db), pid, tbl, fl & ~FIX_SCAN, err);

	if (!n)
		return NULL;
	if ((n->h.type != PT_LEAF && n->h.type != PT_INNER) ||
	    n->h.table != tbl || !holds(n, k, kl)) {
		pool_unfix_s(P(db), pid);
		*err = -EUCLEAN;
		return NULL;
	}
	while (n->h.level) {
		uint64_t cp = inner_child(n, child_index(n, k, kl, !k));
		struct node *c;

		/* inner pages are never hinted as scan pages: they stay hot */
		c = cp ? pool_fix_s(P(db), cp, tbl,
				    n->h.level == 1 ? fl : fl & ~FIX_SCAN, err)
		       : NULL;
		if (!cp)
			*err = -EUCLEAN;
		if (c && (check_child(n, c, tbl) || !holds(c, k, kl))) {
			pool_unfix_s(P(db), cp);
			c = NULL;
			*err = -EUCLEAN;
		}
		pool_unfix_s(P(db), pid);
		if (!c)
			return NULL;
		n = c;
		pid = cp;
	}
	*leaf = pid;
	return n;
}

/* Copy the value of slot @i of leaf @n (latched) into @buf. */
static int copy_value(struct exodb *db, const struct node *n, int i,
		      uint8_t **buf, size_t *cap, size_t *vl)
{
	struct ovf_ref r;
	uint64_t pid;
	size_t got = 0;
	int err = leaf_ovf(n, i, &r);

	if (err < 0)
		return err;
	if (!err) {
		bool ovf;
		size_t len;
		const uint8_t *v = leaf_val(n, i, &len, &ovf);

		if (grow_buf(buf, cap, len))
			return -ENOMEM;
		memcpy(*buf, v, len);
		*vl = len;
		return 0;
	}
	if (r.len > EXODB_MAX_VALUE)
		return -EUCLEAN;
	if (grow_buf(buf, cap, r.len))
		return -ENOMEM;
	pid = r.pid;
	while (got < r.len) {
		const struct ovf_page *o;
		uint32_t take;

		o = pid ? pool_fix_s(P(db), pid, n->h.table, 0, &err) : NULL;
		if (!o)
			return pid ? err : -EUCLEAN;
		take = o->len;
		if (o->h.type != PT_OVERFLOW || take > OVF_CAP ||
		    take > r.len - got || !take) {
			pool_unfix_s(P(db), pid);
			return -EUCLEAN;
		}
		memcpy(*buf + got, o->data, take);
		got += take;
		uint64_t next = o->next;
		pool_unfix_s(P(db), pid);
		pid = next;
	}
	*vl = r.len;
	return 0;
}

int bt_get(struct exodb *db, uint32_t tbl, uint64_t root, const void *k,
	   size_t kl, uint8_t **buf, size_t *cap, size_t *vl, unsigned fl)
{
	uint64_t leaf;
	int err = 0, i;
	bool eq;
	struct node *n = descend_s(db, tbl, root, k, kl, fl, &leaf, &err);

	if (!n)
		return err;
	i = node_lower_bound(n, k, kl, &eq);
	err = eq ? copy_value(db, n, i, buf, cap, vl) : -ENOENT;
	pool_unfix_s(P(db), leaf);
	return err;
}

/* ---- writing ------------------------------------------------------------- */

static int free_chain(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		      uint64_t pid, uint32_t len)
{
	uint32_t pages = (len + OVF_CAP - 1) / OVF_CAP;
	int err = 0;

	while (pid && pages--) {
		struct ovf_page *o = tc_fix(db, tc, pid, tbl, &err);
		uint64_t next;

		if (!o)
			return err;
		if (o->h.type != PT_OVERFLOW) {
			tc_unfix(db, tc, pid);
			return -EUCLEAN;
		}
		next = o->next;
		tc_unfix(db, tc, pid);
		err = space_free(db, tc, pid);
		if (err)
			return err;
		pid = next;
	}
	return 0;
}

static int write_chain(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		       const uint8_t *v, size_t vl, uint64_t *first)
{
	size_t pages = (vl + OVF_CAP - 1) / OVF_CAP;
	uint64_t next = 0;
	int err;

	/* back to front, so each page knows its successor */
	for (size_t i = pages; i-- > 0;) {
		size_t off = i * OVF_CAP, take = MIN(OVF_CAP, vl - off);
		struct ovf_page *o;
		uint64_t pid;

		err = space_alloc(db, tc, tbl, PT_OVERFLOW, &pid, (void **)&o);
		if (err)
			return err;
		o->next = next;
		o->len = (uint32_t)take;
		memcpy(o->data, v + off, take);
		tc_unfix(db, tc, pid);
		next = pid;
	}
	*first = next;
	return 0;
}

struct path {
	uint64_t pid[MAX_DEPTH];
	struct node *n[MAX_DEPTH];
	int depth;
};

static void path_release(struct exodb *db, struct tree_ctx *tc, struct path *p)
{
	for (int i = 0; i < p->depth; i++)
		tc_unfix(db, tc, p->pid[i]);
	p->depth = 0;
}

/* Latch the whole path to @k's leaf exclusively. */
static int path_lock(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		     uint64_t root, const void *k, size_t kl, struct path *p)
{
	uint64_t pid = root;
	int err = 0;

	p->depth = 0;
	for (;;) {
		struct node *n = tc_fix(db, tc, pid, tbl, &err);

		if (!n) {
			path_release(db, tc, p);
			return err;
		}
		p->pid[p->depth] = pid;
		p->n[p->depth++] = n;
		if ((p->depth > 1 && check_child(p->n[p->depth - 2], n, tbl)) ||
		    (p->depth == 1 && (n->h.table != tbl ||
			(n->h.type != PT_LEAF && n->h.type != PT_INNER))) ||
		    !holds(n, k, kl)) {
			path_release(db, tc, p);
			return -EUCLEAN;
		}
		if (!n->h.level)
			return 0;
		if (p->depth == MAX_DEPTH) {
			path_release(db, tc, p);
			return -EUCLEAN;
		}
		pid = inner_child(n, child_index(n, k, kl, false));
	}
}

/* Append slots [from, n) of @src to @dst. */
static int copy_slots(struct node *dst, const struct node *src, int from)
{
	for (int i = from; i < src->nslots; i++) {
		size_t kl, vl;
		bool ovf;
		const uint8_t *k = node_key(src, i, &kl);
		const uint8_t *v = leaf_val(src, i, &vl, &ovf);
		uint16_t vi = (uint16_t)vl | (ovf ? V_OVERFLOW : 0);
		int err = node_insert(dst, dst->nslots, k, kl, v, vl, vi);

		if (err)
			return err;
	}
	return 0;
}

/* Move slots [from, n) of @l to the empty node @r. */
static int move_tail(struct node *l, struct node *r, int from)
{
	int err = copy_slots(r, l, from);

	if (err)
		return err;
	while (l->nslots > from)
		node_remove(l, l->nslots - 1);
	node_compact(l);
	return 0;
}

/* Root @root (latched, in p->n[0]) moves down into a new node. */
static int split_root(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		      struct node *root)
{
	struct node *c;
	uint64_t cp;
	int err = space_alloc(db, tc, tbl, root->h.level ? PT_INNER : PT_LEAF,
			      &cp, (void **)&c);

	if (err)
		return err;
	memcpy(c, root, PAGE);
	c->h.pid = cp;
	uint64_t rp = root->h.pid;
	uint16_t level = root->h.level + 1;
	node_init(root, rp, tbl, level);
	root->upper = cp;
	tc_unfix(db, tc, cp);
	return 0;
}

/* Bytes slots [0, @upto) of @n take with their cells. */
static size_t used_bytes(const struct node *n, int upto)
{
	size_t sum = 0;

	for (int i = 0; i < upto; i++) {
		size_t kl, vl;
		bool ovf;

		node_key(n, i, &kl);
		leaf_val(n, i, &vl, &ovf);
		sum += 2 + 4 + kl + vl;
	}
	return sum;
}

/* Split @n (path index d, parent at d - 1 with room for a separator). */
static int split(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		 struct path *p, int d, const void *k, size_t kl)
{
	struct node *n = p->n[d], *par = p->n[d - 1], *r;
	uint64_t rp;
	int err, mid, at;
	bool eq;
	uint8_t sep[EXODB_MAX_KEY], hi[EXODB_MAX_KEY];
	size_t sepl, hil = 0, lol = 0;
	const uint8_t *s, *h = node_hi(n, &hil);
	bool hi_inf = !h;

	if (h)
		memcpy(hi, h, hil);
	if (n->nslots < 2 && !(n->h.level == 0 && n->nslots == 1))
		return -EUCLEAN;	/* cannot happen with bounded cells */
	err = space_alloc(db, tc, tbl, n->h.level ? PT_INNER : PT_LEAF, &rp,
			  (void **)&r);
	if (err)
		return err;
	node_init(r, rp, tbl, n->h.level);
	at = node_lower_bound(n, k, kl, &eq);
	if (!n->h.level) {
		/* leaf: keys in order split at the end, else in the middle */
		mid = at == n->nslots && !eq ? n->nslots : n->nslots / 2;
		if (mid == 0)
			mid = 1;
		if (mid == n->nslots) {
			/* the left node must still hold its new high fence */
			size_t lol0 = 0, kl0;

			node_lo(n, &lol0);
			node_key(n, mid - 1, &kl0);
			if (used_bytes(n, mid) + lol0 + kl0 > PAGE - NODE_HDR)
				mid = MAX(1, n->nslots / 2);
		}
		s = node_key(n, mid - 1, &sepl);
		memcpy(sep, s, sepl);
		err = move_tail(n, r, mid);
		if (!err) {
			r->next = n->next;
			r->prev = n->h.pid;
			n->next = rp;
		}
		if (!err && r->next) {
			struct node *nx = tc_fix(db, tc, r->next, tbl, &err);

			if (nx) {
				nx->prev = rp;
				tc_unfix(db, tc, r->next);
			}
		}
	} else {
		/* inner: key[mid] goes up, its child becomes left's upper */
		mid = n->nslots / 2;
		s = node_key(n, mid, &sepl);
		memcpy(sep, s, sepl);
		r->upper = n->upper;
		err = move_tail(n, r, mid + 1);
		if (!err) {
			n->upper = inner_child(n, mid);
			node_remove(n, mid);
			node_compact(n);
		}
	}
	if (!err) {
		const uint8_t *lo = node_lo(n, &lol);
		uint8_t lob[EXODB_MAX_KEY];
		bool lo_inf = !lo;

		if (lo)
			memcpy(lob, lo, lol);
		err = node_set_fences(r, sep, sepl, false, hi, hil, hi_inf);
		if (!err)
			err = node_set_fences(n, lob, lol, lo_inf, sep, sepl,
					      false);
	}
	if (!err) {
		/* parent: (sep -> n) before the pointer to n, now to r */
		int i = child_index(par, sep, sepl, false);
		uint64_t np = n->h.pid;

		if (inner_child(par, i) != np) {
			err = -EUCLEAN;
		} else {
			if (i == par->nslots) {
				par->upper = rp;
			} else {
				size_t vl;
				bool ovf;
				uint8_t *cv = (uint8_t *)leaf_val(par, i, &vl, &ovf);

				memcpy(cv, &rp, 8);
			}
			err = node_insert(par, i, sep, sepl, &np, 8, 8);
		}
	}
	tc_unfix(db, tc, rp);
	return err;
}

/* One split on the way to @k's leaf; the caller retries its insert. */
static int split_pass(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		      uint64_t root, const void *k, size_t kl)
{
	struct path p;
	int d, err = path_lock(db, tc, tbl, root, k, kl, &p);

	if (err)
		return err;
	d = p.depth - 1;
	while (d > 0 && node_free_space(p.n[d - 1]) < SEP_ROOM)
		d--;
	if (d == 0)
		err = split_root(db, tc, tbl, p.n[0]);
	else
		err = split(db, tc, tbl, &p, d, k, kl);
	path_release(db, tc, &p);
	return err;
}

/* ---- merging ------------------------------------------------------------ */

/*
 * Less than half used: try to merge it with a sibling.  (Two adjacent
 * nodes less than half full fit in one, so a tree that only shrinks keeps
 * its nodes about half full or more.)
 */
static bool underfull(const struct node *n)
{
	return node_free_space(n) > (PAGE - NODE_HDR) / 2;
}

/*
 * Build in @out the node holding @l's entries, then (inner nodes) the
 * parent's separator @sep pointing at @l's upper child, then @r's, with
 * @l's low fence and @r's high one.  -ENOSPC: they do not fit in a page.
 */
static int build_merged(struct node *out, const struct node *l,
			const struct node *r, const uint8_t *sep, size_t sepl)
{
	size_t lol = 0, hil = 0;
	const uint8_t *lo = node_lo(l, &lol), *hi = node_hi(r, &hil);
	int err;

	node_init(out, l->h.pid, l->h.table, l->h.level);
	err = node_set_fences(out, lo, lol, !lo, hi, hil, !hi);
	if (!err)
		err = copy_slots(out, l, 0);
	if (!err && l->h.level)
		err = node_insert(out, out->nslots, sep, sepl, &l->upper, 8, 8);
	if (!err)
		err = copy_slots(out, r, 0);
	out->prev = l->prev;
	out->next = r->next;
	out->upper = r->upper;
	out->h.crc = l->h.crc;
	out->h.lsn = l->h.lsn;
	return err;
}

/*
 * Merge children @li and @li + 1 of @par (latched exclusively, as the
 * path above it), if their entries fit in one page: the right one's go
 * into the left one, which takes its place in @par; the right one is
 * freed.  Siblings are latched left to right, the order in which readers
 * move along leaf links, so a reader between them cannot deadlock us.
 * *@merged says whether it happened.
 */
static int merge_children(struct exodb *db, struct tree_ctx *tc,
			  uint32_t tbl, struct node *par, int li,
			  bool *merged)
{
	uint64_t lp = inner_child(par, li), rp = inner_child(par, li + 1);
	uint8_t sep[EXODB_MAX_KEY];
	size_t sepl;
	const uint8_t *s = node_key(par, li, &sepl);
	struct node *l, *r;
	uint64_t tmp[PAGE / 8];
	int err = 0;

	*merged = false;
	if (sepl > sizeof(sep))
		return -EUCLEAN;
	memcpy(sep, s, sepl);
	if (lp == rp)
		return -EUCLEAN;
	l = tc_fix(db, tc, lp, tbl, &err);
	if (!l)
		return err;
	r = tc_fix(db, tc, rp, tbl, &err);
	if (!r) {
		tc_unfix(db, tc, lp);
		return err;
	}
	if (check_child(par, l, tbl) || check_child(par, r, tbl) ||
	    (!l->h.level && (l->next != rp || r->prev != lp)))
		err = -EUCLEAN;
	if (!err)
		err = build_merged((struct node *)tmp, l, r, sep, sepl);
	if (err == -ENOSPC) {
		err = 0;		/* stays as it is */
		goto out;
	}
	if (!err && !l->h.level && r->next) {
		struct node *nx = tc_fix(db, tc, r->next, tbl, &err);

		if (nx) {
			if (nx->h.type != PT_LEAF || nx->prev != rp)
				err = -EUCLEAN;
			else
				nx->prev = lp;
			tc_unfix(db, tc, r->next);
		}
	}
	if (err)
		goto out;
	memcpy(l, tmp, PAGE);
	/* the parent: (sep -> l) goes, the pointer to r now points to l */
	node_remove(par, li);
	if (li == par->nslots) {
		par->upper = lp;
	} else {
		size_t vl;
		bool ovf;

		memcpy((uint8_t *)leaf_val(par, li, &vl, &ovf), &lp, 8);
	}
	tc_unfix(db, tc, rp);
	tc_unfix(db, tc, lp);
	*merged = true;
	return space_free(db, tc, rp);
out:
	tc_unfix(db, tc, rp);
	tc_unfix(db, tc, lp);
	return err;
}

/* A root left with one child takes the child's place (its page stays). */
static int collapse_root(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
			 struct node *root)
{
	while (root->h.level && !root->nslots) {
		uint64_t rp = root->h.pid, cp = root->upper, lsn = root->h.lsn;
		uint32_t crc = root->h.crc;
		int err = 0;
		struct node *c = tc_fix(db, tc, cp, tbl, &err);

		if (!c)
			return err;
		if (check_child(root, c, tbl) || (!c->h.level &&
						 (c->next || c->prev))) {
			tc_unfix(db, tc, cp);
			return -EUCLEAN;
		}
		memcpy(root, c, PAGE);
		root->h.pid = rp;
		root->h.lsn = lsn;
		root->h.crc = crc;
		tc_unfix(db, tc, cp);
		err = space_free(db, tc, cp);
		if (err)
			return err;
	}
	return 0;
}

/*
 * After a delete left @k's leaf underfull: merge it with a sibling under
 * the same parent, then the parent with one of its own if that left it
 * underfull, and so up; a root left with one child collapses into it.
 */
static int merge_pass(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		      uint64_t root, const void *k, size_t kl)
{
	struct path p;
	int d, err = path_lock(db, tc, tbl, root, k, kl, &p);

	if (err)
		return err;
	for (d = p.depth - 1; d > 0 && !err; d--) {
		struct node *par = p.n[d - 1];
		int i = child_index(par, k, kl, false);
		bool merged;

		if (!underfull(p.n[d]))
			break;
		if (inner_child(par, i) != p.pid[d]) {
			err = -EUCLEAN;
			break;
		}
		tc_unfix(db, tc, p.pid[d]);
		p.depth = d;
		if (!par->nslots)
			continue;	/* an only child: the parent merges */
		/* with the right sibling, or the left one for the last child */
		err = merge_children(db, tc, tbl, par,
				     i < par->nslots ? i : i - 1, &merged);
		if (!merged)
			break;
	}
	if (!err)
		err = collapse_root(db, tc, tbl, p.n[0]);
	path_release(db, tc, &p);
	return err;
}

/* Descend exclusively, coupled, to @k's leaf. */
static struct node *descend_x(struct exodb *db, struct tree_ctx *tc,
			      uint32_t tbl, uint64_t root, const void *k,
			      size_t kl, uint64_t *leaf, int *err)
{
	struct path p;

	/* the writer is alone: a full-path latch costs only reader waits */
	*err = path_lock(db, tc, tbl, root, k, kl, &p);
	if (*err)
		return NULL;
	for (int i = 0; i < p.depth - 1; i++)
		tc_unfix(db, tc, p.pid[i]);
	*leaf = p.pid[p.depth - 1];
	return p.n[p.depth - 1];
}

int bt_put(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
	   uint64_t root, const void *k, size_t kl, const void *v, size_t vl)
{
	struct ovf_ref ref = { 0, 0 };
	bool ovf = 4 + kl + vl > INLINE_MAX;
	int err;

	if (kl > EXODB_MAX_KEY || vl > EXODB_MAX_VALUE)
		return -E2BIG;
	if (ovf) {
		uint64_t first;

		ref.len = (uint32_t)vl;
		err = write_chain(db, tc, tbl, v, vl, &first);
		if (err)
			return err;
		ref.pid = first;
	}
	for (int tries = 0; tries < 64; tries++) {
		uint64_t leaf, old = 0;
		uint32_t oldlen = 0;
		struct node *n = descend_x(db, tc, tbl, root, k, kl, &leaf, &err);
		bool eq;
		int i;

		if (!n)
			return err;
		i = node_lower_bound(n, k, kl, &eq);
		if (eq) {
			struct ovf_ref r;
			int o = leaf_ovf(n, i, &r);

			if (o < 0) {
				tc_unfix(db, tc, leaf);
				return o;
			}
			if (o) {
				old = r.pid;
				oldlen = r.len;
			}
			node_remove(n, i);
		}
		err = ovf ? node_insert(n, i, k, kl, &ref, sizeof(ref),
					V_OVERFLOW | sizeof(ref))
			  : node_insert(n, i, k, kl, v, vl, (uint16_t)vl);
		tc_unfix(db, tc, leaf);
		if (!err)
			return old ? free_chain(db, tc, tbl, old, oldlen) : 0;
		if (err != -ENOSPC)
			return err;
		if (eq) {
			/* the old cell is gone from the page; its chain with it */
			if (old) {
				err = free_chain(db, tc, tbl, old, oldlen);
				if (err)
					return err;
			}
		}
		err = split_pass(db, tc, tbl, root, k, kl);
		if (err)
			return err;
	}
	return -EUCLEAN;
}

int bt_del(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
	   uint64_t root, const void *k, size_t kl)
{
	uint64_t leaf, old = 0;
	uint32_t oldlen = 0;
	int err, i;
	bool eq, merge = false;
	struct node *n = descend_x(db, tc, tbl, root, k, kl, &leaf, &err);

	if (!n)
		return err;
	i = node_lower_bound(n, k, kl, &eq);
	if (eq) {
		struct ovf_ref r;
		int o = leaf_ovf(n, i, &r);

		if (o < 0) {
			tc_unfix(db, tc, leaf);
			return o;
		}
		if (o) {
			old = r.pid;
			oldlen = r.len;
		}
		node_remove(n, i);
		merge = leaf != root && underfull(n);
	}
	tc_unfix(db, tc, leaf);
	if (!eq)
		return -ENOENT;
	err = old ? free_chain(db, tc, tbl, old, oldlen) : 0;
	if (!err && merge)
		err = merge_pass(db, tc, tbl, root, k, kl);
	return err;
}

int bt_create(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
	      uint64_t *root)
{
	struct node *n;
	int err = space_alloc(db, tc, tbl, PT_LEAF, root, (void **)&n);

	if (err)
		return err;
	node_init(n, *root, tbl, 0);
	tc_unfix(db, tc, *root);
	return 0;
}

/* ---- dropping a table ------------------------------------------------- */

/*
 * Free the leftmost part of the subtree at @anc[@depth] (its ancestors,
 * latched, in @anc[0..@depth)), about *@budget pages at most: a leaf's
 * overflow chains, then each child of an inner node once it holds
 * nothing, taken out of its parent.  *@empty: the node holds nothing now
 * and the caller frees it.  What remains is a tree reachable once from
 * the root, so a crash between two steps leaves each page free or in it.
 */
static int drop_node(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		     uint64_t *anc, int depth, long *budget, bool *empty)
{
	uint64_t pid = anc[depth];
	int err = 0;
	struct node *n = tc_fix(db, tc, pid, tbl, &err);

	*empty = false;
	if (!n)
		return err;
	if (n->h.table != tbl || n->h.pid != pid ||
	    (n->h.type == PT_LEAF) != !n->h.level ||
	    (n->h.type != PT_LEAF && n->h.type != PT_INNER) ||
	    n->nslots > PAGE / 6) {
		tc_unfix(db, tc, pid);
		return -EUCLEAN;
	}
	if (!n->h.level) {
		/* values inline go with the page; chains first, from the end */
		for (int i = n->nslots; i-- > 0 && *budget > 0 && !err;) {
			struct ovf_ref r;
			int o = leaf_ovf(n, i, &r);

			if (o <= 0) {
				err = o;
				continue;
			}
			err = free_chain(db, tc, tbl, r.pid, r.len);
			if (err)
				break;
			*budget -= (r.len + OVF_CAP - 1) / OVF_CAP;
			node_remove(n, i);
		}
		if (!err) {
			*empty = true;
			for (int i = 0; i < n->nslots && *empty; i++) {
				struct ovf_ref r;

				*empty = !leaf_ovf(n, i, &r);
			}
		}
		tc_unfix(db, tc, pid);
		return err;
	}
	while (*budget > 0 && !err) {
		uint64_t c = n->nslots ? inner_child(n, 0) : n->upper;
		bool c_empty;

		if (!c) {
			*empty = true;
			break;
		}
		/* a child one of our ancestors (or us) is a cycle */
		for (int i = 0; i <= depth && !err; i++)
			if (anc[i] == c)
				err = -EUCLEAN;
		if (err || depth + 1 >= MAX_DEPTH) {
			err = -EUCLEAN;
			break;
		}
		anc[depth + 1] = c;
		err = drop_node(db, tc, tbl, anc, depth + 1, budget, &c_empty);
		if (err || !c_empty)
			break;
		err = space_free(db, tc, c);
		(*budget)--;
		if (err)
			break;
		if (n->nslots)
			node_remove(n, 0);
		else
			n->upper = 0;
	}
	if (!err && !n->nslots && !n->upper)
		*empty = true;
	tc_unfix(db, tc, pid);
	return err;
}

int bt_drop_step(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		 uint64_t root, long budget, bool *done)
{
	uint64_t anc[MAX_DEPTH];
	bool empty;
	int err;

	anc[0] = root;
	*done = false;
	err = drop_node(db, tc, tbl, anc, 0, &budget, &empty);
	if (err || !empty)
		return err;
	err = space_free(db, tc, root);
	*done = !err;
	return err;
}

/* ---- cursors ----------------------------------------------------------- */

/* Load slot @i of leaf @n (latched shared) into the cursor. */
static int load(struct bt_cursor *c, const struct node *n, uint64_t leaf,
		int i)
{
	size_t kl;
	const uint8_t *k = node_key(n, i, &kl);
	int err;

	if (grow_buf(&c->key, &c->kcap, kl))
		return -ENOMEM;
	memcpy(c->key, k, kl);
	c->klen = kl;
	err = copy_value(c->db, n, i, &c->val, &c->vcap, &c->vlen);
	if (err)
		return err;
	c->leaf = leaf;
	c->slot = i;
	c->version = pool_version(P(c->db), leaf);
	c->valid = true;
	return 0;
}

/*
 * Is @r the right neighbour @l's link promises: its low fence @l's high
 * one?  Fences then rise strictly along the walk, so a damaged link (to
 * the leaf itself, or back) ends a scan with -EUCLEAN instead of a loop.
 */
static bool fences_meet(const struct node *l, const struct node *r)
{
	size_t hil, lol;
	const uint8_t *hi = node_hi(l, &hil), *lo = node_lo(r, &lol);

	return hi && lo && fence_eq(hi, hil, lo, lol);
}

/*
 * From leaf @n (latched shared) slot @i forward: the first entry, moving
 * right along the sibling links (latch coupled) past empty leaves.
 */
static int forward_from(struct bt_cursor *c, struct node *n, uint64_t leaf,
			int i)
{
	int err = 0;

	while (i >= n->nslots) {
		uint64_t next = n->next;
		struct node *x;

		if (!next) {
			pool_unfix_s(P(c->db), leaf);
			c->valid = false;
			return -ENOENT;
		}
		x = pool_fix_s(P(c->db), next, c->tbl, c->fixfl, &err);
		if (x && (x->h.type != PT_LEAF || x->h.table != c->tbl ||
			  !fences_meet(n, x))) {
			pool_unfix_s(P(c->db), next);
			x = NULL;
			err = -EUCLEAN;
		}
		pool_unfix_s(P(c->db), leaf);
		if (!x)
			return err;
		n = x;
		leaf = next;
		i = 0;
	}
	err = load(c, n, leaf, i);
	pool_unfix_s(P(c->db), leaf);
	return err;
}

/* The last entry with key < k (@strict) or <= k; @k NULL: the last. */
static int seek_le(struct bt_cursor *c, const void *k, size_t kl, bool strict)
{
	uint8_t key[EXODB_MAX_KEY];
	int err = 0;

	if (k) {
		memcpy(key, k, kl);
		k = key;
	}
	for (int guard = 0; guard < 1 << 30; guard++) {
		uint64_t leaf;
		struct node *n = descend_s(c->db, c->tbl, c->root, k, kl,
					   c->fixfl, &leaf, &err);
		int i;
		bool eq;
		size_t lol;
		const uint8_t *lo;

		if (!n)
			return err;
		if (k) {
			i = node_lower_bound(n, k, kl, &eq);
			if (eq && !strict)
				i++;
		} else {
			i = n->nslots;
		}
		if (i > 0) {
			err = load(c, n, leaf, i - 1);
			pool_unfix_s(P(c->db), leaf);
			return err;
		}
		/* nothing here: everything at or below the low fence */
		lo = node_lo(n, &lol);
		if (!lo) {
			pool_unfix_s(P(c->db), leaf);
			c->valid = false;
			return -ENOENT;
		}
		memcpy(key, lo, lol);
		kl = lol;
		k = key;
		strict = false;
		pool_unfix_s(P(c->db), leaf);
	}
	return -EUCLEAN;
}

static int seek_ge(struct bt_cursor *c, const void *k, size_t kl, bool strict)
{
	uint64_t leaf;
	int err = 0, i;
	bool eq;
	struct node *n = descend_s(c->db, c->tbl, c->root, k, kl, c->fixfl,
				   &leaf, &err);

	if (!n)
		return err;
	i = node_lower_bound(n, k, kl, &eq);
	if (eq && strict)
		i++;
	return forward_from(c, n, leaf, i);
}

int btc_seek(struct bt_cursor *c, enum exodb_seek how, const void *k,
	     size_t kl)
{
	c->valid = false;
	switch (how) {
	case EXODB_FIRST:
		return seek_ge(c, "", 0, false);
	case EXODB_LAST:
		return seek_le(c, NULL, 0, false);
	case EXODB_GE:
		return seek_ge(c, k, kl, false);
	case EXODB_LE:
		return seek_le(c, k, kl, false);
	}
	return -EINVAL;
}

/* Re-latch the cursor's leaf if it did not change since; else NULL. */
static struct node *relatch(struct bt_cursor *c)
{
	int err;
	struct node *n;

	if (pool_version(P(c->db), c->leaf) != c->version)
		return NULL;
	n = pool_fix_s(P(c->db), c->leaf, c->tbl, c->fixfl, &err);
	if (!n)
		return NULL;
	if (pool_version(P(c->db), c->leaf) != c->version ||
	    n->h.type != PT_LEAF || c->slot >= n->nslots) {
		pool_unfix_s(P(c->db), c->leaf);
		return NULL;
	}
	return n;
}

int btc_next(struct bt_cursor *c)
{
	struct node *n;

	if (!c->valid)
		return -ENOENT;
	n = relatch(c);
	if (!n)
		return seek_ge(c, c->key, c->klen, true);
	return forward_from(c, n, c->leaf, c->slot + 1);
}

int btc_prev(struct bt_cursor *c)
{
	struct node *n;
	int err;

	if (!c->valid)
		return -ENOENT;
	n = relatch(c);
	if (n && c->slot > 0) {
		err = load(c, n, c->leaf, c->slot - 1);
		pool_unfix_s(P(c->db), c->leaf);
		return err;
	}
	if (n)
		pool_unfix_s(P(c->db), c->leaf);
	return seek_le(c, c->key, c->klen, true);
}

void btc_free(struct bt_cursor *c)
{
	free(c->key);
	free(c->val);
	c->key = c->val = NULL;
	c->kcap = c->vcap = 0;
}
