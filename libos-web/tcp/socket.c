// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * socket.c — the application's side (exonet.h): listen, accept, read,
 * write, write_ref, shutdown, close.  Nothing here sends: it queues, and
 * the next exonet_poll()/exonet_flush() builds the segments.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "stack.h"

/* Every socket knows its stack (NULL only for a pointer that is no socket). */
static struct exonet *stack_of(const struct exonet_sock *s)
{
	return s ? s->st : NULL;
}

struct exonet_sock *exonet_listen(struct exonet *st, unsigned int backlog)
{
	if (st->listening) {
		errno = EBUSY;
		return NULL;
	}
	if (!backlog || backlog > st->cfg.max_conns)
		backlog = st->cfg.max_conns;
	st->backlog = backlog;
	st->listening = true;
	st->listener.state = EXONET_LISTEN;
	st->listener.flags = CF_LISTENER | CF_APP;
	return &st->listener;
}

struct exonet_sock *exonet_accept(struct exonet_sock *ls)
{
	struct exonet *st = stack_of(ls);
	struct exonet_sock *s;

	if (!st || ls != &st->listener || !st->listening) {
		errno = EINVAL;
		return NULL;
	}
	s = st->acceptq_head;
	if (!s) {
		errno = EAGAIN;
		return NULL;
	}
	en_acceptq_del(st, s);
	s->flags |= CF_APP;
	/* what happened before accept is reported now */
	if (en_rcv_readable(s) || (s->flags & CF_FIN_RCVD))
		en_notify(st, s, EXONET_EV_READ |
			  ((s->flags & CF_FIN_RCVD) ? EXONET_EV_HUP : 0));
	return s;
}

static ssize_t rd_error(const struct exonet_sock *s)
{
	if (s->err)
		return s->err;
	if ((s->flags & CF_FIN_RCVD) || s->state == EXONET_CLOSED ||
	    (s->flags & CF_RD_SHUT))
		return 0;	/* end of stream */
	if (s->state == EXONET_SYN_RCVD)
		return -ENOTCONN;
	return -EAGAIN;
}

ssize_t exonet_peek(struct exonet_sock *s, const void **data, size_t max)
{
	struct exonet *st = stack_of(s);
	uint32_t n, off;

	if (!st || (s->flags & CF_LISTENER))
		return -EINVAL;
	n = en_rcv_readable(s);
	if (!n)
		return rd_error(s);
	off = s->rd_seq & (st->cfg.rcvbuf - 1);
	n = EN_MIN(n, st->cfg.rcvbuf - off);	/* contiguous part */
	n = (uint32_t)EN_MIN((size_t)n, max);
	*data = s->rbuf + off;
	return n;
}

int exonet_consume(struct exonet_sock *s, size_t n)
{
	struct exonet *st = stack_of(s);
	uint32_t before, after, step;

	if (!st || (s->flags & CF_LISTENER) || n > en_rcv_readable(s))
		return -EINVAL;
	before = s->rcv_adv;
	s->rd_seq += (uint32_t)n;
	/*
	 * RFC 9293 3.8.6.2.2: tell the peer when reading opened the window
	 * by enough to matter (it may be waiting on a zero window).
	 */
	step = EN_MIN(st->cfg.rcvbuf / 2, (uint32_t)st->mss);
	after = s->rcv_nxt + en_rcv_space(st, s);
	if (s->state != EXONET_CLOSED && seq_ge(after, before + step) &&
	    (before - s->rcv_nxt) < (st->cfg.rcvbuf / 2)) {
		s->flags |= CF_ACKNOW;
		en_want_output(st, s);
	}
	return 0;
}

ssize_t exonet_read(struct exonet_sock *s, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		const void *p;
		ssize_t n = exonet_peek(s, &p, len - done);

		if (n <= 0) {
			if (done)
				break;
			return n;
		}
		memcpy((uint8_t *)buf + done, p, (size_t)n);
		exonet_consume(s, (size_t)n);
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t wr_check(const struct exonet_sock *s)
{
	if (s->err)
		return s->err;
	if (s->flags & CF_FIN_QUEUED)
		return -EPIPE;
	if (s->state != EXONET_ESTABLISHED && s->state != EXONET_CLOSE_WAIT)
		return s->state == EXONET_CLOSED ? -EPIPE : -ENOTCONN;
	return 0;
}

size_t exonet_write_space(const struct exonet_sock *s)
{
	struct exonet *st = stack_of(s);
	uint32_t qmask;
	const struct en_sref *tail;

	if (!st || (s->flags & CF_LISTENER) || wr_check(s))
		return 0;
	qmask = st->cfg.sndq_refs - 1;
	tail = s->sq_count ? &s->sq[(s->sq_head + s->sq_count - 1) & qmask] : NULL;
	if (s->sq_count == st->cfg.sndq_refs && (!tail || tail->base))
		return 0;
	return st->cfg.sndbuf - s->sb_len;
}

unsigned int exonet_write_refs_free(const struct exonet_sock *s)
{
	struct exonet *st = stack_of(s);

	if (!st || (s->flags & CF_LISTENER))
		return 0;
	return st->cfg.sndq_refs - s->sq_count;
}

static void after_write(struct exonet *st, struct exonet_sock *s, uint32_t flags)
{
	if (flags & EXONET_WR_MORE)
		s->flags |= CF_MORE;
	else
		s->flags &= ~CF_MORE;
	en_want_output(st, s);
}

ssize_t exonet_write(struct exonet_sock *s, const void *buf, size_t len,
		     uint32_t flags)
{
	struct exonet *st = stack_of(s);
	uint32_t qmask, mask, take, at, first;
	struct en_sref *tail;
	ssize_t r;

	if (!st || (s->flags & CF_LISTENER))
		return -EINVAL;
	r = wr_check(s);
	if (r)
		return r;
	if (!len)
		return 0;
	qmask = st->cfg.sndq_refs - 1;
	mask = st->cfg.sndbuf - 1;
	take = (uint32_t)EN_MIN(len, (size_t)(st->cfg.sndbuf - s->sb_len));
	if (!take)
		return -EAGAIN;
	tail = s->sq_count ? &s->sq[(s->sq_head + s->sq_count - 1) & qmask] : NULL;
	if (!tail || tail->base) {
		if (s->sq_count == st->cfg.sndq_refs)
			return -EAGAIN;
		tail = &s->sq[(s->sq_head + s->sq_count) & qmask];
		memset(tail, 0, sizeof(*tail));
		s->sq_count++;
	}
	at = (s->sb_head + s->sb_len) & mask;
	first = EN_MIN(take, st->cfg.sndbuf - at);
	memcpy(s->sbuf + at, buf, first);
	if (take > first)
		memcpy(s->sbuf, (const uint8_t *)buf + first, take - first);
	s->sb_len += take;
	tail->len += take;
	s->sq_bytes += take;
	after_write(st, s, flags);
	return take;
}

ssize_t exonet_write_ref(struct exonet_sock *s, const void *base, size_t len,
			 uint32_t flags, exonet_release_fn release, void *cookie)
{
	struct exonet *st = stack_of(s);
	struct en_sref *e;
	ssize_t r;

	if (!st || (s->flags & CF_LISTENER) || !base || !len || len > (1u << 30))
		return -EINVAL;
	r = wr_check(s);
	if (r)
		return r;
	if (s->sq_count == st->cfg.sndq_refs ||
	    s->sq_bytes + (uint64_t)len > (1u << 30))
		return -EAGAIN;
	e = &s->sq[(s->sq_head + s->sq_count) & (st->cfg.sndq_refs - 1)];
	e->base = base;
	e->len = (uint32_t)len;
	e->token = 0;
	e->zc = false;
	e->release = release;
	e->cookie = cookie;
	s->sq_count++;
	s->sq_bytes += (uint32_t)len;
	after_write(st, s, flags);
	return (ssize_t)len;
}

int exonet_shutdown(struct exonet_sock *s, int how)
{
	struct exonet *st = stack_of(s);

	if (!st || (s->flags & CF_LISTENER))
		return -EINVAL;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (s->state == EXONET_CLOSED || s->state == EXONET_SYN_RCVD)
		return -ENOTCONN;
	if (how != SHUT_WR) {
		s->flags |= CF_RD_SHUT;
		s->rd_seq = en_rcv_end(s);	/* what is unread is gone */
		s->nooo = 0;
	}
	if (how != SHUT_RD && !(s->flags & CF_FIN_QUEUED)) {
		/* RFC 9293 3.10.4: FIN after the queued data */
		s->flags |= CF_FIN_QUEUED;
		s->flags &= ~CF_MORE;
		if (s->state == EXONET_ESTABLISHED)
			s->state = EXONET_FIN_WAIT_1;
		else if (s->state == EXONET_CLOSE_WAIT)
			s->state = EXONET_LAST_ACK;
		en_want_output(st, s);
	}
	return 0;
}

static void reset_and_free(struct exonet *st, struct exonet_sock *s)
{
	if (s->state != EXONET_CLOSED && s->state != EXONET_SYN_RCVD) {
		en_send_ctl(st, s, TH_RST | TH_ACK, s->snd_nxt);
		st->stats.conns_reset++;
	}
	s->flags &= ~CF_APP;
	en_conn_free(st, s);
}

void exonet_abort(struct exonet_sock *s)
{
	struct exonet *st = stack_of(s);

	if (!st)
		return;
	if (s->flags & CF_LISTENER) {
		exonet_close(s);
		return;
	}
	reset_and_free(st, s);
}

void exonet_close(struct exonet_sock *s)
{
	struct exonet *st = stack_of(s);

	if (!st)
		return;
	if (s->flags & CF_LISTENER) {
		/* pending connections are reset; half-open ones dropped */
		uint32_t i;

		while (st->acceptq_head)
			reset_and_free(st, st->acceptq_head);
		for (i = 0; i < st->cfg.max_conns; i++) {
			struct exonet_sock *c = &st->conns[i];

			if ((c->flags & CF_USED) && c->state == EXONET_SYN_RCVD)
				en_conn_free(st, c);
		}
		st->listening = false;
		st->listener.state = EXONET_CLOSED;
		return;
	}
	if (!(s->flags & CF_APP))
		return;
	if (s->state == EXONET_CLOSED) {
		s->flags &= ~CF_APP;
		en_conn_free(st, s);
		return;
	}
	/* RFC 1122 4.2.2.13 / RFC 2525 2.17: unread data: reset */
	if (en_rcv_readable(s) && !(s->flags & CF_RD_SHUT)) {
		reset_and_free(st, s);
		return;
	}
	exonet_shutdown(s, SHUT_RDWR);
	s->flags &= ~(CF_APP | CF_MORE);
	s->ev_pending = 0;
	if (s->state == EXONET_FIN_WAIT_2) {
		s->ka_at = st->now_ms + st->cfg.fin_wait2_ms;
		en_conn_timer_update(st, s);
	}
	en_orphan_add(st, s);	/* bounded from now on (orphan.c) */
}

void exonet_sock_set_user(struct exonet_sock *s, void *user)
{
	s->user = user;
}

void *exonet_sock_user(const struct exonet_sock *s)
{
	return s->user;
}

void exonet_sock_peer(const struct exonet_sock *s, uint32_t *addr, uint16_t *port)
{
	if (addr)
		*addr = s->raddr;
	if (port)
		*port = s->rport;
}

int exonet_sock_error(const struct exonet_sock *s)
{
	return s->err;
}

enum exonet_tcp_state exonet_sock_state(const struct exonet_sock *s)
{
	return (enum exonet_tcp_state)s->state;
}

const char *exonet_state_name(enum exonet_tcp_state st)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
		"FIN_WAIT_2", "CLOSING", "TIME_WAIT", "CLOSE_WAIT", "LAST_ACK",
	};

	return (unsigned int)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

uint32_t exonet_sock_events(const struct exonet_sock *s)
{
	struct exonet *st = stack_of(s);
	uint32_t ev = 0;

	if (!st)
		return 0;
	if (s->flags & CF_LISTENER)
		return st->acceptq_head ? EXONET_EV_ACCEPT : 0;
	if (en_rcv_readable(s) || (s->flags & CF_FIN_RCVD) || s->err ||
	    s->state == EXONET_CLOSED)
		ev |= EXONET_EV_READ;
	if (exonet_write_space(s))
		ev |= EXONET_EV_WRITE;
	if (s->flags & CF_FIN_RCVD)
		ev |= EXONET_EV_HUP;
	if (s->err)
		ev |= EXONET_EV_ERR;
	return ev;
}
