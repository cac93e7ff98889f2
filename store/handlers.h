/*
 * handlers: one function per request type, named in dispatch.c's table.
 * Each decodes its fields with the one codec, ends with
 * req_end_of_fields(), re-checks its own preconditions (docs/design.md:
 * privileged handlers re-check) and
 * returns 0 (reply built in r) or a negative IPC error (req_fail).
 */
#ifndef CLOISTER_STORE_HANDLERS_H
#define CLOISTER_STORE_HANDLERS_H

#include <stdint.h>

struct req;

/* session.c */
int h_ping(struct req *r);
int h_hello(struct req *r);
int h_rcpt_check(struct req *r);
int h_deliver(struct req *r);
int h_rcpt_provision(struct req *r);
/* r->u and its database for a delivery-right request naming user name:
 * refused unless the sender's policy grants right and the channel is a
 * worker's with no user bound. */
int delivery_user_for(struct req *r, uint32_t right, const char *name,
    size_t len);
int h_adm_mbox_detail(struct req *r);
int h_watch(struct req *r);
int h_quota_get(struct req *r);
/* obj.c */
int h_obj_get(struct req *r);
int h_obj_set(struct req *r);
/* obj.c for push_sub.c: the object under key of r->d's user as OBJ_GET
 * answers it; replace it as OBJ_SET does. */
int obj_reply(struct req *r, const char *key);
int obj_put(struct req *r, const char *key, uint64_t expect,
    const uint8_t *v, size_t n);
int h_push_watch(struct req *r);
int h_push_get(struct req *r);
int h_push_put(struct req *r);
/* mailbox.c */
int h_mbox_list(struct req *r);
int h_mbox_create(struct req *r);
int h_mbox_delete(struct req *r);
int h_mbox_rename(struct req *r);
int h_mbox_subscribe(struct req *r);
int h_mbox_status(struct req *r);
int h_mbox_set_use(struct req *r);
int h_recent_claim(struct req *r);
int h_keywords(struct req *r);
/* message.c */
int h_append(struct req *r);
int h_fetch(struct req *r);
int h_body(struct req *r);
int h_bodies(struct req *r);
int h_flags(struct req *r);
int h_copy(struct req *r);
int h_move(struct req *r);
int h_expunge(struct req *r);
int h_changes(struct req *r);
/* search.c */
int h_search(struct req *r);
/* jmap.c */
int h_state(struct req *r);
int h_thread_counts(struct req *r);
int h_email_query(struct req *r);
int h_mbox_changes(struct req *r);
int h_email_changes(struct req *r);
int h_blob_get(struct req *r);
int h_thread_get(struct req *r);
int h_email_locate(struct req *r);
/* thread_changes.c */
int h_thread_changes(struct req *r);
int h_thread_peers(struct req *r);
int h_email_locate_many(struct req *r);
/* blob.c */
int h_blob_upload(struct req *r);
int h_blob_append(struct req *r);
/* admin.c */
int h_adm_user_create(struct req *r);
/* A new user of this shard with its default mailboxes (admin.c). */
int user_create(struct req *r, const char *user);
int h_adm_user_delete(struct req *r);
int h_adm_user_list(struct req *r);
int h_adm_mbox_create(struct req *r);
int h_adm_mbox_delete(struct req *r);
int h_adm_mbox_rename(struct req *r);
int h_adm_mbox_list(struct req *r);
int h_adm_quota_get(struct req *r);
int h_adm_quota_set(struct req *r);
/* r->u from the request's first field (a user name); refuses a channel
 * that is not the admin's. */
int adm_user(struct req *r);
/* import.c: migration in and out (cloisterctl import / export) */
int h_adm_import_mbox(struct req *r);
int h_adm_import_append(struct req *r);
int h_adm_msg_list(struct req *r);
int h_adm_body(struct req *r);
/* sieve_script.c: users' Sieve scripts */
int h_sieve_list(struct req *r);
int h_sieve_put(struct req *r);
int h_sieve_get(struct req *r);
int h_sieve_activate(struct req *r);
int h_sieve_delete(struct req *r);
int h_sieve_rename(struct req *r);
int h_sieve_havespace(struct req *r);
int h_sieve_program(struct req *r);
int h_adm_sieve_put(struct req *r);
int h_adm_sieve(struct req *r);
/* seen.c */
int h_seen_check(struct req *r);
/* Seen records a delivery makes in its own transaction. */
struct seen_rec {
	uint32_t kind;
	const uint8_t *key;        /* STORE_SEEN_KEY_LEN bytes */
	uint64_t seconds;
	bool if_new;               /* sent with STORE_SEEN_IF_NEW */
};
/* u32 n (at most STORE_DELIVER_SEEN_MAX), n × (u32 kind, bytes key, u64
 * seconds): 0, or MALFORMED. */
int seen_parse_recs(struct req *r, struct seen_rec *recs, uint32_t *n);
/* EXISTS if a record sent with STORE_SEEN_IF_NEW is there already; 0. */
int seen_refuse_known(struct req *r, const struct seen_rec *recs,
    uint32_t n);
/* Record each one not seen within its seconds (within a write). */
int seen_record_all(struct req *r, const struct seen_rec *recs, uint32_t n);
/* Drop a batch of expired seen records (within a write). */
int seen_prune(struct req *r);
/* mbox_exists.c */
int h_mbox_exists(struct req *r);
/* deliver_to.c */
int h_deliver_to(struct req *r);
/* freeze.c */
int h_adm_freeze(struct req *r);
int h_adm_thaw(struct req *r);

#endif
