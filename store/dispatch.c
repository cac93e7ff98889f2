/* dispatch: the request table and the sender checks (see dispatch.h). */
#include "dispatch.h"
#include "budget.h"
#include "chan.h"
#include "db.h"
#include "freeze.h"
#include "handlers.h"
#include "log.h"
#include "mailbox.h"
#include "outbox.h"
#include "outbox_status.h"
#include "push.h"
#include "request_slots.h"
#include "rights.h"
#include "snooze.h"
#include "stats.h"
#include "user.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct op {
	uint32_t type;
	unsigned flags;
	int (*fn)(struct req *r);
};

/* Which state and rights each request needs. Which *service* may send it
 * is policy (store-op lines), checked in allowed() below. */
static const struct op ops[] = {
	{ IPC_PING, OP_ANY, h_ping },
	{ IPC_STORE_HELLO, OP_HELLO, h_hello },
	{ IPC_STORE_RCPT_CHECK, OP_DELIVER, h_rcpt_check },
	{ IPC_STORE_DELIVER, OP_DELIVER | OP_WRITE | OP_FD, h_deliver },
	{ IPC_STORE_RCPT_PROVISION, OP_DELIVER, h_rcpt_provision },
	{ IPC_STORE_MBOX_LIST, OP_TICKET, h_mbox_list },
	{ IPC_STORE_MBOX_CREATE, OP_TICKET | OP_WRITE, h_mbox_create },
	{ IPC_STORE_MBOX_DELETE, OP_TICKET | OP_WRITE, h_mbox_delete },
	{ IPC_STORE_MBOX_RENAME, OP_TICKET | OP_WRITE, h_mbox_rename },
	{ IPC_STORE_MBOX_SUBSCRIBE, OP_TICKET | OP_WRITE, h_mbox_subscribe },
	{ IPC_STORE_MBOX_STATUS, OP_TICKET, h_mbox_status },
	{ IPC_STORE_MBOX_SET_USE, OP_TICKET | OP_WRITE, h_mbox_set_use },
	{ IPC_STORE_RECENT_CLAIM, OP_TICKET, h_recent_claim },  /* writes if it takes */
	{ IPC_STORE_KEYWORDS, OP_TICKET, h_keywords },
	{ IPC_STORE_APPEND, OP_TICKET | OP_WRITE | OP_FD, h_append },
	{ IPC_STORE_FETCH, OP_TICKET, h_fetch },
	{ IPC_STORE_BODY, OP_TICKET, h_body },
	{ IPC_STORE_BODIES, OP_TICKET, h_bodies },
	{ IPC_STORE_FLAGS, OP_TICKET | OP_WRITE, h_flags },
	{ IPC_STORE_COPY, OP_TICKET | OP_WRITE, h_copy },
	{ IPC_STORE_MOVE, OP_TICKET | OP_WRITE, h_move },
	{ IPC_STORE_EXPUNGE, OP_TICKET | OP_WRITE, h_expunge },
	{ IPC_STORE_CHANGES, OP_TICKET, h_changes },
	{ IPC_STORE_SEARCH, OP_TICKET, h_search },
	{ IPC_STORE_STATE, OP_TICKET, h_state },
	{ IPC_STORE_MBOX_CHANGES, OP_TICKET, h_mbox_changes },
	{ IPC_STORE_EMAIL_CHANGES, OP_TICKET, h_email_changes },
	{ IPC_STORE_BLOB_GET, OP_TICKET, h_blob_get },
	{ IPC_STORE_BLOB_UPLOAD, OP_TICKET | OP_WRITE | OP_FD, h_blob_upload },
	{ IPC_STORE_BLOB_APPEND, OP_TICKET | OP_WRITE | OP_FD, h_blob_append },
	{ IPC_STORE_THREAD_GET, OP_TICKET, h_thread_get },
	{ IPC_STORE_EMAIL_LOCATE, OP_TICKET, h_email_locate },
	{ IPC_STORE_EMAIL_LOCATE_MANY, OP_TICKET, h_email_locate_many },
	{ IPC_STORE_SNOOZE_SET, OP_TICKET | OP_WRITE, h_snooze_set },
	{ IPC_STORE_SNOOZE_GET, OP_TICKET, h_snooze_get },
	{ IPC_STORE_THREAD_COUNTS, OP_TICKET, h_thread_counts },
	{ IPC_STORE_EMAIL_QUERY, OP_TICKET, h_email_query },
	{ IPC_STORE_THREAD_CHANGES, OP_TICKET, h_thread_changes },
	{ IPC_STORE_THREAD_PEERS, OP_TICKET, h_thread_peers },
	{ IPC_STORE_QUOTA_GET, OP_TICKET, h_quota_get },
	{ IPC_STORE_WATCH, OP_TICKET, h_watch },
	{ IPC_STORE_OBJ_GET, OP_TICKET, h_obj_get },
	/* the push right (cloister-pushd): no ticket, any user of the shard,
	 * the subscription document and change events only (push_sub.c) */
	{ IPC_STORE_PUSH_WATCH, OP_DELIVER, h_push_watch },
	{ IPC_STORE_PUSH_GET, OP_DELIVER, h_push_get },
	{ IPC_STORE_PUSH_PUT, OP_DELIVER | OP_WRITE, h_push_put },
	{ IPC_STORE_OBJ_SET, OP_TICKET | OP_WRITE, h_obj_set },
	{ IPC_STORE_API_SLOT, OP_TICKET, h_api_slot },
	{ IPC_STORE_SIEVE_LIST, OP_TICKET, h_sieve_list },
	{ IPC_STORE_SIEVE_PUT, OP_TICKET | OP_WRITE | OP_FD, h_sieve_put },
	{ IPC_STORE_SIEVE_GET, OP_TICKET, h_sieve_get },
	{ IPC_STORE_SIEVE_ACTIVATE, OP_TICKET | OP_WRITE, h_sieve_activate },
	{ IPC_STORE_SIEVE_DELETE, OP_TICKET | OP_WRITE, h_sieve_delete },
	{ IPC_STORE_SIEVE_RENAME, OP_TICKET | OP_WRITE, h_sieve_rename },
	{ IPC_STORE_SIEVE_HAVESPACE, OP_TICKET, h_sieve_havespace },
	/* the delivery right's Sieve calls: read a program, keep seen
	 * records, file into a mailbox by name, whether mailboxes exist */
	{ IPC_STORE_SIEVE_PROGRAM, OP_DELIVER, h_sieve_program },
	{ IPC_STORE_SEEN_CHECK, OP_DELIVER | OP_WRITE, h_seen_check },
	{ IPC_STORE_DELIVER_TO, OP_DELIVER | OP_WRITE | OP_FD, h_deliver_to },
	{ IPC_STORE_MBOX_EXISTS, OP_DELIVER, h_mbox_exists },
	/* a user session or the delivery right (the handler tells which) */
	{ IPC_STORE_OUTBOX_ADD, OP_WRITE | OP_FD, h_outbox_add },
	/* submitd: no ticket (the handler refuses a bound channel) */
	{ IPC_STORE_OUTBOX_CLAIM, OP_WRITE, h_outbox_claim },
	{ IPC_STORE_OUTBOX_COMMIT, OP_WRITE, h_outbox_commit },
	{ IPC_STORE_OUTBOX_RESULT, OP_WRITE, h_outbox_result },
	/* lmtpd: a DSN delivered to a user names one of its submissions */
	{ IPC_STORE_OUTBOX_REPORT, OP_DELIVER | OP_WRITE, h_outbox_report },
	/* a user session's JMAP submissions */
	{ IPC_STORE_OUTBOX_LIST, OP_TICKET, h_outbox_list },
	{ IPC_STORE_OUTBOX_CHANGE, OP_TICKET | OP_WRITE, h_outbox_change },
	/* STORE_NOTIFY: stored sends it; no one may send it to stored */
	{ IPC_STORE_ADM_USER_CREATE, OP_ADMIN | OP_WRITE, h_adm_user_create },
	{ IPC_STORE_ADM_USER_DELETE, OP_ADMIN | OP_WRITE, h_adm_user_delete },
	{ IPC_STORE_ADM_USER_LIST, OP_ADMIN, h_adm_user_list },
	{ IPC_STORE_ADM_MBOX_CREATE, OP_ADMIN | OP_WRITE, h_adm_mbox_create },
	{ IPC_STORE_ADM_MBOX_DELETE, OP_ADMIN | OP_WRITE, h_adm_mbox_delete },
	{ IPC_STORE_ADM_MBOX_RENAME, OP_ADMIN | OP_WRITE, h_adm_mbox_rename },
	{ IPC_STORE_ADM_MBOX_LIST, OP_ADMIN, h_adm_mbox_list },
	{ IPC_STORE_ADM_QUOTA_GET, OP_ADMIN, h_adm_quota_get },
	{ IPC_STORE_ADM_QUOTA_SET, OP_ADMIN | OP_WRITE, h_adm_quota_set },
	{ IPC_STORE_ADM_FREEZE, OP_ADMIN, h_adm_freeze },
	{ IPC_STORE_ADM_THAW, OP_ADMIN, h_adm_thaw },
	{ IPC_STORE_ADM_MBOX_DETAIL, OP_ADMIN | OP_WRITE, h_adm_mbox_detail },
	{ IPC_STORE_ADM_OUTBOX_ADD, OP_ADMIN | OP_WRITE | OP_FD, h_outbox_add },
	{ IPC_STORE_ADM_OUTBOX_LIST, OP_ADMIN, h_adm_outbox_list },
	/* migration: UIDs the source chose, which no worker may choose */
	{ IPC_STORE_ADM_IMPORT_MBOX, OP_ADMIN | OP_WRITE, h_adm_import_mbox },
	{ IPC_STORE_ADM_IMPORT_APPEND, OP_ADMIN | OP_WRITE | OP_FD,
	  h_adm_import_append },
	{ IPC_STORE_ADM_MSG_LIST, OP_ADMIN, h_adm_msg_list },
	{ IPC_STORE_ADM_BODY, OP_ADMIN, h_adm_body },
	{ IPC_STORE_ADM_SIEVE_PUT, OP_ADMIN | OP_WRITE | OP_FD, h_adm_sieve_put },
	/* list and get too: a freeze holds them (one type for four calls) */
	{ IPC_STORE_ADM_SIEVE, OP_ADMIN | OP_WRITE, h_adm_sieve },
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))
#define TYPE_SLOTS RIGHTS_TYPE_SLOTS

static const struct op *by_type[TYPE_SLOTS];

bool
dispatch_type_writes(uint32_t type)
{
	return type < TYPE_SLOTS && by_type[type] != NULL &&
	    (by_type[type]->flags & OP_WRITE) != 0;
}

/* A channel closed: its freeze ends, its outbox claims are released. */
static void
chan_closed(struct chan *ch)
{
	freeze_chan_closed(ch);
	outbox_chan_closed(ch);
}

void
dispatch_init(const struct config *c)
{
	for (size_t i = 0; i < NOPS; i++)
		by_type[ops[i].type] = &ops[i];
	/* a database created by a crash-interrupted user creation may lack
	 * its INBOX: every database gets one as it is opened */
	user_on_db_open(mailbox_ensure_inbox);
	rights_load(c);
	/* the layers below report up through these (chan.h, freeze.h) */
	static const struct chan_hooks hooks = {
		.closed = chan_closed, .drained = push_retry,
	};
	chan_set_hooks(&hooks);
	freeze_set_runner(dispatch);
}

/* The channel states a request's flags rule out, and why: data, which
 * tests/unit/test_store_dispatch.c walks with the rest of the verdict. */
static const struct {
	unsigned flag;           /* a request with this flag ... */
	bool bound;              /* ... on a channel bound to a user (or not) */
	const char *why;         /* ... is refused, saying this */
} state_rules[] = {
	{ OP_HELLO, true, " (already bound to a user)" },
	{ OP_TICKET, false, " (no valid STORE_HELLO yet)" },
	{ OP_DELIVER, true, " (the delivery right takes no ticket)" },
};

/* May ch's sender send type at all: the admin flag's operations, or its
 * service's policy (the table's flags decide the rest). */
static bool
allowed(const struct chan *ch, const struct op *op)
{
	if (ch->admin)
		return (op->flags & OP_ADMIN) != 0 || op->type == IPC_PING;
	if (op->flags & OP_ADMIN)
		return false;
	return rights_may(ch->svc, op->type);
}

enum verdict
dispatch_verdict(const struct chan *ch, uint32_t type, const char **why)
{
	const struct op *op = type < TYPE_SLOTS ? by_type[type] : NULL;
	*why = "";
	if (op == NULL || !allowed(ch, op))
		return V_REFUSE_TYPE;
	for (size_t i = 0; i < sizeof(state_rules) / sizeof(state_rules[0]); i++)
		if ((op->flags & state_rules[i].flag) &&
		    (ch->user != NULL) == state_rules[i].bound) {
			*why = state_rules[i].why;
			return V_REFUSE_STATE;
		}
	/* The only cost a freeze puts on the write path: one load and test
	 * of a global, no lock, no syscall. */
	if (db_frozen && (op->flags & OP_WRITE))
		return V_HOLD;
	return V_SERVE;
}

static const char *
type_name(uint32_t type, char *tmp, size_t n)
{
	const char *s = ipc_type_name(type);
	if (s != NULL)
		return s;
	snprintf(tmp, n, "type %u", type);
	return tmp;
}

static void
refuse(struct chan *ch, struct ipc_msg *m, const char *why)
{
	char tmp[32];
	const char *t = type_name(m->type, tmp, sizeof(tmp));
	log_warn("unexpected %s from %s[%llu]%s", t, ch->service,
	    (unsigned long long)ch->instance, why);
	struct req r = { .ch = ch, .m = m, .type = m->type, .fd = -1, .rfd = -1 };
	chan_reply_begin(&r);
	int rc = req_fail(&r, IPC_ERR_UNEXPECTED, "unexpected %s from %s", t,
	    ch->service);
	chan_reply_finish(&r, rc);
	ipc_msg_close_fd(m);
}

void
dispatch(struct chan *ch, struct ipc_msg *m)
{
	const char *why;
	switch (dispatch_verdict(ch, m->type, &why)) {
	case V_REFUSE_TYPE:
	case V_REFUSE_STATE:
		refuse(ch, m, why);
		return;
	case V_HOLD:
		if (freeze_hold(ch, m))
			return;
		break;
	case V_SERVE:
		break;
	}
	const struct op *op = by_type[m->type];

	struct req r = { .ch = ch, .m = m, .type = m->type, .opflags = op->flags,
		.fd = m->fd, .rfd = -1 };
	m->fd = -1;
	ipc_msg_cursor(m, &r.c);
	chan_reply_begin(&r);
	int rc;
	if (m->flags & IPC_F_MORE)
		rc = req_fail(&r, IPC_ERR_MALFORMED, "a request is one record");
	else if ((op->flags & OP_FD) && r.fd < 0)
		rc = req_fail(&r, IPC_ERR_MALFORMED, "%s needs an fd",
		    ipc_type_name(m->type));
	else if (!(op->flags & OP_FD) && r.fd >= 0)
		rc = req_fail(&r, IPC_ERR_MALFORMED, "an fd where none belongs");
	else if ((op->flags & OP_TICKET) && ch->user->deleted)
		rc = req_fail(&r, IPC_ERR_NOTFOUND, "the user was deleted");
	else {
		if (op->flags & OP_TICKET)
			r.u = ch->user;
		budget_begin();
		rc = op->fn(&r);
		budget_end();
		/* whatever the handler made of an interrupted statement, a
		 * request over its budget fails whole (and is rolled back) */
		const char *spent = budget_exceeded();
		if (spent != NULL && (rc != -IPC_ERR_LIMIT || r.err[0] == '\0'))
			rc = req_fail(&r, IPC_ERR_LIMIT, "request too expensive "
			    "(%s): narrow it", spent);
	}
	if (r.writing) {
		int lost = db_write_end(r.d, rc == 0);
		if (rc == 0 && lost < 0)
			rc = req_fail(&r, -lost, "the store could not write");
		else if (rc == 0 && db_note_ack(r.d, ch, m->reqid) < 0)
			rc = req_fail(&r, IPC_ERR_INTERNAL, "out of memory");
	}
	stats_add(ST_STORE_OPS, 1);
	if (rc == 0 && (m->type == IPC_STORE_APPEND ||
	    m->type == IPC_STORE_DELIVER || m->type == IPC_STORE_DELIVER_TO))
		stats_add(ST_STORE_APPENDS, 1);
	if (r.fd >= 0)
		close(r.fd);
	chan_reply_finish(&r, rc);
	/* group commit across peers: a read served while no write of this
	 * turn is open saw committed data only, so its answer need not wait
	 * for the turn's fsyncs; the peer's next request (a delivery, say)
	 * then joins the next turn's commit instead of trailing it */
	if (!r.writing && !ch->admin && !db_dirty())
		chan_send_early(ch);
	if (r.u != NULL && r.u != ch->user)
		user_maybe_free(r.u);
}
