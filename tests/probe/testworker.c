/*
 * cloister-testworker POLICYFILE — a stand-in worker for tests: confines
 * itself under the policy like a real worker, then blocks reading fd 0 and
 * exits when it closes. cloister-audit runs against it.
 */
#include "log.h"
#include "policy.h"

#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cloister-testworker POLICYFILE\n");
		return 2;
	}
	log_open("cloister-testworker", true);
	/* nothing of its own to keep: the sandbox keeps 0-2 and the log */
	policy_confine(argv[1], NULL, NULL, 0);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
