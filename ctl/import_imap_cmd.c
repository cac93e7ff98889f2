/*
 * import_imap_cmd: `cloisterctl import USER imaps://...` (import.h): the
 * IMAP source (import_imap.h) with the command's options, the password
 * from a file or standard input (never argv), and the privilege it runs
 * with: once the admin socket, the password and the CA certificates are
 * read, the process becomes nobody (no groups, no_new_privs, not
 * dumpable) before the first byte comes from the remote server.
 */
#include "import.h"
#include "import_imap.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

static int
read_password(const char *path, char *pw, size_t size)
{
	FILE *f = path ? fopen(path, "re") : stdin;
	if (f == NULL) {
		fprintf(stderr, "cloisterctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	bool ok = fgets(pw, (int)size, f) != NULL;
	if (f != stdin)
		fclose(f);
	pw[ok ? strcspn(pw, "\r\n") : 0] = 0;
	if (!ok || pw[0] == 0) {
		fprintf(stderr, "cloisterctl: no password (one line on %s)\n",
		    path ? path : "standard input");
		return -1;
	}
	return 0;
}

static int
become_nobody(void *arg)
{
	(void)arg;
	const struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw ? pw->pw_uid : 65534;
	gid_t gid = pw ? pw->pw_gid : 65534;
	if (geteuid() != 0)
		return 0;   /* not root: nothing to give up */
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fprintf(stderr, "cloisterctl: cannot become nobody: %s\n",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
report(const struct import_imap_stats *st)
{
	if (st->too_big || st->vanished || st->folders_skipped)
		fprintf(stderr, "cloisterctl: not copied: %llu over"
		    " --max-message, %llu expunged meanwhile, %llu folders"
		    " whose names cannot be carried over\n",
		    (unsigned long long)st->too_big,
		    (unsigned long long)st->vanished,
		    (unsigned long long)st->folders_skipped);
}

int
import_imap(const char *spec, const struct import_args *a,
    const struct import_sink *s)
{
	struct import_imap_opts o;
	struct import_imap_stats st = { 0 };
	char store[2048], err[256], pw[PASSWORD_MAX];
	if (import_imap_url(spec, &o, store, sizeof(store), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "cloisterctl: %s\n", err);
		return IMPORT_E_SOURCE;
	}
	if (a->imap.plaintext && o.conn.tls == IMAPC_TLS_STARTTLS)
		o.conn.tls = IMAPC_TLS_NONE;
	o.conn.ca_file = a->imap.ca_file;
	o.conn.insecure = a->imap.insecure;
	if (a->imap.max_message)
		o.conn.max_literal = a->imap.max_message;
	if (read_password(a->imap.password_file, pw, sizeof(pw)) < 0)
		return IMPORT_E_SOURCE;
	o.password = pw;
	o.password_len = strlen(pw);
	o.stats = &st;
	o.confine = become_nobody;
	int rc = import_imap_run(&o, s);
	explicit_bzero(pw, sizeof(pw));
	report(&st);
	if (rc < 0 && rc != -1)
		return rc;          /* the sink's, which said why */
	return rc == 0 ? 0 : IMPORT_E_SOURCE;
}
