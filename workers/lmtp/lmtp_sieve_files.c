/*
 * lmtp_sieve_files: the scripts lmtpd compiles from files at start,
 * before it confines itself (afterwards it can open no file): the
 * installation-wide sieve-before and sieve-after, the NAME.sieve files of
 * sieve-global-dir and the DOMAIN.sieve files of the per-domain
 * directories, and the lookup of a recipient's domain script (a binary
 * search in memory: no file access per recipient).
 *
 * A script in a directory is opened relative to it with O_NOFOLLOW and
 * must be a regular file: a symlink or anything else stops lmtpd, so
 * whoever may write a link into the directory cannot make lmtpd read a
 * file outside it.
 */
#include "lmtp_sieve.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Compile src (read from path) and load the program. */
static struct sieve_program *
compile_src(const char *path, const struct buf *src, char *err,
    size_t errsz)
{
	struct buf prog = BUF_INIT(SIEVE_MAX_PROGRAM);
	struct sieve_program *p = NULL;
	struct sieve_error e;
	char where[240];
	if (sieve_compile((const char *)src->data, src->len, &prog, &e) < 0) {
		sieve_error_format(&e, where, sizeof(where));
		snprintf(err, errsz, "%s: %s", path, where);
	} else if ((p = sieve_load(prog.data, prog.len, &e)) == NULL) {
		sieve_error_format(&e, where, sizeof(where));
		snprintf(err, errsz, "%s: %s", path, where);
	}
	buf_free(&prog);
	return p;
}

struct sieve_program *
lmtp_sieve_compile_file(const char *path, char *err, size_t errsz)
{
	struct buf src = BUF_INIT(SIEVE_MAX_SCRIPT);
	struct sieve_program *p = NULL;
	if (buf_read_file(&src, path) < 0)
		snprintf(err, errsz, "%s: cannot be read (or over 1 MiB)", path);
	else
		p = compile_src(path, &src, err, errsz);
	buf_free(&src);
	return p;
}

/* Read name of the directory dirfd into src: a regular file of at most
 * SIEVE_MAX_SCRIPT bytes, never through a symlink (path: for errors). */
static int
read_script(int dirfd, const char *name, const char *path, struct buf *src,
    char *err, size_t errsz)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsz, "%s: %s", path, errno == ELOOP ?
		    "is a symlink (not followed)" : strerror(errno));
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		snprintf(err, errsz, "%s: not a regular file", path);
	else if (st.st_size > SIEVE_MAX_SCRIPT)
		snprintf(err, errsz, "%s: over %u bytes", path, SIEVE_MAX_SCRIPT);
	else
		rc = 0;
	while (rc == 0) {
		if (buf_reserve(src, 4096) < 0) {
			snprintf(err, errsz, "%s: over %u bytes", path,
			    SIEVE_MAX_SCRIPT);
			rc = -1;
			break;
		}
		ssize_t n = read(fd, src->data + src->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			rc = -1;
		}
		if (n <= 0)
			break;
		src->len += (size_t)n;
	}
	close(fd);
	return rc;
}

/* Which STEM.sieve files a directory loader takes. */
struct dir_rules {
	size_t max;                       /* files at most */
	bool (*name_ok)(const char *stem, size_t len);
	const char *what;                 /* the names it takes, for errors */
};

/* Compile every STEM.sieve of dir into out (dot files and other names
 * are not scripts): their number, or -1 with the file and why in err. */
static int
load_dir(const char *dir, const struct dir_rules *rules,
    struct lmtp_sieve_named *out, char *err, size_t errsz)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	struct buf src = BUF_INIT(SIEVE_MAX_SCRIPT);
	size_t n = 0;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 6 || e->d_name[0] == '.' ||
		    strcmp(e->d_name + len - 6, ".sieve") != 0)
			continue;
		char path[4096];
		rc = -1;
		if (buf_snprintf(path, sizeof(path), "%s/%s", dir,
		    e->d_name) < 0)
			snprintf(err, errsz, "%s: a name too long", dir);
		else if (n == rules->max)
			snprintf(err, errsz, "%s: more than %zu scripts", dir,
			    rules->max);
		else if (!rules->name_ok(e->d_name, len - 6))
			snprintf(err, errsz, "%s: not %s", path, rules->what);
		else
			rc = 0;
		buf_reset(&src);
		if (rc == 0)
			rc = read_script(dirfd(d), e->d_name, path, &src, err,
			    errsz);
		struct sieve_program *p = rc == 0 ?
		    compile_src(path, &src, err, errsz) : NULL;
		if (p == NULL) {
			rc = -1;
			break;
		}
		memcpy(out[n].name, e->d_name, len - 6);
		out[n].name[len - 6] = '\0';
		out[n++].prog = p;
	}
	buf_free(&src);
	closedir(d);
	return rc < 0 ? -1 : (int)n;
}

static bool
global_name_ok(const char *stem, size_t len)
{
	(void)stem;
	return len <= STORE_SIEVE_NAME_MAX;
}

int
lmtp_sieve_compile_dir(const char *dir, struct lmtp_sieve_named *out,
    char *err, size_t errsz)
{
	static const struct dir_rules rules = { LMTP_SIEVE_GLOBALS,
		global_name_ok, "a script name" };
	return load_dir(dir, &rules, out, err, errsz);
}

/* A lower-case domain name as it appears in an address: labels of
 * a-z, 0-9 and '-' (IDNA A-labels included), none empty, none over 63
 * bytes, none starting or ending with '-'. */
static bool
domain_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > LMTP_DOMAIN_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static int
domain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lmtp_sieve_named *)a)->name,
	    ((const struct lmtp_sieve_named *)b)->name);
}

int
lmtp_sieve_compile_domains(const char *dir, struct lmtp_sieve_domains *out,
    char *err, size_t errsz)
{
	static const struct dir_rules rules = { LMTP_SIEVE_DOMAINS,
		domain_name_ok, "a lower-case domain name" };
	out->n = 0;
	out->v = calloc(LMTP_SIEVE_DOMAINS, sizeof(*out->v));
	if (out->v == NULL) {
		snprintf(err, errsz, "%s: out of memory", dir);
		return -1;
	}
	int n = load_dir(dir, &rules, out->v, err, errsz);
	if (n < 0) {
		lmtp_sieve_domains_free(out);
		return -1;
	}
	out->n = (size_t)n;
	qsort(out->v, out->n, sizeof(*out->v), domain_cmp);
	return n;
}

void
lmtp_sieve_domains_free(struct lmtp_sieve_domains *ds)
{
	if (ds->v != NULL)
		for (size_t i = 0; i < LMTP_SIEVE_DOMAINS; i++)
			sieve_program_free(ds->v[i].prog);
	free(ds->v);
	ds->v = NULL;
	ds->n = 0;
}

const struct sieve_program *
lmtp_sieve_domain_find(const struct lmtp_sieve_domains *ds, const char *addr)
{
	if (ds == NULL || ds->n == 0)
		return NULL;
	const char *at = strrchr(addr, '@');
	if (at == NULL)
		return NULL;
	struct lmtp_sieve_named key;
	size_t len = strlen(at + 1);
	if (len == 0 || len > LMTP_DOMAIN_MAX)
		return NULL;
	for (size_t i = 0; i <= len; i++)
		key.name[i] = (char)tolower((unsigned char)at[1 + i]);
	const struct lmtp_sieve_named *hit = bsearch(&key, ds->v, ds->n,
	    sizeof(*ds->v), domain_cmp);
	return hit != NULL ? hit->prog : NULL;
}
