// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The buffer pool's latch protocol, on the host (file backend), below the
 * public API: interleavings the engine's own tests reach only by chance.
 *
 *  - a checkpoint's write-back (pool_flush_all) latches dirty pages in
 *    pid order, a batch at a time, while a reader latches in tree order
 *    (a leaf, then its overflow page of a lower pid).  The reader holds
 *    page 56 and waits for 40; the checkpoint has 40 in its batch and
 *    waits for 56.  Both must finish: the checkpoint may not wait while
 *    holding its batch.  (Found as a hang of exodb-exo on exo.)
 *  - every dirty page is written and clean afterwards; evicted and read
 *    back, each page holds what was written.
 *
 * A deadlock here is a hang: an alarm turns it into a failure.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "test/tap.h"

#define NPAGES	128
#define LEAF	56
#define OVF	40

static struct pool pool;
static int flush_ret = 1;

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - hung: the reader and the "
				  "checkpoint wait for each other\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static void fill(void *page, uint64_t pid)
{
	struct page_hdr *h = page;

	memset(page, (int)(pid & 0xff), PAGE);
	memset(h, 0, sizeof(*h));
	h->type = PT_OVERFLOW;
	h->pid = pid;
}

static void *checkpoint(void *arg)
{
	(void)arg;
	flush_ret = pool_flush_all(&pool, NPAGES);
	return NULL;
}

int main(void)
{
	const char *tmp = getenv("EXODB_TMP") ? getenv("EXODB_TMP") : "/tmp";
	struct exodb_opts o = { .sz = sizeof(o), .create = 1, .no_sync = 1 };
	struct backend *be;
	char path[512];
	pthread_t t;
	int err, bad = 0, dirty = 0;

	signal(SIGALRM, on_alarm);
	snprintf(path, sizeof(path), "%s/pool-test-%d", tmp, getpid());
	err = be_file_open(path, &o, &be);
	if (!err)
		err = be->ops->grow(be, NPAGES);
	if (!err)
		err = pool_init(&pool, NULL, be, NPAGES, NPAGES, EXODB_POLICY_CLOCK);
	if (!tap_ok(!err, "a pool of %d pages on the file backend", NPAGES))
		return 1;

	/* every page new and dirty */
	for (uint64_t pid = 0; pid < NPAGES && !err; pid++) {
		void *p = pool_fix_x(&pool, pid, 0, FIX_NEW, &err);

		if (p) {
			fill(p, pid);
			pool.pm[pid].dirty = 1;
			pool_unfix_x(&pool, pid);
		}
	}
	tap_ok(!err, "%d pages made and dirtied", NPAGES);

	/* the reader holds the leaf, the checkpoint starts */
	alarm(60);
	tap_ok(pool_fix_s(&pool, LEAF, 0, 0, &err) != NULL, "leaf %d latched "
	       "shared", LEAF);
	pthread_create(&t, NULL, checkpoint, NULL);
	/* until the checkpoint got past OVF: latched it, or wrote it */
	for (;;) {
		uint64_t w = atomic_load(&pool.pm[OVF].state);

		if (PS_STATE(w) == PS_LOCKED || !pool.pm[OVF].dirty)
			break;
		sched_yield();
	}
	/* the leaf's overflow page, a lower pid, while holding the leaf */
	void *ov = pool_fix_s(&pool, OVF, 0, 0, &err);

	tap_ok(ov != NULL, "the reader got page %d while holding %d", OVF,
	       LEAF);
	if (ov)
		pool_unfix_s(&pool, OVF);
	pool_unfix_s(&pool, LEAF);
	pthread_join(t, NULL);
	alarm(0);
	tap_ok(flush_ret == 0, "the checkpoint finished: %d", flush_ret);

	for (uint64_t pid = 0; pid < NPAGES; pid++)
		dirty += pool.pm[pid].dirty;
	tap_ok(dirty == 0, "no page left dirty (%d)", dirty);

	/* evict everything, read it back */
	pool_give(&pool, NPAGES);
	tap_ok(pool.resident < NPAGES, "pages evicted: %u resident",
	       pool.resident);
	for (uint64_t pid = 0; pid < NPAGES; pid++) {
		uint8_t *p = pool_fix_s(&pool, pid, 0, FIX_NOVERIFY, &err);
		uint8_t want[PAGE];

		if (!p) {
			bad++;
			continue;
		}
		fill(want, pid);
		bad += memcmp(p + sizeof(struct page_hdr),
			      want + sizeof(struct page_hdr),
			      PAGE - sizeof(struct page_hdr)) != 0;
		pool_unfix_s(&pool, pid);
	}
	tap_ok(bad == 0, "every page read back as written (%d differ)", bad);

	pool_destroy(&pool);
	be->ops->close(be);
	unlink(path);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-wal");
	unlink(path);
	tap_plan(tap_n);
	return tap_done();
}
