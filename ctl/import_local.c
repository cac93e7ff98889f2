/* import_local: the confinement of a local source's reader (import.h).
 * The reader parses mail that came from the network, in a spool a hostile
 * user may have shaped; it runs under policy/import-local.policy through
 * the sandbox every worker uses (sandbox.h): an empty network namespace,
 * a chroot, the source owner's ids (never root), no capabilities,
 * no_new_privs, rlimits, Landlock, the seccomp allowlist. */
#include "import.h"
#include "import_seen.h"
#include "ctl.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The ids the reader takes: --reader-user's, or the source owner's (its
 * group, or the owner's own when the source's is root's). */
static int
reader_ids(const char *path, const struct stat *sb, const char *user,
    uid_t *uid, gid_t *gid)
{
	if (user != NULL) {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL)
			return ctl_fail(CTL_USAGE, "--reader-user %s: no such user",
			    user);
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		if (*uid == 0 || *gid == 0)
			return ctl_fail(CTL_REFUSED, "--reader-user %s: the reader of"
			    " a source never runs as root: name a user without uid"
			    " or gid 0 who can read it", user);
		return CTL_OK;
	}
	if (sb->st_uid == 0)
		return ctl_fail(CTL_REFUSED, "%s belongs to root, and the reader"
		    " of a source never runs as root: chown it to the mail"
		    " system's user (chown -R vmail:vmail %s, as Dovecot and"
		    " Cyrus keep their spools), or name a user who can read it"
		    " with --reader-user USER", path, path);
	struct passwd *pw = getpwuid(sb->st_uid);
	*uid = sb->st_uid;
	*gid = sb->st_gid != 0 ? sb->st_gid : pw != NULL ? pw->pw_gid : 0;
	if (*gid == 0)
		return ctl_fail(CTL_REFUSED, "%s: its group and its owner's are"
		    " root's, and the reader never runs as root: chgrp it, or"
		    " name a user who can read it with --reader-user USER", path);
	return CTL_OK;
}

/* The source itself, opened once and never followed through a symbolic
 * link: the ids and the root come from what was opened, not from a path
 * its owner could point elsewhere meanwhile (at another user's spool).
 * The fd, or -(the exit code) once said why. */
static int
open_source(const char *path, struct stat *sb)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		return -ctl_fail(CTL_REFUSED, "%s is a symbolic link: name what"
		    " it points to", path);
	if (fd < 0)
		return -ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
	if (fstat(fd, sb) < 0 || !(S_ISDIR(sb->st_mode) ||
	    S_ISREG(sb->st_mode))) {
		close(fd);
		return -ctl_fail(CTL_REFUSED, "%s: neither a Maildir nor an mbox"
		    " file", path);
	}
	return fd;
}

/* A Maildir (fd) is the root, read as its owner: Landlock READ, and the
 * root may be the uid's own (nothing in the policy changes a tree). The
 * sandbox chroots to "." once it is the working directory. An mbox is
 * read through the fd alone: its directory (/var/mail holds every user's
 * mbox) is never the root, the policy's empty one is, where Landlock lets
 * nothing be opened. */
static int
source_root(const char *path, int fd, const struct stat *sb, uid_t uid,
    struct sandbox_spec *sp)
{
	if (!S_ISDIR(sb->st_mode)) {
		sp->tree = SANDBOX_TREE_NONE;
		return CTL_OK;
	}
	/* as the sandbox checks it again: it could be changed under the
	 * reader, or by it */
	if ((sb->st_uid != 0 && sb->st_uid != uid) ||
	    (sb->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return ctl_fail(CTL_REFUSED, "%s: the Maildir the reader is shut"
		    " in must be root's or the reader's (uid %u) and not writable"
		    " by group or others", path, (unsigned)uid);
	sp->root_owned_by_uid = true;
	if (fchdir(fd) < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
	snprintf(sp->root, sizeof(sp->root), ".");
	return CTL_OK;
}

int
import_local_confine(const char *path, struct import_args *a, int store_fd,
    const char **spec)
{
	static struct policy p;
	char err[POLICY_ERR_MAX];
	struct stat sb;
	uid_t uid = 0;
	gid_t gid = 0;
	/* the reader reads the source, never the administrator's terminal
	 * (first: the source then cannot land on a closed fd 0) */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0)
		return ctl_fail(CTL_SOFTWARE, "/dev/null: %s", strerror(errno));
	if (null != STDIN_FILENO)
		close(null);
	int fd = open_source(path, &sb);
	if (fd < 0)
		return -fd;
	bool dir = S_ISDIR(sb.st_mode);
	int rc = reader_ids(path, &sb, a->local.reader_user, &uid, &gid);
	if (rc == CTL_OK && policy_load(a->local.policy, POLICY_DEFAULT_FLAGS,
	    &p, err, sizeof(err)) < 0)
		rc = ctl_fail(CTL_CONFIG, "policy: %s", err);
	if (rc == CTL_OK)
		rc = source_root(path, fd, &sb, uid, &p.spec);
	if (rc != CTL_OK || dir)
		close(fd);     /* a directory fd never crosses into the sandbox */
	if (rc != CTL_OK)
		return rc;
	p.spec.instance_uid = (unsigned)uid;
	p.spec.instance_gid = (unsigned)gid;
	p.spec.group_access = false;   /* no supplementary group at all */
	*spec = dir ? "/" : path;
	a->local.source_fd = dir ? -1 : fd;
	/* OpenSSL reads its configuration and sets itself up at the first
	 * digest (the sink hashes messages): done here, outside the filter */
	uint8_t h[IMPORT_HASH_LEN];
	import_hash("", 0, h);
	const int keep[] = { store_fd, a->local.source_fd };
	sandbox_confine(&p.spec, keep, dir ? 1 : 2);
	return CTL_OK;
}
