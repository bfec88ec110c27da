/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The exo ABI, pinned.
 *
 * Every number below was worked out by hand from <linux/exo.h>, not
 * computed by the compiler: if the header changes layout by accident (a
 * field moved, a hole appeared, an __aligned_u64 lost), a test that
 * expands this table fails and says which field.  Used by the host test
 * (libexo/test/abi.c) and the guest selftest (selftests/exo_abi.c).
 *
 * Before including, define:
 *	EXO_PIN_STRUCT(type, size)			sizeof(type) == size
 *	EXO_PIN_FIELD(type, member, offset, size)	offsetof, sizeof member
 *	EXO_PIN_CONST(name, value)			name == value
 *
 * Every struct with a header has size at 0 and flags at 4 (pinned as
 * ordinary fields); every struct is a multiple of 8 bytes (checked by the
 * tests from the EXO_PIN_STRUCT rows).
 */

/* struct exo_key: two words, no header. */
EXO_PIN_STRUCT(struct exo_key, 16)
EXO_PIN_FIELD(struct exo_key, lo, 0, 8)
EXO_PIN_FIELD(struct exo_key, hi, 8, 8)

/* 8 x __u32, then the __aligned_u64 ioctl mask. */
EXO_PIN_STRUCT(struct exo_features, 40)
EXO_PIN_FIELD(struct exo_features, size, 0, 4)
EXO_PIN_FIELD(struct exo_features, flags, 4, 4)
EXO_PIN_FIELD(struct exo_features, api_version, 8, 4)
EXO_PIN_FIELD(struct exo_features, kinds, 12, 4)
EXO_PIN_FIELD(struct exo_features, rights, 16, 4)
EXO_PIN_FIELD(struct exo_features, max_caps, 20, 4)
EXO_PIN_FIELD(struct exo_features, max_keys, 24, 4)
EXO_PIN_FIELD(struct exo_features, __reserved, 28, 4)
EXO_PIN_FIELD(struct exo_features, ioctls, 32, 8)

/* header, env_id, caps, keys, quota[8], used[8]: 8+8+8+32+32. */
EXO_PIN_STRUCT(struct exo_env_info, 88)
EXO_PIN_FIELD(struct exo_env_info, size, 0, 4)
EXO_PIN_FIELD(struct exo_env_info, flags, 4, 4)
EXO_PIN_FIELD(struct exo_env_info, env_id, 8, 8)
EXO_PIN_FIELD(struct exo_env_info, caps, 16, 4)
EXO_PIN_FIELD(struct exo_env_info, keys, 20, 4)
EXO_PIN_FIELD(struct exo_env_info, quota, 24, 32)
EXO_PIN_FIELD(struct exo_env_info, used, 56, 32)

EXO_PIN_STRUCT(struct exo_null_alloc, 24)
EXO_PIN_FIELD(struct exo_null_alloc, size, 0, 4)
EXO_PIN_FIELD(struct exo_null_alloc, flags, 4, 4)
EXO_PIN_FIELD(struct exo_null_alloc, cap, 8, 8)
EXO_PIN_FIELD(struct exo_null_alloc, obj_id, 16, 8)

EXO_PIN_STRUCT(struct exo_cap_info, 48)
EXO_PIN_FIELD(struct exo_cap_info, size, 0, 4)
EXO_PIN_FIELD(struct exo_cap_info, flags, 4, 4)
EXO_PIN_FIELD(struct exo_cap_info, cap, 8, 8)
EXO_PIN_FIELD(struct exo_cap_info, state, 16, 4)
EXO_PIN_FIELD(struct exo_cap_info, kind, 20, 4)
EXO_PIN_FIELD(struct exo_cap_info, rights, 24, 4)
EXO_PIN_FIELD(struct exo_cap_info, depth, 28, 4)
EXO_PIN_FIELD(struct exo_cap_info, obj_id, 32, 8)
EXO_PIN_FIELD(struct exo_cap_info, children, 40, 4)
EXO_PIN_FIELD(struct exo_cap_info, __reserved, 44, 4)

EXO_PIN_STRUCT(struct exo_cap_derive, 32)
EXO_PIN_FIELD(struct exo_cap_derive, size, 0, 4)
EXO_PIN_FIELD(struct exo_cap_derive, flags, 4, 4)
EXO_PIN_FIELD(struct exo_cap_derive, cap, 8, 8)
EXO_PIN_FIELD(struct exo_cap_derive, rights, 16, 4)
EXO_PIN_FIELD(struct exo_cap_derive, __reserved, 20, 4)
EXO_PIN_FIELD(struct exo_cap_derive, child, 24, 8)

EXO_PIN_STRUCT(struct exo_cap_revoke, 24)
EXO_PIN_FIELD(struct exo_cap_revoke, size, 0, 4)
EXO_PIN_FIELD(struct exo_cap_revoke, flags, 4, 4)
EXO_PIN_FIELD(struct exo_cap_revoke, cap, 8, 8)
EXO_PIN_FIELD(struct exo_cap_revoke, count, 16, 8)

EXO_PIN_STRUCT(struct exo_cap_close, 16)
EXO_PIN_FIELD(struct exo_cap_close, size, 0, 4)
EXO_PIN_FIELD(struct exo_cap_close, flags, 4, 4)
EXO_PIN_FIELD(struct exo_cap_close, cap, 8, 8)

EXO_PIN_STRUCT(struct exo_cap_export, 40)
EXO_PIN_FIELD(struct exo_cap_export, size, 0, 4)
EXO_PIN_FIELD(struct exo_cap_export, flags, 4, 4)
EXO_PIN_FIELD(struct exo_cap_export, cap, 8, 8)
EXO_PIN_FIELD(struct exo_cap_export, rights, 16, 4)
EXO_PIN_FIELD(struct exo_cap_export, __reserved, 20, 4)
EXO_PIN_FIELD(struct exo_cap_export, key, 24, 16)

EXO_PIN_STRUCT(struct exo_cap_import, 40)
EXO_PIN_FIELD(struct exo_cap_import, size, 0, 4)
EXO_PIN_FIELD(struct exo_cap_import, flags, 4, 4)
EXO_PIN_FIELD(struct exo_cap_import, key, 8, 16)
EXO_PIN_FIELD(struct exo_cap_import, cap, 24, 8)
EXO_PIN_FIELD(struct exo_cap_import, rights, 32, 4)
EXO_PIN_FIELD(struct exo_cap_import, __reserved, 36, 4)

EXO_PIN_STRUCT(struct exo_key_drop, 24)
EXO_PIN_FIELD(struct exo_key_drop, size, 0, 4)
EXO_PIN_FIELD(struct exo_key_drop, flags, 4, 4)
EXO_PIN_FIELD(struct exo_key_drop, key, 8, 16)

/* Handles. */
EXO_PIN_CONST(sizeof(exo_cap_t), 8)
EXO_PIN_CONST(EXO_CAP_SLOT(0x0000000500000007ULL), 7)
EXO_PIN_CONST(EXO_CAP_GEN(0x0000000500000007ULL), 5)
EXO_PIN_CONST(EXO_CAP_SLOT(0xffffffff00000000ULL), 0)
EXO_PIN_CONST(EXO_CAP_GEN(0x00000000ffffffffULL), 0)

/* Numbers that are part of the ABI. */
EXO_PIN_CONST(EXO_API_VERSION, 1)
EXO_PIN_CONST(EXO_KIND_NULL, 1)
EXO_PIN_CONST(EXO_INFO_KINDS, 8)
EXO_PIN_CONST(EXO_RIGHT_READ, 0x01)
EXO_PIN_CONST(EXO_RIGHT_WRITE, 0x02)
EXO_PIN_CONST(EXO_RIGHT_MAP, 0x04)
EXO_PIN_CONST(EXO_RIGHT_DERIVE, 0x08)
EXO_PIN_CONST(EXO_RIGHT_GRANT, 0x10)
EXO_PIN_CONST(EXO_RIGHT_REVOKE, 0x20)
EXO_PIN_CONST(EXO_RIGHTS_ALL, 0x3f)
EXO_PIN_CONST(EXO_CAP_LIVE, 1)
EXO_PIN_CONST(EXO_CAP_REVOKED, 2)
EXO_PIN_CONST(EXO_REVOKE_SELF, 1)
EXO_PIN_CONST(EXO_KEY_REUSABLE, 1)
EXO_PIN_CONST(EXO_IOC_TYPE, 0xe7)

/* _IO(0xE7, nr): no direction, no size bits, so (0xE7 << 8) | nr. */
EXO_PIN_CONST(EXO_IOC_GET_FEATURES, 0xe700)
EXO_PIN_CONST(EXO_IOC_ENV_INFO, 0xe701)
EXO_PIN_CONST(EXO_IOC_NULL_ALLOC, 0xe702)
EXO_PIN_CONST(EXO_IOC_CAP_INFO, 0xe703)
EXO_PIN_CONST(EXO_IOC_CAP_DERIVE, 0xe704)
EXO_PIN_CONST(EXO_IOC_CAP_REVOKE, 0xe705)
EXO_PIN_CONST(EXO_IOC_CAP_CLOSE, 0xe706)
EXO_PIN_CONST(EXO_IOC_CAP_EXPORT, 0xe707)
EXO_PIN_CONST(EXO_IOC_CAP_IMPORT, 0xe708)
EXO_PIN_CONST(EXO_IOC_KEY_DROP, 0xe709)

/* ---- page frames -------------------------------------------------------- */

/* header, count, __reserved, then two user pointers as __aligned_u64. */
EXO_PIN_STRUCT(struct exo_frame_alloc, 32)
EXO_PIN_FIELD(struct exo_frame_alloc, size, 0, 4)
EXO_PIN_FIELD(struct exo_frame_alloc, flags, 4, 4)
EXO_PIN_FIELD(struct exo_frame_alloc, count, 8, 4)
EXO_PIN_FIELD(struct exo_frame_alloc, __reserved, 12, 4)
EXO_PIN_FIELD(struct exo_frame_alloc, caps, 16, 8)
EXO_PIN_FIELD(struct exo_frame_alloc, pfns, 24, 8)

/* An array element: no header. */
EXO_PIN_STRUCT(struct exo_map_entry, 24)
EXO_PIN_FIELD(struct exo_map_entry, addr, 0, 8)
EXO_PIN_FIELD(struct exo_map_entry, cap, 8, 8)
EXO_PIN_FIELD(struct exo_map_entry, prot, 16, 4)
EXO_PIN_FIELD(struct exo_map_entry, __reserved, 20, 4)

/* The three batched calls share one layout. */
EXO_PIN_STRUCT(struct exo_frame_map, 32)
EXO_PIN_FIELD(struct exo_frame_map, size, 0, 4)
EXO_PIN_FIELD(struct exo_frame_map, flags, 4, 4)
EXO_PIN_FIELD(struct exo_frame_map, count, 8, 4)
EXO_PIN_FIELD(struct exo_frame_map, done, 12, 4)
EXO_PIN_FIELD(struct exo_frame_map, entries, 16, 8)
EXO_PIN_FIELD(struct exo_frame_map, error, 24, 4)
EXO_PIN_FIELD(struct exo_frame_map, __reserved, 28, 4)

EXO_PIN_STRUCT(struct exo_frame_unmap, 32)
EXO_PIN_FIELD(struct exo_frame_unmap, size, 0, 4)
EXO_PIN_FIELD(struct exo_frame_unmap, flags, 4, 4)
EXO_PIN_FIELD(struct exo_frame_unmap, count, 8, 4)
EXO_PIN_FIELD(struct exo_frame_unmap, done, 12, 4)
EXO_PIN_FIELD(struct exo_frame_unmap, addrs, 16, 8)
EXO_PIN_FIELD(struct exo_frame_unmap, error, 24, 4)
EXO_PIN_FIELD(struct exo_frame_unmap, __reserved, 28, 4)

EXO_PIN_STRUCT(struct exo_caps_close, 32)
EXO_PIN_FIELD(struct exo_caps_close, size, 0, 4)
EXO_PIN_FIELD(struct exo_caps_close, flags, 4, 4)
EXO_PIN_FIELD(struct exo_caps_close, count, 8, 4)
EXO_PIN_FIELD(struct exo_caps_close, done, 12, 4)
EXO_PIN_FIELD(struct exo_caps_close, caps, 16, 8)
EXO_PIN_FIELD(struct exo_caps_close, error, 24, 4)
EXO_PIN_FIELD(struct exo_caps_close, __reserved, 28, 4)

EXO_PIN_STRUCT(struct exo_set_quota, 24)
EXO_PIN_FIELD(struct exo_set_quota, size, 0, 4)
EXO_PIN_FIELD(struct exo_set_quota, flags, 4, 4)
EXO_PIN_FIELD(struct exo_set_quota, env_id, 8, 8)
EXO_PIN_FIELD(struct exo_set_quota, kind, 16, 4)
EXO_PIN_FIELD(struct exo_set_quota, quota, 20, 4)

/* read() records: type, flags, then five 64-bit words. */
EXO_PIN_STRUCT(struct exo_event, 48)
EXO_PIN_FIELD(struct exo_event, type, 0, 4)
EXO_PIN_FIELD(struct exo_event, flags, 4, 4)
EXO_PIN_FIELD(struct exo_event, seq, 8, 8)
EXO_PIN_FIELD(struct exo_event, count, 16, 8)
EXO_PIN_FIELD(struct exo_event, deadline_ns, 24, 8)
EXO_PIN_FIELD(struct exo_event, pfn, 32, 8)
EXO_PIN_FIELD(struct exo_event, cap, 40, 8)

EXO_PIN_STRUCT(struct exo_pfn_range, 16)
EXO_PIN_FIELD(struct exo_pfn_range, start, 0, 8)
EXO_PIN_FIELD(struct exo_pfn_range, count, 8, 8)

/* The pool page: 4 x __u32, 7 x __u64 (16 + 56 = 72), 64 ranges x 16. */
EXO_PIN_STRUCT(struct exo_pool_info, 1096)
EXO_PIN_FIELD(struct exo_pool_info, magic, 0, 4)
EXO_PIN_FIELD(struct exo_pool_info, version, 4, 4)
EXO_PIN_FIELD(struct exo_pool_info, page_size, 8, 4)
EXO_PIN_FIELD(struct exo_pool_info, nr_ranges, 12, 4)
EXO_PIN_FIELD(struct exo_pool_info, frames_total, 16, 8)
EXO_PIN_FIELD(struct exo_pool_info, frames_free, 24, 8)
EXO_PIN_FIELD(struct exo_pool_info, frames_mapped, 32, 8)
EXO_PIN_FIELD(struct exo_pool_info, revocations, 40, 8)
EXO_PIN_FIELD(struct exo_pool_info, revocations_honoured, 48, 8)
EXO_PIN_FIELD(struct exo_pool_info, revocations_aborted, 56, 8)
EXO_PIN_FIELD(struct exo_pool_info, frames_repossessed, 64, 8)
EXO_PIN_FIELD(struct exo_pool_info, ranges, 72, 1024)

EXO_PIN_STRUCT(struct exo_repo_entry, 16)
EXO_PIN_FIELD(struct exo_repo_entry, pfn, 0, 8)
EXO_PIN_FIELD(struct exo_repo_entry, cap, 8, 8)

/* The env page: 8 + 4 x 4 + 4 x 8 = 56, then 240 entries x 16. */
EXO_PIN_STRUCT(struct exo_env_page, 3896)
EXO_PIN_FIELD(struct exo_env_page, env_id, 0, 8)
EXO_PIN_FIELD(struct exo_env_page, frame_quota, 8, 4)
EXO_PIN_FIELD(struct exo_env_page, frames_used, 12, 4)
EXO_PIN_FIELD(struct exo_env_page, frames_mapped, 16, 4)
EXO_PIN_FIELD(struct exo_env_page, events_pending, 20, 4)
EXO_PIN_FIELD(struct exo_env_page, revoke_seq, 24, 8)
EXO_PIN_FIELD(struct exo_env_page, revoke_owed, 32, 8)
EXO_PIN_FIELD(struct exo_env_page, revoke_deadline_ns, 40, 8)
EXO_PIN_FIELD(struct exo_env_page, repo_count, 48, 8)
EXO_PIN_FIELD(struct exo_env_page, repo, 56, 3840)

EXO_PIN_CONST(EXO_KIND_FRAME, 2)
EXO_PIN_CONST(EXO_PROT_READ, 1)
EXO_PIN_CONST(EXO_PROT_WRITE, 2)
EXO_PIN_CONST(EXO_INFO_OFFSET, 0x1000000000000000ULL)
EXO_PIN_CONST(EXO_BATCH_MAX, 65536)
EXO_PIN_CONST(EXO_FRAME_BY_PFN, 1)
EXO_PIN_CONST(EXO_FRAME_RECYCLE, 2)
EXO_PIN_CONST(EXO_EV_REVOKE, 1)
EXO_PIN_CONST(EXO_EV_REVOKE_DONE, 2)
EXO_PIN_CONST(EXO_EV_REPOSSESSED, 3)
EXO_PIN_CONST(EXO_EV_ABORTED, 4)
EXO_PIN_CONST(EXO_EV_QUEUE, 64)
EXO_PIN_CONST(EXO_EVF_LOST, 1)
EXO_PIN_CONST(EXO_EVF_EXTENT, 2)
EXO_PIN_CONST(EXO_POOL_MAGIC, 0x65786f50)
EXO_PIN_CONST(EXO_POOL_RANGES, 64)
EXO_PIN_CONST(EXO_REPO_SLOTS, 240)
EXO_PIN_CONST(EXO_IOC_FRAME_ALLOC, 0xe70a)
EXO_PIN_CONST(EXO_IOC_FRAME_MAP, 0xe70b)
EXO_PIN_CONST(EXO_IOC_FRAME_UNMAP, 0xe70c)
EXO_PIN_CONST(EXO_IOC_CAPS_CLOSE, 0xe70d)
EXO_PIN_CONST(EXO_IOC_SET_QUOTA, 0xe70e)

/* ---- disk extents (worked out by hand like the rest) ---- */
/* header, path pointer, four __aligned_u64 outputs */
EXO_PIN_STRUCT(struct exo_extent_attach, 48)
EXO_PIN_FIELD(struct exo_extent_attach, size, 0, 4)
EXO_PIN_FIELD(struct exo_extent_attach, flags, 4, 4)
EXO_PIN_FIELD(struct exo_extent_attach, path, 8, 8)
EXO_PIN_FIELD(struct exo_extent_attach, nblocks, 16, 8)
EXO_PIN_FIELD(struct exo_extent_attach, data_start, 24, 8)
EXO_PIN_FIELD(struct exo_extent_attach, free, 32, 8)
EXO_PIN_FIELD(struct exo_extent_attach, generation, 40, 8)
EXO_PIN_STRUCT(struct exo_extent_detach, 8)
EXO_PIN_FIELD(struct exo_extent_detach, flags, 4, 4)
EXO_PIN_STRUCT(struct exo_extent_stat, 40)
EXO_PIN_FIELD(struct exo_extent_stat, nblocks, 8, 8)
EXO_PIN_FIELD(struct exo_extent_stat, data_start, 16, 8)
EXO_PIN_FIELD(struct exo_extent_stat, free, 24, 8)
EXO_PIN_FIELD(struct exo_extent_stat, generation, 32, 8)
/* header, start, count, cap, key (16), new_key, reserved */
EXO_PIN_STRUCT(struct exo_extent_alloc, 56)
EXO_PIN_FIELD(struct exo_extent_alloc, start, 8, 8)
EXO_PIN_FIELD(struct exo_extent_alloc, count, 16, 8)
EXO_PIN_FIELD(struct exo_extent_alloc, cap, 24, 8)
EXO_PIN_FIELD(struct exo_extent_alloc, key, 32, 16)
EXO_PIN_FIELD(struct exo_extent_alloc, new_key, 48, 4)
EXO_PIN_FIELD(struct exo_extent_alloc, __reserved, 52, 4)
EXO_PIN_STRUCT(struct exo_extent_free, 16)
EXO_PIN_FIELD(struct exo_extent_free, cap, 8, 8)
EXO_PIN_STRUCT(struct exo_extent_desc, 24)
EXO_PIN_FIELD(struct exo_extent_desc, cap, 0, 8)
EXO_PIN_FIELD(struct exo_extent_desc, start, 8, 8)
EXO_PIN_FIELD(struct exo_extent_desc, count, 16, 8)
/* header, key (16), array pointer, max, count, done, reserved */
EXO_PIN_STRUCT(struct exo_extent_reclaim, 48)
EXO_PIN_FIELD(struct exo_extent_reclaim, key, 8, 16)
EXO_PIN_FIELD(struct exo_extent_reclaim, extents, 24, 8)
EXO_PIN_FIELD(struct exo_extent_reclaim, max, 32, 4)
EXO_PIN_FIELD(struct exo_extent_reclaim, count, 36, 4)
EXO_PIN_FIELD(struct exo_extent_reclaim, done, 40, 4)
EXO_PIN_FIELD(struct exo_extent_reclaim, __reserved, 44, 4)
/* one element: also the io_uring command (fits the 80-byte SQE128 area) */
EXO_PIN_STRUCT(struct exo_extent_iovec, 32)
EXO_PIN_FIELD(struct exo_extent_iovec, extent, 0, 8)
EXO_PIN_FIELD(struct exo_extent_iovec, block, 8, 8)
EXO_PIN_FIELD(struct exo_extent_iovec, frame, 16, 8)
EXO_PIN_FIELD(struct exo_extent_iovec, op, 24, 4)
EXO_PIN_FIELD(struct exo_extent_iovec, flags, 28, 4)
/* the batch header has the same tail as the frame batches */
EXO_PIN_STRUCT(struct exo_extent_io, 32)
EXO_PIN_FIELD(struct exo_extent_io, count, 8, 4)
EXO_PIN_FIELD(struct exo_extent_io, done, 12, 4)
EXO_PIN_FIELD(struct exo_extent_io, vecs, 16, 8)
EXO_PIN_FIELD(struct exo_extent_io, error, 24, 4)
EXO_PIN_FIELD(struct exo_extent_io, __reserved, 28, 4)
EXO_PIN_CONST(EXO_KIND_EXTENT, 3)
EXO_PIN_CONST(EXO_EXTENT_BLOCK, 4096)
EXO_PIN_CONST(EXO_EXTENT_IO_MAX, 1024)
EXO_PIN_CONST(EXO_ATTACH_FORMAT, 1)
EXO_PIN_CONST(EXO_EXTENT_AT, 1)
EXO_PIN_CONST(EXO_IO_READ, 0)
EXO_PIN_CONST(EXO_IO_WRITE, 1)
EXO_PIN_CONST(EXO_IO_FUA, 1)
EXO_PIN_CONST(EXO_IO_FLUSH, 2)
EXO_PIN_CONST(EXO_URING_EXTENT_IO, 1)
EXO_PIN_CONST(EXO_URING_EXTENT_FLUSH, 2)
EXO_PIN_CONST(EXO_IOC_EXTENT_ATTACH, 0xe710)
EXO_PIN_CONST(EXO_IOC_EXTENT_DETACH, 0xe711)
EXO_PIN_CONST(EXO_IOC_EXTENT_STAT, 0xe712)
EXO_PIN_CONST(EXO_IOC_EXTENT_ALLOC, 0xe713)
EXO_PIN_CONST(EXO_IOC_EXTENT_FREE, 0xe714)
EXO_PIN_CONST(EXO_IOC_EXTENT_RECLAIM, 0xe715)
EXO_PIN_CONST(EXO_IOC_EXTENT_IO, 0xe716)
