/* check: what cloisterd requires of a config beyond config.c's syntax, and
 * its own tunables. Every refusal names file:line. */
#include "sv.h"
#include "buf.h"
#include "ipc.h"
#include "policy.h"

#include <arpa/inet.h>
#include <sys/stat.h>

/* mkdir -p, root-owned 0755: the chroot dirs policies name. */
static int
make_dirs(const char *path)
{
	char p[CONFIG_PATH_MAX];
	if (buf_strlcpy(p, sizeof(p), path, strlen(path)) < 0)
		return -1;
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s != NULL)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		if (s == NULL)
			return 0;
		*s = '/';
	}
}

/* A global tunable: set at the top level, not in a service block. */
static int
tunable(const struct config *c, const char *key, uint64_t dflt, uint64_t min,
    uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	return config_option_range_check(c, NULL, key, dflt, min, max, out, err,
	    errlen);
}

/* "IPV4:PORT" or "[IPV6]:PORT", numeric only (cloisterd resolves no
 * name): submitd's relay. */
int
sv_relay_addr(const char *v, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(v, ':');
	if (colon == NULL || colon == v || (size_t)(colon - v) >= sizeof(host))
		return -1;
	memcpy(host, v, (size_t)(colon - v));
	host[colon - v] = '\0';
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || colon[1] == '\0' || port == 0 ||
	    port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	size_t hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -1;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof(*s4);
	return 0;
}

/* 'set max-relogins N' (0-64, default 0): how many times one connection
 * of this service may ask for fresh authd and store channels. Only for a
 * connection service with 'set auth yes': a re-login is authd's. */
static int
relogins(const struct config *c, const struct config_service *s, bool auth,
    unsigned *out, char *err, size_t errlen)
{
	uint64_t v;
	if (config_option_size(c, s, "max-relogins", 0, &v, err, errlen) < 0)
		return -1;
	if (v > 64 || (v > 0 && (s->role != ROLE_CONNECTION || !auth))) {
		snprintf(err, errlen, "%s:%u: service %s: max-relogins is 0..64,"
		    " and only for a connection service with 'set auth yes'",
		    c->path, s->line, s->name);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Relay AUTH (SCRAM-SHA-256, keyd's proofs): user and secret file
 * together, and never in clear but to a relay on loopback. */
static int
relay_auth(const struct config *c, const struct config_service *s,
    const struct sockaddr_storage *ss, char *err, size_t errlen)
{
	const char *user = config_option(c, s, "relay-auth-user");
	const char *file = config_option(c, s, "relay-auth-secret-file");
	const char *tls = config_option(c, s, "relay-tls");
	if (user == NULL && file == NULL)
		return 0;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
	bool loopback = (ss->ss_family == AF_INET &&
	    (ntohl(v4->sin_addr.s_addr) >> 24) == 127) ||
	    (ss->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr));
	if (user == NULL || file == NULL) {
		snprintf(err, errlen, "%s:%u: service %s: relay-auth-user and"
		    " relay-auth-secret-file go together", c->path, s->line,
		    s->name);
		return -1;
	}
	if (!loopback && (tls == NULL || strcmp(tls, "starttls") != 0)) {
		snprintf(err, errlen, "%s:%u: service %s: relay-auth-user needs"
		    " 'set relay-tls starttls' (AUTH in clear only to a relay on"
		    " loopback)", c->path, s->line, s->name);
		return -1;
	}
	return 0;
}

int
sv_check_config(const struct config *c, struct sv_tune *t, char *err,
    size_t errlen)
{
	static struct policy pol;
	const struct config_service *first[ROLE_PUSH + 1] = { 0 }, *wants = NULL;
	const struct config_service *wants_keyd = NULL;
	t->policy_nofile = 0;
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *s = &c->services[i];
		if (s->role != ROLE_CONNECTION && first[s->role] != NULL) {
			snprintf(err, errlen, "%s:%u: service %s: only one service may"
			    " have role %s (%s has it)", c->path, s->line, s->name,
			    config_role_name(s->role), first[s->role]->name);
			return -1;
		}
		first[s->role] = s;
		bool a = false;
		if (s->role == ROLE_CONNECTION &&
		    config_option_bool(c, s, "auth", false, &a, err, errlen) < 0)
			return -1;
		if ((t->auth[i] = a) && wants == NULL)
			wants = s;
		if (relogins(c, s, a, &t->relogins[i], err, errlen) < 0)
			return -1;
		bool k = false;
		if ((s->role == ROLE_CONNECTION || s->role == ROLE_PUSH) &&
		    config_option_bool(c, s, "keyd", false, &k, err, errlen) < 0)
			return -1;
		/* submitd's keyd channel comes with relay AUTH (its proofs) */
		if (s->role == ROLE_SUBMIT &&
		    config_option(c, s, "relay-auth-user") != NULL)
			k = true;
		if ((t->keyd[i] = k) && wants_keyd == NULL)
			wants_keyd = s;
		/* the policy must load now: a worker that cannot confine would
		 * only be found by its first crash */
		if (policy_load(s->policy, POLICY_DEFAULT_FLAGS, &pol, err,
		    errlen) < 0)
			return -1;
		struct sockaddr_storage rss;
		socklen_t rlen;
		const char *relay = config_option(c, s, "relay");
		if (s->role == ROLE_SUBMIT && (relay == NULL ||
		    sv_relay_addr(relay, &rss, &rlen) < 0)) {
			snprintf(err, errlen, "%s:%u: service %s: 'set relay"
			    " ADDRESS:PORT' (numeric, [v6]:port) is required",
			    c->path, s->line, s->name);
			return -1;
		}
		if (s->role == ROLE_SUBMIT && relay_auth(c, s, &rss, err, errlen) < 0)
			return -1;
		if (pol.spec.host_network && s->role != ROLE_PUSH) {
			snprintf(err, errlen, "%s:%u: service %s: 'network host' is"
			    " for role push only", c->path, s->line, s->name);
			return -1;
		}
		sv_filter_compile(t, (unsigned)i, s, &pol.spec);
		if (pol.spec.rlimit[SANDBOX_RL_NOFILE].set &&
		    pol.spec.rlimit[SANDBOX_RL_NOFILE].value > t->policy_nofile)
			t->policy_nofile = pol.spec.rlimit[SANDBOX_RL_NOFILE].value;
		t->deliver[i] = s->role == ROLE_CONNECTION &&
		    policy_allows_store_op(&pol, IPC_STORE_DELIVER);
		if (make_dirs(pol.spec.root) < 0) {
			snprintf(err, errlen, "%s:%u: service %s: root %s: %s", c->path,
			    s->line, s->name, pol.spec.root, strerror(errno));
			return -1;
		}
	}
	if (wants != NULL && first[ROLE_AUTH] == NULL) {
		snprintf(err, errlen, "%s:%u: service %s: 'set auth yes' but no"
		    " service has role auth", c->path, wants->line, wants->name);
		return -1;
	}
	if (wants_keyd != NULL && first[ROLE_KEY] == NULL) {
		snprintf(err, errlen, "%s:%u: service %s: %s but no service has"
		    " role key", c->path, wants_keyd->line, wants_keyd->name,
		    wants_keyd->role == ROLE_SUBMIT ? "relay-auth-user (keyd"
		    " computes its proofs)" : "'set keyd yes'");
		return -1;
	}
	if (sv_ids_check(c, err, errlen) < 0)
		return -1;
	uint64_t burst, window, backoff, required, stop, lrate, lburst;
	if (tunable(c, "restart-burst", 5, 1, 16, &burst, err, errlen) < 0 ||
	    tunable(c, "restart-window", 10, 1, 3600, &window, err, errlen) < 0 ||
	    tunable(c, "restart-backoff", 100, 1, 60000, &backoff, err, errlen) < 0 ||
	    tunable(c, "required-backoff-max", 2000, 1, 60000, &required, err,
	    errlen) < 0 ||
	    tunable(c, "stop-timeout", 10, 1, 600, &stop, err, errlen) < 0 ||
	    tunable(c, "log-rate", 100, 1, 100000, &lrate, err, errlen) < 0 ||
	    tunable(c, "log-burst", 1000, 1, 100000, &lburst, err, errlen) < 0)
		return -1;
	t->restart_burst = (unsigned)burst;
	t->restart_window = (int64_t)window * 1000;
	t->backoff_min = (int64_t)backoff;
	t->backoff_max = 30000;
	t->backoff_max_required = (int64_t)required;
	t->stop_timeout = (int64_t)stop * 1000;
	t->log_rate = (unsigned)lrate;
	t->log_burst = (unsigned)lburst;
	return 0;
}
