// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Free-space management inside the database's own space.  The meta page
 * (page 0) holds the high-water mark (npages) and the head of a free list
 * threaded through the free pages themselves.  Allocation pops the free
 * list, else extends the high-water mark, asking the backend for room
 * (exo: one more extent, twice the size of the last).  Every change goes
 * through the commit being applied (tc_fix), so it is logged and rolled
 * back with the rest of the transaction.
 */
#include "../internal.h"

int space_alloc(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		uint16_t type, uint64_t *pidp, void **pagep)
{
	struct meta_page *m;
	struct page_hdr *h;
	uint64_t pid;
	int err;

	m = tc_fix(db, tc, 0, 0, &err);
	if (!m)
		return err;
	if (m->free_head) {
		struct free_page *f;

		pid = m->free_head;
		f = tc_fix(db, tc, pid, tbl, &err);
		if (!f) {
			tc_unfix(db, tc, 0);
			return err;
		}
		if (f->h.type != PT_FREE || f->next >= m->npages) {
			tc_unfix(db, tc, pid);
			tc_unfix(db, tc, 0);
			return -EUCLEAN;
		}
		m->free_head = f->next;
		m->nfree--;
		h = (struct page_hdr *)f;
	} else {
		pid = m->npages;
		if (pid >= db->pool.npages) {
			tc_unfix(db, tc, 0);
			return -ENOSPC;
		}
		if (pid >= db->be->data_pages) {
			err = db->be->ops->grow(db->be, pid + 1);
			if (err) {
				tc_unfix(db, tc, 0);
				return err;
			}
		}
		h = tc_fix_new(db, tc, pid, tbl, &err);
		if (!h) {
			tc_unfix(db, tc, 0);
			return err;
		}
		m->npages = pid + 1;
	}
	tc_unfix(db, tc, 0);
	memset(h, 0, PAGE);
	h->type = (uint8_t)type;
	h->table = tbl;
	h->pid = pid;
	*pidp = pid;
	*pagep = h;
	return 0;
}

int space_free(struct exodb *db, struct tree_ctx *tc, uint64_t pid)
{
	struct meta_page *m;
	struct free_page *f;
	int err;

	m = tc_fix(db, tc, 0, 0, &err);
	if (!m)
		return err;
	f = tc_fix(db, tc, pid, 0, &err);
	if (!f) {
		tc_unfix(db, tc, 0);
		return err;
	}
	memset(f, 0, PAGE);
	f->h.type = PT_FREE;
	f->h.pid = pid;
	f->next = m->free_head;
	m->free_head = pid;
	m->nfree++;
	tc_unfix(db, tc, pid);
	tc_unfix(db, tc, 0);
	return 0;
}
