/* jmap_mailbox_list: the mailbox listing and the Mailbox object. */
#include "jmap_mailbox_list.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *role;
	uint32_t use;
} roles[] = {
	{ "archive", STORE_USE_ARCHIVE }, { "drafts", STORE_USE_DRAFTS },
	{ "junk", STORE_USE_JUNK }, { "sent", STORE_USE_SENT },
	{ "trash", STORE_USE_TRASH }, { "all", STORE_USE_ALL },
	{ "flagged", STORE_USE_FLAGGED }, { "important", STORE_USE_IMPORTANT },
	{ "snoozed", STORE_USE_SNOOZED },
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

const char *
jmap_mbox_role(const struct jmap_mbox *m)
{
	if (strcasecmp(m->name, "INBOX") == 0)
		return "inbox";
	for (size_t i = 0; i < NROLES; i++)
		if (m->attrs & roles[i].use)
			return roles[i].role;
	return NULL;
}

int
jmap_mbox_sort_order(const struct jmap_mbox *m)
{
	return strcasecmp(m->name, "INBOX") == 0 ? 1 : 0;
}

uint32_t
jmap_role_use(const char *role, bool *ok)
{
	*ok = true;
	for (size_t i = 0; i < NROLES; i++)
		if (strcmp(role, roles[i].role) == 0)
			return roles[i].use;
	*ok = false;
	return 0;
}

static int
add_one(void *arg, const struct store_mbox_info *mb)
{
	struct jmap_mbox_list *l = arg;
	if (mb->st.id == 0 || (mb->st.attrs & STORE_MBOX_NONEXISTENT))
		return 0;   /* implied parents and subscriptions only */
	if (!jmap_grow(&l->v, &l->cap, l->n, sizeof(l->v[0])))
		return -1;
	char *name = strdup(mb->name);
	if (name == NULL)
		return -1;
	l->v[l->n++] = (struct jmap_mbox){
		.id = mb->st.id, .name = name, .leaf = name,
		.attrs = mb->st.attrs, .messages = mb->st.messages,
		.unseen = mb->st.unseen,
	};
	return 0;
}

struct jmap_mbox *
jmap_mbox_find(const struct jmap_mbox_list *l, uint64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return &l->v[i];
	return NULL;
}

struct jmap_mbox *
jmap_mbox_find_name(const struct jmap_mbox_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0 ||
		    (strcasecmp(name, "INBOX") == 0 &&
		    strcasecmp(l->v[i].name, "INBOX") == 0))
			return &l->v[i];
	return NULL;
}

/* The nearest existing ancestor of each, and the leaf below it. */
static void
link_parents(struct jmap_mbox_list *l)
{
	char buf[STORE_MBOX_NAME_MAX + 1];
	for (size_t i = 0; i < l->n; i++) {
		struct jmap_mbox *m = &l->v[i];
		snprintf(buf, sizeof(buf), "%s", m->name);
		char *slash;
		while ((slash = strrchr(buf, '/')) != NULL) {
			*slash = '\0';
			struct jmap_mbox *p = jmap_mbox_find_name(l, buf);
			if (p != NULL) {
				m->parent = p->id;
				m->leaf = m->name + (slash - buf) + 1;
				p->has_children = true;
				break;
			}
		}
	}
}

int
jmap_mbox_list_load(struct store_conn *sc, struct jmap_mbox_list *l)
{
	memset(l, 0, sizeof(*l));
	int rc = store_mbox_list(sc, STORE_LIST_STATUS, add_one, l);
	if (rc == STORE_OK)
		link_parents(l);
	return rc;
}

void
jmap_mbox_list_free(struct jmap_mbox_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* ---- thread counts --------------------------------------------------------- */

static int
set_thread_count(void *arg, const struct store_thread_count *tc)
{
	struct jmap_mbox *m = jmap_mbox_find(arg, tc->mailbox_id);
	if (m != NULL) {
		m->threads = tc->threads;
		m->unread_threads = tc->unread_threads;
	}
	return 0;
}

int
jmap_mbox_list_load_threads(struct store_conn *sc, struct jmap_mbox_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		l->v[i].threads = l->v[i].unread_threads = 0;
	return store_thread_counts(sc, set_thread_count, l);
}

/* ---- the object ------------------------------------------------------------- */

static json_t *
rights(const struct jmap_mbox *m)
{
	bool sel = !(m->attrs & STORE_MBOX_NOSELECT);
	bool inbox = strcasecmp(m->name, "INBOX") == 0;
	return json_pack("{sbsbsbsbsbsbsbsbsb}", "mayReadItems", sel,
	    "mayAddItems", sel, "mayRemoveItems", sel, "maySetSeen", sel,
	    "maySetKeywords", sel, "mayCreateChild", 1, "mayRename", !inbox,
	    "mayDelete", !inbox, "maySubmit", 0);
}

json_t *
jmap_mbox_json(struct jmap_call *c, const struct jmap_mbox *m,
    bool with_threads, json_t **err)
{
	char id[JMAP_ID_MAX], pid[JMAP_ID_MAX];
	size_t threads = with_threads ? m->threads : m->messages;
	size_t unread_threads = with_threads ? m->unread_threads : m->unseen;
	(void)c;
	(void)err;
	jmap_id_fmt(id, 'M', m->id);
	jmap_id_fmt(pid, 'M', m->parent);
	const char *role = jmap_mbox_role(m);
	return json_pack("{ss ss so so si sI sI sI sI so sb}", "id", id,
	    "name", m->leaf,
	    "parentId", m->parent ? json_string(pid) : json_null(),
	    "role", role ? json_string(role) : json_null(),
	    "sortOrder", jmap_mbox_sort_order(m),
	    "totalEmails", (json_int_t)m->messages,
	    "unreadEmails", (json_int_t)m->unseen,
	    "totalThreads", (json_int_t)threads,
	    "unreadThreads", (json_int_t)unread_threads,
	    "myRights", rights(m),
	    "isSubscribed", (m->attrs & STORE_MBOX_SUBSCRIBED) != 0);
}
