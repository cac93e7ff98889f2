/* ids: each worker instance's own uid (its gid is the same number) from
 * the configured range (worker-uids), handed out round-robin. An id is
 * free again only once its process has been reaped, so no two live
 * workers ever share one, and no signal path the kernel offers between
 * processes of one uid (kill, fcntl F_SETOWN/F_SETSIG, ...) reaches a
 * sibling. The range is claimed for cloisterd's life against the other
 * cloisterd of the host: a lock file per range in SV_IDS_LOCK_DIR, held
 * with flock (the kernel drops it when we die). */
#include "sv.h"
#include "buf.h"

#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>

static struct {
	uint32_t first, n;       /* the range: first .. first + n - 1 */
	uint32_t next;           /* round-robin cursor, an offset */
	uint32_t live;
	uint8_t *used;           /* bitmap of ids held by a process not reaped */
	int lock;                /* our lock file, flock'ed; -1 before */
	char lock_path[64];
} ids = { .lock = -1 };

static bool
overlaps(uint32_t a1, uint32_t b1, uint32_t a2, uint32_t b2)
{
	return a1 <= b2 && a2 <= b1;
}

/* The ids the services of c may hold at once: a pool's max-processes,
 * plus its spares for the workers being retired and not reaped yet; one
 * for authd and cloister-snmpd, one per store shard. */
static uint64_t
ids_needed(const struct config *c)
{
	uint64_t need = 0;
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *s = &c->services[i];
		need += s->role == ROLE_CONNECTION ?
		    (uint64_t)s->max_processes + s->spares :
		    s->role == ROLE_STORE ? c->store_shards : 1;
	}
	return need;
}

/* The first user (or group) of this system whose id is in first..last:
 * its name and id; false if there is none. */
static bool
system_id_in(bool group, uint32_t first, uint32_t last, char *name,
    size_t size, unsigned *id)
{
	bool found = false;
	if (group)
		setgrent();
	else
		setpwent();
	for (;;) {
		struct passwd *pw = group ? NULL : getpwent();
		struct group *gr = group ? getgrent() : NULL;
		if (pw == NULL && gr == NULL)
			break;
		unsigned v = pw != NULL ? pw->pw_uid : gr->gr_gid;
		if (v >= first && v <= last) {
			snprintf(name, size, "%s", pw != NULL ? pw->pw_name : gr->gr_name);
			*id = v;
			found = true;
			break;
		}
	}
	if (group)
		endgrent();
	else
		endpwent();
	return found;
}

int
sv_ids_check(const struct config *c, char *err, size_t errlen)
{
	uint64_t size = (uint64_t)c->uid_last - c->uid_first + 1;
	uint64_t need = ids_needed(c);
	if (size < need) {
		snprintf(err, errlen, "%s:%u: worker-uids %u-%u holds %llu ids; the"
		    " services need up to %llu (max-processes + spares of each"
		    " pool, one per other process)", c->path, c->uid_line,
		    c->uid_first, c->uid_last, (unsigned long long)size,
		    (unsigned long long)need);
		return -1;
	}
	/* an id a user or group of this system holds would let a worker act
	 * as that user (files, signals): the range must be nobody's */
	char name[64];
	unsigned id;
	for (int group = 0; group < 2; group++)
		if (system_id_in(group, c->uid_first, c->uid_last, name,
		    sizeof(name), &id)) {
			snprintf(err, errlen, "%s:%u: worker-uids %u-%u: %s %s has id"
			    " %u inside it", c->path, c->uid_line, c->uid_first,
			    c->uid_last, group ? "group" : "user", name, id);
			return -1;
		}
	return 0;
}

/* A live process of this host, not one of ours, with a uid or gid in the
 * range: its pid, or 0. */
static pid_t
foreign_holder(uint32_t first, uint32_t last)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	pid_t found = 0;
	struct dirent *e;
	while (found == 0 && (e = readdir(d)) != NULL) {
		char path[64], line[256];
		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    buf_snprintf(path, sizeof(path), "/proc/%s/status",
		    e->d_name) < 0)
			continue;
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned a[4];
			if ((sscanf(line, "Uid: %u %u %u %u", &a[0], &a[1], &a[2],
			    &a[3]) == 4 || sscanf(line, "Gid: %u %u %u %u", &a[0],
			    &a[1], &a[2], &a[3]) == 4))
				for (int i = 0; i < 4; i++)
					if (a[i] >= first && a[i] <= last)
						found = (pid_t)atoi(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Under the directory's lock: stale lock files (their holder is dead)
 * go; a held one whose range overlaps ours refuses the start. */
static int
claim_range(uint32_t first, uint32_t last, char *err, size_t errlen)
{
	if (mkdir(SV_IDS_LOCK_DIR, 0700) < 0 && errno != EEXIST)
		goto sys;
	int dfd = open(SV_IDS_LOCK_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
		goto sys;
	DIR *d = fdopendir(dup(dfd));
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL) {
		unsigned a, b;
		char tail;
		if (sscanf(e->d_name, "%u-%u%c", &a, &b, &tail) != 2)
			continue;
		int fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			unlinkat(dfd, e->d_name, 0);   /* its cloisterd is gone */
		} else if (overlaps(first, last, a, b)) {
			char pid[16] = "?";
			ssize_t n = read(fd, pid, sizeof(pid) - 1);
			pid[n > 0 ? n - (pid[n - 1] == '\n') : 1] = '\0';
			snprintf(err, errlen, "worker-uids %u-%u overlaps %u-%u, in use"
			    " by the cloisterd of pid %s (%s/%s): each server on a host"
			    " needs a range of its own", first, last, a, b, pid,
			    SV_IDS_LOCK_DIR, e->d_name);
			close(fd);
			closedir(d);
			close(dfd);   /* and its lock */
			return -1;
		}
		close(fd);
	}
	if (d != NULL)
		closedir(d);
	snprintf(ids.lock_path, sizeof(ids.lock_path), "%s/%u-%u",
	    SV_IDS_LOCK_DIR, first, last);
	ids.lock = open(ids.lock_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (ids.lock < 0 || flock(ids.lock, LOCK_EX | LOCK_NB) < 0)
		goto sys;
	char line[24];
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (write(ids.lock, line, (size_t)n) != n)
		goto sys;
	close(dfd);
	return 0;
sys:
	snprintf(err, errlen, "worker-uids lock %s: %s", SV_IDS_LOCK_DIR,
	    strerror(errno));
	return -1;
}

int
sv_ids_init(const struct config *c, char *err, size_t errlen)
{
	ids.first = c->uid_first;
	ids.n = c->uid_last - c->uid_first + 1;
	free(ids.used);
	ids.used = calloc((ids.n + 7) / 8, 1);
	ids.next = ids.live = 0;
	if (ids.used == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (claim_range(c->uid_first, c->uid_last, err, errlen) < 0)
		return -1;
	/* a process that holds an id of the range now (a worker of a
	 * predecessor killed a moment ago is still leaving; anything else is
	 * some other owner of these ids) */
	pid_t pid = 0;
	for (int i = 0; i < 50 && (pid = foreign_holder(c->uid_first,
	    c->uid_last)) != 0; i++)
		usleep(100 * 1000);
	if (pid != 0) {
		snprintf(err, errlen, "worker-uids %u-%u: process %d runs with an id"
		    " inside it", c->uid_first, c->uid_last, (int)pid);
		return -1;
	}
	return 0;
}

/* After daemon(): the lock file names the pid that holds it now. */
void
sv_ids_owner(void)
{
	char line[24];
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (ids.lock >= 0 && (ftruncate(ids.lock, 0) < 0 ||
	    pwrite(ids.lock, line, (size_t)n, 0) != n))
		log_warn("%s: %m", ids.lock_path);
}

void
sv_ids_release(void)
{
	if (ids.lock >= 0) {
		unlink(ids.lock_path);
		close(ids.lock);
		ids.lock = -1;
	}
}

uid_t
sv_ids_take(void)
{
	if (ids.live >= ids.n)
		return 0;
	uint32_t i = ids.next;
	while (ids.used[i / 8] & (1u << (i % 8)))
		i = i + 1 == ids.n ? 0 : i + 1;
	ids.used[i / 8] |= (uint8_t)(1u << (i % 8));
	ids.live++;
	ids.next = i + 1 == ids.n ? 0 : i + 1;
	return (uid_t)(ids.first + i);
}

void
sv_ids_give(uid_t uid)
{
	if (uid < ids.first || uid - ids.first >= ids.n)
		return;
	uint32_t i = (uint32_t)(uid - ids.first);
	if (ids.used[i / 8] & (1u << (i % 8))) {
		ids.used[i / 8] &= (uint8_t)~(1u << (i % 8));
		ids.live--;
	}
}
