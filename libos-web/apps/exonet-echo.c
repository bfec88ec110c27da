// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exonet-echo — a small TCP server on the exonet stack, for tests with
 * real Linux clients.  Each connection starts with one command line:
 *
 *   ECHO\n        every byte received is sent back, until the peer's FIN
 *   SEND <n>\n    n pattern bytes (byte i = (i * 7 + 1) & 0xff) are sent
 *                 by zero-copy reference to one immutable buffer, then FIN
 *   SINK\n        everything up to the peer's FIN is read; the answer is
 *                 "<bytes> <fnv1a-64 hex>\n", then FIN
 *
 *   exonet-echo [-i] [-q] IFNAME ADDR PORT
 *       -i   also bind an ICMP flow and answer pings in the stack
 *       -q   quiet: no per-connection log
 *   exonet-echo --intruder IFNAME ADDR PORT
 *       containment check from a second env: mint the server's flow
 *       (must fail with EADDRINUSE) and send a frame claiming the
 *       server's port from a flow of its own (must be refused); exit 0
 *       when both are refused.
 *
 * SIGTERM or SIGINT: print the stack's counters and exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exo.h>
#include <linux/exo.h>

#include "exonet.h"

#define MAX_SEND (64u << 20)

enum mode { CMD, ECHO, SEND, SINK, DONE };

struct conn {
	struct exonet_sock *s;
	enum mode mode;
	char line[64];
	size_t linelen;
	uint64_t left, off, count, hash;
	uint8_t pend[4096];		/* ECHO: bytes not yet taken by write */
	size_t pendlen;
	int refs;			/* zero-copy references in flight */
	int closing, closed;
};

static volatile sig_atomic_t stop;
static uint8_t *pattern;
static int quiet;
static unsigned long served, refs_out;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void released(void *cookie)
{
	struct conn *c = cookie;

	refs_out--;
	if (--c->refs == 0 && c->closed)
		free(c);
}

static void finish(struct conn *c)
{
	if (!c->closing) {
		exonet_shutdown(c->s, SHUT_WR);
		c->closing = 1;
	}
}

static void pump_send(struct conn *c)
{
	while (c->left && exonet_write_refs_free(c->s) > 1) {
		size_t n = c->left > 65536 ? 65536 : (size_t)c->left;
		ssize_t r = exonet_write_ref(c->s, pattern + (c->off % 256), n,
					     c->left > n ? EXONET_WR_MORE : 0, released, c);

		if (r < 0)
			break;
		c->refs++;
		refs_out++;
		c->off += n;
		c->left -= n;
	}
	if (!c->left)
		finish(c);
}

static void pump_echo(struct conn *c)
{
	for (;;) {
		if (c->pendlen) {
			ssize_t w = exonet_write(c->s, c->pend, c->pendlen, 0);

			if (w <= 0)
				return;
			memmove(c->pend, c->pend + w, c->pendlen - (size_t)w);
			c->pendlen -= (size_t)w;
			continue;
		}
		ssize_t r = exonet_read(c->s, c->pend, sizeof(c->pend));

		if (r == 0) {
			finish(c);
			return;
		}
		if (r < 0)
			return;
		c->pendlen = (size_t)r;
	}
}

static void pump_sink(struct conn *c)
{
	uint8_t buf[8192];
	ssize_t r;

	while ((r = exonet_read(c->s, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			c->hash ^= buf[i];
			c->hash *= 0x100000001b3ULL;
		}
		c->count += (uint64_t)r;
	}
	if (r == 0 && c->mode == SINK) {
		char out[64];
		int n = snprintf(out, sizeof(out), "%llu %016llx\n",
				 (unsigned long long)c->count, (unsigned long long)c->hash);

		exonet_write(c->s, out, (size_t)n, 0);
		finish(c);
		c->mode = DONE;
	}
}

static void pump(struct conn *c)
{
	while (c->mode == CMD) {
		char ch;
		ssize_t r = exonet_read(c->s, &ch, 1);

		if (r <= 0) {
			if (r == 0)
				finish(c);
			return;
		}
		if (ch != '\n') {
			if (c->linelen < sizeof(c->line) - 1)
				c->line[c->linelen++] = ch;
			continue;
		}
		c->line[c->linelen] = 0;
		if (!strcmp(c->line, "ECHO"))
			c->mode = ECHO;
		else if (!strcmp(c->line, "SINK")) {
			c->mode = SINK;
			c->hash = 0xcbf29ce484222325ULL;
		} else if (!strncmp(c->line, "SEND ", 5) &&
			   strtoull(c->line + 5, NULL, 10) <= MAX_SEND) {
			c->mode = SEND;
			c->left = strtoull(c->line + 5, NULL, 10);
		} else {
			exonet_write(c->s, "ERR\n", 4, 0);
			finish(c);
			c->mode = DONE;
		}
	}
	if (c->mode == ECHO)
		pump_echo(c);
	else if (c->mode == SEND)
		pump_send(c);
	else if (c->mode == SINK)
		pump_sink(c);
	else if (c->mode == DONE) {
		uint8_t buf[512];

		while (exonet_read(c->s, buf, sizeof(buf)) > 0)
			;
	}
}

static int intruder(const char *ifname, const char *addr, int port)
{
	struct exo_nic *nic;
	exo_cap_t flow;
	uint8_t frame[64] = { 0 };
	unsigned int dropped = 0;
	int fd = exo_open(), ret, ok = 1;
	uint16_t p;

	if (fd < 0)
		return 2;
	ret = exo_flow_alloc(fd, ifname, IPPROTO_TCP, addr, (uint16_t)port, NULL, 0, &flow);
	printf("intruder: minting the server's flow: %s\n", ret ? strerror(-ret) : "ALLOWED");
	ok &= ret == -EADDRINUSE;
	ret = exo_flow_alloc(fd, ifname, IPPROTO_TCP, addr, (uint16_t)(port + 1), NULL, 0, &flow);
	if (ret)
		return 2;
	nic = exo_nic__bind(fd, flow, 1, 1);
	if (!nic)
		return 2;
	/* an IPv4/TCP frame from the device's MAC claiming the server's port */
	memcpy(frame + 6, exo_nic__ring(nic)->mac, 6);
	frame[12] = 8, frame[14] = 0x45, frame[17] = 40, frame[22] = 64, frame[23] = 6;
	inet_pton(AF_INET, addr, frame + 26);
	inet_pton(AF_INET, "10.78.0.2", frame + 30);
	p = htons((uint16_t)port);
	memcpy(frame + 34, &p, 2);
	frame[46] = 0x50, frame[47] = 0x04;
	{
		const void *pk[1] = { frame };
		__u16 len[1] = { 54 };

		ret = exo_nic__tx_burst(nic, pk, len, 1);
	}
	{
		struct exo_nic_counters c;

		exo_nic__stat(nic, &c);
		dropped = (unsigned int)c.tx_spoofed;
		printf("intruder: spoofed frame: sent %d, tx_spoofed %u\n", ret, dropped);
		ok &= ret == 0 && c.tx_spoofed == 1 && c.tx_packets == 0;
	}
	exo_nic__free(nic);
	exo_close(fd);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct exonet_config cfg;
	struct exonet_event ev[64];
	struct exonet_sock *ls;
	struct exonet_stats sx;
	struct exonet *st;
	int i, n, icmp = 0;

	if (argc == 5 && !strcmp(argv[1], "--intruder"))
		return intruder(argv[2], argv[3], atoi(argv[4]));
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-i"))
			icmp = 1;
		else if (!strcmp(argv[1], "-q"))
			quiet = 1;
		argc--, argv++;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: exonet-echo [-i] [-q] IFNAME ADDR PORT\n");
		return 2;
	}
	pattern = malloc(65536 + 256);
	for (i = 0; i < 65536 + 256; i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	/* stream offset k is pattern[k % 256 + j]: the pattern has period 256 */
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	exonet_config_init(&cfg);
	cfg.icmp = icmp;
	cfg.max_conns = 512;
	st = exonet_open(argv[1], argv[2], (uint16_t)atoi(argv[3]), &cfg);
	if (!st) {
		fprintf(stderr, "exonet-echo: exonet_open: %s\n", strerror(errno));
		return 1;
	}
	ls = exonet_listen(st, 256);
	printf("exonet-echo: listening on %s:%s\n", argv[2], argv[3]);
	fflush(stdout);
	while (!stop) {
		n = exonet_poll(st, ev, 64, 1000);
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "exonet-echo: poll: %s\n", strerror(-n));
			break;
		}
		for (i = 0; i < n; i++) {
			struct exonet_sock *s;
			struct conn *c;

			if (ev[i].sock == ls) {
				while ((s = exonet_accept(ls))) {
					c = calloc(1, sizeof(*c));
					if (!c) {
						exonet_abort(s);
						continue;
					}
					c->s = s;
					exonet_sock_set_user(s, c);
					pump(c);
				}
				continue;
			}
			c = ev[i].user;
			if (ev[i].events & EXONET_EV_ERR) {
				if (!quiet)
					printf("exonet-echo: connection error %s\n",
					       strerror(-exonet_sock_error(c->s)));
				exonet_close(c->s);
				c->closed = 1;
				if (!c->refs)
					free(c);	/* else the last release frees it */
				continue;
			}
			pump(c);
			if (c->closing && exonet_sock_state(c->s) != EXONET_ESTABLISHED &&
			    exonet_sock_state(c->s) != EXONET_CLOSE_WAIT &&
			    (exonet_sock_events(c->s) & EXONET_EV_HUP)) {
				exonet_close(c->s);
				c->closed = 1;
				served++;
				if (!c->refs)
					free(c);
			}
		}
	}
	exonet_stats(st, &sx);
	printf("exonet-echo: served %lu; rx %llu tx %llu; accepted %llu reset %llu timedout %llu; "
	       "cookies %llu/%llu; retransmits %llu (rto %llu, fast %llu); ooo %llu dup %llu; "
	       "challenge acks %llu; rst sent %llu; timewait %llu (reused %llu); icmp echo %llu; "
	       "bad csum %llu\n", served,
	       (unsigned long long)sx.rx_frames, (unsigned long long)sx.tx_frames,
	       (unsigned long long)sx.conns_accepted, (unsigned long long)sx.conns_reset,
	       (unsigned long long)sx.conns_timedout, (unsigned long long)sx.syn_cookies_ok,
	       (unsigned long long)sx.syn_cookies_sent, (unsigned long long)sx.retransmits,
	       (unsigned long long)sx.rto_expired, (unsigned long long)sx.fast_retransmits,
	       (unsigned long long)sx.ooo_segments, (unsigned long long)sx.dup_segments,
	       (unsigned long long)sx.challenge_acks, (unsigned long long)sx.rst_sent,
	       (unsigned long long)sx.timewait, (unsigned long long)sx.timewait_reused,
	       (unsigned long long)sx.icmp_echo, (unsigned long long)sx.rx_bad_csum);
	exonet_free(st);
	return 0;
}
