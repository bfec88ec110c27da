// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: page frames, regions and the information pages.
 *
 * A region is named by its address (the mmap offset equals the address),
 * so exo_region__create() with no address first reserves a free range with
 * an anonymous PROT_NONE mapping, then maps /dev/exo over it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "exo.h"
#include "libexo_internal.h"

static int frame_alloc(int fd, __u32 flags, __u32 count, exo_cap_t *caps,
		       __u64 *pfns)
{
	struct exo_frame_alloc arg = {
		.size = sizeof(arg),
		.flags = flags,
		.count = count,
		.caps = (uintptr_t)caps,
		.pfns = (uintptr_t)pfns,
	};

	return ioctl(fd, EXO_IOC_FRAME_ALLOC, &arg) ? libexo_errno() : 0;
}

EXO_API int exo_frame_alloc(int fd, __u32 count, exo_cap_t *caps,
			    __u64 *pfns)
{
	__u64 *tmp = NULL;
	int ret;

	if (!caps || !count)
		return libexo_err(-EINVAL);
	if (!pfns) {
		/* The kernel always reports the PFNs; the caller need not. */
		tmp = calloc(count, sizeof(*tmp));
		if (!tmp)
			return libexo_err(-ENOMEM);
		pfns = tmp;
	}
	ret = frame_alloc(fd, 0, count, caps, pfns);
	free(tmp);
	return ret ? libexo_err(ret) : 0;
}

EXO_API int exo_frame_alloc_flags(int fd, __u32 flags, __u32 count,
				  exo_cap_t *caps, __u64 *pfns)
{
	if (!caps || !pfns || !count || (flags & EXO_FRAME_BY_PFN))
		return libexo_err(-EINVAL);
	return frame_alloc(fd, flags, count, caps, pfns);
}

EXO_API int exo_frame_alloc_at(int fd, __u32 count, __u64 *pfns,
			       exo_cap_t *caps)
{
	if (!caps || !pfns || !count)
		return libexo_err(-EINVAL);
	return frame_alloc(fd, EXO_FRAME_BY_PFN, count, caps, pfns);
}

/*
 * The batched calls share a tail layout: count, done, a user pointer, and
 * the error of element @done.  Returns done, with errno = error if
 * done < count; or -errno if the call failed as a whole.
 */
#define BATCH(fd, cmd, type, field, ptr, n) ({				\
	type __arg = {							\
		.size = sizeof(__arg),					\
		.count = (n),						\
		.field = (uintptr_t)(ptr),				\
	};								\
	int __ret;							\
									\
	if (ioctl((fd), (cmd), &__arg))					\
		__ret = libexo_errno();					\
	else {								\
		__ret = __arg.done;					\
		if (__arg.done < (n))					\
			errno = __arg.error > 0 ? __arg.error : EIO;	\
	}								\
	__ret;								\
})

EXO_API int exo_frame_map(int fd, const struct exo_map_entry *ents,
			  __u32 count)
{
	if (!ents || !count || count > EXO_BATCH_MAX)
		return libexo_err(-EINVAL);
	return BATCH(fd, EXO_IOC_FRAME_MAP, struct exo_frame_map, entries,
		     ents, count);
}

EXO_API int exo_frame_unmap(int fd, const __u64 *addrs, __u32 count)
{
	if (!addrs || !count || count > EXO_BATCH_MAX)
		return libexo_err(-EINVAL);
	return BATCH(fd, EXO_IOC_FRAME_UNMAP, struct exo_frame_unmap, addrs,
		     addrs, count);
}

/* A batch of one: 0, or the element's (or the call's) -errno. */
static int one(int ret)
{
	if (ret == 1)
		return 0;
	if (ret == 0)
		return libexo_err(-(errno ?: EIO));
	return ret;
}

EXO_API int exo_frame_map_one(int fd, void *addr, exo_cap_t cap, __u32 prot)
{
	struct exo_map_entry e = {
		.addr = (uintptr_t)addr,
		.cap = cap,
		.prot = prot,
	};

	return one(exo_frame_map(fd, &e, 1));
}

EXO_API int exo_frame_unmap_one(int fd, void *addr)
{
	__u64 a = (uintptr_t)addr;

	return one(exo_frame_unmap(fd, &a, 1));
}

EXO_API int exo_caps_close(int fd, const exo_cap_t *caps, __u32 count)
{
	if (!caps || !count || count > EXO_BATCH_MAX)
		return libexo_err(-EINVAL);
	return BATCH(fd, EXO_IOC_CAPS_CLOSE, struct exo_caps_close, caps,
		     caps, count);
}

EXO_API int exo_set_quota(int fd, __u64 env_id, __u32 kind, __u32 quota)
{
	struct exo_set_quota arg = {
		.size = sizeof(arg),
		.env_id = env_id,
		.kind = kind,
		.quota = quota,
	};

	return ioctl(fd, EXO_IOC_SET_QUOTA, &arg) ? libexo_errno() : 0;
}

EXO_API void *exo_region__create(int fd, void *addr, size_t len, int prot)
{
	long page = sysconf(_SC_PAGESIZE);
	void *want = addr, *p;

	if (!len || len % page || (uintptr_t)addr % page ||
	    (prot & ~(PROT_READ | PROT_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	if (!want) {
		/* Find room; the kernel chooses, then we replace it. */
		want = mmap(NULL, len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (want == MAP_FAILED)
			return NULL;
	}
	p = mmap(want, len, prot, MAP_SHARED | (addr ? MAP_FIXED_NOREPLACE :
						MAP_FIXED),
		 fd, (off_t)(uintptr_t)want);
	if (p == MAP_FAILED) {
		int err = errno;

		if (!addr)
			munmap(want, len);
		errno = err;
		return NULL;
	}
	if (p != want) {	/* an old kernel ignoring MAP_FIXED_NOREPLACE */
		munmap(p, len);
		errno = EEXIST;
		return NULL;
	}
	return p;
}

EXO_API int exo_region__destroy(void *region, size_t len)
{
	if (!region || !len)
		return libexo_err(-EINVAL);
	return munmap(region, len) ? libexo_errno() : 0;
}

EXO_API int exo_info__map(int fd, const struct exo_pool_info **pool,
			  const struct exo_env_page **env)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p;

	if (!pool)	/* needed to unmap the pages again */
		return libexo_err(-EINVAL);
	p = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, fd,
		 (off_t)EXO_INFO_OFFSET);
	if (p == MAP_FAILED)
		return libexo_errno();
	*pool = (const struct exo_pool_info *)p;
	if (env)
		*env = (const struct exo_env_page *)(p + page);
	return 0;
}

EXO_API int exo_info__unmap(const struct exo_pool_info *pool)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!pool)
		return libexo_err(-EINVAL);
	return munmap((void *)pool, 2 * page) ? libexo_errno() : 0;
}

/* libexo 0.1 names (exo.h: deprecated names). */
LIBEXO_ALIAS(exo_frame__alloc, exo_frame_alloc)
LIBEXO_ALIAS(exo_frame__alloc_flags, exo_frame_alloc_flags)
LIBEXO_ALIAS(exo_frame__alloc_at, exo_frame_alloc_at)
LIBEXO_ALIAS(exo_frame__map, exo_frame_map)
LIBEXO_ALIAS(exo_frame__map_one, exo_frame_map_one)
LIBEXO_ALIAS(exo_frame__unmap, exo_frame_unmap)
LIBEXO_ALIAS(exo_frame__unmap_one, exo_frame_unmap_one)
LIBEXO_ALIAS(exo_frame__free, exo_caps_close)
