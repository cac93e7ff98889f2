/*
 * ctl_sieve_import: cloisterctl sieve import USER DIR [--active NAME] —
 * a user's Sieve scripts as Dovecot (Pigeonhole) or Cyrus keep them, in
 * one command, for a migration. Every NAME.sieve (Dovecot's sieve_dir) or
 * NAME.script (Cyrus' sieve directory) in DIR is compiled here and stored
 * as NAME; the one that was active becomes active: --active NAME, else
 * the script Dovecot's ~/.dovecot.sieve symlink (beside DIR) names, else
 * the one Cyrus' defaultbc symlink (in DIR) names. A script that does not
 * compile is reported and left out; the others go in. DIR is a user's:
 * root opens it once and then only regular files beneath it, never
 * through a symlink, so a link swapped in cannot make it store a file
 * the user could not read.
 */
#include "ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMPORT_MAX_SCRIPTS 1024

/* name's stem if it ends with ext (and has one), into out; else false. */
static bool
stem_of(const char *name, const char *ext, char *out, size_t size)
{
	size_t n = strlen(name), e = strlen(ext);
	if (n <= e || strcmp(name + n - e, ext) != 0 || n - e >= size)
		return false;
	memcpy(out, name, n - e);
	out[n - e] = '\0';
	return true;
}

/* The script a symlink at path names (its target's stem with ext). */
static bool
link_stem(const char *path, const char *ext, char *out, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return stem_of(basename(target), ext, out, size);
}

/* The active script's name as the old server recorded it ("" if none). */
static void
old_active(const char *dir, char *out, size_t size)
{
	char path[PATH_MAX], copy[PATH_MAX];
	out[0] = '\0';
	snprintf(copy, sizeof(copy), "%s", dir);
	snprintf(path, sizeof(path), "%s/.dovecot.sieve", dirname(copy));
	if (link_stem(path, ".sieve", out, size))
		return;
	snprintf(path, sizeof(path), "%s/defaultbc", dir);
	if (!link_stem(path, ".bc", out, size))
		out[0] = '\0';
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The script files of the directory dfd (dir), sorted (freed by the
 * caller). */
static int
script_files(int dfd, const char *dir, char **names, size_t *n)
{
	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (d == NULL) {
		if (lfd >= 0)
			close(lfd);
		return ctl_fail(CTL_REFUSED, "%s: %s", dir, strerror(errno));
	}
	struct dirent *de;
	char stem[STORE_SIEVE_NAME_MAX + 1];
	*n = 0;
	while ((de = readdir(d)) != NULL && *n < IMPORT_MAX_SCRIPTS) {
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if ((stem_of(de->d_name, ".sieve", stem, sizeof(stem)) ||
		    stem_of(de->d_name, ".script", stem, sizeof(stem))) &&
		    (names[*n] = strdup(de->d_name)) != NULL)
			(*n)++;
	}
	closedir(d);
	qsort(names, *n, sizeof(names[0]), by_name);
	return CTL_OK;
}

/* Compile file of the directory dfd and store it under its stem: 0 or
 * -1 (reported). */
static int
import_one(struct store_conn *sc, const char *user, int dfd, const char *file)
{
	char name[STORE_SIEVE_NAME_MAX + 1];
	if (!stem_of(file, ".sieve", name, sizeof(name)))
		stem_of(file, ".script", name, sizeof(name));
	struct buf src, prog;
	buf_init(&src, STORE_SIEVE_SOURCE_MAX);
	buf_init(&prog, STORE_SIEVE_PROGRAM_MAX);
	int rc = ctl_sieve_compile(dfd, file, &src, &prog);
	if (rc == CTL_OK) {
		rc = ctl_store_error(sc, store_adm_sieve_put(sc, user, name,
		    src.data, src.len, prog.data, prog.len), file);
		if (rc == CTL_OK)
			printf("%s\t%s\n", name, file);
	}
	buf_free(&src);
	buf_free(&prog);
	return rc == CTL_OK ? 0 : -1;
}

int
ctl_sieve_import(struct ctl_env *e, int argc, char **argv)
{
	char active[STORE_SIEVE_NAME_MAX + 1] = "";
	bool named = argc == 4 && strcmp(argv[2], "--active") == 0;
	if (argc != 2 && !named)
		return ctl_fail(CTL_USAGE, "usage: sieve import USER DIR"
		    " [--active NAME] (cloisterctl --help)");
	if (named)
		snprintf(active, sizeof(active), "%s", argv[3]);
	else
		old_active(argv[1], active, sizeof(active));
	static char *files[IMPORT_MAX_SCRIPTS];
	size_t n = 0, failed = 0;
	int dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return ctl_fail(CTL_REFUSED, "%s: %s", argv[1], strerror(errno));
	int rc = script_files(dfd, argv[1], files, &n);
	struct ctl_user u;
	struct store_conn *sc = rc != CTL_OK ? NULL :
	    ctl_sieve_conn(e, argv[0], &u, &rc);
	for (size_t i = 0; i < n; i++) {
		if (sc != NULL && import_one(sc, u.name, dfd, files[i]) < 0)
			failed++;
		free(files[i]);
	}
	close(dfd);
	if (sc == NULL)
		return rc;
	if (active[0] != '\0' && (rc = ctl_store_error(sc,
	    store_adm_sieve_activate(sc, u.name, active), "activate")) == CTL_OK)
		printf("active: %s\n", active);
	store_client_close(sc);
	if (failed > 0)
		return ctl_fail(CTL_REFUSED, "%zu of %zu scripts not imported",
		    failed, n);
	return rc;
}
