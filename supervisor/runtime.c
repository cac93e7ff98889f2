/* runtime: the config file as read (its bytes kept for the snapshot
 * workers read) and the files cloisterd writes in RUNTIME_DIR. */
#include "sv.h"
#include "buf.h"

#include <sys/stat.h>

static struct buf cfg_text = BUF_INIT(1024 * 1024);

/* Parse and check the file, keeping its bytes for the snapshot. */
int
sv_load_config(struct config *c, struct sv_tune *t, char *err, size_t errlen)
{
	sv_filters_init(t);   /* before anything can fail: the caller closes */
	buf_reset(&cfg_text);
	if (buf_read_file(&cfg_text, sv.cfg_path) < 0) {
		snprintf(err, errlen, "%s:0: %s", sv.cfg_path, strerror(errno));
		return -1;
	}
	if (config_parse(sv.cfg_path, (const char *)cfg_text.data, cfg_text.len,
	    c, err, errlen) < 0 || sv_check_config(c, t, err, errlen) < 0)
		return -1;
	return 0;
}

/* RUNTIME_DIR/<name><n>; n < 0: no number. */
const char *
sv_runtime_path(char out[CONFIG_PATH_MAX], const char *name, long n)
{
	char num[24] = "";
	if (n >= 0)
		snprintf(num, sizeof(num), "%ld", n);
	if (buf_snprintf(out, CONFIG_PATH_MAX, "%s/%s%s", sv.cfg->runtime_dir,
	    name, num) < 0)
		log_fatal("runtime-dir %s too long", sv.cfg->runtime_dir);
	return out;
}

/* Written beside and renamed into place, so a reader (a worker reading
 * its config snapshot, an init script reading the pid file) sees the
 * whole file or none of it, never an empty one. */
void
sv_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[CONFIG_PATH_MAX];
	if (buf_snprintf(tmp, sizeof(tmp), "%s.new", path) < 0)
		log_fatal("path %s too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) < 0 ||
	    rename(tmp, path) < 0)
		log_fatal_errno("writing %s", path);
}

/* Workers read RUNTIME_DIR/config.GEN, the exact bytes this generation
 * was built from: an edit of the file without SIGHUP cannot give a new
 * worker a view (listener numbers, options) that differs from ours. The
 * one before the last is removed: no worker can still be starting on it. */
void
sv_write_snapshot(void)
{
	char prev[CONFIG_PATH_MAX];
	sv_write_file(sv_runtime_path(sv.snapshot, "config.", sv.generation),
	    cfg_text.data, cfg_text.len, 0600);
	if (sv.generation >= 2)
		unlink(sv_runtime_path(prev, "config.", sv.generation - 2));
}
