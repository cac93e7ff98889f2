/*
 * store_proto: what both ends of the store protocol agree on, defined once
 * (docs/store-protocol.md): limits, flag and attribute bits, the fetch
 * `what` bits and the layout of a message entry, the search program's
 * opcodes, which shard serves a user, and the UID set with its codec.
 * The client library (store_client.h) and stored build on it; so does
 * workers/shared, which needs the metadata types and nothing of a
 * connection. The message types themselves are in common/ipc_types_store.h,
 * part of the one IPC type list (common/ipc_types.h).
 */
#ifndef CLOISTER_STORE_PROTO_H
#define CLOISTER_STORE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ipc_types.h"

/* ---- limits -------------------------------------------------------------- */

#define STORE_HIER_SEP '/'
#define STORE_MBOX_NAME_MAX 1024   /* bytes of a full mailbox name */
#define STORE_USER_MAX 255         /* = TICKET_USER_MAX */
#define STORE_KEYWORD_MAX 64       /* bytes of one keyword */
#define STORE_OBJ_KEY_MAX 32       /* bytes of a per-user object's key */
#define STORE_OBJ_MAX (64u * 1024) /* bytes of its value */
#define STORE_OBJ_KEYS 16          /* objects per user */
/* STORE_NOTIFY's mailbox id when a per-user object changed (mailbox ids
 * start at 1): only watchers of all mailboxes get it. */
#define STORE_NOTIFY_OBJECTS 0
/* STORE_API_SLOT: in-flight JMAP requests per user, whatever the worker
 * asks. */
#define STORE_API_SLOTS_MAX 64
#define STORE_MAX_KEYWORDS 64      /* distinct keywords per user (bit mask) */
#define STORE_BLOBID_LEN 32        /* sha256 of the message bytes */
#define STORE_UID_MAX 0xffffffffu  /* "to the end" in a range (IMAP '*') */
#define STORE_MAX_RANGES 8192      /* ranges of a UID set in a request */
#define STORE_LOCATE_MAX 1024      /* email ids of a STORE_EMAIL_LOCATE_MANY */
#define STORE_BODIES_MAX 32        /* UIDs of a STORE_BODIES (<= IPC_MAX_FDS) */
#define STORE_SNOOZE_FLAGS_MAX 4096 /* bytes of a snooze's flag list */
#define STORE_SNOOZE_UNTIL_MAX 253402300799ull /* 9999-12-31T23:59:59Z */
#define STORE_ENTRY_MAX (16u * 1024 * 1024)  /* one streamed entry */
#define STORE_MSG_MAX (256ull * 1024 * 1024) /* one message */
/* The message metadata block: the format's bound, and each field's. */
#define STORE_META_MAX (64u * 1024 * 1024)
#define STORE_META_FIELD_MAX (1024 * 1024)
#define STORE_META_PREVIEW_MAX 4096
#define STORE_META_HEADERS_MAX (8 * 1024 * 1024)
#define STORE_META_TEXT_MAX (32 * 1024 * 1024)

/* Sieve scripts (STORE_SIEVE_*): a program the caller compiled is kept
 * opaque, at most this many bytes (= SIEVE_MAX_PROGRAM, sieve/sieve.h);
 * a source at most sieve-max-script-size, which is at most
 * STORE_SIEVE_SOURCE_MAX. */
#define STORE_SIEVE_NAME_MAX 128   /* bytes of a script name */
#define STORE_SIEVE_PROGRAM_MAX (1u << 20)
#define STORE_SIEVE_SOURCE_MAX (1u << 20)
/* names one STORE_MBOX_EXISTS asks about (bits of its u32 answer) */
#define STORE_MBOX_EXISTS_MAX 16
#define STORE_SEEN_KEY_LEN 32           /* a seen record's key (SHA-256) */
/* seen records a STORE_DELIVER_TO makes with its delivery (a run's
 * duplicate tests and the delivery's own record) */
#define STORE_DELIVER_SEEN_MAX 17
/* The kinds of seen records (enum store_seen_kind, store_client.h). */
#define STORE_SEEN_KIND_MIN 1
#define STORE_SEEN_KIND_MAX 3
/* Or'ed into the kind of a STORE_DELIVER_TO seen record: deliver only if
 * no record of (kind, key) younger than its seconds exists; one that does
 * answers EXISTS, and nothing is delivered or recorded (the duplicate
 * check at delivery made in the delivery's own request). */
#define STORE_SEEN_IF_NEW 0x100u
/* STORE_ADM_SIEVE's operation field. */
enum store_adm_sieve_op {
	STORE_ADM_SIEVE_OP_LIST = 1,
	STORE_ADM_SIEVE_OP_GET = 2,
	STORE_ADM_SIEVE_OP_ACTIVATE = 3,
	STORE_ADM_SIEVE_OP_DELETE = 4,
};
/* A Sieve script name: 1..128 bytes of UTF-8 (shortest forms, no
 * surrogates) without control characters (U+0000-001F, U+007F-009F,
 * U+2028, U+2029: RFC 5804 section 1.6) and without '/'. */
bool store_sieve_name_valid(const char *p, size_t n);

/* ---- flags and mailbox attributes ---------------------------------------- */

/* System flags (IMAP) = JMAP $seen, $answered, $flagged, $draft; \Deleted
 * has no JMAP keyword. Keywords are per user, at most STORE_MAX_KEYWORDS,
 * carried on the wire as a bit mask over the user's keyword table. */
enum store_flag {
	STORE_FLAG_SEEN = 1u << 0,
	STORE_FLAG_ANSWERED = 1u << 1,
	STORE_FLAG_FLAGGED = 1u << 2,
	STORE_FLAG_DELETED = 1u << 3,
	STORE_FLAG_DRAFT = 1u << 4,
};
#define STORE_FLAGS_ALL 0x1fu

/* Mailbox attributes: special-use (RFC 6154/8457, JMAP roles) in the low
 * byte, LIST attributes above. */
enum store_mbox_attr {
	STORE_USE_ARCHIVE = 1u << 0,
	STORE_USE_DRAFTS = 1u << 1,
	STORE_USE_JUNK = 1u << 2,
	STORE_USE_SENT = 1u << 3,
	STORE_USE_TRASH = 1u << 4,
	STORE_USE_ALL = 1u << 5,
	STORE_USE_FLAGGED = 1u << 6,
	STORE_USE_IMPORTANT = 1u << 7,
	STORE_MBOX_NOSELECT = 1u << 8,      /* a parent kept for its children */
	STORE_MBOX_NONEXISTENT = 1u << 9,   /* subscribed (or implied) but absent */
	STORE_MBOX_HASCHILDREN = 1u << 10,
	STORE_MBOX_HASNOCHILDREN = 1u << 11,
	STORE_MBOX_SUBSCRIBED = 1u << 12,
	STORE_MBOX_DETAIL = 1u << 13,       /* user+detail delivery lands here */
	STORE_USE_SNOOZED = 1u << 14,       /* special-use \Snoozed (JMAP role "snoozed") */
};
/* Special-use bits: the low byte, and \Snoozed, which came later. */
#define STORE_USE_MASK (0xffu | STORE_USE_SNOOZED)

enum store_list_flags {
	STORE_LIST_STATUS = 1u << 0,      /* fill the counters */
	STORE_LIST_SUBSCRIBED = 1u << 1,  /* also subscribed names that do not exist */
};

enum store_flag_op {
	STORE_FLAGS_ADD = 1,
	STORE_FLAGS_REMOVE = 2,
	STORE_FLAGS_REPLACE = 3,
};

/* ---- shards --------------------------------------------------------------- */

/* Which stored process serves a user: FNV-1a (32 bits) over the bytes of
 * the name, modulo the shard count; 0 when there is one shard or none.
 * Workers pick CLOISTER_FD_STORE(shard), cloisterctl the admin socket of
 * the shard, and stored refuses the users of other shards. */
unsigned store_shard_of(const char *user, unsigned nshards);

/* ---- UID sets --------------------------------------------------------------- */

struct store_range {
	uint32_t lo, hi;           /* inclusive; hi = STORE_UID_MAX for '*' */
};
/* A growable set, kept sorted and merged by store_uids_add (lo >= 1). */
struct store_uids {
	struct store_range *r;
	size_t n, cap;
};
int store_uids_add(struct store_uids *u, uint32_t lo, uint32_t hi);
bool store_uids_has(const struct store_uids *u, uint32_t uid);
uint64_t store_uids_count(const struct store_uids *u);
void store_uids_clear(struct store_uids *u);
void store_uids_free(struct store_uids *u);
/* The set 1:* */
extern const struct store_uids store_uids_all;

/* On the wire a set is one bytes field of n x 8 bytes, each a pair of
 * big-endian u32 lo, hi (lo >= 1, lo <= hi), in any order. put: u may be
 * NULL (the empty set). get: at most max_ranges pairs, the set cleared
 * first and left normalized; -1 (and c failed) on anything else. u NULL
 * checks and skips the field. */
int store_uids_put(struct buf *b, const struct store_uids *u);
int store_uids_get(struct buf_cur *c, struct store_uids *u, size_t max_ranges);
/* The pairs alone, as the bytes field holds them; a search program's UID
 * set operand is a u32 count followed by the same pairs. to: u->n pairs
 * (8 bytes each) at dst. from: the n bytes at p, u (if not NULL) cleared
 * first and left normalized; -1 unless they are whole valid pairs. */
void store_uids_to_pairs(uint8_t *dst, const struct store_uids *u);
int store_uids_from_pairs(const uint8_t *p, size_t n, struct store_uids *u);

/* ---- message metadata (appends) ------------------------------------------------ */

/* Metadata the worker parsed from the message (the store parses nothing).
 * Strings are NUL-terminated UTF-8 (NULL = absent); the header block and
 * the text are lengths + bytes. The block's codec: meta.h. */
struct store_msg_meta {
	uint64_t internaldate;     /* unix seconds */
	int32_t tzoff;             /* minutes east of UTC of the internal date */
	uint32_t flags;            /* enum store_flag */
	const char *const *keywords;
	size_t nkeywords;
	uint64_t sentdate;         /* Date: header, unix seconds (0 = none) */
	const char *envelope;      /* IMAP ENVELOPE, as the worker will send it */
	const char *bodystructure; /* IMAP BODYSTRUCTURE (extensible form) */
	const char *body;          /* IMAP BODY (non-extensible form) */
	const char *from, *to, *cc, *bcc, *subject; /* decoded, for search */
	const char *message_id;    /* <...> as in the header */
	const char *in_reply_to;   /* message ids, space separated */
	const char *references;    /* message ids, space separated */
	const char *sort_subject;  /* RFC 5256 base subject */
	const char *sort_from, *sort_to, *sort_cc;  /* first addr-mailbox */
	const char *display_from, *display_to;      /* RFC 5957 */
	const char *preview;       /* JMAP preview (<= 256 chars) */
	uint32_t info;             /* STORE_INFO_* */
	/* header fields unfolded, one per line "lower-case-name: value\n" */
	const char *headers;
	size_t headers_len;
	/* text of the text/ parts, decoded to UTF-8, for full-text search */
	const char *text;
	size_t text_len;
};
enum store_info {
	STORE_INFO_HAS_ATTACHMENT = 1u << 0,
};

/* ---- message entries (fetch-like replies) --------------------------------------- */

enum store_fetch_what {
	STORE_F_FLAGS = 1u << 0,        /* flags, keywords, modseq */
	STORE_F_INTERNALDATE = 1u << 1, /* internaldate, tzoff */
	STORE_F_SIZE = 1u << 2,
	STORE_F_ENVELOPE = 1u << 3,
	STORE_F_BODYSTRUCTURE = 1u << 4,
	STORE_F_BODY = 1u << 5,
	STORE_F_IDS = 1u << 6,          /* emailid, threadid, blobid */
	STORE_F_SENTDATE = 1u << 7,
	STORE_F_ADDRS = 1u << 8,        /* from to cc bcc subject message-id
	                                   in-reply-to references */
	STORE_F_PREVIEW = 1u << 9,      /* preview, info */
	STORE_F_SAVEDATE = 1u << 10,    /* when it entered this mailbox */
};
#define STORE_F_KNOWN 0x7ffu

struct store_text {
	const char *p;
	size_t n;
};

/* One decoded entry. Texts point into the reply, valid during the
 * callback; empty when not asked (not NUL-terminated: an entry may be
 * larger than any record). */
struct store_msg {
	uint32_t uid;
	uint32_t flags;
	uint64_t keywords;         /* mask over the keyword table */
	uint64_t modseq;
	uint64_t internaldate;
	int32_t tzoff;
	uint64_t size;
	uint64_t sentdate;
	uint64_t savedate;
	uint64_t emailid, threadid;
	uint8_t blobid[STORE_BLOBID_LEN];
	uint32_t info;
	struct store_text envelope, bodystructure, body, preview;
	struct store_text from, to, cc, bcc, subject;
	struct store_text message_id, in_reply_to, references;
};

/* The fields of an entry after its u32 uid, in wire order: a field is
 * there when its `what` bit was asked. stored encodes by walking this
 * table, the client decodes by walking it (store_entry_get). */
enum store_entry_field {
	SE_FLAGS, SE_KEYWORDS, SE_MODSEQ, SE_INTERNALDATE, SE_TZOFF, SE_SIZE,
	SE_ENVELOPE, SE_BODYSTRUCTURE, SE_BODY, SE_EMAILID, SE_THREADID,
	SE_BLOBID, SE_SENTDATE, SE_FROM, SE_TO, SE_CC, SE_BCC, SE_SUBJECT,
	SE_MESSAGE_ID, SE_IN_REPLY_TO, SE_REFERENCES, SE_PREVIEW, SE_INFO,
	SE_SAVEDATE, SE_COUNT
};
enum store_entry_kind { SE_U32, SE_U64, SE_BYTES };
struct store_entry_layout {
	uint32_t what;             /* the STORE_F_* bit that asks for it */
	enum store_entry_field field;
	enum store_entry_kind kind;
	uint32_t max;              /* SE_BYTES: the longest accepted */
};
extern const struct store_entry_layout store_entry_layout[SE_COUNT];

/* Decode one entry (after its item tag) of the fields what asks for;
 * -1 if the cursor ran short or a field is malformed. */
int store_entry_get(struct buf_cur *c, uint32_t what, struct store_msg *m);

/* ---- search programs ------------------------------------------------------------
 * A search program is postfix (RPN): push keys, combine with AND/OR/NOT.
 * IMAP "FLAGGED SINCE d NOT SEEN" = flagged, date_ge(d), unflagged(seen),
 * and, and. The store compiles it to SQL with bound parameters; it never
 * sees IMAP text. Matching of strings is case-insensitive substring on the
 * header fields, word-prefix phrase (FTS5) on body and text. */
enum store_search_op {
	STORE_S_ALL = 1,
	STORE_S_AND = 2,            /* pops 2 */
	STORE_S_OR = 3,             /* pops 2 */
	STORE_S_NOT = 4,            /* pops 1 */
	STORE_S_FLAGS_SET = 5,      /* u32 mask: all set */
	STORE_S_FLAGS_UNSET = 6,    /* u32 mask: all clear */
	STORE_S_KEYWORD = 7,        /* str */
	STORE_S_UNKEYWORD = 8,      /* str */
	STORE_S_UIDS = 9,           /* uid set */
	STORE_S_INTERNALDATE_GE = 10, /* u64 unix seconds */
	STORE_S_INTERNALDATE_LT = 11,
	STORE_S_SENTDATE_GE = 12,
	STORE_S_SENTDATE_LT = 13,
	STORE_S_SIZE_GT = 14,       /* u64 */
	STORE_S_SIZE_LT = 15,
	STORE_S_HEADER = 16,        /* u32 enum store_search_field, str value */
	STORE_S_HEADER_ANY = 17,    /* str lower-case name, str value ("" = has) */
	STORE_S_BODY = 18,          /* str (FTS5 on the text) */
	STORE_S_TEXT = 19,          /* str (FTS5 on headers + text) */
	STORE_S_MODSEQ_GE = 20,     /* u64 */
	STORE_S_EMAILID = 21,       /* u64 */
	STORE_S_THREADID = 22,      /* u64 */
	STORE_S_SAVEDATE_GE = 23,   /* u64 */
	STORE_S_SAVEDATE_LT = 24,
	STORE_S_MAILBOX = 25,       /* u64 mailbox id (searching all mailboxes) */
	STORE_S_INFO_SET = 26,      /* u64 mask of STORE_INFO_*: any set */
	/* u32 flag mask (0: the keyword), str keyword: some message of the
	 * email's thread (any copy, any mailbox) has it */
	STORE_S_THREAD_SOME = 27,
	STORE_S_THREAD_ALL = 28,    /* as 27: every message of the thread */
	/* as 27: the operand of keyword sort keys (STORE_SORT_OPERAND, in
	 * program order from 0); matches every message */
	STORE_S_SORT_KEYWORD = 29,
};
enum store_search_field {
	STORE_SF_FROM = 1, STORE_SF_TO, STORE_SF_CC, STORE_SF_BCC,
	STORE_SF_SUBJECT, STORE_SF_MESSAGE_ID,
};
enum store_sort_key {
	STORE_SORT_ARRIVAL = 1, STORE_SORT_CC, STORE_SORT_DATE, STORE_SORT_FROM,
	STORE_SORT_SIZE, STORE_SORT_SUBJECT, STORE_SORT_TO,
	STORE_SORT_DISPLAYFROM, STORE_SORT_DISPLAYTO, STORE_SORT_MODSEQ,
	STORE_SORT_UID,
	/* the message has, its thread has in some or every message, the
	 * keyword of the STORE_S_SORT_KEYWORD that STORE_SORT_OPERAND names */
	STORE_SORT_HASKEYWORD, STORE_SORT_THREAD_SOME, STORE_SORT_THREAD_ALL,
};
#define STORE_SORT_REVERSE 0x100u   /* or'ed into a key */
#define STORE_SORT_OPERAND(i) ((uint32_t)(i) << 16)   /* i < 8 */
#define STORE_SORT_OPERANDS 8
#define STORE_SEARCH_MAX_DEPTH 64
#define STORE_SEARCH_MAX_KEYS 256
#define STORE_SEARCH_STR_MAX 1024   /* bytes of a string operand */

/* ---- migration (STORE_ADM_IMPORT_*, admin channel only) ------------------------ */

/* Messages one STORE_ADM_IMPORT_APPEND carries (one transaction). */
#define STORE_IMPORT_BATCH_MAX 1024
enum store_import_flag {
	STORE_IMPORT_SUBSCRIBE = 1u << 0,
	/* the mailbox's UIDVALIDITY differs from the source's: import with
	 * UIDs the store picks rather than refuse */
	STORE_IMPORT_NEW_UIDVALIDITY = 1u << 1,
};
#define STORE_IMPORT_FLAGS_ALL 0x3u

#endif
