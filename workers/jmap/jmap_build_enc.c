/* jmap_build_enc: the transfer encodings the message builder writes. */
#include "jmap_build_int.h"
#include "base64.h"

int
enc_crlf(struct buf *out, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			buf_append(out, "\r\n", 2);
		} else if (s[i] == '\n') {
			buf_append(out, "\r\n", 2);
		} else {
			buf_append_byte(out, s[i]);
		}
	}
	return out->failed ? -1 : 0;
}

/* NUL-free CRLF lines of at most 998 bytes; *ascii: no 8-bit byte. */
static bool
lines_ok(const uint8_t *s, size_t n, bool *ascii)
{
	size_t col = 0;
	*ascii = true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == 0)
			return false;
		if (s[i] >= 0x80)
			*ascii = false;
		if (s[i] == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				return false;
			i++;
			col = 0;
			continue;
		}
		if (s[i] == '\n' || ++col > BUILD_LINE_MAX)
			return false;
	}
	return true;
}

bool
enc_is_7bit(const uint8_t *s, size_t n)
{
	bool ascii;
	return lines_ok(s, n, &ascii) && ascii;
}

bool
enc_is_8bit(const uint8_t *s, size_t n)
{
	bool ascii;
	return lines_ok(s, n, &ascii);
}

static const char hexd[] = "0123456789ABCDEF";

static void
qp_byte(struct buf *out, uint8_t c, size_t *col)
{
	if (*col + 3 > 75) {
		buf_append(out, "=\r\n", 3);
		*col = 0;
	}
	uint8_t e[3] = { '=', (uint8_t)hexd[c >> 4], (uint8_t)hexd[c & 15] };
	buf_append(out, e, 3);
	*col += 3;
}

int
enc_qp(struct buf *out, const uint8_t *s, size_t n)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		bool eol = i + 1 >= n || (s[i + 1] == '\r' && i + 2 < n &&
		    s[i + 2] == '\n');
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_append(out, "\r\n", 2);
			col = 0;
			i++;
		} else if ((c == ' ' || c == '\t') && eol) {
			qp_byte(out, c, &col);  /* trailing space would be lost */
		} else if (c >= 33 && c <= 126 && c != '=') {
			if (col + 1 > 75) {
				buf_append(out, "=\r\n", 3);
				col = 0;
			}
			buf_append_byte(out, c);
			col++;
		} else if (c == ' ' || c == '\t') {
			if (col + 1 > 75) {
				buf_append(out, "=\r\n", 3);
				col = 0;
			}
			buf_append_byte(out, c);
			col++;
		} else {
			qp_byte(out, c, &col);
		}
	}
	return out->failed ? -1 : 0;
}

/* 57 bytes a line: 76 characters. */
int
enc_base64(struct buf *out, const uint8_t *s, size_t n, bool wrap)
{
	size_t step = wrap ? 57 : (n ? n : 1);
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		if (base64_encode(s + i, k, out) < 0)
			return -1;
		if (wrap)
			buf_append(out, "\r\n", 2);
	}
	return out->failed ? -1 : 0;
}

int
enc_hex(struct buf *out, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_append_byte(out, (uint8_t)hexd[s[i] >> 4] | 0x20);
		buf_append_byte(out, (uint8_t)hexd[s[i] & 15] | 0x20);
	}
	return out->failed ? -1 : 0;
}
