// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_SOCKET, socket readiness from the socket's
 * own callbacks, on TCP, UDP and UNIX (stream and datagram) sockets.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "../kselftest_harness.h"
#include "common.h"

#define ALL_SOCKET_EVENTS	(KEVENT_SOCKET_ACCEPT | KEVENT_SOCKET_RECV | \
				 KEVENT_SOCKET_SEND | KEVENT_SOCKET_HUP | \
				 KEVENT_SOCKET_ERR)

static int sock_add(int kq, __u64 fd, __u32 events, __u32 req_flags)
{
	return kq_add_fd(kq, KEVENT_TYPE_SOCKET, fd, events, req_flags);
}

/* A TCP listener on a free loopback port */
static int tcp_listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) ||
	    listen(fd, 16) || getsockname(fd, (struct sockaddr *)sin, &len))
		return -1;
	return fd;
}

static int tcp_connect(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sin, sizeof(*sin)))
		return -1;
	return fd;
}

/* A connected pair of sockets of one kind, both nonblocking */
FIXTURE(pair) {
	int kq;
	int s[2];
	int listener;
};

FIXTURE_VARIANT(pair) {
	int domain;
	int type;
	bool datagram;
};

FIXTURE_VARIANT_ADD(pair, tcp) {
	.domain = AF_INET,
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(pair, udp) {
	.domain = AF_INET,
	.type = SOCK_DGRAM,
	.datagram = true,
};

FIXTURE_VARIANT_ADD(pair, unix_stream) {
	.domain = AF_UNIX,
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(pair, unix_dgram) {
	.domain = AF_UNIX,
	.type = SOCK_DGRAM,
	.datagram = true,
};

static int udp_bound(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) ||
	    getsockname(fd, (struct sockaddr *)sin, &len))
		return -1;
	return fd;
}

/* Make s[] a connected pair of nonblocking sockets of one kind. */
static int make_pair(int domain, int type, int s[2], int *listener)
{
	struct sockaddr_in a, b;
	int i;

	*listener = -1;
	if (domain == AF_UNIX) {
		if (socketpair(AF_UNIX, type, 0, s))
			return -1;
	} else if (type == SOCK_STREAM) {
		*listener = tcp_listener(&a);
		if (*listener < 0)
			return -1;
		s[1] = tcp_connect(&a);
		if (s[1] < 0)
			return -1;
		s[0] = accept(*listener, NULL, NULL);
		if (s[0] < 0)
			return -1;
	} else {
		s[0] = udp_bound(&a);
		s[1] = udp_bound(&b);
		if (s[0] < 0 || s[1] < 0 ||
		    connect(s[0], (struct sockaddr *)&b, sizeof(b)) ||
		    connect(s[1], (struct sockaddr *)&a, sizeof(a)))
			return -1;
	}
	for (i = 0; i < 2; i++)
		if (fcntl(s[i], F_SETFL, O_NONBLOCK))
			return -1;
	return 0;
}

FIXTURE_SETUP(pair)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, make_pair(variant->domain, variant->type, self->s,
			       &self->listener));
}

FIXTURE_TEARDOWN(pair)
{
	close(self->kq);
	close(self->s[0]);
	close(self->s[1]);
	close(self->listener);
}

TEST_F(pair, recv)
{
	struct ukevent ev;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(10, send(self->s[1], "0123456789", 10, 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_TYPE_SOCKET, ev.type);
	EXPECT_EQ(self->s[0], ev.id);
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_SOCKET, self->s[0]), ev.udata);
	EXPECT_EQ(10, KEVENT_DATA_IN(ev.ret_data));
}

/* ret_data: all bytes of a stream, the next datagram of a datagram socket */
TEST_F(pair, recv_bytes)
{
	struct ukevent ev;
	int i, n;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV, 0));
	ASSERT_EQ(3, send(self->s[1], "abc", 3, 0));
	ASSERT_EQ(5, send(self->s[1], "defgh", 5, 0));
	/* Loopback TCP may deliver the second send later, from a softirq. */
	for (i = 0; i < KQ_HANG_MS; i++) {
		ASSERT_EQ(0, ioctl(self->s[0], FIONREAD, &n));
		if (n == (variant->datagram ? 3 : 8))
			break;
		usleep(1000);
	}
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(variant->datagram ? 3 : 8, KEVENT_DATA_IN(ev.ret_data));
}

TEST_F(pair, send_ready_with_space)
{
	struct ukevent ev;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_SEND, 0));
	EXPECT_EQ(KEVENT_SOCKET_SEND, kq_wait_one(self->kq, 0, &ev));
	EXPECT_LT(0, KEVENT_DATA_OUT(ev.ret_data));
}

TEST_F(pair, level_triggered_repeats_until_drained)
{
	struct ukevent ev;
	char buf[16];

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV, 0));
	ASSERT_EQ(1, send(self->s[1], "x", 1, 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, recv(self->s[0], buf, sizeof(buf), 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(pair, edge_triggered_once_per_arrival)
{
	struct ukevent ev;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV,
			      KEVENT_REQ_ET));
	ASSERT_EQ(1, send(self->s[1], "x", 1, 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(1, send(self->s[1], "y", 1, 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	/* Both bytes of a stream; the next of two datagrams */
	EXPECT_EQ(variant->datagram ? 1 : 2, KEVENT_DATA_IN(ev.ret_data));
}

TEST_F(pair, oneshot)
{
	struct ukevent ev;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV,
			      KEVENT_REQ_ONESHOT));
	ASSERT_EQ(1, send(self->s[1], "x", 1, 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(pair, dispatch_until_modify)
{
	struct ukevent uk = {
		.id = self->s[0],
		.type = KEVENT_TYPE_SOCKET,
		.event = KEVENT_SOCKET_RECV,
		.req_flags = KEVENT_REQ_DISPATCH,
	};
	struct ukevent ev;

	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	ASSERT_EQ(1, send(self->s[1], "x", 1, 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, 0, &ev));
}

TEST_F(pair, close_removes)
{
	int dup_fd = dup(self->s[0]);

	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(self->s[0]);
	self->s[0] = -1;
	/* The dup'd fd keeps the socket open, not the registration. */
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(dup_fd);
}

/*
 * The same tests on the kinds where they apply: a sender that can block
 * (not UDP), a connection that can be hung up (streams).
 */
FIXTURE(flow) {
	int kq;
	int s[2];
	int listener;
};

FIXTURE_VARIANT(flow) {
	int domain;
	int type;
};

FIXTURE_VARIANT_ADD(flow, tcp) {
	.domain = AF_INET,
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(flow, unix_stream) {
	.domain = AF_UNIX,
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(flow, unix_dgram) {
	.domain = AF_UNIX,
	.type = SOCK_DGRAM,
};

FIXTURE_SETUP(flow)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, make_pair(variant->domain, variant->type, self->s,
			       &self->listener));
}

FIXTURE_TEARDOWN(flow)
{
	close(self->kq);
	close(self->s[0]);
	close(self->s[1]);
	close(self->listener);
}

FIXTURE(stream) {
	int kq;
	int s[2];
	int listener;
};

FIXTURE_VARIANT(stream) {
	int domain;
};

FIXTURE_VARIANT_ADD(stream, tcp) {
	.domain = AF_INET,
};

FIXTURE_VARIANT_ADD(stream, unix_stream) {
	.domain = AF_UNIX,
};

FIXTURE_SETUP(stream)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
	ASSERT_EQ(0, make_pair(variant->domain, SOCK_STREAM, self->s,
			       &self->listener));
}

FIXTURE_TEARDOWN(stream)
{
	close(self->kq);
	close(self->s[0]);
	close(self->s[1]);
	close(self->listener);
}

/* No SEND while the buffer is full; SEND again once the peer reads. */
TEST_F(flow, send_after_fill)
{
	char buf[1024] = {};
	struct ukevent ev;
	int n = 0;

	while (send(self->s[0], buf, sizeof(buf), 0) > 0)
		n++;
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_SEND, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 100, &ev));
	while (recv(self->s[1], buf, sizeof(buf), 0) > 0)
		;
	EXPECT_EQ(KEVENT_SOCKET_SEND, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_LT(0, KEVENT_DATA_OUT(ev.ret_data));
}

/*
 * Asking for SEND only, incoming data does not even queue the kevent: the
 * queue fd stays unreadable.  (Waiting on the queue could not tell, as the
 * report would drop a kevent queued for nothing.)
 */
TEST_F(flow, unasked_events_do_not_wake)
{
	struct pollfd pfd = { .fd = self->kq, .events = POLLIN };
	char buf[1024] = {};

	while (send(self->s[0], buf, sizeof(buf), 0) > 0)
		;
	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_SEND, 0));
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(1, send(self->s[1], "x", 1, 0));
	EXPECT_EQ(0, poll(&pfd, 1, 200));
}

TEST_F(stream, hup_on_peer_close)
{
	struct ukevent ev;
	int e;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV, 0));
	close(self->s[1]);
	self->s[1] = -1;
	e = kq_wait_one(self->kq, KQ_HANG_MS, &ev);
	EXPECT_EQ(KEVENT_SOCKET_HUP, e & KEVENT_SOCKET_HUP);
	EXPECT_EQ(KEVENT_SOCKET_RECV, e & KEVENT_SOCKET_RECV);
	EXPECT_EQ(0, KEVENT_DATA_IN(ev.ret_data));
}

TEST_F(stream, hup_on_shutdown)
{
	struct ukevent ev;

	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_HUP, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(0, shutdown(self->s[1], SHUT_WR));
	EXPECT_EQ(KEVENT_SOCKET_HUP, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
}

/* Wake-one and wake-all with four threads waiting on a socket */

TEST_F(pair, wake_one)
{
	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV,
			      KEVENT_REQ_ET));
	EXPECT_EQ(1, kq_wake_count(self->kq, self->s[1]));
}

TEST_F(pair, wake_all)
{
	ASSERT_EQ(0, sock_add(self->kq, self->s[0], KEVENT_SOCKET_RECV,
			      KEVENT_REQ_WAKEUP_ALL));
	EXPECT_EQ(4, kq_wake_count(self->kq, self->s[1]));
}

/* Listeners, connection errors, bad input */

FIXTURE(kq) {
	int kq;
};

FIXTURE_SETUP(kq)
{
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
}

FIXTURE_TEARDOWN(kq)
{
	close(self->kq);
}

TEST_F(kq, tcp_accept)
{
	struct sockaddr_in sin;
	struct ukevent ev;
	int l = tcp_listener(&sin), c1, c2;

	ASSERT_LE(0, l);
	/* Edge-triggered: the second report comes with the second arrival. */
	ASSERT_EQ(0, sock_add(self->kq, l, KEVENT_SOCKET_ACCEPT, KEVENT_REQ_ET));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	c1 = tcp_connect(&sin);
	ASSERT_LE(0, c1);
	EXPECT_EQ(KEVENT_SOCKET_ACCEPT, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, KEVENT_DATA_IN(ev.ret_data));
	c2 = tcp_connect(&sin);
	ASSERT_LE(0, c2);
	EXPECT_EQ(KEVENT_SOCKET_ACCEPT, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(2, KEVENT_DATA_IN(ev.ret_data));
	close(accept(l, NULL, NULL));
	close(accept(l, NULL, NULL));
	close(c1);
	close(c2);
	close(l);
}

TEST_F(kq, unix_accept)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
			sprintf(sun.sun_path + 1, "kevent-%d", getpid());
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), c;
	struct ukevent ev;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sun, len));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, sock_add(self->kq, l, KEVENT_SOCKET_ACCEPT, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sun, len));
	EXPECT_EQ(KEVENT_SOCKET_ACCEPT, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(1, KEVENT_DATA_IN(ev.ret_data));
	close(accept(l, NULL, NULL));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	close(c);
	close(l);
}

/* A connect to a port nobody listens on fails: ERR, SO_ERROR tells why. */
TEST_F(kq, tcp_err_on_refused_connect)
{
	struct sockaddr_in sin;
	int l = tcp_listener(&sin), fd, err = 0;
	socklen_t len = sizeof(err);
	struct ukevent ev;

	ASSERT_LE(0, l);
	close(l);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(0, sock_add(self->kq, fd, KEVENT_SOCKET_SEND, 0));
	EXPECT_EQ(KEVENT_SOCKET_ERR,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev) & KEVENT_SOCKET_ERR);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ECONNREFUSED, err);
	close(fd);
}

TEST_F(kq, tcp_connect_completes_send)
{
	struct sockaddr_in sin;
	int l = tcp_listener(&sin), fd;
	struct ukevent ev;

	ASSERT_LE(0, l);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(0, sock_add(self->kq, fd, KEVENT_SOCKET_SEND, 0));
	EXPECT_EQ(KEVENT_SOCKET_SEND, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	close(fd);
	close(l);
}

/* The peer aborts the connection: ERR, and SO_ERROR is ECONNRESET. */
TEST_F(kq, tcp_err_on_reset)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in sin;
	int l = tcp_listener(&sin), c, a, err = 0;
	socklen_t len = sizeof(err);
	struct ukevent ev;

	ASSERT_LE(0, l);
	c = tcp_connect(&sin);
	ASSERT_LE(0, c);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, sock_add(self->kq, c, KEVENT_SOCKET_RECV, 0));
	ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)));
	close(a);
	EXPECT_EQ(KEVENT_SOCKET_ERR,
		  kq_wait_one(self->kq, KQ_HANG_MS, &ev) & KEVENT_SOCKET_ERR);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ECONNRESET, err);
	close(c);
	close(l);
}

/* A connected UDP socket hears of an ICMP port unreachable. */
TEST_F(kq, udp_err_on_refused)
{
	struct sockaddr_in a, b;
	int s = udp_bound(&a), gone = udp_bound(&b), err = 0;
	socklen_t len = sizeof(err);
	struct ukevent ev;

	ASSERT_LE(0, s);
	ASSERT_LE(0, gone);
	close(gone);
	ASSERT_EQ(0, connect(s, (struct sockaddr *)&b, sizeof(b)));
	ASSERT_EQ(0, sock_add(self->kq, s, KEVENT_SOCKET_RECV, 0));
	ASSERT_EQ(1, send(s, "x", 1, 0));
	EXPECT_EQ(KEVENT_SOCKET_ERR, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ECONNREFUSED, err);
	close(s);
}

TEST_F(kq, not_a_socket_enotsock)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-1, sock_add(self->kq, p[0], KEVENT_SOCKET_RECV, 0));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(p[0]);
	close(p[1]);
}

TEST_F(kq, bad_fd_ebadf)
{
	EXPECT_EQ(-1, sock_add(self->kq, 12345, KEVENT_SOCKET_RECV, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, sock_add(self->kq, 1ULL << 32, KEVENT_SOCKET_RECV, 0));
	EXPECT_EQ(EBADF, errno);
}

TEST_F(kq, bad_mask_einval)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, sock_add(self->kq, fd, ALL_SOCKET_EVENTS << 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(fd);
}

/* 10,000 registered sockets, three active: exactly those are reported. */
/*
 * A socket that the socket callbacks do not serve (here netlink; SCTP,
 * MPTCP, TIPC, AF_ALG and others alike) is watched through its wait queue:
 * its events come all the same, with the same bits.
 */
TEST_F(kq, netlink_through_wait_queue)
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.g = { .rtgen_family = AF_UNSPEC },
	};
	struct ukevent ev;
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);

	ASSERT_LE(0, nl);
	ASSERT_EQ(0, sock_add(self->kq, nl, KEVENT_SOCKET_RECV, 0));
	EXPECT_EQ(0, kq_wait_one(self->kq, 0, &ev));
	ASSERT_EQ(sizeof(req), send(nl, &req, sizeof(req), 0));
	EXPECT_EQ(KEVENT_SOCKET_RECV, kq_wait_one(self->kq, KQ_HANG_MS, &ev));
	EXPECT_EQ(nl, ev.id);
	/* SEND was not asked for: only RECV */
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_SOCKET, nl));
	ASSERT_EQ(0, sock_add(self->kq, nl, KEVENT_SOCKET_SEND, 0));
	EXPECT_EQ(KEVENT_SOCKET_SEND, kq_wait_one(self->kq, 0, &ev));
	close(nl);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_F(kq, ten_thousand_sockets_three_active)
{
	struct rlimit rl = { 20100, 20100 };
	struct ukevent ev[8];
	int (*sv)[2], i, n;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		SKIP(return, "cannot raise RLIMIT_NOFILE");
	sv = calloc(10000, sizeof(*sv));
	ASSERT_FALSE(!sv);
	for (i = 0; i < 10000; i++) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv[i]));
		ASSERT_EQ(0, sock_add(self->kq, sv[i][0], KEVENT_SOCKET_RECV, 0));
	}
	EXPECT_EQ(0, kq_wait_ms(self->kq, 1, 8, ev, 0));
	ASSERT_EQ(1, send(sv[7][1], "x", 1, 0));
	ASSERT_EQ(2, send(sv[5000][1], "xy", 2, 0));
	ASSERT_EQ(3, send(sv[9999][1], "xyz", 3, 0));
	n = kq_wait_ms(self->kq, 3, 8, ev, KQ_HANG_MS);
	ASSERT_EQ(3, n);
	EXPECT_EQ(sv[7][0], ev[0].id);
	EXPECT_EQ(1, KEVENT_DATA_IN(ev[0].ret_data));
	EXPECT_EQ(sv[5000][0], ev[1].id);
	EXPECT_EQ(2, KEVENT_DATA_IN(ev[1].ret_data));
	EXPECT_EQ(sv[9999][0], ev[2].id);
	EXPECT_EQ(3, KEVENT_DATA_IN(ev[2].ret_data));
	for (i = 0; i < 10000; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	free(sv);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

TEST_HARNESS_MAIN
