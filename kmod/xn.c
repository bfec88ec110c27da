// SPDX-License-Identifier: GPL-2.0
/*
 * exo — XN: disks shared among file systems that do not trust each other.
 * exo does not understand a libFS's metadata; it follows it through
 * *templates*, untrusted deterministic functions (the owns-udf of the MIT
 * exokernel's XN) that say which blocks a metadata block points to, and
 * checks every change of a metadata block with them.
 *
 * Templates.  A template is a classic BPF program, accepted only if
 * nothing but the bytes it is given can influence it:
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
 * Ownership.  A principal declares *roots* (a block and its type); every
 * block a root reaches through the templates is the principal's, with the
 * type its parent's reference gives it, and is reached exactly once (the
 * blocks form trees).  Blocks XN hands out come from the device's free
 * blocks, never from extents: the table marks them in the allocation
 * bitmap and in an XN bitmap of their own, and keeps the root list and
 * the templates' programs, so attach can walk from the roots again and
 * rebuild who owns what (tab->owned, in memory only).
 *
 * Checked updates (EXO_IOC_XN_UPDATE).  A new version of a metadata block
 * comes with the references it claims to add and to release; exo runs the
 * template on the old and the new contents, requires the difference to be
 * exactly the claim, the added blocks free, the released ones empty of
 * references, then commits the table with the new contents in its
 * *pending* block and only then writes the block in place (without FUA:
 * the next commit's flush makes it durable before the table forgets it).
 * A crash before the commit leaves the old table and the old block; after
 * it, attach finds the pending block and writes it again (a redo), so the
 * new table always comes with the new block.
 *
 * extent.c owns the device, the table and its commit; this file keeps
 * the XN parts of the table and the XN calls.  Everything here runs under
 * exo_xsem (for writing when the table changes).
 */
#include <linux/bsearch.h>
#include <linux/filter.h>
#include <linux/highmem.h>
#include <linux/once.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "xdev.h"

struct exo_xn_entry {
	u64 principal;
	u32 type;
	u32 len;
	struct sock_filter *insns;	/* as registered, for the table */
	struct bpf_prog *prog;		/* NULL: free entry */
};

struct exo_xn_table {
	struct mutex lock;	/* entries; held across a run */
	u32 count;
	u32 insns;		/* instructions of all the entries */
	bool stale;		/* the image's template areas may differ */
	struct exo_xn_entry t[EXO_XN_TEMPLATES_MAX];
	/*
	 * Every block a root reaches: block -> EXO_XN_OWN(principal, type,
	 * is a root), as xarray value entries.
	 */
	struct xarray owned;
	/* Every reached block but the roots: block -> its parent block. */
	struct xarray parent;
	/*
	 * The last XN_UPDATE applied (exo_xn_update_sum of its principal,
	 * block, new contents and claim; 0: none), so that a retry of that
	 * same call answers 0 (exo_xn_update_done).  exo_xsem for writing.
	 */
	u64 last_update;
};

#define EXO_XN_OWN(p, type, root) \
	xa_mk_value(((unsigned long)(p) << 8) | ((root) ? 0x80 : 0) | (type))
#define EXO_XN_OWNER(v)		(xa_to_value(v) >> 8)
#define EXO_XN_TYPE(v)		((u32)(xa_to_value(v) & 0x3f))
#define EXO_XN_IS_ROOT(v)	(!!(xa_to_value(v) & 0x80))

int exo_xn_table_init(struct exo_xdev *d)
{
	struct exo_xn_table *tab = kvzalloc(sizeof(*tab), GFP_KERNEL);

	if (!tab)
		return -ENOMEM;
	mutex_init(&tab->lock);
	xa_init(&tab->owned);
	xa_init(&tab->parent);
	tab->stale = true;
	d->xn = tab;
	return 0;
}

/* The templates changed, or the image went back: store them again. */
void exo_xn_table_touch(struct exo_xdev *d)
{
	d->xn->stale = true;
}

static void exo_xn_entry_clear(struct exo_xn_entry *t)
{
	if (t->prog)
		bpf_prog_destroy(t->prog);
	kvfree(t->insns);
	memset(t, 0, sizeof(*t));
}

void exo_xn_table_free(struct exo_xn_table *tab)
{
	u32 i;

	if (!tab)
		return;
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++)
		exo_xn_entry_clear(&tab->t[i]);
	xa_destroy(&tab->owned);
	xa_destroy(&tab->parent);
	mutex_destroy(&tab->lock);
	kvfree(tab);
}

u32 exo_xn_table_count(struct exo_xn_table *tab)
{
	return tab ? READ_ONCE(tab->count) : 0;
}

/* ---- templates --------------------------------------------------------- */

/* Could this classic load read anything but the buffer?  */
static bool exo_xn_load_is_foreign(const struct sock_filter *f)
{
	u16 cls = BPF_CLASS(f->code), mode = BPF_MODE(f->code);

	return (cls == BPF_LD || cls == BPF_LDX) && mode == BPF_ABS &&
	       (s32)f->k < 0;
}

/* Check @len instructions and build the program: 0, -ENOEXEC, -EINVAL. */
static int exo_xn_prog_build(struct sock_filter *insns, u32 len,
			     struct bpf_prog **progp)
{
	struct sock_fprog_kern fprog = { .len = len, .filter = insns };
	u32 i;
	int ret;

	if (!len || len > EXO_XN_MAX_INSNS)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (exo_xn_load_is_foreign(&insns[i]))
			return -ENOEXEC;
	ret = bpf_prog_create(progp, &fprog);
	/*
	 * With the JIT always on, a program the classic checker accepted
	 * answers ENOTSUPP (kernel-internal, 524) only when the JIT could not
	 * get its memory (exo_failnth XN_TEMPLATE under the debug kernel).
	 */
	return ret == -ENOTSUPP ? -ENOMEM : ret;
}

/*
 * Copy @len instructions from user @uptr, check them and build the
 * program; the caller owns *@insnsp and *@progp on success.  Returns 0,
 * -EINVAL, -ENOEXEC, -EFAULT or -ENOMEM.
 */
static int exo_xn_prog_from_user(u64 uptr, u32 len,
				 struct sock_filter **insnsp,
				 struct bpf_prog **progp)
{
	struct sock_filter *insns;
	int ret;

	if (!len || len > EXO_XN_MAX_INSNS)
		return -EINVAL;
	insns = kvmalloc_array(len, sizeof(*insns), GFP_KERNEL);
	if (!insns)
		return -ENOMEM;
	ret = -EFAULT;
	if (!copy_from_user(insns, u64_to_user_ptr(uptr),
			    (size_t)len * sizeof(*insns)))
		ret = exo_xn_prog_build(insns, len, progp);
	if (ret) {
		kvfree(insns);
		return ret;
	}
	*insnsp = insns;
	return 0;
}

static struct exo_xn_entry *exo_xn_find(struct exo_xn_table *tab,
					   u64 principal, u32 type)
{
	u32 i;

	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++)
		if (tab->t[i].prog && tab->t[i].principal == principal &&
		    tab->t[i].type == type)
			return &tab->t[i];
	return NULL;
}

/* Does @principal own a block of @type (so its template is in use)? */
static bool exo_xn_type_in_use(struct exo_xn_table *tab, u64 principal,
			       u32 type)
{
	unsigned long b;
	void *v;

	xa_for_each(&tab->owned, b, v)
		if (EXO_XN_OWNER(v) == principal && EXO_XN_TYPE(v) == type)
			return true;
	return false;
}

/*
 * Set (@prog, @insns, @len) or remove (@prog NULL) the template of
 * (@principal, @type), durably.  On success the table owns @prog and
 * @insns.  Returns 0, -ENOENT (nothing to remove), -EBUSY (blocks of the
 * type exist), -ENOSPC or -EIO.  exo_xsem held for writing.
 */
static int exo_xn_template_set(struct exo_xdev *d, u64 principal, u32 type,
			       struct bpf_prog *prog,
			       struct sock_filter *insns, u32 len)
{
	struct exo_xn_table *tab = d->xn;
	struct exo_xn_entry *t, saved;
	u32 i, count = tab->count, total = tab->insns;
	int ret;

	t = exo_xn_find(tab, principal, type);
	if (!prog && !t)
		return -ENOENT;
	if (t && exo_xn_type_in_use(tab, principal, type))
		return -EBUSY;
	if (prog && total - (t ? t->len : 0) + len > EXO_XN_PROG_INSNS)
		return -ENOSPC;
	for (i = 0; i < EXO_XN_TEMPLATES_MAX && !t; i++)
		if (!tab->t[i].prog)
			t = &tab->t[i];
	if (!t)
		return -ENOSPC;

	saved = *t;
	mutex_lock(&tab->lock);
	tab->stale = true;
	if (prog) {
		*t = (struct exo_xn_entry){
			.principal = principal, .type = type, .len = len,
			.insns = insns, .prog = prog,
		};
		tab->count += !saved.prog;
		tab->insns += len;
	} else {
		memset(t, 0, sizeof(*t));
		tab->count--;
	}
	tab->insns -= saved.prog ? saved.len : 0;
	mutex_unlock(&tab->lock);

	ret = exo_xcommit(d);
	mutex_lock(&tab->lock);
	if (ret) {
		*t = saved;
		tab->count = count;
		tab->insns = total;
	}
	mutex_unlock(&tab->lock);
	if (!ret && saved.prog)
		exo_xn_entry_clear(&saved);
	return ret;
}

/*
 * Drop every template of @principal, which owns nothing any more (its
 * next commit leaves them out of the table too).  exo_xsem held for
 * writing.
 */
void exo_xn_table_forget(struct exo_xn_table *tab, u64 principal)
{
	u32 i;

	mutex_lock(&tab->lock);
	tab->stale = true;
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++) {
		if (!tab->t[i].prog || tab->t[i].principal != principal)
			continue;
		tab->insns -= tab->t[i].len;
		tab->count--;
		exo_xn_entry_clear(&tab->t[i]);
	}
	mutex_unlock(&tab->lock);
}

/* The templates, into the table's image (a commit is being made). */
void exo_xn_table_store(struct exo_xdev *d)
{
	struct exo_xn_table *tab = d->xn;
	struct exo_xinsn *out = d->progs;
	u32 i, j, n = 0;

	/* the image keeps what was stored until the templates change */
	if (!tab->stale)
		return;
	tab->stale = false;
	memset(d->tmpl, 0, EXO_XTMPL_BLOCKS * EXO_XBLK);
	memset(d->progs, 0, EXO_XPROG_BLOCKS * EXO_XBLK);
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++) {
		struct exo_xn_entry *t = &tab->t[i];

		if (!t->prog)
			continue;
		d->tmpl[n].principal = cpu_to_le64(t->principal);
		d->tmpl[n].type = cpu_to_le32(t->type);
		d->tmpl[n].len = cpu_to_le32(t->len);
		n++;
		for (j = 0; j < t->len; j++, out++) {
			out->code = cpu_to_le16(t->insns[j].code);
			out->jt = t->insns[j].jt;
			out->jf = t->insns[j].jf;
			out->k = cpu_to_le32(t->insns[j].k);
		}
	}
}

/* The templates of the table's image, into memory (attach). */
static int exo_xn_table_load(struct exo_xdev *d)
{
	struct exo_xn_table *tab = d->xn;
	const struct exo_xinsn *in = d->progs;
	u32 i, j;
	int ret;

	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++) {
		const struct exo_xtmpl *e = &d->tmpl[i];
		u32 len = le32_to_cpu(e->len), type = le32_to_cpu(e->type);
		u64 principal = le64_to_cpu(e->principal);
		struct exo_xn_entry *t = &tab->t[tab->count];

		if (!principal)
			continue;
		/* exo_xn_check_image() checked the sizes and types. */
		if (exo_xn_find(tab, principal, type))
			return -EUCLEAN;
		t->insns = kvmalloc_array(len, sizeof(*t->insns), GFP_KERNEL);
		if (!t->insns)
			return -ENOMEM;
		for (j = 0; j < len; j++, in++)
			t->insns[j] = (struct sock_filter){
				.code = le16_to_cpu(in->code),
				.jt = in->jt, .jf = in->jf,
				.k = le32_to_cpu(in->k),
			};
		ret = exo_xn_prog_build(t->insns, len, &t->prog);
		if (ret) {
			kvfree(t->insns);
			t->insns = NULL;
			return ret == -ENOMEM ? ret : -EUCLEAN;
		}
		t->principal = principal;
		t->type = type;
		t->len = len;
		tab->count++;
		tab->insns += len;
	}
	return 0;
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

/* ---- the table's XN parts ------------------------------------------------ */

static bool exo_xn_princ_exists(struct exo_xdev *d, __le64 id)
{
	u32 i;

	for (i = 0; i < EXO_EXTENT_MAX_PRINCIPALS; i++)
		if (id && d->princ[i].id == id)
			return true;
	return false;
}

/* Does the principal @id hold a root (so it must not be forgotten)? */
bool exo_xn_principal_holds(struct exo_xdev *d, __le64 id)
{
	u32 i;

	for (i = 0; i < EXO_XN_MAX_ROOTS; i++)
		if (d->roots[i].principal == id)
			return true;
	return false;
}

/*
 * Is the XN part of the image consistent?  XN's blocks are data blocks
 * outside every extent (marked in @seen, which holds the reserved area
 * and the extents so far); roots are XN blocks of known principals;
 * templates fit the program area; the pending block is an XN block.
 * 0 or -EUCLEAN.
 */
int exo_xn_check_image(struct exo_xdev *d, unsigned long *seen)
{
	unsigned int bits = d->bitmap_blocks * EXO_XBLK * 8;
	u64 b = 0, pending = le64_to_cpu(d->sb->xn_pending);
	u32 i, j, insns = 0;

	while ((b = find_next_bit_le(d->xnmap, bits, b)) < bits) {
		if (b < d->data_start || b >= d->nblocks ||
		    __test_and_set_bit_le(b, seen))
			return -EUCLEAN;
		b++;
	}
	for (i = 0; i < EXO_XN_MAX_ROOTS; i++) {
		const struct exo_xroot *r = &d->roots[i];
		u64 rb = le64_to_cpu(r->block);
		u32 type = le32_to_cpu(r->type);

		if (!r->principal)
			continue;
		if (!exo_xn_princ_exists(d, r->principal) ||
		    rb >= d->nblocks || !test_bit_le(rb, d->xnmap) ||
		    !type || type >= EXO_XN_MAX_TYPES)
			return -EUCLEAN;
		for (j = 0; j < i; j++)
			if (d->roots[j].principal && d->roots[j].block == r->block)
				return -EUCLEAN;
	}
	for (i = 0; i < EXO_XN_TEMPLATES_MAX; i++) {
		const struct exo_xtmpl *t = &d->tmpl[i];
		u32 type = le32_to_cpu(t->type), len = le32_to_cpu(t->len);

		if (!t->principal)
			continue;
		if (!type || type >= EXO_XN_MAX_TYPES || !len ||
		    len > EXO_XN_MAX_INSNS)
			return -EUCLEAN;
		insns += len;
		if (insns > EXO_XN_PROG_INSNS)
			return -EUCLEAN;
	}
	if (pending && (pending >= d->nblocks ||
			!test_bit_le(pending, d->xnmap)))
		return -EUCLEAN;
	return 0;
}

/* Read XN block @b into @page: its pending contents if it has some. */
static int exo_xn_read_block(struct exo_xdev *d, u64 b, struct page *page)
{
	if (b == le64_to_cpu(d->sb->xn_pending)) {
		memcpy_to_page(page, 0, d->pending, EXO_XBLK);
		return 0;
	}
	return exo_xread_page(d, b, page);
}

/*
 * Write the pending metadata block in place and forget it.  The table
 * that carries it is committed; a failure leaves it pending (the next XN
 * call, or attach, writes it again).  No FUA: the table on disk names the
 * block pending until a later commit, whose header write flushes first
 * (REQ_PREFLUSH), so this write is durable before the table forgets it,
 * and a crash before then redoes it at attach.  0 or -EIO.  exo_xsem
 * held for writing.
 */
static int exo_xn_write_pending(struct exo_xdev *d)
{
	u64 b = le64_to_cpu(d->sb->xn_pending);
	struct exo_xsb *shadow = d->shadow;

	if (!b)
		return 0;
	if (exo_xrw(d->bdev, b, d->pending, 1, EXO_XWRITE)) {
		atomic64_inc(&d->errors);
		return -EIO;
	}
	atomic64_inc(&d->writes);
	atomic64_add(EXO_XBLK, &d->bytes_written);
	d->sb->xn_pending = 0;
	shadow->xn_pending = 0;
	return 0;
}

/* ---- walking from the roots ---------------------------------------------- */

struct exo_xn_walk_item {
	u64 block;
	u64 principal;
	u64 parent;
	u32 type;
	bool root;
};

/*
 * Reach every block from the roots with the templates, filling @owned
 * and, unless NULL, @parent (both empty).  A block reached twice, a reference to a block XN did not
 * allocate, a function that fails, or an XN block no root reaches is a
 * broken tree: *@why says which and *@where names the block.  Returns 0,
 * -EUCLEAN (broken), -ENOMEM or -EIO.
 */
static int exo_xn_walk(struct exo_xdev *d, struct xarray *owned,
		       struct xarray *parent, const char **why, u64 *where)
{
	unsigned int bits = d->bitmap_blocks * EXO_XBLK * 8;
	struct exo_xn_walk_item *stack, it;
	u32 cap, depth = 0, i, n;
	struct exo_xn_ref *refs;
	struct page *page;
	u64 b;
	int ret = 0;

	cap = max_t(u32, bitmap_weight(d->xnmap, bits), 1);
	stack = kvmalloc_array(cap, sizeof(*stack), GFP_KERNEL);
	refs = kmalloc_array(EXO_XN_MAX_REFS, sizeof(*refs), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	if (!stack || !refs || !page) {
		ret = -ENOMEM;
		goto out;
	}
	*why = NULL;
	for (i = 0; i < EXO_XN_MAX_ROOTS && !ret; i++) {
		const struct exo_xroot *r = &d->roots[i];

		if (!r->principal)
			continue;
		stack[depth++] = (struct exo_xn_walk_item){
			.block = le64_to_cpu(r->block),
			.principal = le64_to_cpu(r->principal),
			.type = le32_to_cpu(r->type),
			.root = true,
		};
		while (depth && !ret) {
			it = stack[--depth];
			*where = it.block;
			ret = -EUCLEAN;
			if (xa_load(owned, it.block)) {
				*why = "owned twice (reached twice from the roots)";
				break;
			}
			if (!test_bit_le(it.block, d->xnmap)) {
				*why = "reached from a root but not allocated to XN";
				break;
			}
			ret = xa_err(xa_store(owned, it.block,
					      EXO_XN_OWN(it.principal, it.type,
							 it.root),
					      GFP_KERNEL));
			if (!ret && parent && !it.root)
				ret = xa_err(xa_store(parent, it.block,
						      xa_mk_value(it.parent),
						      GFP_KERNEL));
			if (ret || !it.type)
				continue;
			ret = exo_xn_read_block(d, it.block, page);
			if (ret)
				break;
			ret = exo_xn_run(d->xn, it.principal, it.type,
					 page_address(page), d->nblocks, refs,
					 EXO_XN_MAX_REFS, &n);
			if (ret == -ENOMEM)
				break;
			if (ret) {
				*why = "its template fails on it";
				ret = -EUCLEAN;
				break;
			}
			if (n > cap - depth) {
				*why = "references more blocks than XN holds";
				ret = -EUCLEAN;
				break;
			}
			while (n--)
				stack[depth++] = (struct exo_xn_walk_item){
					.block = refs[n].block,
					.principal = it.principal,
					.parent = it.block,
					.type = refs[n].type,
				};
		}
		depth = 0;
	}
	for (b = 0; !ret && (b = find_next_bit_le(d->xnmap, bits, b)) < bits;
	     b++)
		if (!xa_load(owned, b)) {
			*why = "owned and unreachable from the roots";
			*where = b;
			ret = -EUCLEAN;
		}
out:
	kvfree(stack);
	kfree(refs);
	if (page)
		__free_page(page);
	return ret;
}

/*
 * Attach: the templates of the table, then the pending block (redo), then
 * who owns what, from the roots.  0, -EUCLEAN, -EIO or -ENOMEM.
 */
int exo_xn_attach(struct exo_xdev *d)
{
	const char *why = NULL;
	u64 where = 0;
	int ret;

	ret = exo_xn_table_load(d);
	if (!ret)
		ret = exo_xn_write_pending(d);
	if (!ret)
		ret = exo_xn_walk(d, &d->xn->owned, &d->xn->parent, &why,
				  &where);
	if (ret == -EUCLEAN && why)
		pr_warn("exo: %s: XN block %llu is %s\n", d->path, where, why);
	return ret;
}

/*
 * debugfs check: walk again from the roots into a fresh map and compare
 * it with the live one.  Returns the problems found.  exo_xsem held.
 */
u64 exo_xn_walk_check(struct exo_xdev *d, struct seq_file *m)
{
	struct xarray fresh, parent;
	const char *why = NULL;
	unsigned long b;
	u64 where = 0, bad = 0;
	void *v;
	int ret;

	xa_init(&fresh);
	xa_init(&parent);
	ret = exo_xn_walk(d, &fresh, &parent, &why, &where);
	if (ret == -EUCLEAN) {
		seq_printf(m, "bad: xn: block %llu is %s\n", where, why);
		bad++;
	} else if (ret) {
		seq_printf(m, "bad: xn: cannot walk from the roots: %d\n", ret);
		bad++;
	}
	xa_for_each(&d->xn->owned, b, v)
		if (!ret && xa_load(&fresh, b) != v) {
			seq_printf(m, "bad: xn: block %lu owned by %lu (type %u) in memory, not so from the roots\n",
				   b, EXO_XN_OWNER(v), EXO_XN_TYPE(v));
			bad++;
		}
	xa_for_each(&fresh, b, v)
		if (!xa_load(&d->xn->owned, b)) {
			seq_printf(m, "bad: xn: block %lu reached from the roots, unknown in memory\n",
				   b);
			bad++;
		}
	/* The parent links subtree capabilities follow. */
	xa_for_each(&d->xn->parent, b, v)
		if (!ret && xa_load(&parent, b) != v) {
			seq_printf(m, "bad: xn: block %lu has parent %lu in memory, not so from the roots\n",
				   b, xa_to_value(v));
			bad++;
		}
	xa_for_each(&parent, b, v)
		if (!ret && !xa_load(&d->xn->parent, b)) {
			seq_printf(m, "bad: xn: block %lu has no parent in memory\n",
				   b);
			bad++;
		}
	xa_destroy(&fresh);
	xa_destroy(&parent);
	return bad;
}

void exo_xn_show(struct exo_xdev *d, struct seq_file *m)
{
	unsigned long b;
	u32 i, roots = 0;
	u64 blocks = 0;
	void *v;

	for (i = 0; i < EXO_XN_MAX_ROOTS; i++)
		roots += !!d->roots[i].principal;
	xa_for_each(&d->xn->owned, b, v)
		blocks++;
	seq_printf(m, "xn_templates %u\n", exo_xn_table_count(d->xn));
	seq_printf(m, "xn_roots %u\n", roots);
	seq_printf(m, "xn_blocks %llu\n", blocks);
	seq_printf(m, "xn_pending %llu\n", le64_to_cpu(d->sb->xn_pending));
}

/* ---- who may act on a block ------------------------------------------------ */

/* Does block @b belong to the subtree of @top (@b reached from it)? */
static bool exo_xn_reaches(struct exo_xdev *d, u64 top, u64 b)
{
	u64 steps;

	/* The blocks form trees (attach and every update keep it so). */
	for (steps = 0; steps < d->nblocks; steps++) {
		void *v = xa_load(&d->xn->parent, b);

		if (b == top)
			return true;
		if (!v)
			return false;
		b = xa_to_value(v);
	}
	return false;
}

/*
 * Who acts on XN block @b for @env, and may it?  Without @tree, the env's
 * principal, on a block it owns; with @tree, the principal of that
 * subtree capability (with the rights @need), on a block of the subtree.
 * The acting principal to *@idp, @b's entry to *@vp.  0, -ENOKEY, -EACCES,
 * or an error of the capability (exo_xn_subtree_get).  exo_xsem held.
 */
static int exo_xn_access(struct exo_env *env, struct exo_xdev *d,
			 exo_cap_t tree, u32 need, u64 b, u64 *idp, void **vp)
{
	struct exo_xprinc *p;
	u64 id, top = 0;
	void *v;
	int ret;

	if (tree) {
		ret = exo_xn_subtree_get(env, tree, need, d, &id, &top);
		if (ret)
			return ret;
	} else {
		p = exo_xenv_principal(env, d);
		if (!p)
			return -ENOKEY;
		id = le64_to_cpu(p->id);
	}
	v = b < d->nblocks ? xa_load(&d->xn->owned, b) : NULL;
	if (!v || EXO_XN_OWNER(v) != id || (tree && !exo_xn_reaches(d, top, b)))
		return -EACCES;
	*idp = id;
	*vp = v;
	return 0;
}

/* The type of XN block @b if principal @p owns it, else -EACCES. */
int exo_xn_owned_type(struct exo_xdev *d, u64 p, u64 b)
{
	void *v = b < d->nblocks ? xa_load(&d->xn->owned, b) : NULL;

	return v && EXO_XN_OWNER(v) == p ? EXO_XN_TYPE(v) : -EACCES;
}

/* ---- the calls ------------------------------------------------------------- */

int exo_ioc_xn_template(struct exo_env *env, void *arg)
{
	struct exo_xn_template *xt = arg;
	bool remove = xt->flags & EXO_XN_TEMPLATE_REMOVE;
	struct sock_filter *insns = NULL;
	struct bpf_prog *prog = NULL;
	struct exo_xprinc *p;
	int ret;

	if ((xt->flags & ~EXO_XN_TEMPLATE_REMOVE) || !xt->type ||
	    xt->type >= EXO_XN_MAX_TYPES || (remove && (xt->len || xt->insns)))
		return -EINVAL;
	if (!remove) {
		ret = exo_xn_prog_from_user(xt->insns, xt->len, &insns, &prog);
		if (ret)
			return ret;
	}
	exo_xwrite_lock();
	ret = -ENODEV;
	if (!exo_xdev)
		goto out;
	p = exo_xenv_principal(env, exo_xdev);
	ret = -ENOKEY;
	if (!p)
		goto out;
	ret = exo_xn_template_set(exo_xdev, le64_to_cpu(p->id), xt->type,
				  prog, insns, xt->len);
	if (!ret)
		prog = NULL;
out:
	exo_xwrite_unlock();
	if (prog) {
		bpf_prog_destroy(prog);
		kvfree(insns);
	}
	return ret;
}

/* Does the template of (@p, @type) find references in a zeroed block? */
static int exo_xn_zero_is_empty(struct exo_xdev *d, u64 p, u32 type)
{
	void *zero = (void *)page_address(ZERO_PAGE(0));
	u32 n = 0;
	int ret;

	ret = exo_xn_run(d->xn, p, type, zero, d->nblocks, NULL, 0, &n);
	return ret ?: n ? -ENOTEMPTY : 0;
}

static struct exo_xroot *exo_xn_root_find(struct exo_xdev *d, u64 p, u64 b)
{
	u32 i;

	for (i = 0; i < EXO_XN_MAX_ROOTS; i++)
		if (le64_to_cpu(d->roots[i].principal) == p &&
		    le64_to_cpu(d->roots[i].block) == b)
			return &d->roots[i];
	return NULL;
}

/* Take free block @b for XN (image only).  Reads as zeroes from now on. */
static void exo_xn_take(struct exo_xdev *d, u64 b)
{
	__set_bit_le(b, d->bitmap);
	__set_bit_le(b, d->xnmap);
	clear_bit_le(b, d->wlive);
	d->free--;
}

/* Give XN block @b back to the device (image only). */
static void exo_xn_give(struct exo_xdev *d, u64 b)
{
	__clear_bit_le(b, d->bitmap);
	__clear_bit_le(b, d->xnmap);
	d->free++;
}

/* Is block @b free on the device?  Why not, if it is not. */
static int exo_xn_block_free(struct exo_xdev *d, u64 p, u64 b)
{
	void *v;

	if (b < d->data_start || b >= d->nblocks)
		return -EBUSY;
	if (!test_bit_le(b, d->bitmap))
		return 0;
	v = xa_load(&d->xn->owned, b);
	return v && EXO_XN_OWNER(v) == p ? -EEXIST : -EBUSY;
}

static int exo_xn_root_add(struct exo_xdev *d, u64 p, struct exo_xn_root *xr)
{
	struct exo_xroot *r = NULL;
	u64 b = xr->block;
	u32 i;
	int ret;

	if (!b) {
		b = find_next_zero_bit_le(d->bitmap, d->nblocks, d->data_start);
		if (b >= d->nblocks)
			return -ENOSPC;
	}
	if (b >= d->nblocks)
		return -ERANGE;
	ret = exo_xn_block_free(d, p, b);
	if (ret)
		return ret;
	ret = exo_xn_zero_is_empty(d, p, xr->type);
	if (ret)
		return ret;
	for (i = 0; i < EXO_XN_MAX_ROOTS && !r; i++)
		if (!d->roots[i].principal)
			r = &d->roots[i];
	if (!r)
		return -ENOSPC;
	ret = xa_reserve(&d->xn->owned, b, GFP_KERNEL);
	if (ret)
		return ret;
	r->principal = cpu_to_le64(p);
	r->block = cpu_to_le64(b);
	r->type = cpu_to_le32(xr->type);
	exo_xn_take(d, b);
	ret = exo_xcommit(d);
	if (ret) {
		xa_release(&d->xn->owned, b);
		return ret;
	}
	xa_store(&d->xn->owned, b, EXO_XN_OWN(p, xr->type, true), GFP_KERNEL);
	xr->block = b;
	return 0;
}

static int exo_xn_root_remove(struct exo_xdev *d, u64 p,
			      struct exo_xn_root *xr, struct page *page)
{
	struct exo_xroot *r = exo_xn_root_find(d, p, xr->block);
	u32 type, n = 0;
	int ret;

	if (!r)
		return -ENOENT;
	type = le32_to_cpu(r->type);
	if (xr->type && xr->type != type)
		return -EINVAL;
	ret = exo_xn_read_block(d, xr->block, page);
	if (!ret)
		ret = exo_xn_run(d->xn, p, type, page_address(page),
				 d->nblocks, NULL, 0, &n);
	if (ret)
		return ret;
	if (n)
		return -ENOTEMPTY;
	memset(r, 0, sizeof(*r));
	exo_xn_give(d, xr->block);
	if (le64_to_cpu(d->sb->xn_pending) == xr->block)
		d->sb->xn_pending = 0;
	exo_xprinc_gc(d);
	ret = exo_xcommit(d);
	if (ret)
		return ret;
	xa_erase(&d->xn->owned, xr->block);
	clear_bit_le(xr->block, d->wlive);
	exo_xn_subtree_gone(d, xr->block);
	xr->type = type;
	return 0;
}

int exo_ioc_xn_root(struct exo_env *env, void *arg)
{
	struct exo_xn_root *xr = arg;
	bool remove = xr->flags & EXO_XN_ROOT_REMOVE;
	struct page *page = NULL;
	struct exo_xprinc *p;
	struct exo_xdev *d;
	int ret;

	if ((xr->flags & ~EXO_XN_ROOT_REMOVE) || xr->__reserved ||
	    xr->type >= EXO_XN_MAX_TYPES || (!remove && !xr->type))
		return -EINVAL;
	if (remove) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
	}
	exo_xwrite_lock();
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	p = exo_xenv_principal(env, d);
	ret = -ENOKEY;
	if (!p)
		goto out;
	ret = exo_xn_write_pending(d);
	if (ret)
		goto out;
	if (remove)
		ret = exo_xn_root_remove(d, le64_to_cpu(p->id), xr, page);
	else
		ret = exo_xn_root_add(d, le64_to_cpu(p->id), xr);
	xr->generation = d->generation;
out:
	exo_xwrite_unlock();
	if (page)
		__free_page(page);
	return ret;
}

/* ---- checked updates -------------------------------------------------------- */

struct exo_xn_claim {
	struct exo_xn_ref *add, *rel;	/* the claim, sorted */
	struct exo_xn_ref *old, *new;	/* the template's answers, sorted */
	u32 nadd, nrel, nold, nnew;
};

static int exo_xn_ref_cmp(const void *a, const void *b)
{
	const struct exo_xn_ref *x = a, *y = b;

	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return 0;
}

static void exo_xn_sort(struct exo_xn_ref *r, u32 n)
{
	sort(r, n, sizeof(*r), exo_xn_ref_cmp, NULL);
}

/* Is (@ref's block and type) in the sorted @r? */
static bool exo_xn_has(const struct exo_xn_ref *r, u32 n,
		       const struct exo_xn_ref *ref)
{
	return bsearch(ref, r, n, sizeof(*r), exo_xn_ref_cmp);
}

/* Is block @b in the sorted @r, whatever its type? */
static bool exo_xn_has_block(const struct exo_xn_ref *r, u32 n, u64 b)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (r[mid].block < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && r[lo].block == b;
}

/* Does the sorted @r name a block twice? */
static bool exo_xn_dup(const struct exo_xn_ref *r, u32 n)
{
	u32 i;

	for (i = 1; i < n; i++)
		if (r[i].block == r[i - 1].block)
			return true;
	return false;
}

/*
 * Is the claim exactly the difference between the old and the new
 * references of metadata block @b?  The first broken rule answers:
 *   EEXIST     a block twice (in the claim, or in the new contents), or
 *              the block itself
 *   ENOTEMPTY  a released block the new contents still reference
 *   EPERM      a new reference the claim does not add
 *   EPROTO     any other difference (an added block the new contents
 *              do not reference or the old ones did, a released block
 *              the old contents did not reference, an old reference
 *              dropped without being released)
 */
static int exo_xn_claim_matches(const struct exo_xn_claim *c, u64 b)
{
	u32 i;

	if (exo_xn_dup(c->add, c->nadd) || exo_xn_dup(c->rel, c->nrel) ||
	    exo_xn_dup(c->new, c->nnew) || exo_xn_has_block(c->new, c->nnew, b))
		return -EEXIST;
	for (i = 0; i < c->nadd; i++)
		if (exo_xn_has_block(c->rel, c->nrel, c->add[i].block))
			return -EEXIST;
	for (i = 0; i < c->nrel; i++)
		if (exo_xn_has_block(c->new, c->nnew, c->rel[i].block))
			return -ENOTEMPTY;
	for (i = 0; i < c->nnew; i++)
		if (!exo_xn_has(c->old, c->nold, &c->new[i]) &&
		    !exo_xn_has(c->add, c->nadd, &c->new[i]))
			return -EPERM;
	for (i = 0; i < c->nadd; i++)
		if (!exo_xn_has(c->new, c->nnew, &c->add[i]) ||
		    exo_xn_has(c->old, c->nold, &c->add[i]))
			return -EPROTO;
	for (i = 0; i < c->nrel; i++)
		if (!exo_xn_has(c->old, c->nold, &c->rel[i]))
			return -EPROTO;
	for (i = 0; i < c->nold; i++)
		if (!exo_xn_has(c->new, c->nnew, &c->old[i]) &&
		    !exo_xn_has(c->rel, c->nrel, &c->old[i]))
			return -EPROTO;
	return 0;
}

/*
 * A checksum of an update: principal @p, metadata block @b, its new
 * contents @buf and the (sorted) claim.  Keyed (a random key per boot), so
 * a caller cannot make two different updates sum alike on purpose.
 */
static u64 exo_xn_update_sum(u64 p, u64 b, const void *buf,
			     const struct exo_xn_claim *c)
{
	static siphash_key_t key;
	u64 v[6];

	get_random_once(&key, sizeof(key));
	v[0] = p;
	v[1] = b;
	v[2] = ((u64)c->nadd << 32) | c->nrel;
	v[3] = siphash(buf, EXO_XBLK, &key);
	v[4] = siphash(c->add, c->nadd * sizeof(*c->add), &key);
	v[5] = siphash(c->rel, c->nrel * sizeof(*c->rel), &key);
	return siphash(v, sizeof(v), &key) | 1;
}

/*
 * Is this call a retry of the last update applied (the same principal,
 * block, new contents and claim: @sum), which still holds: @b's contents
 * are the new ones (the caller compared them), every added block is @p's,
 * of its type, under @b, and no released one is @p's under @b?  A call
 * that failed after its commit (the copy of @generation back: EFAULT, the
 * effect kept) can then be made again: it answers 0 and changes nothing.
 * Only the last update: after another one the retry is refused as before
 * (EPROTO, EEXIST: the claim no longer describes a difference).
 */
static bool exo_xn_update_done(struct exo_xdev *d, u64 p, u64 b, u64 sum,
			       const struct exo_xn_claim *c)
{
	u32 i;

	if (sum != d->xn->last_update)
		return false;
	for (i = 0; i < c->nadd; i++) {
		void *v = xa_load(&d->xn->owned, c->add[i].block);
		void *up = xa_load(&d->xn->parent, c->add[i].block);

		if (!v || EXO_XN_OWNER(v) != p || EXO_XN_IS_ROOT(v) ||
		    EXO_XN_TYPE(v) != c->add[i].type || !up ||
		    xa_to_value(up) != b || !exo_xn_has(c->new, c->nnew, &c->add[i]))
			return false;
	}
	for (i = 0; i < c->nrel; i++) {
		void *v = xa_load(&d->xn->owned, c->rel[i].block);
		void *up = xa_load(&d->xn->parent, c->rel[i].block);

		if (exo_xn_has_block(c->new, c->nnew, c->rel[i].block) ||
		    (v && EXO_XN_OWNER(v) == p && up && xa_to_value(up) == b))
			return false;
	}
	return true;
}

/*
 * May principal @p take the added blocks and give back the released
 * ones?  Added blocks must be free on the device (EBUSY: another's, an
 * extent's or exo's; EEXIST: already @p's), a metadata type needs @p's
 * template, which must find no reference in the zeroes the block reads
 * as (ENOENT, ENOTEMPTY).  A released metadata block must reference
 * nothing (ENOTEMPTY), or what it references would be owned and
 * unreachable.
 */
static int exo_xn_claim_allowed(struct exo_xdev *d, u64 p,
				const struct exo_xn_claim *c,
				struct page *page)
{
	u32 i, n;
	int ret;

	for (i = 0; i < c->nadd; i++) {
		ret = exo_xn_block_free(d, p, c->add[i].block);
		if (!ret && c->add[i].type)
			ret = exo_xn_zero_is_empty(d, p, c->add[i].type);
		if (ret)
			return ret;
	}
	for (i = 0; i < c->nrel; i++) {
		void *v = xa_load(&d->xn->owned, c->rel[i].block);

		/* The old contents of @p's block reference only @p's. */
		if (WARN_ON_ONCE(!v || EXO_XN_OWNER(v) != p))
			return -EUCLEAN;
		if (!c->rel[i].type)
			continue;
		ret = exo_xn_read_block(d, c->rel[i].block, page);
		if (!ret)
			ret = exo_xn_run(d->xn, p, c->rel[i].type,
					 page_address(page), d->nblocks, NULL,
					 0, &n);
		if (ret)
			return ret;
		if (n)
			return -ENOTEMPTY;
	}
	return 0;
}

/*
 * Apply a checked claim to metadata block @b of principal @p, whose new
 * contents are @buf: the table (with @buf as its pending block) first,
 * then the block in place.  exo_xsem held for writing.
 */
static int exo_xn_apply(struct exo_xdev *d, u64 p, u64 b, const void *buf,
			const struct exo_xn_claim *c)
{
	struct xarray *owned = &d->xn->owned, *parent = &d->xn->parent;
	bool was_written;
	u32 i;
	int ret = 0;

	for (i = 0; i < c->nadd && !ret; i++) {
		ret = xa_reserve(owned, c->add[i].block, GFP_KERNEL);
		if (!ret) {
			ret = xa_reserve(parent, c->add[i].block, GFP_KERNEL);
			if (ret)
				xa_release(owned, c->add[i].block);
		}
	}
	if (ret) {
		i--;
		while (i--) {
			xa_release(owned, c->add[i].block);
			xa_release(parent, c->add[i].block);
		}
		return ret;
	}
	for (i = 0; i < c->nadd; i++)
		exo_xn_take(d, c->add[i].block);
	for (i = 0; i < c->nrel; i++)
		exo_xn_give(d, c->rel[i].block);
	memcpy(d->pending, buf, EXO_XBLK);
	d->sb->xn_pending = cpu_to_le64(b);
	/* The table that carries the new contents vouches for them. */
	was_written = test_and_set_bit_le(b, d->wlive);
	ret = exo_xcommit(d);
	if (ret) {
		if (!was_written)
			clear_bit_le(b, d->wlive);
		for (i = 0; i < c->nadd; i++) {
			xa_release(owned, c->add[i].block);
			xa_release(parent, c->add[i].block);
		}
		return ret;
	}
	for (i = 0; i < c->nadd; i++) {
		xa_store(owned, c->add[i].block,
			 EXO_XN_OWN(p, c->add[i].type, false), GFP_KERNEL);
		xa_store(parent, c->add[i].block, xa_mk_value(b), GFP_KERNEL);
	}
	for (i = 0; i < c->nrel; i++) {
		xa_erase(owned, c->rel[i].block);
		xa_erase(parent, c->rel[i].block);
		clear_bit_le(c->rel[i].block, d->wlive);
		exo_xn_subtree_gone(d, c->rel[i].block);
	}
	/*
	 * Committed: the update has taken effect, whatever the in-place write
	 * does now.  If it fails, the block stays pending in the table (read
	 * from there, written again by the next XN call or at attach), so
	 * the call answers 0: an error here made a caller that retried the
	 * same update find it done and its claim a lie (EPROTO; exo_failnth
	 * XN_UPDATE under the debug kernel, fault 49).
	 */
	exo_xn_write_pending(d);
	return 0;
}

/* Copy @n claimed references from user @uptr, checking each once. */
static int exo_xn_claim_from_user(u64 uptr, u32 n, u64 nblocks,
				  struct exo_xn_ref *r)
{
	u32 i;

	if (copy_from_user(r, u64_to_user_ptr(uptr), (size_t)n * sizeof(*r)))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		if (r[i].__reserved || r[i].type >= EXO_XN_MAX_TYPES)
			return -EINVAL;
		if (r[i].block >= nblocks)
			return -ERANGE;
	}
	exo_xn_sort(r, n);
	return 0;
}

/* Copy the frame @h (READ) into @page: the contents checked and written. */
static int exo_xn_frame_copy(struct exo_env *env, exo_cap_t h,
			     struct page *page)
{
	struct exo_obj *frame;
	u64 pfn;
	int ret;

	mutex_lock(&exo_lock);
	ret = exo_frame_get(env, h, EXO_RIGHT_READ, &frame, &pfn);
	mutex_unlock(&exo_lock);
	if (ret)
		return ret;
	copy_highpage(page, pfn_to_page(pfn));
	mutex_lock(&exo_lock);
	exo_obj_put(frame);
	mutex_unlock(&exo_lock);
	return 0;
}

int exo_ioc_xn_update(struct exo_env *env, void *arg)
{
	struct exo_xn_update *xu = arg;
	struct page *newp = NULL, *oldp = NULL;
	struct exo_xn_claim c = {};
	struct exo_xn_ref *buf = NULL;
	struct exo_xdev *d;
	u64 id, sum;
	void *v;
	u32 type;
	int ret;

	if (xu->flags || xu->__reserved || xu->__pad ||
	    xu->nadd > EXO_XN_MAX_REFS ||
	    xu->nrelease > EXO_XN_MAX_REFS)
		return -EINVAL;
	/* One array: the claim's two lists, then the old and new answers. */
	buf = kvmalloc_array(2 * EXO_XN_MAX_REFS + xu->nadd + xu->nrelease,
			     sizeof(*buf), GFP_KERNEL);
	newp = alloc_page(GFP_KERNEL);
	oldp = alloc_page(GFP_KERNEL);
	ret = -ENOMEM;
	if (!buf || !newp || !oldp)
		goto out_free;
	c.add = buf;
	c.rel = c.add + xu->nadd;
	c.old = c.rel + xu->nrelease;
	c.new = c.old + EXO_XN_MAX_REFS;
	c.nadd = xu->nadd;
	c.nrel = xu->nrelease;
	ret = exo_xn_claim_from_user(xu->add, c.nadd, EXO_XNBLOCKS_MAX, c.add);
	if (!ret)
		ret = exo_xn_claim_from_user(xu->release, c.nrel,
					     EXO_XNBLOCKS_MAX, c.rel);
	if (!ret)
		ret = exo_xn_frame_copy(env, xu->frame, newp);
	if (ret)
		goto out_free;

	exo_xwrite_lock();
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	/* A metadata block of this principal's trees (or of the subtree). */
	ret = exo_xn_access(env, d, xu->tree, EXO_RIGHT_WRITE, xu->block,
			    &id, &v);
	if (!ret && !EXO_XN_TYPE(v))
		ret = -EACCES;
	if (ret)
		goto out;
	type = EXO_XN_TYPE(v);
	ret = exo_xn_write_pending(d);
	if (!ret)
		ret = exo_xn_read_block(d, xu->block, oldp);
	if (!ret)
		ret = exo_xn_run(d->xn, id, type, page_address(oldp),
				 d->nblocks, c.old, EXO_XN_MAX_REFS, &c.nold);
	if (!ret)
		ret = exo_xn_run(d->xn, id, type, page_address(newp),
				 d->nblocks, c.new, EXO_XN_MAX_REFS, &c.nnew);
	if (ret)
		goto out;
	exo_xn_sort(c.old, c.nold);
	exo_xn_sort(c.new, c.nnew);
	sum = exo_xn_update_sum(id, xu->block, page_address(newp), &c);
	/* A retry of the update that took effect last: nothing left to do. */
	if (!memcmp(page_address(oldp), page_address(newp), EXO_XBLK) &&
	    exo_xn_update_done(d, id, xu->block, sum, &c)) {
		xu->generation = d->generation;
		goto out;
	}
	ret = exo_xn_claim_matches(&c, xu->block);
	if (!ret)
		ret = exo_xn_claim_allowed(d, id, &c, oldp);
	if (!ret)
		ret = exo_xn_apply(d, id, xu->block, page_address(newp), &c);
	d->xn->last_update = ret ? 0 : sum;
	xu->generation = d->generation;
out:
	exo_xwrite_unlock();
out_free:
	kvfree(buf);
	if (newp)
		__free_page(newp);
	if (oldp)
		__free_page(oldp);
	return ret;
}

/* ---- reads ---------------------------------------------------------------- */

int exo_ioc_xn_read(struct exo_env *env, void *arg)
{
	struct exo_xn_read *xr = arg;
	struct exo_obj *frame = NULL;
	struct exo_xdev *d;
	u64 pfn = 0, id;
	void *v;
	int ret;

	if (xr->flags || xr->__reserved || xr->__pad)
		return -EINVAL;
	down_read(&exo_xsem);
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	/* What the principal's roots (or the subtree) reach, nothing else. */
	ret = exo_xn_access(env, d, xr->tree, EXO_RIGHT_READ, xr->block, &id,
			    &v);
	if (ret)
		goto out;
	mutex_lock(&exo_lock);
	ret = exo_frame_get(env, xr->frame, EXO_RIGHT_WRITE, &frame, &pfn);
	mutex_unlock(&exo_lock);
	if (ret)
		goto out;
	ret = exo_xn_read_block(d, xr->block, pfn_to_page(pfn));
	xr->type = EXO_XN_TYPE(v);
	xr->root = EXO_XN_IS_ROOT(v);
	mutex_lock(&exo_lock);
	exo_obj_put(frame);
	mutex_unlock(&exo_lock);
out:
	up_read(&exo_xsem);
	return ret;
}

int exo_ioc_xn_write(struct exo_env *env, void *arg)
{
	struct exo_xn_write *xw = arg;
	struct exo_obj *frame = NULL;
	struct exo_xdev *d;
	struct bio *bio;
	u64 pfn = 0, id;
	void *v;
	int ret;

	if (xw->flags & ~EXO_IO_FUA)
		return -EINVAL;
	down_read(&exo_xsem);
	d = exo_xdev;
	ret = -ENODEV;
	if (!d)
		goto out;
	ret = exo_xn_access(env, d, xw->tree, EXO_RIGHT_WRITE, xw->block, &id,
			    &v);
	if (ret)
		goto out;
	ret = -EPERM;
	if (EXO_XN_TYPE(v))
		goto out;
	mutex_lock(&exo_lock);
	ret = exo_frame_get(env, xw->frame, EXO_RIGHT_READ, &frame, &pfn);
	mutex_unlock(&exo_lock);
	if (ret)
		goto out;
	bio = bio_alloc(d->bdev, 1, EXO_XWRITE |
			(xw->flags & EXO_IO_FUA ? REQ_FUA : 0), GFP_KERNEL);
	bio->bi_iter.bi_sector = xw->block * EXO_XSECTS;
	__bio_add_page(bio, pfn_to_page(pfn), EXO_XBLK, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	if (ret) {
		atomic64_inc(&d->errors);
	} else {
		exo_xmark_written(d, xw->block);
		atomic64_inc(&d->writes);
		atomic64_add(EXO_XBLK, &d->bytes_written);
	}
	mutex_lock(&exo_lock);
	exo_obj_put(frame);
	mutex_unlock(&exo_lock);
	kref_get(&d->ref);
	up_read(&exo_xsem);
	/* A durable write stays readable after a crash: its bit too. */
	if (!ret && (xw->flags & EXO_IO_FUA) && exo_xsync_written(d))
		ret = -EIO;
	exo_xdev_put(d);
	return ret;
out:
	up_read(&exo_xsem);
	return ret;
}
