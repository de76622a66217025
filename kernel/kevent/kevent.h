/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent: private interfaces between the core and the event sources.
 */
#ifndef _KERNEL_KEVENT_KEVENT_H
#define _KERNEL_KEVENT_KEVENT_H

#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/kevent.h>

struct user_struct;

/**
 * struct kevent_user - one event queue, the object behind a kevent fd
 * @mutex: serialises registration changes and event delivery
 * @tree: registered kevents keyed by (type, id); under @mutex
 * @wq: kevent_wait() sleepers (exclusive, at the tail) and pollers of the
 *	queue fd; @wq.lock also guards @ready, @nr_ready and every kevent's
 *	state
 * @ready: kevents with something to report, each at most once
 * @nr_ready: length of @ready
 * @user: the user charged for the registrations
 * @nr_kevents: registrations in @tree; under @mutex
 * @ref: the queue file holds one reference; kevent_flush() takes others
 * @wake_nest: the lockdep subclass with which a queue watching this one
 *	takes its own @wq.lock when woken from ours; under @wq.lock
 * @nest_down: the queues this one watches (struct kevent_nest.down)
 * @nest_up: the queues that watch this one (struct kevent_nest.up)
 * @nest_gen: @nest_depth was computed in this pass of the loop check
 * @nest_depth: longest chain of watching queues, see poll.c
 *
 * @nest_down, @nest_up, @nest_gen and @nest_depth are under the poll
 * source's kevent_nest_mutex.
 */
struct kevent_user {
	struct mutex		mutex;		/* see core.c, Locking */
	struct rb_root		tree;
	wait_queue_head_t	wq;
	struct list_head	ready;
	unsigned int		nr_ready;
	struct user_struct	*user;
	unsigned int		nr_kevents;
	refcount_t		ref;
	unsigned int		wake_nest;
	struct list_head	nest_down;
	struct list_head	nest_up;
	unsigned int		nest_gen;
	int			nest_depth;
};

/* struct kevent.state bits, under kevent_user.wq.lock */
#define KEVENT_QUEUED	BIT(0)	/* on kevent_user.ready or a delivery list */
#define KEVENT_DISABLED	BIT(1)	/* dispatched; waits for KEVENT_CTL_MODIFY */

/**
 * struct kevent - one registration of interest in one event source
 * @node: in kevent_user.tree
 * @ready_entry: in kevent_user.ready while KEVENT_QUEUED
 * @ku: the queue this kevent belongs to
 * @ops: the operations of its source, from the type table
 * @uk: the registration as user space gave it (id, udata, type, event,
 *	req_flags, param); changed only under kevent_user.mutex
 * @state: KEVENT_QUEUED, KEVENT_DISABLED
 * @rcu: freed after a grace period: sources may find kevents under RCU
 * @priv: @ops->priv_size bytes of source-private data
 */
struct kevent {
	struct rb_node		node;
	struct list_head	ready_entry;
	struct kevent_user	*ku;
	const struct kevent_ops	*ops;
	struct ukevent		uk;
	unsigned int		state;
	struct rcu_head		rcu;
	u8			priv[] __aligned(8);
};

/**
 * struct kevent_ops - what an event source provides
 * @priv_size: bytes of private data allocated behind each kevent
 * @fd_based: the id is a file descriptor, and the private data starts with
 *	a struct kevent_file
 * @kernel_add: registrations are added by the kernel with
 *	kevent_add_kernel(), not by KEVENT_CTL_ADD
 * @event_mask: the bits of ukevent.event that ADD and MODIFY accept
 * @check: validate the event and param of an ADD or MODIFY before
 *	anything changes; without it, param must be zero
 * @attach: connect a new kevent to its source; may sleep.  On failure it
 *	must leave the source as it found it.
 * @detach: disconnect it; after return no callback of the source may
 *	reach the kevent; may sleep
 * @modify: the registration is about to change from @k->uk to @uk; may
 *	refuse with an errno, then before it changed anything
 * @post: KEVENT_CTL_POST; only sources that can be posted to have it
 * @report: fill ->event and ->ret_data of @out if there is something to
 *	report, else return false.  Must not change the source's state.
 * @consume: @out was copied to user space: forget what it reported
 *
 * Every hook but @detach is called with kevent_user.mutex held, in process
 * context.  Sources signal activity with kevent_ready(), from any context.
 */
struct kevent_ops {
	size_t	priv_size;
	bool	fd_based;
	bool	kernel_add;
	u32	event_mask;
	int	(*check)(const struct ukevent *uk);
	int	(*attach)(struct kevent *k);
	void	(*detach)(struct kevent *k);
	int	(*modify)(struct kevent *k, const struct ukevent *uk);
	int	(*post)(struct kevent *k, const struct ukevent *uk);
	bool	(*report)(struct kevent *k, struct ukevent *out);
	void	(*consume)(struct kevent *k, const struct ukevent *out);
};

static inline void *kevent_priv(struct kevent *k)
{
	return k->priv;
}

/**
 * struct kevent_file - a registration on a file descriptor
 * @node: in the hash of watched files, see file.c
 * @file: the file, referenced
 * @owner: the files of the registering process
 * @fd: the descriptor in @owner that named @file
 * @k: the kevent
 */
struct kevent_file {
	struct hlist_node	node;
	struct file		*file;
	fl_owner_t		owner;
	unsigned int		fd;
	struct kevent		*k;
};

struct file *kevent_file_get(struct kevent_file *kf, struct kevent *k);
int kevent_file_watch(struct kevent_file *kf);
void kevent_file_put(struct kevent_file *kf, bool watched);

struct kevent_poll_wait;

/**
 * struct kevent_poll - a kevent hooked to a file's wait queues (poll.c)
 * @kf: the registration; first, as for every fd-based source
 * @waits: the wait queue entries, a list
 * @inner: the watched file is this queue, else NULL
 * @nest_down: in kevent_user.nest_down of our queue, if @inner
 * @nest_up: in kevent_user.nest_up of @inner
 */
struct kevent_poll {
	struct kevent_file	kf;
	struct kevent_poll_wait	*waits;
	struct kevent_user	*inner;
	struct list_head	nest_down;
	struct list_head	nest_up;
};

/* Reported whether asked for or not, as by poll() */
#define KEVENT_POLL_ALWAYS	(EPOLLERR | EPOLLHUP)

int kevent_poll_attach_file(struct kevent *k, int (*check)(struct file *file));
void kevent_poll_detach(struct kevent *k);
bool kevent_poll_report(struct kevent *k, struct ukevent *out);

/**
 * struct kevent_storage - the kevents watching one object
 * @lock: guards @list; taken with interrupts off
 * @list: struct kevent_storage_entry.node
 *
 * The structure of the original kevent design: an object that produces
 * events (a socket) carries a storage, and its state changes walk the
 * storage with kevent_storage_notify().
 */
struct kevent_storage {
	spinlock_t		lock;	/* irqs off: callbacks run in any context */
	struct hlist_head	list;
};

/**
 * struct kevent_storage_entry - a kevent in a struct kevent_storage
 * @node: in kevent_storage.list
 * @k: the kevent
 * @always: events that wake the kevent whether asked for or not
 */
struct kevent_storage_entry {
	struct hlist_node	node;
	struct kevent		*k;
	u32			always;
};

void kevent_storage_init(struct kevent_storage *st);
struct kevent_storage *kevent_storage_get(struct kevent_storage **slot);
void kevent_storage_free(struct kevent_storage *st);
void kevent_storage_add(struct kevent_storage *st,
			struct kevent_storage_entry *e, struct kevent *k,
			u32 always);
void kevent_storage_del(struct kevent_storage *st,
			struct kevent_storage_entry *e);
void kevent_storage_notify(struct kevent_storage *st, u32 events);

void kevent_ready(struct kevent *k);
void kevent_ready_nested(struct kevent *k, unsigned int subclass);
void kevent_user_get(struct kevent_user *ku);
void kevent_user_put(struct kevent_user *ku);
void kevent_remove_if(struct kevent_user *ku, u32 type, u64 id,
		      bool (*match)(struct kevent *k, void *arg), void *arg);
int kevent_add_kernel(struct kevent_user *ku, const struct ukevent *uk,
		      const void *priv, size_t len);

/* Sources, one file each */
extern const struct kevent_ops kevent_user_event_ops;
extern const struct kevent_ops kevent_poll_ops;
extern const struct kevent_ops kevent_pipe_ops;
extern const struct kevent_ops kevent_socket_ops;
extern const struct kevent_ops kevent_timer_ops;
extern const struct kevent_ops kevent_signal_ops;
extern const struct kevent_ops kevent_proc_ops;
extern const struct kevent_ops kevent_futex_ops;
extern const struct kevent_ops kevent_posix_timer_ops;

/* Core entry points for the system calls */
int kevent_create(u64 flags);
struct kevent_user *kevent_user_from_file(struct file *file);
int kevent_ctl_entry(struct kevent_user *ku, unsigned int cmd,
		     const struct ukevent *uk);
int kevent_wait_events(struct kevent_user *ku, unsigned int min_nr,
		       unsigned int max_nr, struct ukevent __user *events,
		       ktime_t *expires, clockid_t clock, bool nonblock);

#endif /* _KERNEL_KEVENT_KEVENT_H */
