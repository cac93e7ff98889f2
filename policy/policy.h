/*
 * policy: the reviewed, commented file that says what one service may do.
 *
 *   service       imapd
 *   process       cloister-imapd        executable name (cloister-audit)
 *   user / group  cloister-imap
 *   root          /var/lib/cloister/root/imapd
 *   on-violation  kill | log-eperm      (log-eperm: debugging only)
 *   files         none | own            may it hold regular files open?
 *                                       (also Landlock's view of the root:
 *                                       none, read, or read-write when a
 *                                       tree-changing call is allowed)
 *   rlimit NAME VALUE                   nofile nproc core as data fsize;
 *                                       VALUE: N, NK, NM, NG or unlimited
 *   syscall NAME... : why               the allowlist, a reason per line
 *   syscall-cwd NAME... : why           *at() calls, only with AT_FDCWD
 *   syscall-if NAME TEST... : why       allowed only when every TEST holds:
 *                                       argN==V, argN&M==V, argN>=V (32 bits)
 *   errno ERRNO NAME... : why           fail these calls instead of killing
 *   store-op NAME... : why              store requests it may send
 *   network       none | host           host: keep the host's network
 *                                       namespace (pushd only: cloisterd
 *                                       refuses it for any other role)
 *
 * The parser is strict: unknown key, duplicate, bad value, unknown syscall,
 * missing reason or missing required key -> "file:line: message"; fcntl,
 * mmap, mprotect, setsockopt and newfstatat need the argument rules that
 * policy_guard.h names (docs/policy-format.md).
 */
#ifndef CLOISTER_POLICY_H
#define CLOISTER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox.h"

#define POLICY_MAX_STORE_OPS 128
#define POLICY_ERR_MAX 512

struct policy {
	char path[SANDBOX_PATH_MAX];
	char process[SANDBOX_NAME_MAX];
	bool files_own;                  /* "files own" */
	struct sandbox_spec spec;
	uint32_t store_ops[POLICY_MAX_STORE_OPS];
	size_t nstore_ops;
};

enum policy_flags {
	/* check that user and group exist on this system (default for
	 * every caller that will confine or audit) */
	POLICY_CHECK_USERS = 1u << 0,
	/* merge sanitizer.policy from the same directory in ASan builds */
	POLICY_SANITIZER_EXTRAS = 1u << 1,
	/* merge it whatever this build is: cloister-audit rebuilding the
	 * filter of a worker that is a sanitizer build */
	POLICY_SANITIZER_ALWAYS = 1u << 2,
};
#define POLICY_DEFAULT_FLAGS (POLICY_CHECK_USERS | POLICY_SANITIZER_EXTRAS)

/* Parse path into p. 0 on success; -1 with "file:line: message" in err. */
int policy_load(const char *path, unsigned flags, struct policy *p,
    char *err, size_t errlen);
/* Parse from memory (tests, fuzzing); name is used in messages. */
int policy_parse(const char *name, const char *text, size_t len,
    unsigned flags, struct policy *p, char *err, size_t errlen);

/* A port besides 443 and 53 a "network host" policy lets the process
 * connect to (pushd's push-test-port, set from its root-owned config
 * before it loads its policy); 0: none. */
extern uint16_t policy_extra_connect_port;

bool policy_allows_syscall(const struct policy *p, int nr);
bool policy_allows_store_op(const struct policy *p, uint32_t type);

/* Load a policy and confine under it, or die naming the problem. ids: the
 * worker's argv (--uid/--gid: the instance's own ids from the supervisor,
 * with the policy's group as the one supplementary group if the service
 * has 'files own'); NULL or no ids: the policy's user and group. */
struct worker_args;
void policy_confine(const char *path, const struct worker_args *ids,
    const int *keep, size_t nkeep);

#endif
