/* lmtp_vacation: whether and how a vacation action answers (see header). */
#include "lmtp_vacation.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "mime_addr.h"

bool
lmtp_addr_equal(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && alen > 0 && strncasecmp(a, b, alen) == 0;
}

static bool
is_self(const struct lmtp_self *self, const char *a, size_t n)
{
	if (lmtp_addr_equal(a, n, self->rcpt) ||
	    lmtp_addr_equal(a, n, self->user_addr))
		return true;
	for (size_t i = 0; i < self->naddresses; i++)
		if (lmtp_addr_equal(a, n, self->addresses[i]))
			return true;
	return false;
}

/* The first token of a field's value (up to blanks, ';' or '('). */
static bool
first_token_is(struct lmtp_smsg *s, const char *field, const char *const *words)
{
	const char *v;
	size_t n;
	for (size_t i = 0; lmtp_smsg_field(s, 0, field, i, &v, &n) == 0; i++) {
		while (n > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			n--;
		}
		size_t t = 0;
		while (t < n && v[t] != ';' && v[t] != '(' && v[t] != ' ' &&
		    v[t] != '\t')
			t++;
		for (size_t w = 0; words[w] != NULL; w++)
			if (strlen(words[w]) == t &&
			    strncasecmp(v, words[w], t) == 0)
				return true;
	}
	return false;
}

bool
lmtp_auto_submitted(struct lmtp_smsg *s)
{
	static const char *const no[] = { "no", NULL };
	const char *v;
	size_t n;
	return lmtp_smsg_field(s, 0, "Auto-Submitted", 0, &v, &n) == 0 &&
	    !first_token_is(s, "Auto-Submitted", no);
}

/* A sender RFC 5230 section 4.5 says never to answer: bounces, list
 * owners and list software. */
static bool
robot_sender(const char *sender)
{
	const char *at = strrchr(sender, '@');
	size_t n = at ? (size_t)(at - sender) : strlen(sender);
	static const char *const names[] = { "mailer-daemon", "listserv",
		"majordomo", "postmaster", NULL };
	for (size_t i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == n && strncasecmp(sender, names[i], n) == 0)
			return true;
	return (n >= 6 && strncasecmp(sender, "owner-", 6) == 0) ||
	    (n >= 8 && strncasecmp(sender + n - 8, "-request", 8) == 0);
}

/* Any List-* field (RFC 2369, 2919): the message came through a list. */
static bool
list_mail(struct lmtp_smsg *s)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init_part(&it, s->m, 0);
	while (mime_hdr_next(&it, &f))
		if (f.name_len > 5 &&
		    strncasecmp((const char *)f.name, "List-", 5) == 0)
			return true;
	return false;
}

struct addr_find {
	const struct lmtp_self *self;
	char a[512];
};

static int
addr_cb(void *ctx, const struct mime_addr *a)
{
	struct addr_find *f = ctx;
	if (a->mailbox.p == NULL || a->domain.p == NULL)
		return 0;
	int n = buf_snprintf(f->a, sizeof(f->a), "%.*s@%.*s",
	    (int)a->mailbox.len, a->mailbox.p, (int)a->domain.len, a->domain.p);
	return n > 0 && is_self(f->self, f->a, (size_t)n) ? 1 : 0;
}

/* Is one of the user's addresses in To, Cc, Bcc or their Resent- forms? */
static bool
addressed_to_self(struct lmtp_smsg *s, const struct lmtp_self *self)
{
	static const char *const fields[] = { "To", "Cc", "Bcc", "Resent-To",
		"Resent-Cc", "Resent-Bcc" };
	struct addr_find f = { .self = self };
	struct mime_hdr_iter it;
	struct mime_field fl;
	mime_hdr_init_part(&it, s->m, 0);
	while (mime_hdr_next(&it, &fl))
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (mime_field_is(&fl, fields[i]) &&
			    mime_addr_parse(fl.value, fl.value_len, 1000,
			    addr_cb, &f) == 1)
				return true;
	return false;
}

const char *
lmtp_vacation_refusal(struct lmtp_smsg *s, const char *sender,
    const struct lmtp_self *self)
{
	static const char *const bulk[] = { "bulk", "list", "junk", NULL };
	if (sender[0] == '\0')
		return "null sender";
	if (robot_sender(sender))
		return "sender is a mailer or list address";
	if (is_self(self, sender, strlen(sender)))
		return "sender is the recipient";
	if (lmtp_auto_submitted(s))
		return "Auto-Submitted";
	if (first_token_is(s, "Precedence", bulk))
		return "Precedence bulk, list or junk";
	if (list_mail(s))
		return "List- header";
	if (!addressed_to_self(s, self))
		return "recipient not in To, Cc or Bcc";
	return NULL;
}

void
lmtp_vacation_key(const struct sieve_action *a, const char *sender,
    uint8_t key[32])
{
	struct buf b = BUF_INIT(1u << 20);
	buf_append_str(&b, "vacation");
	buf_append_byte(&b, 0);
	if (a->handle != NULL) {
		buf_append_str(&b, a->handle);
	} else {
		buf_append_str(&b, a->arg ? a->arg : "");
		buf_append_byte(&b, 0);
		buf_append_str(&b, a->subject ? a->subject : "");
		buf_append_byte(&b, 0);
		buf_append_str(&b, a->from ? a->from : "");
	}
	buf_append_byte(&b, 0);
	for (const char *p = sender; *p; p++)
		buf_append_byte(&b, (uint8_t)tolower((unsigned char)*p));
	SHA256(b.data, b.len, key);
	buf_free(&b);
}

int
lmtp_header_text(struct buf *out, const char *text, size_t n)
{
	bool plain = true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] >= 0x7f)
			plain = false;
	if (plain) {
		for (size_t i = 0; i < n; i++)
			buf_append_byte(out, (unsigned char)text[i] < 0x20 ? ' ' :
			    (uint8_t)text[i]);
		return out->failed ? -1 : 0;
	}
	struct buf clean = BUF_INIT(1u << 16);
	for (size_t i = 0; i < n; i++)
		buf_append_byte(&clean, (unsigned char)text[i] < 0x20 ? ' ' :
		    (uint8_t)text[i]);
	buf_append_str(out, "=?UTF-8?B?");
	base64_encode(clean.data, clean.len, out);
	buf_append_str(out, "?=");
	buf_free(&clean);
	return out->failed ? -1 : 0;
}

int
lmtp_auto_headers(struct buf *out, const char *hostname, int64_t now)
{
	static unsigned counter;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct { struct timespec ts; pid_t pid; unsigned n; } seed =
	    { ts, getpid(), ++counter };
	uint8_t h[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)&seed, sizeof(seed), h);
	char date[64];
	struct tm tm;
	time_t t = (time_t)now;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_printf(out, "Date: %s\r\nMessage-ID: <", date);
	for (int i = 0; i < 12; i++)
		buf_printf(out, "%02x", h[i]);
	buf_printf(out, ".auto@%s>\r\n", hostname);
	return out->failed ? -1 : 0;
}

/* A field of the original, raw and unfolded (CR and LF dropped). */
static bool
raw_field(struct lmtp_smsg *s, const char *name, struct buf *out, size_t max)
{
	struct mime_field f;
	if (!mime_hdr_find(s->m, 0, name, &f) || f.value_len > max)
		return false;
	for (size_t i = 0; i < f.value_len; i++)
		if (f.value[i] != '\r' && f.value[i] != '\n')
			buf_append_byte(out, f.value[i]);
	return true;
}

/* text with every line ended by CRLF; bare CRs dropped. */
static void
crlf_text(struct buf *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			buf_append_byte(out, '\r');
		buf_append_byte(out, (uint8_t)*p);
	}
	if (out->len < 2 || out->data[out->len - 1] != '\n')
		buf_append_str(out, "\r\n");
}

/* :mime: the reason is a MIME entity; only its Content-* fields go into
 * the reply's header, so a script cannot add recipients or a From. */
static void
mime_reason(struct buf *out, const char *reason)
{
	struct buf r = BUF_INIT(1u << 20);
	crlf_text(&r, reason);
	const uint8_t *eoh = memmem(r.data, r.len, "\r\n\r\n", 4);
	if (eoh == NULL) {
		/* no header of its own: plain text */
		buf_append_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
		    "\r\n");
		buf_append(out, r.data, r.len);
		buf_free(&r);
		return;
	}
	struct mime_hdr_iter it;
	struct mime_field f;
	mime_hdr_init(&it, r.data, (size_t)(eoh + 2 - r.data));
	while (mime_hdr_next(&it, &f))
		if (f.name_len > 8 &&
		    strncasecmp((const char *)f.name, "Content-", 8) == 0)
			buf_append(out, f.raw, f.raw_len);
	buf_append_str(out, "\r\n");
	buf_append(out, eoh + 4, (size_t)(r.data + r.len - (eoh + 4)));
	buf_free(&r);
}

int
lmtp_vacation_compose(struct buf *out, const struct sieve_action *a,
    struct lmtp_smsg *s, const char *sender, const char *rcpt,
    const char *hostname, int64_t now)
{
	buf_append_str(out, "From: ");
	if (a->from != NULL && a->from[0] != '\0')
		lmtp_header_text(out, a->from, strlen(a->from));
	else
		buf_printf(out, "<%s>", rcpt);
	buf_printf(out, "\r\nTo: <%s>\r\nSubject: ", sender);
	if (a->subject != NULL && a->subject[0] != '\0') {
		lmtp_header_text(out, a->subject, strlen(a->subject));
	} else {
		buf_append_str(out, "Auto: ");
		if (!raw_field(s, "Subject", out, 900))
			buf_append_str(out, "Away");
	}
	struct buf id = BUF_INIT(2048);
	if (raw_field(s, "Message-ID", &id, 998) && id.len > 0) {
		buf_append_str(out, "\r\nIn-Reply-To: ");
		buf_append(out, id.data, id.len);
		buf_append_str(out, "\r\nReferences: ");
		if (raw_field(s, "References", out, 4000))
			buf_append_byte(out, ' ');
		buf_append(out, id.data, id.len);
	}
	buf_free(&id);
	buf_append_str(out, "\r\nAuto-Submitted: auto-replied (vacation)\r\n"
	    "MIME-Version: 1.0\r\n");
	lmtp_auto_headers(out, hostname, now);
	const char *reason = a->arg ? a->arg : "";
	if (a->mime) {
		mime_reason(out, reason);
	} else {
		buf_append_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: 8bit\r\n\r\n");
		crlf_text(out, reason);
	}
	return out->failed ? -1 : 0;
}
