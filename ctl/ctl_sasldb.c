/*
 * ctl_sasldb: users in authd's sasldb2, written the way saslpasswd2 writes
 * them — through libsasl2's sasl_setpass, so that the plaintext entry
 * (PLAIN, LOGIN, and SCRAM derived per authd start) and the SCRAM secrets
 * (authPassword) are stored together. A change is made on a copy that
 * then replaces the database (fsync, rename): authd, which opens the file
 * for every lookup, sees the old database or the new one, never a page
 * half written, and a failed write leaves the database as it was.
 * Listing runs sasldblistusers2:
 * libsasl2 has no call to enumerate a database, and that tool (sasl2-bin,
 * already required) reads it with the same code.
 */
#include "ctl.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sasl/sasl.h>

#define SASLDBLISTUSERS "/usr/sbin/sasldblistusers2"

/* sasl_callback_t holds every callback as int (*)(void). */
#define SASL_CB_FN(f) ((int (*)(void))(void (*)(void))(f))

static const struct ctl_env *env;
/* the file libsasl2 works on: the database, or the copy being changed */
static const char *db_path;
static char tmp_path[320];

static int
getopt_cb(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	(void)ctx;
	(void)plugin;
	const char *v = NULL;
	if (strcmp(option, "sasldb_path") == 0)
		v = db_path;
	else if (strcmp(option, "auxprop_plugin") == 0)
		v = "sasldb";
	else if (strcmp(option, "pwcheck_method") == 0)
		v = "auxprop";
	else if (strcmp(option, "scram_secret_generate") == 0)
		v = "yes";   /* store the SCRAM secrets too */
	else if (strcmp(option, "log_level") == 0)
		v = "1";
	if (v == NULL)
		return SASL_FAIL;
	*result = v;
	if (len != NULL)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int
log_cb(void *ctx, int level, const char *message)
{
	(void)ctx;
	if (level == SASL_LOG_ERR && message != NULL)
		fprintf(stderr, "cloisterctl: sasl: %s\n", message);
	return SASL_OK;
}

/* The sasldb backend and SCRAM (whose setpass writes the SCRAM secrets):
 * nothing else is loaded, and no SASL config file is read. */
static int
verifyfile_cb(void *ctx, const char *file, sasl_verify_type_t type)
{
	(void)ctx;
	if (type == SASL_VRFY_PASSWD)
		return SASL_OK;
	if (type != SASL_VRFY_PLUGIN)
		return SASL_CONTINUE;
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	struct stat st;
	if ((strcmp(base, "libsasldb.so") != 0 &&
	    strcmp(base, "libscram.so") != 0) || stat(file, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022) != 0)
		return SASL_CONTINUE;
	return SASL_OK;
}

static sasl_callback_t callbacks[] = {
	{ SASL_CB_GETOPT, SASL_CB_FN(getopt_cb), NULL },
	{ SASL_CB_LOG, SASL_CB_FN(log_cb), NULL },
	{ SASL_CB_VERIFYFILE, SASL_CB_FN(verifyfile_cb), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

int
ctl_sasl_default_realm(char *out, size_t size)
{
	sasl_conn_t *c = NULL;
	const void *fqdn = NULL;
	int r = sasl_server_new("cloister", NULL, NULL, NULL, NULL, NULL, 0, &c);
	if (r == SASL_OK)
		r = sasl_getprop(c, SASL_SERVERFQDN, &fqdn);
	int ok = r == SASL_OK && fqdn != NULL &&
	    buf_snprintf(out, size, "%s", (const char *)fqdn) >= 0;
	if (c != NULL)
		sasl_dispose(&c);
	return ok ? 0 : -1;
}

int
ctl_sasldb_init(struct ctl_env *e)
{
	env = e;
	db_path = e->sasldb;
	if (buf_snprintf(tmp_path, sizeof(tmp_path), "%s/.sasldb2.new",
	    e->auth_root) < 0)
		return ctl_fail(CTL_CONFIG, "authd's root is too long");
	int r = sasl_server_init(callbacks, "cloisterctl");
	if (r != SASL_OK)
		return ctl_fail(CTL_CONFIG, "sasl_server_init: %s",
		    sasl_errstring(r, NULL, NULL));
	if (e->realm[0] == '\0' &&
	    ctl_sasl_default_realm(e->realm, sizeof(e->realm)) < 0)
		return ctl_fail(CTL_CONFIG, "cannot determine this host's name;"
		    " set 'realm' in authd's config section");
	return CTL_OK;
}

static int
conn_for(const struct ctl_user *u, sasl_conn_t **c)
{
	int r = sasl_server_new("cloister", env->realm, u->realm, NULL, NULL,
	    NULL, 0, c);
	if (r != SASL_OK)
		return ctl_fail(CTL_CONFIG, "sasl_server_new: %s",
		    sasl_errstring(r, NULL, NULL));
	return CTL_OK;
}

int
ctl_sasldb_exists(const struct ctl_env *e, const struct ctl_user *u,
    bool *exists)
{
	(void)e;
	*exists = false;
	if (access(env->sasldb, F_OK) < 0)
		return CTL_OK;   /* no database yet: nobody */
	sasl_conn_t *c = NULL;
	int rc = conn_for(u, &c);
	if (rc != CTL_OK)
		return rc;
	int r = sasl_user_exists(c, "cloister", u->realm, u->id);
	sasl_dispose(&c);
	if (r == SASL_OK || r == SASL_NOVERIFY || r == SASL_DISABLED)
		*exists = true;
	else if (r != SASL_NOUSER)
		return ctl_fail(CTL_IOERR, "%s: cannot read: %s", env->sasldb,
		    sasl_errstring(r, NULL, NULL));
	return CTL_OK;
}

/* Serialise writers (Berkeley DB without an environment has no locking)
 * on authd's root directory, and give the file the owner and mode authd
 * reads it with (scripts/setup-system does the same). */
int
ctl_auth_lock(void)
{
	int fd = open(env->auth_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ctl_fail(CTL_IOERR, "%s: %s (run scripts/setup-system)",
		    env->auth_root, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX) < 0) {
		ctl_fail(CTL_IOERR, "lock %s: %s", env->auth_root, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
ctl_auth_fix_mode(const char *path)
{
	struct group *g = getgrnam("cloister-auth");
	if (g == NULL)
		return ctl_fail(CTL_CONFIG, "no group cloister-auth (run"
		    " scripts/setup-system)");
	if (chown(path, 0, g->gr_gid) < 0 || chmod(path, 0640) < 0)
		return ctl_fail(CTL_IOERR, "%s: %s", path, strerror(errno));
	return CTL_OK;
}

/* Copy the database to the work file (if there is one yet). */
static int
copy_db(void)
{
	if (unlink(tmp_path) < 0 && errno != ENOENT)
		return ctl_fail(CTL_IOERR, "%s: %s", tmp_path, strerror(errno));
	int in = open(env->sasldb, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? CTL_OK :
		    ctl_fail(CTL_IOERR, "%s: %s", env->sasldb, strerror(errno));
	int out = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = CTL_OK;
	if (out < 0)
		rc = ctl_fail(CTL_IOERR, "%s: %s", tmp_path, strerror(errno));
	char b[65536];
	ssize_t n;
	while (rc == CTL_OK && (n = read(in, b, sizeof(b))) != 0) {
		if (n < 0 || write(out, b, (size_t)n) != n)
			rc = ctl_fail(CTL_IOERR, "copying %s: %s", env->sasldb,
			    strerror(errno));
	}
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Make the work file durable and put it in the database's place. */
static int
install_db(void)
{
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return ctl_fail(CTL_IOERR, "%s: %s", tmp_path, strerror(errno));
	}
	close(fd);
	int rc = ctl_auth_fix_mode(tmp_path);
	if (rc != CTL_OK)
		return rc;
	if (rename(tmp_path, env->sasldb) < 0)
		return ctl_fail(CTL_IOERR, "rename to %s: %s", env->sasldb,
		    strerror(errno));
	int dir = open(env->auth_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir >= 0) {
		fsync(dir);
		close(dir);
	}
	return CTL_OK;
}

static int
setpass(const struct ctl_user *u, const char *pw, size_t len, unsigned flags)
{
	int lock = ctl_auth_lock();
	if (lock < 0)
		return CTL_IOERR;
	int rc = copy_db();
	sasl_conn_t *c = NULL;
	if (rc == CTL_OK)
		rc = conn_for(u, &c);
	if (rc == CTL_OK) {
		db_path = tmp_path;
		int r = sasl_setpass(c, u->id, pw, (unsigned)len, NULL, 0, flags);
		db_path = env->sasldb;
		if (r != SASL_OK)
			rc = ctl_fail(CTL_IOERR, "cannot write %s for %s: %s",
			    env->sasldb, u->name, sasl_errdetail(c));
		sasl_dispose(&c);
	}
	if (rc == CTL_OK)
		rc = install_db();
	if (rc != CTL_OK)
		unlink(tmp_path);
	close(lock);
	return rc;
}

int
ctl_sasldb_setpass(const struct ctl_env *e, const struct ctl_user *u,
    const char *password, size_t len)
{
	(void)e;
	return setpass(u, password, len, SASL_SET_CREATE);
}

int
ctl_sasldb_delete(const struct ctl_env *e, const struct ctl_user *u)
{
	(void)e;
	return setpass(u, NULL, 0, SASL_SET_DISABLE);
}

int
ctl_sasldb_list(const struct ctl_env *e, ctl_sasldb_user_cb cb, void *arg)
{
	(void)e;
	if (access(env->sasldb, F_OK) < 0)
		return CTL_OK;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return ctl_fail(CTL_IOERR, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	char *argv[] = { "sasldblistusers2", "-f", (char *)env->sasldb, NULL };
	char *envp[] = { NULL };
	pid_t pid;
	int r = posix_spawn(&pid, SASLDBLISTUSERS, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return ctl_fail(CTL_CONFIG, "%s: %s (install sasl2-bin)",
		    SASLDBLISTUSERS, strerror(r));
	}
	FILE *f = fdopen(p[0], "r");
	char line[1024];
	int rc = CTL_OK;
	/* "user@realm: property" per stored property; one call per user */
	char last[sizeof(line)] = "";
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strstr(line, ": ");
		char *at = colon ? memrchr(line, '@', (size_t)(colon - line)) : NULL;
		if (at == NULL) {
			if (strncmp(line, "listusers failed", 16) == 0)
				rc = ctl_fail(CTL_IOERR, "%s: cannot list users",
				    env->sasldb);
			continue;
		}
		*colon = '\0';
		if (strcmp(line, last) == 0)
			continue;
		memcpy(last, line, (size_t)(colon - line) + 1);
		*at = '\0';
		cb(arg, line, at + 1);
	}
	if (f != NULL)
		fclose(f);
	else
		close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return rc;
}
