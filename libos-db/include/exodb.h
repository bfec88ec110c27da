/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libexodb — a transactional key-value storage engine, a library OS on exo.
 *
 * Tables are B+trees of variable-length keys and values, kept in pages of
 * EXODB_PAGE bytes.  Pages live in a buffer pool at fixed virtual addresses
 * (vmcache's design) backed either by exo frames with I/O straight between
 * exo extents and frames ("exo:KEYFILE"), or by anonymous memory with
 * pread/pwrite on a file through Linux's page cache ("file:PATH", or a
 * bare path).  A redo log with group commit makes every acknowledged
 * commit durable.
 *
 * Conventions (as libexo's): calls return 0 or a non-negative value on
 * success and a negative errno value on error, errno set too.  Errors
 * particular to the engine:
 *   -EAGAIN    a read-only transaction saw a commit happen under it and
 *              must be aborted and retried (optimistic readers)
 *   -ENOENT    no such key or table
 *   -EUCLEAN   a page or log record failed its checksum (corruption)
 *   -E2BIG     key or value over the limits below
 *   -EROFS     a write in a read-only transaction
 *   -EINVAL    a handle that is not live: commit without begin, a finished
 *              transaction, a closed cursor
 *   -EBADF     a closed database
 *   -ENOMEM    out of memory, or a transaction touching more pages than
 *              half the pool can hold (nothing of it happened)
 */
#ifndef EXODB_H
#define EXODB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EXODB_API
#define EXODB_API __attribute__((visibility("default")))
#endif

#define EXODB_PAGE		4096
#define EXODB_MAX_KEY		512		/* bytes */
#define EXODB_MAX_VALUE		(64u << 20)	/* bytes, overflow pages beyond ~700 */
#define EXODB_MAX_NAME		64		/* table name */
#define EXODB_MAX_TABLES	250

typedef struct exodb exodb;
typedef struct exodb_txn exodb_txn;
typedef struct exodb_cursor exodb_cursor;

enum exodb_policy {
	EXODB_POLICY_2Q = 0,		/* default: scan resistant */
	EXODB_POLICY_CLOCK = 1,		/* second chance */
};

/* Options of exodb_open(); zero means the default. */
struct exodb_opts {
	size_t sz;			/* sizeof(struct exodb_opts) */
	unsigned int create;		/* make the database if absent */
	unsigned int pool_pages;	/* frames of the pool (default 4096) */
	unsigned int policy;		/* enum exodb_policy */
	unsigned long long max_pages;	/* database size limit, pages (default 2^22) */
	unsigned int log_blocks;	/* circular log size in 4 KiB blocks (default 4096) */
	unsigned int no_sync;		/* tests only: skip fdatasync/flushes */
	int exo_fd;			/* exo backend: an open /dev/exo, or -1 to open one */
	unsigned int read_ahead;	/* read ahead of hinted scans on the file
					   backend too (exo: always) */
};

/*
 * Open the database at @uri: "file:PATH" or "PATH" (data in PATH, log in
 * PATH-wal), or "exo:KEYFILE" (extents on exo's attached device, owned by
 * the principal whose key is in KEYFILE; made at create, mode 0600).
 * Recovery runs here.  Returns 0, or -errno on error.
 */
EXODB_API int exodb_open(const char *uri, const struct exodb_opts *opts,
			 exodb **dbp);

/*
 * Checkpoint and close.  Open transactions are aborted.  The handle keeps
 * a few bytes so later use gets -EBADF.  Returns 0, or -errno on error.
 */
EXODB_API int exodb_close(exodb *db);

/*
 * The table @name: its id in *@id.  With @create, made if absent (its own
 * durable transaction).  Returns 0, or -errno (-ENOENT: no such table).
 */
EXODB_API int exodb_table(exodb *db, const char *name, int create,
			  unsigned int *id);

/*
 * Drop the table @name: its name goes at once (its id reads as no table;
 * a transaction that wrote to it gets -ENOENT at commit), then its pages
 * go to the free list, a bounded number per commit, so a table larger
 * than the pool can be dropped.  A drop cut short by a crash goes on at
 * the next open.  The id is made again once every page is free.  Returns
 * 0 once durable, or -errno (-ENOENT: no such table).
 */
EXODB_API int exodb_table_drop(exodb *db, const char *name);

/* Transactions.  EXODB_RDONLY: a read-only one (never blocks). */
#define EXODB_RDONLY	1u
EXODB_API int exodb_begin(exodb *db, unsigned int flags, exodb_txn **txnp);
/* Returns 0 once durable, or -errno (then nothing of it happened). */
EXODB_API int exodb_commit(exodb_txn *txn);
EXODB_API int exodb_abort(exodb_txn *txn);

/*
 * The value of @key: *@val points into the transaction and stays valid
 * until its next call.  Returns 0, or -errno (-ENOENT: no such key).
 */
EXODB_API int exodb_get(exodb_txn *txn, unsigned int tbl, const void *key,
			size_t klen, const void **val, size_t *vlen);
EXODB_API int exodb_put(exodb_txn *txn, unsigned int tbl, const void *key,
			size_t klen, const void *val, size_t vlen);
/* Returns 0, or -errno (-ENOENT: no such key). */
EXODB_API int exodb_del(exodb_txn *txn, unsigned int tbl, const void *key,
			size_t klen);

/* Cursors: positioned by seek, moved by next/prev; -ENOENT past either end. */
enum exodb_seek { EXODB_FIRST, EXODB_LAST, EXODB_GE, EXODB_LE };
EXODB_API int exodb_cursor_open(exodb_txn *txn, unsigned int tbl,
				exodb_cursor **curp);
EXODB_API int exodb_cursor_seek(exodb_cursor *cur, enum exodb_seek how,
				const void *key, size_t klen);
EXODB_API int exodb_cursor_next(exodb_cursor *cur);
EXODB_API int exodb_cursor_prev(exodb_cursor *cur);
/* The current entry; pointers valid until the cursor moves. */
EXODB_API int exodb_cursor_get(exodb_cursor *cur, const void **key,
			       size_t *klen, const void **val, size_t *vlen);
/* Hint: the cursor will sweep much of the table once (scan resistance). */
EXODB_API void exodb_cursor_hint_scan(exodb_cursor *cur, int on);
EXODB_API void exodb_cursor_close(exodb_cursor *cur);

struct exodb_table_stats {
	char name[EXODB_MAX_NAME + 1];
	unsigned int id;
	unsigned long long hits, misses;
};

struct exodb_stats {
	unsigned long long pages;	/* database size, pages */
	unsigned long long free_pages;
	unsigned long long resident, capacity;	/* pool, pages */
	unsigned long long hits, misses, evictions, writebacks;
	unsigned long long commits, log_flushes, log_bytes, checkpoints;
	unsigned long long conflicts;	/* read-only transactions told to retry */
	unsigned long long revoke_requests, revoked_frames, repossessed;
	const char *backend, *policy;
	unsigned long long readahead;	/* of the misses, read ahead of a scan */
};
EXODB_API int exodb_stats(exodb *db, struct exodb_stats *st);
/* Per-table counters of up to @max tables.  Returns the number of tables. */
EXODB_API int exodb_table_stats(exodb *db, struct exodb_table_stats *ts,
				int max);

/*
 * Walk every table and the free list: key order, fences, sibling links,
 * page checksums, levels, and that every page is used exactly once.
 * Each problem is printed to @out (may be NULL).  Returns the number of
 * problems, or -errno.
 */
EXODB_API long exodb_check(exodb *db, FILE *out);

/* Write every dirty page and truncate the log.  Returns 0 or -errno. */
EXODB_API int exodb_checkpoint(exodb *db);

/*
 * exo backend: answer pending exo events (revocation: give back the
 * coldest frames, writing dirty ones first; repossession: rebuild).  A
 * thread of the engine does this by itself; this call does it now.
 * Returns the number of events handled, or -errno.
 */
EXODB_API int exodb_poll_events(exodb *db, int timeout_ms);

EXODB_API const char *exodb_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif /* EXODB_H */
