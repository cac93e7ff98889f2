/* charset: text to UTF-8 with preloaded iconv converters (see charset.h). */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "charset_tables.h"

/* Multi-byte charsets need iconv: these are opened by default. */
const char *const charset_default_list[] = {
	"SHIFT_JIS", "CP932", "EUC-JP", "ISO-2022-JP", "EUC-KR", "CP949",
	"ISO-2022-KR", "GB18030", "BIG5-HKSCS", "UTF-16", "UTF-16BE",
	"UTF-16LE", "UTF-7",
	NULL
};

/* Names mail uses for them (normalised) -> the converter that reads them;
 * supersets stand in for their subsets (GB2312 and GBK are read as
 * GB18030, Big5 as Big5-HKSCS), so one module serves every alias. */
static const struct {
	const char *key;
	const char *iconv;
} mb_aliases[] = {
	{ "shiftjis", "SHIFT_JIS" }, { "sjis", "SHIFT_JIS" },
	{ "xsjis", "SHIFT_JIS" }, { "mskanji", "SHIFT_JIS" },
	{ "csshiftjis", "SHIFT_JIS" },
	{ "cp932", "CP932" }, { "windows31j", "CP932" },
	{ "xmscp932", "CP932" },
	{ "eucjp", "EUC-JP" }, { "xeucjp", "EUC-JP" },
	{ "iso2022jp", "ISO-2022-JP" }, { "csiso2022jp", "ISO-2022-JP" },
	{ "euckr", "EUC-KR" }, { "cseuckr", "EUC-KR" },
	{ "cp949", "CP949" }, { "uhc", "CP949" }, { "windows949", "CP949" },
	{ "ksc56011987", "CP949" }, { "ksc5601", "CP949" },
	{ "iso2022kr", "ISO-2022-KR" }, { "csiso2022kr", "ISO-2022-KR" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "cp936", "GB18030" },
	{ "xgbk", "GB18030" }, { "gb18030", "GB18030" },
	{ "euccn", "GB18030" }, { "csgb2312", "GB18030" },
	{ "windows936", "GB18030" },
	{ "big5", "BIG5-HKSCS" }, { "csbig5", "BIG5-HKSCS" },
	{ "xxbig5", "BIG5-HKSCS" }, { "cnbig5", "BIG5-HKSCS" },
	{ "big5hkscs", "BIG5-HKSCS" },
	{ "utf16", "UTF-16" }, { "utf16be", "UTF-16BE" },
	{ "utf16le", "UTF-16LE" }, { "utf7", "UTF-7" },
	{ "unicode11utf7", "UTF-7" },
};

enum builtin { CS_ICONV, CS_ASCII, CS_UTF8, CS_LATIN1, CS_TABLE };

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

/* The built-in reading of a normalised name; *table for CS_TABLE. */
static enum builtin
builtin_kind(const char *key, int *table)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, key) == 0)
			return builtins[i].kind;
	for (size_t i = 0; i < sizeof(charset_table_names) /
	    sizeof(charset_table_names[0]); i++)
		if (strcmp(charset_table_names[i].key, key) == 0) {
			*table = charset_table_names[i].table;
			return CS_TABLE;
		}
	return CS_ICONV;
}

/* The converter a multi-byte name is read with: its canonical iconv name
 * becomes the cache key, so every alias finds the one converter. */
static void
canonical(char *key, char *orig)
{
	for (size_t i = 0; i < sizeof(mb_aliases) / sizeof(mb_aliases[0]);
	    i++)
		if (strcmp(mb_aliases[i].key, key) == 0) {
			size_t n = strlen(mb_aliases[i].iconv);
			memcpy(orig, mb_aliases[i].iconv, n + 1);
			memcpy(key, mb_aliases[i].iconv, n + 1);
			return;
		}
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
	int n = 0, table;
	char key[CS_NAME_MAX + 1], orig[CS_NAME_MAX + 1];
	if (names == NULL)
		names = charset_default_list;
	for (; *names != NULL; names++) {
		if (!normalise(*names, strlen(*names), key, orig))
			continue;
		if (builtin_kind(key, &table) != CS_ICONV) {
			n++;
			continue;
		}
		canonical(key, orig);
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
from_table(struct buf *out, const uint16_t *t, const uint8_t *s, size_t n)
{
	if (buf_reserve(out, n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = s[i] < 0x80 ? s[i] : t[s[i] - 0x80];
		uint8_t u[3];
		int r;
		if (cp == 0 && s[i] != 0) {
			r = latin1_byte(out, s[i]);   /* undefined there */
		} else if (cp < 0x80) {
			r = buf_append_byte(out, (uint8_t)cp);
		} else if (cp < 0x800) {
			u[0] = (uint8_t)(0xc0 | cp >> 6);
			u[1] = (uint8_t)(0x80 | (cp & 0x3f));
			r = buf_append(out, u, 2);
		} else {
			u[0] = (uint8_t)(0xe0 | cp >> 12);
			u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			u[2] = (uint8_t)(0x80 | (cp & 0x3f));
			r = buf_append(out, u, 3);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

static int
to_utf8(struct buf *out, const char *cs, size_t cslen, const uint8_t *s,
    size_t n, bool *known)
{
	char key[CS_NAME_MAX + 1], orig[CS_NAME_MAX + 1];
	int table = 0;
	*known = false;
	if (cs == NULL || !normalise(cs, cslen, key, orig))
		return charset_utf8_sanitize(out, s, n);
	switch (builtin_kind(key, &table)) {
	case CS_ASCII:   /* mislabelled 8-bit text is common: be kind */
	case CS_UTF8:
		*known = true;
		return charset_utf8_sanitize(out, s, n);
	case CS_LATIN1:
		*known = true;
		return latin1(out, s, n);
	case CS_TABLE:
		*known = true;
		return from_table(out, charset_tables[table], s, n);
	case CS_ICONV:
		break;
	}
	canonical(key, orig);
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
