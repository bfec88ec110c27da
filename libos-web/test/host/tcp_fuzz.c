// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * tcp_fuzz — random and malicious segments against a listening stack,
 * with an application that accepts, reads, writes (copies and
 * references), shuts down, closes and aborts at random, a clock that
 * jumps, and a transmit ring that now and then fills.  Segments are aimed near the live connections' windows (the
 * interesting cases) or anywhere; headers, options and lengths are
 * mutated; frames are truncated.  After every step the stack's
 * invariants must hold; every frame it sends must be well formed; every
 * zero-copy reference is released exactly once; and when the peers go
 * quiet and the application closes everything, everything is freed.
 *
 * With --offload the device has checksum offload, TSO and zero-copy
 * fragments (its checks abort on any descriptor exo's kernel would
 * refuse), the references lie in frames (a few pages plain memory), and
 * transmit completions are now and then held back: a reference must then
 * be released only after its descriptors complete, still exactly once.
 *
 *   tcp_fuzz [--offload] [steps] [seed]      (defaults: 200000, 1)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack.h"
#include "vdev.h"

#define NPORTS 24
#define NREFS 4096

static struct vdev v;
static struct exonet *st;
static uint32_t laddr, paddr;
static uint64_t rng;
static unsigned int released[NREFS], refs_made;
static int double_release;
static uint8_t appbuf[1 << 16] __attribute__((aligned(4096)));
/* references: each its own bytes, so a release can be checked against
 * the descriptors in flight (32 MiB of zero pages, bump allocated) */
static uint8_t refbuf[1 << 25] __attribute__((aligned(4096)));
static unsigned long long frames[sizeof(refbuf) / 4096];
static const uint8_t *ref_at[NREFS];
static uint32_t ref_len[NREFS], ref_cursor;
static int released_in_flight;
static struct exonet_sock *socks[NPORTS];

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void rel(void *cookie)
{
	uintptr_t i = (uintptr_t)cookie;

	if (i >= NREFS || released[i]++)
		double_release = 1;
	else if (vdev_in_flight(&v, ref_at[i], ref_len[i]))
		released_in_flight = 1;
}

static struct exonet_sock *conn_for(uint16_t port)
{
	return en_conn_lookup(st, paddr, port);
}

/* A segment from port 5000+k, aimed near its connection's numbers. */
static void random_segment(void)
{
	struct vseg s = { 0 };
	uint8_t f[EXONET_FRAME_MAX], data[1500];
	uint16_t port = (uint16_t)(5000 + rnd() % NPORTS);
	struct exonet_sock *c = conn_for(port);
	uint32_t len, i, flen;

	s.saddr = paddr, s.daddr = laddr, s.sport = port, s.dport = 80;
	s.flags = (uint8_t)(rnd() & 0x3f);
	if (rnd() % 3 == 0)
		s.flags = TH_SYN;
	else if (rnd() % 2)
		s.flags = TH_ACK | (uint8_t)(rnd() % 4 ? 0 : (rnd() & (TH_FIN | TH_PSH | TH_RST)));
	if (c && rnd() % 8) {
		s.seq = c->rcv_nxt + (uint32_t)((int32_t)(rnd() % 8192) - 2048);
		s.ack = c->snd_una + (uint32_t)((int32_t)(rnd() % 8192) - 1024);
		if (rnd() % 2) {
			s.seq = c->rcv_nxt;
			s.ack = c->snd_max;
		}
	} else {
		s.seq = rnd();
		s.ack = rnd();
	}
	s.wnd = (uint16_t)(rnd() % 4 ? 65535 : rnd());
	if (rnd() % 2) {
		/* options: sane ones or random bytes */
		if (rnd() % 2) {
			static const uint8_t good[] = { 2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10,
							0, 0, 0, 1, 0, 0, 0, 0 };
			memcpy(s.opts, good, sizeof(good));
			s.optlen = sizeof(good);
			if (rnd() % 4 == 0) {
				s.opts[rnd() % sizeof(good)] = (uint8_t)rnd();
			}
		} else {
			s.optlen = (uint8_t)(rnd() % 41);
			for (i = 0; i < s.optlen; i++)
				s.opts[i] = (uint8_t)(rnd() % 4 ? rnd() % 10 : rnd());
		}
	}
	len = rnd() % 4 ? 0 : rnd() % 1400;
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)rnd();
	s.data = data;
	s.len = len;
	flen = vdev_build(f, &s);
	switch (rnd() % 16) {
	case 0:		/* truncated */
		flen = rnd() % flen;
		break;
	case 1:		/* one byte anywhere changed (checksums then fail, mostly) */
		f[rnd() % flen] ^= (uint8_t)(1 + rnd() % 255);
		break;
	case 2:		/* pure noise */
		for (i = 0; i < flen; i++)
			f[i] = (uint8_t)rnd();
		break;
	default:
		break;
	}
	vdev_inject(&v, f, flen);
}

/* A peer that does the handshake right, so there are connections. */
static void handshake(void)
{
	struct vseg s = { 0 }, r;
	uint8_t f[200];
	uint16_t port = (uint16_t)(5000 + rnd() % NPORTS);
	unsigned int before = v.tx_count, i;

	s.saddr = paddr, s.daddr = laddr, s.sport = port, s.dport = 80;
	s.seq = rnd();
	s.flags = TH_SYN;
	s.wnd = 65535;
	memcpy(s.opts, (const uint8_t[]){ 2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1 }, 12);
	s.optlen = 12;
	vdev_inject(&v, f, vdev_build(f, &s));
	{
		struct exonet_event ev[64];

		exonet_poll(st, ev, 64, 0);
	}
	for (i = before; i < v.tx_count; i++) {
		if (vdev_parse(v.tx[i].data, v.tx[i].len, &r) || r.dport != port ||
		    r.flags != (TH_SYN | TH_ACK))
			continue;
		memset(&s, 0, sizeof(s));
		s.saddr = paddr, s.daddr = laddr, s.sport = port, s.dport = 80;
		s.seq = r.ack;
		s.ack = r.seq + 1;
		s.flags = TH_ACK;
		s.wnd = 65535;
		vdev_inject(&v, f, vdev_build(f, &s));
		break;
	}
}

static void app_step(void)
{
	struct exonet_sock *ls = &st->listener, *s;
	unsigned int k = rnd() % NPORTS;
	uint8_t buf[4096];
	uint16_t port;

	switch (rnd() % 8) {
	case 0:
		while ((s = exonet_accept(ls))) {
			exonet_sock_peer(s, NULL, &port);
			if (socks[port - 5000]) {
				/* the old one must be over: two live pairs are a bug */
				if (exonet_sock_state(socks[port - 5000]) != EXONET_CLOSED)
					abort();
				exonet_close(socks[port - 5000]);
			}
			socks[port - 5000] = s;
		}
		return;
	case 1:
		if (socks[k])
			exonet_read(socks[k], buf, rnd() % sizeof(buf));
		return;
	case 2:
		if (socks[k])
			exonet_write(socks[k], appbuf, rnd() % 3000, rnd() % 2 ? EXONET_WR_MORE : 0);
		return;
	case 3:
		if (socks[k] && refs_made < NREFS) {
			uint32_t len = 1 + rnd() % 20000, at = ref_cursor + rnd() % 1000;
			ssize_t r;

			if (at + len > sizeof(refbuf))
				at = rnd() % 1000;
			r = exonet_write_ref(socks[k], refbuf + at, len, 0, rel,
					     (void *)(uintptr_t)refs_made);
			if (r > 0) {
				ref_at[refs_made] = refbuf + at;
				ref_len[refs_made++] = len;
				ref_cursor = at + len;
			}
		}
		return;
	case 4:
		if (socks[k] && rnd() % 4 == 0)
			exonet_shutdown(socks[k], (int[]){ SHUT_RD, SHUT_WR, SHUT_RDWR }[rnd() % 3]);
		return;
	case 5:
		if (socks[k] && rnd() % 6 == 0) {
			if (rnd() % 3)
				exonet_close(socks[k]);
			else
				exonet_abort(socks[k]);
			socks[k] = NULL;
		}
		return;
	default:
		if (socks[k] && exonet_sock_state(socks[k]) == EXONET_CLOSED && rnd() % 2) {
			exonet_close(socks[k]);
			socks[k] = NULL;
		}
		return;
	}
}

int main(int argc, char **argv)
{
	int offload = argc > 1 && !strcmp(argv[1], "--offload");
	unsigned long steps = argc > 1 + offload ? strtoul(argv[1 + offload], NULL, 0) : 200000;
	unsigned long seed = argc > 2 + offload ? strtoul(argv[2 + offload], NULL, 0) : 1, i;
	struct exonet_config cfg;
	struct exonet_dev dev;
	const char *inv = NULL, *bad_frame = NULL;
	unsigned int checked = 0, k, unreleased = 0;

	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	exonet_config_init(&cfg);
	cfg.max_conns = 16;
	cfg.syn_backlog = 4;
	cfg.max_timewait = 8;
	cfg.rcvbuf = 8192;
	cfg.sndbuf = 8192;
	cfg.sndq_refs = 8;
	cfg.msl_ms = 2000;
	cfg.keepalive_idle_ms = 20000;
	cfg.keepalive_intvl_ms = 1000;
	cfg.max_retries = 5;
	cfg.max_orphans = 3;		/* the caps and lifetime in play */
	cfg.max_orphan_bytes = 12000;
	cfg.orphan_lifetime_ms = 30000;
	cfg.fin_wait2_ms = 10000;
	vdev_init(&v, &dev);
	inet_pton(AF_INET, "10.0.0.1", &laddr);
	inet_pton(AF_INET, "10.0.0.2", &paddr);
	if (offload) {
		for (k = 0; k < sizeof(frames) / sizeof(frames[0]); k++)
			frames[k] = k % 5 == 3 ? 0 : 0x20000 + k;
		vdev_offload(&v, &dev, EXONET_DEV_CSUM | EXONET_DEV_TSO | EXONET_DEV_ZC,
			     refbuf, sizeof(refbuf), frames);
	}
	st = exonet_new(&dev, laddr, 80, &cfg);
	if (!st)
		return 2;
	if (offload && exonet_tx_region(st, refbuf, sizeof(refbuf), frames))
		return 2;
	exonet_listen(st, 8);
	printf("# seed %lu, %lu steps%s\n", seed, steps, offload ? ", offloads" : "");
	for (i = 0; i < steps && !inv && !bad_frame; i++) {
		struct exonet_event ev[64];
		unsigned int r = rnd() % 16;

		if (r < 2)
			handshake();
		else if (r < 10)
			random_segment();
		else if (r < 14)
			app_step();
		else
			v.now_ns += (uint64_t)(rnd() % (rnd() % 8 ? 50 : 5000)) * 1000000ull;
		/* now and then the transmit ring fills (0: stays full) */
		if (rnd() % 64 == 0)
			v.tx_limit = rnd() % 4 ? 1024 : rnd() % 3;
		/* now and then completions are held back, or come now */
		if (offload && rnd() % 32 == 0) {
			v.tx_hold = !v.tx_hold;
			if (rnd() % 2)
				vdev_complete(&v);
		}
		if (rnd() % 2)
			exonet_poll(st, ev, 64, 0);
		else if (rnd() % 4 == 0)
			exonet_flush(st);
		inv = vdev_invariants(st);
		for (; checked < v.tx_count && !bad_frame; checked++) {
			struct vseg s;

			bad_frame = vdev_parse(v.tx[checked].data, v.tx[checked].len, &s);
			if (!bad_frame && (s.saddr != laddr || s.daddr != paddr || s.sport != 80 ||
					   s.len > st->mss))
				bad_frame = "wrong addresses, port, or a segment over the MSS";
		}
		if (v.tx_count > VDEV_TX_MAX - 512)
			v.tx_count = checked = 0;	/* recycle the capture */
	}
	{
		struct exonet_stats x;

		exonet_stats(st, &x);
		printf("# descriptors %llu (TSO %llu), fragments referenced %llu, releases deferred %llu\n",
		       (unsigned long long)x.tx_frames, (unsigned long long)x.tx_tso,
		       (unsigned long long)x.tx_zc_frags,
		       (unsigned long long)x.tx_releases_deferred);
		printf("# frames %llu, conns made %llu, cookies %llu/%llu, resets in %llu, "
		       "challenge ACKs %llu, out-of-order %llu, TIME_WAIT %llu, retransmits %llu, "
		       "bad csum %llu, bad tcp %llu, bad ip %llu, orphans reset %llu\n",
		       (unsigned long long)x.rx_frames, (unsigned long long)x.conns_accepted,
		       (unsigned long long)x.syn_cookies_ok, (unsigned long long)x.syn_cookies_sent,
		       (unsigned long long)x.rst_recv, (unsigned long long)x.challenge_acks,
		       (unsigned long long)x.ooo_segments, (unsigned long long)x.timewait,
		       (unsigned long long)x.retransmits, (unsigned long long)x.rx_bad_csum,
		       (unsigned long long)x.rx_bad_tcp, (unsigned long long)x.rx_bad_ip,
		       (unsigned long long)x.orphans_reset);
	}
	printf("%s 1 - %lu random steps: no crash, invariants hold%s%s\n",
	       inv ? "not ok" : "ok", i, inv ? ": " : "", inv ? inv : "");
	printf("%s 2 - every frame sent is well formed%s%s\n",
	       bad_frame ? "not ok" : "ok", bad_frame ? ": " : "", bad_frame ? bad_frame : "");
	/* the application closes everything; the peers go quiet */
	v.tx_limit = 1024;
	v.tx_hold = 0;
	for (k = 0; k < NPORTS; k++)
		if (socks[k])
			exonet_close(socks[k]);
	for (i = 0; i < 400; i++) {
		struct exonet_event ev[64];
		struct exonet_sock *s;

		while ((s = exonet_accept(&st->listener)))
			exonet_close(s);
		v.now_ns += 1000ull * 1000000ull;
		exonet_poll(st, ev, 64, 0);
	}
	printf("%s 3 - everything is freed after close and timeouts (conns %u, TIME_WAIT %u)\n",
	       exonet_conn_count(st) || exonet_timewait_count(st) ? "not ok" : "ok",
	       exonet_conn_count(st), exonet_timewait_count(st));
	for (k = 0; k < refs_made; k++)
		unreleased += !released[k];
	printf("%s 4 - each of %u references released exactly once (%u not, %s), never while a descriptor that referenced it was in flight%s\n",
	       unreleased || double_release || released_in_flight ? "not ok" : "ok",
	       refs_made, unreleased, double_release ? "some twice" : "none twice",
	       released_in_flight ? ": ONE WAS" : "");
	printf("1..4\n");
	k = inv || bad_frame || exonet_conn_count(st) || exonet_timewait_count(st) ||
	    unreleased || double_release || released_in_flight;
	exonet_free(st);
	vdev_fini(&v);
	return (int)k;
}
