/* imap_cmd_list: LIST (RFC 9051, LIST-EXTENDED RFC 5258, LIST-STATUS
 * RFC 5819, SPECIAL-USE RFC 6154) and LSUB. The store lists the user's
 * mailboxes; pattern matching happens here. */
#include "imap_commands.h"
#include "imap_mbox.h"
#include "imap_mutf7.h"
#include "imap_out.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>


struct mbox {
	const char *name;
	struct store_mbox_status st;
};

struct collect {
	struct imap_session *s;
	struct mbox *v;
	size_t n, cap;
	bool failed;
};

static int
collect_cb(void *arg, const struct store_mbox_info *mb)
{
	struct collect *c = arg;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		struct mbox *nv = realloc(c->v, ncap * sizeof(*nv));
		if (nv == NULL) {
			c->failed = true;
			return 1;
		}
		c->v = nv;
		c->cap = ncap;
	}
	const char *name = imap_arena_strndup(&c->s->arena, mb->name,
	    strlen(mb->name));
	if (name == NULL) {
		c->failed = true;
		return 1;
	}
	c->v[c->n].name = name;
	c->v[c->n].st = mb->st;
	c->n++;
	return 0;
}

/* Wildcard match: '*' anything, '%' anything but the separator; INBOX
 * case-insensitively. A step budget bounds pathological patterns. */
static bool
match(const char *p, const char *n, unsigned *budget)
{
	while (*p) {
		if (--*budget == 0)
			return false;
		if (*p == '*' || *p == '%') {
			bool pct = *p == '%';
			while (*p == '*' || *p == '%') {
				pct = pct && *p == '%';
				p++;
			}
			if (*p == '\0')
				return !pct || strchr(n, STORE_HIER_SEP) == NULL;
			for (const char *k = n;; k++) {
				if (match(p, k, budget))
					return true;
				if (*k == '\0' || (pct && *k == STORE_HIER_SEP))
					return false;
				if (*budget == 0)
					return false;
			}
		}
		if (*n == '\0' || *p != *n)
			return false;
		p++;
		n++;
	}
	return *n == '\0';
}

static bool
name_matches(const char *pattern, const char *name)
{
	unsigned budget = 200000;
	/* INBOX and its children match case-insensitively */
	if (strncasecmp(name, "INBOX", 5) == 0 &&
	    (name[5] == '\0' || name[5] == STORE_HIER_SEP) &&
	    strncasecmp(pattern, "INBOX", 5) == 0) {
		char p2[STORE_MBOX_NAME_MAX * 2 + 8];
		size_t pl = strlen(pattern);
		if (pl >= sizeof(p2))
			return false;
		memcpy(p2, "INBOX", 5);
		memcpy(p2 + 5, pattern + 5, pl - 5 + 1);
		return match(p2, name, &budget);
	}
	return match(pattern, name, &budget);
}

static void
list_line(struct imap_session *s, const struct imap_cmd *c,
    const struct mbox *m, bool childinfo)
{
	const struct imap_list_args *a = &c->a.list;
	struct buf *b = imap_out_buf(s);
	uint32_t at = m->st.attrs;
	bool lsub = c->id == IMAP_CMD_LSUB, first = true;
	buf_append_str(b, lsub ? "* LSUB (" : "* LIST (");
#define ATTR(str) do { buf_append_str(b, first ? str : " " str); \
	first = false; } while (0)
	if (at & STORE_MBOX_NONEXISTENT) {
		if (a->extended && !lsub)
			ATTR("\\NonExistent");
		else
			ATTR("\\Noselect");
	} else if (at & STORE_MBOX_NOSELECT) {
		ATTR("\\Noselect");
	}
	/* extended LIST tells children only when asked (RFC 5258 4) */
	bool children = !a->extended || (a->ret & LR_CHILDREN);
	if (!lsub) {
		if (!children)
			;
		else if (at & STORE_MBOX_HASCHILDREN)
			ATTR("\\HasChildren");
		else if (at & STORE_MBOX_HASNOCHILDREN)
			ATTR("\\HasNoChildren");
		if ((at & STORE_MBOX_SUBSCRIBED) &&
		    ((a->sel & LS_SUBSCRIBED) || (a->ret & LR_SUBSCRIBED)))
			ATTR("\\Subscribed");
		imap_mbox_use_out(b, at & STORE_USE_MASK, &first);
	}
#undef ATTR
	buf_printf(b, ") \"%c\" ", STORE_HIER_SEP);
	imap_out_mailbox(b, m->name, imap_utf8(s));
	if (childinfo)
		buf_append_str(b, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	buf_append_str(b, "\r\n");
	if ((a->ret & LR_STATUS) && !lsub &&
	    !(at & (STORE_MBOX_NOSELECT | STORE_MBOX_NONEXISTENT))) {
		buf_append_str(b, "* STATUS ");
		imap_out_mailbox(b, m->name, imap_utf8(s));
		buf_append_byte(b, ' ');
		imap_status_items(s, b, a->status_items, &m->st);
		buf_append_str(b, "\r\n");
	}
}

/* Does m satisfy the selection options? */
static bool
selected(const struct imap_cmd *c, const struct mbox *m)
{
	uint32_t sel = c->a.list.sel;
	if (c->id == IMAP_CMD_LSUB)
		return (m->st.attrs & STORE_MBOX_SUBSCRIBED) != 0;
	if ((sel & LS_SUBSCRIBED) && !(m->st.attrs & STORE_MBOX_SUBSCRIBED))
		return false;
	if ((sel & LS_SPECIAL_USE) && !(m->st.attrs & STORE_USE_MASK))
		return false;
	/* a subscribed name that does not exist only shows with SUBSCRIBED */
	if ((m->st.attrs & STORE_MBOX_NONEXISTENT) &&
	    !(m->st.attrs & STORE_MBOX_HASCHILDREN) && !(sel & LS_SUBSCRIBED))
		return false;
	return true;
}

/* LSUB with "%": a subscribed name below the level the pattern stops at
 * shows its matching ancestor as \Noselect, unless that one is subscribed
 * itself (RFC 3501 6.3.9). */
static void
lsub_parents(struct imap_session *s, const struct imap_cmd *c,
    const struct collect *col, const char **pats)
{
	const char **told = NULL;
	size_t ntold = 0;
	for (size_t i = 0; i < col->n; i++) {
		const struct mbox *m = &col->v[i];
		if (!(m->st.attrs & STORE_MBOX_SUBSCRIBED))
			continue;
		const char *name = m->name;
		bool self = false;
		for (size_t k = 0; k < c->a.list.npatterns && !self; k++)
			self = name_matches(pats[k], name);
		if (self)
			continue;   /* listed itself; its ancestors need not be */
		for (const char *p = strchr(name, STORE_HIER_SEP); p != NULL;
		    p = strchr(p + 1, STORE_HIER_SEP)) {
			char *anc = imap_arena_strndup(&s->arena, name,
			    (size_t)(p - name));
			if (anc == NULL)
				return;
			bool match = false;
			for (size_t k = 0; k < c->a.list.npatterns && !match; k++)
				match = name_matches(pats[k], anc);
			if (!match)
				continue;
			bool skip = false;
			for (size_t j = 0; j < col->n && !skip; j++)
				skip = strcmp(col->v[j].name, anc) == 0 &&
				    (col->v[j].st.attrs & STORE_MBOX_SUBSCRIBED);
			for (size_t j = 0; j < ntold && !skip; j++)
				skip = strcmp(told[j], anc) == 0;
			if (skip)
				continue;
			const char **nt = imap_arena_alloc(&s->arena,
			    (ntold + 1) * sizeof(*nt));
			if (nt == NULL)
				return;
			if (ntold)
				memcpy(nt, told, ntold * sizeof(*nt));
			nt[ntold++] = anc;
			told = nt;
			struct buf *b = imap_out_buf(s);
			buf_printf(b, "* LSUB (\\Noselect) \"%c\" ", STORE_HIER_SEP);
			imap_out_mailbox(b, anc, imap_utf8(s));
			buf_append_str(b, "\r\n");
		}
	}
}

/* Pattern (as sent) + reference -> a UTF-8 pattern in the arena. */
static const char *
pattern_utf8(struct imap_session *s, const struct imap_str *ref,
    const struct imap_str *pat)
{
	struct buf b = BUF_INIT(STORE_MBOX_NAME_MAX * 2);
	int ok = 0;
	/* a pattern starting with the separator is absolute */
	if (!(pat->len > 0 && pat->s[0] == STORE_HIER_SEP)) {
		if (imap_utf8(s))
			ok = buf_append(&b, ref->s, ref->len);
		else
			ok = imap_mutf7_decode(ref->s, ref->len, &b);
	}
	if (ok == 0) {
		size_t mark = b.len;
		if (imap_utf8(s))
			ok = buf_append(&b, pat->s, pat->len);
		else if (imap_mutf7_decode(pat->s, pat->len, &b) < 0) {
			/* not modified UTF-7: then it can only match names
			 * that hold those bytes, i.e. none; match it as is */
			b.len = mark;
			b.failed = false;
			ok = buf_append(&b, pat->s, pat->len);
		}
	}
	const char *r = ok == 0 ? imap_arena_strndup(&s->arena, b.data, b.len) :
	    NULL;
	buf_free(&b);
	return r;
}

int
imap_cmd_list(struct imap_session *s, struct imap_cmd *c)
{
	const struct imap_list_args *a = &c->a.list;
	const char *what = imap_cmd_name(c->id);
	/* LIST "" "": the hierarchy separator and root */
	if (a->npatterns == 1 && a->patterns[0].len == 0 && !a->extended) {
		imap_untagged(s, "%s (\\Noselect) \"%c\" \"\"", what,
		    STORE_HIER_SEP);
		imap_tagged(s, "OK", NULL, "%s completed", what);
		return 0;
	}
	const char **pats = imap_arena_alloc(&s->arena,
	    a->npatterns * sizeof(*pats));
	if (pats == NULL) {
		imap_tagged(s, "NO", "LIMIT", "Too many patterns");
		return 0;
	}
	for (size_t i = 0; i < a->npatterns; i++) {
		pats[i] = pattern_utf8(s, &a->ref, &a->patterns[i]);
		if (pats[i] == NULL) {
			imap_tagged(s, "BAD", NULL, "Invalid mailbox pattern");
			return 0;
		}
	}
	uint32_t flags = 0;
	if (a->ret & LR_STATUS)
		flags |= STORE_LIST_STATUS;
	if (c->id == IMAP_CMD_LSUB || (a->sel & LS_SUBSCRIBED))
		flags |= STORE_LIST_SUBSCRIBED;
	struct collect col = { .s = s };
	int rc = store_mbox_list(s->sc, flags, collect_cb, &col);
	if (imap_store_fatal(rc)) {
		free(col.v);
		return -1;
	}
	if (rc < 0 || col.failed) {
		free(col.v);
		imap_tagged_store_error(s, rc < 0 ? rc : STORE_E_LIMIT, what);
		return 0;
	}
	bool recursive = (a->sel & LS_RECURSIVEMATCH) != 0;
	for (size_t i = 0; i < col.n; i++) {
		const struct mbox *m = &col.v[i];
		bool pm = false;
		for (size_t k = 0; k < a->npatterns && !pm; k++)
			pm = name_matches(pats[k], m->name);
		if (!pm)
			continue;
		if (selected(c, m)) {
			list_line(s, c, m, false);
		} else if (recursive) {
			/* RFC 5258 CHILDINFO: a parent whose descendant meets
			 * the selection */
			size_t nl = strlen(m->name);
			for (size_t j = 0; j < col.n; j++) {
				if (strncmp(col.v[j].name, m->name, nl) != 0 ||
				    col.v[j].name[nl] != STORE_HIER_SEP ||
				    !selected(c, &col.v[j]))
					continue;
				/* a descendant listed in its own right needs no
				 * CHILDINFO on its parent */
				bool own = false;
				for (size_t k = 0; k < a->npatterns && !own; k++)
					own = name_matches(pats[k], col.v[j].name);
				if (!own) {
					list_line(s, c, m, true);
					break;
				}
			}
		}
		if (!imap_flush_some(s)) {
			free(col.v);
			return -1;
		}
	}
	if (c->id == IMAP_CMD_LSUB)
		lsub_parents(s, c, &col, pats);
	free(col.v);
	imap_tagged(s, "OK", NULL, "%s completed", what);
	return 0;
}
