// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* vdev.c — the host tests' virtual wire (vdev.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdev.h"

const uint8_t vdev_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t vdev_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static unsigned int v_rx_burst(void *ctx, struct exonet_rxpkt *p, unsigned int max)
{
	struct vdev *v = ctx;
	unsigned int n = 0;

	while (n < max && n < v->rx_count) {
		struct vframe *f = &v->rx[(v->rx_head + n) % VDEV_RX_MAX];

		p[n].data = f->data;
		p[n].len = f->len;
		p[n].tstamp_ns = f->tstamp_ns;
		n++;
	}
	v->rx_peeked = n;
	return n;
}

static void v_rx_release(void *ctx, unsigned int n)
{
	struct vdev *v = ctx;

	if (n > v->rx_peeked)
		abort();	/* the stack released what it never peeked */
	/* poison what is released: a stack that keeps pointers shows it */
	for (unsigned int i = 0; i < n; i++)
		memset(v->rx[(v->rx_head + i) % VDEV_RX_MAX].data, 0xdb, EXONET_FRAME_MAX);
	v->rx_head = (v->rx_head + n) % VDEV_RX_MAX;
	v->rx_count -= n;
	v->rx_peeked = 0;
}

static void vdie(const char *what)
{
	fprintf(stderr, "vdev: the stack handed the device a bad descriptor: %s\n", what);
	abort();
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t csum16(const void *d, size_t n, uint32_t sum);
static uint16_t tcp_csum(uint32_t saddr, uint32_t daddr, const uint8_t *th, uint32_t len);

/*
 * A descriptor: check it as exo's kernel side would (and what the stack
 * promises beyond that), gather its payload, and capture the frames it
 * becomes: one, or with EXONET_TX_TSO the payload cut at @mss bytes with
 * the headers derived as the kernel's GSO does (sequence numbers, IP
 * lengths and ids, FIN and PSH on the last only, checksums).
 */
static int v_xmit(void *ctx, struct exonet_tx *tx)
{
	static uint8_t pay[1 << 17];
	struct vdev *v = ctx;
	const uint8_t *h = tx->hdr;
	uint32_t plen = 0, copied = 0, nref = 0, thoff, thlen, segs, i, seq, at;
	bool tso = tx->flags & EXONET_TX_TSO, csum = tx->flags & (EXONET_TX_CSUM | EXONET_TX_TSO);
	struct vdesc *d;

	if (tx->nfrags > EXONET_XMIT_MAX_FRAGS)
		vdie("too many fragments");
	if (tx->hdrlen >= 14 + 20 && h[14 + 9] != 6) {
		/* not TCP (an ICMP echo reply): a plain frame, copied */
		struct vframe *f;

		if (tx->flags)
			vdie("offload flags on a frame that is not TCP");
		if (v->tx_pending >= v->tx_limit || v->tx_count >= VDEV_TX_MAX)
			return -ENOBUFS;
		f = &v->tx[v->tx_count++];
		memcpy(f->data, h, tx->hdrlen);
		f->len = tx->hdrlen;
		for (i = 0; i < tx->nfrags; i++) {
			if (tx->frags[i].frame || f->len + tx->frags[i].len > EXONET_FRAME_MAX)
				vdie("a frame no ring can hold, or a referenced fragment");
			memcpy(f->data + f->len, tx->frags[i].base, tx->frags[i].len);
			f->len += tx->frags[i].len;
		}
		d = &v->descs[v->ndescs++ % VDEV_TX_MAX];
		memset(d, 0, sizeof(*d));
		d->segs = 1;
		d->nfrags = tx->nfrags;
		d->inline_len = f->len;
		d->first_frame = v->tx_count - 1;
		d->token = tx->token = v->tx_index++;
		v->tx_pending++;
		return 0;
	}
	if (tx->hdrlen < 14 + 20 + 20 || tx->hdrlen > EXONET_FRAME_MAX)
		vdie("header length");
	if ((tx->flags & EXONET_TX_CSUM) && !(v->features & EXONET_DEV_CSUM))
		vdie("checksum offload the device does not have");
	if (tso && !(v->features & EXONET_DEV_TSO))
		vdie("TSO the device does not have");
	for (i = 0; i < tx->nfrags; i++) {
		const struct exonet_frag *f = &tx->frags[i];

		if (!f->len)
			vdie("empty fragment");
		if (f->frame) {
			size_t off = (size_t)((const uint8_t *)f->base - v->zc_base);

			if (!(v->features & EXONET_DEV_ZC) || !v->zc_base ||
			    (const uint8_t *)f->base < v->zc_base || off >= v->zc_len)
				vdie("a referenced fragment outside the frames");
			if (f->frame != v->zc_frames[off / 4096] || f->off != off % 4096 ||
			    f->off + f->len > 4096)
				vdie("a fragment's frame, offset or length is wrong");
			nref++;
		} else {
			if (nref)
				vdie("a copied fragment after a referenced one");
			copied += f->len;
		}
		if (plen + f->len > sizeof(pay))
			vdie("payload too long");
		memcpy(pay + plen, f->base, f->len);
		plen += f->len;
	}
	if (nref && tx->hdrlen + copied > EXONET_INLINE_MAX)
		vdie("headers and copies beyond the inline room");
	thoff = 14 + 20;
	thlen = (uint32_t)(h[thoff + 12] >> 4) * 4;
	if (thoff + thlen != tx->hdrlen)
		vdie("headers are not exactly Ethernet, IPv4, TCP");
	if (be16(h + 14 + 2) != 20 + thlen + plen)
		vdie("the IP length disagrees with the bytes");
	if (csum && (h[thoff + 16] || h[thoff + 17]))
		vdie("checksum offload with a non-zero checksum field");
	if (tso) {
		if (tx->mss < 64 || (h[thoff + 13] & 0x26))
			vdie("TSO with a bad MSS, or SYN, RST or URG");
		if (20 + thlen + plen > EXONET_TSO_MAX)
			vdie("TSO datagram over EXONET_TSO_MAX");
		if (tx->hdrlen + tx->mss > 1514)
			vdie("TSO segment over the MTU");
		if (plen <= tx->mss)
			vdie("a TSO descriptor of one segment");
		segs = (plen + tx->mss - 1) / tx->mss;
	} else {
		if (tx->hdrlen + plen > EXONET_FRAME_MAX)
			vdie("a frame no ring can hold");
		segs = 1;
	}
	if (v->tx_pending >= v->tx_limit || v->tx_count + segs > VDEV_TX_MAX)
		return -ENOBUFS;
	d = &v->descs[v->ndescs++ % VDEV_TX_MAX];
	d->flags = tx->flags;
	d->mss = tso ? tx->mss : 0;
	d->segs = segs;
	d->nfrags = tx->nfrags;
	d->nref = nref;
	d->inline_len = tx->hdrlen + copied;
	d->payload = plen;
	d->first_frame = v->tx_count;
	for (i = 0, nref = 0; i < tx->nfrags; i++)
		if (tx->frags[i].frame) {
			d->ref[nref] = tx->frags[i].base;
			d->ref_len[nref++] = tx->frags[i].len;
		}
	d->token = tx->token = v->tx_index++;
	seq = (uint32_t)h[thoff + 4] << 24 | (uint32_t)h[thoff + 5] << 16 |
	      (uint32_t)h[thoff + 6] << 8 | h[thoff + 7];
	for (i = 0, at = 0; i < segs; i++) {
		struct vframe *f = &v->tx[v->tx_count++];
		uint32_t n = tso ? (plen - at < tx->mss ? plen - at : tx->mss) : plen;
		uint8_t *ip = f->data + 14, *th = f->data + thoff;
		uint32_t sa, da;

		memcpy(f->data, h, tx->hdrlen);
		memcpy(f->data + tx->hdrlen, pay + at, n);
		f->len = tx->hdrlen + n;
		if (tso) {
			uint32_t sq = seq + at;

			put16(ip + 2, 20 + thlen + n);
			put16(ip + 4, be16(h + 14 + 4) + i);
			th[4] = (uint8_t)(sq >> 24), th[5] = (uint8_t)(sq >> 16);
			th[6] = (uint8_t)(sq >> 8), th[7] = (uint8_t)sq;
			if (i + 1 < segs)
				th[13] &= (uint8_t)~0x09;	/* FIN, PSH: the last */
			put16(ip + 10, 0);
			put16(ip + 10, (uint16_t)~csum16(ip, 20, 0));
		}
		if (csum) {
			memcpy(&sa, ip + 12, 4);
			memcpy(&da, ip + 16, 4);
			put16(th + 16, 0);
			put16(th + 16, tcp_csum(sa, da, th, thlen + n));
		}
		at += n;
	}
	v->tx_pending++;
	return 0;
}

static int v_flush(void *ctx)
{
	struct vdev *v = ctx;
	int n = (int)v->tx_pending;

	v->tx_pending = 0;
	v->flushes++;
	if (!v->tx_hold)
		v->tx_done = v->tx_index;
	return n;
}

static uint32_t v_tx_done(void *ctx)
{
	return ((struct vdev *)ctx)->tx_done;
}

int vdev_in_flight(const struct vdev *v, const void *p, size_t len)
{
	const uint8_t *a = p;
	uint32_t t;

	for (t = v->tx_done; (int32_t)(v->tx_index - t) > 0; t++) {
		const struct vdesc *d;
		uint32_t i;

		if (v->tx_index - t > VDEV_TX_MAX)
			continue;	/* out of the log: not checked */
		d = &v->descs[t % VDEV_TX_MAX];
		for (i = 0; i < d->nref; i++)
			if (d->ref[i] < a + len && a < d->ref[i] + d->ref_len[i])
				return 1;
	}
	return 0;
}

void vdev_complete(struct vdev *v)
{
	v->tx_done = v->tx_index;
}

void vdev_offload(struct vdev *v, struct exonet_dev *dev, uint32_t features,
		  const void *base, size_t len, const unsigned long long *frames)
{
	v->features = features;
	v->zc_base = base;
	v->zc_len = len;
	v->zc_frames = frames;
	dev->features = features;
	dev->tx_done = v_tx_done;
}

static uint64_t v_now(void *ctx)
{
	return ((struct vdev *)ctx)->now_ns;
}

void vdev_init(struct vdev *v, struct exonet_dev *dev)
{
	memset(v, 0, sizeof(*v));
	v->tx = calloc(VDEV_TX_MAX, sizeof(*v->tx));
	v->descs = calloc(VDEV_TX_MAX, sizeof(*v->descs));
	if (!v->tx || !v->descs)
		abort();
	v->tx_limit = 1024;
	v->now_ns = 1000000000ull;	/* 1 s: not zero */
	memset(dev, 0, sizeof(*dev));
	dev->ctx = v;
	memcpy(dev->mac, vdev_mac, 6);
	dev->mtu = 1500;
	dev->rx_burst = v_rx_burst;
	dev->rx_release = v_rx_release;
	dev->xmit = v_xmit;
	dev->xmit_flush = v_flush;
	dev->wait = NULL;		/* the test moves the clock */
	dev->now_ns = v_now;
}

void vdev_fini(struct vdev *v)
{
	free(v->tx);
	free(v->descs);
	v->tx = NULL;
	v->descs = NULL;
}

int vdev_inject(struct vdev *v, const void *frame, uint32_t len)
{
	struct vframe *f;

	if (v->rx_count == VDEV_RX_MAX || len > EXONET_FRAME_MAX)
		return -1;
	f = &v->rx[(v->rx_head + v->rx_count) % VDEV_RX_MAX];
	memcpy(f->data, frame, len);
	f->len = len;
	f->tstamp_ns = v->now_ns;
	v->rx_count++;
	return 0;
}

#include <arpa/inet.h>

static uint16_t csum16(const void *d, size_t n, uint32_t sum)
{
	const uint8_t *p = d;

	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An independent checksum (big-endian words), to check the stack's. */
static uint16_t tcp_csum(uint32_t saddr, uint32_t daddr, const uint8_t *th, uint32_t len)
{
	uint8_t ph[12];
	uint32_t sum;

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0, ph[9] = 6, ph[10] = (uint8_t)(len >> 8), ph[11] = (uint8_t)len;
	sum = csum16(ph, 12, 0);
	return (uint16_t)~csum16(th, len, sum);
}

uint32_t vdev_build(uint8_t *b, const struct vseg *s)
{
	uint8_t *ip = b + 14, *th = ip + 20;
	uint32_t thlen = 20 + ((s->optlen + 3u) & ~3u), tot = 20 + thlen + s->len;
	uint16_t c;

	memcpy(b, vdev_mac, 6);
	memcpy(b + 6, vdev_peer_mac, 6);
	b[12] = 0x08, b[13] = 0;
	memset(ip, 0, 20);
	ip[0] = 0x45, ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
	ip[6] = 0x40, ip[8] = 64, ip[9] = 6;
	memcpy(ip + 12, &s->saddr, 4);
	memcpy(ip + 16, &s->daddr, 4);
	c = (uint16_t)~csum16(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	memset(th, 0, thlen);
	th[0] = (uint8_t)(s->sport >> 8), th[1] = (uint8_t)s->sport;
	th[2] = (uint8_t)(s->dport >> 8), th[3] = (uint8_t)s->dport;
	th[4] = (uint8_t)(s->seq >> 24), th[5] = (uint8_t)(s->seq >> 16);
	th[6] = (uint8_t)(s->seq >> 8), th[7] = (uint8_t)s->seq;
	th[8] = (uint8_t)(s->ack >> 24), th[9] = (uint8_t)(s->ack >> 16);
	th[10] = (uint8_t)(s->ack >> 8), th[11] = (uint8_t)s->ack;
	th[12] = (uint8_t)((thlen / 4) << 4);
	th[13] = s->flags;
	th[14] = (uint8_t)(s->wnd >> 8), th[15] = (uint8_t)s->wnd;
	memcpy(th + 20, s->opts, s->optlen);
	if (s->len)
		memcpy(th + thlen, s->data, s->len);
	c = tcp_csum(s->saddr, s->daddr, th, thlen + s->len);
	th[16] = (uint8_t)(c >> 8), th[17] = (uint8_t)c;
	return 14 + tot;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *vdev_parse(const uint8_t *b, uint32_t len, struct vseg *s)
{
	const uint8_t *ip = b + 14, *th;
	uint32_t tot, thlen, i;

	memset(s, 0, sizeof(*s));
	s->mss = s->ws = -1;
	if (len < 54)
		return "frame too short";
	memcpy(s->dmac, b, 6);
	memcpy(s->smac, b + 6, 6);
	if (b[12] != 8 || b[13] != 0)
		return "not IPv4";
	if (ip[0] != 0x45)
		return "IPv4 header not 20 bytes";
	tot = (uint32_t)ip[2] << 8 | ip[3];
	if (tot + 14 != len)
		return "IPv4 total length disagrees with the frame";
	if (csum16(ip, 20, 0) != 0xffff)
		return "bad IPv4 checksum";
	if (ip[9] != 6)
		return "not TCP";
	memcpy(&s->saddr, ip + 12, 4);
	memcpy(&s->daddr, ip + 16, 4);
	th = ip + 20;
	thlen = (th[12] >> 4) * 4u;
	if (thlen < 20 || thlen > tot - 20)
		return "bad TCP data offset";
	if (tcp_csum(s->saddr, s->daddr, th, tot - 20) != 0)
		return "bad TCP checksum";
	s->sport = (uint16_t)(th[0] << 8 | th[1]);
	s->dport = (uint16_t)(th[2] << 8 | th[3]);
	s->seq = be32(th + 4);
	s->ack = be32(th + 8);
	s->flags = th[13];
	s->wnd = (uint16_t)(th[14] << 8 | th[15]);
	s->optlen = (uint8_t)(thlen - 20);
	memcpy(s->opts, th + 20, s->optlen);
	s->data = th + thlen;
	s->len = tot - 20 - thlen;
	for (i = 0; i < s->optlen; ) {
		uint8_t k = s->opts[i], l;

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= s->optlen)
			return "option runs past the header";
		l = s->opts[i + 1];
		if (l < 2 || i + l > s->optlen)
			return "bad option length";
		if (k == 2 && l == 4)
			s->mss = s->opts[i + 2] << 8 | s->opts[i + 3];
		else if (k == 3 && l == 3)
			s->ws = s->opts[i + 2];
		else if (k == 4 && l == 2)
			s->sackok = 1;
		else if (k == 8 && l == 10)
			s->has_ts = 1, s->tsval = be32(s->opts + i + 2),
			s->tsecr = be32(s->opts + i + 6);
		else if (k == 5 && (l - 2) % 8 == 0 && l > 2) {
			int j;

			s->nsack = (l - 2) / 8;
			for (j = 0; j < s->nsack && j < 4; j++) {
				s->sack[j][0] = be32(s->opts + i + 2 + 8 * j);
				s->sack[j][1] = be32(s->opts + i + 6 + 8 * j);
			}
		} else
			return "unknown or malformed option sent";
		i += l;
	}
	return NULL;
}

#include "stack.h"

const char *vdev_invariants(struct exonet *st)
{
	uint32_t i, used = 0, half = 0, aq = 0, held = 0, orph = 0, walk = 0;
	uint64_t orph_bytes = 0;
	struct exonet_sock *a;

	for (i = 0; i < st->cfg.max_conns; i++) {
		struct exonet_sock *s = &st->conns[i];
		uint32_t sum = 0, k, copy = 0;

		if (!(s->flags & CF_USED)) {
			if (s->flags & (CF_HELD | CF_ORPHAN))
				return "a free connection still counted held or orphan";
			continue;
		}
		used++;
		if (s->flags & CF_ORPHAN) {
			orph++;
			orph_bytes += s->sq_bytes;
			if (s->flags & CF_APP)
				return "an orphan the application holds";
		}
		held += !!(s->flags & CF_HELD);
		if (s->state == EXONET_SYN_RCVD)
			half++;
		if (s->state == EXONET_CLOSED)
			continue;
		if (seq_gt(s->snd_una, s->snd_nxt) || seq_gt(s->snd_nxt, s->snd_max))
			return "snd_una <= snd_nxt <= snd_max broken";
		if (s->sq_count > st->cfg.sndq_refs)
			return "send queue over its bound";
		for (k = 0; k < s->sq_count; k++) {
			const struct en_sref *e = &s->sq[(s->sq_head + k) & (st->cfg.sndq_refs - 1)];

			sum += e->len;
			if (!e->base)
				copy += e->len;
		}
		if (sum - s->sq_off != s->sq_bytes)
			return "sq_bytes disagrees with the queue";
		if (s->sb_len > st->cfg.sndbuf)
			return "copy ring over its size";
		if (s->state != EXONET_SYN_RCVD &&
		    seq_gt(s->snd_max, s->snd_una + s->sq_bytes + 1))
			return "sent past the queued data and FIN";
		if (s->rcv_nxt - s->rd_seq > st->cfg.rcvbuf)
			return "readable bytes over the receive buffer";
		if (s->nooo > EN_OOO_MAX)
			return "too many out-of-order ranges";
		for (k = 0; k < s->nooo; k++) {
			if (!seq_lt(s->ooo[k][0], s->ooo[k][1]))
				return "empty or reversed out-of-order range";
			if (!seq_gt(s->ooo[k][0], s->rcv_nxt))
				return "out-of-order range not beyond rcv_nxt";
			if (seq_gt(s->ooo[k][1], s->rd_seq + st->cfg.rcvbuf))
				return "out-of-order range past the buffer";
			if (k && !seq_gt(s->ooo[k][0], s->ooo[k - 1][1]))
				return "out-of-order ranges overlap or touch";
		}
		if (s->cwnd == 0 && s->state != EXONET_SYN_RCVD)
			return "zero congestion window";
	}
	if (used != st->nconns)
		return "nconns disagrees with the pool";
	if (held != st->nheld)
		return "nheld disagrees with the CF_HELD count";
	if (half != st->half_open)
		return "half_open disagrees with the SYN_RCVD count";
	if (st->half_open > st->cfg.max_conns)
		return "half_open over the pool";
	for (a = st->acceptq_head; a; a = a->next_accept) {
		if (!(a->flags & CF_USED) || (a->flags & CF_APP))
			return "accept queue holds a free or accepted socket";
		if (++aq > st->cfg.max_conns)
			return "accept queue loops";
	}
	if (aq != st->acceptq_len || aq > st->backlog)
		return "accept queue length wrong or over the backlog";
	if (st->tw_count > st->cfg.max_timewait || st->tw_live > st->tw_count)
		return "TIME_WAIT table over its bound";
	if (orph != st->norphans || orph_bytes != st->orphan_bytes)
		return "norphans or orphan_bytes disagree with the pool";
	if (st->norphans > st->cfg.max_orphans || st->orphan_bytes > st->cfg.max_orphan_bytes)
		return "orphans over their caps";
	for (i = st->orph_head; i; i = st->conns[i - 1].orph_next) {
		a = &st->conns[i - 1];
		if (!(a->flags & CF_ORPHAN) || ++walk > orph)
			return "orphan FIFO holds a non-orphan or loops";
		if (a->orph_next && st->conns[a->orph_next - 1].orph_prev != i)
			return "orphan FIFO links broken";
		if (a->orph_next && st->conns[a->orph_next - 1].orphan_at < a->orphan_at)
			return "orphan FIFO out of close order";
	}
	if (walk != orph)
		return "orphan FIFO misses orphans";
	return NULL;
}
