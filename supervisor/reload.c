/* reload: the services of a config generation, at start and on SIGHUP.
 * New listeners are bound before anything changes (all or nothing); then
 * services gone from the file stop, kept ones take their new block (idle
 * spares of the old generation are replaced, busy ones finish their
 * client), new ones start. */
#include "sv.h"

/* The listeners bound for a new generation, by service and listener. */
static int fresh[CONFIG_MAX_SERVICES][CONFIG_MAX_LISTENERS];

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

static int
defer(const struct config_service *cs, size_t j, int fd, char *err,
    size_t errlen)
{
	if (sv_listen_defer(fd, &cs->listeners[j], cs->prelogin_timeout) == 0)
		return 0;
	snprintf(err, errlen, "%s: listener %s: TCP_DEFER_ACCEPT: %s",
	    cs->name, cs->listeners[j].name, strerror(errno));
	return -1;
}

/* Listeners of c that no live service of the same name and role has
 * open are bound into fresh (-1: kept or none), all or nothing. */
static int
bind_new(const struct config *c, char *err, size_t errlen)
{
	memset(fresh, 0xff, sizeof(fresh));   /* all -1 */
	for (size_t i = 0; i < c->nservices; i++) {
		const struct config_service *cs = &c->services[i];
		struct sv_service *old = find_live(cs->name);
		if (old != NULL && old->cfg.role != cs->role)
			old = NULL;   /* stops: a new service takes its name */
		for (size_t j = 0; j < cs->nlisteners; j++)
			if (kept(old, &cs->listeners[j]) < 0 &&
			    ((fresh[i][j] = sv_listen_open(&cs->listeners[j],
			    SOCK_STREAM, cs->backlog, err, errlen)) < 0 ||
			    defer(cs, j, fresh[i][j], err, errlen) < 0))
				goto fail;
	}
	return 0;
fail:
	for (size_t i = 0; i < c->nservices; i++)
		for (size_t j = 0; j < CONFIG_MAX_LISTENERS; j++)
			if (fresh[i][j] >= 0)
				close(fresh[i][j]);
	return -1;
}

/* s takes block index of sv.cfg. Its listeners are fresh ones or, at an
 * address s listens on already, that socket, which keeps its queue and
 * takes the new settings in place. The supervisor accepts on a pool's
 * listeners; the stats helper accepts on its own. */
static void
take_block(struct sv_service *s, unsigned index)
{
	const struct config_service *cs = &sv.cfg->services[index];
	int *fd = fresh[index];
	for (size_t j = 0; j < cs->nlisteners; j++) {
		int k = fd[j] < 0 ? kept(s, &cs->listeners[j]) : -1;
		if (k < 0)
			continue;
		fd[j] = s->lst[k].fd;
		s->lst[k].fd = -1;
		if (sv_listen_update(fd[j], &cs->listeners[j], cs->backlog) < 0 ||
		    sv_listen_defer(fd[j], &cs->listeners[j],
		    cs->prelogin_timeout) < 0)
			log_warn("%s: listener %s: %m", cs->name,
			    cs->listeners[j].name);
	}
	for (size_t k = 0; k < s->nlst; k++)
		sv_listen_close(&s->lst[k]);
	s->cfg = *cs;
	s->index = index;
	s->auth = sv.tune.auth[index];
	s->deliver = sv.tune.deliver[index];
	s->max_relogins = sv.tune.relogins[index];
	s->keyd = sv.tune.keyd[index];
	sv_filter_take(s, index);
	s->nlst = cs->nlisteners;
	for (size_t j = 0; j < s->nlst; j++) {
		struct sv_listener *l = &s->lst[j];
		*l = (struct sv_listener){ { sv_pool_accept, s, (unsigned)j }, fd[j],
			cs->listeners[j] };
		if (l->fd >= 0 && cs->role == ROLE_CONNECTION) {
			epoll_ctl(sv.ep, EPOLL_CTL_DEL, l->fd, NULL);   /* if kept */
			sv_epoll(EPOLL_CTL_ADD, l->fd, &l->w, EPOLLIN);
		}
	}
}

/* A new service for block index of sv.cfg, appended to sv.services; NULL
 * with err on failure. */
static struct sv_service *
service_new(unsigned index, char *err, size_t errlen)
{
	struct sv_service *s = calloc(1, sizeof(*s));
	if (s == NULL)
		log_fatal("out of memory");
	s->state = SV_RUNNING;
	s->created = sv_now();
	s->filter = -1;
	take_block(s, index);
	s->nslots = s->cfg.role == ROLE_STORE ? sv.cfg->store_shards : 1;
	int r = 0;
	for (unsigned i = 0; i < s->nslots; i++) {
		struct sv_slot *sl = &s->slot[i];
		sl->admin.fd = -1;
		sl->admin.w = (struct sv_watch){ sv_admin_accept, s, i };
		if (r == 0 && s->cfg.role == ROLE_STORE &&
		    sv_admin_open(s, i, err, errlen) < 0)
			r = -1;
	}
	if (r < 0) {
		sv_service_event(s, EV_STOP);
		if (s->filter >= 0)
			close(s->filter);
		free(s);
		return NULL;
	}
	struct sv_service **pp = &sv.services;
	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = s;
	return s;
}

/* At start: every service of sv.cfg, or -1 with err. */
int
sv_start(char *err, size_t errlen)
{
	if (bind_new(sv.cfg, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < sv.cfg->nservices; i++)
		if (service_new(i, err, errlen) == NULL)
			return -1;
	return 0;
}

int
sv_reload(char *err, size_t errlen)
{
	struct sv_tune tune;
	struct config *c = calloc(1, sizeof(*c));
	if (c == NULL)
		log_fatal("out of memory");
	if (sv_load_config(c, &tune, err, errlen) < 0)
		goto refused;
	if (strcmp(c->runtime_dir, sv.cfg->runtime_dir) != 0 ||
	    strcmp(c->state_dir, sv.cfg->state_dir) != 0 ||
	    c->store_shards != sv.cfg->store_shards ||
	    c->uid_first != sv.cfg->uid_first || c->uid_last != sv.cfg->uid_last) {
		snprintf(err, errlen, "%s: runtime-dir, state-dir,"
		    " store-shards and worker-uids change only with a restart",
		    c->path);
		goto refused;
	}
	if (bind_new(c, err, errlen) < 0)
		goto refused;
	struct config *old = sv.cfg;
	sv.cfg = c;
	sv_filters_close(&sv.tune);   /* each service takes its own copy */
	sv.tune = tune;
	sv.generation++;
	sv_fd_limit(c, &sv.tune);     /* max-processes may have grown */
	sv_write_snapshot();
	/* services gone from the file (or whose role changed) stop */
	for (struct sv_service *s = sv.services; s != NULL; s = s->next) {
		const struct config_service *cs = config_find_service(c, s->cfg.name);
		if (s->state < SV_STOPPING && (cs == NULL || cs->role != s->cfg.role))
			sv_service_event(s, EV_STOP);
	}
	for (unsigned i = 0; i < c->nservices; i++) {
		struct sv_service *s = find_live(c->services[i].name);
		if (s == NULL) {
			if (service_new(i, err, errlen) == NULL)
				log_err("reload: %s", err);
			continue;
		}
		bool changed = !same_block(&s->cfg, &c->services[i]);
		take_block(s, i);
		/* spares of the old generation are replaced; busy ones finish */
		sv_pool_retire_idle(s);
		if (changed && s->cfg.role != ROLE_CONNECTION)
			for (unsigned k = 0; k < s->nslots; k++)
				if (s->slot[k].proc != NULL)
					sv_proc_retire(s->slot[k].proc, SIGTERM);
		sv_service_event(s, EV_RELOAD);
	}
	free(old);
	log_info("reloaded %s: generation %u", c->path, sv.generation);
	return 0;
refused:
	sv_filters_close(&tune);
	log_err("reload refused, still running generation %u: %s",
	    sv.generation, err);
	free(c);
	return -1;
}
