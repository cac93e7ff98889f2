/* import_maildir_parse: Dovecot's Maildir files (see the header). */
#include "import_maildir_parse.h"
#include "store_proto.h"

#include <string.h>
#include <strings.h>

/* The next line of p[0..n) from *pos (without its newline); false at end. */
static bool
next_line(const char *p, size_t n, size_t *pos, const char **line, size_t *len)
{
	if (*pos >= n)
		return false;
	const char *s = p + *pos;
	const char *e = memchr(s, '\n', n - *pos);
	size_t l = e ? (size_t)(e - s) : n - *pos;
	*line = s;
	*len = l;
	*pos += l + (e ? 1 : 0);
	return true;
}

/* A decimal u32 at *s (advanced); false if none or too large. */
static bool
get_u32(const char **s, const char *end, uint32_t *v)
{
	uint64_t x = 0;
	const char *q = *s;
	while (q < end && *q >= '0' && *q <= '9' && x <= UINT32_MAX)
		x = x * 10 + (uint64_t)(*q++ - '0');
	if (q == *s || x > UINT32_MAX)
		return false;
	*s = q;
	*v = (uint32_t)x;
	return true;
}

/* v3: "3 V<uidvalidity> N<nextuid> G<guid> ..."; v1: "1 <uidv> <next>" */
static int
parse_header(const char *s, size_t n, struct md_uidlist *u)
{
	const char *end = s + n;
	uint32_t version;
	if (!get_u32(&s, end, &version) || (version != 1 && version != 3))
		return -1;
	if (version == 1) {
		if (s >= end || *s++ != ' ' || !get_u32(&s, end, &u->uidvalidity) ||
		    s >= end || *s++ != ' ' || !get_u32(&s, end, &u->nextuid))
			return -1;
		return 0;
	}
	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		if (s >= end)
			break;
		char key = *s++;
		if (key == 'V' && !get_u32(&s, end, &u->uidvalidity))
			return -1;
		if (key == 'N' && !get_u32(&s, end, &u->nextuid))
			return -1;
		while (s < end && *s != ' ')
			s++;
	}
	return u->uidvalidity != 0 ? 0 : -1;
}

/* v3: "<uid> [<ext> ...] :<base>"; v1: "<uid> <base>" */
static void
parse_record(const char *s, size_t n, struct md_uidlist *u)
{
	const char *end = s + n;
	uint32_t uid;
	if (!get_u32(&s, end, &uid) || uid == 0 || s >= end || *s != ' ')
		return;
	const char *colon = memchr(s, ':', (size_t)(end - s));
	const char *base;
	if (colon != NULL && colon[-1] == ' ') {
		base = colon + 1;
	} else {
		base = s + 1;      /* v1: the name follows the space */
		if (memchr(base, ' ', (size_t)(end - base)) != NULL)
			return;
	}
	/* the name only: a stray ':2,' info is not part of it */
	const char *info = memchr(base, ':', (size_t)(end - base));
	size_t bl = (size_t)((info ? info : end) - base);
	if (bl == 0 || memchr(base, '/', bl) != NULL || memchr(base, '\0', bl))
		return;
	u->record(u->arg, uid, base, bl);
}

int
md_uidlist_parse(const char *p, size_t n, struct md_uidlist *u)
{
	size_t pos = 0, len;
	const char *line;
	u->uidvalidity = u->nextuid = 0;
	if (!next_line(p, n, &pos, &line, &len) || parse_header(line, len, u) < 0)
		return -1;
	while (next_line(p, n, &pos, &line, &len))
		parse_record(line, len, u);
	return 0;
}

void
md_keywords_parse(const char *p, size_t n,
    char names[MD_KEYWORDS][MD_KEYWORD_MAX + 1])
{
	size_t pos = 0, len;
	const char *line;
	for (int i = 0; i < MD_KEYWORDS; i++)
		names[i][0] = '\0';
	while (next_line(p, n, &pos, &line, &len)) {
		const char *s = line, *end = line + len;
		uint32_t idx;
		if (!get_u32(&s, end, &idx) || idx >= MD_KEYWORDS || s >= end ||
		    *s++ != ' ')
			continue;
		size_t kl = (size_t)(end - s);
		bool ok = kl > 0 && kl <= MD_KEYWORD_MAX;
		/* an IMAP atom: what a flag name may be */
		for (size_t i = 0; ok && i < kl; i++) {
			unsigned char c = (unsigned char)s[i];
			ok = c > 0x20 && c < 0x7f && !strchr("(){%*\"\\]", c);
		}
		if (ok) {
			memcpy(names[idx], s, kl);
			names[idx][kl] = '\0';
		}
	}
}

void
md_subscriptions_parse(const char *p, size_t n,
    void (*cb)(void *arg, const char *name, size_t len), void *arg)
{
	char name[STORE_MBOX_NAME_MAX + 1];
	size_t pos = 0, len;
	const char *line;
	bool v2 = n >= 3 && memcmp(p, "V\t", 2) == 0;
	if (v2)
		next_line(p, n, &pos, &line, &len);
	while (next_line(p, n, &pos, &line, &len)) {
		if (len == 0 || len > STORE_MBOX_NAME_MAX)
			continue;
		memcpy(name, line, len);
		/* v2 separates levels with tabs; before it, Maildir++ dots */
		for (size_t i = 0; i < len; i++)
			if (name[i] == (v2 ? '\t' : '.'))
				name[i] = '/';
		name[len] = '\0';
		cb(arg, name, len);
	}
}

void
md_info_flags(const char *name, uint32_t *flags, uint32_t *kwmask)
{
	*flags = 0;
	*kwmask = 0;
	const char *info = strstr(name, ":2,");
	if (info == NULL)
		return;
	for (const char *c = info + 3; *c != '\0' && *c != ','; c++) {
		switch (*c) {
		case 'D': *flags |= STORE_FLAG_DRAFT; break;
		case 'F': *flags |= STORE_FLAG_FLAGGED; break;
		case 'R': *flags |= STORE_FLAG_ANSWERED; break;
		case 'S': *flags |= STORE_FLAG_SEEN; break;
		case 'T': *flags |= STORE_FLAG_DELETED; break;
		default:
			if (*c >= 'a' && *c <= 'z')
				*kwmask |= 1u << (*c - 'a');
		}
	}
}

uint32_t
md_special_use(const char *name)
{
	static const struct {
		const char *name;
		uint32_t use;
	} t[] = {
		{ "Sent", STORE_USE_SENT }, { "Sent Messages", STORE_USE_SENT },
		{ "Sent Items", STORE_USE_SENT }, { "Drafts", STORE_USE_DRAFTS },
		{ "Trash", STORE_USE_TRASH }, { "Deleted Messages", STORE_USE_TRASH },
		{ "Junk", STORE_USE_JUNK }, { "Spam", STORE_USE_JUNK },
		{ "Archive", STORE_USE_ARCHIVE }, { "Archives", STORE_USE_ARCHIVE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(name, t[i].name) == 0)
			return t[i].use;
	return 0;
}
