// SPDX-License-Identifier: GPL-2.0
/*
 * exo — capability tables, derivation trees, revocation and grant keys.
 *
 * A capability lives in exactly one env's table (its holder) and in one
 * derivation tree (parent/children links that cross envs).  Killing a
 * capability drops its object reference and its keys and unlinks it from
 * the tree, but leaves the struct in the holder's slot as a tombstone until
 * the holder closes the slot.  Trees are walked iteratively, never by
 * recursion: a chain of derivations may be as deep as the caller likes.
 *
 * Nothing here knows a resource kind: an object is released through its
 * kind's ops (exo_kinds[]), what was made through a capability ends
 * through the uses hung on it (struct exo_cap_use), and the other files
 * reach capabilities through the typed lookup (exo_cap_get()) and walk a
 * table only with exo_for_each_cap().
 */
#include <crypto/algapi.h>
#include <linux/hashtable.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "exo_priv.h"
#include "trace.h"

struct exo_gkey {
	struct hlist_node hnode;	/* in exo_keys */
	struct list_head cap_node;	/* in cap->keys */
	struct exo_cap *cap;		/* what it grants; in the exporter's table */
	struct exo_key key;
	u32 rights;
	u32 flags;
	u64 imports;
};

#define EXO_KEY_HASH_BITS	10
static DEFINE_HASHTABLE(exo_keys, EXO_KEY_HASH_BITS);

/* ---- objects ---------------------------------------------------------- */

int exo_obj_charge(struct exo_env *env, u32 kind)
{
	if (env->used[kind] >= env->quota[kind])
		return -EDQUOT;
	env->used[kind]++;
	return 0;
}

void exo_obj_init(struct exo_obj *obj, struct exo_env *owner, u32 kind)
{
	static u64 next_id;

	kref_init(&obj->ref);
	obj->kind = kind;
	obj->id = ++next_id;
	obj->owner = owner;
	exo_env_get(owner);
	exo_stats.objects[kind]++;
}

static void exo_obj_release(struct kref *ref)
{
	struct exo_obj *obj = container_of(ref, struct exo_obj, ref);
	struct exo_env *owner = obj->owner;

	owner->used[obj->kind]--;
	exo_stats.objects[obj->kind]--;
	exo_kinds[obj->kind]->release(obj);
	exo_env_put(owner);
}

/* kref_put_mutex() calls this with exo_lock taken; it must drop it. */
static void exo_obj_release_unlock(struct kref *ref)
{
	exo_obj_release(ref);
	mutex_unlock(&exo_lock);
}

/*
 * Drop a reference without holding exo_lock: the lock is taken only if
 * this is the last one (I/O completions drop theirs this way).
 */
void exo_obj_put_unlocked(struct exo_obj *obj)
{
	kref_put_mutex(&obj->ref, exo_obj_release_unlock, &exo_lock);
}

void exo_obj_put(struct exo_obj *obj)
{
	lockdep_assert_held(&exo_lock);
	kref_put(&obj->ref, exo_obj_release);
}

/* ---- recycled structs ------------------------------------------------- */

static int exo_recycle_max = -1;
module_param_named(recycle_max, exo_recycle_max, int, 0444);
MODULE_PARM_DESC(recycle_max, "Capability and binding structs kept for reuse, per kind (-1: "
		 __stringify(EXO_RECYCLE_MAX) ", or 0 under KASAN; at most "
		 __stringify(EXO_RECYCLE_LIMIT) ")");

/*
 * The default keeps none under KASAN, so a use after free lands in freed
 * slab memory; recycle_max= turns it on there too, for a campaign that
 * runs the recycling paths under lockdep and UBSAN.
 */
void exo_recycle_init(struct exo_recycle *r, struct kmem_cache *cache,
		      struct mutex *lock)
{
	r->cache = cache;
	r->lock = lock;
	r->head = NULL;
	r->count = 0;
	if (exo_recycle_max < 0)
		r->max = IS_ENABLED(CONFIG_KASAN) ? 0 : EXO_RECYCLE_MAX;
	else
		r->max = min(exo_recycle_max, EXO_RECYCLE_LIMIT);
}

void *exo_recycle_get(struct exo_recycle *r)
{
	void *obj = r->head;

	lockdep_assert_held(r->lock);
	if (!obj)
		return kmem_cache_alloc(r->cache, GFP_KERNEL);
	r->head = *(void **)obj;
	r->count--;
	return obj;
}

void exo_recycle_put(struct exo_recycle *r, void *obj)
{
	lockdep_assert_held(r->lock);
	if (r->count >= r->max) {
		kmem_cache_free(r->cache, obj);
		return;
	}
	*(void **)obj = r->head;
	r->head = obj;
	r->count++;
}

/* Give every kept struct back to the slab (module exit, env free). */
void exo_recycle_drain(struct exo_recycle *r)
{
	while (r->head) {
		void *obj = r->head;

		r->head = *(void **)obj;
		kmem_cache_free(r->cache, obj);
	}
	r->count = 0;
}

/* ---- slots ------------------------------------------------------------ */

/*
 * How many slots @env may fill: max_caps if the env was opened with one
 * fixed, else the sum of its quotas (one root capability per unit) plus
 * caps_headroom (derived and imported capabilities, tombstones).  So an
 * env that allocates up to a quota meets EDQUOT, not a full table, unless
 * its own derived capabilities or tombstones took the headroom and more.
 * Follows SET_QUOTA as it happens; EXO_MAX_CAPS_LIMIT at most.
 */
u32 exo_cap_limit(const struct exo_env *env)
{
	u64 n = env->caps_headroom;
	u32 k;

	lockdep_assert_held(&exo_lock);
	if (env->max_caps)
		return env->max_caps;
	for (k = 1; k < EXO_KIND_MAX; k++)
		n += env->quota[k];
	return min_t(u64, n, EXO_MAX_CAPS_LIMIT);
}

/*
 * Make at least @need slots free, growing the table: at least doubling it
 * (so a run of single allocations costs O(1) copies each, amortised), but
 * never past what the env may fill, nor past EXO_MAX_CAPS_LIMIT.
 *
 * Every reader of env->slots holds exo_lock, as this does, or env->lock,
 * which the swap takes, so the old array is freed at once, with no reader
 * to wait for; the slots keep their index and generation, so every handle
 * handed out stays valid.  On failure the table is as it was: -ENOMEM, or -ENOSPC if the
 * index space is used up (only retired slots can bring that about).
 *
 * The array is charged to the caller's memory cgroup: an env's table is
 * its own doing (16 bytes a slot, 16 MiB at EXO_MAX_CAPS_LIMIT).
 */
static int exo_slots_grow(struct exo_env *env, u32 need)
{
	u32 old = env->nslots, want, new, i;
	struct exo_slot *slots;

	lockdep_assert_held(&exo_lock);
	if (need <= env->nfree)
		return 0;
	want = old + (need - env->nfree);
	if (want > EXO_MAX_CAPS_LIMIT || want < old)
		return -ENOSPC;
	new = max3(old * 2, want, 16U);
	new = min3(new, max(want, exo_cap_limit(env)), EXO_MAX_CAPS_LIMIT);
	slots = kvmalloc_array(new, sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		return -ENOMEM;
	if (old)	/* only exo_lock holders change the slots */
		memcpy(slots, env->slots, old * sizeof(*slots));
	/* Push the new slots on the free list, lowest index on top. */
	for (i = new; i-- > old; ) {
		slots[i].cap = NULL;
		slots[i].gen = 1;
		slots[i].next_free = env->free_head;
		env->free_head = i;
	}
	mutex_lock(&env->lock);
	swap(env->slots, slots);
	env->nslots = new;
	env->nfree += new - old;
	mutex_unlock(&env->lock);
	kvfree(slots);
	return 0;
}

/*
 * Make sure @n more capabilities fit in @env's table: -ENOSPC if they
 * would take it past its limit, -ENOMEM if it could not grow.  A batch
 * (FRAME_ALLOC) asks once for all it will make, so it fails before it
 * makes any, and the table grows once.
 */
int exo_caps_reserve(struct exo_env *env, u32 n)
{
	if ((u64)env->used_slots + n > exo_cap_limit(env))
		return -ENOSPC;
	return exo_slots_grow(env, n);
}

/* Reserve a free slot; the caller fills it with exo_slot_fill(). */
static int exo_slot_reserve(struct exo_env *env, u32 *slotp)
{
	int ret;

	ret = exo_caps_reserve(env, 1);
	if (ret)
		return ret;
	*slotp = env->free_head;
	return 0;
}

/* env->lock held: a fast path may look the capability up from here on. */
static exo_cap_t exo_slot_fill(struct exo_env *env, u32 slot,
			       struct exo_cap *cap)
{
	struct exo_slot *s = &env->slots[slot];

	lockdep_assert_held(&env->lock);
	WARN_ON_ONCE(env->free_head != slot || s->cap || !env->nfree);
	env->free_head = s->next_free;
	env->nfree--;
	cap->slot = slot;
	cap->env = env;
	s->cap = cap;
	env->used_slots++;
	exo_stats.caps++;
	exo_stats.caps_created++;
	return exo_handle(slot, s->gen);
}

/* env->lock held: no fast path sees the slot or its capability change. */
static void exo_slot_free(struct exo_env *env, u32 slot)
{
	struct exo_slot *s = &env->slots[slot];

	lockdep_assert_held(&env->lock);
	s->cap = NULL;
	env->used_slots--;
	exo_stats.caps--;
	/* A slot whose generation would wrap is retired, never reused. */
	if (++s->gen == 0)
		return;
	s->next_free = env->free_head;
	env->free_head = slot;
	env->nfree++;
}

/*
 * Find the capability a handle names in @env and check it holds every right
 * in @need.  Tombstones are returned only when @need is 0 (for info/close).
 * exo_lock or env->lock held (a fast path): what is found stays as it is
 * while either is.
 */
int exo_cap_lookup(struct exo_env *env, exo_cap_t h, u32 need,
		   struct exo_cap **capp)
{
	u32 slot = EXO_CAP_SLOT(h), gen = EXO_CAP_GEN(h);
	struct exo_slot *s;

	lockdep_assert(lockdep_is_held(&exo_lock) ||
		       lockdep_is_held(&env->lock));
	if (slot >= env->nslots || gen == 0)
		return -EBADF;
	s = &env->slots[slot];
	/* Older generations were handed out once; newer ones never were. */
	if (gen != s->gen)
		return gen < s->gen ? -ESTALE : -EBADF;
	if (!s->cap)
		return -EBADF;
	if (!s->cap->obj && need)
		return -EKEYREVOKED;
	if ((s->cap->rights & need) != need)
		return -EACCES;
	*capp = s->cap;
	return 0;
}

/*
 * The typed lookup: the live capability of a @kind object that @h names
 * in @env, holding every right in @need.  The errors of exo_cap_lookup(),
 * then -EKEYREVOKED for a tombstone (whatever @need) and -EINVAL for an
 * object of another kind.
 */
int exo_cap_get(struct exo_env *env, exo_cap_t h, u32 kind, u32 need,
		struct exo_cap **capp)
{
	struct exo_cap *cap;
	int ret;

	ret = exo_cap_lookup(env, h, need, &cap);
	if (ret)
		return ret;
	if (!cap->obj)
		return -EKEYREVOKED;
	if (cap->obj->kind != kind)
		return -EINVAL;
	*capp = cap;
	return 0;
}

/* The handle naming @cap in its holder's table. */
exo_cap_t exo_cap_handle(const struct exo_cap *cap)
{
	lockdep_assert_held(&exo_lock);
	return exo_handle(cap->slot, cap->env->slots[cap->slot].gen);
}

/*
 * For exo_for_each_cap(): the occupied slot of @env at or after *@pos,
 * moving *@pos to it; NULL past the last.
 */
struct exo_cap *exo_cap_next(struct exo_env *env, u32 *pos)
{
	u32 i;

	lockdep_assert_held(&exo_lock);
	for (i = *pos; i < env->nslots; i++)
		if (env->slots[i].cap) {
			*pos = i;
			return env->slots[i].cap;
		}
	return NULL;
}

/*
 * For exo_for_each_cap_newest(): the occupied slot of @env below *@pos,
 * moving *@pos to it; NULL past the first.
 */
struct exo_cap *exo_cap_prev(struct exo_env *env, u32 *pos)
{
	u32 i = min(*pos, env->nslots);

	lockdep_assert_held(&exo_lock);
	while (i-- > 0)
		if (env->slots[i].cap) {
			*pos = i;
			return env->slots[i].cap;
		}
	return NULL;
}

/* Hang @use on the live @cap: it ends when @cap dies (exo_lock held). */
void exo_cap_use_add(struct exo_cap *cap, struct exo_cap_use *use,
		     const struct exo_use_ops *ops)
{
	lockdep_assert_held(&exo_lock);
	use->ops = ops;
	if (ops->shared)
		list_add_tail(&use->node, &cap->uses);
	else
		list_add(&use->node, &cap->uses);
}

/*
 * Hang @use, made on a fast path, on the live @cap: it ends when @cap dies,
 * its dies() called with cap->env->lock held (and exo_lock).  The caller
 * holds cap->env->lock, under which it found @cap alive (exo_cap_get()):
 * a death takes that lock to turn the capability into a tombstone.  The
 * use ends first, under that lock, with list_del(&use->node).
 */
void exo_cap_local_use_add(struct exo_cap *cap, struct exo_cap_use *use,
			   const struct exo_use_ops *ops)
{
	lockdep_assert_held(&cap->env->lock);
	use->ops = ops;
	list_add_tail(&use->node, &cap->local_uses);
}

/* @cap's use of the unshared sort @ops, or NULL (exo_lock held). */
struct exo_cap_use *exo_cap_find_use(struct exo_cap *cap,
				     const struct exo_use_ops *ops)
{
	struct exo_cap_use *use;

	lockdep_assert_held(&exo_lock);
	list_for_each_entry(use, &cap->uses, node) {
		if (use->ops == ops)
			return use;
		if (use->ops->shared)	/* the unshared ones are all before */
			break;
	}
	return NULL;
}

/* ---- objects pinned for I/O without exo_lock ------------------------- */

/*
 * I/O calls (EXTENT_IO, the io_uring extent command) name an extent and a
 * frame per request; looking both up under exo_lock made one env's I/O
 * wait for every other env's control calls.  The first such lookup of a
 * capability (under exo_lock) enters it in its holder's env->cap_fast,
 * slot -> struct exo_cap_fast, a use of the capability; later lookups find
 * it there under that xarray's own spinlock, one per env, and take an
 * object reference: exo_lock is not taken.  The capability's death erases
 * the entry (the use's dies(), under the same spinlock) before it drops
 * its object reference, so an entry found under the spinlock names a live
 * capability, with its rights, and a live object.  Not RCU, as the NIC
 * bindings are: an object goes as soon as its last capability dies (its
 * quota is free again, a frame is back in the pool), so a lockless reader
 * would have nothing that keeps it there while it takes its reference.
 * Order: exo_lock -> env->cap_fast's lock.
 */
struct exo_cap_fast {
	struct exo_cap_use use;		/* on cap; cap->env holds the entry */
	struct exo_cap *cap;
	exo_cap_t h;			/* the handle entered (its generation) */
};

static void exo_cap_fast_dies(struct exo_cap_use *use)
{
	struct exo_cap_fast *f = container_of(use, struct exo_cap_fast, use);

	xa_erase(&f->cap->env->cap_fast, f->cap->slot);
	kfree(f);
}

static const struct exo_use_ops exo_cap_fast_use = {
	.dies = exo_cap_fast_dies,
};

/* Enter @cap, named by @h, in env->cap_fast; silently not if no memory. */
static void exo_cap_fast_add(struct exo_env *env, struct exo_cap *cap,
			     exo_cap_t h)
{
	struct exo_cap_fast *f;

	lockdep_assert_held(&exo_lock);
	if (exo_cap_find_use(cap, &exo_cap_fast_use))
		return;
	f = kmalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return;
	f->cap = cap;
	f->h = h;
	if (xa_insert(&env->cap_fast, cap->slot, f, GFP_KERNEL_ACCOUNT)) {
		kfree(f);
		return;
	}
	exo_cap_use_add(cap, &f->use, &exo_cap_fast_use);
}

/*
 * The typed lookup for I/O: a reference on the @kind object that @h names
 * in @env through a live capability holding @need, or exo_cap_get()'s
 * errors.  Called without exo_lock, which it takes only the first time @h
 * is used (or after an error).  Put the reference with
 * exo_obj_put_unlocked().
 */
int exo_cap_pin(struct exo_env *env, exo_cap_t h, u32 kind, u32 need,
		struct exo_obj **objp)
{
	struct exo_cap_fast *f;
	struct exo_cap *cap;
	int ret;

	xa_lock(&env->cap_fast);
	f = xa_load(&env->cap_fast, EXO_CAP_SLOT(h));
	if (f && f->h == h && f->cap->obj->kind == kind &&
	    (f->cap->rights & need) == need) {
		*objp = f->cap->obj;
		kref_get(&(*objp)->ref);
		xa_unlock(&env->cap_fast);
		return 0;
	}
	xa_unlock(&env->cap_fast);

	mutex_lock(&exo_lock);
	ret = exo_cap_get(env, h, kind, need, &cap);
	if (!ret) {
		*objp = cap->obj;
		kref_get(&(*objp)->ref);
		exo_cap_fast_add(env, cap, h);
	}
	mutex_unlock(&exo_lock);
	return ret;
}

void exo_env_caps_init(struct exo_env *env)
{
	mutex_init(&env->lock);
	env->free_head = EXO_SLOT_NONE;
	xa_init(&env->cap_fast);
}

/* ---- capabilities ----------------------------------------------------- */

static struct kmem_cache *exo_cap_cache;
static struct exo_recycle exo_cap_recycle;

int exo_caps_init(void)
{
	exo_cap_cache = KMEM_CACHE(exo_cap, SLAB_ACCOUNT);
	if (!exo_cap_cache)
		return -ENOMEM;
	exo_recycle_init(&exo_cap_recycle, exo_cap_cache, &exo_lock);
	return 0;
}

void exo_caps_exit(void)
{
	exo_recycle_drain(&exo_cap_recycle);
	kmem_cache_destroy(exo_cap_cache);
}

/*
 * Every field is set here, so the object needs no zeroing: capabilities
 * are made by the thousand on the frame fast path (and recycled).  Charged
 * to the memory cgroup of the task that made the struct (SLAB_ACCOUNT):
 * an env's table may hold up to exo_cap_limit() of them, its quotas' sum
 * and more.  A recycled struct stays charged to its first maker's cgroup;
 * at most recycle_max of them are kept.
 */
static struct exo_cap *exo_cap_new(struct exo_obj *obj, u32 rights,
				   struct exo_cap *parent)
{
	struct exo_cap *cap = exo_recycle_get(&exo_cap_recycle);

	if (!cap)
		return NULL;
	cap->env = NULL;
	cap->parent = NULL;
	cap->slot = 0;
	cap->depth = 0;
	INIT_LIST_HEAD(&cap->children);
	INIT_LIST_HEAD(&cap->sibling);
	INIT_LIST_HEAD(&cap->keys);
	INIT_LIST_HEAD(&cap->walk);
	INIT_LIST_HEAD(&cap->uses);
	INIT_LIST_HEAD(&cap->local_uses);
	cap->rights = rights;
	cap->obj = obj;
	kref_get(&obj->ref);
	if (parent) {
		cap->parent = parent;
		cap->depth = parent->depth + 1;
		list_add_tail(&cap->sibling, &parent->children);
	}
	return cap;
}

/* Install a root capability with all rights for a fresh object. */
int exo_cap_install_root(struct exo_env *env, struct exo_obj *obj,
			 exo_cap_t *h)
{
	struct exo_cap *cap;
	u32 slot;
	int ret;

	ret = exo_slot_reserve(env, &slot);
	if (ret)
		return ret;
	cap = exo_cap_new(obj, EXO_RIGHTS_ALL, NULL);
	if (!cap)
		return -ENOMEM;
	mutex_lock(&env->lock);
	*h = exo_slot_fill(env, slot, cap);
	mutex_unlock(&env->lock);
	return 0;
}

/*
 * exo_cap_install_root() in a batch: the caller holds env->lock (and
 * exo_lock) across its installs, having made room for all of them with
 * exo_caps_reserve() under the same hold of exo_lock (-ENOSPC if not).
 */
int exo_cap_install_root_locked(struct exo_env *env, struct exo_obj *obj,
				exo_cap_t *h)
{
	struct exo_cap *cap;

	lockdep_assert_held(&env->lock);
	if (WARN_ON_ONCE(!env->nfree))
		return -ENOSPC;
	cap = exo_cap_new(obj, EXO_RIGHTS_ALL, NULL);
	if (!cap)
		return -ENOMEM;
	*h = exo_slot_fill(env, env->free_head, cap);
	return 0;
}

/* Make a child of @parent in @env's table. */
static int exo_cap_child(struct exo_env *env, struct exo_cap *parent,
			 u32 rights, exo_cap_t *h)
{
	struct exo_cap *cap;
	u32 slot;
	int ret;

	if (parent->depth == U32_MAX)
		return -EOVERFLOW;
	ret = exo_slot_reserve(env, &slot);
	if (ret)
		return ret;
	cap = exo_cap_new(parent->obj, rights, parent);
	if (!cap)
		return -ENOMEM;
	mutex_lock(&env->lock);
	*h = exo_slot_fill(env, slot, cap);
	mutex_unlock(&env->lock);
	return 0;
}

static void exo_gkey_free(struct exo_gkey *gk)
{
	hash_del(&gk->hnode);
	list_del(&gk->cap_node);
	gk->cap->env->nkeys--;
	exo_stats.keys--;
	kfree(gk);
}

/*
 * The end of exo_cap_kill(), under the holder's lock (and exo_lock), once
 * the uses made under exo_lock have ended: the uses made on fast paths
 * end, and the capability becomes a tombstone.  A fast path that found it
 * alive under that lock has its use ended here; one that comes after
 * finds a tombstone.  With @close its slot is freed too.  Returns the
 * object, whose reference the caller drops (exo_lock held, env->lock
 * not needed).
 */
static struct exo_obj *exo_cap_kill_locked(struct exo_cap *cap, bool close)
{
	struct exo_obj *obj = cap->obj;

	lockdep_assert_held(&exo_lock);
	lockdep_assert_held(&cap->env->lock);
	while (!list_empty(&cap->local_uses)) {
		struct exo_cap_use *use = list_first_entry(&cap->local_uses,
							   struct exo_cap_use,
							   node);

		list_del_init(&use->node);
		use->ops->dies(use);
	}
	cap->obj = NULL;
	if (close)
		exo_slot_free(cap->env, cap->slot);
	if (cap->parent)	/* a root has no siblings list to leave */
		list_del_init(&cap->sibling);
	cap->parent = NULL;
	exo_stats.tombstones++;
	exo_stats.caps_revoked++;
	return obj;
}

/*
 * Turn a live capability into a tombstone; with @close, free its slot too
 * (under the same hold of the holder's lock: a close of a leaf).
 */
static void exo_cap_kill(struct exo_cap *cap, bool close)
{
	struct exo_env *env = cap->env;
	struct exo_gkey *gk, *tmp;
	struct exo_obj *obj;

	list_for_each_entry_safe(gk, tmp, &cap->keys, cap_node)
		exo_gkey_free(gk);
	/*
	 * End what was made through it.  One at a time from the head: a
	 * use's end may take others of the same thing off other lists.
	 */
	while (!list_empty(&cap->uses)) {
		struct exo_cap_use *use = list_first_entry(&cap->uses,
							   struct exo_cap_use,
							   node);

		list_del_init(&use->node);
		use->ops->dies(use);
	}
	mutex_lock(&env->lock);
	obj = exo_cap_kill_locked(cap, close);
	mutex_unlock(&env->lock);
	exo_obj_put(obj);
}

/*
 * Kill every descendant of @root and, if @self, @root too.  Breadth-first
 * over a local list threaded through cap->walk, so parents die before their
 * children and the walk needs no stack.  Returns the number killed.
 */
u64 exo_cap_kill_tree(struct exo_cap *root, bool self)
{
	struct exo_cap *c, *ch, *tmp;
	LIST_HEAD(queue);
	u64 n = 0;

	if (list_empty(&root->children)) {	/* the common case: a leaf */
		if (self)
			exo_cap_kill(root, false);
		return self;
	}
	list_add_tail(&root->walk, &queue);
	list_for_each_entry(c, &queue, walk)
		list_for_each_entry(ch, &c->children, sibling)
			list_add_tail(&ch->walk, &queue);

	list_for_each_entry_safe(c, tmp, &queue, walk) {
		list_del_init(&c->walk);
		if (c == root && !self)
			continue;
		exo_cap_kill(c, false);
		n++;
	}
	return n;
}

static void exo_cap_destroy(struct exo_env *env, struct exo_cap *cap)
{
	if (cap->obj && list_empty(&cap->children)) {
		exo_cap_kill(cap, true);	/* a leaf: one hold of env->lock */
	} else {
		if (cap->obj)
			exo_cap_kill_tree(cap, true);
		mutex_lock(&env->lock);
		exo_slot_free(env, cap->slot);
		mutex_unlock(&env->lock);
	}
	exo_stats.tombstones--;
	exo_recycle_put(&exo_cap_recycle, cap);
}

int exo_cap_close_handle(struct exo_env *env, exo_cap_t h)
{
	struct exo_cap *cap;
	int ret;

	ret = exo_cap_lookup(env, h, 0, &cap);
	if (ret)
		return ret;
	exo_cap_destroy(env, cap);
	return 0;
}

/* The env is going away: close every slot it holds. */
void exo_env_close_all(struct exo_env *env)
{
	u32 i;

	lockdep_assert_held(&exo_lock);
	for (i = 0; i < env->nslots; i++)
		if (env->slots[i].cap)
			exo_cap_destroy(env, env->slots[i].cap);
	WARN_ON_ONCE(env->nkeys || env->used_slots ||
		     !xa_empty(&env->cap_fast));
	mutex_lock(&env->lock);
	kvfree(env->slots);
	env->slots = NULL;
	env->nslots = 0;
	mutex_unlock(&env->lock);
	env->nfree = 0;
	env->free_head = EXO_SLOT_NONE;
}

/* Undo a call that made a capability whose handle could not be returned. */
void exo_undo_cap_out(struct exo_env *env, exo_cap_t h)
{
	mutex_lock(&exo_lock);
	exo_cap_close_handle(env, h);
	mutex_unlock(&exo_lock);
}

/* ---- ioctls ----------------------------------------------------------- */

int exo_ioc_cap_info(struct exo_env *env, void *arg)
{
	struct exo_cap_info *ci = arg;
	struct exo_cap *cap, *ch;
	int ret;

	if (ci->flags)
		return -EINVAL;
	mutex_lock(&exo_lock);
	ret = exo_cap_lookup(env, ci->cap, 0, &cap);
	if (ret)
		goto out;
	ci->rights = cap->rights;
	ci->depth = cap->depth;
	ci->children = 0;
	ci->__reserved = 0;
	if (cap->obj) {
		ci->state = EXO_CAP_LIVE;
		ci->kind = cap->obj->kind;
		ci->obj_id = cap->obj->id;
		list_for_each_entry(ch, &cap->children, sibling)
			ci->children++;
	} else {
		ci->state = EXO_CAP_REVOKED;
		ci->kind = 0;
		ci->obj_id = 0;
	}
out:
	mutex_unlock(&exo_lock);
	return ret;
}

int exo_ioc_cap_derive(struct exo_env *env, void *arg)
{
	struct exo_cap_derive *cd = arg;
	struct exo_cap *cap;
	int ret;

	if (cd->flags || cd->__reserved || (cd->rights & ~EXO_RIGHTS_ALL))
		return -EINVAL;
	mutex_lock(&exo_lock);
	ret = exo_cap_lookup(env, cd->cap, EXO_RIGHT_DERIVE, &cap);
	if (ret)
		goto out;
	if (cd->rights & ~cap->rights) {
		ret = -EPERM;
		goto out;
	}
	ret = exo_cap_child(env, cap, cd->rights, &cd->child);
out:
	mutex_unlock(&exo_lock);
	return ret;
}

int exo_ioc_cap_revoke(struct exo_env *env, void *arg)
{
	struct exo_cap_revoke *cr = arg;
	struct exo_cap *cap;
	int ret;

	if (cr->flags & ~EXO_REVOKE_SELF)
		return -EINVAL;
	mutex_lock(&exo_lock);
	ret = exo_cap_lookup(env, cr->cap, EXO_RIGHT_REVOKE, &cap);
	if (ret)
		goto out;
	cr->count = exo_cap_kill_tree(cap, cr->flags & EXO_REVOKE_SELF);
	trace_exo_revoke(env->id, cap->slot, cr->count);
out:
	mutex_unlock(&exo_lock);
	return ret;
}

int exo_ioc_cap_close(struct exo_env *env, void *arg)
{
	struct exo_cap_close *cc = arg;
	int ret;

	if (cc->flags)
		return -EINVAL;
	mutex_lock(&exo_lock);
	ret = exo_cap_close_handle(env, cc->cap);
	mutex_unlock(&exo_lock);
	return ret;
}

/* Drop the object references CAPS_CLOSE kept in caps[from, to). */
static void exo_caps_put(exo_cap_t *caps, u32 from, u32 to)
{
	for (; from < to; from++)
		if (caps[from])
			exo_obj_put((struct exo_obj *)(uintptr_t)caps[from]);
}

int exo_ioc_caps_close(struct exo_env *env, void *arg)
{
	struct exo_caps_close *cc = arg;
	struct exo_cap *cap;
	exo_cap_t *caps;
	int ret = 0;
	u32 i, put;

	if (cc->flags || cc->__reserved)
		return -EINVAL;
	caps = exo_batch_copy(env, cc->caps, cc->count, sizeof(*caps), 0);
	if (IS_ERR(caps))
		return PTR_ERR(caps);
	mutex_lock(&exo_lock);
	mutex_lock(&env->lock);
	for (i = 0, put = 0; i < cc->count; i++) {
		ret = exo_cap_lookup(env, caps[i], 0, &cap);
		if (ret)
			break;
		/*
		 * A tombstone, or a leaf that keys and uses made under
		 * exo_lock do not hang on (a frame's root, the common
		 * case): closed under the one hold of env->lock the batch
		 * keeps, its object put after it (caps[i] keeps it).
		 */
		if (list_empty(&cap->children) && list_empty(&cap->uses) &&
		    list_empty(&cap->keys)) {
			caps[i] = (uintptr_t)(cap->obj ?
					      exo_cap_kill_locked(cap, true) :
					      NULL);
			if (!caps[i])
				exo_slot_free(env, cap->slot);
			exo_stats.tombstones--;
			exo_recycle_put(&exo_cap_recycle, cap);
			continue;
		}
		mutex_unlock(&env->lock);
		exo_caps_put(caps, put, i);
		put = i + 1;
		exo_cap_destroy(env, cap);
		mutex_lock(&env->lock);
	}
	mutex_unlock(&env->lock);
	exo_caps_put(caps, put, i);
	mutex_unlock(&exo_lock);
	exo_scratch_put(env, caps);
	cc->done = i;
	cc->error = -ret;
	return 0;
}

static u32 exo_key_hash(const struct exo_key *k)
{
	/* The key is random: any of its bits is a good hash. */
	return (u32)(k->lo ^ k->hi);
}

static struct exo_gkey *exo_gkey_find(const struct exo_key *k)
{
	struct exo_gkey *gk;

	hash_for_each_possible(exo_keys, gk, hnode, exo_key_hash(k))
		if (!crypto_memneq(&gk->key, k, sizeof(*k)))
			return gk;
	return NULL;
}

int exo_ioc_cap_export(struct exo_env *env, void *arg)
{
	struct exo_cap_export *ce = arg;
	struct exo_gkey *gk;
	struct exo_cap *cap;
	int ret;

	if ((ce->flags & ~EXO_KEY_REUSABLE) || ce->__reserved ||
	    (ce->rights & ~EXO_RIGHTS_ALL))
		return -EINVAL;
	gk = kzalloc(sizeof(*gk), GFP_KERNEL_ACCOUNT);
	if (!gk)
		return -ENOMEM;
	mutex_lock(&exo_lock);
	ret = exo_cap_lookup(env, ce->cap, EXO_RIGHT_GRANT, &cap);
	if (ret)
		goto err;
	if (ce->rights & ~cap->rights) {
		ret = -EPERM;
		goto err;
	}
	if (env->nkeys >= env->max_keys) {
		ret = -ENOSPC;
		goto err;
	}
	do {
		get_random_bytes(&gk->key, sizeof(gk->key));
	} while (exo_gkey_find(&gk->key));
	gk->cap = cap;
	gk->rights = ce->rights;
	gk->flags = ce->flags;
	hash_add(exo_keys, &gk->hnode, exo_key_hash(&gk->key));
	list_add_tail(&gk->cap_node, &cap->keys);
	env->nkeys++;
	exo_stats.keys++;
	exo_stats.keys_created++;
	ce->key = gk->key;
	mutex_unlock(&exo_lock);
	return 0;
err:
	mutex_unlock(&exo_lock);
	kfree(gk);
	return ret;
}

int exo_ioc_cap_import(struct exo_env *env, void *arg)
{
	struct exo_cap_import *ci = arg;
	struct exo_gkey *gk;
	int ret;

	if (ci->flags)
		return -EINVAL;
	mutex_lock(&exo_lock);
	gk = exo_gkey_find(&ci->key);
	if (!gk) {
		ret = -ENOKEY;
		goto out;
	}
	ret = exo_cap_child(env, gk->cap, gk->rights, &ci->cap);
	if (ret)
		goto out;
	ci->rights = gk->rights;
	ci->__reserved = 0;
	gk->imports++;
	if (!(gk->flags & EXO_KEY_REUSABLE))
		exo_gkey_free(gk);
out:
	mutex_unlock(&exo_lock);
	return ret;
}

/*
 * IMPORT took effect but its results could not be copied back: close the
 * new capability and, if the key was one-shot (it is gone now) and the
 * capability it named is still alive, put the key back as it was.
 */
void exo_undo_import(struct exo_env *env, void *arg)
{
	struct exo_cap_import *ci = arg;
	struct exo_cap *cap, *parent;
	struct exo_gkey *gk;

	gk = kzalloc(sizeof(*gk), GFP_KERNEL_ACCOUNT);
	mutex_lock(&exo_lock);
	if (exo_cap_lookup(env, ci->cap, 0, &cap))
		goto out;
	parent = cap->parent;
	if (gk && parent && parent->obj && !exo_gkey_find(&ci->key)) {
		gk->key = ci->key;
		gk->cap = parent;
		gk->rights = ci->rights;
		hash_add(exo_keys, &gk->hnode, exo_key_hash(&gk->key));
		list_add_tail(&gk->cap_node, &parent->keys);
		parent->env->nkeys++;
		exo_stats.keys++;
		gk = NULL;
	}
	exo_cap_close_handle(env, ci->cap);
out:
	mutex_unlock(&exo_lock);
	kfree(gk);
}

int exo_ioc_key_drop(struct exo_env *env, void *arg)
{
	struct exo_key_drop *kd = arg;
	struct exo_gkey *gk;
	int ret = 0;

	if (kd->flags)
		return -EINVAL;
	mutex_lock(&exo_lock);
	gk = exo_gkey_find(&kd->key);
	if (gk && gk->cap->env == env)
		exo_gkey_free(gk);
	else
		ret = -ENOKEY;
	mutex_unlock(&exo_lock);
	return ret;
}

void exo_undo_export(struct exo_env *env, void *arg)
{
	struct exo_cap_export *ce = arg;
	struct exo_key_drop kd = { .key = ce->key };

	exo_ioc_key_drop(env, &kd);
}

/* debugfs "keys": one line per outstanding key, never its value. */
void exo_keys_show(struct seq_file *m)
{
	struct exo_gkey *gk;
	unsigned int bkt;

	seq_puts(m, "env cap rights flags imports\n");
	hash_for_each(exo_keys, bkt, gk, hnode)
		seq_printf(m, "%llu %u 0x%x 0x%x %llu\n", gk->cap->env->id,
			   gk->cap->slot, gk->rights, gk->flags, gk->imports);
}

/*
 * debugfs "check": the capability invariants, one line per violation.
 * Returns the number of violations.  exo_lock held.
 */
u64 exo_caps_check(struct seq_file *m)
{
	u64 bad = 0, caps = 0, tombs = 0, keys = 0;
	struct exo_cap_fast *f;
	struct exo_env *env;
	struct exo_gkey *gk;
	unsigned long idx;
	unsigned int bkt;
	u32 i;

#define EXO_BAD(fmt, ...) \
	do { bad++; seq_printf(m, "bad: " fmt "\n", ##__VA_ARGS__); } while (0)

	list_for_each_entry(env, &exo_envs, node) {
		u32 used = 0, nkeys = 0, nfree = 0;

		for (i = 0; i < env->nslots; i++) {
			struct exo_cap *c = env->slots[i].cap, *ch;
			struct exo_gkey *k;
			bool found = false;

			if (!c) {
				nfree += env->slots[i].gen != 0; /* 0: retired */
				continue;
			}
			used++;
			caps++;
			if (c->env != env || c->slot != i)
				EXO_BAD("env %llu slot %u: cap names env %llu slot %u",
					env->id, i, c->env->id, c->slot);
			list_for_each_entry(k, &c->keys, cap_node)
				nkeys++;
			if (!c->obj) {
				tombs++;
				if (!list_empty(&c->children) ||
				    !list_empty(&c->uses) ||
				    !list_empty(&c->local_uses) ||
				    !list_empty(&c->keys))
					EXO_BAD("env %llu slot %u: tombstone with children, uses or keys",
						env->id, i);
				continue;
			}
			if (!kref_read(&c->obj->ref))
				EXO_BAD("env %llu slot %u: live cap of a dead object",
					env->id, i);
			if (!c->parent)
				continue;
			if (!c->parent->obj)
				EXO_BAD("env %llu slot %u: outlives its parent",
					env->id, i);
			if (c->parent->obj != c->obj)
				EXO_BAD("env %llu slot %u: names another object than its parent",
					env->id, i);
			if (c->depth != c->parent->depth + 1)
				EXO_BAD("env %llu slot %u: depth %u, parent's %u",
					env->id, i, c->depth, c->parent->depth);
			if (c->rights & ~c->parent->rights)
				EXO_BAD("env %llu slot %u: rights 0x%x exceed parent's 0x%x",
					env->id, i, c->rights, c->parent->rights);
			list_for_each_entry(ch, &c->parent->children, sibling)
				found |= ch == c;
			if (!found)
				EXO_BAD("env %llu slot %u: not among its parent's children",
					env->id, i);
		}
		if (used != env->used_slots)
			EXO_BAD("env %llu: %u slots used, counted %u", env->id,
				env->used_slots, used);
		if (nfree != env->nfree)
			EXO_BAD("env %llu: %u slots free, counted %u", env->id,
				env->nfree, nfree);
		if (nkeys != env->nkeys)
			EXO_BAD("env %llu: %u keys, counted %u", env->id,
				env->nkeys, nkeys);
		xa_for_each(&env->cap_fast, idx, f)
			if (idx >= env->nslots || f->cap != env->slots[idx].cap ||
			    !f->cap->obj ||
			    f->h != exo_handle(idx, env->slots[idx].gen) ||
			    exo_cap_find_use(f->cap, &exo_cap_fast_use) != &f->use)
				EXO_BAD("env %llu slot %lu: I/O lookup entry for another or a dead capability",
					env->id, idx);
	}
	if (caps != exo_stats.caps || tombs != exo_stats.tombstones)
		EXO_BAD("caps %llu/%llu tombstones %llu/%llu (stats/counted)",
			exo_stats.caps, caps, exo_stats.tombstones, tombs);
	hash_for_each(exo_keys, bkt, gk, hnode) {
		keys++;
		if (!gk->cap->obj || !(gk->cap->rights & EXO_RIGHT_GRANT) ||
		    (gk->rights & ~gk->cap->rights))
			EXO_BAD("key of env %llu slot %u: dead cap, no GRANT, or wider rights",
				gk->cap->env->id, gk->cap->slot);
	}
	if (keys != exo_stats.keys)
		EXO_BAD("keys %llu, counted %llu", exo_stats.keys, keys);
#undef EXO_BAD
	return bad;
}
