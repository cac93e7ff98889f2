/* sv_regex: bounded POSIX regular expressions (sv_regex.h). */
#include "sv_regex.h"

#include <stdio.h>
#include <string.h>

/* Back-references and large repetition bounds are what make a POSIX
 * matcher slow or its automaton big; neither is needed to sort mail. */
static const char *
pattern_limits(const char *p, size_t n)
{
	if (n > SV_REGEX_MAX_PATTERN)
		return "regular expression too long";
	if (memchr(p, '\0', n) != NULL)
		return "regular expression contains NUL";
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\' && i + 1 < n) {
			if (!in_class && p[i + 1] >= '1' && p[i + 1] <= '9')
				return "back-references are not supported";
			i++;
		} else if (c == '[' && !in_class) {
			in_class = true;
			if (i + 1 < n && p[i + 1] == '^')
				i++;
			if (i + 1 < n && p[i + 1] == ']')
				i++;
		} else if (c == ']' && in_class) {
			in_class = false;
		} else if (c == '{' && !in_class) {
			unsigned long v = 0;
			for (i++; i < n && p[i] != '}'; i++) {
				if (p[i] >= '0' && p[i] <= '9') {
					v = v * 10 + (unsigned long)(p[i] - '0');
					if (v > SV_REGEX_MAX_REPEAT)
						return "repetition bound too large";
				} else if (p[i] == ',') {
					v = 0;
				}
			}
		}
	}
	return NULL;
}

int
sv_regex_compile(regex_t *re, const char *pat, size_t n, bool icase,
    int cflags, char *why, size_t whylen)
{
	const char *bad = pattern_limits(pat, n);
	if (bad != NULL) {
		snprintf(why, whylen, "%s", bad);
		return -1;
	}
	char buf[SV_REGEX_MAX_PATTERN + 1];
	memcpy(buf, pat, n);
	buf[n] = '\0';
	int rc = regcomp(re, buf, REG_EXTENDED | cflags | (icase ? REG_ICASE : 0));
	if (rc != 0) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		snprintf(why, whylen, "invalid regular expression: %s", msg);
		return -1;
	}
	return 0;
}
