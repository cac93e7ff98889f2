/* fdlimit: cloisterd's open-file limit follows the configuration. Each
 * live worker costs cloisterd one or two fds (a spare: its control and
 * log channels; a busy worker: its log channel, which carries its
 * statistics too; a connection on its way to a spare), so the limit a
 * shell or unit happened to give (often 1024 soft, 4096 or 20000 hard)
 * would cap the sessions far below max-processes; and the workers inherit
 * the hard limit, which their policies' 'rlimit nofile' cannot exceed
 * (they set it after dropping every capability: stored's 16384, one
 * channel per session, fails under a shell's 4096). As root, raise both
 * to what the services may reach, within the kernel's fs.nr_open; say so
 * when even that is short. */
#include "sv.h"

#include <sys/resource.h>

#define FDS_PER_WORKER 2      /* log + control (spare) or a hand-off */
#define FDS_BASE 1024         /* listeners, peers, admin clients, headroom */

static rlim_t
kernel_max(void)
{
	rlim_t v = 1048576;   /* the kernel's default fs.nr_open */
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	unsigned long long n;
	if (f != NULL) {
		if (fscanf(f, "%llu", &n) == 1 && n > 0)
			v = (rlim_t)n;
		fclose(f);
	}
	return v;
}

rlim_t
sv_fd_need(const struct config *c, const struct sv_tune *t)
{
	rlim_t need = FDS_BASE;
	for (size_t i = 0; i < c->nservices && i < CONFIG_MAX_SERVICES; i++)
		need += (rlim_t)c->services[i].max_processes * FDS_PER_WORKER;
	if (t->policy_nofile != UINT64_MAX && t->policy_nofile > need)
		need = (rlim_t)t->policy_nofile;
	return need;
}

void
sv_fd_limit(const struct config *c, const struct sv_tune *t)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t need = sv_fd_need(c, t);
	if (rl.rlim_max < need) {
		rlim_t cap = kernel_max();
		struct rlimit up = { need < cap ? need : cap, need < cap ? need : cap };
		if (up.rlim_max > rl.rlim_max && setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("setrlimit nofile: %m");
	if (rl.rlim_cur < need)
		log_warn("open files: the services' max-processes and policies need"
		    " about %llu,"
		    " the limit is %llu (the hard limit cloisterd was started"
		    " with, or fs.nr_open): fewer sessions will fit",
		    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
}
