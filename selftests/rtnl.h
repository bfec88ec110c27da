/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small rtnetlink client for the selftests (exo_fuzz, the NIC tests'
 * netenv): the few "ip link" and "ip addr" commands they need, as
 * messages of our own rather than a fork and exec of ip(8), which costs
 * up to seconds of CPU per command under the debug kernel in an emulated
 * VM, the kernel's part of the change a small fraction of that.
 *
 * @nsfd names the network namespace a call acts in: an fd of
 * /proc/PID/ns/net, or -1 for the calling thread's own.  The calling
 * thread is back in its own namespace when a call returns.
 *
 * Every call returns 0 (or a value) on success, -1 with errno set on
 * failure (the kernel's answer to the request, or the socket call's).
 */
#ifndef EXO_RTNL_H
#define EXO_RTNL_H

#include <linux/types.h>

/* socket(@domain, @type, @proto) made in @nsfd; it stays there.  fd or -1. */
int rtnl_socket_in(int nsfd, int domain, int type, int proto);

/*
 * The index of device @name in @nsfd (0 if there is none) and, if @mac is
 * not NULL, its hardware address.  (if_nametoindex() and the SIOCGIF*
 * ioctls ask for module "netdev-NAME" when there is no such device: a
 * modprobe of seconds under the debug kernel.)
 */
int rtnl_getlink(int nsfd, const char *name, unsigned char mac[6]);

/*
 * ip link add @name type @kind, in the caller's namespace; with @peer
 * (veth): peer name @peer, in namespace @peer_ns if it is not -1.
 */
int rtnl_link_add(const char *name, const char *kind, const char *peer, int peer_ns);

/* ip link del @name, in @nsfd. */
int rtnl_link_del(int nsfd, const char *name);

/* ip link set @name netns @to, from @nsfd. */
int rtnl_link_move(int nsfd, const char *name, int to);

/* ip addr add (or, @del, del) @addr/@prefixlen dev @name, in @nsfd. */
int rtnl_addr(int nsfd, const char *name, __be32 addr, int prefixlen, int del);

/* ip link set @name mtu @mtu if @mtu is not 0, else ip link set @name up|down (@up). */
int rtnl_link_set(int nsfd, const char *name, int up, int mtu);

#endif
