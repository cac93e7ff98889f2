/* jmap_json: JSON Pointer evaluation with the `*` extension. */
#include "jmap_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The next token of p (after its leading '/'), unescaped (~0 ~, ~1 /) into
 * tok (tokcap bytes). Returns the rest of the path, or NULL on a bad
 * escape or a token too long. */
static const char *
next_token(const char *p, char *tok, size_t tokcap, size_t *toklen)
{
	size_t n = 0;
	p++;   /* the '/' */
	while (*p != '\0' && *p != '/') {
		char ch = *p++;
		if (ch == '~') {
			if (*p == '0')
				ch = '~';
			else if (*p == '1')
				ch = '/';
			else
				return NULL;
			p++;
		}
		if (n + 1 >= tokcap)
			return NULL;
		tok[n++] = ch;
	}
	tok[n] = '\0';
	*toklen = n;
	return p;
}

/* An array index per RFC 6901: digits without a leading zero. */
static bool
array_index(const char *tok, size_t len, size_t *idx)
{
	if (len == 0 || len > 9 || (len > 1 && tok[0] == '0'))
		return false;
	size_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return false;
		v = v * 10 + (size_t)(tok[i] - '0');
	}
	*idx = v;
	return true;
}

static json_t *eval(json_t *v, const char *path, size_t *budget);

/* `*` over the array v: the rest applied to each item, flattened. */
static json_t *
eval_star(json_t *v, const char *rest, size_t *budget)
{
	json_t *out = json_array();
	if (out == NULL)
		return NULL;
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		if (*budget == 0)
			goto fail;
		(*budget)--;
		json_t *r = eval(item, rest, budget);
		if (r == NULL)
			goto fail;
		int rc = json_is_array(r) ? json_array_extend(out, r) :
		    json_array_append(out, r);
		json_decref(r);
		if (rc != 0)
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static json_t *
eval(json_t *v, const char *path, size_t *budget)
{
	char tok[1024];
	size_t len;
	while (*path != '\0') {
		if (*budget == 0 || *path != '/')
			return NULL;
		(*budget)--;
		const char *rest = next_token(path, tok, sizeof(tok), &len);
		if (rest == NULL)
			return NULL;
		if (json_is_array(v)) {
			size_t idx;
			if (len == 1 && tok[0] == '*')
				return eval_star(v, rest, budget);
			if (!array_index(tok, len, &idx))
				return NULL;
			v = json_array_get(v, idx);
		} else if (json_is_object(v)) {
			if (strlen(tok) != len)
				return NULL;   /* "~" escapes cannot make NUL */
			v = json_object_get(v, tok);
		} else {
			return NULL;
		}
		if (v == NULL)
			return NULL;
		path = rest;
	}
	return json_incref(v);
}

json_t *
jmap_pointer_eval(json_t *doc, const char *path, size_t *budget)
{
	if (doc == NULL || path == NULL)
		return NULL;
	return eval(doc, path, budget);
}
