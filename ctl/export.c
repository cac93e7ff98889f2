/* export: `cloisterctl export USER DIR` — the user's mail as a Dovecot
 * Maildir++ tree that `cloisterctl import` (or Dovecot itself) reads back
 * with the same UIDVALIDITY, UIDs, flags, keywords and dates: per folder a
 * dovecot-uidlist (v3) and dovecot-keywords, each message a file in cur/
 * whose mtime is its internal date; the subscriptions file (v2) at the
 * root. Names go to disk in modified UTF-7, as Dovecot writes them. */
#include "ctl.h"
#include "buf.h"
#include "imap_mutf7.h"
#include "import_maildir_parse.h"
#include "store_client_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ex_msg {
	uint32_t uid, flags, kwmask;
	uint64_t idate, size;
};

struct ex_folder {
	struct ex_msg *m;
	size_t n, cap;
	char kw[MD_KEYWORDS][MD_KEYWORD_MAX + 1];
	unsigned nkw;
	unsigned dropped;          /* keywords past the 26 letters */
};

struct ex_names {
	char **name;
	uint32_t *attrs;
	size_t n, cap;
};

static int
ex_err(const char *what, const char *path)
{
	return ctl_fail(CTL_REFUSED, "export: %s %s: %s", what, path,
	    strerror(errno));
}

static int
letter_of(struct ex_folder *f, const char *kw)
{
	for (unsigned i = 0; i < f->nkw; i++)
		if (strcmp(f->kw[i], kw) == 0)
			return (int)i;
	if (f->nkw == MD_KEYWORDS || strlen(kw) > MD_KEYWORD_MAX)
		return -1;
	snprintf(f->kw[f->nkw], sizeof(f->kw[0]), "%s", kw);
	return (int)f->nkw++;
}

static int
listed(void *arg, const struct store_listed *l)
{
	struct ex_folder *f = arg;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		struct ex_msg *m = realloc(f->m, cap * sizeof(*m));
		if (m == NULL)
			return -1;
		f->m = m;
		f->cap = cap;
	}
	struct ex_msg *m = &f->m[f->n++];
	*m = (struct ex_msg){ .uid = l->uid, .flags = l->flags,
		.idate = l->internaldate, .size = l->size };
	for (size_t i = 0; i < l->nkeywords; i++) {
		int b = letter_of(f, l->keywords[i]);
		if (b < 0)
			f->dropped++;
		else
			m->kwmask |= 1u << b;
	}
	return 0;
}

/* The ":2," info: Dovecot's flag letters in ASCII order, then keywords. */
static void
info_of(const struct ex_msg *m, char *out, size_t size)
{
	size_t k = 0;
	static const struct {
		char c;
		uint32_t bit;
	} t[] = { { 'D', STORE_FLAG_DRAFT }, { 'F', STORE_FLAG_FLAGGED },
		{ 'R', STORE_FLAG_ANSWERED }, { 'S', STORE_FLAG_SEEN },
		{ 'T', STORE_FLAG_DELETED } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && k + 1 < size; i++)
		if (m->flags & t[i].bit)
			out[k++] = t[i].c;
	for (int i = 0; i < MD_KEYWORDS && k + 1 < size; i++)
		if ((m->kwmask >> i) & 1)
			out[k++] = (char)('a' + i);
	out[k] = '\0';
}

static int
copy_fd(int from, int to, uint64_t size)
{
	char chunk[65536];
	for (uint64_t off = 0; off < size;) {
		size_t want = size - off < sizeof(chunk) ? (size_t)(size - off) :
		    sizeof(chunk);
		ssize_t r = pread(from, chunk, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || buf_write_all(to, chunk, (size_t)r) < 0)
			return -1;
		off += (uint64_t)r;
	}
	return 0;
}

struct ex_ctx {
	struct store_conn *sc;
	const char *user;
	int root;                  /* DIR */
	int dirfd;                 /* the folder's directory */
	uint64_t mbox_id;
	uint64_t messages, bytes;
};

static int
export_message(struct ex_ctx *x, const struct ex_msg *m, FILE *uidlist)
{
	char base[96], info[40], tmp[128], final[160];
	int src = -1;
	uint64_t size;
	int rc = store_adm_body(x->sc, x->user, x->mbox_id, m->uid, &src, &size);
	if (rc < 0)
		return ctl_store_error(x->sc, rc, "export: a message");
	snprintf(base, sizeof(base), "%llu.M%uP%d.cloister,S=%llu",
	    (unsigned long long)m->idate, m->uid, (int)getpid(),
	    (unsigned long long)size);
	info_of(m, info, sizeof(info));
	snprintf(tmp, sizeof(tmp), "tmp/%s", base);
	snprintf(final, sizeof(final), "cur/%s:2,%s", base, info);
	int fd = openat(x->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	struct timespec ts[2] = { { .tv_sec = (time_t)m->idate },
		{ .tv_sec = (time_t)m->idate } };
	if (fd < 0 || copy_fd(src, fd, size) < 0 || futimens(fd, ts) < 0 ||
	    close(fd) < 0 || renameat(x->dirfd, tmp, x->dirfd, final) < 0) {
		rc = ex_err("writing", final);
		if (fd >= 0)
			close(fd);
		close(src);
		return rc;
	}
	close(src);
	fprintf(uidlist, "%u :%s\n", m->uid, base);
	x->messages++;
	x->bytes += size;
	return CTL_OK;
}

static int
write_keywords(int dirfd, const struct ex_folder *f)
{
	if (f->nkw == 0)
		return CTL_OK;
	int fd = openat(dirfd, "dovecot-keywords", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	FILE *k = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (k == NULL)
		return ex_err("writing", "dovecot-keywords");
	for (unsigned i = 0; i < f->nkw; i++)
		fprintf(k, "%u %s\n", i, f->kw[i]);
	return fclose(k) == 0 ? CTL_OK : ex_err("writing", "dovecot-keywords");
}

static int
export_folder(struct ex_ctx *x, const char *name, const char *dir)
{
	static struct ex_folder f;
	struct store_listed_mbox lm;
	f.n = f.nkw = f.dropped = 0;
	int rc = store_adm_msg_list(x->sc, x->user, name, listed, &f, &lm);
	if (rc < 0)
		return ctl_store_error(x->sc, rc, "export: listing a mailbox");
	if (f.dropped)
		fprintf(stderr, "cloisterctl: export %s: %u keyword uses past the"
		    " 26 Maildir letters left out\n", name, f.dropped);
	x->mbox_id = lm.id;
	if ((strcmp(dir, ".") != 0 && mkdirat(x->root, dir, 0700) < 0) ||
	    (x->dirfd = openat(x->root, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return ex_err("creating", dir);
	rc = CTL_OK;
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < 3 && rc == CTL_OK; i++)
		if (mkdirat(x->dirfd, subs[i], 0700) < 0 && errno != EEXIST)
			rc = ex_err("creating", subs[i]);
	int fd = rc == CTL_OK ? openat(x->dirfd, "dovecot-uidlist", O_WRONLY |
	    O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	FILE *ul = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (rc == CTL_OK && ul == NULL)
		rc = ex_err("writing", "dovecot-uidlist");
	if (ul != NULL)
		fprintf(ul, "3 V%u N%u G%016llx%016llx\n", lm.uidvalidity,
		    lm.uidnext, (unsigned long long)lm.id,
		    (unsigned long long)lm.uidvalidity);
	for (size_t i = 0; rc == CTL_OK && i < f.n; i++)
		rc = export_message(x, &f.m[i], ul);
	if (ul != NULL && fclose(ul) != 0 && rc == CTL_OK)
		rc = ex_err("writing", "dovecot-uidlist");
	if (rc == CTL_OK)
		rc = write_keywords(x->dirfd, &f);
	close(x->dirfd);
	return rc;
}

static int
name_entry(void *arg, const struct store_mbox_info *mb)
{
	struct ex_names *v = arg;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		char **n = realloc(v->name, cap * sizeof(*n));
		uint32_t *a = n ? realloc(v->attrs, cap * sizeof(*a)) : NULL;
		if (n != NULL)
			v->name = n;
		if (a == NULL)
			return -1;
		v->attrs = a;
		v->cap = cap;
	}
	if ((v->name[v->n] = strdup(mb->name)) == NULL)
		return -1;
	v->attrs[v->n++] = mb->st.attrs;
	return 0;
}

/* A mailbox's directory: "." for INBOX, else ".A.B" in modified UTF-7;
 * -1 for a name Maildir++ cannot hold (a '.' in it). */
static int
dir_of(const char *name, char *out, size_t size)
{
	if (strcmp(name, "INBOX") == 0)
		return buf_snprintf(out, size, ".");
	if (strchr(name, '.') != NULL)
		return -1;
	struct buf b = BUF_INIT(size);
	buf_append(&b, ".", 1);
	int rc = imap_mutf7_encode(name, strlen(name), &b);
	buf_append(&b, "", 1);
	if (rc < 0 || b.failed) {
		buf_free(&b);
		return -1;
	}
	for (char *c = (char *)b.data; *c != '\0'; c++)
		if (*c == '/')
			*c = '.';
	snprintf(out, size, "%s", (const char *)b.data);
	buf_free(&b);
	return 0;
}

static int
write_subscriptions(int root, const struct ex_names *v)
{
	int fd = openat(root, "subscriptions", O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL)
		return ex_err("writing", "subscriptions");
	fputs("V\t2\n\n", f);
	for (size_t i = 0; i < v->n; i++) {
		if (!(v->attrs[i] & STORE_MBOX_SUBSCRIBED))
			continue;
		for (const char *c = v->name[i]; *c != '\0'; c++)
			fputc(*c == '/' ? '\t' : *c, f);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? CTL_OK : ex_err("writing", "subscriptions");
}

static int
export_all(struct ex_ctx *x, struct ex_names *v, unsigned *folders)
{
	char dir[STORE_MBOX_NAME_MAX * 2 + 8];
	int rc = CTL_OK;
	for (size_t i = 0; rc == CTL_OK && i < v->n; i++) {
		if (v->attrs[i] & (STORE_MBOX_NONEXISTENT | STORE_MBOX_NOSELECT))
			continue;
		if (dir_of(v->name[i], dir, sizeof(dir)) < 0) {
			fprintf(stderr, "cloisterctl: export: %s left out: Maildir++"
			    " cannot name it\n", v->name[i]);
			continue;
		}
		rc = export_folder(x, v->name[i], dir);
		(*folders)++;
	}
	if (rc == CTL_OK)
		rc = write_subscriptions(x->root, v);
	if (rc == CTL_OK && syncfs(x->root) < 0)
		rc = ex_err("syncing", "the tree");
	return rc;
}

int
ctl_export(struct ctl_env *e, int argc, char **argv)
{
	if (argc != 2 || argv[0][0] == '-' || argv[1][0] == '-')
		return ctl_fail(CTL_USAGE, "usage: export USER DIR");
	struct ctl_user u;
	int rc = ctl_user_parse(e, argv[0], &u);
	if (rc != CTL_OK)
		return rc;
	/* a new directory: an export never mixes with what is there */
	if (mkdir(argv[1], 0700) < 0)
		return ex_err("creating", argv[1]);
	struct ex_ctx x = { .user = u.name };
	struct ex_names v = { 0 };
	unsigned folders = 0;
	x.root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.root < 0)
		return ex_err("opening", argv[1]);
	x.sc = ctl_store_connect(e, store_shard_of(u.name, e->cfg.store_shards));
	if (x.sc == NULL) {
		close(x.root);
		return CTL_UNAVAILABLE;
	}
	rc = store_adm_mbox_list(x.sc, u.name, STORE_LIST_SUBSCRIBED, name_entry,
	    &v);
	rc = rc < 0 ? ctl_store_error(x.sc, rc, "export: listing mailboxes") :
	    export_all(&x, &v, &folders);
	if (rc == CTL_OK)
		printf("export %s: %u folders, %llu messages, %llu bytes\n",
		    u.name, folders, (unsigned long long)x.messages,
		    (unsigned long long)x.bytes);
	for (size_t i = 0; i < v.n; i++)
		free(v.name[i]);
	free(v.name);
	free(v.attrs);
	store_client_close(x.sc);
	close(x.root);
	return rc;
}
