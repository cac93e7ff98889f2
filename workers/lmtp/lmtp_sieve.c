/* lmtp_sieve: duplicate suppression and running the scripts (see header). */
#include "lmtp_sieve_int.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct lmtp_sieve *
lmtp_sieve_new(const struct lmtp_sieve_conf *c)
{
	struct lmtp_sieve *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->c = *c;
	s->outfd = -1;
	buf_init(&s->prog, SIEVE_MAX_PROGRAM);
	return s;
}

void
lmtp_sieve_free(struct lmtp_sieve *s)
{
	if (s == NULL)
		return;
	if (s->outfd >= 0)
		close(s->outfd);
	buf_free(&s->prog);
	for (unsigned i = 0; i < s->nactive; i++)
		sieve_program_free(s->active[i].prog);
	free(s);
}

const char *
lmtp_sieve_reason(const struct lmtp_sieve *s)
{
	return s->reason;
}

static void
log_rcpt(const struct lmtp_sieve *s, const char *event, const char *what)
{
	const struct lmtp_delivery *d = s->d;
	lmtp_log_rcpt(event, d->t->client, d->t->sender, d->r->addr,
	    "user=%s %s", d->r->user, what);
}

/* The key of "this message was delivered to this recipient". */
static void
delivery_key(const struct lmtp_delivery *d, const char *msgid,
    uint8_t key[32])
{
	struct buf b = BUF_INIT(8192);
	buf_append_str(&b, "delivery");
	buf_append_byte(&b, 0);
	buf_append_str(&b, msgid);
	buf_append_byte(&b, 0);
	buf_append_str(&b, d->r->user);
	buf_append_byte(&b, 0);
	buf_append_str(&b, d->r->detail);
	SHA256(b.data, b.len, key);
	buf_free(&b);
}

static struct lmtp_sieve *
owner(void *msgctx)
{
	return (struct lmtp_sieve *)((char *)msgctx -
	    offsetof(struct lmtp_sieve, msg));
}

static void
log_store_error(struct lmtp_sieve *s, int rc)
{
	char line[64];
	snprintf(line, sizeof(line), "sieve=unavailable error=%d", rc);
	log_rcpt(s, "sieve-error", line);
}

/* The program in s->prog, loaded; NULL (logged) when it does not load. */
static struct sieve_program *
load_program(struct lmtp_sieve *s, const char *name)
{
	struct sieve_error err;
	struct sieve_program *p = sieve_load(s->prog.data, s->prog.len, &err);
	if (p == NULL) {
		char e[240], line[600];
		sieve_error_format(&err, e, sizeof(e));
		snprintf(line, sizeof(line), "script=%s refused: %s", name, e);
		log_rcpt(s, "sieve-error", line);
	}
	return p;
}

/* A script the user's script includes, from the store, loaded; NULL when
 * there is none or it does not load (logged). */
static struct sieve_program *
user_program(struct lmtp_sieve *s, const char *name)
{
	const struct lmtp_delivery *d = s->d;
	char active[STORE_SIEVE_NAME_MAX + 1];
	buf_reset(&s->prog);
	int rc = store_sieve_program(d->sc, d->r->user, name, &s->prog, active,
	    sizeof(active));
	if (rc == STORE_E_NOTFOUND)
		return NULL;
	if (rc != STORE_OK) {
		log_store_error(s, rc);
		return NULL;
	}
	return load_program(s, name);
}

/* The slot for the user's program in this transaction's cache: its own
 * (*known), else a free one or the oldest, emptied. */
static struct lmtp_active *
active_slot(struct lmtp_sieve *s, bool *known)
{
	const struct lmtp_delivery *d = s->d;
	if (s->active_txn != d->t->id) {
		for (unsigned i = 0; i < s->nactive; i++)
			sieve_program_free(s->active[i].prog);
		s->nactive = s->active_next = 0;
		s->active_txn = d->t->id;
	}
	*known = false;
	for (unsigned i = 0; i < s->nactive; i++)
		if (strcmp(s->active[i].user, d->r->user) == 0) {
			*known = true;
			return &s->active[i];
		}
	struct lmtp_active *a;
	if (s->nactive < LMTP_ACTIVE_CACHE) {
		a = &s->active[s->nactive];
	} else {
		a = &s->active[s->active_next];
		s->active_next = (s->active_next + 1) % LMTP_ACTIVE_CACHE;
		sieve_program_free(a->prog);
	}
	a->prog = NULL;
	a->user[0] = '\0';
	return a;
}

/* The user's active program, from the store at the first recipient of
 * a transaction that is this user; a store that did not answer is asked
 * again at the next. */
static const struct sieve_program *
active_program(struct lmtp_sieve *s)
{
	const struct lmtp_delivery *d = s->d;
	bool known;
	struct lmtp_active *a = active_slot(s, &known);
	if (known)
		return a->prog;
	char active[STORE_SIEVE_NAME_MAX + 1];
	buf_reset(&s->prog);
	int rc = store_sieve_program(d->sc, d->r->user, NULL, &s->prog, active,
	    sizeof(active));
	if (rc != STORE_OK && rc != STORE_E_NOTFOUND) {
		log_store_error(s, rc);
		return NULL;
	}
	if (rc == STORE_OK)
		a->prog = load_program(s, active);
	memcpy(a->user, d->r->user, sizeof(a->user));
	if (a == &s->active[s->nactive])
		s->nactive++;
	return a->prog;
}

static const struct sieve_program *
cb_include(void *ctx, const char *name, bool global)
{
	struct lmtp_sieve *s = owner(ctx);
	if (global) {
		for (size_t i = 0; i < s->c.nglobals; i++)
			if (strcmp(s->c.globals[i].name, name) == 0)
				return s->c.globals[i].prog;
		return NULL;
	}
	if (s->nincluded == LMTP_SIEVE_INCLUDES)
		return NULL;
	struct sieve_program *p = user_program(s, name);
	if (p != NULL)
		s->included[s->nincluded++] = p;
	return p;
}

static int
cb_duplicate(void *ctx, const char *handle, const char *id, size_t idlen,
    uint64_t seconds, bool last)
{
	(void)last;
	struct lmtp_sieve *s = owner(ctx);
	/* each asks the store: a script of many is not many requests */
	if (s->nduplicate++ >= LMTP_DUPLICATE_MAX)
		return 0;
	struct buf b = BUF_INIT(SIEVE_MAX_STRING * 2 + 64);
	uint8_t key[SHA256_DIGEST_LENGTH];
	buf_append_str(&b, "duplicate");
	buf_append_byte(&b, 0);
	buf_append_str(&b, handle ? handle : "");
	buf_append_byte(&b, 0);
	buf_append(&b, id, idlen);
	SHA256(b.data, b.len, key);
	buf_free(&b);
	bool seen = false;
	if (store_seen_check(s->d->sc, s->d->r->user, STORE_SEEN_DUPLICATE, key,
	    seconds, false, &seen) != STORE_OK)
		return 0;
	if (!seen) {
		unsigned k = s->ndup_pending++;
		memcpy(s->dup_pending[k].key, key, sizeof(key));
		s->dup_pending[k].seconds = seconds;
	}
	return seen ? 1 : 0;
}

/* mailboxexists (RFC 5490): the recipient's mailbox, asked once a run
 * per name; a store that does not answer: it does not exist (the
 * script's fileinto then would not have found it either). */
static int
cb_mailbox_exists(void *ctx, const char *name)
{
	struct lmtp_sieve *s = owner(ctx);
	for (unsigned i = 0; i < s->nmbox_seen; i++)
		if (strcmp(s->mbox_seen[i].name, name) == 0)
			return s->mbox_seen[i].exists ? 1 : 0;
	size_t len = strlen(name);
	if (s->nmbox_seen == LMTP_MBOX_EXISTS_MAX || len > STORE_MBOX_NAME_MAX)
		return 0;
	uint32_t bits = 0;
	if (store_mbox_exists(s->d->sc, s->d->r->user, &name, 1, &bits) !=
	    STORE_OK)
		return 0;
	unsigned k = s->nmbox_seen++;
	memcpy(s->mbox_seen[k].name, name, len + 1);
	s->mbox_seen[k].exists = (bits & 1) != 0;
	return s->mbox_seen[k].exists ? 1 : 0;
}

/* The records of the duplicate tests and of the delivery itself, made
 * once the message is where the scripts put it: by the last store
 * delivery, which takes them along (lmtp_sieve_act.c). check: the
 * delivery's record refuses a message delivered already. */
static void
gather_seen(struct lmtp_sieve *s, const uint8_t *delivery_key, bool check)
{
	s->nseen = 0;
	s->seen_done = false;
	for (unsigned i = 0; i < s->ndup_pending; i++) {
		struct store_seen_rec *r = &s->seen[s->nseen++];
		r->kind = STORE_SEEN_DUPLICATE;
		memcpy(r->key, s->dup_pending[i].key, sizeof(r->key));
		r->seconds = s->dup_pending[i].seconds;
		r->if_new = false;
	}
	s->dup_unchecked = delivery_key != NULL && check;
	if (delivery_key != NULL) {
		struct store_seen_rec *r = &s->seen[s->nseen++];
		r->kind = STORE_SEEN_DELIVERY;
		memcpy(r->key, delivery_key, sizeof(r->key));
		r->seconds = s->c.dup_window;
		r->if_new = check;
	}
}

/* What no delivery took (none was made, or several): one by one; a
 * rejected message leaves no delivery record. */
static void
record_seen(struct lmtp_sieve *s, bool rejected)
{
	const struct lmtp_delivery *d = s->d;
	bool seen;
	if (s->seen_done)
		return;
	for (size_t i = 0; i < s->nseen; i++)
		if (!rejected || s->seen[i].kind != STORE_SEEN_DELIVERY)
			(void)store_seen_check(d->sc, d->r->user, s->seen[i].kind,
			    s->seen[i].key, s->seen[i].seconds, true, &seen);
}

static void
run_one(struct lmtp_sieve *s, struct lmtp_runs *runs,
    const struct sieve_program *p, const char *name)
{
	struct sieve_result *r = &runs->res[runs->n];
	runs->name[runs->n++] = name;
	if (sieve_run(p, &s->msg.sm, &s->c.budget, r) < 0) {
		char line[400];
		snprintf(line, sizeof(line), "script=%s failed: %s (kept)", name,
		    r->why);
		log_rcpt(s, "sieve-error", line);
		runs->failed = true;
	}
}

/* Did the script leave the implicit keep in effect (cancelled by
 * fileinto, an explicit keep, discard, redirect, reject)? */
static bool
keeps_implicitly(const struct sieve_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->actions[i].implicit)
			return true;
	return false;
}

/* The scripts in their order (NULL: none): installation before, domain
 * before, the user's, domain after, installation after. As Pigeonhole
 * runs a sequence, the next one runs only while the implicit keep is in
 * effect (a stop ends one script, not the sequence); a failure ends
 * it. */
static void
run_scripts(struct lmtp_sieve *s,
    const struct sieve_program *const list[LMTP_SIEVE_SCRIPTS],
    struct lmtp_runs *runs)
{
	static const char *const names[LMTP_SIEVE_SCRIPTS] = { "sieve-before",
		"domain-before", "personal", "domain-after", "sieve-after" };
	for (size_t i = 0; i < LMTP_SIEVE_SCRIPTS; i++) {
		if (list[i] == NULL)
			continue;
		run_one(s, runs, list[i], names[i]);
		if (runs->failed || !keeps_implicitly(&runs->res[runs->n - 1]))
			break;
	}
}

static void
bind_message(struct lmtp_sieve *s, const struct lmtp_delivery *d)
{
	lmtp_smsg_init(&s->msg, d->m);
	struct sieve_message *sm = &s->msg.sm;
	sm->envelope_from = d->t->sender;
	sm->envelope_to = d->r->addr;
	sm->size = d->t->len;
	sm->now = d->now;
	struct tm tm;
	time_t t = (time_t)d->now;
	sm->zone = localtime_r(&t, &tm) != NULL ? (int)(tm.tm_gmtoff / 60) : 0;
	sm->duplicate = cb_duplicate;
	sm->include = cb_include;
	sm->edits = true;   /* replace and enclose: lmtp_sieve_edits.c */
	sm->mailbox_exists = cb_mailbox_exists;
}

/* A duplicate of a message this recipient already got? Message-ID and
 * recipient; a message without one never is. */
static bool
is_duplicate(struct lmtp_sieve *s, const uint8_t key[32])
{
	bool seen = false;
	int rc = store_seen_check(s->d->sc, s->d->r->user, STORE_SEEN_DELIVERY,
	    key, s->c.dup_window, false, &seen);
	return rc == STORE_OK && seen;
}

bool
lmtp_sieve_check_duplicate(struct lmtp_sieve *s)
{
	if (!s->dup_unchecked)
		return false;
	s->dup_unchecked = false;
	struct store_seen_rec *own = &s->seen[s->nseen - 1];
	own->if_new = false;
	s->duplicate = is_duplicate(s, own->key);
	return s->duplicate;
}

int
lmtp_sieve_deliver(struct lmtp_sieve *s, const struct lmtp_delivery *d,
    bool *rejected)
{
	*rejected = false;
	s->d = d;
	s->reason[0] = '\0';
	s->nduplicate = 0;
	s->ndup_pending = 0;
	s->nmbox_seen = 0;
	s->duplicate = false;
	const char *msgid = d->meta->message_id;
	bool dedup = s->c.dup_window > 0 && msgid != NULL && msgid[0] != '\0';
	uint8_t key[SHA256_DIGEST_LENGTH];
	/* the check rides on the store delivery (one request less), but
	 * a +detail keep is STORE_DELIVER's, which carries no records */
	bool detail = d->r->detail[0] != '\0';
	if (dedup) {
		delivery_key(d, msgid, key);
		if (detail && is_duplicate(s, key))
			s->duplicate = true;
	}
	const struct sieve_program *user = s->c.sieve && !s->duplicate ?
	    active_program(s) : NULL;
	int rc = STORE_OK;
	const char *rcpt = d->r->addr;
	const struct sieve_program *list[LMTP_SIEVE_SCRIPTS] = { s->c.before,
		lmtp_sieve_domain_find(&s->c.dom_before, rcpt), user,
		lmtp_sieve_domain_find(&s->c.dom_after, rcpt), s->c.after };
	bool any = false;
	for (size_t i = 0; i < LMTP_SIEVE_SCRIPTS; i++)
		any |= list[i] != NULL;
	if (s->duplicate) {
		/* asked first: nothing to run */
	} else if (!any) {
		gather_seen(s, dedup ? key : NULL, !detail);
		rc = lmtp_sieve_keep(s, NULL, 0);
	} else {
		struct lmtp_runs runs = { .n = 0 };
		bind_message(s, d);
		run_scripts(s, list, &runs);
		gather_seen(s, dedup ? key : NULL, !detail);
		rc = lmtp_sieve_act(s, &runs, rejected);
		for (size_t i = 0; i < runs.n; i++)
			sieve_result_free(&runs.res[i]);
		lmtp_smsg_free(&s->msg);
	}
	for (size_t i = 0; i < s->nincluded; i++)
		sieve_program_free(s->included[i]);
	s->nincluded = 0;
	if (s->duplicate) {
		log_rcpt(s, "duplicate", "not filed again code=250");
		return STORE_OK;
	}
	/* a rejected message was not delivered: if it comes again, the
	 * script answers again (and its duplicate tests saw it) */
	if (rc == STORE_OK)
		record_seen(s, *rejected);
	return rc;
}
