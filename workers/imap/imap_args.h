/*
 * imap_args: what the parser makes of a command — typed arguments, never
 * IMAP text. The session executes these; nothing downstream re-parses.
 * All pointers point into the command's arena (imap_arena.h) or into the
 * reader's text, and live until the command is done.
 */
#ifndef CLOISTER_IMAP_ARGS_H
#define CLOISTER_IMAP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap_reader.h"

/* Every command the server knows. UID FETCH etc. are FETCH with uid set. */
#define IMAP_COMMANDS(X)                                                   \
	X(CAPABILITY) X(NOOP) X(LOGOUT) X(STARTTLS) X(AUTHENTICATE)        \
	X(LOGIN) X(ENABLE) X(ID) X(NAMESPACE) X(SELECT) X(EXAMINE)         \
	X(CREATE) X(DELETE) X(RENAME) X(SUBSCRIBE) X(UNSUBSCRIBE) X(LIST)  \
	X(LSUB) X(STATUS) X(APPEND) X(IDLE) X(CHECK) X(CLOSE) X(UNSELECT)  \
	X(EXPUNGE) X(SEARCH) X(FETCH) X(STORE) X(COPY) X(MOVE)             \
	X(GETQUOTA) X(GETQUOTAROOT) X(SETQUOTA) X(SORT) X(THREAD)

enum imap_cmd_id {
#define IMAP_CMD_ENUM(n) IMAP_CMD_##n,
	IMAP_COMMANDS(IMAP_CMD_ENUM)
#undef IMAP_CMD_ENUM
	IMAP_CMD_COUNT
};

/* A string argument. Inline strings are NUL-terminated copies (len does
 * not count the NUL; a literal8 may hold NULs). Spooled literals (APPEND
 * messages) have ext set and s NULL. */
struct imap_str {
	const char *s;
	size_t len;
	const struct imap_ext_literal *ext;
	bool literal;       /* was sent as a literal */
	bool binary;        /* literal8 */
};

/* Sequence sets: ranges with lo <= hi after parsing (a:b and b:a are the
 * same set); IMAP_STAR is "*", resolved against the mailbox at execution.
 * "$" (the saved search result, RFC 9051 / RFC 5182) sets saved. */
#define IMAP_STAR 0u
struct imap_range {
	uint32_t lo, hi;
};
struct imap_seqset {
	struct imap_range *r;
	size_t n;
	bool saved;
};

/* System flags as bits; keywords by name. */
enum imap_sysflag {
	IMAP_F_SEEN = 1u << 0,
	IMAP_F_ANSWERED = 1u << 1,
	IMAP_F_FLAGGED = 1u << 2,
	IMAP_F_DELETED = 1u << 3,
	IMAP_F_DRAFT = 1u << 4,
	IMAP_F_RECENT = 1u << 5,     /* search only; never stored */
};
struct imap_flags {
	uint32_t sys;
	const char **kw;
	size_t nkw;
};

/* ---- SEARCH ---- */
enum imap_skey_type {
	SK_AND,          /* kid: first of a list linked by next */
	SK_OR,           /* kid, kid2 */
	SK_NOT,          /* kid */
	SK_ALL,
	SK_SEQSET,       /* set (message sequence numbers) */
	SK_UID,          /* set (UIDs) */
	SK_FLAG,         /* flag (a system bit) set; negate: UNflag */
	SK_KEYWORD,      /* str; negate: UNKEYWORD */
	SK_NEW,          /* \Recent and not \Seen */
	SK_OLD,          /* not \Recent */
	SK_BEFORE, SK_ON, SK_SINCE,               /* internal date, day */
	SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE,   /* Date: header, day */
	SK_LARGER, SK_SMALLER,                    /* num (RFC822.SIZE) */
	SK_OLDER, SK_YOUNGER,                     /* num seconds (WITHIN) */
	SK_HEADER,       /* str = field name, str2 = value ("" = has field) */
	SK_BODY,         /* str in the body */
	SK_TEXT,         /* str in header or body */
	SK_MODSEQ,       /* num; str = entry name or NULL, str2 = type */
};
struct imap_skey {
	enum imap_skey_type type;
	bool negate;
	struct imap_skey *next;     /* next key ANDed at the same level */
	struct imap_skey *kid, *kid2;
	uint32_t flag;              /* SK_FLAG */
	struct imap_str str, str2;
	int32_t day;                /* days since 1970-01-01 (dates) */
	uint64_t num;
	struct imap_seqset set;
};

enum imap_search_ret {
	SR_MIN = 1u << 0,
	SR_MAX = 1u << 1,
	SR_ALL = 1u << 2,
	SR_COUNT = 1u << 3,
	SR_SAVE = 1u << 4,
};
/* SORT (RFC 5256) and SORT=DISPLAY (RFC 5957) keys; REVERSE or'ed in. */
enum imap_sort_key {
	IMAP_SORT_ARRIVAL = 1, IMAP_SORT_CC, IMAP_SORT_DATE, IMAP_SORT_FROM,
	IMAP_SORT_SIZE, IMAP_SORT_SUBJECT, IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM, IMAP_SORT_DISPLAYTO,
};
#define IMAP_SORT_REVERSE 0x100u
#define IMAP_SORT_MAX 16

/* THREAD (RFC 5256) algorithms */
enum imap_thread_alg {
	IMAP_THREAD_ORDEREDSUBJECT = 1, IMAP_THREAD_REFERENCES,
};

struct imap_search_args {
	uint8_t thread;         /* THREAD: enum imap_thread_alg, else 0 */
	bool esearch;           /* RETURN given: answer with ESEARCH */
	uint32_t ret;           /* enum imap_search_ret; RETURN () = ALL */
	struct imap_skey *key;  /* an SK_AND of the top-level keys */
	size_t nsort;           /* SORT: its criteria, else 0 */
	uint16_t sort[IMAP_SORT_MAX];
};

/* ---- FETCH ---- */
enum imap_fatt_type {
	FA_FLAGS, FA_UID, FA_INTERNALDATE, FA_RFC822_SIZE, FA_ENVELOPE,
	FA_BODY,            /* BODY: structure without extension data */
	FA_BODYSTRUCTURE,
	FA_MODSEQ,
	FA_SECTION,         /* BODY[...] / BODY.PEEK[...] */
	FA_BINARY,          /* BINARY[...] / BINARY.PEEK[...] */
	FA_BINARY_SIZE,
	FA_RFC822,          /* = BODY[] (sets \Seen) */
	FA_RFC822_HEADER,   /* = BODY.PEEK[HEADER] */
	FA_RFC822_TEXT,     /* = BODY[TEXT] (sets \Seen) */
};
enum imap_section_spec {
	SEC_ALL,            /* BODY[] or BODY[1.2] */
	SEC_HEADER,
	SEC_HEADER_FIELDS,
	SEC_HEADER_FIELDS_NOT,
	SEC_TEXT,
	SEC_MIME,
};
#define IMAP_MAX_PART_DEPTH 16
struct imap_section {
	uint32_t part[IMAP_MAX_PART_DEPTH];
	unsigned nparts;
	enum imap_section_spec spec;
	const char **fields;        /* HEADER.FIELDS names (upper-cased) */
	size_t nfields;
};
struct imap_fatt {
	enum imap_fatt_type type;
	bool peek;
	struct imap_section sec;
	bool partial;
	uint64_t p_off, p_len;
	struct imap_fatt *next;
};
struct imap_fetch_args {
	struct imap_seqset set;
	struct imap_fatt *atts;
	bool changedsince_set;
	uint64_t changedsince;
	bool vanished;
};

/* ---- STORE ---- */
enum imap_store_op { STORE_SET, STORE_ADD, STORE_REMOVE };
struct imap_store_args {
	struct imap_seqset set;
	enum imap_store_op op;
	bool silent;
	bool unchangedsince_set;
	uint64_t unchangedsince;
	struct imap_flags flags;
};

/* ---- APPEND ---- */
struct imap_append_msg {
	struct imap_flags flags;
	bool has_date;
	time_t date;
	int tz_minutes;            /* zone of the given date-time */
	struct imap_str data;
};
struct imap_append_args {
	struct imap_str mailbox;
	struct imap_append_msg *msgs;
	size_t nmsgs;
};

/* ---- LIST / LSUB ---- */
enum imap_list_sel {
	LS_SUBSCRIBED = 1u << 0,
	LS_REMOTE = 1u << 1,
	LS_RECURSIVEMATCH = 1u << 2,
	LS_SPECIAL_USE = 1u << 3,
};
enum imap_list_ret {
	LR_SUBSCRIBED = 1u << 0,
	LR_CHILDREN = 1u << 1,
	LR_SPECIAL_USE = 1u << 2,
	LR_STATUS = 1u << 3,
};
enum imap_status_item {
	STA_MESSAGES = 1u << 0,
	STA_UIDNEXT = 1u << 1,
	STA_UIDVALIDITY = 1u << 2,
	STA_UNSEEN = 1u << 3,
	STA_DELETED = 1u << 4,
	STA_SIZE = 1u << 5,
	STA_RECENT = 1u << 6,
	STA_HIGHESTMODSEQ = 1u << 7,
	STA_APPENDLIMIT = 1u << 8,
};
struct imap_list_args {
	bool extended;             /* selection or return options given */
	uint32_t sel;              /* enum imap_list_sel */
	uint32_t ret;              /* enum imap_list_ret */
	uint32_t status_items;     /* with LR_STATUS */
	struct imap_str ref;
	struct imap_str *patterns;
	size_t npatterns;
};

struct imap_status_args {
	struct imap_str mailbox;
	uint32_t items;
};

/* ---- SELECT / EXAMINE ---- */
struct imap_select_args {
	struct imap_str mailbox;
	bool condstore;
	bool qresync;
	uint32_t q_uidvalidity;
	uint64_t q_modseq;
	struct imap_seqset q_known_uids;     /* n == 0: not given */
	struct imap_seqset q_match_seqs, q_match_uids;
};

/* ---- the rest ---- */
struct imap_login_args {
	struct imap_str user, pass;
};
struct imap_auth_args {
	const char *mech;          /* upper-cased */
	bool has_ir;               /* SASL-IR given ("=" is an empty one) */
	struct imap_str ir;        /* base64 text as sent */
};
struct imap_atoms {           /* ENABLE */
	const char **v;
	size_t n;
};
struct imap_id_args {
	const char **kv;           /* 2n entries: field, value (NULL = NIL) */
	size_t n;
};
struct imap_create_args {
	struct imap_str mailbox;
	uint32_t special_use;      /* IMAP_SU_* bits (CREATE-SPECIAL-USE) */
};
struct imap_rename_args {
	struct imap_str from, to;
};
struct imap_copy_args {
	struct imap_seqset set;
	struct imap_str mailbox;
};
struct imap_quota_limit {
	const char *resource;      /* upper-cased */
	uint64_t limit;
};
struct imap_setquota_args {
	struct imap_str root;
	struct imap_quota_limit *limits;
	size_t n;
};

/* Special-use attributes (RFC 6154) as bits. */
enum imap_special_use {
	IMAP_SU_ALL = 1u << 0,
	IMAP_SU_ARCHIVE = 1u << 1,
	IMAP_SU_DRAFTS = 1u << 2,
	IMAP_SU_FLAGGED = 1u << 3,
	IMAP_SU_JUNK = 1u << 4,
	IMAP_SU_SENT = 1u << 5,
	IMAP_SU_TRASH = 1u << 6,
	IMAP_SU_IMPORTANT = 1u << 7,
	IMAP_SU_SNOOZED = 1u << 8,    /* Cyrus's \Snoozed (JMAP role "snoozed") */
};

struct imap_cmd {
	char tag[64];
	enum imap_cmd_id id;
	bool uid;                  /* UID FETCH/STORE/COPY/MOVE/SEARCH/EXPUNGE */
	union {
		struct imap_login_args login;
		struct imap_auth_args auth;
		struct imap_atoms enable;
		struct imap_id_args id;
		struct imap_select_args select;
		struct imap_str mailbox;     /* DELETE SUBSCRIBE UNSUBSCRIBE
		                              * GETQUOTAROOT GETQUOTA(root) */
		struct imap_create_args create;
		struct imap_rename_args rename;
		struct imap_list_args list;  /* LIST, LSUB */
		struct imap_status_args status;
		struct imap_append_args append;
		struct imap_search_args search;
		struct imap_fetch_args fetch;
		struct imap_store_args store;
		struct imap_copy_args copy;  /* COPY, MOVE */
		struct imap_seqset expunge;  /* UID EXPUNGE */
		struct imap_setquota_args setquota;
	} a;
};

#endif
