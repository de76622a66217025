// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: changes to files and directories (KEVENT_TYPE_INODE).
 *
 * A registration names a file or directory by a file descriptor (an O_PATH
 * one too) and is hooked to an fsnotify mark on its inode, as an inotify
 * watch is: the mark is the inode's own storage of interest, and fsnotify
 * calls kevent_inode_event() for each change the VFS reports.  Each queue
 * has an fsnotify group of its own, made by its first inode registration,
 * so that one user's registrations never wait for another's on a group's
 * mark mutex, and a queue has one mark per inode, whatever the number of
 * its registrations there (at most KEVENT_INODE_MAX).  A queue with inode
 * registrations counts as an inotify instance and each of its marks as an
 * inotify watch, under inotify's limits (fs.inotify.max_user_instances
 * and max_user_watches): what one user may make every write to an inode
 * pay is what inotify lets it.
 *
 * A change is not queued as an event of its own, as inotify queues one: it
 * is ORed into the registration's pending events and counted, and the
 * registration is made ready, at most once.  However many changes come
 * before they are read, they cost no memory and none is dropped; inotify
 * drops everything after one IN_Q_OVERFLOW once its queue is full.
 *
 * fsnotify's events are turned into kqueue's EVFILT_VNODE ones: a
 * modification (FS_MODIFY) is a truncation if the size shrank since the
 * last one, else a write, and an extension too if the size grew; an
 * attribute change (FS_ATTRIB) of a file is a link count change when the
 * count changed, and a deletion when it reached zero; FS_MOVE_SELF is a
 * rename; FS_CREATE, FS_DELETE, FS_MOVED_FROM and FS_MOVED_TO on a
 * directory are its entries coming and going, and also a link count
 * change when the entry is a directory.  The size and the link count are
 * read when fsnotify calls, after the change: of two racing changes, the
 * second may hide what the first did to them.
 *
 * The registration holds a reference on the file, like every fd-based
 * registration, and so on the inode and the mount, as the descriptor it
 * names does: neither the inode's eviction nor an unmount can come while
 * it lives (umount() is EBUSY), and its mark goes with it.  The removal
 * of a watched directory (rmdir) is told to its parent only
 * (KEVENT_INODE_ENTRY_DELETE): fsnotify reports it to the directory when
 * its last reference goes, which this registration holds.
 *
 * All registration changes of a queue, and so all changes to its marks,
 * are made under its kevent_user.mutex.  The handler runs in the context
 * of the change, which may hold inode locks: it takes the mark's
 * kevent_inode_mark.lock and then the queue's wait queue lock
 * (kevent_ready()), nothing else.
 */

#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/mount.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "kevent.h"

#define KEVENT_INODE_EVENTS	(KEVENT_INODE_DELETE | KEVENT_INODE_WRITE | \
				 KEVENT_INODE_EXTEND | KEVENT_INODE_ATTRIB | \
				 KEVENT_INODE_LINK | KEVENT_INODE_RENAME | \
				 KEVENT_INODE_TRUNCATE | \
				 KEVENT_INODE_ENTRY_CREATE | \
				 KEVENT_INODE_ENTRY_DELETE | \
				 KEVENT_INODE_ENTRY_MOVED_FROM | \
				 KEVENT_INODE_ENTRY_MOVED_TO)

/* Most registrations of one queue on one inode */
#define KEVENT_INODE_MAX	64

/**
 * struct kevent_inode_mark - the fsnotify mark of a queue on an inode
 * @fsn: the mark, in the inode's list
 * @lock: guards @list and the pending changes of its registrations
 * @list: the registrations, struct kevent_inode.node
 * @nr: the length of @list
 */
struct kevent_inode_mark {
	struct fsnotify_mark	fsn;
	spinlock_t		lock;	/* taken in the VFS's context */
	struct list_head	list;
	unsigned int		nr;
};

/**
 * struct kevent_inode - the private part of a KEVENT_TYPE_INODE kevent
 * @kf: the registration; first, as for every fd-based source
 * @node: in @mark->list
 * @mark: the queue's mark on the inode, referenced
 * @inode: the watched inode, held through @kf's file
 * @asked: the events to report (ukevent.event)
 * @events: what happened since the last report
 * @fresh: what happened since the last ->report, which ->consume keeps
 * @count: how many changes since the last report
 * @size: the size at the last modification
 * @nlink: the link count at the last attribute change
 *
 * @asked to @nlink are under @mark->lock.
 */
struct kevent_inode {
	struct kevent_file		kf;
	struct list_head		node;
	struct kevent_inode_mark	*mark;
	struct inode			*inode;
	u32				asked;
	u32				events;
	u32				fresh;
	u64				count;
	loff_t				size;
	unsigned int			nlink;
};

static struct kmem_cache *kevent_inode_mark_cachep __ro_after_init;

/* The fsnotify events that tell about @events */
static u32 kevent_inode_fsn_mask(u32 events, bool dir)
{
	u32 mask = 0;

	if (events & (KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND |
		      KEVENT_INODE_TRUNCATE))
		mask |= FS_MODIFY;
	if (events & KEVENT_INODE_ATTRIB)
		mask |= FS_ATTRIB;
	if (events & (KEVENT_INODE_LINK | KEVENT_INODE_DELETE))
		mask |= dir ? FS_CREATE | FS_DELETE | FS_MOVED_FROM |
			      FS_MOVED_TO : FS_ATTRIB;
	if (events & KEVENT_INODE_RENAME)
		mask |= FS_MOVE_SELF;
	if (events & KEVENT_INODE_ENTRY_CREATE)
		mask |= FS_CREATE;
	if (events & KEVENT_INODE_ENTRY_DELETE)
		mask |= FS_DELETE;
	if (events & KEVENT_INODE_ENTRY_MOVED_FROM)
		mask |= FS_MOVED_FROM;
	if (events & KEVENT_INODE_ENTRY_MOVED_TO)
		mask |= FS_MOVED_TO;
	return mask;
}

/* What fsnotify's @mask means for @ki; called with the mark's lock held */
static u32 kevent_inode_events(struct kevent_inode *ki, u32 mask)
{
	bool dir = S_ISDIR(ki->inode->i_mode);
	u32 events = 0;

	if (mask & FS_MODIFY) {
		loff_t size = i_size_read(ki->inode);

		if (size < ki->size)
			events |= KEVENT_INODE_TRUNCATE;
		else if (size > ki->size)
			events |= KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND;
		else
			events |= KEVENT_INODE_WRITE;
		ki->size = size;
	}
	if (mask & FS_ATTRIB) {
		unsigned int nlink = READ_ONCE(ki->inode->i_nlink);

		/* A directory's count changes with its subdirectories */
		if (nlink != ki->nlink && !dir) {
			events |= KEVENT_INODE_LINK;
			if (!nlink)
				events |= KEVENT_INODE_DELETE;
		} else {
			events |= KEVENT_INODE_ATTRIB;
		}
		ki->nlink = nlink;
	}
	if (mask & FS_MOVE_SELF)
		events |= KEVENT_INODE_RENAME;
	if (mask & FS_CREATE)
		events |= KEVENT_INODE_ENTRY_CREATE;
	if (mask & FS_DELETE)
		events |= KEVENT_INODE_ENTRY_DELETE;
	if (mask & FS_MOVED_FROM)
		events |= KEVENT_INODE_ENTRY_MOVED_FROM;
	if (mask & FS_MOVED_TO)
		events |= KEVENT_INODE_ENTRY_MOVED_TO;
	if (dir && (mask & FS_ISDIR) &&
	    (mask & (FS_CREATE | FS_DELETE | FS_MOVED_FROM | FS_MOVED_TO)))
		events |= KEVENT_INODE_LINK;
	return events;
}

static int kevent_inode_event(struct fsnotify_mark *fsn, u32 mask,
			      struct inode *inode, struct inode *dir,
			      const struct qstr *name, u32 cookie)
{
	struct kevent_inode_mark *m = container_of(fsn, struct kevent_inode_mark,
						   fsn);
	struct kevent_inode *ki;
	u32 events;

	spin_lock(&m->lock);
	list_for_each_entry(ki, &m->list, node) {
		events = kevent_inode_events(ki, mask) & ki->asked;
		if (!events)
			continue;
		ki->events |= events;
		ki->fresh |= events;
		ki->count++;
		kevent_ready(ki->kf.e.k);
	}
	spin_unlock(&m->lock);
	return 0;
}

static void kevent_inode_free_mark(struct fsnotify_mark *fsn)
{
	kmem_cache_free(kevent_inode_mark_cachep,
			container_of(fsn, struct kevent_inode_mark, fsn));
}

static const struct fsnotify_ops kevent_inode_fsn_ops = {
	.handle_inode_event	= kevent_inode_event,
	.free_mark		= kevent_inode_free_mark,
};

/*
 * The queue's fsnotify group, made by its first inode registration and
 * counted as an inotify instance of the user
 */
static struct fsnotify_group *kevent_inode_group(struct kevent_user *ku)
{
	struct fsnotify_group *group;
	struct ucounts *ucounts;

	lockdep_assert_held(&ku->mutex);

	if (ku->fsn_group)
		return ku->fsn_group;
	ucounts = inc_ucount(current_user_ns(), current_euid(),
			     UCOUNT_INOTIFY_INSTANCES);
	if (!ucounts)
		return ERR_PTR(-EMFILE);
	group = fsnotify_alloc_group(&kevent_inode_fsn_ops, FSNOTIFY_GROUP_USER);
	if (IS_ERR(group)) {
		dec_ucount(ucounts, UCOUNT_INOTIFY_INSTANCES);
		return group;
	}
	ku->fsn_group = group;
	ku->fsn_ucounts = ucounts;
	return group;
}

/**
 * kevent_inode_release() - let go of a queue's fsnotify group
 * @ku: the queue, being released, with no registration left
 */
void kevent_inode_release(struct kevent_user *ku)
{
	if (!ku->fsn_group)
		return;
	fsnotify_destroy_group(ku->fsn_group);
	dec_ucount(ku->fsn_ucounts, UCOUNT_INOTIFY_INSTANCES);
}

/* Make @m's mask the union of its registrations'; under the queue mutex */
static void kevent_inode_set_mask(struct kevent_inode_mark *m)
{
	struct fsnotify_mark *fsn = &m->fsn;
	struct kevent_inode *ki;
	u32 mask = 0;

	spin_lock(&m->lock);
	list_for_each_entry(ki, &m->list, node)
		mask |= kevent_inode_fsn_mask(ki->asked,
					      S_ISDIR(ki->inode->i_mode));
	spin_unlock(&m->lock);
	if (mask == READ_ONCE(fsn->mask))
		return;
	fsnotify_group_lock(fsn->group);
	spin_lock(&fsn->lock);
	fsn->mask = mask;
	spin_unlock(&fsn->lock);
	fsnotify_recalc_mask(fsn->connector);
	fsnotify_group_unlock(fsn->group);
}

/* The queue's mark on @inode, referenced, made if need be */
static struct kevent_inode_mark *kevent_inode_mark_get(struct kevent_user *ku,
						       struct inode *inode)
{
	struct fsnotify_group *group = kevent_inode_group(ku);
	struct kevent_inode_mark *m;
	struct fsnotify_mark *fsn;
	int err;

	if (IS_ERR(group))
		return ERR_CAST(group);
	fsn = fsnotify_find_inode_mark(inode, group);
	if (fsn) {
		m = container_of(fsn, struct kevent_inode_mark, fsn);
		if (m->nr < KEVENT_INODE_MAX)
			return m;
		fsnotify_put_mark(fsn);
		return ERR_PTR(-ENOSPC);
	}

	/* A mark is an inotify watch */
	if (!inc_ucount(ku->fsn_ucounts->ns, ku->fsn_ucounts->uid,
			UCOUNT_INOTIFY_WATCHES))
		return ERR_PTR(-ENOSPC);
	err = -ENOMEM;
	m = kmem_cache_alloc(kevent_inode_mark_cachep, GFP_KERNEL_ACCOUNT);
	if (!m)
		goto out_watch;
	fsnotify_init_mark(&m->fsn, group);
	spin_lock_init(&m->lock);
	INIT_LIST_HEAD(&m->list);
	m->nr = 0;
	/* The mask follows once a registration is on the list */
	err = fsnotify_add_inode_mark(&m->fsn, inode, 0);
	if (!err)
		return m;
	fsnotify_put_mark(&m->fsn);
out_watch:
	dec_ucount(ku->fsn_ucounts, UCOUNT_INOTIFY_WATCHES);
	return ERR_PTR(err);
}

/* Drop @ki's reference on its mark, the mark with the last one */
static void kevent_inode_mark_put(struct kevent_user *ku,
				  struct kevent_inode_mark *m)
{
	if (!m->nr) {
		fsnotify_destroy_mark(&m->fsn, m->fsn.group);
		dec_ucount(ku->fsn_ucounts, UCOUNT_INOTIFY_WATCHES);
	} else {
		kevent_inode_set_mask(m);
	}
	fsnotify_put_mark(&m->fsn);
}

/* As inotify: one may watch only what one may read */
static int kevent_inode_may_watch(struct file *file, u32 events)
{
	struct inode *inode = file_inode(file);
	int err;

	/* Not the inodes of kernel pseudo file systems (pipes, anon) */
	if (inode->i_sb->s_flags & SB_NOUSER)
		return -EINVAL;
	err = path_permission(&file->f_path, MAY_READ);
	if (err)
		return err;
	return security_path_notify(&file->f_path,
				    kevent_inode_fsn_mask(events,
							  S_ISDIR(inode->i_mode)),
				    FSNOTIFY_OBJ_TYPE_INODE);
}

static int kevent_inode_attach(struct kevent *k)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m;
	struct file *file;
	int err;

	file = kevent_file_get_raw(&ki->kf, k);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = kevent_inode_may_watch(file, k->uk.event);
	if (err)
		goto out_put;
	ki->inode = file_inode(file);
	m = kevent_inode_mark_get(k->ku, ki->inode);
	if (IS_ERR(m)) {
		err = PTR_ERR(m);
		goto out_put;
	}
	ki->mark = m;
	ki->asked = k->uk.event;
	ki->events = 0;
	ki->fresh = 0;
	ki->count = 0;
	spin_lock(&m->lock);
	ki->size = i_size_read(ki->inode);
	ki->nlink = READ_ONCE(ki->inode->i_nlink);
	list_add_tail(&ki->node, &m->list);
	m->nr++;
	spin_unlock(&m->lock);
	kevent_inode_set_mask(m);

	err = kevent_file_watch(&ki->kf);
	if (err)
		goto out_del;
	return 0;

out_del:
	spin_lock(&m->lock);
	list_del(&ki->node);
	m->nr--;
	spin_unlock(&m->lock);
	kevent_inode_mark_put(k->ku, m);
out_put:
	kevent_file_put(&ki->kf, false);
	return err;
}

static void kevent_inode_detach(struct kevent *k)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m = ki->mark;

	spin_lock(&m->lock);
	list_del(&ki->node);
	m->nr--;
	spin_unlock(&m->lock);
	kevent_inode_mark_put(k->ku, m);
	kevent_file_put(&ki->kf, true);
}

static int kevent_inode_modify(struct kevent *k, const struct ukevent *uk)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m = ki->mark;
	bool dir = S_ISDIR(ki->inode->i_mode);
	u32 added;
	int err;

	if (kevent_inode_fsn_mask(uk->event, dir) &
	    ~kevent_inode_fsn_mask(ki->asked, dir)) {
		err = kevent_inode_may_watch(ki->kf.file, uk->event);
		if (err)
			return err;
	}
	spin_lock(&m->lock);
	added = kevent_inode_fsn_mask(uk->event, dir) &
		~kevent_inode_fsn_mask(ki->asked, dir);
	/* What was not watched starts from now */
	if (added & FS_MODIFY)
		ki->size = i_size_read(ki->inode);
	if (added & FS_ATTRIB)
		ki->nlink = READ_ONCE(ki->inode->i_nlink);
	ki->asked = uk->event;
	ki->events &= uk->event;
	ki->fresh &= uk->event;
	if (!ki->events)
		ki->count = 0;
	spin_unlock(&m->lock);
	kevent_inode_set_mask(m);
	return 0;
}

static bool kevent_inode_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m = ki->mark;
	u32 events;

	spin_lock(&m->lock);
	events = ki->events;
	if (events) {
		out->event = events;
		out->ret_data = ki->count;
		ki->fresh = 0;
	}
	spin_unlock(&m->lock);
	return events != 0;
}

static void kevent_inode_consume(struct kevent *k, const struct ukevent *out)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m = ki->mark;

	spin_lock(&m->lock);
	/* Keep what came after the report, and only that */
	ki->count -= out->ret_data;
	ki->events = ki->count ? ki->fresh : 0;
	spin_unlock(&m->lock);
}

static void kevent_inode_show_fdinfo(struct kevent *k, struct seq_file *m)
{
	struct kevent_inode *ki = kevent_priv(k);

	seq_printf(m, " ino:%lu sdev:%x mask:%x", ki->inode->i_ino,
		   ki->inode->i_sb->s_dev, READ_ONCE(ki->mark->fsn.mask));
}

const struct kevent_ops kevent_inode_ops = {
	.priv_size	= sizeof(struct kevent_inode),
	.extra_size	= sizeof(struct kevent_inode_mark),
	.fd_based	= true,
	.event_mask	= KEVENT_INODE_EVENTS,
	.attach		= kevent_inode_attach,
	.detach		= kevent_inode_detach,
	.modify		= kevent_inode_modify,
	.report		= kevent_inode_report,
	.consume	= kevent_inode_consume,
	.show_fdinfo	= kevent_inode_show_fdinfo,
};

static int __init kevent_inode_init(void)
{
	kevent_inode_mark_cachep = KMEM_CACHE(kevent_inode_mark,
					      SLAB_PANIC | SLAB_ACCOUNT);
	return 0;
}
fs_initcall(kevent_inode_init);
