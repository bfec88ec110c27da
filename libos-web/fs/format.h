/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * format.h — exofs, a small file system whose metadata exo checks through
 * XN templates: the on-disk format, shared by every file of libos-web/fs/.
 *
 * Every metadata block has the same head, so that one classic BPF
 * program (template.c) finds the blocks it points to:
 *
 *   0       4         8      12     14     16            32          1056      4096
 *   +-------+---------+------+------+------+-------------+-----------+---------+
 *   | magic | nrefs   | crc  | used | cont | (reserved)  | refs[256] | body    |
 *   | (LE)  | (BE)    | (LE) | (LE) | (LE) |             | (BE words)|         |
 *   +-------+---------+------+------+------+-------------+-----------+---------+
 *
 * refs[i] (i < nrefs) is EXO_XN_REF(type, device block), big-endian as
 * classic BPF loads it: the references exo follows and checks.  crc is
 * CRC-32C of the block with the crc field zero.  A block of zeroes (one
 * exo just handed out, not written yet) is an empty block of any type.
 *
 * Types: EXOFS_T_SUPER (the principal's XN root: refs[0] is the root
 * directory), EXOFS_T_DIR (a directory block: entries in the body, each
 * owning a slice of refs; `cont` is the ref index of the next block of
 * the same directory, EXOFS_NO_CONT if none), EXOFS_T_IND (an indirect
 * block: refs are a file's data blocks, the body their CRC-32Cs), and
 * data blocks (XN type 0).
 *
 * Directory entries embed the inode (C-FFS): no inode table, one read of
 * a directory block gives names, sizes and block lists, and a small file
 * (an icon, a style sheet) lives inline in its directory's block, so one
 * read brings a web page's HTML and its small images.
 */
#ifndef EXOFS_FORMAT_H
#define EXOFS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define EXOFS_BLOCK		4096
#define EXOFS_MAX_REFS		256	/* EXO_XN_MAX_REFS */
#define EXOFS_REFS_OFF		32
#define EXOFS_BODY_OFF		(EXOFS_REFS_OFF + 4 * EXOFS_MAX_REFS)
#define EXOFS_BODY		(EXOFS_BLOCK - EXOFS_BODY_OFF)	/* 3040 */
#define EXOFS_NO_CONT		0xffff

#define EXOFS_MAGIC_SUPER	0x53667845u	/* "ExfS" */
#define EXOFS_MAGIC_DIR		0x44667845u	/* "ExfD" */
#define EXOFS_MAGIC_IND		0x49667845u	/* "ExfI" */
#define EXOFS_VERSION		1

enum { EXOFS_T_DATA = 0, EXOFS_T_SUPER = 1, EXOFS_T_DIR = 2, EXOFS_T_IND = 3 };
#define EXOFS_NTYPES		4

/* XN's encoding of a reference (EXO_XN_REF): 8 bits of type, 24 of block. */
#define EXOFS_REF(type, block)	(((uint32_t)(type) << 24) | (uint32_t)(block))
#define EXOFS_REF_TYPE(r)	((uint32_t)(r) >> 24)
#define EXOFS_REF_BLOCK(r)	((uint32_t)(r) & 0xffffff)
#define EXOFS_MAX_BLOCK		0xffffffu

struct exofs_head {
	uint32_t magic;
	uint32_t nrefs_be;
	uint32_t crc;
	uint16_t used;		/* DIR: bytes of the body the entries use */
	uint16_t cont;		/* DIR: ref index of the next block, or NO_CONT */
	uint8_t reserved[16];
};

/* The superblock's body. */
struct exofs_super {
	uint32_t version;
	uint32_t flags;		/* EXOFS_SCATTER: no inlining, spread blocks */
	uint64_t mkfs_time;
};
#define EXOFS_SCATTER		(1u << 0)

/*
 * A directory entry (the body of a DIR block holds them packed, 4-byte
 * aligned): this header, the name, then for EXOFS_E_INLINE the file's
 * bytes.  @first/@nref name the entry's slice of the block's refs.
 */
enum {
	EXOFS_E_FILE = 1,	/* refs: the data blocks, in order */
	EXOFS_E_FILE_IND = 2,	/* refs: IND blocks, whose refs are the data */
	EXOFS_E_INLINE = 3,	/* the bytes follow the name; no ref */
	EXOFS_E_DIR = 4,	/* one ref: the directory's first block */
};
struct exofs_dent {
	uint16_t reclen;
	uint8_t kind;
	uint8_t namelen;	/* 1..EXOFS_NAME_MAX, no '/' or NUL */
	uint32_t crc;		/* CRC-32C of the file's bytes */
	uint64_t size;
	uint16_t first;
	uint16_t nref;
	uint32_t reserved;
};
#define EXOFS_NAME_MAX		255
#define EXOFS_INLINE_MAX	2048	/* a larger file gets blocks */

static inline uint32_t exofs_nrefs(const void *blk)
{
	return __builtin_bswap32(((const struct exofs_head *)blk)->nrefs_be);
}

static inline uint32_t exofs_ref(const void *blk, uint32_t i)
{
	const uint32_t *r = (const uint32_t *)((const char *)blk + EXOFS_REFS_OFF);

	return __builtin_bswap32(r[i]);
}

static inline void exofs_set_ref(void *blk, uint32_t i, uint32_t ref)
{
	uint32_t *r = (uint32_t *)((char *)blk + EXOFS_REFS_OFF);

	r[i] = __builtin_bswap32(ref);
}

static inline void exofs_set_nrefs(void *blk, uint32_t n)
{
	((struct exofs_head *)blk)->nrefs_be = __builtin_bswap32(n);
}

static inline uint32_t exofs_reclen(size_t namelen, size_t inline_len)
{
	return (uint32_t)((sizeof(struct exofs_dent) + namelen + inline_len + 3) & ~3ul);
}

uint32_t exofs_crc32c(uint32_t crc, const void *buf, size_t len);

/* Seal a metadata block: its magic, and the CRC over the rest. */
void exofs_seal(void *blk, uint32_t magic);

/*
 * Check block @blk, read as metadata of XN type @type: a zeroed block, or
 * the right magic, the CRC, nrefs within bounds, every ref in range and
 * of a type this type may hold, and (DIR) entries that tile `used` bytes
 * of the body, each with a valid name and a slice within nrefs, slices
 * disjoint.  Returns 0, or -EBADMSG (wrong magic or shape) or -EILSEQ
 * (CRC mismatch).
 */
int exofs_check(const void *blk, uint32_t type);

/* Is @blk all zeroes (a block exo handed out and nobody wrote)? */
int exofs_is_zero(const void *blk);

/*
 * The next entry of DIR block @blk at body offset *@off (0 to start):
 * returns it and advances *@off, or NULL at the end.  Only for blocks
 * exofs_check() passed.
 */
const struct exofs_dent *exofs_dent_next(const void *blk, uint32_t *off);

static inline const char *exofs_dent_name(const struct exofs_dent *d)
{
	return (const char *)(d + 1);
}

static inline const void *exofs_dent_inline(const struct exofs_dent *d)
{
	return exofs_dent_name(d) + d->namelen;
}

#endif
