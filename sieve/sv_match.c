/* sv_match: comparators and match types (sv_match.h). */
#include "sv_match.h"

#include <string.h>

#include "sv_regex.h"
#include "sv_rules.h"

static int
fold(int cmp, unsigned char c)
{
	if (cmp == SV_CMP_CASEMAP && c >= 'A' && c <= 'Z')
		return c + ('a' - 'A');
	return c;
}

/* i;ascii-numeric (RFC 4790 section 9.1): the leading digits as a number,
 * a value without one is greater than every number; compared as digit
 * strings so that no length overflows. */
static int
compare_numeric(const char *a, size_t an, const char *b, size_t bn)
{
	size_t la = 0, lb = 0;
	while (la < an && a[la] >= '0' && a[la] <= '9')
		la++;
	while (lb < bn && b[lb] >= '0' && b[lb] <= '9')
		lb++;
	if (la == 0 || lb == 0)
		return (la == 0) - (lb == 0);
	while (la > 1 && *a == '0') {
		a++;
		la--;
	}
	while (lb > 1 && *b == '0') {
		b++;
		lb--;
	}
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = memcmp(a, b, la);
	return (c > 0) - (c < 0);
}

int
sv_compare(int cmp, const char *a, size_t an, const char *b, size_t bn)
{
	if (cmp == SV_CMP_NUMERIC)
		return compare_numeric(a, an, b, bn);
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++) {
		int x = fold(cmp, (unsigned char)a[i]);
		int y = fold(cmp, (unsigned char)b[i]);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return (an > bn) - (an < bn);
}

bool
sv_relation_holds(int rel, int order)
{
	switch (rel) {
	case SV_REL_GT: return order > 0;
	case SV_REL_GE: return order >= 0;
	case SV_REL_LT: return order < 0;
	case SV_REL_LE: return order <= 0;
	case SV_REL_EQ: return order == 0;
	default: return order != 0;
	}
}

bool
sv_contains(int cmp, const char *v, size_t vn, const char *k, size_t kn)
{
	if (kn == 0)
		return true;
	for (size_t i = 0; i + kn <= vn; i++)
		if (sv_compare(cmp, v + i, kn, k, kn) == 0)
			return true;
	return false;
}

/* One pattern element at p: 1 for a literal (its byte in *lit), 2 for an
 * escaped one; *wild is the wildcard or 0. */
static size_t
element(const char *pat, size_t pn, size_t p, char *lit, char *wild)
{
	*wild = 0;
	if (pat[p] == '*' || pat[p] == '?') {
		*wild = pat[p];
		return 1;
	}
	if (pat[p] == '\\' && p + 1 < pn) {
		*lit = pat[p + 1];
		return 2;
	}
	*lit = pat[p];
	return 1;
}

bool
sv_glob(int cmp, const char *v, size_t vn, const char *pat, size_t pn,
    struct sv_caps *caps)
{
	size_t p = 0, t = 0, star_p = 0, star_t = 0;
	unsigned wc = 0, star_wc = 0;
	bool have_star = false;
	while (t < vn) {
		char lit = 0, wild = 0;
		size_t len = p < pn ? element(pat, pn, p, &lit, &wild) : 0;
		if (len && wild == '*') {
			have_star = true;
			star_p = p + 1;
			star_t = t;
			star_wc = wc + 1;
			if (wc + 1 < SV_MATCH_VARS) {
				caps->s[wc + 1] = v + t;
				caps->n[wc + 1] = 0;
			}
			wc++;
			p++;
		} else if (len && (wild == '?' || fold(cmp, (unsigned char)lit) ==
		    fold(cmp, (unsigned char)v[t]))) {
			if (wild && wc + 1 < SV_MATCH_VARS) {
				caps->s[wc + 1] = v + t;
				caps->n[wc + 1] = 1;
			}
			wc += wild ? 1 : 0;
			p += len;
			t++;
		} else if (have_star) {
			/* the last star takes one more byte: shortest first */
			star_t++;
			t = star_t;
			p = star_p;
			wc = star_wc;
			if (wc < SV_MATCH_VARS)
				caps->n[wc] = (size_t)(v + t - caps->s[wc]);
		} else {
			return false;
		}
	}
	while (p < pn && pat[p] == '*') {
		if (wc + 1 < SV_MATCH_VARS) {
			caps->s[wc + 1] = v + t;
			caps->n[wc + 1] = 0;
		}
		wc++;
		p++;
	}
	if (p != pn)
		return false;
	caps->s[0] = v;
	caps->n[0] = vn;
	caps->count = wc + 1 < SV_MATCH_VARS ? wc + 1 : SV_MATCH_VARS;
	return true;
}

bool
sv_regex_match(const regex_t *re, const char *v, size_t vn,
    struct sv_caps *caps)
{
	char subject[SV_REGEX_MAX_SUBJECT + 1];
	size_t n = vn < SV_REGEX_MAX_SUBJECT ? vn : SV_REGEX_MAX_SUBJECT;
	memcpy(subject, v, n);
	subject[n] = '\0';
	regmatch_t m[SV_MATCH_VARS];
	if (regexec(re, subject, SV_MATCH_VARS, m, 0) != 0)
		return false;
	caps->count = 0;
	for (unsigned i = 0; i < SV_MATCH_VARS; i++) {
		caps->s[i] = v;
		caps->n[i] = 0;
		if (m[i].rm_so >= 0 && m[i].rm_eo >= m[i].rm_so) {
			caps->s[i] = v + m[i].rm_so;
			caps->n[i] = (size_t)(m[i].rm_eo - m[i].rm_so);
			caps->count = i + 1;
		}
	}
	return true;
}
