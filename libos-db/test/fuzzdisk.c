// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A database read back from a hostile disk (host, file backend).  Pages
 * and log records are untrusted input: damage the checksums see must be
 * refused without handing out wrong data, and damage they cannot see
 * (whoever wrote it resealed them) must be refused or survived, never
 * followed into a crash, a hang, or a read or write outside memory the
 * engine owns.  This binary is built with AddressSanitizer and UBSan, the
 * engine's sources compiled in (Makefile).
 *
 *   fuzzdisk [ITERATIONS [SEED]]       per kind; default 40, seed from time
 *   fuzzdisk --replay PATH             the checks once on a saved image
 *
 * Two images are made once: a closed database (tables "a" and "b", ROWS
 * rows each, one value in ten on overflow pages, three levels), and a
 * crash state (the closed one plus CRASH_TXNS commits durable in the log,
 * not yet checkpointed: recovery has records to redo).  Each iteration
 * copies one, damages it one way, and a child process (alarm: a hang is a
 * failure) opens it (recovery runs), gets keys, scans both tables both
 * ways (a scan longer than the table ever was is a loop), runs
 * exodb_check, commits a few changes and closes.  The child must exit
 * normally; what the engine said (open refused, reads refused, problems
 * found) is counted and printed.  A failing image is kept (its path is
 * printed) for --replay.
 *
 * Kinds (each resealed with a valid crc unless said):
 *   flip   1-8 random bytes of one page changed, not resealed: every read
 *          must then give the exact value or -EUCLEAN, never a wrong one
 *   bytes  1-8 random bytes of one page
 *   u16    a node header field, a slot or a cell's klen/vinfo set to 0, 1,
 *          PAGE - 1, PAGE, 0xffff or a random value
 *   u64    a sibling link, child or overflow page number, the page's own
 *          number or LSN set to 0, its own page, another page or 2^40
 *   swap   another page's bytes under this page's number (a cycle, a
 *          subtree in the wrong place)
 *   log    in the crash state, one log record's page, type, length or
 *          (a delta's) offset and length changed, the record resealed
 * One page image in eight damages the meta page (page 0), the others a
 * page from 1 on.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "test/files.h"
#include "test/tap.h"

#define ROWS		1200
#define CRASH_TXNS	30
#define POOL		64
#define LOG_BLOCKS	300
#define SCAN_MAX	(4 * (ROWS + CRASH_TXNS * 10 + 100))

enum kind { K_FLIP, K_BYTES, K_U16, K_U64, K_SWAP, K_LOG, K_N };
static const char *kind_name[K_N] = { "flip", "bytes", "u16", "u64",
				      "swap", "log" };

static char dir[200];
static uint64_t seed;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static size_t vlen(int i)
{
	return i % 10 == 0 ? 3000 + (size_t)(i * 37) % 6000 :
			     20 + (size_t)(i * 13) % 300;
}

static void value(uint8_t *b, int i, size_t len)
{
	for (size_t j = 0; j < len; j++)
		b[j] = (uint8_t)(i * 7 + j);
}

/* ---- images ---------------------------------------------------------- */

struct image { uint8_t *b[2]; size_t len[2]; };	/* data, log */

static int save(const char *path, const struct image *im)
{
	char w[300];

	snprintf(w, sizeof(w), "%s-wal", path);
	return spit(path, im->b[0], im->len[0]) || spit(w, im->b[1], im->len[1]);
}

static int load(const char *path, struct image *im)
{
	char w[300];

	snprintf(w, sizeof(w), "%s-wal", path);
	im->b[0] = slurp(path, &im->len[0]);
	im->b[1] = slurp(w, &im->len[1]);
	return im->b[0] && im->b[1] ? 0 : -1;
}

static struct exodb_opts opts(void)
{
	struct exodb_opts o = { .sz = sizeof(o), .pool_pages = POOL,
				.log_blocks = LOG_BLOCKS };
	return o;
}

static int put_rows(exodb *db, unsigned tb, int from, int to, uint8_t *v)
{
	exodb_txn *t;
	char k[16];
	int err = exodb_begin(db, 0, &t);

	for (int i = from; i < to && !err; i++) {
		snprintf(k, sizeof(k), "k%05d", i);
		value(v, i, vlen(i));
		err = exodb_put(t, tb, k, strlen(k), v, vlen(i));
	}
	return err ? (exodb_abort(t), err) : exodb_commit(t);
}

/* The closed database in @closed, the crash state in @crash. */
static int make_images(struct image *closed, struct image *crash)
{
	struct exodb_opts o = opts();
	static uint8_t v[10000];
	char p[300];
	unsigned ta, tb;
	exodb *db;
	int err;

	snprintf(p, sizeof(p), "%s/base.db", dir);
	unlink(p);
	o.create = 1;
	if ((err = exodb_open(p, &o, &db)))
		return err;
	err = exodb_table(db, "a", 1, &ta);
	if (!err)
		err = exodb_table(db, "b", 1, &tb);
	for (int i = 0; i < ROWS && !err; i += 25)
		if (!(err = put_rows(db, ta, i, i + 25, v)))
			err = put_rows(db, tb, i, i + 25, v);
	if (exodb_close(db) || err || load(p, closed))
		return err ? err : -EIO;
	o.create = 0;
	if ((err = exodb_open(p, &o, &db)))
		return err;
	err = exodb_table(db, "b", 0, &tb);
	/* rewrite rows in place and add some: deltas, images, a split */
	for (int i = 0; i < CRASH_TXNS && !err; i++)
		err = put_rows(db, tb, (i * 97) % ROWS, (i * 97) % ROWS + 10, v);
	/* the state now: durable in the log, not checkpointed */
	if (!err && load(p, crash))
		err = -EIO;
	exodb_close(db);
	return err;
}

/* ---- damage ---------------------------------------------------------- */

static void put16(uint8_t *pg, size_t off, uint16_t x)
{
	if (off + 2 <= PAGE)
		memcpy(pg + off, &x, 2);
}

static void put64(uint8_t *pg, size_t off, uint64_t x)
{
	if (off + 8 <= PAGE)
		memcpy(pg + off, &x, 8);
}

/* A cell's offset in node @pg (slot @s), or 0. */
static size_t cell(const uint8_t *pg, unsigned s)
{
	const struct node *n = (const void *)pg;
	uint16_t off;

	if (n->nslots == 0 || NODE_HDR + 2u * n->nslots > PAGE)
		return 0;
	memcpy(&off, pg + NODE_HDR + 2 * (s % n->nslots), 2);
	return off >= NODE_HDR && off + 4u <= PAGE ? off : 0;
}

static void damage_page(uint8_t *data, size_t npages, enum kind k)
{
	static const uint16_t v16[] = { 0, 1, PAGE - 1, PAGE, 0xffff };
	size_t pid = rnd() % 8 ? 1 + rnd() % (npages - 1) : 0;	/* page 0: the meta page */
	uint8_t *pg = data + pid * PAGE;
	const struct node *n = (const void *)pg;
	size_t off, c;
	uint16_t x16, klen;

	switch (k) {
	case K_FLIP:
	case K_BYTES:
		for (int i = 1 + rnd() % 8; i > 0; i--)
			pg[4 + rnd() % (PAGE - 4)] ^= (uint8_t)(1 + rnd() % 255);
		break;
	case K_U16:
		x16 = rnd() % 2 ? v16[rnd() % 5] : (uint16_t)rnd();
		c = cell(pg, rnd());
		switch (rnd() % 3) {
		case 0:		/* nslots .. hi_off */
			off = offsetof(struct node, nslots) + 2 * (rnd() % 7);
			break;
		case 1:		/* a slot */
			off = NODE_HDR + 2 * (rnd() % (n->nslots + 1u));
			break;
		default:	/* a cell's klen or vinfo */
			off = c ? c + 2 * (rnd() % 2) : NODE_HDR;
		}
		put16(pg, off, x16);
		break;
	case K_U64: {
		uint64_t to[] = { 0, pid, 1 + rnd() % (npages - 1), 1ull << 40 };

		c = cell(pg, rnd());
		memcpy(&klen, pg + (c ? c : NODE_HDR), 2);
		switch (rnd() % 4) {
		case 0:		/* next, prev, upper (an overflow page's next) */
			off = offsetof(struct node, next) + 8 * (rnd() % 3);
			break;
		case 1:		/* an inner node's child, a leaf's overflow ref */
			off = c ? c + 4 + (klen & 0x7fff) +
				  (n->h.type == PT_LEAF ? 4 : 0) : 0;
			break;
		case 2:
			off = offsetof(struct page_hdr, pid);
			break;
		default:
			off = offsetof(struct page_hdr, lsn);
		}
		if (off)
			put64(pg, off, to[rnd() % 4]);
		break;
	}
	case K_SWAP:
		memcpy(pg, data + (1 + rnd() % (npages - 1)) * PAGE, PAGE);
		((struct page_hdr *)pg)->pid = pid;
		break;
	default:
		break;
	}
	if (k != K_FLIP)
		page_seal(pg);
}

/* The log's bytes at @lsn, in a ring of @ring bytes after the header. */
static uint8_t *log_at(uint8_t *log, uint64_t ring, uint64_t lsn)
{
	return log + LOG_HDR_BLOCKS * PAGE + lsn % ring;
}

static void log_copy(uint8_t *log, uint64_t ring, uint64_t lsn, void *dst,
		     const void *src, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t *p = log_at(log, ring, lsn + i);

		if (dst)
			((uint8_t *)dst)[i] = *p;
		else
			*p = ((const uint8_t *)src)[i];
	}
}

/* Damage a record after the checkpoint; returns 0, or -1 if none. */
static int damage_log(uint8_t *log, size_t loglen)
{
	struct log_header hd[2], *h = NULL;
	uint64_t lsns[4096], ring, lsn;
	static uint8_t rec[REC_MAX];
	struct rec_hdr r;
	size_t n = 0;

	if (loglen < LOG_HDR_BLOCKS * PAGE)
		return -1;
	for (int i = 0; i < 2; i++) {
		memcpy(&hd[i], log + i * PAGE, sizeof(hd[i]));
		if (hd[i].magic == LOG_MAGIC && (!h || hd[i].gen > h->gen))
			h = &hd[i];
	}
	if (!h || h->log_blocks <= LOG_HDR_BLOCKS ||
	    h->log_blocks * PAGE > loglen)
		return -1;
	ring = (h->log_blocks - LOG_HDR_BLOCKS) * PAGE;
	/* the valid records from the checkpoint, as recovery walks them */
	for (lsn = h->ckpt_lsn; lsn + REC_HDR <= h->ckpt_lsn + ring - PAGE &&
	     n < 4096;) {
		if (PAGE - lsn % PAGE < REC_HDR) {
			lsn += PAGE - lsn % PAGE;
			continue;
		}
		log_copy(log, ring, lsn, &r, NULL, REC_HDR);
		if (r.lsn != lsn || r.len < REC_HDR || r.len > REC_MAX)
			break;
		log_copy(log, ring, lsn, rec, NULL, r.len);
		if (crc32c(0, rec + 4, r.len - 4) != r.crc)
			break;
		if (r.type != REC_PAD)
			lsns[n++] = lsn;
		lsn += r.len;
	}
	if (!n)
		return -1;
	lsn = lsns[rnd() % n];
	log_copy(log, ring, lsn, rec, NULL, REC_HDR);
	memcpy(&r, rec, REC_HDR);
	log_copy(log, ring, lsn, rec, NULL, r.len);
	switch (rnd() % 5) {
	case 0:
		r.pid = rnd() % 3 ? rnd() % 64 : rnd();
		break;
	case 1:
		r.type = (uint8_t)(REC_PAD + rnd() % 4);
		break;
	case 2:		/* shorter: the next record no longer where it was */
		r.len = (uint32_t)(REC_HDR + rnd() % (r.len - REC_HDR + 1));
		break;
	default:	/* a delta's off/len pair, or any body bytes */
		if (r.len > REC_HDR + 4) {
			size_t o = REC_HDR + 4 * (rnd() % ((r.len - REC_HDR) / 4));
			uint16_t x = rnd() % 2 ? (uint16_t)rnd() :
					     (uint16_t)(PAGE - rnd() % 8);

			o += 2 * (rnd() % 2);
			if (o + 2 <= r.len)
				memcpy(rec + o, &x, 2);
		}
	}
	memcpy(rec, &r, REC_HDR);
	((struct rec_hdr *)rec)->crc = crc32c(0, rec + 4, r.len - 4);
	log_copy(log, ring, lsn, NULL, rec, r.len);
	return 0;
}

/* ---- the checks (in a child) ------------------------------------------ */

struct verdict { int open_err, refused, wrong, loops; long problems; int commit_err; };

/* Scan @tb both ways; -1 if a scan did not end. */
static int scan(exodb_txn *t, unsigned tb, struct verdict *vd)
{
	for (int back = 0; back < 2; back++) {
		exodb_cursor *c;
		int err = exodb_cursor_open(t, tb, &c), steps = 0;

		if (err) {
			vd->refused++;
			continue;
		}
		err = exodb_cursor_seek(c, back ? EXODB_LAST : EXODB_FIRST,
					NULL, 0);
		while (!err && ++steps < SCAN_MAX) {
			const void *k, *v;
			size_t kl, vl;

			err = exodb_cursor_get(c, &k, &kl, &v, &vl);
			if (!err)
				err = back ? exodb_cursor_prev(c) :
					     exodb_cursor_next(c);
		}
		exodb_cursor_close(c);
		if (steps >= SCAN_MAX)
			return -1;
		vd->refused += err != -ENOENT;
	}
	return 0;
}

static void checks(const char *path, int exact, struct verdict *vd)
{
	struct exodb_opts o = opts();
	static uint8_t want[10000];
	unsigned tb[2];
	exodb_txn *t;
	exodb *db;
	char k[16];

	memset(vd, 0, sizeof(*vd));
	if ((vd->open_err = exodb_open(path, &o, &db)))
		return;
	for (int i = 0; i < 2; i++) {
		int err = exodb_table(db, i ? "b" : "a", 0, &tb[i]);

		if (err) {
			tb[i] = 1000;	/* no such table: calls say so */
			vd->refused++;
			vd->wrong += exact && err != -EUCLEAN;
		}
	}
	if (!exodb_begin(db, EXODB_RDONLY, &t)) {
		for (int j = 0; j < 200; j++) {
			int i = (int)(rnd() % ROWS), err;
			const void *v;
			size_t vl;

			if (tb[j % 2] == 1000)
				continue;
			snprintf(k, sizeof(k), "k%05d", i);
			err = exodb_get(t, tb[j % 2], k, strlen(k), &v, &vl);
			value(want, i, vlen(i));
			if (err)
				vd->refused++;
			if (exact && err != -EUCLEAN &&
			    (err || vl != vlen(i) || memcmp(v, want, vl)))
				vd->wrong++;
		}
		for (int i = 0; i < 2; i++)
			vd->loops += scan(t, tb[i], vd) < 0;
		exodb_commit(t);
	}
	vd->problems = exodb_check(db, NULL);
	if (!(vd->commit_err = exodb_begin(db, 0, &t))) {
		for (int i = 0; i < 12; i++) {
			snprintf(k, sizeof(k), "z%05d", (int)(rnd() % 100));
			if (i % 4 == 3)
				exodb_del(t, tb[i % 2], k, strlen(k));
			else
				exodb_put(t, tb[i % 2], k, strlen(k), k, 6);
		}
		vd->commit_err = exodb_commit(t);
	}
	exodb_close(db);
}

/* Run the checks on @path in a child: 0 if it ended normally. */
static int run_child(const char *path, int exact, struct verdict *vd)
{
	int fd[2], st;
	pid_t pid;

	memset(vd, 0, sizeof(*vd));
	if (pipe(fd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		alarm(120);	/* a hang is a failure, not a stuck run */
		checks(path, exact, vd);
		if (write(fd[1], vd, sizeof(*vd)) != sizeof(*vd))
			_exit(4);
		_exit(vd->wrong || vd->loops ? 3 : 0);
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], vd, sizeof(*vd)) != sizeof(*vd))
		memset(vd, 0, sizeof(*vd));
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st))
		return WTERMSIG(st) << 8;
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("EXODB_TMP");
	int iters = argc > 1 ? atoi(argv[1]) : 40;
	struct image closed, crash, im;
	struct verdict vd;
	char path[300];
	int err;

	seed = argc > 2 ? strtoull(argv[2], NULL, 0) :
			  (uint64_t)time(NULL) * 2654435761u;
	seed |= 1;
	if (argc == 3 && !strcmp(argv[1], "--replay")) {
		err = run_child(argv[2], 0, &vd);
		printf("replay: child status %d, open %d, refused %d, loops %d, "
		       "problems %ld, commit %d\n", err, vd.open_err,
		       vd.refused, vd.loops, vd.problems, vd.commit_err);
		return err != 0;
	}
	snprintf(dir, sizeof(dir), "%s", tmp ? tmp : "/tmp");
	tap_diag("fuzzdisk: seed %llu, %d images per kind",
		 (unsigned long long)seed, iters);
	err = make_images(&closed, &crash);
	if (!tap_ok(!err, "fuzzdisk: the two images are made: %s",
		    exodb_strerror(err)))
		return tap_done();
	snprintf(path, sizeof(path), "%s/fuzz.db", dir);
	/* the undamaged images pass every check */
	for (int c = 0; c < 2; c++) {
		save(path, c ? &crash : &closed);
		err = run_child(path, !c, &vd);
		tap_ok(!err && !vd.open_err && !vd.refused && !vd.problems &&
		       !vd.commit_err,
		       "fuzzdisk: the %s image, undamaged, reads clean (status "
		       "%d, open %d, refused %d, problems %ld, commit %d)",
		       c ? "crash-state" : "closed", err, vd.open_err,
		       vd.refused, vd.problems, vd.commit_err);
	}
	for (int k = 0; k < K_N; k++) {
		int bad = 0, opened = 0, refused = 0, checked = 0, done = 0;
		uint64_t first_seed = 0;

		for (int i = 0; i < iters; i++) {
			const struct image *src = k == K_LOG ? &crash : &closed;
			uint64_t s = seed;

			for (int j = 0; j < 2; j++) {
				im.len[j] = src->len[j];
				im.b[j] = malloc(src->len[j]);
				memcpy(im.b[j], src->b[j], src->len[j]);
			}
			err = 0;
			if (k == K_LOG)
				err = damage_log(im.b[1], im.len[1]);
			else
				damage_page(im.b[0], im.len[0] / PAGE, k);
			if (!err) {
				save(path, &im);
				err = run_child(path, k == K_FLIP, &vd);
				done++;
				opened += !vd.open_err;
				refused += vd.open_err || vd.refused;
				checked += vd.problems != 0;
				if (err && !bad++) {
					char keep[320];

					first_seed = s;
					snprintf(keep, sizeof(keep),
						 "%s/fuzzdisk-%s.db", dir,
						 kind_name[k]);
					save(keep, &im);
					tap_diag("%s: status %d (signal %d, "
						 "wrong %d, loops %d) on an "
						 "image kept as %s", kind_name[k],
						 err, err >> 8, vd.wrong,
						 vd.loops, keep);
				}
			}
			free(im.b[0]);
			free(im.b[1]);
		}
		tap_ok(!bad && done > iters / 2,
		       "fuzzdisk %s: %d damaged images, %d failed (first at "
		       "seed %llu); %d opened, %d with something refused, %d "
		       "with problems found by check", kind_name[k], done, bad,
		       (unsigned long long)first_seed, opened, refused,
		       checked);
	}
	for (int j = 0; j < 2; j++) {
		free(closed.b[j]);
		free(crash.b[j]);
	}
	snprintf(path, sizeof(path), "%s/fuzz.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fuzz.db", dir);
	unlink(path);
	tap_plan(tap_n);
	return tap_done();
}
