// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: signal arrival (KEVENT_TYPE_SIGNAL).
 *
 * A registration counts every time its signal is sent to the process that
 * added it: the signal code calls kevent_signal_notify() when it generates
 * a signal for a task (__send_signal_locked() and send_sigqueue()), before
 * it decides whether to queue, merge or ignore it, with the target's
 * siglock held and interrupts off.  The signal is then handled exactly as
 * without kevent: delivered to a handler, left pending while blocked,
 * dropped if ignored, acted on by default.  This is what kqueue's
 * EVFILT_SIGNAL does; a program that wants the event only sets the signal
 * to SIG_IGN (or blocks it and reads it with sigwaitinfo() or signalfd).
 * Counting at generation also counts the standard signals that are merged
 * with a pending one, which a queue of siginfo cannot do.
 *
 * The registrations of a process hang off its signal_struct in a struct
 * kevent_storage, allocated on first use and freed with the signal_struct.
 * Each registration holds a reference on the registering task, which
 * keeps the signal_struct alive while the storage is in use.
 */

#include <linux/kevent.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>

#include "kevent.h"

DEFINE_STATIC_KEY_FALSE(kevent_signal_used);

/* The private part of a KEVENT_TYPE_SIGNAL kevent */
struct kevent_signal {
	struct kevent_storage_entry	entry;
	struct kevent_storage		*st;
	struct task_struct		*task;	/* referenced */
	atomic64_t			count;	/* arrivals not yet reported */
};

/**
 * __kevent_signal_notify() - count a signal sent to a watched process
 * @sig: the process's signal_struct
 * @signo: the signal
 *
 * See kevent_signal_notify().
 */
void __kevent_signal_notify(struct signal_struct *sig, int signo)
{
	/* Pairs with the cmpxchg() in kevent_storage_get(). */
	struct kevent_storage *st = smp_load_acquire(&sig->kevent);
	struct kevent_storage_entry *e;
	unsigned long flags;

	if (!st)
		return;
	spin_lock_irqsave(&st->lock, flags);
	hlist_for_each_entry(e, &st->list, node) {
		struct kevent_signal *s;

		/* The id of a registration never changes. */
		if (e->k->uk.id != signo)
			continue;
		s = container_of(e, struct kevent_signal, entry);
		atomic64_inc(&s->count);
		kevent_ready(e->k);
	}
	spin_unlock_irqrestore(&st->lock, flags);
}

/**
 * kevent_signal_free() - free the storage of a signal_struct being freed
 * @sig: the signal_struct
 *
 * Every registration went before: each held a reference on a task that
 * uses @sig.
 */
void kevent_signal_free(struct signal_struct *sig)
{
	kevent_storage_free(sig->kevent);
}

static int kevent_signal_check(const struct ukevent *uk)
{
	if (!uk->id || uk->id > _NSIG)
		return -EINVAL;
	/* Cannot be caught, blocked or ignored: nothing to report after. */
	if (uk->id == SIGKILL || uk->id == SIGSTOP)
		return -EINVAL;
	if (uk->param[0] || uk->param[1])
		return -EINVAL;
	return 0;
}

static int kevent_signal_attach(struct kevent *k)
{
	struct kevent_signal *s = kevent_priv(k);

	s->st = kevent_storage_get(&current->signal->kevent);
	if (!s->st)
		return -ENOMEM;
	s->task = get_task_struct(current);
	atomic64_set(&s->count, 0);
	static_branch_inc(&kevent_signal_used);
	kevent_storage_add(s->st, &s->entry, k, 0);
	return 0;
}

static void kevent_signal_detach(struct kevent *k)
{
	struct kevent_signal *s = kevent_priv(k);

	kevent_storage_del(s->st, &s->entry);
	static_branch_dec(&kevent_signal_used);
	put_task_struct(s->task);
}

static bool kevent_signal_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_signal *s = kevent_priv(k);
	u64 n = atomic64_read(&s->count);

	if (!n)
		return false;
	out->event = KEVENT_SIGNAL_ARRIVED;
	out->ret_data = n;
	return true;
}

static void kevent_signal_consume(struct kevent *k, const struct ukevent *out)
{
	struct kevent_signal *s = kevent_priv(k);

	/* Arrivals since the report stay counted. */
	atomic64_sub(out->ret_data, &s->count);
}

const struct kevent_ops kevent_signal_ops = {
	.priv_size	= sizeof(struct kevent_signal),
	.event_mask	= KEVENT_SIGNAL_ARRIVED,
	.check		= kevent_signal_check,
	.attach		= kevent_signal_attach,
	.detach		= kevent_signal_detach,
	.report		= kevent_signal_report,
	.consume	= kevent_signal_consume,
};
