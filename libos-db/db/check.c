// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exodb_check: walk every table, every overflow chain and the free list,
 * with writers held off, and report what is wrong:
 *   - page checksums (pages read from disk; clean resident pages too),
 *   - node structure (node_check: offsets, key order, keys in fences),
 *   - each child's fences equal to its parent's separators, levels
 *     decreasing by one, table ids,
 *   - leaf sibling links: each leaf's next and prev are its neighbours in
 *     key order, the ends are 0,
 *   - overflow chains: types and lengths add up,
 *   - a table being dropped: what is left of its tree (levels, table ids,
 *     chains; not fences or links, since it is taken apart from the left),
 *   - free-space accounting: the free list's length is the meta page's
 *     count, and every page below the high-water mark is used exactly
 *     once (a tree, a chain, the free list, or the meta page).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../internal.h"

struct ck {
	struct exodb *db;
	FILE *out;
	long problems;
	uint64_t npages;
	uint8_t *seen;
	uint64_t *leaves;
	size_t nleaves, capleaves;
	bool dropping;		/* walking a dropped table's remains */
};

static void report(struct ck *ck, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct ck *ck, const char *fmt, ...)
{
	va_list ap;

	ck->problems++;
	if (!ck->out)
		return;
	fputs("check: ", ck->out);
	va_start(ap, fmt);
	vfprintf(ck->out, fmt, ap);
	va_end(ap);
	fputc('\n', ck->out);
}

static bool mark(struct ck *ck, uint64_t pid, const char *what)
{
	if (pid >= ck->npages) {
		report(ck, "%s: page %llu beyond the high-water mark %llu", what,
		       (unsigned long long)pid, (unsigned long long)ck->npages);
		return false;
	}
	if (ck->seen[pid]) {
		report(ck, "%s: page %llu used twice", what,
		       (unsigned long long)pid);
		return false;
	}
	ck->seen[pid] = 1;
	return true;
}

static void *fix(struct ck *ck, uint64_t pid, uint32_t tbl)
{
	int err;
	void *p = pool_fix_s(&ck->db->pool, pid, tbl, 0, &err);

	if (!p) {
		report(ck, "page %llu: %s", (unsigned long long)pid,
		       exodb_strerror(err));
		return NULL;
	}
	/* a clean resident page must still match its checksum (its node
	 * structure is walk()'s, which says what is wrong with it) */
	if (!ck->db->pool.pm[pid].dirty && page_sealed(p, pid))
		report(ck, "page %llu: checksum mismatch in memory",
		       (unsigned long long)pid);
	return p;
}

static void check_chain(struct ck *ck, uint32_t tbl, struct ovf_ref r)
{
	uint64_t pid = r.pid, got = 0;

	while (got < r.len) {
		struct ovf_page *o;

		if (!mark(ck, pid, "overflow chain"))
			return;
		o = fix(ck, pid, tbl);
		if (!o)
			return;
		if (o->h.type != PT_OVERFLOW || !o->len || o->len > OVF_CAP) {
			report(ck, "overflow page %llu: type %u len %u",
			       (unsigned long long)pid, o->h.type, o->len);
			pool_unfix_s(&ck->db->pool, pid);
			return;
		}
		got += o->len;
		uint64_t next = o->next;
		pool_unfix_s(&ck->db->pool, pid);
		pid = next;
	}
	if (got != r.len || pid)
		report(ck, "overflow chain: %llu bytes for %u, next %llu",
		       (unsigned long long)got, r.len, (unsigned long long)pid);
}

static void check_chains(struct ck *ck, uint32_t tbl, const struct node *n)
{
	for (int i = 0; i < n->nslots; i++) {
		struct ovf_ref r;

		if (leaf_ovf(n, i, &r) > 0)
			check_chain(ck, tbl, r);
	}
}

static void walk(struct ck *ck, uint32_t tbl, uint64_t pid, int level,
		 const uint8_t *lo, size_t lol, const uint8_t *hi, size_t hil)
{
	struct node *n;
	char why[128];
	size_t l1 = 0, h1 = 0;
	const uint8_t *nlo, *nhi;

	if (!mark(ck, pid, "tree"))
		return;
	n = fix(ck, pid, tbl);
	if (!n)
		return;
	if (node_check(n, why, sizeof(why))) {
		report(ck, "table %u page %llu: %s", tbl,
		       (unsigned long long)pid, why);
		goto out;
	}
	if (n->h.table != tbl || (level >= 0 && n->h.level != level)) {
		report(ck, "table %u page %llu: table %u level %u, expected "
		       "level %d", tbl, (unsigned long long)pid, n->h.table,
		       n->h.level, level);
		goto out;
	}
	nlo = node_lo(n, &l1);
	nhi = node_hi(n, &h1);
	if (ck->dropping) {
		if (n->h.level)
			for (int i = 0; i <= n->nslots; i++)
				if (i < n->nslots || n->upper)
					walk(ck, tbl, inner_child(n, i),
					     n->h.level - 1, NULL, 0, NULL, 0);
		if (!n->h.level)
			check_chains(ck, tbl, n);
		goto out;
	}
	if (!fence_eq(nlo, l1, lo, lol) || !fence_eq(nhi, h1, hi, hil))
		report(ck, "table %u page %llu: fences differ from the "
		       "parent's separators", tbl, (unsigned long long)pid);
	if (!n->h.level) {
		if (ck->nleaves == ck->capleaves) {
			ck->capleaves = ck->capleaves ? ck->capleaves * 2 : 256;
			ck->leaves = realloc(ck->leaves,
					     ck->capleaves * sizeof(uint64_t));
		}
		if (ck->leaves)
			ck->leaves[ck->nleaves++] = pid;
		check_chains(ck, tbl, n);
		goto out;
	}
	/* children, with the separators around each as its fences */
	const uint8_t *plo = nlo;
	size_t plol = l1;
	for (int i = 0; i <= n->nslots; i++) {
		size_t kl = 0;
		const uint8_t *k = i < n->nslots ? node_key(n, i, &kl) : nhi;

		if (i == n->nslots)
			kl = h1;
		walk(ck, tbl, inner_child(n, i), n->h.level - 1, plo, plol, k,
		     kl);
		plo = k;
		plol = kl;
	}
out:
	pool_unfix_s(&ck->db->pool, pid);
}

static void check_links(struct ck *ck, uint32_t tbl)
{
	for (size_t i = 0; i < ck->nleaves; i++) {
		int err;
		struct node *n = pool_fix_s(&ck->db->pool, ck->leaves[i], tbl,
					    0, &err);
		uint64_t want_prev = i ? ck->leaves[i - 1] : 0;
		uint64_t want_next = i + 1 < ck->nleaves ? ck->leaves[i + 1] : 0;

		if (!n)
			continue;	/* reported by the walk */
		if (n->prev != want_prev || n->next != want_next)
			report(ck, "table %u leaf %llu: links prev %llu next "
			       "%llu, expected %llu and %llu", tbl,
			       (unsigned long long)ck->leaves[i],
			       (unsigned long long)n->prev,
			       (unsigned long long)n->next,
			       (unsigned long long)want_prev,
			       (unsigned long long)want_next);
		pool_unfix_s(&ck->db->pool, ck->leaves[i]);
	}
	ck->nleaves = 0;
}

/* One pass over the database, db->writer held. */
static long check_once(struct exodb *db, FILE *out)
{
	struct ck ck = { .db = db, .out = out };
	struct meta_page *m;
	uint64_t nfree, head, count = 0;
	int err;

	m = fix(&ck, 0, 0);
	if (!m)
		return ck.problems;
	if (m->magic != META_MAGIC || m->npages > db->pool.npages)
		report(&ck, "meta page: bad magic or size");
	ck.npages = MIN(m->npages, db->pool.npages);
	nfree = m->nfree;
	head = m->free_head;
	pool_unfix_s(&db->pool, 0);
	ck.seen = calloc(ck.npages ? ck.npages : 1, 1);
	if (!ck.seen)
		return -ENOMEM;
	ck.seen[0] = 1;
	for (uint32_t t = 0; t <= EXODB_MAX_TABLES; t++) {
		if (!db->tables[t].used)
			continue;
		walk(&ck, t, table_root(db, t), -1, NULL, 0, NULL, 0);
		check_links(&ck, t);
	}
	ck.dropping = true;
	for (uint32_t t = 1; t <= EXODB_MAX_TABLES; t++)
		if (db->tables[t].drop_root)
			walk(&ck, t, db->tables[t].drop_root, -1, NULL, 0,
			     NULL, 0);
	/* the free list */
	for (uint64_t pid = head; pid && count <= ck.npages; count++) {
		struct free_page *f;

		if (!mark(&ck, pid, "free list"))
			break;
		f = pool_fix_s(&db->pool, pid, 0, 0, &err);
		if (!f) {
			report(&ck, "free page %llu: %s", (unsigned long long)pid,
			       exodb_strerror(err));
			break;
		}
		if (f->h.type != PT_FREE)
			report(&ck, "free list: page %llu has type %u",
			       (unsigned long long)pid, f->h.type);
		uint64_t next = f->next;
		pool_unfix_s(&db->pool, pid);
		pid = f->h.type == PT_FREE ? next : 0;
	}
	if (count != nfree)
		report(&ck, "free list holds %llu pages, the meta page says %llu",
		       (unsigned long long)count, (unsigned long long)nfree);
	for (uint64_t pid = 0; pid < ck.npages; pid++)
		if (!ck.seen[pid])
			report(&ck, "page %llu is used by nothing (leaked)",
			       (unsigned long long)pid);
	free(ck.seen);
	free(ck.leaves);
	return ck.problems;
}

/*
 * The pages checked are the pool's, repossession included: a page that
 * lost its frame while the pass read it may have shown the disk's older
 * copy (pool/lost.c), so such a pass does not count: its report is kept
 * aside and the pass runs again after the rebuild.
 */
long exodb_check(struct exodb *db, FILE *out)
{
	long problems;
	int err;

	if (!db)
		return -EINVAL;
	if (db->magic != DB_MAGIC || db->closed)
		return -EBADF;
	pthread_mutex_lock(&db->writer);
	pthread_mutex_lock(&db->rebuild);
	for (int tries = 0;; tries++) {
		char *buf = NULL;
		size_t len = 0;
		uint64_t seq;
		FILE *mem = NULL;

		err = lost_settle(db, &seq);
		if (!err && out && !(mem = open_memstream(&buf, &len)))
			err = -ENOMEM;
		if (err) {
			problems = err;
			break;
		}
		problems = check_once(db, mem);
		if (mem)
			fclose(mem);
		lost_tls.pending = 0;	/* the pass is judged by lost_seq */
		if ((atomic_load(&db->pool.lost_seq) == seq &&
		     !atomic_load(&db->pool.lost_pages)) || tries == 100) {
			if (len)
				fwrite(buf, 1, len, out);
			free(buf);
			break;
		}
		free(buf);
	}
	pthread_mutex_unlock(&db->rebuild);
	pthread_mutex_unlock(&db->writer);
	return problems;
}
