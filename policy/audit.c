/*
 * cloister-audit: compare every live Cloister process with its policy.
 *
 *   cloister-audit [-d POLICYDIR] [-p PIDFILE] [-c CONFIG] [--json]
 *                  [--require-netns | --no-require-netns] [PID[:POLICY] ...]
 *
 * Without PIDs it reads the supervisor's pid file and audits all of the
 * supervisor's descendants. Each process is matched to the policy whose
 * 'process' key names its executable (or the one given after ':'). Prints
 * what /proc shows and one "DRIFT" line per difference; exit 0 if none, 1 if
 * any, 2 on usage or setup errors. Each worker's live seccomp filter stack,
 * its network namespace and Landlock are checked in audit_live.c.
 *
 * Ids: a worker started by cloisterd runs under a uid of its own from the
 * config's worker-uids range (its gid the same number), which no other
 * live worker holds, with the policy's group as its one supplementary
 * group if the policy says 'files own', else none. The range comes from
 * CONFIG, by default the file the supervisor was started with (-c on its
 * command line). Named PIDs without -c are workers started by hand: they
 * run as the policy's user and group.
 */
#include "audit_live.h"
#include "audit_proc.h"
#include "buf.h"
#include "config.h"
#include "cloister_config.h"
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_POLICIES 32
#define MAX_PROCS 8192
#define DEFAULT_PIDFILE "/run/cloister/cloisterd.pid"

static struct policy policies[MAX_POLICIES];
static size_t npolicies;

/* worker-uids of the audited supervisor (have_range), and the ids seen so
 * far in this run: no two live workers may share one */
static bool have_range;
static uint32_t range_first, range_last;
static struct { uid_t uid; pid_t pid; } seen[MAX_PROCS];
static size_t nseen;

/* the reference for the live checks (netns, inherited filters) */
static struct audit_live_ref live_ref;

static int
load_policies(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "cloister-audit: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 8 || strcmp(e->d_name + n - 7, ".policy") != 0 ||
		    strcmp(e->d_name, "sanitizer.policy") == 0)
			continue;
		if (npolicies >= MAX_POLICIES) {
			fprintf(stderr, "cloister-audit: too many policies\n");
			rc = -1;
			break;
		}
		char path[SANDBOX_PATH_MAX], err[POLICY_ERR_MAX];
		if (buf_snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < 0 ||
		    policy_load(path, POLICY_DEFAULT_FLAGS, &policies[npolicies],
		    err, sizeof(err)) < 0) {
			fprintf(stderr, "cloister-audit: %s\n", err);
			rc = -1;
			continue;
		}
		npolicies++;
	}
	closedir(d);
	return rc;
}

static const struct policy *
policy_for(const struct audit_proc *ap, const char *want)
{
	if (want != NULL) {
		for (size_t i = 0; i < npolicies; i++)
			if (strcmp(policies[i].spec.service, want) == 0 ||
			    strcmp(policies[i].path, want) == 0)
				return &policies[i];
		return NULL;
	}
	const char *base = strrchr(ap->exe, '/');
	base = base ? base + 1 : ap->exe;
	for (size_t i = 0; i < npolicies; i++)
		if (strcmp(policies[i].process, base) == 0)
			return &policies[i];
	return NULL;
}

static void
check_caps(struct drift_list *d, const struct audit_proc *ap, const char *svc)
{
	const struct { const char *name; uint64_t v; } caps[] = {
		{ "CapEff", ap->cap_eff }, { "CapPrm", ap->cap_prm },
		{ "CapInh", ap->cap_inh }, { "CapBnd", ap->cap_bnd },
		{ "CapAmb", ap->cap_amb },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (caps[i].v != 0)
			drift(d, ap, svc, "%s is %016llx, policy wants 0", caps[i].name,
			    (unsigned long long)caps[i].v);
}

static const char *const id_kind[4] = { "real", "effective", "saved", "fs" };

/* Started by hand: the policy's user and group, groups = { group }. */
static void
check_policy_ids(struct drift_list *d, const struct audit_proc *ap,
    const struct policy *p)
{
	const char *svc = p->spec.service;
	struct passwd *pw = getpwnam(p->spec.user);
	struct group *gr = getgrnam(p->spec.group);
	if (pw == NULL || gr == NULL) {
		drift(d, ap, svc, "policy user/group %s/%s unknown", p->spec.user,
		    p->spec.group);
		return;
	}
	for (int i = 0; i < 4; i++) {
		if (ap->uid[i] != pw->pw_uid)
			drift(d, ap, svc, "%s uid is %u, policy wants %u (%s)",
			    id_kind[i], (unsigned)ap->uid[i], (unsigned)pw->pw_uid,
			    p->spec.user);
		if (ap->gid[i] != gr->gr_gid)
			drift(d, ap, svc, "%s gid is %u, policy wants %u (%s)",
			    id_kind[i], (unsigned)ap->gid[i], (unsigned)gr->gr_gid,
			    p->spec.group);
	}
	for (size_t i = 0; i < ap->ngroups; i++)
		if (ap->groups[i] != gr->gr_gid)
			drift(d, ap, svc, "supplementary group %u, policy allows only %u",
			    (unsigned)ap->groups[i], (unsigned)gr->gr_gid);
}

/* Started by cloisterd: one id of worker-uids on all four uids and gids,
 * held by no other live worker; groups exactly what the policy needs. */
static void
check_instance_ids(struct drift_list *d, const struct audit_proc *ap,
    const struct policy *p)
{
	const char *svc = p->spec.service;
	uid_t u = ap->uid[0];
	if (u < range_first || u > range_last)
		drift(d, ap, svc, "real uid is %u, outside worker-uids %u-%u",
		    (unsigned)u, range_first, range_last);
	for (int i = 0; i < 4; i++) {
		if (i > 0 && ap->uid[i] != u)
			drift(d, ap, svc, "%s uid is %u, real uid %u", id_kind[i],
			    (unsigned)ap->uid[i], (unsigned)u);
		if (ap->gid[i] != (gid_t)u)
			drift(d, ap, svc, "%s gid is %u, the instance's gid is its uid"
			    " %u", id_kind[i], (unsigned)ap->gid[i], (unsigned)u);
	}
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].uid == u)
			drift(d, ap, svc, "uid %u is also held by pid %d: two live"
			    " workers share a uid", (unsigned)u, (int)seen[i].pid);
	if (nseen < MAX_PROCS)
		seen[nseen++] = (typeof(seen[0])){ u, ap->pid };
	struct group *gr = p->files_own ? getgrnam(p->spec.group) : NULL;
	if (p->files_own && gr == NULL) {
		drift(d, ap, svc, "policy group %s unknown", p->spec.group);
		return;
	}
	bool ok = ap->ngroups == (p->files_own ? 1u : 0u) &&
	    (!p->files_own || ap->groups[0] == gr->gr_gid);
	if (!ok) {
		char have[128] = "";
		size_t off = 0;
		for (size_t i = 0; i < ap->ngroups && off < sizeof(have); i++)
			off += (size_t)snprintf(have + off, sizeof(have) - off, "%s%u",
			    i ? " " : "", (unsigned)ap->groups[i]);
		if (p->files_own)
			drift(d, ap, svc, "supplementary groups are {%s}, policy needs"
			    " exactly {%u} (%s, files own)", have,
			    (unsigned)gr->gr_gid, p->spec.group);
		else
			drift(d, ap, svc, "supplementary groups are {%s}, policy needs"
			    " none (files none)", have);
	}
}

static void
check_ids(struct drift_list *d, const struct audit_proc *ap,
    const struct policy *p)
{
	if (have_range)
		check_instance_ids(d, ap, p);
	else
		check_policy_ids(d, ap, p);
}

/* worker-uids from path, or, with path NULL, from the config the
 * supervisor sup was started with (-c FILE, relative to its cwd). */
static int
load_range(const char *path, pid_t sup)
{
	static struct config cfg;
	static char cmd[4096];   /* path may point into it */
	char file[CONFIG_PATH_MAX], err[CONFIG_ERR_MAX];
	if (path == NULL) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/%d/cmdline", (int)sup);
		FILE *f = fopen(proc, "re");
		size_t n = f ? fread(cmd, 1, sizeof(cmd) - 1, f) : 0;
		if (f != NULL)
			fclose(f);
		cmd[n] = '\0';
		for (size_t i = 0; i < n && path == NULL; i += strlen(cmd + i) + 1)
			if (strcmp(cmd + i, "-c") == 0 && i + 3 < n)
				path = cmd + i + 3;
		if (path == NULL) {
			fprintf(stderr, "cloister-audit: pid %d: no -c on its command"
			    " line; give -c CONFIG\n", (int)sup);
			return -1;
		}
		if (path[0] != '/') {
			char cwd[CONFIG_PATH_MAX];
			snprintf(proc, sizeof(proc), "/proc/%d/cwd", (int)sup);
			ssize_t l = readlink(proc, cwd, sizeof(cwd) - 1);
			if (l < 0 || buf_snprintf(file, sizeof(file), "%.*s/%s", (int)l,
			    cwd, path) < 0) {
				fprintf(stderr, "cloister-audit: %s: %s\n", proc,
				    strerror(errno));
				return -1;
			}
			path = file;
		}
	}
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "cloister-audit: %s\n", err);
		return -1;
	}
	have_range = true;
	range_first = cfg.uid_first;
	range_last = cfg.uid_last;
	return 0;
}

static void
check_rlimits(struct drift_list *d, const struct audit_proc *ap,
    const struct policy *p)
{
	for (int r = 0; r < SANDBOX_RL_COUNT; r++) {
		const struct sandbox_rl *want = &p->spec.rlimit[r];
		if (!want->set)
			continue;
		/* ASan builds cannot hold memory limits; sandbox skips them too */
		if (audit_proc_is_sanitized(ap) &&
		    (r == SANDBOX_RL_AS || r == SANDBOX_RL_DATA))
			continue;
		if (!ap->rlimit[r].known)
			drift(d, ap, p->spec.service, "rlimit %s unreadable",
			    sandbox_rlimit_name(r));
		else if (ap->rlimit[r].soft != want->value ||
		    ap->rlimit[r].hard != want->value)
			drift(d, ap, p->spec.service,
			    "rlimit %s is %llu/%llu, policy wants %llu",
			    sandbox_rlimit_name(r),
			    (unsigned long long)ap->rlimit[r].soft,
			    (unsigned long long)ap->rlimit[r].hard,
			    (unsigned long long)want->value);
	}
}

static void
check_fds(struct drift_list *d, const struct audit_proc *ap,
    const struct policy *p)
{
	size_t rlen = strlen(ap->root);
	for (size_t i = 0; i < ap->nfds; i++) {
		const struct audit_fd *f = &ap->fds[i];
		/* the kernel signals an O_ASYNC fd's owner: a kill() seccomp
		 * cannot see (the policies never let a worker set it) */
		if (f->flags >= 0 && (f->flags & O_ASYNC))
			drift(d, ap, p->spec.service, "fd %d has O_ASYNC set", f->fd);
		/* a directory outside the root is a way out of it */
		bool under_root = strncmp(f->target, ap->root, rlen) == 0 &&
		    (f->target[rlen] == '/' || f->target[rlen] == '\0') &&
		    strcmp(ap->root, "/") != 0;
		if (f->kind == FD_DIR && !under_root)
			drift(d, ap, p->spec.service,
			    "fd %d is directory %s, outside the root", f->fd,
			    f->target);
	}
	if (p->files_own)
		return;
	for (size_t i = 0; i < ap->nfds; i++) {
		const struct audit_fd *f = &ap->fds[i];
		/* stderr appending to a log file is an output, not a power to
		 * open files: allow it when it is write-only */
		if (f->fd == 2 && f->kind == FD_FILE && f->flags >= 0 &&
		    (f->flags & O_ACCMODE) == O_WRONLY)
			continue;
		if (f->kind == FD_FILE || f->kind == FD_DIR)
			drift(d, ap, p->spec.service,
			    "fd %d is %s %s, policy says 'files none'", f->fd,
			    audit_fd_kind_name(f->kind), f->target);
	}
}

static json_t *
describe(const struct audit_proc *ap, const char *service, json_t *live)
{
	json_t *o = json_object();
	json_object_set_new(o, "service", json_string(service));
	json_object_set_new(o, "pid", json_integer(ap->pid));
	json_object_set_new(o, "ppid", json_integer(ap->ppid));
	json_object_set_new(o, "exe", json_string(ap->exe));
	json_t *u = json_array(), *g = json_array(), *gs = json_array();
	for (int i = 0; i < 4; i++) {
		json_array_append_new(u, json_integer(ap->uid[i]));
		json_array_append_new(g, json_integer(ap->gid[i]));
	}
	for (size_t i = 0; i < ap->ngroups; i++)
		json_array_append_new(gs, json_integer(ap->groups[i]));
	json_object_set_new(o, "uid", u);
	json_object_set_new(o, "gid", g);
	json_object_set_new(o, "groups", gs);
	json_object_set_new(o, "root", json_string(ap->root));
	char hex[20];
	const struct { const char *k; uint64_t v; } caps[] = {
		{ "CapEff", ap->cap_eff }, { "CapPrm", ap->cap_prm },
		{ "CapInh", ap->cap_inh }, { "CapBnd", ap->cap_bnd },
		{ "CapAmb", ap->cap_amb },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)caps[i].v);
		json_object_set_new(o, caps[i].k, json_string(hex));
	}
	json_object_set_new(o, "NoNewPrivs", json_integer(ap->no_new_privs));
	json_object_set_new(o, "Seccomp", json_integer(ap->seccomp));
	json_object_set_new(o, "Seccomp_filters",
	    json_integer(ap->seccomp_filters));
	json_t *rl = json_object();
	for (int r = 0; r < SANDBOX_RL_COUNT; r++) {
		if (!ap->rlimit[r].known)
			continue;
		json_t *pair = json_array();
		json_array_append_new(pair, ap->rlimit[r].soft == UINT64_MAX
		    ? json_string("unlimited") : json_integer((json_int_t)ap->rlimit[r].soft));
		json_array_append_new(pair, ap->rlimit[r].hard == UINT64_MAX
		    ? json_string("unlimited") : json_integer((json_int_t)ap->rlimit[r].hard));
		json_object_set_new(rl, sandbox_rlimit_name(r), pair);
	}
	json_object_set_new(o, "rlimits", rl);
	json_t *ns = json_object();
	for (int i = 0; i < AUDIT_NS_COUNT; i++)
		json_object_set_new(ns, audit_ns_names[i], json_string(ap->ns[i]));
	json_object_set_new(o, "namespaces", ns);
	json_t *fds = json_array();
	for (size_t i = 0; i < ap->nfds; i++) {
		json_t *f = json_object();
		json_object_set_new(f, "fd", json_integer(ap->fds[i].fd));
		json_object_set_new(f, "kind",
		    json_string(audit_fd_kind_name(ap->fds[i].kind)));
		json_object_set_new(f, "target", json_string(ap->fds[i].target));
		json_array_append_new(fds, f);
	}
	json_object_set_new(o, "fds", fds);
	if (live != NULL)
		json_object_set(o, "live", live);
	return o;
}

static void
print_text(const struct audit_proc *ap, const char *service, int ndrift,
    const json_t *live)
{
	printf("%s pid %d (%s)\n", service, (int)ap->pid, ap->exe);
	printf("  uid %u/%u/%u/%u gid %u/%u/%u/%u groups", (unsigned)ap->uid[0],
	    (unsigned)ap->uid[1], (unsigned)ap->uid[2], (unsigned)ap->uid[3],
	    (unsigned)ap->gid[0], (unsigned)ap->gid[1], (unsigned)ap->gid[2],
	    (unsigned)ap->gid[3]);
	for (size_t i = 0; i < ap->ngroups; i++)
		printf(" %u", (unsigned)ap->groups[i]);
	printf("\n  root %s\n", ap->root);
	printf("  CapEff %016llx CapPrm %016llx CapBnd %016llx CapAmb %016llx\n",
	    (unsigned long long)ap->cap_eff, (unsigned long long)ap->cap_prm,
	    (unsigned long long)ap->cap_bnd, (unsigned long long)ap->cap_amb);
	printf("  NoNewPrivs %d Seccomp %d filters %d\n", ap->no_new_privs,
	    ap->seccomp, ap->seccomp_filters);
	printf("  rlimits");
	for (int r = 0; r < SANDBOX_RL_COUNT; r++) {
		if (!ap->rlimit[r].known)
			continue;
		if (ap->rlimit[r].soft == UINT64_MAX)
			printf(" %s=unlimited", sandbox_rlimit_name(r));
		else
			printf(" %s=%llu", sandbox_rlimit_name(r),
			    (unsigned long long)ap->rlimit[r].soft);
	}
	printf("\n  ns");
	for (int i = 0; i < AUDIT_NS_COUNT; i++)
		printf(" %s", ap->ns[i]);
	printf("\n  fds");
	for (size_t i = 0; i < ap->nfds; i++)
		printf(" %d:%s", ap->fds[i].fd, audit_fd_kind_name(ap->fds[i].kind));
	printf("%s\n", ap->fds_truncated ? " ..." : "");
	if (live != NULL)
		audit_live_print(live);
	printf("  %s\n", ndrift ? "DRIFT" : "ok");
}

/* A worker confines itself within milliseconds of its exec; one caught in
 * that window (still without its filter, younger than a few seconds) is
 * starting, not drifting: give it the time to finish. Its own filter is
 * one more than its parent's (a supervisor under systemd has some). */
static void
wait_until_started(pid_t pid)
{
	for (int i = 0; i < 50; i++) {
		struct audit_proc ap;
		double age = audit_proc_age(pid);
		if (age < 0 || age > 5.0 || audit_proc_read(pid, &ap) < 0)
			return;
		int inherited = audit_proc_filters(ap.ppid);
		if (ap.seccomp == 2 && ap.seccomp_filters > inherited)
			return;
		usleep(100 * 1000);
	}
}

/* Audit one process; returns the number of drifts. */
static int
audit_one(pid_t pid, const char *want, bool is_supervisor, bool from_tree,
    json_t *out, bool json)
{
	struct audit_proc ap;
	if (!is_supervisor)
		wait_until_started(pid);
	if (audit_proc_read(pid, &ap) < 0) {
		/* a worker of the tree may finish its connection meanwhile */
		fprintf(stderr, "cloister-audit: pid %d: gone or unreadable\n",
		    (int)pid);
		return from_tree && !is_supervisor ? 0 : 1;
	}
	struct drift_list d = { json_array(), 0 };
	const char *service = "supervisor";
	json_t *live = NULL;
	if (!is_supervisor) {
		const struct policy *p = policy_for(&ap, want);
		if (p == NULL) {
			service = "unknown";
			drift(&d, &ap, service, "no policy for %s", ap.exe);
		} else {
			service = p->spec.service;
			check_ids(&d, &ap, p);
			if (strcmp(ap.root, p->spec.root) != 0)
				drift(&d, &ap, service, "root dir is %s, policy wants %s",
				    ap.root, p->spec.root);
			check_caps(&d, &ap, service);
			if (ap.no_new_privs != 1)
				drift(&d, &ap, service, "NoNewPrivs is %d, policy wants 1",
				    ap.no_new_privs);
			if (ap.seccomp != 2 || ap.seccomp_filters < 1)
				drift(&d, &ap, service,
				    "Seccomp is %d with %d filters, policy wants 2 (filter)",
				    ap.seccomp, ap.seccomp_filters);
			check_rlimits(&d, &ap, p);
			check_fds(&d, &ap, p);
			live = audit_live_check(&live_ref, &d, &ap, p, from_tree);
		}
	}
	if (json) {
		json_t *o = describe(&ap, service, live);
		json_object_set_new(o, "drift", d.array);
		json_array_append_new(out, o);
	} else {
		print_text(&ap, service, d.count, live);
		json_decref(d.array);
	}
	json_decref(live);
	return d.count;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: cloister-audit [-d POLICYDIR] [-p PIDFILE] [-c CONFIG]"
	    " [--json] [--[no-]require-netns] [PID[:SERVICE] ...]\n"
	    "  Without PIDs, audits the supervisor named in PIDFILE (default "
	    DEFAULT_PIDFILE ") and all its descendants.\n"
	    "  CONFIG gives worker-uids (default: the supervisor's -c file);\n"
	    "  named PIDs without -c are checked against the policy's user.\n"
	    "  A worker in the supervisor's network namespace is drift\n"
	    "  (--require-netns, the default) or a warning (--no-require-netns).\n"
	    "  Exit 0: every process matches its policy; 1: drift; 2: error.\n");
}

int
main(int argc, char **argv)
{
	const char *dir = CLOISTER_POLICYDIR, *pidfile = DEFAULT_PIDFILE;
	const char *config = NULL;
	bool json = false, require_netns = AUDIT_REQUIRE_NETNS_DEFAULT;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			pidfile = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--require-netns") == 0)
			require_netns = true;
		else if (strcmp(argv[i], "--no-require-netns") == 0)
			require_netns = false;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage();
			return 0;
		} else if (argv[i][0] == '-') {
			usage();
			return 2;
		} else
			break;
	}
	if (load_policies(dir) < 0 || npolicies == 0) {
		fprintf(stderr, "cloister-audit: no usable policies in %s\n", dir);
		return 2;
	}
	json_t *out = json_array();
	int drifts = 0, audited = 0;
	if (i < argc && config != NULL && load_range(config, 0) < 0)
		return 2;
	if (i < argc) {
		audit_live_init(&live_ref, 0, require_netns);
		for (; i < argc; i++) {
			char *colon = strchr(argv[i], ':');
			if (colon)
				*colon++ = '\0';
			char *end;
			long pid = strtol(argv[i], &end, 10);
			if (*end != '\0' || pid <= 0) {
				usage();
				return 2;
			}
			drifts += audit_one((pid_t)pid, colon, false, false, out, json);
			audited++;
		}
	} else {
		FILE *f = fopen(pidfile, "r");
		long sup;
		if (f == NULL || fscanf(f, "%ld", &sup) != 1 || sup <= 1) {
			fprintf(stderr, "cloister-audit: cannot read supervisor pid from"
			    " %s\n", pidfile);
			return 2;
		}
		fclose(f);
		if (load_range(config, (pid_t)sup) < 0)
			return 2;
		audit_live_init(&live_ref, (pid_t)sup, require_netns);
		static pid_t kids[MAX_PROCS];
		size_t n = audit_descendants((pid_t)sup, kids, MAX_PROCS);
		drifts += audit_one((pid_t)sup, NULL, true, true, out, json);
		for (size_t k = 0; k < n; k++)
			drifts += audit_one(kids[k], NULL, false, true, out, json);
		audited = (int)n + 1;
	}
	if (json) {
		json_t *top = json_object();
		json_object_set_new(top, "processes", out);
		json_object_set_new(top, "drifts", json_integer(drifts));
		char *s = json_dumps(top, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (s)
			puts(s);
		free(s);
		json_decref(top);
	} else {
		json_decref(out);
		printf("%d processes audited, %d drifts\n", audited, drifts);
	}
	audit_live_free(&live_ref);
	return drifts ? 1 : 0;
}
