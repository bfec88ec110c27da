// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * tcp_script — drive exonet's TCP segment by segment from scripts, over a
 * virtual wire and a virtual clock (no kernel, no network).  Each `test`
 * in a script file is one TAP result.
 *
 * Script lines (# starts a comment):
 *   test NAME             a new test: a fresh stack (10.0.0.1:80, peer
 *                         10.0.0.2); the previous test's result is printed
 *   config KEY=V ...      stack options before `start` (exonet_config
 *                         field names; flags=no_sack,no_ts,no_wscale,
 *                         no_cookies,always_cookies)
 *   start                 create the stack;  listen N: exonet_listen
 *   port P                peer port of the lines that follow (40000)
 *   < FLAGS k=v ...       inject a segment from the peer and poll once.
 *                         FLAGS from S A F R P (. for none); seq= is
 *                         absolute, ack= relative to our ISN on this port
 *                         (ack=@N absolute); win= (65535), mss= ws= sackok
 *                         ts=VAL:ECR (ECR echo: our latest; echo+N,
 *                         echo-N: that plus or minus N), len=N (pattern
 *                         bytes), data="..",
 *                         sack=A-B (relative), opt=HEX (raw options),
 *                         badsum, mac=N (last byte of the source MAC)
 *   << FLAGS k=v ...      the same without the poll (one burst: poll)
 *   > FLAGS k=v ...       the next frame we sent must be this segment:
 *                         flags exactly (P ignored unless given), and
 *                         seq= (relative), ack= (absolute), win= len=
 *                         mss= ws= sackok nosackok ts nots tsecr=
 *                         sack=A-B,.. (absolute) nosack dmac=N;
 *                         seqgt=N: seq (relative to the ISN before
 *                         this segment) above N.  Every frame is also
 *                         checked: checksums, addresses, payload bytes =
 *                         what the application wrote, and timestamps
 *                         never going backwards on a port (RFC 7323 5.4).
 *   >none                 no frame waits to be checked;  >skip N;  >drain
 *   poll | flush          exonet_poll(0) | exonet_flush()
 *   advance MS            move the clock, poll
 *   accept                accept the next connection (for its port)
 *   write N [more]        write N pattern bytes (EXONET_WR_MORE)
 *   writeref N            write N pattern bytes by reference
 *   expect-write N        the last write took N (or -EAGAIN etc.)
 *   read N | read "txt"   read exactly that;  read-eof;  read-err ERRNO
 *   peek N                exonet_peek N bytes in place, check, consume
 *   write-err ERRNO       a write fails with ERRNO
 *   close | abort | shutdown wr|rd|rdwr
 *   state NAME            the port's socket is in state NAME
 *   event EV ...          these events were reported (ACCEPT READ WRITE
 *                         HUP ERR) since the last `event`;  noevent
 *   released N            N zero-copy references released so far
 *   stat NAME OP V        exonet_stats field compared (= >= <= > <)
 *   conns N | tw N        live connections, TIME_WAIT entries
 *   held N                connections whose sends wait on ACKs (nheld)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack.h"
#include "vdev.h"

#define LADDR "10.0.0.1"
#define PADDR "10.0.0.2"
#define LPORT 80
#define MAXP 1024

struct peer {
	uint16_t port;
	int have_iss, have_isn;
	uint32_t iss, peer_isn;
	struct exonet_sock *sock;
	uint64_t rd_off, wr_off;
	uint32_t events;
	uint32_t last_tsval;		/* our latest timestamp on this port */
	int have_tsval;
};

static struct vdev v;
static struct exonet_dev dev;
static struct exonet *st;
static struct exonet_config cfg;
static struct peer peers[MAXP];
static unsigned int npeers, tx_cursor, listen_events, released;
static uint16_t cur_port;
static struct exonet_sock *listener;
static ssize_t last_write;
/* the application's stream pattern: also the transmit region of frames */
static uint8_t appdata[1 << 22] __attribute__((aligned(4096)));
static unsigned long long frames[sizeof(appdata) / 4096];
static int offload_all;			/* --offload: every test offloads */
static uint32_t test_offload;		/* this test's device features */
static unsigned int desc_cursor;

static int failed, ntests, anyfail;
static char test_name[256];
static const char *script;
static int lineno, fail_line;
static char why[512];

static int fail(const char *fmt, ...)
{
	va_list ap;

	if (failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failed = 1;
	fail_line = lineno;
	return -1;
}

static uint8_t pat_peer(uint32_t seq)
{
	return (uint8_t)(seq * 31u + 7u);
}

static struct peer *peer(uint16_t port)
{
	unsigned int i;

	for (i = 0; i < npeers; i++)
		if (peers[i].port == port)
			return &peers[i];
	if (npeers == MAXP)
		abort();
	memset(&peers[npeers], 0, sizeof(peers[0]));
	peers[npeers].port = port;
	return &peers[npeers++];
}

static void release_cb(void *cookie)
{
	(void)cookie;
	released++;
}

static void harvest(int n, struct exonet_event *ev)
{
	int i;

	for (i = 0; i < n; i++) {
		if (ev[i].sock == listener) {
			listen_events |= ev[i].events;
			continue;
		}
		for (unsigned int k = 0; k < npeers; k++)
			if (peers[k].sock == ev[i].sock)
				peers[k].events |= ev[i].events;
	}
}

static void do_poll(void)
{
	struct exonet_event ev[64];
	int n;
	const char *inv;

	do {
		n = exonet_poll(st, ev, 64, 0);
		if (n < 0) {
			fail("exonet_poll: %d", n);
			return;
		}
		harvest(n, ev);
	} while (n == 64);
	inv = vdev_invariants(st);
	if (inv)
		fail("invariant: %s", inv);
}

static void finish_test(void)
{
	if (!test_name[0])
		return;
	if (!failed) {
		const char *inv = vdev_invariants(st);

		if (inv)
			fail("invariant at end: %s", inv);
	}
	ntests++;
	anyfail |= failed;
	if (failed)
		printf("not ok %d - %s\n# %s:%d: %s\n", ntests, test_name, script, fail_line, why);
	else
		printf("ok %d - %s\n", ntests, test_name);
	fflush(stdout);
	if (st)
		exonet_free(st);
	st = NULL;
	vdev_fini(&v);
	test_name[0] = 0;
}

static void new_test(const char *name)
{
	finish_test();
	snprintf(test_name, sizeof(test_name), "%s", name);
	failed = 0;
	why[0] = 0;
	exonet_config_init(&cfg);
	vdev_init(&v, &dev);
	npeers = 0;
	tx_cursor = 0;
	listen_events = 0;
	released = 0;
	desc_cursor = 0;
	test_offload = offload_all ? EXONET_DEV_CSUM | EXONET_DEV_TSO | EXONET_DEV_ZC : 0;
	for (unsigned int i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		frames[i] = 0x10000 + i;
	cur_port = 40000;
	listener = NULL;
}

/* ---- tokens ---- */
static char *next_tok(char **p)
{
	char *s = *p, *t;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	t = s;
	if (*s == '"' || strstr(s, "=\"") == s + strcspn(s, "= \t")) {
		/* a token with a quoted part: to the closing quote */
		char *q = strchr(s, '"');

		q = q ? strchr(q + 1, '"') : NULL;
		s = q ? q + 1 : s + strlen(s);
	} else {
		while (*s && !isspace((unsigned char)*s))
			s++;
	}
	if (*s)
		*s++ = 0;
	*p = s;
	return t;
}

static uint8_t parse_flags(const char *f)
{
	uint8_t fl = 0;

	for (; *f; f++) {
		switch (*f) {
		case 'S': fl |= TH_SYN; break;
		case 'A': fl |= TH_ACK; break;
		case 'F': fl |= TH_FIN; break;
		case 'R': fl |= TH_RST; break;
		case 'P': fl |= TH_PSH; break;
		case 'U': fl |= TH_URG; break;
		case '.': break;
		default: fail("bad flag '%c'", *f);
		}
	}
	return fl;
}

/* Strip quotes and turn \r \n \t \\ \" into their bytes, in place. */
static const char *unquote(char *s)
{
	size_t n = strlen(s);
	char *r, *w;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = 0;
		s++;
	}
	for (r = w = s; *r; r++) {
		if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 'r' ? '\r' : *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
		} else
			*w++ = *r;
	}
	*w = 0;
	return s;
}

static int errno_of(const char *name)
{
	static const struct { const char *n; int e; } t[] = {
		{ "EAGAIN", EAGAIN }, { "ECONNRESET", ECONNRESET },
		{ "ETIMEDOUT", ETIMEDOUT }, { "EPIPE", EPIPE },
		{ "ENOTCONN", ENOTCONN }, { "EINVAL", EINVAL },
	};
	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].n, name))
			return t[i].e;
	fail("unknown errno %s", name);
	return 0;
}

/* ---- < inject ---- */
static void inject(char *rest, int poll_after)
{
	struct vseg s = { 0 };
	uint8_t buf[EXONET_FRAME_MAX], data[EXONET_FRAME_MAX];
	char *tok, *flags = next_tok(&rest);
	struct peer *p;
	uint16_t port = cur_port;
	int badsum = 0, mac = 2, have_len = 0;
	uint32_t len = 0, n;
	const char *str = NULL;

	if (!flags) {
		fail("< needs flags");
		return;
	}
	inet_pton(AF_INET, PADDR, &s.saddr);
	inet_pton(AF_INET, LADDR, &s.daddr);
	s.dport = LPORT;
	s.flags = parse_flags(flags);
	s.wnd = 65535;
	/* first pass: port (ack= depends on it) */
	{
		char copy[1024], *c = copy, *t;

		snprintf(copy, sizeof(copy), "%s", rest);
		while ((t = next_tok(&c)))
			if (!strncmp(t, "port=", 5))
				port = (uint16_t)atoi(t + 5);
	}
	p = peer(port);
	s.sport = port;
	while ((tok = next_tok(&rest))) {
		char *val = strchr(tok, '=');

		if (val)
			*val++ = 0;
		if (!strcmp(tok, "seq"))
			s.seq = (uint32_t)strtoul(val, NULL, 0);
		else if (!strcmp(tok, "ack")) {
			if (val[0] == '@')
				s.ack = (uint32_t)strtoul(val + 1, NULL, 0);
			else {
				if (!p->have_iss)
					fail("ack= relative but no SYN-ACK seen on port %u", port);
				s.ack = p->iss + (uint32_t)strtol(val, NULL, 0);
			}
		} else if (!strcmp(tok, "win"))
			s.wnd = (uint16_t)strtoul(val, NULL, 0);
		else if (!strcmp(tok, "mss")) {
			uint16_t m = (uint16_t)atoi(val);

			s.opts[s.optlen++] = 2, s.opts[s.optlen++] = 4;
			s.opts[s.optlen++] = (uint8_t)(m >> 8), s.opts[s.optlen++] = (uint8_t)m;
		} else if (!strcmp(tok, "ws")) {
			s.opts[s.optlen++] = 1;
			s.opts[s.optlen++] = 3, s.opts[s.optlen++] = 3;
			s.opts[s.optlen++] = (uint8_t)atoi(val);
		} else if (!strcmp(tok, "sackok")) {
			s.opts[s.optlen++] = 1, s.opts[s.optlen++] = 1;
			s.opts[s.optlen++] = 4, s.opts[s.optlen++] = 2;
		} else if (!strcmp(tok, "ts")) {
			uint32_t a = (uint32_t)strtoul(val, &val, 0), e = 0;

			if (!strncmp(val, ":echo", 5))
				e = p->last_tsval + (uint32_t)strtol(val + 5, NULL, 0);
			else if (*val == ':')
				e = (uint32_t)strtoul(val + 1, NULL, 0);
			s.opts[s.optlen++] = 1, s.opts[s.optlen++] = 1;
			s.opts[s.optlen++] = 8, s.opts[s.optlen++] = 10;
			for (int k = 3; k >= 0; k--)
				s.opts[s.optlen++] = (uint8_t)(a >> (8 * k));
			for (int k = 3; k >= 0; k--)
				s.opts[s.optlen++] = (uint8_t)(e >> (8 * k));
		} else if (!strcmp(tok, "sack")) {
			uint32_t a = (uint32_t)strtoul(val, &val, 0), b = 0;

			if (*val == '-')
				b = (uint32_t)strtoul(val + 1, NULL, 0);
			a += p->iss, b += p->iss;
			s.opts[s.optlen++] = 1, s.opts[s.optlen++] = 1;
			s.opts[s.optlen++] = 5, s.opts[s.optlen++] = 10;
			for (int k = 3; k >= 0; k--)
				s.opts[s.optlen++] = (uint8_t)(a >> (8 * k));
			for (int k = 3; k >= 0; k--)
				s.opts[s.optlen++] = (uint8_t)(b >> (8 * k));
		} else if (!strcmp(tok, "opt")) {
			for (; val[0] && val[1] && s.optlen < 40; val += 2) {
				unsigned int b;

				sscanf(val, "%2x", &b);
				s.opts[s.optlen++] = (uint8_t)b;
			}
		} else if (!strcmp(tok, "len")) {
			len = (uint32_t)atoi(val);
			have_len = 1;
		} else if (!strcmp(tok, "data"))
			str = unquote(val);
		else if (!strcmp(tok, "badsum"))
			badsum = 1;
		else if (!strcmp(tok, "mac"))
			mac = atoi(val);
		else if (!strcmp(tok, "port"))
			;
		else
			fail("unknown < key %s", tok);
	}
	if (str) {
		len = (uint32_t)strlen(str);
		memcpy(data, str, len);
	} else if (have_len) {
		if (len > sizeof(data))
			len = sizeof(data);
		for (n = 0; n < len; n++)
			data[n] = pat_peer(s.seq + n);
	}
	s.data = data;
	s.len = len;
	if ((s.flags & TH_SYN) && !(s.flags & TH_ACK) && !p->have_isn) {
		p->have_isn = 1;
		p->peer_isn = s.seq;
	}
	n = vdev_build(buf, &s);
	buf[11] = (uint8_t)mac;
	if (badsum)
		buf[14 + 20 + 16] ^= 0x5a;
	if (vdev_inject(&v, buf, n))
		fail("receive queue full");
	if (poll_after)
		do_poll();
}

/* ---- > expect ---- */
static void check_payload(struct peer *p, const struct vseg *s)
{
	uint32_t i;
	uint64_t off;

	if (!s->len || !p->have_iss)
		return;
	off = (uint32_t)(s->seq - p->iss - 1);
	for (i = 0; i < s->len; i++) {
		if (off + i >= sizeof(appdata) || s->data[i] != appdata[off + i]) {
			fail("payload byte %u (stream offset %llu) is %02x, the application wrote %02x",
			     i, (unsigned long long)(off + i), s->data[i],
			     off + i < sizeof(appdata) ? appdata[off + i] : 0);
			return;
		}
	}
}

/*
 * >data N [bytes=B] [seg=S]: the next N frames are data segments of one
 * connection in sequence, each well formed with the application's bytes
 * (B in all; each S bytes but the last).
 */
static void expect_data(char *rest)
{
	char *tok = next_tok(&rest), *k;
	unsigned int n = tok ? (unsigned int)atoi(tok) : 0, i;
	unsigned long bytes = 0, want_bytes = ~0ul, seg = 0;
	uint32_t next = 0;

	while ((k = next_tok(&rest))) {
		if (!strncmp(k, "bytes=", 6))
			want_bytes = strtoul(k + 6, NULL, 0);
		else if (!strncmp(k, "seg=", 4))
			seg = strtoul(k + 4, NULL, 0);
		else
			return (void)fail(">data: unknown %s", k);
	}
	for (i = 0; i < n; i++) {
		struct vseg s;
		const char *err;

		if (tx_cursor >= v.tx_count)
			return (void)fail(">data: frame %u of %u was not sent", i, n);
		err = vdev_parse(v.tx[tx_cursor].data, v.tx[tx_cursor].len, &s);
		tx_cursor++;
		if (err)
			return (void)fail("sent frame: %s", err);
		if (!s.len || (s.flags & (TH_SYN | TH_RST)))
			return (void)fail(">data: frame %u has no data or SYN/RST", i);
		if (i && s.seq != next)
			return (void)fail(">data: frame %u at seq %u, expected %u", i, s.seq, next);
		if (seg && i + 1 < n && s.len != seg)
			return (void)fail(">data: frame %u of %u bytes, expected %lu", i, s.len, seg);
		if ((s.flags & (TH_FIN | TH_PSH)) && i + 1 < n)
			return (void)fail(">data: FIN or PSH on frame %u, not the last", i);
		check_payload(peer(s.dport), &s);
		if (failed)
			return;
		next = s.seq + s.len;
		bytes += s.len;
	}
	if (want_bytes != ~0ul && bytes != want_bytes)
		fail(">data: %lu bytes, expected %lu", bytes, want_bytes);
}

static void expect(char *rest)
{
	struct vseg s;
	char *tok, *flags = next_tok(&rest);
	const char *err;
	const struct vframe *f;
	struct peer *p;
	uint8_t want, got;
	uint32_t laddr, paddr, base;

	if (!flags) {
		fail("> needs flags");
		return;
	}
	if (tx_cursor >= v.tx_count) {
		fail("expected a %s segment, nothing was sent", flags);
		return;
	}
	f = &v.tx[tx_cursor++];
	err = vdev_parse(f->data, f->len, &s);
	if (err) {
		fail("sent frame: %s", err);
		return;
	}
	inet_pton(AF_INET, LADDR, &laddr);
	inet_pton(AF_INET, PADDR, &paddr);
	if (s.saddr != laddr || s.daddr != paddr || s.sport != LPORT)
		return (void)fail("sent frame has wrong addresses or port");
	if (memcmp(s.smac, vdev_mac, 6))
		return (void)fail("sent frame's source MAC is not the device's");
	p = peer(s.dport);
	want = parse_flags(flags);
	got = s.flags;
	if (!strchr(flags, 'P'))
		got &= (uint8_t)~TH_PSH;
	if (want != got)
		return (void)fail("expected flags %s (%#x), got %#x (port %u seq %u ack %u len %u)",
				  flags, want, s.flags, s.dport, s.seq - p->iss, s.ack, s.len);
	base = p->iss;
	if (s.flags & TH_SYN) {
		/* a SYN-ACK starts a connection: a reused pair gets a new ISN */
		if (!p->have_iss)
			base = s.seq;
		p->have_iss = 1;
		p->iss = s.seq;
	}
	check_payload(p, &s);
	if (s.has_ts) {
		/* RFC 7323 5.4: one clock per pair, never going backwards */
		if (p->have_tsval && seq_lt(s.tsval, p->last_tsval))
			return (void)fail("TSval %u is below %u sent before on port %u",
					  s.tsval, p->last_tsval, s.dport);
		p->last_tsval = s.tsval;
		p->have_tsval = 1;
	}
	while ((tok = next_tok(&rest))) {
		char *val = strchr(tok, '=');
		long long w;

		if (val)
			*val++ = 0;
		w = val ? strtoll(val[0] == '@' ? val + 1 : val, NULL, 0) : 0;
		if (!strcmp(tok, "seq")) {
			uint32_t g = val[0] == '@' ? s.seq : s.seq - base;

			if (g != (uint32_t)w)
				return (void)fail("seq: expected %lld, got %u", w, g);
		} else if (!strcmp(tok, "seqgt")) {
			if ((int32_t)(s.seq - base) <= (int32_t)w)
				return (void)fail("seq %d (relative) is not above %lld",
						  (int32_t)(s.seq - base), w);
		} else if (!strcmp(tok, "ack")) {
			if (s.ack != (uint32_t)w)
				return (void)fail("ack: expected %lld, got %u", w, s.ack);
		} else if (!strcmp(tok, "win")) {
			if (s.wnd != w)
				return (void)fail("win: expected %lld, got %u", w, s.wnd);
		} else if (!strcmp(tok, "len")) {
			if (s.len != w)
				return (void)fail("len: expected %lld, got %u", w, s.len);
		} else if (!strcmp(tok, "mss")) {
			if (s.mss != w)
				return (void)fail("mss: expected %lld, got %d", w, s.mss);
		} else if (!strcmp(tok, "ws")) {
			if (s.ws != w)
				return (void)fail("ws: expected %lld, got %d", w, s.ws);
		} else if (!strcmp(tok, "nows")) {
			if (s.ws != -1)
				return (void)fail("window scale present");
		} else if (!strcmp(tok, "sackok")) {
			if (!s.sackok)
				return (void)fail("SACK-permitted missing");
		} else if (!strcmp(tok, "nosackok")) {
			if (s.sackok)
				return (void)fail("SACK-permitted present");
		} else if (!strcmp(tok, "ts")) {
			if (!s.has_ts)
				return (void)fail("timestamps missing");
		} else if (!strcmp(tok, "nots")) {
			if (s.has_ts)
				return (void)fail("timestamps present");
		} else if (!strcmp(tok, "tsecr")) {
			if (!s.has_ts || s.tsecr != (uint32_t)w)
				return (void)fail("tsecr: expected %lld, got %u", w, s.tsecr);
		} else if (!strcmp(tok, "nosack")) {
			if (s.nsack)
				return (void)fail("SACK blocks present");
		} else if (!strcmp(tok, "sack")) {
			char *q = val;
			int k = 0;

			while (*q) {
				uint32_t a = (uint32_t)strtoul(q, &q, 0), b = 0;

				if (*q == '-')
					b = (uint32_t)strtoul(q + 1, &q, 0);
				if (k >= s.nsack || s.sack[k][0] != a || s.sack[k][1] != b)
					return (void)fail("SACK block %d: expected %u-%u, got %u-%u (%d blocks)",
							  k, a, b, k < s.nsack ? s.sack[k][0] : 0,
							  k < s.nsack ? s.sack[k][1] : 0, s.nsack);
				k++;
				if (*q == ',')
					q++;
			}
			if (k != s.nsack)
				return (void)fail("expected %d SACK blocks, got %d", k, s.nsack);
		} else if (!strcmp(tok, "dmac")) {
			if (s.dmac[5] != w)
				return (void)fail("destination MAC ends in %02x, expected %02llx", s.dmac[5], w);
		} else if (!strcmp(tok, "port")) {
			if (s.dport != w)
				return (void)fail("port: expected %lld, got %u", w, s.dport);
		} else
			return (void)fail("unknown > key %s", tok);
	}
	if (!strstr(rest, "dmac") && s.dmac[5] == 0)
		fail("destination MAC not learned");
}

static struct exonet_sock *cur_sock(void)
{
	struct peer *p = peer(cur_port);

	if (!p->sock)
		fail("no socket for port %u", cur_port);
	return p->sock;
}

static void run_line(char *line)
{
	char *rest = line, *cmd = next_tok(&rest), *arg;
	struct peer *p;

	if (!cmd || cmd[0] == '#')
		return;
	if (!strcmp(cmd, "test")) {
		while (*rest == ' ')
			rest++;
		new_test(rest);
		return;
	}
	if (failed)
		return;		/* the rest of a failed test is skipped */
	if (!strcmp(cmd, "config")) {
		while ((arg = next_tok(&rest))) {
			char *val = strchr(arg, '=');
			unsigned long x;

			if (!val)
				return (void)fail("config %s needs =", arg);
			*val++ = 0;
			x = strtoul(val, NULL, 0);
#define C(name) if (!strcmp(arg, #name)) { cfg.name = (uint32_t)x; continue; }
			C(max_conns) C(max_timewait) C(syn_backlog) C(rcvbuf) C(sndbuf)
			C(sndq_refs) C(mss) C(rto_min_ms) C(rto_max_ms) C(rto_init_ms)
			C(msl_ms) C(fin_wait2_ms) C(keepalive_idle_ms) C(keepalive_intvl_ms)
			C(keepalive_probes) C(max_retries) C(challenge_ack_limit)
			C(max_orphans) C(max_orphan_bytes) C(orphan_lifetime_ms)
#undef C
			if (!strcmp(arg, "flags")) {
				if (strstr(val, "no_sack")) cfg.flags |= EXONET_CFG_NO_SACK;
				if (strstr(val, "no_ts")) cfg.flags |= EXONET_CFG_NO_TS;
				if (strstr(val, "no_wscale")) cfg.flags |= EXONET_CFG_NO_WSCALE;
				if (strstr(val, "no_cookies")) cfg.flags |= EXONET_CFG_NO_COOKIES;
				if (strstr(val, "always_cookies")) cfg.flags |= EXONET_CFG_ALWAYS_COOKIES;
				if (strstr(val, "no_csum_offload")) cfg.flags |= EXONET_CFG_NO_CSUM_OFFLOAD;
				if (strstr(val, "no_tso")) cfg.flags |= EXONET_CFG_NO_TSO;
				if (strstr(val, "no_zc_tx")) cfg.flags |= EXONET_CFG_NO_ZC_TX;
				continue;
			}
			return (void)fail("unknown config %s", arg);
		}
		return;
	}
	if (!strcmp(cmd, "offload")) {
		/* offload [csum] [tso] [zc] [none]: the device's features */
		test_offload = 0;
		while ((arg = next_tok(&rest))) {
			if (!strcmp(arg, "csum")) test_offload |= EXONET_DEV_CSUM;
			else if (!strcmp(arg, "tso")) test_offload |= EXONET_DEV_TSO;
			else if (!strcmp(arg, "zc")) test_offload |= EXONET_DEV_ZC;
			else if (strcmp(arg, "none")) return (void)fail("offload %s?", arg);
		}
		return;
	}
	if (!strcmp(cmd, "nonframe")) {
		/* nonframe PAGE: that page of the pattern is not a frame */
		arg = next_tok(&rest);
		frames[(unsigned int)atoi(arg ? arg : "0") % (sizeof(frames) / sizeof(frames[0]))] = 0;
		return;
	}
	if (!strcmp(cmd, "start")) {
		uint32_t a;

		inet_pton(AF_INET, LADDR, &a);
		if (test_offload)
			vdev_offload(&v, &dev, test_offload, appdata, sizeof(appdata), frames);
		st = exonet_new(&dev, a, LPORT, &cfg);
		if (!st)
			fail("exonet_new: %s", strerror(errno));
		else if (exonet_features(st) & EXONET_DEV_ZC)
			exonet_tx_region(st, appdata, sizeof(appdata), frames);
		dev.destroy = NULL;
		return;
	}
	if (!st)
		return (void)fail("%s before start", cmd);
	if (!strcmp(cmd, "listen")) {
		arg = next_tok(&rest);
		listener = exonet_listen(st, arg ? (unsigned int)atoi(arg) : 16);
		if (!listener)
			fail("exonet_listen: %s", strerror(errno));
	} else if (!strcmp(cmd, "port")) {
		arg = next_tok(&rest);
		cur_port = (uint16_t)atoi(arg ? arg : "0");
	} else if (!strcmp(cmd, "<") || !strcmp(cmd, "<<")) {
		inject(rest, cmd[1] == 0);
	} else if (!strcmp(cmd, ">")) {
		expect(rest);
	} else if (!strcmp(cmd, ">data")) {
		expect_data(rest);
	} else if (!strcmp(cmd, ">none")) {
		if (tx_cursor < v.tx_count) {
			struct vseg s;

			vdev_parse(v.tx[tx_cursor].data, v.tx[tx_cursor].len, &s);
			fail("expected nothing, got a segment: flags %#x seq %u ack %u len %u",
			     s.flags, s.seq - peer(s.dport)->iss, s.ack, s.len);
		}
	} else if (!strcmp(cmd, ">skip")) {
		arg = next_tok(&rest);
		tx_cursor += arg ? (unsigned int)atoi(arg) : 1;
		if (tx_cursor > v.tx_count)
			fail(">skip past what was sent");
	} else if (!strcmp(cmd, ">drain")) {
		tx_cursor = v.tx_count;		/* what was sent so far is not checked */
	} else if (!strcmp(cmd, "poll")) {
		do_poll();
	} else if (!strcmp(cmd, "flush")) {
		exonet_flush(st);
	} else if (!strcmp(cmd, "advance")) {
		arg = next_tok(&rest);
		v.now_ns += (uint64_t)atoll(arg ? arg : "0") * 1000000ull;
		do_poll();
	} else if (!strcmp(cmd, "accept")) {
		struct exonet_sock *s = exonet_accept(listener);
		uint16_t port;

		if (!s)
			return (void)fail("accept: %s", strerror(errno));
		exonet_sock_peer(s, NULL, &port);
		p = peer(port);
		p->sock = s;
		cur_port = port;
	} else if (!strcmp(cmd, "write") || !strcmp(cmd, "writeref")) {
		struct exonet_sock *s = cur_sock();
		size_t n;
		uint32_t fl = 0;

		arg = next_tok(&rest);
		n = (size_t)atol(arg ? arg : "0");
		if ((arg = next_tok(&rest)) && !strcmp(arg, "more"))
			fl = EXONET_WR_MORE;
		if (!s)
			return;
		p = peer(cur_port);
		if (p->wr_off + n > sizeof(appdata))
			return (void)fail("write past the pattern");
		if (cmd[5] == 'r')
			last_write = exonet_write_ref(s, appdata + p->wr_off, n, fl, release_cb, NULL);
		else
			last_write = exonet_write(s, appdata + p->wr_off, n, fl);
		if (last_write > 0)
			p->wr_off += (uint64_t)last_write;
	} else if (!strcmp(cmd, "expect-write")) {
		arg = next_tok(&rest);
		if (arg && isalpha((unsigned char)arg[0])) {
			if (last_write != -errno_of(arg))
				fail("write returned %zd, expected -%s", last_write, arg);
		} else if (last_write != atol(arg ? arg : "0"))
			fail("write returned %zd, expected %s", last_write, arg);
	} else if (!strcmp(cmd, "write-err")) {
		struct exonet_sock *s = cur_sock();
		ssize_t r;

		arg = next_tok(&rest);
		if (!s)
			return;
		r = exonet_write(s, "x", 1, 0);
		if (r != -errno_of(arg ? arg : "?"))
			fail("write returned %zd, expected -%s", r, arg);
	} else if (!strcmp(cmd, "read")) {
		struct exonet_sock *s = cur_sock();
		uint8_t buf[1 << 16];
		ssize_t r;
		size_t want, i;
		const char *str = NULL;

		arg = next_tok(&rest);
		if (!s || !arg)
			return;
		if (arg[0] == '"') {
			str = unquote(arg);
			want = strlen(str);
		} else
			want = (size_t)atol(arg);
		if (want > sizeof(buf))
			return (void)fail("read too large");
		p = peer(cur_port);
		r = exonet_read(s, buf, want);
		if (r != (ssize_t)want)
			return (void)fail("read returned %zd, expected %zu", r, want);
		for (i = 0; i < want; i++) {
			uint8_t e = str ? (uint8_t)str[i] : pat_peer(p->peer_isn + 1 + (uint32_t)(p->rd_off + i));

			if (buf[i] != e)
				return (void)fail("read byte %zu is %02x, expected %02x", i, buf[i], e);
		}
		p->rd_off += want;
	} else if (!strcmp(cmd, "peek")) {
		/* zero-copy read: peek N contiguous bytes in place, consume them */
		struct exonet_sock *s = cur_sock();
		const void *d;
		ssize_t r;
		size_t want, i;

		arg = next_tok(&rest);
		if (!s || !arg)
			return;
		want = (size_t)atol(arg);
		p = peer(cur_port);
		r = exonet_peek(s, &d, want);
		if (r != (ssize_t)want)
			return (void)fail("peek returned %zd, expected %zu", r, want);
		for (i = 0; i < want; i++)
			if (((const uint8_t *)d)[i] != pat_peer(p->peer_isn + 1 + (uint32_t)(p->rd_off + i)))
				return (void)fail("peeked byte %zu is wrong", i);
		if (exonet_consume(s, want))
			return (void)fail("consume failed");
		if (exonet_consume(s, (size_t)1 << 30) != -EINVAL)
			return (void)fail("consuming more than is readable must fail");
		p->rd_off += want;
	} else if (!strcmp(cmd, "read-eof") || !strcmp(cmd, "read-err")) {
		struct exonet_sock *s = cur_sock();
		uint8_t b;
		ssize_t r, e = 0;

		if (!s)
			return;
		if (!strcmp(cmd, "read-err")) {
			arg = next_tok(&rest);
			e = -errno_of(arg ? arg : "?");
		}
		r = exonet_read(s, &b, 1);
		if (r != e)
			fail("read returned %zd, expected %zd", r, e);
	} else if (!strcmp(cmd, "close") || !strcmp(cmd, "abort")) {
		struct exonet_sock *s = cur_sock();

		if (!s)
			return;
		if (cmd[0] == 'c')
			exonet_close(s);
		else
			exonet_abort(s);
		peer(cur_port)->sock = NULL;
	} else if (!strcmp(cmd, "close-listener")) {
		exonet_close(listener);
	} else if (!strcmp(cmd, "shutdown")) {
		struct exonet_sock *s = cur_sock();
		int how, r;

		arg = next_tok(&rest);
		how = !strcmp(arg ? arg : "", "wr") ? SHUT_WR :
		      !strcmp(arg ? arg : "", "rd") ? SHUT_RD : SHUT_RDWR;
		if (s && (r = exonet_shutdown(s, how)))
			fail("shutdown: %d", r);
	} else if (!strcmp(cmd, "state")) {
		struct exonet_sock *s = cur_sock();
		const char *name;

		arg = next_tok(&rest);
		if (!s)
			return;
		name = exonet_state_name(exonet_sock_state(s));
		if (strcmp(name, arg ? arg : ""))
			fail("state is %s, expected %s", name, arg);
	} else if (!strcmp(cmd, "event") || !strcmp(cmd, "noevent")) {
		uint32_t want = 0, *have;

		while ((arg = next_tok(&rest))) {
			if (!strcmp(arg, "ACCEPT")) want |= EXONET_EV_ACCEPT;
			else if (!strcmp(arg, "READ")) want |= EXONET_EV_READ;
			else if (!strcmp(arg, "WRITE")) want |= EXONET_EV_WRITE;
			else if (!strcmp(arg, "HUP")) want |= EXONET_EV_HUP;
			else if (!strcmp(arg, "ERR")) want |= EXONET_EV_ERR;
			else return (void)fail("unknown event %s", arg);
		}
		have = (want & EXONET_EV_ACCEPT) || (cmd[0] == 'n' && !peer(cur_port)->sock)
		       ? &listen_events : &peer(cur_port)->events;
		if (cmd[0] == 'n' ? *have != 0 : (*have & want) != want)
			fail("events %#x, expected %#x%s", *have, want, cmd[0] == 'n' ? " (none)" : "");
		*have = 0;
	} else if (!strcmp(cmd, "released")) {
		arg = next_tok(&rest);
		if (released != (unsigned int)atoi(arg ? arg : "0"))
			fail("%u references released, expected %s", released, arg);
	} else if (!strcmp(cmd, "stat")) {
		struct exonet_stats sx;
		char *name = next_tok(&rest), *op = next_tok(&rest), *val = next_tok(&rest);
		uint64_t x = 0, w;

		if (!name || !op || !val)
			return (void)fail("stat NAME OP VALUE");
		exonet_stats(st, &sx);
#define S(f) if (!strcmp(name, #f)) x = sx.f; else
		S(rx_bad_csum) S(rx_bad_tcp) S(rx_bad_ip) S(rx_bad_eth) S(syn_cookies_sent)
		S(syn_cookies_ok) S(syn_cookies_bad) S(syn_dropped) S(rst_sent) S(rst_recv)
		S(challenge_acks) S(challenge_acks_limited) S(retransmits) S(rto_expired)
		S(fast_retransmits) S(persist_probes) S(keepalive_probes) S(ooo_segments)
		S(ooo_dropped) S(dup_segments) S(timewait) S(timewait_reused)
		S(timewait_recycled) S(refs_released) S(tx_tso) S(tx_zc_frags)
		S(tx_releases_deferred) S(conns_reset) S(conns_timedout) S(orphans_reset)
		S(ts_missing) S(rx_martian)
		S(rx_wait_max_us) S(rx_wait_sleep_us) S(rx_wait_app_us) S(rx_wait_gap_us)
		S(rx_wait_frames) S(rx_gap_max_us) S(rx_gap_app_us) S(step_max_us)
		S(syn_recv) S(conns_accepted) S(rx_not_ours) S(tx_ring_full)
		return (void)fail("unknown stat %s", name);
#undef S
		w = strtoull(val, NULL, 0);
		if (!((!strcmp(op, "=") && x == w) || (!strcmp(op, ">=") && x >= w) ||
		      (!strcmp(op, "<=") && x <= w) || (!strcmp(op, ">") && x > w) ||
		      (!strcmp(op, "<") && x < w)))
			fail("stat %s is %llu, expected %s %llu", name,
			     (unsigned long long)x, op, (unsigned long long)w);
	} else if (!strcmp(cmd, "conns") || !strcmp(cmd, "tw") || !strcmp(cmd, "held")) {
		unsigned int x = cmd[0] == 'c' ? exonet_conn_count(st) :
				 cmd[0] == 't' ? exonet_timewait_count(st) : st->nheld;

		arg = next_tok(&rest);
		if (x != (unsigned int)atoi(arg ? arg : "0"))
			fail("%s is %u, expected %s", cmd, x, arg);
	} else if (!strcmp(cmd, "txhold")) {
		/* txhold 1: transmissions do not complete until txhold 0 */
		arg = next_tok(&rest);
		v.tx_hold = arg && atoi(arg);
		if (!v.tx_hold)
			vdev_complete(&v);
	} else if (!strcmp(cmd, "desc")) {
		/*
		 * desc k=v ...: the next descriptor the stack handed the
		 * device: segs= payload= nref= nfrags= mss= inline=, tso
		 * notso csum nocsum (only what is given is checked)
		 */
		const struct vdesc *d;

		if (desc_cursor >= v.ndescs)
			return (void)fail("no descriptor left to check");
		d = &v.descs[desc_cursor++ % VDEV_TX_MAX];
		while ((arg = next_tok(&rest))) {
			char *val = strchr(arg, '=');
			unsigned long x = val ? strtoul(val + 1, NULL, 0) : 0;

			if (val)
				*val = 0;
#define D(name, field) if (!strcmp(arg, name)) { if (d->field != x) \
	return (void)fail("descriptor %u: %s %u, expected %lu", desc_cursor - 1, \
			  name, d->field, x); continue; }
			D("segs", segs) D("payload", payload) D("nref", nref)
			D("nfrags", nfrags) D("mss", mss) D("inline", inline_len)
#undef D
			if (!strcmp(arg, "tso") || !strcmp(arg, "notso")) {
				if (!(d->flags & EXONET_TX_TSO) != (arg[0] == 'n'))
					return (void)fail("descriptor %u: %s", desc_cursor - 1, arg);
				continue;
			}
			if (!strcmp(arg, "csum") || !strcmp(arg, "nocsum")) {
				if (!(d->flags & EXONET_TX_CSUM) != (arg[0] == 'n'))
					return (void)fail("descriptor %u: %s", desc_cursor - 1, arg);
				continue;
			}
			return (void)fail("desc: unknown %s", arg);
		}
	} else if (!strcmp(cmd, "desc-drain")) {
		desc_cursor = v.ndescs;
	} else if (!strcmp(cmd, "txlimit")) {
		arg = next_tok(&rest);
		v.tx_limit = (unsigned int)atoi(arg ? arg : "1024");
	} else {
		fail("unknown command %s", cmd);
	}
}

int main(int argc, char **argv)
{
	char line[2048];
	int i;

	for (i = 0; i < (int)sizeof(appdata); i++)
		appdata[i] = (uint8_t)(i * 17 + 11);
	for (i = 1; i < argc; i++) {
		FILE *f;

		if (!strcmp(argv[i], "--offload")) {
			offload_all = 1;
			continue;
		}
		f = fopen(argv[i], "r");

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		script = argv[i];
		lineno = 0;
		while (fgets(line, sizeof(line), f)) {
			lineno++;
			line[strcspn(line, "\n")] = 0;
			run_line(line);
		}
		finish_test();
		fclose(f);
	}
	printf("1..%d\n", ntests);
	return anyfail;
}
