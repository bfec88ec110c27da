/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exo — internal declarations shared by the module's files.
 *
 * Locking: one mutex, exo_lock, guards every capability table, the
 * derivation trees that cross them, the grant-key table, the env list and
 * the counters.  All of it is control path (derive, grant, revoke, close);
 * like netmap's NMG_LOCK it keeps the protocol simple to reason about.
 * Fast paths run without it: frame map and unmap look capabilities up
 * under their env's own mutex, env->lock, which every change of that
 * env's table and every death of a capability in it also takes (see
 * struct exo_env); I/O resolves its capabilities through env->cap_fast
 * (cap.c) and a NIC binding through RCU (nic.c).
 */
#ifndef _EXO_PRIV_H
#define _EXO_PRIV_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/fs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/exo.h>

/*
 * Capability slots per env, at most (handles keep 32 bits of slot index;
 * this bounds the table at 16 MiB).  Below it an env's table grows on
 * demand to what its quotas allow, plus caps_headroom: exo_cap_limit().
 */
#define EXO_MAX_CAPS_LIMIT	(1U << 20)
#define EXO_MAX_KEYS_LIMIT	(1U << 16)
#define EXO_EV_RING		EXO_EV_QUEUE	/* queued events per env */

extern struct mutex exo_lock;
extern struct list_head exo_envs;

/* Module parameters (main.c). */
extern unsigned int exo_max_caps;
extern unsigned int exo_caps_headroom;
extern unsigned int exo_max_keys;
extern unsigned int exo_null_quota;
extern unsigned int exo_frame_quota;

/* Counters, under exo_lock; shown in debugfs "totals". */
struct exo_stats {
	u64 envs;		/* open envs */
	u64 caps;		/* slots holding a cap, live or tombstone */
	u64 tombstones;
	u64 keys;
	u64 objects[EXO_KIND_MAX];
	u64 envs_opened;	/* cumulative from here on */
	u64 caps_created;
	u64 caps_revoked;
	u64 keys_created;
	atomic64_t frames_mapped;	/* bindings, all envs (env->lock) */
	u64 revocations;	/* requests made */
	u64 revocations_honoured;
	u64 revocations_aborted;
	u64 frames_repossessed;
	u64 nic_devs;		/* attached network devices */
	u64 nic_binds;		/* bindings, until their frames are back */
};
extern struct exo_stats exo_stats;

/*
 * Structs made and freed by the thousand on the frame fast path (a root
 * capability per frame allocated, a binding per frame mapped) are kept on
 * a bounded LIFO under a lock (exo_lock; an env's bindings: env->lock) when
 * freed and handed out again, as
 * io_uring keeps its requests: no allocator round trip, no init_on_alloc
 * memset, no slab page freed and re-zeroed between two batches.  Every
 * field is set by the code that takes one.  Off under KASAN unless asked
 * for (module parameter recycle_max), so that a use after free still lands
 * in freed slab memory.
 */
/* Kept per kind by default: 16 Ki caps and bindings, ~3 MiB at most. */
#define EXO_RECYCLE_MAX		16384
#define EXO_RECYCLE_LIMIT	65536	/* recycle_max= at most */

struct exo_recycle {
	struct kmem_cache *cache;
	struct mutex *lock;	/* held by every get and put */
	void *head;		/* singly linked through each object's first word */
	u32 count;
	u32 max;
};

void *exo_recycle_get(struct exo_recycle *r);
void exo_recycle_put(struct exo_recycle *r, void *obj);
void exo_recycle_init(struct exo_recycle *r, struct kmem_cache *cache,
		      struct mutex *lock);
void exo_recycle_drain(struct exo_recycle *r);

struct exo_env;
struct exo_cap;
struct seq_file;

/*
 * A resource object.  Alive while any capability (or, for later kinds, any
 * binding) holds a reference; charged to the env that allocated it.  What
 * its kind does is in exo_kinds[kind].
 */
struct exo_obj {
	struct kref ref;
	u32 kind;
	u64 id;
	struct exo_env *owner;	/* charged; holds a reference on the env */
};

/*
 * What the capability core needs from a resource kind, one table per kind
 * (iommufd's object ops): cap.c and debugfs.c call a kind only through
 * it, so a new kind is one file and one row of exo_kinds[] (main.c).
 */
struct exo_kind_ops {
	const char *name;	/* debugfs "caps" and "totals" */
	/* The last reference is gone: give the object back.  exo_lock held. */
	void (*release)(struct exo_obj *obj);
	/*
	 * debugfs: the kind's own file (NULL: none) and its lines; "check"'s
	 * invariants of the kind, one "bad: ..." line each, returning their
	 * number.  Both called without exo_lock: they take what they need.
	 */
	const char *debugfs;
	void (*show)(struct seq_file *m);
	u64 (*check)(struct seq_file *m);
	/* A revocable kind: its leases (lease.c); NULL if not revocable. */
	const struct exo_lease_ops *lease;
};

extern const struct exo_kind_ops *const exo_kinds[EXO_KIND_MAX];

/* A unit the lease engine took: its name, and the root capability it was. */
struct exo_lease_rec {
	u64 name;		/* a frame's PFN, an extent's first block */
	exo_cap_t cap;		/* now a tombstone */
};

/*
 * What the lease engine (lease.c) needs from a revocable kind.  A unit is
 * an object of the kind whose root capability the env holds.
 */
struct exo_lease_ops {
	u32 ev_flags;		/* EXO_EVF_* of the kind's events */
	/* Units @env holds now.  exo_lock held. */
	u64 (*held)(struct exo_env *env);
	/* Taken before exo_lock around an abort, if taking a unit sleeps. */
	void (*lock)(void);
	void (*unlock)(void);
	/*
	 * Take @env's newest unit below slot *@pos (moving *@pos to it):
	 * kill its capabilities and give it back, filling in @rec (its
	 * name, the handle of the root capability it was).  1 if one was
	 * taken, 0 if none is left, -errno to stop.  exo_lock held; may be
	 * dropped and taken again in between if the kind's lock is held.
	 */
	int (*take)(struct exo_env *env, u32 *pos, struct exo_lease_rec *rec);
	/* Record a unit taken where the env can read it (optional). */
	void (*record)(struct exo_env *env, const struct exo_lease_rec *rec);
};

/* A revocation of one kind from one env: lease.c.  Under exo_lock. */
struct exo_lease {
	struct exo_env *env;
	u32 kind;
	bool aborting;		/* the abort is taking units */
	u64 seq;		/* latest request number, 0 if none */
	u64 owed;		/* units still owed, 0: no request in progress */
	u64 keep;		/* units the env may keep */
	u64 deadline_ns;	/* CLOCK_MONOTONIC */
	struct delayed_work abort_work;
};

/*
 * Something made through a capability that must end when it dies: a frame
 * binding, a NIC binding (through its flow and each ring frame), a WAIT's
 * window.  The kind that makes one hangs it on the capability with
 * exo_cap_use_add(); when the capability dies, cap.c takes each off the
 * list and calls its dies() (exo_lock held).  A use that ends first takes
 * itself off with list_del_init(&use->node), exo_lock held.
 *
 * A use made on a fast path, without exo_lock (a frame binding), hangs on
 * cap->local_uses instead, with exo_cap_local_use_add() under the holder
 * env's env->lock, and ends (or is ended by the capability's death, whose
 * dies() is then called with that lock held, not exo_lock) under it.
 */
struct exo_cap_use;

struct exo_use_ops {
	void (*dies)(struct exo_cap_use *use);
	/*
	 * Many of this sort may hang off one capability (frame bindings);
	 * the others are at most one per capability, kept at the head of
	 * the list where exo_cap_find_use() looks for them.
	 */
	bool shared;
};

struct exo_cap_use {
	struct list_head node;		/* in cap->uses */
	const struct exo_use_ops *ops;
};

struct exo_cap {
	struct exo_obj *obj;	/* NULL once revoked: a tombstone */
	struct exo_env *env;	/* holder */
	struct exo_cap *parent;
	struct list_head children;
	struct list_head sibling;	/* in parent->children */
	struct list_head keys;		/* grant keys naming this cap */
	struct list_head walk;		/* revoke traversal, local */
	struct list_head uses;		/* struct exo_cap_use: made through it */
	struct list_head local_uses;	/* the same, made under env->lock */
	u32 rights;
	u32 slot;
	u32 depth;
};

struct exo_slot {
	struct exo_cap *cap;	/* NULL when free */
	u32 gen;		/* generation of the current or next occupant */
	u32 next_free;		/* free list link, valid when cap == NULL */
};

#define EXO_SLOT_NONE	U32_MAX

struct exo_env {
	struct kref ref;	/* the file, plus one per object it owns */
	u64 id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	struct list_head node;	/* in exo_envs while open */
	bool closed;

	void *scratch;		/* batch calls' working buffer (main.c) */
	unsigned long scratch_busy;	/* bit 0: a call is using it */

	/*
	 * The env's own lock, for the fast paths (frame map and unmap, the
	 * region's faults), which take it and not exo_lock.  Every change of
	 * the capability table below (the array, a slot's capability and
	 * generation) and every capability of this table dying (cap->obj
	 * going NULL) happens with exo_lock and this lock held, so either
	 * one is enough to look a capability up; the uses made under it alone
	 * (cap->local_uses: frame bindings, env->binds) end under it when the
	 * capability dies.  Order: mmap_lock -> exo_lock -> env->lock ->
	 * i_mmap_rwsem; one env's lock at a time.
	 */
	struct mutex lock;

	/*
	 * The capability table (exo_lock, changes also env->lock): it is
	 * reallocated when it grows (exo_slots_grow()), so nothing may keep
	 * a pointer into it, or a slot index it has not looked up again,
	 * across a drop of both locks or a call that may make a capability.
	 */
	struct exo_slot *slots;
	u32 nslots;		/* allocated */
	u32 nfree;		/* on the free list */
	u32 max_caps;		/* fixed limit, or 0: follow the quotas */
	u32 caps_headroom;	/* beyond the quotas' sum, when following */
	u32 used_slots;
	u32 free_head;

	/*
	 * Capabilities used for I/O, found without exo_lock: slot -> struct
	 * exo_cap_fast (cap.c, exo_cap_pin()), under the xarray's lock.
	 */
	struct xarray cap_fast;

	u32 nkeys;
	u32 max_keys;

	u32 quota[EXO_KIND_MAX];
	u32 used[EXO_KIND_MAX];

	/*
	 * Frame bindings (page.c): region page offset -> struct exo_bind.
	 * Changed only with env->lock held (batches keep an xarray cursor
	 * across xa_lock drops on the strength of that); faults read it under
	 * env->lock.  Freed bindings are kept for reuse, under env->lock.
	 */
	struct address_space mapping;	/* every mmap of this env's fd */
	struct xarray binds;
	struct exo_recycle bind_recycle;
	u32 frames_mapped;
	u32 frames_mapped_counted;	/* in exo_stats.frames_mapped */
	u32 binds_spare;		/* reserved entries in binds */
	struct exo_env_page *page;	/* read-only info page */

	/* Events (event.c: read/poll) and revocations (lease.c). */
	wait_queue_head_t wq;
	struct exo_event events[EXO_EV_RING];
	u32 ev_head;
	u32 ev_count;
	bool ev_lost;
	struct exo_lease lease[EXO_KIND_MAX];	/* revocable kinds' */

	/* NIC bindings (nic.c, RCU list) and what predicates see. */
	struct list_head nic_binds;
	/* Flow capability slot -> its binding, for lookups without exo_lock. */
	struct xarray nic_fast;
	spinlock_t pred_lock;		/* pred_waiters; evaluations, bh off */
	struct list_head pred_waiters;
	atomic64_t nic_rx;
	atomic64_t nic_tx;
	atomic64_t io_done;
	atomic64_t pred_evals;
	atomic64_t pred_wakeups;

	/* Disk extents (extent.c): the principal key, under exo_xsem. */
	struct exo_key xkey;
	bool xkey_set;
};

/* main.c */
void exo_env_get(struct exo_env *env);
void exo_env_put(struct exo_env *env);
void *exo_scratch_get(struct exo_env *env, size_t size);
void exo_scratch_put(struct exo_env *env, void *buf);
void *exo_batch_copy(struct exo_env *env, u64 uptr, u32 count, size_t elem,
		     size_t extra);

/* event.c */
void exo_env_post(struct exo_env *env, const struct exo_event *ev);
ssize_t exo_read(struct file *file, char __user *buf, size_t len,
		 loff_t *ppos);
__poll_t exo_poll(struct file *file, struct poll_table_struct *wait);

/* cap.c */
int exo_caps_init(void);
void exo_caps_exit(void);
void exo_env_caps_init(struct exo_env *env);
/* cap.c: without exo_lock (takes it on a first use); see its comment. */
int exo_cap_pin(struct exo_env *env, exo_cap_t h, u32 kind, u32 need,
		struct exo_obj **objp);
/* cap.c: with exo_lock or env->lock held (a fast path: env->lock). */
int exo_cap_lookup(struct exo_env *env, exo_cap_t h, u32 need,
		   struct exo_cap **capp);
int exo_cap_get(struct exo_env *env, exo_cap_t h, u32 kind, u32 need,
		struct exo_cap **capp);
/* cap.c: with cap->env->lock held. */
void exo_cap_local_use_add(struct exo_cap *cap, struct exo_cap_use *use,
			   const struct exo_use_ops *ops);
/* cap.c: everything below is called with exo_lock held. */
exo_cap_t exo_cap_handle(const struct exo_cap *cap);
struct exo_cap *exo_cap_next(struct exo_env *env, u32 *pos);
struct exo_cap *exo_cap_prev(struct exo_env *env, u32 *pos);
void exo_cap_use_add(struct exo_cap *cap, struct exo_cap_use *use,
		     const struct exo_use_ops *ops);
struct exo_cap_use *exo_cap_find_use(struct exo_cap *cap,
				     const struct exo_use_ops *ops);
int exo_cap_install_root(struct exo_env *env, struct exo_obj *obj,
			 exo_cap_t *h);
int exo_cap_install_root_locked(struct exo_env *env, struct exo_obj *obj,
				exo_cap_t *h);
u32 exo_cap_limit(const struct exo_env *env);
int exo_caps_reserve(struct exo_env *env, u32 n);
int exo_cap_close_handle(struct exo_env *env, exo_cap_t h);
u64 exo_cap_kill_tree(struct exo_cap *root, bool self);
void exo_env_close_all(struct exo_env *env);
int exo_obj_charge(struct exo_env *env, u32 kind);
void exo_obj_init(struct exo_obj *obj, struct exo_env *owner, u32 kind);
void exo_obj_put(struct exo_obj *obj);
void exo_obj_put_unlocked(struct exo_obj *obj);

int exo_ioc_cap_info(struct exo_env *env, void *arg);
int exo_ioc_cap_derive(struct exo_env *env, void *arg);
int exo_ioc_cap_revoke(struct exo_env *env, void *arg);
int exo_ioc_cap_close(struct exo_env *env, void *arg);
int exo_ioc_caps_close(struct exo_env *env, void *arg);
int exo_ioc_cap_export(struct exo_env *env, void *arg);
int exo_ioc_cap_import(struct exo_env *env, void *arg);
int exo_ioc_key_drop(struct exo_env *env, void *arg);
void exo_undo_cap_out(struct exo_env *env, exo_cap_t h);
void exo_undo_export(struct exo_env *env, void *arg);
void exo_undo_import(struct exo_env *env, void *arg);

/* The kinds (each in its file). */
extern const struct exo_kind_ops exo_null_kind;
extern const struct exo_kind_ops exo_frame_kind;
extern const struct exo_kind_ops exo_extent_kind;
extern const struct exo_kind_ops exo_flow_kind;
extern const struct exo_kind_ops exo_xn_kind;

/* lease.c */
int exo_lease_request(struct exo_env *env, u32 kind, u64 count,
		      u32 deadline_ms);
int exo_lease_request_all(u32 kind, u64 count, u32 deadline_ms);
void exo_lease_update(struct exo_env *env, u32 kind);
void exo_env_leases_init(struct exo_env *env);
void exo_env_leases_stop(struct exo_env *env);

/* null.c */
int exo_ioc_null_alloc(struct exo_env *env, void *arg);

/* page.c */
int exo_pool_init(void);
void exo_pool_exit(void);
int exo_env_pages_init(struct exo_env *env, struct file *file);
void exo_env_pages_free(struct exo_env *env);
void exo_env_page_sync(struct exo_env *env);
int exo_mmap(struct file *file, struct vm_area_struct *vma);
int exo_ioc_frame_alloc(struct exo_env *env, void *arg);
int exo_ioc_frame_map(struct exo_env *env, void *arg);
int exo_ioc_frame_unmap(struct exo_env *env, void *arg);
u64 exo_pool_total(void);
u64 exo_pool_free_count(void);
void exo_keys_show(struct seq_file *m);
u64 exo_caps_check(struct seq_file *m);
int exo_frame_get(struct exo_env *env, exo_cap_t h, u32 need,
		  struct exo_obj **objp, u64 *pfn);
u64 exo_frame_pfn(struct exo_obj *obj);

/* extent.c */
extern unsigned int exo_extent_quota;
void exo_extent_init(void);
void exo_extent_exit(void);
int exo_ioc_extent_attach(struct exo_env *env, void *arg);
int exo_ioc_extent_detach(struct exo_env *env, void *arg);
int exo_ioc_extent_stat(struct exo_env *env, void *arg);
int exo_ioc_extent_alloc(struct exo_env *env, void *arg);
void exo_undo_extent_alloc(struct exo_env *env, void *arg);
int exo_ioc_extent_free(struct exo_env *env, void *arg);
int exo_ioc_extent_reclaim(struct exo_env *env, void *arg);
int exo_ioc_extent_io(struct exo_env *env, void *arg);
int exo_ioc_xn_template(struct exo_env *env, void *arg);
int exo_ioc_xn_owns(struct exo_env *env, void *arg);

/* xn.c: XN (xdev.h has what it shares with extent.c) */
struct exo_xn_table;
void exo_xn_table_free(struct exo_xn_table *tab);
u32 exo_xn_table_count(struct exo_xn_table *tab);
void exo_xn_table_forget(struct exo_xn_table *tab, u64 principal);
int exo_xn_run(struct exo_xn_table *tab, u64 principal, u32 type,
	       const void *block, u64 nblocks, struct exo_xn_ref *refs,
	       u32 max, u32 *count);
int exo_ioc_xn_root(struct exo_env *env, void *arg);
int exo_ioc_xn_update(struct exo_env *env, void *arg);
int exo_ioc_xn_read(struct exo_env *env, void *arg);
int exo_ioc_xn_write(struct exo_env *env, void *arg);

/* xn_share.c: XN subtree capabilities */
extern unsigned int exo_xn_quota;
int exo_ioc_xn_subtree(struct exo_env *env, void *arg);
struct io_uring_cmd;
int exo_extent_uring_cmd(struct io_uring_cmd *ioucmd,
			 unsigned int issue_flags);


/* nic.c */
extern unsigned int exo_flow_quota;
int exo_nic_init(void);
void exo_nic_exit(void);
void exo_nic_quiesce(void);
u64 exo_nic_zc_inflight(void);
void exo_env_nic_init(struct exo_env *env);
bool exo_env_rx_ready(struct exo_env *env);
struct exo_nbind;
int exo_nbind_get(struct exo_env *env, exo_cap_t h, u32 need,
		  struct exo_nbind **bp);
void exo_nbind_put(struct exo_nbind *b);
u32 exo_nbind_rx_pending(struct exo_nbind *b, u64 *oldest_ns);
bool exo_nbind_dead(struct exo_nbind *b);
void exo_nbind_count_wakeup(struct exo_nbind *b);
struct bpf_prog *exo_xdp_prog_get(int fd);
int exo_ioc_nic_attach(struct exo_env *env, void *arg);
int exo_ioc_nic_detach(struct exo_env *env, void *arg);
int exo_ioc_flow_alloc(struct exo_env *env, void *arg);
void exo_undo_flow_alloc(struct exo_env *env, void *arg);
int exo_ioc_nic_bind(struct exo_env *env, void *arg);
int exo_ioc_nic_unbind(struct exo_env *env, void *arg);
int exo_ioc_nic_filter(struct exo_env *env, void *arg);
int exo_ioc_nic_tx(struct exo_env *env, void *arg);
int exo_nic_tx_flow(struct exo_env *env, exo_cap_t flow);
int exo_ioc_nic_stat(struct exo_env *env, void *arg);
int exo_nic_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

/* wait.c */
void exo_wait_init(void);
void exo_env_wake(struct exo_env *env, u32 reason);
void exo_env_io_done(struct exo_env *env, u32 n);
void exo_pred_run_all(struct exo_env *env, u32 reason);
int exo_ioc_wait(struct exo_env *env, void *arg);

/* debugfs.c */
void exo_debugfs_init(void);
void exo_debugfs_exit(void);

/*
 * Is @cap a live root capability of a @kind object @env owns?  Those are
 * what a revocation asks an env for and what an abort may take.
 */
static inline bool exo_cap_is_owned_root(const struct exo_cap *cap,
					 const struct exo_env *env, u32 kind)
{
	return cap && cap->obj && !cap->parent && cap->obj->kind == kind &&
	       cap->obj->owner == env;
}

/*
 * Every occupied slot of @env (live capabilities and tombstones), lowest
 * slot first, or highest first (the newest, as revocation takes them).
 * exo_lock held throughout; the body may kill capabilities (the slots
 * stay, as tombstones) but not close or make any.
 */
#define exo_for_each_cap(env, cap, pos)					\
	for ((pos) = 0; ((cap) = exo_cap_next((env), &(pos))); (pos)++)
#define exo_for_each_cap_newest(env, cap, pos)				\
	for ((pos) = U32_MAX; ((cap) = exo_cap_prev((env), &(pos))); )

static inline exo_cap_t exo_handle(u32 slot, u32 gen)
{
	return ((u64)gen << 32) | slot;
}

#endif /* _EXO_PRIV_H */
