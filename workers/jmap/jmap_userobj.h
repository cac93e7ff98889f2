/*
 * jmap_userobj: a JSON document kept for the user by stored (a per-user
 * object, STORE_OBJ_GET/SET): jmap_identity.c's Identities and
 * jmap_vacation.c's VacationResponse. A save replaces the document only
 * if nobody saved another since it was loaded (STORE_E_CONFLICT).
 */
#ifndef CLOISTER_JMAP_USEROBJ_H
#define CLOISTER_JMAP_USEROBJ_H

#include "jmap_getset.h"

/* The store keys of the documents (jmap_http_event.c watches them). */
#define JMAP_IDENTITY_KEY "jmap.identity"
#define JMAP_VACATION_KEY "jmap.vacation"
#define JMAP_SIEVE_KEY "jmap.sieve"      /* SieveScript ids (jmap_sieve.h) */

struct jmap_userobj {
	json_t *doc;                   /* an object; {} when there is none */
	uint64_t modseq;               /* of the version loaded (0: none) */
};

/* STORE_OK with o->doc set (a stored value that is not a JSON object
 * reads as {}), or a store error. */
int jmap_userobj_load(struct jmap_call *c, const char *key,
    struct jmap_userobj *o);
/* STORE_OK (o->modseq the new version), STORE_E_CONFLICT, STORE_E_LIMIT
 * (the document is past STORE_OBJ_MAX), or a store error. */
int jmap_userobj_save(struct jmap_call *c, const char *key,
    struct jmap_userobj *o);
void jmap_userobj_free(struct jmap_userobj *o);

/* The user's address: the user name if it is one, else user@domain. */
void jmap_user_address(const struct jmap_account *a, char *buf, size_t n);

#endif
