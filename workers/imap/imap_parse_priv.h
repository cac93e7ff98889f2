/*
 * imap_parse_priv: the cursor and the grammar primitives the command
 * parsers share (imap_parse*.c only). Every primitive returns 0 or -1; on
 * -1 the parser's error is set (first error wins) and the command is BAD.
 */
#ifndef CLOISTER_IMAP_PARSE_PRIV_H
#define CLOISTER_IMAP_PARSE_PRIV_H

#include "imap_parse.h"

struct imap_parser {
	const uint8_t *t;
	size_t len, pos;
	const struct imap_parse_ctx *ctx;
	size_t next_ext;            /* next spooled literal to meet */
	unsigned items;             /* counted against lim->max_items */
	unsigned depth;
	bool failed;
	bool no;                    /* refuse with NO instead of BAD */
	struct imap_parse_error *err;
};

int p_fail(struct imap_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A NO with a response code (well-formed but refused). */
int p_refuse(struct imap_parser *p, const char *code, const char *msg);
void *p_alloc(struct imap_parser *p, size_t n);
/* Count one list item / key against max_items. */
int p_item(struct imap_parser *p);
int p_enter(struct imap_parser *p);    /* nesting depth + 1 */
void p_leave(struct imap_parser *p);

int p_peek(const struct imap_parser *p);       /* -1 at end */
bool p_at_end(const struct imap_parser *p);    /* CRLF / LF / end next */
int p_sp(struct imap_parser *p);
int p_char(struct imap_parser *p, char c);
bool p_try_char(struct imap_parser *p, char c);
int p_end(struct imap_parser *p);              /* CRLF and nothing after */
/* Case-insensitive word followed by a delimiter; consumes it if found. */
bool p_try_word(struct imap_parser *p, const char *w);
/* Case-insensitive prefix, no delimiter check ("BODY.PEEK["). */
bool p_try_prefix(struct imap_parser *p, const char *w);

/* Atom-like runs; the copy is NUL-terminated in the arena. */
int p_atom(struct imap_parser *p, const char **out, size_t *len);
int p_atom_upper(struct imap_parser *p, const char **out);
int p_astring(struct imap_parser *p, struct imap_str *out);
int p_string(struct imap_parser *p, struct imap_str *out);
/* NIL -> out->s NULL */
int p_nstring(struct imap_parser *p, struct imap_str *out);
int p_list_mailbox(struct imap_parser *p, struct imap_str *out);
int p_mailbox(struct imap_parser *p, struct imap_str *out);
/* string/literal8 for APPEND message data; spooled literals allowed */
int p_append_data(struct imap_parser *p, struct imap_str *out);

int p_number(struct imap_parser *p, uint32_t *v);
int p_nz_number(struct imap_parser *p, uint32_t *v);
int p_number64(struct imap_parser *p, uint64_t *v);     /* < 2^63 */
int p_mod_seq(struct imap_parser *p, uint64_t *v);      /* 1 .. 2^63-1 */

int p_seqset(struct imap_parser *p, struct imap_seqset *s);
/* Flag names: system flags to bits, keywords collected; with_recent
 * allows \Recent (search), with_wild allows \* (PERMANENTFLAGS only). */
int p_flag(struct imap_parser *p, struct imap_flags *f, bool with_recent);
int p_flag_list(struct imap_parser *p, struct imap_flags *f);
/* date = date-text / DQUOTE date-text DQUOTE -> days since the epoch */
int p_date(struct imap_parser *p, int32_t *day);
/* date-time = DQUOTE "dd-Mon-yyyy hh:mm:ss +zzzz" DQUOTE */
int p_date_time(struct imap_parser *p, time_t *t, int *tz_minutes);

/* imap_parse_search.c, imap_parse_fetch.c */
int p_search(struct imap_parser *p, struct imap_search_args *a);
int p_sort(struct imap_parser *p, struct imap_search_args *a);
int p_thread(struct imap_parser *p, struct imap_search_args *a);
int p_fetch(struct imap_parser *p, struct imap_fetch_args *a);

#endif
