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
 * A registration lives while its file descriptor, in the registering
 * process, refers to the file it referred to when it was added.
 * filp_flush() calls kevent_flush() whenever a process lets go of a file
 * descriptor (close, dup2 over it, close-on-exec, exit), and that removes
 * the registrations that no longer hold.  Unlike an epoll registration,
 * one does not outlive the close of its fd through a dup'd or passed copy,
 * and a new file that reuses the fd number never receives its events.
 *
 * Every registration is in kevent_poll_files, a hash keyed by the watched
 * file, so that kevent_flush() finds a file's registrations without a
 * field in struct file.  Readers use RCU; changes take kevent_poll_lock,
 * which nests inside kevent_user.mutex and outside nothing else.
 *
 * Queues and epoll files cannot be watched yet: nesting needs wakeup depth
 * annotations and loop checks, and is -EOPNOTSUPP until it has them.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/jump_label.h>
#include <linux/kevent.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
/* After fs.h and uaccess.h, which it relies on */
#include <linux/eventpoll.h>

#include "kevent.h"

#define KEVENT_POLL_EVENTS	(KEVENT_POLL_IN | KEVENT_POLL_PRI | \
				 KEVENT_POLL_OUT | KEVENT_POLL_ERR | \
				 KEVENT_POLL_HUP | KEVENT_POLL_RDHUP)
/* Reported whether asked for or not, as by poll() */
#define KEVENT_POLL_ALWAYS	(EPOLLERR | EPOLLHUP)

/* One hooked wait queue of a watched file */
struct kevent_poll_wait {
	wait_queue_entry_t	wait;
	wait_queue_head_t	*whead;	/* NULL once the queue is freed */
	struct kevent		*k;
	struct kevent_poll_wait	*next;
};

/* The private part of a KEVENT_TYPE_POLL kevent */
struct kevent_poll {
	struct hlist_node	node;	/* in kevent_poll_files */
	struct file		*file;
	fl_owner_t		owner;	/* files of the registering process */
	unsigned int		fd;
	struct kevent		*k;
	struct kevent_poll_wait	*waits;
};

struct kevent_poll_table {
	poll_table		pt;
	struct kevent		*k;
	int			err;
};

static DEFINE_HASHTABLE(kevent_poll_files, 8);
static DEFINE_SPINLOCK(kevent_poll_lock);
static DEFINE_STATIC_KEY_FALSE(kevent_poll_used);

/* The events a registration reports: what it asked for, ERR and HUP. */
static __poll_t kevent_poll_mask(struct kevent *k)
{
	/* event may change under kevent_user.mutex, which wakeups do not hold */
	return (__force __poll_t)READ_ONCE(k->uk.event) | KEVENT_POLL_ALWAYS;
}

/* Called by the watched file's wake_up(), in any context. */
static int kevent_poll_wake(wait_queue_entry_t *wait, unsigned int mode,
			    int sync, void *key)
{
	struct kevent_poll_wait *pw = container_of(wait, struct kevent_poll_wait,
						   wait);
	__poll_t mask = key_to_poll(key);
	struct kevent *k = pw->k;

	if (mask & POLLFREE) {
		/*
		 * The wait queue is being freed (signalfd at exit, binder):
		 * unhook; the queue's memory stays valid for an RCU grace
		 * period, see kevent_poll_unhook().
		 */
		list_del_init(&wait->entry);
		/* Pairs with smp_load_acquire() in kevent_poll_unhook(). */
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

/* Does the registered fd still refer to the registered file? */
static bool kevent_poll_fd_holds(struct kevent_poll *p)
{
	bool holds;

	rcu_read_lock();
	holds = files_lookup_fd_raw(p->owner, p->fd) == p->file;
	rcu_read_unlock();
	return holds;
}

static void kevent_poll_unlist(struct kevent_poll *p)
{
	spin_lock(&kevent_poll_lock);
	hash_del_rcu(&p->node);
	spin_unlock(&kevent_poll_lock);
	static_branch_dec(&kevent_poll_used);
}

static int kevent_poll_attach(struct kevent *k)
{
	struct kevent_poll *p = kevent_priv(k);
	struct kevent_poll_table kpt = { .k = k };
	struct file *file;
	int err;

	if (k->uk.id > INT_MAX)
		return -EBADF;
	file = fget(k->uk.id);
	if (!file)
		return -EBADF;
	err = -EPERM;
	if (!file_can_poll(file))
		goto out_put;
	err = -EOPNOTSUPP;
	if (kevent_user_from_file(file) || is_file_epoll(file))
		goto out_put;

	p->file = file;
	p->owner = current->files;
	p->fd = k->uk.id;
	p->k = k;

	init_poll_funcptr(&kpt.pt, kevent_poll_queue_proc);
	kpt.pt._key = kevent_poll_mask(k);
	vfs_poll(file, &kpt.pt);
	err = kpt.err;
	if (err)
		goto out_unhook;

	static_branch_inc(&kevent_poll_used);
	spin_lock(&kevent_poll_lock);
	hash_add_rcu(kevent_poll_files, &p->node, (unsigned long)file);
	spin_unlock(&kevent_poll_lock);

	/*
	 * A close of the fd from now on finds us in the hash.  One that came
	 * before did not: see that the fd still holds the file.  Pairs with
	 * the barrier in kevent_flush().
	 */
	smp_mb();
	err = -EBADF;
	if (!kevent_poll_fd_holds(p))
		goto out_unlist;
	return 0;

out_unlist:
	kevent_poll_unlist(p);
out_unhook:
	kevent_poll_unhook(p);
out_put:
	fput(file);
	return err;
}

static void kevent_poll_detach(struct kevent *k)
{
	struct kevent_poll *p = kevent_priv(k);

	kevent_poll_unlist(p);
	kevent_poll_unhook(p);
	fput(p->file);
}

static bool kevent_poll_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_poll *p = kevent_priv(k);
	__poll_t mask;

	mask = vfs_poll(p->file, NULL) & kevent_poll_mask(k);
	if (!mask)
		return false;
	out->event = (__force u32)mask;
	return true;
}

struct kevent_poll_flush {
	struct file	*file;
	fl_owner_t	owner;
};

static bool kevent_poll_stale(struct kevent_poll *p,
			      const struct kevent_poll_flush *f)
{
	return p->file == f->file && p->owner == f->owner &&
	       !kevent_poll_fd_holds(p);
}

static bool kevent_poll_match(struct kevent *k, void *arg)
{
	return k->ops == &kevent_poll_ops &&
	       kevent_poll_stale(kevent_priv(k), arg);
}

#define KEVENT_POLL_FLUSH_BATCH	16

/**
 * kevent_flush() - a process let go of a file descriptor
 * @file: the file it referred to
 * @owner: the files of the process
 *
 * Called by filp_flush().  Removes the KEVENT_TYPE_POLL registrations that
 * @owner made on @file through a file descriptor that no longer refers to
 * @file.  Process context; may sleep.
 */
void kevent_flush(struct file *file, fl_owner_t owner)
{
	struct kevent_poll_flush f = { .file = file, .owner = owner };
	struct {
		struct kevent_user	*ku;
		u64			id;
	} batch[KEVENT_POLL_FLUSH_BATCH];
	unsigned long key = (unsigned long)file;
	struct kevent_poll *p;
	bool found = false;
	int i, n;

	if (!static_branch_unlikely(&kevent_poll_used))
		return;
	/* Pairs with the barrier in kevent_poll_attach(). */
	smp_mb();

	rcu_read_lock();
	hash_for_each_possible_rcu(kevent_poll_files, p, node, key) {
		if (p->file == file && p->owner == owner) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!found)
		return;

	do {
		n = 0;
		spin_lock(&kevent_poll_lock);
		hash_for_each_possible(kevent_poll_files, p, node, key) {
			if (!kevent_poll_stale(p, &f))
				continue;
			/* Registered, so the queue is alive; keep it so. */
			kevent_user_get(p->k->ku);
			batch[n].ku = p->k->ku;
			batch[n].id = p->k->uk.id;
			if (++n == KEVENT_POLL_FLUSH_BATCH)
				break;
		}
		spin_unlock(&kevent_poll_lock);

		for (i = 0; i < n; i++) {
			kevent_remove_if(batch[i].ku, KEVENT_TYPE_POLL,
					 batch[i].id, kevent_poll_match, &f);
			kevent_user_put(batch[i].ku);
		}
	} while (n == KEVENT_POLL_FLUSH_BATCH);
}

const struct kevent_ops kevent_poll_ops = {
	.priv_size	= sizeof(struct kevent_poll),
	.event_mask	= KEVENT_POLL_EVENTS,
	.attach		= kevent_poll_attach,
	.detach		= kevent_poll_detach,
	.report		= kevent_poll_report,
};
