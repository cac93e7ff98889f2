/* mime_decode: base64 and quoted-printable (see mime_decode.h). */
#include "mime_decode.h"

#include <string.h>
#include <strings.h>

#include "rfc822.h"

/* 0..63 for the alphabet, 64 for '=', 255 for anything else */
static const uint8_t b64[256] = {
#define X255 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, \
	255, 255, 255, 255
	X255, X255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 62, 255, 255,
	255, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 255, 255, 255, 64, 255, 255,
	255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 255, 255, 255, 255, 255,
	255, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 255, 255, 255, 255, 255,
	X255, X255, X255, X255, X255, X255, X255, X255,
#undef X255
};

int
mime_base64_decode(struct buf *out, const uint8_t *s, size_t n)
{
	if (buf_reserve(out, n / 4 * 3 + 3) < 0)
		return -1;
	uint8_t *d = out->data + out->len;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t v = b64[s[i]];
		if (v == 64)
			break;   /* padding: the data ends here */
		if (v == 255)
			continue;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*d++ = (uint8_t)(acc >> bits);
		}
	}
	out->len = (size_t)(d - out->data);
	return 0;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mime_qp_decode(struct buf *out, const uint8_t *s, size_t n)
{
	if (buf_reserve(out, n) < 0)
		return -1;
	uint8_t *d = out->data + out->len;
	uint8_t *line_ws = NULL;   /* start of trailing blanks in output */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '\r' || c == '\n') {
			if (line_ws != NULL)
				d = line_ws;   /* drop trailing whitespace */
			line_ws = NULL;
			*d++ = c;
			continue;
		}
		if (c == ' ' || c == '\t') {
			if (line_ws == NULL)
				line_ws = d;
			*d++ = c;
			continue;
		}
		line_ws = NULL;
		if (c != '=') {
			*d++ = c;
			continue;
		}
		/* soft line break: "=" blanks* CRLF|LF|end */
		size_t j = i + 1;
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j == n || s[j] == '\n' || (s[j] == '\r' && j + 1 < n &&
		    s[j + 1] == '\n') || (s[j] == '\r' && j + 1 == n)) {
			if (j < n && s[j] == '\r')
				j++;
			i = j;   /* the loop steps past the LF */
			continue;
		}
		int h = i + 2 < n ? hexval(s[i + 1]) : -1;
		int l = h >= 0 ? hexval(s[i + 2]) : -1;
		if (l < 0) {
			*d++ = '=';   /* not an escape: keep it */
			continue;
		}
		*d++ = (uint8_t)(h << 4 | l);
		i += 2;
	}
	out->len = (size_t)(d - out->data);
	return 0;
}

int
mime_q_decode(struct buf *out, const uint8_t *s, size_t n)
{
	if (buf_reserve(out, n) < 0)
		return -1;
	uint8_t *d = out->data + out->len;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '_') {
			*d++ = ' ';
		} else if (s[i] == '=' && i + 2 < n &&
		    (h = hexval(s[i + 1])) >= 0 && (l = hexval(s[i + 2])) >= 0) {
			*d++ = (uint8_t)(h << 4 | l);
			i += 2;
		} else {
			*d++ = s[i];
		}
	}
	out->len = (size_t)(d - out->data);
	return 0;
}

enum mime_cte
mime_cte_parse(const uint8_t *v, size_t n)
{
	static const struct {
		const char *name;
		enum mime_cte cte;
	} names[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	struct rfc822_cur c;
	struct buf tok = BUF_INIT(64);
	rfc822_init(&c, v, n);
	enum mime_cte cte = MIME_CTE_7BIT;   /* absent or void */
	/* a token alone; anything after it makes the header void */
	if (rfc822_skip_cfws(&c) > 0 && rfc822_mime_token(&c, &tok) == 0 &&
	    tok.len > 0) {
		cte = MIME_CTE_UNKNOWN;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == tok.len &&
			    strncasecmp(names[i].name, (const char *)tok.data,
			    tok.len) == 0)
				cte = names[i].cte;
	}
	buf_free(&tok);
	return cte;
}

int
mime_cte_decode(struct buf *out, enum mime_cte cte, const uint8_t *s,
    size_t n)
{
	switch (cte) {
	case MIME_CTE_7BIT:
	case MIME_CTE_8BIT:
	case MIME_CTE_BINARY:
		return buf_append(out, s, n);
	case MIME_CTE_QP:
		return mime_qp_decode(out, s, n);
	case MIME_CTE_BASE64:
		return mime_base64_decode(out, s, n);
	case MIME_CTE_UNKNOWN:
		break;
	}
	return -1;
}
