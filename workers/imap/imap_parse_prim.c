/* imap_parse_prim: the lexical primitives of the command grammar
 * (imap_parse_priv.h). RFC 9051 section 9 names are used throughout. */
#include "imap_parse_priv.h"
#include "buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int
p_fail(struct imap_parser *p, const char *fmt, ...)
{
	if (!p->failed) {
		p->failed = true;
		va_list ap;
		va_start(ap, fmt);
		if (vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap) < 0)
			p->err->msg[0] = '\0';
		va_end(ap);
	}
	return -1;
}

int
p_refuse(struct imap_parser *p, const char *code, const char *msg)
{
	if (!p->failed) {
		p->no = true;
		p->err->code = code;
		(void)p_fail(p, "%s", msg);
	}
	return -1;
}

void *
p_alloc(struct imap_parser *p, size_t n)
{
	void *m = imap_arena_alloc(p->ctx->arena, n);
	if (m == NULL)
		p_fail(p, "Command too complex");
	return m;
}

int
p_item(struct imap_parser *p)
{
	if (++p->items > p->ctx->lim->max_items)
		return p_fail(p, "Too many arguments");
	return 0;
}

int
p_enter(struct imap_parser *p)
{
	if (++p->depth > p->ctx->lim->max_depth)
		return p_fail(p, "Nesting too deep");
	return 0;
}

void
p_leave(struct imap_parser *p)
{
	p->depth--;
}

int
p_peek(const struct imap_parser *p)
{
	return p->pos < p->len ? p->t[p->pos] : -1;
}

bool
p_at_end(const struct imap_parser *p)
{
	int c = p_peek(p);
	return c == -1 || c == '\r' || c == '\n';
}

int
p_char(struct imap_parser *p, char c)
{
	if (p_peek(p) != (unsigned char)c)
		return p_fail(p, "Expected '%c'", c);
	p->pos++;
	return 0;
}

bool
p_try_char(struct imap_parser *p, char c)
{
	if (p_peek(p) != (unsigned char)c)
		return false;
	p->pos++;
	return true;
}

int
p_sp(struct imap_parser *p)
{
	if (p_peek(p) != ' ')
		return p_fail(p, p_at_end(p) ? "Missing argument" :
		    "Expected a space");
	p->pos++;
	return 0;
}

int
p_end(struct imap_parser *p)
{
	size_t i = p->pos;
	if (i < p->len && p->t[i] == '\r')
		i++;
	if (i < p->len && p->t[i] == '\n')
		i++;
	else
		return p_fail(p, p_peek(p) == ' ' ? "Unexpected extra arguments"
		    : "Unexpected characters at end of command");
	if (i != p->len)
		return p_fail(p, "Unexpected data after command");
	p->pos = i;
	return 0;
}

/* ATOM-CHAR: CHAR except atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE
 * "\" "]" */
static bool
atom_char(int c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	    c != '%' && c != '*' && c != '"' && c != '\\' && c != ']';
}

static int
run(struct imap_parser *p, bool (*ok)(int), const char **out, size_t *len,
    const char *what)
{
	size_t s = p->pos;
	while (p->pos < p->len && ok(p->t[p->pos]))
		p->pos++;
	if (p->pos == s)
		return p_fail(p, "Expected %s", what);
	char *c = imap_arena_strndup(p->ctx->arena, p->t + s, p->pos - s);
	if (c == NULL)
		return p_fail(p, "Command too complex");
	*out = c;
	if (len != NULL)
		*len = p->pos - s;
	return 0;
}

int
p_atom(struct imap_parser *p, const char **out, size_t *len)
{
	return run(p, atom_char, out, len, "an atom");
}

int
p_atom_upper(struct imap_parser *p, const char **out)
{
	if (p_atom(p, out, NULL) < 0)
		return -1;
	for (char *c = (char *)*out; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return 0;
}

bool
p_try_prefix(struct imap_parser *p, const char *w)
{
	size_t n = strlen(w);
	if (p->len - p->pos < n || strncasecmp((const char *)p->t + p->pos, w,
	    n) != 0)
		return false;
	p->pos += n;
	return true;
}

bool
p_try_word(struct imap_parser *p, const char *w)
{
	size_t save = p->pos;
	if (!p_try_prefix(p, w))
		return false;
	/* the word must end here: not a prefix of a longer atom */
	if (p->pos < p->len && atom_char(p->t[p->pos])) {
		p->pos = save;
		return false;
	}
	return true;
}

static int
quoted(struct imap_parser *p, struct imap_str *out)
{
	p->pos++;   /* DQUOTE */
	size_t s = p->pos, n = 0;
	bool esc = false;
	/* first pass: find the end and the unescaped length */
	for (size_t i = s;; i++) {
		if (i >= p->len)
			return p_fail(p, "Unterminated quoted string");
		uint8_t c = p->t[i];
		if (c == '\r' || c == '\n' || c == 0)
			return p_fail(p, "Invalid character in quoted string");
		if (esc) {
			if (c != '"' && c != '\\')
				return p_fail(p, "Invalid escape in quoted string");
			esc = false;
			n++;
		} else if (c == '\\') {
			esc = true;
		} else if (c == '"') {
			char *d = p_alloc(p, n + 1);
			if (d == NULL)
				return -1;
			size_t k = 0;
			for (size_t j = s; j < i; j++) {
				if (p->t[j] == '\\')
					j++;
				d[k++] = (char)p->t[j];
			}
			d[k] = '\0';
			p->pos = i + 1;
			out->s = d;
			out->len = n;
			return 0;
		} else {
			n++;
		}
	}
}

/* "{" number64 ["+"] "}" CRLF, then the bytes (inline or spooled). */
static int
literal(struct imap_parser *p, struct imap_str *out, bool allow8,
    bool allow_ext)
{
	size_t start = p->pos;
	bool bin = false;
	if (p_peek(p) == '~') {
		if (!allow8)
			return p_fail(p, "Binary literal not allowed here");
		bin = true;
		p->pos++;
	}
	if (p_char(p, '{') < 0)
		return -1;
	uint64_t n = 0;
	size_t d = 0;
	while (p->pos < p->len && p->t[p->pos] >= '0' && p->t[p->pos] <= '9') {
		if (++d > 19)
			return p_fail(p, "Literal size too large");
		n = n * 10 + (uint64_t)(p->t[p->pos++] - '0');
	}
	if (d == 0)
		return p_fail(p, "Invalid literal size");
	(void)p_try_char(p, '+');
	if (p_char(p, '}') < 0)
		return -1;
	(void)p_try_char(p, '\r');
	if (p_char(p, '\n') < 0)
		return -1;
	const struct imap_reader *rd = p->ctx->rd;
	const struct imap_ext_literal *e = rd != NULL ?
	    imap_reader_ext(rd, p->next_ext) : NULL;
	out->literal = true;
	out->binary = bin;
	if (e != NULL && e->text_pos == start) {
		p->next_ext++;
		if (!allow_ext)
			return p_fail(p, "Literal too large here");
		out->ext = e;
		out->s = NULL;
		out->len = (size_t)e->size;
		return 0;
	}
	if (n > p->len - p->pos)
		return p_fail(p, "Literal shorter than announced");
	if (!bin && memchr(p->t + p->pos, 0, (size_t)n) != NULL)
		return p_fail(p, "NUL byte in literal");
	char *c = imap_arena_strndup(p->ctx->arena, p->t + p->pos, (size_t)n);
	if (c == NULL)
		return p_fail(p, "Command too complex");
	out->s = c;
	out->len = (size_t)n;
	p->pos += (size_t)n;
	return 0;
}

int
p_string(struct imap_parser *p, struct imap_str *out)
{
	memset(out, 0, sizeof(*out));
	int c = p_peek(p);
	if (c == '"')
		return quoted(p, out);
	if (c == '{')
		return literal(p, out, false, false);
	return p_fail(p, "Expected a string");
}

int
p_nstring(struct imap_parser *p, struct imap_str *out)
{
	if (p_try_word(p, "NIL")) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return p_string(p, out);
}

static bool
astring_char(int c)
{
	return atom_char(c) || c == ']';
}

int
p_astring(struct imap_parser *p, struct imap_str *out)
{
	int c = p_peek(p);
	if (c == '"' || c == '{')
		return p_string(p, out);
	memset(out, 0, sizeof(*out));
	return run(p, astring_char, &out->s, &out->len, "a string or atom");
}

static bool
list_char(int c)
{
	return atom_char(c) || c == '%' || c == '*' || c == ']';
}

int
p_list_mailbox(struct imap_parser *p, struct imap_str *out)
{
	int c = p_peek(p);
	if (c == '"' || c == '{')
		return p_string(p, out);
	memset(out, 0, sizeof(*out));
	return run(p, list_char, &out->s, &out->len, "a mailbox pattern");
}

int
p_mailbox(struct imap_parser *p, struct imap_str *out)
{
	if (p_astring(p, out) < 0)
		return -1;
	if (out->len == 0)
		return p_fail(p, "Empty mailbox name");
	if (memchr(out->s, 0, out->len) != NULL)
		return p_fail(p, "Invalid mailbox name");
	/* INBOX is case-insensitive (RFC 9051 5.1) */
	if (out->len == 5 && strncasecmp(out->s, "INBOX", 5) == 0)
		out->s = "INBOX";
	return 0;
}

int
p_append_data(struct imap_parser *p, struct imap_str *out)
{
	memset(out, 0, sizeof(*out));
	int c = p_peek(p);
	if (c == '{' || c == '~')
		return literal(p, out, true, true);
	return p_fail(p, "Expected a literal");
}

static int
digits(struct imap_parser *p, uint64_t max, uint64_t *v)
{
	size_t s = p->pos;
	uint64_t n = 0;
	while (p->pos < p->len && p->t[p->pos] >= '0' && p->t[p->pos] <= '9') {
		n = n * 10 + (uint64_t)(p->t[p->pos++] - '0');
		if (n > max)
			return p_fail(p, "Number too large");
	}
	if (p->pos == s)
		return p_fail(p, "Expected a number");
	*v = n;
	return 0;
}

int
p_number(struct imap_parser *p, uint32_t *v)
{
	uint64_t n;
	if (digits(p, UINT32_MAX, &n) < 0)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int
p_nz_number(struct imap_parser *p, uint32_t *v)
{
	if (p_number(p, v) < 0)
		return -1;
	if (*v == 0)
		return p_fail(p, "Zero is not a valid number here");
	return 0;
}

int
p_number64(struct imap_parser *p, uint64_t *v)
{
	return digits(p, INT64_MAX, v);
}

int
p_mod_seq(struct imap_parser *p, uint64_t *v)
{
	if (p_number64(p, v) < 0)
		return -1;
	if (*v == 0)
		return p_fail(p, "Invalid mod-sequence");
	return 0;
}

/* seq-number = nz-number / "*" */
static int
seq_number(struct imap_parser *p, uint32_t *v)
{
	if (p_try_char(p, '*')) {
		*v = IMAP_STAR;
		return 0;
	}
	return p_nz_number(p, v);
}

int
p_seqset(struct imap_parser *p, struct imap_seqset *s)
{
	memset(s, 0, sizeof(*s));
	if (p_try_char(p, '$')) {
		s->saved = true;
		return 0;
	}
	/* count the ranges first: one allocation, bounded by max_items */
	size_t n = 1;
	for (size_t i = p->pos; i < p->len && p->t[i] != ' ' &&
	    p->t[i] != '\r' && p->t[i] != '\n' && p->t[i] != ')'; i++)
		if (p->t[i] == ',')
			n++;
	if (n > p->ctx->lim->max_items)
		return p_fail(p, "Sequence set too long");
	s->r = p_alloc(p, n * sizeof(*s->r));
	if (s->r == NULL)
		return -1;
	for (;;) {
		uint32_t a, b;
		if (s->n >= n)
			return p_fail(p, "Invalid sequence set");
		if (seq_number(p, &a) < 0)
			return -1;
		b = a;
		if (p_try_char(p, ':') && seq_number(p, &b) < 0)
			return -1;
		/* "*" is the largest: order the pair with that in mind */
		if (a == IMAP_STAR || (b != IMAP_STAR && a > b)) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		s->r[s->n].lo = a;
		s->r[s->n].hi = b;
		s->n++;
		if (!p_try_char(p, ','))
			break;
	}
	return 0;
}

static const struct {
	const char *name;
	uint32_t bit;
} sysflags[] = {
	{ "\\Seen", IMAP_F_SEEN },
	{ "\\Answered", IMAP_F_ANSWERED },
	{ "\\Flagged", IMAP_F_FLAGGED },
	{ "\\Deleted", IMAP_F_DELETED },
	{ "\\Draft", IMAP_F_DRAFT },
	{ "\\Recent", IMAP_F_RECENT },
};

int
p_flag(struct imap_parser *p, struct imap_flags *f, bool with_recent)
{
	if (p_item(p) < 0)
		return -1;
	if (p_try_char(p, '\\')) {
		const char *a;
		size_t len;
		if (p_atom(p, &a, &len) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(sysflags) / sizeof(sysflags[0]); i++) {
			if (strcasecmp(sysflags[i].name + 1, a) != 0)
				continue;
			if (sysflags[i].bit == IMAP_F_RECENT && !with_recent)
				return p_fail(p, "\\Recent cannot be stored");
			f->sys |= sysflags[i].bit;
			return 0;
		}
		return p_fail(p, "Unknown system flag \\%s", a);
	}
	const char *kw;
	size_t len;
	if (p_atom(p, &kw, &len) < 0)
		return -1;
	const char **nv = p_alloc(p, (f->nkw + 1) * sizeof(*nv));
	if (nv == NULL)
		return -1;
	if (f->nkw > 0)
		memcpy(nv, f->kw, f->nkw * sizeof(*nv));
	nv[f->nkw++] = kw;
	f->kw = nv;
	return 0;
}

int
p_flag_list(struct imap_parser *p, struct imap_flags *f)
{
	memset(f, 0, sizeof(*f));
	if (p_char(p, '(') < 0)
		return -1;
	if (p_try_char(p, ')'))
		return 0;
	for (;;) {
		if (p_flag(p, f, false) < 0)
			return -1;
		if (p_try_char(p, ')'))
			return 0;
		if (p_sp(p) < 0)
			return -1;
	}
}

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int32_t
days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + (int)doe - 719468);
}

static bool
valid_day(int y, unsigned m, unsigned d)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static int
fixed_digits(struct imap_parser *p, size_t n, unsigned *v)
{
	unsigned r = 0;
	for (size_t i = 0; i < n; i++) {
		int c = p_peek(p);
		if (c < '0' || c > '9')
			return p_fail(p, "Invalid date");
		r = r * 10 + (unsigned)(c - '0');
		p->pos++;
	}
	*v = r;
	return 0;
}

/* "d-Mon-yyyy" (1 or 2 digit day); fixed: "dd" or " d" */
static int
date_text(struct imap_parser *p, bool fixed, int *y, unsigned *m, unsigned *d)
{
	unsigned day = 0;
	if (fixed && p_peek(p) == ' ') {
		p->pos++;
		if (fixed_digits(p, 1, &day) < 0)
			return -1;
	} else {
		if (fixed_digits(p, 1, &day) < 0)
			return -1;
		int c = p_peek(p);
		if (c >= '0' && c <= '9') {
			day = day * 10 + (unsigned)(c - '0');
			p->pos++;
		} else if (fixed) {
			return p_fail(p, "Invalid date");
		}
	}
	if (p_char(p, '-') < 0 || p->len - p->pos < 4)
		return p_fail(p, "Invalid date");
	unsigned mon = 0;
	for (unsigned i = 0; i < 12; i++)
		if (strncasecmp((const char *)p->t + p->pos, months[i], 3) == 0)
			mon = i + 1;
	if (mon == 0)
		return p_fail(p, "Invalid month in date");
	p->pos += 3;
	unsigned year = 0;
	if (p_char(p, '-') < 0 || fixed_digits(p, 4, &year) < 0)
		return p_fail(p, "Invalid date");
	if (!valid_day((int)year, mon, day))
		return p_fail(p, "Invalid date");
	*y = (int)year;
	*m = mon;
	*d = day;
	return 0;
}

int
p_date(struct imap_parser *p, int32_t *day)
{
	bool q = p_try_char(p, '"');
	int y;
	unsigned m, d;
	if (date_text(p, false, &y, &m, &d) < 0)
		return -1;
	if (q && p_char(p, '"') < 0)
		return -1;
	*day = days_from_civil(y, m, d);
	return 0;
}

int
p_date_time(struct imap_parser *p, time_t *t, int *tz_minutes)
{
	int y;
	unsigned m = 0, d = 0, hh = 0, mm = 0, ss = 0, zone = 0;
	if (p_char(p, '"') < 0 || date_text(p, true, &y, &m, &d) < 0 ||
	    p_char(p, ' ') < 0 || fixed_digits(p, 2, &hh) < 0 ||
	    p_char(p, ':') < 0 || fixed_digits(p, 2, &mm) < 0 ||
	    p_char(p, ':') < 0 || fixed_digits(p, 2, &ss) < 0 ||
	    p_char(p, ' ') < 0)
		return p_fail(p, "Invalid date-time");
	int sign = p_peek(p);
	if (sign != '+' && sign != '-')
		return p_fail(p, "Invalid time zone");
	p->pos++;
	if (fixed_digits(p, 4, &zone) < 0 || p_char(p, '"') < 0)
		return p_fail(p, "Invalid date-time");
	if (hh > 23 || mm > 59 || ss > 60 || zone % 100 > 59)
		return p_fail(p, "Invalid date-time");
	int tz = (int)(zone / 100 * 60 + zone % 100) * (sign == '-' ? -1 : 1);
	int64_t secs = (int64_t)days_from_civil(y, m, d) * 86400 +
	    hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss) - (int64_t)tz * 60;
	*t = (time_t)secs;
	*tz_minutes = tz;
	return 0;
}
