/*
 * import_mbox_parse: an mbox file's messages (From_ lines, mboxrd/mboxo
 * quoting) and the headers mail programs keep their state in (Status,
 * X-Status, X-Keywords, and Dovecot's and UW-IMAP's X-UID, X-IMAP,
 * X-IMAPbase). Pure functions over buffers (tests/fuzz/fuzz_import_mbox.c).
 */
#ifndef CLOISTER_IMPORT_MBOX_PARSE_H
#define CLOISTER_IMPORT_MBOX_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MBOX_KEYWORDS 64

/* One message's raw range: after its From_ line, up to the next. */
struct mbox_raw {
	const char *from;          /* the From_ line, without "From " */
	size_t fromlen;
	const char *p;
	size_t n;
};
/* The next message from *pos; false at the end. A From_ line starts a
 * message at the start of the file or after an empty line. */
bool mbox_next(const char *p, size_t n, size_t *pos, struct mbox_raw *m);

/* The date of a From_ line ("sender Www Mmm dd hh:mm:ss yyyy"), as UTC;
 * 0 if there is none. */
int64_t mbox_from_date(const char *from, size_t n);

/* A message as it goes to the store: the state headers taken out (and
 * read), one '>' taken off every ">From " / ">>From " line. */
struct mbox_msg {
	struct buf out;            /* the message */
	uint32_t flags;            /* STORE_FLAG_* */
	uint32_t uid;              /* X-UID, 0 if none */
	uint32_t uidvalidity, uidnext;   /* X-IMAPbase / X-IMAP */
	bool pseudo;               /* X-IMAP: the folder's data, not mail */
	char kwbuf[1024];          /* X-Keywords, NUL-separated */
	const char *kw[MBOX_KEYWORDS];
	size_t nkw;
};
/* 0, or -1 if the message does not fit out. */
int mbox_clean(const struct mbox_raw *raw, struct mbox_msg *m);

#endif
