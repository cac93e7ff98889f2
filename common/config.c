/* config: strict parser for the Cloister configuration (see config.h). */
#include "config.h"
#include "buf.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_MAX_WORDS 32

struct cparse {
	const char *name;
	unsigned line;
	struct config *c;
	struct config_service *svc;   /* inside "service X { ... }" */
	char *err;
	size_t errlen;
	unsigned seen_global[8];
	unsigned seen_svc[16];
};

static int cfail(struct cparse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
cfail(struct cparse *ps, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->name, ps->line, msg);
	return -1;
}

static int
copy(struct cparse *ps, char *dst, size_t size, const char *src,
    const char *what)
{
	if (buf_strlcpy(dst, size, src, strlen(src)) < 0)
		return cfail(ps, "%s too long", what);
	return 0;
}

static int
parse_uint(const char *w, unsigned max, unsigned *out)
{
	if (!isdigit((unsigned char)w[0]))
		return -1;
	errno = 0;
	char *end;
	unsigned long v = strtoul(w, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static bool
is_name(const char *w)
{
	size_t n = strlen(w);
	if (n == 0 || n >= CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && w[i] != '-' && w[i] != '_')
			return false;
	return true;
}

/* Keys that appear once, at top level. */
enum gkey {
	G_STATE, G_RUNTIME, G_POLICY, G_SHARDS, G_UIDS, G_LOGFILE, G_LOGSYSLOG,
	G_COUNT
};
static const char *const gkey_names[G_COUNT] = {
	"state-dir", "runtime-dir", "policy-dir", "store-shards", "worker-uids",
	"log-file", "log-syslog",
};

/* log-syslog's values besides yes/no: the facilities a mail server uses */
static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "mail", LOG_MAIL }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int
parse_log_syslog(struct cparse *ps, const char *w)
{
	struct config *c = ps->c;
	c->log_syslog = strcmp(w, "no") != 0;
	if (strcmp(w, "yes") == 0 || strcmp(w, "no") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(w, facilities[i].name) == 0) {
			c->log_facility = facilities[i].code;
			return 0;
		}
	return cfail(ps, "log-syslog is yes, no, daemon, mail, user or"
	    " local0..local7");
}

/* Keys that appear once inside a service block. */
enum skey {
	S_ROLE, S_BINARY, S_POLICY, S_SPARES, S_MAXPROC, S_MAXIP, S_BACKLOG,
	S_PRELOGIN, S_MAXPRELOGIN, S_COUNT
};
static const char *const skey_names[S_COUNT] = {
	"role", "binary", "policy", "spares", "max-processes", "max-per-ip",
	"backlog", "prelogin-timeout", "max-prelogin",
};

static const char *const role_names[] = {
	[ROLE_CONNECTION] = "connection", [ROLE_AUTH] = "auth",
	[ROLE_STORE] = "store", [ROLE_STATS] = "stats", [ROLE_KEY] = "key",
	[ROLE_SUBMIT] = "submit", [ROLE_PUSH] = "push",
};
static const char *const tls_names[] = {
	[TLS_PLAIN] = "plain", [TLS_STARTTLS] = "starttls",
	[TLS_IMPLICIT] = "tls",
};

const char *
config_role_name(enum config_role r)
{
	return role_names[r];
}

const char *
config_tls_name(enum config_tls t)
{
	return tls_names[t];
}

static int
add_option(struct cparse *ps, struct config_option *opts, size_t *n,
    char **w, int nw)
{
	if (nw < 3)
		return cfail(ps, "'set' takes a key and a value");
	for (size_t i = 0; i < *n; i++)
		if (strcmp(opts[i].key, w[1]) == 0)
			return cfail(ps, "duplicate option '%s' (first at line %u)", w[1],
			    opts[i].line);
	if (*n >= CONFIG_MAX_OPTIONS)
		return cfail(ps, "too many options");
	struct config_option *o = &opts[*n];
	memset(o, 0, sizeof(*o));
	if (copy(ps, o->key, sizeof(o->key), w[1], "option name") < 0)
		return -1;
	/* the value is the rest of the line, words joined by one space */
	struct buf b = BUF_INIT(sizeof(o->value) - 1);
	for (int i = 2; i < nw; i++) {
		if (i > 2)
			buf_append_byte(&b, ' ');
		buf_append_str(&b, w[i]);
	}
	int r = b.failed ? cfail(ps, "option value too long")
	    : copy(ps, o->value, sizeof(o->value), buf_cstr(&b), "value");
	buf_free(&b);
	if (r < 0)
		return -1;
	o->line = ps->line;
	(*n)++;
	return 0;
}

static int
parse_tcp_addr(struct cparse *ps, struct config_listener *l, const char *w)
{
	const char *host = w, *colon;
	size_t hlen;
	if (w[0] == '[') {
		const char *rb = strchr(w, ']');
		if (rb == NULL || rb[1] != ':')
			return cfail(ps, "bad address '%s' (IPv6 is [addr]:port)", w);
		host = w + 1;
		hlen = (size_t)(rb - host);
		colon = rb + 1;
		l->family = AF_INET6;
	} else {
		colon = strrchr(w, ':');
		if (colon == NULL)
			return cfail(ps, "bad address '%s' (want host:port)", w);
		hlen = (size_t)(colon - w);
		l->family = AF_INET;
	}
	if (buf_strlcpy(l->host, sizeof(l->host), host, hlen) < 0)
		return cfail(ps, "address too long");
	unsigned char tmp[16];
	if (inet_pton(l->family, l->host, tmp) != 1)
		return cfail(ps, "bad %s address '%s' (numeric only)",
		    l->family == AF_INET ? "IPv4" : "IPv6", l->host);
	unsigned port;
	if (parse_uint(colon + 1, 65535, &port) < 0 || port == 0)
		return cfail(ps, "bad port '%s'", colon + 1);
	l->port = (uint16_t)port;
	return 0;
}

static int
parse_listen(struct cparse *ps, char **w, int nw)
{
	struct config_service *s = ps->svc;
	if (nw < 5)
		return cfail(ps, "listen NAME tcp|unix ADDRESS MODE [owner= group= mode=]");
	if (!is_name(w[1]))
		return cfail(ps, "bad listener name '%s'", w[1]);
	for (size_t i = 0; i < s->nlisteners; i++)
		if (strcmp(s->listeners[i].name, w[1]) == 0)
			return cfail(ps, "duplicate listener '%s'", w[1]);
	if (s->nlisteners >= CONFIG_MAX_LISTENERS)
		return cfail(ps, "too many listeners");
	struct config_listener *l = &s->listeners[s->nlisteners];
	memset(l, 0, sizeof(*l));
	l->line = ps->line;
	copy(ps, l->name, sizeof(l->name), w[1], "listener name");
	if (strcmp(w[2], "tcp") == 0) {
		if (parse_tcp_addr(ps, l, w[3]) < 0)
			return -1;
		if (nw != 5)
			return cfail(ps, "owner/group/mode are for unix listeners");
	} else if (strcmp(w[2], "unix") == 0) {
		l->family = AF_UNIX;
		l->mode = 0600;
		if (w[3][0] != '/')
			return cfail(ps, "unix socket path must be absolute");
		if (copy(ps, l->path, sizeof(l->path), w[3], "socket path") < 0)
			return -1;
		for (int i = 5; i < nw; i++) {
			if (strncmp(w[i], "owner=", 6) == 0) {
				if (copy(ps, l->owner, sizeof(l->owner), w[i] + 6, "owner") < 0)
					return -1;
			} else if (strncmp(w[i], "group=", 6) == 0) {
				if (copy(ps, l->group, sizeof(l->group), w[i] + 6, "group") < 0)
					return -1;
			} else if (strncmp(w[i], "mode=", 5) == 0) {
				char *end;
				unsigned long m = strtoul(w[i] + 5, &end, 8);
				if (*end != '\0' || m > 0777 || w[i][5] == '\0')
					return cfail(ps, "bad mode '%s'", w[i] + 5);
				l->mode = (unsigned)m;
			} else {
				return cfail(ps, "unknown listener setting '%s'", w[i]);
			}
		}
	} else {
		return cfail(ps, "listener kind is tcp or unix, not '%s'", w[2]);
	}
	int t;
	for (t = 0; t <= TLS_IMPLICIT; t++)
		if (strcmp(w[4], tls_names[t]) == 0)
			break;
	if (t > TLS_IMPLICIT)
		return cfail(ps, "listener mode is plain, starttls or tls, not '%s'",
		    w[4]);
	l->tls = (enum config_tls)t;
	/* the same address twice, in any service, cannot be bound */
	for (size_t i = 0; i < ps->c->nservices + 1; i++) {
		const struct config_service *o = &ps->c->services[i];
		for (size_t j = 0; j < o->nlisteners; j++) {
			const struct config_listener *m = &o->listeners[j];
			if (m->family == l->family &&
			    ((l->family == AF_UNIX && strcmp(m->path, l->path) == 0) ||
			    (l->family != AF_UNIX && m->port == l->port &&
			    strcmp(m->host, l->host) == 0)))
				return cfail(ps, "address already used by listener '%s'"
				    " (line %u)", m->name, m->line);
		}
	}
	s->nlisteners++;
	return 0;
}

static int
once(struct cparse *ps, unsigned *seen, const char *key, int nw, int want)
{
	if (*seen != 0)
		return cfail(ps, "duplicate '%s' (first at line %u)", key, *seen);
	*seen = ps->line;
	if (nw != want)
		return cfail(ps, "'%s' takes %d value%s", key, want - 1,
		    want == 2 ? "" : "s");
	return 0;
}

static int
parse_service_line(struct cparse *ps, char **w, int nw)
{
	struct config_service *s = ps->svc;
	if (strcmp(w[0], "listen") == 0)
		return parse_listen(ps, w, nw);
	if (strcmp(w[0], "set") == 0)
		return add_option(ps, s->options, &s->noptions, w, nw);
	int k;
	for (k = 0; k < S_COUNT; k++)
		if (strcmp(w[0], skey_names[k]) == 0)
			break;
	if (k == S_COUNT)
		return cfail(ps, "unknown key '%s' in service %s", w[0], s->name);
	if (once(ps, &ps->seen_svc[k], w[0], nw, 2) < 0)
		return -1;
	unsigned *num = NULL, max = 1000000;
	switch ((enum skey)k) {
	case S_ROLE:
		for (int r = 0; r <= ROLE_PUSH; r++)
			if (strcmp(w[1], role_names[r]) == 0) {
				s->role = (enum config_role)r;
				return 0;
			}
		return cfail(ps, "role is connection, auth, store, stats, key, submit or push");
	case S_BINARY:
		if (w[1][0] != '/')
			return cfail(ps, "binary must be an absolute path");
		if (access(w[1], X_OK) < 0)
			return cfail(ps, "binary %s: %s", w[1], strerror(errno));
		return copy(ps, s->binary, sizeof(s->binary), w[1], "binary");
	case S_POLICY:
		return copy(ps, s->policy, sizeof(s->policy), w[1], "policy");
	case S_SPARES:
		num = &s->spares;
		max = 10000;
		break;
	case S_MAXPROC:
		num = &s->max_processes;
		max = 100000;
		break;
	case S_MAXIP:
		num = &s->max_per_ip;
		max = 100000;
		break;
	case S_BACKLOG:
		num = &s->backlog;
		max = 65535;
		break;
	case S_PRELOGIN:
		num = &s->prelogin_timeout;
		max = 3600;
		break;
	case S_MAXPRELOGIN:
		num = &s->max_prelogin;
		max = 100000;
		break;
	case S_COUNT:
		break;
	}
	if (num == NULL || parse_uint(w[1], max, num) < 0)
		return cfail(ps, "bad value '%s' for %s (0..%u)", w[1], w[0], max);
	return 0;
}

static int
begin_service(struct cparse *ps, char **w, int nw)
{
	struct config *c = ps->c;
	if (nw != 3 || strcmp(w[2], "{") != 0)
		return cfail(ps, "service NAME {");
	if (!is_name(w[1]))
		return cfail(ps, "bad service name '%s' (letters, digits, - _; max %d)",
		    w[1], CONFIG_NAME_MAX - 1);
	/* the store's admin right is a flag the supervisor sets for root's
	 * admin socket alone; a service of that name would be confusing at
	 * best (logs, peers that still look at names) */
	if (strcmp(w[1], CONFIG_RESERVED_SERVICE) == 0)
		return cfail(ps, "service name '%s' is reserved for root's admin"
		    " connections to the store", w[1]);
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i].name, w[1]) == 0)
			return cfail(ps, "duplicate service '%s' (first at line %u)",
			    w[1], c->services[i].line);
	if (c->nservices >= CONFIG_MAX_SERVICES)
		return cfail(ps, "too many services");
	struct config_service *s = &c->services[c->nservices];
	memset(s, 0, sizeof(*s));
	copy(ps, s->name, sizeof(s->name), w[1], "service name");
	s->line = ps->line;
	s->spares = 2;
	s->max_processes = 100;
	s->max_per_ip = 10;
	s->backlog = 4096;
	s->prelogin_timeout = 60;
	s->max_prelogin = 40;
	memset(ps->seen_svc, 0, sizeof(ps->seen_svc));
	ps->svc = s;
	return 0;
}

static int
end_service(struct cparse *ps)
{
	struct config_service *s = ps->svc;
	static const enum skey required[] = { S_ROLE, S_BINARY, S_POLICY };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (ps->seen_svc[required[i]] == 0)
			return cfail(ps, "service %s: missing '%s'", s->name,
			    skey_names[required[i]]);
	if (s->role == ROLE_CONNECTION && s->nlisteners == 0)
		return cfail(ps, "service %s: a connection service needs a listener",
		    s->name);
	if ((s->role == ROLE_AUTH || s->role == ROLE_STORE ||
	    s->role == ROLE_KEY || s->role == ROLE_SUBMIT ||
	    s->role == ROLE_PUSH) && s->nlisteners)
		return cfail(ps, "service %s: role %s takes no listeners", s->name,
		    role_names[s->role]);
	if (s->role == ROLE_CONNECTION && s->spares > s->max_processes)
		return cfail(ps, "service %s: spares exceed max-processes", s->name);
	ps->c->nservices++;
	ps->svc = NULL;
	return 0;
}

/* worker-uids FIRST-LAST: what the system allows of it (users that hold
 * ids in it, the size the services need) is cloisterd's check. */
static int
parse_uid_range(struct cparse *ps, const char *w)
{
	char first[16];
	const char *dash = strchr(w, '-');
	unsigned a, b;
	if (dash == NULL || buf_strlcpy(first, sizeof(first), w,
	    (size_t)(dash - w)) < 0 || parse_uint(first, CONFIG_UID_MAX, &a) < 0 ||
	    parse_uint(dash + 1, CONFIG_UID_MAX, &b) < 0)
		return cfail(ps, "worker-uids is FIRST-LAST (1..%u)", CONFIG_UID_MAX);
	if (a == 0 || b < a)
		return cfail(ps, "worker-uids: FIRST must be above 0 and at most"
		    " LAST");
	if (b - a + 1 > CONFIG_UID_RANGE_MAX)
		return cfail(ps, "worker-uids: at most %u ids", CONFIG_UID_RANGE_MAX);
	ps->c->uid_first = a;
	ps->c->uid_last = b;
	ps->c->uid_line = ps->line;
	return 0;
}

static int
parse_global_line(struct cparse *ps, char **w, int nw)
{
	struct config *c = ps->c;
	if (strcmp(w[0], "service") == 0)
		return begin_service(ps, w, nw);
	if (strcmp(w[0], "set") == 0)
		return add_option(ps, c->options, &c->noptions, w, nw);
	int k;
	for (k = 0; k < G_COUNT; k++)
		if (strcmp(w[0], gkey_names[k]) == 0)
			break;
	if (k == G_COUNT)
		return cfail(ps, "unknown key '%s'", w[0]);
	if (once(ps, &ps->seen_global[k], w[0], nw, 2) < 0)
		return -1;
	char *dst = NULL;
	switch ((enum gkey)k) {
	case G_STATE:
		dst = c->state_dir;
		break;
	case G_RUNTIME:
		dst = c->runtime_dir;
		break;
	case G_POLICY:
		dst = c->policy_dir;
		break;
	case G_SHARDS:
		if (parse_uint(w[1], 8, &c->store_shards) < 0 || c->store_shards == 0)
			return cfail(ps, "store-shards is 1..8");
		return 0;
	case G_UIDS:
		return parse_uid_range(ps, w[1]);
	case G_LOGFILE:
		dst = c->log_file;
		break;
	case G_LOGSYSLOG:
		return parse_log_syslog(ps, w[1]);
	case G_COUNT:
		break;
	}
	if (w[1][0] != '/')
		return cfail(ps, "%s must be an absolute path", w[0]);
	return copy(ps, dst, CONFIG_PATH_MAX, w[1], w[0]);
}

static int
split(char *line, char **w)
{
	int nw = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (nw >= CONFIG_MAX_WORDS)
			return -1;
		w[nw++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return nw;
}

static int
resolve_policies(struct cparse *ps)
{
	struct config *c = ps->c;
	for (size_t i = 0; i < c->nservices; i++) {
		struct config_service *s = &c->services[i];
		ps->line = s->line;
		if (s->policy[0] != '/') {
			char full[CONFIG_PATH_MAX] = "";   /* no stack bytes after the NUL */
			if (buf_snprintf(full, sizeof(full), "%s/%s", c->policy_dir,
			    s->policy) < 0)
				return cfail(ps, "policy path too long");
			memcpy(s->policy, full, sizeof(full));
		}
		if (access(s->policy, R_OK) < 0)
			return cfail(ps, "service %s: policy %s: %s", s->name, s->policy,
			    strerror(errno));
	}
	return 0;
}

int
config_parse(const char *name, const char *text, size_t len,
    struct config *c, char *err, size_t errlen)
{
	/* the fields before the tables, and the counts: an entry is zeroed
	 * when it is added. Zeroing all ~480 KiB would touch every page of a
	 * fresh (mmap'd) config in every worker, ~0.3 ms of CPU. */
	memset(c, 0, offsetof(struct config, options));
	c->noptions = 0;
	c->nservices = 0;
	struct cparse ps = { .name = name, .c = c, .err = err, .errlen = errlen };
	if (copy(&ps, c->path, sizeof(c->path), name, "path") < 0)
		return -1;
	if (len > CONFIG_FILE_MAX)
		return cfail(&ps, "file too large");
	c->store_shards = 1;
	c->log_facility = LOG_DAEMON;
	c->uid_first = CONFIG_WORKER_UID_FIRST;
	c->uid_last = CONFIG_WORKER_UID_LAST;
	memcpy(c->state_dir, "/var/lib/cloister", sizeof("/var/lib/cloister"));
	memcpy(c->runtime_dir, "/run/cloister", sizeof("/run/cloister"));
	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		ps.line++;
		char line[2048];
		if (n >= sizeof(line))
			return cfail(&ps, "line too long");
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + (nl ? 1 : 0);
		if (strlen(line) != n)
			return cfail(&ps, "NUL byte in line");
		char *w[CONFIG_MAX_WORDS];
		int nw = split(line, w);
		if (nw < 0)
			return cfail(&ps, "too many words");
		if (nw == 0)
			continue;
		int r;
		if (ps.svc != NULL && nw == 1 && strcmp(w[0], "}") == 0)
			r = end_service(&ps);
		else if (ps.svc != NULL)
			r = parse_service_line(&ps, w, nw);
		else
			r = parse_global_line(&ps, w, nw);
		if (r < 0)
			return -1;
	}
	if (ps.svc != NULL)
		return cfail(&ps, "service %s: missing '}'", ps.svc->name);
	if (c->policy_dir[0] == '\0')
		return cfail(&ps, "missing 'policy-dir'");
	return resolve_policies(&ps);
}

int
config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(CONFIG_FILE_MAX);
	if (buf_read_file(&b, path) < 0) {
		snprintf(err, errlen, "%s:0: %s", path, strerror(errno));
		buf_free(&b);
		return -1;
	}
	int r = config_parse(path, (const char *)b.data, b.len, c, err, errlen);
	buf_free(&b);
	return r;
}

const struct config_service *
config_find_service(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i].name, name) == 0)
			return &c->services[i];
	return NULL;
}

static const struct config_option *
find_option(const struct config *c, const struct config_service *s,
    const char *key)
{
	if (s != NULL)
		for (size_t i = 0; i < s->noptions; i++)
			if (strcmp(s->options[i].key, key) == 0)
				return &s->options[i];
	for (size_t i = 0; i < c->noptions; i++)
		if (strcmp(c->options[i].key, key) == 0)
			return &c->options[i];
	return NULL;
}

const char *
config_option(const struct config *c, const struct config_service *s,
    const char *key)
{
	const struct config_option *o = find_option(c, s, key);
	return o ? o->value : NULL;
}

int
config_option_size(const struct config *c, const struct config_service *s,
    const char *key, uint64_t dflt, uint64_t *out, char *err, size_t errlen)
{
	const struct config_option *o = find_option(c, s, key);
	if (o == NULL) {
		*out = dflt;
		return 0;
	}
	const char *v = o->value;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M')
		mul = 1024 * 1024;
	else if (*end == 'G')
		mul = 1024ULL * 1024 * 1024;
	if (mul != 1)
		end++;
	if (!isdigit((unsigned char)v[0]) || errno || *end != '\0' ||
	    n > UINT64_MAX / mul) {
		snprintf(err, errlen, "%s:%u: bad size '%s' for %s", c->path, o->line,
		    v, key);
		return -1;
	}
	*out = n * mul;
	return 0;
}

int
config_option_range_check(const struct config *c,
    const struct config_service *s, const char *key, uint64_t dflt,
    uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen)
{
	if (config_option_size(c, s, key, dflt, out, err, errlen) < 0)
		return -1;
	if (*out >= lo && *out <= hi)
		return 0;
	const struct config_option *o = find_option(c, s, key);
	snprintf(err, errlen, "%s:%u: %s is %llu..%llu", c->path,
	    o != NULL ? o->line : 0, key, (unsigned long long)lo,
	    (unsigned long long)hi);
	return -1;
}

uint64_t
config_option_range(const struct config *c, const struct config_service *s,
    const char *key, uint64_t dflt, uint64_t lo, uint64_t hi)
{
	char err[CONFIG_ERR_MAX];
	uint64_t v;
	if (config_option_range_check(c, s, key, dflt, lo, hi, &v, err,
	    sizeof(err)) < 0)
		log_fatal("config: %s", err);
	return v;
}

int
config_option_bool(const struct config *c, const struct config_service *s,
    const char *key, bool dflt, bool *out, char *err, size_t errlen)
{
	const struct config_option *o = find_option(c, s, key);
	if (o == NULL) {
		*out = dflt;
		return 0;
	}
	if (strcmp(o->value, "yes") == 0 || strcmp(o->value, "true") == 0)
		*out = true;
	else if (strcmp(o->value, "no") == 0 || strcmp(o->value, "false") == 0)
		*out = false;
	else {
		snprintf(err, errlen, "%s:%u: %s is yes or no, not '%s'", c->path,
		    o->line, key, o->value);
		return -1;
	}
	return 0;
}
