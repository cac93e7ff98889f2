/* push_sub: the push right, cloister-pushd's whole view of the store
 * (handlers listed in handlers.h). Like the delivery right it takes no
 * ticket and names any user of the shard, but it reaches one thing: the
 * user's push subscription document (the per-user object
 * PUSH_SUB_KEY that jmapd's PushSubscription/set keeps), to read it and
 * to replace it (a subscription the push service says is gone). It reads
 * no mail, no mailbox name, no other object. It hears, with
 * STORE_PUSH_WATCH, that a user's state moved: the user's name, the new
 * state and whether mail or per-user objects changed, nothing more
 * (push.c sends those). */
#include "request.h"
#include "handlers.h"
#include "ipc.h"
#include "notify.h"
#include "store_proto.h"

#include <string.h>

#define PUSH_SUB_KEY NOTIFY_PUSHSUB_KEY

int
h_push_watch(struct req *r)
{
	uint32_t on = 2;
	ipc_get_u32(&r->c, &on);
	int rc = req_end_of_fields(r);
	if (rc == 0 && on > 1)
		rc = req_fail(r, IPC_ERR_MALFORMED, "on is 0 or 1");
	if (rc == 0 && notify_push_watch(r->ch, on == 1) < 0)
		rc = req_fail(r, IPC_ERR_LIMIT, "too many push watchers");
	return rc;
}

/* The fields (str user, and for a put u64 expect, bytes value); r->u and
 * r->d become the named user's. */
static int
push_args(struct req *r, uint64_t *expect, const uint8_t **v, size_t *n)
{
	const char *user;
	size_t len;
	ipc_get_strp(&r->c, &user, &len, STORE_USER_MAX);
	if (v != NULL) {
		ipc_get_u64(&r->c, expect);
		ipc_get_bytes(&r->c, v, n, STORE_OBJ_MAX);
	}
	int rc = req_end_of_fields(r);
	return rc < 0 ? rc : delivery_user_for(r, r->type, user, len);
}

int
h_push_get(struct req *r)
{
	int rc = push_args(r, NULL, NULL, NULL);
	return rc < 0 ? rc : obj_reply(r, PUSH_SUB_KEY);
}

int
h_push_put(struct req *r)
{
	uint64_t expect = 0;
	const uint8_t *v = NULL;
	size_t n = 0;
	int rc = push_args(r, &expect, &v, &n);
	return rc < 0 ? rc : obj_put(r, PUSH_SUB_KEY, expect, v, n);
}
