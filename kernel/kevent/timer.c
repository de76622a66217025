// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: high resolution timers (KEVENT_TYPE_TIMER).
 *
 * Each registration is its own timer: an hrtimer in the kevent's private
 * data, on CLOCK_MONOTONIC, CLOCK_REALTIME or CLOCK_BOOTTIME, one-shot or
 * periodic, relative or absolute.  The hrtimer callback runs in hard
 * interrupt context (in softirq context on PREEMPT_RT, where the queue's
 * lock sleeps): it counts the expiration and queues the kevent.  A report
 * carries the expirations counted since the last report, and consumes
 * them.
 *
 * A periodic timer is not restarted by its callback but when its
 * expiration is reported, as timerfd's is when it is read: the report
 * moves it past now and counts the periods that passed meanwhile as
 * expirations.  So a timer costs at most one interrupt per report, however
 * short its period, and one that nobody waits for costs none.
 *
 * An absolute time on CLOCK_MONOTONIC or CLOCK_BOOTTIME is one of the
 * registering process's clocks, in its time namespace.
 *
 * An absolute CLOCK_REALTIME timer follows the clock: when clock_settime()
 * or NTP moves the clock past its time, it expires then, as hrtimers on
 * that clock do.  It is not cancelled on clock changes (unlike timerfd's
 * TFD_TIMER_CANCEL_ON_SET); a program that needs to know re-arms on
 * KEVENT_TYPE_SIGNAL or a timerfd.
 *
 * KEVENT_CTL_MODIFY re-arms the timer with the new parameters and drops
 * the expirations not yet reported; KEVENT_CTL_REMOVE cancels it.
 */

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/time_namespace.h>

#include "kevent.h"

#define KEVENT_TIMER_OPTIONS	(KEVENT_TIMER_ABSTIME | KEVENT_TIMER_REALTIME | \
				 KEVENT_TIMER_BOOTTIME)

/* The private part of a KEVENT_TYPE_TIMER kevent */
struct kevent_timer {
	struct hrtimer	timer;
	struct kevent	*k;
	ktime_t		period;
	atomic64_t	expired;	/* expirations not yet reported */
};

static enum hrtimer_restart kevent_timer_fn(struct hrtimer *timer)
{
	struct kevent_timer *t = container_of(timer, struct kevent_timer, timer);

	atomic64_inc(&t->expired);
	kevent_ready(t->k);
	/* A periodic timer goes on when this is reported. */
	return HRTIMER_NORESTART;
}

static int kevent_timer_check(const struct ukevent *uk)
{
	if ((uk->event & KEVENT_TIMER_REALTIME) &&
	    (uk->event & KEVENT_TIMER_BOOTTIME))
		return -EINVAL;
	/* Times are s64 nanoseconds, as ktime_t. */
	if ((s64)uk->param[0] < 0 || (s64)uk->param[1] < 0)
		return -EINVAL;
	return 0;
}

static clockid_t kevent_timer_clock(u32 options)
{
	if (options & KEVENT_TIMER_REALTIME)
		return CLOCK_REALTIME;
	if (options & KEVENT_TIMER_BOOTTIME)
		return CLOCK_BOOTTIME;
	return CLOCK_MONOTONIC;
}

static enum hrtimer_mode kevent_timer_mode(u32 options)
{
	return options & KEVENT_TIMER_ABSTIME ? HRTIMER_MODE_ABS :
						HRTIMER_MODE_REL;
}

/* Arm @t with the options (event) and times (param) of a registration. */
static void kevent_timer_arm(struct kevent_timer *t, u32 options,
			     const u64 *param)
{
	clockid_t clock = kevent_timer_clock(options);
	ktime_t expires = ns_to_ktime(param[0]);

	if (options & KEVENT_TIMER_ABSTIME)
		expires = timens_ktime_to_host(clock, expires);
	hrtimer_init(&t->timer, clock, kevent_timer_mode(options));
	t->timer.function = kevent_timer_fn;
	t->period = ns_to_ktime(param[1]);
	atomic64_set(&t->expired, 0);
	hrtimer_start(&t->timer, expires, kevent_timer_mode(options));
}

/*
 * A periodic timer that expired waits for its report: move it past now,
 * count the periods it missed meanwhile, and start it again.
 */
static void kevent_timer_rearm(struct kevent_timer *t)
{
	u64 missed;

	if (!t->period || hrtimer_is_queued(&t->timer) ||
	    !atomic64_read(&t->expired))
		return;
	/* Waits for a callback still on its way out. */
	hrtimer_cancel(&t->timer);
	/* Periods after the one the callback counted */
	missed = hrtimer_forward_now(&t->timer, t->period);
	if (missed)
		atomic64_add(missed - 1, &t->expired);
	hrtimer_start_expires(&t->timer, HRTIMER_MODE_ABS);
}

static int kevent_timer_attach(struct kevent *k)
{
	struct kevent_timer *t = kevent_priv(k);

	t->k = k;
	kevent_timer_arm(t, k->uk.event, k->uk.param);
	return 0;
}

static void kevent_timer_detach(struct kevent *k)
{
	struct kevent_timer *t = kevent_priv(k);

	/* Waits for a running callback: none reaches @k after this. */
	hrtimer_cancel(&t->timer);
}

static int kevent_timer_modify(struct kevent *k, const struct ukevent *uk)
{
	struct kevent_timer *t = kevent_priv(k);

	hrtimer_cancel(&t->timer);
	kevent_timer_arm(t, uk->event, uk->param);
	return 0;
}

static bool kevent_timer_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_timer *t = kevent_priv(k);
	u64 n;

	kevent_timer_rearm(t);
	n = atomic64_read(&t->expired);

	if (!n)
		return false;
	out->event = KEVENT_TIMER_EXPIRED;
	out->ret_data = n;
	return true;
}

static void kevent_timer_consume(struct kevent *k, const struct ukevent *out)
{
	struct kevent_timer *t = kevent_priv(k);

	/* Expirations since the report stay counted. */
	atomic64_sub(out->ret_data, &t->expired);
}

const struct kevent_ops kevent_timer_ops = {
	.priv_size	= sizeof(struct kevent_timer),
	.event_mask	= KEVENT_TIMER_OPTIONS,
	.check		= kevent_timer_check,
	.attach		= kevent_timer_attach,
	.detach		= kevent_timer_detach,
	.modify		= kevent_timer_modify,
	.report		= kevent_timer_report,
	.consume	= kevent_timer_consume,
};
