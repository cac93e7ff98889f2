/* jmap_query_changes: Foo/queryChanges (RFC 8620 section 5.6) and the
 * queryState strings Foo/query hands out. */
#ifndef CLOISTER_JMAP_QUERY_CHANGES_H
#define CLOISTER_JMAP_QUERY_CHANGES_H

#include "jmap_getset.h"

/* "<state>-<16 hex digits>": the state and the query's shape. */
#define JMAP_QSTATE_MAX (JMAP_ID_MAX + 18)

/* The queryState of the query in c->args (filter, sort, collapseThreads)
 * whose results were read at state. */
void jmap_query_state(struct jmap_call *c, const char *state,
    char buf[JMAP_QSTATE_MAX]);

/* What one data type's queryChanges needs. */
struct jmap_qc_kind {
	char type;                 /* the id letter */
	jmap_store_changes_fn changes;  /* NULL: widen marks them all */
	/* the whole current result (ids, a new array); state read before
	 * it ran. NULL: *err set */
	json_t *(*results)(struct jmap_call *c, char state[JMAP_ID_MAX],
	    json_t **err);
	/* may the answer stop at upToId (filter and sort immutable)? */
	bool (*immutable)(struct jmap_call *c);
	/* more ids to count as changed (changed: id -> true) beyond ch's,
	 * the changes since state since; may be NULL. False: *err set */
	bool (*widen)(struct jmap_call *c, uint64_t since,
	    const struct store_id_changes *ch, json_t *changed, json_t **err);
	/* the letter before the state's digits (EmailSubmission's "s");
	 * 0: none */
	char state_prefix;
};

json_t *jmap_query_changes_run(struct jmap_call *c,
    const struct jmap_qc_kind *k, json_t **err);

/* Foo/query from the whole result k->results gives: the window asked
 * for and the queryState queryChanges takes. */
json_t *jmap_query_whole(struct jmap_call *c, const struct jmap_qc_kind *k,
    json_t **err);

/* Does filter f (null, an object or a FilterOperator of them) use only
 * the conditions in fixed (NULL-terminated), those whose answer never
 * changes for an object? */
bool jmap_qc_fixed_filter(json_t *f, const char *const fixed[], int depth);

/* collapseThreads: every email of a thread with a changed email counts
 * as changed, since which email stands for the thread may have changed
 * (jmap_thread.c). */
bool jmap_qc_widen_threads(struct jmap_call *c, uint64_t since,
    const struct store_id_changes *ch, json_t *changed, json_t **err);

/* Mailbox/query's whole sorted result (jmap_mailbox.c). */
json_t *jmap_mailbox_query_ids(struct jmap_call *c, char state[JMAP_ID_MAX],
    json_t **err);

#endif
