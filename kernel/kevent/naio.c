// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: network AIO (KEVENT_TYPE_NAIO): the kernel receives into and
 * sends from user pages it pinned.
 *
 * A request names a socket and a buffer.  ->prepare pins the buffer's
 * pages (FOLL_LONGTERM, writable for RECV) before the queue's mutex is
 * taken, charging them to the submitting user's locked_vm against
 * RLIMIT_MEMLOCK, and to its mm's pinned_vm, as io_uring charges its
 * registered buffers; ->detach,
 * which every way out of a request goes through (completion, REMOVE, the
 * close of the socket's fd, of the queue, exec and exit of the submitting
 * process), unpins and uncharges them.  An ADD that fails before ->attach
 * gives them back through ->unprepare.
 *
 * The socket callbacks only make requests ready, through the socket's
 * kevent_storage (kevent_naio_notify()): nothing is copied, allocated or
 * locked beyond the storage in softirq.  The data is moved by ->report,
 * in process context under the queue's mutex (the kevent_wait() that
 * delivers the completion, or the ADD or ENABLE that finds the socket
 * ready): sock_recvmsg() or sock_sendmsg() with MSG_DONTWAIT on a bio_vec
 * iterator over the pinned pages, with the submitter's credentials, so the
 * pages need no mm and any thread or process that reaps the queue can do
 * it.  A RECV completes with what one call returns (a datagram, cut to the
 * buffer, on a datagram socket), or with WAITALL when the buffer is full,
 * at end of file or on an error; a SEND when every byte is queued.  What
 * was moved, and the error that stopped it, are kept in the request, so a
 * report that could not be copied out reports the same again.
 *
 * A DISPATCH request is kept, its pages pinned, after its completion is
 * reported (->consume): ENABLE or MODIFY runs it again, as submitted anew
 * by the task that re-arms it (its credentials), and it joins the end of
 * its line then, in ->report.  MODIFY may point it at another part
 * of its pages, or turn a RECV into a SEND and back, but only while it
 * waits to be re-armed, out of its line.
 *
 * The requests of one queue on one socket are served in the order they
 * were added: the storage keeps a line of RECVs and one of SENDs (and
 * SENDFILEs), only the oldest request of a queue in a line, its head,
 * moves data, and it leaves the line when it completes, making the next
 * one of its queue the head.  The callbacks wake only heads, and only
 * those of the line the event concerns (data or space; an error or a
 * hangup concerns both).
 * Requests of other queues neither wait for it nor hold it back.
 *
 * A request is also listed in the submitting process's struct
 * kevent_process (process.c), which removes it at exec and exit: after
 * exec the pages belong to an address space that is gone.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/kevent.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/pipe_fs_i.h>
#include <linux/seq_file.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kevent.h"

/*
 * What ->prepare takes before the queue's mutex: the pinned buffer of a
 * RECV or SEND, the file of a SENDFILE.
 */
struct kevent_naio_pin {
	struct page			**pages;
	struct bio_vec			*bvec;
	struct user_struct		*user;	/* charged for the pages */
	struct mm_struct		*mm;	/* its pinned_vm counts them */
	struct file			*in;	/* SENDFILE: read from it */
	u32				nr_pages;
	u32				offset;	/* in the first page */
};

static_assert(sizeof(struct kevent_naio_pin) <= KEVENT_PREP_SIZE);

/* Bytes moved per look at a request, between which others get the queue */
#define KEVENT_NAIO_SLICE	((size_t)SZ_1M)

struct kevent_naio {
	struct kevent_file		kf;	/* first: fd-based */
	struct kevent_naio_pin		pin;
	struct kevent_storage		*st;
	struct list_head		fifo;	/* a head: in st->naio_recv or
						 * _send; else in its head's
						 * @chain; until it completes
						 */
	struct list_head		chain;	/* a head: the later requests
						 * of its queue, in order
						 */
	bool				head;	/* the oldest of its queue on
						 * the socket in its direction:
						 * the one that moves data
						 */
	struct kevent_process		*kp;	/* of the submitter: exec and
						 * exit cancel the request
						 */
	struct kevent_storage_entry	pentry;	/* in kp->naio */
	const struct cred		*cred;	/* the submitter's */
	u64				ubase;	/* user address of the first
						 * pinned page
						 */
	u32				base;	/* the buffer's offset from it */
	u32				len;
	u32				done;
	int				err;
	bool				complete;
	bool				idle;	/* DISPATCH: reported, out of
						 * its line until re-armed
						 */
	bool				send;
	bool				writable;	/* pinned for RECV */
};

static struct list_head *kevent_naio_fifo(struct kevent_naio *n)
{
	return n->send ? &n->st->naio_send : &n->st->naio_recv;
}

static int kevent_naio_account(struct user_struct *user, unsigned long nr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur = atomic_long_read(&user->locked_vm), new;

	if (ns_capable_noaudit(&init_user_ns, CAP_IPC_LOCK)) {
		atomic_long_add(nr, &user->locked_vm);
		return 0;
	}
	do {
		new = cur + nr;
		if (new > limit)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

static void kevent_naio_unpin(struct kevent_naio_pin *pin, bool dirty)
{
	if (pin->in) {
		fput(pin->in);
		return;
	}
	unpin_user_pages_dirty_lock(pin->pages, pin->nr_pages, dirty);
	atomic64_sub(pin->nr_pages, &pin->mm->pinned_vm);
	mmdrop(pin->mm);
	atomic_long_sub(pin->nr_pages, &pin->user->locked_vm);
	free_uid(pin->user);
	kvfree(pin->pages);
	kvfree(pin->bvec);
}

static void kevent_naio_unprepare(void *prep)
{
	kevent_naio_unpin(prep, false);
}

/* The bytes a request moves at most */
static u64 kevent_naio_len(u32 event, const u64 *param)
{
	if (event == KEVENT_NAIO_SENDFILE)
		return lower_32_bits(param[1]);
	return param[1];
}

static int kevent_naio_check(const struct ukevent *uk)
{
	u64 len = kevent_naio_len(uk->event, uk->param);

	if (!(uk->req_flags & (KEVENT_REQ_ONESHOT | KEVENT_REQ_DISPATCH)))
		return -EINVAL;
	switch (uk->event) {
	case KEVENT_NAIO_SENDFILE:
		if (uk->param[0] > MAX_LFS_FILESIZE ||
		    uk->param[0] + len > MAX_LFS_FILESIZE)
			return -EINVAL;
		break;
	case KEVENT_NAIO_RECV:
	case KEVENT_NAIO_RECV | KEVENT_NAIO_WAITALL:
	case KEVENT_NAIO_SEND:
		break;
	default:
		return -EINVAL;
	}
	if (!len || len > MAX_RW_COUNT)
		return -EINVAL;
	return 0;
}

/*
 * SENDFILE: take the file, with what sendfile() checks of its input: open
 * for reading, positioned reads, splice_read, and rw_verify_area() (the
 * range, and the LSM's read permission).
 */
static int kevent_naio_prepare_file(const struct ukevent *uk,
				    struct kevent_naio_pin *n)
{
	loff_t pos = uk->param[0];
	struct file *in;
	int err;

	in = fget(upper_32_bits(uk->param[1]));
	if (!in)
		return -EBADF;
	err = -EBADF;
	if (!(in->f_mode & FMODE_READ))
		goto out;
	err = -ESPIPE;
	if (!(in->f_mode & FMODE_PREAD) || !(in->f_mode & FMODE_LSEEK))
		goto out;
	err = -EINVAL;
	if (!in->f_op->splice_read)
		goto out;
	err = rw_verify_area(READ, in, &pos,
			     kevent_naio_len(uk->event, uk->param));
	if (err)
		goto out;
	n->in = in;
	return 0;
out:
	fput(in);
	return err;
}

static int kevent_naio_prepare(const struct ukevent *uk, void *prep)
{
	struct kevent_naio_pin *n = prep;
	u64 addr = uk->param[0], len = uk->param[1];
	bool write = uk->event & KEVENT_NAIO_RECV;
	unsigned long start, nr;
	int pinned, i, err;

	if (uk->event == KEVENT_NAIO_SENDFILE)
		return kevent_naio_prepare_file(uk, n);
	/* addr does not fit an unsigned long on a 32-bit kernel */
	if (addr != (unsigned long)addr ||
	    !access_ok((void __user *)(unsigned long)addr, len))
		return -EFAULT;
	start = addr & PAGE_MASK;
	nr = (PAGE_ALIGN(addr + len) - start) >> PAGE_SHIFT;
	/* Charged first: nothing is allocated for a request past the limit. */
	n->user = get_uid(current_user());
	err = kevent_naio_account(n->user, nr);
	if (err)
		goto out_uid;
	err = -ENOMEM;
	n->pages = kvmalloc_array(nr, sizeof(*n->pages), GFP_KERNEL_ACCOUNT);
	n->bvec = kvmalloc_array(nr, sizeof(*n->bvec), GFP_KERNEL_ACCOUNT);
	if (!n->pages || !n->bvec)
		goto out_free;
	pinned = pin_user_pages_fast(start, nr,
				     (write ? FOLL_WRITE : 0) | FOLL_LONGTERM,
				     n->pages);
	if (pinned != nr) {
		if (pinned > 0)
			unpin_user_pages(n->pages, pinned);
		err = pinned < 0 ? pinned : -EFAULT;
		goto out_free;
	}
	n->nr_pages = nr;
	n->offset = addr & ~PAGE_MASK;
	n->mm = current->mm;
	mmgrab(n->mm);
	atomic64_add(nr, &n->mm->pinned_vm);
	for (i = 0; i < nr; i++)
		bvec_set_page(&n->bvec[i], n->pages[i], PAGE_SIZE, 0);
	return 0;

out_free:
	kvfree(n->pages);
	kvfree(n->bvec);
	atomic_long_sub(nr, &n->user->locked_vm);
out_uid:
	free_uid(n->user);
	return err;
}

/*
 * The sockets whose readiness changes all reach the socket callbacks
 * (socket.c), and whose data is a byte stream or datagrams.
 */
static bool kevent_naio_socket_ok(struct socket *sock)
{
	return kevent_socket_hooked(sock->sk) &&
	       (sock->type == SOCK_STREAM || sock->type == SOCK_DGRAM);
}

/*
 * Join @n's line: behind the head of its queue, or as the head if its
 * queue has none.  The line holds one head per queue, so the walk is as
 * long as the number of queues with requests on the socket in this
 * direction, as a socket's wait queue is as long as its pollers.  Called
 * with n->st->lock held.
 */
static void kevent_naio_join_line(struct kevent_naio *n)
{
	struct list_head *line = kevent_naio_fifo(n);
	struct kevent_naio *h;

	INIT_LIST_HEAD(&n->chain);
	list_for_each_entry(h, line, fifo) {
		if (h->kf.e.k->ku == n->kf.e.k->ku) {
			n->head = false;
			list_add_tail(&n->fifo, &h->chain);
			return;
		}
	}
	n->head = true;
	list_add_tail(&n->fifo, line);
}

/*
 * Take @n out of its line; if it was the head, the next request of its
 * queue becomes the head, in its place, and looks at the socket.  Called
 * with n->st->lock held.
 */
static void kevent_naio_leave_line(struct kevent_naio *n)
{
	struct kevent_naio *next;

	if (list_empty(&n->fifo))
		return;
	if (n->head && !list_empty(&n->chain)) {
		next = list_first_entry(&n->chain, struct kevent_naio, fifo);
		list_del(&next->fifo);
		list_splice_init(&n->chain, &next->chain);
		list_add(&next->fifo, &n->fifo);
		next->head = true;
		kevent_ready(next->kf.e.k);
	}
	list_del_init(&n->fifo);
}

/**
 * kevent_naio_notify() - a socket's state changed: wake the heads of lines
 * @st: the socket's storage
 * @events: KEVENT_SOCKET_* events that may have become ready
 *
 * Only the oldest request of each queue in a line moves data: the others
 * are made ready when it leaves.  Called by the socket callbacks, in any
 * context.  The lines are read without the lock first: a request that
 * joins meanwhile looks at the socket itself once it has joined (its ADD
 * reports it), and the callbacks took st->lock in kevent_storage_notify()
 * just before.
 */
void kevent_naio_notify(struct kevent_storage *st, u32 events)
{
	static const u32 ends = KEVENT_SOCKET_HUP | KEVENT_SOCKET_ERR;
	struct kevent_naio *n;
	unsigned long flags;

	if (list_empty(&st->naio_recv) && list_empty(&st->naio_send))
		return;
	spin_lock_irqsave(&st->lock, flags);
	if (events & (KEVENT_SOCKET_RECV | ends))
		list_for_each_entry(n, &st->naio_recv, fifo)
			kevent_ready(n->kf.e.k);
	if (events & (KEVENT_SOCKET_SEND | ends))
		list_for_each_entry(n, &st->naio_send, fifo)
			kevent_ready(n->kf.e.k);
	spin_unlock_irqrestore(&st->lock, flags);
}

static int kevent_naio_attach(struct kevent *k)
{
	struct kevent_naio *n = kevent_priv(k);
	struct socket *sock;
	struct file *file;
	int err;

	file = kevent_file_get_fd(&n->kf, k, lower_32_bits(k->uk.id));
	err = PTR_ERR(file);
	if (IS_ERR(file))
		goto out_unpin;
	err = -ENOTSOCK;
	sock = sock_from_file(file);
	if (!sock)
		goto out_put;
	err = -EOPNOTSUPP;
	if (!kevent_naio_socket_ok(sock) ||
	    (k->uk.event == KEVENT_NAIO_SENDFILE && sock->type != SOCK_STREAM))
		goto out_put;
	n->done = 0;
	n->err = 0;
	n->complete = false;
	n->idle = false;
	n->send = !(k->uk.event & KEVENT_NAIO_RECV);
	n->writable = !n->send;
	n->ubase = k->uk.param[0] & PAGE_MASK;
	n->base = n->pin.offset;
	n->len = kevent_naio_len(k->uk.event, k->uk.param);
	err = -ENOMEM;
	n->kp = kevent_process_get();
	if (!n->kp)
		goto out_put;
	n->st = kevent_storage_get(&sock->wq.kevent);
	if (!n->st)
		goto out_put;
	n->cred = get_current_cred();
	kevent_socket_enable();
	spin_lock_irq(&n->st->lock);
	kevent_naio_join_line(n);
	spin_unlock_irq(&n->st->lock);
	err = kevent_file_watch(&n->kf);
	if (err)
		goto out_del;
	kevent_process_add(n->kp, &n->kp->naio, &n->pentry, k);
	return 0;

out_del:
	/* The last of its queue in its line: nobody after it to make head */
	spin_lock_irq(&n->st->lock);
	kevent_naio_leave_line(n);
	spin_unlock_irq(&n->st->lock);
	put_cred(n->cred);
out_put:
	kevent_file_put(&n->kf, false);
out_unpin:
	kevent_naio_unpin(&n->pin, false);
	return err;
}

/**
 * kevent_naio_reaped() - is @k one that kevent_process_reap() took?
 * @k: a registration found under its queue's mutex
 *
 * A request's registration belongs to the files of its process, which a
 * CLONE_FILES sibling shares: the sibling may have ended the request and
 * added one at the same address meanwhile.  The one taken off the process's
 * list is unlisted; a new one is listed in its own process's list.
 *
 * Return: false for a request still listed, true for the rest.
 */
bool kevent_naio_reaped(struct kevent *k)
{
	struct kevent_naio *n = kevent_priv(k);

	return k->ops != &kevent_naio_ops ||
	       hlist_unhashed_lockless(&n->pentry.node);
}

static void kevent_naio_detach(struct kevent *k)
{
	struct kevent_naio *n = kevent_priv(k);

	kevent_process_del(n->kp, &n->pentry);
	spin_lock_irq(&n->st->lock);
	kevent_naio_leave_line(n);
	spin_unlock_irq(&n->st->lock);
	put_cred(n->cred);
	kevent_naio_unpin(&n->pin, n->writable);
	kevent_file_put(&n->kf, true);
}

/* An iterator over the part of the buffer not moved yet */
static void kevent_naio_iter(struct kevent_naio *n, struct iov_iter *iter,
			     unsigned int dir)
{
	size_t off = (size_t)n->base + n->done;
	unsigned int first = off >> PAGE_SHIFT;

	iov_iter_bvec(iter, dir, n->pin.bvec + first, n->pin.nr_pages - first,
		      n->base + n->len - ((size_t)first << PAGE_SHIFT));
	iov_iter_advance(iter, off & ~PAGE_MASK);
}

/*
 * SENDFILE's actor: send what splice_direct_to_actor() read from the file
 * into the task's internal pipe, without waiting, as splice_to_socket()
 * would with MSG_DONTWAIT.  The page cache pages go to the socket, not a
 * copy.  What is not sent, splice_direct_to_actor() drops from the pipe
 * and reads again next time from where the sending stopped.
 */
static int kevent_naio_splice_actor(struct pipe_inode_info *pipe,
				    struct splice_desc *sd)
{
	unsigned int mask = pipe->ring_size - 1, tail = pipe->tail;
	size_t len = sd->total_len, spliced = 0;
	struct socket *sock = sd->u.data;
	int ret = 0;

	while (len && !pipe_empty(pipe->head, tail)) {
		struct msghdr msg = {
			.msg_flags = MSG_SPLICE_PAGES | MSG_DONTWAIT |
				     MSG_NOSIGNAL,
		};
		struct bio_vec bvec[16];
		unsigned int bc = 0, t;
		size_t chunk = 0;

		for (t = tail; !pipe_empty(pipe->head, t) && chunk < len &&
		     bc < ARRAY_SIZE(bvec); t++) {
			struct pipe_buffer *buf = &pipe->bufs[t & mask];
			size_t seg = min_t(size_t, len - chunk, buf->len);

			ret = pipe_buf_confirm(pipe, buf);
			if (ret)
				goto out;
			bvec_set_page(&bvec[bc++], buf->page, seg, buf->offset);
			chunk += seg;
		}
		if (chunk < len || sd->flags & SPLICE_F_MORE)
			msg.msg_flags |= MSG_MORE;
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bvec, bc, chunk);
		ret = sock_sendmsg(sock, &msg);
		if (ret <= 0)
			break;
		spliced += ret;
		len -= ret;
		for (size_t left = ret; left; ) {
			struct pipe_buffer *buf = &pipe->bufs[tail & mask];
			size_t seg = min_t(size_t, left, buf->len);

			buf->offset += seg;
			buf->len -= seg;
			left -= seg;
			if (!buf->len) {
				pipe_buf_release(pipe, buf);
				tail++;
			}
		}
		pipe->tail = tail;
		if (ret < chunk)
			break;
	}
out:
	return spliced ?: ret;
}

/* The file ended before the count: push out what MSG_MORE held back */
static void kevent_naio_splice_eof(struct splice_desc *sd)
{
	struct socket *sock = sd->u.data;

	if (sock->ops->splice_eof)
		sock->ops->splice_eof(sock);
}

/* Send the next part of the file; the bytes sent, 0 at its end, or -errno */
static ssize_t kevent_naio_sendfile(struct kevent *k, struct kevent_naio *n,
				    struct socket *sock)
{
	struct splice_desc sd = {
		.total_len	= min_t(size_t, n->len - n->done,
					 KEVENT_NAIO_SLICE),
		.pos		= k->uk.param[0] + n->done,
		.u.data		= sock,
		.splice_eof	= kevent_naio_splice_eof,
	};

	return splice_direct_to_actor(n->pin.in, &sd,
				      kevent_naio_splice_actor);
}

/*
 * Would a receive on @sk find nothing, and no end or error?  Asked before
 * calling into the protocol, which costs a socket lock, because a receive
 * is usually added right after the previous one took what there was.
 * Only for a connected TCP or AF_UNIX stream socket that no BPF sockmap
 * (sk_user_data) or ULP such as kTLS (sk_prot) took over, whose data is all
 * on its receive queue (a UDP socket also keeps a reader queue, a sockmap
 * its ingress list).  Data queued later makes the request ready again: the
 * callbacks run after the enqueue.
 */
static bool kevent_naio_nothing_to_read(struct sock *sk)
{
	return sk->sk_type == SOCK_STREAM &&
	       !READ_ONCE(sk->sk_user_data) &&
	       (sk->sk_family == AF_UNIX ||
		READ_ONCE(sk->sk_prot)->recvmsg == tcp_recvmsg) &&
	       READ_ONCE(sk->sk_state) == TCP_ESTABLISHED &&
	       skb_queue_empty_lockless(&sk->sk_receive_queue) &&
	       !READ_ONCE(sk->sk_err) &&
	       !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/* A stream moves at most what is left of the slice per call; a datagram whole */
static void kevent_naio_slice(struct socket *sock, struct iov_iter *iter,
			      size_t moved)
{
	if (sock->type == SOCK_STREAM)
		iov_iter_truncate(iter, KEVENT_NAIO_SLICE - moved);
}

/* What one look at a request came to */
enum kevent_naio_step {
	KEVENT_NAIO_DONE,	/* complete: report it */
	KEVENT_NAIO_WAIT,	/* the socket is not ready: wait for it */
	KEVENT_NAIO_MORE,	/* stopped early: look again soon */
};

/* An error that a signal to the task moving the data caused */
static bool kevent_naio_interrupted(int err)
{
	return err == -EINTR || err == -ERESTARTSYS ||
	       err == -ERESTARTNOINTR || err == -ERESTARTNOHAND ||
	       err == -ERESTART_RESTARTBLOCK;
}

/*
 * Move data between the socket and the pages or the file, as the
 * submitter.  An error stops the request, with the bytes moved before,
 * but not one of the moving task's own (a signal: another task, or this
 * one later, goes on).  At most KEVENT_NAIO_SLICE bytes at a time, so
 * that the queue's mutex is let go of between slices.
 */
static enum kevent_naio_step kevent_naio_move(struct kevent *k,
					      struct kevent_naio *n)
{
	struct socket *sock = sock_from_file(n->kf.file);
	bool waitall = k->uk.event & KEVENT_NAIO_WAITALL;
	enum kevent_naio_step step = KEVENT_NAIO_DONE;
	const struct cred *old;
	size_t moved = 0;
	int ret;

	/*
	 * SENDFILE goes through the task's splice pipe: make it now, charged
	 * to this task's user as its own sendfile() would, not the
	 * submitter's.
	 */
	if (n->pin.in && !current->splice_pipe) {
		struct pipe_inode_info *pipe = alloc_pipe_info();

		if (!pipe) {
			n->err = -ENOMEM;
			return KEVENT_NAIO_DONE;
		}
		pipe->readers = 1;
		current->splice_pipe = pipe;
	}
	/* Usually the submitter reaps: no need to take its credentials */
	old = n->cred == current_cred() ? NULL : override_creds(n->cred);
	while (n->done < n->len) {
		struct msghdr msg = {};

		if (moved >= KEVENT_NAIO_SLICE || fatal_signal_pending(current)) {
			step = KEVENT_NAIO_MORE;
			break;
		}
		if (n->pin.in) {
			ret = kevent_naio_sendfile(k, n, sock);
		} else if (n->send) {
			msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
			kevent_naio_iter(n, &msg.msg_iter, ITER_SOURCE);
			kevent_naio_slice(sock, &msg.msg_iter, moved);
			ret = sock_sendmsg(sock, &msg);
		} else if (kevent_naio_nothing_to_read(sock->sk)) {
			ret = -EAGAIN;
		} else {
			kevent_naio_iter(n, &msg.msg_iter, ITER_DEST);
			kevent_naio_slice(sock, &msg.msg_iter, moved);
			ret = sock_recvmsg(sock, &msg, MSG_DONTWAIT);
		}
		if (ret == -EAGAIN) {
			step = KEVENT_NAIO_WAIT;
			break;
		}
		/* Not the request's error: the moving task's signal */
		if (kevent_naio_interrupted(ret) && signal_pending(current)) {
			step = KEVENT_NAIO_MORE;
			break;
		}
		if (ret < 0) {
			/* an ERESTART* without a signal: never to user space */
			n->err = kevent_naio_interrupted(ret) ? -EINTR : ret;
			break;
		}
		if (!ret) {
			/* end of file, the socket's or the file's */
			if (n->pin.in && sock->ops->splice_eof)
				sock->ops->splice_eof(sock);
			break;
		}
		n->done += ret;
		moved += ret;
		if (!n->send && (!waitall || sock->type == SOCK_DGRAM))
			break;
		cond_resched();
	}
	if (old)
		revert_creds(old);
	return step;
}

/*
 * REMOVE of a request that moved data completes it with ECANCELED and the
 * count, so that the caller knows what its buffer holds or what the peer
 * got; one that moved nothing is dropped.  A DISPATCH request completed so
 * becomes oneshot: the REMOVE ends it once that completion is reported.
 */
static bool kevent_naio_cancel(struct kevent *k)
{
	struct kevent_naio *n = kevent_priv(k);

	if (!n->done)
		return false;
	WRITE_ONCE(k->uk.req_flags,
		   (k->uk.req_flags & ~KEVENT_REQ_DISPATCH) |
		   KEVENT_REQ_ONESHOT);
	if (!n->complete) {
		n->complete = true;
		n->err = -ECANCELED;
		spin_lock_irq(&n->st->lock);
		kevent_naio_leave_line(n);
		spin_unlock_irq(&n->st->lock);
	}
	return true;
}

static void kevent_naio_show_fdinfo(struct kevent *k, struct seq_file *m)
{
	struct kevent_naio *n = kevent_priv(k);

	seq_printf(m, " pinned:%u done:%u", n->pin.nr_pages, n->done);
}

/*
 * A DISPATCH request whose completion was reported is re-armed by ENABLE
 * or MODIFY: forget what it moved, and leave it out of its line until then.
 */
static void kevent_naio_consume(struct kevent *k, const struct ukevent *out)
{
	struct kevent_naio *n = kevent_priv(k);

	if (!(k->uk.req_flags & KEVENT_REQ_DISPATCH))
		return;
	n->done = 0;
	n->err = 0;
	n->complete = false;
	n->idle = true;
}

/*
 * SENDFILE stays SENDFILE, from the same open file.  Each read checks its
 * range and permission as it goes (vfs_splice_read()), so nothing that
 * may wait (a fanotify permission event) is done here, under the mutex.
 */
static int kevent_naio_modify_file(struct kevent_naio *n,
				   const struct ukevent *uk)
{
	struct file *in;
	int err = 0;

	if (uk->event != KEVENT_NAIO_SENDFILE)
		return -EINVAL;
	in = fget(upper_32_bits(uk->param[1]));
	if (!in)
		return -EBADF;
	if (in != n->pin.in)
		err = -EINVAL;
	fput(in);
	return err;
}

/*
 * Only a DISPATCH request waiting to be re-armed changes, and only within
 * what ADD took: a RECV or SEND on a part of the pages pinned, a RECV only
 * if they were pinned for it, by a task of the address space they belong
 * to (a CLONE_FILES process may have another); a SENDFILE from its file.
 * The request number is part of the id, which MODIFY does not change.
 */
static int kevent_naio_modify(struct kevent *k, const struct ukevent *uk)
{
	struct kevent_naio *n = kevent_priv(k);
	u64 span = (u64)n->pin.nr_pages << PAGE_SHIFT;
	u64 off = uk->param[0] - n->ubase, len = uk->param[1];
	int err;

	if (!(k->uk.req_flags & KEVENT_REQ_DISPATCH))
		return -EINVAL;
	if (!n->idle)
		return -EBUSY;
	if (n->pin.in) {
		err = kevent_naio_modify_file(n, uk);
		if (err)
			return err;
	} else {
		if (current->mm != n->pin.mm)
			return -EPERM;
		if (uk->event == KEVENT_NAIO_SENDFILE ||
		    ((uk->event & KEVENT_NAIO_RECV) && !n->writable))
			return -EINVAL;
		if (uk->param[0] < n->ubase || len > span || off > span - len)
			return -EINVAL;
		n->base = off;
		n->send = !(uk->event & KEVENT_NAIO_RECV);
	}
	n->len = kevent_naio_len(uk->event, uk->param);
	return 0;
}

static bool kevent_naio_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_naio *n = kevent_priv(k);

	/*
	 * Re-armed, by ENABLE or MODIFY in this task: a new submission, with
	 * this task's credentials, back in line behind the requests added
	 * meanwhile.  Pages of another address space end it (ENABLE of a
	 * CLONE_FILES process's request).
	 */
	if (n->idle) {
		n->idle = false;
		if (n->cred != current_cred()) {
			put_cred(n->cred);
			n->cred = get_current_cred();
		}
		if (!n->pin.in && current->mm != n->pin.mm) {
			n->err = -EPERM;
			n->complete = true;
		} else {
			spin_lock_irq(&n->st->lock);
			kevent_naio_join_line(n);
			spin_unlock_irq(&n->st->lock);
		}
	}
	/* Requests of one queue on one socket are served in order. */
	if (!n->complete && n->head) {
		enum kevent_naio_step step = kevent_naio_move(k, n);

		/* Ready again: kevent_deliver() lets others at the queue. */
		if (step == KEVENT_NAIO_MORE)
			kevent_ready(k);
		n->complete = step == KEVENT_NAIO_DONE;
		if (n->complete) {
			/* Done with the socket: the next one may go on. */
			spin_lock_irq(&n->st->lock);
			kevent_naio_leave_line(n);
			spin_unlock_irq(&n->st->lock);
		}
	}
	if (!n->complete)
		return false;
	out->event = k->uk.event;
	out->ret_data = n->done;
	if (n->err) {
		out->event |= KEVENT_NAIO_ERROR;
		out->ret_data |= (u64)-n->err << 32;
	}
	return true;
}

const struct kevent_ops kevent_naio_ops = {
	.priv_size	= sizeof(struct kevent_naio),
	.fd_based	= true,
	.event_mask	= KEVENT_NAIO_RECV | KEVENT_NAIO_SEND |
			  KEVENT_NAIO_SENDFILE | KEVENT_NAIO_WAITALL,
	.prep_size	= sizeof(struct kevent_naio_pin),
	.prep_offset	= offsetof(struct kevent_naio, pin),
	.check		= kevent_naio_check,
	.prepare	= kevent_naio_prepare,
	.unprepare	= kevent_naio_unprepare,
	.attach		= kevent_naio_attach,
	.detach		= kevent_naio_detach,
	.modify		= kevent_naio_modify,
	.report		= kevent_naio_report,
	.consume	= kevent_naio_consume,
	.cancel		= kevent_naio_cancel,
	.show_fdinfo	= kevent_naio_show_fdinfo,
};
