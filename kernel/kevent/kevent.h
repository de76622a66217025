/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent: private interfaces between the core and the event sources.
 */
#ifndef _KERNEL_KEVENT_KEVENT_H
#define _KERNEL_KEVENT_KEVENT_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/kevent.h>

struct file;
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
 * @event_mask: the bits of ukevent.event that ADD and MODIFY accept
 * @attach: connect a new kevent to its source; may sleep.  On failure it
 *	must leave the source as it found it.
 * @detach: disconnect it; after return no callback of the source may
 *	reach the kevent; may sleep
 * @modify: the registration is about to change from @k->uk to @uk
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
	u32	event_mask;
	int	(*attach)(struct kevent *k);
	void	(*detach)(struct kevent *k);
	void	(*modify)(struct kevent *k, const struct ukevent *uk);
	int	(*post)(struct kevent *k, const struct ukevent *uk);
	bool	(*report)(struct kevent *k, struct ukevent *out);
	void	(*consume)(struct kevent *k, const struct ukevent *out);
};

static inline void *kevent_priv(struct kevent *k)
{
	return k->priv;
}

void kevent_ready(struct kevent *k);
void kevent_user_get(struct kevent_user *ku);
void kevent_user_put(struct kevent_user *ku);
void kevent_remove_if(struct kevent_user *ku, u32 type, u64 id,
		      bool (*match)(struct kevent *k, void *arg), void *arg);

/* Sources, one file each */
extern const struct kevent_ops kevent_user_event_ops;
extern const struct kevent_ops kevent_poll_ops;

/* Core entry points for the system calls */
int kevent_create(u64 flags);
struct kevent_user *kevent_user_from_file(struct file *file);
int kevent_ctl_entry(struct kevent_user *ku, unsigned int cmd,
		     const struct ukevent *uk);
int kevent_wait_events(struct kevent_user *ku, unsigned int min_nr,
		       unsigned int max_nr, struct ukevent __user *events,
		       ktime_t *expires, clockid_t clock, bool nonblock);

#endif /* _KERNEL_KEVENT_KEVENT_H */
