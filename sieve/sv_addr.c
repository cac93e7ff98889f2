/* sv_addr: addresses in header fields and their parts (sv_addr.h). */
#include "sv_addr.h"

#include <string.h>

#include "sv_table.h"

static struct sv_span
trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return (struct sv_span){ s, n };
}

/* One mailbox of the list (between commas): the part in <...>, else the
 * whole with a group's "name:" and comments left out. */
static bool
one_address(const char *s, size_t n, struct sv_span *out)
{
	const char *lt = memchr(s, '<', n);
	if (lt != NULL) {
		const char *gt = memchr(lt, '>', n - (size_t)(lt - s));
		if (gt == NULL)
			return false;
		*out = trim(lt + 1, (size_t)(gt - lt - 1));
		return out->n > 0;
	}
	const char *colon = memchr(s, ':', n);
	if (colon != NULL) {
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	const char *paren = memchr(s, '(', n);
	if (paren != NULL)
		n = (size_t)(paren - s);
	while (n && (s[n - 1] == ';'))
		n--;
	*out = trim(s, n);
	return out->n > 0 && memchr(out->s, ' ', out->n) == NULL;
}

size_t
sv_addr_list(const char *value, size_t n, struct sv_span *out, size_t max)
{
	size_t found = 0, start = 0;
	int depth = 0;
	bool quoted = false;
	for (size_t i = 0; i <= n && found < max; i++) {
		bool end = i == n;
		char c = end ? ',' : value[i];
		if (quoted && !end) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '(' || c == '<')
			depth++;
		else if ((c == ')' || c == '>') && depth > 0)
			depth--;
		else if (c == ',' && (depth == 0 || end)) {
			if (one_address(value + start, i - start, &out[found]))
				found++;
			start = i + 1;
			depth = 0;
		}
	}
	return found;
}

bool
sv_addr_part(unsigned tag, struct sv_span a, struct sv_span *part)
{
	const char *at = NULL;
	for (size_t i = a.n; i > 0; i--)
		if (a.s[i - 1] == '@') {
			at = a.s + i - 1;
			break;
		}
	size_t local = at ? (size_t)(at - a.s) : a.n;
	const char *plus = memchr(a.s, '+', local);
	switch (tag) {
	case SV_TAG_LOCALPART:
		*part = (struct sv_span){ a.s, local };
		return true;
	case SV_TAG_DOMAIN:
		*part = at ? (struct sv_span){ at + 1, a.n - local - 1 } :
		    (struct sv_span){ a.s + a.n, 0 };
		return true;
	case SV_TAG_USER:
		*part = (struct sv_span){ a.s, plus ? (size_t)(plus - a.s) :
		    local };
		return true;
	case SV_TAG_DETAIL:
		if (plus == NULL)
			return false;
		*part = (struct sv_span){ plus + 1,
		    local - (size_t)(plus + 1 - a.s) };
		return true;
	default:
		*part = a;
		return true;
	}
}
