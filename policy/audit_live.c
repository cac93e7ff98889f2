/*
 * audit_live: the live seccomp filter, the network namespace and Landlock
 * of one worker.
 *
 * The worker loads one filter (sandbox step 9, built by sandbox.c from
 * its policy, sanitizer.policy merged in a sanitizer build) on top of
 * whatever its parent held at fork. So the live stack must be exactly the
 * parent's stack (the kernel's indexes 0..n-2, oldest first) and on top,
 * the newest, the program sandbox_filter_bpf() builds from the policy.
 */
#include "audit_live.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS_NET 1   /* audit_ns_names[1] is "net" */

void
audit_live_init(struct audit_live_ref *ref, pid_t sup, bool require_netns)
{
	memset(ref, 0, sizeof(*ref));
	ref->require_netns = require_netns;
	ref->parent = -1;
	/* without a supervisor: the audit's own, which is the host's (pid 1
	 * may be out of sight in a container) */
	char path[64];
	if (sup > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sup);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	char link[sizeof(ref->netns)];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	memcpy(ref->netns, link, sizeof(link));
	ref->netns_whose = sup > 0 ? "cloisterd's" : "the host's";
}

void
audit_live_free(struct audit_live_ref *ref)
{
	audit_stack_free(&ref->parent_stack);
}

/* The parent's filters, read once per parent: with none in /proc, no
 * need to stop it. */
static int
parent_stack(struct audit_live_ref *ref, pid_t ppid)
{
	if (ref->parent == ppid)
		return ref->parent_rc;
	audit_stack_free(&ref->parent_stack);
	ref->parent = ppid;
	ref->parent_err[0] = '\0';
	static struct audit_proc pap;
	if (audit_proc_read(ppid, &pap) < 0) {
		buf_snprintf(ref->parent_err, sizeof(ref->parent_err), "gone");
		ref->parent_rc = -1;
	} else if (pap.seccomp_filters <= 0)
		ref->parent_rc = 0;
	else
		ref->parent_rc = audit_stack_read(ppid, &ref->parent_stack,
		    ref->parent_err, sizeof(ref->parent_err));
	return ref->parent_rc;
}

/* The program the worker builds: the same policy file, read as the
 * worker reads it (sanitizer.policy merged when it is a sanitizer build). */
static int
policy_program(const struct policy *p, bool sanitized, struct sock_fprog *out,
    char *err, size_t errlen)
{
	static struct policy again;
	unsigned flags = POLICY_CHECK_USERS |
	    (sanitized ? POLICY_SANITIZER_ALWAYS : 0);
	if (policy_load(p->path, flags, &again, err, errlen) < 0)
		return -1;
	if (sandbox_filter_bpf(&again.spec, out) < 0) {
		buf_snprintf(err, errlen, "%s: the filter could not be built",
		    p->path);
		return -1;
	}
	return 0;
}

/* The newest filter against the policy, the older ones against the
 * parent's stack. */
static void
compare_stack(struct audit_live_ref *ref, struct drift_list *d,
    const struct audit_proc *ap, const struct policy *p,
    const struct audit_stack *live, const struct sock_fprog *want, json_t *o)
{
	const char *svc = p->spec.service;
	const struct sock_fprog *newest = live->n > 0 ? &live->f[live->n - 1]
	    : NULL;
	json_t *lens = json_array();
	for (int i = 0; i < live->n; i++)
		json_array_append_new(lens, json_integer(live->f[i].len));
	json_object_set_new(o, "live_instructions", lens);
	long k = newest != NULL ? audit_filter_diff(newest, want) : 0;
	bool match = newest != NULL && k < 0 && !live->truncated;
	if (newest == NULL && ap->seccomp_filters > 0)
		/* EINVAL for a filtered process: a kernel built without
		 * CONFIG_CHECKPOINT_RESTORE keeps no copy to hand out */
		drift(d, ap, svc, "live seccomp filter unreadable: /proc counts %d,"
		    " the kernel hands out none", ap->seccomp_filters);
	else if (newest == NULL)
		drift(d, ap, svc, "no live seccomp filter; %s compiles to %u"
		    " instructions", p->path, (unsigned)want->len);
	else if (k >= 0)
		drift(d, ap, svc, "live seccomp filter differs from %s (%u vs %u"
		    " instructions, first difference at %ld)", p->path,
		    (unsigned)newest->len, (unsigned)want->len, k);
	json_object_set_new(o, "first_difference",
	    k < 0 ? json_null() : json_integer(k));
	int inherited = 0;
	if (parent_stack(ref, ap->ppid) < 0) {
		drift(d, ap, svc, "the parent's (pid %d) seccomp filters"
		    " unreadable: %s", (int)ap->ppid, ref->parent_err);
		match = false;
	} else {
		inherited = ref->parent_stack.n;
		bool count_ok = live->n == inherited + 1 && !live->truncated;
		/* none at all is named above */
		if (newest != NULL && !count_ok) {
			drift(d, ap, svc, "%d%s seccomp filters live, the worker installs"
			    " 1 on top of its parent's %d", live->n,
			    live->truncated ? "+" : "", inherited);
			match = false;
		}
		for (int i = 0; i < live->n - 1 && i < inherited; i++)
			if (audit_filter_diff(&live->f[i],
			    &ref->parent_stack.f[i]) >= 0) {
				drift(d, ap, svc, "inherited seccomp filter %d differs"
				    " from the parent's (pid %d)", i, (int)ap->ppid);
				match = false;
			}
	}
	json_object_set_new(o, "inherited_filters", json_integer(inherited));
	json_object_set_new(o, "match", json_boolean(match));
}

static json_t *
check_filter(struct audit_live_ref *ref, struct drift_list *d,
    const struct audit_proc *ap, const struct policy *p, bool in_tree)
{
	json_t *o = json_object();
	bool san = audit_proc_is_sanitized(ap);
	char err[POLICY_ERR_MAX];
	struct sock_fprog want = { 0, NULL };
	json_object_set_new(o, "policy", json_string(p->path));
	json_object_set_new(o, "sanitizer_extras", json_boolean(san));
	if (policy_program(p, san, &want, err, sizeof(err)) < 0) {
		drift(d, ap, p->spec.service, "policy filter: %s", err);
		json_object_set_new(o, "error", json_string(err));
		json_object_set_new(o, "match", json_false());
		return o;
	}
	json_object_set_new(o, "policy_instructions", json_integer(want.len));
	struct audit_stack live;
	if (audit_stack_read(ap->pid, &live, err, sizeof(err)) < 0) {
		if (!(in_tree && strcmp(err, "gone") == 0))
			drift(d, ap, p->spec.service, "live seccomp filter unreadable:"
			    " %s", err);
		json_object_set_new(o, "error", json_string(err));
		json_object_set_new(o, "match", json_false());
	} else {
		compare_stack(ref, d, ap, p, &live, &want, o);
		audit_stack_free(&live);
	}
	free(want.filter);
	return o;
}

json_t *
audit_live_check(struct audit_live_ref *ref, struct drift_list *d,
    const struct audit_proc *ap, const struct policy *p, bool in_tree)
{
	json_t *live = json_object();
	json_object_set_new(live, "seccomp_filter",
	    check_filter(ref, d, ap, p, in_tree));
	bool own = ref->netns[0] != '\0' && ap->ns[NS_NET][0] != '\0' &&
	    strcmp(ap->ns[NS_NET], ref->netns) != 0;
	/* "network host" (pushd, the one role cloisterd allows it): sharing
	 * the host's namespace is its policy, not drift */
	json_object_set_new(live, "netns", json_string(own ? "own" :
	    p->spec.host_network ? "host" : "shared"));
	json_object_set_new(live, "netns_reference",
	    json_string(ref->netns_whose));
	if (!own && !p->spec.host_network && ref->require_netns)
		drift(d, ap, p->spec.service, "shares %s netns, an own netns is"
		    " required", ref->netns_whose);
	else if (!own && !p->spec.host_network)
		drift_warn(ap, p->spec.service, "shares %s netns",
		    ref->netns_whose);
	/* Landlock keeps no trace in /proc: say so rather than guess */
	json_object_set_new(live, "landlock",
	    json_string("not visible from /proc"));
	return live;
}

void
audit_live_print(const json_t *live)
{
	const json_t *f = json_object_get(live, "seccomp_filter");
	const char *path = json_string_value(json_object_get(f, "policy"));
	const char *err = json_string_value(json_object_get(f, "error"));
	const json_t *lens = json_object_get(f, "live_instructions");
	if (err != NULL)
		printf("  seccomp filter: not compared with %s: %s\n", path, err);
	else
		printf("  seccomp filter: %s %s (%zu live, newest %lld"
		    " instructions; policy %lld; %lld inherited)\n",
		    json_is_true(json_object_get(f, "match")) ? "matches" :
		    "DIFFERS from", path, json_array_size(lens),
		    json_integer_value(json_array_get(lens,
		    json_array_size(lens) > 0 ? json_array_size(lens) - 1 : 0)),
		    json_integer_value(json_object_get(f, "policy_instructions")),
		    json_integer_value(json_object_get(f, "inherited_filters")));
	bool own = strcmp(json_string_value(json_object_get(live, "netns")),
	    "own") == 0;
	if (own)
		printf("  netns: own netns\n");
	else
		printf("  netns: shares %s netns\n",
		    json_string_value(json_object_get(live, "netns_reference")));
	printf("  landlock: %s\n",
	    json_string_value(json_object_get(live, "landlock")));
}
