// SPDX-License-Identifier: GPL-2.0
/*
 * kevent_demo: what `make run` shows in the guest.  One queue, several
 * user events with different trigger modes, worker threads posting to
 * them, and the main thread reporting what arrives.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <libkevent.h>

enum { TICK = 1, WORK = 2, STOP = 3 };

static const char *const names[] = { "?", "tick", "work", "stop" };
static int kq;

static void post(__u64 id, __u32 bits)
{
	struct ukevent uk;

	kevent_prep_post(&uk, id, bits);
	if (kevent_ctl(kq, 0, 1, &uk, sizeof(uk)) != 1)
		perror("kevent_ctl POST");
}

static void *ticker(void *arg)
{
	int i;

	for (i = 0; i < 5; i++) {
		usleep(20000);
		post(TICK, 1u << i);
	}
	return NULL;
}

static void *producer(void *arg)
{
	int i;

	/* Posts coalesce until reported: expect fewer events than posts. */
	for (i = 0; i < 100; i++) {
		post(WORK, 0x1);
		if (i % 10 == 0)
			usleep(5000);
	}
	usleep(150000);
	post(STOP, 0xdead);
	return NULL;
}

/* The oneshot STOP is gone once reported: its REMOVE fails, ENOENT */
static int stop_gone(void)
{
	struct ukevent uk;

	kevent_prep_cmd(&uk, KEVENT_CTL_REMOVE, KEVENT_TYPE_USER, STOP);
	return kevent_apply(kq, &uk, 1) == 1 &&
	       kevent_change_error(&uk) == ENOENT;
}

int main(void)
{
	struct timespec timeout = { .tv_sec = 5 };
	struct ukevent ev[8], ch[3];
	pthread_t t[2];
	unsigned long work_posts = 0;
	int i, n, stop = 0, events = 0;

	kq = kevent_queue(KEVENT_INIT_CLOEXEC);
	if (kq < 0) {
		perror("kevent_queue");
		return 1;
	}
	printf("kevent_demo: queue fd %d\n", kq);
	kevent_prep_user(&ch[0], KEVENT_CTL_ADD, TICK, KEVENT_REQ_ET, TICK);
	kevent_prep_user(&ch[1], KEVENT_CTL_ADD, WORK, KEVENT_REQ_ET, WORK);
	kevent_prep_user(&ch[2], KEVENT_CTL_ADD, STOP, KEVENT_REQ_ONESHOT,
			 STOP);
	if (kevent_apply(kq, ch, 3)) {
		perror("kevent_apply ADD");
		return 1;
	}
	pthread_create(&t[0], NULL, ticker, NULL);
	pthread_create(&t[1], NULL, producer, NULL);

	while (!stop) {
		n = kevent_getevents(kq, 1, 8, ev, &timeout);
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
	       events, work_posts, stop_gone() ? "yes" : "no");
	return work_posts == 100 ? 0 : 1;
}
