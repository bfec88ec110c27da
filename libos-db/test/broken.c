// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A broken handle, on the host (file backend), below the public API.
 *
 * On exo, a dirty page whose frame was repossessed and that could not be
 * rebuilt from the disk and the log (pool/lost.c) leaves its committed
 * state only in the log, and the pool with an older copy of it.  The
 * handle is then broken: every call answers EIO and nothing may write
 * that older copy, or truncate the log, until the database is reopened.
 * (Found under the debug kernel: the meta page broke, exodb_close still
 * checkpointed, and the free list and page count went back in time on
 * disk: leaked pages, a chain page used twice.)
 *
 * Here the break is made by hand: 300 commits after a checkpoint, then
 * the meta page put back to its state at the checkpoint (the disk's
 * copy, as a failed rebuild leaves it) and the handle marked broken.
 * The next open must find all 300 and a clean check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "test/rows.h"
#include "test/tap.h"

#define N	300

static exodb *open_db(const char *p, int create)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = create,
				.pool_pages = 64, .no_sync = 1, .exo_fd = -1 };
	exodb *db = NULL;
	int err = exodb_open(p, &o, &db);

	if (err)
		tap_diag("open %s: %s", p, exodb_strerror(err));
	return db;
}

int main(void)
{
	const char *tmp = getenv("EXODB_TMP");
	static uint8_t stale[PAGE];
	char p[600], w[700];
	exodb *db;
	exodb_txn *t;
	unsigned tb;
	uint8_t *meta;
	int err, i;

	snprintf(p, sizeof(p), "%s/broken.db", tmp ? tmp : "/tmp");
	snprintf(w, sizeof(w), "%s-wal", p);
	unlink(p);
	unlink(w);
	db = open_db(p, 1);
	if (!tap_ok(db && !exodb_table(db, "t", 1, &tb), "made a database"))
		return tap_done();
	tap_ok(exodb_checkpoint(db) == 0, "checkpoint");
	memcpy(stale, pool_addr(&db->pool, 0), PAGE);	/* the disk's copy */
	for (i = 0, err = 0; i < N && !err; i++)
		err = rows_put(db, tb, i, 700);	/* new pages: the meta page moves */
	tap_ok(!err && ((struct meta_page *)pool_addr(&db->pool, 0))->npages >
	       ((struct meta_page *)stale)->npages,
	       "%d commits after it; the database grew", i);

	/* what a failed rebuild of the meta page leaves */
	meta = pool_fix_x(&db->pool, 0, 0, 0, &err);
	if (!tap_ok(meta != NULL, "the meta page fixed"))
		return tap_done();
	memcpy(meta, stale, PAGE);
	db->pool.pm[0].dirty = 0;
	pool_unfix_x(&db->pool, 0);
	atomic_store(&db->broken, -EKEYREVOKED);

	tap_ok(exodb_begin(db, 0, &t) == -EIO, "a broken handle: begin EIO");
	tap_ok(exodb_checkpoint(db) == -EIO, "checkpoint EIO (the log stays)");
	tap_ok(exodb_close(db) == -EIO, "close EIO (no checkpoint either)");

	db = open_db(p, 0);
	tap_ok(db && !exodb_table(db, "t", 0, &tb), "reopened: recovery");
	if (db) {
		tap_ok(rows_count(db, tb, 700) == N, "every commit acknowledged is there");
		tap_ok(exodb_check(db, stdout) == 0, "check clean");
		tap_ok(exodb_close(db) == 0, "close");
	}
	unlink(p);
	unlink(w);
	tap_plan(tap_n);
	return tap_done();
}
