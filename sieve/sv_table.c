/* sv_table: the extensions, commands, tests and tags the compiler knows. */
#include "sv_table.h"

#include <string.h>
#include <strings.h>

enum { G_MATCH = 1, G_ADDRPART, G_SIZE, G_PERIOD, G_BODYT, G_LOC, G_ZONE,
	G_CASE, G_FIRST, G_MIMEPART, G_DUPID };

const char *const sv_ext_names[SV_EXT_COUNT] = {
	[SV_EXT_CORE] = "",
	[SV_EXT_FILEINTO] = "fileinto",
	[SV_EXT_REJECT] = "reject",
	[SV_EXT_EREJECT] = "ereject",
	[SV_EXT_ENVELOPE] = "envelope",
	[SV_EXT_ENCODED_CHARACTER] = "encoded-character",
	[SV_EXT_VACATION] = "vacation",
	[SV_EXT_VACATION_SECONDS] = "vacation-seconds",
	[SV_EXT_SUBADDRESS] = "subaddress",
	[SV_EXT_RELATIONAL] = "relational",
	[SV_EXT_REGEX] = "regex",
	[SV_EXT_IMAP4FLAGS] = "imap4flags",
	[SV_EXT_COPY] = "copy",
	[SV_EXT_INCLUDE] = "include",
	[SV_EXT_BODY] = "body",
	[SV_EXT_VARIABLES] = "variables",
	[SV_EXT_MAILBOX] = "mailbox",
	[SV_EXT_DATE] = "date",
	[SV_EXT_INDEX] = "index",
	[SV_EXT_IHAVE] = "ihave",
	[SV_EXT_DUPLICATE] = "duplicate",
	[SV_EXT_MIME] = "mime",
	[SV_EXT_FOREVERYPART] = "foreverypart",
	[SV_EXT_REPLACE] = "replace",
	[SV_EXT_ENCLOSE] = "enclose",
	[SV_EXT_EXTRACTTEXT] = "extracttext",
	[SV_EXT_ENOTIFY] = "enotify",
	[SV_EXT_ENVIRONMENT] = "environment",
	[SV_EXT_CMP_NUMERIC] = "comparator-i;ascii-numeric",
	[SV_EXT_CMP_OCTET] = "comparator-i;octet",
	[SV_EXT_CMP_CASEMAP] = "comparator-i;ascii-casemap",
};

#define CMS (SV_G_COMPARATOR | SV_G_MATCH)

const struct sv_tagdef sv_tags[SV_TAG_MAX] = {
	[SV_TAG_COMPARATOR] = { "comparator", 'S', 0, SV_G_COMPARATOR, 0 },
	[SV_TAG_IS] = { "is", 0, G_MATCH, SV_G_MATCH, 0 },
	[SV_TAG_CONTAINS] = { "contains", 0, G_MATCH, SV_G_MATCH, 0 },
	[SV_TAG_MATCHES] = { "matches", 0, G_MATCH, SV_G_MATCH, 0 },
	[SV_TAG_REGEX] = { "regex", 0, G_MATCH, SV_G_MATCH, SV_EXT_REGEX },
	[SV_TAG_COUNT] = { "count", 'S', G_MATCH, SV_G_MATCH,
		SV_EXT_RELATIONAL },
	[SV_TAG_VALUE] = { "value", 'S', G_MATCH, SV_G_MATCH,
		SV_EXT_RELATIONAL },
	[SV_TAG_ALL] = { "all", 0, G_ADDRPART, SV_G_ADDRPART, 0 },
	[SV_TAG_LOCALPART] = { "localpart", 0, G_ADDRPART, SV_G_ADDRPART, 0 },
	[SV_TAG_DOMAIN] = { "domain", 0, G_ADDRPART, SV_G_ADDRPART, 0 },
	[SV_TAG_USER] = { "user", 0, G_ADDRPART, SV_G_ADDRPART,
		SV_EXT_SUBADDRESS },
	[SV_TAG_DETAIL] = { "detail", 0, G_ADDRPART, SV_G_ADDRPART,
		SV_EXT_SUBADDRESS },
	[SV_TAG_OVER] = { "over", 'N', G_SIZE, 0, 0 },
	[SV_TAG_UNDER] = { "under", 'N', G_SIZE, 0, 0 },
	[SV_TAG_COPY] = { "copy", 0, 0, 0, 0 },
	[SV_TAG_CREATE] = { "create", 0, 0, 0, 0 },
	[SV_TAG_FLAGS] = { "flags", 'L', 0, 0, 0 },
	[SV_TAG_DAYS] = { "days", 'N', G_PERIOD, 0, 0 },
	[SV_TAG_SECONDS] = { "seconds", 'N', G_PERIOD, 0, 0 },
	[SV_TAG_SUBJECT] = { "subject", 'S', 0, 0, 0 },
	[SV_TAG_FROM] = { "from", 'S', 0, 0, 0 },
	[SV_TAG_ADDRESSES] = { "addresses", 'L', 0, 0, 0 },
	[SV_TAG_MIME] = { "mime", 0, 0, SV_G_MIMEOPTS, SV_EXT_MIME },
	[SV_TAG_HANDLE] = { "handle", 'S', 0, 0, 0 },
	[SV_TAG_RAW] = { "raw", 0, G_BODYT, 0, 0 },
	[SV_TAG_CONTENT] = { "content", 'L', G_BODYT, 0, 0 },
	[SV_TAG_TEXT] = { "text", 0, G_BODYT, 0, 0 },
	[SV_TAG_PERSONAL] = { "personal", 0, G_LOC, 0, 0 },
	[SV_TAG_GLOBAL] = { "global", 0, G_LOC, 0, 0 },
	[SV_TAG_ONCE] = { "once", 0, 0, 0, 0 },
	[SV_TAG_OPTIONAL] = { "optional", 0, 0, 0, 0 },
	[SV_TAG_ZONE] = { "zone", 'S', G_ZONE, 0, 0 },
	[SV_TAG_ORIGINALZONE] = { "originalzone", 0, G_ZONE, 0, 0 },
	[SV_TAG_INDEX] = { "index", 'N', 0, SV_G_INDEX, SV_EXT_INDEX },
	[SV_TAG_LAST] = { "last", 0, 0, SV_G_INDEX, SV_EXT_INDEX },
	[SV_TAG_ANYCHILD] = { "anychild", 0, 0, SV_G_MIMEOPTS, SV_EXT_MIME },
	[SV_TAG_TYPE] = { "type", 0, G_MIMEPART, SV_G_MIMEOPTS, SV_EXT_MIME },
	[SV_TAG_SUBTYPE] = { "subtype", 0, G_MIMEPART, SV_G_MIMEOPTS,
		SV_EXT_MIME },
	[SV_TAG_CONTENTTYPE] = { "contenttype", 0, G_MIMEPART, SV_G_MIMEOPTS,
		SV_EXT_MIME },
	[SV_TAG_PARAM] = { "param", 'L', G_MIMEPART, SV_G_MIMEOPTS,
		SV_EXT_MIME },
	[SV_TAG_LOWER] = { "lower", 0, G_CASE, SV_G_MODIFIERS, 0 },
	[SV_TAG_UPPER] = { "upper", 0, G_CASE, SV_G_MODIFIERS, 0 },
	[SV_TAG_LOWERFIRST] = { "lowerfirst", 0, G_FIRST, SV_G_MODIFIERS, 0 },
	[SV_TAG_UPPERFIRST] = { "upperfirst", 0, G_FIRST, SV_G_MODIFIERS, 0 },
	[SV_TAG_QUOTEWILDCARD] = { "quotewildcard", 0, 0, SV_G_MODIFIERS, 0 },
	[SV_TAG_QUOTEREGEX] = { "quoteregex", 0, 0, SV_G_MODIFIERS,
		SV_EXT_REGEX },
	[SV_TAG_ENCODEURL] = { "encodeurl", 0, 0, SV_G_MODIFIERS,
		SV_EXT_ENOTIFY },
	[SV_TAG_LENGTH] = { "length", 0, 0, SV_G_MODIFIERS, 0 },
	[SV_TAG_IMPORTANCE] = { "importance", 'S', 0, 0, 0 },
	[SV_TAG_OPTIONS] = { "options", 'L', 0, 0, 0 },
	[SV_TAG_MESSAGE] = { "message", 'S', 0, 0, 0 },
	[SV_TAG_HEADER] = { "header", 'S', G_DUPID, 0, 0 },
	[SV_TAG_UNIQUEID] = { "uniqueid", 'S', G_DUPID, 0, 0 },
	[SV_TAG_HEADERS] = { "headers", 'L', 0, 0, 0 },
	[SV_TAG_FIRST] = { "first", 'N', 0, 0, 0 },
	[SV_TAG_NAME] = { "name", 'S', 0, 0, 0 },
};

#define T(tag, ext) { SV_TAG_##tag, SV_EXT_##ext }

const struct sv_sig sv_cmds[SV_C_MAX] = {
	[SV_C_REQUIRE] = { "require", 0, "L", 1, 0, 0, { { 0, 0 } } },
	[SV_C_IF] = { "if", 0, "T", 1, 1, 0, { { 0, 0 } } },
	[SV_C_ELSIF] = { "elsif", 0, "T", 1, 1, 0, { { 0, 0 } } },
	[SV_C_ELSE] = { "else", 0, "", 0, 1, 0, { { 0, 0 } } },
	[SV_C_STOP] = { "stop", 0, "", 0, 0, 0, { { 0, 0 } } },
	[SV_C_KEEP] = { "keep", 0, "", 0, 0, 0, { T(FLAGS, IMAP4FLAGS) } },
	[SV_C_DISCARD] = { "discard", 0, "", 0, 0, 0, { { 0, 0 } } },
	[SV_C_REDIRECT] = { "redirect", 0, "S", 1, 0, 0, { T(COPY, COPY) } },
	[SV_C_FILEINTO] = { "fileinto", SV_EXT_FILEINTO, "S", 1, 0, 0,
		{ T(COPY, COPY), T(CREATE, MAILBOX), T(FLAGS, IMAP4FLAGS) } },
	[SV_C_REJECT] = { "reject", SV_EXT_REJECT, "S", 1, 0, 0, { { 0, 0 } } },
	[SV_C_EREJECT] = { "ereject", SV_EXT_EREJECT, "S", 1, 0, 0,
		{ { 0, 0 } } },
	[SV_C_VACATION] = { "vacation", SV_EXT_VACATION, "S", 1, 0, 0,
		{ T(DAYS, CORE), T(SECONDS, VACATION_SECONDS), T(SUBJECT, CORE),
		  T(FROM, CORE), T(ADDRESSES, CORE), T(MIME, CORE),
		  T(HANDLE, CORE) } },
	[SV_C_SETFLAG] = { "setflag", SV_EXT_IMAP4FLAGS, "SL", 1, 0, 0,
		{ { 0, 0 } } },
	[SV_C_ADDFLAG] = { "addflag", SV_EXT_IMAP4FLAGS, "SL", 1, 0, 0,
		{ { 0, 0 } } },
	[SV_C_REMOVEFLAG] = { "removeflag", SV_EXT_IMAP4FLAGS, "SL", 1, 0, 0,
		{ { 0, 0 } } },
	[SV_C_INCLUDE] = { "include", SV_EXT_INCLUDE, "S", 1, 0, 0,
		{ T(PERSONAL, CORE), T(GLOBAL, CORE), T(ONCE, CORE),
		  T(OPTIONAL, CORE) } },
	[SV_C_RETURN] = { "return", SV_EXT_INCLUDE, "", 0, 0, 0, { { 0, 0 } } },
	[SV_C_GLOBAL] = { "global", SV_EXT_INCLUDE, "L", 1, 0, 0,
		{ { 0, 0 } } },
	[SV_C_SET] = { "set", SV_EXT_VARIABLES, "SS", 2, 0, SV_G_MODIFIERS,
		{ { 0, 0 } } },
	[SV_C_FOREVERYPART] = { "foreverypart", SV_EXT_FOREVERYPART, "", 0, 1,
		0, { T(NAME, CORE) } },
	[SV_C_BREAK] = { "break", SV_EXT_FOREVERYPART, "", 0, 0, 0,
		{ T(NAME, CORE) } },
	[SV_C_REPLACE] = { "replace", SV_EXT_REPLACE, "S", 1, 0, 0,
		{ T(MIME, CORE), T(SUBJECT, CORE), T(FROM, CORE) } },
	[SV_C_ENCLOSE] = { "enclose", SV_EXT_ENCLOSE, "S", 1, 0, 0,
		{ T(SUBJECT, CORE), T(HEADERS, CORE) } },
	[SV_C_EXTRACTTEXT] = { "extracttext", SV_EXT_EXTRACTTEXT, "S", 1, 0,
		SV_G_MODIFIERS, { T(FIRST, CORE) } },
	[SV_C_NOTIFY] = { "notify", SV_EXT_ENOTIFY, "S", 1, 0, 0,
		{ T(FROM, CORE), T(IMPORTANCE, CORE), T(OPTIONS, CORE),
		  T(MESSAGE, CORE) } },
	[SV_C_ERROR] = { "error", SV_EXT_IHAVE, "S", 1, 0, 0, { { 0, 0 } } },
};

const struct sv_sig sv_tests[SV_X_MAX] = {
	[SV_X_ADDRESS] = { "address", 0, "LL", 2, 0, CMS | SV_G_ADDRPART |
		SV_G_MIMEOPTS | SV_G_INDEX, { { 0, 0 } } },
	[SV_X_ENVELOPE] = { "envelope", SV_EXT_ENVELOPE, "LL", 2, 0,
		CMS | SV_G_ADDRPART, { { 0, 0 } } },
	[SV_X_HEADER] = { "header", 0, "LL", 2, 0, CMS | SV_G_MIMEOPTS |
		SV_G_INDEX, { { 0, 0 } } },
	[SV_X_EXISTS] = { "exists", 0, "L", 1, 0, SV_G_MIMEOPTS,
		{ { 0, 0 } } },
	[SV_X_SIZE] = { "size", 0, "", 0, 0, 0,
		{ T(OVER, CORE), T(UNDER, CORE) } },
	[SV_X_NOT] = { "not", 0, "T", 1, 0, 0, { { 0, 0 } } },
	[SV_X_ALLOF] = { "allof", 0, "X", 1, 0, 0, { { 0, 0 } } },
	[SV_X_ANYOF] = { "anyof", 0, "X", 1, 0, 0, { { 0, 0 } } },
	[SV_X_TRUE] = { "true", 0, "", 0, 0, 0, { { 0, 0 } } },
	[SV_X_FALSE] = { "false", 0, "", 0, 0, 0, { { 0, 0 } } },
	[SV_X_BODY] = { "body", SV_EXT_BODY, "L", 1, 0, CMS,
		{ T(RAW, CORE), T(CONTENT, CORE), T(TEXT, CORE) } },
	[SV_X_STRING] = { "string", SV_EXT_VARIABLES, "LL", 2, 0, CMS,
		{ { 0, 0 } } },
	[SV_X_HASFLAG] = { "hasflag", SV_EXT_IMAP4FLAGS, "LL", 1, 0, CMS,
		{ { 0, 0 } } },
	[SV_X_MAILBOXEXISTS] = { "mailboxexists", SV_EXT_MAILBOX, "L", 1, 0,
		0, { { 0, 0 } } },
	[SV_X_DATE] = { "date", SV_EXT_DATE, "SSL", 3, 0, CMS | SV_G_INDEX,
		{ T(ZONE, CORE), T(ORIGINALZONE, CORE) } },
	[SV_X_CURRENTDATE] = { "currentdate", SV_EXT_DATE, "SL", 2, 0, CMS,
		{ T(ZONE, CORE) } },
	[SV_X_IHAVE] = { "ihave", SV_EXT_IHAVE, "L", 1, 0, 0, { { 0, 0 } } },
	[SV_X_DUPLICATE] = { "duplicate", SV_EXT_DUPLICATE, "", 0, 0, 0,
		{ T(HANDLE, CORE), T(HEADER, CORE), T(UNIQUEID, CORE),
		  T(SECONDS, CORE), T(LAST, CORE) } },
	[SV_X_VALID_NOTIFY_METHOD] = { "valid_notify_method", SV_EXT_ENOTIFY,
		"L", 1, 0, 0, { { 0, 0 } } },
	[SV_X_NOTIFY_METHOD_CAPABILITY] = { "notify_method_capability",
		SV_EXT_ENOTIFY, "SSL", 3, 0, CMS, { { 0, 0 } } },
	[SV_X_ENVIRONMENT] = { "environment", SV_EXT_ENVIRONMENT, "SL", 2, 0,
		CMS, { { 0, 0 } } },
};

int
sv_ext_lookup(const char *name)
{
	for (int i = 1; i < SV_EXT_COUNT; i++)
		if (strcmp(sv_ext_names[i], name) == 0)
			return i;
	return -1;
}

static unsigned
sig_lookup(const struct sv_sig *sigs, unsigned n, const char *name)
{
	for (unsigned i = 1; i < n; i++)
		if (sigs[i].name != NULL && strcasecmp(sigs[i].name, name) == 0)
			return i;
	return 0;
}

unsigned
sv_cmd_lookup(const char *name)
{
	return sig_lookup(sv_cmds, SV_C_MAX, name);
}

unsigned
sv_test_lookup(const char *name)
{
	return sig_lookup(sv_tests, SV_X_MAX, name);
}

unsigned
sv_tag_lookup(const char *name)
{
	for (unsigned i = 1; i < SV_TAG_MAX; i++)
		if (strcasecmp(sv_tags[i].name, name) == 0)
			return i;
	return 0;
}
