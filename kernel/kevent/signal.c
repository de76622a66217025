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
 * The registrations of a process are listed by signal number in its
 * struct kevent_process (process.c), so that sending a signal walks only
 * the registrations of that signal, at most KEVENT_SIGNAL_MAX of them
 * (each queue they wake may be watched by others: see poll.c).  They
 * belong to the process and go when it execs or exits.
 */

#include <linux/kevent.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>

#include "kevent.h"

/* Enabled by the first registration, never disabled: one text patch. */
DEFINE_STATIC_KEY_FALSE(kevent_signal_used);

/* The private part of a KEVENT_TYPE_SIGNAL kevent */
struct kevent_signal {
	struct kevent_storage_entry	entry;	/* in kevent_process.signals */
	struct kevent_process		*kp;
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
	/* Pairs with the cmpxchg() in kevent_process_get(). */
	struct kevent_process *kp = smp_load_acquire(&sig->kevent);
	struct kevent_storage_entry *e;
	unsigned long flags;

	if (!kp || signo < 1 || signo > _NSIG)
		return;
	spin_lock_irqsave(&kp->lock, flags);
	hlist_for_each_entry(e, &kp->signals[signo - 1], node) {
		struct kevent_signal *s;

		s = container_of(e, struct kevent_signal, entry);
		atomic64_inc(&s->count);
		kevent_ready(e->k);
	}
	spin_unlock_irqrestore(&kp->lock, flags);
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
	unsigned int i = k->uk.id - 1;
	struct kevent_process *kp;

	kp = kevent_process_get();
	if (!kp)
		return -ENOMEM;
	s->kp = kp;
	s->entry.k = k;
	atomic64_set(&s->count, 0);
	if (!static_key_enabled(&kevent_signal_used))
		static_branch_enable(&kevent_signal_used);

	spin_lock_irq(&kp->lock);
	if (kp->nr_signals[i] >= KEVENT_SIGNAL_MAX) {
		spin_unlock_irq(&kp->lock);
		return -ENOSPC;
	}
	kp->nr_signals[i]++;
	hlist_add_head(&s->entry.node, &kp->signals[i]);
	spin_unlock_irq(&kp->lock);
	return 0;
}

static void kevent_signal_detach(struct kevent *k)
{
	struct kevent_signal *s = kevent_priv(k);
	struct kevent_process *kp = s->kp;

	spin_lock_irq(&kp->lock);
	/* On its list, or on the list of an exec or exit */
	hlist_del_init(&s->entry.node);
	kp->nr_signals[k->uk.id - 1]--;
	spin_unlock_irq(&kp->lock);
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
	.per_process	= true,
	.event_mask	= KEVENT_SIGNAL_ARRIVED,
	.check		= kevent_signal_check,
	.attach		= kevent_signal_attach,
	.detach		= kevent_signal_detach,
	.report		= kevent_signal_report,
	.consume	= kevent_signal_consume,
};
