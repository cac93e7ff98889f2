/* sv_check: require, signatures and command order (sv_check.h). */
#include "sv_check.h"

#include <string.h>

#include "sv_encoded.h"
#include "sv_rules.h"
#include "sv_table.h"

#define EXT_BIT(e) ((uint64_t)1 << (e))

struct checker {
	struct sieve_error *err;
	bool from_source;
	/* the foreverypart loops around the node checked, for break */
	const struct sv_arg *loops[SIEVE_MAX_DEPTH];
	unsigned nloops;
};

#define fail(ck, line, col, ...) \
	(sv_error_set((ck)->err, (line), (col), __VA_ARGS__), -1)

_Static_assert(SV_TAG_MAX <= 64, "tags are a 64-bit set");

static uint32_t
first_positional(const struct sv_node *n)
{
	uint32_t i = 0;
	while (i < n->nargs && n->args[i].type == SV_ARG_TAG) {
		unsigned t = n->args[i].tag;
		i += (t < SV_TAG_MAX && sv_tags[t].arg) ? 2 : 1;
	}
	return i;
}

uint32_t
sv_npositional(const struct sv_node *n)
{
	uint32_t i = first_positional(n);
	return i < n->nargs ? n->nargs - i : 0;
}

const struct sv_arg *
sv_positional(const struct sv_node *n, unsigned i)
{
	uint32_t first = first_positional(n);
	if (first >= n->nargs || i >= n->nargs - first)
		return NULL;
	return &n->args[first + i];
}

/* The index of tag among n's tags, or n->nargs. */
static uint32_t
tag_index(const struct sv_node *n, unsigned tag)
{
	uint32_t i = 0;
	while (i < n->nargs && n->args[i].type == SV_ARG_TAG) {
		unsigned t = n->args[i].tag;
		if (t == tag)
			return i;
		i += (t < SV_TAG_MAX && sv_tags[t].arg) ? 2 : 1;
	}
	return n->nargs;
}

bool
sv_has_tag(const struct sv_node *n, unsigned tag)
{
	return tag_index(n, tag) < n->nargs;
}

const struct sv_arg *
sv_tag_value(const struct sv_node *n, unsigned tag)
{
	uint32_t i = tag_index(n, tag);
	if (i + 1 >= n->nargs || tag >= SV_TAG_MAX || !sv_tags[tag].arg)
		return NULL;
	return &n->args[i + 1];
}

static const struct sv_sig *
sig_of(const struct sv_node *n)
{
	return n->is_test ? &sv_tests[n->id] : &sv_cmds[n->id];
}

static bool
type_fits(char want, const struct sv_arg *a)
{
	switch (want) {
	case 'S': return a->type == SV_ARG_STR;
	case 'L': return a->type == SV_ARG_STR || a->type == SV_ARG_LIST;
	case 'N': return a->type == SV_ARG_NUM;
	case 'T': return a->type == SV_ARG_TEST;
	case 'X': return a->type == SV_ARG_TESTS;
	default: return false;
	}
}

static const char *
type_name(char want)
{
	switch (want) {
	case 'S': return "a string";
	case 'L': return "a string list";
	case 'N': return "a number";
	case 'T': return "a test";
	default: return "a test list";
	}
}

/* The extension a tag needs on this node; -1 when the node has no such
 * tag. */
static int
tag_ext(const struct sv_sig *sig, unsigned tag)
{
	for (size_t i = 0; i < sizeof(sig->tags) / sizeof(sig->tags[0]); i++)
		if (sig->tags[i].tag == tag)
			return sig->tags[i].ext ? sig->tags[i].ext : sig->ext;
	if (sv_tags[tag].family & sig->families)
		return sv_tags[tag].ext;
	return -1;
}

/* Tags first: known to this node, its extension required, at most once,
 * one per exclusive group, each followed by its value. */
static int
check_tags(struct checker *ck, struct sv_node *n, uint64_t exts,
    uint32_t *next)
{
	const struct sv_sig *sig = sig_of(n);
	uint32_t groups = 0;
	uint64_t seen = 0;
	uint32_t i = 0;
	for (; i < n->nargs && n->args[i].type == SV_ARG_TAG; i++) {
		struct sv_arg *a = &n->args[i];
		if (ck->from_source)
			a->tag = (uint16_t)sv_tag_lookup(a->tagname);
		else if (a->tag > 0 && a->tag < SV_TAG_MAX)
			a->tagname = sv_tags[a->tag].name;
		int ext = (a->tag > 0 && a->tag < SV_TAG_MAX) ?
		    tag_ext(sig, a->tag) : -1;
		if (ext < 0)
			return fail(ck, a->line, a->col,
			    "%s takes no tag :%s", n->name,
			    a->tagname ? a->tagname : "?");
		if (!(exts & EXT_BIT(ext)))
			return fail(ck, a->line, a->col,
			    ":%s needs require \"%s\"", a->tagname,
			    sv_ext_names[ext]);
		const struct sv_tagdef *td = &sv_tags[a->tag];
		if ((seen & ((uint64_t)1 << a->tag)) ||
		    (td->group && (groups & (1u << td->group))))
			return fail(ck, a->line, a->col,
			    ":%s conflicts with an earlier tag", a->tagname);
		seen |= (uint64_t)1 << a->tag;
		if (td->group)
			groups |= 1u << td->group;
		if (td->arg) {
			if (i + 1 >= n->nargs || !type_fits(td->arg,
			    &n->args[i + 1]))
				return fail(ck, a->line, a->col,
				    ":%s needs %s", a->tagname,
				    type_name(td->arg));
			i++;
		}
	}
	*next = i;
	return 0;
}

static int
check_positional(struct checker *ck, struct sv_node *n, uint32_t first)
{
	const struct sv_sig *sig = sig_of(n);
	size_t want = strlen(sig->pos);
	uint32_t have = n->nargs - first;
	for (uint32_t k = first; k < n->nargs; k++)
		if (n->args[k].type == SV_ARG_TAG)
			return fail(ck, n->args[k].line, n->args[k].col,
			    "%s: tag :%s after a positional argument",
			    n->name, n->args[k].tagname ?
			    n->args[k].tagname : "?");
	if (have < sig->posmin || have > want) {
		const struct sv_arg *a = have > want ?
		    &n->args[first + want] : NULL;
		return fail(ck, a ? a->line : n->line, a ? a->col : n->col,
		    "%s: %s", n->name, have > want ?
		    "too many arguments" : "missing arguments");
	}
	for (uint32_t k = 0; k < have; k++) {
		const struct sv_arg *a = &n->args[first + k];
		char t = sig->pos[want - have + k];
		if (!type_fits(t, a))
			return fail(ck, a->line, a->col,
			    "%s: expected %s here", n->name, type_name(t));
	}
	return 0;
}

static int check_block(struct checker *ck, struct sv_node *first,
    uint64_t exts, unsigned depth, bool top);

static int
resolve(struct checker *ck, struct sv_node *n)
{
	if (ck->from_source) {
		n->id = (uint16_t)(n->is_test ? sv_test_lookup(n->name) :
		    sv_cmd_lookup(n->name));
		if (n->id == 0)
			return fail(ck, n->line, n->col, "unknown %s \"%s\"",
			    n->is_test ? "test" : "command", n->name);
		return 0;
	}
	if (n->id == 0 || n->id >= (n->is_test ? SV_X_MAX : SV_C_MAX))
		return fail(ck, n->line, n->col, "unknown %s id",
		    n->is_test ? "test" : "command");
	n->name = sig_of(n)->name;
	return 0;
}

/* ihave's known extensions are usable inside the block it guards. */
static uint64_t
ihave_exts(const struct sv_node *ifcmd)
{
	const struct sv_arg *t = sv_positional(ifcmd, 0);
	if (t == NULL || t->type != SV_ARG_TEST || t->tests->id != SV_X_IHAVE)
		return 0;
	const struct sv_arg *l = sv_positional(t->tests, 0);
	uint64_t bits = 0;
	for (uint32_t i = 0; l != NULL && i < l->nstrs; i++) {
		int e = sv_ext_lookup(l->strs[i].s);
		if (e > 0 && strlen(l->strs[i].s) == l->strs[i].n)
			bits |= EXT_BIT(e);
	}
	return bits;
}

/* encoded-character: once, at compile time; a program holds the bytes. */
static int
decode_encoded(struct checker *ck, struct sv_node *n, uint64_t exts)
{
	if (!(exts & EXT_BIT(SV_EXT_ENCODED_CHARACTER)) ||
	    n->id == SV_C_REQUIRE)
		return 0;
	for (uint32_t i = 0; i < n->nargs; i++)
		for (uint32_t k = 0; k < n->args[i].nstrs; k++) {
			char why[100];
			if (sv_encoded_decode(&n->args[i].strs[k], why,
			    sizeof(why)) < 0)
				return fail(ck, n->args[i].line,
				    n->args[i].col, "%s", why);
		}
	return 0;
}

/* break and extracttext only inside foreverypart; break :name "x"
 * inside one named x (RFC 5703 sections 3 and 7). */
static int
check_break(struct checker *ck, const struct sv_node *n)
{
	if (n->is_test || (n->id != SV_C_BREAK && n->id != SV_C_EXTRACTTEXT))
		return 0;
	if (ck->nloops == 0)
		return fail(ck, n->line, n->col, "%s outside foreverypart",
		    n->name);
	if (n->id == SV_C_EXTRACTTEXT)
		return 0;
	const struct sv_arg *name = sv_tag_value(n, SV_TAG_NAME);
	for (unsigned i = 0; name != NULL && i < ck->nloops; i++)
		if (ck->loops[i] != NULL && ck->loops[i]->strs[0].n ==
		    name->strs[0].n && memcmp(ck->loops[i]->strs[0].s,
		    name->strs[0].s, name->strs[0].n) == 0)
			return 0;
	if (name != NULL)
		return fail(ck, name->line, name->col,
		    "no enclosing foreverypart named \"%s\"", name->strs[0].s);
	return 0;
}

static int
check_node(struct checker *ck, struct sv_node *n, uint64_t exts,
    unsigned depth)
{
	if (depth >= SIEVE_MAX_DEPTH)
		return fail(ck, n->line, n->col, "nested too deeply");
	if (resolve(ck, n) < 0)
		return -1;
	const struct sv_sig *sig = sig_of(n);
	if (!(exts & EXT_BIT(sig->ext)))
		return fail(ck, n->line, n->col, "%s needs require \"%s\"",
		    n->name, sv_ext_names[sig->ext]);
	uint32_t first;
	if (check_tags(ck, n, exts, &first) < 0 ||
	    check_positional(ck, n, first) < 0)
		return -1;
	if (n->has_block != (sig->block != 0))
		return fail(ck, n->line, n->col, n->has_block ?
		    "%s takes no block" : "%s needs a block", n->name);
	for (uint32_t i = 0; i < n->nargs; i++) {
		struct sv_arg *a = &n->args[i];
		if (a->type != SV_ARG_TEST && a->type != SV_ARG_TESTS)
			continue;
		for (struct sv_node *t = a->tests; t != NULL; t = t->next)
			if (check_node(ck, t, exts, depth + 1) < 0)
				return -1;
	}
	if (ck->from_source && decode_encoded(ck, n, exts) < 0)
		return -1;
	if (sv_rules_check(n, exts, ck->err) < 0 || check_break(ck, n) < 0)
		return -1;
	if (!n->has_block)
		return 0;
	bool loop = n->id == SV_C_FOREVERYPART && ck->nloops < SIEVE_MAX_DEPTH;
	if (loop)
		ck->loops[ck->nloops++] = sv_tag_value(n, SV_TAG_NAME);
	int rc = check_block(ck, n->block, exts | ihave_exts(n), depth + 1,
	    false);
	if (loop)
		ck->nloops--;
	return rc;
}

/* require: every name a known extension; returns the extensions added. */
static int
check_require(struct checker *ck, struct sv_node *n, uint64_t *exts)
{
	const struct sv_arg *l = sv_positional(n, 0);
	for (uint32_t i = 0; l != NULL && i < l->nstrs; i++) {
		int e = sv_ext_lookup(l->strs[i].s);
		if (e <= 0 || strlen(l->strs[i].s) != l->strs[i].n)
			return fail(ck, l->line, l->col,
			    "unknown extension \"%s\"", l->strs[i].s);
		*exts |= EXT_BIT(e);
	}
	return 0;
}

static int
check_block(struct checker *ck, struct sv_node *first, uint64_t exts,
    unsigned depth, bool top)
{
	bool requires_allowed = top;
	unsigned prev = 0;
	for (struct sv_node *n = first; n != NULL; n = n->next) {
		if (check_node(ck, n, exts, depth) < 0)
			return -1;
		if (n->id == SV_C_REQUIRE) {
			if (!requires_allowed)
				return fail(ck, n->line, n->col, "%s",
				    "require must come before other commands");
			/* the extensions hold from the next command on */
			if (check_require(ck, n, &exts) < 0)
				return -1;
		} else {
			requires_allowed = false;
		}
		if ((n->id == SV_C_ELSIF || n->id == SV_C_ELSE) &&
		    prev != SV_C_IF && prev != SV_C_ELSIF)
			return fail(ck, n->line, n->col,
			    "%s without a preceding if", n->name);
		prev = n->id;
	}
	return 0;
}

int
sv_check(struct sv_script *s, bool from_source, struct sieve_error *err)
{
	struct checker ck = { .err = err, .from_source = from_source };
	s->exts = EXT_BIT(SV_EXT_CORE);
	if (check_block(&ck, s->cmds, s->exts, 0, true) < 0)
		return -1;
	for (struct sv_node *n = s->cmds; n != NULL && n->id == SV_C_REQUIRE;
	    n = n->next)
		(void)check_require(&ck, n, &s->exts);
	return 0;
}
