/*
 * jmap_api: the JMAP API (RFC 8620 section 3) as cloister-jmapd's HTTP side
 * hands it over. The HTTP side (jmap_http*, jmapd.c) authenticates the
 * client, reads a whole request body within the limits, and calls
 * jmap_api_handle(); the API side decodes the request envelope, checks
 * `using`, resolves result references, runs each method from the method
 * table and encodes the response. Nothing here reads a socket.
 *
 * Methods live one data type per file (jmap_core.c: Core/echo;
 * jmap_mailbox.c, jmap_email.c, ... for RFC 8621) and are listed in
 * jmap_methods.c's table.
 */
#ifndef CLOISTER_JMAP_API_H
#define CLOISTER_JMAP_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_conn;

/* The session's limits (RFC 8620 section 2, urn:ietf:params:jmap:core):
 * advertised in the Session resource and enforced where they apply. */
struct jmap_limits {
	size_t max_size_upload;            /* bytes */
	unsigned max_concurrent_upload;
	size_t max_size_request;           /* bytes of one API request body */
	unsigned max_concurrent_requests;
	unsigned max_calls_in_request;
	unsigned max_objects_in_get;
	unsigned max_objects_in_set;
	/* the store's Sieve quota (stored's sieve-max-scripts and
	   sieve-max-script-size), advertised in the sieve capability */
	unsigned sieve_max_scripts;        /* 0: no limit */
	size_t sieve_max_script_size;      /* bytes of source */
	/* EmailSubmission (urn:ietf:params:jmap:submission) */
	uint64_t max_delayed_send;         /* seconds a send may be held */
	uint64_t undo_send_seconds;        /* every submission held this long */
};

/* stored's defaults of sieve-max-scripts and sieve-max-script-size. */
#define JMAP_SIEVE_MAX_SCRIPTS 32
#define JMAP_SIEVE_MAX_SCRIPT_SIZE (64u * 1024)

/* jmapd's max-delayed-send default: a week. */
#define JMAP_MAX_DELAYED_SEND (7u * 86400)

/* Defaults used when the config sets nothing. */
void jmap_limits_default(struct jmap_limits *l);

/* The one account of a logged-in user (its own account; no sharing yet). */
struct jmap_account {
	const char *username;              /* as authd confirmed it */
	const char *account_id;            /* stable, opaque, from the username */
	struct store_conn *store;          /* the user's store channel */
	const struct jmap_limits *limits;
	const char *domain;                /* generated Message-IDs, the default
					      Identity; NULL: the username's
					      domain, else "localhost" */
};

/* The Session resource (RFC 8620 section 2) for a: capabilities with their
 * limits, accounts, primaryAccounts, username, the URL templates built from
 * base (e.g. "https://127.0.0.1:8443", no trailing slash) and state. A new
 * reference, or NULL on allocation failure. */
json_t *jmap_session_resource(const struct jmap_account *a, const char *base);

/* The response to one API request. status is the HTTP status: 200 with a
 * Response object, or 400 (or 413) with a problem+json body (RFC 7807) whose
 * type is one of RFC 8620 section 3.6.1's (unknownCapability, notJSON,
 * notRequest, limit). body is malloc'd, len bytes; the caller frees it. */
struct jmap_response {
	int status;
	bool problem;                      /* Content-Type application/problem+json */
	char *body;
	size_t len;
	bool store_lost;                   /* a store call failed in transport
					      or protocol: the channel is
					      unusable, answer then exit */
};

/* Run one API request: body is the POSTed bytes (len bytes, not
 * NUL-terminated, at most a->limits->max_size_request). Always fills r;
 * r->body is NULL only when memory ran out (the caller answers 500). */
void jmap_api_handle(const struct jmap_account *a, const char *body,
    size_t len, struct jmap_response *r);

/* ---- the method table ---------------------------------------------------- */

/* One method call being run. args already has its result references
 * resolved. A method returns its response arguments (a new reference), or
 * NULL with *err set to a method-level error object ({"type": ...}, a new
 * reference). created_ids is the request's creation id -> id map: methods
 * that create record theirs there and look creation ids ("#x") up in it. */
struct jmap_call {
	const struct jmap_account *account;
	const char *name;                  /* "Mailbox/get" */
	const char *call_id;
	json_t *args;
	json_t *created_ids;
	json_t *extra;                     /* array: more responses a method
					      adds after its own (implicit
					      calls, RFC 8620 section 5.4) */
	bool store_lost;                   /* set by jmap_store_error() */
};

typedef json_t *(*jmap_method_fn)(struct jmap_call *c, json_t **err);

struct jmap_method {
	const char *name;                  /* "Core/echo" */
	const char *capability;            /* the `using` entry it needs */
	jmap_method_fn fn;
	/* the argument names it takes, NULL-ended; NULL: any (Core/echo).
	 * Any other name is invalidArguments before fn runs. */
	const char *const *args;
};

/* The table (jmap_methods.c), ended by a NULL name. */
extern const struct jmap_method jmap_methods[];

/* A method-level error {"type": type} with an optional description. */
json_t *jmap_error(const char *type, const char *description);

#endif
