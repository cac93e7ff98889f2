/*
 * jmap_getset: what the standard methods (RFC 8620 section 5: /get,
 * /changes, /set, /query) share: the accountId check, ids and creation
 * ids, properties, state strings from the store's modseq counter, and
 * /changes over the store's change lists.
 */
#ifndef CLOISTER_JMAP_GETSET_H
#define CLOISTER_JMAP_GETSET_H

#include <stdint.h>

#include "jmap_internal.h"
#include "store_client.h"

/* Ids are a letter for the type and the store's number in decimal:
 * "M12" a Mailbox, "E7" an Email, "T3" a Thread. */
#define JMAP_ID_MAX 24
void jmap_id_fmt(char *buf, char type, uint64_t v);
/* s as an id of type; "#creationId" is looked up in c->created_ids first.
 * False if it is not one. */
bool jmap_id_parse(const struct jmap_call *c, const char *s, char type,
    uint64_t *v);

/* accountId is the account's (else *err: invalidArguments or
 * accountNotFound). */
bool jmap_check_account(struct jmap_call *c, json_t **err);

/* The user's state as a JMAP state string (false: *err set). */
bool jmap_state(struct jmap_call *c, char buf[JMAP_ID_MAX], json_t **err);
/* A state string back to the store's counter. */
bool jmap_state_parse(const char *s, uint64_t *v);

/* The "ids" argument: NULL (*ids NULL: all of them) or an array of
 * strings, at most maxObjectsInGet (else *err: requestTooLarge), each
 * once (*ids then replaces it in c->args). */
bool jmap_get_ids(struct jmap_call *c, json_t **ids, json_t **err);

/* The "properties" argument checked against known (NULL-terminated):
 * *props is a new object whose keys are the properties to return (def
 * when the argument is null or absent; "id" always). also_ok (may be
 * NULL) accepts names the list cannot hold ("header:..."). */
bool jmap_get_properties(struct jmap_call *c, const char *const *known,
    const char *const *def, bool (*also_ok)(const char *), json_t **props,
    json_t **err);
/* Drop from obj every key not in props. */
void jmap_filter_properties(json_t *obj, json_t *props);

/* Foo/changes: sinceState, maxChanges over the store's change list for
 * type (store_mbox_changes or store_email_changes). */
typedef int (*jmap_store_changes_fn)(struct store_conn *, uint64_t, uint32_t,
    struct store_id_changes *);
json_t *jmap_changes(struct jmap_call *c, jmap_store_changes_fn fn,
    char type, json_t **err);

/* The /get response shell: accountId, state, list [] and notFound []. */
json_t *jmap_get_response(struct jmap_call *c, const char *state);

/* Fill a /get response from all (every object, each with its "id"):
 * those ids names (NULL: all), cut to the properties wanted, in "list";
 * ids not among them in "notFound". */
void jmap_get_fill(json_t *res, json_t *all, json_t *ids, json_t *wanted);
/* The /query response for the whole sorted result ids (array of Id
 * strings): position or anchor/anchorOffset, limit, calculateTotal. */
json_t *jmap_query_response(struct jmap_call *c, json_t *ids,
    const char *state, json_t **err);

/* t (unix seconds) as a UTCDate "2026-01-31T12:00:00Z" (buf >= 21). */
void jmap_utc_date(char *buf, size_t n, uint64_t t);

/* Room for one more element in the array *v of *cap (n in use), each
 * size bytes: doubled when full. False on allocation failure. */
bool jmap_grow(void *v, size_t *cap, size_t n, size_t size);

/* An unsigned integer argument (absent: def); false if it is not one. */
bool jmap_uint_arg(json_t *args, const char *name, uint64_t def,
    uint64_t *v);

#endif
