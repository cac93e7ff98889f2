/* sv_runvars: variables, expansion, set's modifiers and imap4flags'
 * flag lists during a run (sv_run.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_run.h"
#include "sv_table.h"
#include "sv_vars.h"

#define EXT_BIT(e) ((uint64_t)1 << (e))

int
sv_run_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->res->why, sizeof(r->res->why), fmt, ap);
	va_end(ap);
	r->failed = true;
	return -1;
}

int
sv_run_step(struct run *r, size_t cost)
{
	if (r->failed)
		return -1;
	if (cost >= r->steps_left) {
		r->steps_left = 0;
		return sv_run_fail(r, "over the step budget");
	}
	r->steps_left -= (uint32_t)cost;
	return 0;
}

const char *
sv_run_dup(struct run *r, const char *s, size_t n)
{
	char *p = imap_arena_strndup(&r->res->arena, s, n);
	if (p == NULL)
		sv_run_fail(r, "over the memory budget");
	return p;
}

const struct sv_span *
sv_run_var_get(struct run *r, const char *name, size_t n)
{
	for (unsigned i = 0; i < r->nvars; i++)
		if (strlen(r->vars[i].name) == n &&
		    strncasecmp(r->vars[i].name, name, n) == 0)
			return &r->vars[i].val;
	return NULL;
}

int
sv_run_var_set(struct run *r, const char *name, size_t n, struct sv_span v)
{
	if (v.n > SV_RUN_MAX_VALUE)
		v.n = SV_RUN_MAX_VALUE;  /* RFC 5229 section 6: truncated */
	const char *copy = sv_run_dup(r, v.s, v.n);
	if (copy == NULL)
		return -1;
	struct sv_span *old = (struct sv_span *)sv_run_var_get(r, name, n);
	if (old != NULL) {
		*old = (struct sv_span){ copy, v.n };
		return 0;
	}
	if (r->nvars == SV_RUN_MAX_VARS)
		return sv_run_fail(r, "more than %d variables", SV_RUN_MAX_VARS);
	const char *nm = sv_run_dup(r, name, n);
	if (nm == NULL)
		return -1;
	r->vars[r->nvars].name = nm;
	r->vars[r->nvars++].val = (struct sv_span){ copy, v.n };
	return 0;
}

void
sv_run_set_match(struct run *r, const struct sv_caps *caps)
{
	if (!(r->exts & EXT_BIT(SV_EXT_VARIABLES)))
		return;
	r->nmatch = 0;
	for (unsigned i = 0; i < caps->count && i < SV_MATCH_VARS; i++) {
		const char *c = sv_run_dup(r, caps->s[i], caps->n[i]);
		if (c == NULL)
			return;
		r->match[i] = (struct sv_span){ c, caps->n[i] };
		r->nmatch = i + 1;
	}
}

static const struct sv_span *
reference(struct run *r, const char *name, size_t n)
{
	static const struct sv_span empty = { "", 0 };
	if (sv_var_is_match(name, n)) {
		unsigned k = n == 1 ? (unsigned)(name[0] - '0') : SV_MATCH_VARS;
		return k < r->nmatch ? &r->match[k] : &empty;
	}
	const struct sv_span *v = sv_run_var_get(r, name, n);
	return v ? v : &empty;
}

int
sv_run_expand(struct run *r, const struct sv_str *in, struct sv_span *out)
{
	*out = (struct sv_span){ in->s, in->n };
	if (!(r->exts & EXT_BIT(SV_EXT_VARIABLES)) ||
	    memmem(in->s, in->n, "${", 2) == NULL)
		return 0;
	struct buf b = BUF_INIT(SV_RUN_MAX_VALUE);
	for (size_t i = 0; i < in->n; i++) {
		const char *name;
		size_t nl, len = sv_var_ref(in->s + i, in->n - i, &name, &nl);
		if (len == 0) {
			buf_append_byte(&b, (uint8_t)in->s[i]);
			continue;
		}
		const struct sv_span *v = reference(r, name, nl);
		size_t room = SV_RUN_MAX_VALUE - b.len;
		buf_append(&b, v->s, v->n < room ? v->n : room);
		i += len - 1;
	}
	int rc = sv_run_step(r, 1 + b.len / 256);
	const char *c = rc == 0 ? sv_run_dup(r, (const char *)b.data, b.len) :
	    NULL;
	*out = (struct sv_span){ c, b.len };
	buf_free(&b);
	return c ? 0 : -1;
}

/* set's modifiers in RFC 5229's order of precedence, highest first. */
static void
apply_modifiers(const struct sv_node *n, char *s, size_t *len, size_t cap,
    char *tmp)
{
	bool lower = sv_has_tag(n, SV_TAG_LOWER);
	if (lower || sv_has_tag(n, SV_TAG_UPPER))
		for (size_t i = 0; i < *len; i++)
			s[i] = (char)(lower ? tolower((unsigned char)s[i]) :
			    toupper((unsigned char)s[i]));
	if (*len && sv_has_tag(n, SV_TAG_LOWERFIRST))
		s[0] = (char)tolower((unsigned char)s[0]);
	if (*len && sv_has_tag(n, SV_TAG_UPPERFIRST))
		s[0] = (char)toupper((unsigned char)s[0]);
	bool wild = sv_has_tag(n, SV_TAG_QUOTEWILDCARD);
	bool re = sv_has_tag(n, SV_TAG_QUOTEREGEX);
	if (wild || re) {
		const char *special = re ? "*?\\.+[](){}|^$" : "*?\\";
		size_t k = 0;
		for (size_t i = 0; i < *len && k + 2 <= cap; i++) {
			if (strchr(special, s[i]) != NULL && s[i] != '\0')
				tmp[k++] = '\\';
			tmp[k++] = s[i];
		}
		*len = k < cap ? k : cap;
		memcpy(s, tmp, *len);
	}
	if (sv_has_tag(n, SV_TAG_LENGTH))
		*len = (size_t)snprintf(s, cap, "%zu", *len);
}

/* set and extracttext: v through n's modifiers into the variable that
 * is n's first positional argument. */
static int
assign(struct run *r, const struct sv_node *n, struct sv_span v)
{
	const struct sv_arg *name = sv_positional(n, 0);
	/* the value and the room quoting needs */
	char *s = malloc(2 * (size_t)SV_RUN_MAX_VALUE + 2);
	if (s == NULL)
		return sv_run_fail(r, "out of memory");
	size_t len = v.n < SV_RUN_MAX_VALUE ? v.n : SV_RUN_MAX_VALUE;
	memcpy(s, v.s, len);
	apply_modifiers(n, s, &len, SV_RUN_MAX_VALUE, s + SV_RUN_MAX_VALUE + 1);
	int rc = sv_run_var_set(r, name->strs[0].s, name->strs[0].n,
	    (struct sv_span){ s, len });
	free(s);
	return rc;
}

int
sv_run_set(struct run *r, const struct sv_node *n)
{
	struct sv_span v;
	if (sv_run_expand(r, &sv_positional(n, 1)->strs[0], &v) < 0)
		return -1;
	return assign(r, n, v);
}

/* extracttext (RFC 5703 section 7): the current part's text, :first N
 * bytes of it at most. */
int
sv_run_extracttext(struct run *r, const struct sv_node *n)
{
	struct sv_span v = { "", 0 };
	if (r->m->part_text != NULL &&
	    r->m->part_text(r->m->ctx, r->part, &v.s, &v.n) < 0)
		v = (struct sv_span){ "", 0 };
	const struct sv_arg *first = sv_tag_value(n, SV_TAG_FIRST);
	if (first != NULL && first->num < v.n)
		v.n = (size_t)first->num;
	if (sv_run_step(r, 1 + v.n / 256) < 0)
		return -1;
	return assign(r, n, v);
}
