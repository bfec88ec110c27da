/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libexodb internals: one header for the engine's parts.
 *
 *   pool/      buffer pool: page-state words, faults, eviction (pool.c),
 *              the replacement policy (policy.c), the I/O backends
 *              (backend-file.c, backend-exo.c) behind struct backend
 *   btree/     page layout (page.c: header, checksum, slotted nodes) and
 *              the B+tree (btree.c) with its cursors
 *   wal/       the redo log: records, group commit, checkpoints, recovery
 *   txn/       transactions: write sets, commit (apply + log), readers
 *   db/        open/close, meta page, catalogue, space, check
 */
#ifndef EXODB_INTERNAL_H
#define EXODB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "include/exodb.h"

#define PAGE		EXODB_PAGE
#define LOG_MAX_EXTENTS	200	/* data extents a database may grow to */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

struct exodb;

/* ---- util/crc32c.c ---------------------------------------------------- */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- on-disk page header (btree/page.c) -------------------------------- */
enum page_type {
	PT_ZERO = 0,	/* never written */
	PT_META = 1,
	PT_LEAF = 2,
	PT_INNER = 3,
	PT_OVERFLOW = 4,
	PT_FREE = 5,
};

struct page_hdr {
	uint32_t crc;		/* crc32c of bytes [4, PAGE) */
	uint8_t type;		/* enum page_type */
	uint8_t flags;		/* node: NF_* */
	uint16_t level;		/* node: 0 for a leaf */
	uint32_t table;		/* owning table id */
	uint32_t __pad;
	uint64_t pid;		/* where the page belongs (misdirected writes) */
	uint64_t lsn;		/* last log record applied */
};

void page_seal(void *p);			/* set crc */
int page_sealed(const void *p, uint64_t pid);	/* crc, pid, type: 0/-EUCLEAN */
int page_verify(const void *p, uint64_t pid);	/* sealed, and a sound node */

/* ---- backends (pool/backend-*.c) ---------------------------------------- */
/*
 * One I/O element: data page or log block @block, in memory at @addr,
 * which on exo is bound to frame @frame.
 */
struct be_vec {
	uint64_t block;
	void *addr;
	uint64_t frame;
};

enum be_area { BE_DATA, BE_LOG };

struct backend;
struct be_ops {
	const char *name;
	/*
	 * The pool reads ahead of hinted scans (exo: reads land straight in
	 * frames); the file backend leaves that to the page cache, whose own
	 * read-ahead a second layer would only double within one budget.
	 */
	bool read_ahead;
	/* frames: get @n (exo: allocate) / give back */
	int (*frames_get)(struct backend *, uint32_t n, uint64_t *frames);
	int (*frames_put)(struct backend *, const uint64_t *frames, uint32_t n);
	/* bind frames at addresses / remove bindings (batched) */
	int (*map)(struct backend *, const struct be_vec *v, uint32_t n);
	int (*unmap)(struct backend *, const struct be_vec *v, uint32_t n);
	/* read or write @n blocks; @durable: on stable storage when done */
	int (*read)(struct backend *, enum be_area, const struct be_vec *v,
		    uint32_t n);
	int (*write)(struct backend *, enum be_area, const struct be_vec *v,
		     uint32_t n, bool durable);
	int (*sync)(struct backend *, enum be_area);
	/* make the data area hold at least @npages pages */
	int (*grow)(struct backend *, uint64_t npages);
	/* reserve @len bytes of address space for the pool or the log buffer */
	void *(*reserve)(struct backend *, size_t len);
	void (*release)(struct backend *, void *addr, size_t len);
	int (*poll_events)(struct backend *, struct exodb *db, int timeout_ms);
	void (*close)(struct backend *);
	/*
	 * exo: from a SIGBUS handler (system calls only), bind a new frame
	 * at @addr, holding data page @block's copy on disk (BE_DATA) or
	 * zeroes; -EEXIST if @addr is bound already.  The new frame is stored
	 * in *@frame as soon as it is bound, before the page is touched: exo
	 * may take it too before the copy is done, and the handler that
	 * runs then (nested) must find it and put its own in its place.
	 * NULL: frames are never taken (the file backend).
	 */
	int (*replace)(struct backend *, enum be_area, uint64_t block,
		       void *addr, uint64_t *frame);
};

struct backend {
	const struct be_ops *ops;
	/* exo: the data extents, in page order (kept in the log header) */
	uint32_t nextents;
	struct { uint64_t start, count; } ext[LOG_MAX_EXTENTS];
	/* called after the extents changed: make the header say so */
	int (*extents_changed)(struct backend *, void *ctx);
	void *ctx;
	uint64_t data_pages;	/* pages the data area holds now */
	uint64_t log_blocks;	/* blocks of the log area (2 header blocks + ring) */
	bool created;		/* this open made the database */
	bool no_sync;
	bool read_ahead;	/* the pool reads ahead of hinted scans */
};

int be_file_open(const char *path, const struct exodb_opts *o,
		 struct backend **bep);
int be_exo_open(const char *keyfile, const struct exodb_opts *o,
		struct backend **bep);
/* exo: the frame quota the info page allows (0 on the file backend) */
uint32_t be_exo_quota(struct backend *be);

/* ---- replacement policy (pool/policy.c) --------------------------------- */
struct policy;
enum pol_hint { POL_NORMAL = 0, POL_SCAN = 1 };
struct policy *policy_new(enum exodb_policy kind, uint64_t npages,
			  uint32_t capacity);
void policy_free(struct policy *);
const char *policy_name(const struct policy *);
void policy_set_capacity(struct policy *, uint32_t capacity);
void policy_insert(struct policy *, uint64_t pid, enum pol_hint);
void policy_hit(struct policy *, uint64_t pid, enum pol_hint);
void policy_remove(struct policy *, uint64_t pid);
/* up to @max candidates, coldest first; they stay in until removed */
uint32_t policy_victims(struct policy *, uint64_t *out, uint32_t max);

/* ---- buffer pool (pool/pool.c) ------------------------------------------ */
/*
 * Page-state word, as vmcache's: low 8 bits the state, the rest a version
 * bumped by every exclusive unlock and every eviction.  Evicted is 0 so
 * that the zero-filled array of a fresh pool says "nothing resident";
 * shared by n is 1 + n.
 */
#define PS_EVICTED	0
#define PS_UNLOCKED	1
#define PS_MAX_SHARED	252
#define PS_LOCKED	253
#define PS_MARKED	254
#define PS_STATE(w)	((unsigned)((w) & 0xff))
#define PS_VERSION(w)	((w) >> 8)
#define PS_MAKE(v, s)	(((uint64_t)(v) << 8) | (s))

struct pmeta {
	_Atomic uint64_t state;
	uint64_t frame;		/* exo frame capability while resident */
	uint8_t dirty;
	uint8_t pinned;		/* touched by the commit being applied */
	uint8_t lost;		/* frame repossessed: rebuild (pool/lost.c) */
	uint8_t replaced;	/* @frame is the SIGBUS handler's */
	uint32_t table;		/* for the per-table counters */
	/* commit_seq (odd) of the last apply that touched the page (txn.c) */
	_Atomic uint64_t wseq;
};

struct tcount { _Atomic uint64_t hits, misses; };

struct pool {
	struct exodb *db;
	struct backend *be;
	char *base;			/* page pid at base + pid * PAGE */
	uint64_t npages;		/* virtual range, pages */
	_Atomic uint64_t hw;		/* above every page ever resident */
	struct pmeta *pm;
	struct policy *pol;
	pthread_mutex_t lock;		/* frames, policy, resident count */
	uint32_t capacity;		/* frames we may hold */
	uint32_t held;			/* frames held (resident + free) */
	uint32_t resident;
	uint64_t *free_frames;
	uint32_t nfree;
	struct tcount tstat[EXODB_MAX_TABLES + 1];
	_Atomic uint64_t hits, misses, evictions, writebacks;
	_Atomic uint64_t readahead;	/* misses read ahead of a sweep */
	_Atomic uint64_t lost_seq;	/* bumped by every frame replaced */
	_Atomic uint32_t lost_pages;	/* pages lost, not rebuilt yet */
	/* WAL rule: called before a page with this LSN is written */
	int (*flush_log)(struct exodb *db, uint64_t lsn);
};

/*
 * A read-only transaction's snapshot for this thread's shared latches:
 * a page whose wseq is >= pool_ro_limit changed after the snapshot, and
 * pool_ro_stale is set (0: no snapshot, nothing checked).
 */
extern __thread uint64_t pool_ro_limit;
extern __thread bool pool_ro_stale;

int pool_init(struct pool *p, struct exodb *db, struct backend *be,
	      uint64_t npages, uint32_t capacity, enum exodb_policy pol);
void pool_destroy(struct pool *p);
static inline void *pool_addr(struct pool *p, uint64_t pid)
{
	return p->base + pid * PAGE;
}
/* fix flags */
#define FIX_NOVERIFY	1u	/* recovery/check: do not fail on a bad crc */
#define FIX_NEW		2u	/* a page being allocated: no read, zeroed */
#define FIX_SCAN	4u	/* hint: part of a sweep */
/* Returns the page address, or NULL with *err set. */
void *pool_fix_s(struct pool *p, uint64_t pid, uint32_t tbl, unsigned fl,
		 int *err);
void *pool_fix_x(struct pool *p, uint64_t pid, uint32_t tbl, unsigned fl,
		 int *err);
bool pool_tryfix_s(struct pool *p, uint64_t pid);
void pool_unfix_s(struct pool *p, uint64_t pid);
void pool_unfix_x(struct pool *p, uint64_t pid);
uint64_t pool_version(struct pool *p, uint64_t pid);
/* write one page held exclusively or shared (seals it first) */
int pool_write_back(struct pool *p, uint64_t pid);
/* write every dirty page; returns 0 or -errno */
int pool_flush_all(struct pool *p, uint64_t hw);
/* give back @n frames (revocation); returns how many were given back */
int pool_shrink_to(struct pool *p, uint32_t cap);	/* hold <= cap */
int pool_give(struct pool *p, uint32_t n);	/* a revocation of n */
void pool_set_capacity(struct pool *p, uint32_t cap);
/* add this thread's hits to the counters (transaction end, stats) */
void pool_hits_flush(void);

/* ---- repossessed frames (pool/lost.c) ------------------------------------ */
#define LOST_MAX_HELD	64
struct lost_tls {
	sigjmp_buf *jb;		/* armed: where a loss jumps to */
	int depth;		/* inside the pool: no jump now */
	int pending;		/* a loss hit us inside: jump when out */
	int overflow;		/* too many latches to track: no jump */
	int in_handler;		/* the SIGBUS handler is running (nested) */
	int n;			/* latches held, while armed */
	uint64_t pid[LOST_MAX_HELD];
	uint8_t x[LOST_MAX_HELD];
};
extern __thread struct lost_tls lost_tls __attribute__((tls_model("initial-exec")));

/*
 * An I/O or a map named a frame exo repossessed (a tombstone, or closed).
 * Only a backend whose frames can be taken (->replace) says so: the file
 * backend's EBADF or ESTALE (NFS) is an I/O error like any other.
 */
static inline bool frame_dead(const struct backend *be, int err)
{
	return be->ops->replace &&
	       (err == -EKEYREVOKED || err == -ESTALE || err == -EBADF);
}

void lost_register(struct exodb *db);
void lost_unregister(struct exodb *db);
void pool_mark_lost(struct pool *p, uint64_t frame);
void pool_page_lost(struct pool *p, uint64_t pid);	/* its frame is dead */
int pool_sweep_dead(struct pool *p, bool (*dead)(void *, uint64_t),
		    void *ctx);
int pool_reload(struct pool *p, uint64_t pid);	/* latched X: disk's copy */
int db_rebuild_lost(struct exodb *db);		/* holding db->rebuild */
void lost_wait_rebuilt(struct exodb *db);
int lost_settle(struct exodb *db, uint64_t *seq);
void set_evicted_at(struct pool *p, uint64_t pid);	/* pool.c */
void lost_landed(struct pool *p);
void lost_escape_pending(void);

/* the handler reads these: no store may move past a fence (signal order) */
static inline void lost_arm(sigjmp_buf *jb)
{
	lost_tls.n = lost_tls.pending = lost_tls.overflow = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lost_tls.jb = jb;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void lost_disarm(void)
{
	lost_tls.jb = NULL;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lost_tls.n = 0;
}

/* inside the pool: a loss waits for the next fix to jump */
static inline void lost_enter(void)
{
	lost_tls.depth++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void lost_leave(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lost_tls.depth--;
}

static inline void lost_held(uint64_t pid, bool x)
{
	if (!lost_tls.jb)
		return;
	if (lost_tls.n == LOST_MAX_HELD) {
		lost_tls.overflow = 1;
		return;
	}
	lost_tls.pid[lost_tls.n] = pid;
	lost_tls.x[lost_tls.n] = x;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	lost_tls.n++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void lost_dropped(uint64_t pid)
{
	if (!lost_tls.jb)
		return;
	for (int i = lost_tls.n; i-- > 0;)
		if (lost_tls.pid[i] == pid) {
			lost_tls.pid[i] = lost_tls.pid[lost_tls.n - 1];
			lost_tls.x[i] = lost_tls.x[lost_tls.n - 1];
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			lost_tls.n--;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			return;
		}
}

/* ---- slotted nodes (btree/page.c) ---------------------------------------- */
#define NF_LO_INF	1	/* low fence is -infinity */
#define NF_HI_INF	2	/* high fence is +infinity */

struct node {
	struct page_hdr h;
	uint16_t nslots;
	uint16_t data_lo;	/* cells occupy [data_lo, PAGE) */
	uint16_t garbage;	/* dead bytes there */
	uint16_t lo_len, lo_off, hi_len, hi_off;
	uint16_t __pad;
	uint64_t next, prev;	/* leaf siblings (0: none) */
	uint64_t upper;		/* inner: child for keys above every separator */
	uint16_t slot[];
};
#define NODE_HDR	((size_t)offsetof(struct node, slot))

/* leaf cell: u16 klen, u16 vinfo, key, value (or overflow ref) */
#define V_OVERFLOW	0x8000
#define INLINE_MAX	700	/* cell size above which the value overflows */
struct ovf_ref { uint32_t len; uint64_t pid; } __attribute__((packed));

struct ovf_page {
	struct page_hdr h;
	uint64_t next;
	uint32_t len;
	uint32_t __pad;
	uint8_t data[];
};
#define OVF_CAP		(PAGE - offsetof(struct ovf_page, data))

struct free_page {
	struct page_hdr h;
	uint64_t next;
};

void node_init(struct node *n, uint64_t pid, uint32_t tbl, uint16_t level);
size_t node_free_space(const struct node *n);	/* after compaction */
const uint8_t *node_key(const struct node *n, int i, size_t *klen);
const uint8_t *leaf_val(const struct node *n, int i, size_t *vlen,
			bool *ovf);
/*
 * Slot @i of leaf @n: 1 with the reference in *@r if its value is on an
 * overflow chain, 0 if inline, -EUCLEAN if an overflow cell is not one
 * reference long.
 */
int leaf_ovf(const struct node *n, int i, struct ovf_ref *r);
uint64_t inner_child(const struct node *n, int i);	/* i == nslots: upper */
/* first slot whose key >= key (@eq set if equal) */
int node_lower_bound(const struct node *n, const void *key, size_t klen,
		     bool *eq);
int node_insert(struct node *n, int at, const void *k, size_t kl,
		const void *v, size_t vl, uint16_t vinfo);
void node_remove(struct node *n, int at);
void node_compact(struct node *n);
int node_set_fences(struct node *n, const void *lo, size_t lol, bool lo_inf,
		    const void *hi, size_t hil, bool hi_inf);
const uint8_t *node_lo(const struct node *n, size_t *len);	/* NULL: -inf */
const uint8_t *node_hi(const struct node *n, size_t *len);	/* NULL: +inf */
bool fence_eq(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);
int node_check(const struct node *n, char *why, size_t wlen);
int keycmp(const void *a, size_t al, const void *b, size_t bl);

/* ---- meta page (pid 0) and catalogue ----------------------------------- */
#define META_MAGIC	0x65786f4442ULL		/* "exoDB" */
#define CATALOG_TABLE	0
#define CATALOG_ROOT	1
struct meta_page {
	struct page_hdr h;
	uint64_t magic;
	uint32_t version, page_size;
	uint64_t npages;	/* pages in use or on the free list */
	uint64_t free_head;
	uint64_t nfree;
	uint32_t next_table;
	uint32_t __pad;
};

struct catalog_val {
	uint32_t id;
	uint32_t __pad;
	uint64_t root;
};

/* ---- B+tree (btree/btree.c) --------------------------------------------- */
struct tree_ctx;	/* the commit being applied (txn/txn.c) */
int bt_get(struct exodb *db, uint32_t tbl, uint64_t root, const void *k,
	   size_t kl, uint8_t **buf, size_t *cap, size_t *vl, unsigned fl);
int bt_put(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
	   uint64_t root, const void *k, size_t kl, const void *v,
	   size_t vl);
int bt_del(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
	   uint64_t root, const void *k, size_t kl);
int bt_create(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
	      uint64_t *root);
/* free about @budget pages of the tree at @root; *@done: all of it */
int bt_drop_step(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		 uint64_t root, long budget, bool *done);

/* A position in a tree: the entry's key and value copied out. */
struct bt_cursor {
	struct exodb *db;
	uint32_t tbl;
	uint64_t root;
	unsigned fixfl;
	bool valid;
	uint64_t leaf, version;
	int slot;
	uint8_t *key, *val;
	size_t klen, vlen, kcap, vcap;
};
int btc_seek(struct bt_cursor *c, enum exodb_seek how, const void *k,
	     size_t kl);
int btc_next(struct bt_cursor *c);
int btc_prev(struct bt_cursor *c);
void btc_free(struct bt_cursor *c);

/* ---- space (db/space.c) -------------------------------------------------- */
int space_alloc(struct exodb *db, struct tree_ctx *tc, uint32_t tbl,
		uint16_t type, uint64_t *pid, void **page);
int space_free(struct exodb *db, struct tree_ctx *tc, uint64_t pid);

/* ---- the commit being applied (txn/txn.c) ---------------------------------- */
/* Fix @pid exclusively for modification: saves its pre-image, pins it. */
void *tc_fix(struct exodb *db, struct tree_ctx *tc, uint64_t pid,
	     uint32_t tbl, int *err);
void *tc_fix_new(struct exodb *db, struct tree_ctx *tc, uint64_t pid,
		 uint32_t tbl, int *err);
void tc_unfix(struct exodb *db, struct tree_ctx *tc, uint64_t pid);
int tc_begin(struct exodb *db, struct tree_ctx **tcp);
int tc_commit(struct exodb *db, struct tree_ctx *tc, uint64_t *lsn,
	      uint64_t lost_seq);
void tc_rollback(struct exodb *db, struct tree_ctx *tc);
void tc_idle_free(struct exodb *db);	/* at close */
/* A closed database's idle transaction shells give back their buffers. */
void txn_shrink_all(struct exodb *db);

/* ---- log (wal/wal.c) ----------------------------------------------------- */
enum rec_type { REC_PAD = 1, REC_IMAGE = 2, REC_DELTA = 3, REC_COMMIT = 4 };
struct rec_hdr {
	uint32_t crc;		/* crc32c of the record from @len on */
	uint32_t len;		/* header included */
	uint64_t lsn;		/* its own position */
	uint32_t epoch;		/* the open that wrote it */
	uint8_t type;
	uint8_t __pad[3];
	uint64_t pid;		/* IMAGE/DELTA: the page; COMMIT: txn id */
	uint64_t durable;	/* the durable LSN when it was appended */
};
#define REC_HDR		sizeof(struct rec_hdr)
#define REC_MAX		(REC_HDR + PAGE)	/* a record holds at most a page */
#define BUF_BLOCKS	256		/* the log's 1 MiB ring in memory */
#define STAGE_BLOCKS	64		/* its I/O goes through these */
#define WAL_FRAMES	(STAGE_BLOCKS + 1)	/* and one for the header */
#define LOG_HDR_BLOCKS	2
#define LOG_MAGIC	0x65786f4c4f47ULL	/* "exoLOG" */
struct log_header {
	uint32_t crc;
	uint32_t __pad;
	uint64_t magic;
	uint64_t gen;
	uint64_t ckpt_lsn;	/* redo starts here */
	uint32_t epoch;
	uint32_t nextents;	/* exo: data extents in order */
	uint64_t log_blocks;
	struct { uint64_t start, count; } ext[LOG_MAX_EXTENTS];
};

struct wal {
	struct exodb *db;
	struct backend *be;
	uint64_t ring_bytes;	/* log area after the header blocks */
	uint8_t *buf;		/* in-memory ring of bufsz bytes */
	uint8_t *hbuf;		/* one block for the header */
	uint64_t bufsz;
	uint8_t *stage;		/* WAL_FRAMES blocks for I/O (exo: frames) */
	uint64_t frames[WAL_FRAMES];
	pthread_mutex_t stage_lock;
	_Atomic int stage_lost;	/* the SIGBUS handler replaced one */
	pthread_mutex_t lock;	/* tail, appends */
	pthread_mutex_t flush_lock;
	pthread_cond_t cond;
	bool flushing;
	uint64_t tail;		/* next LSN to write */
	uint64_t durable;	/* everything below is on stable storage */
	uint64_t ckpt_lsn;
	uint32_t epoch;
	struct log_header hdr;	/* latest written */
	int io_error;
	_Atomic uint64_t flushes, bytes;
	/* test hook: crash simulation counts flush points */
	int (*fail_hook)(void *ctx, int point);
	void *fail_ctx;
};

int wal_open(struct wal *w, struct exodb *db, struct backend *be);
void wal_close(struct wal *w);
int wal_append(struct wal *w, uint8_t type, uint64_t pid, const void *a,
	       size_t al, const void *b, size_t bl, uint64_t *lsn);
int wal_flush_to(struct wal *w, uint64_t lsn);
int wal_write_header(struct wal *w, uint64_t ckpt_lsn);
int wal_recover(struct wal *w);

/* ---- the database ------------------------------------------------------ */
struct txn_ws;

struct exodb {
	uint32_t magic;
	bool closed;
	struct backend *be;
	struct pool pool;
	struct wal wal;
	pthread_mutex_t writer;		/* one writer at a time */
	/*
	 * Held while the pool's pages are changed or rebuilt: a commit
	 * being applied, an internal commit, a checkpoint, a check pass, a
	 * rebuild of lost pages (pool/lost.c).  Not for a whole write
	 * transaction: a page repossessed while one is open is rebuilt by a
	 * reader or the event thread.  Recursive (a commit's checkpoint, an
	 * apply's own rebuild); taken after writer.
	 */
	pthread_mutex_t rebuild;
	_Atomic uint64_t commit_seq;	/* odd while a commit is applied */
	_Atomic uint64_t cat_seq;	/* above commit_seq: a table dropped */
	_Atomic uint64_t last_commit_lsn;
	pthread_mutex_t txn_lock;	/* free_txns: shells no thread keeps */
	struct exodb_txn *free_txns;
	/*
	 * The catalogue in memory.  A table's root never moves (btree.c), so
	 * a root, once published (release, after the name, under cat_lock),
	 * is read without the lock: table_root().  A dropped table's root
	 * reads 0 from the drop's first commit on; its tree (drop_root) is
	 * freed by later commits, and only then is its id made again.  A
	 * reader that loaded the root before sees those commits and retries.
	 */
	pthread_mutex_t cat_lock;
	struct db_table { char name[EXODB_MAX_NAME + 1]; _Atomic uint64_t root;
		 uint64_t drop_root; bool used; } *tables;	/* [MAX_TABLES + 1] */
	uint64_t txid;
	_Atomic uint64_t commits, checkpoints, conflicts;
	_Atomic uint64_t revoke_requests, revoked_frames, repossessed;
	pthread_t ev_thread;
	bool ev_running;
	_Atomic bool ev_stop;
	_Atomic int broken;		/* a lost page could not be rebuilt */
	struct tree_ctx *tc_idle;	/* kept between commits (db->writer) */
	uint8_t *rec_buf;		/* a commit's records, built (ditto) */
	size_t rec_cap;
	bool recovering;
	struct exodb *next_closed;	/* the shells of closed handles */
};
#define DB_MAGIC	0x0e0db0dbu

/* Table @tbl's root page, 0 if there is no such table.  No lock. */
static inline uint64_t table_root(struct exodb *db, uint32_t tbl)
{
	if (tbl > EXODB_MAX_TABLES)
		return 0;
	return atomic_load_explicit(&db->tables[tbl].root,
				    memory_order_acquire);
}

int db_checkpoint_locked(struct exodb *db);
int db_log_room(struct exodb *db);
int db_load_catalog(struct exodb *db);
int db_drop_resume(struct exodb *db);
int db_table_drop(struct exodb *db, const char *name, unsigned int max_steps);
struct meta_page *db_meta_peek(struct exodb *db);

#endif /* EXODB_INTERNAL_H */
