// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: one kernel event queue for every kind of event.
 *
 * Overview
 * --------
 *
 * A queue (struct kevent_user) is the object behind a kevent file
 * descriptor.  It holds the registrations (struct kevent) made with
 * kevent_ctl() or kevent_wait(), keyed by (type, id, owner) in an rbtree,
 * and a ready list of the registrations that have something to report.
 * The owner is NULL for registrations that belong to the queue (user
 * events, timers) and the registering process's files or signal_struct for
 * those that watch something of a process: a queue shared by fork() or
 * SCM_RIGHTS holds each process's fd 5 apart.
 *
 * Each event type has one source, a struct kevent_ops in kevent_sources[]
 * below, implemented in a file of its own.  A source attaches a kevent to
 * whatever produces its events and calls kevent_ready() when something
 * happens.  kevent_ready() puts the kevent on the ready list, at most once,
 * and wakes one waiter (all of them for KEVENT_REQ_WAKEUP_ALL).  Because a
 * kevent is queued at most once, the ready list never holds more entries
 * than there are registrations: it cannot overflow and no event is lost.
 *
 * kevent_wait() takes kevents off the ready list and asks their source to
 * ->report() what happened, copies the result to user space, lets the
 * source ->consume() it, and then, depending on the request flags:
 * removes the kevent (oneshot), disables it (dispatch), keeps it on the
 * call's held list (level-triggered, the default: it goes back on the
 * ready list when the call returns, so that each call reports it once;
 * meanwhile no other call or poller sees it) or
 * leaves it until its source signals again (edge-triggered).  A kevent
 * whose source has nothing to report is dropped from the ready list;
 * spurious kevent_ready() calls are harmless.
 *
 * kevent_wait() sleepers wait exclusively: an event wakes one of them, and
 * only one whose min_nr can be met.  A call that leaves kevents ready
 * behind when it returns, its own level-triggered ones included, passes
 * the wakeup on.  Pollers of the queue fd (poll, select, epoll, io_uring,
 * another kevent queue) wait apart and are woken from an irq_work, once
 * for all the events that come before it runs: see kevent_wake_locked().
 *
 * Locking
 * -------
 *
 * From outer to inner; a lock is only taken while holding locks above it:
 *
 *   seq_file.lock (the queue fd's fdinfo), pipe->mutex (spliced into)
 *   cred_guard_mutex (exec, see process.c)
 *     kevent_user.mutex
 *       kevent_nest_mutex (poll.c)
 *       cpus_read_lock, jump_label_mutex (a source's static key, once)
 *       fs_reclaim (allocations of a registration)
 *       a futex hash bucket lock (futex.c)
 *       an fsnotify group's mark_mutex, and what adding or removing a mark
 *       takes (inode.c)
 *       whatever a watched file's ->poll() takes, on ADD and on delivery
 *       sk_receive_queue.lock (socket.c reports the bytes queued)
 *       what a socket's recvmsg and sendmsg take (lock_sock, an AF_UNIX
 *       socket's iolock) and, for a network AIO SENDFILE, what reading
 *       its file takes and the task's splice pipe (naio.c moves data)
 *       the locks a source takes to hook up or unhook a registration:
 *         kevent_files_lock (file.c)
 *         kevent_process.lock (process.c)
 *         kevent_storage.lock
 *         a watched file's wait queue lock
 *         pid->wait_pidfd.lock (proc.c)
 *         a timer's hrtimer base lock (timer.c: cancel and start)
 *         a POSIX timer's it_lock (posix_timer.c), and inside it, when
 *         the timer is re-armed on report, its hrtimer base lock or, for
 *         a CPU timer, the siglock of its process
 *     tasklist_lock (the process source is woken with it held)
 *     siglock (the signal source is woken with it held)
 *       whatever a source holds when it calls kevent_ready(): a storage,
 *       a list or a wait queue lock, a timer's base lock, the
 *       kevent_user.poll_wait.lock of a watched queue (poll.c), an
 *       inode mark's lock (inode.c, also taken under kevent_user.mutex
 *       to report), inside what the VFS holds when it reports a change
 *       (the inode locks of a rename, unlink or write)
 *         kevent_user.wq.lock
 *           the lock of a sleeper's task, which it wakes
 *
 *   kevent_user.poll_wait.lock (alone, or in poll_wait() under what the
 *   poller holds; held while poll_work wakes the pollers)
 *     the locks of the pollers it wakes: epoll's ep->lock, ...
 *     the kevent_user.wq.lock of a queue watching this one
 *
 * kevent_user.mutex is a mutex because registration calls into sources
 * that may sleep.  It protects the tree, each kevent's ukevent and the
 * sources' report/consume state.  As epoll's ep->mtx, it is held around a
 * watched file's ->poll() while an event is delivered; the copy of the
 * event to user space is done with page faults disabled, and a page that
 * must be faulted in is faulted in after the mutex is dropped, so that a
 * stalled fault (userfaultfd) does not hold the queue while it delivers.
 * An ADD faults in what its source reads before it takes the mutex
 * (->prepare, a futex's word) and reads it with page faults disabled.
 *
 * kevent_user.wq.lock is the spinlock of the wait queue.  It also protects
 * the ready list and kevent.state, so that the condition a waiter or a
 * poller checks and the wakeup are under one lock and no barrier is
 * needed.  It is taken with interrupts disabled because sources may call
 * kevent_ready() from hard interrupt context (timers).
 *
 * A queue may watch another queue (poll.c).  Its pollers are woken from
 * poll_work, never under the wq.lock of the queue, so one queue's wq.lock
 * is never taken inside another's and the locks of a chain of queues do
 * not nest.
 *
 * Registrations are removed from outside the queue by
 *
 *   the close of their file descriptor (file.c),
 *   the exec and the exit of their process (process.c),
 *   timer_delete() (posix_timer.c).
 *
 * These take a reference on the queue under the source's lock, drop the
 * lock, and remove the registration by its key under kevent_user.mutex:
 * kevent_remove_if() and kevent_reap().
 */

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <linux/uaccess.h>

#include "kevent.h"

/* The sources by type; a source that is configured out is NULL. */
static const struct kevent_ops *const kevent_sources[KEVENT_TYPE_INODE + 1] = {
	[KEVENT_TYPE_USER]	= &kevent_user_event_ops,
#ifdef CONFIG_NET
	[KEVENT_TYPE_SOCKET]	= &kevent_socket_ops,
#endif
	[KEVENT_TYPE_PIPE]	= &kevent_pipe_ops,
	[KEVENT_TYPE_POLL]	= &kevent_poll_ops,
	[KEVENT_TYPE_TIMER]	= &kevent_timer_ops,
	[KEVENT_TYPE_SIGNAL]	= &kevent_signal_ops,
	[KEVENT_TYPE_PROC]	= &kevent_proc_ops,
#ifdef CONFIG_FUTEX
	[KEVENT_TYPE_FUTEX]	= &kevent_futex_ops,
#endif
#ifdef CONFIG_POSIX_TIMERS
	[KEVENT_TYPE_POSIX_TIMER] = &kevent_posix_timer_ops,
#endif
#ifdef CONFIG_NET
	[KEVENT_TYPE_NAIO]	= &kevent_naio_ops,
#endif
#ifdef CONFIG_INOTIFY_USER
	[KEVENT_TYPE_INODE]	= &kevent_inode_ops,
#endif
};

#define KEVENT_REQ_FLAGS	(KEVENT_REQ_ONESHOT | KEVENT_REQ_ET | \
				 KEVENT_REQ_DISPATCH | KEVENT_REQ_WAKEUP_ALL)

/* Upper bound for fs.kevent.max_user_kevents, see kevent_setup() */
static unsigned long max_user_kevents __read_mostly;

#ifdef CONFIG_SYSCTL
static struct ctl_table kevent_sysctls[] = {
	{
		.procname	= "max_user_kevents",
		.data		= &max_user_kevents,
		.maxlen		= sizeof(max_user_kevents),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
};
#endif

static bool kevent_charge(struct user_struct *user)
{
	if (atomic_long_inc_return(&user->kevents) <= READ_ONCE(max_user_kevents))
		return true;
	atomic_long_dec(&user->kevents);
	return false;
}

static void kevent_uncharge(struct user_struct *user)
{
	atomic_long_dec(&user->kevents);
}

/*
 * Wake one sleeper, or all sleepers, and the pollers.
 *
 * The pollers are woken from an irq_work, once for all the events that
 * come before it runs.  One event of a source may make ready many kevents
 * of one queue (the registrations of one file through many descriptors, or
 * of many queues it watches) and reach many more through the queues that
 * watch it: woken here, the pollers of each queue would be woken once per
 * path, all with interrupts off.  Deferred, the pollers of a queue are
 * woken once per run of its irq_work, and the irq_works that the wakeups
 * of one run queue are run by the next interrupt: with queues watching
 * queues, an interrupt does at most one callback per registration of the
 * level it wakes.
 *
 * An epoll watching many queues is another matter: it wakes its own
 * pollers at every callback, and its path limits count from each file, so
 * n queues that share a source cost n times the paths above that epoll.
 * That is epoll's rule for any n files that share a wait queue (a FIFO
 * opened n times, n signalfds of one process).
 */
static void kevent_wake_locked(struct kevent_user *ku, bool all)
{
	lockdep_assert_held(&ku->wq.lock);

	/* ku->wq.lock held: no barrier needed before waitqueue_active() */
	if (waitqueue_active(&ku->wq))
		__wake_up_locked(&ku->wq, TASK_NORMAL, all ? 0 : 1);
	/* Nor here: kevent_poll() takes it after it queued a poller. */
	if (waitqueue_active(&ku->poll_wait))
		irq_work_queue(&ku->poll_work);
}

static void kevent_poll_work(struct irq_work *work)
{
	struct kevent_user *ku = container_of(work, struct kevent_user,
					      poll_work);

	wake_up_poll(&ku->poll_wait, EPOLLIN | EPOLLRDNORM);
}

static void kevent_queue_locked(struct kevent_user *ku, struct kevent *k)
{
	lockdep_assert_held(&ku->wq.lock);

	k->ready_seq++;
	if (k->state & (KEVENT_QUEUED | KEVENT_DISABLED))
		return;
	k->state |= KEVENT_QUEUED;
	list_add_tail(&k->ready_entry, &ku->ready);
	ku->nr_ready++;
	/* req_flags may change under ku->mutex, which we do not hold */
	kevent_wake_locked(ku, READ_ONCE(k->uk.req_flags) & KEVENT_REQ_WAKEUP_ALL);
}

static void kevent_unqueue_locked(struct kevent_user *ku, struct kevent *k)
{
	lockdep_assert_held(&ku->wq.lock);

	if (!(k->state & KEVENT_QUEUED))
		return;
	list_del_init(&k->ready_entry);
	if (!(k->state & KEVENT_HELD))
		ku->nr_ready--;
	k->state &= ~(KEVENT_QUEUED | KEVENT_HELD);
}

/**
 * kevent_ready() - report activity on a kevent's source
 * @k: the kevent
 *
 * Puts @k on its queue's ready list unless it is already there or
 * disabled, and wakes a waiter.  Safe from any context, including hard
 * interrupts; does not sleep or allocate.  What is reported is decided
 * later by the source's ->report(), so calling this when nothing changed
 * costs a wakeup but is otherwise harmless.
 */
void kevent_ready(struct kevent *k)
{
	struct kevent_user *ku = k->ku;
	unsigned long flags;

	spin_lock_irqsave(&ku->wq.lock, flags);
	kevent_queue_locked(ku, k);
	spin_unlock_irqrestore(&ku->wq.lock, flags);
}

/**
 * kevent_storage_init() - initialise an empty storage
 * @st: the storage
 */
void kevent_storage_init(struct kevent_storage *st)
{
	spin_lock_init(&st->lock);
	INIT_HLIST_HEAD(&st->list);
	INIT_LIST_HEAD(&st->naio_recv);
	INIT_LIST_HEAD(&st->naio_send);
}

/**
 * kevent_storage_get() - the storage an object points to, made on first use
 * @slot: the object's pointer to its storage, NULL until then
 *
 * For objects that carry a storage only once they are watched.  The
 * storage is published with a fully ordered cmpxchg(): readers load
 * @slot with smp_load_acquire() and see it initialised.  May sleep.
 *
 * Return: the storage, or NULL without memory.
 */
struct kevent_storage *kevent_storage_get(struct kevent_storage **slot)
{
	struct kevent_storage *st, *old;

	/* Pairs with the cmpxchg() below: see an initialised storage. */
	st = smp_load_acquire(slot);
	if (st)
		return st;
	st = kmalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return NULL;
	kevent_storage_init(st);
	/* Fully ordered: publishes the initialised storage. */
	old = cmpxchg(slot, NULL, st);
	if (old) {
		kfree(st);
		return old;
	}
	return st;
}

/**
 * kevent_storage_free() - free a storage made by kevent_storage_get()
 * @st: the storage, or NULL
 *
 * Called when the object that carries it is freed; every kevent must be
 * gone from it.
 */
void kevent_storage_free(struct kevent_storage *st)
{
	if (!st)
		return;
	WARN_ON_ONCE(!hlist_empty(&st->list) || !list_empty(&st->naio_recv) ||
		     !list_empty(&st->naio_send));
	kfree(st);
}

/**
 * kevent_storage_add() - put a kevent in a storage
 * @st: the storage
 * @e: the kevent's entry, in its private data
 * @k: the kevent
 */
void kevent_storage_add(struct kevent_storage *st,
			struct kevent_storage_entry *e, struct kevent *k)
{
	unsigned long flags;

	e->k = k;
	spin_lock_irqsave(&st->lock, flags);
	hlist_add_head(&e->node, &st->list);
	spin_unlock_irqrestore(&st->lock, flags);
}

/**
 * kevent_storage_del() - take a kevent out of its storage
 * @st: the storage
 * @e: the kevent's entry
 *
 * After return, kevent_storage_notify() does not reach the kevent.
 */
void kevent_storage_del(struct kevent_storage *st,
			struct kevent_storage_entry *e)
{
	unsigned long flags;

	spin_lock_irqsave(&st->lock, flags);
	hlist_del(&e->node);
	spin_unlock_irqrestore(&st->lock, flags);
}

/**
 * kevent_storage_notify() - events may have happened on a storage's object
 * @st: the storage
 * @events: what may have happened, in the bits of the source's event field
 *
 * Makes ready every kevent of @st that asked for one of @events, or whose
 * source always reports one of them.  Any context; does not sleep or
 * allocate.
 */
void kevent_storage_notify(struct kevent_storage *st, u32 events)
{
	struct kevent_storage_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&st->lock, flags);
	hlist_for_each_entry(e, &st->list, node) {
		/* event may change under kevent_user.mutex, not held here */
		if (events & (READ_ONCE(e->k->uk.event) | e->k->ops->always))
			kevent_ready(e->k);
	}
	spin_unlock_irqrestore(&st->lock, flags);
}

/*
 * A registration on a file descriptor whose descriptor no longer names its
 * file, closed by a thread whose close hook has not run yet: it is already
 * gone for user space.
 */
static bool kevent_stale(struct kevent *k)
{
	return k->ops->fd_based && kevent_file_stale(k);
}

/* An event of @k as a report starts: the registration, nothing fired yet */
static void kevent_prepare(const struct kevent *k, struct ukevent *out)
{
	*out = (struct ukevent){
		.id		= k->uk.id,
		.udata		= k->uk.udata,
		.type		= k->uk.type,
		.req_flags	= k->uk.req_flags,
		.param		= { k->uk.param[0], k->uk.param[1] },
	};
}

/*
 * Queue @k if its source has something to report now, take it off the
 * ready list if not: unless the source called kevent_ready() since
 * ->report() looked, for what it did not see (a timer that fired in
 * between) is not to be taken back.
 */
static void kevent_check_ready(struct kevent_user *ku, struct kevent *k)
{
	struct ukevent tmp;
	unsigned int seq;
	bool ready;

	lockdep_assert_held(&ku->mutex);

	spin_lock_irq(&ku->wq.lock);
	seq = k->ready_seq;
	spin_unlock_irq(&ku->wq.lock);
	kevent_prepare(k, &tmp);
	ready = k->ops->report(k, &tmp);
	spin_lock_irq(&ku->wq.lock);
	if (ready)
		kevent_queue_locked(ku, k);
	else if (!(k->state & KEVENT_HELD) && k->ready_seq == seq)
		kevent_unqueue_locked(ku, k);
	spin_unlock_irq(&ku->wq.lock);
}

static int kevent_cmp(u32 type, u64 id, void *owner, const struct kevent *k)
{
	if (type != k->uk.type)
		return type < k->uk.type ? -1 : 1;
	if (id != k->uk.id)
		return id < k->uk.id ? -1 : 1;
	if (owner != k->owner)
		return (unsigned long)owner < (unsigned long)k->owner ? -1 : 1;
	return 0;
}

static struct kevent *kevent_lookup(struct kevent_user *ku, u32 type, u64 id,
				    void *owner)
{
	struct rb_node *n = ku->tree.rb_node;

	lockdep_assert_held(&ku->mutex);

	while (n) {
		struct kevent *k = rb_entry(n, struct kevent, node);
		int c = kevent_cmp(type, id, owner, k);

		if (!c)
			return k;
		n = c < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

static void kevent_insert(struct kevent_user *ku, struct kevent *new)
{
	struct rb_node **p = &ku->tree.rb_node, *parent = NULL;

	while (*p) {
		struct kevent *k = rb_entry(*p, struct kevent, node);

		parent = *p;
		if (kevent_cmp(new->uk.type, new->uk.id, new->owner, k) < 0)
			p = &parent->rb_left;
		else
			p = &parent->rb_right;
	}
	rb_link_node(&new->node, parent, p);
	rb_insert_color(&new->node, &ku->tree);
	ku->nr_kevents++;
}

/* Copy what user space may change with ADD and MODIFY. */
static void kevent_set_request(struct kevent *k, const struct ukevent *uk)
{
	/* Source callbacks read event and req_flags without ku->mutex. */
	k->uk.udata = uk->udata;
	WRITE_ONCE(k->uk.event, uk->event);
	WRITE_ONCE(k->uk.req_flags, uk->req_flags);
	memcpy(k->uk.param, uk->param, sizeof(k->uk.param));
}

static void kevent_remove(struct kevent_user *ku, struct kevent *k)
{
	lockdep_assert_held(&ku->mutex);

	rb_erase(&k->node, &ku->tree);
	ku->nr_kevents--;
	if (k->ops->detach)
		k->ops->detach(k);

	spin_lock_irq(&ku->wq.lock);
	kevent_unqueue_locked(ku, k);
	spin_unlock_irq(&ku->wq.lock);

	kfree_rcu(k, rcu);
	kevent_uncharge(ku->user);
}

/* The owner a registration of @ops made by the current task has */
static void *kevent_owner(const struct kevent_ops *ops)
{
	if (ops->fd_based)
		return current->files;
	if (ops->per_process)
		return current->signal;
	return NULL;
}

/*
 * The registration (type, id, owner), if it exists for user space: a stale
 * one found on the way is removed, as its close hook is about to do.
 */
static struct kevent *kevent_find(struct kevent_user *ku, u32 type, u64 id,
				  void *owner)
{
	struct kevent *k = kevent_lookup(ku, type, id, owner);

	if (k && kevent_stale(k)) {
		kevent_remove(ku, k);
		return NULL;
	}
	return k;
}

static int kevent_add(struct kevent_user *ku, const struct kevent_ops *ops,
		      const struct ukevent *uk, void *owner,
		      const void *priv, size_t len)
{
	struct kevent *k;
	int err;

	err = -EEXIST;
	if (kevent_find(ku, uk->type, uk->id, owner))
		goto out_unprepare;
	err = -ENOSPC;
	if (!kevent_charge(ku->user))
		goto out_unprepare;

	err = -ENOMEM;
	k = kzalloc(sizeof(*k) + ops->priv_size, GFP_KERNEL_ACCOUNT);
	if (!k)
		goto out_uncharge;
	INIT_LIST_HEAD(&k->ready_entry);
	k->ku = ku;
	k->ops = ops;
	k->owner = owner;
	k->uk.type = uk->type;
	k->uk.id = uk->id;
	kevent_set_request(k, uk);
	if (len)
		memcpy(k->priv + ops->prep_offset, priv, len);

	if (ops->attach) {
		err = ops->attach(k);
		if (err)
			goto out_free;
	}
	kevent_insert(ku, k);
	kevent_check_ready(ku, k);
	return 0;

out_free:
	/* The source may have called kevent_ready() before it failed. */
	spin_lock_irq(&ku->wq.lock);
	kevent_unqueue_locked(ku, k);
	spin_unlock_irq(&ku->wq.lock);
	/* It may have been visible to RCU readers of the source, too. */
	kfree_rcu(k, rcu);
	/* ->attach() released what ->prepare() took. */
	kevent_uncharge(ku->user);
	return err;

out_uncharge:
	kevent_uncharge(ku->user);
out_unprepare:
	if (len && ops->unprepare)
		ops->unprepare((void *)priv);
	return err;
}

/**
 * kevent_remove_if() - remove a registration if it still matches
 * @ku: the queue
 * @type: the registration's type
 * @id: its id
 * @owner: and its owner
 * @match: called with kevent_user.mutex held; remove only if it is true
 * @arg: passed to @match
 *
 * For sources that must remove a registration from outside kevent_ctl(),
 * such as the close hook in file.c.  May sleep.
 */
void kevent_remove_if(struct kevent_user *ku, u32 type, u64 id, void *owner,
		      bool (*match)(struct kevent *k, void *arg), void *arg)
{
	struct kevent *k;

	mutex_lock(&ku->mutex);
	k = kevent_lookup(ku, type, id, owner);
	if (k && match(k, arg))
		kevent_remove(ku, k);
	mutex_unlock(&ku->mutex);
}

/* The registration a kevent_reap() took off, and what confirms it */
struct kevent_victim {
	struct kevent	*k;
	bool		(*match)(struct kevent *k);
};

static bool kevent_victim_match(struct kevent *k, void *arg)
{
	struct kevent_victim *v = arg;

	/* @k is alive: found under the queue's mutex.  v->k may not be. */
	return k == v->k && (!v->match || v->match(k));
}

/**
 * kevent_reap() - remove the registrations on a list taken from an object
 * @list: struct kevent_storage_entry nodes, moved there under @lock
 * @lock: the lock of the object's lists, which the sources' ->detach
 *	takes to unlink an entry with hlist_del_init()
 * @irq: @lock is taken with interrupts off
 * @match: if not NULL, called with kevent_user.mutex held on a registration
 *	that is still the one taken off; remove it only if it is true
 *
 * For the close of a file descriptor and the exec or exit of a process:
 * the object's lock is held only to take one entry at a time off @list,
 * and each registration is then removed by its key, as by
 * kevent_remove_if(), if it is the very kevent that was taken off: what
 * was taken off is removed whatever happened meanwhile.  Every entry is
 * looked at once.  May sleep.
 */
void kevent_reap(struct hlist_head *list, spinlock_t *lock, bool irq,
		 bool (*match)(struct kevent *k))
{
	struct kevent_victim v = { .match = match };
	struct kevent_storage_entry *e;
	struct kevent_user *ku;
	void *owner;
	u32 type;
	u64 id;

	for (;;) {
		if (irq)
			spin_lock_irq(lock);
		else
			spin_lock(lock);
		e = hlist_entry_safe(list->first, struct kevent_storage_entry,
				     node);
		if (e) {
			hlist_del_init(&e->node);
			/* Listed, so registered: its queue is alive, keep it so. */
			v.k = e->k;
			ku = v.k->ku;
			kevent_user_get(ku);
			type = v.k->uk.type;
			id = v.k->uk.id;
			owner = v.k->owner;
		}
		if (irq)
			spin_unlock_irq(lock);
		else
			spin_unlock(lock);
		if (!e)
			return;

		kevent_remove_if(ku, type, id, owner, kevent_victim_match, &v);
		kevent_user_put(ku);
		cond_resched();
	}
}

/**
 * kevent_add_kernel() - add a registration on behalf of the kernel
 * @ku: the queue
 * @uk: the registration, of a source with ->kernel_add
 * @owner: its owner
 * @priv: the first @len bytes of its private data, for ->attach
 * @len: their size
 *
 * For sources whose registrations another system call makes, such as
 * timer_create() with SIGEV_KEVENT.  May sleep.
 *
 * Return: 0, -EEXIST if @ku has a registration with the same key,
 * -ENOSPC past the user's limit, -ENOMEM, or an error of ->attach.
 */
int kevent_add_kernel(struct kevent_user *ku, const struct ukevent *uk,
		      void *owner, const void *priv, size_t len)
{
	const struct kevent_ops *ops = kevent_sources[uk->type];
	int err;

	if (WARN_ON_ONCE(!ops || !ops->kernel_add || len > ops->priv_size))
		return -EINVAL;
	mutex_lock(&ku->mutex);
	err = kevent_add(ku, ops, uk, owner, priv, len);
	mutex_unlock(&ku->mutex);
	return err;
}

/* Report again: MODIFY and ENABLE */
static void kevent_enable(struct kevent_user *ku, struct kevent *k)
{
	spin_lock_irq(&ku->wq.lock);
	k->state &= ~KEVENT_DISABLED;
	spin_unlock_irq(&ku->wq.lock);

	kevent_check_ready(ku, k);
}

static void kevent_disable(struct kevent_user *ku, struct kevent *k)
{
	spin_lock_irq(&ku->wq.lock);
	k->state |= KEVENT_DISABLED;
	/* A held one stays held: its call reported it, it drops it. */
	if (!(k->state & KEVENT_HELD))
		kevent_unqueue_locked(ku, k);
	spin_unlock_irq(&ku->wq.lock);
}

static int kevent_modify(struct kevent_user *ku, struct kevent *k,
			 const struct ukevent *uk)
{
	if (k->ops->modify) {
		int err = k->ops->modify(k, uk);

		if (err)
			return err;
	}
	kevent_set_request(k, uk);
	kevent_enable(ku, k);
	return 0;
}

/* Validate what every command has in common; returns the source. */
static const struct kevent_ops *kevent_validate(const struct ukevent *uk)
{
	const struct kevent_ops *ops;

	if (!uk->type || uk->type >= ARRAY_SIZE(kevent_sources))
		return ERR_PTR(-EINVAL);
	if (uk->cmd < KEVENT_CTL_ADD || uk->cmd > KEVENT_CTL_DISABLE)
		return ERR_PTR(-EINVAL);
	if (uk->reserved || (uk->req_flags & ~KEVENT_REQ_FLAGS))
		return ERR_PTR(-EINVAL);
	if ((uk->req_flags & KEVENT_REQ_ONESHOT) &&
	    (uk->req_flags & KEVENT_REQ_DISPATCH))
		return ERR_PTR(-EINVAL);

	ops = kevent_sources[uk->type];
	if (!ops)
		return ERR_PTR(-EOPNOTSUPP);

	switch (uk->cmd) {
	case KEVENT_CTL_ADD:
		if (ops->kernel_add)
			return ERR_PTR(-EINVAL);
		fallthrough;
	case KEVENT_CTL_MODIFY:
		if (uk->event & ~ops->event_mask)
			return ERR_PTR(-EINVAL);
		break;
	case KEVENT_CTL_POST:
		if (!ops->post)
			return ERR_PTR(-EINVAL);
		fallthrough;
	default:
		/* REMOVE, ENABLE, DISABLE: only (type, id) counts */
		return ops;
	}

	if (ops->check) {
		int err = ops->check(uk);

		return err ? ERR_PTR(err) : ops;
	}
	/* Sources without ->check take no parameters. */
	if (uk->param[0] || uk->param[1])
		return ERR_PTR(-EINVAL);
	return ops;
}

/*
 * An ADD.  What may fault or sleep for long, a source does in ->prepare()
 * before the mutex is taken; its ->attach() then works with page faults
 * disabled and fails with -EFAULT if the page went meanwhile: prepare
 * again, which faults it back in, or fails.
 */
static int kevent_ctl_add(struct kevent_user *ku, const struct kevent_ops *ops,
			  const struct ukevent *uk, void *owner)
{
	u64 prep[KEVENT_PREP_SIZE / sizeof(u64)] = {};
	int err;

	for (;;) {
		if (ops->prepare) {
			err = ops->prepare(uk, prep);
			if (err)
				return err;
		}
		mutex_lock(&ku->mutex);
		err = kevent_add(ku, ops, uk, owner, prep,
				 ops->prepare ? ops->prep_size : 0);
		mutex_unlock(&ku->mutex);
		if (err != -EFAULT || !ops->prepare)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

/**
 * kevent_ctl_entry() - apply one change to a queue
 * @ku: the queue
 * @uk: the change, in kernel memory; its cmd says what to do
 *
 * Either applies the change completely or fails leaving the queue as it
 * was, but for one thing: a change that names a registration whose file
 * descriptor was closed removes it, as the close hook is about to, and
 * fails with -ENOENT.
 *
 * Return: 0 or a negative errno.
 */
int kevent_ctl_entry(struct kevent_user *ku, const struct ukevent *uk)
{
	const struct kevent_ops *ops;
	struct kevent *k;
	void *owner;
	int err = 0;

	ops = kevent_validate(uk);
	if (IS_ERR(ops))
		return PTR_ERR(ops);
	owner = kevent_owner(ops);

	if (uk->cmd == KEVENT_CTL_ADD)
		return kevent_ctl_add(ku, ops, uk, owner);

	mutex_lock(&ku->mutex);

	k = kevent_find(ku, uk->type, uk->id, owner);
	if (!k) {
		err = -ENOENT;
		goto out;
	}

	switch (uk->cmd) {
	case KEVENT_CTL_REMOVE:
		if (ops->cancel && ops->cancel(k))
			kevent_enable(ku, k);
		else
			kevent_remove(ku, k);
		break;
	case KEVENT_CTL_MODIFY:
		err = kevent_modify(ku, k, uk);
		break;
	case KEVENT_CTL_POST:
		err = ops->post(k, uk);
		break;
	case KEVENT_CTL_ENABLE:
		kevent_enable(ku, k);
		break;
	case KEVENT_CTL_DISABLE:
		kevent_disable(ku, k);
		break;
	}
out:
	mutex_unlock(&ku->mutex);
	return err;
}

/**
 * struct kevent_call - one kevent_wait() call
 * @events: the user array the events go to
 * @got: events written to it
 * @held: the level-triggered kevents reported by this call, each with
 *	KEVENT_QUEUED | KEVENT_HELD, back on the ready list when it returns.
 *	Only its removal takes a kevent off this list before: while the call
 *	waits for more, nothing else may put a kevent it reported back on the
 *	ready list, or the call would report it twice.
 */
struct kevent_call {
	const struct kevent_batch	*events;
	unsigned int			got;
	struct list_head		held;
};

/* Zeroes for the part of a user's struct ukevent this kernel does not know */
static const u8 kevent_zero_tail[256 - sizeof(struct ukevent)];

static void __user *kevent_slot(const struct kevent_batch *b, unsigned int i)
{
	return b->uptr + (size_t)i * b->size;
}

/* Write an event without faulting: 0, or -EFAULT to fault its page in. */
static int kevent_put_nofault(const struct kevent_batch *b, unsigned int i,
			      const struct ukevent *out)
{
	void __user *dst = kevent_slot(b, i);

	if (copy_to_user_nofault(dst, out, sizeof(*out)))
		return -EFAULT;
	if (b->size > sizeof(*out) &&
	    copy_to_user_nofault(dst + sizeof(*out), kevent_zero_tail,
				 b->size - sizeof(*out)))
		return -EFAULT;
	return 0;
}

static int kevent_put(const struct kevent_batch *b, unsigned int i,
		      const struct ukevent *out)
{
	void __user *dst = kevent_slot(b, i);

	if (copy_to_user(dst, out, sizeof(*out)))
		return -EFAULT;
	if (b->size > sizeof(*out) &&
	    clear_user(dst + sizeof(*out), b->size - sizeof(*out)))
		return -EFAULT;
	return 0;
}

/*
 * @k was reported by @c: apply its request flags.  Level-triggered kevents
 * are held by the call, and checked again by the next one.
 */
static void kevent_reported(struct kevent_user *ku, struct kevent *k,
			    struct kevent_call *c)
{
	u32 flags = k->uk.req_flags;

	if (flags & KEVENT_REQ_ONESHOT) {
		kevent_remove(ku, k);
		return;
	}

	spin_lock_irq(&ku->wq.lock);
	if (flags & KEVENT_REQ_DISPATCH) {
		k->state |= KEVENT_DISABLED;
		kevent_unqueue_locked(ku, k);
	} else if (!(flags & KEVENT_REQ_ET)) {
		/* Queued again meanwhile: this call has reported it. */
		kevent_unqueue_locked(ku, k);
		k->state |= KEVENT_QUEUED | KEVENT_HELD;
		list_add_tail(&k->ready_entry, &c->held);
	}
	spin_unlock_irq(&ku->wq.lock);
}

/*
 * Report ready kevents to @c until its array is full or none is left.
 * Returns 0, -EFAULT if the array cannot be written (a kevent whose copy
 * failed stays ready with its state untouched), or -EINTR if a signal came
 * while a source had more work to do.
 */
static int kevent_deliver(struct kevent_user *ku, struct kevent_call *c)
{
	const struct kevent_batch *b = c->events;
	bool fault = false;
	struct ukevent out;
	struct kevent *k;
	int err = 0;

again:
	mutex_lock(&ku->mutex);
	while (c->got < b->nr) {
		/* Also when kevents keep coming that report nothing */
		cond_resched();
		spin_lock_irq(&ku->wq.lock);
		k = list_first_entry_or_null(&ku->ready, struct kevent,
					     ready_entry);
		if (k)
			kevent_unqueue_locked(ku, k);
		spin_unlock_irq(&ku->wq.lock);
		if (!k)
			break;
		/* Its fd was closed: the close hook is on its way. */
		if (kevent_stale(k))
			continue;

		kevent_prepare(k, &out);
		if (!k->ops->report(k, &out)) {
			/*
			 * It made itself ready again while reporting: its
			 * source has more work (network AIO moves data in
			 * slices).  Let others at the queue, and a signal
			 * end the call.
			 */
			if (READ_ONCE(k->state) & KEVENT_QUEUED) {
				if (signal_pending(current)) {
					err = -EINTR;
					break;
				}
				mutex_unlock(&ku->mutex);
				cond_resched();
				mutex_lock(&ku->mutex);
			}
			continue;
		}

		if (kevent_put_nofault(b, c->got, &out)) {
			spin_lock_irq(&ku->wq.lock);
			if (!(k->state & KEVENT_QUEUED)) {
				k->state |= KEVENT_QUEUED;
				list_add(&k->ready_entry, &ku->ready);
				ku->nr_ready++;
			}
			spin_unlock_irq(&ku->wq.lock);
			fault = true;
			break;
		}
		c->got++;
		if (k->ops->consume)
			k->ops->consume(k, &out);
		kevent_reported(ku, k, c);
	}
	mutex_unlock(&ku->mutex);

	if (fault) {
		/* Without the queue's mutex: the fault may take its time. */
		if (fault_in_writeable(kevent_slot(b, c->got), b->size))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
		fault = false;
		goto again;
	}
	return err;
}

/*
 * The call returns: its level-triggered kevents go back on the ready list,
 * and whatever is ready is passed on to another waiter.
 */
static void kevent_call_end(struct kevent_user *ku, struct kevent_call *c)
{
	struct kevent *k, *tmp;

	spin_lock_irq(&ku->wq.lock);
	list_for_each_entry_safe(k, tmp, &c->held, ready_entry) {
		k->state &= ~KEVENT_HELD;
		if (k->state & KEVENT_DISABLED) {
			/* Disabled while held: not ready any more */
			list_del_init(&k->ready_entry);
			k->state &= ~KEVENT_QUEUED;
			continue;
		}
		ku->nr_ready++;
	}
	list_splice_tail_init(&c->held, &ku->ready);
	if (ku->nr_ready)
		kevent_wake_locked(ku, false);
	spin_unlock_irq(&ku->wq.lock);
}

struct kevent_waiter {
	struct wait_queue_entry	wq;
	struct kevent_user	*ku;
	unsigned int		need;
	bool			woken;
};

/*
 * Wake a waiter only if it can return: an exclusive wakeup that a waiter
 * refuses goes on to the next one.  A waiter that accepted a wakeup tries
 * delivery even if another took the events meanwhile, so that a wakeup is
 * never lost.  Called with ku->wq.lock held.
 */
static int kevent_wake_function(struct wait_queue_entry *wq, unsigned int mode,
				int sync, void *key)
{
	struct kevent_waiter *w = container_of(wq, struct kevent_waiter, wq);

	if (w->ku->nr_ready < w->need)
		return 0;
	w->woken = true;
	return autoremove_wake_function(wq, mode, sync, key);
}

/*
 * Sleep until @need kevents are ready, a signal arrives or @expires
 * passes.  Returns 0, -EINTR or -ETIMEDOUT.
 */
static int kevent_sleep(struct kevent_user *ku, unsigned int need,
			ktime_t *expires, clockid_t clock)
{
	struct kevent_waiter w = { .ku = ku, .need = need };
	bool timed_out = false;
	int ret = 0;

	init_waitqueue_func_entry(&w.wq, kevent_wake_function);
	w.wq.private = current;
	INIT_LIST_HEAD(&w.wq.entry);

	spin_lock_irq(&ku->wq.lock);
	for (;;) {
		if (w.woken || ku->nr_ready >= need)
			break;
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (timed_out) {
			ret = -ETIMEDOUT;
			break;
		}
		/* Exclusive: an event wakes one sleeper that can return. */
		if (list_empty(&w.wq.entry))
			__add_wait_queue_entry_tail_exclusive(&ku->wq, &w.wq);
		set_current_state(TASK_INTERRUPTIBLE);
		spin_unlock_irq(&ku->wq.lock);

		if (!schedule_hrtimeout_range_clock(expires,
						    current->timer_slack_ns,
						    HRTIMER_MODE_ABS, clock))
			timed_out = true;

		spin_lock_irq(&ku->wq.lock);
	}
	if (!list_empty(&w.wq.entry))
		__remove_wait_queue(&ku->wq, &w.wq);
	spin_unlock_irq(&ku->wq.lock);
	__set_current_state(TASK_RUNNING);
	return ret;
}

/* Has @expires passed on @clock, or is it now? */
static bool kevent_expired(const ktime_t *expires, clockid_t clock)
{
	ktime_t now;

	if (!expires)
		return false;
	switch (clock) {
	case CLOCK_REALTIME:
		now = ktime_get_real();
		break;
	case CLOCK_BOOTTIME:
		now = ktime_get_boottime();
		break;
	default:
		now = ktime_get();
		break;
	}
	return ktime_compare(*expires, now) <= 0;
}

/**
 * kevent_get_change() - read one change of a batch
 * @b: the batch
 * @i: the change's index
 * @uk: where it goes
 *
 * Return: 0, -EFAULT, or -E2BIG if the entry is larger than this kernel's
 * struct ukevent and has a byte that is not zero in the part it does not
 * know; then @uk holds the part it knows.
 */
int kevent_get_change(const struct kevent_batch *b, unsigned int i,
		      struct ukevent *uk)
{
	void __user *src = kevent_slot(b, i);
	int err;

	err = copy_struct_from_user(uk, sizeof(*uk), src, b->size);
	if (err == -E2BIG && copy_from_user(uk, src, sizeof(*uk)))
		err = -EFAULT;
	return err;
}

/*
 * Apply the changes of a kevent_wait() call.  A change that fails is
 * reported in the events array with KEVENT_RET_ERROR, as kqueue does, if
 * there is room; if not, the call fails with its errno.  Returns 0 or a
 * negative errno.
 */
static int kevent_apply_changes(struct kevent_user *ku,
				const struct kevent_batch *changes,
				struct kevent_call *c)
{
	struct ukevent uk;
	unsigned int i;
	int err;

	for (i = 0; i < changes->nr; i++) {
		if (i && fatal_signal_pending(current))
			return -EINTR;
		err = kevent_get_change(changes, i, &uk);
		if (err == -EFAULT)
			return err;
		if (!err)
			err = kevent_ctl_entry(ku, &uk);
		if (err) {
			if (c->got == c->events->nr)
				return err;
			uk.ret_flags = KEVENT_RET_ERROR;
			uk.ret_data = -err;
			if (kevent_put(c->events, c->got, &uk))
				return -EFAULT;
			c->got++;
		}
		cond_resched();
	}
	return 0;
}

/**
 * kevent_wait_events() - apply changes, then wait for and report events
 * @ku: the queue
 * @min_nr: wait until this many events were reported (0: do not wait)
 * @events: the user array for the events, at least @min_nr entries
 * @changes: changes to apply first, as kevent_ctl() applies them
 * @expires: absolute timeout on @clock, or NULL to wait without one
 * @clock: CLOCK_MONOTONIC, CLOCK_REALTIME or CLOCK_BOOTTIME
 * @nonblock: never sleep
 *
 * If a change fails, the call reports it as an event and returns without
 * waiting for others, as kqueue's kevent() does; if there is no room left
 * for it, the call fails with its errno.
 *
 * Return: the number of events reported, which may be less than @min_nr
 * if the timeout passed.  -EINTR if a signal arrived before any event,
 * -EAGAIN if @nonblock and there was none, -EFAULT if @events could not be
 * written or @changes read, or the errno of a change that failed with
 * @events full.
 */
int kevent_wait_events(struct kevent_user *ku, unsigned int min_nr,
		       const struct kevent_batch *events,
		       const struct kevent_batch *changes,
		       ktime_t *expires, clockid_t clock, bool nonblock)
{
	struct kevent_call c = { .events = events };
	int err;

	INIT_LIST_HEAD(&c.held);

	/*
	 * A change that failed with no room to say so fails the call, even
	 * if others were reported: it must not go unnoticed (kqueue).
	 */
	err = kevent_apply_changes(ku, changes, &c);
	if (err)
		return err;
	if (c.got)
		return c.got;

	for (;;) {
		err = kevent_deliver(ku, &c);
		if (err || c.got >= min_nr || c.got == events->nr || nonblock ||
		    kevent_expired(expires, clock))
			break;

		err = kevent_sleep(ku, min_nr - c.got, expires, clock);
		if (err) {
			/* last chance for what arrived meanwhile */
			int derr = kevent_deliver(ku, &c);

			if (derr)
				err = derr;
			else if (err == -ETIMEDOUT)
				err = 0;
			break;
		}
	}
	kevent_call_end(ku, &c);

	if (c.got)
		return c.got;
	if (err)
		return err;
	return nonblock && events->nr ? -EAGAIN : 0;
}

/**
 * kevent_user_get() - take a reference on a queue
 * @ku: the queue
 *
 * Keeps @ku in memory, not its registrations: those go when the queue
 * file is released.
 */
void kevent_user_get(struct kevent_user *ku)
{
	refcount_inc(&ku->ref);
}

/**
 * kevent_user_put() - drop a reference on a queue
 * @ku: the queue
 */
void kevent_user_put(struct kevent_user *ku)
{
	if (!refcount_dec_and_test(&ku->ref))
		return;
	free_uid(ku->user);
	/*
	 * A source callback that unhooked itself without waiting for a lock
	 * the registration's removal takes (POLLFREE, see poll.c) may still
	 * be in kevent_ready(), and the end of poll_work's last run in
	 * irq_work_single(), both under RCU.
	 */
	kfree_rcu(ku, rcu);
}

static int kevent_release(struct inode *inode, struct file *file)
{
	struct kevent_user *ku = file->private_data;
	struct rb_node *n;

	mutex_lock(&ku->mutex);
	while ((n = rb_first(&ku->tree))) {
		kevent_remove(ku, rb_entry(n, struct kevent, node));
		cond_resched();
	}
	mutex_unlock(&ku->mutex);
	kevent_inode_release(ku);

	/*
	 * No poller is left (epoll unhooks itself before the release), so
	 * nothing queues poll_work again; wait for it to have run.  Once it
	 * is not busy, irq_work_single() may still touch it under RCU only,
	 * and the queue is freed after a grace period: no need for
	 * irq_work_sync()'s own on PREEMPT_RT.
	 */
	if (irq_work_is_busy(&ku->poll_work))
		irq_work_sync(&ku->poll_work);
	kevent_user_put(ku);
	return 0;
}

static __poll_t kevent_poll(struct file *file, poll_table *wait)
{
	struct kevent_user *ku = file->private_data;
	unsigned int nr_ready;
	unsigned long flags;

	if (!poll_does_not_wait(wait)) {
		poll_wait(file, &ku->poll_wait, wait);
		/*
		 * kevent_ready() changes nr_ready and looks for pollers
		 * under ku->wq.lock: it sees us on poll_wait, or we see
		 * nr_ready.
		 */
		spin_lock_irqsave(&ku->wq.lock, flags);
		nr_ready = ku->nr_ready;
		spin_unlock_irqrestore(&ku->wq.lock, flags);
	} else {
		nr_ready = READ_ONCE(ku->nr_ready);
	}
	return nr_ready ? EPOLLIN | EPOLLRDNORM : 0;
}

#ifdef CONFIG_PROC_FS
static void kevent_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kevent_user *ku = file->private_data;
	struct rb_node *n;

	mutex_lock(&ku->mutex);
	for (n = rb_first(&ku->tree); n; n = rb_next(n)) {
		struct kevent *k = rb_entry(n, struct kevent, node);

		seq_printf(m, "type:%u id:%llu event:%x flags:%x udata:%llx state:%x",
			   k->uk.type, k->uk.id, k->uk.event, k->uk.req_flags,
			   k->uk.udata, READ_ONCE(k->state));
		if (k->ops->show_fdinfo)
			k->ops->show_fdinfo(k, m);
		seq_putc(m, '\n');
	}
	mutex_unlock(&ku->mutex);
}
#endif

static const struct file_operations kevent_fops = {
	.release	= kevent_release,
	.poll		= kevent_poll,
	.llseek		= noop_llseek,
#ifdef CONFIG_PROC_FS
	.show_fdinfo	= kevent_show_fdinfo,
#endif
};

/**
 * kevent_user_from_file() - the queue behind a file
 * @file: any file
 *
 * Return: the queue if @file is a kevent fd, else NULL.
 */
struct kevent_user *kevent_user_from_file(struct file *file)
{
	return file->f_op == &kevent_fops ? file->private_data : NULL;
}

/**
 * kevent_create() - create a queue and a file descriptor for it
 * @flags: KEVENT_INIT_* flags, already validated
 *
 * Return: the new file descriptor or a negative errno.
 */
int kevent_create(u64 flags)
{
	struct kevent_user *ku;
	int fd, f_flags = O_RDWR;

	if (flags & KEVENT_INIT_CLOEXEC)
		f_flags |= O_CLOEXEC;
	if (flags & KEVENT_INIT_NONBLOCK)
		f_flags |= O_NONBLOCK;

	ku = kzalloc(sizeof(*ku), GFP_KERNEL_ACCOUNT);
	if (!ku)
		return -ENOMEM;
	mutex_init(&ku->mutex);
	ku->tree = RB_ROOT;
	init_waitqueue_head(&ku->wq);
	init_waitqueue_head(&ku->poll_wait);
	init_irq_work(&ku->poll_work, kevent_poll_work);
	INIT_LIST_HEAD(&ku->ready);
	ku->user = get_current_user();
	refcount_set(&ku->ref, 1);
	INIT_LIST_HEAD(&ku->nest_down);
	INIT_LIST_HEAD(&ku->nest_up);

	fd = anon_inode_getfd("[kevent]", &kevent_fops, ku, f_flags);
	if (fd < 0)
		kevent_user_put(ku);
	return fd;
}

/*
 * What a registration may hold at most, in bytes: the kevent with its
 * private data, rounded up to its slab size, and what its source allocates
 * beside it, for the source that needs most.
 */
static size_t __init kevent_cost(void)
{
	size_t cost = 0;
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(kevent_sources); t++) {
		if (kevent_sources[t])
			cost = max(cost, kmalloc_size_roundup(sizeof(struct kevent) +
							      kevent_sources[t]->priv_size) +
					 kevent_sources[t]->extra_size);
	}
	return cost;
}

static int __init kevent_setup(void)
{
	struct sysinfo si;

	BUILD_BUG_ON(sizeof(struct ukevent) != KEVENT_UKEVENT_SIZE_VER0);

	/* Like epoll: registrations may take 4% of low memory per user */
	si_meminfo(&si);
	max_user_kevents = (((si.totalram - si.totalhigh) / 25) << PAGE_SHIFT) /
		kevent_cost();
#ifdef CONFIG_SYSCTL
	register_sysctl("fs/kevent", kevent_sysctls);
#endif
	return 0;
}
fs_initcall(kevent_setup);
