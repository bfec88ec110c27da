// SPDX-License-Identifier: GPL-2.0
/*
 * exo — physical page frames: the pool, allocation by physical name,
 * secure bindings into user regions, visible revocation and the abort
 * protocol.
 *
 * The pool is taken from the page allocator at load time, in chunks as
 * large as it will give (up to 2 MiB), and never returned until unload, so
 * a PFN in the pool always means the same physical frame.  A frame in use
 * is an exo_obj owned by the env that allocated it; capabilities name it.
 *
 * Bindings live in the env: an xarray from region page (the file offset,
 * which is the page's virtual page number at mmap time) to the frame
 * capability that authorised it.  Each env's fd has its own address_space,
 * so unmap_mapping_range() on it reaches every process mapping the region,
 * whatever address it now sits at.  Page-table entries are installed at
 * bind time; the fault handler only repairs entries the kernel dropped
 * (fork, mremap) and answers SIGBUS where no binding is.  Every change of
 * env->binds and the zap that goes with it (bind, unbind, a capability's
 * death) holds the env's own lock, env->lock, and no global lock: map and
 * unmap look their capabilities up under it (exo_cap_get(): the table
 * changes and capabilities die only with it held) and hang each binding
 * on its capability's local uses, which its death ends under the same
 * lock.  So one env's maps, unmaps and faults never wait for another
 * env's control calls, and a revocation (which zaps under env->lock) can
 * never race with an insertion.  A binding's capability and frame stay
 * while it is in env->binds, so the fault may read them under env->lock.
 * Lock order: mmap_lock -> exo_lock -> env->lock -> i_mmap_rwsem; one
 * env's lock at a time.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "exo_priv.h"

static unsigned int exo_pool_pages = 16384;
module_param_named(pool_pages, exo_pool_pages, uint, 0444);
MODULE_PARM_DESC(pool_pages, "Frames in exo's pool, taken at load time (default 16384 = 64 MiB with 4 KiB pages)");

unsigned int exo_frame_quota;
module_param_named(frame_quota, exo_frame_quota, uint, 0644);
MODULE_PARM_DESC(frame_quota, "Frames per env (applies to new envs; default 0 = the whole pool)");

static unsigned int exo_revoke_ms = 1000;
module_param_named(revoke_deadline_ms, exo_revoke_ms, uint, 0644);
MODULE_PARM_DESC(revoke_deadline_ms, "Deadline of a revocation made by a starved allocation (default 1000 ms)");

static unsigned int exo_max_binds = 65536;
module_param_named(max_bindings, exo_max_binds, uint, 0644);
MODULE_PARM_DESC(max_bindings, "Frame bindings per env (bounds the work a revocation does under the lock; default 65536)");

static bool exo_reclaim_on_empty = true;
module_param_named(reclaim_on_empty, exo_reclaim_on_empty, bool, 0644);
MODULE_PARM_DESC(reclaim_on_empty, "When the pool is empty, ask the largest holder for frames back (default Y)");

struct exo_frame {
	struct exo_obj obj;
	u64 pfn;
	u32 idx;
};

struct exo_bind {
	struct exo_cap_use use;		/* on the capability bound through */
	struct exo_cap *cap;
	unsigned long pgoff;
	bool writable;
};

struct exo_chunk {
	struct page *page;
	unsigned int order;
	u64 pfn;
	u32 first;			/* pool index of its first frame */
	u32 count;
};

static struct exo_chunk *exo_chunks;
static u32 exo_nchunks;
static u64 *exo_pfn_of;			/* pool index -> PFN */
static u64 *exo_last_env;		/* pool index -> env that held it last */
static unsigned long *exo_used_map;	/* pool index -> taken */
static u32 exo_pool_size;
static u32 exo_pool_free;
static u32 exo_pool_reserved;		/* off the stack, being zeroed */
/*
 * Free frames also sit on a stack, so allocation by count is O(1) and
 * hands out the most recently freed frame first: warm in the caches, and
 * for EXO_FRAME_RECYCLE most often the env's own.  exo_free_pos[idx] is
 * the frame's place on the stack, for O(1) removal by physical name.
 */
static u32 *exo_free_stack;
static u32 *exo_free_pos;
static struct exo_pool_info *exo_pool_page;
static struct exo_frame *exo_frames;	/* pool index -> its object */
static struct kmem_cache *exo_bind_cache;	/* kept per env (bind_recycle) */

static const struct vm_operations_struct exo_region_vm_ops;
static const struct vm_operations_struct exo_info_vm_ops;

u64 exo_pool_total(void)
{
	return exo_pool_size;
}

u64 exo_pool_free_count(void)
{
	return exo_pool_free;
}

static void exo_pool_page_sync(void)
{
	struct exo_pool_info *p = exo_pool_page;

	WRITE_ONCE(p->frames_free, exo_pool_free);
	WRITE_ONCE(p->frames_mapped, atomic64_read(&exo_stats.frames_mapped));
	WRITE_ONCE(p->revocations, exo_stats.revocations);
	WRITE_ONCE(p->revocations_honoured, exo_stats.revocations_honoured);
	WRITE_ONCE(p->revocations_aborted, exo_stats.revocations_aborted);
	WRITE_ONCE(p->frames_repossessed, exo_stats.frames_repossessed);
}

/*
 * Mirror the env's state into its read-only info page (exo_lock held; the
 * bindings' count is exo_binds_sync()'s, under env->lock).
 */
void exo_env_page_sync(struct exo_env *env)
{
	struct exo_env_page *p = env->page;

	if (!p)
		return;
	WRITE_ONCE(p->frame_quota, env->quota[EXO_KIND_FRAME]);
	WRITE_ONCE(p->frames_used, env->used[EXO_KIND_FRAME]);
	WRITE_ONCE(p->events_pending, env->ev_count);
	WRITE_ONCE(p->revoke_seq, env->lease[EXO_KIND_FRAME].seq);
	WRITE_ONCE(p->revoke_owed, env->lease[EXO_KIND_FRAME].owed);
	WRITE_ONCE(p->revoke_deadline_ns,
		   env->lease[EXO_KIND_FRAME].deadline_ns);
	exo_pool_page_sync();
}

/* ---- the pool ----------------------------------------------------------- */

static int exo_chunk_cmp(const void *a, const void *b)
{
	const struct exo_chunk *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

int exo_pool_init(void)
{
	u32 want = clamp(exo_pool_pages, 1U, 1U << 24), got = 0, i, j;
	unsigned int order = 9;
	struct exo_pool_info *p;
	int ret = -ENOMEM;

	exo_frames = kvcalloc(want, sizeof(*exo_frames), GFP_KERNEL);
	exo_bind_cache = KMEM_CACHE(exo_bind, 0);
	exo_chunks = kvcalloc(want, sizeof(*exo_chunks), GFP_KERNEL);
	exo_pfn_of = kvcalloc(want, sizeof(*exo_pfn_of), GFP_KERNEL);
	exo_last_env = kvcalloc(want, sizeof(*exo_last_env), GFP_KERNEL);
	exo_free_stack = kvcalloc(want, sizeof(*exo_free_stack), GFP_KERNEL);
	exo_free_pos = kvcalloc(want, sizeof(*exo_free_pos), GFP_KERNEL);
	exo_used_map = bitmap_zalloc(want, GFP_KERNEL);
	exo_pool_page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!exo_frames || !exo_bind_cache || !exo_chunks ||
	    !exo_pfn_of || !exo_last_env || !exo_free_stack || !exo_free_pos ||
	    !exo_used_map || !exo_pool_page)
		goto err;

	while (got < want) {
		struct exo_chunk *c = &exo_chunks[exo_nchunks];
		struct page *page;

		while ((1U << order) > want - got)
			order--;
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY,
				   order);
		if (!page) {
			if (!order)
				goto err;
			order--;
			continue;
		}
		/*
		 * Every frame a page of its own with a reference count of one
		 * (the pool's): the network stack takes and drops references
		 * on frames sent as skb fragments (nic.c), which on the tail
		 * page of an unsplit block would free it.
		 */
		split_page(page, order);
		c->page = page;
		c->order = order;
		c->pfn = page_to_pfn(page);
		c->count = 1U << order;
		exo_nchunks++;
		got += c->count;
	}

	/* PFN order, so pool index order is physical order too. */
	sort(exo_chunks, exo_nchunks, sizeof(*exo_chunks), exo_chunk_cmp, NULL);
	p = exo_pool_page;
	for (i = 0, got = 0; i < exo_nchunks; i++) {
		struct exo_chunk *c = &exo_chunks[i];

		c->first = got;
		for (j = 0; j < c->count; j++)
			exo_pfn_of[got + j] = c->pfn + j;
		got += c->count;
		/* Merge physically adjacent chunks into one published range. */
		if (p->nr_ranges &&
		    p->ranges[p->nr_ranges - 1].start +
		    p->ranges[p->nr_ranges - 1].count == c->pfn)
			p->ranges[p->nr_ranges - 1].count += c->count;
		else if (p->nr_ranges < EXO_POOL_RANGES)
			p->ranges[p->nr_ranges++] =
				(struct exo_pfn_range){ c->pfn, c->count };
	}
	exo_pool_size = got;
	exo_pool_free = got;
	/* Lowest PFN on top. */
	for (i = 0; i < got; i++) {
		exo_free_stack[i] = got - 1 - i;
		exo_free_pos[got - 1 - i] = i;
	}
	p->magic = EXO_POOL_MAGIC;
	p->version = EXO_API_VERSION;
	p->page_size = PAGE_SIZE;
	p->frames_total = got;
	exo_pool_page_sync();
	return 0;
err:
	exo_pool_exit();
	return ret;
}

void exo_pool_exit(void)
{
	u32 i;

	for (i = 0; exo_chunks && i < exo_nchunks; i++) {
		u32 j;

		for (j = 0; j < 1U << exo_chunks[i].order; j++)
			__free_page(exo_chunks[i].page + j);
	}
	exo_nchunks = 0;
	kvfree(exo_chunks);
	kvfree(exo_pfn_of);
	kvfree(exo_last_env);
	kvfree(exo_free_stack);
	kvfree(exo_free_pos);
	bitmap_free(exo_used_map);
	free_page((unsigned long)exo_pool_page);
	kvfree(exo_frames);
	kmem_cache_destroy(exo_bind_cache);
	exo_chunks = NULL;
	exo_pfn_of = NULL;
	exo_last_env = NULL;
	exo_free_stack = NULL;
	exo_free_pos = NULL;
	exo_used_map = NULL;
	exo_pool_page = NULL;
	exo_frames = NULL;
	exo_bind_cache = NULL;
}

/* Pool index of @pfn, or -1 if it is not in the pool. */
static s64 exo_pfn_index(u64 pfn)
{
	u32 lo = 0, hi = exo_nchunks;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct exo_chunk *c = &exo_chunks[mid];

		if (pfn < c->pfn)
			hi = mid;
		else if (pfn >= c->pfn + c->count)
			lo = mid + 1;
		else
			return c->first + (pfn - c->pfn);
	}
	return -1;
}

/* ---- frames --------------------------------------------------------------- */

/* Is pool index @idx among the first @n (already converted) entries? */
static bool pfn_repeated(const u64 *idxs, u32 n, u64 pfn)
{
	s64 idx = exo_pfn_index(pfn);
	u32 i;

	for (i = 0; i < n; i++)
		if (idxs[i] == idx)
			return true;
	return false;
}

static void exo_frame_release(struct exo_obj *obj)
{
	struct exo_frame *f = container_of(obj, struct exo_frame, obj);
	struct exo_env *env = obj->owner;

	__clear_bit(f->idx, exo_used_map);
	exo_last_env[f->idx] = env->id;
	exo_free_pos[f->idx] = exo_pool_free;
	exo_free_stack[exo_pool_free++] = f->idx;

	exo_lease_update(env, EXO_KIND_FRAME);	/* one frame fewer */
	/*
	 * What that changed in the info pages: not all of exo_env_page_sync(),
	 * per frame given back (a revocation's events sync the rest).
	 */
	if (env->page) {
		WRITE_ONCE(env->page->frames_used, env->used[EXO_KIND_FRAME]);
		WRITE_ONCE(env->page->revoke_owed,
			   env->lease[EXO_KIND_FRAME].owed);
	}
	WRITE_ONCE(exo_pool_page->frames_free, exo_pool_free);
}

/*
 * An allocation takes its frames in three steps: off the free stack under
 * exo_lock (reserved: no other allocation takes them, nothing names them),
 * zeroed without it, then objects and capabilities under exo_lock again.
 * Zeroing is most of an allocation's cost, and under exo_lock it held up
 * every other env's control calls and frame maps (contention.frame_map).
 */
static void exo_frame_reserve(u32 idx)
{
	u32 top;

	lockdep_assert_held(&exo_lock);
	__set_bit(idx, exo_used_map);
	/* Off the free stack: the top frame moves into its place. */
	top = exo_free_stack[--exo_pool_free];
	exo_free_stack[exo_free_pos[idx]] = top;
	exo_free_pos[top] = exo_free_pos[idx];
	exo_pool_reserved++;
}

static void exo_frame_unreserve(u32 idx)
{
	lockdep_assert_held(&exo_lock);
	__clear_bit(idx, exo_used_map);
	exo_free_pos[idx] = exo_pool_free;
	exo_free_stack[exo_pool_free++] = idx;
	exo_pool_reserved--;
}

/*
 * Give reserved (and zeroed) frame @idx to @env with a root capability.
 * On failure the frame is back in the pool.  exo_lock and env->lock held,
 * room made for the capability (exo_cap_install_root_locked()).
 */
static int exo_frame_give(struct exo_env *env, u32 idx, exo_cap_t *h)
{
	/* Frame objects live in an array beside the pool: no allocation. */
	struct exo_frame *f = &exo_frames[idx];
	int ret;

	ret = exo_obj_charge(env, EXO_KIND_FRAME);
	if (ret) {
		exo_frame_unreserve(idx);
		return ret;
	}
	exo_pool_reserved--;
	exo_lease_update(env, EXO_KIND_FRAME);	/* one frame more */
	f->pfn = exo_pfn_of[idx];
	f->idx = idx;
	exo_obj_init(&f->obj, env, EXO_KIND_FRAME);
	f->obj.id = f->pfn;		/* a frame's name is its PFN */
	ret = exo_cap_install_root_locked(env, &f->obj, h);
	exo_obj_put(&f->obj);		/* the capability holds it now */
	return ret;
}

static struct exo_env *exo_largest_holder(struct exo_env *except)
{
	struct exo_env *env, *best = NULL;

	list_for_each_entry(env, &exo_envs, node)
		if (env != except && !env->closed &&
		    (!best || env->used[EXO_KIND_FRAME] >
			      best->used[EXO_KIND_FRAME]))
			best = env;
	return best && best->used[EXO_KIND_FRAME] ? best : NULL;
}

int exo_ioc_frame_alloc(struct exo_env *env, void *arg)
{
	struct exo_frame_alloc *fa = arg;
	bool by_pfn = fa->flags & EXO_FRAME_BY_PFN;
	bool recycle = fa->flags & EXO_FRAME_RECYCLE;
	u64 __user *upfns = u64_to_user_ptr(fa->pfns);
	exo_cap_t __user *ucaps = u64_to_user_ptr(fa->caps);
	u32 n = fa->count, i, done = 0;
	exo_cap_t *caps;
	u64 *pfns;
	int ret = 0;

	if ((fa->flags & ~(EXO_FRAME_BY_PFN | EXO_FRAME_RECYCLE)) ||
	    fa->__reserved ||
	    !n || n > EXO_BATCH_MAX)
		return -EINVAL;
	/* The PFNs (asked for, then given), then the handles. */
	if (by_pfn)
		pfns = exo_batch_copy(env, fa->pfns, n, sizeof(*pfns),
				      sizeof(*caps));
	else
		pfns = exo_scratch_get(env, size_mul(n, sizeof(*pfns) +
						       sizeof(*caps))) ?:
		       ERR_PTR(-ENOMEM);
	if (IS_ERR(pfns))
		return PTR_ERR(pfns);
	caps = (exo_cap_t *)(pfns + n);

	mutex_lock(&exo_lock);
	if (env->used[EXO_KIND_FRAME] + (u64)n > env->quota[EXO_KIND_FRAME]) {
		ret = -EDQUOT;
		goto out_unlock;
	}
	/* Room for every handle first (ENOSPC, or ENOMEM if it cannot grow). */
	ret = exo_caps_reserve(env, n);
	if (ret)
		goto out_unlock;
	if (n > exo_pool_free) {
		struct exo_env *victim;

		ret = -ENOMEM;
		victim = exo_reclaim_on_empty && !by_pfn ?
			 exo_largest_holder(env) : NULL;
		if (victim)
			exo_lease_request(victim, EXO_KIND_FRAME,
					  n - exo_pool_free, exo_revoke_ms);
		goto out_unlock;
	}
	if (by_pfn) {
		/* Check every name first: all or nothing. */
		ret = 0;
		for (i = 0; i < n && !ret; i++) {
			s64 idx = exo_pfn_index(pfns[i]);

			/* Mark as we go so a repeated PFN is caught too. */
			if (idx < 0)
				ret = -EINVAL;
			else if (test_and_set_bit(idx, exo_used_map))
				ret = pfn_repeated(pfns, i, pfns[i]) ? -EINVAL
								     : -EBUSY;
			else
				pfns[i] = idx;
		}
		if (ret) {
			/* Unmark what this loop marked: pfns[0 .. last good]. */
			for (n = i - 1, i = 0; i < n; i++)
				__clear_bit(pfns[i], exo_used_map);
			goto out_unlock;
		}
		for (i = 0; i < n; i++)
			exo_frame_reserve(pfns[i]);
	} else {
		for (i = 0; i < n; i++) {
			pfns[i] = exo_free_stack[exo_pool_free - 1];
			exo_frame_reserve(pfns[i]);
		}
	}
	/*
	 * Nothing of the previous holder may leak to the next.  A libOS that
	 * asked to recycle gets its own old contents back without the cost
	 * of zeroing; env ids are never reused, so only it can match.
	 * caps[i] says whether frame i needs zeroing until it is given.
	 */
	for (i = 0; i < n; i++)
		caps[i] = !recycle || exo_last_env[pfns[i]] != env->id;
	mutex_unlock(&exo_lock);

	for (i = 0; i < n; i++) {
		if (caps[i])
			clear_highpage(pfn_to_page(exo_pfn_of[pfns[i]]));
		if (!((i + 1) % 256))
			cond_resched();
	}

	mutex_lock(&exo_lock);
	/*
	 * Room again: another thread of the env may have taken slots while
	 * exo_lock was dropped.  Then every capability under one hold of
	 * env->lock.
	 */
	ret = exo_caps_reserve(env, n);
	if (ret) {
		for (i = 0; i < n; i++)
			exo_frame_unreserve(pfns[i]);
		goto out_undo;
	}
	mutex_lock(&env->lock);
	for (; done < n; done++) {
		u32 idx = pfns[done];

		ret = exo_frame_give(env, idx, &caps[done]);
		if (ret)
			break;
		pfns[done] = exo_pfn_of[idx];
	}
	mutex_unlock(&env->lock);
	if (ret) {
		for (i = done + 1; i < n; i++)
			exo_frame_unreserve(pfns[i]);
		goto out_undo;
	}
	exo_env_page_sync(env);
	mutex_unlock(&exo_lock);

	if (copy_to_user(ucaps, caps, n * sizeof(*caps)) ||
	    copy_to_user(upfns, pfns, n * sizeof(*pfns))) {
		ret = -EFAULT;
		mutex_lock(&exo_lock);
		goto out_undo;
	}
	goto out_free;

out_undo:
	for (i = 0; i < done; i++)
		exo_cap_close_handle(env, caps[i]);
	exo_env_page_sync(env);
out_unlock:
	mutex_unlock(&exo_lock);
out_free:
	exo_scratch_put(env, pfns);
	return ret;
}

/* ---- bindings ------------------------------------------------------------- */

static u64 exo_bind_pfn(struct exo_bind *b)
{
	return container_of(b->cap->obj, struct exo_frame, obj)->pfn;
}

static pgprot_t exo_bind_prot(struct vm_area_struct *vma, bool writable)
{
	unsigned long flags = vma->vm_flags;

	if (!writable)
		flags &= ~VM_WRITE;
	return vm_get_page_prot(flags);
}

/* Zap region pages [pgoff, pgoff + n) in every process mapping them. */
static void exo_zap(struct exo_env *env, unsigned long pgoff, unsigned long n)
{
	unmap_mapping_range(&env->mapping, (loff_t)pgoff << PAGE_SHIFT,
			    (loff_t)n << PAGE_SHIFT, 1);
}

/*
 * The env's count of bindings into its info page, and its part of the
 * global count (bindings made and ended since it was last counted).
 * env->lock held.
 */
static void exo_binds_sync(struct exo_env *env)
{
	struct exo_env_page *p = env->page;
	s64 delta = (s64)env->frames_mapped - env->frames_mapped_counted;

	lockdep_assert_held(&env->lock);
	env->frames_mapped_counted = env->frames_mapped;
	WRITE_ONCE(p->frames_mapped, env->frames_mapped);
	WRITE_ONCE(exo_pool_page->frames_mapped,
		   atomic64_add_return(delta, &exo_stats.frames_mapped));
}

/*
 * Forget a binding whose entry is gone or will be zapped by the caller.
 * env->lock held.
 */
static void exo_bind_drop(struct exo_env *env, struct exo_bind *b)
{
	list_del(&b->use.node);
	env->frames_mapped--;
	exo_recycle_put(&env->bind_recycle, b);
}

/* Remove a binding entirely: its table entry, its PTEs, the object. */
static void exo_bind_remove(struct exo_env *env, struct exo_bind *b)
{
	xa_erase(&env->binds, b->pgoff);
	exo_zap(env, b->pgoff, 1);
	exo_bind_drop(env, b);
}

/*
 * The capability a binding was made through dies: remove the binding.
 * env->lock held (a local use: exo_cap_kill()).
 */
static void exo_bind_dies(struct exo_cap_use *use)
{
	struct exo_bind *b = container_of(use, struct exo_bind, use);
	struct exo_env *env = b->cap->env;

	exo_bind_remove(env, b);	/* off cap->local_uses already */
	exo_binds_sync(env);
}

static const struct exo_use_ops exo_bind_use = {
	.dies = exo_bind_dies,
};

/* Batches walk one region: the previous element's vma, else a lookup. */
static struct vm_area_struct *exo_vma_near(struct mm_struct *mm,
					   struct vm_area_struct *prev,
					   unsigned long addr)
{
	if (prev && addr >= prev->vm_start && addr < prev->vm_end)
		return prev;
	return vma_lookup(mm, addr);
}

static bool exo_is_region(struct exo_env *env, struct vm_area_struct *vma)
{
	return vma && vma->vm_ops == &exo_region_vm_ops &&
	       vma->vm_file->private_data == env;
}

/*
 * Move @xas to @index and return the binding there: one step on from the
 * previous page of a batch, else a walk from the root (six levels for a
 * region named by its address).  Only env->lock holders change env->binds,
 * so the cursor stays valid between the entries of one call.  Called with
 * env->lock and the xarray's lock held.
 */
static struct exo_bind *exo_binds_seek(struct xa_state *xas,
				       unsigned long index)
{
	lockdep_assert_held(&container_of(xas->xa, struct exo_env,
					  binds)->lock);
	if (!xas_invalid(xas) && xas->xa_node && xas->xa_index + 1 == index)
		return xas_next(xas);
	xas_set(xas, index);
	return xas_load(xas);
}

/*
 * Unbinding leaves a reserved entry (XA_ZERO_ENTRY: loads and walks see
 * none) where the binding was, so that the xarray's nodes stay for the
 * next bind of the same pages instead of being freed (through RCU) and
 * allocated and zeroed again: a libOS binds and unbinds the same region
 * over and over (pages.cycle spent 7% of its time there).  At most
 * EXO_BINDS_SPARE of them per env; past that an unmap sweeps them out.
 */
#define EXO_BINDS_SPARE		16384

/* Entries unmapped (or swept) between two chances to reschedule. */
#define EXO_UNMAP_RESCHED	256

/* Enter @b in env->binds at b->pgoff through the batch's cursor. */
static int exo_binds_insert(struct exo_env *env, struct xa_state *xas,
			    struct exo_bind *b)
{
	void *cur;

	do {
		xas_lock(xas);
		cur = exo_binds_seek(xas, b->pgoff);
		if (!cur || xa_is_zero(cur))
			xas_store(xas, b);
		xas_unlock(xas);
	} while (xas_nomem(xas, GFP_KERNEL));
	if (xa_is_zero(cur) && !xas_error(xas)) {
		env->binds_spare--;
		return 0;
	}
	return cur ? -EEXIST : xas_error(xas);
}

/* Take every reserved entry out of env->binds.  env->lock held. */
static void exo_binds_sweep(struct exo_env *env)
{
	XA_STATE(xas, &env->binds, 0);
	void *entry;
	u32 n = 0;

	lockdep_assert_held(&env->lock);
	xas_lock(&xas);
	xas_for_each(&xas, entry, ULONG_MAX) {
		if (xa_is_zero(entry))
			xas_store(&xas, NULL);
		if (!(++n % EXO_UNMAP_RESCHED)) {
			xas_pause(&xas);
			xas_unlock(&xas);
			cond_resched();
			xas_lock(&xas);
		}
	}
	xas_unlock(&xas);
	env->binds_spare = 0;
}

/* Check one map entry and record its binding; the PTE comes later. */
static int exo_bind_one(struct exo_env *env, struct mm_struct *mm,
			const struct exo_map_entry *e, struct xa_state *xas,
			struct vm_area_struct **vmap, struct exo_bind **bp)
{
	bool writable = e->prot & EXO_PROT_WRITE;
	struct vm_area_struct *vma;
	struct exo_bind *b;
	struct exo_cap *cap;
	int ret;

	if (e->__reserved || !e->prot ||
	    (e->prot & ~(EXO_PROT_READ | EXO_PROT_WRITE)) ||
	    !PAGE_ALIGNED(e->addr))
		return -EINVAL;
	ret = exo_cap_get(env, e->cap, EXO_KIND_FRAME, EXO_RIGHT_MAP |
			  EXO_RIGHT_READ | (writable ? EXO_RIGHT_WRITE : 0), &cap);
	if (ret)
		return ret;
	vma = exo_vma_near(mm, *vmap, e->addr);
	if (!exo_is_region(env, vma))
		return -EINVAL;
	if (env->frames_mapped >= READ_ONCE(exo_max_binds))
		return -ENOSPC;

	/*
	 * Per-frame objects are not charged to the memory cgroup: their
	 * number is bounded by the pool and max_bindings.
	 */
	b = exo_recycle_get(&env->bind_recycle);
	if (!b)
		return -ENOMEM;
	b->cap = cap;
	b->pgoff = linear_page_index(vma, e->addr);
	b->writable = writable;
	ret = exo_binds_insert(env, xas, b);
	if (ret) {
		exo_recycle_put(&env->bind_recycle, b);
		return ret;
	}
	exo_cap_local_use_add(cap, &b->use, &exo_bind_use);
	env->frames_mapped++;
	*vmap = vma;
	*bp = b;
	return 0;
}

struct exo_pte_run {
	struct mm_struct *mm;
	struct exo_bind **binds;
	pgprot_t prot;
	u32 next;
};

/* apply_to_page_range() callback: one PTE of a run, under its lock. */
static int exo_set_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct exo_pte_run *run = data;
	struct exo_bind *b = run->binds[run->next];
	pte_t entry;

	/* A binding is new, so its page has no entry: unbinding zaps. */
	if (WARN_ON_ONCE(!pte_none(*pte)))
		return -EBUSY;
	entry = pte_mkyoung(pte_mkspecial(pfn_pte(exo_bind_pfn(b), run->prot)));
	if (b->writable)
		entry = pte_mkdirty(entry);
	set_pte_at(run->mm, addr, pte, entry);
	run->next++;
	return 0;
}

/*
 * Install the PTEs of @n bindings at consecutive pages from @addr in one
 * page-table walk, as i915 does for its I/O mappings: special entries, no
 * struct page behind them.  The secure binding's only cost per page.
 */
static int exo_install_run(struct vm_area_struct *vma, unsigned long addr,
			   struct exo_bind **binds, u32 n)
{
	struct exo_pte_run run = {
		.mm = vma->vm_mm,
		.binds = binds,
		.prot = exo_bind_prot(vma, binds[0]->writable),
	};

	return apply_to_page_range(vma->vm_mm, addr, (unsigned long)n << PAGE_SHIFT,
				   exo_set_pte, &run);
}

/* Called with the xarray's lock held (the whole batch: nothing sleeps). */
static int exo_unmap_one(struct exo_env *env, struct mm_struct *mm, u64 addr,
			 struct xa_state *xas, struct vm_area_struct **vmap,
			 unsigned long *pgoffp)
{
	struct vm_area_struct *vma;
	unsigned long pgoff;
	struct exo_bind *b;

	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	*vmap = vma = exo_vma_near(mm, *vmap, addr);
	if (exo_is_region(env, vma))
		pgoff = linear_page_index(vma, addr);
	else if (!vma)
		pgoff = addr >> PAGE_SHIFT;	/* the region was munmap()ed */
	else
		return -EINVAL;
	b = exo_binds_seek(xas, pgoff);
	if (!b || xa_is_zero(b))
		return -ENOENT;
	xas_store(xas, XA_ZERO_ENTRY);	/* see EXO_BINDS_SPARE */
	env->binds_spare++;
	exo_bind_drop(env, b);
	*pgoffp = pgoff;
	return 0;
}

/*
 * Map in two passes: check every entry and record its binding, stopping at
 * the first bad one; then install the entries, one page-table walk per run
 * of consecutive pages in one region with one protection.
 */
int exo_ioc_frame_map(struct exo_env *env, void *arg)
{
	struct exo_frame_map *fm = arg;
	struct mm_struct *mm = current->mm;
	XA_STATE(xas, &env->binds, 0);
	struct vm_area_struct *vma = NULL;
	struct exo_map_entry *ents;
	struct exo_bind **binds;
	u32 i, j, k, done;
	int ret = 0;

	if (fm->flags || fm->__reserved)
		return -EINVAL;
	/* The entries, then a binding pointer per entry. */
	ents = exo_batch_copy(env, fm->entries, fm->count, sizeof(*ents),
			      sizeof(*binds));
	if (IS_ERR(ents))
		return PTR_ERR(ents);
	binds = (struct exo_bind **)(ents + fm->count);
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_free;
	}
	/* The lookups, and from the first binding entered to its entry. */
	mutex_lock(&env->lock);
	for (done = 0; done < fm->count; done++) {
		ret = exo_bind_one(env, mm, &ents[done], &xas, &vma,
				   &binds[done]);
		if (ret)
			break;
	}
	for (j = 0; j < done; j = k) {
		int err;

		/* Every entry is in a region: one vma holds a run. */
		vma = exo_vma_near(mm, vma, ents[j].addr);
		for (k = j + 1; k < done; k++)
			if (ents[k].addr != ents[k - 1].addr + PAGE_SIZE ||
			    ents[k].addr >= vma->vm_end ||
			    binds[k]->writable != binds[j]->writable)
				break;
		err = exo_install_run(vma, ents[j].addr, &binds[j], k - j);
		if (!err)
			continue;
		/* Undo this run and everything after it. */
		for (i = j; i < done; i++)
			exo_bind_remove(env, binds[i]);
		done = j;
		ret = err;
		break;
	}
	exo_binds_sync(env);
	mutex_unlock(&env->lock);
	mmap_read_unlock(mm);
	fm->done = done;
	fm->error = -ret;
	ret = 0;
out_free:
	exo_scratch_put(env, ents);
	return ret;
}

/* apply_to_existing_page_range() callback: clear one entry, flush later. */
static int exo_clear_pte(pte_t *pte, unsigned long addr, void *data)
{
	ptep_get_and_clear((struct mm_struct *)data, addr, pte);
	return 0;
}

/* The region vma in @env's mapping holding page @pgoff.  i_mmap_rwsem held. */
static struct vm_area_struct *exo_region_of(struct exo_env *env,
					    unsigned long pgoff)
{
	struct rb_node *rb;

	for (rb = rb_first(&env->mapping.i_mmap.rb_root); rb; rb = rb_next(rb)) {
		struct vm_area_struct *vma =
			rb_entry(rb, struct vm_area_struct, shared.rb);

		if (vma->vm_ops == &exo_region_vm_ops &&
		    pgoff >= vma->vm_pgoff && pgoff < vma->vm_pgoff + vma_pages(vma))
			return vma;
	}
	return NULL;
}

/*
 * Is another thread of ours on a CPU now?  Then every flush of our mm
 * interrupts that CPU and waits for it.  A hint, read without locks; a
 * process of very many threads is taken to have one running.
 */
static bool exo_threads_running(void)
{
	struct task_struct *t;
	bool busy = false;
	int seen = 0;

	rcu_read_lock();
	for_each_thread(current, t) {
		if (t != current && READ_ONCE(t->on_cpu)) {
			busy = true;
			break;
		}
		if (++seen == 256) {
			busy = true;
			break;
		}
	}
	rcu_read_unlock();
	return busy;
}

/*
 * Zap the runs of consecutive pages in @pgoffs[0, n) everywhere they are
 * mapped, with one TLB flush for the lot where one per run is not needed.
 * A libOS evicting a batch of cold pages unmaps scattered pages: one zap
 * per run is one flush per page, each an IPI to every other CPU running
 * the process and a wait for its answer (libos-db's pool, 64 pages a
 * batch, two threads, under TCG: 30-50 ms a batch instead of ~1 ms).
 *
 * When only @mm maps the env's regions (one process and its threads: a
 * fork or another process's mmap of the fd shows as another vma in the
 * mapping) and no secondary MMU listens to @mm, clear the entries here and
 * flush once: the deferred flush is announced first, as mmu_gather does
 * (inc_tlb_flush_pending), and the core's zap of one page of a region then
 * sees a flush pending beside its own (mm_tlb_flush_nested in
 * tlb_finish_mmu) and flushes the whole mm, on every CPU in its mask.
 * That flush interrupts idle CPUs too (the core treats it as freeing page
 * tables), so it is worth it only when another of our threads is on a CPU
 * now: else a zap per run flushes this CPU alone.  Otherwise, one zap per
 * run.  Called with @mm's mmap_lock (read) and env->lock held: no fork
 * copies an entry meanwhile, and the bindings are gone, so no fault can
 * put one back.  selftests/exo_frames: unmap_batch_reaches_*.
 */
static void exo_zap_runs(struct exo_env *env, struct mm_struct *mm,
			 const unsigned long *pgoffs, u32 n)
{
	struct vm_area_struct *carrier = NULL;
	unsigned long carrier_addr = 0;
	bool local = !mm_has_notifiers(mm);
	struct rb_node *rb;
	u32 j, k, runs = 1;

	for (j = 1; j < n && local; j++)
		runs += pgoffs[j] != pgoffs[j - 1] + 1;
	local = local && runs > 1 && exo_threads_running();
	if (local) {
		i_mmap_lock_read(&env->mapping);
		for (rb = rb_first(&env->mapping.i_mmap.rb_root); rb && local;
		     rb = rb_next(rb))
			local = rb_entry(rb, struct vm_area_struct,
					 shared.rb)->vm_mm == mm;
		if (!local)
			i_mmap_unlock_read(&env->mapping);
	}
	if (!local) {
		for (j = 0; j < n; j = k) {
			for (k = j + 1; k < n; k++)
				if (pgoffs[k] != pgoffs[k - 1] + 1)
					break;
			exo_zap(env, pgoffs[j], k - j);
		}
		return;
	}
	inc_tlb_flush_pending(mm);
	for (j = 0; j < n; j++) {
		struct vm_area_struct *vma = exo_region_of(env, pgoffs[j]);
		unsigned long addr;

		if (!vma)
			continue;	/* the region was munmap()ed: no entry */
		/* a run is consecutive pages: clear it in one walk */
		for (k = j + 1; k < n; k++)
			if (pgoffs[k] != pgoffs[k - 1] + 1 ||
			    pgoffs[k] >= vma->vm_pgoff + vma_pages(vma))
				break;
		addr = vma->vm_start + ((pgoffs[j] - vma->vm_pgoff) << PAGE_SHIFT);
		apply_to_existing_page_range(mm, addr,
					     (unsigned long)(k - j) << PAGE_SHIFT,
					     exo_clear_pte, mm);
		carrier = vma;
		carrier_addr = addr;
		j = k - 1;
	}
	/* a page cleared already: the zap is there for its flush */
	if (carrier)
		zap_vma_ptes(carrier, carrier_addr, PAGE_SIZE);
	i_mmap_unlock_read(&env->mapping);
	dec_tlb_flush_pending(mm);
}

int exo_ioc_frame_unmap(struct exo_env *env, void *arg)
{
	struct exo_frame_unmap *fu = arg;
	struct vm_area_struct *vma = NULL;
	struct mm_struct *mm = current->mm;
	XA_STATE(xas, &env->binds, 0);
	unsigned long *pgoffs;
	u32 done;
	int ret = 0;
	u64 *addrs;

	if (fu->flags || fu->__reserved)
		return -EINVAL;
	/* The addresses, then the page offset each one names. */
	addrs = exo_batch_copy(env, fu->addrs, fu->count, sizeof(*addrs),
			       sizeof(*pgoffs));
	if (IS_ERR(addrs))
		return PTR_ERR(addrs);
	pgoffs = (unsigned long *)(addrs + fu->count);
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_free;
	}
	/* From the first binding taken out to the last entry zapped. */
	mutex_lock(&env->lock);
	xas_lock(&xas);
	for (done = 0; done < fu->count; done++) {
		/*
		 * Nobody else spins on this lock (writers hold env->lock), but
		 * a batch of 64 Ki entries should not run with preemption
		 * off throughout.
		 */
		if (done && !(done % EXO_UNMAP_RESCHED)) {
			xas_reset(&xas);
			xas_unlock(&xas);
			cond_resched();
			xas_lock(&xas);
		}
		ret = exo_unmap_one(env, mm, addrs[done], &xas, &vma,
				    &pgoffs[done]);
		if (ret)
			break;
	}
	xas_unlock(&xas);
	exo_zap_runs(env, mm, pgoffs, done);
	if (env->binds_spare > EXO_BINDS_SPARE)
		exo_binds_sweep(env);
	exo_binds_sync(env);
	mutex_unlock(&env->lock);
	mmap_read_unlock(mm);
	fu->done = done;
	fu->error = -ret;
	ret = 0;
out_free:
	exo_scratch_put(env, addrs);
	return ret;
}

/* ---- the region's fault handlers -------------------------------------------- */

static vm_fault_t exo_region_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct exo_env *env = vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct exo_bind *b;

	mutex_lock(&env->lock);
	b = xa_load(&env->binds, vmf->pgoff);
	if (b)
		ret = vmf_insert_pfn_prot(vma, vmf->address, exo_bind_pfn(b),
					  exo_bind_prot(vma, b->writable));
	mutex_unlock(&env->lock);
	return ret;
}

/*
 * A write to a read-only entry of a writable region: allowed only if the
 * binding is writable, so mprotect() cannot widen a read-only capability.
 */
static vm_fault_t exo_region_pfn_mkwrite(struct vm_fault *vmf)
{
	struct exo_env *env = vmf->vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct exo_bind *b;

	mutex_lock(&env->lock);
	b = xa_load(&env->binds, vmf->pgoff);
	if (b && b->writable)
		/*
		 * Upgrade the entry here, under env->lock: returning 0 would let
		 * the core upgrade it after we unlock, and a revoke plus a
		 * read-only re-bind of the same frame in between leaves a
		 * pte_same() entry that would then become writable.
		 */
		ret = vmf_insert_mixed_mkwrite(vmf->vma, vmf->address,
				__pfn_to_pfn_t(exo_bind_pfn(b), PFN_SPECIAL));
	mutex_unlock(&env->lock);
	return ret;
}

/* A region is named by its address: it may not move (mremap). */
static int exo_region_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct exo_region_vm_ops = {
	.fault		= exo_region_fault,
	.pfn_mkwrite	= exo_region_pfn_mkwrite,
	.mremap		= exo_region_mremap,
};

static const struct vm_operations_struct exo_info_vm_ops = {};

static int exo_info_mmap(struct exo_env *env, struct vm_area_struct *vma)
{
	int ret;

	if (vma->vm_end - vma->vm_start != 2 * PAGE_SIZE)
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EACCES;
	vma->vm_flags &= ~(VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &exo_info_vm_ops;
	ret = remap_pfn_range(vma, vma->vm_start,
			      page_to_pfn(virt_to_page(exo_pool_page)),
			      PAGE_SIZE, vma->vm_page_prot);
	if (ret)
		return ret;
	return remap_pfn_range(vma, vma->vm_start + PAGE_SIZE,
			       page_to_pfn(virt_to_page(env->page)),
			       PAGE_SIZE, vma->vm_page_prot);
}

int exo_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct exo_env *env = file->private_data;

	/* PFNMAP + copy-on-write hits a BUG: shared mappings only. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff == EXO_INFO_OFFSET >> PAGE_SHIFT)
		return exo_info_mmap(env, vma);
	/* A region is named by its address: offset == address. */
	if (vma->vm_pgoff != vma->vm_start >> PAGE_SHIFT)
		return -EINVAL;
	/*
	 * PFNMAP entries have no struct page to pin: get_user_pages(),
	 * vmsplice() and O_DIRECT fail on them, so a revoked frame cannot
	 * stay reachable through a pin.
	 */
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &exo_region_vm_ops;
	return 0;
}

/* ---- per-env state -------------------------------------------------------- */

int exo_env_pages_init(struct exo_env *env, struct file *file)
{
	env->page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!env->page)
		return -ENOMEM;
	address_space_init_once(&env->mapping);
	env->mapping.host = file_inode(file);
	env->mapping.a_ops = &empty_aops;	/* generic code derefs a_ops */
	/* Every mmap of this fd, in any process, shares this mapping. */
	file->f_mapping = &env->mapping;
	xa_init(&env->binds);
	exo_recycle_init(&env->bind_recycle, exo_bind_cache, &env->lock);
	env->quota[EXO_KIND_FRAME] = exo_frame_quota ?: exo_pool_size;
	return 0;
}

void exo_env_pages_free(struct exo_env *env)
{
	WARN_ON_ONCE(env->frames_mapped);
	xa_destroy(&env->binds);	/* reserved entries may be left */
	exo_recycle_drain(&env->bind_recycle);
	free_page((unsigned long)env->page);
	env->page = NULL;
}

/* ---- leases ------------------------------------------------------------------ */

static u64 exo_frames_held(struct exo_env *env)
{
	return env->used[EXO_KIND_FRAME];
}

/* The abort takes the newest frame below *@pos: every mapping faults. */
static int exo_frame_take_newest(struct exo_env *env, u32 *pos,
				 struct exo_lease_rec *rec)
{
	struct exo_cap *cap;

	while ((cap = exo_cap_prev(env, pos))) {
		if (!exo_cap_is_owned_root(cap, env, EXO_KIND_FRAME))
			continue;
		rec->name = container_of(cap->obj, struct exo_frame, obj)->pfn;
		rec->cap = exo_cap_handle(cap);
		exo_cap_kill_tree(cap, true);
		return 1;
	}
	return 0;
}

/* The repossession vector of the env's info page. */
static void exo_frame_record(struct exo_env *env,
			     const struct exo_lease_rec *rec)
{
	struct exo_env_page *p = env->page;
	u64 r = p->repo_count % EXO_REPO_SLOTS;

	WRITE_ONCE(p->repo[r].pfn, rec->name);
	WRITE_ONCE(p->repo[r].cap, rec->cap);
	smp_wmb();	/* entry before count */
	WRITE_ONCE(p->repo_count, p->repo_count + 1);
	exo_stats.frames_repossessed++;
}

static const struct exo_lease_ops exo_frame_lease = {
	.held = exo_frames_held,
	.take = exo_frame_take_newest,
	.record = exo_frame_record,
};

/* debugfs "frames": the pool and who holds what. */
static void exo_frames_show(struct seq_file *m)
{
	struct exo_env *env;

	mutex_lock(&exo_lock);
	seq_printf(m, "total %u\nfree %u\nmapped %lld\nchunks %u\n",
		   exo_pool_size, exo_pool_free,
		   atomic64_read(&exo_stats.frames_mapped), exo_nchunks);
	seq_puts(m, "env used mapped quota owed reserved\n");
	list_for_each_entry(env, &exo_envs, node)
		seq_printf(m, "%llu %u %u %u %llu %u\n", env->id,
			   env->used[EXO_KIND_FRAME], READ_ONCE(env->frames_mapped),
			   env->quota[EXO_KIND_FRAME],
			   env->lease[EXO_KIND_FRAME].owed,
			   READ_ONCE(env->binds_spare));
	mutex_unlock(&exo_lock);
}

/*
 * For extent I/O (extent.c): the PFN of the frame that @h, a capability of
 * @env holding @need, names.  Takes a reference on the frame, so it stays
 * out of the pool until the I/O is over even if the capability dies; drop
 * it with exo_obj_put().  Called with exo_lock held.  -EINVAL if @h names
 * something other than a frame.
 */
int exo_frame_get(struct exo_env *env, exo_cap_t h, u32 need,
		  struct exo_obj **objp, u64 *pfn)
{
	struct exo_cap *cap;
	int ret;

	ret = exo_cap_get(env, h, EXO_KIND_FRAME, need, &cap);
	if (ret)
		return ret;
	kref_get(&cap->obj->ref);
	*objp = cap->obj;
	*pfn = container_of(cap->obj, struct exo_frame, obj)->pfn;
	return 0;
}

u64 exo_frame_pfn(struct exo_obj *obj)
{
	return container_of(obj, struct exo_frame, obj)->pfn;
}

/*
 * debugfs "check": frame invariants, one line per violation.  Returns the
 * number of violations.  Takes exo_lock, and each env's lock in turn (other
 * envs bind and unbind meanwhile: the global count of bindings is not
 * compared with the envs' sum).
 */
static u64 exo_frames_check(struct seq_file *m)
{
	u64 bad = 0, used = 0;
	struct exo_env *env;

	mutex_lock(&exo_lock);
	list_for_each_entry(env, &exo_envs, node) {
		struct exo_bind *b;
		unsigned long idx;
		u32 n = 0;

		used += env->used[EXO_KIND_FRAME];
		mutex_lock(&env->lock);
		xa_for_each(&env->binds, idx, b) {
			struct exo_cap *c = b->cap;
			u32 need = EXO_RIGHT_MAP | EXO_RIGHT_READ |
				   (b->writable ? EXO_RIGHT_WRITE : 0);
			struct exo_frame *f;

			n++;
			if (b->pgoff != idx || c->env != env || !c->obj ||
			    c->obj->kind != EXO_KIND_FRAME ||
			    (c->rights & need) != need) {
				bad++;
				seq_printf(m, "bad: env %llu page %lu: binding through a dead, foreign or too weak capability\n",
					   env->id, idx);
				continue;
			}
			f = container_of(c->obj, struct exo_frame, obj);
			if (!test_bit(f->idx, exo_used_map)) {
				bad++;
				seq_printf(m, "bad: env %llu page %lu: frame %llu is in the free pool\n",
					   env->id, idx, f->pfn);
			}
		}
		if (n != env->frames_mapped) {
			bad++;
			seq_printf(m, "bad: env %llu: %u bindings, counted %u\n",
				   env->id, env->frames_mapped, n);
		}
		mutex_unlock(&env->lock);
		if (env->lease[EXO_KIND_FRAME].owed >
		    env->used[EXO_KIND_FRAME]) {
			bad++;
			seq_printf(m, "bad: env %llu owes %llu frames, holds %u\n",
				   env->id, env->lease[EXO_KIND_FRAME].owed,
				   env->used[EXO_KIND_FRAME]);
		}
	}
	/* Frames whose owner closed may live on only while I/O holds them. */
	if (exo_pool_free + exo_pool_reserved + used > exo_pool_size ||
	    exo_stats.objects[EXO_KIND_FRAME] + exo_pool_reserved !=
	    exo_pool_size - exo_pool_free) {
		bad++;
		seq_printf(m, "bad: pool %u free + %u being allocated + %llu held by envs, %llu frame objects, of %u\n",
			   exo_pool_free, exo_pool_reserved, used,
			   exo_stats.objects[EXO_KIND_FRAME], exo_pool_size);
	}
	mutex_unlock(&exo_lock);
	return bad;
}

const struct exo_kind_ops exo_frame_kind = {
	.name = "frame",
	.release = exo_frame_release,
	.debugfs = "frames",
	.show = exo_frames_show,
	.check = exo_frames_check,
	.lease = &exo_frame_lease,
};
