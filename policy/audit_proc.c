/* audit_proc: read /proc/PID/{status,limits,root,exe,ns,fd}. */
#include "audit_proc.h"
#include "buf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const audit_ns_names[AUDIT_NS_COUNT] = {
	"mnt", "net", "pid", "user", "ipc", "uts", "cgroup",
};

static const char *const fd_kind_names[] = {
	[FD_SOCKET] = "socket", [FD_PIPE] = "pipe", [FD_ANON] = "anon",
	[FD_MEMFD] = "memfd", [FD_FILE] = "file", [FD_DIR] = "dir",
	[FD_DEV] = "dev", [FD_OTHER] = "other",
};

const char *
audit_fd_kind_name(enum audit_fd_kind k)
{
	return fd_kind_names[k];
}

static int
read_small(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off + 1 < size) {
		ssize_t n = read(fd, out + off, size - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	out[off] = '\0';
	return (int)off;
}

static int
read_link(const char *path, char *out, size_t size)
{
	ssize_t n = readlink(path, out, size - 1);
	if (n < 0) {
		out[0] = '\0';
		return -1;
	}
	out[n] = '\0';
	return 0;
}

static void
parse_ids(const char *v, unsigned *ids)
{
	for (int i = 0; i < 4; i++) {
		char *end;
		ids[i] = (unsigned)strtoul(v, &end, 10);
		v = end;
	}
}

static void
parse_status(struct audit_proc *ap, char *text)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcmp(line, "PPid") == 0)
			ap->ppid = (pid_t)atoi(v);
		else if (strcmp(line, "Uid") == 0)
			parse_ids(v, (unsigned *)ap->uid);
		else if (strcmp(line, "Gid") == 0)
			parse_ids(v, (unsigned *)ap->gid);
		else if (strcmp(line, "Groups") == 0) {
			char *end;
			ap->ngroups = 0;
			while (*v && ap->ngroups < AUDIT_MAX_GROUPS) {
				unsigned long g = strtoul(v, &end, 10);
				if (end == v)
					break;
				ap->groups[ap->ngroups++] = (gid_t)g;
				v = end;
			}
		} else if (strcmp(line, "CapInh") == 0)
			ap->cap_inh = strtoull(v, NULL, 16);
		else if (strcmp(line, "CapPrm") == 0)
			ap->cap_prm = strtoull(v, NULL, 16);
		else if (strcmp(line, "CapEff") == 0)
			ap->cap_eff = strtoull(v, NULL, 16);
		else if (strcmp(line, "CapBnd") == 0)
			ap->cap_bnd = strtoull(v, NULL, 16);
		else if (strcmp(line, "CapAmb") == 0)
			ap->cap_amb = strtoull(v, NULL, 16);
		else if (strcmp(line, "NoNewPrivs") == 0)
			ap->no_new_privs = atoi(v);
		else if (strcmp(line, "Seccomp") == 0)
			ap->seccomp = atoi(v);
		else if (strcmp(line, "Seccomp_filters") == 0)
			ap->seccomp_filters = atoi(v);
	}
}

static uint64_t
limit_value(const char *w)
{
	if (strncmp(w, "unlimited", 9) == 0)
		return UINT64_MAX;
	return strtoull(w, NULL, 10);
}

static void
parse_limits(struct audit_proc *ap, char *text)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		for (int r = 0; r < SANDBOX_RL_COUNT; r++) {
			const char *label = sandbox_rlimit_proc_label(r);
			size_t n = strlen(label);
			if (strncmp(line, label, n) != 0 || line[n] != ' ')
				continue;
			/* the label column is 26 wide; values follow */
			char *v = line + n;
			while (*v == ' ')
				v++;
			ap->rlimit[r].soft = limit_value(v);
			while (*v && *v != ' ')
				v++;
			while (*v == ' ')
				v++;
			ap->rlimit[r].hard = limit_value(v);
			ap->rlimit[r].known = true;
		}
	}
}

static enum audit_fd_kind
classify_fd(const char *target)
{
	if (strncmp(target, "socket:", 7) == 0)
		return FD_SOCKET;
	if (strncmp(target, "pipe:", 5) == 0)
		return FD_PIPE;
	if (strncmp(target, "/memfd:", 7) == 0)
		return FD_MEMFD;
	if (strncmp(target, "anon_inode:", 11) == 0)
		return FD_ANON;
	if (strncmp(target, "/dev/", 5) == 0)
		return FD_DEV;
	if (target[0] == '/')
		return FD_FILE;   /* refined to FD_DIR by the caller */
	return FD_OTHER;
}

static void
read_fds(struct audit_proc *ap)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)ap->pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (ap->nfds >= AUDIT_MAX_FDS) {
			ap->fds_truncated = true;
			break;
		}
		struct audit_fd *f = &ap->fds[ap->nfds];
		char path[128];
		f->fd = atoi(e->d_name);
		if (buf_snprintf(path, sizeof(path), "%s/%d", dir, f->fd) < 0)
			continue;
		if (read_link(path, f->target, sizeof(f->target)) < 0)
			continue;
		f->kind = classify_fd(f->target);
		f->flags = -1;
		char info[128], text[512];
		if (buf_snprintf(info, sizeof(info), "/proc/%d/fdinfo/%d",
		    (int)ap->pid, f->fd) >= 0 &&
		    read_small(info, text, sizeof(text)) > 0) {
			char *fl = strstr(text, "flags:");
			if (fl != NULL)
				f->flags = (int)strtol(fl + 6, NULL, 8);
		}
		if (f->kind == FD_FILE) {
			struct stat st;
			if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
				f->kind = FD_DIR;
		}
		ap->nfds++;
	}
	closedir(d);
	/* readdir order is not fd order; sort for stable output */
	for (size_t i = 1; i < ap->nfds; i++)
		for (size_t j = i; j > 0 && ap->fds[j - 1].fd > ap->fds[j].fd; j--) {
			struct audit_fd t = ap->fds[j];
			ap->fds[j] = ap->fds[j - 1];
			ap->fds[j - 1] = t;
		}
}

/* The build's -Db_sanitize=address links gcc's runtime, libasan.so, which
 * shows in the maps (clang's libclang_rt.asan when it is shared). */
static int
read_sanitized(pid_t pid)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	int found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, "/libasan.so") != NULL ||
		    strstr(line, "libclang_rt.asan") != NULL;
	fclose(f);
	return found;
}

int
audit_proc_filters(pid_t pid)
{
	static struct audit_proc ap;
	char path[64], text[8192];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ap.seccomp_filters = 0;
	if (read_small(path, text, sizeof(text)) > 0)
		parse_status(&ap, text);
	return ap.seccomp_filters > 0 ? ap.seccomp_filters : 0;
}

bool
audit_proc_is_sanitized(const struct audit_proc *ap)
{
	return ap->sanitized < 0 ? sandbox_sanitized_build() : ap->sanitized > 0;
}

int
audit_proc_read(pid_t pid, struct audit_proc *ap)
{
	char path[64], text[8192];

	memset(ap, 0, sizeof(*ap));
	ap->pid = pid;
	ap->no_new_privs = ap->seccomp = ap->seccomp_filters = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, text, sizeof(text)) <= 0)
		return -1;
	parse_status(ap, text);
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	if (read_small(path, text, sizeof(text)) > 0)
		parse_limits(ap, text);
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	read_link(path, ap->root, sizeof(ap->root));
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	read_link(path, ap->exe, sizeof(ap->exe));
	for (int i = 0; i < AUDIT_NS_COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid,
		    audit_ns_names[i]);
		read_link(path, ap->ns[i], sizeof(ap->ns[i]));
	}
	read_fds(ap);
	ap->sanitized = read_sanitized(pid);
	return 0;
}

static pid_t
ppid_of(pid_t pid)
{
	char path[64], text[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, text, sizeof(text)) <= 0)
		return -1;
	/* comm may hold spaces and parens: the fields start after the last ')' */
	char *rp = strrchr(text, ')');
	if (rp == NULL)
		return -1;
	char state;
	int ppid;
	if (sscanf(rp + 1, " %c %d", &state, &ppid) != 2)
		return -1;
	return (pid_t)ppid;
}

size_t
audit_descendants(pid_t root_pid, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		pid_t p = pid;
		for (int depth = 0; depth < 64 && p > 1; depth++) {
			p = ppid_of(p);
			if (p == root_pid) {
				out[n++] = pid;
				break;
			}
		}
	}
	closedir(d);
	return n;
}

double
audit_proc_age(pid_t pid)
{
	char path[64], text[1024], up[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, text, sizeof(text)) <= 0 ||
	    read_small("/proc/uptime", up, sizeof(up)) <= 0)
		return -1;
	char *rp = strrchr(text, ')');
	if (rp == NULL)
		return -1;
	/* field 22 (starttime) is the 20th after the ")" */
	char *f = rp + 1;
	for (int i = 0; i < 20 && f != NULL; i++) {
		f = strchr(f + 1, ' ');
	}
	if (f == NULL)
		return -1;
	double start = (double)strtoull(f + 1, NULL, 10) /
	    (double)sysconf(_SC_CLK_TCK);
	return strtod(up, NULL) - start;
}
