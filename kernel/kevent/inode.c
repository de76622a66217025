// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: changes to files and directories (KEVENT_TYPE_INODE).
 *
 * A registration names a file or directory by a file descriptor (an O_PATH
 * one too) and puts an fsnotify mark on its inode, as inotify does: the
 * mark is the inode's own storage of interest, and fsnotify calls
 * kevent_inode_event() for each change the VFS reports.  Each queue has
 * its own fsnotify group, made by its first inode registration, so that
 * one user's registrations never wait for another's on the group's mark
 * mutex; the group allows several marks on one inode, as several
 * registrations (through several descriptors) may watch it.
 *
 * A change is not queued as an event of its own, as inotify queues one: it
 * is ORed into the registration's pending events and counted, and the
 * registration is made ready, at most once.  However many changes come
 * before they are read, they cost no memory and none is lost; inotify
 * drops everything after one IN_Q_OVERFLOW once its queue is full.
 *
 * fsnotify's events are turned into kqueue's EVFILT_VNODE ones: a
 * modification (FS_MODIFY) is a truncation if the size shrank since the
 * last one, else a write, and an extension too if the size grew; an attribute
 * change (FS_ATTRIB) is a link count change when the count changed, and a
 * deletion when it reached zero; FS_MOVE_SELF is a rename; FS_CREATE,
 * FS_DELETE, FS_MOVED_FROM and FS_MOVED_TO on a directory are its entries
 * coming and going.
 *
 * The registration holds a reference on the file, like every fd-based
 * registration, and so on the inode and the mount, as the descriptor it
 * names does: neither the inode's eviction nor an unmount can come while
 * it lives (umount() is EBUSY), and its mark goes with it.  The removal
 * of a watched directory (rmdir) is told to its parent only
 * (KEVENT_INODE_ENTRY_DELETE): fsnotify reports it to the directory when
 * its last reference goes, which this registration holds.
 *
 * The handler runs in the context of the change, which may hold inode
 * locks: it takes the mark's kevent_inode_mark.lock and then the queue's
 * wait queue lock (kevent_ready()), nothing else.
 */

#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/memcontrol.h>
#include <linux/mount.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "kevent.h"

/**
 * struct kevent_inode_mark - the fsnotify mark of one registration
 * @fsn: the mark, in the inode's list
 * @lock: guards @k and the registration's pending changes
 * @k: the registration; NULL once it let go of the mark, which fsnotify
 *	frees later (after an SRCU grace period)
 */
struct kevent_inode_mark {
	struct fsnotify_mark	fsn;
	spinlock_t		lock;	/* taken in the VFS's context */
	struct kevent		*k;
};

/**
 * struct kevent_inode - the private part of a KEVENT_TYPE_INODE kevent
 * @kf: the registration; first, as for every fd-based source
 * @mark: its fsnotify mark
 * @inode: the watched inode, held through @kf's file
 * @events: what happened since the last report
 * @fresh: what happened since the last ->report, which ->consume keeps
 * @count: how many changes since the last report
 * @size: the size at the last modification
 * @nlink: the link count at the last attribute change
 *
 * @events to @nlink are under @mark->lock.
 */
struct kevent_inode {
	struct kevent_file		kf;
	struct kevent_inode_mark	*mark;
	struct inode			*inode;
	u32				events;
	u32				fresh;
	u64				count;
	loff_t				size;
	unsigned int			nlink;
};

#define KEVENT_INODE_EVENTS	(KEVENT_INODE_DELETE | KEVENT_INODE_WRITE | \
				 KEVENT_INODE_EXTEND | KEVENT_INODE_ATTRIB | \
				 KEVENT_INODE_LINK | KEVENT_INODE_RENAME | \
				 KEVENT_INODE_TRUNCATE | \
				 KEVENT_INODE_ENTRY_CREATE | \
				 KEVENT_INODE_ENTRY_DELETE | \
				 KEVENT_INODE_ENTRY_MOVED_FROM | \
				 KEVENT_INODE_ENTRY_MOVED_TO)

static struct kmem_cache *kevent_inode_mark_cachep __ro_after_init;

/* The fsnotify events that tell about @events */
static u32 kevent_inode_fsn_mask(u32 events)
{
	u32 mask = 0;

	if (events & (KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND |
		      KEVENT_INODE_TRUNCATE))
		mask |= FS_MODIFY;
	if (events & (KEVENT_INODE_ATTRIB | KEVENT_INODE_LINK |
		      KEVENT_INODE_DELETE))
		mask |= FS_ATTRIB;
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

		if (nlink != ki->nlink) {
			events |= KEVENT_INODE_LINK;
			if (!nlink)
				events |= KEVENT_INODE_DELETE;
			ki->nlink = nlink;
		} else {
			events |= KEVENT_INODE_ATTRIB;
		}
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
	return events;
}

static int kevent_inode_event(struct fsnotify_mark *fsn, u32 mask,
			      struct inode *inode, struct inode *dir,
			      const struct qstr *name, u32 cookie)
{
	struct kevent_inode_mark *m = container_of(fsn, struct kevent_inode_mark,
						   fsn);
	struct kevent_inode *ki;
	struct kevent *k;
	u32 events;

	spin_lock(&m->lock);
	k = m->k;
	if (!k)
		goto out;
	ki = kevent_priv(k);
	events = kevent_inode_events(ki, mask) & READ_ONCE(k->uk.event);
	if (events) {
		ki->events |= events;
		ki->fresh |= events;
		ki->count++;
		kevent_ready(k);
	}
out:
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

/* The queue's fsnotify group, made by its first inode registration */
static struct fsnotify_group *kevent_inode_group(struct kevent_user *ku)
{
	struct fsnotify_group *group;

	lockdep_assert_held(&ku->mutex);

	if (ku->fsn_group)
		return ku->fsn_group;
	group = fsnotify_alloc_group(&kevent_inode_fsn_ops,
				     FSNOTIFY_GROUP_USER | FSNOTIFY_GROUP_DUPS);
	if (IS_ERR(group))
		return group;
	group->memcg = get_mem_cgroup_from_mm(current->mm);
	ku->fsn_group = group;
	return group;
}

/**
 * kevent_inode_release() - let go of a queue's fsnotify group
 * @ku: the queue, being released, with no registration left
 */
void kevent_inode_release(struct kevent_user *ku)
{
	if (ku->fsn_group)
		fsnotify_destroy_group(ku->fsn_group);
}

static int kevent_inode_attach(struct kevent *k)
{
	struct kevent_inode *ki = kevent_priv(k);
	u32 mask = kevent_inode_fsn_mask(k->uk.event);
	struct fsnotify_group *group;
	struct kevent_inode_mark *m;
	struct file *file;
	int err;

	file = kevent_file_get_raw(&ki->kf, k);
	if (IS_ERR(file))
		return PTR_ERR(file);
	/* As inotify: one may watch only what one may read */
	err = path_permission(&file->f_path, MAY_READ);
	if (err)
		goto out_put;
	err = security_path_notify(&file->f_path, mask,
				   FSNOTIFY_OBJ_TYPE_INODE);
	if (err)
		goto out_put;
	group = kevent_inode_group(k->ku);
	if (IS_ERR(group)) {
		err = PTR_ERR(group);
		goto out_put;
	}

	err = -ENOMEM;
	m = kmem_cache_alloc(kevent_inode_mark_cachep, GFP_KERNEL_ACCOUNT);
	if (!m)
		goto out_put;
	fsnotify_init_mark(&m->fsn, group);
	spin_lock_init(&m->lock);
	m->k = k;
	m->fsn.mask = mask;
	ki->mark = m;
	ki->inode = file_inode(file);
	ki->events = 0;
	ki->fresh = 0;
	ki->count = 0;
	ki->size = i_size_read(ki->inode);
	ki->nlink = READ_ONCE(ki->inode->i_nlink);
	err = fsnotify_add_inode_mark(&m->fsn, ki->inode, 0);
	if (err)
		goto out_mark;
	err = kevent_file_watch(&ki->kf);
	if (err)
		goto out_del;
	return 0;

out_del:
	spin_lock(&m->lock);
	m->k = NULL;
	spin_unlock(&m->lock);
	fsnotify_destroy_mark(&m->fsn, group);
out_mark:
	fsnotify_put_mark(&m->fsn);
out_put:
	kevent_file_put(&ki->kf, false);
	return err;
}

static void kevent_inode_detach(struct kevent *k)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m = ki->mark;

	spin_lock(&m->lock);
	m->k = NULL;
	spin_unlock(&m->lock);
	fsnotify_destroy_mark(&m->fsn, m->fsn.group);
	fsnotify_put_mark(&m->fsn);
	kevent_file_put(&ki->kf, true);
}

static int kevent_inode_modify(struct kevent *k, const struct ukevent *uk)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct fsnotify_mark *fsn = &ki->mark->fsn;
	u32 mask = kevent_inode_fsn_mask(uk->event);
	int err;

	if (mask == fsn->mask)
		return 0;
	err = path_permission(&ki->kf.file->f_path, MAY_READ);
	if (err)
		return err;
	err = security_path_notify(&ki->kf.file->f_path, mask,
				   FSNOTIFY_OBJ_TYPE_INODE);
	if (err)
		return err;
	fsnotify_group_lock(fsn->group);
	spin_lock(&fsn->lock);
	fsn->mask = mask;
	spin_unlock(&fsn->lock);
	fsnotify_recalc_mask(fsn->connector);
	fsnotify_group_unlock(fsn->group);
	return 0;
}

static bool kevent_inode_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_inode *ki = kevent_priv(k);
	struct kevent_inode_mark *m = ki->mark;
	u32 events;

	spin_lock(&m->lock);
	events = ki->events & k->uk.event;
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
		   ki->inode->i_sb->s_dev, ki->mark->fsn.mask);
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
