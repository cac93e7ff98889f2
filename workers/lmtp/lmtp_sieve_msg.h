/*
 * lmtp_sieve_msg: a delivered message as the Sieve interpreter reads it
 * (struct sieve_message's callbacks, sieve_run.h), built on the MIME parse
 * lmtpd already made for the store's metadata. Header values are unfolded
 * and their RFC 2047 encoded words decoded to UTF-8 (RFC 5228 section
 * 2.7.2); body texts are transfer-decoded and converted to UTF-8. All of it
 * comes from one arena per recipient with a hard maximum, so a message
 * crafted to make the callbacks allocate gets empty answers instead.
 */
#ifndef CLOISTER_LMTP_SIEVE_MSG_H
#define CLOISTER_LMTP_SIEVE_MSG_H

#include "imap_arena.h"
#include "mime.h"
#include "sieve_run.h"

#define LMTP_SMSG_MEMORY (32u << 20)   /* arena of one recipient's run */
#define LMTP_SMSG_TEXT (1u << 20)      /* a body text given to a test */

#define LMTP_SMSG_BODY_VIEWS 8         /* distinct body tests' texts */

struct lmtp_smsg_part;

/* A body text made for a test, kept for the next test that asks the same
 * (transform and content types): decoding is paid once per run. */
struct lmtp_smsg_body {
	enum sieve_body_transform t;
	const char *types;     /* the types joined by newlines */
	const char *text;
	size_t len;
};

struct lmtp_smsg {
	const struct mime_msg *m;
	struct imap_arena arena;
	struct lmtp_smsg_part *parts;   /* decoded fields, made on first use */
	struct lmtp_smsg_body bodies[LMTP_SMSG_BODY_VIEWS];
	size_t nbodies;
	struct sieve_message sm;        /* what sieve_run reads */
};

/* Bind to a parsed message; the envelope, size and time are the caller's
 * to fill in s->sm. */
void lmtp_smsg_init(struct lmtp_smsg *s, const struct mime_msg *m);
/* Forget what the last run decoded (between recipients). */
void lmtp_smsg_reset(struct lmtp_smsg *s);
void lmtp_smsg_free(struct lmtp_smsg *s);

/* The i-th field name of part (decoded), as the callbacks give it. */
int lmtp_smsg_field(struct lmtp_smsg *s, size_t part, const char *name,
    size_t i, const char **value, size_t *len);

#endif
