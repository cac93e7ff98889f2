/* import_cmd: `cloisterctl import USER SOURCE` (import.h): the options,
 * which source reads SOURCE, the privilege it reads with, the summary. */
#include "import.h"
#include "ctl.h"
#include "buf.h"

#include <errno.h>
#include <grp.h>
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
 * mbox. A source that reads local files runs as their owner. */
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
	    " mbox:FILE, a path, or imap[s]://USER[*ADMIN]@HOST[:PORT] with"
	    " [--password-file FILE] [--ca-file FILE] [--insecure]"
	    " [--plaintext] [--max-message BYTES]");
}

/* Mail from the network is parsed here: as the owner of the source (the
 * mail system's user, as Dovecot and Cyrus keep it), not as root, once
 * the admin socket is open. A root-owned source is read as root. */
static int
drop_to_owner(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
	if (sb.st_uid == 0)
		return CTL_OK;
	if (setgroups(0, NULL) < 0 || setgid(sb.st_gid) < 0 ||
	    setuid(sb.st_uid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ctl_fail(CTL_REFUSED, "cannot become the owner of %s: %s",
		    path, strerror(errno));
	return CTL_OK;
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

static int
run(struct store_conn *sc, int src, const char *spec, bool local,
    const struct import_args *a)
{
	struct timespec t0, t1;
	struct import_sink sink;
	struct import_totals t;
	if (local) {
		int rc = drop_to_owner(spec);
		if (rc != CTL_OK)
			return rc;
	}
	struct import_state *st = import_sink_new(sc, a, &sink);
	if (st == NULL)
		return ctl_fail(CTL_SOFTWARE, "out of memory");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = sources[src].fn(spec, a, &sink);
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
	struct import_args a = { .progress = isatty(STDERR_FILENO) };
	const char *pos[2];
	int npos = 0, opt;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--folder") == 0 && i + 1 < argc)
			a.folder = argv[++i];
		else if (strcmp(argv[i], "--force-new-uidvalidity") == 0)
			a.force_new_uidvalidity = true;
		else if (strcmp(argv[i], "--no-progress") == 0)
			a.progress = false;
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
	a.user = u.name;
	if (buf_snprintf(a.imap.policy, sizeof(a.imap.policy),
	    "%s/import-imap.policy", e->cfg.policy_dir) < 0)
		return ctl_fail(CTL_CONFIG, "policy-dir too long");
	struct store_conn *sc = ctl_store_connect(e,
	    store_shard_of(u.name, e->cfg.store_shards));
	if (sc == NULL)
		return CTL_UNAVAILABLE;
	rc = run(sc, src, spec, local, &a);
	store_client_close(sc);
	return rc;
}
