/*
 * deliver_to: STORE_DELIVER_TO (handlers.h), the delivery right's
 * delivery into a mailbox by name: what a user's Sieve script asks with
 * fileinto (RFC 5228), :create (RFC 5490) and :flags (RFC 5232). The
 * delivery path is STORE_DELIVER's (message.c, delivery.c: the store's
 * clock, a status for a reply), but the mailbox is named, may be a
 * special-use one (fileinto "Junk"), and the flags named are all kept:
 * they are the user's own choice, made in the user's script.
 */
#include "request.h"
#include "db.h"
#include "delivery.h"
#include "handlers.h"
#include "ipc.h"
#include "mailbox.h"
#include "message.h"
#include "notify.h"

#include <string.h>

/* The mailbox named (created first if create and absent): 0, or an IPC
 * error (NOTFOUND: absent and not to be created). */
static int
target_mailbox(struct req *r, const char *name, size_t len, bool create,
    struct mbox *mb)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	if (mailbox_norm(name, len, norm) < 0)
		return create ? req_fail(r, IPC_ERR_DENIED, "invalid mailbox name")
		    : req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	int rc = mailbox_by_name(r->d, norm, mb);
	if (rc != 1)
		return rc;
	if (!create)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such mailbox");
	int64_t id;
	uint32_t uidv;
	if ((rc = insert_mailbox(r->d, norm, 0, db_next_modseq(r->d), &id,
	    &uidv)) < 0)
		return rc;
	notify_changed(r->d, id, r->ch);
	rc = mailbox_by_name(r->d, norm, mb);
	return rc == 1 ? req_fail(r, IPC_ERR_INTERNAL, "mailbox lost") : rc;
}

/* user, mailbox, u32 create, u32 n, n flags, seen records (seen.c), u64
 * size, u32 metalen; the memfd as STORE_DELIVER's. The seen records are
 * made once the message is in, in the delivery's own transaction: one
 * commit, and none without the delivery. One sent with STORE_SEEN_IF_NEW
 * that is there already refuses the delivery first (EXISTS): the
 * duplicate check costs lmtpd no request of its own. */
int
h_deliver_to(struct req *r)
{
	const char *user, *name;
	size_t ulen, nlen;
	uint32_t create, nflags, metalen;
	uint64_t size;
	static struct delivery_set set;
	struct seen_rec seen[STORE_DELIVER_SEEN_MAX];
	uint32_t nseen = 0;
	struct mbox mb;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	ipc_get_strp(&r->c, &name, &nlen, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &create);
	ipc_get_u32(&r->c, &nflags);
	int rc = r->c.failed ? req_fail(r, IPC_ERR_MALFORMED,
	    "malformed STORE_DELIVER_TO") : delivery_parse_flags(r, nflags, &set);
	if (rc < 0 || (rc = seen_parse_recs(r, seen, &nseen)) < 0)
		return rc;
	ipc_get_u64(&r->c, &size);
	ipc_get_u32(&r->c, &metalen);
	if ((rc = req_end_of_fields(r)) < 0)
		return rc;
	if (create > 1)
		return req_fail(r, IPC_ERR_MALFORMED, "create is 0 or 1");
	if ((rc = delivery_user_for(r, IPC_STORE_DELIVER_TO, user, ulen)) < 0 ||
	    (rc = seen_prune(r)) < 0 ||
	    (rc = seen_refuse_known(r, seen, nseen)) < 0 ||
	    (rc = target_mailbox(r, name, nlen, create != 0, &mb)) < 0 ||
	    (rc = message_deliver_flags(r, &mb, size, metalen, &set)) < 0)
		return rc;
	return seen_record_all(r, seen, nseen);
}
