/*
 * imap_reader: cuts the client's byte stream into whole IMAP commands.
 *
 * A command is one or more lines joined by literals ("{n}", "{n+}",
 * "~{n}"). The reader keeps the command text (lines and inline literal
 * bytes, exactly as sent) in one bounded buffer for the parser, and diverts
 * the large literals of APPEND (the messages) into one spool memfd per
 * command, so that a 50 MB message never sits in the heap. It decides
 * nothing about the grammar beyond what framing needs: where a line ends,
 * whether it ends in a literal announcement outside a quoted string, and
 * which command word opened it.
 *
 * Limits (all enforced before the bytes are stored):
 *   max_line      one line between literals; longer lines are read to
 *                 their end without being kept, then rejected (BAD)
 *   max_command   text + inline literals of one command
 *   max_literal   one APPEND message literal; larger: NO [TOOBIG] before a
 *                 synchronizing literal, BAD + BYE for a non-synchronizing one
 *   max_spool     all message literals of one (MULTI)APPEND
 *   max_literals  literals in one command
 *
 * Before login (imap_reader_set_prelogin) an unauthenticated client may
 * make the reader hold a few KiB at most: lines and commands are short,
 * nothing is spooled, a synchronizing literal gets a continuation only
 * for LOGIN and AUTHENTICATE and only up to IMAP_PRELOGIN_LITERAL_MAX
 * (otherwise BAD, the session goes on), and a larger non-synchronizing
 * literal ends the session (its bytes are already on their way).
 */
#ifndef CLOISTER_IMAP_READER_H
#define CLOISTER_IMAP_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct imap_limits {
	size_t max_line;
	size_t max_command;
	uint64_t max_literal;
	uint64_t max_spool;
	unsigned max_literals;
	unsigned max_depth;     /* parser: parenthesis nesting */
	unsigned max_items;     /* parser: list items / search keys / atts */
};
#define IMAP_DEFAULT_LIMITS { 64 * 1024, 1024 * 1024, 50 * 1024 * 1024, \
	200 * 1024 * 1024, 1000, 32, 10000 }

/* In APPEND, a literal longer than this goes to the spool: mailbox names,
 * flags and dates are never that long, messages usually are. */
#define IMAP_INLINE_LITERAL_MAX 1024

/* A literal kept in the spool instead of the text. */
struct imap_ext_literal {
	size_t text_pos;      /* offset of its "{" (or "~{") in the text */
	uint64_t spool_off;
	uint64_t size;
	bool binary;          /* literal8 */
	bool has_nul;         /* a NUL byte: legal only in literal8 */
};

#define IMAP_MAX_EXT_LITERALS 1000

/* The limits before login. A literal's cap is LITERAL-'s (RFC 7888):
 * what a client may send without waiting for a continuation. */
#define IMAP_PRELOGIN_LINE_MAX 8192
#define IMAP_PRELOGIN_LITERAL_MAX 4096
#define IMAP_PRELOGIN_COMMAND_MAX (IMAP_PRELOGIN_LINE_MAX + \
	IMAP_PRELOGIN_LITERAL_MAX)

enum imap_rd_event {
	RD_MORE,        /* all input consumed; feed more */
	RD_CONTINUE,    /* a synchronizing literal is accepted: send "+ ..." */
	RD_COMMAND,     /* a whole command: imap_reader_text() / ext[] */
	RD_REJECT,      /* the command was dropped: answer tagged (or untagged
	                 * if no tag could be read) BAD or NO, then go on */
	RD_FATAL,       /* answer (tagged BAD if a tag is known, then) BYE and
	                 * close: the stream cannot be resynchronised */
};

enum imap_rd_reason {
	RDR_NONE,
	RDR_LINE_TOO_LONG,
	RDR_COMMAND_TOO_LONG,
	RDR_LITERAL_TOO_BIG,     /* APPEND message over max_literal/spool */
	RDR_TOO_MANY_LITERALS,
	RDR_LITERAL_SIZE,        /* unparsable or absurd literal count */
	RDR_SPOOL_FAILED,        /* memfd/write failed (internal) */
	RDR_PRELOGIN_LITERAL,    /* a literal no command before login takes */
};

struct imap_reader {
	struct imap_limits lim;  /* in force (the pre-login ones before login) */
	struct imap_limits full; /* the configured ones */
	bool prelogin;
	struct buf text;
	int state;
	size_t line_start;       /* offset of the current line in text */
	size_t line_len;         /* bytes of the current line so far */
	bool in_quote, escaped;
	bool discarding;         /* line too long: reading to its end */
	enum imap_rd_reason reason;
	uint64_t discarded;      /* bytes dropped while discarding */
	uint8_t tail[32];        /* last bytes of a discarded line */
	size_t tail_len;
	uint64_t lit_left;       /* literal bytes still to come */
	bool lit_ext;            /* the current literal goes to the spool */
	int spool_fd;
	uint64_t spool_len;
	struct imap_ext_literal *ext;
	size_t next;
	unsigned nliterals;
	bool is_append;          /* command word known to be APPEND */
	bool is_login;           /* ... LOGIN or AUTHENTICATE */
	bool cmd_known;
	/* filled for RD_REJECT / RD_FATAL / RD_CONTINUE */
	char tag[64];
	bool tag_valid;
	bool reject_no;          /* NO (else BAD) */
	bool sync_literal;       /* the pending literal was synchronizing */
	uint64_t lit_size;
};

void imap_reader_init(struct imap_reader *r, const struct imap_limits *lim);
void imap_reader_free(struct imap_reader *r);

/* Consume input up to the next event; *used says how many bytes were
 * taken (the caller drops them and calls again with the rest). */
enum imap_rd_event imap_reader_feed(struct imap_reader *r, const uint8_t *in,
    size_t len, size_t *used);

/* After RD_COMMAND: the command text (not NUL-terminated) and the spooled
 * literals. Valid until imap_reader_next(). */
const uint8_t *imap_reader_text(const struct imap_reader *r, size_t *len);
size_t imap_reader_next_ext(const struct imap_reader *r);
const struct imap_ext_literal *imap_reader_ext(const struct imap_reader *r,
    size_t i);
int imap_reader_spool_fd(const struct imap_reader *r);

/* After RD_COMMAND or RD_REJECT: start on the next command. Frees large
 * buffers so an idle session stays small. */
void imap_reader_next(struct imap_reader *r);
/* After RD_CONTINUE, refuse the literal instead (the command is answered
 * NO/BAD by the caller; the client will not send the literal). */
void imap_reader_refuse(struct imap_reader *r);

/* Before login (on) or after (off): the limits above. Call between
 * commands or from the LOGIN/AUTHENTICATE handler. */
void imap_reader_set_prelogin(struct imap_reader *r, bool on);

/* Zero the command text (it held a password). */
void imap_reader_wipe(struct imap_reader *r);

/* True between commands: no partial command buffered (STARTTLS checks
 * that no plaintext was pipelined after it). */
bool imap_reader_idle(const struct imap_reader *r);

const char *imap_rd_reason_text(enum imap_rd_reason r);

#endif
