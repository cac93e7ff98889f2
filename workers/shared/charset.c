/* charset: text to UTF-8 with preloaded iconv converters (see charset.h). */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

const char *const charset_default_list[] = {
	"ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6",
	"ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "ISO-8859-10",
	"ISO-8859-13", "ISO-8859-14", "ISO-8859-15", "ISO-8859-16",
	"WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253",
	"WINDOWS-1254", "WINDOWS-1255", "WINDOWS-1256", "WINDOWS-1257",
	"WINDOWS-1258", "KOI8-R", "KOI8-U", "CP866", "ISO-2022-JP",
	"SHIFT_JIS", "EUC-JP", "EUC-KR", "ISO-2022-KR", "GB2312", "GBK",
	"GB18030", "BIG5", "BIG5-HKSCS", "TIS-620", "UTF-16", "UTF-16BE",
	"UTF-16LE", "UTF-7", "MACINTOSH",
	NULL
};

enum builtin { CS_ICONV, CS_ASCII, CS_UTF8, CS_LATIN1 };

/* names handled without iconv (compared after normalising) */
static const struct {
	const char *name;
	enum builtin kind;
} builtins[] = {
	{ "usascii", CS_ASCII }, { "ascii", CS_ASCII },
	{ "ansix3.41968", CS_ASCII }, { "us", CS_ASCII },
	{ "utf8", CS_UTF8 }, { "unicode11utf8", CS_UTF8 },
	{ "iso88591", CS_LATIN1 }, { "latin1", CS_LATIN1 },
	{ "l1", CS_LATIN1 }, { "cp819", CS_LATIN1 }, { "ibm819", CS_LATIN1 },
};

#define CS_NAME_MAX 40
#define CS_CACHE_MAX 64

struct conv {
	char key[CS_NAME_MAX + 1];   /* normalised name */
	iconv_t cd;                  /* (iconv_t)-1: known not to open */
};

static struct conv cache[CS_CACHE_MAX];
static size_t ncache;
static bool sealed;

/* lower-case, drop '-', '_' and ' ' so "ISO_8859-1" == "iso-8859-1";
 * refuse names that could not be a charset */
static bool
normalise(const char *cs, size_t n, char *key, char *orig)
{
	size_t k = 0, o = 0;
	while (n > 0 && (cs[n - 1] == ' ' || cs[n - 1] == '\t'))
		n--;
	while (n > 0 && (*cs == ' ' || *cs == '\t')) {
		cs++;
		n--;
	}
	if (n == 0 || n > CS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = cs[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == ':';
		if (!ok)
			return false;
		orig[o++] = c;
		if (c == '-' || c == '_')
			continue;
		key[k++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	key[k] = orig[o] = '\0';
	return k > 0;
}

static enum builtin
builtin_kind(const char *key)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, key) == 0)
			return builtins[i].kind;
	return CS_ICONV;
}

static struct conv *
lookup(const char *key, const char *orig)
{
	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, key) == 0)
			return &cache[i];
	if (sealed || ncache == CS_CACHE_MAX)
		return NULL;
	struct conv *c = &cache[ncache++];
	memcpy(c->key, key, strlen(key) + 1);
	c->cd = iconv_open("UTF-8", orig);
	return c;
}

int
charset_preload(const char *const *names)
{
	int n = 0;
	char key[CS_NAME_MAX + 1], orig[CS_NAME_MAX + 1];
	if (names == NULL)
		names = charset_default_list;
	for (; *names != NULL; names++) {
		if (!normalise(*names, strlen(*names), key, orig))
			continue;
		if (builtin_kind(key) != CS_ICONV) {
			n++;
			continue;
		}
		struct conv *c = lookup(key, orig);
		if (c != NULL && c->cd != (iconv_t)-1)
			n++;
	}
	return n;
}

void
charset_seal(void)
{
	sealed = true;
}

size_t
charset_utf8_len(const uint8_t *p, size_t left)
{
	uint8_t c = p[0];
	size_t n;
	uint32_t min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	uint32_t cp = c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int
latin1_byte(struct buf *out, uint8_t c)
{
	uint8_t u[2] = { (uint8_t)(0xc0 | (c >> 6)), (uint8_t)(0x80 | (c & 0x3f)) };
	return c < 0x80 ? buf_append_byte(out, c) : buf_append(out, u, 2);
}

static int
latin1(struct buf *out, const uint8_t *s, size_t n)
{
	if (buf_reserve(out, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (latin1_byte(out, s[i]) < 0)
			return -1;
	return 0;
}

int
charset_utf8_sanitize(struct buf *out, const uint8_t *s, size_t n)
{
	size_t run = 0, i = 0;
	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t l = charset_utf8_len(s + i, n - i);
		if (l > 0) {
			i += l;
			continue;
		}
		if (buf_append(out, s + run, i - run) < 0 ||
		    latin1_byte(out, s[i]) < 0)
			return -1;
		run = ++i;
	}
	return buf_append(out, s + run, n - run);
}

static int
via_iconv(struct buf *out, iconv_t cd, const uint8_t *s, size_t n)
{
	char *in = (char *)(uintptr_t)s;
	size_t inleft = n;
	iconv(cd, NULL, NULL, NULL, NULL);   /* initial shift state */
	while (inleft > 0) {
		/* room for the whole rest at up to 4 bytes per input byte,
		 * bounded by what the buf may still take */
		size_t want = inleft * 4 + 16;
		if (want > out->max - out->len)
			want = out->max - out->len;
		if (want == 0 || buf_reserve(out, want) < 0)
			return -1;
		char *o = (char *)out->data + out->len;
		size_t oleft = want;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len += want - oleft;
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			if (want - oleft == 0)
				return -1;
			continue;
		}
		/* EILSEQ / EINVAL: take one byte as Latin-1 and go on */
		if (latin1_byte(out, (uint8_t)*in) < 0)
			return -1;
		in++;
		inleft--;
	}
	/* flush a stateful encoding's shift back */
	char tail[16];
	char *o = tail;
	size_t oleft = sizeof(tail);
	if (iconv(cd, NULL, NULL, &o, &oleft) != (size_t)-1)
		return buf_append(out, tail, sizeof(tail) - oleft);
	return 0;
}

static int
to_utf8(struct buf *out, const char *cs, size_t cslen, const uint8_t *s,
    size_t n, bool *known)
{
	char key[CS_NAME_MAX + 1], orig[CS_NAME_MAX + 1];
	*known = false;
	if (cs == NULL || !normalise(cs, cslen, key, orig))
		return charset_utf8_sanitize(out, s, n);
	switch (builtin_kind(key)) {
	case CS_ASCII:   /* mislabelled 8-bit text is common: be kind */
	case CS_UTF8:
		*known = true;
		return charset_utf8_sanitize(out, s, n);
	case CS_LATIN1:
		*known = true;
		return latin1(out, s, n);
	case CS_ICONV:
		break;
	}
	struct conv *c = lookup(key, orig);
	if (c == NULL || c->cd == (iconv_t)-1)
		return charset_utf8_sanitize(out, s, n);
	*known = true;
	size_t mark = out->len;
	if (via_iconv(out, c->cd, s, n) < 0) {
		out->len = mark;
		out->failed = true;
		return -1;
	}
	return 0;
}

int
charset_to_utf8(struct buf *out, const char *cs, size_t cslen,
    const uint8_t *s, size_t n)
{
	bool known;
	return to_utf8(out, cs, cslen, s, n, &known);
}

bool
charset_known(const char *cs, size_t cslen)
{
	bool known;
	struct buf b = BUF_INIT(16);
	(void)to_utf8(&b, cs, cslen, (const uint8_t *)"", 0, &known);
	buf_free(&b);
	return known;
}
