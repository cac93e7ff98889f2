/* import_maildir: the Maildir++ source (import.h). The root is INBOX, each
 * ".A.B" directory the folder A/B (names in modified UTF-7, as Dovecot
 * writes them, or UTF-8). A folder's dovecot-uidlist gives its UIDVALIDITY,
 * NEXTUID and each file's UID; dovecot-keywords the names of the keyword
 * letters; the root's subscriptions file what is subscribed (every folder
 * when there is none). Files the uidlist does not name come last, without
 * a UID; the internal date is the file's mtime. Every file is read, also
 * on a second run: the sink compares bytes, not UIDs alone (have_uid is
 * for sources where fetching costs). Everything is opened by its path
 * from the root (the reader is chrooted in the Maildir, and its filter
 * allows no *at() call but from the working directory). */
#include "import.h"
#include "buf.h"
#include "imap_mutf7.h"
#include "import_maildir_parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (256ull * 1024 * 1024)   /* = STORE_MSG_MAX */

struct md_file {
	char *name;                /* "cur/..." or "new/..." */
	size_t off, baselen;       /* the base name within it */
	uint32_t uid;
};

struct md_folder {
	char dir[PATH_MAX];        /* the folder's directory */
	struct md_file *f;
	size_t n, cap;
	char kw[MD_KEYWORDS][MD_KEYWORD_MAX + 1];
	struct import_folder info;
};

static struct buf content = BUF_INIT(FILE_MAX);

/* dir/name into out; -1 (ENAMETOOLONG) if it does not fit. */
static int
join(char *out, size_t size, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (buf_snprintf(out, size, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ?
	    "" : "/", name) >= 0)
		return 0;
	errno = ENAMETOOLONG;
	return -1;
}

/* The whole of a (small or large) file dir/name into content. */
static int
slurp(const char *dir, const char *name, struct stat *sb)
{
	char path[PATH_MAX];
	buf_reset(&content);
	if (join(path, sizeof(path), dir, name) < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, sb) < 0 || !S_ISREG(sb->st_mode) ||
	    (uint64_t)sb->st_size > FILE_MAX ||
	    buf_reserve(&content, (size_t)sb->st_size + 1) < 0) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	for (;;) {
		if (buf_reserve(&content, 65536) < 0)
			break;
		ssize_t r = read(fd, content.data + content.len,
		    content.cap - content.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		content.len += (size_t)r;
	}
	close(fd);
	return content.failed ? -1 : 0;
}

static int
add_file(struct md_folder *fo, const char *sub, const char *name)
{
	if (name[0] == '.')
		return 0;
	if (fo->n == fo->cap) {
		size_t cap = fo->cap ? fo->cap * 2 : 256;
		struct md_file *f = realloc(fo->f, cap * sizeof(*f));
		if (f == NULL)
			return -1;
		fo->f = f;
		fo->cap = cap;
	}
	size_t nl = strlen(name);
	char *p = malloc(4 + nl + 1);
	if (p == NULL)
		return -1;
	memcpy(p, sub, 3);
	p[3] = '/';
	memcpy(p + 4, name, nl + 1);
	const char *colon = strchr(name, ':');
	fo->f[fo->n++] = (struct md_file){ .name = p, .off = 4,
		.baselen = colon ? (size_t)(colon - name) : nl };
	return 0;
}

static int
list_files(struct md_folder *fo)
{
	static const char *const subs[] = { "cur", "new" };
	for (size_t i = 0; i < 2; i++) {
		char path[PATH_MAX];
		DIR *d = join(path, sizeof(path), fo->dir, subs[i]) == 0 ?
		    opendir(path) : NULL;
		if (d == NULL)
			continue;
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (add_file(fo, subs[i], de->d_name) < 0) {
				closedir(d);
				return -1;
			}
		closedir(d);
	}
	return 0;
}

static int
by_base(const void *a, const void *b)
{
	const struct md_file *x = a, *y = b;
	size_t n = x->baselen < y->baselen ? x->baselen : y->baselen;
	int c = memcmp(x->name + x->off, y->name + y->off, n);
	return c != 0 ? c : (x->baselen > y->baselen) - (x->baselen < y->baselen);
}

/* UID order, then the files without one by name (Maildir names start
 * with the delivery time). */
static int
by_uid(const void *a, const void *b)
{
	const struct md_file *x = a, *y = b;
	if ((x->uid == 0) != (y->uid == 0))
		return x->uid == 0 ? 1 : -1;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name + x->off, y->name + y->off);
}

static void
uid_record(void *arg, uint32_t uid, const char *base, size_t n)
{
	struct md_folder *fo = arg;
	char tmp[4 + 256];
	if (n > 255)
		return;
	memcpy(tmp, "cur/", 4);
	memcpy(tmp + 4, base, n);
	struct md_file key = { .name = tmp, .off = 4, .baselen = n };
	struct md_file *f = bsearch(&key, fo->f, fo->n, sizeof(*f), by_base);
	if (f != NULL)
		f->uid = uid;
}

/* The uidlist and keywords of the folder, its files matched to UIDs. */
static void
read_meta(struct md_folder *fo)
{
	struct stat sb;
	/* an empty folder has no array (qsort must not see NULL) */
	if (fo->n > 1)
		qsort(fo->f, fo->n, sizeof(*fo->f), by_base);
	struct md_uidlist u = { .record = uid_record, .arg = fo };
	if (slurp(fo->dir, "dovecot-uidlist", &sb) == 0 &&
	    md_uidlist_parse((const char *)content.data, content.len, &u) == 0) {
		fo->info.uidvalidity = u.uidvalidity;
		fo->info.uidnext = u.nextuid;
	}
	if (slurp(fo->dir, "dovecot-keywords", &sb) == 0)
		md_keywords_parse((const char *)content.data, content.len, fo->kw);
	else
		md_keywords_parse("", 0, fo->kw);
	if (fo->n > 1)
		qsort(fo->f, fo->n, sizeof(*fo->f), by_uid);
	/* a uidlist's NEXTUID is above all its UIDs; keep it so */
	for (size_t i = 0; i < fo->n; i++)
		if (fo->f[i].uid >= fo->info.uidnext && fo->f[i].uid != UINT32_MAX)
			fo->info.uidnext = fo->f[i].uid + 1;
	if (fo->info.uidvalidity == 0)
		fo->info.uidnext = 0;
}

static int
send_file(struct md_folder *fo, const struct md_file *f,
    const struct import_sink *s)
{
	const char *kw[MD_KEYWORDS];
	size_t nkw = 0;
	struct stat sb;
	if (slurp(fo->dir, f->name, &sb) < 0) {
		if (errno == ENOENT)
			return 0;   /* expunged (or moved to cur/) while we read */
		return import_source_err("reading", f->name);
	}
	uint32_t flags, mask;
	md_info_flags(f->name + f->off, &flags, &mask);
	for (int i = 0; i < MD_KEYWORDS; i++)
		if ((mask >> i) & 1 && fo->kw[i][0] != '\0')
			kw[nkw++] = fo->kw[i];
	struct import_msg m = { .uid = f->uid, .flags = flags, .keywords = kw,
		.nkeywords = nkw, .internal_date = sb.st_mtime,
		.data = (const char *)content.data, .len = content.len };
	return s->message(s->arg, &m);
}

static void
free_files(struct md_folder *fo)
{
	for (size_t i = 0; i < fo->n; i++)
		free(fo->f[i].name);
	free(fo->f);
	fo->f = NULL;
	fo->n = fo->cap = 0;
}

/* One folder: dir is its directory. */
static int
import_folder(const char *dir, struct import_folder *info,
    const struct import_sink *s)
{
	static struct md_folder fo;
	if (join(fo.dir, sizeof(fo.dir), dir, "") < 0)
		return import_source_err("opening", dir);
	fo.info = *info;
	int rc = list_files(&fo);
	if (rc < 0)
		rc = import_source_err("listing", info->name);
	if (rc == 0) {
		read_meta(&fo);
		rc = s->folder(s->arg, &fo.info);
	}
	for (size_t i = 0; rc == 0 && i < fo.n; i++)
		rc = send_file(&fo, &fo.f[i], s);
	free_files(&fo);
	return rc;
}

struct md_entry {
	char *name;                /* the folder (UTF-8, '/') */
	char *dir;                 /* its directory under the root */
};

struct md_tree {
	struct md_entry *e;        /* INBOX first */
	size_t n, cap;
	char **subs;               /* subscribed names */
	size_t nsubs, capsubs;
	bool have_subs;
};

/* A Maildir++ name (modified UTF-7, or UTF-8) as the store's UTF-8. */
static char *
utf8_name(const char *s, size_t n)
{
	struct buf b = BUF_INIT(STORE_MBOX_NAME_MAX + 1);
	if (imap_mutf7_decode(s, n, &b) < 0) {
		buf_reset(&b);
		if (imap_utf8_valid(s, n))
			buf_append(&b, s, n);
		else
			b.failed = true;
	}
	buf_append(&b, "", 1);
	char *out = b.failed ? NULL : strdup((const char *)b.data);
	buf_free(&b);
	return out;
}

static void
sub_name(void *arg, const char *name, size_t len)
{
	struct md_tree *t = arg;
	char *u = utf8_name(name, len);
	if (u == NULL)
		return;
	if (t->nsubs == t->capsubs) {
		size_t c = t->capsubs ? t->capsubs * 2 : 32;
		char **v = realloc(t->subs, c * sizeof(*v));
		if (v == NULL) {
			free(u);
			return;
		}
		t->subs = v;
		t->capsubs = c;
	}
	t->subs[t->nsubs++] = u;
}

static bool
subscribed(const struct md_tree *t, const char *name)
{
	if (!t->have_subs)
		return true;
	for (size_t i = 0; i < t->nsubs; i++)
		if (strcmp(t->subs[i], name) == 0)
			return true;
	return false;
}

static int
add_folder(struct md_tree *t, char *name, const char *dir)
{
	char *d = strdup(dir);
	if (t->n == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 32;
		struct md_entry *e = realloc(t->e, c * sizeof(*e));
		if (e != NULL) {
			t->e = e;
			t->cap = c;
		}
	}
	if (name == NULL || d == NULL || t->n == t->cap) {
		free(name);
		free(d);
		return -1;
	}
	t->e[t->n++] = (struct md_entry){ name, d };
	return 0;
}

/* ".A.B" -> "A/B"; NULL (said why) if the name decodes to nothing. */
static char *
folder_name(const char *dir)
{
	char *u = utf8_name(dir + 1, strlen(dir + 1));
	if (u == NULL) {
		fprintf(stderr, "cloisterctl: import: skipping folder %s: its "
		    "name is neither modified UTF-7 nor UTF-8\n", dir);
		return NULL;
	}
	for (char *c = u; *c != '\0'; c++)
		if (*c == '.')
			*c = '/';
	return u;
}

static int
list_folders(const char *root, struct md_tree *t)
{
	DIR *d = opendir(root);
	if (d == NULL)
		return -1;
	struct dirent *de;
	int rc = add_folder(t, strdup("INBOX"), ".");
	while (rc == 0 && (de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		struct stat sb;
		char *u, path[PATH_MAX];
		if (nm[0] != '.' || nm[1] == '\0' || strcmp(nm, "..") == 0 ||
		    join(path, sizeof(path), root, nm) < 0 ||
		    lstat(path, &sb) < 0 ||
		    !S_ISDIR(sb.st_mode) || (u = folder_name(nm)) == NULL)
			continue;
		rc = add_folder(t, u, nm);
	}
	closedir(d);
	return rc;
}

static int
by_folder(const void *a, const void *b)
{
	const struct md_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static void
free_tree(struct md_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].name);
		free(t->e[i].dir);
	}
	for (size_t i = 0; i < t->nsubs; i++)
		free(t->subs[i]);
	free(t->e);
	free(t->subs);
}

/* The name a folder gets in the store: under --folder if given. */
static int
target_name(const struct import_args *a, const char *name, char *out,
    size_t size)
{
	if (a->folder == NULL)
		return buf_snprintf(out, size, "%s", name);
	if (strcmp(name, "INBOX") == 0)
		return buf_snprintf(out, size, "%s", a->folder);
	return buf_snprintf(out, size, "%s/%s", a->folder, name);
}

int
import_maildir(const char *spec, const struct import_args *a,
    const struct import_sink *s)
{
	static struct md_tree t;
	struct stat sb;
	char name[STORE_MBOX_NAME_MAX + 1];
	const char *root = spec;
	if (list_folders(root, &t) < 0) {
		free_tree(&t);
		return import_source_err("listing", spec);
	}
	/* INBOX first, then parents before their children */
	qsort(t.e + 1, t.n - 1, sizeof(*t.e), by_folder);
	if (slurp(root, "subscriptions", &sb) == 0) {
		t.have_subs = true;
		md_subscriptions_parse((const char *)content.data, content.len,
		    sub_name, &t);
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t.n; i++) {
		char dir[PATH_MAX];
		if (join(dir, sizeof(dir), root, t.e[i].dir) < 0) {
			rc = import_source_err("opening", t.e[i].dir);
			break;
		}
		const char *leaf = strrchr(t.e[i].name, '/');
		struct import_folder f = { .name = name,
			.subscribed = strcmp(t.e[i].name, "INBOX") == 0 ||
			subscribed(&t, t.e[i].name),
			.special_use = leaf == NULL && a->folder == NULL ?
			md_special_use(t.e[i].name) : 0 };
		if (target_name(a, t.e[i].name, name, sizeof(name)) < 0) {
			fprintf(stderr, "cloisterctl: import: %s: name too long\n",
			    t.e[i].name);
			rc = IMPORT_E_SOURCE;
			break;
		}
		rc = import_folder(dir, &f, s);
	}
	free_tree(&t);
	t = (struct md_tree){ 0 };
	return rc;
}
