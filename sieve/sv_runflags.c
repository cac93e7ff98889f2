/* sv_runflags: imap4flags (RFC 5232) during a run: flag lists held as
 * space-separated strings in a variable or the internal variable. */
#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_run.h"
#include "sv_table.h"

/* The next flag of s from *pos (space-separated); false at the end. */
static bool
next_flag(struct sv_span s, size_t *pos, struct sv_span *flag)
{
	while (*pos < s.n && s.s[*pos] == ' ')
		(*pos)++;
	if (*pos >= s.n)
		return false;
	size_t start = *pos;
	while (*pos < s.n && s.s[*pos] != ' ')
		(*pos)++;
	*flag = (struct sv_span){ s.s + start, *pos - start };
	return true;
}

static bool
list_has(struct sv_span list, struct sv_span f)
{
	size_t pos = 0;
	struct sv_span g;
	while (next_flag(list, &pos, &g))
		if (g.n == f.n && strncasecmp(g.s, f.s, f.n) == 0)
			return true;
	return false;
}

static void
append_flag(struct buf *b, struct sv_span f)
{
	if (b->len)
		buf_append_byte(b, ' ');
	buf_append(b, f.s, f.n);
}

/* base with the flags of args added (add) or removed (!add). */
static int
combine(struct run *r, struct sv_span base, const struct sv_arg *args,
    bool add, struct buf *out)
{
	size_t pos = 0;
	struct sv_span f;
	struct buf argflags = BUF_INIT(SV_RUN_MAX_VALUE);
	for (uint32_t i = 0; i < args->nstrs; i++) {
		struct sv_span v;
		if (sv_run_expand(r, &args->strs[i], &v) < 0) {
			buf_free(&argflags);
			return -1;
		}
		append_flag(&argflags, v);
	}
	struct sv_span given = { (const char *)argflags.data, argflags.len };
	while (next_flag(base, &pos, &f))
		if (!list_has((struct sv_span){ (const char *)out->data,
		    out->len }, f) && (add || !list_has(given, f)))
			append_flag(out, f);
	for (pos = 0; add && next_flag(given, &pos, &f);)
		if (!list_has((struct sv_span){ (const char *)out->data,
		    out->len }, f))
			append_flag(out, f);
	buf_free(&argflags);
	return sv_run_step(r, 1 + out->len / 64);
}

int
sv_run_flags(struct run *r, const struct sv_node *n)
{
	bool named = sv_npositional(n) == 2;
	const struct sv_arg *var = named ? sv_positional(n, 0) : NULL;
	const struct sv_arg *flags = sv_positional(n, named ? 1 : 0);
	struct sv_span base = r->flags;
	if (var != NULL) {
		const struct sv_span *v = sv_run_var_get(r, var->strs[0].s,
		    var->strs[0].n);
		base = v ? *v : (struct sv_span){ "", 0 };
	}
	if (n->id == SV_C_SETFLAG)
		base = (struct sv_span){ "", 0 };
	struct buf out = BUF_INIT(SV_RUN_MAX_VALUE);
	int rc = combine(r, base, flags, n->id != SV_C_REMOVEFLAG, &out);
	struct sv_span v = { out.len ? (const char *)out.data : "", out.len };
	if (rc == 0 && var != NULL)
		rc = sv_run_var_set(r, var->strs[0].s, var->strs[0].n, v);
	else if (rc == 0) {
		const char *c = sv_run_dup(r, v.s, v.n);
		rc = c ? 0 : -1;
		r->flags = (struct sv_span){ c, v.n };
	}
	buf_free(&out);
	return rc;
}

int
sv_run_flag_list(struct run *r, const struct sv_node *n, const char **list,
    size_t *count)
{
	struct sv_span all = r->flags;
	struct buf b = BUF_INIT(SV_RUN_MAX_VALUE);
	const struct sv_arg *given = sv_tag_value(n, SV_TAG_FLAGS);
	if (given != NULL) {
		if (combine(r, (struct sv_span){ "", 0 }, given, true, &b) < 0) {
			buf_free(&b);
			return -1;
		}
		all = (struct sv_span){ (const char *)b.data, b.len };
	}
	size_t pos = 0;
	struct sv_span f;
	*count = 0;
	while (*count < SIEVE_MAX_FLAGS && next_flag(all, &pos, &f)) {
		list[*count] = sv_run_dup(r, f.s, f.n);
		if (list[(*count)++] == NULL)
			break;
	}
	buf_free(&b);
	return r->failed ? -1 : 0;
}
