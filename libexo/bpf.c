// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libexo: the bpf/ programs — packet filters, an application-specific
 * handler and wakeup predicates — loaded with libbpf.
 *
 * The objects are built into the library: bpftool's skeletons (bpf/
 * NAME.skel.h) embed each ELF object, and the library opens it from
 * memory, sets its read-only configuration (.rodata, declared as
 * "const volatile" in NAME.bpf.c) and loads the one program.  The fd
 * handed back is a dup of the program's, so it outlives the libbpf
 * object, which is closed at once; the kernel keeps the .rodata map
 * alive through the program.
 *
 * libbpf prints its warnings to stderr by default; these calls keep it
 * quiet unless EXO_BPF_DEBUG is set in the environment (EXO_BPF_DEBUG=2
 * adds libbpf's debug messages, the verifier log among them).  The print
 * hook is process-wide, so it is swapped in and out under a lock around
 * each call.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "exo.h"
#include "libexo_internal.h"

#include "filter_drop.skel.h"
#include "ash_echo.skel.h"
#include "pred_batch.skel.h"
#include "pred_window.skel.h"
#include "tcp_wake.h"
#include "tcp_wake.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The objects built into the library; each holds one program, @name. */
static const struct {
	const char *name;
	const void *(*elf_bytes)(size_t *sz);
} builtin[] = {
	{ "filter_drop", filter_drop_bpf__elf_bytes },
	{ "ash_echo", ash_echo_bpf__elf_bytes },
	{ "pred_batch", pred_batch_bpf__elf_bytes },
	{ "pred_window", pred_window_bpf__elf_bytes },
	{ "tcp_wake", tcp_wake_bpf__elf_bytes },
};

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	const char *dbg = getenv("EXO_BPF_DEBUG");

	if (!dbg || !*dbg)
		return 0;
	if (level == LIBBPF_DEBUG && atoi(dbg) < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static libbpf_print_fn_t quiet_begin(void)
{
	pthread_mutex_lock(&print_lock);
	return libbpf_set_print(print);
}

static void quiet_end(libbpf_print_fn_t old)
{
	libbpf_set_print(old);
	pthread_mutex_unlock(&print_lock);
}

/*
 * libbpf returns -errno, or one of its own codes (LIBBPF_ERRNO__*, 4000
 * and up) for a malformed object or a failed verification: not errno
 * values, so those become -EINVAL.
 */
static int bpf_err(int err)
{
	if (err >= 0)
		return err;
	if (-err >= __LIBBPF_ERRNO__START)
		return -EINVAL;
	return err;
}

/* NULL from a libbpf constructor: its -errno. */
static int bpf_null_err(void)
{
	return bpf_err(errno ? -errno : -EINVAL);
}

static struct bpf_object *open_builtin(const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	const void *bytes;
	size_t i, sz;

	for (i = 0; i < ARRAY_SIZE(builtin); i++) {
		if (strcmp(builtin[i].name, name))
			continue;
		bytes = builtin[i].elf_bytes(&sz);
		return bpf_object__open_mem(bytes, sz, &opts);
	}
	errno = ENOENT;
	return NULL;
}

struct bpf_object *libexo_bpf_open(const char *name)
{
	libbpf_print_fn_t old;
	struct bpf_object *obj;
	int err;

	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	old = quiet_begin();
	obj = open_builtin(name);
	err = obj ? 0 : bpf_null_err();
	quiet_end(old);
	if (err)
		errno = -err;
	return obj;
}

/*
 * Load program @name (NULL: the first) of the opened @obj, with
 * @rodata (@size bytes, the whole .rodata section) as its configuration;
 * return a dup of its fd.  Only that program is loaded.
 */
static int load_prog(struct bpf_object *obj, const char *name,
		     const void *rodata, size_t size)
{
	struct bpf_program *prog, *p;
	struct bpf_map *map;
	int err, fd;

	if (name)
		prog = bpf_object__find_program_by_name(obj, name);
	else
		prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		return -ENOENT;
	if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP)
		return -EINVAL;
	bpf_object__for_each_program(p, obj) {
		err = bpf_program__set_autoload(p, p == prog);
		if (err)
			return bpf_err(err);
	}
	if (rodata) {
		map = bpf_object__find_map_by_name(obj, ".rodata");
		if (!map)
			return -ENOENT;
		err = bpf_map__set_initial_value(map, rodata, size);
		if (err)
			return bpf_err(err);
	}
	err = bpf_object__load(obj);
	if (err)
		return bpf_err(err);
	fd = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/*
 * A successful call leaves errno as it was, though libbpf's probes of the
 * kernel's features set it on the way: @saved restores it.
 */
static int done(int ret, int saved)
{
	if (ret < 0)
		return libexo_err(ret);
	errno = saved;
	return ret;
}

static int load_builtin(const char *name, const void *rodata, size_t size)
{
	int saved = errno;
	libbpf_print_fn_t old;
	struct bpf_object *obj;
	int ret;

	old = quiet_begin();
	obj = open_builtin(name);
	if (obj) {
		ret = load_prog(obj, name, rodata, size);
		bpf_object__close(obj);
	} else {
		ret = bpf_null_err();
	}
	quiet_end(old);
	return done(ret, saved);
}

EXO_API int exo_bpf_filter_drop(__u32 magic)
{
	struct filter_drop_bpf__rodata ro = { .magic = magic };

	return load_builtin("filter_drop", &ro, sizeof(ro));
}

EXO_API int exo_bpf_ash_echo(void)
{
	return load_builtin("ash_echo", NULL, 0);
}

EXO_API int exo_bpf_pred_batch(__u32 k, __u64 t_ns)
{
	struct pred_batch_bpf__rodata ro;

	memset(&ro, 0, sizeof(ro));	/* no stray bytes in the padding */
	ro.k = k;
	ro.t_ns = t_ns;
	return load_builtin("pred_batch", &ro, sizeof(ro));
}

EXO_API int exo_bpf_pred_window(__u64 v)
{
	struct pred_window_bpf__rodata ro = { .v = v };

	return load_builtin("pred_window", &ro, sizeof(ro));
}

/* bpf/tcp_wake: its two programs and the state they share with us. */
struct exo_tcp_wake {
	int filter_fd, pred_fd;
	struct exo_tcp_wake_state *st;	/* the object's .bss, mapped */
	size_t map_len;
	__u32 drained;			/* filtered packets the libOS read */
};

static int tcp_wake_load(struct exo_tcp_wake *w, __u32 k, __u64 t_ns)
{
	struct tcp_wake_bpf__rodata ro;
	struct bpf_object *obj;
	struct bpf_map *ro_map, *bss;
	void *p;
	int err;

	obj = open_builtin("tcp_wake");
	if (!obj)
		return bpf_null_err();
	memset(&ro, 0, sizeof(ro));
	ro.k = k;
	ro.t_ns = t_ns;
	ro_map = bpf_object__find_map_by_name(obj, ".rodata");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	err = !ro_map || !bss ? -ENOENT :
	      bpf_err(bpf_map__set_initial_value(ro_map, &ro, sizeof(ro)));
	if (!err)
		err = bpf_err(bpf_object__load(obj));
	if (!err && !(bpf_map__map_flags(bss) & BPF_F_MMAPABLE))
		err = -EOPNOTSUPP;
	if (!err) {
		w->filter_fd = fcntl(bpf_program__fd(bpf_object__find_program_by_name(
				obj, "tcp_wake_filter")), F_DUPFD_CLOEXEC, 0);
		w->pred_fd = fcntl(bpf_program__fd(bpf_object__find_program_by_name(
				obj, "tcp_wake_pred")), F_DUPFD_CLOEXEC, 0);
		if (w->filter_fd < 0 || w->pred_fd < 0)
			err = -errno;
	}
	if (!err) {
		/* the mapping holds the map's file: it outlives the object */
		w->map_len = (size_t)sysconf(_SC_PAGESIZE);
		p = mmap(NULL, w->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 bpf_map__fd(bss), 0);
		if (p == MAP_FAILED)
			err = -errno;
		else
			w->st = p;
	}
	bpf_object__close(obj);
	return err;
}

EXO_API struct exo_tcp_wake *exo_tcp_wake_load(__u32 k, __u64 t_ns)
{
	int saved = errno, err;
	libbpf_print_fn_t old;
	struct exo_tcp_wake *w;

	if (!k || !t_ns) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->filter_fd = w->pred_fd = -1;
	old = quiet_begin();
	err = tcp_wake_load(w, k, t_ns);
	quiet_end(old);
	if (err) {
		exo_tcp_wake_free(w);
		errno = -err;
		return NULL;
	}
	errno = saved;
	return w;
}

EXO_API int exo_tcp_wake_filter(const struct exo_tcp_wake *w)
{
	return w->filter_fd;
}

EXO_API int exo_tcp_wake_pred(const struct exo_tcp_wake *w)
{
	return w->pred_fd;
}

/*
 * Kept for 0.2's first callers: marking the urgent count before a drain is
 * no longer how it works (a packet counted before the mark could land in
 * the ring after the drain and wait for the tick), see below.
 */
EXO_API void exo_tcp_wake_mark(struct exo_tcp_wake *w)
{
	(void)w;
}

EXO_API void exo_tcp_wake_drained(struct exo_tcp_wake *w, unsigned int filtered)
{
	w->drained += filtered;
}

/*
 * Exact: the filter counts (urgent, passed) in one word; when as many
 * packets were passed as the libOS has read filtered ones, every counted
 * packet is read and the urgent half is what it has seen.  Otherwise a
 * packet is between the filter and the ring (microseconds): @seen stays
 * where it was, so an urgent one still wakes (at worst one wakeup finds
 * nothing new), and a lazy one waits for the tick as lazy ones do.
 */
EXO_API void exo_tcp_wake_arm(struct exo_tcp_wake *w, int eager)
{
	__u64 t;

	__atomic_store_n(&w->st->eager, eager ? 1u : 0u, __ATOMIC_SEQ_CST);
	t = __atomic_load_n(&w->st->tally, __ATOMIC_SEQ_CST);
	if ((__u32)t == w->drained)
		__atomic_store_n(&w->st->seen, t >> 32, __ATOMIC_SEQ_CST);
}

EXO_API void exo_tcp_wake_counts(const struct exo_tcp_wake *w, __u64 *urgent,
				 __u64 *lazy)
{
	*urgent = __atomic_load_n(&w->st->urgent, __ATOMIC_RELAXED);
	*lazy = __atomic_load_n(&w->st->lazy, __ATOMIC_RELAXED);
}

EXO_API void exo_tcp_wake_free(struct exo_tcp_wake *w)
{
	if (!w)
		return;
	if (w->st)
		munmap(w->st, w->map_len);
	if (w->filter_fd >= 0)
		close(w->filter_fd);
	if (w->pred_fd >= 0)
		close(w->pred_fd);
	free(w);
}

EXO_API int exo_bpf_load(const char *path, const char *name)
{
	int saved = errno;
	libbpf_print_fn_t old;
	struct bpf_object *obj;
	int ret;

	if (!path)
		return libexo_err(-EINVAL);
	old = quiet_begin();
	obj = bpf_object__open_file(path, NULL);
	if (obj) {
		ret = load_prog(obj, name, NULL, 0);
		bpf_object__close(obj);
	} else {
		ret = bpf_null_err();
	}
	quiet_end(old);
	return done(ret, saved);
}

/* libexo 0.1 names (exo.h: deprecated names). */
LIBEXO_ALIAS(exo_bpf__filter_drop, exo_bpf_filter_drop)
LIBEXO_ALIAS(exo_bpf__ash_echo, exo_bpf_ash_echo)
LIBEXO_ALIAS(exo_bpf__pred_batch, exo_bpf_pred_batch)
LIBEXO_ALIAS(exo_bpf__pred_window, exo_bpf_pred_window)
LIBEXO_ALIAS(exo_bpf__load, exo_bpf_load)
