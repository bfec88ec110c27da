// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The redo log.  On its own extent (exo) or file (PATH-wal):
 *
 *   block 0, 1        2 ...                                  log_blocks
 *   +--------+--------+------------------------------------------+
 *   | header copies   | ring of records, LSN l at block          |
 *   | (ping-pong)     |   2 + (l / 4096) % (log_blocks - 2)      |
 *   +--------+--------+------------------------------------------+
 *
 * An LSN is a byte position in the endless stream of records.  Each
 * record carries its own LSN, the epoch of the open that wrote it and a
 * crc32c; recovery reads from the checkpoint LSN while all three hold.
 * The header (two copies, the newer by generation wins, each with its
 * crc) holds the checkpoint LSN, the epoch, and on exo the list of data
 * extents.  Every open runs recovery, then a checkpoint with a new epoch:
 * records a crashed run left beyond the end recovery found can never be
 * mistaken for new ones.  Each record also carries the durable LSN at the
 * time it was appended: a damaged record followed by one that says the
 * damaged one was durable is corruption (reported), not the log's end.
 *
 * Appends go to a memory ring of ordinary memory.  I/O goes through a
 * few staging blocks (on exo: frames bound in a region, written and read
 * by extent I/O): one copy per block flushed, and in exchange exo can
 * take any of the log's frames at any time (pool/lost.c) without a record
 * being lost, since the records themselves never live in a frame: an I/O
 * that finds a staging frame repossessed gets new ones and goes again.
 * A flush writes the blocks from the
 * durable point to the tail and makes them durable; the tail then moves
 * to the next block boundary (a PAD record fills the rest), so a durable
 * block is never written again until the ring wraps past a checkpoint.
 * Group commit: a committer whose LSN is not durable either becomes the
 * flusher, taking everything appended so far with it, or waits for the
 * flusher in progress and then checks again.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../internal.h"

#define BLK		PAGE

static uint64_t ring_block(const struct wal *w, uint64_t lsn)
{
	return LOG_HDR_BLOCKS + (lsn / BLK) % (w->ring_bytes / BLK);
}

static uint64_t buf_index(const struct wal *w, uint64_t lsn)
{
	return (lsn / BLK) % (w->bufsz / BLK);
}

static uint8_t *buf_at(struct wal *w, uint64_t lsn)
{
	return w->buf + (lsn % w->bufsz);
}

static void buf_copy_in(struct wal *w, uint64_t lsn, const void *src,
			size_t len)
{
	while (len) {
		size_t off = lsn % w->bufsz, n = MIN(len, w->bufsz - off);

		memcpy(w->buf + off, src, n);
		src = (const uint8_t *)src + n;
		lsn += n;
		len -= n;
	}
}

static void buf_copy_out(struct wal *w, uint64_t lsn, void *dst, size_t len)
{
	while (len) {
		size_t off = lsn % w->bufsz, n = MIN(len, w->bufsz - off);

		memcpy(dst, w->buf + off, n);
		dst = (uint8_t *)dst + n;
		lsn += n;
		len -= n;
	}
}

/* (Re)make the staging frames, after one was found repossessed. */
static int stage_frames(struct wal *w, bool fresh)
{
	struct be_vec v[WAL_FRAMES];
	int ret;

	for (int i = 0; i < WAL_FRAMES; i++)
		v[i] = (struct be_vec){ 0, w->stage + (size_t)i * BLK,
					w->frames[i] };
	if (!fresh) {
		/* bound or not, dead or alive: every old one goes */
		w->be->ops->unmap(w->be, v, WAL_FRAMES);
		for (int i = 0; i < WAL_FRAMES; i++)
			w->be->ops->frames_put(w->be, &w->frames[i], 1);
	}
	ret = w->be->ops->frames_get(w->be, WAL_FRAMES, w->frames);
	if (ret) {
		memset(w->frames, 0, sizeof(w->frames));
		return ret;
	}
	for (int i = 0; i < WAL_FRAMES; i++)
		v[i].frame = w->frames[i];
	return w->be->ops->map(w->be, v, WAL_FRAMES);
}

/*
 * Write (@wr) or read @n log blocks @v through the staging frames, from
 * or into memory @mem[i]; the caller holds stage_lock.  A frame exo took
 * meanwhile (the I/O names a dead one, or the SIGBUS handler replaced it
 * while we copied): new frames, and the whole batch again.
 */
#define STAGE_TRIES	64	/* staging frames taken again and again */

static int stage_io(struct wal *w, struct be_vec *v, uint8_t **mem,
		    uint32_t n, bool wr, bool durable)
{
	int ret, tries = 0;

	for (;;) {
		atomic_store(&w->stage_lost, 0);
		for (uint32_t i = 0; i < n; i++) {
			v[i].addr = w->stage + (size_t)i * BLK;
			v[i].frame = w->frames[i];
			if (wr)
				memcpy(v[i].addr, mem[i], BLK);
		}
		ret = wr ? w->be->ops->write(w->be, BE_LOG, v, n, durable)
			 : w->be->ops->read(w->be, BE_LOG, v, n);
		for (uint32_t i = 0; !ret && !wr && i < n; i++)
			memcpy(mem[i], v[i].addr, BLK);
		if (!ret && atomic_load(&w->stage_lost))
			ret = -EKEYREVOKED;
		if (!frame_dead(w->be, ret))
			return ret;
		/*
		 * New frames; one of them may be taken before it is bound
		 * (another abort: exo takes the newest first), which is no
		 * more a reason to give up than the first loss: the log's
		 * error is sticky, and no later commit could succeed.
		 */
		while (frame_dead(w->be, ret) && ++tries < STAGE_TRIES)
			ret = stage_frames(w, false);
		if (ret)
			return ret;
	}
}

/* Read or write the ring blocks of [from, to); @durable: the last batch
 * makes them all durable (a cache flush covers the batches before it). */
static int io_blocks(struct wal *w, bool wr, uint64_t from, uint64_t to,
		     bool durable)
{
	struct be_vec v[STAGE_BLOCKS];
	uint8_t *mem[STAGE_BLOCKS];
	uint32_t n = 0;
	int ret = 0;

	pthread_mutex_lock(&w->stage_lock);
	for (uint64_t l = from; l < to && !ret; l += BLK) {
		v[n].block = ring_block(w, l);
		mem[n++] = w->buf + buf_index(w, l) * BLK;
		if (n == STAGE_BLOCKS || l + BLK >= to) {
			ret = stage_io(w, v, mem, n, wr, durable && l + BLK >= to);
			n = 0;
		}
	}
	pthread_mutex_unlock(&w->stage_lock);
	return ret;
}

/* ---- header ---------------------------------------------------------------- */

static int header_io(struct wal *w, int copy, bool wr)
{
	struct be_vec v = { .block = (uint64_t)copy };
	uint8_t *mem = w->hbuf;
	int ret;

	pthread_mutex_lock(&w->stage_lock);
	ret = stage_io(w, &v, &mem, 1, wr, true);
	pthread_mutex_unlock(&w->stage_lock);
	return ret;
}

static bool header_ok(const struct log_header *h)
{
	return h->magic == LOG_MAGIC && h->nextents <= LOG_MAX_EXTENTS &&
	       h->crc == crc32c(0, (const uint8_t *)h + 4, sizeof(*h) - 4);
}

/*
 * Write the header with checkpoint @ckpt_lsn into the older copy, durably
 * (a torn write damages only that copy: the other still holds).
 */
int wal_write_header(struct wal *w, uint64_t ckpt_lsn)
{
	int ret;

	pthread_mutex_lock(&w->flush_lock);
	w->hdr.magic = LOG_MAGIC;
	w->hdr.gen++;
	w->hdr.ckpt_lsn = ckpt_lsn;
	w->hdr.epoch = w->epoch;
	w->hdr.log_blocks = w->be->log_blocks;
	w->hdr.nextents = w->be->nextents;
	memcpy(w->hdr.ext, w->be->ext, sizeof(w->hdr.ext));
	w->hdr.crc = crc32c(0, (uint8_t *)&w->hdr + 4, sizeof(w->hdr) - 4);
	memset(w->hbuf, 0, BLK);
	memcpy(w->hbuf, &w->hdr, sizeof(w->hdr));
	ret = header_io(w, (int)(w->hdr.gen & 1), true);
	if (!ret)
		w->ckpt_lsn = ckpt_lsn;
	pthread_mutex_unlock(&w->flush_lock);
	return ret;
}

/* ---- appending and flushing -------------------------------------------------- */

static int do_flush(struct wal *w);

int wal_append(struct wal *w, uint8_t type, uint64_t pid, const void *a,
	       size_t al, const void *b, size_t bl, uint64_t *lsnp)
{
	struct rec_hdr h = { 0 };
	uint32_t crc;
	size_t len = REC_HDR + al + bl;
	int ret;

	if (len > REC_MAX)
		return -E2BIG;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		uint64_t room = BLK - w->tail % BLK;

		if (w->io_error) {
			pthread_mutex_unlock(&w->lock);
			return w->io_error;
		}
		/* a header never straddles a block: pad instead */
		if (room < REC_HDR) {
			memset(buf_at(w, w->tail), 0, room);
			w->tail += room;
			continue;
		}
		if (w->tail + len + BLK - w->ckpt_lsn > w->ring_bytes) {
			pthread_mutex_unlock(&w->lock);
			return -ENOSPC;	/* checkpoint needed */
		}
		if (w->tail + len + BLK - w->durable <= w->bufsz)
			break;
		/* the memory ring is full: flush it ourselves */
		pthread_mutex_unlock(&w->lock);
		ret = wal_flush_to(w, w->tail);
		if (ret)
			return ret;
		pthread_mutex_lock(&w->lock);
	}
	h.len = (uint32_t)len;
	h.durable = w->durable;
	h.lsn = w->tail;
	h.epoch = w->epoch;
	h.type = type;
	h.pid = pid;
	crc = crc32c(0, (uint8_t *)&h + 4, REC_HDR - 4);
	if (al)
		crc = crc32c(crc, a, al);
	if (bl)
		crc = crc32c(crc, b, bl);
	h.crc = crc;
	buf_copy_in(w, w->tail, &h, REC_HDR);
	if (al)
		buf_copy_in(w, w->tail + REC_HDR, a, al);
	if (bl)
		buf_copy_in(w, w->tail + REC_HDR + al, b, bl);
	*lsnp = w->tail;
	w->tail += len;
	atomic_fetch_add(&w->bytes, len);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Called with w->lock held and w->flushing set by us. */
static int do_flush(struct wal *w)
{
	uint64_t from = w->durable, to, room;
	int ret;

	/* close the block: a PAD record (or zeroes) up to the boundary */
	room = (BLK - w->tail % BLK) % BLK;
	if (room) {
		memset(buf_at(w, w->tail), 0, room);
		if (room >= REC_HDR) {
			struct rec_hdr h = { .len = (uint32_t)room,
					     .lsn = w->tail, .epoch = w->epoch,
					     .type = REC_PAD,
					     .durable = w->durable };

			static const uint8_t zero[BLK];

			/* the crc covers the whole record: header and zeroes */
			h.crc = crc32c(crc32c(0, (uint8_t *)&h + 4, REC_HDR - 4),
				       zero, room - REC_HDR);
			buf_copy_in(w, w->tail, &h, REC_HDR);
		}
		w->tail += room;
	}
	to = w->tail;
	pthread_mutex_unlock(&w->lock);
	ret = w->fail_hook ? w->fail_hook(w->fail_ctx, 0) : 0;
	if (!ret)
		ret = io_blocks(w, true, from, to, true);
	if (!ret && w->fail_hook)
		ret = w->fail_hook(w->fail_ctx, 1);
	pthread_mutex_lock(&w->lock);
	if (ret) {
		w->io_error = ret;
	} else {
		w->durable = to;
		atomic_fetch_add(&w->flushes, 1);
	}
	return ret;
}

int wal_flush_to(struct wal *w, uint64_t lsn)
{
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	while (w->durable <= lsn && w->durable < w->tail && !w->io_error) {
		if (w->flushing) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		w->flushing = true;
		ret = do_flush(w);
		w->flushing = false;
		pthread_cond_broadcast(&w->cond);
	}
	if (w->io_error && w->durable <= lsn)
		ret = w->io_error;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

/* ---- open and recovery ---------------------------------------------------------- */

int wal_open(struct wal *w, struct exodb *db, struct backend *be)
{
	memset(w, 0, sizeof(*w));
	w->db = db;
	w->be = be;
	w->bufsz = BUF_BLOCKS * BLK;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->flush_lock, NULL);
	pthread_mutex_init(&w->stage_lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	/* the ring and the header block: ordinary memory */
	w->buf = calloc(1, w->bufsz + BLK);
	if (!w->buf)
		return -ENOMEM;
	w->hbuf = w->buf + w->bufsz;
	/* the staging blocks: on exo, frames in a region of their own */
	w->stage = be->ops->reserve(be, (size_t)WAL_FRAMES * BLK);
	if (!w->stage)
		return -ENOMEM;
	return stage_frames(w, true);
}

void wal_close(struct wal *w)
{
	if (w->stage) {
		struct be_vec v[WAL_FRAMES];

		for (int i = 0; i < WAL_FRAMES; i++)
			v[i] = (struct be_vec){ 0, w->stage + (size_t)i * BLK,
						w->frames[i] };
		if (w->frames[0]) {
			w->be->ops->unmap(w->be, v, WAL_FRAMES);
			for (int i = 0; i < WAL_FRAMES; i++)
				w->be->ops->frames_put(w->be, &w->frames[i], 1);
		}
		w->be->ops->release(w->be, w->stage, (size_t)WAL_FRAMES * BLK);
	}
	free(w->buf);
	w->buf = NULL;
	w->stage = NULL;
}

/* Read the newest valid header; -ENOENT if neither copy is one. */
static int read_header(struct wal *w)
{
	struct log_header h[2];
	int best = -1;

	for (int i = 0; i < 2; i++) {
		int ret = header_io(w, i, false);

		if (ret)
			return ret;
		memcpy(&h[i], w->hbuf, sizeof(h[i]));
		if (header_ok(&h[i]) && (best < 0 || h[i].gen > h[best].gen))
			best = i;
	}
	if (best < 0)
		return -ENOENT;
	w->hdr = h[best];
	return 0;
}

/* Load the log blocks covering [lsn, lsn + len) into the ring. */
static int load(struct wal *w, uint64_t lsn, size_t len, uint64_t *loaded)
{
	uint64_t end = (lsn + len + BLK - 1) / BLK * BLK;

	if (end <= *loaded)
		return 0;
	int ret = io_blocks(w, false, *loaded, end, false);

	if (!ret)
		*loaded = end;
	return ret;
}

/* Is there a valid record at @lsn?  Fills @h and the ring. */
static bool rec_at(struct wal *w, uint64_t lsn, struct rec_hdr *h,
		   uint64_t *loaded, int *err)
{
	static uint8_t body[REC_MAX];
	uint32_t crc;

	*err = 0;
	if (lsn + REC_HDR > w->hdr.ckpt_lsn + w->ring_bytes - BLK)
		return false;
	if ((*err = load(w, lsn, REC_HDR, loaded)))
		return false;
	buf_copy_out(w, lsn, h, REC_HDR);
	if (h->lsn != lsn || h->epoch != w->hdr.epoch || h->len < REC_HDR ||
	    h->len > REC_MAX || (h->type == REC_PAD && h->len > BLK) ||
	    h->type < REC_PAD || h->type > REC_COMMIT)
		return false;
	if ((*err = load(w, lsn, h->len, loaded)))
		return false;
	buf_copy_out(w, lsn, body, h->len);
	crc = crc32c(0, body + 4, h->len - 4);
	return crc == h->crc;
}

struct pending { uint64_t lsn, pid; uint8_t type; uint32_t len; uint8_t *data; };

/*
 * Redo one record on its page (idempotent: only if the page is older);
 * on @latched, the page the caller holds exclusively, else fixed here.
 */
static int redo(struct wal *w, const struct pending *r, void *latched)
{
	struct exodb *db = w->db;
	struct page_hdr *h = latched;
	int err;

	if (r->pid >= db->pool.npages)
		return -EUCLEAN;
	if (r->pid >= db->be->data_pages &&
	    (err = db->be->ops->grow(db->be, r->pid + 1)))
		return err;
	if (!h && !(h = pool_fix_x(&db->pool, r->pid, 0, FIX_NOVERIFY, &err)))
		return err;
	err = 0;	/* a fix sets it only when it fails */
	if (r->type == REC_IMAGE) {
		if (r->len != PAGE) {
			err = -EUCLEAN;
		} else if (page_verify(h, r->pid) || h->lsn < r->lsn) {
			memcpy(h, r->data, PAGE);
			h->lsn = r->lsn;
			db->pool.pm[r->pid].dirty = 1;
		}
	} else if (page_verify(h, r->pid) == 0 && h->lsn < r->lsn) {
		/* a delta applies to the intact page it was taken from */
		for (uint32_t o = 0; o + 4 <= r->len && !err;) {
			uint16_t off, len;

			memcpy(&off, r->data + o, 2);
			memcpy(&len, r->data + o + 2, 2);
			if (off < 4 || off + len > PAGE || o + 4 + len > r->len) {
				err = -EUCLEAN;
				break;
			}
			memcpy((uint8_t *)h + off, r->data + o + 4, len);
			o += 4 + len;
		}
		h->lsn = r->lsn;
		db->pool.pm[r->pid].dirty = 1;
	} else if (page_verify(h, r->pid)) {
		fprintf(stderr, "exodb: page %llu is damaged and the log has "
			"no image of it\n", (unsigned long long)r->pid);
		err = -EUCLEAN;
	}
	/* sealed, so the next record for it sees an intact page */
	if (!err)
		page_seal(h);
	if (!latched)
		pool_unfix_x(&db->pool, r->pid);
	return err;
}

/*
 * Recovery: read the log from the checkpoint; redo the records of every
 * transaction whose commit record is there, in log order; stop at the
 * first record that is not valid (the end).  A damaged record with valid
 * records of the same run after it is corruption, not an end: -EUCLEAN.
 */
int wal_recover(struct wal *w)
{
	struct pending *pend = NULL;
	size_t np = 0, cap = 0;
	uint64_t lsn, loaded;
	int ret;

	ret = read_header(w);
	if (ret)
		return ret;
	if (w->hdr.log_blocks < LOG_HDR_BLOCKS + BUF_BLOCKS ||
	    w->hdr.log_blocks > w->be->log_blocks)
		return -EUCLEAN;
	w->ring_bytes = (w->hdr.log_blocks - LOG_HDR_BLOCKS) * BLK;
	lsn = loaded = w->hdr.ckpt_lsn;
	if (lsn % BLK)
		return -EUCLEAN;
	for (;;) {
		struct rec_hdr h;
		uint64_t room = BLK - lsn % BLK;

		if (room < REC_HDR) {
			lsn += room;
			continue;
		}
		if (!rec_at(w, lsn, &h, &loaded, &ret)) {
			if (ret)
				goto out;
			break;
		}
		if (h.type == REC_IMAGE || h.type == REC_DELTA) {
			struct pending *p;

			if (np == cap) {
				cap = cap ? cap * 2 : 64;
				p = realloc(pend, cap * sizeof(*p));
				if (!p) {
					ret = -ENOMEM;
					goto out;
				}
				pend = p;
			}
			p = &pend[np++];
			p->lsn = lsn;
			p->pid = h.pid;
			p->type = h.type;
			p->len = h.len - REC_HDR;
			p->data = malloc(p->len ? p->len : 1);
			if (!p->data) {
				ret = -ENOMEM;
				goto out;
			}
			buf_copy_out(w, lsn + REC_HDR, p->data, p->len);
		} else if (h.type == REC_COMMIT) {
			for (size_t i = 0; i < np && !ret; i++)
				ret = redo(w, &pend[i], NULL);
			for (size_t i = 0; i < np; i++)
				free(pend[i].data);
			np = 0;
			if (ret)
				goto out;
			if (h.pid > w->db->txid)
				w->db->txid = h.pid;
		}
		lsn += h.len;
	}
	/*
	 * The end, or damage?  A later record written when the log was
	 * already durable past this point proves that this one had been
	 * durable and was damaged since; a torn last flush proves nothing.
	 */
	for (uint64_t b = (lsn + BLK - 1) / BLK * BLK;
	     b + BLK <= w->hdr.ckpt_lsn + w->ring_bytes; b += BLK) {
		struct rec_hdr h;
		int e;

		if (rec_at(w, b, &h, &loaded, &e) && h.durable > lsn) {
			fprintf(stderr, "exodb: log record at LSN %llu fails "
				"its checksum, valid records follow at %llu\n",
				(unsigned long long)lsn, (unsigned long long)b);
			ret = -EUCLEAN;
			goto out;
		}
		if (e || b - lsn > 64 * BLK)
			break;
	}
	w->tail = w->durable = (lsn + BLK - 1) / BLK * BLK;
	w->epoch = w->hdr.epoch + 1;
	w->ckpt_lsn = w->hdr.ckpt_lsn;
out:
	for (size_t i = 0; i < np; i++)
		free(pend[i].data);
	free(pend);
	memset(w->buf, 0, w->bufsz);
	return ret;
}

/*
 * Bring page @pid, latched exclusively by the caller at @page and holding
 * the disk's copy, up to date from the log: the answer to a repossessed
 * dirty frame (pool/lost.c).  The caller holds the writer lock and made
 * the log durable up to its tail.
 */
int wal_redo_page(struct wal *w, uint64_t pid, void *page)
{
	uint64_t lsn = w->ckpt_lsn, loaded = lsn;
	int ret = 0;

	while (lsn < w->durable) {
		struct rec_hdr h;
		uint64_t room = BLK - lsn % BLK;

		if (room < REC_HDR) {
			lsn += room;
			continue;
		}
		if (!rec_at(w, lsn, &h, &loaded, &ret))
			break;
		if ((h.type == REC_IMAGE || h.type == REC_DELTA) && h.pid == pid) {
			struct pending p = { lsn, pid, h.type, h.len - REC_HDR,
					     malloc(h.len) };

			if (!p.data)
				return -ENOMEM;
			buf_copy_out(w, lsn + REC_HDR, p.data, p.len);
			ret = redo(w, &p, page);
			free(p.data);
			if (ret)
				break;
		}
		lsn += h.len;
	}
	/* the ring was scratch: everything in it is durable */
	return ret;
}
