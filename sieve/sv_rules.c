/* sv_rules: the per-command rules of the compiler (sv_rules.h). */
#include "sv_rules.h"

#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_regex.h"
#include "sv_table.h"
#include "sv_vars.h"

#define EXT_BIT(e) ((uint64_t)1 << (e))
#define fail(a, ...) \
	(sv_error_set(err, (a)->line, (a)->col, __VA_ARGS__), -1)

static const char *const date_parts[] = { "year", "month", "day", "date",
	"julian", "hour", "minute", "second", "time", "iso8601", "std11",
	"zone", "weekday", NULL };
static const char *const relations[] = { "gt", "ge", "lt", "le", "eq",
	"ne", NULL };
static const char *const comparators[] = { "i;octet", "i;ascii-casemap",
	"i;ascii-numeric", NULL };

static int
index_of(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int
sv_date_part(const char *name)
{
	return index_of(date_parts, name);
}

int
sv_relation(const char *name)
{
	return index_of(relations, name);
}

int
sv_comparator(const char *name)
{
	return index_of(comparators, name);
}

/* A string with a variable reference is known only at run time. */
static bool
has_reference(const struct sv_str *s, uint64_t exts)
{
	if (!(exts & EXT_BIT(SV_EXT_VARIABLES)))
		return false;
	for (uint32_t i = 0; i + 1 < s->n; i++) {
		const char *name;
		size_t nl;
		if (sv_var_ref(s->s + i, s->n - i, &name, &nl) > 0)
			return true;
	}
	return false;
}

/* References to a namespace: none is supported, so each is an error
 * (RFC 5229 section 3). */
static int
check_references(const struct sv_arg *a, struct sieve_error *err)
{
	for (uint32_t k = 0; k < a->nstrs; k++) {
		const struct sv_str *s = &a->strs[k];
		for (uint32_t i = 0; i + 1 < s->n; i++) {
			const char *name;
			size_t nl;
			size_t len = sv_var_ref(s->s + i, s->n - i, &name, &nl);
			if (len > 0 && memchr(name, '.', nl) != NULL)
				return fail(a, "unknown variable namespace in "
				    "\"%.*s\"", (int)nl, name);
		}
	}
	return 0;
}

static int
check_match(const struct sv_node *n, uint64_t exts, struct sieve_error *err)
{
	const struct sv_arg *c = sv_tag_value(n, SV_TAG_COMPARATOR);
	if (c != NULL) {
		int k = sv_comparator(c->strs[0].s);
		if (k < 0 || strlen(c->strs[0].s) != c->strs[0].n)
			return fail(c, "unknown comparator \"%s\"", c->strs[0].s);
		if (k == SV_CMP_NUMERIC && !(exts & EXT_BIT(SV_EXT_CMP_NUMERIC)))
			return fail(c, "%s", "i;ascii-numeric needs require "
			    "\"comparator-i;ascii-numeric\"");
	}
	const struct sv_arg *r = sv_tag_value(n, SV_TAG_COUNT);
	if (r == NULL)
		r = sv_tag_value(n, SV_TAG_VALUE);
	if (r != NULL && sv_relation(r->strs[0].s) < 0)
		return fail(r, "unknown relational operator \"%s\"",
		    r->strs[0].s);
	if (!sv_has_tag(n, SV_TAG_REGEX))
		return 0;
	const struct sv_arg *keys = sv_positional(n, sv_npositional(n) - 1);
	bool icase = c == NULL || sv_comparator(c->strs[0].s) == SV_CMP_CASEMAP;
	if (c != NULL && sv_comparator(c->strs[0].s) == SV_CMP_NUMERIC)
		return fail(c, "%s", ":regex cannot use i;ascii-numeric");
	for (uint32_t i = 0; keys != NULL && i < keys->nstrs; i++) {
		if (has_reference(&keys->strs[i], exts))
			continue;
		regex_t re;
		char why[160];
		if (sv_regex_compile(&re, keys->strs[i].s, keys->strs[i].n,
		    icase, REG_NOSUB, why, sizeof(why)) < 0)
			return fail(keys, "%s", why);
		regfree(&re);
	}
	return 0;
}

static int
check_zone(const struct sv_arg *z, struct sieve_error *err)
{
	const char *s = z->strs[0].s;
	if (z->strs[0].n != 5 || (s[0] != '+' && s[0] != '-') ||
	    strspn(s + 1, "0123456789") != 4 || (s[1] - '0') * 10 +
	    (s[2] - '0') > 23 || s[3] > '5')
		return fail(z, "invalid time zone \"%s\"", s);
	return 0;
}

static int
check_date(const struct sv_node *n, struct sieve_error *err)
{
	const struct sv_arg *part = sv_positional(n,
	    n->id == SV_X_DATE ? 1 : 0);
	if (sv_date_part(part->strs[0].s) < 0)
		return fail(part, "unknown date part \"%s\"", part->strs[0].s);
	const struct sv_arg *z = sv_tag_value(n, SV_TAG_ZONE);
	return z != NULL ? check_zone(z, err) : 0;
}

/* :index N (from 1), :last only with :index; the mime options only
 * with :mime. */
static int
check_options(const struct sv_node *n, struct sieve_error *err)
{
	const struct sv_arg *ix = sv_tag_value(n, SV_TAG_INDEX);
	if (ix != NULL && (ix->num < 1 || ix->num > 1000000))
		return fail(ix, "%s", ":index must be between 1 and 1000000");
	if (n->is_test && sv_has_tag(n, SV_TAG_LAST) && ix == NULL)
		return fail(n, "%s", ":last needs :index");
	static const unsigned needs_mime[] = { SV_TAG_ANYCHILD, SV_TAG_TYPE,
		SV_TAG_SUBTYPE, SV_TAG_CONTENTTYPE, SV_TAG_PARAM };
	if (!n->is_test || sv_has_tag(n, SV_TAG_MIME))
		return 0;
	for (size_t i = 0; i < sizeof(needs_mime) / sizeof(needs_mime[0]); i++)
		if (sv_has_tag(n, needs_mime[i]))
			return fail(n, ":%s needs :mime",
			    sv_tags[needs_mime[i]].name);
	return 0;
}

static int
check_varname(const struct sv_arg *a, struct sieve_error *err)
{
	for (uint32_t i = 0; a != NULL && i < a->nstrs; i++)
		if (!sv_var_name_ok(a->strs[i].s, a->strs[i].n))
			return fail(a, "invalid variable name \"%s\"",
			    a->strs[i].s);
	return 0;
}

static int
check_command(const struct sv_node *n, uint64_t exts,
    struct sieve_error *err)
{
	const struct sv_arg *a = sv_positional(n, 0);
	switch (n->id) {
	case SV_C_SET:
	case SV_C_EXTRACTTEXT:
		return check_varname(a, err);
	case SV_C_SETFLAG:
	case SV_C_ADDFLAG:
	case SV_C_REMOVEFLAG:
		return sv_npositional(n) == 2 ? check_varname(a, err) : 0;
	case SV_C_GLOBAL:
		if (!(exts & EXT_BIT(SV_EXT_VARIABLES)))
			return fail(n, "%s", "global needs require \"variables\"");
		return check_varname(a, err);
	case SV_C_INCLUDE:
		if (a->strs[0].n == 0 || a->strs[0].n > 255 ||
		    strlen(a->strs[0].s) != a->strs[0].n ||
		    strchr(a->strs[0].s, '/') != NULL)
			return fail(a, "invalid script name \"%s\"",
			    a->strs[0].s);
		return 0;
	case SV_C_NOTIFY: {
		const struct sv_arg *imp = sv_tag_value(n, SV_TAG_IMPORTANCE);
		if (imp != NULL && (imp->strs[0].n != 1 ||
		    imp->strs[0].s[0] < '1' || imp->strs[0].s[0] > '3'))
			return fail(imp, "%s", ":importance must be 1, 2 or 3");
		if (!has_reference(&a->strs[0], exts) &&
		    strncasecmp(a->strs[0].s, "mailto:", 7) != 0)
			return fail(a, "unsupported notification method \"%s\"",
			    a->strs[0].s);
		return 0;
	}
	default:
		return 0;
	}
}

int
sv_rules_check(const struct sv_node *n, uint64_t exts,
    struct sieve_error *err)
{
	if (exts & EXT_BIT(SV_EXT_VARIABLES))
		for (uint32_t i = 0; i < n->nargs; i++)
			if (n->args[i].nstrs && n->id != SV_C_REQUIRE &&
			    check_references(&n->args[i], err) < 0)
				return -1;
	if (check_options(n, err) < 0)
		return -1;
	if (!n->is_test)
		return check_command(n, exts, err);
	if (n->id == SV_X_SIZE && !sv_has_tag(n, SV_TAG_OVER) &&
	    !sv_has_tag(n, SV_TAG_UNDER))
		return fail(n, "%s", "size needs :over or :under");
	if ((n->id == SV_X_DATE || n->id == SV_X_CURRENTDATE) &&
	    check_date(n, err) < 0)
		return -1;
	return check_match(n, exts, err);
}
