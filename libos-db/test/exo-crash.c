// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexodb on exo across whole-machine crashes (the guest side of
 * scripts/db-crash; root, /dev/exo, the scratch disk).
 *
 *   exo-crash STATE_DIR first|again|last [reset|host]
 *
 * The workload (test/workload.h, one writer) is a pure function of the
 * commit number: commit i puts and deletes a few of KEYS keys (values of
 * 20 bytes to 6 KiB, so some overflow onto their own pages) and puts
 * "last0" = i.  Each commit is acknowledged, once
 * exodb_commit has returned, by appending i to STATE_DIR/acks: a file on
 * the host (9p, written through), so what the guest acknowledged is
 * known after the guest is gone.
 *
 *  first  attach and format the disk, make the database (its key in
 *         STATE_DIR/key), commit until a thread resets the machine
 *         (sysrq b: no sync, no unmount; exo's kernel state gone) at a
 *         random moment;
 *  again  the disk is attached at load (insmod exo.ko extent_dev=...):
 *         reopen by the key (exo reclaims the extents, exodb recovers),
 *         verify, then commit on from where the database is, and reset;
 *         every other time the reset is armed before the open, so it may
 *         come in the middle of recovery (or of the verification);
 *  last   reopen, verify, check, close, give the extents back.
 *
 * Who ends a boot: "reset" (the default) is the guest's own thread above;
 * with "host" nothing in the guest arms a reset: it marks where it is by
 * creating STATE_DIR/opening (before the open) and STATE_DIR/committing
 * (before its first commit), and scripts/db-crash kills QEMU from the
 * host (SIGKILL: guest memory, exo's state and I/O in flight gone) a
 * random time after one of those marks: the guest cannot pick its moment.
 *
 * Verify: the database holds exactly the state after commit k for some k
 * with a <= k <= a + 1, a the last acknowledged commit (the commit after
 * it may have become durable before its acknowledgement was written):
 * every key of the model at k with its exact value, no other key, and
 * exodb_check clean.  Results are TAP lines in STATE_DIR/result (the
 * console may not drain before the reset).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>

#include "include/exodb.h"
#include "test/workload.h"

#define MAX_COMMITS	1000000

static char dir[256];
static FILE *res;
static int nres, nfail;

static void wl_result(int ok, const char *fmt, ...)
{
	va_list ap;

	fprintf(res, "%sok %d - ", ok ? "" : "not ", ++nres);
	va_start(ap, fmt);
	vfprintf(res, fmt, ap);
	va_end(ap);
	fputc('\n', res);
	fflush(res);
	fsync(fileno(res));
	nfail += !ok;
}
#define result wl_result

/* The database equals the model at its "last"; returns that (-1: no
 * commit yet), or -2. */
static int64_t verify(exodb *db, unsigned tb, int64_t acked)
{
	exodb_txn *t;
	long want = 0, seen;
	int64_t k;

	if (exodb_begin(db, EXODB_RDONLY, &t))
		return -1;
	k = wl_verify(t, tb, 0, acked, acked + 1, "", &want);
	seen = wl_count(t, tb);
	result(seen == want, "the table holds %ld keys, the model %ld", seen,
	       want);
	exodb_commit(t);
	result(exodb_check(db, NULL) == 0, "check clean");
	return k == -2 || seen != want ? -2 : k;
}

static void *reset_later(void *arg)
{
	int fd;

	usleep((useconds_t)(uintptr_t)arg * 1000);
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd >= 0 && write(fd, "b", 1) == 1)
		pause();
	fprintf(stderr, "exo-crash: cannot reset the machine\n");
	exit(3);
}

/* A mark for the host (host mode): a file on 9p, created before going on. */
static void mark(const char *name)
{
	char p[300];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int64_t last_ack(void)
{
	char p[300];
	int64_t a = -1;
	int fd;
	off_t end;

	snprintf(p, sizeof(p), "%s/acks", dir);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return -1;
	end = lseek(fd, 0, SEEK_END);
	if (end >= (off_t)sizeof(a) &&
	    pread(fd, &a, sizeof(a), end - end % sizeof(a) - sizeof(a)) !=
	    sizeof(a))
		a = -1;
	close(fd);
	return a;
}

int main(int argc, char **argv)
{
	const char *disk = getenv("EXO_TEST_DISK") ? getenv("EXO_TEST_DISK")
						   : "/dev/vda";
	struct exodb_opts o = { .sz = sizeof(o), .pool_pages = 64,
				.log_blocks = 320, .exo_fd = -1 };
	static uint8_t buf[MAX_VAL];
	char keyfile[300], uri[310], p[300];
	int first, last, host, err, ackfd;
	int64_t k = -1, acked;
	pthread_t early = 0;
	unsigned tb;
	exodb *db;

	if ((argc != 3 && argc != 4) ||
	    (strcmp(argv[2], "first") && strcmp(argv[2], "again") &&
	     strcmp(argv[2], "last")) ||
	    (argc == 4 && strcmp(argv[3], "reset") && strcmp(argv[3], "host"))) {
		fprintf(stderr,
			"usage: exo-crash STATE_DIR first|again|last [reset|host]\n");
		return 2;
	}
	host = argc == 4 && !strcmp(argv[3], "host");
	first = !strcmp(argv[2], "first");
	last = !strcmp(argv[2], "last");
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	snprintf(keyfile, sizeof(keyfile), "%s/key", dir);
	snprintf(uri, sizeof(uri), "exo:%s", keyfile);
	snprintf(p, sizeof(p), "%s/result", dir);
	res = fopen(p, "w");
	if (!res)
		return 2;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());

	o.exo_fd = exo_open();
	if (first) {
		err = exo_extent_attach(o.exo_fd, disk, EXO_ATTACH_FORMAT, NULL);
		result(!err, "the disk is attached and formatted: %s",
		       strerror(-err));
		unlink(keyfile);
		o.create = 1;
	}
	acked = last_ack();
	/* every other later boot: the reset may come during recovery (with
	 * "host", the host chooses: this mark is its cue) */
	if (host)
		mark("opening");
	else if (!first && !last && rand() % 2) {
		uintptr_t ms = (uintptr_t)(rand() % 500);

		fprintf(res, "# early reset: in %lu ms, from before the open\n",
			(unsigned long)ms);
		fflush(res);
		fsync(fileno(res));
		pthread_create(&early, NULL, reset_later, (void *)ms);
	}
	err = exodb_open(uri, &o, &db);
	if (!err)
		err = exodb_table(db, "t", first, &tb);
	result(!err, "%s by the key: %s", first ? "made the database" :
	       "reopened after the crash", exodb_strerror(err));
	if (err)
		return 1;
	if (!first) {
		k = verify(db, tb, acked);
		if (k == -2)
			return 1;
	}
	if (last) {
		struct exo_key key;
		struct exo_extent_desc d[256];
		int n;

		result(exodb_close(db) == 0, "close");
		if (!exo_extent_key_load(keyfile, &key) &&
		    (n = exo_extent_reclaim(o.exo_fd, &key, d, 256)) > 0)
			for (int i = 0; i < n && i < 256; i++)
				exo_extent_free(o.exo_fd, d[i].cap);
		printf("%d results, %d failed\n", nres, nfail);
		return nfail ? 1 : 0;
	}

	/* commit on from k + 1 until the reset, 0.3 to 3 s from now */
	snprintf(p, sizeof(p), "%s/acks", dir);
	ackfd = open(p, O_WRONLY | O_APPEND | O_CREAT | (first ? O_TRUNC : 0),
		     0600);
	if (ackfd < 0)
		return 1;
	pthread_t th;
	uintptr_t ms = 300 + (uintptr_t)(rand() % 2700);

	fprintf(res, "# committing from %lld%s\n", (long long)k + 1,
		host ? ", until the host kills the guest" :
		early ? "" : ", reset in a moment");
	fflush(res);
	if (host)
		mark("committing");
	else if (!early)
		pthread_create(&th, NULL, reset_later, (void *)ms);
	for (int64_t i = k + 1; i < MAX_COMMITS; i++) {
		err = wl_commit(db, tb, 0, (uint64_t)i, buf);
		if (err) {
			result(0, "commit %lld: %s", (long long)i,
			       exodb_strerror(err));
			return 1;
		}
		if (write(ackfd, &i, sizeof(i)) != sizeof(i))
			return 1;
	}
	result(0, "%d commits and no reset", MAX_COMMITS);
	return 1;
}
