/* import_mbox_parse: mbox messages and their state headers (see the
 * header). */
#include "import_mbox_parse.h"
#include "store_proto.h"

#include <string.h>
#include <strings.h>
#include <time.h>

static bool
is_from_line(const char *p, size_t n, size_t at)
{
	return n - at >= 5 && memcmp(p + at, "From ", 5) == 0;
}

bool
mbox_next(const char *p, size_t n, size_t *pos, struct mbox_raw *m)
{
	size_t at = *pos;
	/* anything before the first From_ line is not a message */
	while (at < n && !is_from_line(p, n, at)) {
		const char *nl = memchr(p + at, '\n', n - at);
		at = nl ? (size_t)(nl - p) + 1 : n;
	}
	if (at >= n)
		return false;
	const char *nl = memchr(p + at, '\n', n - at);
	size_t body = nl ? (size_t)(nl - p) + 1 : n;
	m->from = p + at + 5;
	m->fromlen = (nl ? (size_t)(nl - p) : n) - (at + 5);
	if (m->fromlen > 0 && m->from[m->fromlen - 1] == '\r')
		m->fromlen--;
	/* the next From_ line after an empty one */
	size_t end = body;
	for (;;) {
		const char *q = end < n ? memchr(p + end, '\n', n - end) : NULL;
		if (q == NULL) {
			end = n;
			break;
		}
		size_t next = (size_t)(q - p) + 1;
		bool blank = q == p + end || (q == p + end + 1 && p[end] == '\r');
		if (blank && is_from_line(p, n, next)) {
			end = next;
			break;
		}
		end = next;
	}
	m->p = p + body;
	m->n = end - body;
	/* the empty line before the next From_ (and at the end) belongs to
	 * the mbox, not to the message */
	if (m->n >= 2 && memcmp(m->p + m->n - 2, "\n\n", 2) == 0)
		m->n--;
	else if (m->n >= 4 && memcmp(m->p + m->n - 4, "\r\n\r\n", 4) == 0)
		m->n -= 2;
	*pos = end;
	return true;
}

int64_t
mbox_from_date(const char *from, size_t n)
{
	static const char *const days[] = { "Mon ", "Tue ", "Wed ", "Thu ",
		"Fri ", "Sat ", "Sun " };
	char tmp[128];
	for (size_t i = 0; i + 24 <= n; i++) {
		bool day = false;
		for (size_t d = 0; d < 7 && !day; d++)
			day = memcmp(from + i, days[d], 4) == 0;
		if (!day || (i > 0 && from[i - 1] != ' '))
			continue;
		size_t l = n - i < sizeof(tmp) - 1 ? n - i : sizeof(tmp) - 1;
		memcpy(tmp, from + i, l);
		tmp[l] = '\0';
		struct tm tm = { 0 };
		const char *e = strptime(tmp, "%a %b %d %H:%M:%S %Y", &tm);
		if (e != NULL)
			return (int64_t)timegm(&tm);
	}
	return 0;
}

static bool
header_is(const char *line, size_t n, const char *name)
{
	size_t l = strlen(name);
	return n > l && line[l] == ':' && strncasecmp(line, name, l) == 0;
}

static uint32_t
get_u32(const char **s, const char *end)
{
	uint64_t v = 0;
	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*s < end && **s >= '0' && **s <= '9' && v <= UINT32_MAX)
		v = v * 10 + (uint64_t)(*(*s)++ - '0');
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

static bool
kw_sep(char c)
{
	return c == ' ' || c == ',' || c == '\t' || c == '\r' || c == '\0';
}

static void
keywords(struct mbox_msg *m, const char *s, const char *end)
{
	size_t used = 0;
	while (s < end && m->nkw < MBOX_KEYWORDS) {
		while (s < end && kw_sep(*s))
			s++;
		const char *w = s;
		while (s < end && !kw_sep(*s))
			s++;
		size_t l = (size_t)(s - w);
		if (l == 0 || l > STORE_KEYWORD_MAX || used + l + 1 > sizeof(m->kwbuf))
			continue;
		memcpy(m->kwbuf + used, w, l);
		m->kwbuf[used + l] = '\0';
		m->kw[m->nkw++] = m->kwbuf + used;
		used += l + 1;
	}
}

/* A state header: read into m and left out of the message. */
static bool
state_header(struct mbox_msg *m, const char *line, size_t n)
{
	const char *end = line + n, *v;
	if (header_is(line, n, "Status") || header_is(line, n, "X-Status")) {
		bool x = line[0] == 'X' || line[0] == 'x';
		for (v = memchr(line, ':', n) + 1; v < end; v++) {
			if (!x && *v == 'R')
				m->flags |= STORE_FLAG_SEEN;
			if (x && *v == 'A')
				m->flags |= STORE_FLAG_ANSWERED;
			if (x && *v == 'F')
				m->flags |= STORE_FLAG_FLAGGED;
			if (x && *v == 'T')
				m->flags |= STORE_FLAG_DRAFT;
			if (x && *v == 'D')
				m->flags |= STORE_FLAG_DELETED;
		}
		return true;
	}
	if (header_is(line, n, "X-Keywords")) {
		keywords(m, line + 11, end);
		return true;
	}
	if (header_is(line, n, "X-UID")) {
		v = line + 6;
		m->uid = get_u32(&v, end);
		return true;
	}
	bool base = header_is(line, n, "X-IMAPbase");
	if (base || header_is(line, n, "X-IMAP")) {
		v = line + (base ? 11 : 7);
		m->uidvalidity = get_u32(&v, end);
		m->uidnext = get_u32(&v, end);
		m->pseudo = m->pseudo || !base;
		return true;
	}
	return false;
}

static bool
quoted_from(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && line[i] == '>')
		i++;
	return i > 0 && n - i >= 5 && memcmp(line + i, "From ", 5) == 0;
}

int
mbox_clean(const struct mbox_raw *raw, struct mbox_msg *m)
{
	buf_reset(&m->out);
	m->flags = m->uid = m->uidvalidity = m->uidnext = 0;
	m->pseudo = false;
	m->nkw = 0;
	bool in_headers = true, skipping = false;
	for (size_t at = 0; at < raw->n;) {
		const char *line = raw->p + at;
		const char *nl = memchr(line, '\n', raw->n - at);
		size_t n = nl ? (size_t)(nl - line) + 1 : raw->n - at;
		at += n;
		size_t text = n - (nl ? 1 : 0);
		if (text > 0 && line[text - 1] == '\r')
			text--;
		if (in_headers && text == 0)
			in_headers = false;
		if (in_headers && (line[0] == ' ' || line[0] == '\t') && skipping)
			continue;      /* a folded line of a state header */
		skipping = in_headers && state_header(m, line, text);
		if (skipping)
			continue;
		if (quoted_from(line, text)) {
			line++;
			n--;
		}
		buf_append(&m->out, line, n);
	}
	return m->out.failed ? -1 : 0;
}
