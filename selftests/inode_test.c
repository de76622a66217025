// SPDX-License-Identifier: GPL-2.0
/*
 * kevent selftests: KEVENT_TYPE_INODE, changes to files and directories.
 *
 * Each test mounts a tmpfs of its own: fsnotify reports a change in the
 * system call that makes it, so every event is ready when the call
 * returns, and a wait that does not sleep (timeout 0) sees it.
 */

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/inotify.h>
#include <sys/xattr.h>

#include "../kselftest_harness.h"
#include "common.h"

#define ALL_FILE	(KEVENT_INODE_DELETE | KEVENT_INODE_WRITE | \
			 KEVENT_INODE_EXTEND | KEVENT_INODE_ATTRIB | \
			 KEVENT_INODE_LINK | KEVENT_INODE_RENAME | \
			 KEVENT_INODE_TRUNCATE)
#define ALL_DIR		(ALL_FILE | KEVENT_INODE_ENTRY_CREATE | \
			 KEVENT_INODE_ENTRY_DELETE | \
			 KEVENT_INODE_ENTRY_MOVED_FROM | \
			 KEVENT_INODE_ENTRY_MOVED_TO)

static int ino_add(int kq, int fd, __u32 events, __u32 req_flags)
{
	return kq_add_fd(kq, KEVENT_TYPE_INODE, fd, events, req_flags);
}

/*
 * The one event ready now, without waiting: its mask, 0 if none, -1 on
 * error or if more than one is ready; its count in *@count.
 */
static int ino_event(int kq, __u64 *count)
{
	struct ukevent ev[2];
	int n = kq_wait_ms(kq, 0, 2, ev, 0);

	if (n == 0)
		return 0;
	if (n != 1)
		return -1;
	if (count)
		*count = ev[0].ret_data;
	return ev[0].event;
}

FIXTURE(ino) {
	char mnt[64];
	char path[96];	/* a file, "f" */
	char dir[96];	/* a directory, "d" */
	int kq;
	int fd;		/* "f", read-write */
	int dfd;	/* "d" */
};

FIXTURE_SETUP(ino)
{
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/kevent-inode-XXXXXX");
	ASSERT_TRUE(!!mkdtemp(self->mnt));
	if (mount("tmpfs", self->mnt, "tmpfs", 0, "size=16m")) {
		ASSERT_EQ(EPERM, errno);
		rmdir(self->mnt);
		SKIP(return, "not root: cannot mount a tmpfs");
	}
	snprintf(self->path, sizeof(self->path), "%s/f", self->mnt);
	snprintf(self->dir, sizeof(self->dir), "%s/d", self->mnt);
	self->fd = open(self->path, O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	self->dfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dfd);
	self->kq = kq_new(0);
	ASSERT_LE(0, self->kq);
}

FIXTURE_TEARDOWN(ino)
{
	close(self->kq);
	close(self->fd);
	close(self->dfd);
	umount2(self->mnt, MNT_DETACH);
	rmdir(self->mnt);
}

/* A path under the test's mount */
static const char *at(struct __test_metadata *m, const char *mnt,
		      const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", mnt, name);
	return buf[i];
}

#define AT(name)	at(_metadata, self->mnt, name)

TEST_F(ino, write_extends)
{
	__u64 n;

	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(4, write(self->fd, "abcd", 4));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND,
		  ino_event(self->kq, &n));
	EXPECT_EQ(1, n);
	/* Reported: nothing more until the next change */
	EXPECT_EQ(0, ino_event(self->kq, NULL));
}

TEST_F(ino, overwrite_does_not_extend)
{
	ASSERT_EQ(4, write(self->fd, "abcd", 4));
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(2, pwrite(self->fd, "xy", 2, 1));
	EXPECT_EQ(KEVENT_INODE_WRITE, ino_event(self->kq, NULL));
}

TEST_F(ino, append_extends)
{
	int afd = open(self->path, O_WRONLY | O_APPEND);

	ASSERT_LE(0, afd);
	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_EXTEND, 0));
	ASSERT_EQ(3, write(afd, "abc", 3));
	ASSERT_EQ(3, write(afd, "def", 3));
	EXPECT_EQ(KEVENT_INODE_EXTEND, ino_event(self->kq, NULL));
	close(afd);
}

TEST_F(ino, truncate_shrinks)
{
	ASSERT_EQ(8, write(self->fd, "abcdefgh", 8));
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(0, ftruncate(self->fd, 2));
	EXPECT_EQ(KEVENT_INODE_TRUNCATE, ino_event(self->kq, NULL));
	/* truncate() by path too; growing is writing and extending */
	ASSERT_EQ(0, truncate(self->path, 100));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND,
		  ino_event(self->kq, NULL));
}

TEST_F(ino, open_truncates)
{
	int fd;

	ASSERT_EQ(8, write(self->fd, "abcdefgh", 8));
	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_TRUNCATE, 0));
	fd = open(self->path, O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(KEVENT_INODE_TRUNCATE, ino_event(self->kq, NULL));
	close(fd);
}

TEST_F(ino, chmod_chown_utimes_are_attrib)
{
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	ASSERT_EQ(0, fchown(self->fd, 1, 1));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	ASSERT_EQ(0, futimens(self->fd, NULL));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
}

TEST_F(ino, setxattr_is_attrib)
{
	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_ATTRIB, 0));
	if (fsetxattr(self->fd, "user.kevent", "1", 1, 0)) {
		/* tmpfs has user xattrs with CONFIG_TMPFS_XATTR since 6.6 */
		ASSERT_EQ(EOPNOTSUPP, errno);
		SKIP(return, "no xattrs on this tmpfs");
	}
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	ASSERT_EQ(0, fremovexattr(self->fd, "user.kevent"));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
}

TEST_F(ino, link_and_unlink_count)
{
	__u64 n;

	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(0, link(self->path, AT("g")));
	EXPECT_EQ(KEVENT_INODE_LINK, ino_event(self->kq, &n));
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, unlink(AT("g")));
	EXPECT_EQ(KEVENT_INODE_LINK, ino_event(self->kq, NULL));
}

TEST_F(ino, unlink_of_last_link_while_open_deletes)
{
	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_DELETE, 0));
	ASSERT_EQ(0, unlink(self->path));
	EXPECT_EQ(KEVENT_INODE_DELETE, ino_event(self->kq, NULL));
	/* The open file is still there, and still watched */
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
}

TEST_F(ino, unlink_of_one_of_two_links_is_not_delete)
{
	ASSERT_EQ(0, link(self->path, AT("g")));
	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_DELETE, 0));
	ASSERT_EQ(0, unlink(self->path));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(0, unlink(AT("g")));
	EXPECT_EQ(KEVENT_INODE_DELETE, ino_event(self->kq, NULL));
}

TEST_F(ino, rename_over_target_deletes_it)
{
	int t = open(AT("t"), O_RDWR | O_CREAT, 0644);

	ASSERT_LE(0, t);
	ASSERT_EQ(0, ino_add(self->kq, t, ALL_FILE, 0));
	ASSERT_EQ(0, rename(self->path, AT("t")));
	EXPECT_EQ(KEVENT_INODE_LINK | KEVENT_INODE_DELETE,
		  ino_event(self->kq, NULL));
	close(t);
}

TEST_F(ino, rename_within_a_directory)
{
	int kq2 = kq_new(0);
	__u64 n;

	ASSERT_LE(0, kq2);
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(0, ino_add(kq2, self->dfd, ALL_DIR, 0));
	ASSERT_EQ(0, rename(self->path, AT("d/moved")));
	EXPECT_EQ(KEVENT_INODE_RENAME, ino_event(self->kq, NULL));
	EXPECT_EQ(KEVENT_INODE_ENTRY_MOVED_TO, ino_event(kq2, NULL));
	ASSERT_EQ(0, rename(AT("d/moved"), AT("d/again")));
	EXPECT_EQ(KEVENT_INODE_RENAME, ino_event(self->kq, NULL));
	EXPECT_EQ(KEVENT_INODE_ENTRY_MOVED_FROM | KEVENT_INODE_ENTRY_MOVED_TO,
		  ino_event(kq2, &n));
	EXPECT_EQ(2, n);
	close(kq2);
}

TEST_F(ino, rename_across_directories)
{
	int kq2 = kq_new(0), src;
	struct ukevent ev[3];

	ASSERT_LE(0, kq2);
	ASSERT_EQ(0, mkdir(AT("src"), 0755));
	src = open(AT("src"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, src);
	ASSERT_EQ(0, rename(self->path, AT("src/f")));
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(0, ino_add(kq2, src, ALL_DIR, 0));
	ASSERT_EQ(0, ino_add(kq2, self->dfd, ALL_DIR, 0));
	ASSERT_EQ(0, rename(AT("src/f"), AT("d/f")));
	EXPECT_EQ(KEVENT_INODE_RENAME, ino_event(self->kq, NULL));
	/* In the order the changes came: out of src, then into d */
	ASSERT_EQ(2, kq_wait_ms(kq2, 0, 3, ev, 0));
	EXPECT_EQ((__u64)src, ev[0].id);
	EXPECT_EQ(KEVENT_INODE_ENTRY_MOVED_FROM, ev[0].event);
	EXPECT_EQ((__u64)self->dfd, ev[1].id);
	EXPECT_EQ(KEVENT_INODE_ENTRY_MOVED_TO, ev[1].event);
	close(src);
	close(kq2);
}

TEST_F(ino, directory_entries)
{
	int fd;

	ASSERT_EQ(0, ino_add(self->kq, self->dfd, ALL_DIR, 0));
	fd = open(AT("d/new"), O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(KEVENT_INODE_ENTRY_CREATE, ino_event(self->kq, NULL));
	/* A change of a file in it is the file's, not the directory's */
	ASSERT_EQ(1, write(fd, "x", 1));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	close(fd);
	/* A subdirectory is a link of the directory */
	ASSERT_EQ(0, mkdir(AT("d/sub"), 0755));
	EXPECT_EQ(KEVENT_INODE_ENTRY_CREATE | KEVENT_INODE_LINK,
		  ino_event(self->kq, NULL));
	ASSERT_EQ(0, rmdir(AT("d/sub")));
	EXPECT_EQ(KEVENT_INODE_ENTRY_DELETE | KEVENT_INODE_LINK,
		  ino_event(self->kq, NULL));
	ASSERT_EQ(0, unlink(AT("d/new")));
	EXPECT_EQ(KEVENT_INODE_ENTRY_DELETE, ino_event(self->kq, NULL));
	ASSERT_EQ(0, symlink("x", AT("d/sym")));
	EXPECT_EQ(KEVENT_INODE_ENTRY_CREATE, ino_event(self->kq, NULL));
	ASSERT_EQ(0, link(self->path, AT("d/hard")));
	EXPECT_EQ(KEVENT_INODE_ENTRY_CREATE, ino_event(self->kq, NULL));
	ASSERT_EQ(0, fchmod(self->dfd, 0700));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
}

/* A subdirectory changes the link count, and the next chmod is still one */
TEST_F(ino, directory_attrib_after_a_subdirectory)
{
	int fd = open(self->dir, O_PATH);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ino_add(self->kq, fd, KEVENT_INODE_ATTRIB, 0));
	ASSERT_EQ(0, mkdir(AT("d/sub"), 0755));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(0, chmod(self->dir, 0700));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	close(fd);
}

TEST_F(ino, coalesces_with_a_count)
{
	char line[256], want[64];
	int i, n = 100000, found = 0;
	struct stat st;
	__u64 count;
	FILE *f;

	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_WRITE, 0));
	for (i = 0; i < n; i++)
		ASSERT_EQ(1, pwrite(self->fd, "x", 1, 0));
	EXPECT_EQ(KEVENT_INODE_WRITE, ino_event(self->kq, &count));
	EXPECT_EQ((__u64)n, count);
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	/* fdinfo names the inode */
	snprintf(line, sizeof(line), "/proc/self/fdinfo/%d", self->kq);
	f = fopen(line, "r");
	ASSERT_TRUE(!!f);
	ASSERT_EQ(0, fstat(self->fd, &st));
	snprintf(want, sizeof(want), " ino:%lu ", (unsigned long)st.st_ino);
	while (fgets(line, sizeof(line), f))
		found |= !!strstr(line, want);
	fclose(f);
	EXPECT_TRUE(found);
}

TEST_F(ino, only_what_was_asked)
{
	struct ukevent uk = {
		.type = KEVENT_TYPE_INODE,
		.id = self->fd,
		.event = KEVENT_INODE_WRITE,
	};

	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_ATTRIB, 0));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(KEVENT_INODE_WRITE, ino_event(self->kq, NULL));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
}

TEST_F(ino, edge_triggered)
{
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, KEVENT_REQ_ET));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND |
		  KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(0, fchmod(self->fd, 0644));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
}

TEST_F(ino, oneshot_is_removed)
{
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE,
			     KEVENT_REQ_ONESHOT));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	ASSERT_EQ(0, fchmod(self->fd, 0644));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
}

TEST_F(ino, dispatch_keeps_what_came_while_disabled)
{
	struct ukevent uk = {
		.type = KEVENT_TYPE_INODE,
		.id = self->fd,
	};
	__u64 n;

	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE,
			     KEVENT_REQ_DISPATCH));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_ENABLE, uk));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND,
		  ino_event(self->kq, &n));
	EXPECT_EQ(2, n);
}

TEST_F(ino, close_removes)
{
	int fd = dup(self->fd);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ino_add(self->kq, fd, ALL_FILE, 0));
	EXPECT_EQ(1, kq_fdinfo_count(self->kq));
	close(fd);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
}

TEST_F(ino, remove)
{
	ASSERT_EQ(0, ino_add(self->kq, self->fd, ALL_FILE, 0));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_INODE, self->fd));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(0, ino_event(self->kq, NULL));
	EXPECT_EQ(-1, kq_remove(self->kq, KEVENT_TYPE_INODE, self->fd));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(ino, two_registrations_of_one_inode)
{
	int fd = open(self->path, O_RDONLY);
	struct ukevent ev[3];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_ATTRIB, 0));
	ASSERT_EQ(0, ino_add(self->kq, fd, KEVENT_INODE_ATTRIB, 0));
	ASSERT_EQ(0, fchmod(self->fd, 0600));
	EXPECT_EQ(2, kq_wait_ms(self->kq, 0, 3, ev, 0));
	ASSERT_EQ(0, kq_remove(self->kq, KEVENT_TYPE_INODE, fd));
	ASSERT_EQ(0, fchmod(self->fd, 0644));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	close(fd);
}

/* At most 64 registrations of a queue on an inode, all reported */
TEST_F(ino, registrations_of_one_inode_are_bounded)
{
	struct ukevent ev[80];
	int fd[65], i;

	for (i = 0; i < 65; i++) {
		fd[i] = dup(self->fd);
		ASSERT_LE(0, fd[i]);
	}
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, ino_add(self->kq, fd[i], KEVENT_INODE_WRITE, 0));
	EXPECT_EQ(-1, ino_add(self->kq, fd[64], KEVENT_INODE_WRITE, 0));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(64, kq_wait_ms(self->kq, 0, 80, ev, 0));
	/* One gone makes room */
	close(fd[0]);
	EXPECT_EQ(0, ino_add(self->kq, fd[64], KEVENT_INODE_WRITE, 0));
	for (i = 1; i < 65; i++)
		close(fd[i]);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

static const char instances[] = "/proc/sys/fs/inotify/max_user_instances";
static const char watches[] = "/proc/sys/fs/inotify/max_user_watches";

/* A queue with inode registrations is an inotify instance */
TEST_F(ino, counts_as_an_inotify_instance)
{
	long old = kq_sysctl(instances, -1);
	int kq2, in;

	ASSERT_LT(0, old);
	ASSERT_EQ(1, kq_sysctl(instances, 1));
	/* No ASSERT until the limit is back */
	EXPECT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_WRITE, 0));
	kq2 = kq_new(0);
	EXPECT_LE(0, kq2);
	EXPECT_EQ(-1, ino_add(kq2, self->fd, KEVENT_INODE_WRITE, 0));
	EXPECT_EQ(EMFILE, errno);
	in = inotify_init1(IN_CLOEXEC);
	EXPECT_EQ(-1, in);
	EXPECT_EQ(EMFILE, errno);
	/* Closing the queue gives the instance back */
	close(self->kq);
	self->kq = kq_new(0);
	EXPECT_EQ(0, ino_add(kq2, self->fd, KEVENT_INODE_WRITE, 0));
	close(kq2);
	EXPECT_EQ(old, kq_sysctl(instances, old));
}

TEST_F(ino, pseudo_inodes_einval)
{
	int p[2], efd = eventfd(0, EFD_CLOEXEC);

	ASSERT_EQ(0, pipe(p));
	ASSERT_LE(0, efd);
	EXPECT_EQ(-1, ino_add(self->kq, p[0], KEVENT_INODE_WRITE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ino_add(self->kq, efd, KEVENT_INODE_WRITE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	close(p[0]);
	close(p[1]);
	close(efd);
}

/* What MODIFY starts to watch is measured from then on */
TEST_F(ino, modify_measures_from_then_on)
{
	struct ukevent uk = {
		.type = KEVENT_TYPE_INODE,
		.id = self->fd,
		.event = KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND |
			 KEVENT_INODE_TRUNCATE,
	};

	ASSERT_EQ(0, ino_add(self->kq, self->fd, KEVENT_INODE_ATTRIB, 0));
	ASSERT_EQ(0, ftruncate(self->fd, 100));
	ASSERT_EQ(0, kq_ctl1(self->kq, KEVENT_CTL_MODIFY, uk));
	ASSERT_EQ(0, ftruncate(self->fd, 50));
	EXPECT_EQ(KEVENT_INODE_TRUNCATE, ino_event(self->kq, NULL));
}

TEST_F(ino, o_path)
{
	int fd = open(self->path, O_PATH);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ino_add(self->kq, fd, ALL_FILE, 0));
	ASSERT_EQ(0, chmod(self->path, 0600));
	EXPECT_EQ(KEVENT_INODE_ATTRIB, ino_event(self->kq, NULL));
	ASSERT_EQ(1, write(self->fd, "x", 1));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND,
		  ino_event(self->kq, NULL));
	close(fd);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/* Run @fn(kq, path) in a child as nobody; its exit status */
static int as_nobody(int (*fn)(int, const char *), int kq, const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn(kq, path));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int unreadable_child(int kq, const char *path)
{
	int p = open(path, O_PATH), w = open(path, O_WRONLY);

	if (p < 0 || w < 0)
		return 1;
	if (ino_add(kq, p, ALL_FILE, 0) != -1 || errno != EACCES)
		return 2;
	if (ino_add(kq, w, ALL_FILE, 0) != -1 || errno != EACCES)
		return 3;
	if (kq_fdinfo_count(kq) != 0)
		return 4;
	return 0;
}

/* @path made @mode, @fn(a new queue, @path) as nobody: its exit status */
static int watch_as_nobody(const char *mnt, const char *path, mode_t mode,
			   int (*fn)(int, const char *))
{
	int kq, ret;

	if (chmod(mnt, 0755) || chmod(path, mode))
		return -1;
	kq = kq_new(0);
	if (kq < 0)
		return -1;
	ret = as_nobody(fn, kq, path);
	close(kq);
	return ret;
}

TEST_F(ino, needs_read_permission)
{
	EXPECT_EQ(0, watch_as_nobody(self->mnt, self->path, 0622,
				     unreadable_child));
}

/*
 * As nobody: watch a readable file's writes, let the parent make it
 * unreadable, then ask for more (EACCES) and for less (no check).
 */
static int modify_child(int kq, const char *path, int sync[2])
{
	struct ukevent uk = { .type = KEVENT_TYPE_INODE };
	int p = open(path, O_PATH);
	char c;

	if (p < 0)
		return 1;
	uk.id = p;
	uk.event = KEVENT_INODE_WRITE;
	if (kq_ctl1(kq, KEVENT_CTL_ADD, uk))
		return 2;
	if (write(sync[1], "a", 1) != 1 || read(sync[0], &c, 1) != 1)
		return 3;
	uk.event = KEVENT_INODE_WRITE | KEVENT_INODE_ATTRIB;
	if (kq_ctl1(kq, KEVENT_CTL_MODIFY, uk) != -1 || errno != EACCES)
		return 4;
	uk.event = KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND;
	if (kq_ctl1(kq, KEVENT_CTL_MODIFY, uk))
		return 5;
	return 0;
}

TEST_F(ino, modify_rechecks_permission)
{
	int kq = kq_new(0), ab[2], ba[2], sync[2], status;
	pid_t pid;
	char c;

	ASSERT_LE(0, kq);
	ASSERT_EQ(0, chmod(self->mnt, 0755));
	ASSERT_EQ(0, chmod(self->path, 0644));
	ASSERT_EQ(0, pipe(ab));
	ASSERT_EQ(0, pipe(ba));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		sync[0] = ba[0];
		sync[1] = ab[1];
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(modify_child(kq, self->path, sync));
	}
	ASSERT_EQ(1, read(ab[0], &c, 1));
	ASSERT_EQ(0, chmod(self->path, 0600));
	ASSERT_EQ(1, write(ba[1], "b", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
	close(kq);
}

static int readable_child(int kq, const char *path)
{
	int p = open(path, O_PATH);

	if (p < 0)
		return 1;
	if (ino_add(kq, p, ALL_FILE, 0))
		return 2;
	return 0;
}

TEST_F(ino, read_permission_is_enough)
{
	EXPECT_EQ(0, watch_as_nobody(self->mnt, self->path, 0444,
				     readable_child));
}

TEST_F(ino, bad_requests)
{
	struct ukevent uk = {
		.type = KEVENT_TYPE_INODE,
		.id = self->fd,
		.event = 0x80000000U,
	};

	/* An unknown event bit */
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	/* A parameter */
	uk.event = KEVENT_INODE_WRITE;
	uk.param[0] = 1;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EINVAL, errno);
	/* Not a file descriptor */
	uk.param[0] = 0;
	uk.id = 1000000;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EBADF, errno);
	uk.id = 1ULL << 40;
	EXPECT_EQ(-1, kq_ctl1(self->kq, KEVENT_CTL_ADD, uk));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
}

/*
 * The registration's file keeps the mount busy as the fd does, no more:
 * once the fd is closed (so the registration gone), the tmpfs unmounts.
 */
TEST_F(ino, does_not_keep_a_mount_busy)
{
	char mnt[64] = "/tmp/kevent-umount-XXXXXX", path[96];
	int fd;

	ASSERT_TRUE(!!mkdtemp(mnt));
	ASSERT_EQ(0, mount("tmpfs", mnt, "tmpfs", 0, "size=1m"));
	snprintf(path, sizeof(path), "%s/w", mnt);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ino_add(self->kq, fd, ALL_FILE, 0));
	EXPECT_EQ(-1, umount(mnt));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(1, write(fd, "x", 1));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND,
		  ino_event(self->kq, NULL));
	close(fd);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(0, umount(mnt));
	rmdir(mnt);
}

/* A lazy unmount leaves the open file, and its registration, working */
TEST_F(ino, lazy_umount)
{
	char mnt[64] = "/tmp/kevent-umount-XXXXXX", path[96];
	int fd;

	ASSERT_TRUE(!!mkdtemp(mnt));
	ASSERT_EQ(0, mount("tmpfs", mnt, "tmpfs", 0, "size=1m"));
	snprintf(path, sizeof(path), "%s/w", mnt);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ino_add(self->kq, fd, ALL_FILE, 0));
	ASSERT_EQ(0, umount2(mnt, MNT_DETACH));
	ASSERT_EQ(1, write(fd, "x", 1));
	EXPECT_EQ(KEVENT_INODE_WRITE | KEVENT_INODE_EXTEND,
		  ino_event(self->kq, NULL));
	close(fd);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	rmdir(mnt);
}

TEST_F(ino, ten_thousand_watched_a_few_active)
{
	int n = 10000, i, fds[10000];
	struct ukevent ev[16];
	struct rlimit rl;
	long old;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < (rlim_t)n + 100)
		SKIP(return, "RLIMIT_NOFILE %ld", (long)rl.rlim_cur);
	/* Each inode is an inotify watch: 8192 at least, by default */
	old = kq_sysctl(watches, -1);
	ASSERT_LT(0, old);
	if (old < n + 100)
		ASSERT_EQ(n + 100, kq_sysctl(watches, n + 100));
	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "d/%d", i);
		fds[i] = open(AT(name), O_RDWR | O_CREAT, 0644);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, ino_add(self->kq, fds[i], KEVENT_INODE_WRITE, 0));
	}
	EXPECT_EQ(n, kq_fdinfo_count(self->kq));
	ASSERT_EQ(1, write(fds[7], "x", 1));
	ASSERT_EQ(1, write(fds[5000], "x", 1));
	ASSERT_EQ(1, write(fds[9999], "x", 1));
	ASSERT_EQ(1, write(fds[7], "x", 1));
	ASSERT_EQ(3, kq_wait_ms(self->kq, 0, 16, ev, 0));
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_INODE, fds[7]), ev[0].udata);
	EXPECT_EQ(2, ev[0].ret_data);
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_INODE, fds[5000]), ev[1].udata);
	EXPECT_EQ(FD_UDATA(KEVENT_TYPE_INODE, fds[9999]), ev[2].udata);
	for (i = 0; i < n; i++)
		close(fds[i]);
	EXPECT_EQ(0, kq_fdinfo_count(self->kq));
	EXPECT_EQ(old, kq_sysctl(watches, old));
}

TEST_HARNESS_MAIN
