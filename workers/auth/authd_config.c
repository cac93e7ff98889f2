/* authd_config: authd's options (reference: docs/authd.md). */
#include "authd.h"
#include "buf.h"
#include "log.h"

#include <string.h>

/* Every option authd reads, with its default and bounds. */
enum opt_kind { OPT_NUM, OPT_STR, OPT_BOOL };

static const struct {
	const char *name;
	enum opt_kind kind;
	uint64_t dflt, min, max;
} opts[] = {
	{ "mechanisms", OPT_STR, 0, 0, 0 },
	{ "realm", OPT_STR, 0, 0, 0 },
	{ "failure-delay-ms", OPT_NUM, 2000, 0, 60000 },
	{ "ticket-lifetime", OPT_NUM, 120, 5, 3600 },
	{ "session-token-lifetime", OPT_NUM, 3600, 1, 86400 },
	{ "max-failures-per-user", OPT_NUM, 10, 0, 1000000 },
	{ "max-failures-per-address", OPT_NUM, 30, 0, 1000000 },
	{ "failure-window", OPT_NUM, 300, 1, 86400 },
	{ "failure-backoff-ms", OPT_NUM, 1000, 0, 60000 },
	{ "failure-backoff-max", OPT_NUM, 900, 1, 86400 },
	{ "debug", OPT_BOOL, 0, 0, 1 },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static uint64_t
num(const struct config *c, const struct config_service *s, size_t i)
{
	return config_option_range(c, s, opts[i].name, opts[i].dflt,
	    opts[i].min, opts[i].max);
}

static void
str(const struct config *c, const struct config_service *s, const char *name,
    char *dst, size_t size)
{
	const char *v = config_option(c, s, name);
	if (v == NULL)
		v = "";
	if (buf_strlcpy(dst, size, v, strlen(v)) < 0)
		log_fatal("config %s: %s is too long", c->path, name);
}

void
authd_options_load(const struct config *c, const struct config_service *s,
    struct authd_options *o)
{
	for (size_t i = 0; i < s->noptions; i++) {
		size_t k;
		for (k = 0; k < NOPTS; k++)
			if (strcmp(s->options[i].key, opts[k].name) == 0)
				break;
		if (k == NOPTS)
			log_fatal("%s:%u: unknown option '%s' for service %s",
			    c->path, s->options[i].line, s->options[i].key, s->name);
	}
	memset(o, 0, sizeof(*o));
	str(c, s, "mechanisms", o->sasl.mechs, sizeof(o->sasl.mechs));
	str(c, s, "realm", o->sasl.realm, sizeof(o->sasl.realm));
	memcpy(o->sasl.sasldb_path, "/sasldb2", sizeof("/sasldb2"));
	char err[CONFIG_ERR_MAX];
	if (config_option_bool(c, s, "debug", false, &o->sasl.debug, err,
	    sizeof(err)) < 0)
		log_fatal("config: %s", err);
	for (size_t i = 0; i < NOPTS; i++) {
		if (opts[i].kind != OPT_NUM)
			continue;
		uint64_t v = num(c, s, i);
		if (strcmp(opts[i].name, "failure-delay-ms") == 0)
			o->failure_delay_ms = v;
		else if (strcmp(opts[i].name, "ticket-lifetime") == 0)
			o->ticket_lifetime_s = v;
		else if (strcmp(opts[i].name, "session-token-lifetime") == 0)
			o->session_lifetime_s = v;
		else if (strcmp(opts[i].name, "max-failures-per-user") == 0)
			o->max_fail_user = v;
		else if (strcmp(opts[i].name, "max-failures-per-address") == 0)
			o->max_fail_addr = v;
		else if (strcmp(opts[i].name, "failure-window") == 0)
			o->failure_window_s = v;
		else if (strcmp(opts[i].name, "failure-backoff-ms") == 0)
			o->backoff_ms = v;
		else if (strcmp(opts[i].name, "failure-backoff-max") == 0)
			o->backoff_max_s = v;
	}
}
