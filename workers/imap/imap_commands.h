/*
 * imap_commands: the handlers the session's dispatch table points to, one
 * per command (imap_cmd_*.c). Each gets the parsed command in s->cmd,
 * writes its untagged responses and exactly one tagged response, and
 * returns 0, or -1 when the session must end (client or store gone).
 */
#ifndef CLOISTER_IMAP_COMMANDS_H
#define CLOISTER_IMAP_COMMANDS_H

#include "imap_session.h"

typedef int (*imap_handler)(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_any.c: any state */
int imap_cmd_capability(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_noop(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_logout(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_id(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_enable(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_namespace(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_auth.c: not authenticated */
int imap_cmd_starttls(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_login(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_authenticate(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_mailbox.c: mailbox management */
int imap_cmd_create(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_delete(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_rename(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_subscribe(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_status(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_getquota(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_setquota(struct imap_session *s, struct imap_cmd *c);

/* "(MESSAGES n UIDNEXT n ...)" of the STATUS items asked (STATUS and
 * LIST-STATUS). */
void imap_status_items(struct imap_session *s, struct buf *b, uint32_t items,
    const struct store_mbox_status *st);

/* imap_cmd_list.c: LIST, LSUB */
int imap_cmd_list(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_select.c: SELECT, EXAMINE, CLOSE, UNSELECT, CHECK */
int imap_cmd_select(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_close(struct imap_session *s, struct imap_cmd *c);

/* The mailbox's FLAGS / PERMANENTFLAGS again: a keyword was added. */
struct imap_keywords;
void imap_flags_announce(struct imap_session *s, const struct imap_keywords *kw);
/* The keyword table to format FLAGS with: the store client's copy (asked
 * anew when refresh), after announcing FLAGS again when it names keywords
 * the client has not been shown. */
int imap_keywords_current(struct imap_session *s, struct imap_keywords *kw,
    bool refresh);

/* imap_cmd_idle.c */
int imap_cmd_idle(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_append.c */
int imap_cmd_append(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_fetch.c */
int imap_cmd_fetch(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_store.c: STORE, COPY, MOVE, EXPUNGE */
int imap_cmd_store(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_copy(struct imap_session *s, struct imap_cmd *c);
int imap_cmd_expunge(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_search.c */
int imap_cmd_search(struct imap_session *s, struct imap_cmd *c);

/* imap_cmd_auth.c: after a successful SASL exchange (LOGIN or
 * AUTHENTICATE): bind the store, autocreate, answer OK. */
int imap_login_done(struct imap_session *s, const struct auth_reply *r);

#endif
