// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexodb on exo against every disk state a power cut could leave: the
 * guest side of scripts/db-logwrites (root, /dev/exo, dm-log-writes).
 *
 *   logwrites record DEV DMNAME KEYFILE WRITERS COMMITS
 *   logwrites replay LOG TARGET KEYFILE WRITERS LOSSY SEED [RECLOG RCUT]
 *
 * record: DEV is a dm-log-writes device (named DMNAME) over the data disk:
 * every write that reaches the disk is logged with its data, ordered as
 * the disk's cache would have made it durable (a write is logged at the
 * next cache flush that covers it; FUA writes when they complete).  exo
 * formats DEV, a database is made on it (key in KEYFILE), then WRITERS
 * threads each commit COMMITS durable transactions of the workload of
 * test/workload.h at once (group commit: one log flush serves every commit
 * waiting, so with 40 commits or more the database's flushes must be fewer
 * than its commits).
 * After each acknowledged commit the thread puts a mark "w<w>.<i>" into
 * the log (DM_TARGET_MSG); "open" once the database and its table exist.
 *
 * replay: LOG is the log device, TARGET a disk of the data disk's size.
 * The log is replayed (own reader of the format in Linux's
 * Documentation/admin-guide/device-mapper/log-writes.rst) into an image,
 * and these states are written to TARGET and checked:
 *  - exact: the image after every flush and every FUA write (a power cut
 *    just after it: everything before it is durable, nothing after);
 *  - lossy: for each flush, the writes it made durable (the run logged
 *    just before it) partly lost: LOSSY states each, a random subset, or a
 *    prefix in completion order, and sometimes one write torn at a random
 *    512-byte sector (a power cut before the flush completed).
 * Each is checked in a child: attach TARGET, open the database by the key
 * (exo reclaims the extents, libexodb recovers), and every writer must be
 * at a commit k with a <= k <= a + 1, a its last mark before the state
 * (every acknowledged commit there; the one in flight whole or absent),
 * every key exactly its model's, no other key, exodb_check clean; a
 * second open (recovery again, over recovery's own writes) the same.
 * Before the "open" mark the database may be absent (attach or open
 * fails cleanly) or empty.  One TAP line per state.
 *
 * Crashes during recovery: with RECLOG (a disk) and RCUT, every RCUT-th
 * state that passed is recovered again through a dm-log-writes device
 * over TARGET (its log on RECLOG), and the state after each flush and FUA
 * point of that recovery is checked as above, with the same ranges.
 *
 * EXO_DB_LOGWRITES_NOSYNC=1 records with exodb_opts.no_sync (commits
 * acknowledged before the log is flushed): the replay must then fail,
 * which shows the states it builds can find a lost commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>

#include "include/exodb.h"
#include "test/workload.h"

#define MAX_WRITERS	8
#define SECT		512

static int nres, nfail;
static char detail[1 << 16];	/* a state's results, shown if one fails */
static size_t dlen;

static void wl_result(int ok, const char *fmt, ...)
{
	va_list ap;
	int n;

	nfail += !ok;
	nres++;
	if (dlen >= sizeof(detail) - 256)
		return;
	n = snprintf(detail + dlen, sizeof(detail) - dlen, "#   %sok: ",
		     ok ? "" : "not ");
	dlen += n > 0 ? (size_t)n : 0;
	va_start(ap, fmt);
	n = vsnprintf(detail + dlen, sizeof(detail) - dlen - 1, fmt, ap);
	va_end(ap);
	dlen += n > 0 ? (size_t)n : 0;
	if (dlen > sizeof(detail) - 2)
		dlen = sizeof(detail) - 2;
	detail[dlen++] = '\n';
	detail[dlen] = 0;
}

static int tap_n, tap_fail;

static void tap(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	tap_fail += !ok;
}

static const struct exodb_opts base_opts = {
	.sz = sizeof(struct exodb_opts), .pool_pages = 64, .log_blocks = 300,
	.exo_fd = -1,
};

/* ---- record ---------------------------------------------------------- */

static const char *dmname;
static int dmctl = -1;

/* Put a mark in the log: the target's "mark NAME" message. */
static int dm_mark(const char *fmt, ...)
{
	union {
		struct dm_ioctl io;
		char b[sizeof(struct dm_ioctl) + 256];
	} u;
	struct dm_target_msg *m;
	va_list ap;
	int n;

	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(struct dm_ioctl);
	snprintf(u.io.name, sizeof(u.io.name), "%s", dmname);
	m = (struct dm_target_msg *)(u.b + u.io.data_start);
	n = snprintf(m->message, 200, "mark ");
	va_start(ap, fmt);
	vsnprintf(m->message + n, 200 - n, fmt, ap);
	va_end(ap);
	return ioctl(dmctl, DM_TARGET_MSG, &u) ? -errno : 0;
}

struct writer {
	pthread_t th;
	exodb *db;
	unsigned tb;
	int w, commits, err;
	int64_t acked;
};

static void *writer_run(void *arg)
{
	struct writer *wr = arg;
	static __thread uint8_t buf[MAX_VAL];

	for (int64_t i = 0; i < wr->commits; i++) {
		wr->err = wl_commit(wr->db, wr->tb, wr->w, (uint64_t)i, buf);
		if (!wr->err)
			wr->err = dm_mark("w%d.%lld", wr->w, (long long)i);
		if (wr->err)
			break;
		wr->acked = i;
	}
	return NULL;
}

static int record(const char *dev, const char *keyfile, int nw, int commits)
{
	struct exodb_opts o = base_opts;
	struct writer wr[MAX_WRITERS];
	struct exodb_stats st;
	char uri[300];
	unsigned tb = 0;
	exodb *db;
	int err, bad = 0;

	dmctl = open("/dev/mapper/control", O_RDWR);
	tap(dmctl >= 0 && !dm_mark("start"), "a mark in the log of %s",
	    dmname);
	o.exo_fd = exo_open();
	err = exo_extent_attach(o.exo_fd, dev, EXO_ATTACH_FORMAT, NULL);
	tap(!err, "exo formats and attaches %s: %s", dev, strerror(-err));
	if (err)
		return 1;
	unlink(keyfile);
	snprintf(uri, sizeof(uri), "exo:%s", keyfile);
	o.create = 1;
	/* the harness's own check: with no flushes it must find losses */
	o.no_sync = getenv("EXO_DB_LOGWRITES_NOSYNC") != NULL;
	if (o.no_sync)
		printf("# EXO_DB_LOGWRITES_NOSYNC: commits acknowledged without "
		       "a flush: the replay must fail\n");
	err = exodb_open(uri, &o, &db);
	if (!err)
		err = exodb_table(db, "t", 1, &tb);
	if (!err)
		err = dm_mark("open");
	tap(!err, "made the database and its table: %s", exodb_strerror(err));
	if (err)
		return 1;
	for (int w = 0; w < nw; w++) {
		wr[w] = (struct writer){ .db = db, .tb = tb, .w = w,
					 .commits = commits, .acked = -1 };
		pthread_create(&wr[w].th, NULL, writer_run, &wr[w]);
	}
	for (int w = 0; w < nw; w++) {
		pthread_join(wr[w].th, NULL);
		bad += wr[w].err != 0;
	}
	tap(!bad, "%d writers committed %d transactions each, each "
	    "acknowledged by a mark", nw, commits);
	err = exodb_stats(db, &st);
	/* with a few commits each, whether they overlap is luck: no claim */
	if (nw > 1 && nw * commits >= 40)
		tap(!err && st.log_flushes < st.commits, "group commit: %llu "
		    "commits, %llu log flushes, %llu checkpoints", st.commits,
		    st.log_flushes, st.checkpoints);
	else
		printf("# %llu commits, %llu log flushes, %llu checkpoints\n",
		       st.commits, st.log_flushes, st.checkpoints);
	/* the final state, before it is closed: what the replay must end at */
	{
		exodb_txn *t;
		long want = 0;

		dlen = 0;
		nfail = 0;
		err = exodb_begin(db, EXODB_RDONLY, &t);
		for (int w = 0; w < nw && !err; w++)
			wl_verify(t, tb, w, commits - 1, commits - 1, "", &want);
		if (!err) {
			tap(!nfail && wl_count(t, tb) == want,
			    "the live database holds every commit (%ld keys)",
			    want);
			exodb_commit(t);
		}
		if (nfail)
			fputs(detail, stdout);
	}
	err = exodb_close(db);
	tap(!err, "close: %s", exodb_strerror(err));
	dm_mark("closed");
	err = exo_extent_detach(o.exo_fd);
	tap(!err, "detach: %s", strerror(-err));
	return tap_fail ? 1 : 0;
}

/* ---- the log --------------------------------------------------------- */

#define LW_FLUSH	1
#define LW_FUA		2
#define LW_DISCARD	4
#define LW_MARK		8

struct lw_super {
	uint64_t magic, version, nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct lw_entry {
	uint64_t sector, nr_sectors, flags, data_len;
};

struct entry {
	uint64_t sector, nr;	/* in the log's sectors */
	uint64_t flags;
	off_t data;		/* the written data in the log */
	int mark_w;		/* mark "w<w>.<i>": w and i; "open": -2 */
	int64_t mark_i;
};

struct lwlog {
	struct entry *ent;
	long n;
	int fd;
	uint32_t ssz;
};

static struct lwlog L;		/* the workload's log */

static int read_log(struct lwlog *l, const char *path)
{
	struct lw_super s;
	uint8_t *hdr;
	off_t off;

	free(l->ent);
	if (l->fd > 0)
		close(l->fd);
	l->ent = NULL;
	l->fd = open(path, O_RDONLY);
	/* written under a dm device, not through this page cache: drop it */
	if (l->fd >= 0)
		ioctl(l->fd, BLKFLSBUF, 0);
	if (l->fd < 0 || pread(l->fd, &s, sizeof(s), 0) != sizeof(s))
		return -EIO;
	if (s.magic != 0x6a736677736872ULL || s.version != 1 ||
	    s.sectorsize < SECT || s.sectorsize > 65536 ||
	    (s.sectorsize & (s.sectorsize - 1)) || !s.nr_entries ||
	    s.nr_entries > 100000000)
		return -EINVAL;
	l->ssz = s.sectorsize;
	l->ent = calloc(s.nr_entries, sizeof(*l->ent));
	hdr = malloc(l->ssz);
	if (!l->ent || !hdr)
		return -ENOMEM;
	off = l->ssz;
	for (l->n = 0; l->n < (long)s.nr_entries; l->n++) {
		struct lw_entry e;
		struct entry *x = &l->ent[l->n];

		if (pread(l->fd, hdr, l->ssz, off) != (ssize_t)l->ssz)
			return -EIO;
		memcpy(&e, hdr, sizeof(e));
		if (e.data_len > l->ssz - sizeof(e) || e.nr_sectors > (1u << 20))
			return -EINVAL;
		x->sector = e.sector;
		x->nr = e.nr_sectors;
		x->flags = e.flags;
		x->data = off + l->ssz;
		x->mark_w = -1;
		if (e.flags & LW_MARK) {
			char m[256] = "";
			int w;
			long long i;

			memcpy(m, hdr + sizeof(e),
			       e.data_len < sizeof(m) - 1 ? e.data_len
							  : sizeof(m) - 1);
			if (sscanf(m, "w%d.%lld", &w, &i) == 2 && w >= 0 &&
			    w < MAX_WRITERS) {
				x->mark_w = w;
				x->mark_i = i;
			} else if (!strcmp(m, "open")) {
				x->mark_w = -2;
			}
			x->nr = 0;
		}
		off += l->ssz + ((e.flags & (LW_DISCARD | LW_MARK)) ? 0 :
			      (off_t)e.nr_sectors * l->ssz);
	}
	free(hdr);
	return 0;
}

static uint8_t *img, *st, *st2;	/* the replayed image; states built on it */
static uint64_t dsize;

/* Entry @x of @l: its first @nsec sectors onto @to (a discard writes
 * zeroes). */
static int apply_from(const struct lwlog *l, uint8_t *to,
		      const struct entry *x, uint64_t nsec)
{
	uint64_t at = x->sector * l->ssz, len = nsec * l->ssz;

	if (x->flags & LW_MARK || !nsec)
		return 0;
	if (at > dsize || len > dsize - at)
		return -ERANGE;
	if (x->flags & LW_DISCARD) {
		memset(to + at, 0, len);
		return 0;
	}
	return pread(l->fd, to + at, len, x->data) == (ssize_t)len ? 0 : -EIO;
}

static int apply(uint8_t *to, const struct entry *x, uint64_t nsec)
{
	return apply_from(&L, to, x, nsec);
}

/* ---- checking one state ---------------------------------------------- */

static int nwriters;
static const char *target, *keyfile;
static int64_t lo[MAX_WRITERS], hi[MAX_WRITERS];
static int opened;	/* the "open" mark is in the state */

/* One open, verify, check and close; results via wl_result. */
static void open_verify(const char *what)
{
	struct exodb_opts o = base_opts;
	char uri[300];
	exodb_txn *t;
	exodb *db;
	unsigned tb;
	long want = 0, seen;
	int err;

	snprintf(uri, sizeof(uri), "exo:%s", keyfile);
	o.exo_fd = exo_open();
	err = exodb_open(uri, &o, &db);
	if (err && !opened) {
		wl_result(1, "%sno database yet: %s", what, exodb_strerror(err));
		return;
	}
	if (!err)
		err = exodb_table(db, "t", 0, &tb);
	wl_result(!err || !opened, "%sopened by the key, recovered, table t: %s",
		  what, exodb_strerror(err));
	if (err) {
		if (db)
			exodb_close(db);
		return;
	}
	err = exodb_begin(db, EXODB_RDONLY, &t);
	wl_result(!err, "%sread-only transaction: %s", what,
		  exodb_strerror(err));
	if (!err) {
		for (int w = 0; w < nwriters; w++)
			wl_verify(t, tb, w, lo[w], hi[w], what, &want);
		seen = wl_count(t, tb);
		wl_result(seen == want, "%sthe table holds %ld keys, the "
			  "model %ld", what, seen, want);
		exodb_commit(t);
	}
	seen = exodb_check(db, NULL);
	wl_result(seen == 0, "%scheck: %ld problems", what, seen);
	err = exodb_close(db);
	wl_result(!err, "%sclose: %s", what, exodb_strerror(err));
	close(o.exo_fd);
}

static void child(void)
{
	int fd = exo_open(), err;

	err = exo_extent_attach(fd, target, 0, NULL);
	if (err) {
		wl_result(!opened, "attach: %s", strerror(-err));
	} else {
		open_verify("");
		if (!nfail)
			open_verify("reopened: ");
		err = exo_extent_detach(fd);
		wl_result(!err, "detach: %s", strerror(-err));
	}
	fputs(detail, stdout);
	fflush(stdout);
	_exit(nfail ? 1 : 0);
}

static int tfd;
static double t_write, t_check;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *kind(uint64_t f)
{
	if ((f & (LW_FLUSH | LW_FUA)) == (LW_FLUSH | LW_FUA))
		return "flush + FUA write";
	return f & LW_FLUSH ? "flush" : "FUA write";
}

/* Run @fn in a child (its stdout into @out); returns its wait status. */
static int run_child(void (*fn)(void), char *out, size_t outsz)
{
	int pfd[2], status = -1;
	ssize_t n, got = 0;
	pid_t pid;

	out[0] = 0;
	if (pipe(pfd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 1);
		alarm(300);
		fn();
	}
	close(pfd[1]);
	while (got < (ssize_t)outsz - 1 &&
	       (n = read(pfd[0], out + got, outsz - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	/* a detach the child did not reach */
	if (!WIFEXITED(status)) {
		int fd = exo_open();

		exo_extent_detach(fd);
		close(fd);
	}
	return status;
}

static const char *reclog;	/* a disk for the log of recovery's writes */
static int rcut;		/* every rcut-th state: recovery cut, too */
static long nstates, nrcut;
static struct lwlog R;		/* recovery's log */

static void check_state(const uint8_t *image, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void recovery_cuts(const uint8_t *image, const char *what);

/* Write @image to the target and check it in a child. */
static void check_state(const uint8_t *image, const char *fmt, ...)
{
	char what[300], out[1 << 16];
	double t0 = now();
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (pwrite(tfd, image, dsize, 0) != (ssize_t)dsize || fdatasync(tfd)) {
		tap(0, "%s: cannot write the state to %s", what, target);
		return;
	}
	t_write += now() - t0;
	t0 = now();
	status = run_child(child, out, sizeof(out));
	t_check += now() - t0;
	{
		char range[64 * MAX_WRITERS] = "";
		size_t rl = 0;

		for (int w = 0; w < nwriters && rl < sizeof(range) - 40; w++)
			rl += snprintf(range + rl, sizeof(range) - rl,
				       "%s%lld..%lld", w ? " " : "",
				       (long long)lo[w], (long long)hi[w]);
		tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "%s: writers at [%s]%s", what, range,
		    opened ? "" : ", before the open");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fputs(out, stdout);
	else if (rcut && opened && ++nstates % rcut == 0 && image != st2)
		recovery_cuts(image, what);
}

/* The recovery child: attach the dm device over the target, open the
 * database (recovery) and close it, every write logged. */
static void recover_logged(void)
{
	struct exodb_opts o = base_opts;
	char uri[300];
	exodb *db;
	int fd = exo_open(), err;

	snprintf(uri, sizeof(uri), "exo:%s", keyfile);
	err = exo_extent_attach(fd, "/dev/mapper/exorec", 0, NULL);
	if (!err) {
		o.exo_fd = exo_open();
		err = exodb_open(uri, &o, &db);
		if (!err)
			err = exodb_close(db);
		exo_extent_detach(fd);
	}
	printf("#   recovery under dm-log-writes: %s\n", exodb_strerror(err));
	_exit(err ? 1 : 0);
}

/*
 * A power cut during the recovery of @image (checked, so whole): its
 * recovery recorded through dm-log-writes over the target, then the
 * image after each of recovery's flush and FUA points checked as a state
 * of its own (the same ranges: recovery adds no commit).
 */
static void recovery_cuts(const uint8_t *image, const char *what)
{
	char cmd[700], out[4096];
	long pts = 0;
	int status, err, changed = 0;

	snprintf(cmd, sizeof(cmd), "dmsetup create exorec --table '0 %llu "
		 "log-writes %s %s'", (unsigned long long)(dsize / SECT),
		 target, reclog);
	if (pwrite(tfd, image, dsize, 0) != (ssize_t)dsize || fdatasync(tfd) ||
	    system(cmd)) {
		tap(0, "recovery of (%s): cannot log it", what);
		return;
	}
	status = run_child(recover_logged, out, sizeof(out));
	if (system("dmsetup remove exorec") ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		tap(0, "recovery of (%s) recorded", what);
		fputs(out, stdout);
		return;
	}
	err = read_log(&R, reclog);
	if (err) {
		tap(0, "recovery of (%s): its log: %s", what, strerror(-err));
		return;
	}
	nrcut++;
	memcpy(st2, image, dsize);
	for (long e = 0; e < R.n; e++) {
		const struct entry *x = &R.ent[e];

		if (apply_from(&R, st2, x, x->nr)) {
			tap(0, "recovery of (%s): entry %ld", what, e);
			return;
		}
		changed |= x->nr != 0;
		if (!(x->flags & (LW_FLUSH | LW_FUA)) || !changed)
			continue;
		changed = 0;
		pts++;
		check_state(st2, "recovery cut after its entry %ld (%s) of %ld, "
			    "from (%s)", e, kind(x->flags), R.n, what);
	}
	tap(pts > 0, "recovery of (%s): %ld flush and FUA points, each a "
	    "state", what, pts);
}

/* The marks in entries [0, @end): each writer's last acknowledged commit. */
static void acked_before(long end, int64_t *a, int *op)
{
	for (int w = 0; w < MAX_WRITERS; w++)
		a[w] = -1;
	*op = 0;
	for (long e = 0; e < end; e++) {
		if (L.ent[e].mark_w >= 0 && L.ent[e].mark_i > a[L.ent[e].mark_w])
			a[L.ent[e].mark_w] = L.ent[e].mark_i;
		*op |= L.ent[e].mark_w == -2;
	}
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rnd_state >> 33;
}

/*
 * The writers' ranges for a state: at least the marks in [0, @lo_end) (the
 * commits acknowledged before the next write could reach the disk), at
 * most one past the marks in [0, @hi_end), none before the "open" mark
 * there.  The database must exist if "open" is in [0, @lo_end).
 */
static void ranges(long lo_end, long hi_end)
{
	int op;

	acked_before(lo_end, lo, &opened);
	acked_before(hi_end, hi, &op);
	for (int w = 0; w < nwriters; w++)
		hi[w] = op ? hi[w] + 1 : -1;
}

static int plain(const struct entry *x)
{
	return !(x->flags & (LW_FLUSH | LW_FUA | LW_MARK | LW_DISCARD)) &&
	       x->nr;
}

/* Lossy states of the run [r0, r1) of writes a flush made durable, on the
 * image before them (img). */
static void lossy_states(long r0, long r1, int lossy, long *n)
{
	for (int v = 0; v < lossy; v++) {
		int prefix = rnd() % 3 == 0;
		long cut = r0 + (long)(rnd() % (uint64_t)(r1 - r0));
		long torn = rnd() % 2 ? r0 + (long)(rnd() % (uint64_t)(r1 - r0))
				      : -1;
		long kept = 0;
		uint64_t tsec = 0;

		memcpy(st, img, dsize);
		for (long r = r0; r < r1; r++) {
			const struct entry *x = &L.ent[r];

			if (prefix ? r >= cut : rnd() % 2)
				continue;
			if (r == torn && x->nr > 1) {
				tsec = 1 + rnd() % (x->nr - 1);
				apply(st, x, tsec);
			} else {
				apply(st, x, x->nr);
			}
			kept++;
		}
		ranges(r0, r0);
		check_state(st, "lossy: %ld of the %ld writes before the flush "
			    "at entry %ld (%s)%s", kept, r1 - r0, r1,
			    prefix ? "a prefix" : "a subset",
			    tsec ? ", one torn" : "");
		(*n)++;
	}
}

static int replay(const char *logpath, int lossy, unsigned seed)
{
	long writes = 0, flushes = 0, fuas = 0, marks = 0, exact = 0, nl = 0;
	long run0 = -1;		/* plain writes since the last other entry */
	long first_p = -1;	/* first durable point of the unchanged image */
	double t0 = now();
	int err;

	rnd_state = seed;
	err = read_log(&L, logpath);
	tap(!err, "read the log: %ld entries, %u-byte sectors: %s", L.n, L.ssz,
	    strerror(-err));
	if (err)
		return 1;
	for (long e = 0; e < L.n; e++) {
		writes += plain(&L.ent[e]);
		flushes += !!(L.ent[e].flags & LW_FLUSH);
		fuas += !!(L.ent[e].flags & LW_FUA);
		marks += !!(L.ent[e].flags & LW_MARK);
	}
	tap(L.n > 0 && (L.ent[L.n - 1].flags & LW_MARK) && flushes > 0,
	    "the log: %ld writes, %ld flushes, %ld FUA writes, %ld marks, "
	    "ends with a mark", writes, flushes, fuas, marks);
	tfd = open(target, O_RDWR);
	if (tfd < 0 || ioctl(tfd, BLKGETSIZE64, &dsize) || !dsize) {
		tap(0, "open %s", target);
		return 1;
	}
	img = calloc(1, dsize);
	st = malloc(dsize);
	st2 = malloc(dsize);
	if (!img || !st || !st2)
		return 1;

	for (long e = 0; e <= L.n; e++) {
		const struct entry *x = e < L.n ? &L.ent[e] : NULL;
		int changes = !x || x->nr;

		/*
		 * The image is about to change (or the log ends): check it
		 * once for the durable points since it last changed, with
		 * the marks up to here (a mark after a durable point
		 * acknowledges a commit made durable at or before it).
		 */
		if (changes && first_p >= 0) {
			ranges(e, first_p + 1);
			check_state(img, "exact: after entry %ld (%s)", first_p,
				    kind(L.ent[first_p].flags));
			exact++;
			first_p = -1;
		}
		if (!x)
			break;
		if (plain(x)) {
			if (run0 < 0)
				run0 = e;
			continue;	/* applied with the entry after them */
		}
		/* a flush: the run before it is what it made durable */
		if (run0 >= 0 && (x->flags & LW_FLUSH) && lossy)
			lossy_states(run0, e, lossy, &nl);
		/* a power cut during a FUA write: a prefix of it written */
		if ((x->flags & LW_FUA) && x->nr > 1 && lossy) {
			uint64_t t = 1 + rnd() % (x->nr - 1);

			for (long r = run0 < 0 ? e : run0; r < e; r++)
				apply(img, &L.ent[r], L.ent[r].nr);
			run0 = -1;
			memcpy(st, img, dsize);
			apply(st, x, t);
			ranges(e, e);
			check_state(st, "lossy: %llu of the %llu sectors of "
				    "the FUA write at entry %ld",
				    (unsigned long long)t,
				    (unsigned long long)x->nr, e);
			nl++;
		}
		for (long r = run0 < 0 ? e : run0; r <= e; r++) {
			err = apply(img, &L.ent[r], L.ent[r].nr);
			if (err) {
				tap(0, "entry %ld: sector %llu + %llu: %s", r,
				    (unsigned long long)L.ent[r].sector,
				    (unsigned long long)L.ent[r].nr,
				    strerror(-err));
				return 1;
			}
		}
		if (run0 >= 0 || x->nr)
			first_p = -1;
		run0 = -1;
		if ((x->flags & (LW_FLUSH | LW_FUA)) && first_p < 0)
			first_p = e;
	}
	tap(exact > 0 && (!rcut || nrcut), "%ld exact states and %ld lossy "
	    "ones, %ld recoveries cut at each flush point, checked in %.0f s "
	    "(%.0f s writing them, %.0f s in the checks)", exact, nl, nrcut,
	    now() - t0, t_write, t_check);
	return tap_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 7 && !strcmp(argv[1], "record")) {
		dmname = argv[3];
		return record(argv[2], argv[4], atoi(argv[5]), atoi(argv[6]));
	}
	if ((argc == 8 || argc == 10) && !strcmp(argv[1], "replay")) {
		if (argc == 10) {
			reclog = argv[8];
			rcut = atoi(argv[9]);
		}
		target = argv[3];
		keyfile = argv[4];
		nwriters = atoi(argv[5]);
		if (nwriters < 1 || nwriters > MAX_WRITERS)
			return 2;
		return replay(argv[2], atoi(argv[6]),
			      (unsigned)strtoul(argv[7], NULL, 0));
	}
	fprintf(stderr, "usage: logwrites record DEV DMNAME KEYFILE WRITERS "
		"COMMITS\n       logwrites replay LOG TARGET KEYFILE WRITERS "
		"LOSSY SEED [RECLOG RCUT]\n");
	return 2;
}
