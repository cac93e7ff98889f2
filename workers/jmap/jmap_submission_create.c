/* jmap_submission_create: one EmailSubmission made (RFC 8621 section
 * 7.5): the Identity and the Email read through their own /get methods,
 * the envelope derived or checked, the send time chosen, the Email's bytes
 * without Bcc queued in the outbox with the submission's own fields. */
#include "jmap_email_common.h"
#include "jmap_set.h"
#include "jmap_submission_msg.h"
#include "jmap_submission_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct draft {
	json_t *email;             /* threadId, from, sender, to, cc, bcc,
				      messageId */
	const char *ident;         /* the Identity's address */
	const char *ident_id;      /* its id */
	json_t *env;               /* envelope (borrowed or made) */
	uint64_t send_at;
};

/* The first object of /get's list for id, a new reference (NULL: none). */
static json_t *
get_one(struct jmap_call *c, jmap_method_fn fn, const char *id,
    json_t *properties, json_t **pending)
{
	json_t *err = NULL;
	json_t *res = jmap_submission_inner(c, fn, json_pack("{s[s]so}", "ids",
	    id, "properties", properties), &err);
	json_t *o = json_incref(json_array_get(json_object_get(res, "list"), 0));
	if (err != NULL && c->store_lost)
		*pending = err;
	else
		json_decref(err);
	json_decref(res);
	return o;
}

static void
add_addrs(json_t *rcpt, json_t *seen, json_t *list)
{
	size_t i;
	json_t *a;
	json_array_foreach(list, i, a) {
		json_t *e = json_object_get(a, "email");
		const char *s = json_string_value(e);
		if (s == NULL || json_object_get(seen, s) != NULL)
			continue;
		json_object_set_new(seen, s, json_true());
		json_array_append_new(rcpt, json_pack("{sOsn}", "email", e,
		    "parameters"));
	}
}

/* RFC 8621 7.5: mailFrom from Sender, else From; rcptTo the To, Cc and
 * Bcc addresses, each once. */
static json_t *
derive_envelope(json_t *em)
{
	json_t *from = json_object_get(em, "sender");
	if (json_array_size(from) == 0)
		from = json_object_get(em, "from");
	json_t *rcpt = json_array(), *seen = json_object();
	add_addrs(rcpt, seen, json_object_get(em, "to"));
	add_addrs(rcpt, seen, json_object_get(em, "cc"));
	add_addrs(rcpt, seen, json_object_get(em, "bcc"));
	json_decref(seen);
	json_t *mf = json_object_get(json_array_get(from, 0), "email");
	return json_pack("{s{sOsn}so}", "mailFrom", "email",
	    mf ? mf : json_string(""), "parameters", "rcptTo", rcpt);
}

/* The envelope's shape and addresses; NULL or a SetError. */
static json_t *
check_envelope(const struct draft *d)
{
	json_t *mf = json_object_get(d->env, "mailFrom");
	json_t *rcpt = json_object_get(d->env, "rcptTo"), *r;
	json_t *p = json_object_get(mf, "parameters");
	size_t i;
	if (!json_is_object(mf) || !json_is_array(rcpt) ||
	    !json_is_string(json_object_get(mf, "email")) ||
	    (p != NULL && !json_is_null(p) && !json_is_object(p)))
		return jmap_set_error("invalidProperties", "envelope");
	if (json_array_size(rcpt) == 0)
		return jmap_error("noRecipients", NULL);
	if (json_array_size(rcpt) > STORE_OUTBOX_RCPTS_MAX)
		return jmap_error("tooManyRecipients", NULL);
	json_t *bad = json_array();
	json_array_foreach(rcpt, i, r)
		if (!jmap_envelope_addr_ok(json_string_value(json_object_get(r,
		    "email"))))
			json_array_append(bad, json_object_get(r, "email"));
	if (json_array_size(bad) > 0) {
		json_t *e = jmap_error("invalidRecipients", NULL);
		json_object_set_new(e, "invalidRecipients", bad);
		return e;
	}
	json_decref(bad);
	const char *from = json_string_value(json_object_get(mf, "email"));
	if (!jmap_envelope_addr_ok(from) || !jmap_identity_allows(d->ident, from))
		return jmap_error("forbiddenMailFrom", "the Identity's address"
		    " only");
	json_t *hdr = json_object_get(d->email, "from");
	json_array_foreach(hdr, i, r)
		if (!jmap_identity_allows(d->ident, json_string_value(
		    json_object_get(r, "email"))))
			break;
	if (json_array_size(hdr) == 0 || i < json_array_size(hdr))
		return jmap_error("forbiddenFrom", "From must be the Identity's"
		    " address");
	return NULL;
}

/* send_at: now plus the undo window, or later as sendAt, HOLDFOR or
 * HOLDUNTIL ask, up to maxDelayedSend. */
static json_t *
send_time(struct jmap_call *c, json_t *obj, struct draft *d)
{
	const struct jmap_limits *l = c->account->limits;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* the second after now: the undo window is never shorter than set */
	uint64_t t = (uint64_t)now.tv_sec + (now.tv_nsec > 0);
	uint64_t at = t + l->undo_send_seconds, v;
	json_t *p = json_object_get(json_object_get(d->env, "mailFrom"),
	    "parameters");
	json_t *sa = json_object_get(obj, "sendAt");
	const char *hf = json_string_value(json_object_get(p, "HOLDFOR"));
	const char *hu = json_string_value(json_object_get(p, "HOLDUNTIL"));
	char *end;
	if (sa != NULL && !json_is_null(sa)) {
		if (!jmap_rfc3339(json_string_value(sa), &v))
			return jmap_set_error("invalidProperties", "sendAt");
		at = v > at ? v : at;
	}
	if (hf != NULL) {
		v = strtoull(hf, &end, 10);
		if (hf[0] < '0' || hf[0] > '9' || *end != '\0' ||
		    v > l->max_delayed_send)
			return jmap_set_error("invalidProperties", "envelope");
		at = t + v > at ? t + v : at;
	}
	if (hu != NULL) {
		if (!jmap_rfc3339(hu, &v))
			return jmap_set_error("invalidProperties", "envelope");
		at = v > at ? v : at;
	}
	if (at > t + l->max_delayed_send + l->undo_send_seconds)
		return jmap_set_error("invalidProperties", sa ? "sendAt" :
		    "envelope");
	d->send_at = at;
	return NULL;
}

/* The Email's bytes without Bcc in a memfd; STORE_OK or an error. */
static int
message_fd(struct jmap_call *c, uint64_t eid, int *fd, size_t *size)
{
	struct jmap_copies cp = { 0 };
	void *p = NULL;
	size_t n = 0;
	struct buf out = BUF_INIT(STORE_MSG_MAX);
	int rc = jmap_email_copies(c->account->store, eid, &cp);
	if (rc == STORE_OK)
		rc = jmap_message_map(c->account->store, &cp.v[0], &p, &n);
	free(cp.v);
	if (rc != STORE_OK)
		return rc;
	*fd = -1;
	if (jmap_strip_bcc(p, n, &out) == 0 && out.len > 0)
		*fd = memfd_create("jmap-submission", MFD_CLOEXEC);
	if (*fd >= 0 && write(*fd, out.data, out.len) != (ssize_t)out.len) {
		close(*fd);
		*fd = -1;
	}
	*size = out.len;
	jmap_message_unmap(p, n);
	buf_free(&out);
	return *fd >= 0 ? STORE_OK : STORE_E_INTERNAL;
}

/* The outbox entry, with the submission's own fields as its meta. */
static int
queue(struct jmap_call *c, const struct draft *d, uint64_t eid, uint64_t *id)
{
	const char *rcpts[STORE_OUTBOX_RCPTS_MAX];
	json_t *rl = json_object_get(d->env, "rcptTo"), *r, *mf;
	size_t i, size;
	json_array_foreach(rl, i, r)
		rcpts[i] = json_string_value(json_object_get(r, "email"));
	mf = json_object_get(d->env, "mailFrom");
	json_t *params = json_object_get(mf, "parameters");
	json_t *m = json_pack("{sssOsOsO}", "i", d->ident_id,
	    "e", json_object_get(d->email, "id"), "t",
	    json_object_get(d->email, "threadId"), "p",
	    params ? params : json_null());
	char *meta = m != NULL ? json_dumps(m, JSON_COMPACT) : NULL;
	json_decref(m);
	int fd = -1;
	/* the parameters are the client's: too many bytes of them is theirs */
	int rc = meta == NULL ? STORE_E_INTERNAL : strlen(meta) >
	    STORE_OUTBOX_META_MAX ? STORE_E_ARG : message_fd(c, eid, &fd, &size);
	/* its Message-ID names the submission to an MDN */
	const char *msgid = json_string_value(json_array_get(json_object_get(
	    d->email, "messageId"), 0));
	if (rc == STORE_OK)
		rc = store_outbox_submit(c->account->store, "",
		    json_string_value(json_object_get(mf, "email")), rcpts,
		    json_array_size(rl), fd, size, d->send_at, meta,
		    strlen(meta), msgid != NULL ? msgid : "", id);
	if (fd >= 0)
		close(fd);
	free(meta);
	return rc;
}

/* The properties a create may set: sendAt and undoStatus "pending" only
 * as the server would set them anyway. */
static const char *
bad_property(json_t *obj)
{
	static const char *const ok[] = { "identityId", "emailId", "envelope",
		"sendAt", "undoStatus", NULL };
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		size_t i = 0;
		while (ok[i] != NULL && strcmp(ok[i], k) != 0)
			i++;
		if (ok[i] == NULL)
			return k;
	}
	json_t *u = json_object_get(obj, "undoStatus");
	if (u != NULL && (!json_is_string(u) ||
	    strcmp(json_string_value(u), "pending") != 0))
		return "undoStatus";
	if (!json_is_string(json_object_get(obj, "identityId")))
		return "identityId";
	return json_is_string(json_object_get(obj, "emailId")) ? NULL : "emailId";
}

/* The Identity's address and the Email's addresses into d; NULL or a
 * SetError (NULL with *pending: the store is gone). */
static json_t *
read_parts(struct jmap_call *c, json_t *obj, struct draft *d, uint64_t *eid,
    json_t **ident, json_t **pending)
{
	char id[JMAP_ID_MAX];
	const char *iid = json_string_value(json_object_get(obj, "identityId"));
	if (iid[0] == '#')      /* an Identity created earlier in the request */
		iid = json_string_value(json_object_get(c->created_ids, iid + 1));
	if (iid == NULL)
		return jmap_set_error("invalidProperties", "identityId");
	*ident = get_one(c, jmap_identity_get, iid, json_pack("[s]", "email"),
	    pending);
	d->ident = json_string_value(json_object_get(*ident, "email"));
	d->ident_id = iid;
	if (*pending != NULL)
		return NULL;
	if (d->ident == NULL)
		return jmap_set_error("invalidProperties", "identityId");
	if (!jmap_id_parse(c, json_string_value(json_object_get(obj, "emailId")),
	    'E', eid))
		return jmap_set_error("invalidProperties", "emailId");
	jmap_id_fmt(id, 'E', *eid);
	d->email = get_one(c, jmap_email_get, id, json_pack("[sssssss]",
	    "threadId", "from", "sender", "to", "cc", "bcc", "messageId"),
	    pending);
	if (*pending != NULL)
		return NULL;
	return d->email == NULL ? jmap_set_error("invalidProperties",
	    "emailId") : NULL;
}

json_t *
jmap_submission_create(struct jmap_call *c, json_t *obj, json_t **done,
    json_t **pending)
{
	struct draft d = { 0 };
	json_t *ident = NULL, *made = NULL, *e;
	uint64_t eid = 0, id = 0;
	const char *bad = bad_property(obj);
	if (bad != NULL)
		return jmap_set_error("invalidProperties", bad);
	if ((e = read_parts(c, obj, &d, &eid, &ident, pending)) == NULL &&
	    *pending == NULL) {
		d.env = json_object_get(obj, "envelope");
		if (d.env == NULL || json_is_null(d.env))
			d.env = made = derive_envelope(d.email);
		if ((e = check_envelope(&d)) == NULL &&
		    (e = send_time(c, obj, &d)) == NULL) {
			int rc = queue(c, &d, eid, &id);
			if (rc == STORE_E_ARG)
				e = jmap_set_error("invalidProperties", "envelope");
			else if (rc != STORE_OK)
				e = jmap_store_set_error(c, rc, pending);
		}
	}
	if (e == NULL && *pending == NULL) {
		char sid[JMAP_ID_MAX], when[32];
		jmap_id_fmt(sid, JMAP_SUBMISSION_ID, id);
		jmap_utc_date(when, sizeof(when), d.send_at);
		*done = json_pack("{sssOsssssO}", "id", sid, "threadId",
		    json_object_get(d.email, "threadId"), "sendAt", when,
		    "undoStatus", "pending", "_emailId", json_object_get(d.email,
		    "id"));
		if (json_object_get(obj, "envelope") == NULL ||
		    json_is_null(json_object_get(obj, "envelope")))
			json_object_set(*done, "envelope", d.env);
	}
	json_decref(made);
	json_decref(d.email);
	json_decref(ident);
	return e;
}
