// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: POSIX timers that deliver into a queue (KEVENT_TYPE_POSIX_TIMER).
 *
 * timer_create() with sigev_notify = SIGEV_KEVENT and the queue's fd in
 * sigev_notify_kevent_fd adds a registration to the queue, named by the
 * timer's id, with sigev_value as its udata; timer_delete() and the exit
 * or exec of the process remove it.  Closing the queue, or removing the
 * registration, leaves the timer to expire with nobody told, as a timer
 * whose signal is blocked for ever.
 *
 * The registration takes the place of the timer's signal and follows its
 * rules, so that the timer code does not change: an expiry "queues" the
 * registration instead of the sigqueue (posix_timer_queue_signal() calls
 * kevent_posix_timer_fire() with the timer's it_lock held, in the timer's
 * interrupt context), and a periodic timer is rearmed when the expiry is
 * reported, as when its signal is dequeued, by posixtimer_rearm_kevent().
 * The rearm counts the periods that passed meanwhile as overruns, and a
 * report gives the expiry plus its overruns in ret_data, so a waiter that
 * sleeps through several periods is told how many; timer_getoverrun()
 * returns the same overrun count as after a signal.  A timer does not run
 * while its expiry waits to be reported.
 *
 * The registration points to the timer and the timer to it, both under
 * the timer's it_lock; the timer is freed only after its registration is
 * removed, see kevent_posix_timer_delete().
 */

#include <linux/file.h>
#include <linux/kevent.h>
#include <linux/posix-timers.h>

#include "kevent.h"

/* The private part of a KEVENT_TYPE_POSIX_TIMER kevent */
struct kevent_posix_timer {
	struct k_itimer	*timr;		/* first: set by kevent_add_kernel() */
	/* Under timr->it_lock */
	u64		expired;	/* expiries not yet reported */
	s64		overrun;	/* their overruns */
	int		si_private;	/* to rearm for, else 0 */
	/* Under kevent_user.mutex, from ->report to ->consume */
	u64		rep_expired;
	s64		rep_overrun;
};

/**
 * kevent_posix_timer_fire() - a SIGEV_KEVENT timer expired
 * @timr: the timer, it_lock held
 * @si_private: the stamp posixtimer_rearm_kevent() must see to rearm it
 *
 * Return: 0, the expiry is queued ("the signal was queued"), the timer
 * waits for the report to be rearmed.
 */
int kevent_posix_timer_fire(struct k_itimer *timr, int si_private)
{
	struct kevent *k = timr->it_kevent;
	struct kevent_posix_timer *t;

	lockdep_assert_held(&timr->it_lock);

	if (!k)
		return 0;
	t = kevent_priv(k);
	t->expired++;
	t->si_private = si_private;
	kevent_ready(k);
	return 0;
}

/**
 * kevent_posix_timer_create() - add the registration of a new timer
 * @timr: the timer, not yet visible to user space
 * @fd: the queue's file descriptor, sigev_notify_kevent_fd
 * @udata: the registration's udata, sigev_value
 *
 * The registration belongs to the current process, as the timer does.
 *
 * Return: 0, -EBADF if @fd is not open, -EINVAL if it is not a kevent
 * queue, -ENOSPC past fs.kevent.max_user_kevents, -ENOMEM.
 */
int kevent_posix_timer_create(struct k_itimer *timr, int fd, u64 udata)
{
	struct ukevent uk = {
		.id	= timr->it_id,
		.udata	= udata,
		.type	= KEVENT_TYPE_POSIX_TIMER,
	};
	struct kevent_user *ku;
	struct fd f;
	int err;

	f = fdget(fd);
	if (!fd_file(f))
		return -EBADF;
	err = -EINVAL;
	ku = kevent_user_from_file(fd_file(f));
	if (ku)
		err = kevent_add_kernel(ku, &uk, current->signal, &timr,
					sizeof(timr));
	fdput(f);
	return err;
}

static bool kevent_posix_timer_match(struct kevent *k, void *timr)
{
	struct kevent_posix_timer *t = kevent_priv(k);

	return t->timr == timr;
}

/**
 * kevent_posix_timer_delete() - remove the registration of a timer
 * @timr: the timer, being deleted: no longer armed, about to be freed
 *
 * May sleep.
 */
void kevent_posix_timer_delete(struct k_itimer *timr)
{
	struct kevent_user *ku = NULL;
	unsigned long flags;
	void *owner = NULL;

	spin_lock_irqsave(&timr->it_lock, flags);
	if (timr->it_kevent) {
		/* Keeps the queue while its registration may go meanwhile */
		ku = timr->it_kevent->ku;
		owner = timr->it_kevent->owner;
		kevent_user_get(ku);
	}
	spin_unlock_irqrestore(&timr->it_lock, flags);
	if (!ku)
		return;

	kevent_remove_if(ku, KEVENT_TYPE_POSIX_TIMER, timr->it_id, owner,
			 kevent_posix_timer_match, timr);
	kevent_user_put(ku);
}

static int kevent_posix_timer_attach(struct kevent *k)
{
	struct kevent_posix_timer *t = kevent_priv(k);

	spin_lock_irq(&t->timr->it_lock);
	t->timr->it_kevent = k;
	spin_unlock_irq(&t->timr->it_lock);
	return 0;
}

static void kevent_posix_timer_detach(struct kevent *k)
{
	struct kevent_posix_timer *t = kevent_priv(k);

	spin_lock_irq(&t->timr->it_lock);
	t->timr->it_kevent = NULL;
	spin_unlock_irq(&t->timr->it_lock);
}

static bool kevent_posix_timer_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_posix_timer *t = kevent_priv(k);
	struct k_itimer *timr = t->timr;

	/*
	 * The one report that changes its source: the rearm must happen
	 * here, where the expiry is taken, to count the overruns it is
	 * reported with, as dequeue_signal() does.  It is done once per
	 * expiry (si_private is cleared) and latched in ->overrun, so a
	 * report repeated before ->consume (a failed copy) loses nothing.
	 */
	spin_lock_irq(&timr->it_lock);
	if (t->si_private) {
		t->overrun += posixtimer_rearm_kevent(timr, t->si_private);
		t->si_private = 0;
	}
	t->rep_expired = t->expired;
	t->rep_overrun = t->overrun;
	spin_unlock_irq(&timr->it_lock);

	if (!t->rep_expired)
		return false;
	out->event = KEVENT_TIMER_EXPIRED;
	out->ret_data = t->rep_expired + t->rep_overrun;
	return true;
}

static void kevent_posix_timer_consume(struct kevent *k,
				       const struct ukevent *out)
{
	struct kevent_posix_timer *t = kevent_priv(k);

	/* Expiries since the report stay counted. */
	spin_lock_irq(&t->timr->it_lock);
	t->expired -= t->rep_expired;
	t->overrun -= t->rep_overrun;
	spin_unlock_irq(&t->timr->it_lock);
}

const struct kevent_ops kevent_posix_timer_ops = {
	.priv_size	= sizeof(struct kevent_posix_timer),
	.per_process	= true,
	.kernel_add	= true,
	.attach		= kevent_posix_timer_attach,
	.detach		= kevent_posix_timer_detach,
	.report		= kevent_posix_timer_report,
	.consume	= kevent_posix_timer_consume,
};
