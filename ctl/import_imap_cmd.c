/*
 * import_imap_cmd: `cloisterctl import USER imaps://...` (import.h): the
 * IMAP source (import_imap.h) with the command's options, the password
 * from a file or standard input (never argv), and the privilege it runs
 * with: in a child process (import_relay.h) that keeps no descriptor but
 * its relay socket and, once the CA certificates are read and the server
 * connected, before its first byte is read, confines itself under
 * policy/import-imap.policy.
 */
#include "import.h"
#include "import_imap.h"
#include "import_relay.h"
#include "policy.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

/* The child, connected and before the server's first byte: confined
 * under policy/import-imap.policy (sandbox.h: an empty network namespace,
 * an empty chroot, nobody, no capabilities, no_new_privs, Landlock, the
 * seccomp allowlist), keeping only the relay (3) and the server's socket.
 * A step that fails ends the child. */
static int
confine(void *policy, int fd)
{
	const int keep[] = { 3, fd };
	policy_confine(policy, NULL, keep, sizeof(keep) / sizeof(keep[0]));
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

/* The child: the source with nothing but the relay socket (as fd 3) and
 * standard I/O; everything else, the store's admin socket first, closed. */
static void __attribute__((noreturn))
child(int fd, struct import_imap_opts *o, char *pw, const char *policy)
{
	struct relay_child rc;
	struct import_sink sink;
	struct import_imap_stats st = { 0 };
	if (dup2(fd, 3) < 0 || close_range(4, ~0u, 0) < 0)
		_exit(2);
	relay_child_sink(&rc, 3, o->conn.max_literal, &sink);
	o->stats = &st;
	o->confine = confine;
	o->confine_arg = (void *)policy;
	int r = import_imap_run(o, &sink);
	explicit_bzero(pw, PASSWORD_MAX);
	report(&st);
	relay_child_free(&rc);
	_exit(r == 0 ? 0 : r == 1 ? 1 : 2);
}

int
import_imap(const char *spec, const struct import_args *a,
    const struct import_sink *s)
{
	struct import_imap_opts o;
	char store[2048], err[256], pw[PASSWORD_MAX];
	int sv[2], status = 0;
	if (import_imap_url(spec, &o, store, sizeof(store), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "cloisterctl: %s\n", err);
		return IMPORT_E_SOURCE;
	}
	if (a->imap.plaintext && o.conn.tls == IMAPC_TLS_STARTTLS)
		o.conn.tls = IMAPC_TLS_NONE;
	o.under = a->folder;
	o.conn.ca_file = a->imap.ca_file;
	o.conn.insecure = a->imap.insecure;
	if (a->imap.max_message)
		o.conn.max_literal = a->imap.max_message;
	if (read_password(a->imap.password_file, pw, sizeof(pw)) < 0)
		return IMPORT_E_SOURCE;
	o.password = pw;
	o.password_len = strlen(pw);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 &&
	    (pid = fork()) == 0)
		child(sv[1], &o, pw, a->imap.policy);
	explicit_bzero(pw, sizeof(pw));
	if (pid < 0) {
		fprintf(stderr, "cloisterctl: %s\n", strerror(errno));
		return IMPORT_E_SOURCE;
	}
	close(sv[1]);
	int rc = relay_serve(sv[0], s, o.conn.max_literal);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		fprintf(stderr, "cloisterctl: the import source was killed by"
		    " signal %d%s\n", WTERMSIG(status), WTERMSIG(status) ==
		    SIGSYS ? " (a system call import-imap.policy does not"
		    " allow)" : "");
	if (rc < -1)
		return rc;          /* the sink's, which said why */
	if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return IMPORT_E_SOURCE;
	return 0;
}
