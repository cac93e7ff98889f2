/*
 * jmap_mailbox_set: Mailbox/set (RFC 8621 section 2.5) over the store's
 * by-name mailbox calls: create (parents first, "#creationId" parents
 * from this request), update (name and parentId as a rename, role as the
 * special-use bit, isSubscribed), destroy (mailboxHasChild,
 * mailboxHasEmail unless onDestroyRemoveEmails). The listing is read
 * again after every change, so each step sees the ones before it.
 */
#include "jmap_mailbox_list.h"
#include "jmap_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 32               /* maxMailboxDepth */
#define MAX_NAME 255               /* maxSizeMailboxName */

struct mset {
	struct jmap_call *c;
	struct jmap_mbox_list l;
	json_t *err;                   /* a method-level error: stop */
};

static json_t *
store_set_error(struct mset *s, int rc)
{
	return jmap_store_set_error(s->c, rc, &s->err);
}

static bool
reload(struct mset *s)
{
	jmap_mbox_list_free(&s->l);
	int rc = jmap_mbox_list_load(s->c->account->store, &s->l);
	if (rc != STORE_OK && s->err == NULL)
		s->err = jmap_store_error(s->c, rc);
	return rc == STORE_OK;
}

static bool
is_inbox(const struct jmap_mbox *m)
{
	return strcasecmp(m->name, "INBOX") == 0;
}

/* ---- the new state of one mailbox ------------------------------------------ */

struct want {
	const char *name;              /* leaf */
	const struct jmap_mbox *parent;
	bool role_set;
	const char *role;              /* NULL: none */
	int subscribe;                 /* -1 unchanged */
};

/* One property of a create or update into w; NULL or a SetError. */
static json_t *
want_prop(struct mset *s, struct want *w, const char *k, json_t *v)
{
	uint64_t pid;
	if (strcmp(k, "name") == 0) {
		const char *n = json_string_value(v);
		if (n == NULL || n[0] == '\0' || strlen(n) > MAX_NAME ||
		    strchr(n, STORE_HIER_SEP) != NULL)
			return jmap_set_error("invalidProperties", k);
		w->name = n;
	} else if (strcmp(k, "parentId") == 0) {
		w->parent = NULL;
		if (json_is_null(v))
			return NULL;
		if (!jmap_id_parse(s->c, json_string_value(v), 'M', &pid) ||
		    (w->parent = jmap_mbox_find(&s->l, pid)) == NULL)
			return jmap_set_error("invalidProperties", k);
	} else if (strcmp(k, "role") == 0) {
		bool ok = json_is_null(v);
		if (json_is_string(v))
			jmap_role_use(json_string_value(v), &ok);
		ok |= json_is_string(v) && !strcmp(json_string_value(v), "inbox");
		if (!ok)
			return jmap_set_error("invalidProperties", k);
		w->role_set = true;
		w->role = json_string_value(v);
	} else if (strcmp(k, "isSubscribed") == 0 && json_is_boolean(v)) {
		w->subscribe = json_is_true(v);
	} else if (strcmp(k, "sortOrder") == 0 && json_is_integer(v) &&
	    json_integer_value(v) >= 0) {
		/* the store keeps no order: only the order it reports */
	} else {
		return jmap_set_error("invalidProperties", k);
	}
	return NULL;
}

static json_t *
want_props(struct mset *s, struct want *w, json_t *obj)
{
	const char *k;
	json_t *v, *e;
	if (!json_is_object(obj))
		return jmap_set_error("invalidArguments", NULL);
	json_object_foreach(obj, k, v)
		if ((e = want_prop(s, w, k, v)) != NULL)
			return e;
	return NULL;
}

/* The full store name of w into buf; NULL or a SetError. */
static json_t *
full_name(const struct want *w, char *buf, size_t n)
{
	int len = w->parent ? snprintf(buf, n, "%s%c%s", w->parent->name,
	    STORE_HIER_SEP, w->name) : snprintf(buf, n, "%s", w->name);
	unsigned depth = 1;
	for (const char *p = buf; *p != '\0'; p++)
		depth += *p == STORE_HIER_SEP;
	if (len < 0 || (size_t)len >= n || depth > MAX_DEPTH)
		return jmap_set_error("invalidProperties", "name");
	return NULL;
}

/* The role w asks for is free (no other mailbox has it)? */
static json_t *
role_check(struct mset *s, const struct want *w, const struct jmap_mbox *self)
{
	if (!w->role_set || w->role == NULL)
		return NULL;
	if (strcmp(w->role, "inbox") == 0)
		return self && is_inbox(self) ? NULL :
		    jmap_set_error("invalidProperties", "role");
	for (size_t i = 0; i < s->l.n; i++) {
		const char *r = jmap_mbox_role(&s->l.v[i]);
		if (&s->l.v[i] != self && r && strcmp(r, w->role) == 0)
			return jmap_set_error("invalidProperties", "role");
	}
	return NULL;
}

static uint32_t
role_bits(const struct want *w, uint32_t old)
{
	bool ok;
	if (!w->role_set)
		return old & STORE_USE_MASK;
	return w->role ? jmap_role_use(w->role, &ok) : 0;
}

/* ---- create ------------------------------------------------------------------ */

/* Is parentId a creation id of this request not created yet? */
static bool
waits_for_parent(struct mset *s, json_t *obj, json_t *create)
{
	const char *p = json_string_value(json_object_get(obj, "parentId"));
	return p != NULL && p[0] == '#' &&
	    json_object_get(s->c->created_ids, p + 1) == NULL &&
	    json_object_get(create, p + 1) != NULL;
}

/* Create one; the Mailbox object or NULL with *e (a SetError). */
static json_t *
create_one(struct mset *s, const char *cid, json_t *obj, json_t **e)
{
	struct want w = { .subscribe = -1 };
	char name[STORE_MBOX_NAME_MAX + 1], id[JMAP_ID_MAX];
	uint64_t mid;
	if ((*e = want_props(s, &w, obj)) != NULL)
		return NULL;
	if (w.name == NULL) {
		*e = jmap_set_error("invalidProperties", "name");
		return NULL;
	}
	if ((*e = full_name(&w, name, sizeof(name))) != NULL ||
	    (*e = role_check(s, &w, NULL)) != NULL)
		return NULL;
	const struct jmap_mbox *old = jmap_mbox_find_name(&s->l, name);
	if (old != NULL) {
		jmap_id_fmt(id, 'M', old->id);
		*e = jmap_set_error("alreadyExists", NULL);
		json_object_set_new(*e, "existingId", json_string(id));
		return NULL;
	}
	struct store_conn *sc = s->c->account->store;
	int rc = store_mbox_create(sc, name, role_bits(&w, 0), &mid);
	if (rc == STORE_OK && w.subscribe == 1)
		rc = store_mbox_subscribe(sc, name, true);
	if (rc != STORE_OK) {
		*e = store_set_error(s, rc);
		return NULL;
	}
	jmap_id_fmt(id, 'M', mid);
	json_object_set_new(s->c->created_ids, cid, json_string(id));
	const struct jmap_mbox *m = reload(s) ? jmap_mbox_find(&s->l, mid) :
	    NULL;
	if (m == NULL)
		return NULL;
	json_t *out = jmap_mbox_json(s->c, m, false, &s->err);
	/* the client's own values are not repeated */
	json_object_del(out, "name");
	json_object_del(out, "parentId");
	return out;
}

static void
do_creates(struct mset *s, json_t *create, json_t *created,
    json_t *not_created)
{
	const char *cid;
	json_t *obj;
	/* a pass creates every mailbox whose parent exists: a chain of
	 * creation ids takes one pass per level */
	for (size_t pass = 0; pass <= json_object_size(create) && !s->err;
	    pass++) {
		bool progress = false;
		json_object_foreach(create, cid, obj) {
			if (json_object_get(created, cid) ||
			    json_object_get(not_created, cid) ||
			    waits_for_parent(s, obj, create))
				continue;
			json_t *e = NULL, *m = create_one(s, cid, obj, &e);
			if (s->err) {
				json_decref(m);
				json_decref(e);
				return;
			}
			if (m != NULL)
				json_object_set_new(created, cid, m);
			else
				json_object_set_new(not_created, cid, e);
			progress = true;
		}
		if (!progress)
			break;
	}
	json_object_foreach(create, cid, obj)
		if (!json_object_get(created, cid) &&
		    !json_object_get(not_created, cid))
			json_object_set_new(not_created, cid,
			    jmap_set_error("invalidProperties", "parentId"));
}

/* ---- update -------------------------------------------------------------------- */

/* Is m the mailbox a, or below it? */
static bool
within(const struct jmap_mbox_list *l, const struct jmap_mbox *m,
    const struct jmap_mbox *a)
{
	for (size_t hops = 0; m != NULL && hops <= l->n; hops++) {
		if (m == a)
			return true;
		m = m->parent ? jmap_mbox_find(l, m->parent) : NULL;
	}
	return false;
}

static json_t *
update_one(struct mset *s, const char *idstr, json_t *patch)
{
	uint64_t id;
	struct jmap_mbox *m = jmap_id_parse(s->c, idstr, 'M', &id) ?
	    jmap_mbox_find(&s->l, id) : NULL;
	if (m == NULL)
		return jmap_set_error("notFound", NULL);
	struct want w = { .name = m->leaf, .subscribe = -1,
	    .parent = m->parent ? jmap_mbox_find(&s->l, m->parent) : NULL };
	char name[STORE_MBOX_NAME_MAX + 1];
	json_t *e;
	if ((e = want_props(s, &w, patch)) != NULL ||
	    (e = full_name(&w, name, sizeof(name))) != NULL ||
	    (e = role_check(s, &w, m)) != NULL)
		return e;
	if (w.role_set && is_inbox(m) && (w.role == NULL ||
	    strcmp(w.role, "inbox") != 0))
		return jmap_set_error("invalidProperties", "role");
	if (w.parent != NULL && within(&s->l, w.parent, m))
		return jmap_set_error("invalidProperties", "parentId");
	struct store_conn *sc = s->c->account->store;
	int rc = STORE_OK;
	if (strcmp(name, m->name) != 0) {
		if (is_inbox(m))
			return jmap_set_error("forbidden", "name");
		rc = store_mbox_rename(sc, m->name, name);
	}
	if (rc == STORE_OK && w.role_set)
		rc = store_mbox_set_use(sc, name, role_bits(&w, m->attrs));
	if (rc == STORE_OK && w.subscribe >= 0)
		rc = store_mbox_subscribe(sc, name, w.subscribe == 1);
	if (rc != STORE_OK)
		return store_set_error(s, rc);
	reload(s);
	return NULL;
}

/* ---- destroy ------------------------------------------------------------------- */

static json_t *
destroy_one(struct mset *s, const char *idstr, bool remove_emails)
{
	uint64_t id;
	struct jmap_mbox *m = jmap_id_parse(s->c, idstr, 'M', &id) ?
	    jmap_mbox_find(&s->l, id) : NULL;
	if (m == NULL)
		return jmap_set_error("notFound", NULL);
	if (is_inbox(m))
		return jmap_set_error("forbidden", NULL);
	if (m->has_children)
		return jmap_set_error("mailboxHasChild", NULL);
	if (m->messages > 0 && !remove_emails)
		return jmap_set_error("mailboxHasEmail", NULL);
	int rc = store_mbox_delete(s->c->account->store, m->name);
	if (rc != STORE_OK)
		return store_set_error(s, rc);
	reload(s);
	return NULL;
}

/* ---- the method ------------------------------------------------------------------ */

static bool
op_begin(void *ctx)
{
	return reload(ctx);
}

static void
op_create(void *ctx, json_t *create, json_t *created, json_t *not_created)
{
	do_creates(ctx, create, created, not_created);
}

static json_t *
op_update(void *ctx, const char *id, json_t *patch)
{
	return update_one(ctx, id, patch);
}

static json_t *
op_destroy(void *ctx, const char *id)
{
	struct mset *s = ctx;
	return destroy_one(s, id, json_is_true(json_object_get(s->c->args,
	    "onDestroyRemoveEmails")));
}

static const struct jmap_set_ops mailbox_ops = {
	op_begin, op_create, op_update, op_destroy,
};

struct by_depth {
	size_t depth, pos;
};

static int
cmp_depth(const void *a, const void *b)
{
	const struct by_depth *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;   /* deepest first */
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* destroy, children before their parents: a parent destroyed with its
 * whole subtree in one request has no child left by its turn. c->args is
 * this call's own object (references made it), the array is copied. */
static bool
order_destroy(struct mset *s)
{
	json_t *d = json_object_get(s->c->args, "destroy");
	size_t n = json_array_size(d);
	if (n < 2)
		return true;
	struct by_depth *v = calloc(n, sizeof(*v));
	json_t *out = json_array();
	if (v == NULL || out == NULL || !reload(s)) {
		free(v);
		json_decref(out);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		const struct jmap_mbox *m = jmap_id_parse(s->c, json_string_value(
		    json_array_get(d, i)), 'M', &id) ? jmap_mbox_find(&s->l, id) :
		    NULL;
		v[i].pos = i;
		for (const char *p = m ? m->name : ""; *p != '\0'; p++)
			v[i].depth += *p == STORE_HIER_SEP;
	}
	qsort(v, n, sizeof(*v), cmp_depth);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, json_array_get(d, v[i].pos));
	free(v);
	return json_object_set_new(s->c->args, "destroy", out) == 0;
}

json_t *
jmap_mailbox_set(struct jmap_call *c, json_t **err)
{
	json_t *rm = json_object_get(c->args, "onDestroyRemoveEmails");
	if (rm != NULL && !json_is_boolean(rm)) {
		*err = jmap_error("invalidArguments", "onDestroyRemoveEmails");
		return NULL;
	}
	struct mset s = { .c = c };
	if (!jmap_check_account(c, err))
		return NULL;
	if (!order_destroy(&s)) {
		*err = s.err ? s.err : jmap_error("serverFail", NULL);
		jmap_mbox_list_free(&s.l);
		return NULL;
	}
	json_t *res = jmap_set_run(c, &mailbox_ops, &s, &s.err, err);
	jmap_mbox_list_free(&s.l);
	return res;
}
