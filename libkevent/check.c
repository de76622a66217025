// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkevent's own check, built against the installed library, a TAP
 * program: on a kernel with kevent, a user event goes round a queue; on
 * one without, kevent_queue() fails with ENOSYS before any kevent system
 * call is made.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libkevent.h>

static int fail(const char *what)
{
	printf("not ok 1 libkevent: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	struct timespec ts = { .tv_sec = 10 };
	struct ukevent ch[2], ev[2];
	int kq;

	printf("1..1\n");
	if (!kevent_available()) {
		if (kevent_queue(0) != -1 || errno != ENOSYS)
			return fail("kevent_queue() without kevent");
		printf("ok 1 libkevent %d.%d: this kernel has no kevent: ENOSYS\n",
		       LIBKEVENT_VERSION_MAJOR, LIBKEVENT_VERSION_MINOR);
		return 0;
	}
	kq = kevent_queue(KEVENT_INIT_CLOEXEC);
	if (kq < 0)
		return fail("kevent_queue()");
	kevent_prep_user(&ch[0], KEVENT_CTL_ADD, 1, KEVENT_REQ_ONESHOT, 42);
	kevent_prep_cmd(&ch[1], KEVENT_CTL_REMOVE, KEVENT_TYPE_USER, 2);
	/* The REMOVE fails, the ADD stays */
	if (kevent_apply(kq, ch, 2) != 1 ||
	    kevent_change_error(&ch[1]) != ENOENT)
		return fail("kevent_apply()");
	kevent_prep_post(&ch[0], 1, 0x5);
	if (kevent_submit_and_wait(kq, ch, 1, ev, 1, 2, &ts, NULL) != 1 ||
	    ev[0].udata != 42 || ev[0].event != 0x5)
		return fail("kevent_submit_and_wait()");
	if (kevent_getevents(kq, 0, 2, ev, &ts) != 0)
		return fail("kevent_getevents()");
	printf("ok 1 libkevent %d.%d: a user event went round the queue\n",
	       LIBKEVENT_VERSION_MAJOR, LIBKEVENT_VERSION_MINOR);
	return 0;
}
