/* reload: SIGHUP. Re-read the file; bind new listeners first (all or
 * nothing); then start a new generation: services gone from the file stop,
 * kept ones take their new settings (idle spares of the old generation are
 * replaced, busy ones finish their client), new ones start. */
#include "sv.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* Service blocks equal but for line numbers (config.c leaves no bytes
 * after a string's NUL, so memcmp is exact). */
static bool
same_block(const struct config_service *a, const struct config_service *b)
{
	static struct config_service x, y;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x.line = y.line = 0;
	for (size_t i = 0; i < CONFIG_MAX_LISTENERS; i++)
		x.listeners[i].line = y.listeners[i].line = 0;
	for (size_t i = 0; i < CONFIG_MAX_OPTIONS; i++)
		x.options[i].line = y.options[i].line = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

static struct sv_service *
find_live(const char *name)
{
	for (struct sv_service *s = sv.services; s != NULL; s = s->next)
		if (s->state < SV_STOPPING && strcmp(s->cfg.name, name) == 0)
			return s;
	return NULL;
}

/* The index of s's open listener at l's address, or -1. */
static int
kept(const struct sv_service *s, const struct config_listener *l)
{
	for (size_t k = 0; s != NULL && k < s->nlst; k++)
		if (s->lst[k].fd >= 0 && sv_listen_same(&s->lst[k].cfg, l))
			return (int)k;
	return -1;
}

/* New listeners are bound before anything changes: all or nothing. */
static int
bind_new(const struct config *c, int fds[][CONFIG_MAX_LISTENERS], char *err,
    size_t errlen)
{
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *cs = &c->services[i];
		struct sv_service *old = find_live(cs->name);
		if (old != NULL && old->cfg.role != cs->role)
			old = NULL;   /* stops: a new service takes its name */
		for (size_t j = 0; j < cs->nlisteners; j++)
			if (kept(old, &cs->listeners[j]) < 0 &&
			    (fds[i][j] = sv_listen_open(&cs->listeners[j],
			    SOCK_STREAM, cs->backlog, err, errlen)) < 0)
				return -1;
	}
	return 0;
}

static void
update_service(struct sv_service *s, const struct config_service *cs,
    unsigned index, const int *fresh)
{
	int fd[CONFIG_MAX_LISTENERS];
	bool changed = !same_block(&s->cfg, cs);
	for (size_t j = 0; j < cs->nlisteners; j++) {
		int k = fresh[j] < 0 ? kept(s, &cs->listeners[j]) : -1;
		fd[j] = k < 0 ? fresh[j] : s->lst[k].fd;
		if (k < 0)
			continue;
		s->lst[k].fd = -1;
		if (sv_listen_update(fd[j], &cs->listeners[j], cs->backlog) < 0)
			log_warn("%s: listener %s: %m", cs->name,
			    cs->listeners[j].name);
	}
	for (size_t k = 0; k < s->nlst; k++)
		sv_listen_close(&s->lst[k]);
	s->nlst = cs->nlisteners;
	for (size_t j = 0; j < s->nlst; j++)
		sv_service_listener(s, j, &cs->listeners[j], fd[j]);
	s->cfg = *cs;
	s->index = index;
	s->auth = sv_service_wants_auth(sv.cfg, cs);
	/* spares of the old generation are replaced; busy ones finish */
	sv_pool_retire_idle(s);
	if (changed && s->cfg.role != ROLE_CONNECTION)
		for (unsigned i = 0; i < s->nslots; i++)
			if (s->slot[i].proc != NULL)
				sv_proc_retire(s->slot[i].proc, SIGTERM);
	sv_service_event(s, EV_RELOAD);
}

int
sv_reload(void)
{
	static int fresh[CONFIG_MAX_SERVICES][CONFIG_MAX_LISTENERS];
	char err[CONFIG_ERR_MAX];
	struct sv_tune tune;
	struct config *c = calloc(1, sizeof(*c));
	if (c == NULL)
		log_fatal("out of memory");
	memset(fresh, 0xff, sizeof(fresh));   /* all -1: nothing bound yet */
	if (sv_load_config(c, &tune, err, sizeof(err)) < 0)
		goto refused;
	if (strcmp(c->runtime_dir, sv.cfg->runtime_dir) != 0 ||
	    strcmp(c->state_dir, sv.cfg->state_dir) != 0 ||
	    c->store_shards != sv.cfg->store_shards) {
		snprintf(err, sizeof(err), "%s: runtime-dir, state-dir and"
		    " store-shards change only with a restart", c->path);
		goto refused;
	}
	if (bind_new(c, fresh, err, sizeof(err)) < 0) {
		for (size_t i = 0; i < CONFIG_MAX_SERVICES; i++)
			for (size_t j = 0; j < CONFIG_MAX_LISTENERS; j++)
				if (fresh[i][j] >= 0)
					close(fresh[i][j]);
		goto refused;
	}
	struct config *old = sv.cfg;
	sv.cfg = c;
	sv.tune = tune;
	sv.generation++;
	sv_write_snapshot();
	/* services gone from the file (or whose role changed) stop */
	for (struct sv_service *s = sv.services; s != NULL; s = s->next) {
		const struct config_service *cs = config_find_service(c, s->cfg.name);
		if (s->state < SV_STOPPING && (cs == NULL || cs->role != s->cfg.role))
			sv_service_event(s, EV_STOP);
	}
	for (size_t i = 0; i < c->nservices; i++) {
		struct sv_service *s = find_live(c->services[i].name);
		if (s != NULL) {
			update_service(s, &c->services[i], (unsigned)i, fresh[i]);
			continue;
		}
		if (sv_service_new(&c->services[i], (unsigned)i, fresh[i], err,
		    sizeof(err)) == NULL)
			log_err("reload: %s", err);
	}
	free(old);
	log_info("reloaded %s: generation %u", c->path, sv.generation);
	return 0;
refused:
	log_err("reload refused, still running generation %u: %s",
	    sv.generation, err);
	free(c);
	return -1;
}
