/* policy: strict parser for the policy/ files (format in policy.h). */
#include "policy.h"
#include "policy_consts.h"
#include "policy_guard.h"
#include "buf.h"
#include "config.h"
#include "ipc_types.h"
#include "log.h"
#include "worker.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLICY_FILE_MAX (256 * 1024)
#define POLICY_MAX_WORDS 64

struct parse {
	const char *name;
	unsigned line;
	unsigned flags;
	bool fragment;          /* sanitizer.policy: syscall lines only */
	struct policy *p;
	char *err;
	size_t errlen;
	unsigned seen_line[16]; /* first line of each single-valued key */
	unsigned rlimit_line[SANDBOX_RL_COUNT];
};

enum key_id {
	K_SERVICE, K_PROCESS, K_USER, K_GROUP, K_ROOT, K_ON_VIOLATION, K_FILES,
	K_RLIMIT, K_SYSCALL, K_SYSCALL_CWD, K_SYSCALL_IF, K_ERRNO, K_STORE_OP,
	K_NETWORK, K_COUNT
};

uint16_t policy_extra_connect_port;

static const char *const key_names[K_COUNT] = {
	[K_SERVICE] = "service", [K_PROCESS] = "process", [K_USER] = "user",
	[K_GROUP] = "group", [K_ROOT] = "root",
	[K_ON_VIOLATION] = "on-violation", [K_FILES] = "files",
	[K_RLIMIT] = "rlimit", [K_SYSCALL] = "syscall",
	[K_SYSCALL_CWD] = "syscall-cwd", [K_SYSCALL_IF] = "syscall-if",
	[K_ERRNO] = "errno",
	[K_STORE_OP] = "store-op", [K_NETWORK] = "network",
};

/* Keys every full policy must have. */
static const enum key_id required[] = {
	K_SERVICE, K_PROCESS, K_USER, K_GROUP, K_ROOT, K_ON_VIOLATION, K_FILES,
};

static const struct {
	const char *name;
	int value;
} errno_names[] = {
	{ "EPERM", EPERM }, { "EACCES", EACCES }, { "ENOSYS", ENOSYS },
	{ "EINVAL", EINVAL }, { "ENOENT", ENOENT },
};

static int fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
fail(struct parse *ps, const char *fmt, ...)
{
	char msg[POLICY_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->name, ps->line, msg);
	return -1;
}

static int
copy_word(struct parse *ps, char *dst, size_t size, const char *w,
    const char *what)
{
	if (buf_strlcpy(dst, size, w, strlen(w)) < 0)
		return fail(ps, "%s too long", what);
	return 0;
}

static bool
is_name(const char *w)
{
	if (*w == '\0')
		return false;
	for (; *w; w++)
		if (!isalnum((unsigned char)*w) && *w != '-' && *w != '_' &&
		    *w != '.')
			return false;
	return true;
}

/* VALUE: N, N[KMG] or unlimited. */
static int
parse_size(const char *w, uint64_t *out)
{
	if (strcmp(w, "unlimited") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)w[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(w, &end, 10);
	if (errno != 0)
		return -1;
	uint64_t mul = 1;
	if (*end == 'K')
		mul = 1024;
	else if (*end == 'M')
		mul = 1024 * 1024;
	else if (*end == 'G')
		mul = 1024ULL * 1024 * 1024;
	else if (*end != '\0')
		return -1;
	if (mul != 1 && end[1] != '\0')
		return -1;
	if (v > (UINT64_MAX - 1) / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static bool
in_list(const int *list, size_t n, int nr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == nr)
			return true;
	return false;
}

static bool
has_arg_rules(const struct sandbox_spec *s, int nr)
{
	for (size_t i = 0; i < s->narg_rules; i++)
		if (s->arg_rules[i].nr == nr)
			return true;
	return false;
}

/* cwd: the syscall-cwd list (AT_FDCWD only) instead of the plain one. */
static int
add_syscall(struct parse *ps, const char *name, bool cwd)
{
	struct sandbox_spec *s = &ps->p->spec;
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return fail(ps, "unknown syscall '%s'", name);
	if (in_list(s->syscalls, s->nsyscalls, nr) ||
	    in_list(s->cwd_syscalls, s->ncwd_syscalls, nr)) {
		if (ps->fragment)
			return 0; /* the sanitizer extras may repeat */
		return fail(ps, "duplicate syscall '%s'", name);
	}
	for (size_t i = 0; i < s->nerrno_rules; i++)
		if (s->errno_rules[i].nr == nr)
			return fail(ps, "syscall '%s' is also an errno rule", name);
	if (!cwd && has_arg_rules(s, nr))
		return fail(ps, "syscall '%s' also has syscall-if rules", name);
	const char *why = cwd ? NULL : policy_guard_plain(nr);
	if (why != NULL)
		return fail(ps, "syscall '%s' is not allowed plain: %s", name, why);
	if (cwd && sandbox_dirfd_args(nr) == 0)
		return fail(ps, "syscall-cwd: '%s' takes no directory fd", name);
	int *list = cwd ? s->cwd_syscalls : s->syscalls;
	size_t *n = cwd ? &s->ncwd_syscalls : &s->nsyscalls;
	if (*n >= SANDBOX_MAX_SYSCALLS)
		return fail(ps, "too many syscalls");
	list[(*n)++] = nr;
	return 0;
}

static int
add_errno_rule(struct parse *ps, int err, const char *name)
{
	struct sandbox_spec *s = &ps->p->spec;
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return fail(ps, "unknown syscall '%s'", name);
	if (in_list(s->syscalls, s->nsyscalls, nr) ||
	    in_list(s->cwd_syscalls, s->ncwd_syscalls, nr) ||
	    has_arg_rules(s, nr))
		return fail(ps, "syscall '%s' is also allowed", name);
	for (size_t i = 0; i < s->nerrno_rules; i++)
		if (s->errno_rules[i].nr == nr)
			return fail(ps, "duplicate errno rule for '%s'", name);
	if (s->nerrno_rules >= SANDBOX_MAX_ERRNO)
		return fail(ps, "too many errno rules");
	s->errno_rules[s->nerrno_rules].nr = nr;
	s->errno_rules[s->nerrno_rules].err = err;
	s->nerrno_rules++;
	return 0;
}

static int
add_store_op(struct parse *ps, const char *name)
{
	struct policy *p = ps->p;
	uint32_t t = ipc_type_by_name(name);
	if (t == IPC_NONE)
		return fail(ps, "unknown store operation '%s'", name);
	for (size_t i = 0; i < p->nstore_ops; i++)
		if (p->store_ops[i] == t)
			return fail(ps, "duplicate store operation '%s'", name);
	if (p->nstore_ops >= POLICY_MAX_STORE_OPS)
		return fail(ps, "too many store operations");
	p->store_ops[p->nstore_ops++] = t;
	return 0;
}

/* VALUE: [~]TERM[|TERM...], TERM a number or a policy_consts name; '~'
 * complements the whole (in 32 bits). */
static int
parse_value(struct parse *ps, const char *text, size_t len, uint32_t *out)
{
	bool invert = len > 0 && text[0] == '~';
	size_t off = invert ? 1 : 0;
	uint32_t v = 0;
	if (off >= len)
		return fail(ps, "empty value in argument test");
	while (off <= len) {
		const char *bar = memchr(text + off, '|', len - off);
		size_t n = bar ? (size_t)(bar - (text + off)) : len - off;
		char term[64];
		if (n == 0 || n >= sizeof(term))
			return fail(ps, "bad value '%.*s'", (int)len, text);
		memcpy(term, text + off, n);
		term[n] = '\0';
		uint32_t t;
		if (isdigit((unsigned char)term[0]) || term[0] == '-') {
			char *end;
			errno = 0;
			long long x = strtoll(term, &end, 0);
			if (errno != 0 || *end != '\0' || x < INT32_MIN ||
			    x > (long long)UINT32_MAX)
				return fail(ps, "bad number '%s'", term);
			t = (uint32_t)x;
		} else if (!policy_const_by_name(term, &t)) {
			return fail(ps, "unknown name '%s' in argument test", term);
		}
		v |= t;
		off += n + 1;
	}
	*out = invert ? ~v : v;
	return 0;
}

/* argN==VALUE, argN>=VALUE or argN&MASK==VALUE. */
static int
parse_arg_test(struct parse *ps, const char *w, struct sandbox_arg_cmp *c)
{
	if (strncmp(w, "arg", 3) != 0 || w[3] < '0' || w[3] > '5')
		return fail(ps, "argument test '%s' must start with arg0..arg5", w);
	c->arg = (unsigned)(w[3] - '0');
	const char *p = w + 4, *eq = strstr(p, "==");
	c->op = SANDBOX_CMP_MASKED_EQ;
	c->mask = 0xffffffffu;
	if (strncmp(p, ">=", 2) == 0) {
		c->op = SANDBOX_CMP_GE;
		return parse_value(ps, p + 2, strlen(p + 2), &c->value);
	}
	if (eq == NULL)
		return fail(ps, "argument test '%s' has no '==' or '>='", w);
	if (*p == '&') {
		if (parse_value(ps, p + 1, (size_t)(eq - p - 1), &c->mask) < 0)
			return -1;
	} else if (p != eq) {
		return fail(ps, "argument test '%s': expected '==', '>=' or '&'", w);
	}
	if (parse_value(ps, eq + 2, strlen(eq + 2), &c->value) < 0)
		return -1;
	if ((c->value & ~c->mask) != 0)
		return fail(ps, "argument test '%s' can never hold", w);
	return 0;
}

static bool
same_rule(const struct sandbox_arg_rule *a, const struct sandbox_arg_rule *b)
{
	if (a->nr != b->nr || a->ncmp != b->ncmp)
		return false;
	for (unsigned i = 0; i < a->ncmp; i++)
		if (a->cmp[i].arg != b->cmp[i].arg || a->cmp[i].op != b->cmp[i].op ||
		    a->cmp[i].mask != b->cmp[i].mask ||
		    a->cmp[i].value != b->cmp[i].value)
			return false;
	return true;
}

/* syscall-if NAME TEST... : why */
static int
add_arg_rule(struct parse *ps, char **w, int nlist)
{
	struct sandbox_spec *s = &ps->p->spec;
	struct sandbox_arg_rule r;
	memset(&r, 0, sizeof(r));
	if (nlist < 3)
		return fail(ps, "syscall-if takes a syscall and argument tests");
	if (nlist - 2 > SANDBOX_MAX_ARG_CMPS)
		return fail(ps, "at most %d argument tests", SANDBOX_MAX_ARG_CMPS);
	r.nr = seccomp_syscall_resolve_name(w[1]);
	if (r.nr == __NR_SCMP_ERROR)
		return fail(ps, "unknown syscall '%s'", w[1]);
	bool ge = false;
	for (int i = 2; i < nlist; i++) {
		struct sandbox_arg_cmp *c = &r.cmp[r.ncmp++];
		if (parse_arg_test(ps, w[i], c) < 0)
			return -1;
		if (c->op == SANDBOX_CMP_GE && ge)
			return fail(ps, "at most one '>=' test per rule");
		ge = ge || c->op == SANDBOX_CMP_GE;
	}
	if (in_list(s->syscalls, s->nsyscalls, r.nr))
		return fail(ps, "syscall '%s' is also allowed without conditions",
		    w[1]);
	for (size_t i = 0; i < s->nerrno_rules; i++)
		if (s->errno_rules[i].nr == r.nr)
			return fail(ps, "syscall '%s' is also an errno rule", w[1]);
	const char *why = policy_guard_rule(&r);
	if (why != NULL)
		return fail(ps, "syscall-if %s: %s", w[1], why);
	for (size_t i = 0; i < s->narg_rules; i++)
		if (same_rule(&s->arg_rules[i], &r)) {
			if (ps->fragment)
				return 0; /* the sanitizer extras may repeat */
			return fail(ps, "duplicate syscall-if rule");
		}
	if (s->narg_rules >= SANDBOX_MAX_ARG_RULES)
		return fail(ps, "too many syscall-if rules");
	s->arg_rules[s->narg_rules++] = r;
	return 0;
}

/* Split "a b c : reason" at the colon; the reason must say something. */
static int
split_reason(struct parse *ps, char **w, int nw, int *nlist)
{
	for (int i = 0; i < nw; i++)
		if (strcmp(w[i], ":") == 0) {
			if (i + 1 >= nw)
				return fail(ps, "empty reason after ':'");
			*nlist = i;
			return 0;
		}
	return fail(ps, "missing ': reason' (say why it is needed)");
}

static int
single(struct parse *ps, enum key_id k, int nw)
{
	if (ps->seen_line[k] != 0)
		return fail(ps, "duplicate '%s' (first at line %u)", key_names[k],
		    ps->seen_line[k]);
	ps->seen_line[k] = ps->line;
	if (nw != 2)
		return fail(ps, "'%s' takes exactly one value", key_names[k]);
	return 0;
}

static int
parse_rlimit(struct parse *ps, char **w, int nw)
{
	if (nw != 3)
		return fail(ps, "rlimit takes a name and a value");
	for (int r = 0; r < SANDBOX_RL_COUNT; r++) {
		if (strcmp(w[1], sandbox_rlimit_name(r)) != 0)
			continue;
		if (ps->rlimit_line[r] != 0)
			return fail(ps, "duplicate rlimit %s (first at line %u)", w[1],
			    ps->rlimit_line[r]);
		ps->rlimit_line[r] = ps->line;
		if (parse_size(w[2], &ps->p->spec.rlimit[r].value) < 0)
			return fail(ps, "bad rlimit value '%s'", w[2]);
		ps->p->spec.rlimit[r].set = true;
		return 0;
	}
	return fail(ps, "unknown rlimit '%s'", w[1]);
}

static int
parse_errno_line(struct parse *ps, char **w, int nw)
{
	int nlist;
	if (split_reason(ps, w, nw, &nlist) < 0)
		return -1;
	if (nlist < 3)
		return fail(ps, "errno takes an errno name and syscalls");
	int err = -1;
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (strcmp(errno_names[i].name, w[1]) == 0)
			err = errno_names[i].value;
	if (err < 0)
		return fail(ps, "unknown errno '%s'", w[1]);
	for (int i = 2; i < nlist; i++)
		if (add_errno_rule(ps, err, w[i]) < 0)
			return -1;
	return 0;
}

static int
parse_list_line(struct parse *ps, enum key_id k, char **w, int nw)
{
	int nlist;
	if (split_reason(ps, w, nw, &nlist) < 0)
		return -1;
	if (nlist < 2)
		return fail(ps, "'%s' names nothing", key_names[k]);
	if (k == K_SYSCALL_IF)
		return add_arg_rule(ps, w, nlist);
	for (int i = 1; i < nlist; i++) {
		int r = k == K_STORE_OP ? add_store_op(ps, w[i])
		    : add_syscall(ps, w[i], k == K_SYSCALL_CWD);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
check_user(struct parse *ps, const char *user)
{
	if (!(ps->flags & POLICY_CHECK_USERS))
		return 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL)
		return fail(ps, "no such user '%s' (did the install step run?)",
		    user);
	if (pw->pw_uid == 0)
		return fail(ps, "user '%s' is root: a service never runs as root",
		    user);
	return 0;
}

static int
check_group(struct parse *ps, const char *group)
{
	if (!(ps->flags & POLICY_CHECK_USERS))
		return 0;
	struct group *gr = getgrnam(group);
	if (gr == NULL)
		return fail(ps, "no such group '%s'", group);
	if (gr->gr_gid == 0)
		return fail(ps, "group '%s' is gid 0", group);
	return 0;
}

static int
parse_line(struct parse *ps, char **w, int nw)
{
	struct policy *p = ps->p;
	struct sandbox_spec *s = &p->spec;
	int k;

	for (k = 0; k < K_COUNT; k++)
		if (strcmp(w[0], key_names[k]) == 0)
			break;
	if (k == K_COUNT)
		return fail(ps, "unknown key '%s'", w[0]);
	if (ps->fragment && k != K_SYSCALL && k != K_SYSCALL_IF)
		return fail(ps, "only 'syscall' and 'syscall-if' lines belong in"
		    " this file");

	switch ((enum key_id)k) {
	case K_SERVICE:
		if (single(ps, k, nw) < 0)
			return -1;
		if (!is_name(w[1]))
			return fail(ps, "bad service name '%s'", w[1]);
		return copy_word(ps, s->service, sizeof(s->service), w[1],
		    "service name");
	case K_PROCESS:
		if (single(ps, k, nw) < 0)
			return -1;
		if (!is_name(w[1]))
			return fail(ps, "bad process name '%s'", w[1]);
		return copy_word(ps, p->process, sizeof(p->process), w[1],
		    "process name");
	case K_USER:
		if (single(ps, k, nw) < 0 ||
		    copy_word(ps, s->user, sizeof(s->user), w[1], "user") < 0)
			return -1;
		return check_user(ps, s->user);
	case K_GROUP:
		if (single(ps, k, nw) < 0 ||
		    copy_word(ps, s->group, sizeof(s->group), w[1], "group") < 0)
			return -1;
		return check_group(ps, s->group);
	case K_ROOT:
		if (single(ps, k, nw) < 0)
			return -1;
		if (w[1][0] != '/' || strstr(w[1], "..") != NULL)
			return fail(ps, "root must be an absolute path without '..'");
		if (strcmp(w[1], "/") == 0)
			return fail(ps, "root '/' is no confinement");
		return copy_word(ps, s->root, sizeof(s->root), w[1], "root");
	case K_ON_VIOLATION:
		if (single(ps, k, nw) < 0)
			return -1;
		if (strcmp(w[1], "kill") == 0)
			s->on_violation = SANDBOX_KILL;
		else if (strcmp(w[1], "log-eperm") == 0)
			s->on_violation = SANDBOX_LOG_EPERM;
		else
			return fail(ps, "on-violation is 'kill' or 'log-eperm'");
		return 0;
	case K_FILES:
		if (single(ps, k, nw) < 0)
			return -1;
		if (strcmp(w[1], "none") == 0)
			p->files_own = false;
		else if (strcmp(w[1], "own") == 0)
			p->files_own = true;
		else
			return fail(ps, "files is 'none' or 'own'");
		return 0;
	case K_NETWORK:
		if (single(ps, k, nw) < 0)
			return -1;
		if (strcmp(w[1], "none") == 0)
			s->host_network = false;
		else if (strcmp(w[1], "host") == 0) {
			s->host_network = true;
			s->connect_ports[0] = 443;
			s->connect_ports[1] = 53;
			s->nconnect_ports = 2;
			if (policy_extra_connect_port != 0)
				s->connect_ports[s->nconnect_ports++] =
				    policy_extra_connect_port;
		}
		else
			return fail(ps, "network is 'none' or 'host'");
		return 0;
	case K_RLIMIT:
		return parse_rlimit(ps, w, nw);
	case K_SYSCALL:
	case K_SYSCALL_CWD:
	case K_SYSCALL_IF:
	case K_STORE_OP:
		return parse_list_line(ps, k, w, nw);
	case K_ERRNO:
		return parse_errno_line(ps, w, nw);
	case K_COUNT:
		break;
	}
	return fail(ps, "unreachable");
}

/* Split a line into words; '#' starts a comment; a ':' glued to a word is
 * split off so "read: why" and "read : why" mean the same. */
static int
split_words(struct parse *ps, char *line, char **w)
{
	int nw = 0;
	char *hash = strchr(line, '#');
	if (hash != NULL)
		*hash = '\0';
	char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (nw >= POLICY_MAX_WORDS - 2)
			return fail(ps, "line has too many words");
		if (*p != ':') {
			w[nw++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != ':')
				p++;
			if (*p != ':') {
				if (*p)
					*p++ = '\0';
				continue;
			}
			*p = '\0';
		}
		/* a colon: what follows is the reason, free text, one word */
		w[nw++] = ":";
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			w[nw++] = p;
		break;
	}
	return nw;
}

static int
parse_text(struct parse *ps, const char *text, size_t len)
{
	if (len > POLICY_FILE_MAX)
		return fail(ps, "file too large");
	size_t off = 0;
	ps->line = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		ps->line++;
		char line[1024];
		if (n >= sizeof(line))
			return fail(ps, "line too long");
		memcpy(line, text + off, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL)
			return fail(ps, "NUL byte in line");
		off += n + (nl ? 1 : 0);
		char *w[POLICY_MAX_WORDS];
		int nw = split_words(ps, line, w);
		if (nw < 0)
			return -1;
		if (nw == 0)
			continue;
		if (parse_line(ps, w, nw) < 0)
			return -1;
	}
	return 0;
}

static int
read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	if (buf_read_file(out, path) < 0) {
		snprintf(err, errlen, "%s:0: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
merge_sanitizer_extras(const char *path, struct policy *p, char *err,
    size_t errlen)
{
	char dir[SANDBOX_PATH_MAX], extra[SANDBOX_PATH_MAX + 32];
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 1;
	if (buf_strlcpy(dir, sizeof(dir), slash ? path : ".", dlen) < 0 ||
	    buf_snprintf(extra, sizeof(extra), "%s/sanitizer.policy", dir) < 0) {
		snprintf(err, errlen, "%s:0: path too long", path);
		return -1;
	}
	struct buf b = BUF_INIT(POLICY_FILE_MAX);
	if (read_file(extra, &b, err, errlen) < 0) {
		buf_free(&b);
		return -1;
	}
	struct parse ps = {
		.name = extra, .flags = 0, .fragment = true, .p = p,
		.err = err, .errlen = errlen,
	};
	int r = parse_text(&ps, (const char *)b.data, b.len);
	buf_free(&b);
	return r;
}

/* Landlock's view of the root follows from what the policy already says:
 * 'files none' opens nothing; 'files own' reads its tree, and may change
 * it only if a call that changes a tree is allowed (stored, not authd). */
static enum sandbox_tree
landlock_tree(const struct policy *p)
{
	static const char *const changes_tree[] = {
		"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename",
		"renameat", "renameat2", "link", "linkat", "creat",
	};
	if (!p->files_own)
		return SANDBOX_TREE_NONE;
	for (size_t i = 0; i < sizeof(changes_tree) / sizeof(changes_tree[0]);
	    i++) {
		int nr = seccomp_syscall_resolve_name(changes_tree[i]);
		if (nr != __NR_SCMP_ERROR && policy_allows_syscall(p, nr))
			return SANDBOX_TREE_OWN;
	}
	return SANDBOX_TREE_READ;
}

int
policy_parse(const char *name, const char *text, size_t len, unsigned flags,
    struct policy *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	struct parse ps = {
		.name = name, .flags = flags, .p = p, .err = err, .errlen = errlen,
	};
	if (buf_strlcpy(p->path, sizeof(p->path), name, strlen(name)) < 0)
		return fail(&ps, "path too long");
	if (parse_text(&ps, text, len) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (ps.seen_line[required[i]] == 0)
			return fail(&ps, "missing required key '%s'",
			    key_names[required[i]]);
	if (p->spec.nsyscalls == 0 && p->spec.ncwd_syscalls == 0 &&
	    p->spec.narg_rules == 0)
		return fail(&ps, "no syscall lines: nothing could run");
	p->spec.tree = landlock_tree(p);
	return 0;
}

int
policy_load(const char *path, unsigned flags, struct policy *p, char *err,
    size_t errlen)
{
	struct buf b = BUF_INIT(POLICY_FILE_MAX);
	if (read_file(path, &b, err, errlen) < 0) {
		buf_free(&b);
		return -1;
	}
	int r = policy_parse(path, (const char *)b.data, b.len, flags, p, err,
	    errlen);
	buf_free(&b);
	if (r == 0 && ((flags & POLICY_SANITIZER_ALWAYS) ||
	    ((flags & POLICY_SANITIZER_EXTRAS) && sandbox_sanitized_build())))
		r = merge_sanitizer_extras(path, p, err, errlen);
	return r;
}

bool
policy_allows_syscall(const struct policy *p, int nr)
{
	return in_list(p->spec.syscalls, p->spec.nsyscalls, nr) ||
	    in_list(p->spec.cwd_syscalls, p->spec.ncwd_syscalls, nr) ||
	    has_arg_rules(&p->spec, nr);
}

bool
policy_allows_store_op(const struct policy *p, uint32_t type)
{
	for (size_t i = 0; i < p->nstore_ops; i++)
		if (p->store_ops[i] == type)
			return true;
	return false;
}

void
policy_confine(const char *path, const struct worker_args *ids,
    const int *keep, size_t nkeep)
{
	static struct policy p;
	char err[POLICY_ERR_MAX];
	if (policy_load(path, POLICY_DEFAULT_FLAGS, &p, err, sizeof(err)) < 0)
		log_fatal("policy: %s", err);
	if (ids != NULL) {
		p.spec.instance_uid = (unsigned)ids->uid;
		p.spec.instance_gid = (unsigned)ids->gid;
	}
	/* the spool and the password db are reached through their group */
	p.spec.group_access = p.files_own;
	sandbox_confine(&p.spec, keep, nkeep);
}
