// SPDX-License-Identifier: GPL-2.0
/*
 * kevent: user-posted events (KEVENT_TYPE_USER).
 *
 * A user event is registered with KEVENT_CTL_ADD and triggered with
 * KEVENT_CTL_POST, by any thread or process that holds the queue fd.
 * Posts coalesce: the report carries the OR of the posted event bits and,
 * in ret_data, the number of posts since the event was last reset.
 *
 * Level-triggered (the default), a triggered user event stays triggered
 * and is reported by every wait until KEVENT_CTL_MODIFY resets it, so it
 * can tell every thread of a pool the same thing ("shut down").
 * Edge-triggered, oneshot or dispatched, reporting resets it, so each
 * batch of posts is reported once ("there is work").
 *
 * All state is protected by the queue's mutex: posts, reports, resets and
 * modifications all happen under it.
 */

#include "kevent.h"

struct kevent_user_event {
	u64	count;
	u32	mask;
};

#define KEVENT_USER_RESET_ON_REPORT \
	(KEVENT_REQ_ET | KEVENT_REQ_ONESHOT | KEVENT_REQ_DISPATCH)

static void kevent_user_event_reset(struct kevent *k)
{
	struct kevent_user_event *ue = kevent_priv(k);

	ue->count = 0;
	ue->mask = 0;
}

static int kevent_user_event_post(struct kevent *k, const struct ukevent *uk)
{
	struct kevent_user_event *ue = kevent_priv(k);

	lockdep_assert_held(&k->ku->mutex);

	if (uk->param[0] || uk->param[1])
		return -EINVAL;
	ue->mask |= uk->event;
	ue->count++;
	kevent_ready(k);
	return 0;
}

static bool kevent_user_event_report(struct kevent *k, struct ukevent *out)
{
	struct kevent_user_event *ue = kevent_priv(k);

	if (!ue->count)
		return false;
	out->event = ue->mask;
	out->ret_data = ue->count;
	return true;
}

static void kevent_user_event_consume(struct kevent *k,
				      const struct ukevent *out)
{
	if (k->uk.req_flags & KEVENT_USER_RESET_ON_REPORT)
		kevent_user_event_reset(k);
}

/* MODIFY resets a level-triggered user event; the others reset on report. */
static int kevent_user_event_modify(struct kevent *k, const struct ukevent *uk)
{
	if (!(k->uk.req_flags & KEVENT_USER_RESET_ON_REPORT))
		kevent_user_event_reset(k);
	return 0;
}

const struct kevent_ops kevent_user_event_ops = {
	.priv_size	= sizeof(struct kevent_user_event),
	.event_mask	= 0,
	.post		= kevent_user_event_post,
	.report		= kevent_user_event_report,
	.consume	= kevent_user_event_consume,
	.modify		= kevent_user_event_modify,
};
