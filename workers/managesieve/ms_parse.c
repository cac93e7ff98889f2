/* ms_parse: tokens of one ManageSieve command (ms_parse.h). */
#include "ms_parse.h"

#include <string.h>

static bool
atom_char(uint8_t c)
{
	/* RFC 5804 atoms are command names and numbers: letters, digits */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/* A quoted string at text[*pos] (its opening quote), unescaped in place. */
static int
quoted(uint8_t *text, size_t len, size_t *pos, struct ms_token *t,
    const char **err)
{
	size_t i = *pos + 1, out = i;
	for (; i < len; i++) {
		uint8_t c = text[i];
		if (c == '"')
			break;
		if (c == '\0' || c == '\r' || c == '\n') {
			*err = "Bad character in quoted string";
			return -1;
		}
		if (c == '\\') {
			if (i + 1 >= len || (text[i + 1] != '"' &&
			    text[i + 1] != '\\')) {
				*err = "Bad escape in quoted string";
				return -1;
			}
			c = text[++i];
		}
		text[out++] = c;
	}
	if (i >= len) {
		*err = "Unterminated quoted string";
		return -1;
	}
	t->type = MS_TOK_STRING;
	t->s = (const char *)text + *pos + 1;
	t->len = out - (*pos + 1);
	t->literal = false;
	*pos = i + 1;
	return 0;
}

/* A literal "{n}" or "{n+}" CRLF n octets (the reader checked n). */
static int
literal(uint8_t *text, size_t len, size_t *pos, struct ms_token *t,
    const char **err)
{
	size_t i = *pos + 1;
	uint64_t n = 0;
	size_t digits = 0;
	while (i < len && text[i] >= '0' && text[i] <= '9' && digits < 19) {
		n = n * 10 + (uint64_t)(text[i++] - '0');
		digits++;
	}
	if (digits == 0 || i >= len) {
		*err = "Malformed literal";
		return -1;
	}
	if (text[i] == '+')
		i++;
	if (i + 1 >= len || text[i] != '}') {
		*err = "Malformed literal";
		return -1;
	}
	i++;
	if (text[i] == '\r')
		i++;
	if (i >= len || text[i] != '\n') {
		*err = "Literal must end its line";
		return -1;
	}
	i++;
	if (n > len - i) {
		*err = "Literal longer than the command";
		return -1;
	}
	t->type = MS_TOK_STRING;
	t->s = (const char *)text + i;
	t->len = (size_t)n;
	t->literal = true;
	*pos = i + (size_t)n;
	return 0;
}

int
ms_parse_tokens(uint8_t *text, size_t len, struct ms_token *tok,
    size_t maxtok, const char **err)
{
	/* the line end: CRLF (a bare LF is taken too) */
	if (len == 0 || text[len - 1] != '\n') {
		*err = "Missing line end";
		return -1;
	}
	len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	size_t pos = 0, n = 0;
	while (pos < len) {
		if (n > 0) {
			if (text[pos] != ' ') {
				*err = "Expected a space between arguments";
				return -1;
			}
			if (++pos >= len) {
				*err = "Trailing space";
				return -1;
			}
		}
		if (n >= maxtok) {
			*err = "Too many arguments";
			return -1;
		}
		struct ms_token *t = &tok[n];
		if (text[pos] == '"') {
			if (quoted(text, len, &pos, t, err) < 0)
				return -1;
		} else if (text[pos] == '{') {
			if (literal(text, len, &pos, t, err) < 0)
				return -1;
		} else if (atom_char(text[pos])) {
			size_t start = pos;
			while (pos < len && atom_char(text[pos]))
				pos++;
			t->type = MS_TOK_ATOM;
			t->s = (const char *)text + start;
			t->len = pos - start;
			t->literal = false;
		} else {
			*err = "Unexpected character";
			return -1;
		}
		n++;
	}
	return (int)n;
}

int
ms_token_number(const struct ms_token *t, uint64_t *out)
{
	if (t->type != MS_TOK_ATOM || t->len == 0 || t->len > 19)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < t->len; i++) {
		if (t->s[i] < '0' || t->s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	}
	if (v > INT64_MAX)
		return -1;
	*out = v;
	return 0;
}
