/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * exonet.h — libos-web's TCP/IPv4 stack, a library over one exo NIC binding.
 *
 * One stack instance (struct exonet) serves ONE local IPv4 address and ONE
 * local TCP port: exactly what one exo flow capability protects.  Every
 * connection to that port arrives on the binding's one receive ring; the
 * stack demultiplexes by the remote (address, port).  It is passive only
 * (listen/accept; no connect), single-threaded (call it from one thread),
 * and event driven:
 *
 *     st = exonet_open("eth0", "10.0.0.1", 8080, NULL);
 *     ls = exonet_listen(st, 128);
 *     for (;;) {
 *         n = exonet_poll(st, ev, 64, -1);      // rx, timers, tx; may sleep
 *         for (i = 0; i < n; i++) {
 *             if (ev[i].sock == ls)  -> exonet_accept() until -EAGAIN
 *             if (ev[i].events & EXONET_EV_READ)  -> exonet_read() until -EAGAIN (0: EOF)
 *             if (ev[i].events & EXONET_EV_WRITE) -> more exonet_write()/_write_ref()
 *             if (ev[i].events & (EXONET_EV_ERR|EXONET_EV_HUP)) -> exonet_close()
 *         }
 *     }
 *
 * Events are edge-triggered: a socket is reported once per change of its
 * state (new data, new send space, new connection, peer FIN, error); the
 * application drains until -EAGAIN.  exonet_sock_events() gives the level.
 *
 * Transmission is deferred: writes, shutdowns and ACKs are queued and the
 * segments are built at the start of the next exonet_poll() (or by
 * exonet_flush()), so a response written while handling a request carries
 * that request's ACK, and a shutdown right after the last write puts the
 * FIN on the last data segment.  All of a poll's frames leave with one
 * kick of the transmit ring.
 *
 * Zero-copy send (exonet_write_ref): the send queue may hold references to
 * application-owned, immutable buffers (a file cache) instead of copies.
 * Segments, retransmissions included, are built from them; when every byte
 * of a reference has been acknowledged (or the connection is aborted or
 * freed) the stack calls the reference's release callback once.  That is
 * Cheetah's merged file cache and retransmission pool: no send buffer.
 *
 * Errors: functions returning int give 0 (or a count) on success and a
 * negative errno on failure (errno is NOT set), as libexo does.  Pointers
 * returned NULL set errno.
 *
 * Resources are bounded and allocated at exonet_open()/exonet_new():
 * connections, TIME_WAIT entries, per-connection receive and send buffers,
 * send-queue entries, out-of-order ranges.  Nothing is allocated per packet.
 *
 * The man page is exonet(3); what the stack does and does not do is in
 * libos-web/README.md.
 */
#ifndef LIBOS_WEB_EXONET_H
#define LIBOS_WEB_EXONET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct exonet;			/* a stack instance */
struct exonet_sock;		/* the listener or one connection */

/* ---- Configuration -------------------------------------------------------- */

/*
 * Options for exonet_open()/exonet_new().  Start from exonet_config_init()
 * (fills the defaults and sets @sz); 0 in a field means its default too.
 */
struct exonet_config {
	size_t sz;			/* sizeof(struct exonet_config) */
	uint32_t max_conns;		/* connections, all states (1024) */
	uint32_t max_timewait;		/* compact TIME_WAIT entries (4096);
					 * when full the oldest is dropped */
	uint32_t syn_backlog;		/* half-open (SYN_RCVD) connections
					 * before SYN cookies answer (128) */
	uint32_t rcvbuf;		/* per-connection receive buffer,
					 * bytes, power of two (65536) */
	uint32_t sndbuf;		/* per-connection copy send buffer,
					 * bytes, power of two (65536) */
	uint32_t sndq_refs;		/* send-queue entries per connection
					 * (writes, refs) (64) */
	uint32_t mss;			/* MSS to advertise (from the MTU) */
	uint32_t rto_min_ms;		/* RFC 6298 (2.4) lower bound (200) */
	uint32_t rto_max_ms;		/* upper bound (60000) */
	uint32_t rto_init_ms;		/* RFC 6298 (2.1) (1000) */
	uint32_t msl_ms;		/* TIME_WAIT lasts 2*MSL (30000) */
	uint32_t fin_wait2_ms;		/* orphaned FIN_WAIT_2 timeout (60000) */
	uint32_t keepalive_idle_ms;	/* idle before probing (7200000) */
	uint32_t keepalive_intvl_ms;	/* between probes (75000) */
	uint32_t keepalive_probes;	/* unanswered probes before reset (9) */
	uint32_t max_retries;		/* retransmissions, or zero-window
					 * probes the peer does not answer,
					 * before giving up (12) */
	uint32_t challenge_ack_limit;	/* RFC 5961 (7): stack-wide per
					 * second on average, each second's
					 * budget random in [limit/2, 3*limit/2)
					 * (1000); per connection at most one
					 * per 500 ms */
	uint32_t flags;			/* EXONET_CFG_* */
	/* exonet_open() only: */
	uint32_t rx_frames;		/* exo receive ring frames (512) */
	uint32_t tx_frames;		/* (64) */
	int icmp;			/* also bind an ICMP flow and answer
					 * echo requests (needs root) */
	int exo_fd;			/* with EXONET_CFG_EXO_FD: the env
					 * (an open /dev/exo) to bind in,
					 * not closed by the stack */
	/* orphans: connections closed with data or a FIN still to deliver;
	 * over a cap the oldest are reset */
	uint32_t max_orphans;		/* (max_conns / 2) */
	uint32_t max_orphan_bytes;	/* their queued bytes (64 MiB) */
	uint32_t orphan_lifetime_ms;	/* reset this long after the close
					 * however the peer acks (600000) */
};
#define EXONET_CFG_NO_SACK	(1U << 0)	/* do not offer SACK-permitted */
#define EXONET_CFG_NO_TS	(1U << 1)	/* no RFC 7323 timestamps */
#define EXONET_CFG_NO_WSCALE	(1U << 2)	/* no RFC 7323 window scale */
#define EXONET_CFG_NO_COOKIES	(1U << 3)	/* drop SYNs when the SYN queue is
						 * full instead of cookies */
#define EXONET_CFG_ALWAYS_COOKIES (1U << 4)	/* answer every SYN with a cookie */
#define EXONET_CFG_NO_ATTACH	(1U << 5)	/* exonet_open: do not try to
						 * attach the device (unprivileged) */
#define EXONET_CFG_NO_CSUM_OFFLOAD (1U << 6)	/* compute every checksum */
#define EXONET_CFG_NO_TSO	(1U << 7)	/* one descriptor per segment */
#define EXONET_CFG_NO_ZC_TX	(1U << 8)	/* copy every payload byte into
						 * the transmit slot */
#define EXONET_CFG_EXO_FD	(1U << 9)	/* exonet_open: use @exo_fd */
#define EXONET_CFG_WAKE_PER_PACKET (1U << 10)	/* no batching of received
						 * frames: one frame per step,
						 * and the device's wait (a
						 * kernel entry on exo) before
						 * each; a measurement mode */
#define EXONET_CFG_NO_LAZY_WAKE (1U << 11)	/* on exo: wake for every
						 * received frame, not lazily
						 * for a lone ACK or FIN
						 * (bpf/tcp_wake) */

void exonet_config_init(struct exonet_config *cfg);

/* ---- Creating a stack ---------------------------------------------------- */

/*
 * Create a stack over exo: open /dev/exo, attach @ifname (when root; an
 * unprivileged caller needs root to have attached it, set
 * EXONET_CFG_NO_ATTACH), mint a TCP flow for @addr (dotted quad, one of
 * the device's addresses) port @port, bind rings, and (cfg->icmp) an ICMP
 * flow.  @cfg may be NULL.  Returns the stack, or NULL with errno set
 * (EADDRINUSE: the port is taken in Linux or by another flow; EPERM: port
 * below 1024 or ICMP without root; ENODEV: device not attached).
 */
struct exonet *exonet_open(const char *ifname, const char *addr, uint16_t port,
			   const struct exonet_config *cfg);

/*
 * The same over an exo binding the caller made (exo_nic__bind on a TCP
 * flow for @addr:@port); @icmp may be NULL.  The stack does not own the
 * env fd or the bindings: free them after exonet_free().
 */
struct exo_nic;
struct exonet *exonet_new_exo(int exo_fd, struct exo_nic *tcp, struct exo_nic *icmp,
			      const struct exonet_config *cfg);

/*
 * The kernel entries a stack on exo (exonet_open, exonet_new_exo) has made
 * so far: sleeps (exo_wait) and transmit kicks (EXO_IOC_NIC_TX), the only
 * system calls of its poll loop.  Returns 0, or -EINVAL for a stack on
 * another device.
 */
int exonet_exo_entries(const struct exonet *st, uint64_t *waits, uint64_t *kicks);

/*
 * The received frames the binding's bpf/tcp_wake filter counted urgent
 * and lazy (see dev_exo.c).  Returns 0, or -ENOENT when the stack does
 * not wake lazily (EXONET_CFG_NO_LAZY_WAKE, per-packet mode, a binding
 * of the caller's, no eBPF), -EINVAL for a stack on another device.
 */
int exonet_exo_wakes(const struct exonet *st, uint64_t *urgent, uint64_t *lazy);

/*
 * The device layer, swappable: the exo binding is one implementation,
 * the host tests' virtual wire (frames injected and captured, a virtual
 * clock) another.  All of a device's calls come from the stack's thread.
 */
struct exonet_frag {
	const void *base;		/* the bytes (the device may copy them) */
	uint32_t len;
	uint32_t off;			/* @frame: the bytes' offset in it */
	uint64_t frame;			/* 0: copy the bytes; else the exo
					 * frame capability holding them (the
					 * fragment lies in that one page):
					 * attached by reference, zero-copy */
};

struct exonet_rxpkt {
	const uint8_t *data;		/* from the Ethernet header on */
	uint32_t len;
	uint64_t tstamp_ns;		/* arrival in the ring (the device's
					 * now_ns clock), 0 if unknown */
};

#define EXONET_FRAME_MAX	1792	/* largest frame, Ethernet header on */
#define EXONET_XMIT_MAX_FRAGS	16	/* payload fragments per descriptor */
#define EXONET_INLINE_MAX	1536	/* headers and copied bytes of a
					 * descriptor with referenced fragments */
#define EXONET_TSO_MAX		65521	/* IP datagram of a TSO descriptor:
					 * with the Ethernet header under the
					 * 64 KiB a device segments itself */

/* Device features (exonet_dev.features). */
#define EXONET_DEV_CSUM		(1U << 0)	/* finishes TCP checksums */
#define EXONET_DEV_TSO		(1U << 1)	/* cuts a TSO descriptor at @mss */
#define EXONET_DEV_ZC		(1U << 2)	/* attaches fragments with a frame
						 * by reference (needs tx_done) */
#define EXONET_DEV_WAIT_TX	(1U << 3)	/* wait() first sends what xmit()
						 * queued: no xmit_flush() before it */

/* One transmit descriptor: a frame, or with EXONET_TX_TSO a TCP segment of
 * up to EXONET_TSO_MAX bytes the device cuts into frames. */
#define EXONET_TX_CSUM		(1U << 0)	/* the device computes the TCP
						 * checksum (the field is 0) */
#define EXONET_TX_TSO		(1U << 1)	/* cut the payload at @mss bytes:
						 * each piece a segment with the
						 * headers derived from @hdr (FIN
						 * and PSH on the last only) */
struct exonet_tx {
	const void *hdr;		/* Ethernet, IPv4 and TCP headers */
	uint32_t hdrlen;
	uint32_t flags;			/* EXONET_TX_* */
	const struct exonet_frag *frags;	/* the payload, in order: every
					 * copied fragment before the first
					 * referenced one */
	unsigned int nfrags;
	uint16_t mss;			/* EXONET_TX_TSO: payload per frame */
	uint32_t token;			/* out: with a referenced fragment,
					 * the descriptor's completion token */
};

struct exonet_dev {
	void *ctx;
	uint8_t mac[6];			/* the device's address */
	uint16_t mtu;			/* IP MTU (1500) */
	uint32_t features;		/* EXONET_DEV_* offloads */
	/* Peek up to @max received frames; valid until rx_release(). */
	unsigned int (*rx_burst)(void *ctx, struct exonet_rxpkt *pkts,
				 unsigned int max);
	/* The @n oldest peeked frames are done with. */
	void (*rx_release)(void *ctx, unsigned int n);
	/*
	 * Queue one descriptor (struct exonet_tx): headers (checksums
	 * filled in unless EXONET_TX_CSUM) and payload fragments.  The
	 * device copies the headers and the copied fragments before
	 * returning; referenced ones (frame != 0, only with
	 * EXONET_DEV_ZC) stay in use until tx_done() passes @tx->token.
	 * Nothing is sent before xmit_flush().  The one output function
	 * of the stack.  Returns 0, or -ENOBUFS when the ring is full.
	 */
	int (*xmit)(void *ctx, struct exonet_tx *tx);
	/* Send what xmit() queued.  Returns frames sent or -errno. */
	int (*xmit_flush)(void *ctx);
	/*
	 * EXONET_DEV_ZC: descriptors whose token is before the returned
	 * one (free-running, compared modulo 2^32) are sent and gone:
	 * their referenced bytes are the application's again.
	 */
	uint32_t (*tx_done)(void *ctx);
	/*
	 * Sleep until a frame is received or CLOCK_MONOTONIC reaches
	 * @deadline_ns (UINT64_MAX: no deadline).  Returns 0, -ETIME, -EINTR,
	 * or another -errno (the device is gone): exonet_poll() returns it.
	 */
	int (*wait)(void *ctx, uint64_t deadline_ns);
	/* CLOCK_MONOTONIC, nanoseconds (the tests' clock is virtual). */
	uint64_t (*now_ns)(void *ctx);
	/* Release the device (exonet_free); may be NULL. */
	void (*destroy)(void *ctx);
};

/*
 * Create a stack over any device (copied; @dev->destroy runs at
 * exonet_free).  @addr: the local IPv4 address in network byte order;
 * @port in host order.  Returns the stack, or NULL with errno set
 * (ENOMEM, EINVAL for a bad configuration).
 */
struct exonet *exonet_new(const struct exonet_dev *dev, uint32_t addr,
			  uint16_t port, const struct exonet_config *cfg);

/*
 * Free the stack: every connection is dropped without a segment sent
 * (every zero-copy reference released), the device destroyed.
 */
void exonet_free(struct exonet *st);

/* ---- Sockets -------------------------------------------------------------- */

/*
 * Start listening on the stack's port with an accept queue of @backlog
 * (1..max_conns) established connections.  Returns the listening socket
 * (one per stack), or NULL with errno set (EBUSY: listening already).
 * Before this, every segment is answered with RST (a closed port).
 */
struct exonet_sock *exonet_listen(struct exonet *st, unsigned int backlog);

/*
 * Take an established connection from @ls's accept queue.  Returns it,
 * or NULL with errno EAGAIN when the queue is empty.
 */
struct exonet_sock *exonet_accept(struct exonet_sock *ls);

/*
 * Copy up to @len received bytes into @buf.  Returns the number copied,
 * 0 at end of stream (the peer sent FIN and everything was read), or
 * -EAGAIN (nothing yet), -ECONNRESET, -ETIMEDOUT, -ENOTCONN.
 */
ssize_t exonet_read(struct exonet_sock *s, void *buf, size_t len);

/*
 * Zero-copy read: point *@data at the contiguous received bytes (at most
 * @max) without consuming them; exonet_consume() then frees @n of them.
 * Returns the byte count, 0 at end of stream, or -errno as exonet_read().
 */
ssize_t exonet_peek(struct exonet_sock *s, const void **data, size_t max);
int exonet_consume(struct exonet_sock *s, size_t n);

/* exonet_write*() flags */
#define EXONET_WR_MORE	(1U << 0)	/* more follows: hold a sub-MSS tail
					 * until a write without it or
					 * exonet_flush() (as MSG_MORE) */

/*
 * Copy up to @len bytes into the send buffer.  Returns the number taken
 * (possibly fewer than @len: wait for EXONET_EV_WRITE), or -EAGAIN (no
 * space), -EPIPE (shut down for writing), -ECONNRESET, -ETIMEDOUT,
 * -ENOTCONN.
 */
ssize_t exonet_write(struct exonet_sock *s, const void *buf, size_t len,
		     uint32_t flags);

/*
 * Called once when every byte of a zero-copy reference is acknowledged,
 * or the connection dropped them (reset, abort, exonet_free).  It runs
 * inside exonet_poll()/exonet_close()/exonet_abort()/exonet_free(); it
 * must not call exonet functions.
 */
typedef void (*exonet_release_fn)(void *cookie);

/*
 * Queue @len bytes at @base by reference: the bytes must stay unchanged
 * and mapped until @release(@cookie) runs (@release may be NULL).  All or
 * nothing: returns @len, or -EAGAIN (send-queue entries full), -EPIPE,
 * -ECONNRESET, -ETIMEDOUT, -ENOTCONN, -EINVAL (@len 0 or over 1 GiB).
 */
ssize_t exonet_write_ref(struct exonet_sock *s, const void *base, size_t len,
			 uint32_t flags, exonet_release_fn release, void *cookie);

/*
 * Zero-copy transmit from the application's frames: @len bytes at @base
 * (page aligned) are pages of exo frames of the binding's env, @frames[i]
 * the capability of page i (0: not a frame).  Bytes queued by
 * exonet_write_ref() that lie there are handed to the device by
 * reference, never copied, and with TSO go out in segments of up to 64
 * KiB.  @frames is read at each transmission, not copied: it must stay
 * valid (and may fill in) while the stack lives.  A reference's release
 * callback then runs only once the device says no packet still holds its
 * bytes.  One region per stack (a second call replaces it; @len 0 removes
 * it).  Returns 0, or -EINVAL (alignment), -EOPNOTSUPP (the device does
 * not reference fragments, or EXONET_CFG_NO_ZC_TX).
 */
int exonet_tx_region(struct exonet *st, const void *base, size_t len,
		     const unsigned long long *frames);

/* The device features in use (EXONET_DEV_*, less what the config turned off). */
uint32_t exonet_features(const struct exonet *st);

/* Free space for exonet_write() in bytes, and free send-queue entries. */
size_t exonet_write_space(const struct exonet_sock *s);
unsigned int exonet_write_refs_free(const struct exonet_sock *s);

/*
 * Half-close: @how SHUT_WR sends FIN after the queued data (reading goes
 * on), SHUT_RD discards further input, SHUT_RDWR both.  Returns 0 or
 * -errno (-ENOTCONN).
 */
int exonet_shutdown(struct exonet_sock *s, int how);

/*
 * Close: the application lets go of @s and must not use it again.  A
 * connection with unread received data is reset (RFC 1122 4.2.2.13);
 * otherwise the queued data is sent, then FIN, and the stack finishes the
 * close by itself (references are still released as they are acked).
 * Closing the listener resets the connections not yet accepted.
 */
void exonet_close(struct exonet_sock *s);

/* Abortive close: send RST, drop everything, release references. */
void exonet_abort(struct exonet_sock *s);

/* Application data pointer carried in events. */
void exonet_sock_set_user(struct exonet_sock *s, void *user);
void *exonet_sock_user(const struct exonet_sock *s);

/* The remote address (network order) and port (host order). */
void exonet_sock_peer(const struct exonet_sock *s, uint32_t *addr, uint16_t *port);

/* The pending error (-ECONNRESET, -ETIMEDOUT, ...) or 0. */
int exonet_sock_error(const struct exonet_sock *s);

/* The TCP state, RFC 9293 names (for logs and tests). */
enum exonet_tcp_state {
	EXONET_CLOSED, EXONET_LISTEN, EXONET_SYN_RCVD, EXONET_ESTABLISHED,
	EXONET_FIN_WAIT_1, EXONET_FIN_WAIT_2, EXONET_CLOSING, EXONET_TIME_WAIT,
	EXONET_CLOSE_WAIT, EXONET_LAST_ACK,
};
enum exonet_tcp_state exonet_sock_state(const struct exonet_sock *s);
const char *exonet_state_name(enum exonet_tcp_state st);

/* ---- The event loop ------------------------------------------------------- */

#define EXONET_EV_ACCEPT	(1U << 0)	/* listener: connections to accept */
#define EXONET_EV_READ		(1U << 1)	/* data to read, or EOF */
#define EXONET_EV_WRITE		(1U << 2)	/* send space became free */
#define EXONET_EV_HUP		(1U << 3)	/* peer sent FIN (read gives 0 at
						 * the end of the data) */
#define EXONET_EV_ERR		(1U << 4)	/* reset or timed out:
						 * exonet_sock_error() */

struct exonet_event {
	struct exonet_sock *sock;
	void *user;			/* exonet_sock_user(sock) */
	uint32_t events;		/* EXONET_EV_* */
	uint32_t __pad;
};

/*
 * One step of the stack: send what is queued, receive a burst of frames
 * and process them, run the expired timers, then return up to @max
 * events.  If there is none, sleep (in exo's wakeup predicate) until a
 * frame arrives, the next timer is due, or @timeout_ms passes (-1: no
 * limit, 0: never sleep), and go round again.  Returns the number of
 * events (0 on timeout), or -errno (-EINTR: a signal; the device's
 * errors).
 */
int exonet_poll(struct exonet *st, struct exonet_event *evs, int max,
		int timeout_ms);

/* Build and send every queued segment now.  Returns 0 or -errno. */
int exonet_flush(struct exonet *st);

/* The current readiness of @s (EXONET_EV_* as a level). */
uint32_t exonet_sock_events(const struct exonet_sock *s);

/* The stack's clock, milliseconds (CLOCK_MONOTONIC, or the tests'). */
uint64_t exonet_now_ms(const struct exonet *st);

/* ---- Counters ------------------------------------------------------------- */

struct exonet_stats {
	uint64_t rx_frames, tx_frames, tx_ring_full;
	uint64_t rx_bad_eth, rx_bad_ip, rx_bad_csum, rx_bad_tcp, rx_not_ours;
	uint64_t icmp_echo;
	uint64_t conns_accepted, conns_active, conns_reset, conns_timedout;
	uint64_t syn_recv, syn_cookies_sent, syn_cookies_ok, syn_cookies_bad;
	uint64_t syn_dropped;		/* no room and no cookies */
	uint64_t rst_sent, rst_recv, challenge_acks, challenge_acks_limited;
	uint64_t retransmits, rto_expired, fast_retransmits;
	uint64_t persist_probes, keepalive_probes;
	uint64_t ooo_segments, ooo_dropped, dup_segments;
	uint64_t timewait, timewait_reused, timewait_recycled;
	uint64_t refs_released;
	uint64_t tx_tso;		/* descriptors cut by the device */
	uint64_t tx_zc_frags;		/* fragments sent by reference */
	uint64_t tx_releases_deferred;	/* releases that waited for tx_done */
	uint64_t orphans_reset;		/* closed connections reset by the
					 * orphan caps, lifetime, FIN_WAIT_2
					 * timeout or data after the close */
	uint64_t ts_missing;		/* segments without the timestamps
					 * their connection negotiated:
					 * dropped (RFC 7323 3.2) */
	uint64_t rx_martian;		/* frames from our own address or
					 * MAC, or from a source no host
					 * has (0/8, loopback, multicast,
					 * broadcast, class E): dropped */
	/*
	 * How promptly the receive ring is read: maxima since the stack
	 * began or exonet_stats_clear_max().  Times in microseconds of the
	 * device's clock.  A drain is one receive burst.
	 */
	uint64_t rx_wait_max_us;	/* the longest a frame sat in the ring
					 * before a drain read it (devices
					 * that stamp arrivals) */
	uint64_t rx_wait_sleep_us;	/* ... of the interval before that
					 * drain: asleep in the device's wait
					 * (a wakeup that came late), */
	uint64_t rx_wait_app_us;	/* in the application between polls */
	uint64_t rx_wait_gap_us;	/* ... and the whole interval since
					 * the drain before (the rest is the
					 * stack's own steps) */
	uint64_t rx_wait_frames;	/* frames that drain found */
	uint64_t rx_gap_max_us;		/* the longest interval between two
					 * drains spent awake (the stack and
					 * the application) */
	uint64_t rx_gap_app_us;		/* ... of which in the application */
	uint64_t step_max_us;		/* the longest exonet_poll() step
					 * (send, receive, timers; no sleep) */
	uint64_t step_rx_us;		/* ... of which receiving the burst */
	uint64_t step_timer_us;		/* ... running the timers */
	uint64_t step_frames;		/* ... frames it received */
};
void exonet_stats(const struct exonet *st, struct exonet_stats *out);
/* Start the rx_wait_*, rx_gap_* and step_* maxima again. */
void exonet_stats_clear_max(struct exonet *st);

/* Live (non-TIME_WAIT) connections and TIME_WAIT entries. */
unsigned int exonet_conn_count(const struct exonet *st);
unsigned int exonet_timewait_count(const struct exonet *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBOS_WEB_EXONET_H */
