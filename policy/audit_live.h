/*
 * audit_live: what cloister-audit checks on a worker beyond /proc's
 * summary lines: the seccomp filter the kernel holds against the one its
 * policy compiles to (the same sandbox code builds both), the network
 * namespace against the supervisor's, and Landlock (not visible).
 */
#ifndef CLOISTER_AUDIT_LIVE_H
#define CLOISTER_AUDIT_LIVE_H

#include "audit_drift.h"
#include "audit_filter.h"
#include "audit_proc.h"
#include "policy.h"

#include <jansson.h>
#include <stdbool.h>

/* A worker in the supervisor's network namespace is drift: every worker
 * joins the empty one cloisterd made (or makes its own), so "own" means
 * "not cloisterd's", whether or not its siblings share it. A host without
 * network namespaces audits with --no-require-netns (a warning then). */
#define AUDIT_REQUIRE_NETNS_DEFAULT true

struct audit_live_ref {
	char netns[64];          /* the reference: net:[inode] */
	const char *netns_whose; /* "cloisterd's" or "the host's" */
	bool require_netns;
	/* the last parent whose filters were read (workers share one) */
	pid_t parent;
	int parent_rc;
	struct audit_stack parent_stack;
	char parent_err[160];
};

/* Reference netns: the supervisor's, or with sup 0 the audit's own. */
void audit_live_init(struct audit_live_ref *ref, pid_t sup,
    bool require_netns);
void audit_live_free(struct audit_live_ref *ref);

/* Check one worker matched to policy p; drifts go to d. Returns the JSON
 * of what was found ("seccomp_filter", "netns", "landlock"). in_tree: a
 * worker that ends meanwhile is not drift. */
json_t *audit_live_check(struct audit_live_ref *ref, struct drift_list *d,
    const struct audit_proc *ap, const struct policy *p, bool in_tree);

/* The lines of that JSON for the text report. */
void audit_live_print(const json_t *live);

#endif
