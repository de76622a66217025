/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kevent: private interfaces between the core and the event sources.
 */
#ifndef _KERNEL_KEVENT_KEVENT_H
#define _KERNEL_KEVENT_KEVENT_H

#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/signal.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/kevent.h>

struct fsnotify_group;
struct ucounts;
struct seq_file;

struct sock;
struct user_struct;

/**
 * struct kevent_user - one event queue, the object behind a kevent fd
 * @mutex: serialises registration changes and event delivery
 * @tree: registered kevents keyed by (type, id, owner); under @mutex
 * @wq: kevent_wait() sleepers, waiting exclusively; @wq.lock also guards
 *	@ready, @nr_ready and every kevent's state
 * @poll_wait: pollers of the queue fd (poll, select, epoll, io_uring, a
 *	queue watching this one)
 * @poll_work: wakes @poll_wait, out of the context that made a kevent
 *	ready
 * @ready: kevents with something to report, each at most once
 * @nr_ready: length of @ready
 * @user: the user charged for the registrations, the queue's creator
 * @nr_kevents: registrations in @tree; under @mutex
 * @ref: the queue file holds one reference; kevent_remove_if() callers
 *	take others
 * @nest_down: the queues this one watches (struct kevent_nest.down)
 * @nest_up: the queues that watch this one (struct kevent_nest.up)
 * @nest_gen: @nest_depth and @nest_paths were computed in this pass
 * @nest_checked: @nest_paths were checked in this pass
 * @nest_depth: longest chain of watching queues, see poll.c
 * @nest_paths: chains of watching queues above this one, by length
 * @fsn_group: the fsnotify group of the queue's inode registrations, made
 *	by the first one (inode.c); under @mutex
 * @fsn_ucounts: where @fsn_group is counted as an inotify instance
 * @rcu: freed after a grace period, see kevent_user_put()
 *
 * The nest_ fields are under the poll source's kevent_nest_mutex.
 */
struct kevent_user {
	struct mutex		mutex;		/* see core.c, Locking */
	struct rb_root		tree;
	wait_queue_head_t	wq;
	wait_queue_head_t	poll_wait;
	struct irq_work		poll_work;
	struct list_head	ready;
	unsigned int		nr_ready;
	struct user_struct	*user;
	unsigned int		nr_kevents;
	refcount_t		ref;
	struct list_head	nest_down;
	struct list_head	nest_up;
	unsigned int		nest_gen;
	unsigned int		nest_checked;
	int			nest_depth;
	unsigned int		nest_paths[4];
#ifdef CONFIG_INOTIFY_USER
	struct fsnotify_group	*fsn_group;
	struct ucounts		*fsn_ucounts;
#endif
	struct rcu_head		rcu;
};

/* struct kevent.state bits, under kevent_user.wq.lock */
#define KEVENT_QUEUED	BIT(0)	/* on kevent_user.ready or a held list */
#define KEVENT_DISABLED	BIT(1)	/* dispatched or disabled; not reported */
#define KEVENT_HELD	BIT(2)	/* reported by a kevent_wait() that is still
				 * running: on its held list, not counted in
				 * kevent_user.nr_ready
				 */

/**
 * struct kevent_req - what a registration keeps of its struct ukevent
 * @id: ukevent.id
 * @udata: ukevent.udata
 * @type: ukevent.type
 * @event: ukevent.event, the events asked for
 * @req_flags: ukevent.req_flags
 * @param: ukevent.param
 */
struct kevent_req {
	u64	id;
	u64	udata;
	u32	type;
	u32	event;
	u32	req_flags;
	u64	param[2];
};

/**
 * struct kevent - one registration of interest in one event source
 * @node: in kevent_user.tree
 * @ready_entry: in kevent_user.ready (or a held list) while KEVENT_QUEUED
 * @ku: the queue this kevent belongs to
 * @ops: the operations of its source, from the type table
 * @owner: the process's files (fd-based sources) or signal_struct
 *	(sources watching a process) that added the registration, else NULL
 * @uk: the registration as user space gave it; changed only under
 *	kevent_user.mutex, and read locklessly by callbacks (event,
 *	req_flags) with READ_ONCE()
 * @state: KEVENT_QUEUED, KEVENT_DISABLED, KEVENT_HELD
 * @ready_seq: kevent_ready() calls so far, under kevent_user.wq.lock
 * @rcu: freed after a grace period: sources may find kevents under RCU
 * @priv: @ops->priv_size bytes of source-private data
 */
struct kevent {
	struct rb_node		node;
	struct list_head	ready_entry;
	struct kevent_user	*ku;
	const struct kevent_ops	*ops;
	void			*owner;
	struct kevent_req	uk;
	unsigned int		state;
	unsigned int		ready_seq;
	struct rcu_head		rcu;
	u8			priv[] __aligned(8);
};

/* Most bytes a source's ->prepare writes */
#define KEVENT_PREP_SIZE	48

/**
 * struct kevent_ops - what an event source provides
 * @priv_size: bytes of private data allocated behind each kevent
 * @extra_size: bytes the source allocates beside a kevent, at most
 * @fd_based: the id is a file descriptor of the registering process, and
 *	the private data starts with a struct kevent_file; the registration
 *	belongs to that process's files
 * @per_process: the registration watches the registering process (its
 *	signals, its futexes, its timers) and belongs to it
 * @kernel_add: registrations are added by the kernel with
 *	kevent_add_kernel(), not by KEVENT_CTL_ADD
 * @event_mask: the bits of ukevent.event that ADD and MODIFY accept
 * @always: the events a storage wakes a registration with whether it asked
 *	for them or not (kevent_storage_notify())
 * @poll_events: the poll bits of the events a registration asks for, for
 *	a source that hooks wait queues (poll.c) with events of its own;
 *	without it, the events are poll bits
 * @check: validate the event and param of an ADD or MODIFY before
 *	anything changes; without it, param must be zero
 * @prep_size: bytes that ->prepare writes, at most KEVENT_PREP_SIZE
 * @prepare: for an ADD, before the queue's mutex is taken: do what may
 *	fault or sleep for long (look up a futex key, fault in user memory)
 *	and write the first @prep_size bytes of the private data to @prep
 * @prep_offset: where in the private data ->prepare's bytes go
 * @unprepare: give back what ->prepare took, for an ADD that failed before
 *	->attach was called
 * @attach: connect a new kevent to its source; may sleep.  On failure it
 *	must leave the source as it found it.  A source with ->prepare
 *	fails with -EFAULT only where a page it prepared went meanwhile: the
 *	ADD is then prepared and attached again.
 * @detach: disconnect it; after return no callback of the source may
 *	reach the kevent; may sleep
 * @modify: the registration is about to change from @k->uk to @uk; may
 *	refuse with an errno, then before it changed anything
 * @post: KEVENT_CTL_POST; only sources that can be posted to have it
 * @report: fill ->event and ->ret_data of @out if there is something to
 *	report, else return false.  It may settle its source (rearm a timer)
 *	but must be repeatable: until ->consume, a second report reports at
 *	least as much as the first.
 * @consume: @out was copied to user space: forget what it reported
 * @cancel: KEVENT_CTL_REMOVE of @k: return true to keep it, completed, so
 *	that it is reported (and, being oneshot, then removed) rather than
 *	dropped: a request that already moved data must report it
 * @show_fdinfo: append the source's fields to @k's line in the queue's
 *	fdinfo
 *
 * The hooks are called in process context: @check and @prepare before the
 * queue's kevent_user.mutex is taken, every other one with it held.  Sources
 * signal activity with kevent_ready(), from any context.
 */
struct kevent_ops {
	size_t	priv_size;
	size_t	extra_size;
	bool	fd_based;
	bool	per_process;
	bool	kernel_add;
	u32	event_mask;
	u32	always;
	__poll_t (*poll_events)(u32 events);
	size_t	prep_size;
	size_t	prep_offset;
	int	(*check)(const struct ukevent *uk);
	int	(*prepare)(const struct ukevent *uk, void *prep);
	void	(*unprepare)(void *prep);
	int	(*attach)(struct kevent *k);
	void	(*detach)(struct kevent *k);
	int	(*modify)(struct kevent *k, const struct ukevent *uk);
	int	(*post)(struct kevent *k, const struct ukevent *uk);
	bool	(*report)(struct kevent *k, struct ukevent *out);
	void	(*consume)(struct kevent *k, const struct ukevent *out);
	bool	(*cancel)(struct kevent *k);
	void	(*show_fdinfo)(struct kevent *k, struct seq_file *m);
};

static inline void *kevent_priv(struct kevent *k)
{
	return k->priv;
}

/**
 * struct kevent_storage_entry - a kevent in a list of the object it watches
 * @node: in the object's list (a struct kevent_storage, the process lists
 *	of process.c) or on the list of a kevent_reap(); unhashed once taken
 *	off
 * @k: the kevent
 */
struct kevent_storage_entry {
	struct hlist_node	node;
	struct kevent		*k;
};

/**
 * struct kevent_file - a registration on a file descriptor
 * @e: the kevent, and on the list of a kevent_flush() that removes it
 * @node: in kevent_files, under (@file, the kevent's owner), see file.c
 * @file: the file, referenced
 * @fd: the descriptor, in the registering process's files, that named @file
 * @listed: @node is in kevent_files
 */
struct kevent_file {
	struct kevent_storage_entry	e;
	struct rhlist_head		node;
	struct file			*file;
	unsigned int			fd;
	bool				listed;
};

struct file *kevent_file_get(struct kevent_file *kf, struct kevent *k);
struct file *kevent_file_get_raw(struct kevent_file *kf, struct kevent *k);
struct file *kevent_file_get_fd(struct kevent_file *kf, struct kevent *k,
				unsigned int fd);
int kevent_file_watch(struct kevent_file *kf);
void kevent_file_put(struct kevent_file *kf, bool watched);
bool kevent_file_stale(struct kevent *k);

struct kevent_nest;
struct kevent_poll_wait;

/**
 * struct kevent_poll - a kevent hooked to a file's wait queues (poll.c)
 * @kf: the registration; first, as for every fd-based source
 * @waits: the wait queue entries, a list
 * @nest: if the watched file is a queue, the link between the queues
 * @freed: a wait queue of the file was freed (POLLFREE): report HUP
 */
struct kevent_poll {
	struct kevent_file	kf;
	struct kevent_poll_wait	*waits;
	struct kevent_nest	*nest;
	bool			freed;
};

/* Reported whether asked for or not, as by poll() */
#define KEVENT_POLL_ALWAYS	(EPOLLERR | EPOLLHUP)

/*
 * What a poll registration allocates beside its kevent, at most: two wait
 * queue entries, or one and the link to a watched queue
 */
#define KEVENT_POLL_EXTRA_SIZE	128

int kevent_poll_attach_file(struct kevent *k, int (*check)(struct file *file));
void kevent_poll_detach(struct kevent *k);
bool kevent_poll_report(struct kevent *k, struct ukevent *out);

/**
 * struct kevent_storage - the kevents watching one object
 * @lock: guards @list, @naio_recv and @naio_send; taken with interrupts
 *	off
 * @list: struct kevent_storage_entry.node
 * @naio_recv: pending KEVENT_TYPE_NAIO receives of a socket, oldest first
 * @naio_send: and sends
 *
 * The structure of the original kevent design: an object that produces
 * events (a socket) carries a storage, and its state changes walk the
 * storage with kevent_storage_notify().
 */
struct kevent_storage {
	spinlock_t		lock;	/* irqs off: callbacks run in any context */
	struct hlist_head	list;
	struct list_head	naio_recv;
	struct list_head	naio_send;
};

void kevent_storage_init(struct kevent_storage *st);
struct kevent_storage *kevent_storage_get(struct kevent_storage **slot);
void kevent_storage_free(struct kevent_storage *st);
void kevent_storage_add(struct kevent_storage *st,
			struct kevent_storage_entry *e, struct kevent *k);
void kevent_storage_del(struct kevent_storage *st,
			struct kevent_storage_entry *e);
void kevent_storage_notify(struct kevent_storage *st, u32 events);

/**
 * struct kevent_process - the registrations watching one process (process.c)
 * @lock: guards the lists; interrupts off: signals are sent in any context
 * @signals: KEVENT_TYPE_SIGNAL registrations, by signal number - 1
 * @nr_signals: the length of each of @signals, at most KEVENT_SIGNAL_MAX
 * @futexes: KEVENT_TYPE_FUTEX registrations
 * @naio: KEVENT_TYPE_NAIO requests of the process, cancelled at exec and exit
 */
struct kevent_process {
	spinlock_t		lock;	/* irqs off: signals come in any context */
	struct hlist_head	signals[_NSIG];
	u8			nr_signals[_NSIG];
	struct hlist_head	futexes;
	struct hlist_head	naio;
};

/* Most registrations of one signal of one process: the queues it is in */
#define KEVENT_SIGNAL_MAX	64

struct kevent_process *kevent_process_get(void);
void kevent_process_add(struct kevent_process *kp, struct hlist_head *list,
			struct kevent_storage_entry *e, struct kevent *k);
void kevent_process_del(struct kevent_process *kp,
			struct kevent_storage_entry *e);

void kevent_ready(struct kevent *k);
void kevent_user_get(struct kevent_user *ku);
void kevent_user_put(struct kevent_user *ku);
void kevent_remove_if(struct kevent_user *ku, u32 type, u64 id, void *owner,
		      bool (*match)(struct kevent *k, void *arg), void *arg);
void kevent_reap(struct hlist_head *list, spinlock_t *lock, bool irq,
		 bool (*match)(struct kevent *k));
int kevent_add_kernel(struct kevent_user *ku, const struct ukevent *uk,
		      void *owner, const void *priv, size_t len);

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
extern const struct kevent_ops kevent_naio_ops;
extern const struct kevent_ops kevent_inode_ops;
void kevent_naio_notify(struct kevent_storage *st, u32 events);
bool kevent_naio_reaped(struct kevent *k);

#ifdef CONFIG_INOTIFY_USER
void kevent_inode_release(struct kevent_user *ku);
#else
static inline void kevent_inode_release(struct kevent_user *ku) { }
#endif

void kevent_socket_enable(void);
bool kevent_socket_hooked(struct sock *sk);

/* Core entry points for the system calls */

/**
 * struct kevent_batch - the user array of a kevent_ctl() or kevent_wait()
 * @uptr: its first entry
 * @nr: its number of entries
 * @size: the size of an entry, at least sizeof(struct ukevent)
 */
struct kevent_batch {
	void __user	*uptr;
	unsigned int	nr;
	unsigned int	size;
};

int kevent_create(u64 flags);
struct kevent_user *kevent_user_from_file(struct file *file);
int kevent_ctl_entry(struct kevent_user *ku, const struct ukevent *uk);
int kevent_get_change(const struct kevent_batch *b, unsigned int i,
		      struct ukevent *uk);
int kevent_wait_events(struct kevent_user *ku, unsigned int min_nr,
		       const struct kevent_batch *events,
		       const struct kevent_batch *changes,
		       ktime_t *expires, clockid_t clock, bool nonblock);

#endif /* _KERNEL_KEVENT_KEVENT_H */
