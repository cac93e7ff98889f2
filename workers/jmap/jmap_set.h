/*
 * jmap_set: the frame every Foo/set shares (RFC 8620 section 5.3):
 * arguments, ifInState (stateMismatch), maxObjectsInSet
 * (requestTooLarge), oldState/newState and the result maps. The type
 * supplies begin (read what it needs, false: *pending set; NULL: nothing
 * to read), create (all
 * of the create map at once: creation ids may refer to each other),
 * update and destroy of one id each (NULL when done, else a SetError).
 * A store failure that is not the object's (the store is gone) goes to
 * *pending and ends the method with it.
 */
#ifndef CLOISTER_JMAP_SET_H
#define CLOISTER_JMAP_SET_H

#include "jmap_getset.h"

struct jmap_set_ops {
	bool (*begin)(void *ctx);
	void (*create)(void *ctx, json_t *create, json_t *created,
	    json_t *not_created);
	json_t *(*update)(void *ctx, const char *id, json_t *patch);
	json_t *(*destroy)(void *ctx, const char *id);
};

json_t *jmap_set_run(struct jmap_call *c, const struct jmap_set_ops *ops,
    void *ctx, json_t **pending, json_t **err);

/* A SetError {"type", "properties": [property]} (property may be NULL). */
json_t *jmap_set_error(const char *type, const char *property);
/* A store failure as a SetError; NULL (and *method_err set) when it is
 * not the object's but the store's. */
json_t *jmap_store_set_error(struct jmap_call *c, int rc,
    json_t **method_err);

#endif
