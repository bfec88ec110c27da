// SPDX-License-Identifier: GPL-2.0
/*
 * exo — the null resource kind: an object with no content.
 *
 * It has a name, an owner and a quota like every kind, so the capability
 * machinery (derive, grant, revoke, close, env teardown) can be exercised
 * and measured on its own.
 */
#include <linux/slab.h>

#include "exo_priv.h"

static void exo_null_release(struct exo_obj *obj)
{
	kfree(obj);
}

const struct exo_kind_ops exo_null_kind = {
	.name = "null",
	.release = exo_null_release,
};

int exo_ioc_null_alloc(struct exo_env *env, void *arg)
{
	struct exo_null_alloc *na = arg;
	struct exo_obj *obj;
	int ret;

	if (na->flags)
		return -EINVAL;
	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return -ENOMEM;
	mutex_lock(&exo_lock);
	ret = exo_obj_charge(env, EXO_KIND_NULL);
	if (ret) {
		mutex_unlock(&exo_lock);
		kfree(obj);
		return ret;
	}
	exo_obj_init(obj, env, EXO_KIND_NULL);
	na->obj_id = obj->id;
	ret = exo_cap_install_root(env, obj, &na->cap);
	/* The root cap took its own reference; on failure this frees obj. */
	exo_obj_put(obj);
	mutex_unlock(&exo_lock);
	return ret;
}
