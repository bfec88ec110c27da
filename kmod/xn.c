// SPDX-License-Identifier: GPL-2.0
/*
 * exo — XN templates: the untrusted deterministic functions through which
 * exo follows a libFS's metadata without understanding it (the owns-udf
 * of the MIT exokernel's XN).
 *
 * A template is a classic BPF program, accepted only if nothing but the
 * bytes it is given can influence it:
 *  - classic BPF has no backward jumps, so every run ends, and the
 *    kernel's checker (bpf_prog_create -> bpf_check_classic) refuses bad
 *    jumps, a missing final return and reads of unset scratch memory;
 *  - an ancillary load (SKF_AD_*: the CPU, a random number, the skb's
 *    mark...) or a load relative to a header is the only other input a
 *    classic program has, and every such load has a negative offset: we
 *    refuse any BPF_ABS load with one (BPF_IND offsets are computed at
 *    run time from the buffer; a negative one reads outside it and the
 *    run returns 0, deterministically).
 * The program then runs on an skb we build ourselves (the block, then the
 * output index), once per index, the kernel's converted eBPF image doing
 * the work.  The run is a pure function of (program, block, index).
 *
 * This file holds the per-device table of templates (principal, type ->
 * program) and the run; extent.c owns the device, its principals and the
 * blocks, and calls in here.
 */
#include <linux/filter.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "exo_priv.h"

struct exo_xn_entry {
	u64 principal;
	u32 type;
	struct bpf_prog *prog;	/* NULL: free entry */
};

struct exo_xn_table {
	struct mutex lock;	/* entries; held across a run */
	u32 count;
	struct exo_xn_entry t[EXO_XN_TEMPLATES_MAX];
};

struct exo_xn_table *exo_xn_table_new(void)
{
	struct exo_xn_table *tab = kvzalloc(sizeof(*tab), GFP_KERNEL);

	if (tab)
		mutex_init(&tab->lock);
	return tab;
}

void exo_xn_table_free(struct exo_xn_table *tab)
{
	u32 i;

	if (!tab)
		return;
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++)
		if (tab->t[i].prog)
			bpf_prog_destroy(tab->t[i].prog);
	mutex_destroy(&tab->lock);
	kvfree(tab);
}

u32 exo_xn_table_count(struct exo_xn_table *tab)
{
	return tab ? READ_ONCE(tab->count) : 0;
}

/* Could this classic load read anything but the buffer?  */
static bool exo_xn_load_is_foreign(const struct sock_filter *f)
{
	u16 cls = BPF_CLASS(f->code), mode = BPF_MODE(f->code);

	return (cls == BPF_LD || cls == BPF_LDX) && mode == BPF_ABS &&
	       (s32)f->k < 0;
}

/*
 * Copy @len instructions from user @uptr, check them and build the
 * program.  Returns 0, -EINVAL, -ENOEXEC, -EFAULT or -ENOMEM.
 */
int exo_xn_prog_from_user(u64 uptr, u32 len, struct bpf_prog **progp)
{
	struct sock_fprog_kern fprog;
	struct sock_filter *insns;
	u32 i;
	int ret;

	if (!len || len > EXO_XN_MAX_INSNS)
		return -EINVAL;
	insns = kvmalloc_array(len, sizeof(*insns), GFP_KERNEL);
	if (!insns)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(insns, u64_to_user_ptr(uptr),
			   (size_t)len * sizeof(*insns)))
		goto out;
	ret = -ENOEXEC;
	for (i = 0; i < len; i++)
		if (exo_xn_load_is_foreign(&insns[i]))
			goto out;
	fprog.len = len;
	fprog.filter = insns;
	ret = bpf_prog_create(progp, &fprog);
out:
	kvfree(insns);
	return ret;
}

static struct exo_xn_entry *exo_xn_find(struct exo_xn_table *tab,
					   u64 principal, u32 type)
{
	u32 i;

	lockdep_assert_held(&tab->lock);
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++)
		if (tab->t[i].prog && tab->t[i].principal == principal &&
		    tab->t[i].type == type)
			return &tab->t[i];
	return NULL;
}

/*
 * Set (@prog) or remove (@prog NULL) the template of (@principal, @type).
 * On success the table owns @prog.  Returns 0, -ENOENT (nothing to
 * remove) or -ENOSPC.
 */
int exo_xn_table_set(struct exo_xn_table *tab, u64 principal, u32 type,
		     struct bpf_prog *prog)
{
	struct exo_xn_entry *t, *old;
	struct bpf_prog *gone = NULL;
	u32 i;
	int ret = 0;

	mutex_lock(&tab->lock);
	old = exo_xn_find(tab, principal, type);
	if (!prog) {
		if (old) {
			gone = old->prog;
			old->prog = NULL;
			tab->count--;
		} else {
			ret = -ENOENT;
		}
		goto out;
	}
	if (old) {
		gone = old->prog;
		old->prog = prog;
		goto out;
	}
	for (i = 0, t = NULL; i < EXO_XN_TEMPLATES_MAX && !t; i++)
		if (!tab->t[i].prog)
			t = &tab->t[i];
	if (!t) {
		ret = -ENOSPC;
		goto out;
	}
	*t = (struct exo_xn_entry){
		.principal = principal, .type = type, .prog = prog,
	};
	tab->count++;
out:
	mutex_unlock(&tab->lock);
	if (gone)
		bpf_prog_destroy(gone);
	return ret;
}

/* Drop every template of @principal (it owns no extent any more). */
void exo_xn_table_forget(struct exo_xn_table *tab, u64 principal)
{
	u32 i;

	mutex_lock(&tab->lock);
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++) {
		if (!tab->t[i].prog || tab->t[i].principal != principal)
			continue;
		bpf_prog_destroy(tab->t[i].prog);
		tab->t[i].prog = NULL;
		tab->count--;
	}
	mutex_unlock(&tab->lock);
}

/*
 * Run the template of (@principal, @type) over @block (EXO_EXTENT_BLOCK
 * bytes): its references go to @refs (the first @max of them), their
 * number to *@count.  A reference must name a block below @nblocks and a
 * type below EXO_XN_MAX_TYPES.  Returns 0, -ENOENT (no template),
 * -EOVERFLOW (more than EXO_XN_MAX_REFS references), -EBADMSG (a
 * malformed reference) or -ENOMEM.
 */
int exo_xn_run(struct exo_xn_table *tab, u64 principal, u32 type,
	       const void *block, u64 nblocks, struct exo_xn_ref *refs,
	       u32 max, u32 *count)
{
	struct exo_xn_entry *t;
	struct sk_buff *skb;
	__be32 *index;
	u32 i, r;
	int ret = 0;

	skb = alloc_skb(EXO_EXTENT_BLOCK + sizeof(*index), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, block, EXO_EXTENT_BLOCK);
	index = skb_put(skb, sizeof(*index));
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);

	mutex_lock(&tab->lock);
	t = exo_xn_find(tab, principal, type);
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	for (i = 0;; i++) {
		*index = cpu_to_be32(i);
		r = bpf_prog_run_save_cb(t->prog, skb);
		if (!r)
			break;
		if (i == EXO_XN_MAX_REFS) {
			ret = -EOVERFLOW;
			goto out;
		}
		if (EXO_XN_REF_TYPE(r) >= EXO_XN_MAX_TYPES ||
		    EXO_XN_REF_BLOCK(r) >= nblocks) {
			ret = -EBADMSG;
			goto out;
		}
		if (i < max)
			refs[i] = (struct exo_xn_ref){
				.block = EXO_XN_REF_BLOCK(r),
				.type = EXO_XN_REF_TYPE(r),
			};
	}
	*count = i;
out:
	mutex_unlock(&tab->lock);
	kfree_skb(skb);
	return ret;
}
