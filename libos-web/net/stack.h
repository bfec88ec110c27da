/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * stack.h — exonet's internal header: the stack, the connection block, and
 * the functions each layer offers the others.  One file per layer:
 *
 *   net/csum.c     RFC 1071 checksum, SipHash-2-4 (keyed hashes)
 *   net/eth.c      Ethernet in/out, peer MAC learning
 *   net/ipv4.c     IPv4 header checks and output
 *   net/icmp.c     ICMP echo
 *   net/stack.c    stack creation, the poll loop, events
 *   net/dev_exo.c  the exo binding as a device
 *   tcp/conn.c     connection pool, lookup hash, ISN (RFC 6528)
 *   tcp/input.c    segment arrival (RFC 9293 3.10.7), RFC 5961, PAWS
 *   tcp/output.c   segment building, retransmission from the send queue
 *   tcp/reasm.c    receive buffer, out-of-order ranges = SACK scoreboard
 *   tcp/timer.c    the one timer wheel; RTO, persist, keep-alive handlers
 *   tcp/cc.c       congestion control (NewReno, RFC 5681/6582/6928)
 *   tcp/syn.c      listen queue, SYN cookies
 *   tcp/timewait.c compact TIME_WAIT (RFC 6191 reuse)
 *   tcp/orphan.c   closed connections TCP still finishes: their bounds
 *   tcp/socket.c   the application API (exonet.h)
 */
#ifndef LIBOS_WEB_STACK_H
#define LIBOS_WEB_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exonet.h"

#define EN_ETH_HLEN	14
#define EN_IP_HLEN	20
#define EN_TCP_HLEN	20
#define EN_TCP_OPT_MAX	40
#define EN_HDR_MAX	(EN_ETH_HLEN + EN_IP_HLEN + EN_TCP_HLEN + EN_TCP_OPT_MAX)
#define EN_OOO_MAX	8		/* out-of-order ranges per connection */
#define EN_RX_BURST	64
#define EN_OOW_GAP_MS	500		/* answers to invalid segments,
					 * per connection (RFC 5961 7) */
#define EN_PAWS_IDLE_MS	(24ull * 86400 * 1000)	/* RFC 7323 5.5: TS.Recent
					 * is invalid after 24 days idle */
#define EN_ORPHAN_RETRIES 8		/* RTOs and zero-window probes for an
					 * orphan (Linux's tcp_orphan_retries) */

/* Sequence-number comparisons, modulo 2^32 (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

#define EN_MIN(a, b) ((a) < (b) ? (a) : (b))
#define EN_MAX(a, b) ((a) > (b) ? (a) : (b))
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))

/* ---- timer wheel (tcp/timer.c) ------------------------------------------ */
#define EN_WHEEL_SLOTS	1024		/* 1 ms ticks */
struct en_timer {
	struct en_timer *next, **pprev;	/* pprev NULL: not armed */
	uint64_t expires;		/* ms */
	void (*fn)(struct exonet *st, struct en_timer *t);
};

/* ---- TCP segment as parsed (tcp/input.c) -------------------------------- */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20

struct en_seg {
	uint32_t saddr;			/* network order */
	uint16_t sport;			/* host order */
	uint8_t flags;
	uint32_t seq, ack;
	uint32_t wnd;			/* raw header value */
	const uint8_t *data;
	uint32_t len;			/* payload bytes */
	const uint8_t *smac;
	/* options */
	bool has_mss, has_ws, sack_ok, has_ts;
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	uint32_t sack[4][2];
};

/* ---- send queue entry --------------------------------------------------- */
struct en_sref {
	const uint8_t *base;		/* NULL: bytes in the copy ring */
	uint32_t len;
	uint32_t token;			/* zc: the last descriptor that
					 * referenced its bytes */
	bool zc;			/* some descriptor referenced them */
	exonet_release_fn release;
	void *cookie;
};

/* A release that waits for the device's completion (net/stack.c). */
struct en_defer {
	exonet_release_fn release;
	void *cookie;
	uint32_t token;
};
#define EN_DEFER_MAX	8192

/* ---- the connection (and the listener): struct exonet_sock -------------- */
enum {
	CF_APP		= 1 << 0,	/* the application holds the socket */
	CF_ACKNOW	= 1 << 1,	/* send an ACK at the next output */
	CF_DELACK	= 1 << 2,	/* an ACK is owed (carried on data) */
	CF_FIN_QUEUED	= 1 << 3,	/* shutdown(WR): FIN after the data */
	CF_RD_SHUT	= 1 << 4,	/* shutdown(RD): discard input */
	CF_TS		= 1 << 5,	/* timestamps negotiated */
	CF_SACK		= 1 << 6,	/* SACK-permitted negotiated */
	CF_WS		= 1 << 7,	/* window scaling negotiated */
	CF_FIN_RCVD	= 1 << 8,	/* the peer's FIN is in rcv_nxt */
	CF_FIN_OOO	= 1 << 9,	/* a FIN beyond rcv_nxt: fin_seq */
	CF_MORE		= 1 << 10,	/* last write had EXONET_WR_MORE */
	CF_RTT_TIMING	= 1 << 11,	/* rtt_seq is being timed (no TS) */
	CF_RECOVERY	= 1 << 12,	/* in fast recovery (RFC 6582) */
	CF_ACCEPTQ	= 1 << 13,	/* on the listener's accept queue */
	CF_OUTQ		= 1 << 14,	/* on the stack's output list */
	CF_READYQ	= 1 << 15,	/* on the stack's event list */
	CF_SYNACK	= 1 << 16,	/* SYN-ACK (re)transmission owed */
	CF_PERSIST	= 1 << 17,	/* the rtx timer is the persist timer */
	CF_KEEPALIVE	= 1 << 18,	/* a keep-alive probe is owed */
	CF_LISTENER	= 1 << 19,
	CF_USED		= 1 << 20,
	CF_PROBE	= 1 << 21,	/* send a zero-window probe now */
	CF_FORCE	= 1 << 22,	/* flush: send a held sub-MSS tail */
	CF_TSO		= 1 << 23,	/* TSO descriptors sent: stretch ACKs */
	CF_HELD		= 1 << 24,	/* data or a FIN waits for the window,
					 * or fast recovery: the peer's ACKs
					 * are wanted at once (st->nheld) */
	CF_ORPHAN	= 1 << 25,	/* closed, on the orphan FIFO */
};

struct exonet_sock {
	uint32_t flags;			/* CF_* */
	uint8_t state;			/* enum exonet_tcp_state */
	uint8_t snd_ws, rcv_ws;		/* RFC 7323 shifts */
	uint8_t nooo;			/* out-of-order ranges */
	uint8_t ooo_last;		/* the range of the latest segment */
	uint8_t retries;		/* consecutive RTO/probe expiries */
	uint8_t backoff;		/* RTO doublings kept until an RTT
					 * sample (RFC 6298 5.5, Karn) */
	uint8_t unanswered;		/* probe expiries since the peer's
					 * last acceptable ACK */
	uint8_t ka_probes;		/* unanswered keep-alive probes */
	uint8_t dupacks;
	int err;			/* -errno once reset/timed out */
	uint32_t ev_pending;		/* EXONET_EV_* not yet reported */

	uint32_t raddr;			/* network order */
	uint16_t rport;			/* host order */
	uint8_t rmac[6];		/* learned from its frames */
	uint32_t hnext;			/* hash chain: index+1, 0 ends */
	uint32_t idx;

	/* Send sequence space (RFC 9293 3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_sndwnd;
	uint16_t mss;			/* send MSS (peer's, bounded by ours) */
	uint16_t rcv_mss;		/* the peer's segment size, estimated */
	/* Receive sequence space */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent, fin_seq;
	/* RFC 7323 */
	uint32_t ts_recent, tsoff;
	uint32_t ts_first;		/* no TSval of ours is older */
	uint64_t ts_recent_ms;		/* when ts_recent was taken */
	/* RFC 6298 */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t rtt_seq;
	uint64_t rtt_start_ms;
	/* congestion control (tcp/cc.c) */
	uint32_t cwnd, ssthresh, recover;

	/* timers: absolute ms, 0 = off; the wheel entry fires at the earliest */
	uint64_t rtx_at, ka_at, idle_since;
	uint64_t oow_next_ms;		/* no answer to an invalid segment
					 * before (challenge, duplicate ACK) */
	uint64_t orphan_at;		/* exonet_close() (CF_ORPHAN) */
	uint32_t orph_prev, orph_next;	/* the orphan FIFO: index+1 */
	struct en_timer timer;

	/* receive buffer (tcp/reasm.c): bytes rd_seq .. rcv_nxt are readable */
	uint8_t *rbuf;
	uint32_t rd_seq;
	uint32_t ooo[EN_OOO_MAX][2];	/* [start, end) beyond rcv_nxt */

	/* send queue: sq[sq_head .. +sq_count), head entry acked up to sq_off */
	struct en_sref *sq;
	uint32_t sq_head, sq_count, sq_off, sq_bytes;
	uint8_t *sbuf;			/* copy ring */
	uint32_t sb_head, sb_len;

	/* lists */
	struct exonet_sock *next_ready, *next_out, *next_accept;
	void *user;
	struct exonet *st;
};

/* ---- compact TIME_WAIT (tcp/timewait.c) --------------------------------- */
struct en_tw {
	uint32_t raddr;
	uint16_t rport;
	uint8_t live;			/* in the hash (0: reused or reaped) */
	uint8_t has_ts;
	uint32_t snd_nxt, rcv_nxt, ts_recent, tsoff;
	uint32_t hnext;			/* index+1 */
	uint32_t oow_ms;		/* low 32 bits of the clock before
					 * which a SYN gets no ACK (0: none) */
	uint64_t expires;		/* ms */
	uint8_t rmac[6];
	uint8_t rcv_ws;
};

/* ---- the stack ------------------------------------------------------------ */
struct exonet {
	struct exonet_dev dev;
	struct exonet_config cfg;
	uint32_t laddr;			/* network order */
	uint16_t lport;			/* host order */
	uint16_t mss;			/* ours: MTU - 40, bounded by the slot */
	uint64_t now_ms;		/* the clock at the start of this step */
	uint64_t now_ns;

	uint8_t key[16];		/* RFC 6528 F(), hashes, cookies */
	uint8_t cookie_key[16];
	uint64_t cookie_until_ms;	/* cookie ACKs believed until then */

	/* connections */
	struct exonet_sock *conns;	/* cfg.max_conns */
	uint32_t *hash;			/* index+1, 0 = empty */
	uint32_t hash_mask;
	uint32_t free_head;		/* index+1 free list through hnext */
	uint32_t nconns, half_open;
	uint32_t nheld;			/* connections with CF_HELD */
	uint8_t *bufmem;		/* every connection's buffers */
	size_t bufmem_len;
	struct en_sref *sqmem;

	/* the listener */
	struct exonet_sock listener;
	bool listening;
	uint32_t backlog, acceptq_len;
	struct exonet_sock *acceptq_head, *acceptq_tail;

	/* TIME_WAIT: a FIFO (all expire 2*MSL after entry) and a hash */
	struct en_tw *tw;
	uint32_t tw_head, tw_count, tw_live;
	uint32_t *tw_hash;
	struct en_timer tw_timer;

	/* orphans: a FIFO in close order (tcp/orphan.c) */
	uint32_t orph_head, orph_tail;	/* index+1 */
	uint32_t norphans;
	uint64_t orphan_bytes;		/* their send queues */
	struct en_timer orph_timer;	/* the head's lifetime */

	/* lists */
	struct exonet_sock *ready_head, *ready_tail;
	struct exonet_sock *out_head;

	/* the wheel */
	struct en_timer *wheel[EN_WHEEL_SLOTS];
	uint64_t wheel_bits[EN_WHEEL_SLOTS / 64];
	uint64_t wheel_now;		/* ms up to which slots ran */
	uint32_t armed;

	/* RFC 5961 (7) challenge ACK limit: this second's remaining budget */
	uint64_t chal_second;
	uint32_t chal_count;

	/* transmit offloads (EXONET_DEV_*, less what the config turned off) */
	uint32_t features;
	const uint8_t *zc_base;		/* exonet_tx_region() */
	size_t zc_len;
	const unsigned long long *zc_frames;
	struct en_defer *defer;		/* releases waiting for tx_done */
	uint32_t defer_head, defer_count;

	struct exonet_stats stats;
	/* ring promptness (exonet_stats rx_wait_*, rx_gap_*, step_*) */
	uint64_t drain_ns;		/* the last receive burst */
	uint64_t gap_sleep_ns, gap_app_ns;	/* since then */
	uint64_t poll_out_ns;		/* exonet_poll() returned, 0 inside */
};

/* net/csum.c */
uint32_t en_csum_add(uint32_t sum, const void *data, size_t len, bool odd);
uint16_t en_csum_fold(uint32_t sum);
uint16_t en_csum(const void *data, size_t len);
uint64_t en_siphash(const uint8_t key[16], const void *data, size_t len);
uint32_t en_tcp_pseudo(uint32_t saddr, uint32_t daddr, uint32_t len);

/* net/eth.c, net/ipv4.c, net/icmp.c */
void en_eth_input(struct exonet *st, const uint8_t *frame, uint32_t len);
void en_ipv4_input(struct exonet *st, const uint8_t *smac, const uint8_t *pkt,
		   uint32_t len);
void en_icmp_input(struct exonet *st, const uint8_t *smac, const uint8_t *ip,
		   uint32_t ihl, const uint8_t *icmp, uint32_t len);
/* Fill Ethernet + IPv4 headers (tot_len, checksum) at @hdr; returns 34. */
uint32_t en_ip_header(struct exonet *st, uint8_t *hdr, const uint8_t *dmac,
		      uint32_t daddr, uint8_t proto, uint32_t payload_len);
int en_xmit(struct exonet *st, struct exonet_tx *tx);

/* net/stack.c */
void en_notify(struct exonet *st, struct exonet_sock *s, uint32_t ev);
void en_want_output(struct exonet *st, struct exonet_sock *s);
bool en_tx_complete(struct exonet *st, uint32_t token);
void en_release(struct exonet *st, struct en_sref *e);
void en_defer_run(struct exonet *st);

/* tcp/input.c */
int en_tcp_parse(struct exonet *st, const uint8_t *ip, uint32_t ihl,
		 const uint8_t *tcp, uint32_t len, struct en_seg *seg);
void en_tcp_input(struct exonet *st, struct en_seg *seg);
void en_conn_input(struct exonet *st, struct exonet_sock *s, struct en_seg *seg);

/* tcp/output.c */
void en_tcp_output(struct exonet *st, struct exonet_sock *s);
void en_note_held(struct exonet *st, struct exonet_sock *s, bool held);
void en_send_ctl(struct exonet *st, struct exonet_sock *s, uint8_t flags,
		 uint32_t seq);
int en_send_ack(struct exonet *st, struct exonet_sock *s);
void en_send_synack(struct exonet *st, struct exonet_sock *s);
void en_send_rst_for(struct exonet *st, const struct en_seg *seg);
void en_send_raw(struct exonet *st, const uint8_t *dmac, uint32_t daddr,
		 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
		 uint16_t wnd, const uint8_t *opts, uint32_t optlen);
void en_challenge_ack(struct exonet *st, struct exonet_sock *s);
bool en_oow_limited(struct exonet *st, struct exonet_sock *s);
void en_oow_ack(struct exonet *st, struct exonet_sock *s, const struct en_seg *seg);
uint32_t en_ts_now(struct exonet *st, uint32_t tsoff);
void en_sq_release(struct exonet *st, struct exonet_sock *s, uint32_t acked);
void en_sq_drop(struct exonet *st, struct exonet_sock *s);
uint32_t en_rcv_window(struct exonet *st, struct exonet_sock *s);

/* tcp/reasm.c */
uint32_t en_rcv_space(const struct exonet *st, const struct exonet_sock *s);
void en_rcv_data(struct exonet *st, struct exonet_sock *s, uint32_t seq,
		 const uint8_t *data, uint32_t len);
uint32_t en_rcv_readable(const struct exonet_sock *s);
uint32_t en_rcv_end(const struct exonet_sock *s);

/* tcp/timer.c */
void en_timer_arm(struct exonet *st, struct en_timer *t, uint64_t expires);
void en_timer_cancel(struct exonet *st, struct en_timer *t);
void en_timer_run(struct exonet *st);
uint64_t en_timer_next(const struct exonet *st);
void en_conn_timer_update(struct exonet *st, struct exonet_sock *s);
void en_conn_timer_fire(struct exonet *st, struct en_timer *t);
void en_rto_arm(struct exonet *st, struct exonet_sock *s);
void en_rtt_sample(struct exonet *st, struct exonet_sock *s, uint32_t rtt_us);
void en_ka_touch(struct exonet *st, struct exonet_sock *s);

/* tcp/cc.c */
void en_cc_init(struct exonet *st, struct exonet_sock *s);
void en_cc_ack(struct exonet *st, struct exonet_sock *s, uint32_t acked);
bool en_cc_dupack(struct exonet *st, struct exonet_sock *s);
void en_cc_timeout(struct exonet *st, struct exonet_sock *s);
uint32_t en_flight(const struct exonet_sock *s);

/* tcp/conn.c */
struct exonet_sock *en_conn_lookup(struct exonet *st, uint32_t raddr, uint16_t rport);
struct exonet_sock *en_conn_alloc(struct exonet *st, uint32_t raddr, uint16_t rport);
void en_conn_free(struct exonet *st, struct exonet_sock *s);
void en_conn_close_state(struct exonet *st, struct exonet_sock *s, int err);
uint32_t en_isn(struct exonet *st, uint32_t raddr, uint16_t rport);
uint32_t en_tsoff(struct exonet *st, uint32_t raddr, uint16_t rport);
uint32_t en_tuple_hash(const struct exonet *st, uint32_t raddr, uint16_t rport);

/* tcp/syn.c */
void en_listen_input(struct exonet *st, struct en_seg *seg, const uint32_t *isn_above);
bool en_syn_cookie_due(const struct exonet *st);
void en_acceptq_add(struct exonet *st, struct exonet_sock *s);
void en_acceptq_del(struct exonet *st, struct exonet_sock *s);
void en_syn_options(struct exonet_sock *s, const struct en_seg *seg, struct exonet *st);

/* tcp/orphan.c */
void en_orphan_init(struct exonet *st);
void en_orphan_add(struct exonet *st, struct exonet_sock *s);
void en_orphan_del(struct exonet *st, struct exonet_sock *s);
void en_orphan_reset(struct exonet *st, struct exonet_sock *s);

/* tcp/timewait.c */
int en_tw_init(struct exonet *st);
void en_tw_enter(struct exonet *st, struct exonet_sock *s);
struct en_tw *en_tw_lookup(struct exonet *st, uint32_t raddr, uint16_t rport);
void en_tw_input(struct exonet *st, struct en_tw *tw, struct en_seg *seg);
void en_tw_reap(struct exonet *st, struct en_timer *t);

#endif /* LIBOS_WEB_STACK_H */
