/*
 * cloister-testworker [--extra-syscall NAME] POLICYFILE — a stand-in
 * worker for tests: confines itself under the policy like a real worker,
 * then blocks reading fd 0 and exits when it closes. cloister-audit runs
 * against it. --extra-syscall allows one more syscall than the policy
 * does: a hand-weakened filter the audit must name as drift.
 */
#include "log.h"
#include "policy.h"

#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct policy pol;

static void
usage(void)
{
	fprintf(stderr, "usage: cloister-testworker [--extra-syscall NAME]"
	    " POLICYFILE\n");
}

int
main(int argc, char **argv)
{
	const char *extra = NULL;
	if (argc == 4 && strcmp(argv[1], "--extra-syscall") == 0) {
		extra = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		usage();
		return 2;
	}
	log_open("cloister-testworker", true);
	if (extra == NULL) {
		/* nothing of its own to keep: the sandbox keeps 0-2 and the log */
		policy_confine(argv[1], NULL, NULL, 0);
	} else {
		char err[POLICY_ERR_MAX];
		int nr = seccomp_syscall_resolve_name(extra);
		if (policy_load(argv[1], POLICY_DEFAULT_FLAGS, &pol, err,
		    sizeof(err)) < 0 || nr < 0 ||
		    pol.spec.nsyscalls >= SANDBOX_MAX_SYSCALLS)
			log_fatal("testworker: %s", nr < 0 ? extra : err);
		pol.spec.syscalls[pol.spec.nsyscalls++] = nr;
		pol.spec.group_access = pol.files_own;
		sandbox_confine(&pol.spec, NULL, 0);
	}
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
