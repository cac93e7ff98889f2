/* filters: each service's seccomp program, compiled once per generation
 * (at start and at each reload, while its policy is checked) instead of
 * by libseccomp in every worker. The program sits in a sealed memfd
 * (sandbox_filter_memfd: no write, grow, shrink or seal change, opened
 * read-only) that every worker of the service gets at CLOISTER_FD_SECCOMP;
 * the sandbox checks the seals and loads the bytes (sandbox/filter.c). A
 * policy file edited takes effect at the next reload, as the config does.
 * Where no memfd can be made, the service's workers compile their own. */
#include "sv.h"
#include "sandbox.h"

void
sv_filters_init(struct sv_tune *t)
{
	for (size_t i = 0; i < CONFIG_MAX_SERVICES; i++)
		t->filter[i] = -1;
}

void
sv_filter_compile(struct sv_tune *t, unsigned index,
    const struct config_service *cs, const struct sandbox_spec *spec)
{
	char err[160];
	t->filter[index] = sandbox_filter_memfd(spec, err, sizeof(err));
	if (t->filter[index] < 0)
		log_warn("%s: no precompiled seccomp filter (%s); its workers"
		    " compile their own", cs->name, err);
}

void
sv_filters_close(struct sv_tune *t)
{
	for (size_t i = 0; i < CONFIG_MAX_SERVICES; i++)
		if (t->filter[i] >= 0) {
			close(t->filter[i]);
			t->filter[i] = -1;
		}
}

/* s's copy of block index's filter, for the generation it now runs: a
 * service outlives the tune it was made with. */
void
sv_filter_take(struct sv_service *s, unsigned index)
{
	int fd = sv.tune.filter[index];
	if (s->filter >= 0)
		close(s->filter);
	s->filter = -1;
	if (fd >= 0 && (s->filter = fcntl(fd, F_DUPFD_CLOEXEC, SV_NFDS)) < 0)
		log_warn("%s: seccomp filter: %m; its workers compile their own",
		    s->cfg.name);
}
