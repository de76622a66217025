// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: one kernel event queue for every kind of event.
 *
 * Overview
 * --------
 *
 * A queue (struct kevent_user) is the object behind a kevent file
 * descriptor.  It holds the registrations (struct kevent) made with
 * kevent_ctl(), keyed by (type, id) in an rbtree, and a ready list of the
 * registrations that have something to report.
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
 * removes the kevent (oneshot), disables it (dispatch), puts it back on
 * the ready list so that it is checked again on the next wait
 * (level-triggered, the default) or leaves it until its source signals
 * again (edge-triggered).  A kevent whose source has nothing to report is
 * dropped from the ready list; spurious kevent_ready() calls are harmless.
 *
 * kevent_wait() sleepers and pollers of the queue fd (poll, select, epoll,
 * another kevent queue) share one wait queue.  Pollers are woken by every
 * event.  Sleepers wait exclusively, queued behind the pollers: an event
 * wakes one of them, and only one whose min_nr can be met.  A sleeper that
 * leaves kevents ready behind on its way out passes the wakeup on.
 *
 * Locking
 * -------
 *
 * From outer to inner:
 *
 *   kevent_user.mutex
 *     kevent_nest_mutex (poll.c), kevent_files_lock (file.c)
 *     source locks (whatever a source holds when it calls kevent_ready():
 *                   kevent_storage.lock, a watched file's wait queue lock)
 *       kevent_user.wq.lock
 *         the locks of pollers woken from it (epoll's ep->lock, the
 *         wq.lock of a queue watching this one, ...)
 *
 * kevent_user.mutex is a mutex because registration calls into sources
 * that may sleep and delivery copies to user space.  It protects the tree,
 * each kevent's ukevent and the sources' report/consume state.
 *
 * kevent_user.wq.lock is the spinlock of the wait queue.  It also protects
 * the ready list and kevent.state, so that the condition a waiter or a
 * poller checks and the wakeup are under one lock and no barrier is
 * needed.  It is taken with interrupts disabled because sources may call
 * kevent_ready() from hard interrupt context (timers).
 *
 * A queue may watch another queue (poll.c); then one queue's wq.lock is
 * taken inside another's.  Chains are at most KEVENT_MAX_NESTS long and
 * loops are refused, and the inner lock is taken with the lockdep
 * subclass the outer one hands down in ->wake_nest, as epoll does.
 */

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <linux/uaccess.h>

#include "kevent.h"

static const struct kevent_ops *const kevent_sources[KEVENT_TYPE_MAX + 1] = {
	[KEVENT_TYPE_USER]	= &kevent_user_event_ops,
	[KEVENT_TYPE_SOCKET]	= &kevent_socket_ops,
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

/* Wake every poller and one sleeper, or all sleepers. */
static void kevent_wake_locked(struct kevent_user *ku, bool all)
{
	lockdep_assert_held(&ku->wq.lock);

	/* ku->wq.lock held: no barrier needed before waitqueue_active() */
	if (waitqueue_active(&ku->wq))
		__wake_up_locked(&ku->wq, TASK_NORMAL, all ? 0 : 1);
}

static void kevent_queue_locked(struct kevent_user *ku, struct kevent *k)
{
	lockdep_assert_held(&ku->wq.lock);

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
	k->state &= ~KEVENT_QUEUED;
	list_del_init(&k->ready_entry);
	ku->nr_ready--;
}

/**
 * kevent_ready_nested() - report activity on a kevent's source, nested
 * @k: the kevent
 * @subclass: lockdep subclass for the queue's lock
 *
 * kevent_ready() for a source that calls it with the lock of another
 * queue held: the poll source when it watches a queue, which passes the
 * ->wake_nest of the watched queue.  Pollers woken from here see
 * ->wake_nest one deeper.
 */
void kevent_ready_nested(struct kevent *k, unsigned int subclass)
{
	struct kevent_user *ku = k->ku;
	unsigned long flags;

	spin_lock_irqsave_nested(&ku->wq.lock, flags, subclass);
	ku->wake_nest = subclass + 1;
	kevent_queue_locked(ku, k);
	ku->wake_nest = 1;
	spin_unlock_irqrestore(&ku->wq.lock, flags);
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
	kevent_ready_nested(k, 0);
}

/**
 * kevent_storage_init() - initialise an empty storage
 * @st: the storage
 */
void kevent_storage_init(struct kevent_storage *st)
{
	spin_lock_init(&st->lock);
	INIT_HLIST_HEAD(&st->list);
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
	WARN_ON_ONCE(!hlist_empty(&st->list));
	kfree(st);
}

/**
 * kevent_storage_add() - put a kevent in a storage
 * @st: the storage
 * @e: the kevent's entry, in its private data
 * @k: the kevent
 * @always: events that wake @k whether it asked for them or not
 */
void kevent_storage_add(struct kevent_storage *st,
			struct kevent_storage_entry *e, struct kevent *k,
			u32 always)
{
	unsigned long flags;

	e->k = k;
	e->always = always;
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
 * Makes ready every kevent of @st that asked for one of @events.  Any
 * context; does not sleep or allocate.
 */
void kevent_storage_notify(struct kevent_storage *st, u32 events)
{
	struct kevent_storage_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&st->lock, flags);
	hlist_for_each_entry(e, &st->list, node) {
		/* event may change under kevent_user.mutex, not held here */
		if (events & (READ_ONCE(e->k->uk.event) | e->always))
			kevent_ready(e->k);
	}
	spin_unlock_irqrestore(&st->lock, flags);
}

/*
 * Queue @k if its source has something to report now, take it off the
 * ready list if not.
 */
static void kevent_check_ready(struct kevent_user *ku, struct kevent *k)
{
	struct ukevent tmp = k->uk;
	bool ready;

	lockdep_assert_held(&ku->mutex);

	ready = k->ops->report(k, &tmp);
	spin_lock_irq(&ku->wq.lock);
	if (ready)
		kevent_queue_locked(ku, k);
	else
		kevent_unqueue_locked(ku, k);
	spin_unlock_irq(&ku->wq.lock);
}

static int kevent_cmp(u32 type, u64 id, const struct kevent *k)
{
	if (type != k->uk.type)
		return type < k->uk.type ? -1 : 1;
	if (id != k->uk.id)
		return id < k->uk.id ? -1 : 1;
	return 0;
}

static struct kevent *kevent_lookup(struct kevent_user *ku, u32 type, u64 id)
{
	struct rb_node *n = ku->tree.rb_node;

	lockdep_assert_held(&ku->mutex);

	while (n) {
		struct kevent *k = rb_entry(n, struct kevent, node);
		int c = kevent_cmp(type, id, k);

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
		if (kevent_cmp(new->uk.type, new->uk.id, k) < 0)
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
	k->uk.udata = uk->udata;
	k->uk.event = uk->event;
	WRITE_ONCE(k->uk.req_flags, uk->req_flags);
	memcpy(k->uk.param, uk->param, sizeof(k->uk.param));
}

static int kevent_add(struct kevent_user *ku, const struct kevent_ops *ops,
		      const struct ukevent *uk, const void *priv, size_t len)
{
	struct kevent *k;
	int err;

	if (kevent_lookup(ku, uk->type, uk->id))
		return -EEXIST;
	if (!kevent_charge(ku->user))
		return -ENOSPC;

	err = -ENOMEM;
	k = kzalloc(sizeof(*k) + ops->priv_size, GFP_KERNEL_ACCOUNT);
	if (!k)
		goto out_uncharge;
	INIT_LIST_HEAD(&k->ready_entry);
	k->ku = ku;
	k->ops = ops;
	k->uk.type = uk->type;
	k->uk.id = uk->id;
	kevent_set_request(k, uk);
	if (len)
		memcpy(k->priv, priv, len);

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
out_uncharge:
	kevent_uncharge(ku->user);
	return err;
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

/**
 * kevent_remove_if() - remove a registration if it still matches
 * @ku: the queue
 * @type: the registration's type
 * @id: and its id
 * @match: called with kevent_user.mutex held; remove only if it is true
 * @arg: passed to @match
 *
 * For sources that must remove a registration from outside kevent_ctl(),
 * such as the close hook in file.c.  May sleep.
 */
void kevent_remove_if(struct kevent_user *ku, u32 type, u64 id,
		      bool (*match)(struct kevent *k, void *arg), void *arg)
{
	struct kevent *k;

	mutex_lock(&ku->mutex);
	k = kevent_lookup(ku, type, id);
	if (k && match(k, arg))
		kevent_remove(ku, k);
	mutex_unlock(&ku->mutex);
}

/**
 * kevent_add_kernel() - add a registration on behalf of the kernel
 * @ku: the queue
 * @uk: the registration, of a source with ->kernel_add
 * @priv: the first @len bytes of its private data, for ->attach
 * @len: their size
 *
 * For sources whose registrations another system call makes, such as
 * timer_create() with SIGEV_KEVENT.  May sleep.
 *
 * Return: 0, -EEXIST if @ku has a registration with the same type and id,
 * -ENOSPC past the user's limit, -ENOMEM, or an error of ->attach.
 */
int kevent_add_kernel(struct kevent_user *ku, const struct ukevent *uk,
		      const void *priv, size_t len)
{
	const struct kevent_ops *ops = kevent_sources[uk->type];
	int err;

	if (WARN_ON_ONCE(!ops || !ops->kernel_add || len > ops->priv_size))
		return -EINVAL;
	mutex_lock(&ku->mutex);
	err = kevent_add(ku, ops, uk, priv, len);
	mutex_unlock(&ku->mutex);
	return err;
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

	spin_lock_irq(&ku->wq.lock);
	k->state &= ~KEVENT_DISABLED;
	spin_unlock_irq(&ku->wq.lock);

	kevent_check_ready(ku, k);
	return 0;
}

/* Validate what every command has in common; returns the source. */
static const struct kevent_ops *kevent_validate(unsigned int cmd,
						const struct ukevent *uk)
{
	const struct kevent_ops *ops;

	if (!uk->type || uk->type > KEVENT_TYPE_MAX)
		return ERR_PTR(-EINVAL);
	if (uk->reserved || (uk->req_flags & ~KEVENT_REQ_FLAGS))
		return ERR_PTR(-EINVAL);
	if ((uk->req_flags & KEVENT_REQ_ONESHOT) &&
	    (uk->req_flags & KEVENT_REQ_DISPATCH))
		return ERR_PTR(-EINVAL);

	ops = kevent_sources[uk->type];
	if (!ops)
		return ERR_PTR(-EOPNOTSUPP);

	switch (cmd) {
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

/**
 * kevent_ctl_entry() - apply one kevent_ctl() entry to a queue
 * @ku: the queue
 * @cmd: KEVENT_CTL_*, already checked by the caller
 * @uk: the entry, in kernel memory
 *
 * Either applies the entry completely or fails leaving the queue as it
 * was.
 *
 * Return: 0 or a negative errno.
 */
int kevent_ctl_entry(struct kevent_user *ku, unsigned int cmd,
		     const struct ukevent *uk)
{
	const struct kevent_ops *ops;
	struct kevent *k;
	int err = 0;

	ops = kevent_validate(cmd, uk);
	if (IS_ERR(ops))
		return PTR_ERR(ops);

	mutex_lock(&ku->mutex);
	if (cmd == KEVENT_CTL_ADD) {
		err = kevent_add(ku, ops, uk, NULL, 0);
		goto out;
	}

	k = kevent_lookup(ku, uk->type, uk->id);
	if (!k) {
		err = -ENOENT;
		goto out;
	}

	switch (cmd) {
	case KEVENT_CTL_REMOVE:
		kevent_remove(ku, k);
		break;
	case KEVENT_CTL_MODIFY:
		err = kevent_modify(ku, k, uk);
		break;
	case KEVENT_CTL_POST:
		err = ops->post(k, uk);
		break;
	}
out:
	mutex_unlock(&ku->mutex);
	return err;
}

/*
 * @k was reported: apply its request flags.  Level-triggered kevents go on
 * @requeue, to be checked again by the next wait rather than this one.
 */
static void kevent_reported(struct kevent_user *ku, struct kevent *k,
			    struct list_head *requeue, unsigned int *nr_requeue)
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
	} else if (!(flags & KEVENT_REQ_ET) && !(k->state & KEVENT_QUEUED)) {
		k->state |= KEVENT_QUEUED;
		list_add_tail(&k->ready_entry, requeue);
		(*nr_requeue)++;
	}
	spin_unlock_irq(&ku->wq.lock);
}

/*
 * Report up to @max ready kevents to @events.  Returns how many were
 * copied, or -EFAULT if the first copy failed; a kevent whose copy failed
 * stays ready with its state untouched.
 */
static int kevent_deliver(struct kevent_user *ku, struct ukevent __user *events,
			  unsigned int max)
{
	unsigned int nr_requeue = 0;
	LIST_HEAD(requeue);
	struct ukevent out;
	struct kevent *k;
	int n = 0;

	mutex_lock(&ku->mutex);
	while (n < max) {
		spin_lock_irq(&ku->wq.lock);
		k = list_first_entry_or_null(&ku->ready, struct kevent,
					     ready_entry);
		if (k)
			kevent_unqueue_locked(ku, k);
		spin_unlock_irq(&ku->wq.lock);
		if (!k)
			break;

		out = k->uk;
		out.event = 0;
		out.ret_flags = 0;
		out.ret_data = 0;
		if (!k->ops->report(k, &out))
			continue;

		if (copy_to_user(&events[n], &out, sizeof(out))) {
			spin_lock_irq(&ku->wq.lock);
			if (!(k->state & KEVENT_QUEUED)) {
				k->state |= KEVENT_QUEUED;
				list_add(&k->ready_entry, &ku->ready);
				ku->nr_ready++;
			}
			spin_unlock_irq(&ku->wq.lock);
			if (!n)
				n = -EFAULT;
			break;
		}
		n++;
		if (k->ops->consume)
			k->ops->consume(k, &out);
		kevent_reported(ku, k, &requeue, &nr_requeue);
	}

	spin_lock_irq(&ku->wq.lock);
	/*
	 * Whatever is ready now arrived for someone else, or is more than we
	 * took: pass the wakeup on.  Our own level-triggered kevents do not
	 * count, they go back without waking anybody.
	 */
	if (!list_empty(&ku->ready))
		kevent_wake_locked(ku, false);
	list_splice_tail(&requeue, &ku->ready);
	ku->nr_ready += nr_requeue;
	spin_unlock_irq(&ku->wq.lock);
	mutex_unlock(&ku->mutex);
	return n;
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
		/* Exclusive waiters go behind the pollers, who must all wake. */
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

/**
 * kevent_wait_events() - wait for and report events of a queue
 * @ku: the queue
 * @min_nr: wait until this many events were reported (0: do not wait)
 * @max_nr: report at most this many, 1 or more
 * @events: user array of @max_nr entries
 * @expires: absolute timeout on @clock, or NULL to wait without one
 * @clock: CLOCK_MONOTONIC, CLOCK_REALTIME or CLOCK_BOOTTIME
 * @nonblock: never sleep
 *
 * Return: the number of events reported, which may be less than @min_nr
 * if the timeout passed.  -EINTR if a signal arrived before any event,
 * -EAGAIN if @nonblock and there was none, -EFAULT if @events could not be
 * written.
 */
int kevent_wait_events(struct kevent_user *ku, unsigned int min_nr,
		       unsigned int max_nr, struct ukevent __user *events,
		       ktime_t *expires, clockid_t clock, bool nonblock)
{
	unsigned int got = 0;
	int n, err;

	for (;;) {
		n = kevent_deliver(ku, events + got, max_nr - got);
		if (n < 0)
			return got ? got : n;
		got += n;
		if (got >= min_nr || got == max_nr || nonblock)
			break;

		err = kevent_sleep(ku, min_nr - got, expires, clock);
		if (err == -EINTR && !got)
			return -EINTR;
		if (err) {
			/* last chance for what arrived meanwhile */
			n = kevent_deliver(ku, events + got, max_nr - got);
			if (n > 0)
				got += n;
			break;
		}
	}
	if (nonblock && !got)
		return -EAGAIN;
	return got;
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
	kfree(ku);
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

	kevent_user_put(ku);
	return 0;
}

static __poll_t kevent_poll(struct file *file, poll_table *wait)
{
	struct kevent_user *ku = file->private_data;

	/*
	 * Queued under ku->wq.lock, which kevent_ready() holds while it
	 * changes nr_ready and wakes: no wakeup can be missed.
	 */
	poll_wait(file, &ku->wq, wait);
	return READ_ONCE(ku->nr_ready) ? EPOLLIN | EPOLLRDNORM : 0;
}

#ifdef CONFIG_PROC_FS
static void kevent_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kevent_user *ku = file->private_data;
	struct rb_node *n;

	mutex_lock(&ku->mutex);
	for (n = rb_first(&ku->tree); n; n = rb_next(n)) {
		struct kevent *k = rb_entry(n, struct kevent, node);

		seq_printf(m, "type:%u id:%llu event:%x flags:%x udata:%llx state:%x\n",
			   k->uk.type, k->uk.id, k->uk.event, k->uk.req_flags,
			   k->uk.udata, READ_ONCE(k->state));
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
	INIT_LIST_HEAD(&ku->ready);
	ku->user = get_current_user();
	refcount_set(&ku->ref, 1);
	ku->wake_nest = 1;
	INIT_LIST_HEAD(&ku->nest_down);
	INIT_LIST_HEAD(&ku->nest_up);

	fd = anon_inode_getfd("[kevent]", &kevent_fops, ku, f_flags);
	if (fd < 0)
		kevent_user_put(ku);
	return fd;
}

static int __init kevent_setup(void)
{
	struct sysinfo si;

	BUILD_BUG_ON(sizeof(struct ukevent) != 64);

	/* Like epoll: at most 4% of low memory in registrations per user */
	si_meminfo(&si);
	max_user_kevents = (((si.totalram - si.totalhigh) / 25) << PAGE_SHIFT) /
		(sizeof(struct kevent) + 64);
#ifdef CONFIG_SYSCTL
	register_sysctl("fs/kevent", kevent_sysctls);
#endif
	return 0;
}
fs_initcall(kevent_setup);
