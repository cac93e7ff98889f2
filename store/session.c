/* session: binding a channel to its user (STORE_HELLO), the delivery
 * right, notifications and quota requests (handlers in handlers.h). */
#include "chan.h"
#include "request.h"
#include "db.h"
#include "delivery.h"
#include "rights.h"
#include "handlers.h"
#include "key.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "message.h"
#include "notify.h"
#include "quota.h"
#include "options.h"
#include "ticket.h"
#include "user.h"
#include "wire.h"

#include <string.h>
#include <time.h>

int
h_ping(struct req *r)
{
	/* echo the payload, whatever it holds */
	r->rtype = IPC_PONG;
	buf_append(r->rb, r->m->payload, r->m->len);
	r->c.p += r->c.left;
	r->c.left = 0;
	return req_end_of_fields(r);
}

/* The one field of STORE_HELLO and STORE_RCPT_PROVISION, a ticket minted
 * by authd for this very channel, and the user it names, created now if
 * the store does not know it yet: a valid ticket proves authd found the
 * name in the password database, so a user made with saslpasswd2 alone
 * gets its store at first login or first delivery, as Dovecot and Cyrus
 * users expect. Sets r->u (dispatch lets it go). */
static int
ticket_user(struct req *r, bool delivery, bool *created)
{
	const uint8_t *t;
	size_t n;
	char name[TICKET_USER_MAX + 1];
	ipc_get_bytes(&r->c, &t, &n, TICKET_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	/* design.md: privileged handlers re-check, whatever the table said */
	if (r->ch->user != NULL || (delivery && (r->ch->admin ||
	    !rights_may(r->ch->svc, IPC_STORE_DELIVER))))
		return req_fail(r, IPC_ERR_UNEXPECTED, "unexpected %s%s from %s",
		    delivery ? "" : "second ", ipc_type_name(r->type),
		    r->ch->service);
	const uint8_t *key = key_get();
	if (key == NULL)
		return req_fail(r, IPC_ERR_TEMPORARY, "no ticket key yet");
	enum ticket_result tr = ticket_verify(key, t, n, r->ch->service,
	    r->ch->instance, (uint64_t)time(NULL), name, sizeof(name));
	if (tr != TICKET_OK) {
		log_warn("refused a ticket from %s[%llu]: %s", r->ch->service,
		    (unsigned long long)r->ch->instance, ticket_result_name(tr));
		return req_fail(r, IPC_ERR_DENIED, "invalid ticket");
	}
	bool other = false;
	*created = false;
	r->u = user_get(name, &other);
	if (r->u == NULL && !other && options_autocreate_users()) {
		/* not during a freeze: the snapshot must not move */
		if (db_frozen)
			return req_fail(r, IPC_ERR_TEMPORARY,
			    "the store is frozen for a backup; try again");
		if ((rc = user_create(r, name)) < 0)
			return rc;
		*created = true;
		log_info("%s[%llu]: created user %s at first %s",
		    r->ch->service, (unsigned long long)r->ch->instance, name,
		    delivery ? "delivery" : "login");
	}
	if (r->u == NULL) {
		log_warn("%s[%llu]: valid ticket for %s, who is %s",
		    r->ch->service, (unsigned long long)r->ch->instance, name,
		    other ? "in another shard" : "not a user");
		return req_fail(r, other ? IPC_ERR_DENIED : IPC_ERR_NOTFOUND,
		    other ? "user of another shard" : "no such user");
	}
	return 0;
}

int
h_hello(struct req *r)
{
	bool created;
	int rc = ticket_user(r, false, &created);
	if (rc < 0 || (!created && (rc = req_db(r)) < 0))
		return rc;
	struct user *u = r->u;
	r->ch->user = u;
	u->nref++;
	ipc_put_str(r->rb, u->name);
	ipc_put_u64(r->rb, r->d->modseq);
	return 0;
}

/* The delivery right: re-checked here whatever the table said
 * (docs/design.md: privileged handlers re-check). */
static int
delivery_user(struct req *r, const char *name, size_t len)
{
	return delivery_user_for(r, IPC_STORE_DELIVER, name, len);
}

int
delivery_user_for(struct req *r, uint32_t right, const char *name, size_t len)
{
	if (r->ch->admin || !rights_may(r->ch->svc, right) ||
	    r->ch->user != NULL)
		return req_fail(r, IPC_ERR_UNEXPECTED, "unexpected %s from %s",
		    ipc_type_name(r->type), r->ch->service);
	int rc = req_named_user(r, name, len);
	return rc < 0 ? rc : req_db(r);
}

int
h_rcpt_check(struct req *r)
{
	const char *user;
	size_t len;
	uint64_t size;
	ipc_get_strp(&r->c, &user, &len, STORE_USER_MAX);
	ipc_get_u64(&r->c, &size);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = delivery_user(r, user, len)) < 0)
		return rc;
	return quota_check(r, r->d, size, 1);
}

/* A recipient the store does not know yet, whom authd found in the
 * password database (AUTH_RCPT): its ticket, minted for this channel,
 * creates the store under the first login's rules. lmtpd cannot name a
 * user of its own choosing: only what authd signed. */
int
h_rcpt_provision(struct req *r)
{
	bool created;
	return ticket_user(r, true, &created);
}

int
h_deliver(struct req *r)
{
	const char *user, *detail;
	size_t ulen, dlen;
	uint64_t size;
	uint32_t metalen;
	struct mbox mb;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	ipc_get_strp(&r->c, &detail, &dlen, STORE_MBOX_NAME_MAX);
	ipc_get_u64(&r->c, &size);
	ipc_get_u32(&r->c, &metalen);
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = delivery_user(r, user, ulen)) < 0 ||
	    (rc = delivery_mailbox(r, detail, dlen, &mb)) < 0)
		return rc;
	return message_append(r, &mb, size, metalen, true);
}

int
h_watch(struct req *r)
{
	uint64_t id;
	uint32_t on;
	struct mbox mb;
	ipc_get_u64(&r->c, &id);
	ipc_get_u32(&r->c, &on);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (on > 1)
		return req_fail(r, IPC_ERR_MALFORMED, "on is 0 or 1");
	if (r->ch->user == NULL || r->u != r->ch->user)
		return req_fail(r, IPC_ERR_UNEXPECTED, "watch without a user");
	if (id != 0 && on && ((rc = req_db(r)) < 0 ||
	    (rc = mailbox_ref(r, id, NULL, 0, &mb)) < 0))
		return rc;
	return notify_watch(r->ch, id, on != 0);
}

int
h_quota_get(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0 || (rc = req_db(r)) < 0)
		return rc;
	return quota_put(r->rb, r->d);
}
