// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: registrations on file descriptors, and their close hook.
 *
 * The sources whose id is a file descriptor (poll, pipe, socket, proc)
 * embed a struct kevent_file at the start of their private data.  It
 * holds a reference on the file and remembers which descriptor named it;
 * the kevent's owner is the files_struct of the registering process.
 *
 * Such a registration lives while its file descriptor, in the registering
 * process, refers to the file it referred to when it was added.
 * filp_flush() calls kevent_flush() whenever a process lets go of a file
 * descriptor (close, dup2 over it, close-on-exec, exit), and that removes
 * the registrations that no longer hold.  Unlike an epoll registration,
 * one does not outlive the close of its fd through a dup'd or passed copy,
 * and a new file that reuses the fd number never receives its events.
 * close() frees the descriptor before it calls the hook: in between, a
 * registration whose descriptor no longer names its file is "stale", and
 * the core treats it as gone (kevent_file_stale()).
 *
 * The registrations of one file made by one process are a set, found in
 * a resizable hash keyed by (file, files_struct), so that kevent_flush()
 * costs every close() on the system a static branch and, once kevent has
 * been used, one hash lookup, whoever else watches what.  Lookups use RCU;
 * the sets and their lists change under kevent_files_lock, which nests
 * inside kevent_user.mutex and outside nothing else.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/jump_label.h>
#include <linux/kevent.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "kevent.h"

struct kevent_file_key {
	struct file	*file;
	fl_owner_t	owner;
};

/**
 * struct kevent_file_set - the registrations of one file by one process
 * @node: in kevent_files
 * @key: the file and the files_struct of the process
 * @regs: struct kevent_file.e.node, under kevent_files_lock
 * @rcu: freed after a grace period: kevent_flush() looks sets up under RCU
 */
struct kevent_file_set {
	struct rhash_head	node;
	struct kevent_file_key	key;
	struct hlist_head	regs;
	struct rcu_head		rcu;
};

static const struct rhashtable_params kevent_files_params = {
	.key_len		= sizeof(struct kevent_file_key),
	.key_offset		= offsetof(struct kevent_file_set, key),
	.head_offset		= offsetof(struct kevent_file_set, node),
	.automatic_shrinking	= true,
};

static struct rhashtable kevent_files;
static DEFINE_SPINLOCK(kevent_files_lock);
/* Enabled by the first registration, never disabled: one text patch. */
static DEFINE_STATIC_KEY_FALSE(kevent_files_used);

/**
 * kevent_file_get() - take the file a new registration names
 * @kf: the registration's struct kevent_file
 * @k: the kevent; its id is the file descriptor, its owner current->files
 *
 * Return: the file, with a reference held by @kf, or ERR_PTR(-EBADF).
 */
struct file *kevent_file_get(struct kevent_file *kf, struct kevent *k)
{
	struct file *file;

	if (k->uk.id > INT_MAX)
		return ERR_PTR(-EBADF);
	file = fget(k->uk.id);
	if (!file)
		return ERR_PTR(-EBADF);
	kf->file = file;
	kf->fd = k->uk.id;
	kf->e.k = k;
	kf->set = NULL;
	INIT_HLIST_NODE(&kf->e.node);
	return file;
}

/* Does the registered fd still refer to the registered file? */
static bool kevent_file_holds(struct kevent_file *kf)
{
	bool holds;

	rcu_read_lock();
	holds = files_lookup_fd_raw(kf->e.k->owner, kf->fd) == kf->file;
	rcu_read_unlock();
	return holds;
}

/**
 * kevent_file_stale() - has a registration's fd stopped naming its file?
 * @k: a kevent of an fd-based source
 *
 * Called with its queue's mutex held, which keeps the owner's files alive:
 * their close hook waits for it.
 *
 * Return: true if the close hook is about to remove @k.
 */
bool kevent_file_stale(struct kevent *k)
{
	return !kevent_file_holds(kevent_priv(k));
}

/* Called with kevent_files_lock held */
static void kevent_file_set_put(struct kevent_file_set *set)
{
	lockdep_assert_held(&kevent_files_lock);

	if (!hlist_empty(&set->regs))
		return;
	rhashtable_remove_fast(&kevent_files, &set->node, kevent_files_params);
	kfree_rcu(set, rcu);
}

static void kevent_file_unlist(struct kevent_file *kf)
{
	spin_lock_irq(&kevent_files_lock);
	/* In its set, on the list of a kevent_flush(), or reaped already */
	hlist_del_init(&kf->e.node);
	if (kf->set)
		kevent_file_set_put(kf->set);
	kf->set = NULL;
	spin_unlock_irq(&kevent_files_lock);
}

/**
 * kevent_file_watch() - make the close of the registration's fd remove it
 * @kf: a registration set up by kevent_file_get()
 *
 * Called once the source is hooked up.  From now on kevent_flush() removes
 * the kevent when its fd stops referring to its file.
 *
 * Return: 0; -EBADF if that already happened, or -ENOMEM; in both cases
 * @kf is as before the call.
 */
int kevent_file_watch(struct kevent_file *kf)
{
	struct kevent_file_key key = { kf->file, kf->e.k->owner };
	struct kevent_file_set *set, *new = NULL;

	if (!static_key_enabled(&kevent_files_used))
		static_branch_enable(&kevent_files_used);

	spin_lock_irq(&kevent_files_lock);
	set = rhashtable_lookup_fast(&kevent_files, &key, kevent_files_params);
	if (!set) {
		spin_unlock_irq(&kevent_files_lock);
		new = kmalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		new->key = key;
		INIT_HLIST_HEAD(&new->regs);
		spin_lock_irq(&kevent_files_lock);
		set = rhashtable_lookup_get_insert_fast(&kevent_files, &new->node,
							kevent_files_params);
		if (IS_ERR(set)) {
			/* A table that cannot grow: out of memory, as for us */
			spin_unlock_irq(&kevent_files_lock);
			kfree(new);
			return -ENOMEM;
		}
		if (!set) {
			set = new;
			new = NULL;
		}
	}
	hlist_add_head(&kf->e.node, &set->regs);
	kf->set = set;
	spin_unlock_irq(&kevent_files_lock);
	kfree(new);

	/*
	 * A close of the fd from now on finds us in the hash.  One that came
	 * before did not: see that the fd still holds the file.  Pairs with
	 * the barrier in kevent_flush().
	 */
	smp_mb();
	if (kevent_file_holds(kf))
		return 0;
	kevent_file_unlist(kf);
	return -EBADF;
}

/**
 * kevent_file_put() - let go of a registration's file
 * @kf: the registration
 * @watched: kevent_file_watch() succeeded on it
 */
void kevent_file_put(struct kevent_file *kf, bool watched)
{
	if (watched)
		kevent_file_unlist(kf);
	fput(kf->file);
}

static bool kevent_file_match(struct kevent *k, void *file)
{
	struct kevent_file *kf = kevent_priv(k);

	return k->ops->fd_based && kf->file == file && !kevent_file_holds(kf);
}

/**
 * kevent_flush() - a process let go of a file descriptor
 * @file: the file it referred to
 * @owner: the files of the process
 *
 * Called by filp_flush().  Removes the registrations that @owner made on
 * @file through a file descriptor that no longer refers to @file.
 * Process context; may sleep.
 */
void kevent_flush(struct file *file, fl_owner_t owner)
{
	struct kevent_file_key key = { file, owner };
	struct kevent_storage_entry *e;
	struct kevent_file_set *set;
	struct hlist_node *tmp;
	HLIST_HEAD(stale);

	if (!static_branch_unlikely(&kevent_files_used))
		return;
	/* Pairs with the barrier in kevent_file_watch(). */
	smp_mb();

	rcu_read_lock();
	set = rhashtable_lookup(&kevent_files, &key, kevent_files_params);
	rcu_read_unlock();
	if (!set)
		return;

	/* Take the stale ones out of the set, then remove them one by one. */
	spin_lock_irq(&kevent_files_lock);
	set = rhashtable_lookup_fast(&kevent_files, &key, kevent_files_params);
	if (set) {
		hlist_for_each_entry_safe(e, tmp, &set->regs, node) {
			struct kevent_file *kf = container_of(e, struct kevent_file, e);

			if (kevent_file_holds(kf))
				continue;
			hlist_del(&e->node);
			hlist_add_head(&e->node, &stale);
			kf->set = NULL;
		}
		kevent_file_set_put(set);
	}
	spin_unlock_irq(&kevent_files_lock);

	kevent_reap(&stale, &kevent_files_lock, kevent_file_match, file);
}

static int __init kevent_file_init(void)
{
	return rhashtable_init(&kevent_files, &kevent_files_params);
}
fs_initcall(kevent_file_init);
