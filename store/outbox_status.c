/* outbox_status: what became of each recipient of an outbox entry (see
 * outbox_status.h): the relay's reply to it, recorded by submitd with the
 * entry's result, and the delivery status (RFC 3464) and disposition
 * (RFC 8098) notifications that came back to the entry's user, linked by
 * lmtpd. */
#include "outbox_status.h"
#include "db.h"
#include "ipc.h"
#include "log.h"
#include "outbox.h"
#include "outbox_proto.h"
#include "request.h"
#include "store_proto.h"
#include "user.h"

#include <string.h>
#include <strings.h>

enum { S_RCPTS, S_SET, S_MSGID, S_NSTMT };
static sqlite3 *sdb;
static sqlite3_stmt *sst[S_NSTMT];
static const char *const ssql[S_NSTMT] = {
	[S_RCPTS] = "SELECT rcpts, rstatus, dsn, user, meta!=x'', mdn, displayed"
	    " FROM outbox WHERE id=?",
	[S_SET] = "UPDATE outbox SET rstatus=?, dsn=?, mdn=?, displayed=?,"
	    " modseq=? WHERE id=?",
	/* the latest submission of the user whose message has that id */
	[S_MSGID] = "SELECT max(id) FROM outbox WHERE user=? AND msgid=? AND"
	    " msgid!='' AND meta!=x''",
};

void
outbox_status_open(sqlite3 *db)
{
	sdb = db;
	for (int i = 0; i < S_NSTMT; i++)
		if (sqlite3_prepare_v3(db, ssql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &sst[i], NULL) != SQLITE_OK)
			log_fatal("outbox: prepare: %s", sqlite3_errmsg(db));
}

static sqlite3_stmt *
sstmt(int i, uint64_t id)
{
	sqlite3_reset(sst[i]);
	sqlite3_clear_bindings(sst[i]);
	sqlite3_bind_int64(sst[i], i == S_SET ? 6 : 1, (sqlite3_int64)id);
	return sst[i];
}

static uint32_t
count_nul(const char *p, size_t n)
{
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\0';
	return k;
}

int
outbox_status_get(struct buf_cur *c, struct outbox_rcpt_replies *rr)
{
	rr->n = 0;
	ipc_get_u32(c, &rr->n);
	if (rr->n > STORE_OUTBOX_RCPTS_MAX)
		return -1;
	for (uint32_t i = 0; i < rr->n; i++)
		if (ipc_get_strp(c, &rr->text[i], &rr->len[i],
		    STORE_OUTBOX_RCPT_REPLY_MAX) < 0)
			return -1;
	return 0;
}

/* One record: a 5xx for the recipient is "no" now; anything else follows
 * the entry's state. The text printable ASCII only. */
static int
put_record(struct buf *out, const char *text, size_t len)
{
	char d = len > 0 && text[0] == '5' ? STORE_DLV_NO : STORE_DLV_STATE;
	if (buf_append(out, &d, 1) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		char k = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		if (buf_append(out, &k, 1) < 0)
			return -1;
	}
	return buf_append(out, "", 1);
}

int
outbox_status_build(uint64_t id, const struct outbox_rcpt_replies *rr,
    struct buf *out)
{
	buf_reset(out);
	if (rr->n == 0)
		return 0;
	sqlite3_stmt *st = sstmt(S_RCPTS, id);
	uint32_t nrcpts = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		nrcpts = count_nul(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	if (nrcpts != rr->n)
		return -1;
	for (uint32_t i = 0; i < rr->n; i++)
		if (put_record(out, rr->text[i], rr->len[i]) < 0)
			return -1;
	return out->failed ? -1 : 0;
}

/* ---- STORE_OUTBOX_REPORT ---------------------------------------------------- */

static char
delivered_of(uint32_t action)
{
	switch (action) {
	case STORE_REPORT_FAILED:
		return STORE_DLV_NO;
	case STORE_REPORT_DELAYED:
		return STORE_DLV_QUEUED;
	case STORE_REPORT_DELIVERED:
		return STORE_DLV_YES;
	case STORE_REPORT_RELAYED:
	case STORE_REPORT_EXPANDED:
		return STORE_DLV_UNKNOWN;
	default:
		return 0;       /* an MDN's: delivered stays */
	}
}

/* The displayed bytes of an entry of n recipients (one each, '-' where
 * none was recorded) into out. */
static void
displayed_bytes(sqlite3_stmt *st, uint32_t n, struct buf *out)
{
	const void *d = sqlite3_column_blob(st, 6);
	size_t len = (size_t)sqlite3_column_bytes(st, 6);
	buf_reset(out);
	if (len == n)
		buf_append(out, d, len);
	else
		for (uint32_t i = 0; i < n; i++)
			buf_append(out, "-", 1);
}

/* The status records of an entry (its rstatus, or one '-' record per
 * recipient if it has none yet) into out; the byte offset of each
 * record into at[], the addresses into addr[]. The record count. */
static uint32_t
records(sqlite3_stmt *st, struct buf *out, size_t at[], const char *addr[])
{
	const char *rc = sqlite3_column_blob(st, 0);
	size_t rlen = (size_t)sqlite3_column_bytes(st, 0);
	const char *rs = sqlite3_column_blob(st, 1);
	size_t slen = (size_t)sqlite3_column_bytes(st, 1);
	uint32_t n = count_nul(rc, rlen);
	buf_reset(out);
	if (n > STORE_OUTBOX_RCPTS_MAX)
		return 0;
	if (count_nul(rs, slen) == n && slen > 0)
		buf_append(out, rs, slen);
	else
		for (uint32_t i = 0; i < n; i++)
			buf_append(out, "-", 2);
	for (size_t i = 0, k = 0, a = 0; k < n; k++) {
		addr[k] = rc + a;
		a += strnlen(rc + a, rlen - a) + 1;
		at[k] = i;
		i += strnlen((const char *)out->data + i, out->len - i) + 1;
	}
	return out->failed ? 0 : n;
}

/* Add the 32-byte content id (NULL: none) to the entry's list (dsn,
 * dlen bytes) into out unless it is there or the list is full. */
static void
add_blob(struct buf *out, const void *dsn, size_t dlen, const uint8_t *hash)
{
	buf_reset(out);
	buf_append(out, dsn, dlen);
	if (hash == NULL)
		return;
	for (size_t i = 0; i + STORE_BLOBID_LEN <= dlen; i += STORE_BLOBID_LEN)
		if (memcmp((const uint8_t *)dsn + i, hash, STORE_BLOBID_LEN) == 0)
			return;
	if (dlen / STORE_BLOBID_LEN < STORE_OUTBOX_REPORTS_MAX)
		buf_append(out, hash, STORE_BLOBID_LEN);
}

/* Is the content id one of the user's messages? */
static bool
users_blob(struct req *r, const uint8_t *hash)
{
	if (req_db(r) < 0)
		return false;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->d->db, "SELECT 1 FROM blob WHERE hash=?", -1,
	    &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_blob(st, 1, hash, STORE_BLOBID_LEN, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

struct report {
	uint32_t kind;
	uint64_t id;
	const uint8_t *hash;
	uint32_t n;
	const char *rcpt[STORE_REPORT_RCPTS_MAX];
	size_t rlen[STORE_REPORT_RCPTS_MAX];
	uint32_t action[STORE_REPORT_RCPTS_MAX];
};

/* Apply the report to entry id of user, if it is one of the user's
 * submissions: the number of recipients it changed, or -1. */
static int
apply(struct req *r, const struct report *p)
{
	static struct buf rs = BUF_INIT(OUTBOX_RSTATUS_MAX), dsn = BUF_INIT(1024),
	    mdn = BUF_INIT(1024), disp = BUF_INIT(STORE_OUTBOX_RCPTS_MAX);
	static size_t at[STORE_OUTBOX_RCPTS_MAX];
	static const char *addr[STORE_OUTBOX_RCPTS_MAX];
	sqlite3_stmt *st = sstmt(S_RCPTS, p->id);
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 3), r->u->name) != 0 ||
	    sqlite3_column_int(st, 4) == 0) {
		sqlite3_reset(st);
		return -1;    /* none, another user's, or not a submission */
	}
	uint32_t n = records(st, &rs, at, addr);
	bool is_dsn = p->kind == STORE_REPORT_DSN;
	add_blob(&dsn, sqlite3_column_blob(st, 2),
	    (size_t)sqlite3_column_bytes(st, 2), is_dsn ? p->hash : NULL);
	add_blob(&mdn, sqlite3_column_blob(st, 5),
	    (size_t)sqlite3_column_bytes(st, 5), is_dsn ? NULL : p->hash);
	displayed_bytes(st, n, &disp);
	int changed = 0;
	for (uint32_t k = 0; k < p->n; k++) {
		char d = delivered_of(p->action[k]);
		bool shown = !is_dsn && p->action[k] == STORE_REPORT_DISPLAYED;
		for (uint32_t i = 0; (d != 0 || shown) && i < n; i++)
			if (strlen(addr[i]) == p->rlen[k] &&
			    strncasecmp(addr[i], p->rcpt[k], p->rlen[k]) == 0) {
				if (is_dsn && d != 0)
					rs.data[at[i]] = (uint8_t)d;
				if (shown && !disp.failed)
					disp.data[i] = 'y';
				changed++;
			}
	}
	sqlite3_reset(st);
	if (rs.failed || dsn.failed || mdn.failed || disp.failed)
		return -1;
	st = sstmt(S_SET, p->id);
	sqlite3_bind_blob(st, 1, rs.data, (int)rs.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, dsn.len > 0 ? (const void *)dsn.data : "",
	    (int)dsn.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, mdn.len > 0 ? (const void *)mdn.data : "",
	    (int)mdn.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, disp.len > 0 ? (const void *)disp.data : "",
	    (int)disp.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)outbox_next_modseq());
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? changed : -1;
}

/* The entry an MDN names: the user's latest submission whose message
 * has that Message-ID, or 0. */
static uint64_t
by_msgid(const char *user, const char *msgid, size_t len)
{
	sqlite3_stmt *st = sst[S_MSGID];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, msgid, (int)len, SQLITE_STATIC);
	uint64_t id = sqlite3_step(st) == SQLITE_ROW ?
	    (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return id;
}

/* user, kind, id (DSN: the submission the report's envelope id names),
 * msgid (MDN: the Message-ID it names), content id of the report as
 * delivered, u32 n, n x (str recipient, u32 action).
 * The reply is a status only: whether it linked (whether the user holds
 * that message, whether id is theirs) is not the delivery right's to
 * learn. */
int
h_outbox_report(struct req *r)
{
	static struct report p;
	const char *user = "", *msgid = "";
	size_t ulen = 0, hlen = 0, idlen = 0;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	p.kind = 0;
	ipc_get_u32(&r->c, &p.kind);
	ipc_get_u64(&r->c, &p.id);
	ipc_get_strp(&r->c, &msgid, &idlen, STORE_OUTBOX_MSGID_MAX);
	ipc_get_bytes(&r->c, &p.hash, &hlen, STORE_BLOBID_LEN);
	p.n = 0;
	ipc_get_u32(&r->c, &p.n);
	if (p.n > STORE_REPORT_RCPTS_MAX || hlen != STORE_BLOBID_LEN ||
	    (p.kind != STORE_REPORT_DSN && p.kind != STORE_REPORT_MDN))
		return req_fail(r, IPC_ERR_MALFORMED, "a kind, a content id and"
		    " at most %u recipients", STORE_REPORT_RCPTS_MAX);
	for (uint32_t k = 0; k < p.n; k++) {
		ipc_get_strp(&r->c, &p.rcpt[k], &p.rlen[k], STORE_OUTBOX_ADDR_MAX);
		ipc_get_u32(&r->c, &p.action[k]);
	}
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_named_user(r, user, ulen)) < 0)
		return rc;
	if (p.kind == STORE_REPORT_MDN)
		p.id = idlen > 0 ? by_msgid(r->u->name, msgid, idlen) : 0;
	int changed = users_blob(r, p.hash) ? apply(r, &p) : -1;
	if (changed < 0) {
		log_info("outbox: a report for %s names %llu: not linked",
		    r->u->name, (unsigned long long)p.id);
		return 0;
	}
	log_info("outbox: a report for %s linked to %llu (%d recipient(s))",
	    r->u->name, (unsigned long long)p.id, changed);
	outbox_notify(r->u->name, r->ch);
	return 0;
}
