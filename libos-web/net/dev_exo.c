// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * dev_exo.c — the exo NIC binding as an exonet device.
 *
 * Receive: frames are read in place from the binding's ring slots (no
 * copy) and the slots given back after the burst.  Transmit: each frame
 * is written straight into the next transmit slot (headers, then the
 * payload fragments: the one copy), committed, and all of a step's frames
 * go with one kick (EXO_IOC_NIC_TX), or, when the step ends in a sleep,
 * with the sleep itself (EXO_WAIT_TX: one kernel entry for both, and none
 * for a kick with nothing to send).  Sleeping: exo_wait() with a
 * predicate.  On a binding of its own the stack wakes lazily
 * (bpf/tcp_wake): its filter counts each packet urgent (SYN, RST, data)
 * or lazy (an ACK or FIN alone), and the predicate wakes for an urgent
 * one, for half a ring, or after EN_LAZY_NS, so that the ACK of a
 * response or a closing FIN is read with the next request instead of
 * costing a wakeup of its own; while any connection's data waits on the
 * window (st->nheld) every packet is urgent.  Otherwise (the caller's
 * binding, EXONET_CFG_NO_LAZY_WAKE, per-packet mode) a predicate that
 * wakes on the first packet (bpf/pred_batch with k = 1; it also sees
 * packets that arrived before the call, so no wakeup is lost), or, when
 * the caller may not load BPF, no predicate and a bounded timeout.  An
 * optional second binding (an ICMP flow) is drained too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <exo.h>
#include <linux/exo.h>

#include "stack.h"

/* how long a lone ACK or FIN may wait for the next urgent packet */
#define EN_LAZY_NS	10000000ull

struct exo_dev {
	int fd;
	bool own_fd;
	struct exo_nic *nic[2];		/* TCP, then ICMP (may be NULL) */
	struct exo_nic *owned[2];
	unsigned int peeked[2];
	bool offload[2];		/* bound with EXO_NIC_BIND_TX_OFFLOAD */
	int pred;			/* predicate program fd, or -1 */
	bool per_pkt;			/* EXONET_CFG_WAKE_PER_PACKET */
	uint64_t waits, kicks;		/* kernel entries made */
	struct exo_tcp_wake *wake;	/* lazy wakeups (d->pred is its) */
	bool zc_queued;			/* frames attached since the last sleep */
	struct exonet *st;		/* the stack on this device */
	bool attached;
	char ifname[32];
};

static unsigned int exo_rx_burst(void *ctx, struct exonet_rxpkt *pkts, unsigned int max)
{
	struct exo_dev *d = ctx;
	struct exo_nic_pkt p[EN_RX_BURST];
	unsigned int n = 0, i, k;

	for (k = 0; k < 2; k++) {
		unsigned int got, filtered = 0;

		d->peeked[k] = 0;
		if (!d->nic[k] || n == max)
			continue;
		got = exo_nic__rx_burst(d->nic[k], p, EN_MIN(max - n, (unsigned int)EN_RX_BURST));
		for (i = 0; i < got; i++) {
			filtered += !!(p[i].flags & EXO_NIC_DESC_FILTERED);
			pkts[n + i].data = p[i].data;
			/* the kernel wrote len; still, never past the slot */
			pkts[n + i].len = EN_MIN((uint32_t)p[i].len, (uint32_t)EXO_NIC_MAX_LEN);
			pkts[n + i].tstamp_ns = p[i].tstamp_ns;	/* CLOCK_MONOTONIC */
		}
		/* tcp_wake: what the filter counted is read up to here */
		if (k == 0 && d->wake)
			exo_tcp_wake_drained(d->wake, filtered);
		d->peeked[k] = got;
		n += got;
	}
	return n;
}

static void exo_rx_release(void *ctx, unsigned int n)
{
	struct exo_dev *d = ctx;
	unsigned int k;

	for (k = 0; k < 2 && n; k++) {
		unsigned int m = EN_MIN(n, d->peeked[k]);

		if (m && d->nic[k])
			exo_nic__rx_release(d->nic[k], m);
		n -= m;
	}
}

static struct exo_nic *tx_nic(struct exo_dev *d, const uint8_t *hdr)
{
	/* an ICMP reply leaves through the ICMP flow's ring */
	if (d->nic[1] && hdr[EN_ETH_HLEN + 9] == 1)
		return d->nic[1];
	return d->nic[0];
}

static int exo_xmit(void *ctx, struct exonet_tx *tx)
{
	struct exo_dev *d = ctx;
	struct exo_nic *nic = tx_nic(d, tx->hdr);
	struct exo_nic_frag fr[EXO_NIC_TX_MAX_FRAGS];
	uint32_t len = tx->hdrlen, i, nfr = 0, copied = 0;
	uint16_t flags = 0;
	uint8_t *slot;

	for (i = 0; i < tx->nfrags; i++) {
		if (tx->frags[i].frame)
			nfr++;
		else
			copied += tx->frags[i].len;
	}
	if (!d->offload[nic == d->nic[1]]) {
		/* a plain binding: the whole frame into the slot */
		if (nfr || tx->flags)
			return -EINVAL;
		if (len + copied > EXO_NIC_MAX_LEN)
			return -EMSGSIZE;
	} else if (nfr > EXO_NIC_TX_MAX_FRAGS ||
		   len + copied > (nfr ? EXO_NIC_TX_FRAG_OFF - EXO_NIC_DATA_OFF :
				   EXO_NIC_MAX_LEN)) {
		return -EMSGSIZE;
	}
	slot = exo_nic__tx_slot(nic);
	if (!slot)
		return -ENOBUFS;
	memcpy(slot, tx->hdr, tx->hdrlen);
	for (i = 0; i < tx->nfrags; i++) {
		const struct exonet_frag *f = &tx->frags[i];

		if (f->frame)
			continue;	/* after the copies: attached below */
		memcpy(slot + len, f->base, f->len);
		len += f->len;
	}
	if (!d->offload[nic == d->nic[1]]) {
		exo_nic__tx_commit(nic, (__u16)len);
		return 0;
	}
	nfr = 0;
	for (i = 0; i < tx->nfrags; i++) {
		const struct exonet_frag *f = &tx->frags[i];

		if (!f->frame)
			continue;
		fr[nfr].frame = f->frame;
		fr[nfr].off = f->off;
		fr[nfr].len = f->len;
		nfr++;
	}
	if (tx->flags & EXONET_TX_CSUM)
		flags |= EXO_NIC_TX_CSUM;
	if (tx->flags & EXONET_TX_TSO)
		flags |= EXO_NIC_TX_TSO;
	tx->token = exo_nic__tx_index(nic);
	d->zc_queued |= nfr != 0;
	return exo_nic__tx_commit_ext(nic, (__u16)len, flags,
				      (tx->flags & EXONET_TX_TSO) ? tx->mss : 0,
				      fr, nfr);
}

static uint32_t exo_tx_done(void *ctx)
{
	struct exo_dev *d = ctx;

	return exo_nic__tx_done(d->nic[0]);
}

/* Committed transmit slots the kernel has not read yet. */
static bool tx_unread(struct exo_nic *nic)
{
	return __atomic_load_n(&exo_nic__ring(nic)->tx_tail, __ATOMIC_ACQUIRE) !=
	       exo_nic__tx_index(nic);
}

/* Kick ring @k; it enters the kernel only with slots it has not read. */
static int kick(struct exo_dev *d, int k)
{
	if (tx_unread(d->nic[k]))
		d->kicks++;
	return exo_nic__tx_kick(d->nic[k], NULL);
}

static int exo_xmit_flush(void *ctx)
{
	struct exo_dev *d = ctx;
	int k, ret, total = 0;

	for (k = 0; k < 2; k++) {
		if (!d->nic[k])
			continue;
		ret = kick(d, k);
		if (ret < 0)
			return ret;
		total += ret;
	}
	return total;
}

static uint64_t exo_now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int exo_dev_wait(void *ctx, uint64_t deadline)
{
	struct exo_dev *d = ctx;
	struct exo_wait_opts wo = { .prog_fd = d->pred, .nic = d->nic[0] };
	uint64_t now = exo_now_ns(ctx), t;
	int ret;

	/*
	 * Frames already waiting: no sleep, and no kernel entry either
	 * beyond the kick of what the step queued (EXONET_DEV_WAIT_TX: the
	 * stack did not flush), unless every frame is to cost one (then
	 * exo_wait() returns at once: the predicate sees the waiting frame).
	 */
	if (!(d->per_pkt && d->pred >= 0) &&
	    (exo_nic__rx_pending(d->nic[0]) ||
	     (d->nic[1] && exo_nic__rx_pending(d->nic[1])))) {
		ret = exo_xmit_flush(ctx);
		return ret < 0 && ret != -ENOBUFS ? ret : 0;
	}
	if (deadline <= now) {
		ret = exo_xmit_flush(ctx);
		return ret < 0 && ret != -ENOBUFS ? ret : -ETIME;
	}
	/* the ICMP ring's frames by a kick, the TCP ring's with the sleep */
	if (d->nic[1]) {
		ret = kick(d, 1);
		if (ret < 0 && ret != -ENOBUFS)
			return ret;
	}
	wo.flags = EXO_WAIT_TX;
	t = deadline - now;
	/*
	 * Without a predicate (or with a second ring it does not watch),
	 * a packet that came between the check above and the wait would
	 * wait for the next event: bound the sleep.
	 */
	if ((d->pred < 0 || d->nic[1]) && t > 20000000ull)
		t = 20000000ull;
	if (t > EXO_WAIT_MAX_NS)
		t = EXO_WAIT_MAX_NS;
	wo.timeout_ns = t;
	if (d->wake) {
		/*
		 * What was marked is read.  Lazily, unless a send waits on
		 * the peer's ACKs (the window), or frames attached to packets
		 * are (or are about to be) in flight: a transmit slot is used
		 * again only once its frames' packet is gone, and it is the
		 * ACKs that wake us to send on.
		 */
		exo_tcp_wake_arm(d->wake, d->st->nheld || d->zc_queued ||
				 exo_nic__tx_done(d->nic[0]) !=
				 __atomic_load_n(&exo_nic__ring(d->nic[0])->tx_tail,
						 __ATOMIC_ACQUIRE));
		d->zc_queued = false;
		wo.tick_ns = EN_LAZY_NS;
	}
	d->waits++;		/* with or without a send */
	ret = exo_wait(d->fd, &wo, NULL, NULL);
	return ret == -ETIME ? -ETIME : ret;
}

static void exo_destroy(void *ctx)
{
	struct exo_dev *d = ctx;

	exo_nic__free(d->owned[1]);
	exo_nic__free(d->owned[0]);
	if (d->wake)
		exo_tcp_wake_free(d->wake);
	else if (d->pred >= 0)
		close(d->pred);
	if (d->own_fd)
		exo_close(d->fd);
	free(d);
}

static struct exonet *make(struct exo_dev *d, uint32_t addr, uint16_t port,
			   const struct exonet_config *cfg)
{
	struct exo_nic_ring *r = exo_nic__ring(d->nic[0]);
	struct exonet_dev dev = {
		.ctx = d,
		.rx_burst = exo_rx_burst,
		.rx_release = exo_rx_release,
		.xmit = exo_xmit,
		.xmit_flush = exo_xmit_flush,
		.tx_done = exo_tx_done,
		.wait = exo_dev_wait,
		.now_ns = exo_now_ns,
		.destroy = exo_destroy,
	};

	memcpy(dev.mac, r->mac, 6);
	d->per_pkt = cfg && (cfg->flags & EXONET_CFG_WAKE_PER_PACKET);
	dev.features = EXONET_DEV_WAIT_TX;
	if (d->offload[0])
		dev.features |= EXONET_DEV_CSUM | EXONET_DEV_TSO | EXONET_DEV_ZC;
	dev.mtu = r->mtu ? r->mtu : 1500;
	if (!d->nic[1] && d->owned[0] && !d->per_pkt &&
	    !(cfg && (cfg->flags & EXONET_CFG_NO_LAZY_WAKE))) {
		/* our own binding: its filter and the predicate, lazily */
		d->wake = exo_tcp_wake_load(EN_MAX(r->rx_slots / 2, 1u), EN_LAZY_NS);
		if (d->wake && exo_nic__filter_ebpf(d->nic[0],
						     exo_tcp_wake_filter(d->wake))) {
			exo_tcp_wake_free(d->wake);
			d->wake = NULL;
		}
		if (d->wake)
			d->pred = exo_tcp_wake_pred(d->wake);
	}
	if (!d->nic[1] && !d->wake) {
		/* one ring: the predicate watches it (needs CAP_BPF) */
		d->pred = exo_bpf_pred_batch(1, 0);
		if (d->pred < 0)
			d->pred = -1;
	}
	d->st = exonet_new(&dev, addr, port, cfg);
	return d->st;
}

int exonet_exo_entries(const struct exonet *st, uint64_t *waits, uint64_t *kicks)
{
	const struct exo_dev *d = st->dev.ctx;

	if (st->dev.wait != exo_dev_wait)
		return -EINVAL;
	*waits = d->waits;
	*kicks = d->kicks;
	return 0;
}

int exonet_exo_wakes(const struct exonet *st, uint64_t *urgent, uint64_t *lazy)
{
	const struct exo_dev *d = st->dev.ctx;
	__u64 u, l;

	if (st->dev.wait != exo_dev_wait)
		return -EINVAL;
	if (!d->wake)
		return -ENOENT;
	exo_tcp_wake_counts(d->wake, &u, &l);
	*urgent = u;
	*lazy = l;
	return 0;
}

struct exonet *exonet_new_exo(int exo_fd, struct exo_nic *tcp, struct exo_nic *icmp,
			      const struct exonet_config *cfg)
{
	struct exo_dev *d;
	struct exo_nic_ring *r;
	struct exonet *st;

	if (!tcp) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->fd = exo_fd;
	d->pred = -1;
	d->nic[0] = tcp;
	d->nic[1] = icmp;
	r = exo_nic__ring(tcp);
	st = make(d, r->laddr, r->lport, cfg);
	if (!st) {
		int e = errno;

		exo_destroy(d);
		errno = e;
	}
	return st;
}

struct exonet *exonet_open(const char *ifname, const char *addr, uint16_t port,
			   const struct exonet_config *cfg)
{
	struct exonet_config c;
	struct exo_dev *d;
	struct in_addr a;
	struct exonet *st;
	exo_cap_t flow;
	int ret;

	exonet_config_init(&c);
	if (cfg)
		memcpy(&c, cfg, EN_MIN(cfg->sz ? cfg->sz : sizeof(c), sizeof(c)));
	c.sz = sizeof(c);
	if (!c.rx_frames)
		c.rx_frames = 512;
	if (!c.tx_frames)
		c.tx_frames = 64;
	if (!ifname || !addr || inet_pton(AF_INET, addr, &a) != 1 ||
	    strlen(ifname) >= sizeof(d->ifname)) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->pred = -1;
	if (c.flags & EXONET_CFG_EXO_FD) {
		d->fd = c.exo_fd;
	} else {
		d->fd = exo_open();
		if (d->fd < 0) {
			ret = d->fd;
			free(d);
			errno = -ret;
			return NULL;
		}
		d->own_fd = true;
	}
	if (!(c.flags & EXONET_CFG_NO_ATTACH)) {
		ret = exo_nic_attach(d->fd, ifname);
		/* EBUSY: attached already; EPERM: not root, rely on root's */
		if (ret && ret != -EBUSY && ret != -EPERM)
			goto fail;
	}
	ret = exo_flow_alloc(d->fd, ifname, IPPROTO_TCP, addr, port, NULL, 0, &flow);
	if (ret)
		goto fail;
	/*
	 * Transmit offloads (checksum, TSO, fragments from frames) unless
	 * all are turned off; a kernel without them answers EINVAL and
	 * gets a plain binding.
	 */
	if ((c.flags & (EXONET_CFG_NO_CSUM_OFFLOAD | EXONET_CFG_NO_TSO |
			EXONET_CFG_NO_ZC_TX)) != (EXONET_CFG_NO_CSUM_OFFLOAD |
			EXONET_CFG_NO_TSO | EXONET_CFG_NO_ZC_TX)) {
		d->nic[0] = exo_nic__bind_flags(d->fd, flow, c.rx_frames, c.tx_frames,
						EXO_NIC_BIND_TX_OFFLOAD);
		d->offload[0] = d->nic[0] != NULL;
		if (!d->nic[0] && errno != EINVAL) {
			ret = -errno;
			goto fail;
		}
	}
	if (!d->nic[0])
		d->nic[0] = exo_nic__bind(d->fd, flow, c.rx_frames, c.tx_frames);
	d->owned[0] = d->nic[0];
	if (!d->nic[0]) {
		ret = -errno;
		goto fail;
	}
	if (c.icmp) {
		ret = exo_flow_alloc(d->fd, ifname, IPPROTO_ICMP, addr, 0, NULL, 0, &flow);
		if (ret)
			goto fail;
		d->owned[1] = d->nic[1] = exo_nic__bind(d->fd, flow, 4, 4);
		if (!d->nic[1]) {
			ret = -errno;
			goto fail;
		}
	}
	st = make(d, a.s_addr, port, &c);
	if (!st) {
		ret = -errno;
		goto fail;
	}
	return st;
fail:
	exo_destroy(d);
	errno = -ret;
	return NULL;
}
