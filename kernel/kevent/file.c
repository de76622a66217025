// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: registrations on file descriptors, and their close hook.
 *
 * The sources whose id is a file descriptor (poll, pipe, socket, proc,
 * naio, and inode, which takes O_PATH descriptors too) embed a struct
 * kevent_file at the start of their private data.  It
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
 * The registrations of one file made by one process are found in a
 * resizable hash list table keyed by (file, files_struct), so that
 * kevent_flush() costs every close() on the system a static branch and,
 * once kevent has been used, one hash lookup, whoever else watches what.
 * Lookups use RCU; the table and the lists of kevent_flush() change under
 * kevent_files_lock, which nests inside kevent_user.mutex and outside
 * nothing else.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/jhash.h>
#include <linux/jump_label.h>
#include <linux/kevent.h>
#include <linux/rhashtable.h>

#include "kevent.h"

struct kevent_file_key {
	struct file	*file;
	fl_owner_t	owner;
};

static u32 kevent_file_hash(const void *key, u32 len, u32 seed)
{
	return jhash(key, sizeof(struct kevent_file_key), seed);
}

static u32 kevent_file_obj_hash(const void *obj, u32 len, u32 seed)
{
	const struct kevent_file *kf = obj;
	struct kevent_file_key key = { kf->file, kf->e.k->owner };

	return kevent_file_hash(&key, sizeof(key), seed);
}

static int kevent_file_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kevent_file_key *key = arg->key;
	const struct kevent_file *kf = obj;

	return kf->file != key->file || kf->e.k->owner != key->owner;
}

static const struct rhashtable_params kevent_files_params = {
	.key_len		= sizeof(struct kevent_file_key),
	.head_offset		= offsetof(struct kevent_file, node),
	.hashfn			= kevent_file_hash,
	.obj_hashfn		= kevent_file_obj_hash,
	.obj_cmpfn		= kevent_file_cmp,
	.automatic_shrinking	= true,
};

static struct rhltable kevent_files;
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
	if (k->uk.id > INT_MAX)
		return ERR_PTR(-EBADF);
	return kevent_file_get_fd(kf, k, k->uk.id);
}

static struct file *kevent_file_set(struct kevent_file *kf, struct kevent *k,
				    struct file *file, unsigned int fd)
{
	if (!file)
		return ERR_PTR(-EBADF);
	kf->file = file;
	kf->fd = fd;
	kf->e.k = k;
	kf->listed = false;
	INIT_HLIST_NODE(&kf->e.node);
	return file;
}

/* kevent_file_get() for a source whose id holds the fd and more */
struct file *kevent_file_get_fd(struct kevent_file *kf, struct kevent *k,
				unsigned int fd)
{
	if (fd > INT_MAX)
		return ERR_PTR(-EBADF);
	return kevent_file_set(kf, k, fget(fd), fd);
}

/* kevent_file_get() for a source that takes O_PATH descriptors too */
struct file *kevent_file_get_raw(struct kevent_file *kf, struct kevent *k)
{
	if (k->uk.id > INT_MAX)
		return ERR_PTR(-EBADF);
	return kevent_file_set(kf, k, fget_raw(k->uk.id), k->uk.id);
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

static void kevent_file_unlist(struct kevent_file *kf)
{
	spin_lock(&kevent_files_lock);
	if (kf->listed) {
		rhltable_remove(&kevent_files, &kf->node, kevent_files_params);
		kf->listed = false;
	} else {
		/* On the list of a kevent_flush(), or taken off it already */
		hlist_del_init(&kf->e.node);
	}
	spin_unlock(&kevent_files_lock);
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
	bool listed;
	int err;

	if (!static_key_enabled(&kevent_files_used))
		static_branch_enable(&kevent_files_used);

	spin_lock(&kevent_files_lock);
	err = rhltable_insert_key(&kevent_files, &key, &kf->node,
				  kevent_files_params);
	kf->listed = !err;
	spin_unlock(&kevent_files_lock);
	/* A table that cannot grow now: out of memory, as for us */
	if (err)
		return -ENOMEM;

	/*
	 * A close of the fd from now on finds us in the hash.  One that came
	 * before did not: see that the fd still holds the file.  Pairs with
	 * the barrier in kevent_flush().
	 */
	smp_mb();
	if (kevent_file_holds(kf)) {
		/* Unless a close came and went and took us meanwhile */
		spin_lock(&kevent_files_lock);
		listed = kf->listed;
		spin_unlock(&kevent_files_lock);
		if (listed)
			return 0;
	}
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

/* Still on no list but the reaper's: not re-added since it was taken */
static bool kevent_file_match(struct kevent *k)
{
	struct kevent_file *kf = kevent_priv(k);

	return !kf->listed;
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
	struct rhlist_head *list, *pos;
	struct kevent_file *kf;
	HLIST_HEAD(stale);

	if (!static_branch_unlikely(&kevent_files_used))
		return;
	/* Pairs with the barrier in kevent_file_watch(). */
	smp_mb();

	rcu_read_lock();
	list = rhltable_lookup(&kevent_files, &key, kevent_files_params);
	rcu_read_unlock();
	if (!list)
		return;

	/*
	 * Take the stale ones out of the table, then remove them one by one.
	 * The kevents are freed after a grace period: the walk needs no lock,
	 * and the lock is held for one entry at a time.
	 */
	rcu_read_lock();
	list = rhltable_lookup(&kevent_files, &key, kevent_files_params);
	rhl_for_each_entry_rcu(kf, pos, list, node) {
		if (kevent_file_holds(kf))
			continue;
		spin_lock(&kevent_files_lock);
		if (kf->listed) {
			/* Keeps ->next: the walk goes on */
			rhltable_remove(&kevent_files, &kf->node,
					kevent_files_params);
			kf->listed = false;
			hlist_add_head(&kf->e.node, &stale);
		}
		spin_unlock(&kevent_files_lock);
	}
	rcu_read_unlock();

	kevent_reap(&stale, &kevent_files_lock, false, kevent_file_match);
}

static int __init kevent_file_init(void)
{
	return rhltable_init(&kevent_files, &kevent_files_params);
}
fs_initcall(kevent_file_init);
