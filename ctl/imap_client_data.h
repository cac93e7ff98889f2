/*
 * imap_client_data: what an import needs from a server's data responses,
 * read from imap_client_resp's tokens: capabilities, LIST entries, FETCH
 * items, INTERNALDATE. Untrusted input: a response that does not have the
 * shape expected is refused (-1), never guessed at.
 */
#ifndef CLOISTER_IMAP_CLIENT_DATA_H
#define CLOISTER_IMAP_CLIENT_DATA_H

#include "imap_client_resp.h"

enum imapc_cap {
	IMAPC_CAP_STARTTLS = 1u << 0,
	IMAPC_CAP_LOGINDISABLED = 1u << 1,
	IMAPC_CAP_AUTH_PLAIN = 1u << 2,
	IMAPC_CAP_SASL_IR = 1u << 3,
	IMAPC_CAP_LIST_EXTENDED = 1u << 4,
	IMAPC_CAP_SPECIAL_USE = 1u << 5,
	IMAPC_CAP_IMAP4REV1 = 1u << 6,
	IMAPC_CAP_NAMESPACE = 1u << 7,
};

/* The capability bits named by atoms t[0..n) ("CAPABILITY" itself is
 * skipped). */
unsigned imapc_caps(const struct imapc_tok *t, size_t n);

struct imapc_list {
	uint32_t attrs;          /* store_proto.h STORE_USE_* and
	                          * STORE_MBOX_NOSELECT / _NONEXISTENT */
	char delim;              /* 0 = flat (NIL) */
	const char *name;        /* as sent (modified UTF-7), not NUL-ended */
	size_t namelen;
};

/* A LIST or LSUB response's data; -1 if it is not one. */
int imapc_list_parse(const struct imapc_resp *r, struct imapc_list *l);

struct imapc_fetch {
	bool has_uid, has_flags, has_date, has_size, has_body;
	uint32_t uid;
	uint32_t flags;          /* STORE_FLAG_* */
	size_t flags_at;         /* FLAGS' '(' token: keywords via
	                          * imapc_fetch_keyword */
	int64_t date;            /* INTERNALDATE, seconds since the epoch */
	uint64_t size;           /* RFC822.SIZE */
	const char *body;        /* BODY[] */
	size_t bodylen;
};

/* A FETCH response's items; -1 if malformed. */
int imapc_fetch_parse(const struct imapc_resp *r, struct imapc_fetch *f);
/* The k-th keyword (a flag that is not a system flag) of the FETCH's
 * FLAGS: its token, or NULL past the last. Invalid keyword atoms are
 * skipped. */
const struct imapc_tok *imapc_fetch_keyword(const struct imapc_resp *r,
    const struct imapc_fetch *f, size_t k);

/* A NAMESPACE response (RFC 2342): the first personal namespace, and the
 * prefixes of the other users' and shared ones (the names not to import
 * as the user's own). Strings point into the response. */
#define IMAPC_NS_MAX 16
struct imapc_ns_entry {
	const char *prefix;
	size_t len;
	char delim;              /* 0 = NIL */
};
struct imapc_ns {
	bool has_personal;
	struct imapc_ns_entry personal;
	struct imapc_ns_entry others[IMAPC_NS_MAX];   /* other users, shared */
	size_t nothers;
};
int imapc_namespace_parse(const struct imapc_resp *r, struct imapc_ns *ns);

/* "dd-Mon-yyyy hh:mm:ss +zzzz" -> seconds since the epoch; -1 if not. */
int imapc_date_parse(const char *p, size_t n, int64_t *out);

#endif
