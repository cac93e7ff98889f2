/* import_local: the confinement of a local source's reader (import.h).
 * The reader parses mail that came from the network, in a spool a hostile
 * user may have shaped; it runs under policy/import-local.policy through
 * the sandbox every worker uses (sandbox.h): an empty network namespace,
 * a chroot, the source owner's ids (never root), no capabilities,
 * no_new_privs, rlimits, Landlock, the seccomp allowlist. */
#include "import.h"
#include "import_seen.h"
#include "ctl.h"
#include "buf.h"
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

/* A Maildir is the root, read as its owner: Landlock READ, and the root
 * may be the uid's own (nothing in the policy changes a tree). */
static int
maildir_root(const char *path, struct sandbox_spec *sp)
{
	sp->root_owned_by_uid = true;
	if (buf_snprintf(sp->root, sizeof(sp->root), "%s", path) >= 0)
		return CTL_OK;
	/* a longer path: the sandbox chroots to "." from inside it */
	if (chdir(path) < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
	snprintf(sp->root, sizeof(sp->root), ".");
	return CTL_OK;
}

/* An mbox is opened here, as root, and read through that fd alone: its
 * directory (/var/mail holds every user's mbox) is never the root, the
 * policy's empty one is, and Landlock lets nothing be opened there. */
static int
mbox_fd(const char *path, struct sandbox_spec *sp, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat sb;
	if (*fd < 0 || fstat(*fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return ctl_fail(CTL_REFUSED, "%s: %s", path, *fd < 0 ?
		    strerror(errno) : "neither a Maildir nor an mbox file");
	sp->tree = SANDBOX_TREE_NONE;
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
	int fd = -1;
	if (stat(path, &sb) < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
	int rc = reader_ids(path, &sb, a->local.reader_user, &uid, &gid);
	if (rc != CTL_OK)
		return rc;
	if (policy_load(a->local.policy, POLICY_DEFAULT_FLAGS, &p, err,
	    sizeof(err)) < 0)
		return ctl_fail(CTL_CONFIG, "policy: %s", err);
	p.spec.instance_uid = (unsigned)uid;
	p.spec.instance_gid = (unsigned)gid;
	p.spec.group_access = false;   /* no supplementary group at all */
	if (S_ISDIR(sb.st_mode)) {
		rc = maildir_root(path, &p.spec);
		*spec = "/";
	} else {
		rc = mbox_fd(path, &p.spec, &fd);
		a->local.source_fd = fd;
	}
	if (rc != CTL_OK)
		return rc;
	/* OpenSSL reads its configuration and sets itself up at the first
	 * digest (the sink hashes messages): done here, outside the filter */
	uint8_t h[IMPORT_HASH_LEN];
	import_hash("", 0, h);
	const int keep[] = { store_fd, fd };
	sandbox_confine(&p.spec, keep, fd >= 0 ? 2 : 1);
	return CTL_OK;
}
