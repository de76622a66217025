// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: socket readiness (KEVENT_TYPE_SOCKET).
 *
 * A socket carries a struct kevent_storage, allocated when it is first
 * watched and hung off its struct socket_wq, which sk->sk_wq reaches under
 * RCU from every socket callback.  The default callbacks of struct sock
 * (data ready, write space, state change, error report), the stream write
 * space callback and those of AF_UNIX call kevent_socket_notify() with the
 * events they may have made ready; that walks the storage in the callback's
 * context, often softirq with the socket's locks held, and only queues the
 * kevents that asked for those events.  No wait queue entry, no ->poll()
 * call and no allocation happen on that path.  It visits every
 * registration of the socket, as a wakeup of a wait queue visits every
 * epoll watch on it; the pollers of the queues it wakes are woken later,
 * from an irq_work (core.c).
 *
 * What is reported is decided when the event is delivered, in process
 * context: the bits from the protocol's own ->poll() (the one definition of
 * readiness a socket has), and in ret_data the bytes readable and the send
 * space, read from the socket as FIONREAD and SIOCOUTQ would.
 *
 * Only the protocols whose readiness changes all go through those
 * callbacks are served so: TCP, UDP and AF_UNIX sockets whose data ready
 * callback is still the default one.  Others replace the callbacks or wake
 * the socket's wait queue directly (SCTP, MPTCP, TIPC, AF_ALG, ...): their
 * registrations hook the socket's wait queue instead, as the poll source
 * does, and report the same bits and counts.
 *
 * The registration is a struct kevent_file (file.c): it holds a reference
 * on the socket's file, which keeps the socket and its storage alive, and
 * it goes away when its file descriptor is closed.  The storage is freed
 * with the socket's inode, after an RCU grace period.
 */

#include <linux/file.h>
#include <linux/kevent.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/tcp.h>
#include <net/af_unix.h>
#include <net/sock.h>
#include <asm/ioctls.h>

#include "kevent.h"

#define KEVENT_SOCKET_EVENTS	(KEVENT_SOCKET_ACCEPT | KEVENT_SOCKET_RECV | \
				 KEVENT_SOCKET_SEND | KEVENT_SOCKET_HUP | \
				 KEVENT_SOCKET_ERR)
/* Reported whether asked for or not, as by poll() */
#define KEVENT_SOCKET_ALWAYS	(KEVENT_SOCKET_HUP | KEVENT_SOCKET_ERR)

/* Enabled by the first registration, never disabled: one text patch. */
DEFINE_STATIC_KEY_FALSE(kevent_socket_used);

/* The private part of a KEVENT_TYPE_SOCKET kevent */
struct kevent_socket {
	struct kevent_poll		p;	/* first: fd-based; the wait
						 * queue hooks without @st
						 */
	struct kevent_storage_entry	entry;
	struct kevent_storage		*st;	/* served by the callbacks */
};

/**
 * __kevent_socket_notify() - walk the storage of a watched socket
 * @wq: the socket's wait queue structure
 * @events: KEVENT_SOCKET_* events that may have become ready
 *
 * See kevent_socket_notify().
 */
void __kevent_socket_notify(struct socket_wq *wq, u32 events)
{
	/* Pairs with the cmpxchg() in kevent_storage_get(). */
	struct kevent_storage *st = smp_load_acquire(&wq->kevent);

	if (st) {
		kevent_storage_notify(st, events);
		kevent_naio_notify(st, events);
	}
}

/**
 * kevent_socket_free() - free the storage of a socket being freed
 * @wq: the socket's wait queue structure
 *
 * Called from the socket inode's ->free_inode(), after an RCU grace
 * period; every registration went before, with its file reference.
 */
void kevent_socket_free(struct socket_wq *wq)
{
	kevent_storage_free(wq->kevent);
}

/* The socket callbacks call kevent_socket_notify() from now on. */
void kevent_socket_enable(void)
{
	if (!static_key_enabled(&kevent_socket_used))
		static_branch_enable(&kevent_socket_used);
}

/* Do the hooked callbacks see every readiness change of @sk? */
bool kevent_socket_hooked(struct sock *sk)
{
	if (READ_ONCE(sk->sk_data_ready) != sock_def_readable)
		return false;
	if (sk->sk_family == AF_UNIX)
		return true;
	return sk_is_tcp(sk) ||
	       (sk_is_udp(sk) && sk->sk_protocol == IPPROTO_UDP);
}

static int kevent_socket_poll_check(struct file *file)
{
	return sock_from_file(file) ? 0 : -ENOTSOCK;
}

static int kevent_socket_attach(struct kevent *k)
{
	struct kevent_socket *s = kevent_priv(k);
	struct socket *sock;
	struct file *file;
	int err;

	file = kevent_file_get(&s->p.kf, k);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = -ENOTSOCK;
	sock = sock_from_file(file);
	if (!sock)
		goto out_put;
	if (!kevent_socket_hooked(sock->sk)) {
		/* Through the wait queue, as a poll registration */
		kevent_file_put(&s->p.kf, false);
		s->st = NULL;
		return kevent_poll_attach_file(k, kevent_socket_poll_check);
	}
	err = -ENOMEM;
	s->st = kevent_storage_get(&sock->wq.kevent);
	if (!s->st)
		goto out_put;

	kevent_socket_enable();
	kevent_storage_add(s->st, &s->entry, k);
	err = kevent_file_watch(&s->p.kf);
	if (err)
		goto out_del;
	return 0;

out_del:
	kevent_storage_del(s->st, &s->entry);
out_put:
	kevent_file_put(&s->p.kf, false);
	return err;
}

static void kevent_socket_detach(struct kevent *k)
{
	struct kevent_socket *s = kevent_priv(k);

	if (!s->st) {
		kevent_poll_detach(k);
		return;
	}
	kevent_storage_del(s->st, &s->entry);
	kevent_file_put(&s->p.kf, true);
}

/* The poll bits of KEVENT_SOCKET_* events, for the wait queue hooks */
static __poll_t kevent_socket_poll_events(u32 events)
{
	__poll_t mask = 0;

	if (events & (KEVENT_SOCKET_ACCEPT | KEVENT_SOCKET_RECV))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (events & KEVENT_SOCKET_SEND)
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (events & KEVENT_SOCKET_HUP)
		mask |= EPOLLRDHUP;
	return mask;
}

/* Bytes that can be read, or connections that wait on a listener */
static u32 kevent_socket_inq(struct sock *sk)
{
	int n = 0;

	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		/* AF_UNIX queues a connection as an skb, see unix_recvq_full() */
		if (sk->sk_family == AF_UNIX)
			return skb_queue_len_lockless(&sk->sk_receive_queue);
		return READ_ONCE(sk->sk_ack_backlog);
	}
	if (IS_ENABLED(CONFIG_INET) && sk_is_tcp(sk)) {
		const struct tcp_sock *tp = tcp_sk(sk);

		/* As tcp_inq(), without taking the socket lock */
		if ((1 << READ_ONCE(sk->sk_state)) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			return 0;
		n = READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq);
		/* A FIN takes a sequence number, not a byte */
		if (n > 0 && sock_flag(sk, SOCK_DONE))
			n--;
	} else if (sk_is_inet(sk) && sk->sk_type == SOCK_DGRAM &&
		   sk->sk_prot->ioctl) {
		/* UDP: the size of the next datagram, as FIONREAD */
		if (sk->sk_prot->ioctl(sk, SIOCINQ, &n))
			n = 0;
	} else if (IS_BUILTIN(CONFIG_UNIX) && sk->sk_family == AF_UNIX) {
		n = unix_inq_len(sk);
	}
	return max(n, 0);
}

/* Bytes that can be queued for sending */
static u32 kevent_socket_outq_space(struct sock *sk)
{
	int n;

	if (IS_ENABLED(CONFIG_INET) && sk_is_tcp(sk))
		n = sk_stream_wspace(sk);
	else
		n = READ_ONCE(sk->sk_sndbuf) - sk_wmem_alloc_get(sk);
	return max(n, 0);
}

static bool kevent_socket_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_socket *s = kevent_priv(k);
	struct file *file = s->p.kf.file;
	struct sock *sk = sock_from_file(file)->sk;
	__poll_t mask;
	u32 ev = 0;

	mask = vfs_poll(file, NULL);
	if (READ_ONCE(s->p.freed))
		mask |= EPOLLHUP;
	if (mask & EPOLLIN)
		ev |= READ_ONCE(sk->sk_state) == TCP_LISTEN ?
			KEVENT_SOCKET_ACCEPT : KEVENT_SOCKET_RECV;
	if (mask & EPOLLOUT)
		ev |= KEVENT_SOCKET_SEND;
	if (mask & (EPOLLHUP | EPOLLRDHUP))
		ev |= KEVENT_SOCKET_HUP;
	if (mask & EPOLLERR)
		ev |= KEVENT_SOCKET_ERR;
	ev &= k->uk.event | KEVENT_SOCKET_ALWAYS;
	if (!ev)
		return false;

	out->event = ev;
	out->ret_data = (u64)kevent_socket_outq_space(sk) << 32 |
			kevent_socket_inq(sk);
	return true;
}

const struct kevent_ops kevent_socket_ops = {
	.priv_size	= sizeof(struct kevent_socket),
	.extra_size	= KEVENT_POLL_EXTRA_SIZE,
	.fd_based	= true,
	.event_mask	= KEVENT_SOCKET_EVENTS,
	.always		= KEVENT_SOCKET_ALWAYS,
	.poll_events	= kevent_socket_poll_events,
	.attach		= kevent_socket_attach,
	.detach		= kevent_socket_detach,
	.report		= kevent_socket_report,
};
