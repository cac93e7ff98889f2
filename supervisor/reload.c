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

/* New listeners are bound before anything changes: all or nothing. */
static int
bind_new(const struct config *c, int fds[][CONFIG_MAX_LISTENERS], char *err,
    size_t errlen)
{
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *cs = &c->services[i];
		struct sv_service *old = find_live(cs->name);
		for (size_t j = 0; j < cs->nlisteners; j++) {
			bool kept = false;
			for (size_t k = 0; old && old->cfg.role == cs->role &&
			    k < old->nlst; k++)
				kept |= old->lst[k].fd >= 0 &&
				    sv_listen_same(&old->lst[k].cfg, &cs->listeners[j]);
			if (!kept && (fds[i][j] = sv_listen_open(&cs->listeners[j],
			    SOCK_STREAM, cs->backlog, err, errlen)) < 0)
				return -1;
		}
	}
	return 0;
}

static void
update_service(struct sv_service *s, const struct config_service *cs,
    unsigned index, const int *fresh)
{
	struct sv_listener lst[CONFIG_MAX_LISTENERS];
	bool changed = !same_block(&s->cfg, cs);
	for (size_t j = 0; j < cs->nlisteners; j++) {
		lst[j].w = (struct sv_watch){ W_LISTEN, s, (unsigned)j };
		lst[j].cfg = cs->listeners[j];
		lst[j].fd = fresh[j];
		for (size_t k = 0; fresh[j] < 0 && k < s->nlst; k++)
			if (s->lst[k].fd >= 0 &&
			    sv_listen_same(&s->lst[k].cfg, &cs->listeners[j])) {
				lst[j].fd = s->lst[k].fd;
				s->lst[k].fd = -1;
				if (sv_listen_update(&lst[j], cs->listeners + j,
				    cs->backlog) < 0)
					log_warn("%s: listener %s: %m", cs->name,
					    lst[j].cfg.name);
			}
	}
	for (size_t k = 0; k < s->nlst; k++)
		sv_listen_close(&s->lst[k]);
	memcpy(s->lst, lst, sizeof(lst[0]) * cs->nlisteners);
	s->nlst = cs->nlisteners;
	/* (re)point epoll at the new slots; the stats helper accepts itself */
	for (size_t j = 0; j < s->nlst && cs->role == ROLE_CONNECTION; j++) {
		epoll_ctl(sv.ep, EPOLL_CTL_DEL, s->lst[j].fd, NULL);
		sv_epoll(EPOLL_CTL_ADD, s->lst[j].fd, &s->lst[j].w, EPOLLIN);
	}
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
