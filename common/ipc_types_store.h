/*
 * stored messages (workers, cloisterctl <-> stored). Fields, senders,
 * replies and errors: docs/store-protocol.md. Included by ipc_types.h only.
 * Which service may send which: the store-op lines of the policy files,
 * enforced by store/dispatch.c on every request. The list stays here, in
 * the one IPC type list; everything else both ends of the store protocol
 * agree on (limits, bits, layouts, codecs) is store/store_proto.h.
 */
#ifndef CLOISTER_IPC_TYPES_STORE_H
#define CLOISTER_IPC_TYPES_STORE_H

#define IPC_STORE_TYPES(X)                                                 \
	X(STORE_HELLO, 200)        /* present a ticket; binds the connection */ \
	X(STORE_RCPT_CHECK, 201)   /* delivery right: does the user exist */ \
	X(STORE_DELIVER, 202)      /* delivery right: append to INBOX/+detail */ \
	X(STORE_RCPT_PROVISION, 203) /* authd's ticket: create the store */ \
	X(STORE_MBOX_LIST, 210)                                            \
	X(STORE_MBOX_CREATE, 211)                                          \
	X(STORE_MBOX_DELETE, 212)                                          \
	X(STORE_MBOX_RENAME, 213)                                          \
	X(STORE_MBOX_SUBSCRIBE, 214)                                       \
	X(STORE_MBOX_STATUS, 215)                                          \
	X(STORE_MBOX_SET_USE, 216)                                         \
	X(STORE_KEYWORDS, 217)                                             \
	X(STORE_RECENT_CLAIM, 218) /* IMAP4rev1 Recent: claim or look */   \
	X(STORE_MBOX_EXISTS, 219)  /* delivery right: Sieve mailboxexists */ \
	X(STORE_APPEND, 230)                                               \
	X(STORE_FETCH, 231)                                                \
	X(STORE_BODY, 232)                                                 \
	X(STORE_FLAGS, 233)                                                \
	X(STORE_COPY, 234)                                                 \
	X(STORE_MOVE, 235)                                                 \
	X(STORE_EXPUNGE, 236)                                              \
	X(STORE_CHANGES, 237)                                              \
	X(STORE_SEARCH, 238)                                               \
	X(STORE_BODIES, 239)       /* many bodies: a batch of fds */       \
	X(STORE_THREAD_COUNTS, 240) /* every mailbox's JMAP thread counts */ \
	X(STORE_EMAIL_QUERY, 241)  /* JMAP Email/query: a page and the total */ \
	X(STORE_THREAD_CHANGES, 242) /* JMAP Thread/changes */             \
	X(STORE_THREAD_PEERS, 243) /* emails sharing a thread with a change */ \
	X(STORE_SNOOZE_SET, 244)   /* snooze an email until a time, or not */ \
	X(STORE_SNOOZE_GET, 245)   /* the snoozes of some emails */       \
	X(STORE_STATE, 250)                                                \
	X(STORE_MBOX_CHANGES, 251)                                         \
	X(STORE_EMAIL_CHANGES, 252)                                        \
	X(STORE_BLOB_GET, 253)                                             \
	X(STORE_THREAD_GET, 254)                                           \
	X(STORE_EMAIL_LOCATE, 255)                                         \
	X(STORE_BLOB_UPLOAD, 256)  /* keep a memfd as an upload (JMAP) */  \
	X(STORE_BLOB_APPEND, 257)  /* append a blob of the user's */       \
	X(STORE_EMAIL_LOCATE_MANY, 258) /* where many emails are (Email/set) */ \
	X(STORE_QUOTA_GET, 260)                                            \
	X(STORE_PUSH_WATCH, 261)   /* push right: hear every user's changes */ \
	X(STORE_PUSH_EVENT, 262)   /* stored -> pushd, unsolicited */      \
	X(STORE_PUSH_GET, 263)     /* push right: a user's subscriptions */ \
	X(STORE_PUSH_PUT, 264)     /* push right: replace them (CAS) */    \
	X(STORE_WATCH, 270)                                                \
	X(STORE_NOTIFY, 271)       /* stored -> worker, unsolicited */     \
	X(STORE_OBJ_GET, 280)      /* a per-user object (JMAP Identity...) */ \
	X(STORE_OBJ_SET, 281)      /* replace it if it is the one read */  \
	X(STORE_API_SLOT, 282)     /* JMAP maxConcurrentRequests per user */ \
	X(STORE_OUTBOX_CHANGE, 283) /* cancel a JMAP submission, or hide it */ \
	X(STORE_SIEVE_LIST, 284)   /* the user's Sieve scripts */          \
	X(STORE_SIEVE_PUT, 285)    /* source + program (memfd) */          \
	X(STORE_SIEVE_GET, 286)    /* a script's source */                 \
	X(STORE_SIEVE_ACTIVATE, 287) /* at most one active; "" none */     \
	X(STORE_SIEVE_DELETE, 288)                                         \
	X(STORE_SIEVE_RENAME, 289)                                         \
	X(STORE_SIEVE_HAVESPACE, 290) /* would a script fit the quota */   \
	X(STORE_SIEVE_PROGRAM, 291) /* delivery right: a compiled program */ \
	X(STORE_SEEN_CHECK, 292)   /* delivery right: vacation/duplicate */ \
	X(STORE_DELIVER_TO, 293)   /* delivery right: fileinto a mailbox */ \
	X(STORE_ADM_SIEVE_PUT, 294) /* admin: put any user's script */     \
	X(STORE_ADM_SIEVE, 295)    /* admin: list/get/activate/delete */   \
	X(STORE_OUTBOX_ADD, 296)   /* queue a message for submitd */      \
	X(STORE_OUTBOX_CLAIM, 297) /* submitd: the next due entry */      \
	X(STORE_OUTBOX_RESULT, 298) /* submitd: sent, retry or failed */  \
	X(STORE_ADM_OUTBOX_ADD, 299) /* admin: queue a message for a user */ \
	X(STORE_ADM_OUTBOX_LIST, 318) /* admin: the entries not sent (mailq) */ \
	/* submitd <-> cloisterd on submitd's control channel (docs/submitd.md): \
	 * the relay connection; numbered here, with the outbox they serve */ \
	X(CTL_RELAY_ASK, 316)      /* submitd: connect me to the relay */ \
	X(CTL_RELAY, 317)          /* cloisterd: u32 errno (0: fd attached) */ \
	X(STORE_OUTBOX_LIST, 319)  /* a user's JMAP submissions, paged */ \
	X(STORE_OUTBOX_COMMIT, 320) /* submitd: about to write the final dot */ \
	/* submitd <-> cloisterd: a fresh channel to a restarted store shard, \
	 * so that a result submitd holds reaches it */ \
	X(CTL_STORE_ASK, 321)      /* submitd: u32 shard */ \
	X(CTL_STORE_CHAN, 322)     /* cloisterd: u32 errno (0: fd attached) */ \
	X(STORE_OUTBOX_REPORT, 324) /* delivery right: a DSN names a submission */ \
	X(STORE_ADM_USER_CREATE, 300)                                      \
	X(STORE_ADM_USER_DELETE, 301)                                      \
	X(STORE_ADM_USER_LIST, 302)                                        \
	X(STORE_ADM_MBOX_CREATE, 303)                                      \
	X(STORE_ADM_MBOX_DELETE, 304)                                      \
	X(STORE_ADM_MBOX_RENAME, 305)                                      \
	X(STORE_ADM_MBOX_LIST, 306)                                        \
	X(STORE_ADM_QUOTA_GET, 307)                                        \
	X(STORE_ADM_QUOTA_SET, 308)                                        \
	X(STORE_ADM_FREEZE, 309)                                           \
	X(STORE_ADM_THAW, 310)                                             \
	X(STORE_ADM_MBOX_DETAIL, 311) /* +detail delivery into a mailbox */ \
	X(STORE_ADM_IMPORT_MBOX, 312) /* migration: a mailbox, its UIDVALIDITY */ \
	X(STORE_ADM_IMPORT_APPEND, 313) /* migration: messages, their UIDs */ \
	X(STORE_ADM_MSG_LIST, 314) /* migration: UIDs, flags, dates, hashes */ \
	X(STORE_ADM_BODY, 315)     /* migration: one message's bytes (export) */

#endif
