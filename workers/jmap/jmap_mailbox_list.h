/*
 * jmap_mailbox_list: the user's mailboxes as JMAP sees them, read from the
 * store in one listing: ids, full names, the JMAP parent (the nearest
 * existing ancestor), roles <-> special-use bits, counts.
 */
#ifndef CLOISTER_JMAP_MAILBOX_LIST_H
#define CLOISTER_JMAP_MAILBOX_LIST_H

#include "jmap_getset.h"

struct jmap_mbox {
	uint64_t id;
	char *name;                /* full name, '/' separated */
	const char *leaf;          /* the JMAP name: after the parent's */
	uint64_t parent;           /* 0: top level */
	uint32_t attrs;
	uint32_t messages, unseen;
	uint32_t threads, unread_threads;   /* jmap_mbox_list_load_threads */
	bool has_children;
};

struct jmap_mbox_list {
	struct jmap_mbox *v;
	size_t n, cap;
};

/* Read them (STORE_OK or a store error). */
int jmap_mbox_list_load(struct store_conn *sc, struct jmap_mbox_list *l);
void jmap_mbox_list_free(struct jmap_mbox_list *l);
/* Fill in every mailbox's thread counts: one store request for them all. */
int jmap_mbox_list_load_threads(struct store_conn *sc,
    struct jmap_mbox_list *l);
struct jmap_mbox *jmap_mbox_find(const struct jmap_mbox_list *l, uint64_t id);
struct jmap_mbox *jmap_mbox_find_name(const struct jmap_mbox_list *l,
    const char *name);

/* The JMAP role of attrs/name (NULL: none); the special-use bit of role
 * (0 and *ok false: not a role the store can hold; "inbox" is the name). */
const char *jmap_mbox_role(const struct jmap_mbox *m);
uint32_t jmap_role_use(const char *role, bool *ok);
/* Its sortOrder: 1 for the inbox, 0 for the rest. */
int jmap_mbox_sort_order(const struct jmap_mbox *m);

/* The Mailbox object (RFC 8621 section 2) of m. with_threads: its thread
 * counts were loaded (jmap_mbox_list_load_threads); without, they are left
 * as the message counts. NULL and *err on a failure. */
json_t *jmap_mbox_json(struct jmap_call *c, const struct jmap_mbox *m,
    bool with_threads, json_t **err);

#endif
