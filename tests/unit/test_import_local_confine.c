/*
 * The reader of a local import source (ctl/import_local.c) as it really
 * runs: under policy/import-local.policy, chrooted in a Maildir its own uid
 * owns (a root the sandbox lets be the uid's only when it is read). It can
 * read the mail; what a hostile source could make a taken-over reader try
 * beyond that (write, create, truncate, remove, rename a file of the
 * source, a directory fd, a socket, a child) is refused by the filter and,
 * for the files, with the filter weakened to any openat, by Landlock alone.
 * Needs root (skipped otherwise).
 */
#include "check.h"
#include "log.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OWNER 2000000123u
#define ALLOWED 0
#define REFUSED 2

static char root[] = "/tmp/cloister-ilr-XXXXXX";
static struct policy pol;

static int
did(bool ok)
{
	return ok ? ALLOWED : REFUSED;
}

static int
a_read(void)
{
	char b[8];
	int fd = open("/cur/msg", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return did(fd >= 0 && read(fd, b, 4) == 4 && memcmp(b, "mail", 4) == 0);
}

static int a_write(void) { return did(open("/cur/msg", O_WRONLY) >= 0); }
static int a_rdwr(void) { return did(open("/cur/msg", O_RDWR) >= 0); }
static int a_create(void)
{
	return did(open("/cur/new", O_RDONLY | O_CREAT, 0600) >= 0);
}
static int a_trunc(void)
{
	return did(open("/cur/msg", O_RDONLY | O_TRUNC) >= 0);
}
static int a_unlink(void) { return did(unlink("/cur/msg") == 0); }
static int a_rename(void) { return did(rename("/cur/msg", "/cur/m2") == 0); }
static int a_mkdir(void) { return did(mkdir("/d", 0700) == 0); }
static int a_chmod(void) { return did(chmod("/cur/msg", 0666) == 0); }
static int a_symlink(void) { return did(symlink("/x", "/cur/l") == 0); }
static int a_socket(void) { return did(socket(AF_INET, SOCK_STREAM, 0) >= 0); }
static int a_dirfd(void)
{
	int d = open("/cur", O_RDONLY | O_DIRECTORY);
	return did(d >= 0 && openat(d, "msg", O_RDONLY) >= 0);
}
static int
a_fork(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	return did(p > 0);
}

/* One child: confined, one attempt. ALLOWED, or REFUSED (failed, or
 * killed by the filter). */
static int
attempt(int (*fn)(void), const char *name)
{
	pid_t pid = fork();
	if (pid == 0) {
		sandbox_confine(&pol.spec, NULL, 0);
		_exit(fn());
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		return REFUSED;
	if (WIFEXITED(st) && (WEXITSTATUS(st) == ALLOWED ||
	    WEXITSTATUS(st) == REFUSED))
		return WEXITSTATUS(st);
	fprintf(stderr, "  %s: status 0x%x\n", name, st);
	return -1;
}

static void
load(bool weakened)
{
	char err[POLICY_ERR_MAX];
	if (policy_load(POLICY_SRC_DIR "/import-local.policy",
	    POLICY_DEFAULT_FLAGS, &pol, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"import-local.policy loads");
	}
	/* as import_local.c sets it for a Maildir */
	pol.spec.instance_uid = pol.spec.instance_gid = OWNER;
	pol.spec.group_access = false;
	pol.spec.root_owned_by_uid = true;
	snprintf(pol.spec.root, sizeof(pol.spec.root), "%s", root);
	if (weakened)
		pol.spec.syscalls[pol.spec.nsyscalls++] = SCMP_SYS(openat);
}

static const struct {
	const char *name;
	int (*fn)(void);
	bool landlock;     /* refused with any openat allowed, too */
} forbidden[] = {
	{ "open for writing", a_write, true },
	{ "open for reading and writing", a_rdwr, true },
	{ "create a file", a_create, true },
	{ "truncate a file", a_trunc, false },   /* Landlock ABI 3 and up */
	{ "unlink", a_unlink, false },
	{ "rename", a_rename, false },
	{ "mkdir", a_mkdir, false },
	{ "chmod", a_chmod, false },
	{ "symlink", a_symlink, false },
	{ "socket(AF_INET)", a_socket, false },
	{ "openat from a directory fd", a_dirfd, false },
	{ "fork", a_fork, false },
};
#define NFORBIDDEN (sizeof(forbidden) / sizeof(forbidden[0]))

static void
put(const char *path, mode_t mode, bool dir)
{
	int fd = -1;
	if (dir)
		CHECK_EQ(mkdir(path, mode), 0);
	else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
		CHECK(fd >= 0 && write(fd, "mail", 4) == 4);
		close(fd);
	}
	CHECK_EQ(chown(path, OWNER, OWNER), 0);
}

static void
check_source_intact(void)
{
	char p[128], b[8] = { 0 };
	struct stat sb;
	snprintf(p, sizeof(p), "%s/cur/msg", root);
	int fd = open(p, O_RDONLY);
	CHECK(fd >= 0 && read(fd, b, 8) == 4 && memcmp(b, "mail", 4) == 0);
	close(fd);
	CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	const char *never[] = { "cur/new", "cur/m2", "cur/l", "d" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, never[i]);
		CHECK(lstat(p, &sb) < 0 && errno == ENOENT);
	}
}

/* The Maildir: root/ and root/cur/ (0700), root/cur/msg (0600), all
 * the reader's uid's. */
static bool
make_source(void)
{
	char p[128];
	if (mkdtemp(root) == NULL || chmod(root, 0700) < 0 ||
	    chown(root, OWNER, OWNER) < 0)
		return false;
	snprintf(p, sizeof(p), "%s/cur", root);
	put(p, 0700, true);
	snprintf(p, sizeof(p), "%s/cur/msg", root);
	put(p, 0600, false);
	return true;
}

int
main(void)
{
	char p[128];
	if (geteuid() != 0) {
		printf("test_import_local_confine: needs root, skipped\n");
		return 77;
	}
	log_open("test_import_local_confine", true);
	CHECK(make_source());
	load(false);
	CHECK_EQ(attempt(a_read, "read"), ALLOWED);
	for (size_t i = 0; i < NFORBIDDEN; i++) {
		int r = attempt(forbidden[i].fn, forbidden[i].name);
		if (r != REFUSED)
			fprintf(stderr, "  %s: allowed\n", forbidden[i].name);
		CHECK_EQ(r, REFUSED);
	}
	check_source_intact();
	load(true);
	CHECK_EQ(attempt(a_read, "read"), ALLOWED);
	for (size_t i = 0; i < NFORBIDDEN; i++) {
		if (!forbidden[i].landlock)
			continue;
		int r = attempt(forbidden[i].fn, forbidden[i].name);
		if (r != REFUSED)
			fprintf(stderr, "  %s: allowed by Landlock\n",
			    forbidden[i].name);
		CHECK_EQ(r, REFUSED);
	}
	check_source_intact();

	snprintf(p, sizeof(p), "%s/cur/msg", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/cur", root);
	rmdir(p);
	rmdir(root);
	return check_done("test_import_local_confine");
}
