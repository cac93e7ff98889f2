/*
 * jmap_snooze: the Email property `snoozed` of Cyrus's JMAP mail
 * extension (https://cyrusimap.org/ns/jmap/mail): {"until": UTCDate,
 * "setKeywords": {keyword: true|false}?, "moveToMailboxId": id?} or
 * null. stored keeps the snooze and wakes the email at `until`
 * (store/snooze.h); this file turns the property into STORE_SNOOZE_SET
 * and STORE_SNOOZE_GET and back.
 */
#ifndef CLOISTER_JMAP_SNOOZE_H
#define CLOISTER_JMAP_SNOOZE_H

#include "jmap_email_common.h"

#define JMAP_CAP_CYRUS_MAIL "https://cyrusimap.org/ns/jmap/mail"

/* What one Email/set patch says of snoozed. */
struct jmap_snooze_change {
	json_t *whole;      /* "snoozed": the new value; NULL: not named */
	json_t *parts;      /* "snoozed/<path>": path -> value; NULL: none */
};

/* Is k the property or one of its paths? */
bool jmap_snooze_key(const char *k);
/* Take patch key k (jmap_snooze_key) with value v into sn; false when
 * the value cannot be right (invalidProperties). */
bool jmap_snooze_read(struct jmap_snooze_change *sn, const char *k,
    json_t *v);
bool jmap_snooze_named(const struct jmap_snooze_change *sn);
void jmap_snooze_change_free(struct jmap_snooze_change *sn);
/* The snooze sn makes of current (the value now: an object or null)
 * into *s (until 0: none); NULL, or the property a SetError names. No
 * store call: a pure function of its JSON (fuzz_jmap_snooze). */
const char *jmap_snooze_value(struct jmap_call *c, json_t *current,
    const struct jmap_snooze_change *sn, struct store_snooze *s);
/* Make the change on emailid (after its mailboxIds moved): NULL, or the
 * SetError; a store failure that is not the email's sets *method_err. */
json_t *jmap_snooze_apply(struct jmap_call *c, uint64_t emailid,
    const struct jmap_snooze_change *sn, json_t **method_err);
/* The snoozed emails among ids: a map of email id ("E...") to value;
 * an email not snoozed is absent. NULL on a store failure (*rc). */
json_t *jmap_snooze_get_many(struct store_conn *sc, const uint64_t *ids,
    size_t n, int *rc);
/* The property's value for emailid (an object or null); NULL on a
 * store failure (*rc). */
json_t *jmap_snooze_get(struct store_conn *sc, uint64_t emailid, int *rc);

#endif
