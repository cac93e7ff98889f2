/* admin: root's cloisterctl requests on the "admin" channel (handlers in
 * handlers.h): users, their mailboxes, quotas. Freeze is in freeze.c. */
#include "chan.h"
#include "db.h"
#include "delivery.h"
#include "handlers.h"
#include "ipc.h"
#include "log.h"
#include "mailbox.h"
#include "msgfile.h"
#include "notify.h"
#include "quota.h"
#include "registry.h"
#include "options.h"
#include "user.h"

#include <errno.h>
#include <string.h>

/* The user named by the request's first field; re-checks the channel. */
int
adm_user(struct req *r)
{
	const char *name;
	size_t len;
	if (!r->ch->admin)
		return req_fail(r, IPC_ERR_UNEXPECTED, "unexpected %s from %s",
		    ipc_type_name(r->type), r->ch->service);
	if (ipc_get_strp(&r->c, &name, &len, STORE_USER_MAX) < 0)
		return req_fail(r, IPC_ERR_MALFORMED, "malformed %s",
		    ipc_type_name(r->type));
	return req_named_user(r, name, len);
}

static bool
valid_user_name(const char *p, size_t n)
{
	if (n == 0 || n > STORE_USER_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

int
h_adm_user_create(struct req *r)
{
	const char *name;
	size_t len;
	char u[STORE_USER_MAX + 1];
	if (!r->ch->admin)
		return req_fail(r, IPC_ERR_UNEXPECTED, "not an admin channel");
	ipc_get_strp(&r->c, &name, &len, STORE_USER_MAX);
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (!valid_user_name(name, len) || buf_strlcpy(u, sizeof(u), name, len) < 0)
		return req_fail(r, IPC_ERR_DENIED, "invalid user name");
	if ((rc = user_create(r, u)) < 0)
		return rc;
	log_info("admin: created user %s (%llu)", u,
	    (unsigned long long)r->u->id);
	return 0;
}

/* Register the user, open its database inside this request's write, and
 * make its default mailboxes (admin creation and first login alike). */
int
user_create(struct req *r, const char *u)
{
	int rc;
	if (!registry_user_is_ours(u))
		return req_fail(r, IPC_ERR_DENIED, "user of another shard");
	uint64_t id;
	if ((rc = registry_insert(u, &id)) < 0)
		return rc == -IPC_ERR_EXISTS ? req_fail(r, IPC_ERR_EXISTS,
		    "user exists") : req_fail(r, IPC_ERR_INTERNAL, "registry");
	if ((quota_default.storage != 0 || quota_default.messages != 0) &&
	    registry_set_quota(id, quota_default.storage,
	    quota_default.messages) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "registry");
	bool other;
	r->u = user_get(u, &other);
	if (r->u == NULL)
		return req_fail(r, IPC_ERR_INTERNAL, "cannot load the new user");
	r->opflags |= OP_WRITE;
	if ((rc = req_db(r)) < 0)
		return rc;
	return mailbox_autocreate(r, options_autocreate());
}

int
h_adm_user_delete(struct req *r)
{
	int rc = adm_user(r);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0)
		return rc;
	struct user *u = r->u;
	if (registry_delete(u->id) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "registry");
	/* committed: from here on the user does not exist; its files go
	 * now, or at the next start if we die first */
	notify_forget_user(u);
	user_drop_db(u);
	user_forget(u);
	if (msgfile_remove_user(u->id) < 0)
		log_warn("admin: removing the files of %s: %s", u->name,
		    strerror(errno));
	log_info("admin: deleted user %s", u->name);
	return 0;
}

struct list_ctx {
	struct req *r;
	int rc;
};

static int
list_one(void *arg, const char *name, uint64_t id, uint64_t sl, uint64_t ml)
{
	struct list_ctx *lc = arg;
	bool other;
	(void)id;
	struct user *u = user_get(name, &other);
	struct udb *d = u ? user_db(u) : NULL;
	req_item(lc->r);
	ipc_put_str(lc->r->rb, name);
	if (d == NULL || quota_put(lc->r->rb, d) < 0) {
		ipc_put_u64(lc->r->rb, 0);
		ipc_put_u64(lc->r->rb, sl);
		ipc_put_u64(lc->r->rb, 0);
		ipc_put_u64(lc->r->rb, ml);
	}
	user_maybe_free(u);
	user_trim();     /* a shard of many users: stay in bound */
	return 0;
}

int
h_adm_user_list(struct req *r)
{
	int rc = req_end_of_fields(r);
	if (rc < 0)
		return rc;
	if (!r->ch->admin)
		return req_fail(r, IPC_ERR_UNEXPECTED, "not an admin channel");
	struct list_ctx lc = { r, 0 };
	req_reply_stream(r);
	if (registry_list(list_one, &lc) < 0)
		return req_fail(r, IPC_ERR_INTERNAL, "registry");
	req_end(r);
	return 0;
}

int
h_adm_mbox_create(struct req *r)
{
	const char *name;
	size_t len;
	uint32_t use;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &use);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_create(r, name, len, use);
}

int
h_adm_mbox_delete(struct req *r)
{
	const char *name;
	size_t len;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_delete(r, name, len);
}

int
h_adm_mbox_rename(struct req *r)
{
	const char *from, *to;
	size_t fl, tl;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_strp(&r->c, &from, &fl, STORE_MBOX_NAME_MAX);
	ipc_get_strp(&r->c, &to, &tl, STORE_MBOX_NAME_MAX);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_rename(r, from, fl, to, tl);
}

int
h_adm_mbox_list(struct req *r)
{
	uint32_t flags;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_u32(&r->c, &flags);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return mailbox_list(r, flags);
}

int
h_adm_mbox_detail(struct req *r)
{
	const char *name;
	size_t len;
	uint32_t on, force;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_strp(&r->c, &name, &len, STORE_MBOX_NAME_MAX);
	ipc_get_u32(&r->c, &on);
	ipc_get_u32(&r->c, &force);
	if ((rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return delivery_set_detail(r, name, len, on, force);
}

int
h_adm_quota_get(struct req *r)
{
	int rc = adm_user(r);
	if (rc < 0 || (rc = req_end_of_fields(r)) < 0 || (rc = req_db(r)) < 0)
		return rc;
	return quota_put(r->rb, r->d);
}

int
h_adm_quota_set(struct req *r)
{
	uint64_t storage, messages;
	int rc = adm_user(r);
	if (rc < 0)
		return rc;
	ipc_get_u64(&r->c, &storage);
	ipc_get_u64(&r->c, &messages);
	if ((rc = req_end_of_fields(r)) < 0)
		return rc;
	if ((rc = registry_set_quota(r->u->id, storage, messages)) < 0)
		return req_fail(r, -rc, "cannot set the quota");
	r->u->storage_limit = storage;
	r->u->messages_limit = messages;
	return 0;
}
