// SPDX-License-Identifier: GPL-2.0
/*
 * exo — an exokernel for Linux.
 *
 * This file is the module's front door: the /dev/exo character device (one
 * env per open), the ioctl dispatcher that copies every argument struct in
 * exactly once, and the module parameters.  The kernel side only protects
 * and multiplexes; management lives in the library OSes (libexo and above).
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/unaligned.h>

#include "exo_priv.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

DEFINE_MUTEX(exo_lock);
LIST_HEAD(exo_envs);
struct exo_stats exo_stats;

/* The resource kinds: a new one is a file with its ops and a row here. */
const struct exo_kind_ops *const exo_kinds[EXO_KIND_MAX] = {
	[EXO_KIND_NULL]		= &exo_null_kind,
	[EXO_KIND_FRAME]	= &exo_frame_kind,
	[EXO_KIND_EXTENT]	= &exo_extent_kind,
	[EXO_KIND_FLOW]		= &exo_flow_kind,
	[EXO_KIND_XN]		= &exo_xn_kind,
};

unsigned int exo_max_caps;
module_param_named(max_caps, exo_max_caps, uint, 0644);
MODULE_PARM_DESC(max_caps, "Capability slots per env, fixed (applies to new envs; default 0: the sum of the env's quotas plus caps_headroom; at most 1048576 either way)");

unsigned int exo_caps_headroom = 4096;
module_param_named(caps_headroom, exo_caps_headroom, uint, 0644);
MODULE_PARM_DESC(caps_headroom, "Capability slots per env beyond the sum of its quotas, for derived and imported capabilities and tombstones (applies to new envs with max_caps=0; default 4096)");

unsigned int exo_max_keys = 256;
module_param_named(max_keys, exo_max_keys, uint, 0644);
MODULE_PARM_DESC(max_keys, "Outstanding grant keys per env (applies to new envs; default 256, at most 65536)");

unsigned int exo_null_quota = 1024;
module_param_named(null_quota, exo_null_quota, uint, 0644);
MODULE_PARM_DESC(null_quota, "Null objects per env (applies to new envs; default 1024)");

static unsigned int exo_dev_gid;
module_param_named(dev_gid, exo_dev_gid, uint, 0444);
MODULE_PARM_DESC(dev_gid, "Group owning /dev/exo (default 0: root)");

static ushort exo_dev_mode = 0660;
module_param_named(dev_mode, exo_dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Permission bits of /dev/exo (default 0660)");

/* ---- environments ----------------------------------------------------- */

static void exo_env_free(struct kref *ref)
{
	struct exo_env *env = container_of(ref, struct exo_env, ref);

	kvfree(env->scratch);
	exo_env_pages_free(env);
	kfree_sensitive(env);	/* it may hold a principal key */
}

void exo_env_get(struct exo_env *env)
{
	kref_get(&env->ref);
}

void exo_env_put(struct exo_env *env)
{
	kref_put(&env->ref, exo_env_free);
}

static int exo_open(struct inode *inode, struct file *file)
{
	static u64 next_env_id;
	struct exo_env *env;
	int ret;

	env = kzalloc(sizeof(*env), GFP_KERNEL_ACCOUNT);
	if (!env)
		return -ENOMEM;
	ret = exo_env_pages_init(env, file);
	if (ret) {
		kfree_sensitive(env);	/* it may hold a principal key */
		return ret;
	}
	kref_init(&env->ref);
	init_waitqueue_head(&env->wq);
	spin_lock_init(&env->pred_lock);
	INIT_LIST_HEAD(&env->pred_waiters);
	env->pid = task_tgid_vnr(current);
	get_task_comm(env->comm, current);
	exo_env_caps_init(env);

	mutex_lock(&exo_lock);
	env->max_caps = min(exo_max_caps, EXO_MAX_CAPS_LIMIT);
	env->caps_headroom = min(exo_caps_headroom, EXO_MAX_CAPS_LIMIT);
	env->max_keys = min(exo_max_keys, EXO_MAX_KEYS_LIMIT);
	env->quota[EXO_KIND_NULL] = exo_null_quota;
	env->quota[EXO_KIND_EXTENT] = exo_extent_quota;
	env->quota[EXO_KIND_XN] = exo_xn_quota;
	exo_env_leases_init(env);
	exo_env_nic_init(env);
	env->id = ++next_env_id;
	env->page->env_id = env->id;
	exo_env_page_sync(env);
	list_add_tail(&env->node, &exo_envs);
	exo_stats.envs++;
	exo_stats.envs_opened++;
	mutex_unlock(&exo_lock);

	trace_exo_env(env->id, true);
	file->private_data = env;
	return 0;
}

/* Last reference to the open file: give back everything the env holds. */
static int exo_release(struct inode *inode, struct file *file)
{
	struct exo_env *env = file->private_data;

	trace_exo_env(env->id, false);
	/* No revocation may start once closed is set; then stop any timer. */
	mutex_lock(&exo_lock);
	env->closed = true;
	mutex_unlock(&exo_lock);
	exo_env_leases_stop(env);

	mutex_lock(&exo_lock);
	exo_env_close_all(env);
	list_del(&env->node);
	exo_stats.envs--;
	mutex_unlock(&exo_lock);
	exo_env_put(env);
	return 0;
}

/* ---- batch arrays ------------------------------------------------------- */

/*
 * Batch calls work on a kernel copy of their array plus a few words per
 * element.  Each env keeps one buffer of EXO_SCRATCH_SIZE for this, taken
 * by one call at a time through a bit, not a lock (a concurrent call, or a
 * larger batch, allocates its own): a batch of a thousand frames then
 * costs no allocation and no init_on_alloc zeroing of its arrays.
 */
#define EXO_SCRATCH_SIZE	(64 * 1024)

void *exo_scratch_get(struct exo_env *env, size_t size)
{
	void *buf;

	if (size <= EXO_SCRATCH_SIZE &&
	    !test_and_set_bit_lock(0, &env->scratch_busy)) {
		buf = env->scratch;
		if (!buf) {
			buf = kvmalloc(EXO_SCRATCH_SIZE, GFP_KERNEL_ACCOUNT);
			/* Read by exo_scratch_put() callers without the bit. */
			WRITE_ONCE(env->scratch, buf);
		}
		if (buf)
			return buf;
		clear_bit_unlock(0, &env->scratch_busy);
		/* No shared buffer: this call may still fit in a small one. */
	}
	return kvmalloc(size, GFP_KERNEL_ACCOUNT);
}

void exo_scratch_put(struct exo_env *env, void *buf)
{
	if (buf && buf == READ_ONCE(env->scratch))
		clear_bit_unlock(0, &env->scratch_busy);
	else
		kvfree(buf);
}

/*
 * Copy a batch array of @count elements in once, before any lock (it may
 * live in a region), into a buffer with room for @extra more bytes per
 * element after it.  Give it back with exo_scratch_put().
 */
void *exo_batch_copy(struct exo_env *env, u64 uptr, u32 count,
			    size_t elem, size_t extra)
{
	void *p;

	if (!count || count > EXO_BATCH_MAX)
		return ERR_PTR(-EINVAL);
	p = exo_scratch_get(env, size_mul(count, elem + extra));
	if (!p)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(p, u64_to_user_ptr(uptr), count * elem)) {
		exo_scratch_put(env, p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/* ---- ioctls that need no capability ------------------------------------ */

static int exo_ioc_get_features(struct exo_env *env, void *arg);

static int exo_ioc_env_info(struct exo_env *env, void *arg)
{
	struct exo_env_info *ei = arg;
	u32 k;

	if (ei->flags)
		return -EINVAL;
	mutex_lock(&exo_lock);
	ei->env_id = env->id;
	ei->caps = env->used_slots;
	ei->keys = env->nkeys;
	for (k = 0; k < EXO_INFO_KINDS; k++) {
		ei->quota[k] = k < EXO_KIND_MAX ? env->quota[k] : 0;
		ei->used[k] = k < EXO_KIND_MAX ? env->used[k] : 0;
	}
	mutex_unlock(&exo_lock);
	return 0;
}

static int exo_ioc_set_quota(struct exo_env *env, void *arg)
{
	struct exo_set_quota *sq = arg;
	struct exo_env *e, *target = NULL;

	if (sq->flags)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!sq->kind || sq->kind >= EXO_KIND_MAX)
		return -EINVAL;
	mutex_lock(&exo_lock);
	if (!sq->env_id) {
		target = env;
	} else {
		list_for_each_entry(e, &exo_envs, node)
			if (e->id == sq->env_id)
				target = e;
	}
	if (target) {
		target->quota[sq->kind] = sq->quota;
		exo_env_page_sync(target);
	}
	mutex_unlock(&exo_lock);
	return target ? 0 : -ESRCH;
}

/* ---- the dispatcher ----------------------------------------------------- */

union exo_ioctl_buf {
	struct exo_features features;
	struct exo_env_info env_info;
	struct exo_null_alloc null_alloc;
	struct exo_cap_info cap_info;
	struct exo_cap_derive cap_derive;
	struct exo_cap_revoke cap_revoke;
	struct exo_cap_close cap_close;
	struct exo_cap_export cap_export;
	struct exo_cap_import cap_import;
	struct exo_key_drop key_drop;
	struct exo_frame_alloc frame_alloc;
	struct exo_frame_map frame_map;
	struct exo_frame_unmap frame_unmap;
	struct exo_caps_close caps_close;
	struct exo_set_quota set_quota;
	struct exo_extent_attach extent_attach;
	struct exo_extent_detach extent_detach;
	struct exo_extent_stat extent_stat;
	struct exo_extent_alloc extent_alloc;
	struct exo_extent_free extent_free;
	struct exo_extent_reclaim extent_reclaim;
	struct exo_extent_io extent_io;
	struct exo_xn_template xn_template;
	struct exo_xn_owns xn_owns;
	struct exo_xn_root xn_root;
	struct exo_xn_update xn_update;
	struct exo_xn_read xn_read;
	struct exo_xn_write xn_write;
	struct exo_xn_subtree xn_subtree;
	struct exo_nic_attach nic_attach;
	struct exo_flow_alloc flow_alloc;
	struct exo_nic_bind nic_bind;
	struct exo_nic_unbind nic_unbind;
	struct exo_nic_filter nic_filter;
	struct exo_nic_tx nic_tx;
	struct exo_nic_stat nic_stat;
	struct exo_wait wait;
};

struct exo_ioctl_op {
	u32 size;		/* the struct as this module knows it */
	u32 min_size;		/* its first published version */
	int (*fn)(struct exo_env *env, void *arg);
	/* Undo a success whose results could not be copied back. */
	void (*undo)(struct exo_env *env, void *arg);
	/*
	 * The struct has no output field: nothing is copied back, so a call
	 * that took effect never reports EFAULT afterwards.
	 */
	bool in_only;
};

static void exo_undo_null_alloc(struct exo_env *env, void *arg)
{
	exo_undo_cap_out(env, ((struct exo_null_alloc *)arg)->cap);
}

static void exo_undo_xn_subtree(struct exo_env *env, void *arg)
{
	exo_undo_cap_out(env, ((struct exo_xn_subtree *)arg)->cap);
}

static void exo_undo_derive(struct exo_env *env, void *arg)
{
	exo_undo_cap_out(env, ((struct exo_cap_derive *)arg)->child);
}


#define EXO_OP(nr, type, last, _fn, _undo)				\
	[EXO_NR_##nr] = {						\
		.size = sizeof(type),					\
		.min_size = offsetofend(type, last),			\
		.fn = _fn,						\
		.undo = _undo,						\
	}

#define EXO_OP_IN(nr, type, last, _fn)					\
	[EXO_NR_##nr] = {						\
		.size = sizeof(type),					\
		.min_size = offsetofend(type, last),			\
		.fn = _fn,						\
		.in_only = true,					\
	}

/*
 * A root whose block number could not be copied back is removed again (it
 * is empty: nothing could reach it yet), so a failed XN_ROOT leaves no
 * root behind that its caller cannot name.  A removal stays done.
 */
static void exo_undo_xn_root(struct exo_env *env, void *arg)
{
	struct exo_xn_root *xr = arg;
	struct exo_xn_root rm = {
		.size = sizeof(rm), .flags = EXO_XN_ROOT_REMOVE,
		.block = xr->block, .type = xr->type,
	};

	if (!(xr->flags & EXO_XN_ROOT_REMOVE))
		exo_ioc_xn_root(env, &rm);
}

static void exo_undo_extent_attach(struct exo_env *env, void *arg)
{
	struct exo_extent_detach xd = { .size = sizeof(xd) };

	exo_ioc_extent_detach(env, &xd);
}

static const struct exo_ioctl_op exo_ops[EXO_NR_MAX] = {
	EXO_OP(GET_FEATURES, struct exo_features, ioctls,
	       exo_ioc_get_features, NULL),
	EXO_OP(ENV_INFO, struct exo_env_info, used, exo_ioc_env_info, NULL),
	EXO_OP(NULL_ALLOC, struct exo_null_alloc, obj_id, exo_ioc_null_alloc,
	       exo_undo_null_alloc),
	EXO_OP(CAP_INFO, struct exo_cap_info, __reserved, exo_ioc_cap_info,
	       NULL),
	EXO_OP(CAP_DERIVE, struct exo_cap_derive, child, exo_ioc_cap_derive,
	       exo_undo_derive),
	EXO_OP(CAP_REVOKE, struct exo_cap_revoke, count, exo_ioc_cap_revoke,
	       NULL),
	EXO_OP_IN(CAP_CLOSE, struct exo_cap_close, cap, exo_ioc_cap_close),
	EXO_OP(CAP_EXPORT, struct exo_cap_export, key, exo_ioc_cap_export,
	       exo_undo_export),
	/*
	 * If the new handle cannot be copied back, the capability it made is
	 * closed again and a one-shot key it used up is given back.
	 */
	EXO_OP(CAP_IMPORT, struct exo_cap_import, __reserved,
	       exo_ioc_cap_import, exo_undo_import),
	EXO_OP_IN(KEY_DROP, struct exo_key_drop, key, exo_ioc_key_drop),
	/* FRAME_ALLOC undoes itself: its results go to user arrays. */
	EXO_OP_IN(FRAME_ALLOC, struct exo_frame_alloc, pfns, exo_ioc_frame_alloc),
	EXO_OP(FRAME_MAP, struct exo_frame_map, __reserved, exo_ioc_frame_map,
	       NULL),
	EXO_OP(FRAME_UNMAP, struct exo_frame_unmap, __reserved,
	       exo_ioc_frame_unmap, NULL),
	EXO_OP(CAPS_CLOSE, struct exo_caps_close, __reserved,
	       exo_ioc_caps_close, NULL),
	EXO_OP_IN(SET_QUOTA, struct exo_set_quota, quota, exo_ioc_set_quota),
	EXO_OP(EXTENT_ATTACH, struct exo_extent_attach, generation,
	       exo_ioc_extent_attach, exo_undo_extent_attach),
	EXO_OP_IN(EXTENT_DETACH, struct exo_extent_detach, flags,
		  exo_ioc_extent_detach),
	EXO_OP(EXTENT_STAT, struct exo_extent_stat, generation,
	       exo_ioc_extent_stat, NULL),
	EXO_OP(EXTENT_ALLOC, struct exo_extent_alloc, __reserved,
	       exo_ioc_extent_alloc, exo_undo_extent_alloc),
	EXO_OP_IN(EXTENT_FREE, struct exo_extent_free, cap, exo_ioc_extent_free),
	/* RECLAIM undoes itself: its capabilities go to a user array. */
	EXO_OP(EXTENT_RECLAIM, struct exo_extent_reclaim, __reserved,
	       exo_ioc_extent_reclaim, NULL),
	EXO_OP(EXTENT_IO, struct exo_extent_io, __reserved, exo_ioc_extent_io,
	       NULL),
	EXO_OP_IN(XN_TEMPLATE, struct exo_xn_template, insns,
		  exo_ioc_xn_template),
	EXO_OP(XN_OWNS, struct exo_xn_owns, __reserved, exo_ioc_xn_owns, NULL),
	/*
	 * A new root whose number cannot be copied back is removed again;
	 * XN_UPDATE and a root's removal take effect durably even if the copy
	 * fails (EFAULT), and the same XN_UPDATE made again answers 0 (xn.c).
	 */
	EXO_OP(XN_ROOT, struct exo_xn_root, generation, exo_ioc_xn_root,
	       exo_undo_xn_root),
	EXO_OP(XN_UPDATE, struct exo_xn_update, generation, exo_ioc_xn_update,
	       NULL),
	EXO_OP(XN_READ, struct exo_xn_read, __pad, exo_ioc_xn_read, NULL),
	EXO_OP_IN(XN_WRITE, struct exo_xn_write, frame, exo_ioc_xn_write),
	EXO_OP(XN_SUBTREE, struct exo_xn_subtree, __reserved,
	       exo_ioc_xn_subtree, exo_undo_xn_subtree),
	EXO_OP_IN(NIC_ATTACH, struct exo_nic_attach, __reserved,
		  exo_ioc_nic_attach),
	EXO_OP_IN(NIC_DETACH, struct exo_nic_attach, __reserved,
		  exo_ioc_nic_detach),
	EXO_OP(FLOW_ALLOC, struct exo_flow_alloc, cap, exo_ioc_flow_alloc,
	       exo_undo_flow_alloc),
	EXO_OP_IN(NIC_BIND, struct exo_nic_bind, tx_frames, exo_ioc_nic_bind),
	EXO_OP_IN(NIC_UNBIND, struct exo_nic_unbind, flow, exo_ioc_nic_unbind),
	EXO_OP_IN(NIC_FILTER, struct exo_nic_filter, insns, exo_ioc_nic_filter),
	EXO_OP(NIC_TX, struct exo_nic_tx, dropped, exo_ioc_nic_tx, NULL),
	EXO_OP(NIC_STAT, struct exo_nic_stat, c, exo_ioc_nic_stat, NULL),
	EXO_OP(WAIT, struct exo_wait, reason, exo_ioc_wait, NULL),
};

static int exo_ioc_get_features(struct exo_env *env, void *arg)
{
	struct exo_features *f = arg;
	u32 nr, k;

	if (f->flags)
		return -EINVAL;
	f->api_version = EXO_API_VERSION;
	f->kinds = 0;
	for (k = 1; k < EXO_KIND_MAX; k++)
		if (exo_kinds[k])
			f->kinds |= BIT(k);
	f->rights = EXO_RIGHTS_ALL;
	mutex_lock(&exo_lock);	/* the limit follows the quotas */
	f->max_caps = exo_cap_limit(env);
	mutex_unlock(&exo_lock);
	f->max_keys = env->max_keys;
	f->__reserved = 0;
	f->ioctls = 0;
	for (nr = 0; nr < EXO_NR_MAX; nr++)
		if (exo_ops[nr].fn)
			f->ioctls |= BIT_ULL(nr);
	return 0;
}

static long exo_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct exo_env *env = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct exo_ioctl_op *op;
	union exo_ioctl_buf buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (_IOC_TYPE(cmd) != EXO_IOC_TYPE || _IOC_DIR(cmd) != _IOC_NONE ||
	    _IOC_SIZE(cmd) || nr >= EXO_NR_MAX || !exo_ops[nr].fn)
		return -ENOTTY;
	op = &exo_ops[nr];

	/*
	 * One copy of the struct: the size is read first only to know how
	 * much to copy, and must read the same inside the copy, so a caller
	 * rewriting it concurrently gets EINVAL, not a mixed struct.
	 */
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;
	if (*(u32 *)&buf != usize)
		return -EINVAL;

	ret = op->fn(env, &buf);
	if (ret || op->in_only)
		return ret;
	if (copy_to_user(uarg, &buf, min_t(u32, usize, op->size))) {
		if (op->undo)
			op->undo(env, &buf);
		return -EFAULT;
	}
	return 0;
}

/*
 * io_uring commands on the env's fd (IORING_OP_URING_CMD): each resource
 * kind's own, by cmd_op.  Never a positive return (this kernel's io_uring
 * treats it as a failure and may never complete the request): a request
 * is refused with -errno or queued (-EIOCBQUEUED).
 */
/*
 * An ioctl through io_uring (the XN calls): its struct in the command
 * area, checked as the ioctl checks it, run now.  0 or -errno.
 */
static_assert(sizeof(struct exo_xn_update) <= EXO_URING_CMD_BYTES);
static_assert(sizeof(struct exo_xn_read) <= EXO_URING_CMD_BYTES);
static_assert(sizeof(struct exo_xn_write) <= EXO_URING_CMD_BYTES);

static int exo_uring_ioctl(struct io_uring_cmd *ioucmd,
			   unsigned int issue_flags, unsigned int nr)
{
	struct exo_env *env = ioucmd->file->private_data;
	const struct exo_ioctl_op *op = &exo_ops[nr];
	union exo_ioctl_buf buf;
	u8 cmd[EXO_URING_CMD_BYTES];
	u32 usize;

	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	/* The SQE lives in the ring: one copy, now. */
	memcpy(cmd, ioucmd->cmd, sizeof(cmd));
	usize = get_unaligned((u32 *)cmd);
	if (usize < op->min_size || usize > sizeof(cmd))
		return -EINVAL;
	if (usize > op->size &&
	    memchr_inv(cmd + op->size, 0, usize - op->size))
		return -E2BIG;
	memset(&buf, 0, op->size);
	memcpy(&buf, cmd, min_t(u32, usize, op->size));
	return op->fn(env, &buf);
}

static int exo_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	switch (ioucmd->cmd_op) {
	case EXO_URING_XN_UPDATE:
		return exo_uring_ioctl(ioucmd, issue_flags, EXO_NR_XN_UPDATE);
	case EXO_URING_XN_READ:
		return exo_uring_ioctl(ioucmd, issue_flags, EXO_NR_XN_READ);
	case EXO_URING_XN_WRITE:
		return exo_uring_ioctl(ioucmd, issue_flags, EXO_NR_XN_WRITE);
	case EXO_URING_EXTENT_IO:
	case EXO_URING_EXTENT_FLUSH:
		return exo_extent_uring_cmd(ioucmd, issue_flags);
	case EXO_URING_NIC_TX:
	case EXO_URING_NIC_RX:
		return exo_nic_uring_cmd(ioucmd, issue_flags);
	default:
		return -EOPNOTSUPP;
	}
}

static const struct file_operations exo_fops = {
	.owner		= THIS_MODULE,
	.open		= exo_open,
	.release	= exo_release,
	.unlocked_ioctl	= exo_ioctl,
	.mmap		= exo_mmap,
	.read		= exo_read,
	.poll		= exo_poll,
	.uring_cmd	= exo_uring_cmd,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* ---- the device node ----------------------------------------------------- */

static dev_t exo_devt;
static struct cdev exo_cdev;
static struct class *exo_class;
static struct device *exo_device;

/* devtmpfs asks this for the node's owner and mode. */
static char *exo_devnode(struct device *dev, umode_t *mode, kuid_t *uid,
			 kgid_t *gid)
{
	if (mode)
		*mode = exo_dev_mode & 0777;
	if (gid)
		*gid = make_kgid(&init_user_ns, exo_dev_gid);
	return NULL;
}

static const struct device_type exo_device_type = {
	.name = "exo",
	.devnode = exo_devnode,
};

static void exo_device_release(struct device *dev)
{
	kfree(dev);
}

static int __init exo_init(void)
{
	int ret;

	if (!gid_valid(make_kgid(&init_user_ns, exo_dev_gid)))
		return -EINVAL;
	ret = exo_caps_init();
	if (ret)
		return ret;
	ret = exo_pool_init();
	if (ret)
		goto err_caps;
	ret = alloc_chrdev_region(&exo_devt, 0, 1, "exo");
	if (ret)
		goto err_pool;
	exo_class = class_create(THIS_MODULE, "exo");
	if (IS_ERR(exo_class)) {
		ret = PTR_ERR(exo_class);
		goto err_region;
	}
	exo_device = kzalloc(sizeof(*exo_device), GFP_KERNEL);
	if (!exo_device) {
		ret = -ENOMEM;
		goto err_class;
	}
	device_initialize(exo_device);
	exo_device->devt = exo_devt;
	exo_device->class = exo_class;
	exo_device->type = &exo_device_type;
	exo_device->release = exo_device_release;
	ret = dev_set_name(exo_device, "exo");
	if (ret)
		goto err_dev;

	exo_wait_init();
	cdev_init(&exo_cdev, &exo_fops);
	exo_cdev.owner = THIS_MODULE;
	ret = exo_nic_init();
	if (ret)
		goto err_dev;
	exo_debugfs_init();
	exo_extent_init();
	ret = cdev_device_add(&exo_cdev, exo_device);
	if (ret)
		goto err_debugfs;
	pr_info("exo: /dev/exo ready (api %d, %llu frames)\n", EXO_API_VERSION,
		exo_pool_total());
	return 0;

err_debugfs:
	exo_extent_exit();
	exo_debugfs_exit();
	exo_nic_exit();
err_dev:
	put_device(exo_device);
err_class:
	class_destroy(exo_class);
err_region:
	unregister_chrdev_region(exo_devt, 1);
err_pool:
	exo_pool_exit();
err_caps:
	exo_caps_exit();
	return ret;
}

static void __exit exo_exit(void)
{
	cdev_device_del(&exo_cdev, exo_device);
	put_device(exo_device);
	exo_extent_exit();
	exo_debugfs_exit();
	exo_nic_exit();
	class_destroy(exo_class);
	unregister_chrdev_region(exo_devt, 1);
	WARN_ON(exo_stats.envs || exo_stats.caps || exo_stats.keys ||
		exo_pool_free_count() != exo_pool_total());
	exo_pool_exit();
	exo_caps_exit();
}

module_init(exo_init);
module_exit(exo_exit);

MODULE_AUTHOR("The exo developers");
MODULE_DESCRIPTION("exo: an exokernel for Linux (protection and multiplexing of physical resources)");
MODULE_LICENSE("GPL");
