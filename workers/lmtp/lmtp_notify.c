/* lmtp_notify: the mail a Sieve notify action sends (see lmtp_notify.h). */
#include "lmtp_notify.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lmtp_vacation.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
lmtp_mailto_address(const char *uri, char *out, size_t n)
{
	if (strncasecmp(uri, "mailto:", 7) != 0)
		return -1;
	size_t o = 0;
	bool at = false;
	for (const char *p = uri + 7; *p && *p != '?' && *p != ','; p++) {
		int c = (unsigned char)*p;
		if (c == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			c = hexval(p[1]) * 16 + hexval(p[2]);
			p += 2;
		}
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' ||
		    o + 1 >= n)
			return -1;
		at |= c == '@';
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return at && out[0] != '@' && out[o - 1] != '@' ? 0 : -1;
}

/* "label: text\r\n" with the text's control characters (a decoded
 * encoded word may hold CR, LF or NUL) made spaces: one line, always. */
static void
body_line(struct buf *out, const char *label, const char *text, size_t n)
{
	buf_append_str(out, label);
	for (size_t i = 0; i < n; i++)
		buf_append_byte(out, (unsigned char)text[i] < 0x20 ||
		    text[i] == 0x7f ? ' ' : (uint8_t)text[i]);
	buf_append_str(out, "\r\n");
}

int
lmtp_notify_compose(struct buf *out, const char *from, const char *to,
    const char *message, struct lmtp_smsg *s, const char *hostname,
    int64_t now)
{
	const char *subj = "", *sender = "";
	size_t subjn = 0, sendern = 0;
	(void)lmtp_smsg_field(s, 0, "Subject", 0, &subj, &subjn);
	(void)lmtp_smsg_field(s, 0, "From", 0, &sender, &sendern);
	if (subjn > 200)
		subjn = 200;
	if (sendern > 200)
		sendern = 200;
	buf_printf(out, "From: <%s>\r\nTo: <%s>\r\nSubject: ", from, to);
	if (message != NULL && message[0] != '\0') {
		lmtp_header_text(out, message, strlen(message));
	} else {
		struct buf t = BUF_INIT(1024);
		buf_printf(&t, "New mail from %.*s: %.*s", (int)sendern, sender,
		    (int)subjn, subj);
		lmtp_header_text(out, (const char *)t.data, t.len);
		buf_free(&t);
	}
	buf_append_str(out, "\r\nAuto-Submitted: auto-notified\r\n"
	    "MIME-Version: 1.0\r\n");
	lmtp_auto_headers(out, hostname, now);
	buf_append_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n");
	body_line(out, "From: ", sender, sendern);
	body_line(out, "Subject: ", subj, subjn);
	return out->failed ? -1 : 0;
}
