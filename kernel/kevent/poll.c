// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: readiness of any pollable file (KEVENT_TYPE_POLL).
 *
 * A registration names a file descriptor of the registering process.  It
 * takes a reference on the file and hooks the file's wait queues, as epoll
 * does.  A wakeup there calls kevent_poll_wake() in whatever context the
 * file wakes its queue, often with its locks held and interrupts off: the
 * callback only filters on the event mask and queues the kevent.  What is
 * reported is read with vfs_poll() when the event is delivered.
 *
 * The registration is a struct kevent_file (file.c): it holds a reference
 * on the file and goes away when its file descriptor is closed.
 *
 * A queue can watch another queue.  The watched queue wakes its pollers
 * from an irq_work (kevent_wake_locked() in core.c), which runs this
 * source's callback: the watching queue's lock is not taken inside the
 * watched one's, and however many paths lead from a source to a queue,
 * the queue's pollers are woken once for all the events that come before
 * its irq_work runs.  Registrations between queues form a graph, kept in
 * kevent_user.nest_down and .nest_up under kevent_nest_mutex: an ADD that
 * would close a loop, make a chain of queues longer than KEVENT_MAX_NESTS,
 * or give a queue more chains of watching queues above it than
 * kevent_path_limits[] allows, fails with -ELOOP, as in epoll.
 *
 * An epoll file cannot be watched (-EOPNOTSUPP): epoll's loop and path
 * checks do not see through a kevent queue, nor ours through an epoll
 * file, and a loop epoll -> kevent -> epoll would go unnoticed.  A kevent
 * fd can be watched by epoll.
 */

#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
/* After fs.h and uaccess.h, which it relies on */
#include <linux/eventpoll.h>

#include "kevent.h"

#define KEVENT_POLL_EVENTS	(KEVENT_POLL_IN | KEVENT_POLL_PRI | \
				 KEVENT_POLL_OUT | KEVENT_POLL_ERR | \
				 KEVENT_POLL_HUP | KEVENT_POLL_RDHUP)

/* One hooked wait queue of a watched file */
struct kevent_poll_wait {
	wait_queue_entry_t	wait;
	wait_queue_head_t	*whead;	/* NULL once the queue is freed */
	struct kevent		*k;
	struct kevent_poll_wait	*next;
};

/* Files poll two wait queues at most (a pipe's reader and writer). */
static_assert(2 * sizeof(struct kevent_poll_wait) <= KEVENT_POLL_EXTRA_SIZE);

struct kevent_poll_table {
	poll_table		pt;
	struct kevent		*k;
	int			err;
};

/**
 * struct kevent_nest - a registration of a queue on a queue
 * @inner: the watched queue
 * @outer: the watching queue
 * @down: in @outer's kevent_user.nest_down
 * @up: in @inner's kevent_user.nest_up
 */
struct kevent_nest {
	struct kevent_user	*inner;
	struct kevent_user	*outer;
	struct list_head	down;
	struct list_head	up;
};

/* A queue polls one wait queue. */
static_assert(sizeof(struct kevent_poll_wait) + sizeof(struct kevent_nest) <=
	      KEVENT_POLL_EXTRA_SIZE);

/* Longest chain of queues watching queues, in registrations */
#define KEVENT_MAX_NESTS	4

/*
 * Most chains of watching queues that may start at one queue, by length:
 * a wakeup of the queue runs at most this many callbacks of queues above
 * it.  epoll's path_limits[].
 */
static const unsigned int kevent_path_limits[KEVENT_MAX_NESTS] = {
	1000, 500, 100, 50
};

static DEFINE_MUTEX(kevent_nest_mutex);
static unsigned int kevent_nest_gen;

/* The events a registration reports: what it asked for, ERR and HUP. */
static __poll_t kevent_poll_mask(struct kevent *k)
{
	/* event may change under kevent_user.mutex, which wakeups do not hold */
	u32 events = READ_ONCE(k->uk.event);

	if (k->ops->poll_events)
		return k->ops->poll_events(events) | KEVENT_POLL_ALWAYS;
	return (__force __poll_t)events | KEVENT_POLL_ALWAYS;
}

/* Called by the watched file's wake_up(), in any context. */
static int kevent_poll_wake(wait_queue_entry_t *wait, unsigned int mode,
			    int sync, void *key)
{
	struct kevent_poll_wait *pw = container_of(wait, struct kevent_poll_wait,
						   wait);
	__poll_t mask = key_to_poll(key);
	struct kevent *k = pw->k;
	struct kevent_poll *p = kevent_priv(k);

	if (mask & POLLFREE) {
		/*
		 * The wait queue is being freed (signalfd at exit, binder):
		 * unhook; the queue's memory stays valid for an RCU grace
		 * period, see kevent_poll_unhook().  Nothing will wake us
		 * again: report a hangup, as epoll does.
		 */
		WRITE_ONCE(p->freed, true);
		kevent_ready(k);
		list_del_init(&wait->entry);
		/*
		 * Last: once it is NULL, kevent_poll_unhook() does not wait
		 * for us, and the kevent may go.  Pairs with
		 * smp_load_acquire() in kevent_poll_unhook().
		 */
		smp_store_release(&pw->whead, NULL);
		return 0;
	}
	/* A wakeup without a key may be about anything. */
	if (mask && !(mask & kevent_poll_mask(k)))
		return 0;
	kevent_ready(k);
	return 0;
}

static void kevent_poll_queue_proc(struct file *file, wait_queue_head_t *whead,
				   poll_table *pt)
{
	struct kevent_poll_table *kpt = container_of(pt, struct kevent_poll_table,
						     pt);
	struct kevent_poll *p = kevent_priv(kpt->k);
	struct kevent_poll_wait *pw;

	if (kpt->err)
		return;
	/* Process context: called from our own vfs_poll() in attach. */
	pw = kmalloc(sizeof(*pw), GFP_KERNEL_ACCOUNT);
	if (!pw) {
		kpt->err = -ENOMEM;
		return;
	}
	init_waitqueue_func_entry(&pw->wait, kevent_poll_wake);
	pw->whead = whead;
	pw->k = kpt->k;
	add_wait_queue(whead, &pw->wait);
	pw->next = p->waits;
	p->waits = pw;
}

/* After this, no wakeup of the file reaches the kevent. */
static void kevent_poll_unhook(struct kevent_poll *p)
{
	struct kevent_poll_wait *pw;
	wait_queue_head_t *whead;

	while ((pw = p->waits)) {
		p->waits = pw->next;
		rcu_read_lock();
		/* Pairs with smp_store_release() in kevent_poll_wake(). */
		whead = smp_load_acquire(&pw->whead);
		if (whead)
			remove_wait_queue(whead, &pw->wait);
		rcu_read_unlock();
		kfree(pw);
	}
}

/*
 * Longest chain of registrations below @ku, or -ELOOP if @outer is among
 * the queues @ku watches, directly or not.
 */
static int kevent_nest_down(struct kevent_user *ku, struct kevent_user *outer)
{
	struct kevent_nest *n;
	int depth = 0, d;

	lockdep_assert_held(&kevent_nest_mutex);

	if (ku == outer)
		return -ELOOP;
	if (ku->nest_gen == kevent_nest_gen)
		return ku->nest_depth;
	list_for_each_entry(n, &ku->nest_down, down) {
		d = kevent_nest_down(n->inner, outer);
		if (d < 0)
			return d;
		depth = max(depth, d + 1);
	}
	ku->nest_gen = kevent_nest_gen;
	ku->nest_depth = depth;
	return depth;
}

/*
 * Longest chain of registrations above @ku; and in ->nest_paths the number
 * of chains above it by length (chains longer than KEVENT_MAX_NESTS are
 * refused before they exist).
 */
static int kevent_nest_up(struct kevent_user *ku)
{
	struct kevent_user *outer;
	struct kevent_nest *n;
	int depth = 0, i;

	lockdep_assert_held(&kevent_nest_mutex);

	if (ku->nest_gen == kevent_nest_gen)
		return ku->nest_depth;
	memset(ku->nest_paths, 0, sizeof(ku->nest_paths));
	list_for_each_entry(n, &ku->nest_up, up) {
		outer = n->outer;
		depth = max(depth, kevent_nest_up(outer) + 1);
		ku->nest_paths[0]++;
		for (i = 1; i < KEVENT_MAX_NESTS; i++)
			ku->nest_paths[i] += outer->nest_paths[i - 1];
	}
	ku->nest_gen = kevent_nest_gen;
	ku->nest_depth = depth;
	return depth;
}

/* Do the chains above @ku, and above every queue below it, stay in bounds? */
static bool kevent_nest_paths_ok(struct kevent_user *ku)
{
	struct kevent_nest *n;
	int i;

	lockdep_assert_held(&kevent_nest_mutex);

	if (ku->nest_checked == kevent_nest_gen)
		return true;
	ku->nest_checked = kevent_nest_gen;
	kevent_nest_up(ku);
	for (i = 0; i < KEVENT_MAX_NESTS; i++)
		if (ku->nest_paths[i] > kevent_path_limits[i])
			return false;
	list_for_each_entry(n, &ku->nest_down, down)
		if (!kevent_nest_paths_ok(n->inner))
			return false;
	return true;
}

/* Record that @p's queue watches @inner, unless that makes a loop. */
static int kevent_nest_link(struct kevent_poll *p, struct kevent_user *inner)
{
	struct kevent_user *outer = p->kf.e.k->ku;
	struct kevent_nest *n;
	int down, up, err = 0;

	n = kmalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	if (!n)
		return -ENOMEM;
	n->inner = inner;
	n->outer = outer;

	mutex_lock(&kevent_nest_mutex);
	/*
	 * Two passes, each memoizing depths: one below @inner, which looks
	 * for @outer on the way, one above @outer.  No queue is in both, or
	 * the first pass would have found the loop.
	 */
	kevent_nest_gen++;
	down = kevent_nest_down(inner, outer);
	if (down < 0) {
		err = down;
		goto out;
	}
	kevent_nest_gen++;
	up = kevent_nest_up(outer);
	if (up + 1 + down > KEVENT_MAX_NESTS) {
		err = -ELOOP;
		goto out;
	}
	list_add(&n->down, &outer->nest_down);
	list_add(&n->up, &inner->nest_up);
	/*
	 * Count the chains anew with the link in place: above @inner and
	 * every queue below it, there is one more.  Memoized per pass.
	 */
	kevent_nest_gen++;
	if (!kevent_nest_paths_ok(inner)) {
		list_del(&n->down);
		list_del(&n->up);
		err = -ELOOP;
		goto out;
	}
	p->nest = n;
	n = NULL;
out:
	mutex_unlock(&kevent_nest_mutex);
	kfree(n);
	return err;
}

static void kevent_nest_unlink(struct kevent_poll *p)
{
	struct kevent_nest *n = p->nest;

	if (!n)
		return;
	mutex_lock(&kevent_nest_mutex);
	list_del(&n->down);
	list_del(&n->up);
	mutex_unlock(&kevent_nest_mutex);
	p->nest = NULL;
	kfree(n);
}

/**
 * kevent_poll_attach_file() - hook a kevent to a file's wait queues
 * @k: the kevent; its id is a file descriptor, its private data a
 *	struct kevent_poll
 * @check: refuses a file the source does not take, with an errno
 *
 * Return: 0, -EBADF for a bad fd, what @check returned, -EPERM if the
 * file cannot be polled, -EOPNOTSUPP for an epoll file, -ELOOP if watching
 * a queue would make a loop, too long a chain or too many chains, -ENOMEM.
 */
int kevent_poll_attach_file(struct kevent *k, int (*check)(struct file *file))
{
	struct kevent_poll *p = kevent_priv(k);
	struct kevent_poll_table kpt = { .k = k };
	struct kevent_user *inner;
	struct file *file;
	int err;

	file = kevent_file_get(&p->kf, k);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = check ? check(file) : 0;
	if (err)
		goto out_put;
	err = -EPERM;
	if (!file_can_poll(file))
		goto out_put;
	err = -EOPNOTSUPP;
	if (is_file_epoll(file))
		goto out_put;

	inner = kevent_user_from_file(file);
	if (inner) {
		err = kevent_nest_link(p, inner);
		if (err)
			goto out_put;
	}

	init_poll_funcptr(&kpt.pt, kevent_poll_queue_proc);
	kpt.pt._key = kevent_poll_mask(k);
	vfs_poll(file, &kpt.pt);
	err = kpt.err;
	if (err)
		goto out_unhook;
	err = kevent_file_watch(&p->kf);
	if (err)
		goto out_unhook;
	return 0;

out_unhook:
	kevent_poll_unhook(p);
	kevent_nest_unlink(p);
out_put:
	kevent_file_put(&p->kf, false);
	return err;
}

/**
 * kevent_poll_detach() - undo kevent_poll_attach_file()
 * @k: the kevent
 */
void kevent_poll_detach(struct kevent *k)
{
	struct kevent_poll *p = kevent_priv(k);

	kevent_poll_unhook(p);
	kevent_nest_unlink(p);
	kevent_file_put(&p->kf, true);
}

/**
 * kevent_poll_report() - what the file's ->poll() says, as far as asked
 * @k: the kevent
 * @out: its event is set to the ready bits
 *
 * Return: whether any bit asked for, or ERR or HUP, is set.
 */
bool kevent_poll_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_poll *p = kevent_priv(k);
	__poll_t mask;

	mask = vfs_poll(p->kf.file, NULL);
	/* A freed wait queue will not tell us more: a hangup. */
	if (READ_ONCE(p->freed))
		mask |= EPOLLHUP;
	mask &= kevent_poll_mask(k);
	if (!mask)
		return false;
	out->event = (__force u32)mask;
	return true;
}

static int kevent_poll_attach(struct kevent *k)
{
	return kevent_poll_attach_file(k, NULL);
}

const struct kevent_ops kevent_poll_ops = {
	.priv_size	= sizeof(struct kevent_poll),
	.extra_size	= KEVENT_POLL_EXTRA_SIZE,
	.fd_based	= true,
	.event_mask	= KEVENT_POLL_EVENTS,
	.attach		= kevent_poll_attach,
	.detach		= kevent_poll_detach,
	.report		= kevent_poll_report,
};
