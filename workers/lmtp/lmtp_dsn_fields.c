/* lmtp_dsn_fields: RFC 3464 delivery-status fields (see lmtp_dsn_fields.h). */
#include "lmtp_dsn_fields.h"

#include <string.h>
#include <strings.h>

#define FIELD_MAX 1000      /* an unfolded field's value kept */

struct field {
	char name[32];
	char value[FIELD_MAX + 1];
	size_t vlen;
};

/* The next field of the block at *pos (unfolded), or false at a blank
 * line or the end: then *pos is past the blank line. */
static bool
next_field(const uint8_t *p, size_t len, size_t *pos, struct field *f)
{
	size_t i = *pos;
	f->name[0] = '\0';
	f->vlen = 0;
	if (i >= len)
		return false;
	size_t e = i;
	while (e < len && p[e] != '\n')
		e++;
	size_t le = e > i && p[e - 1] == '\r' ? e - 1 : e;
	if (le == i) {                   /* a blank line ends the block */
		*pos = e < len ? e + 1 : len;
		return false;
	}
	size_t n = 0;
	while (i + n < le && p[i + n] != ':')
		n++;
	if (i + n < le && n < sizeof(f->name)) {
		memcpy(f->name, p + i, n);
		f->name[n] = '\0';
	}
	/* the value: the rest of the line and its continuation lines */
	size_t v = i + n + 1;
	for (;;) {
		for (; v < le; v++)
			if (f->vlen < FIELD_MAX)
				f->value[f->vlen++] = p[v] >= 0x20 && p[v] < 0x7f ?
				    (char)p[v] : ' ';
		i = e < len ? e + 1 : len;
		if (i >= len || (p[i] != ' ' && p[i] != '\t'))
			break;
		e = i;
		while (e < len && p[e] != '\n')
			e++;
		le = e > i && p[e - 1] == '\r' ? e - 1 : e;
		v = i;
	}
	f->value[f->vlen] = '\0';
	*pos = i;
	return true;
}

/* The value without its surrounding blanks and a trailing comment. */
static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *c = strchr(s, '(');
	if (c != NULL)
		*c = '\0';
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* "rfc822; addr" (or "<addr>"): the address, if it fits and has no
 * blank or angle bracket inside. */
static bool
address(char *value, char out[STORE_OUTBOX_ADDR_MAX + 1])
{
	char *s = trim(value);
	char *semi = strchr(s, ';');
	if (semi == NULL)
		return false;
	*semi = '\0';
	if (strcasecmp(trim(s), "rfc822") != 0)
		return false;
	s = trim(semi + 1);
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n == 0 || n > STORE_OUTBOX_ADDR_MAX || strcspn(s, " \t<>") < n)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static uint32_t
action(char *value)
{
	static const char *const names[] = { [STORE_REPORT_FAILED] = "failed",
		[STORE_REPORT_DELAYED] = "delayed",
		[STORE_REPORT_DELIVERED] = "delivered",
		[STORE_REPORT_RELAYED] = "relayed",
		[STORE_REPORT_EXPANDED] = "expanded" };
	const char *s = trim(value);
	for (uint32_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return 0;
}

/* One per-recipient block: kept if it has an address and a known Action. */
static void
recipient(const uint8_t *p, size_t len, size_t *pos, struct dsn_fields *out)
{
	static struct field f;
	struct dsn_rcpt r = { .action = 0 };
	bool orig = false, final = false;
	while (next_field(p, len, pos, &f)) {
		if (strcasecmp(f.name, "Original-Recipient") == 0)
			orig = address(f.value, r.addr);
		else if (strcasecmp(f.name, "Final-Recipient") == 0 && !orig)
			final = address(f.value, r.addr);
		else if (strcasecmp(f.name, "Action") == 0)
			r.action = action(f.value);
	}
	if ((orig || final) && r.action != 0 && out->n < DSN_RCPTS_MAX)
		out->rcpt[out->n++] = r;
}

void
dsn_fields_parse(const uint8_t *p, size_t len, struct dsn_fields *out)
{
	static struct field f;
	size_t pos = 0;
	out->envid[0] = '\0';
	out->n = 0;
	/* blank lines before the per-message block */
	while (pos < len && (p[pos] == '\r' || p[pos] == '\n'))
		pos++;
	while (next_field(p, len, &pos, &f))
		if (strcasecmp(f.name, "Original-Envelope-Id") == 0) {
			char *s = trim(f.value);
			size_t n = strlen(s);
			if (n <= DSN_ENVID_MAX)
				memcpy(out->envid, s, n + 1);
		}
	/* per-recipient blocks, a bounded number of them */
	for (unsigned blocks = 0; pos < len && blocks < 4 * DSN_RCPTS_MAX;
	    blocks++) {
		while (pos < len && (p[pos] == '\r' || p[pos] == '\n'))
			pos++;
		recipient(p, len, &pos, out);
	}
}

/* "manual-action/MDN-sent-manually; displayed/..." : the type's action. */
static uint32_t
disposition(char *value)
{
	char *semi = strchr(value, ';');
	if (semi == NULL)
		return 0;
	char *s = trim(semi + 1);
	size_t n = strcspn(s, "/ \t");
	if (n == 9 && strncasecmp(s, "displayed", 9) == 0)
		return STORE_REPORT_DISPLAYED;
	return n > 0 ? STORE_REPORT_OTHER : 0;
}

void
mdn_fields_parse(const uint8_t *p, size_t len, struct mdn_fields *out)
{
	static struct field f;
	bool orig = false;
	size_t pos = 0;
	memset(out, 0, sizeof(*out));
	while (pos < len && (p[pos] == '\r' || p[pos] == '\n'))
		pos++;
	while (next_field(p, len, &pos, &f)) {
		if (strcasecmp(f.name, "Original-Message-ID") == 0) {
			char *s = trim(f.value);
			size_t n = strlen(s);
			if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
				s++;
				n -= 2;
			}
			bool ok = n <= STORE_OUTBOX_MSGID_MAX &&
			    strcspn(s, " \t<>") == n;
			if (ok)
				memcpy(out->msgid, s, n);
			out->msgid[ok ? n : 0] = '\0';
		} else if (strcasecmp(f.name, "Original-Recipient") == 0) {
			orig = address(f.value, out->rcpt.addr);
		} else if (strcasecmp(f.name, "Final-Recipient") == 0 && !orig) {
			if (!address(f.value, out->rcpt.addr))
				out->rcpt.addr[0] = '\0';
		} else if (strcasecmp(f.name, "Disposition") == 0) {
			out->rcpt.action = disposition(f.value);
		}
	}
	if (out->rcpt.addr[0] == '\0')
		out->rcpt.action = 0;
}

uint64_t
dsn_envid_outbox(const char *envid)
{
	size_t k = strlen(STORE_OUTBOX_ENVID_PREFIX);
	if (strncmp(envid, STORE_OUTBOX_ENVID_PREFIX, k) != 0)
		return 0;
	const char *d = envid + k;
	uint64_t id = 0;
	size_t n = 0;
	for (; d[n] >= '0' && d[n] <= '9'; n++) {
		if (n >= 19)
			return 0;
		id = id * 10 + (uint64_t)(d[n] - '0');
	}
	return n > 0 && d[n] == '\0' ? id : 0;
}
