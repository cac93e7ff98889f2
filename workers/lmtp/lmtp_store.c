/* lmtp_store: delivery through stored (see lmtp_store.h). */
#include "lmtp_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "auth_client.h"
#include "fds.h"
#include "log.h"
#include "lmtp_dsn.h"
#include "lmtp_outgoing.h"
#include "lmtp_sieve.h"
#include "mime.h"

struct lmtp_store {
	struct store_conn *sc[CLOISTER_MAX_SHARDS];
	unsigned nshards;
	const struct lmtp_opts *o;
	struct msgmeta_limits lim;
	int memfd;
	/* the parse of the current transaction's message, made once */
	uint64_t txn;
	bool parsed;
	struct mime_msg m;
	struct msgmeta mm;
	struct buf trace, hdrs;
	struct auth_client *ac;      /* authd, for recipients with no store */
	struct auth_reply ar;
	struct lmtp_sieve *sv;       /* duplicates and Sieve; NULL: neither */
};

struct lmtp_store *
lmtp_store_open(const int *fds, unsigned nshards, const struct lmtp_opts *o,
    const struct msgmeta_limits *lim)
{
	struct lmtp_store *ls = calloc(1, sizeof(*ls));
	if (ls == NULL || nshards == 0 || nshards > CLOISTER_MAX_SHARDS) {
		free(ls);
		return NULL;
	}
	for (unsigned i = 0; i < nshards; i++) {
		ls->sc[i] = store_client_open(fds[i]);
		if (ls->sc[i] == NULL) {
			lmtp_store_close(ls);
			return NULL;
		}
		ls->nshards = i + 1;
	}
	ls->o = o;
	ls->lim = *lim;
	ls->memfd = -1;
	buf_init(&ls->trace, 4096);
	buf_init(&ls->hdrs, lim->headers_max + 8192);
	return ls;
}

static void
drop_parse(struct lmtp_store *ls)
{
	if (ls->parsed) {
		msgmeta_free(&ls->mm);
		mime_free(&ls->m);
		ls->parsed = false;
	}
}

void
lmtp_store_close(struct lmtp_store *ls)
{
	if (ls == NULL)
		return;
	drop_parse(ls);
	for (unsigned i = 0; i < ls->nshards; i++)
		store_client_close(ls->sc[i]);
	if (ls->memfd >= 0)
		close(ls->memfd);
	buf_free(&ls->trace);
	buf_free(&ls->hdrs);
	free(ls);
}

static enum lmtp_result
map_rc(struct lmtp_store *ls, int rc, unsigned shard, const char *what)
{
	switch (rc) {
	case STORE_OK:
		return LMTP_R_OK;
	case STORE_E_NOTFOUND:
		return LMTP_R_NOUSER;
	case STORE_E_QUOTA:
		return LMTP_R_QUOTA;
	case STORE_E_LIMIT:
		return LMTP_R_TOOBIG;
	case STORE_E_NOSPACE:
		return LMTP_R_NOSPACE;
	case STORE_E_IO:
	case STORE_E_PROTO:
		log_err("%s: store shard %u lost (%d)", what, shard, rc);
		return LMTP_R_GONE;
	default:
		log_warn("%s: store shard %u: %d %s", what, shard, rc,
		    store_client_errmsg(ls->sc[shard]));
		return LMTP_R_TEMP;
	}
}

void
lmtp_store_set_auth(struct lmtp_store *ls, struct auth_client *ac)
{
	ls->ac = ac;
}

/* A recipient the store does not know: if authd finds it in the password
 * database, its ticket (bound to this worker) lets stored create the
 * user's store as a first login would. A store_rc. */
static int
provision(struct lmtp_store *ls, const char *user, unsigned sh)
{
	enum auth_status st = auth_client_rcpt(ls->ac, user, &ls->ar);
	int rc = STORE_E_NOTFOUND;
	if (st == AUTH_ST_ERROR ||
	    (st == AUTH_ST_FAILURE && ls->ar.reason != AUTH_FAIL_CREDENTIALS))
		rc = STORE_E_TEMPORARY;
	else if (st == AUTH_ST_SUCCESS && strcmp(ls->ar.user, user) != 0)
		log_warn("rcpt %s: the password database names it %s; not"
		    " created", user, ls->ar.user);
	else if (st == AUTH_ST_SUCCESS)
		rc = store_rcpt_provision(ls->sc[sh], ls->ar.ticket,
		    ls->ar.ticket_len);
	auth_reply_wipe(&ls->ar);
	return rc;
}

void
lmtp_store_set_sieve(struct lmtp_store *ls, struct lmtp_sieve *sv)
{
	ls->sv = sv;
}

static enum lmtp_result
be_rcpt(void *ctx, const struct lmtp_rcpt *r, uint64_t size)
{
	struct lmtp_store *ls = ctx;
	unsigned sh = store_shard_of(r->user, ls->nshards);
	int rc = store_rcpt_check(ls->sc[sh], r->user, size);
	if (rc == STORE_E_NOTFOUND && ls->ac != NULL &&
	    (rc = provision(ls, r->user, sh)) == STORE_OK)
		rc = store_rcpt_check(ls->sc[sh], r->user, size);
	return map_rc(ls, rc, sh, "rcpt");
}

static enum lmtp_result
be_deliver(void *ctx, const struct lmtp_txn *t, size_t i)
{
	struct lmtp_store *ls = ctx;
	const struct lmtp_rcpt *r = &t->rcpts[i];
	unsigned sh = store_shard_of(r->user, ls->nshards);
	if (!ls->parsed || ls->txn != t->id) {
		/* the message is the same for every recipient: parse once */
		drop_parse(ls);
		if (mime_parse(&ls->m, t->msg, t->len, NULL) < 0)
			return LMTP_R_TEMP;
		if (msgmeta_build(&ls->mm, &ls->m, &ls->lim) < 0) {
			mime_free(&ls->m);
			return LMTP_R_TEMP;
		}
		ls->parsed = true;
		ls->txn = t->id;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	buf_reset(&ls->trace);
	if (lmtp_trace_headers(&ls->trace, ls->o, t, i, now.tv_sec) < 0)
		return LMTP_R_TEMP;
	/* the search header lines: the trace fields, then the message's */
	struct mime_msg tm;
	buf_reset(&ls->hdrs);
	if (mime_parse(&tm, ls->trace.data, ls->trace.len, NULL) == 0) {
		msgmeta_header_lines(&tm, 0, &ls->hdrs, ls->lim.headers_max);
		mime_free(&tm);
	}
	buf_append(&ls->hdrs, ls->mm.meta.headers, ls->mm.meta.headers_len);
	struct store_msg_meta meta = ls->mm.meta;
	meta.internaldate = (uint64_t)now.tv_sec;
	meta.tzoff = 0;
	meta.headers = (const char *)ls->hdrs.data;
	meta.headers_len = ls->hdrs.failed ? 0 : ls->hdrs.len;

	struct iovec iov[2] = {
		{ ls->trace.data, ls->trace.len },
		{ (void *)(uintptr_t)t->msg, t->len },
	};
	uint64_t size = ls->trace.len + t->len;
	if (lmtp_memfd_fill(&ls->memfd, iov, 2) < 0) {
		log_err("deliver: memfd: %s", strerror(errno));
		return LMTP_R_TEMP;
	}
	int rc;
	bool rejected = false;
	if (ls->sv != NULL) {
		struct lmtp_delivery d = { ls->sc[sh], t, r, &ls->m, &meta,
			ls->memfd, size, ls->trace.data, ls->trace.len,
			now.tv_sec, &ls->lim, ls->o->max_size };
		rc = lmtp_sieve_deliver(ls->sv, &d, &rejected);
	} else {
		rc = store_deliver(ls->sc[sh], r->user, r->detail[0] ?
		    r->detail : NULL, ls->memfd, size, &meta);
	}
	if (rc == STORE_OK && rejected)
		return LMTP_R_REJECT;
	enum lmtp_result out = map_rc(ls, rc, sh, "deliver");
	/* a refusal is logged with its code where it is answered */
	if (out == LMTP_R_OK) {
		/* a DSN back to the sender: its submission learns of it */
		lmtp_dsn_link(ls->sc[sh], r->user, &ls->m, ls->trace.data,
		    ls->trace.len, t->msg, t->len);
		char m[LOG_TOKEN_MAX];
		const char *id = meta.message_id;
		lmtp_log_rcpt("delivered", t->client, t->sender, r->addr,
		    "user=%s%s%s size=%llu msgid=%s code=250 dsn=2.0.0", r->user,
		    r->detail[0] ? "+" : "", r->detail, (unsigned long long)size,
		    id != NULL ? log_token(id, strlen(id), m, sizeof(m)) : "-");
	}
	return out;
}

static void
be_txn_end(void *ctx, const struct lmtp_txn *t)
{
	(void)t;
	drop_parse(ctx);
}

static const char *
be_reason(void *ctx)
{
	struct lmtp_store *ls = ctx;
	return ls->sv != NULL ? lmtp_sieve_reason(ls->sv) : "Rejected";
}

void
lmtp_store_backend(struct lmtp_store *ls, struct lmtp_backend *be)
{
	be->reason = be_reason;
	be->rcpt = be_rcpt;
	be->deliver = be_deliver;
	be->txn_end = be_txn_end;
	be->ctx = ls;
}
