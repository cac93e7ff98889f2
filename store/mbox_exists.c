/*
 * mbox_exists: STORE_MBOX_EXISTS (handlers.h), the delivery right's
 * answer to Sieve's mailboxexists test (RFC 5490): which of a few named
 * mailboxes of the user exist. It tells no more than a fileinto without
 * :create already does (delivered there, or kept in INBOX; that one leaves
 * a message the user sees, this one nothing), and at most
 * STORE_MBOX_EXISTS_MAX names a request, so a script that asks about many
 * names costs the store what many fileinto tests would.
 */
#include "request.h"
#include "handlers.h"
#include "ipc.h"
#include "mailbox.h"

/* user, u32 n (1..STORE_MBOX_EXISTS_MAX), n names -> u32 bits: bit i set
 * when the i-th name is a mailbox of the user. */
int
h_mbox_exists(struct req *r)
{
	const char *user, *names[STORE_MBOX_EXISTS_MAX];
	size_t ulen, lens[STORE_MBOX_EXISTS_MAX];
	uint32_t n = 0, bits = 0;
	ipc_get_strp(&r->c, &user, &ulen, STORE_USER_MAX);
	ipc_get_u32(&r->c, &n);
	if (r->c.failed || n == 0 || n > STORE_MBOX_EXISTS_MAX)
		return req_fail(r, IPC_ERR_MALFORMED, "1 to %d names",
		    STORE_MBOX_EXISTS_MAX);
	for (uint32_t i = 0; i < n; i++)
		ipc_get_strp(&r->c, &names[i], &lens[i], STORE_MBOX_NAME_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if ((rc = delivery_user_for(r, IPC_STORE_MBOX_EXISTS, user, ulen)) < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		char norm[STORE_MBOX_NAME_MAX + 1];
		struct mbox mb;
		if (mailbox_norm(names[i], lens[i], norm) < 0)
			continue;          /* no mailbox has a name that bad */
		if ((rc = mailbox_by_name(r->d, norm, &mb)) < 0)
			return rc;
		if (rc == 0)
			bits |= 1u << i;
	}
	ipc_put_u32(r->rb, bits);
	return 0;
}
