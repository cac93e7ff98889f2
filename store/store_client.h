/*
 * store_client: the API workers (imapd, jmapd, lmtpd) and cloisterctl call
 * to talk to stored. The wire protocol is docs/store-protocol.md; this
 * header is the only store header a worker may include.
 *
 * One connection = the SOCK_SEQPACKET fd the supervisor handed the worker
 * (CLOISTER_FD_STORE(shard)). Every call is one request and its reply, read
 * to the end (streamed replies arrive as several records); STORE_NOTIFY
 * records that arrive in between are queued, coalesced per mailbox, and
 * handed out by store_client_next_notify(). Calls block; to wait for
 * notifications (IMAP IDLE), poll store_client_fd() for POLLIN and call
 * store_client_read_notify().
 *
 * Results: 0 (STORE_OK) or a negative enum store_rc. STORE_E_IO and
 * STORE_E_PROTO mean the connection is unusable: a worker exits (crash-only,
 * docs/design.md rule 6). Everything else is the store's answer; the
 * store's message is in store_client_errmsg().
 *
 * Strings handed to callbacks point into the client's receive buffer and
 * are valid only during the callback (no malloc per message). Replies are
 * read to the end even when a callback returns nonzero (which only stops
 * further calls).
 *
 * Mailbox names are UTF-8, hierarchy separator '/', "INBOX" matched
 * case-insensitively; mailbox ids are never reused within a user (JMAP
 * Mailbox ids; also the handle of every message operation).
 */
#ifndef CLOISTER_STORE_CLIENT_H
#define CLOISTER_STORE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_proto.h"   /* limits, bits, UID sets, store_shard_of() */
#include "outbox_proto.h"  /* outbox limits */

enum store_rc {
	STORE_OK = 0,
	STORE_E_MALFORMED = -IPC_ERR_MALFORMED,
	STORE_E_UNEXPECTED = -IPC_ERR_UNEXPECTED, /* not allowed for this service/state */
	STORE_E_DENIED = -IPC_ERR_DENIED,
	STORE_E_NOTFOUND = -IPC_ERR_NOTFOUND,
	STORE_E_EXISTS = -IPC_ERR_EXISTS,
	STORE_E_QUOTA = -IPC_ERR_QUOTA,          /* over quota: IMAP [OVERQUOTA], LMTP 552 */
	STORE_E_CONFLICT = -IPC_ERR_CONFLICT,
	STORE_E_TEMPORARY = -IPC_ERR_TEMPORARY,
	STORE_E_INTERNAL = -IPC_ERR_INTERNAL,
	STORE_E_LIMIT = -IPC_ERR_LIMIT,          /* size, count or work budget: IMAP [LIMIT] */
	STORE_E_NOSPACE = -IPC_ERR_NOSPACE,      /* store disk full: IMAP [OVERQUOTA], LMTP 452 4.3.1 */
	STORE_E_IO = -100,        /* transport failed: exit */
	STORE_E_PROTO = -101,     /* the reply did not decode: exit */
	STORE_E_ARG = -102,       /* caller error, nothing sent (too long, ...) */
};

/* ---- connection -------------------------------------------------------- */

struct store_conn;

/* Wrap the fd (the client owns it from now on; NULL on allocation failure). */
struct store_conn *store_client_open(int fd);
void store_client_close(struct store_conn *sc);
int store_client_fd(const struct store_conn *sc);
/* The store's message for the last failed call ("" if none). */
const char *store_client_errmsg(const struct store_conn *sc);

/* Liveness / no-op round trip (IPC_PING). */
int store_ping(struct store_conn *sc);

/* Present the ticket authd minted; on success the connection is bound to
 * its user for good (copied into user, STORE_USER_MAX + 1 bytes). */
int store_hello(struct store_conn *sc, const uint8_t *ticket, size_t len,
    char *user, size_t usersize);

/* ---- delivery right (lmtpd; no ticket) ---------------------------------- */

struct store_append_result {
	uint64_t mailbox_id;
	uint32_t uidvalidity;
	uint32_t uid;
	uint64_t modseq;
	uint64_t emailid;          /* JMAP Email id (content) */
	uint64_t threadid;         /* JMAP Thread id */
	uint8_t blobid[STORE_BLOBID_LEN];
};

/* Is there such a user, and would a message of size bytes fit its quota?
 * (LMTP RCPT TO: 550 on STORE_E_NOTFOUND, 452/552 on STORE_E_QUOTA.) */
int store_rcpt_check(struct store_conn *sc, const char *user, uint64_t size);
/* A recipient with no store whom authd found (AUTH_RCPT): present authd's
 * ticket so that the store creates the user as a first login would.
 * STORE_OK if the user exists now. */
int store_rcpt_provision(struct store_conn *sc, const uint8_t *ticket,
    size_t len);

/* Deliver the message in memfd (size bytes from offset 0; the client
 * appends the metadata after them) to user's INBOX, or to mailbox "detail"
 * when detail is not NULL and the administrator opted that mailbox in to
 * +detail delivery. Acknowledged only once durable. The reply is a status
 * only (STORE_OK or an error): where the message went, its UID, thread and
 * hash stay in the store. Of meta's flags and keywords the store keeps
 * only \Seen, \Flagged, $Junk, $NotJunk and $Phishing, and it dates the
 * message itself (docs/store-protocol.md, STORE_DELIVER). */
int store_deliver(struct store_conn *sc, const char *user, const char *detail,
    int memfd, uint64_t size, const struct store_msg_meta *meta);

/* ---- outbox (docs/submitd.md) -------------------------------------------- */

/* Queue a message for sending by submitd through the relay. Delivery right
 * (lmtpd: vacation replies, redirects) and user session (jmapd). The
 * message is size bytes of memfd (a complete RFC 5322 message). mail_from
 * "" = null reverse-path. send_at: unix seconds, 0 = now. *id: the outbox
 * id. user: whose mail this is (for lmtpd; ignored on a user session, which
 * uses its own). Addresses are opaque to the store: at most
 * STORE_OUTBOX_ADDR_MAX bytes each, no control characters, 1 to
 * STORE_OUTBOX_RCPTS_MAX recipients. */
int store_outbox_add(struct store_conn *sc, const char *user, const char *mail_from,
    const char *const *rcpts, size_t nrcpts, int memfd, uint64_t size, uint64_t send_at,
    uint64_t *id);

/* store_outbox_add with a JMAP EmailSubmission's own fields (meta, at
 * most STORE_OUTBOX_META_MAX bytes, opaque to the store): a user session
 * only; the entry is then listed by store_outbox_list and may be
 * cancelled while pending. msgid: the message's Message-ID without its
 * angle brackets ("" none; one over STORE_OUTBOX_MSGID_MAX bytes is
 * sent as none), which names the submission to a disposition
 * notification (MDN, RFC 8098). */
int store_outbox_submit(struct store_conn *sc, const char *user,
    const char *mail_from, const char *const *rcpts, size_t nrcpts, int memfd,
    uint64_t size, uint64_t send_at, const void *meta, size_t mlen,
    const char *msgid, uint64_t *id);

/* One of the user's JMAP submissions as listed; strings and bytes point
 * into the reply and are valid during the callback only. */
struct store_submission {
	uint64_t id;
	uint32_t state;            /* pending 0, sending 1, sent 2, failed 3,
				      canceled 4, unknown 5, committing 6 */
	uint64_t send_at, created; /* unix seconds */
	uint64_t cmodseq, modseq;  /* the user's state at creation, last change */
	uint32_t hidden;           /* destroyed (listed only by changes) */
	const char *mail_from;
	size_t from_len;
	const uint8_t *rcpts;      /* NUL-terminated, one after the other */
	size_t rcpts_len;
	const char *reply;         /* the relay's last reply */
	size_t reply_len;
	const uint8_t *meta;
	size_t meta_len;
	const uint8_t *rstatus;    /* per recipient, in rcpts order: the
				      delivered byte (enum
				      store_outbox_delivered), the relay's
				      reply to it, NUL; empty: as the entry */
	size_t rstatus_len;
	const uint8_t *dsn;        /* content ids of the DSNs about it, 32
				      bytes each */
	size_t dsn_len;
	const uint8_t *mdn;        /* and of the MDNs */
	size_t mdn_len;
	const uint8_t *displayed;  /* per recipient: 'y' an MDN said displayed */
	size_t displayed_len;
};
typedef int (*store_submission_cb)(void *arg, const struct store_submission *s);
/* The user's submissions (since 0: the visible ones; else those changed
 * after state since, destroyed ones too), in id order, each to cb (a
 * negative return stops the listing with that error). *state: the user's
 * state before the first. */
int store_outbox_list(struct store_conn *sc, uint64_t since,
    store_submission_cb cb, void *arg, uint64_t *state);
/* Cancel a pending submission (STORE_E_CONFLICT: claimed, sent, failed or
 * canceled already) or hide a destroyed one's record (op: enum
 * store_outbox_op); *state: the user's state after it. */
int store_outbox_change(struct store_conn *sc, uint64_t id, uint32_t op,
    uint64_t *state);

/* One claimed entry (submitd). Strings are copies; fd is the message file
 * (read-only, the caller closes it). */
struct store_outbox_entry {
	uint64_t id;
	uint32_t attempts;         /* attempts before this one */
	uint64_t size;
	int fd;
	size_t nrcpts;
	char mail_from[STORE_OUTBOX_ADDR_MAX + 1];
	char rcpts[STORE_OUTBOX_RCPTS_MAX][STORE_OUTBOX_ADDR_MAX + 1];
};

/* Claim the next due entry (state pending -> sending, owned by this
 * connection: if it closes before a result the entry is pending again).
 * STORE_OK: *e filled. STORE_E_NOTFOUND: nothing due now; *next_due is the
 * unix time of the next pending entry, 0 if none. */
int store_outbox_claim(struct store_conn *sc, struct store_outbox_entry *e,
    uint64_t *next_due);

enum store_outbox_outcome {
	STORE_OUTBOX_SENT = 1,     /* the relay accepted it */
	STORE_OUTBOX_RETRY = 2,    /* temporary failure: pending again at retry_at */
	STORE_OUTBOX_FAILED = 3,   /* permanent failure */
	STORE_OUTBOX_UNKNOWN = 4,  /* committing, and no reply to the final dot */
};
/* The claimed entry is committing (durably): call it before writing the
 * final dot. From then on the store never hands the entry out again: its
 * result ends it, or, if this channel closes or stored restarts first, it
 * is final with delivery unknown. */
int store_outbox_commit(struct store_conn *sc, uint64_t id);

/* Report the result of a claimed entry, or of an entry committed on an
 * earlier channel to this shard (a result held over a stored restart);
 * reply: the relay's last reply (at most STORE_OUTBOX_REPLY_MAX bytes
 * kept); rcpt_replies: none, or one per recipient of the entry, in its
 * order, the relay's reply to that recipient ("": the entry's reply
 * stands for it; at most STORE_OUTBOX_RCPT_REPLY_MAX bytes kept,
 * printable ASCII). */
int store_outbox_result(struct store_conn *sc, uint64_t id, uint32_t outcome,
    uint64_t retry_at, const char *reply, const char *const *rcpt_replies,
    size_t nreplies);

/* A delivery status notification (kind STORE_REPORT_DSN) or a disposition
 * notification (STORE_REPORT_MDN) delivered to user (the delivery right):
 * id is the outbox entry a DSN's envelope id names, msgid the Message-ID
 * an MDN's Original-Message-ID names (without angle brackets), hash the
 * content id of the message as delivered, rc what it says of each
 * recipient. The store
 * links it only to a JMAP submission of that same user and only if the
 * user holds that message; the reply is a status only, whether it
 * linked or not (the delivery right learns nothing of what a user
 * holds). */
struct store_report_rcpt {
	const char *addr;          /* Original-Recipient, else Final-Recipient */
	uint32_t action;           /* enum store_report_action */
};
int store_outbox_report(struct store_conn *sc, const char *user, uint32_t kind,
    uint64_t id, const char *msgid, const uint8_t hash[STORE_BLOBID_LEN],
    const struct store_report_rcpt *rc, size_t n);

/* Admin channel: the entries not sent (pending 0, sending 1, committing
 * 6) and the failed ones (3) and unknown ones (5), oldest first, at most 10000 a shard. Strings valid
 * during the callback. */
struct store_outbox_info {
	uint64_t id;
	const char *user;
	uint32_t state;
	uint32_t attempts;
	uint64_t next_try;
	uint64_t size;
	const char *mail_from;
	uint32_t nrcpts;
	const char *reply;
};
typedef int (*store_outbox_cb)(void *arg, const struct store_outbox_info *o);
int store_adm_outbox_list(struct store_conn *sc, store_outbox_cb cb, void *arg);

/* ---- mailboxes ---------------------------------------------------------- */

struct store_mbox_status {
	uint64_t id;
	uint32_t attrs;            /* enum store_mbox_attr */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t messages;
	uint32_t unseen;
	uint32_t deleted;          /* messages with \Deleted */
	uint32_t recent;           /* messages no session has claimed yet */
	uint64_t size;             /* bytes (STATUS SIZE, RFC 8438) */
	uint64_t highestmodseq;
};

struct store_mbox_info {
	const char *name;          /* valid during the callback */
	struct store_mbox_status st;   /* counters only with STORE_LIST_STATUS */
};

typedef int (*store_mbox_cb)(void *arg, const struct store_mbox_info *mb);
/* Every mailbox of the user (and, with STORE_LIST_SUBSCRIBED, every
 * subscribed name, \NonExistent if absent), parents before children; the
 * worker matches LIST patterns. A callback returning nonzero stops the
 * calls (the reply is still read to the end). */
int store_mbox_list(struct store_conn *sc, uint32_t flags, store_mbox_cb cb,
    void *arg);
/* Create name with the special-use bits in use. Missing parents are not
 * made: they are listed as implied (\NonExistent \Noselect \HasChildren)
 * and can be created later. */
int store_mbox_create(struct store_conn *sc, const char *name, uint32_t use,
    uint64_t *id);
/* Delete; a mailbox with children becomes \Noselect (its messages go). */
int store_mbox_delete(struct store_conn *sc, const char *name);
/* Rename with its subtree. Renaming INBOX moves its messages into a new
 * mailbox and leaves INBOX empty (RFC 9051 6.3.6). */
int store_mbox_rename(struct store_conn *sc, const char *from, const char *to);
int store_mbox_subscribe(struct store_conn *sc, const char *name, bool on);
/* Set the special-use bits of an existing mailbox (JMAP role). */
int store_mbox_set_use(struct store_conn *sc, const char *name, uint32_t use);
int store_mbox_status(struct store_conn *sc, const char *name,
    struct store_mbox_status *st);
/* IMAP4rev1 \Recent: the UIDs lo..hi (none if lo > hi) are recent for
 * this session; with claim, for no later one (SELECT; new mail while
 * selected read-write). Without, a look (EXAMINE). */
int store_recent_claim(struct store_conn *sc, uint64_t mailbox_id, bool claim,
    uint32_t *lo, uint32_t *hi);
/* Status by id (JMAP, or re-checking a selected mailbox). */
int store_mbox_status_id(struct store_conn *sc, uint64_t id,
    struct store_mbox_status *st);

/* The user's keyword table: bit i of every keyword mask is names[i].
 * store_keywords() asks the store (one round trip) and refreshes the
 * client's copy; store_keywords_cached() answers from that copy, asking
 * only when there is none yet. The table only grows (a bit, once given a
 * name, keeps it for the life of the connection: docs/store-protocol.md,
 * STORE_KEYWORDS), so a copy is stale only when a mask carries a bit at
 * or past n: refresh then. store_keyword_name() does that by itself. The
 * names and n stay valid until the next refresh. */
int store_keywords(struct store_conn *sc, const char *const **names,
    size_t *n);
int store_keywords_cached(struct store_conn *sc, const char *const **names,
    size_t *n);
/* Does mask carry a bit past the first n (a keyword a table of n lacks)? */
bool store_keywords_unknown(uint64_t mask, size_t n);
const char *store_keyword_name(struct store_conn *sc, unsigned bit);

/* ---- messages ------------------------------------------------------------ */

/* Append to a mailbox by id (mailbox_id != 0) or by name. */
int store_append(struct store_conn *sc, uint64_t mailbox_id, const char *name,
    int memfd, uint64_t size, const struct store_msg_meta *meta,
    struct store_append_result *res);

typedef int (*store_msg_cb)(void *arg, const struct store_msg *m);
/* Metadata of the messages of mailbox_id whose UID is in set (and, if
 * changedsince != 0, whose modseq is greater: CONDSTORE CHANGEDSINCE), in
 * UID order. */
int store_fetch(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint32_t what, uint64_t changedsince,
    store_msg_cb cb, void *arg);

/* A read-only fd of the message's bytes (the caller closes it). */
int store_body(struct store_conn *sc, uint64_t mailbox_id, uint32_t uid,
    int *fd, uint64_t *size);

/* The bodies of several messages in one round trip (STORE_BODIES: one
 * request, one reply with the fds as a batch), in two halves, so that the
 * next batch's request can be on its way while this one's bodies are
 * written (one reply ahead at most keeps the fds a worker holds to one
 * batch): send (*reqid is the request's), then receive with the same
 * uids: cb gets each one in the order asked, fd (the callee closes it) and
 * size, or fd -1 when the message is gone (expunged meanwhile); a non-zero
 * return stops the calls (the remaining fds are closed; cb NULL closes
 * them all). */
#define STORE_BODY_BATCH STORE_BODIES_MAX
typedef int (*store_body_cb)(void *arg, uint32_t uid, int fd, uint64_t size);
int store_bodies_send(struct store_conn *sc, uint64_t mailbox_id,
    const uint32_t *uids, size_t n, uint32_t *reqid);
int store_bodies_recv(struct store_conn *sc, uint32_t reqid,
    const uint32_t *uids, size_t n, store_body_cb cb, void *arg);

struct store_flags_result {
	struct store_uids failed;  /* UNCHANGEDSINCE failed (MODIFIED) */
	uint64_t highestmodseq;
};
/* Change flags on set; unchangedsince != 0 skips (and reports in
 * res->failed) messages whose modseq is greater. cb (may be NULL) gets
 * every changed message with its new flags and modseq (STORE_F_FLAGS). */
int store_flags(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, enum store_flag_op op, uint32_t flags,
    const char *const *keywords, size_t nkeywords, uint64_t unchangedsince,
    store_msg_cb cb, void *arg, struct store_flags_result *res);

struct store_copy_result {
	uint32_t uidvalidity;      /* destination's (COPYUID) */
	struct store_uids src;     /* source UIDs, ascending */
	struct store_uids dst;     /* their new UIDs, same order */
	uint64_t highestmodseq;    /* of the source after MOVE */
};
int store_copy(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint64_t dest_id,
    struct store_copy_result *res);
/* Copy + expunge in one transaction (RFC 6851). */
int store_move(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, uint64_t dest_id,
    struct store_copy_result *res);
/* Expunge the \Deleted messages of the mailbox (set NULL) or of the set
 * (UID EXPUNGE); their UIDs in expunged. */
int store_expunge(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_uids *set, struct store_uids *expunged,
    uint64_t *highestmodseq);

struct store_changes_result {
	struct store_uids vanished;  /* expunged after `since` */
	uint64_t highestmodseq;
};
/* Messages whose modseq > since (new ones included) with what, and the
 * UIDs expunged since (tombstones are kept): QRESYNC, IDLE updates. */
int store_changes(struct store_conn *sc, uint64_t mailbox_id, uint64_t since,
    uint32_t what, store_msg_cb cb, void *arg,
    struct store_changes_result *res);

/* ---- search ----------------------------------------------------------------
 * Build a program (opcodes: store_proto.h) and run it. */

/* The program under construction; building never fails silently: an error
 * is sticky and store_search() returns STORE_E_ARG. */
struct store_search {
	uint8_t *p;
	size_t len, cap;
	int depth;                 /* stack depth the program leaves */
	unsigned nkeys;
	bool failed;
};
void store_search_init(struct store_search *s);
void store_search_free(struct store_search *s);
void store_search_op(struct store_search *s, enum store_search_op op);
void store_search_u32(struct store_search *s, enum store_search_op op,
    uint32_t v);
void store_search_u64(struct store_search *s, enum store_search_op op,
    uint64_t v);
void store_search_str(struct store_search *s, enum store_search_op op,
    const char *v);
/* STORE_S_THREAD_SOME, _ALL, STORE_S_SORT_KEYWORD: flag (an IMAP flag
 * mask) or, flag 0, the keyword. */
void store_search_keyword_operand(struct store_search *s,
    enum store_search_op op, uint32_t flag, const char *keyword);
void store_search_header(struct store_search *s, enum store_search_field f,
    const char *value);
void store_search_header_any(struct store_search *s, const char *name,
    const char *value);
void store_search_uids(struct store_search *s, const struct store_uids *u);

struct store_search_result {
	uint32_t *uids;            /* matches, sorted as asked (UID order) */
	size_t n, cap;
	uint64_t *emailids;        /* mailbox_id 0: matching emails, each once */
	size_t nemail, capemail;
	uint64_t highestmodseq;    /* greatest modseq among matches (CONDSTORE) */
	uint64_t total, position;  /* store_email_query: all matches, page start */
};
void store_search_result_free(struct store_search_result *r);
/* Run the program on mailbox_id; sort (NULL/0 = UID order) with nsort keys.
 * mailbox_id 0 searches every mailbox of the user (JMAP Email/query) and
 * fills emailids instead of uids; STORE_S_MAILBOX restricts it. */
int store_search(struct store_conn *sc, uint64_t mailbox_id,
    const struct store_search *prog, const uint32_t *sort, size_t nsort,
    struct store_search_result *res);
/* JMAP Email/query's page (RFC 8620 section 5.5): anchor (an email id,
 * 0: none) + anchor_offset, else position (negative: from the end); then
 * at most limit; collapse: a thread's first email in the sort only. */
struct store_email_window {
	int64_t position, anchor_offset;
	uint64_t anchor, limit;
	bool collapse;
};
/* Every mailbox, as store_search with mailbox_id 0, but stored sends only
 * the page (emailids) with the total and the page's position.
 * STORE_E_NOTFOUND: the anchor is not among the matches. */
int store_email_query(struct store_conn *sc, const struct store_search *prog,
    const uint32_t *sort, size_t nsort, const struct store_email_window *w,
    struct store_search_result *res);

/* ---- JMAP: state, changes, blobs, threads --------------------------------- */

/* The user's modseq counter: every change raises it (JMAP state strings). */
int store_state(struct store_conn *sc, uint64_t *state);

struct store_id_changes {
	uint64_t *created, *updated, *destroyed;
	size_t ncreated, nupdated, ndestroyed;
	size_t capc, capu, capd;
	uint64_t newstate;
	bool more;                 /* hasMoreChanges: call again from newstate */
};
void store_id_changes_free(struct store_id_changes *ch);
/* Mailbox ids / email ids changed since state (at most max ids, 0 = no
 * limit). STORE_E_CONFLICT: cannotCalculateChanges. */
int store_mbox_changes(struct store_conn *sc, uint64_t since, uint32_t max,
    struct store_id_changes *ch);
int store_email_changes(struct store_conn *sc, uint64_t since, uint32_t max,
    struct store_id_changes *ch);
/* Thread ids whose list of emails changed since state (JMAP
 * Thread/changes), as store_email_changes. */
int store_thread_changes(struct store_conn *sc, uint64_t since, uint32_t max,
    struct store_id_changes *ch);
/* Every email sharing a thread with an email changed since state, each
 * thread once (cb per email id; nonzero stops the calls). STORE_E_CONFLICT:
 * the thread of an email gone since then is not known. */
int store_thread_peers(struct store_conn *sc, uint64_t since,
    int (*cb)(void *arg, uint64_t emailid), void *arg);

/* A per-user object (key: 1..STORE_OBJ_KEY_MAX of [a-z0-9._-]): its value
 * appended to value, and the modseq of its last change (0 and nothing
 * appended: there is none). */
int store_obj_get(struct store_conn *sc, const char *key, struct buf *value,
    uint64_t *modseq);
/* Replace it (at most STORE_OBJ_MAX bytes) if its modseq is still expect
 * (0: it must not exist yet), else STORE_E_CONFLICT; *modseq: the new
 * one, the user's state after the change. STORE_E_LIMIT past
 * STORE_OBJ_KEYS objects. */
/* JMAP maxConcurrentRequests across the user's connections: take (true)
 * a slot for one API request if fewer than limit are in flight, or give
 * it back (false). STORE_OK; STORE_E_LIMIT when full. */
int store_api_slot(struct store_conn *sc, bool take, uint32_t limit);
int store_obj_set(struct store_conn *sc, const char *key, uint64_t expect,
    const void *value, size_t len, uint64_t *modseq);

/* Keep the size bytes of memfd (from offset 0) as an upload of the user
 * (RFC 8620 section 6.1): expires after a day, charged to the quota
 * meanwhile. blobid: its content id (a message with the same bytes has
 * the same). STORE_E_QUOTA when it does not fit. */
int store_blob_upload(struct store_conn *sc, int memfd, uint64_t size,
    uint8_t blobid[STORE_BLOBID_LEN]);
/* Append the blob blobid (a message's content or an unexpired upload of
 * the user's) to a mailbox by id or name, as store_append does with the
 * bytes: they do not travel again, only meta does (written into memfd,
 * which is emptied first). STORE_E_NOTFOUND when there is no such blob. */
int store_blob_append(struct store_conn *sc, uint64_t mailbox_id,
    const char *name, const uint8_t blobid[STORE_BLOBID_LEN], int memfd,
    const struct store_msg_meta *meta, struct store_append_result *res);
/* A read-only fd of a blob: the content of one of the user's messages or
 * an unexpired upload of the user's. */
int store_blob_get(struct store_conn *sc,
    const uint8_t blobid[STORE_BLOBID_LEN], int *fd, uint64_t *size);

struct store_email_loc {
	uint64_t emailid;
	uint64_t mailbox_id;
	uint32_t uid;
};
typedef int (*store_loc_cb)(void *arg, const struct store_email_loc *loc);
/* The messages of a thread (JMAP Thread/get), oldest first. */
int store_thread_get(struct store_conn *sc, uint64_t threadid,
    store_loc_cb cb, void *arg);
/* Where an email is (JMAP Email/get mailboxIds). */
int store_email_locate(struct store_conn *sc, uint64_t emailid,
    store_loc_cb cb, void *arg);
/* Where each of n emails is, in one request per STORE_LOCATE_MAX ids;
 * an email the user has no copy of is absent (no NOTFOUND). */
int store_email_locate_many(struct store_conn *sc, const uint64_t *ids,
    size_t n, store_loc_cb cb, void *arg);
/* A snoozed email (Cyrus's JMAP `snoozed`): woken at until (unix
 * seconds), moved then out of \Snoozed into mailbox_id (0: INBOX), the
 * flags add and rm name (IMAP flag names, single spaces) added and
 * removed on every copy. */
struct store_snooze {
	uint64_t emailid, until, mailbox_id;
	char add[STORE_SNOOZE_FLAGS_MAX + 1], rm[STORE_SNOOZE_FLAGS_MAX + 1];
};
/* Snooze emailid (until 0: no longer snoozed; nothing moves). */
int store_snooze_set(struct store_conn *sc, const struct store_snooze *s);
typedef int (*store_snooze_cb)(void *arg, const struct store_snooze *s);
/* The snoozes of n emails; one not snoozed is absent. */
int store_snooze_get(struct store_conn *sc, const uint64_t *ids, size_t n,
    store_snooze_cb cb, void *arg);
/* Each mailbox's JMAP totalThreads and unreadThreads (RFC 8621 section 2),
 * all in one request; mailboxes without messages are not reported. */
struct store_thread_count {
	uint64_t mailbox_id;
	uint32_t threads, unread_threads;
};
typedef int (*store_thread_count_cb)(void *arg,
    const struct store_thread_count *tc);
int store_thread_counts(struct store_conn *sc, store_thread_count_cb cb,
    void *arg);

/* ---- quota ------------------------------------------------------------------ */

struct store_quota {
	uint64_t storage_used;     /* bytes */
	uint64_t storage_limit;    /* 0 = none */
	uint64_t messages_used;
	uint64_t messages_limit;   /* 0 = none */
};
int store_quota_get(struct store_conn *sc, struct store_quota *q);

/* ---- notifications ---------------------------------------------------------- */

/* Ask for STORE_NOTIFY when another connection changes mailbox_id, or any
 * mailbox of the user when mailbox_id is 0; on = false stops it. */
int store_watch(struct store_conn *sc, uint64_t mailbox_id, bool on);

struct store_notify {
	uint64_t mailbox_id;
	uint64_t highestmodseq;
	uint32_t messages;         /* EXISTS */
	uint32_t uidnext;
	uint64_t state;            /* the user's modseq counter */
};
/* Read whatever records are waiting on the fd without blocking and queue
 * the notifications (call when poll says POLLIN). STORE_E_IO on EOF. */
int store_client_read_notify(struct store_conn *sc);
/* Dequeue one; 1 if n was filled, 0 if the queue is empty. */
int store_client_next_notify(struct store_conn *sc, struct store_notify *n);

/* ---- Sieve scripts ---------------------------------------------------------- */

/* Names: at most STORE_SIEVE_NAME_MAX bytes, store_sieve_name_valid()
 * (store_proto.h). */
struct store_sieve_info {
	const char *name;                 /* valid during the callback */
	bool active;
	uint64_t size;                    /* bytes of source */
};
typedef int (*store_sieve_cb)(void *arg, const struct store_sieve_info *s);

/* User session (connection bound to its user by store_hello): the user's
 * own scripts. Each script is kept as its source AND the program the
 * caller compiled (sieve_compile); the store parses neither. Per-user
 * quota: at most sieve-max-scripts scripts and sieve-max-script-size
 * bytes of source each (stored config keys; STORE_E_QUOTA over them). */
int store_sieve_list(struct store_conn *sc, store_sieve_cb cb, void *arg);
/* Creates or replaces. The bytes travel in a memfd the client makes
 * (memfd_create, write, close: the caller's policy allows them). */
int store_sieve_put(struct store_conn *sc, const char *name,
    const void *src, size_t srclen, const void *prog, size_t proglen);
/* The source appended to src; STORE_E_NOTFOUND. */
int store_sieve_get(struct store_conn *sc, const char *name, struct buf *src);
/* "": no script active. */
int store_sieve_activate(struct store_conn *sc, const char *name);
/* STORE_E_CONFLICT if it is the active one. */
int store_sieve_delete(struct store_conn *sc, const char *name);
/* STORE_E_EXISTS if to exists. */
int store_sieve_rename(struct store_conn *sc, const char *from, const char *to);
/* STORE_OK or STORE_E_QUOTA: would a script name of size bytes fit. */
int store_sieve_havespace(struct store_conn *sc, const char *name, uint64_t size);

/* Admin channel (cloisterctl): the same for any user. */
int store_adm_sieve_list(struct store_conn *sc, const char *user,
    store_sieve_cb cb, void *arg);
int store_adm_sieve_put(struct store_conn *sc, const char *user,
    const char *name, const void *src, size_t srclen, const void *prog,
    size_t proglen);
int store_adm_sieve_get(struct store_conn *sc, const char *user,
    const char *name, struct buf *src);
int store_adm_sieve_activate(struct store_conn *sc, const char *user,
    const char *name);
int store_adm_sieve_delete(struct store_conn *sc, const char *user,
    const char *name);

/* Delivery right (lmtpd; no ticket). */
/* The program of user's script name, or of the active one when name is
 * NULL (its name copied into active_name when not NULL). STORE_E_NOTFOUND:
 * none. The bytes are data: the caller loads them with sieve_load, which
 * checks them again. */
int store_sieve_program(struct store_conn *sc, const char *user,
    const char *name, struct buf *prog, char *active_name,
    size_t active_name_size);

/* Sieve mailboxexists (RFC 5490): which of names[0..n) (1 to
 * STORE_MBOX_EXISTS_MAX, each at most STORE_MBOX_NAME_MAX bytes) are
 * mailboxes of user; *exists gets bit i for names[i]. */
int store_mbox_exists(struct store_conn *sc, const char *user,
    const char *const *names, size_t n, uint32_t *exists);

/* A per-user record of things seen, for vacation (RFC 5230: whom we
 * answered, per :handle), duplicate (RFC 7352) and duplicate suppression
 * at delivery (same Message-ID, same recipient). key: 32 bytes (SHA-256
 * of what identifies the thing; the caller hashes). If a record of
 * (kind,key) younger than seconds exists, *seen = true. If record is true
 * and it was not seen, it is recorded now (with that lifetime). Expired
 * records are pruned by the store. */
enum store_seen_kind {
	STORE_SEEN_VACATION = 1,
	STORE_SEEN_DUPLICATE = 2,
	STORE_SEEN_DELIVERY = 3,
};
int store_seen_check(struct store_conn *sc, const char *user, uint32_t kind,
    const uint8_t key[32], uint64_t seconds, bool record, bool *seen);

/* Deliver (as store_deliver) into user's mailbox by name (IMAP name,
 * UTF-8 as the store keeps it), creating it first when create is true
 * (RFC 5490 :create); STORE_E_NOTFOUND when it does not exist and create
 * is false (the caller then keeps to INBOX). flags: IMAP system flags
 * ("\\Seen", "\\Flagged", "\\Answered", "\\Deleted", "\\Draft") and
 * keywords (atoms), all kept (unlike store_deliver, which keeps only a
 * few of meta's); a malformed one: STORE_E_MALFORMED. A special-use
 * mailbox may be the target (Sieve fileinto "Junk" is the usual case).
 * seen[0..nseen) (at most STORE_DELIVER_SEEN_MAX) are recorded as
 * store_seen_check with record would, in the delivery's transaction and
 * only when the message is in. A record with if_new that exists already
 * (younger than its seconds) refuses the delivery: STORE_E_EXISTS, nothing
 * delivered or recorded (the duplicate check within the delivery). */
struct store_seen_rec {
	uint32_t kind;                        /* enum store_seen_kind */
	uint8_t key[STORE_SEEN_KEY_LEN];
	uint64_t seconds;
	bool if_new;
};
int store_deliver_to(struct store_conn *sc, const char *user,
    const char *mailbox, bool create, const char *const *flags,
    size_t nflags, const struct store_seen_rec *seen, size_t nseen,
    int memfd, uint64_t size, const struct store_msg_meta *meta);

/* ---- admin channel (cloisterctl via the supervisor: CTL_PEER_ADMIN) ----------- */

int store_adm_user_create(struct store_conn *sc, const char *user);
int store_adm_user_delete(struct store_conn *sc, const char *user);
struct store_user_info {
	const char *name;          /* valid during the callback */
	struct store_quota quota;
};
typedef int (*store_user_cb)(void *arg, const struct store_user_info *u);
int store_adm_user_list(struct store_conn *sc, store_user_cb cb, void *arg);
int store_adm_mbox_create(struct store_conn *sc, const char *user,
    const char *name, uint32_t use);
int store_adm_mbox_delete(struct store_conn *sc, const char *user,
    const char *name);
int store_adm_mbox_rename(struct store_conn *sc, const char *user,
    const char *from, const char *to);
/* May user+detail delivery put mail into mailbox name? Refused
 * (STORE_E_DENIED) for a special-use mailbox unless force. */
int store_adm_mbox_detail(struct store_conn *sc, const char *user,
    const char *name, bool on, bool force);
int store_adm_mbox_list(struct store_conn *sc, const char *user,
    uint32_t flags, store_mbox_cb cb, void *arg);
int store_adm_quota_get(struct store_conn *sc, const char *user,
    struct store_quota *q);
/* Limits: 0 = none. */
int store_adm_quota_set(struct store_conn *sc, const char *user,
    uint64_t storage_limit, uint64_t messages_limit);

/* Freeze the shard: checkpoint every WAL, fsync, then hold every writer
 * (readers go on) until store_adm_thaw(), this connection's close, or
 * timeout_s seconds, whichever is first. Returns once the snapshot is
 * consistent on disk. */
int store_adm_freeze(struct store_conn *sc, uint32_t timeout_s);
/* STORE_OK: released now. STORE_THAW_TIMED_OUT: the timeout had already
 * released the freeze, so a snapshot taken after that moment may be
 * inconsistent. STORE_E_NOTFOUND: no freeze was held. */
#define STORE_THAW_TIMED_OUT 1
int store_adm_thaw(struct store_conn *sc);

#endif
