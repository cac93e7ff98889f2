/*
 * jmap_email_query: Email/query (RFC 8621 section 4.4) as one store
 * search over every mailbox of the user: the FilterCondition and
 * FilterOperator tree compiled into the store's postfix program, the sort
 * into its sort keys; stored cuts the page (position or anchor, limit)
 * and collapses threads, and sends that page and the total only
 * (jmap_email_query_window.c).
 */
#include "jmap_email_query_window.h"
#include "jmap_email_common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FILTER_MAX_DEPTH 16
#define SORT_MAX 8

static const struct {
	const char *prop;
	enum store_search_field field;
} header_filters[] = {
	{ "from", STORE_SF_FROM }, { "to", STORE_SF_TO }, { "cc", STORE_SF_CC },
	{ "bcc", STORE_SF_BCC }, { "subject", STORE_SF_SUBJECT },
};

/* A UTCDate ("2026-01-31T12:00:00Z") as unix seconds. */
static bool
parse_utc(json_t *v, uint64_t *t)
{
	struct tm tm;
	const char *s = json_string_value(v);
	memset(&tm, 0, sizeof(tm));
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (end == NULL || strcmp(end, "Z") != 0)
		return false;
	time_t x = timegm(&tm);
	if (x < 0)
		return false;
	*t = (uint64_t)x;
	return true;
}

static bool
keyword_cond(struct store_search *p, json_t *v, bool has)
{
	const char *k = json_string_value(v);
	if (k == NULL || k[0] == '\0' || strlen(k) > STORE_KEYWORD_MAX)
		return false;
	uint32_t flag = jmap_keyword_flag(k);
	if (flag != 0) {
		store_search_u32(p, has ? STORE_S_FLAGS_SET :
		    STORE_S_FLAGS_UNSET, flag);
		return true;
	}
	store_search_str(p, has ? STORE_S_KEYWORD : STORE_S_UNKEYWORD, k);
	return true;
}

/* someInThreadHaveKeyword (none: NOT some), allInThreadHaveKeyword:
 * stored looks at every copy of every email of the thread. */
static bool
thread_keyword_cond(struct store_search *p, const char *k, json_t *v)
{
	const char *kw = json_string_value(v);
	if (kw == NULL || kw[0] == '\0' || strlen(kw) > STORE_KEYWORD_MAX)
		return false;
	store_search_keyword_operand(p, k[0] == 'a' ? STORE_S_THREAD_ALL :
	    STORE_S_THREAD_SOME, jmap_keyword_flag(kw), kw);
	if (k[0] == 'n')
		store_search_op(p, STORE_S_NOT);
	return true;
}

static bool
mailbox_cond(struct jmap_call *c, struct store_search *p, json_t *v)
{
	uint64_t id;
	if (!jmap_id_parse(c, json_string_value(v), 'M', &id))
		return false;
	store_search_u64(p, STORE_S_MAILBOX, id);
	return true;
}

/* inMailboxOtherThan: a copy in none of these. */
static bool
other_than_cond(struct jmap_call *c, struct store_search *p, json_t *v)
{
	size_t i;
	json_t *id;
	if (!json_is_array(v))
		return false;
	store_search_op(p, STORE_S_ALL);
	json_array_foreach(v, i, id) {
		if (!mailbox_cond(c, p, id))
			return false;
		store_search_op(p, STORE_S_NOT);
		store_search_op(p, STORE_S_AND);
	}
	return true;
}

static bool
string_cond(struct store_search *p, const char *k, json_t *v)
{
	const char *s = json_string_value(v);
	if (s == NULL || strlen(s) > STORE_SEARCH_STR_MAX)
		return false;
	for (size_t i = 0; i < sizeof(header_filters) /
	    sizeof(header_filters[0]); i++) {
		if (strcmp(k, header_filters[i].prop) == 0) {
			store_search_header(p, header_filters[i].field, s);
			return true;
		}
	}
	if (strcmp(k, "text") == 0)
		store_search_str(p, STORE_S_TEXT, s);
	else if (strcmp(k, "body") == 0)
		store_search_str(p, STORE_S_BODY, s);
	else
		return false;
	return true;
}

/* header: [name] (has the field) or [name, value] (contains value). */
static bool
header_cond(struct store_search *p, json_t *v)
{
	const char *name = json_string_value(json_array_get(v, 0));
	json_t *val = json_array_get(v, 1);
	char lower[STORE_SEARCH_STR_MAX + 1];
	size_t n = name ? strlen(name) : 0;
	if (!json_is_array(v) || json_array_size(v) > 2 || n == 0 ||
	    n > STORE_SEARCH_STR_MAX || (val != NULL && !json_is_string(val)) ||
	    (val != NULL && strlen(json_string_value(val)) >
	    STORE_SEARCH_STR_MAX))
		return false;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	store_search_header_any(p, lower, val ? json_string_value(val) : "");
	return true;
}

/* One property of a FilterCondition pushed; false: not supported. */
static bool
one_cond(struct jmap_call *c, struct store_search *p, const char *k,
    json_t *v)
{
	uint64_t x;
	if (strcmp(k, "inMailbox") == 0)
		return mailbox_cond(c, p, v);
	if (strcmp(k, "inMailboxOtherThan") == 0)
		return other_than_cond(c, p, v);
	if (strcmp(k, "before") == 0 || strcmp(k, "after") == 0) {
		if (!parse_utc(v, &x))
			return false;
		store_search_u64(p, k[0] == 'b' ? STORE_S_INTERNALDATE_LT :
		    STORE_S_INTERNALDATE_GE, x);
		return true;
	}
	if (strcmp(k, "minSize") == 0 || strcmp(k, "maxSize") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return false;
		store_search_u64(p, STORE_S_SIZE_LT,
		    (uint64_t)json_integer_value(v));
		if (k[1] == 'i')
			store_search_op(p, STORE_S_NOT);
		return true;
	}
	if (strcmp(k, "hasKeyword") == 0 || strcmp(k, "notKeyword") == 0)
		return keyword_cond(p, v, k[0] == 'h');
	if (strcmp(k, "someInThreadHaveKeyword") == 0 ||
	    strcmp(k, "noneInThreadHaveKeyword") == 0 ||
	    strcmp(k, "allInThreadHaveKeyword") == 0)
		return thread_keyword_cond(p, k, v);
	if (strcmp(k, "header") == 0)
		return header_cond(p, v);
	if (strcmp(k, "hasAttachment") == 0) {
		if (!json_is_boolean(v))
			return false;
		/* the store's flag is the one Email/get shows as hasAttachment */
		store_search_u64(p, STORE_S_INFO_SET, STORE_INFO_HAS_ATTACHMENT);
		if (json_is_false(v))
			store_search_op(p, STORE_S_NOT);
		return true;
	}
	return string_cond(p, k, v);
}

static bool
compile(struct jmap_call *c, struct store_search *p, json_t *f, int depth)
{
	const char *k;
	json_t *v;
	size_t i;
	if (!json_is_object(f) || depth > FILTER_MAX_DEPTH)
		return false;
	const char *op = json_string_value(json_object_get(f, "operator"));
	if (op != NULL) {
		json_t *conds = json_object_get(f, "conditions");
		bool or = strcmp(op, "OR") == 0 || strcmp(op, "NOT") == 0;
		if (!json_is_array(conds) || (!or && strcmp(op, "AND") != 0))
			return false;
		store_search_op(p, STORE_S_ALL);
		if (or)
			store_search_op(p, STORE_S_NOT);
		json_array_foreach(conds, i, v) {
			if (!compile(c, p, v, depth + 1))
				return false;
			store_search_op(p, or ? STORE_S_OR : STORE_S_AND);
		}
		if (strcmp(op, "NOT") == 0)
			store_search_op(p, STORE_S_NOT);
		return true;
	}
	store_search_op(p, STORE_S_ALL);
	json_object_foreach(f, k, v) {
		if (!one_cond(c, p, k, v))
			return false;
		store_search_op(p, STORE_S_AND);
	}
	return true;
}

static const struct {
	const char *prop;
	uint32_t key;
} sort_props[] = {
	{ "receivedAt", STORE_SORT_ARRIVAL }, { "size", STORE_SORT_SIZE },
	{ "from", STORE_SORT_FROM }, { "to", STORE_SORT_TO },
	{ "subject", STORE_SORT_SUBJECT }, { "sentAt", STORE_SORT_DATE },
	/* these name a keyword: a STORE_S_SORT_KEYWORD operand each */
	{ "hasKeyword", STORE_SORT_HASKEYWORD },
	{ "someInThreadHaveKeyword", STORE_SORT_THREAD_SOME },
	{ "allInThreadHaveKeyword", STORE_SORT_THREAD_ALL },
};

/* The keyword of a keyword sort as the program's next sort operand. */
static bool
sort_keyword(json_t *s, struct store_search *operands, size_t *nop,
    uint32_t *key)
{
	const char *kw = json_string_value(json_object_get(s, "keyword"));
	if (kw == NULL || kw[0] == '\0' || strlen(kw) > STORE_KEYWORD_MAX ||
	    *nop >= STORE_SORT_OPERANDS)
		return false;
	store_search_keyword_operand(operands, STORE_S_SORT_KEYWORD,
	    jmap_keyword_flag(kw), kw);
	store_search_op(operands, STORE_S_AND);
	*key |= STORE_SORT_OPERAND(*nop);
	(*nop)++;
	return true;
}

/* The sort argument as store sort keys, keyword operands appended to
 * the program; false: unsupportedSort. */
static bool
parse_sort(json_t *sort, uint32_t *keys, size_t *n,
    struct store_search *operands)
{
	size_t i, nop = 0;
	json_t *s;
	*n = 0;
	if (sort == NULL || json_is_null(sort)) {
		keys[(*n)++] = STORE_SORT_ARRIVAL;
		return true;
	}
	if (!json_is_array(sort) || json_array_size(sort) > SORT_MAX)
		return false;
	json_array_foreach(sort, i, s) {
		const char *p = json_string_value(json_object_get(s, "property"));
		json_t *asc = json_object_get(s, "isAscending");
		size_t j = 0;
		while (p != NULL && j < sizeof(sort_props) / sizeof(sort_props[0])
		    && strcmp(p, sort_props[j].prop) != 0)
			j++;
		if (p == NULL || j == sizeof(sort_props) / sizeof(sort_props[0])
		    || (asc != NULL && !json_is_boolean(asc)))
			return false;
		uint32_t key = sort_props[j].key;
		if (key >= STORE_SORT_HASKEYWORD &&
		    !sort_keyword(s, operands, &nop, &key))
			return false;
		keys[(*n)++] = key | (json_is_false(asc) ? STORE_SORT_REVERSE : 0);
	}
	return true;
}

bool
jmap_email_query_run(struct jmap_call *c, const struct store_email_window *w,
    bool anchor_unknown, char state[JMAP_ID_MAX],
    struct store_search_result *r, json_t **err)
{
	uint32_t keys[SORT_MAX];
	size_t nkeys;
	json_t *filter = json_object_get(c->args, "filter");
	struct store_search prog;
	store_search_init(&prog);
	if (filter == NULL || json_is_null(filter))
		store_search_op(&prog, STORE_S_ALL);
	else if (!compile(c, &prog, filter, 0)) {
		store_search_free(&prog);
		*err = jmap_error("unsupportedFilter", NULL);
		return false;
	}
	/* after the filter: the sort operands are numbered in program order */
	if (!parse_sort(json_object_get(c->args, "sort"), keys, &nkeys,
	    &prog)) {
		store_search_free(&prog);
		*err = jmap_error("unsupportedSort", NULL);
		return false;
	}
	int rc = STORE_E_NOTFOUND;
	if (!anchor_unknown && !jmap_state(c, state, err)) {
		store_search_free(&prog);
		return false;
	}
	if (!anchor_unknown)
		rc = store_email_query(c->account->store, &prog, keys, nkeys,
		    w, r);
	store_search_free(&prog);
	if (rc == STORE_E_NOTFOUND)
		*err = jmap_error("anchorNotFound", NULL);
	else if (rc == STORE_E_MALFORMED || rc == STORE_E_ARG)
		*err = jmap_error("unsupportedFilter",
		    store_client_errmsg(c->account->store));
	else if (rc != STORE_OK)
		*err = jmap_store_error(c, rc);
	return rc == STORE_OK;
}

json_t *
jmap_email_query(struct jmap_call *c, json_t **err)
{
	char state[JMAP_ID_MAX];
	struct store_email_window w;
	bool anchor_unknown;
	if (!jmap_check_account(c, err) ||
	    !jmap_email_window(c, &w, &anchor_unknown, err))
		return NULL;
	json_t *res = NULL;
	struct store_search_result r = { 0 };
	if (jmap_email_query_run(c, &w, anchor_unknown, state, &r, err))
		res = jmap_email_page_response(c, &r, state);
	store_search_result_free(&r);
	return res;
}
