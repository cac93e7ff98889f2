/* logfile: where cloisterd's lines (and its workers', which it relays) go.
 * log-file PATH: cloisterd opens PATH itself (append, 0640) and writes
 * every line there, in the foreground and as a daemon; SIGUSR1 and SIGHUP
 * open PATH anew, so that logrotate can rename the file and signal us.
 * log-syslog: every line to syslog too, under the facility it names.
 * Neither: stderr in the foreground, syslog as a daemon (as always). */
#include "sv.h"

#include <sys/stat.h>

static int file_fd = -1;

static int
open_log(const char *path, char *err, size_t errlen)
{
	/* the log names users and client addresses: not world-readable. Not
	 * through a symbolic link: whoever may write the directory (group
	 * syslog on some systems) must not aim root's appends elsewhere. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY | O_NOFOLLOW, 0640);
	if (fd < 0)
		snprintf(err, errlen, "log-file %s: %s", path, strerror(errno));
	return fd;
}

/* At start, after daemon(): the config's sinks, or -1 with err. */
int
sv_logfile_start(const struct config *c, char *err, size_t errlen)
{
	if (c->log_file[0] != '\0') {
		file_fd = open_log(c->log_file, err, errlen);
		if (file_fd < 0)
			return -1;
		log_open_fd("cloisterd", file_fd, LOG_SINK_STDERR);
	}
	log_syslog_facility(c->log_facility);
	if (c->log_syslog && !log_syslog_also(c->log_facility))
		log_warn("log-syslog: /dev/log: %s; logging without syslog",
		    strerror(errno));
	return 0;
}

/* SIGUSR1, SIGHUP: the file at log-file (of the config now in force) is
 * opened again and replaces the one we write; if it cannot be opened we
 * keep the old one and say why in it. */
void
sv_logfile_reopen(void)
{
	char err[CONFIG_ERR_MAX];
	if (sv.cfg->log_file[0] == '\0')
		return;
	int fd = open_log(sv.cfg->log_file, err, sizeof(err));
	if (fd < 0) {
		log_err("reopen: %s; still writing the old file", err);
		return;
	}
	int old = file_fd;
	file_fd = fd;
	log_open_fd("cloisterd", file_fd, LOG_SINK_STDERR);
	if (old >= 0)
		close(old);
	log_info("log-file %s opened", sv.cfg->log_file);
}
