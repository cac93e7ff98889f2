/* imap_parse_search: SEARCH arguments -> a tree of typed keys
 * (RFC 9051 6.4.4, RFC 3501 6.4.4, ESEARCH RFC 4731, SEARCHRES RFC 5182,
 * CONDSTORE MODSEQ RFC 7162, WITHIN RFC 5032). */
#include "imap_parse_priv.h"

#include <string.h>
#include <strings.h>

enum karg {
	KA_NONE,       /* no argument */
	KA_STRING,     /* astring */
	KA_DATE,
	KA_NUMBER,     /* number64 */
	KA_NZ,         /* nz-number (WITHIN) */
	KA_KEYWORD,    /* flag-keyword */
	KA_HEADER,     /* header-fld-name SP astring */
};

/* Simple keys: one table, one loop. */
static const struct {
	const char *word;
	enum imap_skey_type type;
	enum karg arg;
	uint32_t flag;
	bool negate;
	const char *header;    /* BCC CC FROM SUBJECT TO: a header search */
} keys[] = {
	{ "ALL", SK_ALL, KA_NONE, 0, false, NULL },
	{ "ANSWERED", SK_FLAG, KA_NONE, IMAP_F_ANSWERED, false, NULL },
	{ "DELETED", SK_FLAG, KA_NONE, IMAP_F_DELETED, false, NULL },
	{ "DRAFT", SK_FLAG, KA_NONE, IMAP_F_DRAFT, false, NULL },
	{ "FLAGGED", SK_FLAG, KA_NONE, IMAP_F_FLAGGED, false, NULL },
	{ "RECENT", SK_FLAG, KA_NONE, IMAP_F_RECENT, false, NULL },
	{ "SEEN", SK_FLAG, KA_NONE, IMAP_F_SEEN, false, NULL },
	{ "UNANSWERED", SK_FLAG, KA_NONE, IMAP_F_ANSWERED, true, NULL },
	{ "UNDELETED", SK_FLAG, KA_NONE, IMAP_F_DELETED, true, NULL },
	{ "UNDRAFT", SK_FLAG, KA_NONE, IMAP_F_DRAFT, true, NULL },
	{ "UNFLAGGED", SK_FLAG, KA_NONE, IMAP_F_FLAGGED, true, NULL },
	{ "UNSEEN", SK_FLAG, KA_NONE, IMAP_F_SEEN, true, NULL },
	{ "NEW", SK_NEW, KA_NONE, 0, false, NULL },
	{ "OLD", SK_OLD, KA_NONE, 0, false, NULL },
	{ "KEYWORD", SK_KEYWORD, KA_KEYWORD, 0, false, NULL },
	{ "UNKEYWORD", SK_KEYWORD, KA_KEYWORD, 0, true, NULL },
	{ "BEFORE", SK_BEFORE, KA_DATE, 0, false, NULL },
	{ "ON", SK_ON, KA_DATE, 0, false, NULL },
	{ "SINCE", SK_SINCE, KA_DATE, 0, false, NULL },
	{ "SENTBEFORE", SK_SENTBEFORE, KA_DATE, 0, false, NULL },
	{ "SENTON", SK_SENTON, KA_DATE, 0, false, NULL },
	{ "SENTSINCE", SK_SENTSINCE, KA_DATE, 0, false, NULL },
	{ "LARGER", SK_LARGER, KA_NUMBER, 0, false, NULL },
	{ "SMALLER", SK_SMALLER, KA_NUMBER, 0, false, NULL },
	{ "OLDER", SK_OLDER, KA_NZ, 0, false, NULL },
	{ "YOUNGER", SK_YOUNGER, KA_NZ, 0, false, NULL },
	{ "BODY", SK_BODY, KA_STRING, 0, false, NULL },
	{ "TEXT", SK_TEXT, KA_STRING, 0, false, NULL },
	{ "BCC", SK_HEADER, KA_STRING, 0, false, "BCC" },
	{ "CC", SK_HEADER, KA_STRING, 0, false, "CC" },
	{ "FROM", SK_HEADER, KA_STRING, 0, false, "FROM" },
	{ "SUBJECT", SK_HEADER, KA_STRING, 0, false, "SUBJECT" },
	{ "TO", SK_HEADER, KA_STRING, 0, false, "TO" },
	{ "HEADER", SK_HEADER, KA_HEADER, 0, false, NULL },
};

static struct imap_skey *
new_key(struct imap_parser *p, enum imap_skey_type t)
{
	if (p_item(p) < 0)
		return NULL;
	struct imap_skey *k = p_alloc(p, sizeof(*k));
	if (k != NULL)
		k->type = t;
	return k;
}

static int key(struct imap_parser *p, struct imap_skey **out);

/* key *(SP key) up to ")" or the end: an SK_AND */
static int
key_list(struct imap_parser *p, struct imap_skey **out, bool paren)
{
	struct imap_skey *and = new_key(p, SK_AND);
	if (and == NULL)
		return -1;
	struct imap_skey **tail = &and->kid;
	for (;;) {
		struct imap_skey *k;
		if (key(p, &k) < 0)
			return -1;
		*tail = k;
		tail = &k->next;
		if (paren && p_peek(p) == ')')
			break;
		if (!paren && p_at_end(p))
			break;
		if (p_sp(p) < 0)
			return -1;
	}
	*out = and;
	return 0;
}

static int
simple_arg(struct imap_parser *p, struct imap_skey *k, enum karg arg)
{
	if (arg == KA_NONE)
		return 0;
	if (p_sp(p) < 0)
		return -1;
	switch (arg) {
	case KA_NONE:
		return 0;
	case KA_STRING:
		return p_astring(p, &k->str);
	case KA_DATE:
		return p_date(p, &k->day);
	case KA_NUMBER:
		return p_number64(p, &k->num);
	case KA_NZ: {
		uint32_t v;
		if (p_nz_number(p, &v) < 0)
			return -1;
		k->num = v;
		return 0;
	}
	case KA_KEYWORD: {
		size_t len;
		if (p_peek(p) == '\\')
			return p_fail(p, "Expected a keyword");
		if (p_atom(p, &k->str.s, &len) < 0)
			return -1;
		k->str.len = len;
		return 0;
	}
	case KA_HEADER:
		if (p_astring(p, &k->str) < 0 || p_sp(p) < 0 ||
		    p_astring(p, &k->str2) < 0)
			return -1;
		if (k->str.len == 0 || memchr(k->str.s, ':', k->str.len) != NULL)
			return p_fail(p, "Invalid header field name");
		return 0;
	}
	return p_fail(p, "Invalid search key");
}

/* MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer */
static int
modseq_key(struct imap_parser *p, struct imap_skey *k)
{
	if (p_sp(p) < 0)
		return -1;
	if (p_peek(p) == '"') {
		if (p_string(p, &k->str) < 0 || p_sp(p) < 0)
			return -1;
		if (k->str.len < 7 || strncasecmp(k->str.s, "/flags/", 7) != 0)
			return p_fail(p, "Invalid MODSEQ entry name");
		const char *t;
		if (p_atom_upper(p, &t) < 0 || p_sp(p) < 0)
			return -1;
		if (strcmp(t, "PRIV") != 0 && strcmp(t, "SHARED") != 0 &&
		    strcmp(t, "ALL") != 0)
			return p_fail(p, "Invalid MODSEQ entry type");
		k->str2.s = t;
		k->str2.len = strlen(t);
	}
	/* mod-sequence-valzer: 0 allowed */
	return p_number64(p, &k->num);
}

static int
key(struct imap_parser *p, struct imap_skey **out)
{
	int c = p_peek(p);
	struct imap_skey *k;
	if (c == '(') {
		p->pos++;
		if (p_enter(p) < 0 || key_list(p, out, true) < 0 ||
		    p_char(p, ')') < 0)
			return -1;
		p_leave(p);
		return 0;
	}
	if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
		if ((k = new_key(p, SK_SEQSET)) == NULL ||
		    p_seqset(p, &k->set) < 0)
			return -1;
		*out = k;
		return 0;
	}
	if (p_try_word(p, "NOT")) {
		if ((k = new_key(p, SK_NOT)) == NULL || p_sp(p) < 0 ||
		    p_enter(p) < 0 || key(p, &k->kid) < 0)
			return -1;
		p_leave(p);
		*out = k;
		return 0;
	}
	if (p_try_word(p, "OR")) {
		if ((k = new_key(p, SK_OR)) == NULL || p_sp(p) < 0 ||
		    p_enter(p) < 0 || key(p, &k->kid) < 0 || p_sp(p) < 0 ||
		    key(p, &k->kid2) < 0)
			return -1;
		p_leave(p);
		*out = k;
		return 0;
	}
	if (p_try_word(p, "UID")) {
		if ((k = new_key(p, SK_UID)) == NULL || p_sp(p) < 0 ||
		    p_seqset(p, &k->set) < 0)
			return -1;
		*out = k;
		return 0;
	}
	if (p_try_word(p, "MODSEQ")) {
		if ((k = new_key(p, SK_MODSEQ)) == NULL || modseq_key(p, k) < 0)
			return -1;
		*out = k;
		return 0;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!p_try_word(p, keys[i].word))
			continue;
		if ((k = new_key(p, keys[i].type)) == NULL)
			return -1;
		k->flag = keys[i].flag;
		k->negate = keys[i].negate;
		if (keys[i].header != NULL) {
			k->str2.s = NULL;
			if (simple_arg(p, k, KA_STRING) < 0)
				return -1;
			k->str2 = k->str;
			k->str.s = keys[i].header;
			k->str.len = strlen(keys[i].header);
			k->str.literal = false;
			k->str.ext = NULL;
		} else if (simple_arg(p, k, keys[i].arg) < 0) {
			return -1;
		}
		*out = k;
		return 0;
	}
	if (p_at_end(p))
		return p_fail(p, "Missing search key");
	return p_fail(p, "Unknown search key");
}

/* RETURN (opt*) */
static int
return_opts(struct imap_parser *p, struct imap_search_args *a)
{
	static const struct {
		const char *w;
		uint32_t bit;
	} opts[] = { { "MIN", SR_MIN }, { "MAX", SR_MAX }, { "ALL", SR_ALL },
		{ "COUNT", SR_COUNT }, { "SAVE", SR_SAVE } };
	a->esearch = true;
	if (p_sp(p) < 0 || p_char(p, '(') < 0)
		return -1;
	while (!p_try_char(p, ')')) {
		if (a->ret != 0 && p_sp(p) < 0)
			return -1;
		bool found = false;
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			if (p_try_word(p, opts[i].w)) {
				a->ret |= opts[i].bit;
				found = true;
				break;
			}
		}
		if (!found)
			return p_fail(p, "Unknown RETURN option");
	}
	/* RETURN () means ALL (RFC 4731 3.1); SAVE alone returns nothing */
	if (a->ret == 0)
		a->ret = SR_ALL;
	return 0;
}

/* charset SP: the ones search strings may come in */
static int
charset(struct imap_parser *p)
{
	struct imap_str cs;
	if (p_astring(p, &cs) < 0 || p_sp(p) < 0)
		return -1;
	if (strcasecmp(cs.s, "UTF-8") != 0 && strcasecmp(cs.s, "US-ASCII") != 0)
		return p_refuse(p, "BADCHARSET (UTF-8 US-ASCII)",
		    "Unsupported charset");
	return 0;
}

int
p_search(struct imap_parser *p, struct imap_search_args *a)
{
	memset(a, 0, sizeof(*a));
	if (p_sp(p) < 0)
		return -1;
	if (p_try_word(p, "RETURN")) {
		if (return_opts(p, a) < 0 || p_sp(p) < 0)
			return -1;
	}
	if (p_try_word(p, "CHARSET")) {
		if (p_sp(p) < 0 || charset(p) < 0)
			return -1;
	}
	return key_list(p, &a->key, false);
}

/* SORT SP [RETURN (ESORT, RFC 5267) SP] "(" [REVERSE SP] key *(SP
 * [REVERSE SP] key) ")" SP charset 1*(SP search-key): RFC 5256 section 4
 * (the charset is not optional) */
int
p_sort(struct imap_parser *p, struct imap_search_args *a)
{
	static const struct {
		const char *w;
		uint16_t key;
	} crit[] = {
		{ "ARRIVAL", IMAP_SORT_ARRIVAL }, { "CC", IMAP_SORT_CC },
		{ "DATE", IMAP_SORT_DATE }, { "FROM", IMAP_SORT_FROM },
		{ "SIZE", IMAP_SORT_SIZE }, { "SUBJECT", IMAP_SORT_SUBJECT },
		{ "TO", IMAP_SORT_TO }, { "DISPLAYFROM", IMAP_SORT_DISPLAYFROM },
		{ "DISPLAYTO", IMAP_SORT_DISPLAYTO },
	};
	memset(a, 0, sizeof(*a));
	if (p_sp(p) < 0)
		return -1;
	if (p_try_word(p, "RETURN")) {
		if (return_opts(p, a) < 0 || p_sp(p) < 0)
			return -1;
	}
	if (p_char(p, '(') < 0)
		return -1;
	do {
		if (a->nsort == IMAP_SORT_MAX)
			return p_fail(p, "Too many sort criteria");
		uint16_t rev = 0;
		if (p_try_word(p, "REVERSE")) {
			if (p_sp(p) < 0)
				return -1;
			rev = IMAP_SORT_REVERSE;
		}
		size_t i = 0;
		while (i < sizeof(crit) / sizeof(crit[0]) &&
		    !p_try_word(p, crit[i].w))
			i++;
		if (i == sizeof(crit) / sizeof(crit[0]))
			return p_fail(p, "Unknown sort criterion");
		a->sort[a->nsort++] = crit[i].key | rev;
	} while (p_try_char(p, ' '));
	if (p_char(p, ')') < 0 || p_sp(p) < 0 || charset(p) < 0)
		return -1;
	return key_list(p, &a->key, false);
}

/* THREAD SP algorithm SP charset 1*(SP search-key): RFC 5256 section 4 */
int
p_thread(struct imap_parser *p, struct imap_search_args *a)
{
	memset(a, 0, sizeof(*a));
	if (p_sp(p) < 0)
		return -1;
	if (p_try_word(p, "ORDEREDSUBJECT"))
		a->thread = IMAP_THREAD_ORDEREDSUBJECT;
	else if (p_try_word(p, "REFERENCES"))
		a->thread = IMAP_THREAD_REFERENCES;
	else
		return p_fail(p, "Unknown thread algorithm");
	if (p_sp(p) < 0 || charset(p) < 0)
		return -1;
	return key_list(p, &a->key, false);
}
