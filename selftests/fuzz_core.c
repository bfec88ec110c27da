// SPDX-License-Identifier: GPL-2.0
/*
 * exo_fuzz's core ops: envs, capabilities, keys, frames, quotas, extents,
 * regions and info pages, events, io_uring, raw ioctls, fork.
 */
#include "fuzz.h"

/* ---- operations ----------------------------------------------------------------- */


void op_open(void)
{
	int i = rn(MAX_FDS);

	if (fds[i] >= 0) {
		if (infos[i] && one_in(2)) {
			munmap(infos[i], 2 * PAGE);
			infos[i] = NULL;
		}
		close(fds[i]);		/* regions of it stay mapped */
		fds[i] = -1;
		forget_env(i);
		nic_forget_env(i);
		count_call(0);
		return;
	}
	fds[i] = open(EXO_DEVICE, one_in(8) ? O_RDWR | O_NONBLOCK : O_RDWR);
	count_call(fds[i]);
}

void op_features(void)
{
	static const struct field rf[] = { F(struct exo_features, flags) };
	struct exo_features *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	do_ioctl(pick_fd(), EXO_IOC_GET_FEATURES, sizeof(*a), rf, 1);
}

void op_env_info(void)
{
	static const struct field rf[] = { F(struct exo_env_info, flags) };
	struct exo_env_info *a = (void *)argpage;
	int fd = pick_fd();

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	if (do_ioctl(fd, EXO_IOC_ENV_INFO, sizeof(*a), rf, 1) == 0)
		sh->env_ids[rn(SHARED_KEYS)] = a->env_id;
}

void op_null_alloc(void)
{
	static const struct field rf[] = { F(struct exo_null_alloc, flags) };
	struct exo_null_alloc *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	if (do_ioctl(pick_fd(), EXO_IOC_NULL_ALLOC, sizeof(*a), rf, 1) == 0)
		add_cap(a->cap);
}

void op_cap_info(void)
{
	static const struct field rf[] = { F(struct exo_cap_info, cap) };
	struct exo_cap_info *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_cap();
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_INFO, sizeof(*a), rf, 1) == 0 &&
	    a->kind == EXO_KIND_FRAME && npfns < MAX_PFNS)
		pfns[npfns++] = a->obj_id;
}

void op_derive(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_derive, cap), F(struct exo_cap_derive, rights),
		F(struct exo_cap_derive, __reserved),
	};
	struct exo_cap_derive *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_cap();
	a->rights = pick_rights();
	if (one_in(20))
		a->__reserved = rnd();
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_DERIVE, sizeof(*a), rf, 3) == 0)
		add_cap(a->child);
}

void op_revoke(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_revoke, cap), F(struct exo_cap_revoke, flags),
	};
	struct exo_cap_revoke *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_REVOKE_SELF);
	a->cap = pick_cap();
	do_ioctl(pick_fd(), EXO_IOC_CAP_REVOKE, sizeof(*a), rf, 2);
}

void op_close(void)
{
	static const struct field rf[] = { F(struct exo_cap_close, cap) };
	struct exo_cap_close *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_cap();
	do_ioctl(pick_fd(), EXO_IOC_CAP_CLOSE, sizeof(*a), rf, 1);
}

void op_export(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_export, cap), F(struct exo_cap_export, rights),
		F(struct exo_cap_export, flags),
	};
	struct exo_cap_export *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_KEY_REUSABLE);
	a->cap = pick_cap();
	a->rights = pick_rights();
	if (one_in(20))
		a->__reserved = 1;
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_EXPORT, sizeof(*a), rf, 3) == 0) {
		sh->keys[rn(SHARED_KEYS)] = a->key;
		own_keys[rn(16)] = a->key;
	}
}

static struct exo_key pick_key(void)
{
	struct exo_key k = one_in(2) ? own_keys[rn(16)] : sh->keys[rn(SHARED_KEYS)];

	if (one_in(8)) {
		k.lo = rnd();
		k.hi = rnd();
	} else if (one_in(10)) {
		k.lo ^= 1;
	}
	return k;
}

void op_import(void)
{
	static const struct field rf[] = {
		F(struct exo_cap_import, key.lo), F(struct exo_cap_import, key.hi),
	};
	struct exo_cap_import *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->key = pick_key();
	if (do_ioctl(pick_fd(), EXO_IOC_CAP_IMPORT, sizeof(*a), rf, 2) == 0)
		add_cap(a->cap);
}

void op_key_drop(void)
{
	static const struct field rf[] = { F(struct exo_key_drop, key.lo) };
	struct exo_key_drop *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->key = pick_key();
	do_ioctl(pick_fd(), EXO_IOC_KEY_DROP, sizeof(*a), rf, 1);
}

void op_frame_alloc(void)
{
	static const struct field rf[] = {
		F(struct exo_frame_alloc, count), F(struct exo_frame_alloc, caps),
		F(struct exo_frame_alloc, pfns), F(struct exo_frame_alloc, flags),
	};
	struct exo_frame_alloc *a = (void *)argpage;
	exo_cap_t *c = (exo_cap_t *)scratch;
	__u64 *p = (__u64 *)(scratch + SCRATCH_SIZE / 2);
	__u32 i, n;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_FRAME_BY_PFN | EXO_FRAME_RECYCLE);
	a->count = one_in(3) ? pick_count(LONG ? 4 : 8) : 1 + rn(LONG ? 4 : 8);
	if (a->count > 4096 && !one_in(8))
		a->count = 1 + rn(16);	/* keep huge allocations rare */
	/*
	 * long profile: big valid batches too, and fewer frames a call (a
	 * frame costs ~0.5 ms under the debug kernel)
	 */
	if (LONG && a->count > 64 && a->count <= EXO_BATCH_MAX && !one_in(32))
		a->count = 1 + rn(16);
	if (one_in(20))
		a->__reserved = rnd();
	n = a->count < (SCRATCH_SIZE / 2) / 8 ? a->count : (SCRATCH_SIZE / 2) / 8;
	for (i = 0; i < n && i < 64; i++) {
		switch (rn(6)) {
		case 0: p[i] = rnd(); break;
		case 1: p[i] = i ? p[i - 1] : 0; break;	/* repeated */
		default: p[i] = npfns ? pfns[rn(npfns)] + rn(3) - 1 : rn(1 << 20);
		}
	}
	a->caps = pick_ptr(c, 8 * (size_t)a->count);
	a->pfns = pick_ptr(p, 8 * (size_t)a->count);
	if (do_ioctl(pick_fd(), EXO_IOC_FRAME_ALLOC, sizeof(*a), rf, 4) == 0 &&
	    a->caps == (unsigned long)c) {
		for (i = 0; i < a->count && i < 64; i++) {
			add_cap(c[i]);
			add_typed(frame_caps, c[i]);
			if (a->pfns == (unsigned long)p && npfns < MAX_PFNS)
				pfns[npfns++] = p[i];
		}
	}
}

void op_frame_map(void)
{
	static const struct field rf[] = {
		F(struct exo_frame_map, count), F(struct exo_frame_map, entries),
	};
	struct exo_frame_map *a = (void *)argpage;
	struct exo_map_entry *e = (struct exo_map_entry *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	/* long profile: shorter typical batches (a binding costs ~0.5 ms) */
	a->count = pick_batch(LONG ? 8 : 16);
	for (i = 0; i < a->count && i < 256; i++) {
		e[i].addr = region_addr();
		e[i].cap = pick_typed(frame_caps);
		e[i].prot = one_in(10) ? rnd() : 1 + rn(3);
		e[i].__reserved = one_in(30) ? 1 : 0;
	}
	a->entries = pick_ptr(e, sizeof(*e) * (size_t)a->count);
	if (one_in(20))
		a->__reserved = 1;
	do_ioctl(pick_fd(), EXO_IOC_FRAME_MAP, sizeof(*a), rf, 2);
}

void op_frame_unmap(void)
{
	static const struct field rf[] = {
		F(struct exo_frame_unmap, count), F(struct exo_frame_unmap, addrs),
	};
	struct exo_frame_unmap *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = pick_batch(16);
	a->addrs = pick_words(a->count, region_addr);
	do_ioctl(pick_fd(), EXO_IOC_FRAME_UNMAP, sizeof(*a), rf, 2);
}

void op_caps_close(void)
{
	static const struct field rf[] = {
		F(struct exo_caps_close, count), F(struct exo_caps_close, caps),
	};
	struct exo_caps_close *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->count = pick_batch(8);
	a->caps = pick_words(a->count, pick_cap);
	do_ioctl(pick_fd(), EXO_IOC_CAPS_CLOSE, sizeof(*a), rf, 2);
}

void op_set_quota(void)
{
	static const struct field rf[] = {
		F(struct exo_set_quota, kind), F(struct exo_set_quota, env_id),
	};
	struct exo_set_quota *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->env_id = one_in(2) ? 0 : one_in(4) ? rnd() : sh->env_ids[rn(SHARED_KEYS)];
	a->kind = one_in(5) ? rnd() : rn(EXO_KIND_MAX + 1);
	/* mostly generous, so the other calls keep working */
	a->quota = one_in(4) ? rn(8) : one_in(8) ? 0xffffffff : 1024 + rn(4096);
	do_ioctl(pick_fd(), EXO_IOC_SET_QUOTA, sizeof(*a), rf, 2);
}

/* ---- extents -------------------------------------------------------------------- */

void op_extent_attach(void)
{
	static const struct field rf[] = { F(struct exo_extent_attach, path) };
	struct exo_extent_attach *a = (void *)argpage;
	char *path = (char *)scratch;

	memset(a, 0, sizeof(*a));
	a->flags = one_in(3) ? pick_flags(EXO_ATTACH_FORMAT) : EXO_ATTACH_FORMAT;
	switch (rn(6)) {
	case 0: strcpy(path, "/dev/null"); break;
	case 1: strcpy(path, "/nonexistent"); break;
	case 2: memset(path, 'a', 8192); break;		/* no NUL for 8 KiB */
	default: strcpy(path, disk); break;
	}
	a->path = pick_ptr(path, 16);
	if (one_in(10)) {	/* a string that runs into a hole */
		memcpy(edge_page + PAGE - 4, "/dev", 4);
		a->path = (unsigned long)edge_page + PAGE - 4;
	}
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_ATTACH, sizeof(*a), rf, 1);
}

void op_extent_detach(void)
{
	struct exo_extent_detach *a = (void *)argpage;

	if (!one_in(4))		/* keep the disk attached most of the time */
		return;
	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_DETACH, sizeof(*a), NULL, 0);
}

void op_extent_stat(void)
{
	struct exo_extent_stat *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_STAT, sizeof(*a), NULL, 0);
}

void op_extent_alloc(void)
{
	static const struct field rf[] = {
		F(struct exo_extent_alloc, start), F(struct exo_extent_alloc, count),
		F(struct exo_extent_alloc, flags),
	};
	struct exo_extent_alloc *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_EXTENT_AT);
	switch (rn(6)) {
	case 0: a->count = 0; break;
	case 1: a->count = ~0ULL; break;
	case 2: a->count = 1ULL << 40; break;
	default: a->count = 1 + rn(8);
	}
	switch (rn(6)) {
	case 0: a->start = ~0ULL - rn(4); break;	/* start + count overflows */
	case 1: a->start = 0; break;			/* reserved area */
	case 2: a->start = rnd(); break;
	default: a->start = 64 + rn(16000);
	}
	if (one_in(20))
		a->__reserved = 1;
	if (do_ioctl(pick_fd(), EXO_IOC_EXTENT_ALLOC, sizeof(*a), rf, 3) == 0) {
		add_cap(a->cap);
		add_typed(extent_caps, a->cap);
		if (a->new_key)
			sh->keys[rn(SHARED_KEYS)] = a->key;	/* principal keys */
	}
}

void op_extent_free(void)
{
	static const struct field rf[] = { F(struct exo_extent_free, cap) };
	struct exo_extent_free *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->cap = pick_typed(extent_caps);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_FREE, sizeof(*a), rf, 1);
}

void op_extent_reclaim(void)
{
	static const struct field rf[] = {
		F(struct exo_extent_reclaim, max), F(struct exo_extent_reclaim, extents),
	};
	struct exo_extent_reclaim *a = (void *)argpage;
	struct exo_extent_desc *d = (struct exo_extent_desc *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->key = pick_key();
	a->max = one_in(4) ? pick_count(16) : rn(64);
	a->extents = pick_ptr(d, sizeof(*d) * (size_t)a->max);
	if (do_ioctl(pick_fd(), EXO_IOC_EXTENT_RECLAIM, sizeof(*a), rf, 2) == 0 &&
	    a->extents == (unsigned long)d)
		for (i = 0; i < a->done && i < 64; i++)
			add_cap(d[i].cap);
}

void op_extent_io(void)
{
	static const struct field rf[] = {
		F(struct exo_extent_io, count), F(struct exo_extent_io, vecs),
	};
	struct exo_extent_io *a = (void *)argpage;
	struct exo_extent_iovec *v = (struct exo_extent_iovec *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_IO_FUA | EXO_IO_FLUSH);
	a->count = pick_batch(8);
	if (one_in(8))
		a->count = EXO_EXTENT_IO_MAX + 1;
	for (i = 0; i < a->count && i < 256; i++) {
		v[i].extent = pick_typed(extent_caps);
		v[i].frame = pick_typed(frame_caps);
		v[i].block = one_in(5) ? rnd() : rn(8);
		v[i].op = one_in(10) ? rnd() : rn(2);
		v[i].flags = pick_flags(EXO_IO_FUA);
	}
	a->vecs = pick_ptr(v, sizeof(*v) * (size_t)a->count);
	do_ioctl(pick_fd(), EXO_IOC_EXTENT_IO, sizeof(*a), rf, 2);
}

/*
 * XN templates: well-formed programs (a constant reference, the
 * "count then references" walker of exo_xn, an ancillary load that must
 * be refused) or random instructions, for random types and flags.
 */
void op_xn_template(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_template, len), F(struct exo_xn_template, insns),
		F(struct exo_xn_template, type),
	};
	static const struct sock_filter walker[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EXO_EXTENT_BLOCK),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 5),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 4),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct exo_xn_template *a = (void *)argpage;
	struct sock_filter *f = (struct sock_filter *)scratch;
	__u32 i, len;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_XN_TEMPLATE_REMOVE);
	/* Half the time the few types XN_ROOT and XN_UPDATE use most. */
	a->type = one_in(8) ? rnd() : one_in(2) ? rn(EXO_XN_MAX_TYPES + 1)
						: 1 + rn(3);
	switch (rn(5)) {
	case 0:
		len = 1;
		f[0] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						    one_in(2) ? 0 : rnd());
		break;
	case 1:
		len = sizeof(walker) / sizeof(walker[0]);
		memcpy(f, walker, sizeof(walker));
		break;
	case 2:
		len = 2;
		f[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    SKF_AD_OFF + rn(64));
		f[1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
		break;
	default:
		len = 1 + rn(16);
		for (i = 0; i < len; i++)
			f[i] = (struct sock_filter){
				.code = rn(0x100), .jt = rn(4), .jf = rn(4),
				.k = one_in(3) ? rnd() : rn(EXO_EXTENT_BLOCK + 8),
			};
		if (one_in(2))
			f[len - 1] = (struct sock_filter)BPF_STMT(BPF_RET |
								  BPF_A, 0);
	}
	a->len = one_in(10) ? pick_count(len) : len;
	a->insns = pick_ptr(f, sizeof(*f) * (size_t)a->len);
	if (a->flags & EXO_XN_TEMPLATE_REMOVE && !one_in(4)) {
		a->len = 0;
		a->insns = 0;
	}
	do_ioctl(pick_fd(), EXO_IOC_XN_TEMPLATE, sizeof(*a), rf, 3);
}

void op_xn_owns(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_owns, max), F(struct exo_xn_owns, refs),
		F(struct exo_xn_owns, block), F(struct exo_xn_owns, extent),
	};
	struct exo_xn_owns *a = (void *)argpage;
	struct exo_xn_ref *r = (struct exo_xn_ref *)scratch;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->extent = pick_typed(extent_caps);
	a->block = one_in(5) ? rnd() : rn(8);
	a->type = one_in(8) ? rnd() : rn(EXO_XN_MAX_TYPES);
	a->max = one_in(4) ? pick_count(EXO_XN_MAX_REFS) : rn(16);
	a->refs = pick_ptr(r, sizeof(*r) * (size_t)a->max);
	if (one_in(20))
		a->__reserved = 1;
	do_ioctl(pick_fd(), EXO_IOC_XN_OWNS, sizeof(*a), rf, 4);
}

/*
 * XN roots, checked updates and reads, on blocks that were roots lately
 * (this process's), blocks near them, or anything.  The contents a
 * random frame holds are rarely a list a template accepts: these calls
 * mostly stress the checks and their error paths.
 */
static __u64 xn_blocks[16];

static __u64 pick_xn_block(void)
{
	__u64 b = xn_blocks[rn(16)];

	switch (rn(6)) {
	case 0: return rnd();
	case 1: return 0;
	case 2: return b + rn(8);
	default: return b;
	}
}

/* No subtree (the plain call), mostly; else a recent one, or any handle. */
static exo_cap_t pick_xn_tree(void)
{
	return one_in(2) ? 0 : pick_typed(xn_caps);
}

void op_xn_root(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_root, block), F(struct exo_xn_root, type),
		F(struct exo_xn_root, flags),
	};
	struct exo_xn_root *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_XN_ROOT_REMOVE);
	a->block = one_in(3) ? 0 : pick_xn_block();
	a->type = one_in(8) ? rnd() : one_in(4) ? rn(EXO_XN_MAX_TYPES)
						: 1 + rn(3);
	if (one_in(20))
		a->__reserved = 1;
	if (do_ioctl(pick_fd(), EXO_IOC_XN_ROOT, sizeof(*a), rf, 3) == 0 &&
	    !(a->flags & EXO_XN_ROOT_REMOVE))
		xn_blocks[rn(16)] = a->block;
}

void op_xn_update(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_update, nadd), F(struct exo_xn_update, add),
		F(struct exo_xn_update, nrelease),
		F(struct exo_xn_update, release),
		F(struct exo_xn_update, frame),
	};
	struct exo_xn_update *a = (void *)argpage;
	struct exo_xn_ref *r = (struct exo_xn_ref *)scratch;
	__u32 i;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->block = pick_xn_block();
	a->frame = pick_typed(frame_caps);
	a->nadd = one_in(8) ? pick_count(EXO_XN_MAX_REFS) : rn(4);
	a->nrelease = one_in(8) ? pick_count(EXO_XN_MAX_REFS) : rn(4);
	for (i = 0; i < 8; i++)
		r[i] = (struct exo_xn_ref){
			.block = pick_xn_block(),
			.type = one_in(8) ? rnd() : rn(4),
			.__reserved = one_in(30),
		};
	a->add = pick_ptr(r, sizeof(*r) * (size_t)a->nadd);
	a->release = pick_ptr(r + rn(4), sizeof(*r) * (size_t)a->nrelease);
	if (one_in(20))
		a->__reserved = 1;
	a->tree = pick_xn_tree();
	do_ioctl(pick_fd(), EXO_IOC_XN_UPDATE, sizeof(*a), rf, 5);
}

void op_xn_read(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_read, block), F(struct exo_xn_read, frame),
	};
	struct exo_xn_read *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->block = pick_xn_block();
	a->frame = pick_typed(frame_caps);
	a->tree = pick_xn_tree();
	if (one_in(20))
		a->__pad = 1;
	do_ioctl(pick_fd(), EXO_IOC_XN_READ, sizeof(*a), rf, 2);
}

void op_xn_write(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_write, block), F(struct exo_xn_write, frame),
		F(struct exo_xn_write, flags),
	};
	struct exo_xn_write *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(EXO_IO_FUA);
	a->block = pick_xn_block();
	a->frame = pick_typed(frame_caps);
	a->tree = pick_xn_tree();
	do_ioctl(pick_fd(), EXO_IOC_XN_WRITE, sizeof(*a), rf, 3);
}

void op_xn_subtree(void)
{
	static const struct field rf[] = {
		F(struct exo_xn_subtree, block),
	};
	struct exo_xn_subtree *a = (void *)argpage;

	memset(a, 0, sizeof(*a));
	a->flags = pick_flags(0);
	a->block = pick_xn_block();
	if (one_in(20))
		a->__reserved = 1;
	if (do_ioctl(pick_fd(), EXO_IOC_XN_SUBTREE, sizeof(*a), rf, 1) == 0) {
		add_cap(a->cap);
		add_typed(xn_caps, a->cap);
	}
}

/* ---- memory: regions and info pages ------------------------------------------------ */

void op_mmap_region(void)
{
	unsigned long addr, len, off;
	int fd = pick_fd(), prot, flags;
	void *p;

	/* long profile: a full table makes it mmap + munmap (10+ ms); mostly not */
	if (LONG && nregions == MAX_REGIONS && !one_in(4))
		return;
	addr = arena + rn(ARENA_SIZE / PAGE / 16) * 16 * PAGE;
	len = (1 + rn(16)) * PAGE;
	off = addr;
	if (one_in(12))
		off += PAGE;			/* offset != address */
	if (one_in(16))
		len = 0;
	prot = one_in(8) ? PROT_READ : one_in(16) ? PROT_NONE
					      : PROT_READ | PROT_WRITE;
	flags = one_in(16) ? MAP_PRIVATE : MAP_SHARED;
	flags |= MAP_FIXED_NOREPLACE;
	p = mmap((void *)addr, len, prot, flags, fd, off);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	if (p != (void *)addr || nregions == MAX_REGIONS) {
		munmap(p, len);
		return;
	}
	regions[nregions].addr = addr;
	regions[nregions].len = len;
	regions[nregions].fd = fd;
	nregions++;
}

void op_munmap_region(void)
{
	struct region *r;
	int i;

	if (!nregions)
		return;
	i = rn(nregions);
	r = &regions[i];
	if (one_in(3) && r->len > PAGE) {
		/* split: unmap one page from the middle or end */
		unsigned long pg = rn(r->len / PAGE);

		count_call(munmap((void *)(r->addr + pg * PAGE), PAGE));
		if (pg == 0) {
			r->addr += PAGE;
			r->len -= PAGE;
		} else {
			r->len = pg * PAGE;	/* forget the tail */
		}
		return;
	}
	count_call(munmap((void *)r->addr, r->len));
	regions[i] = regions[--nregions];
}

void op_mprotect_region(void)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_READ | PROT_EXEC,
	};
	struct region *r;

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	count_call(mprotect((void *)r->addr, r->len, prots[rn(5)]));
}

void op_mremap_region(void)
{
	struct region *r;
	void *p;

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	/* must fail (EINVAL): a region's offset is its address */
	p = mremap((void *)r->addr, r->len, r->len + PAGE, MREMAP_MAYMOVE);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED) {
		fprintf(stderr, "# mremap of a region at %#lx succeeded\n", r->addr);
		munmap(p, r->len + PAGE);
		*r = regions[--nregions];
	}
}

void op_madvise(void)
{
	static const int advs[] = {
		MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_REMOVE,
		MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE, MADV_FREE, MADV_WIPEONFORK,
	};
	struct region *r;

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	count_call(madvise((void *)r->addr, r->len, advs[rn(11)]));
}

/* dup() an env fd into another slot (the env lives while either is open). */
void op_dup(void)
{
	int i = rn(MAX_FDS), fd = pick_fd();

	if (fds[i] >= 0 || fd < 0)
		return;
	fds[i] = dup(fd);
	count_call(fds[i]);
}

void op_touch(void)
{
	struct region *r;
	int i, n = LONG ? 1 + rn(2) : 1 + rn(8);	/* a fault costs ms under a debug kernel */

	if (!nregions)
		return;
	r = &regions[rn(nregions)];
	for (i = 0; i < n; i++)
		touch((unsigned char *)r->addr + rn(r->len), rn(2));
	count_call(0);
}

void op_info(void)
{
	int i = rn(MAX_FDS), fd = fds[i];
	unsigned long len = 2 * PAGE;
	int prot = PROT_READ, flags = MAP_SHARED;
	unsigned long long off = EXO_INFO_OFFSET;
	void *p;

	if (fd < 0)
		return;
	if (infos[i]) {
		volatile struct exo_env_page *ep = (void *)((char *)infos[i] + PAGE);

		if (one_in(3)) {
			munmap(infos[i], 2 * PAGE);
			infos[i] = NULL;
		} else {
			(void)ep->frames_used;
			/* writing a read-only info page must fault */
			if (one_in(20))
				touch((unsigned char *)infos[i], 1);
		}
		count_call(0);
		return;
	}
	switch (rn(10)) {
	case 0: len = 3 * PAGE; break;
	case 1: len = PAGE; break;
	case 2: prot |= PROT_WRITE; break;
	case 3: flags = MAP_PRIVATE; break;
	case 4: off += PAGE; break;
	case 5: len = 1; break;
	}
	p = mmap(NULL, len, prot, flags, fd, off);
	count_call(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	if (len == 2 * PAGE && prot == PROT_READ) {
		infos[i] = p;
		touch(p, 0);
		touch((unsigned char *)p + PAGE, 0);
	} else {
		touch(p, 0);
		munmap(p, len);
	}
}


void op_read_poll(void)
{
	int fd = pick_fd();
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDBAND };
	size_t len;
	unsigned long buf;
	ssize_t r;
	int i;

	if (one_in(2)) {
		count_call(poll(&pfd, 1, 0));
		return;
	}
	switch (rn(6)) {
	case 0: len = 0; break;
	case 1: len = sizeof(struct exo_event) - 1; break;
	case 2: len = 1UL << 30; break;
	default: len = sizeof(struct exo_event) * (1 + rn(EXO_EV_QUEUE + 2));
	}
	buf = pick_ptr(scratch, len > SCRATCH_SIZE ? SCRATCH_SIZE : len);
	if (len > SCRATCH_SIZE && buf == (unsigned long)scratch)
		len = SCRATCH_SIZE;
	/*
	 * Never block: peek with poll first unless the fd is non-blocking.
	 * POLLIN means read() has events (receive rings only ever add
	 * POLLRDBAND; they once added POLLIN too, and read() then blocked):
	 * a read that sleeps after POLLIN is an anomaly, cut short by the
	 * alarm.
	 */
	pfd.revents = 0;
	if ((poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN)) &&
	    !(fcntl(fd, F_GETFL) & O_NONBLOCK))
		return;
	arm_alarm(500000);
	r = read(fd, (void *)buf, len);
	arm_alarm(0);
	count_call(r < 0 ? -1 : 0);
	for (i = 0; i <= MAX_FDS && fds[i] != fd; i++)
		;
	if (r < 0 && errno == EINTR && (pfd.revents & POLLIN) && fd >= 0 && i <= MAX_FDS)
		anomaly("read() of the env fd blocked after poll() reported POLLIN (revents %#x)",
			pfd.revents);
}

/* Ask the kernel (debugfs) to revoke frames or extent leases from some env. */
void op_debugfs_revoke(void)
{
	char line[64];
	int fd = open(EXO_DEBUGFS "/revoke", O_WRONLY);

	if (fd < 0)
		return;
	if (one_in(3))
		snprintf(line, sizeof(line), "all %u %u", (unsigned)rn(8),
			 (unsigned)rn(50));
	else if (one_in(2))	/* extent leases */
		snprintf(line, sizeof(line), "extents %llu %u %u",
			 (unsigned long long)sh->env_ids[rn(SHARED_KEYS)],
			 (unsigned)rn(4), (unsigned)rn(100));
	else
		snprintf(line, sizeof(line), "%llu %u %u",
			 (unsigned long long)sh->env_ids[rn(SHARED_KEYS)],
			 (unsigned)rn(16), (unsigned)rn(100));
	count_call(write(fd, line, strlen(line)) < 0 ? -1 : 0);
	close(fd);
}

/*
 * Extent I/O through io_uring (uring_cmd): a ring per worker, SQE128 most
 * of the time; a few commands with picked handles, then either reap the
 * completions or tear the ring down with them in flight.
 */
struct io_uring ring;
int ring_ok, ring_big;

void op_uring(void)
{
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts = { .tv_nsec = 200 * 1000 * 1000 };
	int i, n = 1 + rn(4), fd = pick_fd(), sub;

	if (!ring_ok || one_in(30)) {
		if (ring_ok)
			io_uring_queue_exit(&ring);	/* maybe with I/O in flight */
		ring_big = !one_in(8);
		ring_ok = !io_uring_queue_init(8, &ring,
					       ring_big ? IORING_SETUP_SQE128 : 0);
		count_call(ring_ok ? 0 : -1);
		return;
	}
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct exo_extent_iovec v = {
			.extent = pick_typed(extent_caps),
			.frame = pick_typed(frame_caps),
			.block = one_in(5) ? rnd() : rn(8),
			.op = one_in(10) ? rnd() : rn(2),
			.flags = pick_flags(EXO_IO_FUA),
		};

		if (!sqe)
			break;
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
		sqe->cmd_op = one_in(10) ? rnd() : 1 + rn(2);
		/* a 64-byte SQE has only 16 bytes of command area */
		if (sqe->cmd_op == EXO_URING_EXTENT_IO || one_in(10))
			memcpy(sqe->cmd, &v, ring_big ? sizeof(v) : 16);
		if (one_in(10))
			sqe->flags |= IOSQE_IO_LINK;
		if (one_in(20))
			sqe->flags |= IOSQE_ASYNC;	/* the io-wq path */
	}
	sub = io_uring_submit(&ring);
	count_call(sub < 0 ? -1 : 0);
	if (sub <= 0 || one_in(10))
		return;		/* leave them in flight */
	for (i = 0; i < sub; i++) {
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts))
			break;
		io_uring_cqe_seen(&ring, cqe);
	}
}

/* A raw ioctl: any number in exo's space, any pointer. */
void op_raw(void)
{
	unsigned long cmd = _IO(EXO_IOC_TYPE, rn(use_nic ? 0x30 : 0x20));
	size_t i;

	for (i = 0; i < 128; i += 8)
		*(__u64 *)(argpage + i) = one_in(2) ? 0 : rnd();
	if (one_in(4))
		cmd = rnd() & 0xffffffff;
	if (_IOC_NR(cmd) == EXO_NR_NIC_DETACH && !one_in(8))
		cmd = EXO_IOC_NIC_ATTACH;	/* keep the devices mostly attached */
	arm_alarm(20000);	/* a WAIT of zeroes would sleep for ever */
	do_ioctl(pick_fd(), cmd, 8 + rn(120), NULL, 0);
	arm_alarm(0);
}



/* fork: the child uses the same envs and regions, then is killed -9 or exits. */
void op_fork(int depth)
{
	pid_t pid;
	int st;

	if (depth > 1)
		return;
	__atomic_fetch_add(&sh->forks, 1, __ATOMIC_RELAXED);
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		rs ^= 0x9e3779b97f4a7c15ULL;
		use_race = 0;		/* the racer thread stayed in the parent */
		ring_ok = 0;		/* the ring is the parent's */
		bg_pid = 0;		/* so is the background child */
		fork_depth = depth + 1;
		if (use_nic && one_in(4)) {
			/* an unprivileged process on the same envs */
			struct __user_cap_header_struct hd = {
				.version = _LINUX_CAPABILITY_VERSION_3,
			};
			struct __user_cap_data_struct d[2] = { { 0 } };

			syscall(SYS_capset, &hd, d);
		}
		run_ops(20 + rn(200), depth + 1);
		_exit(0);
	}
	count_call(0);
	if (one_in(2)) {
		usleep(rn(3000));
		kill(pid, SIGKILL);
	}
	if (reap(pid, &st, 0, cur_op) != pid)
		return;
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "# child of worker %d died by signal %d\n",
			worker_idx, WTERMSIG(st));
		__atomic_fetch_add(&sh->crashes, 1, __ATOMIC_RELAXED);
	}
}
