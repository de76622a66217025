// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: registrations on file descriptors, and their close hook.
 *
 * The sources whose id is a file descriptor (poll, socket, pipe) embed a
 * struct kevent_file at the start of their private data.  It holds a
 * reference on the file and remembers which descriptor of which process
 * named it.
 *
 * Such a registration lives while its file descriptor, in the registering
 * process, refers to the file it referred to when it was added.
 * filp_flush() calls kevent_flush() whenever a process lets go of a file
 * descriptor (close, dup2 over it, close-on-exec, exit), and that removes
 * the registrations that no longer hold.  Unlike an epoll registration,
 * one does not outlive the close of its fd through a dup'd or passed copy,
 * and a new file that reuses the fd number never receives its events.
 *
 * Every registration is in kevent_files, a hash keyed by the file, so that
 * kevent_flush() finds a file's registrations without a field in struct
 * file.  Readers use RCU; changes take kevent_files_lock, which nests
 * inside kevent_user.mutex and outside nothing else.
 */

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/jump_label.h>
#include <linux/kevent.h>

#include "kevent.h"

static DEFINE_HASHTABLE(kevent_files, 8);
static DEFINE_SPINLOCK(kevent_files_lock);
static DEFINE_STATIC_KEY_FALSE(kevent_files_used);

/**
 * kevent_file_get() - take the file a new registration names
 * @kf: the registration's struct kevent_file
 * @k: the kevent; its id is the file descriptor
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
	kf->owner = current->files;
	kf->fd = k->uk.id;
	kf->k = k;
	return file;
}

/* Does the registered fd still refer to the registered file? */
static bool kevent_file_holds(struct kevent_file *kf)
{
	bool holds;

	rcu_read_lock();
	holds = files_lookup_fd_raw(kf->owner, kf->fd) == kf->file;
	rcu_read_unlock();
	return holds;
}

static void kevent_file_unlist(struct kevent_file *kf)
{
	spin_lock(&kevent_files_lock);
	hash_del_rcu(&kf->node);
	spin_unlock(&kevent_files_lock);
	static_branch_dec(&kevent_files_used);
}

/**
 * kevent_file_watch() - make the close of the registration's fd remove it
 * @kf: a registration set up by kevent_file_get()
 *
 * Called once the source is hooked up.  From now on kevent_flush() removes
 * the kevent when its fd stops referring to its file.
 *
 * Return: 0, or -EBADF if that already happened, in which case @kf is as
 * before the call.
 */
int kevent_file_watch(struct kevent_file *kf)
{
	static_branch_inc(&kevent_files_used);
	spin_lock(&kevent_files_lock);
	hash_add_rcu(kevent_files, &kf->node, (unsigned long)kf->file);
	spin_unlock(&kevent_files_lock);

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

struct kevent_file_flush {
	struct file	*file;
	fl_owner_t	owner;
};

static bool kevent_file_stale(struct kevent_file *kf,
			      const struct kevent_file_flush *f)
{
	return kf->file == f->file && kf->owner == f->owner &&
	       !kevent_file_holds(kf);
}

static bool kevent_file_match(struct kevent *k, void *arg)
{
	return k->ops->fd_based && kevent_file_stale(kevent_priv(k), arg);
}

#define KEVENT_FLUSH_BATCH	16

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
	struct kevent_file_flush f = { .file = file, .owner = owner };
	struct {
		struct kevent_user	*ku;
		u32			type;
		u64			id;
	} batch[KEVENT_FLUSH_BATCH];
	unsigned long key = (unsigned long)file;
	struct kevent_file *kf;
	bool found = false;
	int i, n;

	if (!static_branch_unlikely(&kevent_files_used))
		return;
	/* Pairs with the barrier in kevent_file_watch(). */
	smp_mb();

	rcu_read_lock();
	hash_for_each_possible_rcu(kevent_files, kf, node, key) {
		if (kf->file == file && kf->owner == owner) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!found)
		return;

	do {
		n = 0;
		spin_lock(&kevent_files_lock);
		hash_for_each_possible(kevent_files, kf, node, key) {
			if (!kevent_file_stale(kf, &f))
				continue;
			/* Registered, so the queue is alive; keep it so. */
			kevent_user_get(kf->k->ku);
			batch[n].ku = kf->k->ku;
			batch[n].type = kf->k->uk.type;
			batch[n].id = kf->k->uk.id;
			if (++n == KEVENT_FLUSH_BATCH)
				break;
		}
		spin_unlock(&kevent_files_lock);

		for (i = 0; i < n; i++) {
			kevent_remove_if(batch[i].ku, batch[i].type, batch[i].id,
					 kevent_file_match, &f);
			kevent_user_put(batch[i].ku);
		}
	} while (n == KEVENT_FLUSH_BATCH);
}
