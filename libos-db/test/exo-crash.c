// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexodb on exo across whole-machine crashes (the guest side of
 * scripts/db-crash; root, /dev/exo, the scratch disk).
 *
 *   exo-crash STATE_DIR first|again|last
 *
 * The workload is a pure function of the commit number: commit i puts
 * and deletes a few of KEYS keys (values of 20 bytes to 6 KiB, so some
 * overflow onto their own pages; each value's bytes a function of i and
 * the key) and puts "last" = i.  Each commit is acknowledged, once
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

#define KEYS		3000
#define MAX_VAL		6000
#define MAX_COMMITS	1000000

static char dir[256];
static FILE *res;
static int nres, nfail;

static void result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void result(int ok, const char *fmt, ...)
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

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The value commit @i gives key @j: its length, and its bytes into @v. */
static size_t value_of(uint64_t i, int j, uint8_t *v)
{
	uint64_t h = mix(i * KEYS + (uint64_t)j + 1);
	size_t len = h % 20 == 0 ? 1000 + h % (MAX_VAL - 1000) : 20 + h % 400;

	if (v)
		for (size_t b = 0; b < len; b += 8) {
			uint64_t w = mix(h + b);

			memcpy(v + b, &w, len - b < 8 ? len - b : 8);
		}
	return len;
}

/* Commit @i's operations: up to 12 (key, put?) pairs. */
static int ops_of(uint64_t i, int *keys, int *put)
{
	uint64_t s = mix(i ^ 0x5eed);
	int n = 1 + (int)(s % 12);

	for (int o = 0; o < n; o++) {
		s = mix(s + (uint64_t)o);
		keys[o] = (int)(s % KEYS);
		put[o] = s % 6 != 0;
	}
	return n;
}

/* The model after commits 0..k: per key, the commit that last put it, or -1. */
static int64_t model[KEYS];

static void model_to(int64_t k)
{
	int keys[12], put[12];

	for (int j = 0; j < KEYS; j++)
		model[j] = -1;
	for (int64_t i = 0; i <= k; i++) {
		int n = ops_of((uint64_t)i, keys, put);

		for (int o = 0; o < n; o++)
			model[keys[o]] = put[o] ? i : -1;
	}
}

static int commit(exodb *db, unsigned tb, uint64_t i, uint8_t *buf)
{
	int keys[12], put[12], n = ops_of(i, keys, put), err;
	exodb_txn *t;
	char k[16];

	if ((err = exodb_begin(db, 0, &t)))
		return err;
	for (int o = 0; o < n && !err; o++) {
		snprintf(k, sizeof(k), "k%05d", keys[o]);
		if (put[o])
			err = exodb_put(t, tb, k, strlen(k), buf,
					value_of(i, keys[o], buf));
		else if ((err = exodb_del(t, tb, k, strlen(k))) == -ENOENT)
			err = 0;
	}
	if (!err)
		err = exodb_put(t, tb, "last", 4, &i, sizeof(i));
	if (err) {
		exodb_abort(t);
		return err;
	}
	return exodb_commit(t);
}

/* The database equals the model at its "last"; returns that, or -1. */
static int64_t verify(exodb *db, unsigned tb, int64_t acked)
{
	uint8_t want[MAX_VAL];
	exodb_txn *t;
	exodb_cursor *c;
	const void *v;
	size_t vl;
	int64_t k = -1;
	int bad = 0, seen = 0, present = 0, err;

	if (exodb_begin(db, EXODB_RDONLY, &t))
		return -1;
	if (!exodb_get(t, tb, "last", 4, &v, &vl) && vl == sizeof(k))
		memcpy(&k, v, sizeof(k));
	result(k >= acked && k <= acked + 1, "commit %lld is the database's "
	       "last; %lld was the last acknowledged", (long long)k,
	       (long long)acked);
	model_to(k);
	for (int j = 0; j < KEYS; j++) {
		char key[16];

		snprintf(key, sizeof(key), "k%05d", j);
		err = exodb_get(t, tb, key, strlen(key), &v, &vl);
		if (model[j] < 0) {
			bad += err != -ENOENT;
			continue;
		}
		present++;
		if (err || vl != value_of((uint64_t)model[j], j, want) ||
		    memcmp(v, want, vl))
			bad++;
	}
	result(bad == 0, "every key holds the value of commit %lld (%d of "
	       "%d keys differ)", (long long)k, bad, KEYS);
	/* and nothing else: the scan sees exactly the model's keys */
	if (!exodb_cursor_open(t, tb, &c)) {
		for (err = exodb_cursor_seek(c, EXODB_FIRST, NULL, 0); !err;
		     err = exodb_cursor_next(c))
			seen++;
		exodb_cursor_close(c);
	}
	result(seen == present + 1, "a scan sees %d keys, the model %d and "
	       "\"last\"", seen, present);
	exodb_commit(t);
	result(exodb_check(db, NULL) == 0, "check clean");
	return bad ? -1 : k;
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
	int first, last, err, ackfd;
	int64_t k = -1, acked;
	pthread_t early = 0;
	unsigned tb;
	exodb *db;

	if (argc != 3 || (strcmp(argv[2], "first") && strcmp(argv[2], "again") &&
			  strcmp(argv[2], "last"))) {
		fprintf(stderr, "usage: exo-crash STATE_DIR first|again|last\n");
		return 2;
	}
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
	/* every other later boot: the reset may come during recovery */
	if (!first && !last && rand() % 2) {
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
	       "reopened after the reset", exodb_strerror(err));
	if (err)
		return 1;
	if (!first) {
		k = verify(db, tb, acked);
		if (k < 0)
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
		early ? "" : ", reset in a moment");
	fflush(res);
	if (!early)
		pthread_create(&th, NULL, reset_later, (void *)ms);
	for (int64_t i = k + 1; i < MAX_COMMITS; i++) {
		err = commit(db, tb, (uint64_t)i, buf);
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
