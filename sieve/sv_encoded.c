/* sv_encoded: encoded-character decoding (sv_encoded.h). */
#include "sv_encoded.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SV_ENCODED_MAX 1024  /* bytes of one sequence, braces included */

static int
hexval(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;
	return p ? (int)(p - digits) : -1;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t
utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One "${hex:...}" or "${unicode:...}" at s (n bytes): its length and
 * the bytes into out (*outn); 0 when s is not one; -1 on a code point
 * outside Unicode. */
static long
one_sequence(const char *s, size_t n, char *out, size_t *outn)
{
	bool uni;
	size_t i;
	if (n > 6 && strncasecmp(s, "${hex:", 6) == 0) {
		uni = false;
		i = 6;
	} else if (n > 10 && strncasecmp(s, "${unicode:", 10) == 0) {
		uni = true;
		i = 10;
	} else {
		return 0;
	}
	size_t maxdig = uni ? 6 : 2, k = 0, items = 0;
	while (i < n && blank(s[i]))
		i++;
	while (i < n && s[i] != '}') {
		uint32_t v = 0;
		size_t d = 0;
		while (i < n && d < maxdig && hexval(s[i]) >= 0)
			v = v * 16 + (uint32_t)hexval(s[i++]), d++;
		if (d == 0 || (i < n && !blank(s[i]) && s[i] != '}'))
			return 0;
		if (uni && (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)))
			return -1;
		k += uni ? utf8(v, out + k) : (out[k] = (char)v, 1);
		items++;
		while (i < n && blank(s[i]))
			i++;
	}
	if (i >= n || items == 0)
		return 0;
	*outn = k;
	return (long)(i + 1);
}

int
sv_encoded_decode(struct sv_str *str, char *why, size_t whylen)
{
	char *s = (char *)str->s;
	size_t w = 0;
	for (size_t r = 0; r < str->n;) {
		size_t outn = 0;
		/* a sequence's bytes are never more than its hex digits, so
		 * a scratch as long as the window holds them */
		char out[SV_ENCODED_MAX];
		long len = s[r] == '$' ? one_sequence(s + r,
		    str->n - r < sizeof(out) ? str->n - r : sizeof(out), out,
		    &outn) : 0;
		if (len < 0) {
			snprintf(why, whylen, "%s", "encoded character outside "
			    "Unicode");
			return -1;
		}
		if (len == 0) {
			s[w++] = s[r++];
			continue;
		}
		memcpy(s + w, out, outn);
		w += outn;
		r += (size_t)len;
	}
	s[w] = '\0';
	str->n = (uint32_t)w;
	return 0;
}
