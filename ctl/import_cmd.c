/* import_cmd: `cloisterctl import USER SOURCE` (import.h): the options,
 * which source reads SOURCE, the reader child that parses it (confined,
 * without the admin channel: import_proxy.c), the summary. */
#include "import.h"
#include "ctl.h"
#include "buf.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef int (*import_source_fn)(const char *spec, const struct import_args *a,
    const struct import_sink *s);

/* SOURCE is PREFIX:SPEC, or a path: a directory is a Maildir, a file an
 * mbox. A source that reads local files runs as their owner (or
 * --reader-user), confined (import_local.c). */
static const struct {
	const char *prefix;
	import_source_fn fn;
	bool local;
	bool whole;                /* the source reads its prefix too (a URL) */
} sources[] = {
	{ "maildir:", import_maildir, true, false },
	{ "mbox:", import_mbox, true, false },
	{ "imaps://", import_imap, false, true },
	{ "imap://", import_imap, false, true },
};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

static int
usage(void)
{
	return ctl_fail(CTL_USAGE, "usage: import USER SOURCE [--folder NAME]"
	    " [--force-new-uidvalidity] [--no-progress]; SOURCE: maildir:DIR,"
	    " mbox:FILE or a path, with [--reader-user USER], or imap[s]://USER[*ADMIN]@HOST[:PORT] with"
	    " [--password-file FILE] [--ca-file FILE] [--insecure]"
	    " [--plaintext] [--max-message BYTES]");
}

static int
pick_source(const char *arg, const char **spec, bool *local)
{
	for (size_t i = 0; i < NSOURCES; i++) {
		size_t n = strlen(sources[i].prefix);
		if (strncmp(arg, sources[i].prefix, n) == 0) {
			*spec = sources[i].whole ? arg : arg + n;
			*local = sources[i].local;
			return (int)i;
		}
	}
	struct stat sb;
	if (stat(arg, &sb) < 0)
		return -1;
	*spec = arg;
	*local = true;
	return S_ISDIR(sb.st_mode) ? 0 : 1;
}

static void
summary(const char *user, const struct import_totals *t, double secs)
{
	printf("import %s: %u folders, %llu copied, %llu skipped, %llu bytes,"
	    " %.2f seconds (%.0f messages/s)\n", user, t->folders,
	    (unsigned long long)t->copied, (unsigned long long)t->skipped,
	    (unsigned long long)t->bytes, secs,
	    secs > 0 ? (double)t->copied / secs : 0.0);
}

/* The reader child: the source, the sink, the summary. */
static int
run(struct store_conn *sc, int src, const char *spec, bool local,
    struct import_args *a, pid_t parent)
{
	struct timespec t0, t1;
	struct import_sink sink;
	struct import_totals t;
	/* a local source is read under import-local.policy (import_local.c);
	 * a network source confines its own reader of the server's bytes
	 * (import-imap.policy: chroot, nobody, seccomp, no network but the
	 * one connected socket); this child keeps what it needs for that */
	/* not beyond the parent, its only way to the store (the sandbox
	 * keeps it across the change of ids) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		return CTL_SOFTWARE;
	int rc = local ? import_local_confine(spec, a, store_client_fd(sc),
	    &spec) : CTL_OK;
	if (rc != CTL_OK)
		return rc;
	struct import_state *st = import_sink_new(sc, a, &sink);
	if (st == NULL)
		return ctl_fail(CTL_SOFTWARE, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = sources[src].fn(spec, a, &sink);
	int end = import_sink_finish(st, &t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	import_sink_free(st);
	if (rc == 0)
		rc = end;
	summary(a->user, &t, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (rc == IMPORT_E_SOURCE)
		return CTL_REFUSED;
	return rc < 0 ? -rc : CTL_OK;
}

/* The admin channel stays here; the child gets a socket to the proxy. */
static int
split(struct store_conn *adm, int src, const char *spec, bool local,
    struct import_args *a)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return ctl_fail(CTL_SOFTWARE, "socketpair: %s", strerror(errno));
	fflush(NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		return ctl_fail(CTL_SOFTWARE, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(sp[0]);
		store_client_close(adm);
		struct store_conn *sc = store_client_open(sp[1]);
		int rc = sc ? run(sc, src, spec, local, a, parent) : CTL_SOFTWARE;
		fflush(NULL);
		_exit(rc);
	}
	close(sp[1]);
	int rc = import_proxy_run(sp[0], store_client_fd(adm), a->user);
	close(sp[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return ctl_fail(CTL_SOFTWARE, "import: the store or the reader "
		    "broke off");
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    ctl_fail(CTL_SOFTWARE, "import: the reader died (signal %d)",
	    WTERMSIG(status));
}

/* The IMAP source's options: 0 if argv[*i] was one (and its value),
 * 1 if its value is bad, -1 if it is not one. */
static int
imap_option(int argc, char **argv, int *i, struct import_imap_args *o)
{
	bool v = *i + 1 < argc;
	char *end;
	if (strcmp(argv[*i], "--insecure") == 0)
		o->insecure = true;
	else if (strcmp(argv[*i], "--plaintext") == 0)
		o->plaintext = true;
	else if (v && strcmp(argv[*i], "--ca-file") == 0)
		o->ca_file = argv[++*i];
	else if (v && strcmp(argv[*i], "--password-file") == 0)
		o->password_file = argv[++*i];
	else if (v && strcmp(argv[*i], "--max-message") == 0) {
		errno = 0;
		unsigned long long n = strtoull(argv[++*i], &end, 10);
		if (errno || *end || n == 0 || n > (1ull << 30))
			return 1;
		o->max_message = (size_t)n;
	} else
		return -1;
	return 0;
}

int
ctl_import(struct ctl_env *e, int argc, char **argv)
{
	struct import_args a = { .progress = isatty(STDERR_FILENO),
		.local.source_fd = -1 };
	const char *pos[2];
	int npos = 0, opt;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--folder") == 0 && i + 1 < argc)
			a.folder = argv[++i];
		else if (strcmp(argv[i], "--force-new-uidvalidity") == 0)
			a.force_new_uidvalidity = true;
		else if (strcmp(argv[i], "--no-progress") == 0)
			a.progress = false;
		else if (strcmp(argv[i], "--reader-user") == 0 && i + 1 < argc)
			a.local.reader_user = argv[++i];
		else if ((opt = imap_option(argc, argv, &i, &a.imap)) >= 0) {
			if (opt > 0)
				return usage();
		} else if (npos < 2 && argv[i][0] != '-')
			pos[npos++] = argv[i];
		else
			return usage();
	}
	if (npos != 2)
		return usage();
	struct ctl_user u;
	const char *spec;
	bool local;
	int rc = ctl_user_parse(e, pos[0], &u);
	if (rc != CTL_OK)
		return rc;
	int src = pick_source(pos[1], &spec, &local);
	if (src < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", pos[1], strerror(errno));
	if (!local && a.local.reader_user != NULL)
		return ctl_fail(CTL_USAGE, "--reader-user is for a Maildir or an"
		    " mbox: a remote server is read as nobody");
	a.user = u.name;
	if (buf_snprintf(a.imap.policy, sizeof(a.imap.policy),
	    "%s/import-imap.policy", e->cfg.policy_dir) < 0)
		return ctl_fail(CTL_CONFIG, "policy-dir too long");
	if (buf_snprintf(a.local.policy, sizeof(a.local.policy),
	    "%s/import-local.policy", e->cfg.policy_dir) < 0)
		return ctl_fail(CTL_CONFIG, "policy-dir too long");
	struct store_conn *sc = ctl_store_connect(e,
	    store_shard_of(u.name, e->cfg.store_shards));
	if (sc == NULL)
		return CTL_UNAVAILABLE;
	rc = split(sc, src, spec, local, &a);
	store_client_close(sc);
	return rc;
}
