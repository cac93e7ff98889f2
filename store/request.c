/* request: what handlers use to answer one request (see request.h). */
#include "request.h"
#include "chan.h"
#include "db.h"
#include "slice.h"
#include "user.h"

#include <stdarg.h>
#include <stdio.h>

void
req_reply_stream(struct req *r)
{
	r->stream = true;
}

void
req_item(struct req *r)
{
	ipc_put_u32(r->rb, 1);
}

void
req_end(struct req *r)
{
	ipc_put_u32(r->rb, 0);
}

int
req_first_slice(struct req *r, struct slice *k)
{
	k->u = r->u;
	r->stream = true;
	slice_begin(k, r->rb, 0);
	int rc = k->step(k, r->rb);
	if (rc < 0)
		rc = req_fail(r, -rc, "%s", k->err);
	if (rc <= 0) {
		k->free(k);
		return rc;
	}
	r->slice = k;
	return 0;
}

int
req_fail(struct req *r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return -code;
}

int
req_end_of_fields(struct req *r)
{
	if (ipc_get_end(&r->c) < 0)
		return req_fail(r, IPC_ERR_MALFORMED, "malformed %s",
		    ipc_type_name(r->type));
	return 0;
}

int
req_get_emailids(struct req *r, uint64_t *ids, uint32_t *n)
{
	ipc_get_u32(&r->c, n);
	if (*n == 0 || *n > STORE_LOCATE_MAX)
		return req_fail(r, IPC_ERR_LIMIT, "1 to %u email ids",
		    (unsigned)STORE_LOCATE_MAX);
	for (uint32_t i = 0; i < *n; i++)
		ipc_get_u64(&r->c, &ids[i]);
	return 0;
}

int
req_db(struct req *r)
{
	/* whatever the table said, a ticket request is scoped to the
	 * channel's own user and nobody else's */
	if ((r->opflags & OP_TICKET) && (r->u == NULL || r->u != r->ch->user))
		return req_fail(r, IPC_ERR_DENIED, "not your data");
	if (r->u == NULL)
		return req_fail(r, IPC_ERR_INTERNAL, "no user");
	if (r->d == NULL) {
		r->d = user_db(r->u);
		if (r->d == NULL)
			return req_fail(r, IPC_ERR_INTERNAL,
			    "cannot open the mailbox database");
	}
	if ((r->opflags & OP_WRITE) && !r->writing) {
		int rc = db_write_begin(r->d);
		if (rc < 0)
			return req_fail(r, -rc, "cannot start a transaction");
		r->writing = true;
	}
	return 0;
}

int
req_named_user(struct req *r, const char *name, size_t len)
{
	char u[STORE_USER_MAX + 1];
	if (len == 0 || buf_strlcpy(u, sizeof(u), name, len) < 0)
		return req_fail(r, IPC_ERR_NOTFOUND, "no such user");
	bool other = false;
	r->u = user_get(u, &other);
	if (r->u == NULL)
		return req_fail(r, other ? IPC_ERR_DENIED : IPC_ERR_NOTFOUND,
		    other ? "user of another shard" : "no such user");
	return 0;
}
