/* ctl_tokens: `cloisterctl token add|list|revoke` — app-specific bearer
 * tokens for JMAP clients (workers/auth/auth_token.h). add prints the
 * token once; the tokens file beside sasldb2 keeps only its SHA-256. The
 * file is rewritten whole (a work file renamed over it, under the lock
 * sasldb2's writers take), so authd never reads half of it. */
#include "auth_token.h"
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LABEL "default"

struct tokens {
	char path[320], tmp[330];
	struct buf text;                 /* the file as it is */
};

static int
tokens_open(const struct ctl_env *e, struct tokens *t)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->text, AUTH_TOKEN_FILE_MAX);
	if (buf_snprintf(t->path, sizeof(t->path), "%s/%s", e->auth_root,
	    AUTH_TOKEN_FILE) < 0 || buf_snprintf(t->tmp, sizeof(t->tmp),
	    "%s/.%s.new", e->auth_root, AUTH_TOKEN_FILE) < 0)
		return ctl_fail(CTL_CONFIG, "authd's root is too long");
	if (buf_read_file(&t->text, t->path) < 0 && errno != ENOENT)
		return ctl_fail(CTL_IOERR, "%s: %s", t->path, strerror(errno));
	return CTL_OK;
}

/* Replace the file with out's lines (a malformed line read in is not
 * carried over). */
static int
tokens_write(struct tokens *t, const struct buf *out)
{
	FILE *f = NULL;
	int fd = -1;
	(void)unlink(t->tmp);
	fd = open(t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		return ctl_fail(CTL_IOERR, "%s: %s", t->tmp, strerror(errno));
	}
	bool ok = (out->len == 0 || fwrite(out->data, 1, out->len, f) ==
	    out->len) && fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	int rc = ok ? ctl_auth_fix_mode(t->tmp) :
	    ctl_fail(CTL_IOERR, "%s: %s", t->tmp, strerror(errno));
	if (rc == CTL_OK && rename(t->tmp, t->path) < 0)
		rc = ctl_fail(CTL_IOERR, "rename to %s: %s", t->path,
		    strerror(errno));
	if (rc != CTL_OK)
		(void)unlink(t->tmp);
	return rc;
}

typedef bool (*line_fn)(void *arg, const struct auth_token_line *l,
    const char *raw, size_t n);

/* Call fn for each well-formed line of the file. */
static void
each_line(const struct tokens *t, line_fn fn, void *arg)
{
	const char *p = (const char *)t->text.data;
	const char *end = p + t->text.len;
	while (p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		struct auth_token_line l;
		if (auth_token_parse_line(p, (size_t)(e - p), &l) == 0 &&
		    !fn(arg, &l, p, (size_t)(e - p)))
			break;
		p = nl ? nl + 1 : end;
	}
}

/* USER [LABEL] from argv; the user must have a password. */
static int
user_and_label(struct ctl_env *e, int argc, char **argv, bool label_needed,
    struct ctl_user *u, const char **label)
{
	if (argc < (label_needed ? 2 : 1) || argc > 2)
		return ctl_fail(CTL_USAGE, "usage: token %s", label_needed ?
		    "revoke USER LABEL" : "add USER [LABEL]");
	*label = argc == 2 ? argv[1] : DEFAULT_LABEL;
	if (!auth_token_label_ok(*label))
		return ctl_fail(CTL_REFUSED, "a label is 1-%d of A-Z a-z 0-9 . _ -",
		    AUTH_TOKEN_LABEL_MAX);
	return ctl_user_parse(e, argv[0], u);
}

struct match {
	const char *user, *label;
	struct buf *keep;                /* lines that do not match */
	unsigned found;
};

static bool
match_line(void *arg, const struct auth_token_line *l, const char *raw,
    size_t n)
{
	struct match *m = arg;
	bool hit = strcmp(l->user, m->user) == 0 &&
	    (m->label == NULL || strcmp(l->label, m->label) == 0);
	m->found += hit;
	if (!hit && m->keep != NULL) {
		buf_append(m->keep, raw, n);
		buf_append_byte(m->keep, '\n');
	}
	return true;
}

static int
mint(char *token, size_t size)
{
	uint8_t r[32];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return ctl_fail(CTL_IOERR, "getrandom: %s", strerror(errno));
	size_t o = (size_t)buf_snprintf(token, size, "%s", AUTH_TOKEN_PREFIX);
	for (size_t i = 0; i < sizeof(r); i++)
		o += (size_t)buf_snprintf(token + o, size - o, "%02x", r[i]);
	explicit_bzero(r, sizeof(r));
	return CTL_OK;
}

int
ctl_token_add(struct ctl_env *e, int argc, char **argv)
{
	struct ctl_user u;
	const char *label = DEFAULT_LABEL;
	bool exists = false;
	int rc = user_and_label(e, argc, argv, false, &u, &label);
	if (rc == CTL_OK)
		rc = ctl_sasldb_exists(e, &u, &exists);
	if (rc == CTL_OK && !exists)
		rc = ctl_fail(CTL_REFUSED, "token add %s: no such user", u.name);
	int lock = rc == CTL_OK ? ctl_auth_lock() : -1;
	if (rc != CTL_OK || lock < 0)
		return rc != CTL_OK ? rc : CTL_IOERR;
	struct tokens t;
	struct buf out = BUF_INIT(AUTH_TOKEN_FILE_MAX);
	char token[AUTH_TOKEN_LEN + 1], hex[AUTH_TOKEN_HEX + 1];
	struct match m = { u.name, label, &out, 0 };
	if ((rc = tokens_open(e, &t)) == CTL_OK) {
		each_line(&t, match_line, &m);
		if (m.found)
			rc = ctl_fail(CTL_REFUSED, "token add %s: label %s exists"
			    " (revoke it first)", u.name, label);
	}
	if (rc == CTL_OK && (rc = mint(token, sizeof(token))) == CTL_OK) {
		auth_token_hash(token, AUTH_TOKEN_LEN, hex);
		buf_printf(&out, "%s %s %s %llu\n", hex, u.name, label,
		    (unsigned long long)time(NULL));
		rc = out.failed ? ctl_fail(CTL_REFUSED, "too many tokens") :
		    tokens_write(&t, &out);
		if (rc == CTL_OK)
			printf("%s\n", token);
		explicit_bzero(token, sizeof(token));
	}
	buf_free(&out);
	buf_free(&t.text);
	close(lock);
	return rc;
}

static bool
print_line(void *arg, const struct auth_token_line *l, const char *raw,
    size_t n)
{
	(void)raw;
	(void)n;
	if (strcmp(l->user, (const char *)arg) != 0)
		return true;
	char when[32] = "";
	time_t c = (time_t)l->created;
	struct tm tm;
	if (gmtime_r(&c, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* the hash's first digits tell tokens apart in logs and audits; the
	 * token itself was shown once and is kept nowhere */
	printf("%s\t%s\t%.12s\n", l->label, when, l->hash);
	return true;
}

int
ctl_token_list(struct ctl_env *e, int argc, char **argv)
{
	struct ctl_user u;
	if (argc != 1)
		return ctl_fail(CTL_USAGE, "usage: token list USER");
	int rc = ctl_user_parse(e, argv[0], &u);
	struct tokens t;
	if (rc == CTL_OK && (rc = tokens_open(e, &t)) == CTL_OK) {
		each_line(&t, print_line, u.name);
		buf_free(&t.text);
	}
	return rc;
}

int
ctl_tokens_drop_user(const struct ctl_env *e, const char *user)
{
	struct tokens t;
	struct buf out = BUF_INIT(AUTH_TOKEN_FILE_MAX);
	struct match m = { user, NULL, &out, 0 };
	int lock = ctl_auth_lock();
	if (lock < 0)
		return CTL_IOERR;
	int rc = tokens_open(e, &t);
	if (rc == CTL_OK) {
		each_line(&t, match_line, &m);
		if (m.found > 0)
			rc = tokens_write(&t, &out);
	}
	buf_free(&out);
	buf_free(&t.text);
	close(lock);
	return rc;
}

int
ctl_token_revoke(struct ctl_env *e, int argc, char **argv)
{
	struct ctl_user u;
	const char *label = DEFAULT_LABEL;
	int rc = user_and_label(e, argc, argv, true, &u, &label);
	int lock = rc == CTL_OK ? ctl_auth_lock() : -1;
	if (rc != CTL_OK || lock < 0)
		return rc != CTL_OK ? rc : CTL_IOERR;
	struct tokens t;
	struct buf out = BUF_INIT(AUTH_TOKEN_FILE_MAX);
	struct match m = { u.name, label, &out, 0 };
	if ((rc = tokens_open(e, &t)) == CTL_OK) {
		each_line(&t, match_line, &m);
		rc = m.found == 0 ? ctl_fail(CTL_REFUSED, "token revoke %s: no"
		    " token labelled %s", u.name, label) : tokens_write(&t, &out);
	}
	buf_free(&out);
	buf_free(&t.text);
	close(lock);
	return rc;
}
