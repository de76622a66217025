// SPDX-License-Identifier: GPL-2.0
/*
 * kevent_demo: what `make run` shows in the guest.  One queue, several
 * user events with different trigger modes, worker threads posting to
 * them, and the main thread reporting what arrives.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "../selftests/common.h"

enum { TICK = 1, WORK = 2, STOP = 3 };

static const char *const names[] = { "?", "tick", "work", "stop" };
static int kq;

static void *ticker(void *arg)
{
	int i;

	for (i = 0; i < 5; i++) {
		usleep(20000);
		user_post(kq, TICK, 1u << i);
	}
	return NULL;
}

static void *producer(void *arg)
{
	int i;

	/* Posts coalesce until reported: expect fewer events than posts. */
	for (i = 0; i < 100; i++) {
		user_post(kq, WORK, 0x1);
		if (i % 10 == 0)
			usleep(5000);
	}
	usleep(150000);
	user_post(kq, STOP, 0xdead);
	return NULL;
}

int main(void)
{
	struct ukevent ev[8];
	pthread_t t[2];
	unsigned long work_posts = 0;
	int i, n, stop = 0, events = 0;

	kq = kq_new(KEVENT_INIT_CLOEXEC);
	if (kq < 0) {
		perror("kevent_init");
		return 1;
	}
	printf("kevent_demo: queue fd %d\n", kq);
	if (user_add(kq, TICK, KEVENT_REQ_ET, TICK) ||
	    user_add(kq, WORK, KEVENT_REQ_ET, WORK) ||
	    user_add(kq, STOP, KEVENT_REQ_ONESHOT, STOP)) {
		perror("kevent_ctl ADD");
		return 1;
	}
	pthread_create(&t[0], NULL, ticker, NULL);
	pthread_create(&t[1], NULL, producer, NULL);

	while (!stop) {
		n = kq_wait_ms(kq, 1, 8, ev, 5000);
		if (n < 0) {
			perror("kevent_wait");
			return 1;
		}
		if (!n) {
			printf("kevent_demo: timed out\n");
			return 1;
		}
		for (i = 0; i < n; i++) {
			events++;
			printf("  event: %-4s id=%llu bits=%#x posts=%llu\n",
			       names[ev[i].udata], (unsigned long long)ev[i].id,
			       ev[i].event, (unsigned long long)ev[i].ret_data);
			if (ev[i].udata == WORK)
				work_posts += ev[i].ret_data;
			if (ev[i].udata == STOP)
				stop = 1;
		}
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	printf("kevent_demo: %d events carried %lu work posts (100 sent); stop removed itself: %s\n",
	       events, work_posts,
	       kq_remove(kq, KEVENT_TYPE_USER, STOP) && errno == ENOENT ? "yes" : "no");
	return work_posts == 100 ? 0 : 1;
}
