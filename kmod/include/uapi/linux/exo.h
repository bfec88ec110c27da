/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * exo — an exokernel for Linux: the one user/kernel ABI.
 *
 * Both the module (kmod/) and the library (libexo/) include this file; it is
 * never copied.  Everything here is fixed-width and pointer-free, so 32-bit
 * and 64-bit callers see the same layout.
 *
 * Model
 * -----
 * Each open() of /dev/exo is an *environment* (env).  An env holds
 * resources only through *capabilities*: slots in its capability table, each
 * naming one resource object with a rights mask.  A capability is passed to
 * the kernel as an exo_cap_t handle:
 *
 *        63                32 31                 0
 *       +--------------------+--------------------+
 *       |    generation      |     slot index     |
 *       +--------------------+--------------------+
 *
 * The generation of a slot changes every time the slot is freed, so a stale
 * handle fails with ESTALE and never names the slot's next occupant.  Handle
 * 0 is never valid (generations start at 1).
 *
 * Capabilities form a derivation tree.  DERIVE makes a child holding a
 * subset of the parent's rights (never more: EPERM).  REVOKE kills every
 * descendant of a capability, in every env, and optionally the capability
 * itself; a killed capability stays in its holder's table as a *tombstone*
 * (every use answers EKEYREVOKED) until the holder closes the slot, so the
 * holder can tell "revoked" from "never had it".  CLOSE frees a slot and,
 * since a child never outlives the authority it came from, revokes every
 * descendant first.  Closing the env (close() of the last fd, or the death
 * of the process, kill -9 included) closes every slot it holds.
 *
 *                 env A                    env B               env C
 *        root cap (all rights)
 *            |  derive(R|W|G)
 *            +--- child  --export--> key --import--> cap
 *                                                     | derive(R)
 *                                                     +-- ... --> grandchild
 *        revoke(child): child, B's cap and C's grandchild all die.
 *
 * Capabilities move between envs through *grant keys*: EXPORT turns a
 * capability (with GRANT right) into an unguessable 128-bit key naming it
 * and a subset of its rights; IMPORT, in any env, presents the key and gets
 * a new child capability.  Possession of the key is the authority (the car
 * key).  Keys are one-shot unless EXO_KEY_REUSABLE; they die with the
 * capability they name, or when the exporting env drops them.  The /dev/exo
 * fd itself may also be passed over a Unix socket: the receiver then acts
 * as the same env.
 *
 * Calling convention
 * ------------------
 * Every ioctl takes a pointer to a struct that starts with
 *
 *	__u32 size;	sizeof() the struct as the caller knows it
 *	__u32 flags;	EXO_*_ flags of that call; unknown bits are an error
 *
 * The struct is copied in exactly once.  Structs may only grow at the end:
 * an older caller passes a smaller size and the kernel reads the missing
 * fields as zero; a newer caller may pass a larger size as long as the bytes
 * the kernel does not know are zero.  Reserved fields must be zero.  Output
 * fields are written back in place, up to the caller's size.
 *
 * DOC: errno values (every call returns 0 or -1 with errno)
 *
 *  ENOTTY       unknown ioctl number
 *  EFAULT       the argument (or a buffer it points to) is not accessible
 *  EINVAL       size smaller than the first version of the struct, size
 *               changed while being copied, an unknown flag bit, a
 *               non-zero reserved field, an out-of-range value
 *  E2BIG        size larger than the kernel knows, with non-zero bytes in
 *               the part it does not know
 *  EBADF        the handle is not a capability of this env (slot out of
 *               range or empty)
 *  ESTALE       the handle's generation is old: the slot was closed
 *  EKEYREVOKED  the capability was revoked (tombstone); close it
 *  EACCES       the capability lacks a right the call needs
 *  EPERM        derive/export asked for rights the parent does not hold,
 *               or the call needs privilege (CAP_SYS_ADMIN) the caller lacks
 *  ENOKEY       no live grant key with that value (never issued, used up,
 *               dropped, or its capability died)
 *  ENOSPC       the env's capability table (or key table) is full
 *  EDQUOT       the env's quota for that resource kind is used up
 *               (which limit answers which errno: DOC: limits below)
 *  ENOMEM       the kernel could not allocate memory
 *  EOVERFLOW    a count or range does not fit
 *  EBUSY        a frame asked for by physical name is taken
 *  ENOMEM       also: the frame pool is empty
 *  EEXIST       a page of the region is already bound to a frame
 *  ENOENT       unmap of a page that holds no binding
 *  ENOSPC       also: the env has max_bindings frame bindings already
 *
 * Batched calls (FRAME_MAP, FRAME_UNMAP, CAPS_CLOSE) process their array in
 * order and stop at the first failing element: the ioctl itself succeeds
 * (returns 0) when the header was valid, and reports @done, the number of
 * elements that took effect, and @error, the positive errno of element
 * @done (0 if all took effect).

 *
 * DOC: limits
 *
 * What bounds an env, and what it answers when the bound is reached.  The
 * module parameters (/sys/module/exo/parameters/) are read when an env is
 * opened; root changes a live env's quotas with SET_QUOTA.
 *
 *  limit                          default               errno
 *  quota[EXO_KIND_NULL]           null_quota, 1024      EDQUOT
 *  quota[EXO_KIND_FRAME]          frame_quota, 0 = the  EDQUOT
 *                                 whole pool (pool_pages,
 *                                 16384)
 *  quota[EXO_KIND_EXTENT]         extent_quota, 1024    EDQUOT
 *  quota[EXO_KIND_FLOW]           flow_quota, 2048      EDQUOT
 *  quota[EXO_KIND_XN]             xn_quota, 1024        EDQUOT
 *  capability table               see below             ENOSPC
 *  outstanding grant keys         max_keys, 256         ENOSPC (EXPORT)
 *  frame bindings                 max_bindings, 65536   ENOSPC (FRAME_MAP)
 *  free frames in the pool        pool_pages            ENOMEM (FRAME_ALLOC)
 *  elements of one batched call   EXO_BATCH_MAX         EINVAL
 *
 * A quota counts objects the env allocated (one per root capability it
 * was given by an ALLOC or RECLAIM); derived and imported capabilities
 * name objects of others or its own and are not charged.  Closing a root
 * capability (or the object being taken by revocation) gives the unit back.
 *
 * The capability table grows on demand, one slot per capability, live or
 * tombstone, up to a limit that follows the quotas: the sum of the env's
 * quotas over every kind, plus caps_headroom (default 4096) for derived
 * and imported capabilities and tombstones, at most 1048576 (2^20).  So an
 * env that allocates up to any quota gets EDQUOT, never ENOSPC, unless its
 * own derived or imported capabilities and unclosed tombstones have filled
 * the headroom and more; then ENOSPC says "close some slots".  The limit
 * moves with SET_QUOTA; GET_FEATURES reports it as @max_caps.  The module
 * parameter max_caps, if not 0, fixes the limit instead (whatever the
 * quotas).  Growing the table takes kernel memory (16 bytes a slot, plus
 * the capability itself, charged to the caller's memory cgroup): a failed
 * growth answers ENOMEM and leaves the table and every handle as they were.
 *
 * FRAME_ALLOC checks in this order and stops at the first that fails:
 * EDQUOT (used + @count over the frame quota), ENOSPC (@count more
 * capabilities do not fit the table), ENOMEM (the pool has fewer than
 * @count free frames; with reclaim_on_empty the largest holder is then
 * asked to give some back, so a later call may succeed).
 *
 * Things a caller may observe and should not rely on otherwise:
 *
 *  - A FRAME_ALLOC that fails may still have written to @caps (and @pfns):
 *    it is all or nothing, so when it fails after making the capabilities
 *    (a fault copying one of the arrays out) it closes them again, and the
 *    handles left in the caller's array are stale (ESTALE).  Use @caps
 *    only after the call returned 0.
 *  - FRAME_UNMAP of a page-aligned address where nothing is bound (a
 *    region page never mapped, unmapped already, or whose capability died
 *    and took the binding with it, or an address in no mapping at all)
 *    reports ENOENT in @error for that element; an address inside a
 *    mapping that is not an exo region of this env reports EINVAL.
 *  - The env is the open file, not the process.  After fork() the child
 *    holds the same fd and so is the same env: its capabilities, quotas
 *    and events are the parent's, its FRAME_MAP and FRAME_UNMAP bind and
 *    unbind the parent's region pages too (the region is MAP_SHARED and
 *    its bindings belong to the env).  The env is closed when the last
 *    reference to the open file goes: every fd closed and every mapping of
 *    it unmapped, in every process.  A child that wants an env of its own
 *    opens /dev/exo again.
 */
#ifndef _UAPI_LINUX_EXO_H
#define _UAPI_LINUX_EXO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define EXO_DEVICE		"/dev/exo"
#define EXO_API_VERSION		1

/* A capability handle: generation << 32 | slot. 0 is never valid. */
typedef __u64 exo_cap_t;

#define EXO_CAP_SLOT(h)		((__u32)(h))
#define EXO_CAP_GEN(h)		((__u32)((h) >> 32))

/* Resource kinds.  Each has its own per-env quota. */
enum exo_kind {
	EXO_KIND_NULL	= 1,	/* a resource with no content: exercises caps */
	EXO_KIND_FRAME	= 2,	/* a physical page frame from exo's pool */
	EXO_KIND_EXTENT	= 3,	/* a run of blocks of the attached disk */
	EXO_KIND_FLOW	= 4,	/* a network flow on an attached device */
	EXO_KIND_XN	= 5,	/* an XN subtree: a block and what it reaches */
	EXO_KIND_MAX,
};

/* Rights of a capability. */
#define EXO_RIGHT_READ		(1U << 0)	/* read the resource */
#define EXO_RIGHT_WRITE		(1U << 1)	/* modify the resource */
#define EXO_RIGHT_MAP		(1U << 2)	/* bind it into an address space */
#define EXO_RIGHT_DERIVE	(1U << 3)	/* make children with fewer rights */
#define EXO_RIGHT_GRANT		(1U << 4)	/* export a key for it */
#define EXO_RIGHT_REVOKE	(1U << 5)	/* kill its descendants */
#define EXO_RIGHTS_ALL		0x3fU

/* A grant key: 128 random bits. */
struct exo_key {
	__u64 lo;
	__u64 hi;
};

/*
 * EXO_IOC_GET_FEATURES — what this kernel offers.
 * Needs no capability; all fields but size and flags are output.
 */
struct exo_features {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 api_version;	/* out: EXO_API_VERSION of the module */
	__u32 kinds;		/* out: bit (1 << kind) per supported kind */
	__u32 rights;		/* out: EXO_RIGHTS_ALL */
	__u32 max_caps;		/* out: slots it may fill now: DOC: limits */
	__u32 max_keys;		/* out: outstanding keys per env */
	__u32 __reserved;	/* out: 0 */
	__aligned_u64 ioctls;	/* out: bit (1 << _IOC_NR) per ioctl */
};

/*
 * EXO_IOC_ENV_INFO — this env's identity, table use and quotas.
 * quota[k] and used[k] are indexed by enum exo_kind (index 0 unused).
 */
#define EXO_INFO_KINDS	8
struct exo_env_info {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__aligned_u64 env_id;	/* out: unique for the module's lifetime */
	__u32 caps;		/* out: slots in use (live and tombstones) */
	__u32 keys;		/* out: keys this env exported, still live */
	__u32 quota[EXO_INFO_KINDS];	/* out */
	__u32 used[EXO_INFO_KINDS];	/* out */
};

/*
 * EXO_IOC_NULL_ALLOC — allocate a null object; returns a root capability
 * with EXO_RIGHTS_ALL.  Charged to this env's EXO_KIND_NULL quota (EDQUOT).
 */
struct exo_null_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t cap;		/* out */
	__aligned_u64 obj_id;	/* out: the object's name */
};

/*
 * EXO_IOC_CAP_INFO — what a capability names.
 */
#define EXO_CAP_LIVE		1
#define EXO_CAP_REVOKED		2
struct exo_cap_info {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t cap;		/* in */
	__u32 state;		/* out: EXO_CAP_LIVE or EXO_CAP_REVOKED */
	__u32 kind;		/* out: enum exo_kind (0 if revoked) */
	__u32 rights;		/* out */
	__u32 depth;		/* out: 0 for a root capability */
	/* out: the object's name, 0 if revoked; a frame's is its PFN */
	__aligned_u64 obj_id;
	__u32 children;		/* out: live direct children */
	__u32 __reserved;	/* out: 0 */
};

/*
 * EXO_IOC_CAP_DERIVE — a child of @cap with @rights, which must be a subset
 * of @cap's rights (EPERM otherwise).  Needs EXO_RIGHT_DERIVE on @cap.
 */
struct exo_cap_derive {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t cap;		/* in: parent */
	__u32 rights;		/* in */
	__u32 __reserved;	/* must be 0 */
	exo_cap_t child;	/* out */
};

/*
 * EXO_IOC_CAP_REVOKE — kill every descendant of @cap, in every env; with
 * EXO_REVOKE_SELF, @cap too.  Needs EXO_RIGHT_REVOKE on @cap.
 * @count returns how many capabilities died.
 */
#define EXO_REVOKE_SELF		(1U << 0)
struct exo_cap_revoke {
	__u32 size;
	__u32 flags;		/* EXO_REVOKE_* */
	exo_cap_t cap;		/* in */
	__aligned_u64 count;	/* out */
};

/*
 * EXO_IOC_CAP_CLOSE — free the slot of @cap (live or tombstone), revoking
 * its descendants first.  Needs no right.
 */
struct exo_cap_close {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t cap;		/* in */
};

/*
 * EXO_IOC_CAP_EXPORT — make a grant key for @cap carrying @rights (a subset
 * of @cap's: EPERM otherwise).  Needs EXO_RIGHT_GRANT on @cap.  The key is
 * one-shot unless EXO_KEY_REUSABLE.  Counted against the env's key limit
 * (ENOSPC).
 */
#define EXO_KEY_REUSABLE	(1U << 0)
struct exo_cap_export {
	__u32 size;
	__u32 flags;		/* EXO_KEY_* */
	exo_cap_t cap;		/* in */
	__u32 rights;		/* in */
	__u32 __reserved;	/* must be 0 */
	struct exo_key key;	/* out */
};

/*
 * EXO_IOC_CAP_IMPORT — present a key; get a new capability, a child of the
 * exported one, with the key's rights.  ENOKEY if the key is not live.
 */
struct exo_cap_import {
	__u32 size;
	__u32 flags;		/* must be 0 */
	struct exo_key key;	/* in */
	exo_cap_t cap;		/* out */
	__u32 rights;		/* out: the rights the new capability holds */
	__u32 __reserved;	/* out: 0 */
};

/*
 * EXO_IOC_KEY_DROP — withdraw a key this env exported (ENOKEY if it is not
 * live or another env exported it).
 */
struct exo_key_drop {
	__u32 size;
	__u32 flags;		/* must be 0 */
	struct exo_key key;	/* in */
};

/* ---- physical page frames ------------------------------------------------ */

/*
 * Frames are named by their physical frame number (PFN).  exo owns a pool
 * of frames taken from the page allocator when the module loads; the PFN
 * ranges of the pool are listed in the pool info page, so a libOS can pick
 * frames by cache colour or by NUMA node and ask for them by name.
 *
 * Secure binding.  A libOS mmap()s a *region* of /dev/exo, MAP_SHARED, at an
 * address of its choosing, with the file offset equal to that address (the
 * region is named by where it lives).  The region starts empty: every
 * access faults with SIGBUS.  FRAME_MAP then binds frames the env holds to
 * pages of the region; the rights check happens once, there, and the page
 * table entry is installed at once, so later accesses run at hardware
 * speed.  FRAME_UNMAP or the death of the capability (close, revoke,
 * repossession) removes the binding and the entry, in every process that
 * maps the region (shared through fork or a passed fd).  A frame bound
 * read-only (capability without WRITE, or prot without EXO_PROT_WRITE)
 * stays read-only even if the region is mprotect()ed writable.  Binding
 * needs MAP and READ on the capability.  A region cannot be moved with
 * mremap() (EINVAL): its offset must stay its address.
 *
 *   mmap(A, len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED_NOREPLACE, fd, A)
 *
 *       A                                            A + len
 *       +--------+--------+--------+--------+--------+
 *       | frame  | (none) | frame  | frame  | (none) |   (none): SIGBUS
 *       | pfn 812|        | pfn 77 | pfn 78 |        |
 *       +--------+--------+--------+--------+--------+
 *
 * Information.  mmap(NULL, 2 * page size, PROT_READ, MAP_SHARED, fd,
 * EXO_INFO_OFFSET) maps two read-only pages: the pool page, the same for
 * every env, and the env's own page.  Fields are updated by the kernel as
 * things change; read them with READ_ONCE-style loads.
 *
 *   EXO_INFO_OFFSET  +----------------------------+
 *                    | struct exo_pool_info       |  one for the system
 *                    |  totals, free, pfn ranges  |
 *   + page size      +----------------------------+
 *                    | struct exo_env_page        |  one per env
 *                    |  quota/usage, revocation,  |
 *                    |  repossession vector       |
 *                    +----------------------------+
 *
 * Visible revocation and abort.  When root (debugfs) or a starved
 * allocation asks an env for frames back, the kernel queues an
 * EXO_EV_REVOKE event (read() on the fd, poll/epoll readable) naming how
 * many frames and a deadline; the libOS frees frames of its choosing (close
 * their capabilities).  What is still owed at the deadline the kernel takes
 * itself: it revokes frames of its own choosing (their capabilities become
 * tombstones, every mapping of them faults with SIGBUS), records each in
 * the env page's repossession vector and queues an EXO_EV_REPOSSESSED event.
 */
#define EXO_PROT_READ		(1U << 0)
#define EXO_PROT_WRITE		(1U << 1)

#define EXO_INFO_OFFSET		(1ULL << 60)	/* above any user address */
#define EXO_BATCH_MAX		65536		/* elements per batched call */

/*
 * EXO_IOC_FRAME_ALLOC — allocate @count frames, all or nothing.  By default
 * any free frames; with EXO_FRAME_BY_PFN exactly the PFNs in @pfns (EINVAL
 * if one is outside the pool or repeated, EBUSY if one is taken).  Frames
 * come zeroed (but see EXO_FRAME_RECYCLE).  Writes @count root
 * capabilities to @caps and the PFNs to @pfns.  EDQUOT over quota, ENOMEM
 * if the pool has too few free frames.
 */
#define EXO_FRAME_BY_PFN	(1U << 0)
/*
 * EXO_FRAME_RECYCLE: a frame this env itself held last may come back with
 * its old contents instead of zeroed (frames last held by any other env
 * are always zeroed).  For libOSes that manage their own memory and would
 * only overwrite the zeroes, as a pager filling pages from its store does.
 */
#define EXO_FRAME_RECYCLE	(1U << 1)
struct exo_frame_alloc {
	__u32 size;
	__u32 flags;		/* EXO_FRAME_* */
	__u32 count;		/* in: 1..EXO_BATCH_MAX */
	__u32 __reserved;	/* must be 0 */
	__aligned_u64 caps;	/* in: user pointer to exo_cap_t[count] (out) */
	__aligned_u64 pfns;	/* in: user pointer to __u64[count] (in/out) */
};

struct exo_map_entry {
	__aligned_u64 addr;	/* page-aligned, inside a region of this env */
	exo_cap_t cap;		/* frame capability with MAP and READ */
	__u32 prot;		/* EXO_PROT_READ, | EXO_PROT_WRITE (needs WRITE) */
	__u32 __reserved;	/* must be 0 */
};

/* EXO_IOC_FRAME_MAP — bind frames to region pages (batched). */
struct exo_frame_map {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 count;		/* in: 1..EXO_BATCH_MAX */
	__u32 done;		/* out */
	__aligned_u64 entries;	/* in: user pointer to exo_map_entry[count] */
	__s32 error;		/* out: errno of element @done, or 0 */
	__u32 __reserved;	/* must be 0 */
};

/* EXO_IOC_FRAME_UNMAP — remove the bindings of region pages (batched). */
struct exo_frame_unmap {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 count;		/* in: 1..EXO_BATCH_MAX */
	__u32 done;		/* out */
	__aligned_u64 addrs;	/* in: user pointer to __u64[count] */
	__s32 error;		/* out */
	__u32 __reserved;	/* must be 0 */
};

/* EXO_IOC_CAPS_CLOSE — EXO_IOC_CAP_CLOSE over an array (batched). */
struct exo_caps_close {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 count;		/* in: 1..EXO_BATCH_MAX */
	__u32 done;		/* out */
	__aligned_u64 caps;	/* in: user pointer to exo_cap_t[count] */
	__s32 error;		/* out */
	__u32 __reserved;	/* must be 0 */
};

/*
 * EXO_IOC_SET_QUOTA — root (CAP_SYS_ADMIN) sets env @env_id's quota for
 * @kind.  ESRCH if no such env is open.  A quota below current use takes
 * nothing away by itself; it only stops new allocations.
 */
struct exo_set_quota {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__aligned_u64 env_id;	/* 0: the calling env */
	__u32 kind;
	__u32 quota;
};

/* Events, read() from the fd as an array of struct exo_event. */
enum exo_event_type {
	EXO_EV_REVOKE		= 1,	/* give back @count frames by @deadline_ns */
	EXO_EV_REVOKE_DONE	= 2,	/* the request @seq was honoured in full */
	EXO_EV_REPOSSESSED	= 3,	/* frame @pfn was taken; @cap is dead */
	/* Request @seq ended by abort, @count frames taken (queued last). */
	EXO_EV_ABORTED		= 4,
};

/*
 * The event queue holds EXO_EV_QUEUE events; when it is full the oldest is
 * dropped and the next one read carries EXO_EVF_LOST.  An abort may take
 * more frames than the queue holds: its EXO_EV_ABORTED summary is queued
 * after the per-frame events and so is never the one dropped; the
 * repossession vector of the env page (and EXO_CAP_REVOKED from
 * EXO_IOC_CAP_INFO) tell the rest.
 */
#define EXO_EV_QUEUE		64

#define EXO_EVF_LOST		(1U << 0)	/* events were dropped before this */
/*
 * EXO_EVF_EXTENT: the event is about extent leases, not frames.  REVOKE
 * asks the env to give back @count extents it owns (EXO_IOC_EXTENT_FREE of
 * extents of its choosing) by @deadline_ns; REVOKE_DONE says it did; at the
 * deadline the kernel frees extents of its own choosing, newest first,
 * after the I/O in flight on the device completes, and queues one
 * REPOSSESSED per extent (@block is the extent's first block, @cap its
 * root capability, now a tombstone) and an ABORTED summary.
 *
 * Frames and extents follow the same rules: a request in progress may
 * grow (a new one counts only if it leaves the env less than the one in
 * progress) but is never postponed (its deadline is the earlier of the
 * two); it is honoured when the env holds no more than it was told to
 * keep, so units allocated and given back after the request do not
 * count; the abort never comes before @deadline_ns.
 */
#define EXO_EVF_EXTENT		(1U << 1)
struct exo_event {
	__u32 type;
	__u32 flags;		/* EXO_EVF_* */
	__aligned_u64 seq;	/* revocation request number */
	__aligned_u64 count;	/* REVOKE: frames asked for */
	__aligned_u64 deadline_ns; /* REVOKE: CLOCK_MONOTONIC */
	/* REPOSSESSED: what was taken, by the name of its kind. */
	union {
		__aligned_u64 name;
		__aligned_u64 pfn;	/* a frame: its PFN */
		__aligned_u64 block;	/* EXO_EVF_EXTENT: its first block */
	};
	exo_cap_t cap;		/* REPOSSESSED: the capability, now a tombstone */
};

#define EXO_POOL_MAGIC		0x65786f50	/* "exoP" */
#define EXO_POOL_RANGES		64
struct exo_pfn_range {
	__aligned_u64 start;	/* first PFN */
	__aligned_u64 count;	/* frames */
};

/* The pool page (first info page); read-only. */
struct exo_pool_info {
	__u32 magic;			/* EXO_POOL_MAGIC */
	__u32 version;			/* EXO_API_VERSION */
	__u32 page_size;
	__u32 nr_ranges;		/* valid entries of @ranges */
	__aligned_u64 frames_total;
	__aligned_u64 frames_free;
	__aligned_u64 frames_mapped;	/* bindings in all envs */
	__aligned_u64 revocations;	/* requests made */
	__aligned_u64 revocations_honoured;
	__aligned_u64 revocations_aborted;
	__aligned_u64 frames_repossessed;
	struct exo_pfn_range ranges[EXO_POOL_RANGES];
};

#define EXO_REPO_SLOTS		240	/* fills the env page */
struct exo_repo_entry {
	__aligned_u64 pfn;
	exo_cap_t cap;
};

/* The env page (second info page); read-only. */
struct exo_env_page {
	__aligned_u64 env_id;
	__u32 frame_quota;
	__u32 frames_used;
	__u32 frames_mapped;
	__u32 events_pending;
	__aligned_u64 revoke_seq;	/* latest request number, 0 if none */
	__aligned_u64 revoke_owed;	/* frames still owed for it */
	__aligned_u64 revoke_deadline_ns;
	/*
	 * Repossession vector: entry i of the ring is
	 * repo[i % EXO_REPO_SLOTS] for i < repo_count.
	 */
	__aligned_u64 repo_count;
	struct exo_repo_entry repo[EXO_REPO_SLOTS];
};

/* ---- raw disk extents ---------------------------------------------------- */

/*
 * Root (CAP_SYS_ADMIN) attaches one block device to exo; every env may then
 * allocate *extents* on it: runs of EXO_EXTENT_BLOCK-byte blocks named by
 * their device block number.  Data moves only between a block of an extent
 * the env holds and a frame the env holds, by bios straight into the frame
 * (no copy, no page cache).
 *
 * On-disk table.  exo keeps its table in a reserved area at the start of
 * the device, in two copies (ping-pong); an update rewrites the older copy
 * (body, then a flush, then its header with FUA) and bumps the generation,
 * so a crash at any moment leaves at least one copy whose crc32c checksums
 * hold.  Attach uses the valid copy with the highest generation.
 *
 *   block 0          1                1+M              1+2M         nblocks
 *   +--------+----------------+----------------+---------------------+
 *   | unused | copy 0 (M blk) | copy 1 (M blk) |  data: extents      |
 *   +--------+----------------+----------------+---------------------+
 *   copy = header | allocation bitmap | written bitmap | XN bitmap |
 *          principals | extent records | XN roots | XN templates |
 *          templates' programs | pending XN block	(table version 3)
 *
 * A table of an older version is refused (EUCLEAN, and the kernel log
 * names both versions): format the device again.
 *
 * Ownership is persistent and belongs to a *principal*, not to an env: the
 * first EXTENT_ALLOC of an env makes it a principal with a fresh 128-bit
 * secret key, returned once (@key, with @new_key set): save it.  After a
 * module reload, a re-attach or a reboot, EXTENT_RECLAIM with that key
 * makes the env that principal again and returns a root capability for
 * every extent the principal owns (the root list of XN).  Closing an
 * extent capability (or the env) frees nothing on disk; only EXTENT_FREE
 * gives the blocks back.  Extent capabilities derive, export, import and
 * revoke like any other; their obj_id (EXO_IOC_CAP_INFO) is the first
 * block.  A principal that owns no extent is forgotten.
 *
 * No data crosses principals.  A block reads as zeroes until it has been
 * written since it was last allocated: EXTENT_FREE, the kernel's
 * repossession at an abort and EXO_ATTACH_FORMAT never scrub the device,
 * but whatever a previous owner (or anyone, before the format) left in a
 * block is never returned to the next one.  Such reads cost no I/O.  The
 * table records which blocks were written (the written bitmap); a bit
 * reaches the disk with the next table update, and before a flush
 * (EXO_IO_FLUSH, EXO_URING_EXTENT_FLUSH) or a FUA write completes, so what
 * a libOS has made durable reads back after a crash; a write completed
 * but never flushed may read as zeroes after a crash (never as someone
 * else's data).  A clean DETACH (or unload) records every completed write.
 * Writes are of whole blocks, so a written block holds only its owner's
 * bytes.
 *
 * Errors of this section, beyond the common table:
 *  ENODEV     no device attached, or the capability's device was detached
 *  EBUSY      ATTACH: a device is attached already, or the device is held
 *             exclusively by someone else; ALLOC_AT: a block is taken (the
 *             reserved area counts as taken)
 *  EINVAL     ATTACH without EXO_ATTACH_FORMAT of a device that holds no
 *             exo table (no magic in either copy); ATTACH of a device
 *             whose logical block size exceeds EXO_EXTENT_BLOCK or too
 *             small for the table and one data block; a capability that
 *             names no extent (IO: no frame)
 *  EUCLEAN    ATTACH: exo's magic is present but no copy is consistent
 *             (checksums, bitmaps and records disagree, or a table of
 *             another version: format the device again)
 *  ERANGE     ALLOC_AT past the end of the device; IO at a block past the
 *             end of the extent
 *  EOVERFLOW  start + count overflows
 *  ENOSPC     ALLOC: no run of @count free blocks, or the table is full
 *             (EXO_EXTENT_MAX_RECORDS extents, EXO_EXTENT_MAX_PRINCIPALS)
 *  ENOKEY     RECLAIM: no principal with that key on the attached device
 *  ENOENT, ENOTBLK, ENAMETOOLONG  ATTACH: no such path, not a block
 *             device, a path longer than PATH_MAX
 *  EIO        the device failed a table update (nothing changed) or an I/O
 */
#define EXO_EXTENT_BLOCK		4096
#define EXO_EXTENT_MAX_RECORDS		1024
#define EXO_EXTENT_MAX_PRINCIPALS	256
#define EXO_EXTENT_IO_MAX		1024	/* elements per EXTENT_IO */

/*
 * EXO_IOC_EXTENT_ATTACH — root attaches the block device at @path (a user
 * pointer to a NUL-terminated string), opened exclusively.  With
 * EXO_ATTACH_FORMAT a fresh, empty table is written first (everything on
 * the device is lost).  Outputs describe the device, as EXTENT_STAT does.
 * The device stays attached until EXTENT_DETACH or module unload.
 */
#define EXO_ATTACH_FORMAT	(1U << 0)
struct exo_extent_attach {
	__u32 size;
	__u32 flags;		/* EXO_ATTACH_* */
	__aligned_u64 path;	/* in: user pointer to the device path */
	__aligned_u64 nblocks;	/* out: blocks exo manages */
	__aligned_u64 data_start; /* out: first block an extent may use */
	__aligned_u64 free;	/* out: free blocks */
	__aligned_u64 generation; /* out: of the table */
};

/*
 * EXO_IOC_EXTENT_DETACH — root detaches the device once the I/O in flight
 * on it has completed.  Extent capabilities stay in their tables but every
 * use answers ENODEV; the on-disk table is untouched.
 */
struct exo_extent_detach {
	__u32 size;
	__u32 flags;		/* must be 0 */
};

/* EXO_IOC_EXTENT_STAT — the attached device (ENODEV if none). */
struct exo_extent_stat {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__aligned_u64 nblocks;	/* out */
	__aligned_u64 data_start; /* out */
	__aligned_u64 free;	/* out */
	__aligned_u64 generation; /* out */
};

/*
 * EXO_IOC_EXTENT_ALLOC — allocate @count blocks as one extent owned by this
 * env's principal: any free run (first fit), or with EXO_EXTENT_AT exactly
 * [@start, @start + @count).  Returns a root capability with all rights.
 * Charged to the env's EXO_KIND_EXTENT quota (EDQUOT), as every extent
 * capability made by ALLOC or RECLAIM is.  If the env was no principal yet
 * it becomes one: @new_key is 1 and @key holds the secret key, shown only
 * this once.
 */
#define EXO_EXTENT_AT		(1U << 0)
struct exo_extent_alloc {
	__u32 size;
	__u32 flags;		/* EXO_EXTENT_* */
	__aligned_u64 start;	/* in with EXO_EXTENT_AT; out: first block */
	__aligned_u64 count;	/* in: blocks, >= 1 */
	exo_cap_t cap;		/* out */
	struct exo_key key;	/* out: the new principal key (if @new_key) */
	__u32 new_key;		/* out: 1 if this call made the env a principal */
	__u32 __reserved;	/* must be 0 */
};

/*
 * EXO_IOC_EXTENT_FREE — give the blocks of @cap's extent back to the
 * device, durably.  Needs WRITE and REVOKE on @cap.  Every capability
 * naming the extent, in every env, becomes a tombstone (EKEYREVOKED).
 * I/O in flight on the device completes first.
 */
struct exo_extent_free {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t cap;		/* in */
};

/* One extent of a principal, written by EXTENT_RECLAIM. */
struct exo_extent_desc {
	exo_cap_t cap;		/* a new root capability with all rights */
	__aligned_u64 start;	/* first block */
	__aligned_u64 count;	/* blocks */
};

/*
 * EXO_IOC_EXTENT_RECLAIM — present a principal key: the env becomes that
 * principal, and if @max is at least the number of extents it owns, gets a
 * root capability for each, written to @extents (@done = @count).  If
 * @max is smaller, nothing is made (@done = 0) and @count says how many
 * to ask for.  ENOKEY for a key no principal on the device has.
 */
struct exo_extent_reclaim {
	__u32 size;
	__u32 flags;		/* must be 0 */
	struct exo_key key;	/* in */
	__aligned_u64 extents;	/* in: user pointer to exo_extent_desc[max] */
	__u32 max;		/* in */
	__u32 count;		/* out: extents the principal owns */
	__u32 done;		/* out: descriptors written */
	__u32 __reserved;	/* must be 0 */
};

/*
 * EXO_IOC_EXTENT_IO — synchronous block I/O (batched).  Element i moves one
 * block between block @block of the extent @extent names and the frame
 * @frame names: EXO_IO_READ needs READ on the extent and WRITE on the
 * frame; EXO_IO_WRITE needs WRITE on the extent and READ on the frame.
 * Every element is checked first, in order; the checked prefix is then
 * submitted at once (the block layer may reorder and merge it) and waited
 * for.  @done is the number of leading elements that took effect and
 * @error the errno of element @done (0 if all did); after an I/O error
 * (EIO) elements past @done may have taken effect too.  EXO_IO_FUA (in
 * the call's flags, or one element's) makes every write of the batch (or
 * that write) durable before it completes; EXO_IO_FLUSH flushes the
 * device's write cache after the batch (only if all of it took effect; a
 * failed flush is reported as the error of the last element).
 * Elements: 1..EXO_EXTENT_IO_MAX.
 */
#define EXO_IO_READ		0
#define EXO_IO_WRITE		1

#define EXO_IO_FUA		(1U << 0)
#define EXO_IO_FLUSH		(1U << 1)
struct exo_extent_iovec {
	exo_cap_t extent;	/* extent capability */
	__aligned_u64 block;	/* block number inside the extent */
	exo_cap_t frame;	/* frame capability */
	__u32 op;		/* EXO_IO_READ or EXO_IO_WRITE */
	__u32 flags;		/* EXO_IO_FUA, or 0 */
};

struct exo_extent_io {
	__u32 size;
	__u32 flags;		/* EXO_IO_FUA | EXO_IO_FLUSH */
	__u32 count;		/* in: 1..EXO_EXTENT_IO_MAX */
	__u32 done;		/* out */
	__aligned_u64 vecs;	/* in: user pointer to exo_extent_iovec[count] */
	__s32 error;		/* out: errno of element @done, or 0 */
	__u32 __reserved;	/* must be 0 */
};

/*
 * Asynchronous extent I/O through io_uring: IORING_OP_URING_CMD on the
 * /dev/exo fd, on a ring set up with IORING_SETUP_SQE128 (EINVAL without).
 *
 *   cmd_op EXO_URING_EXTENT_IO     the SQE's command area (sqe->cmd) holds
 *                                  one struct exo_extent_iovec, checked as
 *                                  an EXTENT_IO element is; one block moves
 *   cmd_op EXO_URING_EXTENT_FLUSH  flush the attached device's write cache;
 *                                  the command area must be zero
 *
 * One CQE per SQE: res is 0, or -errno (the errors of EXTENT_IO, found at
 * submission or at completion).  Unknown cmd_op: EOPNOTSUPP.  Submit many
 * SQEs with one io_uring_enter(); they run concurrently.  The capabilities
 * are checked at submission; the frame and extent stay held until the
 * completion is posted, even if the capabilities die meanwhile, and a
 * FREE or DETACH waits for the I/O in flight on the device.
 */
#define EXO_URING_EXTENT_IO	1
#define EXO_URING_EXTENT_FLUSH	2

/*
 * XN templates: untrusted deterministic functions (the owns-udf of XN).
 * A libFS keeps its metadata in blocks of its extents in a format exo
 * does not understand; for each metadata *type* it hands exo a function
 * that, given a block's bytes, says which blocks the block points to and
 * their types.  exo checks the function cannot be anything but
 * deterministic, then uses it to follow and verify the libFS's metadata.
 *
 * A template is a classic BPF program (struct sock_filter, as for
 * SO_ATTACH_FILTER; no privilege needed), run once per output index i =
 * 0, 1, 2, ... over a buffer of EXO_EXTENT_BLOCK + 4 bytes: the block,
 * then i as a big-endian 32-bit word (classic loads are big-endian, so
 * `ld [4096]` reads i).  It returns the i-th reference of the block as
 * (type << 24) | device block (EXO_XN_REF), or 0 when there are no more.
 * A load past the buffer returns 0, as classic BPF does.  Classic BPF has
 * no backward jumps (every program ends), no state across runs and,
 * without ancillary loads, nothing but the buffer as input: exo refuses
 * ancillary and header-relative loads (a negative offset, SKF_AD_OFF,
 * SKF_NET_OFF, SKF_LL_OFF) with ENOEXEC, and whatever the kernel's
 * classic checker refuses (bad jumps, no final return, reading unset
 * scratch memory) with EINVAL.  A block yields at most EXO_XN_MAX_REFS
 * references; a function that yields more fails on that block
 * (EOVERFLOW).
 *
 * Templates belong to the principal that registers them (the env's
 * principal on the attached device: ENOKEY until it has one) and are
 * kept in exo's table on the device, so they outlive a re-attach, a
 * module reload and a reboot, until the principal owns nothing (no
 * extent, no root).  The templates of all principals share
 * EXO_XN_PROG_INSNS instructions.
 */
#define EXO_XN_MAX_TYPES	64	/* types 1..63 */
#define EXO_XN_MAX_INSNS	4096	/* BPF_MAXINSNS */
#define EXO_XN_MAX_REFS		256
#define EXO_XN_TEMPLATES_MAX	256	/* per device, all principals */
#define EXO_XN_PROG_INSNS	8192	/* per device, all templates */
#define EXO_XN_MAX_ROOTS	128	/* per device, all principals */
#define EXO_XN_REF(type, block)	(((__u32)(type) << 24) | (__u32)(block))
#define EXO_XN_REF_TYPE(r)	((__u32)(r) >> 24)
#define EXO_XN_REF_BLOCK(r)	((__u32)(r) & 0xffffff)

/*
 * EXO_IOC_XN_TEMPLATE — register (or replace) the template of @type for
 * this env's principal: @len instructions at the user pointer @insns.
 * With EXO_XN_TEMPLATE_REMOVE (@len and @insns 0), remove it (ENOENT if
 * there is none).  The table is updated durably before the call returns.
 * A template cannot be replaced or removed while the principal owns
 * blocks of its type through XN (EBUSY): exo follows them with it.
 * Errors: ENODEV (no device), ENOKEY (the env is no principal on it),
 * EINVAL (@type out of range, @len 0 or above EXO_XN_MAX_INSNS, a
 * program the classic checker refuses), ENOEXEC (an ancillary or
 * header-relative load), ENOSPC (EXO_XN_TEMPLATES_MAX, or
 * EXO_XN_PROG_INSNS instructions in all), EBUSY, EIO (the table update
 * failed; nothing changed).
 */
#define EXO_XN_TEMPLATE_REMOVE	(1U << 0)
struct exo_xn_template {
	__u32 size;
	__u32 flags;		/* EXO_XN_TEMPLATE_* */
	__u32 type;		/* 1..EXO_XN_MAX_TYPES-1 */
	__u32 len;		/* instructions */
	__aligned_u64 insns;	/* user pointer to struct sock_filter[len] */
};

/* One reference a metadata block holds. */
struct exo_xn_ref {
	__aligned_u64 block;	/* device block */
	__u32 type;		/* 0: data, else a template type */
	__u32 __reserved;
};

/*
 * EXO_IOC_XN_OWNS — run the template of @type that the principal owning
 * the extent registered over block @block of the extent @extent names
 * (READ on it), as exo will to check that principal's metadata: the
 * block's references go to @refs (at most @max; @count says how many
 * the block holds, so a short @max can be retried).  The block is read
 * as EXTENT_IO reads it (zeroes if never written).  Errors: ENOENT (no
 * such template), EOVERFLOW (the function yields more than
 * EXO_XN_MAX_REFS), ERANGE (@block past the extent), and those of
 * EXTENT_IO.
 */
struct exo_xn_owns {
	__u32 size;
	__u32 flags;		/* 0 */
	exo_cap_t extent;	/* in: extent capability, READ */
	__aligned_u64 block;	/* in: block inside the extent */
	__u32 type;		/* in: template type */
	__u32 max;		/* in: room in @refs */
	__aligned_u64 refs;	/* in: user pointer to exo_xn_ref[max] */
	__u32 count;		/* out: references in the block */
	__u32 __reserved;	/* must be 0 */
};

/*
 * XN ownership.  A principal declares *roots* (XN_ROOT): blocks of the
 * device, each with a metadata type.  Every block a root reaches through
 * the principal's templates is the principal's, with the type the
 * reference gives it (0: data); the blocks a principal owns this way form
 * trees: each is referenced exactly once.  exo keeps the root list and
 * the templates in its table, with the XN bitmap of the blocks it handed
 * out; attach walks from the roots again (and refuses the device,
 * EUCLEAN, if a tree is broken), debugfs `check` does so after every
 * test and reports a block owned twice or owned and unreachable.
 *
 * Blocks come to XN from the device's free blocks, never from extents,
 * and go back to it when released: like every freed block, a released
 * one reads as zeroes to its next owner, and an added one reads as
 * zeroes until written (a metadata block's template must find no
 * reference in a zeroed block).  XN blocks count against no quota.
 *
 * The contents of a metadata block change only through XN_UPDATE, which
 * checks them; XN_READ reads any block the env's principal owns, and
 * XN_WRITE writes its data blocks.
 */

/*
 * EXO_IOC_XN_ROOT — declare block @block (0: the first free block) a root
 * of type @type of this env's principal: the block must be free (it
 * reads as zeroes) and the principal must hold the template of @type.
 * With EXO_XN_ROOT_REMOVE, give root @block back (@type 0, or the
 * root's): its contents must reference nothing.  Durable on return.
 * Errors: ENODEV, ENOKEY (no principal: EXTENT_ALLOC or RECLAIM makes
 * one), EINVAL (@type out of range, an unknown flag), ERANGE (@block
 * past the device), EBUSY (@block is taken: another principal's, an
 * extent's, exo's table), EEXIST (this principal owns @block already),
 * ENOENT (no template of @type; REMOVE: no such root), ENOTEMPTY (the
 * template finds references in a zeroed block; REMOVE: the root still
 * references blocks), ENOSPC (no free block, or EXO_XN_MAX_ROOTS roots),
 * EIO (the table update failed; nothing changed).  EFAULT if the struct
 * cannot be copied back: a new root is then removed again (no root its
 * caller cannot name stays); a removal stays done.
 */
#define EXO_XN_ROOT_REMOVE	(1U << 0)
struct exo_xn_root {
	__u32 size;
	__u32 flags;		/* EXO_XN_ROOT_* */
	__aligned_u64 block;	/* in (0: any free block); out: the root */
	__u32 type;		/* in: 1..EXO_XN_MAX_TYPES-1; out: its type */
	__u32 __reserved;	/* must be 0 */
	__aligned_u64 generation; /* out: the table's, after the call */
};

/*
 * EXO_IOC_XN_UPDATE — a checked metadata update: write the contents of
 * the frame @frame (READ; copied once, when the call starts) as the new
 * version of metadata block @block, which this env's principal owns,
 * adding the references @add[@nadd] and releasing @release[@nrelease]
 * (exo_xn_ref: block and type; any order).
 *
 * exo runs the template of the block's type on its old and new contents
 * and requires the difference to be exactly the claim, then that each
 * added block be free (it becomes the principal's, of the claimed type,
 * reading as zeroes) and each released metadata block reference nothing;
 * released blocks are freed.  The table (with the new contents) is
 * committed first, then the block is written in place: a crash at any
 * point leaves either the old table and the old block or the new table
 * and, once attach has redone the write, the new block.  On any refusal
 * nothing changes, in memory or on disk.
 *
 * Errors, checked in this order:
 *  EINVAL     unknown flag, non-zero reserved field, @nadd or @nrelease
 *             above EXO_XN_MAX_REFS, a claimed type out of range
 *  ERANGE     a claimed block past any device (EXO_XN_REF_BLOCK)
 *  EFAULT, EBADF, ESTALE, EKEYREVOKED, EACCES   the arrays or the frame
 *  ENODEV, ENOKEY   no device, no principal
 *  EACCES     @block is no metadata block of this principal (unowned,
 *             another's, or a data block)
 *  EOVERFLOW, EBADMSG   the template fails on the new contents (more than
 *             EXO_XN_MAX_REFS references, a malformed one)
 *  EEXIST     a block claimed twice: twice in the claim (added, released
 *             or both), referenced twice by the new contents, the block
 *             itself referenced, or an added block this principal
 *             already owns
 *  ENOTEMPTY  a released block is still referenced by the new contents
 *  EPERM      the new contents reference a block the claim does not add
 *  EPROTO     the claim lies otherwise about the difference: an added
 *             reference the new contents lack (or the old had), a
 *             released one the old contents lack, an old reference
 *             dropped without being released
 *  EBUSY      an added block is taken: another principal's, an extent's
 *             (this principal's included), exo's table
 *  ENOENT     an added metadata block's type has no template
 *  ENOTEMPTY  also: a released metadata block still references blocks, or
 *             an added one's template finds references in zeroes
 *  ENOMEM, EIO   the table update failed (nothing changed)
 *
 * Once the table has taken the update the call answers 0, even if the
 * in-place write then fails (the block reads as the new version; exo
 * writes it again before the next XN call and at attach).  If the struct
 * cannot be copied back afterwards (@generation: EFAULT) the update has
 * taken effect all the same; the same call made again (same @block,
 * contents and claim, in any order), before any other XN_UPDATE, answers 0
 * and changes nothing, so a caller may simply retry a failed update.  Any
 * other call whose claim is already true (an update made twice after
 * others) is refused as a lie about the difference (EEXIST, EPROTO).
 *
 * With @tree, a subtree capability (WRITE; EXO_IOC_XN_SUBTREE), @block
 * must be a metadata block of that subtree (EACCES otherwise), checked
 * after ENODEV in place of ENOKEY, and the update is made as the
 * subtree's principal (EIDRM: the subtree is gone; the errors of the
 * capability: EBADF, ESTALE, EKEYREVOKED, EACCES for a missing right,
 * EINVAL for a kind other than EXO_KIND_XN).
 */
struct exo_xn_update {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__aligned_u64 block;	/* in: device block */
	exo_cap_t frame;	/* in: the new contents (READ) */
	__aligned_u64 add;	/* in: user pointer to exo_xn_ref[nadd] */
	__aligned_u64 release;	/* in: user pointer to exo_xn_ref[nrelease] */
	__u32 nadd;		/* in: 0..EXO_XN_MAX_REFS */
	__u32 nrelease;		/* in: 0..EXO_XN_MAX_REFS */
	__u32 __reserved;	/* must be 0 */
	__u32 __pad;		/* must be 0 */
	__aligned_u64 generation; /* out: the table's, after the call */
	exo_cap_t tree;		/* in: subtree capability (WRITE), 0: none */
};

/*
 * EXO_IOC_XN_READ — read block @block, which this env's principal owns
 * through XN (what its roots reach, and nothing else: EACCES), into the
 * frame @frame (WRITE).  With @tree, a subtree capability (READ), the
 * block must be in that subtree instead (EXO_IOC_XN_SUBTREE).  Errors:
 * ENODEV, ENOKEY, EACCES, those of the frame and tree capabilities,
 * EIDRM (the subtree is gone), EIO.
 */
struct exo_xn_read {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__aligned_u64 block;	/* in: device block */
	exo_cap_t frame;	/* in */
	__u32 type;		/* out: the block's type (0: data) */
	__u32 root;		/* out: 1 if the block is a root */
	__u32 __reserved;	/* must be 0 */
	__u32 __pad;		/* must be 0 */
	exo_cap_t tree;		/* in: subtree capability (READ), 0: none */
};

/*
 * EXO_IOC_XN_WRITE — write the frame @frame (READ) to data block @block
 * (type 0), which this env's principal owns through XN: data blocks are
 * written directly, by a bio straight from the frame, as EXTENT_IO
 * writes.  EXO_IO_FUA in @flags makes the write (and the record that the
 * block was written) durable before the call returns; otherwise the
 * written-block rule of extents applies (a crash before the next table
 * update may leave the block reading as zeroes).  With @tree, a subtree
 * capability (WRITE), the block must be in that subtree instead.  Errors:
 * ENODEV, ENOKEY, EACCES (not a block of the principal, or of the
 * subtree), EPERM (a metadata block: those change only through
 * XN_UPDATE), EINVAL (an unknown flag), those of the frame and tree
 * capabilities, EIDRM (the subtree is gone), EIO.
 */
struct exo_xn_write {
	__u32 size;
	__u32 flags;		/* EXO_IO_FUA, or 0 */
	__aligned_u64 block;	/* in: device block */
	exo_cap_t frame;	/* in */
	exo_cap_t tree;		/* in: subtree capability (WRITE), 0: none */
};

/*
 * XN subtrees: sharing a file system between principals.  A principal
 * makes a capability (EXO_KIND_XN) for a block it owns through XN: the
 * *subtree* of that block, the block and every block it reaches.  It is
 * derived, exported, imported and revoked like any capability, so a
 * libOS hands another (another principal, or an env with none) a part
 * of its file system, read-only (READ) or read-write (READ | WRITE).
 * XN_READ, XN_UPDATE and XN_WRITE given @tree act on the blocks of the
 * subtree as its principal would, whoever calls: READ for XN_READ, WRITE
 * for XN_UPDATE and XN_WRITE (EACCES otherwise), a block outside the
 * subtree EACCES.  Blocks an update adds through the capability become
 * the subtree principal's, and so part of the subtree.  Revoking the
 * capability (or closing it) ends access at once: the next call answers
 * EKEYREVOKED (ESTALE, EBADF once the slot is closed).  A subtree lives
 * as long as its top block: once the principal releases it (XN_UPDATE,
 * XN_ROOT_REMOVE) every capability for it answers EIDRM, even if the
 * block comes back; once the device is detached, ENODEV.
 *
 * EXO_IOC_XN_SUBTREE — a root capability (EXO_RIGHTS_ALL) for the subtree
 * of block @block, which this env's principal owns through XN; @type
 * returns the block's type (0: data, a subtree of one block).  Charged
 * to the env's EXO_KIND_XN quota (module parameter xn_quota, default
 * 1024).  Errors: EINVAL (a flag, a reserved field), ENODEV, ENOKEY,
 * EACCES (@block is not the principal's), EDQUOT, ENOSPC, ENOMEM.
 */
struct exo_xn_subtree {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__aligned_u64 block;	/* in: the subtree's top block */
	exo_cap_t cap;		/* out */
	__u32 type;		/* out: the block's type */
	__u32 __reserved;	/* must be 0 */
};

/*
 * XN calls through io_uring: IORING_OP_URING_CMD on the /dev/exo fd, on a
 * ring set up with IORING_SETUP_SQE128 (EINVAL without), as for extents.
 * The SQE's command area (80 bytes) holds the call's struct exactly as
 * the ioctl takes it, @size first (EINVAL below the first version or
 * above the command area; E2BIG with non-zero bytes the kernel does not
 * know):
 *
 *   cmd_op EXO_URING_XN_UPDATE   struct exo_xn_update (XN_UPDATE)
 *   cmd_op EXO_URING_XN_READ     struct exo_xn_read (XN_READ)
 *   cmd_op EXO_URING_XN_WRITE    struct exo_xn_write (XN_WRITE)
 *
 * The call runs when the SQE is issued, in the submitting task, with the
 * ioctl's checks, effects and ordering (an update's table commit, then
 * its in-place write); the user arrays of an update are read then.  One
 * CQE per SQE: res is 0 or the ioctl's -errno.  Nothing is written back
 * (no @generation, @type or @root): use the ioctl for those.  SQEs of a
 * batch run one after another, in submission order unless linked
 * otherwise; one io_uring_enter() carries many checked updates.
 */
#define EXO_URING_XN_UPDATE	5
#define EXO_URING_XN_READ	6
#define EXO_URING_XN_WRITE	7
#define EXO_URING_CMD_BYTES	80	/* the command area of an SQE128 */


/* ---- NIC queues, packet filters and wakeup predicates --------------------- */

/*
 * Root (CAP_NET_ADMIN) attaches network devices to exo (NIC_ATTACH, by
 * ifindex in the caller's network namespace; at most EXO_NIC_MAX_DEVS).
 * exo then sees every frame the device receives, before the Linux stack:
 * a frame that belongs to a bound flow goes to that binding's receive ring;
 * every other frame goes on to Linux unchanged.
 *
 * Protection: a *flow* (EXO_KIND_FLOW) names an IPv4 protocol, a local
 * address and port and, optionally, a remote address and port, on one
 * attached device.  FLOW_ALLOC mints one and returns a root capability:
 *   - root (CAP_NET_ADMIN) may mint any flow, including port-less ones
 *     (ICMP: every ICMP packet to the local address);
 *   - any env may mint a UDP or TCP flow for a local port >= 1024 on an
 *     address of the device, if the port is free: exo reserves it in the
 *     device's network namespace with a socket of its own, so no Linux
 *     program can bind it meanwhile and a port Linux already uses answers
 *     EADDRINUSE.
 * One flow per (protocol, local address, local port); a remote pair, if
 * given, further restricts which packets are the flow's.  Packet-to-flow
 * lookup is one probe of a hash on (protocol, local address, local port)
 * per attached device (1024 buckets, random seed).  Packets that match no
 * flow, or a flow with no binding, go to Linux; so do IPv4 fragments
 * (Linux reassembles them; a reserved port's socket drops what it gets).
 *
 * Binding: NIC_BIND attaches a receive and a transmit ring, in frames the
 * env holds (READ and WRITE), to a flow it holds with READ (receive) and
 * WRITE (transmit).  One binding per flow.  The binding dies with the flow
 * capability it was made through, with any of its ring frames' capabilities
 * (close, revoke, repossession), with NIC_UNBIND, with the env, or when the
 * device goes away (then every call on it answers ENODEV).  The kernel
 * keeps its own copy of the indices it owns: whatever the env writes into
 * the ring only ever affects that env's own packets.
 *
 *   frames[0]            frames[1 .. rx_frames]    frames[1+rx_frames ..]
 *   +------------------+ +----------+----------+   +----------+----------+
 *   | exo_nic_ring     | | rx slot 0| rx slot 1|   | tx slot 0| tx slot 1|..
 *   |  rx_head (kern)  | +----------+----------+   +----------+----------+
 *   |  rx_tail (env)   |  one 2 KiB slot each half frame; slots: 2 per frame
 *   |  tx_head (env)   |
 *   |  tx_tail (kern)  |  slot: +0 struct exo_nic_desc, +EXO_NIC_DATA_OFF
 *   |  geometry, stats |        the frame, from its Ethernet header on
 *   +------------------+
 *
 * Indices are free-running u32 counters; slot i is i & (slots - 1).
 * Receive: slots rx_tail .. rx_head - 1 hold packets; the env reads them
 * and advances rx_tail (store-release).  A packet that finds the ring full
 * is dropped and counted.  Transmit: the env writes packets into slots
 * tx_head ..., sets their desc.len, advances tx_head and kicks with NIC_TX
 * (or EXO_URING_NIC_TX); the kernel copies each out once, checks it and
 * advances tx_tail.  A transmitted frame must carry the device's MAC as
 * source, be IPv4 with the flow's protocol, the flow's local address as
 * source (and port for UDP/TCP), the flow's remote pair as destination if
 * the flow has one, and a length in [EXO_NIC_MIN_LEN, EXO_NIC_MAX_LEN]
 * that its IP header agrees with; anything else is dropped and counted by
 * reason, never sent.
 *
 * Filters (NIC_FILTER): management of what the ring receives is the env's.
 *   - eBPF: an XDP-type program (BPF_PROG_TYPE_XDP), passed by fd, runs on
 *     each packet of the flow, on the copy already in the ring slot.  It
 *     returns XDP_PASS (deliver to the ring), XDP_DROP, or XDP_TX: send
 *     the packet as the program left it (in place; bpf_xdp_adjust_head/
 *     tail allowed) back out of the device, without waking the env: an
 *     application-specific handler (the exokernel paper's ASH), e.g. an
 *     ICMP or UDP echo reply.  The reply passes the transmit checks.
 *     The program's data ends at the slot's end: a pushed header or a
 *     grown tail that makes the packet longer than EXO_NIC_MAX_LEN drops
 *     it (rx_too_long).  Programs of the devmap/cpumap kinds are refused.
 *     XDP_ABORTED and any other value drop the packet (counted apart).
 *     Loading an XDP program needs CAP_BPF and CAP_NET_ADMIN (Debian sets
 *     kernel.unprivileged_bpf_disabled): a privileged helper may load it
 *     and pass the fd.
 *   - classic BPF (EXO_FILTER_CLASSIC): a struct sock_filter array, as
 *     SO_ATTACH_FILTER takes, converted by the kernel's own converter; no
 *     privilege needed.  It sees the packet from its IPv4 header on and
 *     returns 0 to drop, anything else to accept.
 *
 * Readiness: poll/epoll on the /dev/exo fd reports EPOLLRDBAND (only) while
 * a receive ring of the env holds unread packets; EPOLLIN keeps meaning
 * that read() has events.  Ask for POLLIN | POLLRDBAND to wait for both.
 *
 * Wakeup predicates (WAIT): the env installs an XDP-type program and
 * sleeps.  On every event that may matter (a packet delivered to one of
 * its rings, a transmit batch done, an extent I/O completion, a
 * revocation event, a tick of the wait's timer) the kernel runs the
 * program over a struct exo_wait_ctx followed by a window of one of the
 * env's frames, in the context of whoever caused the event, and wakes the
 * task only when the program returns non-zero.
 *
 * Errors of this section, beyond the common table:
 *  ENODEV       no such device, not attached, or the device went away
 *  EBUSY        ATTACH: attached already, or its receive hook is taken (a
 *               bridge, bond or macvlan); BIND: the flow is bound already,
 *               or a frame capability is part of another binding; WAIT:
 *               the window capability is another WAIT's window
 *  ENOSPC       ATTACH: EXO_NIC_MAX_DEVS devices attached already
 *  EADDRINUSE   FLOW_ALLOC: another flow, or a Linux socket, holds the port
 *  EADDRNOTAVAIL FLOW_ALLOC: the local address is not one of the device's
 *  EPROTONOSUPPORT FLOW_ALLOC: a protocol other than UDP, TCP, ICMP
 *  EPERM        FLOW_ALLOC: a port below 1024, or a port-less flow, without
 *               CAP_NET_ADMIN
 *  ENOTCONN     NIC_TX, NIC_FILTER, WAIT on a flow with no binding
 *  EINVAL       a program fd that is not an XDP program; ring geometry
 *               that is not a power of two
 *  ETIME        WAIT: the timeout expired and the predicate stayed false
 *  EINTR        WAIT: a signal arrived first
 *  ENOTCONN     WAIT: also, @flow's binding died during the wait
 *  EKEYREVOKED  WAIT: the window's capability died during the wait
 *
 * Transmit offloads (a binding made with EXO_NIC_BIND_TX_OFFLOAD): each
 * transmit slot starts with a struct exo_nic_txdesc instead of a struct
 * exo_nic_desc (the same first four bytes), and may ask for
 *   - EXO_NIC_TX_CSUM: the kernel finishes the TCP or UDP checksum (and
 *     fills the IPv4 header checksum).  It writes the pseudo-header sum
 *     into its own copy of the header and sends the skb CHECKSUM_PARTIAL
 *     with csum_start at the transport header and csum_offset at its
 *     checksum field; the device, or the kernel's fallback, completes it.
 *     Without the flag the packet goes out as the env built it (a libOS
 *     may send precomputed checksums).
 *   - EXO_NIC_TX_TSO: one TCP segment of up to EXO_NIC_TX_MAX_TSO bytes
 *     (IP datagram) whose payload is cut into segments of @mss bytes by
 *     the device's TSO or the kernel's GSO (one skb, SKB_GSO_TCPV4,
 *     gso_size = @mss; implies EXO_NIC_TX_CSUM).  The header is checked
 *     once, as for any packet; every segment's header is derived from it
 *     by the kernel (sequence numbers, IP ids and lengths, checksums; FIN
 *     and PSH only on the last), so nothing can be spoofed through it.
 *     A GSO skb as long as the device's gso_max_size or longer (veth:
 *     64 KiB with the Ethernet header) is split by the kernel's GSO before
 *     the device, not by the device: keep segments under it to offload.
 *   - payload fragments (@nr_frags, up to EXO_NIC_TX_MAX_FRAGS): after the
 *     @len bytes in the slot come the bytes of frags[0], frags[1], ...,
 *     each a range of a frame the env holds (READ).  The headers must be
 *     in the slot (the transport header whole).  Without EXO_NIC_TX_COPY
 *     the frames are attached to the skb as page fragments, not copied:
 *     zero-copy, see "Frames in flight" below.  With it their bytes are
 *     copied at the kick, and the frames are free again at once.
 *     A fragment list that names a frame the env does not hold, or holds
 *     without READ, fails like that capability would (EBADF, ESTALE,
 *     EKEYREVOKED, EACCES, EINVAL for a capability that is not a frame).
 * A descriptor that breaks a rule is dropped, counted by reason in the
 * binding's counters, and reported by NIC_TX (@error, @error_index):
 *   EINVAL     an unknown flag, a reserved field not 0, @mss without
 *              EXO_NIC_TX_TSO, @mss 0 or below EXO_NIC_TX_MIN_MSS, TSO on
 *              a flow that is not TCP or with SYN, RST or URG set,
 *              checksum offload on a flow that is not UDP or TCP, a
 *              fragment of length 0, two fragments overlapping in one
 *              frame, headers not whole in the slot, @len of a slot with
 *              fragments over EXO_NIC_TX_FRAG_OFF - EXO_NIC_DATA_OFF
 *   E2BIG      @nr_frags over EXO_NIC_TX_MAX_FRAGS
 *   EOVERFLOW  a fragment past the end of its frame
 *   EMSGSIZE   the packet (without TSO) or a TSO segment's datagram plus
 *              the Ethernet header over the device's MTU + 14, or a TSO
 *              datagram over EXO_NIC_TX_MAX_TSO
 *   EPERM      headers that are not the flow's (tx_spoofed)
 *   EPROTO     an IP length that disagrees with the bytes given
 *   EBADF ...  a fragment's capability (above)
 *
 * Frames in flight: a zero-copy packet holds every frame it names until
 * the last skb that references it (clones, GSO segments, a qdisc's queue)
 * has been freed.  Meanwhile the frame may be closed, revoked or
 * repossessed like any other (its capabilities die at once), but the
 * frame itself is not freed: it stays charged to the env, out of the
 * pool, and a revocation waiting for it is honoured only when it is
 * back; so no byte of a frame that another env owns is ever sent.
 * Completion is published in the ring header: every transmit slot before
 * @tx_done has been sent (or dropped) and the packets it made are gone
 * (tx_tail - tx_done slots are in flight).  A slot's packets complete
 * out of order inside the kernel, but tx_done only moves over complete
 * ones.  A wakeup of reason EXO_WAKE_TX follows each advance.  The kernel
 * sends a slot only when it is complete, so it never holds more than
 * tx_slots packets in flight per binding: a kick with the ring full of
 * incomplete slots sends nothing more until they complete.
 * While a frame is in flight the env may write it (the bytes on the wire
 * are then its own business: a segment may carry old or new bytes, its
 * checksum may not match), but it must not expect the kernel to copy it:
 * reuse a frame for other data only after tx_done passed every slot that
 * names it.  The kernel's checks never read a fragment's bytes; nothing
 * it relies on lives there.
 */
#define EXO_NIC_MAX_DEVS	4
#define EXO_NIC_SLOT_SIZE	2048
#define EXO_NIC_DATA_OFF	256	/* XDP headroom in front of the data */
#define EXO_NIC_MAX_LEN		(EXO_NIC_SLOT_SIZE - EXO_NIC_DATA_OFF)
#define EXO_NIC_MIN_LEN		34	/* Ethernet + IPv4 headers */
#define EXO_NIC_MAX_RING_FRAMES	512	/* per direction: 1024 slots */

#define EXO_NIC_TX_MAX_FRAGS	16	/* fragments per transmit slot */
#define EXO_NIC_TX_FRAG_OFF	(EXO_NIC_SLOT_SIZE - 16 * EXO_NIC_TX_MAX_FRAGS)
#define EXO_NIC_TX_MAX_TSO	65535	/* IP datagram of a TSO segment */
#define EXO_NIC_TX_MIN_MSS	64

/* EXO_IOC_NIC_ATTACH / EXO_IOC_NIC_DETACH — root only. */
struct exo_nic_attach {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 ifindex;		/* in: in the caller's network namespace */
	__u32 __reserved;	/* must be 0 */
};

/*
 * EXO_IOC_FLOW_ALLOC — mint a flow on the attached device @ifindex.
 * Addresses are IPv4 in network byte order; ports in host order.
 * @proto: IPPROTO_UDP, IPPROTO_TCP, or IPPROTO_ICMP (root; ports must be 0).
 * @raddr/@rport: 0/0 for any remote; otherwise only packets from there.
 * Charged to the env's EXO_KIND_FLOW quota.
 */
struct exo_flow_alloc {
	__u32 size;
	__u32 flags;		/* must be 0 */
	__u32 ifindex;		/* in */
	__u32 proto;		/* in */
	__u32 laddr;		/* in: __be32 */
	__u32 raddr;		/* in: __be32, or 0 */
	__u16 lport;		/* in */
	__u16 rport;		/* in, or 0 */
	__u32 __reserved;	/* must be 0 */
	exo_cap_t cap;		/* out: root capability, all rights */
};

/*
 * EXO_IOC_NIC_BIND — attach rings to the flow @flow names (READ, and WRITE
 * to transmit).  @frames points to 1 + @rx_frames + @tx_frames frame
 * capabilities (READ|WRITE, distinct frames): the ring header, then the
 * receive slots, then the transmit slots.  @rx_frames and @tx_frames are
 * powers of two in 1..EXO_NIC_MAX_RING_FRAMES.  The header frame is
 * initialised (indices 0); slot contents are left as they are.
 * EXO_NIC_BIND_TX_OFFLOAD: transmit slots hold struct exo_nic_txdesc
 * (checksum and segmentation offload, payload fragments); a kernel
 * without offloads answers EINVAL.
 */
#define EXO_NIC_BIND_TX_OFFLOAD	(1U << 0)
struct exo_nic_bind {
	__u32 size;
	__u32 flags;		/* EXO_NIC_BIND_* */
	exo_cap_t flow;		/* in */
	__aligned_u64 frames;	/* in: user pointer to exo_cap_t[] */
	__u32 rx_frames;	/* in */
	__u32 tx_frames;	/* in */
};

/* EXO_IOC_NIC_UNBIND — remove the binding of @flow (ENOTCONN if none). */
struct exo_nic_unbind {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t flow;		/* in */
};

/*
 * EXO_IOC_NIC_FILTER — install (replacing any) or, with neither flag,
 * remove the filter of @flow's binding.  Needs WRITE on the flow.
 */
#define EXO_FILTER_EBPF		(1U << 0)	/* @prog_fd: an XDP program */
#define EXO_FILTER_CLASSIC	(1U << 1)	/* @insns: sock_filter[@len] */
#define EXO_FILTER_MAX_CLASSIC	4096
struct exo_nic_filter {
	__u32 size;
	__u32 flags;		/* one EXO_FILTER_* or 0 */
	exo_cap_t flow;		/* in */
	__s32 prog_fd;		/* in: EXO_FILTER_EBPF, else must be 0 */
	__u32 len;		/* in: EXO_FILTER_CLASSIC: 1..MAX_CLASSIC */
	__aligned_u64 insns;	/* in: EXO_FILTER_CLASSIC: user pointer */
};

/*
 * EXO_IOC_NIC_TX — send the slots tx_tail .. tx_head - 1 of @flow's
 * binding (WRITE on the flow).  @sent and @dropped count this call's
 * packets; drops are also counted by reason in the binding's counters.
 * @error is the positive errno of the first packet this call dropped (0:
 * none), @error_index its slot index (free-running).
 */
struct exo_nic_tx {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t flow;		/* in */
	__u32 sent;		/* out */
	__u32 dropped;		/* out */
	__u32 error;		/* out */
	__u32 error_index;	/* out */
};

/* A binding's counters (NIC_STAT, the ring header, debugfs "nic"). */
struct exo_nic_counters {
	__aligned_u64 rx_packets;	/* delivered to the ring */
	__aligned_u64 rx_bytes;
	__aligned_u64 rx_ring_full;	/* dropped: no free slot */
	__aligned_u64 rx_too_long;	/* dropped: over EXO_NIC_MAX_LEN */
	__aligned_u64 rx_bad_index;	/* dropped: rx_tail out of range */
	__aligned_u64 filter_runs;
	__aligned_u64 filter_drops;	/* XDP_DROP, classic 0 */
	__aligned_u64 filter_aborts;	/* XDP_ABORTED or unknown verdicts */
	__aligned_u64 ash_tx;		/* XDP_TX replies sent */
	__aligned_u64 ash_drops;	/* XDP_TX replies failing the checks */
	__aligned_u64 tx_packets;
	__aligned_u64 tx_bytes;
	__aligned_u64 tx_bad_len;	/* dropped: length out of bounds */
	__aligned_u64 tx_spoofed;	/* dropped: not the flow's headers */
	__aligned_u64 tx_bad_index;	/* tx_head out of range: batch ignored */
	__aligned_u64 tx_errors;	/* the device refused it */
	__aligned_u64 wakeups;		/* waits this binding's packets ended */
	__aligned_u64 tx_bad_offload;	/* dropped: flags, MSS, fragment list */
	__aligned_u64 tx_bad_frag;	/* dropped: a fragment's capability */
	__aligned_u64 tx_tso;		/* TSO segments sent (one skb each) */
	__aligned_u64 tx_zc_packets;	/* sent with frames attached */
	__aligned_u64 tx_zc_done;	/* of those, freed by the stack */
	__aligned_u64 __reserved[2];
};

/* EXO_IOC_NIC_STAT — @flow's binding's counters (ENOTCONN if none). */
struct exo_nic_stat {
	__u32 size;
	__u32 flags;		/* must be 0 */
	exo_cap_t flow;		/* in */
	struct exo_nic_counters c;	/* out */
};

/* One slot's descriptor, at the start of the slot. */
#define EXO_NIC_DESC_FILTERED	(1U << 0)	/* rx: a filter accepted it */
struct exo_nic_desc {
	__u16 len;		/* rx: written by the kernel; tx: by the env */
	__u16 flags;		/* EXO_NIC_DESC_* */
	__u32 __reserved;
	__aligned_u64 tstamp_ns; /* rx: arrival, CLOCK_MONOTONIC */
};

/*
 * A transmit slot of a binding made with EXO_NIC_BIND_TX_OFFLOAD:
 *
 *   +0                  +EXO_NIC_DATA_OFF         +EXO_NIC_TX_FRAG_OFF  +2048
 *   | exo_nic_txdesc    | headers, inline payload | frags[16]           |
 *
 * With @nr_frags 0 the inline bytes may run to the slot's end, as in a
 * plain slot; with fragments they end at EXO_NIC_TX_FRAG_OFF, where
 * struct exo_nic_frag frags[EXO_NIC_TX_MAX_FRAGS] starts (only the first
 * @nr_frags entries are read).  The packet is the @len inline bytes
 * followed by each fragment's bytes, in order.
 */
#define EXO_NIC_TX_CSUM		(1U << 0)	/* finish the L4 checksum */
#define EXO_NIC_TX_TSO		(1U << 1)	/* segment at @mss (TCP) */
#define EXO_NIC_TX_COPY		(1U << 2)	/* copy the fragments now */
#define EXO_NIC_TX_FLAGS	(EXO_NIC_TX_CSUM | EXO_NIC_TX_TSO | \
				 EXO_NIC_TX_COPY)
struct exo_nic_txdesc {
	__u16 len;		/* inline bytes at EXO_NIC_DATA_OFF */
	__u16 flags;		/* EXO_NIC_TX_* */
	__u16 mss;		/* EXO_NIC_TX_TSO: TCP payload per segment */
	__u8 nr_frags;		/* 0 .. EXO_NIC_TX_MAX_FRAGS */
	__u8 __reserved0;	/* must be 0 */
	__aligned_u64 __reserved1;	/* must be 0 */
};

/* A range of a frame, attached (or copied) after a slot's inline bytes. */
struct exo_nic_frag {
	exo_cap_t frame;	/* a frame capability of the env (READ) */
	__u32 off;		/* byte offset in the frame */
	__u32 len;		/* 1 .. page size - off */
};

/* The ring header, frames[0] of a binding. */
struct exo_nic_ring {
	__u32 rx_head;		/* kernel: next slot it fills */
	__u32 __pad0[15];
	__u32 rx_tail;		/* env: next slot it reads */
	__u32 __pad1[15];
	__u32 tx_head;		/* env: next slot it fills */
	__u32 __pad2[15];
	__u32 tx_tail;		/* kernel: next slot it sends */
	__u32 tx_done;		/* kernel: slots before it are sent and gone */
	__u32 __pad3[14];
	/* Geometry, written once at bind. */
	__u32 rx_slots;
	__u32 tx_slots;
	__u32 slot_size;	/* EXO_NIC_SLOT_SIZE */
	__u32 data_off;		/* EXO_NIC_DATA_OFF */
	__u32 ifindex;
	__u32 proto;
	__u32 laddr;
	__u32 raddr;
	__u16 lport;
	__u16 rport;
	__u8 mac[6];		/* the device's address */
	__u16 mtu;
	__u32 __pad4[5];
	/* Counters, copied out by the kernel as they change. */
	struct exo_nic_counters c;
};

/*
 * EXO_IOC_WAIT — sleep until a predicate holds.
 *
 * @prog_fd names an XDP-type program; it runs over a buffer that holds a
 * struct exo_wait_ctx followed by @window_len bytes copied from the frame
 * @window names (READ), from byte @window_off (window_off + window_len <=
 * page size; @window_len <= EXO_WAIT_WINDOW_MAX; 0 and no frame for
 * none).  @flow, if not 0, names a bound flow of this env whose receive
 * ring fills the rx_pending/rx_oldest_ns fields.  The program is run once
 * at the start, then on each event, and every @tick_ns if not 0 (reason
 * EXO_WAKE_TIMER); the call returns 0 as soon as it returns non-zero, or
 * ETIME after @timeout_ns (0: no timeout).  @prog_fd -1: no program, any
 * event ends the wait.  Events that arrive while the task is awake are
 * seen by the next evaluation through the counters.  @timeout_ns and
 * @tick_ns are at most EXO_WAIT_MAX_NS; @tick_ns, if set, at least
 * EXO_WAIT_MIN_TICK_NS.  The program runs with bottom halves off, in
 * the context of whoever caused the event (often the receive softirq).
 *
 * @flags EXO_WAIT_TX: first send @flow's committed transmit slots, as
 * NIC_TX does (WRITE on the flow; its errors: ENOTCONN, EACCES, ...), then
 * wait: a poll loop's last kick and its sleep in one kernel entry.  What
 * NIC_TX would report (sent, dropped) is not: the binding's counters
 * count refused frames by reason (NIC_STAT).
 */
#define EXO_WAIT_TX		(1U << 0)
#define EXO_WAIT_MAX_NS		(1ULL << 61)
#define EXO_WAIT_MIN_TICK_NS	10000ULL
#define EXO_WAIT_WINDOW_MAX	1024

#define EXO_WAKE_START		(1U << 0)	/* the first evaluation */
#define EXO_WAKE_RX		(1U << 1)	/* a packet reached a ring */
#define EXO_WAKE_TX		(1U << 2)	/* a transmit batch finished */
#define EXO_WAKE_IO		(1U << 3)	/* an extent I/O completed */
#define EXO_WAKE_EVENT		(1U << 4)	/* an event was queued */
#define EXO_WAKE_TIMER		(1U << 5)	/* the wait's tick */

struct exo_wait_ctx {
	__aligned_u64 now_ns;		/* CLOCK_MONOTONIC */
	__u32 reason;			/* EXO_WAKE_* of this evaluation */
	__u32 events_pending;		/* queued events (read()) */
	__aligned_u64 rx_packets;	/* env total, delivered to rings */
	__aligned_u64 tx_packets;	/* env total, sent */
	__aligned_u64 io_completions;	/* env total, extent I/O */
	__aligned_u64 revoke_owed;	/* frames still owed */
	__u32 rx_pending;		/* @flow's ring: unread packets */
	__u32 evals;			/* evaluations so far in this wait */
	__aligned_u64 rx_oldest_ns;	/* @flow's oldest unread arrival, 0 */
	__aligned_u64 __reserved[2];
	/* then the window: __u8 window[window_len] */
};

struct exo_wait {
	__u32 size;
	__u32 flags;		/* in: EXO_WAIT_TX, or 0 */
	__s32 prog_fd;		/* in: XDP program, or -1 */
	__u32 window_off;	/* in */
	__u32 window_len;	/* in */
	__u32 __reserved;	/* must be 0 */
	exo_cap_t window;	/* in: frame capability (READ), or 0 */
	exo_cap_t flow;		/* in: bound flow, or 0 */
	__aligned_u64 timeout_ns; /* in: 0 = none */
	__aligned_u64 tick_ns;	/* in: 0 = no timer events */
	/* Written back only when the call returns 0. */
	__u32 evals;		/* out: predicate evaluations */
	__u32 reason;		/* out: EXO_WAKE_* of the true evaluation */
};

/*
 * Through io_uring (IORING_OP_URING_CMD, SQE128 ring, as for extents):
 *   EXO_URING_NIC_TX    command area: one exo_cap_t (the flow); as NIC_TX,
 *                       res = packets sent
 *   EXO_URING_NIC_RX    command area: the flow, then a __u64 timeout_ns
 *                       (1 .. EXO_URING_RX_MAX_NS); completes with res =
 *                       unread packets as soon as the receive ring is not
 *                       empty, or with -ETIME at the timeout (bounded so
 *                       that a ring torn down with the command pending is
 *                       never held up for long).
 */
#define EXO_URING_NIC_TX	3
#define EXO_URING_NIC_RX	4
#define EXO_URING_RX_MAX_NS	(10ULL * 1000 * 1000 * 1000)

#define EXO_IOC_TYPE		0xE7

enum exo_ioctl_nr {
	EXO_NR_GET_FEATURES	= 0x00,
	EXO_NR_ENV_INFO		= 0x01,
	EXO_NR_NULL_ALLOC	= 0x02,
	EXO_NR_CAP_INFO		= 0x03,
	EXO_NR_CAP_DERIVE	= 0x04,
	EXO_NR_CAP_REVOKE	= 0x05,
	EXO_NR_CAP_CLOSE	= 0x06,
	EXO_NR_CAP_EXPORT	= 0x07,
	EXO_NR_CAP_IMPORT	= 0x08,
	EXO_NR_KEY_DROP		= 0x09,
	EXO_NR_FRAME_ALLOC	= 0x0a,
	EXO_NR_FRAME_MAP	= 0x0b,
	EXO_NR_FRAME_UNMAP	= 0x0c,
	EXO_NR_CAPS_CLOSE	= 0x0d,
	EXO_NR_SET_QUOTA	= 0x0e,
	EXO_NR_EXTENT_ATTACH	= 0x10,
	EXO_NR_EXTENT_DETACH	= 0x11,
	EXO_NR_EXTENT_STAT	= 0x12,
	EXO_NR_EXTENT_ALLOC	= 0x13,
	EXO_NR_EXTENT_FREE	= 0x14,
	EXO_NR_EXTENT_RECLAIM	= 0x15,
	EXO_NR_EXTENT_IO	= 0x16,
	EXO_NR_XN_TEMPLATE	= 0x17,
	EXO_NR_XN_OWNS		= 0x18,
	EXO_NR_XN_ROOT		= 0x19,
	EXO_NR_XN_UPDATE	= 0x1a,
	EXO_NR_XN_READ		= 0x1b,
	EXO_NR_XN_WRITE		= 0x1c,
	EXO_NR_XN_SUBTREE	= 0x1d,
	EXO_NR_NIC_ATTACH	= 0x20,
	EXO_NR_NIC_DETACH	= 0x21,
	EXO_NR_FLOW_ALLOC	= 0x22,
	EXO_NR_NIC_BIND		= 0x23,
	EXO_NR_NIC_UNBIND	= 0x24,
	EXO_NR_NIC_FILTER	= 0x25,
	EXO_NR_NIC_TX		= 0x26,
	EXO_NR_NIC_STAT		= 0x27,
	EXO_NR_WAIT		= 0x28,
	EXO_NR_MAX,
};

#define EXO_IOC_GET_FEATURES	_IO(EXO_IOC_TYPE, EXO_NR_GET_FEATURES)
#define EXO_IOC_ENV_INFO	_IO(EXO_IOC_TYPE, EXO_NR_ENV_INFO)
#define EXO_IOC_NULL_ALLOC	_IO(EXO_IOC_TYPE, EXO_NR_NULL_ALLOC)
#define EXO_IOC_CAP_INFO	_IO(EXO_IOC_TYPE, EXO_NR_CAP_INFO)
#define EXO_IOC_CAP_DERIVE	_IO(EXO_IOC_TYPE, EXO_NR_CAP_DERIVE)
#define EXO_IOC_CAP_REVOKE	_IO(EXO_IOC_TYPE, EXO_NR_CAP_REVOKE)
#define EXO_IOC_CAP_CLOSE	_IO(EXO_IOC_TYPE, EXO_NR_CAP_CLOSE)
#define EXO_IOC_CAP_EXPORT	_IO(EXO_IOC_TYPE, EXO_NR_CAP_EXPORT)
#define EXO_IOC_CAP_IMPORT	_IO(EXO_IOC_TYPE, EXO_NR_CAP_IMPORT)
#define EXO_IOC_KEY_DROP	_IO(EXO_IOC_TYPE, EXO_NR_KEY_DROP)
#define EXO_IOC_FRAME_ALLOC	_IO(EXO_IOC_TYPE, EXO_NR_FRAME_ALLOC)
#define EXO_IOC_FRAME_MAP	_IO(EXO_IOC_TYPE, EXO_NR_FRAME_MAP)
#define EXO_IOC_FRAME_UNMAP	_IO(EXO_IOC_TYPE, EXO_NR_FRAME_UNMAP)
#define EXO_IOC_CAPS_CLOSE	_IO(EXO_IOC_TYPE, EXO_NR_CAPS_CLOSE)
#define EXO_IOC_SET_QUOTA	_IO(EXO_IOC_TYPE, EXO_NR_SET_QUOTA)
#define EXO_IOC_EXTENT_ATTACH	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_ATTACH)
#define EXO_IOC_EXTENT_DETACH	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_DETACH)
#define EXO_IOC_EXTENT_STAT	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_STAT)
#define EXO_IOC_EXTENT_ALLOC	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_ALLOC)
#define EXO_IOC_EXTENT_FREE	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_FREE)
#define EXO_IOC_EXTENT_RECLAIM	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_RECLAIM)
#define EXO_IOC_EXTENT_IO	_IO(EXO_IOC_TYPE, EXO_NR_EXTENT_IO)
#define EXO_IOC_XN_TEMPLATE	_IO(EXO_IOC_TYPE, EXO_NR_XN_TEMPLATE)
#define EXO_IOC_XN_OWNS		_IO(EXO_IOC_TYPE, EXO_NR_XN_OWNS)
#define EXO_IOC_XN_ROOT		_IO(EXO_IOC_TYPE, EXO_NR_XN_ROOT)
#define EXO_IOC_XN_UPDATE	_IO(EXO_IOC_TYPE, EXO_NR_XN_UPDATE)
#define EXO_IOC_XN_READ		_IO(EXO_IOC_TYPE, EXO_NR_XN_READ)
#define EXO_IOC_XN_WRITE	_IO(EXO_IOC_TYPE, EXO_NR_XN_WRITE)
#define EXO_IOC_XN_SUBTREE	_IO(EXO_IOC_TYPE, EXO_NR_XN_SUBTREE)
#define EXO_IOC_NIC_ATTACH	_IO(EXO_IOC_TYPE, EXO_NR_NIC_ATTACH)
#define EXO_IOC_NIC_DETACH	_IO(EXO_IOC_TYPE, EXO_NR_NIC_DETACH)
#define EXO_IOC_FLOW_ALLOC	_IO(EXO_IOC_TYPE, EXO_NR_FLOW_ALLOC)
#define EXO_IOC_NIC_BIND	_IO(EXO_IOC_TYPE, EXO_NR_NIC_BIND)
#define EXO_IOC_NIC_UNBIND	_IO(EXO_IOC_TYPE, EXO_NR_NIC_UNBIND)
#define EXO_IOC_NIC_FILTER	_IO(EXO_IOC_TYPE, EXO_NR_NIC_FILTER)
#define EXO_IOC_NIC_TX		_IO(EXO_IOC_TYPE, EXO_NR_NIC_TX)
#define EXO_IOC_NIC_STAT	_IO(EXO_IOC_TYPE, EXO_NR_NIC_STAT)
#define EXO_IOC_WAIT		_IO(EXO_IOC_TYPE, EXO_NR_WAIT)

#endif /* _UAPI_LINUX_EXO_H */
