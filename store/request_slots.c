/* request_slots: in-flight JMAP API requests per user (see
 * request_slots.h). */
#include "request_slots.h"
#include "chan.h"
#include "ipc.h"
#include "request.h"
#include "user.h"

void
request_slot_release(struct chan *ch)
{
	if (!ch->api_slot || ch->user == NULL)
		return;
	ch->api_slot = false;
	if (ch->user->api_inflight > 0)
		ch->user->api_inflight--;
}

/* u32 take (1: take, 0: give back), u32 limit -> u32 in flight. */
int
h_api_slot(struct req *r)
{
	uint32_t take, limit;
	ipc_get_u32(&r->c, &take);
	ipc_get_u32(&r->c, &limit);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (take > 1 || limit == 0)
		return req_fail(r, IPC_ERR_MALFORMED, "bad slot request");
	/* the worker's limit, within stored's own bound */
	if (limit > STORE_API_SLOTS_MAX)
		limit = STORE_API_SLOTS_MAX;
	struct chan *ch = r->ch;
	struct user *u = ch->user;
	if (!take)
		request_slot_release(ch);
	else if (!ch->api_slot) {
		if (u->api_inflight >= limit)
			return req_fail(r, IPC_ERR_LIMIT, "%u requests in flight",
			    u->api_inflight);
		u->api_inflight++;
		ch->api_slot = true;
	}
	ipc_put_u32(r->rb, u->api_inflight);
	return 0;
}
