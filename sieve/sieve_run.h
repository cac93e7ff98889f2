/*
 * sieve_run: runs a loaded program against one message for one recipient
 * and returns what to do with it (RFC 5228 section 2.10). The interpreter
 * never touches the store, the network or a clock: the message comes in
 * through callbacks, the actions go out as a list the caller carries out.
 *
 * Budgets, as docs/sieve.md has them: at most steps commands, tests and key
 * comparisons; every string the run makes (variables, expansions, action
 * text) from one arena of memory bytes; at most regexes regular
 * expressions compiled, each under the limits of sv_regex.h; at most
 * redirects redirect actions. A run over a
 * budget or with a run-time error returns the implicit keep alone and the
 * reason in why.
 */
#ifndef CLOISTER_SIEVE_RUN_H
#define CLOISTER_SIEVE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_arena.h"
#include "sieve.h"

enum sieve_body_transform { SIEVE_BODY_TEXT, SIEVE_BODY_RAW,
	SIEVE_BODY_CONTENT };

struct sieve_message {
	void *ctx;
	/* The i-th field (0-based, in message order) named name (any case),
	 * unfolded: 0, or -1 when there are fewer. */
	int (*header)(void *ctx, const char *name, size_t i,
	    const char **value, size_t *len);
	/* The body as the body test sees it; for SIEVE_BODY_CONTENT the
	 * parts whose type is one of types ("" any, "text" a type,
	 * "text/html" a type and subtype), concatenated. NULL: no body. */
	int (*body)(void *ctx, enum sieve_body_transform t,
	    const char *const *types, size_t ntypes, const char **text,
	    size_t *len);
	const char *envelope_from;   /* "" for the null return path */
	const char *envelope_to;
	uint64_t size;
	/* the time of delivery and the server's zone (minutes east of
	 * UTC): currentdate, and date without :zone (RFC 5260) */
	int64_t now;
	int zone;
	/* mailboxexists (RFC 5490): 1 exists, 0 not; NULL: none does */
	int (*mailbox_exists)(void *ctx, const char *name);
	/* duplicate (RFC 7352): whether id was seen under handle within
	 * seconds, recorded now (unless the caller waits for delivery).
	 * NULL: nothing is a duplicate. */
	int (*duplicate)(void *ctx, const char *handle, const char *id,
	    size_t idlen, uint64_t seconds, bool last);
	/* MIME parts (RFC 5703): part 0 is the message, the others follow
	 * depth-first, each after its parent; part_header is header for
	 * one part. NULL part_header: the message has no other part. */
	size_t nparts;
	size_t (*part_parent)(void *ctx, size_t part);
	int (*part_header)(void *ctx, size_t part, const char *name, size_t i,
	    const char **value, size_t *len);
	/* The decoded text of a text/ part (extracttext); -1 or NULL:
	 * none. */
	int (*part_text)(void *ctx, size_t part, const char **text,
	    size_t *len);
	/* include (RFC 6609): the loaded program of the user's (or, with
	 * global, the server's) script name, which the caller keeps until
	 * the run ends; NULL when there is none. NULL callback: none. */
	const struct sieve_program *(*include)(void *ctx, const char *name,
	    bool global);
	/* The caller builds the edited message of replace and enclose
	 * (below); false: they are run-time errors, so a script's edit is
	 * never silently dropped. */
	bool edits;
};

struct sieve_budget {
	uint32_t steps;
	size_t memory;
	uint32_t regexes;
	uint32_t redirects;  /* a script cannot make one message many */
};

#define SIEVE_BUDGET_DEFAULT { 100000, 4u << 20, 64, 4 }
#define SIEVE_MAX_ACTIONS 64
#define SIEVE_MAX_FLAGS 32

enum sieve_action_type {
	SIEVE_ACT_KEEP = 1, SIEVE_ACT_FILEINTO, SIEVE_ACT_DISCARD,
	SIEVE_ACT_REDIRECT, SIEVE_ACT_REJECT, SIEVE_ACT_EREJECT,
	SIEVE_ACT_VACATION, SIEVE_ACT_NOTIFY, SIEVE_ACT_REPLACE,
	SIEVE_ACT_ENCLOSE,
};

struct sieve_action {
	enum sieve_action_type type;
	const char *arg;          /* mailbox, address, reject text, reason */
	bool copy, create, mime, implicit;
	const char *flags[SIEVE_MAX_FLAGS];  /* keep, fileinto */
	size_t nflags;
	/* vacation; notify has from, and the method in arg */
	const char *subject, *from, *handle;
	const char *const *addresses;
	size_t naddresses;
	uint64_t seconds;         /* :days converted; 7 days by default */
	/* notify (RFC 5435) */
	const char *message, *importance;
	const char *const *options;
	size_t noptions;
	/* replace (RFC 5703 section 6): arg is the new content of MIME part
	 * `part` (0: the whole message; in foreverypart the current part);
	 * with mime it is a MIME entity (header fields, blank line, body),
	 * else text for a text/plain; charset=utf-8 part. For the whole
	 * message, subject and from (NULL: unchanged) replace those fields,
	 * the old ones kept as Original-Subject and Original-From.
	 * enclose (section 7): arg is the text of a new message whose
	 * second part is the message as it stands (message/rfc822); subject
	 * (NULL: the original's) and headers, the names of the fields the
	 * new message copies from the original. Both change the message
	 * that the actions after them (and the implicit keep) deliver: the
	 * caller applies them in their order; the tests of the run still
	 * see the message as delivered. */
	size_t part;
	const char *const *headers;
	size_t nheaders;
};

struct sieve_result {
	struct sieve_action actions[SIEVE_MAX_ACTIONS];
	size_t n;
	bool failed;              /* over a budget or a run-time error */
	char why[200];
	uint32_t steps;           /* used */
	bool stopped;             /* ended by stop (this script only) */
	struct imap_arena arena;  /* the strings the actions point to */
};

/* 0 when the script ran to its end; -1 when it failed (result holds the
 * implicit keep and why). Either way result holds the actions, and must be
 * released with sieve_result_free. */
int sieve_run(const struct sieve_program *prog, const struct sieve_message *m,
    const struct sieve_budget *budget, struct sieve_result *result);
void sieve_result_free(struct sieve_result *result);

#endif
