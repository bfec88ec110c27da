// SPDX-License-Identifier: GPL-2.0
/*
 * exo — counters for people: /sys/kernel/debug/exo/.
 *
 *   totals  "name value" lines: live counts, then cumulative ones
 *   envs    one line per open env
 *   caps    one line per capability slot in use, in every env
 *   keys    one line per outstanding grant key (never the key itself)
 *   frames  the frame pool, and per env: used, mapped, quota, owed
 *   extents the attached disk: blocks, I/O counters, owners per principal
 *   check   "ok", or one "bad: ..." line per broken invariant
 *   revoke  write "ENV_ID COUNT [DEADLINE_MS]" or "all COUNT [DEADLINE_MS]"
 *           to ask for COUNT frames back (visible revocation; at the
 *           deadline, default 1000 ms, the kernel takes what is owed), or
 *           "extents ENV_ID COUNT [DEADLINE_MS]" for extent leases
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "exo_priv.h"

static struct dentry *exo_debugfs_dir;


static int exo_totals_show(struct seq_file *m, void *v)
{
	u32 k;

	exo_nic_quiesce();	/* bindings already unbound count as gone */
	mutex_lock(&exo_lock);
	seq_printf(m, "envs %llu\n", exo_stats.envs);
	seq_printf(m, "caps %llu\n", exo_stats.caps);
	seq_printf(m, "tombstones %llu\n", exo_stats.tombstones);
	seq_printf(m, "keys %llu\n", exo_stats.keys);
	for (k = 1; k < EXO_KIND_MAX; k++)
		seq_printf(m, "objects.%s %llu\n", exo_kinds[k]->name,
			   exo_stats.objects[k]);
	seq_printf(m, "envs_opened %llu\n", exo_stats.envs_opened);
	seq_printf(m, "caps_created %llu\n", exo_stats.caps_created);
	seq_printf(m, "caps_revoked %llu\n", exo_stats.caps_revoked);
	seq_printf(m, "keys_created %llu\n", exo_stats.keys_created);
	seq_printf(m, "frames_total %llu\n", exo_pool_total());
	seq_printf(m, "frames_free %llu\n", exo_pool_free_count());
	seq_printf(m, "frames_mapped %lld\n",
		   atomic64_read(&exo_stats.frames_mapped));
	seq_printf(m, "revocations %llu\n", exo_stats.revocations);
	seq_printf(m, "revocations_honoured %llu\n",
		   exo_stats.revocations_honoured);
	seq_printf(m, "revocations_aborted %llu\n",
		   exo_stats.revocations_aborted);
	seq_printf(m, "frames_repossessed %llu\n",
		   exo_stats.frames_repossessed);
	seq_printf(m, "nic_devs %llu\n", exo_stats.nic_devs);
	seq_printf(m, "nic_binds %llu\n", exo_stats.nic_binds);
	seq_printf(m, "nic_zc_inflight %llu\n", exo_nic_zc_inflight());
	mutex_unlock(&exo_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exo_totals);

static int exo_envs_show(struct seq_file *m, void *v)
{
	struct exo_env *env;

	mutex_lock(&exo_lock);
	seq_puts(m, "id pid comm caps keys null_used frames_used frames_mapped\n");
	list_for_each_entry(env, &exo_envs, node)
		seq_printf(m, "%llu %d %s %u %u %u %u %u\n", env->id, env->pid,
			   env->comm, env->used_slots, env->nkeys,
			   env->used[EXO_KIND_NULL], env->used[EXO_KIND_FRAME],
			   READ_ONCE(env->frames_mapped));
	mutex_unlock(&exo_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exo_envs);

static int exo_caps_show(struct seq_file *m, void *v)
{
	struct exo_env *env;
	struct exo_cap *cap;
	u32 pos;

	mutex_lock(&exo_lock);
	seq_puts(m, "env slot gen state kind obj rights depth\n");
	list_for_each_entry(env, &exo_envs, node)
		exo_for_each_cap(env, cap, pos)
			seq_printf(m, "%llu %u %u %s %s %llu 0x%x %u\n",
				   env->id, pos,
				   EXO_CAP_GEN(exo_cap_handle(cap)),
				   cap->obj ? "live" : "revoked",
				   cap->obj ? exo_kinds[cap->obj->kind]->name : "-",
				   cap->obj ? cap->obj->id : 0,
				   cap->rights, cap->depth);
	mutex_unlock(&exo_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exo_caps);

static int exo_keys_file_show(struct seq_file *m, void *v)
{
	mutex_lock(&exo_lock);
	exo_keys_show(m);
	mutex_unlock(&exo_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exo_keys_file);

/* A kind's own file: the inode's private data is its ops. */
static int exo_kind_file_show(struct seq_file *m, void *v)
{
	const struct exo_kind_ops *ops = m->private;

	ops->show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exo_kind_file);

/*
 * "check": the invariants, the capability core's and then each kind's;
 * "ok" or one "bad: ..." line per violation.
 */
static int exo_check_show(struct seq_file *m, void *v)
{
	u64 bad;
	u32 k;

	exo_nic_quiesce();	/* bindings already unbound are gone */
	mutex_lock(&exo_lock);
	bad = exo_caps_check(m);
	mutex_unlock(&exo_lock);
	for (k = 1; k < EXO_KIND_MAX; k++)
		if (exo_kinds[k]->check)
			bad += exo_kinds[k]->check(m);
	if (!bad)
		seq_puts(m, "ok\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exo_check);

static ssize_t exo_revoke_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	char buf[64], who[24];
	unsigned int deadline_ms = 1000;
	unsigned long long count;
	struct exo_env *env;
	u64 env_id;
	int n, ret = -ESRCH;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	n = sscanf(buf, "%23s %llu %u", who, &count, &deadline_ms);
	if (n < 2 || !count || deadline_ms > 3600 * 1000)
		return -EINVAL;

	mutex_lock(&exo_lock);
	if (!strcmp(who, "extents")) {
		/* "extents ENV_ID COUNT [DEADLINE_MS]": extent leases. */
		deadline_ms = 1000;
		n = sscanf(buf, "%*s %llu %llu %u", &env_id, &count,
			   &deadline_ms);
		if (n < 2 || !count || deadline_ms > 3600 * 1000) {
			ret = -EINVAL;
		} else {
			list_for_each_entry(env, &exo_envs, node)
				if (env->id == env_id)
					ret = exo_lease_request(env,
							EXO_KIND_EXTENT, count,
							deadline_ms) ?
					      0 : -ENOENT;
		}
	} else if (!strcmp(who, "all")) {
		ret = exo_lease_request_all(EXO_KIND_FRAME, count,
					    deadline_ms) ? 0 : -ENOENT;
	} else if (!kstrtou64(who, 10, &env_id)) {
		list_for_each_entry(env, &exo_envs, node)
			if (env->id == env_id)
				ret = exo_lease_request(env, EXO_KIND_FRAME,
							count, deadline_ms) ?
				      0 : -ENOENT;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&exo_lock);
	return ret ?: len;
}

static const struct file_operations exo_revoke_fops = {
	.owner = THIS_MODULE,
	.write = exo_revoke_write,
	.llseek = noop_llseek,
};

void exo_debugfs_init(void)
{
	u32 k;

	exo_debugfs_dir = debugfs_create_dir("exo", NULL);
	debugfs_create_file("totals", 0444, exo_debugfs_dir, NULL,
			    &exo_totals_fops);
	debugfs_create_file("envs", 0444, exo_debugfs_dir, NULL,
			    &exo_envs_fops);
	debugfs_create_file("caps", 0444, exo_debugfs_dir, NULL,
			    &exo_caps_fops);
	debugfs_create_file("keys", 0444, exo_debugfs_dir, NULL,
			    &exo_keys_file_fops);
	for (k = 1; k < EXO_KIND_MAX; k++)
		if (exo_kinds[k]->debugfs)
			debugfs_create_file(exo_kinds[k]->debugfs, 0444,
					    exo_debugfs_dir,
					    (void *)exo_kinds[k],
					    &exo_kind_file_fops);
	debugfs_create_file("revoke", 0200, exo_debugfs_dir, NULL,
			    &exo_revoke_fops);
	debugfs_create_file("check", 0444, exo_debugfs_dir, NULL,
			    &exo_check_fops);
}

void exo_debugfs_exit(void)
{
	debugfs_remove_recursive(exo_debugfs_dir);
}
