// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: process exit, by pidfd (KEVENT_TYPE_PROC).
 *
 * A registration names a process by a pidfd, so it cannot be confused by
 * pid reuse: the pidfd pins the struct pid, and so does the registration
 * through its reference on the pidfd's file.  It hooks an entry into the
 * pid's wait_pidfd queue, which the exit code wakes when the process has
 * exited (the last thread of the group is a zombie, in exit_notify() or
 * release_task(), or was released) and again when the task is released.
 * The wakeup callback runs with tasklist_lock held, while the zombie still
 * exists even for a process that reaps itself, and takes the wait status
 * then, as wait_task_zombie() computes it.  So the status of a child is
 * reported even if it is reaped before the event is read.
 *
 * The status is reported only when the process was a child of the
 * registering process at ADD time, as waitpid() would give it to that
 * process only, and only if it was seen: a child reaped before the
 * registration was added is reported as exited, without a status.  The
 * registration does not reap the process.
 */

#include <linux/file.h>
#include <linux/pid.h>
#include <uapi/linux/pidfd.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "kevent.h"

/* The private part of a KEVENT_TYPE_PROC kevent */
struct kevent_proc {
	struct kevent_file	kf;	/* first: fd-based */
	struct wait_queue_entry	wait;	/* in pid->wait_pidfd */
	struct pid		*pid;
	bool			child;
	/* Under pid->wait_pidfd.lock */
	bool			exited;
	bool			has_status;
	int			status;
};

/*
 * Has the process exited?  Take its status if so.  Called with
 * pid->wait_pidfd.lock held.
 */
static void kevent_proc_update(struct kevent_proc *p)
{
	struct task_struct *task;

	lockdep_assert_held(&p->pid->wait_pidfd.lock);

	if (p->exited)
		return;
	rcu_read_lock();
	task = pid_task(p->pid, PIDTYPE_PID);
	if (task) {
		if (!READ_ONCE(task->exit_state) || !thread_group_empty(task)) {
			rcu_read_unlock();
			return;
		}
		/* As wait_task_zombie() */
		p->status = (READ_ONCE(task->signal->flags) & SIGNAL_GROUP_EXIT) ?
			    READ_ONCE(task->signal->group_exit_code) :
			    READ_ONCE(task->exit_code);
		p->has_status = p->child;
	}
	rcu_read_unlock();
	p->exited = true;
	kevent_ready(p->kf.e.k);
}

static int kevent_proc_wake(struct wait_queue_entry *wait, unsigned int mode,
			    int sync, void *key)
{
	struct kevent_proc *p = container_of(wait, struct kevent_proc, wait);

	kevent_proc_update(p);
	return 0;
}

static int kevent_proc_attach(struct kevent *k)
{
	struct kevent_proc *p = kevent_priv(k);
	struct task_struct *task;
	struct file *file;
	int err;

	file = kevent_file_get(&p->kf, k);
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = -EINVAL;
	p->pid = pidfd_pid(file);
	if (IS_ERR(p->pid) || (file->f_flags & PIDFD_THREAD))
		goto out_put;

	rcu_read_lock();
	task = pid_task(p->pid, PIDTYPE_TGID);
	p->child = task &&
		   same_thread_group(rcu_dereference(task->real_parent), current);
	rcu_read_unlock();

	init_waitqueue_func_entry(&p->wait, kevent_proc_wake);
	spin_lock_irq(&p->pid->wait_pidfd.lock);
	__add_wait_queue(&p->pid->wait_pidfd, &p->wait);
	/* An exit from now on wakes us; see whether one came before. */
	kevent_proc_update(p);
	spin_unlock_irq(&p->pid->wait_pidfd.lock);

	err = kevent_file_watch(&p->kf);
	if (err)
		goto out_del;
	return 0;

out_del:
	remove_wait_queue(&p->pid->wait_pidfd, &p->wait);
out_put:
	kevent_file_put(&p->kf, false);
	return err;
}

static void kevent_proc_detach(struct kevent *k)
{
	struct kevent_proc *p = kevent_priv(k);

	remove_wait_queue(&p->pid->wait_pidfd, &p->wait);
	kevent_file_put(&p->kf, true);
}

static bool kevent_proc_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_proc *p = kevent_priv(k);
	bool exited;

	spin_lock_irq(&p->pid->wait_pidfd.lock);
	exited = p->exited;
	if (exited) {
		out->event = KEVENT_PROC_EXIT;
		if (p->has_status) {
			out->event |= KEVENT_PROC_STATUS;
			out->ret_data = (u32)p->status;
		}
	}
	spin_unlock_irq(&p->pid->wait_pidfd.lock);
	return exited;
}

const struct kevent_ops kevent_proc_ops = {
	.priv_size	= sizeof(struct kevent_proc),
	.fd_based	= true,
	.event_mask	= KEVENT_PROC_EXIT,
	.attach		= kevent_proc_attach,
	.detach		= kevent_proc_detach,
	.report		= kevent_proc_report,
};
