// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexodb on exo (guest test, TAP; root, /dev/exo, the scratch disk).
 *
 *  - a database on extents of the scratch disk, its key in a file;
 *    a writer and a reader thread against a model with a pool of 128
 *    frames, the env's frame quota (500) lower than the database's
 *    size; scans exact both ways; check clean
 *  - reopened in a new env by presenting the key (EXTENT_RECLAIM)
 *  - revocation requests (debugfs) during the write workload: answered
 *    by giving frames back (one while the pool grows under a raised
 *    quota: nothing repossessed), results exact afterwards
 *  - aborts: revocations whose deadline is now, frames repossessed under
 *    the writer and the reader (the quota grown back between them), some
 *    of every frame the env holds (more than exo's event queue holds);
 *    results exact afterwards
 *  - kill -9 of a process in the middle of committing: every commit it
 *    had acknowledged is there after recovery
 * The test formats the disk if it attaches it, and frees its extents and
 * detaches at the end, so the disk is usable by later tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exo.h>

#include "include/exodb.h"
#include "test/tap.h"

#define KEYS	6000
#define QUOTA	500

static char keyfile[256], uri[300];
static uint8_t *model[KEYS];
static size_t mlen[KEYS];
static exodb *db;
static unsigned tb;
static volatile int stop, wstop;
static int werrors;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int request_revoke(uint64_t env, long count, int deadline_ms)
{
	char cmd[80];
	int fd = open("/sys/kernel/debug/exo/revoke", O_WRONLY | O_CLOEXEC);
	int n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(cmd, sizeof(cmd), "%llu %ld %d", (unsigned long long)env,
		     count, deadline_ms);
	if (write(fd, cmd, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

static exodb *open_exo(int fd, int create, unsigned pool)
{
	struct exodb_opts o = { .sz = sizeof(o), .create = create,
				.pool_pages = pool, .exo_fd = fd,
				.log_blocks = 512 };
	exodb *d = NULL;
	int err = exodb_open(uri, &o, &d);

	if (err)
		tap_diag("open %s: %s", uri, exodb_strerror(err));
	return d;
}

/* One write transaction of a few puts and deletes, model updated. */
static int write_txn(uint64_t *s)
{
	exodb_txn *t;
	int js[16], n = 1 + rnd(s) % 16, err;
	uint8_t *vals[16];
	size_t lens[16];

	if ((err = exodb_begin(db, 0, &t)))
		return err;
	for (int i = 0; i < n; i++) {
		char k[16];
		int j = rnd(s) % KEYS;

		sprintf(k, "k%05d", j);
		js[i] = j;
		if (rnd(s) % 5 == 0) {
			err = exodb_del(t, tb, k, strlen(k));
			if (err == -ENOENT)
				err = 0;
			vals[i] = NULL;
			lens[i] = 0;
		} else {
			size_t l = rnd(s) % 30 == 0 ? 5000 : 200 + rnd(s) % 400;

			vals[i] = malloc(l);
			for (size_t b = 0; b < l; b++)
				vals[i][b] = (uint8_t)rnd(s);
			lens[i] = l;
			err = exodb_put(t, tb, k, strlen(k), vals[i], l);
		}
		if (err) {
			exodb_abort(t);
			for (int q = 0; q <= i; q++)
				free(vals[q]);
			return err;
		}
	}
	err = exodb_commit(t);
	for (int i = 0; i < n; i++) {
		if (err) {
			free(vals[i]);
			continue;
		}
		free(model[js[i]]);
		model[js[i]] = vals[i];
		mlen[js[i]] = lens[i];
	}
	return err;
}

static void *writer(void *arg)
{
	uint64_t s = 99;
	long n = (long)(intptr_t)arg;

	for (long i = 0; i < n && !stop && !wstop; i++) {
		int err = write_txn(&s);

		if (err) {
			tap_diag("write: %s", exodb_strerror(err));
			werrors++;
			break;
		}
	}
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t s = 7;

	(void)arg;
	while (!stop) {
		exodb_txn *t;
		exodb_cursor *c;
		int err, n = 0;

		if (exodb_begin(db, EXODB_RDONLY, &t))
			break;
		if (exodb_cursor_open(t, tb, &c)) {
			exodb_abort(t);
			break;
		}
		char k[16];
		sprintf(k, "k%05d", (int)(rnd(&s) % KEYS));
		for (err = exodb_cursor_seek(c, EXODB_GE, k, strlen(k));
		     !err && n < 50; err = exodb_cursor_next(c))
			n++;
		exodb_cursor_close(c);
		exodb_abort(t);
	}
	return NULL;
}

static int compare(exodb *d, int backward)
{
	exodb_txn *t;
	exodb_cursor *c;
	int j = backward ? KEYS : -1, bad = 0, err;

	if (exodb_begin(d, EXODB_RDONLY, &t) || exodb_cursor_open(t, tb, &c))
		return -1;
	err = exodb_cursor_seek(c, backward ? EXODB_LAST : EXODB_FIRST, NULL, 0);
	for (;;) {
		do
			j += backward ? -1 : 1;
		while (j >= 0 && j < KEYS && !model[j]);
		if (j < 0 || j >= KEYS) {
			bad += err != -ENOENT;
			break;
		}
		if (err) {
			bad++;
			break;
		}
		const void *k, *v;
		size_t kl, vl;
		char key[16];

		exodb_cursor_get(c, &k, &kl, &v, &vl);
		sprintf(key, "k%05d", j);
		if (kl != strlen(key) || memcmp(k, key, kl) || vl != mlen[j] ||
		    memcmp(v, model[j], vl))
			bad++;
		err = backward ? exodb_cursor_prev(c) : exodb_cursor_next(c);
	}
	exodb_cursor_close(c);
	exodb_commit(t);
	return bad;
}

/* The child of the kill -9 test: commit, report each acknowledgement. */
static void child(int fd_out)
{
	int fd = exo_open();
	exodb *d;
	unsigned t2;
	struct exodb_opts o = { .sz = sizeof(o), .pool_pages = 64, .exo_fd = fd };

	if (fd < 0 || exodb_open(uri, &o, &d) || exodb_table(d, "kill", 1, &t2))
		_exit(1);
	for (int i = 0;; i++) {
		exodb_txn *t;
		char k[16];

		sprintf(k, "c%06d", i);
		if (exodb_begin(d, 0, &t) ||
		    exodb_put(t, t2, k, strlen(k), &i, sizeof(i)) ||
		    exodb_put(t, t2, "last", 4, &i, sizeof(i)) ||
		    exodb_commit(t))
			_exit(1);
		if (write(fd_out, &i, sizeof(i)) != sizeof(i))
			_exit(1);
	}
}

int main(void)
{
	const char *disk = getenv("EXO_TEST_DISK") ? getenv("EXO_TEST_DISK")
						   : "/dev/vda";
	struct exo_env_info info;
	struct exodb_stats st;
	struct stat sb;
	pthread_t w, r;
	int fd, attached = 0, err;

	if (stat(disk, &sb) || !S_ISBLK(sb.st_mode) || access("/dev/exo", F_OK)) {
		printf("1..0 # SKIP no /dev/exo or no scratch disk\n");
		return 0;
	}
	snprintf(keyfile, sizeof(keyfile), "/tmp/exodb-test-%d.key", getpid());
	snprintf(uri, sizeof(uri), "exo:%s", keyfile);
	unlink(keyfile);
	fd = exo_open();
	err = exo_extent_attach(fd, disk, EXO_ATTACH_FORMAT, NULL);
	if (err == 0)
		attached = 1;
	tap_ok(err == 0 || err == -EBUSY, "the scratch disk is attached (%s)",
	       err ? "already" : "formatted by this test");
	exo_env_info(fd, &info);
	err = exo_set_quota(fd, 0, EXO_KIND_FRAME, QUOTA);
	tap_ok(err == 0, "frame quota of the env set to %d", QUOTA);

	struct exo_env_info before = { .size = sizeof(before) };

	exo_env_info(fd, &before);	/* the env outlives the database */
	db = open_exo(fd, 1, 128);
	if (!tap_ok(db && !exodb_table(db, "t", 1, &tb),
		    "a database made on exo extents, its key in %s", keyfile))
		goto out;
	tap_ok(access(keyfile, R_OK) == 0, "the principal key is saved");

	/* load, then writes with a reader, revocations at random moments */
	pthread_create(&w, NULL, writer, (void *)(intptr_t)700);
	pthread_create(&r, NULL, reader, NULL);
	pthread_join(w, NULL);
	exodb_stats(db, &st);
	tap_ok(werrors == 0 && st.pages > QUOTA, "700 write transactions: %llu "
	       "pages, more than the %d-frame quota; pool %llu of %llu",
	       st.pages, QUOTA, st.resident, st.capacity);
	unsigned long long cap0 = st.capacity;
	stop = 0;
	pthread_create(&w, NULL, writer, (void *)(intptr_t)300);
	for (int i = 0; i < 4; i++) {
		usleep(200000);
		err = request_revoke(info.env_id, 8, 2000);
		if (err)
			tap_diag("revoke request: %s", strerror(-err));
	}
	pthread_join(w, NULL);
	exodb_stats(db, &st);
	tap_ok(werrors == 0, "writes went on through the revocations");
	tap_ok(st.revoke_requests >= 4 && st.revoked_frames >= 32 &&
	       st.capacity < cap0, "4 revocations answered: %llu frames given "
	       "back, pool capacity %llu -> %llu", st.revoked_frames, cap0,
	       st.capacity);

	/*
	 * A revocation while the pool grows (the quota raised: its capacity
	 * above what it holds, misses taking new frames): what exo counts is
	 * what the env holds, so the pool must come down from that, not from
	 * its capacity, or the misses take back what it gave and exo
	 * repossesses at the deadline.
	 */
	unsigned long long rep0 = st.repossessed, cap1;

	exo_set_quota(fd, 0, EXO_KIND_FRAME, 2 * QUOTA);
	pthread_create(&w, NULL, writer, (void *)(intptr_t)300);
	usleep(300000);		/* the event thread saw the quota */
	exodb_stats(db, &st);
	cap1 = st.capacity;
	err = request_revoke(info.env_id, 100, 1000);
	usleep(1500000);	/* past the deadline */
	pthread_join(w, NULL);
	exodb_stats(db, &st);
	tap_ok(!err && werrors == 0 && cap1 > cap0 && st.repossessed == rep0,
	       "a revocation of 100 frames while the pool grew (capacity %llu, "
	       "%llu resident) answered in time: %llu frames repossessed",
	       cap1, st.resident, st.repossessed - rep0);
	exo_set_quota(fd, 0, EXO_KIND_FRAME, QUOTA);

	/*
	 * Aborts: a child stops this process, asks for frames due now, waits
	 * past the deadline and lets it go on: nobody here could answer, so
	 * exo repossesses frames (the newest first: pages just read, free
	 * frames, pages being written) from under the writer and the reader,
	 * which find out as they go on.  Every fourth asks for 200: every
	 * frame the env holds (the meta page's, the log's staging frames),
	 * more than exo's event queue holds (EXO_EV_QUEUE), taken again while
	 * the SIGBUS handler fills the frames it binds.  Again until 48 frames
	 * were taken and two such aborts ran.
	 */
	int asked = 0, big = 0;
	unsigned long long most = 0;
	const struct exo_pool_info *pinfo = NULL;
	const struct exo_env_page *envp = NULL;

	exo_info__map(fd, &pinfo, &envp);	/* what exo took: repo_count */

	wstop = 0;
	pthread_create(&w, NULL, writer, (void *)(intptr_t)100000);
	for (st.repossessed = 0; asked < 40 && !werrors &&
	     (st.repossessed < 48 || big < 2); asked++) {
		int n = asked % 4 == 3 ? 200 : 24;
		unsigned long long before = envp ? envp->repo_count : 0;
		pid_t c;

		/* the last one's pressure is gone: the pool grows back */
		exo_set_quota(fd, 0, EXO_KIND_FRAME, QUOTA + 1 + asked);
		usleep(150000);
		c = fork();
		if (c == 0) {
			kill(getppid(), SIGSTOP);
			err = request_revoke(info.env_id, n, 0);
			usleep(100000);	/* past the deadline: the abort ran */
			kill(getppid(), SIGCONT);
			_exit(err ? 1 : 0);
		}
		if (c > 0)
			waitpid(c, NULL, 0);
		usleep(200000);
		exodb_stats(db, &st);
		if (n == 200 && envp) {
			big++;
			if (envp->repo_count - before > most)
				most = envp->repo_count - before;
		}
	}
	wstop = 1;
	pthread_join(w, NULL);
	usleep(300000);
	stop = 1;
	pthread_join(r, NULL);
	exodb_stats(db, &st);
	tap_ok(werrors == 0 && st.repossessed >= 48, "writes went on through "
	       "%d aborted revocations: %llu frames repossessed", asked,
	       st.repossessed);
	tap_ok(most > EXO_EV_QUEUE, "an abort took %llu frames at once, more "
	       "events than exo's queue holds (%d)", most, EXO_EV_QUEUE);
	if (pinfo)
		exo_info__unmap(pinfo);
	tap_ok(compare(db, 0) == 0, "forward scan equals the model");
	tap_ok(compare(db, 1) == 0, "backward scan equals the model");
	tap_ok(exodb_check(db, stdout) == 0, "check clean");

	tap_ok(exodb_close(db) == 0, "close");
	struct exo_env_info after = { .size = sizeof(after) };

	exo_env_info(fd, &after);
	/*
	 * Every frame comes back.  Slots: a tombstone of a repossessed frame
	 * can still be left (1 in one run of 2026-12-04, after the fixes
	 * of 73d7db6 left 0 in four): shown, not yet asserted.
	 */
	tap_ok(after.used[EXO_KIND_FRAME] == before.used[EXO_KIND_FRAME],
	       "the caller's env got every frame back (%u, %u before the "
	       "open); slots %u (%u before)", after.used[EXO_KIND_FRAME],
	       before.used[EXO_KIND_FRAME], after.caps, before.caps);

	/* reopen in a new env, by the key */
	int fd2 = exo_open();
	db = open_exo(fd2, 0, 64);
	tap_ok(db != NULL, "reopened in a new env by presenting the key");
	if (db) {
		tap_ok(!exodb_table(db, "t", 0, &tb) && compare(db, 0) == 0 &&
		       compare(db, 1) == 0, "after reopening: scans equal the model");
		exodb_close(db);
	}
	exo_close(fd2);

	/* kill -9 in the middle of committing */
	int pfd[2], last = -1, v;
	pid_t pid = -1;

	if (pipe(pfd) == 0 && (pid = fork()) == 0) {
		close(pfd[0]);
		child(pfd[1]);
	}
	close(pfd[1]);
	for (int n = 0; n < 100 && read(pfd[0], &v, sizeof(v)) == sizeof(v); n++)
		last = v;
	if (pid > 0)
		kill(pid, SIGKILL);
	while (read(pfd[0], &v, sizeof(v)) == sizeof(v))
		last = v;
	close(pfd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	fd2 = exo_open();
	db = open_exo(fd2, 0, 64);
	int got = -1, missing = 0;
	unsigned t2;
	if (db && !exodb_table(db, "kill", 0, &t2)) {
		exodb_txn *t;
		const void *val;
		size_t vl;

		exodb_begin(db, EXODB_RDONLY, &t);
		if (!exodb_get(t, t2, "last", 4, &val, &vl))
			memcpy(&got, val, sizeof(got));
		for (int i = 0; i <= got; i++) {
			char k[16];

			sprintf(k, "c%06d", i);
			missing += exodb_get(t, t2, k, strlen(k), &val, &vl) != 0;
		}
		exodb_commit(t);
	}
	tap_ok(last >= 0 && got >= last && missing == 0,
	       "kill -9 while committing: %d acknowledged, %d recovered, none "
	       "missing", last + 1, got + 1);
	tap_ok(db && exodb_check(db, NULL) == 0, "check clean after the kill");
	if (db)
		exodb_close(db);
	exo_close(fd2);
out:
	/* give the extents back and leave the disk as we found it */
	{
		struct exo_key key;
		struct exo_extent_desc d[256];
		int fd3 = exo_open(), n;

		if (!exo_extent_key_load(keyfile, &key) &&
		    (n = exo_extent_reclaim(fd3, &key, d, 256)) > 0)
			for (int i = 0; i < n && i < 256; i++)
				exo_extent_free(fd3, d[i].cap);
		exo_close(fd3);
	}
	unlink(keyfile);
	if (attached)
		exo_extent_detach(fd);
	exo_close(fd);
	for (int j = 0; j < KEYS; j++)
		free(model[j]);
	tap_plan(tap_n);
	return tap_done();
}
