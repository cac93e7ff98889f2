/* sv_eval: the tests of a run (sv_run.h): values gathered from the
 * message, then compared with the keys under the comparator and match
 * type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sv_check.h"
#include "sv_date.h"
#include "sv_regex.h"
#include "sv_rules.h"
#include "sv_run.h"
#include "sv_table.h"

struct values {
	struct sv_span v[SV_RUN_MAX_VALUES];
	size_t n;
};

static void
add_value(struct values *vs, const char *s, size_t n)
{
	if (vs->n < SV_RUN_MAX_VALUES)
		vs->v[vs->n++] = (struct sv_span){ s, n };
}

static int
match_type(const struct sv_node *t)
{
	static const unsigned types[] = { SV_TAG_CONTAINS, SV_TAG_MATCHES,
		SV_TAG_REGEX, SV_TAG_COUNT, SV_TAG_VALUE };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (sv_has_tag(t, types[i]))
			return (int)types[i];
	return SV_TAG_IS;
}

/* One value against one (expanded) key. */
static int
match_one(struct run *r, int mt, int cmp, int rel, struct sv_span v,
    struct sv_span k, struct sv_caps *caps)
{
	if (sv_run_step(r, 1 + (v.n + k.n) / 256) < 0)
		return -1;
	switch (mt) {
	case SV_TAG_IS:
		return sv_compare(cmp, v.s, v.n, k.s, k.n) == 0;
	case SV_TAG_CONTAINS:
	case SV_TAG_MATCHES:
		/* both cost up to value times key: paid before the work, one
		 * step per 256 byte comparisons */
		if (sv_run_step(r, (v.n / 16 + 1) * (k.n / 16 + 1)) < 0)
			return -1;
		if (mt == SV_TAG_CONTAINS)
			return sv_contains(cmp, v.s, v.n, k.s, k.n);
		return sv_glob(cmp, v.s, v.n, k.s, k.n, caps);
	case SV_TAG_VALUE:
		return sv_relation_holds(rel, sv_compare(cmp, v.s, v.n, k.s,
		    k.n));
	default: {
		if (r->regexes_left == 0)
			return sv_run_fail(r, "over the regex budget");
		r->regexes_left--;
		regex_t re;
		char why[160];
		if (sv_regex_compile(&re, k.s, k.n, cmp == SV_CMP_CASEMAP, 0,
		    why, sizeof(why)) < 0)
			return sv_run_fail(r, "%s", why);
		int hit = sv_regex_match(&re, v.s, v.n, caps);
		regfree(&re);
		return hit;
	}
	}
}

/* Any value against any key; :count compares the number of values. */
static int
match_values(struct run *r, const struct sv_node *t, const struct values *vs,
    const struct sv_arg *keys)
{
	int mt = match_type(t), rel = SV_REL_EQ, cmp = SV_CMP_CASEMAP;
	const struct sv_arg *c = sv_tag_value(t, SV_TAG_COMPARATOR);
	if (c != NULL)
		cmp = sv_comparator(c->strs[0].s);
	const struct sv_arg *ra = sv_tag_value(t, mt == SV_TAG_COUNT ?
	    SV_TAG_COUNT : SV_TAG_VALUE);
	if (ra != NULL)
		rel = sv_relation(ra->strs[0].s);
	char count[24];
	struct values counted = { .n = 0 };
	if (mt == SV_TAG_COUNT) {
		int len = snprintf(count, sizeof(count), "%zu", vs->n);
		add_value(&counted, count, (size_t)len);
		vs = &counted;
		mt = SV_TAG_VALUE;
	}
	for (uint32_t k = 0; k < keys->nstrs; k++) {
		struct sv_span key;
		if (sv_run_expand(r, &keys->strs[k], &key) < 0)
			return -1;
		for (size_t i = 0; i < vs->n; i++) {
			struct sv_caps caps = { .count = 0 };
			int hit = match_one(r, mt, cmp, rel, vs->v[i], key,
			    &caps);
			if (hit != 0) {
				if (hit > 0)
					sv_run_set_match(r, &caps);
				return r->failed ? -1 : hit;
			}
		}
	}
	return 0;
}

/* The fields name of the current part (with :anychild, of it and the
 * parts below it); with :mime, what its options take from each. */
static int
part_fields(struct run *r, const struct sv_node *t, struct sv_span name,
    struct values *vs)
{
	bool any = sv_has_tag(t, SV_TAG_ANYCHILD);
	bool mime = sv_has_tag(t, SV_TAG_MIME);
	size_t parts = r->m->part_header != NULL ? r->m->nparts : 1;
	for (size_t p = r->part; p < parts; p++) {
		if (sv_run_step(r, 1) < 0)
			return -1;
		if (p != r->part && (!any || !sv_run_part_within(r, p, r->part)))
			continue;
		for (size_t i = 0; vs->n < SV_RUN_MAX_VALUES; i++) {
			struct sv_span v, mv[16];
			if (sv_run_field(r, p, name.s, i, &v.s, &v.n) < 0)
				break;
			if (sv_run_step(r, 1) < 0)
				return -1;
			size_t k = mime ? sv_run_mime_values(r, t, v, mv, 16) : 0;
			for (size_t j = 0; j < k; j++)
				add_value(vs, mv[j].s, mv[j].n);
			if (!mime)
				add_value(vs, v.s, v.n);
		}
		if (!any)
			break;
	}
	return 0;
}

/* The values of the named fields, :index N (:last) choosing one. */
static int
header_values(struct run *r, const struct sv_node *t,
    const struct sv_arg *names, struct values *vs)
{
	const struct sv_arg *ix = sv_tag_value(t, SV_TAG_INDEX);
	for (uint32_t k = 0; k < names->nstrs; k++) {
		struct sv_span name;
		if (sv_run_expand(r, &names->strs[k], &name) < 0)
			return -1;
		size_t first = vs->n;
		if (part_fields(r, t, name, vs) < 0)
			return -1;
		if (ix == NULL)
			continue;
		size_t got = vs->n - first, want = (size_t)ix->num;
		vs->n = first;
		if (want <= got) {
			size_t at = sv_has_tag(t, SV_TAG_LAST) ? got - want :
			    want - 1;
			vs->v[vs->n++] = vs->v[first + at];
		}
	}
	return 0;
}

static unsigned
address_part(const struct sv_node *t)
{
	static const unsigned parts[] = { SV_TAG_LOCALPART, SV_TAG_DOMAIN,
		SV_TAG_USER, SV_TAG_DETAIL };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (sv_has_tag(t, parts[i]))
			return parts[i];
	return SV_TAG_ALL;
}

/* Addresses of fields (address) or of the envelope (envelope), each
 * reduced to its part. */
static int
address_values(struct run *r, const struct sv_node *t, struct values *vs)
{
	const struct sv_arg *names = sv_positional(t, 0);
	struct values raw = { .n = 0 };
	if (t->id == SV_X_ENVELOPE) {
		for (uint32_t k = 0; k < names->nstrs; k++) {
			const char *e = NULL;
			if (strcasecmp(names->strs[k].s, "from") == 0)
				e = r->m->envelope_from;
			else if (strcasecmp(names->strs[k].s, "to") == 0)
				e = r->m->envelope_to;
			if (e != NULL)
				add_value(&raw, e, strlen(e));
		}
	} else if (header_values(r, t, names, &raw) < 0) {
		return -1;
	}
	unsigned part = address_part(t);
	for (size_t i = 0; i < raw.n; i++) {
		struct sv_span addrs[SV_ADDR_MAX], p;
		size_t n = t->id == SV_X_ENVELOPE ? 1 :
		    sv_addr_list(raw.v[i].s, raw.v[i].n, addrs, SV_ADDR_MAX);
		if (t->id == SV_X_ENVELOPE)
			addrs[0] = raw.v[i];
		if (sv_run_step(r, 1 + raw.v[i].n / 256) < 0)
			return -1;
		for (size_t k = 0; k < n; k++)
			if (sv_addr_part(part, addrs[k], &p))
				add_value(vs, p.s, p.n);
	}
	return 0;
}

static int
body_values(struct run *r, const struct sv_node *t, struct values *vs)
{
	enum sieve_body_transform tr = SIEVE_BODY_TEXT;
	const char *types[16];
	size_t ntypes = 0;
	const struct sv_arg *ct = sv_tag_value(t, SV_TAG_CONTENT);
	if (sv_has_tag(t, SV_TAG_RAW))
		tr = SIEVE_BODY_RAW;
	if (ct != NULL) {
		tr = SIEVE_BODY_CONTENT;
		for (uint32_t i = 0; i < ct->nstrs && ntypes < 16; i++)
			types[ntypes++] = ct->strs[i].s;
	}
	const char *text;
	size_t len;
	if (r->m->body != NULL &&
	    r->m->body(r->m->ctx, tr, types, ntypes, &text, &len) == 0) {
		if (sv_run_step(r, 1 + len / 256) < 0)
			return -1;
		add_value(vs, text, len);
	}
	return 0;
}

static int
string_values(struct run *r, const struct sv_node *t, struct values *vs)
{
	const struct sv_arg *src = sv_positional(t, 0);
	bool count = sv_has_tag(t, SV_TAG_COUNT);
	for (uint32_t i = 0; i < src->nstrs; i++) {
		struct sv_span v;
		if (sv_run_expand(r, &src->strs[i], &v) < 0)
			return -1;
		if (!count || v.n)  /* :count counts the non-empty ones */
			add_value(vs, v.s, v.n);
	}
	return 0;
}

/* hasflag: the flags of the named variables (or the internal one). */
static int
flag_values(struct run *r, const struct sv_node *t, struct values *vs)
{
	bool named = sv_npositional(t) == 2;
	struct values lists = { .n = 0 };
	if (!named)
		add_value(&lists, r->flags.s ? r->flags.s : "", r->flags.n);
	for (uint32_t i = 0; named && i < sv_positional(t, 0)->nstrs; i++) {
		const struct sv_str *nm = &sv_positional(t, 0)->strs[i];
		const struct sv_span *v = sv_run_var_get(r, nm->s, nm->n);
		if (v != NULL)
			add_value(&lists, v->s, v->n);
	}
	for (size_t i = 0; i < lists.n; i++) {
		struct sv_span l = lists.v[i];
		for (size_t p = 0; p < l.n;) {
			while (p < l.n && l.s[p] == ' ')
				p++;
			size_t start = p;
			while (p < l.n && l.s[p] != ' ')
				p++;
			if (p > start)
				add_value(vs, l.s + start, p - start);
		}
	}
	return 0;
}

/* date and currentdate: the date part as text, in the zone asked for. */
static int
date_values(struct run *r, const struct sv_node *t, struct values *vs)
{
	bool current = t->id == SV_X_CURRENTDATE;
	const struct sv_arg *zarg = sv_tag_value(t, SV_TAG_ZONE);
	int zone = zarg ? sv_zone_minutes(zarg->strs[0].s) : r->m->zone;
	int part = sv_date_part(sv_positional(t, current ? 0 : 1)->strs[0].s);
	struct values raw = { .n = 0 };
	struct sv_date dates[SV_RUN_MAX_VALUES];
	size_t nd = 0;
	if (current) {
		dates[nd++] = (struct sv_date){ r->m->now, zone };
	} else if (header_values(r, t, sv_positional(t, 0), &raw) < 0) {
		return -1;
	}
	for (size_t i = 0; i < raw.n; i++)
		if (sv_date_parse(raw.v[i].s, raw.v[i].n, &dates[nd])) {
			if (!sv_has_tag(t, SV_TAG_ORIGINALZONE))
				dates[nd].zone = zone;
			nd++;
		}
	for (size_t i = 0; i < nd; i++) {
		char text[64];
		size_t len = sv_date_part_text(&dates[i], part, text,
		    sizeof(text));
		const char *c = len ? sv_run_dup(r, text, len) : NULL;
		if (c != NULL)
			add_value(vs, c, len);
	}
	return r->failed ? -1 : 0;
}

static int
eval_mailboxexists(struct run *r, const struct sv_node *t)
{
	const struct sv_arg *names = sv_positional(t, 0);
	for (uint32_t i = 0; i < names->nstrs; i++) {
		struct sv_span v;
		if (sv_run_expand(r, &names->strs[i], &v) < 0 ||
		    sv_run_step(r, 1) < 0)
			return -1;
		if (r->m->mailbox_exists == NULL ||
		    r->m->mailbox_exists(r->m->ctx, v.s) <= 0)
			return 0;
	}
	return 1;
}

/* duplicate (RFC 7352): the id is :uniqueid, or the field :header names,
 * or Message-ID; a message without one is never a duplicate. */
static int
eval_duplicate(struct run *r, const struct sv_node *t)
{
	const struct sv_arg *u = sv_tag_value(t, SV_TAG_UNIQUEID);
	const struct sv_arg *h = sv_tag_value(t, SV_TAG_HEADER);
	const struct sv_arg *hd = sv_tag_value(t, SV_TAG_HANDLE);
	const struct sv_arg *sec = sv_tag_value(t, SV_TAG_SECONDS);
	struct sv_span id = { NULL, 0 }, handle = { "", 0 };
	if (u != NULL && sv_run_expand(r, &u->strs[0], &id) < 0)
		return -1;
	if (hd != NULL && sv_run_expand(r, &hd->strs[0], &handle) < 0)
		return -1;
	if (u == NULL && (r->m->header == NULL || r->m->header(r->m->ctx,
	    h ? h->strs[0].s : "Message-ID", 0, &id.s, &id.n) < 0))
		return 0;
	if (r->m->duplicate == NULL)
		return 0;
	const char *hcopy = sv_run_dup(r, handle.s, handle.n);
	if (hcopy == NULL)
		return -1;
	return r->m->duplicate(r->m->ctx, hcopy, id.s, id.n,
	    sec ? sec->num : 7 * 86400, sv_has_tag(t, SV_TAG_LAST)) > 0;
}

static int
eval_exists(struct run *r, const struct sv_node *t)
{
	const struct sv_arg *names = sv_positional(t, 0);
	for (uint32_t k = 0; k < names->nstrs; k++) {
		struct sv_span name;
		struct values *one = calloc(1, sizeof(*one));
		if (one == NULL)
			return sv_run_fail(r, "out of memory");
		int rc = sv_run_expand(r, &names->strs[k], &name);
		if (rc == 0)
			rc = part_fields(r, t, name, one);
		size_t found = one->n;
		free(one);
		if (rc < 0)
			return -1;
		if (found == 0)
			return 0;
	}
	return 1;
}

static int
eval_logic(struct run *r, const struct sv_node *t)
{
	const struct sv_arg *a = sv_positional(t, 0);
	if (t->id == SV_X_NOT) {
		int v = sv_eval(r, a->tests);
		return v < 0 ? -1 : !v;
	}
	bool all = t->id == SV_X_ALLOF;
	for (const struct sv_node *s = a->tests; s != NULL; s = s->next) {
		int v = sv_eval(r, s);
		if (v < 0)
			return -1;
		if (v != all)   /* anyof: first true; allof: first false */
			return v;
	}
	return all;
}

/* environment (RFC 5183): the items an MDA knows without asking. */
static int
environment_values(const struct sv_node *t, struct values *vs)
{
	static const char *const items[][2] = { { "location", "MDA" },
		{ "phase", "during" }, { "name", "Cloister" } };
	const struct sv_str *name = &sv_positional(t, 0)->strs[0];
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (strcasecmp(items[i][0], name->s) == 0)
			add_value(vs, items[i][1], strlen(items[i][1]));
	return 0;
}

static int
eval_simple(struct run *r, const struct sv_node *t)
{
	const struct sv_arg *a = sv_positional(t, 0);
	switch (t->id) {
	case SV_X_TRUE: return 1;
	case SV_X_FALSE: return 0;
	case SV_X_SIZE: {
		const struct sv_arg *over = sv_tag_value(t, SV_TAG_OVER);
		if (over != NULL)
			return r->m->size > over->num;
		return r->m->size < sv_tag_value(t, SV_TAG_UNDER)->num;
	}
	case SV_X_EXISTS:
		return eval_exists(r, t);
	case SV_X_MAILBOXEXISTS:
		return eval_mailboxexists(r, t);
	case SV_X_DUPLICATE:
		return eval_duplicate(r, t);
	case SV_X_IHAVE:
		for (uint32_t i = 0; i < a->nstrs; i++)
			if (sv_ext_lookup(a->strs[i].s) <= 0)
				return 0;
		return 1;
	case SV_X_VALID_NOTIFY_METHOD:
		for (uint32_t i = 0; i < a->nstrs; i++)
			if (strncasecmp(a->strs[i].s, "mailto:", 7) != 0)
				return 0;
		return 1;
	default:
		return sv_run_fail(r, "line %u: %s is not supported at delivery",
		    t->line, t->name);
	}
}

int
sv_eval(struct run *r, const struct sv_node *t)
{
	if (sv_run_step(r, 1) < 0)
		return -1;
	struct values *vs = calloc(1, sizeof(*vs));
	if (vs == NULL)
		return sv_run_fail(r, "out of memory");
	int rc = 0;
	const struct sv_arg *keys = sv_positional(t, sv_npositional(t) - 1);
	switch (t->id) {
	case SV_X_HEADER:
		rc = header_values(r, t, sv_positional(t, 0), vs);
		break;
	case SV_X_ADDRESS:
	case SV_X_ENVELOPE:
		rc = address_values(r, t, vs);
		break;
	case SV_X_BODY:
		rc = body_values(r, t, vs);
		break;
	case SV_X_STRING:
		rc = string_values(r, t, vs);
		break;
	case SV_X_HASFLAG:
		rc = flag_values(r, t, vs);
		break;
	case SV_X_ENVIRONMENT:
		rc = environment_values(t, vs);
		break;
	case SV_X_DATE:
	case SV_X_CURRENTDATE:
		rc = date_values(r, t, vs);
		break;
	case SV_X_NOTIFY_METHOD_CAPABILITY: {
		/* RFC 5436 section 2.3: whether mailto reaches the user now is
		 * never known */
		struct sv_span uri, cap;
		rc = sv_run_expand(r, &sv_positional(t, 0)->strs[0], &uri);
		if (rc == 0)
			rc = sv_run_expand(r, &sv_positional(t, 1)->strs[0], &cap);
		if (rc == 0 && uri.n >= 7 && strncasecmp(uri.s, "mailto:", 7) == 0
		    && cap.n == 6 && strncasecmp(cap.s, "online", 6) == 0)
			add_value(vs, "maybe", 5);
		break;
	}
	case SV_X_NOT:
	case SV_X_ALLOF:
	case SV_X_ANYOF:
		free(vs);
		return eval_logic(r, t);
	default:
		free(vs);
		return eval_simple(r, t);
	}
	if (rc == 0)
		rc = match_values(r, t, vs, keys);
	free(vs);
	return rc;
}
