// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: disk extents — attach, allocate, free, reclaim by principal key,
 * synchronous block I/O between extents and frames, and key files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/io_uring.h>

#include "exo.h"
#include "libexo_internal.h"

EXO_API int exo_extent_attach(int fd, const char *path, __u32 flags,
			      struct exo_extent_stat *st)
{
	struct exo_extent_attach arg = {
		.size = sizeof(arg),
		.flags = flags,
		.path = (uintptr_t)path,
	};

	if (!path)
		return libexo_err(-EINVAL);
	if (ioctl(fd, EXO_IOC_EXTENT_ATTACH, &arg))
		return libexo_errno();
	if (st) {
		memset(st, 0, sizeof(*st));
		st->size = sizeof(*st);
		st->nblocks = arg.nblocks;
		st->data_start = arg.data_start;
		st->free = arg.free;
		st->generation = arg.generation;
	}
	return 0;
}

EXO_API int exo_extent_detach(int fd)
{
	struct exo_extent_detach arg = { .size = sizeof(arg) };

	return ioctl(fd, EXO_IOC_EXTENT_DETACH, &arg) ? libexo_errno() : 0;
}

EXO_API int exo_extent_stat(int fd, struct exo_extent_stat *st)
{
	if (!st)
		return libexo_err(-EINVAL);
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, EXO_IOC_EXTENT_STAT, st) ? libexo_errno() : 0;
}

static int extent_alloc(int fd, __u32 flags, __u64 start, __u64 count,
			exo_cap_t *cap, __u64 *startp, struct exo_key *key,
			int *new_key)
{
	struct exo_extent_alloc arg = {
		.size = sizeof(arg),
		.flags = flags,
		.start = start,
		.count = count,
	};

	if (!cap || !count)
		return libexo_err(-EINVAL);
	if (ioctl(fd, EXO_IOC_EXTENT_ALLOC, &arg))
		return libexo_errno();
	*cap = arg.cap;
	if (startp)
		*startp = arg.start;
	if (key && arg.new_key)
		*key = arg.key;
	if (new_key)
		*new_key = arg.new_key;
	return 0;
}

EXO_API int exo_extent_alloc(int fd, __u64 count, exo_cap_t *cap,
			     __u64 *start, struct exo_key *key, int *new_key)
{
	return extent_alloc(fd, 0, 0, count, cap, start, key, new_key);
}

EXO_API int exo_extent_alloc_at(int fd, __u64 start, __u64 count,
				exo_cap_t *cap, struct exo_key *key,
				int *new_key)
{
	return extent_alloc(fd, EXO_EXTENT_AT, start, count, cap, NULL, key,
			    new_key);
}

EXO_API int exo_extent_free(int fd, exo_cap_t cap)
{
	struct exo_extent_free arg = { .size = sizeof(arg), .cap = cap };

	return ioctl(fd, EXO_IOC_EXTENT_FREE, &arg) ? libexo_errno() : 0;
}

EXO_API int exo_extent_reclaim(int fd, const struct exo_key *key,
			       struct exo_extent_desc *descs, __u32 max)
{
	struct exo_extent_reclaim arg = {
		.size = sizeof(arg),
		.extents = (uintptr_t)descs,
		.max = descs ? max : 0,
	};

	if (!key)
		return libexo_err(-EINVAL);
	arg.key = *key;
	if (ioctl(fd, EXO_IOC_EXTENT_RECLAIM, &arg))
		return libexo_errno();
	return (int)arg.count;
}

EXO_API int exo_extent_io(int fd, const struct exo_extent_iovec *vecs,
			  __u32 count, __u32 flags)
{
	struct exo_extent_io arg = {
		.size = sizeof(arg),
		.flags = flags,
		.count = count,
		.vecs = (uintptr_t)vecs,
	};

	if (!vecs || !count || count > EXO_EXTENT_IO_MAX)
		return libexo_err(-EINVAL);
	if (ioctl(fd, EXO_IOC_EXTENT_IO, &arg))
		return libexo_errno();
	if (arg.done < count)
		errno = arg.error > 0 ? arg.error : EIO;
	return (int)arg.done;
}

static int io_one(int fd, __u32 op, exo_cap_t ext, __u64 block,
		  exo_cap_t frame, __u32 flags)
{
	struct exo_extent_iovec v = {
		.extent = ext,
		.block = block,
		.frame = frame,
		.op = op,
	};
	int ret = exo_extent_io(fd, &v, 1, flags);

	if (ret == 1)
		return 0;
	if (ret == 0)
		return libexo_err(-(errno ?: EIO));
	return ret;
}

EXO_API int exo_extent_read(int fd, exo_cap_t ext, __u64 block,
			    exo_cap_t frame)
{
	return io_one(fd, EXO_IO_READ, ext, block, frame, 0);
}

EXO_API int exo_extent_write(int fd, exo_cap_t ext, __u64 block,
			     exo_cap_t frame, __u32 flags)
{
	return io_one(fd, EXO_IO_WRITE, ext, block, frame, flags);
}

EXO_API int exo_extent_key_save(const char *path, const struct exo_key *key)
{
	char tmp[4096], line[EXO_KEY_STRLEN + 2];
	int kfd, n, ret = 0;

	if (!path || !key)
		return libexo_err(-EINVAL);
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return libexo_err(-ENAMETOOLONG);
	ret = exo_key_to_string(key, line, sizeof(line));
	if (ret < 0)
		return ret;
	line[EXO_KEY_STRLEN] = '\n';
	kfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (kfd < 0)
		return libexo_errno();
	if (write(kfd, line, EXO_KEY_STRLEN + 1) != EXO_KEY_STRLEN + 1 ||
	    fsync(kfd))
		ret = errno ? -errno : -EIO;
	else
		ret = 0;
	close(kfd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret ? libexo_err(ret) : 0;
}

EXO_API int exo_extent_key_load(const char *path, struct exo_key *key)
{
	char line[EXO_KEY_STRLEN + 2];
	ssize_t n;
	int kfd;

	if (!path || !key)
		return libexo_err(-EINVAL);
	kfd = open(path, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return libexo_errno();
	n = read(kfd, line, sizeof(line));
	close(kfd);
	if (n < 0)
		return libexo_errno();
	if (n == EXO_KEY_STRLEN + 1 && line[EXO_KEY_STRLEN] == '\n')
		n--;
	if (n != EXO_KEY_STRLEN)
		return libexo_err(-EINVAL);
	line[n] = '\0';
	return exo_key_from_string(line, key);
}

/* An SQE128 entry is two struct io_uring_sqe; the command area is 80 bytes. */
static int prep(struct io_uring_sqe *sqe, int fd, __u32 op, const void *cmd,
		size_t len)
{
	if (!sqe || fd < 0)
		return libexo_err(-EINVAL);
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	if (cmd)
		memcpy(sqe->cmd, cmd, len);
	return 0;
}

EXO_API int exo_extent_prep_io(struct io_uring_sqe *sqe, int fd,
			       const struct exo_extent_iovec *v)
{
	if (!v)
		return libexo_err(-EINVAL);
	return prep(sqe, fd, EXO_URING_EXTENT_IO, v, sizeof(*v));
}

EXO_API int exo_extent_prep_flush(struct io_uring_sqe *sqe, int fd)
{
	return prep(sqe, fd, EXO_URING_EXTENT_FLUSH, NULL, 0);
}

/* ---- XN templates ---------------------------------------------------------- */

EXO_API int exo_xn_template_set(int fd, __u32 type,
				const struct sock_filter *insns, __u32 len)
{
	struct exo_xn_template arg = {
		.size = sizeof(arg),
		.type = type,
		.len = len,
		.insns = (uintptr_t)insns,
	};

	if (ioctl(fd, EXO_IOC_XN_TEMPLATE, &arg))
		return libexo_errno();
	return 0;
}

EXO_API int exo_xn_template_remove(int fd, __u32 type)
{
	struct exo_xn_template arg = {
		.size = sizeof(arg),
		.flags = EXO_XN_TEMPLATE_REMOVE,
		.type = type,
	};

	if (ioctl(fd, EXO_IOC_XN_TEMPLATE, &arg))
		return libexo_errno();
	return 0;
}

EXO_API int exo_xn_owns(int fd, exo_cap_t ext, __u64 block, __u32 type,
			struct exo_xn_ref *refs, __u32 max)
{
	struct exo_xn_owns arg = {
		.size = sizeof(arg),
		.extent = ext,
		.block = block,
		.type = type,
		.max = max,
		.refs = (uintptr_t)refs,
	};

	if (max && !refs)
		return libexo_err(-EINVAL);
	if (ioctl(fd, EXO_IOC_XN_OWNS, &arg))
		return libexo_errno();
	return (int)arg.count;
}

/* ---- XN roots, checked updates, reads --------------------------------------- */

EXO_API int exo_xn_root(int fd, __u64 block, __u32 type, __u64 *root)
{
	struct exo_xn_root arg = {
		.size = sizeof(arg),
		.block = block,
		.type = type,
	};

	if (ioctl(fd, EXO_IOC_XN_ROOT, &arg))
		return libexo_errno();
	if (root)
		*root = arg.block;
	return 0;
}

EXO_API int exo_xn_root_remove(int fd, __u64 root)
{
	struct exo_xn_root arg = {
		.size = sizeof(arg),
		.flags = EXO_XN_ROOT_REMOVE,
		.block = root,
	};

	if (ioctl(fd, EXO_IOC_XN_ROOT, &arg))
		return libexo_errno();
	return 0;
}

/* The plain calls are the subtree calls with no subtree (@tree 0). */
EXO_API int exo_xn_update_tree(int fd, exo_cap_t tree, __u64 block,
			       exo_cap_t frame, const struct exo_xn_ref *add,
			       __u32 nadd, const struct exo_xn_ref *release,
			       __u32 nrelease)
{
	struct exo_xn_update arg = {
		.size = sizeof(arg),
		.block = block,
		.frame = frame,
		.add = (uintptr_t)add,
		.nadd = nadd,
		.release = (uintptr_t)release,
		.nrelease = nrelease,
		.tree = tree,
	};

	if ((nadd && !add) || (nrelease && !release))
		return libexo_err(-EINVAL);
	if (ioctl(fd, EXO_IOC_XN_UPDATE, &arg))
		return libexo_errno();
	return 0;
}

EXO_API int exo_xn_update(int fd, __u64 block, exo_cap_t frame,
			   const struct exo_xn_ref *add, __u32 nadd,
			   const struct exo_xn_ref *release, __u32 nrelease)
{
	return exo_xn_update_tree(fd, 0, block, frame, add, nadd, release,
				  nrelease);
}

EXO_API int exo_xn_read_tree(int fd, exo_cap_t tree, __u64 block,
			     exo_cap_t frame, int *is_root)
{
	struct exo_xn_read arg = {
		.size = sizeof(arg),
		.block = block,
		.frame = frame,
		.tree = tree,
	};

	if (ioctl(fd, EXO_IOC_XN_READ, &arg))
		return libexo_errno();
	if (is_root)
		*is_root = (int)arg.root;
	return (int)arg.type;
}

EXO_API int exo_xn_read(int fd, __u64 block, exo_cap_t frame, int *is_root)
{
	return exo_xn_read_tree(fd, 0, block, frame, is_root);
}

EXO_API int exo_xn_write_tree(int fd, exo_cap_t tree, __u64 block,
			      exo_cap_t frame, __u32 flags)
{
	struct exo_xn_write arg = {
		.size = sizeof(arg),
		.flags = flags,
		.block = block,
		.frame = frame,
		.tree = tree,
	};

	if (ioctl(fd, EXO_IOC_XN_WRITE, &arg))
		return libexo_errno();
	return 0;
}

EXO_API int exo_xn_write(int fd, __u64 block, exo_cap_t frame, __u32 flags)
{
	return exo_xn_write_tree(fd, 0, block, frame, flags);
}

EXO_API int exo_xn_subtree(int fd, __u64 block, exo_cap_t *cap, __u32 *type)
{
	struct exo_xn_subtree arg = {
		.size = sizeof(arg),
		.block = block,
	};

	if (!cap)
		return libexo_err(-EINVAL);
	if (ioctl(fd, EXO_IOC_XN_SUBTREE, &arg))
		return libexo_errno();
	*cap = arg.cap;
	if (type)
		*type = arg.type;
	return 0;
}

/* ---- the XN calls through io_uring ----------------------------------------- */

EXO_API int exo_xn_prep_update(struct io_uring_sqe *sqe, int fd,
			       const struct exo_xn_update *arg)
{
	if (!arg)
		return libexo_err(-EINVAL);
	return prep(sqe, fd, EXO_URING_XN_UPDATE, arg, sizeof(*arg));
}

EXO_API int exo_xn_prep_read(struct io_uring_sqe *sqe, int fd,
			     const struct exo_xn_read *arg)
{
	if (!arg)
		return libexo_err(-EINVAL);
	return prep(sqe, fd, EXO_URING_XN_READ, arg, sizeof(*arg));
}

EXO_API int exo_xn_prep_write(struct io_uring_sqe *sqe, int fd,
			      const struct exo_xn_write *arg)
{
	if (!arg)
		return libexo_err(-EINVAL);
	return prep(sqe, fd, EXO_URING_XN_WRITE, arg, sizeof(*arg));
}

/* libexo 0.1 names (exo.h: deprecated names). */
LIBEXO_ALIAS(exo_extent__attach, exo_extent_attach)
LIBEXO_ALIAS(exo_extent__detach, exo_extent_detach)
LIBEXO_ALIAS(exo_extent__stat, exo_extent_stat)
LIBEXO_ALIAS(exo_extent__alloc, exo_extent_alloc)
LIBEXO_ALIAS(exo_extent__alloc_at, exo_extent_alloc_at)
LIBEXO_ALIAS(exo_extent__free, exo_extent_free)
LIBEXO_ALIAS(exo_extent__reclaim, exo_extent_reclaim)
LIBEXO_ALIAS(exo_extent__io, exo_extent_io)
LIBEXO_ALIAS(exo_extent__read, exo_extent_read)
LIBEXO_ALIAS(exo_extent__write, exo_extent_write)
LIBEXO_ALIAS(exo_extent__key_save, exo_extent_key_save)
LIBEXO_ALIAS(exo_extent__key_load, exo_extent_key_load)
LIBEXO_ALIAS(exo_extent__prep_io, exo_extent_prep_io)
LIBEXO_ALIAS(exo_extent__prep_flush, exo_extent_prep_flush)
LIBEXO_ALIAS(exo_xn__template_set, exo_xn_template_set)
LIBEXO_ALIAS(exo_xn__template_remove, exo_xn_template_remove)
LIBEXO_ALIAS(exo_xn__owns, exo_xn_owns)
LIBEXO_ALIAS(exo_xn__root, exo_xn_root)
LIBEXO_ALIAS(exo_xn__root_remove, exo_xn_root_remove)
LIBEXO_ALIAS(exo_xn__update, exo_xn_update)
LIBEXO_ALIAS(exo_xn__read, exo_xn_read)
LIBEXO_ALIAS(exo_xn__write, exo_xn_write)
