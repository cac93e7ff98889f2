/* store_client_outbox: the outbox calls (see store_client.h). */
#include "store_client.h"
#include "store_client_int.h"

#include <string.h>
#include <unistd.h>

int
store_outbox_add(struct store_conn *sc, const char *user, const char *mail_from,
    const char *const *rcpts, size_t nrcpts, int memfd, uint64_t size, uint64_t send_at,
    uint64_t *id)
{
	return store_outbox_submit(sc, user, mail_from, rcpts, nrcpts, memfd,
	    size, send_at, NULL, 0, "", id);
}

int
store_outbox_submit(struct store_conn *sc, const char *user,
    const char *mail_from, const char *const *rcpts, size_t nrcpts, int memfd,
    uint64_t size, uint64_t send_at, const void *meta, size_t mlen,
    const char *msgid, uint64_t *id)
{
	struct buf_cur c;
	if (mlen > STORE_OUTBOX_META_MAX)
		return sc_fail(sc, STORE_E_ARG, "submission fields too long");
	if (nrcpts == 0 || nrcpts > STORE_OUTBOX_RCPTS_MAX ||
	    strlen(mail_from) > STORE_OUTBOX_ADDR_MAX)
		return sc_fail(sc, STORE_E_ARG, "recipients or reverse-path out of range");
	sc_start(sc);
	ipc_put_str(&sc->req, user != NULL ? user : "");
	ipc_put_str(&sc->req, mail_from);
	ipc_put_u32(&sc->req, (uint32_t)nrcpts);
	for (size_t i = 0; i < nrcpts; i++) {
		if (strlen(rcpts[i]) > STORE_OUTBOX_ADDR_MAX)
			return sc_fail(sc, STORE_E_ARG, "recipient too long");
		ipc_put_str(&sc->req, rcpts[i]);
	}
	ipc_put_u64(&sc->req, size);
	ipc_put_u64(&sc->req, send_at);
	ipc_put_bytes(&sc->req, mlen > 0 ? meta : "", mlen);
	/* a Message-ID too long to keep names nothing */
	ipc_put_str(&sc->req, strlen(msgid) <= STORE_OUTBOX_MSGID_MAX ? msgid : "");
	int rc = sc_call(sc, IPC_STORE_OUTBOX_ADD, memfd, &c, NULL);
	if (rc < 0)
		return rc;
	uint64_t got = 0;
	ipc_get_u64(&c, &got);
	if ((rc = sc_done(sc, &c)) == 0 && id != NULL)
		*id = got;
	return rc;
}

/* The entry fields after id and next_due. */
static void
get_entry(struct buf_cur *c, struct store_outbox_entry *e)
{
	uint32_t n = 0;
	ipc_get_u32(c, &e->attempts);
	ipc_get_u64(c, &e->size);
	ipc_get_str(c, e->mail_from, sizeof(e->mail_from));
	ipc_get_u32(c, &n);
	e->nrcpts = 0;
	for (uint32_t i = 0; i < n && i < STORE_OUTBOX_RCPTS_MAX; i++)
		if (ipc_get_str(c, e->rcpts[i], sizeof(e->rcpts[i])) == 0)
			e->nrcpts++;
}

int
store_outbox_claim(struct store_conn *sc, struct store_outbox_entry *e,
    uint64_t *next_due)
{
	struct buf_cur c;
	int got = -1;
	uint64_t id = 0, due = 0;
	sc_start(sc);
	e->fd = -1;
	int rc = sc_call(sc, IPC_STORE_OUTBOX_CLAIM, -1, &c, &got);
	if (rc < 0)
		return rc;
	ipc_get_u64(&c, &id);
	ipc_get_u64(&c, &due);
	if (id == 0) {
		*next_due = due;
		if (got >= 0) {
			close(got);
			return sc_fail(sc, STORE_E_PROTO, "an fd with no entry");
		}
		rc = sc_done(sc, &c);
		return rc < 0 ? rc : sc_fail(sc, STORE_E_NOTFOUND, "nothing due");
	}
	e->id = id;
	get_entry(&c, e);
	return sc_done_fd(sc, &c, got, &e->fd);
}

int
store_outbox_commit(struct store_conn *sc, uint64_t id)
{
	sc_start(sc);
	ipc_put_u64(&sc->req, id);
	return sc_call_empty(sc, IPC_STORE_OUTBOX_COMMIT);
}

int
store_outbox_result(struct store_conn *sc, uint64_t id, uint32_t outcome,
    uint64_t retry_at, const char *reply, const char *const *rcpt_replies,
    size_t nreplies)
{
	size_t n = strnlen(reply, STORE_OUTBOX_REPLY_MAX);
	if (nreplies > STORE_OUTBOX_RCPTS_MAX)
		return sc_fail(sc, STORE_E_ARG, "too many recipients");
	sc_start(sc);
	ipc_put_u64(&sc->req, id);
	ipc_put_u32(&sc->req, outcome);
	ipc_put_u64(&sc->req, retry_at);
	ipc_put_strn(&sc->req, reply, n);
	ipc_put_u32(&sc->req, (uint32_t)nreplies);
	for (size_t i = 0; i < nreplies; i++)
		ipc_put_strn(&sc->req, rcpt_replies[i], strnlen(rcpt_replies[i],
		    STORE_OUTBOX_RCPT_REPLY_MAX));
	return sc_call_empty(sc, IPC_STORE_OUTBOX_RESULT);
}

int
store_outbox_report(struct store_conn *sc, const char *user, uint32_t kind,
    uint64_t id, const char *msgid, const uint8_t hash[STORE_BLOBID_LEN],
    const struct store_report_rcpt *rc, size_t n)
{
	if (n > STORE_REPORT_RCPTS_MAX || strlen(msgid) > STORE_OUTBOX_MSGID_MAX)
		return sc_fail(sc, STORE_E_ARG, "too many recipients");
	sc_start(sc);
	ipc_put_str(&sc->req, user);
	ipc_put_u32(&sc->req, kind);
	ipc_put_u64(&sc->req, id);
	ipc_put_str(&sc->req, msgid);
	ipc_put_bytes(&sc->req, hash, STORE_BLOBID_LEN);
	ipc_put_u32(&sc->req, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		ipc_put_strn(&sc->req, rc[i].addr, strnlen(rc[i].addr,
		    STORE_OUTBOX_ADDR_MAX));
		ipc_put_u32(&sc->req, rc[i].action);
	}
	return sc_call_empty(sc, IPC_STORE_OUTBOX_REPORT);
}

/* One page of STORE_OUTBOX_LIST: each entry to cb; *after the last id. */
static int
list_page(struct store_conn *sc, struct buf_cur *c, store_submission_cb cb,
    void *arg, uint64_t *after)
{
	uint32_t n = 0;
	ipc_get_u32(c, &n);
	for (uint32_t i = 0; i < n && !c->failed; i++) {
		struct store_submission e = { 0 };
		ipc_get_u64(c, &e.id);
		ipc_get_u32(c, &e.state);
		ipc_get_u64(c, &e.send_at);
		ipc_get_u64(c, &e.created);
		ipc_get_u64(c, &e.cmodseq);
		ipc_get_u64(c, &e.modseq);
		ipc_get_u32(c, &e.hidden);
		ipc_get_strp(c, &e.mail_from, &e.from_len, STORE_OUTBOX_ADDR_MAX);
		ipc_get_bytes(c, &e.rcpts, &e.rcpts_len, STORE_OUTBOX_RCPTS_MAX *
		    (STORE_OUTBOX_ADDR_MAX + 1));
		ipc_get_strp(c, &e.reply, &e.reply_len, STORE_OUTBOX_REPLY_MAX);
		ipc_get_bytes(c, &e.meta, &e.meta_len, STORE_OUTBOX_META_MAX);
		ipc_get_bytes(c, &e.rstatus, &e.rstatus_len,
		    STORE_OUTBOX_RCPTS_MAX * (STORE_OUTBOX_RCPT_REPLY_MAX + 2));
		ipc_get_bytes(c, &e.dsn, &e.dsn_len, STORE_OUTBOX_REPORTS_MAX *
		    STORE_BLOBID_LEN);
		ipc_get_bytes(c, &e.mdn, &e.mdn_len, STORE_OUTBOX_REPORTS_MAX *
		    STORE_BLOBID_LEN);
		ipc_get_bytes(c, &e.displayed, &e.displayed_len,
		    STORE_OUTBOX_RCPTS_MAX);
		if (c->failed)
			break;
		*after = e.id;
		int rc = cb(arg, &e);
		if (rc < 0)
			return sc_fail(sc, rc, "listing stopped");
	}
	return c->failed ? sc_fail(sc, STORE_E_PROTO, "bad outbox list") : 0;
}

int
store_outbox_list(struct store_conn *sc, uint64_t since,
    store_submission_cb cb, void *arg, uint64_t *state)
{
	uint64_t after = 0;
	/* pages of at least one entry each: bounded by the user's entries,
	 * and here by a cap no real account reaches */
	for (int page = 0; page < 100000; page++) {
		struct buf_cur c;
		uint64_t st = 0;
		uint32_t more = 0;
		sc_start(sc);
		ipc_put_u64(&sc->req, since);
		ipc_put_u64(&sc->req, after);
		int rc = sc_call(sc, IPC_STORE_OUTBOX_LIST, -1, &c, NULL);
		if (rc < 0)
			return rc;
		ipc_get_u64(&c, &st);
		ipc_get_u32(&c, &more);
		if (page == 0)
			*state = st;   /* the oldest: a later change is told again */
		if ((rc = list_page(sc, &c, cb, arg, &after)) < 0 ||
		    (rc = sc_done(sc, &c)) < 0)
			return rc;
		if (!more)
			return 0;
	}
	return sc_fail(sc, STORE_E_PROTO, "outbox list does not end");
}

int
store_outbox_change(struct store_conn *sc, uint64_t id, uint32_t op,
    uint64_t *state)
{
	struct buf_cur c;
	sc_start(sc);
	ipc_put_u64(&sc->req, id);
	ipc_put_u32(&sc->req, op);
	int rc = sc_call(sc, IPC_STORE_OUTBOX_CHANGE, -1, &c, NULL);
	if (rc < 0)
		return rc;
	uint64_t got = 0;
	ipc_get_u64(&c, &got);
	if ((rc = sc_done(sc, &c)) == 0 && state != NULL)
		*state = got;
	return rc;
}

struct outbox_ctx {
	store_outbox_cb cb;
	void *arg;
	bool stop;
};

static int
outbox_entry(struct store_conn *sc, struct buf_cur *c, void *ctx)
{
	struct outbox_ctx *oc = ctx;
	static char user[STORE_USER_MAX + 1], from[STORE_OUTBOX_ADDR_MAX + 1],
	    reply[STORE_OUTBOX_REPLY_MAX + 1];
	struct store_outbox_info o;
	(void)sc;
	ipc_get_u64(c, &o.id);
	ipc_get_str(c, user, sizeof(user));
	ipc_get_u32(c, &o.state);
	ipc_get_u32(c, &o.attempts);
	ipc_get_u64(c, &o.next_try);
	ipc_get_u64(c, &o.size);
	ipc_get_str(c, from, sizeof(from));
	ipc_get_u32(c, &o.nrcpts);
	if (ipc_get_str(c, reply, sizeof(reply)) < 0)
		return -1;
	o.user = user;
	o.mail_from = from;
	o.reply = reply;
	SC_STREAM_DELIVER(oc, &o);
	return 0;
}

int
store_adm_outbox_list(struct store_conn *sc, store_outbox_cb cb, void *arg)
{
	struct outbox_ctx oc = { cb, arg, false };
	struct stream_ops ops = { outbox_entry, NULL, &oc };
	sc_start(sc);
	return sc_call_stream(sc, IPC_STORE_ADM_OUTBOX_LIST, &ops);
}
