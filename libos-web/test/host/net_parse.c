// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * net_parse — checksums, ISNs, ICMP echo, and malformed frames: each bad
 * frame must be dropped, counted, and answered with nothing.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "vdev.h"

static int n, bad;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	bad |= !cond;
}

/* Reference: RFC 1071's big-endian word sum, bytes one by one. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t ours_be(uint16_t c)	/* the stack's result as stored bytes */
{
	uint8_t b[2];

	memcpy(b, &c, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void test_csum(void)
{
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[3000];
	int i, good = 1, good_frag = 1;

	/* RFC 1071 3: the sum of that example is 0xddf2 */
	ok(ours_be(en_csum(rfc, sizeof(rfc))) == (uint16_t)~0xddf2,
	   "checksum: RFC 1071 example");
	srand(1);
	for (i = 0; i < 2000; i++) {
		size_t len = (size_t)(rand() % 2999), a, b, k;
		uint32_t sum;

		for (k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		if (ours_be(en_csum(buf, len)) != ref_csum(buf, len))
			good = 0;
		/* the same bytes in three fragments of any parity */
		a = len ? (size_t)rand() % (len + 1) : 0;
		b = a + (len - a ? (size_t)rand() % (len - a + 1) : 0);
		sum = en_csum_add(0, buf, a, false);
		sum = en_csum_add(sum, buf + a, b - a, a & 1);
		sum = en_csum_add(sum, buf + b, len - b, b & 1);
		if (ours_be(en_csum_fold(sum)) != ref_csum(buf, len))
			good_frag = 0;
	}
	ok(good, "checksum: 2000 random buffers agree with a byte-wise reference");
	ok(good_frag, "checksum: split at odd and even offsets, the sum is the same");
}

/* ---- a stack on the virtual wire ---- */
static struct vdev v;
static struct exonet *st;
static uint32_t laddr, paddr;

static void fresh(void)
{
	struct exonet_dev dev;

	if (st)
		exonet_free(st);
	vdev_fini(&v);
	vdev_init(&v, &dev);
	inet_pton(AF_INET, "10.0.0.1", &laddr);
	inet_pton(AF_INET, "10.0.0.2", &paddr);
	st = exonet_new(&dev, laddr, 80, NULL);
	if (!st)
		abort();
	exonet_listen(st, 16);
}

static void poll_once(void)
{
	struct exonet_event ev[16];

	exonet_poll(st, ev, 16, 0);
	exonet_flush(st);
}

static uint32_t syn(uint8_t *f)
{
	struct vseg s = { .saddr = paddr, .daddr = laddr, .sport = 4000,
			  .dport = 80, .seq = 1, .flags = TH_SYN, .wnd = 1000 };

	return vdev_build(f, &s);
}

static void fix_tcp_csum(uint8_t *f, uint32_t len)
{
	uint8_t *th = f + 34;
	uint32_t sum, sa, da;
	uint16_t c;

	th[16] = th[17] = 0;

	memcpy(&sa, f + 26, 4);
	memcpy(&da, f + 30, 4);
	sum = en_tcp_pseudo(sa, da, len - 34);
	sum = en_csum_add(sum, th, len - 34, false);
	c = en_csum_fold(sum);
	memcpy(th + 16, &c, 2);
}

static void fix_ip_csum(uint8_t *f)
{
	uint16_t c;

	f[24] = f[25] = 0;
	c = en_csum(f + 14, (f[14] & 0xf) * 4u);
	memcpy(f + 24, &c, 2);
}

/* A bad frame: nothing sent, no connection, @counter moved. */
#define STAT(f) offsetof(struct exonet_stats, f)
static void expect_drop(const char *what, uint8_t *f, uint32_t len, size_t off)
{
	uint64_t before, *counter;

	fresh();
	counter = (uint64_t *)((char *)&st->stats + off);
	before = *counter;
	vdev_inject(&v, f, len);
	poll_once();
	ok(v.tx_count == 0 && exonet_conn_count(st) == 0 && *counter == before + 1 &&
	   !vdev_invariants(st),
	   "malformed: %s is dropped and counted (sent %u, conns %u)", what,
	   v.tx_count, exonet_conn_count(st));
}

/* A SYN with options @o (raw, @ol bytes): the segment is refused. */
static void bad_options(const char *what, const uint8_t *o, uint8_t ol)
{
	struct vseg s = { .sport = 4000, .dport = 80, .seq = 1, .flags = TH_SYN, .wnd = 1000 };
	uint8_t f[200];
	uint32_t len;

	s.saddr = paddr, s.daddr = laddr;
	memcpy(s.opts, o, ol);
	s.optlen = ol;
	len = vdev_build(f, &s);
	expect_drop(what, f, len, STAT(rx_bad_tcp));
}

static void test_malformed(void)
{
	uint8_t f[200], g[200];
	uint32_t len;

	fresh();
	len = syn(f);
	/* the good SYN is answered: the frames below differ in one thing */
	vdev_inject(&v, f, len);
	poll_once();
	ok(v.tx_count == 1 && exonet_conn_count(st) == 1, "malformed: the well-formed SYN is answered");

	expect_drop("a 13-byte frame", f, 13, STAT(rx_bad_eth));
	memcpy(g, f, len), g[12] = 0x86, g[13] = 0xdd;
	expect_drop("an IPv6 ethertype", g, len, STAT(rx_bad_eth));
	memcpy(g, f, len), g[6] |= 1;
	expect_drop("a multicast source MAC", g, len, STAT(rx_martian));
	memcpy(g, f, len), memcpy(g + 6, vdev_mac, 6);
	expect_drop("our own source MAC", g, len, STAT(rx_martian));
	expect_drop("a frame with half an IPv4 header", f, 14 + 19, STAT(rx_bad_ip));
	memcpy(g, f, len), g[14] = 0x65;
	expect_drop("IP version 6 in an IPv4 frame", g, len, STAT(rx_bad_ip));
	memcpy(g, f, len), g[14] = 0x44, fix_ip_csum(g);
	expect_drop("an IHL of 4 words", g, len, STAT(rx_bad_ip));
	memcpy(g, f, len), g[14] = 0x4f, fix_ip_csum(g);
	expect_drop("an IHL past the packet", g, 14 + 40, STAT(rx_bad_ip));
	memcpy(g, f, len), g[16] = 0x05, g[17] = 0xdc, fix_ip_csum(g);
	expect_drop("a total length past the frame", g, len, STAT(rx_bad_ip));
	memcpy(g, f, len), g[16] = 0, g[17] = 19, fix_ip_csum(g);
	expect_drop("a total length below the header", g, len, STAT(rx_bad_ip));
	memcpy(g, f, len), g[24] ^= 0x11;
	expect_drop("a bad IPv4 header checksum", g, len, STAT(rx_bad_csum));
	memcpy(g, f, len), g[20] = 0x20, fix_ip_csum(g);
	expect_drop("a first fragment (MF)", g, len, STAT(rx_bad_ip));
	memcpy(g, f, len), g[21] = 0x10, g[20] = 0x40, fix_ip_csum(g);
	expect_drop("a later fragment (offset)", g, len, STAT(rx_bad_ip));
	memcpy(g, f, len), g[33] = 9, fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("another destination address", g, len, STAT(rx_not_ours));
	memcpy(g, f, len), memset(g + 26, 0xff, 4), fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("a broadcast source address", g, len, STAT(rx_martian));
	memcpy(g, f, len), g[26] = 224, fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("a multicast source address", g, len, STAT(rx_martian));
	memcpy(g, f, len), memcpy(g + 26, g + 30, 4), fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("our own source address", g, len, STAT(rx_martian));
	memcpy(g, f, len), g[26] = 0, fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("a source in 0.0.0.0/8", g, len, STAT(rx_martian));
	memcpy(g, f, len), g[26] = 127, fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("a loopback source", g, len, STAT(rx_martian));
	memcpy(g, f, len), g[26] = 240, fix_ip_csum(g), fix_tcp_csum(g, len);
	expect_drop("a class E source", g, len, STAT(rx_martian));
	memcpy(g, f, len), g[17] = 20 + 19, fix_ip_csum(g);
	expect_drop("a 19-byte TCP header", g, 14 + 39, STAT(rx_bad_tcp));
	memcpy(g, f, len), g[46] = 0x40, fix_tcp_csum(g, len);
	expect_drop("a TCP data offset of 4 words", g, len, STAT(rx_bad_tcp));
	memcpy(g, f, len), g[46] = 0xf0, fix_tcp_csum(g, len);
	expect_drop("a TCP data offset past the segment", g, len, STAT(rx_bad_tcp));
	memcpy(g, f, len), g[50] ^= 0x01;
	expect_drop("a bad TCP checksum", g, len, STAT(rx_bad_csum));
	memcpy(g, f, len), g[34] = g[35] = 0, fix_tcp_csum(g, len);
	expect_drop("source port 0", g, len, STAT(rx_bad_tcp));
	memcpy(g, f, len), g[37] = 81, fix_tcp_csum(g, len);
	expect_drop("another destination port", g, len, STAT(rx_not_ours));

	bad_options("an option of length 0", (const uint8_t[]){ 2, 0, 0, 0 }, 4);
	bad_options("an option of length 1", (const uint8_t[]){ 1, 1, 9, 1 }, 4);
	bad_options("an option running past the header", (const uint8_t[]){ 1, 1, 2, 8 }, 4);
	bad_options("a kind with no length byte", (const uint8_t[]){ 1, 1, 1, 8 }, 4);
	bad_options("an MSS option of length 3", (const uint8_t[]){ 2, 3, 5, 0 }, 4);
	bad_options("a window scale of length 4", (const uint8_t[]){ 3, 4, 7, 0 }, 4);
	bad_options("SACK-permitted of length 3", (const uint8_t[]){ 4, 3, 0, 0 }, 4);
	bad_options("timestamps of length 8",
		    (const uint8_t[]){ 8, 8, 0, 0, 0, 1, 0, 0 }, 8);
	bad_options("a SACK option of length 9",
		    (const uint8_t[]){ 5, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0 }, 12);
	bad_options("a SACK option of length 2", (const uint8_t[]){ 5, 2, 1, 1 }, 4);
}

static void test_options_ok(void)
{
	struct vseg s = { .sport = 4000, .dport = 80, .seq = 1, .flags = TH_SYN, .wnd = 1000 };
	uint8_t f[200];
	struct vseg r;

	/* unknown options are skipped, a shift over 14 is taken as 14 */
	s.saddr = paddr, s.daddr = laddr;
	memcpy(s.opts, (const uint8_t[]){ 0x99, 4, 1, 2, 3, 3, 30, 1, 2, 4, 5, 0xb4 }, 12);
	s.optlen = 12;
	fresh();
	vdev_inject(&v, f, vdev_build(f, &s));
	poll_once();
	ok(v.tx_count == 1 && !vdev_parse(v.tx[0].data, v.tx[0].len, &r) &&
	   r.flags == (TH_SYN | TH_ACK) && exonet_conn_count(st) == 1 &&
	   st->conns[0].snd_ws == 14,
	   "options: an unknown option is skipped and a shift of 30 taken as 14");
}

static void test_isn(void)
{
	uint32_t a, b, c, d;
	struct exonet *st2;
	struct exonet_dev dev2;
	struct vdev v2;

	fresh();
	a = en_isn(st, paddr, 1000);
	b = en_isn(st, paddr, 1001);
	v.now_ns += 4000ull * 1000;	/* 4 ms: the clock M moves 1000 */
	c = en_isn(st, paddr, 1000);
	vdev_init(&v2, &dev2);
	v2.now_ns = v.now_ns;
	st2 = exonet_new(&dev2, laddr, 80, NULL);
	st->now_ns = v.now_ns;
	c = en_isn(st, paddr, 1000);
	d = en_isn(st2, paddr, 1000);
	ok(a != b, "RFC 6528: two remote ports get unrelated ISNs");
	ok(c - a == 1000, "RFC 6528: the ISN of a pair advances with the 4 us clock (%u)", c - a);
	ok(c != d, "RFC 6528: another stack (another secret) gives another ISN");
	exonet_free(st2);
	vdev_fini(&v2);
}

static void test_icmp(void)
{
	uint8_t f[200];
	uint8_t *ip = f + 14, *ic = ip + 20;
	uint16_t c;
	struct vseg dummy;

	(void)dummy;
	fresh();
	memcpy(f, vdev_mac, 6);
	memcpy(f + 6, vdev_peer_mac, 6);
	f[12] = 8, f[13] = 0;
	memset(ip, 0, 20);
	ip[0] = 0x45, ip[3] = 20 + 8 + 16, ip[8] = 64, ip[9] = 1;
	memcpy(ip + 12, &paddr, 4);
	memcpy(ip + 16, &laddr, 4);
	fix_ip_csum(f);
	ic[0] = 8, ic[1] = 0, ic[2] = ic[3] = 0, ic[4] = 0x12, ic[5] = 0x34, ic[6] = 0, ic[7] = 7;
	for (int i = 0; i < 16; i++)
		ic[8 + i] = (uint8_t)i;
	c = en_csum(ic, 24);
	memcpy(ic + 2, &c, 2);
	vdev_inject(&v, f, 14 + 44);
	poll_once();
	ok(v.tx_count == 1 && v.tx[0].len == 14 + 44 && v.tx[0].data[34] == 0 &&
	   !memcmp(v.tx[0].data + 38, ic + 4, 20) && en_csum(v.tx[0].data + 34, 24) == 0 &&
	   en_csum(v.tx[0].data + 14, 20) == 0 && !memcmp(v.tx[0].data, vdev_peer_mac, 6),
	   "icmp: an echo request gets an echo reply with its identifier, sequence and data");
	fresh();
	ic[10] ^= 1;
	vdev_inject(&v, f, 14 + 44);
	poll_once();
	ok(v.tx_count == 0, "icmp: an echo request with a bad checksum gets nothing");
}

/*
 * NewReno's recover (RFC 6582) against sequence wrap: it was left at the ISN
 * until the first loss, and 2 GiB later seq_gt(snd_una, recover) turned
 * false, so three duplicate ACKs no longer started fast retransmit (and
 * slow start counted L = 1 SMSS as if after a timeout).
 */
static void test_cc_wrap(void)
{
	struct exonet_sock s;
	bool fr = false;
	int i;

	memset(&s, 0, sizeof(s));
	s.mss = 1000;
	s.iss = 12345;
	s.snd_una = s.snd_nxt = s.snd_max = s.iss + 1;
	en_cc_init(st, &s);
	/* 3 GiB sent and acknowledged without a loss, 64 KiB an ACK */
	for (i = 0; i < 3 * 16384; i++) {
		s.snd_una += 65536;
		s.snd_nxt = s.snd_max = s.snd_una;
		en_cc_ack(st, &s, 65536);
	}
	s.cwnd = 10000;
	en_cc_ack(st, &s, 2000);
	ok(s.cwnd == 12000, "newreno: slow start 3 GiB on still counts L = 2 SMSS (cwnd %u)",
	   s.cwnd);
	s.snd_nxt = s.snd_max = s.snd_una + 20000;
	for (i = 0; i < 3; i++)
		fr = en_cc_dupack(st, &s);
	ok(fr && (s.flags & CF_RECOVERY),
	   "newreno: 3 GiB on, the third duplicate ACK still starts fast retransmit");
	/*
	 * RFC 6582 (3.2 step 3): each further duplicate ACK inflates cwnd by
	 * one SMSS.  A peer repeating them (5 million at 1000 bytes) must
	 * not wrap it to a few bytes.
	 */
	for (i = 0; i < 5000000; i++)
		en_cc_dupack(st, &s);
	ok(s.cwnd >= (1u << 30), "newreno: duplicate ACKs inflate cwnd without wrapping (cwnd %u)",
	   s.cwnd);
}

int main(void)
{
	test_csum();
	test_malformed();
	test_options_ok();
	test_isn();
	test_icmp();
	test_cc_wrap();
	exonet_free(st);
	vdev_fini(&v);
	printf("1..%d\n", n);
	return bad;
}
