/*
 * sv_include: include, global and return (RFC 6609) during a run. An
 * included script sees only the variables declared global; its own end
 * there, and the globals it set come back. At most
 * SV_RUN_MAX_INCLUDE_DEPTH nested and SV_RUN_MAX_INCLUDES in one run;
 * :once skips a program already included.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_interp.h"
#include "sv_run.h"
#include "sv_table.h"

int
sv_run_global(struct run *r, const struct sv_node *n)
{
	const struct sv_arg *names = sv_positional(n, 0);
	for (uint32_t i = 0; i < names->nstrs; i++) {
		const struct sv_str *nm = &names->strs[i];
		if (sv_run_var_get(r, nm->s, nm->n) == NULL &&
		    sv_run_var_set(r, nm->s, nm->n,
		    (struct sv_span){ "", 0 }) < 0)
			return -1;
		for (unsigned k = 0; k < r->nvars; k++)
			if (strlen(r->vars[k].name) == nm->n &&
			    strncasecmp(r->vars[k].name, nm->s, nm->n) == 0)
				r->vars[k].global = true;
	}
	return 0;
}

/* Keeps the globals of the table only (the included script's view). */
static void
keep_globals(struct run *r)
{
	unsigned k = 0;
	for (unsigned i = 0; i < r->nvars; i++)
		if (r->vars[i].global)
			r->vars[k++] = r->vars[i];
	r->nvars = k;
}

/* The saved table again, with the globals' values from the run. */
static int
restore(struct run *r, const struct sv_var *saved, unsigned nsaved)
{
	struct sv_var globals[SV_RUN_MAX_VARS];
	unsigned ng = 0;
	for (unsigned i = 0; i < r->nvars; i++)
		if (r->vars[i].global)
			globals[ng++] = r->vars[i];
	memcpy(r->vars, saved, nsaved * sizeof(*saved));
	r->nvars = nsaved;
	for (unsigned i = 0; i < ng; i++) {
		if (sv_run_var_set(r, globals[i].name, strlen(globals[i].name),
		    globals[i].val) < 0)
			return -1;
		for (unsigned k = 0; k < r->nvars; k++)
			if (strcasecmp(r->vars[k].name, globals[i].name) == 0)
				r->vars[k].global = true;
	}
	return 0;
}

static bool
already_included(const struct run *r, const struct sieve_program *p)
{
	for (unsigned i = 0; i < r->nincluded; i++)
		if (r->included[i] == p)
			return true;
	return false;
}

int
sv_run_include(struct run *r, const struct sv_node *n,
    int (*block)(struct run *, const struct sv_node *))
{
	const struct sv_str *name = &sv_positional(n, 0)->strs[0];
	bool global = sv_has_tag(n, SV_TAG_GLOBAL);
	const struct sieve_program *p = r->m->include ?
	    r->m->include(r->m->ctx, name->s, global) : NULL;
	if (p == NULL)
		return sv_has_tag(n, SV_TAG_OPTIONAL) ? 0 : sv_run_fail(r,
		    "line %u: include \"%s\": no such script", n->line, name->s);
	if (sv_has_tag(n, SV_TAG_ONCE) && already_included(r, p))
		return 0;
	if (r->include_depth >= SV_RUN_MAX_INCLUDE_DEPTH ||
	    r->nincluded >= SV_RUN_MAX_INCLUDES)
		return sv_run_fail(r, "line %u: too many includes", n->line);
	r->included[r->nincluded++] = p;
	struct sv_var *saved = malloc(sizeof(r->vars));
	if (saved == NULL)
		return sv_run_fail(r, "out of memory");
	unsigned nsaved = r->nvars;
	memcpy(saved, r->vars, nsaved * sizeof(*saved));
	uint64_t exts = r->exts;
	keep_globals(r);
	r->exts = p->script.exts;
	r->include_depth++;
	int rc = block(r, p->script.cmds);
	r->include_depth--;
	r->returning = false;
	r->exts = exts;
	if (restore(r, saved, nsaved) < 0)
		rc = -1;
	free(saved);
	return rc;
}
