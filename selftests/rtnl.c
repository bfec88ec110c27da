// SPDX-License-Identifier: GPL-2.0
/* A small rtnetlink client for the selftests: see rtnl.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "rtnl.h"

int rtnl_socket_in(int nsfd, int domain, int type, int proto)
{
	int self, s, e;

	if (nsfd < 0)
		return socket(domain, type, proto);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -1;
	if (setns(nsfd, CLONE_NEWNET)) {
		e = errno;
		close(self);
		errno = e;
		return -1;
	}
	s = socket(domain, type, proto);
	e = errno;
	if (setns(self, CLONE_NEWNET) && s >= 0) {
		/* stranded in @nsfd: no socket rather than a silent wrong namespace */
		e = errno;
		close(s);
		s = -1;
	}
	close(self);
	errno = e;
	return s;
}

struct nlreq {
	struct nlmsghdr n;
	union {
		struct ifinfomsg i;
		struct ifaddrmsg a;
	};
	char attrs[512];
};

/* Append attribute @type with @len bytes of @data; returns it (for nests). */
static struct rtattr *nla_put(struct nlreq *r, int type, const void *data, int len)
{
	struct rtattr *rta = (void *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

static void nla_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (char *)r + r->n.nlmsg_len - (char *)nest;
}

/*
 * Send @n in namespace @nsfd, wait for the kernel's answer: 0 or -1
 * (errno); a message before the answer (RTM_GETLINK's) into @reply.
 */
static int nl_talk_reply(int nsfd, struct nlmsghdr *n, void *reply, size_t rlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[16384];	/* a device's RTM_NEWLINK is a few KiB */
	int s, e, ret = -1;
	ssize_t len;

	s = rtnl_socket_in(nsfd, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return -1;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = 1;
	errno = EPROTO;		/* if the socket closes without an answer */
	if (sendto(s, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	while ((len = recv(s, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *h = (void *)buf;

		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != NLMSG_ERROR) {
				if (reply)
					memcpy(reply, h, h->nlmsg_len < rlen ? h->nlmsg_len : rlen);
				continue;
			}
			errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
			ret = errno ? -1 : 0;
			goto out;
		}
	}
out:
	e = errno;
	close(s);
	errno = e;
	return ret;
}

static int nl_talk(int nsfd, struct nlmsghdr *n)
{
	return nl_talk_reply(nsfd, n, NULL, 0);
}

int rtnl_getlink(int nsfd, const char *name, unsigned char mac[6])
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_GETLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};
	union {
		struct nlreq r;
		char buf[8192];
	} a;
	struct rtattr *rta;
	int len;

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	memset(&a, 0, sizeof(a));
	if (nl_talk_reply(nsfd, &r.n, &a, sizeof(a)) || a.r.n.nlmsg_type != RTM_NEWLINK)
		return 0;
	len = IFLA_PAYLOAD(&a.r.n);
	if (len > (int)(sizeof(a) - NLMSG_LENGTH(sizeof(struct ifinfomsg))))
		len = sizeof(a) - NLMSG_LENGTH(sizeof(struct ifinfomsg));
	for (rta = IFLA_RTA(&a.r.i); mac && RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(rta) >= 6)
			memcpy(mac, RTA_DATA(rta), 6);
	return a.r.i.ifi_index;
}

int rtnl_link_add(const char *name, const char *kind, const char *peer, int peer_ns)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_NEWLINK,
		       .nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL },
		.i = { .ifi_family = AF_UNSPEC },
	};
	struct rtattr *info, *data, *pinfo;
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nla_put(&r, IFLA_LINKINFO, NULL, 0);
	nla_put(&r, IFLA_INFO_KIND, kind, strlen(kind) + 1);
	if (!peer) {
		nla_end(&r, info);
		return nl_talk(-1, &r.n);
	}
	data = nla_put(&r, IFLA_INFO_DATA, NULL, 0);
	pinfo = nla_put(&r, VETH_INFO_PEER, &pi, sizeof(pi));
	nla_put(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	if (peer_ns >= 0)
		nla_put(&r, IFLA_NET_NS_FD, &peer_ns, 4);
	nla_end(&r, pinfo);
	nla_end(&r, data);
	nla_end(&r, info);
	return nl_talk(-1, &r.n);
}

int rtnl_link_del(int nsfd, const char *name)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_DELLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(nsfd, &r.n);
}

int rtnl_link_move(int nsfd, const char *name, int to)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_NEWLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	nla_put(&r, IFLA_NET_NS_FD, &to, 4);
	return nl_talk(nsfd, &r.n);
}

int rtnl_addr(int nsfd, const char *name, __be32 addr, int prefixlen, int del)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		       .nlmsg_type = del ? RTM_DELADDR : RTM_NEWADDR,
		       .nlmsg_flags = del ? 0 : NLM_F_CREATE | NLM_F_EXCL },
		.a = { .ifa_family = AF_INET, .ifa_prefixlen = prefixlen },
	};

	r.a.ifa_index = rtnl_getlink(nsfd, name, NULL);
	if (!r.a.ifa_index) {
		errno = ENODEV;
		return -1;
	}
	nla_put(&r, IFA_LOCAL, &addr, 4);
	nla_put(&r, IFA_ADDRESS, &addr, 4);
	return nl_talk(nsfd, &r.n);
}

int rtnl_link_set(int nsfd, const char *name, int up, int mtu)
{
	struct nlreq r = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_NEWLINK },
		.i = { .ifi_family = AF_UNSPEC },
	};

	nla_put(&r, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu) {
		nla_put(&r, IFLA_MTU, &mtu, 4);
	} else {
		r.i.ifi_change = IFF_UP;
		r.i.ifi_flags = up ? IFF_UP : 0;
	}
	return nl_talk(nsfd, &r.n);
}
