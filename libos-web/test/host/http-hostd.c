// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * http-hostd — a test tool, not the product: libos-web's HTTP layer over
 * Linux sockets (epoll, non-blocking), so real clients (curl, wget, ab)
 * can be pointed at the parser, the cache and the connection logic on the
 * host, without the VM.  The server is exo-httpd, over libos-web's own
 * TCP/IP stack.
 *
 *   http-hostd [-p PORT] [-a ADDR] [-O opts] DOCROOT
 *
 * Prints "listening on ADDR:PORT" once ready; SIGTERM/SIGINT end it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "http.h"

#define MAX_CONNS 1024

struct hconn {
	int fd;
	struct http_conn http;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static long sock_write(void *ctx, const void *p, size_t len, bool more)
{
	struct hconn *c = ctx;
	ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

static void sock_shutdown(void *ctx)
{
	shutdown(((struct hconn *)ctx)->fd, SHUT_WR);
}

static void drop(int ep, struct hconn **slot)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, (*slot)->fd, NULL);
	close((*slot)->fd);
	free(*slot);
	*slot = NULL;
}

int main(int argc, char **argv)
{
	static struct hconn *conns[MAX_CONNS];
	struct http_timeouts to = { 60000, 75000, 60000, 5000 };
	struct http_cache cache;
	struct http_server_ctx ctx = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *addr = "127.0.0.1";
	int port = 8080, opt, ls, ep, one = 1;
	uint32_t opts = HTTP_OPT_ALL;

	while ((opt = getopt(argc, argv, "p:a:O:")) != -1) {
		if (opt == 'p')
			port = atoi(optarg);
		else if (opt == 'a')
			addr = optarg;
		else if (opt == 'O')
			opts = (uint32_t)strtoul(optarg, NULL, 0);
		else
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	if ((opt = http_cache_load(&cache, argv[optind], opts, NULL, NULL))) {
		fprintf(stderr, "http-hostd: %s: %s\n", argv[optind],
			strerror(-opt));
		return 1;
	}
	ctx.cache = &cache;
	ctx.opts = opts;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(ls, 512)) {
		perror("http-hostd: listen");
		return 1;
	}
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &(struct epoll_event){
		.events = EPOLLIN, .data.u32 = MAX_CONNS });
	printf("listening on %s:%d\n", addr, port);
	fflush(stdout);

	while (!stop) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, 1000);
		uint64_t now = now_ms();

		http_ctx_clock(&ctx, time(NULL));
		for (int i = 0; i < n; i++) {
			uint32_t k = evs[i].data.u32;
			struct hconn *c;
			struct http_io io;

			if (k == MAX_CONNS) {		/* accept */
				int fd;

				while ((fd = accept4(ls, NULL, NULL,
						     SOCK_NONBLOCK)) >= 0) {
					uint32_t s;

					for (s = 0; s < MAX_CONNS && conns[s]; s++)
						;
					if (s == MAX_CONNS ||
					    !(conns[s] = malloc(sizeof(*c)))) {
						close(fd);
						continue;
					}
					conns[s]->fd = fd;
					http_conn_init(&conns[s]->http, now);
					epoll_ctl(ep, EPOLL_CTL_ADD, fd,
						  &(struct epoll_event){
						  .events = EPOLLIN | EPOLLOUT |
							    EPOLLRDHUP | EPOLLET,
						  .data.u32 = s });
				}
				continue;
			}
			c = conns[k];
			if (!c)
				continue;
			io = (struct http_io){ c, sock_write, NULL, sock_shutdown };
			/* read all there is; when the buffer filled, answering
			 * frees room: read again (no new edge would come) */
			for (int round = 0; round < 64; round++) {
				bool full = false;
				char *p;

				for (;;) {
					size_t room = http_conn_in_space(&c->http, &p);
					ssize_t got;

					if (!room) {
						full = true;
						break;
					}
					got = recv(c->fd, p, room, 0);
					if (got > 0) {
						http_conn_received(&c->http, (size_t)got);
						continue;
					}
					if (got == 0 || errno != EAGAIN)
						http_conn_eof(&c->http);
					break;
				}
				if (http_conn_run(&c->http, &ctx, &io, now) <= 0 ||
				    !full || !http_conn_in_space(&c->http, &p))
					break;
			}
			if (http_conn_run(&c->http, &ctx, &io, now) < 0 ||
			    (c->http.phase == HC_CLOSING && c->http.eof) ||
			    (evs[i].events & (EPOLLERR | EPOLLHUP)))
				drop(ep, &conns[k]);
		}
		for (uint32_t s = 0; s < MAX_CONNS; s++) {
			if (conns[s] && http_conn_timeout(&conns[s]->http, &ctx,
							  &to, now))
				drop(ep, &conns[s]);
			else if (conns[s]) {
				struct http_io io = { conns[s], sock_write, NULL,
						      sock_shutdown };

				if (http_conn_run(&conns[s]->http, &ctx, &io, now) < 0)
					drop(ep, &conns[s]);
			}
		}
	}
	for (uint32_t s = 0; s < MAX_CONNS; s++)
		if (conns[s])
			drop(ep, &conns[s]);
	http_cache_free(&cache);
	return 0;
usage:
	fprintf(stderr, "usage: http-hostd [-p PORT] [-a ADDR] [-O opts] DOCROOT\n");
	return 2;
}
