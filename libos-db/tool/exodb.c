// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exodb — the command-line face of libexodb (see man/exodb.1).
 *
 *   exodb [options] URI create
 *   exodb [options] URI put TABLE KEY VALUE
 *   exodb [options] URI get TABLE KEY
 *   exodb [options] URI del TABLE KEY
 *   exodb [options] URI scan TABLE [FROM [TO]]
 *   exodb [options] URI load TABLE FILE      (TSV: key TAB value per line)
 *   exodb [options] URI stats
 *   exodb [options] URI check
 *
 * URI: PATH or file:PATH (the file backend), exo:KEYFILE (exo).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/exodb.h"

static void usage(void)
{
	fprintf(stderr,
"usage: exodb [-p POOL_PAGES] [-P 2q|clock] [-r] [-l LOG_BLOCKS] URI COMMAND ...\n"
"  URI      PATH | file:PATH | exo:KEYFILE\n"
"  create                      make the database\n"
"  put TABLE KEY VALUE         (the table is made if absent)\n"
"  get TABLE KEY\n"
"  del TABLE KEY\n"
"  scan TABLE [FROM [TO]]      keys in [FROM, TO) in order (-r: descending)\n"
"  load TABLE FILE             key<TAB>value lines ('-': stdin)\n"
"  drop TABLE                  drop the table, its pages to the free list\n"
"  stats                       pool, log and per-table counters\n"
"  check                       verify every table and the free list\n");
	exit(2);
}

static int die(const char *what, int err)
{
	fprintf(stderr, "exodb: %s: %s\n", what, exodb_strerror(err));
	return 1;
}

static void print_bytes(const void *p, size_t n)
{
	fwrite(p, 1, n, stdout);
}

static int keycmp(const void *k, size_t kl, const char *s)
{
	size_t sl = strlen(s);
	int c = memcmp(k, s, kl < sl ? kl : sl);

	return c ? c : (kl > sl) - (kl < sl);
}

static int cmd_scan(exodb *db, unsigned tbl, int argc, char **argv, int rev)
{
	const char *from = argc > 0 ? argv[0] : NULL;
	const char *to = argc > 1 ? argv[1] : NULL;
	exodb_txn *t;
	exodb_cursor *c;
	int err;

	for (;;) {
		long rows = 0;

		if ((err = exodb_begin(db, EXODB_RDONLY, &t)))
			return die("begin", err);
		if ((err = exodb_cursor_open(t, tbl, &c)))
			return die("cursor", err);
		exodb_cursor_hint_scan(c, 1);
		if (!rev)
			err = from ? exodb_cursor_seek(c, EXODB_GE, from, strlen(from))
				   : exodb_cursor_seek(c, EXODB_FIRST, NULL, 0);
		else
			err = to ? exodb_cursor_seek(c, EXODB_LE, to, strlen(to))
				 : exodb_cursor_seek(c, EXODB_LAST, NULL, 0);
		while (!err) {
			const void *k, *v;
			size_t kl, vl;

			exodb_cursor_get(c, &k, &kl, &v, &vl);
			/* FROM inclusive, TO exclusive, in both directions */
			if (to && keycmp(k, kl, to) >= 0) {
				if (!rev)
					break;
				err = exodb_cursor_prev(c);
				continue;
			}
			if (from && keycmp(k, kl, from) < 0)
				break;
			print_bytes(k, kl);
			putchar('\t');
			print_bytes(v, vl);
			putchar('\n');
			rows++;
			err = rev ? exodb_cursor_prev(c) : exodb_cursor_next(c);
		}
		exodb_cursor_close(c);
		if (err == -EAGAIN) {
			exodb_abort(t);
			continue;
		}
		exodb_commit(t);
		return err && err != -ENOENT ? die("scan", err) : 0;
	}
}

static int cmd_load(exodb *db, unsigned tbl, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long rows = 0, bad = 0;
	exodb_txn *t = NULL;
	int err = 0;

	if (!f)
		return die(path, -errno);
	while ((n = getline(&line, &cap, f)) > 0) {
		char *tab = memchr(line, '\t', n);

		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (!tab) {
			bad++;
			continue;
		}
		if (!t && (err = exodb_begin(db, 0, &t)))
			break;
		err = exodb_put(t, tbl, line, tab - line, tab + 1,
				n - (tab + 1 - line));
		if (err)
			break;
		if (++rows % 1000 == 0) {
			err = exodb_commit(t);
			t = NULL;
			if (err)
				break;
		}
	}
	if (t && !err)
		err = exodb_commit(t);
	else if (t)
		exodb_abort(t);
	free(line);
	if (f != stdin)
		fclose(f);
	if (err)
		return die("load", err);
	printf("loaded %ld rows", rows);
	if (bad)
		printf(", %ld lines without a tab skipped", bad);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct exodb_opts o = { .sz = sizeof(o), .exo_fd = -1 };
	const char *uri, *cmd;
	exodb *db;
	unsigned tbl = 0;
	int err, c, rev = 0, rc = 0;

	while ((c = getopt(argc, argv, "p:P:rl:h")) != -1) {
		switch (c) {
		case 'p':
			o.pool_pages = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'P':
			if (!strcmp(optarg, "clock"))
				o.policy = EXODB_POLICY_CLOCK;
			else if (strcmp(optarg, "2q"))
				usage();
			break;
		case 'r':
			rev = 1;
			break;
		case 'l':
			o.log_blocks = (unsigned)strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	uri = argv[optind];
	cmd = argv[optind + 1];
	argv += optind + 2;
	argc -= optind + 2;
	o.create = !strcmp(cmd, "create");
	err = exodb_open(uri, &o, &db);
	if (err)
		return die(uri, err);
	if (!strcmp(cmd, "create")) {
		if (argc)
			usage();
	} else if (!strcmp(cmd, "stats")) {
		struct exodb_stats s;
		struct exodb_table_stats ts[EXODB_MAX_TABLES + 1];
		int n;

		if ((err = exodb_stats(db, &s)))
			return die("stats", err);
		printf("backend %s\npolicy %s\npages %llu\nfree_pages %llu\n"
		       "pool_resident %llu\npool_capacity %llu\nhits %llu\n"
		       "misses %llu\nevictions %llu\nwritebacks %llu\n"
		       "checkpoints %llu\n",
		       s.backend, s.policy, s.pages, s.free_pages, s.resident,
		       s.capacity, s.hits, s.misses, s.evictions, s.writebacks,
		       s.checkpoints);
		n = exodb_table_stats(db, ts, EXODB_MAX_TABLES + 1);
		for (int i = 0; i < n; i++)
			printf("table %u %s hits %llu misses %llu\n", ts[i].id,
			       ts[i].name, ts[i].hits, ts[i].misses);
	} else if (!strcmp(cmd, "drop")) {
		if (argc != 1)
			usage();
		if ((err = exodb_table_drop(db, argv[0])))
			rc = die(argv[0], err);
	} else if (!strcmp(cmd, "check")) {
		long p = exodb_check(db, stdout);

		if (p < 0)
			rc = die("check", (int)p);
		else if (p)
			rc = printf("%ld problems\n", p) < 0 || 1;
		else
			printf("ok\n");
	} else {
		int put = !strcmp(cmd, "put") || !strcmp(cmd, "load");

		if (argc < 1)
			usage();
		err = exodb_table(db, argv[0], put, &tbl);
		if (err) {
			exodb_close(db);
			return die(argv[0], err);
		}
		if (!strcmp(cmd, "scan")) {
			rc = cmd_scan(db, tbl, argc - 1, argv + 1, rev);
		} else if (!strcmp(cmd, "load")) {
			if (argc != 2)
				usage();
			rc = cmd_load(db, tbl, argv[1]);
		} else {
			exodb_txn *t;
			const void *v;
			size_t vl;

			if ((!strcmp(cmd, "put") && argc != 3) ||
			    (strcmp(cmd, "put") && argc != 2))
				usage();
			err = exodb_begin(db, strcmp(cmd, "get") ? 0 :
					  EXODB_RDONLY, &t);
			if (!err && !strcmp(cmd, "put"))
				err = exodb_put(t, tbl, argv[1], strlen(argv[1]),
						argv[2], strlen(argv[2]));
			else if (!err && !strcmp(cmd, "del"))
				err = exodb_del(t, tbl, argv[1], strlen(argv[1]));
			else if (!err && !strcmp(cmd, "get"))
				err = exodb_get(t, tbl, argv[1], strlen(argv[1]),
						&v, &vl);
			else if (!err)
				usage();
			if (!err && !strcmp(cmd, "get")) {
				print_bytes(v, vl);
				putchar('\n');
			}
			if (err) {
				if (t)
					exodb_abort(t);
				rc = die(cmd, err);
			} else if ((err = exodb_commit(t))) {
				rc = die("commit", err);
			}
		}
	}
	err = exodb_close(db);
	if (err && !rc)
		rc = die("close", err);
	return rc;
}
