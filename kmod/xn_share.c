// SPDX-License-Identifier: GPL-2.0
/*
 * exo — XN subtrees: a capability for a block a principal owns through XN
 * and every block it reaches, so that two libOSes (two principals, or an
 * env with none) share one file system.  The capability is an object of
 * its own kind (EXO_KIND_XN), so the core derives, grants and revokes it
 * like any other; XN_READ, XN_UPDATE and XN_WRITE given one act as the
 * subtree's principal, on the subtree's blocks only (xn.c:
 * exo_xn_access()).
 *
 * A subtree object names (device, principal, top block).  It holds a
 * reference on the device's state, as an extent does, and answers ENODEV
 * once that device is detached.  When the principal releases the top
 * block, the object dies for good (EIDRM): a block freed and taken again
 * is another block, which the capability must not name.  The objects are
 * on one list, under exo_lock, so that a release can find them.
 */
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "xdev.h"

unsigned int exo_xn_quota = 1024;
module_param_named(xn_quota, exo_xn_quota, uint, 0644);
MODULE_PARM_DESC(xn_quota, "XN subtree capabilities made by XN_SUBTREE per env (applies to new envs; default 1024)");

struct exo_xn_tree {
	struct exo_obj obj;
	struct list_head node;	/* in exo_xn_trees, under exo_lock */
	struct exo_xdev *dev;	/* referenced */
	u64 principal;
	u64 top;
	bool gone;		/* the top block was released */
};

static LIST_HEAD(exo_xn_trees);

static void exo_xn_tree_release(struct exo_obj *obj)
{
	struct exo_xn_tree *t = container_of(obj, struct exo_xn_tree, obj);

	list_del(&t->node);
	exo_xdev_put(t->dev);
	kfree(t);
}

/*
 * debugfs check: a live subtree (not gone) on the attached device tops a
 * block its principal owns: a release of that block marks it gone first.
 */
static u64 exo_xn_trees_check(struct seq_file *m)
{
	struct exo_xn_tree *t;
	u64 bad = 0;

	down_read(&exo_xsem);
	mutex_lock(&exo_lock);
	list_for_each_entry(t, &exo_xn_trees, node) {
		if (t->gone || t->dev != exo_xdev ||
		    exo_xn_owned_type(t->dev, t->principal, t->top) >= 0)
			continue;
		seq_printf(m, "bad: xn: a live subtree of block %llu, which principal %llu does not own\n",
			   t->top, t->principal);
		bad++;
	}
	mutex_unlock(&exo_lock);
	up_read(&exo_xsem);
	return bad;
}

const struct exo_kind_ops exo_xn_kind = {
	.name = "xn",
	.release = exo_xn_tree_release,
	.check = exo_xn_trees_check,
};

/*
 * Block @b of @d was given back: every subtree it tops is gone.
 * exo_xsem held for writing, so no call is using one meanwhile.
 */
void exo_xn_subtree_gone(struct exo_xdev *d, u64 b)
{
	struct exo_xn_tree *t;

	mutex_lock(&exo_lock);
	list_for_each_entry(t, &exo_xn_trees, node)
		if (t->dev == d && t->top == b)
			t->gone = true;
	mutex_unlock(&exo_lock);
}

/*
 * The subtree capability @h of @env, with the rights @need, on the
 * attached device @d: its principal and top block.  0, or -EBADF,
 * -ESTALE, -EKEYREVOKED, -EACCES (a right missing), -EINVAL (another
 * kind),
 * -ENODEV (made on a device since detached), -EIDRM (the top block was
 * released).  exo_xsem held.
 */
int exo_xn_subtree_get(struct exo_env *env, exo_cap_t h, u32 need,
		       struct exo_xdev *d, u64 *principal, u64 *top)
{
	struct exo_xn_tree *t;
	struct exo_cap *cap;
	int ret;

	mutex_lock(&exo_lock);
	ret = exo_cap_get(env, h, EXO_KIND_XN, need, &cap);
	if (!ret) {
		t = container_of(cap->obj, struct exo_xn_tree, obj);
		if (t->dev != d)
			ret = -ENODEV;
		else if (t->gone)
			ret = -EIDRM;
		*principal = t->principal;
		*top = t->top;
	}
	mutex_unlock(&exo_lock);
	return ret;
}

int exo_ioc_xn_subtree(struct exo_env *env, void *arg)
{
	struct exo_xn_subtree *xs = arg;
	struct exo_xn_tree *t;
	struct exo_xprinc *p;
	struct exo_xdev *d;
	int ret, type;

	if (xs->flags || xs->__reserved)
		return -EINVAL;
	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	/* For reading: the table does not change, and no release runs. */
	down_read(&exo_xsem);
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	p = exo_xenv_principal(env, d);
	ret = -ENOKEY;
	if (!p)
		goto out;
	type = exo_xn_owned_type(d, le64_to_cpu(p->id), xs->block);
	ret = type;
	if (type < 0)
		goto out;
	mutex_lock(&exo_lock);
	ret = exo_obj_charge(env, EXO_KIND_XN);
	if (ret) {
		mutex_unlock(&exo_lock);
		goto out;
	}
	exo_obj_init(&t->obj, env, EXO_KIND_XN);
	kref_get(&d->ref);
	t->dev = d;
	t->principal = le64_to_cpu(p->id);
	t->top = xs->block;
	list_add(&t->node, &exo_xn_trees);
	ret = exo_cap_install_root(env, &t->obj, &xs->cap);
	/* The root cap took its own reference; on failure this frees t. */
	exo_obj_put(&t->obj);
	mutex_unlock(&exo_lock);
	up_read(&exo_xsem);
	xs->type = type;
	return ret;
out:
	up_read(&exo_xsem);
	kfree(t);
	return ret;
}
