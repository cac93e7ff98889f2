/*
 * ctl_users: the commands of cloisterctl (docs/cloisterctl.md). Each takes
 * the arguments after its verb and returns an enum ctl_exit.
 */
#include "ctl.h"
#include "buf.h"
#include "fds.h"
#include "store_uses.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

/* ---- small helpers ---- */

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("cloisterctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (cloisterctl --help)\n", stderr);
	va_end(ap);
	return CTL_USAGE;
}

/* Read one line without echo when stdin is a terminal. -1 at EOF. */
static ssize_t
read_secret(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
		fputs(prompt, stderr);
	}
	size_t n = 0;
	ssize_t r = -1;
	for (;;) {
		char ch;
		ssize_t k = read(0, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = n > 0 ? (ssize_t)n : -1;
			break;
		}
		if (ch == '\n') {
			r = (ssize_t)n;
			break;
		}
		if (n + 1 >= size) {
			r = -2;            /* too long: keep reading nothing more */
			break;
		}
		buf[n++] = ch;
	}
	if (r >= 0 && n > 0 && buf[n - 1] == '\r')
		r = (ssize_t)--n;
	buf[n < size ? n : size - 1] = '\0';
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return r;
}

/* The new password: first line of stdin, or asked twice on a terminal. */
static int
read_password(char *pw, size_t size, size_t *len)
{
	ssize_t n = read_secret("Password: ", pw, size);
	if (n == -2)
		return ctl_fail(CTL_USAGE, "password longer than %d bytes",
		    PASSWORD_MAX - 1);
	if (n <= 0)
		return ctl_fail(CTL_USAGE, "no password on standard input");
	if (memchr(pw, '\0', (size_t)n) != NULL)
		return ctl_fail(CTL_USAGE, "password holds a NUL byte");
	if (isatty(0)) {
		char again[PASSWORD_MAX];
		ssize_t m = read_secret("Again: ", again, sizeof(again));
		int same = m == n && memcmp(pw, again, (size_t)n) == 0;
		explicit_bzero(again, sizeof(again));
		if (!same)
			return ctl_fail(CTL_USAGE, "the passwords differ");
	}
	*len = (size_t)n;
	return CTL_OK;
}

static struct store_conn *
store_for(const struct ctl_env *e, const char *user)
{
	return ctl_store_connect(e, store_shard_of(user, e->cfg.store_shards));
}

/* "1234", "10K", "5M", "2G", "none"/"0" = no limit. */
static int
parse_limit(const char *s, uint64_t *v)
{
	if (strcmp(s, "none") == 0 || strcmp(s, "unlimited") == 0) {
		*v = 0;
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		return -1;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ULL * 1024 * 1024;
	else if (*end == 'T' || *end == 't')
		mul = 1024ULL * 1024 * 1024 * 1024;
	if (mul != 1)
		end++;
	if (errno || *end != '\0' || n > UINT64_MAX / mul)
		return -1;
	*v = n * mul;
	return 0;
}

/* ---- users ---- */

/* The user named on the command line, and whether sasldb2 has it. */
static int
lookup_user(struct ctl_env *e, const char *name, struct ctl_user *u,
    bool *exists)
{
	int rc = ctl_user_parse(e, name, u);
	return rc == CTL_OK ? ctl_sasldb_exists(e, u, exists) : rc;
}

int
ctl_user_add(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 1)
		return usage_error("usage: user add USER");
	struct ctl_user u;
	bool exists;
	int rc = lookup_user(e, argv[0], &u, &exists);
	if (rc != CTL_OK)
		return rc;
	if (exists)
		return ctl_fail(CTL_REFUSED, "user add %s: the user exists (user"
		    " passwd changes a password)", u.name);
	static char pw[PASSWORD_MAX];
	size_t len;
	rc = read_password(pw, sizeof(pw), &len);
	if (rc != CTL_OK)
		return rc;
	/* the store first: a password without mailboxes would let someone
	 * log in to nothing; undone if the password cannot be written */
	struct store_conn *sc = NULL;
	bool created = false;
	if (!e->no_store) {
		sc = store_for(e, u.name);
		if (sc == NULL) {
			explicit_bzero(pw, sizeof(pw));
			return CTL_UNAVAILABLE;
		}
		int r = store_adm_user_create(sc, u.name);
		if (r == STORE_OK)
			created = true;
		else if (r == STORE_E_EXISTS)
			fprintf(stderr, "cloisterctl: user add %s: the store already"
			    " has this user; keeping its mail\n", u.name);
		else {
			rc = ctl_store_error(sc, r, "user add: store");
			store_client_close(sc);
			explicit_bzero(pw, sizeof(pw));
			return rc;
		}
	}
	rc = ctl_sasldb_setpass(e, &u, pw, len);
	explicit_bzero(pw, sizeof(pw));
	if (rc != CTL_OK && created &&
	    store_adm_user_delete(sc, u.name) != STORE_OK)
		fprintf(stderr, "cloisterctl: user add %s: could not undo the"
		    " store's new user; remove it with 'user del'\n", u.name);
	if (sc != NULL)
		store_client_close(sc);
	return rc;
}

int
ctl_user_passwd(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 1)
		return usage_error("usage: user passwd USER");
	struct ctl_user u;
	bool exists;
	int rc = lookup_user(e, argv[0], &u, &exists);
	if (rc != CTL_OK)
		return rc;
	if (!exists)
		return ctl_fail(CTL_REFUSED, "user passwd %s: no such user",
		    u.name);
	static char pw[PASSWORD_MAX];
	size_t len;
	rc = read_password(pw, sizeof(pw), &len);
	if (rc == CTL_OK)
		rc = ctl_sasldb_setpass(e, &u, pw, len);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int
ctl_user_del(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 1)
		return usage_error("usage: user del USER");
	struct ctl_user u;
	bool exists;
	int rc = lookup_user(e, argv[0], &u, &exists);
	if (rc != CTL_OK)
		return rc;
	/* the password first: no new login may reach a store going away */
	if (exists && (rc = ctl_sasldb_delete(e, &u)) != CTL_OK)
		return rc;
	/* and the tokens: none may outlive the password */
	if ((rc = ctl_tokens_drop_user(e, u.name)) != CTL_OK)
		return rc;
	if (e->no_store)
		return exists ? CTL_OK : ctl_fail(CTL_REFUSED,
		    "user del %s: no such user", u.name);
	struct store_conn *sc = store_for(e, u.name);
	if (sc == NULL)
		return CTL_UNAVAILABLE;
	int r = store_adm_user_delete(sc, u.name);
	if (r == STORE_E_NOTFOUND && exists)
		r = STORE_OK;              /* a password without a store */
	if (r == STORE_E_NOTFOUND)
		rc = ctl_fail(CTL_REFUSED, "user del %s: no such user", u.name);
	else
		rc = ctl_store_error(sc, r, "user del: store");
	store_client_close(sc);
	return rc;
}

/* user list: the union of sasldb2 and the store, sorted. */
struct listed {
	char name[TICKET_USER_MAX + 1];
	bool password, store;
	struct store_quota q;
};

struct list {
	struct listed *v;
	size_t n, cap;
	const struct ctl_env *e;
};

static struct listed *
list_get(struct list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct listed *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct listed *x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	buf_snprintf(x->name, sizeof(x->name), "%s", name);
	return x;
}

static void
from_sasldb(void *arg, const char *id, const char *realm)
{
	struct list *l = arg;
	char name[2 * TICKET_USER_MAX + 2];
	/* the account name: the default realm is implied */
	if (strcmp(realm, l->e->realm) == 0)
		buf_snprintf(name, sizeof(name), "%s", id);
	else
		buf_snprintf(name, sizeof(name), "%s@%s", id, realm);
	struct listed *x = list_get(l, name);
	if (x != NULL)
		x->password = true;
}

static int
from_store(void *arg, const struct store_user_info *u)
{
	struct listed *x = list_get(arg, u->name);
	if (x != NULL) {
		x->store = true;
		x->q = u->quota;
	}
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name,
	    ((const struct listed *)b)->name);
}

int
ctl_user_list(struct ctl_env *e, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return usage_error("usage: user list");
	struct list l = { .e = e };
	int rc = ctl_sasldb_list(e, from_sasldb, &l);
	for (unsigned s = 0; rc == CTL_OK && !e->no_store &&
	    s < e->cfg.store_shards; s++) {
		struct store_conn *sc = ctl_store_connect(e, s);
		if (sc == NULL) {
			rc = CTL_UNAVAILABLE;
			break;
		}
		rc = ctl_store_error(sc, store_adm_user_list(sc, from_store, &l),
		    "user list: store");
		store_client_close(sc);
	}
	if (rc == CTL_OK) {
		if (l.n > 1)   /* none: no array for qsort */
			qsort(l.v, l.n, sizeof(*l.v), by_name);
		for (size_t i = 0; i < l.n; i++) {
			const struct listed *x = &l.v[i];
			if (e->no_store) {
				printf("%s\n", x->name);
				continue;
			}
			printf("%s\t%s\t%llu\t%llu\t%llu\t%llu\n", x->name,
			    !x->password ? "no-password" : !x->store ? "no-store" :
			    "ok", (unsigned long long)x->q.storage_used,
			    (unsigned long long)x->q.storage_limit,
			    (unsigned long long)x->q.messages_used,
			    (unsigned long long)x->q.messages_limit);
		}
	}
	free(l.v);
	return rc;
}

/* ---- mailboxes ---- */

/* Connect for USER (argv[0]) after checking the name; NULL on failure
 * with *rc set. */
static struct store_conn *
user_conn(struct ctl_env *e, const char *arg, struct ctl_user *u, int *rc)
{
	*rc = ctl_user_parse(e, arg, u);
	if (*rc != CTL_OK)
		return NULL;
	struct store_conn *sc = store_for(e, u->name);
	if (sc == NULL)
		*rc = CTL_UNAVAILABLE;
	return sc;
}

/* The result of one store request, then the connection closed. */
static int
store_done(struct store_conn *sc, int store_rc, const char *what)
{
	int rc = ctl_store_error(sc, store_rc, what);
	store_client_close(sc);
	return rc;
}

int
ctl_mailbox_create(struct ctl_env *e, int argc, char **argv)
{
	uint32_t use = 0;
	char *pos[2];
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--special-use") == 0 && i + 1 < argc) {
			const char *w = argv[++i];
			size_t k;
			for (k = 0; k < store_use_nnames; k++)
				if (strcasecmp(w, store_use_names[k].attr) == 0 ||
				    strcasecmp(w, store_use_names[k].attr + 1) == 0)
					break;
			if (k == store_use_nnames)
				return usage_error("unknown special use '%s'", w);
			use |= store_use_names[k].bit;
		} else if (npos < 2 && argv[i][0] != '-') {
			pos[npos++] = argv[i];
		} else {
			return usage_error("usage: mailbox create USER NAME"
			    " [--special-use \\Sent ...]");
		}
	}
	if (npos != 2)
		return usage_error("usage: mailbox create USER NAME"
		    " [--special-use \\Sent ...]");
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, pos[0], &u, &rc);
	if (sc == NULL)
		return rc;
	rc = ctl_store_error(sc, store_adm_mbox_create(sc, u.name, pos[1], use),
	    "mailbox create");
	store_client_close(sc);
	return rc;
}

int
ctl_mailbox_delete(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 2)
		return usage_error("usage: mailbox delete USER NAME");
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, argv[0], &u, &rc);
	return sc == NULL ? rc : store_done(sc, store_adm_mbox_delete(sc, u.name,
	    argv[1]), "mailbox delete");
}

int
ctl_mailbox_rename(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 3)
		return usage_error("usage: mailbox rename USER OLD NEW");
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, argv[0], &u, &rc);
	return sc == NULL ? rc : store_done(sc, store_adm_mbox_rename(sc, u.name,
	    argv[1], argv[2]), "mailbox rename");
}

int
ctl_mailbox_detail(struct ctl_env *e, int argc, char **argv)
{
	static const char use[] = "usage: mailbox detail-delivery USER NAME"
	    " on|off [--force]";
	bool force = argc == 4 && strcmp(argv[3], "--force") == 0;
	if ((argc != 3 && !force) || (strcmp(argv[2], "on") != 0 &&
	    strcmp(argv[2], "off") != 0))
		return usage_error("%s", use);
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, argv[0], &u, &rc);
	return sc == NULL ? rc : store_done(sc, store_adm_mbox_detail(sc, u.name,
	    argv[1], strcmp(argv[2], "on") == 0, force),
	    "mailbox detail-delivery");
}

static int
print_mbox(void *arg, const struct store_mbox_info *mb)
{
	(void)arg;
	char uses[128] = "";
	size_t n = 0;
	for (size_t k = 0; k < store_use_nnames; k++)
		if (mb->st.attrs & store_use_names[k].bit)
			n += (size_t)snprintf(uses + n, sizeof(uses) - n, "%s%s",
			    n ? " " : "", store_use_names[k].attr);
	if (mb->st.attrs & STORE_MBOX_NOSELECT)
		n += (size_t)snprintf(uses + n, sizeof(uses) - n, "%s\\Noselect",
		    n ? " " : "");
	if (mb->st.attrs & STORE_MBOX_DETAIL)
		n += (size_t)snprintf(uses + n, sizeof(uses) - n, "%s+detail",
		    n ? " " : "");
	printf("%s\t%s\t%u\t%llu\n", mb->name, n ? uses : "-", mb->st.messages,
	    (unsigned long long)mb->st.size);
	return 0;
}

int
ctl_mailbox_list(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 1)
		return usage_error("usage: mailbox list USER");
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, argv[0], &u, &rc);
	if (sc == NULL)
		return rc;
	rc = ctl_store_error(sc, store_adm_mbox_list(sc, u.name,
	    STORE_LIST_STATUS, print_mbox, NULL), "mailbox list");
	store_client_close(sc);
	return rc;
}

/* ---- quota ---- */

static void
print_limit(const char *what, uint64_t used, uint64_t limit)
{
	if (limit == 0)
		printf("%s\t%llu\tnone\n", what, (unsigned long long)used);
	else
		printf("%s\t%llu\t%llu\n", what, (unsigned long long)used,
		    (unsigned long long)limit);
}

int
ctl_quota_get(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 1)
		return usage_error("usage: quota get USER");
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, argv[0], &u, &rc);
	if (sc == NULL)
		return rc;
	struct store_quota q;
	rc = ctl_store_error(sc, store_adm_quota_get(sc, u.name, &q),
	    "quota get");
	if (rc == CTL_OK) {
		print_limit("storage", q.storage_used, q.storage_limit);
		print_limit("messages", q.messages_used, q.messages_limit);
	}
	store_client_close(sc);
	return rc;
}

int
ctl_quota_set(struct ctl_env *e, int argc, char **argv)
{
	const char *user = NULL;
	uint64_t storage = 0, messages = 0;
	bool set_storage = false, set_messages = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc) {
			if (parse_limit(argv[++i], &storage) < 0)
				return usage_error("bad --storage '%s' (N, NK, NM,"
				    " NG, NT or none)", argv[i]);
			set_storage = true;
		} else if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc) {
			if (parse_limit(argv[++i], &messages) < 0)
				return usage_error("bad --messages '%s' (N or none)",
				    argv[i]);
			set_messages = true;
		} else if (user == NULL && argv[i][0] != '-') {
			user = argv[i];
		} else {
			user = NULL;
			break;
		}
	}
	if (user == NULL || (!set_storage && !set_messages))
		return usage_error("usage: quota set USER [--storage N]"
		    " [--messages N]");
	struct ctl_user u;
	int rc;
	struct store_conn *sc = user_conn(e, user, &u, &rc);
	if (sc == NULL)
		return rc;
	/* a limit not named keeps its value */
	struct store_quota q;
	rc = ctl_store_error(sc, store_adm_quota_get(sc, u.name, &q),
	    "quota set");
	if (rc == CTL_OK)
		rc = ctl_store_error(sc, store_adm_quota_set(sc, u.name,
		    set_storage ? storage : q.storage_limit,
		    set_messages ? messages : q.messages_limit), "quota set");
	store_client_close(sc);
	return rc;
}

/* ---- freeze ---- */

/* Freeze every shard, run the command, thaw. The exit status is the
 * command's, or CTL_TEMPFAIL if any shard had released its freeze before
 * the command ended (its snapshot may be inconsistent). */
int
ctl_freeze(struct ctl_env *e, int argc, char **argv)
{
	uint64_t timeout = 0;
	int i = 0;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			timeout = strtoull(argv[++i], &end, 10);
			if (errno || *end != '\0' || timeout < 1 || timeout > 86400)
				return usage_error("bad --timeout '%s' (1..86400"
				    " seconds)", argv[i]);
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			break;
		}
	}
	if (timeout == 0 || i >= argc)
		return usage_error("usage: freeze --timeout SECONDS -- COMMAND"
		    " [ARG...]");
	char **cmd = argv + i;
	unsigned n = e->cfg.store_shards;
	struct store_conn *sc[CLOISTER_MAX_SHARDS] = { 0 };
	int rc = CTL_OK;
	unsigned frozen = 0;
	for (; frozen < n; frozen++) {
		sc[frozen] = ctl_store_connect(e, frozen);
		if (sc[frozen] == NULL) {
			rc = CTL_UNAVAILABLE;
			break;
		}
		int r = store_adm_freeze(sc[frozen], (uint32_t)timeout);
		if (r != STORE_OK) {
			char what[64];
			snprintf(what, sizeof(what), "freeze: shard %u", frozen);
			rc = ctl_store_error(sc[frozen], r, what);
			store_client_close(sc[frozen]);
			sc[frozen] = NULL;
			break;
		}
	}
	int status = rc;
	if (rc == CTL_OK) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			execvp(cmd[0], cmd);
			fprintf(stderr, "cloisterctl: freeze: %s: %s\n", cmd[0],
			    strerror(errno));
			_exit(127);
		}
		int st = 0;
		if (pid < 0)
			status = ctl_fail(CTL_SOFTWARE, "fork: %s", strerror(errno));
		else
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		if (pid > 0)
			status = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
	}
	/* thaw every shard that was frozen, even after a failure */
	bool released_early = false;
	for (unsigned s = 0; s < frozen; s++) {
		int r = store_adm_thaw(sc[s]);
		if (r == STORE_THAW_TIMED_OUT) {
			released_early = true;
			fprintf(stderr, "cloisterctl: freeze: shard %u released its"
			    " freeze after %llu s, before the command ended; the"
			    " snapshot may be inconsistent\n", s,
			    (unsigned long long)timeout);
		} else if (r != STORE_OK) {
			char what[64];
			snprintf(what, sizeof(what), "thaw: shard %u", s);
			int t = ctl_store_error(sc[s], r, what);
			if (status == CTL_OK)
				status = t;
		}
		store_client_close(sc[s]);
	}
	if (released_early && rc == CTL_OK) {
		if (status != 0)
			fprintf(stderr, "cloisterctl: freeze: the command exited"
			    " with status %d\n", status);
		return CTL_TEMPFAIL;
	}
	return status;
}
