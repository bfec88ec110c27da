// SPDX-License-Identifier: GPL-2.0
/*
 * exo — NIC queues: flows, receive/transmit rings in env frames, packet
 * filters (eBPF XDP-type or classic BPF), application-specific handlers
 * (XDP_TX replies sent from the kernel); what wakeup predicates (wait.c)
 * read of a binding.
 *
 * Protection is the flow capability; everything else (what to accept, when
 * to wake up, how to build packets) is the env's business.  The kernel
 * checks once per packet what it must: that a received packet belongs to
 * the flow (one hash probe), that a transmitted one carries the flow's own
 * addresses.
 *
 * Objects and their lifetimes:
 *
 *   exo_nicdev  one attached net_device: its rx_handler, the flow hash,
 *               a reference on the device and on its network namespace.
 *               Lives from NIC_ATTACH to NIC_DETACH, NETDEV_UNREGISTER or
 *               module unload.
 *   exo_flow    the EXO_KIND_FLOW object: its key, in nd->flows (RCU), the
 *               socket reserving its port in Linux, and its binding.
 *   exo_nbind   a binding: the flow, the ring frames (object references,
 *               so the frames stay out of the pool while the kernel may
 *               write them), the filter.  Made through one flow capability
 *               and a set of frame capabilities; the death of any of them
 *               unbinds (a use of each: exo_cap_use_add()).  Unbinding unhooks
 *               it from the flow at once; the frames go back after an RCU
 *               grace period and the last transmit call (kref + rcu_work).
 *   exo_txc     a binding's transmit completions (tx_done): a bitmap of
 *               the slots whose packets are in flight.  Shared by the
 *               binding and its packets in flight; it outlives both.
 *   exo_txzc    one zero-copy packet in flight: its ubuf_info and the
 *               frame objects it holds.
 *
 * Locking: exo_lock guards attach/detach, the flow hashes (writers), flow
 * and binding creation and teardown, and the bindings' capability uses.
 * rtnl is taken before
 * exo_lock (attach, detach, the netdevice notifier).  The receive path runs
 * in the device's rx_handler under RCU and takes only b->rx_lock (one
 * producer at a time per ring).  Transmit takes b->tx_mutex, after
 * exo_lock has been dropped; teardown takes b->tx_mutex inside exo_lock to
 * mark the binding dead.  Wakeup predicates (wait.c) run under
 * env->pred_lock.
 * Transmit on a binding with offloads takes exo_lock before tx_mutex, for
 * the whole batch: its fragments name frame capabilities.  A completion
 * takes only txc->lock (process context: the exo_nic workqueue).
 *
 * Calls on a binding (transmit kick, io_uring NIC commands, stat, filter,
 * WAIT) find it without exo_lock when they name the flow capability it
 * was made through, as netmap reads its ring pointers: env->nic_fast maps
 * that capability's slot to the binding, an RCU-protected xarray; the
 * binding carries the handle (slot and generation) and the rights, both
 * fixed while the capability lives, and kref_get_unless_zero() pins it.
 * Every death of that capability goes through exo_nbind_kill(), which
 * takes the entry out (exo_lock) before it marks the binding dead; the
 * binding is freed an RCU grace period after its last reference
 * (queue_rcu_work), so a reader that found it may still look at it.  A
 * call that found it just before the kill sees it dead under tx_mutex or
 * rx_lock, as a call that looked it up under exo_lock would.  No lock is
 * taken on the way, so lockdep has no new order to learn.  Other handles
 * of the flow (derived capabilities) take exo_lock as before.
 */
#include <linux/bpf.h>
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/hashtable.h>
#include <linux/icmp.h>
#include <linux/if_arp.h>
#include <linux/in.h>
#include <linux/inetdevice.h>
#include <linux/io_uring.h>
#include <linux/ip.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet_hashtables.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/xdp.h>

#include "exo_priv.h"

unsigned int exo_flow_quota = 2048;
module_param_named(flow_quota, exo_flow_quota, uint, 0644);
MODULE_PARM_DESC(flow_quota, "Flows per env (applies to new envs; default 2048)");

#define EXO_FLOW_HASH_BITS	10

struct exo_nicdev {
	struct net_device *dev;	/* referenced; its netns is not */
	int ifindex;
	struct xdp_rxq_info rxq;	/* what filters see as their rxq */
	DECLARE_HASHTABLE(flows, EXO_FLOW_HASH_BITS);
	u32 nflows;
	/* Frames seen, claimed by a flow, passed on to Linux. */
	atomic64_t rx_seen;
	atomic64_t rx_claimed;
};

struct exo_flow {
	struct exo_obj obj;
	struct hlist_node hnode;	/* in nd->flows */
	struct exo_nicdev *nd;		/* NULL once the device is gone */
	struct socket *sock;		/* reserves the port in Linux */
	struct exo_nbind __rcu *bind;
	struct rcu_head rcu;
	u32 proto;
	__be32 laddr, raddr;
	__be16 lport, rport;
};

struct exo_filter {
	struct bpf_prog *prog;
	bool classic;
	struct rcu_work free_work;	/* once replaced: freed after a grace period */
};

struct exo_nbind;

struct exo_nframe {
	struct exo_obj *obj;
	struct exo_cap_use use;		/* on the capability bound through */
	struct exo_nbind *b;
	void *va;
};

struct exo_txc {
	struct kref ref;		/* the binding, each packet in flight */
	spinlock_t lock;		/* all below; process context only */
	struct exo_nbind *b;		/* NULL once the binding is freed */
	u32 slots;
	u32 tail;			/* the binding's tx_tail, as last told */
	u32 done;			/* tx_done */
	u64 zc_done;
	unsigned long pending[];	/* slot -> its packet is in flight */
};

struct exo_nbind {
	struct kref ref;		/* the flow's hook, transmit calls */
	bool offload;			/* EXO_NIC_BIND_TX_OFFLOAD */
	/* The flow capability bound through: env->nic_fast's key, rights. */
	exo_cap_t h;
	u32 rights;
	struct exo_txc *txc;		/* referenced */
	struct exo_env *env;		/* holds a reference */
	struct exo_flow *flow;		/* the flow object: referenced */
	struct exo_cap_use use;		/* on the flow capability bound through */
	struct exo_nicdev *nd;		/* valid while !dead */
	struct list_head env_node;	/* env->nic_binds (RCU) */
	struct exo_filter __rcu *filter;
	struct exo_nic_ring *ring;	/* frames[0] */
	u32 rx_slots, tx_slots, rx_frames, nframes;
	u32 rx_head;			/* authoritative copies */
	u32 tx_tail;
	bool dead;			/* under tx_mutex (and exo_lock) */
	spinlock_t rx_lock;		/* one producer; parked io_uring waits */
	struct list_head rx_cmds;
	struct mutex tx_mutex;
	struct exo_nic_counters c;	/* published to ring->c as they change */
	struct rcu_work free_work;
	struct exo_nframe frames[];
};

static struct exo_nicdev *exo_nicdevs[EXO_NIC_MAX_DEVS];	/* exo_lock */
static void exo_txc_free(struct kref *ref);
static struct exo_txc *exo_txc_alloc(u32 slots);
static struct workqueue_struct *exo_nic_wq;

#define EXO_BUMP(b, field, n) do {					\
	(b)->c.field += (n);						\
	WRITE_ONCE((b)->ring->c.field, (b)->c.field);			\
} while (0)

static void *exo_slot(struct exo_nbind *b, bool tx, u32 idx)
{
	u32 i = tx ? idx & (b->tx_slots - 1) : idx & (b->rx_slots - 1);
	u32 f = 1 + (tx ? b->rx_frames : 0) + i / 2;

	return b->frames[f].va + (i & 1) * EXO_NIC_SLOT_SIZE;
}

/* ---- what the other files see of a binding ----------------------------------- */

/* Does any binding of @env hold unread packets?  (poll) */
bool exo_env_rx_ready(struct exo_env *env)
{
	struct exo_nbind *b;
	bool ready = false;

	rcu_read_lock();
	list_for_each_entry_rcu(b, &env->nic_binds, env_node)
		if (READ_ONCE(b->rx_head) != READ_ONCE(b->ring->rx_tail)) {
			ready = true;
			break;
		}
	rcu_read_unlock();
	return ready;
}

/*
 * For a wakeup predicate: the packets waiting in @b's receive ring (0 if
 * the libOS's index is beyond the kernel's) and, if any, the arrival time
 * of the oldest in *@oldest_ns.  Any context; no lock.
 */
u32 exo_nbind_rx_pending(struct exo_nbind *b, u64 *oldest_ns)
{
	u32 tail = READ_ONCE(b->ring->rx_tail);
	u32 pending = READ_ONCE(b->rx_head) - tail;
	struct exo_nic_desc *d;

	if (pending > b->rx_slots)
		return 0;
	if (pending) {
		d = exo_slot(b, false, tail);
		*oldest_ns = READ_ONCE(d->tstamp_ns);
	}
	return pending;
}

/* Has @b been unbound?  Any context. */
bool exo_nbind_dead(struct exo_nbind *b)
{
	return READ_ONCE(b->dead);
}

/* A WAIT on @b's flow was woken by a packet: its counter. */
void exo_nbind_count_wakeup(struct exo_nbind *b)
{
	spin_lock_bh(&b->rx_lock);
	EXO_BUMP(b, wakeups, 1);
	spin_unlock_bh(&b->rx_lock);
}

/* ---- io_uring receive waits ---------------------------------------------------- */

struct exo_rxcmd {
	struct list_head node;		/* b->rx_cmds, under b->rx_lock */
	struct hrtimer timer;
	struct io_uring_cmd *ioucmd;
	struct exo_nbind *b;		/* referenced until done */
	int res;
};


static struct exo_rxcmd **exo_rxcmd_of(struct io_uring_cmd *ioucmd)
{
	return (struct exo_rxcmd **)ioucmd->pdu;
}

static void exo_rxcmd_done(struct io_uring_cmd *ioucmd, unsigned int flags)
{
	struct exo_rxcmd *rc = *exo_rxcmd_of(ioucmd);
	int res = rc->res;

	/* The timer may be running, finding the command claimed already. */
	hrtimer_cancel(&rc->timer);
	exo_nbind_put(rc->b);
	kfree(rc);
	io_uring_cmd_done(ioucmd, res, 0, flags);
}

/* Complete @rc, claimed (off the list) by the caller under b->rx_lock. */
static void exo_rxcmd_finish(struct exo_rxcmd *rc, int res)
{
	rc->res = res;
	io_uring_cmd_complete_in_task(rc->ioucmd, exo_rxcmd_done);
}

static void exo_rxcmds_complete(struct exo_nbind *b, int res)
{
	struct exo_rxcmd *rc, *tmp;

	lockdep_assert_held(&b->rx_lock);
	list_for_each_entry_safe(rc, tmp, &b->rx_cmds, node) {
		list_del_init(&rc->node);
		exo_rxcmd_finish(rc, res);
	}
}

/* ---- bindings: teardown ---------------------------------------------------------- */

static void exo_filter_free(struct exo_filter *f)
{
	if (!f)
		return;
	if (f->classic)
		bpf_prog_destroy(f->prog);
	else
		bpf_prog_put(f->prog);
	kfree(f);
}

static void exo_filter_free_work(struct work_struct *work)
{
	exo_filter_free(container_of(to_rcu_work(work), struct exo_filter,
				     free_work));
}

/* After a grace period and the last transmit: give the frames back. */
static void exo_nbind_free_work(struct work_struct *work)
{
	struct exo_nbind *b = container_of(to_rcu_work(work), struct exo_nbind,
					   free_work);
	u32 i;

	exo_filter_free(rcu_dereference_protected(b->filter, true));
	if (b->txc) {
		/* Packets still in flight stop writing the ring now. */
		spin_lock(&b->txc->lock);
		b->txc->b = NULL;
		spin_unlock(&b->txc->lock);
		kref_put(&b->txc->ref, exo_txc_free);
	}
	mutex_lock(&exo_lock);
	for (i = 0; i < b->nframes; i++)
		exo_obj_put(b->frames[i].obj);
	exo_obj_put(&b->flow->obj);
	exo_stats.nic_binds--;
	mutex_unlock(&exo_lock);
	mutex_destroy(&b->tx_mutex);
	exo_env_put(b->env);
	kfree(b);
}

static void exo_nbind_release(struct kref *ref)
{
	struct exo_nbind *b = container_of(ref, struct exo_nbind, ref);

	INIT_RCU_WORK(&b->free_work, exo_nbind_free_work);
	queue_rcu_work(exo_nic_wq, &b->free_work);
}

/*
 * Unhook @b: no packet reaches it once the grace period is over, every
 * call on it answers as unbound, io_uring waits complete with @res.
 * exo_lock held.
 */
static void exo_nbind_kill(struct exo_nbind *b, int res)
{
	u32 i;

	lockdep_assert_held(&exo_lock);
	/* No new fast lookup finds it (exo_nbind_get()). */
	xa_cmpxchg(&b->env->nic_fast, (u32)b->h, b, NULL, 0);
	RCU_INIT_POINTER(b->flow->bind, NULL);
	list_del_rcu(&b->env_node);
	list_del_init(&b->use.node);
	for (i = 0; i < b->nframes; i++)
		list_del_init(&b->frames[i].use.node);
	mutex_lock(&b->tx_mutex);
	b->dead = true;
	mutex_unlock(&b->tx_mutex);
	spin_lock_bh(&b->rx_lock);
	exo_rxcmds_complete(b, res);
	spin_unlock_bh(&b->rx_lock);
	/* A WAIT on this binding ends (ENOTCONN) and lets it go. */
	if (!list_empty(&b->env->pred_waiters))
		exo_pred_run_all(b->env, EXO_WAKE_EVENT);
	kref_put(&b->ref, exo_nbind_release);
}

/* A capability a binding was made through dies (cap.c): unbind. */
static void exo_nbind_flow_dies(struct exo_cap_use *use)
{
	exo_nbind_kill(container_of(use, struct exo_nbind, use), -ECANCELED);
}

static void exo_nbind_frame_dies(struct exo_cap_use *use)
{
	exo_nbind_kill(container_of(use, struct exo_nframe, use)->b,
		       -ECANCELED);
}

/* A flow and a frame are each bound by one binding at most. */
static const struct exo_use_ops exo_nbind_flow_use = {
	.dies = exo_nbind_flow_dies,
};

static const struct exo_use_ops exo_nbind_frame_use = {
	.dies = exo_nbind_frame_dies,
};

/* ---- flows ----------------------------------------------------------------------- */

static u32 exo_flow_seed __read_mostly;

static u32 exo_flow_hash(u32 proto, __be32 laddr, __be16 lport)
{
	return jhash_3words((__force u32)laddr, (__force u32)lport, proto,
			    exo_flow_seed);
}

static struct exo_flow *exo_flow_find(struct exo_nicdev *nd, u32 proto,
				      __be32 laddr, __be16 lport)
{
	struct exo_flow *fl;

	hash_for_each_possible_rcu(nd->flows, fl, hnode,
				   exo_flow_hash(proto, laddr, lport))
		if (fl->proto == proto && fl->laddr == laddr &&
		    fl->lport == lport)
			return fl;
	return NULL;
}

/* The device is going away, or the flow's last capability died. */
static void exo_flow_unhook(struct exo_flow *fl)
{
	struct exo_nbind *b = rcu_dereference_protected(fl->bind,
					lockdep_is_held(&exo_lock));

	if (b)
		exo_nbind_kill(b, -ENODEV);
	if (fl->nd) {
		hash_del_rcu(&fl->hnode);
		fl->nd->nflows--;
		fl->nd = NULL;
	}
	if (fl->sock) {
		sock_release(fl->sock);
		fl->sock = NULL;
	}
}

static void exo_flow_release(struct exo_obj *obj)
{
	struct exo_flow *fl = container_of(obj, struct exo_flow, obj);

	exo_flow_unhook(fl);
	kfree_rcu(fl, rcu);
}

static struct exo_nicdev *exo_nicdev_find(struct net *net, int ifindex)
{
	u32 i;

	for (i = 0; i < EXO_NIC_MAX_DEVS; i++)
		if (exo_nicdevs[i] && exo_nicdevs[i]->ifindex == ifindex &&
		    net_eq(dev_net(exo_nicdevs[i]->dev), net))
			return exo_nicdevs[i];
	return NULL;
}

/* Is @addr one of @dev's IPv4 addresses? */
static bool exo_dev_has_addr(struct net_device *dev, __be32 addr)
{
	const struct in_ifaddr *ifa;
	struct in_device *in_dev;
	bool found = false;

	rcu_read_lock();
	in_dev = __in_dev_get_rcu(dev);
	if (in_dev)
		in_dev_for_each_ifa_rcu(ifa, in_dev)
			if (ifa->ifa_local == addr) {
				found = true;
				break;
			}
	rcu_read_unlock();
	return found;
}

/*
 * After a forced bind of @self to TCP port @lport on @laddr in @net: is
 * every other socket that holds the port there a TIME_WAIT one?  A
 * listener, a connection or a plain bound socket on @laddr or the
 * wildcard (or any IPv6 one) is not: the port stays theirs.  Under the
 * bind bucket's lock, which also stops the bucket taking a later reuser
 * without a conflict check (fastreuse off: @self admits no reuse).
 */
static bool exo_port_timewait_only(struct net *net, __be32 laddr, u16 lport,
				   const struct sock *self)
{
	struct inet_hashinfo *hinfo = &tcp_hashinfo;
	struct inet_bind_hashbucket *head;
	struct inet_bind_bucket *tb;
	struct sock *sk2;
	bool only = true;

	head = &hinfo->bhash[inet_bhashfn(net, lport, hinfo->bhash_size)];
	spin_lock_bh(&head->lock);
	inet_bind_bucket_for_each(tb, &head->chain) {
		if (!net_eq(ib_net(tb), net) || tb->port != lport)
			continue;
		tb->fastreuse = 0;
		tb->fastreuseport = 0;
		sk_for_each_bound(sk2, &tb->owners) {
			if (sk2 == self || sk2->sk_state == TCP_TIME_WAIT)
				continue;
			if (sk2->sk_family == AF_INET && sk2->sk_rcv_saddr &&
			    sk2->sk_rcv_saddr != laddr)
				continue;	/* another address: no overlap */
			only = false;
		}
	}
	spin_unlock_bh(&head->lock);
	return only;
}

static int exo_port_bind(struct net *net, u32 proto, struct sockaddr_in *sin,
			 bool force, struct socket **sockp)
{
	struct socket *sock;
	int ret;

	ret = sock_create_kern(net, AF_INET,
			       proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM,
			       proto, &sock);
	if (ret)
		return ret;
	if (force)
		sock->sk->sk_reuse = SK_FORCE_REUSE;
	ret = kernel_bind(sock, (struct sockaddr *)sin, sizeof(*sin));
	if (!ret && force) {
		if (exo_port_timewait_only(net, sin->sin_addr.s_addr,
					   ntohs(sin->sin_port), sock->sk))
			/* From now on the port is ours alone, as any bind. */
			sock->sk->sk_reuse = SK_NO_REUSE;
		else
			ret = -EADDRINUSE;
	}
	if (ret) {
		sock_release(sock);
		return ret;
	}
	*sockp = sock;
	return 0;
}

/*
 * Reserve @proto port @lport on @laddr in @net: a bound socket of ours.
 * A TCP port that only TIME_WAIT sockets hold (a Linux server that just
 * closed its connections; they would refuse a plain bind for 60 s) is
 * taken over: those pairs are over, and a late segment of one now reaches
 * the flow's holder, whose TCP answers it as RFC 9293 says.  Anything
 * else holding it (a listener, SO_REUSEADDR or not, a connection, a bound
 * socket) keeps it: EADDRINUSE.
 */
static int exo_port_reserve(struct net *net, u32 proto, __be32 laddr,
			    u16 lport, struct socket **sockp)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = laddr,
		.sin_port = htons(lport),
	};
	int ret;

	ret = exo_port_bind(net, proto, &sin, false, sockp);
	if (ret == -EADDRINUSE && proto == IPPROTO_TCP)
		ret = exo_port_bind(net, proto, &sin, true, sockp);
	if (ret)
		return ret;
	/* Nothing reads it: what Linux delivers to it is dropped at once. */
	sock_set_rcvbuf((*sockp)->sk, 0);
	return 0;
}

int exo_ioc_flow_alloc(struct exo_env *env, void *arg)
{
	struct exo_flow_alloc *fa = arg;
	struct net *net = current->nsproxy->net_ns;
	bool admin = ns_capable(net->user_ns, CAP_NET_ADMIN) &&
		     capable(CAP_NET_ADMIN);
	struct socket *sock = NULL;
	struct exo_nicdev *nd;
	struct exo_flow *fl;
	int ret;

	if (fa->flags || fa->__reserved)
		return -EINVAL;
	switch (fa->proto) {
	case IPPROTO_UDP:
	case IPPROTO_TCP:
		if (!fa->lport)
			return -EINVAL;
		if (fa->lport < 1024 && !admin)
			return -EPERM;
		break;
	case IPPROTO_ICMP:
		if (fa->lport || fa->rport)
			return -EINVAL;
		if (!admin)
			return -EPERM;
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (!fa->laddr || (!fa->raddr && fa->rport))
		return -EINVAL;

	fl = kzalloc(sizeof(*fl), GFP_KERNEL_ACCOUNT);
	if (!fl)
		return -ENOMEM;
	fl->proto = fa->proto;
	fl->laddr = (__force __be32)fa->laddr;
	fl->raddr = (__force __be32)fa->raddr;
	fl->lport = htons(fa->lport);
	fl->rport = htons(fa->rport);

	/* A device that is gone answers ENODEV, not its vanished address. */
	mutex_lock(&exo_lock);
	nd = exo_nicdev_find(net, fa->ifindex);
	mutex_unlock(&exo_lock);
	ret = -ENODEV;
	if (!nd)
		goto err_free;

	/* Linux's own port space decides whether the port is free. */
	if (fa->proto != IPPROTO_ICMP) {
		ret = exo_port_reserve(net, fa->proto, fl->laddr, fa->lport,
				       &sock);
		if (ret)
			goto err_free;
	}

	mutex_lock(&exo_lock);
	nd = exo_nicdev_find(net, fa->ifindex);
	ret = -ENODEV;
	if (!nd)
		goto err_unlock;
	ret = -EADDRNOTAVAIL;
	if (!admin && !exo_dev_has_addr(nd->dev, fl->laddr))
		goto err_unlock;
	ret = -EADDRINUSE;
	if (exo_flow_find(nd, fl->proto, fl->laddr, fl->lport))
		goto err_unlock;
	ret = exo_obj_charge(env, EXO_KIND_FLOW);
	if (ret)
		goto err_unlock;
	exo_obj_init(&fl->obj, env, EXO_KIND_FLOW);
	fl->obj.id = ((u64)fa->proto << 48) | ((u64)fa->lport << 32) |
		     be32_to_cpu(fl->laddr);
	fl->nd = nd;
	fl->sock = sock;
	hash_add_rcu(nd->flows, &fl->hnode,
		     exo_flow_hash(fl->proto, fl->laddr, fl->lport));
	nd->nflows++;
	/* From here on the object owns the socket; closing undoes it all. */
	ret = exo_cap_install_root(env, &fl->obj, &fa->cap);
	exo_obj_put(&fl->obj);	/* the capability holds it now, or it dies */
	mutex_unlock(&exo_lock);
	return ret;

err_unlock:
	mutex_unlock(&exo_lock);
	if (sock)
		sock_release(sock);
err_free:
	kfree(fl);
	return ret;
}

void exo_undo_flow_alloc(struct exo_env *env, void *arg)
{
	exo_undo_cap_out(env, ((struct exo_flow_alloc *)arg)->cap);
}

/* ---- bindings ----------------------------------------------------------------------- */

/*
 * @h names a flow of @env with @need: its capability in *@capp, its live
 * binding in *@bp (or ENOTCONN), each if asked for.
 */
static int exo_nbind_lookup(struct exo_env *env, exo_cap_t h, u32 need,
			    struct exo_cap **capp, struct exo_nbind **bp)
{
	struct exo_nbind *b;
	struct exo_cap *cap;
	struct exo_flow *fl;
	int ret;

	lockdep_assert_held(&exo_lock);
	ret = exo_cap_get(env, h, EXO_KIND_FLOW, need, &cap);
	if (ret)
		return ret;
	fl = container_of(cap->obj, struct exo_flow, obj);
	if (capp)
		*capp = cap;
	if (!fl->nd)
		return -ENODEV;
	b = rcu_dereference_protected(fl->bind, lockdep_is_held(&exo_lock));
	if (!bp)
		return 0;
	if (!b || b->env != env)
		return -ENOTCONN;
	*bp = b;
	return 0;
}

int exo_ioc_nic_bind(struct exo_env *env, void *arg)
{
	struct exo_nic_bind *nb = arg;
	struct exo_cap **caps;
	u32 n, i;
	exo_cap_t *hs;
	struct exo_nbind *b;
	struct exo_flow *fl;
	struct exo_cap *fcap;
	struct exo_nic_ring *r;
	int ret;

	if (nb->flags & ~EXO_NIC_BIND_TX_OFFLOAD)
		return -EINVAL;
	if (!is_power_of_2(nb->rx_frames) || !is_power_of_2(nb->tx_frames) ||
	    nb->rx_frames > EXO_NIC_MAX_RING_FRAMES ||
	    nb->tx_frames > EXO_NIC_MAX_RING_FRAMES)
		return -EINVAL;
	BUILD_BUG_ON(sizeof(struct exo_nic_ring) > PAGE_SIZE);
	BUILD_BUG_ON(2 * EXO_NIC_SLOT_SIZE != PAGE_SIZE);
	n = 1 + nb->rx_frames + nb->tx_frames;
	/* The handles, then the capability each one names. */
	hs = kvmalloc_array(n, sizeof(*hs) + sizeof(*caps), GFP_KERNEL);
	b = kzalloc(struct_size(b, frames, n), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!hs || !b)
		goto out_free;
	if (nb->flags & EXO_NIC_BIND_TX_OFFLOAD) {
		b->txc = exo_txc_alloc(2 * nb->tx_frames);
		if (!b->txc)
			goto out_free;
		b->offload = true;
	}
	ret = -EFAULT;
	if (copy_from_user(hs, u64_to_user_ptr(nb->frames), n * sizeof(*hs)))
		goto out_free;
	caps = (struct exo_cap **)(hs + n);

	mutex_lock(&exo_lock);
	ret = exo_nbind_lookup(env, nb->flow, EXO_RIGHT_READ, &fcap, NULL);
	if (ret)
		goto out_unlock;
	fl = container_of(fcap->obj, struct exo_flow, obj);
	ret = -EBUSY;
	if (rcu_access_pointer(fl->bind) ||
	    exo_cap_find_use(fcap, &exo_nbind_flow_use))
		goto out_unlock;
	/* Room for the fast lookup's entry, stored when all is checked. */
	ret = xa_reserve(&env->nic_fast, fcap->slot, GFP_KERNEL);
	if (ret)
		goto out_unlock;
	for (i = 0; i < n; i++) {
		struct exo_cap *c;
		u32 j;

		ret = exo_cap_get(env, hs[i], EXO_KIND_FRAME, EXO_RIGHT_READ |
				  EXO_RIGHT_WRITE, &c);
		if (!ret && exo_cap_find_use(c, &exo_nbind_frame_use))
			ret = -EBUSY;
		for (j = 0; !ret && j < i; j++)
			if (b->frames[j].obj == c->obj)
				ret = -EINVAL;	/* the same frame twice */
		if (ret) {
			xa_release(&env->nic_fast, fcap->slot);
			goto out_unlock;
		}
		caps[i] = c;
		b->frames[i].obj = c->obj;
	}
	/* All checked: take the references and hook everything up. */
	kref_init(&b->ref);
	b->env = env;
	exo_env_get(env);
	b->flow = fl;
	kref_get(&fl->obj.ref);
	b->nd = fl->nd;
	b->nframes = n;
	b->rx_frames = nb->rx_frames;
	b->rx_slots = 2 * nb->rx_frames;
	b->tx_slots = 2 * nb->tx_frames;
	spin_lock_init(&b->rx_lock);
	INIT_LIST_HEAD(&b->rx_cmds);
	mutex_init(&b->tx_mutex);
	for (i = 0; i < n; i++) {
		struct exo_nframe *f = &b->frames[i];

		kref_get(&f->obj->ref);
		f->va = page_address(pfn_to_page(exo_frame_pfn(f->obj)));
		f->b = b;
		exo_cap_use_add(caps[i], &f->use, &exo_nbind_frame_use);
	}
	exo_cap_use_add(fcap, &b->use, &exo_nbind_flow_use);
	r = b->frames[0].va;
	b->ring = r;
	memset(r, 0, sizeof(*r));
	r->rx_slots = b->rx_slots;
	r->tx_slots = b->tx_slots;
	r->slot_size = EXO_NIC_SLOT_SIZE;
	r->data_off = EXO_NIC_DATA_OFF;
	r->ifindex = fl->nd->ifindex;
	r->proto = fl->proto;
	r->laddr = (__force u32)fl->laddr;
	r->raddr = (__force u32)fl->raddr;
	r->lport = ntohs(fl->lport);
	r->rport = ntohs(fl->rport);
	ether_addr_copy(r->mac, fl->nd->dev->dev_addr);
	r->mtu = min_t(u32, fl->nd->dev->mtu, U16_MAX);
	list_add_tail_rcu(&b->env_node, &env->nic_binds);
	exo_stats.nic_binds++;
	/* Published last: the receive path may use it from now on. */
	if (b->txc)
		b->txc->b = b;
	rcu_assign_pointer(fl->bind, b);
	b->h = exo_cap_handle(fcap);
	b->rights = fcap->rights;
	xa_store(&env->nic_fast, fcap->slot, b, 0);	/* reserved: no alloc */
	b = NULL;
	ret = 0;
out_unlock:
	mutex_unlock(&exo_lock);
out_free:
	if (b)
		kfree(b->txc);
	kfree(b);
	kvfree(hs);
	return ret;
}

int exo_ioc_nic_unbind(struct exo_env *env, void *arg)
{
	struct exo_nic_unbind *nu = arg;
	struct exo_nbind *b;
	int ret;

	if (nu->flags)
		return -EINVAL;
	mutex_lock(&exo_lock);
	ret = exo_nbind_lookup(env, nu->flow, 0, NULL, &b);
	if (!ret)
		exo_nbind_kill(b, -ECANCELED);
	mutex_unlock(&exo_lock);
	return ret;
}

/*
 * Look up and pin @env's binding of @h for a call outside exo_lock:
 * without any lock if @h is the capability it was made through (see the
 * top of the file), else under exo_lock.
 */
int exo_nbind_get(struct exo_env *env, exo_cap_t h, u32 need,
		  struct exo_nbind **bp)
{
	struct exo_nbind *b;
	int ret;

	rcu_read_lock();
	b = xa_load(&env->nic_fast, (u32)h);
	if (b && b->h == h && (b->rights & need) == need &&
	    kref_get_unless_zero(&b->ref)) {
		rcu_read_unlock();
		*bp = b;
		return 0;
	}
	rcu_read_unlock();
	mutex_lock(&exo_lock);
	ret = exo_nbind_lookup(env, h, need, NULL, bp);
	if (!ret)
		kref_get(&(*bp)->ref);
	mutex_unlock(&exo_lock);
	return ret;
}

void exo_nbind_put(struct exo_nbind *b)
{
	kref_put(&b->ref, exo_nbind_release);
}

int exo_ioc_nic_stat(struct exo_env *env, void *arg)
{
	struct exo_nic_stat *ns = arg;
	struct exo_nbind *b;
	int ret;

	if (ns->flags)
		return -EINVAL;
	ret = exo_nbind_get(env, ns->flow, 0, &b);
	if (ret)
		return ret;
	/* Receive counters change under rx_lock, transmit ones under tx_mutex. */
	mutex_lock(&b->tx_mutex);
	spin_lock_bh(&b->rx_lock);
	ns->c = b->c;
	spin_unlock_bh(&b->rx_lock);
	mutex_unlock(&b->tx_mutex);
	if (b->txc) {
		spin_lock(&b->txc->lock);
		ns->c.tx_zc_done = b->txc->zc_done;
		spin_unlock(&b->txc->lock);
	}
	exo_nbind_put(b);
	return 0;
}

int exo_ioc_nic_filter(struct exo_env *env, void *arg)
{
	struct exo_nic_filter *nf = arg;
	struct exo_filter *f = NULL, *old;
	struct exo_nbind *b;
	int ret;

	switch (nf->flags) {
	case 0:
		if (nf->prog_fd || nf->len || nf->insns)
			return -EINVAL;
		break;
	case EXO_FILTER_EBPF:
		if (nf->prog_fd < 0 || nf->len || nf->insns)
			return -EINVAL;
		break;
	case EXO_FILTER_CLASSIC:
		if (nf->prog_fd || !nf->len || nf->len > EXO_FILTER_MAX_CLASSIC)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (nf->flags) {
		f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
		if (!f)
			return -ENOMEM;
	}
	if (nf->flags == EXO_FILTER_EBPF) {
		/* The fd is the caller's: look it up here, in its context. */
		f->prog = exo_xdp_prog_get(nf->prog_fd);
		if (IS_ERR(f->prog)) {
			ret = PTR_ERR(f->prog);
			kfree(f);
			return ret;
		}
	} else if (nf->flags == EXO_FILTER_CLASSIC) {
		struct sock_fprog fprog = {
			.len = nf->len,
			.filter = u64_to_user_ptr(nf->insns),
		};

		f->classic = true;
		ret = bpf_prog_create_from_user(&f->prog, &fprog, NULL, false);
		if (ret) {
			kfree(f);
			return ret;
		}
	}

	ret = exo_nbind_get(env, nf->flow, EXO_RIGHT_WRITE, &b);
	if (ret) {
		exo_filter_free(f);
		return ret;
	}
	mutex_lock(&b->tx_mutex);
	if (b->dead) {
		mutex_unlock(&b->tx_mutex);
		exo_nbind_put(b);
		exo_filter_free(f);
		return -ENOTCONN;
	}
	old = rcu_replace_pointer(b->filter, f,
				  lockdep_is_held(&b->tx_mutex));
	mutex_unlock(&b->tx_mutex);
	if (old) {
		/*
		 * Freed once no packet can still be running it, without
		 * making the caller wait out a grace period
		 * (exo_nic_quiesce() waits for it).
		 */
		INIT_RCU_WORK(&old->free_work, exo_filter_free_work);
		queue_rcu_work(exo_nic_wq, &old->free_work);
	}
	exo_nbind_put(b);
	return 0;
}

/* ---- transmit ------------------------------------------------------------------- */

enum exo_tx_verdict { EXO_TX_OK, EXO_TX_BAD_LEN, EXO_TX_SPOOFED };

/*
 * Check a frame, already copied into @skb (so the env cannot change it
 * under the check), against @b's flow.
 */
static enum exo_tx_verdict exo_tx_check(struct exo_nbind *b,
					struct sk_buff *skb)
{
	const struct exo_flow *fl = b->flow;
	struct net_device *dev = b->nd->dev;
	const struct ethhdr *eth = (void *)skb->data;
	const struct iphdr *iph;
	u32 len = skb->len, ihl, tot;

	if (len < EXO_NIC_MIN_LEN || len > EXO_NIC_MAX_LEN ||
	    len > dev->mtu + ETH_HLEN)
		return EXO_TX_BAD_LEN;
	iph = (void *)(skb->data + ETH_HLEN);
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (!ether_addr_equal(eth->h_source, dev->dev_addr) ||
	    eth->h_proto != htons(ETH_P_IP) || iph->version != 4 ||
	    ihl < sizeof(*iph) || iph->protocol != fl->proto ||
	    iph->saddr != fl->laddr || (fl->raddr && iph->daddr != fl->raddr) ||
	    ip_is_fragment(iph))
		return EXO_TX_SPOOFED;
	if (tot < ihl || ETH_HLEN + tot > len)
		return EXO_TX_BAD_LEN;
	if (fl->proto != IPPROTO_ICMP) {
		const __be16 *ports = (void *)iph + ihl;

		if (ihl + 4 > tot)
			return EXO_TX_BAD_LEN;
		if (ports[0] != fl->lport || (fl->rport && ports[1] != fl->rport))
			return EXO_TX_SPOOFED;
	}
	/* Trailing bytes past the IP datagram are not sent. */
	if (ETH_HLEN + tot < len)
		skb_trim(skb, max_t(u32, ETH_HLEN + tot, ETH_ZLEN));
	return EXO_TX_OK;
}

/*
 * Copy @len bytes at @data into an skb, check it and send it.
 * Returns 0 if sent, 1 if dropped (counted by the caller through *why).
 */
static int exo_tx_one(struct exo_nbind *b, const void *data, u32 len,
		      enum exo_tx_verdict *why, bool *xmit_err, gfp_t gfp)
{
	struct net_device *dev = b->nd->dev;
	struct sk_buff *skb;

	*xmit_err = false;
	*why = EXO_TX_BAD_LEN;
	if (len < EXO_NIC_MIN_LEN || len > EXO_NIC_MAX_LEN)
		return 1;
	skb = alloc_skb(LL_RESERVED_SPACE(dev) + len, gfp);
	if (!skb) {
		*xmit_err = true;
		return 1;
	}
	skb_reserve(skb, LL_RESERVED_SPACE(dev));
	memcpy(skb_put(skb, len), data, len);
	*why = exo_tx_check(b, skb);
	if (*why != EXO_TX_OK) {
		kfree_skb(skb);
		return 1;
	}
	skb->dev = dev;
	skb->protocol = htons(ETH_P_IP);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	if (dev_queue_xmit(skb) != NET_XMIT_SUCCESS) {
		*xmit_err = true;
		return 1;
	}
	return 0;
}

/* ---- transmit offloads: checksums, TSO, fragments ------------------------------ */

/*
 * Completions of zero-copy packets.
 *
 * A zero-copy packet's fragments are pages of env frames.  The frames must
 * stay out of the pool until no skb can read them, and skbs are cloned
 * (taps), segmented (GSO) and queued (qdiscs) by code that knows nothing
 * of exo.  An skb destructor runs when the first skb is freed, not its
 * clones or segments, so it cannot tell.  A ubuf_info (skb_shinfo's
 * destructor_arg, SKBFL_ZEROCOPY_ENABLE) can: it is what MSG_ZEROCOPY and
 * io_uring's zero-copy send use on 6.1.  Clones share it with the data;
 * skb_segment() and skb_zerocopy_clone() take a reference per segment;
 * the stack calls back as each reference goes, and code that would keep
 * the pages beyond that (a packet looped into a local socket, a tap's
 * copy: skb_orphan_frags_rx()) copies them first and lets go.  The flags
 * are io_uring's: SKBFL_DONT_ORPHAN lets clones and GSO segments share
 * the frames instead of copying them, SKBFL_SHARED_FRAG tells checksum
 * code that the bytes may change under it (the env may write its frame).
 * The pages also carry ordinary references (get_page per fragment; the
 * pool holds one of its own since page.c splits its blocks), so a stray
 * reference can never free a pool page.  Safety rests on the ubuf_info:
 * the frame objects are released only after its last reference is gone.
 *
 * The callback may run wherever the stack frees skbs (softirq included),
 * under locks we know nothing of: it only queues the packet on a
 * lock-free list; the exo_nic workqueue drops the frame references
 * (taking exo_lock for a last one) and publishes tx_done.  Each packet in
 * flight holds a reference on the module, dropped by that work item, so
 * rmmod cannot free the callback's code while the stack may still call
 * it (destroy_workqueue() waits for the work item itself).
 */

struct exo_txzc {
	struct ubuf_info ubuf;
	struct llist_node node;		/* on exo_txzc_list once complete */
	struct exo_txc *txc;		/* referenced */
	u32 idx;			/* its slot, free-running */
	u32 nobj;
	struct exo_obj *obj[EXO_NIC_TX_MAX_FRAGS];	/* distinct, referenced */
};

static LLIST_HEAD(exo_txzc_list);
static atomic64_t exo_txzc_inflight = ATOMIC64_INIT(0);
static void exo_txzc_work_fn(struct work_struct *work);
static DECLARE_WORK(exo_txzc_work, exo_txzc_work_fn);

u64 exo_nic_zc_inflight(void)
{
	return atomic64_read(&exo_txzc_inflight);
}

static struct exo_txc *exo_txc_alloc(u32 slots)
{
	struct exo_txc *txc;

	txc = kzalloc(struct_size(txc, pending, BITS_TO_LONGS(slots)),
		      GFP_KERNEL_ACCOUNT);
	if (!txc)
		return NULL;
	kref_init(&txc->ref);
	spin_lock_init(&txc->lock);
	txc->slots = slots;
	return txc;
}

static void exo_txc_free(struct kref *ref)
{
	kfree(container_of(ref, struct exo_txc, ref));
}

/* Move tx_done over the slots whose packets are gone; txc->lock held. */
static void exo_txc_advance(struct exo_txc *txc)
{
	lockdep_assert_held(&txc->lock);
	while (txc->done != txc->tail &&
	       !test_bit(txc->done & (txc->slots - 1), txc->pending))
		txc->done++;
	if (txc->b) {
		/* The slots before tx_done are the env's again. */
		smp_store_release(&txc->b->ring->tx_done, txc->done);
	}
}

static void exo_txzc_callback(struct sk_buff *skb, struct ubuf_info *uarg,
			      bool success)
{
	struct exo_txzc *zc = container_of(uarg, struct exo_txzc, ubuf);

	if (!refcount_dec_and_test(&uarg->refcnt))
		return;
	if (llist_add(&zc->node, &exo_txzc_list))
		queue_work(exo_nic_wq, &exo_txzc_work);
}

static void exo_txzc_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&exo_txzc_list);
	struct exo_txzc *zc, *tmp;

	llist_for_each_entry_safe(zc, tmp, list, node) {
		struct exo_txc *txc = zc->txc;
		u32 i;

		/* The frames first: once tx_done moves, they are back. */
		for (i = 0; i < zc->nobj; i++)
			exo_obj_put_unlocked(zc->obj[i]);
		spin_lock(&txc->lock);
		__clear_bit(zc->idx & (txc->slots - 1), txc->pending);
		txc->zc_done++;
		if (txc->b) {
			WRITE_ONCE(txc->b->ring->c.tx_zc_done, txc->zc_done);
			exo_txc_advance(txc);
			/* The binding, hence its env, lives while txc->b is set. */
			exo_env_wake(txc->b->env, EXO_WAKE_TX);
		}
		spin_unlock(&txc->lock);
		kref_put(&txc->ref, exo_txc_free);
		kfree(zc);
		atomic64_dec(&exo_txzc_inflight);
		module_put(THIS_MODULE);
	}
}

/* Why a descriptor was dropped: which counter it goes to. */
enum exo_tx_why {
	EXO_WHY_LEN,		/* tx_bad_len */
	EXO_WHY_SPOOF,		/* tx_spoofed */
	EXO_WHY_OFFLOAD,	/* tx_bad_offload */
	EXO_WHY_FRAG,		/* tx_bad_frag */
	EXO_WHY_ERR,		/* tx_errors */
};

/* What exo_tx_check_ext() learnt of the headers. */
struct exo_tx_hdr {
	u32 ihl, tot, l4off, thlen, payload;
	bool gso;
};

/*
 * Check the headers of an offload slot, copied into @skb (linear, the
 * inline bytes only), against @b's flow and the descriptor @d; @total is
 * the packet's length with its fragments.  0, or a negative errno.
 */
static int exo_tx_check_ext(struct exo_nbind *b, struct sk_buff *skb,
			    const struct exo_nic_txdesc *d, u32 total,
			    struct exo_tx_hdr *h, enum exo_tx_why *why)
{
	const struct exo_flow *fl = b->flow;
	struct net_device *dev = b->nd->dev;
	const struct ethhdr *eth = (void *)skb->data;
	const struct iphdr *iph = (void *)(skb->data + ETH_HLEN);
	bool tso = d->flags & EXO_NIC_TX_TSO;
	bool csum = d->flags & (EXO_NIC_TX_CSUM | EXO_NIC_TX_TSO);
	u32 lin = skb->len, mtu = dev->mtu + ETH_HLEN;

	h->ihl = iph->ihl * 4;
	h->tot = ntohs(iph->tot_len);
	h->l4off = ETH_HLEN + h->ihl;
	h->thlen = 0;
	h->gso = false;
	*why = EXO_WHY_SPOOF;
	if (!ether_addr_equal(eth->h_source, dev->dev_addr) ||
	    eth->h_proto != htons(ETH_P_IP) || iph->version != 4 ||
	    h->ihl < sizeof(*iph) || iph->protocol != fl->proto ||
	    iph->saddr != fl->laddr || (fl->raddr && iph->daddr != fl->raddr) ||
	    ip_is_fragment(iph))
		return -EPERM;
	*why = EXO_WHY_OFFLOAD;
	if ((csum && fl->proto == IPPROTO_ICMP) ||
	    (tso && fl->proto != IPPROTO_TCP))
		return -EINVAL;
	/* The headers the kernel checks or derives from must be in the slot. */
	if (h->l4off + (fl->proto == IPPROTO_ICMP ? 0 : 4) > lin)
		return -EINVAL;
	*why = EXO_WHY_LEN;
	if (h->tot < h->ihl || ETH_HLEN + h->tot > total ||
	    (ETH_HLEN + h->tot < total && d->nr_frags))
		return -EPROTO;
	if (fl->proto != IPPROTO_ICMP) {
		const __be16 *ports = (void *)iph + h->ihl;

		*why = EXO_WHY_SPOOF;
		if (ports[0] != fl->lport || (fl->rport && ports[1] != fl->rport))
			return -EPERM;
	}
	*why = EXO_WHY_OFFLOAD;
	if (fl->proto == IPPROTO_TCP && csum) {
		const struct tcphdr *th = (void *)skb->data + h->l4off;

		h->thlen = th->doff * 4;
		if (h->thlen < sizeof(*th) || h->l4off + h->thlen > lin)
			return -EINVAL;
		if (tso && (th->syn || th->rst || th->urg))
			return -EINVAL;
	} else if (fl->proto == IPPROTO_UDP && csum) {
		h->thlen = sizeof(struct udphdr);
		if (h->l4off + h->thlen > lin)
			return -EINVAL;
	}
	*why = EXO_WHY_LEN;
	if (h->tot < h->ihl + h->thlen)
		return -EPROTO;
	h->payload = h->tot - h->ihl - h->thlen;
	if (tso && h->payload > d->mss) {
		/* Every segment must fit the device; the whole, the IP length. */
		if (h->l4off + h->thlen + d->mss > mtu)
			return -EMSGSIZE;
		h->gso = true;
	} else if (ETH_HLEN + h->tot > mtu) {
		return -EMSGSIZE;
	}
	return 0;
}

/*
 * Send one slot of an offload binding: descriptor @slot, index @idx.
 * exo_lock and tx_mutex held.  0, or a negative errno (*@why says which
 * counter).  *@bytes: the packet's length when sent.
 */
static int exo_tx_ext(struct exo_nbind *b, void *slot, u32 idx,
		      enum exo_tx_why *why, u32 *bytes)
{
	struct net_device *dev = b->nd->dev;
	struct exo_nic_frag fr[EXO_NIC_TX_MAX_FRAGS];
	struct exo_obj *obj[EXO_NIC_TX_MAX_FRAGS];
	u64 pfn[EXO_NIC_TX_MAX_FRAGS];
	struct exo_nic_txdesc d;
	struct exo_txzc *zc = NULL;
	struct exo_tx_hdr h;
	struct sk_buff *skb;
	struct iphdr *iph;
	u32 i, j, total, nobj = 0;
	bool copy;
	int err;

	lockdep_assert_held(&exo_lock);
	/* One read of what the env may be rewriting: then only our copy. */
	memcpy(&d, slot, sizeof(d));
	*why = EXO_WHY_OFFLOAD;
	if ((d.flags & ~EXO_NIC_TX_FLAGS) || d.__reserved0 || d.__reserved1)
		return -EINVAL;
	if ((d.mss && !(d.flags & EXO_NIC_TX_TSO)) ||
	    ((d.flags & EXO_NIC_TX_TSO) && d.mss < EXO_NIC_TX_MIN_MSS))
		return -EINVAL;
	if (d.nr_frags > EXO_NIC_TX_MAX_FRAGS)
		return -E2BIG;
	if (d.nr_frags && d.len > EXO_NIC_TX_FRAG_OFF - EXO_NIC_DATA_OFF)
		return -EINVAL;
	*why = EXO_WHY_LEN;
	if (d.len < EXO_NIC_MIN_LEN || d.len > EXO_NIC_MAX_LEN)
		return -EMSGSIZE;
	copy = d.flags & EXO_NIC_TX_COPY;
	memcpy(fr, slot + EXO_NIC_TX_FRAG_OFF, d.nr_frags * sizeof(*fr));
	total = d.len;
	*why = EXO_WHY_OFFLOAD;
	for (i = 0; i < d.nr_frags; i++) {
		if (!fr[i].len)
			return -EINVAL;
		if (fr[i].off >= PAGE_SIZE || fr[i].len > PAGE_SIZE - fr[i].off)
			return -EOVERFLOW;
		total += fr[i].len;	/* at most 16 pages: no overflow */
	}

	*why = EXO_WHY_ERR;
	skb = alloc_skb(LL_RESERVED_SPACE(dev) + d.len, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, LL_RESERVED_SPACE(dev));
	memcpy(skb_put(skb, d.len), slot + EXO_NIC_DATA_OFF, d.len);
	err = exo_tx_check_ext(b, skb, &d, total, &h, why);
	if (err)
		goto drop;

	/* Each fragment: a readable frame of this env, no two overlapping. */
	for (i = 0; i < d.nr_frags; i++) {
		err = exo_frame_get(b->env, fr[i].frame, EXO_RIGHT_READ,
				    &obj[i], &pfn[i]);
		if (err) {
			*why = EXO_WHY_FRAG;
			goto put;
		}
		for (j = 0; j < i; j++)
			if (obj[j] == obj[i] &&
			    fr[j].off < fr[i].off + fr[i].len &&
			    fr[i].off < fr[j].off + fr[j].len) {
				*why = EXO_WHY_OFFLOAD;
				err = -EINVAL;
				i++;
				goto put;
			}
	}
	if (d.nr_frags && !copy) {
		*why = EXO_WHY_ERR;
		err = -ENOMEM;
		zc = kmalloc(sizeof(*zc), GFP_KERNEL_ACCOUNT);
		if (!zc)
			goto put;
	}
	for (i = 0; i < d.nr_frags; i++) {
		struct page *page = pfn_to_page(pfn[i]);

		if (copy) {
			struct page *p = alloc_page(GFP_KERNEL_ACCOUNT);

			if (!p) {
				*why = EXO_WHY_ERR;
				err = -ENOMEM;
				i = d.nr_frags;
				goto put;
			}
			memcpy(page_address(p), page_address(page) + fr[i].off,
			       fr[i].len);
			skb_fill_page_desc(skb, i, p, 0, fr[i].len);
			skb->truesize += PAGE_SIZE;
		} else {
			get_page(page);
			skb_fill_page_desc(skb, i, page, fr[i].off, fr[i].len);
			skb->truesize += fr[i].len;
		}
		skb->len += fr[i].len;
		skb->data_len += fr[i].len;
	}
	/* Copied: the frames are free again.  Attached: the packet holds them. */
	for (i = 0; i < d.nr_frags; i++) {
		for (j = 0; zc && j < nobj && zc->obj[j] != obj[i]; j++)
			;
		if (zc && j == nobj)
			zc->obj[nobj++] = obj[i];
		else
			exo_obj_put(obj[i]);
	}
	if (!d.nr_frags && ETH_HLEN + h.tot < skb->len)
		skb_trim(skb, max_t(u32, ETH_HLEN + h.tot, ETH_ZLEN));

	iph = (void *)(skb->data + ETH_HLEN);
	if (d.flags & (EXO_NIC_TX_CSUM | EXO_NIC_TX_TSO)) {
		bool tcp = b->flow->proto == IPPROTO_TCP;
		u32 off = tcp ? offsetof(struct tcphdr, check) :
				offsetof(struct udphdr, check);
		__sum16 *check = (void *)skb->data + h.l4off + off;

		/* The pseudo-header sum: the device adds the rest. */
		*check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
					    h.tot - h.ihl, b->flow->proto, 0);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_headroom(skb) + h.l4off;
		skb->csum_offset = off;
		ip_send_check(iph);
	}
	if (h.gso) {
		skb_shinfo(skb)->gso_size = d.mss;
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
		skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(h.payload, d.mss);
	}
	skb->dev = dev;
	skb->protocol = htons(ETH_P_IP);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	skb_set_transport_header(skb, h.l4off);
	if (zc) {
		struct exo_txc *txc = b->txc;

		zc->ubuf.callback = exo_txzc_callback;
		refcount_set(&zc->ubuf.refcnt, 1);	/* the skb's */
		zc->ubuf.flags = SKBFL_ZEROCOPY_FRAG | SKBFL_DONT_ORPHAN;
		zc->txc = txc;
		kref_get(&txc->ref);
		zc->idx = idx;
		zc->nobj = nobj;
		spin_lock(&txc->lock);
		__set_bit(idx & (txc->slots - 1), txc->pending);
		spin_unlock(&txc->lock);
		__module_get(THIS_MODULE);
		atomic64_inc(&exo_txzc_inflight);
		/* From here on the skb's last reference completes the packet. */
		skb_zcopy_init(skb, &zc->ubuf);
		EXO_BUMP(b, tx_zc_packets, 1);
	}
	if (h.gso)
		EXO_BUMP(b, tx_tso, 1);
	*bytes = skb->len;
	if (dev_queue_xmit(skb) != NET_XMIT_SUCCESS) {
		*why = EXO_WHY_ERR;
		return -ENOBUFS;
	}
	return 0;

put:
	while (i--)
		exo_obj_put(obj[i]);
	kfree(zc);
drop:
	kfree_skb(skb);
	return err;
}

static void exo_tx_count(struct exo_nbind *b, enum exo_tx_why why)
{
	switch (why) {
	case EXO_WHY_LEN:
		EXO_BUMP(b, tx_bad_len, 1);
		break;
	case EXO_WHY_SPOOF:
		EXO_BUMP(b, tx_spoofed, 1);
		break;
	case EXO_WHY_OFFLOAD:
		EXO_BUMP(b, tx_bad_offload, 1);
		break;
	case EXO_WHY_FRAG:
		EXO_BUMP(b, tx_bad_frag, 1);
		break;
	default:
		EXO_BUMP(b, tx_errors, 1);
	}
}

/* What NIC_TX reports of a batch. */
struct exo_tx_res {
	u32 sent, dropped, error, error_index;
};

/* Send what the env queued; tx_mutex held (and exo_lock if offload). */
static void exo_tx_ring(struct exo_nbind *b, struct exo_tx_res *res)
{
	u32 head = READ_ONCE(b->ring->tx_head), sent = 0, bad = 0;
	struct exo_nic_ring *r = b->ring;

	lockdep_assert_held(&b->tx_mutex);
	memset(res, 0, sizeof(*res));
	if (head - b->tx_tail > b->tx_slots) {
		EXO_BUMP(b, tx_bad_index, 1);
		return;
	}
	smp_rmb();	/* slot contents after the index that covers them */
	while (b->tx_tail != head) {
		void *slot = exo_slot(b, true, b->tx_tail);
		enum exo_tx_why why = EXO_WHY_LEN;
		u32 bytes = 0;
		int err;

		if (b->offload) {
			/* Its last packet still in flight: wait for it. */
			if (test_bit(b->tx_tail & (b->tx_slots - 1),
				     b->txc->pending))
				break;
			err = exo_tx_ext(b, slot, b->tx_tail, &why, &bytes);
		} else {
			struct exo_nic_desc *d = slot;
			enum exo_tx_verdict v;
			bool xerr;

			bytes = READ_ONCE(d->len);
			err = 0;
			if (exo_tx_one(b, slot + EXO_NIC_DATA_OFF, bytes, &v,
				       &xerr, GFP_KERNEL)) {
				why = xerr ? EXO_WHY_ERR :
				      v == EXO_TX_SPOOFED ? EXO_WHY_SPOOF :
				      EXO_WHY_LEN;
				err = xerr ? -ENOBUFS :
				      v == EXO_TX_SPOOFED ? -EPERM : -EMSGSIZE;
			}
		}
		if (err) {
			if (!bad++) {
				res->error = -err;	/* the ring's errno is positive */
				res->error_index = b->tx_tail;
			}
			exo_tx_count(b, why);
		} else {
			sent++;
			b->c.tx_bytes += bytes;
		}
		b->tx_tail++;
		if (!(b->tx_tail % 64))
			cond_resched();
	}
	if (sent) {
		EXO_BUMP(b, tx_packets, sent);
		WRITE_ONCE(r->c.tx_bytes, b->c.tx_bytes);
		atomic64_add(sent, &b->env->nic_tx);
	}
	/* The slots before tx_tail were read, their results are written. */
	smp_store_release(&r->tx_tail, b->tx_tail);
	if (b->offload) {
		spin_lock(&b->txc->lock);
		b->txc->tail = b->tx_tail;
		exo_txc_advance(b->txc);
		spin_unlock(&b->txc->lock);
	} else {
		/* Copied into skbs: the slots are the env's again. */
		smp_store_release(&r->tx_done, b->tx_tail);
	}
	res->sent = sent;
	res->dropped = bad;
}

static int exo_nic_tx(struct exo_env *env, exo_cap_t h, struct exo_tx_res *res)
{
	struct exo_nbind *b;
	int ret;

	ret = exo_nbind_get(env, h, EXO_RIGHT_WRITE, &b);
	if (ret)
		return ret;
	/* Fragments name capabilities: exo_lock, before tx_mutex. */
	if (b->offload)
		mutex_lock(&exo_lock);
	mutex_lock(&b->tx_mutex);
	if (b->dead)
		ret = -ENOTCONN;
	else
		exo_tx_ring(b, res);
	mutex_unlock(&b->tx_mutex);
	if (b->offload)
		mutex_unlock(&exo_lock);
	if (!ret)
		exo_env_wake(env, EXO_WAKE_TX);
	exo_nbind_put(b);
	return ret;
}

/* WAIT's EXO_WAIT_TX: send what the flow's ring holds, results aside. */
int exo_nic_tx_flow(struct exo_env *env, exo_cap_t flow)
{
	struct exo_tx_res res;

	return exo_nic_tx(env, flow, &res);
}

int exo_ioc_nic_tx(struct exo_env *env, void *arg)
{
	struct exo_nic_tx *nt = arg;
	struct exo_tx_res res;
	int ret;

	if (nt->flags)
		return -EINVAL;
	ret = exo_nic_tx(env, nt->flow, &res);
	if (ret)
		return ret;
	nt->sent = res.sent;
	nt->dropped = res.dropped;
	nt->error = res.error;
	nt->error_index = res.error_index;
	return 0;
}

/* ---- receive ----------------------------------------------------------------------- */

/* An application handler's reply: the slot's bytes [data, end). */
static void exo_ash_tx(struct exo_nbind *b, const void *data, u32 len)
{
	enum exo_tx_verdict why;
	bool err;

	if (exo_tx_one(b, data, len, &why, &err, GFP_ATOMIC))
		EXO_BUMP(b, ash_drops, 1);
	else
		EXO_BUMP(b, ash_tx, 1);
}

/*
 * A frame sent from this host (veth, loopback) may still carry only the
 * pseudo-header sum in its transport checksum (CHECKSUM_PARTIAL): finish
 * it in the ring's copy (@frame, @len bytes from the Ethernet header), as
 * a NIC would have on the wire, so the libOS sees a valid packet.
 */
static void exo_csum_complete(const struct sk_buff *skb, void *frame, u32 len)
{
	int start = skb_checksum_start_offset(skb) + ETH_HLEN;
	__sum16 *field;

	if (skb->ip_summed != CHECKSUM_PARTIAL || start < ETH_HLEN ||
	    start + skb->csum_offset + sizeof(*field) > len)
		return;
	field = frame + start + skb->csum_offset;
	*field = csum_fold(csum_partial(frame + start, len - start, 0)) ?:
		 CSUM_MANGLED_0;
}

/*
 * Deliver @skb (data at the network header) to @b's ring, through its
 * filter.  Called in the rx_handler, bh off, under RCU.
 */
static void exo_nic_deliver(struct exo_nbind *b, struct sk_buff *skb)
{
	struct exo_nic_ring *r = b->ring;
	u32 len = skb->len + ETH_HLEN, tail, used, verdict = XDP_PASS;
	struct exo_filter *f = rcu_dereference(b->filter);
	struct exo_nic_desc *d;
	struct xdp_buff xdp = {};
	u16 dflags = 0;
	void *slot;

	spin_lock(&b->rx_lock);
	if (len > EXO_NIC_MAX_LEN) {
		EXO_BUMP(b, rx_too_long, 1);
		goto out;
	}
	if (f && f->classic) {
		EXO_BUMP(b, filter_runs, 1);
		if (!bpf_prog_run_save_cb(f->prog, skb)) {
			EXO_BUMP(b, filter_drops, 1);
			goto out;
		}
		dflags = EXO_NIC_DESC_FILTERED;
	}
	/* The env read the slots it gives back before it moved rx_tail. */
	tail = smp_load_acquire(&r->rx_tail);
	used = b->rx_head - tail;
	if (used > b->rx_slots) {
		EXO_BUMP(b, rx_bad_index, 1);
		goto out;
	}
	if (used == b->rx_slots) {
		EXO_BUMP(b, rx_ring_full, 1);
		goto out;
	}
	slot = exo_slot(b, false, b->rx_head);
	if (!skb_is_nonlinear(skb) &&
	    skb_mac_header(skb) + ETH_HLEN == skb->data) {
		/* The common case: one copy, header and payload together. */
		memcpy(slot + EXO_NIC_DATA_OFF, skb_mac_header(skb), len);
	} else {
		memcpy(slot + EXO_NIC_DATA_OFF, skb_mac_header(skb), ETH_HLEN);
		if (skb_copy_bits(skb, 0, slot + EXO_NIC_DATA_OFF + ETH_HLEN,
				  skb->len)) {
			EXO_BUMP(b, rx_too_long, 1);
			goto out;
		}
	}
	exo_csum_complete(skb, slot + EXO_NIC_DATA_OFF, len);
	if (f && !f->classic) {
		/* The program works on the ring's copy; it may rewrite it. */
		/* The hard end is the slot's end: tail growth stays inside. */
		xdp_init_buff(&xdp, EXO_NIC_SLOT_SIZE +
			      SKB_DATA_ALIGN(sizeof(struct skb_shared_info)),
			      &b->nd->rxq);
		xdp_prepare_buff(&xdp, slot, EXO_NIC_DATA_OFF, len, false);
		verdict = bpf_prog_run_xdp(f->prog, &xdp);
		EXO_BUMP(b, filter_runs, 1);
		switch (verdict) {
		case XDP_PASS:
			dflags = EXO_NIC_DESC_FILTERED;
			len = xdp.data_end - xdp.data;
			/* A pushed header may not push the end out of the slot. */
			if (len > EXO_NIC_MAX_LEN) {
				EXO_BUMP(b, rx_too_long, 1);
				goto out;
			}
			if (xdp.data != slot + EXO_NIC_DATA_OFF)
				memmove(slot + EXO_NIC_DATA_OFF, xdp.data, len);
			break;
		case XDP_TX:
			exo_ash_tx(b, xdp.data, xdp.data_end - xdp.data);
			goto out;
		case XDP_DROP:
			EXO_BUMP(b, filter_drops, 1);
			goto out;
		default:
			EXO_BUMP(b, filter_aborts, 1);
			goto out;
		}
	}
	d = slot;
	WRITE_ONCE(d->len, len);
	WRITE_ONCE(d->flags, dflags);
	WRITE_ONCE(d->tstamp_ns, ktime_get_ns());
	b->c.rx_bytes += len;
	WRITE_ONCE(r->c.rx_bytes, b->c.rx_bytes);
	EXO_BUMP(b, rx_packets, 1);
	b->rx_head++;
	/* The slot's bytes and descriptor before the head that shows them. */
	smp_store_release(&r->rx_head, b->rx_head);
	if (!list_empty(&b->rx_cmds))
		exo_rxcmds_complete(b, min(b->rx_head - tail, b->rx_slots));
	spin_unlock(&b->rx_lock);
	atomic64_inc(&b->env->nic_rx);
	exo_env_wake(b->env, EXO_WAKE_RX);
	return;
out:
	spin_unlock(&b->rx_lock);
}

/* The flow @skb belongs to, if any (data at the IPv4 header). */
static struct exo_flow *exo_flow_match(struct exo_nicdev *nd,
				       struct sk_buff *skb)
{
	struct iphdr _iph;
	const struct iphdr *iph;
	__be16 _ports[2];
	const __be16 *ports = NULL;
	struct exo_flow *fl;
	u32 ihl;

	iph = skb_header_pointer(skb, 0, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		return NULL;
	/* Fragments carry no ports: Linux reassembles them. */
	if (ip_is_fragment(iph))
		return NULL;
	ihl = iph->ihl * 4;
	if (iph->protocol == IPPROTO_UDP || iph->protocol == IPPROTO_TCP) {
		ports = skb_header_pointer(skb, ihl, sizeof(_ports), _ports);
		if (!ports)
			return NULL;
	} else if (iph->protocol != IPPROTO_ICMP) {
		return NULL;
	}
	fl = exo_flow_find(nd, iph->protocol, iph->daddr,
			   ports ? ports[1] : 0);
	if (!fl || (fl->raddr && fl->raddr != iph->saddr) ||
	    (fl->rport && ports && fl->rport != ports[0]))
		return NULL;
	return fl;
}

static rx_handler_result_t exo_nic_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct exo_nicdev *nd = rcu_dereference(skb->dev->rx_handler_data);
	struct exo_nbind *b;
	struct exo_flow *fl;

	atomic64_inc(&nd->rx_seen);
	if (skb->pkt_type != PACKET_HOST || skb->protocol != htons(ETH_P_IP) ||
	    skb->mac_len != ETH_HLEN)
		return RX_HANDLER_PASS;
	fl = exo_flow_match(nd, skb);
	b = fl ? rcu_dereference(fl->bind) : NULL;
	if (!b)
		return RX_HANDLER_PASS;
	atomic64_inc(&nd->rx_claimed);
	exo_nic_deliver(b, skb);
	consume_skb(skb);
	return RX_HANDLER_CONSUMED;
}

/* ---- io_uring ------------------------------------------------------------------------ */

static enum hrtimer_restart exo_rxcmd_timeout(struct hrtimer *t)
{
	struct exo_rxcmd *rc = container_of(t, struct exo_rxcmd, timer);
	struct exo_nbind *b = rc->b;

	spin_lock(&b->rx_lock);
	if (!list_empty(&rc->node)) {	/* not claimed by a packet yet */
		list_del_init(&rc->node);
		exo_rxcmd_finish(rc, -ETIME);
	}
	spin_unlock(&b->rx_lock);
	return HRTIMER_NORESTART;
}

int exo_nic_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct exo_env *env = ioucmd->file->private_data;
	struct { exo_cap_t flow; u64 timeout_ns; u8 rest[64]; } c;
	struct exo_rxcmd *rc;
	struct exo_nbind *b;
	struct exo_tx_res res;
	u32 pending;
	int ret;

	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	BUILD_BUG_ON(sizeof(c) != 80);
	memcpy(&c, ioucmd->cmd, sizeof(c));	/* one copy, now */
	if (memchr_inv(c.rest, 0, sizeof(c.rest)))
		return -EINVAL;
	if (ioucmd->cmd_op == EXO_URING_NIC_TX) {
		if (c.timeout_ns)
			return -EINVAL;
		ret = exo_nic_tx(env, c.flow, &res);
		if (ret)
			return ret;
		io_uring_cmd_done(ioucmd, res.sent, 0, issue_flags);
		return -EIOCBQUEUED;
	}
	if (!c.timeout_ns || c.timeout_ns > EXO_URING_RX_MAX_NS)
		return -EINVAL;
	rc = kzalloc(sizeof(*rc), GFP_KERNEL_ACCOUNT);
	if (!rc)
		return -ENOMEM;
	ret = exo_nbind_get(env, c.flow, EXO_RIGHT_READ, &b);
	if (ret) {
		kfree(rc);
		return ret;
	}
	rc->ioucmd = ioucmd;
	rc->b = b;	/* takes over the reference */
	*exo_rxcmd_of(ioucmd) = rc;
	hrtimer_init(&rc->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	rc->timer.function = exo_rxcmd_timeout;
	INIT_LIST_HEAD(&rc->node);
	spin_lock_bh(&b->rx_lock);
	pending = b->rx_head - READ_ONCE(b->ring->rx_tail);
	if (b->dead) {
		ret = -ENOTCONN;
	} else if (pending && pending <= b->rx_slots) {
		exo_rxcmd_finish(rc, pending);
	} else {
		list_add_tail(&rc->node, &b->rx_cmds);
		hrtimer_start(&rc->timer, ns_to_ktime(c.timeout_ns),
			      HRTIMER_MODE_REL_SOFT);
	}
	spin_unlock_bh(&b->rx_lock);
	if (ret) {
		exo_nbind_put(b);
		kfree(rc);
		return ret;
	}
	return -EIOCBQUEUED;
}

/* An XDP program for a filter or predicate, from the caller's @fd. */
struct bpf_prog *exo_xdp_prog_get(int fd)
{
	struct bpf_prog *prog = bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_XDP,
						      false);

	if (IS_ERR(prog))
		return PTR_ERR(prog) == -EBADF ? prog : ERR_PTR(-EINVAL);
	/* Devmap/cpumap programs read a txq exo does not have. */
	if (prog->expected_attach_type == BPF_XDP_DEVMAP ||
	    prog->expected_attach_type == BPF_XDP_CPUMAP) {
		bpf_prog_put(prog);
		return ERR_PTR(-EINVAL);
	}
	return prog;
}

/* ---- attaching devices ------------------------------------------------------------------ */

/* rtnl and exo_lock held. */
static void exo_nicdev_detach(struct exo_nicdev *nd)
{
	struct hlist_node *tmp;
	struct exo_flow *fl;
	u32 i, bkt;

	ASSERT_RTNL();
	lockdep_assert_held(&exo_lock);
	/* Waits for every receive handler already running. */
	netdev_rx_handler_unregister(nd->dev);
	hash_for_each_safe(nd->flows, bkt, tmp, fl, hnode)
		exo_flow_unhook(fl);
	for (i = 0; i < EXO_NIC_MAX_DEVS; i++)
		if (exo_nicdevs[i] == nd)
			exo_nicdevs[i] = NULL;
	exo_stats.nic_devs--;
	dev_put(nd->dev);
	kfree(nd);
}

static int exo_nic_check_attach(struct exo_nic_attach *na)
{
	if (na->flags || na->__reserved)
		return -EINVAL;
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	return 0;
}

int exo_ioc_nic_attach(struct exo_env *env, void *arg)
{
	struct exo_nic_attach *na = arg;
	struct net *net = current->nsproxy->net_ns;
	struct exo_nicdev *nd;
	struct net_device *dev;
	int ret, slot = -1, i;

	ret = exo_nic_check_attach(na);
	if (ret)
		return ret;
	nd = kzalloc(sizeof(*nd), GFP_KERNEL);
	if (!nd)
		return -ENOMEM;
	rtnl_lock();
	mutex_lock(&exo_lock);
	ret = -ENODEV;
	dev = __dev_get_by_index(net, na->ifindex);
	if (!dev || dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN)
		goto out;
	ret = -EBUSY;
	if (exo_nicdev_find(net, na->ifindex))
		goto out;
	for (i = EXO_NIC_MAX_DEVS - 1; i >= 0; i--)
		if (!exo_nicdevs[i])
			slot = i;
	ret = -ENOSPC;
	if (slot < 0)
		goto out;
	nd->dev = dev;
	nd->ifindex = dev->ifindex;
	nd->rxq.dev = dev;
	nd->rxq.mem.type = MEM_TYPE_PAGE_SHARED;
	hash_init(nd->flows);
	ret = netdev_rx_handler_register(dev, exo_nic_rx, nd);
	if (ret)
		goto out;
	dev_hold(dev);
	exo_nicdevs[slot] = nd;
	exo_stats.nic_devs++;
	nd = NULL;
out:
	mutex_unlock(&exo_lock);
	rtnl_unlock();
	kfree(nd);
	return ret;
}

int exo_ioc_nic_detach(struct exo_env *env, void *arg)
{
	struct exo_nic_attach *na = arg;
	struct exo_nicdev *nd;
	int ret;

	ret = exo_nic_check_attach(na);
	if (ret)
		return ret;
	rtnl_lock();
	mutex_lock(&exo_lock);
	nd = exo_nicdev_find(current->nsproxy->net_ns, na->ifindex);
	if (nd)
		exo_nicdev_detach(nd);
	mutex_unlock(&exo_lock);
	rtnl_unlock();
	return nd ? 0 : -ENODEV;
}

static int exo_nic_netdev_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	u32 i;

	if (event != NETDEV_UNREGISTER)
		return NOTIFY_DONE;
	mutex_lock(&exo_lock);
	for (i = 0; i < EXO_NIC_MAX_DEVS; i++)
		if (exo_nicdevs[i] && exo_nicdevs[i]->dev == dev)
			exo_nicdev_detach(exo_nicdevs[i]);
	mutex_unlock(&exo_lock);
	return NOTIFY_DONE;
}

static struct notifier_block exo_nic_notifier = {
	.notifier_call = exo_nic_netdev_event,
};

/* ---- module and debugfs ------------------------------------------------------------------ */

/* Let every binding torn down so far give its frames back. */
void exo_nic_quiesce(void)
{
	rcu_barrier();
	flush_workqueue(exo_nic_wq);
}

static void exo_nic_show(struct seq_file *m)
{
	struct exo_env *env;
	u32 i;

	mutex_lock(&exo_lock);
	for (i = 0; i < EXO_NIC_MAX_DEVS; i++) {
		struct exo_nicdev *nd = exo_nicdevs[i];

		if (!nd)
			continue;
		seq_printf(m, "dev %s ifindex %d flows %u seen %lld claimed %lld\n",
			   nd->dev->name, nd->ifindex, nd->nflows,
			   atomic64_read(&nd->rx_seen),
			   atomic64_read(&nd->rx_claimed));
	}
	list_for_each_entry(env, &exo_envs, node) {
		struct exo_nbind *b;

		seq_printf(m, "env %llu flows %u rx %lld tx %lld io %lld evals %lld wakeups %lld\n",
			   env->id, env->used[EXO_KIND_FLOW],
			   atomic64_read(&env->nic_rx),
			   atomic64_read(&env->nic_tx),
			   atomic64_read(&env->io_done),
			   atomic64_read(&env->pred_evals),
			   atomic64_read(&env->pred_wakeups));
		list_for_each_entry(b, &env->nic_binds, env_node) {
			const struct exo_nic_counters *c = &b->c;

			seq_printf(m, "  bind proto %u %pI4:%u rx %llu/%lluB tx %llu/%lluB full %llu too_long %llu bad_index %llu filter_runs %llu filter_drops %llu filter_aborts %llu ash_tx %llu ash_drops %llu tx_bad_len %llu tx_spoofed %llu tx_bad_index %llu tx_bad_offload %llu tx_bad_frag %llu tx_tso %llu tx_zc %llu/%llu tx_errors %llu wakeups %llu\n",
				   b->flow->proto, &b->flow->laddr,
				   ntohs(b->flow->lport), c->rx_packets,
				   c->rx_bytes, c->tx_packets, c->tx_bytes,
				   c->rx_ring_full, c->rx_too_long,
				   c->rx_bad_index, c->filter_runs,
				   c->filter_drops, c->filter_aborts,
				   c->ash_tx, c->ash_drops, c->tx_bad_len,
				   c->tx_spoofed, c->tx_bad_index,
				   c->tx_bad_offload, c->tx_bad_frag, c->tx_tso,
				   b->txc ? READ_ONCE(b->txc->zc_done) : 0,
				   c->tx_zc_packets,
				   c->tx_errors, c->wakeups);
		}
	}
	mutex_unlock(&exo_lock);
}

/*
 * debugfs "check": every live binding against its flow, its device and
 * its frames, one line per violation; returns their number.  Takes
 * exo_lock.
 */
static u64 exo_nic_check(struct seq_file *m)
{
	u64 bad = 0, binds = 0;
	struct exo_env *env;
	u32 i;

#define EXO_NBAD(fmt, ...) \
	do { bad++; seq_printf(m, "bad: " fmt "\n", ##__VA_ARGS__); } while (0)

	mutex_lock(&exo_lock);
	list_for_each_entry(env, &exo_envs, node) {
		struct exo_nbind *b;

		list_for_each_entry(b, &env->nic_binds, env_node) {
			struct exo_flow *fl = b->flow;

			binds++;
			if (b->env != env || b->dead)
				EXO_NBAD("env %llu: a dead or foreign binding on its list",
					 env->id);
			if (rcu_access_pointer(fl->bind) != b || !fl->nd ||
			    fl->nd != b->nd)
				EXO_NBAD("env %llu: binding of flow %llu not hooked to its flow and device",
					 env->id, fl->obj.id);
			if (list_empty(&b->use.node))
				EXO_NBAD("env %llu: binding of flow %llu outlives its flow capability",
					 env->id, fl->obj.id);
			for (i = 0; i < b->nframes; i++) {
				struct exo_nframe *f = &b->frames[i];
				u64 pfn = f->obj->kind == EXO_KIND_FRAME ?
					  exo_frame_pfn(f->obj) : 0;

				if (f->b != b || !pfn || !kref_read(&f->obj->ref) ||
				    list_empty(&f->use.node) ||
				    f->va != page_address(pfn_to_page(pfn)))
					EXO_NBAD("env %llu: binding of flow %llu: ring frame %u is not a live bound frame",
						 env->id, fl->obj.id, i);
			}
		}
	}
	/* Unbound ones count until their last user lets go: never fewer. */
	if (binds > exo_stats.nic_binds)
		EXO_NBAD("%llu NIC bindings, counted %llu live",
			 exo_stats.nic_binds, binds);
	mutex_unlock(&exo_lock);
#undef EXO_NBAD
	return bad;
}

const struct exo_kind_ops exo_flow_kind = {
	.name = "flow",
	.release = exo_flow_release,
	.debugfs = "nic",
	.show = exo_nic_show,
	.check = exo_nic_check,
};

void exo_env_nic_init(struct exo_env *env)
{
	INIT_LIST_HEAD(&env->nic_binds);
	xa_init(&env->nic_fast);
	env->quota[EXO_KIND_FLOW] = exo_flow_quota;
}

int exo_nic_init(void)
{
	int ret;

	exo_flow_seed = get_random_u32();
	exo_nic_wq = alloc_workqueue("exo_nic", 0, 0);
	if (!exo_nic_wq)
		return -ENOMEM;
	ret = register_netdevice_notifier(&exo_nic_notifier);
	if (ret)
		destroy_workqueue(exo_nic_wq);
	return ret;
}

void exo_nic_exit(void)
{
	u32 i;

	rtnl_lock();
	mutex_lock(&exo_lock);
	for (i = 0; i < EXO_NIC_MAX_DEVS; i++)
		if (exo_nicdevs[i])
			exo_nicdev_detach(exo_nicdevs[i]);
	mutex_unlock(&exo_lock);
	rtnl_unlock();
	unregister_netdevice_notifier(&exo_nic_notifier);
	exo_nic_quiesce();
	destroy_workqueue(exo_nic_wq);
}
