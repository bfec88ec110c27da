// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * exo-httpd — a static web server on libos-web's TCP/IP stack (exonet),
 * over one exo NIC flow binding.  See exo-httpd(8) and libos-web/README.md.
 *
 * One thread, one event loop: exonet_poll() sends what is queued, takes a
 * burst of frames, runs the timers and hands back the sockets that changed;
 * the server reads each one's input into its HTTP connection (http/conn.c),
 * which answers the requests in order: the head copied into the stack's
 * send buffer, the body queued by reference to the file cache (Cheetah's
 * merged file cache and retransmission pool: the stack rebuilds any
 * retransmitted segment from the cache).  Because transmission is deferred
 * to the next poll, a response carries the ACK of its request and the FIN
 * rides on the last data segment; the switches below turn each of these
 * off so bench-web can measure what it is worth.
 *
 * The whole document tree is loaded at start into page frames the server's
 * env holds (httpd/mem_exo.c), or anonymous memory with --cache-mem=anon.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <exo.h>
#include <exonet.h>

#include "http.h"
#include "docroot_exofs.h"
#include "mem_exo.h"

/* ---- Options ---------------------------------------------------------------- */

#define OPT_ACK_MERGE	(1U << 8)	/* ACK of a request on its response */
#define OPT_FIN_MERGE	(1U << 9)	/* FIN on the last data segment */
#define OPT_ZC_TX	(1U << 10)	/* cache frames attached to packets */
#define OPT_TSO		(1U << 11)	/* TSO descriptors of up to 64 KiB */
#define OPT_CSUM_OFF	(1U << 12)	/* checksums finished by the device */
#define OPT_BATCH_WAKE	(1U << 13)	/* a wakeup per batch of frames */
#define OPT_LAZY_WAKE	(1U << 14)	/* no wakeup for a lone ACK or FIN */

static struct {
	const char *ifname, *addr, *root;
	const char *exofs;		/* key file of an exofs to serve */
	unsigned int port;
	int log;			/* 0 quiet, 1 errors, 2 info, 3 requests */
	uint32_t opts;			/* HTTP_OPT_* | OPT_* */
	bool attach_only, detach_only, anon_mem;
	uint32_t max_conns;
	uint32_t rx_ring;		/* receive ring frames (2 slots each) */
	size_t cache_max;
	struct http_timeouts to;
} cfg = {
	.log = 2,
	.opts = HTTP_OPT_ALL | OPT_ACK_MERGE | OPT_FIN_MERGE | OPT_ZC_TX |
		OPT_TSO | OPT_CSUM_OFF | OPT_BATCH_WAKE | OPT_LAZY_WAKE,
	.max_conns = 1024,
	/*
	 * 1024 packet slots, as many as Linux's per-CPU backlog
	 * (netdev_max_backlog) holds for nginx: in the TCG guest the server's
	 * vCPU is preempted by the host for 0.1-0.7 s under load, and at 450
	 * connections/s a 128-slot ring overflowed (bench-web rate rows: up
	 * to 756 ring-full drops a load; none with 1024 slots).
	 */
	.rx_ring = 512,
	.cache_max = 48u << 20,
	.to = { .header_ms = 60000, .idle_ms = 75000, .send_ms = 60000,
		.linger_ms = 5000 },
};

static void logmsg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logmsg(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "info", "debug" };
	char date[HTTP_DATE_LEN + 1];
	va_list ap;

	if (level > cfg.log)
		return;
	http_date_format(time(NULL), date);
	fprintf(stderr, "[%s] exo-httpd %s: ", date, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: exo-httpd -i IFACE -a ADDR [-p PORT] -r DOCROOT [options]\n"
"       exo-httpd -i IFACE -a ADDR [-p PORT] --exofs KEYFILE [options]\n"
"       exo-httpd --attach -i IFACE        (root: attach the device, exit)\n"
"       exo-httpd --detach -i IFACE        (root: detach it, exit)\n"
"  -i, --interface IFACE    network device attached to exo\n"
"  -a, --address ADDR       local IPv4 address (one of the device's)\n"
"  -p, --port PORT          TCP port (default 80; >= 1024 unless root)\n"
"  -r, --root DIR           document root, loaded into memory at start\n"
"      --exofs KEYFILE      serve the exofs of the principal whose key is in\n"
"                           KEYFILE (libos-web/fs), its data blocks read from\n"
"                           the disk straight into the cache's frames\n"
"  -l, --log-level N        0 quiet, 1 errors, 2 info (default), 3 each request\n"
"  -c, --max-conns N        connections at once (default 1024)\n"
"      --rx-ring N          frames of exo's receive ring (two packet slots\n"
"                           each), a power of two up to 4096 (default 512):\n"
"                           room for packets that arrive while the server\n"
"                           does not run\n"
"      --cache-max BYTES    memory for documents (default 48 MiB)\n"
"      --cache-mem exo|anon documents in exo frames (default) or anonymous memory\n"
"      --keepalive-timeout S  idle keep-alive connections closed after S s (75)\n"
"      --header-timeout S   a request head must arrive within S s (60; 408)\n"
"  Cheetah's optimisations, each on by default:\n"
"      --no-prebuilt        format every response head instead of copying\n"
"                           the one prebuilt with the file\n"
"      --no-csum            no per-file checksum tables\n"
"      --no-zerocopy        copy file bytes into the connection's send buffer\n"
"                           (and retransmit from it) instead of sending them\n"
"                           by reference to the cache (no merged file cache\n"
"                           and retransmission pool)\n"
"      --no-ack-merge       send a request's ACK at once, not on its response\n"
"      --no-fin-merge       send FIN in a segment of its own\n"
"      --no-batch-wakeup    one received frame per step and a kernel entry\n"
"                           (exo_wait, the predicate) for each, instead of\n"
"                           one wakeup per batch\n"
"      --no-lazy-wakeup     wake for every received frame, not only for SYNs,\n"
"                           RSTs and data (a lone ACK or FIN waits for the\n"
"                           next of those, 10 ms at most)\n"
"  The NIC's transmit offloads (exo), each on by default where exo has them:\n"
"      --no-zc-tx           copy cached bytes into the transmit ring instead of\n"
"                           attaching the cache's frames to the packets\n"
"      --no-tso             one descriptor per segment instead of TSO segments\n"
"                           of up to 64 KiB\n"
"      --no-csum-offload    compute every TCP checksum in exo-httpd\n");
}

static int parse_args(int argc, char **argv)
{
	enum { O_CACHE_MAX = 256, O_CACHE_MEM, O_KA, O_HDR, O_NO_PRE, O_NO_CSUM,
	       O_NO_ZC, O_NO_ACK, O_NO_FIN, O_ATTACH, O_DETACH, O_NO_ZCTX,
	       O_NO_TSO, O_NO_CSUMOFF, O_EXOFS, O_NO_BATCH, O_NO_LAZY, O_RX_RING };
	static const struct option lopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "max-conns", required_argument, NULL, 'c' },
		{ "rx-ring", required_argument, NULL, O_RX_RING },
		{ "help", no_argument, NULL, 'h' },
		{ "cache-max", required_argument, NULL, O_CACHE_MAX },
		{ "cache-mem", required_argument, NULL, O_CACHE_MEM },
		{ "keepalive-timeout", required_argument, NULL, O_KA },
		{ "header-timeout", required_argument, NULL, O_HDR },
		{ "no-prebuilt", no_argument, NULL, O_NO_PRE },
		{ "no-csum", no_argument, NULL, O_NO_CSUM },
		{ "no-zerocopy", no_argument, NULL, O_NO_ZC },
		{ "no-ack-merge", no_argument, NULL, O_NO_ACK },
		{ "no-fin-merge", no_argument, NULL, O_NO_FIN },
		{ "no-zc-tx", no_argument, NULL, O_NO_ZCTX },
		{ "no-tso", no_argument, NULL, O_NO_TSO },
		{ "no-csum-offload", no_argument, NULL, O_NO_CSUMOFF },
		{ "no-batch-wakeup", no_argument, NULL, O_NO_BATCH },
		{ "no-lazy-wakeup", no_argument, NULL, O_NO_LAZY },
		{ "exofs", required_argument, NULL, O_EXOFS },
		{ "attach", no_argument, NULL, O_ATTACH },
		{ "detach", no_argument, NULL, O_DETACH },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg.port = geteuid() == 0 ? 80 : 0;
	while ((c = getopt_long(argc, argv, "i:a:p:r:l:c:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': cfg.ifname = optarg; break;
		case 'a': cfg.addr = optarg; break;
		case 'p': cfg.port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'r': cfg.root = optarg; break;
		case 'l': cfg.log = atoi(optarg); break;
		case 'c': cfg.max_conns = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); exit(0);
		case O_CACHE_MAX: cfg.cache_max = strtoull(optarg, NULL, 0); break;
		case O_CACHE_MEM:
			if (strcmp(optarg, "exo") && strcmp(optarg, "anon"))
				return -1;
			cfg.anon_mem = !strcmp(optarg, "anon");
			break;
		case O_KA: cfg.to.idle_ms = strtoull(optarg, NULL, 10) * 1000; break;
		case O_HDR: cfg.to.header_ms = strtoull(optarg, NULL, 10) * 1000; break;
		case O_NO_PRE: cfg.opts &= ~HTTP_OPT_PREBUILT; break;
		case O_NO_CSUM: cfg.opts &= ~HTTP_OPT_CSUM; break;
		case O_NO_ZC: cfg.opts &= ~HTTP_OPT_ZEROCOPY; break;
		case O_NO_ACK: cfg.opts &= ~OPT_ACK_MERGE; break;
		case O_NO_FIN: cfg.opts &= ~OPT_FIN_MERGE; break;
		case O_NO_ZCTX: cfg.opts &= ~OPT_ZC_TX; break;
		case O_NO_TSO: cfg.opts &= ~OPT_TSO; break;
		case O_NO_CSUMOFF: cfg.opts &= ~OPT_CSUM_OFF; break;
		case O_NO_BATCH: cfg.opts &= ~OPT_BATCH_WAKE; break;
		case O_NO_LAZY: cfg.opts &= ~OPT_LAZY_WAKE; break;
		case O_RX_RING: cfg.rx_ring = (uint32_t)strtoul(optarg, NULL, 10); break;
		case O_EXOFS: cfg.exofs = optarg; break;
		case O_ATTACH: cfg.attach_only = true; break;
		case O_DETACH: cfg.detach_only = true; break;
		default: return -1;
		}
	}
	if (optind != argc || !cfg.ifname)
		return -1;
	if (cfg.attach_only && cfg.detach_only)
		return -1;
	if (cfg.attach_only || cfg.detach_only)
		return 0;
	if (!cfg.addr || !cfg.root == !cfg.exofs || cfg.port == 0 ||
	    cfg.port > 65535 ||
	    cfg.max_conns == 0 || cfg.log < 0 || cfg.log > 3 ||
	    !cfg.rx_ring || (cfg.rx_ring & (cfg.rx_ring - 1)) || cfg.rx_ring > 4096)
		return -1;
	return 0;
}

/* ---- Connections -------------------------------------------------------------- */

struct hconn {
	struct exonet_sock *sock;
	struct exonet *st;
	struct hconn *next, *prev;	/* the live list, for timeouts */
	uint32_t peer;
	uint16_t pport;
	bool acked;			/* bytes acked since the last tick */
	struct http_conn http;
};

static struct {
	struct exonet *st;
	struct exonet_sock *ls;
	struct http_server_ctx ctx;
	struct hconn live;		/* list head */
	uint32_t nconns;
	uint64_t accepted, requests, refused;
} srv;

static volatile sig_atomic_t stop, report;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static void log_totals(const char *what)
{
	uint64_t waits = 0, kicks = 0, urgent, lazy;
	char wakes[64] = "lazy wakeups off";

	exonet_exo_entries(srv.st, &waits, &kicks);
	if (!exonet_exo_wakes(srv.st, &urgent, &lazy))
		snprintf(wakes, sizeof(wakes), "frames: %llu urgent, %llu lazy",
			 (unsigned long long)urgent, (unsigned long long)lazy);
	struct exonet_stats x;

	exonet_stats(srv.st, &x);
	/*
	 * The ring's promptness since the last report (then started again):
	 * the longest a frame sat in the receive ring and where the time
	 * before that drain went (asleep: a late wakeup; the application;
	 * the rest the stack's steps), the longest awake gap between drains,
	 * the longest poll step (scripts/bench-web prints them per load).
	 */
	logmsg(2, "%s: %llu connections, %llu requests, %llu refused; "
	       "kernel entries: %llu waits, %llu kicks; %s; "
	       "ring: frame waited max %llu us (gap %llu us: asleep %llu, app %llu; "
	       "%llu frames), awake gap max %llu us (app %llu), step max %llu us "
	       "(rx %llu, timers+out %llu, %llu frames)", what,
	       (unsigned long long)srv.accepted,
	       (unsigned long long)srv.requests,
	       (unsigned long long)srv.refused,
	       (unsigned long long)waits, (unsigned long long)kicks, wakes,
	       (unsigned long long)x.rx_wait_max_us, (unsigned long long)x.rx_wait_gap_us,
	       (unsigned long long)x.rx_wait_sleep_us, (unsigned long long)x.rx_wait_app_us,
	       (unsigned long long)x.rx_wait_frames, (unsigned long long)x.rx_gap_max_us,
	       (unsigned long long)x.rx_gap_app_us, (unsigned long long)x.step_max_us,
	       (unsigned long long)x.step_rx_us, (unsigned long long)x.step_timer_us,
	       (unsigned long long)x.step_frames);
	exonet_stats_clear_max(srv.st);
}

static long io_write(void *ctx, const void *p, size_t len, bool more)
{
	struct hconn *c = ctx;
	ssize_t n = exonet_write(c->sock, p, len, more ? EXONET_WR_MORE : 0);

	return n == -EAGAIN ? 0 : n;
}

static long io_write_ref(void *ctx, struct http_file *f, uint64_t off,
			 size_t len, bool more)
{
	struct hconn *c = ctx;
	ssize_t n = exonet_write_ref(c->sock, f->data + off, len,
				     more ? EXONET_WR_MORE : 0, NULL, NULL);

	return n == -EAGAIN ? 0 : n;
}

static void io_shutdown(void *ctx)
{
	struct hconn *c = ctx;

	if (!(cfg.opts & OPT_FIN_MERGE))
		exonet_flush(c->st);		/* the data leaves without FIN */
	exonet_shutdown(c->sock, SHUT_WR);
}

static void conn_free(struct hconn *c, bool abort)
{
	if (abort)
		exonet_abort(c->sock);
	else
		exonet_close(c->sock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	srv.nconns--;
	free(c);
}

static void conn_accept(uint64_t now)
{
	struct exonet_sock *s;

	while ((s = exonet_accept(srv.ls))) {
		struct hconn *c = NULL;

		if (srv.nconns < cfg.max_conns)
			c = malloc(sizeof(*c));
		if (!c) {
			srv.refused++;
			exonet_abort(s);
			continue;
		}
		c->sock = s;
		c->st = srv.st;
		c->acked = false;
		exonet_sock_peer(s, &c->peer, &c->pport);
		http_conn_init(&c->http, now);
		c->next = srv.live.next;
		c->prev = &srv.live;
		c->next->prev = c;
		srv.live.next = c;
		srv.nconns++;
		srv.accepted++;
		exonet_sock_set_user(s, c);
	}
}

static void log_request(struct hconn *c, uint64_t before)
{
	char a[INET_ADDRSTRLEN];

	if (cfg.log < 3 || c->http.requests == before)
		return;
	inet_ntop(AF_INET, &c->peer, a, sizeof(a));
	logmsg(3, "%s:%u %d (%llu requests on this connection)", a, c->pport,
	       c->http.resp.status, (unsigned long long)c->http.requests);
}

/*
 * Read what @c's socket has and answer it.  When the input buffer filled
 * up (pipelined requests waiting behind a response), answering frees room,
 * and what is still in the socket is read then: no new event would come
 * for it.  Returns false when @c is gone.
 */
static bool conn_serve(struct hconn *c, uint32_t events, uint64_t now)
{
	struct http_io io = { c, io_write, io_write_ref, io_shutdown };
	uint64_t before = c->http.requests;
	int ret = 1;

	if (events & EXONET_EV_ERR) {
		conn_free(c, false);
		return false;
	}
	if (events & EXONET_EV_WRITE)
		c->acked = true;	/* the stack freed acknowledged bytes */
	for (int round = 0; round < 64; round++) {
		bool got = false, full = false;
		char *p;

		for (;;) {
			size_t room = http_conn_in_space(&c->http, &p);
			ssize_t n;

			if (!room) {
				full = true;
				break;
			}
			n = exonet_read(c->sock, p, room);
			if (n > 0) {
				http_conn_received(&c->http, (size_t)n);
				got = true;
				continue;
			}
			if (n == 0) {
				http_conn_eof(&c->http);
			} else if (n != -EAGAIN) {
				conn_free(c, false);	/* reset, timed out */
				return false;
			}
			break;
		}
		if (got && !(cfg.opts & OPT_ACK_MERGE))
			exonet_flush(srv.st);	/* the ACK leaves on its own */
		ret = http_conn_run(&c->http, &srv.ctx, &io, now);
		if (ret <= 0 || !full || !http_conn_in_space(&c->http, &p))
			break;
	}
	srv.requests += c->http.requests - before;
	log_request(c, before);
	if (ret < 0 || (ret == 0 && c->http.eof)) {
		conn_free(c, ret < 0);
		return false;
	}
	return true;
}

/* Once a second: the time limits of every connection. */
static void conn_timeouts(uint64_t now)
{
	struct hconn *c, *next;

	for (c = srv.live.next; c != &srv.live; c = next) {
		enum exonet_tcp_state ts = exonet_sock_state(c->sock);

		next = c->next;
		/*
		 * The lingering close counts from when our FIN is acked, i.e.
		 * the client has every byte: a big response handed over by
		 * reference in one call may still be in flight long after.
		 * Until then the send timeout applies, restarted only by
		 * acknowledged bytes: a client that holds a zero window open
		 * (answering the stack's probes, which keeps the connection
		 * alive in TCP) does not hold it here forever.
		 */
		http_conn_closing(&c->http, ts != EXONET_FIN_WAIT_1 &&
				  ts != EXONET_CLOSING && ts != EXONET_LAST_ACK &&
				  ts != EXONET_ESTABLISHED, c->acked, now);
		c->acked = false;
		if (http_conn_timeout(&c->http, &srv.ctx, &cfg.to, now)) {
			/* idle keep-alive: FIN; stuck or lingering: RST */
			conn_free(c, c->http.phase != HC_READ);
			continue;
		}
		if (c->http.phase == HC_WRITE)	/* a 408 queued, or a retry */
			conn_serve(c, 0, now);
	}
}

/* ---- Main ------------------------------------------------------------------- */

/*
 * --attach, --detach: root hands the device to exo or takes it back (so
 * that, e.g., bench-web measures nginx on a device exo's rx_handler is
 * not on).  Detaching a device that is not attached is not an error.
 */
static int attach_only(bool attach)
{
	int fd = exo_open(), ret;

	if (fd < 0) {
		logmsg(1, "/dev/exo: %s", strerror(-fd));
		return 1;
	}
	ret = attach ? exo_nic_attach(fd, cfg.ifname) :
		       exo_nic_detach(fd, cfg.ifname);
	exo_close(fd);
	if (attach && ret && ret != -EEXIST && ret != -EBUSY) {
		logmsg(1, "attach %s: %s", cfg.ifname, strerror(-ret));
		return 1;
	}
	if (!attach && ret && ret != -ENODEV) {
		logmsg(1, "detach %s: %s", cfg.ifname, strerror(-ret));
		return 1;
	}
	logmsg(2, "%s is %s exo", cfg.ifname,
	       attach ? "attached to" : "detached from");
	return 0;
}

/* The documents into the cache: a host directory, or an exofs. */
static int load_cache(struct http_cache *cache, const struct mem_exo *mem,
		      const struct http_mem *hmem)
{
	const struct http_cache_limits lim = {
		.max_bytes = cfg.cache_max, .max_files = 65536, .max_depth = 32,
	};
	struct docroot_exofs d;
	struct http_docsrc src;
	uint64_t reads, direct;
	int ret;

	if (cfg.root)
		return http_cache_load(cache, cfg.root, cfg.opts & HTTP_OPT_ALL,
				       hmem, &lim);
	ret = docroot_exofs_open(&d, cfg.exofs, hmem ? mem : NULL, &src);
	if (ret)
		return ret;
	reads = d.dev->reads;
	direct = d.dev->direct;
	ret = http_cache_load_src(cache, &src, cfg.opts & HTTP_OPT_ALL, hmem, &lim);
	logmsg(2, "exofs: %llu block reads, %llu straight into the cache's frames",
	       (unsigned long long)(d.dev->reads - reads),
	       (unsigned long long)(d.dev->direct - direct));
	docroot_exofs_close(&d);
	return ret;
}

int main(int argc, char **argv)
{
	struct exonet_config ncfg;
	struct http_cache cache;
	struct mem_exo mem = { .fd = -1 };
	struct http_mem hmem;
	struct exonet_event evs[64];
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t last_tick = 0;
	int ret;

	if (parse_args(argc, argv)) {
		usage(stderr);
		return 2;
	}
	if (cfg.attach_only || cfg.detach_only)
		return attach_only(cfg.attach_only);
	if (cfg.port < 1024 && geteuid() != 0)
		logmsg(1, "port %u needs root; exo gives others ports >= 1024",
		       cfg.port);

	if (!cfg.anon_mem) {
		ret = mem_exo_init(&mem, cfg.cache_max);
		if (ret) {
			logmsg(1, "exo memory for the cache: %s", strerror(-ret));
			return 1;
		}
		mem_exo_provider(&mem, &hmem);
	}
	ret = load_cache(&cache, &mem, cfg.anon_mem ? NULL : &hmem);
	if (ret) {
		logmsg(1, "loading %s: %s", cfg.root ? cfg.root : cfg.exofs,
		       strerror(-ret));
		mem_exo_fini(&mem);
		return 1;
	}
	logmsg(2, "%u entries, %llu bytes of documents in %s", cache.nfiles,
	       (unsigned long long)cache.bytes,
	       cfg.anon_mem ? "anonymous memory" : "exo frames");

	exonet_config_init(&ncfg);
	ncfg.max_conns = cfg.max_conns + cfg.max_conns / 4;
	ncfg.rx_frames = cfg.rx_ring;
	if (geteuid() != 0)
		ncfg.flags |= EXONET_CFG_NO_ATTACH;
	if (!(cfg.opts & OPT_ZC_TX))
		ncfg.flags |= EXONET_CFG_NO_ZC_TX;
	if (!(cfg.opts & OPT_TSO))
		ncfg.flags |= EXONET_CFG_NO_TSO;
	if (!(cfg.opts & OPT_CSUM_OFF))
		ncfg.flags |= EXONET_CFG_NO_CSUM_OFFLOAD;
	if (!(cfg.opts & OPT_BATCH_WAKE))
		ncfg.flags |= EXONET_CFG_WAKE_PER_PACKET;
	if (!(cfg.opts & OPT_LAZY_WAKE))
		ncfg.flags |= EXONET_CFG_NO_LAZY_WAKE;
	if (!cfg.anon_mem) {
		/*
		 * The binding in the cache's env: a packet's fragments name
		 * frames of the env that sends it.
		 */
		ncfg.flags |= EXONET_CFG_EXO_FD;
		ncfg.exo_fd = mem.fd;
	}
	srv.st = exonet_open(cfg.ifname, cfg.addr, (uint16_t)cfg.port, &ncfg);
	if (!srv.st) {
		logmsg(1, "%s %s:%u: %s%s", cfg.ifname, cfg.addr, cfg.port,
		       strerror(errno), errno == ENODEV ?
		       " (root must attach the device: exo-httpd --attach -i IFACE)" :
		       "");
		http_cache_free(&cache);
		mem_exo_fini(&mem);
		return 1;
	}
	if (!cfg.anon_mem && (exonet_features(srv.st) & EXONET_DEV_ZC)) {
		/* the cache's frames: segments are sent straight from them */
		ret = exonet_tx_region(srv.st, mem.base, mem.len, mem.caps);
		if (ret)
			logmsg(1, "zero-copy transmit from the cache: %s", strerror(-ret));
	}
	{
		uint32_t f = exonet_features(srv.st);

		logmsg(2, "transmit: checksum offload %s, TSO %s, zero-copy from the cache %s",
		       f & EXONET_DEV_CSUM ? "on" : "off", f & EXONET_DEV_TSO ? "on" : "off",
		       f & EXONET_DEV_ZC && !cfg.anon_mem ? "on" : "off");
	}
	srv.ls = exonet_listen(srv.st, 511);
	if (!srv.ls) {
		logmsg(1, "listen: %s", strerror(errno));
		return 1;
	}
	srv.live.next = srv.live.prev = &srv.live;
	srv.ctx.cache = &cache;
	srv.ctx.opts = cfg.opts & HTTP_OPT_ALL;
	http_ctx_clock(&srv.ctx, time(NULL));
	sigaction(SIGTERM, &sa, NULL);		/* no SA_RESTART: poll -EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	logmsg(2, "serving %s on %s %s:%u", cfg.root, cfg.ifname, cfg.addr,
	       cfg.port);

	while (!stop) {
		int n = exonet_poll(srv.st, evs, 64, 1000);
		uint64_t now = exonet_now_ms(srv.st);

		if (n < 0 && n != -EINTR) {
			logmsg(1, "poll: %s", strerror(-n));
			break;
		}
		http_ctx_clock(&srv.ctx, time(NULL));
		for (int i = 0; i < n; i++) {
			if (evs[i].sock == srv.ls) {
				conn_accept(now);
				continue;
			}
			if (evs[i].user)
				conn_serve(evs[i].user, evs[i].events, now);
		}
		if (now - last_tick >= 1000) {
			last_tick = now;
			conn_timeouts(now);
		}
		if (report) {
			report = 0;
			log_totals("totals");
		}
	}

	log_totals("stopping");
	while (srv.live.next != &srv.live)
		conn_free(srv.live.next, true);
	exonet_close(srv.ls);
	exonet_flush(srv.st);
	exonet_free(srv.st);
	http_cache_free(&cache);
	mem_exo_fini(&mem);
	return 0;
}
