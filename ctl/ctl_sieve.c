/*
 * ctl_sieve: cloisterctl sieve — users' Sieve scripts on the store's admin
 * channel. put and check compile the script here (sieve_compile), so a
 * script that does not compile never reaches the store, and put stores
 * the source with the program made from it: the store parses neither.
 */
#include "ctl.h"
#include "sieve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(STORE_SIEVE_PROGRAM_MAX == SIEVE_MAX_PROGRAM,
    "the store keeps every program the compiler can make");

static int
sieve_usage(const char *verb, const char *args)
{
	fprintf(stderr, "cloisterctl: usage: sieve %s %s (cloisterctl --help)\n",
	    verb, args);
	return CTL_USAGE;
}

/* The file's bytes ("-": standard input) into src, at most max. A file
 * must be a regular one; under a directory fd (a user's directory that
 * root reads: sieve import), not a symlink. */
static int
read_script(int dirfd, const char *path, size_t max, struct buf *src)
{
	struct stat sb;
	int fd = strcmp(path, "-") == 0 ? 0 : openat(dirfd, path, O_RDONLY |
	    O_CLOEXEC | O_NONBLOCK | (dirfd != AT_FDCWD ? O_NOFOLLOW : 0));
	if (fd < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
	if (fd != 0 && (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))) {
		close(fd);
		return ctl_fail(CTL_REFUSED, "%s: not a regular file", path);
	}
	char chunk[8192];
	int rc = CTL_OK;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ctl_fail(CTL_REFUSED, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (src->len + (size_t)n > max) {
			rc = ctl_fail(CTL_REFUSED, "%s: more than %zu bytes", path,
			    max);
			break;
		}
		if (buf_append(src, chunk, (size_t)n) < 0) {
			rc = ctl_fail(CTL_SOFTWARE, "out of memory");
			break;
		}
	}
	if (fd != 0)
		close(fd);
	return rc;
}

int
ctl_sieve_compile(int dirfd, const char *path, struct buf *src,
    struct buf *prog)
{
	struct sieve_error err;
	char msg[300];
	int rc = read_script(dirfd, path, STORE_SIEVE_SOURCE_MAX, src);
	if (rc != CTL_OK)
		return rc;
	if (sieve_compile((const char *)src->data, src->len, prog, &err) == 0)
		return CTL_OK;
	sieve_error_format(&err, msg, sizeof(msg));
	fprintf(stderr, "%s: %s\n", path, msg);
	return CTL_REFUSED;
}

static int
print_script(void *arg, const struct store_sieve_info *s)
{
	(void)arg;
	printf("%s\t%s\t%llu\n", s->name, s->active ? "active" : "-",
	    (unsigned long long)s->size);
	return 0;
}

struct store_conn *
ctl_sieve_conn(struct ctl_env *e, const char *arg, struct ctl_user *u,
    int *rc)
{
	*rc = ctl_user_parse(e, arg, u);
	if (*rc != CTL_OK)
		return NULL;
	struct store_conn *sc = ctl_store_connect(e,
	    store_shard_of(u->name, e->cfg.store_shards));
	if (sc == NULL)
		*rc = CTL_UNAVAILABLE;
	return sc;
}

enum verb { V_LIST, V_GET, V_PUT, V_ACTIVATE, V_DEACTIVATE, V_DELETE };

static const struct {
	const char *name, *args;
	int nargs;
} verbs[] = {
	[V_LIST] = { "list", "USER", 1 },
	[V_GET] = { "get", "USER NAME", 2 },
	[V_PUT] = { "put", "USER NAME FILE", 3 },
	[V_ACTIVATE] = { "activate", "USER NAME", 2 },
	[V_DEACTIVATE] = { "deactivate", "USER", 1 },
	[V_DELETE] = { "delete", "USER NAME", 2 },
};

/* One store call of verb v for argv (checked), its result as an exit
 * code. */
static int
sieve_call(struct store_conn *sc, enum verb v, const char *user, char **argv,
    struct buf *src, struct buf *prog)
{
	int rc;
	switch (v) {
	case V_LIST:
		return store_adm_sieve_list(sc, user, print_script, NULL);
	case V_GET:
		rc = store_adm_sieve_get(sc, user, argv[1], src);
		if (rc == STORE_OK && fwrite(src->data, 1, src->len, stdout) !=
		    src->len)
			rc = STORE_E_ARG;
		return rc;
	case V_PUT:
		return store_adm_sieve_put(sc, user, argv[1], src->data,
		    src->len, prog->data, prog->len);
	case V_ACTIVATE:
		return store_adm_sieve_activate(sc, user, argv[1]);
	case V_DEACTIVATE:
		return store_adm_sieve_activate(sc, user, "");
	case V_DELETE:
		return store_adm_sieve_delete(sc, user, argv[1]);
	}
	return STORE_E_ARG;
}

static int
sieve_verb(struct ctl_env *e, enum verb v, int argc, char **argv)
{
	if (argc != verbs[v].nargs)
		return sieve_usage(verbs[v].name, verbs[v].args);
	struct buf src, prog;
	buf_init(&src, STORE_SIEVE_SOURCE_MAX);
	buf_init(&prog, STORE_SIEVE_PROGRAM_MAX);
	struct ctl_user u;
	int rc = v == V_PUT ? ctl_sieve_compile(AT_FDCWD, argv[2], &src, &prog) : CTL_OK;
	struct store_conn *sc = rc == CTL_OK ? ctl_sieve_conn(e, argv[0], &u, &rc) :
	    NULL;
	if (sc != NULL) {
		char what[64];
		snprintf(what, sizeof(what), "sieve %s", verbs[v].name);
		rc = ctl_store_error(sc, sieve_call(sc, v, u.name, argv, &src,
		    &prog), what);
		store_client_close(sc);
	}
	buf_free(&src);
	buf_free(&prog);
	return rc;
}

int
ctl_sieve_list(struct ctl_env *e, int argc, char **argv)
{
	return sieve_verb(e, V_LIST, argc, argv);
}

int
ctl_sieve_get(struct ctl_env *e, int argc, char **argv)
{
	return sieve_verb(e, V_GET, argc, argv);
}

int
ctl_sieve_put(struct ctl_env *e, int argc, char **argv)
{
	return sieve_verb(e, V_PUT, argc, argv);
}

int
ctl_sieve_activate(struct ctl_env *e, int argc, char **argv)
{
	return sieve_verb(e, V_ACTIVATE, argc, argv);
}

int
ctl_sieve_deactivate(struct ctl_env *e, int argc, char **argv)
{
	return sieve_verb(e, V_DEACTIVATE, argc, argv);
}

int
ctl_sieve_delete(struct ctl_env *e, int argc, char **argv)
{
	return sieve_verb(e, V_DELETE, argc, argv);
}

/* sieve check FILE: compile only, nothing stored. */
int
ctl_sieve_check(struct ctl_env *e, int argc, char **argv)
{
	(void)e;
	if (argc != 1)
		return sieve_usage("check", "FILE");
	struct buf src, prog;
	buf_init(&src, STORE_SIEVE_SOURCE_MAX);
	buf_init(&prog, STORE_SIEVE_PROGRAM_MAX);
	int rc = ctl_sieve_compile(AT_FDCWD, argv[0], &src, &prog);
	if (rc == CTL_OK)
		printf("%s: ok (%zu bytes, program %zu bytes)\n", argv[0], src.len,
		    prog.len);
	buf_free(&src);
	buf_free(&prog);
	return rc;
}
