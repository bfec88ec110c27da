/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exo — internal declarations shared by the module's files.
 *
 * Locking: one mutex, exo_lock, guards every capability table, the
 * derivation trees that cross them, the grant-key table, the env list and
 * the counters.  All of it is control path (derive, grant, revoke, close);
 * like netmap's NMG_LOCK it keeps the protocol simple to reason about.
 * Fast paths added by later resource kinds do their rights check once, at
 * bind time, and then run without it.
 */
#ifndef _EXO_PRIV_H
#define _EXO_PRIV_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <uapi/linux/exo.h>

#define EXO_MAX_CAPS_LIMIT	(1U << 20)
#define EXO_MAX_KEYS_LIMIT	(1U << 16)

extern struct mutex exo_lock;
extern struct list_head exo_envs;

/* Module parameters (main.c). */
extern unsigned int exo_max_caps;
extern unsigned int exo_max_keys;
extern unsigned int exo_null_quota;

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
};
extern struct exo_stats exo_stats;

struct exo_env;

/*
 * A resource object.  Alive while any capability (or, for later kinds, any
 * binding) holds a reference; charged to the env that allocated it.
 */
struct exo_obj {
	struct kref ref;
	u32 kind;
	u64 id;
	struct exo_env *owner;	/* charged; holds a reference on the env */
	void (*release)(struct exo_obj *obj);
};

struct exo_cap {
	struct exo_obj *obj;	/* NULL once revoked: a tombstone */
	struct exo_env *env;	/* holder */
	struct exo_cap *parent;
	struct list_head children;
	struct list_head sibling;	/* in parent->children */
	struct list_head keys;		/* grant keys naming this cap */
	struct list_head walk;		/* revoke traversal, local */
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

	struct exo_slot *slots;
	u32 nslots;		/* allocated */
	u32 max_caps;
	u32 used_slots;
	u32 free_head;

	u32 nkeys;
	u32 max_keys;

	u32 quota[EXO_KIND_MAX];
	u32 used[EXO_KIND_MAX];
};

/* main.c */
void exo_env_get(struct exo_env *env);
void exo_env_put(struct exo_env *env);

/* cap.c: everything below is called with exo_lock held. */
int exo_cap_lookup(struct exo_env *env, exo_cap_t h, u32 need,
		   struct exo_cap **capp);
int exo_cap_install_root(struct exo_env *env, struct exo_obj *obj,
			 exo_cap_t *h);
int exo_cap_close_handle(struct exo_env *env, exo_cap_t h);
void exo_env_close_all(struct exo_env *env);
int exo_obj_charge(struct exo_env *env, u32 kind);
void exo_obj_init(struct exo_obj *obj, struct exo_env *owner, u32 kind,
		  void (*release)(struct exo_obj *obj));
void exo_obj_put(struct exo_obj *obj);

int exo_ioc_cap_info(struct exo_env *env, void *arg);
int exo_ioc_cap_derive(struct exo_env *env, void *arg);
int exo_ioc_cap_revoke(struct exo_env *env, void *arg);
int exo_ioc_cap_close(struct exo_env *env, void *arg);
int exo_ioc_cap_export(struct exo_env *env, void *arg);
int exo_ioc_cap_import(struct exo_env *env, void *arg);
int exo_ioc_key_drop(struct exo_env *env, void *arg);
void exo_undo_cap_out(struct exo_env *env, exo_cap_t h);
void exo_undo_export(struct exo_env *env, void *arg);

/* null.c */
int exo_ioc_null_alloc(struct exo_env *env, void *arg);

struct seq_file;
void exo_keys_show(struct seq_file *m);

/* debugfs.c */
void exo_debugfs_init(void);
void exo_debugfs_exit(void);

static inline exo_cap_t exo_handle(u32 slot, u32 gen)
{
	return ((u64)gen << 32) | slot;
}

#endif /* _EXO_PRIV_H */
