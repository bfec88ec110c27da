/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libexo — user-space interface to the exo exokernel (/dev/exo).
 *
 * The ABI itself (ioctl numbers, structs, errno table) is
 * <linux/exo.h>; this header only adds thin wrappers around it.
 * `make install` puts that header in $(includedir)/exo/linux/exo.h, out
 * of the system's kernel headers' linux/ directory; compile with
 * `pkg-config --cflags libexo` (-I$(includedir)/exo) and include <exo.h>,
 * or <linux/exo.h> alone for the bare ABI.
 *
 * Names.  One rule, libbpf's:
 *  - exo_<object>__<verb>() for an object libexo makes and takes back:
 *    its constructor, its destructor and every call on it, which takes it
 *    as its first argument (after an io_uring SQE for the prep calls):
 *    struct exo_nic (exo_nic__bind ... exo_nic__free), struct exo_aio
 *    (exo_aio__new ... exo_aio__free), a region mapping
 *    (exo_region__create, exo_region__destroy), the information pages
 *    (exo_info__map, exo_info__unmap);
 *  - exo_<noun>_<verb>() for everything else, a thin call on an env fd
 *    or a helper: a call that wraps one ioctl is named after it,
 *    EXO_IOC_FRAME_ALLOC -> exo_frame_alloc(), EXO_IOC_CAPS_CLOSE ->
 *    exo_caps_close() (as libbpf's bpf_map_create() wraps BPF_MAP_CREATE),
 *    a variant adds a suffix (exo_frame_alloc_at, exo_frame_map_one), and
 *    the helpers follow the same order (exo_key_to_string,
 *    exo_events_read, exo_extent_key_save, exo_bpf_load);
 *  - exo_open(), exo_close() and exo_wait() name the device's open(2),
 *    close(2) and EXO_IOC_WAIT.
 * One name per call.  The names of libexo 0.1 that broke the rule
 * (exo_frame__alloc, exo_extent__io, exo_frame__free: the same call as
 * exo_caps_close, ...) remain as deprecated aliases for one release
 * (LIBEXO_DEPRECATED_NAMES at the end of this header) and go in 0.3.
 *
 * Conventions, as in libxdp:
 *  - every call returns 0 (or a non-negative value) on success and a
 *    negative errno value on failure, and on failure also sets errno to
 *    the positive value, so both `if (ret < 0) ... -ret` and
 *    `perror()` work;
 *  - an fd is an environment (one open() of /dev/exo); capability
 *    handles are the kernel's exo_cap_t, passed through unchanged;
 *  - optional output pointers may be NULL.
 */
#ifndef LIBEXO_EXO_H
#define LIBEXO_EXO_H

/*
 * This header's release, as liburing's IO_URING_VERSION_*: test it with
 * LIBEXO_VERSION_AT_LEAST() to use a call a release added.  Each release
 * that adds symbols adds a node LIBEXO_<major>.<minor> to libexo.map
 * listing them (the soname stays libexo.so.0 while nothing is removed).
 */
#define LIBEXO_VERSION_MAJOR	0
#define LIBEXO_VERSION_MINOR	3
#define LIBEXO_VERSION_PATCH	0
#define LIBEXO_VERSION		"0.3.0"
#define LIBEXO_VERSION_AT_LEAST(major, minor)				\
	(LIBEXO_VERSION_MAJOR > (major) ||				\
	 (LIBEXO_VERSION_MAJOR == (major) && LIBEXO_VERSION_MINOR >= (minor)))

#include <stddef.h>
#include <sys/mman.h>		/* PROT_* for exo_region__create() */
#include <linux/exo.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EXO_API
#define EXO_API __attribute__((visibility("default")))
#endif

/* Length of a key as text, without the terminating NUL. */
#define EXO_KEY_STRLEN	32

/*
 * Open /dev/exo: a new environment, with close-on-exec set.
 * Returns the fd, or -errno on error (-ENOENT: module not loaded).
 */
EXO_API int exo_open(void);

/*
 * Close an environment fd.  The env dies (every slot closed) when its
 * last fd is closed.  Returns 0, or -errno on error.
 */
EXO_API int exo_close(int fd);

/*
 * Fill @feat with what the module offers (EXO_IOC_GET_FEATURES).
 * Returns 0, or -errno on error.
 */
EXO_API int exo_get_features(int fd, struct exo_features *feat);

/*
 * Fill @info with this env's identity, table use and quotas
 * (EXO_IOC_ENV_INFO).  Returns 0, or -errno on error.
 */
EXO_API int exo_env_info(int fd, struct exo_env_info *info);

/*
 * Allocate a null object; store its root capability (EXO_RIGHTS_ALL) in
 * @cap and, if @obj_id is not NULL, its name in @obj_id.
 * Returns 0, or -errno on error (-EDQUOT: quota used up).
 */
EXO_API int exo_null_alloc(int fd, exo_cap_t *cap, __u64 *obj_id);

/*
 * Fill @info with what @cap names (EXO_IOC_CAP_INFO).  A tombstone
 * answers 0 with info->state == EXO_CAP_REVOKED.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_cap_info(int fd, exo_cap_t cap, struct exo_cap_info *info);

/*
 * Derive a child of @cap holding @rights (a subset of @cap's) and store
 * its handle in @child.  Returns 0, or -errno on error.
 */
EXO_API int exo_cap_derive(int fd, exo_cap_t cap, __u32 rights,
			   exo_cap_t *child);

/*
 * Revoke every descendant of @cap in every env, and @cap itself with
 * EXO_REVOKE_SELF in @flags.  If @count is not NULL, store how many
 * capabilities died.  Returns 0, or -errno on error.
 */
EXO_API int exo_cap_revoke(int fd, exo_cap_t cap, __u32 flags, __u64 *count);

/*
 * Free the slot of @cap (live or tombstone), revoking its descendants
 * first.  Returns 0, or -errno on error.
 */
EXO_API int exo_cap_close(int fd, exo_cap_t cap);

/*
 * Make a grant key for @cap carrying @rights; @flags is 0 or
 * EXO_KEY_REUSABLE.  Store the key in @key.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_cap_export(int fd, exo_cap_t cap, __u32 rights, __u32 flags,
			   struct exo_key *key);

/*
 * Present @key; store the new capability in @cap and, if @rights is not
 * NULL, the rights it holds in @rights.
 * Returns 0, or -errno on error (-ENOKEY: key not live).
 */
EXO_API int exo_cap_import(int fd, const struct exo_key *key, exo_cap_t *cap,
			   __u32 *rights);

/*
 * Withdraw a key this env exported.  Returns 0, or -errno on error.
 */
EXO_API int exo_key_drop(int fd, const struct exo_key *key);

/*
 * Write @key as EXO_KEY_STRLEN lowercase hex digits (hi word first) and a
 * NUL into @buf of @len bytes, for pipes, argv and files.
 * Returns EXO_KEY_STRLEN, or -errno on error (-ERANGE: @buf too small).
 */
EXO_API int exo_key_to_string(const struct exo_key *key, char *buf,
			      size_t len);

/*
 * Parse exactly EXO_KEY_STRLEN hex digits (either case, nothing before or
 * after) into @key, the inverse of exo_key_to_string().  @key is left
 * untouched on error.  Returns 0, or -errno on error (-EINVAL).
 */
EXO_API int exo_key_from_string(const char *str, struct exo_key *key);

/* ---- page frames, regions, information pages ------------------------- */

/*
 * Batched calls (exo_frame_map, exo_frame_unmap, exo_caps_close) return how
 * many elements took effect, in order; when that is less than @count, errno is
 * the error of the first element that did not.  A call rejected as a whole
 * returns -errno.  Up to EXO_BATCH_MAX elements per call.
 */

/*
 * Allocate @count frames from the pool, all or nothing, zeroed; store their
 * root capabilities in @caps and, if @pfns is not NULL, their PFNs in @pfns.
 * On error @caps may hold handles that are already stale: use it only after
 * success.  Returns 0, or -errno on error (-EDQUOT over quota, -ENOSPC the
 * capability table is full, -ENOMEM pool short).
 */
EXO_API int exo_frame_alloc(int fd, __u32 count, exo_cap_t *caps,
			    __u64 *pfns);

/*
 * exo_frame_alloc() with EXO_FRAME_* @flags: EXO_FRAME_RECYCLE lets frames
 * this env held last come back unzeroed (a pager that fills every page
 * from its store needs no zeroes).  @pfns is required.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_frame_alloc_flags(int fd, __u32 flags, __u32 count,
				  exo_cap_t *caps, __u64 *pfns);

/*
 * Allocate exactly the frames named by @pfns[0..@count) (page colouring,
 * NUMA placement), all or nothing; store their capabilities in @caps.
 * Returns 0, or -errno on error (-EBUSY: a frame is taken, -EINVAL: a PFN
 * is outside the pool or repeated).
 */
EXO_API int exo_frame_alloc_at(int fd, __u32 count, __u64 *pfns,
			       exo_cap_t *caps);

/*
 * Bind frames to pages of regions (EXO_IOC_FRAME_MAP), in order.
 * Returns the number bound (see batched calls above), or -errno on error.
 */
EXO_API int exo_frame_map(int fd, const struct exo_map_entry *ents,
			  __u32 count);

/*
 * Bind one frame (@cap) at region page @addr with @prot (EXO_PROT_*).
 * Returns 0, or -errno on error (-EACCES, -EEXIST, -EINVAL: see exo.h).
 */
EXO_API int exo_frame_map_one(int fd, void *addr, exo_cap_t cap, __u32 prot);

/*
 * Remove the binding of the region page at @addr.
 * Returns 0, or -errno on error (-ENOENT: nothing bound there).
 */
EXO_API int exo_frame_unmap_one(int fd, void *addr);

/*
 * Remove the bindings of region pages @addrs (EXO_IOC_FRAME_UNMAP).
 * Returns the number unbound (see batched calls above), or -errno on error.
 */
EXO_API int exo_frame_unmap(int fd, const __u64 *addrs, __u32 count);

/*
 * Close @count capabilities of any kind (EXO_IOC_CAPS_CLOSE), live or
 * tombstones: frames are given back this way.
 * Returns the number closed (see batched calls above), or -errno on error.
 */
EXO_API int exo_caps_close(int fd, const exo_cap_t *caps, __u32 count);

/*
 * Set env @env_id's quota for @kind (0: the calling env); needs
 * CAP_SYS_ADMIN.  Returns 0, or -errno on error (-EPERM, -ESRCH).
 */
EXO_API int exo_set_quota(int fd, __u64 env_id, __u32 kind, __u32 quota);

/*
 * Map an empty region of @len bytes (a multiple of the page size) at @addr,
 * or where the library finds room if @addr is NULL, for exo_frame_map().
 * Pages hold nothing (SIGBUS) until a frame is bound.  @prot is
 * PROT_READ/PROT_WRITE.  Returns the region, or NULL with errno set.
 */
EXO_API void *exo_region__create(int fd, void *addr, size_t len, int prot);

/*
 * Unmap a region (its bindings are removed by the kernel as pages go).
 * Returns 0, or -errno on error.
 */
EXO_API int exo_region__destroy(void *region, size_t len);

/*
 * Map the two read-only information pages: the pool page (same for every
 * env) and this env's page; @env may be NULL.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_info__map(int fd, const struct exo_pool_info **pool,
			  const struct exo_env_page **env);

/*
 * Unmap the information pages mapped by exo_info__map() (pass its @pool).
 * Returns 0, or -errno on error.
 */
EXO_API int exo_info__unmap(const struct exo_pool_info *pool);

/* ---- events ------------------------------------------------------------ */

/*
 * Handlers for exo_events_dispatch(); any may be NULL (event ignored).
 * A handler returns 0, or a negative errno to stop dispatching.
 */
struct exo_event_ops {
	int (*revoke)(void *ctx, const struct exo_event *ev);
	int (*revoke_done)(void *ctx, const struct exo_event *ev);
	int (*repossessed)(void *ctx, const struct exo_event *ev);
	/* The abort of request ev->seq is over: ev->count frames taken. */
	int (*aborted)(void *ctx, const struct exo_event *ev);
};

/*
 * Wait up to @timeout_ms (-1: forever, 0: do not wait) for events, read
 * up to @max into @evs.  Returns the number read (0 on timeout), or -errno
 * on error.
 */
EXO_API int exo_events_read(int fd, struct exo_event *evs, int max,
			    int timeout_ms);

/*
 * Wait up to @timeout_ms for events and call the matching handler of @ops
 * for each, with @ctx.  Returns the number of events read (0 on timeout),
 * or -errno on error, including a handler's own error.
 */
EXO_API int exo_events_dispatch(int fd, const struct exo_event_ops *ops,
				void *ctx, int timeout_ms);

/* ---- disk extents -------------------------------------------------------- */

/*
 * Root: attach the block device at @path (@flags: EXO_ATTACH_FORMAT writes
 * a fresh table, destroying the device's contents).  @st, if not NULL,
 * gets the device's size and table state.  Returns 0, or -errno on error.
 */
EXO_API int exo_extent_attach(int fd, const char *path, __u32 flags,
			      struct exo_extent_stat *st);

/* Root: detach the device.  Returns 0, or -errno on error (-ENODEV). */
EXO_API int exo_extent_detach(int fd);

/* The attached device.  Returns 0, or -errno on error (-ENODEV). */
EXO_API int exo_extent_stat(int fd, struct exo_extent_stat *st);

/*
 * Allocate @count blocks anywhere (first fit): the capability in @cap, the
 * first block in @start (may be NULL).  If this made the env a principal,
 * its secret key is written to @key (may be NULL: then it is lost) and
 * *@new_key (may be NULL) is set to 1, else 0.  Save the key
 * (exo_extent_key_save): it is the only way back to the blocks.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_extent_alloc(int fd, __u64 count, exo_cap_t *cap,
			     __u64 *start, struct exo_key *key,
			     int *new_key);

/*
 * Allocate exactly the blocks [@start, @start + @count), as
 * exo_extent_alloc() otherwise.  Returns 0, or -errno on error (-EBUSY:
 * a block is taken).
 */
EXO_API int exo_extent_alloc_at(int fd, __u64 start, __u64 count,
				exo_cap_t *cap, struct exo_key *key,
				int *new_key);

/*
 * Give the blocks of extent @cap back (every capability of the extent
 * dies).  Returns 0, or -errno on error.
 */
EXO_API int exo_extent_free(int fd, exo_cap_t cap);

/*
 * Present principal @key: the env becomes that principal.  If the
 * principal owns at most @max extents, a root capability for each is
 * written to @descs.  Returns the number of extents the principal owns
 * (if greater than @max, nothing was written: call again with more room),
 * or -errno on error (-ENOKEY: no such principal).
 */
EXO_API int exo_extent_reclaim(int fd, const struct exo_key *key,
			       struct exo_extent_desc *descs, __u32 max);

/*
 * Synchronous batched I/O between extent blocks and frames (see
 * EXO_IOC_EXTENT_IO).  Returns the number of leading elements that took
 * effect, with errno set to the error of the next one if fewer than
 * @count, or -errno if the call failed as a whole.
 */
EXO_API int exo_extent_io(int fd, const struct exo_extent_iovec *vecs,
			  __u32 count, __u32 flags);

/*
 * Read block @block of extent @ext into frame @frame.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_extent_read(int fd, exo_cap_t ext, __u64 block,
			    exo_cap_t frame);

/*
 * Write frame @frame to block @block of extent @ext; @flags EXO_IO_FUA
 * and/or EXO_IO_FLUSH for durability.  Returns 0, or -errno on error.
 */
EXO_API int exo_extent_write(int fd, exo_cap_t ext, __u64 block,
			     exo_cap_t frame, __u32 flags);

/*
 * Save @key to the file @path (mode 0600, replaced atomically) as one line
 * of exo_key_to_string() text.  Returns 0, or -errno on error.
 */
EXO_API int exo_extent_key_save(const char *path, const struct exo_key *key);

/*
 * Load a key saved by exo_extent_key_save() into @key.
 * Returns 0, or -errno on error (-EINVAL: not a key file).
 */
EXO_API int exo_extent_key_load(const char *path, struct exo_key *key);

/*
 * Asynchronous I/O through io_uring (liburing or raw): fill @sqe, an SQE
 * of a ring set up with IORING_SETUP_SQE128, to move the block @v names
 * (EXO_URING_EXTENT_IO) on the /dev/exo @fd.  The caller sets user_data
 * and submits; the CQE's res is 0 or -errno.  Returns 0, or -errno on
 * error.
 */
struct io_uring_sqe;
EXO_API int exo_extent_prep_io(struct io_uring_sqe *sqe, int fd,
			       const struct exo_extent_iovec *v);

/*
 * Fill @sqe (SQE128 ring) to flush the attached device's write cache.
 * Returns 0, or -errno on error.
 */
EXO_API int exo_extent_prep_flush(struct io_uring_sqe *sqe, int fd);

/*
 * An asynchronous I/O context over liburing (link -luring with libexo.a):
 * queue requests with a callback each, submit them in one system call,
 * reap completions.  One per thread.
 */
struct exo_aio;

/* A completion: @res is 0 or -errno. */
typedef void (*exo_aio_cb)(void *ctx, int res);

/*
 * A context on /dev/exo @fd for up to @depth (1..4096) requests queued or
 * in flight.  Returns it, or NULL with errno set on error.
 */
EXO_API struct exo_aio *exo_aio__new(int fd, unsigned int depth);

/* Free @aio; requests still in flight complete without their callbacks. */
EXO_API void exo_aio__free(struct exo_aio *aio);

/*
 * Queue the block I/O @v (see EXO_IOC_EXTENT_IO); @cb(@ctx, res) runs
 * when it completes, from exo_aio__reap().  Returns 0, or -errno on error
 * (-EBUSY: @depth requests are queued or in flight already).
 */
EXO_API int exo_aio__queue(struct exo_aio *aio,
			   const struct exo_extent_iovec *v, exo_aio_cb cb,
			   void *ctx);

/*
 * Queue a flush of the device's write cache.  Returns 0, or -errno on
 * error.
 */
EXO_API int exo_aio__queue_flush(struct exo_aio *aio, exo_aio_cb cb,
				 void *ctx);

/* Submit what is queued.  Returns the number submitted, or -errno on error. */
EXO_API int exo_aio__submit(struct exo_aio *aio);

/*
 * Submit what is queued, wait for at least @min completions (at most the
 * number queued or in flight) and run the callback of every completion
 * available.  Returns the number reaped, or -errno on error.
 */
EXO_API int exo_aio__reap(struct exo_aio *aio, unsigned int min);

/* Requests queued or in flight.  Returns that number. */
EXO_API unsigned int exo_aio__busy(const struct exo_aio *aio);

/* ---- XN templates (see EXO_IOC_XN_TEMPLATE in <linux/exo.h>) -------------- */

struct sock_filter;

/*
 * Register (or replace) this env's principal's template for metadata
 * @type: @len classic BPF instructions.  Returns 0, or -errno on error
 * (-ENOEXEC: a load that could make it nondeterministic; -EINVAL: a
 * program the kernel's classic checker refuses; -ENOKEY: the env is no
 * principal on the attached device yet).
 */
EXO_API int exo_xn_template_set(int fd, __u32 type,
				const struct sock_filter *insns, __u32 len);

/* Remove the template of @type.  Returns 0, or -errno on error. */
EXO_API int exo_xn_template_remove(int fd, __u32 type);

/*
 * Run the extent owner's template of @type over block @block of @ext:
 * up to @max references into @refs.  Returns the number of references
 * the block holds (possibly more than @max), or -errno on error.
 */
EXO_API int exo_xn_owns(int fd, exo_cap_t ext, __u64 block, __u32 type,
			struct exo_xn_ref *refs, __u32 max);

/* ---- XN roots and checked updates (EXO_IOC_XN_ROOT, _UPDATE, _READ) --------- */

/*
 * Declare a root of metadata @type for this env's principal at the free
 * block @block (0: the first free one); the root's block goes to *@root
 * (may be NULL).  exo_xn_root_remove() gives back a root that references
 * nothing.  Returns 0, or -errno on error (-EBUSY: the block is taken;
 * -ENOENT: no template of @type; -ENOTEMPTY: the root still references
 * blocks, or the template finds references in a zeroed block).
 */
EXO_API int exo_xn_root(int fd, __u64 block, __u32 type, __u64 *root);
EXO_API int exo_xn_root_remove(int fd, __u64 root);

/*
 * Write the contents of @frame as the new version of metadata block
 * @block, claiming the references it adds and releases.  exo checks the
 * claim against its template and refuses any other (see
 * exo_xn_update(3) for the errno of each broken rule); on a refusal
 * nothing changes.  Returns 0, or -errno on error.
 */
EXO_API int exo_xn_update(int fd, __u64 block, exo_cap_t frame,
			   const struct exo_xn_ref *add, __u32 nadd,
			   const struct exo_xn_ref *release, __u32 nrelease);

/*
 * Read block @block, which this env's principal owns through XN, into
 * @frame.  Returns the block's type (0: data) and sets *@is_root (may be
 * NULL), or -errno on error (-EACCES: not the principal's).
 */
EXO_API int exo_xn_read(int fd, __u64 block, exo_cap_t frame, int *is_root);

/*
 * Write @frame to data block @block (type 0), which this env's principal
 * owns through XN; @flags EXO_IO_FUA or 0.  Returns 0, or -errno on error
 * (-EPERM: a metadata block, which only exo_xn_update() changes).
 */
EXO_API int exo_xn_write(int fd, __u64 block, exo_cap_t frame, __u32 flags);

/* ---- XN subtrees: sharing (EXO_IOC_XN_SUBTREE) ------------------------------ */

/*
 * A capability for the subtree of block @block (the block and all it
 * reaches), which this env's principal owns through XN, into *@cap; the
 * block's type into *@type (may be NULL).  Derive, export and revoke it
 * like any capability to share part of a file system.  Returns 0, or
 * -errno on error (-EACCES: not the principal's block).
 */
EXO_API int exo_xn_subtree(int fd, __u64 block, exo_cap_t *cap,
			   __u32 *type);

/*
 * exo_xn_update(), exo_xn_read() and exo_xn_write() through the subtree
 * capability @tree: as its principal, on blocks of the subtree only
 * (-EACCES outside it or without WRITE (update, write) or READ (read);
 * -EIDRM: its top block was released).
 */
EXO_API int exo_xn_update_tree(int fd, exo_cap_t tree, __u64 block,
			       exo_cap_t frame, const struct exo_xn_ref *add,
			       __u32 nadd, const struct exo_xn_ref *release,
			       __u32 nrelease);
EXO_API int exo_xn_read_tree(int fd, exo_cap_t tree, __u64 block,
			     exo_cap_t frame, int *is_root);
EXO_API int exo_xn_write_tree(int fd, exo_cap_t tree, __u64 block,
			      exo_cap_t frame, __u32 flags);

/*
 * The XN calls through io_uring: fill @sqe, an SQE of a ring set up with
 * IORING_SETUP_SQE128, with the call's struct @arg (size set; see
 * EXO_URING_XN_UPDATE in <linux/exo.h>).  The call runs when the SQE is
 * issued; the CQE's res is 0 or -errno.  Returns 0, or -errno on error.
 */
EXO_API int exo_xn_prep_update(struct io_uring_sqe *sqe, int fd,
			       const struct exo_xn_update *arg);
EXO_API int exo_xn_prep_read(struct io_uring_sqe *sqe, int fd,
			     const struct exo_xn_read *arg);
EXO_API int exo_xn_prep_write(struct io_uring_sqe *sqe, int fd,
			      const struct exo_xn_write *arg);

/* ---- NIC bindings, packet filters, wakeup predicates ----------------------- */

/*
 * Root: attach the network device @ifname (in the caller's network
 * namespace) to exo, or detach it.  Returns 0, or -errno on error.
 */
EXO_API int exo_nic_attach(int fd, const char *ifname);
EXO_API int exo_nic_detach(int fd, const char *ifname);

/*
 * Mint a flow on the attached device @ifname: @proto IPPROTO_UDP,
 * IPPROTO_TCP or IPPROTO_ICMP; @laddr/@raddr dotted-quad strings (@raddr
 * NULL: any remote); ports in host order (@rport 0: any).  The root
 * capability goes to @cap.  Returns 0, or -errno on error (-EADDRINUSE,
 * -EADDRNOTAVAIL, -EPERM: see <linux/exo.h>).
 */
EXO_API int exo_flow_alloc(int fd, const char *ifname, int proto,
			   const char *laddr, __u16 lport, const char *raddr,
			   __u16 rport, exo_cap_t *cap);

/*
 * A binding: the flow, the ring frames (allocated from the env's frame
 * quota, mapped into a region of the process) and the cursors.
 */
struct exo_nic;

/*
 * Bind flow @flow: allocate 1 + @rx_frames + @tx_frames frames (powers of
 * two; 0 picks 16), map them and attach them as rings.  Returns the
 * binding, or NULL with errno set.
 */
EXO_API struct exo_nic *exo_nic__bind(int fd, exo_cap_t flow,
				      unsigned int rx_frames,
				      unsigned int tx_frames);

/*
 * The same with EXO_NIC_BIND_* @flags: EXO_NIC_BIND_TX_OFFLOAD for
 * checksum and segmentation offload and payload fragments from frames
 * (exo_nic__tx_commit_ext()).  NULL with errno EINVAL from a kernel
 * without them.
 */
EXO_API struct exo_nic *exo_nic__bind_flags(int fd, exo_cap_t flow,
					    unsigned int rx_frames,
					    unsigned int tx_frames,
					    __u32 flags);

/* Unbind, unmap and free the ring frames, free @nic (NULL is fine). */
EXO_API void exo_nic__free(struct exo_nic *nic);

/* The ring header (shared with the kernel) and the binding's flow. */
EXO_API struct exo_nic_ring *exo_nic__ring(struct exo_nic *nic);
EXO_API exo_cap_t exo_nic__flow(const struct exo_nic *nic);
EXO_API int exo_nic__env_fd(const struct exo_nic *nic);

/* A received packet, in its ring slot: valid until exo_nic__rx_release. */
struct exo_nic_pkt {
	void *data;		/* from the Ethernet header on */
	__u16 len;
	__u16 flags;		/* EXO_NIC_DESC_* */
	__u32 __pad;
	__u64 tstamp_ns;	/* arrival, CLOCK_MONOTONIC */
};

/*
 * Peek at up to @max unread packets, oldest first, without consuming them
 * (a second call returns the same ones).  Returns how many were written to
 * @pkts (0: ring empty, or errno EINVAL for a NULL @nic).
 */
EXO_API unsigned int exo_nic__rx_burst(struct exo_nic *nic,
				       struct exo_nic_pkt *pkts,
				       unsigned int max);

/*
 * Give the @n oldest unread slots back to the kernel (at most the number
 * unread); their packets are gone.
 */
EXO_API void exo_nic__rx_release(struct exo_nic *nic, unsigned int n);

/* Unread packets in the receive ring. */
EXO_API unsigned int exo_nic__rx_pending(const struct exo_nic *nic);

/*
 * Zero-copy transmit: the data area of the next free transmit slot
 * (EXO_NIC_MAX_LEN bytes), or NULL with errno ENOBUFS if the ring is full;
 * write the frame there from its Ethernet header on, then
 * exo_nic__tx_commit() it with its length (on a full ring: nothing, errno
 * ENOBUFS), and exo_nic__tx_kick() to send every committed slot.  A slot
 * is the kernel's from the kick until it has sent it.
 */
EXO_API void *exo_nic__tx_slot(struct exo_nic *nic);
EXO_API void exo_nic__tx_commit(struct exo_nic *nic, __u16 len);

/*
 * Publish the committed slots and send them (EXO_IOC_NIC_TX).  Returns the
 * number sent, or -errno on error; *@dropped (may be NULL) gets the number
 * refused (counted by reason in the binding's counters).  With nothing
 * committed that the kernel has not read yet, returns 0 without entering
 * the kernel.
 */
EXO_API int exo_nic__tx_kick(struct exo_nic *nic, unsigned int *dropped);

/*
 * Copy @n frames (@pkts[i], @lens[i] bytes each, from the Ethernet header
 * on) into transmit slots and kick (slots committed before go too).
 * Returns the number sent, or -errno on error (-ENOBUFS: not enough free
 * slots, -EINVAL: a length over EXO_NIC_MAX_LEN; then nothing is queued).
 */
EXO_API int exo_nic__tx_burst(struct exo_nic *nic, const void *const *pkts,
			      const __u16 *lens, unsigned int n);

/*
 * Offload transmit (a binding made with EXO_NIC_BIND_TX_OFFLOAD): write
 * the headers (and any inline payload) into exo_nic__tx_slot(), then
 * commit them with their length @len, EXO_NIC_TX_* @flags (CSUM: the
 * kernel finishes the L4 checksum; TSO: a TCP segment of up to 64 KiB cut
 * at @mss; COPY: copy the fragments instead of attaching the frames) and
 * @nr_frags (at most EXO_NIC_TX_MAX_FRAGS) ranges of frames the env holds
 * that follow the inline bytes; @len is then at most EXO_NIC_TX_FRAG_OFF -
 * EXO_NIC_DATA_OFF.  Returns 0, or -errno (-ENOBUFS: ring full,
 * -EOPNOTSUPP: not an offload binding, -E2BIG: too many fragments).  The
 * kernel checks the rest at the kick; exo_nic__tx_error() reports what it
 * refused.
 */
EXO_API int exo_nic__tx_commit_ext(struct exo_nic *nic, __u16 len,
				   __u16 flags, __u16 mss,
				   const struct exo_nic_frag *frags,
				   unsigned int nr_frags);

/*
 * The positive errno of the first packet the last kick dropped (0: none);
 * *@index (may be NULL) gets its slot index.  -EINVAL for a NULL @nic.
 */
EXO_API int exo_nic__tx_error(const struct exo_nic *nic, __u32 *index);

/*
 * Completions.  exo_nic__tx_index(): the index the next committed slot
 * gets (free-running).  exo_nic__tx_done(): the ring's tx_done: every slot
 * before it was sent or dropped and its packets are gone, so the frames
 * its fragments named are the env's to reuse.  exo_nic__tx_complete(): is
 * slot @index done?  A wakeup of reason EXO_WAKE_TX (poll: EPOLLOUT)
 * follows every advance.
 */
EXO_API __u32 exo_nic__tx_index(const struct exo_nic *nic);
EXO_API __u32 exo_nic__tx_done(const struct exo_nic *nic);
EXO_API int exo_nic__tx_complete(const struct exo_nic *nic, __u32 index);

/* Counters of the binding.  Returns 0, or -errno on error. */
EXO_API int exo_nic__stat(struct exo_nic *nic, struct exo_nic_counters *c);

/*
 * Install an eBPF filter (an XDP program's fd, e.g. from exo_bpf_*()), a
 * classic filter (struct sock_filter[@len], no privilege needed), or
 * remove the filter.  Returns 0, or -errno on error.
 */
EXO_API int exo_nic__filter_ebpf(struct exo_nic *nic, int prog_fd);
struct sock_filter;
EXO_API int exo_nic__filter_classic(struct exo_nic *nic,
				    const struct sock_filter *insns,
				    unsigned int len);
EXO_API int exo_nic__filter_clear(struct exo_nic *nic);

/*
 * Fill @sqe (SQE128 ring) to kick transmit (EXO_URING_NIC_TX; publishes
 * the slots committed so far, as exo_nic__tx_kick() does; the CQE's res is
 * the number sent) or to wait up to @timeout_ns (1..EXO_URING_RX_MAX_NS)
 * for received packets (EXO_URING_NIC_RX; res: unread packets, or -ETIME).
 * The caller sets user_data and submits.  Returns 0, or -errno on error.
 */
EXO_API int exo_nic__prep_tx(struct io_uring_sqe *sqe, struct exo_nic *nic);
EXO_API int exo_nic__prep_rx(struct io_uring_sqe *sqe, struct exo_nic *nic,
			     __u64 timeout_ns);

/*
 * Sleep until a predicate holds (EXO_IOC_WAIT).  @opts NULL: any event
 * ends the wait, no timeout.  @prog_fd: an XDP-type predicate program
 * (-1: any event ends the wait; 0 is a file descriptor like any other, so
 * set it explicitly); @nic (may be NULL, else a binding of @fd):
 * the binding whose ring fills rx_pending/rx_oldest_ns; @window,
 * @window_off, @window_len: the frame window the program sees (0, 0, 0:
 * none); @timeout_ns (0: none), @tick_ns (0: no timer); @flags
 * EXO_WAIT_TX: first send @nic's committed transmit slots, as
 * exo_nic__tx_kick() would, in the same kernel entry (with nothing to
 * send, the flag is dropped; errors of the send are the call's).  Returns
 * 0 when the predicate held (*@reason, may be NULL, gets its EXO_WAKE_*
 * bits), -ETIME on timeout, -EINTR on a signal, or another -errno.
 */
struct exo_wait_opts {
	int prog_fd;
	struct exo_nic *nic;
	exo_cap_t window;
	__u32 window_off;
	__u32 window_len;
	__u64 timeout_ns;
	__u64 tick_ns;
	__u32 flags;
};
EXO_API int exo_wait(int fd, const struct exo_wait_opts *opts,
		     __u32 *reason, __u32 *evals);

/*
 * The bpf/ programs, built into libexo.  Each loads its program with
 * libbpf and returns the program's fd (close it when done), or -errno
 * (-EPERM: loading eBPF needs CAP_BPF and CAP_NET_ADMIN here).  The fd is
 * close-on-exec and stays valid after libbpf's object is gone.  libbpf
 * prints nothing unless EXO_BPF_DEBUG is set in the environment (2: its
 * debug messages and the verifier log too).  Link libexo.a users with
 * -lbpf (-lbpf -lelf -lz for a static libbpf).
 *
 *  exo_bpf_filter_drop(magic)  filter: drop UDP/TCP packets whose payload
 *                               starts with the 4 bytes of @magic (as
 *                               stored in memory), accept the rest
 *  exo_bpf_ash_echo()          ASH: answer ICMP echo requests and UDP
 *                               packets whose payload starts with "ECHO"
 *                               in the kernel (XDP_TX); accept the rest
 *  exo_bpf_pred_batch(k, t)    predicate: rx_pending >= @k, or a packet
 *                               unread for @t_ns or more, or an event
 *                               queued or frames owed
 *  exo_bpf_pred_window(v)      predicate: the window's first __u64 >= @v
 *  exo_bpf_load(path, name)    the XDP-type program @name (NULL: the
 *                               first program) of the object file @path,
 *                               with its own .rodata (-ENOENT: no such
 *                               file or program, -EINVAL: not XDP)
 */
EXO_API int exo_bpf_filter_drop(__u32 magic);
EXO_API int exo_bpf_ash_echo(void);
EXO_API int exo_bpf_pred_batch(__u32 k, __u64 t_ns);
EXO_API int exo_bpf_pred_window(__u64 v);
EXO_API int exo_bpf_load(const char *path, const char *name);

/*
 * Lazy wakeups for a TCP libOS (bpf/tcp_wake): a packet filter for its
 * binding (exo_nic__filter_ebpf(nic, exo_tcp_wake_filter(w))) and a
 * predicate for exo_wait() (exo_tcp_wake_pred(w), with tick_ns = @t_ns),
 * sharing counts in memory mapped from the object.  The filter passes
 * every packet and counts it urgent (SYN, RST, payload, not plain TCP) or
 * lazy (an ACK or FIN alone, unless the libOS said it is eager); the
 * predicate wakes when an urgent packet came since the libOS last looked,
 * when @k packets wait, when one has waited @t_ns, or for an event or
 * owed frames.  The libOS tells exo_tcp_wake_drained() how many packets
 * marked EXO_NIC_DESC_FILTERED it read from the ring, and calls
 * exo_tcp_wake_arm() before it sleeps (@eager: its own sends wait on the
 * peer's ACKs, so every packet is urgent); an urgent packet it has not
 * read always wakes it, however the packet's arrival and the drain
 * interleave.  exo_tcp_wake_mark() does nothing (kept).  One thread.
 * exo_tcp_wake_load() returns NULL with errno set (EPERM: loading eBPF
 * needs CAP_BPF and CAP_NET_ADMIN; EINVAL: @k or @t_ns 0).
 */
struct exo_tcp_wake;
EXO_API struct exo_tcp_wake *exo_tcp_wake_load(__u32 k, __u64 t_ns);
EXO_API int exo_tcp_wake_filter(const struct exo_tcp_wake *w);
EXO_API int exo_tcp_wake_pred(const struct exo_tcp_wake *w);
EXO_API void exo_tcp_wake_mark(struct exo_tcp_wake *w);
EXO_API void exo_tcp_wake_drained(struct exo_tcp_wake *w, unsigned int filtered);
EXO_API void exo_tcp_wake_arm(struct exo_tcp_wake *w, int eager);
EXO_API void exo_tcp_wake_counts(const struct exo_tcp_wake *w, __u64 *urgent,
				 __u64 *lazy);
EXO_API void exo_tcp_wake_free(struct exo_tcp_wake *w);

/* ---- deprecated names ---------------------------------------------------- */

/*
 * The names of libexo 0.1 that broke the naming rule (top of this file):
 * X(old name, new name).  The old names stay exported (symbol version
 * LIBEXO_0.1) as aliases of the new ones for one release, 0.2; using one
 * warns (-Wdeprecated-declarations) with the name to use.
 */
#define LIBEXO_DEPRECATED_NAMES(X)					\
	X(exo_frame__alloc, exo_frame_alloc)				\
	X(exo_frame__alloc_flags, exo_frame_alloc_flags)		\
	X(exo_frame__alloc_at, exo_frame_alloc_at)			\
	X(exo_frame__map, exo_frame_map)				\
	X(exo_frame__map_one, exo_frame_map_one)			\
	X(exo_frame__unmap, exo_frame_unmap)				\
	X(exo_frame__unmap_one, exo_frame_unmap_one)			\
	X(exo_frame__free, exo_caps_close)				\
	X(exo_events__read, exo_events_read)				\
	X(exo_events__dispatch, exo_events_dispatch)			\
	X(exo_extent__attach, exo_extent_attach)			\
	X(exo_extent__detach, exo_extent_detach)			\
	X(exo_extent__stat, exo_extent_stat)				\
	X(exo_extent__alloc, exo_extent_alloc)				\
	X(exo_extent__alloc_at, exo_extent_alloc_at)			\
	X(exo_extent__free, exo_extent_free)				\
	X(exo_extent__reclaim, exo_extent_reclaim)			\
	X(exo_extent__io, exo_extent_io)				\
	X(exo_extent__read, exo_extent_read)				\
	X(exo_extent__write, exo_extent_write)				\
	X(exo_extent__key_save, exo_extent_key_save)			\
	X(exo_extent__key_load, exo_extent_key_load)			\
	X(exo_extent__prep_io, exo_extent_prep_io)			\
	X(exo_extent__prep_flush, exo_extent_prep_flush)		\
	X(exo_xn__template_set, exo_xn_template_set)			\
	X(exo_xn__template_remove, exo_xn_template_remove)		\
	X(exo_xn__owns, exo_xn_owns)					\
	X(exo_xn__root, exo_xn_root)					\
	X(exo_xn__root_remove, exo_xn_root_remove)			\
	X(exo_xn__update, exo_xn_update)				\
	X(exo_xn__read, exo_xn_read)					\
	X(exo_xn__write, exo_xn_write)					\
	X(exo_nic__attach, exo_nic_attach)				\
	X(exo_nic__detach, exo_nic_detach)				\
	X(exo_flow__alloc, exo_flow_alloc)				\
	X(exo_bpf__filter_drop, exo_bpf_filter_drop)			\
	X(exo_bpf__ash_echo, exo_bpf_ash_echo)				\
	X(exo_bpf__pred_batch, exo_bpf_pred_batch)			\
	X(exo_bpf__pred_window, exo_bpf_pred_window)			\
	X(exo_bpf__load, exo_bpf_load)

#define LIBEXO_DEPRECATED_DECL(old, new)				\
	EXO_API extern __typeof__(new) old				\
	__attribute__((deprecated("renamed " #new " in libexo 0.2")));
LIBEXO_DEPRECATED_NAMES(LIBEXO_DEPRECATED_DECL)
#undef LIBEXO_DEPRECATED_DECL

#ifdef __cplusplus
}
#endif

#endif /* LIBEXO_EXO_H */
