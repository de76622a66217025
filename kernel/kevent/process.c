// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: registrations that watch a process, and their end at exec and
 * exit.
 *
 * Signal registrations (signal.c) and futex registrations (futex.c) watch
 * the process that added them: its signals, its futex words.  They belong
 * to that process (their owner is its signal_struct) and are listed in a
 * struct kevent_process that hangs off the signal_struct, allocated on the
 * first such registration and freed with the signal_struct.
 *
 * When the process execs, and when its last thread exits, every one of
 * them is removed, whichever queue holds it: a queue that outlives the
 * process (shared by fork() or SCM_RIGHTS) keeps no view of a process that
 * is gone, or that became another program, perhaps a setuid one.  Exec
 * removes them after the other threads are gone and before the old
 * address space is, so that a futex registration never outlives the mm its
 * key names; exit removes them with the POSIX timers, before exit_mm().
 */

#include <linux/kevent.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "kevent.h"

/**
 * kevent_process_get() - the current process's registrations, made on
 *	first use
 *
 * Return: the struct kevent_process of current->signal, or NULL without
 * memory.  May sleep.
 */
struct kevent_process *kevent_process_get(void)
{
	struct signal_struct *sig = current->signal;
	struct kevent_process *kp, *old;
	int i;

	/* Pairs with the cmpxchg() below: see an initialised structure. */
	kp = smp_load_acquire(&sig->kevent);
	if (kp)
		return kp;
	kp = kmalloc(sizeof(*kp), GFP_KERNEL_ACCOUNT);
	if (!kp)
		return NULL;
	spin_lock_init(&kp->lock);
	for (i = 0; i < ARRAY_SIZE(kp->signals); i++)
		INIT_HLIST_HEAD(&kp->signals[i]);
	memset(kp->nr_signals, 0, sizeof(kp->nr_signals));
	INIT_HLIST_HEAD(&kp->futexes);
	INIT_HLIST_HEAD(&kp->naio);
	/* Fully ordered: publishes the initialised structure. */
	old = cmpxchg(&sig->kevent, NULL, kp);
	if (old) {
		kfree(kp);
		return old;
	}
	return kp;
}

/**
 * kevent_process_add() - list a registration of the current process
 * @kp: its struct kevent_process
 * @list: the list it goes on
 * @e: its entry
 * @k: the kevent
 */
void kevent_process_add(struct kevent_process *kp, struct hlist_head *list,
			struct kevent_storage_entry *e, struct kevent *k)
{
	e->k = k;
	spin_lock_irq(&kp->lock);
	hlist_add_head(&e->node, list);
	spin_unlock_irq(&kp->lock);
}

/**
 * kevent_process_del() - unlist a registration
 * @kp: the struct kevent_process it is listed in
 * @e: its entry, on its list or on the list of kevent_process_reap()
 */
void kevent_process_del(struct kevent_process *kp,
			struct kevent_storage_entry *e)
{
	spin_lock_irq(&kp->lock);
	hlist_del_init(&e->node);
	spin_unlock_irq(&kp->lock);
}

static void kevent_process_take(struct hlist_head *from, struct hlist_head *to)
{
	struct kevent_storage_entry *e;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(e, tmp, from, node) {
		hlist_del(&e->node);
		hlist_add_head(&e->node, to);
	}
}

static bool kevent_process_reaped(struct kevent *k)
{
#ifdef CONFIG_NET
	return kevent_naio_reaped(k);
#else
	return true;
#endif
}

/* Remove every registration of the process of @sig. */
static void kevent_process_reap(struct signal_struct *sig)
{
	/* Pairs with the cmpxchg() in kevent_process_get(). */
	struct kevent_process *kp = smp_load_acquire(&sig->kevent);
	HLIST_HEAD(list);
	int i;

	if (!kp)
		return;
	spin_lock_irq(&kp->lock);
	for (i = 0; i < ARRAY_SIZE(kp->signals); i++)
		kevent_process_take(&kp->signals[i], &list);
	kevent_process_take(&kp->futexes, &list);
	kevent_process_take(&kp->naio, &list);
	spin_unlock_irq(&kp->lock);

	/*
	 * The process cannot add a registration meanwhile, but a CLONE_FILES
	 * sibling can add a request whose registration its files own.
	 */
	kevent_reap(&list, &kp->lock, true, kevent_process_reaped);
}

/**
 * kevent_exec() - a process execs
 * @tsk: its only thread, current, past the point of no return
 *
 * Called by begin_new_exec() with cred_guard_mutex held, before the old
 * mm is released.  May sleep.
 */
void kevent_exec(struct task_struct *tsk)
{
	kevent_process_reap(tsk->signal);
}

/**
 * kevent_exit() - the last thread of a process exits
 * @tsk: that thread, current
 *
 * Called by do_exit() before exit_mm().  May sleep.
 */
void kevent_exit(struct task_struct *tsk)
{
	kevent_process_reap(tsk->signal);
}

/**
 * kevent_process_free() - free the registrations list of a signal_struct
 * @sig: the signal_struct, being freed
 *
 * Every registration went at exit, or when it was removed.
 */
void kevent_process_free(struct signal_struct *sig)
{
	struct kevent_process *kp = sig->kevent;
	int i;

	if (!kp)
		return;
	for (i = 0; i < ARRAY_SIZE(kp->signals); i++)
		WARN_ON_ONCE(!hlist_empty(&kp->signals[i]));
	WARN_ON_ONCE(!hlist_empty(&kp->futexes));
	WARN_ON_ONCE(!hlist_empty(&kp->naio));
	kfree(kp);
}
