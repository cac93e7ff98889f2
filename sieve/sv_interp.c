/*
 * sv_interp: runs a loaded program (sieve_run.h): commands in order, the
 * if/elsif/else chains, the actions with the implicit keep of RFC 5228
 * section 2.10.2 and the incompatibilities of RFC 5429 section 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_interp.h"
#include "sv_run.h"
#include "sv_table.h"

static struct sieve_action *
add_action(struct run *r, enum sieve_action_type type, const char *arg)
{
	struct sieve_result *res = r->res;
	for (size_t i = 0; i < res->n; i++) {
		enum sieve_action_type t = res->actions[i].type;
		bool rej = t == SIEVE_ACT_REJECT || t == SIEVE_ACT_EREJECT;
		bool nrej = type == SIEVE_ACT_REJECT ||
		    type == SIEVE_ACT_EREJECT;
		/* discard and notify go with reject, and the edits of the
		 * message (which then go unused); nothing else does */
		bool quiet = t == SIEVE_ACT_DISCARD || t == SIEVE_ACT_NOTIFY ||
		    type == SIEVE_ACT_DISCARD || type == SIEVE_ACT_NOTIFY ||
		    t >= SIEVE_ACT_REPLACE || type >= SIEVE_ACT_REPLACE;
		if ((rej || nrej) && !quiet) {
			sv_run_fail(r, "reject cannot be combined with "
			    "another action");
			return NULL;
		}
		if (t == SIEVE_ACT_VACATION && type == SIEVE_ACT_VACATION) {
			sv_run_fail(r, "more than one vacation");
			return NULL;
		}
	}
	if (res->n + 1 >= SIEVE_MAX_ACTIONS) {  /* one left for the keep */
		sv_run_fail(r, "more than %d actions", SIEVE_MAX_ACTIONS - 1);
		return NULL;
	}
	struct sieve_action *a = &res->actions[res->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->arg = arg;
	return a;
}

/* A string argument, expanded and copied for the result; NULL when a
 * is (an absent tag's value) or on failure. */
static const char *
arg_string(struct run *r, const struct sv_arg *a)
{
	struct sv_span v;
	if (a == NULL || sv_run_expand(r, &a->strs[0], &v) < 0)
		return NULL;
	return sv_run_dup(r, v.s, v.n);
}

#define string_arg(r, n, i) arg_string((r), sv_positional((n), (i)))
#define tag_string(r, n, tag) arg_string((r), sv_tag_value((n), (tag)))

/* A tag's string list, each expanded, for the result; NULL without. */
static const char *const *
string_list(struct run *r, const struct sv_arg *a, size_t *count)
{
	*count = 0;
	if (a == NULL)
		return NULL;
	const char **list = imap_arena_alloc(&r->res->arena,
	    a->nstrs * sizeof(*list));
	if (list == NULL) {
		sv_run_fail(r, "over the memory budget");
		return NULL;
	}
	for (uint32_t i = 0; i < a->nstrs; i++) {
		struct sv_span v;
		if (sv_run_expand(r, &a->strs[i], &v) < 0 ||
		    (list[i] = sv_run_dup(r, v.s, v.n)) == NULL)
			return NULL;
	}
	*count = a->nstrs;
	return list;
}

static int
do_vacation(struct run *r, const struct sv_node *n)
{
	const char *reason = string_arg(r, n, 0);
	struct sieve_action *a = reason ? add_action(r, SIEVE_ACT_VACATION,
	    reason) : NULL;
	if (a == NULL)
		return -1;
	const struct sv_arg *days = sv_tag_value(n, SV_TAG_DAYS);
	const struct sv_arg *secs = sv_tag_value(n, SV_TAG_SECONDS);
	/* RFC 5230 section 4.1: at least a day (vacation-seconds: any);
	 * at most 10,000 days, which keeps the product in range */
	uint64_t d = days ? (days->num < 1 ? 1 : days->num) : 7;
	a->seconds = secs ? secs->num : (d > 10000 ? 10000 : d) * 86400;
	if (a->seconds > (uint64_t)10000 * 86400)
		a->seconds = (uint64_t)10000 * 86400;
	a->subject = tag_string(r, n, SV_TAG_SUBJECT);
	a->from = tag_string(r, n, SV_TAG_FROM);
	a->handle = tag_string(r, n, SV_TAG_HANDLE);
	a->mime = sv_has_tag(n, SV_TAG_MIME);
	a->addresses = string_list(r, sv_tag_value(n, SV_TAG_ADDRESSES),
	    &a->naddresses);
	return r->failed ? -1 : 0;
}

/* notify (RFC 5435): the method in arg; importance 2 by default. */
static int
do_notify(struct run *r, const struct sv_node *n)
{
	const char *method = string_arg(r, n, 0);
	if (method == NULL)
		return -1;
	if (strncasecmp(method, "mailto:", 7) != 0)
		return sv_run_fail(r, "line %u: unsupported notification "
		    "method", n->line);
	struct sieve_action *a = add_action(r, SIEVE_ACT_NOTIFY, method);
	if (a == NULL)
		return -1;
	a->from = tag_string(r, n, SV_TAG_FROM);
	a->message = tag_string(r, n, SV_TAG_MESSAGE);
	a->importance = tag_string(r, n, SV_TAG_IMPORTANCE);
	if (a->importance == NULL)
		a->importance = "2";
	a->options = string_list(r, sv_tag_value(n, SV_TAG_OPTIONS),
	    &a->noptions);
	return r->failed ? -1 : 0;
}

/* replace and enclose (RFC 5703 sections 6 and 7): edits of the message
 * for the caller. replace edits the current part (the whole message
 * outside foreverypart, which alone takes :subject and :from); enclose
 * always wraps the whole message. */
static int
do_edit(struct run *r, const struct sv_node *n)
{
	bool replace = n->id == SV_C_REPLACE;
	if (!r->m->edits)
		return sv_run_fail(r, "line %u: %s is not supported at delivery",
		    n->line, n->name);
	const char *text = string_arg(r, n, 0);
	struct sieve_action *a = text ? add_action(r, replace ?
	    SIEVE_ACT_REPLACE : SIEVE_ACT_ENCLOSE, text) : NULL;
	if (a == NULL)
		return -1;
	a->part = replace ? r->part : 0;
	a->mime = replace && sv_has_tag(n, SV_TAG_MIME);
	if (a->part == 0) {
		a->subject = tag_string(r, n, SV_TAG_SUBJECT);
		a->from = replace ? tag_string(r, n, SV_TAG_FROM) : NULL;
	}
	if (!replace)
		a->headers = string_list(r, sv_tag_value(n, SV_TAG_HEADERS),
		    &a->nheaders);
	return r->failed ? -1 : 0;
}

/* A fileinto to a mailbox, a redirect to an address or a keep already
 * there is that action again (RFC 5228 section 2.10.3: one copy per
 * destination); else a new one. */
static struct sieve_action *
same_target(struct run *r, enum sieve_action_type type, const char *arg,
    bool *dup)
{
	for (size_t i = 0; type <= SIEVE_ACT_REDIRECT && i < r->res->n; i++) {
		struct sieve_action *a = &r->res->actions[i];
		if (a->type == type && (type == SIEVE_ACT_KEEP ||
		    strcmp(a->arg, arg) == 0)) {
			*dup = true;
			return a;
		}
	}
	return add_action(r, type, arg);
}

/* keep, fileinto, redirect, reject, ereject: the ones that file or
 * refuse the message. */
static int
do_delivery(struct run *r, const struct sv_node *n)
{
	static const enum sieve_action_type types[SV_C_MAX] = {
		[SV_C_KEEP] = SIEVE_ACT_KEEP,
		[SV_C_FILEINTO] = SIEVE_ACT_FILEINTO,
		[SV_C_REDIRECT] = SIEVE_ACT_REDIRECT,
		[SV_C_REJECT] = SIEVE_ACT_REJECT,
		[SV_C_EREJECT] = SIEVE_ACT_EREJECT,
	};
	const char *arg = NULL;
	if (n->id != SV_C_KEEP && (arg = string_arg(r, n, 0)) == NULL)
		return -1;
	if (n->id == SV_C_REDIRECT && strchr(arg, '@') == NULL)
		return sv_run_fail(r, "line %u: redirect to an invalid address",
		    n->line);
	if (n->id == SV_C_REDIRECT && r->redirects_left-- == 0)
		return sv_run_fail(r, "line %u: over the redirect budget",
		    n->line);
	bool dup = false;
	struct sieve_action *a = same_target(r, types[n->id], arg, &dup);
	if (a == NULL)
		return -1;
	a->copy = (dup ? a->copy : true) && sv_has_tag(n, SV_TAG_COPY);
	a->create = a->create || sv_has_tag(n, SV_TAG_CREATE);
	if ((n->id == SV_C_KEEP || n->id == SV_C_FILEINTO) &&
	    sv_run_flag_list(r, n, a->flags, &a->nflags) < 0)
		return -1;
	if (!a->copy)
		r->implicit_keep = false;
	return 0;
}

static int exec_block(struct run *r, const struct sv_node *first);

static int
exec_command(struct run *r, const struct sv_node *n)
{
	switch (n->id) {
	case SV_C_REQUIRE:
		return 0;
	case SV_C_GLOBAL:
		return sv_run_global(r, n);
	case SV_C_INCLUDE:
		return sv_run_include(r, n, exec_block);
	case SV_C_STOP:
		r->stopped = true;
		return 0;
	case SV_C_RETURN:   /* the current script ends, not the run */
		r->returning = true;
		return 0;
	case SV_C_DISCARD:
		r->implicit_keep = false;
		return add_action(r, SIEVE_ACT_DISCARD, NULL) ? 0 : -1;
	case SV_C_KEEP:
	case SV_C_FILEINTO:
	case SV_C_REDIRECT:
	case SV_C_REJECT:
	case SV_C_EREJECT:
		return do_delivery(r, n);
	case SV_C_VACATION:
		return do_vacation(r, n);
	case SV_C_NOTIFY:
		return do_notify(r, n);
	case SV_C_REPLACE:
	case SV_C_ENCLOSE:
		return do_edit(r, n);
	case SV_C_SET:
		return sv_run_set(r, n);
	case SV_C_SETFLAG:
	case SV_C_ADDFLAG:
	case SV_C_REMOVEFLAG:
		return sv_run_flags(r, n);
	case SV_C_FOREVERYPART:
		return sv_run_foreverypart(r, n, exec_block);
	case SV_C_EXTRACTTEXT:
		return sv_run_extracttext(r, n);
	case SV_C_BREAK:
		r->breaking = true;
		r->break_name = sv_tag_value(n, SV_TAG_NAME);
		return 0;
	case SV_C_ERROR: {
		const char *msg = string_arg(r, n, 0);
		return sv_run_fail(r, "line %u: error: %s", n->line,
		    msg ? msg : "");
	}
	default:
		return sv_run_fail(r, "line %u: %s is not supported at delivery",
		    n->line, n->name);
	}
}

static int
exec_block(struct run *r, const struct sv_node *first)
{
	bool chain_taken = false;  /* a branch of this if chain ran */
	for (const struct sv_node *n = first; n && !r->stopped &&
	    !r->breaking && !r->returning; n = n->next) {
		if (sv_run_step(r, 1) < 0)
			return -1;
		if (n->id == SV_C_IF)
			chain_taken = false;
		if (n->id == SV_C_IF || n->id == SV_C_ELSIF) {
			if (chain_taken)
				continue;
			int v = sv_eval(r, sv_positional(n, 0)->tests);
			if (v < 0)
				return -1;
			chain_taken = v;
			if (v && exec_block(r, n->block) < 0)
				return -1;
		} else if (n->id == SV_C_ELSE) {
			if (!chain_taken && exec_block(r, n->block) < 0)
				return -1;
			chain_taken = true;
		} else if (exec_command(r, n) < 0) {
			return -1;
		}
	}
	return 0;
}

/* The implicit keep, with the internal flags (RFC 5232 section 3). */
static void
implicit_keep(struct run *r)
{
	/* add_action left this slot free */
	struct sieve_action *a = &r->res->actions[r->res->n++];
	memset(a, 0, sizeof(*a));
	a->type = SIEVE_ACT_KEEP;
	a->implicit = true;
	static const struct sv_node none;
	if (!r->failed)
		(void)sv_run_flag_list(r, &none, a->flags, &a->nflags);
}

int
sieve_run(const struct sieve_program *prog, const struct sieve_message *m,
    const struct sieve_budget *budget, struct sieve_result *res)
{
	static const struct sieve_budget defaults = SIEVE_BUDGET_DEFAULT;
	if (budget == NULL)
		budget = &defaults;
	memset(res, 0, sizeof(*res));
	imap_arena_init(&res->arena, budget->memory);
	struct run *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		res->failed = true;
		res->actions[res->n++].type = SIEVE_ACT_KEEP;
		return -1;
	}
	r->m = m;
	r->res = res;
	r->exts = prog->script.exts;
	r->steps_left = budget->steps;
	r->regexes_left = budget->regexes;
	r->redirects_left = budget->redirects;
	r->implicit_keep = true;
	r->flags = (struct sv_span){ "", 0 };
	int rc = exec_block(r, prog->script.cmds);
	if (rc < 0 || r->failed) {
		/* RFC 5228 section 2.10.6: nothing done, keep the message */
		res->n = 0;
		res->failed = true;
		r->implicit_keep = true;
	}
	if (r->implicit_keep)
		implicit_keep(r);
	res->steps = budget->steps - r->steps_left;
	res->stopped = r->stopped;
	free(r);
	return res->failed ? -1 : 0;
}

void
sieve_result_free(struct sieve_result *res)
{
	imap_arena_reset(&res->arena);
	res->n = 0;
}
