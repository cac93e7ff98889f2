/*
 * sv_table: what Sieve the compiler knows: the extensions, every command
 * and test with its signature (tagged arguments, positional argument
 * types, block), and every tag. Ids are part of the program format
 * (docs/sieve.md): never renumber, only append.
 */
#ifndef CLOISTER_SV_TABLE_H
#define CLOISTER_SV_TABLE_H

#include <stdint.h>

enum sv_ext {
	SV_EXT_CORE = 0,
	SV_EXT_FILEINTO, SV_EXT_REJECT, SV_EXT_EREJECT, SV_EXT_ENVELOPE,
	SV_EXT_ENCODED_CHARACTER, SV_EXT_VACATION, SV_EXT_VACATION_SECONDS,
	SV_EXT_SUBADDRESS, SV_EXT_RELATIONAL, SV_EXT_REGEX, SV_EXT_IMAP4FLAGS,
	SV_EXT_COPY, SV_EXT_INCLUDE, SV_EXT_BODY, SV_EXT_VARIABLES,
	SV_EXT_MAILBOX, SV_EXT_DATE, SV_EXT_INDEX, SV_EXT_IHAVE,
	SV_EXT_DUPLICATE, SV_EXT_MIME, SV_EXT_FOREVERYPART, SV_EXT_REPLACE,
	SV_EXT_ENCLOSE, SV_EXT_EXTRACTTEXT, SV_EXT_ENOTIFY,
	SV_EXT_ENVIRONMENT, SV_EXT_CMP_NUMERIC, SV_EXT_CMP_OCTET,
	SV_EXT_CMP_CASEMAP,
	SV_EXT_COUNT,
};

enum sv_cmd {
	SV_C_REQUIRE = 1, SV_C_IF, SV_C_ELSIF, SV_C_ELSE, SV_C_STOP,
	SV_C_KEEP, SV_C_DISCARD, SV_C_REDIRECT, SV_C_FILEINTO, SV_C_REJECT,
	SV_C_EREJECT, SV_C_VACATION, SV_C_SETFLAG, SV_C_ADDFLAG,
	SV_C_REMOVEFLAG, SV_C_INCLUDE, SV_C_RETURN, SV_C_GLOBAL, SV_C_SET,
	SV_C_FOREVERYPART, SV_C_BREAK, SV_C_REPLACE, SV_C_ENCLOSE,
	SV_C_EXTRACTTEXT, SV_C_NOTIFY, SV_C_ERROR,
	SV_C_MAX,
};

enum sv_test {
	SV_X_ADDRESS = 1, SV_X_ENVELOPE, SV_X_HEADER, SV_X_EXISTS, SV_X_SIZE,
	SV_X_NOT, SV_X_ALLOF, SV_X_ANYOF, SV_X_TRUE, SV_X_FALSE, SV_X_BODY,
	SV_X_STRING, SV_X_HASFLAG, SV_X_MAILBOXEXISTS, SV_X_DATE,
	SV_X_CURRENTDATE, SV_X_IHAVE, SV_X_DUPLICATE,
	SV_X_VALID_NOTIFY_METHOD, SV_X_NOTIFY_METHOD_CAPABILITY,
	SV_X_ENVIRONMENT,
	SV_X_MAX,
};

enum sv_tag {
	SV_TAG_COMPARATOR = 1, SV_TAG_IS, SV_TAG_CONTAINS, SV_TAG_MATCHES,
	SV_TAG_REGEX, SV_TAG_COUNT, SV_TAG_VALUE, SV_TAG_ALL,
	SV_TAG_LOCALPART, SV_TAG_DOMAIN, SV_TAG_USER, SV_TAG_DETAIL,
	SV_TAG_OVER, SV_TAG_UNDER, SV_TAG_COPY, SV_TAG_CREATE, SV_TAG_FLAGS,
	SV_TAG_DAYS, SV_TAG_SECONDS, SV_TAG_SUBJECT, SV_TAG_FROM,
	SV_TAG_ADDRESSES, SV_TAG_MIME, SV_TAG_HANDLE, SV_TAG_RAW,
	SV_TAG_CONTENT, SV_TAG_TEXT, SV_TAG_PERSONAL, SV_TAG_GLOBAL,
	SV_TAG_ONCE, SV_TAG_OPTIONAL, SV_TAG_ZONE, SV_TAG_ORIGINALZONE,
	SV_TAG_INDEX, SV_TAG_LAST, SV_TAG_ANYCHILD, SV_TAG_TYPE,
	SV_TAG_SUBTYPE, SV_TAG_CONTENTTYPE, SV_TAG_PARAM, SV_TAG_LOWER,
	SV_TAG_UPPER, SV_TAG_LOWERFIRST, SV_TAG_UPPERFIRST,
	SV_TAG_QUOTEWILDCARD, SV_TAG_QUOTEREGEX, SV_TAG_ENCODEURL,
	SV_TAG_LENGTH, SV_TAG_IMPORTANCE, SV_TAG_OPTIONS, SV_TAG_MESSAGE,
	SV_TAG_HEADER, SV_TAG_UNIQUEID, SV_TAG_HEADERS, SV_TAG_FIRST,
	SV_TAG_NAME,
	SV_TAG_MAX,
};

/* Families of tags a command or test takes as a whole. */
enum {
	SV_G_COMPARATOR = 1 << 0,
	SV_G_MATCH = 1 << 1,
	SV_G_ADDRPART = 1 << 2,
	SV_G_MIMEOPTS = 1 << 3,
	SV_G_INDEX = 1 << 4,
	SV_G_MODIFIERS = 1 << 5,  /* set's and extracttext's */
};

struct sv_tagdef {
	const char *name;
	char arg;        /* 0, 'S' string, 'L' string list, 'N' number */
	uint8_t group;   /* tags of one nonzero group exclude each other */
	uint8_t family;  /* SV_G_* it belongs to, 0 for command-specific */
	uint8_t ext;     /* what a family tag needs */
};

struct sv_tagspec {
	uint8_t tag;
	uint8_t ext;     /* SV_EXT_CORE: what the command itself needs */
};

struct sv_sig {
	const char *name;
	uint8_t ext;
	const char *pos;    /* S string, L string list, N number, T test,
	                     * X test list */
	uint8_t posmin;     /* with fewer, the leading ones are left out */
	uint8_t block;      /* 1: takes a block */
	uint8_t families;   /* SV_G_* */
	struct sv_tagspec tags[8];
};

extern const char *const sv_ext_names[SV_EXT_COUNT];
extern const struct sv_sig sv_cmds[SV_C_MAX];
extern const struct sv_sig sv_tests[SV_X_MAX];
extern const struct sv_tagdef sv_tags[SV_TAG_MAX];

/* Ids by name; 0 (or -1 for extensions) when unknown. */
int sv_ext_lookup(const char *name);
unsigned sv_cmd_lookup(const char *name);
unsigned sv_test_lookup(const char *name);
unsigned sv_tag_lookup(const char *name);

#endif
